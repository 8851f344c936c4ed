# crash, in the guest. Step 1: write + fsync /var/lib/argos/crash-fsynced, then write another file
# for ever (the host kills the VM). Step 2: the fsynced file must be intact.
case "$ARGOS_STEP" in
    1)
        i=0; : > /var/lib/argos/crash-fsynced.tmp
        while [ "$i" -lt 64 ]; do echo "argos crash test line $i" >> /var/lib/argos/crash-fsynced.tmp; i=$((i + 1)); done
        # fsync(2) of the file (dd conv=fsync) and of its directory (busybox sync DIR: fsync on the
        # directory fd, FUSE_FSYNCDIR), the POSIX way to make a new name durable; no global sync
        if ! dd if=/var/lib/argos/crash-fsynced.tmp of=/var/lib/argos/crash-fsynced conv=fsync 2>/dev/null \
            || ! sync /var/lib/argos; then
            echo "ARGOS-TEST-FAILED: write + fsync of /var/lib/argos/crash-fsynced failed"
            exit 1
        fi
        echo "ARGOS-CRASH-FSYNCED $(sha256sum /var/lib/argos/crash-fsynced | cut -d ' ' -f 1)"
        # the second file: rewritten in a loop (1 MiB each time) until the host kills the VM
        (n=0; while :; do n=$((n + 1)); dd if=/dev/urandom of=/var/lib/argos/crash-inflight bs=64k count=16 2>/dev/null; echo "$n" > /tmp/crash-rounds; done) &
        sleep 1
        echo "ARGOS-CRASH-WRITING rounds=$(cat /tmp/crash-rounds 2>/dev/null || echo 0) size=$(wc -c < /var/lib/argos/crash-inflight 2>/dev/null)"
        while :; do sleep 10; done
        ;;
    2)
        want=$(i=0; while [ "$i" -lt 64 ]; do echo "argos crash test line $i"; i=$((i + 1)); done | sha256sum | cut -d ' ' -f 1)
        got=$(sha256sum /var/lib/argos/crash-fsynced 2>/dev/null | cut -d ' ' -f 1)
        if [ "$got" = "$want" ]; then
            echo "ARGOS-CRASH-CHECK-OK fsynced file intact ($got)"
        else
            echo "ARGOS-TEST-FAILED: the fsynced file is not intact after the crash (sha256 ${got:-missing}, want $want)"
        fi
        ;;
esac
