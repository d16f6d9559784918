"""Lists: pagination by marker, sorting, filtering, and their errors."""
from __future__ import annotations

import uuid

import pytest

from kosmos.errors import NotFound, ValidationError


def _all_pages(build, op, args, limit):
    seen, marker = [], None
    while True:
        page = build.call(op, {**args, "limit": limit, **({"marker": marker} if marker else {})})
        assert len(page["items"]) <= limit
        seen.extend(page["items"])
        marker = page["next_marker"]
        if marker is None:
            return seen


def test_pages_cover_every_row_once_in_creation_order(build):
    created = [build.monitor(name=f"m{i:02d}")["id"] for i in range(23)]
    got = _all_pages(build, "monitor.list", {}, limit=5)
    assert [m["id"] for m in got] == created


def test_sort_desc_by_name_and_a_marker_in_the_middle(build):
    for name in ["b", "d", "a", "c", "e"]:
        build.monitor(name=name)
    first = build.call("monitor.list", {"sort_key": "name", "sort_dir": "desc", "limit": 2})
    assert [m["name"] for m in first["items"]] == ["e", "d"]
    rest = _all_pages(build, "monitor.list", {"sort_key": "name", "sort_dir": "desc"}, limit=2)
    assert [m["name"] for m in rest] == ["e", "d", "c", "b", "a"]


def test_equal_sort_keys_still_page_without_loss(build):
    ids = {build.monitor(name="same")["id"] for _ in range(7)}
    got = _all_pages(build, "monitor.list", {"sort_key": "name"}, limit=3)
    assert {m["id"] for m in got} == ids and len(got) == 7


def test_filters_by_simple_fields_with_text_values(build):
    p = build.pool()
    build.member(p, weight=0, admin_state_up=False)
    kept = build.member(p, weight=5)
    other_pool = build.pool()
    build.member(other_pool, weight=5)
    page = build.call("member.list", {"pool_id": p["id"], "filters": {"admin_state_up": "true"}})
    assert [m["id"] for m in page["items"]] == [kept["id"]]
    page = build.call("member.list", {"filters": {"weight": "5"}})
    assert len(page["items"]) == 2
    page = build.call("member.list", {"filters": {"weight": [0, 5]}, "pool_id": p["id"]})
    assert len(page["items"]) == 2
    assert build.call("gslb.list", {"filters": {"fqdn": "none.example.com."}})["items"] == []


@pytest.mark.parametrize("args,field", [
    ({"filters": {"ca_cert": "x"}}, "filters.ca_cert"),
    ({"filters": {"delay": "ten"}}, "filters.delay"),
    ({"sort_key": "headers"}, "sort_key"),
    ({"sort_dir": "up"}, "sort_dir"),
    ({"limit": 0}, "limit"),
    ({"limit": 1001}, "limit"),
])
def test_bad_list_arguments_name_the_field(build, args, field):
    with pytest.raises(ValidationError) as err:
        build.call("monitor.list", args)
    assert err.value.field == field


def test_a_marker_no_longer_in_the_list_is_a_404(build):
    # Deleted since the last page was read: like any id that is not there.
    with pytest.raises(NotFound, match="marker"):
        build.call("monitor.list", {"marker": "00000000-0000-0000-0000-000000000000"})


def test_list_of_1000_in_one_page(build):
    p = build.pool()
    rows = [{"id": str(uuid.uuid4()), "values": {"pool_id": p["id"], "address": "192.0.2.1"}}
            for _ in range(30)]
    for r in rows:
        build.call("member.create", r)
    page = build.call("member.list", {"limit": 1000})
    assert len(page["items"]) == 30 and page["next_marker"] is None
