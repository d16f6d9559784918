"""Guard rails of the structure: layers import inward, SQLAlchemy stays in the
conductor, and no import circle appears (function-level imports included)."""
from __future__ import annotations

import ast
from pathlib import Path

import kosmos

ROOT = Path(kosmos.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("kosmos", *path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it; ``from a import b`` is ``a.b`` when
    that is a module, else ``a``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            out.update(subs or {node.module})
    return out


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _inside(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_only_the_conductor_imports_sqlalchemy():
    users = sorted(m for m, deps in GRAPH.items() if any(_inside(d, "sqlalchemy", "alembic") for d in deps)
                   and not _inside(m, "kosmos.conductor"))
    assert users == []


def test_the_library_never_imports_the_platform_emulator():
    users = sorted(m for m, deps in GRAPH.items() if any(_inside(d, "kosmos_local") for d in deps))
    assert users == []


def test_contracts_and_domain_import_only_inward():
    allowed = {"kosmos.contracts": ("kosmos.contracts", "kosmos.errors"),
               "kosmos.domain": ("kosmos.contracts", "kosmos.domain", "kosmos.errors")}
    wrong = sorted((m, d) for m, deps in GRAPH.items() for layer, ok in allowed.items()
                   if _inside(m, layer) for d in deps if _inside(d, "kosmos") and not _inside(d, *ok))
    assert wrong == []
    assert all(not _inside(d, "kosmos") for d in GRAPH["kosmos.errors"])


def test_no_import_circle():
    inner = {m: {d for d in deps if d in GRAPH} for m, deps in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:   # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in inner[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))
    for v in sorted(inner):
        if v not in index:
            visit(v)
    assert circles == []


def test_the_guard_sees_imports():
    assert "kosmos.contracts.dnsnames" in GRAPH["kosmos.contracts.resources"]
    assert any(_inside(d, "sqlalchemy") for d in GRAPH["kosmos.conductor.db.engine"])
