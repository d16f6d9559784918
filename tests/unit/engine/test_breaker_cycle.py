"""The breaker's cycle verdict reads the full view only when the summary cannot rule a
trip out: many members behind a few endpoints are few endpoints."""
from __future__ import annotations

from kosmos.config import Settings
from kosmos.contracts.resources import Member
from kosmos.engine.breaker_check import judge_cycle
from kosmos.engine.gateway import BreakerView


class Summaries:
    """The two reads ``judge_cycle`` makes, with what the conductor would answer."""

    def __init__(self, offline: int, endpoints: int):
        self.offline, self.endpoints = offline, endpoints
        self.views = 0

    def breaker_summary(self, suspect_regions: int = 0) -> tuple[int, int, int, int]:
        return self.offline, 0, 0, self.endpoints

    def breaker_view(self, *args, **kwargs) -> BreakerView:
        self.views += 1
        return BreakerView(total_endpoints=40)


def _member(i: int, address: str) -> Member:
    return Member.model_validate({
        "id": f"00000000-0000-0000-0000-{i:012d}", "pool_id": "00000000-0000-0000-0000-000000000000",
        "project_id": "p", "type": "IP", "address": address, "port": 80, "admin_state_up": True, "weight": 1,
        "operating_status": "ONLINE", "provisioning_status": "ACTIVE",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "version": 1})


SETTINGS = Settings(circuit_breaker_min_endpoints=10)


def test_many_members_on_one_endpoint_need_no_full_view():
    gw = Summaries(offline=500, endpoints=1)
    moves = [(_member(i, "192.0.2.1"), "OFFLINE", ("m",)) for i in range(300)]
    verdict, held = judge_cycle(gw, SETTINGS, moves)
    assert not verdict.hold and held == [] and gw.views == 0


def test_moves_onto_as_many_endpoints_as_the_floor_read_the_full_view():
    gw = Summaries(offline=1, endpoints=1)
    moves = [(_member(i, f"192.0.2.{i + 1}"), "OFFLINE", ("m",)) for i in range(9)]
    judge_cycle(gw, SETTINGS, moves)
    assert gw.views == 1   # 1 stored + 9 new endpoints may reach the floor of 10
    gw = Summaries(offline=1, endpoints=1)
    judge_cycle(gw, SETTINGS, moves[:8])
    assert gw.views == 0
