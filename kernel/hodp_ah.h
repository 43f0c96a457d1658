/* SPDX-License-Identifier: GPL-2.0 */
/* Address handles: where UD packets go. */
#ifndef HODP_AH_H
#define HODP_AH_H

#include "hodp_qp.h"

struct hodp_ah_entry;

struct hodp_ah {
	struct ib_ah ibah;
	struct hodp_ah_entry *entry;
	u32 ah_num;
};

static inline struct hodp_ah *to_hah(struct ib_ah *ibah)
{
	return container_of(ibah, struct hodp_ah, ibah);
}

static inline u32 hodp_ah_num(struct ib_ah *ibah)
{
	return to_hah(ibah)->ah_num;
}

int hodp_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init, struct ib_udata *udata);
int hodp_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr);
int hodp_destroy_ah(struct ib_ah *ibah, u32 flags);

/* Fill @av from a RoCEv2 address; -EINVAL for anything else. */
int hodp_av_from_attr(struct hodp_av *av, const struct rdma_ah_attr *attr);
/* Copy the address of AH @ah_num if it exists in @pd. */
bool hodp_ah_lookup(struct hodp_dev *hdev, u32 ah_num, struct ib_pd *pd, struct hodp_av *av);

#endif /* HODP_AH_H */
