"""scripts/package-functions.sh builds artifacts that hold exactly the tested code."""
from __future__ import annotations

import importlib.metadata as md
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "package-functions.sh"
TARGETS = {"api": ("kosmos_api", "http"), "conductor": ("kosmos_conductor", "http"),
           "checker": ("kosmos_checker", "cloudevent"), "engine": ("kosmos_engine", "cloudevent")}
TEST_ONLY = {"pytest", "responses", "hypothesis", "python-hcl2", "lark", "hypothesis-jsonschema"}


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def present_functions() -> list[str]:
    present = [f for f in TARGETS if (REPO / "functions" / f / "main.py").is_file()]
    missing = sorted(set(TARGETS) - set(present))
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"functions without main.py: {missing}")
    return present


def package(out: Path, *functions: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), "--out", str(out), *functions], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[str]]:
    functions = present_functions()
    if not functions:
        pytest.skip("no functions/<name>/main.py yet")
    out = tmp_path_factory.mktemp("build")
    before = library_files()
    done = package(out, *functions)
    assert done.returncode == 0, done.stderr
    LIBRARY_SNAPSHOTS[:] = [before, library_files()]
    return out, functions


# The library as it was just before and just after the build (others may edit it meanwhile).
LIBRARY_SNAPSHOTS: list[set[Path]] = []


def library_files() -> set[Path]:
    return {p.relative_to(REPO / "shared") for p in (REPO / "shared" / "kosmos").rglob("*.py")}


@pytest.fixture(params=list(TARGETS))
def artifact(request, built) -> tuple[str, Path]:
    out, functions = built
    if request.param not in functions:
        pytest.skip(f"functions/{request.param}/main.py does not exist yet")
    return request.param, out / request.param


def test_main_py_is_the_function_entry_point(artifact):
    name, dest = artifact
    assert (dest / "main.py").read_bytes() == (REPO / "functions" / name / "main.py").read_bytes()
    assert re.search(rf"^def {TARGETS[name][0]}\(", (dest / "main.py").read_text(), re.M)


def test_library_is_copied_without_bytecode(artifact):
    _, dest = artifact
    before, after = LIBRARY_SNAPSHOTS
    copied = {p.relative_to(dest) for p in (dest / "kosmos").rglob("*.py")}
    assert before & after and before & after <= copied <= before | after
    assert not list(dest.rglob("*.pyc")) and not list(dest.rglob("__pycache__"))


def test_images_hold_only_production_code(artifact):
    """The platform emulator, its embedded DNS server and the e2e harness (kosmos_local)
    are development tools: no image carries them."""
    _, dest = artifact
    shipped = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.py"))
    assert "main.py" in shipped and "kosmos/__init__.py" in shipped
    assert [p for p in shipped if not (p == "main.py" or p.startswith("kosmos/"))] == []
    assert [p for p in shipped if "local" in p.split("/")[1:-1] or "local_dns" in p
            or "harness" in p] == []


def test_requirements_are_the_runtime_closure_pinned_from_constraints(artifact):
    _, dest = artifact
    pins = {canon(n): v for n, v in re.findall(r"(?m)^([A-Za-z0-9_.\-]+)==(\S+)$",
                                               (REPO / "constraints.txt").read_text())}
    lines = [l for l in (dest / "requirements.txt").read_text().splitlines() if l and not l.startswith("#")]
    required = {}
    for line in lines:
        name, sep, version = line.partition("==")
        assert sep, f"unpinned requirement {line!r}"
        required[canon(name)] = version
        assert pins.get(canon(name)) == version, f"{line} differs from constraints.txt"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = {canon(re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    assert direct <= set(required)
    assert not TEST_ONLY & set(required), "test-only packages are shipped"
    # transitive: what an installed direct dependency needs is there too
    assert {"pydantic-core", "keystoneauth1", "flask"} <= set(required)


def test_plugin_entry_points_travel_with_the_library(artifact):
    _, dest = artifact
    dists = list(md.distributions(path=[str(dest)]))
    assert [d.metadata["Name"] for d in dists] == ["kosmos-gslb"]
    shipped = {(e.group, e.name, e.value) for e in dists[0].entry_points}
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"].get("entry-points", {})
    expected = {(g, n, v) for g, points in declared.items() for n, v in points.items()}
    assert shipped == expected


def test_dockerfile_runs_the_fixed_target(artifact):
    name, dest = artifact
    target, signature = TARGETS[name]
    dockerfile = (dest / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile, re.M)
    assert f"FUNCTION_TARGET={target}" in dockerfile
    assert f"FUNCTION_SIGNATURE_TYPE={signature}" in dockerfile
    assert "--no-deps -r requirements.txt && pip check" in dockerfile
    assert 'CMD ["functions-framework"]' in dockerfile


def test_artifact_loads_its_own_copy_of_the_library(artifact, tmp_path):
    """functions-framework builds the app from the artifact alone (PYTHONPATH as in the image)."""
    name, dest = artifact
    target, signature = TARGETS[name]
    code = ("import kosmos, functions_framework as ff; "
            f"ff.create_app({target!r}, {str(dest / 'main.py')!r}, {signature!r}); print(kosmos.__file__)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOSMOS_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(dest)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(dest)


def test_zip_holds_the_artifact_and_is_reproducible(artifact, tmp_path):
    name, dest = artifact
    archive = dest.parent / f"{name}.zip"
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == files
        assert zf.read("main.py") == (dest / "main.py").read_bytes()
    # Two builds back to back (the tree may change between this and the fixture's build).
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        done = package(out, name)
        assert done.returncode == 0, done.stderr
    assert (first / f"{name}.zip").read_bytes() == (second / f"{name}.zip").read_bytes()


def test_unknown_function_is_refused(tmp_path):
    done = package(tmp_path, "scheduler")
    assert done.returncode == 2
    assert "unknown function: scheduler" in done.stderr
    assert not any(tmp_path.iterdir())
