# smoke: the kernel boots through PVH with a trivial busybox initramfs (no argosfs involved).
# Check: the guest prints SMOKE-MARKER-OK and powers off.
scenario_main() {
    argos_kernel
    local r=$WORK/root
    mkdir -p "$r/bin" "$r/proc"
    cp /bin/busybox "$r/bin/busybox"
    printf '#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\necho "SMOKE-MARKER-OK kernel=$(/bin/busybox uname -r)"\n/bin/busybox poweroff -f\n' > "$r/init"
    chmod +x "$r/init"
    (cd "$r" && find . | cpio -o -H newc 2>/dev/null) > "$WORK/smoke.cpio"
    argos_boot smoke "$WORK/smoke.cpio" "" "" "SMOKE-MARKER-OK" 60
}
