#!/usr/bin/env bash
# scripts/demo.sh - what `make demo` runs: build argos-initramfs, fetch the kernel, make the busybox
# image (3 member disks, 2+1, zstd), build the builtin initramfs, and boot it under QEMU with the
# console on this terminal, up to the guest's ARGOS-ROOT-OK line and the power-off.
# Needs artifacts/bin/argosfs (built by the argosfs build). Files: artifacts/demo/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/qemu/lib.sh"
set -e
demo=$ART/demo
mkdir -p "$demo"
argos_require_argosfs
say "building argos-initramfs"; argos_build_tool
say "kernel"; argos_kernel; say "kernel: $KDIR"
say "image: argos-initramfs image --recipe images/busybox.json --out artifacts/demo/busybox"
argos_tool image --recipe "$top/images/busybox.json" --out "$demo/busybox" --argosfs "$ARGOSFS"
uuid=$(sed -n 's/.*"pool_uuid": *"\([^"]*\)".*/\1/p' "$demo/busybox/pool.json" | head -n 1)
say "initramfs: argos-initramfs initramfs --flavor builtin --kernel $(cat "$KDIR/version") --out artifacts/demo/initramfs.img"
argos_tool initramfs --flavor builtin --kernel "$KDIR" --out "$demo/initramfs.img" --argosfs "$ARGOSFS"
argos_accel
# no_timer_check nowatchdog workqueue.watchdog_thresh=0: as in tests/qemu/lib.sh (TCG on a busy host)
append="console=ttyS0 quiet panic=-1 no_timer_check nowatchdog workqueue.watchdog_thresh=0 rd.shell=0 rd.emergency=reboot root=argosfs:UUID=$uuid"
say "booting: qemu-system-x86_64 $ACCEL -kernel vmlinux -initrd initramfs.img -append \"$append\" + 3 virtio disks"
say "(serial log: artifacts/demo/console.log)"
start=$(date +%s.%N)
qemu-system-x86_64 $ACCEL -m 1024 -smp 1 -nographic -no-reboot -net none \
    -kernel "$KDIR/vmlinux" -initrd "$demo/initramfs.img" -append "$append" \
    -drive "file=$demo/busybox/member-0.img,if=virtio,format=raw" \
    -drive "file=$demo/busybox/member-1.img,if=virtio,format=raw" \
    -drive "file=$demo/busybox/member-2.img,if=virtio,format=raw" < /dev/null 2>&1 | tee "$demo/console.log" | grep -v '^\s*$' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
total=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
if grep -q 'ARGOS-ROOT-OK fstype=fuse.argosfs' "$demo/console.log"; then
    say "demo: the guest booted from the argosfs pool and powered off (${total}s in QEMU)"
else
    say "demo: FAIL: no ARGOS-ROOT-OK fstype=fuse.argosfs line in artifacts/demo/console.log"; exit 1
fi
