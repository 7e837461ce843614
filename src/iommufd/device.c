/* SPDX-License-Identifier: MIT */
/*
 * Devices and paging HWPTs: bind (the context claims the core device),
 * HWPT allocation over an IOAS, attach / replace / detach at the RID or
 * at a PASID with automatic domains, and the driver's hardware info.
 * Every change here runs under ictx->attach_lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/pasid.h>

#include "iommufd/iommufd_internal.h"

#define HWPT_FLAGS (SIOMMU_HWPT_ALLOC_NEST_PARENT | SIOMMU_HWPT_ALLOC_DIRTY_TRACKING | \
		    SIOMMU_HWPT_FAULT_ID_VALID | SIOMMU_HWPT_ALLOC_PASID)

static struct ifd_device *idev_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_DEVICE);

	return obj ? container_of(obj, struct ifd_device, obj) : NULL;
}

static uint64_t hw_caps(struct siommu_device *dev)
{
	uint64_t caps = 0;
	uint32_t type;

	if (dev->unit->ops->hw_info)
		dev->unit->ops->hw_info(dev, &type, NULL, 0, &caps);
	return caps;
}

/* ---- HWPTs ---- */

/*
 * A paging HWPT over @ioas for the unit behind @idev, joined to the IOAS
 * but not published. Under attach_lock.
 */
static int hwpt_create(struct siommu_iommufd *ictx, struct ifd_device *idev,
		       struct ifd_ioas *ioas, unsigned int flags, bool auto_domain,
		       struct ifd_hwpt **out)
{
	struct siommu_domain_cfg dc = { .type = SIOMMU_DOMAIN_PAGING, .dev = idev->dev };
	struct ifd_hwpt *hwpt;
	int ret;

	if (flags & ~HWPT_FLAGS)
		return -EOPNOTSUPP;
	/* A nesting parent's faults are its nested HWPTs' to report. */
	if ((flags & SIOMMU_HWPT_FAULT_ID_VALID) && (flags & SIOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	if ((flags & SIOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !(hw_caps(idev->dev) & SIOMMU_HW_CAP_DIRTY_TRACKING))
		return -EOPNOTSUPP;
	if ((flags & SIOMMU_HWPT_ALLOC_PASID) && !idev->dev->unit->pasid_bits)
		return -EOPNOTSUPP;
	if (flags & SIOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		dc.flags |= SIOMMU_DOMAIN_DIRTY_TRACKING;
	/* A nesting parent translates guest physical addresses: VT-d's
	 * second stage (VT-d 3.8). */
	dc.stage = flags & SIOMMU_HWPT_ALLOC_NEST_PARENT ? SIOMMU_STAGE_SECOND :
		   SIOMMU_STAGE_AUTO;
	hwpt = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*hwpt));
	if (!hwpt)
		return -ENOMEM;
	hwpt->ioas = ioas;
	hwpt->unit = idev->dev->unit;
	hwpt->flags = flags;
	hwpt->auto_domain = auto_domain;
	ret = ifd_obj_reserve(ictx, &hwpt->obj, SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	if (ret)
		goto out_free;
	pthread_mutex_lock(&ioas->lock);
	if (!ioas->huge_pages)
		dc.pgsize_bitmap = SIOMMU_PGSIZE_4K;
	pthread_mutex_unlock(&ioas->lock);
	ret = siommu_domain_alloc(hwpt->unit, &dc, &hwpt->dom);
	if (ret)
		goto out_abort;
	core_domain_aperture(hwpt->dom, &hwpt->aperture_start, &hwpt->aperture_last);
	hwpt->pgsizes = hwpt->dom->pgsizes;
	pthread_mutex_lock(&ioas->lock);
	ret = ifd_ioas_add_hwpt(ioas, hwpt);
	pthread_mutex_unlock(&ioas->lock);
	if (ret)
		goto out_domain;
	/* The HWPT uses its IOAS until it goes. */
	ifd_obj_use(ictx, &ioas->obj);
	*out = hwpt;
	return 0;

out_domain:
	siommu_domain_free(hwpt->dom);
out_abort:
	ifd_obj_abort(ictx, &hwpt->obj);
out_free:
	free(hwpt);
	return ret;
}

/* Out of the table (or never published): leave the IOAS, free; @undo:
 * its creation failed (ifd_ioas_del_hwpt()). */
static void hwpt_teardown(struct ifd_hwpt *hwpt, bool undo)
{
	struct ifd_ioas *ioas = hwpt->ioas;
	int ret;

	SIOMMU_ASSERT(!hwpt->nr_atts);
	if (hwpt->parent) {
		ret = siommu_domain_free(hwpt->dom);
		SIOMMU_ASSERT(!ret);
		ifd_obj_unuse(ioas->ictx, hwpt->viommu ? &hwpt->viommu->obj : &hwpt->parent->obj);
		if (hwpt->fault)
			ifd_obj_unuse(ioas->ictx, &hwpt->fault->obj);
		free(hwpt);
		return;
	}
	pthread_mutex_lock(&ioas->lock);
	ifd_ioas_del_hwpt(ioas, hwpt, undo);
	pthread_mutex_unlock(&ioas->lock);
	ret = siommu_domain_free(hwpt->dom);
	SIOMMU_ASSERT(!ret);
	(void)ret;
	ifd_obj_unuse(ioas->ictx, &ioas->obj);
	if (hwpt->fault)
		ifd_obj_unuse(ioas->ictx, &hwpt->fault->obj);
	free(hwpt);
}

void ifd_hwpt_destroy(struct ifd_hwpt *hwpt)
{
	hwpt_teardown(hwpt, false);
}

/* An unpublished HWPT whose creation failed later on. */
static void hwpt_abort(struct siommu_iommufd *ictx, struct ifd_hwpt *hwpt)
{
	ifd_obj_abort(ictx, &hwpt->obj);
	hwpt_teardown(hwpt, true);
}

static int hwpt_nested_create(struct siommu_iommufd *ictx, struct ifd_device *idev,
			      struct ifd_obj *pt, const struct siommu_hwpt_nested_cfg *cfg,
			      struct ifd_hwpt **out);

/*
 * Give new HWPT @hwpt (unpublished) FAULT object @fault_id, which it uses
 * from now on: 0, -ENOENT (no such fault object), -ENOMEM. Under
 * attach_lock.
 */
static int hwpt_set_fault(struct siommu_iommufd *ictx, struct ifd_hwpt *hwpt,
			  uint32_t fault_id)
{
	struct ifd_obj *fobj = ifd_obj_get(ictx, fault_id, SIOMMU_IOMMUFD_OBJ_FAULT);
	int ret;

	if (!fobj)
		return -ENOENT;
	/* The core's I/O page-fault path delivers the groups. */
	ret = core_iopf_init(ictx->ctx);
	if (!ret) {
		hwpt->fault = container_of(fobj, struct ifd_fault, obj);
		core_domain_set_iopf_deliver(hwpt->dom, ifd_hwpt_iopf, hwpt);
		ifd_obj_use(ictx, fobj);
	}
	ifd_obj_put(ictx, fobj);
	return ret;
}

/*
 * The last steps of HWPT_ALLOC: a paging HWPT over IOAS @pt, or with
 * @ncfg a nested one over HWPT or vIOMMU @pt, then its fault queue
 * (FAULT_ID_VALID), published with its ID in *out_id. The fault object
 * is looked up last, as Linux does: a request the HWPT refuses fails
 * for that whatever @fault_id names.
 */
static int hwpt_alloc_publish(struct siommu_iommufd *ictx, struct ifd_device *idev,
			      struct ifd_obj *pt, unsigned int flags, uint32_t fault_id,
			      const struct siommu_hwpt_nested_cfg *ncfg, uint32_t *out_id)
{
	struct ifd_hwpt *hwpt;
	int ret;

	fifo_lock(&ictx->attach_lock);
	if (ncfg)
		ret = hwpt_nested_create(ictx, idev, pt, ncfg, &hwpt);
	else
		ret = hwpt_create(ictx, idev, container_of(pt, struct ifd_ioas, obj), flags,
				  false, &hwpt);
	if (!ret && (flags & SIOMMU_HWPT_FAULT_ID_VALID)) {
		ret = hwpt_set_fault(ictx, hwpt, fault_id);
		if (ret)
			hwpt_abort(ictx, hwpt);
	}
	if (!ret) {
		*out_id = hwpt->obj.id;
		ifd_obj_publish(ictx, &hwpt->obj);
	}
	fifo_unlock(&ictx->attach_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_hwpt_alloc(struct siommu_iommufd *ictx, uint32_t dev_id,
				    uint32_t pt_id, unsigned int flags, uint32_t fault_id,
				    uint32_t *out_id)
{
	struct ifd_obj *pt;
	struct ifd_device *idev;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	/* Linux's order: the device, the IOAS, then the flags. */
	idev = idev_get(ictx, dev_id);
	if (!idev)
		return -ENOENT;
	pt = ifd_obj_get(ictx, pt_id, SIOMMU_IOMMUFD_OBJ_NONE);
	if (!pt) {
		ret = -ENOENT;
		goto out_put_dev;
	}
	if (pt->type != SIOMMU_IOMMUFD_OBJ_IOAS) {
		ret = -EINVAL;
		goto out_put_pt;
	}
	if (flags & ~HWPT_FLAGS) {
		ret = -EOPNOTSUPP;
		goto out_put_pt;
	}
	ret = hwpt_alloc_publish(ictx, idev, pt, flags, fault_id, NULL, out_id);
out_put_pt:
	ifd_obj_put(ictx, pt);
out_put_dev:
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}

/* ---- nested HWPTs ---- */

#define HWPT_NESTED_FLAGS (SIOMMU_HWPT_FAULT_ID_VALID | SIOMMU_HWPT_ALLOC_PASID)

/*
 * The nest parent @pt names (a vIOMMU stands for its own), or an error:
 * -EINVAL, -EOPNOTSUPP (driver data on an IOAS: paging HWPTs take none;
 * from a vIOMMU, flags other than FAULT_ID_VALID: a nested STE's
 * substreams are the guest's, so it takes no host PASID).
 */
static int nest_parent(struct ifd_obj *pt, const struct siommu_hwpt_nested_cfg *cfg,
		       struct ifd_device *idev, struct ifd_hwpt **out)
{
	struct ifd_hwpt *parent;

	if (pt->type == SIOMMU_IOMMUFD_OBJ_IOAS)
		return cfg->data_type == SIOMMU_HWPT_DATA_NONE ? -EINVAL : -EOPNOTSUPP;
	if (pt->type == SIOMMU_IOMMUFD_OBJ_VIOMMU) {
		struct ifd_viommu *v = container_of(pt, struct ifd_viommu, obj);

		if (cfg->flags & ~SIOMMU_HWPT_FAULT_ID_VALID)
			return -EOPNOTSUPP;
		/* A vIOMMU is a slice of one unit. */
		if (idev->dev->unit != v->unit)
			return -EINVAL;
		*out = v->parent;
		return 0;
	}
	if (pt->type != SIOMMU_IOMMUFD_OBJ_HWPT_PAGING)
		return -EINVAL;
	parent = container_of(pt, struct ifd_hwpt, obj);
	if (!(parent->flags & SIOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EINVAL;
	*out = parent;
	return 0;
}

/* A nested HWPT over the parent HWPT or vIOMMU @pt, not published.
 * Under attach_lock. */
static int hwpt_nested_create(struct siommu_iommufd *ictx, struct ifd_device *idev,
			      struct ifd_obj *pt, const struct siommu_hwpt_nested_cfg *cfg,
			      struct ifd_hwpt **out)
{
	struct ifd_viommu *v = NULL;
	struct ifd_hwpt *hwpt, *parent;
	int ret;

	if (pt->type == SIOMMU_IOMMUFD_OBJ_VIOMMU) {
		v = container_of(pt, struct ifd_viommu, obj);
		parent = v->parent;
	} else {
		parent = container_of(pt, struct ifd_hwpt, obj);
	}
	hwpt = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*hwpt));
	if (!hwpt)
		return -ENOMEM;
	ret = ifd_obj_reserve(ictx, &hwpt->obj, SIOMMU_IOMMUFD_OBJ_HWPT_NESTED);
	if (ret)
		goto out_free;
	if (v)
		ret = core_viommu_alloc_nested(v->unit, v->drv, parent->dom, cfg->data_type,
					       cfg->data, cfg->data_len, &hwpt->dom);
	else
		ret = siommu_domain_alloc_nested(parent->dom, idev->dev->unit, cfg->data_type,
						 cfg->data, cfg->data_len, &hwpt->dom);
	if (ret)
		goto out_abort;
	hwpt->parent = parent;
	hwpt->viommu = v;
	hwpt->ioas = parent->ioas;
	hwpt->unit = idev->dev->unit;
	hwpt->flags = cfg->flags;
	/* A vIOMMU's nested HWPT uses it (and through it the parent). */
	ifd_obj_use(ictx, v ? &v->obj : &parent->obj);
	*out = hwpt;
	return 0;

out_abort:
	ifd_obj_abort(ictx, &hwpt->obj);
out_free:
	free(hwpt);
	return ret;
}

int SIOMMU_EXPORT siommu_hwpt_alloc_nested(struct siommu_iommufd *ictx,
					   const struct siommu_hwpt_nested_cfg *cfg,
					   uint32_t *out_id)
{
	struct ifd_obj *pt;
	struct ifd_hwpt *parent;
	struct ifd_device *idev;
	int ret;

	if (!ictx || !cfg || !out_id)
		return -EINVAL;
	/* Linux's order: the device, the parent's object, the flags, then
	 * what the parent is. */
	idev = idev_get(ictx, cfg->dev_id);
	if (!idev)
		return -ENOENT;
	pt = ifd_obj_get(ictx, cfg->pt_id, SIOMMU_IOMMUFD_OBJ_NONE);
	if (!pt) {
		ret = -ENOENT;
		goto out_put_dev;
	}
	ret = cfg->flags & ~HWPT_NESTED_FLAGS ? -EOPNOTSUPP : nest_parent(pt, cfg, idev, &parent);
	if (ret)
		goto out_put_pt;
	if (cfg->data_type == SIOMMU_HWPT_DATA_NONE) {
		ret = -EINVAL;
		goto out_put_pt;
	}
	if ((cfg->flags & SIOMMU_HWPT_ALLOC_PASID) && !idev->dev->unit->pasid_bits) {
		ret = -EOPNOTSUPP;
		goto out_put_pt;
	}
	ret = hwpt_alloc_publish(ictx, idev, pt, cfg->flags, cfg->fault_id, cfg, out_id);
out_put_pt:
	ifd_obj_put(ictx, pt);
out_put_dev:
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}

int SIOMMU_EXPORT siommu_hwpt_invalidate(struct siommu_iommufd *ictx, uint32_t hwpt_id,
					 uint32_t data_type, const void *data,
					 uint32_t entry_len, uint32_t *entry_num)
{
	struct ifd_obj *obj;
	uint32_t n;
	int ret;

	if (!ictx || !entry_num)
		return -EINVAL;
	n = *entry_num;
	/* Refusing the call as a whole handles no entry. */
	*entry_num = 0;
	/* Bounded so that one call cannot run unbounded, nor read an entry
	 * beyond a page, whatever the array holds. */
	if (n && (!data || !entry_len || !ifd_invalidate_bounded(entry_len, n)))
		return -EINVAL;
	obj = ifd_obj_get(ictx, hwpt_id, SIOMMU_IOMMUFD_OBJ_NONE);
	if (!obj)
		return -ENOENT;
	if (obj->type == SIOMMU_IOMMUFD_OBJ_HWPT_NESTED) {
		ret = siommu_domain_cache_invalidate(container_of(obj, struct ifd_hwpt, obj)->dom,
						     data_type, data, entry_len, &n);
	} else if (obj->type == SIOMMU_IOMMUFD_OBJ_VIOMMU) {
		ret = ifd_viommu_invalidate(ictx, container_of(obj, struct ifd_viommu, obj),
					    data_type, data, entry_len, &n);
	} else {
		ret = -EINVAL;
		n = 0;
	}
	*entry_num = n;
	ifd_obj_put(ictx, obj);
	return ret;
}

/* ---- dirty tracking ---- */

static struct ifd_hwpt *hwpt_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);

	return obj ? container_of(obj, struct ifd_hwpt, obj) : NULL;
}

int SIOMMU_EXPORT siommu_hwpt_set_dirty_tracking(struct siommu_iommufd *ictx,
						 uint32_t hwpt_id, bool enable)
{
	struct ifd_hwpt *hwpt = ictx ? hwpt_get(ictx, hwpt_id) : NULL;
	int ret = 0;

	if (!hwpt)
		return -ENOENT;
	if (!(hwpt->flags & SIOMMU_HWPT_ALLOC_DIRTY_TRACKING)) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	pthread_mutex_lock(&hwpt->ioas->lock);
	if (enable && !hwpt->dirty_on) {
		ifd_ioas_clear_dirty(hwpt->ioas, hwpt);
		core_domain_flush_all(hwpt->dom);
	}
	hwpt->dirty_on = enable;
	pthread_mutex_unlock(&hwpt->ioas->lock);
out_put:
	ifd_obj_put(ictx, &hwpt->obj);
	return ret;
}

struct dirty_walk {
	uint64_t iova, page_size, *bitmap;
};

/* A run of dirty leaves: mark every block it touches. */
static void dirty_mark(void *arg, uint64_t iova, uint64_t length)
{
	struct dirty_walk *w = arg;
	uint64_t first, last, n;

	if (iova < w->iova) {
		length -= w->iova - iova;
		iova = w->iova;
	}
	first = (iova - w->iova) / w->page_size;
	last = (iova + length - 1 - w->iova) / w->page_size;
	for (n = first; n <= last; n++)
		w->bitmap[n / 64] |= 1ull << (n % 64);
}

int SIOMMU_EXPORT siommu_hwpt_get_dirty_bitmap(struct siommu_iommufd *ictx,
					       uint32_t hwpt_id, uint64_t iova,
					       uint64_t length, uint64_t page_size,
					       unsigned int flags, uint64_t *bitmap)
{
	struct dirty_walk w = { iova, page_size, bitmap };
	struct ifd_hwpt *hwpt;
	uint64_t last;
	int ret = 0;

	if (!ictx || !bitmap)
		return -EINVAL;
	if (flags & ~SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
		return -EOPNOTSUPP;
	/* Linux's order: the HWPT, the range's end, its alignment to the
	 * IOAS's and then to page_size, the domain's dirty tracking, the
	 * areas. */
	hwpt = hwpt_get(ictx, hwpt_id);
	if (!hwpt)
		return -ENOENT;
	if (__builtin_add_overflow(iova, length - 1, &last)) {
		ret = -EOVERFLOW;
		goto out_put;
	}
	pthread_mutex_lock(&hwpt->ioas->lock);
	if (!length || ((iova | length) & (ifd_ioas_alignment(hwpt->ioas) - 1)) ||
	    !page_size || (page_size & (page_size - 1)) || ((iova | length) & (page_size - 1)))
		ret = -EINVAL;
	else if (!(hwpt->flags & SIOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		ret = -EOPNOTSUPP;
	else if (!ifd_ioas_covered(hwpt->ioas, iova, last))
		ret = -EINVAL;
	if (!ret) {
		ret = core_domain_read_and_clear_dirty(hwpt->dom, iova, length,
						       flags & SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR ?
						       SIOMMU_PT_DIRTY_NO_CLEAR : 0, dirty_mark, &w);
		if (!ret && !(flags & SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR))
			core_domain_flush_all(hwpt->dom);
	}
	pthread_mutex_unlock(&hwpt->ioas->lock);
out_put:
	ifd_obj_put(ictx, &hwpt->obj);
	return ret;
}

/* ---- PASID numbers in the core's space ---- */

static struct ifd_pasid_use *pasid_use_find(struct siommu_iommufd *ictx, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; i < ictx->nr_pasids; i++)
		if (ictx->pasids[i].pasid == pasid)
			return &ictx->pasids[i];
	return NULL;
}

/*
 * The context's use of PASID number @pasid in the core context's space,
 * allocating it there on first use: -EBUSY if another user of the core
 * holds it. Under attach_lock.
 */
static int pasid_use_get(struct siommu_iommufd *ictx, uint32_t pasid)
{
	struct siommu_pasid_space *space = siommu_ctx_pasids(ictx->ctx);
	struct ifd_pasid_use *u = pasid_use_find(ictx, pasid);
	uint32_t got;
	int ret;

	if (u) {
		u->users++;
		return 0;
	}
	if (ictx->nr_pasids == ictx->cap_pasids) {
		unsigned int cap = ictx->cap_pasids ? ictx->cap_pasids * 2 : 8;

		u = ifd_should_fail(ictx) ? NULL :
		    realloc(ictx->pasids, cap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		ictx->pasids = u;
		ictx->cap_pasids = cap;
	}
	ret = siommu_pasid_alloc(space, pasid, pasid, (uint64_t)(uintptr_t)ictx, &got);
	if (ret)
		return ret == -ENOSPC || ret == -EDQUOT ? -EBUSY :
		       ret == -EINVAL ? -ERANGE : ret;
	ictx->pasids[ictx->nr_pasids++] = (struct ifd_pasid_use){ pasid, 1 };
	return 0;
}

static void pasid_use_put(struct siommu_iommufd *ictx, uint32_t pasid)
{
	struct ifd_pasid_use *u = pasid_use_find(ictx, pasid);

	SIOMMU_ASSERT(u && u->users);
	if (--u->users)
		return;
	siommu_pasid_free(siommu_ctx_pasids(ictx->ctx), pasid);
	*u = ictx->pasids[--ictx->nr_pasids];
}

/* ---- attach ---- */

static struct ifd_pasid_att *pasid_att_find(struct ifd_device *idev, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; i < idev->nr_pasids; i++)
		if (idev->pasids[i].pasid == pasid)
			return &idev->pasids[i];
	return NULL;
}

/*
 * Drop an attachment's reference on @hwpt; an automatic HWPT left with
 * none goes, unless a call holds it at the moment (as Linux, it then
 * stays, unattached, until destroyed). Under attach_lock.
 */
static void hwpt_unuse(struct siommu_iommufd *ictx, struct ifd_hwpt *hwpt)
{
	hwpt->nr_atts--;
	ifd_obj_unuse(ictx, &hwpt->obj);
	if (hwpt->auto_domain && !hwpt->nr_atts &&
	    !ifd_obj_remove(ictx, &hwpt->obj, false, false))
		ifd_hwpt_destroy(hwpt);
}

/*
 * Reserve @idev's regions in @hwpt's IOAS for the attachment (@pasid),
 * unless @old (the HWPT it replaces) is in the same IOAS and already did.
 */
static int resv_add(struct ifd_device *idev, uint32_t pasid, struct ifd_hwpt *hwpt,
		    struct ifd_hwpt *old)
{
	struct iommu_resv_region r[8];
	unsigned int n;
	int ret;

	if (old && old->ioas == hwpt->ioas)
		return 0;
	n = core_device_resv_regions(idev->dev, r, ARRAY_SIZE(r));
	if (n > ARRAY_SIZE(r))
		n = ARRAY_SIZE(r);
	pthread_mutex_lock(&hwpt->ioas->lock);
	ret = ifd_ioas_add_resv(hwpt->ioas, r, n, ifd_resv_owner(idev->obj.id, pasid));
	pthread_mutex_unlock(&hwpt->ioas->lock);
	return ret;
}

static void resv_del(struct ifd_device *idev, uint32_t pasid, struct ifd_hwpt *hwpt,
		     struct ifd_hwpt *keep)
{
	if (keep && keep->ioas == hwpt->ioas)
		return;
	pthread_mutex_lock(&hwpt->ioas->lock);
	ifd_ioas_del_resv(hwpt->ioas, ifd_resv_owner(idev->obj.id, pasid));
	pthread_mutex_unlock(&hwpt->ioas->lock);
}

/* The core's "the unit cannot do that" is an argument error here. */
static int core_err(int ret)
{
	return ret == -EOPNOTSUPP ? -EINVAL : ret;
}

/* A new attachment uses @hwpt. Under attach_lock. */
static void att_take(struct siommu_iommufd *ictx, struct ifd_hwpt *hwpt)
{
	ifd_obj_use(ictx, &hwpt->obj);
	hwpt->nr_atts++;
}

/*
 * The attachment of @idev at @pasid leaves @old (for @keep, or for
 * nothing): its pending page requests are answered "invalid", its
 * reserved regions go unless @keep shares the IOAS, and @old loses a
 * user. Under attach_lock.
 */
static void att_leave(struct siommu_iommufd *ictx, struct ifd_device *idev, uint32_t pasid,
		      struct ifd_hwpt *old, struct ifd_hwpt *keep)
{
	if (old->fault)
		ifd_fault_flush(old->fault, idev, pasid);
	resv_del(idev, pasid, old, keep);
	hwpt_unuse(ictx, old);
}

static bool same_group(struct ifd_device *a, struct ifd_device *b)
{
	return siommu_device_group(a->dev) == siommu_device_group(b->dev);
}

/*
 * The RID of @idev's group to @hwpt. As Linux, a group's RID has one HWPT:
 * a device whose group is attached through a bound sibling may attach
 * only to that HWPT (-EINVAL otherwise), and a replace moves every bound
 * device of the group that shares the old HWPT. Under attach_lock.
 */
static int attach_rid(struct siommu_iommufd *ictx, struct ifd_device *idev,
		      struct ifd_hwpt *hwpt, bool replace)
{
	struct ifd_hwpt *old = idev->rid_hwpt, *cur = old;
	struct ifd_device *it, *undo;
	int ret = 0;

	if (replace && !old)
		return -EINVAL;
	if (old == hwpt)
		return 0;
	if (!old) {
		cds_list_for_each_entry(it, &ictx->devices, node)
			if (same_group(it, idev) && it->rid_hwpt) {
				cur = it->rid_hwpt;
				break;
			}
		if (cur && cur != hwpt)
			return -EINVAL;
	}
	/* Who moves: @idev, and its group's devices on @old. */
	cds_list_for_each_entry(it, &ictx->devices, node) {
		it->moving = it == idev || (old && same_group(it, idev) && it->rid_hwpt == old);
		if (!it->moving)
			continue;
		/* PASIDs attached need a PASID-capable RID domain. */
		if (it->nr_pasids && !(hwpt->flags & SIOMMU_HWPT_ALLOC_PASID))
			ret = ret ? ret : -EINVAL;
		/* A vIOMMU's nested HWPT takes the devices it knows, by
		 * their vDEVICE (Linux: the vSID of arm-smmu-v3). */
		if (hwpt->viommu && (!it->vdev || it->vdev->viommu != hwpt->viommu))
			ret = -ENOENT;
	}
	if (ret)
		return ret;
	cds_list_for_each_entry(it, &ictx->devices, node) {
		if (!it->moving)
			continue;
		ret = resv_add(it, SIOMMU_IOMMUFD_NO_PASID, hwpt, old);
		if (ret)
			goto out_resv;
	}
	/* A group already on @hwpt through a sibling needs no change. */
	if (cur != hwpt) {
		ret = core_err(siommu_device_attach(idev->dev, hwpt->dom));
		if (ret) {
			it = NULL;
			goto out_resv;
		}
	}
	cds_list_for_each_entry(it, &ictx->devices, node) {
		if (!it->moving)
			continue;
		att_take(ictx, hwpt);
		it->rid_hwpt = hwpt;
		if (old)
			att_leave(ictx, it, SIOMMU_IOMMUFD_NO_PASID, old, hwpt);
	}
	return 0;

out_resv:
	/* Up to @it (NULL: all of them) took their regions. */
	cds_list_for_each_entry(undo, &ictx->devices, node) {
		if (undo == it)
			break;
		if (undo->moving)
			resv_del(undo, SIOMMU_IOMMUFD_NO_PASID, hwpt, old);
	}
	return ret;
}

static int attach_pasid(struct siommu_iommufd *ictx, struct ifd_device *idev,
			uint32_t pasid, struct ifd_hwpt *hwpt, bool replace)
{
	struct ifd_pasid_att *att = pasid_att_find(idev, pasid);
	struct ifd_hwpt *old = att ? att->hwpt : NULL;
	int ret;

	if (!(hwpt->flags & SIOMMU_HWPT_ALLOC_PASID) || !idev->pasid_bits)
		return -EINVAL;
	if (idev->rid_hwpt && !(idev->rid_hwpt->flags & SIOMMU_HWPT_ALLOC_PASID))
		return -EINVAL;
	if (!pasid || pasid >= 1u << idev->pasid_bits)
		return -ERANGE;
	if (!replace && att)
		return -EBUSY;
	if (replace && !att)
		return -EINVAL;
	if (old == hwpt)
		return 0;
	if (!att) {
		if (idev->nr_pasids == idev->cap_pasids) {
			unsigned int cap = idev->cap_pasids ? idev->cap_pasids * 2 : 4;
			struct ifd_pasid_att *p;

			p = ifd_should_fail(ictx) ? NULL :
			    realloc(idev->pasids, cap * sizeof(*p));
			if (p) {
				idev->pasids = p;
				idev->cap_pasids = cap;
			}
			if (!p)
				return -ENOMEM;
		}
		ret = pasid_use_get(ictx, pasid);
		if (ret)
			return ret;
	}
	ret = resv_add(idev, pasid, hwpt, old);
	if (ret)
		goto out_pasid;
	ret = core_err(core_device_attach_pasid(idev->dev, pasid, hwpt->dom,
						CORE_ATT_IOMMUFD));
	if (ret)
		goto out_resv;
	att_take(ictx, hwpt);
	if (att)
		att->hwpt = hwpt;
	else
		idev->pasids[idev->nr_pasids++] = (struct ifd_pasid_att){ pasid, hwpt };
	if (att)
		att_leave(ictx, idev, pasid, old, hwpt);
	return 0;

out_resv:
	resv_del(idev, pasid, hwpt, old);
out_pasid:
	if (!att)
		pasid_use_put(ictx, pasid);
	return ret;
}

/*
 * RID to an IOAS: reuse an automatic HWPT of the IOAS the device's unit
 * can walk, or make one (Linux: the automatic domain).
 */
static int attach_ioas(struct siommu_iommufd *ictx, struct ifd_device *idev,
		       struct ifd_ioas *ioas, bool replace, uint32_t *hwpt_id)
{
	struct ifd_hwpt *hwpt;
	int ret;

	if (replace && !idev->rid_hwpt)
		return -EINVAL;
	cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node) {
		if (!hwpt->auto_domain)
			continue;
		ret = attach_rid(ictx, idev, hwpt, replace);
		if (ret != -EINVAL) {
			if (!ret)
				*hwpt_id = hwpt->obj.id;
			return ret;
		}
	}
	ret = hwpt_create(ictx, idev, ioas, 0, true, &hwpt);
	if (ret)
		return ret;
	ret = attach_rid(ictx, idev, hwpt, replace);
	if (ret) {
		hwpt_abort(ictx, hwpt);
		return ret;
	}
	*hwpt_id = hwpt->obj.id;
	ifd_obj_publish(ictx, &hwpt->obj);
	return 0;
}

static int do_attach(struct siommu_iommufd *ictx, uint32_t dev_id, uint32_t pasid,
		     uint32_t *pt_id, bool replace)
{
	struct ifd_device *idev;
	struct ifd_obj *pt;
	int ret;

	if (!ictx || !pt_id)
		return -EINVAL;
	idev = idev_get(ictx, dev_id);
	if (!idev)
		return -ENOENT;
	pt = ifd_obj_get(ictx, *pt_id, SIOMMU_IOMMUFD_OBJ_NONE);
	if (!pt) {
		ret = -ENOENT;
		goto out_put_dev;
	}
	fifo_lock(&ictx->attach_lock);
	if (pt->type == SIOMMU_IOMMUFD_OBJ_IOAS) {
		/* No automatic domain on the PASID path. */
		ret = pasid != SIOMMU_IOMMUFD_NO_PASID ? -EINVAL :
		      attach_ioas(ictx, idev, container_of(pt, struct ifd_ioas, obj),
				  replace, pt_id);
	} else if (pt->type == SIOMMU_IOMMUFD_OBJ_HWPT_PAGING ||
		   pt->type == SIOMMU_IOMMUFD_OBJ_HWPT_NESTED) {
		struct ifd_hwpt *hwpt = container_of(pt, struct ifd_hwpt, obj);

		ret = pasid == SIOMMU_IOMMUFD_NO_PASID ?
		      attach_rid(ictx, idev, hwpt, replace) :
		      attach_pasid(ictx, idev, pasid, hwpt, replace);
	} else {
		ret = -EINVAL;
	}
	fifo_unlock(&ictx->attach_lock);
	ifd_obj_put(ictx, pt);
out_put_dev:
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_attach(struct siommu_iommufd *ictx, uint32_t dev_id,
					uint32_t pasid, uint32_t *pt_id)
{
	return do_attach(ictx, dev_id, pasid, pt_id, false);
}

int SIOMMU_EXPORT siommu_iommufd_replace(struct siommu_iommufd *ictx, uint32_t dev_id,
					 uint32_t pasid, uint32_t *pt_id)
{
	return do_attach(ictx, dev_id, pasid, pt_id, true);
}

/* Under attach_lock. Never fails. */
static void detach_locked(struct siommu_iommufd *ictx, struct ifd_device *idev,
			  uint32_t pasid)
{
	struct ifd_pasid_att *att;
	struct ifd_hwpt *old;

	if (pasid == SIOMMU_IOMMUFD_NO_PASID) {
		struct ifd_device *it;
		bool shared = false;

		old = idev->rid_hwpt;
		if (!old)
			return;
		/* The group's RID stays attached while a bound sibling uses it. */
		cds_list_for_each_entry(it, &ictx->devices, node)
			if (it != idev && same_group(it, idev) && it->rid_hwpt == old)
				shared = true;
		if (!shared)
			siommu_device_detach(idev->dev);
		idev->rid_hwpt = NULL;
	} else {
		att = pasid_att_find(idev, pasid);
		if (!att)
			return;
		old = att->hwpt;
		core_device_detach_pasid(idev->dev, pasid, CORE_ATT_IOMMUFD);
		*att = idev->pasids[--idev->nr_pasids];
		pasid_use_put(ictx, pasid);
	}
	att_leave(ictx, idev, pasid, old, NULL);
}

int SIOMMU_EXPORT siommu_iommufd_detach(struct siommu_iommufd *ictx, uint32_t dev_id,
					uint32_t pasid)
{
	struct ifd_device *idev = ictx ? idev_get(ictx, dev_id) : NULL;

	if (!idev)
		return -ENOENT;
	fifo_lock(&ictx->attach_lock);
	detach_locked(ictx, idev, pasid);
	fifo_unlock(&ictx->attach_lock);
	ifd_obj_put(ictx, &idev->obj);
	return 0;
}

uint32_t SIOMMU_EXPORT siommu_iommufd_attached_hwpt(struct siommu_iommufd *ictx,
						    uint32_t dev_id, uint32_t pasid)
{
	struct ifd_device *idev = idev_get(ictx, dev_id);
	struct ifd_pasid_att *att;
	uint32_t id = 0;

	if (!idev)
		return 0;
	fifo_lock(&ictx->attach_lock);
	if (pasid == SIOMMU_IOMMUFD_NO_PASID) {
		if (idev->rid_hwpt)
			id = idev->rid_hwpt->obj.id;
	} else {
		att = pasid_att_find(idev, pasid);
		if (att)
			id = att->hwpt->obj.id;
	}
	fifo_unlock(&ictx->attach_lock);
	ifd_obj_put(ictx, &idev->obj);
	return id;
}

/* ---- bind ---- */

/* The core removes the device: unbind it, which detaches everything. */
static void idev_release(void *cookie, struct siommu_device *dev)
{
	struct ifd_device *idev = cookie;

	(void)dev;
	siommu_iommufd_unbind(idev->ictx, idev->obj.id);
}

struct ifd_device *ifd_device_of(struct siommu_device *dev)
{
	return core_device_owner(dev, idev_release);
}

int SIOMMU_EXPORT siommu_iommufd_bind(struct siommu_iommufd *ictx, struct siommu_device *dev,
				      uint32_t *out_dev_id)
{
	struct siommu_device_info info;
	struct ifd_device *idev;
	int ret;

	if (!ictx || !dev || !out_dev_id)
		return -EINVAL;
	if (dev->unit->ctx != ictx->ctx)
		return -EINVAL;
	idev = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*idev));
	if (!idev)
		return -ENOMEM;
	idev->ictx = ictx;
	idev->dev = dev;
	siommu_device_get_info(dev, &info);
	idev->pasid_bits = info.pasid_bits;
	ret = ifd_obj_reserve(ictx, &idev->obj, SIOMMU_IOMMUFD_OBJ_DEVICE);
	if (ret)
		goto out_free;
	ret = siommu_device_claim(dev, idev_release, idev);
	if (ret)
		goto out_abort;
	fifo_lock(&ictx->attach_lock);
	cds_list_add_tail(&idev->node, &ictx->devices);
	fifo_unlock(&ictx->attach_lock);
	/* The binder's reference: IOMMU_DESTROY of a bound device is -EBUSY. */
	ifd_obj_use(ictx, &idev->obj);
	*out_dev_id = idev->obj.id;
	ifd_obj_publish(ictx, &idev->obj);
	return 0;

out_abort:
	ifd_obj_abort(ictx, &idev->obj);
out_free:
	free(idev);
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_unbind(struct siommu_iommufd *ictx, uint32_t dev_id)
{
	struct ifd_device *idev = ictx ? idev_get(ictx, dev_id) : NULL;
	int ret;

	if (!idev)
		return -ENOENT;
	fifo_lock(&ictx->attach_lock);
	if (cds_list_empty(&idev->node)) {
		/* Another unbind got here first. */
		fifo_unlock(&ictx->attach_lock);
		ifd_obj_put(ictx, &idev->obj);
		return -ENOENT;
	}
	while (idev->nr_pasids)
		detach_locked(ictx, idev, idev->pasids[0].pasid);
	detach_locked(ictx, idev, SIOMMU_IOMMUFD_NO_PASID);
	ifd_vdevice_unbind(ictx, idev);
	cds_list_del_init(&idev->node);
	fifo_unlock(&ictx->attach_lock);
	ifd_obj_unuse(ictx, &idev->obj);
	ret = ifd_obj_remove(ictx, &idev->obj, true, true);
	SIOMMU_ASSERT(!ret);
	(void)ret;
	ifd_device_destroy(idev);
	return 0;
}

void ifd_device_destroy(struct ifd_device *idev)
{
	siommu_device_unclaim(idev->dev, idev);
	free(idev->pasids);
	free(idev);
}

int SIOMMU_EXPORT siommu_iommufd_get_hw_info(struct siommu_iommufd *ictx, uint32_t dev_id,
					     bool want_type, uint32_t *type, void *data,
					     uint32_t data_len, uint32_t *out_len,
					     uint64_t *caps, uint8_t *max_pasid_log2)
{
	struct ifd_device *idev;
	uint64_t c = 0;
	uint32_t t = SIOMMU_HW_INFO_TYPE_NONE;
	size_t len = 0;
	int ret = 0;

	if (!ictx || !type || (data_len && !data))
		return -EINVAL;
	idev = idev_get(ictx, dev_id);
	if (!idev)
		return -ENOENT;
	/* The type first: a refused one leaves the caller's buffer alone. */
	if (idev->dev->unit->ops->hw_info)
		idev->dev->unit->ops->hw_info(idev->dev, &t, NULL, 0, &c);
	if (want_type && *type != SIOMMU_HW_INFO_TYPE_NONE && *type != t) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	if (idev->dev->unit->ops->hw_info)
		len = idev->dev->unit->ops->hw_info(idev->dev, &t, data, data_len, &c);
	if (data_len > len)
		memset((char *)data + len, 0, data_len - len);
	*type = t;
	if (out_len)
		*out_len = (uint32_t)len;
	if (caps)
		*caps = c;
	if (max_pasid_log2)
		*max_pasid_log2 = (uint8_t)idev->pasid_bits;
out_put:
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}
