"""The runner restarted on the same database keeps its state and its answers."""
from __future__ import annotations

import time

import pytest

from kosmos_local.harness import ADDRESSES, Api, Deployment, deploy

pytestmark = pytest.mark.e2e


def test_restart_on_the_same_database_keeps_state_and_answers(start_runner, endpoints, tmp_path):
    db = f"sqlite:///{tmp_path / 'kept.sqlite3'}"
    first = start_runner(db=db)
    d = deploy(first, endpoints[ADDRESSES[0]].port)
    d.wait_all_online()
    endpoints[ADDRESSES[0]].stop()
    d.wait_answer(set(ADDRESSES[1:]), timeout=10)
    assert first.stop() == 0, "SIGTERM must stop the runner cleanly"

    second = start_runner(db=db)
    api = Api(second.url)
    gslb = api.get(f"/v1/gslbs/{d.gslb['id']}")
    assert sorted(gslb["answers"]) == ADDRESSES[1:]
    member = api.get(f"/v1/pools/{d.pool['id']}/pool_members/{d.members[ADDRESSES[0]]['id']}")
    assert member["operating_status"] == "OFFLINE"

    # The first answer the new DNS server gives is the kept one, never a fresh guess.
    again = Deployment(second, api, gslb, d.pool, d.members)
    deadline = time.monotonic() + 15
    first_seen = None
    while first_seen is None and time.monotonic() < deadline:
        first_seen = again.answer()
        time.sleep(0.05)
    assert first_seen == set(ADDRESSES[1:])


def test_ctrl_c_stops_the_runner_cleanly(start_runner):
    import signal
    runner = start_runner()
    runner.proc.send_signal(signal.SIGINT)
    assert runner.proc.wait(timeout=10) == 0
    log = runner.log_tail(20)
    assert "stopped" in log and "Traceback" not in log
    runner.stop()


def test_a_port_taken_between_picking_and_starting_gets_new_ports(tmp_path):
    """A port picked free can be taken before the runner binds it (an outgoing
    connection's ephemeral port): the harness starts the runner again on new ports."""
    import socket

    from kosmos_local.harness import RunnerProcess
    from tests.e2e.conftest import ROOT

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        runner = RunnerProcess(ROOT, tmp_path, f"sqlite:///{tmp_path / 'k.sqlite3'}")
        runner.port = taken
        try:
            runner.start()
            assert runner.port != taken
            assert Api(runner.url).get("/_runner/regions")
            assert "Address already in use" in runner.log_path.read_text()
        finally:
            assert runner.stop() == 0
