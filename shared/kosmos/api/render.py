"""Conductor results -> JSON bodies of API v1 (links added, names as API.md says)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel

from kosmos.api.resources import ResourceSpec
from kosmos.api.schemas import HistoryEntryResponse
from kosmos.contracts.history import HistoryEntry


def record(spec: ResourceSpec, stored: BaseModel, base_url: str) -> dict[str, Any]:
    """One stored record (the conductor's answer) as its response body, with ``links.self``."""
    body = stored.model_dump(mode="json")
    body["links"] = {"self": base_url + spec.self_path(body)}
    return body


def next_link(base_url: str, path: str, args: dict[str, str], next_marker: str | None) -> str | None:
    """The URL of the next page: the same query with ``marker`` moved on."""
    if not next_marker:
        return None
    query = {k: v for k, v in args.items() if k != "marker"}
    query["marker"] = next_marker
    return f"{base_url}{path}?{urlencode(query)}"


def page(key: str, items: list[dict[str, Any]], next_url: str | None) -> dict[str, Any]:
    return {key: items, "links": {"next": next_url}}


def history_entry(entry: HistoryEntry) -> dict[str, Any]:
    """A history entry with the keys of API.md: time, subject, from, to, reason, evidence."""
    out = HistoryEntryResponse(
        id=entry.id, project_id=entry.project_id, gslb_id=entry.gslb_id,
        member_id=entry.member_id, time=entry.time,
        subject={"type": entry.subject_type, "id": entry.subject_id},
        from_state=entry.from_state, to_state=entry.to_state, reason=entry.reason,
        evidence=entry.evidence)
    return out.model_dump(mode="json", by_alias=True)
