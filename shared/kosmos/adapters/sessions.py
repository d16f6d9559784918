"""HTTP sessions for the fixed URLs a function calls on every request or event.

``session_for(url)`` takes the environment's proxy (``NO_PROXY`` included) and CA
bundle settings for ``url`` once, when it is made. A plain ``requests.Session``
reads them on every call, and looks for a netrc file each time too: about a
quarter of the client's CPU per call to the conductor went to that. The URLs
these sessions serve (the conductor, the event broker) and the environment do
not change while a function runs.
"""
from __future__ import annotations

import os

import requests


def session_for(url: str) -> requests.Session:
    """A session for calls to ``url`` that reads the environment only now."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(url))
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if ca_bundle:
        session.verify = ca_bundle
    session.trust_env = False
    return session
