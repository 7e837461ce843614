/* SPDX-License-Identifier: MIT */
/*
 * Frame pool: a binary buddy allocator over one contiguous, lazily committed
 * host mapping. Orders 0 (4K) to 18 (1G): callers ask for any power-of-two
 * run in between (4K table pages, 128K PASID directories, 2M/1G buffers).
 *
 * Metadata lives in a separate array (struct frame_meta), one entry a frame,
 * so the allocator never writes into a frame it does not hand out: a page
 * table level that was unlinked stays intact for lock-free walkers until its
 * owner frees it after a grace period.
 *
 * Zeroing happens on allocation: runs below 2M are cleared with memset, larger
 * ones are dropped with MADV_DONTNEED, which also returns their memory to the
 * host and makes them read back as zeros on next touch.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/mem_internal.h"

enum { FRAME_TAIL, FRAME_FREE, FRAME_ALLOC };

static void list_push(struct frame_pool *p, unsigned int order, uint32_t pfn)
{
	uint32_t head = p->free_head[order];

	p->meta[pfn].next = head;
	p->meta[pfn].prev = FRAME_NONE;
	if (head != FRAME_NONE)
		p->meta[head].prev = pfn;
	p->free_head[order] = pfn;
	p->meta[pfn].order = order;
	p->meta[pfn].state = FRAME_FREE;
}

static void list_del(struct frame_pool *p, unsigned int order, uint32_t pfn)
{
	struct frame_meta *m = &p->meta[pfn];

	if (m->prev != FRAME_NONE)
		p->meta[m->prev].next = m->next;
	else
		p->free_head[order] = m->next;
	if (m->next != FRAME_NONE)
		p->meta[m->next].prev = m->prev;
	m->state = FRAME_TAIL;
}

int frame_pool_init(struct siommu_mem *mem, uint64_t base, uint64_t size);
int frame_pool_init(struct siommu_mem *mem, uint64_t base, uint64_t size)
{
	struct frame_pool *p = &mem->pool;
	uint64_t meta_bytes;
	unsigned int i;
	uint32_t pfn;

	p->base = base;
	p->nframes = size >> SIOMMU_PAGE_SHIFT;
	if (mem_should_fail(mem))
		return -ENOMEM;
	p->host = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->host == MAP_FAILED)
		return -ENOMEM;
	meta_bytes = (uint64_t)p->nframes * sizeof(struct frame_meta);
	p->meta = mem_should_fail(mem) ? MAP_FAILED :
		  mmap(NULL, meta_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->meta == MAP_FAILED) {
		munmap(p->host, size);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	for (i = 0; i <= FRAME_MAX_ORDER; i++)
		p->free_head[i] = FRAME_NONE;
	/* Push in reverse so that the lowest 1G block is handed out first. */
	for (pfn = p->nframes; pfn; ) {
		pfn -= 1u << FRAME_MAX_ORDER;
		list_push(p, FRAME_MAX_ORDER, pfn);
	}
	p->free_bytes = size;
	/* Publish the size last: mem_pool_host() treats size 0 as "no pool". */
	p->size = size;
	return 0;
}

void frame_pool_fini(struct frame_pool *p);
void frame_pool_fini(struct frame_pool *p)
{
	munmap(p->meta, (uint64_t)p->nframes * sizeof(struct frame_meta));
	munmap(p->host, p->size);
	pthread_mutex_destroy(&p->lock);
}

/* Order of a run of @size bytes: a power of two from 4K to 1G; else -1. */
static int size_to_order(uint64_t size)
{
	if (size < SIOMMU_SZ_4K || size > SIOMMU_SZ_1G || (size & (size - 1)))
		return -1;
	return __builtin_ctzll(size) - SIOMMU_PAGE_SHIFT;
}

int SIOMMU_EXPORT siommu_mem_frame_alloc(struct siommu_mem *mem, uint64_t size,
					 enum siommu_mem_purpose purpose,
					 uint64_t *pa)
{
	struct frame_pool *p = &mem->pool;
	int order = size_to_order(size);
	unsigned int k;
	uint32_t pfn;
	void *host;

	if (order < 0 || (unsigned int)purpose >= SIOMMU_MEM_NR_PURPOSES || !pa)
		return -EINVAL;
	if (mem_should_fail(mem) || !p->size)
		return -ENOMEM;

	pthread_mutex_lock(&p->lock);
	for (k = order; k <= FRAME_MAX_ORDER; k++)
		if (p->free_head[k] != FRAME_NONE)
			break;
	if (k > FRAME_MAX_ORDER) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	pfn = p->free_head[k];
	list_del(p, k, pfn);
	/* Split: keep the lower half, free the upper halves. */
	while (k > (unsigned int)order) {
		k--;
		list_push(p, k, pfn + (1u << k));
	}
	p->meta[pfn].order = order;
	p->meta[pfn].state = FRAME_ALLOC;
	p->meta[pfn].purpose = purpose;
	p->meta[pfn].next = FRAME_NONE;
	p->free_bytes -= size;
	p->in_use[purpose] += size;
	p->allocs[purpose]++;
	pthread_mutex_unlock(&p->lock);

	host = p->host + ((uint64_t)pfn << SIOMMU_PAGE_SHIFT);
	if (order < 9)
		memset(host, 0, size);
	else
		madvise(host, size, MADV_DONTNEED);
	*pa = p->base + ((uint64_t)pfn << SIOMMU_PAGE_SHIFT);
	return 0;
}

/* Caller holds p->lock. Returns false if (pfn, order, purpose) is no run. */
static bool free_locked(struct frame_pool *p, uint32_t pfn, unsigned int order,
			enum siommu_mem_purpose purpose)
{
	struct frame_meta *m = &p->meta[pfn];

	if (m->state != FRAME_ALLOC || m->order != order || m->purpose != purpose)
		return false;
	/* Give large runs back to the host before anyone can take them again. */
	if (order >= 9)
		madvise(p->host + ((uint64_t)pfn << SIOMMU_PAGE_SHIFT),
			1ull << (order + SIOMMU_PAGE_SHIFT), MADV_DONTNEED);
	p->free_bytes += 1ull << (order + SIOMMU_PAGE_SHIFT);
	p->in_use[purpose] -= 1ull << (order + SIOMMU_PAGE_SHIFT);
	p->frees[purpose]++;
	m->state = FRAME_TAIL;
	while (order < FRAME_MAX_ORDER) {
		uint32_t buddy = pfn ^ (1u << order);

		if (buddy >= p->nframes || p->meta[buddy].state != FRAME_FREE ||
		    p->meta[buddy].order != order)
			break;
		list_del(p, order, buddy);
		pfn &= ~(1u << order);
		order++;
	}
	list_push(p, order, pfn);
	return true;
}

static bool pfn_of(struct frame_pool *p, uint64_t pa, uint64_t size, uint32_t *pfn)
{
	uint64_t off = pa - p->base;

	if (off >= p->size || off + size > p->size || !is_aligned64(off, size))
		return false;
	*pfn = off >> SIOMMU_PAGE_SHIFT;
	return true;
}

void SIOMMU_EXPORT siommu_mem_frame_free(struct siommu_mem *mem, uint64_t pa,
					 uint64_t size,
					 enum siommu_mem_purpose purpose)
{
	struct frame_pool *p = &mem->pool;
	int order = size_to_order(size);
	uint32_t pfn;
	bool ok;

	if (order < 0 || (unsigned int)purpose >= SIOMMU_MEM_NR_PURPOSES ||
	    !pfn_of(p, pa, size, &pfn)) {
		SIOMMU_ASSERT(!"frame_free of a run that is not in the pool");
		return;
	}
	pthread_mutex_lock(&p->lock);
	ok = free_locked(p, pfn, order, purpose);
	pthread_mutex_unlock(&p->lock);
	SIOMMU_ASSERT(ok && "frame_free of a run that was not allocated");
	(void)ok;
}

void mem_frame_list_add(struct siommu_mem *mem, struct frame_list *l, uint64_t pa)
{
	uint32_t pfn;

	if (!pfn_of(&mem->pool, pa, SIOMMU_SZ_4K, &pfn)) {
		SIOMMU_ASSERT(!"only pool frames can be chained");
		return;
	}
	/* next of an allocated frame belongs to its owner: no lock needed. */
	mem->pool.meta[pfn].next = l->head;
	l->head = pfn;
	l->count++;
}

void mem_frame_list_free(struct siommu_mem *mem, struct frame_list *l,
			 enum siommu_mem_purpose purpose)
{
	struct frame_pool *p = &mem->pool;
	uint32_t pfn = l->head;

	if (pfn == FRAME_NONE)
		return;
	pthread_mutex_lock(&p->lock);
	while (pfn != FRAME_NONE) {
		uint32_t next = p->meta[pfn].next;
		bool ok = free_locked(p, pfn, 0, purpose);

		SIOMMU_ASSERT(ok);
		(void)ok;
		pfn = next;
	}
	pthread_mutex_unlock(&p->lock);
	l->head = FRAME_NONE;
	l->count = 0;
}
