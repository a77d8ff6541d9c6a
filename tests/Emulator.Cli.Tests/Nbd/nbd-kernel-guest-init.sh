#!/bin/sh
# /init of the NBD kernel-client guest (NbdKernelClientTests): Debian's kernel, busybox and nbd-client.
# The host passes the plan on the kernel command line as nbdtest_KEY=VALUE; every outcome is a line
# "NBDKERNEL: ..." on the serial port, the last one "NBDKERNEL: RESULT PASS" or "NBDKERNEL: RESULT FAIL why".
export PATH=/bin LD_LIBRARY_PATH=/lib
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say() { echo "NBDKERNEL: $*" > /dev/ttyS0; }
finish() { say "RESULT $1"; sync; poweroff -f; sleep 60; }
for p in $(cat /proc/cmdline); do
  case "$p" in nbdtest_*=*) k=${p#nbdtest_}; eval "T_${k%%=*}=${p#*=}";; esac
done

for m in $(cat /modules.order); do insmod "/lib/modules/$m" || finish "FAIL insmod $m"; done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || finish "FAIL network"

nbd-client 10.0.2.2 "$T_port" /dev/nbd0 -N "$T_export" -t 60 > /tmp/connect 2>&1 || finish "FAIL nbd-client: $(cat /tmp/connect)"
say "connected: $(tr '\n' ' ' < /tmp/connect)"
size=$(blockdev --getsize64 /dev/nbd0)
say "size $size ro $(blockdev --getro /dev/nbd0) sector $(blockdev --getss /dev/nbd0) setup $(pidof nbd-client > /dev/null && echo ioctl || echo netlink)"
[ "$size" = "$T_size" ] || finish "FAIL size $size, expected $T_size"
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
  dd if=/pattern of=/dev/nbd0 bs=4096 seek="$T_bufseek" count="$T_bufcount" conv=notrunc 2> /tmp/err || finish "FAIL buffered write: $(cat /tmp/err)"
  dd if=/pattern of=/dev/nbd0 bs=512 seek="$T_dirseek" count="$T_dircount" conv=notrunc oflag=direct 2> /tmp/err || finish "FAIL direct write: $(cat /tmp/err)"
  sync
  blockdev --flushbufs /dev/nbd0 || finish "FAIL flush"
  dd if=/pattern of=/tmp/want bs=512 count="$T_dircount" 2> /dev/null
  dd if=/dev/nbd0 of=/tmp/got bs=512 skip="$T_dirseek" count="$T_dircount" iflag=direct 2> /dev/null || finish "FAIL direct read back"
  cmp /tmp/want /tmp/got || finish "FAIL direct read back differs"
  blkdiscard -o "$T_discardoff" -l "$T_discardlen" /dev/nbd0 2> /tmp/err || finish "FAIL discard: $(cat /tmp/err)"
  say "written, flushed, read back, discarded"
fi

nbd-client -d /dev/nbd0 > /tmp/err 2>&1 || finish "FAIL disconnect: $(cat /tmp/err)"
finish PASS
