// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for tests, in debugfs (hodp/): packets delivered to a
 * device on the same host never cross a wire that netem could make lossy,
 * so their loss is made here, to drive retransmission over trains.
 *
 *   local_drop_every	drop one in N packets or trains sent locally, at random
 *			(0: none); at random, so that no retransmission cycle
 *			meets the same loss every time
 */
#include <linux/debugfs.h>
#include <linux/random.h>

#include "hodp.h"

static u32 hodp_local_drop_every;

bool hodp_inject_local_drop(void)
{
	u32 every = READ_ONCE(hodp_local_drop_every);

	return every && !get_random_u32_below(every);
}

void hodp_inject_init(struct dentry *root)
{
	debugfs_create_u32("local_drop_every", 0600, root, &hodp_local_drop_every);
}
