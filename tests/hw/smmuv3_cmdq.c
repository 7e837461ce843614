/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 command queue: the TLB and the configuration caches keep stale
 * entries until the right command, and each command removes what it
 * should and nothing it should not (ASID, VMID, address, range with RIL,
 * stage 2); CMD_SYNC completion by MSI and by CONS; illegal and
 * unreadable commands stop the queue with CMDQ_ERR until GERRORN
 * acknowledges it.
 */
#include "smmuv3_test.h"

#define POOL 0x100000000ull
#define A(i) (POOL + 0x100000 + (uint64_t)(i) * 4096)
#define B(i) (POOL + 0x200000 + (uint64_t)(i) * 4096)

static const uint32_t R = SIOMMU_SMMUV3_READ;

/* A stage-1 stream: one CD with @asid over @root, STE.S2VMID @vmid. */
static uint64_t s1_stream(struct st *t, uint32_t sid, uint16_t asid, uint16_t vmid,
			  uint64_t root)
{
	uint64_t cd = st_alloc(t, 4096);

	st_cd(t, cd, asid, root, 25, 0);
	st_ste(t, sid, STE_V | STE_CFG(5) | cd, 0, vmid, 0);
	return cd;
}

/* Tables mapping page i of 0x10000 + i * 4K to @base(i), for n pages;
 * leaf PAs in leaf[]. */
static uint64_t tables(struct st *t, unsigned int n, bool b, uint64_t *leaf)
{
	uint64_t root = st_table(t);
	unsigned int i;

	for (i = 0; i < n; i++)
		leaf[i] = st_map(t, root, 1, 39, 0x10000 + i * 4096ull, b ? B(i) : A(i), 3,
				 S1_RW, 0);
	return root;
}

static void repoint(struct st *t, const uint64_t *leaf, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		st_st(t, leaf[i], B(i) | S1_RW | 3);
}

static uint64_t va(unsigned int i)
{
	return 0x10000 + i * 4096ull;
}

static void test_tlbi_va_scope(void)
{
	uint64_t leaf1[8], leaf2[8], r1, r2;
	struct st t;

	st_init(&t, NULL);
	r1 = tables(&t, 8, false, leaf1);
	r2 = tables(&t, 8, false, leaf2);
	s1_stream(&t, 1, 1, 0, r1);
	s1_stream(&t, 2, 2, 0, r2);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(3), R), A(3));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(3), R), A(3));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(5), R), A(5));
	repoint(&t, leaf1, 8);
	repoint(&t, leaf2, 8);
	/* Stale until invalidated, as hardware may keep it. */
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(3), R), A(3));
	/* By VA and ASID: only ASID 1's entry goes. */
	st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(1), va(3));
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(3), R), B(3));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(3), R), A(3));
	/* By VA for all ASIDs. */
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(4), R), B(4));
	st_cmd_sync(&t, OP_TLBI_NH_VAA, va(3));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(3), R), B(3));
	/* By ASID. */
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(5), R), A(5));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(1), 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(5), R), A(5));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(2), 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(5), R), B(5));
	st_fini(&t);
}

static void test_tlbi_vmid_scope(void)
{
	uint64_t leaf1[4], leaf2[4], r1, r2;
	struct st t;

	st_init(&t, NULL);
	r1 = tables(&t, 4, false, leaf1);
	r2 = tables(&t, 4, false, leaf2);
	/* Same ASID, different VMIDs: different TLB entries. */
	s1_stream(&t, 1, 9, 1, r1);
	s1_stream(&t, 2, 9, 2, r2);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(0), R), A(0));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), A(0));
	repoint(&t, leaf1, 4);
	repoint(&t, leaf2, 4);
	st_cmd_sync(&t, OP_TLBI_NH_ALL | CMD_VMID(1), 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(0), R), B(0));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_VMID(1) | CMD_ASID(9), 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_S12_VMALL | CMD_VMID(2), 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), B(0));
	/* NSNH_ALL: everything. */
	st_st(&t, leaf1[1], A(1) | S1_RW | 3);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(1), R), A(1));
	st_st(&t, leaf1[1], B(1) | S1_RW | 3);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(1), R), A(1));
	st_cmd_sync(&t, OP_TLBI_NSNH_ALL, 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(1), R), B(1));
	st_fini(&t);
}

/* (NUM + 1) << SCALE granules of TG from VA, with RIL; one address
 * without. */
static void test_tlbi_range(void)
{
	struct siommu_smmuv3_cfg c = { .features = SIOMMU_SMMUV3_F_ALL & ~SIOMMU_SMMUV3_F_RIL };
	uint64_t leaf[16], root;
	unsigned int i, pass;

	for (pass = 0; pass < 2; pass++) {
		bool ril = pass == 0;
		struct st t;

		st_init(&t, ril ? NULL : &c);
		root = tables(&t, 16, false, leaf);
		s1_stream(&t, 1, 4, 0, root);
		for (i = 0; i < 16; i++)
			CHECK_EQ(st_xlate(&t, 1, false, 0, va(i), R), A(i));
		repoint(&t, leaf, 16);
		/* TG 4K, NUM 1, SCALE 2: 8 pages from page 4. */
		st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(4) | 1ull << 12 | 2ull << 20,
			    va(4) | 1ull << 10);
		for (i = 0; i < 16; i++) {
			bool gone = ril ? i >= 4 && i < 12 : i == 4;

			CHECK_EQ(st_xlate(&t, 1, false, 0, va(i), R), gone ? B(i) : A(i));
		}
		st_fini(&t);
	}
}

/* A block entry goes for any address inside it. */
static void test_tlbi_block(void)
{
	uint64_t root, leaf;
	struct st t;

	st_init(&t, NULL);
	root = st_table(&t);
	leaf = st_map(&t, root, 1, 39, 0x40000000, POOL + 0x400000, 2, S1_RW, 0);
	s1_stream(&t, 1, 1, 0, root);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40123456, R), POOL + 0x523456);
	st_st(&t, leaf, (POOL + 0x800000) | S1_RW | 1);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40000000, R), POOL + 0x400000);
	st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(1), 0x401ff000);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40000000, R), POOL + 0x800000);
	st_fini(&t);
}

static void test_tlbi_s2(void)
{
	uint64_t root, leaf[4], s1leaf[2];
	uint64_t w2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64;
	unsigned int i;
	struct st t;

	st_init(&t, NULL);
	root = st_table(&t);
	for (i = 0; i < 4; i++)
		leaf[i] = st_map(&t, root, 1, 39, va(i), A(i), 3, S2_RW, 0);
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, w2 | 3, root);
	st_ste(&t, 2, STE_V | STE_CFG(6), 0, w2 | 4, root);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(st_xlate(&t, 1, false, 0, va(i), R), A(i));
		CHECK_EQ(st_xlate(&t, 2, false, 0, va(i), R), A(i));
		st_st(&t, leaf[i], B(i) | S2_RW | 3);
	}
	/* Stage-1 invalidations leave stage-2 entries. */
	st_cmd_sync(&t, OP_TLBI_NH_ALL | CMD_VMID(3), 0);
	st_cmd_sync(&t, OP_TLBI_NH_VAA | CMD_VMID(3), va(0));
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(0), R), A(0));
	/* A stage-1 stream of VMID 3, with a stale entry at the same address. */
	s1_stream(&t, 3, 1, 3, tables(&t, 2, false, s1leaf));
	CHECK_EQ(st_xlate(&t, 3, false, 0, va(1), R), A(1));
	repoint(&t, s1leaf, 2);
	st_cmd_sync(&t, OP_TLBI_S2_IPA | CMD_VMID(3), va(1));
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(0), R), A(0));
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(1), R), B(1));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(1), R), A(1));
	CHECK_EQ(st_xlate(&t, 3, false, 0, va(1), R), A(1));	/* stage 1: kept */
	/* Range: 2 pages from page 2. */
	st_cmd_sync(&t, OP_TLBI_S2_IPA | CMD_VMID(4) | 1ull << 12, va(2) | 1ull << 10);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(1), R), A(1));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(2), R), B(2));
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(3), R), B(3));
	st_cmd_sync(&t, OP_TLBI_S12_VMALL | CMD_VMID(3), 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(0), R), B(0));
	CHECK_EQ(st_xlate(&t, 3, false, 0, va(1), R), B(1));
	/* NSNH_ALL takes stage-2 entries too. */
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_NSNH_ALL, 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), B(0));
	st_fini(&t);
}

/* With 8-bit VMIDs and ASIDs (IDR0.VMID16 and ASID16 clear), bits 15:8 of
 * the STE, CD and command fields are ignored. */
static void test_narrow_tags(void)
{
	struct siommu_smmuv3_cfg c = { .asid_bits = 8, .vmid_bits = 8 };
	uint64_t w2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64;
	uint64_t ra, rb, leaf[2];
	struct st t;

	st_init(&t, &c);
	ra = st_table(&t);
	rb = st_table(&t);
	leaf[0] = st_map(&t, ra, 1, 39, va(0), A(0), 3, S2_RW, 0);
	leaf[1] = st_map(&t, rb, 1, 39, va(0), B(0), 3, S2_RW, 0);
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, w2 | 0x101, ra);
	st_ste(&t, 2, STE_V | STE_CFG(6), 0, w2 | 0x001, rb);
	CHECK_EQ(st_xlate(&t, 1, false, 0, va(0), R), A(0));
	/* The same VMID: stream 2 hits stream 1's entry. */
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_S12_VMALL | CMD_VMID(0x201), 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, va(0), R), B(0));
	/* ASIDs alike. */
	s1_stream(&t, 3, 0x105, 0, tables(&t, 1, false, leaf));
	s1_stream(&t, 4, 0x005, 0, tables(&t, 1, true, leaf));
	CHECK_EQ(st_xlate(&t, 3, false, 0, va(0), R), A(0));
	CHECK_EQ(st_xlate(&t, 4, false, 0, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(0x305), 0);
	CHECK_EQ(st_xlate(&t, 4, false, 0, va(0), R), B(0));
	st_fini(&t);
}

/* TLB entries are tagged by ASID, not by stream or substream. */
static void test_asid_shared(void)
{
	uint64_t tbl, leaf[2];
	struct st t;

	st_init(&t, NULL);
	tbl = st_alloc(&t, 4096);
	st_cd(&t, tbl + 64, 7, tables(&t, 1, false, &leaf[0]), 25, 0);
	st_cd(&t, tbl + 128, 7, tables(&t, 1, true, &leaf[1]), 25, 0);
	st_ste(&t, 1, STE_V | STE_CFG(5) | STE_CDMAX(2) | tbl, 0, 0, 0);
	CHECK_EQ(st_xlate(&t, 1, true, 1, va(0), R), A(0));
	CHECK_EQ(st_xlate(&t, 1, true, 2, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(7), 0);
	CHECK_EQ(st_xlate(&t, 1, true, 2, va(0), R), B(0));
	CHECK_EQ(st_xlate(&t, 1, true, 1, va(0), R), B(0));
	st_fini(&t);
}

static void test_cfgi(void)
{
	uint64_t leafa[1], leafb[1], ra, rb, cd;
	unsigned int sid;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, 1, false, leafa);
	rb = tables(&t, 1, true, leafb);
	/* STEs stay cached until CFGI_STE. */
	for (sid = 0; sid < 8; sid++) {
		st_ste(&t, sid, STE_V | STE_CFG(4), 0, 0, 0);
		CHECK_EQ(st_xlate(&t, sid, false, 0, 0x1000, R), 0x1000);
		st_ste(&t, sid, STE_V | STE_CFG(0), 0, 0, 0);
	}
	CHECK_EQ(st_xlate(&t, 0, false, 0, 0x1000, R), 0x1000);
	st_cmd_sync(&t, OP_CFGI_STE | CMD_SID(0), 1);
	CHECK(!st_fault(&t, 0, false, 0, 0x1000, R, SIOMMU_SMMUV3_EVT_NONE));
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x1000, R), 0x1000);
	/* Range 1: 4 STEs, aligned: 4-7 go, 1-3 stay. */
	st_cmd_sync(&t, OP_CFGI_STE_RANGE | CMD_SID(5), 1);
	CHECK_EQ(st_xlate(&t, 3, false, 0, 0x1000, R), 0x1000);
	for (sid = 4; sid < 8; sid++)
		CHECK(!st_fault(&t, sid, false, 0, 0x1000, R, SIOMMU_SMMUV3_EVT_NONE));
	/* CFGI_ALL. */
	st_cmd_sync(&t, OP_CFGI_STE_RANGE, 31);
	CHECK(!st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_EVT_NONE));

	/* CDs stay cached until CFGI_CD; CFGI does not touch the TLB. */
	cd = s1_stream(&t, 10, 3, 0, ra);
	CHECK_EQ(st_xlate(&t, 10, false, 0, va(0), R), A(0));
	st_cd(&t, cd, 4, rb, 25, 0);
	CHECK_EQ(st_xlate(&t, 10, false, 0, va(0), R), A(0));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(3), 0);
	CHECK_EQ(st_xlate(&t, 10, false, 0, va(0), R), A(0));	/* CD 3 still cached */
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(10), 1);
	CHECK_EQ(st_xlate(&t, 10, false, 0, va(0), R), B(0));
	/* CFGI_CD_ALL and CFGI_STE reach the CD too. */
	st_cd(&t, cd, 3, ra, 25, 0);
	st_cmd_sync(&t, OP_CFGI_CD_ALL | CMD_SID(10), 0);
	CHECK_EQ(st_xlate(&t, 10, false, 0, va(0), R), A(0));
	st_cd(&t, cd, 4, rb, 25, 0);
	st_cmd_sync(&t, OP_CFGI_STE | CMD_SID(10), 0);
	CHECK_EQ(st_xlate(&t, 10, false, 0, va(0), R), B(0));
	/* CFGI_CD of one stream leaves another's CD 0. */
	cd = s1_stream(&t, 12, 31, 0, ra);
	CHECK_EQ(st_xlate(&t, 12, false, 0, va(0), R), A(0));
	st_cd(&t, cd, 32, rb, 25, 0);
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(13), 1);
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(31), 0);
	CHECK_EQ(st_xlate(&t, 12, false, 0, va(0), R), A(0));
	/* CFGI_CD takes one substream's CD, CFGI_CD_ALL all of them. */
	{
		uint64_t tbl = st_alloc(&t, 4096);

		st_cd(&t, tbl + 64, 21, ra, 25, 0);
		st_cd(&t, tbl + 128, 22, ra, 25, 0);
		st_ste(&t, 11, STE_V | STE_CFG(5) | STE_CDMAX(2) | tbl, 0, 0, 0);
		CHECK_EQ(st_xlate(&t, 11, true, 1, va(0), R), A(0));
		CHECK_EQ(st_xlate(&t, 11, true, 2, va(0), R), A(0));
		st_cd(&t, tbl + 64, 23, rb, 25, 0);
		st_cd(&t, tbl + 128, 24, rb, 25, 0);
		st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(11) | CMD_SSID(1), 1);
		CHECK_EQ(st_xlate(&t, 11, true, 1, va(0), R), B(0));
		CHECK_EQ(st_xlate(&t, 11, true, 2, va(0), R), A(0));
		st_cmd_sync(&t, OP_CFGI_CD_ALL | CMD_SID(11), 0);
		CHECK_EQ(st_xlate(&t, 11, true, 2, va(0), R), B(0));
	}
	/* Prefetches are accepted. */
	st_cmd_sync(&t, OP_PREFETCH_CONFIG | CMD_SID(10), 0);
	st_cmd_sync(&t, OP_PREFETCH_ADDR | CMD_SID(10), 0x10000);
	st_fini(&t);
}

/* A command the unit cannot run: the queue stops there with CONS.ERR,
 * CMDQ_ERR goes active with its MSI; GERRORN resumes at CONS. */
static void expect_stop(struct st *t, uint64_t d0, uint64_t d1, unsigned int err)
{
	uint32_t cons0 = (uint32_t)st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4), cons;
	uint32_t ge = (uint32_t)st_rd(t, SIOMMU_SMMUV3_GERROR, 4);
	unsigned int msi = t->msi[SIOMMU_SMMUV3_IRQ_SRC_GERROR];
	uint64_t sync[2];

	st_cmd(t, d0, d1);
	st_cmd(t, OP_TLBI_NSNH_ALL, 0);
	cons = (uint32_t)st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4);
	CHECK_EQ(cons & 0x1ff, cons0 & 0x1ff);
	CHECK_EQ(SIOMMU_SMMUV3_CMDQ_ERR(cons), err);
	CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_GERROR, 4) ^ ge, SIOMMU_SMMUV3_GERROR_CMDQ_ERR);
	CHECK_EQ(t->msi[SIOMMU_SMMUV3_IRQ_SRC_GERROR], msi + 1);
	CHECK_EQ(t->msi_addr, 0x2000);
	CHECK_EQ(t->msi_data, 0x77);
	/* More commands wait behind it. */
	st_cmd(t, OP_TLBI_NSNH_ALL, 0);
	CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4) & 0x1ff, cons0 & 0x1ff);
	/* Software replaces it with a CMD_SYNC: nothing runs until it
	 * acknowledges the error. */
	sync[0] = OP_SYNC;
	sync[1] = 0;
	CHECK_OK(siommu_mem_write(t->mem, t->cmdq + (cons0 & 0xff) * 16ull, sync, 16));
	st_cmd(t, OP_TLBI_NSNH_ALL, 0);
	CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4) & 0x1ff, cons0 & 0x1ff);
	st_wr(t, SIOMMU_SMMUV3_GERRORN, 4, (uint32_t)st_rd(t, SIOMMU_SMMUV3_GERROR, 4));
	CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4) & 0x1ff,
		 st_rd(t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
	st_sync(t);
}

static void test_errors(void)
{
	struct siommu_smmuv3_cfg s1only = { .features = SIOMMU_SMMUV3_F_S1 };
	struct siommu_smmuv3_cfg s2only = { .features = SIOMMU_SMMUV3_F_S2 };
	struct st t;

	st_init(&t, NULL);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8, 0x2000);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG1, 4, 0x77);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	expect_stop(&t, 0x7f, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_TLBI_EL2_ALL, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_SYNC | 3ull << 12, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_PRI_RESP | 3ull << 12, 3ull << 12, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_RESUME | 3ull << 12, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_CFGI_STE | 1ull << 10, 0, SIOMMU_SMMUV3_CERROR_ILL);	/* SSec */
	/* An unreadable command: CERROR_ABT. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_CMDQEN);
	st_wr(&t, SIOMMU_SMMUV3_CMDQ_BASE, 8, 0x10000 | 8);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	st_wr(&t, SIOMMU_SMMUV3_CMDQ_PROD, 4, (uint32_t)st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4) + 1);
	CHECK_EQ(SIOMMU_SMMUV3_CMDQ_ERR(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4)),
		 SIOMMU_SMMUV3_CERROR_ABT);
	st_fini(&t);

	/* Commands for a stage the unit lacks. */
	st_init(&t, &s1only);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8, 0x2000);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG1, 4, 0x77);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	expect_stop(&t, OP_TLBI_S2_IPA, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_TLBI_S12_VMALL, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_ATC_INV, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_STALL_TERM, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_RESUME | 1ull << 12, 0, SIOMMU_SMMUV3_CERROR_ILL);
	/* Acknowledged while CMDQEN is clear: nothing runs until enabled. */
	st_cmd(&t, 0x7f, 0);
	{
		uint32_t cons = (uint32_t)st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4);
		uint64_t sync[2] = { OP_SYNC, 0 };

		CHECK_EQ(SIOMMU_SMMUV3_CMDQ_ERR(cons), SIOMMU_SMMUV3_CERROR_ILL);
		CHECK_OK(siommu_mem_write(t.mem, t.cmdq + (cons & 0xff) * 16ull, sync, 16));
		st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_CMDQEN);
		st_wr(&t, SIOMMU_SMMUV3_GERRORN, 4,
		      (uint32_t)st_rd(&t, SIOMMU_SMMUV3_GERROR, 4));
		CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4), cons);
		st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
		CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4) & 0x1ff,
			 st_rd(&t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
	}
	st_fini(&t);
	st_init(&t, &s2only);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8, 0x2000);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG1, 4, 0x77);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	expect_stop(&t, OP_TLBI_NH_ASID, 0, SIOMMU_SMMUV3_CERROR_ILL);
	expect_stop(&t, OP_TLBI_NH_VA, 0, SIOMMU_SMMUV3_CERROR_ILL);
	st_cmd_sync(&t, OP_TLBI_S12_VMALL, 0);
	st_fini(&t);
}

static void test_sync(void)
{
	struct st t;
	uint32_t prod;

	st_init(&t, NULL);
	/* CS 0: completion is CONS passing it, no MSI. */
	st_cmd(&t, OP_SYNC, 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4), st_rd(&t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_SYNC], 0);
	/* CS 1 with MSIAddr 0: no MSI at all (SMMUv3 3.18.2), completion
	 * by CONS alone; bits 1:0 of MSIAddr are not part of the address. */
	st_cmd(&t, OP_SYNC | 1ull << 12 | 0x55ull << 32, 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4), st_rd(&t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
	st_cmd(&t, OP_SYNC | 1ull << 12 | 0x56ull << 32, 3);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4), st_rd(&t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_SYNC], 0);
	/* MSIAddr outside RAM: the interrupt, without a memory write. */
	st_cmd(&t, OP_SYNC | 1ull << 12 | 0x57ull << 32, ST_DOORBELL);
	CHECK_EQ(t.msi[SIOMMU_SMMUV3_IRQ_SRC_SYNC], 1);
	CHECK_EQ(t.msi_addr, ST_DOORBELL);
	CHECK_EQ(t.msi_data, 0x57);
	st_sync(&t);
	CHECK_EQ(t.msi_addr, t.sync);
	/* PROD moved while the queue is disabled: consumed on enable. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_CMDQEN);
	for (unsigned int i = 0; i < 200; i++)
		st_cmd(&t, OP_TLBI_NSNH_ALL, 0);
	prod = (uint32_t)st_rd(&t, SIOMMU_SMMUV3_CMDQ_PROD, 4);
	CHECK(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4) != prod);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4), prod);
	/* Around the wrap, twice. */
	for (unsigned int i = 0; i < 600; i++)
		st_cmd(&t, OP_CFGI_STE | CMD_SID(i), 0);
	st_sync(&t);
	st_fini(&t);
}

/*
 * CMD_TLBI_NH_VA against an independent rule, over stage-1 and nested
 * streams of two ASIDs and two VMIDs, 4K pages and a 2M block, ranges
 * of one page, of a few and of more than a few (RIL): an entry goes if
 * and only if its ASID and VMID are the command's and its span meets the
 * command's range. Every entry is made (a walk) and its table entry
 * changed before each command, so a kept one answers the old address.
 */
#define OR_PAGES 24
#define OR_BLOCK 0x40000000ull

struct or_stream {
	uint32_t sid;
	uint16_t asid, vmid;
	bool nested;
	uint64_t leaf[OR_PAGES], block;
};

struct or_cmd {
	uint16_t asid, vmid;
	uint64_t addr;
	unsigned int num, scale;	/* with RIL: (num + 1) << scale pages */
	bool range;
};

static uint64_t or_out(unsigned int i, bool b)
{
	return b ? B(i) : A(i);
}

static void or_map(struct st *t, struct or_stream *o, bool b)
{
	unsigned int i;

	for (i = 0; i < OR_PAGES; i++)
		st_st(t, o->leaf[i], or_out(i, b) | S1_RW | 3);
	st_st(t, o->block, (POOL + (b ? 0x800000 : 0x400000)) | S1_RW | 1);
}

static void test_tlbi_va_rule(void)
{
	/* Stage 2 for the nested stream: the identity over the pool, 1G
	 * blocks from lookup level 1 (39-bit IPA). */
	uint64_t w2 = STE2_T0SZ(25) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2R;
	struct or_stream os[] = {
		{ .sid = 1, .asid = 1, .vmid = 1 }, { .sid = 2, .asid = 1, .vmid = 2 },
		{ .sid = 3, .asid = 2, .vmid = 1 }, { .sid = 4, .asid = 1, .vmid = 1, .nested = true },
	};
	const struct or_cmd cmds[] = {
		{ 1, 1, 0x10000 + 3 * 4096ull, 0, 0, false },
		{ 1, 1, 0x10000 + 8 * 4096ull, 1, 2, true },	/* 8 pages */
		{ 1, 1, 0x10000 + 2 * 4096ull, 19, 0, true },	/* 20 pages */
		{ 2, 1, OR_BLOCK + 0x123000, 0, 0, false },
		{ 1, 2, OR_BLOCK + 0x1ff000, 0, 0, false },
		{ 1, 1, OR_BLOCK - 0x2000, 3, 0, true },	/* 4 pages into the block */
	};
	uint64_t s2root, cd, root;
	unsigned int c, k, i, g;
	struct st t;

	st_init(&t, NULL);
	s2root = st_table(&t);
	for (g = 0; g < 8; g++)
		st_map(&t, s2root, 1, 39, POOL + ((uint64_t)g << 30), POOL + ((uint64_t)g << 30),
		       1, S2_RW, 0);
	for (k = 0; k < 4; k++) {
		root = st_table(&t);
		for (i = 0; i < OR_PAGES; i++)
			os[k].leaf[i] = st_map(&t, root, 1, 39, va(i), A(i), 3, S1_RW, 0);
		os[k].block = st_map(&t, root, 1, 39, OR_BLOCK, POOL + 0x400000, 2, S1_RW, 0);
		cd = st_alloc(&t, 4096);
		st_cd(&t, cd, os[k].asid, root, 25, 0);
		st_ste(&t, os[k].sid, STE_V | STE_CFG(os[k].nested ? 7 : 5) | cd, 0,
		       (os[k].nested ? w2 : 0) | os[k].vmid, os[k].nested ? s2root : 0);
	}
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		const struct or_cmd *m = &cmds[c];
		uint64_t first = m->addr, last = m->addr + 4095;

		if (m->range)
			last = m->addr + ((uint64_t)(m->num + 1) << (m->scale + 12)) - 1;
		for (k = 0; k < 4; k++) {
			for (i = 0; i < OR_PAGES; i++)
				CHECK_EQ(st_xlate(&t, os[k].sid, false, 0, va(i), R), A(i));
			CHECK_EQ(st_xlate(&t, os[k].sid, false, 0, OR_BLOCK + 0x5000, R),
				 POOL + 0x405000);
			or_map(&t, &os[k], true);
		}
		st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(m->asid) | CMD_VMID(m->vmid) |
			    (uint64_t)m->num << 12 | (uint64_t)m->scale << 20,
			    m->addr | (m->range ? 1ull << 10 : 0));
		for (k = 0; k < 4; k++) {
			bool tags = os[k].asid == m->asid && os[k].vmid == m->vmid;

			for (i = 0; i < OR_PAGES; i++) {
				bool gone = tags && va(i) <= last && va(i) + 4095 >= first;

				CHECK_EQ(st_xlate(&t, os[k].sid, false, 0, va(i), R),
					 or_out(i, gone));
			}
			CHECK_EQ(st_xlate(&t, os[k].sid, false, 0, OR_BLOCK + 0x5000, R),
				 POOL + 0x5000 +
				 (tags && OR_BLOCK <= last && OR_BLOCK + 0x1fffff >= first ?
				  0x800000 : 0x400000));
		}
		for (k = 0; k < 4; k++)
			or_map(&t, &os[k], false);
		st_cmd_sync(&t, OP_TLBI_NSNH_ALL, 0);
	}
	st_fini(&t);
}

int main(void)
{
	test_tlbi_va_rule();
	test_tlbi_va_scope();
	test_tlbi_vmid_scope();
	test_tlbi_range();
	test_tlbi_block();
	test_tlbi_s2();
	test_asid_shared();
	test_narrow_tags();
	test_cfgi();
	test_errors();
	test_sync();
	return 0;
}
