/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 model's fill hook, for tests (internal; apart from
 * smmuv3_internal.h so that tests can use it next to their own names for
 * the formats' fields).
 *
 * NULL in normal use. Every fill of the three caches calls it first, after
 * the walk has read what it caches and before the fill takes its slot and
 * re-checks the invalidation generation: a test stalls a walk there to
 * hold open the window the generation check closes (a few nanoseconds
 * otherwise). It runs inside the walk's read-side section, so it must not
 * wait for a CMD_SYNC. It costs one load on the miss path.
 */
#ifndef SIOMMU_HW_SMMUV3_HOOK_H
#define SIOMMU_HW_SMMUV3_HOOK_H

struct siommu_smmuv3;

enum smmu_cache { SMMU_CACHE_STE, SMMU_CACHE_CD, SMMU_CACHE_TLB };
typedef void smmu_fill_hook_fn(void *opaque, enum smmu_cache cache);

/* Install @fn (NULL: none) as @s's fill hook; only while no transaction
 * is being translated on @s. */
void smmu_fill_hook_set(struct siommu_smmuv3 *s, smmu_fill_hook_fn *fn, void *opaque);

#endif
