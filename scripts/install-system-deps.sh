#!/usr/bin/env bash
# Install the Debian packages the integration tests run for real, when missing.
# As root it installs them; otherwise it says what is missing and the tests that
# need them skip (never in CI, where they fail instead).
set -euo pipefail
need=()
command -v pdns_server >/dev/null 2>&1 || need+=(pdns-server pdns-backend-sqlite3)
[ -e /usr/lib/x86_64-linux-gnu/pdns/libgsqlite3backend.so ] || [ -n "$(ls /usr/lib/*/pdns/libgsqlite3backend.so 2>/dev/null)" ] || need+=(pdns-backend-sqlite3)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
# The dashboard's browser test drives a headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # The package starts a pdns service on port 53; the tests start their own.
    (command -v systemctl >/dev/null && systemctl disable --now pdns 2>/dev/null) || true
    # Without systemd, stop only the packaged instance (by its pid file), never
    # a pdns_server a test fixture started.
    if [ -s /run/pdns/pdns.pid ]; then kill "$(cat /run/pdns/pdns.pid)" 2>/dev/null || true; fi
else
    echo "not root: cannot install ${need[*]}; tests needing them will skip" >&2
fi
