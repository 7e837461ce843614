/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv2 model's combined cache (hw/common/xc.h) against the paths
 * behind it: a translation answers the same whether it walks, hits the
 * TLB or hits the combined cache, for a block seen from several of its
 * pages (the entry keeps its own 4K page's output) and for the
 * permissions S2CR.PRIVCFG imposes (kept in the entry as the stream meets
 * them); a one-page DMA through a combined hit lands where the
 * translation said; a walk fills the TLB alone, the next request's TLB
 * hit fills the combined cache; and every way of a set is looked in.
 */
#include "hw/smmuv2/hook.h"
#include "smmuv2_test.h"

#define R SIOMMU_SMMUV2_READ
#define W SIOMMU_SMMUV2_WRITE
#define X SIOMMU_SMMUV2_EXEC
#define SID 3

static void count_fill(void *opaque, enum v2_cache cache)
{
	unsigned int *n = opaque;

	n[cache]++;
}

/* Translate @iova with @access (@priv) three times: a walk or a TLB hit,
 * then hits of what they filled. Each must give *want. */
static void thrice(struct v2t *t, uint64_t iova, uint32_t access, bool priv,
		   const struct siommu_smmuv2_xlate *want)
{
	struct siommu_smmuv2_req r = v2t_req(SID, iova, access);
	struct siommu_smmuv2_xlate x;
	int i;

	r.priv = priv;
	for (i = 0; i < 3; i++) {
		CHECK_OK(siommu_smmuv2_translate(t->s, &r, &x));
		CHECK_EQ(x.addr, want->addr);
		CHECK_EQ(x.addr_base, want->addr_base);
		CHECK_EQ(x.iova_base, want->iova_base);
		CHECK_EQ(x.size, want->size);
		CHECK_EQ(x.perm, want->perm);
	}
}

static void test_block(void)
{
	struct siommu_smmuv2_xlate want = { .addr_base = 0x80000000, .iova_base = 0x40000000,
					    .size = 0x200000, .perm = R | W };
	struct siommu_smmuv2_req r = v2t_req(SID, 0x40123456, R);
	uint64_t root, pa, page, off;
	char buf[16], back[16];
	struct v2t t;
	size_t done;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, SID, 0);
	v2t_s1_bank(&t, 0, 1, 7, root, 0, SCTLR_ON);
	/* A 2M block of RAM: its frames, from the pool. */
	CHECK_OK(siommu_mem_frame_alloc(t.mem, 0x200000, SIOMMU_MEM_DMA, &pa));
	want.addr_base = pa;
	v2t_map(&t, root, 1, 39, 0x40000000, pa, 2, S1_RW | PTE_UXN | PTE_PXN);
	/* Pages at the start, inside and at the end of the block, each with
	 * an entry of its own in the combined cache. */
	for (page = 0; page < 0x200000; page += 0x123000) {
		for (off = 0; off < 0x1000; off += 0x7f8) {
			want.addr = pa + page + off;
			thrice(&t, 0x40000000 + page + off, R, false, &want);
		}
	}
	want.addr = pa + 0x1ff000;
	thrice(&t, 0x401ff000, W, false, &want);
	/* A one-page DMA through the combined entry of a page inside the
	 * block reads and writes that page's bytes. */
	memcpy(buf, "through the xc!", 16);
	CHECK_OK(siommu_mem_write(t.mem, pa + 0x123456, buf, 16));
	r.len = 16;
	CHECK_OK(siommu_smmuv2_dma_read(t.s, &r, back, 16, &done, NULL));
	CHECK_EQ(done, 16);
	CHECK_EQ(memcmp(back, buf, 16), 0);
	memcpy(buf, "and back again!", 16);
	CHECK_OK(siommu_smmuv2_dma_write(t.s, &r, buf, 16, &done, NULL));
	CHECK_OK(siommu_mem_read(t.mem, pa + 0x123456, back, 16));
	CHECK_EQ(memcmp(back, buf, 16), 0);
	v2t_fini(&t);
}

static void test_privcfg(void)
{
	struct siommu_smmuv2_xlate want = { .addr = 0x8000, .addr_base = 0x8000,
					    .iova_base = 0x5000, .size = 4096 };
	struct siommu_smmuv2_req r = v2t_req(SID, 0x5000, X);
	struct siommu_smmuv2_xlate x;
	uint64_t root;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, SID, 0);
	v2t_s1_bank(&t, 0, 1, 7, root, 0, SCTLR_ON);
	/* EL0 read, write and execute; privileged read and write, never
	 * execute (a page writable at EL0). */
	v2t_map_s1(&t, root, 0x5000, 0x8000, S1_RW);
	/* As the request says. */
	want.perm = R | W | X;
	thrice(&t, 0x5000, X, false, &want);
	want.perm = R | W;
	r.priv = true;
	CHECK_EQ(siommu_smmuv2_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_FSR_PF);
	v2t_fsr_clear(&t, 0);
	thrice(&t, 0x5000, R, true, &want);
	/* PRIVCFG 2: every request unprivileged, a privileged fetch too,
	 * also from the combined cache. */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_PRIV(2));
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	want.perm = R | W | X;
	thrice(&t, 0x5000, X, true, &want);
	thrice(&t, 0x5000, R, false, &want);
	/* PRIVCFG 3: every request privileged: no fetch, whatever it says. */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_PRIV(3));
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_TLBIALL, 4, 0);
	want.perm = R | W;
	thrice(&t, 0x5000, R, false, &want);
	CHECK_EQ(v2t_fault(&t, SID, 0x5000, X, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_PF);
	v2t_fsr_clear(&t, 0);
	thrice(&t, 0x5000, W, true, &want);
	v2t_fini(&t);
}

static void test_fills(void)
{
	unsigned int n[V2_CACHE_XC + 1] = { 0 };
	struct siommu_smmuv2_xlate want = { .addr = 0x8010, .addr_base = 0x8000,
					    .iova_base = 0x5000, .size = 4096, .perm = R | W };
	struct siommu_smmuv2_req r = v2t_req(SID, 0x5010, R);
	struct siommu_smmuv2_xlate x;
	uint64_t root;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, SID, 0);
	v2t_s1_bank(&t, 0, 1, 7, root, 0, SCTLR_ON);
	v2t_map_s1(&t, root, 0x5000, 0x8000, S1_RW);
	v2_fill_hook_set(t.s, count_fill, n);
	/* The walk fills the TLB alone. */
	CHECK_OK(siommu_smmuv2_translate(t.s, &r, &x));
	CHECK_EQ(n[V2_CACHE_TLB], 1);
	CHECK_EQ(n[V2_CACHE_XC], 0);
	/* The TLB hit fills the combined cache; its hit fills nothing. */
	CHECK_OK(siommu_smmuv2_translate(t.s, &r, &x));
	CHECK_EQ(n[V2_CACHE_TLB], 1);
	CHECK_EQ(n[V2_CACHE_XC], 1);
	CHECK_OK(siommu_smmuv2_translate(t.s, &r, &x));
	CHECK_EQ(n[V2_CACHE_TLB], 1);
	CHECK_EQ(n[V2_CACHE_XC], 1);
	CHECK_EQ(x.addr, want.addr);
	/* A bypassing stream has no TLB entry: its first translation makes
	 * the combined one. */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_BYPASS);
	CHECK_EQ(v2t_xlate(&t, SID, 0x5010, R), 0x5010);
	CHECK_EQ(n[V2_CACHE_XC], 2);
	CHECK_EQ(v2t_xlate(&t, SID, 0x5010, R), 0x5010);
	CHECK_EQ(n[V2_CACHE_XC], 2);
	v2_fill_hook_set(t.s, NULL, NULL);
	v2t_fini(&t);
}

/* Every way of a set answers: in a unit of one set of two ways, two
 * pages' entries share the set, and both hit without a fill. */
static void test_ways(void)
{
	struct siommu_smmuv2_cfg cfg = { .tlb_sets = 1, .tlb_ways = 2 };
	unsigned int n[V2_CACHE_XC + 1] = { 0 }, i;
	uint64_t root, page;
	struct v2t t;

	v2t_init(&t, &cfg);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, SID, 0);
	v2t_s1_bank(&t, 0, 1, 7, root, 0, SCTLR_ON);
	v2t_map_s1(&t, root, 0x5000, 0x8000, S1_RW);
	v2t_map_s1(&t, root, 0x6000, 0x9000, S1_RW);
	/* A walk, then a TLB hit that makes the combined entry, per page. */
	for (page = 0x5000; page <= 0x6000; page += 0x1000)
		for (i = 0; i < 2; i++)
			CHECK_EQ(v2t_xlate(&t, SID, page, R), page + 0x3000);
	v2_fill_hook_set(t.s, count_fill, n);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(v2t_xlate(&t, SID, 0x5000, R), 0x8000);
		CHECK_EQ(v2t_xlate(&t, SID, 0x6000, R), 0x9000);
	}
	CHECK_EQ(n[V2_CACHE_TLB], 0);
	CHECK_EQ(n[V2_CACHE_XC], 0);
	v2_fill_hook_set(t.s, NULL, NULL);
	v2t_fini(&t);
}

int main(void)
{
	test_block();
	test_privcfg();
	test_fills();
	test_ways();
	return 0;
}
