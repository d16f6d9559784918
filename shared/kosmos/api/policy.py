"""Policy: which roles may do what, as oslo.policy-style rule strings.

Defaults live in ``DEFAULT_RULES``; a deployer overrides any of them with a
YAML or JSON file (``settings.policy_file``) mapping rule names to strings::

    "gslb:delete": "role:admin"
    "member": "role:member or role:operator"

Rule grammar, as oslo.policy writes it (so an operator's Octavia or Designate
rules read the same here): ``role:<name>`` (case-insensitive), ``rule:<name>``,
``is_admin:True`` (the caller passes ``context_is_admin``), generic checks
``<credential>:%(<target field>)s`` (e.g. ``project_id:%(project_id)s``: the
caller's project is the target's) and ``<credential>:<literal>`` (e.g.
``user_id:alice``), ``@`` (always), ``!`` (never), ``""`` (always), ``not``,
``and``, ``or`` and parentheses. The credentials are the caller's
``project_id``, ``user_id`` and ``roles``; the target holds ``project_id``
(the project the request is about: a path's ``project_id``, else the
caller's) and the request's path parameters. Actions are
``<resource>:<verb>`` with verbs ``get_one``, ``get_all``, ``get_all_global``,
``post``, ``put``, ``delete``. Scoping a resource to the caller's own project
is not a rule: the conductor enforces it on every call.
``python -m kosmos.api.policy`` prints the defaults as a sample policy file.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from kosmos.errors import Forbidden, ValidationError

RESOURCES = ("monitor", "pool", "member", "gslb", "webhook")

DEFAULT_RULES: dict[str, str] = {
    "context_is_admin": "role:admin",
    "admin": "role:admin",
    "member": "role:member or rule:admin",
    "reader": "role:reader or rule:member",
    "version:get": "@",
    "openapi:get": "@",
    "metrics:get": "@",
    "healthcheck:get": "@",
    "dashboard:get": "@",
    "appliance:get_all": "rule:reader",
    "quota:get": "rule:reader",
    "quota:get_project": "rule:admin",
    "quota:put": "rule:admin",
    "quota:delete": "rule:admin",
    "dead_letter:get_all": "rule:admin",
}
for _r in RESOURCES:
    DEFAULT_RULES.update({
        f"{_r}:get_one": "rule:reader",
        f"{_r}:get_all": "rule:reader",
        f"{_r}:get_all_global": "rule:admin",
        f"{_r}:post": "rule:member",
        f"{_r}:put": "rule:member",
        f"{_r}:delete": "rule:member",
    })

@dataclass(frozen=True)
class Credentials:
    """Who asks, as rules see it."""

    roles: frozenset[str]
    project_id: str | None = None
    user_id: str | None = None

    def get(self, key: str) -> Any:
        return {"project_id": self.project_id, "user_id": self.user_id,
                "roles": self.roles}.get(key)


#: (credentials, target, the policy, depth) -> allowed
Check = Callable[[Credentials, dict[str, Any], "Policy", int], bool]
# A check may hold a target reference, %(field)s, whose parentheses are not grouping.
_TOKEN = re.compile(r"\s*(\(|\)|(?:%\(\w+\)s|[^\s()])+)")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            break
        out.append(m.group(1))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over ``or`` > ``and`` > ``not`` > atom."""

    def __init__(self, name: str, text: str):
        self.name, self.toks, self.i = name, _tokens(text), 0

    def parse(self) -> Check:
        if not self.toks:
            return lambda c, t, p, d: True
        check = self._or()
        if self.i != len(self.toks):
            raise self._error(f"unexpected {self.toks[self.i]!r}")
        return check

    def _error(self, why: str) -> ValidationError:
        return ValidationError(f"policy rule {self.name!r}: {why}", field=self.name)

    def _peek(self) -> str | None:
        return self.toks[self.i].lower() if self.i < len(self.toks) else None

    def _or(self) -> Check:
        parts = [self._and()]
        while self._peek() == "or":
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda c, t, p, d: any(x(c, t, p, d) for x in parts))

    def _and(self) -> Check:
        parts = [self._not()]
        while self._peek() == "and":
            self.i += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda c, t, p, d: all(x(c, t, p, d) for x in parts))

    def _not(self) -> Check:
        if self._peek() == "not":
            self.i += 1
            inner = self._not()
            return lambda c, t, p, d: not inner(c, t, p, d)
        return self._atom()

    def _atom(self) -> Check:
        tok = self._peek()
        if tok is None:
            raise self._error("rule ends too early")
        self.i += 1
        if tok == "(":
            inner = self._or()
            if self._peek() != ")":
                raise self._error("missing ')'")
            self.i += 1
            return inner
        if tok == "@":
            return lambda c, t, p, d: True
        if tok == "!":
            return lambda c, t, p, d: False
        kind, sep, value = self.toks[self.i - 1].partition(":")
        if not sep or not value:
            raise self._error(f"cannot read {self.toks[self.i - 1]!r} (use role:X or rule:X)")
        if kind.lower() == "role":
            role = value.lower()
            return lambda c, t, p, d: role in c.roles
        if kind.lower() == "rule":
            return lambda c, t, p, d: p.check(value, c, d + 1, t)
        if kind == "is_admin":
            wanted = value.lower() == "true"
            return lambda c, t, p, d: p.check("context_is_admin", c, d + 1, t) == wanted
        if not re.fullmatch(r"[a-z_]+", kind):
            raise self._error(f"unsupported check kind {kind!r}")
        ref = re.fullmatch(r"%\((\w+)\)s", value)
        if ref:   # the caller's credential equals the target's field
            field = ref.group(1)
            return lambda c, t, p, d: (c.get(kind) is not None and t.get(field) is not None
                                       and str(c.get(kind)) == str(t.get(field)))
        literal = value.strip("'\"")
        return lambda c, t, p, d: str(c.get(kind)) == literal


class Policy:
    """Compiled rules; ``enforce`` raises Forbidden when an action is not allowed."""

    def __init__(self, rules: dict[str, str] | None = None):
        merged = dict(DEFAULT_RULES)
        merged.update(rules or {})
        self.rules = merged
        self._compiled = {name: _Parser(name, text).parse() for name, text in merged.items()}

    @classmethod
    def from_file(cls, path: str | None) -> "Policy":
        """Defaults overridden by the YAML or JSON file at ``path`` (None: defaults only)."""
        if not path:
            return cls()
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ValidationError(f"policy_file {path!r} cannot be read: {exc.strerror}",
                                  field="policy_file") from exc
        try:
            # YAML is a superset of JSON, but json gives clearer errors for .json files.
            data = json.loads(text) if path.endswith(".json") else (yaml.safe_load(text) or {})
        except (ValueError, yaml.YAMLError) as exc:
            raise ValidationError(f"policy_file {path!r} is not valid: {exc}",
                                  field="policy_file") from exc
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValidationError("policy_file must map rule names to rule strings",
                                  field="policy_file")
        return cls({str(k): v for k, v in data.items()})

    def check(self, action: str, who: "Credentials | Iterable[str]", depth: int = 0,
              target: dict[str, Any] | None = None) -> bool:
        """True when the caller (``Credentials``, or just its roles) passes the rule named
        ``action`` on ``target`` (default: the caller's own project). Unknown rules deny."""
        if depth > 20:  # a rule that refers to itself
            return False
        rule = self._compiled.get(action)
        if rule is None:
            return False
        creds = who if isinstance(who, Credentials) else Credentials(
            frozenset(r.lower() for r in who))
        return rule(creds, target if target is not None else {"project_id": creds.project_id},
                    self, depth)

    def enforce(self, action: str, who: "Credentials | Iterable[str]",
                target: dict[str, Any] | None = None) -> None:
        if not self.check(action, who, 0, target):
            raise Forbidden(f"policy does not allow {action}")

    def is_admin(self, who: "Credentials | Iterable[str]") -> bool:
        return self.check("context_is_admin", who)


def credentials(principal: Any) -> Credentials:
    """A Principal as rules see it."""
    return Credentials(frozenset(principal.roles), principal.project_id, principal.user_id)


def sample() -> str:
    """The default rules as a policy file an operator edits (YAML, every rule commented)."""
    lines = ["# Kosmos API policy: the defaults. Uncomment a rule to change it.",
             "# The grammar is oslo.policy's; see kosmos/api/policy.py.", ""]
    for name, text in DEFAULT_RULES.items():
        lines.append(f"#{json.dumps(name)}: {json.dumps(text)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":   # python -m kosmos.api.policy > policy.yaml
    print(sample(), end="")
