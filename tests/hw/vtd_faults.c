/* SPDX-License-Identifier: MIT */
/*
 * VT-d scalable-mode fault reasons (VT-d 7.1.3), one scenario each, built
 * by corrupting well-formed structures; FPD suppression of qualified faults
 * and the fault record contents.
 */
#include "vtd_test.h"

#define RID 0x0210
#define HOLE 0x3000		/* below the frame pool: not RAM */

static uint64_t ctx_pa(struct vt *t, uint16_t rid)
{
	uint64_t re;

	CHECK_OK(siommu_mem_load64(t->mem, t->root + (rid >> 8) * 16 +
				   ((rid & 0x80) ? 8 : 0), &re));
	return (re & ~0xfffull) + (rid & 0x7f) * 32;
}

static uint64_t dir_pa(struct vt *t, uint16_t rid, uint32_t pasid)
{
	uint64_t c0;

	CHECK_OK(siommu_mem_load64(t->mem, ctx_pa(t, rid), &c0));
	return (c0 & ~0xfffull) + (pasid >> 6) * 8;
}

static uint64_t pte_pa(struct vt *t, uint16_t rid, uint32_t pasid)
{
	uint64_t de;

	CHECK_OK(siommu_mem_load64(t->mem, dir_pa(t, rid, pasid), &de));
	return (de & ~0xfffull) + (pasid & 63) * 64;
}

static void flush_all(struct vt *t)
{
	vt_inv(t, siommu_vtd_desc_cc(1, 0, 0, 0));
	vt_inv(t, siommu_vtd_desc_pc(3, 0, 0));
	vt_inv(t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	vt_clear_faults(t);
}

static void poke(struct vt *t, uint64_t pa, uint64_t set, uint64_t clear)
{
	uint64_t v;

	CHECK_OK(siommu_mem_load64(t->mem, pa, &v));
	CHECK_OK(siommu_mem_store64(t->mem, pa, (v & ~clear) | set));
	flush_all(t);
}

static uint32_t rd(struct vt *t, uint32_t pasid, uint64_t iova)
{
	return vt_xlate(t, RID, true, pasid, iova, SIOMMU_VTD_READ, NULL);
}

static void test_root_ctx(void)
{
	struct vt t;
	uint64_t v;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	vt_pasid_fs(&t, RID, 1, 1, 4);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_NP);

	/* 0x30 / 0x31: legacy TTM (00b) is not modelled for requests
	 * without PASID; with PASID it is 0x31 (VT-d 7.1.3). */
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, t.root);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE |
	      SIOMMU_VTD_GCMD_SRTP);
	CHECK_EQ(vt_xlate(&t, RID, false, 0, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_RTA_INVALID);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_LEGACY_PASID);
	/* 0x38: root table not in RAM. */
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, HOLE | SIOMMU_VTD_RTADDR_SMT);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE |
	      SIOMMU_VTD_GCMD_SRTP);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_ROOT_ACCESS);
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, t.root | SIOMMU_VTD_RTADDR_SMT);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE |
	      SIOMMU_VTD_GCMD_SRTP);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_NP);

	/* 0x39: the upper half of bus 2 is not present. */
	CHECK_EQ(vt_xlate(&t, RID | 0x80, true, 1, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	/* 0x3a: reserved bit in the root entry. */
	poke(&t, t.root + 2 * 16, 1 << 3, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_ROOT_RSVD);
	poke(&t, t.root + 2 * 16, 0, 1 << 3);
	/* 0x3a: the context table's address above HAW. */
	poke(&t, t.root + 2 * 16, 1ull << 50, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_ROOT_RSVD);
	poke(&t, t.root + 2 * 16, 0, 1ull << 50);
	/* 0x40: context table not in RAM. */
	CHECK_OK(siommu_mem_load64(t.mem, t.root + 2 * 16, &v));
	poke(&t, t.root + 2 * 16, HOLE | 1, ~0ull);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_ACCESS);
	poke(&t, t.root + 2 * 16, v, ~0ull);
	/* 0x41: another function's context entry is not present. */
	CHECK_EQ(vt_xlate(&t, RID + 1, true, 1, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_CTX_NP);
	/* 0x42: reserved bits in the context entry (bit 5; qw2). */
	poke(&t, ctx_pa(&t, RID), 1 << 5, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_RSVD);
	poke(&t, ctx_pa(&t, RID), 0, 1 << 5);
	poke(&t, ctx_pa(&t, RID) + 16, 1, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_RSVD);
	poke(&t, ctx_pa(&t, RID) + 16, 0, 1);
	/* ... the PASID directory above HAW; qw1 bit 21 up; qw3. */
	poke(&t, ctx_pa(&t, RID), 1ull << 50, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_RSVD);
	poke(&t, ctx_pa(&t, RID), 0, 1ull << 50);
	poke(&t, ctx_pa(&t, RID) + 8, 1ull << 30, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_RSVD);
	poke(&t, ctx_pa(&t, RID) + 8, 0, 1ull << 30);
	poke(&t, ctx_pa(&t, RID) + 24, 1ull << 63, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_RSVD);
	poke(&t, ctx_pa(&t, RID) + 24, 0, 1ull << 63);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_NP);
	/* 0x44: ATS without DTE. */
	poke(&t, ctx_pa(&t, RID), 0, 1 << 2);
	{
		struct siommu_vtd_req r = vt_req(RID, true, 1, 0, SIOMMU_VTD_READ);
		struct siommu_vtd_xlate x;

		CHECK_EQ(siommu_vtd_ats_translate(t.v, &r, &x), -EFAULT);
		CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_CTX_DTE);
		CHECK(x.fault_recorded);
	}
	/* 0x45: PASIDE clear. */
	poke(&t, ctx_pa(&t, RID), 0, 1 << 3);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_PASIDE);
	poke(&t, ctx_pa(&t, RID), 1 << 3, 0);
	/* 0x46: PASID beyond PDTS. */
	poke(&t, ctx_pa(&t, RID), 0, 7 << 9);
	CHECK_EQ(rd(&t, 8192, 0), SIOMMU_VTD_FR_CTX_PASID_RANGE);
	poke(&t, ctx_pa(&t, RID), 7 << 9, 0);
	vt_fini(&t);
}

static void test_pasid_structs(void)
{
	struct vt t;
	uint64_t v;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	vt_pasid_fs(&t, RID, 1, 1, 4);
	/* 0x50: PASID directory not in RAM. */
	CHECK_OK(siommu_mem_load64(t.mem, ctx_pa(&t, RID), &v));
	poke(&t, ctx_pa(&t, RID), (v & 0xfff) | HOLE, ~0ull);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PDIR_ACCESS);
	poke(&t, ctx_pa(&t, RID), v, ~0ull);
	/* 0x51: directory entry not present. */
	CHECK_EQ(rd(&t, 64, 0), SIOMMU_VTD_FR_PDIR_NP);
	/* 0x52: directory entry reserved bit. */
	poke(&t, dir_pa(&t, RID, 1), 1 << 2, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PDIR_RSVD);
	poke(&t, dir_pa(&t, RID, 1), 0, 1 << 2);
	poke(&t, dir_pa(&t, RID, 1), 1ull << 50, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PDIR_RSVD);
	poke(&t, dir_pa(&t, RID, 1), 0, 1ull << 50);
	/* 0x58: PASID table not in RAM. */
	CHECK_OK(siommu_mem_load64(t.mem, dir_pa(&t, RID, 1), &v));
	poke(&t, dir_pa(&t, RID, 1), HOLE | 1, ~0ull);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_ACCESS);
	poke(&t, dir_pa(&t, RID, 1), v, ~0ull);
	/* 0x59: PASID entry not present. */
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_PTE_NP);
	/* 0x5a: reserved (qw0 bit 10; qw5). */
	poke(&t, pte_pa(&t, RID, 1), 1 << 10, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_RSVD);
	poke(&t, pte_pa(&t, RID, 1), 0, 1 << 10);
	poke(&t, pte_pa(&t, RID, 1) + 40, 1, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_RSVD);
	poke(&t, pte_pa(&t, RID, 1) + 40, 0, 1);
	/* ... qw1 bit 16; qw2 bits 8 and 11 (5-7 are NXE, SMEP, EAFE). */
	poke(&t, pte_pa(&t, RID, 1) + 8, 1 << 16, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_RSVD);
	poke(&t, pte_pa(&t, RID, 1) + 8, 0, 1 << 16);
	poke(&t, pte_pa(&t, RID, 1) + 16, 1 << 8, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_RSVD);
	poke(&t, pte_pa(&t, RID, 1) + 16, 1 << 11, 1 << 8);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_RSVD);
	poke(&t, pte_pa(&t, RID, 1) + 16, 0, 1 << 11);
	/* NXE, SMEP and EAFE are fields: never a fault of their own. */
	poke(&t, pte_pa(&t, RID, 1) + 16, 7 << 5, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_NP);
	poke(&t, pte_pa(&t, RID, 1) + 16, 0, 7 << 5);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_NP);
	/* 0x73: the first-stage root above HAW. */
	poke(&t, pte_pa(&t, RID, 1) + 16, 1ull << 50, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_ROOT_ACCESS);
	poke(&t, pte_pa(&t, RID, 1) + 16, 0, 1ull << 50);
	/* 0x5b: PGTT 0, PGTT 5, FSPM 5-level on a 48-bit unit, SS AW 57. */
	poke(&t, pte_pa(&t, RID, 1), 0, 7 << 6);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_INVALID);
	poke(&t, pte_pa(&t, RID, 1), 5 << 6, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_INVALID);
	poke(&t, pte_pa(&t, RID, 1), 1 << 6, 7 << 6);
	poke(&t, pte_pa(&t, RID, 1) + 16, 1 << 2, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_INVALID);
	poke(&t, pte_pa(&t, RID, 1) + 16, 0, 1 << 2);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_NP);
	poke(&t, pte_pa(&t, RID, 1), (2 << 6) | (3 << 2), (7 << 6) | (7 << 2));
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_INVALID);
	/* ... SS AW 0 (reserved encoding). */
	poke(&t, pte_pa(&t, RID, 1), 0, 7 << 2);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_INVALID);
	vt_fini(&t);
}

/*
 * Entries that use what the unit does not have: a PGTT whose translation
 * type is missing is invalid (0x5b); SSADE, ERE and SRE without SSADS, ERS
 * and SRS, and DTE and PRE without DT and PRS, are reserved (0x5a, 0x42).
 */
static void test_missing_caps(void)
{
	static const struct {
		uint32_t cap;		/* what the unit lacks */
		unsigned int pgtt;	/* entry to build: FS, SS, or NEST */
		unsigned int qw, bit;	/* a bit to set in it (qw 4: none) */
		uint32_t fault;
	} cases[] = {
		/* Nesting needs both stages: a unit without one lacks it too. */
		{ SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_NEST, 1, 4, 0, SIOMMU_VTD_FR_PTE_INVALID },
		{ SIOMMU_VTD_CAP_SS | SIOMMU_VTD_CAP_NEST, 2, 4, 0, SIOMMU_VTD_FR_PTE_INVALID },
		{ SIOMMU_VTD_CAP_NEST, 3, 4, 0, SIOMMU_VTD_FR_PTE_INVALID },
		{ SIOMMU_VTD_CAP_SSAD, 2, 0, 9, SIOMMU_VTD_FR_PTE_RSVD },
		{ SIOMMU_VTD_CAP_ERS, 1, 2, 1, SIOMMU_VTD_FR_PTE_RSVD },
		{ SIOMMU_VTD_CAP_SRS, 1, 2, 0, SIOMMU_VTD_FR_PTE_RSVD },
		{ SIOMMU_VTD_CAP_DT, 1, 4, 0, SIOMMU_VTD_FR_CTX_RSVD },
		{ SIOMMU_VTD_CAP_PRS, 1, 4, 0, SIOMMU_VTD_FR_CTX_RSVD },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL & ~cases[i].cap };
		struct siommu_vtd_pasid_desc p = { .pgtt = cases[i].pgtt, .did = 1,
						   .fs_levels = 4, .ss_levels = 4 };
		struct vt t;

		vt_init(&t, &c);
		vt_ctx(&t, RID, true, 0);	/* DTE and PRE set */
		CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.fs_root));
		CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.ss_root));
		if (p.pgtt == 3)
			p.fs_root = 0x1000;	/* a GPA: only validity is tested */
		CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 1, &p));
		if (cases[i].qw < 4)
			poke(&t, pte_pa(&t, RID, 1) + 8 * cases[i].qw,
			     1ull << cases[i].bit, 0);
		if (cases[i].fault == SIOMMU_VTD_FR_CTX_RSVD) {
			CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_CTX_RSVD);
			/* Without the bit the unit lacks, the entry is good. */
			poke(&t, ctx_pa(&t, RID), 0,
			     cases[i].cap == SIOMMU_VTD_CAP_DT ? 1 << 2 : 1 << 4);
		} else {
			CHECK_EQ(rd(&t, 1, 0), cases[i].fault);
			vt_fini(&t);
			/* The same entry on a unit that has it. */
			vt_init(&t, NULL);
			vt_ctx(&t, RID, true, 0);
			CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 1, &p));
			if (cases[i].qw < 4)
				poke(&t, pte_pa(&t, RID, 1) + 8 * cases[i].qw,
				     1ull << cases[i].bit, 0);
		}
		CHECK(rd(&t, 1, 0) != cases[i].fault);
		vt_fini(&t);
	}
}

static void test_page_tables(void)
{
	struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_FS1G };
	struct vt t;
	uint64_t fs, ss, pa, size, pg;

	vt_init(&t, &c);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	ss = vt_pasid_ss(&t, RID, 2, 2, 4);
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_EQ(rd(&t, 1, 0), 0);
	CHECK_EQ(rd(&t, 2, 0), 0);
	/* 0x72: PS in a PML4E; address above HAW; 1G without FS1GP. */
	poke(&t, fs, 1 << 7, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_RSVD);
	poke(&t, fs, 0, 1 << 7);
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, &pa, &size));
	poke(&t, pa, 1ull << 49, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_RSVD);
	poke(&t, pa, 0, 1ull << 49);
	{
		uint64_t pdpt;

		CHECK_OK(siommu_mem_load64(t.mem, fs, &pdpt));
		pdpt &= ~0xfffull;
		poke(&t, pdpt + 8, SIOMMU_SZ_1G | 0x87, ~0ull);
		CHECK_EQ(rd(&t, 1, SIOMMU_SZ_1G), SIOMMU_VTD_FR_FS_RSVD);
	}
	/* An address bit above HAW in a table entry, at each level. */
	{
		uint64_t table = fs, e;
		unsigned int l;

		for (l = 4; l-- > 1; table = e & 0xffffffffff000ull) {
			CHECK_OK(siommu_mem_load64(t.mem, table, &e));
			poke(&t, table, 1ull << 49, 0);
			CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_RSVD);
			poke(&t, table, 0, 1ull << 49);
		}
		CHECK_EQ(rd(&t, 1, 0), 0);
	}
	/* 0x70: FS table not in RAM. */
	poke(&t, fs + 8, HOLE | 7, ~0ull);
	CHECK_EQ(rd(&t, 1, 1ull << 39), SIOMMU_VTD_FR_FS_ACCESS);
	/* 0x78: SS table not in RAM. */
	poke(&t, ss + 8, HOLE | 3, ~0ull);
	CHECK_EQ(rd(&t, 2, 1ull << 39), SIOMMU_VTD_FR_SS_ACCESS);
	/* 0x7a: SNP without ECAP.SC; 2M leaf with bit 12 set. */
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, &pa, &size));
	poke(&t, pa, 1 << 11, 0);
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
	poke(&t, pa, 0, 1 << 11);
	CHECK_EQ(rd(&t, 2, 0), 0);
	/* SNP, and an address bit above HAW, in a table entry at each level. */
	{
		uint64_t table = ss, e;
		unsigned int l;

		for (l = 4; l-- > 1; table = e & 0xffffffffff000ull) {
			CHECK_OK(siommu_mem_load64(t.mem, table, &e));
			poke(&t, table, 1 << 11, 0);
			CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
			poke(&t, table, 1ull << 49, 1 << 11);
			CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
			poke(&t, table, 0, 1ull << 49);
		}
		CHECK_EQ(rd(&t, 2, 0), 0);
	}
	/* 0x7b: SS root above HAW. */
	poke(&t, pte_pa(&t, RID, 2), 1ull << 50, 0);
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_PTR);
	vt_fini(&t);
}

/* Requests of devfn 128 and up use the root entry's upper half (VT-d 9.2). */
static void test_root_halves(void)
{
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, 0x0280, true, 0);
	vt_pasid_fs(&t, 0x0280, 1, 1, 4);
	CHECK_EQ(vt_xlate(&t, 0x0280, true, 1, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	/* devfn 127: the lower half, not present. */
	CHECK_EQ(vt_xlate(&t, 0x027f, true, 1, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	vt_fini(&t);
}

/*
 * The last bit of each reserved field: bit 63 of a root entry and bit 51
 * of a leaf (above HAW), the top bit of a large leaf's reserved range,
 * the PASID entry's last quadword, and a nested entry's SS width.
 */
static void test_reserved_edges(void)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_NEST, .did = 3,
					   .fs_root = 0x1000, .fs_levels = 4,
					   .ss_levels = 5 };
	uint64_t fs, ss, p2m, p1g, fs2m, fs1g, ss2m, size;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	ss = vt_pasid_ss(&t, RID, 2, 2, 4);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &p2m));
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_1G, SIOMMU_MEM_DMA, &p1g));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, p2m,
				      SIOMMU_SZ_2M, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, SIOMMU_SZ_1G,
				      p1g, SIOMMU_SZ_1G,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, p2m,
				      SIOMMU_SZ_2M, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, &fs2m, &size));
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, SIOMMU_SZ_1G,
				       &fs1g, &size));
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, &ss2m, &size));
	CHECK_EQ(rd(&t, 1, 0), 0);
	CHECK_EQ(rd(&t, 1, SIOMMU_SZ_1G), 0);
	CHECK_EQ(rd(&t, 2, 0), 0);
	/* 0x3a: root entry bit 63. */
	poke(&t, t.root + (RID >> 8) * 16, 1ull << 63, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_ROOT_RSVD);
	poke(&t, t.root + (RID >> 8) * 16, 0, 1ull << 63);
	/* 0x72, 0x7a: leaf bit 51. */
	poke(&t, fs2m, 1ull << 51, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_RSVD);
	poke(&t, fs2m, 0, 1ull << 51);
	poke(&t, ss2m, 1ull << 51, 0);
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
	poke(&t, ss2m, 0, 1ull << 51);
	/* 0x72, 0x7a: bit 20 of a 2M leaf, bit 29 of a 1G leaf. */
	poke(&t, fs2m, 1 << 20, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_RSVD);
	poke(&t, fs2m, 0, 1 << 20);
	poke(&t, fs1g, 1 << 29, 0);
	CHECK_EQ(rd(&t, 1, SIOMMU_SZ_1G), SIOMMU_VTD_FR_FS_RSVD);
	poke(&t, fs1g, 0, 1 << 29);
	poke(&t, ss2m, 1 << 20, 0);
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
	poke(&t, ss2m, 0, 1 << 20);
	/* 0x5a: PASID entry qw7. */
	poke(&t, pte_pa(&t, RID, 1) + 56, 1, 0);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_PTE_RSVD);
	poke(&t, pte_pa(&t, RID, 1) + 56, 0, 1);
	CHECK_EQ(rd(&t, 1, 0), 0);
	CHECK_EQ(rd(&t, 1, SIOMMU_SZ_1G), 0);
	CHECK_EQ(rd(&t, 2, 0), 0);
	/* 0x5b: a nested entry with a 57-bit SS on a 48-bit unit. */
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 3, &p));
	CHECK_EQ(rd(&t, 3, 0), SIOMMU_VTD_FR_PTE_INVALID);
	vt_fini(&t);
}

/* A read through a second-stage 2M page on a unit configured by @c. */
static uint32_t ss_2m(const struct siommu_vtd_cfg *c)
{
	uint64_t ss, p2m;
	uint32_t fr;
	struct vt t;

	vt_init(&t, c);
	vt_ctx(&t, RID, true, 0);
	ss = vt_pasid_ss(&t, RID, 2, 2, 4);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &p2m));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, p2m,
				      SIOMMU_SZ_2M, SIOMMU_VTD_READ));
	fr = rd(&t, 2, 0x1234);
	vt_fini(&t);
	return fr;
}

/* Large-page rules that a leaf's address alignment would otherwise hide:
 * each entry here is aligned for the page size it claims. */
static void test_large_pages(void)
{
	struct siommu_vtd_cfg no_sslp = { .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_SSLP };
	uint64_t fs, ss, pa, size, p2m;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	ss = vt_pasid_ss(&t, RID, 2, 2, 4);
	/* 0x72: PS in a PML4E, even with FS1GP, even at a 512G boundary. */
	poke(&t, fs, 0xa7, ~0ull);
	CHECK_EQ(rd(&t, 1, 0), SIOMMU_VTD_FR_FS_RSVD);
	/* 0x7a: the same in the second stage's level-4 entry. */
	poke(&t, ss, 0x83, ~0ull);
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
	vt_fini(&t);

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &p2m));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, p2m,
				      SIOMMU_SZ_2M, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_EQ(rd(&t, 1, 0x1234), 0);
	/* 0x72: a 2M leaf's bits 13-20 are reserved (bit 12 is PAT). */
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, &pa, &size));
	CHECK_EQ(size, SIOMMU_SZ_2M);
	poke(&t, pa, 1 << 13, 0);
	CHECK_EQ(rd(&t, 1, 0x1234), SIOMMU_VTD_FR_FS_RSVD);
	poke(&t, pa, 1 << 12, 1 << 13);
	CHECK_EQ(rd(&t, 1, 0x1234), 0);
	vt_fini(&t);

	/* 0x7a: a second-stage 2M leaf without SSLPS. */
	CHECK_EQ(ss_2m(&no_sslp), SIOMMU_VTD_FR_SS_RSVD);
	CHECK_EQ(ss_2m(NULL), 0);
}

/* FPD suppresses qualified faults only (VT-d 7.2.1). */
static void test_fpd(void)
{
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true, .fpd = true };
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 1,
					   .fs_levels = 4, .fpd = true };
	struct siommu_vtd_xlate x;
	struct siommu_vtd_stats st;
	struct vt t;

	vt_init(&t, NULL);
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	vt_pasid_fs(&t, RID, 1, 1, 4);
	/* Context FPD: PASID entry not present is qualified -> not logged. */
	CHECK_EQ(vt_xlate(&t, RID, true, 2, 0, SIOMMU_VTD_READ, &x), SIOMMU_VTD_FR_PTE_NP);
	CHECK(!x.fault_recorded);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PPF));
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 0);
	/* An access error is not qualified: logged despite FPD. */
	poke(&t, dir_pa(&t, RID, 1), HOLE | 1, ~0ull);
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0, SIOMMU_VTD_READ, &x),
		 SIOMMU_VTD_FR_PTE_ACCESS);
	CHECK(x.fault_recorded);
	siommu_vtd_get_stats(t.v, &st);
	CHECK_EQ(st.faults, 2);
	CHECK_EQ(st.faults_recorded, 1);
	vt_fini(&t);

	/* FPD in the PASID entry only. */
	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.fs_root));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RID, 1, &p));
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0, SIOMMU_VTD_READ, &x), SIOMMU_VTD_FR_FS_NP);
	CHECK(!x.fault_recorded);
	/* ... but not an FS table access error. */
	poke(&t, p.fs_root, HOLE | 7, ~0ull);
	CHECK_EQ(vt_xlate(&t, RID, true, 1, 0, SIOMMU_VTD_READ, &x),
		 SIOMMU_VTD_FR_FS_ACCESS);
	CHECK(x.fault_recorded);
	poke(&t, p.fs_root, 0, ~0ull);
	/* Another PASID of the same device still logs. */
	vt_pasid_fs(&t, RID, 3, 1, 4);
	CHECK_EQ(vt_xlate(&t, RID, true, 3, 0, SIOMMU_VTD_READ, &x), SIOMMU_VTD_FR_FS_NP);
	CHECK(x.fault_recorded);
	/* FPD in the directory entry covers its 64 PASIDs. */
	poke(&t, dir_pa(&t, RID, 3), 1 << 1, 0);
	CHECK_EQ(vt_xlate(&t, RID, true, 3, 0, SIOMMU_VTD_READ, &x), SIOMMU_VTD_FR_FS_NP);
	CHECK(!x.fault_recorded);
	vt_fini(&t);
}

/* A request of @access (privileged if @priv) with PASID @pasid at @iova. */
static uint32_t req(struct vt *t, uint32_t pasid, uint64_t iova, uint32_t access,
		    bool priv)
{
	struct siommu_vtd_req r = vt_req(RID, true, pasid, iova, access);
	struct siommu_vtd_xlate x;

	r.priv = priv;
	if (!siommu_vtd_translate(t->v, &r, &x))
		return 0;
	return x.fault_reason;
}

/*
 * PASID-entry NXE and SMEP (VT-d 9.6) and second-stage TM (VT-d 9.8) are
 * fields: they change what a translation allows, never fault themselves.
 */
static void test_exec_fields(void)
{
	const uint32_t rx = SIOMMU_VTD_READ | SIOMMU_VTD_EXEC;
	struct siommu_vtd_cfg no_dt = { .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_DT };
	uint64_t fs, ss, pe, pg, leaf, size;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	pe = pte_pa(&t, RID, 1);
	pg = vt_page(&t);
	/* 0x1000 user RX, 0x2000 user R (XD), 0x3000 supervisor RX. */
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, pg,
				      SIOMMU_SZ_4K, rx | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x2000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x3000, pg,
				      SIOMMU_SZ_4K, rx));
	/* NXE set (the builder's default for a first stage): XD forbids
	 * execute, and only execute. */
	CHECK_EQ(req(&t, 1, 0x1000, rx, false), 0);
	CHECK_EQ(req(&t, 1, 0x2000, SIOMMU_VTD_READ, false), 0);
	CHECK_EQ(req(&t, 1, 0x2000, rx, false), SIOMMU_VTD_FR_EXEC);
	CHECK_EQ(req(&t, 1, 0x2000, rx, true), SIOMMU_VTD_FR_EXEC);
	/* NXE clear: XD is reserved; entries without it still translate. */
	poke(&t, pe + 16, 0, 1 << 5);
	CHECK_EQ(req(&t, 1, 0x2000, SIOMMU_VTD_READ, false), SIOMMU_VTD_FR_FS_RSVD);
	CHECK_EQ(req(&t, 1, 0x1000, rx, false), 0);
	poke(&t, pe + 16, 1 << 5, 0);
	/* SMEP clear: supervisor requests execute user pages. */
	CHECK_EQ(req(&t, 1, 0x1000, rx, true), 0);
	/* SMEP set: not any more; supervisor pages and user requests are
	 * unaffected, and so are supervisor reads of user pages. */
	poke(&t, pe + 16, 1 << 6, 0);
	CHECK_EQ(req(&t, 1, 0x1000, rx, true), SIOMMU_VTD_FR_EXEC);
	CHECK_EQ(req(&t, 1, 0x1000, SIOMMU_VTD_READ, true), 0);
	CHECK_EQ(req(&t, 1, 0x3000, rx, true), 0);
	CHECK_EQ(req(&t, 1, 0x1000, rx, false), 0);
	vt_fini(&t);

	/* TM: a field with ECAP.DT, reserved without. */
	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	ss = vt_pasid_ss(&t, RID, 2, 2, 4);
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, &leaf, &size));
	poke(&t, leaf, 1ull << 62, 0);
	CHECK_EQ(rd(&t, 2, 0), 0);
	vt_fini(&t);
	vt_init(&t, &no_dt);
	vt_ctx(&t, RID, true, 0);	/* sets DTE: */
	poke(&t, ctx_pa(&t, RID), 0, 1 << 2);	/* reserved without DT */
	ss = vt_pasid_ss(&t, RID, 2, 2, 4);
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, &leaf, &size));
	CHECK_EQ(rd(&t, 2, 0), 0);
	poke(&t, leaf, 1ull << 62, 0);
	CHECK_EQ(rd(&t, 2, 0), SIOMMU_VTD_FR_SS_RSVD);
	vt_fini(&t);
}

int main(void)
{
	test_root_ctx();
	test_root_halves();
	test_pasid_structs();
	test_page_tables();
	test_missing_caps();
	test_large_pages();
	test_reserved_edges();
	test_fpd();
	test_exec_fields();
	return 0;
}
