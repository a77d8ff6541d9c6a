#!/usr/bin/env bash
# Packs the libraries into artifacts/packages, builds the samples against those packages (a folder
# feed named in samples/nuget.config; no project references) and runs them: VirtioBlkSample (a program)
# and HarnessTestSample (NUnit tests on the in-process harness, through dotnet test). Exits nonzero when a step
# or a sample fails.   usage: samples/run-sample.sh [--no-pack | --no-tool]
# (--no-tool packs the libraries only, not the emu tool package, which the samples do not use)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
feed=$root/artifacts/packages
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

projects=(src/Emulator.Block src/Emulator.Machine devices/Emulator.Devices firmware-stubs/Emulator.Firmware src/Emulator.Board src/Emulator.Monitor src/Emulator.Hosting src/Emulator.Testing)
[ "${1:-}" = "--no-tool" ] || projects+=(src/Emulator.Cli)
if [ "${1:-}" != "--no-pack" ]; then
  rm -rf "$feed"
  for project in "${projects[@]}"; do
    dotnet pack "$root/$project" -c Release -o "$feed" -p:ContinuousIntegrationBuild=true --nologo -v quiet
  done
fi
version=$(dotnet msbuild "$root/src/Emulator.Block/Emulator.Block.csproj" -getProperty:Version)
echo "run-sample: packages $version in $feed:"
ls -l "$feed" | awk 'NR > 1 { print "  " $5 "  " $9 }'

# A private package cache: the packages just packed, never an older build of the same version.
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export NUGET_PACKAGES=$cache

sample=$root/samples/VirtioBlkSample/VirtioBlkSample.csproj
dotnet build "$sample" -c Release -p:EmulatorPackageVersion="$version" --nologo -v quiet
dotnet run --project "$sample" -c Release --no-build -p:EmulatorPackageVersion="$version"
echo "run-sample: VirtioBlkSample passed"

# The harness-based NUnit test project: Emulator.Testing from the feed, NUnit from nuget.org.
tests=$root/samples/HarnessTestSample/HarnessTestSample.csproj
dotnet test "$tests" -c Release -p:EmulatorPackageVersion="$version" --nologo -v quiet
echo "run-sample: HarnessTestSample passed"
