// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for tests, in debugfs (hodp/): packets delivered to a
 * device on the same host never cross a wire that netem could make lossy,
 * so their loss is made here, to drive retransmission over trains.
 *
 *   local_drop_every	drop every Nth packet or train sent locally (0: none)
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>

#include "hodp.h"

static struct dentry *hodp_debugfs;
static u32 hodp_local_drop_every;
static atomic_t hodp_local_sent;

bool hodp_inject_local_drop(void)
{
	u32 every = READ_ONCE(hodp_local_drop_every);

	return every && (u32)atomic_inc_return(&hodp_local_sent) % every == 0;
}

void hodp_inject_init(void)
{
	hodp_debugfs = debugfs_create_dir("hodp", NULL);
	debugfs_create_u32("local_drop_every", 0600, hodp_debugfs, &hodp_local_drop_every);
}

void hodp_inject_exit(void)
{
	debugfs_remove_recursive(hodp_debugfs);
}
