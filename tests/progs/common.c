// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helpers shared by the test programs (common.h says what each does). */
#include <arpa/inet.h>

#include "common.h"

int tap_tests, tap_failures;

int time_scale(void)
{
	const char *scale = getenv("HODP_TIME_SCALE");
	int n = scale ? atoi(scale) : 1;

	return n > 0 ? n : 1;
}

int poll_seconds(void)
{
	return POLL_SECONDS * time_scale();
}

uint8_t ack_timeout(void)
{
	const char *forced = getenv("HODP_ACK_TIMEOUT");
	uint8_t t = 12;
	int n;

	if (forced)
		return atoi(forced);
	for (n = time_scale() - 1; n > 0; n >>= 1)
		t++;
	return t;
}

struct ibv_context *open_device(const char *name)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		die("ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx)
		die("cannot open %s", name);
	return ctx;
}

void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_tests++;
	tap_failures += !ok;
	printf("%sok %d - ", ok ? "" : "not ", tap_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void report_skip(const char *name, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_tests, name, why);
	fflush(stdout);
}

bool poll_one_for(struct ibv_cq *cq, struct ibv_wc *wc, double seconds)
{
	struct timespec start, now;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		n = ibv_poll_cq(cq, 1, wc);
		if (n < 0)
			die("ibv_poll_cq: %d", n);
		if (n == 1)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
			return false;
		usleep(50);
	}
}

void show_engine_state(void)
{
	char line[512];
	glob_t g;
	size_t i;
	FILE *f;

	if (glob("/sys/kernel/debug/hodp/*/qps", 0, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		f = fopen(g.gl_pathv[i], "r");
		if (!f)
			continue;
		printf("#   %s:\n", g.gl_pathv[i]);
		while (fgets(line, sizeof(line), f))
			printf("#     %s", line);
		fclose(f);
	}
	fflush(stdout);
	globfree(&g);
}

bool poll_one(struct ibv_cq *cq, struct ibv_wc *wc)
{
	if (poll_one_for(cq, wc, poll_seconds()))
		return true;
	show_engine_state();
	return false;
}

bool expect_wc(struct ibv_cq *cq, enum ibv_wc_status status, int opcode, int len,
	       struct ibv_wc *out)
{
	struct ibv_wc wc;

	CHECK(poll_one(cq, &wc), "no completion within %d s", poll_seconds());
	CHECK(wc.status == status, "status %s, want %s", ibv_wc_status_str(wc.status),
	      ibv_wc_status_str(status));
	if (status == IBV_WC_SUCCESS) {
		CHECK(opcode < 0 || (int)wc.opcode == opcode, "opcode %d, want %d", wc.opcode,
		      opcode);
		CHECK(len < 0 || (int)wc.byte_len == len, "byte_len %u, want %d", wc.byte_len, len);
	}
	if (out)
		*out = wc;
	return true;
}

bool post_expect(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_send_wr *wr,
		 enum ibv_wc_status status)
{
	struct ibv_send_wr *bad;

	wr->send_flags |= IBV_SEND_SIGNALED;
	CHECK(!ibv_post_send(qp, wr, &bad), "post_send: %s", strerror(errno));
	CHECK(expect_wc(cq, status, -1, -1, NULL), "completion");
	return true;
}

int qp_to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT, .port_num = 1, .qkey = 0x1234,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_FLUSH_GLOBAL,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	mask |= qp->qp_type == IBV_QPT_UD ? IBV_QP_QKEY : IBV_QP_ACCESS_FLAGS;
	return ibv_modify_qp(qp, &attr, mask);
}

int qp_rtr_attr(struct ibv_qp *qp, uint32_t dest_qpn, const union ibv_gid *dgid,
		struct ibv_qp_attr *attr)
{
	int mask = IBV_QP_STATE;

	*attr = (struct ibv_qp_attr) {
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dest_qpn, .rq_psn = 0x123, .max_dest_rd_atomic = 4,
		.min_rnr_timer = 1,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = *dgid, .sgid_index = GID_INDEX, .hop_limit = 64 } },
	};
	if (qp->qp_type != IBV_QPT_UD) {
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN;
		/* The responders of reliable transports: RC, an XRC target. */
		if (qp->qp_type == IBV_QPT_RC || qp->qp_type == IBV_QPT_XRC_RECV)
			mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
	return mask;
}

int qp_rts_attr(struct ibv_qp *qp, uint8_t rnr_retry, struct ibv_qp_attr *attr)
{
	int mask = IBV_QP_STATE | IBV_QP_SQ_PSN;

	*attr = (struct ibv_qp_attr) {
		.qp_state = IBV_QPS_RTS, .sq_psn = 0x123, .timeout = ack_timeout(), .retry_cnt = 7,
		.rnr_retry = rnr_retry, .max_rd_atomic = 4,
	};
	/* The requesters of reliable transports: RC, an XRC initiator; an XRC target's timer. */
	if (qp->qp_type == IBV_QPT_RC || qp->qp_type == IBV_QPT_XRC_SEND)
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	else if (qp->qp_type == IBV_QPT_XRC_RECV)
		mask |= IBV_QP_TIMEOUT;
	return mask;
}

void qp_connect(struct ibv_qp *qp, uint32_t dest_qpn, const union ibv_gid *dgid,
		uint8_t rnr_retry)
{
	struct ibv_qp_attr attr;
	int mask;

	mask = qp_rtr_attr(qp, dest_qpn, dgid, &attr);
	if (ibv_modify_qp(qp, &attr, mask))
		die("to RTR: %s", strerror(errno));
	mask = qp_rts_attr(qp, rnr_retry, &attr);
	if (ibv_modify_qp(qp, &attr, mask))
		die("to RTS: %s", strerror(errno));
}

void rc_loopback_pair(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t depth,
		      struct ibv_qp **a, struct ibv_qp **b)
{
	union ibv_gid gid;

	if (ibv_query_gid(pd->context, 1, GID_INDEX, &gid))
		die("ibv_query_gid: %s", strerror(errno));
	*a = rc_qp_new(pd, cq, depth, 1);
	*b = rc_qp_new(pd, cq, depth, 1);
	qp_connect(*a, (*b)->qp_num, &gid, 7);
	qp_connect(*b, (*a)->qp_num, &gid, 7);
}

uint8_t *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	return p;
}

uint8_t *map_huge_aligned(size_t len, int advice)
{
	uint8_t *p = mmap(NULL, len + THP_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	p = (uint8_t *)(((uintptr_t)p + THP_SIZE - 1) & ~(uintptr_t)(THP_SIZE - 1));
	if (madvise(p, len, advice))
		die("madvise: %s", strerror(errno));
	return p;
}

long smaps_kb(const void *p, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	size_t flen = strlen(field);
	unsigned long s, e;
	bool in = false;
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, ' ') > strchr(line, '-'))
			in = (uintptr_t)p >= s && (uintptr_t)p < e;
		else if (in && !strncmp(line, field, flen) && line[flen] == ':') {
			kb = atol(line + flen + 1);
			break;
		}
	}
	if (f)
		fclose(f);
	return kb;
}

long thp_kb(const void *p)
{
	return smaps_kb(p, "AnonHugePages");
}

int qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(qp, &attr, IBV_QP_STATE, &init))
		return -1;
	return attr.qp_state;
}

double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int uverbs_maps(unsigned long *lo, unsigned long *hi, int max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && n < max && fgets(line, sizeof(line), f))
		if (strstr(line, "/dev/infiniband/uverbs") &&
		    sscanf(line, "%lx-%lx", &lo[n], &hi[n]) == 2 && strstr(line, "rw"))
			n++;
	if (f)
		fclose(f);
	return n;
}

long long file_ll(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (f && fscanf(f, "%lld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

char *command_output(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *out = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	if (getdelim(&out, &cap, '\0', f) <= 0) {
		free(out);
		out = NULL;
	}
	pclose(f);
	return out;
}

long long mr_stat(const char *dev, struct ibv_mr *mr, const char *name)
{
	char key[96], *out, *p, *end, *m;
	long long mrn = -1, value = -1;

	out = command_output("rdma -j resource show mr");
	if (!out)
		return -1;
	for (p = out; (p = strstr(p, "{\"ifindex\"")); p++) {
		end = strchr(p, '}');
		snprintf(key, sizeof(key), "\"lkey\":\"%x\"", mr->lkey);
		if (!end || !(m = strstr(p, key)) || m > end)
			continue;
		snprintf(key, sizeof(key), "\"ifname\":\"%s\",\"mrn\":", dev);
		m = strstr(p, key);
		if (m && m < end)
			mrn = atoll(m + strlen(key));
		break;
	}
	free(out);
	if (mrn < 0)
		return -1;
	out = command_output("rdma -j statistic show mr");
	if (!out)
		return -1;
	snprintf(key, sizeof(key), "\"ifname\":\"%s\",\"mrn\":%lld,", dev, mrn);
	p = strstr(out, key);
	if (p) {
		end = strchr(p, '}');
		snprintf(key, sizeof(key), "\"%s\":", name);
		m = strstr(p, key);
		if (m && m < end)
			value = atoll(m + strlen(key));
	}
	free(out);
	return value;
}

void side_open(struct side *s, const char *dev, int cqe)
{
	s->dev = dev;
	s->ctx = open_device(dev);
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = cqe ? ibv_create_cq(s->ctx, cqe, NULL, NULL, 0) : NULL;
	if (!s->pd || (cqe && !s->cq) || ibv_query_gid(s->ctx, 1, GID_INDEX, &s->gid))
		die("%s: %s", dev, strerror(errno));
}

struct ibv_qp *rc_qp_new_ex(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t depth, uint32_t sge,
			    uint64_t send_ops)
{
	struct ibv_qp_init_attr_ex init = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC, .pd = pd,
		.cap = { .max_send_wr = depth, .max_recv_wr = depth, .max_send_sge = sge,
			 .max_recv_sge = sge },
		.comp_mask = IBV_QP_INIT_ATTR_PD |
			     (send_ops ? IBV_QP_INIT_ATTR_SEND_OPS_FLAGS : 0),
		.send_ops_flags = send_ops,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(pd->context, &init);

	if (!qp || qp_to_init(qp))
		die("RC QP: %s", strerror(errno));
	return qp;
}

struct ibv_qp *rc_qp_new(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t depth, uint32_t sge)
{
	return rc_qp_new_ex(pd, cq, depth, sge, 0);
}

void pair_destroy(struct side *a, struct side *b)
{
	struct side *s[2] = { a, b };
	struct ibv_wc wc;
	int i;

	for (i = 0; i < 2; i++) {
		if (s[i]->ah && ibv_destroy_ah(s[i]->ah))
			die("ibv_destroy_ah: %s", strerror(errno));
		if (s[i]->qp && ibv_destroy_qp(s[i]->qp))
			die("ibv_destroy_qp: %s", strerror(errno));
		s[i]->ah = NULL;
		s[i]->qp = NULL;
		while (s[i]->cq && ibv_poll_cq(s[i]->cq, 1, &wc) > 0)
			;
	}
}

void pair_reset_ex(struct side *a, struct side *b, uint32_t sge, uint64_t send_ops)
{
	pair_destroy(a, b);
	a->qp = rc_qp_new_ex(a->pd, a->cq, 16, sge, send_ops);
	b->qp = rc_qp_new_ex(b->pd, b->cq, 16, sge, send_ops);
	qp_connect(a->qp, b->qp->qp_num, &b->gid, 7);
	qp_connect(b->qp, a->qp->qp_num, &a->gid, 7);
}

void pair_reset(struct side *a, struct side *b, uint32_t sge)
{
	pair_reset_ex(a, b, sge, 0);
}

void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 11));
}
