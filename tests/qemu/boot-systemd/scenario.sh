# boot-systemd: the debian-minbase root (systemd as PID 1) inside a dracut initramfs with systemd
# (sysroot.mount -> mount.fuse.argosfs). Check: multi-user.target is reached (the argos-boot-check
# unit prints ARGOS-ROOT-OK ... multi-user.target=active init=systemd), the argosfs units of the
# booted system work (root check active, a scrub through the root daemon succeeds, the autopilot
# runs, the scrub timer is enabled: ARGOS-UNITS ...), `systemctl poweroff`
# completes (the kernel powers down), and argosfs scan afterwards shows the pool clean.
# The first run debootstraps the image (about 100 MB from the Debian mirror); later runs reuse it.
scenario_main() {
    argos_require_argosfs
    argos_build_tool
    local img=$CACHE/debian-minbase stamp
    stamp=$(argos_stamp "$TOP/images/debian-minbase.json" "$TOP"/images/debian-minbase/* "$ARGOSFS" "$TOOL_DLL")
    if [ ! -f "$img/stamp" ] || [ "$(cat "$img/stamp")" != "$stamp" ]; then
        say "building the debian-minbase image (debootstrap; minutes the first time)"
        argos_tool image --recipe "$TOP/images/debian-minbase.json" --out "$img" --argosfs "$ARGOSFS" > "$ART/qemu/image-debian-minbase.log" 2>&1 \
            || { tail -n 30 "$ART/qemu/image-debian-minbase.log" >&2; die "building the debian-minbase image failed"; }
        echo "$stamp" > "$img/stamp"
    fi
    local uuid; uuid=$(sed -n 's/.*"pool_uuid": *"\([^"]*\)".*/\1/p' "$img/pool.json" | head -n 1)
    local initrd; initrd=$(argos_initramfs dracut --systemd) || return 1
    local i members=''
    for i in 0 1 2; do cp --sparse=always "$img/member-$i.img" "$WORK/member-$i.img"; members="$members $WORK/member-$i.img"; done
    # 900 s: systemd's boot and shutdown on a FUSE root under TCG take 4 min on this 2-core machine
    # at load 30 from parallel builds; a run with a verbose console at load 35 needed more than 10 min
    argos_boot boot-systemd "$initrd" "$members" "root=argosfs:UUID=$uuid rootfstype=fuse.argosfs argos.check=1 argos.poweroff=1" \
        "ARGOS-ROOT-OK fstype=fuse.argosfs pool=argos-debian k+m=2+1 mode=rw
multi-user.target=active init=systemd
ARGOS-UNITS root-check=active scrub=ok autopilot=active timer=enabled
reboot: Power down" 900 || return 1
    argos_expect_clean "$members"
}
