/* SPDX-License-Identifier: MIT */
/*
 * Arm VMSAv8-64 stage 1, 4K granule (Arm ARM D8.3.1 and D8.4: AP[2:1],
 * UXN/PXN, AF, nG, AttrIndx; SMMUv3 CD.TTB0). See fmt_arm.h for levels.
 *
 * Leaves: AttrIndx 1 (normal cacheable memory in the MAIR the driver
 * programs), inner shareable, AF set, nG so that entries are tagged by ASID.
 * AP[1] (bit 6) grants unprivileged access unless PRIV; AP[2] (bit 7) makes
 * the page read-only. There are no write-only pages: WRITE maps read-write.
 * Dirty tracking (hardware DBM, CD.HD): writable leaves get DBM with AP[2]
 * set ("writable-clean"); the hardware clears AP[2] on the first write, so a
 * leaf is dirty when DBM is set and AP[2] is clear.
 */
#include "pt/fmt_arm.h"

#define S1_ATTRIDX_NORMAL	(1ull << 2)
#define S1_AP_EL0		(1ull << 6)
#define S1_AP_RDONLY		(1ull << 7)
#define S1_NG			(1ull << 11)
#define S1_PXN			(1ull << 53)
#define S1_UXN			(1ull << 54)

static inline_hot uint64_t fmt_leaf_bits(const struct siommu_pt *pt,
					    unsigned int lvl, unsigned int prot)
{
	uint64_t b = arm_leaf_common(lvl) | S1_ATTRIDX_NORMAL | S1_NG;

	if (!(prot & SIOMMU_PROT_PRIV))
		b |= S1_AP_EL0;
	if (!(prot & SIOMMU_PROT_WRITE))
		b |= S1_AP_RDONLY;
	else if (arm_tracking(pt))
		b |= ARM_DBM | S1_AP_RDONLY;
	if (!(prot & SIOMMU_PROT_EXEC))
		b |= S1_UXN | S1_PXN;
	return b;
}

static inline_hot unsigned int fmt_leaf_prot(const struct siommu_pt *pt,
						uint64_t pte)
{
	unsigned int p = SIOMMU_PROT_READ;

	if (!(pte & S1_AP_RDONLY) || (pte & ARM_DBM))
		p |= SIOMMU_PROT_WRITE;
	if (!(pte & (S1_UXN | S1_PXN)))
		p |= SIOMMU_PROT_EXEC;
	if (!(pte & S1_AP_EL0))
		p |= SIOMMU_PROT_PRIV;
	return p;
}

static int fmt_prot_ok(const struct siommu_pt *pt, unsigned int prot)
{
	return 0;
}

static inline_hot bool fmt_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return (pte & (ARM_DBM | S1_AP_RDONLY)) == ARM_DBM;
}

static inline_hot uint64_t fmt_clean(const struct siommu_pt *pt, uint64_t pte)
{
	return pte | S1_AP_RDONLY;
}

/* Only a DBM leaf is writable-clean; without DBM a writable leaf has
 * AP[2] clear already. */
static inline_hot uint64_t fmt_mark_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return pte & ARM_DBM ? pte & ~S1_AP_RDONLY : pte;
}

#define PT_OPS_NAME pt_arm_s1_ops
#include "pt/pt_generic.h"
