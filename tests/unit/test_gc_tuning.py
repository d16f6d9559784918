"""The garbage-collector settings of every function's warm instance."""
from __future__ import annotations

import gc

import pytest

from kosmos import gc_tuning


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tune_freezes_what_exists_and_collects_young_objects_less_often(restore_gc):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    gc_tuning.tune()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
    cycle: list = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1   # cycles made afterwards are still collected


def test_the_warm_instance_tunes_once_it_is_built(restore_gc):
    from kosmos.config import Settings
    from kosmos.engine.entry import LazyEngine
    from kosmos.engine.service import EngineService

    gc.set_threshold(700, 10, 10)
    assert isinstance(LazyEngine().build(Settings()), EngineService)   # connects to nothing yet
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD


def test_the_warm_checker_tunes_once_it_is_built(restore_gc):
    from kosmos.checker.entry import LazyChecker
    from kosmos.checker.service import CheckerService
    from kosmos.config import Settings

    gc.set_threshold(700, 10, 10)
    settings = Settings(region="R1", broker_url="http://127.0.0.1:9")   # nothing is sent
    assert isinstance(LazyChecker().build(settings), CheckerService)
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD


def test_the_warm_conductor_tunes_once_it_is_built(restore_gc, tmp_path):
    from kosmos.conductor import http
    from kosmos.config import Settings

    gc.set_threshold(700, 10, 10)
    handler = http._build(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}"))
    assert callable(handler)
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
    handler.database.dispose()


def test_the_warm_api_tunes_once_it_is_built(restore_gc):
    from kosmos.api import entry
    from kosmos.api.app import ApiApp
    from kosmos.config import Settings

    gc.set_threshold(700, 10, 10)
    settings = Settings(auth_strategy="noauth", conductor_url="http://127.0.0.1:9")
    assert isinstance(entry._build(settings), ApiApp)   # connects to nothing yet
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD
