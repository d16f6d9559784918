"""Pure parts of the conductor: status aggregation, column types, filter coercion."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, Integer, String

from kosmos.conductor.db.session import make_engine
from kosmos.conductor.db.types import UtcDateTime
from kosmos.conductor.listing import _coerce
from kosmos.domain.rollup import gslb_status as gslb_operating_status
from kosmos.domain.rollup import pool_status as pool_operating_status
from kosmos.errors import ValidationError


@pytest.mark.parametrize("has_monitors,members,expected", [
    (False, ["ONLINE"], "NO_MONITOR"),
    (True, [], "OFFLINE"),
    (True, ["ONLINE", "ONLINE"], "ONLINE"),
    (True, ["ONLINE", "OFFLINE"], "DEGRADED"),
    (True, ["NO_MONITOR", "ONLINE"], "DEGRADED"),
    (True, ["NO_MONITOR", "NO_MONITOR"], "NO_MONITOR"),
    (True, ["OFFLINE", "NO_MONITOR"], "OFFLINE"),
])
def test_pool_status(has_monitors, members, expected):
    assert pool_operating_status(has_monitors, members) == expected


@pytest.mark.parametrize("pools,expected", [
    ([], "OFFLINE"), (["ONLINE"], "ONLINE"), (["OFFLINE", "DEGRADED"], "DEGRADED"),
    (["OFFLINE", "ONLINE"], "DEGRADED"), (["NO_MONITOR"], "NO_MONITOR"),
    (["OFFLINE", "NO_MONITOR"], "OFFLINE")])
def test_gslb_status(pools, expected):
    assert gslb_operating_status(pools) == expected


def test_utc_datetime_stores_naive_utc_and_returns_aware():
    t = UtcDateTime()
    plus2 = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    stored = t.process_bind_param(plus2, None)
    assert stored == datetime(2026, 1, 1, 10) and stored.tzinfo is None
    back = t.process_result_value(stored, None)
    assert back == plus2 and back.tzinfo == timezone.utc
    assert t.process_result_value("2026-01-01 10:00:00", None).tzinfo == timezone.utc
    assert t.process_bind_param(None, None) is None


@pytest.mark.parametrize("col,value,expected", [
    (Column("b", Boolean), "true", True), (Column("b", Boolean), "0", False),
    (Column("b", Boolean), False, False), (Column("i", Integer), "12", 12),
    (Column("s", String), 5, "5")])
def test_filter_values_take_the_column_type(col, value, expected):
    assert _coerce(col, value, "filters.x") == expected


@pytest.mark.parametrize("col,value", [
    (Column("b", Boolean), "maybe"), (Column("i", Integer), "ten"), (Column("s", String), {"a": 1})])
def test_bad_filter_values_name_the_filter(col, value):
    with pytest.raises(ValidationError) as err:
        _coerce(col, value, "filters.x")
    assert err.value.field == "filters.x"


def test_a_malformed_database_url_is_a_validation_error():
    with pytest.raises(ValidationError) as err:
        make_engine("not a url")
    assert err.value.field == "database_url"


def test_nothing_connects_when_the_handler_is_built():
    from kosmos.conductor.app import build_handler
    from kosmos.config import Settings
    handler = build_handler("postgresql+pg8000://postgres@127.0.0.1:1/none", settings=Settings())
    assert handler.database._engine is None
