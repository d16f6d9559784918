"""appliance.list: the installed appliance drivers and what each can serve.

From the conductor's settings, the ones ``gslb.create`` and ``gslb.update``
check a GSLB's ``routing`` and ``max_answers`` against.
"""
from __future__ import annotations

from typing import Any

from kosmos.appliances.registry import describe
from kosmos.conductor.ops.common import OpContext, op, parse
from kosmos.config import get_settings
from kosmos.contracts.common import StrictModel


@op("appliance.list")
def list_(ctx: OpContext, args: dict[str, Any]) -> dict[str, Any]:
    parse(StrictModel, args)
    return {"appliances": describe(get_settings())}
