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
    # the kill was hard: the pool is not marked clean, and the journal holds records past the last
    # checkpoint (the fsynced file) for the next open to replay
    local scan journal records
    scan=$(argos_host_scan "$MEMBERS") || die "argosfs scan after the kill failed"
    echo "$scan" > "$LOGDIR/scan-after-kill.json"
    echo "$scan" | grep -qE '"clean": *false' || die "after SIGKILL the members still say clean (scan-after-kill.json): the kill came too late"
    journal=$("$ARGOSFS" verify-journal --images "$(argos_images_csv "$MEMBERS")" --json) || die "argosfs verify-journal after the kill failed: $journal"
    echo "$journal" > "$LOGDIR/journal-after-kill.json"
    records=$(echo "$journal" | grep -oE '"valid_records": *[0-9]+' | grep -oE '[0-9]+$' | sort -n | tail -n 1)
    [ "${records:-0}" -gt 0 ] || die "after the kill no member holds journal records past its checkpoint (journal-after-kill.json): nothing to replay"
    say "after the kill: members not clean, $records journal records to replay"
    argos_boot crash-2 "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID argos.phase=crash.2" \
        "pool was not cleanly unmounted
ARGOS-ROOT-OK fstype=fuse.argosfs
ARGOS-CRASH-CHECK-OK
ARGOS-SHUTDOWN-OK" 180 || return 1
    "$ARGOSFS" fsck --images "$(argos_images_csv "$MEMBERS")" --full --json > "$LOGDIR/fsck-after.json" 2>&1 \
        || die "host fsck --full after the crash and the replay is not clean (artifacts/qemu/crash/fsck-after.json)"
    say "host fsck --full after the replay: clean"
    argos_expect_clean "$MEMBERS"
}
