"""PowerDNS LUA records for WEIGHTED and GEO routes.

PowerDNS (``enable-lua-records=yes``) runs a LUA record's snippet for each
query. A route becomes one LUA rrset per name, with an ``A`` and/or an
``AAAA`` record whose snippet carries the family's targets and picks like
``kosmos.domain.routing.pick``:

- WEIGHTED: draws without replacement by effective weight (PowerDNS's
  ``pickwrandom``, weights in thousandths), ramped from the member's return
  (``os.time()``) over ``slow_start``, up to ``max_answers``;
- GEO: the group with the most specific of its ``client_subnets`` containing
  ``bestwho`` (the ECS address, else the resolver), through PowerDNS's own
  ``netmask``; none: the first group. Groups without an address of the
  family are left out of that family's snippet. PowerDNS sets the ECS scope
  of these answers to the query's source prefix.

Every string in a snippet is an address or network parsed by ``ipaddress``
(``Route.from_dict``), written inside single quotes; numbers are formatted
here, so nothing a user typed reaches the Lua code unchecked.
"""
from __future__ import annotations

import ipaddress
import re

from kosmos.domain.routing.common import stable_cap
from kosmos.domain.routing.route import Route

#: The comment kept on the LUA rrset: the digest of the route it serves.
COMMENT = "kosmos route "

_WEIGHTED = (
    "local now=os.time() local ss={ss} local n={n} local t={{{targets}}} local c={{}} "
    "local any=false "
    "for _,x in ipairs(t) do local e=x[2] "
    "if x[3]>=0 and ss>0 then local f=(now-x[3])/ss if f<0 then f=0 end if f<1 then e=e*f end end "
    "e=math.floor(e*1000) if e>0 then any=true end c[#c+1]={{e,x[1]}} end "
    "if not any then for _,x in ipairs(c) do x[1]=1 end end "
    "local out={{}} local k=#c if n>0 and n<k then k=n end "
    "for j=1,k do local live={{}} "
    "for _,x in ipairs(c) do if x[1]>0 then live[#live+1]=x end end "
    "if #live==0 then break end "
    "local a=pickwrandom(live) out[#out+1]=a "
    "for _,x in ipairs(c) do if x[2]==a then x[1]=0 end end end "
    "return out")

_GEO = (
    "local g={{{groups}}} local best=1 local bl=-1 "
    "for i,x in ipairs(g) do for _,net in ipairs(x[1]) do "
    "if netmask({{net}}) then local l=tonumber(string.match(net,'/(%d+)$')) "
    "if l>bl then best=i bl=l end end end end "
    "return g[best][2]")


def _q(text: str) -> str:
    return "'" + text + "'"


def _num(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def snippet(route: Route, family: int) -> str | None:
    """The Lua of the ``family`` (4 or 6) record, or None when no group has such an address."""
    if route.policy == "GEO":
        groups = []
        for g in route.groups:
            ts = stable_cap([t for t in g.targets if t.family == family], route.max_answers)
            if ts:
                nets = ",".join(_q(s) for s in g.subnets)
                groups.append("{{" + nets + "},{" + ",".join(_q(t.address) for t in ts) + "}}")
        return _GEO.format(groups=",".join(groups)) if groups else None
    ts = [t for g in route.groups[:1] for t in g.targets if t.family == family]
    if not ts:
        return None
    targets = ",".join("{" + f"{_q(t.address)},{t.weight},{_num(-1 if t.since is None else t.since)}"
                       + "}" for t in ts)
    return _WEIGHTED.format(ss=route.slow_start, n=route.max_answers or 0, targets=targets)


def lua_rrset(fqdn: str, route: Route, ttl: int) -> dict:
    """The REPLACE of ``fqdn``'s LUA rrset serving ``route``, its digest as comment."""
    records = []
    for rtype, family in (("A", 4), ("AAAA", 6)):
        code = snippet(route, family)
        if code is not None:
            records.append({"content": f'{rtype} ";{code}"', "disabled": False})
    return {"name": fqdn, "type": "LUA", "ttl": ttl, "changetype": "REPLACE", "records": records,
            "comments": [{"content": COMMENT + route.digest(), "account": "kosmos"}]}


_QUOTED = re.compile(r"'([0-9A-Fa-f:.]+)'")


def addresses_in(content: str) -> list[str]:
    """The addresses a LUA record's snippet may answer with (networks left out)."""
    out = []
    for text in _QUOTED.findall(content):
        try:
            out.append(str(ipaddress.ip_address(text)))
        except ValueError:
            continue
    return out


def digest_of(rrset: dict) -> str:
    """The route digest a LUA rrset's comment names ("" when none: not ours)."""
    for c in rrset.get("comments") or []:
        text = str(c.get("content", ""))
        if text.startswith(COMMENT):
            return text[len(COMMENT):]
    return ""
