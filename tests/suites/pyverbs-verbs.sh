#!/bin/bash
# rdma-core's pyverbs modules for the verbs hodp implements, on hodp0.
exec "$(dirname "$0")/../lib/pyverbs.sh" hodp0 test_addr test_atomic test_cq test_cq_events \
	test_cqex test_fork test_mr test_qp test_qpex test_rdmacm test_relaxed_ordering test_srq \
	test_shared_pd
