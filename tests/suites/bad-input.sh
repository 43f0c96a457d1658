#!/bin/bash
# Bad input through libibverbs on hodp0, each case asserting the outcome the
# IB spec asks for (tests/progs/bad_input.c): bad keys, addresses and rights in
# work requests, refused QP transitions and attributes, oversized objects,
# refused posts, legal zero-length transfers, destroying objects in use,
# refused registrations.
. "$(dirname "$0")/../lib/tap.sh"
run_tap build/guest/bin/bad_input hodp0
tap_done
