#!/usr/bin/env bash
# Refreshes the public API baselines (PublicAPI.*.txt) of the packed libraries from the code.
#  1. Entries for API that no longer exists (RS0017, found by building): a line of
#     PublicAPI.Unshipped.txt is deleted; a shipped one is marked *REMOVED* in PublicAPI.Unshipped.txt.
#  2. Public API not in the baseline (RS0016): added to PublicAPI.Unshipped.txt by the analyzer's own
#     code fix (dotnet format analyzers).
# Run it after merging branches that add, change or remove public API, review the diff of
# PublicAPI.*.txt and commit it (docs/public-api.md).
#   usage: scripts/update-public-api.sh [project folder …]   (default: the five libraries)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
projects=(src/Emulator.Block src/Emulator.Machine firmware-stubs/Emulator.Firmware devices/Emulator.Devices src/Emulator.Monitor src/Emulator.Board src/Emulator.Hosting src/Emulator.Testing)
if [ "$#" -gt 0 ]; then projects=("$@"); fi

# 1. RS0017: the build reports "<dir>/PublicAPI.<kind>.txt(<line>,<col>): error RS0017: Symbol '<entry>' …".
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for project in "${projects[@]}"; do
  dotnet build "$root/$project" -nologo -v quiet -p:TreatWarningsAsErrors=false >>"$log" 2>&1 || true
done
grep -oE "^[^ ]*PublicAPI\.(Shipped|Unshipped)\.txt\([0-9]+,[0-9]+\): (error|warning) RS0017: Symbol '.*' is part of the declared API" "$log" \
  | sort -u | python3 -c '
import re, sys, collections
unshipped_drop = collections.defaultdict(set); removed = collections.defaultdict(list)
for line in sys.stdin:
    m = re.match(r"^(.*)/PublicAPI\.(Shipped|Unshipped)\.txt\((\d+),\d+\): \w+ RS0017: Symbol \x27(.*)\x27 is part", line)
    folder, kind, number, entry = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    if kind == "Unshipped":
        unshipped_drop[folder].add(number)
    else:
        removed[folder].append("*REMOVED*" + entry)
for folder in set(unshipped_drop) | set(removed):
    path = folder + "/PublicAPI.Unshipped.txt"
    lines = open(path).read().splitlines()
    kept = [l for i, l in enumerate(lines, 1) if i not in unshipped_drop[folder]]
    kept += [r for r in removed[folder] if r not in kept]
    open(path, "w").write("\n".join(kept) + "\n")
    print(f"update-public-api: {path}: {len(unshipped_drop[folder])} stale entries removed, {len(removed[folder])} shipped entries marked removed")
'

# 2. RS0016: the analyzer's code fix writes the missing entries.
for project in "${projects[@]}"; do
  echo "update-public-api: adding new public API of $project"
  dotnet format analyzers "$(ls "$root/$project"/*.csproj)" --diagnostics RS0016 --severity warn
done
git -C "$root" diff --stat -- '*PublicAPI.*.txt'
