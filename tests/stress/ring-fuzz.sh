#!/bin/bash
# The ring and ABI fuzzer (tests/progs/ring_fuzz), run as nobody:
# STRESS_RING_ROUNDS (default 1000) rounds of QPs, CQs and an SRQ worked
# while another thread scribbles random values over every ring the process
# mapped, then 100,000 uverbs write() commands with random driver data, from
# seed STRESS_SEED (default 1).  It must end, every object must go with it,
# and the device must carry verified traffic afterwards.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/user.sh"
bin=build/guest/bin

before=$(resources hodp0)
as_user timeout "$(scaled 1200)" $bin/ring_fuzz hodp0 "${STRESS_SEED:-1}" \
	"${STRESS_RING_ROUNDS:-1000}" > /tmp/ring_fuzz.out 2>&1
rc=$?
grep '^#' /tmp/ring_fuzz.out
check "ring_fuzz as nobody ran to its end (exit $rc)" test $rc -eq 0
check "every object went with the process" wait_for 20 resources_are hodp0 "$before"
run_tap $bin/xfer hodp0 hodp0 loopback rc
tap_done
