/* SPDX-License-Identifier: MIT */
/*
 * Two threads map and unmap through the DMA API on one device (a lazy
 * first-stage domain, then a strict second-stage one) while a third DMAs
 * with and without PASID (without, on a second-stage domain of a unit
 * whose PASIDs take no second stage). Each mapper owns slots; a slot's mapping is
 * published under a sequence count (odd while it changes). A DMA that saw
 * the same even count before and after must have succeeded and read the
 * slot's buffer; others may fault or read stale data (lazy) but never
 * crash. Every mapping made is unmapped; at the end nothing is live.
 * Time-bounded: SIOMMU_STRESS_MS (default 1000) per policy, then on until
 * a DMA was checked (tests/common/stress.h). Meant for ThreadSanitizer too.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <siommu/dma.h>

#include "core_unit.h"
#include "stress.h"
#include "test.h"

#define NR_MAPPERS 2
#define SLOTS 16
#define NR_BUF 8

struct slot {
	uint64_t seq;
	uint64_t iova;
	uint64_t val;
};

static struct siommu_device *dev;
static struct siommu_unit *unit;
static uint64_t bufs[NR_BUF];
static struct slot slots[NR_MAPPERS][SLOTS];
static uint32_t pasid;
static int stop;
static uint64_t checked;

static void *mapper(void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg, i = 0;
	struct test_rng r = { 0x1234 + me };
	uint64_t live[SLOTS] = { 0 };

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct slot *s = &slots[me][i % SLOTS];
		unsigned int b = test_rand_below(&r, NR_BUF);
		uint64_t iova;

		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);	/* odd */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (live[i % SLOTS])
			CHECK_OK(siommu_dma_unmap_single(dev, live[i % SLOTS], 8,
							 SIOMMU_DMA_TO_DEVICE));
		CHECK_OK(siommu_dma_map_single(dev, bufs[b], 8, SIOMMU_DMA_TO_DEVICE, &iova));
		live[i % SLOTS] = iova;
		__atomic_store_n(&s->iova, iova, __ATOMIC_RELAXED);
		__atomic_store_n(&s->val, 0x1000 + b, __ATOMIC_RELAXED);
		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);	/* even */
		i++;
	}
	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[me][i];

		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (live[i])
			CHECK_OK(siommu_dma_unmap_single(dev, live[i], 8, SIOMMU_DMA_TO_DEVICE));
		__atomic_store_n(&s->iova, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *dmaer(void *arg)
{
	struct test_rng r = { 0x777 };

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct slot *s = &slots[test_rand_below(&r, NR_MAPPERS)][test_rand_below(&r, SLOTS)];
		uint64_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), s2, v = 0, val;
		uint64_t iova;
		bool pp;
		int ret;

		if (s1 & 1)
			continue;
		iova = __atomic_load_n(&s->iova, __ATOMIC_RELAXED);
		val = __atomic_load_n(&s->val, __ATOMIC_RELAXED);
		if (!iova)
			continue;
		pp = pasid && test_rand_below(&r, 2);
		ret = test_unit_dma_read(unit, 0x0100, pp, pasid, iova, &v, sizeof(v), NULL);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (s1 == s2) {
			CHECK_OK(ret);
			CHECK_EQ(v, val);
			test_count_add(&checked, 1);
		}
	}
	return NULL;
}

/* The minimum the check at the end needs. */
static const char *enough(void *arg)
{
	(void)arg;
	TEST_STRESS_NEED(test_count(&checked) > 0);
	return NULL;
}

static void run(const struct siommu_dma_cfg *cfg, unsigned int ms)
{
	pthread_t th[NR_MAPPERS + 1];
	struct siommu_dma_stats st;
	uintptr_t i;

	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0100, .pasid_bits = 20, .alias_rid = SIOMMU_NO_ALIAS }, &dev));
	CHECK_OK(siommu_dma_setup(dev, cfg));
	/* DMA with a PASID too, where a PASID takes the domain's stage. */
	pasid = 0;
	if (!test_unit_has_pasids())
		CHECK_EQ(siommu_dma_enable_pasid(dev, &pasid), -EOPNOTSUPP);
	else if (test_unit_pasid_domain_ok(SIOMMU_DOMAIN_PAGING,
					   cfg->stage == SIOMMU_STAGE_SECOND))
		CHECK_OK(siommu_dma_enable_pasid(dev, &pasid));
	memset(slots, 0, sizeof(slots));
	__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
	for (i = 0; i < NR_MAPPERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, mapper, (void *)i));
	CHECK_OK(pthread_create(&th[NR_MAPPERS], NULL, dmaer, NULL));
	test_stress_run(ms, enough, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i <= NR_MAPPERS; i++)
		pthread_join(th[i], NULL);
	CHECK_OK(siommu_dma_get_stats(dev, &st));
	CHECK_EQ(st.live, 0);
	CHECK_EQ(st.maps, st.unmaps);
	fprintf(stderr, "%s: %" PRIu64 " maps, %" PRIu64 " flushes, %" PRIu64
		" checked DMAs\n", cfg->policy == SIOMMU_DMA_LAZY ? "lazy" : "strict",
		st.maps, st.flushes, __atomic_load_n(&checked, __ATOMIC_RELAXED));
	siommu_device_remove(dev);
}

int main(void)
{
	unsigned int ms = test_stress_ms(1000);
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	unsigned int i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	for (i = 0; i < NR_BUF; i++) {
		uint64_t v = 0x1000 + i;

		CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &bufs[i]));
		CHECK_OK(siommu_mem_write(mem, bufs[i], &v, sizeof(v)));
	}
	run(&(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_LAZY }, ms);
	run(&(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_STRICT,
					    .stage = SIOMMU_STAGE_SECOND }, ms / 2);
	CHECK(__atomic_load_n(&checked, __ATOMIC_RELAXED) > 0);
	siommu_ctx_destroy(ctx);
	return 0;
}
