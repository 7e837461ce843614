/* SPDX-License-Identifier: MIT */
/*
 * Page storage: the caller's memory, registered with the core context's
 * physical memory so that device DMA through a domain reaches the very
 * bytes the caller mapped, and charged to an accounting bucket.
 *
 * A registration covers whole host pages at a PA window of the context
 * (IFD_PA_BASE..IFD_PA_LAST). Page storage (one per MAP or MAP_FILE)
 * refers to a registration that contains its range, reusing an existing
 * one when there is one; registrations nobody uses are kept (at most
 * IFD_REG_CACHE of them) so that mapping the same memory again registers
 * nothing, and are removed when that cache overflows, at the next map,
 * or when the context goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <unistd.h>

#include "iommufd/iommufd_internal.h"

#define PAGE_MASK (SIOMMU_PAGE_SIZE - 1)

static uint64_t pow2_roundup(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

static void reg_free(struct siommu_iommufd *ictx, struct ifd_reg *reg)
{
	siommu_iova_free(ictx->pa_space, reg->pa, reg->window);
	if (reg->own_map)
		munmap(reg->own_map, reg->own_len);
	free(reg);
}

/* Unregister cached registrations beyond @keep; under reg_lock. A removal
 * that cannot allocate leaves its registration cached. */
static void regs_trim_locked(struct siommu_iommufd *ictx, unsigned int keep)
{
	struct ifd_reg *reg, *tmp;
	unsigned int seen = 0;

	cds_list_for_each_entry_safe(reg, tmp, &ictx->regs, node) {
		if (reg->refs || ++seen <= keep)
			continue;
		if (mem_remove_ram_teardown(ictx->mem, reg->pa, reg->size))
			continue;
		cds_list_del(&reg->node);
		ictx->nr_cached--;
		reg_free(ictx, reg);
	}
}

void ifd_regs_trim(struct siommu_iommufd *ictx)
{
	pthread_mutex_lock(&ictx->reg_lock);
	if (ictx->nr_cached > IFD_REG_CACHE)
		regs_trim_locked(ictx, IFD_REG_CACHE);
	pthread_mutex_unlock(&ictx->reg_lock);
}

/*
 * The context's last call: every registration is unused. A removal that
 * cannot allocate its smaller region table leaves the region in the
 * memory, pointing at host pages no domain maps any more.
 */
void ifd_regs_fini(struct siommu_iommufd *ictx)
{
	struct ifd_reg *reg, *tmp;

	cds_list_for_each_entry_safe(reg, tmp, &ictx->regs, node) {
		SIOMMU_ASSERT(!reg->refs);
		mem_remove_ram_teardown(ictx->mem, reg->pa, reg->size);
		cds_list_del(&reg->node);
		reg_free(ictx, reg);
	}
}

/* Whether every page of host [start, end) is mapped in the process:
 * mincore() fails with ENOMEM where one is not. */
static bool host_mapped(uintptr_t start, uintptr_t end)
{
	unsigned char vec[4096];

	while (start < end) {
		size_t len = end - start < sizeof(vec) * SIOMMU_PAGE_SIZE ?
			     end - start : sizeof(vec) * SIOMMU_PAGE_SIZE;

		if (mincore((void *)start, len, vec))
			return false;
		start += len;
	}
	return true;
}

/*
 * A registration containing host [host, host + size), page-aligned.
 * With @check, the range must be mapped in the process (-EFAULT): checked
 * unless it lies in a registration that storage uses now, whose memory
 * the caller keeps mapped (siommu/iommufd.h), so that mapping pieces of
 * registered memory again costs no system call.
 */
static int reg_get(struct siommu_iommufd *ictx, uintptr_t host, uint64_t size,
		   void *own_map, uint64_t own_len, bool check, struct ifd_reg **out)
{
	struct ifd_reg *reg;
	int ret;

	pthread_mutex_lock(&ictx->reg_lock);
	cds_list_for_each_entry(reg, &ictx->regs, node) {
		if (!own_map && !reg->own_map && host >= reg->host &&
		    host + size <= reg->host + reg->size) {
			if (!reg->refs && check && !host_mapped(host, host + size)) {
				ret = -EFAULT;
				goto out_unlock;
			}
			if (!reg->refs++)
				ictx->nr_cached--;
			/* Most recently used first: the cache keeps those. */
			cds_list_del(&reg->node);
			cds_list_add(&reg->node, &ictx->regs);
			*out = reg;
			ret = 0;
			goto out_unlock;
		}
	}
	if (check && !host_mapped(host, host + size)) {
		ret = -EFAULT;
		goto out_unlock;
	}
	reg = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*reg));
	if (!reg) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	*reg = (struct ifd_reg){ .host = host, .size = size, .refs = 1 };
	/* A window aligned to its size, so that IOVAs aligned alike can use
	 * the largest leaves. */
	reg->window = pow2_roundup(size);
	for (;;) {
		ret = siommu_iova_alloc(ictx->pa_space, reg->window, UINT64_MAX, &reg->pa);
		if (ret) {
			free(reg);
			goto out_unlock;
		}
		ret = siommu_mem_add_ram(ictx->mem, reg->pa, size, (void *)host);
		if (ret != -EEXIST)
			break;
		/* Another context over the same core context (two opens of
		 * /dev/iommu) registered memory there: the window stays
		 * taken in our allocator, which goes with the context, and
		 * the next one is tried. */
	}
	if (ret) {
		reg_free(ictx, reg);
		goto out_unlock;
	}
	/* The mapping becomes the registration's only once it exists. */
	reg->own_map = own_map;
	reg->own_len = own_len;
	cds_list_add(&reg->node, &ictx->regs);
	*out = reg;
out_unlock:
	pthread_mutex_unlock(&ictx->reg_lock);
	return ret == -ENOSPC ? -ENOMEM : ret;
}

/*
 * Drop a use of @reg. A registration of the context's own mapping of a
 * file serves one storage only: it is removed at once (kept cached, and
 * removed later, only if the removal cannot allocate).
 */
static void reg_put(struct siommu_iommufd *ictx, struct ifd_reg *reg)
{
	pthread_mutex_lock(&ictx->reg_lock);
	SIOMMU_ASSERT(reg->refs);
	if (!--reg->refs) {
		if (reg->own_map && !mem_remove_ram_teardown(ictx->mem, reg->pa, reg->size)) {
			cds_list_del(&reg->node);
			reg_free(ictx, reg);
		} else {
			ictx->nr_cached++;
		}
	}
	pthread_mutex_unlock(&ictx->reg_lock);
}

/*
 * Charge @npages pinned pages as Linux does: to the locked pages of the
 * bucket of the context's RLIMIT mode (the user's locked_vm in mode 0,
 * the process's locked_vm in mode 1), against its limit, and in either
 * mode to the process's pinned pages (mm->pinned_vm), which no limit
 * bounds.
 */
static int acct_charge(struct siommu_iommufd *ictx, struct ifd_pages *pages)
{
	struct siommu_iommufd_acct *a = ictx->acct[READ_ONCE(ictx->rlimit_mode)];
	uint64_t npages = pages->npages, limit = ifd_acct_limit(a);
	uint64_t cur = __atomic_load_n(&a->locked, __ATOMIC_RELAXED), next;

	do {
		if (__builtin_add_overflow(cur, npages, &next))
			return -ENOMEM;
		if (!ictx->cap_ipc_lock && next > limit)
			return -ENOMEM;
	} while (!__atomic_compare_exchange_n(&a->locked, &cur, next, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	pages->acct = a;
	pages->proc = ictx->acct[1];
	__atomic_fetch_add(&pages->proc->pinned, npages, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ictx->pinned, npages, __ATOMIC_RELAXED);
	return 0;
}

static void acct_uncharge(struct ifd_pages *pages)
{
	__atomic_fetch_sub(&pages->acct->locked, pages->npages, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&pages->proc->pinned, pages->npages, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&pages->ictx->pinned, pages->npages, __ATOMIC_RELAXED);
}

/* Storage for host [uva, uva + length), charged and registered. */
static int pages_create(struct siommu_iommufd *ictx, uintptr_t uva, uint64_t length,
			bool writable, void *own_map, uint64_t own_len, bool check,
			struct ifd_pages **out)
{
	uintptr_t host = uva & ~(uintptr_t)PAGE_MASK;
	uint64_t size = ((uva + length + PAGE_MASK) & ~(uint64_t)PAGE_MASK) - host;
	struct ifd_pages *pages;
	int ret;

	pages = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	*pages = (struct ifd_pages){
		.refs = 1, .ictx = ictx, .length = length,
		.npages = size >> SIOMMU_PAGE_SHIFT, .writable = writable,
	};
	ret = acct_charge(ictx, pages);
	if (ret)
		goto out_free;
	ret = reg_get(ictx, host, size, own_map, own_len, check, &pages->reg);
	if (ret)
		goto out_uncharge;
	pages->pa = pages->reg->pa + (uva - pages->reg->host);
	*out = pages;
	return 0;

out_uncharge:
	acct_uncharge(pages);
out_free:
	free(pages);
	return ret;
}

int ifd_pages_from_user(struct siommu_iommufd *ictx, void *uva, uint64_t length,
			bool writable, struct ifd_pages **out)
{
	uintptr_t end;

	if (__builtin_add_overflow((uintptr_t)uva, length, &end) || end > UINTPTR_MAX - PAGE_MASK)
		return -EOVERFLOW;
	return pages_create(ictx, (uintptr_t)uva, length, writable, NULL, 0, true, out);
}

/* The granule a mapping of the file behind @fd starts and ends on: its
 * huge page on hugetlbfs (a file there, a MFD_HUGETLB memfd), whose
 * mappings must be aligned to it; the page elsewhere. */
static uint64_t file_granule(int fd, const struct stat *st)
{
	struct statfs sfs;

	if (!fstatfs(fd, &sfs) && sfs.f_type == HUGETLBFS_MAGIC && st->st_blksize > 0 &&
	    !(st->st_blksize & (st->st_blksize - 1)) &&
	    (uint64_t)st->st_blksize > SIOMMU_PAGE_SIZE)
		return (uint64_t)st->st_blksize;
	return SIOMMU_PAGE_SIZE;
}

int ifd_pages_from_file(struct siommu_iommufd *ictx, int fd, uint64_t start,
			uint64_t length, bool writable, struct ifd_pages **out)
{
	uint64_t off, end, map_len, granule;
	struct stat st;
	void *map;
	int ret;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if (__builtin_add_overflow(start, length, &end))
		return -EOVERFLOW;
	if (end > (uint64_t)st.st_size)
		return -EINVAL;
	granule = file_granule(fd, &st);
	off = start & ~(granule - 1);
	map_len = ((end + granule - 1) & ~(granule - 1)) - off;
	if (ifd_should_fail(ictx))
		return -ENOMEM;
	map = mmap(NULL, map_len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
		   fd, (off_t)off);
	if (map == MAP_FAILED)
		return errno == EACCES ? -EPERM : errno == ENOMEM ? -ENOMEM : -EBADF;
	/* On success the registration owns the mapping. */
	ret = pages_create(ictx, (uintptr_t)map + (start - off), length, writable, map,
			   map_len, false, out);
	if (ret)
		munmap(map, map_len);
	return ret;
}

void ifd_pages_get(struct ifd_pages *pages)
{
	__atomic_fetch_add(&pages->refs, 1, __ATOMIC_RELAXED);
}

void ifd_pages_put(struct ifd_pages *pages)
{
	struct siommu_iommufd *ictx = pages->ictx;

	if (__atomic_sub_fetch(&pages->refs, 1, __ATOMIC_ACQ_REL))
		return;
	reg_put(ictx, pages->reg);
	acct_uncharge(pages);
	free(pages);
}
