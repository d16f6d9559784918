"""How values show: structured in -f json/yaml, readable in a table."""
from __future__ import annotations

import json
from typing import Any

from cliff import columns


class JsonColumn(columns.FormattableColumn):
    """A list or object: compact JSON in a table, the value itself in json/yaml."""

    def human_readable(self) -> str:
        if isinstance(self._value, list) and all(not isinstance(v, (dict, list))
                                                 for v in self._value):
            return ", ".join(str(v) for v in self._value)
        return json.dumps(self._value, sort_keys=True)

    def machine_readable(self) -> Any:
        return self._value


def shown(record: dict[str, Any], columns_: list[str]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(columns, values) of ``record``, nested values formatted as JsonColumn."""
    values = tuple(JsonColumn(record.get(c)) if isinstance(record.get(c), (dict, list))
                   else record.get(c) for c in columns_)
    return tuple(columns_), values


def one(record: dict[str, Any], hidden: tuple[str, ...] = ("links",)) -> tuple:
    """A ShowOne answer: every field of ``record`` but ``hidden``, sorted."""
    return shown(record, sorted(k for k in record if k not in hidden))
