"""GSLB appliance drivers: make a DNS service serve the engine's answers.

``base.Appliance`` is the contract; ``registry.load`` builds a driver by its
entry-point name (group ``kosmos.appliances``).
"""
