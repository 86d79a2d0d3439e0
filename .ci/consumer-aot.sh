#!/usr/bin/env bash
# Native AOT smoke test of the generator's consumer: publish tests/Edge.Consumer for linux-x64 with zero trim/AOT
# warnings, run the binary (it invokes every generated function typed and through JSON and exits non-zero on any
# surprise), print its size, and check that Edge.Runtime and the generated sources use no System.Reflection.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rid="${EDGE_RID:-linux-x64}"
out="artifacts/consumer-aot/$rid"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# --- publish ------------------------------------------------------------------------------------------------------
# A trim/AOT warning is an error here even if the project's own settings would let it through.
if ! dotnet publish tests/Edge.Consumer -c Release -r "$rid" -o "$out" -p:TreatWarningsAsErrors=true 2>&1 | tee "$log"; then
  echo "consumer-aot: publish FAILED" >&2
  exit 1
fi
if grep -E "warning|error [A-Z]+[0-9]+|IL[23][0-9]{3}" "$log" >/dev/null; then
  echo "consumer-aot: publish produced warnings:" >&2
  grep -E "warning|error [A-Z]+[0-9]+|IL[23][0-9]{3}" "$log" | sort -u >&2
  exit 1
fi

# --- run ----------------------------------------------------------------------------------------------------------
binary="$out/Edge.Consumer"
"$binary"
size=$(stat -c %s "$binary")
echo "consumer-aot: $binary is $size bytes ($(( (size + 1023) / 1024 )) KiB)"

# --- host its own functions: the same CLI/HTTP/sync as edge-host, from this one binary ----------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
"$binary" serve --urls "http://127.0.0.1:$port" --data-dir "$data" --node-id consumer >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
count=$(curl -fsS "http://127.0.0.1:$port/v1/functions" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
stats=$(curl -fsS --json '{"readings":[1,2,3,4]}' "http://127.0.0.1:$port/v1/functions/sensor-stats/invoke")
kill -TERM $pid
code=0; wait $pid || code=$?
rm -rf "$data"
if [ "$count" != 11 ] || [ "$stats" != '{"Count":4,"Mean":2.5,"Min":1,"Max":4}' ] || [ "$code" != 0 ]; then
  cat "$log" >&2
  echo "consumer-aot: serving its own functions failed (functions=$count, sensor-stats=$stats, exit=$code)" >&2
  exit 1
fi
echo "consumer-aot: 'Edge.Consumer serve' hosts its $count functions over HTTP and stops cleanly on SIGTERM"

# --- the node inside an ASP.NET Core app of its own: AddEdgeNode + MapEdgeApi beside the app's own route ------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
"$binary" web --urls "http://127.0.0.1:$port" --Edge:dataDir="$data" --Edge:nodeId=consumer-web >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
hello=$(curl -fsS "http://127.0.0.1:$port/hello" || true)
count=$(curl -fsS "http://127.0.0.1:$port/v1/functions" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || true)
put=$(curl -fsS -X PUT --json '{"door":"open"}' "http://127.0.0.1:$port/v1/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' || true)
kill -TERM $pid
code=0; wait $pid || code=$?
journal=$(ls "$data" | grep -c '^journal-' || true)
rm -rf "$data"
if [ "$hello" != "hello from the consumer's own route" ] || [ "$count" != 11 ] || [ "$put" != 1 ] || [ "$journal" -lt 1 ] || [ "$code" != 0 ]; then
  cat "$log" >&2
  echo "consumer-aot: the node embedded in an app failed (hello=$hello, functions=$count, put version=$put, journals=$journal, exit=$code)" >&2
  exit 1
fi
echo "consumer-aot: 'Edge.Consumer web' serves its own route and the node's API ($count functions, state journaled) and stops cleanly"

# --- no reflection ------------------------------------------------------------------------------------------------
# The publish above compiled into obj/Release/net10.0/<rid>; a plain build uses obj/Release/net10.0.
generated=tests/Edge.Consumer/obj/Release/net10.0/$rid/generated/Edge.Generators
if [ ! -d "$generated" ]; then
  generated=$(find tests/Edge.Consumer/obj -type d -path '*generated/Edge.Generators' -print -quit)
fi
if [ -z "$generated" ] || ! ls "$generated"/*/EdgeFunctionTable.g.cs >/dev/null 2>&1; then
  echo "consumer-aot: generated sources not found (EmitCompilerGeneratedFiles)" >&2
  exit 1
fi
if grep -rn "System.Reflection" --include='*.cs' src/Edge.Runtime --exclude-dir=obj --exclude-dir=bin "$generated"; then
  echo "consumer-aot: System.Reflection found in Edge.Runtime or generated sources" >&2
  exit 1
fi
echo "consumer-aot: no System.Reflection in src/Edge.Runtime or $generated"
echo "consumer-aot: OK"
