"""Quotas through the real conductor, on SQLite and PostgreSQL: a create over quota is a
403 QuotaExceeded that writes nothing, also when creates race for the last place."""
from __future__ import annotations

import threading
import uuid

import pytest
from fixtures.conductor import P1, Builder

from kosmos.contracts.conductor import CallContext
from kosmos.errors import Conflict, Forbidden, KosmosError, QuotaExceeded

ADMIN = CallContext(project_id="admin-project", roles=["admin"], is_admin=True)


def test_defaults_are_unlimited_and_reads_show_use(build):
    build.monitor()
    q = build.call("quota.get")
    assert q["project_id"] == P1.project_id and q["monitors"] == -1 and q["gslbs"] == -1
    assert q["in_use"]["monitors"] == 1 and q["in_use"]["pools"] == 0


def test_a_create_over_quota_is_refused_and_writes_nothing(build):
    build.call("quota.set", {"project_id": P1.project_id, "values": {"pools": 2}}, ADMIN)
    mon = build.monitor()
    build.pool([mon])
    build.pool([mon])
    with pytest.raises(QuotaExceeded) as err:
        build.pool([mon], name="third")
    assert err.value.code == 403 and err.value.field == "pools"
    assert "may hold 2 pools and holds 2" in err.value.message
    names = [p["name"] for p in build.call("pool.list")["items"]]
    assert "third" not in names and len(names) == 2
    # another project is not limited by it; null puts the default back
    other = Builder(build.c, CallContext(project_id="project-b", roles=["member"]))
    other.pool([other.monitor()])
    build.call("quota.set", {"project_id": P1.project_id, "values": {"pools": None}}, ADMIN)
    build.pool([mon], name="third")


def test_a_retried_create_that_took_the_last_place_returns_its_row(build):
    """The retry of a create that succeeded is its replay, not one more: at the limit it
    answers the stored row; only a new id is refused."""
    build.call("quota.set", {"project_id": P1.project_id, "values": {"monitors": 1}}, ADMIN)
    args = {"id": str(uuid.uuid4()), "values": {"type": "TCP", "delay": 5}}
    first = build.call("monitor.create", args)
    assert build.call("monitor.create", args) == first
    with pytest.raises(QuotaExceeded):
        build.monitor()
    with pytest.raises(Conflict):   # the same id with other values is not a replay
        build.call("monitor.create", {**args, "values": {"type": "TCP", "delay": 6}})
    assert build.call("quota.get")["in_use"]["monitors"] == 1


def test_only_an_admin_changes_or_reads_another_projects_quota(build):
    with pytest.raises(Forbidden):
        build.call("quota.set", {"project_id": P1.project_id, "values": {"pools": 100}})
    with pytest.raises(Forbidden):
        build.call("quota.get", {"project_id": "project-b"})
    assert build.call("quota.get", {"project_id": "project-b"}, ADMIN)["project_id"] == "project-b"
    build.call("quota.set", {"project_id": "project-b", "values": {"gslbs": 0}}, ADMIN)
    assert build.call("quota.delete", {"project_id": "project-b"}, ADMIN) is None
    assert build.call("quota.get", {"project_id": "project-b"}, ADMIN)["gslbs"] == -1


@pytest.mark.parametrize("kind", ["monitor", "gslb"])
def test_concurrent_creates_at_the_limit_never_pass_it(build, kind):
    limit, racers, field = 3, 8, kind + "s"
    pool = build.pool([build.monitor()]) if kind == "gslb" else None   # before the quota
    build.call("quota.set", {"project_id": P1.project_id, "values": {field: limit}}, ADMIN)
    before = build.call("quota.get")["in_use"][field]
    barrier = threading.Barrier(racers)
    outcomes: list[object] = [None] * racers

    def create(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = (build.monitor(name=f"m{i}") if kind == "monitor"
                           else build.gslb([pool], fqdn=f"race{i}.example.com."))
        except KosmosError as exc:
            outcomes[i] = exc
    threads = [threading.Thread(target=create, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    made = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
    assert len(made) == limit - before and len(refused) == racers - len(made), outcomes
    assert build.call("quota.get")["in_use"][field] == limit
