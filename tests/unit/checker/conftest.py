"""Fakes for the checker's ports: a conductor transport serving checks.due / endpoints.set."""
from __future__ import annotations

import zlib
from typing import Any

import pytest

from kosmos.adapters.conductor_client import ConductorClient, InProcessTransport
from fixtures.checks import checks_due_answer
from kosmos.errors import Unavailable


class FakeConductorTransport(InProcessTransport):
    """Answers the checker's two operations from memory and records every call."""

    def __init__(self, checks: list[dict[str, Any]] | None = None):
        super().__init__(self._handle)
        self.checks = list(checks or [])
        self.calls: list[dict[str, Any]] = []
        self.endpoint_updates: list[dict[str, Any]] = []
        self.down = False

    def _handle(self, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append(envelope)
        if self.down:
            raise Unavailable("conductor unreachable: ConnectionError")
        op, args = envelope["op"], envelope["args"]
        if op == "checks.due":
            return 200, {"result": checks_due_answer([
                {k: v for k, v in c.items() if k != "_region"} for c in self.checks
                if c.get("_region", args["region"]) == args["region"]])}
        if op == "endpoints.set":
            self.endpoint_updates.extend(args["updates"])
            return 200, {"result": {"changed": [u["member_id"] for u in args["updates"]]}}
        return 400, {"error": {"code": 400, "type": "ValidationError", "message": f"unknown op {op}"}}


def check(member: str, monitor: str = "mon-1", delay: int = 10, address: str | None = None,
          type_: str = "HTTP", **extra: Any) -> dict[str, Any]:
    """A check of ``member``; without ``address``, one of the member's own, so members
    are separate probes (``kosmos.probes.identity``) unless a test gives them one."""
    if address is None:
        address = f"2001:db8::{zlib.crc32(member.encode()):x}"
    return {"member_id": member, "pool_id": "pool-1", "project_id": "proj", "address": address,
            "port": 80, **extra,
            "monitor": {"id": monitor, "type": type_, "delay": delay, "timeout": min(5.0, delay / 2),
                        "max_retries": 3, "max_retries_down": 3}}


@pytest.fixture
def fake_transport():
    return FakeConductorTransport()


@pytest.fixture
def conductor(fake_transport):
    return ConductorClient(fake_transport)


@pytest.fixture
def make_check():
    """Build a CheckSpec dict: ``make_check("member-1", delay=5)``."""
    return check
