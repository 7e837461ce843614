/* SPDX-License-Identifier: MIT */
/*
 * The VFIO type1 container over an IOAS, as Linux's iommufd emulates it
 * (drivers/iommu/iommufd/vfio_compat.c): the container ioctls a program
 * issues on /dev/vfio/vfio, or on any iommufd fd, act on the context's
 * compatibility IOAS (IOMMU_VFIO_IOAS), and -ENODEV without one.
 *
 *   VFIO_GET_API_VERSION   VFIO_API_VERSION
 *   VFIO_CHECK_EXTENSION   1 for TYPE1_IOMMU, TYPE1v2_IOMMU, UNMAP_ALL and
 *                          DMA_CC_IOMMU (every domain here is cache
 *                          coherent; -ENODEV without a compatibility IOAS),
 *                          else 0
 *   VFIO_SET_IOMMU         TYPE1_IOMMU or TYPE1v2_IOMMU (-EINVAL for
 *                          another), -ENODEV without a compatibility IOAS;
 *                          TYPE1 turns the IOAS's large pages off
 *                          (IOMMU_OPTION HUGE_PAGES 0, with its errors)
 *   VFIO_IOMMU_GET_INFO    page sizes, then the DMA_AVAIL and IOVA_RANGE
 *                          capabilities as far as argsz has room
 *   VFIO_IOMMU_MAP_DMA     IOAS_MAP at the fixed IOVA
 *   VFIO_IOMMU_UNMAP_DMA   IOAS_UNMAP of whole mappings (or all), a range
 *                          with none being success with size 0; with
 *                          large pages off (TYPE1, or HUGE_PAGES 0), the
 *                          mappings across its ends are cut there first,
 *                          so that v1's unmap of part of a mapping works
 *
 * Rules are VFIO's: argsz below the first published size is -EINVAL,
 * unknown flags -EINVAL, bytes past the struct ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/vfio_abi.h>

#include "iommufd/iommufd_internal.h"
#include "iommufd/vfio_argsz.h"

int SIOMMU_EXPORT siommu_vfio_ioas_get(struct siommu_iommufd *ictx, uint32_t *ioas_id)
{
	uint32_t id;

	if (!ictx || !ioas_id)
		return -EINVAL;
	pthread_mutex_lock(&ictx->lock);
	id = ictx->vfio_ioas;
	pthread_mutex_unlock(&ictx->lock);
	if (!id)
		return -ENODEV;
	*ioas_id = id;
	return 0;
}

int SIOMMU_EXPORT siommu_vfio_ioas_set(struct siommu_iommufd *ictx, uint32_t ioas_id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, ioas_id, SIOMMU_IOMMUFD_OBJ_IOAS);

	if (!obj)
		return -ENOENT;
	/* Set while the lookup's reference keeps it in the table: a destroy
	 * that removes it later clears this. */
	pthread_mutex_lock(&ictx->lock);
	ictx->vfio_ioas = ioas_id;
	pthread_mutex_unlock(&ictx->lock);
	ifd_obj_put(ictx, obj);
	return 0;
}

void SIOMMU_EXPORT siommu_vfio_ioas_clear(struct siommu_iommufd *ictx)
{
	pthread_mutex_lock(&ictx->lock);
	ictx->vfio_ioas = 0;
	pthread_mutex_unlock(&ictx->lock);
}

int SIOMMU_EXPORT siommu_vfio_ioas_create(struct siommu_iommufd *ictx, uint32_t *ioas_id)
{
	struct ifd_obj *obj;
	uint32_t id, cur;
	int ret;

	if (!ictx || !ioas_id)
		return -EINVAL;
	do {
		if (!siommu_vfio_ioas_get(ictx, ioas_id))
			return 0;
		ret = siommu_ioas_alloc(ictx, &id);
		if (ret)
			return ret;
		/* Chosen while the lookup's reference keeps it in the table
		 * (a destroy racing with us then clears the choice). */
		obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_IOAS);
		if (!obj)
			continue;	/* destroyed already: start again */
		pthread_mutex_lock(&ictx->lock);
		cur = ictx->vfio_ioas;
		if (!cur)
			ictx->vfio_ioas = id;
		pthread_mutex_unlock(&ictx->lock);
		ifd_obj_put(ictx, obj);
		if (cur) {
			/* Another create chose its IOAS first: ours goes. */
			siommu_iommufd_obj_destroy(ictx, id);
			id = cur;
		}
	} while (!obj);
	*ioas_id = id;
	return 0;
}

int ifd_vfio_copy_in(const struct siommu_iommufd_user *user, void *k, size_t ksize,
		     uint64_t arg, uint32_t min, uint32_t *argsz)
{
	int ret;

	if (!arg)
		return -EFAULT;
	memset(k, 0, ksize);
	ret = ifd_ucopy_in(user, k, arg, min);
	if (ret)
		return ret;
	memcpy(argsz, k, sizeof(*argsz));
	return *argsz < min ? -EINVAL : 0;
}

static int check_extension(struct siommu_iommufd *ictx, unsigned long ext)
{
	uint32_t id;

	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return siommu_vfio_ioas_get(ictx, &id) ?: 1;
	default:
		return 0;
	}
}

static int set_iommu(struct siommu_iommufd *ictx, unsigned long type)
{
	uint64_t off = 0;
	uint32_t id;
	int ret;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	/* Linux's VFIO refuses a container with no group: no IOAS here. */
	ret = siommu_vfio_ioas_get(ictx, &id);
	if (ret || type == VFIO_TYPE1v2_IOMMU)
		return ret;
	/* v1 may unmap part of a mapping: no large leaf may span the cut. */
	return siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES,
				     SIOMMU_IOMMUFD_OPTION_OP_SET, id, &off);
}

/* The IOVA_RANGE capability of IOAS @id (allocated, *size bytes). */
static int iova_range_cap(struct siommu_iommufd *ictx, uint32_t id,
			  struct vfio_iommu_type1_info_cap_iova_range **out, size_t *size)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap = NULL;
	struct siommu_iova_range *r = NULL;
	uint32_t num = 0, cap_num, i;
	int ret;

	/* Ask for the count, then for that many, until they agree. */
	do {
		cap_num = num;
		free(r);
		r = cap_num ? calloc(cap_num, sizeof(*r)) : NULL;
		if (cap_num && !r)
			return -ENOMEM;
		ret = siommu_ioas_iova_ranges(ictx, id, r, &num, NULL);
	} while (ret == -EMSGSIZE);
	if (ret)
		goto out_free;
	*size = sizeof(*cap) + num * sizeof(cap->iova_ranges[0]);
	cap = calloc(1, *size);
	if (!cap) {
		ret = -ENOMEM;
		goto out_free;
	}
	cap->header = (struct vfio_info_cap_header){
		.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 };
	cap->nr_iovas = num;
	for (i = 0; i < num; i++)
		cap->iova_ranges[i] = (struct vfio_iova_range){ r[i].start, r[i].last };
	*out = cap;
out_free:
	free(r);
	return ret;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * GET_INFO: the struct, then each capability written when argsz has room
 * for it, chained to the one before when that one fit; argsz comes back
 * as the size of the whole reply, cap_offset set only when all of it fit.
 */
static int get_info(struct siommu_iommufd *ictx, uint64_t arg,
		    const struct siommu_iommufd_user *user)
{
	struct vfio_iommu_type1_info_dma_avail avail = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
		/* No count limits the mappings: as many as a u32 says. */
		.avail = UINT32_MAX,
	};
	struct vfio_iommu_type1_info_cap_iova_range *ranges = NULL;
	struct vfio_iommu_type1_info info;
	const void *caps[2];
	size_t sizes[2], total = sizeof(info), last = 0;
	uint32_t argsz, id, next[2];
	struct ifd_uvec v[5];
	unsigned int i, n = 0;
	int ret;

	ret = ifd_vfio_copy_in(user, &info, sizeof(info), arg, VFIO_IOMMU_GET_INFO_MIN_SIZE, &argsz);
	if (ret)
		return ret;
	ret = siommu_vfio_ioas_get(ictx, &id);
	ret = ret ?: ifd_ioas_pgsizes(ictx, id, &info.iova_pgsizes);
	ret = ret ?: iova_range_cap(ictx, id, &ranges, &sizes[1]);
	if (ret)
		return ret;
	caps[0] = &avail;
	sizes[0] = sizeof(avail);
	caps[1] = ranges;
	/* Linux's writes, in its order, in one go: the pieces are all known
	 * before the first is written. */
	for (i = 0; i < 2; i++) {
		if (argsz >= total + sizes[i])
			v[n++] = (struct ifd_uvec){ arg + total, caps[i], sizes[i] };
		if (last && argsz >= total) {
			next[i] = (uint32_t)total;
			v[n++] = (struct ifd_uvec){
				arg + last + offsetof(struct vfio_info_cap_header, next),
				&next[i], sizeof(next[i]) };
		}
		last = total;
		total += align8(sizes[i]);
	}
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.cap_offset = argsz >= total ? sizeof(info) : 0;
	info.argsz = (uint32_t)total;
	v[n++] = (struct ifd_uvec){ arg, &info, argsz < sizeof(info) ? argsz : sizeof(info) };
	ret = ifd_ucopy_outv(user, v, n);
	free(ranges);
	return ret;
}

static int map_dma(struct siommu_iommufd *ictx, uint64_t arg,
		   const struct siommu_iommufd_user *user)
{
	struct vfio_iommu_type1_dma_map m;
	unsigned int flags = SIOMMU_IOAS_MAP_FIXED_IOVA;
	uint64_t iova;
	uint32_t argsz, id;
	int ret;

	ret = ifd_vfio_copy_in(user, &m, sizeof(m), arg, VFIO_IOMMU_MAP_DMA_MIN_SIZE, &argsz);
	if (ret)
		return ret;
	if (m.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (m.flags & VFIO_DMA_MAP_FLAG_READ)
		flags |= SIOMMU_IOAS_MAP_READABLE;
	if (m.flags & VFIO_DMA_MAP_FLAG_WRITE)
		flags |= SIOMMU_IOAS_MAP_WRITEABLE;
	ret = siommu_vfio_ioas_get(ictx, &id);
	if (ret)
		return ret;
	iova = m.iova;
	return ifd_umap(ictx, user, id, flags, m.vaddr, m.size, &iova);
}

static int unmap_dma(struct siommu_iommufd *ictx, uint64_t arg,
		     const struct siommu_iommufd_user *user)
{
	struct vfio_iommu_type1_dma_unmap u;
	uint64_t unmapped = 0;
	uint32_t argsz, id;
	int ret;

	ret = ifd_vfio_copy_in(user, &u, sizeof(u), arg, VFIO_IOMMU_UNMAP_DMA_MIN_SIZE, &argsz);
	if (ret)
		return ret;
	if (u.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	ret = siommu_vfio_ioas_get(ictx, &id);
	if (ret)
		return ret;
	if (u.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (u.iova || u.size)
			return -EINVAL;
		ret = ifd_ioas_unmap(ictx, id, 0, UINT64_MAX, true, &unmapped);
	} else {
		ret = ifd_ioas_cut(ictx, id, u.iova, u.size);
		if (!ret)
			ret = ifd_ioas_unmap(ictx, id, u.iova, u.size, true, &unmapped);
	}
	/* size reports the bytes unmapped, failed or not (0 then); what
	 * was unmapped stays so when it cannot, as Linux's. */
	u.size = unmapped;
	return ifd_ucopy_out(user, arg, &u, VFIO_IOMMU_UNMAP_DMA_MIN_SIZE) ?: ret;
}

int ifd_vfio_compat_ioctl(struct siommu_iommufd *ictx, unsigned long request, uint64_t arg,
			  const struct siommu_iommufd_user *user)
{
	switch (request) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return check_extension(ictx, arg);
	case VFIO_SET_IOMMU:
		return set_iommu(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return get_info(ictx, arg, user);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(ictx, arg, user);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(ictx, arg, user);
	default:
		return -ENOTTY;
	}
}
