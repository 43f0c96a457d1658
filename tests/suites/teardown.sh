#!/bin/bash
# Processes killed with traffic in flight leave nothing behind: no user
# object survives, and the device keeps carrying verified traffic.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin

before=$(resources hodp0)
for tool in ib_write_bw ib_read_bw ib_send_bw; do
	$tool -d hodp0 -x 1 -s 65536 -D 60 > /dev/null 2>&1 &
	srv=$!
	sleep 1
	$tool -d hodp0 -x 1 -s 65536 -D 60 10.99.0.1 > /dev/null 2>&1 &
	cli=$!
	sleep 3
	kill -9 $cli $srv
	wait $cli $srv 2>/dev/null
	check "$tool killed with -9 mid-transfer leaves no object behind" \
		wait_for 10 resources_are hodp0 "$before"
done
check "the device still carries verified traffic afterwards" \
	bash -c "$bin/xfer hodp0 hodp0 after-kill > /tmp/xfer.log 2>&1 || { grep '^not ok' /tmp/xfer.log; exit 1; }"
tap_done
