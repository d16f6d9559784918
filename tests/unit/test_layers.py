"""Import rules that keep the layers honest (a failing test names the offending import)."""
from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "shared" / "kosmos"
DATABASE_PACKAGES = ("sqlalchemy", "alembic", "pg8000")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _modules(under: str = ""):
    for path in sorted((LIB / under).rglob("*.py")):
        yield path.relative_to(LIB.parent).as_posix(), path


def test_only_the_conductor_touches_the_database():
    bad = [f"{name}:{line} imports {mod}" for name, path in _modules()
           if not name.startswith("kosmos/conductor/")
           for line, mod in _imports(path) if mod.split(".")[0] in DATABASE_PACKAGES]
    assert bad == []


def test_the_domain_imports_nothing_outward():
    # Pure rules: the standard library, pydantic, the contracts and itself, nothing that does I/O.
    allowed = ("kosmos.domain", "kosmos.contracts")
    bad = [f"{name}:{line} imports {mod}" for name, path in _modules("domain")
           for line, mod in _imports(path)
           if mod.startswith("kosmos") and not mod.startswith(allowed)
           or mod.split(".")[0] in DATABASE_PACKAGES + ("requests", "openstack", "flask")]
    assert bad == []


def test_the_rules_see_a_violation(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import sqlalchemy\nfrom kosmos.adapters import publisher\n")
    assert [m for _, m in _imports(bad)] == ["sqlalchemy", "kosmos.adapters"]
