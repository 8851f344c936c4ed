# degraded: one member disk missing.
#  1. rd.argosfs.mode=auto: the root comes up degraded-ro; the console shows preflight's report and
#     the marker says mode=degraded-ro degraded=1 (nothing written: read-only).
#  2. rd.argosfs.mode=rw: preflight refuses; the emergency path prints a clear ARGOS-EMERGENCY message
#     naming the mode to use, and no root is mounted.
scenario_main() {
    argos_require_argosfs
    argos_busybox_image
    local initrd; initrd=$(argos_initramfs builtin) || return 1
    argos_members "$WORK"
    local two="$WORK/member-0.img $WORK/member-1.img"
    argos_boot degraded-auto "$initrd" "$two" "root=argosfs:UUID=$POOL_UUID rd.argosfs.mode=auto rd.argosfs.timeout=2" \
        "argosfs: preflight: ok=true
ARGOS-ROOT-OK fstype=fuse.argosfs pool=argos-root k+m=2+1 mode=degraded-ro degraded=1 wrote=none" 120 || return 1
    argos_log_has degraded-auto "degraded=true" || die "the preflight report on the console does not say degraded=true"
    argos_boot degraded-rw "$initrd" "$two" "root=argosfs:UUID=$POOL_UUID rd.argosfs.mode=rw rd.argosfs.timeout=2" \
        "ARGOS-EMERGENCY: preflight-root refused mode rw
rd.argosfs.mode=" 120 || return 1
    ! argos_log_has degraded-rw "ARGOS-ROOT-OK" || die "mode=rw with a missing member mounted the root"
    argos_log_has degraded-rw "argosfs: preflight:" || die "the refusal came without preflight's report on the console"
}
