#!/bin/bash
# A local user who does not play by the rules (tests/progs/hostile.c), run
# as nobody: responder resources grown in SQD, a false current QP state,
# write access added by re-registration to a read-only file mapping, a
# scribbled SQ producer index, the completion ring's bytes, key guessing,
# ring memory charged to the user's memory cgroup.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/user.sh"
bin=build/guest/bin

# A file nobody may read but not write: 64 KiB of "A".
ro=/tmp/hostile-ro
head -c 65536 /dev/zero | tr '\0' A > $ro
chmod 0644 $ro
check "nobody may not write the file" bash -c "! $as_user_cmd sh -c ': >> $ro' 2>/dev/null"

# In a memory cgroup of its own, whose charge it reads.
cg=/sys/fs/cgroup/hostile
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg
chmod 0666 /dev/infiniband/uverbs*
run_tap bash -c "echo \$\$ > $cg/cgroup.procs && exec $as_user_cmd $bin/hostile hodp0 $ro"
check "the file still holds only A" bash -c "! tr -d A < $ro | grep -q ."
tap_done
