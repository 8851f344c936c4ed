# fsck-repair: a shard corrupted on the host before boot (4 KiB of one member overwritten where the
# probe file /root/fsck-probe.bin has its bytes); boot-time fsck (rd.argosfs.fsck=force) repairs it
# from parity and the boot continues. Check: the console shows the forced repair and a clean result,
# the guest reads the probe with the right sha256, and host fsck is clean afterwards.
scenario_main() {
    argos_require_argosfs
    argos_busybox_image
    local initrd; initrd=$(argos_initramfs builtin) || return 1
    argos_members "$WORK"
    # 32 bytes of the probe (from 8 KiB in) as a PCRE of \xHH escapes: where are they on disk?
    # grep matches within lines, so the window must hold no 0x0a byte: slide it until it does not.
    local pat hit m off skip=8192
    while :; do
        pat=$(dd if="$CACHE/fsck-probe.bin" bs=1 skip=$skip count=32 2>/dev/null | od -An -v -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
        case " $pat " in *' 0a '*) skip=$((skip + 32)) ;; *) break ;; esac
        [ "$skip" -lt 65536 ] || die "no 32-byte window of the probe without a newline byte"
    done
    pat=$(echo "$pat" | sed 's/ /\\x/g; s/^/\\x/')
    for m in $MEMBERS; do
        off=$(LC_ALL=C grep -obUaP "$pat" "$m" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
        if [ -n "$off" ]; then hit=$m; break; fi
    done
    [ -n "${hit:-}" ] || die "the probe's bytes are in no member (compressed or encrypted on disk?): cannot aim the corruption"
    say "corrupting 4 KiB of $(basename "$hit") at byte $off (inside the probe's shard)"
    head -c 4096 /dev/urandom | dd of="$hit" bs=1 seek="$off" conv=notrunc 2>/dev/null
    # the corruption must be real: a read-only full fsck on the host sees it before the boot
    if "$ARGOSFS" fsck --images "$(argos_images_csv "$MEMBERS")" --full --json > "$LOGDIR/fsck-before.json" 2>&1; then
        die "host fsck --full does not see the corrupted shard (artifacts/qemu/fsck-repair/fsck-before.json): the test would prove nothing"
    fi
    grep -qE '"corrupt_shards": *[1-9]' "$LOGDIR/fsck-before.json" || die "host fsck --full failed but reports no corrupt shard (fsck-before.json)"
    say "host fsck --full before the boot: $(grep -oE '"corrupt_shards": *[0-9]+' "$LOGDIR/fsck-before.json")"
    argos_boot fsck-repair "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID rd.argosfs.fsck=force argos.phase=fsck-repair.1" \
        "argosfs: fsck (force, repair)
argosfs: fsck: clean (repair)
ARGOS-ROOT-OK fstype=fuse.argosfs pool=argos-root k+m=2+1 mode=rw
ARGOS-FSCK-PROBE-OK
ARGOS-SHUTDOWN-OK" 180 || return 1
    grep -qE 'argosfs: fsck: clean \(repair\).* repaired_shards=[1-9]' "$LOGDIR/fsck-repair.log" \
        || die "the boot-time fsck did not report a repaired shard: $(grep 'argosfs: fsck' "$LOGDIR/fsck-repair.log" | tr -d '\r' | tail -n 1)"
    "$ARGOSFS" fsck --images "$(argos_images_csv "$MEMBERS")" --full --json > "$LOGDIR/fsck-after.json" 2>&1 \
        || die "host fsck --full after the boot-time repair is not clean (artifacts/qemu/fsck-repair/fsck-after.json)"
    say "host fsck --full: clean"
}
