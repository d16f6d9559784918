"""DNS check: ask the member's address a DNS question and judge the reply.

``type: DNS`` serves members that are DNS servers themselves (a regional
resolver or authoritative server behind the GSLB name). Its options live in
``monitor.options`` and are this module's own (``DnsOptions``)::

    {"query_name": "health.example.com.", "query_type": "A", "transport": "udp",
     "expected_rcode": "NOERROR", "expected_answers": ["192.0.2.10"]}

The probe passes when the reply's rcode is ``expected_rcode`` and, if
``expected_answers`` is given, every one of them is in the answer section.
The port is the member's (or the monitor's ``port``), usually 53.
"""
from __future__ import annotations

import ipaddress
import time
from typing import Annotated, Literal

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
from pydantic import Field, field_validator

from kosmos.probes.base import Check, CheckFailed, Outcome, Target, elapsed_ms
from kosmos.contracts.common import StrictModel
from kosmos.contracts.resources import DnsName
from kosmos.contracts.dnsnames import normalize_fqdn

QueryType = Literal["A", "AAAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT", "PTR", "CAA"]
Rcode = Literal["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED"]


class DnsOptions(StrictModel):
    """The DNS check's monitor options."""

    query_name: DnsName = Field(..., description="Fully qualified name to ask for, trailing dot")
    query_type: QueryType = "A"
    transport: Literal["udp", "tcp"] = "udp"
    expected_rcode: Rcode = "NOERROR"
    expected_answers: list[Annotated[str, Field(max_length=255, pattern=r"^[^\x00]*\S[^\x00]*$")]] = Field(
        default_factory=list, max_length=20, description="Each must be in the answer (rdata text)")

    @field_validator("query_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return normalize_fqdn(v, "query_name")

    @field_validator("expected_answers")
    @classmethod
    def _answers(cls, v: list[str]) -> list[str]:
        if any(not a.strip() or len(a) > 255 or "\x00" in a for a in v):
            raise ValueError("each expected answer is 1 to 255 characters of rdata text")
        return [_canonical(a) for a in v]


def _canonical(text: str) -> str:
    """Rdata text compared as the server would write it (addresses in canonical form)."""
    text = text.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower()


class DnsCheck(Check):
    """``type: DNS``: one query to the member's address; rcode and answers judged."""

    name = "DNS"
    options_model = DnsOptions

    async def probe(self, target: Target) -> Outcome:
        opts = target.scratch.get("dns")
        if opts is None:
            opts = target.scratch["dns"] = DnsOptions.model_validate(target.monitor.options)
        query = dns.message.make_query(opts.query_name, opts.query_type)
        ask = dns.asyncquery.tcp if opts.transport == "tcp" else dns.asyncquery.udp
        started = time.perf_counter()
        try:
            reply = await ask(query, target.address, timeout=target.monitor.timeout,
                              port=target.port)
        except dns.exception.Timeout:
            raise CheckFailed("no DNS reply within the timeout", elapsed_ms(started)) from None
        except dns.exception.DNSException as exc:
            raise CheckFailed(f"bad DNS reply: {exc.__class__.__name__}", elapsed_ms(started)) from None
        except OSError as exc:
            raise CheckFailed((exc.strerror or str(exc)).lower(), elapsed_ms(started)) from None
        latency = elapsed_ms(started)
        rcode = dns.rcode.to_text(reply.rcode())
        if rcode != opts.expected_rcode:
            raise CheckFailed(f"rcode {rcode}, expected {opts.expected_rcode}", latency)
        wanted = dns.rdatatype.from_text(opts.query_type)
        got = {_canonical(rd.to_text()) for rrset in reply.answer if rrset.rdtype == wanted
               for rd in rrset}
        missing = [a for a in opts.expected_answers if a not in got]
        if missing:
            raise CheckFailed(f"answer lacks {', '.join(missing)} (got "
                              f"{', '.join(sorted(got)) or 'nothing'})"[:1000], latency)
        return Outcome(True, f"{rcode}" + (f" with {', '.join(sorted(got))}"[:200] if got else ""),
                       latency)

