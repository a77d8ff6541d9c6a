#!/usr/bin/env bash
# Side by side: one boot-sector loop (benchmarks/Emulator.Benchmarks/Cpu/BootSectorLoop.cs, ~9005 guest
# instructions per pass, real mode) under qemu-system-i386 -accel tcg and emu boot --cpu interp|jit, in one run.
# Usage: benchmarks/cpu-vs-qemu.sh [passes] [rounds]   (needs qemu-system-x86 and a Release build of emu and the benchmarks)
# Prints wall seconds (median of the rounds, 3 by default; runs interleaved round by round) and guest instructions
# per second; a 1-pass run measures start-up. TIERS (default "qemu jit interp") picks the columns; a tier written
# CPU:DLL runs --cpu CPU with another build's emu.dll (e.g. TIERS="qemu jit:/tmp/before/emu.dll jit"), so two
# builds are compared in one run. METRIC=cpu measures user+system CPU seconds of each process (GNU time) instead of
# wall seconds: on a loaded, shared host the time a process waits for a core then drops out. SHAPE=branchy runs
# the branch-heavy loop (blocks of two or three instructions, ~5503 guest instructions per pass) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
passes="${1:-100000}"
rounds="${2:-3}"
tiers="${TIERS:-qemu jit interp}"
bench="dotnet benchmarks/Emulator.Benchmarks/bin/Release/net10.0/Emulator.Benchmarks.dll"
default_emu="src/Emulator.Cli/bin/Release/net10.0/emu.dll"
dir=$(mktemp -d /tmp/emu-cpu-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
shape="${SHAPE:-mixed}"
case $shape in
  mixed) per_pass=9005; shape_arg=() ;;
  branchy) per_pass=5503; shape_arg=(branchy) ;;
  *) echo "SHAPE must be mixed or branchy" >&2; exit 2 ;;
esac
$bench --write-loop-floppy "$dir/loop.img" "$passes" "${shape_arg[@]}"
$bench --write-loop-floppy "$dir/empty.img" 1 "${shape_arg[@]}"

wall() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
cpu() { /usr/bin/time -f '%U %S' -o "$dir/time" "$@" >/dev/null 2>&1 || true; tail -n 1 "$dir/time" | awk '{ print $1 + $2 }'; }  # GNU time prepends a line when the command fails
measure() { if [ "${METRIC:-wall}" = cpu ]; then cpu "$@"; else wall "$@"; fi; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
run() { # tier image
  case $1 in
    qemu) measure qemu-system-i386 -accel tcg -display none -no-reboot -device isa-debug-exit -drive "file=$2,if=floppy,format=raw,snapshot=on" -boot a ;;
    *:*) measure dotnet "${1#*:}" boot --cpu "${1%%:*}" --drive "file=$2,if=floppy,format=raw,snapshot=on" --boot a ;;
    *) measure dotnet "$default_emu" boot --cpu "$1" --drive "file=$2,if=floppy,format=raw,snapshot=on" --boot a ;;
  esac
}

declare -A starts loops
for ((round = 0; round < rounds; round++)); do
  for tier in $tiers; do
    starts[$tier]+="$(run "$tier" "$dir/empty.img") "
    loops[$tier]+="$(run "$tier" "$dir/loop.img") "
  done
done

instructions=$(( passes * per_pass ))
printf '%-40s %10s %10s %14s   (%s seconds)\n' tier start-s loop-s guest-instr/s "${METRIC:-wall}"
for tier in $tiers; do
  # shellcheck disable=SC2086 # the lists are space-separated on purpose
  start=$(median ${starts[$tier]})
  # shellcheck disable=SC2086
  total=$(median ${loops[$tier]})
  awk -v t="$tier" -v s="$start" -v w="$total" -v n=$instructions 'BEGIN { l = w - s; if (l <= 0) l = 1e-9; printf "%-40s %10.2f %10.2f %14.0f\n", t, s, l, n / l }'
done
