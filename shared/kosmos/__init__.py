"""Kosmos: a Global Server Load Balancer for OpenStack clouds.

The library that the four functions (api, conductor, checker, engine) ship
with. Layout: ``domain`` holds pure rules, ``contracts`` every model that
crosses a function boundary, ``adapters`` the edges (database, conductor
client, emitter, OpenStack), and one package per function for its handlers.
"""

__version__ = "0.1.0"
