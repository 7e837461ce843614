/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 vectors: values assembled bit by bit from the architecture's
 * field positions (IHI 0070 5.2 STE, 5.4 CD, 4 commands, 7.3 event
 * records; Arm ARM D8 for the VMSAv8-64 descriptors) compared as whole
 * words with what the encoders write and what the unit records, and
 * translations swept across every input size, start level and block size
 * the unit advertises (IDR5: the 4K granule; IDR0.TTF: AArch64 tables).
 */
#include "smmuv3_test.h"

#define R SIOMMU_SMMUV3_READ
#define W SIOMMU_SMMUV3_WRITE
#define X SIOMMU_SMMUV3_EXEC
#define GB (1ull << 30)
#define HOLE (1ull << 44)	/* no RAM there */

#define CD0_WXN			(1ull << 36)
#define CD0_UWXN		(1ull << 37)
#define CD0_PAN			(1ull << 40)

/* Event record words (SMMUv3 7.3), each field at its place. */
static uint64_t ev0(unsigned int id, uint32_t sid, bool ssv, uint32_t ssid)
{
	return id | (uint64_t)ssv << 11 | (uint64_t)ssid << 12 | (uint64_t)sid << 32;
}

static uint64_t ev1(bool pnu, bool ind, bool rnw, bool s2, unsigned int class, bool ttrnw)
{
	return (uint64_t)pnu << 33 | (uint64_t)ind << 34 | (uint64_t)rnw << 35 |
	       (uint64_t)s2 << 39 | (uint64_t)class << 40 | (uint64_t)ttrnw << 44;
}

/* Input bits a walk starting at lookup level @start resolves with one
 * table there (4K granule). */
static unsigned int level_span_bits(unsigned int start)
{
	return 12 + 9 * (4 - start);
}

static void expect_rec(struct st *t, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	uint64_t rec[4];

	CHECK(st_event(t, rec));
	CHECK_EQ(rec[0], w0);
	CHECK_EQ(rec[1], w1);
	CHECK_EQ(rec[2], w2);
	CHECK_EQ(rec[3], w3);
}

/* ---- encoders: whole words ------------------------------------------------ */

static void test_encode_words(void)
{
	struct siommu_smmuv3_ste_desc sd = {
		.config = SIOMMU_SMMUV3_STE_NESTED, .valid = true, .s1_ctx_ptr = ~0ull,
		.s1_fmt = SIOMMU_SMMUV3_S1FMT_64K_L2, .s1_cdmax = 31,
		.s1dss = SIOMMU_SMMUV3_S1DSS_SSID0, .s1_stalld = true, .eats = 3,
		.s2_vmid = 0xffff, .s2_t0sz = 63, .s2_sl0 = 3, .s2_ps = 7, .s2_affd = true,
		.s2_ptw = true, .s2_r = true, .s2_s = true, .s2_ttb = ~0ull,
	};
	struct siommu_smmuv3_cd_desc cdd = {
		.valid = true, .t0sz = 63, .ips = 7, .asid = 0xffff, .ttb0 = ~0ull,
		.epd0 = true, .affd = true, .ha = true, .r = true, .a = true, .s = true,
	};
	uint64_t w[8], c[2];
	unsigned int i;

	siommu_smmuv3_ste_encode(&sd, w);
	/* V, Config, S1Fmt, S1ContextPtr[51:6], S1CDMax. */
	CHECK_EQ(w[0], 1ull | 7ull << 1 | 2ull << 4 | 0x000fffffffffffc0ull | 31ull << 59);
	/* S1DSS, S1CIR/S1COR write-back, S1CSH inner, S1STALLD, EATS, SHCFG 1. */
	CHECK_EQ(w[1], 2ull | 1ull << 2 | 1ull << 4 | 3ull << 6 | 1ull << 27 | 3ull << 28 |
		 1ull << 44);
	/* S2VMID, S2T0SZ, S2SL0, S2IR0/S2OR0/S2SH0, S2TG 4K, S2PS, S2AA64,
	 * S2AFFD, S2PTW, S2S, S2R. */
	CHECK_EQ(w[2], 0xffffull | 63ull << 32 | 3ull << 38 | 1ull << 40 | 1ull << 42 |
		 3ull << 44 | 7ull << 48 | 1ull << 51 | 1ull << 53 | 1ull << 54 | 1ull << 57 |
		 1ull << 58);
	CHECK_EQ(w[3], 0x000ffffffffffff0ull);			/* S2TTB[51:4] */
	for (i = 4; i < 8; i++)
		CHECK_EQ(w[i], 0);

	siommu_smmuv3_cd_encode(&cdd, w);
	/* T0SZ, TG0 4K, IR0/OR0 write-back, SH0 inner, EPD0, EPD1, V, IPS,
	 * AFFD, AA64, HA, S, R, A, ASET, ASID. */
	CHECK_EQ(w[0], 63ull | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 14 | 1ull << 30 |
		 1ull << 31 | 7ull << 32 | 1ull << 35 | 1ull << 41 | 1ull << 43 | 1ull << 44 |
		 1ull << 45 | 1ull << 46 | 1ull << 47 | 0xffffull << 48);
	CHECK_EQ(w[1], 0x000ffffffffffff0ull);			/* TTB0[51:4] */
	CHECK_EQ(w[2], 0);
	CHECK_EQ(w[3], 0xff);					/* MAIR0 */
	for (i = 4; i < 8; i++)
		CHECK_EQ(w[i], 0);

	CHECK_EQ(siommu_smmuv3_l1std_encode(~0ull, 31), 0x000fffffffffffc0ull | 31);
	CHECK_EQ(siommu_smmuv3_l1cd_encode(~0ull), 0x000ffffffffff000ull | 1);

	/* Commands with every field at its widest. */
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_TLBI_S2_IPA, .vmid = 0xffff, .asid = 0xffff,
		.addr = ~0ull, .leaf = true, .num = 31, .scale = 31, .tg = 3, .ttl = 3 }, c);
	CHECK_EQ(c[0], 0x2aull | 31ull << 12 | 31ull << 20 | 0xffffull << 32);
	CHECK_EQ(c[1], 1ull | 3ull << 8 | 3ull << 10 | 0x000ffffffffff000ull);	/* IPA[51:12] */
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_TLBI_NH_VA, .vmid = 0xffff, .asid = 0xffff,
		.addr = ~0ull, .leaf = true, .num = 31, .scale = 31, .tg = 3, .ttl = 3 }, c);
	CHECK_EQ(c[0], 0x12ull | 31ull << 12 | 31ull << 20 | 0xffffull << 32 | 0xffffull << 48);
	CHECK_EQ(c[1], 1ull | 3ull << 8 | 3ull << 10 | 0xfffffffffffff000ull);	/* VA[63:12] */
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_TLBI_NH_VAA, .vmid = 0xffff, .asid = 0xffff,
		.addr = 0x1000 }, c);
	CHECK_EQ(c[0], 0x13ull | 0xffffull << 32);
	CHECK_EQ(c[1], 0x1000);
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_ATC_INV, .sid = ~0u, .ssv = true, .ssid = ~0u,
		.global = true, .addr = ~0ull, .size = 63 }, c);
	CHECK_EQ(c[0], 0x40ull | 1ull << 9 | 1ull << 11 | 0xfffffull << 12 |
		 0xffffffffull << 32);
	CHECK_EQ(c[1], 63ull | 0xfffffffffffff000ull);
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_PRI_RESP, .sid = ~0u, .ssv = true, .ssid = ~0u,
		.prgi = 0xffff, .resp = 3 }, c);
	CHECK_EQ(c[0], 0x41ull | 1ull << 11 | 0xfffffull << 12 | 0xffffffffull << 32);
	CHECK_EQ(c[1], 0x1ffull | 3ull << 12);
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_RESUME, .sid = ~0u, .stag = 0xffff, .action = 3,
		.ssv = true, .ssid = ~0u }, c);
	CHECK_EQ(c[0], 0x44ull | 3ull << 12 | 0xffffffffull << 32);
	CHECK_EQ(c[1], 0xffff);
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_PREFETCH_ADDR, .sid = ~0u, .ssv = true, .ssid = ~0u,
		.addr = ~0ull, .size = 31 }, c);
	CHECK_EQ(c[0], 0x02ull | 1ull << 11 | 0xfffffull << 12 | 0xffffffffull << 32);
	CHECK_EQ(c[1], 31ull | 0xfffffffffffff000ull);
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_SYNC, .cs = SIOMMU_SMMUV3_SYNC_CS_SEV, .msi_addr = ~0ull,
		.msi_data = ~0u }, c);
	CHECK_EQ(c[0], 0x46ull | 2ull << 12 | 3ull << 22 | 0xfull << 24 | 0xffffffffull << 32);
	CHECK_EQ(c[1], 0x000ffffffffffffcull);			/* MSIAddr[51:2] */
	siommu_smmuv3_cmd_encode(&(struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_STALL_TERM, .sid = ~0u, .stag = 0xffff }, c);
	CHECK_EQ(c[0], 0x45ull | 0xffffffffull << 32);
	CHECK_EQ(c[1], 0);
}

/* ---- event records: whole words ------------------------------------------ */

/* Which records describe the transaction: all but 0x02-0x04, 0x06 and
 * 0x08-0x0a. */
static void test_event_has_access(void)
{
	unsigned int id;

	for (id = 0; id < 0x100; id++)
		CHECK_EQ(siommu_smmuv3_event_has_access(id),
			 !((id >= 0x02 && id <= 0x04) || id == 0x06 || (id >= 0x08 && id <= 0x0a)));
}

/*
 * Configuration events name the stream, the substream and, for fetch
 * aborts, the address fetched; the transaction's fields are RES0 in them.
 */
static void test_config_event_words(void)
{
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t cd;
	struct st t;

	st_init(&t, NULL);
	cd = st_table(&t);
	/* C_BAD_STE from a privileged instruction fetch with a substream. */
	st_ste(&t, 3, STE_V | STE_CFG(2), 0, 0, 0);
	r = st_req(3, true, 0xabcde, 0xffff000012345678ull, X);
	r.priv = true;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_STE);
	expect_rec(&t, ev0(0x04, 3, true, 0xabcde), 0, 0, 0);
	/* F_STE_FETCH: FetchAddr[51:3]. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, HOLE);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK(st_fault(&t, 5, false, 0, 0x1000, W, SIOMMU_SMMUV3_F_STE_FETCH));
	expect_rec(&t, ev0(0x03, 5, false, 0), 0, 0, HOLE + 5 * 64);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, t.strtab);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	/* C_BAD_SUBSTREAMID, F_STREAM_DISABLED, F_CD_FETCH, C_BAD_CD. */
	st_ste(&t, 6, STE_V | STE_CFG(5) | STE_CDMAX(2) | cd, 0, 0, 0);
	CHECK(st_fault(&t, 6, true, 4, 0x1000, W, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID));
	expect_rec(&t, ev0(0x08, 6, true, 4), 0, 0, 0);
	CHECK(st_fault(&t, 6, false, 0, 0x1000, W, SIOMMU_SMMUV3_F_STREAM_DISABLED));
	expect_rec(&t, ev0(0x06, 6, false, 0), 0, 0, 0);
	CHECK(st_fault(&t, 6, true, 1, 0x1000, R, SIOMMU_SMMUV3_C_BAD_CD));
	expect_rec(&t, ev0(0x0a, 6, true, 1), 0, 0, 0);
	st_ste(&t, 7, STE_V | STE_CFG(5) | STE_CDMAX(2) | HOLE, 0, 0, 0);
	CHECK(st_fault(&t, 7, true, 3, 0x1000, R, SIOMMU_SMMUV3_F_CD_FETCH));
	expect_rec(&t, ev0(0x09, 7, true, 3), 0, 0, HOLE + 3 * 64);
	/* C_BAD_STREAMID (CR2.RECINVSID): a StreamID beyond SIDSIZE. */
	CHECK(st_fault(&t, 1u << 16, false, 0, 0x1000, R, SIOMMU_SMMUV3_C_BAD_STREAMID));
	expect_rec(&t, ev0(0x02, 1u << 16, false, 0), 0, 0, 0);
	st_no_event(&t);
	st_fini(&t);
}

/*
 * A walk abort's FetchAddr is the descriptor's address even when it is 0
 * (a stage-2 table at PA 0, not RAM here), not the IPA; TTRnW says the
 * walk read it. Stage-2 faults of a stage-1 table fetch (CLASS TT) read
 * too.
 */
static void test_walk_event_words(void)
{
	const uint64_t s2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2R;
	uint64_t root, cd;
	struct st t;

	st_init(&t, NULL);
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, s2 | 1, 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_WALK_EABT));
	expect_rec(&t, ev0(0x0b, 1, false, 0), ev1(false, false, true, true, 2, true), 0x1000, 0);
	/* Nested: the CD at IPA 0x10000 maps; the stage-1 table at IPA
	 * 0x20000 does not. */
	root = st_table(&t);
	cd = st_table(&t);
	st_map(&t, root, 1, 39, 0x10000, cd, 3, S2_RW, 0);
	st_cd(&t, cd, 1, 0x20000, 25, 0);
	st_ste(&t, 2, STE_V | STE_CFG(7) | 0x10000, 0, s2 | 2, root);
	CHECK(st_fault(&t, 2, false, 0, 0x3000, W, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_rec(&t, ev0(0x10, 2, false, 0), ev1(false, false, false, true, 1, true), 0x3000,
		   0x20000);
	st_no_event(&t);
	st_fini(&t);
}

/*
 * Nested, CD.HA: setting AF in a stage-1 descriptor is a write at stage 2.
 * With the tables mapped read-only there it is a stage-2 permission fault
 * of the walk: S2, CLASS TT, TTRnW 0 (an update), the descriptor's IPA;
 * the descriptor stays as it was. Writable, the flag is set.
 */
static void test_nested_af_update(void)
{
	const uint64_t s2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2R;
	uint64_t ro, rw, cd, s1root, leaf, out;
	struct st t;

	st_init(&t, NULL);
	cd = st_table(&t);
	s1root = st_table(&t);
	out = st_table(&t);
	leaf = st_map(&t, s1root, 1, 39, 0x1000, out, 3, PTE_AP1, 0);	/* AF clear */
	st_cd(&t, cd, 1, s1root, 25, CD0_HA);
	/* Stage 2: the 1G around the pool, IPA = PA, read-only / read-write. */
	ro = st_table(&t);
	rw = st_table(&t);
	st_map(&t, ro, 1, 39, cd, cd, 1, PTE_AF | PTE_AP1, 0);
	st_map(&t, rw, 1, 39, cd, cd, 1, S2_RW, 0);
	st_ste(&t, 1, STE_V | STE_CFG(7) | cd, 0, s2 | 1, ro);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_PERMISSION));
	expect_rec(&t, ev0(0x13, 1, false, 0), ev1(false, false, true, true, 1, false), 0x1000,
		   leaf & ~0xfffull);
	CHECK_EQ(st_ld(&t, leaf) & PTE_AF, 0);
	st_ste(&t, 2, STE_V | STE_CFG(7) | cd, 0, s2 | 2, rw);
	CHECK_EQ(st_xlate(&t, 2, false, 0, 0x1008, R), out + 8);
	CHECK(st_ld(&t, leaf) & PTE_AF);
	st_no_event(&t);
	st_fini(&t);
}

/*
 * Nested: stage 1 refusing the access is reported before stage 2 looks at
 * the output IPA, even one stage 2 does not map; an access stage 1 allows
 * meets stage 2's translation fault for that IPA.
 */
static void test_nested_fault_order(void)
{
	const uint64_t s2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2R;
	const uint64_t ipa = 0x10000000;	/* stage 2 maps nothing there */
	uint64_t cd, s1root, s2root;
	struct st t;

	st_init(&t, NULL);
	cd = st_table(&t);
	s1root = st_table(&t);
	s2root = st_table(&t);
	st_map(&t, s1root, 1, 39, 0x1000, ipa, 3, S1_RO, 0);
	st_cd(&t, cd, 1, s1root, 25, 0);
	st_map(&t, s2root, 1, 39, cd, cd, 1, S2_RW, 0);	/* the tables: IPA = PA */
	st_ste(&t, 1, STE_V | STE_CFG(7) | cd, 0, s2 | 1, s2root);
	CHECK(st_fault(&t, 1, false, 0, 0x1010, W, SIOMMU_SMMUV3_F_PERMISSION));
	expect_rec(&t, ev0(0x13, 1, false, 0), ev1(false, false, false, false, 2, false),
		   0x1010, 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1010, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_rec(&t, ev0(0x10, 1, false, 0), ev1(false, false, true, true, 2, false), 0x1010,
		   ipa);
	st_no_event(&t);
	st_fini(&t);
}

/* ---- CD fields at their extremes ---------------------------------------------- */

/*
 * Each reserved or unsupported value of a CD field the walk would use is
 * ILLEGAL: C_BAD_CD with the whole record checked. A half disabled by
 * EPDn is not looked at, whatever its TxSZ and TGx: that CD is legal, and
 * its accesses are translation faults of CLASS IN.
 */
static void test_cd_extremes(void)
{
	const uint64_t ok = CD0_T0SZ(25) | CD0_EPD1 | CD0_V | CD0_IPS(5) | CD0_AA64 | CD0_R;
	static const uint64_t tg1_4k = 2ull << 22, t1sz25 = 25ull << 16;
	const uint64_t bad[] = {
		ok | 1ull << 7,					/* TG0 16K */
		ok | 3ull << 6,					/* TG0 reserved */
		(ok & ~CD0_EPD1) | t1sz25 | 1ull << 22,		/* TG1 16K */
		(ok & ~CD0_EPD1) | t1sz25 | 3ull << 22,		/* TG1 64K */
		(ok & ~CD0_EPD1) | tg1_4k | 15ull << 16,	/* T1SZ 15 */
		(ok & ~CD0_EPD1) | tg1_4k | 40ull << 16,	/* T1SZ 40 */
		(ok & ~63ull) | 63,				/* T0SZ 63 */
		ok | CD0_IPS(7) | CD0_EPD0,			/* IPS reserved, both halves off */
	};
	uint64_t cd;
	unsigned int i;
	struct st t;

	st_init(&t, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cd = st_table(&t);
		st_st(&t, cd, bad[i]);
		st_ste(&t, 0x60 + i, STE_V | STE_CFG(5) | cd, 0, 0, 0);
		if (!st_fault(&t, 0x60 + i, false, 0, 0x1000, R, SIOMMU_SMMUV3_C_BAD_CD))
			fprintf(stderr, "CD vector %u\n", i);
		expect_rec(&t, ev0(0x0a, 0x60 + i, false, 0), 0, 0, 0);
	}
	/* Both halves off with garbage sizes and granules: legal. */
	cd = st_table(&t);
	st_st(&t, cd, CD0_EPD0 | CD0_EPD1 | 3ull << 6 | 3ull << 22 | 63ull << 16 | CD0_V |
		      CD0_IPS(5) | CD0_AA64 | CD0_R);
	st_ste(&t, 0x70, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	CHECK(st_fault(&t, 0x70, false, 0, 0x1000, W, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_rec(&t, ev0(0x10, 0x70, false, 0), ev1(false, false, false, false, 2, false),
		   0x1000, 0);
	CHECK(st_fault(&t, 0x70, false, 0, 0xffffffffffff1000ull, R,
		       SIOMMU_SMMUV3_F_TRANSLATION));
	expect_rec(&t, ev0(0x10, 0x70, false, 0), ev1(false, false, true, false, 2, false),
		   0xffffffffffff1000ull, 0);
	st_no_event(&t);
	st_fini(&t);
}

/* ---- stage-1 translation sweep ---------------------------------------------- */

/*
 * Every T0SZ the 4K granule allows (16..39: 48 to 25 input bits, start
 * levels 0 to 2): the lowest and highest page of the range, a 2M block
 * and, from level 1, a 1G block translate at their size; the first
 * address beyond the range is a translation fault of CLASS IN that
 * records the input address; so is a block at level 0 and a block
 * encoding at level 3.
 */
static void test_s1_sweep(void)
{
	const uint64_t pa = 0x0000400000000000ull;
	unsigned int t0sz;
	struct st t;

	st_init(&t, NULL);
	for (t0sz = 16; t0sz <= 39; t0sz++) {
		unsigned int ia = 64 - t0sz, start = 3 - (ia - 13) / 9, sid = t0sz;
		uint64_t root = st_table(&t), cd = st_table(&t), top = (1ull << ia) - 0x1000;
		struct siommu_smmuv3_req r;
		struct siommu_smmuv3_xlate x;
		/* The 1G block at 1G, apart from the top page. */
		bool gig = start <= 1 && ia > 31;
		uint64_t leaf;

		st_map(&t, root, start, ia, 0, pa + 0x1000, 3, S1_RW, 0);
		st_map(&t, root, start, ia, top, pa + 0x2000, 3, S1_RW, 0);
		st_map(&t, root, start, ia, 0x200000, pa + 0x400000, 2, S1_RW, 0);
		if (gig)
			st_map(&t, root, start, ia, GB, pa + GB, 1, S1_RW, 0);
		st_cd(&t, cd, (uint16_t)t0sz, root, t0sz, 0);
		st_ste(&t, sid, STE_V | STE_CFG(5) | cd, 0, 0, 0);

		CHECK_EQ(st_xlate(&t, sid, false, 0, 0x123, R), pa + 0x1123);
		CHECK_EQ(st_xlate(&t, sid, false, 0, top + 0xfff, W), pa + 0x2fff);
		r = st_req(sid, false, 0, 0x212345, R);
		CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
		CHECK_EQ(x.addr, pa + 0x412345);
		CHECK_EQ(x.size, 2ull << 20);
		CHECK_EQ(x.iova_base, 0x200000);
		if (gig) {
			r.iova = GB + 0x3456789;
			CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
			CHECK_EQ(x.addr, pa + GB + 0x3456789);
			CHECK_EQ(x.size, GB);
		}
		CHECK(st_fault(&t, sid, false, 0, 1ull << ia, R, SIOMMU_SMMUV3_F_TRANSLATION));
		expect_rec(&t, ev0(0x10, sid, false, 0), ev1(false, false, true, false, 2, false),
			   1ull << ia, 0);
		/* A block encoding at level 3 is not a descriptor. */
		leaf = st_map(&t, root, start, ia, 0x5000, pa, 3, S1_RW, 0);
		st_st(&t, leaf, st_ld(&t, leaf) & ~2ull);
		CHECK(st_fault(&t, sid, false, 0, 0x5000, R, SIOMMU_SMMUV3_F_TRANSLATION));
		expect_rec(&t, ev0(0x10, sid, false, 0), ev1(false, false, true, false, 2, false),
			   0x5000, 0);
		if (start == 0) {
			/* Nor is a block at level 0 (the 4K granule's 512G). */
			uint64_t va = 1ull << 39;

			st_st(&t, root + 8, pa | S1_RW | 1);
			CHECK(st_fault(&t, sid, false, 0, va, R, SIOMMU_SMMUV3_F_TRANSLATION));
			expect_rec(&t, ev0(0x10, sid, false, 0),
				   ev1(false, false, true, false, 2, false), va, 0);
		}
	}
	st_no_event(&t);
	st_fini(&t);
}

/* ---- stage-2 translation sweep ---------------------------------------------- */

/*
 * Every consistent (S2SL0, S2T0SZ) pair of the 4K granule with a 48-bit
 * OAS (Arm ARM D8.2.6: the start level resolves at least one bit and at
 * most 16 concatenated tables): the concatenated root, naturally aligned,
 * translates its lowest and highest page; the first IPA beyond faults
 * with the IPA recorded; every pair one step outside the range is an
 * ILLEGAL STE.
 */
static void test_s2_sweep(void)
{
	unsigned int sl0, sid = 0;
	struct st t;

	st_init(&t, NULL);
	for (sl0 = 0; sl0 <= 2; sl0++) {
		unsigned int start = 2 - sl0, span = level_span_bits(start), ia;
		unsigned int lo = span + 1 - 9, hi = span + 4;

		if (hi > 48)
			hi = 48;
		for (ia = lo - 1; ia <= hi + 1 && ia <= 49; ia++) {
			uint64_t w2 = STE2_T0SZ(64 - ia) | STE2_SL0(sl0) | STE2_PS(5) | STE2_AA64 |
				      STE2_S2R | STE2_AFFD | (0x100 + sid);
			uint64_t tables = ia > span ? 1ull << (ia - span) : 1;
			uint64_t root, top;

			sid++;
			if (ia < lo || ia > hi) {
				st_ste(&t, sid, STE_V | STE_CFG(6), 0, w2, st_table(&t));
				CHECK(st_fault(&t, sid, false, 0, 0, R, SIOMMU_SMMUV3_C_BAD_STE));
				expect_rec(&t, ev0(0x04, sid, false, 0), 0, 0, 0);
				continue;
			}
			root = st_alloc(&t, tables * 4096);
			top = (1ull << ia) - 0x1000;
			st_map(&t, root, start, ia, 0, 0x7000, 3, S2_RW, 0);
			st_map(&t, root, start, ia, top, 0x9000, 3, S2_RW, 0);
			st_ste(&t, sid, STE_V | STE_CFG(6), 0, w2, root);
			CHECK_EQ(st_xlate(&t, sid, false, 0, 0x10, R), 0x7010);
			CHECK_EQ(st_xlate(&t, sid, false, 0, top + 0x18, W), 0x9018);
			if (ia < 48) {
				CHECK(st_fault(&t, sid, false, 0, 1ull << ia, R,
					       SIOMMU_SMMUV3_F_TRANSLATION));
				expect_rec(&t, ev0(0x10, sid, false, 0),
					   ev1(false, false, true, true, 2, false), 1ull << ia,
					   1ull << ia);
			}
		}
	}
	st_no_event(&t);
	st_fini(&t);
}

/* S2SL0 0b10 (start at level 0) needs an OAS of 44 bits or more. */
static void test_s2_level0_needs_44_bits(void)
{
	struct siommu_smmuv3_cfg c = { .oas = 42 };
	struct st t;

	st_init(&t, &c);
	/* 40 bits from level 0: consistent by size, reserved under OAS 42. */
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, STE2_T0SZ(24) | STE2_SL0(2) | STE2_PS(3) |
	       STE2_AA64 | STE2_S2R, st_table(&t));
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_C_BAD_STE));
	expect_rec(&t, ev0(0x04, 1, false, 0), 0, 0, 0);
	/* The same size from level 1 (2 tables) is fine. */
	st_ste(&t, 2, STE_V | STE_CFG(6), 0, STE2_T0SZ(24) | STE2_SL0(1) | STE2_PS(3) |
	       STE2_AA64 | STE2_S2R, st_alloc(&t, 8192));
	CHECK(st_fault(&t, 2, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_fini(&t);

	c.oas = 44;
	st_init(&t, &c);
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, STE2_T0SZ(24) | STE2_SL0(2) | STE2_PS(4) |
	       STE2_AA64 | STE2_S2R, st_table(&t));
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_fini(&t);
}

/* ---- stage-1 descriptor permissions ------------------------------------------ */

/*
 * Leaf AP/UXN/PXN against CD.WXN, CD.UWXN and CD.PAN, for unprivileged
 * and privileged requesters (Arm ARM D8.4): what each is granted.
 */
static void test_s1_perm_vectors(void)
{
	static const struct {
		uint64_t leaf, cd;
		uint32_t user, priv;
	} v[] = {
		/* AP 00: privileged only; EL0 may still execute (execute-only). */
		{ PTE_AF, 0, X, R | W | X },
		{ PTE_AF | PTE_UXN, 0, 0, R | W | X },
		/* AP 01: RW at both; writable at EL0, so never privileged-executable. */
		{ PTE_AF | PTE_AP1, 0, R | W | X, R | W },
		/* AP 10 / 11: read-only. */
		{ PTE_AF | PTE_AP2, 0, X, R | X },
		{ PTE_AF | PTE_AP1 | PTE_AP2, 0, R | X, R | X },
		{ PTE_AF | PTE_AP1 | PTE_AP2 | PTE_PXN, 0, R | X, R },
		/* WXN: a writable page executes nowhere. */
		{ PTE_AF, CD0_WXN, X, R | W },
		{ PTE_AF | PTE_AP1, CD0_WXN, R | W, R | W },
		{ PTE_AF | PTE_AP1 | PTE_AP2, CD0_WXN, R | X, R | X },
		/* UWXN is AArch32's: nothing changes with AArch64 tables. */
		{ PTE_AF | PTE_AP1, CD0_UWXN, R | W | X, R | W },
		{ PTE_AF | PTE_AP1 | PTE_AP2, CD0_UWXN, R | X, R | X },
		/* PAN: no privileged data access to what EL0 may access. */
		{ PTE_AF | PTE_AP1, CD0_PAN, R | W | X, 0 },
		{ PTE_AF | PTE_AP1 | PTE_AP2, CD0_PAN, R | X, X },
		{ PTE_AF, CD0_PAN, X, R | W | X },
		{ PTE_AF | PTE_AP2, CD0_PAN, X, R | X },
	};
	const uint64_t pa = 0x0000100000000000ull;
	struct st t;
	unsigned int i;

	st_init(&t, NULL);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t root = st_table(&t), cd = st_table(&t);
		uint32_t sid = 0x40 + i, acc;
		bool priv;

		st_map(&t, root, 1, 39, 0x1000, pa, 3, v[i].leaf, 0);
		st_cd(&t, cd, (uint16_t)(0x40 + i), root, 25, v[i].cd);
		st_ste(&t, sid, STE_V | STE_CFG(5) | cd, 0, 0, 0);
		for (priv = false; ; priv = true) {
			uint32_t want = priv ? v[i].priv : v[i].user;

			for (acc = R; acc <= X; acc <<= 1) {
				struct siommu_smmuv3_req r = st_req(sid, false, 0, 0x1008, acc);
				struct siommu_smmuv3_xlate x;
				int ret;

				r.priv = priv;
				ret = siommu_smmuv3_translate(t.s, &r, &x);
				if (ret != ((want & acc) ? 0 : -EFAULT))
					fprintf(stderr, "vector %u priv %d access %u: %d\n", i,
						priv, acc, ret);
				CHECK_EQ(ret, (want & acc) ? 0 : -EFAULT);
				if (ret) {
					CHECK_EQ(x.event, SIOMMU_SMMUV3_F_PERMISSION);
					expect_rec(&t, ev0(0x13, sid, false, 0),
						   ev1(priv, acc == X, acc != W, false, 2, false),
						   0x1008, 0);
				} else {
					CHECK_EQ(x.addr, pa + 8);
					CHECK_EQ(x.perm, want);
				}
			}
			if (priv)
				break;
		}
	}
	st_no_event(&t);
	st_fini(&t);
}

int main(void)
{
	test_encode_words();
	test_event_has_access();
	test_config_event_words();
	test_walk_event_words();
	test_nested_af_update();
	test_nested_fault_order();
	test_cd_extremes();
	test_s1_sweep();
	test_s2_sweep();
	test_s2_level0_needs_44_bits();
	test_s1_perm_vectors();
	return 0;
}
