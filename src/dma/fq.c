/* SPDX-License-Identifier: MIT */
/*
 * The lazy policy's flush queue, after Linux's (drivers/iommu/dma-iommu.c,
 * struct iova_fq): unmapped ranges wait in per-CPU rings; one domain-wide
 * invalidation and wait covers every range unmapped before it started, and
 * only then are their IOVAs freed and their table levels released.
 *
 * Generations: a flush takes the next generation g (fq_started) before it
 * invalidates and publishes fq_finished = g when its wait has completed. A
 * range records the fq_started it saw after its entries were cleared; any
 * flush with a later generation started after the clear, so the range may
 * be freed once fq_finished exceeds its record. Flushes are serialised by
 * flush_lock, so fq_finished only grows.
 *
 * The time bound is checked on the coarse monotonic clock (a vDSO read of a
 * few nanoseconds, resolution of a few milliseconds, ample for a 10 ms
 * bound): fq_deadline is set when a range is queued and nothing was pending,
 * cleared by the flush, and whoever finds it past takes it (compare and
 * swap) and flushes.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "dma/dma_internal.h"
#include "util/cpu.h"

static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int dma_fq_init(struct dma_dom *dd)
{
	int ncpu = get_nprocs_conf();
	unsigned int n = 1, i;

	while (n < (unsigned int)(ncpu > 0 ? ncpu : 1) && n < DMA_FQ_MAX)
		n <<= 1;
	if (mem_should_fail(dd->mem))
		return -ENOMEM;
	dd->fq = aligned_alloc(64, n * sizeof(*dd->fq));
	if (!dd->fq)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		dd->fq[i] = (struct dma_fq){ .lock = YLOCK_INIT };
	dd->nr_fq = n;
	pthread_mutex_init(&dd->flush_lock, NULL);
	return 0;
}

void dma_fq_fini(struct dma_dom *dd)
{
	unsigned int i;

	for (i = 0; i < dd->nr_fq; i++)
		SIOMMU_ASSERT(!dd->fq[i].n);
	pthread_mutex_destroy(&dd->flush_lock);
	free(dd->fq);
}

/* Any part is correct (parts are locked); the current CPU's is fastest. */
struct dma_fq *dma_fq_this_cpu(struct dma_dom *dd)
{
	return &dd->fq[this_cpu() & (dd->nr_fq - 1)];
}

/* Entries taken off the queue, to be freed once its lock is dropped. */
struct fq_batch {
	unsigned int n;
	struct dma_fq_entry e[SIOMMU_DMA_FQ_SIZE];
};

/* Move the entries of @q the last finished flush covers to @b. Holds
 * q->lock. */
static void fq_take_done(struct dma_dom *dd, struct dma_fq *q, struct fq_batch *b)
{
	uint64_t done = LOAD_ACQUIRE(dd->fq_finished);

	while (q->n && q->e[q->head].gen < done) {
		SIOMMU_ASSERT(b->n < SIOMMU_DMA_FQ_SIZE);
		b->e[b->n++] = q->e[q->head];
		q->head = (q->head + 1) % SIOMMU_DMA_FQ_SIZE;
		q->n--;
	}
}

/* Free what @b holds: table levels (after a grace period) and IOVAs.
 * Runs with no lock held. */
static void fq_free(struct dma_dom *dd, struct fq_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		const struct dma_fq_entry *e = &b->e[i];
		int ret;

		if (e->nr_pages) {
			struct siommu_pt_gather g;

			siommu_pt_gather_init(&g);
			g.pt = siommu_domain_pt(dd->dom);
			g.pages_head = e->pages_head;
			g.nr_pages = e->nr_pages;
			siommu_pt_gather_release(&g);
		}
		ret = siommu_iova_free(dd->iovad, e->iova, e->size);
		SIOMMU_ASSERT(!ret);
		(void)ret;
	}
	b->n = 0;
}

/* One domain-wide invalidation and wait for everything queued so far. */
static void fq_flush_locked(struct dma_dom *dd)
{
	__atomic_store_n(&dd->fq_deadline, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dd->fq_started, dd->fq_started + 1, __ATOMIC_SEQ_CST);
	core_domain_flush_all(dd->dom);
	STORE_RELEASE(dd->fq_finished, dd->fq_started);
	dd->flushes++;
}

static void fq_flush(struct dma_dom *dd)
{
	pthread_mutex_lock(&dd->flush_lock);
	fq_flush_locked(dd);
	pthread_mutex_unlock(&dd->flush_lock);
}

/*
 * Make every entry of generation @gen reclaimable, flushing only if no
 * flush that covers it has finished or is under way. Parts fill at the
 * same rate under an even load, so several often need room at once: one
 * flush serves them all, and the others wait for it spinning (it takes
 * about a microsecond) instead of sleeping on flush_lock and then
 * flushing again.
 */
static void fq_flush_after(struct dma_dom *dd, uint64_t gen)
{
	unsigned int spins = 0;

	while (LOAD_ACQUIRE(dd->fq_finished) <= gen) {
		if (__atomic_load_n(&dd->fq_started, __ATOMIC_SEQ_CST) <= gen &&
		    !pthread_mutex_trylock(&dd->flush_lock)) {
			if (READ_ONCE(dd->fq_finished) <= gen)
				fq_flush_locked(dd);
			pthread_mutex_unlock(&dd->flush_lock);
			return;
		}
		if (++spins % 64 == 0)
			sched_yield();
		else
			cpu_relax();
	}
}

void dma_fq_flush_all(struct dma_dom *dd)
{
	unsigned int i;

	fq_flush(dd);
	for (i = 0; i < dd->nr_fq; i++) {
		struct dma_fq *q = &dd->fq[i];
		struct fq_batch b;

		b.n = 0;
		ylock_lock(&q->lock);
		fq_take_done(dd, q, &b);
		ylock_unlock(&q->lock);
		fq_free(dd, &b);
	}
}

/* Flush what @q's oldest entry needs and take what it covers to @b (what
 * @b held is freed first). Holds q->lock, which it drops meanwhile. */
static void fq_make_room(struct dma_dom *dd, struct dma_fq *q, struct fq_batch *b)
{
	uint64_t gen = q->e[q->head].gen;

	ylock_unlock(&q->lock);
	fq_free(dd, b);
	fq_flush_after(dd, gen);
	ylock_lock(&q->lock);
	fq_take_done(dd, q, b);
}

void dma_fq_check_time(struct dma_dom *dd)
{
	uint64_t d = READ_ONCE(dd->fq_deadline);

	if (likely(!d) || coarse_ns() < d)
		return;
	if (__atomic_compare_exchange_n(&dd->fq_deadline, &d, 0, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		dma_fq_flush_all(dd);
}

void dma_fq_queue(struct dma_dom *dd, uint64_t iova, uint64_t size,
		  struct siommu_pt_gather *g)
{
	struct dma_fq *q = dma_fq_this_cpu(dd);
	struct dma_fq_entry *e;
	struct fq_batch b;
	uint64_t zero = 0;

	/* The entries were cleared before this: a flush that starts after the
	 * generation read below sees them gone (see the generations above). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	b.n = 0;
	ylock_lock(&q->lock);
	fq_take_done(dd, q, &b);
	while (q->n == SIOMMU_DMA_FQ_SIZE) {
		/* Others filled this part while it waited for a flush. */
		fq_make_room(dd, q, &b);
	}
	e = &q->e[(q->head + q->n) % SIOMMU_DMA_FQ_SIZE];
	*e = (struct dma_fq_entry){
		.iova = iova, .size = size,
		.gen = __atomic_load_n(&dd->fq_started, __ATOMIC_SEQ_CST),
		.pages_head = g->pages_head, .nr_pages = g->nr_pages,
	};
	q->n++;
	/* Under q->lock: no locked add needed (readers load it atomically). */
	__atomic_store_n(&q->batched, q->batched + 1, __ATOMIC_RELAXED);
	/* A full part is flushed at once: its IOVAs go back to the
	 * allocator's caches before the next maps run them dry. */
	if (q->n == SIOMMU_DMA_FQ_SIZE)
		fq_make_room(dd, q, &b);
	ylock_unlock(&q->lock);
	fq_free(dd, &b);

	if (!READ_ONCE(dd->fq_deadline))
		__atomic_compare_exchange_n(&dd->fq_deadline, &zero,
					    coarse_ns() + SIOMMU_DMA_FQ_TIMEOUT_MS * 1000000ull,
					    false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}
