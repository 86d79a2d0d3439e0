#!/usr/bin/env bash
# Benchmark smoke run: every BenchmarkDotNet benchmark executes once (in-process, Dry job) so a benchmark that throws
# or no longer compiles fails CI. Timings from this run mean nothing. Exits non-zero when any benchmark failed
# (Edge.Benchmarks' Program inspects the summaries: BenchmarkDotNet itself exits 0 on failures).
# Usage: .ci/bench-smoke.sh [--no-build] [extra BenchmarkDotNet args]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build=(--configuration Release)
if [ "${1:-}" = "--no-build" ]; then
  build+=(--no-build)
  shift
fi

artifacts=$(mktemp -d "${TMPDIR:-/tmp}/edge-bench-smoke.XXXXXX")
log="$artifacts/smoke.log"
trap 'rm -rf "$artifacts"' EXIT

set +e
timeout --kill-after=10s 240s \
  dotnet run "${build[@]}" --project bench/Edge.Benchmarks -- \
    --filter '*' --inProcess --job dry --artifacts "$artifacts" "$@" >"$log" 2>&1
status=$?
set -e

# Keep CI output short: the failures and BenchmarkDotNet's own error lines, then our verdict.
grep -E '^bench: |^// ERROR|Exception:|^error ' "$log" | head -60 || true
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 124 ] && echo "bench-smoke: timed out after 240 s" >&2
  echo "bench-smoke: FAILED (exit $status); last lines of the log:" >&2
  tail -40 "$log" >&2
  exit 1
fi
echo "bench-smoke: ok"
