# tests/qemu/lib.sh - shared by tests/qemu/run, the scenarios and bench/boot/run.sh (bash).
#
# A scenario is a folder tests/qemu/NAME/ with scenario.sh defining scenario_main (setup, boots,
# checks, using the functions below) and optionally guest.sh, the part that runs inside the guest
# (the busybox image's /sbin/init runs /etc/argos/test.sh, which dispatches on argos.phase=NAME.STEP
# to /etc/argos/tests/NAME/guest.sh with ARGOS_STEP=STEP).
# Success is always a positive marker in the serial log (never the absence of errors); failure is a
# timeout, an explicit failure marker, or a check that does not hold. Logs: artifacts/qemu/NAME/.

set -uo pipefail

QEMU_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$QEMU_DIR/../.." && pwd)
ART=$TOP/artifacts
CACHE=$ART/qemu/cache
# Every log below goes under artifacts/qemu: it exists from the start (make demo on a fresh clone
# comes here without tests/qemu/run, which used to be the only one to create it).
mkdir -p "$CACHE"
ARGOSFS=${ARGOS_ARGOSFS:-$ART/bin/argosfs}
TOOL_DLL=$TOP/src/argos-initramfs/bin/Debug/net10.0/argos-initramfs.dll
# Failure markers: any of these in a serial log fails the boot at once (unless a scenario expects it).
FAIL_RE='ARGOS-EMERGENCY|Kernel panic|ARGOS-TEST-FAILED|BUG: |Oops: |segfault at|dracut: FATAL|Entering emergency mode'

say() { echo "qemu: $*" >&2; }
die() { echo "qemu: FAIL: $*" >&2; exit 1; }

argos_tool() { dotnet "$TOOL_DLL" "$@"; }

# argos_build_tool: builds argos-initramfs once per run (quietly).
argos_build_tool() {
    [ -n "${ARGOS_TOOL_BUILT:-}" ] && return 0
    dotnet build -nologo -v q "$TOP/src/argos-initramfs/argos-initramfs.csproj" > "$ART/qemu/tool-build.log" 2>&1 \
        || { cat "$ART/qemu/tool-build.log" >&2; die "argos-initramfs does not build"; }
    export ARGOS_TOOL_BUILT=1
}

# argos_kernel: sets KDIR (vmlinux, modroot) via scripts/kernel.sh.
argos_kernel() {
    [ -n "${KDIR:-}" ] && return 0
    KDIR=$("$TOP/scripts/kernel.sh" --print-dir | tail -n 1) || die "scripts/kernel.sh failed"
    export KDIR
}

# argos_require_argosfs: the scenarios run the real argosfs binary.
argos_require_argosfs() {
    [ -x "$ARGOSFS" ] || die "$ARGOSFS is missing: build argosfs first (it produces artifacts/bin/argosfs)"
    "$ARGOSFS" --help > /dev/null 2>&1 || die "$ARGOSFS --help fails: the binary does not run here"
}

# argos_accel: "-accel kvm" when a short KVM probe boots, else "-accel tcg" (KVM hangs on machines
# without nested virtualisation; the probe has a timeout). The result is kept in $ART/qemu/accel
# (delete it to probe again; ARGOS_QEMU_NO_KVM=1 skips the probe).
argos_accel() {
    [ -n "${ACCEL:-}" ] && return 0
    if [ -f "$ART/qemu/accel" ]; then ACCEL=$(cat "$ART/qemu/accel"); export ACCEL; return 0; fi
    ACCEL="-accel tcg"
    if [ -z "${ARGOS_QEMU_NO_KVM:-}" ] && [ -w /dev/kvm ]; then
        local d; d=$(mktemp -d)
        mkdir -p "$d/r/bin" && cp /bin/busybox "$d/r/bin/" && printf '#!/bin/busybox sh\necho KVM-PROBE-OK\n/bin/busybox poweroff -f\n' > "$d/r/init" && chmod +x "$d/r/init"
        (cd "$d/r" && find . | cpio -o -H newc 2>/dev/null) > "$d/probe.cpio"
        if timeout 15 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot -kernel "$KDIR/vmlinux" -initrd "$d/probe.cpio" \
            -append "console=ttyS0 quiet panic=-1" < /dev/null 2>&1 | grep -q KVM-PROBE-OK; then
            ACCEL="-accel kvm"
        fi
        rm -rf "$d"
        say "KVM probe: ${ACCEL#-accel } (kept in artifacts/qemu/accel)"
    fi
    mkdir -p "$ART/qemu" && echo "$ACCEL" > "$ART/qemu/accel"
    export ACCEL
}

# argos_stamp FILE... : a hash of the inputs, to know when a cached artifact is stale.
argos_stamp() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# argos_overlay: the test hooks put into the busybox image (/etc/argos/test.sh + each scenario's guest.sh).
argos_overlay() {
    local o=$CACHE/overlay
    rm -rf "$o"; mkdir -p "$o/etc/argos/tests" "$o/root"
    cp "$QEMU_DIR/guest-dispatch.sh" "$o/etc/argos/test.sh"
    local g
    for g in "$QEMU_DIR"/*/guest.sh; do
        [ -f "$g" ] || continue
        mkdir -p "$o/etc/argos/tests/$(basename "$(dirname "$g")")"
        cp "$g" "$o/etc/argos/tests/$(basename "$(dirname "$g")")/guest.sh"
    done
    # a 256 KiB incompressible probe for fsck-repair: fixed content (seeded), checked by sha256
    if [ ! -f "$CACHE/fsck-probe.bin" ]; then
        openssl enc -aes-128-ctr -pass pass:argos-fsck-probe -nosalt < /dev/zero 2>/dev/null | head -c 262144 > "$CACHE/fsck-probe.bin" \
            || head -c 262144 /dev/urandom > "$CACHE/fsck-probe.bin"
    fi
    cp "$CACHE/fsck-probe.bin" "$o/root/fsck-probe.bin"
    (cd "$o/root" && sha256sum fsck-probe.bin > fsck-probe.sha256)
    echo "$o"
}

# argos_busybox_image [ext4-only]: builds (or reuses) the busybox image with the test overlay and
# its ext4 twin; sets IMG (its dir) and POOL_UUID. ext4-only: no argosfs pool (argosfs not needed).
argos_busybox_image() {
    argos_build_tool
    local overlay stamp flags=(--ext4) name=busybox
    mkdir -p "$CACHE"
    if [ "${1:-}" = ext4-only ]; then flags+=(--no-pool); name=busybox-ext4; fi
    overlay=$(argos_overlay)
    stamp=$( { argos_stamp "$TOP/images/busybox.json" "$TOP/images/busybox/init" /bin/busybox "$TOOL_DLL"; [ "$name" = busybox ] && argos_stamp "$ARGOSFS"; find "$overlay" -type f -exec cat {} + | sha256sum; } | sha256sum | cut -c1-16)
    IMG=$CACHE/$name
    if [ ! -f "$IMG/stamp" ] || [ "$(cat "$IMG/stamp")" != "$stamp" ]; then
        say "building the busybox image (argos-initramfs image --recipe images/busybox.json ${flags[*]})"
        rm -rf "$IMG"
        argos_tool image --recipe "$TOP/images/busybox.json" --out "$IMG" "${flags[@]}" --overlay "$overlay" --argosfs "$ARGOSFS" > "$ART/qemu/image-$name.log" 2>&1 \
            || { cat "$ART/qemu/image-$name.log" >&2; die "building the busybox image failed (log: artifacts/qemu/image-$name.log)"; }
        echo "$stamp" > "$IMG/stamp"
    fi
    [ "$name" = busybox ] || return 0
    POOL_UUID=$(sed -n 's/.*"pool_uuid": *"\([^"]*\)".*/\1/p' "$IMG/pool.json" | head -n 1)
    [ -n "$POOL_UUID" ] || die "$IMG/pool.json has no pool_uuid"
    export IMG POOL_UUID
}

# argos_initramfs FLAVOR [extra tool args...]: builds (or reuses) an initramfs; prints its path.
argos_initramfs() {
    local flavor=$1; shift
    argos_build_tool; argos_kernel
    local name="initramfs-$flavor${1:+-$(echo "$*" | tr -c 'a-z0-9' '-')}"
    local out=$CACHE/$name.img stamp
    stamp=$( { argos_stamp "$TOOL_DLL" "$KDIR/version"; [ -f "$ARGOSFS" ] && argos_stamp "$ARGOSFS"; echo "$*"; find "$TOP/dracut" "$TOP/src/argos-initramfs/builtin" -type f -exec cat {} + | sha256sum; } | sha256sum | cut -c1-16)
    if [ ! -f "$out" ] || [ "$(cat "$out.stamp" 2>/dev/null)" != "$stamp" ]; then
        say "building the $flavor initramfs${1:+ ($*)}"
        argos_tool initramfs --flavor "$flavor" --kernel "$KDIR" --out "$out" --argosfs "$ARGOSFS" "$@" > "$ART/qemu/$name.log" 2>&1 \
            || { cat "$ART/qemu/$name.log" >&2; die "building the $flavor initramfs failed (log: artifacts/qemu/$name.log)"; }
        echo "$stamp" > "$out.stamp"
    fi
    echo "$out"
}

# argos_members DIR: fresh copies of the pool's member images in DIR (scenarios change them).
argos_members() {
    local dir=$1 i
    mkdir -p "$dir"
    for i in 0 1 2; do cp --sparse=always "$IMG/member-$i.img" "$dir/member-$i.img"; done
    MEMBERS="$dir/member-0.img $dir/member-1.img $dir/member-2.img"
}

# argos_boot NAME INITRAMFS "DISKS" "APPEND" EXPECT [TIMEOUT] [KILL_AFTER]
#   Boots QEMU (1 vCPU, 1 GiB, vmlinux through PVH, disks as virtio raw drives); the serial log goes
#   to $LOGDIR/NAME.log. Succeeds when every line of EXPECT (a newline-separated list of fixed
#   strings) appears and QEMU has exited (the guest powered off), or, with KILL_AFTER=1, kills QEMU
#   hard (SIGKILL) as soon as the last marker appears. Fails on a FAIL_RE line (unless one of
#   EXPECT is such a line) or when TIMEOUT seconds pass. Sets BOOT_SECONDS (QEMU start to the
#   first EXPECT marker).
argos_boot() {
    local name=$1 initrd=$2 disks=$3 append=$4 expect=$5 timeout=${6:-120} kill_after=${7:-0}
    argos_kernel; argos_accel
    local log=$LOGDIR/$name.log drives=() d
    for d in $disks; do drives+=(-drive "file=$d,if=virtio,format=raw"); done
    : > "$log"
    local start; start=$(date +%s.%N)
    # nowatchdog workqueue.watchdog_thresh=0: under TCG the guest's clock follows the host's, so when
    # the host is loaded and QEMU's vCPU thread waits for a core (load 30 on 2 cores here), the
    # soft-lockup and workqueue watchdogs see the lost seconds as "BUG: soft lockup - CPU#0 stuck
    # for 21s!" in whatever code was running. That says nothing about the guest; a real hang still
    # fails the boot (its markers never appear before the timeout).
    # no_timer_check: the kernel's early check that the 8254 timer ticks through the IO-APIC times
    # out when the vCPU is starved ("..MP-BIOS bug: 8254 timer not connected to IO-APIC"), and its
    # fallback left a guest with no timer interrupt, idle for ever (a bench boot hung at 0.01 s).
    # The check is for broken hardware; QEMU's timer works, and VM guests commonly skip it.
    # shellcheck disable=SC2086
    qemu-system-x86_64 $ACCEL -m 1024 -smp 1 -nographic -no-reboot -net none \
        -kernel "$KDIR/vmlinux" -initrd "$initrd" \
        -append "console=ttyS0 quiet panic=-1 no_timer_check nowatchdog workqueue.watchdog_thresh=0 rd.shell=0 rd.emergency=reboot $append" \
        "${drives[@]}" < /dev/null > "$log" 2>&1 &
    local qpid=$! first='' now all fail_re=$FAIL_RE
    # a scenario that expects the emergency path takes ARGOS-EMERGENCY out of the failure markers
    case "$expect" in *ARGOS-EMERGENCY*|*'Entering emergency mode'*) fail_re='Kernel panic|BUG: |Oops: |segfault at' ;; esac
    say "$name: booting (log: ${log#$TOP/})"
    while :; do
        all=1
        while IFS= read -r m; do
            [ -z "$m" ] && continue
            if grep -qF -- "$m" "$log"; then
                [ -z "$first" ] && first=$(date +%s.%N)
            else
                all=0
            fi
        done <<< "$expect"
        if grep -qE "$fail_re" "$log"; then
            sleep 1; kill -9 "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null
            grep -E "$fail_re" "$log" | head -n 5 | sed 's/^/    /' >&2
            say "$name: failure marker in the serial log"; return 1
        fi
        if [ "$all" = 1 ] && [ "$kill_after" = 1 ]; then
            kill -9 "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null
            break
        fi
        if ! kill -0 "$qpid" 2>/dev/null; then
            wait "$qpid" 2>/dev/null
            [ "$all" = 1 ] && break
            say "$name: QEMU exited before every expected marker appeared:"; echo "$expect" | sed 's/^/    /' >&2
            tail -n 15 "$log" | sed 's/^/    | /' >&2
            return 1
        fi
        now=$(date +%s.%N)
        if awk -v a="$now" -v b="$start" -v t="$timeout" 'BEGIN { exit !(a - b > t) }'; then
            kill -9 "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null
            say "$name: timeout after ${timeout}s waiting for:"; echo "$expect" | sed 's/^/    /' >&2
            tail -n 15 "$log" | sed 's/^/    | /' >&2
            return 1
        fi
        sleep 0.1
    done
    BOOT_SECONDS=$(awk -v a="$first" -v b="$start" 'BEGIN { printf "%.2f", a - b }')
    say "$name: ok (first marker after ${BOOT_SECONDS}s, total $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')s)"
    return 0
}

# argos_log_has NAME STRING: the serial log of boot NAME contains STRING
argos_log_has() { grep -qF -- "$2" "$LOGDIR/$1.log"; }

# argos_host_scan "IMAGES": the JSON of `argosfs scan` over the images, on stdout
argos_host_scan() { "$ARGOSFS" scan --json $1; }

# argos_expect_clean "IMAGES": every member valid and clean in argosfs scan
argos_expect_clean() {
    local json; json=$(argos_host_scan "$1") || die "argosfs scan failed"
    echo "$json" > "$LOGDIR/scan-after.json"
    local valid clean n
    n=$(echo "$json" | grep -o '"path"' | wc -l)
    valid=$(echo "$json" | grep -oE '"valid": *true' | wc -l)
    clean=$(echo "$json" | grep -oE '"clean": *true' | wc -l)
    [ "$n" -gt 0 ] && [ "$valid" = "$n" ] && [ "$clean" = "$n" ] || die "argosfs scan after the boot: $valid/$n valid, $clean/$n clean (want all; $LOGDIR/scan-after.json)"
    say "argosfs scan: $n members valid and clean"
}

# argos_images_csv "A B C" -> A,B,C
argos_images_csv() { echo "$1" | tr ' ' ','; }
