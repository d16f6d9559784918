"""Recheck on suspicion: a failed probe of a member that is up makes every region
look again at once, at the monitor's ``recheck_delay``, until its verdict settles.

Failover at an ordinary delay (10 s, three failures) would otherwise take the
whole ``delay × max_retries_down``. After a member's first failed probe in any
region, the engine sends every region that probes its pool a ``kosmos.
checker.batch`` of just that check with the monitor's ``recheck_delay`` as
its delay, for long enough to reach a verdict (``max_retries_down + 1``
rechecks); the results come back as usual and the usual thresholds and quorum
decide, so one region alone seeing failures still removes nothing. Only going
down is sped up: a member that is OFFLINE is not rechecked, so it comes back
at the normal pace (rise counts at ``delay``) and a flapping endpoint does not
bounce back fast.

Bounded: a (member, monitor) is rechecked once per window per engine instance,
at most ``settings.recheck_batch`` probes per results batch and
``settings.recheck_rate`` (probe, region) pairs per second (a token bucket), so a
suspect storm (a whole region failing) cannot flood the checkers. Checks of one
probe (``kosmos.probes.identity``: one endpoint behind many names, each with its
own monitor) fail together and a checker runs their rechecks as one probe, so
they count once: an endpoint dying behind thousands of names has them all
rechecked, not the first hundred. None are asked while the
engine is behind (a batch applied more than ``settings.recheck_max_lag`` after
its newest check): rechecks are a fast path for an engine with room to spare,
and under a backlog their events only add to it. The normal schedule goes on
regardless. A recheck batch is an ordinary batch: a late one is
skipped by its deadline, a duplicate gives identical results (the engine
ignores them), a lost one leaves the normal schedule, and the next failure
asks again.
"""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from kosmos.contracts.common import enum_text
from kosmos.contracts.events import CHECK_BATCH, CheckBatch, CheckResult, CheckSpec, MonitorSpec
from kosmos.domain.failover import rechecks_pay
from kosmos.engine.gateway import EngineContext
from kosmos.probes.folding import fold, foldable
from kosmos.probes.identity import probe_identity
from kosmos.logs import get_logger

log = get_logger(__name__)

Key = tuple[str, str]   # (member_id, monitor_id)


class Rechecks:
    """The recheck requests of one warm engine instance."""

    def __init__(self, settings: Any, emitter_for: Callable[[str], Any],
                 monotonic: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.emitter_for = emitter_for
        self.monotonic = monotonic
        self._until: dict[Key, datetime] = {}
        self._tokens = float(settings.recheck_rate)
        self._filled = monotonic()
        self._lock = threading.Lock()

    def _take(self, n: int) -> bool:
        """Whether ``n`` checks fit the rate now (token bucket of one second's worth)."""
        now = self.monotonic()
        rate = float(self.settings.recheck_rate)
        self._tokens = min(rate, self._tokens + (now - self._filled) * rate)
        self._filled = now
        if self._tokens < n:
            return False
        self._tokens -= n
        return True

    def may_ask(self, member_id: str, monitor_id: str, now: datetime) -> bool:
        """Whether a failure of (member, monitor) may start a recheck now: rechecks are on
        and this instance has none under way for it."""
        return bool(self.settings.recheck) and self._until.get((member_id, monitor_id), now) <= now

    def suspects(self, ctx: EngineContext, results: Iterable[CheckResult],
                 statuses: dict[str, str], now: datetime) -> list[tuple[Key, datetime, CheckSpec, str]]:
        """Failed (member, monitor)s of members up (after this batch's moves), not being
        rechecked already, of at most ``recheck_batch`` probes; each with the end of its
        recheck window, the check to ask for and its probe identity."""
        out: dict[Key, tuple[datetime, CheckSpec, str]] = {}
        probes: set[str] = set()
        for r in results:
            if r.ok:
                continue
            key = (r.member_id, r.monitor_id)
            member, monitor = ctx.members.get(r.member_id), ctx.monitors.get(r.monitor_id)
            if member is None or monitor is None or not member.admin_state_up or key in out:
                continue
            status = statuses.get(member.id, enum_text(member.operating_status))
            if status != "ONLINE" or self._until.get(key, now) > now or not rechecks_pay(
                    monitor.delay, monitor.recheck_delay):
                continue
            spec = _spec(member, monitor)
            identity = probe_identity(spec)
            if identity not in probes:
                if len(probes) >= self.settings.recheck_batch:
                    continue
                probes.add(identity)
            window = monitor.recheck_delay * (monitor.max_retries_down + 1) + monitor.timeout
            out[key] = (now + timedelta(seconds=window), spec, identity)
        return [(key, *chosen) for key, chosen in out.items()]

    def after_results(self, ctx: EngineContext, results: Iterable[CheckResult],
                      statuses: dict[str, str], now: datetime) -> int:
        """Ask every region to recheck this batch's suspects; the checks asked for. None
        when the batch waited longer than ``recheck_max_lag`` (the engine is behind)."""
        if not self.settings.recheck:
            return 0
        results = list(results)
        newest = max((r.checked_at for r in results), default=None)
        if newest is not None and (now - newest).total_seconds() > self.settings.recheck_max_lag:
            if any(not r.ok for r in results):
                log.debug("no recheck: results applied %.1fs after their check",
                          (now - newest).total_seconds())
            return 0
        with self._lock:
            chosen = self.suspects(ctx, results, statuses, now)
            by_region: dict[str, list[tuple[str, CheckSpec]]] = {}
            ends: dict[str, datetime] = {}
            paid: set[tuple[str, str]] = set()   # (probe, region) asked for in this call
            for key, until, spec, identity in chosen:
                member = ctx.members[key[0]]
                pool = ctx.pools.get(member.pool_id)
                regions = list(pool.regions) if pool is not None and pool.regions else \
                    list(self.settings.regions)
                unpaid = [(identity, r) for r in regions if (identity, r) not in paid]
                if unpaid and not self._take(len(unpaid)):
                    continue   # the rest wait for the next failure; the schedule goes on
                paid.update(unpaid)
                self._until[key] = until
                for region in regions:
                    by_region.setdefault(region, []).append((identity, spec))
                    ends[region] = max(ends.get(region, until), until)
            self._forget(now)
        sent = 0
        size = self.settings.batch_size
        for region, pairs in by_region.items():
            emitter = self.emitter_for(region)
            if emitter is None:
                continue
            # Checks of one probe side by side, in batches of at most batch_size checks (a
            # few thousand names behind one endpoint would make one event megabytes long),
            # each run of them folded into one spec (the checker unfolds it where its check
            # plugin declines sharing), unless folding is off (``fold_checks``).
            folds = foldable if self.settings.fold_checks else _never
            pairs.sort(key=lambda pair: pair[0])
            for part in (pairs[i:i + size] for i in range(0, len(pairs), size)):
                batch = CheckBatch(region=region,
                                   batch_id=_batch_id(region, now, [spec for _, spec in part]),
                                   window_start=now, deadline=ends[region],
                                   checks=fold(part, folds), recheck=True)
                try:
                    emitter.emit(CHECK_BATCH, batch, event_id=batch.batch_id, subject=region)
                    sent += len(part)
                except Exception as exc:   # noqa: BLE001 - a lost recheck leaves the normal schedule
                    log.warning("recheck not sent: %s", exc, extra={"region": region})
        if sent:
            log.info("recheck of %d suspect checks asked of %d regions", len(chosen),
                     len(by_region))
        return sent

    def _forget(self, now: datetime) -> None:
        if len(self._until) > 10_000:
            self._until = {k: t for k, t in self._until.items() if t > now}


def _spec(member: Any, monitor: Any) -> CheckSpec:
    fields = monitor.model_dump(mode="json")
    spec = MonitorSpec.model_validate({k: fields[k] for k in MonitorSpec.model_fields if k in fields})
    spec = spec.model_copy(update={"delay": float(monitor.recheck_delay)})
    return CheckSpec(member_id=member.id, pool_id=member.pool_id, project_id=member.project_id,
                     member_type=enum_text(member.type),
                     address=member.address or (member.endpoints[0] if member.endpoints else None),
                     endpoints=list(member.endpoints), port=member.port,
                     member_region=member.region, neutron_id=member.neutron_id, monitor=spec)


def _batch_id(region: str, now: datetime, specs: list[CheckSpec]) -> str:
    digest = hashlib.blake2b("|".join(f"{s.member_id}/{s.monitor.id}" for s in specs).encode(),
                             digest_size=6).hexdigest()
    return f"{region}/recheck/{now.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}/{digest}"


def _never(_spec: CheckSpec) -> bool:
    """Folding off: every check travels in full."""
    return False
