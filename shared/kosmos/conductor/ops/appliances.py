"""appliance.list: the installed appliance drivers and what each can serve.

From the conductor's settings, the ones ``gslb.create`` and ``gslb.update``
check a GSLB's ``routing`` and ``max_answers`` against.
"""
from __future__ import annotations

from typing import Any

from kosmos.contracts.operations import (NoArgs, APPLIANCE_LIST)
from kosmos.appliances.registry import describe
from kosmos.conductor.ops.common import OpContext, op
from kosmos.config import get_settings


@op(APPLIANCE_LIST)
def list_(ctx: OpContext, args: NoArgs) -> dict[str, Any]:
    return {"appliances": describe(get_settings())}
