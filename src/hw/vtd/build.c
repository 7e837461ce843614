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

/* PA of the root entry word that holds @rid's context table (VT-d 9.2:
 * the lower half for devfn 0-127, the upper half for 128-255). */
static uint64_t root_word(uint64_t root, uint16_t rid)
{
	return root + (rid >> 8) * 16ull + ((rid & 0x80) ? 8 : 0);
}

/* @rid's scalable context table; -ENOENT when the root entry has none. */
static int ctx_table(struct siommu_mem *mem, uint64_t root, uint16_t rid,
		     uint64_t *table)
{
	uint64_t re;
	int ret = siommu_mem_load64(mem, root_word(root, rid), &re);

	if (ret)
		return ret;
	if (!(re & SM_ROOT_LP))
		return -ENOENT;
	*table = re & ADDR_MASK;
	return 0;
}

/*
 * Everything the entry needs is allocated first, where no unit can see it;
 * the context table (if new) is linked last, after the entry is written in
 * it, so a failure leaves the root and context tables as they were.
 */
int SIOMMU_EXPORT siommu_vtd_build_context(struct siommu_mem *mem, uint64_t root,
					   uint16_t rid,
					   const struct siommu_vtd_ctx_desc *d,
					   uint64_t *pasid_dir)
{
	uint64_t table, dir, cpa, q0, q1, dir_size = 0;
	bool new_table = false;
	int ret;

	if (!d || d->pdts > 7 || d->rid_pasid > 0xfffff || (d->pasid_dir & 0xfff))
		return -EINVAL;
	dir = d->pasid_dir;
	ret = ctx_table(mem, root, rid, &table);
	if (ret == -ENOENT) {
		ret = siommu_vtd_build_table_alloc(mem, &table);
		new_table = !ret;
	}
	if (ret)
		return ret;
	cpa = table + (rid & 0x7f) * 32ull;
	if (!dir && !new_table) {
		ret = siommu_mem_load64(mem, cpa, &q0);
		if (ret)
			goto out_free_table;
		if ((q0 & SM_CTX_P) && SM_CTX_PDTS(q0) >= d->pdts)
			dir = q0 & ADDR_MASK;
	}
	if (!dir) {
		/* 2^(pdts + 7) entries of 8 bytes: up to 128K. */
		dir_size = (8ull << (d->pdts + 7)) <= SIOMMU_SZ_4K ?
			   SIOMMU_SZ_4K : SIOMMU_SZ_2M;
		ret = siommu_mem_frame_alloc(mem, dir_size, SIOMMU_MEM_HW, &dir);
		if (ret)
			goto out_free_table;
	}
	q0 = SM_CTX_P | (d->fpd ? SM_CTX_FPD : 0) | (d->dte ? SM_CTX_DTE : 0) |
	     (d->paside ? SM_CTX_PASIDE : 0) | (d->pre ? SM_CTX_PRE : 0) |
	     ((uint64_t)d->pdts << 9) | dir;
	q1 = d->rid_pasid | (d->rid_priv ? SM_CTX_RIDPRIV : 0);
	/* Stores to one entry of one page: the first fails or none does. */
	ret = siommu_mem_store64(mem, cpa + 24, 0);
	if (ret)
		goto out_free_dir;
	siommu_mem_store64(mem, cpa + 16, 0);
	siommu_mem_store64(mem, cpa + 8, q1);
	siommu_mem_store64(mem, cpa, q0);
	if (new_table)
		siommu_mem_store64(mem, root_word(root, rid), table | SM_ROOT_LP);
	if (pasid_dir)
		*pasid_dir = dir;
	return 0;

out_free_dir:
	if (dir_size)
		siommu_mem_frame_free(mem, dir, dir_size, SIOMMU_MEM_HW);
out_free_table:
	if (new_table)
		siommu_mem_frame_free(mem, table, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	return ret;
}

/*
 * PA of @pasid's PASID table entry. With @link non-NULL a missing PASID
 * table is allocated but not linked: *link gets the PA of the directory
 * entry to point at it once the entry is written (0 when the table was
 * there already).
 */
static int pasid_entry(struct siommu_mem *mem, uint64_t root, uint16_t rid,
		       uint32_t pasid, uint64_t *pa, uint64_t *link)
{
	uint64_t table, c0, dpa, de, pt;
	int ret;

	if (pasid > 0xfffff)
		return -EINVAL;
	ret = ctx_table(mem, root, rid, &table);
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
	if (link)
		*link = 0;
	if (!(de & PDIR_P)) {
		if (!link)
			return -ENOENT;
		ret = siommu_vtd_build_table_alloc(mem, &pt);
		if (ret)
			return ret;
		de = pt | PDIR_P;
		*link = dpa;
	}
	*pa = (de & ADDR_MASK) + (pasid & 0x3f) * 64ull;
	return 0;
}

int SIOMMU_EXPORT siommu_vtd_build_pasid(struct siommu_mem *mem, uint64_t root,
					 uint16_t rid, uint32_t pasid,
					 const struct siommu_vtd_pasid_desc *d)
{
	uint64_t pa, link, q[8] = { 0 };
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
	ret = pasid_entry(mem, root, rid, pasid, &pa, &link);
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
	/* One entry of one page: the first store fails or none does. A new
	 * PASID table is linked once its entry is in place. */
	for (i = 8; i-- > 0;) {
		ret = siommu_mem_store64(mem, pa + 8 * i, q[i]);
		if (ret)
			return ret;
	}
	if (link)
		siommu_mem_store64(mem, link, (pa & ADDR_MASK) | PDIR_P);
	return 0;
}

int SIOMMU_EXPORT siommu_vtd_build_pasid_clear(struct siommu_mem *mem, uint64_t root,
					       uint16_t rid, uint32_t pasid)
{
	uint64_t pa;
	int ret = pasid_entry(mem, root, rid, pasid, &pa, NULL);

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

/* Byte offset of @iova's entry in a table of @level (0: 4K leaves). */
static uint64_t entry_off(uint64_t iova, unsigned int level)
{
	return ((iova >> (12 + 9 * level)) & 511) * 8;
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

		pa = table + entry_off(iova, level);
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
	unsigned int leaf_level, level, nr_new = 0, i;
	uint64_t table = root, e, epa = 0, leaf, next_flags, tbl[5];
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
	/* Down to the first missing table, or to the leaf. */
	for (level = levels - 1; level > leaf_level; level--) {
		epa = table + entry_off(iova, level);
		ret = siommu_mem_load64(mem, epa, &e);
		if (ret)
			return ret;
		if (!present(fmt, e))
			break;
		if (large(fmt, e))
			return -EEXIST;
		table = e & PTE_ADDR;
	}
	if (level == leaf_level) {
		epa = table + entry_off(iova, leaf_level);
		ret = siommu_mem_load64(mem, epa, &e);
		if (ret)
			return ret;
		if (present(fmt, e))
			return -EEXIST;
	} else {
		/* The entry at @epa (of @level) is missing: the tables of
		 * levels level - 1 ... leaf_level are allocated first. */
		nr_new = level - leaf_level;
		for (i = 0; i < nr_new; i++) {
			ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K,
						     SIOMMU_MEM_PT, &tbl[i]);
			if (ret)
				goto out_free;
		}
	}
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
	if (!nr_new)
		return siommu_mem_store64(mem, epa, leaf);
	/* The new chain is filled in while no unit can reach it, then
	 * linked with one store. */
	next_flags = fs ? FS_P | FS_RW | FS_US : SS_R | SS_W | SS_X;
	for (i = 0; i + 1 < nr_new; i++)
		siommu_mem_store64(mem, tbl[i] + entry_off(iova, level - 1 - i),
				   tbl[i + 1] | next_flags);
	siommu_mem_store64(mem, tbl[nr_new - 1] + entry_off(iova, leaf_level), leaf);
	return siommu_mem_store64(mem, epa, tbl[0] | next_flags);

out_free:
	while (i--)
		siommu_mem_frame_free(mem, tbl[i], SIOMMU_SZ_4K, SIOMMU_MEM_PT);
	return ret;
}

int SIOMMU_EXPORT siommu_vtd_build_unmap(struct siommu_mem *mem,
					 enum siommu_vtd_fmt fmt, uint64_t root,
					 unsigned int levels, uint64_t iova)
{
	uint64_t pa, size;
	int ret = siommu_vtd_build_leaf(mem, fmt, root, levels, iova, &pa, &size);

	return ret ? ret : siommu_mem_store64(mem, pa, 0);
}
