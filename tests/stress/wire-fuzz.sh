#!/bin/bash
# The wire fuzzer (tests/progs/wire DEV fuzz): STRESS_WIRE_FRAMES RoCEv2
# frames (default 1000000 divided by HODP_TIME_SCALE: 100000 on the debug
# kernel, whose KASAN makes each ten times slower) from seed STRESS_SEED
# (default 1), sent from namespace ns1 to live RC, UC and UD QPs of hodp0,
# QP1 and random QPNs, while verified RDMA WRITEs run on other QPs; then the module unloads.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
bin=build/guest/bin

check "namespace ns1 with hodp1 on veth1" setup_ns1
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
frames=${STRESS_WIRE_FRAMES:-$((1000000 / ${HODP_TIME_SCALE:-1}))}
run_tap $bin/wire hodp0 fuzz "${STRESS_SEED:-1}" "$frames"
check "hodp unloads afterwards" bash -c "rdma link del hodp0 &&
	ip netns exec ns1 rdma link del hodp1 && rmmod hodp"
tap_done
