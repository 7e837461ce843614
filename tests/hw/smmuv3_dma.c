/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 DMA and translate-and-access: transfers across pages and page
 * sizes, a fault in the middle (bytes done, the event), outputs that are
 * not RAM, access callbacks and their pieces, one-page transfers into the
 * frame pool and into RAM outside it, bad arguments.
 */
#include "smmuv3_test.h"

#define POOL 0x100000000ull

static const uint32_t R = SIOMMU_SMMUV3_READ, W = SIOMMU_SMMUV3_WRITE;

struct pieces {
	unsigned int n;
	size_t off[8], len[8];
	int stop_at;
};

static int piece(void *arg, void *host, size_t len, size_t off)
{
	struct pieces *p = arg;

	(void)host;
	if (p->n < 8) {
		p->off[p->n] = off;
		p->len[p->n] = len;
	}
	return (int)++p->n == p->stop_at ? 42 : 0;
}

static void test_dma(void)
{
	struct siommu_smmuv3_req r = st_req(1, false, 0, 0, 0);
	struct siommu_smmuv3_xlate x;
	uint8_t buf[3 * 4096], back[3 * 4096];
	uint64_t root, cd, f1, f2, f3;
	struct pieces p = { 0 };
	size_t done, i;
	struct st t;

	st_init(&t, NULL);
	f1 = st_alloc(&t, 4096);
	f2 = st_alloc(&t, 4096);
	f3 = st_alloc(&t, 4096);
	root = st_table(&t);
	/* Three scattered pages, then a page whose output is not RAM. */
	st_map(&t, root, 1, 39, 0x10000, f3, 3, S1_RW, 0);
	st_map(&t, root, 1, 39, 0x11000, f1, 3, S1_RW, 0);
	st_map(&t, root, 1, 39, 0x12000, f2, 3, S1_RW, 0);
	st_map(&t, root, 1, 39, 0x13000, 0x10000, 3, S1_RW, 0);
	cd = st_alloc(&t, 4096);
	st_cd(&t, cd, 1, root, 25, 0);
	st_ste(&t, 1, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	r.iova = 0x10800;
	CHECK_OK(siommu_smmuv3_dma_write(t.s, &r, buf, 2 * 4096, &done, &x));
	CHECK_EQ(done, 2 * 4096);
	CHECK_OK(siommu_mem_read(t.mem, f3 + 0x800, back, 0x800));
	CHECK_OK(memcmp(back, buf, 0x800));
	CHECK_OK(siommu_mem_read(t.mem, f1, back, 4096));
	CHECK_OK(memcmp(back, buf + 0x800, 4096));
	memset(back, 0, sizeof(back));
	CHECK_OK(siommu_smmuv3_dma_read(t.s, &r, back, 2 * 4096, &done, &x));
	CHECK_OK(memcmp(back, buf, 2 * 4096));
	/* Into the page whose output is not RAM: -EFAULT, no event. */
	r.iova = 0x12f00;
	CHECK_EQ(siommu_smmuv3_dma_read(t.s, &r, back, 0x200, &done, &x), -EFAULT);
	CHECK_EQ(done, 0x100);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_EVT_NONE);
	st_no_event(&t);
	/* Past the mapped pages: a translation fault after what was done. */
	st_st(&t, st_map(&t, root, 1, 39, 0x13000, 0, 3, 0, 0), 0);
	st_cmd_sync(&t, OP_TLBI_NH_VA | CMD_ASID(1), 0x13000);
	r.iova = 0x12ff0;
	CHECK_EQ(siommu_smmuv3_dma_write(t.s, &r, buf, 0x20, &done, &x), -EFAULT);
	CHECK_EQ(done, 0x10);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK(x.event_recorded);
	{
		uint64_t rec[4];

		st_expect_event(&t, SIOMMU_SMMUV3_F_TRANSLATION, 1, rec);
		CHECK_EQ(rec[2], 0x13000);
		CHECK_EQ(rec[1] & (1ull << 35), 0);	/* a write */
	}
	/* Access: one piece per page, offsets from the start. */
	r.iova = 0x10ff0;
	r.len = 0x1020;
	r.access = R | W;
	CHECK_OK(siommu_smmuv3_access(t.s, &r, piece, &p, &x));
	CHECK_EQ(p.n, 3);
	CHECK_EQ(p.off[0], 0);
	CHECK_EQ(p.len[0], 0x10);
	CHECK_EQ(p.off[1], 0x10);
	CHECK_EQ(p.len[1], 0x1000);
	CHECK_EQ(p.off[2], 0x1010);
	CHECK_EQ(p.len[2], 0x10);
	p.n = 0;
	r.len = 0x2000;
	p.stop_at = 2;
	CHECK_EQ(siommu_smmuv3_access(t.s, &r, piece, &p, &x), 42);
	/* One page, whole and in part, again and again (the later ones
	 * through the combined cache), into the frame pool and into RAM
	 * outside it. */
	CHECK_OK(siommu_mem_add_ram(t.mem, 0x70000000, 0x1000, NULL));
	st_map(&t, root, 1, 39, 0x14000, 0x70000000, 3, S1_RW, 0);
	for (i = 0; i < 6; i++) {
		size_t len = i & 1 ? 4096 : 0x40 + i;
		uint64_t pa = i < 4 ? f1 : 0x70000000;

		r.iova = i < 4 ? 0x11000 : 0x14000;
		CHECK_OK(siommu_smmuv3_dma_write(t.s, &r, buf + i, len, &done, &x));
		CHECK_EQ(done, len);
		CHECK_OK(siommu_mem_read(t.mem, pa, back, len));
		CHECK_OK(memcmp(back, buf + i, len));
		memset(back, 0, sizeof(back));
		CHECK_OK(siommu_smmuv3_dma_read(t.s, &r, back, len, &done, &x));
		CHECK_EQ(done, len);
		CHECK_OK(memcmp(back, buf + i, len));
	}
	/* Bad arguments. */
	r.iova = ~0ull - 10;
	CHECK_EQ(siommu_smmuv3_dma_read(t.s, &r, back, 100, &done, &x), -EINVAL);
	CHECK_EQ(siommu_smmuv3_dma_read(t.s, &r, NULL, 100, &done, &x), -EINVAL);
	CHECK_EQ(siommu_smmuv3_access(t.s, &r, NULL, NULL, &x), -EINVAL);
	r.access = 8;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EINVAL);
	r.access = R;
	r.ssv = true;
	r.ssid = 1u << 20;
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EINVAL);
	CHECK_EQ(siommu_smmuv3_translate(t.s, NULL, &x), -EINVAL);
	st_fini(&t);
}

/* SMMUEN clear and GBPA bypass: DMA goes to the address as given. */
static void test_bypass_dma(void)
{
	struct siommu_smmuv3_req r = st_req(1, false, 0, 0, 0);
	uint8_t data[64] = { 1, 2, 3 }, back[64];
	uint64_t pa;
	struct st t;

	st_create(&t, NULL);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, 4096, SIOMMU_MEM_DMA, &pa));
	r.iova = pa + 4000;
	CHECK_OK(siommu_smmuv3_dma_write(t.s, &r, data, sizeof(data), NULL, NULL));
	CHECK_OK(siommu_mem_read(t.mem, pa + 4000, back, sizeof(back)));
	CHECK_OK(memcmp(back, data, sizeof(data)));
	st_fini(&t);
}

int main(void)
{
	test_dma();
	test_bypass_dma();
	return 0;
}
