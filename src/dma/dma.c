/* SPDX-License-Identifier: MIT */
/*
 * DMA setup and teardown, PASIDs for DMA API users, info and counters.
 * Configuration calls run under ctx->dma_lock (see dma_internal.h) and
 * change the core only through its public calls, but for the device's
 * DMA PASID, which the core's internal call attaches as the DMA API's
 * own (CORE_ATT_DMA): no other caller replaces or detaches it.
 */
#include <errno.h>
#include <stdlib.h>

#include "dma/dma_internal.h"

static struct dma_dom *dom_find(struct siommu_ctx *ctx, struct siommu_domain *dom)
{
	struct dma_dom *dd;

	cds_list_for_each_entry(dd, &ctx->dma_doms, node)
		if (dd->dom == dom)
			return dd;
	return NULL;
}

/* The IOVA space a paging domain's table can translate. */
static int iova_create(struct dma_dom *dd, struct siommu_device *dev)
{
	struct iommu_resv_region resv[8];
	unsigned int i, n;
	struct siommu_iova_cfg ic = { .start = 0, .mem = dd->mem };
	uint64_t start;
	int ret;

	/* The lazy unmap path works on pt's tables: a unit whose table is
	 * its driver's own (the mock unit) cannot serve the DMA API. */
	if (!siommu_domain_pt(dd->dom))
		return -EOPNOTSUPP;
	core_domain_aperture(dd->dom, &start, &ic.last);
	ret = siommu_iova_create(&ic, &dd->iovad);
	if (ret)
		return ret;
	/* DMA address 0 reads as "no address" to many drivers. */
	ret = siommu_iova_reserve(dd->iovad, 0, SIOMMU_PAGE_SIZE);
	/* The unit's reserved regions (its interrupt window): requests there
	 * are not DMA, so no IOVA is handed out in them. */
	n = core_device_resv_regions(dev, resv, sizeof(resv) / sizeof(resv[0]));
	SIOMMU_ASSERT(n <= sizeof(resv) / sizeof(resv[0]));
	for (i = 0; !ret && i < n; i++)
		if (resv[i].start <= ic.last)
			ret = siommu_iova_reserve(dd->iovad, resv[i].start,
						  (resv[i].last < ic.last ? resv[i].last :
						   ic.last) - resv[i].start + 1);
	if (ret) {
		siommu_iova_destroy(dd->iovad);
		dd->iovad = NULL;
	}
	return ret;
}

static void dom_free(struct dma_dom *dd)
{
	dma_records_fini(dd);
	if (dd->fq)
		dma_fq_fini(dd);
	siommu_iova_destroy(dd->iovad);
	/* -EBUSY only if its owner's caller attached it elsewhere behind the
	 * API's back; siommu_ctx_destroy() frees it then. */
	if (dd->dom)
		siommu_domain_free(dd->dom);
	free(dd);
}

static int dom_create(struct siommu_device *dev, const struct siommu_dma_cfg *cfg,
		      struct dma_dom **out)
{
	struct siommu_ctx *ctx = dev->unit->ctx;
	struct siommu_domain_cfg dc = { .stage = cfg->stage };
	struct dma_dom *dd;
	int ret;

	if (mem_should_fail(ctx->mem))
		return -ENOMEM;
	dd = aligned_alloc(64, (sizeof(*dd) + 63) & ~(size_t)63);
	if (!dd)
		return -ENOMEM;
	*dd = (struct dma_dom){ .ctx = ctx, .mem = ctx->mem, .identity = cfg->passthrough };
	dma_records_init(dd);
	dd->policy = cfg->policy;
	if (dd->policy == SIOMMU_DMA_POLICY_DEFAULT)
		dd->policy = __atomic_load_n(&ctx->dma_policy, __ATOMIC_RELAXED);
	if (dd->policy == SIOMMU_DMA_POLICY_DEFAULT || dd->identity)
		dd->policy = SIOMMU_DMA_STRICT;	/* identity: nothing to flush */
	ret = dma_fq_init(dd);
	if (ret)
		goto out_free;
	dc.type = dd->identity ? SIOMMU_DOMAIN_IDENTITY : SIOMMU_DOMAIN_PAGING;
	ret = siommu_domain_alloc(dev->unit, &dc, &dd->dom);
	if (ret)
		goto out_free;
	if (!dd->identity) {
		ret = iova_create(dd, dev);
		if (ret)
			goto out_free;
	}
	*out = dd;
	return 0;

out_free:
	dom_free(dd);
	return ret;
}

/* Allocate a PASID and attach the device's DMA domain there. */
static int pasid_enable_locked(struct dma_dev *dv, uint32_t *pasid)
{
	struct siommu_device *dev = dv->dev;
	struct siommu_pasid_space *space = dev->unit->ctx->pasids;
	uint32_t p;
	int ret;

	if (dv->pasid)
		return -EBUSY;
	if (!dev->pasid_bits)		/* none, or behind an alias (core.h) */
		return -EOPNOTSUPP;
	ret = siommu_pasid_alloc(space, 1, dev->max_pasid, SIOMMU_DMA_PASID_OWNER, &p);
	if (ret)
		return ret;
	ret = core_device_attach_pasid(dev, p, dv->dd->dom, CORE_ATT_DMA);
	if (ret) {
		siommu_pasid_free(space, p);
		return ret;
	}
	dv->pasid = p;
	if (pasid)
		*pasid = p;
	return 0;
}

static void pasid_disable_locked(struct dma_dev *dv)
{
	struct siommu_device *dev = dv->dev;

	core_device_detach_pasid(dev, dv->pasid, CORE_ATT_DMA);
	siommu_pasid_free(dev->unit->ctx->pasids, dv->pasid);
	dv->pasid = 0;
}

int SIOMMU_EXPORT siommu_dma_setup(struct siommu_device *dev,
				   const struct siommu_dma_cfg *cfg)
{
	struct siommu_dma_cfg c = cfg ? *cfg : (struct siommu_dma_cfg){ 0 };
	struct siommu_ctx *ctx;
	struct siommu_domain *cur;
	struct dma_dom *dd, *newdd = NULL;
	struct dma_dev *dv;
	int ret;

	if (!dev || (unsigned int)c.policy > SIOMMU_DMA_LAZY ||
	    (unsigned int)c.stage > SIOMMU_STAGE_SECOND)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->dma_lock);
	/* Owned already (by the DMA API or another owner). */
	if (LOAD_ACQUIRE(dev->owner)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (mem_should_fail(ctx->mem)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	dv = calloc(1, sizeof(*dv));
	if (!dv) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	/* The group's RID traffic goes to one domain: share its DMA domain. */
	cur = siommu_device_domain(dev, 0);
	if (cur) {
		dd = dom_find(ctx, cur);
		if (!dd) {
			ret = -EBUSY;
			goto out_free_dev;
		}
	} else {
		ret = dom_create(dev, &c, &newdd);
		if (ret)
			goto out_free_dev;
		dd = newdd;
		ret = siommu_device_attach(dev, dd->dom);
		if (ret)
			goto out_free_dom;
	}
	dv->dev = dev;
	dv->dd = dd;
	dv->limit = c.dma_limit ? c.dma_limit : UINT64_MAX;
	if (dev->cfg.flags & SIOMMU_DEV_PASID_ONLY) {
		ret = pasid_enable_locked(dv, NULL);
		if (ret)
			goto out_detach;
	}
	/* Published by the claim, the last step that can fail (another
	 * owner may have claimed the device meanwhile). */
	ret = siommu_device_claim(dev, dma_owner_release, dv);
	if (ret)
		goto out_disable_pasid;
	dd->users++;
	if (newdd)
		cds_list_add_tail(&newdd->node, &ctx->dma_doms);
	pthread_mutex_unlock(&ctx->dma_lock);
	return 0;

out_disable_pasid:
	if (dv->pasid)
		pasid_disable_locked(dv);
out_detach:
	if (newdd)
		siommu_device_detach(dev);
out_free_dom:
	if (newdd)
		dom_free(newdd);
out_free_dev:
	free(dv);
out_unlock:
	pthread_mutex_unlock(&ctx->dma_lock);
	return ret;
}

/* The last user is gone: flush, detach, free everything. */
static void dom_destroy(struct dma_dom *dd, struct siommu_device *dev)
{
	if (dd->policy == SIOMMU_DMA_LAZY)
		dma_fq_flush_all(dd);
	/* Unless its owner replaced the group's RID domain meanwhile. */
	if (siommu_device_domain(dev, 0) == dd->dom)
		siommu_device_detach(dev);
	/* Detached and invalidated: the device reaches none of the coherent
	 * frames dma_records_fini() frees. */
	dom_free(dd);
}

static void dma_dev_teardown(struct siommu_device *dev)
{
	struct siommu_ctx *ctx = dev->unit->ctx;
	struct dma_dev *dv;
	struct dma_dom *dd;

	pthread_mutex_lock(&ctx->dma_lock);
	dv = dma_dev_of(dev);
	if (!dv) {
		pthread_mutex_unlock(&ctx->dma_lock);
		return;
	}
	if (dv->pasid)
		pasid_disable_locked(dv);
	dd = dv->dd;
	siommu_device_unclaim(dev, dv);
	if (!--dd->users) {
		cds_list_del(&dd->node);
		dom_destroy(dd, dev);
	}
	pthread_mutex_unlock(&ctx->dma_lock);
	free(dv);
}

/* The device is going (siommu_device_remove(), siommu_ctx_destroy()). */
void dma_owner_release(void *cookie, struct siommu_device *dev)
{
	(void)cookie;
	dma_dev_teardown(dev);
}

void SIOMMU_EXPORT siommu_dma_teardown(struct siommu_device *dev)
{
	SIOMMU_ASSERT(!core_in_queue());	/* not from a device callback */
	if (dev)
		dma_dev_teardown(dev);
}

int SIOMMU_EXPORT siommu_dma_set_default_policy(struct siommu_ctx *ctx,
						enum siommu_dma_policy policy)
{
	if (!ctx || (unsigned int)policy > SIOMMU_DMA_LAZY)
		return -EINVAL;
	__atomic_store_n(&ctx->dma_policy, (int)policy, __ATOMIC_RELAXED);
	return 0;
}

int SIOMMU_EXPORT siommu_dma_enable_pasid(struct siommu_device *dev, uint32_t *pasid)
{
	struct siommu_ctx *ctx;
	int ret;

	if (!dev || !pasid)
		return dev ? -EINVAL : -ENODEV;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->dma_lock);
	ret = dma_dev_of(dev) ? pasid_enable_locked(dma_dev_of(dev), pasid) : -ENODEV;
	pthread_mutex_unlock(&ctx->dma_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_disable_pasid(struct siommu_device *dev)
{
	struct siommu_ctx *ctx;
	struct dma_dev *dv;
	int ret = 0;

	if (!dev)
		return -ENODEV;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->dma_lock);
	dv = dma_dev_of(dev);
	if (!dv)
		ret = -ENODEV;
	else if (!dv->pasid)
		ret = -ENOENT;
	else
		pasid_disable_locked(dv);
	pthread_mutex_unlock(&ctx->dma_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_flush(struct siommu_device *dev)
{
	struct dma_dev *dv = dma_dev_of(dev);

	if (!dv)
		return -ENODEV;
	if (core_in_queue())
		return -EDEADLK;
	if (dv->dd->policy == SIOMMU_DMA_LAZY)
		dma_fq_flush_all(dv->dd);
	return 0;
}

int SIOMMU_EXPORT siommu_dma_get_info(struct siommu_device *dev,
				      struct siommu_dma_info *info)
{
	struct siommu_ctx *ctx;
	struct dma_dev *dv;
	int ret = 0;

	if (!dev || !info)
		return dev ? -EINVAL : -ENODEV;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->dma_lock);
	dv = dma_dev_of(dev);
	if (dv) {
		*info = (struct siommu_dma_info){
			.domain = dv->dd->dom,
			.type = dv->dd->identity ? SIOMMU_DOMAIN_IDENTITY : SIOMMU_DOMAIN_PAGING,
			.policy = dv->dd->policy,
			.pasid = dv->pasid,
			.users = dv->dd->users,
		};
	} else {
		ret = -ENODEV;
	}
	pthread_mutex_unlock(&ctx->dma_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_get_stats(struct siommu_device *dev,
				       struct siommu_dma_stats *st)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_dom *dd;
	unsigned int i;

	if (!dv)
		return -ENODEV;
	if (!st)
		return -EINVAL;
	dd = dv->dd;
	*st = (struct siommu_dma_stats){ 0 };
	for (i = 0; i < dd->nr_fq; i++) {
		struct dma_fq *q = &dd->fq[i];

		st->maps += READ_ONCE(q->maps);
		st->unmaps += READ_ONCE(q->unmaps);
		st->waits += READ_ONCE(q->waits);
		st->batched += READ_ONCE(q->batched);
		ylock_lock(&q->lock);
		st->queued += q->n;
		ylock_unlock(&q->lock);
	}
	pthread_mutex_lock(&dd->flush_lock);
	st->flushes = dd->flushes;
	pthread_mutex_unlock(&dd->flush_lock);
	st->waits += st->flushes;
	st->live = dma_records_live(dd);
	return 0;
}
