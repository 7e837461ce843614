/* SPDX-License-Identifier: MIT */
/*
 * Nested translation on VT-d (3.8): a PASID entry with PGTT 011b walks the
 * user's first-stage table, every table address and output of which is a
 * guest-physical address translated by the second stage of the parent
 * domain. The first-stage fields come from the user (Linux's
 * iommu_hwpt_vtd_s1); the entry itself, its DID and its invalidations are
 * the driver's (tables.c, qi.c).
 *
 * Caching. The unit tags what it caches of a nested walk with the nested
 * domain's DID and the PASID, and invalidates it with PASID-based IOTLB
 * invalidations (6.5.2.4), as for a first-stage domain. The user's
 * changes to its table are made visible by its invalidation requests; a
 * change of the parent's second stage drops the nested domain's entries
 * whole (core: nested_flush), since a combined entry cannot be found by
 * its guest-physical address.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/drivers/vtd/vtd_drv.h"

#define ECAP_NEST	BIT64(26)
#define ECAP_SRS	BIT64(31)
#define CAP_FS5LP	BIT64(60)

int vtd_drv_nested_check(struct vtd_drv_unit *v, const struct siommu_domain *dom)
{
	const struct vtd_drv_nested *n = dom->drv_dom;
	const struct siommu_domain *parent = dom->parent;

	if (!(v->ecap & ECAP_NEST) || !vtd_drv_has_fs(v))
		return -EOPNOTSUPP;
	/* The parent is a second-stage domain this unit walks. */
	if (parent->type != SIOMMU_DOMAIN_PAGING || parent->stage != SIOMMU_STAGE_SECOND ||
	    vtd_drv_domain_check(v, parent))
		return -EINVAL;
	if (n->s1.addr_width != 48 && n->s1.addr_width != 57)
		return -EINVAL;
	if (n->s1.addr_width == 57 && !(v->cap & CAP_FS5LP))
		return -EINVAL;
	/* The table's root is a guest-physical page the parent can map. */
	if ((n->s1.pgtbl_addr & 0xfff) ||
	    (parent->ias < 64 && n->s1.pgtbl_addr >> parent->ias))
		return -EINVAL;
	if ((n->s1.flags & SIOMMU_VTD_S1_SRE) && !(v->ecap & ECAP_SRS))
		return -EINVAL;
	/* The unit has no extended access flag (ECAP.EAFS clear). */
	if (n->s1.flags & SIOMMU_VTD_S1_EAFE)
		return -EINVAL;
	return 0;
}

int vtd_drv_domain_init_nested(struct siommu_unit *unit, struct siommu_domain *dom,
			       struct siommu_domain *parent, void *viommu, uint32_t data_type,
			       const void *data, size_t len)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);
	struct vtd_drv_nested *n;
	struct siommu_hwpt_vtd_s1 s1;
	int ret;

	/* VT-d offers no vIOMMU type (no viommu_init): never one here. */
	SIOMMU_ASSERT(!viommu);
	(void)viommu;
	if (data_type != SIOMMU_HWPT_DATA_VTD_S1)
		return -EOPNOTSUPP;
	ret = iommu_user_data_get(data, len, &s1, sizeof(s1), sizeof(s1));
	if (ret)
		return ret;
	if ((s1.flags & ~(SIOMMU_VTD_S1_SRE | SIOMMU_VTD_S1_EAFE | SIOMMU_VTD_S1_WPE)) ||
	    s1.__reserved)
		return -EOPNOTSUPP;
	if (mem_should_fail(v->mem))
		return -ENOMEM;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->s1 = s1;
	dom->drv_dom = n;
	dom->parent = parent;
	dom->stage = SIOMMU_STAGE_FIRST;
	dom->ias = s1.addr_width;
	ret = vtd_drv_nested_check(v, dom);
	if (ret) {
		dom->drv_dom = NULL;
		dom->parent = NULL;
		free(n);
	}
	return ret;
}

void vtd_drv_domain_fini(struct siommu_domain *dom)
{
	free(dom->drv_dom);
	dom->drv_dom = NULL;
}

/*
 * The user's stage-1 invalidations (Linux: intel_nested_cache_invalidate_user):
 * each entry names 4K pages of the first stage's input, flushed from the
 * IOTLBs and device TLBs of every attachment of @dom.
 */
int vtd_drv_cache_invalidate_user(struct siommu_domain *dom, struct iommu_user_array *a)
{
	struct siommu_hwpt_vtd_s1_invalidate e;
	uint32_t i;
	int ret = 0;

	if (a->type != SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
		a->entry_num = 0;
		return -EINVAL;
	}
	for (i = 0; i < a->entry_num; i++) {
		struct iommu_gather g = { 0, UINT64_MAX, false };

		ret = iommu_user_array_get(a, i, &e, sizeof(e), sizeof(e));
		if (ret)
			break;
		if ((e.flags & ~SIOMMU_VTD_INV_FLAGS_LEAF) || e.__reserved) {
			ret = -EOPNOTSUPP;
			break;
		}
		if ((e.addr & 0xfff) || (e.npages == UINT64_MAX && e.addr)) {
			ret = -EINVAL;
			break;
		}
		if (!e.npages)
			continue;
		if (e.npages != UINT64_MAX) {
			g.start = e.addr;
			/* A range past the top is the rest of the space. */
			if (e.npages > (UINT64_MAX >> 12) ||
			    __builtin_add_overflow(e.addr, (e.npages << 12) - 1, &g.last))
				g.last = UINT64_MAX;
			g.leaf_only = e.flags & SIOMMU_VTD_INV_FLAGS_LEAF;
		}
		core_domain_flush(dom, &g);
	}
	a->entry_num = i;
	return ret;
}
