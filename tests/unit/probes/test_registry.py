"""Plugin discovery through the ``kosmos.probes`` entry point group."""
from __future__ import annotations

import asyncio
import textwrap
from datetime import datetime, timezone

from kosmos.checker.prober import Prober
from kosmos.probes.base import Check, Target
from kosmos.probes.guard import Guard
from kosmos.probes.registry import available, load_check_class, load_checks
from kosmos.contracts.events import CheckSpec, MonitorSpec

PLUGIN = '''
from kosmos.probes.base import Check, Outcome

class EchoCheck(Check):
    name = "ECHO"
    probes_address = False

    async def probe(self, target):
        return Outcome(target.port % 2 == 0, f"echo {target.port} {self.deps.get('flavour')}", 1.5)
'''


def install_plugin(tmp_path, monkeypatch, entries: str) -> None:
    """A tiny installed distribution: a module plus a dist-info naming its entry points."""
    (tmp_path / "kosmos_echo_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "kosmos_echo_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kosmos-echo-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[kosmos.probes]\n{entries}\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_builtins_are_registered_as_entry_points():
    assert {"HTTP", "HTTPS", "TCP", "PING", "OCTAVIA"} <= set(available())
    for name in ("HTTP", "HTTPS", "TCP", "PING", "OCTAVIA"):
        assert issubclass(load_check_class(name), Check)
        assert load_check_class(name).name == name


def test_a_deployers_plugin_is_discovered_and_used(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ECHO = kosmos_echo_plugin:EchoCheck")
    checks = load_checks(None, flavour="vanilla")
    assert "ECHO" in checks and "HTTP" in checks
    spec = CheckSpec(member_id="m", pool_id="p", project_id="x", address=None, port=8,
                     monitor=MonitorSpec(id="mon", type="ECHO", delay=5, timeout=1,
                                         max_retries=1, max_retries_down=1))
    result = asyncio.run(Prober(checks, Guard()).run(
        Target(None, 8, spec), datetime(2030, 1, 1, tzinfo=timezone.utc)))
    assert (result.ok, result.reason, result.latency_ms) == (True, "echo 8 vanilla", 1.5)


def test_a_broken_plugin_is_skipped_not_fatal(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch,
                   "ECHO = kosmos_echo_plugin:EchoCheck\nBROKEN = kosmos_no_such_module:Nope")
    checks = load_checks()
    assert "ECHO" in checks and "BROKEN" not in checks and "HTTP" in checks
