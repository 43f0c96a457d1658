#!/bin/bash
# The verbs fuzzer (tests/progs/verbs_fuzz): STRESS_FUZZ_CALLS (default
# 100000) randomized calls on hodp0 from seed STRESS_SEED (default 1), then
# the device must carry verified traffic and hold no leftover object.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin

run_tap $bin/verbs_fuzz hodp0 "${STRESS_SEED:-1}" "${STRESS_FUZZ_CALLS:-100000}"
tap_done
