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


@pytest.mark.parametrize("rule", ["role:a or", "(role:a", "role:", "tenant-id:x", "role:a role:b )"])
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


# Rules as an Octavia deployment writes them (its policy.yaml), on Kosmos' actions.
OCTAVIA_STYLE = {
    "context_is_admin": "role:admin or role:load-balancer_admin",
    "admin": "is_admin:True",
    "owner": "project_id:%(project_id)s",
    "member_of_owner": "role:member and rule:owner",
    "gslb:get_one": "rule:admin or rule:member_of_owner or role:load-balancer_observer",
    "gslb:post": "rule:admin or rule:member_of_owner",
    "quota:get_project": "rule:admin or (role:reader and project_id:%(project_id)s)",
    "gslb:delete": "rule:admin or user_id:'ops-bot'",
}


def test_octavia_style_rules_with_credentials_and_targets():
    from kosmos.api.policy import Credentials

    p = Policy(OCTAVIA_STYLE)
    member_a = Credentials(frozenset({"member"}), "project-a", "alice")
    lb_admin = Credentials(frozenset({"load-balancer_admin"}), "ops", "root")
    reader_a = Credentials(frozenset({"reader"}), "project-a", "bob")
    bot = Credentials(frozenset(), "project-a", "ops-bot")
    assert p.check("gslb:post", member_a) and p.check("gslb:post", lb_admin)
    assert p.is_admin(lb_admin) and not p.is_admin(member_a)
    assert not p.check("gslb:post", member_a, 0, {"project_id": "project-b"})   # not the owner
    assert p.check("gslb:get_one", Credentials(frozenset({"load-balancer_observer"}), "x"))
    assert p.check("quota:get_project", reader_a, 0, {"project_id": "project-a"})
    assert not p.check("quota:get_project", reader_a, 0, {"project_id": "project-b"})
    assert p.check("quota:get_project", lb_admin, 0, {"project_id": "project-b"})
    assert p.check("gslb:delete", bot) and not p.check("gslb:delete", member_a)
    with pytest.raises(Forbidden):
        p.enforce("gslb:post", member_a, {"project_id": "project-b"})


def test_a_missing_credential_or_target_field_never_matches():
    from kosmos.api.policy import Credentials

    p = Policy({"x": "project_id:%(project_id)s", "y": "user_id:%(owner_id)s"})
    assert not p.check("x", Credentials(frozenset(), None), 0, {"project_id": None})
    assert not p.check("y", Credentials(frozenset(), "p", "u"), 0, {"project_id": "p"})


def test_the_sample_policy_file_is_the_defaults(tmp_path):
    import yaml

    from kosmos.api.policy import DEFAULT_RULES, sample

    text = sample()
    assert all(line.startswith("#") or not line for line in text.splitlines())
    uncommented = "\n".join(line[1:] for line in text.splitlines() if line.startswith('#"'))
    assert yaml.safe_load(uncommented) == DEFAULT_RULES
    path = tmp_path / "policy.yaml"
    path.write_text(uncommented)
    assert Policy.from_file(str(path)).rules == Policy().rules
