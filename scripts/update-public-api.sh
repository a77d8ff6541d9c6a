#!/usr/bin/env bash
# Refreshes the public API baselines (PublicAPI.Unshipped.txt) of the packed libraries from the code:
# adds what RS0016 reports (public API not in the baseline) and drops what RS0017 reports (baseline
# entries no longer in the code). Run after merging branches that add, change or remove public API,
# review the diff of PublicAPI.*.txt, commit it. docs/public-api.md.   usage: scripts/update-public-api.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in src/Emulator.Block src/Emulator.Machine firmware-stubs/Emulator.Firmware \
               devices/Emulator.Devices src/Emulator.Monitor; do
  csproj=$(ls "$root/$project"/*.csproj)
  echo "update-public-api: $project"
  dotnet format analyzers "$csproj" --diagnostics RS0016 RS0017 --severity warn
done
git -C "$root" diff --stat -- '*PublicAPI.*.txt'
