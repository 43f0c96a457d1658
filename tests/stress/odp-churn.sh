#!/bin/bash
# ODP memory changed under RDMA (tests/progs/odp_stress): explicit and
# implicit MRs, anonymous memory, hugetlbfs pages and a tmpfs file truncated under the
# traffic, pages migrated between the guest's two NUMA nodes (tests/check
# boots stress guests so), loopback and across namespaces, with swap on zram so that
# MADV_PAGEOUT really reclaims and the device refaults from swap, once in a
# memory cgroup smaller than the process; and
# hundreds of QPs and MRs faulting at once (tests/progs/odp_many).
# STRESS_SECONDS (default 20) per run; STRESS_SEED (default 1) makes the
# random choices reproducible.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
bin=build/guest/bin
secs=${STRESS_SECONDS:-20}
seed=${STRESS_SEED:-1}
ulimit -c 0	# a crash is a failure here, not a core written over 9p

swap_on_zram() {
	modprobe zram num_devices=1 &&
	echo 512M > /sys/block/zram0/disksize &&
	mkswap /dev/zram0 > /dev/null &&
	swapon /dev/zram0
}
check "swap on zram" swap_on_zram
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
# Migration here is move_pages() of the churn thread.  Automatic NUMA
# balancing unmaps every page of every ODP MR each scan period on top of it:
# odp_many's 200 QP pairs across the veth then run out of transport retries
# (2 runs of 2; 0 of 2 without it, at the suites' 17 ms ACK time-out):
# queueing taken for loss, docs/odp.md (Faults), not something this suite
# should trip over at random.
echo 0 > /proc/sys/kernel/numa_balancing

# Faults that failed, by errno, after each run: the chaos half's are
# expected (unmapped, PROT_NONE memory); a failed WR on the traffic half is
# explained here.
tr=/sys/kernel/tracing
mountpoint -q $tr || mount -t tracefs nodev $tr
echo 'result != 0' > $tr/events/hodp/hodp_odp_fault_done/filter
echo 1 > $tr/events/hodp/hodp_odp_fault_done/enable
stress() {
	run_tap "$@"
	echo "#   failed faults: $(grep -o 'result=-[0-9]*' $tr/trace | sort | uniq -c |
		awk '{ printf "%s x%s ", $2, $1 }')"
	echo > $tr/trace
}

stress $bin/odp_stress hodp0 hodp0 loopback "$secs" "$seed"
stress $bin/odp_stress hodp0 hodp0 loopback-implicit "$secs" "$((seed + 1))" implicit
stress $bin/odp_stress hodp0 hodp0 loopback-shmem "$secs" "$((seed + 4))" shmem
# 2 MiB hugetlbfs pages: 16 for the buffers, the rest for copy-on-write
# after fork and for migration to the other node.
echo 64 > /proc/sys/vm/nr_hugepages
check "64 huge pages reserved" bash -c "test \$(cat /proc/sys/vm/nr_hugepages) -eq 64"
stress $bin/odp_stress hodp0 hodp0 loopback-hugetlb "$secs" "$((seed + 5))" hugetlb
echo 0 > /proc/sys/vm/nr_hugepages
# A memory cgroup smaller than the process: its pages are reclaimed to swap
# and refaulted under the traffic.  The buffers are written whole first:
# on the debug kernel 20 s of traffic touched less than the limit.
tight=/sys/fs/cgroup/tight
# In a subshell of its own: run_tap's shell must live on to report the exit status.
in_tight_cgroup() { (echo $BASHPID > $tight/cgroup.procs && exec "$@"); }
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p $tight
echo ${STRESS_CGROUP_MAX:-12M} > $tight/memory.max
stress in_tight_cgroup $bin/odp_stress hodp0 hodp0 memcg "$secs" "$((seed + 3))" touched
check "the cgroup's limit was hit and its pages reclaimed" \
	bash -c "grep -qE '^max [1-9]' $tight/memory.events &&
		 grep -qE '^pgscan [1-9]' $tight/memory.stat"
echo "# cgroup: $(tr '\n' ' ' < $tight/memory.events) $(grep -E '^(pgscan|pgsteal) ' $tight/memory.stat | tr '\n' ' ')"
run_tap $bin/odp_many hodp0 hodp0 ${STRESS_PAIRS:-200} 3
check "namespace ns1 with hodp1 on veth1" setup_ns1
run_tap $bin/odp_many hodp0 hodp1 ${STRESS_PAIRS:-200} 3
stress $bin/odp_stress hodp0 hodp1 two-ns "$secs" "$((seed + 2))"
check "pages went to swap and came back" \
	bash -c "test \$(awk '/^pswpout/ { print \$2 }' /proc/vmstat) -gt 0 &&
		 test \$(awk '/^pswpin/ { print \$2 }' /proc/vmstat) -gt 0"
tap_done
