"""The fuzzers, run for a bounded time (KOSMOS_FUZZ_SECONDS, default 20 s each), and the
inputs they once crashed on, replayed on every run."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dns.message
import pytest

from kosmos_local.dns.responder import answer
from kosmos_local.dns.store import RecordStore

HERE = Path(__file__).resolve().parent
SECONDS = int(os.environ.get("KOSMOS_FUZZ_SECONDS", "20"))


@pytest.mark.parametrize("harness", ["fuzz_http_response.py", "fuzz_dns_query.py"])
def test_fuzzer_finds_no_crash(harness, tmp_path):
    (tmp_path / "corpus").mkdir()
    proc = subprocess.run(
        [sys.executable, str(HERE / harness), f"-max_total_time={SECONDS}",
         f"-artifact_prefix={tmp_path}/", "-rss_limit_mb=2048", str(tmp_path / "corpus")],
        capture_output=True, text=True, timeout=SECONDS + 120)
    runs = re.findall(r"Done (\d+) runs", proc.stderr)
    print(f"{harness}: {runs[-1] if runs else '?'} inputs in {SECONDS}s")
    crashes = list(tmp_path.glob("crash-*")) + list(tmp_path.glob("timeout-*"))
    assert proc.returncode == 0 and not crashes, proc.stderr[-3000:]


def test_a_response_sent_to_the_dns_server_gets_no_answer():
    # Found by the fuzzer: a message with QR set crashed the handler.
    store = RecordStore()
    store.add_zone("example.com.")
    wire = (HERE / "regressions" / "dns-response-as-query.bin").read_bytes()
    assert answer(store, wire) is None
    query = dns.message.make_query("www.example.com.", "A")
    response = dns.message.make_response(query).to_wire()
    assert answer(store, response) is None
    assert answer(store, query.to_wire()) is not None
