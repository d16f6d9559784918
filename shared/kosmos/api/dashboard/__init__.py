"""The status dashboard's static assets (``/dashboard/``), served by the api function.

The page holds no secret and needs no token to load; it calls the REST API
with the user's own credentials (a Keystone token, or the runner's noauth
project), so it sees exactly what the user may see.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from werkzeug.wrappers import Request, Response

from kosmos.errors import NotFound

HERE = Path(__file__).parent
ASSETS = {"": ("index.html", "text/html; charset=utf-8"),
          "dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
          "dashboard.css": ("dashboard.css", "text/css; charset=utf-8")}
HEADERS = {
    # only this origin's scripts, styles and API; no framing, no sniffing
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=8)
def _read(name: str) -> bytes:
    return (HERE / name).read_bytes()


def dashboard_asset(request: Request, asset: str | None) -> Response:
    """The page (``/dashboard/``) or one of its files; ``/dashboard`` redirects to the page."""
    if asset is None and not request.path.endswith("/"):
        return Response(status=308, headers={"Location": request.script_root + request.path + "/"})
    entry = ASSETS.get(asset or "")
    if entry is None:
        raise NotFound(f"no dashboard file {asset!r}")
    name, content_type = entry
    return Response(_read(name), 200, content_type=content_type, headers=HEADERS)
