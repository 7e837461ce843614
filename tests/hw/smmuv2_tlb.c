/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 TLB maintenance (SMMUv2 2.5, 10.6): entries tagged by VMID and
 * ASID (shared by banks that share both), kept until an operation removes
 * them; TLBIVA/TLBIVAL by ASID and VA (one entry, blocks included, TTBR1
 * addresses), TLBIVAA, TLBIASID, TLBIALL, TLBIIPAS2, TLBIVMID,
 * TLBIALLNSNH. And the GPU's own address-space switch through its bank:
 * TTBR0 and ASID, then TLBIASID and TLBSYNC.
 */
#include "hw/smmuv2/hook.h"
#include "smmuv2_test.h"

#define R SIOMMU_SMMUV2_READ

static uint64_t va_arg64(uint64_t va, uint16_t asid)
{
	return ((va >> 12) & 0xfffffffffffull) | (uint64_t)asid << 48;
}

static void test_s1_ops(void)
{
	struct siommu_smmuv2_stats st;
	uint64_t root, hi, l1, l2, lh, lb;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	hi = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 5, root, hi, SCTLR_ON);
	l1 = v2t_map_s1(&t, root, 0x1000, 0x10000, S1_RW);
	l2 = v2t_map_s1(&t, root, 0x2000, 0x20000, S1_RW);
	lh = v2t_map_s1(&t, hi, HI_VA(0x3000), 0x30000, S1_RW);
	lb = v2t_map(&t, root, 1, 39, 0x40000000, 0x80000000, 2, S1_RW);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x20000);
	CHECK_EQ(v2t_xlate(&t, 3, HI_VA(0x3000), R), 0x30000);
	CHECK_EQ(v2t_xlate(&t, 3, 0x40001000, R), 0x80001000);
	/* New tables in memory: the TLB keeps the old ones until told. */
	v2t_st(&t, l1, 0x11000 | S1_RW | 3);
	v2t_st(&t, l2, 0x21000 | S1_RW | 3);
	v2t_st(&t, lh, 0x31000 | S1_RW | 3);
	v2t_st(&t, lb, 0x90000000 | S1_RW | 1);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);
	/* TLBIVA with another ASID removes nothing. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIVA, 8, va_arg64(0x1000, 6));
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);
	/* With the ASID: that page alone. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIVA, 8, va_arg64(0x1000, 5));
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x11000);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x20000);
	/* TTBR1's half: VA[55:12] of the upper address. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIVAL, 8, va_arg64(HI_VA(0x3000), 5));
	CHECK_EQ(v2t_xlate(&t, 3, HI_VA(0x3000), R), 0x31000);
	/* Any address inside a 2M block removes the block. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIVAA, 8, va_arg64(0x40123000, 0));
	CHECK_EQ(v2t_xlate(&t, 3, 0x40001000, R), 0x90001000);
	/* TLBIASID with the bank's ASID. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 6);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x20000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 5);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x21000);
	/* TLBIALL: the bank's VMID. */
	v2t_st(&t, l2, 0x22000 | S1_RW | 3);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x21000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x22000);
	/* Global: TLBIVMID of another VMID, then of this one; TLBIALLNSNH. */
	v2t_st(&t, l2, 0x23000 | S1_RW | 3);
	v2_wr(&t, SIOMMU_SMMUV2_TLBIVMID, 4, 2);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x22000);
	v2_wr(&t, SIOMMU_SMMUV2_TLBIVMID, 4, 1);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x23000);
	v2t_st(&t, l2, 0x24000 | S1_RW | 3);
	v2_wr(&t, SIOMMU_SMMUV2_TLBIALLH, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x23000);
	v2_wr(&t, SIOMMU_SMMUV2_TLBIALLNSNH, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x24000);
	/* A stage-2 operation in a stage-1 bank is ignored. */
	v2t_st(&t, l2, 0x25000 | S1_RW | 3);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIIPAS2, 8, 0x2);
	CHECK_EQ(v2t_xlate(&t, 3, 0x2000, R), 0x24000);
	siommu_smmuv2_get_stats(t.s, &st);
	CHECK(st.tlb_ops >= 10);
	CHECK(st.tlb_inv_entries >= 6);
	CHECK(st.tlb_hit > 0 && st.tlb_miss > 0);
	v2t_fini(&t);
}

/* Banks sharing VMID and ASID share entries (software must not do that
 * with different tables); a different VMID keeps them apart. */
static void test_tags(void)
{
	uint64_t r0, r1;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	r0 = v2t_page(&t);
	r1 = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_stream(&t, 1, 4, 1);
	v2t_s1_bank(&t, 0, 1, 5, r0, 0, SCTLR_ON);
	v2t_s1_bank(&t, 1, 1, 5, r1, 0, SCTLR_ON);
	v2t_map_s1(&t, r0, 0x1000, 0x10000, S1_RW);
	v2t_map_s1(&t, r1, 0x1000, 0x20000, S1_RW);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);
	CHECK_EQ(v2t_xlate(&t, 4, 0x1000, R), 0x10000);
	v2_wr(&t, SIOMMU_SMMUV2_CBAR(1), 4, SIOMMU_SMMUV2_CBAR_S1_BYPASS | 2);
	CHECK_EQ(v2t_xlate(&t, 4, 0x1000, R), 0x20000);
	/* VMID16EN: the VMID comes from CBA2R. */
	v2_wr(&t, SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_VMID16EN);
	v2_wr(&t, SIOMMU_SMMUV2_CBA2R(0), 4, SIOMMU_SMMUV2_CBA2R_VA64 | 0x1230000);
	v2_wr(&t, SIOMMU_SMMUV2_CBA2R(1), 4, SIOMMU_SMMUV2_CBA2R_VA64 | 0x1230000);
	v2_wr(&t, SIOMMU_SMMUV2_TLBIALLNSNH, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 4, 0x1000, R), 0x20000);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x20000);
	v2_wr(&t, SIOMMU_SMMUV2_TLBIVMID, 4, 0x123);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);
	v2t_fini(&t);
}

static void test_s2_ops(void)
{
	uint64_t root, leaf;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 2);
	v2t_s2_bank(&t, 2, 4, root, SCTLR_ON);
	leaf = v2t_map(&t, root, 1, 40, 0x5000, 0x50000, 3, S2_RW);
	CHECK_EQ(v2t_xlate(&t, 3, 0x5000, R), 0x50000);
	v2t_st(&t, leaf, 0x51000 | S2_RW | 3);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_TLBIASID, 4, 0);		/* stage 1: ignored */
	CHECK_EQ(v2t_xlate(&t, 3, 0x5000, R), 0x50000);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_TLBIIPAS2, 8, 0x6);
	CHECK_EQ(v2t_xlate(&t, 3, 0x5000, R), 0x50000);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_TLBIIPAS2L, 8, 0x5);
	CHECK_EQ(v2t_xlate(&t, 3, 0x5000, R), 0x51000);
	v2t_fini(&t);
}

/* The GPU's command processor switches its bank between two clients. */
static void test_gpu_switch(void)
{
	uint64_t ra, rb, kernel, la;
	struct siommu_smmuv2_xlate x;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	ra = v2t_page(&t);
	rb = v2t_page(&t);
	kernel = v2t_page(&t);
	v2t_stream(&t, 0, 0, 0);		/* the GPU: SID 0 on bank 0 */
	v2t_s1_bank(&t, 0, 1, 1, ra, kernel, SCTLR_ON);
	la = v2t_map_s1(&t, ra, 0x100000, 0xa0000, S1_RW);
	v2t_map_s1(&t, rb, 0x100000, 0xb0000, S1_RW);
	v2t_map_s1(&t, kernel, HI_VA(0x1000), 0xc0000, S1_RW);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xa0000);
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc0000);
	/* CP_SMMU_TABLE_UPDATE: TTBR0 with the new ASID, CONTEXTIDR, then the
	 * invalidation and the sync. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 4, (uint32_t)rb);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0 + 4, 4, (rb >> 32) | 2u << 16);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_CONTEXTIDR, 4, 0);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 2);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	CHECK_EQ(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_TLBSTATUS, 4), 0);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xb0000);
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc0000);
	/* While B is live, the driver unmaps A's page and invalidates by A's
	 * ASID: the entry goes although the bank holds B's ASID. */
	v2t_st(&t, la, 0);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIVA, 8, va_arg64(0x100000, 1));
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xb0000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 8, ra | SIOMMU_SMMUV2_TTBR_ASID(1));
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 1);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	x = v2t_fault(&t, 0, 0x100000, R, -EFAULT);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_FSR_TF);
	CHECK_EQ(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_FAR, 8), 0x100000);
	CHECK_EQ(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 8), ra | SIOMMU_SMMUV2_TTBR_ASID(1));
	v2t_fsr_clear(&t, 0);
	/* One ASID for every client (the first Adreno scheme): without the
	 * TLBIASID the other client's entry would answer; with it, not. */
	v2t_map_s1(&t, ra, 0x100000, 0xa0000, S1_RW);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 8, ra);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xa0000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 8, rb);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xa0000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 0);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xb0000);
	/* 8-bit ASIDs without TCR2.AS: ASID 0x102 is 2. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(5));
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 8, rb | SIOMMU_SMMUV2_TTBR_ASID(0x102));
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xb0000);
	v2t_st(&t, v2t_map_s1(&t, rb, 0x100000, 0xb0000, S1_RW), 0xb1000 | S1_RW | 3);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 0x302);
	CHECK_EQ(v2t_xlate(&t, 0, 0x100000, R), 0xb1000);
	v2t_fini(&t);
}

/* A stage-1 leaf with nG clear is global: one entry for every ASID,
 * kept by TLBIASID, removed by TLBIVA whatever its ASID (Arm ARM D8.10). */
static void test_global(void)
{
	uint64_t ra, rb, kernel, leaf;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	ra = v2t_page(&t);
	rb = v2t_page(&t);
	kernel = v2t_page(&t);
	v2t_stream(&t, 0, 0, 0);
	v2t_s1_bank(&t, 0, 1, 1, ra, kernel, SCTLR_ON);
	leaf = v2t_map_s1(&t, kernel, HI_VA(0x1000), 0xc0000, PTE_AF | PTE_AP1);
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc0000);
	v2t_st(&t, leaf, 0xc1000 | PTE_AF | PTE_AP1 | 3);
	/* Another ASID: the same entry answers. */
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TTBR0, 8, rb | SIOMMU_SMMUV2_TTBR_ASID(2));
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc0000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 1);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 2);
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc0000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIVA, 8, va_arg64(HI_VA(0x1000), 9));
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc1000);
	/* TLBIALL (the VMID) takes them too. */
	v2t_st(&t, leaf, 0xc2000 | PTE_AF | PTE_AP1 | 3);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 0, HI_VA(0x1000), R), 0xc2000);
	v2t_fini(&t);
}

/* A 1-entry TLB and combined cache: every fill evicts, every answer is
 * still the tables'. And the combined cache's generations (their low 32
 * bits) wrapping: the cache is emptied, so an entry never matches a later
 * generation with the same low bits. */
static void test_evict_and_wrap(void)
{
	struct siommu_smmuv2_cfg cfg = { .tlb_sets = 1, .tlb_ways = 1 };
	uint64_t root, leaf;
	unsigned int i;
	struct v2t t;

	v2t_init(&t, &cfg);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON);
	for (i = 0; i < 3; i++)
		v2t_map_s1(&t, root, 0x1000 * (i + 1), 0x10000 * (i + 1), S1_RW);
	for (i = 0; i < 30; i++)
		CHECK_EQ(v2t_xlate(&t, 3, 0x1000 * (i % 3 + 1) + 8, R), 0x10000 * (i % 3 + 1) + 8);
	v2t_fini(&t);

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON);
	leaf = v2t_map_s1(&t, root, 0x1000, 0x10000, S1_RW);
	v2_gen_set(t.s, 0xffffffffull);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x10000);	/* a combined hit */
	v2t_st(&t, leaf, 0x20000 | S1_RW | 3);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, 1);		/* wraps: 0x1_00000000 */
	/* 2^32 - 2 operations later the low half is the entry's again. */
	v2_gen_set(t.s, 0x1ffffffffull);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x20000);
	v2t_fini(&t);
}

int main(void)
{
	test_evict_and_wrap();
	test_global();
	test_s1_ops();
	test_tags();
	test_s2_ops();
	test_gpu_switch();
	return 0;
}
