/* SPDX-License-Identifier: GPL-2.0 */
/*
 * InfiniBand transport headers as carried by RoCEv2 (IBTA vol. 1 ch. 9 and
 * annex A17): BTH and the extended headers, and what each opcode carries.
 */
#ifndef HODP_HDR_H
#define HODP_HDR_H

#include <asm/byteorder.h>
#include <linux/types.h>

#define HODP_ROCE_UDP_PORT	4791
#define HODP_ICRC_SIZE		4
#define HODP_PSN_MASK		0xffffff
#define HODP_QPN_MASK		0xffffff
#define HODP_GSI_QKEY		0x80010000
#define HODP_PKEY_DEFAULT	0xffff

struct hodp_bth {
	u8 opcode;
	u8 flags;		/* SE, MigReq, PadCnt, TVer */
	__be16 pkey;
	__be32 qpn;		/* high byte: FECN, BECN, reserved */
	__be32 apsn;		/* AckReq and PSN */
} __packed;

#define HODP_BTH_SE		0x80
#define HODP_BTH_MIG		0x40
#define HODP_BTH_PAD_SHIFT	4
#define HODP_BTH_PAD_MASK	0x30
#define HODP_BTH_ACKREQ		0x80000000u

struct hodp_reth {
	__be64 va;
	__be32 rkey;
	__be32 len;
} __packed;

struct hodp_aeth {
	__be32 smsn;		/* syndrome and MSN */
} __packed;

struct hodp_atmeth {
	__be64 va;
	__be32 rkey;
	__be64 swap_add;
	__be64 compare;
} __packed;

struct hodp_atmack {
	__be64 orig;
} __packed;

struct hodp_deth {
	__be32 qkey;
	__be32 sqpn;
} __packed;

/* On XRC requests: the XRC SRQ that receives them (low 24 bits). */
struct hodp_xrceth {
	__be32 srqn;
} __packed;

struct hodp_immdt {
	__be32 imm;
} __packed;

struct hodp_ieth {
	__be32 rkey;
} __packed;

/* FLUSH extended header: placement type in bits 3-0, selectivity level in 5-4. */
struct hodp_feth {
	__be32 bits;
} __packed;

#define HODP_FETH_TYPE_MASK	0x0f
#define HODP_FETH_LEVEL_SHIFT	4
#define HODP_FETH_LEVEL_MASK	0x30

/* AETH syndromes */
#define HODP_AETH_TYPE_MASK	0xe0
#define HODP_AETH_ACK		0x00
#define HODP_AETH_RNR_NAK	0x20
#define HODP_AETH_NAK		0x60
#define HODP_AETH_ACK_NO_CREDIT	0x1f	/* ACK with "invalid" credit count */
#define HODP_NAK_PSN_SEQ	0x00
#define HODP_NAK_INVALID_REQ	0x01
#define HODP_NAK_REM_ACCESS	0x02
#define HODP_NAK_REM_OP		0x03
#define HODP_NAK_INVALID_RD	0x04	/* XRC: no such XRC SRQ in the domain */

/* Opcodes: transport in the top three bits, operation in the rest. */
#define HODP_TRANSPORT_RC	0x00
#define HODP_TRANSPORT_UC	0x20
#define HODP_TRANSPORT_UD	0x60
#define HODP_TRANSPORT_XRC	0xa0
#define HODP_TRANSPORT_MASK	0xe0

enum hodp_op {
	HODP_SEND_FIRST			= 0x00,
	HODP_SEND_MIDDLE		= 0x01,
	HODP_SEND_LAST			= 0x02,
	HODP_SEND_LAST_IMM		= 0x03,
	HODP_SEND_ONLY			= 0x04,
	HODP_SEND_ONLY_IMM		= 0x05,
	HODP_WRITE_FIRST		= 0x06,
	HODP_WRITE_MIDDLE		= 0x07,
	HODP_WRITE_LAST			= 0x08,
	HODP_WRITE_LAST_IMM		= 0x09,
	HODP_WRITE_ONLY			= 0x0a,
	HODP_WRITE_ONLY_IMM		= 0x0b,
	HODP_READ_REQUEST		= 0x0c,
	HODP_READ_RESPONSE_FIRST	= 0x0d,
	HODP_READ_RESPONSE_MIDDLE	= 0x0e,
	HODP_READ_RESPONSE_LAST		= 0x0f,
	HODP_READ_RESPONSE_ONLY		= 0x10,
	HODP_ACKNOWLEDGE		= 0x11,
	HODP_ATOMIC_ACKNOWLEDGE		= 0x12,
	HODP_COMPARE_SWAP		= 0x13,
	HODP_FETCH_ADD			= 0x14,
	HODP_SEND_LAST_INV		= 0x16,
	HODP_SEND_ONLY_INV		= 0x17,
	HODP_FLUSH			= 0x1c,
	HODP_ATOMIC_WRITE		= 0x1d,
	HODP_OP_COUNT			= 0x1e,
};

/*
 * What a packet of a given operation carries.  Extended headers appear in
 * the packet in the order of their bits here.
 */
enum {
	HODP_F_FETH	= BIT(0),
	HODP_F_RETH	= BIT(1),
	HODP_F_AETH	= BIT(2),
	HODP_F_ATMETH	= BIT(3),
	HODP_F_ATMACK	= BIT(4),
	HODP_F_IMM	= BIT(5),
	HODP_F_IETH	= BIT(6),
	HODP_F_PAYLOAD	= BIT(7),
	HODP_F_FIRST	= BIT(8),	/* first packet of a message */
	HODP_F_LAST	= BIT(9),	/* last packet of a message */
	HODP_F_REQ	= BIT(10),	/* requester to responder */
	HODP_F_SEND	= BIT(11),
	HODP_F_WRITE	= BIT(12),
	HODP_F_READ	= BIT(13),
	HODP_F_ATOMIC	= BIT(14),
	/* FLUSH and ATOMIC WRITE: answered by an empty READ response. */
	HODP_F_PLACE	= BIT(15),
};

extern const u16 hodp_op_flags[HODP_OP_COUNT];

/*
 * Fill @bth: @opcode with its transport bits, @flags (SE, PadCnt), the one
 * P_Key, destination @qpn and @apsn (AckReq and PSN).
 */
static inline void hodp_bth_init(struct hodp_bth *bth, u8 opcode, u8 flags, u32 qpn, u32 apsn)
{
	bth->opcode = opcode;
	bth->flags = flags;
	bth->pkey = cpu_to_be16(HODP_PKEY_DEFAULT);
	bth->qpn = cpu_to_be32(qpn & HODP_QPN_MASK);
	bth->apsn = cpu_to_be32(apsn);
}

/* Bytes of the operation's extended headers for @flags (hodp_transport_hdr_len() comes first). */
static inline unsigned int hodp_ext_hdr_len(u16 flags)
{
	return (flags & HODP_F_FETH ? sizeof(struct hodp_feth) : 0) +
	       (flags & HODP_F_RETH ? sizeof(struct hodp_reth) : 0) +
	       (flags & HODP_F_AETH ? sizeof(struct hodp_aeth) : 0) +
	       (flags & HODP_F_ATMETH ? sizeof(struct hodp_atmeth) : 0) +
	       (flags & HODP_F_ATMACK ? sizeof(struct hodp_atmack) : 0) +
	       (flags & HODP_F_IMM ? sizeof(struct hodp_immdt) : 0) +
	       (flags & HODP_F_IETH ? sizeof(struct hodp_ieth) : 0);
}

/*
 * Bytes a transport puts between the BTH and the operation's headers: the
 * DETH of UD, the XRCETH of an XRC request.
 */
static inline unsigned int hodp_transport_hdr_len(u8 opcode, u16 flags)
{
	switch (opcode & HODP_TRANSPORT_MASK) {
	case HODP_TRANSPORT_UD:
		return sizeof(struct hodp_deth);
	case HODP_TRANSPORT_XRC:
		return flags & HODP_F_REQ ? sizeof(struct hodp_xrceth) : 0;
	default:
		return 0;
	}
}

/* BTH and every extended header of a packet of @opcode, which carries @flags. */
static inline unsigned int hodp_hdr_len(u8 opcode, u16 flags)
{
	return sizeof(struct hodp_bth) + hodp_transport_hdr_len(opcode, flags) +
	       hodp_ext_hdr_len(flags);
}

static inline u32 hodp_psn_add(u32 psn, u32 n)
{
	return (psn + n) & HODP_PSN_MASK;
}

/* Signed distance a - b in the 24-bit PSN space. */
static inline s32 hodp_psn_diff(u32 a, u32 b)
{
	return (s32)((a - b) << 8) >> 8;
}

#endif /* HODP_HDR_H */
