#!/bin/bash
# rdma-core's pyverbs modules for the verbs objects hodp implements so far.
exec "$(dirname "$0")/../lib/pyverbs.sh" hodp0 test_cq test_cqex
