#!/bin/bash
# The guest harness itself (runs on the host): tests/vm/run's contract.
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
run=tests/vm/run

$run false; rc=$?
check "tests/vm/run false exits non-zero" test $rc -ne 0
$run sh -c 'exit 7'; rc=$?
check "the command's exit status passes through" test $rc -eq 7
out=$($run sh -c 'pwd; shift; printf "%s|" "$@"' _ _ "a b" 'c$d' "")
check "arguments arrive unsplit and unexpanded" test "${out#*$'\n'}" = 'a b|c$d||'
check "the working directory is the project root" test "${out%%$'\n'*}" = /project
out=$($run sh -c 'lsmod | grep -q "^hodp " && lsmod | grep -q "^ib_uverbs " &&
	ip -br addr show veth0 | grep -q 10.99.0.1/24 &&
	ip -br addr show veth1 | grep -q 10.99.0.2/24 &&
	rdma link show hodp0/1 | grep -q "netdev veth0" &&
	ibv_devinfo -v -d hodp0 | grep -q "GID\[  1\]:.*::ffff:10.99.0.1, RoCE v2" && echo ready')
rc=$?
check "guest has hodp0 on veth0, veth pair and GID 1; a good command exits 0" \
	test "$out.$rc" = ready.0

marker=/etc/hodp-harness-marker-$$
$run sh -c "echo x > $marker" >/dev/null
out=$($run sh -c "test -e $marker && echo leaked || echo clean")
check "each boot starts from a clean image" test "$out" = clean

$run sh -c 'echo "<4>WARNING: hodp harness self-test report" > /dev/kmsg'; rc=$?
check "a kernel report in the guest log fails the run" test $rc -ne 0
check "the guest kernel log is left in build/vm/dmesg.log" \
	grep -q "hodp harness self-test report" build/vm/dmesg.log
$run true >/dev/null
check "the next clean run passes again" \
	bash -c '! grep -q "hodp harness self-test report" build/vm/dmesg.log'
HODP_VM_ALLOW_REPORTS='harness allowed' $run sh -c \
	'echo "<4>WARNING: hodp harness allowed report" > /dev/kmsg' 2>/dev/null; rc=$?
check "a report HODP_VM_ALLOW_REPORTS matches does not fail the run" test $rc -eq 0
HODP_VM_ALLOW_REPORTS='harness allowed' $run sh -c \
	'echo "<4>WARNING: hodp harness allowed report" > /dev/kmsg
	 echo "<4>WARNING: hodp harness self-test report" > /dev/kmsg' 2>/dev/null; rc=$?
check "a report it does not match still fails the run" test $rc -ne 0

# A crashed guest kernel ends the run at once, not at the time-out (an
# hour): the guest boots with oops=panic, and QEMU exits on the panic.
t0=$SECONDS
HODP_VM_TIMEOUT=600 $run sh -c 'echo c > /proc/sysrq-trigger; sleep 600' 2>/dev/null; rc=$?
took=$((SECONDS - t0))
echo "# a guest kernel crash ended the run after $took s with status $rc"
check "a guest kernel crash fails the run within a boot's time, not the time-out" 	test $rc -ne 0 -a $took -lt 300
check "the crash's panic is in the guest log" grep -q "Kernel panic" build/vm/dmesg.log
tap_done
