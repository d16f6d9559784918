"""Coverage-guided fuzzing of the embedded DNS server's query handling (atheris).

Run: ``python tests/fuzz/fuzz_dns_query.py -max_total_time=30``. Whatever bytes
arrive, ``answer`` returns a reply (or None: nothing to say) and never raises;
a reply always parses and fits the size asked for.
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import dns.message

    from kosmos_local.dns.responder import answer
    from kosmos_local.dns.store import RecordStore

STORE = RecordStore()
STORE.add_zone("example.com.")
STORE.put("www.example.com.", "example.com.", ["192.0.2.1", "2001:db8::1"], 30)


def one_input(data: bytes) -> None:
    reply = answer(STORE, data, 512)
    if reply is not None:
        assert len(reply) <= 512, len(reply)
        dns.message.from_wire(reply)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
