/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Enough of the kernel's vocabulary for kernel/hodp_hdr.h and hodp_hdr.c to
 * build in a test program, so that the packets tests craft follow the
 * driver's own table of opcodes and headers (one source).
 */
#ifndef HODP_KSHIM_H
#define HODP_KSHIM_H

#include <arpa/inet.h>
#include <stdint.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;

#ifndef BIT
#define BIT(n)		(1u << (n))
#endif
#define __packed	__attribute__((packed))
#define cpu_to_be16	htons
#define cpu_to_be32	htonl

#endif /* HODP_KSHIM_H */
