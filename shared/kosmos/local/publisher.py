"""``QueuePublisher``: the runner's implementation of the Publisher port.

Events a function publishes go into the runner's in-process queue (through
the platform's routing and region simulation), as they would go to a broker.
"""
from __future__ import annotations

from typing import Callable

from kosmos.adapters.publisher import Event, Publisher
from kosmos.local.events import Envelope


class QueuePublisher(Publisher):
    """Hand each event to ``route`` (the platform's router into its queue)."""

    def __init__(self, route: Callable[[Envelope], None], source: str = "//kosmos/local"):
        super().__init__(source)
        self.route = route

    def deliver(self, event: Event) -> None:
        self.route(Envelope(type=event.type, data=event.data, source=event.source, id=event.id,
                            time=event.time.isoformat(), subject=event.subject))
