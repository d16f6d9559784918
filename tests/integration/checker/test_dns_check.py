"""The DNS check plugin against a real DNS server (the embedded one), on both loops."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from kosmos_local.dns import serve
from kosmos.checker.prober import Prober
from kosmos.checker.service import new_event_loop
from kosmos.probes.base import Target
from kosmos.probes.guard import Guard
from kosmos.probes.registry import load_checks
from kosmos.contracts.events import CheckSpec, MonitorSpec

NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory):
    server = serve("127.0.0.1", 0, 0, str(tmp_path_factory.mktemp("dns") / "s.json"),
                   zones=["example.com."])
    server.store.put("health.example.com.", "example.com.", ["192.0.2.10", "2001:db8::10"], 30)
    yield server
    server.stop()


@pytest.fixture(params=["uvloop", "asyncio"])
def loop_factory(request):
    return new_event_loop if request.param == "uvloop" else asyncio.new_event_loop


def probe(port: int, factory, **options):
    monitor = MonitorSpec(id="mon", type="DNS", delay=5, timeout=1.0, max_retries=1,
                          max_retries_down=1, options={"query_name": "health.example.com.", **options})
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address="127.0.0.1", port=port,
                     monitor=monitor)
    runner = Prober(load_checks(), Guard(allow_loopback=True))
    with asyncio.Runner(loop_factory=factory) as loop:
        return loop.run(runner.run(Target("127.0.0.1", port, spec), NOW))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_expected_answer_passes_over_udp_and_tcp(dns_server, loop_factory, transport):
    r = probe(dns_server.dns_port, loop_factory, transport=transport,
              expected_answers=["192.0.2.10"])
    assert r.ok and r.reason == "NOERROR with 192.0.2.10" and r.latency_ms is not None


def test_aaaa_answers_compare_in_canonical_form(dns_server, loop_factory):
    assert probe(dns_server.dns_port, loop_factory, query_type="AAAA",
                 expected_answers=["2001:DB8:0::10"]).ok


def test_missing_answer_and_wrong_rcode_fail_with_reasons(dns_server, loop_factory):
    r = probe(dns_server.dns_port, loop_factory, expected_answers=["192.0.2.99"])
    assert not r.ok and r.reason == "answer lacks 192.0.2.99 (got 192.0.2.10)"
    r = probe(dns_server.dns_port, loop_factory, query_name="gone.example.com.")
    assert not r.ok and r.reason == "rcode NXDOMAIN, expected NOERROR"
    assert probe(dns_server.dns_port, loop_factory, query_name="gone.example.com.",
                 expected_rcode="NXDOMAIN").ok
    r = probe(dns_server.dns_port, loop_factory, query_name="www.elsewhere.org.")
    assert not r.ok and "REFUSED" in r.reason


def test_a_silent_port_is_a_timeout(loop_factory):
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:   # bound, never answers
        s.bind(("127.0.0.1", 0))
        r = probe(s.getsockname()[1], loop_factory)
    assert not r.ok and ("timeout" in r.reason or "timed out" in r.reason), r.reason
