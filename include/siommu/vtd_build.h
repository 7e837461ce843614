/* SPDX-License-Identifier: MIT */
/*
 * siommu/vtd_build.h - build VT-d scalable-mode structures in memory.
 *
 * Concepts
 * --------
 * Helpers that write the structures a VT-d unit (siommu/vtd.h) reads, in
 * the real formats, directly into a physical memory (siommu/mem.h), with
 * nothing of the OS half: root table, scalable context entries, PASID
 * directory and PASID table entries, first-stage (x86-64, 4/5-level) and
 * second-stage (3/4/5-level) page tables, and invalidation descriptors.
 * They are meant for emulator authors and tests that need to set up a
 * scenario by hand; a real driver would do the same work itself.
 *
 * New tables come from the memory's frame pool (4K, zeroed). Entries are
 * written with 64-bit release stores, the present word last, so a unit
 * walking concurrently sees either the old or the new entry. Tables a call
 * creates are filled in before one store links them, so a unit never sees
 * half a chain, and a call that fails (-ENOMEM included: each frame is a
 * fallible step of siommu_mem_fail_nth) has written nothing and holds no
 * frame.
 *
 * Concurrency
 * -----------
 * The builders do no locking: one writer per table at a time. Translation
 * by a unit may run concurrently; changes to present entries need the
 * invalidations the specification asks for, submitted by the caller.
 */
#ifndef SIOMMU_VTD_BUILD_H
#define SIOMMU_VTD_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <siommu/mem.h>
#include <siommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PASID granular translation types (VT-d 9.6, PGTT). */
#define SIOMMU_VTD_PGTT_FS	1
#define SIOMMU_VTD_PGTT_SS	2
#define SIOMMU_VTD_PGTT_NEST	3
#define SIOMMU_VTD_PGTT_PT	4

/* A scalable-mode context entry (VT-d 9.4). */
struct siommu_vtd_ctx_desc {
	uint64_t pasid_dir;	/* PA of the PASID directory; 0: keep the
				 * entry's if it is present and at least as
				 * large, else allocate one */
	unsigned int pdts;	/* directory of 2^(pdts + 7) entries, 0..7 */
	bool fpd, dte, paside, pre;
	uint32_t rid_pasid;
	bool rid_priv;
};

/*
 * A scalable-mode PASID table entry (VT-d 9.6). Entries with a first stage
 * (PGTT FS or nested) get NXE set, so that the XD bit that
 * siommu_vtd_build_map() writes on pages without execute is valid.
 */
struct siommu_vtd_pasid_desc {
	unsigned int pgtt;	/* SIOMMU_VTD_PGTT_* */
	uint16_t did;
	uint64_t fs_root;	/* first-stage root table (PA, or GPA if nested) */
	unsigned int fs_levels;	/* 4 or 5 */
	uint64_t ss_root;	/* second-stage root table */
	unsigned int ss_levels;	/* 3, 4 or 5 */
	bool fpd, sre, ere, wpe, ssade, ssee;
	bool smep;		/* supervisor requests execute no user page */
};

/* Page-table formats for the map helpers. */
enum siommu_vtd_fmt {
	SIOMMU_VTD_FMT_FS,	/* x86-64 first stage */
	SIOMMU_VTD_FMT_SS,	/* second stage */
};

/* prot for the map helpers: SIOMMU_VTD_READ/WRITE/EXEC plus: */
#define SIOMMU_VTD_BUILD_USER	(1u << 8)	/* FS: U/S = 1 */

/*
 * siommu_vtd_build_table_alloc - a zeroed 4K table page from @mem's frame
 * pool (root tables, page-table roots).
 * Returns 0 with *pa set, -ENOMEM.
 */
int siommu_vtd_build_table_alloc(struct siommu_mem *mem, uint64_t *pa);

/*
 * siommu_vtd_build_context - write the context entry of @rid under the root
 * table at @root, allocating the scalable context table (and the PASID
 * directory, see d->pasid_dir). *pasid_dir (may be NULL) gets the
 * directory's PA. A directory the entry pointed at before and no longer
 * does is the caller's to free.
 * Returns 0, -EINVAL (pdts > 7), -EFAULT (@root not RAM), -ENOMEM.
 */
int siommu_vtd_build_context(struct siommu_mem *mem, uint64_t root, uint16_t rid,
			     const struct siommu_vtd_ctx_desc *d, uint64_t *pasid_dir);

/*
 * siommu_vtd_build_pasid - write the PASID table entry of (@rid, @pasid),
 * allocating the PASID table when the directory entry is not present.
 * Returns 0, -ENOENT (no context entry), -ERANGE (pasid beyond the
 * directory), -EINVAL, -EFAULT, -ENOMEM.
 */
int siommu_vtd_build_pasid(struct siommu_mem *mem, uint64_t root, uint16_t rid,
			   uint32_t pasid, const struct siommu_vtd_pasid_desc *d);

/*
 * siommu_vtd_build_pasid_clear - make the PASID table entry not present.
 * Returns 0, -ENOENT, -ERANGE, -EFAULT.
 */
int siommu_vtd_build_pasid_clear(struct siommu_mem *mem, uint64_t root,
				 uint16_t rid, uint32_t pasid);

/*
 * siommu_vtd_build_map - map one page of @size (4K, 2M or 1G) at @iova to
 * @pa in the table at @root with @levels levels, allocating intermediate
 * tables. Intermediate entries allow everything (FS: P|R/W|U/S; SS: R|W|X).
 * Returns 0, -EINVAL (alignment, size, levels, iova beyond the levels or
 * not canonical, an SS page with neither read nor write; nothing is
 * written), -EEXIST (something is mapped there), -EFAULT, -ENOMEM.
 */
int siommu_vtd_build_map(struct siommu_mem *mem, enum siommu_vtd_fmt fmt,
			 uint64_t root, unsigned int levels, uint64_t iova,
			 uint64_t pa, uint64_t size, uint32_t prot);

/*
 * siommu_vtd_build_leaf - find the leaf entry translating @iova.
 * Returns 0 with *entry_pa and *size set, -ENOENT, -EINVAL, -EFAULT.
 */
int siommu_vtd_build_leaf(struct siommu_mem *mem, enum siommu_vtd_fmt fmt,
			  uint64_t root, unsigned int levels, uint64_t iova,
			  uint64_t *entry_pa, uint64_t *size);

/*
 * siommu_vtd_build_unmap - clear the leaf translating @iova (the whole page
 * it maps). Intermediate tables are kept. Returns 0, -ENOENT, -EINVAL,
 * -EFAULT.
 */
int siommu_vtd_build_unmap(struct siommu_mem *mem, enum siommu_vtd_fmt fmt,
			   uint64_t root, unsigned int levels, uint64_t iova);

/* ---- invalidation descriptors (VT-d 6.5.2), 256-bit form ---------------- */

struct siommu_vtd_desc {
	uint64_t qw[4];
};

/* Context-cache: g 1 global, 2 domain, 3 device (sid with fm). */
static inline struct siommu_vtd_desc
siommu_vtd_desc_cc(unsigned int g, uint16_t did, uint16_t sid, unsigned int fm)
{
	struct siommu_vtd_desc d = { { 0x1 | (uint64_t)(g & 3) << 4 |
				       (uint64_t)did << 16 | (uint64_t)sid << 32 |
				       (uint64_t)(fm & 3) << 48, 0, 0, 0 } };
	return d;
}

/* IOTLB: g 1 global, 2 domain, 3 page-selective ([addr, +2^(12+am))). */
static inline struct siommu_vtd_desc
siommu_vtd_desc_iotlb(unsigned int g, uint16_t did, uint64_t addr,
		      unsigned int am, bool ih)
{
	struct siommu_vtd_desc d = { { 0x2 | (uint64_t)(g & 3) << 4 |
				       (uint64_t)did << 16,
				       (addr & ~0xfffull) | (am & 0x3f) |
				       (uint64_t)ih << 6, 0, 0 } };
	return d;
}

/* PASID-based IOTLB: g 2 all of (did, pasid), 3 page-selective. */
static inline struct siommu_vtd_desc
siommu_vtd_desc_piotlb(unsigned int g, uint16_t did, uint32_t pasid,
		       uint64_t addr, unsigned int am, bool ih)
{
	struct siommu_vtd_desc d = { { 0x6 | (uint64_t)(g & 3) << 4 |
				       (uint64_t)did << 16 |
				       (uint64_t)(pasid & 0xfffff) << 32,
				       (addr & ~0xfffull) | (am & 0x3f) |
				       (uint64_t)ih << 6, 0, 0 } };
	return d;
}

/* PASID-cache: g 0 domain, 1 PASID-selective, 3 global. */
static inline struct siommu_vtd_desc
siommu_vtd_desc_pc(unsigned int g, uint16_t did, uint32_t pasid)
{
	struct siommu_vtd_desc d = { { 0x7 | (uint64_t)(g & 3) << 4 |
				       (uint64_t)did << 16 |
				       (uint64_t)(pasid & 0xfffff) << 32, 0, 0, 0 } };
	return d;
}

/* Device-TLB (no PASID): s = 0 one page, 1 size encoded in addr. */
static inline struct siommu_vtd_desc
siommu_vtd_desc_devtlb(uint16_t sid, uint64_t addr, bool s)
{
	struct siommu_vtd_desc d = { { 0x3 | (uint64_t)sid << 32,
				       (addr & ~0xfffull) | (uint64_t)s, 0, 0 } };
	return d;
}

/* PASID-based device-TLB: g = all PASIDs. */
static inline struct siommu_vtd_desc
siommu_vtd_desc_pdevtlb(uint16_t sid, uint32_t pasid, bool g, uint64_t addr, bool s)
{
	struct siommu_vtd_desc d = { { 0x8 | (uint64_t)sid << 16 |
				       (uint64_t)(pasid & 0xfffff) << 32,
				       (addr & ~0xfffull) | (uint64_t)s << 11 |
				       (uint64_t)g, 0, 0 } };
	return d;
}

/* Page group response (code 0 success, 1 invalid, 0xf failure). */
static inline struct siommu_vtd_desc
siommu_vtd_desc_page_resp(uint16_t rid, bool pp, uint32_t pasid, uint16_t prgi,
			  unsigned int code, bool lpig)
{
	struct siommu_vtd_desc d = { { 0x9 | (uint64_t)pp << 4 |
				       (uint64_t)(code & 0xf) << 12 |
				       (uint64_t)rid << 16 |
				       (uint64_t)(pasid & 0xfffff) << 32,
				       (uint64_t)lpig << 2 | (uint64_t)(prgi & 0x1ff) << 3,
				       0, 0 } };
	return d;
}

/* Invalidation wait: sw status write, iflag interrupt, fn fence, pd drain. */
static inline struct siommu_vtd_desc
siommu_vtd_desc_wait(bool sw, bool iflag, bool fn, bool pd, uint64_t status_addr,
		     uint32_t status_data)
{
	struct siommu_vtd_desc d = { { 0x5 | (uint64_t)iflag << 4 | (uint64_t)sw << 5 |
				       (uint64_t)fn << 6 | (uint64_t)pd << 7 |
				       (uint64_t)status_data << 32,
				       status_addr & ~3ull, 0, 0 } };
	return d;
}

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_VTD_BUILD_H */
