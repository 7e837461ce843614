/* SPDX-License-Identifier: MIT */
/*
 * Regions of the context that objects report for mmap() of the iommufd
 * fd (a vIOMMU's or a hardware queue's MMIO page), as Linux's iommufd
 * hands them out: each at an offset of the fd's address space, the lowest
 * free one from the second page on (0 is never one), and mapped by exactly
 * that (offset, length). Their memory is one memfd of the context, the
 * region at the file offset that is its mmap offset, so that the caller's
 * mapping shares the very page the owner writes.
 *
 * Locking: mmap_lock protects the region list and the mapping counts; it
 * is taken before ictx->lock (a mapping's reference on the owner).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd/iommufd_internal.h"

#define PAGE_MASK (SIOMMU_PAGE_SIZE - 1)

void ifd_mmap_init(struct siommu_iommufd *ictx)
{
	pthread_mutex_init(&ictx->mmap_lock, NULL);
	CDS_INIT_LIST_HEAD(&ictx->mmaps);
	ictx->mmap_fd = -1;
}

static struct ifd_mmap *region_at(struct siommu_iommufd *ictx, uint64_t offset)
{
	struct ifd_mmap *m;

	cds_list_for_each_entry(m, &ictx->mmaps, node)
		if (m->offset == offset)
			return m;
	return NULL;
}

int ifd_mmap_alloc(struct siommu_iommufd *ictx, struct ifd_obj *owner, uint64_t length,
		   uint64_t *offset)
{
	struct ifd_mmap *m, *pos, *next = NULL;
	uint64_t start = SIOMMU_PAGE_SIZE, end;
	int ret = 0;

	if (!length || (length & PAGE_MASK))
		return -EINVAL;
	m = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_lock(&ictx->mmap_lock);
	/* The lowest gap that holds it; the list is by offset. */
	cds_list_for_each_entry(pos, &ictx->mmaps, node) {
		if (pos->offset - start >= length) {
			next = pos;
			break;
		}
		start = pos->offset + pos->length;
	}
	if (__builtin_add_overflow(start, length, &end) || end > (uint64_t)INT64_MAX) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (ictx->mmap_fd < 0) {
		ictx->mmap_fd = memfd_create("siommu-iommufd-mmio", MFD_CLOEXEC);
		if (ictx->mmap_fd < 0) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	if (end > ictx->mmap_size) {
		if (ftruncate(ictx->mmap_fd, (off_t)end)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		ictx->mmap_size = end;
	} else if (fallocate(ictx->mmap_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     (off_t)start, (off_t)length)) {
		/* A region used before reads as zeroes again. */
		ret = -ENOMEM;
		goto out_unlock;
	}
	*m = (struct ifd_mmap){ .offset = start, .length = length, .owner = owner };
	if (next)
		cds_list_add_tail(&m->node, &next->node);
	else
		cds_list_add_tail(&m->node, &ictx->mmaps);
	*offset = start;
out_unlock:
	pthread_mutex_unlock(&ictx->mmap_lock);
	if (ret)
		free(m);
	return ret;
}

int ifd_mmap_write(struct siommu_iommufd *ictx, uint64_t offset, const void *buf, size_t len)
{
	ssize_t n;

	pthread_mutex_lock(&ictx->mmap_lock);
	n = pwrite(ictx->mmap_fd, buf, len, (off_t)offset);
	pthread_mutex_unlock(&ictx->mmap_lock);
	return n == (ssize_t)len ? 0 : -ENOMEM;
}

void ifd_mmap_free(struct siommu_iommufd *ictx, uint64_t offset)
{
	struct ifd_mmap *m;

	pthread_mutex_lock(&ictx->mmap_lock);
	m = region_at(ictx, offset);
	SIOMMU_ASSERT(m && !m->maps);
	cds_list_del(&m->node);
	pthread_mutex_unlock(&ictx->mmap_lock);
	free(m);
}

void ifd_mmap_release_all(struct siommu_iommufd *ictx)
{
	struct ifd_mmap *m;

	pthread_mutex_lock(&ictx->mmap_lock);
	cds_list_for_each_entry(m, &ictx->mmaps, node) {
		for (; m->maps; m->maps--)
			ifd_obj_unuse(ictx, m->owner);
	}
	pthread_mutex_unlock(&ictx->mmap_lock);
}

void ifd_mmap_fini(struct siommu_iommufd *ictx)
{
	SIOMMU_ASSERT(cds_list_empty(&ictx->mmaps));
	if (ictx->mmap_fd >= 0)
		close(ictx->mmap_fd);
	pthread_mutex_destroy(&ictx->mmap_lock);
}

int SIOMMU_EXPORT siommu_iommufd_mmap_get(struct siommu_iommufd *ictx, uint64_t offset,
					  uint64_t length, int prot, int flags, int *fd)
{
	int type = flags & MAP_TYPE;
	struct ifd_mmap *m;
	int ret = 0;

	if (!ictx || !fd)
		return -EINVAL;
	/* Linux's order: the length, a shared mapping, no execution, then
	 * exactly a region. */
	if (!length || (length & PAGE_MASK))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (prot & PROT_EXEC)
		return -EPERM;
	pthread_mutex_lock(&ictx->mmap_lock);
	m = region_at(ictx, offset);
	if (!m || m->length != length) {
		ret = -ENXIO;
		goto out_unlock;
	}
	/* An owner on its way out keeps no new mapping. */
	pthread_mutex_lock(&ictx->lock);
	if (m->owner->removing)
		ret = -ENXIO;
	else
		m->owner->users++;
	pthread_mutex_unlock(&ictx->lock);
	if (!ret) {
		m->maps++;
		*fd = ictx->mmap_fd;
	}
out_unlock:
	pthread_mutex_unlock(&ictx->mmap_lock);
	return ret;
}

void SIOMMU_EXPORT siommu_iommufd_mmap_put(struct siommu_iommufd *ictx, uint64_t offset)
{
	struct ifd_mmap *m;

	pthread_mutex_lock(&ictx->mmap_lock);
	m = region_at(ictx, offset);
	if (m && m->maps) {
		m->maps--;
		ifd_obj_unuse(ictx, m->owner);
	}
	pthread_mutex_unlock(&ictx->mmap_lock);
}
