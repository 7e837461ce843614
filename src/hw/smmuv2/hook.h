/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv2 model's fill hook, for tests (internal; apart from
 * smmuv2_internal.h so that tests can include it next to their own names
 * for the formats' fields).
 *
 * NULL in normal use. Every fill of the TLB and of the combined cache
 * calls it first, after the translation has read what it caches and
 * before the fill takes its slot and re-checks the generation: a test
 * stalls a translation there to hold open the window the generation check
 * closes (a few nanoseconds otherwise). It runs inside the translation's
 * read-side section, so it must not wait for a TLBSYNC. It costs one load
 * on the miss path.
 */
#ifndef SIOMMU_HW_SMMUV2_HOOK_H
#define SIOMMU_HW_SMMUV2_HOOK_H

#include <stdint.h>

struct siommu_smmuv2;

enum v2_cache { V2_CACHE_TLB, V2_CACHE_XC };
typedef void v2_fill_hook_fn(void *opaque, enum v2_cache cache);

/* Install @fn (NULL: none) as @s's fill hook; only while no transaction
 * is being translated on @s. */
void v2_fill_hook_set(struct siommu_smmuv2 *s, v2_fill_hook_fn *fn, void *opaque);

/* Set @s's generation to @gen, as if that many operations had run (tests
 * of its wrap); only while nothing runs on @s. */
void v2_gen_set(struct siommu_smmuv2 *s, uint64_t gen);

#endif
