# reboot, in the guest: step 1 writes the token from argos.token=, step 2 finds it.
token=$(sed -n 's/.*argos\.token=\([^ ]*\).*/\1/p' /proc/cmdline)
case "$ARGOS_STEP" in
    1) echo "$token" > /root/reboot-token && sync && echo "ARGOS-REBOOT-WROTE $token" ;;
    2) if [ "$(cat /root/reboot-token 2>/dev/null)" = "$token" ]; then
           echo "ARGOS-REBOOT-CHECK-OK $token"
       else
           echo "ARGOS-TEST-FAILED: /root/reboot-token is '$(cat /root/reboot-token 2>/dev/null)', want $token"
       fi ;;
esac
