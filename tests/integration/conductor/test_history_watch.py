"""The local runner's log of verdicts and answers follows the history, late entries too."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from fixtures.conductor import SYSTEM, entry

from kosmos_local.watch import HistoryWatch


def test_each_entry_is_logged_once_including_late_ones(build, caplog):
    g = build.gslb([], fqdn="www.example.com.")
    watch = HistoryWatch(lambda op, args: build.call(op, args, SYSTEM))
    hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    build.call("history.append", {"entries": [
        entry(gslb_id=g["id"], subject_id="m1", dedupe_key="w1", reason="3 regions agree"),
        entry(gslb_id=g["id"], subject_type="gslb", subject_id=g["id"], dedupe_key="w2",
              **{"from": "192.0.2.1,192.0.2.2", "to": "192.0.2.2"}, reason="HEALTHY: pool p")]})
    with caplog.at_level(logging.INFO, logger="kosmos.local.watch"):
        watch.poll()
        watch.poll()      # nothing new: nothing logged again
        # a late batch records a change that happened an hour ago: still news to a watcher
        build.call("history.append", {"entries": [
            entry(gslb_id=g["id"], subject_id="m2", dedupe_key="w3", time=hour_ago)]})
        watch.poll()
    lines = [r.getMessage() for r in caplog.records if r.name == "kosmos.local.watch"]
    assert lines == ["verdict: member m1 OFFLINE -> ONLINE (3 regions agree)",
                     "answer www.example.com.: 192.0.2.1,192.0.2.2 -> 192.0.2.2 (HEALTHY: pool p)",
                     "verdict: member m2 OFFLINE -> ONLINE (rule)"]


def test_nothing_is_read_while_its_lines_would_not_be_logged(build, caplog):
    calls: list[str] = []
    watch = HistoryWatch(lambda op, args: calls.append(op) or build.call(op, args, SYSTEM))
    with caplog.at_level(logging.WARNING, logger="kosmos.local.watch"):
        watch.poll()
    assert calls == []
    with caplog.at_level(logging.INFO, logger="kosmos.local.watch"):
        watch.poll()
    assert calls == ["history.list"]
