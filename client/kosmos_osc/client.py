"""A thin client of the GSLB REST API on a keystoneauth session."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from keystoneauth1 import exceptions as ks_exceptions
from osc_lib import exceptions

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class GslbClient:
    def __init__(self, session: Any, endpoint: str, *, noauth_project: str | None = None,
                 noauth_roles: str | None = None):
        if not endpoint:
            raise exceptions.CommandError(
                "no GSLB endpoint: none in the catalog (service type gslb); give "
                "--os-gslb-endpoint, or OS_ENDPOINT with OS_AUTH_TYPE=none")
        self.session = session
        self.base = endpoint.rstrip("/")
        if self.base.endswith("/v1"):
            self.base = self.base[:-3]
        self.headers = {"Accept": "application/json"}
        if noauth_project:
            self.headers["X-Project-Id"] = noauth_project
            self.headers["X-Roles"] = noauth_roles or "member"

    def request(self, method: str, path: str, body: dict | None = None,
                params: dict | None = None) -> Any:
        try:
            resp = self.session.request(self.base + path, method, json=body, params=params or {},
                                        headers=self.headers, raise_exc=False,
                                        authenticated=None if "X-Project-Id" not in self.headers
                                        else False)
        except ks_exceptions.ConnectionError as exc:
            raise exceptions.CommandError(f"the GSLB API at {self.base} is not answering: "
                                          f"{exc}") from None
        if resp.status_code >= 400:
            raise exceptions.CommandError(_error_text(resp))
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # --- helpers the commands share ------------------------------------------------
    def find(self, collection: str, key: str, ref: str) -> dict:
        """The resource of ``collection`` whose id or name is ``ref`` (exactly one)."""
        if UUID.match(ref):
            return self.request("GET", f"{collection}/{ref}")
        found = self.all(collection, key, {"name": ref})
        what = key.rstrip("s").replace("_", " ")
        if not found:
            raise exceptions.CommandError(f"no {what} named {ref!r}")
        if len(found) > 1:
            raise exceptions.CommandError(f"{len(found)} {key} are named {ref!r}: give the id")
        return found[0]

    def all(self, collection: str, key: str, params: dict | None = None) -> list[dict]:
        """Every item of a list (its body's ``key``), following its pages."""
        out: list[dict] = []
        params = dict(params or {})
        while True:
            page = self.request("GET", collection, params=params)
            out.extend(page.get(key, []))
            nxt = (page.get("links") or {}).get("next")
            marker = parse_qs(urlsplit(nxt).query).get("marker", [None])[0] if nxt else None
            if not marker:
                return out
            params["marker"] = marker


def _error_text(resp: Any) -> str:
    try:
        err = resp.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}: {resp.text[:300]}"
    field = f" (field {err['field']})" if err.get("field") else ""
    return f"HTTP {resp.status_code} {err.get('type', '')}: {err.get('message', '')}{field}"
