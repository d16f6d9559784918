"""Policy rules: defaults in code, oslo.policy-style strings, an override file."""
from __future__ import annotations

import json

import pytest

from kosmos.api.policy import Policy
from kosmos.errors import Forbidden, ValidationError


def test_defaults_reader_member_admin():
    p = Policy()
    assert p.check("gslb:get_one", ["reader"]) and not p.check("gslb:post", ["reader"])
    assert p.check("gslb:post", ["member"]) and not p.check("gslb:get_all_global", ["member"])
    assert p.check("gslb:get_all_global", ["admin"]) and p.check("gslb:delete", ["Admin"])
    assert not p.check("gslb:get_one", []) and not p.check("no:such_rule", ["admin"])
    with pytest.raises(Forbidden):
        p.enforce("pool:put", ["reader"])
    assert p.is_admin(["admin"]) and not p.is_admin(["member"])


@pytest.mark.parametrize("rule,roles,expected", [
    ("role:a or role:b", ["b"], True),
    ("role:a and role:b", ["b"], False),
    ("role:a and (role:b or role:c)", ["a", "c"], True),
    ("not role:a", ["a"], False),
    ("not role:a and role:b", ["b"], True),
    ("@", [], True),
    ("!", ["admin"], False),
    ("", [], True),
    ("rule:admin or role:ops", ["ops"], True),
])
def test_rule_strings(rule, roles, expected):
    assert Policy({"x": rule}).check("x", roles) is expected


@pytest.mark.parametrize("rule", ["role:a or", "(role:a", "role:", "tenant:x", "role:a role:b )"])
def test_bad_rules_are_named(rule):
    with pytest.raises(ValidationError) as exc:
        Policy({"gslb:post": rule})
    assert "gslb:post" in exc.value.message


def test_self_referencing_rule_denies_instead_of_looping():
    assert Policy({"a": "rule:a"}).check("a", ["admin"]) is False


def test_policy_file_overrides_defaults(tmp_path):
    yml = tmp_path / "policy.yaml"
    yml.write_text('"gslb:delete": "role:admin"\n"reader": "role:auditor or rule:member"\n')
    p = Policy.from_file(str(yml))
    assert not p.check("gslb:delete", ["member"]) and p.check("gslb:delete", ["admin"])
    assert p.check("pool:get_all", ["auditor"]) and p.check("pool:post", ["member"])
    js = tmp_path / "policy.json"
    js.write_text(json.dumps({"pool:post": "!"}))
    assert not Policy.from_file(str(js)).check("pool:post", ["admin"])
    js.write_text("{not json")
    with pytest.raises(ValidationError):
        Policy.from_file(str(js))
    with pytest.raises(ValidationError):
        Policy.from_file(str(tmp_path / "missing.yaml"))


def test_policy_file_applies_to_requests(tmp_path, make_client, fake_transport, h):
    from kosmos.adapters.conductor_client import ConductorClient
    from kosmos.api.app import ApiApp
    from kosmos.api.auth import NoAuth

    f = tmp_path / "policy.yaml"
    f.write_text('"monitor:post": "role:admin"\n')
    client = make_client(ApiApp(ConductorClient(fake_transport), NoAuth(), Policy.from_file(str(f))))
    assert client.post("/v1/monitors", json={"type": "TCP"}, headers=h()).status_code == 403
    assert client.post("/v1/monitors", json={"type": "TCP"}, headers=h("p1", "admin")).status_code == 201
    assert client.post("/v1/pools", json={}, headers=h()).status_code == 201
