/* SPDX-License-Identifier: MIT */
/*
 * x86-64 paging, 4- and 5-level (Intel SDM vol. 3 ch. 4.5; VT-d 3.x
 * section 3.6 "first-stage translation", which reuses it). Levels:
 * 4 PML5E (5-level only), 3 PML4E, 2 PDPTE (1G leaf with PS), 1 PDE (2M
 * leaf with PS), 0 PTE. The same format backs SVA, which shares CPU tables.
 *
 * Tables are installed P|RW|US|A so that permissions are decided at the leaf
 * and hardware never has to set A in a table entry. Leaves are installed
 * with A set, and D set when writable unless the table tracks dirty pages
 * (then hardware sets D on the first write).
 */
#include <errno.h>

#include "pt/pt_internal.h"

#define X86_P		(1ull << 0)
#define X86_RW		(1ull << 1)
#define X86_US		(1ull << 2)
#define X86_A		(1ull << 5)
#define X86_D		(1ull << 6)
#define X86_PS		(1ull << 7)
#define X86_XD		(1ull << 63)
#define X86_ADDR	0x000ffffffffff000ull	/* bits 51:12 */

static inline_hot bool fmt_present(uint64_t pte)
{
	return pte & X86_P;
}

static inline_hot bool fmt_is_table(uint64_t pte, unsigned int lvl)
{
	return !(pte & X86_PS);
}

static inline_hot uint64_t fmt_oa(uint64_t pte, unsigned int lvl)
{
	/* In 2M/1G leaves bit 12 is PAT: mask to the leaf's alignment. */
	return pte & X86_ADDR & ~((1ull << pt_shift(lvl)) - 1);
}

static inline_hot uint64_t fmt_table_pte(const struct siommu_pt *pt, uint64_t pa)
{
	return pa | X86_P | X86_RW | X86_US | X86_A;
}

static inline_hot uint64_t fmt_leaf_bits(const struct siommu_pt *pt,
					    unsigned int lvl, unsigned int prot)
{
	uint64_t b = X86_P | X86_A;

	if (prot & SIOMMU_PROT_WRITE) {
		b |= X86_RW;
		if (!(pt->cfg.flags & SIOMMU_PT_DIRTY_TRACKING))
			b |= X86_D;
	}
	if (!(prot & SIOMMU_PROT_PRIV))
		b |= X86_US;
	if (!(prot & SIOMMU_PROT_EXEC))
		b |= X86_XD;
	if (lvl)
		b |= X86_PS;
	return b;
}

static inline_hot unsigned int fmt_leaf_prot(const struct siommu_pt *pt,
						uint64_t pte)
{
	unsigned int p = SIOMMU_PROT_READ;

	if (pte & X86_RW)
		p |= SIOMMU_PROT_WRITE;
	if (!(pte & X86_XD))
		p |= SIOMMU_PROT_EXEC;
	if (!(pte & X86_US))
		p |= SIOMMU_PROT_PRIV;
	return p;
}

static int fmt_prot_ok(const struct siommu_pt *pt, unsigned int prot)
{
	return 0;	/* WRITE alone is mapped read-write: no write-only pages */
}

#define FMT_HAS_DIRTY 1

static inline_hot bool fmt_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return (pte & (X86_RW | X86_D)) == (X86_RW | X86_D);
}

static inline_hot uint64_t fmt_clean(const struct siommu_pt *pt, uint64_t pte)
{
	return pte & ~X86_D;
}

static inline_hot uint64_t fmt_mark_dirty(const struct siommu_pt *pt, uint64_t pte)
{
	return pte | X86_D;
}

#define PT_OPS_NAME pt_x86_64_ops
#include "pt/pt_generic.h"
