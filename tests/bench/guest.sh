#!/bin/bash
# Runs in one guest (tests/vm/run): every measurement of make bench, written
# as plain "key value..." lines to build/bench/raw.txt for tests/bench/report.
set -u
cd /project
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/perftest.sh
out=build/bench
mkdir -p $out
raw=$out/raw.txt
: > $raw
bin=build/guest/bin
SECS=${HODP_BENCH_SECONDS:-2}
SIZES="64 1024 4096 16384 65536 1048576"

note() { echo "# $*" >&2; }

{
	echo "kernel $(uname -r)"
	echo "cpus $(nproc)"
	echo "date $(date -u +%F)"
	echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
} >> $raw

note "memcpy"
$bin/memcpy_bw >> $raw

# bench_perf SERVER_DEV CLIENT_DEV ADDR SERVER_PREFIX PATH MODE TOOL: perftest
# pairs, one per message size, each running $SECS seconds (a fixed count of
# iterations is too short to be steady under TCG); their rows as
# "perf PATH DEV MODE TOOL SIZE AVG_MIBS MSGRATE_MPPS".
bench_perf() {
	local dev=$1 cdev=$2 addr=$3 pre=$4 path=$5 mode=$6 tool=$7 args=() s sizes=$SIZES
	[ "$mode" = odp ] && args+=(--odp)
	[ "$tool" = ib_atomic_bw ] && sizes=8
	for s in $sizes; do
		PERFTEST_TIMEOUT=120 perftest_pair "$pre" "$dev" "$cdev" "$addr" "$tool" \
			"${args[@]}" -s "$s" -D "$SECS"
		[ $perf_rc -eq 0 ] ||
			echo "perf_error $path $dev $mode $tool $s: $(tail -2 <<< "$perf_out" | tr '\n' ' ')" >> $raw
		awk -v p="$path" -v d="$dev" -v m="$mode" -v t="$tool" '
			$1 ~ /^[0-9]+$/ && NF >= 5 && $2 ~ /^[0-9]+$/ && $4 ~ /^[0-9.]+$/ &&
			$5 ~ /^[0-9.]+$/ {
				print "perf", p, d, m, t, $1, $4, $5 }' <<< "$perf_out" >> $raw
	done
}

note "rxe0 on veth1 next to hodp0 on veth0"
modprobe rdma_rxe
rdma link add rxe0 type rxe netdev veth1
wait_for 10 grep -q "ffff:0a63:0002" /sys/class/infiniband/rxe0/ports/1/gids/1
for dev in hodp0 rxe0; do
	addr=10.99.0.1
	[ $dev = rxe0 ] && addr=10.99.0.2
	for mode in pinned odp; do
		for tool in ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw; do
			note "loopback $dev $mode $tool"
			bench_perf $dev $dev $addr "" loopback $mode $tool
		done
	done
done
# ODP against pinned at steady state: single 2 s runs differ by a third from
# run to run under TCG, so five alternating rounds of 4 s each, as rows
# "steady TOOL MODE ROUND AVG_MIBS"; the report takes medians.
for tool in ib_write_bw ib_read_bw ib_send_bw; do
	for round in 1 2 3 4 5; do
		for mode in pinned odp; do
			note "steady 1 MiB $tool $mode, round $round"
			args=()
			[ "$mode" = odp ] && args+=(--odp)
			PERFTEST_TIMEOUT=120 perftest_pair "" hodp0 hodp0 10.99.0.1 $tool \
				"${args[@]}" -s 1048576 -D 4
			awk -v t=$tool -v m=$mode -v r=$round '
				$1 == 1048576 && NF >= 5 && $4 ~ /^[0-9.]+$/ {
					print "steady", t, m, r, $4 }' <<< "$perf_out" >> $raw
		done
	done
done

# The limit target: the host's memory bandwidth drifts over minutes, so the
# 64 KiB ODP WRITE and the memcpy it is held against are taken next to each
# other, five times, as rows "limit ROUND MEMCPY_MIBS ODP_WRITE_MIBS".
for round in 1 2 3 4 5; do
	note "64 KiB ODP WRITE against memcpy, round $round"
	m=$($bin/memcpy_bw | awk '$2 == 65536 { print $3 }')
	PERFTEST_TIMEOUT=120 perftest_pair "" hodp0 hodp0 10.99.0.1 ib_write_bw --odp \
		-s 65536 -D "$SECS"
	w=$(awk '$1 == 65536 && NF >= 5 && $4 ~ /^[0-9.]+$/ { print $4 }' <<< "$perf_out")
	[ -n "$m" ] && [ -n "$w" ] && echo "limit $round $m $w" >> $raw
done

# The same comparison with everything but the kind of MR held fixed
# (tests/bench/odp_ab.c): one process, the same pages under a pinned and an
# ODP MR, rounds alternating; with the engine's workers on vCPU 1 and the
# program on vCPU 0 so that its polling does not take the engine's CPU.
# Rows "ab PAGES OP MODE ROUND MIBS".
cpumask=/sys/devices/virtual/workqueue/cpumask
saved_mask=$(cat $cpumask)
pin=()
if [ "$(nproc)" -ge 2 ]; then
	echo 2 > $cpumask
	pin=(taskset -c 0)
fi
for pages in 4k thp; do
	note "ODP against pinned on the same pages ($pages)"
	"${pin[@]}" $bin/odp_ab hodp0 $pages 7 2 > $out/ab-$pages.txt 2>&1 ||
		echo "ab_error $pages $(tail -1 $out/ab-$pages.txt)" >> $raw
	sed -n "s/^ab /ab $pages /p" $out/ab-$pages.txt >> $raw
done
echo "$saved_mask" > $cpumask

note "rxe0 first touch"
$bin/odp_costs rxe0 basic > $out/rxe-costs.txt 2>&1 ||
	echo "rxe_error $(grep -vE '^(first_touch|steady) ' $out/rxe-costs.txt | tail -1)" >> $raw
grep -E '^(first_touch|steady) ' $out/rxe-costs.txt | sed 's/^/rxe /' >> $raw

# The clients of tests/suites/clients.sh on hodp0 and on rxe0, 1 MiB messages:
# UCX (UCT put and get zcopy over rc_verbs, UCP tag with UCX's choice of IB
# transports) and Open MPI's ring (tests/progs/mpi_check).  Rows "client DEV
# TEST MBPS", or "client_error DEV TEST WHY".
ucx_bench() {
	local dev=$1 test=$2 server=$3 client=$4 res
	env UCX_NET_DEVICES=$dev:1 UCX_TLS=^shm,cma,tcp timeout 180 \
		ucx_perftest -P 0 -p 13500 $server > $out/ucx-server.log 2>&1 &
	wait_for 60 bash -c "ss -ltn 'sport = :13500' | grep -q LISTEN"
	res=$(env UCX_NET_DEVICES=$dev:1 UCX_TLS=^shm,cma,tcp timeout 180 \
		ucx_perftest -P 0 -p 13500 127.0.0.1 $client 2>&1)
	wait
	awk -v d=$dev -v t=$test '$1 == "Final:" { print "client", d, t, $7; found = 1 }
		END { if (!found) exit 1 }' <<< "$res" >> $raw ||
		echo "client_error $dev $test $(grep -m1 -E 'ERROR|Fatal' <<< "$res" | cut -c1-160)" >> $raw
}
for dev in hodp0 rxe0; do
	note "clients on $dev"
	ucx_bench $dev uct_put "-d $dev:1 -x rc_verbs" \
		"-d $dev:1 -x rc_verbs -t put_bw -D zcopy -s 1048576 -n 1000"
	ucx_bench $dev uct_get "-d $dev:1 -x rc_verbs" \
		"-d $dev:1 -x rc_verbs -t get_bw -D zcopy -s 1048576 -n 1000"
	ucx_bench $dev ucp_tag "" "-t tag_bw -s 1048576 -n 500"
	mout=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 300 \
		mpirun -np 2 --mca pml ucx -x UCX_TLS=^shm,cma,tcp -x UCX_NET_DEVICES=$dev:1 \
		$bin/mpi_check 1048576 64 2>&1)
	awk -v d=$dev '$1 == "ok" && $2 == "ring:" { print "client", d, "mpi_ring", $(NF - 3); found = 1 }
		END { if (!found) exit 1 }' <<< "$mout" >> $raw ||
		echo "client_error $dev mpi_ring $(grep -m1 -E 'ERROR|Fatal|not ok' <<< "$mout" | cut -c1-160)" >> $raw
done
rdma link delete rxe0

note "hodp0 -> hodp1 across namespaces"
setup_ns1 > /dev/null
for mode in pinned odp; do
	for tool in ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw; do
		note "two-ns hodp $mode $tool"
		bench_perf hodp1 hodp0 10.99.0.2 "ip netns exec ns1" two-ns $mode $tool
	done
done

note "ODP costs (fault latency from the hodp_odp_fault_done trace event)"
tr=/sys/kernel/tracing
mountpoint -q $tr || mount -t tracefs nodev $tr
echo 16384 > $tr/buffer_size_kb
echo 1 > $tr/events/hodp/hodp_odp_fault_done/enable
echo > $tr/trace
$bin/odp_costs hodp0 >> $raw
echo 0 > $tr/events/hodp/hodp_odp_fault_done/enable
grep -o 'latency_ns=[0-9]*' $tr/trace | cut -d= -f2 | sort -n |
	awk '{ v[NR] = $1 }
	     END {
		if (!NR)
			exit
		p50 = int(NR * 0.5) + 1
		p99 = int(NR * 0.99) + 1
		if (p99 > NR)
			p99 = NR
		printf "fault_latency_us %d %.1f %.1f\n", NR, v[p50] / 1000, v[p99] / 1000
	     }' >> $raw
dmesg | grep -E 'WARNING: drivers/infiniband/sw/rxe/' | sed 's/^/rxe_warning /' >> $raw
note "done"
