"""What makes two checks the same probe.

Many GSLBs often sit on the same endpoints: one load balancer's address behind
thousands of names, each with its own pool, member and monitor. Probing it once
per member costs the checker (and the endpoint) one connection per member per
delay, and at 10,000 names on three endpoints that left the checkers too busy
to run their batches on time. Two checks whose probe would be the same, byte
for byte, are one probe: same project, member type, address, endpoints and
port, and the same monitor settings apart from its id and its thresholds
(``max_retries``, ``max_retries_down``: the engine applies those to the result,
the probe does not see them). Such checks share one grid (``kosmos.checker.schedule``), so
their slots fall at the same instants, and a batch runs one probe per instant
and gives its outcome to each of them (``kosmos.checker.batch``), each as its own
result; the engine's rechecks count such checks as one probe.

The project is part of the identity: a probe is never shared across projects,
so what one project's monitor does never decides when another's probes go.
"""
from __future__ import annotations

import json
from typing import Any

from kosmos.contracts.events import CheckSpec


def probe_identity(spec: CheckSpec) -> str:
    """A stable string naming ``spec``'s probe: equal for checks whose probes are the
    same, the same in every process (it places grids, so ticks and batches built by
    different instances must agree)."""
    m = spec.monitor
    return repr((
        spec.project_id, spec.member_type, spec.address, tuple(spec.endpoints), spec.port,
        spec.member_region, spec.neutron_id,
        m.type, float(m.delay), float(m.timeout), m.port, m.http_method, m.url_path,
        tuple(str(c) for c in m.expected_codes), m.receive_string,
        tuple(sorted(m.headers.items())), _canonical(m.payload), m.ca_cert, m.insecure,
        _canonical(m.options)))


def _canonical(value: Any) -> str | None:
    return None if not value else json.dumps(value, sort_keys=True, separators=(",", ":"),
                                             default=str)
