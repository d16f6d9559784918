#!/usr/bin/env bash
# Install the OpenStack services the `openstack` tests run for real (Keystone,
# Designate, Octavia's API), each in its own virtualenv in a cache folder that
# later runs reuse. Versions are pinned in tests/fixtures/openstack/constraints/.
#
#   scripts/install-openstack.sh [service...]   install what is missing (default: all)
#   scripts/install-openstack.sh --where S      print the virtualenv of service S
#   scripts/install-openstack.sh --lock S PKG   re-pin S from a fresh install of PKG
#
# The cache is $KOSMOS_OPENSTACK_HOME, else ${XDG_CACHE_HOME:-~/.cache}/kosmos/openstack.
# A virtualenv is named for its service and the digest of its pins, so a change
# of pins installs afresh and an unchanged one costs nothing.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
pins="$top/tests/fixtures/openstack/constraints"
cache="${KOSMOS_OPENSTACK_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kosmos/openstack}"
python="${PYTHON:-python3}"

where() {
    local digest
    digest=$(sha256sum "$pins/$1.txt" | cut -c1-12)
    echo "$cache/$1-$digest"
}

install() {
    local venv
    venv=$(where "$1")
    [ -e "$venv/.installed" ] && return 0
    echo "installing $1 into $venv (once; later runs reuse it)"
    rm -rf "$venv"
    mkdir -p "$cache"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    "$venv/bin/pip" install -q --no-deps -r "$pins/$1.txt" 2>&1 | grep -v '^WARNING: Location' || true
    "$venv/bin/pip" check >/dev/null
    touch "$venv/.installed"
}

case "${1:-}" in
    --where) where "$2" ;;
    --lock)
        tmp=$(mktemp -d)
        "$python" -m venv "$tmp/venv"
        "$tmp/venv/bin/pip" install -q "$3" gunicorn PyMySQL
        { echo "# $2 for the openstack tests; re-pin with scripts/install-openstack.sh --lock $2 $3"
          "$tmp/venv/bin/pip" freeze --exclude-editable; } > "$pins/$2.txt"
        rm -rf "$tmp" ;;
    *)
        services=("$@")
        [ ${#services[@]} -gt 0 ] || services=(keystone designate octavia)
        for s in "${services[@]}"; do install "$s"; done ;;
esac
