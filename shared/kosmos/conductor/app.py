"""Builds the conductor's handler from settings (its composition root).

Nothing connects here: the engine is created and the schema upgraded (when
``database_auto_migrate``) on the first call, then reused while warm. A deployed
instance (``open_early``) then opens the rest of its connection pool in the
background, before a burst of calls would wait for the connections.
"""
from __future__ import annotations

from kosmos.adapters.emitter import Emitter
from kosmos.conductor.db.session import Database
from kosmos.conductor.dispatch import Handler, Notify, make_handler
from kosmos.config import Settings, get_settings
from kosmos.logs import get_logger

log = get_logger(__name__)


def build_handler(database_url: str | None = None, settings: Settings | None = None,
                  *, auto_migrate: bool | None = None,
                  emitter: Emitter | None = None, open_early: bool = False) -> Handler:
    """The handler ``(envelope) -> (status, body)`` on ``database_url`` (default: settings).

    Writes that may change answers are announced to the engine through
    ``emitter`` (default: the http emitter to ``settings.broker_url``).
    """
    s = settings or get_settings()
    database = Database(
        database_url or s.database_url, pool_size=s.database_pool_size,
        auto_migrate=s.database_auto_migrate if auto_migrate is None else auto_migrate,
        open_early=open_early)
    return make_handler(database, stale_intervals=s.stale_intervals,
                        notify=engine_notifier(s, emitter))


def engine_notifier(settings: Settings, emitter: Emitter | None = None) -> Notify | None:
    """The dispatcher's ``notify``; None (with a warning) when no event sink is configured."""
    from kosmos.conductor.notify import EngineNotifier

    if emitter is None:
        if settings.emitter != "http" or not settings.broker_url:
            log.warning("no event sink (KOSMOS_BROKER_URL): users' changes reach DNS only at "
                        "the next reconcile")
            return None
        from kosmos.bootstrap import event_emitter
        emitter = event_emitter(settings, source="//kosmos/conductor")
    return EngineNotifier(emitter)
