#!/bin/bash
# Every work-request type on RC, UC and UD and UD multicast (IPv4 and IPv6
# groups) with byte-for-byte checks, in loopback on hodp0 and between hodp0
# and hodp1 in another network namespace (the framed RoCEv2 path through
# veth), and the RC retry paths under packet loss.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/netns.sh"
bin=build/guest/bin

# xfer prints its own TAP lines.
run_xfer() { run_tap $bin/xfer "$@"; }
counter() { cat /sys/class/infiniband/$1/ports/1/hw_counters/$2; }

# Global IPv6 addresses give each device a RoCEv2 GID for IPv6 groups.
ip addr add fd00:99::1/64 dev veth0 nodad
wait_for 10 grep -q "fd00:0099:0000:0000:0000:0000:0000:0001" \
	/sys/class/infiniband/hodp0/ports/1/gids/*

run_xfer hodp0 hodp0 loopback
run_xfer hodp0 hodp0 thp-loopback thp
# Loopback packets and trains never meet netem: lose one in 7 of them, at
# random, in hodp itself, and RC must still deliver every byte.
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
retrans=$(counter hodp0 retransmits)
echo 7 > /sys/kernel/debug/hodp/local_drop_every
run_xfer hodp0 hodp0 lossy-loopback rc
echo 0 > /sys/kernel/debug/hodp/local_drop_every
for c in retransmits seq_naks_sent duplicate_requests ack_timeouts; do
	echo "# hodp0 $c: $(counter hodp0 $c)"
done
check "local losses made the requester retransmit" \
	test "$(counter hodp0 retransmits)" -gt "$retrans"
run_tap $bin/mcast hodp0 hodp0 4
run_tap $bin/mcast hodp0 hodp0 6
check "namespace ns1 with hodp1 on veth1" setup_ns1
ip -n ns1 addr add fd00:99::2/64 dev veth1 nodad
run_xfer hodp0 hodp1 two-ns
run_tap $bin/mcast hodp0 hodp1 4
run_tap $bin/mcast hodp0 hodp1 6

# Drop 3% of the packets each way: RC must still deliver every byte.  Static
# neighbours keep address resolution (modify to RTR) out of the lottery.
ip neigh replace 10.99.0.2 lladdr "$(ip netns exec ns1 cat /sys/class/net/veth1/address)" \
	dev veth0 nud permanent
ip netns exec ns1 ip neigh replace 10.99.0.1 lladdr "$(cat /sys/class/net/veth0/address)" \
	dev veth1 nud permanent
retrans=$(counter hodp0 retransmits)
tc qdisc add dev veth0 root netem loss 3%
ip netns exec ns1 tc qdisc add dev veth1 root netem loss 3%
run_xfer hodp0 hodp1 lossy rc
tc qdisc del dev veth0 root
check "the lossy run made the requester retransmit" \
	test "$(counter hodp0 retransmits)" -gt "$retrans"
tap_done
