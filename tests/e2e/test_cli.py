"""``openstack gslb ...`` (the kosmos_osc plugin of OpenStackClient) against the runner:
in noauth mode, and through a real Keystone's catalog with a real token."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kosmos_local.harness import ADDRESSES, wait_for

pytestmark = pytest.mark.e2e

OPENSTACK = Path(sys.executable).with_name("openstack")


def cli(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "KOSMOS_"))}
    proc = subprocess.run([str(OPENSTACK), *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, f"openstack {' '.join(args)}: {proc.stderr}"
    return proc


def as_json(env: dict[str, str], *args: str):
    return json.loads(cli(env, *args, "-f", "json").stdout)


@pytest.fixture
def noauth(start_runner):
    if not OPENSTACK.exists():
        pytest.fail(f"the openstack command is not installed next to {sys.executable}")
    runner = start_runner()
    return runner, {"OS_AUTH_TYPE": "none", "OS_ENDPOINT": runner.url,
                    "OS_PROJECT_ID": "cli-project"}


def test_the_cli_drives_every_resource_against_the_runner(noauth, endpoints):
    runner, env = noauth
    port = endpoints[ADDRESSES[0]].port
    mon = as_json(env, "gslb", "monitor", "create", "web-tcp", "--type", "TCP", "--delay", "2",
                  "--timeout", "1", "--max-retries-down", "2")
    assert mon["type"] == "TCP" and mon["delay"] == 2
    pool = as_json(env, "gslb", "pool", "create", "web", "--monitor", "web-tcp")   # by name
    assert pool["monitor_ids"] == [mon["id"]]
    for i, address in enumerate(ADDRESSES[:2]):
        member = as_json(env, "gslb", "member", "create", "web", f"m{i}", "--address", address,
                         "--port", str(port))
        assert member["address"] == address
    gslb = as_json(env, "gslb", "create", "www", "--fqdn", "www.cli.example.com.",
                   "--zone", "example.com.", "--ttl", "30", "--pool", "web:1")
    assert gslb["pools"] == [{"pool_id": pool["id"], "priority": 1}]

    listed = as_json(env, "gslb", "list")
    assert [g["id"] for g in listed] == [gslb["id"]]
    value = cli(env, "gslb", "show", "www", "-f", "value", "-c", "fqdn").stdout.strip()
    assert value == "www.cli.example.com."
    assert "www.cli.example.com." in cli(env, "gslb", "list", "-f", "table").stdout
    wait_for(lambda: sorted(as_json(env, "gslb", "show", gslb["id"])["answers"]) ==
             sorted(ADDRESSES[:2]), timeout=30)
    # the status rolls up every region's fresh verdicts: ONLINE once each has reported
    wait_for(lambda: as_json(env, "gslb", "status", "show", "www")["operating_status"]
             == "ONLINE", timeout=30)
    history = as_json(env, "gslb", "history", "list", "www", "--limit", "10")
    assert history and all(h["reason"] for h in history)
    assert {a["name"] for a in as_json(env, "gslb", "appliance", "list")} >= {"local"}

    changed = as_json(env, "gslb", "set", "www", "--ttl", "60")
    assert changed["ttl"] == 60 and changed["version"] == 2
    members = as_json(env, "gslb", "member", "list", "web")
    assert len(members) == 2
    # errors name the field, and exit non-zero
    bad = cli(env, "gslb", "set", "www", "--ttl", "-5", ok=False)
    assert bad.returncode != 0 and "ttl" in bad.stderr
    missing = cli(env, "gslb", "show", "nothing-named-so", ok=False)
    assert missing.returncode != 0 and "no gslb named" in missing.stderr

    quota = as_json(env, "gslb", "quota", "show")
    assert quota["in_use"]["gslbs"] == 1
    refused = cli(env, "gslb", "quota", "set", "cli-project", "--gslbs", "1", ok=False)
    assert refused.returncode != 0 and "403" in refused.stderr
    admin = {**env, "OS_GSLB_ROLES": "admin"}
    assert as_json(admin, "gslb", "quota", "set", "cli-project", "--gslbs", "1")["gslbs"] == 1
    over = cli(env, "gslb", "create", "two", "--fqdn", "two.cli.example.com.",
               "--zone", "example.com.", "--pool", "web", ok=False)
    assert over.returncode != 0 and "QuotaExceeded" in over.stderr
    cli(admin, "gslb", "quota", "reset", "cli-project")
    assert as_json(admin, "gslb", "dead", "letter", "list") == []

    hook = as_json(env, "gslb", "webhook", "create", "pager", "--url", "https://hooks.example.org/x",
                   "--event", "gslb.answer.changed", "--secret", "s" * 32)
    assert hook["events"] == ["gslb.answer.changed"]
    assert as_json(env, "gslb", "webhook", "delivery", "list", "pager") == []
    cli(env, "gslb", "webhook", "delete", "pager")
    cli(env, "gslb", "delete", "www")
    cli(env, "gslb", "member", "delete", "web", "m0", "m1")
    cli(env, "gslb", "pool", "delete", "web")
    cli(env, "gslb", "monitor", "delete", "web-tcp")
    assert as_json(env, "gslb", "list") == [] and as_json(env, "gslb", "monitor", "list") == []


@pytest.mark.openstack
def test_the_cli_finds_the_api_in_the_keystone_catalog(start_runner, keystone, tmp_path):
    from fixtures.openstack.keystone import PASSWORD, terraform_roles

    roles = terraform_roles()
    deployer = keystone.user(keystone.project("kosmos-cli"), roles=tuple(roles))
    service = keystone.clouds_yaml(tmp_path / "clouds.yaml", deployer, roles)
    runner = start_runner(extra=["--auth", "keystone"],
                          env={"OS_CLIENT_CONFIG_FILE": str(service), "KOSMOS_CLOUD": "kosmos"})
    keystone.register_service("kosmos", "kosmos-service-password", "gslb", runner.url + "/v1")
    user = keystone.user(keystone.project())
    env = {"OS_AUTH_URL": keystone.auth_url, "OS_USERNAME": user.name, "OS_PASSWORD": PASSWORD,
           "OS_PROJECT_ID": user.project_id, "OS_USER_DOMAIN_ID": "default",
           "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"}
    mon = as_json(env, "gslb", "monitor", "create", "m", "--type", "TCP", "--delay", "5",
                  "--timeout", "2")
    assert mon["project_id"] == user.project_id                  # the token's project
    assert [m["id"] for m in as_json(env, "gslb", "monitor", "list")] == [mon["id"]]
    other = keystone.user(keystone.project())
    env2 = {**env, "OS_USERNAME": other.name, "OS_PROJECT_ID": other.project_id}
    assert as_json(env2, "gslb", "monitor", "list") == []        # another project sees nothing
    wrong = cli({**env, "OS_PASSWORD": "wrong"}, "gslb", "monitor", "list", ok=False)
    assert wrong.returncode != 0
