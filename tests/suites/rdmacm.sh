#!/bin/bash
# rdma_cm over hodp with rdma-core's own tools: rping (RC, data verified by
# rping -V), ucmatose (several RC connections) and udaddy (UD), each with its
# server on hodp0's address.
. "$(dirname "$0")/../lib/tap.sh"

# pair NAME "SERVER CMD" "CLIENT CMD": both must exit 0.
pair() {
	local name=$1 server=$2 client=$3 out srv rc
	$server > /tmp/cm-server.log 2>&1 &
	srv=$!
	sleep 1
	out=$(timeout 120 $client 2>&1)
	rc=$?
	if wait $srv && [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "client exit $rc: $(tail -3 <<< "$out")" \
			"server: $(tail -3 /tmp/cm-server.log)"
	fi
}

pair "rping, 50 verified 4 KiB ping-pongs" "rping -s -a 10.99.0.1 -C 50 -S 4096" \
	"rping -c -a 10.99.0.1 -C 50 -S 4096 -V"
pair "ucmatose, 4 RC connections x 20 messages" "ucmatose -c 4 -C 20" \
	"ucmatose -s 10.99.0.1 -c 4 -C 20"
pair "udaddy, 4 UD endpoints x 20 messages" "udaddy -c 4 -C 20" \
	"udaddy -s 10.99.0.1 -c 4 -C 20"
tap_done
