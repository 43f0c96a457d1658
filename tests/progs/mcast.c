// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mcast DEV_A DEV_B 4|6: UD multicast from one QP on DEV_A to two QPs on
 * DEV_B attached to a group (DEV_A == DEV_B: the device's own QPs get the
 * group's traffic too).  Group 230.99.0.9 (4) or ff0e::99 (6), sent from
 * DEV_A's IPv4 GID or its first global IPv6 GID.  Every message is checked
 * in every receiver byte for byte, with its GRH; after one receiver detaches
 * it gets nothing more while the other still does.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "common.h"

#define NMSG		20
#define GRH		40
#define MAXLEN		1024

struct end {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint8_t buf[NMSG * (GRH + MAXLEN + 8)];
};

/* The GID index of @family (4: IPv4-mapped, 6: global IPv6) on @ctx's port 1, or -1. */
static int gid_index(struct ibv_context *ctx, int family)
{
	union ibv_gid gid;
	int i;

	for (i = 0; i < 16; i++) {
		bool v4;

		if (ibv_query_gid(ctx, 1, i, &gid))
			break;
		v4 = !memcmp(gid.raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		if (family == 4 ? v4 : !v4 && gid.raw[0] != 0xfe && gid.raw[0])
			return i;
	}
	return -1;
}

static void end_init(struct end *e, const char *dev)
{
	struct ibv_qp_init_attr init = { .qp_type = IBV_QPT_UD,
					 .cap = { .max_send_wr = NMSG, .max_recv_wr = NMSG,
						  .max_send_sge = 1, .max_recv_sge = 1 } };
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RTR };

	e->ctx = open_device(dev);
	e->pd = ibv_alloc_pd(e->ctx);
	e->cq = ibv_create_cq(e->ctx, 2 * NMSG, NULL, NULL, 0);
	if (!e->pd || !e->cq)
		die("%s: %s", dev, strerror(errno));
	init.send_cq = init.recv_cq = e->cq;
	e->qp = ibv_create_qp(e->pd, &init);
	e->mr = ibv_reg_mr(e->pd, e->buf, sizeof(e->buf), IBV_ACCESS_LOCAL_WRITE);
	if (!e->qp || !e->mr || qp_to_init(e->qp) || ibv_modify_qp(e->qp, &attr, IBV_QP_STATE))
		die("UD QP on %s: %s", dev, strerror(errno));
	attr.qp_state = IBV_QPS_RTS;
	attr.sq_psn = 1;
	if (ibv_modify_qp(e->qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN))
		die("to RTS: %s", strerror(errno));
}

static uint8_t *slot(struct end *e, int i)
{
	return e->buf + (size_t)i * (GRH + MAXLEN + 8);
}

static uint32_t msg_len(int i)
{
	return i == 0 ? 1 : i == 1 ? MAXLEN : (uint32_t)(i * 97) % MAXLEN;
}

static bool post_recvs(struct end *e)
{
	int i;

	memset(e->buf, 0xee, sizeof(e->buf));
	for (i = 0; i < NMSG; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)slot(e, i), .length = GRH + MAXLEN,
				       .lkey = e->mr->lkey };
		struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 }, *bad;

		CHECK(!ibv_post_recv(e->qp, &wr, &bad), "post_recv");
	}
	return true;
}

static bool send_all(struct end *s, struct ibv_ah *ah)
{
	int i;

	for (i = 0; i < NMSG; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)slot(s, i), .length = msg_len(i),
				       .lkey = s->mr->lkey };
		struct ibv_send_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_SEND_WITH_IMM,
					  .send_flags = IBV_SEND_SIGNALED,
					  .imm_data = htonl(0x3c00 + i) }, *bad;
		uint32_t j;

		for (j = 0; j < msg_len(i); j++)
			slot(s, i)[j] = (uint8_t)(i * 13 + j * 5);
		wr.wr.ud.ah = ah;
		wr.wr.ud.remote_qpn = 0xffffff;
		wr.wr.ud.remote_qkey = 0x1234;
		CHECK(!ibv_post_send(s->qp, &wr, &bad), "post_send %d", i);
		CHECK(expect_wc(s->cq, IBV_WC_SUCCESS, IBV_WC_SEND, -1, NULL), "send %d", i);
	}
	return true;
}

/* Every message arrived in @r, in order, with the group as the GRH's destination. */
static bool received_all(struct end *r, struct end *s, const union ibv_gid *mgid)
{
	struct ibv_wc wc;
	int i;

	for (i = 0; i < NMSG; i++) {
		const uint8_t *grh = slot(r, i);

		CHECK(expect_wc(r->cq, IBV_WC_SUCCESS, IBV_WC_RECV, GRH + msg_len(i), &wc),
		      "message %d", i);
		CHECK(wc.wr_id == (uint64_t)i && wc.imm_data == htonl(0x3c00 + i) &&
		      (wc.wc_flags & IBV_WC_GRH), "message %d: wr_id, immediate, GRH flag", i);
		CHECK(!memcmp(slot(r, i) + GRH, slot(s, i), msg_len(i)), "message %d differs", i);
		CHECK(slot(r, i)[GRH + msg_len(i)] == 0xee, "message %d ran over", i);
		/* IPv4: the header is in the GRH's last 20 bytes, daddr at its byte 16. */
		CHECK(mgid->raw[10] == 0xff ? !memcmp(grh + 20 + 16, mgid->raw + 12, 4) :
		      !memcmp(grh + 24, mgid->raw, 16), "message %d: GRH destination", i);
	}
	return true;
}

static bool nothing_arrives(struct end *r)
{
	struct ibv_wc wc;

	CHECK(!poll_one_for(r->cq, &wc, 1.0), "a detached QP received a message");
	return true;
}

int main(int argc, char **argv)
{
	struct ibv_ah_attr ah_attr = { .is_global = 1, .port_num = 1,
				       .grh = { .hop_limit = 8 } };
	struct end s = {}, r1 = {}, r2 = {};
	union ibv_gid mgid = {};
	int family, sgid;
	struct ibv_ah *ah;

	if (argc != 4)
		die("usage: %s DEV_A DEV_B 4|6", argv[0]);
	family = atoi(argv[3]);
	if (family == 4) {
		memcpy(mgid.raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		inet_pton(AF_INET, "230.99.0.9", mgid.raw + 12);
	} else {
		inet_pton(AF_INET6, "ff0e::99", mgid.raw);
	}
	end_init(&s, argv[1]);
	end_init(&r1, argv[2]);
	end_init(&r2, argv[2]);
	sgid = gid_index(s.ctx, family);
	if (sgid < 0)
		die("%s has no IPv%d GID", argv[1], family);
	ah_attr.grh.dgid = mgid;
	ah_attr.grh.sgid_index = sgid;
	ah = ibv_create_ah(s.pd, &ah_attr);
	if (!ah)
		die("ibv_create_ah: %s", strerror(errno));

	report(!ibv_attach_mcast(r1.qp, &mgid, 0) && !ibv_attach_mcast(r2.qp, &mgid, 0),
	       "IPv%d: two QPs attach to the group", family);
	report(ibv_attach_mcast(r1.qp, &mgid, 0) == 0, "IPv%d: attaching twice is harmless",
	       family);
	report(post_recvs(&r1) && post_recvs(&r2) && send_all(&s, ah),
	       "IPv%d: %d messages of 1 to %d bytes sent to the group", family, NMSG, MAXLEN);
	report(received_all(&r1, &s, &mgid), "IPv%d: first member got every message", family);
	report(received_all(&r2, &s, &mgid), "IPv%d: second member got every message", family);

	report(!ibv_detach_mcast(r2.qp, &mgid, 0), "IPv%d: second member detaches", family);
	report(ibv_detach_mcast(r2.qp, &mgid, 0) == EINVAL, "IPv%d: detaching again: EINVAL",
	       family);
	report(post_recvs(&r1) && post_recvs(&r2) && send_all(&s, ah) &&
	       received_all(&r1, &s, &mgid) && nothing_arrives(&r2),
	       "IPv%d: after the detach only the first member receives", family);
	report(ibv_attach_mcast(s.qp, &mgid, 0) == 0 &&
	       !ibv_detach_mcast(s.qp, &mgid, 0), "IPv%d: the sender may join and leave too",
	       family);
	report(!ibv_detach_mcast(r1.qp, &mgid, 0), "IPv%d: last member detaches", family);

	printf("# %d tests, %d failed\n", tap_tests, tap_failures);
	return tap_failures != 0;
}
