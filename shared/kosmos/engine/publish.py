"""Per GSLB: decide the answer, hold mass removals, push to the appliance, record it.

``publish`` is shared by the results handler (GSLBs touched by member moves,
with the not-yet-written statuses as overrides) and by reconcile (every GSLB,
with the appliance's served answer read back to find drift).

Order matters for "no lost transition": the appliance is pushed first, then
``gslb.set_answer`` records what is served (SYNCED) with its history entry in
one conductor transaction. If the appliance fails, the GSLB keeps its old
``answers`` with publish_status ERROR and the desired answer in the reason;
reconcile retries. If the conductor fails, the handler raises and the event is
redelivered; the push is idempotent.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable

from kosmos.appliances.base import FAILED, PENDING, Served
from kosmos.appliances.registry import Appliances
from kosmos.config import Settings
from kosmos.contracts.conductor import GslbTree
from kosmos.contracts.history import HistoryEntryCreate, SubjectType
from kosmos.contracts.resources import PublishStatus
from kosmos.domain.breaker import NOT_TRIPPED, BreakerVerdict, removes
from kosmos.domain.answers import AnswerDecision, answer_digest, decide_answer
from kosmos.engine.gateway import EngineGateway
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


class ServedReader:
    """What appliances serve, read a zone at a time (``Appliance.zone_answers``).

    Reconcile reads every name it manages; one listing per (appliance, zone)
    replaces one request per name. A driver that cannot list a zone is asked
    name by name; a listing that fails fails every name of that zone without
    asking again (the appliance is down: one error, not thousands).
    """

    def __init__(self, appliances: Appliances):
        self.appliances = appliances
        self._zones: dict[tuple[str, str], dict[str, Served] | None | ApplianceError] = {}
        self.listings = 0

    def __call__(self, appliance: str, fqdn: str, zone: str) -> Served:
        driver = self.appliances.get(appliance)
        key = (appliance, zone)
        if key not in self._zones:
            try:
                self._zones[key] = driver.zone_answers(zone)
                self.listings += 1
            except ApplianceError as exc:
                self._zones[key] = exc
        known = self._zones[key]
        if isinstance(known, ApplianceError):
            raise known
        if known is None:
            return driver.get_answer(fqdn, zone)
        return known.get(fqdn, Served())


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _with_overrides(tree: GslbTree, statuses: dict[str, str]) -> GslbTree:
    if not statuses:
        return tree
    pools = []
    for tp in tree.pools:
        members = [m.model_copy(update={"operating_status": statuses[m.id]}) if m.id in statuses else m
                   for m in tp.members]
        pools.append(tp.model_copy(update={"members": members}))
    return tree.model_copy(update={"pools": pools})


def _text(addresses: list[str]) -> str:
    """An answer as a history state: the addresses, or a count when too long to store
    (states are short columns; the full lists are in the evidence)."""
    text = ",".join(addresses) if addresses else "(none)"
    return text if len(text) <= 64 else f"{len(addresses)} addresses #{answer_digest(addresses)[:8]}"


def _status(v: Any) -> str:
    return v.value if hasattr(v, "value") else str(v)


def publish(gateway: EngineGateway, appliances: Appliances, settings: Settings,
            trees: list[GslbTree], cause: Cause, statuses: dict[str, str] | None = None,
            breaker: BreakerVerdict = NOT_TRIPPED, read_back: "ServedReader | None" = None,
            clock: Callable[[], datetime] | None = None,
            skip_conflicts: bool = False) -> PublishReport:
    """Bring each GSLB of ``trees`` to its desired answer (see the module docstring).

    ``read_back`` (reconcile) says what the appliance serves for a GSLB, to repair drift.
    A GSLB changed by another writer meanwhile raises StaleVersion, or with
    ``skip_conflicts`` is listed in ``report.conflicts`` and the rest go on.
    While ``breaker`` holds, a GSLB whose answer would drop an address keeps
    its answer (HELD); additions go through.
    """
    report = PublishReport()
    trees = [_with_overrides(t, statuses or {}) for t in trees]
    decisions = {t.gslb.id: _capped(decide_answer(t, t.gslb.answers, settings.min_healthy_members),
                                    _limit(appliances, t.gslb.appliance))
                 for t in trees}
    held = {t.gslb.id for t in trees
            if breaker.hold and removes(t.gslb.answers, decisions[t.gslb.id].answers)}
    for tree in trees:
        g, d = tree.gslb, decisions[tree.gslb.id]
        try:
            if g.id in held:
                _hold(gateway, tree, d, breaker, cause, len(held))
                report.held.append(g.id)
                continue
            _publish_one(gateway, appliances, tree, d, cause, report, read_back, clock)
        except StaleVersion:
            if not skip_conflicts:
                raise
            report.conflicts.append(g.id)   # another writer is on it; the next cycle looks again
    return report


def _limit(appliances: Appliances, name: str | None) -> int | None:
    try:
        return appliances.get(name).max_answers
    except ApplianceError:
        return None   # the push reports it


def _capped(d: AnswerDecision, limit: int | None) -> AnswerDecision:
    """The decision cut to the appliance's most addresses per answer (Designate's quota)."""
    if limit is None or len(d.answers) <= limit:
        return d
    return replace(d, answers=d.answers[:limit],
                   reason=f"{d.reason}; cut to the appliance's limit of {limit} addresses",
                   evidence={**d.evidence, "answers_before_cut": len(d.answers)})


def _hold(gateway: EngineGateway, tree: GslbTree, d: AnswerDecision, verdict: BreakerVerdict,
          cause: Cause, n_held: int) -> None:
    g = tree.gslb
    reason = verdict.reason
    would = f"; would publish {_text(d.answers)}"
    note = reason + would
    if _status(g.publish_status) == PublishStatus.HELD.value and (g.publish_reason or "").endswith(would):
        return   # already held for this answer: a changing count is not a new event
    entry = HistoryEntryCreate(
        project_id=g.project_id, gslb_id=g.id, subject_type=SubjectType.GSLB, subject_id=g.id,
        time=cause.time, from_state=_text(g.answers), to_state="HELD", reason=reason,
        evidence={**cause.evidence, "trigger": cause.trigger, "would_publish": d.answers,
                  "answers": list(g.answers),
                  "rule": d.rule, "answer_reason": d.reason, "gslbs_held": n_held,
                  "breaker": verdict.evidence, **d.evidence},
        dedupe_key=f"held:{g.id}:{answer_digest(d.answers)}:{cause.key}")
    gateway.set_answer(g.id, g.answers, g.answer_reason, PublishStatus.HELD.value, note,
                       g.published_at, [entry])
    log.warning("gslb.breaker.held: answer change held by circuit breaker",
                extra={"gslb_id": g.id, "fqdn": g.fqdn, "status": reason})


def _publish_one(gateway: EngineGateway, appliances: Appliances, tree: GslbTree, d: AnswerDecision,
                 cause: Cause, report: PublishReport, read_back: "ServedReader | None",
                 clock: Callable[[], datetime] | None) -> None:
    g = tree.gslb
    status = _status(g.publish_status)
    changed = d.answers != list(g.answers)
    reason = answer_reason(d)
    if not (changed or status != PublishStatus.SYNCED.value or read_back is not None
            or reason != g.answer_reason):
        return
    name = g.appliance or appliances.default
    served: Served | None = None
    pushed = False
    try:
        driver = appliances.get(g.appliance)
        if _refused_before(g, d):
            report.errors.append(g.id)   # the same answer again cannot succeed
            return
        if read_back is not None:
            served = read_back(name, g.fqdn, g.zone_name)
        drift = served is not None and not served.matches(d.answers, g.ttl)
        if drift:
            report.drift.append(g.id)
        if not (changed or status != PublishStatus.SYNCED.value or drift or reason != g.answer_reason):
            return
        if changed or drift or (served is None and status != PublishStatus.SYNCED.value
                                and not _awaiting(driver, g)):
            driver.set_answer(g.fqdn, g.zone_name, d.answers, g.ttl)
            pushed = True
    except ApplianceError as exc:
        report.errors.append(g.id)
        lead = "refused" if isinstance(exc, ApplianceRefused) else f"appliance {name}"
        note = f"{lead}: {exc.message}; wants {_text(d.answers)}"
        if status != PublishStatus.ERROR.value or g.publish_reason != note:
            gateway.set_answer(g.id, g.answers, g.answer_reason, PublishStatus.ERROR.value, note[:1024],
                               g.published_at)
        log.warning("appliance push failed", extra={"gslb_id": g.id, "fqdn": g.fqdn})
        return
    now = clock() if clock else cause.time
    new_status, note, published_at = _outcome(driver, name, served, pushed, status, g, now)
    history = []
    if changed or d.rule != rule_of(g.answer_reason):
        history.append(HistoryEntryCreate(
            project_id=g.project_id, gslb_id=g.id, subject_type=SubjectType.GSLB, subject_id=g.id,
            time=cause.time, from_state=_text(list(g.answers)), to_state=_text(d.answers),
            reason=f"{cause.note}{d.rule}: {d.reason}"[:2048],
            evidence={**cause.evidence, "trigger": cause.trigger, "rule": d.rule,
                      "answers_from": list(g.answers), "answers_to": d.answers,
                      "served_before": served.addresses if served else None, **d.evidence},
            dedupe_key=f"gslb:{g.id}:{answer_digest(g.answers)}:{answer_digest(d.answers)}:{cause.key}"))
    if (not history and not changed and new_status == status and note == g.publish_reason
            and reason == g.answer_reason):
        return
    gateway.set_answer(g.id, d.answers, reason, new_status, note, published_at, history)
    report.published.append(g.id)
    if changed:
        log.info("answer published", extra={"gslb_id": g.id, "fqdn": g.fqdn, "status": d.rule})


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
    return (driver.confirms_later and _status(g.publish_status) == PublishStatus.PENDING.value
            and g.published_at is not None)


def _refused_before(g: Any, d: AnswerDecision) -> bool:
    """The appliance already refused exactly this answer for good (ApplianceRefused)."""
    return (_status(g.publish_status) == PublishStatus.ERROR.value
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
