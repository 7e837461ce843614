/* SPDX-License-Identifier: MIT */
/*
 * SVA races, time-bounded by SIOMMU_STRESS_MS (default 1000 per phase, then
 * on until every role did what the checks need: tests/common/stress.h);
 * meant for ThreadSanitizer too (make tsan).
 *
 * 1. munmap, reclaim and migrate against device DMA: device threads write
 *    to the process's pages all the while (plain DMA, no page requests, so
 *    that nothing allocates frames behind the test's back); once a call
 *    returns, the frame the page had must never change again: no device
 *    reaches it after the call.
 * 2. unbind against page requests in flight: threads send page requests
 *    with the process's PASID and wait for each answer while the process is
 *    bound and unbound over and over (and exits and comes back); every
 *    request gets exactly one answer, never none, never two. On SMMUv2,
 *    which has no page requests, the same against stalls in flight.
 * 3. a fault storm: threads DMA to fresh pages of one process at once with
 *    page faults, while another thread munmaps and maps the range again;
 *    every DMA ends (done, or refused where the page was gone).
 * 4. munmap, reclaim and migrate against the ATS device kit
 *    (siommu/atsdev.h), on VT-d (device-TLB invalidations) and SMMUv3
 *    (CMD_ATC_INV): its device TLB fills and misses all the while; once
 *    the call returns, the page's old frame never changes again, so no
 *    stale device-TLB entry survived it.
 * 5. mprotect against device reads: device threads read the process's
 *    pages (plain DMA: a miss would be a fault, no page request; more
 *    pages than the IOTLB holds, so that reads walk the table) while
 *    ranges are made read-only and writable again; no read ever faults,
 *    since the page stays mapped throughout, and once a downgrade
 *    returns a device write to the page faults (its cached writable
 *    translation is gone) and leaves the page as it was.
 */
#include <pthread.h>

#include <siommu/atsdev.h>

#include "sva/sva_internal.h"
#include "stress.h"
#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define NR_PAGES 32
#define NR_THREADS 2
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static unsigned int stress_ms;
static bool stop;

/* What a phase's checks need from each role. */
struct progress {
	const uint64_t *rounds;		/* the main loop's */
	uint64_t *work[NR_THREADS];	/* the threads' (test_count()) */
	struct siommu_atsdev *kit;	/* whose device TLB must hit too */
};

static const char *enough(void *arg)
{
	struct progress *p = arg;
	struct siommu_atsdev_stats st;
	uint64_t work = 0;
	unsigned int i;

	for (i = 0; i < NR_THREADS; i++)
		work += p->work[i] ? test_count(p->work[i]) : 0;
	TEST_STRESS_NEED(*p->rounds > 0);
	TEST_STRESS_NEED(work > 0);
	if (p->kit) {
		siommu_atsdev_get_stats(p->kit, &st);
		TEST_STRESS_NEED(st.tlb_hits > 0);
	}
	return NULL;
}

/* Phase 1 ------------------------------------------------------------------ */

struct writer {
	pthread_t th;
	struct test_pri_dev *d;
	uint32_t pasid;
	uint64_t va;
	unsigned int seed, half;
	uint64_t writes;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	struct test_rng r = { w->seed };
	uint64_t val, iova;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* Each writer has its own half of every page, the CPU the
		 * first 8 bytes: two writers of the same bytes at once would
		 * be the program's race, not the library's. */
		iova = w->va + test_rand_below(&r, NR_PAGES) * PG + w->half * PG / 2 +
		       (1 + test_rand_below(&r, 255)) * 8;
		val = test_rand(&r);
		if (!test_pri_dma_once(w->d, w->pasid, iova, &val, sizeof(val), true, NULL))
			test_count_add(&w->writes, 1);
	}
	return NULL;
}

static uint64_t page_pa(struct siommu_mm *mm, uint64_t va)
{
	uint64_t pa = 0;

	pthread_mutex_lock(&mm->lock);
	CHECK_OK(siommu_pt_iova_to_phys(mm->pt, va, &pa, NULL));
	pthread_mutex_unlock(&mm->lock);
	return pa;
}

/*
 * Take a random page of @mm's NR_PAGES at @va away from the devices
 * (munmap, reclaim or migrate), each page populated, while they write to
 * them: the old frame is then free and nobody allocates, so it must stay
 * as the call left it. Then put the page back, mapped and populated.
 * Returns the operation: 0 munmap, 1 reclaim, 2 migrate.
 */
static unsigned int take_page_away(struct siommu_mm *mm, uint64_t va, struct test_rng *r)
{
	static unsigned char snap[PG], again[PG], fill[8];
	uint64_t page = va + test_rand_below(r, NR_PAGES) * PG, pa = page_pa(mm, page);
	unsigned int op = (unsigned int)test_rand_below(r, 3), i;

	if (op == 0)
		CHECK_OK(siommu_mm_munmap(mm, page, PG));
	else if (op == 1)
		CHECK_OK(siommu_mm_reclaim(mm, page));
	else
		CHECK_OK(siommu_mm_migrate(mm, page));
	CHECK_OK(siommu_mem_read(siommu_ctx_mem(ctx), pa, snap, PG));
	for (i = 0; i < 20; i++)
		sched_yield();
	CHECK_OK(siommu_mem_read(siommu_ctx_mem(ctx), pa, again, PG));
	CHECK(!memcmp(snap, again, PG));
	if (op == 0)
		CHECK_OK(siommu_mm_mmap(mm, page, PG, RW, NULL));
	CHECK_OK(siommu_mm_write(mm, page, fill, sizeof(fill)));
	return op;
}

static void phase_unmap_vs_dma(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct writer w[NR_THREADS];
	struct test_rng r = { 77 };
	static unsigned char fill[8];
	uint64_t va, rounds = 0, total = 0;
	struct progress p = { .rounds = &rounds };
	struct test_stress run;
	unsigned int i;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, NR_PAGES * PG, RW, &va));
	for (i = 0; i < NR_PAGES; i++)
		CHECK_OK(siommu_mm_write(mm, va + i * PG, fill, sizeof(fill)));
	/* No fault may bring a frame in behind the test's back: on SMMUv2
	 * a device that does not wait out stalls (its faults terminated). */
	if (test_unit_type() == TEST_UNIT_SMMUV2)
		test_hook_dev_init(&d, ctx, unit, 0x100, 20, 0);
	else
		test_pri_dev_init(&d, ctx, unit, 0x100, 20, SIOMMU_DEV_ATS);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	stop = false;
	for (i = 0; i < NR_THREADS; i++) {
		w[i] = (struct writer){ .d = &d, .pasid = siommu_sva_pasid(sva), .va = va,
					.seed = 1000 + i, .half = i % 2 };
		CHECK_OK(pthread_create(&w[i].th, NULL, writer_fn, &w[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		p.work[i] = &w[i].writes;
	run = test_stress_start(stress_ms);
	while (test_stress_more(&run, enough, &p)) {
		take_page_away(mm, va, &r);
		rounds++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].writes;
	}
	fprintf(stderr, "unmap vs DMA: %" PRIu64 " rounds, %" PRIu64 " device writes\n",
		rounds, total);
	CHECK(rounds && total);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* Phase 2 ------------------------------------------------------------------ */

struct requester {
	pthread_t th;
	struct test_pri_dev *d;
	uint32_t *pasid;	/* the process's, read atomically */
	uint64_t va;
	unsigned int index;
	uint64_t sent;
};

static void *requester_fn(void *arg)
{
	struct requester *q = arg;
	unsigned int k = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* Each thread owns 64 group indices, one request in flight. */
		uint16_t prgi = (uint16_t)(q->index * 64 + k++ % 64);
		uint32_t seen = __atomic_load_n(&q->d->resp_seen[prgi], __ATOMIC_ACQUIRE);
		struct timespec t0;
		int ret;

		ret = test_pri_request(q->d, __atomic_load_n(q->pasid, __ATOMIC_RELAXED),
				       q->va + (k % NR_PAGES) * PG, false, prgi, true, 0);
		CHECK(ret == 0 || ret == -ENOSPC || ret == -EFAULT);
		test_count_add(&q->sent, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (__atomic_load_n(&q->d->resp_seen[prgi], __ATOMIC_ACQUIRE) == seen) {
			struct timespec t;

			sched_yield();
			clock_gettime(CLOCK_MONOTONIC, &t);
			CHECK(t.tv_sec - t0.tv_sec < 60);
		}
		CHECK_EQ(__atomic_load_n(&q->d->resp_seen[prgi], __ATOMIC_ACQUIRE), seen + 1);
	}
	return NULL;
}

static void phase_unbind_vs_requests(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct requester q[NR_THREADS];
	uint64_t va, rounds = 0, sent = 0, answered = 0;
	uint32_t pasid;
	struct progress p = { .rounds = &rounds };
	struct test_stress run;
	unsigned int i;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, NR_PAGES * PG, RW, &va));
	test_pri_dev_init(&d, ctx, unit, 0x200, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	stop = false;
	for (i = 0; i < NR_THREADS; i++) {
		q[i] = (struct requester){ .d = &d, .pasid = &pasid, .va = va, .index = i };
		CHECK_OK(pthread_create(&q[i].th, NULL, requester_fn, &q[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		p.work[i] = &q[i].sent;
	run = test_stress_start(stress_ms);
	while (test_stress_more(&run, enough, &p)) {
		siommu_sva_unbind(sva);
		sched_yield();
		if (rounds % 8 == 7) {
			/* A new process, which may get the same PASID. */
			siommu_mm_exit(mm);
			CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
			CHECK_OK(siommu_mm_mmap(mm, va, NR_PAGES * PG, RW, NULL));
		}
		CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
		__atomic_store_n(&pasid, siommu_sva_pasid(sva), __ATOMIC_RELAXED);
		sched_yield();
		rounds++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(q[i].th, NULL);
		sent += q[i].sent;
	}
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	/* Nothing answered twice, nothing late. */
	for (i = 0; i < 512; i++)
		answered += d.resp_seen[i];
	fprintf(stderr, "unbind vs page requests: %" PRIu64 " binds, %" PRIu64 " requests\n",
		rounds, sent);
	CHECK_EQ(answered, sent);
	CHECK(rounds && sent);
	test_pri_dev_fini(&d);
}

/*
 * Phase 2 on SMMUv2, where a stall is the page request: a thread per
 * device DMAs to untouched pages of the process (each one stalls until
 * the fault path answers) while the process is unbound and bound again
 * (and exits and comes back). Before a hook runs the bank's stall is
 * aborted, so nothing waits on the fault path under the context's lock:
 * every stall ends, exactly once (one thread per device and bank), and
 * the test's own wait would fail after 30 s otherwise.
 */
struct staller {
	pthread_t th;
	struct test_pri_dev *d;
	uint32_t *pasid;
	uint64_t va;
	unsigned int seed, index;
	uint64_t dmas;
};

static void *staller_fn(void *arg)
{
	struct staller *t = arg;
	struct test_rng r = { t->seed };
	unsigned char buf[8];

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* Its own bytes of each page (see writer_fn). */
		uint64_t a = t->va + test_rand_below(&r, NR_PAGES) * PG + t->index * 64;
		int ret = test_pri_dma_once(t->d, __atomic_load_n(t->pasid, __ATOMIC_RELAXED), a,
					    buf, sizeof(buf), test_rand_below(&r, 2), NULL);

		CHECK(ret == 0 || ret == -EAGAIN || ret == -EFAULT || ret == -ENOENT);
		t->dmas++;
		/* The device's lock is no fair one: let a hook have it. */
		sched_yield();
	}
	return NULL;
}

static void phase_unbind_vs_stalls(void)
{
	struct test_pri_dev d[NR_THREADS];
	struct staller t[NR_THREADS];
	struct siommu_sva *sva[NR_THREADS];
	struct siommu_mm *mm;
	uint64_t va, rounds = 0, stalls = 0, dmas = 0;
	uint32_t pasid;
	struct progress p = { .rounds = &rounds };
	struct test_stress run;
	unsigned int i;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, NR_PAGES * PG, RW, &va));
	stop = false;
	for (i = 0; i < NR_THREADS; i++) {
		test_pri_dev_init(&d[i], ctx, unit, (uint16_t)(0x200 + i), 20, 0);
		CHECK_OK(siommu_sva_bind(d[i].dev, mm, &sva[i]));
	}
	pasid = siommu_sva_pasid(sva[0]);
	for (i = 0; i < NR_THREADS; i++) {
		t[i] = (struct staller){ .d = &d[i], .pasid = &pasid, .va = va, .seed = 300 + i,
					 .index = i };
		CHECK_OK(pthread_create(&t[i].th, NULL, staller_fn, &t[i]));
	}
	/* Every stall ends (checked below): the ends count the stalls. */
	for (i = 0; i < NR_THREADS; i++)
		p.work[i] = &d[i].stall_ends;
	run = test_stress_start(stress_ms);
	while (test_stress_more(&run, enough, &p)) {
		for (i = 0; i < NR_THREADS; i++)
			siommu_sva_unbind(sva[i]);
		if (rounds % 8 == 7) {
			siommu_mm_exit(mm);
			CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
			CHECK_OK(siommu_mm_mmap(mm, va, NR_PAGES * PG, RW, NULL));
		} else if (rounds % 2) {
			/* Untouched again, so that the next DMAs stall. */
			CHECK_OK(siommu_mm_munmap(mm, va, NR_PAGES * PG));
			CHECK_OK(siommu_mm_mmap(mm, va, NR_PAGES * PG, RW, NULL));
		}
		for (i = 0; i < NR_THREADS; i++)
			CHECK_OK(siommu_sva_bind(d[i].dev, mm, &sva[i]));
		__atomic_store_n(&pasid, siommu_sva_pasid(sva[0]), __ATOMIC_RELAXED);
		for (i = 0; i < 20; i++)
			sched_yield();
		rounds++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i].th, NULL);
		CHECK_EQ(__atomic_load_n(&d[i].stall_ends, __ATOMIC_ACQUIRE), d[i].stalls);
		stalls += d[i].stalls;
		dmas += t[i].dmas;
		siommu_sva_unbind(sva[i]);
		test_pri_dev_fini(&d[i]);
	}
	siommu_mm_exit(mm);
	fprintf(stderr, "unbind vs stalls: %" PRIu64 " binds, %" PRIu64 " DMAs, %" PRIu64
		" stalls\n", rounds, dmas, stalls);
	CHECK(rounds && stalls);
}

/* Phase 3 ------------------------------------------------------------------ */

struct stormer {
	pthread_t th;
	struct test_pri_dev *d;
	uint32_t pasid;
	uint64_t va;
	unsigned int seed, index;
	uint64_t done, refused;
};

static void *stormer_fn(void *arg)
{
	struct stormer *s = arg;
	struct test_rng r = { s->seed };
	unsigned char buf[64];

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* Its own bytes of each page (see writer_fn). */
		uint64_t a = s->va + test_rand_below(&r, 4 * NR_PAGES) * PG + s->index * 64;
		bool write = test_rand_below(&r, 2);

		if (!test_pri_dma(s->d, s->pasid, a, buf, sizeof(buf), write, NULL))
			test_count_add(&s->done, 1);
		else
			s->refused++;
	}
	return NULL;
}

static void phase_fault_storm(void)
{
	struct test_pri_dev d[NR_THREADS];
	struct stormer s[NR_THREADS];
	struct siommu_sva *sva[NR_THREADS];
	struct siommu_mm *mm;
	uint64_t va, rounds = 0, done = 0;
	struct progress p = { .rounds = &rounds };
	struct test_stress run;
	unsigned int i;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(3), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * NR_PAGES * PG, RW, &va));
	stop = false;
	for (i = 0; i < NR_THREADS; i++) {
		test_pri_dev_init(&d[i], ctx, unit, (uint16_t)(0x300 + i), 20, 0);
		CHECK_OK(siommu_sva_bind(d[i].dev, mm, &sva[i]));
		s[i] = (struct stormer){ .d = &d[i], .pasid = siommu_sva_pasid(sva[i]), .va = va,
					 .seed = 2000 + i, .index = i };
		CHECK_OK(pthread_create(&s[i].th, NULL, stormer_fn, &s[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		p.work[i] = &s[i].done;
	run = test_stress_start(stress_ms);
	while (test_stress_more(&run, enough, &p)) {
		CHECK_OK(siommu_mm_munmap(mm, va, 4 * NR_PAGES * PG));
		CHECK_OK(siommu_mm_mmap(mm, va, 4 * NR_PAGES * PG, RW, NULL));
		for (i = 0; i < 50; i++)
			sched_yield();
		rounds++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(s[i].th, NULL);
		done += s[i].done;
		siommu_sva_unbind(sva[i]);
		test_pri_dev_fini(&d[i]);
	}
	fprintf(stderr, "fault storm: %" PRIu64 " remaps, %" PRIu64 " DMAs done\n", rounds, done);
	CHECK(rounds && done);
	siommu_mm_exit(mm);
}

/* Phase 4 ------------------------------------------------------------------ */

struct kit_writer {
	pthread_t th;
	struct siommu_atsdev *kit;
	uint32_t pasid;
	uint64_t va;
	uint64_t writes;
};

static void *kit_writer_fn(void *arg)
{
	struct kit_writer *k = arg;
	struct test_rng r = { 3000 };
	/* No page requests, as in phase 1: a fault-in could take the frame
	 * the test watches. A page that does not translate ends the DMA. */
	struct siommu_atsdev_req req = { .pasid_present = true, .pasid = k->pasid,
					 .write = true, .no_page_request = true };

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t val = test_rand(&r);

		/* Not the first 8 bytes, which the CPU writes. */
		req.addr = k->va + test_rand_below(&r, NR_PAGES) * PG +
			   (1 + test_rand_below(&r, 511)) * 8;
		if (!siommu_atsdev_dma(k->kit, &req, &val, sizeof(val), NULL))
			test_count_add(&k->writes, 1);
	}
	return NULL;
}

static void phase_unmap_vs_devtlb(void)
{
	struct siommu_device *dev;
	struct siommu_atsdev *kit;
	struct siommu_atsdev_stats st;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct kit_writer k;
	struct test_rng r = { 99 };
	static unsigned char fill[8];
	uint64_t va, rounds = 0, ops[3] = { 0 };
	struct progress p = { .rounds = &rounds };
	struct test_stress run;
	unsigned int i;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(4), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, NR_PAGES * PG, RW, &va));
	for (i = 0; i < NR_PAGES; i++)
		CHECK_OK(siommu_mm_write(mm, va + i * PG, fill, sizeof(fill)));
	dev = test_dev_add(unit, 0x400, 20, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	CHECK_OK(test_atsdev_create(unit, &(struct siommu_atsdev_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = 0x400 }, &kit));
	CHECK_OK(siommu_sva_bind(dev, mm, &sva));
	stop = false;
	k = (struct kit_writer){ .kit = kit, .pasid = siommu_sva_pasid(sva), .va = va };
	CHECK_OK(pthread_create(&k.th, NULL, kit_writer_fn, &k));
	p.work[0] = &k.writes;
	p.kit = kit;
	run = test_stress_start(stress_ms);
	while (test_stress_more(&run, enough, &p)) {
		ops[take_page_away(mm, va, &r)]++;
		rounds++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(k.th, NULL);
	siommu_atsdev_get_stats(kit, &st);
	fprintf(stderr, "unmap vs device TLB: %" PRIu64 " rounds (%" PRIu64 " munmap, %" PRIu64
		" reclaim, %" PRIu64 " migrate), %" PRIu64 " writes, %" PRIu64 " hits, %" PRIu64
		" invalidations\n", rounds, ops[0], ops[1], ops[2], k.writes, st.tlb_hits,
		st.invalidations);
	CHECK(rounds && k.writes && st.tlb_hits && st.invalidations);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	siommu_atsdev_destroy(kit);
	siommu_device_remove(dev);
}

/* Phase 5 ------------------------------------------------------------------ */

/* More pages than either model's IOTLB holds by default. */
#define NR_PROT_PAGES 2048

struct reader {
	pthread_t th;
	struct test_pri_dev *d;
	uint32_t pasid;
	uint64_t va;
	unsigned int seed;
	uint64_t reads, faults;
};

static void *reader_fn(void *arg)
{
	struct reader *q = arg;
	struct test_rng r = { q->seed };
	uint64_t val;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t iova = q->va + test_rand_below(&r, NR_PROT_PAGES) * PG +
				test_rand_below(&r, PG / 8) * 8;

		if (test_pri_dma_once(q->d, q->pasid, iova, &val, sizeof(val), false, NULL))
			q->faults++;
		test_count_add(&q->reads, 1);
	}
	return NULL;
}

static void phase_mprotect_vs_dma(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct siommu_mm_info mi;
	struct reader q[NR_THREADS];
	struct test_rng r = { 55 };
	static unsigned char fill[PG];
	uint64_t va, rounds = 0, reads = 0, faults = 0, val = 0x1122334455667788ull, got;
	uint32_t pasid;
	struct progress p = { .rounds = &rounds };
	struct test_stress run;
	unsigned int i;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(5), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, NR_PROT_PAGES * PG, RW, &va));
	memset(fill, 0x5a, sizeof(fill));
	for (i = 0; i < NR_PROT_PAGES; i++)
		CHECK_OK(siommu_mm_write(mm, va + i * PG, fill, PG));
	test_pri_dev_init(&d, ctx, unit, 0x500, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	stop = false;
	for (i = 0; i < NR_THREADS; i++) {
		q[i] = (struct reader){ .d = &d, .pasid = pasid, .va = va, .seed = 4000 + i };
		CHECK_OK(pthread_create(&q[i].th, NULL, reader_fn, &q[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		p.work[i] = &q[i].reads;
	run = test_stress_start(stress_ms);
	while (test_stress_more(&run, enough, &p)) {
		uint64_t page = va + test_rand_below(&r, NR_PROT_PAGES) * PG;
		uint64_t len = (1 + test_rand_below(&r, 512)) * PG;

		if (page + len > va + NR_PROT_PAGES * PG)
			len = va + NR_PROT_PAGES * PG - page;
		/* The device caches the page writable, then loses that. */
		CHECK_OK(test_pri_dma_once(&d, pasid, page, fill, 8, true, NULL));
		CHECK_OK(siommu_mm_mprotect(mm, page, len, SIOMMU_PROT_READ));
		CHECK_EQ(test_pri_dma_once(&d, pasid, page + 8, &val, sizeof(val), true, NULL),
			 -EFAULT);
		CHECK_OK(siommu_mm_read(mm, page + 8, &got, sizeof(got)));
		CHECK_EQ(got, 0x5a5a5a5a5a5a5a5aull);
		CHECK_OK(siommu_mm_mprotect(mm, page, len, RW));
		rounds++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(q[i].th, NULL);
		reads += q[i].reads;
		faults += q[i].faults;
	}
	siommu_mm_get_info(mm, &mi);
	fprintf(stderr, "mprotect vs DMA: %" PRIu64 " downgrades, %" PRIu64 " device reads, %"
		PRIu64 " faulted\n", rounds, reads, faults);
	CHECK(rounds && reads);
	CHECK_EQ(faults, 0);
	/* Nothing was ever missing: no page brought in. The write each round
	 * makes to a read-only page reaches the fault path, refused, only
	 * where a fault is the request (SMMUv2's stalls); elsewhere the
	 * device sees the permission fault and asks for nothing. */
	CHECK_EQ(mi.faults, 0);
	CHECK_EQ(mi.faults_refused, test_unit_type() == TEST_UNIT_SMMUV2 ? rounds : 0);
	CHECK_EQ(mi.resident, NR_PROT_PAGES);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

int main(void)
{
	stress_ms = test_stress_ms(1000);
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	phase_unmap_vs_dma();
	if (test_sva_page_requests())
		phase_unbind_vs_requests();
	else
		phase_unbind_vs_stalls();
	phase_fault_storm();
	if (test_sva_ats())
		phase_unmap_vs_devtlb();
	else
		fprintf(stderr, "unmap vs device TLB: no ATS on SMMUv2, skipped\n");
	phase_mprotect_vs_dma();
	siommu_ctx_destroy(ctx);
	return 0;
}
