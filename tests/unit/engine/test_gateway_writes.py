"""The engine's health write goes as the records it made: what the conductor reads
from the wire is those records, and a value of the wrong type is never sent."""
from __future__ import annotations

from typing import Any

import pytest

from kosmos.adapters.conductor_client import ConductorClient
from kosmos.contracts.health import HealthState, HealthWrite, MemberStatusChange
from kosmos.contracts.history import HistoryEntryCreate, SubjectType
from kosmos.contracts.operations import HealthWriteArgs
from kosmos.engine.gateway import EngineGateway
from kosmos.errors import ValidationError

from .fakes import T0


class Recording:
    """A transport that keeps what it was sent and answers as the conductor would."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.sent.append(envelope)
        return 200, {"result": {"written": len(envelope["args"]["states"])}}


def records() -> tuple[list[HealthWrite], list[MemberStatusChange], list[HistoryEntryCreate]]:
    state = HealthState(member_id="m1", monitor_id="mon", region="r1", project_id="p",
                        verdict="DOWN", consecutive_fail=3, last_ok=False, last_reason="refused",
                        last_checked_at=T0, verdict_changed_at=T0, version=4)
    entry = HistoryEntryCreate(project_id="p", gslb_id=None, subject_type=SubjectType.MEMBER,
                               subject_id="m1", time=T0, from_state="ONLINE", to_state="OFFLINE",
                               reason="3 failures", evidence={"region": "r1"},
                               dedupe_key="m1:OFFLINE")
    return ([HealthWrite(state=state, expected_version=3)],
            [MemberStatusChange(member_id="m1", operating_status="OFFLINE",
                                status_reason="down in 2 of 3 regions", expected_version=1)],
            [entry])


def test_the_conductor_reads_the_records_the_engine_made():
    wire = Recording()
    states, members, history = records()
    assert EngineGateway(ConductorClient(wire)).write_health(states, members, history) == 1
    (envelope,) = wire.sent
    assert envelope["op"] == "health.write"
    read = HealthWriteArgs.model_validate(envelope["args"])
    assert read == HealthWriteArgs(states=states, members=members, history=history)
    assert read.states[0].state.last_checked_at == T0 and read.history[0].to_state == "OFFLINE"


def test_a_value_of_the_wrong_type_is_refused_before_anything_is_sent():
    wire = Recording()
    states, members, history = records()
    states[0].state.consecutive_fail = "three"   # assigned in code: no model checks it
    with pytest.raises(ValidationError) as info:
        EngineGateway(ConductorClient(wire)).write_health(states, members, history)
    assert info.value.field == "args" and "health.write" in str(info.value)
    assert wire.sent == []
