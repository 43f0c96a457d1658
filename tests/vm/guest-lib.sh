# Guest-side helpers, sourced by tests/vm/guest-init and by suites that set
# up hodp themselves (tests/install/).

# hodp0_up: veth0 10.99.0.1/24 <-> veth1 10.99.0.2/24 up and hodp0 bound to
# veth0 (hodp.ko is loaded, or autoloaded by "rdma link add"), once its RoCEv2
# GID for 10.99.0.1 is there.
hodp0_up() {
	local gid i
	modprobe veth
	ip link add veth0 type veth peer name veth1
	ip addr add 10.99.0.1/24 dev veth0
	ip addr add 10.99.0.2/24 dev veth1
	ip link set veth0 up
	ip link set veth1 up
	rdma link add hodp0 type hodp netdev veth0 || return 1
	# The GID appears asynchronously.
	gid=/sys/class/infiniband/hodp0/ports/1/gids/1
	for i in $(seq 100); do
		grep -q "0000:0000:0000:0000:0000:ffff:0a63:0001" "$gid" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "hodp0: RoCEv2 GID for 10.99.0.1 never appeared" >&2
	return 1
}
