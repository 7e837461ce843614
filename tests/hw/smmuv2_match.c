/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 stream matching (SMMUv2 2.4) and global faults: CLIENTPD, SMR
 * ID/MASK, unmatched streams by USFCFG, conflicts by SMCFCFG, S2CR bypass
 * and fault, invalid contexts, sGFSR/sGFAR/sGFSYNR records, MULTI, the
 * global interrupt and GFRE, PRIVCFG.
 */
#include "smmuv2_test.h"

#define R SIOMMU_SMMUV2_READ
#define W SIOMMU_SMMUV2_WRITE

static void test_clientpd(void)
{
	struct v2t t;

	v2t_init(&t, NULL);
	/* Reset: everything bypasses, even streams with an S2CR that faults. */
	CHECK_EQ(v2t_xlate(&t, 5, 0x123456789, R | W), 0x123456789);
	v2_wr(&t, SIOMMU_SMMUV2_SCR0, 4, 0);
	/* Unmatched with USFCFG clear: bypass. */
	CHECK_EQ(v2t_xlate(&t, 5, 0x4000, R), 0x4000);
	v2t_fini(&t);
}

static void test_usf(void)
{
	struct siommu_smmuv2_xlate x;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	x = v2t_fault(&t, 7, 0xabc000, W, -EFAULT);
	CHECK(x.global && x.recorded && x.abort);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_GFSR_USF);
	CHECK_EQ(x.cb, -1);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSR, 4), SIOMMU_SMMUV2_GFSR_USF);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFAR, 8), 0xabc000);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSYNR1, 4), 7);
	CHECK(v2_rd(&t, SIOMMU_SMMUV2_SGFSYNR0, 4) & SIOMMU_SMMUV2_GFSYNR0_WNR);
	CHECK_EQ(t.irq_global, 1);
	/* A second one: MULTI, the first record stays, no new interrupt. */
	x = v2t_fault(&t, 8, 0xdef000, R, -EFAULT);
	CHECK(!x.recorded);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSR, 4),
		 SIOMMU_SMMUV2_GFSR_USF | SIOMMU_SMMUV2_GFSR_MULTI);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFAR, 8), 0xabc000);
	CHECK_EQ(t.irq_global, 1);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, 0xffffffff);
	/* GFRE and GFIE clear: recorded, silently terminated, no interrupt. */
	v2_wr(&t, SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_USFCFG);
	x = v2t_fault(&t, 8, 0xdef000, R, -EFAULT);
	CHECK(x.recorded && !x.abort);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSYNR1, 4), 8);
	CHECK_EQ(t.irq_global, 1);
	/* An S2CR of type fault is the same fault for a matched stream. */
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, 0xffffffff);
	v2_wr(&t, SIOMMU_SMMUV2_SMR(0), 4, SIOMMU_SMMUV2_SMR_VAL(9, 0));
	x = v2t_fault(&t, 9, 0x1000, R, -EFAULT);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_GFSR_USF);
	/* Bypass. */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_BYPASS);
	CHECK_EQ(v2t_xlate(&t, 9, 0x77000, R), 0x77000);
	/* SID beyond NUMSIDB. */
	{
		struct siommu_smmuv2_req r = v2t_req(1u << 15, 0, R);

		CHECK_EQ(siommu_smmuv2_translate(t.s, &r, &x), -EINVAL);
	}
	v2t_fini(&t);
}

static void test_mask_and_conflict(void)
{
	struct siommu_smmuv2_xlate x;
	struct v2t t;
	uint32_t sid;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	/* Group 2: IDs 0x40..0x4f (MASK 0xf) bypass. */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(2), 4, SIOMMU_SMMUV2_S2CR_BYPASS);
	v2_wr(&t, SIOMMU_SMMUV2_SMR(2), 4, SIOMMU_SMMUV2_SMR_VAL(0x45, 0xf));
	for (sid = 0x30; sid < 0x60; sid++) {
		if (sid >= 0x40 && sid < 0x50)
			CHECK_EQ(v2t_xlate(&t, sid, 0x1000, R), 0x1000);
		else
			CHECK_EQ(v2t_fault(&t, sid, 0x1000, R, -EFAULT).fsr,
				 SIOMMU_SMMUV2_GFSR_USF);
		v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, 0xffffffff);
	}
	/* Group 5 also matches 0x48: a conflict with SMCFCFG. */
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(5), 4, SIOMMU_SMMUV2_S2CR_BYPASS);
	v2_wr(&t, SIOMMU_SMMUV2_SMR(5), 4, SIOMMU_SMMUV2_SMR_VAL(0x48, 0));
	x = v2t_fault(&t, 0x48, 0x2000, R, -EFAULT);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_GFSR_SMCF);
	CHECK_EQ(v2_rd(&t, SIOMMU_SMMUV2_SGFSR, 4), SIOMMU_SMMUV2_GFSR_SMCF);
	CHECK_EQ(v2t_xlate(&t, 0x47, 0x2000, R), 0x2000);
	/* Without SMCFCFG the lowest group wins; its S2CR decides. */
	v2_wr(&t, SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_USFCFG);
	v2_wr(&t, SIOMMU_SMMUV2_S2CR(2), 4, SIOMMU_SMMUV2_S2CR_FAULT);
	CHECK_EQ(v2t_fault(&t, 0x48, 0x2000, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_USF);
	/* An invalid SMR matches nothing. */
	v2_wr(&t, SIOMMU_SMMUV2_SMR(2), 4, 0x45);
	CHECK_EQ(v2t_xlate(&t, 0x48, 0x2000, R), 0x2000);
	v2t_fini(&t);
}

static void test_icf(void)
{
	struct siommu_smmuv2_cfg cfg = { .num_cb = 4 };
	struct v2t t;
	uint64_t root;

	v2t_init(&t, &cfg);
	v2t_enable(&t);
	root = v2t_page(&t);
	/* A bank beyond NUMCB. */
	v2t_stream(&t, 0, 1, 9);
	CHECK_EQ(v2t_fault(&t, 1, 0x1000, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_ICF);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, 0xffffffff);
	/* TYPE 2 and 3 (not implemented), and stage 1 without VA64. */
	v2t_stream(&t, 0, 1, 3);
	v2t_s1_bank(&t, 3, 1, 1, root, 0, SCTLR_ON);
	v2_wr(&t, SIOMMU_SMMUV2_CBAR(3), 4, SIOMMU_SMMUV2_CBAR_S1_FAULT);
	CHECK_EQ(v2t_fault(&t, 1, 0x1000, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_ICF);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, 0xffffffff);
	v2_wr(&t, SIOMMU_SMMUV2_CBAR(3), 4, SIOMMU_SMMUV2_CBAR_NESTED);
	CHECK_EQ(v2t_fault(&t, 1, 0x1000, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_ICF);
	v2_wr(&t, SIOMMU_SMMUV2_SGFSR, 4, 0xffffffff);
	v2_wr(&t, SIOMMU_SMMUV2_CBAR(3), 4, SIOMMU_SMMUV2_CBAR_S1_BYPASS);
	v2_wr(&t, SIOMMU_SMMUV2_CBA2R(3), 4, 0);
	CHECK_EQ(v2t_fault(&t, 1, 0x1000, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_ICF);
	/* With VA64, translated; SCTLR.M clear: bypass. */
	v2_wr(&t, SIOMMU_SMMUV2_CBA2R(3), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	v2t_map_s1(&t, root, 0x1000, 0x9000, S1_RW);
	CHECK_EQ(v2t_xlate(&t, 1, 0x1000, R), 0x9000);
	cb_wr(&t, 3, SIOMMU_SMMUV2_CB_SCTLR, 4, 0);
	CHECK_EQ(v2t_xlate(&t, 1, 0x1000, R), 0x1000);
	v2t_fini(&t);

	/* A unit without stage 1: a stage-1 bank is an invalid context. */
	cfg.features = SIOMMU_SMMUV2_F_S2;
	v2t_init(&t, &cfg);
	v2t_enable(&t);
	v2t_stream(&t, 0, 1, 0);
	v2t_s1_bank(&t, 0, 1, 1, v2t_page(&t), 0, SCTLR_ON);
	CHECK_EQ(v2t_fault(&t, 1, 0x1000, R, -EFAULT).fsr, SIOMMU_SMMUV2_GFSR_ICF);
	v2t_fini(&t);
}

static void test_privcfg(void)
{
	struct v2t t;
	uint64_t root;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 4, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON);
	/* A privileged-only page. */
	v2t_map_s1(&t, root, 0x5000, 0x8000, PTE_AF);
	CHECK_EQ(v2t_fault(&t, 4, 0x5000, R, -EFAULT).fsr, SIOMMU_SMMUV2_FSR_PF);
	/* FSYNR0.PNU clear: an unprivileged access (1 is privileged). */
	CHECK(!(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_FSYNR0, 4) & SIOMMU_SMMUV2_FSYNR0_PNU));
	v2t_fsr_clear(&t, 0);
	{
		struct siommu_smmuv2_req r = v2t_req(4, 0x5000, R);
		struct siommu_smmuv2_xlate x;

		r.priv = true;
		CHECK_OK(siommu_smmuv2_translate(t.s, &r, &x));
		CHECK_EQ(x.addr, 0x8000);
		/* PRIVCFG 2 makes the stream unprivileged whatever it says. */
		v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_PRIV(2));
		CHECK_EQ(siommu_smmuv2_translate(t.s, &r, &x), -EFAULT);
		v2t_fsr_clear(&t, 0);
		/* PRIVCFG 3: privileged, also from the combined cache. */
		v2_wr(&t, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_PRIV(3));
		r.priv = false;
		CHECK_OK(siommu_smmuv2_translate(t.s, &r, &x));
		CHECK_OK(siommu_smmuv2_translate(t.s, &r, &x));
		CHECK_EQ(x.addr, 0x8000);
	}
	v2t_fini(&t);
}

int main(void)
{
	test_clientpd();
	test_usf();
	test_mask_and_conflict();
	test_icf();
	test_privcfg();
	return 0;
}
