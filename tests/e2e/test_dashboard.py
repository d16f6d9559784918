"""The status dashboard in a real browser (headless Chromium) against the runner: it
shows every GSLB's answer and the region x member matrix, and follows a failure."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kosmos_local.harness import ADDRESSES, DELAY, DOWN, FQDN, deploy

pytestmark = pytest.mark.e2e


def browser() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (scripts/install-system-deps.sh installs it)")
        pytest.skip("chromium is not installed")
    return exe


def render(url: str, screenshot: Path | None = None) -> str:
    """The page's DOM once its scripts ran (a few seconds of its time), and a picture."""
    args = [browser(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--window-size=1280,1000", "--virtual-time-budget=6000"]
    dom = subprocess.run([*args, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120).stdout
    if screenshot is not None:
        subprocess.run([*args, f"--screenshot={screenshot}", url], capture_output=True, timeout=120)
    return dom


def render_showing(url: str, shows, timeout: float = 30.0, screenshot: Path | None = None) -> str:
    """The page once ``shows(dom)`` holds: a region whose newest results wait behind a
    busy machine is shown stale for a moment, which is right, and the next load is fresh.
    The last page when it never does (the caller's assertions then say what is wrong)."""
    deadline = time.monotonic() + timeout
    while True:
        dom = render(url, screenshot)
        if time.monotonic() > deadline:
            return dom
        try:
            if shows(dom):
                return dom
        except AssertionError:
            pass
        time.sleep(1.0)


def row(dom: str, address: str) -> str:
    m = re.search(rf'<tr data-member="{re.escape(address)}">(.*?)</tr>', dom, re.S)
    assert m, f"no matrix row for {address} in the page:\n{dom[:3000]}"
    return m.group(1)


def answer(dom: str) -> set[str]:
    m = re.search(r'<strong class="answer">([^<]*)</strong>', dom)
    assert m, dom[:3000]
    return {a.strip() for a in m.group(1).split(",")}


def test_the_dashboard_shows_the_answer_and_follows_a_failure(start_runner, endpoints, tmp_path):
    runner = start_runner()
    d = deploy(runner, endpoints[ADDRESSES[0]].port)
    d.wait_all_online()
    url = f"{runner.url}/dashboard/?project=e2e-project"
    regions = ("RegionOne", "RegionTwo")

    def cells_are(dom: str, addresses, verdict: str) -> bool:
        return all(f'class="{verdict}" data-region="{r}"' in row(dom, a)
                   for a in addresses for r in regions)
    dom = render_showing(url, lambda dom: cells_are(dom, ADDRESSES, "UP"))
    assert FQDN in dom and answer(dom) == set(ADDRESSES)
    for a in ADDRESSES:
        cells = row(dom, a)
        assert all(f'class="UP" data-region="{r}"' in cells for r in regions), cells
        assert 'class="ONLINE"' in cells

    endpoints[ADDRESSES[1]].stop()
    d.wait_answer({ADDRESSES[0], ADDRESSES[2]}, timeout=DELAY * DOWN + 10)
    d.wait_statuses({ADDRESSES[0]: "ONLINE", ADDRESSES[1]: "OFFLINE", ADDRESSES[2]: "ONLINE"}, timeout=10)
    shot = tmp_path / "dashboard.png"
    dom = render_showing(url, lambda dom: cells_are(dom, [ADDRESSES[1]], "DOWN"), screenshot=shot)
    assert answer(dom) == {ADDRESSES[0], ADDRESSES[2]}
    dead = row(dom, ADDRESSES[1])
    assert 'class="OFFLINE"' in dead and all(f'class="DOWN" data-region="{r}"' in dead for r in regions)
    assert "→" in dom and "OFFLINE" in dom                  # the timeline has the change
    assert shot.stat().st_size > 10_000
    print(f"dashboard screenshot: {shot}")
