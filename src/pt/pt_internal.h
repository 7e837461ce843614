/* SPDX-License-Identifier: MIT */
/*
 * Internal view of an I/O page table.
 *
 * The generic walker (pt_generic.h) is compiled once per format: each format
 * file defines its codec as inline functions and then includes the walker,
 * which produces that format's struct pt_ops. The walker knows nothing of
 * bits; a codec knows nothing of walking.
 *
 * Levels are numbered from 0 (4K leaves) to top_level; level L translates
 * 12 + 9 * L bits and its entries span 2^(12 + 9 * L) bytes.
 */
#ifndef SIOMMU_PT_INTERNAL_H
#define SIOMMU_PT_INTERNAL_H

#include <siommu/pt.h>
#include "mem/mem_internal.h"

#define PT_MAX_LEVELS 5
#define PT_ENTRIES 512

struct siommu_pt;

struct pt_ops {
	/* Validate a prot for this format (0 or -EINVAL). */
	int (*prot_ok)(const struct siommu_pt *pt, unsigned int prot);
	/* Map [iova, last]; on failure *fail_at is the first address not
	 * mapped by this call (everything below it, from iova, was). */
	int (*map)(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		   uint64_t pa, unsigned int prot, uint64_t *fail_at);
	void (*unmap)(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		      struct siommu_pt_gather *gather, uint64_t *unmapped);
	/* Give the leaves of [iova, last] @prot, splitting large leaves at
	 * the ends first (0 or -ENOMEM, translations unchanged). */
	int (*protect)(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		       unsigned int prot, struct siommu_pt_gather *gather);
	/* Lock-free lookups; caller is inside an RCU read-side section.
	 * phys() gives only the output address, for the hot path. */
	int (*lookup)(struct siommu_pt *pt, uint64_t iova,
		      struct siommu_pt_leaf *leaf);
	int (*phys)(struct siommu_pt *pt, uint64_t iova, uint64_t *pa);
	int (*for_each)(struct siommu_pt *pt, uint64_t iova, uint64_t last,
			siommu_pt_run_fn fn, void *arg);
	int (*dirty)(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		     unsigned int flags, siommu_pt_dirty_fn fn, void *arg);
	/* Free every level below the root (not the root). */
	void (*free_levels)(struct siommu_pt *pt);
	bool has_dirty;
};

/*
 * One page table. Everything but table_pages is constant after create; the
 * table itself is shared lock-free (see siommu/pt.h for the rules).
 */
struct siommu_pt {
	struct siommu_mem *mem;
	const struct pt_ops *ops;
	struct siommu_pt_cfg cfg;
	uint64_t root_pa;
	uint64_t *root;
	unsigned int top_level;
	uint64_t max_iova;	/* last input address that can be mapped */
	uint64_t max_pa;	/* last output address */
	uint32_t leaf_levels;	/* bit L set: level L may hold leaves */
	uint64_t table_pages;	/* atomic */
	/* Software walkers (iova_to_phys, for_each, dirty, unmap's edge
	 * check) read levels in sections of this domain; a level freed by
	 * siommu_pt_gather_release() waits for them. */
	struct rcu_domain rcu;
	/* Called after a map that failed part-way took back what it wrote
	 * (pt_set_undo_hook()); NULL: none. */
	void (*undo)(void *arg, uint64_t iova, uint64_t last);
	void *undo_arg;
};

/*
 * pt_set_undo_hook - have a map of @pt that fails after writing leaves
 * call @fn(@arg, iova, last) once it has taken them back over [iova,
 * last], before it returns its error (the owner's cached copies of them
 * go there). Set before the table is used; never fails.
 */
static inline void pt_set_undo_hook(struct siommu_pt *pt,
				    void (*fn)(void *arg, uint64_t iova, uint64_t last),
				    void *arg)
{
	pt->undo = fn;
	pt->undo_arg = arg;
}

extern const struct pt_ops pt_x86_64_ops;
extern const struct pt_ops pt_vtd_ss_ops;
extern const struct pt_ops pt_arm_s1_ops;
extern const struct pt_ops pt_arm_s2_ops;

static inline_hot unsigned int pt_shift(unsigned int lvl)
{
	return 12 + 9 * lvl;
}

static inline_hot unsigned int pt_index(uint64_t iova, unsigned int lvl)
{
	return (iova >> pt_shift(lvl)) & (PT_ENTRIES - 1);
}

#endif
