#!/bin/bash
# rdma-core's pyverbs test_device and test_pd on hodp0.
exec "$(dirname "$0")/../lib/pyverbs.sh" hodp0 test_device test_pd
