#!/bin/bash
# Bad input through libibverbs on hodp0, each case asserting the outcome the
# IB spec asks for (tests/progs/bad_input.c): bad keys, addresses and rights in
# work requests, refused QP transitions and attributes, oversized objects,
# refused posts, legal zero-length transfers, destroying objects in use,
# refused registrations.
. "$(dirname "$0")/../lib/tap.sh"
run_tap build/guest/bin/bad_input hodp0
# QP1 took an oversized datagram above: rdma_cm, whose CM MADs it carries, still works.
# (The client is refused until the server listens: it tries again.)
timeout "$(scaled 90)" rping -s -a 10.99.0.1 -C 5 > /tmp/rping-server.log 2>&1 &
check "rping after QP1's oversized datagram" bash -c "for i in 1 2 3 4 5; do
	sleep 1; timeout $(scaled 60) rping -c -a 10.99.0.1 -C 5 -V && exit 0; done; exit 1"
wait
tap_done
