/* SPDX-License-Identifier: MIT */
/*
 * SVA binds: a device's PASID entry for the process's PASID translating
 * through the process's table, written through the core's attach (the
 * driver's ops), with the process's fault handler on its domain.
 */
#include <errno.h>
#include <stdlib.h>

#include "sva/sva_internal.h"

static void sva_dev_release(struct core_dev_user *user, struct siommu_device *dev);

/* Undo the bind on its device (the handle stays); caller holds bind_lock. */
static void sva_detach(struct siommu_sva *h)
{
	struct siommu_mm *mm = h->mm;
	struct mm_dom *md = h->md;

	/* The detach answers the page requests in flight for the PASID and
	 * waits for the fault handler (which takes mm->lock, not held). */
	core_device_detach_pasid(h->dev, mm->pasid, CORE_ATT_SVA);
	h->dev = NULL;
	h->md = NULL;
	/* No DMA of the device reaches the process now. */
	if (h->pinned)
		mm_unpin(mm, h);
	if (--md->users)
		return;
	pthread_mutex_lock(&mm->lock);
	cds_list_del(&md->node);
	pthread_mutex_unlock(&mm->lock);
	siommu_domain_free(md->dom);
	free(md);
}

/* The process's SVA domain on @unit, made on first use (*made set). */
static int mm_dom_get(struct siommu_mm *mm, struct siommu_unit *unit, struct mm_dom **out,
		      bool *made)
{
	struct mm_dom *md;
	int ret;

	*made = false;
	cds_list_for_each_entry(md, &mm->doms, node) {
		if (md->unit == unit) {
			*out = md;
			return 0;
		}
	}
	if (mem_should_fail(mm->mem))
		return -ENOMEM;
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	ret = core_domain_alloc_sva(unit, mm->pt, mm->flags & SIOMMU_MM_SUPERVISOR, mm_iopf, mm,
				    &md->dom);
	if (ret) {
		free(md);
		return ret;
	}
	md->unit = unit;
	*out = md;
	*made = true;
	return 0;
}

int SIOMMU_EXPORT siommu_sva_bind_with(struct siommu_device *dev, struct siommu_mm *mm,
				       const struct siommu_sva_bind_opts *opts,
				       struct siommu_sva **out)
{
	bool pinned = opts && (opts->flags & SIOMMU_SVA_BIND_PINNED);
	struct siommu_pasid_space *space;
	struct siommu_sva *h;
	struct mm_dom *md;
	bool new_pasid = false, new_md;
	int ret;

	if (!dev || !mm || !out)
		return -EINVAL;
	if (opts && ((opts->flags & ~SIOMMU_SVA_BIND_PINNED) ||
		     (!pinned && (opts->ranges || opts->nr_ranges)) ||
		     (pinned && (!opts->ranges || !opts->nr_ranges ||
				 opts->nr_ranges > SIOMMU_SVA_MAX_PIN_RANGES))))
		return -EINVAL;
	if (mm->ctx != dev->unit->ctx)
		return -EINVAL;
	space = mm->ctx->pasids;
	pthread_mutex_lock(&mm->bind_lock);
	if (mm->exited) {
		ret = -ESRCH;
		goto out_unlock;
	}
	cds_list_for_each_entry(h, &mm->binds, node) {
		if (h->dev == dev) {
			/* Pins belong to one bind: no sharing across modes. */
			if (pinned || h->pinned) {
				ret = -EBUSY;
				goto out_unlock;
			}
			h->refs++;
			*out = h;
			ret = 0;
			goto out_unlock;
		}
	}
	/* Without PASIDs (or behind an alias, which has none usable) there
	 * is nothing to bind; without PRI or stalls a miss could not be
	 * resolved, which only a bind with its pages pinned does without.
	 * A device on a unit that hands PASID tables to devices (PASID
	 * hooks: its PASIDs are its hooks') takes the process's table
	 * itself; a miss there is a fault the device's driver handles, as
	 * it does in its own tables. */
	if (!dev->pasid_bits ||
	    (!pinned && !(dev->unit->pasid_hooks ||
			  (dev->cfg.flags & (SIOMMU_DEV_PRI | SIOMMU_DEV_STALL))))) {
		ret = -EOPNOTSUPP;
		goto out_unlock;
	}
	if (mm->pasid > dev->max_pasid) {
		ret = -ERANGE;
		goto out_unlock;
	}
	ret = core_iopf_enable(mm->ctx);
	if (ret)
		goto out_unlock;
	if (mem_should_fail(mm->mem) || !(h = calloc(1, sizeof(*h)))) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	if (!mm->pasid) {
		ret = siommu_pasid_alloc(space, 1, dev->max_pasid, mm->owner, &mm->pasid);
		if (ret)
			goto out_free_h;
		new_pasid = true;
	}
	ret = mm_dom_get(mm, dev->unit, &md, &new_md);
	if (ret)
		goto out_free_pasid;
	if (new_md) {
		/* From here the process's invalidations reach the domain. */
		pthread_mutex_lock(&mm->lock);
		cds_list_add_tail(&md->node, &mm->doms);
		pthread_mutex_unlock(&mm->lock);
	}
	h->mm = mm;
	h->dev = dev;
	h->md = md;
	h->refs = 1;
	h->pinned = pinned;
	h->user.release = sva_dev_release;
	ret = core_device_user_add(dev, &h->user);
	if (ret)
		goto out_put_md;
	/* The PASID is the process's: a domain someone else attached there
	 * is not replaced. */
	if (siommu_device_domain(dev, mm->pasid)) {
		ret = -EBUSY;
		goto out_del_user;
	}
	/* The pages are in before the device can translate. */
	if (pinned) {
		ret = mm_pin(mm, h, opts->ranges, opts->nr_ranges);
		if (ret)
			goto out_del_user;
	}
	ret = core_device_attach_pasid(dev, mm->pasid, md->dom, CORE_ATT_SVA);
	if (ret)
		goto out_unpin;
	md->users++;
	cds_list_add_tail(&h->node, &mm->binds);
	mm->nr_binds++;
	*out = h;
	pthread_mutex_unlock(&mm->bind_lock);
	return 0;

out_unpin:
	if (pinned)
		mm_unpin(mm, h);
out_del_user:
	core_device_user_del(dev, &h->user);
out_put_md:
	if (new_md) {
		pthread_mutex_lock(&mm->lock);
		cds_list_del(&md->node);
		pthread_mutex_unlock(&mm->lock);
		siommu_domain_free(md->dom);
		free(md);
	}
out_free_pasid:
	if (new_pasid) {
		siommu_pasid_free(space, mm->pasid);
		mm->pasid = 0;
	}
out_free_h:
	free(h);
out_unlock:
	pthread_mutex_unlock(&mm->bind_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_sva_bind(struct siommu_device *dev, struct siommu_mm *mm,
				  struct siommu_sva **out)
{
	return siommu_sva_bind_with(dev, mm, NULL, out);
}

void SIOMMU_EXPORT siommu_sva_unbind(struct siommu_sva *h)
{
	struct siommu_mm *mm;
	bool gone;

	if (!h)
		return;
	mm = h->mm;
	pthread_mutex_lock(&mm->bind_lock);
	if (--h->refs) {
		pthread_mutex_unlock(&mm->bind_lock);
		return;
	}
	if (h->dev) {
		core_device_user_del(h->dev, &h->user);
		sva_detach(h);
	}
	cds_list_del(&h->node);
	mm->nr_binds--;
	free(h);
	gone = mm->exited && !mm->nr_binds;
	pthread_mutex_unlock(&mm->bind_lock);
	if (gone)
		mm_free(mm);
}

/* The device is going: undo the bind; the handle waits for its unbind. */
static void sva_dev_release(struct core_dev_user *user, struct siommu_device *dev)
{
	struct siommu_sva *h = caa_container_of(user, struct siommu_sva, user);
	struct siommu_mm *mm = h->mm;

	(void)dev;
	pthread_mutex_lock(&mm->bind_lock);
	if (h->dev)
		sva_detach(h);
	pthread_mutex_unlock(&mm->bind_lock);
}

uint32_t SIOMMU_EXPORT siommu_sva_pasid(const struct siommu_sva *h)
{
	return h->mm->pasid;
}
