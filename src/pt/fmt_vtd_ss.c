/* SPDX-License-Identifier: MIT */
/*
 * VT-d second-stage paging (VT-d 3.x section 9.8, "second-stage paging
 * entries"). Levels: 4 SS-PML5E, 3 SS-PML4E, 2 SS-PDPTE (1G leaf with PS),
 * 1 SS-PDE (2M leaf with PS), 0 SS-PTE; 3, 4 or 5 levels for a 39, 48 or
 * 57-bit input (PASID entry AW = levels - 2).
 *
 * There is no present bit: an entry is present when R or W is set, so
 * write-only leaves exist. Permissions are ANDed over the walk, hence tables
 * are installed R|W. X (bit 2) is only meaningful with SSEE; it is set on a
 * leaf only when EXEC is asked for. A (bit 8) and D (bit 9) matter with SSADE;
 * leaves get A, and D when writable unless dirty tracking is on.
 */
#include <errno.h>

#include "pt/pt_internal.h"

#define SS_R		(1ull << 0)
#define SS_W		(1ull << 1)
#define SS_X		(1ull << 2)
#define SS_PS		(1ull << 7)
#define SS_A		(1ull << 8)
#define SS_D		(1ull << 9)
#define SS_ADDR		0x000ffffffffff000ull	/* bits 51:12 */

static inline_hot bool fmt_present(uint64_t pte)
{
	return pte & (SS_R | SS_W);
}

static inline_hot bool fmt_is_table(uint64_t pte, unsigned int lvl)
{
	return !(pte & SS_PS);
}

static inline_hot uint64_t fmt_oa(uint64_t pte, unsigned int lvl)
{
	return pte & SS_ADDR & ~((1ull << pt_shift(lvl)) - 1);
}

static inline_hot uint64_t fmt_table_pte(const struct siommu_pt *pt, uint64_t pa)
{
	return pa | SS_R | SS_W;
}

static inline_hot uint64_t fmt_leaf_bits(const struct siommu_pt *pt,
					    unsigned int lvl, unsigned int prot)
{
	uint64_t b = SS_A;

	if (prot & SIOMMU_PROT_READ)
		b |= SS_R;
	if (prot & SIOMMU_PROT_WRITE) {
		b |= SS_W;
		if (!(pt->cfg.flags & SIOMMU_PT_DIRTY_TRACKING))
			b |= SS_D;
	}
	if (prot & SIOMMU_PROT_EXEC)
		b |= SS_X;
	if (lvl)
		b |= SS_PS;
	return b;
}

static inline_hot unsigned int fmt_leaf_prot(const struct siommu_pt *pt,
						uint64_t pte)
{
	unsigned int p = 0;

	if (pte & SS_R)
		p |= SIOMMU_PROT_READ;
	if (pte & SS_W)
		p |= SIOMMU_PROT_WRITE;
	if (pte & SS_X)
		p |= SIOMMU_PROT_EXEC;
	return p;
}

static int fmt_prot_ok(const struct siommu_pt *pt, unsigned int prot)
{
	/* A second stage has no notion of privilege. */
	return prot & SIOMMU_PROT_PRIV ? -EINVAL : 0;
}

#define FMT_HAS_DIRTY 1

static inline_hot bool fmt_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return (pte & (SS_W | SS_D)) == (SS_W | SS_D);
}

static inline_hot uint64_t fmt_clean(const struct siommu_pt *pt, uint64_t pte)
{
	return pte & ~SS_D;
}

static inline_hot uint64_t fmt_mark_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return pte | SS_D;
}

#define PT_OPS_NAME pt_vtd_ss_ops
#include "pt/pt_generic.h"
