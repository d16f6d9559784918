"""Each function's environment, as the Terraform modules set it, against the
settings model the code reads (kosmos.config.Settings)."""
from __future__ import annotations

import json
import re

import pytest

from kosmos.config import Settings
from kosmos.contracts.events import (CHECK_BATCH, CHECK_RESULTS, CHECK_TICK, ENGINE_DECIDE,
                                     ENGINE_RECONCILE)

KOSMOS_NAME = re.compile(r"^KOSMOS_[A-Z0-9_]+$")

# What each role reads; the deployment must set these (not rely on local defaults).
REQUIRED = {
    "api": {"conductor_url", "conductor_token", "auth_strategy", "keystone_auth_url", "cloud"},
    "conductor": {"database_url", "database_auto_migrate", "conductor_token", "emitter",
                  "broker_url"},
    "checker": {"region", "conductor_url", "conductor_token", "broker_url", "emitter", "regions", "cloud"},
    "engine": {"conductor_url", "conductor_token", "regions", "appliance", "quorum", "stale_intervals", "cloud",
               "emitter", "broker_url"},
}
# Settings whose values are secrets: only ever from a Kubernetes Secret.
SECRET_SETTINGS = {"database_url", "conductor_token", "powerdns_api_key", "event_signing_key"}


def setting(env_name: str) -> str:
    return env_name.removeprefix("KOSMOS_").lower()


@pytest.fixture(scope="module")
def functions(tf_modules, hcl):
    """function => (module, env, secret_env) for every knative-function call."""
    found = {}
    for module in tf_modules.values():
        for block in module.modules.values():
            if hcl.module_source(block) == "knative-function":
                assert block["function"] not in found, f"{block['function']} is deployed twice"
                found[block["function"]] = (module, block.get("env", {}), block.get("secret_env", {}))
    return found


def test_all_four_functions_are_deployed(functions):
    assert set(functions) == {"api", "conductor", "checker", "engine"}


def test_every_kosmos_name_in_the_terraform_is_a_setting(tf_modules, hcl):
    fields = set(Settings.model_fields)
    names = set()
    for module in tf_modules.values():
        parsed = [module.locals, module.modules, module.resources, module.outputs]
        names |= {v for v in hcl.walk(parsed) if isinstance(v, str) and KOSMOS_NAME.match(v)}
        names |= set(re.findall(r"\b(KOSMOS_[A-Z0-9_]+)\s*=", module.text))
        names |= set(re.findall(r'name\s*=\s*"(KOSMOS_[A-Z0-9_]+)"', module.text))
    assert names, "no KOSMOS_ setting found in the modules"
    unknown = sorted(n for n in names if setting(n) not in fields)
    assert not unknown, f"not fields of kosmos.config.Settings: {unknown}"


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_each_function_gets_what_its_role_reads(functions, function):
    _, env, secret_env = functions[function]
    given = {setting(n) for n in [*env, *secret_env]}
    missing = REQUIRED[function] - given
    assert not missing, f"{function} lacks {sorted(missing)}"


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_secrets_come_from_kubernetes_secrets(functions, function):
    _, env, secret_env = functions[function]
    assert not SECRET_SETTINGS & {setting(n) for n in env}, f"{function} has a secret in plain env"
    for name, ref in secret_env.items():
        assert set(ref) == {"secret", "key"}, f"{function}: {name} must name a secret and a key"


def test_only_the_conductor_sees_the_database(functions):
    for function, (_, env, secret_env) in functions.items():
        if function != "conductor":
            assert "KOSMOS_DATABASE_URL" not in {**env, **secret_env}


def test_production_conductor_leaves_migrations_to_the_job(functions, tf_modules):
    _, env, _ = functions["conductor"]
    assert Settings(database_auto_migrate=env["KOSMOS_DATABASE_AUTO_MIGRATE"]).database_auto_migrate is False
    job = tf_modules["modules/global"].resources[("kubernetes_job_v1", "migrate")]
    container = job["spec"][0]["template"][0]["spec"][0]["container"][0]
    assert container["command"] == ["python", "-m", "kosmos.conductor.migrate", "upgrade"]
    assert container["image"] == "${local.images.conductor}"
    assert job["wait_for_completion"] is True
    calls = tf_modules["modules/global"].modules
    assert "${kubernetes_job_v1.migrate}" in calls["conductor"]["depends_on"]
    # and the conductor's clients roll after it
    for client in ("api", "engine"):
        assert "${module.conductor}" in calls[client]["depends_on"]


def test_checker_publishes_over_http_to_its_region_broker(functions):
    _, env, _ = functions["checker"]
    assert env["KOSMOS_EMITTER"] == "http"
    assert env["KOSMOS_BROKER_URL"] == "${var.region.broker_url}"
    assert env["KOSMOS_REGION"] == "${var.region.name}"


def test_checker_request_outlasts_its_tick(tf_modules):
    call = tf_modules["modules/regional"].modules["checker"]
    assert call["timeout_seconds"] == "${var.region.checker_timeout_seconds}"
    validation = tf_modules["modules/regional"].variables["region"]["validation"][0]["condition"]
    assert "checker_timeout_seconds > var.region.tick_period" in validation


def resolve(value: str, module) -> str | None:
    """The value a plain variable reference takes with the variable's default, as an env string."""
    if not value.startswith("${"):
        return value
    match = hcl_simple_var.match(value)
    if not match or "default" not in module.variables.get(match.group(2), {}):
        return None
    func, default = match.group(1), module.variables[match.group(2)]["default"]
    if default is None:
        return None
    if func == "jsonencode":
        return json.dumps(default)
    if isinstance(default, bool):
        return str(default).lower()
    return str(default)


hcl_simple_var = re.compile(r"^\$\{(?:(tostring|jsonencode)\()?var\.([a-z0-9_]+)\)?\}$")


@pytest.mark.parametrize("function", sorted(REQUIRED))
def test_literal_and_default_values_parse_as_settings(functions, function, monkeypatch):
    """What a deployment with default inputs hands the function, read by Settings itself."""
    module, env, _ = functions[function]
    for name in list(__import__("os").environ):
        if name.startswith("KOSMOS_"):
            monkeypatch.delenv(name)
    resolved = {n: resolve(v, module) for n, v in env.items()}
    checked = {n: v for n, v in resolved.items() if v is not None}
    assert checked, f"no value of {function}'s environment could be resolved"
    for name, value in checked.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    for name, value in checked.items():
        assert getattr(settings, setting(name)) is not None, name


def test_triggers_route_every_event_type_to_its_function(tf_modules):
    routes: dict[str, set[str]] = {}
    for module in (tf_modules["modules/global"], tf_modules["modules/regional"]):
        for (rtype, _), body in module.resources.items():
            manifest = body.get("manifest", {})
            if rtype != "kubernetes_manifest" or manifest.get("kind") != "Trigger":
                continue
            attrs = manifest["spec"]["filter"]["attributes"]
            event_type = attrs.get("kosmostype", attrs["type"])
            subscriber = json.dumps(manifest["spec"]["subscriber"])
            target = "checker" if "checker_ref" in subscriber else "engine" if "engine" in subscriber else "?"
            routes.setdefault(event_type, set()).add(target)
    assert routes == {CHECK_TICK: {"checker"}, CHECK_BATCH: {"checker"},
                      CHECK_RESULTS: {"engine"}, ENGINE_RECONCILE: {"engine"},
                      ENGINE_DECIDE: {"engine"}}


def test_ping_sources_mark_the_kosmos_type_their_triggers_match(tf_modules):
    """PingSource events are typed dev.knative.sources.ping; the kosmostype extension carries ours."""
    marked = {}
    for module in (tf_modules["modules/global"], tf_modules["modules/regional"]):
        for (rtype, _), body in module.resources.items():
            manifest = body.get("manifest", {})
            if rtype == "kubernetes_manifest" and manifest.get("kind") == "PingSource":
                marked[manifest["spec"]["ceOverrides"]["extensions"]["kosmostype"]] = manifest["spec"]
    assert set(marked) == {CHECK_TICK, ENGINE_RECONCILE}
    assert marked[CHECK_TICK]["data"] == "${var.region.tick_data}"
    assert marked[ENGINE_RECONCILE]["data"] == "${module.schedules.reconcile_data}"


def test_every_function_that_emits_or_acts_on_events_has_the_signing_key(functions):
    """Conductor (decide), engine (shards, rechecks; acts on results) and checker (results,
    batches; acts on batches) sign and check with one key, from a secret; the api has no
    use for it."""
    for function in ("conductor", "engine", "checker"):
        _, env, secret_env = functions[function]
        assert "KOSMOS_EVENT_SIGNING_KEY" in secret_env, f"{function} cannot sign its events"
        assert secret_env["KOSMOS_EVENT_SIGNING_KEY"]["key"] == "event_signing_key"
    assert "KOSMOS_EVENT_SIGNING_KEY" not in functions["api"][2]
