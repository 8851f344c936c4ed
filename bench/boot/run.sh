#!/usr/bin/env bash
# bench/boot/run.sh [RUNS] - boot time, QEMU start to the guest's ARGOS-ROOT-OK line, median of RUNS
# (default 3) boots, 1 vCPU, vmlinux through PVH, the accelerator tests/qemu uses (TCG here).
# Rows: builtin and dracut initramfs on the argosfs busybox root (3 x 2+1 zstd) when argosfs is
# built, and the same tree on a plain ext4 virtio disk with the builtin initramfs (the baseline).
# Writes artifacts/bench/boot.json: [{"flavor": "...", "root": "argosfs|ext4", "seconds": X}, ...]
# and keeps every serial log under artifacts/bench/boot-logs/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/qemu/lib.sh"
runs=${1:-3}
LOGDIR=$ART/bench/boot-logs; rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"; export LOGDIR
WORK=$ART/bench/boot-work; rm -rf "$WORK"; mkdir -p "$WORK"

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rows=()

# bench_row FLAVOR ROOT INITRD DISKS APPEND
bench_row() {
    local flavor=$1 root=$2 initrd=$3 disks=$4 append=$5 i times=()
    for i in $(seq 1 "$runs"); do
        if [ "$root" = argosfs ]; then argos_members "$WORK/$flavor"; disks=$MEMBERS; fi
        [ "$root" = ext4 ] && cp --sparse=always "$IMG_EXT4/root-ext4.img" "$WORK/root.img"
        argos_boot "$flavor-$root-$i" "$initrd" "$disks" "$append" "ARGOS-ROOT-OK" 300 || { say "bench: $flavor/$root boot $i failed"; return 1; }
        times+=("$BOOT_SECONDS")
    done
    local m; m=$(printf '%s\n' "${times[@]}" | median)
    say "bench: $flavor/$root: ${times[*]} -> median ${m}s"
    rows+=("{\"flavor\": \"$flavor\", \"root\": \"$root\", \"seconds\": $m}")
}

argos_busybox_image ext4-only; IMG_EXT4=$IMG
if [ -x "$ARGOSFS" ] && "$ARGOSFS" --help > /dev/null 2>&1; then
    argos_busybox_image
    builtin=$(argos_initramfs builtin) || exit 1
    dracut=$(argos_initramfs dracut) || exit 1
    bench_row builtin argosfs "$builtin" "" "root=argosfs:UUID=$POOL_UUID"
    bench_row dracut argosfs "$dracut" "" "root=argosfs:UUID=$POOL_UUID"
    bench_row builtin ext4 "$builtin" "$WORK/root.img" "root=/dev/vda rootfstype=ext4 rw"
else
    say "bench: $ARGOSFS is not built: only the ext4 baseline row (initramfs without argosfs)"
    builtin=$(argos_initramfs builtin --without-argosfs) || exit 1
    bench_row builtin ext4 "$builtin" "$WORK/root.img" "root=/dev/vda rootfstype=ext4 rw"
fi
mkdir -p "$ART/bench"
{ echo "["; (IFS=$'\n'; echo "${rows[*]}") | sed '$!s/$/,/' | sed 's/^/  /'; echo "]"; } > "$ART/bench/boot.json"
cat "$ART/bench/boot.json"
rm -rf "$WORK"
