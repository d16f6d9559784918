"""Built-in checks against real local endpoints, through the runner (timeouts, guard)."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import pytest

from kosmos.checker.prober import Prober
from kosmos.checker.service import new_event_loop
from kosmos.probes.base import Target
from kosmos.probes.guard import Guard
from kosmos.probes.registry import load_checks
from kosmos.contracts.events import CheckResult, CheckSpec, MonitorSpec

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def spec(member_port: int, type_: str = "HTTP", address: str = "127.0.0.1", **monitor) -> CheckSpec:
    fields = {"id": "mon-1", "type": type_, "delay": 5, "timeout": 1.0,
              "max_retries": 1, "max_retries_down": 1, **monitor}
    return CheckSpec(member_id="mem-1", pool_id="pool-1", project_id="p", address=address,
                     port=member_port, monitor=MonitorSpec(**fields))


LOOP = {"factory": asyncio.new_event_loop}


@pytest.fixture(autouse=True, params=["uvloop", "asyncio"])
def event_loop_kind(request):
    """Every probe test runs on uvloop (production) and on asyncio's own loop."""
    LOOP["factory"] = new_event_loop if request.param == "uvloop" else asyncio.new_event_loop
    yield request.param
    LOOP["factory"] = asyncio.new_event_loop


@pytest.fixture(autouse=True, params=["awaited", "callbacks"])
def probe_path(request):
    """Every probe test runs through ``Prober.run`` and through ``Prober.start`` (the
    callback path of plain HTTP; other checks fall back to ``run`` there too)."""
    LOOP["path"] = request.param
    yield request.param
    LOOP["path"] = "awaited"


def probe(s: CheckSpec, guard: Guard | None = None) -> CheckResult:
    runner = Prober(load_checks(), guard or Guard(allow_loopback=True))
    target = Target(s.address, s.monitor.port or s.port, s)

    async def started() -> CheckResult | None:
        reported = asyncio.get_running_loop().create_future()
        if runner.start(target, NOW, reported.set_result) is None:
            assert s.monitor.type != "HTTP" or not s.address, "plain HTTP takes the callbacks"
            return await runner.run(target, NOW)
        return await reported
    with asyncio.Runner(loop_factory=LOOP["factory"]) as loop:
        if LOOP.get("path") == "callbacks":
            return loop.run(started())
        return loop.run(runner.run(target, NOW))


# --------------------------------------------------------------------------- HTTP

def test_healthy_http_passes_with_latency(http_server):
    r = probe(spec(http_server.port))
    assert (r.ok, r.reason) == (True, "HTTP 200")
    assert r.latency_ms is not None and 0 < r.latency_ms < 1000
    assert r.checked_at == NOW and r.address == "127.0.0.1"


def test_wrong_status_names_code_and_expected(http_server):
    r = probe(spec(http_server.port, url_path="/503"))
    assert (r.ok, r.reason) == (False, "HTTP 503 not in [200]")


def test_expected_code_ranges(http_server):
    assert probe(spec(http_server.port, url_path="/503", expected_codes=["500-599"])).ok
    r = probe(spec(http_server.port, url_path="/teapot", expected_codes=[200, "300-399"]))
    assert r.reason == "HTTP 418 not in [200, 300-399]"


def test_receive_string_found_and_missing(http_server):
    assert probe(spec(http_server.port, receive_string="SUCCESS")).ok
    r = probe(spec(http_server.port, url_path="/teapot", expected_codes=[418], receive_string="SUCCESS"))
    assert (r.ok, r.reason) == (False, "body lacks 'SUCCESS'")


def test_receive_string_across_chunks_eof_and_large_bodies(http_server):
    assert probe(spec(http_server.port, url_path="/chunked", receive_string="hello SUCCESS")).ok
    assert probe(spec(http_server.port, url_path="/eof", receive_string="SUCCESS at")).ok
    assert probe(spec(http_server.port, url_path="/big", receive_string="SUCCESS")).ok
    assert not probe(spec(http_server.port, url_path="/chunked", receive_string="absent")).ok


def test_method_headers_host_and_payload_are_sent(http_server):
    s = spec(http_server.port, url_path="/echo", http_method="POST",
             headers={"Host": "www.example.com", "X-Probe": "yes"},
             payload={"content_type": "text/plain", "content": "ping-body"},
             receive_string="POST /echo HTTP/1.1\r\nHost: www.example.com\r\n")
    assert probe(s).ok
    for needle in ("X-Probe: yes", "Content-Type: text/plain", "Content-Length: 9", "ping-body"):
        assert probe(s.model_copy(update={"monitor": s.monitor.model_copy(
            update={"receive_string": needle})})).ok, needle


def test_default_host_header_carries_address_and_port(http_server):
    s = spec(http_server.port, url_path="/echo",
             receive_string=f"Host: 127.0.0.1:{http_server.port}\r\n")
    assert probe(s).ok


def test_head_request_needs_no_body(http_server):
    assert probe(spec(http_server.port, http_method="HEAD", receive_string="SUCCESS")).ok


def test_slow_endpoint_times_out_on_time(http_server):
    started = time.perf_counter()
    r = probe(spec(http_server.port, url_path="/slow", timeout=0.5))
    elapsed = time.perf_counter() - started
    assert (r.ok, r.reason) == (False, "timeout after 0.5s")
    assert 0.45 < elapsed < 1.5


def test_closed_port_is_connection_refused(closed):
    r = probe(spec(closed))
    assert (r.ok, r.reason) == (False, "connection refused")


def test_silent_peer_times_out(silent_peer):
    r = probe(spec(silent_peer.port, timeout=0.3))
    assert (r.ok, r.reason) == (False, "timeout after 0.3s")


def test_monitor_port_overrides_member_port(http_server, closed):
    s = spec(closed, port=http_server.port)
    assert probe(s).ok


# --------------------------------------------------------------------------- HTTPS

def test_https_trusted_through_ca_cert(https_server, test_ca):
    r = probe(spec(https_server.port, "HTTPS", ca_cert=test_ca.ca_pem, receive_string="SUCCESS"))
    assert (r.ok, r.reason) == (True, "HTTP 200")


def test_https_rejected_without_ca_cert(https_server):
    r = probe(spec(https_server.port, "HTTPS"))
    assert not r.ok
    assert r.reason.startswith("certificate verify failed: ")
    assert "self-signed" in r.reason or "unable to get local issuer" in r.reason


def test_https_accepted_with_insecure(https_server):
    assert probe(spec(https_server.port, "HTTPS", insecure=True)).ok


def test_https_host_header_is_sni_and_verified_name(https_server, test_ca):
    good = spec(https_server.port, "HTTPS", ca_cert=test_ca.ca_pem, headers={"Host": "kosmos.test"})
    assert probe(good).ok
    bad = spec(https_server.port, "HTTPS", ca_cert=test_ca.ca_pem, headers={"Host": "other.test"})
    r = probe(bad)
    assert not r.ok and r.reason.startswith("certificate verify failed: ")
    assert "other.test" in r.reason


def test_https_against_plain_http_port_fails_cleanly(http_server, test_ca):
    r = probe(spec(http_server.port, "HTTPS", ca_cert=test_ca.ca_pem))
    assert not r.ok and r.reason


def test_https_peer_that_never_handshakes_times_out(silent_peer):
    r = probe(spec(silent_peer.port, "HTTPS", insecure=True, timeout=0.3))
    assert (r.ok, r.reason) == (False, "timeout after 0.3s")


def test_ipv6_members_are_probed(ipv6_http_server):
    s = spec(ipv6_http_server.port, address="::1", url_path="/echo",
             receive_string=f"Host: [::1]:{ipv6_http_server.port}\r\n")
    assert probe(s).ok
    assert probe(spec(ipv6_http_server.port, "TCP", address="::1")).ok


# --------------------------------------------------------------------------- TCP

def test_tcp_accepts(http_server):
    r = probe(spec(http_server.port, "TCP"))
    assert (r.ok, r.reason) == (True, "connected")


def test_tcp_closed_port(closed):
    assert probe(spec(closed, "TCP")).reason == "connection refused"


def test_tcp_hanging_peer_times_out(hanging_listener):
    started = time.perf_counter()
    r = probe(spec(hanging_listener.port, "TCP", timeout=0.4))
    assert (r.ok, r.reason) == (False, "timeout after 0.4s")
    assert time.perf_counter() - started < 1.5


# --------------------------------------------------------------------------- guard, plugins

@pytest.mark.parametrize("address,why", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("0.0.0.0", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("::ffff:169.254.169.254", "link-local")])
def test_guard_refuses_by_default_and_says_why(address, why):
    r = probe(spec(80, address=address), guard=Guard())
    assert not r.ok and r.reason.startswith("refused: ") and why in r.reason


def test_guard_refuses_denied_ranges(http_server):
    guard = Guard(allow_loopback=True, deny=__import__("kosmos.probes.guard", fromlist=["x"])
                  .parse_cidrs(["127.0.0.0/8"]))
    r = probe(spec(http_server.port), guard=guard)
    assert r.reason == "refused: 127.0.0.1 is in denied range 127.0.0.0/8"


def test_unknown_monitor_type_says_so():
    r = probe(spec(80, "GOPHER", address="192.0.2.1"))
    assert not r.ok and "GOPHER" in r.reason


def test_unresolved_member_has_no_address():
    s = spec(80).model_copy(update={"address": None})
    runner = Prober(load_checks(), Guard(allow_loopback=True))
    with asyncio.Runner(loop_factory=LOOP["factory"]) as loop:
        r = loop.run(runner.run(Target(None, 80, s), NOW))
    assert (r.ok, r.reason) == (False, "no address to probe (endpoints not resolved)")


def test_timeouts_leave_no_unretrieved_errors_behind(silent_peer, https_server):
    import gc

    errors = []

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: errors.append(ctx))
        runner = Prober(load_checks(), Guard(allow_loopback=True))
        specs = [spec(silent_peer.port, "HTTPS", insecure=True, timeout=0.2),
                 spec(silent_peer.port, timeout=0.2),
                 spec(https_server.port, "HTTPS", timeout=0.2)]  # fails verification
        for s in specs * 5:
            await runner.run(Target(s.address, s.port, s), NOW)
        await asyncio.sleep(0.1)
        gc.collect()
        await asyncio.sleep(0.1)

    with asyncio.Runner(loop_factory=LOOP["factory"]) as loop:
        loop.run(main())
    assert errors == []
