"""HTTP clients for the fixed URLs a function calls on every request or event.

``client_for(url, timeout)`` answers a ``PlainClient`` (``kosmos.adapters.plain_http``)
for a plain-HTTP URL the environment names no proxy for, else a ``Client``: a
urllib3 connection pool (through the environment's proxy for ``url``, ``NO_PROXY``
included, and with its CA bundle). Either keeps connections alive, shared by the
caller's threads. The
environment is read once, when the client is made: the URLs these clients
serve (the conductor, the event broker, the runner's functions) and the
environment do not change while a function runs.

Not ``requests``: a ``requests.Session`` spent most of a call preparing it
(merging settings, cookies, hooks, URL parsing twice); it was nearly half of
the api function's CPU per request, all of it spent on calling the conductor.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import certifi
import requests.utils
import urllib3

from kosmos.adapters.plain_http import Answer, PlainClient

#: connections kept per client: a function serves this many requests at once
POOL_SIZE = 64

#: what a client raises when no answer came (refused, reset, timed out, proxy down, an
#: answer that is not HTTP: ``plain_http.ProtocolError`` is an OSError)
TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError)


class Client:
    """Requests to one origin; ``request`` answers an ``Answer`` or raises one of
    ``TRANSPORT_ERRORS``. Never retries, never follows a redirect."""

    def __init__(self, url: str, timeout: float, pool_size: int = POOL_SIZE):
        self.url = url
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        proxy = requests.utils.get_environ_proxies(url).get(urlsplit(url).scheme)
        # the CA bundle the environment names, else certifi's (as requests did)
        self.ca_bundle = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                          or certifi.where())
        self.proxy = proxy or None
        options = {"maxsize": pool_size, "retries": False, "timeout": self.timeout,
                   "ca_certs": self.ca_bundle}
        self.pool = (urllib3.ProxyManager(proxy, num_pools=4, **options) if proxy
                     else urllib3.PoolManager(num_pools=4, **options))

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        """``method url`` (an absolute URL, normally under this client's) with ``body``."""
        # the body as sent (never decompressed): both clients answer the same bytes
        resp = self.pool.request(method, url, body=body, headers=headers, redirect=False,
                                 retries=False, decode_content=False)
        return Answer(resp.status, resp.headers, resp.data)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        return self.request("POST", url, body, headers)


def client_for(url: str, timeout: float) -> Client | PlainClient:
    """A client for calls to ``url`` that reads the environment only now: the lean
    ``PlainClient`` for a plain-HTTP origin reached without a proxy (every call between
    functions), urllib3 for anything else (TLS, a proxy)."""
    if urlsplit(url).scheme == "http" and not requests.utils.get_environ_proxies(url).get("http"):
        return PlainClient(url, timeout, POOL_SIZE)
    return Client(url, timeout)
