/* SPDX-License-Identifier: MIT */
/*
 * Which domain may be attached where, decided at attach, with nothing
 * changed on refusal:
 *   - a domain belongs to the context it was allocated in: two contexts on
 *     one siommu_mem cannot attach each other's domains, at a RID or at a
 *     PASID (-EINVAL);
 *   - a unit must be able to walk the domain's table: its stage, its width
 *     and every page size the domain may use (-EINVAL, never faults later);
 *   - the page sizes are fixed at allocation: those the unit walks, or the
 *     subset the caller asks for, so a domain made for a unit without 1G
 *     pages never maps a 1G leaf.
 */
#include <errno.h>

#include <siommu/core.h>

#include "core_test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static struct siommu_domain *dom_alloc(struct siommu_unit *unit,
				       enum siommu_domain_stage stage,
				       unsigned int ias, uint64_t pgsizes)
{
	struct siommu_domain *dom;

	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = stage, .ias = ias,
		.pgsize_bitmap = pgsizes }, &dom));
	return dom;
}

/* @a and @b (NULL: none) take @dom at their RIDs; then it is freed. */
static void accepted(struct siommu_domain *dom, struct siommu_device *a,
		     struct siommu_device *b)
{
	CHECK_OK(siommu_device_attach(a, dom));
	if (b)
		CHECK_OK(siommu_device_attach(b, dom));
	siommu_device_detach(a);
	if (b)
		siommu_device_detach(b);
	CHECK_OK(siommu_domain_free(dom));
}

/* @dev refuses @dom at its RID and at an allocated PASID; nothing moved. */
static void refused(struct siommu_ctx *ctx, struct siommu_device *dev,
		    struct siommu_domain *dom)
{
	struct siommu_pasid_space *ps = siommu_ctx_pasids(ctx);
	struct siommu_pasid_info pi;
	uint32_t p;

	CHECK_OK(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 1, &p));
	CHECK_EQ(siommu_device_attach(dev, dom), -EINVAL);
	CHECK_EQ(siommu_device_attach_pasid(dev, p, dom), -EINVAL);
	CHECK(siommu_device_domain(dev, 0) == NULL);
	CHECK(siommu_device_domain(dev, p) == NULL);
	CHECK_OK(siommu_pasid_query(ps, p, &pi));
	CHECK_EQ(pi.refs, 1);
	CHECK_OK(siommu_pasid_free(ps, p));
	/* Not attached anywhere: it can go. */
	CHECK_OK(siommu_domain_free(dom));
}

static void two_contexts(void)
{
	struct siommu_mem *mem;
	struct siommu_ctx *c1, *c2;
	struct siommu_unit *u1, *u2;
	struct siommu_device *d1, *d2;
	struct siommu_domain *dom1, *ident;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_ctx_create(&(struct siommu_ctx_cfg){ .mem = mem }, &c1));
	CHECK_OK(siommu_ctx_create(&(struct siommu_ctx_cfg){ .mem = mem }, &c2));
	CHECK_OK(siommu_unit_add_vtd(c1, NULL, &u1));
	CHECK_OK(siommu_unit_add_vtd(c2, NULL, &u2));
	d1 = test_dev_add(u1, 0x0100, 20, 0);
	d2 = test_dev_add(u2, 0x0100, 20, 0);
	dom1 = dom_alloc(u1, SIOMMU_STAGE_AUTO, 0, 0);
	CHECK_OK(siommu_device_attach(d1, dom1));
	/* In use in its own context, refused in the other. */
	CHECK_EQ(siommu_device_attach(d2, dom1), -EINVAL);
	CHECK(siommu_device_domain(d2, 0) == NULL);
	siommu_device_detach(d1);
	refused(c2, d2, dom1);
	CHECK_OK(siommu_domain_alloc(u1, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_IDENTITY }, &ident));
	refused(c2, d2, ident);
	siommu_ctx_destroy(c2);
	siommu_ctx_destroy(c1);
	siommu_mem_destroy(mem);
}

static void walkable(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *big, *small, *ss_only, *narrow, *wide;
	struct siommu_device *db, *ds, *dss, *dn, *dw;
	struct siommu_domain *dom;
	struct siommu_device_info info;
	struct siommu_pt_leaf leaf;
	struct siommu_domain_cfg cfg;
	uint64_t pa;
	const uint32_t no_large = SIOMMU_VTD_CAP_ALL & ~(SIOMMU_VTD_CAP_FS1G |
							 SIOMMU_VTD_CAP_SSLP);

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &big));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){
		.caps = no_large }, &small));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){
		.caps = SIOMMU_VTD_CAP_ALL & ~(SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_NEST) }, &ss_only));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){ .aw = 39 }, &narrow));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){ .aw = 57 }, &wide));
	db = test_dev_add(big, 0x0100, 20, 0);
	ds = test_dev_add(small, 0x0100, 20, 0);
	dss = test_dev_add(ss_only, 0x0100, 20, 0);
	dn = test_dev_add(narrow, 0x0100, 20, 0);
	dw = test_dev_add(wide, 0x0100, 20, 0);

	/* What a device reports is what a domain allocated for it gets. */
	CHECK_OK(siommu_device_get_info(db, &info));
	CHECK_EQ(info.pgsize_bitmap, SIOMMU_PGSIZE_ALL);
	CHECK_OK(siommu_device_get_info(ds, &info));
	CHECK_EQ(info.pgsize_bitmap, SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M);

	/* Page sizes: 1G leaves (either stage), or 2M (second stage), behind
	 * a unit that cannot walk them. */
	refused(ctx, ds, dom_alloc(big, SIOMMU_STAGE_FIRST, 0, 0));
	refused(ctx, ds, dom_alloc(big, SIOMMU_STAGE_SECOND, 0, 0));
	refused(ctx, ds, dom_alloc(big, SIOMMU_STAGE_SECOND, 0,
				   SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M));
	/* Narrowed at allocation, the same domains are welcome. */
	dom = dom_alloc(big, SIOMMU_STAGE_FIRST, 0, SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M);
	CHECK_OK(siommu_device_attach(ds, dom));
	CHECK_OK(siommu_device_attach(db, dom));
	/* A 1G-aligned gigabyte is mapped with 2M leaves. */
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), SIOMMU_SZ_1G,
					SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_domain_map(dom, 1ull << 30, pa, SIOMMU_SZ_1G, RW));
	CHECK_OK(siommu_pt_iova_to_phys(siommu_domain_pt(dom), 1ull << 30, &pa, &leaf));
	CHECK_EQ(leaf.size, SIOMMU_SZ_2M);
	siommu_device_detach(ds);
	siommu_device_detach(db);
	CHECK_OK(siommu_domain_unmap(dom, 1ull << 30, SIOMMU_SZ_1G, NULL));
	CHECK_OK(siommu_domain_free(dom));
	accepted(dom_alloc(big, SIOMMU_STAGE_SECOND, 0, SIOMMU_PGSIZE_4K), ds, db);
	/* Allocated for the small unit: never a 1G leaf. */
	dom = dom_alloc(small, SIOMMU_STAGE_FIRST, 0, 0);
	CHECK_OK(siommu_domain_map(dom, 1ull << 30, pa, SIOMMU_SZ_1G, RW));
	CHECK_OK(siommu_pt_iova_to_phys(siommu_domain_pt(dom), 1ull << 30, &pa, &leaf));
	CHECK_EQ(leaf.size, SIOMMU_SZ_2M);
	CHECK_OK(siommu_domain_unmap(dom, 1ull << 30, SIOMMU_SZ_1G, NULL));
	accepted(dom, db, ds);
	/* Sizes the unit lacks, or no 4K, are refused at allocation. */
	cfg = (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
					  .pgsize_bitmap = SIOMMU_PGSIZE_ALL };
	CHECK_EQ(siommu_domain_alloc(small, &cfg, &dom), -EINVAL);
	cfg.pgsize_bitmap = SIOMMU_PGSIZE_2M;
	CHECK_EQ(siommu_domain_alloc(big, &cfg, &dom), -EINVAL);

	/* Format: a first-stage table behind a unit without first stage. */
	refused(ctx, dss, dom_alloc(big, SIOMMU_STAGE_FIRST, 0, 0));
	accepted(dom_alloc(ss_only, SIOMMU_STAGE_AUTO, 0, 0), dss, NULL);

	/* Width: a 4-level second stage behind a 39-bit unit, a 5-level
	 * first stage behind a 48-bit one. */
	refused(ctx, dn, dom_alloc(big, SIOMMU_STAGE_SECOND, 48, 0));
	refused(ctx, db, dom_alloc(wide, SIOMMU_STAGE_FIRST, 57, 0));
	accepted(dom_alloc(big, SIOMMU_STAGE_SECOND, 39, 0), dn, db);
	accepted(dom_alloc(wide, SIOMMU_STAGE_FIRST, 48, 0), db, dw);
	siommu_ctx_destroy(ctx);
}

int main(void)
{
	two_contexts();
	walkable();
	return 0;
}
