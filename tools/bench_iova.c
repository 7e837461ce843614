/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench` entries of the IOVA allocator (issue 5, section 6):
 *  - iova_alloc_free: one siommu_iova_alloc + siommu_iova_free of 4K, the
 *    magazine fast path, against stack_pop_push (a bare array stack pop and
 *    push, the least a cache of free ranges could do); target <= 15.
 *  - iova_alloc_free_tree: the same through the tree (no caches), with 4096
 *    other allocations live so the tree has depth; report only.
 *  - iova_handoff: one thread allocates 4K ranges and hands each through a
 *    ring to another thread, which frees it (a producer CPU and a consumer
 *    CPU, as a receive path maps on one CPU and completes on another);
 *    against ring_handoff, the same ring with nothing allocated; report
 *    only. Every free is of another CPU's range.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/iova.h>

#include "bench.h"
#include "util/compiler.h"

#define SZ_4K 0x1000ull

struct iova_arg {
	struct siommu_iova *iovad;
	int err;
};

static void alloc_free_run(void *arg, uint64_t iters)
{
	struct iova_arg *a = arg;
	uint64_t acc = 0;

	while (iters--) {
		uint64_t iova;

		if (siommu_iova_alloc(a->iovad, SZ_4K, UINT64_MAX, &iova) ||
		    siommu_iova_free(a->iovad, iova, SZ_4K))
			a->err = -EIO;
		acc += iova;
	}
	bench_sink(acc);
}

static int bench_one(struct bench_report *rep, const char *name,
		     unsigned int flags, unsigned int preload, uint64_t iters,
		     double target)
{
	struct siommu_iova_cfg cfg = { .start = 1ull << 20,
				       .last = (1ull << 48) - 1, .flags = flags };
	struct iova_arg a = { 0 };
	unsigned int i;
	uint64_t iova;
	int ret;

	ret = siommu_iova_create(&cfg, &a.iovad);
	if (ret)
		return ret;
	/* Live neighbours, every other granule: the tree's height is that of
	 * a busy domain, and no free merges with them. */
	for (i = 0; i < preload && !ret; i++)
		ret = siommu_iova_alloc(a.iovad, 2 * SZ_4K, UINT64_MAX, &iova);
	if (!ret) {
		bench_pair(rep, name, alloc_free_run, &a, "stack_pop_push",
			   stack_pop_push_run, NULL, iters, target);
		ret = a.err;
	}
	siommu_iova_destroy(a.iovad);
	return ret;
}

#define HANDOFF_RING 256

/*
 * The producer is the caller, the consumer a thread of each run. The ring's
 * indices are atomics, each written by one side; the slots are ordered by
 * them (release, acquire). @iovad NULL: the bare ring.
 */
struct handoff {
	struct siommu_iova *iovad;
	uint64_t n;			/* ranges of the run */
	int err;
	uint64_t head __attribute__((aligned(64)));	/* pushed */
	uint64_t tail __attribute__((aligned(64)));	/* popped */
	uint64_t ring[HANDOFF_RING] __attribute__((aligned(64)));
};

/* Wait until *@idx + @lag > @i: for the consumer (lag 0) a range at @i,
 * for the producer (lag HANDOFF_RING) room for one. Yields now and then,
 * in case both threads share a CPU. */
static void handoff_wait(const uint64_t *idx, uint64_t i, uint64_t lag)
{
	unsigned int spins = 0;

	while (__atomic_load_n(idx, __ATOMIC_ACQUIRE) + lag <= i)
		if (++spins % 256 == 0)
			sched_yield();
		else
			cpu_relax();
}

static void *handoff_consumer(void *p)
{
	struct handoff *h = p;
	uint64_t i, x;

	for (i = 0; i < h->n; i++) {
		handoff_wait(&h->head, i, 0);
		x = h->ring[i % HANDOFF_RING];
		__atomic_store_n(&h->tail, i + 1, __ATOMIC_RELEASE);
		if (h->iovad && siommu_iova_free(h->iovad, x, SZ_4K))
			h->err = -EIO;
		bench_sink(x);
	}
	return NULL;
}

static void handoff_run(void *arg, uint64_t iters)
{
	struct handoff *h = arg;
	pthread_t th;
	uint64_t i, x;

	h->n = iters;
	h->head = h->tail = 0;
	if (pthread_create(&th, NULL, handoff_consumer, h)) {
		h->err = -EAGAIN;
		return;
	}
	for (i = 0; i < iters; i++) {
		x = i << 12;
		if (h->iovad && siommu_iova_alloc(h->iovad, SZ_4K, UINT64_MAX, &x)) {
			h->err = -EIO;
			break;
		}
		handoff_wait(&h->tail, i, HANDOFF_RING);
		h->ring[i % HANDOFF_RING] = x;
		__atomic_store_n(&h->head, i + 1, __ATOMIC_RELEASE);
	}
	if (i < iters) {
		/* Unblock the consumer: it frees nothing more. */
		h->iovad = NULL;
		for (; i < iters; i++) {
			handoff_wait(&h->tail, i, HANDOFF_RING);
			__atomic_store_n(&h->head, i + 1, __ATOMIC_RELEASE);
		}
	}
	pthread_join(th, NULL);
}

static int bench_handoff(struct bench_report *rep)
{
	struct siommu_iova_cfg cfg = { .start = 1ull << 20, .last = (1ull << 48) - 1 };
	static struct handoff h, bare;
	int ret;

	h = (struct handoff){ 0 };
	bare = (struct handoff){ 0 };
	ret = siommu_iova_create(&cfg, &h.iovad);
	if (ret)
		return ret;
	bench_pair(rep, "iova_handoff", handoff_run, &h, "ring_handoff", handoff_run,
		   &bare, rep->opts->quick ? 1 << 10 : 1 << 15, 0);
	ret = h.err ? h.err : bare.err;
	siommu_iova_destroy(h.iovad);
	return ret;
}

int bench_iova(struct bench_report *rep)
{
	int ret;

	ret = bench_one(rep, "iova_alloc_free", 0, 0, 1 << 16, 15);
	if (!ret)
		ret = bench_one(rep, "iova_alloc_free_tree", SIOMMU_IOVA_NO_CACHE,
				4096, 1 << 14, 0);
	if (!ret)
		ret = bench_handoff(rep);
	return ret;
}
