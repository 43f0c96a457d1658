#!/bin/bash
# The hodp device: link add/delete, attributes, port and GIDs following the
# netdev, errors for bad links, and module unload with devices present.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin

devinfo() { ibv_devinfo -v -d "${1:-hodp0}"; }
port_state() { devinfo "$2" | grep -q "state:.*$1"; }
has_gid() { devinfo | grep -q "GID.*$1, RoCE v2"; }
no_gid() { ! has_gid "$1"; }
is_listed() { ibv_devices | grep -qw "$1"; }
not_listed() { ! is_listed "$1"; }

check "ibv_devices lists hodp0" is_listed hodp0
check "rdma link shows hodp0 on veth0" bash -c "rdma link show | grep -E 'hodp0/1 state ACTIVE .*netdev veth0'"
out=$(devinfo)
check "port is an Ethernet port in PORT_ACTIVE" \
	bash -c "grep -q 'link_layer:.*Ethernet' <<< '$out' && grep -q 'state:.*PORT_ACTIVE' <<< '$out'"
check "GID 1 is the RoCEv2 GID of 10.99.0.1" has_gid "::ffff:10.99.0.1"
IFS=: read -r m0 m1 m2 m3 m4 m5 < /sys/class/net/veth0/address
guid=$(printf '%02x%s:%sff:fe%s:%s%s' $((0x$m0 ^ 2)) "$m1" "$m2" "$m3" "$m4" "$m5")
check "node GUID is the EUI-64 of veth0's MAC" bash -c "grep -q 'node_guid:[[:space:]]*$guid\$' <<< '$out'"
check "device and port limits are sane" bash -c "grep -q 'max_qp:.*65536' <<< '$out' && \
	grep -q 'max_msg_sz:.*0x80000000' <<< '$out' && grep -q 'max_mtu:.*4096' <<< '$out'"
check "PDs, port and GID queries through the provider" $bin/pd_basic hodp0

# MTU follows the netdev: 1500 leaves room for a 1024-byte RoCE payload, 9000 for 4096.
check "active MTU 1024 at netdev MTU 1500" bash -c "ibv_devinfo -d hodp0 | grep -q 'active_mtu:.*1024'"
ip link set veth0 mtu 9000
check "active MTU 4096 at netdev MTU 9000" bash -c "ibv_devinfo -d hodp0 | grep -q 'active_mtu:.*4096'"
ip link set veth0 mtu 1500

# Port state and events follow the carrier (veth0 loses it when veth1 goes down).
# carrier_step UP|DOWN STATE EVENT: toggle veth1, expect STATE and EVENT on hodp0.
carrier_step() {
	local how=$1 state=$2 event=$3 ev
	$bin/async_events hodp0 "$event" 20 > /tmp/ev_$event &
	ev=$!
	wait_for 10 grep -q ready /tmp/ev_$event
	ip link set veth1 "${how,,}"
	check "port state $state when the carrier goes ${how,,}" wait_for 10 port_state "$state"
	check "$event event when the carrier goes ${how,,}" wait $ev
}
carrier_step DOWN PORT_DOWN PORT_ERR
carrier_step UP PORT_ACTIVE PORT_ACTIVE

# GIDs follow the netdev's addresses.
ip addr add 10.99.7.1/24 dev veth0
check "an IPv4 address added to veth0 becomes a GID" wait_for 10 has_gid "::ffff:10.99.7.1"
ip addr del 10.99.7.1/24 dev veth0
check "a removed IPv4 address leaves the GID table" wait_for 10 no_gid "::ffff:10.99.7.1"
ip -6 addr add fd00:99::1/64 dev veth0 nodad
check "an IPv6 address added to veth0 becomes a GID" wait_for 10 has_gid "fd00:99::1"

# Bad links give clear errors and create nothing.
check_fails "unknown netdev is refused" "no such device|not found|invalid" \
	rdma link add hodp9 type hodp netdev nosuchnetdev0
check_fails "second device on the same netdev is refused" "exists" \
	rdma link add hodp9 type hodp netdev veth0
check_fails "non-Ethernet netdev (lo) is refused" "invalid argument" \
	rdma link add hodp9 type hodp netdev lo
check_fails "a name without the hodp prefix is refused" "invalid argument" \
	rdma link add foo0 type hodp netdev veth1
check "no device was left behind by the refused links" \
	bash -c "! ibv_devices | grep -qE 'hodp9|foo0'"

# The engine's state per QP in debugfs (what a test prints when a
# completion never comes) lists QPs while they live.
qps=/sys/kernel/debug/hodp/hodp0/qps
ibv_rc_pingpong -d hodp0 -g 1 > /dev/null 2>&1 &
pp=$!
check "debugfs hodp0/qps shows a waiting RC QP" wait_for 10 grep -q ' RC INIT ' $qps
kill $pp
wait $pp 2>/dev/null
check "and no longer once it is destroyed" wait_for 10 bash -c "! grep -q ' RC ' $qps"

# A second device and its deletion.
check "hodp1 on veth1" rdma link add hodp1 type hodp netdev veth1
check "hodp1 is listed and active" wait_for 10 port_state PORT_ACTIVE hodp1
check "hodp1 has the GID of 10.99.0.2" bash -c "ibv_devinfo -v -d hodp1 | grep -q '::ffff:10.99.0.2'"
check "rdma link delete hodp1" rdma link delete hodp1
check "hodp1 is gone" wait_for 10 not_listed hodp1
check "hodp1 can be created again" rdma link add hodp1 type hodp netdev veth1
check "deleted again" rdma link delete hodp1
check "its debugfs directory went with it" \
	bash -c "test -d /sys/kernel/debug/hodp && test ! -e /sys/kernel/debug/hodp/hodp1"

# Deleting the netdev takes its device along.
ip link add vethx0 type veth peer name vethx1
ip link set vethx0 up
check "hodp2 on a netdev that will vanish" rdma link add hodp2 type hodp netdev vethx0
ip link del vethx0
check "deleting the netdev removes hodp2" wait_for 10 not_listed hodp2

# Unload with devices present, then autoload through the link type.
rdma link add hodp1 type hodp netdev veth1
check "rmmod hodp with two devices present" rmmod hodp
check "no hodp device survives rmmod" bash -c "! rdma link show | grep -q hodp"
check "nor hodp's debugfs directory" test ! -e /sys/kernel/debug/hodp
check "rdma link add autoloads hodp.ko" rdma link add hodp0 type hodp netdev veth0
check "reloaded hodp0 gets its GID back" wait_for 10 has_gid "::ffff:10.99.0.1"
check "PDs work after the reload" $bin/pd_basic hodp0
tap_done
