// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wire DEV STALLED_FILE
 * wire DEV fuzz SEED FRAMES
 *
 * RoCEv2 frames crafted by hand and sent from
 * another host, as anyone on the network can, to QPs of DEV (hodp0 on
 * veth0, 10.99.0.1).  A child process enters network namespace ns1 (veth1,
 * 10.99.0.2: tests/lib/netns.sh) and sends Ethernet frames there with an
 * AF_PACKET socket; headers come from the driver's own opcode table
 * (kernel/hodp_hdr.c), the ICRC is computed here.  Cases, one TAP line
 * each:
 *   - an RDMA WRITE with a foreign P_Key, from an address that is not the
 *     QP's peer, with a wrong IPv4 header checksum: each dropped; the same
 *     WRITE done right lands (so the drops are not the injector's failure);
 *   - a flood of READ requests to a QP parked on a page fault that does
 *     not end (an ODP MR over STALLED_FILE, a file of tests/progs/fuse_stall
 *     whose reads are never answered in time): the QP's receive queue stays
 *     bounded and the drops are counted;
 *   - a READ of 256 MiB with a request behind it: the responder's work item
 *     yields between budgets, so destroying the QP does not wait for it all.
 * With "fuzz": FRAMES frames from SEED aimed at live QPs of DEV (RC and UC
 * connected to the sending host, UD, QP1) and at random QPNs: valid ones
 * for every opcode mixed with mutations of every header field, truncated
 * and oversized frames, wrong and right ICRCs; then every QP must answer a
 * query and the device must still carry a verified RDMA WRITE.
 * Exits non-zero if any case fails.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kshim.h"
#include "../../kernel/hodp_hdr.h"
#include "common.h"

#define PEER_IP		"10.99.0.2"	/* ns1's veth1: the sending host */
#define SPOOF_IP	"10.99.0.3"	/* an address no QP here talks to */
#define LOCAL_IP	"10.99.0.1"
#define PEER_QPN	0x77		/* the QPN the victim QPs are connected to */
#define FIRST_PSN	0x123		/* qp_rtr_attr()'s rq_psn */
#define BUF_SIZE	(1u << 20)
#define FLOOD		20000u

/* What one frame carries. */
struct spec {
	uint32_t saddr;			/* network order */
	uint8_t opcode;
	uint16_t pkey;
	uint32_t qpn;
	uint32_t psn;
	uint64_t va;
	uint32_t rkey;
	uint32_t dmalen;		/* RETH's length */
	uint32_t paylen;
	uint8_t fill;
	bool bad_ip_csum;
	uint32_t xrc_srqn;		/* XRC requests' XRCETH */
};

/*
 * A job for the sender: @count frames of @s, PSNs counting up; or, with
 * @fuzz_frames, that many fuzzed frames from @seed against @targets.
 */
struct targets {
	uint32_t rc_qpn, uc_qpn, ud_qpn, qkey;
	uint32_t xrc_qpn, srqn, other_srqn;	/* an XRC target, its domain's SRQ, another's */
	uint32_t rkey;
	uint64_t va;
	uint32_t len;
};

struct job {
	struct spec s;
	uint32_t count;
	uint64_t seed;
	uint32_t fuzz_frames;
	struct targets t;
};

static uint8_t local_mac[6];
static int to_sender, from_sender;

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		for (c = i, j = 0; j < 8; j++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/*
 * RoCEv2's ICRC over @l3 (an IPv4 packet of @len bytes, ICRC excluded):
 * CRC-32 of 8 bytes of ones (the LRH a RoCEv2 packet does not have), then
 * the IP, UDP and BTH headers with their variant fields set to ones, then
 * the rest.
 */
static uint32_t icrc(const uint8_t *l3, size_t len)
{
	const size_t fixed = sizeof(struct iphdr) + sizeof(struct udphdr) +
			     sizeof(struct hodp_bth);
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t m[sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(struct hodp_bth)];
	struct iphdr *ip = (struct iphdr *)m;
	struct udphdr *udp = (struct udphdr *)(m + sizeof(*ip));
	uint32_t crc;

	memcpy(m, l3, fixed);
	ip->tos = 0xff;
	ip->ttl = 0xff;
	ip->check = 0xffff;
	udp->check = 0xffff;
	m[sizeof(*ip) + sizeof(*udp) + 4] = 0xff;	/* FECN, BECN, reserved */
	crc = crc32_update(0xffffffffu, ones, sizeof(ones));
	crc = crc32_update(crc, m, fixed);
	crc = crc32_update(crc, l3 + fixed, len - fixed);
	return ~crc;
}

static uint16_t ip_csum(const void *p, size_t n)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; n > 1; n -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The IPv4 and UDP headers of a RoCEv2 packet of @l3_len bytes from @saddr. */
static void ip_udp(struct iphdr *ip, size_t l3_len, uint32_t saddr, uint16_t sport)
{
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)l3_len);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = saddr;
	ip->daddr = inet_addr(LOCAL_IP);
	ip->check = ip_csum(ip, sizeof(*ip));
	udp->source = htons(sport);
	udp->dest = htons(HODP_ROCE_UDP_PORT);
	udp->len = htons((uint16_t)(l3_len - sizeof(*ip)));
	udp->check = 0;
}

/* An Ethernet frame for @s into @f (room for 2 KiB); its length. */
static size_t build(uint8_t *f, const struct spec *s, const uint8_t *src_mac)
{
	uint16_t flags = hodp_op_flags[s->opcode & ~HODP_TRANSPORT_MASK];
	struct ether_header *eth = (struct ether_header *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	struct hodp_bth *bth = (struct hodp_bth *)(udp + 1);
	uint8_t *p = (uint8_t *)(bth + 1);
	uint32_t pad = (4 - s->paylen % 4) % 4, c;
	size_t l3_len;

	memcpy(eth->ether_dhost, local_mac, 6);
	memcpy(eth->ether_shost, src_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);

	memset(bth, 0, sizeof(*bth));
	hodp_bth_init(bth, s->opcode, (uint8_t)(pad << HODP_BTH_PAD_SHIFT), s->qpn,
		      HODP_BTH_ACKREQ | (s->psn & HODP_PSN_MASK));
	bth->pkey = htons(s->pkey);
	if ((s->opcode & HODP_TRANSPORT_MASK) == HODP_TRANSPORT_UD)
		p += sizeof(struct hodp_deth);
	if ((s->opcode & HODP_TRANSPORT_MASK) == HODP_TRANSPORT_XRC && (flags & HODP_F_REQ)) {
		((struct hodp_xrceth *)p)->srqn = htonl(s->xrc_srqn);
		p += sizeof(struct hodp_xrceth);
	}
	if (flags & HODP_F_RETH) {
		struct hodp_reth *reth = (struct hodp_reth *)p;

		reth->va = htobe64(s->va);
		reth->rkey = htonl(s->rkey);
		reth->len = htonl(s->dmalen);
		p += sizeof(*reth);
	}
	memset(p, s->fill, s->paylen + pad);
	p += s->paylen + pad;

	l3_len = (size_t)(p - (uint8_t *)ip) + HODP_ICRC_SIZE;
	ip_udp(ip, l3_len, s->saddr, (uint16_t)(0xc000 | (s->psn & 0x3fff)));
	if (s->bad_ip_csum)
		ip->check ^= htons(0x0100);
	c = icrc((uint8_t *)ip, l3_len - HODP_ICRC_SIZE);
	memcpy(p, &c, 4);	/* little-endian, as the kernel stores it */
	return sizeof(*eth) + l3_len;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	return xorshift64(&rng);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static uint32_t pick(const uint32_t *v, uint32_t n)
{
	return v[below(n)];
}

/*
 * One fuzzed frame into @f: a packet as a peer would send it (any opcode
 * of the driver's table, its extended headers filled with values near and
 * far from the live ones), then, often, broken: bytes flipped before the
 * ICRC is computed (a right ICRC over wrong headers) or after (a wrong one),
 * truncated, extended, or with a wrong IP checksum.  Its length.
 */
static size_t fuzz_frame(uint8_t *f, const struct targets *t, const uint8_t *src_mac)
{
	static const uint32_t transports[] = { HODP_TRANSPORT_RC, HODP_TRANSPORT_UC,
					       HODP_TRANSPORT_UD, HODP_TRANSPORT_XRC, 0x40,
					       0x80 };
	struct ether_header *eth = (struct ether_header *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	struct hodp_bth *bth = (struct hodp_bth *)(udp + 1);
	uint8_t *p = (uint8_t *)(bth + 1), op;
	uint32_t transport, qpn, pad, paylen, c, i, n;
	size_t l3_len, len;
	uint16_t flags;

	transport = pick(transports, 6);
	op = (uint8_t)(below(4) ? below(HODP_OP_COUNT) : below(32));
	switch (below(7)) {
	case 0: qpn = t->rc_qpn; transport = HODP_TRANSPORT_RC; break;
	case 1: qpn = t->uc_qpn; transport = HODP_TRANSPORT_UC; break;
	case 2: qpn = t->ud_qpn; transport = HODP_TRANSPORT_UD; break;
	case 3: qpn = 1; transport = HODP_TRANSPORT_UD; break;
	case 4: qpn = below(64); break;
	case 5: qpn = t->xrc_qpn; transport = HODP_TRANSPORT_XRC; break;
	default: qpn = (uint32_t)rnd(); break;
	}
	if (transport == HODP_TRANSPORT_UD && below(4))
		op = below(2) ? HODP_SEND_ONLY : HODP_SEND_ONLY_IMM;
	flags = op < HODP_OP_COUNT ? hodp_op_flags[op] : (uint16_t)rnd();

	memcpy(eth->ether_dhost, local_mac, 6);
	memcpy(eth->ether_shost, src_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);
	paylen = below(8) ? below(1100) : below(5000);
	if (!(flags & HODP_F_PAYLOAD) && below(4))
		paylen = 0;
	pad = (4 - paylen % 4) % 4;
	if (!below(16))
		pad = below(4);
	bth->opcode = (uint8_t)(transport | op);
	bth->flags = (uint8_t)(pad << HODP_BTH_PAD_SHIFT | (below(8) ? 0 : rnd() & 0xcf));
	bth->pkey = htons(below(32) ? HODP_PKEY_DEFAULT : (uint16_t)rnd());
	bth->qpn = htonl(qpn & (below(32) ? HODP_QPN_MASK : 0xffffffffu));
	bth->apsn = htonl((uint32_t)(below(2) ? FIRST_PSN + below(64) : rnd()));
	if (transport == HODP_TRANSPORT_UD) {
		struct hodp_deth *deth = (struct hodp_deth *)p;

		deth->qkey = htonl(below(4) ? (qpn == 1 ? 0x80010000u : t->qkey) : (uint32_t)rnd());
		deth->sqpn = htonl((uint32_t)rnd() & HODP_QPN_MASK);
		p += sizeof(*deth);
	}
	if (transport == HODP_TRANSPORT_XRC && (flags & HODP_F_REQ)) {
		*(uint32_t *)p = htonl(below(2) ? t->srqn : below(2) ? t->other_srqn :
				       (uint32_t)rnd());
		p += sizeof(struct hodp_xrceth);
	}
	/* The extended headers, in the table's order, with near and far values. */
	if (flags & HODP_F_FETH) {
		*(uint32_t *)p = (uint32_t)rnd();
		p += sizeof(struct hodp_feth);
	}
	if (flags & (HODP_F_RETH | HODP_F_ATMETH)) {
		uint64_t va = below(2) ? t->va + below(t->len + 64) : rnd();
		uint32_t rkey = below(2) ? t->rkey : (uint32_t)rnd();

		if (flags & HODP_F_RETH) {
			struct hodp_reth *reth = (struct hodp_reth *)p;

			reth->va = htobe64(va);
			reth->rkey = htonl(rkey);
			reth->len = htonl(below(2) ? paylen : below(4) ? below(1 << 16) : (uint32_t)rnd());
			p += sizeof(*reth);
		}
		if (flags & HODP_F_ATMETH) {
			struct hodp_atmeth *a = (struct hodp_atmeth *)p;

			a->va = htobe64(below(4) ? va & ~7ull : va);
			a->rkey = htonl(rkey);
			a->swap_add = rnd();
			a->compare = rnd();
			p += sizeof(*a);
		}
	}
	n = (flags & HODP_F_AETH ? 4 : 0) + (flags & HODP_F_ATMACK ? 8 : 0) +
	    (flags & HODP_F_IMM ? 4 : 0) + (flags & HODP_F_IETH ? 4 : 0);
	for (i = 0; i < n; i++)
		*p++ = (uint8_t)rnd();
	for (i = 0; i < paylen + pad; i++)
		*p++ = (uint8_t)rnd();

	l3_len = (size_t)(p - (uint8_t *)ip) + HODP_ICRC_SIZE;
	ip_udp(ip, l3_len, inet_addr(below(8) ? PEER_IP : SPOOF_IP),
	       (uint16_t)(0xc000 | below(0x4000)));
	len = sizeof(*eth) + l3_len;
	/* Broken before the ICRC: it vouches for wrong headers. */
	if (!below(4))
		for (i = below(4) + 1; i; i--)
			f[sizeof(*eth) + below((uint32_t)l3_len - HODP_ICRC_SIZE)] ^= (uint8_t)(1 << below(8));
	c = icrc((uint8_t *)ip, l3_len - HODP_ICRC_SIZE);
	memcpy(p, &c, 4);
	switch (below(16)) {
	case 0:		/* a wrong ICRC */
		f[len - 1 - below(4)] ^= 0x10;
		break;
	case 1:		/* truncated */
		len = sizeof(*eth) + below((uint32_t)l3_len);
		break;
	case 2:		/* trailing bytes the IP length does not cover */
		for (i = below(64) + 1; i && len < 1514; i--)
			f[len++] = (uint8_t)rnd();
		break;
	case 3:		/* a wrong IP header checksum */
		ip->check ^= htons(0x0001);
		break;
	}
	return len < 14 ? 14 : len;
}

/* The child: in ns1, send what the parent asks for until the pipe closes. */
static void sender(void)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	uint8_t frame[8192], src_mac[6];
	struct ifreq ifr = { 0 };
	struct job job;
	int ns, fd, st;

	ns = open("/run/netns/ns1", O_RDONLY);
	if (ns < 0 || setns(ns, CLONE_NEWNET))
		die("enter ns1: %s", strerror(errno));
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "veth1");
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("veth1: %s", strerror(errno));
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	/*
	 * Room for a whole flood: a frame the receiving host holds stays
	 * charged to this socket unless that host orphans it (hodp does),
	 * and the flood must not depend on that.
	 */
	st = 64 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &st, sizeof(st));
	to.sll_ifindex = (int)if_nametoindex("veth1");
	memcpy(to.sll_addr, local_mac, 6);
	while (read(to_sender, &job, sizeof(job)) == sizeof(job)) {
		uint32_t i;
		char ok = 1;

		rng = job.seed | 1;
		for (i = 0; i < job.fuzz_frames && ok; i++) {
			size_t len = fuzz_frame(frame, &job.t, src_mac);

			while (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
				if (errno == EMSGSIZE)
					break;	/* longer than the link's MTU: not sent */
				if (errno != ENOBUFS && errno != EAGAIN) {
					ok = 0;
					break;
				}
				usleep(1000);
			}
		}
		for (i = 0; i < job.count; i++) {
			size_t len;

			len = build(frame, &job.s, src_mac);
			if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
				/* A full socket buffer under a flood: wait, then go on. */
				if (errno == ENOBUFS || errno == EAGAIN) {
					usleep(1000);
					i--;
					continue;
				}
				ok = 0;
				break;
			}
			job.s.psn = (job.s.psn + 1) & HODP_PSN_MASK;
		}
		if (write(from_sender, &ok, 1) != 1)
			break;
	}
	exit(0);
}

static void send_frames(const struct spec *s, uint32_t count)
{
	struct job job = { .s = *s, .count = count };
	char ok;

	if (write(to_sender, &job, sizeof(job)) != sizeof(job) ||
	    read(from_sender, &ok, 1) != 1 || !ok)
		die("the sender failed");
}

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static const char *dev_name;

/*
 * A QP of @type on @cq, connected to PEER_QPN at PEER_IP (RC, UC) or UD, in
 * RTR (a responder for injected requests) or, with @rts, RTS.
 */
static struct ibv_qp *peer_qp(struct ibv_cq *cq, enum ibv_qp_type type, bool rts)
{
	struct ibv_qp_init_attr init = { .send_cq = cq, .recv_cq = cq, .qp_type = type,
					 .cap = { .max_send_wr = 16, .max_recv_wr = 64,
						  .max_send_sge = 1, .max_recv_sge = 1 } };
	union ibv_gid peer = { .raw = { [10] = 0xff, [11] = 0xff } };
	struct ibv_qp_attr attr;
	struct ibv_qp *qp = ibv_create_qp(pd, &init);
	int mask;

	inet_pton(AF_INET, PEER_IP, &peer.raw[12]);
	if (!qp || qp_to_init(qp))
		die("QP: %s", strerror(errno));
	mask = qp_rtr_attr(qp, PEER_QPN, &peer, &attr);
	if (ibv_modify_qp(qp, &attr, mask))
		die("to RTR: %s", strerror(errno));
	mask = qp_rts_attr(qp, 7, &attr);
	if (rts && ibv_modify_qp(qp, &attr, mask))
		die("to RTS: %s", strerror(errno));
	return qp;
}

/* An XRC target on @xrcd connected to the peer, in RTS. */
static struct ibv_qp *peer_xrc_qp(struct ibv_xrcd *xrcd)
{
	struct ibv_qp_init_attr_ex init = {
		.qp_type = IBV_QPT_XRC_RECV, .xrcd = xrcd, .comp_mask = IBV_QP_INIT_ATTR_XRCD,
	};
	union ibv_gid peer = { .raw = { [10] = 0xff, [11] = 0xff } };
	struct ibv_qp *qp = ibv_create_qp_ex(ctx, &init);

	inet_pton(AF_INET, PEER_IP, &peer.raw[12]);
	if (!qp || qp_to_init(qp))
		die("XRC QP: %s", strerror(errno));
	qp_connect(qp, PEER_QPN, &peer, 7);
	return qp;
}

/* An XRC SRQ of @xrcd on @cq, 64 receives of 8 KiB into @mr posted. */
static struct ibv_srq *xrc_srq(struct ibv_xrcd *xrcd, struct ibv_cq *cq, struct ibv_mr *mr)
{
	struct ibv_srq_init_attr_ex attr = {
		.attr = { .max_wr = 64, .max_sge = 1 },
		.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
		.srq_type = IBV_SRQT_XRC, .pd = pd, .xrcd = xrcd, .cq = cq,
	};
	struct ibv_srq *srq = ibv_create_srq_ex(ctx, &attr);
	int j;

	if (!srq)
		die("XRC SRQ: %s", strerror(errno));
	for (j = 0; j < 64; j++) {
		struct ibv_sge sge = { (uintptr_t)mr->addr + (uint32_t)j * 8192, 8192, mr->lkey };
		struct ibv_recv_wr wr = { .wr_id = (uint64_t)j, .sg_list = &sge, .num_sge = 1 };
		struct ibv_recv_wr *bad;

		if (ibv_post_srq_recv(srq, &wr, &bad))
			die("post_srq_recv: %s", strerror(errno));
	}
	return srq;
}

/* A device counter (hw_counters), or -1. */
static long long counter(const char *name)
{
	char path[256];
	long long v;

	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/1/hw_counters/%s",
		 dev_name, name);
	v = file_ll(path);
	if (v < 0) {
		snprintf(path, sizeof(path), "/sys/class/infiniband/%s/hw_counters/%s",
			 dev_name, name);
		v = file_ll(path);
	}
	return v;
}

/*
 * One RDMA WRITE of 64 bytes of 'X' to a fresh QP, altered by @alter; true
 * if it landed.
 */
static bool write_lands(struct ibv_mr *mr, uint8_t *buf, void (*alter)(struct spec *))
{
	struct ibv_cq *cq = ibv_create_cq(ctx, 128, NULL, NULL, 0);
	struct ibv_qp *qp;
	struct spec s = {
		.saddr = inet_addr(PEER_IP), .opcode = HODP_TRANSPORT_RC | HODP_WRITE_ONLY,
		.pkey = HODP_PKEY_DEFAULT, .psn = FIRST_PSN, .va = (uintptr_t)buf,
		.dmalen = 64, .paylen = 64, .fill = 'X',
	};
	bool landed;
	double t0;

	if (!cq)
		die("ibv_create_cq");
	qp = peer_qp(cq, IBV_QPT_RC, false);
	memset(buf, 0, 64);
	s.qpn = qp->qp_num;
	s.rkey = mr->rkey;
	if (alter)
		alter(&s);
	send_frames(&s, 1);
	/* Landing takes the engine a moment; dropping shows only as nothing happening. */
	t0 = now_us();
	while (buf[0] != 'X' && now_us() - t0 < 0.5e6 * time_scale())
		usleep(10000);
	landed = buf[0] == 'X' && buf[63] == 'X';
	ibv_destroy_qp(qp);
	ibv_destroy_cq(cq);
	return landed;
}

static void foreign_pkey(struct spec *s)
{
	s->pkey = 0x1234;
}

static void spoofed_source(struct spec *s)
{
	s->saddr = inet_addr(SPOOF_IP);
}

static void bad_ip_checksum(struct spec *s)
{
	s->bad_ip_csum = true;
}

static void t_blind_injection(void)
{
	uint8_t *buf = map_anon(BUF_SIZE);
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE);
	long long dropped = counter("rx_dropped");
	bool ok;

	if (!mr)
		die("ibv_reg_mr: %s", strerror(errno));
	ok = !write_lands(mr, buf, foreign_pkey);
	report(ok, "a WRITE with P_Key 0x1234 (not in the table) is dropped");
	ok = !write_lands(mr, buf, spoofed_source);
	report(ok, "a WRITE to a connected QP from %s, not its peer, is dropped", SPOOF_IP);
	ok = !write_lands(mr, buf, bad_ip_checksum);
	report(ok, "a WRITE with a wrong IPv4 header checksum is dropped");
	ok = write_lands(mr, buf, NULL);
	report(ok, "the same WRITE from the peer, P_Key and checksum right, lands");
	printf("#   rx_dropped %lld -> %lld\n", dropped, counter("rx_dropped"));
	ibv_dereg_mr(mr);
	munmap(buf, BUF_SIZE);
}

/*
 * From QP @qpn's line in debugfs, the number after @key (its first
 * occurrence after @after, if given), or -1.
 */
static long qp_field(uint32_t qpn, const char *after, const char *key)
{
	char path[128], line[1024], *p;
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/hodp/%s/qps", dev_name);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int q;

		if (sscanf(line, "qp %u", &q) != 1 || q != qpn)
			continue;
		p = after ? strstr(line, after) : line;
		p = p ? strstr(p, key) : NULL;
		if (p)
			n = strtol(p + strlen(key), NULL, 10);
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * A QP parked on a fault that does not end (a READ of a page of a FUSE
 * file whose server does not answer) while a peer floods it: its receive
 * queue grew with every packet.
 */
static void t_flood_parked(const char *stalled)
{
	const size_t len = 1u << 20;
	struct ibv_cq *cq = ibv_create_cq(ctx, 128, NULL, NULL, 0);
	long long full = counter("rx_queue_full");
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	struct spec s = {
		.saddr = inet_addr(PEER_IP), .opcode = HODP_TRANSPORT_RC | HODP_READ_REQUEST,
		.pkey = HODP_PKEY_DEFAULT, .psn = FIRST_PSN, .dmalen = 64,
	};
	long queued = -1;
	uint8_t *file;
	double t0;
	int fd;

	fd = open(stalled, O_RDONLY);
	file = fd < 0 ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED || !cq)
		die("%s: %s", stalled, strerror(errno));
	mr = ibv_reg_mr(pd, file, len, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_READ);
	if (!mr)
		die("ODP MR over %s: %s", stalled, strerror(errno));
	qp = peer_qp(cq, IBV_QPT_RC, false);
	s.qpn = qp->qp_num;
	s.rkey = mr->rkey;
	s.va = (uintptr_t)file;
	/* The first READ faults on a page only the stalled server can give. */
	send_frames(&s, 1);
	t0 = now_us();
	while (qp_field(qp->qp_num, " fault req ", " rx ") != 1 && now_us() - t0 < 5e6 * time_scale())
		usleep(100000);
	report(qp_field(qp->qp_num, " fault req ", " rx ") == 1,
	       "a READ of a stalled FUSE file's page parks the QP on its fault");
	s.psn = FIRST_PSN + 1;
	send_frames(&s, FLOOD);
	/* Until the engine has seen them all, or a while. */
	t0 = now_us();
	do {
		usleep(200000);
		queued = qp_field(qp->qp_num, NULL, " rx ");
	} while (queued < 1024 && now_us() - t0 < 2e6 * time_scale());
	printf("#   %u frames sent, %ld waiting in the QP's queue, rx_queue_full %lld -> %lld\n",
	       FLOOD, queued, full, counter("rx_queue_full"));
	report(queued >= 0 && queued <= 1024 + 64 && counter("rx_queue_full") - full > 0,
	       "a flood of a QP parked on a fault that does not end: its queue stays bounded, "
	       "the drops are counted");
	t0 = now_us();
	ibv_destroy_qp(qp);
	report(now_us() - t0 < 5e6 * time_scale(), "the parked QP is destroyed (%.3f s)",
	       (now_us() - t0) / 1e6);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	munmap(file, len);
	close(fd);
}

/*
 * A READ was answered whole before the responder looked at anything else:
 * with a request behind a READ of 256 MiB, the QP's work item sent all
 * 262,144 response packets in one go, and destroying the QP waited for them.
 */
static void t_big_read(void)
{
	const size_t len = 256u << 20;
	struct ibv_cq *cq = ibv_create_cq(ctx, 128, NULL, NULL, 0);
	uint8_t *src = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct spec s = {
		.saddr = inet_addr(PEER_IP), .opcode = HODP_TRANSPORT_RC | HODP_READ_REQUEST,
		.pkey = HODP_PKEY_DEFAULT, .psn = FIRST_PSN, .va = (uintptr_t)src,
		.dmalen = len,
	};
	struct ibv_sge sge = { (uintptr_t)src, len, 0 };
	struct ibv_mr *mr;
	struct ibv_qp *qp;
	long answering;
	double t0;

	if (src == MAP_FAILED || !cq)
		die("setup: %s", strerror(errno));
	/* Never written: the zero page, faulted in first so that no fault breaks the stream. */
	mr = ibv_reg_mr(pd, src, len, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_READ);
	if (!mr)
		die("ODP MR: %s", strerror(errno));
	sge.lkey = mr->lkey;
	if (ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1))
		die("ibv_advise_mr: %s", strerror(errno));
	qp = peer_qp(cq, IBV_QPT_RC, false);
	s.qpn = qp->qp_num;
	s.rkey = mr->rkey;
	send_frames(&s, 1);
	/* Then a small READ, at the PSN after the big one's 1 KiB responses. */
	s.psn = FIRST_PSN + len / 1024;
	s.dmalen = 64;
	send_frames(&s, 1);
	usleep(200000);
	answering = qp_field(qp->qp_num, NULL, " read ");
	t0 = now_us();
	ibv_destroy_qp(qp);
	report(answering == 1 && now_us() - t0 < 1e6 * time_scale(),
	       "a QP answering a READ of 256 MiB with a request behind it is destroyed "
	       "without waiting for the rest (%.3f s)", (now_us() - t0) / 1e6);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	munmap(src, len);
}

/*
 * An XRC message's receive WQE belongs to the SRQ its first packet named:
 * a SEND_FIRST naming SRQ A, then a SEND_ONLY naming SRQ B before A's
 * message ended.  The target refuses the second (Invalid Request, error)
 * and A's WQE completes, flushed, on A's CQ; B's CQ sees nothing.  (The
 * second packet used to re-point the open message at B: A's WQE, wr_id
 * and all, completed on B's CQ.)
 */
static void t_xrc_message_srq(void)
{
	struct ibv_xrcd_init_attr xattr = { .comp_mask = IBV_XRCD_INIT_ATTR_FD |
					    IBV_XRCD_INIT_ATTR_OFLAGS, .fd = -1, .oflags = O_CREAT };
	struct ibv_xrcd *xrcd = ibv_open_xrcd(ctx, &xattr);
	struct ibv_cq *cq[2] = { ibv_create_cq(ctx, 128, NULL, NULL, 0),
				 ibv_create_cq(ctx, 128, NULL, NULL, 0) };
	uint8_t *buf = map_anon(BUF_SIZE);
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE);
	struct spec s = {
		.saddr = inet_addr(PEER_IP), .opcode = HODP_TRANSPORT_XRC | HODP_SEND_FIRST,
		.pkey = HODP_PKEY_DEFAULT, .psn = FIRST_PSN, .paylen = 1024, .fill = 'A',
	};
	struct ibv_srq *srq[2];
	struct ibv_wc wc[2][2];
	struct ibv_qp *qp;
	uint32_t srqn[2];
	int n[2], i;

	if (!xrcd || !cq[0] || !cq[1] || !mr)
		die("XRC setup: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		srq[i] = xrc_srq(xrcd, cq[i], mr);
		if (ibv_get_srq_num(srq[i], &srqn[i]))
			die("ibv_get_srq_num: %s", strerror(errno));
	}
	qp = peer_xrc_qp(xrcd);
	s.qpn = qp->qp_num;
	s.xrc_srqn = srqn[0];
	send_frames(&s, 1);
	s.opcode = HODP_TRANSPORT_XRC | HODP_SEND_ONLY;
	s.psn++;
	s.paylen = 64;
	s.fill = 'B';
	s.xrc_srqn = srqn[1];
	send_frames(&s, 1);
	usleep(500000 * time_scale());
	for (i = 0; i < 2; i++)
		n[i] = ibv_poll_cq(cq[i], 2, wc[i]);
	report(qp_state(qp) == IBV_QPS_ERR && n[0] == 1 &&
	       wc[0][0].status == IBV_WC_WR_FLUSH_ERR && n[1] == 0,
	       "an XRC SEND naming SRQ B inside a message to SRQ A: refused, the target in error, "
	       "A's receive flushed on A's CQ (%d), none on B's (%d)", n[0], n[1]);
	if (ibv_destroy_qp(qp))
		die("ibv_destroy_qp: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		if (ibv_destroy_srq(srq[i]) || ibv_destroy_cq(cq[i]))
			die("XRC teardown: %s", strerror(errno));
	ibv_close_xrcd(xrcd);
	ibv_dereg_mr(mr);
	munmap(buf, BUF_SIZE);
}

static atomic_bool fuzzing;
static unsigned long traffic_rounds, traffic_bad;

/* Verified RDMA WRITEs between two QPs of the device while the fuzzer runs. */
static void *traffic(void *arg)
{
	const uint32_t len = 256 << 10;
	struct ibv_cq *cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	uint8_t *buf = map_anon(2 * len);
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, 2 * len, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE);
	struct ibv_qp *a, *b;
	uint32_t i;

	(void)arg;
	if (!cq || !mr)
		die("traffic: %s", strerror(errno));
	rc_loopback_pair(pd, cq, 4, &a, &b);
	while (atomic_load(&fuzzing)) {
		struct ibv_sge sge = { (uintptr_t)buf, len, mr->lkey };
		struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE,
					  .send_flags = IBV_SEND_SIGNALED,
					  .wr.rdma = { (uintptr_t)buf + len, mr->rkey } }, *bad;
		struct ibv_wc wc;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)(i * 13 + traffic_rounds);
		if (ibv_post_send(a, &wr, &bad) || !poll_one(cq, &wc) ||
		    wc.status != IBV_WC_SUCCESS || memcmp(buf, buf + len, len))
			traffic_bad++;
		traffic_rounds++;
	}
	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	munmap(buf, 2 * len);
	return NULL;
}

static void t_fuzz(uint64_t seed, uint32_t frames)
{
	const uint32_t len = 1u << 20;
	struct ibv_cq *cq = ibv_create_cq(ctx, 1024, NULL, NULL, 0);
	uint8_t *buf = map_anon(len);
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
				       IBV_ACCESS_REMOTE_ATOMIC);
	struct ibv_xrcd_init_attr xattr = { .comp_mask = IBV_XRCD_INIT_ATTR_FD |
					    IBV_XRCD_INIT_ATTR_OFLAGS, .fd = -1, .oflags = O_CREAT };
	struct ibv_xrcd *xrcd[2] = { ibv_open_xrcd(ctx, &xattr), ibv_open_xrcd(ctx, &xattr) };
	struct ibv_srq *srq[2];
	struct ibv_qp *qp[4];
	long long dropped = counter("rx_dropped"), full = counter("rx_queue_full");
	struct job job = { .seed = seed, .fuzz_frames = frames };
	unsigned long wcs = 0, errs = 0;
	pthread_t th;
	struct ibv_wc wc;
	double t0;
	char ok;
	int i, j, states = 0;

	if (!cq || !mr || !xrcd[0] || !xrcd[1])
		die("fuzz setup: %s", strerror(errno));
	qp[0] = peer_qp(cq, IBV_QPT_RC, true);
	qp[1] = peer_qp(cq, IBV_QPT_UC, true);
	qp[2] = peer_qp(cq, IBV_QPT_UD, true);
	qp[3] = peer_xrc_qp(xrcd[0]);
	srq[0] = xrc_srq(xrcd[0], cq, mr);
	srq[1] = xrc_srq(xrcd[1], cq, mr);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 64; j++) {
			struct ibv_sge sge = { (uintptr_t)buf + (uint32_t)j * 8192, 8192, mr->lkey };
			struct ibv_recv_wr wr = { .wr_id = (uint64_t)j, .sg_list = &sge,
						  .num_sge = 1 }, *bad;

			if (ibv_post_recv(qp[i], &wr, &bad))
				die("post_recv: %s", strerror(errno));
		}
	job.t = (struct targets) {
		.rc_qpn = qp[0]->qp_num, .uc_qpn = qp[1]->qp_num, .ud_qpn = qp[2]->qp_num,
		.qkey = 0x1234, .rkey = mr->rkey, .va = (uintptr_t)buf, .len = len,
		.xrc_qpn = qp[3]->qp_num,
	};
	if (ibv_get_srq_num(srq[0], &job.t.srqn) || ibv_get_srq_num(srq[1], &job.t.other_srqn))
		die("ibv_get_srq_num: %s", strerror(errno));
	atomic_store(&fuzzing, true);
	if (pthread_create(&th, NULL, traffic, NULL))
		die("pthread_create");
	t0 = now_us();
	if (write(to_sender, &job, sizeof(job)) != sizeof(job) ||
	    read(from_sender, &ok, 1) != 1)
		die("the sender failed");
	atomic_store(&fuzzing, false);
	pthread_join(th, NULL);
	printf("#   seed %llu: %u frames in %.1f s; rx_dropped +%lld, rx_queue_full +%lld\n",
	       (unsigned long long)seed, frames, (now_us() - t0) / 1e6,
	       counter("rx_dropped") - dropped, counter("rx_queue_full") - full);
	report(ok, "the fuzzer sent its %u frames", frames);
	usleep(500000);
	while (ibv_poll_cq(cq, 1, &wc) == 1) {
		wcs++;
		errs += wc.status != IBV_WC_SUCCESS;
	}
	printf("#   the fuzzed QPs completed %lu receives (%lu with an error status)\n", wcs,
	       errs);
	for (i = 0; i < 4; i++) {
		int st = qp_state(qp[i]);

		states += st == IBV_QPS_RTS || st == IBV_QPS_ERR || st == IBV_QPS_SQE;
	}
	report(states == 4,
	       "the fuzzed RC, UC, UD and XRC target QPs answer a query, in RTS or in error");
	report(traffic_rounds > 0 && !traffic_bad,
	       "%lu verified 256 KiB RDMA WRITEs on other QPs meanwhile, %lu wrong",
	       traffic_rounds, traffic_bad);
	for (i = 0; i < 4; i++)
		if (ibv_destroy_qp(qp[i]))
			die("ibv_destroy_qp: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		if (ibv_destroy_srq(srq[i]) || ibv_close_xrcd(xrcd[i]))
			die("XRC teardown: %s", strerror(errno));
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	munmap(buf, len);
}

int main(int argc, char **argv)
{
	int down[2], up[2];
	char path[128];
	unsigned int m[6];
	FILE *f;
	pid_t pid;
	int st;

	if (argc != 3 && !(argc == 5 && !strcmp(argv[2], "fuzz")))
		die("usage: wire DEV STALLED_FILE | wire DEV fuzz SEED FRAMES");
	dev_name = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	crc_init();
	f = fopen("/sys/class/net/veth0/address", "r");
	if (!f || fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		die("veth0's address");
	fclose(f);
	for (st = 0; st < 6; st++)
		local_mac[st] = (uint8_t)m[st];
	if (pipe(down) || pipe(up))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(down[1]);
		close(up[0]);
		to_sender = down[0];
		from_sender = up[1];
		sender();
	}
	close(down[0]);
	close(up[1]);
	to_sender = down[1];
	from_sender = up[0];

	ctx = open_device(dev_name);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		die("ibv_alloc_pd");
	snprintf(path, sizeof(path), "%s", argv[2]);
	if (argc == 5) {
		t_fuzz(strtoull(argv[3], NULL, 0), (uint32_t)strtoul(argv[4], NULL, 0));
	} else {
		t_blind_injection();
		t_flood_parked(path);
		t_big_read();
		t_xrc_message_srq();
	}
	close(to_sender);
	waitpid(pid, &st, 0);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return tap_failures != 0;
}
