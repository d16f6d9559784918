"""Check plugins: how one member is probed under one monitor.

``base.Check`` is the contract; ``registry.load_checks`` finds every installed
check through the ``kosmos.probes`` entry point group (the built-ins register
the same way a deployer's package does). ``guard`` refuses targets a tenant
must not make the checker probe.
"""
