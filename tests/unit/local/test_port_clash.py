"""A taken port stops the runner at once with a message naming the port and its flag."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_taken_dns_port_names_the_port_and_the_flag(tmp_path):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "local" / "runner.py"), "--dns-port", str(port),
             "--port", "0", "--db", f"sqlite:///{tmp_path / 'k.sqlite3'}"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    finally:
        busy.close()
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"127.0.0.1:{port} is taken" in done.stderr and "--dns-port" in done.stderr


def test_help_shows_the_defaults():
    done = subprocess.run([sys.executable, str(ROOT / "local" / "runner.py"), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "(default: 8080)" in done.stdout
