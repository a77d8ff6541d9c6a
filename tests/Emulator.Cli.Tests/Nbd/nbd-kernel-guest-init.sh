#!/bin/sh
# /init of the NBD kernel-client guest (NbdKernelClientTests): Debian's kernel, busybox and nbd-client.
# The host passes the plan on the kernel command line as nbdtest_KEY=VALUE; every outcome is a line
# "NBDKERNEL: ..." on the serial port, the last one "NBDKERNEL: RESULT PASS" or "NBDKERNEL: RESULT FAIL why".
export PATH=/bin LD_LIBRARY_PATH=/lib
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say() { echo "NBDKERNEL: $*" > /dev/ttyS0; }
# With several connections the guest has as many CPUs; blk-mq gives each CPU its own hardware queue and
# nbd.ko sends a queue's requests on the socket of the same index, so "pin N cmd" picks the connection.
pin() { n=$1; shift; if [ "${T_conns:-1}" -gt 1 ]; then taskset "$((1 << n))" "$@"; else "$@"; fi; }
finish() { say "RESULT $1"; sync; poweroff -f; sleep 60; }
for p in $(cat /proc/cmdline); do
  case "$p" in nbdtest_*=*) k=${p#nbdtest_}; eval "T_${k%%=*}=${p#*=}";; esac
done

for m in $(cat /modules.order); do insmod "/lib/modules/$m" || finish "FAIL insmod $m"; done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || finish "FAIL network"

# Optional: nbdtest_bs (nbd-client -b), nbdtest_conns (-C), nbdtest_setup=ioctl (-L instead of netlink).
set -- -N "$T_export" -t 60
[ -n "$T_bs" ] && set -- "$@" -b "$T_bs"
[ -n "$T_conns" ] && set -- "$@" -C "$T_conns"
[ "$T_setup" = ioctl ] && set -- "$@" -L
nbd-client 10.0.2.2 "$T_port" /dev/nbd0 "$@" > /tmp/connect 2>&1 || finish "FAIL nbd-client $*: $(cat /tmp/connect)"
say "connected ($*): $(tr '\n' ' ' < /tmp/connect)"
if [ "${T_conns:-1}" -gt 1 ]; then
  # No I/O scheduler: a request then stays on the hardware queue (so the connection) of the CPU that issued it.
  echo none > /sys/block/nbd0/queue/scheduler || finish "FAIL scheduler none"
fi
size=$(blockdev --getsize64 /dev/nbd0)
sector=$(blockdev --getss /dev/nbd0)
setup=$(pidof nbd-client > /dev/null && echo ioctl || echo netlink)
say "size $size ro $(blockdev --getro /dev/nbd0) sector $sector setup $setup"
[ "$size" = "$T_size" ] || finish "FAIL size $size, expected $T_size"
[ -z "$T_bs" ] || [ "$sector" = "$T_bs" ] || finish "FAIL sector size $sector, expected $T_bs"
[ "$setup" = "${T_setup:-netlink}" ] || finish "FAIL set up through $setup, expected ${T_setup:-netlink}"
sum=$(md5sum < /dev/nbd0); sum=${sum%% *}
say "md5 $sum"
[ "$sum" = "$T_md5" ] || finish "FAIL md5 $sum, expected $T_md5"

if [ "$T_mode" = ro ]; then
  if dd if=/pattern of=/dev/nbd0 bs=4096 seek="$T_bufseek" count=1 conv=notrunc oflag=direct 2> /tmp/err; then
    finish "FAIL a write to the read-only export succeeded"
  fi
  say "write refused: $(tr "\n" " " < /tmp/err)"
else
  # Through the page cache (written back at sync as whole pages), then O_DIRECT sectors.
  pin 1 dd if=/pattern of=/dev/nbd0 bs=4096 seek="$T_bufseek" count="$T_bufcount" conv=notrunc 2> /tmp/err || finish "FAIL buffered write: $(cat /tmp/err)"
  # O_DIRECT in units of the logical block size (512 unless nbdtest_bs says otherwise).
  dbs=${T_bs:-512}
  pin 0 dd if=/pattern of=/dev/nbd0 bs="$dbs" seek="$T_dirseek" count="$T_dircount" conv=notrunc oflag=direct 2> /tmp/err || finish "FAIL direct write: $(cat /tmp/err)"
  pin 1 sync
  pin 1 blockdev --flushbufs /dev/nbd0 || finish "FAIL flush"
  dd if=/pattern of=/tmp/want bs="$dbs" count="$T_dircount" 2> /dev/null
  pin 0 dd if=/dev/nbd0 of=/tmp/got bs="$dbs" skip="$T_dirseek" count="$T_dircount" iflag=direct 2> /dev/null || finish "FAIL direct read back"
  cmp /tmp/want /tmp/got || finish "FAIL direct read back differs"
  pin 0 blkdiscard -o "$T_discardoff" -l "$T_discardlen" /dev/nbd0 2> /tmp/err || finish "FAIL discard: $(cat /tmp/err)"
  # fsync on the device sends NBD_CMD_FLUSH (on the other connection than the discard's when there are
  # two), so the discard is on disk before the host looks.
  pin 1 sync /dev/nbd0 || finish "FAIL flush after discard"
  say "written, flushed, read back, discarded, flushed"
  if [ "${T_conns:-1}" -gt 1 ]; then
    mount -t debugfs debugfs /sys/kernel/debug || finish "FAIL mount debugfs"
    for q in /sys/kernel/debug/block/nbd0/hctx*; do
      say "queue ${q##*/} (cpus $(cat "/sys/block/nbd0/mq/${q##*/hctx}/cpu_list")) run $(cat "$q/run") times"
    done
  fi
fi

nbd-client -d /dev/nbd0 > /tmp/err 2>&1 || finish "FAIL disconnect: $(cat /tmp/err)"
finish PASS
