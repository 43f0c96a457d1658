// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ring_fuzz DEV SEED ROUNDS: what a user can do to the memory and the
 * commands hodp shares with it, meant to run unprivileged.  Each round
 * makes QPs (RC pairs in loopback, UD), CQs and an SRQ of random sizes and
 * posts work to them while a second thread writes random values at random
 * places of every ring this process has mapped from the device (producer,
 * consumer and doorbell words, slots), and moves QPs to error, reset and
 * back; then it sends uverbs write() commands with random command numbers,
 * sizes and payloads (driver data included) to the device's file.  Nothing
 * here is judged but the kernel's health: the suite checks the log, that
 * every object goes with the process, and that the device still carries
 * verified traffic.  The rounds run in a child process: the provider reads
 * the scribbled rings too and may fall over them, which is its own
 * process's doing.  Reproducible from SEED (but for the threads' timing).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <rdma/ib_user_verbs.h>

#include "common.h"

static uint64_t rs;
static atomic_bool scribbling;
static atomic_ulong scribbles;
static struct ibv_context *ctx;
static struct ibv_pd *pd;
static union ibv_gid gid;
static uint8_t *buf;
static struct ibv_mr *mr;

#define BUF_LEN		(1u << 20)

static uint64_t rnd(void)
{
	return xorshift64(&rs);
}

static uint32_t pick(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* A value worth writing over an index or a field: edges, small, or anything. */
static uint32_t odd_u32(uint64_t *s)
{
	static const uint32_t edges[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff,
					  0x10000, 64, 4096 };

	switch (xorshift64(s) % 4) {
	case 0:
		return edges[xorshift64(s) % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return (uint32_t)(xorshift64(s) % 256);
	default:
		return (uint32_t)xorshift64(s);
	}
}

/*
 * The second thread: random words into the rings, mostly their indices.
 * Through /proc/self/mem, so that a ring the first thread unmapped since
 * the scan is an error, not a SIGSEGV.
 */
static void *scribbler(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg | 1;
	unsigned long lo[256], hi[256];
	int mem = open("/proc/self/mem", O_RDWR);

	if (mem < 0)
		die("/proc/self/mem: %s", strerror(errno));

	while (atomic_load(&scribbling)) {
		int n = uverbs_maps(lo, hi, 256), i, k;

		for (k = 0; n && k < 64; k++) {
			unsigned long off;
			uint32_t v;

			i = (int)(xorshift64(&s) % (uint64_t)n);
			/* The header's three indices half the time, any word otherwise. */
			if (xorshift64(&s) % 2)
				off = (xorshift64(&s) % 3) * 64;
			else
				off = (xorshift64(&s) % (hi[i] - lo[i])) & ~3ul;
			v = odd_u32(&s);
			if (pwrite(mem, &v, sizeof(v), (off_t)(lo[i] + off)) == sizeof(v))
				atomic_fetch_add(&scribbles, 1);
		}
		usleep(100);
	}
	close(mem);
	return NULL;
}

static struct ibv_qp *make_qp(struct ibv_cq *cq, struct ibv_srq *srq, enum ibv_qp_type type)
{
	struct ibv_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .srq = srq, .qp_type = type,
		.cap = { .max_send_wr = 1 + pick(64), .max_recv_wr = 1 + pick(64),
			 .max_send_sge = 1 + pick(4), .max_recv_sge = 1 + pick(4),
			 .max_inline_data = pick(2) ? 0 : 64 },
	};

	return ibv_create_qp(pd, &init);
}

static void post_some(struct ibv_qp *qp, uint32_t rkey, uint32_t remote_qpn, struct ibv_ah *ah)
{
	static const enum ibv_wr_opcode ops[] = { IBV_WR_SEND, IBV_WR_RDMA_WRITE,
						  IBV_WR_RDMA_READ, IBV_WR_ATOMIC_FETCH_AND_ADD };
	int i, n = 1 + (int)pick(32);

	for (i = 0; i < n; i++) {
		uint32_t off = pick(BUF_LEN / 2) & ~7u;
		struct ibv_sge sge = { (uintptr_t)buf + off, 1 + pick(8192), mr->lkey };
		struct ibv_send_wr wr = {
			.wr_id = rnd(), .sg_list = &sge, .num_sge = 1,
			.opcode = qp->qp_type == IBV_QPT_UD ? IBV_WR_SEND : ops[pick(4)],
			.send_flags = pick(2) ? IBV_SEND_SIGNALED : 0,
		}, *bad;
		struct ibv_recv_wr rwr = { .wr_id = rnd(), .sg_list = &sge, .num_sge = 1 }, *rbad;

		if (wr.opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
			sge.length = 8;
			wr.wr.atomic.remote_addr = (uintptr_t)buf + BUF_LEN / 2 + off;
			wr.wr.atomic.rkey = rkey;
			wr.wr.atomic.compare_add = 1;
		} else if (qp->qp_type == IBV_QPT_UD) {
			sge.length = 1 + pick(1024);
			wr.wr.ud.ah = ah;
			wr.wr.ud.remote_qpn = remote_qpn;
			wr.wr.ud.remote_qkey = 0x1234;
		} else {
			wr.wr.rdma.remote_addr = (uintptr_t)buf + BUF_LEN / 2 + off;
			wr.wr.rdma.rkey = rkey;
		}
		ibv_post_recv(qp, &rwr, &rbad);
		ibv_post_send(qp, &wr, &bad);
	}
}

static void drain(struct ibv_cq *cq)
{
	struct ibv_wc wc[16];
	int i;

	/* A scribbled ring can say anything: a bounded number of polls. */
	for (i = 0; i < 64 && ibv_poll_cq(cq, 16, wc) > 0; i++)
		;
}

static void set_state(struct ibv_qp *qp, enum ibv_qp_state st)
{
	struct ibv_qp_attr attr = { .qp_state = st };

	ibv_modify_qp(qp, &attr, IBV_QP_STATE);
}

/* One round of objects under the scribbler. */
static void round_objects(void)
{
	struct ibv_cq *cq = ibv_create_cq(ctx, 1 + (int)pick(512), NULL, NULL, 0);
	struct ibv_srq_init_attr sinit = { .attr = { .max_wr = 1 + pick(64), .max_sge = 1 } };
	struct ibv_srq *srq = ibv_create_srq(pd, &sinit);
	struct ibv_ah_attr ah_attr = { .is_global = 1, .port_num = 1,
				       .grh = { .dgid = gid, .sgid_index = GID_INDEX,
						.hop_limit = 64 } };
	struct ibv_ah *ah = ibv_create_ah(pd, &ah_attr);
	struct ibv_qp *a, *b, *u;
	int i;

	if (!cq)
		return;
	a = make_qp(cq, pick(2) ? srq : NULL, IBV_QPT_RC);
	b = make_qp(cq, NULL, IBV_QPT_RC);
	u = make_qp(cq, NULL, IBV_QPT_UD);
	if (a && b && !qp_to_init(a) && !qp_to_init(b)) {
		struct ibv_qp_attr attr;
		int mask = qp_rtr_attr(a, b->qp_num, &gid, &attr);

		if (!ibv_modify_qp(a, &attr, mask)) {
			mask = qp_rts_attr(a, 7, &attr);
			ibv_modify_qp(a, &attr, mask);
		}
		mask = qp_rtr_attr(b, a->qp_num, &gid, &attr);
		if (!ibv_modify_qp(b, &attr, mask)) {
			mask = qp_rts_attr(b, 7, &attr);
			ibv_modify_qp(b, &attr, mask);
		}
	}
	if (u && !qp_to_init(u)) {
		set_state(u, IBV_QPS_RTR);
		{
			struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RTS, .sq_psn = 1 };

			ibv_modify_qp(u, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN);
		}
	}
	for (i = 0; i < 8; i++) {
		if (a)
			post_some(a, mr->rkey, 0, NULL);
		if (b)
			post_some(b, mr->rkey, 0, NULL);
		if (u && ah)
			post_some(u, 0, u->qp_num, ah);
		drain(cq);
		switch (pick(8)) {
		case 0:
			if (a)
				set_state(a, IBV_QPS_ERR);
			break;
		case 1:
			if (b) {
				set_state(b, IBV_QPS_RESET);
				qp_to_init(b);
			}
			break;
		case 2:
			if (srq) {
				struct ibv_srq_attr sattr = { .max_wr = 1 + pick(128) };

				ibv_modify_srq(srq, &sattr, IBV_SRQ_MAX_WR);
			}
			break;
		case 3:
			ibv_resize_cq(cq, 1 + (int)pick(1024));
			break;
		}
	}
	if (a)
		ibv_destroy_qp(a);
	if (b)
		ibv_destroy_qp(b);
	if (u)
		ibv_destroy_qp(u);
	if (ah)
		ibv_destroy_ah(ah);
	if (srq)
		ibv_destroy_srq(srq);
	ibv_destroy_cq(cq);
}

/*
 * uverbs write() commands with random numbers, sizes and payloads: the
 * core parses the header and the core structure, the rest is driver data
 * (udata) hodp reads.  Pointers in it are random too.
 */
static unsigned long raw_commands(int n)
{
	unsigned long accepted = 0;
	uint32_t words[64];
	int i, j;

	for (i = 0; i < n; i++) {
		struct ib_uverbs_cmd_hdr *hdr = (struct ib_uverbs_cmd_hdr *)words;
		uint32_t in = 1 + pick(63);

		for (j = 0; j < 64; j++)
			words[j] = pick(4) ? odd_u32(&rs) : (uint32_t)(uintptr_t)(buf + pick(BUF_LEN));
		hdr->command = pick(64);
		hdr->in_words = (uint16_t)in;
		hdr->out_words = (uint16_t)pick(16);
		/* Where a response goes: into the buffer, or anywhere. */
		if (in >= 4)
			memcpy(&words[2], &(uint64_t){ pick(2) ? (uintptr_t)buf : rnd() }, 8);
		accepted += write(ctx->cmd_fd, words, in * 4) >= 0;
	}
	return accepted;
}

/* A context of this process's own on @dev, a PD and the MR over buf. */
static void setup(const char *dev)
{
	ctx = open_device(dev);
	pd = ibv_alloc_pd(ctx);
	mr = pd ? ibv_reg_mr(pd, buf, BUF_LEN, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC) : NULL;
	if (!mr || ibv_query_gid(ctx, 1, GID_INDEX, &gid))
		die("setup: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	unsigned long rounds, r, accepted = 0;
	pthread_t th;
	pid_t child;
	int status;
	double t0;

	if (argc != 4)
		die("usage: %s DEV SEED ROUNDS", argv[0]);
	rs = strtoull(argv[2], NULL, 0) * 2 + 1;
	rounds = strtoul(argv[3], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	buf = map_anon(BUF_LEN);
	printf("# uid %d, seed %s, %lu rounds\n", getuid(), argv[2], rounds);
	t0 = now_us();
	/*
	 * In a child, with a context of its own (uverbs refuses a context's
	 * commands from another process): the provider reads the rings too,
	 * and may fall over what the scribbler wrote there (its own process's
	 * doing, not the kernel's business); the commands below run either way.
	 */
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		setup(argv[1]);
		atomic_store(&scribbling, true);
		if (pthread_create(&th, NULL, scribbler, (void *)(uintptr_t)rnd()))
			die("pthread_create");
		for (r = 0; r < rounds; r++)
			round_objects();
		atomic_store(&scribbling, false);
		pthread_join(th, NULL);
		printf("# %lu rounds of objects under %lu scribbled words\n", rounds,
		       atomic_load(&scribbles));
		exit(0);
	}
	waitpid(child, &status, 0);
	printf("# the scribbling child %s after %.1f s\n",
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited",
	       (now_us() - t0) / 1e6);
	setup(argv[1]);
	t0 = now_us();
	accepted = raw_commands(100000);
	printf("# 100000 raw uverbs commands with random driver data: %lu accepted, in %.1f s\n",
	       accepted, (now_us() - t0) / 1e6);
	return 0;
}
