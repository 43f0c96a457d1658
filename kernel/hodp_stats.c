// SPDX-License-Identifier: GPL-2.0
/* Device-wide packet engine counters. */
#include "hodp.h"
#include "hodp_stats.h"

static const struct rdma_stat_desc hodp_counter_descs[] = {
	[HODP_CNT_SENT_PKTS].name = "sent_pkts",
	[HODP_CNT_RCVD_PKTS].name = "rcvd_pkts",
	[HODP_CNT_RX_DROPPED].name = "rx_dropped",
	[HODP_CNT_RX_QUEUE_FULL].name = "rx_queue_full",
	[HODP_CNT_RETRANSMITS].name = "retransmits",
	[HODP_CNT_ACK_TIMEOUTS].name = "ack_timeouts",
	[HODP_CNT_SEQ_NAKS_RCVD].name = "seq_naks_rcvd",
	[HODP_CNT_RNR_NAKS_RCVD].name = "rnr_naks_rcvd",
	[HODP_CNT_SEQ_NAKS_SENT].name = "seq_naks_sent",
	[HODP_CNT_RNR_NAKS_SENT].name = "rnr_naks_sent",
	[HODP_CNT_DUP_REQUESTS].name = "duplicate_requests",
	[HODP_CNT_ODP_FAULTS].name = "odp_page_faults",
	[HODP_CNT_ODP_FAULTS_HANDLED].name = "odp_page_faults_handled",
	[HODP_CNT_ODP_PAGES_MAPPED].name = "odp_pages_mapped",
	[HODP_CNT_ODP_INVALIDATIONS].name = "odp_page_invalidations",
	[HODP_CNT_ODP_INVALIDATIONS_HANDLED].name = "odp_page_invalidations_handled",
	[HODP_CNT_ODP_PREFETCHES].name = "odp_page_prefetch",
};

/* A counter added to the enum has its name here, last or not. */
static_assert(ARRAY_SIZE(hodp_counter_descs) == HODP_CNT_NUM);

void hodp_count(struct hodp_dev *hdev, enum hodp_counter c)
{
	atomic64_inc(&hdev->counters[c]);
}

void hodp_count_n(struct hodp_dev *hdev, enum hodp_counter c, u64 n)
{
	atomic64_add(n, &hdev->counters[c]);
}

struct rdma_hw_stats *hodp_alloc_hw_port_stats(struct ib_device *ibdev, u32 port_num)
{
	return rdma_alloc_hw_stats_struct(hodp_counter_descs, HODP_CNT_NUM,
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

int hodp_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats, u32 port,
		      int index)
{
	struct hodp_dev *hdev = to_hdev(ibdev);
	int i;

	for (i = 0; i < HODP_CNT_NUM; i++)
		stats->value[i] = atomic64_read(&hdev->counters[i]);
	return HODP_CNT_NUM;
}
