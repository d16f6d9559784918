"""``--appliance powerdns``: the same failover, served by a real PowerDNS Authoritative server."""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from kosmos_local.harness import ADDRESSES, DELAY, DOWN, deploy, dns_answer, wait_for

pytestmark = pytest.mark.e2e

# The integration tier's PowerDNS fixture (a pdns_server on free ports, gsqlite3, API on).
_spec = importlib.util.spec_from_file_location(
    "kosmos_e2e_pdns", Path(__file__).resolve().parents[1] / "integration" / "appliances" / "conftest.py")
_pdns = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pdns)
powerdns = _pdns.powerdns


def test_powerdns_serves_the_answer_and_follows_a_failure(start_runner, endpoints, powerdns):
    powerdns.create_zone("example.com.")
    runner = start_runner(extra=["--appliance", "powerdns"],
                          env={"KOSMOS_POWERDNS_API_URL": powerdns.api_url,
                               "KOSMOS_POWERDNS_API_KEY": _pdns.API_KEY})
    d = deploy(runner, endpoints[ADDRESSES[0]].port)
    d.wait_statuses({a: "ONLINE" for a in ADDRESSES}, timeout=20)

    def served() -> set[str] | None:
        return dns_answer("www.example.com.", powerdns.dns_port)
    wait_for(lambda: served() == set(ADDRESSES), timeout=10)
    assert dns_answer("www.example.com.", runner.dns_port, timeout=0.3) is None

    died = time.monotonic()
    endpoints[ADDRESSES[0]].stop()
    wait_for(lambda: served() == set(ADDRESSES[1:]), timeout=DELAY * DOWN + 6)
    print(f"failover through PowerDNS: {time.monotonic() - died:.2f}s")
    # The appliance is pushed first, then the answer is recorded: the record follows
    # within the engine's next conductor call.
    def recorded() -> bool:
        gslb = d.api.get(f"/v1/gslbs/{d.gslb['id']}")
        return gslb["publish_status"] == "SYNCED" and sorted(gslb["answers"]) == ADDRESSES[1:]
    wait_for(recorded, timeout=5)
