#!/bin/bash
# rdma_cm over hodp with rdma-core's own tools: rping (RC, data verified by
# rping -V), ucmatose (several RC connections) and udaddy (UD), over IPv4
# and IPv6 addresses, on hodp0 alone and between hodp0 and hodp1 in another
# network namespace.  (mckey's sender destroys its QP right after posting,
# so its messages may never leave: multicast is tested by tests/progs/mcast
# and pyverbs test_rdmacm instead.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"

# An rdma_cm id listens (each server's are gone before the next starts).
listening() { rdma resource show cm_id | grep -q "state LISTEN"; }

# pair NAME "SERVER CMD" "CLIENT CMD": both must exit 0.  The client starts
# once the server listens: earlier, its connect is rejected.
pair() {
	local name=$1 server=$2 client=$3 out srv rc
	wait_for 10 bash -c "! rdma resource show cm_id | grep -q 'state LISTEN'"
	$server > /tmp/cm-server.log 2>&1 &
	srv=$!
	wait_for 20 listening
	out=$(timeout "$(scaled 120)" $client 2>&1)
	rc=$?
	if timeout "$(scaled 60)" tail --pid=$srv -f /dev/null && wait $srv && [ $rc -eq 0 ]; then
		pass "$name"
	else
		kill $srv 2>/dev/null
		fail "$name" "client exit $rc: $(tail -3 <<< "$out")" \
			"server: $(tail -3 /tmp/cm-server.log)"
	fi
}

# An IPv6 address with its own RoCEv2 GID; no duplicate detection to wait for.
ip addr add fd00:99::1/64 dev veth0 nodad
wait_for 10 grep -q "fd00:0099:0000:0000:0000:0000:0000:0001" \
	/sys/class/infiniband/hodp0/ports/1/gids/*

pair "rping, 50 verified 4 KiB ping-pongs" "rping -s -a 10.99.0.1 -C 50 -S 4096" \
	"rping -c -a 10.99.0.1 -C 50 -S 4096 -V"
pair "rping over IPv6, 20 verified 9000-byte ping-pongs" \
	"rping -s -a fd00:99::1 -C 20 -S 9000" "rping -c -a fd00:99::1 -C 20 -S 9000 -V"
pair "ucmatose, 4 RC connections x 20 messages" "ucmatose -c 4 -C 20" \
	"ucmatose -s 10.99.0.1 -c 4 -C 20"
pair "udaddy, 4 UD endpoints x 20 messages" "udaddy -c 4 -C 20" \
	"udaddy -s 10.99.0.1 -c 4 -C 20"
pair "udaddy over IPv6 (UD address handles with IPv6 GIDs)" \
	"udaddy -b fd00:99::1 -c 2 -C 20" "udaddy -s fd00:99::1 -c 2 -C 20"

# Across the veth pair: framed RoCEv2.
setup_ns1
ip -n ns1 addr add fd00:99::2/64 dev veth1 nodad
wait_for 10 grep -q "fd00:0099:0000:0000:0000:0000:0000:0002" \
	/sys/class/infiniband/hodp1/ports/1/gids/*
pair "rping hodp1 (ns1) <- hodp0 over IPv6, 20 verified" \
	"ip netns exec ns1 rping -s -a fd00:99::2 -C 20 -S 5000" \
	"rping -c -a fd00:99::2 -C 20 -S 5000 -V"
pair "udaddy hodp1 (ns1) <- hodp0 over IPv6" \
	"ip netns exec ns1 udaddy -b fd00:99::2 -c 2 -C 20" "udaddy -s fd00:99::2 -c 2 -C 20"
tap_done
