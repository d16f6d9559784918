"""A checker reads checks.due in full only when the conductor says it changed."""
from __future__ import annotations

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.checker.due import DueChecks

from .conftest import check


class Conductor(InProcessTransport):
    """checks.due with a fingerprint: the version of ``checks``, bumped on every change."""

    def __init__(self):
        super().__init__(self._handle)
        self.checks, self.version, self.calls = [check("m1")], 1, []

    def _handle(self, envelope):
        args = envelope["args"]
        self.calls.append(args)
        fp = f"{self.version:x}"
        if args.get("known") == fp:
            return 200, {"result": {"unchanged": True, "fingerprint": fp}}
        return 200, {"result": {"checks": list(self.checks), "fingerprint": fp}}


def test_the_list_is_reused_while_unchanged_and_read_again_when_changed_or_old():
    conductor, now = Conductor(), [0.0]
    due = DueChecks(ConductorClient(conductor), max_age=60, clock=lambda: now[0])
    first = due("R1")
    assert [s.member_id for s in first] == ["m1"] and conductor.calls[-1] == {"region": "R1"}
    now[0] = 1
    assert due("R1") == first and conductor.calls[-1] == {"region": "R1", "known": "1"}
    assert due.full_reads == 1
    conductor.checks.append(check("m2"))
    conductor.version += 1
    assert [s.member_id for s in due("R1")] == ["m1", "m2"] and due.full_reads == 2
    assert [s.member_id for s in due("R2")] == ["m1", "m2"]    # each region its own
    now[0] = 62                                                 # a full read once a minute anyway
    due("R1")
    assert conductor.calls[-1] == {"region": "R1"} and due.full_reads == 4


def test_an_unchanged_answer_without_a_list_to_reuse_is_not_trusted():
    conductor = Conductor()
    conductor._handle = lambda envelope: (200, {"result": {"unchanged": True, "fingerprint": "1"}})
    conductor.handler = conductor._handle
    due = DueChecks(ConductorClient(conductor))
    try:
        due("R1")
    except Exception as exc:   # Unavailable: the tick is retried
        assert "checks" in str(exc)
    else:
        raise AssertionError("an 'unchanged' with nothing known was taken as a list")


def test_while_everything_changes_a_slow_full_read_is_not_repeated_on_every_tick():
    conductor, now = Conductor(), [0.0]

    def slow(envelope):            # a full read takes 0.5 s of the clock
        args = envelope["args"]
        conductor.calls.append(args)
        conductor.version += 1      # and something changes on every tick
        now[0] += 0.5
        return 200, {"result": {"checks": list(conductor.checks),
                                "fingerprint": f"{conductor.version:x}"}}
    conductor.handler = slow
    due = DueChecks(ConductorClient(conductor), spacing=4, clock=lambda: now[0])
    for _ in range(10):             # ten ticks, a second apart
        due("R1")
        now[0] += 1
    # at most one read per 4 x 0.5 s = 2 s after the last one ended: every other tick
    assert due.full_reads == 5
