#!/bin/bash
# ODP against the odd corners of mm (docs/odp.md): tests/progs/odp_mm
# (secret memory, MAP_PRIVATE files and fork-shared memory written one page,
# implicit children of holes and of DONTNEED-then-munmap islands, THP first
# touch racing with munmap, deregistration racing with munmap and with
# mmap/munmap churn); a page fault that never ends (a FUSE server that does
# not answer) holding up only its own QP (tests/progs/odp_stall); the OOM
# reaper unmapping memory under ODP MRs of a process that cannot exit
# (tests/progs/odp_oom).
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin

run_tap $bin/odp_mm hodp0

# A FUSE server that answers reads a minute late (ten on the debug kernel,
# where the tests around it take longer than one): FILE on MNT.
# start_stall MNT: mounts it, prints its pid.
start_stall() {
	mkdir -p "$1"
	$bin/fuse_stall "$1" "$(scaled 60)" > "$1.out" 2>&1 &
	wait_for 10 grep -q ready "$1.out" && echo $!
}
stop_stall() { kill "$1"; wait "$1" 2>/dev/null; umount -l "$2" 2>/dev/null; }

mnt=/tmp/stall-a
if fuse=$(start_stall $mnt); then
	pass "FUSE server that stalls every read, on $mnt"
	run_tap $bin/odp_stall hodp0 $mnt/cached
	stop_stall "$fuse" $mnt
else
	fail "FUSE server that stalls every read" "$(cat $mnt.out)"
fi

# The OOM reaper: a process in a 64 MiB memory cgroup, its heap under an
# implicit and an explicit ODP MR with WRITEs in flight, a thread stuck in
# a FUSE read that cannot be interrupted, grows until it is killed.  It
# cannot exit, so only the reaper returns its memory; the reaper's
# invalidations may not sleep.
mnt=/tmp/stall-b
cg=/sys/fs/cgroup/odp-oom
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg
echo 64M > $cg/memory.max
echo 0 > $cg/memory.swap.max
if fuse=$(start_stall $mnt); then
	in_cgroup() { echo $BASHPID > $cg/cgroup.procs && exec "$@"; }
	in_cgroup $bin/odp_oom hodp0 $mnt/direct > /tmp/odp_oom.out 2>&1 &
	pid=$!
	check "the ODP process grows in a 64 MiB cgroup, a thread stuck in FUSE" \
		wait_for 60 grep -q allocating /tmp/odp_oom.out
	check "the OOM killer killed it" wait_for 60 grep -qE '^oom_kill [1-9]' $cg/memory.events
	wait_for 60 bash -c "dmesg | grep -qE 'oom_reaper: (reaped process $pid|unable to reap pid:$pid)'"
	echo "# $(dmesg | grep -E "oom_reaper: .*$pid" | tail -n 2 | tr '\n' ' ')"
	check "the OOM reaper reaped it (no \"unable to reap\")" \
		bash -c "dmesg | grep -q 'oom_reaper: reaped process $pid' &&
			 ! dmesg | grep -q 'unable to reap pid:$pid'"
	echo "# cgroup memory.current $(cat $cg/memory.current) with the process still there"
	check "its memory came back while it could not exit" \
		bash -c "test -d /proc/$pid && test $(cat $cg/memory.current) -lt $((16 << 20))"
	stop_stall "$fuse" $mnt
	check "it exits once the server is gone" wait_for 30 bash -c "! test -d /proc/$pid"
	wait $pid 2>/dev/null
else
	fail "FUSE server for the OOM test" "$(cat $mnt.out)"
fi
tap_done
