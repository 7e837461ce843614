/* SPDX-License-Identifier: MIT */
/*
 * The core's I/O page-fault path: groups answered once when their last
 * request comes, every page of a group faulted in; a full queue answers
 * "success" and counts; unbind with groups in flight answers each once
 * and none after; a group for a PASID nobody handles is answered
 * "invalid request" at once, and only once.
 */
#include "sva_test.h"

#define PG SIOMMU_SZ_4K

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;

static void page_req(struct test_pri_dev *d, uint32_t pasid, uint64_t addr, uint16_t prgi,
		     bool last, bool write)
{
	int ret = test_pri_request(d, pasid, addr, write, prgi, last, 0);

	CHECK(ret == 0 || ret == -ENOSPC);
}

static uint64_t total_responses(struct test_pri_dev *d)
{
	return __atomic_load_n(&d->responses, __ATOMIC_ACQUIRE);
}

/* A group of four pages: one answer, four pages resident. */
static void test_group(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm;
	struct siommu_mm_info mi;
	struct siommu_sva *sva;
	uint64_t va;
	uint32_t pasid;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 8 * PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE, &va));
	test_pri_dev_init(&d, ctx, unit, 0x10, 20, 0);
	d.poll = true;
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	for (unsigned int i = 0; i < 3; i++)
		page_req(&d, pasid, va + i * PG, 5, false, true);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);		/* incomplete */
	page_req(&d, pasid, va + 3 * PG, 5, true, false);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(total_responses(&d), 1);
	CHECK_EQ(d.resp_code[5], 0);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.resident, 4);
	/* One bad page makes the whole group invalid. */
	page_req(&d, pasid, va + 4 * PG, 6, false, false);
	page_req(&d, pasid, va + 64 * PG, 6, true, false);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(d.resp_code[6], 1);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* A PASID nobody handles, and requests without a PASID: "invalid", at
 * once, in the reporting thread (nothing is queued for the poller). */
static void test_unhandled(void)
{
	struct test_pri_dev d;

	test_pri_dev_init(&d, ctx, unit, 0x11, 20, 0);
	page_req(&d, 77, 0x1000, 8, true, false);
	CHECK_OK(test_pri_request(&d, TEST_PRI_NO_PASID, 0x1000, false, 9, true, 0));
	CHECK_EQ(total_responses(&d), 2);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);
	CHECK_EQ(d.resp_code[8], 1);
	CHECK_EQ(d.resp_code[9], 1);
	test_pri_dev_fini(&d);
}

/* More than the queue holds: the rest is answered "success" (retry). */
static void test_overflow(void)
{
	struct test_pri_dev d;
	struct siommu_unit_stats st0, st1;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	unsigned int i, n = SIOMMU_IOPF_QUEUE + 100, handled;
	uint64_t va;
	uint32_t pasid;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, n * PG, SIOMMU_PROT_READ, &va));
	test_pri_dev_init(&d, ctx, unit, 0x12, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	siommu_unit_get_stats(unit, &st0);
	for (i = 0; i < n; i++)
		page_req(&d, pasid, va + i * PG, (uint16_t)(i % 512), true, false);
	siommu_unit_get_stats(unit, &st1);
	CHECK_EQ(st1.iopf_overflows - st0.iopf_overflows, 100);
	CHECK_EQ(total_responses(&d), 100);
	handled = siommu_iopf_poll(ctx, 0);
	CHECK_EQ(handled, SIOMMU_IOPF_QUEUE);
	CHECK_EQ(total_responses(&d), n);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* Unbind with groups queued: each answered once, "invalid", before the
 * PASID is released; a partial group is forgotten. */
static void test_unbind_in_flight(void)
{
	struct test_pri_dev d, other;
	struct siommu_mm *mm, *m2;
	struct siommu_sva *sva, *s2;
	struct siommu_pasid_info pi;
	uint64_t va;
	uint32_t pasid;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(3), &mm));
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(4), &m2));
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, SIOMMU_PROT_READ, &va));
	CHECK_OK(siommu_mm_mmap(m2, 0, 16 * PG, SIOMMU_PROT_READ, &va));
	test_pri_dev_init(&d, ctx, unit, 0x13, 20, 0);
	test_pri_dev_init(&other, ctx, unit, 0x14, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	CHECK_OK(siommu_sva_bind(other.dev, m2, &s2));
	pasid = siommu_sva_pasid(sva);
	siommu_mm_exit(mm);
	for (unsigned int i = 0; i < 10; i++)
		page_req(&d, pasid, va + i * PG, (uint16_t)i, true, false);
	page_req(&d, pasid, va, 100, false, false);
	page_req(&other, siommu_sva_pasid(s2), va, 1, true, false);
	CHECK_EQ(total_responses(&d), 0);
	siommu_sva_unbind(sva);
	CHECK_EQ(total_responses(&d), 10);
	for (unsigned int i = 0; i < 10; i++) {
		CHECK_EQ(d.resp_seen[i], 1);
		CHECK_EQ(d.resp_code[i], 1);
	}
	CHECK_EQ(siommu_pasid_query(siommu_ctx_pasids(ctx), pasid, &pi), -ENOENT);
	/* The other device's group is still there, and handled. */
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(total_responses(&d), 10);
	CHECK_EQ(total_responses(&other), 1);
	CHECK_EQ(other.resp_code[1], 0);
	siommu_sva_unbind(s2);
	siommu_mm_exit(m2);
	test_pri_dev_fini(&d);
	test_pri_dev_fini(&other);
}

/*
 * Unbind drains the unit's page request queue: requests whose interrupt
 * has not been handled yet (SMMUv3: the PRI queue's interrupt masked, as
 * a late interrupt leaves them) are read and answered by the unbind, once
 * each, before it returns.
 */
static void test_unbind_drains(void)
{
	struct test_pri_dev d;
	struct siommu_smmuv3 *hw;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	uint64_t va, irqs;
	uint32_t pasid;

	if (test_unit_type() != TEST_UNIT_SMMUV3) {
		fprintf(stderr, "unbind drains: the interrupt is masked on SMMUv3 only\n");
		return;
	}
	hw = siommu_unit_smmuv3(unit);
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(6), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, SIOMMU_PROT_READ, &va));
	test_pri_dev_init(&d, ctx, unit, 0x15, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	CHECK_OK(siommu_smmuv3_mmio_read(hw, SIOMMU_SMMUV3_IRQ_CTRL, 4, &irqs));
	CHECK(irqs & SIOMMU_SMMUV3_IRQ_PRIQ);
	CHECK_OK(siommu_smmuv3_mmio_write(hw, SIOMMU_SMMUV3_IRQ_CTRL, 4,
					  irqs & ~(uint64_t)SIOMMU_SMMUV3_IRQ_PRIQ));
	for (unsigned int i = 0; i < 3; i++)
		page_req(&d, pasid, va + i * PG, (uint16_t)(20 + i), true, false);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);
	CHECK_EQ(total_responses(&d), 0);
	siommu_sva_unbind(sva);
	CHECK_EQ(total_responses(&d), 3);
	for (unsigned int i = 0; i < 3; i++) {
		CHECK_EQ(d.resp_seen[20 + i], 1);
		CHECK_EQ(d.resp_code[20 + i], 1);
	}
	CHECK_OK(siommu_smmuv3_mmio_write(hw, SIOMMU_SMMUV3_IRQ_CTRL, 4, irqs));
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* A group for a PASID whose bind is gone is answered at once, in poll
 * mode too, and the context's destruction answers nothing twice. */
static void test_destroy_answers(void)
{
	struct siommu_ctx *c;
	struct siommu_unit *u;
	struct test_pri_dev d;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	uint64_t va;

	CHECK_OK(siommu_ctx_create(NULL, &c));
	CHECK_OK(test_unit_add(c, NULL, &u));
	CHECK_OK(siommu_iopf_set_mode(c, SIOMMU_IOPF_POLL));
	CHECK_OK(siommu_mm_create(c, TEST_MM_CFG(5), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, PG, SIOMMU_PROT_READ, &va));
	test_pri_dev_init(&d, c, u, 0x20, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	page_req(&d, 5, va, 3, true, false);
	CHECK_EQ(total_responses(&d), 1);
	CHECK_EQ(siommu_iopf_poll(c, 0), 0);
	siommu_ctx_destroy(c);
	CHECK_EQ(d.responses, 1);
	CHECK_EQ(d.resp_code[3], 1);
}

int main(void)
{
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	/* Poll mode from here on: groups wait until the test polls. */
	test_group();
	test_unhandled();
	test_overflow();
	test_unbind_in_flight();
	test_unbind_drains();
	test_destroy_answers();
	siommu_ctx_destroy(ctx);
	return 0;
}
