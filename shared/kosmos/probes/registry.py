"""Finding check plugins: the ``kosmos.probes`` entry point group.

Every check, the built-in ones included, is a class named by an entry point;
its name is the monitor ``type`` it serves. A plugin that fails to import is
logged and left out rather than taking every other check down with it.
"""
from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

from kosmos.contracts.plugins import entry_points_of
from kosmos.probes.base import Check
from kosmos.logs import get_logger

GROUP = "kosmos.probes"
log = get_logger(__name__)


def available() -> dict[str, EntryPoint]:
    """Installed check entry points by name (not imported yet)."""
    return entry_points_of(GROUP)


def load_check_class(name: str) -> type[Check]:
    """Import the check class registered as ``name``; KeyError if none is."""
    ep = available()[name]
    cls = ep.load()
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        raise TypeError(f"entry point {GROUP}:{name} is not a kosmos.probes.base.Check")
    return cls


def validate_options(check_type: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` of a monitor of ``check_type`` as its plugin's options model validates
    them (JSON-ready); ValidationError naming ``options.<field>`` otherwise."""
    from pydantic import ValidationError as PydanticError

    from kosmos.errors import ValidationError, from_pydantic

    try:
        model = load_check_class(check_type).options_model
    except KeyError:
        raise ValidationError(f"type: no check plugin named {check_type!r} is installed",
                              field="type") from None
    if model is None:
        if options:
            raise ValidationError(f"options: the {check_type} check takes no options",
                                  field="options")
        return {}
    try:
        return model.model_validate(options).model_dump(mode="json")
    except PydanticError as exc:
        raise from_pydantic(exc, "options") from None


def cost_of(check_type: str) -> float:
    """What one probe of ``check_type`` costs, in TCP probes (1 for an unknown type)."""
    try:
        return float(load_check_class(check_type).cost)
    except (KeyError, TypeError, ImportError):
        return 1.0


def load_checks(settings: Any = None, **deps: Any) -> dict[str, Check]:
    """One instance of every installed check, keyed by monitor type."""
    checks: dict[str, Check] = {}
    for name in sorted(available()):
        try:
            checks[name] = load_check_class(name)(settings, **deps)
        except Exception:  # noqa: BLE001 - one broken plugin must not disable the others
            log.exception("check plugin %s failed to load", name)
    return checks
