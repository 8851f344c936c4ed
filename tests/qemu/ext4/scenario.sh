# ext4: the comparison baseline. The busybox image's tree on a plain ext4 virtio disk, booted by the
# builtin initramfs (root=/dev/vda rootfstype=ext4). Runs without argosfs (the initramfs is then
# built --without-argosfs). Check: ARGOS-ROOT-OK with fstype=ext4 and the boots file written.
scenario_main() {
    local initrd
    if [ -x "$ARGOSFS" ]; then
        initrd=$(argos_initramfs builtin) || return 1
    else
        say "argosfs is not built: the ext4 baseline uses an initramfs without it"
        initrd=$(argos_initramfs builtin --without-argosfs) || return 1
    fi
    argos_busybox_image ext4-only
    cp --sparse=always "$IMG/root-ext4.img" "$WORK/root.img"
    argos_boot ext4 "$initrd" "$WORK/root.img" "root=/dev/vda rootfstype=ext4 rw" \
        "ARGOS-ROOT-OK fstype=ext4
wrote=/var/lib/argos/boots(1)" 90
}
