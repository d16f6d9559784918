"""Keystone v3 token validation, the edge between the api and Keystone.

``KeystoneTokenValidator.validate(token)`` asks Keystone ``GET /v3/auth/tokens``
with the user's token in ``X-Subject-Token``, authenticated by the service's
own credentials (a keystoneauth1 session; the session fetches and renews the
service token and its catalog), with ``nocatalog``. An answer is cached for
``cache_seconds`` (300 by default, as keystonemiddleware's ``token_cache_time``)
and never past the token's ``expires_at``: a revoked token, a removed role or
a disabled user stops working within that bound.

The session is built on first use (``session`` may be a factory), so a bad
cloud setting fails authenticated calls with a retryable error and leaves
public routes alone.

Errors: an invalid, revoked or expired token is ``NotAuthenticated``; Keystone
unreachable, failing, or refusing the service's own credentials is
``Unavailable`` (retryable). keystoneauth1 exceptions never leave this module.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from keystoneauth1 import exceptions as ksa_exc

from kosmos.errors import NotAuthenticated, Unavailable


@dataclass(frozen=True)
class TokenInfo:
    """What the api needs from a validated token."""

    project_id: str
    roles: tuple[str, ...]
    expires_at: float                      # POSIX seconds
    user_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def _parse_time(value: str) -> float:
    text = value.replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def token_info(body: dict[str, Any]) -> TokenInfo:
    """Read project, roles and expiry from a Keystone v3 token body."""
    try:
        token = body["token"]
        expires = _parse_time(token["expires_at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise Unavailable("keystone answered a token without expires_at") from exc
    project = token.get("project") or {}
    if not project.get("id"):
        raise NotAuthenticated("the token is not scoped to a project")
    roles = tuple(str(r.get("name", "")).lower() for r in token.get("roles") or [] if r.get("name"))
    return TokenInfo(project_id=str(project["id"]), roles=roles, expires_at=expires,
                     user_id=(token.get("user") or {}).get("id"))


@dataclass(frozen=True)
class _Cached:
    info: TokenInfo
    until: float          # min(cached at + cache_seconds, expires_at)


class KeystoneTokenValidator:
    """Validate user tokens with the service's keystoneauth1 ``session``.

    ``session`` is a keystoneauth1 session or a callable building one on first
    use. ``auth_url`` (``.../v3``) names Keystone explicitly; without it the
    identity endpoint comes from the service catalog of the session's token.
    """

    def __init__(self, session: Any, auth_url: str | None = None, *,
                 interface: str = "public", clock: Callable[[], float] = time.time,
                 max_entries: int = 10_000, timeout: float = 10.0, cache_seconds: float = 300.0):
        self._session = session
        self.auth_url = auth_url
        self.url = self._tokens_url(auth_url) if auth_url else None
        self.interface = interface
        self.clock = clock
        self.max_entries = max_entries
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        with self._lock:
            if callable(self._session) and not hasattr(self._session, "get"):
                self._session = self._session()   # raises Unavailable for a bad cloud setting
            return self._session

    def identity_url(self) -> str | None:
        """Keystone's URL, for WWW-Authenticate: the configured one, else the session's."""
        if self.auth_url:
            return self.auth_url
        auth = getattr(self._session, "auth", None)
        return getattr(auth, "auth_url", None)

    @staticmethod
    def _tokens_url(auth_url: str) -> str:
        base = auth_url.rstrip("/")
        return base + ("/auth/tokens" if base.endswith("/v3") else "/v3/auth/tokens")

    def validate(self, token: str) -> TokenInfo:
        """The token's project and roles, or NotAuthenticated / Unavailable."""
        if not token or len(token) > 8192:
            raise NotAuthenticated("X-Auth-Token is missing or malformed")
        key = hashlib.sha256(token.encode()).hexdigest()  # never keep raw tokens around
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            if cached.until > now:
                return cached.info
            with self._lock:
                self._cache.pop(key, None)
            if cached.info.expires_at <= now:
                raise NotAuthenticated("the token has expired")
        info = self._ask_keystone(token)
        if info.expires_at <= now:
            raise NotAuthenticated("the token has expired")
        with self._lock:
            if len(self._cache) >= self.max_entries:
                self._evict(now)
            self._cache[key] = _Cached(info, min(now + self.cache_seconds, info.expires_at))
        return info

    def _evict(self, now: float) -> None:
        for k in [k for k, v in self._cache.items() if v.until <= now]:
            del self._cache[k]
        while len(self._cache) >= self.max_entries:
            self._cache.pop(next(iter(self._cache)))

    def _ask_keystone(self, token: str) -> TokenInfo:
        kwargs: dict[str, Any] = {"headers": {"X-Subject-Token": token}, "raise_exc": False,
                                  "timeout": self.timeout, "connect_retries": 1}
        if self.url is None:
            kwargs["endpoint_filter"] = {"service_type": "identity", "interface": self.interface,
                                         "version": (3, 0)}
        session = self.session
        try:
            resp = session.get((self.url or "/auth/tokens") + "?nocatalog", **kwargs)
        except ksa_exc.Unauthorized as exc:
            raise Unavailable("keystone refused the service's own credentials",
                              retry_after=5.0) from exc
        except ksa_exc.EndpointNotFound as exc:
            raise Unavailable("no identity endpoint in the service catalog",
                              retry_after=5.0) from exc
        except ksa_exc.ClientException as exc:
            raise Unavailable(f"keystone unreachable: {exc.__class__.__name__}",
                              retry_after=1.0) from exc
        if resp.status_code in (401, 404):
            # Keystone answers 404 for an unknown, revoked or expired subject token.
            raise NotAuthenticated("the token is invalid or has expired")
        if resp.status_code == 403:
            raise Unavailable("the service is not allowed to validate tokens", retry_after=5.0)
        if resp.status_code != 200:
            raise Unavailable(f"keystone answered HTTP {resp.status_code}", retry_after=1.0)
        try:
            body = resp.json()
        except ValueError as exc:
            raise Unavailable("keystone answered a body that is not JSON") from exc
        return token_info(body)


def session_from_cloud(cloud: str) -> Any:
    """The keystoneauth1 session of a clouds.yaml entry (the service's credentials)."""
    import openstack.config
    from openstack import exceptions as os_exc

    try:
        return openstack.config.get_cloud_region(cloud=cloud).get_session()
    except os_exc.SDKException as exc:  # includes OpenStackConfigException
        raise Unavailable(f"cloud {cloud!r} cannot be loaded: {exc}") from exc
