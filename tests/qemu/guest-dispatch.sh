#!/bin/sh
# /etc/argos/test.sh in the harness's busybox image: runs /etc/argos/tests/NAME/guest.sh for
# argos.phase=NAME.STEP, with ARGOS_STEP=STEP. The image's /sbin/init calls it after ARGOS-ROOT-OK.
phase=${ARGOS_PHASE:-}
[ -n "$phase" ] || exit 0
name=${phase%%.*}
ARGOS_STEP=${phase#*.}
[ "$ARGOS_STEP" = "$phase" ] && ARGOS_STEP=1
export ARGOS_STEP
script=/etc/argos/tests/$name/guest.sh
if [ ! -r "$script" ]; then
    echo "ARGOS-TEST-FAILED: no $script for argos.phase=$phase"
    exit 1
fi
. "$script"
