#!/bin/bash
# On-demand paging: our own checks (tests/progs/odp: fresh memory faulted on
# both sides, MADV_DONTNEED, munmap, mprotect, fork, tmpfs, THP, 1 TiB;
# tests/progs/odp_implicit: implicit MRs, every prefetch advice, huge pages;
# all byte for byte with the MRs' counters) in loopback and across
# namespaces; rdma-core's pyverbs test_odp with 64 huge pages reserved;
# perftest --odp.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/perftest.sh"
bin=build/guest/bin
ITERS=5

echo 64 > /proc/sys/vm/nr_hugepages
check "64 huge pages reserved" test "$(cat /proc/sys/vm/nr_hugepages)" -ge 64
check "ibv_devinfo shows ODP for RC send, receive, write, read, atomics and SRQ" \
	bash -c "ibv_devinfo -v -d hodp0 | grep -A8 rc_odp_caps | tr -d '\t' | tr '\n' ' ' |
		 grep -q 'SUPPORT_SEND SUPPORT_RECV SUPPORT_WRITE SUPPORT_READ SUPPORT_ATOMIC SUPPORT_SRQ'"

# The first run is traced: faults raised and served, invalidations.
tr=/sys/kernel/tracing
mountpoint -q $tr || mount -t tracefs nodev $tr
echo 1 > $tr/events/hodp/enable
run_tap $bin/odp hodp0 hodp0 loopback
echo 0 > $tr/events/hodp/enable
for ev in hodp_odp_fault: hodp_odp_fault_done: hodp_odp_invalidate:; do
	check "trace event ${ev%:} fired" grep -q " $ev " $tr/trace
done
run_tap $bin/odp_implicit hodp0 hodp0 loopback
run_tap "$(dirname "$0")/../lib/pyverbs.sh" hodp0 test_odp
for t in ib_write_bw ib_read_bw ib_send_bw; do
	EXPECT_ROWS=23 perf "loopback $t -a --odp" "" hodp0 hodp0 10.99.0.1 $t -a -n $ITERS --odp
done
perf "loopback ib_atomic_bw --odp" "" hodp0 hodp0 10.99.0.1 ib_atomic_bw -n 200 --odp

check "namespace ns1 with hodp1 on veth1" setup_ns1
run_tap $bin/odp hodp0 hodp1 two-ns
run_tap $bin/odp_implicit hodp0 hodp1 two-ns
for t in ib_write_bw ib_read_bw ib_send_bw; do
	EXPECT_ROWS=23 perf "two namespaces $t -a --odp" "ip netns exec ns1" hodp1 hodp0 \
		10.99.0.2 $t -a -n $ITERS --odp
done
perf "two namespaces ib_atomic_bw --odp" "ip netns exec ns1" hodp1 hodp0 10.99.0.2 \
	ib_atomic_bw -n 200 --odp
check "the device counted faults and invalidations" bash -c '
	c=/sys/class/infiniband/hodp0/ports/1/hw_counters
	test $(cat $c/odp_page_faults) -gt 0 &&
	test $(cat $c/odp_page_faults_handled) -gt 0 &&
	test $(cat $c/odp_page_invalidations) -gt 0'
tap_done
