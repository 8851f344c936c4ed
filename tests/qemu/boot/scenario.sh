# boot: builtin initramfs, busybox root on a 2+1 pool of three virtio disks.
# Check: the guest's init prints ARGOS-ROOT-OK with fstype=fuse.argosfs, k+m=2+1, mode=rw and the
# file it wrote; the shutdown goes through /run/initramfs and the root daemon flushes
# (ARGOS-SHUTDOWN-OK); on the host, argosfs scan shows every member clean and argosfs cat reads
# the file the guest wrote.
scenario_main() {
    argos_require_argosfs
    argos_busybox_image
    local initrd; initrd=$(argos_initramfs builtin) || return 1
    argos_members "$WORK"
    argos_boot boot "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID" \
        "argosfs: preflight: ok=true
ARGOS-ROOT-OK fstype=fuse.argosfs pool=argos-root k+m=2+1 mode=rw degraded=0 wrote=/var/lib/argos/boots(1)
ARGOS-SHUTDOWN-OK" 120 || return 1
    argos_expect_clean "$MEMBERS"
    "$ARGOSFS" cat --images "$(argos_images_csv "$MEMBERS")" /var/lib/argos/boots > "$LOGDIR/boots.txt" || die "argosfs cat /var/lib/argos/boots failed"
    grep -q '^boot at uptime' "$LOGDIR/boots.txt" || die "the file the guest wrote is not in the pool: $(cat "$LOGDIR/boots.txt")"
    say "the guest's file is in the pool: $(head -n 1 "$LOGDIR/boots.txt")"
}
