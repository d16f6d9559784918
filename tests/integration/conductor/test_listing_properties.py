"""Property: paging any list in any order yields every row once, in (sort_key, id) order."""
from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kosmos.contracts.conductor import CallContext


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(["", "a", "b", "B", "ab", "z"]), max_size=12),
       limit=st.integers(1, 7), desc=st.booleans(), key=st.sampled_from(["name", "delay"]))
def test_pages_are_a_partition_in_order(sqlite_conductor, names, limit, desc, key):
    ctx = CallContext(project_id=f"prop-{uuid.uuid4()}")  # a fresh project per example
    made = [sqlite_conductor.call("monitor.create", {"values": {
        "type": "TCP", "name": n, "delay": 10 + i % 3}}, ctx) for i, n in enumerate(names)]
    seen, marker = [], None
    while True:
        args = {"limit": limit, "sort_key": key, "sort_dir": "desc" if desc else "asc"}
        if marker:
            args["marker"] = marker
        page = sqlite_conductor.call("monitor.list", args, ctx)
        assert len(page["items"]) <= limit
        seen.extend(page["items"])
        marker = page["next_marker"]
        if marker is None:
            break
    expected = sorted(made, key=lambda m: (m[key], m["id"]), reverse=desc)
    assert [m["id"] for m in seen] == [m["id"] for m in expected]
