#!/usr/bin/env bash
# Issue #17's side-by-side virtio-blk benchmark: the same boot sector (tests/Shared/VirtioReadGuest.cs) reads
# 64 KiB requests at queue depth 1 from a virtio-blk disk (legacy interface, polling the used ring) under the
# reference QEMU TCG and under `emu boot`; each emulator runs it twice (a few requests, then many) so the
# difference cancels boot time; each run is repeated REPEATS times, interleaved, and the fastest counts (the host is shared).
# Prints MB/s for each and the ratio emu/QEMU.
# Usage: benchmarks/virtio-side-by-side.sh [REQUESTS] [QEMU] [REPEATS]   (defaults: 16384 = 1 GiB, qemu-system-i386, 3)
# Needs: Release builds of src/Emulator.Cli and benchmarks/Emulator.Benchmarks (the script builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-16384}
qemu=${2:-qemu-system-i386}
repeats=${3:-3}
few=16
chunks=1024                                  # a 64 MiB disk, read over and over (page-cached after the warm-up)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
dotnet build -c Release -v q -nologo src/Emulator.Cli >/dev/null
dotnet build -c Release -v q -nologo benchmarks/Emulator.Benchmarks >/dev/null
bench=benchmarks/Emulator.Benchmarks/bin/Release/net10.0/Emulator.Benchmarks
emu=src/Emulator.Cli/bin/Release/net10.0/emu
head -c $((chunks * 64 * 1024)) /dev/urandom > "$d/data.img"
cat "$d/data.img" > /dev/null

once() {   # once EMULATOR REQUESTS -> seconds
  local which=$1 n=$2 s e status
  "$bench" virtio-guest "$d/boot.img" "$n" "$chunks"
  truncate -s 1M "$d/boot.img"
  s=$(date +%s.%N)
  set +e
  if [ "$which" = qemu ]; then
    "$qemu" -accel tcg -m 64 -display none -no-reboot -drive file="$d/boot.img",format=raw,if=ide,index=0 \
      -drive file="$d/data.img",format=raw,if=virtio -device isa-debug-exit,iobase=0x501,iosize=2 >/dev/null 2>&1
  else
    "$emu" boot --memory 64M --hda "$d/boot.img" --drive file="$d/data.img",if=virtio --timeout 600 >/dev/null 2>&1
  fi
  status=$?
  set -e
  e=$(date +%s.%N)
  if [ $status -ne 1 ]; then echo "$which: the guest exited with status $status (1 = passed, 3 = no virtio-blk, 5 = a request failed)" >&2; exit 1; fi
  echo "$e - $s" | bc -l
}

min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# Interleaved, so a burst of load from other processes hits both emulators alike.
mb=$(( (requests - few) * 64 * 1024 ))
q1=""; q2=""; e1=""; e2=""
for _ in $(seq "$repeats"); do
  q1=$(min "$q1" "$(once qemu $few)"); q2=$(min "$q2" "$(once qemu "$requests")")
  e1=$(min "$e1" "$(once emu $few)"); e2=$(min "$e2" "$(once emu "$requests")")
done
qr=$(echo "$mb / ($q2 - $q1) / 1000000" | bc -l)
er=$(echo "$mb / ($e2 - $e1) / 1000000" | bc -l)
printf 'qemu (%s -accel tcg): %d requests %.2f s, %d requests %.2f s -> %.0f MB/s\n' "$qemu" $few "$q1" "$requests" "$q2" "$qr"
printf 'emu boot:            %d requests %.2f s, %d requests %.2f s -> %.0f MB/s\n' $few "$e1" "$requests" "$e2" "$er"
printf 'ratio emu/qemu: %.2fx\n' "$(echo "$er / $qr" | bc -l)"
