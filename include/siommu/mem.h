/* SPDX-License-Identifier: MIT */
/*
 * siommu/mem.h - simulated physical memory.
 *
 * Concepts
 * --------
 * A struct siommu_mem is one physical address space: a sparse 64-bit range of
 * physical addresses (PAs) in which some ranges are RAM and everything else is
 * a hole. Both halves of siommu meet here: the OS half writes page tables,
 * context tables and queue descriptors into this memory, and the hardware
 * models read them back in the real formats. Several address spaces can live
 * in one process; nothing is shared between them.
 *
 * RAM comes in regions:
 *  - library RAM: siommu_mem_add_ram() with host == NULL; the library maps
 *    it lazily (untouched pages cost nothing) and owns it;
 *  - registered RAM: an embedder (an emulator's guest RAM) passes its own
 *    host mapping, which must stay valid until the region is removed or the
 *    address space destroyed;
 *  - the frame pool: one library region, created with the address space,
 *    from which siommu_mem_frame_alloc() hands out 4K pages and physically
 *    contiguous power-of-two runs up to 1G (table pages, queues, DMA
 *    buffers).
 *
 * Every access is bounds-checked against one region: an access that touches
 * a hole or runs past a region's end fails with -EFAULT and transfers
 * nothing. Nothing outside the regions is ever read or written.
 *
 * Concurrency
 * -----------
 * PA lookups (siommu_mem_host(), read, write and the 64-bit atomics) are
 * lock-free and may run concurrently with everything, including adding
 * regions. Removing a region waits until the lookups that found it, and the
 * DMA and table walks of the hardware models created on this memory, have
 * finished; host pointers the caller got for that region are the caller's
 * to stop using first.
 * Frame allocation and freeing are thread-safe.
 */
#ifndef SIOMMU_MEM_H
#define SIOMMU_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIOMMU_PAGE_SHIFT 12
#define SIOMMU_PAGE_SIZE (1ull << SIOMMU_PAGE_SHIFT)
#define SIOMMU_SZ_4K (1ull << 12)
#define SIOMMU_SZ_2M (1ull << 21)
#define SIOMMU_SZ_1G (1ull << 30)

struct siommu_mem;

/* Where the frame pool sits. A zero-sized pool is allowed (an embedder that
 * allocates everything in its own guest RAM). */
struct siommu_mem_cfg {
	uint64_t pool_base;	/* PA, 1G-aligned */
	uint64_t pool_size;	/* bytes, multiple of 1G; 0 = no pool */
	uint64_t fail_nth;	/* tests: siommu_mem_fail_nth(n) armed from the
				 * creation's first fallible step; 0 = none */
};

/* Defaults used when siommu_mem_create() gets cfg == NULL. */
#define SIOMMU_MEM_DEFAULT_POOL_BASE (4ull << 30)
#define SIOMMU_MEM_DEFAULT_POOL_SIZE (8ull << 30)

/* What a frame is used for; usage is accounted per purpose. */
enum siommu_mem_purpose {
	SIOMMU_MEM_PT,		/* I/O page-table pages */
	SIOMMU_MEM_HW,		/* hardware structures: root/context/PASID
				 * tables, stream tables, queues */
	SIOMMU_MEM_DMA,		/* DMA buffers */
	SIOMMU_MEM_OTHER,
	SIOMMU_MEM_NR_PURPOSES
};

struct siommu_mem_stats {
	uint64_t ram_bytes;		/* all RAM regions, pool included */
	uint64_t nr_regions;
	uint64_t pool_bytes;
	uint64_t pool_free_bytes;
	uint64_t in_use[SIOMMU_MEM_NR_PURPOSES];	/* bytes allocated */
	uint64_t allocs[SIOMMU_MEM_NR_PURPOSES];	/* successful frame allocs */
	uint64_t frees[SIOMMU_MEM_NR_PURPOSES];
};

/*
 * siommu_mem_create - create an empty physical address space with a frame
 * pool as @cfg says (NULL: the defaults above).
 * Returns 0, -EINVAL (misaligned pool), -ENOMEM; on failure nothing is
 * left allocated or mapped.
 * With cfg->fail_nth = n, the n-th fallible step counted from the creation's
 * first (the allocation of the address space itself aside) fails, and
 * later ones of the new memory's operations if creation does not reach it,
 * as if siommu_mem_fail_nth(mem, n) had been called first: a sweep of
 * creation (and of siommu_ctx_create() with a memory of its own) reads the
 * steps consumed with siommu_mem_fail_nth(mem, 0) once it succeeds.
 */
int siommu_mem_create(const struct siommu_mem_cfg *cfg, struct siommu_mem **out);

/*
 * siommu_mem_destroy - free the address space, its library RAM and its pool.
 * Registered host memory is left to its owner. Never fails. No other call on
 * @mem may be running.
 */
void siommu_mem_destroy(struct siommu_mem *mem);

/*
 * siommu_mem_add_ram - make [pa, pa + size) RAM.
 * @host: the embedder's mapping of it, or NULL to let the library allocate
 *        (zero-filled, committed lazily).
 * pa, size and host must be 4K-aligned; the range must not overlap another
 * region nor wrap past 2^64.
 * Returns 0, -EINVAL (alignment, zero size, wrap), -EEXIST (overlap),
 * -ENOMEM. On failure nothing changed.
 * May run concurrently with lookups and with other add/remove calls.
 */
int siommu_mem_add_ram(struct siommu_mem *mem, uint64_t pa, uint64_t size,
		       void *host);

/*
 * siommu_mem_remove_ram - remove the region that starts at @pa with @size.
 * Returns 0, -ENOENT (no such region), -EBUSY (it is the frame pool),
 * -ENOMEM (the new region table; nothing changed).
 * Waits for concurrent lookups that may have found the region and for the
 * translations in flight on the hardware models created on @mem (not from
 * a model's access callback, which would wait for itself). Other memories'
 * and models' readers are never waited for.
 */
int siommu_mem_remove_ram(struct siommu_mem *mem, uint64_t pa, uint64_t size);

/*
 * siommu_mem_host - host pointer for [pa, pa + len), or NULL if that range is
 * not entirely inside one RAM region (len 0 counts as 1).
 * The pointer stays valid until the region is removed.
 */
void *siommu_mem_host(struct siommu_mem *mem, uint64_t pa, uint64_t len);

/* Whether [pa, pa + len) lies inside one RAM region. */
bool siommu_mem_is_ram(struct siommu_mem *mem, uint64_t pa, uint64_t len);

/*
 * siommu_mem_read / siommu_mem_write - copy between a buffer and
 * [pa, pa + len). The range must lie inside one region: -EFAULT otherwise
 * (a hole, a region's end, or pa + len wrapping), and nothing is copied.
 * @len 0 copies nothing and returns 0, wherever @pa is. A range may end
 * at 2^64. Plain copies: not atomic with respect to concurrent writers.
 */
int siommu_mem_read(struct siommu_mem *mem, uint64_t pa, void *buf, size_t len);
int siommu_mem_write(struct siommu_mem *mem, uint64_t pa, const void *buf,
		     size_t len);

/*
 * 64-bit atomic accessors for table entries. @pa must be 8-byte aligned
 * (-EINVAL otherwise) and RAM (-EFAULT otherwise). Loads are acquire, stores
 * are release, the compare-exchange is sequentially consistent and, on
 * mismatch, writes the value it found to *expected and returns -EAGAIN.
 * Little-endian, as the table formats are.
 */
int siommu_mem_load64(struct siommu_mem *mem, uint64_t pa, uint64_t *val);
int siommu_mem_store64(struct siommu_mem *mem, uint64_t pa, uint64_t val);
int siommu_mem_cmpxchg64(struct siommu_mem *mem, uint64_t pa,
			 uint64_t *expected, uint64_t desired);

/*
 * siommu_mem_frame_alloc - allocate a zeroed, naturally aligned, physically
 * contiguous run of @size bytes (a power of two from 4K to 1G) from the
 * frame pool.
 * Returns 0 with *pa set, -EINVAL (other size, bad purpose), -ENOMEM (pool
 * exhausted or injected failure).
 */
int siommu_mem_frame_alloc(struct siommu_mem *mem, uint64_t size,
			   enum siommu_mem_purpose purpose, uint64_t *pa);

/*
 * siommu_mem_frame_free - give back a run from siommu_mem_frame_alloc() with
 * the same size and purpose. Never fails; a PA that was not allocated is a
 * caller bug and is ignored (and asserted on in debug builds).
 * The caller guarantees nobody reads the frame any more (for table pages: an
 * IOTLB flush and an RCU grace period, see siommu/pt.h).
 */
void siommu_mem_frame_free(struct siommu_mem *mem, uint64_t pa, uint64_t size,
			   enum siommu_mem_purpose purpose);

void siommu_mem_get_stats(struct siommu_mem *mem, struct siommu_mem_stats *st);

/*
 * Fault injection, for tests: make the @n-th fallible step from now (frame
 * allocations, internal allocations of the library) fail with -ENOMEM; n = 0
 * disarms. Returns how many steps were consumed since the last call, which a
 * fail-nth sweep uses to know when an operation ran out of steps to fail.
 * A run-time no-op unless armed; nothing differs in the shipped library.
 */
uint64_t siommu_mem_fail_nth(struct siommu_mem *mem, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_MEM_H */
