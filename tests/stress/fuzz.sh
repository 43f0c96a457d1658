#!/bin/bash
# The verbs fuzzer (tests/progs/verbs_fuzz): STRESS_FUZZ_CALLS (default
# 100000) randomized calls on hodp0 from seed STRESS_SEED (default 1); the
# device must carry verified traffic afterwards, and once the process is
# gone no object of it may remain.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin

before=$(resources hodp0)
run_tap $bin/verbs_fuzz hodp0 "${STRESS_SEED:-1}" "${STRESS_FUZZ_CALLS:-100000}"
check "the fuzzer's exit released every object it left" \
	wait_for 20 resources_are hodp0 "$before"
tap_done
