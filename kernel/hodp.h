/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hodp: a software RoCEv2 HCA whose memory regions page on demand through HMM.
 * Device-wide definitions shared by every part of the driver.
 */
#ifndef HODP_H
#define HODP_H

#include <linux/netdevice.h>
#include <rdma/ib_verbs.h>
#include <rdma/uverbs_ioctl.h>

#include "hodp_compat.h"
#include "hodp_odp.h"
#include "hodp_stats.h"

struct dentry;

#define HODP_LINK_TYPE		"hodp"
#define HODP_VENDOR_ID		0xffffff	/* no OUI: a software device */
#define HODP_VENDOR_PART_ID	0x0d9
#define HODP_HW_VER		1

/* Resource limits advertised in ib_device_attr. */
#define HODP_MAX_QP		0x10000
#define HODP_MAX_QP_WR		0x4000
#define HODP_MAX_SGE		32
#define HODP_MAX_SGE_RD		32
#define HODP_MAX_CQ		0x10000
#define HODP_MAX_CQE		((1 << 20) - 1)
#define HODP_MAX_MR		0x40000
#define HODP_MAX_PD		0x10000
#define HODP_MAX_XRCD		0x10000
#define HODP_MAX_AH		0x10000
#define HODP_MAX_SRQ		0x10000
#define HODP_MAX_SRQ_WR		0x4000
#define HODP_MAX_RD_ATOM	128
#define HODP_MAX_UCONTEXT	512
#define HODP_MAX_MSG_SZ		0x80000000u	/* 2 GiB, as the IB spec allows */
#define HODP_GID_TBL_LEN	1024
#define HODP_PKEY_TBL_LEN	1
#define HODP_LOCAL_ACK_DELAY	15

struct hodp_dev {
	struct ib_device ib_dev;
	struct ib_device_attr attr;
	/* The netdev this device is bound to; held for the device's lifetime. */
	struct net_device *ndev;
	netdevice_tracker ndev_tracker;
	struct list_head list;		/* on the module's device list */
	atomic_t num_ucontext;
	atomic_t num_pd;
	atomic_t num_xrcd;
	atomic_t num_qp;
	atomic_t num_srq;
	atomic_t keys;			/* MRs and MWs: HODP_MAX_MR at most */

	/* Objects the data path finds by number: keys, QPNs, AH and SRQ numbers. */
	struct xarray key_xa;
	struct xarray qp_xa;
	struct xarray ah_xa;
	struct xarray srq_xa;
	u32 next_qpn;
	u32 next_srqn;

	/* ODP faults and MRs (hodp_odp_fault.c). */
	struct hodp_odp_dev odp;

	/* UD multicast groups: RCU list, changed under mcast_lock. */
	struct mutex mcast_lock;
	struct list_head mcast_groups;
	u32 num_mcast_groups;

	atomic64_t counters[HODP_CNT_NUM];
	struct dentry *debugfs;		/* hodp/<name>/ */
};

struct hodp_ucontext {
	struct ib_ucontext ibuc;
	/* Its process's ODP faults, which may outlive it (hodp_odp_fault.c). */
	struct hodp_odp_owner *odp_owner;
};

struct hodp_pd {
	struct ib_pd ibpd;
};

/* An XRC domain: the core shares it and counts its users; nothing of ours. */
struct hodp_xrcd {
	struct ib_xrcd ibxrcd;
};

static inline struct hodp_dev *to_hdev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct hodp_dev, ib_dev);
}

static inline struct hodp_ucontext *to_huc(struct ib_ucontext *ibuc)
{
	return container_of(ibuc, struct hodp_ucontext, ibuc);
}

/* The user context a verb's udata belongs to; NULL for kernel callers. */
static inline struct ib_ucontext *hodp_udata_ucontext(struct ib_udata *udata)
{
	struct hodp_ucontext *huc =
		rdma_udata_to_drv_context(udata, struct hodp_ucontext, ibuc);

	return huc ? &huc->ibuc : NULL;
}

static inline struct hodp_pd *to_hpd(struct ib_pd *ibpd)
{
	return container_of(ibpd, struct hodp_pd, ibpd);
}

/* hodp_main.c */
extern struct rdma_link_ops hodp_link_ops;
void hodp_device_list_add(struct hodp_dev *hdev);
void hodp_device_list_del(struct hodp_dev *hdev);

/* hodp_device.c */
int hodp_device_add(const char *ibdev_name, struct net_device *ndev);
void hodp_port_event(struct hodp_dev *hdev, enum ib_event_type type);

/* hodp_engine.c */
int hodp_engine_init(void);
void hodp_engine_exit(void);

/* hodp_net.c: a RoCEv2 packet (data at the IP header) arrived for @hdev. */
void hodp_rcv(struct hodp_dev *hdev, struct sk_buff *skb, bool local);

/* hodp_debugfs.c: hodp/ in debugfs, and hodp/<device>/qps */
void hodp_debugfs_init(void);
void hodp_debugfs_exit(void);
void hodp_debugfs_dev_add(struct hodp_dev *hdev);
void hodp_debugfs_dev_del(struct hodp_dev *hdev);

/* hodp_inject.c */
void hodp_inject_init(struct dentry *root);
bool hodp_inject_local_drop(void);

/* hodp_ucontext.c */
int hodp_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata);
void hodp_dealloc_ucontext(struct ib_ucontext *ibuc);

/* hodp_pd.c */
int hodp_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int hodp_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int hodp_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata);
int hodp_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata);

#endif /* HODP_H */
