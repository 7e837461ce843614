/* SPDX-License-Identifier: MIT */
/*
 * siommu/iova.h - IOVA allocator.
 *
 * Concepts
 * --------
 * A struct siommu_iova hands out ranges of I/O virtual addresses (IOVAs) in
 * one aperture [start, last] of a DMA domain, in units of a granule (the
 * smallest page the domain maps, 4K by default). It knows nothing of page
 * tables: the DMA layer asks it for an address, then maps it.
 *
 *  - Reserved ranges (siommu_iova_reserve: an MSI window, a PCI hole) are
 *    never handed out.
 *  - An allocation of `size` bytes takes size rounded up to the granule; a
 *    size of at most SIOMMU_IOVA_CACHE_MAX_SIZE granules is further rounded
 *    up to a power of two, so that freed ranges of such sizes are
 *    interchangeable and can be recycled through the caches below.
 *  - Every allocation is size-aligned: its IOVA is a multiple of its size
 *    rounded up to a power of two, capped at 2^SIOMMU_IOVA_MAX_ALIGN_ORDER
 *    granules (1G with 4K granules: what a 1G leaf needs). Size alignment
 *    lets the page table use the largest leaves the size allows.
 *  - Placement is top-down: the highest fit below min(limit, last). As in
 *    Linux, low addresses are kept for devices with a narrow DMA mask, and a
 *    32-bit device asking later still finds room below 4G.
 *
 * The allocator is a red-black tree of allocated and reserved ranges (see
 * src/iova/tree.c), each node knowing the free gap below it and the largest
 * gap in its subtree, so a search skips every subtree with no gap big enough
 * instead of scanning.
 *
 * In front of the tree sit per-CPU magazine caches for the small, cacheable
 * sizes, with a shared depot of full and empty magazines per size, after
 * Peleg, Morrison, Serebrin and Tsafrir, "Utilizing the IOMMU Scalably"
 * (USENIX ATC'15), the design Linux's IOVA rcache follows. A cache hit takes
 * one per-CPU lock and no tree lock. The caches belong to the allocator
 * object; nothing is process-global or thread-local.
 *
 * Addresses that sit in a cache are not free in the tree: a caller who needs
 * the whole aperture back (or siommu_iova_reserve over a range the caches
 * hold) calls siommu_iova_flush_caches() first. siommu_iova_alloc() flushes
 * the caches and retries once by itself before it reports -ENOSPC.
 *
 * Intervals: the API takes (iova, size) and byte addresses; `last` and
 * `limit` are inclusive, so an aperture may end at UINT64_MAX.
 *
 * Concurrency
 * -----------
 * alloc, free, reserve, flush_caches and get_stats may run concurrently from
 * any number of threads on one allocator; create and destroy may not run
 * concurrently with anything on it. Lock order (inside the library): per-CPU
 * cache lock, then depot lock, then tree lock.
 */
#ifndef SIOMMU_IOVA_H
#define SIOMMU_IOVA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_iova;
struct siommu_mem;

/* Sizes of at most this many granules (orders 0..5) are cached, as Linux's
 * IOVA_RANGE_CACHE_MAX_SIZE = 6: 4K..128K with 4K granules. */
#define SIOMMU_IOVA_CACHE_ORDERS 6
#define SIOMMU_IOVA_CACHE_MAX_SIZE (1u << (SIOMMU_IOVA_CACHE_ORDERS - 1))

/* Alignment cap, in granule orders (2^18 granules = 1G with 4K granules). */
#define SIOMMU_IOVA_MAX_ALIGN_ORDER 18

/* cfg.flags */
#define SIOMMU_IOVA_NO_CACHE (1u << 0)	/* no magazines: every call uses the tree */

struct siommu_iova_cfg {
	uint64_t start;		/* first IOVA, granule-aligned */
	uint64_t last;		/* last IOVA, inclusive; last + 1 granule-aligned
				 * (or last == UINT64_MAX) */
	uint64_t granule;	/* power of two, 4K..1G; 0 = 4K */
	unsigned int flags;	/* SIOMMU_IOVA_* */
	/*
	 * Optional, for fault injection: when set, the allocator's fallible
	 * steps count against this address space's fail-nth countdown
	 * (siommu_mem_fail_nth), so one sweep covers a DMA layer and its
	 * IOVAs. It must outlive the allocator. NULL: the allocator has its
	 * own countdown (siommu_iova_fail_nth).
	 */
	struct siommu_mem *mem;
};

struct siommu_iova_stats {
	uint64_t aperture_bytes;
	uint64_t reserved_bytes;
	uint64_t allocated_bytes;	/* held by callers */
	uint64_t cached_bytes;		/* held in per-CPU caches and depot */
	uint64_t free_bytes;		/* free in the tree */
	uint64_t largest_free_bytes;	/* largest free gap in the tree */
	uint64_t nodes;			/* tree nodes: allocations, cached
					 * ranges, reserved ranges */
	uint64_t cache_hits;
	uint64_t cache_misses;
};

/*
 * siommu_iova_create - create an allocator over [cfg->start, cfg->last].
 * Returns 0 with *out set, -EINVAL (NULL argument, misaligned or empty
 * aperture, granule not a power of two in 4K..1G, unknown flag), -ENOMEM.
 * On failure nothing is allocated.
 */
int siommu_iova_create(const struct siommu_iova_cfg *cfg,
		       struct siommu_iova **out);

/*
 * siommu_iova_destroy - free the allocator, its caches and every range still
 * allocated (the caller must not use them any more). Never fails, never
 * allocates. Nothing else may be running on @iovad. NULL is a no-op.
 */
void siommu_iova_destroy(struct siommu_iova *iovad);

/*
 * siommu_iova_reserve - never hand out [iova, iova + size).
 * The range is widened to whole granules and clipped to the aperture (a
 * range wholly outside it is a successful no-op). Overlapping reserved
 * ranges merge. Returns 0, -EINVAL (zero size, iova + size wraps past 2^64),
 * -EBUSY (the range overlaps an allocation or a cached range; nothing
 * changed), -ENOMEM. May run concurrently with every call but destroy.
 */
int siommu_iova_reserve(struct siommu_iova *iovad, uint64_t iova,
			uint64_t size);

/*
 * siommu_iova_alloc - allocate @size bytes, size-aligned (see Concepts),
 * ending at or below @limit (inclusive, like a DMA mask: 0xffffffff for a
 * 32-bit device, UINT64_MAX for none) and inside the aperture.
 * Cacheable sizes are taken from the calling CPU's cache when it has a range
 * below the limit; otherwise the highest fit in the tree.
 * Returns 0 with *iova set, -EINVAL (zero size, NULL iova), -ENOSPC (no
 * aligned range of that size is free below the limit, even after flushing
 * the caches), -ENOMEM. On failure nothing changed.
 * Thread-safe; may run concurrently with every call but destroy.
 */
int siommu_iova_alloc(struct siommu_iova *iovad, uint64_t size,
		      uint64_t limit, uint64_t *iova);

/*
 * siommu_iova_free - give back an allocation; @size is the size passed to
 * siommu_iova_alloc (anything that rounds to the same size works).
 * Returns 0; -ENOENT if no allocation starts at @iova (never allocated,
 * already freed, or reserved), whatever non-zero @size is given; -EINVAL
 * (zero size, or an allocation starts at @iova with a different size). On
 * error nothing changed. Never allocates.
 * Thread-safe. A second free of a range is refused whenever it is ordered
 * after the first (same thread, or synchronised with it). Two frees of one
 * range racing each other are a caller bug: for sizes above the cacheable
 * ones exactly one succeeds (both go through the tree lock); for cacheable
 * sizes, whose fast path takes no shared lock, both may.
 */
int siommu_iova_free(struct siommu_iova *iovad, uint64_t iova, uint64_t size);

/*
 * siommu_iova_flush_caches - return every cached range to the tree. Never
 * fails, never allocates. Thread-safe; ranges cached concurrently by other
 * threads' frees may stay cached.
 */
void siommu_iova_flush_caches(struct siommu_iova *iovad);

/*
 * siommu_iova_get_stats - counters and occupancy. Exact when nothing runs
 * concurrently; otherwise each figure is one that held at some moment.
 */
void siommu_iova_get_stats(struct siommu_iova *iovad,
			   struct siommu_iova_stats *st);

/*
 * Fault injection, for tests: make the @n-th fallible step from now (node,
 * cache and map allocations) fail with -ENOMEM; n = 0 disarms. Returns the
 * steps consumed since the last call. With cfg.mem set, this arms that
 * address space's countdown (the same as siommu_mem_fail_nth). A run-time
 * no-op unless armed.
 */
uint64_t siommu_iova_fail_nth(struct siommu_iova *iovad, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_IOVA_H */
