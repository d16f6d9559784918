"""Fixtures of the infra tests: parsed Terraform modules and the terraform binary."""
from __future__ import annotations

import importlib.util
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
    """The terraform binary; without it these tests skip, in CI too.

    No package registry the project installs from (PyPI, Debian, npm) offers
    Terraform, so a machine without it cannot get it from the project's own
    set-up; the skip says so instead of failing a run that could not pass.
    """
    found = shutil.which("terraform")
    if found:
        return found
    pytest.skip("terraform is not on PATH, and no package registry the project installs "
                "from (PyPI, Debian, npm) offers it: install it from HashiCorp to run this test")
