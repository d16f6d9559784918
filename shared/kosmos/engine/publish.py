"""Per GSLB: decide the answer, hold mass removals, push to the appliance, record it.

``publish`` is shared by the results handler (GSLBs touched by member moves,
with the not-yet-written statuses as overrides) and by reconcile (every GSLB,
with the appliance's served answer read back to find drift).

Order matters for "no lost transition": the appliance is pushed first, then
``gslb.set_answers`` records what is served (SYNCED) with the history entries
in one conductor transaction. If the appliance fails, the GSLB keeps its old
``answers`` with publish_status ERROR and the desired answer in the reason;
reconcile retries. If the conductor fails, the handler raises and the event is
redelivered; the push is idempotent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from kosmos.appliances.base import FAILED, PENDING, SERVED, NameAnswer, Served
from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.contracts.conductor import GslbTree
from kosmos.contracts.history import HistoryEntryCreate, SubjectType
from kosmos.contracts.resources import PublishStatus
from kosmos.domain.breaker import NOT_TRIPPED, BreakerVerdict, held_back, held_note, removes
from kosmos.contracts.common import enum_text, utcnow
from kosmos.domain import routing
from kosmos.domain.answers import AnswerDecision, answer_digest
from kosmos.engine.breaker_check import judge_cycle
from kosmos.engine.gateway import AnswerRecord, EngineGateway
from kosmos.engine.served import ServedReader
from kosmos.errors import ApplianceError, ApplianceRefused, StaleVersion
from kosmos.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Cause:
    """Why this publish cycle runs: goes into history evidence and dedupe keys."""

    trigger: str                  # the event type: check.results, engine.reconcile, engine.decide
    key: str                      # stable per event: redelivery gives the same keys
    time: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    note: str = ""                # leads the history reason of a publish, e.g. who changed what


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    # GSLB id => when to decide it again (a member's slow start ends)
    wake_at: dict[str, datetime] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def merged(self, other: "PublishReport") -> "PublishReport":
        """Both reports' outcomes (a GSLB decided twice keeps its later wake-up)."""
        return PublishReport(self.published + other.published, self.held + other.held,
                             {**self.wake_at, **other.wake_at}, self.errors + other.errors,
                             self.drift + other.drift, self.conflicts + other.conflicts)


def _with_overrides(tree: GslbTree, statuses: dict[str, str], now: datetime) -> GslbTree:
    """The tree with the statuses not yet written; a status that changes changes now
    (as ``health.write`` will record it), which slow start counts from."""
    if not statuses:
        return tree
    pools = []
    for tp in tree.pools:
        members = [m.model_copy(update={"operating_status": statuses[m.id]} | (
                       {} if enum_text(m.operating_status) == enum_text(statuses[m.id])
                       else {"status_changed_at": now})) if m.id in statuses else m
                   for m in tp.members]
        pools.append(tp.model_copy(update={"members": members}))
    return tree.model_copy(update={"pools": pools})


#: evidence lists of a cycle's members, kept per GSLB to the members of its pools
_PER_MEMBER = ("member_moves", "endpoints_reported")


class EvidenceOf:
    """The cause's evidence as each GSLB's history shows it: the member moves (and
    reported endpoints) of its own pools' members. One endpoint behind thousands of
    names moves thousands of members in one cycle; every GSLB's entry listing all of
    them made the cycle's history grow with the square of its size."""

    def __init__(self, cause: Cause):
        self.evidence = cause.evidence
        self.lists = {k: cause.evidence[k] for k in _PER_MEMBER if cause.evidence.get(k)}
        self.index: dict[str, dict[str, list[Any]]] = {}
        for k, items in self.lists.items():
            for x in items:
                member = x.get("member_id") if isinstance(x, dict) else x
                self.index.setdefault(str(member), {}).setdefault(k, []).append(x)

    def __call__(self, tree: GslbTree) -> dict[str, Any]:
        if not self.lists:
            return self.evidence
        out: dict[str, Any] = {**self.evidence, **{k: [] for k in self.lists}}
        for member in sorted({m.id for tp in tree.pools for m in tp.members} & self.index.keys()):
            for k, items in self.index[member].items():
                out[k].extend(items)
        return out


def _text(addresses: list[str]) -> str:
    """An answer as a history state: the addresses, or a count when too long to store
    (states are short columns; the full lists are in the evidence)."""
    text = ",".join(addresses) if addresses else "(none)"
    return text if len(text) <= 64 else f"{len(addresses)} addresses #{answer_digest(addresses)[:8]}"


def publish(gateway: EngineGateway, appliances: Appliances, settings: Settings,
            trees: list[GslbTree], cause: Cause, statuses: dict[str, str] | None = None,
            breaker: BreakerVerdict | None = None, read_back: "ServedReader | None" = None,
            clock: Callable[[], datetime] | None = None,
            skip_conflicts: bool = False, wakeups: Any = None) -> PublishReport:
    """Bring each GSLB of ``trees`` to its desired answer (see the module docstring).

    Three steps, each in bulk: decide every GSLB (reading back what the
    appliance serves when ``read_back`` is given, to repair drift); push the
    answers that must change, one ``Appliance.set_answers`` per appliance and
    zone; store every outcome with ``gslb.set_answers``. One endpoint dying
    behind a thousand names is then a few requests, not two per name.

    A store refused as stale (another writer) raises StaleVersion, or with
    ``skip_conflicts`` lists those GSLBs in ``report.conflicts`` for the next
    cycle. While the breaker holds, a GSLB whose answer would drop an address
    keeps its answer (HELD); additions go through. ``breaker`` is the verdict
    the caller judged (NOT_TRIPPED: an operator's deliberate release); None
    judges the deployment as stored now, read only when a decision removes an
    address (``kosmos.engine.breaker_check``). A decision that wants another
    look later (a slow start ending) is noted in ``wakeups``.
    """
    report = PublishReport()
    now = clock() if clock else utcnow()
    trees = [_with_overrides(t, statuses or {}, now) for t in trees]
    decisions = {t.gslb.id: _decide(t, now, settings, appliances) for t in trees}
    report.wake_at = {g: d.wake_at for g, d in decisions.items() if d.wake_at is not None}
    if wakeups is not None and report.wake_at:
        wakeups.note(report.wake_at)
    removing = {t.gslb.id for t in trees if removes(t.gslb.answers, decisions[t.gslb.id].answers)}
    held_before = {t.gslb.id for t in trees if is_held(t.gslb)}
    if breaker is None:
        breaker = judge_cycle(gateway, settings)[0] if removing or held_before else NOT_TRIPPED
    held = removing if breaker.hold else set()
    # Held, and this decision would serve what it serves: a hold is released only by a
    # verdict that no longer trips, never by a view from before the trip.
    kept = {t.gslb.id for t in trees if breaker.hold and t.gslb.id in held_before - removing
            and decisions[t.gslb.id].answers == list(t.gslb.answers)}
    records: list[AnswerRecord] = []
    evidence = EvidenceOf(cause)
    steps: list[_Step] = []
    for tree in trees:
        g, d = tree.gslb, decisions[tree.gslb.id]
        if g.id in held or g.id in kept:
            report.held.append(g.id)
            if g.id in held:
                records.extend(_hold(tree, d, breaker, cause, evidence, len(held)))
            continue
        step = _prepare(appliances, tree, d, report, read_back)
        if step is not None:
            steps.append(step)
    failures = _push(appliances, [s for s in steps if s.push and s.error is None], gateway.metrics)
    for step in steps:
        records.extend(_finish(step, failures.get(step.tree.gslb.id), cause, evidence, report,
                               clock))
    if not records:
        return report
    try:
        gateway.set_answers(records)
    except StaleVersion:
        if not skip_conflicts:
            raise
        stored = {r.gslb_id for r in records}   # another writer is on them; the next cycle looks again
        report.conflicts.extend(sorted(stored))
        report.published = [x for x in report.published if x not in stored]
        return report
    _log_outcomes(trees, decisions, records, report, breaker)
    return report


@dataclass
class _Step:
    """One GSLB to bring to its answer: what it serves, what it wants, whether to push."""

    tree: GslbTree
    d: AnswerDecision
    status: str
    changed: bool
    reason: str
    name: str
    driver: Any = None
    served: Served | None = None
    push: bool = False
    error: ApplianceError | None = None


def _limit(appliances: Appliances, name: str | None) -> int | None:
    try:
        return appliances.get(name).max_answers
    except ApplianceError:
        return None   # the push reports it


def _decide(tree: GslbTree, now: datetime, settings: Settings,
            appliances: Appliances) -> AnswerDecision:
    """The GSLB's answer by its routing policy, its cap cut to the appliance's limit
    (Designate's record quota)."""
    served = None
    if tree.served_route:
        try:
            served = routing.Route.from_dict(tree.served_route)
        except ValueError:
            served = None   # not a route we wrote: decided afresh
    return routing.decide(tree, tree.gslb.answers, now, settings.min_healthy_members, served,
                          _limit(appliances, tree.gslb.appliance))


def _route(d: AnswerDecision) -> dict[str, Any] | None:
    return d.route.to_dict() if d.route is not None else None


def is_held(g: Any) -> bool:
    """Whether the GSLB's stored answer is held by the circuit breaker."""
    return enum_text(g.publish_status) == PublishStatus.HELD.value


def _hold(tree: GslbTree, d: AnswerDecision, verdict: BreakerVerdict, cause: Cause,
          evidence: EvidenceOf, n_held: int) -> list[AnswerRecord]:
    """The GSLB keeps its answer, HELD with the breaker's reason (nothing when already so)."""
    g = tree.gslb
    reason = verdict.reason
    note = held_note(reason, _text(d.answers))
    if is_held(g) and held_back(g.publish_reason) == _text(d.answers):
        return []   # already held for this answer: a changing count is not a new event
    entry = HistoryEntryCreate(
        project_id=g.project_id, gslb_id=g.id, subject_type=SubjectType.GSLB, subject_id=g.id,
        time=cause.time, from_state=_text(g.answers), to_state="HELD", reason=reason,
        evidence={**evidence(tree), "trigger": cause.trigger, "would_publish": d.answers,
                  "answers": list(g.answers),
                  "rule": d.rule, "answer_reason": d.reason, "gslbs_held": n_held,
                  "breaker": verdict.evidence, **d.evidence},
        dedupe_key=f"held:{g.id}:{answer_digest(d.answers)}:{cause.key}")
    return [AnswerRecord(g.id, list(g.answers), g.answer_reason, PublishStatus.HELD.value, note,
                         g.published_at, (entry,), tree.served_route, enum_text(g.publish_status))]


def _prepare(appliances: Appliances, tree: GslbTree, d: AnswerDecision, report: PublishReport,
             read_back: "ServedReader | None") -> _Step | None:
    """What to do for one GSLB (None: nothing), reading back what it serves if asked."""
    g = tree.gslb
    status = enum_text(g.publish_status)
    changed = d.answers != list(g.answers) or _route(d) != tree.served_route
    reason = answer_reason(d)
    if not (changed or status != PublishStatus.SYNCED.value or read_back is not None
            or reason != g.answer_reason):
        return None
    step = _Step(tree, d, status, changed, reason, g.appliance or appliances.default)
    try:
        step.driver = appliances.get(g.appliance)
        policy = routing.policy_of(g)
        if policy not in step.driver.routing:
            raise ApplianceRefused(f"appliance {step.name} cannot serve {policy} routing")
        if _refused_before(g, d):
            report.errors.append(g.id)   # the same answer again cannot succeed
            return None
        drift = False
        if read_back is not None:
            step.served = read_back(step.name, g.fqdn, g.zone_name)
            drift = not step.served.matches(d.answers, g.ttl, d.route)
            if drift or step.served.state != SERVED:   # judged on a listing of the shard's own
                again = read_back.again(step.name, g.fqdn, g.zone_name, step.served)
                if again is not step.served:
                    step.served, drift = again, not again.matches(d.answers, g.ttl, d.route)
    except ApplianceError as exc:
        step.error = exc
        return step
    if drift:
        report.drift.append(g.id)
    if not (changed or status != PublishStatus.SYNCED.value or drift or reason != g.answer_reason):
        return None
    step.push = changed or drift or (step.served is None and status != PublishStatus.SYNCED.value
                                     and not _awaiting(step.driver, g))
    return step


def _push(appliances: Appliances, steps: list[_Step], metrics: Any = None) -> dict[str, ApplianceError]:
    """Push the steps' answers, one bulk write per (appliance, zone); failures by GSLB id.
    Each write's time goes to ``metrics`` (``kosmos_publish_seconds``), by appliance."""
    zones: dict[tuple[str, str], list[_Step]] = {}
    for step in steps:
        zones.setdefault((step.name, step.tree.gslb.zone_name), []).append(step)
    failed: dict[str, ApplianceError] = {}
    for (_name, zone), group in zones.items():
        driver = group[0].driver
        answers = [NameAnswer(s.tree.gslb.fqdn, s.d.answers, s.tree.gslb.ttl, s.d.route)
                   for s in group]
        started = time.perf_counter()
        try:
            by_name = driver.set_answers(zone, answers)
        except ApplianceError as exc:
            by_name = {a.fqdn: exc for a in answers}
        if metrics is not None:
            metrics.add("kosmos_publish_seconds_sum", time.perf_counter() - started, appliance=_name)
            metrics.add("kosmos_publish_seconds_count", 1, appliance=_name)
        failed.update({s.tree.gslb.id: by_name[s.tree.gslb.fqdn] for s in group
                       if s.tree.gslb.fqdn in by_name})
    return failed


def _finish(step: _Step, error: ApplianceError | None, cause: Cause, evidence: EvidenceOf,
            report: PublishReport, clock: Callable[[], datetime] | None) -> list[AnswerRecord]:
    """The record to store for one GSLB after the push (none when nothing changed)."""
    g, d = step.tree.gslb, step.d
    exc = step.error or error
    if exc is not None:
        report.errors.append(g.id)
        lead = "refused" if isinstance(exc, ApplianceRefused) else f"appliance {step.name}"
        note = f"{lead}: {exc.message}; wants {_text(d.answers)}"
        log.warning("appliance push failed: %s", note, extra={"gslb_id": g.id, "fqdn": g.fqdn})
        if step.status != PublishStatus.ERROR.value or g.publish_reason != note:
            return [AnswerRecord(g.id, list(g.answers), g.answer_reason, PublishStatus.ERROR.value,
                                 note[:1024], g.published_at, (), step.tree.served_route,
                                 step.status)]
        return []
    now = clock() if clock else cause.time
    new_status, note, published_at = _outcome(step.driver, step.name, step.served, step.push,
                                              step.status, g, now)
    history = []
    if step.changed or d.rule != rule_of(g.answer_reason):
        history.append(HistoryEntryCreate(
            project_id=g.project_id, gslb_id=g.id, subject_type=SubjectType.GSLB, subject_id=g.id,
            time=cause.time, from_state=_text(list(g.answers)), to_state=_text(d.answers),
            reason=f"{cause.note}{d.rule}: {d.reason}"[:2048],
            evidence={**evidence(step.tree), "trigger": cause.trigger, "rule": d.rule,
                      "answers_from": list(g.answers), "answers_to": d.answers,
                      "served_before": step.served.addresses if step.served else None,
                      **({"route": d.route.to_dict()} if d.route is not None else {}),
                      **d.evidence},
            dedupe_key=f"gslb:{g.id}:{answer_digest(g.answers)}:{answer_digest(d.answers)}"
                       f"{':' + d.route.digest() if d.route is not None else ''}:{cause.key}"))
    if (not history and not step.changed and new_status == step.status
            and note == g.publish_reason and step.reason == g.answer_reason):
        return []
    report.published.append(g.id)
    return [AnswerRecord(g.id, d.answers, step.reason, new_status, note, published_at,
                         tuple(history), _route(d), step.status)]


def _log_outcomes(trees: list[GslbTree], decisions: dict[str, AnswerDecision],
                  records: list[AnswerRecord], report: PublishReport, verdict: BreakerVerdict) -> None:
    """Once stored: a line per answer changed and per answer held."""
    by_id = {t.gslb.id: t.gslb for t in trees}
    for r in records:
        g = by_id[r.gslb_id]
        if r.publish_status == PublishStatus.HELD.value:
            log.warning("gslb.breaker.held: answer change held by circuit breaker",
                        extra={"gslb_id": g.id, "fqdn": g.fqdn, "status": verdict.reason})
        elif r.gslb_id in report.published and list(g.answers) != r.answers:
            log.info("answer published", extra={"gslb_id": g.id, "fqdn": g.fqdn,
                                                "status": decisions[g.id].rule})


def _outcome(driver: Any, name: str, served: Served | None, pushed: bool, status: str,
             g: Any, now: datetime) -> tuple[str, str | None, datetime | None]:
    """(publish_status, publish_reason, published_at) after a push or a read-back.

    An appliance that ``confirms_later`` (Designate) has only accepted a push:
    PENDING until a read-back finds it served. A read-back names what is not
    served yet (PENDING) or failed (ERROR); finding it served confirms it,
    and the time since the push is the appliance's propagation time.
    """
    if not pushed and served is None and _awaiting(driver, g):
        return status, g.publish_reason, g.published_at   # the confirmation pass reads it back
    if pushed and driver.confirms_later:
        return (PublishStatus.PENDING.value,
                f"pushed to {name}; waiting for its name servers to serve it", now)
    if served is not None and not pushed:
        if served.state == PENDING:
            return PublishStatus.PENDING.value, f"{name}: {served.detail}"[:1024], g.published_at
        if served.state == FAILED:
            return PublishStatus.ERROR.value, f"{name}: {served.detail}"[:1024], g.published_at
        if status == PublishStatus.PENDING.value and g.published_at is not None:
            seconds = (now - g.published_at).total_seconds()
            log.info("answer confirmed served", extra={
                "gslb_id": g.id, "fqdn": g.fqdn, "status": name, "propagation_s": round(seconds, 3)})
            return PublishStatus.SYNCED.value, None, g.published_at
    return PublishStatus.SYNCED.value, None, now


def _awaiting(driver: Any, g: Any) -> bool:
    """Pushed to an appliance that serves later, not yet confirmed: pushing the same
    answer again would only restart the wait."""
    return (driver.confirms_later and enum_text(g.publish_status) == PublishStatus.PENDING.value
            and g.published_at is not None)


def _refused_before(g: Any, d: AnswerDecision) -> bool:
    """The appliance already refused exactly this answer for good (ApplianceRefused)."""
    return (enum_text(g.publish_status) == PublishStatus.ERROR.value
            and (g.publish_reason or "").startswith("refused:")
            and (g.publish_reason or "").endswith(f"; wants {_text(d.answers)}"))


def answer_reason(d: AnswerDecision) -> str:
    """The stored ``answer_reason``: the rule in brackets, then why."""
    return f"[{d.rule}] {d.reason}"[:1024]


def rule_of(stored_reason: str | None) -> str:
    """The rule a stored ``answer_reason`` names ("" when none)."""
    if stored_reason and stored_reason.startswith("[") and "]" in stored_reason:
        return stored_reason[1:stored_reason.index("]")]
    return ""
