"""Who is calling: the Authenticator port and its two strategies.

``KeystoneAuth`` validates ``X-Auth-Token`` (production). ``NoAuth`` trusts
``X-Project-Id`` and ``X-Roles`` (default roles ``member``) and exists for the
local runner and tests; it is only used when ``auth_strategy=noauth`` is set
explicitly.
"""
from __future__ import annotations

import abc
import re
from dataclasses import dataclass
from typing import Mapping, Protocol

from kosmos.adapters.keystone import TokenInfo
from kosmos.errors import NotAuthenticated

_PROJECT = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_ROLE = re.compile(r"^[A-Za-z0-9_\-.]{1,255}$")


@dataclass(frozen=True)
class Principal:
    """The caller: the project it acts in and its roles (lower case)."""

    project_id: str
    roles: frozenset[str]
    user_id: str | None = None


class Authenticator(abc.ABC):
    """Port: turn request headers into a Principal, or raise NotAuthenticated."""

    keystone_url: str | None = None

    @abc.abstractmethod
    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The caller of a request with these headers."""


class NoAuth(Authenticator):
    """Trust the X-Project-Id, X-Roles and (optional) X-User-Id headers (local use only)."""

    def __init__(self, default_roles: tuple[str, ...] = ("member",)):
        self.default_roles = frozenset(default_roles)

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        project = (headers.get("X-Project-Id") or "").strip()
        if not _PROJECT.match(project):
            raise NotAuthenticated("noauth needs an X-Project-Id header (letters, digits, - and _)")
        raw = headers.get("X-Roles")
        roles = {r.strip().lower() for r in raw.split(",") if r.strip()} if raw else set()
        bad = [r for r in roles if not _ROLE.match(r)]
        if bad:
            raise NotAuthenticated(f"X-Roles has an invalid role {bad[0]!r}")
        user = (headers.get("X-User-Id") or "").strip()
        if user and not _PROJECT.match(user):
            raise NotAuthenticated("X-User-Id: letters, digits, - and _ only")
        return Principal(project, frozenset(roles) or self.default_roles, user or None)


class TokenValidator(Protocol):
    def validate(self, token: str) -> TokenInfo:
        """The token's project and roles, or NotAuthenticated / Unavailable."""


class KeystoneAuth(Authenticator):
    """Validate X-Auth-Token with Keystone (through a cached validator)."""

    def __init__(self, validator: TokenValidator, keystone_url: str | None = None):
        self.validator = validator
        self._keystone_url = keystone_url

    @property
    def keystone_url(self) -> str | None:   # type: ignore[override]
        """Named in WWW-Authenticate: the configured URL, else the validator's Keystone."""
        if self._keystone_url:
            return self._keystone_url
        known = getattr(self.validator, "identity_url", None)
        return known() if callable(known) else None

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        token = (headers.get("X-Auth-Token") or "").strip()
        if not token:
            raise NotAuthenticated("X-Auth-Token header is required")
        info = self.validator.validate(token)
        return Principal(info.project_id, frozenset(info.roles), info.user_id)
