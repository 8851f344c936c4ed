# reboot: boot twice; what the first boot wrote (a token from the command line) is there in the second.
scenario_main() {
    argos_require_argosfs
    argos_busybox_image
    local initrd; initrd=$(argos_initramfs builtin) || return 1
    argos_members "$WORK"
    local token; token=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
    argos_boot reboot-1 "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID argos.phase=reboot.1 argos.token=$token" \
        "ARGOS-REBOOT-WROTE $token
ARGOS-SHUTDOWN-OK" 120 || return 1
    argos_boot reboot-2 "$initrd" "$MEMBERS" "root=argosfs:UUID=$POOL_UUID argos.phase=reboot.2 argos.token=$token" \
        "ARGOS-ROOT-OK fstype=fuse.argosfs pool=argos-root k+m=2+1 mode=rw degraded=0 wrote=/var/lib/argos/boots(2)
ARGOS-REBOOT-CHECK-OK $token
ARGOS-SHUTDOWN-OK" 120 || return 1
    argos_expect_clean "$MEMBERS"
}
