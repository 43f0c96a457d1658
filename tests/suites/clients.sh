#!/bin/bash
# The clients people run over RDMA, unchanged, on hodp (trixie's packages):
# UCX 1.18 (UCT rc_verbs and ud_verbs; UCP tag, put and get with UCX's own
# choice of IB transports, UD wire-up included; UCX's ODP registration), Open
# MPI 5 over UCX (tests/progs/mpi_check: every byte of a ring, of MPI_Put and
# MPI_Get into a window and of an alltoall checked), libfabric's verbs
# provider (rdm through ofi_rxm, and msg; data checked by fi_pingpong -c),
# qperf's RC tests over rdma_cm, and tshark decoding hodp's frames.  Each
# case asserts its outcome (exit status and final report, checked bytes,
# counters, decoded headers); the figures are printed as comments, and
# make bench measures them.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"

setup_ns1
bin=$(dirname "$0")/../../build/guest/bin
in_ns1="ip netns exec ns1"
port=13000

# Both processes share this kernel, so UCX would pick shared memory or TCP
# over them; excluded, UCX chooses among the IB transports as on two hosts.
ib_tls=UCX_TLS=^shm,cma,tcp

# listening "WHERE" PORT: a TCP socket listens on PORT (WHERE: "" or a
# command prefix such as "ip netns exec ns1").
listening() { $1 ss -ltn "sport = :$2" | grep -q LISTEN; }

# ucx NAME "SERVER" "CLIENT" [VAR=VALUE...]: ucx_perftest's server (SERVER:
# where and its options) and client (CLIENT: where, its options and the
# server's address), with the environment given; both exit 0, the client
# reports its final figures, and UCX logs no error.  Sets $ucx_final.
ucx() {
	local name=$1 server=$2 client=$3 out srv rc errs
	shift 3
	port=$((port + 1))
	env "$@" timeout "$(scaled 300)" $server -P 0 -p $port > /tmp/ucx-server.log 2>&1 &
	srv=$!
	wait_for 60 listening "${server%%ucx_perftest*}" $port	# its prefix
	out=$(env "$@" timeout "$(scaled 300)" $client -P 0 -p $port 2>&1)
	rc=$?
	ucx_final=$(grep '^Final:' <<< "$out")
	errs=$(cat /tmp/ucx-server.log - <<< "$out" | grep 'UCX  ERROR' |
		grep -v "${ucx_allow_error:-^$}")
	if timeout "$(scaled 60)" tail --pid=$srv -f /dev/null && wait $srv && [ $rc -eq 0 ] &&
		[ -n "$ucx_final" ] && [ -z "$errs" ]; then
		pass "$name"
		note "  $ucx_final"
	else
		kill $srv 2>/dev/null
		fail "$name" "client exit $rc: $(tail -5 <<< "$out")" \
			"server: $(tail -5 /tmp/ucx-server.log)" "UCX errors: $errs"
	fi
}

# UCT, hodp0 to itself: the transports one by one.
uct() { ucx "$1" "ucx_perftest -d hodp0:1 -x $2" "ucx_perftest 127.0.0.1 -d hodp0:1 -x $2 $3"; }
uct "UCT rc_verbs put_bw zcopy, 200 x 1 MiB" rc_verbs "-t put_bw -D zcopy -s 1048576 -n 200"
uct "UCT rc_verbs get_bw zcopy, 200 x 1 MiB" rc_verbs "-t get_bw -D zcopy -s 1048576 -n 200"
uct "UCT rc_verbs am_bw bcopy, 2000 x 4 KiB" rc_verbs "-t am_bw -D bcopy -s 4096 -n 2000"
uct "UCT rc_verbs am_lat, 2000 x 8 B" rc_verbs "-t am_lat -s 8 -n 2000"
# (A UD bcopy is at most the MTU, 1024, less UCX's header of 8.)
uct "UCT ud_verbs am_bw bcopy, 2000 x 1016 B" ud_verbs "-t am_bw -D bcopy -s 1016 -n 2000"
uct "UCT ud_verbs am_lat, 2000 x 8 B" ud_verbs "-t am_lat -s 8 -n 2000"

# UCP between hodp1 (ns1) and hodp0: wire-up over ud_verbs, data over the
# lanes UCX picks (printed by UCX_PROTO_INFO).
ucp() {
	ucx "$1" "$in_ns1 env UCX_NET_DEVICES=hodp1:1 ucx_perftest" \
		"env UCX_NET_DEVICES=hodp0:1 ucx_perftest 10.99.0.2 $2" $ib_tls UCX_PROTO_INFO=y
}
ucp "UCP tag_bw, 200 x 1 MiB (rendezvous)" "-t tag_bw -s 1048576 -n 200"
ucp "UCP tag_lat, 2000 x 8 B" "-t tag_lat -s 8 -n 2000"
# UCP asks rc_verbs for a remote flush when the test ends, which UCX 1.18's
# rc_verbs (on any device) does not have: it logs that, and goes on.
ucx_allow_error="flush(remote) is not supported\|error during flush"
ucp "UCP ucp_put_bw, 200 x 1 MiB" "-t ucp_put_bw -s 1048576 -n 200"
ucx_allow_error=
ucp "UCP ucp_get, 200 x 1 MiB" "-t ucp_get -s 1048576 -n 200"

# UCX's ODP registration (1.18: a registration with the NONBLOCK flag, on a
# device whose odp_caps say IBV_ODP_SUPPORT): ucx_perftest -B.  The MRs'
# own counters, sampled while the test runs, show ODP serving it.
odp_counter() { rdma statistic show link hodp0/1 | grep -oP "\b$1 \K[0-9]+"; }
sample_mrs() { while :; do rdma statistic show mr >> /tmp/mr-stats.log; sleep 0.2; done; }
ucx_odp() {
	local name=$1 args=$2 faults0 faults sampler busiest
	faults0=$(odp_counter odp_page_faults_handled)
	: > /tmp/mr-stats.log
	sample_mrs &
	sampler=$!
	ucx "$name" "ucx_perftest -d hodp0:1 -x rc_verbs" \
		"ucx_perftest 127.0.0.1 -d hodp0:1 -x rc_verbs $args -B" UCX_IB_ODP_PREFETCH=n
	kill $sampler
	wait $sampler 2>/dev/null
	faults=$(($(odp_counter odp_page_faults_handled) - faults0))
	# The counters of hodp0's MR with the most pages mapped, in the sample
	# where it had the most.
	busiest=$(awk '/^dev/ { mr = $2 == "hodp0" ? $4 : ""; block = $0; next }
		mr { block = block "\n" $0 }
		mr && /pages_mapped/ { peak = $2 > most; if (peak) most = $2 }
		mr && peak && /page_prefetch/ { best = block; peak = 0 }
		END { if (most) print best }' /tmp/mr-stats.log)
	check "$name: ODP faults served it ($faults handled) and an MR shows pages mapped" \
		test "$faults" -gt 0 -a -n "$busiest"
	note "$busiest"
}
ucx_odp "UCX ODP registration, UCT put_bw zcopy, 1000 x 1 MiB" "-t put_bw -D zcopy -s 1048576 -n 1000"
ucx_odp "UCX ODP registration, UCT get_bw zcopy, 1000 x 1 MiB" "-t get_bw -D zcopy -s 1048576 -n 1000"

# Open MPI over UCX, two ranks on hodp0.
mpi() {
	local name=$1 out rc
	shift
	out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout "$(scaled 600)" \
		mpirun -np 2 --mca pml ucx --mca osc ucx \
		-x "$ib_tls" -x UCX_NET_DEVICES=hodp0:1 "$@" "$bin/mpi_check" 4194304 8 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ "$(grep -c '^ok ' <<< "$out")" = 4 ]; then
		pass "$name"
		note "$(grep '^ok ' <<< "$out" | sed 's/^/  /')"
	else
		fail "$name" "mpirun exit $rc" "$(tail -20 <<< "$out")"
	fi
}
mpi "Open MPI over UCX, 2 ranks: ring, MPI_Put/MPI_Get, alltoall, every byte checked"
faults0=$(odp_counter odp_page_faults_handled)
mpi "Open MPI over UCX with ODP registration (UCX_REG_NONBLOCK_MEM_TYPES=host)" \
	-x UCX_REG_NONBLOCK_MEM_TYPES=host
faults=$(($(odp_counter odp_page_faults_handled) - faults0))
check "Open MPI with ODP registration: ODP faults served it ($faults handled)" test "$faults" -gt 0

# libfabric's verbs provider, hodp0 to hodp1 (ns1), payload checked (-c).
fabric() {
	local name=$1 prov=$2 ep=$3 out rc srv
	$in_ns1 timeout "$(scaled 120)" fi_pingpong -p "$prov" -e "$ep" -s 10.99.0.2 -c -I 100 \
		-S 65536 > /tmp/fi-server.log 2>&1 &
	srv=$!
	wait_for 30 listening "$in_ns1" 47592
	out=$(timeout "$(scaled 120)" fi_pingpong -p "$prov" -e "$ep" -c -I 100 -S 65536 \
		10.99.0.2 2>&1)
	rc=$?
	if wait $srv && [ $rc -eq 0 ] && grep -qE '^64k +100 += *100 ' <<< "$out"; then
		pass "$name"
		note "  $(tail -1 <<< "$out")"
	else
		fail "$name" "client exit $rc: $(tail -3 <<< "$out")" \
			"server: $(tail -3 /tmp/fi-server.log)"
	fi
}
fabric "libfabric verbs;ofi_rxm rdm fi_pingpong -c, 100 x 64 KiB" "verbs;ofi_rxm" rdm
fabric "libfabric verbs msg fi_pingpong -c, 100 x 64 KiB" verbs msg

# qperf's RC tests, hodp0 to hodp1 (ns1), connected through rdma_cm.
$in_ns1 timeout "$(scaled 300)" qperf > /tmp/qperf-server.log 2>&1 &
qsrv=$!
wait_for 30 listening "$in_ns1" 19765
out=$(timeout "$(scaled 240)" qperf -cm1 10.99.0.2 -t 3 rc_bw rc_rdma_write_bw \
	rc_rdma_read_bw rc_lat 2>&1)
rc=$?
kill $qsrv 2>/dev/null
for t in rc_bw rc_rdma_write_bw rc_rdma_read_bw rc_lat; do
	if [ $rc -eq 0 ] && grep -A1 "^$t:" <<< "$out" | grep -qE '(bw|latency) += +[0-9.]+ '; then
		pass "qperf -cm1 $t"
		note "  $(grep -A1 "^$t:" <<< "$out" | tail -1)"
	else
		fail "qperf -cm1 $t" "exit $rc" "$(tail -6 <<< "$out")"
	fi
done

# tshark on veth1 decodes the RoCEv2 frames of a ping-pong between hodp0 and
# hodp1: 4 KiB SENDs at MTU 1024 are SEND FIRST, MIDDLE, MIDDLE, LAST to the
# peer's QPN from the PSN each side announced, and the ACKs come back.
$in_ns1 tshark -i veth1 -f "udp port 4791" -w /tmp/roce.pcap > /tmp/tshark.log 2>&1 &
tsh=$!
wait_for 60 grep -q "^Capturing on" /tmp/tshark.log
$in_ns1 timeout "$(scaled 60)" ibv_rc_pingpong -d hodp1 -g 1 -m 1024 -s 4096 -n 5 \
	> /tmp/pp-server.log 2>&1 &
pps=$!
wait_for 30 listening "$in_ns1" 18515
ppc=$(timeout "$(scaled 60)" ibv_rc_pingpong -d hodp0 -g 1 -m 1024 -s 4096 -n 5 10.99.0.2 2>&1)
wait $pps
sleep 2
kill -INT $tsh
wait $tsh
# "local address: ... QPN 0x000011, PSN 0xa4d70e, ..." of each side.
qpn() { grep -oP "$1 address:.*QPN \K0x[0-9a-f]+" <<< "$2"; }
psn() { grep -oP "$1 address:.*PSN \K0x[0-9a-f]+" <<< "$2"; }
frames=$(tshark -r /tmp/roce.pcap -T fields -e ip.src -e infiniband.bth.opcode \
	-e infiniband.bth.destqp -e infiniband.bth.psn 2>/dev/null)
note "$(wc -l <<< "$frames") frames captured"
# sends FROM_IP PEER_QPN FIRST_PSN: the opcodes of the first message hodp sent.
sends() {
	awk -v src="$1" -v qp="$2" -v psn="$(($3))" '$1 == src && $3 == qp && $2 <= 2 {
		printf "%s@%d ", $2, $4 - psn }' <<< "$frames" | cut -d' ' -f1-4
}
check "tshark: hodp0's first 4 KiB SEND is FIRST, MIDDLE, MIDDLE, LAST to hodp1's QPN" \
	test "$(sends 10.99.0.1 "$(qpn remote "$ppc")" "$(psn local "$ppc")")" = "0@0 1@1 1@2 2@3"
check "tshark: hodp1's first 4 KiB SEND is FIRST, MIDDLE, MIDDLE, LAST to hodp0's QPN" \
	test "$(sends 10.99.0.2 "$(qpn local "$ppc")" "$(psn remote "$ppc")")" = "0@0 1@1 1@2 2@3"
check "tshark: ACKs (opcode 17) from both sides" \
	test "$(awk '$2 == 17 { print $1 }' <<< "$frames" | sort -u | wc -l)" = 2
tap_done
