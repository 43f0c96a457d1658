#!/bin/bash
# tests/vm/run tests/tools/pyverbs-compare.sh [MODULE...]: run rdma-core's
# pyverbs modules on hodp0 and on the kernel's rxe (rxe0 on veth1) in the same
# guest and print a Markdown table of passes, skips and failures per module.
set -u
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(test_addr test_atomic test_cq test_cq_events test_cqex
	test_device test_fork test_mr test_odp test_pd test_qp test_qpex test_rdmacm
	test_relaxed_ordering test_shared_pd test_srq)
lib=$(dirname "$0")/../lib/pyverbs.sh

modprobe rdma_rxe
rdma link add rxe0 type rxe netdev veth1
for i in $(seq 50); do
	grep -q "ffff:0a63:0002" /sys/class/infiniband/rxe0/ports/1/gids/1 2>/dev/null && break
	sleep 0.1
done

declare -A res
for dev in hodp0 rxe0; do
	for mod in "${modules[@]}"; do
		out=$("$lib" "$dev" "$mod" 2>&1)
		p=$(grep -cE '^ok [0-9]+ ' <<< "$out")
		s=$(grep -cE '^ok [0-9]+ .*# SKIP' <<< "$out")
		f=$(grep -cE '^not ok ' <<< "$out")
		res[$dev.$mod]="$((p - s)) / $s / $f"
	done
done

echo "| module | hodp0 passed / skipped / failed | rxe0 passed / skipped / failed |"
echo "| --- | --- | --- |"
for mod in "${modules[@]}"; do
	echo "| $mod | ${res[hodp0.$mod]} | ${res[rxe0.$mod]} |"
done
echo
echo "Guest kernel $(uname -r), rdma-core $(dpkg-query -W -f '${Version}' python3-pyverbs), $(date -u +%F)."
