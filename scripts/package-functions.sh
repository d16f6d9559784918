#!/usr/bin/env bash
# Build each function's deployable artifact from this repository, so what is
# deployed is exactly the code the tests ran against.
#
#   scripts/package-functions.sh [--out DIR] [--vendor] [--no-zip] [FUNCTION...]
#
# For every function (default: api conductor checker engine) it writes
# DIR/<name>/ (default DIR: build/functions):
#   main.py                       functions/<name>/main.py, the entry point
#   kosmos/                       the library (shared/kosmos, without bytecode)
#   kosmos_gslb-<v>.dist-info/    metadata + entry points, so appliance and
#                                 check plugins load without installing the library
#   requirements.txt              the runtime dependency closure of pyproject.toml,
#                                 every version pinned exactly from constraints.txt
#   Dockerfile, .dockerignore     a container build context (see infra/README.md)
#   BUILD-INFO.json               function, target, signature type, version, commit
# and DIR/<name>.zip with the same files (byte-for-byte reproducible), for
# functions-framework platforms that take a source archive.
#
# Nothing is downloaded unless --vendor is given: then the pinned packages are
# also installed into the artifact (pip install --no-deps --target), for a
# platform that does not install requirements.txt itself.
#
# The dependency closure is read from the installed metadata of the project's
# Python environment (PYTHON, default .venv/bin/python): run `make setup` first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/functions"
VENDOR=0
ZIP=1
FUNCTIONS=()

while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT="$2"; shift 2 ;;
        --out=*) OUT="${1#--out=}"; shift ;;
        --vendor) VENDOR=1; shift ;;
        --no-zip) ZIP=0; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) FUNCTIONS+=("$1"); shift ;;
    esac
done
[ ${#FUNCTIONS[@]} -gt 0 ] || FUNCTIONS=(api conductor checker engine)

if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

# name -> "target signature-type"; the targets are fixed, the deployment relies on them.
spec_of() {
    case "$1" in
        api) echo "kosmos_api http" ;;
        conductor) echo "kosmos_conductor http" ;;
        checker) echo "kosmos_checker cloudevent" ;;
        engine) echo "kosmos_engine cloudevent" ;;
        *) return 1 ;;
    esac
}

for fn in "${FUNCTIONS[@]}"; do
    spec_of "$fn" >/dev/null || { echo "unknown function: $fn (api, conductor, checker, engine)" >&2; exit 2; }
    [ -f "$ROOT/functions/$fn/main.py" ] || { echo "missing functions/$fn/main.py" >&2; exit 1; }
done

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$COMMIT" != unknown ] && [ -n "$(git -C "$ROOT" status --porcelain -- shared functions pyproject.toml constraints.txt 2>/dev/null)" ]; then
    COMMIT="$COMMIT-dirty"
fi

# One computation of the pinned closure and the dist-info for all functions.
META="$(mktemp -d)"
trap 'rm -rf "$META"' EXIT
"$PYTHON" - "$ROOT" "$META" <<'PY'
"""Pinned runtime requirements and a dist-info directory for the library."""
import importlib.metadata as md
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

root, meta = Path(sys.argv[1]), Path(sys.argv[2])
project = tomllib.loads((root / "pyproject.toml").read_text())["project"]

pins = {}
for line in (root / "constraints.txt").read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if "==" in line:
        name, version = (part.strip() for part in line.split("==", 1))
        pins[canonicalize_name(name)] = (name, version)

# The image runs CPython 3.11 on Linux x86_64, whatever machine packages it.
target = {
    "python_version": "3.11", "python_full_version": "3.11.0", "os_name": "posix",
    "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
    "platform_python_implementation": "CPython", "implementation_name": "cpython",
    "platform_release": "", "platform_version": "", "implementation_version": "3.11.0",
}

def applies(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**target, "extra": e}) for e in (extras or {""}))

# Like pip freeze, constraints.txt leaves out the installers; the base image
# provides them (pip check in the Dockerfile proves it, e.g. for pbr's setuptools).
BASE_IMAGE = {"pip", "setuptools", "wheel"}

closure: dict[str, str] = {}
seen: set[tuple[str, frozenset[str]]] = set()
queue = [(Requirement(r), frozenset()) for r in project["dependencies"]]
errors = []
while queue:
    req, parent_extras = queue.pop()
    if not applies(req, parent_extras):
        continue
    key = canonicalize_name(req.name)
    if key in BASE_IMAGE:
        continue
    if key not in pins:
        errors.append(f"{req.name} is needed at runtime but not pinned in constraints.txt")
        continue
    name, version = pins[key]
    if not req.specifier.contains(version, prereleases=True):
        errors.append(f"constraints.txt pins {name}=={version}, outside {req}")
    extras = frozenset(req.extras)
    if (key, extras) in seen:
        continue
    seen.add((key, extras))
    closure[key] = f"{name}=={version}"
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        errors.append(f"{name} is not installed in this environment (run make setup)")
        continue
    if dist.version != version:
        errors.append(f"{name} {dist.version} is installed but constraints.txt pins {version} (run make setup)")
    queue.extend((Requirement(r), extras) for r in dist.requires or [])
if errors:
    sys.exit("package-functions: " + "\n  ".join(["cannot pin the dependencies:"] + sorted(set(errors))))

(meta / "requirements.txt").write_text(
    "# Runtime dependencies of kosmos-gslb, pinned from constraints.txt by scripts/package-functions.sh.\n"
    + "".join(f"{closure[k]}\n" for k in sorted(closure)))

dist_info = meta / f"kosmos_gslb-{project['version']}.dist-info"
dist_info.mkdir()
(dist_info / "METADATA").write_text(
    f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    f"Summary: {project.get('description', '')}\nRequires-Python: {project.get('requires-python', '')}\n")
groups = project.get("entry-points", {})
(dist_info / "entry_points.txt").write_text("".join(
    f"[{group}]\n" + "".join(f"{n} = {target}\n" for n, target in sorted(points.items())) + "\n"
    for group, points in sorted(groups.items())))
(dist_info / "top_level.txt").write_text("kosmos\n")
(meta / "version").write_text(project["version"])
PY
VERSION="$(cat "$META/version")"

for fn in "${FUNCTIONS[@]}"; do
    read -r target signature <<<"$(spec_of "$fn")"
    dest="$OUT/$fn"
    rm -rf "$dest" "$OUT/$fn.zip"
    mkdir -p "$dest"
    cp "$ROOT/functions/$fn/main.py" "$dest/main.py"
    tar -C "$ROOT/shared" --exclude=__pycache__ --exclude='*.pyc' --exclude='*.egg-info' -cf - kosmos | tar -C "$dest" -xf -
    cp -R "$META"/kosmos_gslb-*.dist-info "$dest/"
    cp "$META/requirements.txt" "$dest/requirements.txt"
    cat >"$dest/BUILD-INFO.json" <<EOF
{"function": "$fn", "target": "$target", "signature_type": "$signature", "version": "$VERSION", "commit": "$COMMIT"}
EOF
    printf '%s\n' Dockerfile .dockerignore '*.zip' >"$dest/.dockerignore"
    cat >"$dest/Dockerfile" <<EOF
# Kosmos $fn function $VERSION ($COMMIT), generated by scripts/package-functions.sh.
# Pin the base image by digest in your registry mirror for reproducible builds.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app \\
    FUNCTION_SOURCE=/app/main.py FUNCTION_TARGET=$target FUNCTION_SIGNATURE_TYPE=$signature PORT=8080
WORKDIR /app
COPY requirements.txt .
# requirements.txt is the complete pinned closure: --no-deps installs exactly it,
# pip check proves nothing is missing.
RUN pip install --no-cache-dir --no-deps -r requirements.txt && pip check
COPY . .
USER 65532:65532
EXPOSE 8080
CMD ["functions-framework"]
EOF
    if [ "$VENDOR" = 1 ]; then
        "$PYTHON" -m pip install --quiet --no-deps --no-compile --target "$dest" -r "$dest/requirements.txt"
    fi
    if [ "$ZIP" = 1 ]; then
        "$PYTHON" - "$dest" "$OUT/$fn.zip" <<'PY'
"""A reproducible zip: sorted entries, fixed timestamps and modes."""
import sys
import zipfile
from pathlib import Path

src, out = Path(sys.argv[1]), Path(sys.argv[2])
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        info = zipfile.ZipInfo(path.relative_to(src).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, path.read_bytes())
PY
    fi
    echo "packaged $fn -> $dest"
done
