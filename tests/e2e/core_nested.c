/* SPDX-License-Identifier: MIT */
/*
 * Nested domains on VT-d (VT-d 3.8): a guest's first-stage table, built in
 * guest memory by hand, over a second-stage parent domain that maps guest
 * memory to physical pages. Device DMA reaches what both stages say; the
 * guest's own changes stay hidden by the IOTLB until it invalidates them,
 * the parent's changes take effect at once; every error changes nothing;
 * fail-nth over allocation and attach.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <siommu/core.h>
#include <siommu/mem.h>
#include <siommu/pasid.h>
#include <siommu/pt.h>
#include <siommu/vtd.h>

#include "core_test.h"

#define RID 0x100
#define IOVA 0x400000ull
/* Guest memory: GPA [0, GUEST_SIZE) of which tables take the first
 * pages and data the pages from GPA_DATA; each GPA page is mapped by the
 * parent to the physical page at guest_pa + its offset, except where a
 * test moves it. */
#define GUEST_SIZE 0x200000ull
#define GPA_DATA 0x100000ull
#define FS_RW 0x7ull		/* P, R/W, U/S */

struct guest {
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *parent;
	uint64_t pa;			/* host-physical base of guest memory */
	uint64_t next_table;		/* bump allocator of table GPAs */
	uint64_t root;			/* GPA of the first-stage root */
};

static void gpa_store(struct guest *g, uint64_t gpa, uint64_t val)
{
	CHECK_OK(siommu_mem_store64(g->mem, g->pa + gpa, val));
}

static uint64_t gpa_load(struct guest *g, uint64_t gpa)
{
	uint64_t v;

	CHECK_OK(siommu_mem_load64(g->mem, g->pa + gpa, &v));
	return v;
}

/* Map @iova to @gpa (4K) in the guest's 4-level first-stage table. */
static void guest_map(struct guest *g, uint64_t iova, uint64_t gpa)
{
	uint64_t table = g->root;
	int level;

	for (level = 4; level > 1; level--) {
		uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
		uint64_t e = gpa_load(g, slot);

		if (!(e & 1)) {
			e = g->next_table | FS_RW;
			g->next_table += 0x1000;
			CHECK(g->next_table <= GPA_DATA);
			gpa_store(g, slot, e);
		}
		table = e & ~0xfffull & ((1ull << 52) - 1);
	}
	gpa_store(g, table + ((iova >> 12) & 511) * 8, gpa | FS_RW);
}

static void setup(struct guest *g)
{
	uint8_t page[4096];
	uint64_t i;

	memset(g, 0, sizeof(*g));
	CHECK_OK(siommu_ctx_create(NULL, &g->ctx));
	g->mem = siommu_ctx_mem(g->ctx);
	CHECK_OK(siommu_unit_add_vtd(g->ctx, NULL, &g->unit));
	g->dev = test_dev_add(g->unit, RID, 20, 0);
	CHECK_OK(siommu_domain_alloc(g->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &g->parent));
	CHECK_OK(siommu_mem_frame_alloc(g->mem, GUEST_SIZE, SIOMMU_MEM_DMA, &g->pa));
	/* 4K at a time, so that a test can move one page. */
	for (i = 0; i < GUEST_SIZE; i += 4096)
		CHECK_OK(siommu_domain_map(g->parent, i, g->pa + i, 4096,
					   SIOMMU_PROT_READ | SIOMMU_PROT_WRITE));
	/* Data pages: page n holds bytes n, n+1, ... */
	for (i = GPA_DATA; i < GUEST_SIZE; i += 4096) {
		for (unsigned int b = 0; b < sizeof(page); b++)
			page[b] = (uint8_t)(i / 4096 + b);
		CHECK_OK(siommu_mem_write(g->mem, g->pa + i, page, sizeof(page)));
	}
	g->root = 0x1000;
	g->next_table = 0x2000;
}

static void teardown(struct guest *g)
{
	siommu_ctx_destroy(g->ctx);
}

static struct siommu_hwpt_vtd_s1 s1_of(struct guest *g)
{
	return (struct siommu_hwpt_vtd_s1){ .pgtbl_addr = g->root, .addr_width = 48 };
}

/* The first byte device DMA reads at @iova (RID, or @pasid), -1: a fault. */
static int dma_byte(struct guest *g, bool pp, uint32_t pasid, uint64_t iova)
{
	struct siommu_vtd_req req = { .rid = RID, .pasid_present = pp, .pasid = pasid,
				      .iova = iova };
	uint8_t b;

	if (siommu_vtd_dma_read(siommu_unit_vtd(g->unit), &req, &b, 1, NULL, NULL))
		return -1;
	return b;
}

static uint8_t page_byte(uint64_t gpa)
{
	return (uint8_t)(gpa / 4096);
}

static int inval(struct siommu_domain *dom, uint64_t addr, uint64_t npages, uint32_t flags)
{
	struct siommu_hwpt_vtd_s1_invalidate e = { addr, npages, flags, 0 };
	uint32_t n = 1;
	int ret = siommu_domain_cache_invalidate(dom, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &e,
						 sizeof(e), &n);

	CHECK_EQ(n, ret ? 0u : 1u);
	return ret;
}

/* DMA through both stages; stale guest entries until invalidated; the
 * parent's changes at once. */
static void translate(void)
{
	struct siommu_hwpt_vtd_s1 s1;
	struct siommu_domain *nd;
	struct guest g;

	setup(&g);
	guest_map(&g, IOVA, GPA_DATA + 0x1000);
	guest_map(&g, IOVA + 0x1000, GPA_DATA + 0x2000);
	s1 = s1_of(&g);
	CHECK_OK(siommu_domain_alloc_nested(g.parent, g.unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &nd));
	CHECK_EQ(siommu_domain_type(nd), SIOMMU_DOMAIN_NESTED);
	CHECK(siommu_domain_parent(nd) == g.parent);
	CHECK(siommu_domain_parent(g.parent) == NULL);
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), -1);
	CHECK_OK(siommu_device_attach(g.dev, nd));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x1000));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA + 0x1000), page_byte(GPA_DATA + 0x2000));
	/* The guest moves IOVA to another page: cached until it says so. */
	guest_map(&g, IOVA, GPA_DATA + 0x5000);
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x1000));
	/* An invalidation of another page leaves it cached. */
	CHECK_OK(inval(nd, IOVA + 0x3000, 1, 0));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x1000));
	CHECK_OK(inval(nd, IOVA, 1, SIOMMU_VTD_INV_FLAGS_LEAF));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x5000));
	/* Everything: addr 0, npages UINT64_MAX. */
	guest_map(&g, IOVA + 0x1000, GPA_DATA + 0x6000);
	CHECK_EQ(dma_byte(&g, false, 0, IOVA + 0x1000), page_byte(GPA_DATA + 0x2000));
	CHECK_OK(inval(nd, 0, UINT64_MAX, 0));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA + 0x1000), page_byte(GPA_DATA + 0x6000));
	/* The parent moves the guest page: seen at once, no guest call,
	 * although the combined translation was cached. */
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x5000));
	CHECK_OK(siommu_domain_unmap(g.parent, GPA_DATA + 0x5000, 4096, NULL));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), -1);
	CHECK_OK(siommu_domain_map(g.parent, GPA_DATA + 0x5000, g.pa + GPA_DATA + 0x7000, 4096,
				   SIOMMU_PROT_READ));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x7000));
	/* A remap in place, unmap and map again, with the entry cached. */
	CHECK_OK(siommu_domain_unmap(g.parent, GPA_DATA + 0x5000, 4096, NULL));
	CHECK_OK(siommu_domain_map(g.parent, GPA_DATA + 0x5000, g.pa + GPA_DATA + 0x8000, 4096,
				   SIOMMU_PROT_READ));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x8000));
	/* The parent cannot go while a nested domain uses it. */
	CHECK_EQ(siommu_domain_free(g.parent), -EBUSY);
	CHECK_EQ(siommu_domain_free(nd), -EBUSY);
	/* Replace to the parent itself, and back. */
	CHECK_OK(siommu_device_attach(g.dev, g.parent));
	CHECK_EQ(dma_byte(&g, false, 0, GPA_DATA + 0x2000), page_byte(GPA_DATA + 0x2000));
	CHECK_OK(siommu_device_attach(g.dev, nd));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x8000));
	siommu_device_detach(g.dev);
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), -1);
	CHECK_OK(siommu_domain_free(nd));
	CHECK_OK(siommu_domain_free(g.parent));
	teardown(&g);
}

/* A nested domain at a PASID, next to another at the RID. */
static void pasid(void)
{
	struct siommu_hwpt_vtd_s1 s1;
	struct siommu_domain *nd, *nd2;
	struct guest g;
	uint32_t p;
	uint64_t root2;

	setup(&g);
	guest_map(&g, IOVA, GPA_DATA + 0x1000);
	s1 = s1_of(&g);
	CHECK_OK(siommu_domain_alloc_nested(g.parent, g.unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &nd));
	/* A second guest table with another view of the same IOVA. */
	root2 = g.next_table;
	g.next_table += 0x1000;
	g.root = root2;
	guest_map(&g, IOVA, GPA_DATA + 0x3000);
	s1 = s1_of(&g);
	CHECK_OK(siommu_domain_alloc_nested(g.parent, g.unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &nd2));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(g.ctx), 1, 100, 1, &p));
	CHECK_OK(siommu_device_attach(g.dev, nd));
	CHECK_OK(siommu_device_attach_pasid(g.dev, p, nd2));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x1000));
	CHECK_EQ(dma_byte(&g, true, p, IOVA), page_byte(GPA_DATA + 0x3000));
	/* An invalidation of one nested domain leaves the other's cache. */
	guest_map(&g, IOVA, GPA_DATA + 0x4000);
	g.root = 0x1000;
	guest_map(&g, IOVA, GPA_DATA + 0x2000);
	CHECK_OK(inval(nd2, IOVA, 1, 0));
	CHECK_EQ(dma_byte(&g, true, p, IOVA), page_byte(GPA_DATA + 0x4000));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x1000));
	CHECK_OK(inval(nd, IOVA, 1, 0));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA + 0x2000));
	CHECK_OK(siommu_device_detach_pasid(g.dev, p));
	CHECK_EQ(dma_byte(&g, true, p, IOVA), -1);
	teardown(&g);
}

/* Every bad request is refused and leaves nothing behind. */
static void errors(void)
{
	struct { uint8_t bytes[40]; } big;
	struct siommu_mem_stats before, after;
	struct siommu_hwpt_vtd_s1 s1;
	struct siommu_domain *fs, *ep, *nd, *x = NULL;
	struct siommu_hwpt_vtd_s1_invalidate e[3];
	struct guest g;
	uint32_t n;

	setup(&g);
	guest_map(&g, IOVA, GPA_DATA);
	CHECK_OK(siommu_domain_alloc(g.unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_FIRST }, &fs));
	CHECK_OK(siommu_domain_alloc(g.unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &ep));
	siommu_mem_get_stats(g.mem, &before);
#define NESTED_FAILS(err, par, dtype, data, len)                                        \
	do {                                                                              \
		CHECK_EQ(siommu_domain_alloc_nested((par), g.unit, (dtype), (data), (len),   \
						    &x), (err));                          \
		CHECK(x == NULL);                                                         \
		/* No child was left on the parent: it can go. */                        \
		CHECK_OK(siommu_domain_free(ep));                                         \
		CHECK_OK(siommu_domain_alloc(g.unit, &(struct siommu_domain_cfg){          \
			.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND },     \
			&ep));                                                            \
	} while (0)
	s1 = s1_of(&g);
	/* The parent must be a second-stage paging domain. */
	NESTED_FAILS(-EINVAL, fs, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	NESTED_FAILS(-EINVAL, NULL, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_NONE, &s1, sizeof(s1));
	NESTED_FAILS(-EOPNOTSUPP, ep, SIOMMU_HWPT_DATA_ARM_SMMUV3, &s1, sizeof(s1));
	NESTED_FAILS(-EOPNOTSUPP, ep, 0xdead, &s1, sizeof(s1));
	NESTED_FAILS(-EFAULT, ep, SIOMMU_HWPT_DATA_VTD_S1, NULL, sizeof(s1));
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1) - 1);
	/* Longer data is refused, zero past the structure or not. */
	memset(&big, 0, sizeof(big));
	memcpy(&big, &s1, sizeof(s1));
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &big, sizeof(big));
	big.bytes[39] = 1;
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &big, sizeof(big));
	s1.flags = 1ull << 3;
	NESTED_FAILS(-EOPNOTSUPP, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	s1 = s1_of(&g);
	s1.__reserved = 1;
	NESTED_FAILS(-EOPNOTSUPP, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	s1 = s1_of(&g);
	s1.addr_width = 39;
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	s1 = s1_of(&g);
	s1.pgtbl_addr |= 0x800;
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	s1 = s1_of(&g);
	s1.pgtbl_addr = 1ull << 50;
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	s1 = s1_of(&g);
	s1.flags = SIOMMU_VTD_S1_EAFE;
	NESTED_FAILS(-EINVAL, ep, SIOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	siommu_mem_get_stats(g.mem, &after);
	CHECK_EQ(before.pool_free_bytes, after.pool_free_bytes);

	/* A nested domain has no mappings of its own. */
	s1 = s1_of(&g);
	s1.flags = SIOMMU_VTD_S1_SRE | SIOMMU_VTD_S1_WPE;
	CHECK_OK(siommu_domain_alloc_nested(g.parent, g.unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &nd));
	CHECK(siommu_domain_pt(nd) == NULL);
	CHECK_EQ(siommu_domain_map(nd, 0, g.pa, 4096, SIOMMU_PROT_READ), -EINVAL);
	CHECK_EQ(siommu_domain_unmap(nd, 0, 4096, NULL), -EINVAL);
	/* Nesting stops at one level. */
	CHECK_EQ(siommu_domain_alloc_nested(nd, g.unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &x), -EINVAL);
	CHECK_OK(siommu_device_attach(g.dev, nd));
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA));

	/* Invalidation arrays: handled entries are counted up to the bad one. */
#define INV_E(len, num) (n = (num), siommu_domain_cache_invalidate(nd,                  \
					SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, (len), &n))
	memset(e, 0, sizeof(e));
	e[0].addr = IOVA;
	e[0].npages = 1;
	e[1] = e[0];
	e[2] = e[0];
	CHECK_OK(INV_E(sizeof(e[0]), 3));
	CHECK_EQ(n, 3);
	e[1].flags = 2;
	CHECK_EQ(INV_E(sizeof(e[0]), 3), -EOPNOTSUPP);
	CHECK_EQ(n, 1);
	e[1].flags = 0;
	e[1].__reserved = 1;
	CHECK_EQ(INV_E(sizeof(e[0]), 3), -EOPNOTSUPP);
	CHECK_EQ(n, 1);
	e[1].__reserved = 0;
	e[2].addr = IOVA + 1;
	CHECK_EQ(INV_E(sizeof(e[0]), 3), -EINVAL);
	CHECK_EQ(n, 2);
	e[2].addr = IOVA;
	e[2].npages = UINT64_MAX;
	CHECK_EQ(INV_E(sizeof(e[0]), 3), -EINVAL);
	CHECK_EQ(n, 2);
	e[2].npages = 1;
	/* entry_len: shorter than the structure, or longer. */
	CHECK_EQ(INV_E(sizeof(e[0]) - 4, 3), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(INV_E(sizeof(e[0]) + 8, 2), -EINVAL);
	CHECK_EQ(n, 0);
	{
		/* Zero past the structure does not make a longer entry fine. */
		uint64_t wide[8] = { IOVA, 1, 0, 0, IOVA, 1, 0, 0 };

		n = 2;
		CHECK_EQ(siommu_domain_cache_invalidate(nd, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
							wide, 32, &n), -EINVAL);
		CHECK_EQ(n, 0);
	}
	/* A type the unit does not take; entry_num 0 only checks it. */
	n = 0;
	CHECK_OK(siommu_domain_cache_invalidate(nd, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, NULL,
						sizeof(e[0]), &n));
	n = 0;
	CHECK_EQ(siommu_domain_cache_invalidate(nd, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
						NULL, 16, &n), -EINVAL);
	n = 1;
	CHECK_EQ(siommu_domain_cache_invalidate(nd, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, NULL,
						sizeof(e[0]), &n), -EFAULT);
	n = 1;
	CHECK_EQ(siommu_domain_cache_invalidate(g.parent, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e,
						sizeof(e[0]), &n), -EINVAL);
	/* A nested domain of VT-d is not an SMMUv3 unit's to walk. */
	{
		struct siommu_unit *su;
		struct siommu_device *sd;

		CHECK_OK(siommu_unit_add_smmuv3(g.ctx, NULL, &su));
		sd = test_dev_add(su, 0x200, 0, 0);
		CHECK_EQ(siommu_device_attach(sd, nd), -EINVAL);
		CHECK_EQ(siommu_domain_alloc_nested(g.parent, su, SIOMMU_HWPT_DATA_VTD_S1, &s1,
						    sizeof(s1), &x), -EINVAL);
	}
	siommu_device_detach(g.dev);
	CHECK_OK(siommu_domain_free(nd));
	CHECK_OK(siommu_domain_free(fs));
	CHECK_OK(siommu_domain_free(ep));
	teardown(&g);
}

/* A unit without nesting refuses nested domains; one without SRS their
 * SRE. */
static void unit_caps(void)
{
	struct siommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x1000, .addr_width = 48 };
	struct siommu_domain *parent, *x;
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){
		.caps = SIOMMU_VTD_CAP_ALL & ~(SIOMMU_VTD_CAP_NEST | SIOMMU_VTD_CAP_SRS) },
		&unit));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &parent));
	CHECK_EQ(siommu_domain_alloc_nested(parent, unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &x), -EOPNOTSUPP);
	siommu_ctx_destroy(ctx);
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){
		.caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_SRS }, &unit));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &parent));
	s1.flags = SIOMMU_VTD_S1_SRE;
	CHECK_EQ(siommu_domain_alloc_nested(parent, unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &x), -EINVAL);
	s1.flags = 0;
	CHECK_OK(siommu_domain_alloc_nested(parent, unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &x));
	/* Teardown frees the nested domain and its parent in either order. */
	siommu_ctx_destroy(ctx);
}

/* Fail-nth over allocation and attach: each failure changes nothing. */
static void fail_nth(void)
{
	struct siommu_hwpt_vtd_s1 s1;
	struct siommu_mem_stats a, b;
	struct siommu_domain *nd = NULL;
	struct guest g;
	uint64_t n;
	int ret;

	setup(&g);
	guest_map(&g, IOVA, GPA_DATA);
	s1 = s1_of(&g);
	for (n = 1;; n++) {
		CHECK(n < 100);
		siommu_mem_get_stats(g.mem, &b);
		siommu_mem_fail_nth(g.mem, n);
		ret = siommu_domain_alloc_nested(g.parent, g.unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
						 sizeof(s1), &nd);
		if (!ret) {
			ret = siommu_device_attach(g.dev, nd);
			if (ret)
				CHECK_OK(siommu_domain_free(nd));
		}
		siommu_mem_fail_nth(g.mem, 0);
		if (!ret)
			break;
		CHECK(ret == -ENOMEM || ret == -ENOSPC);
		siommu_mem_get_stats(g.mem, &a);
		CHECK_EQ(a.pool_free_bytes, b.pool_free_bytes);
		CHECK_EQ(dma_byte(&g, false, 0, IOVA), -1);
	}
	fprintf(stderr, "  nested alloc+attach: %" PRIu64 " fallible steps\n", n - 1);
	CHECK(n > 2);
	CHECK_EQ(dma_byte(&g, false, 0, IOVA), page_byte(GPA_DATA));
	teardown(&g);
}

int main(void)
{
	translate();
	pasid();
	errors();
	unit_caps();
	fail_nth();
	return 0;
}
