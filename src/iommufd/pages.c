/* SPDX-License-Identifier: MIT */
/*
 * Page storage: the caller's memory, as MAP or MAP_FILE named it, pinned
 * lazily as Linux's iopt_pages are: MAP records the range; the first
 * user that needs the pages (a domain mirroring an area over it, an
 * access pin or copy, a hardware queue) pins it, which registers it with
 * the core context's physical memory, so that device DMA through a
 * domain reaches the very bytes the caller mapped, and charges its pages
 * to the accounting buckets in force at the MAP; the last user gone
 * uncharges it and lets the registration go.
 *
 * A registration covers whole host pages at a PA window of the context
 * (IFD_PA_BASE..IFD_PA_LAST). Pinned storage of the caller's memory
 * refers to a registration that contains its range, reusing an existing
 * one when there is one; registrations nobody uses are kept (at most
 * IFD_REG_CACHE of them) so that pinning the same memory again registers
 * nothing, and are removed when that cache overflows, at the next map,
 * or when the context goes. Pinned storage of a file (the context's own
 * mapping of it, which lives as long as the storage) has a registration
 * of its own.
 */
#include <errno.h>
#include <poll.h>
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
 * A registration containing host [host, host + size), page-aligned; under
 * reg_lock. With @single it is the storage's alone (the context's own
 * mapping of a file) and never shared. With @check, the range must be
 * mapped in the process (-EFAULT): checked unless it lies in a
 * registration that pinned storage uses now, whose memory the caller
 * keeps mapped (siommu/iommufd.h), so that pinning pieces of registered
 * memory again costs no system call.
 */
static int reg_get_locked(struct siommu_iommufd *ictx, uintptr_t host, uint64_t size,
			  bool single, bool check, struct ifd_reg **out)
{
	struct ifd_reg *reg;
	int ret;

	cds_list_for_each_entry(reg, &ictx->regs, node) {
		if (!single && !reg->single && host >= reg->host &&
		    host + size <= reg->host + reg->size) {
			if (!reg->refs && check && !host_mapped(host, host + size))
				return -EFAULT;
			if (!reg->refs++)
				ictx->nr_cached--;
			/* Most recently used first: the cache keeps those. */
			cds_list_del(&reg->node);
			cds_list_add(&reg->node, &ictx->regs);
			*out = reg;
			return 0;
		}
	}
	if (check && !host_mapped(host, host + size))
		return -EFAULT;
	reg = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	*reg = (struct ifd_reg){
		.host = host, .size = size, .refs = 1, .single = single, .fresh = true,
	};
	/* A window aligned to its size, so that IOVAs aligned alike can use
	 * the largest leaves. */
	reg->window = pow2_roundup(size);
	for (;;) {
		ret = siommu_iova_alloc(ictx->pa_space, reg->window, UINT64_MAX, &reg->pa);
		if (ret) {
			free(reg);
			return ret == -ENOSPC ? -ENOMEM : ret;
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
		return ret == -ENOSPC ? -ENOMEM : ret;
	}
	cds_list_add(&reg->node, &ictx->regs);
	*out = reg;
	return 0;
}

/*
 * Drop a use of @reg; under reg_lock. A storage's own registration (of
 * its mapping of a file) is removed at once; when the removal cannot
 * allocate, it stays cached until the cache is trimmed (its storage may
 * have unmapped the memory by then: no domain maps it). With @undo (a
 * failed call giving back what it took) a registration that only failed
 * calls have used is removed too, so that the call leaves the memory as
 * it found it.
 */
static void reg_put_locked(struct siommu_iommufd *ictx, struct ifd_reg *reg, bool undo)
{
	SIOMMU_ASSERT(reg->refs);
	if (!undo)
		reg->fresh = false;
	if (--reg->refs)
		return;
	if ((reg->single || reg->fresh) &&
	    !mem_remove_ram_teardown(ictx->mem, reg->pa, reg->size)) {
		cds_list_del(&reg->node);
		reg_free(ictx, reg);
		return;
	}
	ictx->nr_cached++;
}

/*
 * Charge @pages's pages as Linux does: to the locked pages of the bucket
 * of the RLIMIT mode in force when it was mapped (the user's locked_vm in
 * mode 0, the process's locked_vm in mode 1), against its limit, and in
 * either mode to that process's pinned pages (mm->pinned_vm), which no
 * limit bounds. Under reg_lock.
 */
/* Add @npages to @a's locked pages against its limit (none with
 * CAP_IPC_LOCK): 0, -ENOMEM. */
static int bucket_charge(const struct siommu_iommufd *ictx, struct siommu_iommufd_acct *a,
			 uint64_t npages)
{
	uint64_t limit = ifd_acct_limit(a);
	uint64_t cur = __atomic_load_n(&a->locked, __ATOMIC_RELAXED), next;

	do {
		if (__builtin_add_overflow(cur, npages, &next))
			return -ENOMEM;
		if (!ictx->cap_ipc_lock && next > limit)
			return -ENOMEM;
	} while (!__atomic_compare_exchange_n(&a->locked, &cur, next, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 0;
}

static int acct_charge(struct ifd_pages *pages)
{
	int ret = bucket_charge(pages->ictx, pages->src[pages->rlimit_mode], pages->npages);

	if (ret)
		return ret;
	__atomic_fetch_add(&pages->src[1]->pinned, pages->npages, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pages->ictx->pinned, pages->npages, __ATOMIC_RELAXED);
	return 0;
}

static void acct_uncharge(struct ifd_pages *pages)
{
	__atomic_fetch_sub(&pages->src[pages->rlimit_mode]->locked, pages->npages,
			   __ATOMIC_RELAXED);
	__atomic_fetch_sub(&pages->src[1]->pinned, pages->npages, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&pages->ictx->pinned, pages->npages, __ATOMIC_RELAXED);
}

/* The pidfd of the process @pages's memory is of (-1: this one): its
 * own, or its process bucket's. */
static int pages_pidfd(const struct ifd_pages *pages)
{
	if (pages->src_pidfd >= 0 || !(pages->src_held & 2))
		return pages->src_pidfd;
	return __atomic_load_n(&pages->src[1]->pidfd, __ATOMIC_ACQUIRE);
}

/* Whether the process behind @pidfd has exited (or cannot be told). */
static bool source_gone(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

int ifd_pages_pin(struct ifd_pages *pages)
{
	struct siommu_iommufd *ictx = pages->ictx;
	uintptr_t host = pages->host & ~(uintptr_t)PAGE_MASK;
	int ret = 0;

	pthread_mutex_lock(&ictx->reg_lock);
	if (pages->users) {
		pages->users++;
		goto out_unlock;
	}
	if (pages->pin_err) {
		ret = pages->pin_err;
		goto out_unlock;
	}
	/* The memory of a process that has exited is gone: pinned storage
	 * keeps its pages, storage not pinned finds none. */
	if (pages_pidfd(pages) >= 0 && source_gone(pages_pidfd(pages))) {
		ret = -EFAULT;
		goto out_unlock;
	}
	ret = acct_charge(pages);
	if (ret)
		goto out_unlock;
	ret = reg_get_locked(ictx, host, pages->npages << SIOMMU_PAGE_SHIFT,
			     pages->own_map != NULL, !pages->own_map, &pages->reg);
	if (ret) {
		acct_uncharge(pages);
		goto out_unlock;
	}
	pages->pa = pages->reg->pa + (pages->host - pages->reg->host);
	pages->users = 1;
out_unlock:
	pthread_mutex_unlock(&ictx->reg_lock);
	return ret;
}

void ifd_pages_unpin(struct ifd_pages *pages, bool undo)
{
	struct siommu_iommufd *ictx = pages->ictx;

	pthread_mutex_lock(&ictx->reg_lock);
	SIOMMU_ASSERT(pages->users);
	if (!--pages->users) {
		acct_uncharge(pages);
		/* The mapping of a file stays the storage's. */
		reg_put_locked(ictx, pages->reg, undo);
		pages->reg = NULL;
	}
	pthread_mutex_unlock(&ictx->reg_lock);
}

bool ifd_pages_pinned(struct ifd_pages *pages)
{
	bool pinned;

	pthread_mutex_lock(&pages->ictx->reg_lock);
	pinned = pages->users;
	pthread_mutex_unlock(&pages->ictx->reg_lock);
	return pinned;
}

int ifd_pages_change_source(struct siommu_iommufd *ictx, struct ifd_pages *const *pages,
			    size_t n, const struct ifd_source *src)
{
	unsigned int mode = READ_ONCE(ictx->rlimit_mode), i;
	struct siommu_iommufd_acct *acct[2], *old[2];
	uint64_t locked = 0, pinned = 0;
	unsigned int held = 0, old_held;
	struct ifd_pages *p;
	size_t k;
	int ret;

	for (i = 0; i < 2; i++) {
		acct[i] = src && src->acct[i] ? src->acct[i] : ictx->acct[i];
		if (acct[i] != ictx->acct[i])
			held |= 1u << i;
	}
	pthread_mutex_lock(&ictx->reg_lock);
	/* Pinned storage charges the new buckets first, all of it at once;
	 * storage charged to them already stays as it is. */
	for (k = 0; k < n; k++) {
		p = pages[k];
		if (!p->users)
			continue;
		if (p->src[p->rlimit_mode] != acct[mode])
			locked += p->npages;
		if (p->src[1] != acct[1])
			pinned += p->npages;
	}
	/* Nothing to charge fails nothing, even past a lowered limit. */
	ret = locked ? bucket_charge(ictx, acct[mode], locked) : 0;
	if (ret)
		goto out_unlock;
	__atomic_fetch_add(&acct[1]->pinned, pinned, __ATOMIC_RELAXED);
	for (k = 0; k < n; k++) {
		p = pages[k];
		if (p->users) {
			if (p->src[p->rlimit_mode] != acct[mode])
				__atomic_fetch_sub(&p->src[p->rlimit_mode]->locked, p->npages,
						   __ATOMIC_RELAXED);
			if (p->src[1] != acct[1])
				__atomic_fetch_sub(&p->src[1]->pinned, p->npages,
						   __ATOMIC_RELAXED);
		}
		old[0] = p->src[0];
		old[1] = p->src[1];
		old_held = p->src_held;
		for (i = 0; i < 2; i++) {
			p->src[i] = acct[i];
			if (held & (1u << i))
				ifd_acct_get(acct[i]);
		}
		p->src_held = held;
		p->rlimit_mode = mode;
		/* The storage is the caller's now: it lives as long as the
		 * caller's process bucket says, if any. */
		if (p->src_pidfd >= 0) {
			close(p->src_pidfd);
			p->src_pidfd = -1;
		}
		for (i = 0; i < 2; i++)
			if (old_held & (1u << i))
				ifd_acct_put(old[i]);
	}
out_unlock:
	pthread_mutex_unlock(&ictx->reg_lock);
	return ret;
}

/* Storage for host [uva, uva + length) of @src (NULL: this process, the
 * context's buckets): recorded, not yet pinned. */
static int pages_create(struct siommu_iommufd *ictx, uintptr_t uva, uint64_t length,
			bool writable, void *own_map, uint64_t own_len, struct ifd_source *src,
			struct ifd_pages **out)
{
	uintptr_t host = uva & ~(uintptr_t)PAGE_MASK;
	uint64_t size = ((uva + length + PAGE_MASK) & ~(uint64_t)PAGE_MASK) - host;
	struct ifd_pages *pages;
	unsigned int i;

	pages = ifd_should_fail(ictx) ? NULL : malloc(sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	*pages = (struct ifd_pages){
		.refs = 1, .ictx = ictx, .host = uva, .length = length,
		.npages = size >> SIOMMU_PAGE_SHIFT, .writable = writable,
		.own_map = own_map, .own_len = own_len, .src_pidfd = -1,
		.src = { ictx->acct[0], ictx->acct[1] },
		.rlimit_mode = READ_ONCE(ictx->rlimit_mode),
	};
	if (src) {
		/* Another process's buckets may go before the storage; the
		 * context's outlive it. */
		for (i = 0; i < 2; i++)
			if (src->acct[i]) {
				pages->src[i] = src->acct[i];
				pages->src_held |= 1u << i;
				ifd_acct_get(pages->src[i]);
			}
		/* One pidfd per process: its bucket's, when it has one. */
		if ((pages->src_held & 2) && src->pidfd >= 0)
			ifd_acct_set_pidfd(pages->src[1], src->pidfd);
		else
			pages->src_pidfd = src->pidfd;
		src->pidfd = -1;
	}
	*out = pages;
	return 0;
}

int ifd_pages_from_user(struct siommu_iommufd *ictx, void *uva, uint64_t length,
			bool writable, struct ifd_source *src, struct ifd_pages **out)
{
	uintptr_t end;

	if (__builtin_add_overflow((uintptr_t)uva, length, &end) || end > UINTPTR_MAX - PAGE_MASK)
		return -EOVERFLOW;
	return pages_create(ictx, (uintptr_t)uva, length, writable, NULL, 0, src, out);
}

int ifd_pages_unreachable(struct siommu_iommufd *ictx, uint64_t uva, uint64_t length,
			  int err, struct ifd_pages **out)
{
	int ret;

	if (uva > UINTPTR_MAX)
		return -EFAULT;
	ret = ifd_pages_from_user(ictx, (void *)(uintptr_t)uva, length, true, NULL, out);
	if (!ret)
		(*out)->pin_err = err;
	return ret;
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
			uint64_t length, bool writable, struct ifd_source *src,
			struct ifd_pages **out)
{
	uint64_t off, end, map_len, granule;
	struct ifd_dmabuf *dmabuf;
	struct stat st;
	bool revoked;
	void *map;
	int ret;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	/* A revoked dma-buf's exporter gives no pages. */
	dmabuf = ifd_dmabuf_find(ictx, &st, &revoked);
	if (revoked)
		return -ENODEV;
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
	/* On success the storage owns the mapping. */
	ret = pages_create(ictx, (uintptr_t)map + (start - off), length, writable, map,
			   map_len, src, out);
	if (ret) {
		munmap(map, map_len);
		return ret;
	}
	(*out)->dmabuf = dmabuf;
	(*out)->file_start = start;
	return 0;
}

void ifd_pages_get(struct ifd_pages *pages)
{
	__atomic_fetch_add(&pages->refs, 1, __ATOMIC_RELAXED);
}

void ifd_pages_put(struct ifd_pages *pages)
{
	if (__atomic_sub_fetch(&pages->refs, 1, __ATOMIC_ACQ_REL))
		return;
	SIOMMU_ASSERT(!pages->users);
	if (pages->own_map)
		munmap(pages->own_map, pages->own_len);
	if (pages->src_pidfd >= 0)
		close(pages->src_pidfd);
	if (pages->src_held & 1)
		ifd_acct_put(pages->src[0]);
	if (pages->src_held & 2)
		ifd_acct_put(pages->src[1]);
	free(pages);
}
