// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuse_stall MOUNTPOINT SECONDS: a FUSE file system that answers every
 * read SECONDS late, as a server that hangs would.  It serves two files of
 * 4 MiB, "cached" (read through the page cache, so it can be mapped) and
 * "direct" (FOPEN_DIRECT_IO: a read() waits for the server itself,
 * uninterruptibly once the request is out).  Speaks the kernel's FUSE
 * protocol on /dev/fuse directly, one request at a time; prints "ready"
 * once mounted and runs until killed, which aborts the connection: every
 * request then pending fails.  Runs as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define FILE_SIZE	(4u << 20)
#define INO_CACHED	2
#define INO_DIRECT	3

static int fuse_fd;
static unsigned int stall;

static void reply(uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header out = { .len = sizeof(out) + len, .error = error,
				       .unique = unique };
	struct iovec iov[2] = { { &out, sizeof(out) }, { (void *)data, len } };

	/* An aborted or interrupted request is no longer wanted: ENOENT, fine. */
	if (writev(fuse_fd, iov, len ? 2 : 1) < 0 && errno != ENOENT)
		perror("fuse_stall: writev");
}

static void attr_of(uint64_t ino, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = 1;
	a->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = FILE_SIZE;
		a->blocks = FILE_SIZE / 512;
	}
}

static void serve(const struct fuse_in_header *in, const void *arg)
{
	switch (in->opcode) {
	case FUSE_INIT: {
		const struct fuse_init_in *init = arg;
		struct fuse_init_out out = { .major = FUSE_KERNEL_VERSION,
					     .minor = FUSE_KERNEL_MINOR_VERSION,
					     .max_readahead = init->max_readahead,
					     .max_write = 4096, .max_pages = 32 };

		reply(in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out out = { .entry_valid = 3600, .attr_valid = 3600 };
		const char *name = arg;

		if (!strcmp(name, "cached"))
			out.nodeid = INO_CACHED;
		else if (!strcmp(name, "direct"))
			out.nodeid = INO_DIRECT;
		if (!out.nodeid) {
			reply(in->unique, -ENOENT, NULL, 0);
			break;
		}
		attr_of(out.nodeid, &out.attr);
		reply(in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out out = { .attr_valid = 3600 };

		attr_of(in->nodeid, &out.attr);
		reply(in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN: {
		/*
		 * No FLUSH on close: one would wait behind a stalled read (one
		 * request at a time), and so would the client's close().
		 */
		struct fuse_open_out out = { .fh = in->nodeid,
					     .open_flags = FOPEN_NOFLUSH |
							   (in->nodeid == INO_DIRECT ?
							    FOPEN_DIRECT_IO : 0) };

		reply(in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ: {
		const struct fuse_read_in *rd = arg;
		static char buf[1 << 20];
		uint32_t n = rd->size > sizeof(buf) ? sizeof(buf) : rd->size;

		/* The stall: a server that takes this long to answer at all. */
		sleep(stall);
		if (rd->offset >= FILE_SIZE)
			n = 0;
		else if (rd->offset + n > FILE_SIZE)
			n = FILE_SIZE - rd->offset;
		memset(buf, 'f', n);
		reply(in->unique, 0, buf, n);
		break;
	}
	case FUSE_STATFS: {
		struct fuse_statfs_out out = { .st = { .bsize = 4096, .namelen = 255 } };

		reply(in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_ACCESS:
	case FUSE_DESTROY:
		reply(in->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;		/* no answer expected */
	default:
		reply(in->unique, -ENOSYS, NULL, 0);
		break;
	}
}

int main(int argc, char **argv)
{
	static char buf[FUSE_MIN_READ_BUFFER + (1 << 20)];
	char opts[128];

	if (argc != 3) {
		fprintf(stderr, "usage: fuse_stall MOUNTPOINT SECONDS\n");
		return 2;
	}
	stall = atoi(argv[2]);
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0) {
		perror("fuse_stall: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other",
		 fuse_fd);
	if (mount("fuse_stall", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts)) {
		perror("fuse_stall: mount");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(fuse_fd, buf, sizeof(buf));
		const struct fuse_in_header *in = (const void *)buf;

		if (n < 0) {
			if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
				continue;
			if (errno != ENODEV)	/* unmounted */
				perror("fuse_stall: read");
			return errno == ENODEV ? 0 : 1;
		}
		if ((size_t)n < sizeof(*in))
			continue;
		serve(in, in + 1);
	}
}
