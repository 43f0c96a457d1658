#!/bin/bash
# RoCEv2 frames crafted by hand (tests/progs/wire.c) and sent from another
# host, namespace ns1, as anyone on the network can: blind injection with a
# foreign P_Key, a spoofed source or a bad IPv4 checksum; a flood of a QP
# parked on a page fault that does not end; a READ of 256 MiB with a request
# behind it.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
bin=build/guest/bin

check "namespace ns1 with hodp1 on veth1" setup_ns1
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# A FUSE server that answers reads ten minutes late: a fault that does not end.
mnt=/tmp/stall-w
mkdir -p $mnt
$bin/fuse_stall $mnt "$(scaled 600)" > $mnt.out 2>&1 &
fuse=$!
if wait_for 10 grep -q ready $mnt.out; then
	run_tap $bin/wire hodp0 $mnt/cached
else
	fail "FUSE server for the flood" "$(cat $mnt.out)"
fi
kill $fuse
wait $fuse 2>/dev/null
umount -l $mnt 2>/dev/null
tap_done
