/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 stall model: with SCTLR.CFCFG a context fault holds the
 * transaction (FSR.SS, -EAGAIN); writing FSR does not release it; RESUME
 * retries or terminates every transaction held on the bank, once, through
 * stall_end; a RESUME with nothing stalled does nothing; a retried
 * transaction translates once the tables are fixed; a stall that comes
 * while FSR holds the record of a fault that did not stall is held with
 * no record and no interrupt of its own (MULTI), and clearing that record
 * leaves it held; a fault while a transaction is held waits with it under
 * HUPCF 0 whatever CFCFG says, and only by CFCFG under HUPCF 1.
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

	root = v2t_s1_unit(&t, 3, 2, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_CFCFG);
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

/*
 * SMMUv2, SMMU_CBn_FSR: a context fault while FSR holds a fault sets
 * MULTI and records nothing; with CFCFG it still stalls (FSR.SS). The
 * interrupt came with the first record: the stall brings none. Clearing
 * the fault bits (write 1 to clear, MULTI included) leaves SS and the
 * transaction held; only RESUME ends it.
 */
static void test_stall_behind_record(void)
{
	struct siommu_smmuv2_xlate x;
	struct v2t t;

	v2t_s1_unit(&t, 3, 1, SCTLR_ON);
	/* Not stalling: terminated, recorded, the interrupt. */
	x = v2t_fault(&t, 3, 0x1000, R, -EFAULT);
	CHECK(!x.stalled && x.recorded);
	CHECK_EQ(t.irq_ctx[1], 1);
	/* Stalling again, before the record is cleared. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_CFCFG);
	x = v2t_fault(&t, 3, 0x2000, W, -EAGAIN);
	CHECK(x.stalled && !x.recorded);
	CHECK_EQ(t.irq_ctx[1], 1);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4),
		 SIOMMU_SMMUV2_FSR_TF | SIOMMU_SMMUV2_FSR_SS | SIOMMU_SMMUV2_FSR_MULTI);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FAR, 8), 0x1000);
	/* The first record cleared as read (MULTI was not set then). */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4, SIOMMU_SMMUV2_FSR_TF);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4),
		 SIOMMU_SMMUV2_FSR_SS | SIOMMU_SMMUV2_FSR_MULTI);
	/* All of FSR, SS included: still held. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4, 0xffffffffu);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4), SIOMMU_SMMUV2_FSR_SS);
	CHECK_EQ(t.stall_ends, 0);
	/* A new fault is recorded again, and waits for the same RESUME. */
	x = v2t_fault(&t, 3, 0x3000, R, -EAGAIN);
	CHECK(x.stalled && x.recorded);
	CHECK_EQ(t.irq_ctx[1], 2);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4, SIOMMU_SMMUV2_FSR_FAULT);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_RESUME, 4, SIOMMU_SMMUV2_RESUME_TERMINATE);
	CHECK_EQ(t.stall_ends, 1);
	CHECK_EQ(t.stall_retry, 0);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4), 0);
	v2t_fini(&t);
}

/*
 * SMMUv2, SMMU_CBn_SCTLR.HUPCF: with 0, a transaction of a stalled bank
 * is not processed past the outstanding fault, so a fault there is held
 * with the stalled one even once CFCFG is clear; with 1, each transaction
 * is processed independently: a fault stalls only by CFCFG (and is MULTI
 * behind the pending record either way). RESUME ends what was held.
 */
static void test_stall_hupcf(void)
{
	struct siommu_smmuv2_xlate x;
	struct v2t t;

	v2t_s1_unit(&t, 3, 1, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_CFCFG);
	x = v2t_fault(&t, 3, 0x1000, R, -EAGAIN);
	CHECK(x.stalled && x.recorded);
	/* CFCFG clear, HUPCF 0: held behind the stall. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON);
	x = v2t_fault(&t, 3, 0x2000, R, -EAGAIN);
	CHECK(x.stalled && !x.recorded);
	/* HUPCF 1: terminated, MULTI behind the record. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_HUPCF);
	x = v2t_fault(&t, 3, 0x3000, W, -EFAULT);
	CHECK(!x.stalled && !x.recorded);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4),
		 SIOMMU_SMMUV2_FSR_TF | SIOMMU_SMMUV2_FSR_SS | SIOMMU_SMMUV2_FSR_MULTI);
	/* HUPCF 1 with CFCFG: stalls by CFCFG. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4,
	      SCTLR_ON | SIOMMU_SMMUV2_SCTLR_HUPCF | SIOMMU_SMMUV2_SCTLR_CFCFG);
	x = v2t_fault(&t, 3, 0x4000, R, -EAGAIN);
	CHECK(x.stalled && !x.recorded);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4, SIOMMU_SMMUV2_FSR_FAULT);
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_RESUME, 4, SIOMMU_SMMUV2_RESUME_TERMINATE);
	CHECK_EQ(t.stall_ends, 1);
	CHECK_EQ(cb_rd(&t, 1, SIOMMU_SMMUV2_CB_FSR, 4), 0);
	/* Nothing held: with CFCFG clear and HUPCF 1, terminated. */
	cb_wr(&t, 1, SIOMMU_SMMUV2_CB_SCTLR, 4, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_HUPCF);
	x = v2t_fault(&t, 3, 0x5000, R, -EFAULT);
	CHECK(!x.stalled && x.recorded);
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

	root = v2t_s1_unit(&t, 3, 0, SCTLR_ON | SIOMMU_SMMUV2_SCTLR_CFCFG);
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
	test_stall_behind_record();
	test_stall_hupcf();
	test_dma_stall();
	return 0;
}
