# crash: the guest writes and fsyncs a file, then starts writing another; the VM is killed hard
# (SIGKILL) mid-write. The next boot replays the journal (boot-time fsck runs because the pool was
# not cleanly unmounted), the fsynced file is intact, and fsck on the host is clean afterwards.
scenario_main() {
    argos_require_argosfs
    argos_busybox_image
    local initrd; initrd=$(argos_initramfs builtin) || return 1
    argos_members "$WORK"
    argos_boot crash-1 "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID argos.phase=crash.1" \
        "ARGOS-CRASH-FSYNCED
ARGOS-CRASH-WRITING" 120 1 || return 1
    sleep 0
    argos_boot crash-2 "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID argos.phase=crash.2" \
        "pool was not cleanly unmounted
ARGOS-ROOT-OK fstype=fuse.argosfs
ARGOS-CRASH-CHECK-OK
ARGOS-SHUTDOWN-OK" 180 || return 1
    "$ARGOSFS" fsck --images "$(argos_images_csv "$MEMBERS")" --json > "$LOGDIR/fsck-after.json" 2>&1 \
        || die "host fsck after the crash and the replay is not clean (artifacts/qemu/crash/fsck-after.json)"
    argos_expect_clean "$MEMBERS"
}
