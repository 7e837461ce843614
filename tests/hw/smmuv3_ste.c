/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 configuration: linear and 2-level stream tables, STE configs and
 * every invalid field's event, SubstreamID routing to CDs (linear and
 * 2-level CD tables), S1DSS for traffic without a SubstreamID, CD
 * validation, fetch aborts.
 */
#include "smmuv3_test.h"

#define VA 0x40000000ull
#define HOLE 0x10000ull		/* not RAM */

static const uint32_t R = SIOMMU_SMMUV3_READ;

static void test_stream_ids(void)
{
	struct siommu_smmuv3_cfg c = { 0 };
	uint64_t rec[4];
	struct st t;

	st_init(&t, NULL);
	/* Beyond STRTAB_BASE_CFG.LOG2SIZE (8). */
	CHECK(st_fault(&t, 256, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STREAMID, 256, rec);
	/* Beyond IDR1.SIDSIZE: recorded with CR2.RECINVSID only. */
	CHECK(st_fault(&t, 1u << 16, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STREAMID, 1u << 16, rec);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_CR2, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK(!st_fault(&t, 1u << 16, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	st_no_event(&t);
	st_fini(&t);

	/* The full 32-bit StreamID space. */
	c.sid_bits = 32;
	st_init(&t, &c);
	CHECK(st_fault(&t, 0xffffffffu, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	st_fini(&t);
}

static void test_ste_configs(void)
{
	uint64_t rec[4];
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	struct st t;

	st_init(&t, NULL);
	/* V = 0 */
	CHECK(st_fault(&t, 1, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STE));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STE, 1, rec);
	/* Config abort: no event. */
	st_ste(&t, 1, STE_V | STE_CFG(0), 0, 0, 0);
	CHECK(!st_fault(&t, 1, false, 0, VA, R, SIOMMU_SMMUV3_EVT_NONE));
	st_no_event(&t);
	/* Reserved configs. */
	for (unsigned int cfg = 1; cfg < 4; cfg++) {
		st_ste(&t, 2 + cfg, STE_V | STE_CFG(cfg), 0, 0, 0);
		CHECK(st_fault(&t, 2 + cfg, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STE));
		st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STE, 2 + cfg, rec);
	}
	/* Bypass: 1:1, but not with a SubstreamID. */
	st_ste(&t, 7, STE_V | STE_CFG(4), 0, 0, 0);
	CHECK_EQ(st_xlate(&t, 7, false, 0, 0xabcdef123, R), 0xabcdef123);
	r = st_req(7, false, 0, 0xabcdef123, R | SIOMMU_SMMUV3_WRITE | SIOMMU_SMMUV3_EXEC);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.perm, 7);
	CHECK(st_fault(&t, 7, true, 1, VA, R, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID, 7, rec);
	CHECK_EQ(rec[0] & (1ull << 11), 1ull << 11);	/* SSV */
	CHECK_EQ((rec[0] >> 12) & 0xfffff, 1);
	st_fini(&t);
}

/* Each bad STE field gives C_BAD_STE. */
static void test_bad_ste_fields(void)
{
	uint64_t s2ttb, rec[4];
	const uint64_t s2ok = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2R;
	struct {
		uint64_t w0, w1, w2, w3;
	} bad[] = {
		{ STE_V | STE_CFG(6), 0, s2ok & ~STE2_AA64, 0 },		/* AArch32 */
		{ STE_V | STE_CFG(6), 0, s2ok | (1ull << 46), 0 },		/* S2TG 64K */
		{ STE_V | STE_CFG(6), 0, s2ok | STE2_SL0(3), 0 },		/* SL0 3 */
		{ STE_V | STE_CFG(6), 0, (s2ok & ~(STE2_SL0(3) | STE2_T0SZ(63))) |
		  STE2_T0SZ(16), 0 },						/* 48 bits at L2 */
		{ STE_V | STE_CFG(6), 0, (s2ok & ~STE2_T0SZ(63)) | STE2_T0SZ(40), 0 },	/* 24 bits at L1 */
		{ STE_V | STE_CFG(6), 0, s2ok | STE2_PS(7), 0 },		/* PS reserved */
		{ STE_V | STE_CFG(6), 0, (s2ok & ~STE2_T0SZ(63)) | STE2_T0SZ(20), ~0ull },	/* 32 tables */
		{ STE_V | STE_CFG(6), 0, s2ok, 0x800 },				/* TTB misaligned */
		{ STE_V | STE_CFG(6), 0, s2ok, 1ull << 50 },			/* TTB above OAS */
		{ STE_V | STE_CFG(6), 0, s2ok | (1ull << 52), 0 },		/* big-endian */
		{ STE_V | STE_CFG(4), 2ull << 30, 0, 0 },			/* STRW EL2 */
		{ STE_V | STE_CFG(4), STE1_EATS(2), 0, 0 },			/* split-stage ATS */
		{ STE_V | STE_CFG(4), STE1_EATS(3), 0, 0 },
		{ STE_V | STE_CFG(5) | STE_CDMAX(21), 0, 0, 0 },		/* CDMax > SSIDSIZE */
		{ STE_V | STE_CFG(5) | STE_CDMAX(4) | STE_S1FMT(3), 0, 0, 0 },	/* S1Fmt 3 */
		{ STE_V | STE_CFG(5) | (1ull << 50), 0, 0, 0 },			/* CD ptr above OAS */
	};
	struct st t;
	unsigned int i;

	st_init(&t, NULL);
	s2ttb = st_table(&t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t w3 = bad[i].w3 ? bad[i].w3 : ((bad[i].w0 & 0xe) == STE_CFG(6) ? s2ttb : 0);

		if (bad[i].w3 == 0x800)
			w3 = s2ttb | 0x800;
		if (bad[i].w3 == ~0ull)		/* aligned for 32 tables */
			w3 = st_alloc(&t, 32 * 4096);
		st_ste(&t, 10 + i, bad[i].w0, bad[i].w1, bad[i].w2, w3);
		if (!st_fault(&t, 10 + i, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STE)) {
			fprintf(stderr, "bad STE %u not recorded\n", i);
			CHECK(0);
		}
		st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STE, 10 + i, rec);
	}
	/* The same S2 fields, valid, translate (a fault of the walk, not of
	 * the configuration); so do the extremes of each start level: 16
	 * concatenated tables, and one table resolving 1 bit. */
	st_ste(&t, 9, STE_V | STE_CFG(6), 0, s2ok, s2ttb);
	CHECK(st_fault(&t, 9, false, 0, VA, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_ste(&t, 8, STE_V | STE_CFG(6), 0, (s2ok & ~STE2_T0SZ(63)) | STE2_T0SZ(21),
	       st_alloc(&t, 65536));
	CHECK(st_fault(&t, 8, false, 0, VA, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_ste(&t, 7, STE_V | STE_CFG(6), 0, (s2ok & ~STE2_T0SZ(63)) | STE2_T0SZ(33), s2ttb);
	CHECK(st_fault(&t, 7, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_fini(&t);
}

/* Stages, stalls and 2-level CD tables the unit lacks make STEs and CDs
 * ILLEGAL. */
static void test_missing_features(void)
{
	struct siommu_smmuv3_cfg c = { .features = SIOMMU_SMMUV3_F_S1 };
	uint64_t cd, rec[4];
	struct st t;

	st_init(&t, &c);
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, STE2_T0SZ(25) | STE2_SL0(1) | STE2_AA64, 0);
	CHECK(st_fault(&t, 1, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STE));
	st_ste(&t, 2, STE_V | STE_CFG(7), 0, STE2_T0SZ(25) | STE2_SL0(1) | STE2_AA64, 0);
	CHECK(st_fault(&t, 2, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STE));
	cd = st_alloc(&t, 4096);
	st_ste(&t, 3, STE_V | STE_CFG(5) | STE_CDMAX(4) | STE_S1FMT(1) | cd, 0, 0, 0);
	CHECK(st_fault(&t, 3, true, 1, VA, R, SIOMMU_SMMUV3_C_BAD_STE));
	/* CD.S without the stall model. */
	st_cd(&t, cd, 1, st_s1_root(&t, VA, 0x100000000ull), 25, CD0_S);
	st_ste(&t, 4, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	CHECK(st_fault(&t, 4, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_CD));
	for (unsigned int i = 0; i < 4; i++)
		CHECK(st_event(&t, rec));
	st_fini(&t);
}

static void test_fetch_aborts(void)
{
	uint64_t rec[4];
	struct st t;

	st_init(&t, NULL);
	/* CD table in a hole. */
	st_ste(&t, 1, STE_V | STE_CFG(5) | HOLE, 0, 0, 0);
	CHECK(st_fault(&t, 1, false, 0, VA, R, SIOMMU_SMMUV3_F_CD_FETCH));
	st_expect_event(&t, SIOMMU_SMMUV3_F_CD_FETCH, 1, rec);
	CHECK_EQ(rec[3], HOLE);
	CHECK_EQ((rec[1] >> 40) & 3, 0);	/* CLASS CD */
	/* Stream table in a hole. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, HOLE);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	/* The cached STE is still used: invalidate it first. */
	st_cmd_sync(&t, OP_CFGI_STE_RANGE, 31);
	CHECK(st_fault(&t, 5, false, 0, VA, R, SIOMMU_SMMUV3_F_STE_FETCH));
	st_expect_event(&t, SIOMMU_SMMUV3_F_STE_FETCH, 5, rec);
	CHECK_EQ(rec[3], HOLE + 5 * 64);
	st_fini(&t);
}

static void test_two_level_strtab(void)
{
	uint64_t l1, l2, rec[4];
	struct st t;

	st_init(&t, NULL);
	l1 = st_alloc(&t, 4096);
	l2 = st_alloc(&t, 16384);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, l1);
	/* 2-level, SPLIT 8, 2^16 StreamIDs: 256 L1 descriptors. */
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 1u << 16 | 8 << 6 | 16);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	st_st(&t, l1 + 0x12 * 8, l2 | 9);		/* SPAN 9: 256 STEs */
	st_st(&t, l1 + 0x13 * 8, (l2 + 8192) | 1);	/* SPAN 1: one STE */
	CHECK_OK(siommu_mem_write(t.mem, l2 + 0x34 * 64,
				  (uint64_t[8]){ STE_V | STE_CFG(4) }, 64));
	CHECK_OK(siommu_mem_write(t.mem, l2 + 8192,
				  (uint64_t[8]){ STE_V | STE_CFG(4) }, 64));
	CHECK_EQ(st_xlate(&t, 0x1234, false, 0, 0x5000, R), 0x5000);
	CHECK_EQ(st_xlate(&t, 0x1300, false, 0, 0x6000, R), 0x6000);
	/* Beyond the span of its L2 table, or an L1 with SPAN 0. */
	CHECK(st_fault(&t, 0x1301, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	CHECK(st_fault(&t, 0x1434, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	/* L2 table in a hole. */
	st_st(&t, l1 + 0x14 * 8, HOLE | 9);
	CHECK(st_fault(&t, 0x1434, false, 0, VA, R, SIOMMU_SMMUV3_F_STE_FETCH));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STREAMID, 0x1301, rec);
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_STREAMID, 0x1434, rec);
	st_expect_event(&t, SIOMMU_SMMUV3_F_STE_FETCH, 0x1434, rec);
	CHECK_EQ(rec[3], HOLE + 0x34 * 64);
	/* The L1 table itself in a hole. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, HOLE);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK(st_fault(&t, 0x1235, false, 0, VA, R, SIOMMU_SMMUV3_F_STE_FETCH));
	st_expect_event(&t, SIOMMU_SMMUV3_F_STE_FETCH, 0x1235, rec);
	CHECK_EQ(rec[3], HOLE + 0x12 * 8);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, l1);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	/* A SPLIT the architecture does not define holds no stream. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 1u << 16 | 7 << 6 | 16);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK(st_fault(&t, 0x1235, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	/* (With SPLIT 7 this one would find the bypass STE at 0x34.) */
	CHECK(st_fault(&t, 0x934, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	/* FMT 2 is reserved. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 2u << 16 | 8);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK(st_fault(&t, 0x11, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	st_fini(&t);
}

#define PA(i) (0x100000000ull + (uint64_t)(i) * 0x10000)

/* A linear table of 16 CDs (S1CDMax 4), CD i mapping VA to PA(i). */
static uint64_t cd_table(struct st *t, unsigned int n)
{
	uint64_t tbl = st_alloc(t, 4096);
	unsigned int i;

	for (i = 0; i < n; i++)
		st_cd(t, tbl + 64ull * i, (uint16_t)(100 + i), st_s1_root(t, VA, PA(i)), 25, 0);
	return tbl;
}

static void test_substreams(void)
{
	uint64_t tbl, rec[4];
	struct st t;

	st_init(&t, NULL);
	tbl = cd_table(&t, 16);
	st_ste(&t, 1, STE_V | STE_CFG(5) | STE_CDMAX(4) | tbl, STE1_S1DSS(0), 0, 0);
	CHECK_EQ(st_xlate(&t, 1, true, 3, VA + 5, R), PA(3) + 5);
	CHECK_EQ(st_xlate(&t, 1, true, 15, VA, R), PA(15));
	CHECK_EQ(st_xlate(&t, 1, true, 0, VA, R), PA(0));
	CHECK(st_fault(&t, 1, true, 16, VA, R, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID));
	/* S1DSS terminate: no SubstreamID is F_STREAM_DISABLED. */
	CHECK(st_fault(&t, 1, false, 0, VA, R, SIOMMU_SMMUV3_F_STREAM_DISABLED));
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID, 1, rec);
	CHECK_EQ((rec[0] >> 12) & 0xfffff, 16);
	st_expect_event(&t, SIOMMU_SMMUV3_F_STREAM_DISABLED, 1, rec);
	/* S1DSS bypass: stage 1 is skipped, no CD fetched. */
	st_ste(&t, 2, STE_V | STE_CFG(5) | STE_CDMAX(4) | tbl, STE1_S1DSS(1), 0, 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, VA + 7, R), VA + 7);
	CHECK_EQ(st_xlate(&t, 2, true, 2, VA, R), PA(2));
	/* S1DSS SSID0: CD 0 for traffic without SubstreamID, and SubstreamID
	 * 0 itself is then disabled. */
	st_ste(&t, 3, STE_V | STE_CFG(5) | STE_CDMAX(4) | tbl, STE1_S1DSS(2), 0, 0);
	CHECK_EQ(st_xlate(&t, 3, false, 0, VA, R), PA(0));
	CHECK_EQ(st_xlate(&t, 3, true, 1, VA, R), PA(1));
	CHECK(st_fault(&t, 3, true, 0, VA, R, SIOMMU_SMMUV3_F_STREAM_DISABLED));
	/* Nor from the TLB: a stage-2 entry of the same VMID (0) is not used
	 * for a stream whose stage 1 S1DSS bypasses, nor for a SubstreamID on
	 * a stage-2 stream. */
	{
		uint64_t s2 = st_table(&t);

		st_map(&t, s2, 1, 39, VA, PA(9), 3, S2_RW, 0);
		st_ste(&t, 5, STE_V | STE_CFG(6), 0,
		       STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64, s2);
		CHECK_EQ(st_xlate(&t, 5, false, 0, VA, R), PA(9));
		CHECK_EQ(st_xlate(&t, 2, false, 0, VA, R), VA);
		CHECK(st_fault(&t, 5, true, 1, VA, R, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID));
	}
	/* S1CDMax 0: one CD; any SubstreamID is bad. */
	st_ste(&t, 4, STE_V | STE_CFG(5) | (tbl + 128), 0, 0, 0);
	CHECK_EQ(st_xlate(&t, 4, false, 0, VA, R), PA(2));
	CHECK(st_fault(&t, 4, true, 0, VA, R, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID));
	st_fini(&t);
}

static void test_two_level_cd(void)
{
	uint64_t l1, leaf, rec[4];
	unsigned int fmt;

	for (fmt = 1; fmt <= 2; fmt++) {
		unsigned int per_leaf = fmt == 1 ? 64 : 1024;
		uint32_t ssid = 3 * per_leaf + 5;
		struct st t;

		st_init(&t, NULL);
		l1 = st_alloc(&t, 4096);
		leaf = st_alloc(&t, 64ull * per_leaf);
		st_cd(&t, leaf + 5 * 64, 7, st_s1_root(&t, VA, PA(7)), 25, 0);
		st_st(&t, l1 + 3 * 8, leaf | 1);
		st_ste(&t, 1, STE_V | STE_CFG(5) | STE_CDMAX(16) | STE_S1FMT(fmt) | l1, 0, 0, 0);
		CHECK_EQ(st_xlate(&t, 1, true, ssid, VA, R), PA(7));
		/* L1CD with V clear. */
		CHECK(st_fault(&t, 1, true, ssid + per_leaf, VA, R,
			       SIOMMU_SMMUV3_C_BAD_SUBSTREAMID));
		/* Valid L1CD, CD with V clear. */
		CHECK(st_fault(&t, 1, true, ssid + 1, VA, R, SIOMMU_SMMUV3_C_BAD_CD));
		/* L1CD pointing at a hole. */
		st_st(&t, l1 + 5 * 8, HOLE | 1);
		CHECK(st_fault(&t, 1, true, 5 * per_leaf, VA, R, SIOMMU_SMMUV3_F_CD_FETCH));
		st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID, 1, rec);
		st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_CD, 1, rec);
		CHECK_EQ((rec[0] >> 12) & 0xfffff, ssid + 1);
		st_expect_event(&t, SIOMMU_SMMUV3_F_CD_FETCH, 1, rec);
		CHECK_EQ(rec[3], HOLE);
		st_fini(&t);
	}
}

/* Each bad CD field gives C_BAD_CD, whatever CD.R says. */
static void test_bad_cd_fields(void)
{
	const uint64_t ok = CD0_T0SZ(25) | CD0_EPD1 | CD0_V | CD0_IPS(5) | CD0_AA64;
	uint64_t bad[][3] = {
		{ ok & ~CD0_V, 0, 0 },
		{ ok & ~CD0_AA64, 0, 0 },
		{ ok | (1ull << 6), 0, 0 },			/* TG0 64K */
		{ (ok & ~63ull) | 40, 0, 0 },			/* T0SZ 40 */
		{ (ok & ~63ull) | 15, 0, 0 },			/* T0SZ 15 */
		{ ok | CD0_IPS(7), 0, 0 },			/* IPS reserved */
		{ ok | (1ull << 15), 0, 0 },			/* big-endian */
		{ ok & ~CD0_EPD1, 0, 0 },			/* TTB1 live, T1SZ 0 */
		{ (ok & ~CD0_EPD1) | (25ull << 16), 0, 0 },	/* TG1 0 is not 4K */
		{ ok | CD0_S, STE1_S1STALLD, 0 },		/* stall disabled by the STE */
	};
	uint64_t cd, rec[4];
	struct st t;
	unsigned int i;

	st_init(&t, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cd = st_alloc(&t, 4096);
		CHECK_OK(siommu_mem_write(t.mem, cd, bad[i], 8));
		st_ste(&t, 20 + i, STE_V | STE_CFG(5) | cd, bad[i][1], 0, 0);
		if (!st_fault(&t, 20 + i, false, 0, VA, R, SIOMMU_SMMUV3_C_BAD_CD)) {
			fprintf(stderr, "bad CD %u not recorded\n", i);
			CHECK(0);
		}
		st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_CD, 20 + i, rec);
	}
	/* The same CD with S and a stall-capable STE is valid: its walk
	 * (TTB0 0 is not RAM) aborts, which never stalls. */
	st_ste(&t, 40, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	CHECK(st_fault(&t, 40, false, 0, VA, R, SIOMMU_SMMUV3_F_WALK_EABT));
	st_fini(&t);
}

/*
 * A cached CD is checked against the STE it is reached through on every
 * use: CD.S under STE.S1STALLD is ILLEGAL (SMMUv3 5.4), even when the CD
 * came from the CD cache and the STE from memory, as when another stream
 * took the STE's cache slot. Until then the stale STE answers, as the
 * architecture allows. ATS translation requests probe: they go through
 * the configuration every time and never stall.
 */
static void test_cached_cd_under_new_ste(void)
{
	const uint32_t a = 1, n = 4096;
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t strtab, cd, root, page;
	uint32_t b;
	struct st t;
	int ret = 0;

	st_init(&t, NULL);
	/* 4096 STEs: some other StreamID shares the slot of a's STE. */
	strtab = st_alloc(&t, 64ull * n);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, strtab);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 12);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	t.strtab = strtab;
	page = st_alloc(&t, 4096);
	root = st_s1_root(&t, VA, page);
	cd = st_alloc(&t, 4096);
	st_cd(&t, cd, 1, root, 25, CD0_S);
	st_ste(&t, a, STE_V | STE_CFG(5) | cd, STE1_EATS(1), 0, 0);
	r = st_req(a, false, 0, VA, R);
	CHECK_OK(siommu_smmuv3_ats_translate(t.s, &r, &x));
	/* S1STALLD set in memory without CMD_CFGI_STE: the cached STE stays. */
	st_ste(&t, a, STE_V | STE_CFG(5) | cd, STE1_EATS(1) | STE1_S1STALLD, 0, 0);
	CHECK_OK(siommu_smmuv3_ats_translate(t.s, &r, &x));
	for (b = 0; b < n; b++) {
		if (b == a)
			continue;
		st_ste(&t, b, STE_V | STE_CFG(4), 0, 0, 0);
		st_xlate(&t, b, false, 0, VA, R);
		ret = siommu_smmuv3_ats_translate(t.s, &r, &x);
		if (ret)
			break;
	}
	CHECK(b < n);
	CHECK_EQ(ret, -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_CD);
	st_fini(&t);
}

int main(void)
{
	test_stream_ids();
	test_ste_configs();
	test_bad_ste_fields();
	test_missing_features();
	test_fetch_aborts();
	test_two_level_strtab();
	test_substreams();
	test_two_level_cd();
	test_bad_cd_fields();
	test_cached_cd_under_new_ste();
	return 0;
}
