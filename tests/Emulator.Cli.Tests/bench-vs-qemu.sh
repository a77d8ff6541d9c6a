#!/usr/bin/env bash
# Side-by-side `emu img bench` vs `qemu-img bench` on the same image files, in one run.
# Usage: tests/Emulator.Cli.Tests/bench-vs-qemu.sh [work-dir]   (needs qemu-img, qemu-io, a Release build of emu)
# Prints requests per second for both tools and the ratio emu/qemu (>= 1 means emu is at least as fast).
set -euo pipefail
cd "$(dirname "$0")/../.."
emu="dotnet src/Emulator.Cli/bin/Release/net10.0/emu.dll"
dir="${1:-$(mktemp -d /tmp/emu-bench-XXXXXX)}"
size=256M
qemu-img create -q -f raw "$dir/img.raw" $size
qemu-img create -q -f qcow2 "$dir/img.qcow2" $size
for fmt in raw qcow2; do
  # Fill the images so reads hit allocated data and writes go in place.
  qemu-io -f $fmt -c "write -P 0x5a 0 $size" "$dir/img.$fmt" >/dev/null
done

seconds() { sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p'; }

printf '%-6s %-5s %-4s %-5s %12s %12s %7s\n' format rw bs depth qemu-req/s emu-req/s ratio
for fmt in raw qcow2; do
  for bs in 4096 65536; do
    count=$(( bs == 4096 ? 60000 : 20000 ))
    for depth in 1 32; do
      for rw in read write; do
        flag=""; [ $rw = write ] && flag="-w"
        args=(-c $count -d $depth -s $bs -t writeback -f $fmt $flag "$dir/img.$fmt")
        q=$(qemu-img bench "${args[@]}" | seconds)
        e=$($emu img bench "${args[@]}" | seconds)
        awk -v f=$fmt -v rw=$rw -v bs=$bs -v d=$depth -v c=$count -v q="$q" -v e="$e" 'BEGIN {
          qr = c / q; er = c / e; printf "%-6s %-5s %-4s %-5s %12.0f %12.0f %7.2f\n", f, rw, (bs == 4096 ? "4k" : "64k"), d, qr, er, er / qr }'
      done
    done
  done
done
[ -z "${1:-}" ] && rm -rf "$dir"
