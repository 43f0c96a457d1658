#!/bin/bash
# The races of tests/progs/odp_mm at length: deregistration racing with
# munmap of the MR's memory, 4 MiB a round (a page the table still held
# once the notifier was gone was dirtied after mm freed it: "Bad page
# state"); an implicit MR deregistered under mmap/munmap churn over its
# spans (a child's retirement queued after the parent's release began ran
# on the freed parent: KASAN on the debug kernel); first-touch THP WRITEs
# racing with an munmap of the huge page's upper half.  STRESS_ROUNDS
# (default 1000: the churn's rounds; a tenth and a fifth of it for the
# others) scales them.
. "$(dirname "$0")/../lib/tap.sh"
bin=build/guest/bin
rounds=${STRESS_ROUNDS:-1000}

run_tap $bin/odp_mm hodp0 dereg-munmap=$((rounds / 10)) implicit-dereg-churn=$rounds \
	thp-half-unmapped=$((rounds / 5))
tap_done
