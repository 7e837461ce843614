/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 walks and context faults: stage 1 with the TTBR0/TTBR1 split by
 * T0SZ/T1SZ, EPDn, blocks, permissions and table attributes, AF with
 * SCTLR.AFE, address size faults, external aborts; stage 2 with S2AP;
 * FSR/FAR/FSYNR0/CBFRSYNRA/IPAFAR, MULTI, CFIE, CFRE; DMA and access.
 */
#include "smmuv2_test.h"

#define R SIOMMU_SMMUV2_READ
#define W SIOMMU_SMMUV2_WRITE
#define X SIOMMU_SMMUV2_EXEC

static void expect_ctx(struct v2t *t, unsigned int cb, uint32_t sid, uint64_t iova,
		       uint32_t access, uint32_t bit, unsigned int plvl)
{
	struct siommu_smmuv2_xlate x = v2t_fault(t, sid, iova, access, -EFAULT);
	uint32_t syn;

	CHECK_EQ(x.fsr, bit);
	CHECK(!x.global && x.recorded);
	CHECK_EQ(x.cb, cb);
	CHECK_EQ(cb_rd(t, cb, SIOMMU_SMMUV2_CB_FSR, 4), bit);
	CHECK_EQ(cb_rd(t, cb, SIOMMU_SMMUV2_CB_FAR, 8), iova);
	CHECK_EQ(v2_rd(t, SIOMMU_SMMUV2_CBFRSYNRA(cb), 4), sid);
	syn = (uint32_t)cb_rd(t, cb, SIOMMU_SMMUV2_CB_FSYNR0, 4);
	CHECK_EQ(SIOMMU_SMMUV2_FSYNR0_PLVL(syn), plvl);
	CHECK_EQ(!!(syn & SIOMMU_SMMUV2_FSYNR0_WNR), !!(access & W));
	CHECK_EQ(!!(syn & SIOMMU_SMMUV2_FSYNR0_IND), !!(access & X));
	v2t_fsr_clear(t, cb);
}

static void test_s1(void)
{
	struct v2t t;
	uint64_t lo, hi, leaf;

	v2t_split_unit(&t, 3, 1, 7, &lo, &hi);
	v2t_map_s1(&t, lo, 0x1000, 0x40000, S1_RW);
	v2t_map_s1(&t, hi, HI_VA(0x2000), 0x50000, S1_RO);
	v2t_map(&t, lo, 1, 39, 0x40000000, 0x80000000, 2, S1_RW);	/* 2M block */
	v2t_map(&t, lo, 1, 39, 0x4000000000ull - 0x40000000, 0xc0000000, 1, S1_RW); /* 1G */
	CHECK_EQ(v2t_xlate(&t, 3, 0x1234, R | W), 0x40234);
	CHECK_EQ(v2t_xlate(&t, 3, HI_VA(0x2008), R), 0x50008);
	CHECK_EQ(v2t_xlate(&t, 3, 0x40123456, R), 0x80123456);
	CHECK_EQ(v2t_xlate(&t, 3, 0x3fc0000123ull, W), 0xc0000123);
	/* Read-only: a write faults at the leaf level. */
	expect_ctx(&t, 1, 3, HI_VA(0x2010), W, SIOMMU_SMMUV2_FSR_PF, 3);
	CHECK_EQ(t.irq_ctx[1], 1);
	/* Holes in the tables, and between the two halves. */
	expect_ctx(&t, 1, 3, 0x3000, R, SIOMMU_SMMUV2_FSR_TF, 3);
	expect_ctx(&t, 1, 3, 0x10000000000ull, R, SIOMMU_SMMUV2_FSR_TF, 0);
	expect_ctx(&t, 1, 3, 0x8000000000ull, R, SIOMMU_SMMUV2_FSR_TF, 0);
	expect_ctx(&t, 1, 3, 0xffff000000000000ull, R, SIOMMU_SMMUV2_FSR_TF, 0);
	/* EPD1: TTBR1's half faults. EPDn stops walks, not TLB hits (Arm
	 * ARM D8.2.5): a change of TCR is followed by TLB maintenance. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4, TCR_39 | SIOMMU_SMMUV2_TCR_EPD1);
	CHECK_EQ(v2t_xlate(&t, 3, HI_VA(0x2000), R), 0x50000);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	expect_ctx(&t, 1, 3, HI_VA(0x2000), R, SIOMMU_SMMUV2_FSR_TF, 0);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4, TCR_39);
	/* T0SZ out of range: translation fault, never a wild shift. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4, TCR_39 & ~0x3fu);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	expect_ctx(&t, 1, 3, 0x1000, R, SIOMMU_SMMUV2_FSR_TF, 0);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4, (TCR_39 & ~0x3fu) | 63);
	expect_ctx(&t, 1, 3, 0, R, SIOMMU_SMMUV2_FSR_TF, 0);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4, TCR_39);
	/* AF clear: an access flag fault with AFE, ignored without. */
	leaf = v2t_map_s1(&t, lo, 0x6000, 0x60000, PTE_AP1);
	expect_ctx(&t, 1, 3, 0x6000, R, SIOMMU_SMMUV2_FSR_AFF, 3);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON & ~SIOMMU_SMMUV2_SCTLR_AFE);
	CHECK_EQ(v2t_xlate(&t, 3, 0x6000, R), 0x60000);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON);
	/* Output beyond TCR2.PASIZE (36 bits): address size fault at the
	 * leaf; the tables (in the pool at 4G) are within it. */
	v2t_st(&t, leaf, (1ull << 36) | S1_RW | 3);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(1) |
	      SIOMMU_SMMUV2_TCR2_AS);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	expect_ctx(&t, 1, 3, 0x6000, R, SIOMMU_SMMUV2_FSR_ASF, 3);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(5) |
	      SIOMMU_SMMUV2_TCR2_AS);
	CHECK_EQ(v2t_xlate(&t, 3, 0x6000, R), 1ull << 36);
	/* With 32 bits, the first table is beyond it already. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(0));
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	expect_ctx(&t, 1, 3, 0x6000, R, SIOMMU_SMMUV2_FSR_ASF, 1);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(5) |
	      SIOMMU_SMMUV2_TCR2_AS);
	/* A table in a hole: external abort on the walk. */
	v2t_st(&t, lo + 8 * 0, (1ull << 40) | 3);
	expect_ctx(&t, 1, 3, 0x7000, R, SIOMMU_SMMUV2_FSR_EF, 2);
	v2t_fini(&t);
}

static void test_perm(void)
{
	struct v2t t;
	uint64_t root, tbl;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON);
	v2t_map_s1(&t, root, 0x1000, 0x11000, S1_RW | PTE_UXN);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R | W), 0x11000);
	expect_ctx(&t, 0, 3, 0x1000, X, SIOMMU_SMMUV2_FSR_PF, 3);
	/* APTable[1] in the level-2 table descriptor: read-only below. */
	tbl = v2t_ld(&t, root);
	v2t_st(&t, root, tbl | (1ull << 62));
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, R), 0x11000);
	expect_ctx(&t, 0, 3, 0x1000, W, SIOMMU_SMMUV2_FSR_PF, 3);
	v2t_fini(&t);
}

static void test_multi_cfre(void)
{
	struct siommu_smmuv2_xlate x;
	struct v2t t;
	uint64_t root;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 2);
	v2t_s1_bank(&t, 2, 1, 1, root, 0, SIOMMU_SMMUV2_SCTLR_M);
	/* CFRE and CFIE clear: recorded, silently terminated, no interrupt. */
	x = v2t_fault(&t, 3, 0x1000, R, -EFAULT);
	CHECK(x.recorded && !x.abort);
	CHECK_EQ(t.irq_ctx[2], 0);
	/* A second fault: MULTI, FAR stays. */
	x = v2t_fault(&t, 3, 0x2000, R, -EFAULT);
	CHECK(!x.recorded);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4),
		 SIOMMU_SMMUV2_FSR_TF | SIOMMU_SMMUV2_FSR_MULTI);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FAR, 8), 0x1000);
	v2t_fsr_clear(&t, 2);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), 0);
	x = v2t_fault(&t, 3, 0x2000, R, -EFAULT);
	CHECK(x.recorded);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FAR, 8), 0x2000);
	v2t_fini(&t);
}

static void test_s2(void)
{
	struct v2t t;
	uint64_t root;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 6, 4);
	v2t_s2_bank(&t, 4, 9, root, SCTLR_ON);
	v2t_map(&t, root, 1, 40, 0x8000000000ull - 0x1000, 0x33000, 3, PTE_AF | PTE_AP1);
	v2t_map(&t, root, 1, 40, 0x200000, 0x400000, 2, S2_RW | PTE_UXN);
	CHECK_EQ(v2t_xlate(&t, 6, 0x8000000000ull - 0x1000 + 5, R), 0x33005);
	CHECK_EQ(v2t_xlate(&t, 6, 0x2fffff, R | W), 0x4fffff);
	expect_ctx(&t, 4, 6, 0x7ffffff008ull, W, SIOMMU_SMMUV2_FSR_PF, 3);
	CHECK_EQ(cb_rd(&t, 4, SIOMMU_SMMUV2_CB_IPAFAR, 8), 0x7ffffff008ull);
	expect_ctx(&t, 4, 6, 0x200000, X, SIOMMU_SMMUV2_FSR_PF, 2);
	expect_ctx(&t, 4, 6, 0x10000000000ull, R, SIOMMU_SMMUV2_FSR_TF, 1);
	/* VTCR with SL0 3, or a start level that cannot hold the input. */
	cb_wr(&t, 4, SIOMMU_SMMUV2_CB_TCR, 4, VTCR_40 | SIOMMU_SMMUV2_VTCR_SL0(3));
	v2_wr(&t, SIOMMU_SMMUV2_TLBIVMID, 4, 9);
	expect_ctx(&t, 4, 6, 0x200000, R, SIOMMU_SMMUV2_FSR_TF, 0);
	cb_wr(&t, 4, SIOMMU_SMMUV2_CB_TCR, 4, SIOMMU_SMMUV2_TCR_T0SZ(16) |
	      SIOMMU_SMMUV2_VTCR_SL0(0));
	expect_ctx(&t, 4, 6, 0x200000, R, SIOMMU_SMMUV2_FSR_TF, 2);
	v2t_fini(&t);
}

struct acc {
	unsigned int pieces;
	size_t bytes;
};

static int count_piece(void *arg, void *host, size_t len, size_t off)
{
	struct acc *a = arg;

	(void)host;
	CHECK_EQ(off, a->bytes);
	a->pieces++;
	a->bytes += len;
	return 0;
}

static void test_dma(void)
{
	struct siommu_smmuv2_req r = v2t_req(3, 0x1800, 0);
	struct siommu_smmuv2_xlate x;
	uint8_t buf[8192], back[8192];
	struct acc a = { 0 };
	uint64_t root, p0, p1;
	size_t done, i;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	p0 = v2t_page(&t);
	p1 = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON);
	v2t_map_s1(&t, root, 0x1000, p0, S1_RW);
	v2t_map_s1(&t, root, 0x2000, p1, S1_RW);
	v2t_map_s1(&t, root, 0x3000, p0, S1_RO);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	CHECK_OK(siommu_smmuv2_dma_write(t.s, &r, buf, 4096, &done, &x));
	CHECK_EQ(done, 4096);
	CHECK_OK(siommu_mem_read(t.mem, p0 + 0x800, back, 2048));
	CHECK(!memcmp(back, buf, 2048));
	CHECK_OK(siommu_mem_read(t.mem, p1, back, 2048));
	CHECK(!memcmp(back, buf + 2048, 2048));
	memset(back, 0, sizeof(back));
	CHECK_OK(siommu_smmuv2_dma_read(t.s, &r, back, 4096, &done, NULL));
	CHECK(!memcmp(back, buf, 4096));
	/* A write that runs into the read-only page stops at its start. */
	CHECK_EQ(siommu_smmuv2_dma_write(t.s, &r, buf, 8192, &done, &x), -EFAULT);
	CHECK_EQ(done, 0x3000 - 0x1800);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_FSR_PF);
	CHECK_EQ(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_FAR, 8), 0x3000);
	v2t_fsr_clear(&t, 0);
	/* Access: pieces cover the range in order. */
	r.len = 0x2000;
	r.access = R;
	CHECK_OK(siommu_smmuv2_access(t.s, &r, count_piece, &a, &x));
	CHECK_EQ(a.bytes, 0x2000);
	CHECK_EQ(a.pieces, 3);
	/* Bad requests. */
	r.access = 0;
	CHECK_EQ(siommu_smmuv2_access(t.s, &r, count_piece, &a, &x), -EINVAL);
	CHECK_EQ(siommu_smmuv2_dma_read(t.s, &r, NULL, 1, &done, &x), -EINVAL);
	r.iova = ~0ull;
	CHECK_EQ(siommu_smmuv2_dma_read(t.s, &r, back, 2, &done, &x), -EINVAL);
	CHECK_EQ(siommu_smmuv2_translate(t.s, NULL, &x), -EINVAL);
	r.access = 8;
	CHECK_EQ(siommu_smmuv2_translate(t.s, &r, &x), -EINVAL);
	v2t_fini(&t);
}

/* The interrupt callback runs with no lock of the unit held and outside
 * any read-side section: a driver's handler may read the fault, clear it,
 * invalidate and sync from inside it. */
static struct v2t *cb_t;
static unsigned int cb_calls;

static void irq_handler(void *opaque, enum siommu_smmuv2_irq irq, int cb)
{
	(void)opaque;
	CHECK_EQ(irq, SIOMMU_SMMUV2_IRQ_CONTEXT);
	CHECK(cb_rd(cb_t, (unsigned int)cb, SIOMMU_SMMUV2_CB_FSR, 4) & SIOMMU_SMMUV2_FSR_TF);
	v2t_fsr_clear(cb_t, (unsigned int)cb);
	cb_wr(cb_t, (unsigned int)cb, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	cb_wr(cb_t, (unsigned int)cb, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	cb_calls++;
}

static void test_irq_reentry(void)
{
	static const struct siommu_smmuv2_ops ops = { irq_handler, NULL };
	struct siommu_smmuv2_req r = v2t_req(3, 0x1000, 0);
	uint8_t buf[8192];
	struct v2t t;
	uint64_t root;
	size_t done;

	v2t_init(&t, NULL);
	cb_t = &t;
	siommu_smmuv2_set_ops(t.s, &ops, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON);
	v2t_map_s1(&t, root, 0x1000, v2t_page(&t), S1_RW);
	CHECK_EQ(siommu_smmuv2_dma_read(t.s, &r, buf, sizeof(buf), &done, NULL), -EFAULT);
	CHECK_EQ(done, 4096);
	CHECK_EQ(cb_calls, 1);
	CHECK_EQ(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_FSR, 4), 0);
	v2t_fault(&t, 3, 0x5000, SIOMMU_SMMUV2_READ, -EFAULT);
	CHECK_EQ(cb_calls, 2);
	v2t_fini(&t);
}

int main(void)
{
	test_irq_reentry();
	test_s1();
	test_perm();
	test_multi_cfre();
	test_s2();
	test_dma();
	return 0;
}
