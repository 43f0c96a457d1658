/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * hodp kernel <-> userspace provider ABI.  One copy, included by kernel/ and
 * providers/hodp.  Every structure is naturally aligned and padded to 8 bytes.
 */
#ifndef HODP_ABI_USER_H
#define HODP_ABI_USER_H

#include <linux/types.h>

/* Bumped on any incompatible change; the provider matches it exactly. */
#define HODP_UVERBS_ABI_VERSION 1

struct hodp_alloc_ucontext_resp {
	__u32 abi_version;
	__u32 reserved;
};

#endif /* HODP_ABI_USER_H */
