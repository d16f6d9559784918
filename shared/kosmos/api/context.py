"""What a handler gets: one authenticated, routed, decoded request."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from werkzeug.datastructures import MultiDict

from kosmos.adapters.conductor_client import ConductorClient
from kosmos.api.auth import Principal
from kosmos.api.policy import Policy
from kosmos.contracts.conductor import CallContext


@dataclass
class ApiCall:
    """One request as handlers see it; ``body`` is decoded JSON (POST/PUT only)."""

    conductor: ConductorClient
    policy: Policy
    principal: Principal | None
    request_id: str
    base_url: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    args: MultiDict[str, str] = field(default_factory=MultiDict)
    body: Any = None
    idempotency_key: str | None = None
    # Looks up a neutron member's addresses in its region (None: not configured).
    resolve_endpoints: Callable[[dict[str, Any]], Any] | None = None

    def context(self, all_projects: bool = False) -> CallContext:
        """The conductor call context of this caller."""
        p = self.principal
        if p is None:
            return CallContext(request_id=self.request_id)
        return CallContext(project_id=p.project_id, user_id=p.user_id, roles=sorted(p.roles),
                           is_admin=self.policy.is_admin(p.roles),
                           all_projects=all_projects, request_id=self.request_id)
