// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * async_events DEV EVENT SECONDS: print the device's asynchronous events and
 * exit 0 as soon as EVENT (an ibv_event_type name such as PORT_ERR) arrives,
 * 1 if it does not within SECONDS.  Prints "ready" once it is listening.
 */
#include <poll.h>
#include <time.h>

#include "common.h"

static const char *event_name(enum ibv_event_type type)
{
	switch (type) {
	case IBV_EVENT_PORT_ACTIVE: return "PORT_ACTIVE";
	case IBV_EVENT_PORT_ERR: return "PORT_ERR";
	case IBV_EVENT_GID_CHANGE: return "GID_CHANGE";
	case IBV_EVENT_LID_CHANGE: return "LID_CHANGE";
	case IBV_EVENT_PKEY_CHANGE: return "PKEY_CHANGE";
	case IBV_EVENT_DEVICE_FATAL: return "DEVICE_FATAL";
	default: return ibv_event_type_str(type);
	}
}

int main(int argc, char **argv)
{
	struct ibv_async_event ev;
	struct ibv_context *ctx;
	struct timespec start, now;
	struct pollfd pfd;
	long left_ms;

	if (argc != 4)
		die("usage: %s DEV EVENT SECONDS", argv[0]);
	ctx = open_device(argv[1]);
	pfd.fd = ctx->async_fd;
	pfd.events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &start);
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = atol(argv[3]) * 1000 - (now.tv_sec - start.tv_sec) * 1000 -
			  (now.tv_nsec - start.tv_nsec) / 1000000;
		if (left_ms <= 0 || poll(&pfd, 1, left_ms) <= 0)
			break;
		if (ibv_get_async_event(ctx, &ev))
			die("ibv_get_async_event: %s", strerror(errno));
		printf("event %s port %d\n", event_name(ev.event_type), ev.element.port_num);
		fflush(stdout);
		ibv_ack_async_event(&ev);
		if (!strcmp(event_name(ev.event_type), argv[2])) {
			ibv_close_device(ctx);
			return 0;
		}
	}
	printf("no %s within %s s\n", argv[2], argv[3]);
	ibv_close_device(ctx);
	return 1;
}
