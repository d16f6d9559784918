"""The GSLB appliance driver contract.

A driver makes one DNS service (Designate, PowerDNS, the local responder...)
serve a GSLB's answer and reads back what it serves so the engine can repair
drift. Drivers are plugins: a class registered under the entry-point group
``kosmos.appliances`` and built with the deployment ``Settings``.

Rules every driver follows:

- **Idempotent.** ``set_answer`` with what is already served, and ``remove``
  of a name that is not served, succeed and change nothing.
- **One answer = two record sets.** The addresses are split by family into an
  A and an AAAA record set of the same TTL; a family with no address has no
  record set (it is deleted). An empty answer deletes both.
- **Errors at the edge.** Every failure of the appliance or of the path to it
  is raised as ``kosmos.errors.ApplianceError`` (retryable), chained to the
  third-party exception; nothing else escapes.
- **Lazy.** Constructing a driver opens no connection.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import NamedTuple

from kosmos.config import Settings
from kosmos.domain.answers import canonical, split_families
from kosmos.domain.routing.route import Route
from kosmos.errors import ApplianceError, ApplianceRefused

__all__ = ["Appliance", "NameAnswer", "Served", "split_families", "SERVED", "PENDING", "FAILED"]


SERVED, PENDING, FAILED = "served", "pending", "failed"


class NameAnswer(NamedTuple):
    """One name's answer to serve: its addresses, TTL and, for WEIGHTED and GEO, the
    route the appliance picks each response from (``kosmos.domain.routing.Route``)."""

    fqdn: str
    addresses: list[str]
    ttl: int
    route: Route | None = None


@dataclass(frozen=True)
class Served:
    """What an appliance serves for a name: canonical addresses and the TTL (None: nothing).

    ``state`` is ``served`` unless the appliance stores the records but has not
    yet made its name servers serve them (``pending``), or failed to
    (``failed``); ``detail`` says which part and why.
    """

    addresses: list[str] = field(default_factory=list)
    ttl: int | None = None
    state: str = SERVED
    detail: str = ""
    route_digest: str | None = None   # the digest of the route served with them, if any

    def matches(self, addresses: list[str], ttl: int, route: Route | None = None) -> bool:
        """True when this is exactly the answer ``addresses`` with ``ttl`` (and ``route``)."""
        want = canonical(addresses)
        if want != canonical(self.addresses):
            return False
        if want and self.route_digest != (route.digest() if route is not None else None):
            return False
        return not want or self.ttl == ttl


class Appliance(abc.ABC):
    """Base class of GSLB appliance drivers (see the module docstring)."""

    #: the entry-point name this driver is registered under
    name: str = ""
    #: True when ``set_answer`` returning means accepted, not yet served (Designate
    #: pushes to its name servers afterwards): the engine confirms by reading back
    confirms_later: bool = False
    #: the most addresses one answer may hold on this appliance (None: no limit)
    max_answers: int | None = None
    #: the routing policies it serves (``kosmos.domain.routing``); a per-query policy
    #: needs an appliance that picks each response itself from the route it is given
    routing: tuple[str, ...] = ("PRIORITY",)
    #: True when it answers each query from a route (WEIGHTED, GEO), not a fixed list
    per_query: bool = False
    #: worst-case seconds from a push to its name servers answering with it (a GSLB's
    #: stated ``failover_time`` counts it)
    publish_s: float = 1.0

    def __init__(self, settings: Settings):
        self.settings = settings

    @abc.abstractmethod
    def set_answer(self, fqdn: str, zone: str, addresses: list[str], ttl: int,
                   route: Route | None = None) -> None:
        """Serve exactly ``addresses`` (A for IPv4, AAAA for IPv6) for ``fqdn`` in ``zone``.

        ``fqdn`` and ``zone`` are absolute, lower-case, with the trailing dot.
        With a ``route`` (a per-query policy, only given to a driver listing it in
        ``routing``) each response is picked from it; ``addresses`` is then every
        address some response may hold. Raises ApplianceError (e.g. the zone does
        not exist on the appliance).
        """

    def set_answers(self, zone: str, answers: list[NameAnswer]) -> dict[str, ApplianceError]:
        """Serve many ``NameAnswer`` (or ``(fqdn, addresses, ttl)``) of one zone; the
        failures by fqdn.

        One endpoint dying behind many names changes all of them in one engine
        cycle: a driver whose service takes many record sets in one request
        overrides this. The default pushes one name at a time; an error that is
        not about that one answer (the appliance is down, the zone is missing)
        fails the rest of the zone without asking again.
        """
        failed: dict[str, ApplianceError] = {}
        items = [NameAnswer(*a) for a in answers]
        for i, a in enumerate(items):
            try:
                if a.route is None:
                    self.set_answer(a.fqdn, zone, a.addresses, a.ttl)
                else:
                    self.set_answer(a.fqdn, zone, a.addresses, a.ttl, a.route)
            except ApplianceRefused as exc:
                failed[a.fqdn] = exc
            except ApplianceError as exc:
                failed.update({b.fqdn: exc for b in items[i:]})
                break
        return failed

    @abc.abstractmethod
    def get_answer(self, fqdn: str, zone: str) -> Served:
        """What the appliance serves for ``fqdn`` now (A and AAAA); empty when nothing."""

    @abc.abstractmethod
    def remove(self, fqdn: str, zone: str) -> None:
        """Stop serving ``fqdn`` (its A and AAAA record sets); fine if already gone."""

    def zone_answers(self, zone: str) -> dict[str, Served] | None:
        """Every name's answer in ``zone`` from one bulk read, for reconcile; None when
        the driver cannot list a zone (reconcile then asks ``get_answer`` per name).
        A name absent from the result serves nothing."""
        return None

    def close(self) -> None:
        """Release connections; the default has none."""
