"""The local runner: a one-machine emulation of the serverless platform.

``local/runner.py`` is its command line; the parts live here so they can be
unit-tested: the function loader, the CloudEvents delivery, the in-process
queue with retries and a dead-letter list, the cron emulator, the region
simulation, the routing of the public port and the platform that wires them together.
"""
