/* SPDX-License-Identifier: MIT */
/*
 * siommu/smmuv3_build.h - encode SMMUv3 structures and commands.
 *
 * Concepts
 * --------
 * Encoders for what software writes for an SMMUv3 unit (siommu/smmuv3.h),
 * in the formats of the architecture (IHI 0070): stream table entries
 * (5.2), level-1 stream table descriptors (3.4.3), context descriptors
 * (5.4), level-1 CD descriptors (5.3) and commands (4). Each encoder takes
 * a description with named fields and returns the little words in CPU
 * order; the caller stores them (as 64-bit little-endian words, the word
 * holding V last when the entry is live) and issues the invalidations the
 * specification asks for. They touch no memory and no unit, so a driver,
 * an emulator's guest driver and a test all speak one copy of the bits.
 *
 * Fields wider than their place are truncated to it: the encoders never
 * fail and do not validate (a unit reports an ILLEGAL entry as C_BAD_STE
 * or C_BAD_CD, and an illegal command as CERROR_ILL).
 *
 * Concurrency: pure functions, thread-safe.
 */
#ifndef SIOMMU_SMMUV3_BUILD_H
#define SIOMMU_SMMUV3_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* STE.Config (SMMUv3 5.2). */
enum siommu_smmuv3_ste_config {
	SIOMMU_SMMUV3_STE_ABORT = 0,
	SIOMMU_SMMUV3_STE_BYPASS = 4,
	SIOMMU_SMMUV3_STE_S1 = 5,		/* stage 1, stage 2 bypass */
	SIOMMU_SMMUV3_STE_S2 = 6,		/* stage 1 bypass, stage 2 */
	SIOMMU_SMMUV3_STE_NESTED = 7,
};

/* STE.S1DSS: traffic without a SubstreamID (SMMUv3 5.2). */
enum siommu_smmuv3_s1dss {
	SIOMMU_SMMUV3_S1DSS_TERMINATE = 0,
	SIOMMU_SMMUV3_S1DSS_BYPASS = 1,
	SIOMMU_SMMUV3_S1DSS_SSID0 = 2,
};

/* STE.S1Fmt: the CD table's shape. */
enum siommu_smmuv3_s1fmt {
	SIOMMU_SMMUV3_S1FMT_LINEAR = 0,
	SIOMMU_SMMUV3_S1FMT_4K_L2 = 1,		/* 2-level, 4 KiB leaves: 64 CDs each */
	SIOMMU_SMMUV3_S1FMT_64K_L2 = 2,		/* 2-level, 64 KiB leaves: 1024 CDs each */
};

/* A stream table entry. Fields of a stage the config does not use are
 * encoded as given (usually 0). */
struct siommu_smmuv3_ste_desc {
	enum siommu_smmuv3_ste_config config;
	bool valid;			/* STE.V */
	/* Stage 1 (word 0, 1). */
	uint64_t s1_ctx_ptr;		/* S1ContextPtr: CD table (64-byte aligned) */
	enum siommu_smmuv3_s1fmt s1_fmt;
	unsigned int s1_cdmax;		/* log2 of the CD table's entries */
	enum siommu_smmuv3_s1dss s1dss;
	bool s1_stalld;			/* S1STALLD: no stalls at stage 1 */
	unsigned int eats;		/* 0 no ATS, 1 full ATS */
	/* Stage 2 (word 2, 3); s2_aa64 and the 4K granule always. */
	uint16_t s2_vmid;
	unsigned int s2_t0sz;		/* 64 - input bits */
	unsigned int s2_sl0;		/* starting level: 2 - Arm level (4K) */
	unsigned int s2_ps;		/* output size code, as IDR5.OAS */
	bool s2_affd;			/* no access-flag faults */
	bool s2_ptw;			/* S2PTW */
	bool s2_r;			/* record faults */
	bool s2_s;			/* stall faults */
	uint64_t s2_ttb;		/* S2TTB */
};

/* Encode @d into the eight words of an STE. */
void siommu_smmuv3_ste_encode(const struct siommu_smmuv3_ste_desc *d, uint64_t ste[8]);

/* A level-1 stream table descriptor: @l2 (64-byte aligned) holds
 * 2^(span - 1) STEs; span 0: invalid. */
uint64_t siommu_smmuv3_l1std_encode(uint64_t l2, unsigned int span);

/* A context descriptor (stage 1, AArch64, 4K granule, TTB0 only: TTB1
 * walks disabled with EPD1). Memory attributes: write-back inner
 * shareable walks, MAIR with index 0 normal write-back. */
struct siommu_smmuv3_cd_desc {
	bool valid;			/* CD.V */
	unsigned int t0sz;		/* 64 - input bits */
	unsigned int ips;		/* output size code, as IDR5.OAS */
	uint16_t asid;
	uint64_t ttb0;
	bool epd0;			/* TTB0 walks disabled too: every
					 * access takes a translation fault
					 * (a quiet CD, with r clear) */
	bool affd;			/* no access-flag faults */
	bool ha;			/* hardware access flag update */
	bool r;				/* record faults */
	bool a;				/* abort (not stall) on faults */
	bool s;				/* stall faults */
};

/* Encode @d into the eight words of a CD. */
void siommu_smmuv3_cd_encode(const struct siommu_smmuv3_cd_desc *d, uint64_t cd[8]);

/* A level-1 CD descriptor: @l2 (4K aligned) with V; 0: invalid. */
uint64_t siommu_smmuv3_l1cd_encode(uint64_t l2);

/*
 * Decoders: the same structures read back from the words software wrote
 * (a dump, a debugger, a test), the inverse of the encoders for every
 * field a description has. Fields the descriptions do not carry (memory
 * attributes, STRW, TTB1, MAIR) are not read; decoding then re-encoding
 * an entry the encoders wrote gives the same words. They do not validate
 * either: a Config, S1Fmt or S1DSS value the architecture reserves comes
 * back as it is. Pure functions, thread-safe.
 */

/* @ste's eight words (CPU order) into *d. */
void siommu_smmuv3_ste_decode(const uint64_t ste[8], struct siommu_smmuv3_ste_desc *d);

/* A level-1 stream table descriptor: returns its span (0: invalid) and
 * the level-2 table's address in *l2. */
unsigned int siommu_smmuv3_l1std_decode(uint64_t l1std, uint64_t *l2);

/* @cd's eight words (CPU order) into *d. */
void siommu_smmuv3_cd_decode(const uint64_t cd[8], struct siommu_smmuv3_cd_desc *d);

/* A level-1 CD descriptor: returns its V bit and the level-2 table's
 * address in *l2. */
bool siommu_smmuv3_l1cd_decode(uint64_t l1cd, uint64_t *l2);

/*
 * Whether the record of event @id (enum siommu_smmuv3_event) describes the
 * transaction: InputAddr, RnW, InD, PnU and the fault fields. False for
 * the configuration events (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE,
 * F_STREAM_DISABLED, C_BAD_SUBSTREAMID, F_CD_FETCH, C_BAD_CD), whose
 * records name the stream and substream (and the address fetched) alone,
 * those fields being RES0 (SMMUv3 7.3). Pure, thread-safe.
 */
bool siommu_smmuv3_event_has_access(unsigned int id);

/* Command opcodes (SMMUv3 4). */
enum siommu_smmuv3_cmd_op {
	SIOMMU_SMMUV3_CMD_PREFETCH_CONFIG = 0x01,
	SIOMMU_SMMUV3_CMD_PREFETCH_ADDR = 0x02,
	SIOMMU_SMMUV3_CMD_CFGI_STE = 0x03,
	SIOMMU_SMMUV3_CMD_CFGI_STE_RANGE = 0x04,	/* CFGI_ALL: range 31 */
	SIOMMU_SMMUV3_CMD_CFGI_CD = 0x05,
	SIOMMU_SMMUV3_CMD_CFGI_CD_ALL = 0x06,
	SIOMMU_SMMUV3_CMD_TLBI_NH_ALL = 0x10,
	SIOMMU_SMMUV3_CMD_TLBI_NH_ASID = 0x11,
	SIOMMU_SMMUV3_CMD_TLBI_NH_VA = 0x12,
	SIOMMU_SMMUV3_CMD_TLBI_NH_VAA = 0x13,
	SIOMMU_SMMUV3_CMD_TLBI_EL2_ALL = 0x20,
	SIOMMU_SMMUV3_CMD_TLBI_S12_VMALL = 0x28,
	SIOMMU_SMMUV3_CMD_TLBI_S2_IPA = 0x2a,
	SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL = 0x30,
	SIOMMU_SMMUV3_CMD_ATC_INV = 0x40,
	SIOMMU_SMMUV3_CMD_PRI_RESP = 0x41,
	SIOMMU_SMMUV3_CMD_RESUME = 0x44,
	SIOMMU_SMMUV3_CMD_STALL_TERM = 0x45,
	SIOMMU_SMMUV3_CMD_SYNC = 0x46,
};

/* CMD_SYNC completion signal (CS). */
enum siommu_smmuv3_sync_cs {
	SIOMMU_SMMUV3_SYNC_CS_NONE = 0,
	SIOMMU_SMMUV3_SYNC_CS_IRQ = 1,		/* MSI to msi_addr with msi_data */
	SIOMMU_SMMUV3_SYNC_CS_SEV = 2,
};

/*
 * A command. Each opcode encodes the fields the specification gives it
 * and ignores the others:
 *   PREFETCH_CONFIG, CFGI_STE, CFGI_CD, CFGI_CD_ALL: sid (ssv, ssid for
 *     the CD and the prefetch), leaf (CFGI_STE, CFGI_CD);
 *   CFGI_STE_RANGE: sid, range (2^(range + 1) StreamIDs; 31: all);
 *   TLBI_NH_ALL, TLBI_NH_ASID, TLBI_NH_VA, TLBI_NH_VAA, TLBI_S12_VMALL,
 *     TLBI_S2_IPA: vmid, asid (NH_ASID, NH_VA), addr (NH_VA, NH_VAA,
 *     S2_IPA; 4K aligned), leaf, and for a range (IDR3.RIL) num, scale,
 *     tg (1: 4K; 0: one address) and ttl;
 *   ATC_INV: sid, ssv, ssid, global, addr and size (2^size 4K pages);
 *   PRI_RESP: sid, ssv, ssid, prgi, resp (0 invalid, 1 failure, 2 success);
 *   RESUME: sid, stag, action (0 terminate, 1 retry, 2 abort);
 *   STALL_TERM: sid;
 *   SYNC: cs, msi_addr (4-byte aligned), msi_data.
 */
struct siommu_smmuv3_cmd {
	enum siommu_smmuv3_cmd_op op;
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	bool leaf;
	unsigned int range;
	uint16_t vmid, asid;
	uint64_t addr;
	unsigned int num, scale, tg, ttl;
	bool global;
	unsigned int size;
	uint16_t prgi;
	unsigned int resp;
	uint16_t stag;
	unsigned int action;
	enum siommu_smmuv3_sync_cs cs;
	uint64_t msi_addr;
	uint32_t msi_data;
};

/* Encode @c into the two words of a command queue entry. */
void siommu_smmuv3_cmd_encode(const struct siommu_smmuv3_cmd *c, uint64_t cmd[2]);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_SMMUV3_BUILD_H */
