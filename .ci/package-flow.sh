#!/usr/bin/env bash
# The package flow a user outside this repository follows: pack Edge.Runtime (with the generator inside), Edge.Host
# and Edge.Native.Templates into a local folder feed; install the template from it and create a node with
# `dotnet new edge-node` in a temp directory whose nuget.config takes Edge.* from that feed only (package source
# mapping; everything else from nuget.org); build it with zero warnings, run its tests, publish it with Native AOT
# (zero IL warnings), start the binary and invoke a function over HTTP; prove the generator's diagnostics reach the
# command line from the package (a broken copy fails with EDGE010); and `dotnet add package Edge.Host` into a plain
# console project. No reference into this repository anywhere in the flow.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
repo=$PWD
feed="$repo/artifacts/feed"
work=$(mktemp -d /tmp/edge-package-flow-XXXXXX)
log=$(mktemp)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work" "$log"; }
trap cleanup EXIT
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)

fail() { cat "$log" >&2; echo "package-flow: $*" >&2; exit 1; }
no_warnings() { if grep -E "warning [A-Z]+[0-9]+|IL[23][0-9]{3}" "$log" >/dev/null; then grep -E "warning [A-Z]+[0-9]+|IL[23][0-9]{3}" "$log" | sort -u >&2; fail "$1 produced warnings"; fi; }

# --- pack ---------------------------------------------------------------------------------------------------------
rm -rf "$feed"
for project in src/Edge.Runtime src/Edge.Host templates/Edge.Native.Templates.csproj; do
  dotnet pack "$project" -c Release -o "$feed" -p:ContinuousIntegrationBuild=true >"$log" 2>&1 || fail "pack of $project failed"
  no_warnings "pack of $project"
done
for package in Edge.Runtime Edge.Host Edge.Native.Templates; do
  echo "package-flow: $package.$version.nupkg is $(stat -c %s "$feed/$package.$version.nupkg") bytes"
done
# (listings go through a variable: with pipefail, `unzip | grep -q` fails when grep stops reading early)
listing=$(unzip -l "$feed/Edge.Runtime.$version.nupkg")
grep -q "analyzers/dotnet/cs/Edge.Generators.dll" <<<"$listing" || fail "the generator is not in Edge.Runtime's analyzers folder"
# Packages of one version are immutable in the global cache: drop what an earlier run of this script put there.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/edge.runtime/$version" "${NUGET_PACKAGES:-$HOME/.nuget/packages}/edge.host/$version"

# --- dotnet new edge-node, outside the repository ------------------------------------------------------------------
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="edge-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="edge-local"><package pattern="Edge.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
cd "$work"
dotnet new install "$feed/Edge.Native.Templates.$version.nupkg" --debug:custom-hive "$work/hive" >"$log" 2>&1 || fail "template install failed"
dotnet new edge-node -n Pump --debug:custom-hive "$work/hive" >"$log" 2>&1 || fail "dotnet new edge-node failed"
cd "$work/Pump"
if grep -rn "ProjectReference" --include='*.csproj' . | grep -v 'src[/\\]Pump[/\\]Pump.csproj' >/dev/null; then fail "a reference outside the created solution crept into the package flow"; fi

dotnet build -c Release >"$log" 2>&1 || fail "build of the created node failed"
no_warnings "build of the created node"
dotnet test -c Release >"$log" 2>&1 || fail "the created node's tests failed"
tests=$(awk '/^[[:space:]]*succeeded:/ {s+=$2} END {print s+0}' "$log")
[ "$tests" -ge 2 ] || fail "the created node ran $tests tests, expected one per function (2)"
echo "package-flow: dotnet new edge-node -n Pump builds with zero warnings, $tests tests pass"

dotnet publish src/Pump -c Release -r linux-x64 -o "$work/publish" >"$log" 2>&1 || fail "AOT publish of the created node failed"
no_warnings "AOT publish of the created node"
binary="$work/publish/Pump"
echo "package-flow: Pump (from packages, Native AOT) is $(stat -c %s "$binary") bytes"
[ "$("$binary" version)" = "edge-host $version" ] || fail "'Pump version' does not print edge-host $version"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" serve --urls "http://127.0.0.1:$port" --data-dir "$work/data" --node-id pump-1 >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
health=$(curl -fsS "http://127.0.0.1:$port/healthz")
mean=$(curl -fsS --json '{"readings":[1,2,3,6]}' "http://127.0.0.1:$port/v1/functions/mean/invoke")
over=$(curl -fsS --json '{"readings":[1,5,7,9],"threshold":5}' "http://127.0.0.1:$port/v1/functions/count-over/invoke")
kill -TERM "$pid"; code=0; wait "$pid" || code=$?; pid=
[ "$mean" = "3" ] && [ "$over" = "2" ] || fail "invoking over HTTP answered mean=$mean count-over=$over, not 3 and 2"
grep -q "\"version\":\"$version\"" <<<"$health" || fail "/healthz does not report version $version: $health"
[ "$code" = 0 ] || fail "Pump did not stop cleanly on SIGTERM (exit $code)"
echo "package-flow: Pump serves mean (3) and count-over (2) over HTTP, /healthz reports $version, stops cleanly"

# --- the generator's diagnostics from the package -------------------------------------------------------------------
sed -i 's/\[EdgeFunction("mean"/[EdgeFunction("not a valid id"/' src/Pump/Functions.cs
if dotnet build src/Pump -c Release >"$log" 2>&1; then fail "a broken function id built without an error"; fi
grep -q "error EDGE010" "$log" || fail "the broken build did not report EDGE010"
echo "package-flow: a broken copy fails to build with $(grep -o 'error EDGE010[^[]*' "$log" | head -1)"

# --- dotnet add package into an existing project ----------------------------------------------------------------------
cd "$work"
dotnet new console -n Existing -o "$work/Existing" >"$log" 2>&1 || fail "dotnet new console failed"
cd "$work/Existing"
dotnet add package Edge.Host --version "$version" >"$log" 2>&1 || fail "dotnet add package Edge.Host failed"
cat > Functions.cs <<'CS'
namespace Existing;

public static class Functions
{
    [Edge.Runtime.EdgeFunction("twice")]
    public static int Twice(int value) => value * 2;
}
CS
echo 'return await Edge.Host.EdgeHost.RunAsync(args, Existing.EdgeFunctionTable.Instance);' > Program.cs
dotnet build -c Release -p:TreatWarningsAsErrors=true >"$log" 2>&1 || fail "build after dotnet add package Edge.Host failed"
[ "$(dotnet run -c Release --no-build -- invoke twice --json '{"value":21}')" = "42" ] || fail "the existing project's function did not answer 42"
echo "package-flow: dotnet add package Edge.Host into a console project: the generator runs, 'invoke twice' answers 42"
echo "package-flow: OK"
