#!/bin/bash
# perftest on hodp: ib_write_bw, ib_read_bw and ib_send_bw over every size
# from 2 B to 8 MiB (-a), and ib_atomic_bw, in loopback on hodp0 and between
# hodp0 and hodp1 in another network namespace.  perftest does not check
# data (the data-path suite does); this checks that every run completes and
# reports a bandwidth for each size.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/perftest.sh"

ITERS=5

for t in ib_write_bw ib_read_bw ib_send_bw; do
	EXPECT_ROWS=23 perf "loopback $t -a" "" hodp0 hodp0 10.99.0.1 $t -a -n $ITERS
done
perf "loopback ib_atomic_bw" "" hodp0 hodp0 10.99.0.1 ib_atomic_bw -n 200

check "namespace ns1 with hodp1 on veth1" setup_ns1
for t in ib_write_bw ib_read_bw ib_send_bw; do
	EXPECT_ROWS=23 perf "two namespaces $t -a" "ip netns exec ns1" hodp1 hodp0 10.99.0.2 \
		$t -a -n $ITERS
done
perf "two namespaces ib_atomic_bw" "ip netns exec ns1" hodp1 hodp0 10.99.0.2 ib_atomic_bw -n 200
tap_done
