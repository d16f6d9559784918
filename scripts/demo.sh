#!/usr/bin/env bash
# The README's story as a script: three endpoints, a GSLB over them, one endpoint
# dies and leaves the DNS answer, the history says why. Every HTTP error stops it
# (curl --fail-with-body), names are unique per run and removed at the end, so it
# runs again and again. It uses the runner on $KOSMOS_API, else starts one.
#
#   scripts/demo.sh            (make demo)
#   KOSMOS_API=http://127.0.0.1:8080 KOSMOS_DNS_PORT=5353 DEMO_PORT=8000 scripts/demo.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
API="${KOSMOS_API:-http://127.0.0.1:8080}"
DNS_PORT="${KOSMOS_DNS_PORT:-5353}"
PORT="${DEMO_PORT:-8000}"
RUN="demo-$(date +%s)-$$"
FQDN="$RUN.example.com."
H=(-H "Content-Type: application/json" -H "X-Project-Id: demo" -H "X-Roles: member")
pids=()
made=()

say() { printf '\n== %s\n' "$*"; }
api() {   # api METHOD PATH [BODY]: the JSON answer; any HTTP error stops the demo
    local method=$1 path=$2
    if [ $# -ge 3 ]; then curl -sS --fail-with-body -X "$method" "${H[@]}" -d "$3" "$API/v1$path"
    else curl -sS --fail-with-body -X "$method" "${H[@]}" "$API/v1$path"; fi
}
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }
answer() { "$PY" -c "from kosmos_local.harness import dns_answer; print(' '.join(sorted(dns_answer('$FQDN', $DNS_PORT) or [])))"; }
wait_answer() {   # wait_answer "ADDRESSES" SECONDS
    for _ in $(seq $(( $2 * 10 ))); do
        [ "$(answer)" = "$1" ] && { echo "dig $FQDN -> $1"; return 0; }
        sleep 0.1
    done
    echo "the answer stayed '$(answer)', expected '$1'" >&2
    return 1
}
cleanup() {
    local status=$?
    for item in "${made[@]}"; do curl -sS -o /dev/null -X DELETE "${H[@]}" "$API/v1$item" || true; done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    exit $status
}
trap cleanup EXIT

if ! curl -sS -o /dev/null --fail "$API/healthcheck" 2>/dev/null; then
    say "no runner answers on $API: starting one (stopped at the end)"
    port="${API##*:}"
    "$PY" "$ROOT/local/runner.py" --port "$port" --dns-port "$DNS_PORT" \
        --db "sqlite:///$ROOT/demo.sqlite3" >"$ROOT/demo-runner.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 600); do curl -sS -o /dev/null --fail "$API/healthcheck" 2>/dev/null && break; sleep 0.1; done
    curl -sS -o /dev/null --fail "$API/healthcheck"
fi

say "three endpoints on 127.0.0.2-4:$PORT"
for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do
    "$PY" -m http.server --bind "$ip" "$PORT" >/dev/null 2>&1 &
    pids+=($!)
    eval "pid_${ip//./_}=$!"
done

say "a monitor, a pool of three members and a GSLB ($FQDN)"
MON=$(api POST /monitors '{"name":"'"$RUN"'","type":"HTTP","delay":1,"timeout":0.5,"max_retries":2,"max_retries_down":2}' | field '["id"]')
POOL=$(api POST /pools '{"name":"'"$RUN"'","monitor_ids":["'"$MON"'"]}' | field '["id"]')
made=("/pools/$POOL" "/monitors/$MON")
for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do
    api POST "/pools/$POOL/pool_members" '{"address":"'"$ip"'","port":'"$PORT"'}' | field '["address"]'
done
GSLB=$(api POST /gslbs '{"fqdn":"'"$FQDN"'","zone_name":"example.com.","ttl":5,"pools":[{"pool_id":"'"$POOL"'","priority":1}]}' | field '["id"]')
made=("/gslbs/$GSLB" "${made[@]}")
wait_answer "127.0.0.2 127.0.0.3 127.0.0.4" 20

say "127.0.0.3 dies"
kill "$pid_127_0_0_3"
wait_answer "127.0.0.2 127.0.0.4" 20
api GET "/gslbs/$GSLB/status" | field '["operating_status"]'

say "what the history says"
api GET "/gslbs/$GSLB/history" | "$PY" -c '
import json, sys
for e in json.load(sys.stdin)["history"][:10]:
    print(e["time"][11:19], e["subject"]["type"], e["from"], "->", e["to"], "|", e["reason"][:110])'
say "done: the demo's resources are removed on exit"
