"""A checker reads checks.due in full only when the conductor says it changed."""
from __future__ import annotations

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from kosmos.checker.due import DueChecks
from fixtures.checks import checks_due_answer

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
        return 200, {"result": checks_due_answer(self.checks, fingerprint=fp)}


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


def test_an_answer_of_a_conductor_not_yet_upgraded_is_read_too():
    """Before monitors were listed once, each check carried its own: a checker upgraded
    first still reads such an answer."""
    conductor = Conductor()
    conductor.checks.append(check("m2", monitor="mon-2", delay=30))
    conductor.handler = lambda envelope: (200, {"result": {
        "checks": list(conductor.checks), "fingerprint": "1"}})
    specs = DueChecks(ConductorClient(conductor))("R1")
    assert [(s.member_id, s.monitor.id, s.monitor.delay) for s in specs] == [
        ("m1", "mon-1", 10), ("m2", "mon-2", 30)]


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
        return 200, {"result": checks_due_answer(conductor.checks,
                                            fingerprint=f"{conductor.version:x}")}
    conductor.handler = slow
    due = DueChecks(ConductorClient(conductor), spacing=4, clock=lambda: now[0])
    for _ in range(10):             # ten ticks, a second apart
        due("R1")
        now[0] += 1
    # at most one read per 4 x 0.5 s = 2 s after the last one ended: every other tick
    assert due.full_reads == 5


def test_ticks_during_a_read_do_not_ask_again():
    """A tick that comes while the region's list is being read takes the list known so
    far (none yet: a retryable error), instead of a second read the conductor would
    work through for nobody."""
    import threading

    import pytest

    from kosmos.errors import Unavailable

    conductor, now = Conductor(), [0.0]
    entered, release = threading.Event(), threading.Event()

    def slow(envelope):
        if envelope["args"]["region"] == "R1":
            entered.set()
            release.wait(5)
        return conductor._handle(envelope)

    conductor.handler = slow
    due = DueChecks(ConductorClient(conductor), clock=lambda: now[0])
    first = threading.Thread(target=due, args=("R1",))
    first.start()
    assert entered.wait(5)
    with pytest.raises(Unavailable, match="being read"):
        due("R1")                       # nothing known yet
    release.set()
    first.join(5)
    assert len(conductor.calls) == 1
    known = due("R1")                   # within the spacing: the list just read
    conductor.version += 1              # a change: the next read is a full one
    now[0] = 30
    entered.clear()
    release.clear()
    second = threading.Thread(target=due, args=("R1",))
    second.start()
    assert entered.wait(5)
    assert due("R1") == known and len(conductor.calls) == 2   # the known list meanwhile
    assert due("R2")[0].member_id == "m1" and len(conductor.calls) == 3   # not held up
    release.set()
    second.join(5)


def test_each_monitor_comes_once_and_its_checks_share_it():
    conductor = Conductor()
    conductor.checks += [check("m2"), check("m3", monitor="mon-2")]
    answer = conductor._handle({"args": {"region": "R1"}})[1]["result"]
    assert [m["id"] for m in answer["monitors"]] == ["mon-1", "mon-2"]
    assert [c["monitor_id"] for c in answer["checks"]] == ["mon-1", "mon-1", "mon-2"]
    specs = DueChecks(ConductorClient(conductor))("R1")
    assert specs[0].monitor is specs[1].monitor and specs[2].monitor.id == "mon-2"


def test_a_check_naming_no_listed_monitor_is_a_retryable_error_naming_it():
    import pytest

    from kosmos.errors import Unavailable

    conductor = Conductor()
    answer = checks_due_answer([check("m1"), check("m2", monitor="mon-2")], fingerprint="1")
    answer["monitors"] = answer["monitors"][:1]
    conductor.handler = lambda envelope: (200, {"result": answer})
    with pytest.raises(Unavailable, match=r"checks\[1\]\.monitor_id"):
        DueChecks(ConductorClient(conductor))("R1")
