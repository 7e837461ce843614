/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 walks against hand-built VMSAv8-64 tables (4K granule): stage 1
 * with 3 and 4 levels, blocks, TTB1 and TBI; stage 2 with concatenated
 * start tables; nested, with every stage-1 table access translated
 * through stage 2. Faults: translation, access flag (and the hardware AF
 * update), permission, address size, external abort, each with the event
 * fields the specification gives (CLASS, S2, IPA, fetch address).
 */
#include "smmuv3_test.h"

#define GB (1ull << 30)
#define POOL (4 * GB)
#define HOLE 0x10000ull

static const uint32_t R = SIOMMU_SMMUV3_READ, W = SIOMMU_SMMUV3_WRITE,
		      X = SIOMMU_SMMUV3_EXEC;

static uint64_t page(struct st *t)
{
	return st_alloc(t, 4096);
}

/* STE for stage 1 with one CD at @cd. */
static void ste_s1(struct st *t, uint32_t sid, uint64_t cd)
{
	st_ste(t, sid, STE_V | STE_CFG(5) | cd, 0, 0, 0);
}

static void expect_ev(struct st *t, uint8_t id, uint32_t sid, uint64_t iova,
		      bool s2, unsigned int class, uint64_t rec3)
{
	uint64_t rec[4];

	st_expect_event(t, id, sid, rec);
	CHECK_EQ(rec[2], iova);
	CHECK_EQ(!!(rec[1] & (1ull << 39)), s2);
	CHECK_EQ((rec[1] >> 40) & 3, class);
	CHECK_EQ(rec[3], rec3);
}

static void test_s1_levels_and_blocks(void)
{
	struct siommu_smmuv3_stats st0, st1;
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t root4, root3, cd;
	struct st t;

	st_init(&t, NULL);
	/* 48-bit space: four levels from level 0. */
	root4 = st_table(&t);
	st_map(&t, root4, 0, 48, 0x7f1234567000ull, POOL + 0x5000, 3, S1_RW, 0);
	st_map(&t, root4, 0, 48, 0x7f0000200000ull, POOL + 0x400000, 2, S1_RW, 0);
	st_map(&t, root4, 0, 48, 0x400000000ull, 2 * GB, 1, S1_RW, 0);
	cd = page(&t);
	st_cd(&t, cd, 1, root4, 16, 0);
	ste_s1(&t, 1, cd);
	r = st_req(1, false, 0, 0x7f1234567abcull, R | W);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, POOL + 0x5abc);
	CHECK_EQ(x.size, 4096);
	CHECK_EQ(x.iova_base, 0x7f1234567000ull);
	CHECK_EQ(x.perm, R | W | X);
	r.iova = 0x7f00002abcdeull;
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, POOL + 0x4abcde);
	CHECK_EQ(x.size, 2ull << 20);
	r.iova = 0x412345678ull;
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, 2 * GB + 0x12345678);
	CHECK_EQ(x.size, GB);
	/* Hits come back the same, and are counted as such. */
	siommu_smmuv3_get_stats(t.s, &st0);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, 2 * GB + 0x12345678);
	siommu_smmuv3_get_stats(t.s, &st1);
	CHECK_EQ(st1.tlb_hit, st0.tlb_hit + 1);
	CHECK_EQ(st1.tlb_miss, st0.tlb_miss);
	CHECK_EQ(st1.walks, st0.walks);
	CHECK_EQ(st1.ste_hit, st0.ste_hit + 1);
	CHECK_EQ(st1.cd_hit, st0.cd_hit + 1);
	CHECK_EQ(st0.walks, 3);
	CHECK_EQ(st0.tlb_miss, 3);
	CHECK_EQ(st0.ste_miss, 1);
	CHECK_EQ(st0.cd_miss, 1);
	/* Beyond the 48-bit input range. */
	CHECK(st_fault(&t, 1, false, 0, 1ull << 48, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, 1ull << 48, false, 2, 0);

	/* 39-bit space: three levels from level 1. */
	root3 = st_table(&t);
	st_map(&t, root3, 1, 39, 0x7fffe000ull, POOL + 0x9000, 3, S1_RW, 0);
	cd = page(&t);
	st_cd(&t, cd, 2, root3, 25, 0);
	ste_s1(&t, 2, cd);
	CHECK_EQ(st_xlate(&t, 2, false, 0, 0x7fffe010ull, R), POOL + 0x9010);
	CHECK(st_fault(&t, 2, false, 0, 1ull << 39, R, SIOMMU_SMMUV3_F_TRANSLATION));
	CHECK(st_fault(&t, 2, false, 0, 0x7fffd000ull, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 2, 1ull << 39, false, 2, 0);
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 2, 0x7fffd000ull, false, 2, 0);
	/* Block at level 3 and at level 0 are invalid descriptors. */
	st_st(&t, st_map(&t, root3, 1, 39, 0x1000, POOL, 3, S1_RW, 0), POOL | S1_RW | 1);
	CHECK(st_fault(&t, 2, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_st(&t, root4 + 8 * 100, POOL | S1_RW | 1);
	CHECK(st_fault(&t, 1, false, 0, 100ull << 39, R, SIOMMU_SMMUV3_F_TRANSLATION));
	/* SMMUEN clear: GBPA's bypass, whatever the caches hold. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x412345678ull, R), 0x412345678ull);
	st_fini(&t);
}

/* Rewrite CD @cd of StreamID 1 (ASID 3) to @w, made visible: CFGI_CD, and
 * the TLB entries cached under it invalidated. */
static void cd_rewrite(struct st *t, uint64_t cd, const uint64_t w[8])
{
	CHECK_OK(siommu_mem_write(t->mem, cd, w, 64));
	st_cmd_sync(t, OP_CFGI_CD | CMD_SID(1), 0);
	st_cmd_sync(t, OP_TLBI_NH_ASID | CMD_ASID(3), 0);
}

static void test_s1_ttb1_tbi(void)
{
	uint64_t cd, root0, root1, w[8] = { 0 };
	struct st t;

	st_init(&t, NULL);
	root0 = st_s1_root(&t, 0x10000, POOL + 0x1000);
	root1 = st_table(&t);
	st_map(&t, root1, 1, 39, 0xffffffff80001000ull, POOL + 0x2000, 3, S1_RW, 0);
	cd = page(&t);
	/* TTB0 and TTB1 both live, 39 bits each, TG1 = 2 (4K). */
	w[0] = CD0_T0SZ(25) | (25ull << 16) | (2ull << 22) | CD0_V | CD0_IPS(5) |
	       CD0_AA64 | CD0_R | CD0_A | CD0_ASID(3) | CD0_TBI0;
	w[1] = root0;
	w[2] = root1;
	CHECK_OK(siommu_mem_write(t.mem, cd, w, 64));
	ste_s1(&t, 1, cd);
	/* TBI0: the top byte of a TTB0 address is ignored, by the walk and
	 * on a hit. */
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x5a00000000010008ull, R), POOL + 0x1008);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x10008, R), POOL + 0x1008);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0xffffffff80001008ull, R), POOL + 0x2008);
	/* Not for TTB1 (TBI1 clear): a non-canonical top byte faults. */
	CHECK(st_fault(&t, 1, false, 0, 0x5affffff80001008ull, R,
		       SIOMMU_SMMUV3_F_TRANSLATION));
	/* Between the two ranges. */
	CHECK(st_fault(&t, 1, false, 0, 0x0000ff8000000000ull, R,
		       SIOMMU_SMMUV3_F_TRANSLATION));
	/* A tagged address hits the entry of its untagged one: stale after
	 * a change, until invalidated. */
	st_map(&t, root0, 1, 39, 0x10000, POOL + 0x3000, 3, S1_RW, 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x7700000000010008ull, R), POOL + 0x1008);
	st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(3), 0x10000);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x7700000000010008ull, R), POOL + 0x3008);
	/* With TBI1, VA[55] alone selects TTB1, whatever the top byte. */
	w[0] |= 1ull << 39;
	cd_rewrite(&t, cd, w);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x00ffffff80001008ull, R), POOL + 0x2008);
	/* EPD1: TTB1 misses fault without a walk. */
	w[0] |= CD0_EPD1;
	cd_rewrite(&t, cd, w);
	CHECK(st_fault(&t, 1, false, 0, 0xffffffff80001008ull, R,
		       SIOMMU_SMMUV3_F_TRANSLATION));
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x10008, R), POOL + 0x3008);
	/* A disabled half's T1SZ is not read (0 here: a 64-bit input no
	 * walk could have), nor T0SZ once EPD0 disables TTB0 too. */
	w[0] &= ~(0x3full << 16);
	cd_rewrite(&t, cd, w);
	CHECK(st_fault(&t, 1, false, 0, 0xffffffff80001008ull, R,
		       SIOMMU_SMMUV3_F_TRANSLATION));
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x10008, R), POOL + 0x3008);
	w[0] = (w[0] & ~0x3full) | CD0_EPD0;
	cd_rewrite(&t, cd, w);
	CHECK(st_fault(&t, 1, false, 0, 0x10008, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_fini(&t);
}

static void test_s1_access_flag(void)
{
	uint64_t cd, root, leaf, rec[4];
	struct st t;

	st_init(&t, NULL);
	root = st_table(&t);
	leaf = st_map(&t, root, 1, 39, 0x3000, POOL + 0x3000, 3, PTE_AP1, 0);
	cd = page(&t);
	st_cd(&t, cd, 1, root, 25, 0);
	ste_s1(&t, 1, cd);
	CHECK(st_fault(&t, 1, false, 0, 0x3000, R, SIOMMU_SMMUV3_F_ACCESS));
	expect_ev(&t, SIOMMU_SMMUV3_F_ACCESS, 1, 0x3000, false, 2, 0);
	/* AFFD: no fault, AF left alone. */
	st_cd(&t, cd, 1, root, 25, CD0_AFFD);
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(1), 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x3000, R), POOL + 0x3000);
	CHECK_EQ(st_ld(&t, leaf) & PTE_AF, 0);
	/* HA: the unit sets AF. */
	st_cd(&t, cd, 2, root, 25, CD0_HA);
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(1), 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x3000, R), POOL + 0x3000);
	CHECK(st_ld(&t, leaf) & PTE_AF);
	/* CD.R clear: the fault is not recorded. */
	st_st(&t, leaf, st_ld(&t, leaf) & ~PTE_AF);
	st_cd(&t, cd, 3, root, 25, 0);
	CHECK_OK(siommu_mem_write(t.mem, cd, (uint64_t[]){ CD0_T0SZ(25) | CD0_EPD1 | CD0_V |
			CD0_IPS(5) | CD0_AA64 | CD0_ASID(3) }, 8));
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(1), 0);
	CHECK(!st_fault(&t, 1, false, 0, 0x3000, R, SIOMMU_SMMUV3_F_ACCESS));
	CHECK(!st_event(&t, rec));
	st_fini(&t);
}

static void test_s1_permissions(void)
{
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t cd, root;
	struct st t;

	st_init(&t, NULL);
	root = st_table(&t);
	st_map(&t, root, 1, 39, 0x1000, POOL + 0x1000, 3, S1_RO, 0);
	st_map(&t, root, 1, 39, 0x2000, POOL + 0x2000, 3, PTE_AF, 0);	/* privileged only */
	st_map(&t, root, 1, 39, 0x3000, POOL + 0x3000, 3, S1_RW | PTE_UXN, 0);
	st_map(&t, root, 1, 39, 0x4000, POOL + 0x4000, 3, PTE_AF | PTE_PXN, 0);
	st_map(&t, root, 1, 39, 0x5000, POOL + 0x5000, 3, S1_RW, 0);	/* EL0-writable */
	/* A table with APTable[1] (no write below). */
	st_map(&t, root, 1, 39, 0x40000000, POOL + 0x6000, 3, S1_RW, 0);
	st_st(&t, root + 8, st_ld(&t, root + 8) | (1ull << 62));
	cd = page(&t);
	st_cd(&t, cd, 1, root, 25, 0);
	ste_s1(&t, 1, cd);

	r = st_req(1, false, 0, 0x1000, R);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.perm, R | X);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, W, SIOMMU_SMMUV3_F_PERMISSION));
	expect_ev(&t, SIOMMU_SMMUV3_F_PERMISSION, 1, 0x1000, false, 2, 0);
	/* Unprivileged access to a privileged page; privileged works. */
	CHECK(st_fault(&t, 1, false, 0, 0x2000, R, SIOMMU_SMMUV3_F_PERMISSION));
	r = st_req(1, false, 0, 0x2000, R | W | X);
	r.priv = true;
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.perm, R | W | X);
	/* UXN and PXN. */
	CHECK(st_fault(&t, 1, false, 0, 0x3000, R | X, SIOMMU_SMMUV3_F_PERMISSION));
	r.iova = 0x3000;
	r.access = R | W;
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	r.iova = 0x4000;
	r.access = X;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_PERMISSION);
	/* Writable at EL0: never privileged-executable. */
	r.iova = 0x5000;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x5000, X), POOL + 0x5000);
	/* APTable[1] makes the pages below read-only... */
	CHECK(st_fault(&t, 1, false, 0, 0x40000000, W, SIOMMU_SMMUV3_F_PERMISSION));
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40000000, R), POOL + 0x6000);
	/* ...unless hierarchical attributes are disabled (HAD0). */
	st_st(&t, cd + 8, root | 2);
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(1), 0);
	st_cmd_sync(&t, OP_TLBI_NH_ALL, 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40000000, W), POOL + 0x6000);
	st_fini(&t);
}

/* CD.IPS above IDR5.OAS means the OAS. */
static void test_ips_capped(void)
{
	struct siommu_smmuv3_cfg c = { .oas = 40 };
	uint64_t cd, root;
	struct st t;

	st_init(&t, &c);
	root = st_table(&t);
	st_map(&t, root, 1, 39, 0x1000, POOL + 0x1000, 3, S1_RW, 0);
	st_map(&t, root, 1, 39, 0x2000, 1ull << 40, 3, S1_RW, 0);
	cd = page(&t);
	st_cd(&t, cd, 1, root, 25, 0);	/* IPS 48 bits */
	ste_s1(&t, 1, cd);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x1000, R), POOL + 0x1000);
	CHECK(st_fault(&t, 1, false, 0, 0x2000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	st_fini(&t);
}

static void test_s1_addr_size_and_eabt(void)
{
	uint64_t cd, root, leaf;
	struct st t;

	st_init(&t, NULL);
	root = st_table(&t);
	leaf = st_map(&t, root, 1, 39, 0x1000, POOL + 0x1000, 3, S1_RW, 0);
	cd = page(&t);
	/* IPS 32 bits: the output (and the tables) sit above 4G. */
	st_cd(&t, cd, 1, root, 25, 0);
	st_st(&t, cd, (st_ld(&t, cd) & ~CD0_IPS(7)) | CD0_IPS(0));
	ste_s1(&t, 1, cd);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	expect_ev(&t, SIOMMU_SMMUV3_F_ADDR_SIZE, 1, 0x1000, false, 1, 0);	/* TTB0: CLASS TT */
	/* Before any descriptor is read (this one is empty). */
	CHECK(st_fault(&t, 1, false, 0, 0x40000000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	expect_ev(&t, SIOMMU_SMMUV3_F_ADDR_SIZE, 1, 0x40000000, false, 1, 0);
	/* IPS 36 bits: the tables fit, an output at 64G does not. */
	st_map(&t, root, 1, 39, 0x5000, 1ull << 36, 3, S1_RW, 0);
	st_st(&t, cd, (st_ld(&t, cd) & ~CD0_IPS(7)) | CD0_IPS(1));
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(1), 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x1000, R), POOL + 0x1000);
	CHECK(st_fault(&t, 1, false, 0, 0x5000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	expect_ev(&t, SIOMMU_SMMUV3_F_ADDR_SIZE, 1, 0x5000, false, 2, 0);
	st_cmd_sync(&t, OP_TLBI_NH_ALL, 0);
	/* OA[51:48] set in a leaf. */
	st_st(&t, cd, (st_ld(&t, cd) & ~CD0_IPS(7)) | CD0_IPS(5));
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(1), 0);
	st_st(&t, leaf, st_ld(&t, leaf) | (1ull << 48));
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	expect_ev(&t, SIOMMU_SMMUV3_F_ADDR_SIZE, 1, 0x1000, false, 2, 0);
	/* A table descriptor pointing at a hole: external abort with the
	 * descriptor's address. */
	st_st(&t, root, HOLE | 3);
	CHECK(st_fault(&t, 1, false, 0, 0x2000, R, SIOMMU_SMMUV3_F_WALK_EABT));
	expect_ev(&t, SIOMMU_SMMUV3_F_WALK_EABT, 1, 0x2000, false, 1, HOLE);
	st_fini(&t);
}

#define S2OK (STE2_T0SZ(24) | STE2_SL0(1) | STE2_PS(5) | STE2_AA64 | STE2_S2R)

/* Stage-2 tables for 40 bits from level 1 (two concatenated tables) that
 * map IPA [1G, 9G) to PA [4G, 12G) with 1G blocks. */
static uint64_t s2_tables(struct st *t)
{
	uint64_t root = st_alloc(t, 8192), ipa;

	for (ipa = GB; ipa < 9 * GB; ipa += GB)
		st_map(t, root, 1, 40, ipa, ipa + 3 * GB, 1, S2_RW, 0);
	return root;
}

static void test_s2(void)
{
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t root, leaf, rec[4];
	struct st t;

	st_init(&t, NULL);
	root = s2_tables(&t);
	st_ste(&t, 1, STE_V | STE_CFG(6), 0, S2OK | 5, root);
	/* IPA 8G + x sits in the second concatenated table. */
	CHECK_EQ(st_xlate(&t, 1, false, 0, 8 * GB + 0x1234, R | W), 11 * GB + 0x1234);
	CHECK_EQ(st_xlate(&t, 1, false, 0, GB + 0x10, R), POOL + 0x10);
	CHECK(st_fault(&t, 1, false, 0, 9 * GB, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, 9 * GB, true, 2, 9 * GB);
	CHECK(st_fault(&t, 1, false, 0, 1ull << 40, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, 1ull << 40, true, 2, 1ull << 40);
	/* A 4K page, read-only (S2AP read), no AF. */
	leaf = st_map(&t, root, 1, 40, 0x1000, POOL + 0x7000, 3, PTE_AP1, 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_ACCESS));
	expect_ev(&t, SIOMMU_SMMUV3_F_ACCESS, 1, 0x1000, true, 2, 0x1000);
	st_st(&t, leaf, st_ld(&t, leaf) | PTE_AF);
	r = st_req(1, false, 0, 0x1000, R);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, POOL + 0x7000);
	CHECK_EQ(x.perm, R | X);
	/* The same index bits above the input size do not alias it. */
	CHECK(st_fault(&t, 1, false, 0, (1ull << 40) + 0x1000, R,
		       SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, (1ull << 40) + 0x1000, true, 2,
		  (1ull << 40) + 0x1000);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, W, SIOMMU_SMMUV3_F_PERMISSION));
	expect_ev(&t, SIOMMU_SMMUV3_F_PERMISSION, 1, 0x1000, true, 2, 0x1000);
	/* S2R clear: not recorded; S2AFFD; S2HA. */
	st_st(&t, leaf, st_ld(&t, leaf) & ~PTE_AF);
	st_ste(&t, 2, STE_V | STE_CFG(6), 0, (S2OK & ~STE2_S2R) | 6, root);
	CHECK(!st_fault(&t, 2, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_ACCESS));
	st_no_event(&t);
	st_ste(&t, 3, STE_V | STE_CFG(6), 0, S2OK | STE2_AFFD | 7, root);
	CHECK_EQ(st_xlate(&t, 3, false, 0, 0x1000, R), POOL + 0x7000);
	CHECK_EQ(st_ld(&t, leaf) & PTE_AF, 0);
	st_ste(&t, 4, STE_V | STE_CFG(6), 0, S2OK | STE2_S2HA | 8, root);
	CHECK_EQ(st_xlate(&t, 4, false, 0, 0x1000, R), POOL + 0x7000);
	CHECK(st_ld(&t, leaf) & PTE_AF);
	/* S2PS 32 bits: outputs above 4G fault. */
	st_ste(&t, 5, STE_V | STE_CFG(6), 0, (S2OK & ~STE2_PS(7)) | STE2_PS(0) | 9, root);
	CHECK(st_fault(&t, 5, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	/* (The table base itself: here its entry is empty.) */
	CHECK(st_fault(&t, 5, false, 0, 9 * GB, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	/* A stage-2 table in a hole: external abort with the descriptor's
	 * address, recorded although S2R is clear; OA[51:48] in a leaf. */
	while (st_event(&t, rec))
		;
	st_st(&t, root + 8 * 9, HOLE | 3);
	st_ste(&t, 7, STE_V | STE_CFG(6), 0, (S2OK & ~STE2_S2R) | 12, root);
	CHECK(st_fault(&t, 7, false, 0, 9 * GB, R, SIOMMU_SMMUV3_F_WALK_EABT));
	expect_ev(&t, SIOMMU_SMMUV3_F_WALK_EABT, 7, 9 * GB, true, 2, HOLE);
	st_st(&t, st_map(&t, root, 1, 40, 0x3000, POOL, 3, S2_RW, 0),
	      POOL | 1ull << 48 | S2_RW | 3);
	CHECK(st_fault(&t, 1, false, 0, 0x3000, R, SIOMMU_SMMUV3_F_ADDR_SIZE));
	expect_ev(&t, SIOMMU_SMMUV3_F_ADDR_SIZE, 1, 0x3000, true, 2, 0x3000);
	/* 48 bits from level 0: a block at level 0 is not a descriptor. */
	root = st_table(&t);
	st_st(&t, root, POOL | S2_RW | 1);
	st_ste(&t, 6, STE_V | STE_CFG(6), 0,
	       (S2OK & ~(STE2_T0SZ(63) | STE2_SL0(3))) | STE2_T0SZ(16) | STE2_SL0(2) | 11, root);
	CHECK(st_fault(&t, 6, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	st_fini(&t);
}

/*
 * Nested: stage 1's tables and CD live at IPAs (PA - 3G) that stage 2
 * maps; the output IPA goes through stage 2 as well.
 */
static void test_nested(void)
{
	const uint64_t d = 3 * GB;
	uint64_t s2root, s1root, cd, ipa_out = 2 * GB + 0x5000;
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	struct st t;

	st_init(&t, NULL);
	s2root = s2_tables(&t);
	s1root = st_table(&t);
	st_map(&t, s1root, 1, 39, 0x1000, ipa_out, 3, S1_RW, d);
	st_map(&t, s1root, 1, 39, 0x2000, 9 * GB + 0x2000, 3, S1_RW, d);
	cd = page(&t);
	st_cd(&t, cd, 5, s1root - d, 25, 0);
	st_ste(&t, 1, STE_V | STE_CFG(7) | (cd - d), 0, S2OK | 10, s2root);
	r = st_req(1, false, 0, 0x1234, R | W);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, ipa_out + d + 0x234);
	CHECK_EQ(x.size, 4096);
	/* An output IPA stage 2 does not map: CLASS IN, S2, the IPA. */
	CHECK(st_fault(&t, 1, false, 0, 0x2000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, 0x2000, true, 2, 9 * GB + 0x2000);
	/* Stage 2 read-only on the output: a stage-2 permission fault. The
	 * combined entry outlives CMD_TLBI_S2_IPA, as hardware's may: it takes
	 * CMD_TLBI_S12_VMALL (or NH_ALL). */
	st_map(&t, s2root, 1, 40, 2 * GB, 5 * GB, 1, PTE_AF | PTE_AP1, 0);
	st_cmd_sync(&t, OP_TLBI_S2_IPA | CMD_VMID(10), ipa_out);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x1000, W), ipa_out + d);
	st_cmd_sync(&t, OP_TLBI_S12_VMALL | CMD_VMID(10), 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, W, SIOMMU_SMMUV3_F_PERMISSION));
	expect_ev(&t, SIOMMU_SMMUV3_F_PERMISSION, 1, 0x1000, true, 2, ipa_out);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x1000, R), ipa_out + d);
	/* A stage-1 2M block over stage-2 4K pages: the combined entry is
	 * 4K. */
	st_map(&t, s2root, 1, 40, 0x200000, POOL + 0x7000, 3, S2_RW, 0);
	st_map(&t, s2root, 1, 40, 0x201000, POOL + 0x9000, 3, S2_RW, 0);
	st_map(&t, s1root, 1, 39, 0x40000000, 0x200000, 2, S1_RW, d);
	r.iova = 0x40000010;
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, POOL + 0x7010);
	CHECK_EQ(x.size, 4096);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40001010, R), POOL + 0x9010);
	/* S1DSS bypass on a nested stream: stage 2 alone. */
	st_ste(&t, 2, STE_V | STE_CFG(7) | STE_CDMAX(1) | (cd - d), STE1_S1DSS(1),
	       S2OK | 10, s2root);
	CHECK_EQ(st_xlate(&t, 2, false, 0, 0x201010, R), POOL + 0x9010);
	/* Stage 2 must let stage 1's table fetches read. */
	st_map(&t, s2root, 1, 40, GB, 4 * GB, 1, PTE_AF | PTE_AP2, 0);
	st_cmd_sync(&t, OP_TLBI_S12_VMALL | CMD_VMID(10), 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_PERMISSION));
	expect_ev(&t, SIOMMU_SMMUV3_F_PERMISSION, 1, 0x1000, true, 1, s1root - d);
	/* Stage 1's tables unmapped at stage 2: the table fetch faults with
	 * CLASS TT and the table's IPA. */
	st_st(&t, s2root + 8, 0);	/* IPA [1G, 2G) */
	st_cmd_sync(&t, OP_TLBI_S12_VMALL | CMD_VMID(10), 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, 0x1000, true, 1, s1root - d);
	/* ...and the CD fetch, once its cache entry goes: CLASS CD. */
	st_cmd_sync(&t, OP_CFGI_CD_ALL | CMD_SID(1), 0);
	CHECK(st_fault(&t, 1, false, 0, 0x1000, R, SIOMMU_SMMUV3_F_TRANSLATION));
	expect_ev(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, 0x1000, true, 0, cd - d);
	st_fini(&t);
}

int main(void)
{
	test_s1_levels_and_blocks();
	test_s1_ttb1_tbi();
	test_s1_access_flag();
	test_s1_permissions();
	test_s1_addr_size_and_eabt();
	test_ips_capped();
	test_s2();
	test_nested();
	return 0;
}
