"""The api function: the REST API v1 of Kosmos (see kosmos.api)."""
from __future__ import annotations

import functions_framework
from werkzeug.exceptions import HTTPException

from kosmos.api.entry import INSTANCE, framework_error

# Paths the framework's own router refuses get the API's JSON errors, not HTML.
functions_framework.errorhandler(HTTPException)(framework_error)


@functions_framework.http
def kosmos_api(request):
    """Serve one REST request; dependencies are built on the first call, kept while warm."""
    return INSTANCE(request)
