"""Policy: which roles may do what, as oslo.policy-style rule strings.

Defaults live in ``DEFAULT_RULES``; a deployer overrides any of them with a
YAML or JSON file (``settings.policy_file``) mapping rule names to strings::

    "gslb:delete": "role:admin"
    "member": "role:member or role:operator"

Rule grammar (the subset of oslo.policy Kosmos needs): ``role:<name>``
(case-insensitive), ``rule:<name>``, ``@`` (always), ``!`` (never), ``""``
(always), ``not``, ``and``, ``or`` and parentheses. Actions are
``<resource>:<verb>`` with verbs ``get_one``, ``get_all``, ``get_all_global``,
``post``, ``put``, ``delete``. Scoping to the caller's own project is not a
rule: the conductor enforces it on every call.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Iterable

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
    "appliance:get_all": "rule:reader",
    "quota:get": "rule:reader",
    "quota:get_project": "rule:admin",
    "quota:put": "rule:admin",
    "quota:delete": "rule:admin",
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

Check = Callable[[frozenset[str], "Policy", int], bool]
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


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
            return lambda roles, pol, depth: True
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
        return parts[0] if len(parts) == 1 else (lambda r, p, d: any(c(r, p, d) for c in parts))

    def _and(self) -> Check:
        parts = [self._not()]
        while self._peek() == "and":
            self.i += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda r, p, d: all(c(r, p, d) for c in parts))

    def _not(self) -> Check:
        if self._peek() == "not":
            self.i += 1
            inner = self._not()
            return lambda r, p, d: not inner(r, p, d)
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
            return lambda r, p, d: True
        if tok == "!":
            return lambda r, p, d: False
        kind, sep, value = self.toks[self.i - 1].partition(":")
        if not sep or not value:
            raise self._error(f"cannot read {self.toks[self.i - 1]!r} (use role:X or rule:X)")
        if kind.lower() == "role":
            role = value.lower()
            return lambda r, p, d: role in r
        if kind.lower() == "rule":
            return lambda r, p, d: p.check(value, r, d + 1)
        raise self._error(f"unsupported check kind {kind!r}")


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

    def check(self, action: str, roles: Iterable[str], depth: int = 0) -> bool:
        """True when ``roles`` satisfy the rule named ``action`` (unknown rules deny)."""
        if depth > 20:  # a rule that refers to itself
            return False
        rule = self._compiled.get(action)
        if rule is None:
            return False
        return rule(roles if isinstance(roles, frozenset) else frozenset(r.lower() for r in roles),
                    self, depth)

    def enforce(self, action: str, roles: Iterable[str]) -> None:
        if not self.check(action, roles):
            raise Forbidden(f"policy does not allow {action}")

    def is_admin(self, roles: Iterable[str]) -> bool:
        return self.check("context_is_admin", roles)
