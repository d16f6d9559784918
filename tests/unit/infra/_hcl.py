"""Reading the Terraform modules for structural tests.

python-hcl2 keeps HCL's quotes around string literals and labels and wraps
expressions in ``${...}``; ``load_dir`` undoes the quoting of labels and
literals so tests compare plain values, and leaves expressions as ``${...}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[3]
TERRAFORM = REPO / "infra" / "terraform"
MODULES = TERRAFORM / "modules"
EXAMPLES = TERRAFORM / "examples"
PURE_MODULES = ("naming", "schedules", "regions")


def unquote(value: Any) -> Any:
    """Plain Python values: labels and string literals without their quotes."""
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@dataclass
class Module:
    """The blocks of one Terraform module directory, by kind."""

    path: Path
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    text: str = ""

    @property
    def name(self) -> str:
        return self.path.relative_to(TERRAFORM).as_posix()


def load_dir(path: Path) -> Module:
    module = Module(path)
    for tf in sorted(path.glob("*.tf")):
        module.text += tf.read_text() + "\n"
        with tf.open() as handle:
            parsed = unquote(hcl2.load(handle))
        for block in parsed.get("variable", []):
            module.variables.update(block)
        for block in parsed.get("output", []):
            module.outputs.update(block)
        for block in parsed.get("locals", []):
            module.locals.update(block)
        for block in parsed.get("module", []):
            module.modules.update(block)
        for kind, target in (("resource", module.resources), ("data", module.data)):
            for block in parsed.get(kind, []):
                for rtype, by_name in block.items():
                    for rname, body in by_name.items():
                        target[(rtype, rname)] = body
    return module


def all_module_dirs() -> list[Path]:
    """Every directory holding .tf files: the modules and the examples."""
    return sorted({tf.parent for tf in TERRAFORM.rglob("*.tf") if ".terraform" not in tf.parts})


def walk(value: Any):
    """Every key and scalar in a parsed structure, depth first."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
    else:
        yield value


def module_source(block: dict) -> str:
    return block["source"].rstrip("/").rsplit("/", 1)[-1]


SIMPLE_VAR = re.compile(r"^\$\{(?:(tostring|jsonencode)\()?var\.([a-z0-9_]+)\)?\}$")
