"""Query parameters of list endpoints, validated by pydantic models.

``list_query_model(spec)`` is the model of ``GET /v1/<plural>``: ``limit``,
``marker``, ``sort_key``, ``sort_dir``, ``all_projects`` and one optional
equality filter per simple field. Unknown parameters are a 400 naming them.
The same models document the parameters in the OpenAPI document.
"""
from __future__ import annotations

from datetime import datetime

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticError
from werkzeug.datastructures import MultiDict

from kosmos.api.resources import ResourceSpec
from kosmos.contracts.common import UtcDatetime
from kosmos.errors import ValidationError, from_pydantic

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=1000, description="Most items in one page")
    marker: str | None = Field(None, pattern=UUID_PATTERN,
                               description="Id of the last item of the previous page")


class ListQuery(PageQuery):
    sort_dir: Literal["asc", "desc"] = "asc"
    all_projects: bool = Field(False, description="Admin only: list every project's resources")


class HistoryQuery(PageQuery):
    member_id: str | None = Field(None, pattern=UUID_PATTERN, description="Only this member")
    since: UtcDatetime | None = Field(None, description="Only entries at or after this time")
    until: UtcDatetime | None = Field(None, description="Only entries before this time")


class DeliveriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=500, description="At most this many, newest first")


class DeadLettersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(100, ge=1, le=1000, description="At most this many, newest first")
    since: datetime | None = Field(None, description="Received at or after (RFC 3339, UTC)")


class EmptyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=None)
def list_query_model(spec: ResourceSpec) -> type[ListQuery]:
    """The query model of ``spec``'s list endpoint."""
    fields: dict[str, Any] = {
        "sort_key": (Literal[spec.sort_keys], Field("created_at", description="Field to sort on")),  # type: ignore[valid-type]
    }
    for name, typ in spec.filters.items():
        if typ is str:      # no NUL: nothing stores or matches it
            bound = Field(None, max_length=255, pattern=r"^[^\x00]*$")
        elif typ is int:    # what a database integer column can hold
            bound = Field(None, ge=-(2**31), le=2**31 - 1)
        else:
            bound = Field(None)
        fields[name] = (typ | None, bound)
    return create_model(f"{spec.title}ListQuery", __base__=ListQuery, **fields)


def parse_query(model: type[BaseModel], args: MultiDict[str, str]) -> BaseModel:
    """Validate query ``args`` (first value of each name) with ``model``."""
    for name in args:
        if len(args.getlist(name)) > 1:
            raise ValidationError(f"{name}: give this query parameter once", field=name)
    try:
        return model.model_validate(dict(args.items()))
    except PydanticError as exc:
        raise from_pydantic(exc) from None


def filters_of(spec: ResourceSpec, query: BaseModel) -> dict[str, Any]:
    """The equality filters the caller set, in the conductor's terms."""
    return {k: getattr(query, k) for k in spec.filters if getattr(query, k) is not None}
