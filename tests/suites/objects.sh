#!/bin/bash
# Verbs objects through the provider, with the kernel's answers checked.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin
check "CQs: create, poll empty, arm, resize, extended, bad sizes and fields" $bin/cq_basic hodp0
run_tap $bin/srq_resize hodp0
tap_done
