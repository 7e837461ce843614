/* SPDX-License-Identifier: MIT */
/*
 * Arm VMSAv8-64 stage 2, 4K granule (Arm ARM D8.3.2, D8.5: S2AP, XN,
 * MemAttr; SMMUv3 STE.S2TTB). See fmt_arm.h for levels. The start level
 * follows from ias (S2SL0/S2T0SZ); concatenated start-level tables are not
 * used.
 *
 * Leaves: MemAttr 0xF (normal, write-back), inner shareable, AF set.
 * S2AP bit 6 grants read and bit 7 write, independently, so write-only pages
 * exist. Stage 2 has no privilege levels. Dirty tracking (STE.S2HD): writable
 * leaves get DBM with S2AP write clear; the hardware sets it on the first
 * write, so a leaf is dirty when DBM and S2AP write are both set.
 */
#include "pt/fmt_arm.h"

#define S2_MEMATTR_NORMAL	(0xfull << 2)
#define S2_AP_R			(1ull << 6)
#define S2_AP_W			(1ull << 7)
#define S2_XN			(1ull << 54)

static inline_hot uint64_t fmt_leaf_bits(const struct siommu_pt *pt,
					    unsigned int lvl, unsigned int prot)
{
	uint64_t b = arm_leaf_common(lvl) | S2_MEMATTR_NORMAL;

	if (prot & SIOMMU_PROT_READ)
		b |= S2_AP_R;
	if (prot & SIOMMU_PROT_WRITE)
		b |= arm_tracking(pt) ? ARM_DBM : S2_AP_W;
	if (!(prot & SIOMMU_PROT_EXEC))
		b |= S2_XN;
	return b;
}

static inline_hot unsigned int fmt_leaf_prot(const struct siommu_pt *pt,
						uint64_t pte)
{
	unsigned int p = 0;

	if (pte & S2_AP_R)
		p |= SIOMMU_PROT_READ;
	if (pte & (S2_AP_W | ARM_DBM))
		p |= SIOMMU_PROT_WRITE;
	if (!(pte & S2_XN))
		p |= SIOMMU_PROT_EXEC;
	return p;
}

static int fmt_prot_ok(const struct siommu_pt *pt, unsigned int prot)
{
	return prot & SIOMMU_PROT_PRIV ? -EINVAL : 0;
}

static inline_hot bool fmt_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return (pte & (ARM_DBM | S2_AP_W)) == (ARM_DBM | S2_AP_W);
}

static inline_hot uint64_t fmt_clean(const struct siommu_pt *pt, uint64_t pte)
{
	return pte & ~S2_AP_W;
}

static inline_hot uint64_t fmt_mark_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return pte & ARM_DBM ? pte | S2_AP_W : pte;
}

#define PT_OPS_NAME pt_arm_s2_ops
#include "pt/pt_generic.h"
