/* SPDX-License-Identifier: MIT */
/*
 * Nested domains (siommu/core.h): a user's stage-1 table over a paging
 * domain's second stage, and the user's invalidations of it. The core
 * checks what is common to every type (the parent, the array's shape) and
 * hands the driver-specific structures to the unit's driver unread.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"

int iommu_user_data_get(const void *data, size_t len, void *dst, size_t size,
			size_t min_size)
{
	/* Driver data is sized by the driver: an older, shorter structure
	 * down to @min_size is zero-extended, a longer one is refused
	 * whatever its bytes (Linux's iommu_copy_struct_from_user(), unlike
	 * the command structs' rule). */
	if (len < min_size || len > size)
		return -EINVAL;
	if (!data)
		return -EFAULT;
	memset(dst, 0, size);
	memcpy(dst, data, len < size ? len : size);
	return 0;
}

int iommu_user_array_get(const struct iommu_user_array *a, uint32_t i, void *dst,
			 size_t size, size_t min_size)
{
	if (!a->data)
		return -EFAULT;
	return iommu_user_data_get((const uint8_t *)a->data + (size_t)i * a->entry_len,
				   a->entry_len, dst, size, min_size);
}

/* A nested domain over @parent, from @viommu (NULL: none). */
static int nested_alloc(struct siommu_domain *parent, struct siommu_unit *unit, void *viommu,
			uint32_t data_type, const void *data, size_t len,
			struct siommu_domain **out)
{
	struct siommu_ctx *ctx;
	struct siommu_domain *dom;
	int ret;

	if (!parent || !unit || !out || parent->ctx != unit->ctx ||
	    parent->type != SIOMMU_DOMAIN_PAGING || parent->ops != unit->ops ||
	    data_type == SIOMMU_HWPT_DATA_NONE)
		return -EINVAL;
	if (!unit->ops->domain_init_nested)
		return -EOPNOTSUPP;
	if (len && !data)
		return -EFAULT;
	ctx = unit->ctx;
	dom = core_domain_new(ctx, SIOMMU_DOMAIN_NESTED);
	if (!dom)
		return -ENOMEM;
	/* ctx->lock keeps the parent from being freed while it gains a
	 * child. */
	pthread_mutex_lock(&ctx->lock);
	ret = unit->ops->domain_init_nested(unit, dom, parent, viommu, data_type, data, len);
	if (ret) {
		pthread_mutex_unlock(&ctx->lock);
		pthread_mutex_destroy(&dom->lock);
		free(dom);
		return ret;
	}
	dom->ops = unit->ops;
	dom->parent = parent;
	cds_list_add_tail(&dom->node, &ctx->domains);
	pthread_mutex_lock(&parent->lock);
	cds_list_add_tail(&dom->nest_node, &parent->nested);
	parent->nr_nested++;
	pthread_mutex_unlock(&parent->lock);
	pthread_mutex_unlock(&ctx->lock);
	*out = dom;
	return 0;
}

int SIOMMU_EXPORT siommu_domain_alloc_nested(struct siommu_domain *parent,
					     struct siommu_unit *unit, uint32_t data_type,
					     const void *data, size_t len,
					     struct siommu_domain **out)
{
	return nested_alloc(parent, unit, NULL, data_type, data, len, out);
}

int core_viommu_alloc_nested(struct siommu_unit *unit, void *viommu,
			     struct siommu_domain *parent, uint32_t data_type,
			     const void *data, size_t len, struct siommu_domain **out)
{
	return nested_alloc(parent, unit, viommu, data_type, data, len, out);
}

struct siommu_domain SIOMMU_EXPORT *siommu_domain_parent(struct siommu_domain *dom)
{
	return dom ? dom->parent : NULL;
}

int SIOMMU_EXPORT siommu_domain_cache_invalidate(struct siommu_domain *dom, uint32_t data_type,
						 const void *array, uint32_t entry_len,
						 uint32_t *entry_num)
{
	struct iommu_user_array a;
	int ret;

	if (!entry_num)
		return -EINVAL;
	a = (struct iommu_user_array){ data_type, array, entry_len, *entry_num };
	/* Refusing the array as a whole handles no entry. */
	*entry_num = 0;
	if (!dom || dom->type != SIOMMU_DOMAIN_NESTED)
		return -EINVAL;
	if (!dom->ops->cache_invalidate_user)
		return -EOPNOTSUPP;
	if (a.entry_num && !array)
		return -EFAULT;
	ret = dom->ops->cache_invalidate_user(dom, &a);
	*entry_num = a.entry_num;
	return ret;
}

int core_viommu_init(struct siommu_unit *unit, uint32_t type, struct siommu_domain *parent,
		     void **out)
{
	struct siommu_ctx *ctx = unit->ctx;
	int ret;

	if (!unit->ops->viommu_init)
		return -EOPNOTSUPP;
	if (parent->ctx != ctx || parent->type != SIOMMU_DOMAIN_PAGING ||
	    parent->ops != unit->ops)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	ret = unit->ops->viommu_init(unit, type, parent, out);
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

void core_viommu_fini(struct siommu_unit *unit, void *viommu)
{
	pthread_mutex_lock(&unit->ctx->lock);
	unit->ops->viommu_fini(unit, viommu);
	pthread_mutex_unlock(&unit->ctx->lock);
}

int core_viommu_invalidate(struct siommu_unit *unit, void *viommu, uint32_t data_type,
			   const void *array, uint32_t entry_len, uint32_t *entry_num,
			   iommu_vdev_lookup_fn *lookup, void *arg)
{
	struct iommu_user_array a = { data_type, array, entry_len, *entry_num };
	int ret;

	*entry_num = 0;
	if (a.entry_num && !array)
		return -EFAULT;
	/* ctx->lock keeps the devices @lookup finds from going meanwhile. */
	pthread_mutex_lock(&unit->ctx->lock);
	ret = unit->ops->viommu_invalidate(unit, viommu, &a, lookup, arg);
	pthread_mutex_unlock(&unit->ctx->lock);
	*entry_num = a.entry_num;
	return ret;
}

int core_hw_queue_info(struct siommu_unit *unit, void *viommu, uint32_t type,
		       uint32_t *nr_index, bool *in_order)
{
	int ret;

	if (!unit->ops->hw_queue_info)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unit->ctx->lock);
	ret = unit->ops->hw_queue_info(unit, viommu, type, nr_index, in_order);
	pthread_mutex_unlock(&unit->ctx->lock);
	return ret;
}

int core_hw_queue_init(struct siommu_unit *unit, void *viommu, uint32_t type, uint32_t index,
		       uint64_t pa, uint64_t length, void **out)
{
	int ret;

	pthread_mutex_lock(&unit->ctx->lock);
	ret = unit->ops->hw_queue_init(unit, viommu, type, index, pa, length, out);
	pthread_mutex_unlock(&unit->ctx->lock);
	return ret;
}

void core_hw_queue_fini(struct siommu_unit *unit, void *viommu, void *queue)
{
	pthread_mutex_lock(&unit->ctx->lock);
	unit->ops->hw_queue_fini(unit, viommu, queue);
	pthread_mutex_unlock(&unit->ctx->lock);
}
