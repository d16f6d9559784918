"""DNS name rules for GSLB fqdns and zones (RFC 1035 / 1123 host names)."""
from __future__ import annotations

import re

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def normalize_fqdn(value: str, what: str = "fqdn") -> str:
    """Return ``value`` lower-cased if it is a fully qualified name, else raise ValueError.

    Rules: a trailing dot; labels of 1 to 63 characters from letters, digits,
    hyphen and underscore, not starting or ending with a hyphen; at most 253
    characters without the final dot; at least two labels (no bare TLD).
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if not value.endswith("."):
        raise ValueError(f"{what} must be fully qualified with a trailing dot")
    name = value[:-1].lower()
    if not name:
        raise ValueError(f"{what} cannot be the root")
    if len(name) > 253:
        raise ValueError(f"{what} is longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError(f"{what} needs at least two labels")
    for label in labels:
        if not _LABEL.match(label):
            raise ValueError(f"{what} has an invalid label {label!r}")
    return name + "."


def is_within_zone(fqdn: str, zone: str) -> bool:
    """True when ``fqdn`` is ``zone`` itself or a name below it (both normalized)."""
    return fqdn == zone or fqdn.endswith("." + zone)
