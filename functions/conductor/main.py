"""The conductor function: the only code with a database session.

HTTP: POST /v1/call (one operation of kosmos.contracts.conductor), GET /healthz.
"""
from __future__ import annotations

import functions_framework

from kosmos.conductor.http import respond


@functions_framework.http
def kosmos_conductor(request):  # type: ignore[no-untyped-def]
    return respond(request)
