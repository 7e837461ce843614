/* SPDX-License-Identifier: MIT */
/*
 * Arm VMSAv8-64 translation table descriptors, 4K granule (Arm ARM D8.3;
 * SMMUv3 uses the same format for stage 1 and stage 2). Shared by the stage 1
 * and stage 2 codecs. Levels here count up from the page level: 0 is Arm's
 * level 3 (pages), 1 is level 2 (2M blocks), 2 is level 1 (1G blocks), 3 is
 * level 0 (tables only).
 *
 * Descriptor type, bits 1:0: 0b11 is a table above level 0 and a page at
 * level 0; 0b01 is a block (levels 1 and 2); 0b?0 is invalid.
 */
#ifndef SIOMMU_PT_FMT_ARM_H
#define SIOMMU_PT_FMT_ARM_H

#include <errno.h>

#include "pt/pt_internal.h"

#define ARM_VALID	(1ull << 0)
#define ARM_TYPE_MASK	3ull
#define ARM_TYPE_TABLE	3ull	/* and page, at level 0 */
#define ARM_TYPE_BLOCK	1ull
#define ARM_SH_IS	(3ull << 8)
#define ARM_AF		(1ull << 10)
#define ARM_DBM		(1ull << 51)
#define ARM_ADDR	0x0000fffffffff000ull	/* bits 47:12 */

static inline_hot bool fmt_present(uint64_t pte)
{
	return pte & ARM_VALID;
}

static inline_hot bool fmt_is_table(uint64_t pte, unsigned int lvl)
{
	return (pte & ARM_TYPE_MASK) == ARM_TYPE_TABLE;
}

static inline_hot uint64_t fmt_oa(uint64_t pte, unsigned int lvl)
{
	return pte & ARM_ADDR & ~((1ull << pt_shift(lvl)) - 1);
}

static inline_hot uint64_t fmt_table_pte(const struct siommu_pt *pt, uint64_t pa)
{
	return pa | ARM_TYPE_TABLE;
}

static inline_hot uint64_t arm_leaf_common(unsigned int lvl)
{
	return (lvl ? ARM_TYPE_BLOCK : ARM_TYPE_TABLE) | ARM_AF | ARM_SH_IS;
}

static inline_hot bool arm_tracking(const struct siommu_pt *pt)
{
	return pt->cfg.flags & SIOMMU_PT_DIRTY_TRACKING;
}

#define FMT_HAS_DIRTY 1

#endif
