/* SPDX-License-Identifier: MIT */
/*
 * Private PASIDs (siommu/ppasid.h): a PASID of the context's space, a
 * paging domain of its own, attached at that PASID to each of its devices
 * through the core. Whether the unit writes a PASID entry or hands the
 * table to the device's hooks is the driver's business.
 */
#include <errno.h>
#include <stdlib.h>

#include <siommu/ppasid.h>

#include "core/core_internal.h"

struct siommu_ppasid {
	struct siommu_ctx *ctx;
	uint32_t pasid;
	struct siommu_domain *dom;
	unsigned int n;
	struct siommu_device *devs[];
};

int SIOMMU_EXPORT siommu_ppasid_alloc(struct siommu_device *const *devs, unsigned int n,
				      uint64_t owner, struct siommu_ppasid **out)
{
	struct siommu_domain_cfg dc = { .type = SIOMMU_DOMAIN_PAGING };
	struct siommu_device_info info;
	struct siommu_ppasid *pp;
	struct siommu_unit *unit;
	uint32_t max = SIOMMU_PASID_MAX;
	unsigned int i, done = 0;
	int ret;

	if (!devs || !n || !out || !devs[0])
		return -EINVAL;
	unit = devs[0]->unit;
	for (i = 0; i < n; i++) {
		if (!devs[i] || devs[i]->unit != unit)
			return -EINVAL;
		siommu_device_get_info(devs[i], &info);
		if (!info.pasid_bits)
			return -EOPNOTSUPP;
		if (info.max_pasid < max)
			max = info.max_pasid;
	}
	if (mem_should_fail(unit->ctx->mem))
		return -ENOMEM;
	pp = calloc(1, sizeof(*pp) + n * sizeof(pp->devs[0]));
	if (!pp)
		return -ENOMEM;
	pp->ctx = unit->ctx;
	pp->n = n;
	for (i = 0; i < n; i++)
		pp->devs[i] = devs[i];
	ret = siommu_pasid_alloc(unit->ctx->pasids, 1, max, owner, &pp->pasid);
	if (ret)
		goto out_free;
	ret = siommu_domain_alloc(unit, &dc, &pp->dom);
	if (ret)
		goto out_pasid;
	/* The domain is the private PASID's: no other caller attaches it,
	 * so siommu_ppasid_free() finds it free once its own are gone. */
	pp->dom->owner = CORE_ATT_PPASID;
	for (done = 0; done < n; done++) {
		ret = core_device_attach_pasid(devs[done], pp->pasid, pp->dom, CORE_ATT_PPASID);
		if (ret)
			goto out_detach;
	}
	*out = pp;
	return 0;

out_detach:
	while (done--)
		core_device_detach_pasid(devs[done], pp->pasid, CORE_ATT_PPASID);
	siommu_domain_free(pp->dom);
out_pasid:
	siommu_pasid_free(unit->ctx->pasids, pp->pasid);
out_free:
	free(pp);
	return ret;
}

uint32_t SIOMMU_EXPORT siommu_ppasid_pasid(const struct siommu_ppasid *pp)
{
	return pp->pasid;
}

struct siommu_domain SIOMMU_EXPORT *siommu_ppasid_domain(const struct siommu_ppasid *pp)
{
	return pp->dom;
}

int SIOMMU_EXPORT siommu_ppasid_map(struct siommu_ppasid *pp, uint64_t iova, uint64_t pa,
				    uint64_t length, unsigned int prot)
{
	return pp ? siommu_domain_map(pp->dom, iova, pa, length, prot) : -EINVAL;
}

int SIOMMU_EXPORT siommu_ppasid_unmap(struct siommu_ppasid *pp, uint64_t iova,
				      uint64_t length, uint64_t *unmapped)
{
	return pp ? siommu_domain_unmap(pp->dom, iova, length, unmapped) : -EINVAL;
}

void SIOMMU_EXPORT siommu_ppasid_free(struct siommu_ppasid *pp)
{
	unsigned int i;
	int busy;

	if (!pp)
		return;
	for (i = 0; i < pp->n; i++)
		core_device_detach_pasid(pp->devs[i], pp->pasid, CORE_ATT_PPASID);
	/* No attachment is left: the domain goes. */
	busy = siommu_domain_free(pp->dom);
	SIOMMU_ASSERT(!busy);
	(void)busy;
	siommu_pasid_free(pp->ctx->pasids, pp->pasid);
	free(pp);
}
