/* SPDX-License-Identifier: GPL-2.0 */
/* Device-wide counters, shown by "rdma statistic show" and in sysfs hw_counters. */
#ifndef HODP_STATS_H
#define HODP_STATS_H

#include <rdma/ib_verbs.h>

enum hodp_counter {
	HODP_CNT_SENT_PKTS,
	HODP_CNT_RCVD_PKTS,
	HODP_CNT_RX_DROPPED,		/* malformed, bad ICRC, P_Key or sender, no such QP */
	HODP_CNT_RX_QUEUE_FULL,		/* dropped: the QP's receive queue was full */
	HODP_CNT_RETRANSMITS,		/* go-back-N restarts */
	HODP_CNT_ACK_TIMEOUTS,
	HODP_CNT_SEQ_NAKS_RCVD,
	HODP_CNT_RNR_NAKS_RCVD,
	HODP_CNT_SEQ_NAKS_SENT,
	HODP_CNT_RNR_NAKS_SENT,
	HODP_CNT_DUP_REQUESTS,
	/* ODP totals, in the order of enum hodp_odp_stat. */
	HODP_CNT_ODP_FAULTS,
	HODP_CNT_ODP_FAULTS_HANDLED,
	HODP_CNT_ODP_PAGES_MAPPED,
	HODP_CNT_ODP_INVALIDATIONS,
	HODP_CNT_ODP_INVALIDATIONS_HANDLED,
	HODP_CNT_ODP_PREFETCHES,
	HODP_CNT_NUM,
};

struct hodp_dev;

void hodp_count(struct hodp_dev *hdev, enum hodp_counter c);
void hodp_count_n(struct hodp_dev *hdev, enum hodp_counter c, u64 n);
struct rdma_hw_stats *hodp_alloc_hw_port_stats(struct ib_device *ibdev, u32 port_num);
int hodp_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats, u32 port,
		      int index);

#endif /* HODP_STATS_H */
