"""Load the functions the way the platform deploys them: ``functions_framework.create_app``.

Loading several ``main.py`` in one process collides in three places that
functions-framework treats as process-global: ``sys.modules["main"]`` (each
source file is registered under its file stem), ``FUNCTION_TARGET`` and
``FUNCTION_SIGNATURE_TYPE`` (written into ``os.environ``), and ``sys.path``
(the function's directory is appended). ``load_function`` isolates each load:
it restores those afterwards and files the module under a unique name, so
every loaded function keeps its own module object (its own warm globals) and
a later load cannot shadow an earlier one.
"""
from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import functions_framework
from werkzeug.test import Client

_FF_ENV = ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_SOURCE")
_LOCK = threading.Lock()


@dataclass
class LoadedFunction:
    """A function app ready to serve: its WSGI app and the module it came from."""

    name: str
    target: str
    source: Path
    signature_type: str
    app: Any            # the Flask WSGI app functions-framework built
    module: ModuleType  # the function's own module (warm globals live here)

    def test_client(self) -> Client:
        """A WSGI client of the app; stateless (no cookies), so queue workers may share it."""
        return Client(self.app, use_cookies=False)


@contextmanager
def _isolated(stem: str, env: dict[str, str] | None) -> Iterator[None]:
    saved_module = sys.modules.get(stem)
    saved_env = {k: os.environ.get(k) for k in (*_FF_ENV, *(env or {}))}
    saved_path = list(sys.path)
    os.environ.update(env or {})
    try:
        yield
    finally:
        if saved_module is None:
            sys.modules.pop(stem, None)
        else:
            sys.modules[stem] = saved_module
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        sys.path[:] = saved_path


def module_name(name: str) -> str:
    """The ``sys.modules`` key a loaded function is filed under."""
    return f"kosmos_function_{name}"


def load_function(name: str, source: str | Path, target: str, signature_type: str,
                  env: dict[str, str] | None = None) -> LoadedFunction:
    """Build the app of ``target`` in ``source`` as functions-framework would deploy it.

    ``name`` must be unique among the functions loaded in this process (the
    checker loaded once per region uses ``checker-RegionOne`` and so on).
    ``env`` is set only while the module executes (import-time reads); it is
    restored afterwards, so it cannot configure what the function reads later.
    """
    source = Path(source).resolve()
    key = module_name(name)
    if key in sys.modules:
        raise ValueError(f"a function named {name!r} is already loaded")
    with _LOCK, _isolated(source.stem, env):
        app = functions_framework.create_app(target, str(source), signature_type)
        module = sys.modules[source.stem]
        sys.modules[key] = module
    return LoadedFunction(name=name, target=target, source=source,
                          signature_type=signature_type, app=app, module=module)


def unload_function(name: str) -> None:
    """Forget a loaded function's module (tests load and unload repeatedly)."""
    sys.modules.pop(module_name(name), None)
