/* SPDX-License-Identifier: MIT */
/*
 * The DMA API end to end through the unit's model (each type, core_unit.h): a software device DMAs
 * with and without PASID through the same mappings (same IOVA, same data);
 * direction sets permissions; strict unmap faults at once, lazy unmap may
 * still hit a cached translation until the batched flush (forced by count
 * and by time, not before the time bound, and restarted by a flush), and
 * faults after it; the flush frees the IOVAs and the table levels it covers,
 * also those queued on another CPU; no IOVA in the interrupt window; an
 * identity domain with a PASID (where a PASID takes one: not on SMMUv3,
 * nor a second-stage domain there, which refuse the PASID); a
 * PASID-only device gets its PASID at setup; scatter-gather merging;
 * coherent buffers; a group sharing one DMA domain; and every bad input
 * refused with nothing else disturbed.
 */
#include <errno.h>
#include <sched.h>
#include <time.h>

#include <siommu/dma.h>

#include "core_unit.h"
#include "test.h"

static struct siommu_unit *g_unit;
static struct siommu_mem *mem;
static struct siommu_ctx *g_ctx;

static int dma_rd(uint16_t rid, uint32_t pasid, uint64_t iova, uint64_t *v)
{
	*v = ~0ull;
	return test_unit_dma_read(g_unit, rid, pasid != 0, pasid, iova, v, sizeof(*v), NULL);
}

static int dma_wr(uint16_t rid, uint32_t pasid, uint64_t iova, uint64_t v)
{
	return test_unit_dma_write(g_unit, rid, pasid != 0, pasid, iova, &v, sizeof(v));
}

static uint64_t rd64(uint64_t pa)
{
	uint64_t v;

	CHECK_OK(siommu_mem_read(mem, pa, &v, sizeof(v)));
	return v;
}

static void wr64(uint64_t pa, uint64_t v)
{
	CHECK_OK(siommu_mem_write(mem, pa, &v, sizeof(v)));
}

static uint64_t frame(uint64_t size)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(mem, size, SIOMMU_MEM_DMA, &pa));
	return pa;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	nanosleep(&(struct timespec){ ns / 1000000000ull, ns % 1000000000ull }, NULL);
}

static void stats(struct siommu_device *dev, struct siommu_dma_stats *st)
{
	CHECK_OK(siommu_dma_get_stats(dev, st));
}

/* Same record, same counters: what a refused call must leave. */
static void same_stats(const struct siommu_dma_stats *a, const struct siommu_dma_stats *b)
{
	CHECK_EQ(a->maps, b->maps);
	CHECK_EQ(a->unmaps, b->unmaps);
	CHECK_EQ(a->live, b->live);
	CHECK_EQ(a->queued, b->queued);
	CHECK_EQ(a->flushes, b->flushes);
}

static struct siommu_device *add_dev(struct siommu_unit *unit, uint16_t rid,
				     unsigned int pasid_bits, unsigned int flags,
				     uint32_t key)
{
	struct siommu_device *dev;

	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = rid, .pasid_bits = pasid_bits, .flags = flags,
		.isolation_key = key, .alias_rid = SIOMMU_NO_ALIAS }, &dev));
	return dev;
}

/* Strict paging domain: PASID and RID see the same mappings. */
static void test_strict(struct siommu_unit *unit, enum siommu_domain_stage stage)
{
	struct siommu_device *dev = add_dev(unit, 0x0100, 20, SIOMMU_DEV_ATS, 0);
	struct siommu_dma_cfg cfg = { .policy = SIOMMU_DMA_STRICT, .stage = stage };
	struct siommu_dma_info info;
	struct siommu_dma_stats st;
	uint64_t pa = frame(SIOMMU_SZ_4K), iova, iova2, v, msi_first, msi_last;
	uint32_t pasid = 0;
	bool use_pasid = test_unit_pasid_domain_ok(SIOMMU_DOMAIN_PAGING,
						   stage == SIOMMU_STAGE_SECOND);

	CHECK_OK(siommu_dma_setup(dev, &cfg));
	CHECK_EQ(siommu_dma_setup(dev, &cfg), -EBUSY);
	if (use_pasid) {
		CHECK_OK(siommu_dma_enable_pasid(dev, &pasid));
		CHECK(pasid != 0);
		CHECK_EQ(siommu_dma_enable_pasid(dev, &pasid), -EBUSY);
	} else {
		/* Refused, nothing attached: the "PASID" DMAs below are
		 * RID ones. */
		CHECK_EQ(siommu_dma_enable_pasid(dev, &pasid), -EINVAL);
		pasid = 0;
	}
	CHECK_OK(siommu_dma_get_info(dev, &info));
	CHECK_EQ(info.pasid, pasid);
	CHECK_EQ(info.policy, SIOMMU_DMA_STRICT);
	CHECK_EQ(info.type, SIOMMU_DOMAIN_PAGING);
	CHECK_EQ(siommu_device_domain(dev, pasid), info.domain);
	CHECK_EQ(siommu_device_domain(dev, 0), info.domain);

	wr64(pa + 0x10, 0x1234);
	CHECK_OK(siommu_dma_map_single(dev, pa + 0x10, 64, SIOMMU_DMA_BIDIRECTIONAL, &iova));
	CHECK_EQ(iova & 0xfff, 0x10);
	CHECK(iova >= SIOMMU_SZ_4K);
	test_unit_msi_window(&msi_first, &msi_last);
	CHECK(iova + 64 <= msi_first || iova > msi_last);
	CHECK_OK(dma_rd(0x0100, 0, iova, &v));
	CHECK_EQ(v, 0x1234);
	CHECK_OK(dma_rd(0x0100, pasid, iova, &v));
	CHECK_EQ(v, 0x1234);
	CHECK_OK(dma_wr(0x0100, pasid, iova + 8, 0x5678));
	CHECK_OK(dma_rd(0x0100, 0, iova + 8, &v));
	CHECK_EQ(v, 0x5678);
	CHECK_EQ(rd64(pa + 0x18), 0x5678);
	CHECK_OK(siommu_dma_sync_single_for_cpu(dev, iova, 64, SIOMMU_DMA_BIDIRECTIONAL));
	CHECK_OK(siommu_dma_sync_single_for_device(dev, iova, 32, SIOMMU_DMA_BIDIRECTIONAL));
	CHECK_EQ(siommu_dma_sync_single_for_cpu(dev, iova, 65, SIOMMU_DMA_BIDIRECTIONAL), -EINVAL);
	CHECK_EQ(siommu_dma_sync_single_for_cpu(dev, iova, 8, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_sync_single_for_cpu(dev, iova + 8, 8, SIOMMU_DMA_BIDIRECTIONAL), -ENOENT);

	/* Directions. */
	CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iova2));
	CHECK_OK(dma_rd(0x0100, pasid, iova2 + 0x10, &v));
	CHECK_EQ(v, 0x1234);
	CHECK_EQ(dma_wr(0x0100, 0, iova2, 1), -EFAULT);
	CHECK_EQ(dma_wr(0x0100, pasid, iova2, 1), -EFAULT);
	CHECK_OK(siommu_dma_unmap_single(dev, iova2, 8, SIOMMU_DMA_TO_DEVICE));
	CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_FROM_DEVICE, &iova2));
	CHECK_OK(dma_wr(0x0100, 0, iova2, 0x77));
	CHECK_EQ(rd64(pa), 0x77);
	/* Write-only only where the format has it (VT-d second stage, Arm
	 * stage 2). */
	if (stage == SIOMMU_STAGE_SECOND)
		CHECK_EQ(dma_rd(0x0100, pasid, iova2, &v), -EFAULT);
	else
		CHECK_OK(dma_rd(0x0100, pasid, iova2, &v));
	CHECK_OK(siommu_dma_unmap_single(dev, iova2, 8, SIOMMU_DMA_FROM_DEVICE));

	/* Strict unmap: both RID and PASID DMA fault at once. */
	stats(dev, &st);
	CHECK_OK(siommu_dma_unmap_single(dev, iova, 64, SIOMMU_DMA_BIDIRECTIONAL));
	CHECK_EQ(dma_rd(0x0100, 0, iova, &v), -EFAULT);
	CHECK_EQ(dma_rd(0x0100, pasid, iova, &v), -EFAULT);
	CHECK_OK(siommu_dma_flush(dev));	/* strict: a no-op */
	{
		struct siommu_dma_stats st2;

		stats(dev, &st2);
		CHECK_EQ(st2.waits, st.waits + 1);
		CHECK_EQ(st2.unmaps, st.unmaps + 1);
		CHECK_EQ(st2.live, st.live - 1);
		CHECK_EQ(st2.flushes, 0);
	}
	CHECK_EQ(siommu_dma_unmap_single(dev, iova, 64, SIOMMU_DMA_BIDIRECTIONAL), -ENOENT);
	if (use_pasid) {
		CHECK_OK(siommu_dma_disable_pasid(dev));
		CHECK_EQ(siommu_device_domain(dev, pasid), NULL);
	}
	CHECK_EQ(siommu_dma_disable_pasid(dev), -ENOENT);
	siommu_device_remove(dev);	/* tears down DMA by itself */
}

/* Lazy: stale translations until the flush, forced by count and by time. */
static void test_lazy(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0200, 20, 0, 0);
	struct siommu_dma_cfg cfg = { .policy = SIOMMU_DMA_LAZY };
	struct siommu_dma_stats st;
	uint64_t pa = frame(SIOMMU_SZ_4K), iovas[SIOMMU_DMA_FQ_SIZE], first, v;
	cpu_set_t old;
	bool pinned;
	uint32_t pasid;
	unsigned int i;

	/* One CPU: every unmap lands in one part of the flush queue. */
	pinned = test_pin_cpu(&old);

	CHECK_OK(siommu_dma_setup(dev, &cfg));
	CHECK_OK(siommu_dma_enable_pasid(dev, &pasid));
	wr64(pa, 0xabcd);
	for (i = 0; i < SIOMMU_DMA_FQ_SIZE; i++)
		CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[i]));
	first = iovas[0];
	CHECK_OK(dma_rd(0x0200, 0, first, &v));		/* cached by the IOTLB */
	CHECK_OK(dma_rd(0x0200, pasid, first, &v));
	CHECK_EQ(v, 0xabcd);
	for (i = 0; i < SIOMMU_DMA_FQ_SIZE - 1; i++)
		CHECK_OK(siommu_dma_unmap_single(dev, iovas[i], 8, SIOMMU_DMA_TO_DEVICE));
	stats(dev, &st);
	CHECK_EQ(st.flushes, 0);
	CHECK_EQ(st.queued, SIOMMU_DMA_FQ_SIZE - 1);
	CHECK_EQ(st.batched, SIOMMU_DMA_FQ_SIZE - 1);
	CHECK_EQ(st.live, 1);
	/* Unmapped, not yet flushed: the stale translation still works, and
	 * the record already refuses a second unmap. */
	CHECK_OK(dma_rd(0x0200, 0, first, &v));
	CHECK_EQ(v, 0xabcd);
	CHECK_OK(dma_rd(0x0200, pasid, first, &v));
	CHECK_EQ(siommu_dma_unmap_single(dev, first, 8, SIOMMU_DMA_TO_DEVICE), -ENOENT);
	/* An entry never cached faults at once: its PTE is gone. */
	CHECK_EQ(dma_rd(0x0200, 0, iovas[1], &v), -EFAULT);
	/* The queue's last slot: one flush for the whole batch. */
	CHECK_OK(siommu_dma_unmap_single(dev, iovas[SIOMMU_DMA_FQ_SIZE - 1], 8,
					 SIOMMU_DMA_TO_DEVICE));
	stats(dev, &st);
	if (pinned) {
		CHECK_EQ(st.flushes, 1);
		CHECK_EQ(st.queued, 0);
		CHECK_EQ(dma_rd(0x0200, 0, first, &v), -EFAULT);
		CHECK_EQ(dma_rd(0x0200, pasid, first, &v), -EFAULT);
	}
	CHECK_EQ(st.live, 0);
	CHECK_EQ(st.batched, SIOMMU_DMA_FQ_SIZE);
	CHECK_EQ(st.waits, st.flushes);	/* a lazy unmap waits only in a flush */

	/* By time: an unmap, then a map more than the timeout later. */
	CHECK_OK(siommu_dma_flush(dev));
	stats(dev, &st);
	CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &first));
	CHECK_OK(dma_rd(0x0200, pasid, first, &v));
	CHECK_OK(siommu_dma_unmap_single(dev, first, 8, SIOMMU_DMA_TO_DEVICE));
	CHECK_OK(dma_rd(0x0200, pasid, first, &v));	/* stale, still queued */
	nanosleep(&(struct timespec){ 0, 3 * SIOMMU_DMA_FQ_TIMEOUT_MS * 1000000L }, NULL);
	CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[0]));
	{
		struct siommu_dma_stats st2;

		stats(dev, &st2);
		CHECK_EQ(st2.flushes, st.flushes + 1);
		CHECK_EQ(st2.queued, 0);
	}
	if (iovas[0] != first)
		CHECK_EQ(dma_rd(0x0200, pasid, first, &v), -EFAULT);

	/* Not before the bound: one tick of the coarse clock the queue goes
	 * by later, the range is still queued (checked when less than the
	 * bound minus a tick has passed, whatever the load). */
	{
		struct timespec res;
		uint64_t t, tick, bound = SIOMMU_DMA_FQ_TIMEOUT_MS * 1000000ull;

		CHECK_OK(clock_getres(CLOCK_MONOTONIC_COARSE, &res));
		tick = (uint64_t)res.tv_sec * 1000000000ull + (uint64_t)res.tv_nsec;
		t = now_ns();
		CHECK_OK(siommu_dma_unmap_single(dev, iovas[0], 8, SIOMMU_DMA_TO_DEVICE));
		sleep_ns(tick + tick / 16);
		CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[1]));
		stats(dev, &st);
		if (now_ns() - t < bound - tick)
			CHECK_EQ(st.queued, 1);
	}
	/* A flush restarts the bound: with nothing queued since, no flush
	 * follows however long the queue stays empty. */
	CHECK_OK(siommu_dma_flush(dev));
	stats(dev, &st);
	sleep_ns(3 * SIOMMU_DMA_FQ_TIMEOUT_MS * 1000000ull);
	CHECK_OK(siommu_dma_unmap_single(dev, iovas[1], 8, SIOMMU_DMA_TO_DEVICE));
	{
		struct siommu_dma_stats st2;

		stats(dev, &st2);
		CHECK_EQ(st2.flushes, st.flushes);
		CHECK_EQ(st2.queued, 1);
	}
	/* Teardown flushes what is queued and frees it. */
	siommu_dma_teardown(dev);
	CHECK_EQ(siommu_dma_get_stats(dev, &st), -ENODEV);
	CHECK_EQ(siommu_device_domain(dev, 0), NULL);
	siommu_device_remove(dev);
	if (pinned)
		test_unpin_cpu(&old);
}

/*
 * The table levels a lazy unmap unlinks are freed by the flush that covers
 * them, not before, and that flush also clears the unit's cached pointer
 * to them (no IH): a 2M page mapped later at the same IOVA is reached, not
 * the freed table. A 2M buffer whose pages are not 2M-aligned in memory
 * takes a level of 4K entries, and its unmap covers all of that level.
 */
static void test_lazy_levels(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0a00, 0, 0, 0);
	uint64_t pa = frame(2 * SIOMMU_SZ_2M) + SIOMMU_SZ_4K, pa2m = frame(SIOMMU_SZ_2M);
	struct siommu_mem_stats m0, m1, m2;
	uint64_t iova, iova2, v;
	cpu_set_t old;
	bool pinned;

	/* One CPU: the allocator's cache hands back the range just freed. */
	pinned = test_pin_cpu(&old);
	CHECK_OK(siommu_dma_setup(dev, &(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_LAZY }));
	wr64(pa + 0x3000, 0x4444);
	wr64(pa2m + 0x3000, 0x2222);
	CHECK_OK(siommu_dma_map_single(dev, pa, SIOMMU_SZ_2M, SIOMMU_DMA_TO_DEVICE, &iova));
	CHECK_EQ(iova % SIOMMU_SZ_2M, 0);
	CHECK_OK(dma_rd(0x0a00, 0, iova + 0x3000, &v));
	CHECK_EQ(v, 0x4444);
	siommu_mem_get_stats(mem, &m0);
	CHECK_OK(siommu_dma_unmap_single(dev, iova, SIOMMU_SZ_2M, SIOMMU_DMA_TO_DEVICE));
	siommu_mem_get_stats(mem, &m1);
	CHECK_EQ(m1.in_use[SIOMMU_MEM_PT], m0.in_use[SIOMMU_MEM_PT]);
	CHECK_OK(siommu_dma_flush(dev));
	siommu_mem_get_stats(mem, &m2);
	CHECK_EQ(m2.in_use[SIOMMU_MEM_PT], m1.in_use[SIOMMU_MEM_PT] - SIOMMU_SZ_4K);
	CHECK_OK(siommu_dma_map_single(dev, pa2m, SIOMMU_SZ_2M, SIOMMU_DMA_TO_DEVICE, &iova2));
	if (pinned)
		CHECK_EQ(iova2, iova);
	CHECK_OK(dma_rd(0x0a00, 0, iova2 + 0x3000, &v));
	CHECK_EQ(v, 0x2222);
	siommu_device_remove(dev);
	if (pinned)
		test_unpin_cpu(&old);
}

/*
 * A part of the queue that fills is flushed and its IOVAs given back:
 * after SIOMMU_DMA_FQ_SIZE lazy unmaps under a 2M limit, every page below
 * the limit but page 0 can be mapped again.
 */
static void test_lazy_reuse(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0b00, 0, 0, 0);
	uint64_t pa = frame(SIOMMU_SZ_4K), x;
	static uint64_t iovas[SIOMMU_SZ_2M / SIOMMU_SZ_4K - 1];
	cpu_set_t old;
	bool pinned = test_pin_cpu(&old);	/* one part of the queue */
	unsigned int i;

	CHECK_OK(siommu_dma_setup(dev, &(struct siommu_dma_cfg){
		.policy = SIOMMU_DMA_LAZY, .dma_limit = SIOMMU_SZ_2M - 1 }));
	for (i = 0; i < SIOMMU_DMA_FQ_SIZE; i++)
		CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[i]));
	for (i = 0; i < SIOMMU_DMA_FQ_SIZE; i++)
		CHECK_OK(siommu_dma_unmap_single(dev, iovas[i], 8, SIOMMU_DMA_TO_DEVICE));
	for (i = 0; i < sizeof(iovas) / sizeof(iovas[0]); i++)
		CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[i]));
	CHECK_EQ(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &x), -ENOSPC);
	siommu_device_remove(dev);	/* its live mappings go with it */
	if (pinned)
		test_unpin_cpu(&old);
}

static bool pin_to(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return !sched_setaffinity(0, sizeof(one), &one);
}

/*
 * Entries queued on one CPU that a flush forced by another CPU's part
 * covers are freed at the first CPU's next unmap. Needs two CPUs whose
 * parts differ.
 */
static void test_lazy_parts(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0c00, 0, 0, 0);
	uint64_t pa = frame(SIOMMU_SZ_4K), iovas[SIOMMU_DMA_FQ_SIZE];
	struct siommu_dma_stats st;
	int cpu[2], n = 0, c;
	unsigned int i;
	cpu_set_t old;

	CHECK_OK(sched_getaffinity(0, sizeof(old), &old));
	for (c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &old))
			cpu[n++] = c;
	CHECK_OK(siommu_dma_setup(dev, &(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_LAZY }));
	if (n < 2 || !pin_to(cpu[0]))
		goto out;
	for (i = 0; i < 4; i++)
		CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[i]));
	for (i = 0; i < 4; i++)
		CHECK_OK(siommu_dma_unmap_single(dev, iovas[i], 8, SIOMMU_DMA_TO_DEVICE));
	if (!pin_to(cpu[1]))
		goto out;
	for (i = 0; i < SIOMMU_DMA_FQ_SIZE; i++)
		CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[i]));
	for (i = 0; i < SIOMMU_DMA_FQ_SIZE - 1; i++)
		CHECK_OK(siommu_dma_unmap_single(dev, iovas[i], 8, SIOMMU_DMA_TO_DEVICE));
	/* A flush already: the CPUs share a part (or the time bound passed). */
	stats(dev, &st);
	if (st.flushes)
		goto out;
	CHECK_OK(siommu_dma_unmap_single(dev, iovas[i], 8, SIOMMU_DMA_TO_DEVICE));
	/* The first CPU's four are covered and wait for that CPU. */
	stats(dev, &st);
	if (st.flushes != 1 || st.queued != 4 || !pin_to(cpu[0]))
		goto out;
	CHECK_OK(siommu_dma_map_single(dev, pa, 8, SIOMMU_DMA_TO_DEVICE, &iovas[0]));
	CHECK_OK(siommu_dma_unmap_single(dev, iovas[0], 8, SIOMMU_DMA_TO_DEVICE));
	stats(dev, &st);
	CHECK_EQ(st.queued, 1);
out:
	sched_setaffinity(0, sizeof(old), &old);
	siommu_device_remove(dev);
}

/*
 * No IOVA in the interrupt window (VT-d 0xFEE00000-0xFEEFFFFF; the SMMUv3
 * doorbell's): under a limit at its last byte or in its first page, a map
 * lands below it.
 */
static void test_msi_window(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0d00, 0, 0, 0);
	uint64_t pa = frame(SIOMMU_SZ_4K), iova, first, last, limit[2];
	unsigned int i;

	test_unit_msi_window(&first, &last);
	limit[0] = last;
	limit[1] = first + 0xfff;
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_dma_setup(dev, &(struct siommu_dma_cfg){ .dma_limit = limit[i] }));
		CHECK_OK(siommu_dma_map_single(dev, pa, SIOMMU_SZ_4K, SIOMMU_DMA_TO_DEVICE, &iova));
		CHECK(iova + SIOMMU_SZ_4K <= first);
		siommu_dma_teardown(dev);
	}
	siommu_device_remove(dev);
}

/* Identity ("security off") with a PASID; a PASID-only device. */
static void test_identity_and_pasid_only(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0300, 20, 0, 0);
	struct siommu_device *ponly = add_dev(unit, 0x0400, 8, SIOMMU_DEV_PASID_ONLY, 0);
	struct siommu_dma_cfg pt = { .passthrough = true, .policy = SIOMMU_DMA_LAZY };
	struct siommu_dma_info info;
	uint64_t pa = frame(SIOMMU_SZ_4K), iova, iova2, v;
	uint32_t pasid;

	CHECK_OK(siommu_dma_setup(dev, &pt));
	CHECK_OK(siommu_dma_get_info(dev, &info));
	CHECK_EQ(info.type, SIOMMU_DOMAIN_IDENTITY);
	CHECK_EQ(info.policy, SIOMMU_DMA_STRICT);	/* nothing to flush */
	if (test_unit_pasid_domain_ok(SIOMMU_DOMAIN_IDENTITY, false)) {
		CHECK_OK(siommu_dma_enable_pasid(dev, &pasid));
	} else {
		CHECK_EQ(siommu_dma_enable_pasid(dev, &pasid), -EINVAL);
		pasid = 0;
	}
	wr64(pa + 0x100, 0x4242);
	CHECK_OK(siommu_dma_map_single(dev, pa + 0x100, 8, SIOMMU_DMA_TO_DEVICE, &iova));
	CHECK_EQ(iova, pa + 0x100);
	CHECK_OK(dma_rd(0x0300, 0, iova, &v));
	CHECK_EQ(v, 0x4242);
	CHECK_OK(dma_rd(0x0300, pasid, iova, &v));
	CHECK_EQ(v, 0x4242);
	/* The same buffer twice: two unmaps needed, a third is refused. */
	CHECK_OK(siommu_dma_map_single(dev, pa + 0x100, 8, SIOMMU_DMA_TO_DEVICE, &iova2));
	CHECK_EQ(iova2, iova);
	CHECK_EQ(siommu_dma_unmap_single(dev, iova, 16, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_OK(siommu_dma_unmap_single(dev, iova, 8, SIOMMU_DMA_TO_DEVICE));
	CHECK_OK(siommu_dma_sync_single_for_cpu(dev, iova, 8, SIOMMU_DMA_TO_DEVICE));
	CHECK_OK(siommu_dma_unmap_single(dev, iova, 8, SIOMMU_DMA_TO_DEVICE));
	CHECK_EQ(siommu_dma_unmap_single(dev, iova, 8, SIOMMU_DMA_TO_DEVICE), -ENOENT);
	siommu_dma_teardown(dev);
	siommu_dma_teardown(dev);	/* a no-op now */

	/* PASID-only: its PASID is there after setup; RID DMA is not its. */
	CHECK_OK(siommu_dma_setup(ponly, NULL));
	CHECK_OK(siommu_dma_get_info(ponly, &info));
	CHECK(info.pasid != 0 && info.pasid < 256);
	CHECK_EQ(siommu_device_domain(ponly, info.pasid), info.domain);
	CHECK_OK(siommu_dma_map_single(ponly, pa + 0x100, 8, SIOMMU_DMA_BIDIRECTIONAL, &iova));
	CHECK(iova != pa + 0x100);
	CHECK_OK(dma_rd(0x0400, info.pasid, iova, &v));
	CHECK_EQ(v, 0x4242);
	CHECK_OK(siommu_dma_unmap_single(ponly, iova, 8, SIOMMU_DMA_BIDIRECTIONAL));
	CHECK_EQ(dma_rd(0x0400, info.pasid, iova, &v), -EFAULT);
	pasid = info.pasid;
	siommu_dma_teardown(ponly);
	CHECK_EQ(siommu_device_domain(ponly, pasid), NULL);
	{
		struct siommu_pasid_info pi;

		/* Released: the allocation and the attachment's reference. */
		CHECK_EQ(siommu_pasid_query(siommu_ctx_pasids(g_ctx), pasid, &pi), -ENOENT);
	}
	siommu_device_remove(ponly);
	siommu_device_remove(dev);
}

/* Scatter-gather: merging, back-to-back runs, unmap and sync checks. */
static void test_sg(struct siommu_unit *unit)
{
	struct siommu_device *dev = add_dev(unit, 0x0500, 0, 0, 0);
	uint64_t a = frame(4 * SIOMMU_SZ_4K), b = frame(SIOMMU_SZ_4K), v;
	struct siommu_dma_sg sg[4] = {
		{ .pa = a + 0x800, .len = 0x800 },		/* contiguous run: */
		{ .pa = a + 0x1000, .len = 0x2000 },		/*  a+0x800..a+0x3000 */
		{ .pa = b + 0x10, .len = 0x20 },		/* alone */
		{ .pa = a + 0x3100, .len = 0x100 },		/* alone (gap before) */
	};
	struct siommu_dma_sg bad[4];
	struct siommu_dma_stats st, st2;
	unsigned int i;

	CHECK_OK(siommu_dma_setup(dev, NULL));
	for (i = 0; i < 4; i++)
		wr64(sg[i].pa, 0x5500 + i);
	CHECK_OK(siommu_dma_map_sg(dev, sg, 4, SIOMMU_DMA_TO_DEVICE));
	/* Contiguous segments: one IOVA range. */
	CHECK_EQ(sg[1].dma_addr, sg[0].dma_addr + 0x800);
	CHECK_EQ(sg[0].dma_addr & 0xfff, 0x800);
	/* Then the next run on the next page, keeping its in-page offset. */
	CHECK_EQ(sg[2].dma_addr, ((sg[1].dma_addr + 0x2000 + 0xfff) & ~0xfffull) + 0x10);
	CHECK_EQ(sg[3].dma_addr, ((sg[2].dma_addr + 0x20 + 0xfff) & ~0xfffull) + 0x100);
	for (i = 0; i < 4; i++) {
		CHECK_OK(dma_rd(0x0500, 0, sg[i].dma_addr, &v));
		CHECK_EQ(v, 0x5500 + i);
	}
	/* Across the merged boundary the device sees one buffer. */
	CHECK_OK(dma_rd(0x0500, 0, sg[1].dma_addr - 8, &v));
	CHECK_OK(siommu_dma_sync_sg_for_cpu(dev, sg, 4, SIOMMU_DMA_TO_DEVICE));
	CHECK_EQ(siommu_dma_sync_sg_for_device(dev, sg, 3, SIOMMU_DMA_TO_DEVICE), -EINVAL);

	stats(dev, &st);
	memcpy(bad, sg, sizeof(sg));
	bad[2].len = 0x30;
	CHECK_EQ(siommu_dma_unmap_sg(dev, bad, 4, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_unmap_sg(dev, sg, 4, SIOMMU_DMA_FROM_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_unmap_sg(dev, sg, 3, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_unmap_sg(dev, &sg[1], 3, SIOMMU_DMA_TO_DEVICE), -ENOENT);
	CHECK_EQ(siommu_dma_unmap_single(dev, sg[0].dma_addr, 0x2800, SIOMMU_DMA_TO_DEVICE),
		 -EINVAL);
	/* The same address, total length and direction in fewer entries is
	 * another list; a single-buffer sync does not reach an sg mapping. */
	bad[0] = sg[0];
	bad[1] = (struct siommu_dma_sg){ .pa = sg[1].pa, .len = 0x2000 + 0x20 + 0x100,
					 .dma_addr = sg[1].dma_addr };
	CHECK_EQ(siommu_dma_unmap_sg(dev, bad, 2, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_sync_single_for_cpu(dev, sg[0].dma_addr, 8,
						SIOMMU_DMA_TO_DEVICE), -EINVAL);
	/* Entries that wrap around or are not RAM. */
	bad[0] = (struct siommu_dma_sg){ .pa = UINT64_MAX - 3, .len = 8 };
	CHECK_EQ(siommu_dma_map_sg(dev, bad, 1, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	bad[0] = (struct siommu_dma_sg){ .pa = 0x100000000000ull, .len = 8 };
	CHECK_EQ(siommu_dma_map_sg(dev, bad, 1, SIOMMU_DMA_TO_DEVICE), -EFAULT);
	stats(dev, &st2);
	same_stats(&st, &st2);
	CHECK_OK(dma_rd(0x0500, 0, sg[3].dma_addr, &v));
	CHECK_OK(siommu_dma_unmap_sg(dev, sg, 4, SIOMMU_DMA_TO_DEVICE));
	for (i = 0; i < 4; i++)
		CHECK_EQ(dma_rd(0x0500, 0, sg[i].dma_addr, &v), -EFAULT);
	CHECK_EQ(siommu_dma_unmap_sg(dev, sg, 4, SIOMMU_DMA_TO_DEVICE), -ENOENT);

	/* One segment, and a fully contiguous list: one range. */
	for (i = 0; i < 4; i++)
		sg[i] = (struct siommu_dma_sg){ .pa = a + i * 0x1000, .len = 0x1000 };
	CHECK_OK(siommu_dma_map_sg(dev, sg, 4, SIOMMU_DMA_BIDIRECTIONAL));
	for (i = 1; i < 4; i++)
		CHECK_EQ(sg[i].dma_addr, sg[0].dma_addr + i * 0x1000);
	CHECK_OK(dma_wr(0x0500, 0, sg[3].dma_addr + 8, 0x99));
	CHECK_EQ(rd64(a + 0x3008), 0x99);
	CHECK_OK(siommu_dma_unmap_sg(dev, sg, 4, SIOMMU_DMA_BIDIRECTIONAL));
	siommu_device_remove(dev);
}

/* Coherent buffers, host-pointer maps, group sharing, bad input. */
static void test_coherent_group_errors(struct siommu_ctx *ctx, struct siommu_unit *unit)
{
	struct siommu_device *a = add_dev(unit, 0x0600, 20, 0, 9);
	struct siommu_device *b = add_dev(unit, 0x0608, 0, 0, 9);
	struct siommu_device *c = add_dev(unit, 0x0700, 0, 0, 0);
	struct siommu_device *nodma = add_dev(unit, 0x0800, 0, 0, 0);
	struct siommu_dma_info ia, ib;
	struct siommu_dma_stats st, st2;
	struct siommu_domain *other;
	struct siommu_mem_stats ms0, ms1;
	uint64_t pa, iova, iova2, v, buf = frame(SIOMMU_SZ_4K);
	uint32_t pasid;
	void *host;
	char local[16];

	siommu_mem_get_stats(mem, &ms0);
	CHECK_OK(siommu_dma_setup(a, &(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_LAZY }));
	/* b is in a's group: it shares a's domain and policy; its cfg is
	 * still checked. */
	CHECK_EQ(siommu_dma_setup(b, &(struct siommu_dma_cfg){ .stage = 9 }), -EINVAL);
	CHECK_OK(siommu_dma_setup(b, &(struct siommu_dma_cfg){ .passthrough = true }));
	CHECK_OK(siommu_dma_get_info(a, &ia));
	CHECK_OK(siommu_dma_get_info(b, &ib));
	CHECK_EQ(ia.domain, ib.domain);
	CHECK_EQ(ib.policy, SIOMMU_DMA_LAZY);
	CHECK_EQ(ib.users, 2);

	CHECK_OK(siommu_dma_alloc_coherent(a, 5000, &host, &pa, &iova));
	CHECK(host && pa);
	CHECK_EQ(siommu_mem_host(mem, pa, 8), host);
	memset(host, 0x11, 8);
	CHECK_OK(dma_rd(0x0608, 0, iova, &v));		/* b sees a's mapping */
	CHECK_EQ(v, 0x1111111111111111ull);
	CHECK_OK(dma_wr(0x0600, 0, iova + 4096, 0x22));
	CHECK_EQ(*(uint64_t *)((char *)host + 4096), 0x22);
	CHECK_OK(siommu_dma_sync_single_for_cpu(b, iova, 5000, SIOMMU_DMA_BIDIRECTIONAL));
	CHECK_EQ(siommu_dma_unmap_single(a, iova, 5000, SIOMMU_DMA_BIDIRECTIONAL), -EINVAL);
	CHECK_EQ(siommu_dma_free_coherent(a, 4096, iova), -EINVAL);
	/* Coherent free is strict even in a lazy domain. */
	CHECK_OK(siommu_dma_free_coherent(b, 5000, iova));
	CHECK_EQ(dma_rd(0x0600, 0, iova, &v), -EFAULT);
	CHECK_EQ(siommu_dma_free_coherent(b, 5000, iova), -ENOENT);

	/* Host pointers convert through the context's memory. */
	host = siommu_mem_host(mem, buf, SIOMMU_SZ_4K);
	wr64(buf + 0x40, 0x3131);
	CHECK_OK(siommu_dma_map_single_host(a, (char *)host + 0x40, 8,
					    SIOMMU_DMA_TO_DEVICE, &iova));
	CHECK_OK(dma_rd(0x0600, 0, iova, &v));
	CHECK_EQ(v, 0x3131);
	CHECK_OK(siommu_dma_unmap_single(a, iova, 8, SIOMMU_DMA_TO_DEVICE));
	/* Registered RAM outside the pool converts too. */
	{
		void *ram = aligned_alloc(4096, 2 * 4096);

		CHECK(ram);
		CHECK_OK(siommu_mem_add_ram(mem, 0x80000000ull, 2 * 4096, ram));
		*(uint64_t *)((char *)ram + 4096 + 16) = 0x6161;
		CHECK_OK(siommu_dma_map_single_host(a, (char *)ram + 4096 + 16, 8,
						    SIOMMU_DMA_TO_DEVICE, &iova));
		CHECK_OK(dma_rd(0x0600, 0, iova, &v));
		CHECK_EQ(v, 0x6161);
		CHECK_OK(siommu_dma_unmap_single(a, iova, 8, SIOMMU_DMA_TO_DEVICE));
		/* Past the region's end: refused. */
		CHECK_EQ(siommu_dma_map_single_host(a, (char *)ram + 4096, 4097,
						    SIOMMU_DMA_TO_DEVICE, &iova), -EFAULT);
		CHECK_OK(siommu_dma_flush(a));
		CHECK_OK(siommu_mem_remove_ram(mem, 0x80000000ull, 2 * 4096));
		free(ram);
	}

	/* Bad input: each refused, nothing else disturbed. */
	CHECK_OK(siommu_dma_map_single(a, buf, 8, SIOMMU_DMA_BIDIRECTIONAL, &iova2));
	stats(a, &st);
	CHECK_EQ(siommu_dma_map_single_host(a, local, 8, SIOMMU_DMA_TO_DEVICE, &iova), -EFAULT);
	CHECK_EQ(siommu_dma_map_single_host(a, NULL, 8, SIOMMU_DMA_TO_DEVICE, &iova), -EFAULT);
	CHECK_EQ(siommu_dma_map_single(a, buf, 0, SIOMMU_DMA_TO_DEVICE, &iova), -EINVAL);
	CHECK_EQ(siommu_dma_map_single(a, buf, 8, 7, &iova), -EINVAL);
	CHECK_EQ(siommu_dma_map_single(a, buf, 8, SIOMMU_DMA_TO_DEVICE, NULL), -EINVAL);
	CHECK_EQ(siommu_dma_map_single(a, UINT64_MAX - 3, 8, SIOMMU_DMA_TO_DEVICE, &iova),
		 -EINVAL);
	CHECK_EQ(siommu_dma_map_single(a, 0x100000000000ull, 8, SIOMMU_DMA_TO_DEVICE, &iova),
		 -EFAULT);
	CHECK_EQ(siommu_dma_map_single(nodma, buf, 8, SIOMMU_DMA_TO_DEVICE, &iova), -ENODEV);
	CHECK_EQ(siommu_dma_unmap_single(nodma, iova2, 8, SIOMMU_DMA_BIDIRECTIONAL), -ENODEV);
	CHECK_EQ(siommu_dma_map_sg(nodma, NULL, 0, SIOMMU_DMA_TO_DEVICE), -ENODEV);
	CHECK_EQ(siommu_dma_map_sg(a, NULL, 0, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_map_sg(a, &(struct siommu_dma_sg){ .pa = buf }, 1,
				   SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_alloc_coherent(a, 0, NULL, NULL, &iova), -EINVAL);
	CHECK_EQ(siommu_dma_alloc_coherent(a, SIOMMU_SZ_1G + 1, NULL, NULL, &iova), -EINVAL);
	CHECK_EQ(siommu_dma_alloc_coherent(nodma, 8, NULL, NULL, &iova), -ENODEV);
	CHECK_EQ(siommu_dma_sync_single_for_cpu(nodma, iova2, 8, SIOMMU_DMA_TO_DEVICE), -ENODEV);
	CHECK_EQ(siommu_dma_enable_pasid(nodma, &pasid), -ENODEV);
	CHECK_EQ(siommu_dma_enable_pasid(b, &pasid), -EOPNOTSUPP);	/* no PASIDs */
	/* Behind a PCIe-to-PCI bridge: no usable PASIDs, whether or not the
	 * PASID space has one free in its range. */
	{
		struct siommu_pasid_space *space = siommu_ctx_pasids(ctx);
		struct siommu_device *br;
		uint32_t one;

		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0e00, .pasid_bits = 1, .alias_rid = 0x0e08 }, &br));
		CHECK_OK(siommu_dma_setup(br, NULL));
		CHECK_EQ(siommu_dma_enable_pasid(br, &pasid), -EOPNOTSUPP);
		CHECK_OK(siommu_pasid_alloc(space, 1, 1, SIOMMU_DMA_PASID_OWNER, &one));
		CHECK_EQ(siommu_dma_enable_pasid(br, &pasid), -EOPNOTSUPP);
		siommu_pasid_free(space, one);
		siommu_device_remove(br);
	}
	CHECK_EQ(siommu_dma_disable_pasid(a), -ENOENT);
	CHECK_EQ(siommu_dma_flush(nodma), -ENODEV);
	CHECK_EQ(siommu_dma_unmap_single(a, iova2 + 4096, 8, SIOMMU_DMA_BIDIRECTIONAL), -ENOENT);
	CHECK_EQ(siommu_dma_unmap_single(a, iova2, 16, SIOMMU_DMA_BIDIRECTIONAL), -EINVAL);
	CHECK_EQ(siommu_dma_unmap_single(a, iova2, 8, SIOMMU_DMA_TO_DEVICE), -EINVAL);
	CHECK_EQ(siommu_dma_unmap_single(a, iova2, 0, SIOMMU_DMA_BIDIRECTIONAL), -EINVAL);
	CHECK_EQ(siommu_dma_sync_single_for_cpu(a, iova2, 0, SIOMMU_DMA_BIDIRECTIONAL),
		 -EINVAL);
	CHECK_EQ(siommu_dma_alloc_coherent(a, 8, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(siommu_dma_free_coherent(a, 8, iova2), -EINVAL);
	CHECK_EQ(siommu_dma_setup(a, NULL), -EBUSY);
	CHECK_EQ(siommu_dma_setup(NULL, NULL), -EINVAL);
	CHECK_EQ(siommu_dma_set_default_policy(NULL, SIOMMU_DMA_LAZY), -EINVAL);
	CHECK_EQ(siommu_dma_enable_pasid(a, NULL), -EINVAL);
	CHECK_EQ(siommu_dma_disable_pasid(NULL), -ENODEV);
	CHECK_EQ(siommu_dma_get_info(a, NULL), -EINVAL);
	CHECK_EQ(siommu_dma_get_stats(a, NULL), -EINVAL);
	CHECK_EQ(siommu_dma_setup(c, &(struct siommu_dma_cfg){ .policy = 9 }), -EINVAL);
	CHECK_EQ(siommu_dma_set_default_policy(ctx, 9), -EINVAL);
	stats(a, &st2);
	same_stats(&st, &st2);
	CHECK_OK(dma_rd(0x0600, 0, iova2, &v));
	CHECK_OK(siommu_dma_unmap_single(a, iova2, 8, SIOMMU_DMA_BIDIRECTIONAL));

	/* A group whose RID someone else attached: not the API's to take. */
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &other));
	CHECK_OK(siommu_device_attach(c, other));
	CHECK_EQ(siommu_dma_setup(c, NULL), -EBUSY);
	CHECK_EQ(siommu_device_domain(c, 0), other);
	siommu_device_detach(c);
	/* Attached after setup: teardown leaves it there. */
	CHECK_OK(siommu_dma_setup(c, NULL));
	CHECK_OK(siommu_device_attach(c, other));
	siommu_dma_teardown(c);
	CHECK_EQ(siommu_device_domain(c, 0), other);
	siommu_device_detach(c);
	CHECK_OK(siommu_domain_free(other));

	/* The context's default policy applies to new domains. */
	CHECK_OK(siommu_dma_set_default_policy(ctx, SIOMMU_DMA_LAZY));
	CHECK_OK(siommu_dma_setup(c, NULL));
	CHECK_OK(siommu_dma_get_info(c, &ib));
	CHECK_EQ(ib.policy, SIOMMU_DMA_LAZY);
	CHECK_OK(siommu_dma_set_default_policy(ctx, SIOMMU_DMA_POLICY_DEFAULT));
	siommu_dma_teardown(c);

	/* A narrow DMA limit: IOVAs below it; exhaustion is -ENOSPC. */
	CHECK_OK(siommu_dma_setup(c, &(struct siommu_dma_cfg){ .dma_limit = 0x7fff }));
	CHECK_OK(siommu_dma_map_single(c, buf, SIOMMU_SZ_4K, SIOMMU_DMA_TO_DEVICE, &iova));
	CHECK(iova + SIOMMU_SZ_4K - 1 <= 0x7fff);
	{
		uint64_t more[8];
		unsigned int n = 0;
		int ret;

		while ((ret = siommu_dma_map_single(c, buf, SIOMMU_SZ_4K,
						    SIOMMU_DMA_TO_DEVICE, &more[n])) == 0)
			CHECK(++n < 8);
		CHECK_EQ(ret, -ENOSPC);
		CHECK_EQ(n, 6);		/* 8 pages, minus page 0 and iova */
		stats(c, &st);
		CHECK_EQ(st.live, 7);
		while (n--)
			CHECK_OK(siommu_dma_unmap_single(c, more[n], SIOMMU_SZ_4K,
							 SIOMMU_DMA_TO_DEVICE));
	}
	siommu_dma_teardown(c);

	/* Lazy, with the same limit: unmapped IOVAs wait in the flush queue,
	 * and a map that finds none free flushes it rather than fail. */
	CHECK_OK(siommu_dma_setup(c, &(struct siommu_dma_cfg){ .dma_limit = 0x7fff,
								.policy = SIOMMU_DMA_LAZY }));
	{
		uint64_t more[8];
		unsigned int n = 0, round;

		for (round = 0; round < 3; round++) {
			while (siommu_dma_map_single(c, buf, SIOMMU_SZ_4K,
						     SIOMMU_DMA_TO_DEVICE, &more[n]) == 0)
				CHECK(++n < 8);
			CHECK_EQ(n, 7);
			while (n--)
				CHECK_OK(siommu_dma_unmap_single(c, more[n], SIOMMU_SZ_4K,
								 SIOMMU_DMA_TO_DEVICE));
			n = 0;
		}
	}
	siommu_dma_teardown(c);

	/* An identity domain's addresses are PAs: beyond the limit, -ERANGE. */
	CHECK_OK(siommu_dma_setup(c, &(struct siommu_dma_cfg){ .passthrough = true,
								.dma_limit = buf - 1 }));
	stats(c, &st);
	CHECK_EQ(siommu_dma_map_single(c, buf, 8, SIOMMU_DMA_TO_DEVICE, &iova), -ERANGE);
	CHECK_EQ(siommu_dma_map_sg(c, &(struct siommu_dma_sg){ .pa = buf, .len = 8 }, 1,
				   SIOMMU_DMA_TO_DEVICE), -ERANGE);
	stats(c, &st2);
	same_stats(&st, &st2);
	/* Live mappings at teardown go with the domain. */
	siommu_dma_teardown(c);
	CHECK_OK(siommu_dma_setup(c, &(struct siommu_dma_cfg){ .dma_limit = 0x7fff }));
	CHECK_OK(siommu_dma_map_single(c, buf, SIOMMU_SZ_4K, SIOMMU_DMA_TO_DEVICE, &iova));
	siommu_dma_teardown(c);
	siommu_dma_teardown(a);
	CHECK_OK(siommu_dma_get_info(b, &ib));
	CHECK_EQ(ib.users, 1);
	CHECK_OK(siommu_dma_alloc_coherent(b, 100, NULL, NULL, &iova));
	siommu_dma_teardown(b);
	CHECK_EQ(siommu_device_domain(b, 0), NULL);
	siommu_mem_get_stats(mem, &ms1);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_DMA], ms0.in_use[SIOMMU_MEM_DMA]);
	siommu_device_remove(a);
	siommu_device_remove(b);
	siommu_device_remove(c);
	siommu_device_remove(nodma);
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *left;
	struct siommu_mem_stats ms;
	uint64_t iova;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	g_ctx = ctx;
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	g_unit = unit;

	test_strict(unit, SIOMMU_STAGE_FIRST);
	test_strict(unit, SIOMMU_STAGE_SECOND);
	test_lazy(unit);
	test_lazy_levels(unit);
	test_lazy_reuse(unit);
	test_lazy_parts(unit);
	test_msi_window(unit);
	test_identity_and_pasid_only(unit);
	test_sg(unit);
	test_coherent_group_errors(ctx, unit);

	/* The context tears down a device's DMA state left behind. */
	left = add_dev(unit, 0x0900, 20, 0, 0);
	CHECK_OK(siommu_dma_setup(left, &(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_LAZY }));
	CHECK_OK(siommu_dma_alloc_coherent(left, 4096, NULL, NULL, &iova));
	siommu_mem_get_stats(mem, &ms);
	CHECK(ms.in_use[SIOMMU_MEM_DMA] > 0);
	siommu_ctx_destroy(ctx);
	return 0;
}
