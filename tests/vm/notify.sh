#!/bin/sh
# The test device's media.notify hook (tests/vm): one console line per event,
# which tests/vm/run waits for ("may_pull=1": the stick may be pulled).
echo "FERRYVM notify result=$FERRY_RESULT may_pull=$FERRY_MAY_PULL vendor=$FERRY_VENDOR product=$FERRY_PRODUCT serial=$FERRY_SERIAL: $FERRY_MESSAGE" >/dev/console
