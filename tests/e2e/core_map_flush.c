/* SPDX-License-Identifier: MIT */
/*
 * What siommu_domain_map() leaves in the IOTLB.
 *
 * A map that fails part-way (-EEXIST after some leaves were written, or
 * -ENOMEM from a table allocation) takes its leaves back, but a device may
 * have cached one of them while the map was in flight. The IOTLB is made to
 * hold such a translation (the leaf is removed from the table behind the
 * domain's back, as the failed map's rollback would remove it), then the
 * failing map runs: afterwards a DMA to that page must fault, through a
 * first- and a second-stage domain (the DMA API maps through it too).
 *
 * In caching mode (CAP.CM=1) the unit may cache not-present entries, so a
 * successful map must invalidate its range; without caching mode it issues
 * no invalidation at all.
 */
#include <errno.h>

#include <siommu/core.h>

#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define XE 0x40000ull			/* cached; -EEXIST after it */
#define XN ((1ull << 30) - 0x1000)	/* cached; new levels after it */

static struct siommu_vtd *hw;

static int dma_read(uint16_t rid, uint64_t iova, uint64_t *val)
{
	struct siommu_vtd_req req = { .rid = rid, .iova = iova };
	struct siommu_vtd_xlate res;

	return siommu_vtd_dma_read(hw, &req, val, sizeof(*val), NULL, &res);
}

/*
 * Leave @x's translation (to @pa) cached in the IOTLB with @x not mapped in
 * @dom's table: what a DMA that walked @x while a failing map had its leaf
 * present leaves behind.
 */
static void cache_stale(struct siommu_domain *dom, uint16_t rid, uint64_t x,
			uint64_t pa, uint64_t expect)
{
	struct siommu_pt_gather g;
	uint64_t v = 0, done = 0;

	CHECK_OK(siommu_domain_map(dom, x, pa, 0x1000, RW));
	CHECK_OK(dma_read(rid, x, &v));
	CHECK_EQ(v, expect);
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_unmap(siommu_domain_pt(dom), x, 0x1000, &g, &done));
	CHECK_EQ(done, 0x1000);
	siommu_pt_gather_release(&g);
	/* Still cached: the unmap above flushed nothing. */
	CHECK_OK(dma_read(rid, x, &v));
	CHECK_EQ(v, expect);
}

static void failed_maps(struct siommu_ctx *ctx, struct siommu_unit *unit,
			enum siommu_domain_stage stage, uint16_t rid)
{
	struct siommu_mem *mem = siommu_ctx_mem(ctx);
	struct siommu_device *dev;
	struct siommu_domain *dom;
	uint64_t pa, pa2, v, n;
	int ret;

	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa2));
	v = 0x5a5a;
	CHECK_OK(siommu_mem_write(mem, pa, &v, sizeof(v)));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = rid, .pasid_bits = 8, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = stage }, &dom));
	CHECK_OK(siommu_device_attach(dev, dom));

	/* -EEXIST at the end of the range, after XE's leaf was written. */
	CHECK_OK(siommu_domain_map(dom, XE + 0x3000, pa2, 0x1000, RW));
	cache_stale(dom, rid, XE, pa, 0x5a5a);
	CHECK_EQ(siommu_domain_map(dom, XE, pa, 0x4000, RW), -EEXIST);
	CHECK_EQ(dma_read(rid, XE, &v), -EFAULT);
	CHECK_OK(siommu_domain_unmap(dom, XE + 0x3000, 0x1000, NULL));

	/* -ENOMEM at each fallible step of a map whose second page needs
	 * table levels that do not exist yet (a new 1G region). */
	for (n = 1;; n++) {
		CHECK(n < 64);
		cache_stale(dom, rid, XN, pa, 0x5a5a);
		siommu_mem_fail_nth(mem, n);
		ret = siommu_domain_map(dom, XN, pa, 0x2000, RW);
		siommu_mem_fail_nth(mem, 0);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM);
		CHECK_EQ(dma_read(rid, XN, &v), -EFAULT);
	}
	CHECK(n > 1);
	CHECK_OK(siommu_domain_unmap(dom, XN, 0x2000, NULL));
	siommu_device_remove(dev);
	CHECK_OK(siommu_domain_free(dom));
	siommu_mem_frame_free(mem, pa, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
	siommu_mem_frame_free(mem, pa2, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
}

/* Invalidation waits a successful map of @dom costs on @unit. */
static uint64_t map_waits(struct siommu_unit *unit, struct siommu_domain *dom,
			  uint64_t iova, uint64_t pa)
{
	struct siommu_unit_stats a, b;

	siommu_unit_get_stats(unit, &a);
	CHECK_OK(siommu_domain_map(dom, iova, pa, 0x1000, RW));
	siommu_unit_get_stats(unit, &b);
	return b.inv_waits - a.inv_waits;
}

static void caching_mode(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *plain, *cm;
	struct siommu_device *d1, *d2;
	struct siommu_domain *dom;
	uint64_t pa;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &plain));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){
		.caps = SIOMMU_VTD_CAP_ALL | SIOMMU_VTD_CAP_CM }, &cm));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), SIOMMU_SZ_4K,
					SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_device_add(plain, &(struct siommu_device_cfg){
		.rid = 0x0100, .alias_rid = SIOMMU_NO_ALIAS }, &d1));
	CHECK_OK(siommu_device_add(cm, &(struct siommu_device_cfg){
		.rid = 0x0100, .alias_rid = SIOMMU_NO_ALIAS }, &d2));
	CHECK_OK(siommu_domain_alloc(plain, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));

	/* Not attached anywhere yet: nothing to invalidate. */
	CHECK_EQ(map_waits(cm, dom, 0x1000, pa), 0);
	CHECK_OK(siommu_device_attach(d1, dom));
	CHECK_EQ(map_waits(plain, dom, 0x2000, pa), 0);
	CHECK_OK(siommu_device_attach(d2, dom));
	CHECK_EQ(map_waits(cm, dom, 0x3000, pa), 1);
	CHECK_EQ(map_waits(plain, dom, 0x4000, pa), 0);
	siommu_device_detach(d2);
	CHECK_EQ(map_waits(cm, dom, 0x5000, pa), 0);
	siommu_ctx_destroy(ctx);
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	hw = siommu_unit_vtd(unit);
	failed_maps(ctx, unit, SIOMMU_STAGE_FIRST, 0x0100);
	failed_maps(ctx, unit, SIOMMU_STAGE_SECOND, 0x0108);
	siommu_ctx_destroy(ctx);
	caching_mode();
	return 0;
}
