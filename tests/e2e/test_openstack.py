"""The runner on real OpenStack: Keystone tokens, Designate publishing, PowerDNS serving.

``--auth keystone --appliance designate``, with the functions' credential made
as our Terraform makes it (an application credential with its default roles, in
the project that owns the zone). A user of another project, with a real token,
deploys the demo; an endpoint dies and the answer PowerDNS serves behind
Designate changes. Printed: death → new answer served, and Designate's share
(from the engine's push, seen in the API, to PowerDNS serving it).
"""
from __future__ import annotations

import time

import pytest

from fixtures.openstack.designate import STUCK_PENDING_FOR, Tenant
from fixtures.openstack.keystone import terraform_roles
from kosmos_local.harness import ADDRESSES, DELAY, DOWN, Api, deploy, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.openstack]


def test_failover_through_designate_and_powerdns_with_keystone_tokens(start_runner, endpoints,
                                                                      keystone, designate, tmp_path):
    service = Tenant(designate, tmp_path, roles=tuple(terraform_roles()))
    runner = start_runner(extra=["--auth", "keystone", "--appliance", "designate"],
                          env={"OS_CLIENT_CONFIG_FILE": str(service.clouds), "KOSMOS_CLOUD": "kosmos"})
    user = keystone.user(keystone.project())
    api = Api(runner.url)
    api.headers = {"X-Auth-Token": keystone.token(user)}
    assert api.call("GET", "/v1/gslbs", expect=200)["gslbs"] == []
    fqdn = f"www.{service.zone}"
    d = deploy(runner, endpoints[ADDRESSES[0]].port, fqdn=fqdn, zone=service.zone, api=api)
    assert d.gslb["project_id"] == user.project_id
    d.wait_statuses({a: "ONLINE" for a in ADDRESSES}, timeout=30)
    wait_for(lambda: service.query(fqdn) == ADDRESSES, timeout=30)

    def gslb() -> dict:
        return api.get(f"/v1/gslbs/{d.gslb['id']}")

    def synced() -> None:
        """Confirmed served: Designate says its record set is ACTIVE. Now and then Designate
        leaves a zone PENDING though its name servers serve it, until its recovery task
        pushes it again (``STUCK_PENDING_FOR``); Kosmos confirms once Designate does."""
        wait_for(lambda: gslb()["publish_status"] == "SYNCED", timeout=STUCK_PENDING_FOR + 15)
    synced()

    died = time.monotonic()
    endpoints[ADDRESSES[0]].stop()
    pushed = served = None
    deadline = died + DELAY * DOWN + 30
    while served is None and time.monotonic() < deadline:
        if pushed is None and sorted(gslb()["answers"]) == ADDRESSES[1:]:
            pushed = time.monotonic()
        if service.query(fqdn) == ADDRESSES[1:]:
            served = time.monotonic()
        time.sleep(0.1)
    assert served is not None, f"PowerDNS still serves {service.query(fqdn)}: {gslb()}"
    pushed = pushed or served
    print(f"failover through Designate and PowerDNS: {served - died:.2f}s after the death; "
          f"Designate's share {served - pushed:.2f}s")
    synced()
    history = api.get(f"/v1/gslbs/{d.gslb['id']}/history?limit=20")["history"]
    assert any(e["to"] == ",".join(ADDRESSES[1:]) for e in history)
