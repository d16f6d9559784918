"""Where each probe falls in time: a deterministic grid per probe.

A check with ``delay`` d runs at instants ``phase + k·d`` (seconds since the
epoch, k an integer). The phase is a hash of the check's probe identity
(``kosmos.probes.identity``: what it probes and how), so probes of many endpoints with the
same delay spread evenly over the delay instead of all firing at once, checks
of the same probe fall at the same instants (a batch runs that probe once for
them all), and every checker instance, retry or duplicate of a batch computes
the same instants. The grid is anchored to the epoch, not the window,
so consecutive windows continue it without a gap or a double probe at the
boundary. The slot instant is the result's ``checked_at``: a duplicated batch
yields identical (member, monitor, region, checked_at) results, which the
engine ignores.
"""
from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from datetime import datetime, timezone

from kosmos.probes.identity import probe_identity
from kosmos.contracts.events import CheckSpec


@lru_cache(maxsize=65536)
def phase(key: str, delay: float) -> float:
    """Seconds in [0, delay): the offset on its grid of the probe ``key`` names (kept:
    every tick asks it of each of a region's checks, and every batch of each of its own)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0 ** 64 * delay


def grid_offset(spec: CheckSpec, region_phase: float, key: str | None = None) -> float:
    """Seconds in [0, delay): where a check's grid falls in the region ``region_phase``
    (its share of every delay) probes from; ``key``: its probe identity, if known."""
    delay = float(spec.monitor.delay)
    return (phase(key or probe_identity(spec), delay) + region_phase * delay) % delay


def slot_index(start: float, delay: float, offset: float) -> int:
    """k of the first grid instant ``offset + k·delay`` at or after ``start``."""
    return math.ceil((start - offset) / delay)


def first_slot(start: float, delay: float, offset: float) -> float:
    """The first grid instant at or after ``start`` (epoch seconds)."""
    return offset + slot_index(start, delay, offset) * delay


def slots(start: float, end: float, delay: float, offset: float) -> list[float]:
    """Every grid instant in [start, end) (for tests and planning; the batch walks lazily)."""
    out = []
    k = slot_index(start, delay, offset)
    while offset + k * delay < end:
        out.append(offset + k * delay)
        k += 1
    return out


def late_grace(delay: float) -> float:
    """How late a slot may start before it is dropped rather than bunched with the next."""
    return min(1.0, delay / 2.0)


#: seconds after its deadline a batch still runs its checks' missed slots (and a tick
#: still plans its window): a probe a few seconds late is still news, one a minute late is
#: not. Beyond one window's length, only slots that passed less than half their delay ago
#: (``catch_up_allowed``)
MAX_LATE = 5.0


def catch_up_allowed(age: float, delay: float, window: float, late: float) -> bool:
    """Whether a check's slot that passed ``age`` seconds before its batch arrived still
    runs, once, at once; the batch came ``late`` seconds after its deadline and its window
    is ``window`` seconds long. Up to one window's length late, always. Later, only a slot
    that passed less than half the check's delay ago: its catch-up is never bunched with
    the check's next slot."""
    return late < window or age <= delay / 2.0


def to_epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def from_epoch(value: float) -> datetime:
    # fromtimestamp rounds to the microsecond (half to even), so the same instant always
    # serialises the same way; rounding with round(value, 6) first gave the same datetime
    # at three times the cost (it formats and parses a string).
    return datetime.fromtimestamp(value, timezone.utc)
