/* SPDX-License-Identifier: MIT */
/*
 * Internal view of the IOVA allocator (src/iova/).
 *
 * Everything is counted in pfns (IOVA >> granule shift) inside the library:
 * with a granule of at least 4K the largest pfn is below 2^52, so pfn + 1
 * never wraps and the tree can keep an anchor node just above the aperture.
 *
 * Three layers, each under its own lock (taken in this order):
 *  1. per-CPU caches (struct iova_cpu_cache, cache.c): two magazines per
 *     cacheable order, `loaded` and `prev`, as in Peleg et al.;
 *  2. the depot (struct iova_depot), one per order: a fixed set of
 *     magazines, full ones first;
 *  3. the tree (tree.c): every range that is not free in the tree, i.e.
 *     allocated, cached or reserved.
 * A cached range is a node of kind IOVA_CACHED in the tree whether a caller
 * or a magazine holds it; the live map (cache.c) tells the two apart, so a
 * free through the cache can refuse a range that is not live without taking
 * the tree lock.
 */
#ifndef SIOMMU_IOVA_INTERNAL_H
#define SIOMMU_IOVA_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/iova.h>

#include "util/compiler.h"
#include "util/cpu.h"
#include "util/fail.h"
#include "util/ylock.h"

/*
 * libbsd's <bsd/sys/tree.h> calls RB_AUGMENT(x) on every node whose children
 * it changes (rotations, the parent of an inserted or removed node); the
 * hook recomputes that node's max_gap from its children. It does not walk
 * to the root by itself, so tree.c does after each insert and remove.
 * libbsd is used header-only: the RB_* macros need neither its library nor
 * the overlay include flags, so meson adds no dependency (see meson.build).
 */
struct iova_node;
static inline void iova_node_augment(struct iova_node *x);
#define RB_AUGMENT(x) iova_node_augment(x)
#include <bsd/sys/tree.h>

enum iova_kind {
	IOVA_ANCHOR,	/* one node at last_pfn + 1: the gap below it is the
			 * free space at the top of the aperture */
	IOVA_RESERVED,
	IOVA_TREE,	/* a caller's allocation, freed through the tree */
	IOVA_CACHED,	/* a cacheable-size range: a caller's or a magazine's */
};

struct iova_node {
	RB_ENTRY(iova_node) rb;
	uint64_t lo, hi;	/* pfns, inclusive */
	/* Free pfns between the previous node's hi (or start_pfn) and lo. */
	uint64_t gap;
	/* Largest gap in this node's subtree: the augmentation. */
	uint64_t max_gap;
	enum iova_kind kind;
};

RB_HEAD(iova_tree, iova_node);

static inline uint64_t iova_node_max_gap(const struct iova_node *x)
{
	return x ? x->max_gap : 0;
}

static inline void iova_node_augment(struct iova_node *x)
{
	uint64_t m = x->gap, l = iova_node_max_gap(x->rb.rbe_left),
		 r = iova_node_max_gap(x->rb.rbe_right);

	if (l > m)
		m = l;
	if (r > m)
		m = r;
	x->max_gap = m;
}

/*
 * A CPU whose cache has nothing of a size takes that many ranges from the
 * tree at once, under one lock, and caches all but one. They are adjacent
 * and, where the tree has room, fill a block aligned to its own size, so
 * each CPU works in its own stretch of IOVA space and owns whole cache
 * lines of everything indexed by IOVA: 64 granules are one line of the
 * live map (one byte each), 8 lines of 4K page-table entries, 4 blocks of
 * the DMA API's record shards. Two CPUs mapping through one domain then
 * share none of them; with runs of 16 at any offset, half the operations
 * of one of two threads touched a live-map line the other wrote, in some
 * runs.
 *
 * The slot that took a range from the tree is its home (a byte beside its
 * live byte). A range freed on another CPU waits in that CPU's away
 * magazine, which goes to the depot for its home once full, and the depot
 * gives a slot only magazines of its own ranges: ranges find their way
 * home in batches, and no free touches another CPU's slot. Without homes,
 * a range unmapped on another CPU (a thread migrated between map and
 * unmap, or a producer and a consumer) or a magazine traded through the
 * depot stayed with the other CPU for good, and the two CPUs' working sets
 * became interleaved page by page: two threads on one domain then ran at
 * 180-250 ns per operation against 140-190 on two domains, as the lines
 * above went back and forth. (Putting each free straight into its home
 * slot instead cost a producer and a consumer 9-15 us per range, against
 * 0.3-0.6 us, on the contended slot lock.)
 */
#define IOVA_REFILL 64

/* Cache slots at most (enough for the machines this runs on; more CPUs
 * share slots): CPU n uses slot n mod the next power of two of the CPUs. */
#define IOVA_MAX_CACHES 256
_Static_assert(IOVA_MAX_CACHES <= 256, "a slot number is a home byte");

/* A magazine: a stack of free pfns of one order (Peleg et al. section 4). */
#define IOVA_MAG_SIZE 127
struct iova_mag {
	uint64_t n;
	unsigned int home;	/* the slot whose ranges it holds (depot, away) */
	uint64_t pfn[IOVA_MAG_SIZE];
};

/*
 * One cache slot, used by the threads running on CPUs that map to it.
 * `lock` (util/ylock.h) protects every field; a slot is shared
 * only between threads that land on the same CPU (preemption, migration),
 * so it is nearly never contended. Aligned so that slots do not share cache
 * lines.
 */
struct iova_cpu_cache {
	struct ylock lock;
	struct iova_mag *loaded[SIOMMU_IOVA_CACHE_ORDERS];
	struct iova_mag *prev[SIOMMU_IOVA_CACHE_ORDERS];
	/* Other slots' ranges freed here, all of one home, on their way
	 * to the depot. */
	struct iova_mag *away[SIOMMU_IOVA_CACHE_ORDERS];
	uint64_t hits, misses;
} __attribute__((aligned(64)));

/*
 * The depot of one order: always IOVA_DEPOT_MAGS magazines, the nfull full
 * ones in mags[0, nfull), the empty ones after them. A slot trades a
 * magazine for one of the other kind, so the count never changes and no
 * trade allocates. `lock` protects nfull, mags[] and the magazines' contents.
 */
#define IOVA_DEPOT_MAGS 32
struct iova_depot {
	pthread_mutex_t lock;
	unsigned int nfull;
	struct iova_mag *mags[IOVA_DEPOT_MAGS];
} __attribute__((aligned(64)));

/*
 * Live map: one byte per granule of the aperture, order + 1 while a caller
 * holds the cacheable range starting there, 0 otherwise; and beside it the
 * range's home slot, written when the range leaves the tree for a cache
 * (before it is published) and read by frees once the live byte is claimed.
 * A radix tree of 512-entry directories over leaves of 4096 live bytes and
 * then 4096 home bytes, installed under the tree lock with release stores
 * and read without a lock (acquire loads). Leaves are created on the first
 * cacheable allocation in their 4096 granules and kept until destroy: the
 * top-down policy keeps allocations in few leaves.
 */
#define IOVA_LIVE_LEAF_SHIFT 12
#define IOVA_LIVE_DIR_SHIFT 9
struct iova_live {
	unsigned int levels;	/* directory levels, >= 1 */
	void **root;
	uint64_t id;		/* this allocator's, for iova_live_hint */
};

/*
 * The live-map leaf a thread used last, and whose: a thread's allocations
 * and frees mostly stay within one leaf's 4096 granules (its CPU takes runs
 * of adjacent ranges), so the directory walk (three dependent loads for a
 * 48-bit aperture, on both alloc and free) is mostly skipped. Leaves live
 * as long as their allocator, and ids are never reused, so a hint of a
 * destroyed allocator never matches. Thread-local: no sharing, no atomics.
 */
struct iova_live_hint {
	uint64_t id;
	uint64_t hi;		/* index >> IOVA_LIVE_LEAF_SHIFT */
	uint8_t *leaf;
};
extern __thread struct iova_live_hint iova_live_hint
	__attribute__((tls_model("initial-exec")));

/*
 * The allocator.
 * Lock order: caches[i].lock, then depot[o].lock, then tree_lock; a thread
 * holds at most one cache slot lock and one depot lock at a time.
 *  - tree_lock protects tree, every node, and installing live map pages.
 *  - Everything else is fixed at creation.
 */
struct siommu_iova {
	pthread_mutex_t tree_lock;
	struct iova_tree tree;
	struct iova_node *anchor;

	uint64_t start_pfn, last_pfn;
	unsigned int shift;
	unsigned int flags;

	/* Caches: NULL / 0 with SIOMMU_IOVA_NO_CACHE. */
	struct iova_cpu_cache *caches;
	unsigned int nr_caches;
	struct iova_depot *depot;	/* [SIOMMU_IOVA_CACHE_ORDERS] */
	struct iova_mag *mag_store;	/* every magazine, one allocation */
	struct iova_live live;

	struct fail_nth *fail;		/* own_fail or cfg.mem's */
	struct fail_nth own_fail;
};

static inline bool iova_should_fail(struct siommu_iova *iovad)
{
	return should_fail(iovad->fail);
}

static inline bool iova_cached(const struct siommu_iova *iovad)
{
	return iovad->caches != NULL;
}

/* tree.c; the caller holds tree_lock where it says so. */
int iova_tree_init(struct siommu_iova *iovad);
void iova_tree_fini(struct siommu_iova *iovad);
/* Takes tree_lock: the highest fit of n pfns aligned to align (a power of
 * two) ending at or below max_pfn; inserts a node of @kind (for
 * IOVA_CACHED, with its live byte prepared, still 0). -ENOSPC, -ENOMEM.
 * With @more, also up to *@nmore (at most IOVA_REFILL) more such ranges,
 * the next highest fits under the same lock, into @more; *@nmore is set to
 * how many. */
int iova_tree_alloc(struct siommu_iova *iovad, uint64_t n, uint64_t align,
		    uint64_t max_pfn, enum iova_kind kind, uint64_t *pfn,
		    uint64_t *more, unsigned int *nmore);
/* Under tree_lock: the node starting at pfn, or NULL. */
struct iova_node *iova_tree_find(struct siommu_iova *iovad, uint64_t pfn);
/* Under tree_lock: unlink and free a node (not the anchor). */
void iova_tree_remove(struct siommu_iova *iovad, struct iova_node *node);
/* Takes tree_lock. */
int iova_tree_reserve(struct siommu_iova *iovad, uint64_t lo, uint64_t hi);

/* Takes tree_lock: pfns reserved, held (allocated or cached) and free, the
 * largest free gap, and the number of nodes but the anchor. */
void iova_tree_count(struct siommu_iova *iovad, uint64_t *reserved,
		     uint64_t *held, uint64_t *free_pfns, uint64_t *largest,
		     uint64_t *nodes);

/*
 * Test hook (not exported): check every tree invariant (order, no overlap,
 * gaps, augmentation, anchor, aperture) under tree_lock. Returns 0 or a
 * negative number naming the first broken invariant.
 */
int iova_tree_check(struct siommu_iova *iovad);

/* cache.c */
int iova_cache_init(struct siommu_iova *iovad);
void iova_cache_fini(struct siommu_iova *iovad);
/* Slow paths of the caches, called with the slot lock held. */
void iova_depot_take_full(struct siommu_iova *iovad, unsigned int order,
			  unsigned int slot, struct iova_mag **mp);
bool iova_depot_give_full(struct siommu_iova *iovad, unsigned int order,
			  unsigned int slot, struct iova_mag **mp);
void iova_cache_put_away(struct siommu_iova *iovad, struct iova_cpu_cache *c,
			 unsigned int order, unsigned int home, uint64_t pfn);
void iova_mag_drain(struct siommu_iova *iovad, struct iova_mag *m);
void iova_cache_flush(struct siommu_iova *iovad);
/* Under tree_lock: make sure the live byte of pfn exists. -ENOMEM. */
int iova_live_prepare(struct siommu_iova *iovad, uint64_t pfn);

static inline unsigned int iova_live_index(unsigned int level, uint64_t idx)
{
	return (idx >> (IOVA_LIVE_LEAF_SHIFT + IOVA_LIVE_DIR_SHIFT * level)) &
	       ((1u << IOVA_LIVE_DIR_SHIFT) - 1);
}

/* The live byte of pfn (in the aperture), or NULL if none was prepared.
 * Lock-free; inline because every cached free walks it. */
static inline uint8_t *iova_live_byte(struct siommu_iova *iovad, uint64_t pfn)
{
	uint64_t idx = pfn - iovad->start_pfn, hi = idx >> IOVA_LIVE_LEAF_SHIFT;
	uint64_t off = idx & ((1u << IOVA_LIVE_LEAF_SHIFT) - 1);
	void **dir = iovad->live.root;
	unsigned int l = iovad->live.levels;

	if (likely(iova_live_hint.id == iovad->live.id && iova_live_hint.hi == hi))
		return iova_live_hint.leaf + off;
	while (l--) {
		dir = LOAD_ACQUIRE(dir[iova_live_index(l, idx)]);
		if (!dir)
			return NULL;
	}
	iova_live_hint.id = iovad->live.id;
	iova_live_hint.hi = hi;
	iova_live_hint.leaf = (uint8_t *)dir;
	return (uint8_t *)dir + off;
}
/* Cached ranges and hit/miss counters, for stats; takes the cache locks. */
void iova_cache_count(struct siommu_iova *iovad, uint64_t *cached_pfns,
		      uint64_t *hits, uint64_t *misses);

/*
 * The fast paths of the per-CPU caches (Peleg et al. section 4; see
 * cache.c), inline: a cache hit is a handful of loads and stores around one
 * atomic exchange, and call overhead would be a fair share of it.
 */

/* The calling CPU's cache slot. */
static inline unsigned int iova_cache_this_slot(const struct siommu_iova *iovad)
{
	return this_cpu() & (iovad->nr_caches - 1);
}

/* The home slot byte of the range whose live byte is @live. */
static inline uint8_t *iova_live_home(uint8_t *live)
{
	return live + (1u << IOVA_LIVE_LEAF_SHIFT);
}

/*
 * Pop a pfn <= @max_pfn. The top is taken when it qualifies (always, for a
 * caller without a narrow limit); otherwise the magazine is searched, as
 * Linux's iova_magazine_pop() does, before falling back to the tree.
 */
static inline bool iova_mag_pop(struct iova_mag *m, uint64_t max_pfn,
				uint64_t *pfn)
{
	uint64_t i = m->n;

	while (i--) {
		if (likely(m->pfn[i] <= max_pfn)) {
			*pfn = m->pfn[i];
			m->pfn[i] = m->pfn[--m->n];
			return true;
		}
	}
	return false;
}

/* A cached range of @order at or below @max_pfn (its first pfn), if the
 * calling CPU's slot or the depot has one. */
static inline bool iova_cache_get(struct siommu_iova *iovad, unsigned int order,
				  uint64_t max_pfn, uint64_t *pfn)
{
	unsigned int slot = iova_cache_this_slot(iovad);
	struct iova_cpu_cache *c = &iovad->caches[slot];
	struct iova_mag *m;
	bool hit;

	ylock_lock(&c->lock);
	m = c->loaded[order];
	if (unlikely(!m->n)) {
		if (c->prev[order]->n) {
			c->loaded[order] = c->prev[order];
			c->prev[order] = m;
		} else {
			iova_depot_take_full(iovad, order, slot,
					     &c->loaded[order]);
		}
		m = c->loaded[order];
	}
	hit = iova_mag_pop(m, max_pfn, pfn);
	if (likely(hit))
		c->hits++;
	else
		c->misses++;
	ylock_unlock(&c->lock);
	return hit;
}

/* Cache a range of @order from @home's runs in @slot (the calling CPU's,
 * or the refilling one's); never fails: with both magazines full and no
 * empty one in the depot, the loaded magazine drains into the tree. */
static inline void iova_cache_put(struct siommu_iova *iovad, unsigned int order,
				  unsigned int slot, unsigned int home, uint64_t pfn)
{
	struct iova_cpu_cache *c = &iovad->caches[slot];
	struct iova_mag *m;

	ylock_lock(&c->lock);
	if (unlikely(home != slot)) {
		iova_cache_put_away(iovad, c, order, home, pfn);
		ylock_unlock(&c->lock);
		return;
	}
	m = c->loaded[order];
	if (unlikely(m->n == IOVA_MAG_SIZE)) {
		if (c->prev[order]->n < IOVA_MAG_SIZE) {
			c->loaded[order] = c->prev[order];
			c->prev[order] = m;
		} else if (!iova_depot_give_full(iovad, order, slot,
						 &c->loaded[order])) {
			iova_mag_drain(iovad, m);
		}
		m = c->loaded[order];
	}
	m->pfn[m->n++] = pfn;
	ylock_unlock(&c->lock);
}

#endif
