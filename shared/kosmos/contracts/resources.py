"""The four resources of API v1, split by verb (Octavia style).

``XCreate`` validates a full new resource with defaults; ``XUpdate`` is a
partial update (only fields sent change; ``version`` optional for optimistic
concurrency); ``X`` is the stored record as the conductor returns it. The
conductor re-validates an update merged onto the stored record with
``XCreate`` so cross-field rules (timeout < delay) hold after every change.
"""
from __future__ import annotations

import enum
import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from kosmos.contracts.common import (JSON_NUMBER, NO_NUL, Description, JsonInt, Name, OperatingStatus,
                                     Port, RecordBase, RecordModel, Region, StrictModel, Uuid,
                                     UtcDatetime)
from kosmos.contracts.webhooks import Webhook, WebhookCreate, WebhookUpdate
from kosmos.contracts.dnsnames import is_within_zone, normalize_fqdn
from kosmos.contracts.plugins import entry_points_of

# --------------------------------------------------------------------------- monitors

#: A fully qualified DNS name as the schema documents it (normalize_fqdn decides).
DnsName = Annotated[str, Field(json_schema_extra={
    "minLength": 4, "maxLength": 254,
    "pattern": r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.){2,}$"})]

BUILTIN_CHECKS = ("HTTP", "HTTPS", "TCP", "PING")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "OPTIONS")
_CODE_RANGE = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$")


def _check_codes(codes: list[Any]) -> list[int | str]:
    if not codes:
        raise ValueError("expected_codes needs at least one code")
    out: list[int | str] = []
    for c in codes:
        if isinstance(c, bool):
            raise ValueError(f"invalid status code {c!r}")
        if isinstance(c, int):
            if not 100 <= c <= 599:
                raise ValueError(f"status code {c} is not within 100..599")
            out.append(c)
            continue
        m = _CODE_RANGE.match(str(c))
        if not m:
            raise ValueError(f"invalid status code or range {c!r} (use 200 or '200-299')")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (100 <= lo <= hi <= 599):
            raise ValueError(f"invalid status code range {c!r}")
        out.append(lo if lo == hi else f"{lo}-{hi}")
    return out


def expand_codes(codes: list[int | str]) -> set[int]:
    """All status codes a monitor's ``expected_codes`` accepts."""
    result: set[int] = set()
    for c in codes:
        if isinstance(c, int):
            result.add(c)
        else:
            lo, _, hi = str(c).partition("-")
            result.update(range(int(lo), int(hi or lo) + 1))
    return result


def header_value_ok(value: str) -> bool:
    """A header value that goes on the wire as is: visible ASCII, spaces and tabs only.

    No CR or LF (a second header or request smuggled in), no NUL, VT, FF,
    DEL or anything outside ASCII (U+0085 is a line break to some parsers).
    """
    return all(ch == "\t" or " " <= ch <= "~" for ch in value)


def installed(group: str) -> frozenset[str]:
    """Names of the plugins installed in entry point ``group`` (kosmos.probes, kosmos.appliances)."""
    return frozenset(entry_points_of(group))


def _installed_enum(group: str):
    """For the OpenAPI document: the names actually installed, as the field's enum."""
    def extra(schema: dict[str, Any]) -> None:
        target = next((s for s in schema.get("anyOf", []) if s.get("type") == "string"), schema)
        target["enum"] = sorted(installed(group))
    return extra


def _installed_or_error(value: str, group: str, what: str) -> str:
    names = installed(group)
    if value not in names:
        raise ValueError(f"no {what} named {value!r} is installed (installed: "
                         f"{', '.join(sorted(names))})")
    return value


#: One expected status code (200) or range ("200-299"), as documented; _check_codes decides
#: (and names the field when it refuses one).
STATUS_CODE_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 100, "maximum": 599},
                                {"type": "string", "pattern": r"^\s*[1-5]\d\d\s*(-\s*[1-5]\d\d\s*)?$"}]}

#: What an IP member's address looks like to a reader of the schema (servable_address decides).
IpAddress = Annotated[str, Field(min_length=2, max_length=64, json_schema_extra={
    "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
    "not": {"pattern": r"^(0\.0\.0\.0|255\.255\.255\.255|2(2[4-9]|3\d)\..*|0*::0*|[fF][fF][0-9a-fA-F]{0,2}:.*"
                       r"|.*%.*)$"}})]
_V4 = r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_H = "[0-9a-fA-F]{1,4}"
_V6 = (f"(({_H}:){{7}}{_H}|({_H}:){{1,7}}:|({_H}:){{1,6}}:{_H}|({_H}:){{1,5}}(:{_H}){{1,2}}"
       f"|({_H}:){{1,4}}(:{_H}){{1,3}}|({_H}:){{1,3}}(:{_H}){{1,4}}|({_H}:){{1,2}}(:{_H}){{1,5}}"
       f"|{_H}:((:{_H}){{1,6}})|:((:{_H}){{1,7}}|:))")
#: A client network in CIDR notation, IPv4 or IPv6 (client_subnets canonicalizes it).
Cidr = Annotated[str, Field(min_length=2, max_length=64, pattern=(
    f"^({_V4}/(3[0-2]|[12]?\\d)|{_V6}/(12[0-8]|1[01]\\d|[1-9]?\\d))$"))]
#: A header value as sent on the wire (see header_value_ok).
HEADER_VALUE = r"^[\t\x20-\x7e]*$"
#: A monitor's extra request headers: token names, wire-safe values (the validator decides).
Headers = Annotated[dict[Annotated[str, Field(pattern=r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$")],
                         Annotated[str, Field(max_length=4096, pattern=HEADER_VALUE)]],
                    Field(max_length=50, json_schema_extra={"additionalProperties": False})]


class Payload(StrictModel):
    content_type: str = Field("application/json", min_length=1, max_length=255, pattern=HEADER_VALUE)
    content: str = Field("", max_length=65536, pattern=NO_NUL)

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, v: str) -> str:
        if not header_value_ok(v):
            raise ValueError("content_type: visible ASCII characters only (it is sent as the "
                             "Content-Type header)")
        return v


class MonitorFields(StrictModel):
    name: Name = ""
    description: Description = ""
    type: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                      json_schema_extra=_installed_enum("kosmos.probes"),
                      description="HTTP, HTTPS, TCP, PING, or an installed check plugin's name")
    delay: JsonInt = Field(10, ge=1, le=3600, description="Whole seconds between checks")
    timeout: Annotated[float, Field(gt=0), JSON_NUMBER] | None = Field(None, description="Seconds; < delay; default min(5, delay/2)")
    max_retries: JsonInt = Field(3, ge=1, le=10, description="Consecutive successes to go up")
    max_retries_down: JsonInt = Field(3, ge=1, le=10, description="Consecutive failures to go down")
    recheck_delay: Annotated[float, Field(ge=0.2, le=3600), JSON_NUMBER] | None = Field(
        None, description="Seconds between probes of a suspect member (a probe failed in some "
                          "region), in every region, until its verdict settles; 0.2..delay, "
                          "default 1 (or delay if smaller)")
    port: Port | None = Field(None, description="Overrides the member's port")
    http_method: Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"] = "GET"
    url_path: str = Field("/", max_length=2048, pattern=r"^/[!-~]*$")
    expected_codes: list[int | str] = Field(default_factory=lambda: [200], min_length=1, max_length=100,
                                            json_schema_extra={"items": STATUS_CODE_SCHEMA})
    receive_string: str | None = Field(None, max_length=4096, pattern=NO_NUL)
    headers: Headers = Field(default_factory=dict)
    payload: Payload | None = None
    ca_cert: str | None = Field(None, max_length=65536,
                                pattern=r"^[^\x00]*-----BEGIN CERTIFICATE-----[^\x00]*$",
                                description="PEM bundle to trust (HTTPS)")
    insecure: StrictBool = False
    options: dict[str, Any] = Field(
        default_factory=dict, max_length=50,
        description="Options of the monitor type's check plugin (e.g. DNS: query_name, "
                    "query_type, expected_rcode, expected_answers); validated by that plugin")

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        v = v.upper() if v.upper() in BUILTIN_CHECKS else v
        return _installed_or_error(v, "kosmos.probes", "check plugin")

    @field_validator("url_path")
    @classmethod
    def _url_path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("url_path must start with '/'")
        if not all("!" <= ch <= "~" for ch in v):
            raise ValueError("url_path: visible ASCII characters only (percent-encode the rest); "
                             "no spaces or control characters")
        return v

    @field_validator("expected_codes")
    @classmethod
    def _codes(cls, v: list[Any]) -> list[int | str]:
        return _check_codes(v)

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        for k, val in v.items():
            if not re.match(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$", k):
                raise ValueError(f"invalid header name {k!r}")
            if not header_value_ok(val) or len(val) > 4096:
                raise ValueError(f"header {k!r}: its value must be visible ASCII characters, "
                                 "spaces or tabs (at most 4096)")
        return v

    @field_validator("ca_cert")
    @classmethod
    def _ca(cls, v: str | None) -> str | None:
        if v is not None and "-----BEGIN CERTIFICATE-----" not in v:
            raise ValueError("ca_cert must be a PEM bundle")
        return v


class MonitorCreate(MonitorFields):
    @model_validator(mode="after")
    def _timeout(self) -> "MonitorCreate":
        if self.timeout is None:
            self.timeout = min(5.0, self.delay / 2)
        if self.timeout >= self.delay:
            raise ValueError("timeout must be smaller than delay")
        if self.recheck_delay is None:
            self.recheck_delay = min(1.0, float(self.delay))
        if self.recheck_delay > self.delay:
            raise ValueError("recheck_delay must not exceed delay")
        return self


class MonitorUpdate(StrictModel):
    name: Name | None = None
    description: Description | None = None
    delay: Annotated[int, Field(ge=1, le=3600), JSON_NUMBER] | None = Field(None)
    timeout: Annotated[float, Field(gt=0), JSON_NUMBER] | None = Field(None)
    max_retries: Annotated[int, Field(ge=1, le=10), JSON_NUMBER] | None = Field(None)
    max_retries_down: Annotated[int, Field(ge=1, le=10), JSON_NUMBER] | None = Field(None)
    recheck_delay: Annotated[float, Field(ge=0.2, le=3600), JSON_NUMBER] | None = Field(None)
    port: Port | None = None
    http_method: Literal["GET", "HEAD", "POST", "PUT", "OPTIONS"] | None = None
    url_path: str | None = None
    expected_codes: list[int | str] | None = Field(None, min_length=1, max_length=100,
                                                   json_schema_extra={"items": STATUS_CODE_SCHEMA})
    receive_string: str | None = None
    headers: Headers | None = None
    payload: Payload | None = None
    ca_cert: str | None = None
    insecure: StrictBool | None = None
    options: dict[str, Any] | None = Field(None, max_length=50)
    version: Annotated[int, Field(ge=1), JSON_NUMBER] | None = Field(None, description="409 if the stored version differs")


class Monitor(RecordBase):
    type: str
    delay: int
    timeout: float
    max_retries: int
    max_retries_down: int
    recheck_delay: float = 1.0
    port: int | None = None
    http_method: str = "GET"
    url_path: str = "/"
    expected_codes: list[int | str] = Field(default_factory=lambda: [200])
    receive_string: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    payload: Payload | None = None
    ca_cert: str | None = None
    insecure: bool = False
    options: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- pools

class PoolCreate(StrictModel):
    name: Name = ""
    description: Description = ""
    monitor_ids: list[Uuid] = Field(default_factory=list, max_length=10,
                                    json_schema_extra={"uniqueItems": True})
    regions: list[Region] | None = Field(None, description="Checker regions probing this pool; null = all")
    client_subnets: list[Cidr] = Field(default_factory=list, max_length=256, description=(
        "Client networks (CIDR, IPv4 or IPv6) this pool serves under GEO routing"))

    @field_validator("monitor_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        return _unique_uuids(v, "monitor_ids")

    @field_validator("client_subnets")
    @classmethod
    def _subnets(cls, v: list[str]) -> list[str]:
        return client_subnets(v)


class PoolUpdate(StrictModel):
    name: Name | None = None
    description: Description | None = None
    monitor_ids: list[Uuid] | None = Field(None, max_length=10, json_schema_extra={"uniqueItems": True})
    regions: list[Region] | None = None
    client_subnets: list[Cidr] | None = Field(None, max_length=256)
    version: Annotated[int, Field(ge=1), JSON_NUMBER] | None = Field(None)

    @field_validator("monitor_ids")
    @classmethod
    def _ids(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _unique_uuids(v, "monitor_ids")


class Pool(RecordBase):
    monitor_ids: list[str] = Field(default_factory=list)
    regions: list[str] | None = None
    client_subnets: list[str] = Field(default_factory=list)


def client_subnets(values: list[str]) -> list[str]:
    """``values`` as canonical networks (host bits cleared: 10.1.2.3/8 is 10.0.0.0/8),
    unique, or ValueError."""
    out = []
    for i, text in enumerate(values):
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError as exc:
            raise ValueError(f"client_subnets[{i}]: {text!r} is not a network in CIDR "
                             f"notation ({exc})") from None
        if str(net) in out:
            raise ValueError(f"client_subnets[{i}]: {net} is listed twice")
        out.append(str(net))
    return out


# --------------------------------------------------------------------------- members

def servable_address(value: str) -> str:
    """``value`` as a canonical address a DNS answer can carry, or ValueError saying why not.

    A scoped IPv6 address (``fe80::1%eth0``) means nothing to a resolver; the
    unspecified, multicast and broadcast addresses are no endpoint at all.
    """
    text = value.strip()
    if "%" in text:
        raise ValueError(f"{value!r}: a scoped address (with %zone) cannot be served in DNS")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None
    if ip.is_unspecified or ip.is_multicast or (ip.version == 4 and ip == ipaddress.IPv4Address("255.255.255.255")):
        raise ValueError(f"{value!r} is not an endpoint address (unspecified, multicast or "
                         "broadcast)")
    return str(ip)


class MemberType(str, enum.Enum):
    IP = "IP"
    NEUTRON_PORT = "neutron_port"
    NEUTRON_LBAAS_V2 = "neutron_lbaas_v2"


class MemberFields(StrictModel):
    name: Name = ""
    description: Description = ""
    type: MemberType = MemberType.IP
    address: IpAddress | None = Field(None, description="IP members: the IPv4/IPv6 address served")
    port: Port = Field(80, description="Port probed unless the monitor sets one")
    region: Region | None = Field(None, description="Required for neutron_port and neutron_lbaas_v2")
    neutron_id: Uuid | None = Field(None, description="Port or load balancer id for neutron types")
    weight: JsonInt = Field(1, ge=0, le=256, description="0 = drain: checked, never served")
    admin_state_up: StrictBool = True

    @field_validator("address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is None:
            return v
        return servable_address(v)

    @field_validator("neutron_id")
    @classmethod
    def _nid(cls, v: str | None) -> str | None:
        return None if v is None else _uuid(v, "neutron_id")


class MemberCreate(MemberFields):
    # The rule of _by_type, for readers of the OpenAPI document (and generators of input).
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"type": {"enum": ["neutron_port", "neutron_lbaas_v2"]}},
               "required": ["type"]},
        "then": {"required": ["region", "neutron_id"],
                 "properties": {"region": {"type": "string"}, "neutron_id": {"type": "string"}}},
        "else": {"required": ["address"],
                 "properties": {"address": {"type": "string"}, "neutron_id": {"type": "null"}}}})

    @model_validator(mode="after")
    def _by_type(self) -> "MemberCreate":
        if self.type == MemberType.IP:
            if not self.address:
                raise ValueError("address is required for type IP")
            if self.neutron_id:
                raise ValueError("neutron_id is only for neutron_port and neutron_lbaas_v2")
        else:
            if not self.region:
                raise ValueError(f"region is required for type {self.type.value}")
            if not self.neutron_id:
                raise ValueError(f"neutron_id is required for type {self.type.value}")
        return self


class MemberUpdate(StrictModel):
    name: Name | None = None
    description: Description | None = None
    address: str | None = None
    port: Port | None = None
    region: Region | None = None
    neutron_id: Uuid | None = None
    weight: Annotated[int, Field(ge=0, le=256), JSON_NUMBER] | None = Field(None)
    admin_state_up: StrictBool | None = None
    version: Annotated[int, Field(ge=1), JSON_NUMBER] | None = Field(None)


class EndpointsStatus(str, enum.Enum):
    OK = "OK"                  # resolved from the region just now
    STALE = "STALE"            # region unreachable: last known addresses kept
    PENDING = "PENDING"        # not resolved yet
    ERROR = "ERROR"            # the port / load balancer does not exist


class Member(RecordBase):
    pool_id: str
    type: MemberType
    address: str | None = None
    port: int
    region: str | None = None
    neutron_id: str | None = None
    weight: int = 1
    admin_state_up: bool = True
    endpoints: list[str] = Field(default_factory=list, description="Addresses served for this member")
    endpoints_status: EndpointsStatus = EndpointsStatus.OK
    endpoints_reason: str | None = None
    endpoints_updated_at: UtcDatetime | None = None
    status_reason: str | None = Field(None, description="Why operating_status is what it is")
    status_changed_at: UtcDatetime | None = None
    status_version: int = Field(1, description="Bumped by each change of the health-derived "
                                "status; the engine's compare-and-set (not ``version``)")


# --------------------------------------------------------------------------- gslbs

class AllDownPolicy(str, enum.Enum):
    ALL = "ALL"                # fail open: publish every enabled member
    LAST_KNOWN = "LAST_KNOWN"  # keep the last published answer
    NONE = "NONE"              # publish nothing


class RoutingPolicy(str, enum.Enum):
    PRIORITY = "PRIORITY"      # every healthy member of the first pool that qualifies
    WEIGHTED = "WEIGHTED"      # that pool, drawn per query by weight
    GEO = "GEO"                # the pool of the client's subnet, falling through by priority


class GslbPoolRef(StrictModel):
    pool_id: Uuid
    priority: JsonInt = Field(1, ge=0, le=1000, description="Lower first")

    @field_validator("pool_id")
    @classmethod
    def _pid(cls, v: str) -> str:
        return _uuid(v, "pool_id")


class GslbFields(StrictModel):
    name: Name = ""
    description: Description = ""
    fqdn: DnsName
    zone_name: DnsName
    ttl: JsonInt = Field(30, ge=1, le=86400)
    pools: list[GslbPoolRef] = Field(default_factory=list, max_length=32)
    all_down: AllDownPolicy = AllDownPolicy.ALL
    appliance: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                                  json_schema_extra=_installed_enum("kosmos.appliances"))
    routing: RoutingPolicy = RoutingPolicy.PRIORITY
    max_answers: Annotated[int, Field(ge=1, le=64), JSON_NUMBER] | None = Field(
        None, description="Most addresses per record type in one response; null = all")
    slow_start: JsonInt = Field(0, ge=0, le=3600, description=(
        "Seconds a member coming back ONLINE ramps up (WEIGHTED) or is held back (PRIORITY)"))

    @field_validator("fqdn")
    @classmethod
    def _fqdn(cls, v: str) -> str:
        return normalize_fqdn(v, "fqdn")

    @field_validator("appliance")
    @classmethod
    def _appliance(cls, v: str | None) -> str | None:
        return None if v is None else _installed_or_error(v, "kosmos.appliances", "appliance")

    @field_validator("zone_name")
    @classmethod
    def _zone(cls, v: str) -> str:
        return normalize_fqdn(v, "zone_name")

    @field_validator("pools")
    @classmethod
    def _pools(cls, v: list[GslbPoolRef]) -> list[GslbPoolRef]:
        seen = set()
        for ref in v:
            if ref.pool_id in seen:
                raise ValueError(f"pool {ref.pool_id} is listed twice")
            seen.add(ref.pool_id)
        return v


class GslbCreate(GslbFields):
    @model_validator(mode="after")
    def _inside_zone(self) -> "GslbCreate":
        if not is_within_zone(self.fqdn, self.zone_name):
            raise ValueError(f"fqdn {self.fqdn} is not inside zone {self.zone_name}")
        return self


class GslbUpdate(StrictModel):
    name: Name | None = None
    description: Description | None = None
    fqdn: DnsName | None = None
    zone_name: DnsName | None = None
    ttl: Annotated[int, Field(ge=1, le=86400), JSON_NUMBER] | None = Field(None)
    pools: list[GslbPoolRef] | None = Field(None, max_length=32)
    all_down: AllDownPolicy | None = None
    appliance: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                                  json_schema_extra=_installed_enum("kosmos.appliances"))
    routing: RoutingPolicy | None = None
    max_answers: Annotated[int, Field(ge=1, le=64), JSON_NUMBER] | None = Field(None)
    slow_start: Annotated[int, Field(ge=0, le=3600), JSON_NUMBER] | None = Field(None)
    version: Annotated[int, Field(ge=1), JSON_NUMBER] | None = Field(None)


class PublishStatus(str, enum.Enum):
    PENDING = "PENDING"   # desired answer not yet confirmed on the appliance
    SYNCED = "SYNCED"     # appliance serves the desired answer
    ERROR = "ERROR"       # last push failed; reconcile retries
    HELD = "HELD"         # circuit breaker held the change


class GslbPoolLink(RecordModel):
    pool_id: str
    priority: int


class FailoverTime(RecordModel):
    """The worst case from an endpoint's death to every resolver seeing the new answer,
    from the monitors, regions, appliance and TTL configured (``kosmos.domain.failover``)."""

    detect_s: float = Field(..., description="death → the regions quorum needs agree it is down")
    decide_s: float = Field(..., description="results reach the engine and it decides")
    publish_s: float = Field(..., description="the appliance serves the pushed answer")
    ttl_s: float = Field(..., description="resolvers keep the old answer at most this long")
    worst_case_s: float = Field(..., description="the sum: what the user can count on")


class Gslb(RecordBase):
    fqdn: str
    zone_name: str
    ttl: int = 30
    pools: list[GslbPoolLink] = Field(default_factory=list)
    all_down: AllDownPolicy = AllDownPolicy.ALL
    appliance: str | None = None
    routing: RoutingPolicy = RoutingPolicy.PRIORITY
    max_answers: int | None = None
    slow_start: int = 0
    answers: list[str] = Field(default_factory=list, description="Addresses currently published")
    answers_changed_at: UtcDatetime | None = None
    answer_reason: str | None = None
    publish_status: PublishStatus = PublishStatus.PENDING
    publish_reason: str | None = None
    published_at: UtcDatetime | None = None
    failover_time: FailoverTime | None = Field(
        None, description="Read-only; null while no pool is monitored")


# --------------------------------------------------------------------------- helpers

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def _uuid(v: str, what: str) -> str:
    if not isinstance(v, str) or not _UUID.match(v):
        raise ValueError(f"{what} must be a UUID")
    import uuid as _u
    return str(_u.UUID(v))


def _unique_uuids(values: list[str], what: str) -> list[str]:
    out = [_uuid(v, what) for v in values]
    if len(set(out)) != len(out):
        raise ValueError(f"{what} has duplicates")
    return out


CREATE_MODELS: dict[str, type[BaseModel]] = {
    "monitor": MonitorCreate, "pool": PoolCreate, "member": MemberCreate, "gslb": GslbCreate,
    "webhook": WebhookCreate}
UPDATE_MODELS: dict[str, type[BaseModel]] = {
    "monitor": MonitorUpdate, "pool": PoolUpdate, "member": MemberUpdate, "gslb": GslbUpdate,
    "webhook": WebhookUpdate}
RECORD_MODELS: dict[str, type[BaseModel]] = {
    "monitor": Monitor, "pool": Pool, "member": Member, "gslb": Gslb, "webhook": Webhook}
OPERATING = OperatingStatus
