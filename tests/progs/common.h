/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers shared by the test programs. */
#ifndef HODP_TEST_COMMON_H
#define HODP_TEST_COMMON_H

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define GID_INDEX	1	/* the RoCEv2 IPv4 GID */
#define POLL_SECONDS	15	/* longest wait for a completion on the stock kernel */

#define die(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

/*
 * $HODP_TIME_SCALE: how many times slower than the stock kernel this one runs
 * the same work (the guest sets it on the KASAN/lockdep kernel); 1 if unset.
 */
int time_scale(void);

/* The longest wait for a completion: it bounds a hang, it is no speed target. */
int poll_seconds(void);

/*
 * The RC ACK timeout exponent (4.096 us << it): 12 (17 ms), raised by the
 * log2 of the time scale so that a machine that many times slower, where
 * hundreds of QPs queue behind each other, does not mistake its own
 * slowness for loss and spend its transport retries on it.
 * HODP_ACK_TIMEOUT sets it outright (experiments on queueing against loss).
 */
uint8_t ack_timeout(void);

/* Open the device called @name or exit. */
struct ibv_context *open_device(const char *name);

/* TAP from a program: one "ok N - name" / "not ok N - name" line per case. */
extern int tap_tests, tap_failures;

void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void report_skip(const char *name, const char *why);

/* In a bool case function: fail the case with a "#" diagnostic line. */
#define CHECK(cond, ...) do { if (!(cond)) { printf("#   %s: ", #cond); \
	printf(__VA_ARGS__); printf("\n"); return false; } } while (0)

/* Wait up to @seconds for one completion; false on time-out. */
bool poll_one_for(struct ibv_cq *cq, struct ibv_wc *wc, double seconds);

/*
 * Every hodp device's QPs as the engine sees them (debugfs hodp/DEV/qps),
 * as "#" lines: printed when a completion never came, while the QPs that
 * owe it still exist.
 */
void show_engine_state(void);

/* Wait up to poll_seconds() for one completion; a time-out shows the engine's state. */
bool poll_one(struct ibv_cq *cq, struct ibv_wc *wc);

/*
 * Expect one completion with @status; for a success also @opcode and @len
 * (each unless negative).  The completion is copied to @out if not NULL.
 */
bool expect_wc(struct ibv_cq *cq, enum ibv_wc_status status, int opcode, int len,
	       struct ibv_wc *out);

/* Post @wr signalled on @qp and expect one completion with @status on @cq. */
bool post_expect(struct ibv_qp *qp, struct ibv_cq *cq, struct ibv_send_wr *wr,
		 enum ibv_wc_status status);

/* RESET to INIT on port 1, with every remote access (RC, UC) or Q_Key 0x1234 (UD). */
int qp_to_init(struct ibv_qp *qp);

/*
 * The RTR attributes towards QP @dest_qpn at @dgid (path MTU 1024, PSN
 * 0x123, 4 READ/atomic resources) and the mask that goes with them.
 */
int qp_rtr_attr(struct ibv_qp *qp, uint32_t dest_qpn, const union ibv_gid *dgid,
		struct ibv_qp_attr *attr);

/* The RTS attributes (ack_timeout(), retry_cnt 7, @rnr_retry, 4 READs/atomics) and mask. */
int qp_rts_attr(struct ibv_qp *qp, uint8_t rnr_retry, struct ibv_qp_attr *attr);

/* INIT to RTR to RTS towards QP @dest_qpn at @dgid; exits on failure. */
void qp_connect(struct ibv_qp *qp, uint32_t dest_qpn, const union ibv_gid *dgid,
		uint8_t rnr_retry);

/*
 * Two RC QPs of @pd on @cq, @depth work requests deep each way with one SGE,
 * connected to each other in loopback; exits on failure.
 */
void rc_loopback_pair(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t depth,
		      struct ibv_qp **a, struct ibv_qp **b);

/* @len bytes of private anonymous memory, never touched; exits on failure. */
uint8_t *map_anon(size_t len);

#define THP_SIZE	(2ul << 20)

/*
 * @len bytes of private anonymous memory starting on a huge-page boundary
 * (so that THP can back all of it), madvise()d with @advice; exits on failure.
 */
uint8_t *map_huge_aligned(size_t len, int advice);

/* A field of the /proc/self/smaps entry of the mapping holding @p, in kB, or -1. */
long smaps_kb(const void *p, const char *field);

/* KiB of the mapping holding @p that transparent huge pages back, or -1. */
long thp_kb(const void *p);

/* The QP's state as the device reports it, or -1. */
int qp_state(struct ibv_qp *qp);

/* Microseconds on the monotonic clock. */
double now_us(void);

/* The next of a reproducible sequence (xorshift; *@s never 0). */
uint64_t xorshift64(uint64_t *s);

/*
 * The writable mappings of the RDMA devices in this process (the rings
 * hodp shares with the provider, each with its header at the start), as
 * [lo, hi) pairs, @max at most; their number.
 */
int uverbs_maps(unsigned long *lo, unsigned long *hi, int max);

/* The number a file (sysfs, cgroupfs) holds, or -1. */
long long file_ll(const char *path);

/* Everything @cmd prints, NUL-terminated and malloc()ed, or NULL. */
char *command_output(const char *cmd);

/*
 * A counter of @mr (on device @dev) as "rdma statistic show mr" shows it,
 * found through its lkey in "rdma resource show mr"; -1 when absent.
 */
long long mr_stat(const char *dev, struct ibv_mr *mr, const char *name);

/*
 * One end of a test's connection: a device opened with a PD, a CQ and its
 * RoCEv2 GID (side_open()), the QP a test connects (pair_reset()), and
 * the MR and buffer (and for UD the address handle) a test may keep here.
 */
struct side {
	const char *dev;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	union ibv_gid gid;
	struct ibv_mr *mr;
	uint8_t *buf;
	struct ibv_ah *ah;	/* UD: towards the other side */
};

/* Open @dev with a PD, a CQ of @cqe entries (none if 0) and its GID; exits on failure. */
void side_open(struct side *s, const char *dev, int cqe);
/*
 * An RC QP of @pd on @cq, @depth work requests deep each way with @sge SGEs,
 * in INIT; with @send_ops (IBV_QP_EX_WITH_*), for the ibv_wr_*() API.
 */
struct ibv_qp *rc_qp_new_ex(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t depth, uint32_t sge,
			    uint64_t send_ops);
struct ibv_qp *rc_qp_new(struct ibv_pd *pd, struct ibv_cq *cq, uint32_t depth, uint32_t sge);
/* Destroy @a's and @b's QPs and address handles, if any, and drain their CQs. */
void pair_destroy(struct side *a, struct side *b);
/*
 * A fresh RC pair (an error leaves QPs unusable): @a's and @b's QPs, 16
 * deep with @sge SGEs, connected to each other (rnr_retry 7).
 */
void pair_reset(struct side *a, struct side *b, uint32_t sge);
void pair_reset_ex(struct side *a, struct side *b, uint32_t sge, uint64_t send_ops);
/* A pattern that differs with @seed and along the buffer, so misplaced bytes show. */
void fill(uint8_t *p, size_t n, unsigned int seed);

#endif
