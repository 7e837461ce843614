/* SPDX-License-Identifier: MIT */
/*
 * Builders for VT-d scalable-mode structures (siommu/vtd_build.h), written
 * from the formats of VT-d 9.2 (root), 9.4 (context), 9.5 (PASID directory),
 * 9.6 (PASID table), 9.7 (first stage) and 9.8 (second stage).
 */
#include <errno.h>
#include <siommu/vtd_build.h>

#include "hw/vtd/vtd_internal.h"

#define ADDR_MASK	GENMASK64(63, 12)
#define PTE_ADDR	GENMASK64(51, 12)

int SIOMMU_EXPORT siommu_vtd_build_table_alloc(struct siommu_mem *mem, uint64_t *pa)
{
	return siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, pa);
}

/* Root entry word for @rid's half; allocates the context table. */
static int ctx_table(struct siommu_mem *mem, uint64_t root, uint16_t rid,
		     bool alloc, uint64_t *table)
{
	uint64_t rpa = root + (rid >> 8) * 16ull + ((rid & 0x80) ? 8 : 0), re;
	int ret = siommu_mem_load64(mem, rpa, &re);

	if (ret)
		return ret;
	if (re & SM_ROOT_LP) {
		*table = re & ADDR_MASK;
		return 0;
	}
	if (!alloc)
		return -ENOENT;
	ret = siommu_vtd_build_table_alloc(mem, table);
	if (ret)
		return ret;
	return siommu_mem_store64(mem, rpa, *table | SM_ROOT_LP);
}

int SIOMMU_EXPORT siommu_vtd_build_context(struct siommu_mem *mem, uint64_t root,
					   uint16_t rid,
					   const struct siommu_vtd_ctx_desc *d,
					   uint64_t *pasid_dir)
{
	uint64_t table, dir, cpa, q0, q1;
	int ret;

	if (!d || d->pdts > 7 || d->rid_pasid > 0xfffff || (d->pasid_dir & 0xfff))
		return -EINVAL;
	dir = d->pasid_dir;
	ret = ctx_table(mem, root, rid, true, &table);
	if (ret)
		return ret;
	cpa = table + (rid & 0x7f) * 32ull;
	if (!dir) {
		ret = siommu_mem_load64(mem, cpa, &q0);
		if (ret)
			return ret;
		if ((q0 & SM_CTX_P) && SM_CTX_PDTS(q0) >= d->pdts)
			dir = q0 & ADDR_MASK;
	}
	if (!dir) {
		/* 2^(pdts + 7) entries of 8 bytes: up to 128K. */
		uint64_t bytes = 8ull << (d->pdts + 7);

		ret = siommu_mem_frame_alloc(mem, bytes <= SIOMMU_SZ_4K ?
					     SIOMMU_SZ_4K : SIOMMU_SZ_2M,
					     SIOMMU_MEM_HW, &dir);
		if (ret)
			return ret;
	}
	q0 = SM_CTX_P | (d->fpd ? SM_CTX_FPD : 0) | (d->dte ? SM_CTX_DTE : 0) |
	     (d->paside ? SM_CTX_PASIDE : 0) | (d->pre ? SM_CTX_PRE : 0) |
	     ((uint64_t)d->pdts << 9) | dir;
	q1 = d->rid_pasid | (d->rid_priv ? SM_CTX_RIDPRIV : 0);
	ret = siommu_mem_store64(mem, cpa + 24, 0);
	ret = ret ? ret : siommu_mem_store64(mem, cpa + 16, 0);
	ret = ret ? ret : siommu_mem_store64(mem, cpa + 8, q1);
	ret = ret ? ret : siommu_mem_store64(mem, cpa, q0);
	if (!ret && pasid_dir)
		*pasid_dir = dir;
	return ret;
}

/* PA of @pasid's PASID table entry; allocates the PASID table. */
static int pasid_entry(struct siommu_mem *mem, uint64_t root, uint16_t rid,
		       uint32_t pasid, bool alloc, uint64_t *pa)
{
	uint64_t table, c0, dpa, de, pt;
	int ret;

	if (pasid > 0xfffff)
		return -EINVAL;
	ret = ctx_table(mem, root, rid, false, &table);
	if (ret)
		return ret;
	ret = siommu_mem_load64(mem, table + (rid & 0x7f) * 32ull, &c0);
	if (ret)
		return ret;
	if (!(c0 & SM_CTX_P))
		return -ENOENT;
	if (pasid >> (SM_CTX_PDTS(c0) + 7 + 6))
		return -ERANGE;
	dpa = (c0 & ADDR_MASK) + (pasid >> 6) * 8ull;
	ret = siommu_mem_load64(mem, dpa, &de);
	if (ret)
		return ret;
	if (!(de & PDIR_P)) {
		if (!alloc)
			return -ENOENT;
		ret = siommu_vtd_build_table_alloc(mem, &pt);
		if (ret)
			return ret;
		de = pt | PDIR_P;
		ret = siommu_mem_store64(mem, dpa, de);
		if (ret)
			return ret;
	}
	*pa = (de & ADDR_MASK) + (pasid & 0x3f) * 64ull;
	return 0;
}

int SIOMMU_EXPORT siommu_vtd_build_pasid(struct siommu_mem *mem, uint64_t root,
					 uint16_t rid, uint32_t pasid,
					 const struct siommu_vtd_pasid_desc *d)
{
	uint64_t pa, q[8] = { 0 };
	unsigned int aw = 0, i;
	int ret;

	if (!d || d->pgtt < SIOMMU_VTD_PGTT_FS || d->pgtt > SIOMMU_VTD_PGTT_PT)
		return -EINVAL;
	if (d->pgtt != SIOMMU_VTD_PGTT_PT && d->pgtt != SIOMMU_VTD_PGTT_SS &&
	    d->fs_levels != 4 && d->fs_levels != 5)
		return -EINVAL;
	if (d->pgtt == SIOMMU_VTD_PGTT_SS || d->pgtt == SIOMMU_VTD_PGTT_NEST) {
		if (d->ss_levels < 3 || d->ss_levels > 5)
			return -EINVAL;
		aw = d->ss_levels - 2;
	}
	ret = pasid_entry(mem, root, rid, pasid, true, &pa);
	if (ret)
		return ret;
	q[0] = PTE0_P | (d->fpd ? PTE0_FPD : 0) | ((uint64_t)aw << 2) |
	       (d->ssee ? PTE0_SSEE : 0) | ((uint64_t)d->pgtt << 6) |
	       (d->ssade ? PTE0_SSADE : 0) | (d->ss_root & ADDR_MASK);
	q[1] = d->did;
	q[2] = (d->sre ? PTE2_SRE : 0) | (d->ere ? PTE2_ERE : 0) |
	       ((d->fs_levels == 5 ? 1ull : 0) << 2) | (d->wpe ? PTE2_WPE : 0) |
	       (d->smep ? PTE2_SMEP : 0) | (d->fs_root & ADDR_MASK);
	/* siommu_vtd_build_map() writes XD on first-stage pages without
	 * execute, which NXE makes valid (VT-d 9.6). */
	if (d->pgtt == SIOMMU_VTD_PGTT_FS || d->pgtt == SIOMMU_VTD_PGTT_NEST)
		q[2] |= PTE2_NXE;
	for (i = 8; i-- > 0;) {
		ret = siommu_mem_store64(mem, pa + 8 * i, q[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int SIOMMU_EXPORT siommu_vtd_build_pasid_clear(struct siommu_mem *mem, uint64_t root,
					       uint16_t rid, uint32_t pasid)
{
	uint64_t pa;
	int ret = pasid_entry(mem, root, rid, pasid, false, &pa);

	return ret ? ret : siommu_mem_store64(mem, pa, 0);
}

/* ---- page tables ---------------------------------------------------------- */

static bool fmt_levels_ok(enum siommu_vtd_fmt fmt, unsigned int levels)
{
	if (fmt == SIOMMU_VTD_FMT_FS)
		return levels == 4 || levels == 5;
	return fmt == SIOMMU_VTD_FMT_SS && levels >= 3 && levels <= 5;
}

static bool present(enum siommu_vtd_fmt fmt, uint64_t e)
{
	return fmt == SIOMMU_VTD_FMT_FS ? (e & FS_P) : (e & (SS_R | SS_W));
}

static bool large(enum siommu_vtd_fmt fmt, uint64_t e)
{
	return e & (fmt == SIOMMU_VTD_FMT_FS ? FS_PS : SS_PS);
}

int SIOMMU_EXPORT siommu_vtd_build_leaf(struct siommu_mem *mem,
					enum siommu_vtd_fmt fmt, uint64_t root,
					unsigned int levels, uint64_t iova,
					uint64_t *entry_pa, uint64_t *size)
{
	uint64_t table = root, e, pa;
	unsigned int level = levels;
	int ret;

	if (!fmt_levels_ok(fmt, levels))
		return -EINVAL;
	while (level--) {
		unsigned int shift = 12 + 9 * level;

		pa = table + ((iova >> shift) & 511) * 8;
		ret = siommu_mem_load64(mem, pa, &e);
		if (ret)
			return ret;
		if (!present(fmt, e))
			return -ENOENT;
		if (level == 0 || large(fmt, e)) {
			*entry_pa = pa;
			*size = 1ull << shift;
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return -ENOENT;
}

int SIOMMU_EXPORT siommu_vtd_build_map(struct siommu_mem *mem,
				       enum siommu_vtd_fmt fmt, uint64_t root,
				       unsigned int levels, uint64_t iova,
				       uint64_t pa, uint64_t size, uint32_t prot)
{
	unsigned int leaf_level, level;
	uint64_t table = root, e, epa, leaf, next;
	bool fs = fmt == SIOMMU_VTD_FMT_FS;
	int ret;

	if (!fmt_levels_ok(fmt, levels))
		return -EINVAL;
	if (size == SIOMMU_SZ_4K)
		leaf_level = 0;
	else if (size == SIOMMU_SZ_2M)
		leaf_level = 1;
	else if (size == SIOMMU_SZ_1G)
		leaf_level = 2;
	else
		return -EINVAL;
	if ((iova | pa) & (size - 1))
		return -EINVAL;
	/* An SS leaf allows reading or writing (R = W = 0: not present). */
	if (!fs && !(prot & (SIOMMU_VTD_READ | SIOMMU_VTD_WRITE)))
		return -EINVAL;
	if (fs) {
		/* Canonical: the upper half is the sign extension. */
		unsigned int w = 12 + 9 * levels;
		int64_t s = (int64_t)(iova << (64 - w)) >> (64 - w);

		if ((uint64_t)s != iova)
			return -EINVAL;
	} else if (levels < 5 && (iova >> (12 + 9 * levels))) {
		return -EINVAL;
	}
	for (level = levels - 1; level > leaf_level; level--) {
		epa = table + ((iova >> (12 + 9 * level)) & 511) * 8;
		ret = siommu_mem_load64(mem, epa, &e);
		if (ret)
			return ret;
		if (!present(fmt, e)) {
			ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K,
						     SIOMMU_MEM_PT, &next);
			if (ret)
				return ret;
			e = next | (fs ? FS_P | FS_RW | FS_US : SS_R | SS_W | SS_X);
			ret = siommu_mem_store64(mem, epa, e);
			if (ret)
				return ret;
		} else if (large(fmt, e)) {
			return -EEXIST;
		}
		table = e & PTE_ADDR;
	}
	epa = table + ((iova >> (12 + 9 * leaf_level)) & 511) * 8;
	ret = siommu_mem_load64(mem, epa, &e);
	if (ret)
		return ret;
	if (present(fmt, e))
		return -EEXIST;
	if (fs) {
		leaf = pa | FS_P | ((prot & SIOMMU_VTD_WRITE) ? FS_RW : 0) |
		       ((prot & SIOMMU_VTD_BUILD_USER) ? FS_US : 0) |
		       ((prot & SIOMMU_VTD_EXEC) ? 0 : FS_XD) |
		       (leaf_level ? FS_PS : 0);
	} else {
		leaf = pa | ((prot & SIOMMU_VTD_READ) ? SS_R : 0) |
		       ((prot & SIOMMU_VTD_WRITE) ? SS_W : 0) |
		       ((prot & SIOMMU_VTD_EXEC) ? SS_X : 0) |
		       (leaf_level ? SS_PS : 0);
	}
	return siommu_mem_store64(mem, epa, leaf);
}

int SIOMMU_EXPORT siommu_vtd_build_unmap(struct siommu_mem *mem,
					 enum siommu_vtd_fmt fmt, uint64_t root,
					 unsigned int levels, uint64_t iova)
{
	uint64_t pa, size;
	int ret = siommu_vtd_build_leaf(mem, fmt, root, levels, iova, &pa, &size);

	return ret ? ret : siommu_mem_store64(mem, pa, 0);
}
