#!/bin/sh
# The test device's media.notify hook (tests/vm): one console line per event,
# which tests/vm/run waits for ("may_pull=1": the stick may be pulled). Then
# it waits (up to 25 s of the hook's 30) for the stick to be pulled, as a
# device should before `reboot: auto`: a stick left in is enumerated by the
# BIOS at the reboot (and some BIOSes boot from it).
echo "FERRYVM notify result=$FERRY_RESULT may_pull=$FERRY_MAY_PULL vendor=$FERRY_VENDOR product=$FERRY_PRODUCT serial=$FERRY_SERIAL: $FERRY_MESSAGE" >/dev/console
[ "$FERRY_MAY_PULL" = 1 ] || exit 0
i=0
while [ -e "$FERRY_DEVICE" ] && [ $i -lt 50 ]; do sleep 0.5; i=$((i + 1)); done
