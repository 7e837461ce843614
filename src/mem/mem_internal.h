/* SPDX-License-Identifier: MIT */
/*
 * Internal view of the physical address space, for the rest of the library.
 *
 * The frame pool is one contiguous host mapping fixed at creation, so a PA in
 * it converts to a host pointer with one subtraction and one compare, without
 * entering an RCU section: page-table code uses mem_pool_host() on its hot
 * paths and falls back to siommu_mem_host() for other regions.
 */
#ifndef SIOMMU_MEM_INTERNAL_H
#define SIOMMU_MEM_INTERNAL_H

#include <pthread.h>
#include <siommu/mem.h>
#include "util/compiler.h"
#include "util/fail.h"
#include "util/rcu.h"

#define FRAME_NONE UINT32_MAX
#define FRAME_MAX_ORDER 18	/* 1G of 4K frames */

/*
 * Per-frame metadata, kept outside the frames so that a free or freeing
 * frame is never written: lock-free table walkers may still read a table page
 * until a grace period has passed. Protected by frame_pool.lock, except
 * `next` of an allocated frame, which belongs to the frame's owner (used to
 * chain frames on a struct frame_list).
 */
struct frame_meta {
	uint32_t next, prev;	/* free list links, or the owner's list link */
	uint8_t order;		/* of the run this frame heads */
	uint8_t state;		/* FRAME_TAIL, FRAME_FREE or FRAME_ALLOC */
	uint8_t purpose;
	uint8_t pad;
};

/*
 * Buddy allocator over the pool. lock protects everything below it; the
 * mapping fields above it are constant after creation.
 */
struct frame_pool {
	uint64_t base;		/* PA */
	uint64_t size;
	uint8_t *host;
	uint32_t nframes;
	pthread_mutex_t lock;
	struct frame_meta *meta;
	uint32_t free_head[FRAME_MAX_ORDER + 1];
	uint64_t free_bytes;
	uint64_t in_use[SIOMMU_MEM_NR_PURPOSES];
	uint64_t allocs[SIOMMU_MEM_NR_PURPOSES];
	uint64_t frees[SIOMMU_MEM_NR_PURPOSES];
};

struct mem_region {
	uint64_t pa;
	uint64_t size;
	uint8_t *host;
	bool owned;		/* mapped by the library */
	bool pool;
};

/* Immutable once published; replaced whole under region_lock. */
struct region_table {
	unsigned int n;
	struct mem_region r[];	/* sorted by pa, non-overlapping */
};

/*
 * A reader of a memory's regions beyond its own lookups: a hardware model
 * keeps host pointers into RAM across its DMA copies and table walks,
 * inside sections of its own RCU domain. Removing a region waits for the
 * domains of the memory's users too. Linked under region_lock.
 */
struct mem_rcu_user {
	struct rcu_domain *rcu;
	struct mem_rcu_user *next, **pprev;
};

/*
 * Lock order: region_lock, then pool.lock (never both on a hot path).
 * regions is RCU-protected, in the memory's own domain: readers use
 * rcu_dereference() inside a section of mem->rcu; writers replace it under
 * region_lock and wait a grace period before freeing the old table (and,
 * when a region goes, for the users' domains before unmapping it).
 */
struct siommu_mem {
	struct region_table *regions;
	struct rcu_domain rcu;
	pthread_mutex_t region_lock;
	struct mem_rcu_user *rcu_users;	/* region_lock */
	struct frame_pool pool;
	struct fail_nth fail;
};

static inline_hot void *mem_pool_host(struct siommu_mem *mem, uint64_t pa)
{
	uint64_t off = pa - mem->pool.base;

	return likely(off < mem->pool.size) ? mem->pool.host + off : NULL;
}

/* Host pointer of an 8-byte aligned table entry anywhere in RAM, or NULL. */
static inline_hot uint64_t *mem_entry_ptr(struct siommu_mem *mem, uint64_t pa)
{
	void *p = mem_pool_host(mem, pa);

	return likely(p) ? p : siommu_mem_host(mem, pa, 8);
}

/*
 * A chain of allocated frames waiting to be freed together (page-table
 * levels waiting for an IOTLB flush and a grace period). Linked through
 * frame_meta.next, so building it never allocates and never writes the
 * frames themselves. Only pool frames can be chained.
 */
struct frame_list {
	uint32_t head;
	uint32_t count;
};

#define FRAME_LIST_INIT { FRAME_NONE, 0 }

void mem_frame_list_add(struct siommu_mem *mem, struct frame_list *l, uint64_t pa);
/* Frees every frame on the list (4K runs of @purpose) and empties it. */
void mem_frame_list_free(struct siommu_mem *mem, struct frame_list *l,
			 enum siommu_mem_purpose purpose);

/*
 * mem_host_to_pa - the PA of host pointer @host, when [host, host + len)
 * (len 0 counts as 1) lies inside one RAM region's host mapping: the
 * inverse of siommu_mem_host(). Returns 0 with *pa set, or -EFAULT.
 * Lock-free, like siommu_mem_host().
 */
int mem_host_to_pa(struct siommu_mem *mem, const void *host, uint64_t len,
		   uint64_t *pa);

/*
 * siommu_mem_remove_ram() for a layer's teardown path: its allocation (the
 * smaller region table) is not a fault-injection step, so it fails only
 * when the process is out of memory (-ENOMEM, nothing changed).
 */
int mem_remove_ram_teardown(struct siommu_mem *mem, uint64_t pa, uint64_t size);

static inline bool mem_should_fail(struct siommu_mem *mem)
{
	return should_fail(&mem->fail);
}

/*
 * mem_rcu_user_add - make @mem's region removals wait for the sections of
 * @rcu too, through @u (the caller's, linked until mem_rcu_user_del()).
 * Never fails; takes region_lock, so not inside a section of @rcu.
 */
void mem_rcu_user_add(struct siommu_mem *mem, struct mem_rcu_user *u,
		      struct rcu_domain *rcu);
void mem_rcu_user_del(struct siommu_mem *mem, struct mem_rcu_user *u);

#endif
