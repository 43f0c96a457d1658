/* SPDX-License-Identifier: GPL-2.0 */
/* UD multicast: groups of QPs attached to a multicast GID. */
#ifndef HODP_MCAST_H
#define HODP_MCAST_H

#include <rdma/ib_verbs.h>

struct hodp_dev;
struct hodp_av;

#define HODP_MAX_MCAST_GRP		1024
#define HODP_MAX_MCAST_QP_ATTACH	64

int hodp_attach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid);
int hodp_detach_mcast(struct ib_qp *ibqp, union ib_gid *gid, u16 lid);
void hodp_mcast_cleanup(struct hodp_dev *hdev);

bool hodp_av_is_mcast(const struct hodp_av *av);
/* A parsed packet for the multicast QPN: a copy to every attached QP. */
void hodp_mcast_rcv(struct hodp_dev *hdev, struct sk_buff *skb);

#endif /* HODP_MCAST_H */
