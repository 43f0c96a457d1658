#!/bin/bash
# Teardown with ODP traffic in flight: kill -9 at random moments, the
# netdev going down and up, rdma link delete of a device whose processes
# still hold ODP MRs and QPs, and rmmod afterwards.  Each round must end
# without a hang (every step is time-bounded), with nothing left behind,
# and the device (re-created where it was deleted) carrying verified traffic.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin
rounds=${STRESS_ROUNDS:-6}
RANDOM=${STRESS_SEED:-1}

verified() { $bin/xfer "$1" "$1" "$2" > /tmp/xfer.log 2>&1 || { grep '^not ok' /tmp/xfer.log; false; }; }

# stop_pair: kill -9 both (the server may have ended with its client).
stop_pair() { { kill -9 $cli $srv; wait $cli $srv; } 2> /dev/null; }

# start_pair TOOL: an --odp perftest pair on hodp0; sets $srv and $cli.
start_pair() {
	$1 -d hodp0 -x 1 --odp -s 65536 -D 120 > /dev/null 2>&1 &
	srv=$!
	sleep 1
	$1 -d hodp0 -x 1 --odp -s 65536 -D 120 10.99.0.1 > /dev/null 2>&1 &
	cli=$!
}

tools=(ib_write_bw ib_read_bw ib_send_bw)
before=$(resources hodp0)
n_kill=0 n_flap=0
for ((r = 0; r < rounds; r++)); do
	start_pair "${tools[r % 3]}"
	sleep $((2 + RANDOM % 4))
	{ kill -9 $cli; wait $cli; } 2> /dev/null
	sleep 0.$((RANDOM % 10))
	stop_pair
	n_kill=$((n_kill + 1))
	start_pair "${tools[(r + 1) % 3]}"
	sleep $((2 + RANDOM % 3))
	ip link set veth0 down
	sleep 0.$((RANDOM % 10))
	ip link set veth0 up
	n_flap=$((n_flap + 1))
	sleep 1
	stop_pair
done
check "$n_kill kill -9 rounds and $n_flap netdev flaps mid-transfer leave no object behind" \
	wait_for 20 resources_are hodp0 "$before"
check "hodp0 carries verified traffic after the rounds" verified hodp0 after-rounds

# rdma link delete while processes hold ODP MRs and QPs with traffic running:
# the unregister waits for them; once they are killed it must finish.
start_pair ib_write_bw
sleep 3
timeout "$(scaled 60)" rdma link delete hodp0 &
del=$!
sleep 2
stop_pair
wait $del
rc=$?
check "rdma link delete under ODP traffic completes once its users die" test $rc -eq 0
check "hodp0 is gone" bash -c "! rdma link show | grep -q hodp0"
check "hodp0 can be added again" rdma link add hodp0 type hodp netdev veth0
check "the new hodp0 gets its GID" \
	wait_for 10 grep -q "ffff:0a63:0001" /sys/class/infiniband/hodp0/ports/1/gids/1
check "the new hodp0 carries verified traffic" verified hodp0 re-added

# Module unload with a device present and a process that just exited.
start_pair ib_read_bw
sleep 3
stop_pair
check "rmmod hodp right after the last user died" timeout "$(scaled 60)" rmmod hodp
check "modprobe hodp and rdma link add again" \
	bash -c "modprobe hodp && rdma link add hodp0 type hodp netdev veth0"
tap_done
