// SPDX-License-Identifier: GPL-2.0
/*
 * RoCEv2 framing: UDP/IP headers and the ICRC, transmission through the IP
 * stack, and reception through an rx_handler on the bound netdev (so hodp
 * needs no UDP socket and can sit next to rxe).  A packet whose destination
 * address belongs to a netdev carrying a hodp device is handed to that
 * device directly: it would otherwise be routed through loopback and never
 * reach that netdev's rx_handler.
 */
#include <linux/crc32.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <rdma/ib_addr.h>

#include "hodp.h"
#include "hodp_engine.h"
#include "hodp_mcast.h"
#include "hodp_pkt.h"

/* CRC32 state after 8 bytes of 0xff, the masked LRH a RoCEv2 ICRC starts with. */
#define HODP_ICRC_SEED	0xdebb20e3

/* ICRC over the IP and UDP headers, BTH and the rest, with variant fields masked. */
static u32 hodp_icrc(struct sk_buff *skb, unsigned int l3_len, unsigned int len)
{
	u8 masked[sizeof(struct ipv6hdr) + sizeof(struct udphdr) + sizeof(struct hodp_bth)];
	unsigned int fixed = l3_len + sizeof(struct udphdr) + sizeof(struct hodp_bth);
	u8 *l3 = skb_network_header(skb);
	struct hodp_bth *bth;
	struct udphdr *udph;
	u32 crc;

	memcpy(masked, l3, fixed);
	if (l3_len == sizeof(struct iphdr)) {
		struct iphdr *iph = (struct iphdr *)masked;

		iph->tos = 0xff;
		iph->ttl = 0xff;
		iph->check = CSUM_MANGLED_0;
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)masked;

		ip6h->priority = 0xf;
		memset(ip6h->flow_lbl, 0xff, sizeof(ip6h->flow_lbl));
		ip6h->hop_limit = 0xff;
	}
	udph = (struct udphdr *)(masked + l3_len);
	udph->check = CSUM_MANGLED_0;
	bth = (struct hodp_bth *)(udph + 1);
	bth->qpn |= cpu_to_be32(~HODP_QPN_MASK);	/* FECN, BECN, resv6 */

	crc = crc32_le(HODP_ICRC_SEED, masked, fixed);
	crc = crc32_le(crc, l3 + fixed, len - fixed);
	return ~crc;
}

/*
 * Largest RoCEv2 header stack around a payload: IPv6, UDP, BTH, XRCETH,
 * RETH, ImmDt, ICRC.
 */
#define HODP_MAX_HDR_LEN	(40 + 8 + 12 + 4 + 16 + 4 + 4)

/* The largest IB MTU whose packets, with every header, fit @ndev's MTU. */
enum ib_mtu hodp_netdev_mtu(const struct net_device *ndev)
{
	int payload = (int)READ_ONCE(ndev->mtu) - HODP_MAX_HDR_LEN;

	if (payload < 256)
		return IB_MTU_256;
	return ib_mtu_int_to_enum(payload);
}

/* Our device on @ndev with a reference held, or NULL. */
struct hodp_dev *hodp_get_by_netdev(struct net_device *ndev)
{
	struct ib_device *ibdev;

	if (!ndev)
		return NULL;
	ibdev = ib_device_get_by_netdev(ndev, RDMA_DRIVER_UNKNOWN);
	if (!ibdev)
		return NULL;
	if (ibdev->link_ops != &hodp_link_ops) {
		ib_device_put(ibdev);
		return NULL;
	}
	return to_hdev(ibdev);
}

/* The hodp device owning @av's destination address in @net, referenced, or NULL. */
static struct hodp_dev *hodp_local_dev(struct net *net, const struct hodp_av *av)
{
	struct net_device *ndev;
	struct hodp_dev *hdev;

	rcu_read_lock();
	if (av->net_type == RDMA_NETWORK_IPV4)
		ndev = __ip_dev_find(net, *(__be32 *)&av->dgid.raw[12], false);
	else
		ndev = ipv6_dev_find(net, (struct in6_addr *)av->dgid.raw, NULL);
	hdev = hodp_get_by_netdev(ndev);
	rcu_read_unlock();
	return hdev;
}

/* Pad and ICRC behind a payload of references: zeros nobody reads. */
static struct page *hodp_tail_page;

int hodp_pkt_init(void)
{
	hodp_tail_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return hodp_tail_page ? 0 : -ENOMEM;
}

void hodp_pkt_exit(void)
{
	put_page(hodp_tail_page);	/* a frame still queued somewhere holds its own */
}

struct sk_buff *hodp_pkt_alloc(struct hodp_qp *qp, unsigned int hdr_len, u32 paylen)
{
	struct net_device *ndev = qp->hdev->ndev;
	unsigned int pad = -paylen & 3;
	unsigned int headroom = LL_RESERVED_SPACE(ndev) + sizeof(struct ipv6hdr) +
				sizeof(struct udphdr);
	struct sk_buff *skb;

	skb = alloc_skb(headroom + hdr_len + paylen + pad + HODP_ICRC_SIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, headroom);
	hodp_pkt(skb)->npkts = 1;
	skb_put(skb, hdr_len + paylen);
	if (pad)
		skb_put_zero(skb, pad);
	return skb;
}

struct sk_buff *hodp_pkt_build(struct hodp_qp *qp, struct hodp_pkt_build *b)
{
	bool refs_ok = true;
	struct sk_buff *skb;
	int err;

	for (;;) {
		b->shape(b);
		b->by_ref = b->by_ref && refs_ok && b->peer && b->paylen >= HODP_PKT_REF_MIN;
		skb = hodp_pkt_alloc(qp, b->hdr_len, b->by_ref ? 0 : b->paylen);
		if (!skb && b->npkts > 1) {
			b->npkts = 1;	/* no memory for a train: one packet will do */
			continue;
		}
		if (!skb)
			return NULL;
		hodp_pkt(skb)->npkts = b->npkts;
		err = b->fill(b, skb, b->by_ref ? HODP_XFER_SKB(skb, 0) :
				      HODP_XFER_BUF(skb->data + b->hdr_len));
		if (!err)
			return skb;
		kfree_skb(skb);
		if (err != -ENOSPC || !b->by_ref)
			return ERR_PTR(err);
		refs_ok = false;
	}
}

static int hodp_pkt_add_ref(struct sk_buff *skb, void *va, u32 len)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	/* Memory without a struct page behind it (vmalloc) is copied instead. */
	if (!virt_addr_valid(va))
		return -ENOSPC;
	while (len) {
		struct page *page = virt_to_page(va);
		unsigned int pgoff = offset_in_page(va);
		u32 chunk = min_t(u32, len, PAGE_SIZE - pgoff);
		int i = shinfo->nr_frags;

		if (i && skb_can_coalesce(skb, i, page, pgoff)) {
			skb_coalesce_rx_frag(skb, i - 1, chunk, chunk);
		} else {
			/* The last fragment is the tail's. */
			if (i >= MAX_SKB_FRAGS - 1)
				return -ENOSPC;
			get_page(page);
			skb_add_rx_frag(skb, i, page, pgoff, chunk, chunk);
		}
		va += chunk;
		len -= chunk;
	}
	return 0;
}

int hodp_pkt_piece(struct hodp_xfer *x, void *va, u32 len, enum hodp_copy_dir dir)
{
	int err;

	if (dir == HODP_TO_MR)
		err = skb_copy_bits(x->ctx, x->off, va, len);
	else
		err = hodp_pkt_add_ref(x->ctx, va, len);
	x->off += len;
	return err;
}

static void hodp_push_udp(struct sk_buff *skb, struct hodp_qp *qp)
{
	struct udphdr *udph;

	udph = skb_push(skb, sizeof(*udph));
	skb_reset_transport_header(skb);
	/* Entropy for ECMP, stable per QP so a flow stays in order. */
	udph->source = htons(0xc000 | (hash_32(qp->ibqp.qp_num, 14)));
	udph->dest = htons(HODP_ROCE_UDP_PORT);
	udph->len = htons(skb->len);
	udph->check = 0;
}

static void hodp_push_ip(struct sk_buff *skb, struct net *net, const struct hodp_av *av)
{
	if (av->net_type == RDMA_NETWORK_IPV4) {
		struct iphdr *iph = skb_push(skb, sizeof(*iph));

		skb_reset_network_header(skb);
		skb->protocol = htons(ETH_P_IP);
		iph->version = 4;
		iph->ihl = sizeof(*iph) >> 2;
		iph->tos = av->traffic_class;
		iph->tot_len = htons(skb->len);
		iph->frag_off = htons(IP_DF);
		iph->ttl = av->hop_limit > 1 ? av->hop_limit : 64;
		iph->protocol = IPPROTO_UDP;
		iph->saddr = *(__be32 *)&av->sgid.raw[12];
		iph->daddr = *(__be32 *)&av->dgid.raw[12];
		__ip_select_ident(net, iph, 1);
		ip_send_check(iph);
	} else {
		struct ipv6hdr *ip6h = skb_push(skb, sizeof(*ip6h));

		skb_reset_network_header(skb);
		skb->protocol = htons(ETH_P_IPV6);
		ip6_flow_hdr(ip6h, av->traffic_class, htonl(av->flow_label));
		ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
		ip6h->nexthdr = IPPROTO_UDP;
		ip6h->hop_limit = av->hop_limit > 1 ? av->hop_limit : 64;
		memcpy(&ip6h->saddr, av->sgid.raw, sizeof(ip6h->saddr));
		memcpy(&ip6h->daddr, av->dgid.raw, sizeof(ip6h->daddr));
	}
}

static int hodp_route_and_send(struct net *net, struct net_device *ndev,
			       const struct hodp_av *av, struct sk_buff *skb)
{
	struct dst_entry *dst;

	if (av->net_type == RDMA_NETWORK_IPV4) {
		struct flowi4 fl = {
			.flowi4_oif = ndev->ifindex,
			.flowi4_proto = IPPROTO_UDP,
			.saddr = ip_hdr(skb)->saddr,
			.daddr = ip_hdr(skb)->daddr,
		};
		struct rtable *rt = ip_route_output_key(net, &fl);

		if (IS_ERR(rt))
			goto drop;
		dst = &rt->dst;
	} else {
		struct flowi6 fl6 = {
			.flowi6_oif = ndev->ifindex,
			.flowi6_proto = IPPROTO_UDP,
			.saddr = ipv6_hdr(skb)->saddr,
			.daddr = ipv6_hdr(skb)->daddr,
		};

		dst = ip6_route_output(net, NULL, &fl6);
		if (dst->error) {
			dst_release(dst);
			goto drop;
		}
	}
	skb_dst_set(skb, dst);
	skb->dev = dst->dev;
	memset(skb->cb, 0, sizeof(skb->cb));
	if (av->net_type == RDMA_NETWORK_IPV4)
		return ip_local_out(net, NULL, skb);
	return ip6_local_out(net, NULL, skb);

drop:
	kfree_skb(skb);
	return -EHOSTUNREACH;
}

/*
 * Room for the ICRC (counted in the UDP and IP lengths), then UDP and IP
 * headers.  A payload of references gets its pad and ICRC as one more
 * fragment of zeros, and no ICRC to fill in (NULL): it only goes to a peer.
 */
static __le32 *hodp_pkt_frame(struct hodp_qp *qp, const struct hodp_av *av, struct sk_buff *skb)
{
	__le32 *icrc = NULL;

	if (skb_is_nonlinear(skb)) {
		u32 tail = ((hodp_pkt_bth(skb)->flags & HODP_BTH_PAD_MASK) >> HODP_BTH_PAD_SHIFT) +
			   HODP_ICRC_SIZE;

		get_page(hodp_tail_page);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, hodp_tail_page, 0, tail, tail);
	} else {
		icrc = skb_put(skb, HODP_ICRC_SIZE);
	}

	hodp_push_udp(skb, qp);
	hodp_push_ip(skb, dev_net(qp->hdev->ndev), av);
	hodp_count_n(qp->hdev, HODP_CNT_SENT_PKTS, hodp_pkt(skb)->npkts);
	return icrc;
}

struct hodp_dev *hodp_pkt_peer(struct hodp_qp *qp, const struct hodp_av *av)
{
	return hodp_local_dev(dev_net(qp->hdev->ndev), av);
}

u32 hodp_pkt_train_len(struct hodp_qp *qp, u32 left)
{
	return clamp(DIV_ROUND_UP(left, qp->mtu), 1U, HODP_TRAIN_BYTES / qp->mtu);
}

int hodp_pkt_xmit(struct hodp_qp *qp, const struct hodp_av *av, struct sk_buff *skb,
		  struct hodp_dev *peer)
{
	struct net_device *ndev = qp->hdev->ndev;
	__le32 *icrc = hodp_pkt_frame(qp, av, skb);

	if (peer) {
		/* Never on a wire: an ICRC would only be checked against itself. */
		if (icrc)
			*icrc = 0;
		if (hodp_inject_local_drop())
			kfree_skb(skb);
		else
			hodp_rcv(peer, skb, true);
		return 0;
	}
	if (WARN_ON_ONCE(!icrc)) {
		kfree_skb(skb);
		return -EINVAL;
	}
	*icrc = cpu_to_le32(hodp_icrc(skb, skb_transport_offset(skb),
				      skb->len - HODP_ICRC_SIZE));
	if (hodp_av_is_mcast(av)) {
		/* QPs of this device in the group get it too, as they would from a switch. */
		struct sk_buff *copy = skb_copy(skb, GFP_KERNEL);

		if (copy)
			hodp_rcv(qp->hdev, copy, true);
	}
	return hodp_route_and_send(dev_net(ndev), ndev, av, skb);
}

int hodp_pkt_send(struct hodp_qp *qp, const struct hodp_av *av, struct sk_buff *skb)
{
	struct hodp_dev *peer = hodp_pkt_peer(qp, av);
	int err = hodp_pkt_xmit(qp, av, skb, peer);

	if (peer)
		ib_device_put(&peer->ib_dev);
	return err;
}

/*
 * Whether a received packet comes from the address @av sends to: a
 * connected QP takes packets from its peer alone.  (Its QPN is not in a
 * request's headers, so that is as far as a responder can check, as on a
 * RoCE NIC.)
 */
bool hodp_pkt_from(struct sk_buff *skb, const struct hodp_av *av)
{
	if (hodp_pkt(skb)->net_type != av->net_type)
		return false;
	if (av->net_type == RDMA_NETWORK_IPV4)
		return ip_hdr(skb)->saddr == *(const __be32 *)&av->dgid.raw[12];
	return !memcmp(&ipv6_hdr(skb)->saddr, av->dgid.raw, sizeof(av->dgid));
}

/* Opcodes each transport may carry. */
static bool hodp_op_valid(u8 opcode)
{
	u8 op = opcode & ~HODP_TRANSPORT_MASK;

	if (op >= HODP_OP_COUNT || !hodp_op_flags[op])
		return false;
	switch (opcode & HODP_TRANSPORT_MASK) {
	case HODP_TRANSPORT_RC:
		return true;
	case HODP_TRANSPORT_UC:
		return hodp_op_flags[op] & (HODP_F_SEND | HODP_F_WRITE) &&
		       !(hodp_op_flags[op] & HODP_F_IETH);
	case HODP_TRANSPORT_UD:
		return op == HODP_SEND_ONLY || op == HODP_SEND_ONLY_IMM;
	case HODP_TRANSPORT_XRC:
		return !(hodp_op_flags[op] & HODP_F_PLACE);	/* annex A19 is RC's */
	default:
		return false;
	}
}

/* Check the lower headers and parse the BTH; on success skb->data is at the BTH. */
static int hodp_parse(struct sk_buff *skb, bool local)
{
	struct hodp_pkt *pkt = hodp_pkt(skb);
	unsigned int l3_len, pad, min_len;
	struct hodp_bth *bth;
	struct udphdr *udph;
	u32 icrc;

	skb_reset_network_header(skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		struct iphdr *iph;

		if (!pskb_may_pull(skb, sizeof(*iph)))
			return -EINVAL;
		iph = ip_hdr(skb);
		l3_len = iph->ihl * 4;
		if (iph->version != 4 || l3_len != sizeof(*iph) ||
		    ntohs(iph->tot_len) > skb->len || ip_is_fragment(iph))
			return -EINVAL;
		/* Ahead of the IP stack: nothing checked the header before. */
		if (!local && ip_fast_csum(iph, iph->ihl))
			return -EINVAL;
		if (pskb_trim(skb, ntohs(iph->tot_len)))
			return -EINVAL;
		pkt->net_type = RDMA_NETWORK_IPV4;
	} else {
		struct ipv6hdr *ip6h;

		if (!pskb_may_pull(skb, sizeof(*ip6h)))
			return -EINVAL;
		ip6h = ipv6_hdr(skb);
		l3_len = sizeof(*ip6h);
		if (ip6h->nexthdr != IPPROTO_UDP ||
		    ntohs(ip6h->payload_len) + l3_len > skb->len)
			return -EINVAL;
		if (pskb_trim(skb, ntohs(ip6h->payload_len) + l3_len))
			return -EINVAL;
		pkt->net_type = RDMA_NETWORK_IPV6;
	}
	/* A peer's frame may carry its payload as page fragments: read with skb_copy_bits(). */
	if (!local && skb_linearize(skb))
		return -ENOMEM;

	min_len = l3_len + sizeof(*udph) + sizeof(*bth) + HODP_ICRC_SIZE;
	if (skb->len < min_len || !pskb_may_pull(skb, l3_len + sizeof(*udph) + sizeof(*bth)))
		return -EINVAL;
	skb_set_transport_header(skb, l3_len);
	udph = udp_hdr(skb);
	if (ntohs(udph->len) != skb->len - l3_len)
		return -EINVAL;

	if (!local) {
		icrc = le32_to_cpu(*(__le32 *)(skb_tail_pointer(skb) - HODP_ICRC_SIZE));
		if (icrc != hodp_icrc(skb, l3_len, skb->len - HODP_ICRC_SIZE))
			return -EBADMSG;
	}

	__skb_pull(skb, l3_len + sizeof(*udph));
	bth = hodp_pkt_bth(skb);
	if (!hodp_op_valid(bth->opcode) || (bth->flags & 0x0f))	/* TVer 0 */
		return -EINVAL;
	/*
	 * The one partition: its P_Key, full or limited member (the table's
	 * entry is a full member, so either matches).
	 */
	if ((be16_to_cpu(bth->pkey) & 0x7fff) != (HODP_PKEY_DEFAULT & 0x7fff))
		return -EINVAL;

	pkt->opcode = bth->opcode;
	pkt->flags = hodp_op_flags[bth->opcode & ~HODP_TRANSPORT_MASK];
	if (!local)
		pkt->npkts = 1;
	else if (pkt->npkts > 1 && (!(pkt->flags & HODP_F_PAYLOAD) ||
				    (bth->opcode & HODP_TRANSPORT_MASK) == HODP_TRANSPORT_UD))
		return -EINVAL;
	pkt->qpn = be32_to_cpu(bth->qpn) & HODP_QPN_MASK;
	pkt->psn = be32_to_cpu(bth->apsn) & HODP_PSN_MASK;
	pkt->ackreq = !!(be32_to_cpu(bth->apsn) & HODP_BTH_ACKREQ);
	pkt->solicited = !!(bth->flags & HODP_BTH_SE);
	pkt->hdr_len = hodp_hdr_len(bth->opcode, pkt->flags);
	pad = (bth->flags & HODP_BTH_PAD_MASK) >> HODP_BTH_PAD_SHIFT;
	if (skb->len < pkt->hdr_len + pad + HODP_ICRC_SIZE || !pskb_may_pull(skb, pkt->hdr_len))
		return -EINVAL;
	pkt->paylen = skb->len - pkt->hdr_len - pad - HODP_ICRC_SIZE;
	if (pkt->paylen && !(pkt->flags & HODP_F_PAYLOAD))
		return -EINVAL;
	return 0;
}

void hodp_rcv(struct hodp_dev *hdev, struct sk_buff *skb, bool local)
{
	struct hodp_qp *qp;

	if (hodp_parse(skb, local))
		goto drop;
	if (hodp_pkt(skb)->qpn == HODP_QPN_MASK &&
	    (hodp_pkt(skb)->opcode & HODP_TRANSPORT_MASK) == HODP_TRANSPORT_UD) {
		hodp_mcast_rcv(hdev, skb);
		return;
	}

	qp = hodp_qp_get(hdev, hodp_pkt(skb)->qpn);
	if (!qp)
		goto drop;
	hodp_qp_deliver(qp, skb);
	hodp_qp_put(qp);
	return;

drop:
	hodp_count(hdev, HODP_CNT_RX_DROPPED);
	kfree_skb(skb);
}

static rx_handler_result_t hodp_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct hodp_dev *hdev = rcu_dereference(skb->dev->rx_handler_data);
	unsigned int l3_len;
	struct udphdr *udph;

	if (skb->pkt_type != PACKET_HOST && skb->pkt_type != PACKET_MULTICAST)
		return RX_HANDLER_PASS;
	if (skb->protocol == htons(ETH_P_IP)) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr) + sizeof(*udph)) ||
		    ip_hdr(skb)->protocol != IPPROTO_UDP)
			return RX_HANDLER_PASS;
		l3_len = ip_hdr(skb)->ihl * 4;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr) + sizeof(*udph)) ||
		    ipv6_hdr(skb)->nexthdr != IPPROTO_UDP)
			return RX_HANDLER_PASS;
		l3_len = sizeof(struct ipv6hdr);
	} else {
		return RX_HANDLER_PASS;
	}
	if (!pskb_may_pull(skb, l3_len + sizeof(*udph)))
		return RX_HANDLER_PASS;
	udph = (struct udphdr *)(skb->data + l3_len);
	if (udph->dest != htons(HODP_ROCE_UDP_PORT))
		return RX_HANDLER_PASS;

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return RX_HANDLER_CONSUMED;
	/*
	 * A frame from a socket of this host (a veth peer) is still charged
	 * to that socket: a QP holding it (parked on a fault) must not hold
	 * the sender's buffer space too.
	 */
	skb_orphan(skb);
	hodp_rcv(hdev, skb, false);
	return RX_HANDLER_CONSUMED;
}

int hodp_net_attach(struct hodp_dev *hdev)
{
	int err;

	rtnl_lock();
	err = netdev_rx_handler_register(hdev->ndev, hodp_rx_handler, hdev);
	rtnl_unlock();
	if (err)
		pr_err("%s already has a receive handler (bridge or bond port?)\n",
		       netdev_name(hdev->ndev));
	return err;
}

void hodp_net_detach_locked(struct hodp_dev *hdev)
{
	ASSERT_RTNL();
	if (rtnl_dereference(hdev->ndev->rx_handler_data) == hdev)
		netdev_rx_handler_unregister(hdev->ndev);
}

void hodp_net_detach(struct hodp_dev *hdev)
{
	rtnl_lock();
	hodp_net_detach_locked(hdev);
	rtnl_unlock();
}
