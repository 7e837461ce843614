/* SPDX-License-Identifier: MIT */
/*
 * HW_QUEUE objects (siommu/iommufd.h): a guest-owned queue of a vIOMMU
 * that the unit reads and writes itself (Linux: iommufd_hw_queue, e.g. a
 * Tegra241 VCMDQ), in memory the guest mapped at a nest parent IOVA. The
 * object model keeps what every driver shares: the checks of the command,
 * the IOVA range locked in the parent's IOAS while the queue lives, and
 * the ordering of drivers whose queues come in index order (a queue uses
 * the one before it, so they go in reverse). The driver backs the queue
 * (src/core/iommu_ops.h: hw_queue_*).
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd/iommufd_internal.h"

/* The queue of @v at @index, or NULL. Under attach_lock. */
static struct ifd_hw_queue *hw_queue_find(struct ifd_viommu *v, uint32_t index)
{
	struct ifd_hw_queue *q;

	cds_list_for_each_entry(q, &v->hw_queues, node)
		if (q->index == index)
			return q;
	return NULL;
}

/* Lock @q's range, check its index, and have the driver set it up.
 * Under attach_lock. */
static int hw_queue_init(struct siommu_iommufd *ictx, struct ifd_hw_queue *q,
			 uint32_t nr_index, bool in_order)
{
	struct ifd_viommu *v = q->viommu;
	struct ifd_ioas *ioas = v->parent->ioas;
	uint64_t pa = 0;
	int ret;

	pthread_mutex_lock(&ioas->lock);
	ret = ifd_ioas_lock_range(ioas, q->iova, q->last, &pa);
	pthread_mutex_unlock(&ioas->lock);
	if (ret)
		return ret;
	if (q->index >= nr_index)
		ret = -EINVAL;
	else if (hw_queue_find(v, q->index))
		ret = -EEXIST;
	else if (in_order && q->index && !(q->prev = hw_queue_find(v, q->index - 1)))
		ret = -EIO;
	if (!ret)
		ret = core_hw_queue_init(v->unit, v->drv, q->type, q->index, pa,
					 q->last - q->iova + 1, &q->drv);
	if (ret) {
		q->prev = NULL;
		pthread_mutex_lock(&ioas->lock);
		ifd_ioas_unlock_range(ioas, q->iova, q->last);
		pthread_mutex_unlock(&ioas->lock);
		return ret;
	}
	/* Nothing fails from here. */
	if (q->prev)
		ifd_obj_use(ictx, &q->prev->obj);
	ifd_obj_use(ictx, &v->obj);
	cds_list_add_tail(&q->node, &v->hw_queues);
	return 0;
}

int SIOMMU_EXPORT siommu_hw_queue_alloc(struct siommu_iommufd *ictx, uint32_t viommu_id,
					uint32_t flags, uint32_t type, uint32_t index,
					uint64_t iova, uint64_t length, uint32_t *out_id)
{
	struct ifd_hw_queue *q;
	struct ifd_viommu *v;
	struct ifd_obj *vobj;
	uint32_t nr_index = 0;
	bool in_order = false;
	uint64_t last;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	if (flags || type == SIOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	vobj = ifd_obj_get(ictx, viommu_id, SIOMMU_IOMMUFD_OBJ_VIOMMU);
	if (!vobj)
		return -ENOENT;
	v = container_of(vobj, struct ifd_viommu, obj);
	ret = core_hw_queue_info(v->unit, v->drv, type, &nr_index, &in_order);
	if (ret)
		goto out_put;
	q = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*q));
	if (!q) {
		ret = -ENOMEM;
		goto out_put;
	}
	q->viommu = v;
	q->type = type;
	q->index = index;
	q->iova = iova;
	q->last = last;
	ret = ifd_obj_reserve(ictx, &q->obj, SIOMMU_IOMMUFD_OBJ_HW_QUEUE);
	if (ret)
		goto out_free;
	fifo_lock(&ictx->attach_lock);
	ret = hw_queue_init(ictx, q, nr_index, in_order);
	fifo_unlock(&ictx->attach_lock);
	if (ret)
		goto out_abort;
	*out_id = q->obj.id;
	ifd_obj_publish(ictx, &q->obj);
	ifd_obj_put(ictx, vobj);
	return 0;

out_abort:
	ifd_obj_abort(ictx, &q->obj);
out_free:
	free(q);
out_put:
	ifd_obj_put(ictx, vobj);
	return ret;
}

/* Out of the table: nobody uses it (the queue after it went first). */
void ifd_hw_queue_destroy(struct siommu_iommufd *ictx, struct ifd_hw_queue *q)
{
	struct ifd_viommu *v = q->viommu;
	struct ifd_ioas *ioas = v->parent->ioas;

	fifo_lock(&ictx->attach_lock);
	cds_list_del(&q->node);
	core_hw_queue_fini(v->unit, v->drv, q->drv);
	pthread_mutex_lock(&ioas->lock);
	ifd_ioas_unlock_range(ioas, q->iova, q->last);
	pthread_mutex_unlock(&ioas->lock);
	if (q->prev)
		ifd_obj_unuse(ictx, &q->prev->obj);
	ifd_obj_unuse(ictx, &v->obj);
	fifo_unlock(&ictx->attach_lock);
	free(q);
}
