"""Routing fields through the real conductor: stored, listed, and checked against the
appliance that will serve them."""
from __future__ import annotations

import pytest

from kosmos.config import get_settings
from kosmos.errors import ValidationError


def test_routing_fields_round_trip_and_pools_keep_client_subnets(build):
    pool = build.pool(client_subnets=["10.1.2.3/16", "2001:db8::/32"])
    assert pool["client_subnets"] == ["10.1.0.0/16", "2001:db8::/32"]      # host bits cleared
    g = build.gslb([pool], appliance="local", routing="GEO", max_answers=2, slow_start=30)
    assert (g["routing"], g["max_answers"], g["slow_start"]) == ("GEO", 2, 30)
    g = build.call("gslb.update", {"id": g["id"], "values": {"routing": "WEIGHTED",
                                                            "max_answers": None}})
    assert (g["routing"], g["max_answers"], g["slow_start"]) == ("WEIGHTED", None, 30)
    plain = build.gslb([pool])
    assert (plain["routing"], plain["max_answers"], plain["slow_start"]) == ("PRIORITY", None, 0)
    listed = build.call("gslb.list", {"filters": {"routing": "WEIGHTED"}})["items"]
    assert [x["id"] for x in listed] == [g["id"]]


def test_an_appliance_that_cannot_serve_the_routing_is_a_400_naming_the_field(build):
    pool = build.pool()
    assert get_settings().appliance == "designate"          # the deployment default here
    with pytest.raises(ValidationError, match="appliance designate cannot serve WEIGHTED") as err:
        build.gslb([pool], routing="WEIGHTED")
    assert err.value.field == "routing"
    limit = get_settings().designate_max_records
    with pytest.raises(ValidationError, match=f"at most {limit} addresses") as err:
        build.gslb([pool], appliance="designate", max_answers=limit + 1)
    assert err.value.field == "max_answers"
    g = build.gslb([pool], appliance="local", routing="WEIGHTED")
    with pytest.raises(ValidationError) as err:    # moving it to designate keeps it as it was
        build.call("gslb.update", {"id": g["id"], "values": {"appliance": "designate"}})
    assert err.value.field == "routing"
    assert build.call("gslb.get", {"id": g["id"]})["appliance"] == "local"


def test_bad_client_subnets_name_the_item(build):
    with pytest.raises(ValidationError) as err:
        build.pool(client_subnets=["10.0.0.0/8", "10.0.0.0/8"])
    assert "listed twice" in err.value.message and "client_subnets" in (err.value.field or "")


def test_the_appliances_say_what_they_serve(build):
    by_name = {a["name"]: a for a in build.call("appliance.list")["appliances"]}
    assert by_name["designate"]["routing"] == ["PRIORITY"] and by_name["designate"]["default"]
    assert by_name["designate"]["max_answers"] == get_settings().designate_max_records
    assert by_name["local"]["routing"] == ["PRIORITY", "WEIGHTED", "GEO"]
    assert by_name["local"]["per_query"] and not by_name["designate"]["per_query"]
    assert set(by_name["powerdns"]["routing"]) == {"PRIORITY", "WEIGHTED", "GEO"}
