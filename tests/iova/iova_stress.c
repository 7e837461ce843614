/* SPDX-License-Identifier: MIT */
/*
 * Threads allocating and freeing IOVAs at once, with mixed sizes and limits,
 * while another thread flushes the caches and reads statistics. Every thread
 * claims each granule it is handed in a shared ownership map (one atomic
 * byte per granule); a granule handed to two threads at once fails the
 * test. Beside them, a producer hands what it allocates to a consumer that
 * frees it: every such free is a CPU's range going back to another's cache.
 * Then pairs of threads race to free the same range of a size the tree
 * serves: exactly one free may succeed (cacheable sizes do not promise
 * that, see siommu_iova_free). Run under ThreadSanitizer by `make tsan`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include <siommu/iova.h>

#include "test.h"

struct siommu_iova;
int iova_tree_check(struct siommu_iova *iovad);

#define NR_THREADS 4
#define BASE (1ull << 28)
#define APERTURE (256ull << 20)
#define NPAGES (APERTURE >> 12)
#define MAX_LIVE 64

static struct siommu_iova *iovad;
static uint8_t owner[NPAGES];
static bool stop;
static uint64_t iters;

static uint64_t pages_of(uint64_t size)
{
	uint64_t n = (size + 4095) >> 12, p2 = 1;

	while (p2 < n)
		p2 <<= 1;
	return n <= SIOMMU_IOVA_CACHE_MAX_SIZE ? p2 : n;
}

static void claim(uint64_t iova, uint64_t size, uint8_t me)
{
	uint64_t p = (iova - BASE) >> 12, n = pages_of(size), i;

	CHECK(iova >= BASE && p + n <= NPAGES);
	for (i = 0; i < n; i++) {
		uint8_t expected = 0;

		if (!__atomic_compare_exchange_n(&owner[p + i], &expected, me,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED)) {
			fprintf(stderr, "granule 0x%" PRIx64 " handed to %u while %u holds it\n",
				iova + (i << 12), me, expected);
			exit(1);
		}
	}
}

/* Released before the free: once freed, another thread may get it. */
static void release(uint64_t iova, uint64_t size, uint8_t me)
{
	uint64_t p = (iova - BASE) >> 12, n = pages_of(size), i;

	for (i = 0; i < n; i++) {
		CHECK_EQ(__atomic_load_n(&owner[p + i], __ATOMIC_RELAXED), me);
		__atomic_store_n(&owner[p + i], 0, __ATOMIC_RELEASE);
	}
}

struct worker {
	pthread_t th;
	uint8_t id;
	uint64_t seed;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct test_rng rng = { w->seed };
	struct { uint64_t iova, size; } live[MAX_LIVE];
	unsigned int nlive = 0;
	uint64_t i, x;

	for (i = 0; i < iters; i++) {
		uint64_t r = test_rand_below(&rng, 100);

		if (nlive < MAX_LIVE && r < 52) {
			uint64_t sz = r < 40 ? 1 + test_rand_below(&rng, 16 << 10)
				: r < 50 ? 1 + test_rand_below(&rng, 256 << 10)
					 : 1 + test_rand_below(&rng, 1 << 20);
			uint64_t limit = r % 4 ? UINT64_MAX : BASE + APERTURE / 2 - 1;
			int ret = siommu_iova_alloc(iovad, sz, limit, &x);

			if (ret == -ENOSPC)
				continue;
			CHECK_OK(ret);
			CHECK(x + (pages_of(sz) << 12) - 1 <= limit);
			claim(x, sz, w->id);
			live[nlive].iova = x;
			live[nlive++].size = sz;
		} else if (nlive) {
			unsigned int k = test_rand_below(&rng, nlive);

			release(live[k].iova, live[k].size, w->id);
			CHECK_OK(siommu_iova_free(iovad, live[k].iova, live[k].size));
			live[k] = live[--nlive];
		}
	}
	while (nlive--) {
		release(live[nlive].iova, live[nlive].size, w->id);
		CHECK_OK(siommu_iova_free(iovad, live[nlive].iova, live[nlive].size));
	}
	return NULL;
}

/* A single-producer, single-consumer ring of ranges. */
#define RING 256
#define HANDOFF_ID (NR_THREADS + 1)
static struct { uint64_t iova, size; } ring[RING];
static uint64_t ring_head, ring_tail;	/* atomics: pushed, popped */

static void *producer_run(void *arg)
{
	struct test_rng rng = { (uint64_t)(uintptr_t)arg };
	uint64_t i, x;

	for (i = 0; i < iters; i++) {
		uint64_t sz = 1 + test_rand_below(&rng, 32 << 10);
		int ret = siommu_iova_alloc(iovad, sz, UINT64_MAX, &x);

		if (ret == -ENOSPC) {
			i--;
			sched_yield();
			continue;
		}
		CHECK_OK(ret);
		claim(x, sz, HANDOFF_ID);
		while (__atomic_load_n(&ring_head, __ATOMIC_RELAXED) -
		       __atomic_load_n(&ring_tail, __ATOMIC_ACQUIRE) == RING)
			sched_yield();
		ring[ring_head % RING].iova = x;
		ring[ring_head % RING].size = sz;
		__atomic_store_n(&ring_head, ring_head + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consumer_run(void *arg)
{
	uint64_t i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		uint64_t iova, size;

		while (__atomic_load_n(&ring_head, __ATOMIC_ACQUIRE) == i)
			sched_yield();
		iova = ring[i % RING].iova;
		size = ring[i % RING].size;
		__atomic_store_n(&ring_tail, i + 1, __ATOMIC_RELEASE);
		release(iova, size, HANDOFF_ID);
		CHECK_OK(siommu_iova_free(iovad, iova, size));
	}
	return NULL;
}

static void *flusher_run(void *arg)
{
	struct siommu_iova_stats st;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		siommu_iova_flush_caches(iovad);
		siommu_iova_get_stats(iovad, &st);
		CHECK(st.allocated_bytes <= APERTURE);
		sched_yield();
	}
	return NULL;
}

/* Two threads free the same range at once; exactly one may succeed. */
struct racer {
	pthread_t th;
	pthread_barrier_t *bar;
	uint64_t *iova, size;
	int ret[256];
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	int round;

	for (round = 0; round < 256; round++) {
		pthread_barrier_wait(r->bar);
		r->ret[round] = siommu_iova_free(iovad, *r->iova, r->size);
		pthread_barrier_wait(r->bar);
	}
	return NULL;
}

static void double_free_race(uint64_t size)
{
	struct racer r[2];
	pthread_barrier_t bar;
	uint64_t iova;
	int round, t;

	pthread_barrier_init(&bar, NULL, 3);
	for (t = 0; t < 2; t++) {
		r[t].bar = &bar;
		r[t].iova = &iova;
		r[t].size = size;
		CHECK_OK(pthread_create(&r[t].th, NULL, racer_run, &r[t]));
	}
	for (round = 0; round < 256; round++) {
		CHECK_OK(siommu_iova_alloc(iovad, size, UINT64_MAX, &iova));
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
	}
	for (t = 0; t < 2; t++)
		CHECK_OK(pthread_join(r[t].th, NULL));
	for (round = 0; round < 256; round++) {
		int a = r[0].ret[round], b = r[1].ret[round];

		CHECK((a == 0 && b == -ENOENT) || (a == -ENOENT && b == 0));
	}
	pthread_barrier_destroy(&bar);
}

int main(void)
{
	struct siommu_iova_cfg cfg = { .start = BASE, .last = BASE + APERTURE - 1 };
	struct test_rng rng = test_rng_init(0x57e55);
	struct worker w[NR_THREADS];
	struct siommu_iova_stats st;
	pthread_t flusher, producer, consumer;
	int i;

	iters = test_ops(200000);
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	CHECK_OK(pthread_create(&flusher, NULL, flusher_run, NULL));
	for (i = 0; i < NR_THREADS; i++) {
		w[i].id = i + 1;
		w[i].seed = test_rand(&rng) | 1;
		CHECK_OK(pthread_create(&w[i].th, NULL, worker_run, &w[i]));
	}
	CHECK_OK(pthread_create(&producer, NULL, producer_run,
				(void *)(uintptr_t)(test_rand(&rng) | 1)));
	CHECK_OK(pthread_create(&consumer, NULL, consumer_run, NULL));
	for (i = 0; i < NR_THREADS; i++)
		CHECK_OK(pthread_join(w[i].th, NULL));
	CHECK_OK(pthread_join(producer, NULL));
	CHECK_OK(pthread_join(consumer, NULL));
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(flusher, NULL));

	double_free_race(1 << 20);

	siommu_iova_flush_caches(iovad);
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.nodes, 0);
	CHECK_EQ(st.free_bytes, APERTURE);
	siommu_iova_destroy(iovad);
	return 0;
}
