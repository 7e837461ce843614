/* SPDX-License-Identifier: MIT */
/*
 * vIOMMU and vDEVICE objects (siommu/iommufd.h): a user's slice of one
 * physical unit over a nest parent, and the devices it knows by virtual
 * IDs, for vIOMMU-wide invalidation (the guest's commands name virtual
 * device IDs, the unit's driver needs physical ones).
 */
#include <errno.h>
#include <stdlib.h>

#include <siommu/mock.h>

#include "iommufd/iommufd_internal.h"

int SIOMMU_EXPORT siommu_viommu_alloc(struct siommu_iommufd *ictx, uint32_t flags,
				      uint32_t type, uint32_t dev_id, uint32_t hwpt_id,
				      uint32_t *out_id)
{
	return siommu_viommu_alloc_data(ictx, flags, type, dev_id, hwpt_id, NULL, 0, out_id);
}

int SIOMMU_EXPORT siommu_viommu_alloc_data(struct siommu_iommufd *ictx, uint32_t flags,
					   uint32_t type, uint32_t dev_id, uint32_t hwpt_id,
					   void *data, uint32_t data_len, uint32_t *out_id)
{
	struct ifd_obj *dobj, *hobj;
	struct ifd_viommu *v;
	struct ifd_hwpt *parent;
	struct ifd_device *idev;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	if (flags || type == SIOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	dobj = ifd_obj_get(ictx, dev_id, SIOMMU_IOMMUFD_OBJ_DEVICE);
	if (!dobj)
		return -ENOENT;
	idev = container_of(dobj, struct ifd_device, obj);
	hobj = ifd_obj_get(ictx, hwpt_id, SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	if (!hobj) {
		ret = -ENOENT;
		goto out_put_dev;
	}
	parent = container_of(hobj, struct ifd_hwpt, obj);
	if (!(parent->flags & SIOMMU_HWPT_ALLOC_NEST_PARENT)) {
		ret = -EINVAL;
		goto out_put_hwpt;
	}
	v = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		goto out_put_hwpt;
	}
	v->parent = parent;
	v->unit = idev->dev->unit;
	v->type = type;
	CDS_INIT_LIST_HEAD(&v->vdevs);
	CDS_INIT_LIST_HEAD(&v->hw_queues);
	CDS_INIT_LIST_HEAD(&v->veventqs);
	ret = ifd_obj_reserve(ictx, &v->obj, SIOMMU_IOMMUFD_OBJ_VIOMMU);
	if (ret)
		goto out_free;
	ret = core_viommu_init(v->unit, type, parent->dom, &v->drv);
	if (ret)
		goto out_abort;
	if (data_len && type == SIOMMU_VIOMMU_TYPE_SELFTEST) {
		ret = ifd_test_viommu_data(ictx, v, data, data_len);
		if (ret) {
			core_viommu_fini(v->unit, v->drv);
			goto out_abort;
		}
	}
	pthread_mutex_init(&v->vevent_lock, NULL);
	ifd_obj_use(ictx, &parent->obj);
	*out_id = v->obj.id;
	ifd_obj_publish(ictx, &v->obj);
	ifd_obj_put(ictx, hobj);
	ifd_obj_put(ictx, dobj);
	return 0;

out_abort:
	ifd_obj_abort(ictx, &v->obj);
out_free:
	free(v);
out_put_hwpt:
	ifd_obj_put(ictx, hobj);
out_put_dev:
	ifd_obj_put(ictx, dobj);
	return ret;
}

void ifd_viommu_destroy(struct siommu_iommufd *ictx, struct ifd_viommu *v)
{
	SIOMMU_ASSERT(cds_list_empty(&v->vdevs) && cds_list_empty(&v->hw_queues) &&
		      cds_list_empty(&v->veventqs));
	core_viommu_fini(v->unit, v->drv);
	if (v->mmap_offset)
		ifd_mmap_free(ictx, v->mmap_offset);
	pthread_mutex_destroy(&v->vevent_lock);
	ifd_obj_unuse(ictx, &v->parent->obj);
	free(v);
}

/* The vDEVICE of @v under @virt_id. Under attach_lock. */
static struct ifd_vdevice *vdev_find(struct ifd_viommu *v, uint64_t virt_id)
{
	struct ifd_vdevice *vd;

	cds_list_for_each_entry(vd, &v->vdevs, node)
		if (vd->virt_id == virt_id)
			return vd;
	return NULL;
}

/* The core's sink of the events of a vDEVICE's nested translation: its
 * vIOMMU's queue of the type. The vDEVICE stays while a call runs. */
static int vdev_vevent(void *arg, struct siommu_device *dev, uint32_t type, const void *data,
		       size_t len)
{
	struct ifd_vdevice *vd = arg;

	(void)dev;
	return ifd_viommu_report_event(vd->viommu, type, data, (uint32_t)len);
}

int SIOMMU_EXPORT siommu_vdevice_alloc(struct siommu_iommufd *ictx, uint32_t viommu_id,
				       uint32_t dev_id, uint64_t virt_id, uint32_t *out_id)
{
	struct ifd_obj *vobj, *dobj;
	struct ifd_viommu *v;
	struct ifd_device *idev;
	struct ifd_vdevice *vd;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	vobj = ifd_obj_get(ictx, viommu_id, SIOMMU_IOMMUFD_OBJ_VIOMMU);
	if (!vobj)
		return -ENOENT;
	v = container_of(vobj, struct ifd_viommu, obj);
	dobj = ifd_obj_get(ictx, dev_id, SIOMMU_IOMMUFD_OBJ_DEVICE);
	if (!dobj) {
		ret = -ENOENT;
		goto out_put_viommu;
	}
	idev = container_of(dobj, struct ifd_device, obj);
	/* A vIOMMU is a slice of one unit: its devices are behind it. */
	if (idev->dev->unit != v->unit) {
		ret = -EINVAL;
		goto out_put_dev;
	}
	vd = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*vd));
	if (!vd) {
		ret = -ENOMEM;
		goto out_put_dev;
	}
	vd->viommu = v;
	vd->idev = idev;
	vd->virt_id = virt_id;
	fifo_lock(&ictx->attach_lock);
	/* One virtual ID per device, one device per virtual ID. */
	if (idev->vdev || vdev_find(v, virt_id) || cds_list_empty(&idev->node)) {
		ret = cds_list_empty(&idev->node) ? -ENOENT : -EEXIST;
		goto out_unlock;
	}
	ret = ifd_obj_reserve(ictx, &vd->obj, SIOMMU_IOMMUFD_OBJ_VDEVICE);
	if (ret)
		goto out_unlock;
	cds_list_add_tail(&vd->node, &v->vdevs);
	idev->vdev = vd;
	ifd_obj_use(ictx, &v->obj);
	core_device_set_vevent(idev->dev, vdev_vevent, vd, virt_id);
	*out_id = vd->obj.id;
	ifd_obj_publish(ictx, &vd->obj);
	fifo_unlock(&ictx->attach_lock);
	ifd_obj_put(ictx, dobj);
	ifd_obj_put(ictx, vobj);
	return 0;

out_unlock:
	fifo_unlock(&ictx->attach_lock);
	free(vd);
out_put_dev:
	ifd_obj_put(ictx, dobj);
out_put_viommu:
	ifd_obj_put(ictx, vobj);
	return ret;
}

/* Take @vd out of its vIOMMU and device. Under attach_lock. */
static void vdev_unlink(struct siommu_iommufd *ictx, struct ifd_vdevice *vd)
{
	if (!vd->idev)
		return;
	/* No call of the sink runs once this returns. */
	core_device_set_vevent(vd->idev->dev, NULL, NULL, 0);
	cds_list_del(&vd->node);
	vd->idev->vdev = NULL;
	vd->idev = NULL;
	ifd_obj_unuse(ictx, &vd->viommu->obj);
}

void ifd_vdevice_destroy(struct siommu_iommufd *ictx, struct ifd_vdevice *vd)
{
	fifo_lock(&ictx->attach_lock);
	vdev_unlink(ictx, vd);
	fifo_unlock(&ictx->attach_lock);
	free(vd);
}

void ifd_vdevice_unbind(struct siommu_iommufd *ictx, struct ifd_device *idev)
{
	struct ifd_vdevice *vd = idev->vdev;

	if (!vd)
		return;
	/* Linux's tombstone: the ID stays taken, and unusable (-ENOENT),
	 * until destroyed with the context, so that a user's stale ID never
	 * names a later object. */
	vdev_unlink(ictx, vd);
	ifd_obj_hide(ictx, &vd->obj);
}

struct lookup_arg {
	struct siommu_iommufd *ictx;
	struct ifd_viommu *v;
};

/* Under the core's ctx->lock, inside attach_lock (vDEVICEs stable). */
static struct siommu_device *vdev_lookup(void *arg, uint64_t virt_id)
{
	struct lookup_arg *la = arg;
	struct ifd_vdevice *vd = vdev_find(la->v, virt_id);

	return vd ? vd->idev->dev : NULL;
}

int ifd_viommu_invalidate(struct siommu_iommufd *ictx, struct ifd_viommu *v,
			  uint32_t data_type, const void *data, uint32_t entry_len,
			  uint32_t *entry_num)
{
	struct lookup_arg la = { ictx, v };
	int ret;

	fifo_lock(&ictx->attach_lock);
	ret = core_viommu_invalidate(v->unit, v->drv, data_type, data, entry_len, entry_num,
				     vdev_lookup, &la);
	fifo_unlock(&ictx->attach_lock);
	return ret;
}
