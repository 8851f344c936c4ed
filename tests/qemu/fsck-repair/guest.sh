# fsck-repair, in the guest: the probe file reads back with its sha256 after the boot-time repair.
if (cd /root && sha256sum -c fsck-probe.sha256 > /dev/null 2>&1); then
    echo "ARGOS-FSCK-PROBE-OK /root/fsck-probe.bin reads back intact"
else
    echo "ARGOS-TEST-FAILED: /root/fsck-probe.bin does not match its sha256 after the repair"
fi
