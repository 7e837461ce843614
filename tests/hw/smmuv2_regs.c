/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 register file: ID registers advertise the configuration, the
 * reset state, read-only and reserved bits and offsets, write-1-to-clear
 * fault registers, 64-bit registers as halves and pairs as one access,
 * banks and groups beyond the configuration, bad accesses, bad configs.
 */
#include "smmuv2_test.h"

static void test_idr(void)
{
	struct siommu_smmuv2_cfg cfg = { .features = SIOMMU_SMMUV2_F_S2, .oas = 40,
					 .sid_bits = 10, .num_smrg = 8, .num_cb = 4 };
	struct v2t t;
	uint64_t id0, id1, id2;

	v2t_init(&t, &cfg);
	id0 = v2_rd(&t, SIOMMU_SMMUV2_IDR0, 4);
	id1 = v2_rd(&t, SIOMMU_SMMUV2_IDR1, 4);
	id2 = v2_rd(&t, SIOMMU_SMMUV2_IDR2, 4);
	CHECK_EQ(id0 & 0xff, 8);		/* NUMSMRG */
	CHECK_EQ((id0 >> 9) & 0xf, 10);		/* NUMSIDB */
	CHECK_EQ((id0 >> 27) & 1, 1);		/* SMS */
	CHECK_EQ((id0 >> 29) & 1, 1);		/* S2TS */
	CHECK_EQ((id0 >> 30) & 1, 0);		/* S1TS */
	CHECK_EQ((id0 >> 28) & 1, 0);		/* NTS */
	CHECK_EQ((id0 >> 26) & 1, 1);		/* ATOSNS */
	CHECK_EQ(id1 & 0xff, 4);		/* NUMCB */
	CHECK_EQ((id1 >> 16) & 0xff, 4);	/* NUMS2CB: all stage 2 */
	CHECK_EQ((id1 >> 28) & 7, 6);		/* NUMPAGENDXB: 128 pages */
	CHECK_EQ((id1 >> 31) & 1, 0);		/* 4K register pages */
	CHECK_EQ(id2 & 0xf, 2);			/* IAS 40 */
	CHECK_EQ((id2 >> 4) & 0xf, 2);		/* OAS 40 */
	CHECK_EQ((id2 >> 12) & 7, 1);		/* 4K granule only */
	/* Read-only. */
	v2_wr(&t, SIOMMU_SMMUV2_IDR0, 4, 0);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_IDR0, 4), id0);
	v2t_fini(&t);

	v2t_init(&t, NULL);
	id0 = v2_rd(&t, SIOMMU_SMMUV2_IDR0, 4);
	CHECK_EQ((id0 >> 29) & 3, 3);		/* both stages */
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_IDR1, 4) & 0xff00ff, 16);	/* 16 banks, none S2-only */
	v2t_fini(&t);
}

static void test_reset_and_bits(void)
{
	struct v2t t;
	unsigned int i;

	v2t_init(&t, NULL);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SCR0, 4), SIOMMU_SMMUV2_SCR0_CLIENTPD);
	for (i = 0; i < 32; i++) {
		CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SMR(i), 4), 0);
		CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_S2CR(i), 4), SIOMMU_SMMUV2_S2CR_FAULT);
	}
	/* Reserved sCR0 bits (EXIDENABLE 3, 20:22 except SMCFCFG) ignore writes. */
	v2_wr(&t, SIOMMU_SMMUV2_SCR0, 4, 0xffffffff);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SCR0, 4) & (1u << 3), 0);
	CHECK(v2_rd(&t, SIOMMU_SMMUV2_SCR0, 4) & SIOMMU_SMMUV2_SCR0_SMCFCFG);
	/* SMR: ID and MASK bits beyond NUMSIDB are RES0. */
	v2_wr(&t, SIOMMU_SMMUV2_SMR(3), 4, 0xffffffff);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SMR(3), 4), 0xffff7fff);
	/* Groups and banks beyond the configuration read 0, ignore writes. */
	v2_wr(&t, SIOMMU_SMMUV2_SMR(40), 4, 0x80000001);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SMR(40), 4), 0);
	v2_wr(&t, SIOMMU_SMMUV2_CBAR(20), 4, 0x10000);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_CBAR(20), 4), 0);
	cb_wr(&t, 20, SIOMMU_SMMUV2_CB_SCTLR, 4, 1);
	CHECK_EQ(cb_rd(&t, 20, SIOMMU_SMMUV2_CB_SCTLR, 4), 0);
	/* Unpopulated pages between GR1 and the banks. */
	v2_wr(&t, 0x5000, 4, 1);
	CHECK_EQ(v2_rd(&t, 0x5000, 4), 0);
	/* CBA2R keeps VA64 and VMID16; SCTLR its fields. */
	v2_wr(&t, SIOMMU_SMMUV2_CBA2R(1), 4, 0xffffffff);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_CBA2R(1), 4), 0xffff0001);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, 0xffffffff);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4), 0x11f7);
	/* TTBR0 as a 64-bit register, and as two halves. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TTBR0, 8, 0x1234000012345000ull);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_TTBR0, 8), 0x1234000012345000ull);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TTBR0 + 4, 4, 0xabcd0000);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_TTBR0, 8), 0xabcd000012345000ull);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_TTBR0 + 4, 4), 0xabcd0000);
	/* TCR and CONTEXTIDR as one 64-bit access. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TCR, 8, 0x0000002a00000019ull);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_TCR, 4), 0x19);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_CONTEXTIDR, 4), 0x2a);
	/* PAR reads 0 (no translation operations); status never active. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_ATS1PR, 8, 0x1000);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_PAR, 8), 0);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_TLBSTATUS, 4), 0);
	v2_wr(&t, SIOMMU_SMMUV2_STLBGSYNC, 4, 0);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_STLBGSTATUS, 4), 0);
	v2t_fini(&t);
}

static void test_w1c(void)
{
	struct v2t t;

	v2t_init(&t, NULL);
	/* FSRRESTORE sets fault bits; FSR clears those written 1. */
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_FSRRESTORE, 4, SIOMMU_SMMUV2_FSR_TF |
	      SIOMMU_SMMUV2_FSR_PF | SIOMMU_SMMUV2_FSR_SS);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), SIOMMU_SMMUV2_FSR_TF | SIOMMU_SMMUV2_FSR_PF);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4, SIOMMU_SMMUV2_FSR_TF);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), SIOMMU_SMMUV2_FSR_PF);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4, 0);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), SIOMMU_SMMUV2_FSR_PF);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSRRESTORE, 4, SIOMMU_SMMUV2_GFSR_USF | SIOMMU_SMMUV2_GFSR_MULTI);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, SIOMMU_SMMUV2_GFSR_MULTI);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSR, 4), SIOMMU_SMMUV2_GFSR_USF);
	v2t_fini(&t);
}

static void test_bad(void)
{
	struct siommu_smmuv2_cfg cfg;
	struct siommu_smmuv2 *s;
	struct siommu_mem *mem;
	uint64_t v;
	struct v2t t;

	v2t_init(&t, NULL);
	CHECK_EQ(siommu_smmuv2_mmio_read(t.s, 2, 4, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv2_mmio_read(t.s, 4, 8, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv2_mmio_read(t.s, 0, 2, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv2_mmio_read(t.s, SIOMMU_SMMUV2_MMIO_SIZE, 4, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv2_mmio_read(t.s, 0, 4, NULL), -EINVAL);
	CHECK_EQ(siommu_smmuv2_mmio_write(t.s, SIOMMU_SMMUV2_MMIO_SIZE - 4, 8, 0), -EINVAL);
	CHECK_EQ(siommu_smmuv2_mmio_write(t.s, 1, 4, 0), -EINVAL);
	v2t_fini(&t);

	CHECK_OK(siommu_mem_create(NULL, &mem));
	memset(&cfg, 0, sizeof(cfg));
	cfg.oas = 47;
	CHECK_EQ(siommu_smmuv2_create(mem, &cfg, &s), -EINVAL);
	cfg.oas = 0;
	cfg.sid_bits = 16;
	CHECK_EQ(siommu_smmuv2_create(mem, &cfg, &s), -EINVAL);
	cfg.sid_bits = 0;
	cfg.num_cb = 129;
	CHECK_EQ(siommu_smmuv2_create(mem, &cfg, &s), -EINVAL);
	cfg.num_cb = 0;
	cfg.tlb_sets = 3;
	CHECK_EQ(siommu_smmuv2_create(mem, &cfg, &s), -EINVAL);
	cfg.tlb_sets = 0;
	cfg.features = 4;
	CHECK_EQ(siommu_smmuv2_create(mem, &cfg, &s), -EINVAL);
	CHECK_EQ(siommu_smmuv2_create(NULL, NULL, &s), -EINVAL);
	cfg.features = 0;
	CHECK_OK(siommu_smmuv2_create(mem, &cfg, &s));
	siommu_smmuv2_get_cfg(s, &cfg);
	CHECK_EQ(cfg.num_cb, 16);
	CHECK_EQ(cfg.sid_bits, 15);
	siommu_smmuv2_destroy(s);
	siommu_smmuv2_destroy(NULL);
	siommu_mem_destroy(mem);
}

int main(void)
{
	test_idr();
	test_reset_and_bits();
	test_w1c();
	test_bad();
	return 0;
}
