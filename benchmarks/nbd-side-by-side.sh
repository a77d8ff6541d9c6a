#!/usr/bin/env bash
# Issue #20's side-by-side NBD throughput, both ends in one run (docs/nbd.md has the figures):
#   server: `nbdcopy SRC null:` from `emu nbd` and from `qemu-nbd`, the same read-only raw image;
#   client: `emu img bench` and `qemu-img bench` (4 KiB reads, depth 16) against the same server,
#           once against `emu nbd` and once against `qemu-nbd`; then 4 KiB writes (`-w`, depth 16)
#           against writable exports of a scratch copy, again from each server;
#   convert: `emu img convert` and `qemu-img convert -O raw` of the whole read-only export to a file, from each
#           server (wall clock around the process, start-up included), both in their default target cache mode
#           (unsafe: the target file is not synced at the end).
#   EMU_BEFORE=DIR (a Release output directory of another build, e.g. the tree before a change) adds
#           that build's `emu img bench` reads and writes against qemu-nbd, and its convert from each
#           server, so before/after share a run.
# Every measurement runs REPEATS times, interleaved so a burst of load from other processes hits
# every contender alike (each pair in the opposite order every other round, and dirty pages synced before each
# measurement); the median counts. Client times are the tools' own "Run completed in" line
# (start-up excluded); nbdcopy times are wall clock around the process. CPU seconds (user + system)
# are printed too, as they depend less on a shared host's load: the client process's own (start-up
# included: about 0.1 s for emu, JIT), and for nbdcopy the server process's during the copy.
# Usage: benchmarks/nbd-side-by-side.sh [REPEATS] [IMAGE_MIB] [BENCH_COUNT]   (defaults: 7, 512, 50000)
# Needs: Debian's nbdkit libnbd-bin qemu-utils; a Release build of src/Emulator.Cli (the script builds it
# unless NO_BUILD=1).
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-7}
mib=${2:-512}
count=${3:-50000}
for tool in nbdcopy qemu-img qemu-nbd; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y nbdkit libnbd-bin qemu-utils" >&2; exit 1; }
done
d=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$d"; }
trap cleanup EXIT
[ "${NO_BUILD:-0}" = 1 ] || dotnet build -c Release -v q -nologo src/Emulator.Cli >/dev/null
emu=src/Emulator.Cli/bin/Release/net10.0/emu
head -c $((mib * 1024 * 1024)) /dev/urandom > "$d/big.raw"
cat "$d/big.raw" > /dev/null

cp "$d/big.raw" "$d/emu-w.raw"; cp "$d/big.raw" "$d/qemu-w.raw"
"$emu" nbd -f raw -r -k "$d/emu.sock" -t -e 8 "$d/big.raw" & pids+=($!)
declare -A server=([emu]=$!)
qemu-nbd -f raw -r -k "$d/qemu.sock" -t -e 8 "$d/big.raw" & pids+=($!)
server[qemu]=$!
"$emu" nbd -f raw -k "$d/emu-w.sock" -t -e 8 "$d/emu-w.raw" & pids+=($!)
qemu-nbd -f raw --cache=writeback -k "$d/qemu-w.sock" -t -e 8 "$d/qemu-w.raw" & pids+=($!)
for s in emu qemu emu-w qemu-w; do
  for _ in $(seq 100); do [ -S "$d/$s.sock" ] && break; sleep 0.1; done
  [ -S "$d/$s.sock" ] || { echo "the $s server did not start" >&2; exit 1; }
done
uri() { echo "nbd+unix:///?socket=$d/$1.sock"; }

# Before each measurement, the dirty pages the previous one left (a 512 MiB convert target, a write bench's
# scratch image) go to disk, untimed: otherwise the kernel's writeback of them, and its throttling of new dirty
# pages, land on whichever measurement comes next in the fixed order.
settle() { sync; }

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # user + system clock ticks of a process
hz=$(getconf CLK_TCK)

copy() {   # copy SERVER -> "seconds cpu-seconds-of-the-server"
  local s e c0 c1
  settle
  c0=$(ticks "${server[$1]}"); s=$(date +%s.%N)
  nbdcopy "$(uri "$1")" null:
  e=$(date +%s.%N); c1=$(ticks "${server[$1]}")
  echo "$(echo "$e - $s" | bc -l) $(echo "($c1 - $c0) / $hz" | bc -l)"
}

bench() {   # bench emu|qemu|before SERVER [-w] -> "seconds cpu-seconds-of-the-client"
  local out tool=(qemu-img)
  [ "$1" = emu ] && tool=("$emu" img)
  [ "$1" = before ] && tool=("$EMU_BEFORE/emu" img)
  settle
  out=$(/usr/bin/time -f 'cpu %U %S' "${tool[@]}" bench -f raw -c "$count" -d 16 ${3:-} "$(uri "$2")" 2>&1)
  echo "$(echo "$out" | sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p') $(echo "$out" | awk '/^cpu / { print $2 + $3 }')"
}

convert() {   # convert emu|qemu|before SERVER -> "seconds cpu-seconds-of-the-client"
  local s e cpu tool=(qemu-img)
  [ "$1" = emu ] && tool=("$emu" img)
  [ "$1" = before ] && tool=("$EMU_BEFORE/emu" img)
  rm -f "$d/out.raw"; settle; s=$(date +%s.%N)
  cpu=$(/usr/bin/time -f 'cpu %U %S' "${tool[@]}" convert -f raw -O raw "$(uri "$2")" "$d/out.raw" 2>&1 | awk '/^cpu / { print $2 + $3 }')
  e=$(date +%s.%N); rm -f "$d/out.raw"
  echo "$(echo "$e - $s" | bc -l) $cpu"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One warm-up pass (JIT of the emu server, page cache), not counted.
copy emu >/dev/null; copy qemu >/dev/null; bench emu emu >/dev/null; bench qemu emu >/dev/null
declare -A t cpu
keys="copy-emu copy-qemu bench-emu-emu bench-qemu-emu bench-emu-qemu bench-qemu-qemu write-emu-emu write-qemu-emu write-emu-qemu write-qemu-qemu"
keys+=" convert-emu-emu convert-qemu-emu convert-emu-qemu convert-qemu-qemu"
[ -n "${EMU_BEFORE:-}" ] && keys+=" bench-before-qemu write-before-qemu convert-before-emu convert-before-qemu"
record() { local r; r=($2); t[$1]+=" ${r[0]}"; cpu[$1]+=" ${r[1]}"; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# Each pair runs in the opposite order every other round: whatever a measurement leaves behind (the server's JIT
# tiering after a burst, the kernel's bookkeeping of a 512 MiB file just removed) then lands on both contenders
# alike, not always on the one that follows in a fixed order.
pair() {   # pair KEY_A "COMMAND_A" KEY_B "COMMAND_B"
  if (( round % 2 == 0 )); then record "$1" "$($2)"; record "$3" "$($4)"; else record "$3" "$($4)"; record "$1" "$($2)"; fi
}
for round in $(seq "$repeats"); do
  pair copy-emu "copy emu" copy-qemu "copy qemu"
  pair bench-emu-emu "bench emu emu" bench-qemu-emu "bench qemu emu"
  pair bench-emu-qemu "bench emu qemu" bench-qemu-qemu "bench qemu qemu"
  [ -n "${EMU_BEFORE:-}" ] && record bench-before-qemu "$(bench before qemu)"
  pair write-emu-emu "bench emu emu-w -w" write-qemu-emu "bench qemu emu-w -w"
  pair write-emu-qemu "bench emu qemu-w -w" write-qemu-qemu "bench qemu qemu-w -w"
  [ -n "${EMU_BEFORE:-}" ] && record write-before-qemu "$(bench before qemu-w -w)"
  pair convert-emu-emu "convert emu emu" convert-qemu-emu "convert qemu emu"
  pair convert-emu-qemu "convert emu qemu" convert-qemu-qemu "convert qemu qemu"
  [ -n "${EMU_BEFORE:-}" ] && record convert-before-emu "$(convert before emu)" && record convert-before-qemu "$(convert before qemu)"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

echo "load average at start: $load_start; at end: $load_end; $(nproc) cores; $repeats runs each, median (all runs in brackets)"
echo "copy-X: nbdcopy from server X (cpu = the server's); bench-C-S / write-C-S: client C reading / writing against server S (cpu = the client's)"
for k in $keys; do
  printf '%-16s %7.3f s  cpu %6.3f s  [%s ]\n' "$k" "$(echo "${t[$k]}" | median)" "$(echo "${cpu[$k]}" | median)" "$(echo "${t[$k]}" | tr ' ' '\n' | grep . | xargs printf ' %.3f')"
done
ratio() { printf '%.2f' "$(echo "$(echo "${t[$1]}" | median) / $(echo "${t[$2]}" | median)" | bc -l)"; }
echo "server, nbdcopy time emu nbd / qemu-nbd:              $(ratio copy-emu copy-qemu)x"
echo "client vs emu nbd, time emu img / qemu-img bench:     $(ratio bench-emu-emu bench-qemu-emu)x"
echo "client vs qemu-nbd, time emu img / qemu-img bench:    $(ratio bench-emu-qemu bench-qemu-qemu)x"
echo "writes vs emu nbd, time emu img / qemu-img bench -w:  $(ratio write-emu-emu write-qemu-emu)x"
echo "writes vs qemu-nbd, time emu img / qemu-img bench -w: $(ratio write-emu-qemu write-qemu-qemu)x"
echo "convert from emu nbd, time emu img / qemu-img convert:  $(ratio convert-emu-emu convert-qemu-emu)x"
echo "convert from qemu-nbd, time emu img / qemu-img convert: $(ratio convert-emu-qemu convert-qemu-qemu)x"
if [ -n "${EMU_BEFORE:-}" ]; then
  echo "before vs qemu-nbd, reads, time emu img (before) / qemu-img bench:     $(ratio bench-before-qemu bench-qemu-qemu)x"
  echo "before vs qemu-nbd, writes, time emu img (before) / qemu-img bench -w: $(ratio write-before-qemu write-qemu-qemu)x"
  echo "convert from emu nbd, time emu img (before) / qemu-img convert:  $(ratio convert-before-emu convert-qemu-emu)x"
  echo "convert from qemu-nbd, time emu img (before) / qemu-img convert: $(ratio convert-before-qemu convert-qemu-qemu)x"
fi
