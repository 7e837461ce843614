/* SPDX-License-Identifier: MIT */
/*
 * VT-d register file: configuration -> CAP/ECAP, read-only, write-1-to-clear
 * and reserved bits, GCMD/GSTS, interrupt masking, fault recording
 * registers (layout, overflow, PP not spilling into other fields), access
 * sizes.
 */
#include "vtd_test.h"

static void test_config(void)
{
	struct siommu_mem *mem;
	struct siommu_vtd *v;
	struct siommu_vtd_cfg c = { 0 };

	CHECK_OK(siommu_mem_create(NULL, &mem));
	c.aw = 40;
	CHECK_EQ(siommu_vtd_create(mem, &c, &v), -EINVAL);
	c.aw = 48;
	c.iotlb_sets = 3;
	CHECK_EQ(siommu_vtd_create(mem, &c, &v), -EINVAL);
	c.iotlb_sets = 0;
	c.pasid_bits = 21;
	CHECK_EQ(siommu_vtd_create(mem, &c, &v), -EINVAL);
	c.pasid_bits = 0;
	c.caps = SIOMMU_VTD_CAP_NEST | SIOMMU_VTD_CAP_FS;
	CHECK_EQ(siommu_vtd_create(mem, &c, &v), -EINVAL);
	c.caps = 1u << 20;
	CHECK_EQ(siommu_vtd_create(mem, &c, &v), -EINVAL);
	c.caps = 0;
	c.nr_fault_records = 257;
	CHECK_EQ(siommu_vtd_create(mem, &c, &v), -EINVAL);
	siommu_mem_destroy(mem);
}

static void test_cap_ecap(void)
{
	struct siommu_vtd_cfg c = { .aw = 57, .pasid_bits = 10, .nr_fault_records = 4,
				    .mamv = 9 };
	struct vt t;
	uint64_t cap, ecap;

	vt_create(&t, &c);
	cap = vt_rd(&t, SIOMMU_VTD_REG_CAP, 8);
	ecap = vt_rd(&t, SIOMMU_VTD_REG_ECAP, 8);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_VER, 4), 0x30);
	CHECK_EQ(cap & 7, 6);				/* ND */
	CHECK_EQ((cap >> 8) & 0x1f, 0xe);		/* SAGAW 39/48/57 */
	CHECK_EQ((cap >> 16) & 0x3f, 56);		/* MGAW */
	CHECK_EQ(((cap >> 24) & 0x3ff) * 16, SIOMMU_VTD_REG_FRCD);
	CHECK_EQ((cap >> 40) & 0xff, 3);		/* NFR */
	CHECK_EQ((cap >> 48) & 0x3f, 9);		/* MAMV */
	CHECK(cap & (1ull << 39));			/* PSI */
	CHECK(cap & (1ull << 60));			/* FS5LP */
	CHECK(cap & (1ull << 56));			/* FS1GP */
	CHECK(!(cap & (1ull << 7)));			/* CM off */
	CHECK_EQ(((ecap >> 8) & 0x3ff) * 16, SIOMMU_VTD_REG_IVA);
	CHECK_EQ((ecap >> 35) & 0x1f, 9);		/* PSS */
	CHECK(ecap & (1ull << 43));			/* SMTS */
	CHECK(ecap & (1ull << 40));			/* PASID */
	CHECK(ecap & (1ull << 1));			/* QI */
	CHECK(ecap & (1ull << 26));			/* NEST */
	CHECK(ecap & (1ull << 49));			/* RPS: RID_PASID */
	CHECK(ecap & (1ull << 50));			/* RPRIVS: RID_PRIV */
	/* Read-only: writes are ignored. */
	vt_wr(&t, SIOMMU_VTD_REG_CAP, 8, 0);
	vt_wr(&t, SIOMMU_VTD_REG_ECAP + 4, 4, 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_CAP, 8), cap);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_ECAP, 8), ecap);
	/* 32-bit halves of a 64-bit register. */
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_CAP, 4), (uint32_t)cap);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_CAP + 4, 4), cap >> 32);
	vt_fini(&t);

	c = (struct siommu_vtd_cfg){ .aw = 39, .caps = SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_CM };
	vt_create(&t, &c);
	cap = vt_rd(&t, SIOMMU_VTD_REG_CAP, 8);
	ecap = vt_rd(&t, SIOMMU_VTD_REG_ECAP, 8);
	CHECK_EQ((cap >> 8) & 0x1f, 0x2);
	CHECK(cap & (1ull << 7));
	CHECK(!(cap & (1ull << 56)));
	CHECK(!(ecap & ((1ull << 26) | (1ull << 29) | (1ull << 2) | (1ull << 6) |
			(1ull << 46))));
	CHECK(ecap & (1ull << 47));
	vt_fini(&t);
}

static void test_access_rules(void)
{
	struct vt t;
	uint64_t val;

	vt_create(&t, NULL);
	CHECK_EQ(siommu_vtd_mmio_read(t.v, 0x2, 4, &val), -EINVAL);
	CHECK_EQ(siommu_vtd_mmio_read(t.v, 0x4, 8, &val), -EINVAL);
	CHECK_EQ(siommu_vtd_mmio_read(t.v, 0x0, 2, &val), -EINVAL);
	CHECK_EQ(siommu_vtd_mmio_read(t.v, SIOMMU_VTD_MMIO_SIZE, 4, &val), -EINVAL);
	CHECK_EQ(siommu_vtd_mmio_write(t.v, 0x1, 4, 0), -EINVAL);
	/* Unimplemented and reserved registers read as zero, ignore writes. */
	vt_wr(&t, 0x300, 8, ~0ull);
	CHECK_EQ(vt_rd(&t, 0x300, 8), 0);
	CHECK_EQ(vt_rd(&t, 0x058, 8), 0);
	/* GCMD is write-only. */
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_QIE);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_GCMD, 4), 0);
	/* RTADDR keeps the address and TTM, drops bits 9:0. */
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, 0x123456000ull | 0xfff);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_RTADDR, 8), 0x123456c00ull);
	/* 32-bit writes to halves of RTADDR. */
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR + 4, 4, 0x1);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_RTADDR, 8), 0x123456c00ull | (1ull << 32));
	/* Above HAW is reserved. */
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, 1ull << 60);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_RTADDR, 8), 0);
	/* IQA: base, DW and QS only; IQH read-only. */
	vt_wr(&t, SIOMMU_VTD_REG_IQA, 8, 0x5000 | (1 << 11) | 0x7f0 | 7);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQA, 8), 0x5000 | (1 << 11) | 7);
	vt_wr(&t, SIOMMU_VTD_REG_IQA, 8, 1ull << 60 | 0x5000);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQA, 8), 0x5000);
	vt_wr(&t, SIOMMU_VTD_REG_IQH, 8, 0x40);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 0);
	/* PQH keeps bits 18:5; PQT is read-only. */
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, 0xffffffff);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQH, 8), 0x7ffe0);
	vt_wr(&t, SIOMMU_VTD_REG_PQT, 8, 0x40);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 0);
	/* Event control: IM resets to 1; IP is read-only. */
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), SIOMMU_VTD_ECTL_IM);
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IP);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), 0);
	/* MSI address/data registers are plain RW (address dword aligned). */
	vt_wr(&t, SIOMMU_VTD_REG_FEDATA, 4, 0x1234);
	vt_wr(&t, SIOMMU_VTD_REG_FEADDR, 4, 0xfee00003);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FEDATA, 4), 0x1234);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FEADDR, 4), 0xfee00000);
	/* A 64-bit write to two 32-bit registers. */
	vt_wr(&t, SIOMMU_VTD_REG_IEADDR, 8, 1ull << 32 | 0xfee01000);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IEUADDR, 4), 1);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IEADDR, 4), 0xfee01000);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IEADDR, 8), 1ull << 32 | 0xfee01000);
	vt_fini(&t);
}

static void test_gcmd(void)
{
	struct vt t;
	uint64_t root;

	vt_create(&t, NULL);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4), 0);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &root));
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, root | SIOMMU_VTD_RTADDR_SMT);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_SRTP);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4), SIOMMU_VTD_GCMD_SRTP);
	/* Linux style: GSTS | command bit. */
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4) |
	      SIOMMU_VTD_GCMD_TE);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_TE);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_QIE);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_QIE);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_TE));
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, 0);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_QIE));
	vt_fini(&t);
}

/*
 * The invalidation queue's registers: IQT keeps bits 18:4; enabling QI
 * resets IQH; ICS.IWC is write-1-to-clear and takes IECTL.IP with it.
 */
static void test_queue_regs(void)
{
	struct siommu_vtd_desc d[2];
	struct vt t;

	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 0x7ffff);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQT, 8), 0x7fff0);
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 0);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
	/* A masked wait with IF: IWC and IP; IWC's W1C clears both. */
	vt_wr(&t, SIOMMU_VTD_REG_IECTL, 4, SIOMMU_VTD_ECTL_IM);
	d[0] = siommu_vtd_desc_wait(false, true, false, false, 0, 0);
	d[1] = siommu_vtd_desc_wait(false, false, false, false, 0, 0);
	vt_submit(&t, d, 2);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 64);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_ICS, 4) & SIOMMU_VTD_ICS_IWC);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_IECTL, 4) & SIOMMU_VTD_ECTL_IP);
	vt_wr(&t, SIOMMU_VTD_REG_ICS, 4, SIOMMU_VTD_ICS_IWC);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_ICS, 4), 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IECTL, 4), SIOMMU_VTD_ECTL_IM);
	vt_wr(&t, SIOMMU_VTD_REG_IECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_INV], 0);
	/* QI off and on again: the queue starts over at 0. */
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 0);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 0);
	vt_fini(&t);
}

/* RTADDR.TTM: 01b is scalable mode; 00b legacy and 11b reserved are not
 * modelled, so translation faults as for a legacy table. */
static void test_ttm(void)
{
	static const uint64_t ttm[] = { 0, 3ull << 10 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct vt t;

		vt_init(&t, NULL);
		vt_ctx(&t, 0x10, true, 0);
		vt_pasid_fs(&t, 0x10, 1, 1, 4);
		CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_FS_NP);
		vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, t.root | ttm[i]);
		vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE |
		      SIOMMU_VTD_GCMD_QIE | SIOMMU_VTD_GCMD_SRTP);
		CHECK_EQ(vt_xlate(&t, 0x10, false, 0, 0, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_RTA_INVALID);
		vt_fini(&t);
	}
}

/* Faults: FRCD layout, PPF/FRI, W1C, overflow, interrupt masking. */
static void test_fault_log(void)
{
	struct siommu_vtd_cfg c = { .nr_fault_records = 2 };
	struct vt t;
	uint64_t lo, hi;
	uint32_t fsts;
	unsigned int i;

	vt_init(&t, &c);
	vt_wr(&t, SIOMMU_VTD_REG_FEDATA, 4, 0x77);
	vt_wr(&t, SIOMMU_VTD_REG_FEADDR, 4, 0xfee00000);
	/* Root entry of bus 3 not present: 0x39, a non-qualified fault. */
	CHECK_EQ(vt_xlate(&t, 0x0310, true, 0xabcde, 0x7000123, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	fsts = (uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4);
	CHECK(fsts & SIOMMU_VTD_FSTS_PPF);
	CHECK_EQ(SIOMMU_VTD_FSTS_FRI(fsts), 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 1);
	CHECK_EQ(t.msi_data, 0x77);
	CHECK_EQ(t.msi_addr, 0xfee00000);
	lo = vt_rd(&t, SIOMMU_VTD_REG_FRCD, 8);
	hi = vt_rd(&t, SIOMMU_VTD_REG_FRCD + 8, 8);
	CHECK_EQ(lo, 0x7000000);
	CHECK_EQ(hi & 0xffff, 0x0310);			/* SID */
	CHECK(hi & (1ull << 31));			/* PP */
	CHECK_EQ((hi >> 32) & 0xff, 0x39);		/* FR */
	CHECK_EQ((hi >> 40) & 0xfffff, 0xabcde);	/* PV, all 20 bits */
	CHECK(hi & (1ull << 62));			/* T: read */
	CHECK(hi & (1ull << 63));			/* F */
	/* F is RW1C; other bits are read-only. */
	vt_wr(&t, SIOMMU_VTD_REG_FRCD + 8, 8, 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FRCD + 8, 8), hi);
	/* A second fault while PPF is pending: recorded, no new interrupt. */
	CHECK_EQ(vt_xlate(&t, 0x0400, false, 0, 0x1000, SIOMMU_VTD_WRITE, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 1);
	/* FRI still names the first pending record. */
	CHECK_EQ(SIOMMU_VTD_FSTS_FRI((uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4)), 0);
	hi = vt_rd(&t, SIOMMU_VTD_REG_FRCD + 16 + 8, 8);
	CHECK(!(hi & (1ull << 31)));
	CHECK(!(hi & (1ull << 62)));			/* T: write */
	CHECK_EQ((hi >> 40) & 0xfffff, 0);
	/* Third: both records full -> PFO, not recorded. */
	CHECK_EQ(vt_xlate(&t, 0x0500, false, 0, 0x1000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	fsts = (uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4);
	CHECK(fsts & SIOMMU_VTD_FSTS_PFO);
	/* Clearing record 0 (32-bit write of the top dword) keeps PPF, FRI=1. */
	vt_wr(&t, SIOMMU_VTD_REG_FRCD + 12, 4, 1u << 31);
	fsts = (uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4);
	CHECK(fsts & SIOMMU_VTD_FSTS_PPF);
	CHECK_EQ(SIOMMU_VTD_FSTS_FRI(fsts), 1);
	/* PFO still set: faults are dropped. */
	{
		struct siommu_vtd_xlate x;

		CHECK_EQ(vt_xlate(&t, 0x0600, false, 0, 0, SIOMMU_VTD_READ, &x),
			 SIOMMU_VTD_FR_ROOT_NP);
		CHECK(!x.fault_recorded);
	}
	vt_wr(&t, SIOMMU_VTD_REG_FRCD + 16 + 8, 8, 1ull << 63);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PPF));
	vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_PFO | SIOMMU_VTD_FSTS_PPF);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & 0xff, 0);
	/* Masked: IP set instead of an MSI, delivered on unmask. */
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	CHECK_EQ(vt_xlate(&t, 0x0700, false, 0, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 1);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4),
		 SIOMMU_VTD_ECTL_IM | SIOMMU_VTD_ECTL_IP);
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 2);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), 0);
	/* Masked again: clearing the only pending record (the last status)
	 * clears IP, and unmasking then delivers nothing. */
	vt_clear_faults(&t);
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	CHECK_EQ(vt_xlate(&t, 0x0700, false, 0, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4) & SIOMMU_VTD_ECTL_IP);
	fsts = (uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4);
	vt_wr(&t, SIOMMU_VTD_REG_FRCD + 16 * SIOMMU_VTD_FSTS_FRI(fsts) + 8, 8, 1ull << 63);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), SIOMMU_VTD_ECTL_IM);
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 2);
	/* Many faults: the log wraps, never more than its records. */
	vt_clear_faults(&t);
	for (i = 0; i < 10; i++)
		vt_xlate(&t, 0x0800, false, 0, 0, SIOMMU_VTD_READ, NULL);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PFO);
	vt_fini(&t);
}

/* Register-based invalidation (VT-d 10.4.7, 10.4.8), with QI disabled. */
static void test_register_invalidation(void)
{
	struct vt t;
	uint64_t root, fs, pg;
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true };
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 5,
					   .fs_levels = 4 };

	vt_create(&t, NULL);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &root));
	t.root = root;
	CHECK_OK(siommu_vtd_build_context(t.mem, root, 0x10, &cd, NULL));
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &fs));
	p.fs_root = fs;
	CHECK_OK(siommu_vtd_build_pasid(t.mem, root, 0x10, 1, &p));
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x8000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	vt_wr(&t, SIOMMU_VTD_REG_RTADDR, 8, root | SIOMMU_VTD_RTADDR_SMT);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_SRTP);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
	CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ), pg);
	CHECK_OK(siommu_vtd_build_unmap(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x8000));
	CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ), pg);
	/* Domain 6: not ours, the entry stays. IVT reads back clear, with
	 * the actual granularity in IAIG. */
	vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 2ull << 60 | 6ull << 32);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IOTLB, 8) >> 63, 0);
	CHECK_EQ((vt_rd(&t, SIOMMU_VTD_REG_IOTLB, 8) >> 57) & 3, 2);
	CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ), pg);
	/* Domain 5 goes. */
	vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 2ull << 60 | 5ull << 32);
	CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	/* Context-cache invalidation through CCMD: device 0x10 only. */
	cd.paside = false;
	CHECK_OK(siommu_vtd_build_context(t.mem, root, 0x10, &cd, NULL));
	CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	vt_wr(&t, SIOMMU_VTD_REG_CCMD, 8, 1ull << 63 | 3ull << 61 | 0x11ull << 16);
	CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	vt_wr(&t, SIOMMU_VTD_REG_CCMD, 8, 1ull << 63 | 3ull << 61 | 0x10ull << 16);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_CCMD, 8) >> 63, 0);
	CHECK_EQ((vt_rd(&t, SIOMMU_VTD_REG_CCMD, 8) >> 59) & 3, 3);
	CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_CTX_PASIDE);
	/* A global one re-reads every context entry. */
	cd.paside = true;
	CHECK_OK(siommu_vtd_build_context(t.mem, root, 0x10, &cd, NULL));
	vt_wr(&t, SIOMMU_VTD_REG_CCMD, 8, 1ull << 63 | 1ull << 61);
	CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	{
		struct siommu_vtd_stats a, b;

		/* The PASID entries cached through them stay: after a context
		 * change software invalidates the PASID cache too (VT-d
		 * 6.5.3.3), which only the queue can. DID 7 goes unseen. */
		p.did = 7;
		CHECK_OK(siommu_vtd_build_pasid(t.mem, root, 0x10, 1, &p));
		vt_wr(&t, SIOMMU_VTD_REG_CCMD, 8, 1ull << 63 | 1ull << 61);
		siommu_vtd_get_stats(t.v, &a);
		CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_FS_NP);
		siommu_vtd_get_stats(t.v, &b);
		CHECK_EQ(b.ctx_miss - a.ctx_miss, 1);
		CHECK_EQ(b.pasid_hit - a.pasid_hit, 1);
		CHECK_EQ(b.pasid_miss, a.pasid_miss);
	}
	/* Page-selective with AM above MAMV: done (and reported) as
	 * domain-selective, of the DID the cached PASID entry has. */
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x8000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x9000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x9000, SIOMMU_VTD_READ), pg);
	CHECK_OK(siommu_vtd_build_unmap(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x9000));
	vt_wr(&t, SIOMMU_VTD_REG_IVA, 8, 0x8000 | 63);
	vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 3ull << 60 | 7ull << 32);
	CHECK_EQ((vt_rd(&t, SIOMMU_VTD_REG_IOTLB, 8) >> 57) & 3, 2);
	CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x9000, SIOMMU_VTD_READ), pg);
	vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 3ull << 60 | 5ull << 32);
	CHECK_EQ((vt_rd(&t, SIOMMU_VTD_REG_IOTLB, 8) >> 57) & 3, 2);
	CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x9000, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_FS_NP);
	/* With QI enabled, CCMD and IOTLB commands are ignored. */
	{
		struct siommu_vtd_stats a, b;
		uint64_t iq = vt_page(&t);

		vt_wr(&t, SIOMMU_VTD_REG_IQA, 8, iq | SIOMMU_VTD_IQA_DW);
		vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
		CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ), pg);
		vt_wr(&t, SIOMMU_VTD_REG_CCMD, 8, 1ull << 63 | 1ull << 61);
		vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 1ull << 60);
		siommu_vtd_get_stats(t.v, &a);
		CHECK_EQ(vt_xlate_ok(&t, 0x10, true, 1, 0x8000, SIOMMU_VTD_READ), pg);
		CHECK_EQ(vt_xlate(&t, 0x10, true, 1, 0x9000, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_FS_NP);
		siommu_vtd_get_stats(t.v, &b);
		CHECK_EQ(b.iotlb_hit - a.iotlb_hit, 1);
		CHECK_EQ(b.walks - a.walks, 1);
		CHECK_EQ(b.ctx_miss, a.ctx_miss);
		CHECK_EQ(b.pasid_miss, a.pasid_miss);
	}
	vt_fini(&t);
}

/*
 * The default unit (48-bit, every capability but CM) advertises what it
 * has (VT-d 10.4.2, 10.4.3); without ERS and SSLP those bits are clear.
 * The event interrupts are masked at reset (VT-d 10.4.10, 10.4.23, 10.4.33).
 */
static void test_cap_default(void)
{
	struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL &
					    ~(SIOMMU_VTD_CAP_ERS | SIOMMU_VTD_CAP_SSLP) };
	/* DT, PT, PRS, ERS, SRS, PASID, PDS, SMTS, SSADS, SSTS, FSTS */
	const uint64_t want = 1ull << 2 | 1ull << 6 | 7ull << 29 | 1ull << 40 |
			      3ull << 42 | 7ull << 45;
	struct vt t;
	uint64_t cap, ecap;

	vt_create(&t, NULL);
	cap = vt_rd(&t, SIOMMU_VTD_REG_CAP, 8);
	ecap = vt_rd(&t, SIOMMU_VTD_REG_ECAP, 8);
	CHECK_EQ((cap >> 8) & 0x1f, 0x6);		/* SAGAW 39/48 */
	CHECK_EQ((cap >> 16) & 0x3f, 47);		/* MGAW */
	CHECK_EQ((cap >> 34) & 0xf, 0x3);		/* SSLPS 2M, 1G */
	CHECK(!(cap & (1ull << 60)));			/* no FS5LP */
	CHECK_EQ((cap >> 40) & 0xff, 7);		/* NFR: 8 records */
	CHECK_EQ(ecap & want, want);
	CHECK_EQ((ecap >> 35) & 0x1f, 19);		/* PSS */
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), SIOMMU_VTD_ECTL_IM);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IECTL, 4), SIOMMU_VTD_ECTL_IM);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PECTL, 4), SIOMMU_VTD_ECTL_IM);
	vt_fini(&t);

	vt_create(&t, &c);
	cap = vt_rd(&t, SIOMMU_VTD_REG_CAP, 8);
	ecap = vt_rd(&t, SIOMMU_VTD_REG_ECAP, 8);
	CHECK_EQ((cap >> 34) & 0xf, 0);
	CHECK(!(ecap & (1ull << 30)));			/* ERS */
	CHECK(ecap & (1ull << 31));			/* SRS */
	vt_fini(&t);
}

/*
 * Each event's MSI uses its own address (upper and lower register, bits
 * 1:0 reserved) and data registers. ICS.IWC is cleared by a 1 only.
 */
static void test_msi_regs(void)
{
	struct siommu_vtd_desc d = siommu_vtd_desc_wait(false, true, false, false, 0, 0);
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true, .pre = true };
	struct siommu_vtd_page_req r = { .rid = 0x0308, .pasid_present = true,
					 .pasid = 1, .addr = 0x1000,
					 .access = SIOMMU_VTD_READ };
	struct vt t;

	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_FEDATA, 4, 0x11);
	vt_wr(&t, SIOMMU_VTD_REG_FEADDR, 4, 0xfee00004);
	vt_wr(&t, SIOMMU_VTD_REG_FEUADDR, 4, 1);
	vt_wr(&t, SIOMMU_VTD_REG_IEDATA, 4, 0x22);
	vt_wr(&t, SIOMMU_VTD_REG_IEADDR, 4, 0xfee00008);
	vt_wr(&t, SIOMMU_VTD_REG_IEUADDR, 4, 2);
	vt_wr(&t, SIOMMU_VTD_REG_PEDATA, 4, 0x33);
	vt_wr(&t, SIOMMU_VTD_REG_PEADDR, 4, 0xfee0000f);
	vt_wr(&t, SIOMMU_VTD_REG_PEUADDR, 4, 3);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FEUADDR, 4), 1);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PEADDR, 4), 0xfee0000c);
	vt_submit(&t, &d, 1);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_INV], 1);
	CHECK_EQ(t.msi_addr, 2ull << 32 | 0xfee00008);
	CHECK_EQ(t.msi_data, 0x22);
	vt_wr(&t, SIOMMU_VTD_REG_ICS, 4, 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_ICS, 4), SIOMMU_VTD_ICS_IWC);
	vt_wr(&t, SIOMMU_VTD_REG_ICS, 4, SIOMMU_VTD_ICS_IWC);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_ICS, 4), 0);
	CHECK_EQ(vt_xlate(&t, 0x0500, false, 0, 0, SIOMMU_VTD_READ, NULL),
		 SIOMMU_VTD_FR_ROOT_NP);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 1);
	CHECK_EQ(t.msi_addr, 1ull << 32 | 0xfee00004);
	CHECK_EQ(t.msi_data, 0x11);
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, r.rid, &cd, NULL));
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 1);
	CHECK_EQ(t.msi_addr, 3ull << 32 | 0xfee0000c);
	CHECK_EQ(t.msi_data, 0x33);
	vt_fini(&t);
}

/*
 * FSTS.PPF follows the records and ignores writes; PFO is write-1-to-clear
 * and, as the last status, takes FECTL.IP with it (VT-d 10.4.9). F is
 * cleared through the record's upper quadword only. The space past the
 * last record is reserved.
 */
static void test_fault_status(void)
{
	struct siommu_vtd_cfg c = { .nr_fault_records = 2 };
	struct vt t;
	uint32_t fsts;
	unsigned int i;

	vt_init(&t, &c);
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	for (i = 0; i < 3; i++)
		CHECK_EQ(vt_xlate(&t, 0x0500, false, 0, 0, SIOMMU_VTD_READ, NULL),
			 SIOMMU_VTD_FR_ROOT_NP);
	fsts = (uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4);
	CHECK_EQ(fsts & 0xff, SIOMMU_VTD_FSTS_PPF | SIOMMU_VTD_FSTS_PFO);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), SIOMMU_VTD_ECTL_IM | SIOMMU_VTD_ECTL_IP);
	vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_PPF);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PPF);
	vt_wr(&t, SIOMMU_VTD_REG_FRCD, 8, ~0ull);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_FRCD + 8, 8) & (1ull << 63));
	vt_wr(&t, SIOMMU_VTD_REG_FRCD + 8, 8, 1ull << 63);
	vt_wr(&t, SIOMMU_VTD_REG_FRCD + 16 + 8, 8, 1ull << 63);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & 0xff, SIOMMU_VTD_FSTS_PFO);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4) & SIOMMU_VTD_ECTL_IP);
	vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_PFO);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & 0xff, 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FECTL, 4), SIOMMU_VTD_ECTL_IM);
	vt_wr(&t, SIOMMU_VTD_REG_FECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FRCD + 32, 8), 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FRCD + 40, 8), 0);
	vt_fini(&t);
}

int main(void)
{
	test_register_invalidation();
	test_queue_regs();
	test_ttm();
	test_config();
	test_cap_ecap();
	test_access_rules();
	test_gcmd();
	test_fault_log();
	test_cap_default();
	test_msi_regs();
	test_fault_status();
	return 0;
}
