#!/usr/bin/env bash
# The package flow a user outside this repository follows: pack Edge.Runtime (with the generator inside) and
# Edge.Host into a local folder feed, create a project in a temp directory that references Edge.Host from that feed
# only (package source mapping: Edge.* from the feed, everything else from nuget.org), build it with zero warnings,
# publish it with Native AOT (zero IL warnings), start the binary and invoke its function over HTTP; then prove the
# generator's diagnostics reach the command line from the package (a broken copy fails with EDGE010).
# No ProjectReference anywhere in the flow.
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
for project in src/Edge.Runtime src/Edge.Host; do
  dotnet pack "$project" -c Release -o "$feed" -p:ContinuousIntegrationBuild=true >"$log" 2>&1 || fail "pack of $project failed"
  no_warnings "pack of $project"
done
for package in Edge.Runtime Edge.Host; do
  echo "package-flow: $package.$version.nupkg is $(stat -c %s "$feed/$package.$version.nupkg") bytes"
done
unzip -l "$feed/Edge.Runtime.$version.nupkg" | grep -q "analyzers/dotnet/cs/Edge.Generators.dll" || fail "the generator is not in Edge.Runtime's analyzers folder"
# Packages of one version are immutable in the global cache: drop what an earlier run of this script put there.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/edge.runtime/$version" "${NUGET_PACKAGES:-$HOME/.nuget/packages}/edge.host/$version"

# --- a project of a user's own, outside the repository -------------------------------------------------------------
mkdir -p "$work/MyNode"
cd "$work/MyNode"
cat > nuget.config <<XML
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
cat > MyNode.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
    <OptimizationPreference>Size</OptimizationPreference>
    <IlcFoldIdenticalMethodBodies>true</IlcFoldIdenticalMethodBodies>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Edge.Host" Version="$version" />
  </ItemGroup>
</Project>
XML
cat > Functions.cs <<'CS'
using Edge.Runtime;

namespace MyNode;

public static class Functions
{
    [EdgeFunction("mean", MemoryMb = 32, TimeoutSeconds = 2)]
    public static double Mean(double[] readings) => readings.Length == 0 ? 0 : readings.Average();
}
CS
cat > Program.cs <<'CS'
return await Edge.Host.EdgeHost.RunAsync(args, MyNode.EdgeFunctionTable.Instance);
CS
if grep -rn "ProjectReference" . >/dev/null; then fail "a ProjectReference crept into the package flow"; fi

dotnet build -c Release >"$log" 2>&1 || fail "build of the package consumer failed"
no_warnings "build of the package consumer"
dotnet publish -c Release -r linux-x64 -o "$work/publish" >"$log" 2>&1 || fail "AOT publish of the package consumer failed"
no_warnings "AOT publish of the package consumer"
binary="$work/publish/MyNode"
echo "package-flow: MyNode (from packages, Native AOT) is $(stat -c %s "$binary") bytes"
[ "$("$binary" version)" = "edge-host $version" ] || fail "'MyNode version' does not print edge-host $version"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" serve --urls "http://127.0.0.1:$port" --data-dir "$work/data" --node-id my-node >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
health=$(curl -fsS "http://127.0.0.1:$port/healthz")
mean=$(curl -fsS --json '{"readings":[1,2,3,6]}' "http://127.0.0.1:$port/v1/functions/mean/invoke")
kill -TERM "$pid"; code=0; wait "$pid" || code=$?; pid=
[ "$mean" = "3" ] || fail "invoking 'mean' over HTTP answered '$mean', not 3"
echo "$health" | grep -q "\"version\":\"$version\"" || fail "/healthz does not report version $version: $health"
[ "$code" = 0 ] || fail "MyNode did not stop cleanly on SIGTERM (exit $code)"
echo "package-flow: MyNode serves 'mean' over HTTP (3), /healthz reports $version, stops cleanly"

# --- the generator's diagnostics from the package -------------------------------------------------------------------
sed -i 's/\[EdgeFunction("mean"/[EdgeFunction("not a valid id"/' Functions.cs
if dotnet build -c Release >"$log" 2>&1; then fail "a broken function id built without an error"; fi
grep -q "error EDGE010" "$log" || fail "the broken build did not report EDGE010"
echo "package-flow: a broken copy fails to build with $(grep -o 'error EDGE010[^[]*' "$log" | head -1)"
echo "package-flow: OK"
