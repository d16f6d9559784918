"""Field types and base models shared by the contracts."""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from collections.abc import Set
from typing import Annotated, Any, TypeVar

import pydantic_core
from pydantic_core import core_schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(value: datetime | None) -> str | None:
    """A time as the records carry it: ISO 8601, UTC as ``Z`` (None stays None)."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def enum_text(value: Any) -> str:
    """An enum member's value, or the string a record already holds."""
    return value.value if hasattr(value, "value") else str(value)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class _Utc:
    """A time with its offset as given, and UTC where it has none.

    Times that carry an offset (every record the conductor writes does) are checked
    in pydantic's core alone; only a time without one takes the Python step that makes
    it UTC. An engine reading a context answer of thousands of rows would otherwise
    call into Python for each of their times. A bad value is one error on the field."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.union_schema(
            [core_schema.datetime_schema(tz_constraint="aware"),
             core_schema.no_info_after_validator_function(_aware, core_schema.datetime_schema())],
            mode="left_to_right", custom_error_type="utc_datetime",
            custom_error_message="Input should be a valid date and time (ISO 8601, such as "
                                 "2026-01-01T00:00:00Z)")

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        return handler(core_schema.datetime_schema())


UtcDatetime = Annotated[datetime, _Utc()]


def _json_number(value: Any) -> Any:
    """Numbers as JSON has them: true, false and "5" are not numbers (5.0 is 5)."""
    if isinstance(value, (bool, str, bytes)):
        raise ValueError("must be a JSON number")
    return value


#: Input integers and numbers: what JSON Schema calls integer/number, no coercion from
#: booleans or strings ("delay": true and "delay": "5" are refused).
#: With bounds, put them first: ``Annotated[int, Field(ge=1), JSON_NUMBER]`` (so that the
#: OpenAPI document shows them as minimum/maximum).
JSON_NUMBER = BeforeValidator(_json_number)
JsonInt = Annotated[int, JSON_NUMBER]
JsonNumber = Annotated[float, JSON_NUMBER]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, Field(pattern=UUID_PATTERN)]
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, Field(max_length=255, pattern=NO_NUL)]
Description = Annotated[str, Field(max_length=1024, pattern=NO_NUL)]
Port = Annotated[int, Field(ge=1, le=65535), JSON_NUMBER]
Region = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ProvisioningStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    PENDING_CREATE = "PENDING_CREATE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ERROR = "ERROR"


class OperatingStatus(str, enum.Enum):
    ONLINE = "ONLINE"
    DEGRADED = "DEGRADED"
    OFFLINE = "OFFLINE"
    NO_MONITOR = "NO_MONITOR"
    ERROR = "ERROR"


class StrictModel(BaseModel):
    """Input models: unknown fields are an error, naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RecordModel(BaseModel):
    """Output models: tolerant of extra fields so old readers survive new writers."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)


M = TypeVar("M", bound=BaseModel)
_new, _set = object.__new__, object.__setattr__


def unvalidated(cls: type[M], values: dict[str, Any], fields_set: Set[str]) -> M:
    """A ``cls`` holding ``values`` (every field's, none extra) as they are: what
    ``model_construct`` makes of them, in a third of its time (it looks up each field's
    aliases and default). Only for values a Kosmos function made itself, of their
    fields' types; ``cls`` keeps no extra fields."""
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(fields_set))   # assignment adds to it
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


class RecordBase(RecordModel):
    """Fields every stored resource has."""

    id: str
    project_id: str
    name: str = ""
    description: str = ""
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = 1
    provisioning_status: ProvisioningStatus = ProvisioningStatus.ACTIVE
    operating_status: OperatingStatus = OperatingStatus.NO_MONITOR


def nul_path(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding a NUL character in ``value``, else None.

    No database stores NUL in text the same way (PostgreSQL refuses it), and
    no protocol Kosmos speaks carries it: inputs with one are refused whole.
    Every conductor call is checked, some with thousands of history entries: the
    value is first written as JSON in one native pass, which spells a NUL ``\\u0000``;
    only a value whose JSON holds that is walked to name where.
    """
    if not path:
        try:
            if b"\\u0000" not in pydantic_core.to_json(value):
                return None
        except (TypeError, ValueError, pydantic_core.PydanticSerializationError):
            pass   # not plain JSON: walked below
    if isinstance(value, str):
        return path or "value" if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else str(k)
            if "\x00" in str(k):
                return here
            found = nul_path(v, here)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = nul_path(v, f"{path}[{i}]")
            if found:
                return found
    return None


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a model (datetimes as ISO 8601 strings)."""
    return model.model_dump(mode="json")
