/* SPDX-License-Identifier: MIT */
/*
 * siommu/mem.h, iova.h, pasid.h and pt.h against their contracts alone:
 * one table row per misuse the headers name (NULL outputs, zero and
 * maximal sizes, unaligned values, ranges that wrap 2^64 and ranges that
 * end exactly at it, PASID 0, SIOMMU_PASID_MAX and one beyond, double
 * frees, a put of the allocation's reference, quotas), each expecting
 * exactly the errno listed and, for a refusal, every statistic the
 * header exposes unchanged.
 */
#include <errno.h>

#include <siommu/iova.h>
#include <siommu/mem.h>
#include <siommu/pasid.h>
#include <siommu/pt.h>

#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define TOP (UINT64_MAX - 0xfffull)	/* the last 4K page */

struct fx {
	struct siommu_mem *mem;
	struct siommu_iova *iova;	/* [0, UINT64_MAX], 4K */
	struct siommu_pasid_space *ps;
	struct siommu_pt *pt[SIOMMU_PT_NR_FORMATS];
	uint64_t held;			/* an IOVA allocation of 8K */
	uint32_t p, pmax;		/* allocated PASIDs, owner 1 */
};

struct snap {
	struct siommu_mem_stats m;
	struct siommu_iova_stats i;
	struct siommu_pasid_stats p;
	struct siommu_pasid_owner_info o1, o9;
	uint64_t ptpages[SIOMMU_PT_NR_FORMATS];
	uint64_t at0[SIOMMU_PT_NR_FORMATS];
};

#include "api_rows.h"

static void snap_take(const struct fx *f, struct snap *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	siommu_mem_get_stats(f->mem, &s->m);
	siommu_iova_get_stats(f->iova, &s->i);
	/* A refused allocation may flush the caches first (iova.h): what
	 * moves from the caches to the tree is no change a caller sees. */
	s->i.free_bytes += s->i.cached_bytes;
	s->i.cached_bytes = s->i.largest_free_bytes = s->i.nodes = 0;
	s->i.cache_hits = s->i.cache_misses = 0;
	siommu_pasid_get_stats(f->ps, &s->p);
	siommu_pasid_query_owner(f->ps, 1, &s->o1);
	siommu_pasid_query_owner(f->ps, 9, &s->o9);
	for (i = 0; i < SIOMMU_PT_NR_FORMATS; i++) {
		s->ptpages[i] = siommu_pt_table_pages(f->pt[i]);
		if (siommu_pt_iova_to_phys(f->pt[i], 0x200000, &s->at0[i], NULL))
			s->at0[i] = UINT64_MAX;
	}
}

static void fx_init(struct fx *f)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_mem_create(NULL, &f->mem));
	CHECK_OK(siommu_iova_create(&(struct siommu_iova_cfg){ .start = 0,
							       .last = UINT64_MAX },
				    &f->iova));
	CHECK_OK(siommu_iova_alloc(f->iova, 0x2000, UINT64_MAX, &f->held));
	CHECK_OK(siommu_pasid_space_create(NULL, &f->ps));
	CHECK_OK(siommu_pasid_alloc(f->ps, 1, SIOMMU_PASID_MAX, 1, &f->p));
	CHECK_OK(siommu_pasid_alloc(f->ps, SIOMMU_PASID_MAX, SIOMMU_PASID_MAX, 1, &f->pmax));
	CHECK_OK(siommu_pasid_set_quota(f->ps, 9, 0));
	for (i = 0; i < SIOMMU_PT_NR_FORMATS; i++) {
		CHECK_OK(siommu_pt_create(f->mem, &(struct siommu_pt_cfg){ .format = i },
					  &f->pt[i]));
		CHECK_OK(siommu_pt_map(f->pt[i], 0x200000, 0x400000, SIOMMU_SZ_2M, RW));
	}
	CHECK_OK(siommu_mem_add_ram(f->mem, TOP, 0x1000, NULL));
}

static void fx_fini(struct fx *f)
{
	unsigned int i;

	for (i = 0; i < SIOMMU_PT_NR_FORMATS; i++)
		siommu_pt_destroy(f->pt[i]);
	siommu_pasid_space_destroy(f->ps);
	siommu_iova_destroy(f->iova);
	siommu_mem_destroy(f->mem);
}

/* ---- mem ---- */
static int mem_null_out(struct fx *f) { (void)f; return siommu_mem_create(NULL, NULL); }
static int mem_pool_misaligned(struct fx *f)
{
	struct siommu_mem *m;

	(void)f;
	return siommu_mem_create(&(struct siommu_mem_cfg){ .pool_base = 0x1000,
							   .pool_size = SIOMMU_SZ_1G }, &m);
}
static int mem_pool_wraps(struct fx *f)
{
	struct siommu_mem *m;

	(void)f;
	return siommu_mem_create(&(struct siommu_mem_cfg){
		.pool_base = UINT64_MAX - SIOMMU_SZ_1G + 1, .pool_size = 2 * SIOMMU_SZ_1G }, &m);
}
static int ram_zero(struct fx *f) { return siommu_mem_add_ram(f->mem, 0x100000, 0, NULL); }
static int ram_unaligned(struct fx *f) { return siommu_mem_add_ram(f->mem, 0x100001, 0x1000, NULL); }
static int ram_size_unaligned(struct fx *f)
{
	return siommu_mem_add_ram(f->mem, 0x100000, 0x1001, NULL);
}
static int ram_wraps(struct fx *f) { return siommu_mem_add_ram(f->mem, TOP, 0x2000, NULL); }
static int ram_overlap(struct fx *f) { return siommu_mem_add_ram(f->mem, TOP, 0x1000, NULL); }
static int ram_overlap_pool(struct fx *f)
{
	return siommu_mem_add_ram(f->mem, SIOMMU_MEM_DEFAULT_POOL_BASE - 0x1000, 0x2000, NULL);
}
static int ram_rm_other_size(struct fx *f) { return siommu_mem_remove_ram(f->mem, TOP, 0x2000); }
static int ram_rm_none(struct fx *f) { return siommu_mem_remove_ram(f->mem, 0x100000, 0x1000); }
static int ram_rm_pool(struct fx *f)
{
	return siommu_mem_remove_ram(f->mem, SIOMMU_MEM_DEFAULT_POOL_BASE,
				     SIOMMU_MEM_DEFAULT_POOL_SIZE);
}
static int read_wraps(struct fx *f) { char b[2]; return siommu_mem_read(f->mem, UINT64_MAX, b, 2); }
static int read_top(struct fx *f) { char b[1]; return siommu_mem_read(f->mem, UINT64_MAX, b, 1); }
static int read_hole(struct fx *f) { char b[1]; return siommu_mem_read(f->mem, 0x10, b, 1); }
static int read_len0(struct fx *f) { char b[1]; return siommu_mem_read(f->mem, 0x10, b, 0); }
static int write_wraps(struct fx *f)
{
	return siommu_mem_write(f->mem, UINT64_MAX - 1, "ab\n", 3);
}
static int load_unaligned(struct fx *f)
{
	uint64_t v;

	return siommu_mem_load64(f->mem, UINT64_MAX - 3, &v);
}
static int load_top(struct fx *f) { uint64_t v; return siommu_mem_load64(f->mem, UINT64_MAX - 7, &v); }
static int load_hole(struct fx *f) { uint64_t v; return siommu_mem_load64(f->mem, 0x8, &v); }
static int store_hole(struct fx *f) { return siommu_mem_store64(f->mem, 0x8, 1); }
static int cmpxchg_miss(struct fx *f)
{
	uint64_t e = 1;

	return siommu_mem_cmpxchg64(f->mem, TOP, &e, 2);
}
static int frame_size0(struct fx *f) { uint64_t pa; return siommu_mem_frame_alloc(f->mem, 0, SIOMMU_MEM_PT, &pa); }
static int frame_odd(struct fx *f)
{
	uint64_t pa;

	return siommu_mem_frame_alloc(f->mem, 0x3000, SIOMMU_MEM_PT, &pa);
}
static int frame_2g(struct fx *f)
{
	uint64_t pa;

	return siommu_mem_frame_alloc(f->mem, 2 * SIOMMU_SZ_1G, SIOMMU_MEM_PT, &pa);
}
static int frame_max(struct fx *f)
{
	uint64_t pa;

	return siommu_mem_frame_alloc(f->mem, 1ull << 63, SIOMMU_MEM_PT, &pa);
}
static int frame_purpose(struct fx *f)
{
	uint64_t pa;

	return siommu_mem_frame_alloc(f->mem, 0x1000, SIOMMU_MEM_NR_PURPOSES, &pa);
}

/* ---- iova ---- */
static int iova_null_cfg(struct fx *f) { struct siommu_iova *i; (void)f; return siommu_iova_create(NULL, &i); }
static int iova_null_out(struct fx *f)
{
	(void)f;
	return siommu_iova_create(&(struct siommu_iova_cfg){ .last = 0xffff }, NULL);
}
static int iova_empty(struct fx *f)
{
	struct siommu_iova *i;

	(void)f;
	return siommu_iova_create(&(struct siommu_iova_cfg){ .start = 0x2000, .last = 0xfff }, &i);
}
static int iova_granule(struct fx *f)
{
	struct siommu_iova *i;

	(void)f;
	return siommu_iova_create(&(struct siommu_iova_cfg){ .last = 0xffff, .granule = 0x3000 },
				  &i);
}
static int iova_granule_big(struct fx *f)
{
	struct siommu_iova *i;

	(void)f;
	return siommu_iova_create(&(struct siommu_iova_cfg){ .last = UINT64_MAX,
							     .granule = 2 * SIOMMU_SZ_1G }, &i);
}
static int iova_flag(struct fx *f)
{
	struct siommu_iova *i;

	(void)f;
	return siommu_iova_create(&(struct siommu_iova_cfg){ .last = 0xffff, .flags = 1u << 4 },
				  &i);
}
static int ia_zero(struct fx *f) { uint64_t a; return siommu_iova_alloc(f->iova, 0, UINT64_MAX, &a); }
static int ia_null(struct fx *f) { return siommu_iova_alloc(f->iova, 0x1000, UINT64_MAX, NULL); }
static int ia_whole(struct fx *f)
{
	uint64_t a;

	/* 2^64 bytes rounded: the whole aperture, which one 8K allocation
	 * holds a part of. */
	return siommu_iova_alloc(f->iova, UINT64_MAX, UINT64_MAX, &a);
}
static int ia_limit(struct fx *f) { uint64_t a; return siommu_iova_alloc(f->iova, 0x1000, 0xffe, &a); }
static int if_none(struct fx *f) { return siommu_iova_free(f->iova, 0x10000000, 0x1000); }
static int if_size(struct fx *f) { return siommu_iova_free(f->iova, f->held, 0x4000); }
static int if_zero(struct fx *f) { return siommu_iova_free(f->iova, f->held, 0); }
static int if_max(struct fx *f) { return siommu_iova_free(f->iova, f->held, UINT64_MAX); }
static int ir_zero(struct fx *f) { return siommu_iova_reserve(f->iova, 0x100000, 0); }
static int ir_wraps(struct fx *f) { return siommu_iova_reserve(f->iova, TOP, 0x2000); }
static int ir_busy(struct fx *f) { return siommu_iova_reserve(f->iova, f->held, 1); }

/* ---- pasid ---- */
static int pa_min0(struct fx *f) { uint32_t p; return siommu_pasid_alloc(f->ps, 0, 5, 1, &p); }
static int pa_inverted(struct fx *f) { uint32_t p; return siommu_pasid_alloc(f->ps, 6, 5, 1, &p); }
static int pa_beyond(struct fx *f)
{
	uint32_t p;

	return siommu_pasid_alloc(f->ps, 1, SIOMMU_PASID_MAX + 1, 1, &p);
}
static int pa_null(struct fx *f) { return siommu_pasid_alloc(f->ps, 1, 5, 1, NULL); }
static int pa_quota(struct fx *f) { uint32_t p; return siommu_pasid_alloc(f->ps, 1, 5, 9, &p); }
static int pa_taken(struct fx *f)
{
	uint32_t p;

	return siommu_pasid_alloc(f->ps, SIOMMU_PASID_MAX, SIOMMU_PASID_MAX, 1, &p);
}
static int pf_zero(struct fx *f) { return siommu_pasid_free(f->ps, 0); }
static int pf_beyond(struct fx *f) { return siommu_pasid_free(f->ps, SIOMMU_PASID_MAX + 1); }
static int pf_u32max(struct fx *f) { return siommu_pasid_free(f->ps, UINT32_MAX); }
static int pf_never(struct fx *f) { return siommu_pasid_free(f->ps, 77); }
static int pg_zero(struct fx *f) { return siommu_pasid_get(f->ps, 0); }
static int pg_beyond(struct fx *f) { return siommu_pasid_get(f->ps, SIOMMU_PASID_MAX + 1); }
static int pg_never(struct fx *f) { return siommu_pasid_get(f->ps, 77); }
static int pp_alloc_ref(struct fx *f) { return siommu_pasid_put(f->ps, f->p); }
static int pp_beyond(struct fx *f) { return siommu_pasid_put(f->ps, SIOMMU_PASID_MAX + 1); }
static int pq_null(struct fx *f) { return siommu_pasid_query(f->ps, f->p, NULL); }
static int pq_zero(struct fx *f)
{
	struct siommu_pasid_info pi;

	return siommu_pasid_query(f->ps, 0, &pi);
}
static int pq_never(struct fx *f)
{
	struct siommu_pasid_info pi;

	return siommu_pasid_query(f->ps, 77, &pi);
}
static int ps_null(struct fx *f) { (void)f; return siommu_pasid_space_create(NULL, NULL); }

/* ---- pt (each row on every format) ---- */
static int pt_rows(struct fx *f, int (*fn)(struct siommu_pt *pt), int want)
{
	unsigned int i;

	for (i = 0; i < SIOMMU_PT_NR_FORMATS; i++) {
		int ret = fn(f->pt[i]);

		if (ret != want)
			return ret;
	}
	return want;
}
#define PT_ROW(name, want, expr)						\
	static int name##_1(struct siommu_pt *pt) { return (expr); }		\
	static int name(struct fx *f) { return pt_rows(f, name##_1, want); }

PT_ROW(pm_len0, -EINVAL, siommu_pt_map(pt, 0x1000, 0, 0, RW))
PT_ROW(pm_prot0, -EINVAL, siommu_pt_map(pt, 0x1000, 0, 0x1000, 0))
PT_ROW(pm_prot_bad, -EINVAL, siommu_pt_map(pt, 0x1000, 0, 0x1000, 1u << 7))
PT_ROW(pm_iova_unaligned, -EINVAL, siommu_pt_map(pt, 0x1001, 0, 0x1000, RW))
PT_ROW(pm_pa_unaligned, -EINVAL, siommu_pt_map(pt, 0x1000, 0x10, 0x1000, RW))
PT_ROW(pm_len_unaligned, -EINVAL, siommu_pt_map(pt, 0x1000, 0, 0x1001, RW))
PT_ROW(pm_iova_wraps, -EOVERFLOW, siommu_pt_map(pt, TOP, 0, 0x2000, RW))
PT_ROW(pm_pa_wraps, -EOVERFLOW, siommu_pt_map(pt, 0x1000, TOP, 0x2000, RW))
PT_ROW(pm_len_max, -EINVAL, siommu_pt_map(pt, 0, 0, UINT64_MAX, RW))
PT_ROW(pm_top, -ERANGE, siommu_pt_map(pt, TOP, 0, 0x1000, RW))
PT_ROW(pm_pa_top, -ERANGE, siommu_pt_map(pt, 0x1000, TOP, 0x1000, RW))
PT_ROW(pm_exists, -EEXIST, siommu_pt_map(pt, 0x3ff000, 0, 0x2000, RW))
PT_ROW(pu_len0, -EINVAL, siommu_pt_unmap(pt, 0x200000, 0, NULL, NULL))
PT_ROW(pu_cuts, -EINVAL, siommu_pt_unmap(pt, 0x200000, 0x1000, NULL, NULL))
PT_ROW(pu_wraps, -EOVERFLOW, siommu_pt_unmap(pt, TOP, 0x2000, NULL, NULL))
PT_ROW(pu_top, -ERANGE, siommu_pt_unmap(pt, TOP, 0x1000, NULL, NULL))
PT_ROW(pp_null_gather, -EINVAL, siommu_pt_protect(pt, 0x200000, SIOMMU_SZ_2M,
						  SIOMMU_PROT_READ, NULL))
PT_ROW(pi_top, -ERANGE, siommu_pt_iova_to_phys(pt, UINT64_MAX, &(uint64_t){ 0 }, NULL))
PT_ROW(pi_hole, -ENOENT, siommu_pt_iova_to_phys(pt, 0x1000, &(uint64_t){ 0 }, NULL))

static int pt_protect_rows(struct fx *f)
{
	struct siommu_pt_gather g;
	unsigned int i;
	int ret;

	for (i = 0; i < SIOMMU_PT_NR_FORMATS; i++) {
		siommu_pt_gather_init(&g);
		ret = siommu_pt_protect(f->pt[i], TOP, 0x2000, SIOMMU_PROT_READ, &g);
		if (ret != -EOVERFLOW)
			return ret;
		ret = siommu_pt_protect(f->pt[i], 0x200000, SIOMMU_SZ_2M, 0, &g);
		if (ret != -EINVAL)
			return ret;
		ret = siommu_pt_protect(f->pt[i], 0x200000, 0, SIOMMU_PROT_READ, &g);
		if (ret != -EINVAL)
			return ret;
		CHECK(g.start > g.last);
	}
	return -EINVAL;
}

#define ROW API_ROW

static const struct api_row rows[] = {
	ROW(mem_null_out, -EINVAL), ROW(mem_pool_misaligned, -EINVAL),
	ROW(mem_pool_wraps, -EINVAL), ROW(ram_zero, -EINVAL), ROW(ram_unaligned, -EINVAL),
	ROW(ram_size_unaligned, -EINVAL), ROW(ram_wraps, -EINVAL), ROW(ram_overlap, -EEXIST),
	ROW(ram_overlap_pool, -EEXIST), ROW(ram_rm_other_size, -ENOENT),
	ROW(ram_rm_none, -ENOENT), ROW(ram_rm_pool, -EBUSY), ROW(read_wraps, -EFAULT),
	ROW(read_top, 0), ROW(read_hole, -EFAULT), ROW(read_len0, 0),
	ROW(write_wraps, -EFAULT), ROW(load_unaligned, -EINVAL), ROW(load_top, 0),
	ROW(load_hole, -EFAULT), ROW(store_hole, -EFAULT), ROW(cmpxchg_miss, -EAGAIN),
	ROW(frame_size0, -EINVAL), ROW(frame_odd, -EINVAL), ROW(frame_2g, -EINVAL),
	ROW(frame_max, -EINVAL), ROW(frame_purpose, -EINVAL),
	ROW(iova_null_cfg, -EINVAL), ROW(iova_null_out, -EINVAL), ROW(iova_empty, -EINVAL),
	ROW(iova_granule, -EINVAL), ROW(iova_granule_big, -EINVAL), ROW(iova_flag, -EINVAL),
	ROW(ia_zero, -EINVAL), ROW(ia_null, -EINVAL), ROW(ia_whole, -ENOSPC),
	ROW(ia_limit, -ENOSPC), ROW(if_none, -ENOENT), ROW(if_size, -EINVAL),
	ROW(if_zero, -EINVAL), ROW(if_max, -EINVAL), ROW(ir_zero, -EINVAL),
	ROW(ir_wraps, -EINVAL), ROW(ir_busy, -EBUSY),
	ROW(pa_min0, -EINVAL), ROW(pa_inverted, -EINVAL), ROW(pa_beyond, -EINVAL),
	ROW(pa_null, -EINVAL), ROW(pa_quota, -EDQUOT), ROW(pa_taken, -ENOSPC),
	ROW(pf_zero, -EINVAL), ROW(pf_beyond, -EINVAL), ROW(pf_u32max, -EINVAL),
	ROW(pf_never, -ENOENT), ROW(pg_zero, -EINVAL), ROW(pg_beyond, -EINVAL),
	ROW(pg_never, -ENOENT), ROW(pp_alloc_ref, -ENOENT), ROW(pp_beyond, -EINVAL),
	ROW(pq_null, -EINVAL), ROW(pq_zero, -EINVAL), ROW(pq_never, -ENOENT),
	ROW(ps_null, -EINVAL),
	ROW(pm_len0, -EINVAL), ROW(pm_prot0, -EINVAL), ROW(pm_prot_bad, -EINVAL),
	ROW(pm_iova_unaligned, -EINVAL), ROW(pm_pa_unaligned, -EINVAL),
	ROW(pm_len_unaligned, -EINVAL), ROW(pm_iova_wraps, -EOVERFLOW),
	ROW(pm_pa_wraps, -EOVERFLOW), ROW(pm_len_max, -EINVAL), ROW(pm_top, -ERANGE),
	ROW(pm_pa_top, -ERANGE), ROW(pm_exists, -EEXIST), ROW(pu_len0, -EINVAL),
	ROW(pu_cuts, -EINVAL), ROW(pu_wraps, -EOVERFLOW), ROW(pu_top, -ERANGE),
	ROW(pp_null_gather, -EINVAL), ROW(pi_top, -ERANGE), ROW(pi_hole, -ENOENT),
	ROW(pt_protect_rows, -EINVAL),
};

int main(void)
{
	struct fx f;
	unsigned int i;

	fx_init(&f);
	api_rows_run(&f, rows, sizeof(rows) / sizeof(rows[0]), false, NULL);

	/* A PASID at the edge: SIOMMU_PASID_MAX takes references to its
	 * limit, then -EOVERFLOW with nothing changed. */
	for (i = 1; i < SIOMMU_PASID_REFS_MAX; i++)
		if (siommu_pasid_get(f.ps, f.pmax))
			break;
	CHECK_EQ(i, SIOMMU_PASID_REFS_MAX);
	CHECK_EQ(siommu_pasid_get(f.ps, f.pmax), -EOVERFLOW);
	CHECK_OK(siommu_pasid_free(f.ps, f.pmax));
	CHECK_EQ(siommu_pasid_free(f.ps, f.pmax), -ENOENT);
	CHECK_OK(siommu_pasid_put(f.ps, f.pmax));

	/* The whole aperture, once the 8K allocation is back. */
	CHECK_OK(siommu_iova_free(f.iova, f.held, 0x2000));
	CHECK_EQ(siommu_iova_free(f.iova, f.held, 0x2000), -ENOENT);
	siommu_iova_flush_caches(f.iova);
	CHECK_OK(siommu_iova_alloc(f.iova, UINT64_MAX, UINT64_MAX, &f.held));
	CHECK_EQ(f.held, 0);
	CHECK_OK(siommu_iova_free(f.iova, 0, UINT64_MAX));
	fx_fini(&f);
	return 0;
}
