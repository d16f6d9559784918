"""The Terraform modules parsed with python-hcl2: the rules every module keeps."""
from __future__ import annotations

import re

import pytest

SECRET_NAME = re.compile(r"(password|token|secret|clouds_yaml|api_key|signing_key)$")
SECRET_VALUE = re.compile(r"random_password\.|\.secret\b|clouds_yaml|conductor_token|signing_key|database_url")


def test_every_module_directory_is_parsed(tf_modules):
    names = set(tf_modules)
    for expected in ("modules/global", "modules/regional", "modules/naming", "modules/schedules",
                     "modules/regions", "modules/knative-function", "examples/two-regions"):
        assert expected in names


def test_every_openstack_resource_names_its_region(tf_modules):
    seen = 0
    for module in tf_modules.values():
        for (rtype, rname), body in {**module.resources, **module.data}.items():
            if rtype.startswith("openstack_"):
                seen += 1
                assert "region" in body, f"{module.name}: {rtype}.{rname} does not set region"
                assert body["region"].startswith("${var."), f"{rtype}.{rname}: region must come from a variable"
    # The database instance, database, user, zone and application credential.
    assert seen >= 5


def test_the_global_module_creates_the_openstack_parts(tf_modules):
    types = {rtype for rtype, _ in tf_modules["modules/global"].resources}
    assert {"openstack_db_instance_v1", "openstack_db_database_v1", "openstack_db_user_v1",
            "openstack_dns_zone_v2", "openstack_identity_application_credential_v3"} <= types


def test_every_variable_is_typed_and_described(tf_modules):
    for module in tf_modules.values():
        for name, body in module.variables.items():
            assert body.get("type"), f"{module.name}: variable {name} has no type"
            assert len(body.get("description", "")) >= 10, f"{module.name}: variable {name} has no description"


def test_every_required_module_input_is_validated(tf_modules):
    for module in tf_modules.values():
        if module.name.startswith("examples/"):
            continue  # the example passes its inputs to the modules, which validate them
        for name, body in module.variables.items():
            if "default" not in body:
                assert body.get("validation"), f"{module.name}: required variable {name} has no validation"


def test_secret_variables_are_sensitive_and_have_no_default(tf_modules):
    found = 0
    for module in tf_modules.values():
        for name, body in module.variables.items():
            if SECRET_NAME.search(name):
                found += 1
                assert body.get("sensitive") is True, f"{module.name}: variable {name} must be sensitive"
                assert body.get("default") is None, f"{module.name}: variable {name} has a default secret"
    assert found >= 2  # the regional module's conductor_token and clouds_yaml


def test_outputs_carrying_secrets_are_sensitive(tf_modules):
    secret_outputs = 0
    for module in tf_modules.values():
        for name, body in module.outputs.items():
            assert body.get("description"), f"{module.name}: output {name} has no description"
            if SECRET_VALUE.search(str(body["value"])):
                secret_outputs += 1
                assert body.get("sensitive") is True, f"{module.name}: output {name} exposes a secret"
    assert secret_outputs >= 2


def test_no_literal_secret_anywhere(tf_modules):
    # Generated secrets only: random_password for the database and the conductor.
    for module in tf_modules.values():
        for key in re.findall(r'(?m)^\s*(\w*(?:password|secret|token)\w*)\s*=\s*"[^"$]*"', module.text):
            pytest.fail(f"{module.name}: {key} is set to a literal string")
    passwords = tf_modules["modules/global"].resources
    assert ("random_password", "db") in passwords and ("random_password", "conductor_token") in passwords


@pytest.mark.parametrize("module,outputs", [
    ("modules/global", {"api_url", "zone_name", "checker_names"}),
    ("modules/regional", {"checker_name"}),
    ("examples/two-regions", {"api_url", "zone_name", "checker_names"}),
])
def test_outputs_give_the_api_url_the_zone_and_the_checkers(tf_modules, module, outputs):
    assert outputs <= set(tf_modules[module].outputs)


def test_example_deploys_two_regions_through_the_fan_out(tf_modules):
    example = tf_modules["examples/two-regions"]
    regional = [b for b in example.modules.values() if b["source"].endswith("modules/regional")]
    assert len(regional) == 2
    assert {b["region"] for b in regional} == {
        "${module.regions.by_region[var.regions[0]]}", "${module.regions.by_region[var.regions[1]]}"}
    assert any(b["source"].endswith("modules/global") for b in example.modules.values())


def test_references_resolve_within_each_module(tf_modules, hcl):
    """What `terraform validate` would catch first, checked without providers."""
    for module in tf_modules.values():
        text = re.sub(r"(?m)#.*$", "", module.text)
        for var in set(re.findall(r"\bvar\.([a-z0-9_]+)", text)):
            assert var in module.variables, f"{module.name}: var.{var} is not declared"
        for local in set(re.findall(r"\blocal\.([a-z0-9_]+)", text)):
            assert local in module.locals, f"{module.name}: local.{local} is not defined"
        for name, output in set(re.findall(r"\bmodule\.([a-z0-9_]+)\.([a-z0-9_]+)", text)):
            assert name in module.modules, f"{module.name}: module.{name} is not declared"
            child = (module.path / module.modules[name]["source"]).resolve()
            child_outputs = tf_modules[child.relative_to(hcl.TERRAFORM).as_posix()].outputs
            assert output in child_outputs, f"{module.name}: module.{name} has no output {output}"
        for rtype, rname in set(re.findall(r"\b((?:openstack|kubernetes|random)_[a-z0-9_]+)\.([a-z0-9_]+)\b", text)):
            if rtype.startswith(("openstack_", "kubernetes_", "random_")) and not text.count(f'"{rtype}" "{rname}"'):
                pytest.fail(f"{module.name}: {rtype}.{rname} is referenced but not declared")
        for call, block in module.modules.items():
            child = (module.path / block["source"]).resolve()
            child_module = tf_modules[child.relative_to(hcl.TERRAFORM).as_posix()]
            args = set(block) - {"source", "providers", "depends_on", "count", "for_each", "version"}
            unknown = args - set(child_module.variables)
            assert not unknown, f"{module.name}: module {call} passes unknown inputs {unknown}"
            missing = {v for v, b in child_module.variables.items() if "default" not in b} - args
            assert not missing, f"{module.name}: module {call} lacks required inputs {missing}"


def test_the_api_is_in_the_keystone_catalog_by_default(tf_modules):
    module = tf_modules["modules/global"]
    service = module.resources[("openstack_identity_service_v3", "gslb")]
    endpoints = module.resources[("openstack_identity_endpoint_v3", "gslb")]
    assert service["type"] == "gslb" and "var.register_catalog" in service["count"]
    assert module.variables["register_catalog"]["default"] is True
    assert "public" in endpoints["for_each"] and "internal" in endpoints["for_each"]
    assert endpoints["interface"] == "${each.key}"
    assert endpoints["url"] == '${module.names.public_urls["api"]}/v1'
