#!/bin/bash
# XRC (tests/progs/xrc): two processes sharing one XRC domain through a file,
# one creating the target QP and sending through an initiator, the other
# opening that QP and owning the SRQs and memory (pinned, explicit and
# implicit ODP) the requests land in; every byte checked.  In loopback (as
# root, then as nobody), and between hodp0 and hodp1 in another network namespace.
# rdma-core's own XRC tests run in the pyverbs suites (and test_odp's in odp).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/user.sh"
bin=build/guest/bin

check "ibv_devinfo shows XRC, and XRC ODP for sends, SRQ receives, writes, reads and atomics" \
	bash -c "ibv_devinfo -v -d hodp0 | grep -q 'XRC' &&
		 ibv_devinfo -v -d hodp0 | grep -A7 xrc_odp_caps | tr -d '\t' | tr '\n' ' ' |
		 grep -q 'SUPPORT_SEND SUPPORT_WRITE SUPPORT_READ SUPPORT_ATOMIC SUPPORT_SRQ'"
run_tap $bin/xrc hodp0 hodp0 loopback
run_tap $as_user_cmd $bin/xrc hodp0 hodp0 loopback-nobody
check "namespace ns1 with hodp1 on veth1" setup_ns1
run_tap $bin/xrc hodp0 hodp1 two-ns
check "no XRC object is left behind" \
	bash -c "! rdma resource show qp | grep -q XRC && ! rdma resource show srq | grep -q XRC"
tap_done
