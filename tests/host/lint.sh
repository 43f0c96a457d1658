#!/bin/bash
# Kernel code hygiene: W=1 and sparse clean, checkpatch --strict clean.
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
check "hodp.ko: make W=1 C=2 (sparse) and checkpatch --strict report nothing" tests/vm/lint
tap_done
