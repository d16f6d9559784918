"""Authoritative DNS answers of the local responder, and its UDP and TCP servers.

Inside a managed zone: A/AAAA (and ANY) of a managed name are answered with
the AA flag; another type of a managed name, or an empty non-terminal, gets
NOERROR with no answer (NODATA) and the zone's SOA in the authority section;
an unknown name gets NXDOMAIN with the SOA. The apex answers SOA. A name
outside every managed zone is REFUSED (we are not a resolver).
"""
from __future__ import annotations

import socketserver
import struct
import threading

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from kosmos_local.dns.connections import TracksConnections
from kosmos_local.dns.store import RecordStore
from kosmos.domain.routing import pick

SOA_TTL = 30


def _soa(zone: str, serial: int) -> dns.rrset.RRset:
    return dns.rrset.from_text(zone, SOA_TTL, "IN", "SOA",
                               f"ns.{zone} hostmaster.{zone} {serial} 3600 600 86400 {SOA_TTL}")


def answer(store: RecordStore, wire: bytes, max_size: int | None = 512,
           client: str | None = None) -> bytes | None:
    """The response to one query message (None when the query cannot even be parsed).

    A name with a route (WEIGHTED, GEO) gets a response picked for this query
    (``kosmos.domain.routing.pick``); the client is the EDNS Client Subnet
    address when the query carries one, else ``client`` (the resolver), and an
    ECS query's response carries the scope the answer depends on.
    """
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return _formerr(wire)
    if query.flags & dns.flags.QR:
        return None   # a response, not a query: answering it could start a reflection loop
    resp = dns.message.make_response(query)
    resp.flags &= ~dns.flags.RA
    if query.opcode() != dns.opcode.QUERY:
        resp.set_rcode(dns.rcode.NOTIMP)
        return resp.to_wire()
    if len(query.question) != 1:
        resp.set_rcode(dns.rcode.FORMERR)
        return resp.to_wire()
    q = query.question[0]
    qname = q.name.to_text().lower()
    zone = store.zone_for(qname) if q.rdclass == dns.rdataclass.IN else None
    if zone is None:
        resp.set_rcode(dns.rcode.REFUSED)
        return resp.to_wire()
    resp.flags |= dns.flags.AA
    serial = store.serial
    rec = store.get(qname)
    wanted = {dns.rdatatype.A: "a", dns.rdatatype.AAAA: "aaaa"}
    if q.rdtype == dns.rdatatype.ANY:
        types = list(wanted)
    else:
        types = [q.rdtype] if q.rdtype in wanted else []
    ecs = _client_subnet(query)
    route = rec.steering() if rec is not None else None
    scope = 0
    if rec is not None:
        for t in types:
            values = getattr(rec, wanted[t])
            if values and route is not None:
                who = str(ecs.address) if ecs is not None else client
                values, scope = pick(route, 4 if t == dns.rdatatype.A else 6, who)
            if values:
                resp.answer.append(dns.rrset.from_text_list(qname, rec.ttl, "IN",
                                                            dns.rdatatype.to_text(t), values))
    if ecs is not None:
        resp.use_edns(0, 0, 1232, options=[dns.edns.ECSOption(
            ecs.address, ecs.srclen, min(scope, 32 if ":" not in ecs.address else 128))])
    if qname == zone and q.rdtype in (dns.rdatatype.SOA, dns.rdatatype.ANY):
        resp.answer.append(_soa(zone, serial))
    if not resp.answer:
        known = rec is not None or qname == zone or store.has_descendant(qname)
        if not known:
            resp.set_rcode(dns.rcode.NXDOMAIN)
        resp.authority.append(_soa(zone, serial))
    limit = max(512, query.payload) if query.edns >= 0 else 512
    try:
        return resp.to_wire(max_size=limit if max_size else 65535)
    except dns.exception.TooBig:
        resp.answer.clear()
        resp.authority.clear()
        resp.flags |= dns.flags.TC
        return resp.to_wire()


def _client_subnet(query: dns.message.Message) -> dns.edns.ECSOption | None:
    """The query's EDNS Client Subnet option, if any."""
    for opt in query.options if query.edns >= 0 else ():
        if isinstance(opt, dns.edns.ECSOption):
            return opt
    return None


def _formerr(wire: bytes) -> bytes | None:
    if len(wire) < 3 or wire[2] & 0x80:   # too short to answer, or itself a response
        return None
    msg = dns.message.Message(id=struct.unpack("!H", wire[:2])[0])
    msg.flags = dns.flags.QR
    msg.set_rcode(dns.rcode.FORMERR)
    return msg.to_wire()


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        out = answer(self.server.store, data, client=self.client_address[0])   # type: ignore[attr-defined]
        if out:
            sock.sendto(out, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn = self.request
        conn.settimeout(10)
        try:
            while True:
                head = _read(conn, 2)
                if not head:
                    return
                data = _read(conn, struct.unpack("!H", head)[0])
                if data is None:
                    return
                out = answer(self.server.store, data, max_size=None,   # type: ignore[attr-defined]
                             client=self.client_address[0])
                if not out:
                    return
                conn.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            return


def _read(conn, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True


class _TCPServer(TracksConnections, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_dns(store: RecordStore, host: str, port: int) -> tuple[list[socketserver.BaseServer], int]:
    """Serve DNS over UDP and TCP on the same port (0: a free one); returns servers and port."""
    last: OSError | None = None
    for _ in range(20):
        udp = _UDPServer((host, port), _UDPHandler)
        real = udp.server_address[1]
        try:
            tcp = _TCPServer((host, real), _TCPHandler)
        except OSError as exc:   # the TCP side of a random UDP port may be taken
            udp.server_close()
            last = exc
            if port:
                raise
            continue
        for srv in (udp, tcp):
            srv.store = store   # type: ignore[attr-defined]
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                             name=f"local-dns-{type(srv).__name__}", daemon=True).start()
        return [udp, tcp], real
    raise last or OSError("no free port for the local DNS responder")
