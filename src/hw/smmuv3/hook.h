/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 model's fill hook, for tests (internal; apart from
 * smmuv3_internal.h so that tests can use it next to their own names for
 * the formats' fields).
 *
 * NULL in normal use. Every fill of the four caches calls it first, after
 * the walk has read what it caches and before the fill takes its slot and
 * re-checks the invalidation generation: a test stalls a walk there to
 * hold open the window the generation check closes (a few nanoseconds
 * otherwise). It runs inside the walk's read-side section, so it must not
 * wait for a CMD_SYNC. It costs one load on the miss path.
 */
#ifndef SIOMMU_HW_SMMUV3_HOOK_H
#define SIOMMU_HW_SMMUV3_HOOK_H

#include <stdint.h>

struct siommu_smmuv3;

/* SMMU_CACHE_XC: the combined cache, filled from a hit of the other three. */
enum smmu_cache { SMMU_CACHE_STE, SMMU_CACHE_CD, SMMU_CACHE_TLB, SMMU_CACHE_XC };
typedef void smmu_fill_hook_fn(void *opaque, enum smmu_cache cache);

/* Install @fn (NULL: none) as @s's fill hook; only while no transaction
 * is being translated on @s. */
void smmu_fill_hook_set(struct siommu_smmuv3 *s, smmu_fill_hook_fn *fn, void *opaque);

/* Set @s's invalidation generation to @gen, as if that many invalidations
 * had run (tests of its wrap); only while nothing runs on @s. */
void smmu_gen_set(struct siommu_smmuv3 *s, uint64_t gen);

#endif
