/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 stall model: with SCTLR.CFCFG a context fault holds the
 * transaction (FSR.SS, -EAGAIN); writing FSR does not release it; RESUME
 * retries or terminates every transaction held on the bank, once, through
 * stall_end; a RESUME with nothing stalled does nothing; a retried
 * transaction translates once the tables are fixed.
 */
#include "smmuv2_test.h"

#define R SIOMMU_SMMUV2_READ
#define W SIOMMU_SMMUV2_WRITE

static void test_stall_resume(void)
{
	struct siommu_smmuv2_stats st;
	struct siommu_smmuv2_xlate x;
	uint64_t root;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 2);
	v2t_s1_bank(&t, 2, 1, 1, root, 0, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_CFCFG);
	x = v2t_fault(&t, 3, 0x1000, W, -EAGAIN);
	CHECK(x.stalled && x.recorded);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_FSR_TF);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4),
		 SIOMMU_SMMUV2_FSR_TF | SIOMMU_SMMUV2_FSR_SS);
	CHECK_EQ(t.irq_ctx[2], 1);
	/* Another fault on the stalled bank waits for the same RESUME. */
	x = v2t_fault(&t, 3, 0x2000, R, -EAGAIN);
	CHECK(x.stalled && !x.recorded);
	/* Clearing the fault bits leaves SS. */
	v2t_fsr_clear(&t, 2);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), SIOMMU_SMMUV2_FSR_SS);
	/* The fix, then RESUME with retry. */
	v2t_map_s1(&t, root, 0x1000, 0x7000, S1_RW);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_RESUME, 4, 0);
	CHECK_EQ(t.stall_ends, 1);
	CHECK_EQ(t.stall_retry, 1);
	CHECK_EQ(t.last_stall_cb, 2);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), 0);
	CHECK_EQ(v2t_xlate(&t, 3, 0x1000, W), 0x7000);
	/* Nothing stalled: RESUME is ignored. */
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_RESUME, 4, 0);
	CHECK_EQ(t.stall_ends, 1);
	/* Terminate. */
	v2t_fault(&t, 3, 0x3000, R, -EAGAIN);
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_RESUME, 4, SIOMMU_SMMUV2_RESUME_TERMINATE);
	CHECK_EQ(t.stall_ends, 2);
	CHECK_EQ(t.stall_retry, 1);
	v2t_fsr_clear(&t, 2);
	/* CFCFG clear: terminated. */
	cb_wr(&t, 2, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON);
	x = v2t_fault(&t, 3, 0x3000, R, -EFAULT);
	CHECK(!x.stalled);
	CHECK_EQ(cb_rd(&t, 2, SIOMMU_SMMUV2_CB_FSR, 4), SIOMMU_SMMUV2_FSR_TF);
	siommu_smmuv2_get_stats(t.s, &st);
	CHECK_EQ(st.stalls, 3);
	CHECK_EQ(st.faults, 4);
	CHECK_EQ(st.context_faults, 3);
	v2t_fini(&t);
}

/* A DMA that stalls reports it, with what it moved before. */
static void test_dma_stall(void)
{
	struct siommu_smmuv2_req r = v2t_req(3, 0x1f00, 0);
	struct siommu_smmuv2_xlate x;
	uint8_t buf[512] = { 0 };
	uint64_t root;
	size_t done;
	struct v2t t;

	v2t_init(&t, NULL);
	v2t_enable(&t);
	root = v2t_page(&t);
	v2t_stream(&t, 0, 3, 0);
	v2t_s1_bank(&t, 0, 1, 1, root, 0, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_CFCFG);
	v2t_map_s1(&t, root, 0x1000, v2t_page(&t), S1_RW);
	CHECK_EQ(siommu_smmuv2_dma_read(t.s, &r, buf, sizeof(buf), &done, &x), -EAGAIN);
	CHECK_EQ(done, 0x100);
	CHECK(x.stalled);
	CHECK_EQ(cb_rd(&t, 0, SIOMMU_SMMUV2_CB_FAR, 8), 0x2000);
	cb_wr(&t, 0, SIOMMU_SMMUV2_CB_RESUME, 4, SIOMMU_SMMUV2_RESUME_TERMINATE);
	CHECK_EQ(t.stall_ends, 1);
	v2t_fini(&t);
}

int main(void)
{
	test_stall_resume();
	test_dma_stall();
	return 0;
}
