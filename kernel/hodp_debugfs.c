// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: the module's directory (hodp/) and, per device, a "qps" file
 * with each QP's engine state, one line per QP.  A transfer that stops
 * shows there where it stopped (PSNs out and acknowledged, the retry timer,
 * a stream parked on a page fault) while the QP still exists; the test
 * programs print it when a completion does not come.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "hodp.h"
#include "hodp_odp.h"
#include "hodp_qp.h"
#include "hodp_queue.h"

static struct dentry *hodp_debugfs_root;

static const char *hodp_debugfs_qp_type(enum ib_qp_type type)
{
	switch (type) {
	case IB_QPT_GSI:
		return "GSI";
	case IB_QPT_RC:
		return "RC";
	case IB_QPT_UC:
		return "UC";
	case IB_QPT_UD:
		return "UD";
	case IB_QPT_XRC_INI:
		return "XRC_INI";
	case IB_QPT_XRC_TGT:
		return "XRC_TGT";
	default:
		return "?";
	}
}

static const char *const hodp_debugfs_qp_states[] = {
	[IB_QPS_RESET] = "RESET", [IB_QPS_INIT] = "INIT", [IB_QPS_RTR] = "RTR",
	[IB_QPS_RTS] = "RTS", [IB_QPS_SQD] = "SQD", [IB_QPS_SQE] = "SQE",
	[IB_QPS_ERR] = "ERR",
};

/* Milliseconds until the retry timer fires, or -1 if it is not armed. */
static long hodp_debugfs_timer_ms(struct hodp_qp *qp)
{
	if (!timer_pending(&qp->retry_timer))
		return -1;
	return jiffies_to_msecs(max_t(long, 0, READ_ONCE(qp->retry_deadline) - jiffies));
}

/*
 * Read without the engine's serialization: a snapshot whose fields may be
 * from moments apart, which is all a stuck QP needs.
 */
static void hodp_debugfs_show_qp(struct seq_file *s, struct hodp_qp *qp)
{
	enum ib_qp_state state = hodp_qp_state(qp);

	seq_printf(s, "qp %u %s %s dest %u", qp->ibqp.qp_num,
		   hodp_debugfs_qp_type(qp->ibqp.qp_type),
		   state < ARRAY_SIZE(hodp_debugfs_qp_states) ? hodp_debugfs_qp_states[state] : "?",
		   qp->dest_qpn);
	seq_printf(s, " sq head %u next %u posted %u", READ_ONCE(qp->sq_head),
		   READ_ONCE(qp->sq_next), hodp_queue_load(&qp->sq.ring->producer));
	seq_printf(s, " psn req %#x acked %#x resp %#x", READ_ONCE(qp->req_psn),
		   READ_ONCE(qp->acked_psn), READ_ONCE(qp->resp_psn));
	seq_printf(s, " retry %u rnr %u rnr_wait %d timer_ms %ld rd_atomic %u",
		   READ_ONCE(qp->retry_left), READ_ONCE(qp->rnr_left), READ_ONCE(qp->rnr_wait),
		   hodp_debugfs_timer_ms(qp), READ_ONCE(qp->rd_atomic_inflight));
	seq_printf(s, " rx %u parked %d read %d write_left %u fault req %d rx %d\n",
		   skb_queue_len_lockless(&qp->rx), !!READ_ONCE(qp->rx_parked),
		   !!READ_ONCE(qp->read_active), READ_ONCE(qp->write_left),
		   hodp_odp_waiting(&qp->req_wait), hodp_odp_waiting(&qp->rx_wait));
}

static int hodp_debugfs_qps_show(struct seq_file *s, void *unused)
{
	struct hodp_dev *hdev = s->private;
	unsigned long qpn = 0;
	struct hodp_qp *qp;

	/* A reference keeps each QP alive (its destroy waits) while it is shown. */
	while ((qp = hodp_qp_get_next(hdev, &qpn))) {
		hodp_debugfs_show_qp(s, qp);
		hodp_qp_put(qp);
		qpn++;
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hodp_debugfs_qps);

void hodp_debugfs_dev_add(struct hodp_dev *hdev)
{
	hdev->debugfs = debugfs_create_dir(dev_name(&hdev->ib_dev.dev), hodp_debugfs_root);
	debugfs_create_file("qps", 0400, hdev->debugfs, hdev, &hodp_debugfs_qps_fops);
}

/* Waits for readers of the device's files to leave them. */
void hodp_debugfs_dev_del(struct hodp_dev *hdev)
{
	debugfs_remove_recursive(hdev->debugfs);
	hdev->debugfs = NULL;
}

void hodp_debugfs_init(void)
{
	hodp_debugfs_root = debugfs_create_dir("hodp", NULL);
	hodp_inject_init(hodp_debugfs_root);
}

void hodp_debugfs_exit(void)
{
	debugfs_remove_recursive(hodp_debugfs_root);
}
