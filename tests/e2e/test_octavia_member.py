"""The runner with a member behind a real Octavia load balancer (noop provider).

The functions use Kosmos's clouds.yaml as Terraform makes it (``KOSMOS_CLOUD``);
a tenant's pool holds an address member and a ``neutron_lbaas_v2`` member whose
load balancer's VIP is served. When Octavia says the load balancer is OFFLINE,
the VIP leaves the answer; when it is back ONLINE, the VIP returns.
"""
from __future__ import annotations

import pytest

from fixtures.openstack.keystone import REGION
from fixtures.openstack.octavia import TenantLoadBalancer, kosmos_clouds_yaml
from kosmos_local.harness import ADDRESSES, DELAY, DOWN, RISE, Api, dns_answer, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.openstack]


def test_an_octavia_member_leaves_the_answer_with_its_load_balancer(start_runner, endpoints,
                                                                     keystone, octavia, tmp_path):
    address, vip = ADDRESSES[0], ADDRESSES[1]
    lb = TenantLoadBalancer(octavia, keystone, vip_address=vip)
    clouds = kosmos_clouds_yaml(keystone, tmp_path)
    runner = start_runner(env={"OS_CLIENT_CONFIG_FILE": str(clouds), "KOSMOS_CLOUD": "kosmos"})
    api = Api(runner.url, project=lb.user.project_id)
    mon = api.post("/v1/monitors", {"name": "web", "type": "HTTP", "delay": DELAY, "timeout": 0.5,
                                    "max_retries": RISE, "max_retries_down": DOWN})
    pool = api.post("/v1/pools", {"name": "web", "monitor_ids": [mon["id"]]})
    api.post(f"/v1/pools/{pool['id']}/pool_members",
             {"name": "ip", "address": address, "port": endpoints[address].port})
    octavia_member = api.post(f"/v1/pools/{pool['id']}/pool_members",
                              {"name": "lb", "type": "neutron_lbaas_v2", "region": REGION,
                               "neutron_id": lb.id, "port": 80})
    assert octavia_member["endpoints"] == [vip], octavia_member     # looked up at create
    fqdn = "www.example.com."
    gslb = api.post("/v1/gslbs", {"name": fqdn, "fqdn": fqdn, "zone_name": "example.com.", "ttl": 5,
                                  "all_down": "ALL", "pools": [{"pool_id": pool["id"], "priority": 1}]})

    def answer():
        return dns_answer(fqdn, runner.dns_port)

    def reason() -> str:
        return str(api.get(f"/v1/gslbs/{gslb['id']}/status"))

    wait_for(lambda: answer() == {address, vip}, timeout=60)
    lb.set("load_balancer", lb.id, "OFFLINE")
    try:
        wait_for(lambda: answer() == {address}, timeout=DELAY * DOWN + 30)
    except TimeoutError:
        raise AssertionError(f"answer {answer()}; status {reason()}\n{runner.log_tail(80)}") from None
    assert "OFFLINE" in reason()
    lb.set("load_balancer", lb.id, "ONLINE")
    wait_for(lambda: answer() == {address, vip}, timeout=DELAY * RISE + 30)
