"""The warm-instance holder behind ``functions/api/main.py``.

``INSTANCE(request)`` builds the ApiApp from settings on the first call (not at
import time) and reuses it while the instance is warm. Tests and the local
runner ``use`` an ApiApp of their own, built with their conductor client and
authenticator.
"""
from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from kosmos.adapters.warm import WarmInstance
from kosmos.api.app import ApiApp
from kosmos.api.errors import error_response
from kosmos.config import Settings
from kosmos.errors import KosmosError, NotFound, ValidationError


def _build(settings: Settings) -> ApiApp:
    from kosmos import bootstrap, gc_tuning
    app = bootstrap.api_app(settings)
    gc_tuning.tune()   # once per warm instance: see kosmos.gc_tuning
    return app


class LazyApi(WarmInstance[ApiApp]):
    def __init__(self) -> None:
        super().__init__(_build)

    def app(self) -> ApiApp:
        return self.get()

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
