"""``/v1/dead_letters``: events the platform gave up delivering (admin)."""
from __future__ import annotations

from werkzeug.wrappers import Response

from kosmos.api.context import ApiCall
from kosmos.api.errors import json_response
from kosmos.api.queries import DeadLettersQuery, parse_query
from kosmos.contracts.operations import DEAD_LETTER_LIST


def listing(call: ApiCall) -> Response:
    q = parse_query(DeadLettersQuery, call.args)
    listing = call.conductor.invoke(DEAD_LETTER_LIST, q.model_dump(mode="json", exclude_none=True),
                                    call.context())
    return json_response(listing.model_dump(mode="json"))
