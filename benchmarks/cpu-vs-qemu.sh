#!/usr/bin/env bash
# Side by side: one boot-sector loop (benchmarks/Emulator.Benchmarks/Cpu/BootSectorLoop.cs, ~9005 guest
# instructions per pass, real mode) under qemu-system-i386 -accel tcg and emu boot --cpu interp|jit, in one run.
# Usage: benchmarks/cpu-vs-qemu.sh [passes]   (needs qemu-system-x86 and a Release build of emu and the benchmarks)
# Prints wall seconds (median of 3 runs) and guest instructions per second; a 1-pass run measures start-up.
set -euo pipefail
cd "$(dirname "$0")/.."
passes="${1:-100000}"
bench="dotnet benchmarks/Emulator.Benchmarks/bin/Release/net10.0/Emulator.Benchmarks.dll"
emu="dotnet src/Emulator.Cli/bin/Release/net10.0/emu.dll"
dir=$(mktemp -d /tmp/emu-cpu-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
$bench --write-loop-floppy "$dir/loop.img" "$passes"
$bench --write-loop-floppy "$dir/empty.img" 1

wall() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
run() { # name image
  case $1 in
    qemu) wall qemu-system-i386 -accel tcg -display none -no-reboot -device isa-debug-exit -drive "file=$2,if=floppy,format=raw,snapshot=on" -boot a ;;
    *) wall $emu boot --cpu "$1" --drive "file=$2,if=floppy,format=raw,snapshot=on" --boot a ;;
  esac
}

instructions=$(( passes * 9005 ))
printf '%-7s %10s %10s %14s\n' tier start-s loop-s guest-instr/s
for tier in qemu jit interp; do
  start=$(median3 "$(run $tier "$dir/empty.img")" "$(run $tier "$dir/empty.img")" "$(run $tier "$dir/empty.img")")
  total=$(median3 "$(run $tier "$dir/loop.img")" "$(run $tier "$dir/loop.img")" "$(run $tier "$dir/loop.img")")
  awk -v t=$tier -v s="$start" -v w="$total" -v n=$instructions 'BEGIN { l = w - s; if (l <= 0) l = 1e-9; printf "%-7s %10.2f %10.2f %14.0f\n", t, s, l, n / l }'
done
