"""Fixtures of the infra tests: parsed Terraform modules and the terraform binary."""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("kosmos_tests_infra_hcl", Path(__file__).with_name("_hcl.py"))
_hcl = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _hcl
_spec.loader.exec_module(_hcl)


@pytest.fixture(scope="session")
def hcl():
    """The helpers of _hcl.py (load_dir, walk, ...)."""
    return _hcl


@pytest.fixture(scope="session")
def tf_modules() -> dict[str, "_hcl.Module"]:
    """Every module and example, parsed, by path under infra/terraform."""
    loaded = [_hcl.load_dir(d) for d in _hcl.all_module_dirs()]
    return {m.name: m for m in loaded}


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    """The terraform binary; tests skip without it, except in CI where they fail."""
    found = shutil.which("terraform")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("terraform is not on PATH (required when CI=true)")
    pytest.skip("terraform is not on PATH")
