"""The warm-instance holder behind ``functions/api/main.py``.

``INSTANCE(request)`` builds the ApiApp from settings on the first call (not at
import time) and reuses it while the instance is warm. Tests and the local
runner ``use`` an ApiApp of their own, built with their conductor client and
authenticator.
"""
from __future__ import annotations

import threading

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from kosmos.api.app import ApiApp
from kosmos.api.errors import error_response
from kosmos.errors import KosmosError, NotFound, ValidationError


class LazyApi:
    def __init__(self) -> None:
        self._app: ApiApp | None = None
        self._lock = threading.Lock()

    def use(self, app: ApiApp | None) -> None:
        """Serve with ``app`` from now on (None: build from settings on the next call)."""
        with self._lock:
            self._app = app

    def app(self) -> ApiApp:
        with self._lock:
            if self._app is None:
                from kosmos import bootstrap
                from kosmos.config import get_settings
                from kosmos.logs import configure

                settings = get_settings()
                configure(settings.log_level, settings.log_format)
                self._app = bootstrap.api_app(settings)
            return self._app

    def __call__(self, request: Request) -> Response:
        try:
            app = self.app()
        except Exception as exc:  # noqa: BLE001 - a bad deployment answers 503, not a trace
            return error_response(exc)
        return app(request)


def framework_error(exc: HTTPException) -> Response:
    """What the hosting framework answers itself (paths its router refuses, such as
    ``/favicon.ico``, a path ending in a newline, ``//``), as the API's JSON errors."""
    code = exc.code or 500
    if isinstance(exc, RequestRedirect) or code in (404, 405):
        return error_response(NotFound("no such path"))
    if 400 <= code < 500:
        return error_response(ValidationError(f"request refused: {exc.name}", field="request"))
    return error_response(KosmosError("internal error"))


INSTANCE = LazyApi()
