/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A RoCEv2 packet in an skb.  On receive, skb->data points at the BTH once
 * the IP and UDP headers are checked; the network header stays reachable for
 * UD's GRH.  Parsed fields live in skb->cb.
 */
#ifndef HODP_PKT_H
#define HODP_PKT_H

#include <linux/skbuff.h>

#include "hodp_hdr.h"
#include "hodp_mr.h"

struct hodp_av;
struct hodp_dev;
struct hodp_qp;

/*
 * A train: consecutive packets of one message handed to a device on this
 * host in one skb, their payloads back to back behind the first packet's
 * headers, so that what is done per packet is done once.  The payload stays
 * within the 16-bit IP length.
 */
#define HODP_TRAIN_BYTES	(60 * 1024)

struct hodp_pkt {
	u32 psn;			/* of the first packet of a train */
	u32 qpn;		/* destination QP */
	u32 paylen;		/* payload bytes, without pad and ICRC */
	u16 npkts;		/* packets it stands for: 1, or a train's length */
	u16 flags;		/* hodp_op_flags[] of the operation */
	u16 hdr_len;		/* BTH and extended headers */
	u8 opcode;		/* full BTH opcode, transport included */
	bool ackreq;
	bool solicited;
	u8 net_type;		/* RDMA_NETWORK_IPV4 or _IPV6 */
};

static inline struct hodp_pkt *hodp_pkt(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct hodp_pkt) > sizeof(skb->cb));
	return (struct hodp_pkt *)skb->cb;
}

/*
 * Every packet but a message's last carries a full MTU; a train of n
 * packets carries what they would.
 */
static inline bool hodp_pkt_size_ok(const struct hodp_pkt *pkt, u32 mtu)
{
	u32 full = pkt->npkts * mtu;

	if (!(pkt->flags & HODP_F_LAST))
		return pkt->paylen == full;
	return pkt->paylen <= full && (pkt->npkts == 1 || pkt->paylen > full - mtu);
}

static inline struct hodp_bth *hodp_pkt_bth(struct sk_buff *skb)
{
	return (struct hodp_bth *)skb->data;
}

/* The extended header of kind @f (one HODP_F_* bit) in a parsed packet. */
static inline void *hodp_pkt_ext(struct sk_buff *skb, u16 f)
{
	const struct hodp_pkt *pkt = hodp_pkt(skb);

	return skb->data + sizeof(struct hodp_bth) +
	       hodp_transport_hdr_len(pkt->opcode, pkt->flags) +
	       hodp_ext_hdr_len(pkt->flags & (f - 1));
}

static inline struct hodp_deth *hodp_pkt_deth(struct sk_buff *skb)
{
	return (struct hodp_deth *)(skb->data + sizeof(struct hodp_bth));
}

/* The XRC SRQ number an XRC request names. */
static inline u32 hodp_pkt_xrc_srqn(struct sk_buff *skb)
{
	return be32_to_cpu(((struct hodp_xrceth *)(skb->data + sizeof(struct hodp_bth)))->srqn) &
	       HODP_QPN_MASK;
}

/* hodp_net.c */
int hodp_pkt_init(void);
void hodp_pkt_exit(void);
int hodp_net_attach(struct hodp_dev *hdev);
void hodp_net_detach(struct hodp_dev *hdev);
void hodp_net_detach_locked(struct hodp_dev *hdev);
/*
 * A packet from @qp: headroom for the lower headers, then @hdr_len bytes of
 * transport headers and @paylen bytes of payload with its pad, both already
 * skb_put() for the caller to fill (the pad is zeroed).
 */
struct sk_buff *hodp_pkt_alloc(struct hodp_qp *qp, unsigned int hdr_len, u32 paylen);
/*
 * Payloads of at least this many bytes go to a peer on this host by
 * reference: hodp_pkt_alloc() with no payload, then the MR's pages appended
 * (hodp_pkt_add_ref(), through an skb hodp_xfer), no copy until the receiver's.
 */
#define HODP_PKT_REF_MIN	PAGE_SIZE

/*
 * The packet's side of an MR copy (struct hodp_xfer), for @x->ctx, an skb:
 * into an MR, the skb's bytes from @x->off on (its fragments too); out of
 * one, nothing is copied: the MR's pages become referenced fragments of the
 * skb (a zero-copy train to a peer on this host), and memory without a
 * struct page, or more fragments than an skb holds, is -ENOSPC.
 */
int hodp_pkt_piece(struct hodp_xfer *x, void *va, u32 len, enum hodp_copy_dir dir);
#define HODP_XFER_SKB(s, o) \
	(&(struct hodp_xfer){ .piece = hodp_pkt_piece, .ctx = (s), .off = (o) })
/* Send a packet from hodp_pkt_alloc() to @av; consumes @skb. */
int hodp_pkt_send(struct hodp_qp *qp, const struct hodp_av *av, struct sk_buff *skb);
/*
 * The hodp device on this host that @av's address belongs to, referenced
 * (ib_device_put()), or NULL when the destination is across a wire.
 */
struct hodp_dev *hodp_pkt_peer(struct hodp_qp *qp, const struct hodp_av *av);
bool hodp_pkt_from(struct sk_buff *skb, const struct hodp_av *av);
/*
 * Send to @av as hodp_pkt_send() does, @peer being what hodp_pkt_peer()
 * said of it; only a packet to a peer may be a train.
 */
int hodp_pkt_xmit(struct hodp_qp *qp, const struct hodp_av *av, struct sk_buff *skb,
		  struct hodp_dev *peer);
/*
 * A packet, or a train of them to a peer on this host, as
 * hodp_pkt_build() makes it for the requester and the READ responder.
 */
struct hodp_pkt_build {
	struct hodp_dev *peer;		/* the destination on this host, or NULL */
	u32 npkts;			/* packets wanted (a train); then built */
	/*
	 * Set @hdr_len and @paylen for @npkts packets, and @by_ref if the
	 * payload may go by reference.
	 */
	void (*shape)(struct hodp_pkt_build *b);
	/* Write the headers and, through @x, the payload: 0 or an errno. */
	int (*fill)(struct hodp_pkt_build *b, struct sk_buff *skb, struct hodp_xfer *x);
	unsigned int hdr_len;
	u32 paylen;
	bool by_ref;
};

/*
 * Allocate and fill the packet @b describes.  A train that finds no memory
 * becomes one packet; a payload whose pages cannot be referenced (-ENOSPC)
 * is copied; a payload under HODP_PKT_REF_MIN, or to a device across a
 * wire, is always copied.  NULL when there is no memory for one packet
 * (try again later), ERR_PTR() of @fill's error.
 */
struct sk_buff *hodp_pkt_build(struct hodp_qp *qp, struct hodp_pkt_build *b);

/* Packets of a train carrying the next @left bytes of a message (at least 1). */
u32 hodp_pkt_train_len(struct hodp_qp *qp, u32 left);
enum ib_mtu hodp_netdev_mtu(const struct net_device *ndev);
/* Our device on @ndev with a reference held, or NULL. */
struct hodp_dev *hodp_get_by_netdev(struct net_device *ndev);

#endif /* HODP_PKT_H */
