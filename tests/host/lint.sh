#!/bin/bash
# Kernel code hygiene: W=1 and sparse clean, checkpatch --strict clean; no
# call from a lower layer of kernel/ to a higher one (tests/tools/layers).
. "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
check "hodp.ko: make W=1 C=2 (sparse) and checkpatch --strict report nothing" tests/vm/lint
check "kernel/: no call goes up a layer (memory never calls transport)" tests/tools/layers
tap_done
