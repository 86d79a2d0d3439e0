#!/usr/bin/env bash
# Smoke-tests a published edge-host binary: serve on a free loopback port, /healthz, invoke a built-in, /metrics,
# then SIGTERM and a clean exit 0.  Usage: host-smoke.sh BINARY [RUNNER...]   (RUNNER e.g. qemu-aarch64 -L /usr/aarch64-linux-gnu)
set -euo pipefail
binary=$1; shift
runner=("$@")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
log=$(mktemp)
start=$(date +%s%N)
"${runner[@]}" "$binary" serve --urls "http://127.0.0.1:$port" --data-dir "$data" --node-id smoke >"$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$data" "$log"' EXIT
trap 'echo "smoke: FAILED at line $LINENO; host log:" >&2; cat "$log" >&2' ERR

# Up to 120 s: under qemu on a busy 2-core machine start-up is slow (emulation), natively it is tens of ms.
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "smoke: edge-host exited early" >&2; exit 1; }
  (( ($(date +%s%N) - start) / 1000000000 < 120 )) || { cat "$log"; echo "smoke: not healthy after 120 s" >&2; exit 1; }
  sleep 0.02
done
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null

result=$(curl -fsS --json '{"readings":[2,4,4,4,5,5,7,9]}' "http://127.0.0.1:$port/v1/functions/sensor-stats/invoke")
echo "smoke: sensor-stats -> $result"
[[ $result == *'"mean":5'* && $result == *'"stdDev":2'* ]] || { echo "smoke: unexpected result" >&2; exit 1; }

echo_result=$(curl -fsS --json '{"message":"hi"}' "http://127.0.0.1:$port/v1/functions/echo/invoke")
[[ $echo_result == '"hi"' ]] || { echo "smoke: echo returned $echo_result" >&2; exit 1; }

status=$(curl -s -o /dev/null -w '%{http_code}' --json '{}' "http://127.0.0.1:$port/v1/functions/nope/invoke")
[[ $status == 404 ]] || { echo "smoke: unknown function gave $status" >&2; exit 1; }

curl -fsS -X PUT --json '{"smoke": true}' "http://127.0.0.1:$port/v1/state" >/dev/null
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics")
grep -q 'edge_invocations_total{node="smoke",function="sensor-stats"} 1' <<<"$metrics" || { echo "smoke: metrics missing invocation" >&2; exit 1; }
grep -q 'edge_state_version{node="smoke",kind="local"} 1' <<<"$metrics" || { echo "smoke: metrics missing state version" >&2; exit 1; }

rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo "?")
kill -TERM $pid
code=0
wait $pid || code=$?
[[ $code == 0 ]] || { cat "$log"; echo "smoke: exit code $code after SIGTERM" >&2; exit 1; }
echo "smoke: ok ($(basename "$binary") ${runner[*]:-native}; ready in ${ready_ms} ms; RSS ${rss_kb} kB; $(stat -c %s "$binary") bytes)"
