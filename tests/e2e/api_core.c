/* SPDX-License-Identifier: MIT */
/*
 * siommu/core.h against its contracts alone, as a caller who reads only
 * the header would hold it to them: one table row per misuse the
 * contracts name (NULL arguments, PASID 0, SIOMMU_PASID_MAX + 1 and
 * UINT32_MAX, ranges that wrap 2^64, a domain or device of another
 * context, a PASID another layer attached: an SVA bind's, a private
 * PASID's, the DMA API's; a domain in use, duplicate RIDs and aliases),
 * each expecting exactly the errno the contract lists, and
 * each followed by a check that the refused call changed nothing: every
 * device's RID and PASID attachments, the PASIDs' references, the
 * unit's domain IDs and the memory in use, and the layers' DMA still
 * translating through their PASIDs. Then the sequences a careless
 * caller makes: attach twice, detach twice, detach what was never
 * attached, free a domain with users, replace back and forth.
 */
#include <errno.h>

#include <siommu/core.h>
#include <siommu/dma.h>
#include <siommu/ppasid.h>
#include <siommu/sva.h>

#include "core_test.h"
#include "core_unit.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define NR_DEVS 6
#define NR_PASIDS 6
#define PP_IOVA 0x400000ull
#define PATTERN 0x5a5aa5a5c3c33c3cull

struct fx {
	struct siommu_ctx *ctx, *xctx;
	struct siommu_unit *unit, *xunit;
	struct siommu_device *dev;	/* 20-bit PASIDs, PRI */
	struct siommu_device *peer;	/* another device of the unit */
	struct siommu_device *nopasid;	/* no PASIDs */
	struct siommu_device *narrow;	/* 4-bit PASIDs */
	struct siommu_device *xdev;	/* behind another context's unit */
	struct siommu_device *dmadev;	/* the DMA API's, with its PASID */
	struct siommu_domain *pg, *pg2, *ident, *xpg, *sva_dom;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct siommu_ppasid *pp;	/* on dev and peer */
	uint32_t p;			/* allocated, attached to pg on dev */
	uint32_t pmax;			/* SIOMMU_PASID_MAX, allocated */
	uint32_t unalloc;		/* never allocated */
	uint32_t sva_pasid;
	uint32_t pp_pasid, dma_pasid;
	uint64_t buf;			/* holds PATTERN */
	uint64_t dma_iova;		/* buf, mapped by the DMA API */
};

/* What a refused call must leave as it was. */
struct snap {
	struct siommu_domain *rid[NR_DEVS];
	struct siommu_domain *pas[NR_DEVS][NR_PASIDS];
	uint32_t refs[NR_PASIDS];
	uint64_t mem_hw, mem_pt, domain_ids;
	uint32_t pasids_in_use;
	unsigned int groups[NR_DEVS];
	uint64_t ptpages;
};

#include "api_rows.h"

static void snap_take(const struct fx *f, struct snap *s)
{
	struct siommu_device *devs[NR_DEVS] = { f->dev, f->peer, f->nopasid, f->narrow,
						f->xdev, f->dmadev };
	uint32_t ps[NR_PASIDS] = { f->p, f->pmax, f->unalloc, f->sva_pasid, f->pp_pasid,
				   f->dma_pasid };
	struct siommu_mem_stats m;
	struct siommu_unit_stats u;
	struct siommu_pasid_stats pst;
	unsigned int i, j;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NR_DEVS; i++) {
		struct siommu_device_info di;

		s->rid[i] = siommu_device_domain(devs[i], 0);
		for (j = 0; j < NR_PASIDS; j++)
			s->pas[i][j] = siommu_device_domain(devs[i], ps[j]);
		CHECK_OK(siommu_device_get_info(devs[i], &di));
		s->groups[i] = di.group_size;
	}
	for (j = 0; j < NR_PASIDS; j++) {
		struct siommu_pasid_info pi;

		if (!siommu_pasid_query(siommu_ctx_pasids(f->ctx), ps[j], &pi))
			s->refs[j] = pi.refs;
	}
	siommu_mem_get_stats(siommu_ctx_mem(f->ctx), &m);
	s->mem_hw = m.in_use[SIOMMU_MEM_HW];
	s->mem_pt = m.in_use[SIOMMU_MEM_PT];
	siommu_unit_get_stats(f->unit, &u);
	s->domain_ids = u.domain_ids;
	siommu_pasid_get_stats(siommu_ctx_pasids(f->ctx), &pst);
	s->pasids_in_use = pst.in_use;
	s->ptpages = siommu_pt_table_pages(siommu_domain_pt(f->pg));
}

/* A read of PATTERN by @dev's RID tagged with @pasid at @iova. */
static void pattern_reads(const struct fx *f, struct siommu_device *dev, uint32_t pasid,
			  uint64_t iova)
{
	struct siommu_device_info di;
	uint64_t v = 0;

	CHECK_OK(siommu_device_get_info(dev, &di));
	CHECK_OK(test_unit_dma_read(f->unit, di.rid, true, pasid, iova, &v, sizeof(v), NULL));
	CHECK_EQ(v, PATTERN);
}

/* The layers that attached PASIDs for objects of their own still
 * translate through them: the private PASID on both its devices, the
 * DMA API's PASID. */
static void layers_ok(struct fx *f)
{
	pattern_reads(f, f->dev, f->pp_pasid, PP_IOVA);
	pattern_reads(f, f->peer, f->pp_pasid, PP_IOVA);
	pattern_reads(f, f->dmadev, f->dma_pasid, f->dma_iova);
}

static void fx_init(struct fx *f)
{
	struct siommu_pasid_space *ps;
	uint64_t pattern = PATTERN;
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	unsigned int pri = test_unit_dev_flags(SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);

	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_ctx_create(NULL, &f->ctx));
	CHECK_OK(siommu_ctx_create(NULL, &f->xctx));
	CHECK_OK(test_unit_add(f->ctx, NULL, &f->unit));
	CHECK_OK(test_unit_add(f->xctx, NULL, &f->xunit));
	f->dev = test_dev_add(f->unit, 0x0100, 20, pri);
	f->peer = test_dev_add(f->unit, 0x0200, 20, 0);
	f->nopasid = test_dev_add(f->unit, 0x0300, 0, 0);
	f->narrow = test_dev_add(f->unit, 0x0400, 4, 0);
	f->xdev = test_dev_add(f->xunit, 0x0100, 20, 0);
	CHECK_OK(siommu_domain_alloc(f->unit, &paging, &f->pg));
	CHECK_OK(siommu_domain_alloc(f->unit, &paging, &f->pg2));
	CHECK_OK(siommu_domain_alloc(f->xunit, &paging, &f->xpg));
	CHECK_OK(siommu_domain_alloc(f->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_IDENTITY }, &f->ident));
	CHECK_OK(siommu_domain_map(f->pg, 0x100000, 0x100000, 0x10000, RW));
	CHECK_OK(siommu_device_attach(f->dev, f->pg));
	ps = siommu_ctx_pasids(f->ctx);
	CHECK_OK(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 1, &f->p));
	CHECK_OK(siommu_pasid_alloc(ps, SIOMMU_PASID_MAX, SIOMMU_PASID_MAX, 1, &f->pmax));
	f->unalloc = 1000;
	CHECK_OK(siommu_device_attach_pasid(f->dev, f->p, f->pg));
	CHECK_OK(siommu_mm_create(f->ctx, &(struct siommu_mm_cfg){ .owner = 2,
		.cpu = test_unit_type() == TEST_UNIT_SMMUV3 ? SIOMMU_MM_CPU_ARM64 :
							       SIOMMU_MM_CPU_X86_64 }, &f->mm));
	CHECK_OK(siommu_sva_bind(f->dev, f->mm, &f->sva));
	f->sva_pasid = siommu_sva_pasid(f->sva);
	f->sva_dom = siommu_device_domain(f->dev, f->sva_pasid);
	CHECK(f->sva_dom && siommu_domain_type(f->sva_dom) == SIOMMU_DOMAIN_SVA);

	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(f->ctx), SIOMMU_PAGE_SIZE,
					SIOMMU_MEM_OTHER, &f->buf));
	CHECK_OK(siommu_mem_write(siommu_ctx_mem(f->ctx), f->buf, &pattern, sizeof(pattern)));
	CHECK_OK(siommu_ppasid_alloc((struct siommu_device *[]){ f->dev, f->peer }, 2, 3,
				     &f->pp));
	f->pp_pasid = siommu_ppasid_pasid(f->pp);
	CHECK_OK(siommu_ppasid_map(f->pp, PP_IOVA, f->buf, SIOMMU_PAGE_SIZE, RW));
	f->dmadev = test_dev_add(f->unit, 0x0700, 20, 0);
	CHECK_OK(siommu_dma_setup(f->dmadev, NULL));
	CHECK_OK(siommu_dma_enable_pasid(f->dmadev, &f->dma_pasid));
	CHECK_OK(siommu_dma_map_single(f->dmadev, f->buf, sizeof(pattern),
				       SIOMMU_DMA_TO_DEVICE, &f->dma_iova));
	layers_ok(f);
}

static void fx_fini(struct fx *f)
{
	siommu_ppasid_free(f->pp);
	siommu_sva_unbind(f->sva);
	siommu_mm_exit(f->mm);
	siommu_ctx_destroy(f->xctx);
	siommu_ctx_destroy(f->ctx);
}

/* ---- the rows ---- */

static int attach_null_dev(struct fx *f) { return siommu_device_attach(NULL, f->pg); }
static int attach_null_dom(struct fx *f) { return siommu_device_attach(f->peer, NULL); }
static int attach_xctx_dom(struct fx *f) { return siommu_device_attach(f->peer, f->xpg); }
static int attach_xctx_dev(struct fx *f) { return siommu_device_attach(f->xdev, f->pg); }
static int attach_sva_dom(struct fx *f) { return siommu_device_attach(f->peer, f->sva_dom); }
static int attach_sva_dom_over(struct fx *f) { return siommu_device_attach(f->dev, f->sva_dom); }

static int ap_pasid0(struct fx *f) { return siommu_device_attach_pasid(f->peer, 0, f->pg); }
static int ap_beyond(struct fx *f)
{
	return siommu_device_attach_pasid(f->peer, SIOMMU_PASID_MAX + 1, f->pg);
}
static int ap_u32max(struct fx *f) { return siommu_device_attach_pasid(f->peer, UINT32_MAX, f->pg); }
static int ap_narrow16(struct fx *f) { return siommu_device_attach_pasid(f->narrow, 16, f->pg); }
static int ap_unalloc(struct fx *f) { return siommu_device_attach_pasid(f->peer, f->unalloc, f->pg); }
static int ap_null_dom(struct fx *f) { return siommu_device_attach_pasid(f->peer, f->p, NULL); }
static int ap_null_dev(struct fx *f) { return siommu_device_attach_pasid(NULL, f->p, f->pg); }
static int ap_nopasid(struct fx *f) { return siommu_device_attach_pasid(f->nopasid, f->p, f->pg); }
static int ap_xctx_dom(struct fx *f) { return siommu_device_attach_pasid(f->peer, f->p, f->xpg); }
static int ap_xctx_dev(struct fx *f) { return siommu_device_attach_pasid(f->xdev, f->p, f->xpg); }
static int ap_sva_dom(struct fx *f) { return siommu_device_attach_pasid(f->peer, f->p, f->sva_dom); }
static int ap_over_sva(struct fx *f) { return siommu_device_attach_pasid(f->dev, f->sva_pasid, f->pg); }
static int ap_sva_replace_self(struct fx *f)
{
	return siommu_device_attach_pasid(f->dev, f->sva_pasid, f->sva_dom);
}

static int dp_never(struct fx *f) { return siommu_device_detach_pasid(f->peer, f->p); }
static int dp_pasid0(struct fx *f) { return siommu_device_detach_pasid(f->dev, 0); }
static int dp_beyond(struct fx *f)
{
	return siommu_device_detach_pasid(f->dev, SIOMMU_PASID_MAX + 1);
}
static int dp_u32max(struct fx *f) { return siommu_device_detach_pasid(f->dev, UINT32_MAX); }
static int dp_nopasid(struct fx *f) { return siommu_device_detach_pasid(f->nopasid, f->p); }
static int dp_sva(struct fx *f) { return siommu_device_detach_pasid(f->dev, f->sva_pasid); }

/* A private PASID's and the DMA API's attachments are theirs as well. */
static int ap_over_ppasid(struct fx *f)
{
	return siommu_device_attach_pasid(f->dev, f->pp_pasid, f->pg);
}
static int ap_ppasid_same(struct fx *f)
{
	return siommu_device_attach_pasid(f->peer, f->pp_pasid, siommu_ppasid_domain(f->pp));
}
static int dp_ppasid(struct fx *f) { return siommu_device_detach_pasid(f->peer, f->pp_pasid); }
static int ap_ppasid_dom(struct fx *f)
{
	return siommu_device_attach_pasid(f->peer, f->pmax, siommu_ppasid_domain(f->pp));
}
static int attach_ppasid_dom(struct fx *f)
{
	return siommu_device_attach(f->peer, siommu_ppasid_domain(f->pp));
}
static int ap_over_dma(struct fx *f)
{
	return siommu_device_attach_pasid(f->dmadev, f->dma_pasid, f->pg);
}
static int ap_dma_same(struct fx *f)
{
	struct siommu_dma_info di;

	CHECK_OK(siommu_dma_get_info(f->dmadev, &di));
	return siommu_device_attach_pasid(f->dmadev, f->dma_pasid, di.domain);
}
static int dp_dma(struct fx *f) { return siommu_device_detach_pasid(f->dmadev, f->dma_pasid); }

static int free_rid_user(struct fx *f) { return siommu_domain_free(f->pg); }
static int free_sva(struct fx *f) { return siommu_domain_free(f->sva_dom); }

static int alloc_row(struct fx *f, struct siommu_domain_cfg cfg)
{
	struct siommu_domain *d = NULL;
	int ret = siommu_domain_alloc(f->unit, &cfg, &d);

	if (!ret)
		siommu_domain_free(d);
	return ret;
}
static int alloc_null_cfg(struct fx *f)
{
	struct siommu_domain *d;

	return siommu_domain_alloc(f->unit, NULL, &d);
}
static int alloc_null_out(struct fx *f)
{
	return siommu_domain_alloc(f->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, NULL);
}
static int alloc_sva(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_SVA });
}
static int alloc_nested(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_NESTED });
}
static int alloc_bad_type(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = 77 });
}
static int alloc_bad_stage(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
							.stage = 9 });
}
static int alloc_bad_flag(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
							.flags = 1u << 7 });
}
static int alloc_flag_ident(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_IDENTITY,
							.flags = SIOMMU_DOMAIN_DIRTY_TRACKING });
}
static int alloc_no_4k(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
							.pgsize_bitmap = SIOMMU_PGSIZE_2M });
}
static int alloc_odd_size(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
			.pgsize_bitmap = SIOMMU_PGSIZE_4K | (1ull << 13) });
}
static int alloc_wide(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
							.ias = 65 });
}
static int alloc_xdev(struct fx *f)
{
	return alloc_row(f, (struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
							.dev = f->xdev });
}

static int map_len0(struct fx *f) { return siommu_domain_map(f->pg, 0x200000, 0, 0, RW); }
static int map_unaligned(struct fx *f)
{
	return siommu_domain_map(f->pg, 0x200001, 0x100000, 0x1000, RW);
}
static int map_unaligned_len(struct fx *f)
{
	return siommu_domain_map(f->pg, 0x200000, 0x100000, 0x1001, RW);
}
static int map_prot0(struct fx *f) { return siommu_domain_map(f->pg, 0x200000, 0, 0x1000, 0); }
static int map_wrap(struct fx *f)
{
	return siommu_domain_map(f->pg, UINT64_MAX - 0xfff, 0x100000, 0x2000, RW);
}
static int map_pa_wrap(struct fx *f)
{
	return siommu_domain_map(f->pg, 0x200000, UINT64_MAX - 0xfff, 0x2000, RW);
}
static int map_top(struct fx *f)
{
	return siommu_domain_map(f->pg, UINT64_MAX - 0xfff, 0x100000, 0x1000, RW);
}
static int map_exists(struct fx *f)
{
	return siommu_domain_map(f->pg, 0x10f000, 0x100000, 0x2000, RW);
}
static int map_ident(struct fx *f) { return siommu_domain_map(f->ident, 0, 0, 0x1000, RW); }
static int map_sva(struct fx *f) { return siommu_domain_map(f->sva_dom, 0x10000, 0, 0x1000, RW); }
static int unmap_wrap(struct fx *f)
{
	return siommu_domain_unmap(f->pg, UINT64_MAX - 0xfff, 0x2000, NULL);
}
static int unmap_ident(struct fx *f) { return siommu_domain_unmap(f->ident, 0, 0x1000, NULL); }
static int unmap_len0(struct fx *f) { return siommu_domain_unmap(f->pg, 0x100000, 0, NULL); }

static int add_row(struct fx *f, struct siommu_device_cfg cfg)
{
	struct siommu_device *d = NULL;
	int ret = siommu_device_add(f->unit, &cfg, &d);

	if (!ret)
		siommu_device_remove(d);
	return ret;
}
static int add_dup_rid(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0100,
						      .alias_rid = SIOMMU_NO_ALIAS });
}
static int add_wide_pasid(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .pasid_bits = 21,
						      .alias_rid = SIOMMU_NO_ALIAS });
}
static int add_bad_flag(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .flags = 1u << 9,
						      .alias_rid = SIOMMU_NO_ALIAS });
}
static int add_pasid_only_none(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500,
						      .flags = SIOMMU_DEV_PASID_ONLY,
						      .alias_rid = SIOMMU_NO_ALIAS });
}
static int add_pasid_only_alias(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .pasid_bits = 8,
						      .flags = SIOMMU_DEV_PASID_ONLY,
						      .alias_rid = 0x0600 });
}
static int add_alias_self(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .alias_rid = 0x0500 });
}
static int add_alias_other(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .alias_rid = 0x0200 });
}
static int add_alias_high(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .alias_rid = 0x10000 });
}
static int add_alias_neg(struct fx *f)
{
	return add_row(f, (struct siommu_device_cfg){ .rid = 0x0500, .alias_rid = -2 });
}
static int add_null_cfg(struct fx *f)
{
	struct siommu_device *d;

	return siommu_device_add(f->unit, NULL, &d);
}
static int add_null_out(struct fx *f)
{
	return siommu_device_add(f->unit, &(struct siommu_device_cfg){
		.rid = 0x0500, .alias_rid = SIOMMU_NO_ALIAS }, NULL);
}

static void nop_release(void *cookie, struct siommu_device *dev)
{
	(void)cookie, (void)dev;
}
static int claim_null_release(struct fx *f) { return siommu_device_claim(f->peer, NULL, f); }
static int claim_null_cookie(struct fx *f)
{
	return siommu_device_claim(f->peer, nop_release, NULL);
}
static int hooks_on_hw_pasids(struct fx *f)
{
	return siommu_device_set_pasid_hooks(f->peer, 8, &test_nop_hooks, NULL);
}
static int inval_not_nested(struct fx *f)
{
	uint32_t n = 0;

	return siommu_domain_cache_invalidate(f->pg, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					      NULL, 16, &n);
}
static int nested_over_first(struct fx *f)
{
	struct siommu_domain *d;
	struct siommu_hwpt_vtd_s1 s1 = { .addr_width = 48 };

	/* pg is not a second-stage domain (first stage where the unit has
	 * one; SMMUv3 nests only under a vIOMMU). */
	return siommu_domain_alloc_nested(f->pg, f->unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					  sizeof(s1), &d);
}
static int iopf_bad_mode(struct fx *f) { return siommu_iopf_set_mode(f->ctx, 7); }
static int get_info_null(struct fx *f) { return siommu_device_get_info(f->dev, NULL); }
static int walk_null_fn(struct fx *f) { return siommu_device_for_each_attachment(f->dev, NULL, f); }

#define ROW API_ROW
#define ROW2 API_ROW_ALT	/* the second errno: SMMUv3's */

static const struct api_row rows[] = {
	ROW(attach_null_dev, -EINVAL),
	ROW(attach_null_dom, -EINVAL),
	ROW(attach_xctx_dom, -EINVAL),
	ROW(attach_xctx_dev, -EINVAL),
	ROW(attach_sva_dom, -EINVAL),
	ROW(attach_sva_dom_over, -EINVAL),
	ROW(ap_pasid0, -ERANGE),
	ROW(ap_beyond, -ERANGE),
	ROW(ap_u32max, -ERANGE),
	ROW(ap_narrow16, -ERANGE),
	ROW(ap_unalloc, -ENOENT),
	ROW(ap_null_dom, -EINVAL),
	ROW(ap_null_dev, -EINVAL),
	ROW(ap_nopasid, -EOPNOTSUPP),
	ROW(ap_xctx_dom, -EINVAL),
	ROW(ap_xctx_dev, -ENOENT),
	ROW(ap_sva_dom, -EINVAL),
	ROW(ap_over_sva, -EBUSY),
	ROW(ap_sva_replace_self, -EINVAL),
	ROW(dp_never, -ENOENT),
	ROW(dp_pasid0, -ENOENT),
	ROW(dp_beyond, -ENOENT),
	ROW(dp_u32max, -ENOENT),
	ROW(dp_nopasid, -ENOENT),
	ROW(dp_sva, -EBUSY),
	ROW(ap_over_ppasid, -EBUSY),
	ROW(ap_ppasid_same, -EINVAL),
	ROW(dp_ppasid, -EBUSY),
	ROW(ap_ppasid_dom, -EINVAL),
	ROW(attach_ppasid_dom, -EINVAL),
	ROW(ap_over_dma, -EBUSY),
	ROW(ap_dma_same, -EBUSY),
	ROW(dp_dma, -EBUSY),
	ROW(free_rid_user, -EBUSY),
	ROW(free_sva, -EBUSY),
	ROW(alloc_null_cfg, -EINVAL),
	ROW(alloc_null_out, -EINVAL),
	ROW(alloc_sva, -EINVAL),
	ROW(alloc_nested, -EINVAL),
	ROW(alloc_bad_type, -EINVAL),
	ROW(alloc_bad_stage, -EINVAL),
	ROW(alloc_bad_flag, -EINVAL),
	ROW(alloc_flag_ident, -EINVAL),
	ROW(alloc_no_4k, -EINVAL),
	ROW(alloc_odd_size, -EINVAL),
	ROW(alloc_wide, -EINVAL),
	ROW(alloc_xdev, -EINVAL),
	ROW(map_len0, -EINVAL),
	ROW(map_unaligned, -EINVAL),
	ROW(map_unaligned_len, -EINVAL),
	ROW(map_prot0, -EINVAL),
	ROW(map_wrap, -EOVERFLOW),
	ROW(map_pa_wrap, -EOVERFLOW),
	ROW(map_top, -ERANGE),
	ROW(map_exists, -EEXIST),
	ROW(map_ident, -EINVAL),
	ROW(map_sva, -EINVAL),
	ROW(unmap_wrap, -EOVERFLOW),
	ROW(unmap_ident, -EINVAL),
	ROW(unmap_len0, -EINVAL),
	ROW(add_dup_rid, -EEXIST),
	ROW(add_wide_pasid, -EINVAL),
	ROW(add_bad_flag, -EINVAL),
	ROW(add_pasid_only_none, -EINVAL),
	ROW(add_pasid_only_alias, -EINVAL),
	ROW(add_alias_self, -EINVAL),
	ROW(add_alias_other, -EEXIST),
	ROW(add_alias_high, -EINVAL),
	ROW(add_alias_neg, -EINVAL),
	ROW(add_null_cfg, -EINVAL),
	ROW(add_null_out, -EINVAL),
	ROW(claim_null_release, -EINVAL),
	ROW(claim_null_cookie, -EINVAL),
	ROW(hooks_on_hw_pasids, -EOPNOTSUPP),
	ROW2(inval_not_nested, -EINVAL, -EINVAL),
	ROW2(nested_over_first, -EINVAL, -EOPNOTSUPP),
	ROW(iopf_bad_mode, -EINVAL),
	ROW(get_info_null, -EINVAL),
	ROW(walk_null_fn, -EINVAL),
};

static void refusals(void)
{
	struct fx f;

	fx_init(&f);
	api_rows_run(&f, rows, sizeof(rows) / sizeof(rows[0]),
		     test_unit_type() == TEST_UNIT_SMMUV3, layers_ok);
	fx_fini(&f);
}

/* The sequences: each call's result follows from the one before. */
static void sequences(void)
{
	struct fx f;
	struct siommu_pasid_info pi;
	struct siommu_pasid_space *ps;
	uint32_t q;

	fx_init(&f);
	ps = siommu_ctx_pasids(f.ctx);

	/* Attaching what is attached is a replace by itself: no new
	 * reference, no second domain ID. */
	CHECK_OK(siommu_pasid_query(ps, f.p, &pi));
	CHECK_EQ(pi.refs, 2);
	CHECK_OK(siommu_device_attach_pasid(f.dev, f.p, f.pg));
	CHECK_OK(siommu_pasid_query(ps, f.p, &pi));
	CHECK_EQ(pi.refs, 2);
	CHECK_OK(siommu_device_attach(f.dev, f.pg));
	CHECK(siommu_device_domain(f.dev, 0) == f.pg);

	/* Replace back and forth; the old domain is free to go after. */
	CHECK_OK(siommu_device_attach_pasid(f.dev, f.p, f.pg2));
	CHECK(siommu_device_domain(f.dev, f.p) == f.pg2);
	CHECK_EQ(siommu_domain_free(f.pg2), -EBUSY);
	CHECK_OK(siommu_device_attach_pasid(f.dev, f.p, f.pg));
	CHECK(siommu_device_domain(f.dev, f.p) == f.pg);

	/* One PASID on two devices: a reference each. */
	CHECK_OK(siommu_device_attach_pasid(f.peer, f.p, f.pg2));
	CHECK_OK(siommu_pasid_query(ps, f.p, &pi));
	CHECK_EQ(pi.refs, 3);

	/* The largest PASID of a 4-bit device works (16 is refused, a row
	 * above), and the largest of all at the edge. */
	CHECK_OK(siommu_pasid_alloc(ps, 15, 15, 1, &q));
	CHECK_OK(siommu_device_attach_pasid(f.narrow, q, f.pg2));
	CHECK_OK(siommu_device_detach_pasid(f.narrow, q));
	CHECK_OK(siommu_pasid_free(ps, q));
	CHECK_OK(siommu_device_attach_pasid(f.peer, f.pmax, f.pg2));
	CHECK(siommu_device_domain(f.peer, f.pmax) == f.pg2);

	/* Detach twice: the second finds nothing, changes nothing. */
	CHECK_OK(siommu_device_detach_pasid(f.peer, f.p));
	CHECK_EQ(siommu_device_detach_pasid(f.peer, f.p), -ENOENT);
	CHECK_OK(siommu_pasid_query(ps, f.p, &pi));
	CHECK_EQ(pi.refs, 2);
	CHECK_OK(siommu_device_detach_pasid(f.peer, f.pmax));
	CHECK_OK(siommu_pasid_query(ps, f.pmax, &pi));
	CHECK_EQ(pi.refs, 1);

	/* RID detach twice, and of a device never attached: BLOCKED, no
	 * error to return (it never fails). */
	siommu_device_detach(f.dev);
	siommu_device_detach(f.dev);
	siommu_device_detach(f.peer);
	CHECK(siommu_device_domain(f.dev, 0) != f.pg);
	CHECK(siommu_device_domain(f.dev, f.p) == f.pg);	/* PASIDs stay */

	/* Freeing with users: refused while any attachment remains. */
	CHECK_EQ(siommu_domain_free(f.pg), -EBUSY);
	CHECK_OK(siommu_device_detach_pasid(f.dev, f.p));
	CHECK_OK(siommu_domain_free(f.pg));
	CHECK_OK(siommu_domain_free(f.pg2));

	/* A PASID freed by its owner while attached takes no new user and
	 * is released with its last attachment. */
	CHECK_OK(siommu_domain_alloc(f.unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &f.pg));
	CHECK_OK(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 1, &q));
	CHECK_OK(siommu_device_attach_pasid(f.dev, q, f.pg));
	CHECK_OK(siommu_pasid_free(ps, q));
	CHECK_EQ(siommu_device_attach_pasid(f.peer, q, f.pg), -ENOENT);
	CHECK_OK(siommu_device_detach_pasid(f.dev, q));
	CHECK_EQ(siommu_pasid_query(ps, q, &pi), -ENOENT);

	/* The SVA bind's PASID is the bind's to the end: unbound, it is
	 * gone from the device. */
	CHECK_EQ(siommu_device_detach_pasid(f.dev, f.sva_pasid), -EBUSY);
	siommu_sva_unbind(f.sva);
	CHECK(siommu_device_domain(f.dev, f.sva_pasid) == NULL);
	CHECK_EQ(siommu_device_detach_pasid(f.dev, f.sva_pasid), -ENOENT);
	CHECK_OK(siommu_sva_bind(f.dev, f.mm, &f.sva));

	/* Claim twice, unclaim by a stranger: nothing; by the owner. */
	CHECK_OK(siommu_device_claim(f.peer, nop_release, &f));
	CHECK_EQ(siommu_device_claim(f.peer, nop_release, &f), -EBUSY);
	CHECK_EQ(siommu_device_claim(f.peer, nop_release, &q), -EBUSY);
	siommu_device_unclaim(f.peer, &q);
	CHECK(siommu_device_owner(f.peer, nop_release) == &f);
	siommu_device_unclaim(f.peer, &f);
	CHECK(siommu_device_owner(f.peer, nop_release) == NULL);

	/* A private PASID's and the DMA API's attachments are refused to
	 * every other caller to the end, and their own teardown takes them
	 * down. */
	CHECK_EQ(siommu_device_detach_pasid(f.dev, f.pp_pasid), -EBUSY);
	CHECK_EQ(siommu_device_detach_pasid(f.dmadev, f.dma_pasid), -EBUSY);
	layers_ok(&f);
	siommu_ppasid_free(f.pp);
	f.pp = NULL;
	CHECK(siommu_device_domain(f.dev, f.pp_pasid) == NULL);
	CHECK(siommu_device_domain(f.peer, f.pp_pasid) == NULL);
	CHECK_EQ(siommu_pasid_query(ps, f.pp_pasid, &pi), -ENOENT);
	CHECK_OK(siommu_dma_disable_pasid(f.dmadev));
	CHECK(siommu_device_domain(f.dmadev, f.dma_pasid) == NULL);
	CHECK_EQ(siommu_device_detach_pasid(f.dmadev, f.dma_pasid), -ENOENT);
	CHECK_EQ(siommu_pasid_query(ps, f.dma_pasid, &pi), -ENOENT);

	/* A device removed with attachments takes them down; its PASIDs'
	 * references go with it. */
	CHECK_OK(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 1, &q));
	CHECK_OK(siommu_device_attach_pasid(f.peer, q, f.pg));
	CHECK_OK(siommu_device_attach(f.peer, f.pg));
	siommu_device_remove(f.peer);
	f.peer = test_dev_add(f.unit, 0x0200, 20, 0);
	CHECK_OK(siommu_pasid_query(ps, q, &pi));
	CHECK_EQ(pi.refs, 1);
	CHECK_OK(siommu_domain_free(f.pg));
	fprintf(stderr, "  sequences: attach, replace, detach twice, free with users\n");
	fx_fini(&f);
}

/*
 * A paging domain's input width: a width no table of the stage has is
 * refused, never silently narrowed; a narrower one gets a table that
 * covers it. VT-d with 5-level paging: first stage 48 or 57.
 */
static void widths(void)
{
	static const struct { unsigned int ias; int want; unsigned int got; } fs[] = {
		{ 1, 0, 48 }, { 39, 0, 48 }, { 48, 0, 48 }, { 49, 0, 57 }, { 57, 0, 57 },
		{ 58, -EINVAL, 0 }, { 64, -EINVAL, 0 }, { 65, -EINVAL, 0 },
		{ UINT32_MAX, -EINVAL, 0 },
	};
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_domain *d;
	unsigned int i;

	if (test_unit_type() != TEST_UNIT_VTD)
		return;
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, &(struct siommu_vtd_cfg){ .aw = 57 }, &unit));
	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		struct siommu_pt_cfg pc;
		int ret = siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_FIRST,
			.ias = fs[i].ias }, &d);

		if (ret != fs[i].want) {
			fprintf(stderr, "first stage, ias %u: %d, want %d\n", fs[i].ias, ret,
				fs[i].want);
			exit(1);
		}
		if (ret)
			continue;
		siommu_pt_get_cfg(siommu_domain_pt(d), &pc);
		CHECK_EQ(pc.ias, fs[i].got);
		CHECK_OK(siommu_domain_free(d));
	}
	siommu_ctx_destroy(ctx);
	fprintf(stderr, "  widths: none narrower than asked\n");
}

int main(void)
{
	refusals();
	sequences();
	widths();
	return 0;
}
