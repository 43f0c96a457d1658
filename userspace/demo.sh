#!/bin/bash
# make demo: runs in a fresh guest (tests/vm/run) and shows what hodp does.
set -e
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "hodp0 is an RDMA link on veth0 (rdma link add hodp0 type hodp netdev veth0)"
rdma link show
step "libibverbs finds it through the hodp provider"
ibv_devices
step "device and port (RoCEv2 GIDs from veth0's addresses)"
ibv_devinfo -v -d hodp0 | grep -E 'hca_id|transport|fw_ver|node_guid|max_qp:|max_mr_size|state|active_mtu|link_layer|GID'
step "the port follows the carrier: veth1 down, then up"
ip link set veth1 down
sleep 0.5
ibv_devinfo -d hodp0 | grep -E 'state'
ip link set veth1 up
sleep 0.5
ibv_devinfo -d hodp0 | grep -E 'state'
step "a second device on veth1, then its removal"
rdma link add hodp1 type hodp netdev veth1
sleep 0.5
ibv_devices
rdma link delete hodp1
step "protection domains through the provider"
build/guest/bin/pd_basic hodp0
step "RC traffic between two QPs on hodp0: ibv_rc_pingpong, 1000 x 4 KiB"
ibv_rc_pingpong -d hodp0 -g 1 -n 1000 > /tmp/pp-server.log 2>&1 &
sleep 1
ibv_rc_pingpong -d hodp0 -g 1 -n 1000 localhost | grep -E "bytes in|iters in"
wait
step "UD traffic: ibv_ud_pingpong"
ibv_ud_pingpong -d hodp0 -g 1 -n 500 > /tmp/ud-server.log 2>&1 &
sleep 1
ibv_ud_pingpong -d hodp0 -g 1 -n 500 localhost | grep -E "bytes in|iters in"
wait
step "every work-request type, verified byte for byte, loopback on hodp0"
build/guest/bin/xfer hodp0 hodp0 demo | tail -1
step "on-demand paging: ib_write_bw --odp, 1 MiB messages, nothing pinned"
ib_write_bw -d hodp0 -x 1 -s 1048576 -n 200 --odp > /tmp/odp-server.log 2>&1 &
sleep 1
ib_write_bw -d hodp0 -x 1 -s 1048576 -n 200 --odp 10.99.0.1 | grep -A1 -E "#bytes"
wait
for c in odp_page_faults odp_page_faults_handled odp_pages_mapped odp_page_invalidations; do
	printf '  %-26s %s\n' "$c" "$(cat /sys/class/infiniband/hodp0/ports/1/hw_counters/$c)"
done
step "implicit ODP: one MR for the whole address space (userspace/implicit_odp.c)"
build/guest/bin/implicit_odp hodp0
step "device counters"
rdma statistic show link hodp0/1
