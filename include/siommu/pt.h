/* SPDX-License-Identifier: MIT */
/*
 * siommu/pt.h - I/O page tables.
 *
 * Concepts
 * --------
 * A struct siommu_pt is one I/O page table in one of the real formats, built
 * as real bytes in a simulated physical memory (siommu/mem.h) so that a
 * hardware model can walk it. siommu_pt_root() gives the physical address to
 * program into a PASID entry, a context descriptor or a TTBR.
 *
 * Formats (4K granule; levels counted from 0 = the 4K leaf level):
 *   X86_64   x86-64 paging, 4-level (ias 48) or 5-level (ias 57): the VT-d
 *            first stage and the CPU format SVA shares. Only the lower
 *            canonical half is mapped: IOVAs below 2^(ias-1).
 *   VTD_SS   VT-d second stage, 3/4/5 levels (ias 39, 48, 57).
 *   ARM_S1   Arm VMSAv8-64 stage 1 (LPAE), ias 32..48.
 *   ARM_S2   Arm VMSAv8-64 stage 2, ias 32..48, no concatenated start level.
 * Leaves are 4K, 2M and 1G pages; map uses the largest size that fits the
 * alignment of iova and pa, the length, and the sizes the table allows.
 *
 * Intervals: the API takes (iova, length); internally `last` is inclusive,
 * so a mapping may end at the top of the address width.
 *
 * Concurrency
 * -----------
 * map, unmap, protect and read_and_clear_dirty may run concurrently from any
 * number of threads as long as their ranges do not overlap (the caller, e.g. an IOVA
 * allocator, guarantees that). New table levels are installed with
 * compare-and-swap. iova_to_phys and the for_each iterator are lock-free
 * readers and may run concurrently with everything except destroy: they
 * return a mapping that existed at some moment during the call.
 *
 * Table levels are freed only when an unmap covers the whole range a level
 * translates (as Linux does): a level emptied piecemeal is kept, because a
 * concurrent map of a neighbouring range may be about to use it. Freed levels
 * are unlinked at once but go to the caller's gather; the caller flushes the
 * IOTLB for the gathered range and then calls siommu_pt_gather_release(),
 * which waits for the table's lock-free readers (iova_to_phys, for_each,
 * read_and_clear_dirty) that may still be in a freed level, and for no one
 * else, before giving the pages back. Hardware walks are the flush's to wait
 * for: an invalidation wait completes after the walks in flight.
 */
#ifndef SIOMMU_PT_H
#define SIOMMU_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

enum siommu_pt_format {
	SIOMMU_PT_X86_64,
	SIOMMU_PT_VTD_SS,
	SIOMMU_PT_ARM_S1,
	SIOMMU_PT_ARM_S2,
	SIOMMU_PT_NR_FORMATS
};

/* Access permissions of a mapping (and of a DMA request). */
#define SIOMMU_PROT_READ	(1u << 0)
#define SIOMMU_PROT_WRITE	(1u << 1)
#define SIOMMU_PROT_EXEC	(1u << 2)
#define SIOMMU_PROT_PRIV	(1u << 3)	/* supervisor/privileged only */

/* Page sizes, as a bitmap of sizes. */
#define SIOMMU_PGSIZE_4K SIOMMU_SZ_4K
#define SIOMMU_PGSIZE_2M SIOMMU_SZ_2M
#define SIOMMU_PGSIZE_1G SIOMMU_SZ_1G
#define SIOMMU_PGSIZE_ALL (SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M | SIOMMU_PGSIZE_1G)

/* cfg.flags */
#define SIOMMU_PT_DIRTY_TRACKING (1u << 0)	/* Arm: writable leaves get DBM */

struct siommu_pt_cfg {
	enum siommu_pt_format format;
	unsigned int ias;	/* input address bits; 0 = format default (48) */
	unsigned int oas;	/* output address bits; 0 = 52 (x86, VT-d) / 48 (Arm) */
	uint64_t pgsize_bitmap;	/* leaf sizes allowed; 0 = SIOMMU_PGSIZE_ALL */
	unsigned int flags;
};

/* Description of one leaf, from siommu_pt_iova_to_phys(). */
struct siommu_pt_leaf {
	uint64_t iova;		/* start of the leaf (aligned to size) */
	uint64_t pa;		/* start of the leaf's output */
	uint64_t size;		/* 4K, 2M or 1G */
	unsigned int prot;	/* SIOMMU_PROT_* */
	bool dirty;		/* where the format tracks it */
};

/*
 * What an unmap leaves for the caller to flush and free. Initialise with
 * siommu_pt_gather_init(); may accumulate several unmaps of one table.
 */
struct siommu_pt_gather {
	uint64_t start, last;	/* inclusive range to flush; start > last: none */
	uint32_t pages_head;	/* freed table levels (opaque) */
	uint32_t nr_pages;
	struct siommu_pt *pt;
	bool leaf_only;		/* no table level was freed: walk caches may stay */
};

struct siommu_pt;

/*
 * siommu_pt_create - create an empty table in @mem (the root level is
 * allocated at once, so siommu_pt_root() is valid from the start).
 * Returns 0, -EINVAL (format, ias/oas out of the format's range, page sizes
 * the format cannot hold), -ENOMEM.
 */
int siommu_pt_create(struct siommu_mem *mem, const struct siommu_pt_cfg *cfg,
		     struct siommu_pt **out);

/*
 * siommu_pt_destroy - free every level. Never fails. The caller has stopped
 * all DMA through the table and flushed the IOTLB (its invalidation wait
 * has waited out hardware walks); no call on @pt may be running.
 */
void siommu_pt_destroy(struct siommu_pt *pt);

/* PA of the root table, and the number of levels (4 for x86-64 4-level). */
uint64_t siommu_pt_root(const struct siommu_pt *pt);
unsigned int siommu_pt_levels(const struct siommu_pt *pt);
void siommu_pt_get_cfg(const struct siommu_pt *pt, struct siommu_pt_cfg *cfg);
/* Number of table pages the table holds now (root included). */
uint64_t siommu_pt_table_pages(const struct siommu_pt *pt);

/*
 * siommu_pt_map - map [iova, iova + length) to [pa, pa + length) with @prot.
 * Errors, each leaving the table as it was:
 *   -EINVAL     iova, pa or length not 4K-aligned, length 0, prot without
 *               READ or WRITE, or a prot the format cannot express
 *   -EOVERFLOW  iova + length or pa + length wraps past 2^64
 *   -ERANGE     beyond the input or output address width
 *   -EEXIST     some page in the range is already mapped
 *   -ENOMEM     a table level could not be allocated
 * Formats without write-only pages (x86-64, Arm stage 1) map WRITE as
 * read-write. Levels allocated for a failed map may stay (empty).
 */
int siommu_pt_map(struct siommu_pt *pt, uint64_t iova, uint64_t pa,
		  uint64_t length, unsigned int prot);

/*
 * siommu_pt_unmap - remove every leaf inside [iova, iova + length); holes are
 * skipped. *unmapped (optional) gets the bytes unmapped. Levels whose whole
 * range is covered are unlinked into @gather (required when such levels may
 * exist; may be NULL only if the caller knows none can be freed, in which
 * case they are kept).
 * Errors, each leaving the table as it was:
 *   -EINVAL     unaligned or zero length, or the range cuts a 2M/1G leaf
 *   -EOVERFLOW, -ERANGE as for map
 * Never allocates.
 */
int siommu_pt_unmap(struct siommu_pt *pt, uint64_t iova, uint64_t length,
		    struct siommu_pt_gather *gather, uint64_t *unmapped);

/*
 * siommu_pt_protect - give every leaf inside [iova, iova + length) @prot, in
 * place; holes are skipped. Each leaf changes with one compare-and-swap: a
 * concurrent walker (hardware or iova_to_phys) finds the old permissions or
 * the new ones, never the page absent, and a hardware A/D update racing
 * with it is kept. A leaf that stays writable keeps its dirty state; one
 * made read-only loses it (read it first with read_and_clear_dirty when it
 * matters). A 2M/1G leaf that the range cuts is first split into a table
 * of smaller leaves with the same translation (the next size the table
 * allows), published as one entry; leaves the range covers whole stay
 * whole.
 * @gather (required) gets the range to flush: the protected range, widened
 * to every leaf split, and leaf_only cleared when a split replaced a leaf
 * by a table. Nothing is freed, so no grace period is needed; the caller
 * flushes the IOTLB for the range before it relies on the change: a
 * downgrade is not complete until then, and an upgrade may meet the old
 * entry cached until then.
 * Errors:
 *   -EINVAL     unaligned or zero length, NULL gather, or a prot map refuses
 *   -EOVERFLOW, -ERANGE as for map
 *   -ENOMEM     a split could not allocate its table. No permission changed;
 *               splits made before it stay (same translations), and the
 *               gather covers them.
 * May run concurrently with map, unmap, protect and dirty reads of other
 * ranges, and with readers.
 */
int siommu_pt_protect(struct siommu_pt *pt, uint64_t iova, uint64_t length,
		      unsigned int prot, struct siommu_pt_gather *gather);

void siommu_pt_gather_init(struct siommu_pt_gather *gather);
/*
 * siommu_pt_gather_release - after the caller's IOTLB flush of the gathered
 * range: if any level was unlinked, wait until the table's lock-free readers
 * that began before the call have returned, free those levels and reset
 * @gather. Never fails. Not from inside a call on the same table (a
 * for_each or dirty callback), which would wait for itself.
 */
void siommu_pt_gather_release(struct siommu_pt_gather *gather);

/*
 * siommu_pt_iova_to_phys - translate one address. Returns 0 with *pa (and
 * *leaf if not NULL) set, -ENOENT if nothing is mapped there, -ERANGE if
 * beyond the input width. Lock-free.
 */
int siommu_pt_iova_to_phys(struct siommu_pt *pt, uint64_t iova, uint64_t *pa,
			   struct siommu_pt_leaf *leaf);

/*
 * siommu_pt_read_and_clear_dirty - call @fn for each run of dirty leaves in
 * [iova, iova + length) (merged when contiguous) and clear their dirty state,
 * unless SIOMMU_PT_DIRTY_NO_CLEAR. Clearing is a compare-and-swap, so a
 * hardware update racing with it is never lost. The caller flushes the IOTLB
 * afterwards so that the hardware marks the pages dirty again.
 * Returns 0, -EOPNOTSUPP (format or table without dirty tracking), or the
 * errors of unmap for the range. @fn runs inside an RCU read-side section:
 * it must not wait for a grace period (gather_release, pt_destroy).
 * May run concurrently with map/unmap of other ranges and with readers.
 */
#define SIOMMU_PT_DIRTY_NO_CLEAR (1u << 0)
typedef void (*siommu_pt_dirty_fn)(void *arg, uint64_t iova, uint64_t length);
int siommu_pt_read_and_clear_dirty(struct siommu_pt *pt, uint64_t iova,
				   uint64_t length, unsigned int flags,
				   siommu_pt_dirty_fn fn, void *arg);

/*
 * siommu_pt_for_each - call @fn for each mapped run in [iova, iova + length),
 * in IOVA order. Leaves that continue each other in IOVA and PA with the same
 * permissions are merged into one run. @fn returning non-zero stops the walk
 * and that value is returned. Lock-free, like iova_to_phys; @fn runs inside
 * an RCU read-side section and must not wait for a grace period.
 */
struct siommu_pt_run {
	uint64_t iova;
	uint64_t pa;
	uint64_t length;
	unsigned int prot;
	uint64_t pgsize;	/* the largest leaf size in the run */
};
typedef int (*siommu_pt_run_fn)(void *arg, const struct siommu_pt_run *run);
int siommu_pt_for_each(struct siommu_pt *pt, uint64_t iova, uint64_t length,
		       siommu_pt_run_fn fn, void *arg);

const char *siommu_pt_format_name(enum siommu_pt_format format);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_PT_H */
