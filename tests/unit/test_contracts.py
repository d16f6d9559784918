import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError as PydanticError

from kosmos.contracts.resources import (GslbCreate, MemberCreate, MonitorCreate,
                                        expand_codes)
from kosmos.contracts.common import RecordModel, UtcDatetime
from kosmos.errors import ValidationError, from_pydantic, from_wire, StaleVersion


def test_monitor_defaults_timeout_to_half_delay_capped_at_five():
    assert MonitorCreate(type="http", delay=4).timeout == 2.0
    assert MonitorCreate(type="TCP", delay=60).timeout == 5.0


def test_monitor_rejects_timeout_not_below_delay():
    with pytest.raises(PydanticError, match="timeout must be smaller than delay"):
        MonitorCreate(type="HTTP", delay=2, timeout=2)


@pytest.mark.parametrize("codes,expected", [
    ([200], {200}), (["200-202", 404], {200, 201, 202, 404})])
def test_expected_codes_ranges(codes, expected):
    assert expand_codes(MonitorCreate(type="HTTP", expected_codes=codes).expected_codes) == expected


@pytest.mark.parametrize("codes", [[], ["abc"], [99], ["300-200"], [True]])
def test_expected_codes_invalid(codes):
    with pytest.raises(PydanticError):
        MonitorCreate(type="HTTP", expected_codes=codes)


def test_gslb_fqdn_must_be_inside_zone_and_is_lowercased():
    g = GslbCreate(fqdn="WWW.Example.com.", zone_name="example.com.")
    assert g.fqdn == "www.example.com."
    with pytest.raises(PydanticError, match="not inside zone"):
        GslbCreate(fqdn="www.example.org.", zone_name="example.com.")
    with pytest.raises(PydanticError, match="trailing dot"):
        GslbCreate(fqdn="www.example.com", zone_name="example.com.")


def test_member_types_require_their_fields():
    assert MemberCreate(address="2001:db8::1").address == "2001:db8::1"
    with pytest.raises(PydanticError, match="address is required"):
        MemberCreate(type="IP")
    with pytest.raises(PydanticError, match="region is required"):
        MemberCreate(type="neutron_port", neutron_id="8f1e8a1e-1111-4111-8111-111111111111")


def test_pydantic_error_names_the_field():
    with pytest.raises(PydanticError) as info:
        MonitorCreate(type="HTTP", delay=0)
    err = from_pydantic(info.value)
    assert isinstance(err, ValidationError) and err.field == "delay" and "delay" in err.message


def test_errors_round_trip_over_the_wire():
    err = from_wire(StaleVersion("changed", field="version").to_wire())
    assert isinstance(err, StaleVersion) and err.code == 409 and err.field == "version"


def test_a_trusted_check_result_is_the_constructed_one():
    from datetime import datetime, timezone

    from kosmos.contracts.events import CheckResult, CheckResults

    at = datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=timezone.utc)
    values = {"member_id": "m", "monitor_id": "mon", "address": "192.0.2.1", "ok": False,
              "latency_ms": 12.5, "reason": "HTTP 503 not in 200", "checked_at": at}
    trusted = CheckResult.trusted(**values)
    assert trusted == CheckResult.model_construct(**values) == CheckResult.model_validate(values)
    assert trusted.model_dump(mode="json") == CheckResult.model_validate(values).model_dump(mode="json")
    assert trusted.model_fields_set == set(values)
    event = CheckResults(region="r", checker_id="c", results=[trusted])
    assert CheckResults.model_validate_json(event.model_dump_json()).results == [trusted]


class _Times(RecordModel):
    at: UtcDatetime
    maybe: UtcDatetime | None = None


@pytest.mark.parametrize("given, expected", [
    ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    ("2026-01-02T05:04:05+02:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
])
def test_times_without_an_offset_are_utc_and_offsets_are_kept(given, expected):
    for parsed in (_Times.model_validate_json(json.dumps({"at": given})).at,
                   _Times.model_validate({"at": given}).at):
        assert parsed == expected and parsed.utcoffset() is not None
    naive = _Times.model_validate({"at": datetime(2026, 1, 2, 3, 4, 5)}).at
    assert naive == expected and naive.tzinfo is timezone.utc
    offset = _Times.model_validate_json('{"at": "2026-01-02T05:04:05+02:00"}').at
    assert offset.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("bad", ["garbage", "2026-13-01T00:00:00Z", True, None])
def test_a_bad_time_is_one_error_naming_its_field(bad):
    with pytest.raises(PydanticError) as info:
        _Times.model_validate_json(json.dumps({"at": bad}))
    err = from_pydantic(info.value)
    assert err.field == "at" and len(err.details) == 1, err.details
    assert "date and time" in str(err) or bad is None


def test_a_time_is_a_date_time_string_in_the_schema():
    schema = _Times.model_json_schema()["properties"]
    assert schema["at"]["type"] == "string" and schema["at"]["format"] == "date-time"
    assert {"type": "string", "format": "date-time"} in schema["maybe"]["anyOf"]


def test_trusted_models_are_what_model_construct_makes():
    from datetime import datetime, timezone

    from kosmos.contracts.events import CheckResult, SharedCheck

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for cls, values in ((SharedCheck, {"member_id": "m", "pool_id": "p", "monitor_id": "mon",
                                       "max_retries": 2, "max_retries_down": 3}),
                        (CheckResult, {"member_id": "m", "monitor_id": "mon", "address": None,
                                       "ok": True, "latency_ms": 1.5, "reason": "HTTP 200",
                                       "checked_at": at})):
        made, want = cls.trusted(**values), cls.model_construct(**values)
        assert made == want and made.model_fields_set == want.model_fields_set
        assert made.model_dump(mode="json") == want.model_dump(mode="json")
        assert cls.model_validate(made.model_dump()) == made
        made.member_id = "other"   # assignable, as a validated model is
        assert made.member_id == "other" and "member_id" in made.model_fields_set
