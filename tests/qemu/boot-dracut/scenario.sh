# boot-dracut: the same busybox root through Debian's dracut (shell init) with our 90argosfs module.
# Check: ARGOS-ROOT-OK with fstype=fuse.argosfs k+m=2+1 mode=rw, the shutdown flushes the pool
# (dracut's /shutdown runs our hook: ARGOS-SHUTDOWN-OK), and host scan shows every member clean.
scenario_main() {
    argos_require_argosfs
    argos_busybox_image
    local initrd; initrd=$(argos_initramfs dracut) || return 1
    argos_members "$WORK"
    argos_boot boot-dracut "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID" \
        "argosfs: preflight: ok=true
ARGOS-ROOT-OK fstype=fuse.argosfs pool=argos-root k+m=2+1 mode=rw degraded=0 wrote=/var/lib/argos/boots(1)
ARGOS-SHUTDOWN-OK" 180 || return 1
    argos_expect_clean "$MEMBERS"
}
