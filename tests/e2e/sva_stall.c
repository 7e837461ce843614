/* SPDX-License-Identifier: MIT */
/*
 * SVA on SMMUv3 for a platform device with the stall model (SMMUv3
 * 3.12.2): a transaction that faults on the process's table stalls, its
 * event reaches the core as a page request, and the answer resumes it
 * (CMD_RESUME retry: the device issues it again and it succeeds) or
 * aborts it (an address no mapping covers, a write to a read-only page).
 * Poll mode holds the stall until the caller polls; an unbind with a
 * stall in flight aborts it; an exited process's quiet CD neither stalls
 * nor records; a DMA domain on the same device never stalls; devices and
 * units that cannot stall are refused.
 */
#include <siommu/dma.h>

#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define RID 0x600

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static struct siommu_smmuv3 *hw;

/* The device's view of its stalled transactions. */
static struct {
	uint64_t ends, retries, aborts;
	uint16_t last_stag;
} stalls;

static void dev_stall_end(void *opaque, const struct siommu_smmuv3_stall_end *e)
{
	(void)opaque;
	__atomic_store_n(&stalls.last_stag, e->stag, __ATOMIC_RELAXED);
	if (e->retry)
		__atomic_fetch_add(&stalls.retries, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&stalls.aborts, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stalls.ends, 1, __ATOMIC_RELEASE);
}

static const struct siommu_smmuv3_dev_ops dev_ops = {
	.atc_inv = test_pri_smmu_atc,
	.stall_end = dev_stall_end,
};

/* Wait for the stall_end callback number @n, polling with @poll. */
static void wait_end(uint64_t n, bool poll)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&stalls.ends, __ATOMIC_ACQUIRE) < n) {
		if (poll)
			siommu_iopf_poll(ctx, 0);
		else
			sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		CHECK(t.tv_sec - t0.tv_sec < 30);
	}
}

/*
 * The device's DMA as a stalling master does it: a stall waits for its
 * end and is issued again on retry. 0; -EFAULT when aborted (or faulted
 * without a stall: *stalled false).
 */
static int stall_dma(uint32_t pasid, uint64_t addr, void *buf, size_t len, bool write,
		     unsigned int *nstalls)
{
	const struct siommu_smmuv3_req req = { .sid = RID, .ssv = true, .ssid = pasid,
					       .iova = addr };
	unsigned int tries;

	*nstalls = 0;
	for (tries = 0; tries < 16; tries++) {
		struct siommu_smmuv3_xlate res;
		uint64_t retries = stalls.retries, ends = stalls.ends;
		int ret;

		memset(&res, 0, sizeof(res));
		ret = write ? siommu_smmuv3_dma_write(hw, &req, buf, len, NULL, &res) :
			      siommu_smmuv3_dma_read(hw, &req, buf, len, NULL, &res);
		if (ret != -EAGAIN)
			return ret;
		CHECK(res.stalled);
		(*nstalls)++;
		wait_end(ends + 1, false);
		if (__atomic_load_n(&stalls.retries, __ATOMIC_ACQUIRE) == retries)
			return -EFAULT;
	}
	fprintf(stderr, "DMA at 0x%" PRIx64 " kept stalling\n", addr);
	exit(1);
}

static struct siommu_device *stall_dev_add(void)
{
	struct siommu_device *dev = test_dev_add(unit, RID, 20, SIOMMU_DEV_STALL);

	CHECK_OK(siommu_smmuv3_dev_register(hw, RID, &dev_ops, NULL));
	return dev;
}

static void stall_dev_remove(struct siommu_device *dev)
{
	siommu_smmuv3_dev_unregister(hw, RID);
	siommu_device_remove(dev);
}

/* Pages faulted in through stalls, both ways; refusals abort. */
static void test_resolve(void)
{
	struct siommu_device *dev = stall_dev_add();
	struct siommu_mm *mm;
	struct siommu_mm_info mi;
	struct siommu_sva *sva;
	struct siommu_unit_stats st0, st1;
	unsigned char w[PG], r[PG];
	unsigned int n;
	uint64_t va, ro;
	uint32_t pasid;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 8 * PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE, &va));
	CHECK_OK(siommu_mm_mmap(mm, 0, PG, SIOMMU_PROT_READ, &ro));
	CHECK_OK(siommu_mm_write(mm, va, "cpu", 4));
	CHECK_OK(siommu_sva_bind(dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);

	/* Present: no stall. */
	CHECK_OK(stall_dma(pasid, va, r, 4, false, &n));
	CHECK_EQ(n, 0);
	CHECK(!strcmp((char *)r, "cpu"));
	/* Untouched: one stall, resumed with retry, zeros. */
	memset(r, 0xff, sizeof(r));
	CHECK_OK(stall_dma(pasid, va + 3 * PG, r, PG, false, &n));
	CHECK_EQ(n, 1);
	for (size_t i = 0; i < PG; i++)
		CHECK_EQ(r[i], 0);
	/* The device writes a page nobody touched; the CPU reads it. */
	for (size_t i = 0; i < PG; i++)
		w[i] = (unsigned char)(i * 13 + 1);
	CHECK_OK(stall_dma(pasid, va + 5 * PG, w, PG, true, &n));
	CHECK_EQ(n, 1);
	CHECK_OK(siommu_mm_read(mm, va + 5 * PG, r, PG));
	CHECK(!memcmp(r, w, PG));

	/* No mapping there, and a write to a read-only one: aborted, and
	 * the stalls are page requests, not faults for a handler. */
	siommu_unit_get_stats(unit, &st0);
	CHECK_EQ(stall_dma(pasid, va + 64 * PG, r, 8, false, &n), -EFAULT);
	CHECK_EQ(n, 1);
	CHECK_EQ(stall_dma(pasid, ro, w, 8, true, &n), -EFAULT);
	CHECK_EQ(n, 1);
	siommu_unit_get_stats(unit, &st1);
	CHECK_EQ(st1.faults, st0.faults);
	CHECK_EQ(st1.faults_unhandled, st0.faults_unhandled);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults, 2);
	CHECK_EQ(mi.faults_refused, 2);

	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	stall_dev_remove(dev);
}

/* Poll mode holds a stall until the caller polls; an unbind answers a
 * stall still queued with an abort, exactly once. */
static void test_poll_and_unbind(void)
{
	struct siommu_device *dev = stall_dev_add();
	const struct siommu_smmuv3_req req = { .sid = RID, .ssv = true };
	struct siommu_smmuv3_req rq = req;
	struct siommu_smmuv3_xlate res;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	unsigned char r[8];
	uint64_t va, ends, aborts;

	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, SIOMMU_PROT_READ, &va));
	CHECK_OK(siommu_sva_bind(dev, mm, &sva));
	rq.ssid = siommu_sva_pasid(sva);
	rq.iova = va;
	ends = stalls.ends;
	CHECK_EQ(siommu_smmuv3_dma_read(hw, &rq, r, sizeof(r), NULL, &res), -EAGAIN);
	usleep(20000);
	CHECK_EQ(stalls.ends, ends);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	wait_end(ends + 1, false);
	CHECK_EQ(stalls.last_stag, res.stag);
	CHECK_OK(siommu_smmuv3_dma_read(hw, &rq, r, sizeof(r), NULL, NULL));

	/* A stall queued, not yet handled: the unbind aborts it. */
	rq.iova = va + 2 * PG;
	ends = stalls.ends;
	aborts = stalls.aborts;
	CHECK_EQ(siommu_smmuv3_dma_read(hw, &rq, r, sizeof(r), NULL, &res), -EAGAIN);
	siommu_sva_unbind(sva);
	CHECK_EQ(stalls.ends, ends + 1);
	CHECK_EQ(stalls.aborts, aborts + 1);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);
	CHECK_EQ(stalls.ends, ends + 1);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_WORKER));
	siommu_mm_exit(mm);
	stall_dev_remove(dev);
}

/* An exited process's CD is quiet: no stall, no record. A DMA domain at
 * the device's RID never stalls: nothing would resume it. */
static void test_quiet(void)
{
	struct siommu_device *dev = stall_dev_add();
	struct siommu_smmuv3_req rq = { .sid = RID, .ssv = true };
	struct siommu_smmuv3_xlate res;
	struct siommu_smmuv3_stats s0, s1;
	struct siommu_domain *dom;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	unsigned char r[8];
	uint64_t va;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(3), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, SIOMMU_PROT_READ, &va));
	CHECK_OK(siommu_sva_bind(dev, mm, &sva));
	rq.ssid = siommu_sva_pasid(sva);
	rq.iova = va + PG;
	siommu_mm_exit(mm);
	siommu_smmuv3_get_stats(hw, &s0);
	memset(&res, 0, sizeof(res));
	CHECK_EQ(siommu_smmuv3_dma_read(hw, &rq, r, sizeof(r), NULL, &res), -EFAULT);
	CHECK(!res.stalled && !res.event_recorded);
	siommu_smmuv3_get_stats(hw, &s1);
	CHECK_EQ(s1.stalls, s0.stalls);
	CHECK_EQ(s1.events, s0.events);
	siommu_sva_unbind(sva);

	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	CHECK_OK(siommu_device_attach(dev, dom));
	memset(&res, 0, sizeof(res));
	CHECK_EQ(test_unit_dma_read(unit, RID, false, 0, 0x100000, r, sizeof(r), NULL), -EFAULT);
	siommu_smmuv3_get_stats(hw, &s1);
	CHECK_EQ(s1.stalls, s0.stalls);
	siommu_device_detach(dev);
	CHECK_OK(siommu_domain_free(dom));
	stall_dev_remove(dev);
}

/* Who cannot stall is refused. */
static void test_refusals(void)
{
	struct siommu_device *dev;
	struct siommu_unit *nostall;
	struct siommu_device_info info;

	/* Faults resolve one way: PRI or stalls. */
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x700, .pasid_bits = 20, .flags = SIOMMU_DEV_STALL | SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev), -EINVAL);
	CHECK_OK(siommu_unit_add_smmuv3(ctx, &(struct siommu_smmuv3_cfg){
		.features = SIOMMU_SMMUV3_F_ALL & ~SIOMMU_SMMUV3_F_STALL }, &nostall));
	CHECK_EQ(siommu_device_add(nostall, &(struct siommu_device_cfg){
		.rid = 0x700, .pasid_bits = 20, .flags = SIOMMU_DEV_STALL,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev), -EOPNOTSUPP);
	dev = stall_dev_add();
	CHECK_OK(siommu_device_get_info(dev, &info));
	CHECK(info.stall && !info.pri);
	stall_dev_remove(dev);
}

int main(void)
{
	struct siommu_mem_stats ms0, ms1;

	/* The stall model is SMMUv3's. */
	if (test_unit_type() != TEST_UNIT_SMMUV3)
		return 77;
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	hw = siommu_unit_smmuv3(unit);
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms0);
	test_resolve();
	test_poll_and_unbind();
	test_quiet();
	test_refusals();
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms1);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_DMA], ms0.in_use[SIOMMU_MEM_DMA]);
	siommu_ctx_destroy(ctx);
	return 0;
}
