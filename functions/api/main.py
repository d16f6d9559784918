"""The api function: the REST API v1 of Kosmos (see kosmos.api)."""
from __future__ import annotations

import functions_framework

from kosmos.api.entry import INSTANCE


@functions_framework.http
def kosmos_api(request):
    """Serve one REST request; dependencies are built on the first call, kept while warm."""
    return INSTANCE(request)
