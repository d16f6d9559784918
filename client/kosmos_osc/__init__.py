"""``openstack gslb ...``: the Kosmos plugin for OpenStackClient (osc-lib).

Installed with the ``cli`` extra (``pip install 'kosmos-gslb[cli]'``); it finds
the API in the Keystone catalog (service type ``gslb``), or at
``--os-gslb-endpoint`` / ``OS_GSLB_ENDPOINT``. With ``OS_AUTH_TYPE=none`` and
``OS_ENDPOINT`` it talks to the local runner's noauth mode as the project in
``OS_PROJECT_ID`` (roles in ``OS_GSLB_ROLES``, default member).
"""
