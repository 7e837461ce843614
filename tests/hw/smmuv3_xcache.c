/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 combined translation cache (by StreamID, SubstreamID and page):
 * a translation answered from it is what the STE cache, the CD cache and
 * the TLB would answer. Each case makes the combined entry first (a
 * translation walks, the next hits the three caches and fills the
 * combined one, the third hits it), then changes memory and checks that
 * the entry outlives no command that removes what it was made from, and
 * that what the architecture lets those caches keep stays:
 *  - CMD_CFGI_STE ends a stream's entries; another stream's stale STE stays;
 *  - CMD_CFGI_CD ends a substream's entries; another substream's stays;
 *  - CMD_TLBI_NH_ASID reaches the entries of every stream and substream
 *    whose CD carries that ASID, and of no other ASID;
 *  - CMD_TLBI_NH_VA by page, with 2M entries seen from any of their pages;
 *  - clearing SMMUEN ends them, setting it again finds the three caches;
 *  - permissions and privilege are checked against the entry;
 *  - a generation whose low half wrapped matches no older entry;
 *  - counters count a combined hit as the three caches' hits;
 *  - a walk fills the TLB alone: the combined entry is made by the next
 *    request, from the TLB hit;
 *  - the hit paths' key is the fill's: a request without SSV finds the
 *    entry whatever its SSID field holds, one with SSV and an SSID wider
 *    than 20 bits is refused.
 */
#include "hw/smmuv3/hook.h"
#include "smmuv3_test.h"

#define POOL 0x100000000ull
#define A(i) (POOL + 0x100000 + (uint64_t)(i) * 4096)
#define B(i) (POOL + 0x200000 + (uint64_t)(i) * 4096)
#define VA(i) (0x10000 + (uint64_t)(i) * 4096)

static const uint32_t R = SIOMMU_SMMUV3_READ, W = SIOMMU_SMMUV3_WRITE;

/* Tables mapping VA(i) to A(i) (or B(i)) for 4 pages; leaves in leaf[]. */
static uint64_t tables(struct st *t, bool b, uint64_t leaf[4])
{
	uint64_t root = st_table(t);
	unsigned int i;

	for (i = 0; i < 4; i++)
		leaf[i] = st_map(t, root, 1, 39, VA(i), b ? B(i) : A(i), 3, S1_RW, 0);
	return root;
}

/* Three translations: the last comes from the combined cache. */
static uint64_t warm(struct st *t, uint32_t sid, bool ssv, uint32_t ssid, uint64_t iova)
{
	uint64_t a = st_xlate(t, sid, ssv, ssid, iova, R);

	CHECK_EQ(st_xlate(t, sid, ssv, ssid, iova, R), a);
	CHECK_EQ(st_xlate(t, sid, ssv, ssid, iova, R), a);
	return a;
}

/* A stage-1 stream with one CD (ASID @asid over @root). */
static uint64_t s1_stream(struct st *t, uint32_t sid, uint16_t asid, uint64_t root)
{
	uint64_t cd = st_alloc(t, 4096);

	st_cd(t, cd, asid, root, 25, 0);
	st_ste(t, sid, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	return cd;
}

static void test_cfgi_ste(void)
{
	uint64_t la[4], lb[4], ra, rb;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	rb = tables(&t, true, lb);
	s1_stream(&t, 1, 1, ra);
	s1_stream(&t, 2, 2, ra);
	CHECK_EQ(warm(&t, 1, false, 0, VA(0)), A(0));
	CHECK_EQ(warm(&t, 2, false, 0, VA(0)), A(0));
	/* New STEs for both, a CD of another ASID over other tables. */
	s1_stream(&t, 1, 3, rb);
	s1_stream(&t, 2, 4, rb);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), A(0));
	st_cmd_sync(&t, OP_CFGI_STE | CMD_SID(1), 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), B(0));
	CHECK_EQ(warm(&t, 1, false, 0, VA(0)), B(0));
	/* Stream 2's STE is still cached: no command for it yet. */
	CHECK_EQ(warm(&t, 2, false, 0, VA(0)), A(0));
	st_cmd_sync(&t, OP_CFGI_STE_RANGE | CMD_SID(0), 1);	/* StreamIDs 0-3 */
	CHECK_EQ(st_xlate(&t, 2, false, 0, VA(0), R), B(0));
	/* An STE made invalid: the stream faults once its entry is gone. */
	CHECK_EQ(warm(&t, 2, false, 0, VA(1)), B(1));
	st_ste(&t, 2, 0, 0, 0, 0);
	CHECK_EQ(st_xlate(&t, 2, false, 0, VA(1), R), B(1));
	st_cmd_sync(&t, OP_CFGI_STE_RANGE, 31);	/* CFGI_ALL */
	st_fault(&t, 2, false, 0, VA(1), R, SIOMMU_SMMUV3_C_BAD_STE);
	st_fini(&t);
}

static void test_cfgi_cd(void)
{
	uint64_t la[4], lb[4], ra, rb, cdt;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	rb = tables(&t, true, lb);
	/* Substreams 0-3, CDs of ASIDs 10 and 11 over the A tables. */
	cdt = st_alloc(&t, 4096);
	st_cd(&t, cdt + 64, 10, ra, 25, 0);
	st_cd(&t, cdt + 128, 11, ra, 25, 0);
	st_ste(&t, 5, STE_V | STE_CFG(5) | cdt | STE_CDMAX(2), STE1_S1DSS(2), 0, 0);
	CHECK_EQ(warm(&t, 5, true, 1, VA(0)), A(0));
	CHECK_EQ(warm(&t, 5, true, 2, VA(0)), A(0));
	st_cd(&t, cdt + 64, 12, rb, 25, 0);
	st_cd(&t, cdt + 128, 13, rb, 25, 0);
	CHECK_EQ(st_xlate(&t, 5, true, 1, VA(0), R), A(0));
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(5) | CMD_SSID(1), 0);
	CHECK_EQ(warm(&t, 5, true, 1, VA(0)), B(0));
	CHECK_EQ(warm(&t, 5, true, 2, VA(0)), A(0));
	st_cmd_sync(&t, OP_CFGI_CD_ALL | CMD_SID(5), 0);
	CHECK_EQ(st_xlate(&t, 5, true, 2, VA(0), R), B(0));
	/* The same page without a SubstreamID is another entry (S1DSS: CD 0,
	 * which is not valid). */
	st_fault(&t, 5, false, 0, VA(0), R, SIOMMU_SMMUV3_C_BAD_CD);
	st_fini(&t);
}

static void test_tlbi_asid_shared(void)
{
	uint64_t la[4], lc[4], ra, rc, cdt;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	rc = tables(&t, false, lc);
	/* Streams 1 and 2 and substream 3 of stream 4 share ASID 7 (and
	 * the A tables); stream 3 has ASID 8 over tables of its own. */
	s1_stream(&t, 1, 7, ra);
	s1_stream(&t, 2, 7, ra);
	s1_stream(&t, 3, 8, rc);
	cdt = st_alloc(&t, 4096);
	st_cd(&t, cdt + 3 * 64, 7, ra, 25, 0);
	st_ste(&t, 4, STE_V | STE_CFG(5) | cdt | STE_CDMAX(2), 0, 0, 0);
	CHECK_EQ(warm(&t, 1, false, 0, VA(2)), A(2));
	CHECK_EQ(warm(&t, 2, false, 0, VA(2)), A(2));
	CHECK_EQ(warm(&t, 4, true, 3, VA(2)), A(2));
	CHECK_EQ(warm(&t, 3, false, 0, VA(2)), A(2));
	st_st(&t, la[2], B(2) | S1_RW | 3);
	st_st(&t, lc[2], B(2) | S1_RW | 3);
	/* Before the command every stream keeps its translation. */
	CHECK_EQ(st_xlate(&t, 2, false, 0, VA(2), R), A(2));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(7), 0);
	CHECK_EQ(warm(&t, 1, false, 0, VA(2)), B(2));
	CHECK_EQ(warm(&t, 2, false, 0, VA(2)), B(2));
	CHECK_EQ(warm(&t, 4, true, 3, VA(2)), B(2));
	CHECK_EQ(warm(&t, 3, false, 0, VA(2)), A(2));
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(8), 0);
	CHECK_EQ(st_xlate(&t, 3, false, 0, VA(2), R), B(2));
	st_fini(&t);
}

static void test_tlbi_va(void)
{
	uint64_t la[4], ra, leaf, i;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	s1_stream(&t, 1, 1, ra);
	for (i = 0; i < 4; i++)
		CHECK_EQ(warm(&t, 1, false, 0, VA(i)), A(i));
	for (i = 0; i < 4; i++)
		st_st(&t, la[i], B(i) | S1_RW | 3);
	st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(1), VA(1));
	for (i = 0; i < 4; i++)
		CHECK_EQ(warm(&t, 1, false, 0, VA(i)), i == 1 ? B(i) : A(i));
	/* A 2M entry at 1G, seen from two of its pages. */
	leaf = st_map(&t, ra, 1, 39, 0x40000000, POOL + 0x400000, 2, S1_RW, 0);
	CHECK_EQ(warm(&t, 1, false, 0, 0x40000000), POOL + 0x400000);
	CHECK_EQ(warm(&t, 1, false, 0, 0x40123000), POOL + 0x523000);
	st_st(&t, leaf, (POOL + 0x800000) | S1_RW | 1);
	st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(1), 0x401ff000);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40123000, R), POOL + 0x923000);
	CHECK_EQ(st_xlate(&t, 1, false, 0, 0x40000000, R), POOL + 0x800000);
	st_fini(&t);
}

static void test_smmuen(void)
{
	uint64_t la[4], ra;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	s1_stream(&t, 1, 1, ra);
	CHECK_EQ(warm(&t, 1, false, 0, VA(0)), A(0));
	/* SMMUEN clear, GBPA bypass: the address goes through as it is. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), VA(0));
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), VA(0));
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	CHECK_EQ(warm(&t, 1, false, 0, VA(0)), A(0));
	st_fini(&t);
}

static void test_perm(void)
{
	uint64_t la[4], ra;
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	st_st(&t, la[0], A(0) | S1_RO | 3);
	/* Privileged only (AP[1] clear), read-write. */
	st_st(&t, la[1], A(1) | PTE_AF | 3);
	s1_stream(&t, 1, 1, ra);
	CHECK_EQ(warm(&t, 1, false, 0, VA(0)), A(0));
	st_fault(&t, 1, false, 0, VA(0), W, SIOMMU_SMMUV3_F_PERMISSION);
	st_fault(&t, 1, false, 0, VA(1), R, SIOMMU_SMMUV3_F_PERMISSION);
	r = st_req(1, false, 0, VA(1) + 8, R | W);
	r.priv = true;
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, A(1) + 8);
	CHECK_EQ(x.perm & (R | W), R | W);
	/* The privileged request's entry grants the unprivileged nothing. */
	st_fault(&t, 1, false, 0, VA(1), R, SIOMMU_SMMUV3_F_PERMISSION);
	st_fini(&t);
}

static void test_gen_wrap(void)
{
	uint64_t la[4], ra;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	s1_stream(&t, 1, 1, ra);
	smmu_gen_set(t.s, (1ull << 32) - 2);
	CHECK_EQ(warm(&t, 1, false, 0, VA(0)), A(0));
	st_st(&t, la[0], B(0) | S1_RW | 3);
	/* The generation passes 2^32 here, */
	st_cmd_sync(&t, OP_TLBI_NH_ASID | CMD_ASID(1), 0);
	/* and 2^32 - 2 invalidations later its low half is the entry's
	 * again; none of them wrapped it. */
	smmu_gen_set(t.s, (1ull << 33) - 2);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), B(0));
	st_fini(&t);
}

static void test_stats(void)
{
	struct siommu_smmuv3_stats a, b;
	uint64_t la[4], ra;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	s1_stream(&t, 1, 1, ra);
	warm(&t, 1, false, 0, VA(0));
	siommu_smmuv3_get_stats(t.s, &a);
	st_xlate(&t, 1, false, 0, VA(0), R);
	siommu_smmuv3_get_stats(t.s, &b);
	CHECK_EQ(b.tlb_hit - a.tlb_hit, 1);
	CHECK_EQ(b.ste_hit - a.ste_hit, 1);
	CHECK_EQ(b.cd_hit - a.cd_hit, 1);
	CHECK_EQ(b.walks, a.walks);
	/* An entry ended by a command for another stream is made again from
	 * the TLB hit, and counts the same. */
	st_cmd_sync(&t, OP_CFGI_STE | CMD_SID(9), 0);
	st_xlate(&t, 1, false, 0, VA(0), R);
	siommu_smmuv3_get_stats(t.s, &a);
	st_xlate(&t, 1, false, 0, VA(0), R);
	siommu_smmuv3_get_stats(t.s, &b);
	CHECK_EQ(b.tlb_hit - a.tlb_hit, 1);
	CHECK_EQ(b.ste_hit - a.ste_hit, 1);
	CHECK_EQ(b.cd_hit - a.cd_hit, 1);
	CHECK_EQ(b.walks, a.walks);
	st_fini(&t);
}

static void count_fill(void *opaque, enum smmu_cache cache)
{
	unsigned int *n = opaque;

	n[cache]++;
}

static void test_fill_on_tlb_hit(void)
{
	unsigned int n[SMMU_CACHE_XC + 1] = { 0 };
	uint64_t la[4], ra;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	s1_stream(&t, 1, 1, ra);
	smmu_fill_hook_set(t.s, count_fill, n);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), A(0));
	CHECK_EQ(n[SMMU_CACHE_TLB], 1);
	CHECK_EQ(n[SMMU_CACHE_XC], 0);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0), R), A(0));
	CHECK_EQ(n[SMMU_CACHE_TLB], 1);
	CHECK_EQ(n[SMMU_CACHE_XC], 1);
	CHECK_EQ(st_xlate(&t, 1, false, 0, VA(0) + 8, R), A(0) + 8);
	CHECK_EQ(n[SMMU_CACHE_XC], 1);
	CHECK_EQ(n[SMMU_CACHE_STE] + n[SMMU_CACHE_CD], 2);
	smmu_fill_hook_set(t.s, NULL, NULL);
	st_fini(&t);
}

static void test_req_key(void)
{
	unsigned int n[SMMU_CACHE_XC + 1] = { 0 };
	struct siommu_smmuv3_req r;
	uint8_t buf[8];
	uint64_t la[4], ra;
	unsigned int i;
	size_t done;
	struct st t;

	st_init(&t, NULL);
	ra = tables(&t, false, la);
	s1_stream(&t, 1, 1, ra);
	warm(&t, 1, false, 0, VA(0));
	smmu_fill_hook_set(t.s, count_fill, n);
	CHECK_EQ(st_xlate(&t, 1, false, 0xffffffff, VA(0) + 8, R), A(0) + 8);
	r = st_req(1, false, 0x100000, VA(0), R);
	CHECK_OK(siommu_smmuv3_dma_read(t.s, &r, buf, sizeof(buf), &done, NULL));
	CHECK_EQ(done, sizeof(buf));
	/* Both hit the combined entry: nothing was filled. */
	for (i = 0; i <= SMMU_CACHE_XC; i++)
		CHECK_EQ(n[i], 0);
	r.ssv = true;
	CHECK_EQ(siommu_smmuv3_dma_read(t.s, &r, buf, sizeof(buf), &done, NULL), -EINVAL);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &(struct siommu_smmuv3_xlate){ 0 }), -EINVAL);
	smmu_fill_hook_set(t.s, NULL, NULL);
	st_fini(&t);
}

int main(void)
{
	test_cfgi_ste();
	test_cfgi_cd();
	test_tlbi_asid_shared();
	test_tlbi_va();
	test_smmuen();
	test_perm();
	test_gen_wrap();
	test_stats();
	test_fill_on_tlb_hit();
	test_req_key();
	return 0;
}
