/* SPDX-License-Identifier: MIT */
/*
 * IOVA allocator: the public calls. Sizes become pfn counts and orders here;
 * cacheable sizes go through the per-CPU caches (cache.c), the rest and the
 * cache misses through the tree (tree.c).
 *
 * Freeing a cacheable range never takes the tree lock, yet must refuse a
 * range that is not allocated (a double free would otherwise put one range
 * in two magazines and hand it to two callers). The live map records, per
 * granule, the order of the cacheable allocation a caller holds there; a
 * free checks and clears it without a lock. Only a refused free takes the
 * tree lock, to tell -ENOENT from -EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/iova.h>

#include "iova/iova_internal.h"
#include "mem/mem_internal.h"

#define NO_ORDER SIOMMU_IOVA_CACHE_ORDERS

static inline unsigned int order_of(uint64_t pages)
{
	return pages > 1 ? 64 - __builtin_clzll(pages - 1) : 0;
}

/*
 * Pages an allocation of @size takes, and its cache order (NO_ORDER if it is
 * not cacheable). size > 0. With a granule of at least 4K, pages < 2^53.
 */
static inline unsigned int size_to_pages(const struct siommu_iova *iovad,
					 uint64_t size, uint64_t *pages)
{
	uint64_t gmask = (1ull << iovad->shift) - 1;
	uint64_t n = (size >> iovad->shift) + ((size & gmask) != 0);
	unsigned int order;

	if (likely(n <= SIOMMU_IOVA_CACHE_MAX_SIZE)) {
		order = order_of(n);
		*pages = 1ull << order;
		return order;
	}
	*pages = n;
	return NO_ORDER;
}

static inline uint64_t bytes_of(const struct siommu_iova *iovad, uint64_t pfns)
{
	/* Saturates: a whole 64-bit aperture has 2^64 bytes. */
	return pfns >> (64 - iovad->shift) ? UINT64_MAX : pfns << iovad->shift;
}

int SIOMMU_EXPORT siommu_iova_create(const struct siommu_iova_cfg *cfg,
				     struct siommu_iova **out)
{
	struct siommu_iova *iovad;
	struct fail_nth *fail;
	uint64_t granule;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	granule = cfg->granule ? cfg->granule : SIOMMU_SZ_4K;
	if ((granule & (granule - 1)) || granule < SIOMMU_SZ_4K ||
	    granule > SIOMMU_SZ_1G)
		return -EINVAL;
	if ((cfg->start & (granule - 1)) ||
	    (cfg->last & (granule - 1)) != granule - 1 ||
	    cfg->start > cfg->last || (cfg->flags & ~SIOMMU_IOVA_NO_CACHE))
		return -EINVAL;

	fail = cfg->mem ? &cfg->mem->fail : NULL;
	if (fail && should_fail(fail))
		return -ENOMEM;
	iovad = calloc(1, sizeof(*iovad));
	if (!iovad)
		return -ENOMEM;
	iovad->fail = fail ? fail : &iovad->own_fail;
	iovad->shift = __builtin_ctzll(granule);
	iovad->start_pfn = cfg->start >> iovad->shift;
	iovad->last_pfn = cfg->last >> iovad->shift;
	iovad->flags = cfg->flags;
	pthread_mutex_init(&iovad->tree_lock, NULL);

	ret = iova_tree_init(iovad);
	if (ret)
		goto out_free_iovad;
	if (!(cfg->flags & SIOMMU_IOVA_NO_CACHE)) {
		ret = iova_cache_init(iovad);
		if (ret)
			goto out_fini_tree;
	}
	*out = iovad;
	return 0;

out_fini_tree:
	iova_tree_fini(iovad);
out_free_iovad:
	pthread_mutex_destroy(&iovad->tree_lock);
	free(iovad);
	return ret;
}

void SIOMMU_EXPORT siommu_iova_destroy(struct siommu_iova *iovad)
{
	if (!iovad)
		return;
	iova_cache_fini(iovad);
	iova_tree_fini(iovad);
	pthread_mutex_destroy(&iovad->tree_lock);
	free(iovad);
}

int SIOMMU_EXPORT siommu_iova_reserve(struct siommu_iova *iovad, uint64_t iova,
				      uint64_t size)
{
	uint64_t last, lo, hi;

	if (!size || __builtin_add_overflow(iova, size - 1, &last))
		return -EINVAL;
	lo = iova >> iovad->shift;
	hi = last >> iovad->shift;
	if (hi < iovad->start_pfn || lo > iovad->last_pfn)
		return 0;
	if (lo < iovad->start_pfn)
		lo = iovad->start_pfn;
	if (hi > iovad->last_pfn)
		hi = iovad->last_pfn;
	return iova_tree_reserve(iovad, lo, hi);
}

int SIOMMU_EXPORT siommu_iova_alloc(struct siommu_iova *iovad, uint64_t size,
				    uint64_t limit, uint64_t *iova)
{
	uint64_t pages, max_pfn, pfn, gmask = (1ull << iovad->shift) - 1;
	unsigned int order, align_order;
	enum iova_kind kind = IOVA_TREE;
	uint64_t more[IOVA_REFILL - 1];
	unsigned int nmore, home;
	int ret;

	if (unlikely(!size || !iova))
		return -EINVAL;
	order = size_to_pages(iovad, size, &pages);

	/* The last pfn that lies wholly at or below the limit. */
	max_pfn = limit >> iovad->shift;
	if ((limit & gmask) != gmask) {
		if (!max_pfn)
			return -ENOSPC;
		max_pfn--;
	}
	if (max_pfn > iovad->last_pfn)
		max_pfn = iovad->last_pfn;
	if (max_pfn < iovad->start_pfn || max_pfn - iovad->start_pfn < pages - 1)
		return -ENOSPC;

	if (order != NO_ORDER && iova_cached(iovad)) {
		if (likely(iova_cache_get(iovad, order, max_pfn - (pages - 1),
					  &pfn)))
			goto out_live;
		kind = IOVA_CACHED;
	}
	align_order = order_of(pages);
	if (align_order > SIOMMU_IOVA_MAX_ALIGN_ORDER)
		align_order = SIOMMU_IOVA_MAX_ALIGN_ORDER;
	/* A cache miss refills this CPU's cache too (IOVA_REFILL). */
	nmore = kind == IOVA_CACHED ? IOVA_REFILL - 1 : 0;
	ret = iova_tree_alloc(iovad, pages, 1ull << align_order, max_pfn, kind,
			      &pfn, more, &nmore);
	/* Cached ranges are not free in the tree: give them back and retry
	 * once, as Linux's alloc_iova_fast() does. */
	if (ret == -ENOSPC && iova_cached(iovad)) {
		iova_cache_flush(iovad);
		ret = iova_tree_alloc(iovad, pages, 1ull << align_order,
				      max_pfn, kind, &pfn, NULL, NULL);
	}
	if (ret)
		return ret;
	if (kind != IOVA_CACHED)
		goto out;
	/* This slot is the home of every range of the refill; the bytes are
	 * written before the ranges are published (slot unlock, live byte). */
	home = iova_cache_this_slot(iovad);
	WRITE_ONCE(*iova_live_home(iova_live_byte(iovad, pfn)), (uint8_t)home);
	/* Highest first: the cache hands out its last-in first. */
	while (nmore) {
		uint64_t m = more[--nmore];

		WRITE_ONCE(*iova_live_home(iova_live_byte(iovad, m)), (uint8_t)home);
		iova_cache_put(iovad, order, home, home, m);
	}
out_live:
	/* The range is ours alone now; a free claims it with acquire. */
	STORE_RELEASE(*iova_live_byte(iovad, pfn), (uint8_t)(order + 1));
out:
	*iova = pfn << iovad->shift;
	return 0;
}

/*
 * Whether @node is a caller's allocation: a tree range, or a cached one
 * whose live byte is set (a magazine's range is free, though it is in the
 * tree). Caller holds tree_lock.
 */
static bool node_allocated(struct siommu_iova *iovad, const struct iova_node *node)
{
	uint8_t *b;

	if (node->kind == IOVA_TREE)
		return true;
	if (node->kind != IOVA_CACHED)
		return false;
	b = iova_live_byte(iovad, node->lo);
	return b && LOAD_ACQUIRE(*b);
}

/*
 * The error for a free the fast path refused: -EINVAL if an allocation of
 * another size starts at @pfn, else -ENOENT (never allocated, reserved, or
 * already freed, whatever size this free gives).
 */
static int free_error(struct siommu_iova *iovad, uint64_t pfn, uint64_t pages)
{
	struct iova_node *node;
	int ret = -ENOENT;

	pthread_mutex_lock(&iovad->tree_lock);
	node = iova_tree_find(iovad, pfn);
	if (node && node_allocated(iovad, node) && node->hi - node->lo + 1 != pages)
		ret = -EINVAL;
	pthread_mutex_unlock(&iovad->tree_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_iova_free(struct siommu_iova *iovad, uint64_t iova,
				   uint64_t size)
{
	uint64_t pages, pfn = iova >> iovad->shift;
	struct iova_node *node;
	unsigned int order;
	int ret = 0;

	if (unlikely(!size))
		return -EINVAL;
	if (unlikely((iova & ((1ull << iovad->shift) - 1)) ||
		     pfn < iovad->start_pfn || pfn > iovad->last_pfn))
		return -ENOENT;
	order = size_to_pages(iovad, size, &pages);

	if (order != NO_ORDER && iova_cached(iovad)) {
		uint8_t live = order + 1, *b = NULL;

		/* Cacheable ranges are size-aligned, so a misaligned pfn was
		 * not one of this size. */
		if (likely(!(pfn & (pages - 1))))
			b = iova_live_byte(iovad, pfn);
		if (unlikely(!b || LOAD_ACQUIRE(*b) != live))
			return free_error(iovad, pfn, pages);
		/* A plain store, not a compare-and-swap: an atomic
		 * read-modify-write costs as much as the rest of the fast
		 * path. Ordered frees are all checked; two frees of one range
		 * racing each other are a caller bug this may not catch. The
		 * slot unlock in iova_cache_put orders the store before the
		 * range's next allocation. */
		WRITE_ONCE(*b, 0);
		iova_cache_put(iovad, order, iova_cache_this_slot(iovad),
			       READ_ONCE(*iova_live_home(b)), pfn);
		return 0;
	}

	pthread_mutex_lock(&iovad->tree_lock);
	node = iova_tree_find(iovad, pfn);
	if (!node || !node_allocated(iovad, node))
		ret = -ENOENT;
	else if (node->kind != IOVA_TREE || node->hi - node->lo + 1 != pages)
		ret = -EINVAL;
	else
		iova_tree_remove(iovad, node);
	pthread_mutex_unlock(&iovad->tree_lock);
	return ret;
}

void SIOMMU_EXPORT siommu_iova_flush_caches(struct siommu_iova *iovad)
{
	if (iova_cached(iovad))
		iova_cache_flush(iovad);
}

void SIOMMU_EXPORT siommu_iova_get_stats(struct siommu_iova *iovad,
					 struct siommu_iova_stats *st)
{
	uint64_t cached = 0, reserved, held, free_pfns, largest;

	memset(st, 0, sizeof(*st));
	if (iova_cached(iovad))
		iova_cache_count(iovad, &cached, &st->cache_hits,
				 &st->cache_misses);
	iova_tree_count(iovad, &reserved, &held, &free_pfns, &largest,
			&st->nodes);
	st->largest_free_bytes = bytes_of(iovad, largest);
	st->aperture_bytes = bytes_of(iovad, iovad->last_pfn - iovad->start_pfn + 1);
	st->reserved_bytes = bytes_of(iovad, reserved);
	st->allocated_bytes = bytes_of(iovad, held > cached ? held - cached : 0);
	st->cached_bytes = bytes_of(iovad, cached);
	st->free_bytes = bytes_of(iovad, free_pfns);
}

uint64_t SIOMMU_EXPORT siommu_iova_fail_nth(struct siommu_iova *iovad, uint64_t n)
{
	return fail_nth_arm(iovad->fail, n);
}
