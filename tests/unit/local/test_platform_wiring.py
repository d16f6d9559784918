"""Event routing, the functions' environment and the CLI's flags."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kosmos.config import Settings
from kosmos.contracts.events import (CHECK_BATCH, CHECK_RESULTS, CHECK_TICK, ENGINE_DECIDE,
                                     ENGINE_RECONCILE)
from kosmos_local.events import Envelope
from kosmos_local.hooks import dns_state_path
from kosmos_local.options import RunnerOptions, function_env
from kosmos_local.platform import subscriber_for

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("etype,region,expected", [
    (CHECK_TICK, "RegionTwo", "checker-RegionTwo-ticks"),   # never behind the batches
    (CHECK_TICK, "Elsewhere", None),
    (CHECK_BATCH, "RegionOne", "checker-RegionOne"),
    (CHECK_BATCH, "Elsewhere", None),
    (CHECK_RESULTS, "RegionTwo", "engine"),
    (ENGINE_RECONCILE, None, "engine-reconcile"),   # a lane of its own
    (ENGINE_DECIDE, None, "engine"),
    ("kosmos.unknown", "RegionOne", None),
])
def test_events_go_to_the_function_that_subscribes(etype, region, expected):
    data = {"region": region} if region else {}
    assert subscriber_for(Envelope(type=etype, data=data), ["RegionOne", "RegionTwo"]) == expected


def test_function_env_is_valid_settings(monkeypatch, tmp_path):
    opts = RunnerOptions(functions_dir=tmp_path, regions=["A", "B", "C"], db="sqlite:///x.db",
                         tick=0.5)
    env = function_env(opts, "http://127.0.0.1:1234/", "http://127.0.0.1:5380",
                       "http://127.0.0.1:4321/")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = Settings()
    assert s.regions == ["A", "B", "C"] and s.database_url == "sqlite:///x.db"
    assert s.allow_loopback and s.auth_strategy == "noauth" and s.emitter == "http"
    assert s.appliance == "local" and s.local_dns_url == "http://127.0.0.1:5380"
    assert s.conductor_url == "http://127.0.0.1:1234/"
    assert s.broker_url == "http://127.0.0.1:4321/"
    assert json.loads(env["KOSMOS_REGIONS"]) == ["A", "B", "C"]


def test_options_refuse_nonsense(tmp_path):
    with pytest.raises(ValueError, match="--regions"):
        RunnerOptions(functions_dir=tmp_path, regions=["A", "A"])
    with pytest.raises(ValueError, match="not in --regions"):
        RunnerOptions(functions_dir=tmp_path, regions=["A"], cut_regions=["B"])
    with pytest.raises(ValueError, match="--tick"):
        RunnerOptions(functions_dir=tmp_path, tick=0)


def test_dns_state_lives_next_to_a_sqlite_file():
    assert dns_state_path("sqlite:///tmp/k.sqlite3") == "tmp/k.sqlite3.dns.json"
    assert dns_state_path("sqlite:////abs/k.db") == "/abs/k.db.dns.json"
    assert dns_state_path("postgresql+pg8000://u@h/db") == "kosmos-dns.json"


def test_cli_flags_and_defaults():
    sys.path.insert(0, str(ROOT / "local"))
    try:
        import runner
    finally:
        sys.path.pop(0)
    o = runner.parse_args([])
    assert (o.host, o.port, o.dns_port, o.regions, o.appliance, o.auth, o.tick) == (
        "127.0.0.1", 8080, 5353, ["RegionOne", "RegionTwo"], "local", "noauth", 1.0)
    assert o.db.startswith("sqlite:///")
    o = runner.parse_args(["--regions", "A,B,C", "--cut-region", "B", "--tick", "0.5",
                           "--appliance", "powerdns", "--auth", "keystone", "--db", "sqlite:///y"])
    assert o.regions == ["A", "B", "C"] and o.cut_regions == ["B"] and o.tick == 0.5
    assert o.allow_loopback is True and runner.parse_args(["--no-loopback"]).allow_loopback is False
    with pytest.raises(SystemExit):
        runner.parse_args(["--appliance", "bind"])
    with pytest.raises(SystemExit):
        runner.parse_args(["--regions", "A", "--fail-region", "Z"])


def test_checker_processes_share_the_cores_out_over_the_regions(tmp_path, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert RunnerOptions(functions_dir=tmp_path, regions=["A"]).checkers == 4
    assert RunnerOptions(functions_dir=tmp_path, regions=["A", "B"]).checkers == 2
    assert RunnerOptions(functions_dir=tmp_path, regions=["A", "B", "C"]).checkers == 1
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert RunnerOptions(functions_dir=tmp_path, regions=["A"]).checkers == 4   # at most 4
    assert RunnerOptions(functions_dir=tmp_path, regions=["A"], checker_instances=3).checkers == 3
    with pytest.raises(ValueError, match="--checker-instances"):
        RunnerOptions(functions_dir=tmp_path, checker_instances=17)


def test_checkers_run_at_a_lower_cpu_priority_than_the_other_functions(tmp_path):
    assert RunnerOptions(functions_dir=tmp_path).checker_nice == 10
    with pytest.raises(ValueError, match="--checker-nice"):
        RunnerOptions(functions_dir=tmp_path, checker_nice=20)
    sys.path.insert(0, str(ROOT / "local"))
    try:
        import runner
    finally:
        sys.path.pop(0)
    assert runner.parse_args(["--checker-nice", "0"]).checker_nice == 0
