from __future__ import annotations

import random
from datetime import datetime, timezone

from kosmos.checker.sharding import batch_id, shard
from kosmos.contracts.events import CheckSpec


def specs(make_check, n, delay=10):
    return [CheckSpec.model_validate(make_check(f"m{i:04d}", delay=delay)) for i in range(n)]


def test_same_checks_in_any_order_give_the_same_batches(make_check):
    a = specs(make_check, 250)
    b = list(a)
    random.Random(7).shuffle(b)
    ids = lambda batches: [[(c.member_id, c.monitor.id) for c in x] for x in batches]
    assert ids(shard(a, 100, 1e9)) == ids(shard(b, 100, 1e9))


def test_batches_respect_size(make_check):
    batches = shard(specs(make_check, 250), 100, 1e9)
    assert [len(b) for b in batches] == [100, 100, 50]


def test_batches_respect_probe_rate(make_check):
    # 300 checks every second = 300 probes/s; at most 120/s per batch.
    batches = shard(specs(make_check, 300, delay=1), 10_000, 120)
    assert [len(b) for b in batches] == [120, 120, 60]


def test_no_checks_no_batches():
    assert shard([], 10, 10) == []


def test_batch_id_names_region_window_and_shard():
    start = datetime(2030, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert batch_id("RegionOne", start, 3) == "RegionOne/2030-05-01T12:00:00Z/3"


def test_https_probes_weigh_more_than_http(make_check):
    http = [CheckSpec.model_validate(make_check(f"h{i:03d}", delay=1)) for i in range(60)]
    https = [CheckSpec.model_validate(make_check(f"s{i:03d}", delay=1, type_="HTTPS")) for i in range(60)]
    assert [len(b) for b in shard(http, 10_000, 120)] == [60]
    assert [len(b) for b in shard(https, 10_000, 120)] == [20, 20, 20]


def test_checks_of_one_window_count_once_per_window_against_the_rate(make_check):
    # Twenty checks at delay 10 s, all with a slot in a one-second window: twenty probes
    # in that second, so a cap of five a second makes four batches (two a second, as if
    # spread over the whole delay, would make one).
    checks = [CheckSpec.model_validate(make_check(f"m{i:02}", delay=10)) for i in range(20)]
    assert len(shard(checks, batch_size=100, max_rate=5.0)) == 1
    assert [len(b) for b in shard(checks, batch_size=100, max_rate=5.0, window=1.0)] == [5] * 4
