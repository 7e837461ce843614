/* SPDX-License-Identifier: MIT */
/*
 * VT-d translation: first stage 4/5-level with 4K/2M/1G pages, second stage
 * 3/4/5-level, nested, pass-through, RID_PASID, A/D updates, permissions,
 * translation disabled, PASID width, the IOTLB, the interrupt window.
 */
#include "vtd_test.h"

#define RID 0x0108	/* 01:01.0 */
#define RID_HI 0x01a3	/* devfn >= 128: upper context table */

static uint64_t entry(struct vt *t, enum siommu_vtd_fmt fmt, uint64_t root,
		      unsigned int levels, uint64_t iova)
{
	uint64_t pa, size, e;

	CHECK_OK(siommu_vtd_build_leaf(t->mem, fmt, root, levels, iova, &pa, &size));
	CHECK_OK(siommu_mem_load64(t->mem, pa, &e));
	return e;
}

static uint64_t entry_pa(struct vt *t, enum siommu_vtd_fmt fmt, uint64_t root,
			 unsigned int levels, uint64_t iova)
{
	uint64_t pa, size;

	CHECK_OK(siommu_vtd_build_leaf(t->mem, fmt, root, levels, iova, &pa, &size));
	return pa;
}

/* The PA of the entry at @level (0: the last table's) on the walk of @iova. */
static uint64_t level_pa(struct vt *t, uint64_t root, unsigned int levels,
			 unsigned int level, uint64_t iova)
{
	uint64_t table = root, e;
	unsigned int l;

	for (l = levels - 1; l > level; l--) {
		CHECK_OK(siommu_mem_load64(t->mem, table + ((iova >> (12 + 9 * l)) & 511) * 8,
					   &e));
		table = e & 0xffffffffff000ull;
	}
	return table + ((iova >> (12 + 9 * level)) & 511) * 8;
}

static void set_clear(struct vt *t, uint64_t pa, uint64_t set, uint64_t clear)
{
	uint64_t e;

	CHECK_OK(siommu_mem_load64(t->mem, pa, &e));
	CHECK_OK(siommu_mem_store64(t->mem, pa, (e & ~clear) | set));
}

/* The walks the unit has made so far (stats.walks). */
static uint64_t walks(struct vt *t)
{
	struct siommu_vtd_stats st;

	siommu_vtd_get_stats(t->v, &st);
	return st.walks;
}

/* Rewrite PASID entry @pasid from @p and invalidate what cached it. */
static void pasid_rewrite(struct vt *t, const struct siommu_vtd_pasid_desc *p,
			  uint32_t pasid)
{
	CHECK_OK(siommu_vtd_build_pasid(t->mem, t->root, RID, pasid, p));
	vt_inv(t, siommu_vtd_desc_pc(1, p->did, pasid));
	vt_inv(t, siommu_vtd_desc_iotlb(2, p->did, 0, 0, false));
}

/* With SRE = 0: a user read of @iova succeeds (and is cached), and a
 * supervisor read through the same entry still faults 0x5d. */
static void check_sre_over_hit(struct vt *t, uint32_t pasid, uint64_t iova)
{
	struct siommu_vtd_req r = vt_req(RID, true, pasid, iova, SIOMMU_VTD_READ);
	struct siommu_vtd_xlate x;

	CHECK_OK(siommu_vtd_translate(t->v, &r, &x));
	r.priv = true;
	CHECK_EQ(siommu_vtd_translate(t->v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_SRE);
}

static void test_fs(unsigned int levels)
{
	struct siommu_vtd_cfg c = { .aw = levels == 5 ? 57 : 48 };
	uint64_t base = levels == 5 ? 1ull << 55 : 1ull << 40;
	uint64_t fs, p4k, p2m, p1g, e, a;
	struct siommu_vtd_xlate x;
	struct vt t;

	vt_init(&t, &c);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 5, 1, levels);
	p4k = vt_page(&t);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &p2m));
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_1G, SIOMMU_MEM_DMA, &p1g));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, levels, base, p4k,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
				      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, levels,
				      base + SIOMMU_SZ_2M, p2m, SIOMMU_SZ_2M,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, levels,
				      base + SIOMMU_SZ_1G, p1g, SIOMMU_SZ_1G,
				      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));

	/* 4K, user read: A set at every level, D not. */
	CHECK_EQ(vt_xlate(&t, RID, true, 5, base + 0x123, SIOMMU_VTD_READ, &x), 0);
	CHECK_EQ(x.addr, p4k + 0x123);
	CHECK_EQ(x.size, SIOMMU_SZ_4K);
	CHECK_EQ(x.iova_base, base);
	CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);
	e = entry(&t, SIOMMU_VTD_FMT_FS, fs, levels, base);
	CHECK(e & (1 << 5));
	CHECK(!(e & (1 << 6)));
	{
		/* Every level's A bit. */
		uint64_t table = fs, ent;
		unsigned int l;

		for (l = levels; l-- > 0;) {
			CHECK_OK(siommu_mem_load64(t.mem, table +
						   ((base >> (12 + 9 * l)) & 511) * 8,
						   &ent));
			CHECK(ent & (1 << 5));
			table = ent & 0xffffffffff000ull;
		}
	}
	/* Write: D set on the leaf (the cached entry had D clear: re-walk). */
	CHECK_EQ(vt_xlate_ok(&t, RID, true, 5, base + 8, SIOMMU_VTD_WRITE), p4k + 8);
	e = entry(&t, SIOMMU_VTD_FMT_FS, fs, levels, base);
	CHECK(e & (1 << 6));

	/* 2M read-only user page. */
	CHECK_EQ(vt_xlate(&t, RID, true, 5, base + SIOMMU_SZ_2M + 0x12345,
			  SIOMMU_VTD_READ, &x), 0);
	CHECK_EQ(x.addr, p2m + 0x12345);
	CHECK_EQ(x.size, SIOMMU_SZ_2M);
	CHECK_EQ(vt_xlate(&t, RID, true, 5, base + SIOMMU_SZ_2M, SIOMMU_VTD_WRITE, NULL),
		 SIOMMU_VTD_FR_WRITE);
	e = entry(&t, SIOMMU_VTD_FMT_FS, fs, levels, base + SIOMMU_SZ_2M);
	CHECK(!(e & (1 << 6)));		/* no D for a refused write */

	/* 1G supervisor-only page: a user request faults 0x81. */
	CHECK_EQ(vt_xlate(&t, RID, true, 5, base + SIOMMU_SZ_1G + 0x3456789,
			  SIOMMU_VTD_READ, NULL), SIOMMU_VTD_FR_FS_USER);
	{
		struct siommu_vtd_req r = vt_req(RID, true, 5,
						 base + SIOMMU_SZ_1G + 0x3456789,
						 SIOMMU_VTD_WRITE);

		r.priv = true;
		CHECK_OK(siommu_vtd_translate(t.v, &r, &x));
		CHECK_EQ(x.addr, p1g + 0x3456789);
		CHECK_EQ(x.size, SIOMMU_SZ_1G);
	}
	/* Execute: XD set by the builder for non-exec mappings. */
	CHECK_EQ(vt_xlate(&t, RID, true, 5, base, SIOMMU_VTD_EXEC, NULL),
		 SIOMMU_VTD_FR_EXEC);
	/* Not mapped -> 0x71. */
	CHECK_EQ(vt_xlate(&t, RID, true, 5, base + 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	/* Non-canonical input -> 0x80. */
	a = 1ull << (levels == 5 ? 56 : 47);
	CHECK_EQ(vt_xlate(&t, RID, true, 5, a, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_CANONICAL);
	/* The upper canonical half is valid input. */
	CHECK_EQ(vt_xlate(&t, RID, true, 5, ~0ull << (levels == 5 ? 56 : 47),
			  SIOMMU_VTD_READ, NULL), SIOMMU_VTD_FR_FS_NP);
	vt_fini(&t);
}

/*
 * First-stage permissions are those of the whole walk (VT-d 3.6.2): R/W
 * and U/S ANDed, XD ORed over the levels, whether the upper levels are
 * read from memory or from the paging-structure cache (the second page of
 * each table). D is set by the writes that are allowed, and only by them.
 */
static void test_fs_levels(void)
{
	const uint64_t ro = 0, xd = SIOMMU_SZ_1G, sup = 2 * SIOMMU_SZ_1G;
	struct siommu_vtd_req r;
	struct siommu_vtd_xlate x;
	uint64_t fs, pg, i, j;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 4, 1, 4);
	pg = vt_page(&t);
	for (i = 0; i < 3; i++)
		for (j = 1; j <= 2; j++)
			CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4,
						      i * SIOMMU_SZ_1G + j * 0x1000, pg,
						      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
						      SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC |
						      SIOMMU_VTD_BUILD_USER));
	/* R/W = 0 in a PDE, XD = 1 and U/S = 0 in PDPTEs. */
	set_clear(&t, level_pa(&t, fs, 4, 1, ro), 0, 1 << 1);
	set_clear(&t, level_pa(&t, fs, 4, 2, xd), 1ull << 63, 0);
	set_clear(&t, level_pa(&t, fs, 4, 2, sup), 0, 1 << 2);
	for (j = 0x1000; j <= 0x2000; j += 0x1000) {
		CHECK_EQ(vt_xlate(&t, RID, true, 4, ro + j, SIOMMU_VTD_WRITE, NULL),
			 SIOMMU_VTD_FR_WRITE);
		CHECK_EQ(vt_xlate(&t, RID, true, 4, ro + j, SIOMMU_VTD_READ, &x), 0);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_EXEC);
		CHECK(!(entry(&t, SIOMMU_VTD_FMT_FS, fs, 4, ro + j) & (1 << 6)));

		CHECK_EQ(vt_xlate(&t, RID, true, 4, xd + j, SIOMMU_VTD_EXEC, NULL),
			 SIOMMU_VTD_FR_EXEC);
		CHECK_EQ(vt_xlate(&t, RID, true, 4, xd + j, SIOMMU_VTD_READ, &x), 0);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);

		CHECK_EQ(vt_xlate(&t, RID, true, 4, sup + j, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_FS_USER);
		CHECK_EQ(vt_xlate(&t, RID, true, 4, sup + j, SIOMMU_VTD_WRITE, NULL),
			 SIOMMU_VTD_FR_FS_USER);
		CHECK(!(entry(&t, SIOMMU_VTD_FMT_FS, fs, 4, sup + j) & (1 << 6)));
	}
	/* Supervisor writes: through the U/S = 0 PDPTE, and (WPE = 0) through
	 * the R/W = 0 PDE; both allowed, both set D. */
	r = vt_req(RID, true, 4, sup + 0x1000, SIOMMU_VTD_WRITE);
	r.priv = true;
	CHECK_OK(siommu_vtd_translate(t.v, &r, &x));
	CHECK(entry(&t, SIOMMU_VTD_FMT_FS, fs, 4, sup + 0x1000) & (1 << 6));
	r.iova = ro + 0x1000;
	CHECK_OK(siommu_vtd_translate(t.v, &r, &x));
	CHECK(entry(&t, SIOMMU_VTD_FMT_FS, fs, 4, ro + 0x1000) & (1 << 6));
	vt_fini(&t);
}

/* The PASID entry's WPE, SRE and ERE. */
static void test_wpe(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 3,
					   .fs_levels = 4, .sre = true };
	struct siommu_vtd_req r = vt_req(RID, true, 9, 0x10000, SIOMMU_VTD_WRITE);
	struct siommu_vtd_xlate x;
	struct vt t;
	uint64_t pg;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.fs_root));
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x10000,
				      pg, SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x5000,
				      pg, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_EXEC | SIOMMU_VTD_BUILD_USER));
	/* WPE = 0: a supervisor write to a read-only page is allowed. */
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 9, &p));
	r.priv = true;
	CHECK_OK(siommu_vtd_translate(t.v, &r, &x));
	/* WPE = 1: it is not. */
	p.wpe = true;
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 9, &p));
	vt_inv(&t, siommu_vtd_desc_pc(1, 3, 9));
	vt_inv(&t, siommu_vtd_desc_piotlb(2, 3, 9, 0, 0, false));
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_WRITE);
	/* The refused write set no D (the allowed one, with WPE = 0, did). */
	{
		uint64_t e;

		CHECK_OK(siommu_mem_store64(t.mem, entry_pa(&t, SIOMMU_VTD_FMT_FS, p.fs_root,
							    4, 0x10000),
					    entry(&t, SIOMMU_VTD_FMT_FS, p.fs_root, 4,
						  0x10000) & ~(1ull << 6)));
		vt_inv(&t, siommu_vtd_desc_piotlb(2, 3, 9, 0, 0, false));
		CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EFAULT);
		e = entry(&t, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x10000);
		CHECK(e & (1 << 5));
		CHECK(!(e & (1 << 6)));
	}
	/* SRE = 0: supervisor requests fault 0x5d; ERE = 0: exec 0x5c. */
	p.sre = false;
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 9, &p));
	vt_inv(&t, siommu_vtd_desc_pc(1, 3, 9));
	vt_inv(&t, siommu_vtd_desc_piotlb(2, 3, 9, 0, 0, false));
	r.access = SIOMMU_VTD_READ;
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_SRE);
	r.priv = false;
	r.access = SIOMMU_VTD_EXEC;
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_ERE);
	/* ... whatever the IOTLB holds. */
	check_sre_over_hit(&t, 9, 0x5000);
	/* ATS completions carry execute permission only with ERE. */
	r = vt_req(RID, true, 9, 0x5000, SIOMMU_VTD_READ);
	CHECK_OK(siommu_vtd_ats_translate(t.v, &r, &x));
	CHECK_EQ(x.perm, SIOMMU_VTD_READ);
	p.ere = true;
	pasid_rewrite(&t, &p, 9);
	CHECK_OK(siommu_vtd_ats_translate(t.v, &r, &x));
	CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_EXEC);
	vt_fini(&t);
}

static void test_ss(unsigned int levels)
{
	struct siommu_vtd_cfg c = { .aw = 30 + 9 * (levels - 2) };
	uint64_t ss, p4k, p2m, p1g, e, top = 1ull << c.aw;
	struct siommu_vtd_xlate x;
	struct vt t;

	vt_init(&t, &c);
	vt_ctx(&t, RID_HI, true, 0);
	ss = vt_pasid_ss(&t, RID_HI, 0, 7, levels);
	p4k = vt_page(&t);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &p2m));
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_1G, SIOMMU_MEM_DMA, &p1g));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, levels,
				      top - SIOMMU_SZ_4K, p4k, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, levels,
				      SIOMMU_SZ_2M, p2m, SIOMMU_SZ_2M,
				      SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, levels,
				      SIOMMU_SZ_1G, p1g, SIOMMU_SZ_1G,
				      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
				      SIOMMU_VTD_EXEC));
	/* Requests without PASID use RID_PASID 0. */
	CHECK_EQ(vt_xlate_ok(&t, RID_HI, false, 0, top - 1, SIOMMU_VTD_READ),
		 p4k + 0xfff);
	CHECK_EQ(vt_xlate(&t, RID_HI, false, 0, top - 1, SIOMMU_VTD_WRITE, NULL),
		 SIOMMU_VTD_FR_WRITE);
	/* Write-only 2M page: reads fault 0x86. */
	CHECK_EQ(vt_xlate(&t, RID_HI, true, 0, SIOMMU_SZ_2M + 5, SIOMMU_VTD_WRITE, &x), 0);
	CHECK_EQ(x.addr, p2m + 5);
	CHECK_EQ(x.size, SIOMMU_SZ_2M);
	CHECK_EQ(vt_xlate(&t, RID_HI, true, 0, SIOMMU_SZ_2M, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_READ);
	CHECK_EQ(vt_xlate(&t, RID_HI, true, 0, SIOMMU_SZ_1G + 0x1234567,
			  SIOMMU_VTD_READ | SIOMMU_VTD_EXEC, &x), 0);
	CHECK_EQ(x.addr, p1g + 0x1234567);
	CHECK_EQ(x.size, SIOMMU_SZ_1G);
	/* No A/D without SSADE. */
	e = entry(&t, SIOMMU_VTD_FMT_SS, ss, levels, SIOMMU_SZ_1G);
	CHECK(!(e & (1 << 8)));
	/* Beyond the width: 0x83. */
	if (levels < 5)
		CHECK_EQ(vt_xlate(&t, RID_HI, true, 0, top, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_ADDR_BEYOND);
	/* R = W = 0 is not present: 0x79. */
	CHECK_EQ(vt_xlate(&t, RID_HI, true, 0, 0x5000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_SS_NP);
	vt_fini(&t);
}

/*
 * Second-stage A/D and permissions: A on use, D only for writes the entry
 * allows; X only with SSEE; SRE = 0 leaves supervisor requests nothing,
 * even through an entry a user request cached; without SSADE every entry
 * counts as dirty, so a write after a read hits the IOTLB.
 */
static void test_ss_ad(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_SS, .did = 2,
					   .ss_levels = 4, .ssade = true, .ere = true,
					   .sre = true };
	struct siommu_vtd_req r = vt_req(RID, true, 0, 0x8000, SIOMMU_VTD_WRITE);
	struct siommu_vtd_xlate x;
	struct vt t;
	uint64_t pg, e, n;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.ss_root));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 0, &p));
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4, 0x7000,
				      pg, SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4, 0x8000,
				      pg, SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_EXEC));
	vt_xlate_ok(&t, RID, false, 0, 0x7000, SIOMMU_VTD_READ);
	e = entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, 0x7000);
	CHECK((e & (3 << 8)) == (1 << 8));
	vt_xlate_ok(&t, RID, false, 0, 0x7000, SIOMMU_VTD_WRITE);
	e = entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, 0x7000);
	CHECK((e & (3 << 8)) == (3 << 8));
	/* A refused write sets A, not D. */
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_WRITE);
	CHECK_EQ(entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, 0x8000) & (3 << 8), 1 << 8);
	/* SSEE = 0: X in the entries grants nothing. */
	CHECK_EQ(vt_xlate(&t, RID, true, 0, 0x8000, SIOMMU_VTD_EXEC, NULL),
		 SIOMMU_VTD_FR_EXEC);
	p.ssee = true;
	pasid_rewrite(&t, &p, 0);
	CHECK_EQ(vt_xlate(&t, RID, true, 0, 0x8000, SIOMMU_VTD_EXEC, NULL), 0);
	/* SRE = 0. */
	p.sre = false;
	pasid_rewrite(&t, &p, 0);
	check_sre_over_hit(&t, 0, 0x7000);
	/* SSADE = 0: a write after a read is an IOTLB hit, D clear or not. */
	e = entry_pa(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, 0x7000);
	CHECK_OK(siommu_mem_store64(t.mem, e, entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4,
						    0x7000) & ~(3ull << 8)));
	p.ssade = false;
	pasid_rewrite(&t, &p, 0);
	CHECK_EQ(vt_xlate(&t, RID, true, 0, 0x7000, SIOMMU_VTD_READ, NULL), 0);
	n = walks(&t);
	CHECK_EQ(vt_xlate(&t, RID, true, 0, 0x7000, SIOMMU_VTD_WRITE, NULL), 0);
	CHECK_EQ(walks(&t), n);
	vt_fini(&t);
}

/*
 * Second-stage permissions are those of the whole walk too: R and W ANDed
 * over the levels (from memory or from the paging-structure cache), X of
 * the leaf counts under SSEE. With SSADE, A is set at every level and a
 * write an upper level refuses sets no D.
 */
static void test_ss_levels(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_SS, .did = 5,
					   .ss_levels = 4, .ssade = true, .ssee = true,
					   .ere = true, .sre = true };
	const uint64_t ro = 0, wo = SIOMMU_SZ_1G, nx = 2 * SIOMMU_SZ_1G;
	struct siommu_vtd_xlate x;
	uint64_t pg, i, j;
	unsigned int l;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.ss_root));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 6, &p));
	pg = vt_page(&t);
	for (i = 0; i < 3; i++)
		for (j = 1; j <= 2; j++)
			CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4,
						      i * SIOMMU_SZ_1G + j * 0x1000, pg,
						      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
						      SIOMMU_VTD_WRITE |
						      (i == 2 ? 0 : SIOMMU_VTD_EXEC)));
	/* W = 0 in a PDE, R = 0 in a PDPTE. */
	set_clear(&t, level_pa(&t, p.ss_root, 4, 1, ro), 0, 1 << 1);
	set_clear(&t, level_pa(&t, p.ss_root, 4, 2, wo), 0, 1 << 0);
	for (j = 0x1000; j <= 0x2000; j += 0x1000) {
		CHECK_EQ(vt_xlate(&t, RID, true, 6, ro + j, SIOMMU_VTD_WRITE, NULL),
			 SIOMMU_VTD_FR_WRITE);
		CHECK_EQ(vt_xlate(&t, RID, true, 6, ro + j, SIOMMU_VTD_READ, &x), 0);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_EXEC);
		CHECK_EQ(entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, ro + j) & (3 << 8),
			 1 << 8);

		CHECK_EQ(vt_xlate(&t, RID, true, 6, wo + j, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_READ);
		CHECK_EQ(vt_xlate(&t, RID, true, 6, wo + j, SIOMMU_VTD_WRITE, &x), 0);
		CHECK_EQ(x.perm & (SIOMMU_VTD_READ | SIOMMU_VTD_WRITE), SIOMMU_VTD_WRITE);

		CHECK_EQ(vt_xlate(&t, RID, true, 6, nx + j, SIOMMU_VTD_EXEC, NULL),
			 SIOMMU_VTD_FR_EXEC);
		CHECK_EQ(vt_xlate(&t, RID, true, 6, nx + j, SIOMMU_VTD_READ, &x), 0);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);
	}
	for (l = 0; l < 4; l++)
		for (i = 0; i < 3; i++) {
			uint64_t e;

			CHECK_OK(siommu_mem_load64(t.mem, level_pa(&t, p.ss_root, 4, l,
								   i * SIOMMU_SZ_1G + 0x1000),
						   &e));
			CHECK(e & (1 << 8));
		}
	vt_fini(&t);
}

/* A unit with RID's context, and new (empty) root tables in @p. */
static void nest_init(struct vt *t, struct siommu_vtd_pasid_desc *p)
{
	vt_init(t, NULL);
	vt_ctx(t, RID, true, 0);
	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &p->fs_root));
	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &p->ss_root));
}

/* Nested: FS tables and output are GPAs translated by SS (VT-d 3.8). */
static void test_nested(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_NEST, .did = 4,
					   .fs_levels = 4, .ss_levels = 4, .sre = true };
	const uint64_t gpa = 0x40000000, gpa_ro = 0x40200000, gpa_none = 0x40400000;
	uint64_t hpa, hpa_ro, g;
	struct siommu_vtd_xlate x;
	struct vt t;

	nest_init(&t, &p);
	/* SS: identity for the frame pool (where FS tables live), 1G pages. */
	for (g = SIOMMU_MEM_DEFAULT_POOL_BASE;
	     g < SIOMMU_MEM_DEFAULT_POOL_BASE + SIOMMU_MEM_DEFAULT_POOL_SIZE;
	     g += SIOMMU_SZ_1G)
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4,
					      g, g, SIOMMU_SZ_1G,
					      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	hpa = vt_page(&t);
	hpa_ro = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4, gpa, hpa,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4, gpa_ro,
				      hpa_ro, SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x1000,
				      gpa, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x2000,
				      gpa_ro, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x3000,
				      gpa_none, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x5000,
				      gpa_ro, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 1, &p));

	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x1abc, SIOMMU_VTD_WRITE, &x), 0);
	CHECK_EQ(x.addr, hpa + 0xabc);
	CHECK_EQ(x.size, SIOMMU_SZ_4K);
	/* FS allows write, SS does not. */
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x2000, SIOMMU_VTD_READ, &x), 0);
	CHECK_EQ(x.addr, hpa_ro);
	CHECK_EQ(x.perm, SIOMMU_VTD_READ);
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x2000, SIOMMU_VTD_WRITE, NULL),
		 SIOMMU_VTD_FR_WRITE);
	/* A supervisor request: FS's supervisor permissions, limited by SS. */
	{
		struct siommu_vtd_req r = vt_req(RID, true, 1, 0x5010, SIOMMU_VTD_READ);

		r.priv = true;
		CHECK_OK(siommu_vtd_translate(t.v, &r, &x));
		CHECK_EQ(x.addr, hpa_ro + 0x10);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ);
		r.access = SIOMMU_VTD_WRITE;
		CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EFAULT);
		CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_WRITE);
	}
	/* FS output GPA not mapped by SS. */
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x3000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_SS_NP);
	/* Nested walks neither use nor fill the paging-structure cache. */
	{
		struct siommu_vtd_stats st;

		siommu_vtd_get_stats(t.v, &st);
		CHECK_EQ(st.psc_hit + st.psc_miss, 0);
	}
	/* SS must allow reading each FS table and writing it for A/D. */
	{
		struct siommu_vtd_pasid_desc q = p;
		uint64_t t4, t3, t2, t1, e;

		CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &q.fs_root));
		CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &q.ss_root));
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, q.fs_root, 4,
					      0x1000, gpa, SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, q.ss_root, 4,
					      gpa, hpa, SIOMMU_SZ_4K, SIOMMU_VTD_READ));
		t4 = q.fs_root;
		CHECK_OK(siommu_mem_load64(t.mem, t4, &e));
		t3 = e & 0xffffffffff000ull;
		CHECK_OK(siommu_mem_load64(t.mem, t3, &e));
		t2 = e & 0xffffffffff000ull;
		CHECK_OK(siommu_mem_load64(t.mem, t2, &e));
		t1 = e & 0xffffffffff000ull;
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, q.ss_root, 4, t4,
					      t4, SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, q.ss_root, 4, t3,
					      t3, SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, q.ss_root, 4, t2,
					      t2, SIOMMU_SZ_4K, SIOMMU_VTD_READ));
		CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 5, &q));
		/* The PD entry needs its A bit set; its table is read-only. */
		CHECK_EQ(vt_xlate(&t, RID, true, 5, 0x1000, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_NEST_FS_WRITE);
		CHECK_OK(siommu_mem_load64(t.mem, t2, &e));
		CHECK_OK(siommu_mem_store64(t.mem, t2, e | (1 << 5)));
		/* Now the last FS table is not mapped by SS at all. */
		CHECK_EQ(vt_xlate(&t, RID, true, 5, 0x1000, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_NEST_FS_READ);
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, q.ss_root, 4, t1,
					      t1, SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
		CHECK_EQ(vt_xlate_ok(&t, RID, true, 5, 0x1000, SIOMMU_VTD_READ), hpa);
	}
	/* FS root GPA not mapped by SS. */
	p.fs_root = 0x80000000;
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 2, &p));
	CHECK_EQ(vt_xlate(&t, RID, true, 2, 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_NEST_FS_ROOT);
	/* FS root GPA beyond the SS width. */
	p.fs_root = 1ull << 50;
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 3, &p));
	CHECK_EQ(vt_xlate(&t, RID, true, 3, 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_NEST_FS_BEYOND);
	vt_fini(&t);
}

/*
 * Nested, continued: the FS root must be readable through SS; the IOTLB
 * entry is the smaller of the two pages; a write FS refuses faults at FS,
 * before SS sets any D bit; the entry is dirty only if both leaves are.
 */
static void test_nested_more(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_NEST, .did = 6,
					   .fs_levels = 4, .ss_levels = 4,
					   .ssade = true };
	const uint64_t gpa = 0x40600000;	/* 2M-aligned */
	uint64_t hpa, g, fs_top, e;
	struct siommu_vtd_xlate x;
	struct vt t;

	nest_init(&t, &p);
	fs_top = p.fs_root;
	/* SS: the frame pool (FS tables) in 2M pages, but the FS root's 2M
	 * region write-only. */
	for (g = SIOMMU_MEM_DEFAULT_POOL_BASE;
	     g < SIOMMU_MEM_DEFAULT_POOL_BASE + SIOMMU_SZ_1G; g += SIOMMU_SZ_2M)
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4, g, g,
					      SIOMMU_SZ_2M,
					      g == (fs_top & ~(SIOMMU_SZ_2M - 1)) ?
					      SIOMMU_VTD_WRITE :
					      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	CHECK(fs_top < SIOMMU_MEM_DEFAULT_POOL_BASE + SIOMMU_SZ_1G);
	hpa = vt_page(&t);
	/* FS: a 2M page at 0x200000 -> gpa, and a 4K read-only page. */
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x200000,
				      gpa, SIOMMU_SZ_2M, SIOMMU_VTD_READ |
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x1000,
				      gpa + 0x3000, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	/* SS: one 4K page inside FS's 2M page. */
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4,
				      gpa + 0x3000, hpa, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 1, &p));
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x203abc, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_NEST_FS_ROOT);
	/* Make the FS root's region readable. */
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_SS, p.ss_root, 4, fs_top,
				       &g, &e));
	CHECK_OK(siommu_mem_load64(t.mem, g, &e));
	CHECK_OK(siommu_mem_store64(t.mem, g, e | 1));
	vt_inv(&t, siommu_vtd_desc_iotlb(2, 6, 0, 0, false));
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x203abc, SIOMMU_VTD_READ, &x), 0);
	CHECK_EQ(x.addr, hpa + 0xabc);
	CHECK_EQ(x.size, SIOMMU_SZ_4K);
	CHECK_EQ(x.iova_base, 0x203000);
	/* FS refuses the write: SS's leaf gets no D. */
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x1000, SIOMMU_VTD_WRITE, NULL),
		 SIOMMU_VTD_FR_WRITE);
	e = entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, gpa + 0x3000);
	CHECK(!(e & (1 << 9)));
	/* A write sets both D bits; with SS's cleared again, a read caches a
	 * clean entry, and the next write walks to set it. */
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x203000, SIOMMU_VTD_WRITE, NULL), 0);
	CHECK(entry(&t, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x200000) & (1 << 6));
	g = entry_pa(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, gpa + 0x3000);
	CHECK_OK(siommu_mem_load64(t.mem, g, &e));
	CHECK(e & (1 << 9));
	CHECK_OK(siommu_mem_store64(t.mem, g, e & ~(1ull << 9)));
	vt_inv(&t, siommu_vtd_desc_iotlb(2, 6, 0, 0, false));
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x203000, SIOMMU_VTD_READ, NULL), 0);
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x203000, SIOMMU_VTD_WRITE, NULL), 0);
	CHECK(entry(&t, SIOMMU_VTD_FMT_SS, p.ss_root, 4, gpa + 0x3000) & (1 << 9));
	vt_fini(&t);
}

static void test_pt_and_te(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_PT, .did = 9 };
	struct siommu_vtd_xlate x;
	struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_PT };
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, false, 17);
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 17, &p));
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 0x123456789ull, SIOMMU_VTD_WRITE, &x), 0);
	CHECK_EQ(x.addr, 0x123456789ull);
	/* Beyond HAW. */
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 1ull << 50, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ADDR_BEYOND);
	/* Output in the interrupt range (request with PASID is translated). */
	vt_ctx(&t, RID, true, 17);
	vt_inv(&t, siommu_vtd_desc_cc(3, 0, RID, 0));
	CHECK_EQ(vt_xlate(&t, RID, true, 17, 0xfee00010, SIOMMU_VTD_WRITE, NULL),
		 SIOMMU_VTD_FR_INTR_RANGE);
	/* Without PASID that address is an interrupt request. */
	{
		struct siommu_vtd_req r = vt_req(RID, false, 0, 0xfee00000,
						 SIOMMU_VTD_WRITE);

		CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -ENOTSUP);
		r.iova = 0xfeefffff;
		CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -ENOTSUP);
		r.iova = 0xfef00000;
		CHECK_OK(siommu_vtd_translate(t.v, &r, &x));
		CHECK_EQ(x.addr, 0xfef00000);
	}
	/* SRE = 0. */
	check_sre_over_hit(&t, 17, 0x5000);
	/* TE off: untranslated. */
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_QIE);
	CHECK_EQ(vt_xlate(&t, 0x4242, true, 77, 0x9999000, SIOMMU_VTD_READ, &x), 0);
	CHECK_EQ(x.addr, 0x9999000);
	CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC);
	CHECK_EQ(vt_xlate(&t, 0x4242, false, 0, 0x9999abc, SIOMMU_VTD_WRITE, &x), 0);
	CHECK_EQ(x.addr, 0x9999abc);
	CHECK_EQ(x.iova_base, 0x9999000);
	CHECK_EQ(x.addr_base, 0x9999000);
	CHECK_EQ(x.size, SIOMMU_SZ_4K);
	vt_fini(&t);

	/* PGTT pass-through without ECAP.PT: invalid PASID entry. */
	vt_init(&t, &c);
	vt_ctx(&t, RID, false, 0);
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 0, &p));
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_PTE_INVALID);
	vt_fini(&t);
}

/* RID_PASID selects the PASID entry; with-PASID requests need PASIDE. */
static void test_rid_pasid(void)
{
	struct vt t;
	uint64_t fs, p1, p2;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, false, 300);
	fs = vt_pasid_fs(&t, RID, 300, 1, 4);
	p1 = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, p1,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	fs = vt_pasid_fs(&t, RID, 0, 2, 4);
	p2 = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, p2,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_EQ(vt_xlate_ok(&t, RID, false, 0, 0x1000, SIOMMU_VTD_READ), p1);
	/* PASIDE clear: requests with PASID fault 0x45. */
	CHECK_EQ(vt_xlate(&t, RID, true, 0, 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_CTX_PASIDE);
	vt_ctx(&t, RID, true, 300);
	vt_inv(&t, siommu_vtd_desc_cc(1, 0, 0, 0));
	CHECK_EQ(vt_xlate_ok(&t, RID, true, 0, 0x1000, SIOMMU_VTD_READ), p2);
	CHECK_EQ(vt_xlate_ok(&t, RID, true, 300, 0x1000, SIOMMU_VTD_READ), p1);
	CHECK_EQ(vt_xlate_ok(&t, RID, false, 0, 0x1000, SIOMMU_VTD_READ), p1);
	vt_fini(&t);
}

/* Requests without PASID take their privilege from RID_PRIV (VT-d 9.4). */
static void test_rid_priv(void)
{
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .rid_pasid = 0, .rid_priv = true };
	uint64_t fs, pg;
	struct vt t;

	vt_init(&t, NULL);
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	fs = vt_pasid_fs(&t, RID, 0, 1, 4);
	pg = vt_page(&t);
	/* A supervisor-only page. */
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_EQ(vt_xlate_ok(&t, RID, false, 0, 0x1000, SIOMMU_VTD_READ), pg);
	cd.rid_priv = false;
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	vt_inv(&t, siommu_vtd_desc_cc(1, 0, 0, 0));
	vt_inv(&t, siommu_vtd_desc_pc(3, 0, 0));
	vt_inv(&t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_USER);
	vt_fini(&t);
}

/* PASID width: ECAP.PSS and the context's PDTS bound the PASID. */
static void test_pasid_width(void)
{
	struct siommu_vtd_cfg c = { .pasid_bits = 8 };
	struct siommu_vtd_ctx_desc cd = { .pdts = 0, .paside = true };
	struct vt t;

	vt_init(&t, &c);
	vt_ctx(&t, RID, true, 0);
	vt_pasid_fs(&t, RID, 255, 1, 4);
	CHECK_EQ(vt_xlate(&t, RID, true, 255, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	CHECK_EQ(vt_xlate(&t, RID, true, 256, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_CTX_PASID_RANGE);
	{
		struct siommu_vtd_req r = vt_req(RID, true, 1u << 20, 0, SIOMMU_VTD_READ);
		struct siommu_vtd_xlate x;

		CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EINVAL);
	}
	/* PDTS = 0: 2^7 directory entries of 64 PASIDs = 8192 PASIDs. */
	vt_fini(&t);
	vt_init(&t, NULL);
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	vt_pasid_fs(&t, RID, 8191, 1, 4);
	CHECK_EQ(siommu_vtd_build_pasid(t.mem, t.root, RID, 8192,
					&(struct siommu_vtd_pasid_desc){
						.pgtt = 4 }), -ERANGE);
	CHECK_EQ(vt_xlate(&t, RID, true, 8191, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	CHECK_EQ(vt_xlate(&t, RID, true, 8192, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_CTX_PASID_RANGE);
	/* RID_PASID at the directory's last PASID; beyond it: 0x48. */
	cd.rid_pasid = 8191;
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	vt_inv(&t, siommu_vtd_desc_cc(1, 0, 0, 0));
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	cd.rid_pasid = 8192;
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	vt_inv(&t, siommu_vtd_desc_cc(1, 0, 0, 0));
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_RID_PASID);
	vt_fini(&t);
}

/* Caching: hits are counted; only successes are cached (CM = 0). */
static void test_iotlb(void)
{
	struct siommu_vtd_stats st;
	struct vt t;
	uint64_t fs, pg;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	pg = vt_page(&t);
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x4000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	/* Not-present -> present needs no invalidation with CM = 0. */
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x4000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	siommu_vtd_get_stats(t.v, &st);
	CHECK_EQ(st.iotlb_hit, 0);
	CHECK_EQ(vt_xlate_ok(&t, RID, true, 1, 0x4000, SIOMMU_VTD_READ), pg);
	CHECK_EQ(vt_xlate_ok(&t, RID, true, 1, 0x4008, SIOMMU_VTD_READ), pg + 8);
	siommu_vtd_get_stats(t.v, &st);
	CHECK_EQ(st.iotlb_hit, 1);
	CHECK_EQ(st.iotlb_miss, 2);
	CHECK(st.faults >= 1);
	/* Cached: an unmap without invalidation is not seen... */
	CHECK_OK(siommu_vtd_build_unmap(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x4000));
	CHECK_EQ(vt_xlate_ok(&t, RID, true, 1, 0x4000, SIOMMU_VTD_READ), pg);
	/* ...until the IOTLB is invalidated. */
	vt_inv(&t, siommu_vtd_desc_piotlb(3, 1, 1, 0x4000, 0, false));
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0x4000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	siommu_vtd_get_stats(t.v, &st);
	CHECK_EQ(st.iotlb_inv_entries, 1);
	vt_fini(&t);
}

/* Translates @r into a result record that holds an old fault; checks the
 * success and that the record's fault fields were cleared. */
static void xlate_over_fault(struct vt *t, const struct siommu_vtd_req *r,
			     struct siommu_vtd_xlate *x)
{
	memset(x, 0xa5, sizeof(*x));
	x->fault_reason = SIOMMU_VTD_FR_FS_NP;
	x->fault_recorded = true;
	CHECK_OK(siommu_vtd_translate(t->v, r, x));
	CHECK_EQ(x->fault_reason, 0);
	CHECK(!x->fault_recorded);
}

/*
 * Every field of a result, the same whether it comes from a walk or from
 * an IOTLB hit on a 4K or a 2M entry; a privileged request with PASID
 * gets the supervisor permissions from either. Bad accesses are refused
 * even when the page is cached.
 */
static void test_results(void)
{
	struct siommu_vtd_req r = vt_req(RID, true, 2, 0, SIOMMU_VTD_READ);
	struct siommu_vtd_stats st;
	struct siommu_vtd_xlate x;
	uint64_t fs, pg, p2m;
	unsigned int i;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 2, 1, 4);
	pg = vt_page(&t);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &p2m));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
				      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x3000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, SIOMMU_SZ_2M,
				      p2m, SIOMMU_SZ_2M, SIOMMU_VTD_READ |
				      SIOMMU_VTD_BUILD_USER));
	/* The first round walks, the second hits. */
	for (i = 0; i < 2; i++) {
		r.iova = 0x1234;
		xlate_over_fault(&t, &r, &x);
		CHECK_EQ(x.addr, pg + 0x234);
		CHECK_EQ(x.iova_base, 0x1000);
		CHECK_EQ(x.addr_base, pg);
		CHECK_EQ(x.size, SIOMMU_SZ_4K);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);

		r.iova = SIOMMU_SZ_2M + 0x12345;
		xlate_over_fault(&t, &r, &x);
		CHECK_EQ(x.addr, p2m + 0x12345);
		CHECK_EQ(x.iova_base, SIOMMU_SZ_2M);
		CHECK_EQ(x.addr_base, p2m);
		CHECK_EQ(x.size, SIOMMU_SZ_2M);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ);

		/* Supervisor-only page. */
		r.iova = 0x3010;
		r.priv = true;
		xlate_over_fault(&t, &r, &x);
		CHECK_EQ(x.addr, pg + 0x10);
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);
		r.priv = false;
	}
	siommu_vtd_get_stats(t.v, &st);
	CHECK_EQ(st.iotlb_hit, 3);
	/* No access, or one beyond R/W/X, on a cached page. */
	r.iova = 0x1000;
	r.access = 0;
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EINVAL);
	r.access = 8;
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EINVAL);
	r.access = SIOMMU_VTD_READ | 8;
	CHECK_EQ(siommu_vtd_translate(t.v, &r, &x), -EINVAL);
	vt_fini(&t);
}

int main(void)
{
	test_fs(4);
	test_fs(5);
	test_fs_levels();
	test_wpe();
	test_ss(3);
	test_ss(4);
	test_ss(5);
	test_ss_ad();
	test_ss_levels();
	test_nested();
	test_nested_more();
	test_rid_priv();
	test_pt_and_te();
	test_rid_pasid();
	test_pasid_width();
	test_iotlb();
	test_results();
	return 0;
}
