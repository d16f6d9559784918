from kosmos.contracts.conductor import CallContext
from kosmos.errors import StaleVersion
import pytest


def test_create_and_get_monitor(conductor):
    ctx = CallContext(project_id="p1")
    m = conductor.call("monitor.create", {"values": {"type": "HTTP"}}, ctx)
    assert conductor.call("monitor.get", {"id": m["id"]}, ctx)["type"] == "HTTP"
    with pytest.raises(StaleVersion):
        conductor.call("monitor.update", {"id": m["id"], "values": {"version": 7}}, ctx)
