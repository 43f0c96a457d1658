# Second host for guest suites.  Sourced after tap.sh.
#
# setup_ns1: move veth1 into network namespace ns1 (10.99.0.2/24) and bind
# hodp1 to it there, so that traffic between hodp0 and hodp1 really crosses
# the veth pair as framed RoCEv2.
setup_ns1() {
	mkdir -p /run/netns
	mountpoint -q /run/netns || mount -t tmpfs tmpfs /run/netns
	ip netns add ns1
	ip link set veth1 netns ns1
	ip -n ns1 addr add 10.99.0.2/24 dev veth1
	ip -n ns1 link set veth1 up
	ip -n ns1 link set lo up
	ip netns exec ns1 rdma link add hodp1 type hodp netdev veth1
	wait_for 10 grep -q "0000:0000:0000:0000:0000:ffff:0a63:0002" \
		/sys/class/infiniband/hodp1/ports/1/gids/1
}
