"""The terraform binary on the modules: formatting, `terraform test` of the
provider-free modules, and their payloads read back against the contracts."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kosmos.contracts.events import CheckTick, EngineReconcile


def run(terraform: str, cwd: Path, *args: str, stdin: str | None = None, home: Path) -> str:
    """Run terraform offline: a blank CLI config, so no mirror or network setting applies."""
    config = home / "terraformrc"
    config.touch()
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1",
           "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
    done = subprocess.run([terraform, *args], cwd=cwd, env=env, input=stdin, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, f"terraform {' '.join(args)} in {cwd}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def modules_copy(tmp_path_factory, hcl) -> Path:
    """The modules in a scratch directory, so init leaves nothing in the tree."""
    dest = tmp_path_factory.mktemp("tf") / "modules"
    shutil.copytree(hcl.MODULES, dest, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl"))
    return dest


def test_fmt_check_passes(terraform_bin, hcl, tmp_path):
    run(terraform_bin, hcl.TERRAFORM, "fmt", "-check", "-recursive", "-diff", ".", home=tmp_path)


@pytest.mark.parametrize("name", ["naming", "schedules", "regions"])
def test_pure_module_initialises_offline_and_passes_its_tests(terraform_bin, modules_copy, name, tmp_path):
    module = modules_copy / name
    assert list((module / "tests").glob("*.tftest.hcl")), f"{name} has no terraform test files"
    run(terraform_bin, module, "init", "-backend=false", "-input=false", home=tmp_path)
    out = run(terraform_bin, module, "test", "-no-color", home=tmp_path)
    assert "0 failed" in out and " passed" in out, out


def console(terraform: str, module: Path, expression: str, home: Path, *var_args: str):
    """The JSON value of an expression in a pure module."""
    run(terraform, module, "init", "-backend=false", "-input=false", home=home)
    out = run(terraform, module, "console", *var_args, stdin=f"jsonencode({expression})\n", home=home)
    return json.loads(json.loads(out.strip()))


def test_tick_payloads_are_check_ticks_once_the_checker_adds_the_time(terraform_bin, modules_copy, tmp_path):
    ticks = console(terraform_bin, modules_copy / "schedules", "local.tick_data", tmp_path,
                    "-var", 'regions=["RegionOne","Region_Two"]', "-var", "tick_period=120")
    assert sorted(ticks) == ["RegionOne", "Region_Two"]
    now = datetime.now(timezone.utc)
    for region, data in ticks.items():
        tick = CheckTick.model_validate({**json.loads(data), "scheduled_at": now.isoformat()})
        assert tick.region == region
        assert tick.period == 120


def test_reconcile_payload_is_an_engine_reconcile(terraform_bin, modules_copy, tmp_path):
    data = console(terraform_bin, modules_copy / "schedules", "local.reconcile_data", tmp_path)
    assert EngineReconcile.model_validate(json.loads(data)).scope == "all"


def test_region_fan_out_feeds_each_checker_its_own_region(terraform_bin, modules_copy, tmp_path, tf_modules):
    by_region = console(terraform_bin, modules_copy / "regions", "local.by_region", tmp_path,
                        "-var", 'regions=["RegionOne","RegionTwo"]')
    # Each entry has exactly the attributes the regional module's `region` input declares.
    declared = set(re.findall(r"(\w+)\s*=", tf_modules["modules/regional"].variables["region"]["type"]))
    names = {c["checker_name"] for c in by_region.values()}
    assert len(names) == 2
    for region, entry in by_region.items():
        assert set(entry) == declared
        assert json.loads(entry["tick_data"])["region"] == region
        assert entry["checker_timeout_seconds"] > entry["tick_period"]
        assert entry["broker_url"].endswith("/" + entry["broker_name"])
