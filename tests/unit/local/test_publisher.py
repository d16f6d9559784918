"""The queue-backed publisher validates like every publisher and routes envelopes."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kosmos.contracts.events import CHECK_RESULTS, CheckResults
from kosmos.errors import ValidationError
from kosmos.local.publisher import QueuePublisher


def test_publish_routes_a_valid_envelope():
    routed = []
    pub = QueuePublisher(routed.append)
    data = CheckResults(region="RegionOne", checker_id="c", results=[])
    event = pub.publish(CHECK_RESULTS, data, event_id="e-1", subject="RegionOne")
    assert len(routed) == 1
    env = routed[0]
    assert (env.id, env.type, env.subject, env.region) == ("e-1", CHECK_RESULTS, "RegionOne", "RegionOne")
    assert env.data == event.data
    datetime.fromisoformat(env.time)


def test_invalid_data_never_reaches_the_queue():
    routed = []
    pub = QueuePublisher(routed.append)
    with pytest.raises(ValidationError):
        pub.publish(CHECK_RESULTS, {"region": "R", "checker_id": "c", "results": [{"ok": "x"}]})
    assert routed == []
