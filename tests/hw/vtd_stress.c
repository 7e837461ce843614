/* SPDX-License-Identifier: MIT */
/*
 * Stress: threads translate (and DMA) while one thread remaps pages and
 * submits invalidations with waits. Once a wait completes, no translation
 * that starts afterwards may return the mapping the invalidation removed
 * (VT-d 6.5.2.9).
 *
 * Each page p alternates between two frames. The writer unmaps p, submits
 * an invalidation and a wait, then publishes the old frame as forbidden and
 * bumps seq[p], then maps the other frame. A reader samples seq[p] and the
 * forbidden frame, translates, and re-reads seq[p]: if seq[p] did not move,
 * the forbidden frame was unmapped and invalidated before the translation
 * started and cannot be mapped again before seq[p] moves.
 *
 * That catches a stale fill only if a walk reads a PTE before the writer
 * clears it and fills the IOTLB after the invalidation has scanned past
 * the slot: a window of a few nanoseconds against the microsecond it takes
 * to submit an invalidation, which random timing practically never hits.
 * The held phase (run_held() below) opens the window on purpose, for each
 * cache the model fills from a walk.
 */
#include <pthread.h>
#include <sched.h>

#include "hw/vtd/vtd_internal.h"	/* the fill hook */
#include "vtd_test.h"

#define RID 0x0500
#define NPAGES 64	/* at most */
#define READERS 2

struct stress {
	struct vt t;
	uint64_t fs;
	uint64_t frame[NPAGES][2];
	uint64_t forbidden[NPAGES];	/* atomics */
	uint64_t seq[NPAGES];		/* atomics */
	int done;			/* atomic */
	unsigned int started;		/* readers running; atomic */
	uint64_t violations;		/* atomic */
	uint64_t samples;		/* atomic */
	unsigned int npages;
};

static void *reader(void *arg)
{
	struct stress *s = arg;
	struct test_rng rng = { (uint64_t)(uintptr_t)&rng | 1 };
	uint64_t n = 0, bad = 0;
	uint8_t buf[64];

	__atomic_fetch_add(&s->started, 1, __ATOMIC_RELEASE);
	do {
		unsigned int p = (unsigned int)test_rand_below(&rng, s->npages);
		uint64_t iova = 0x100000 + p * 4096ull + test_rand_below(&rng, 4096);
		struct siommu_vtd_req r = vt_req(RID, true, 1, iova, SIOMMU_VTD_READ);
		struct siommu_vtd_xlate x;
		uint64_t s1, s2, fb;
		int ret;

		s1 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		fb = __atomic_load_n(&s->forbidden[p], __ATOMIC_ACQUIRE);
		if (n & 1) {
			ret = siommu_vtd_translate(s->t.v, &r, &x);
		} else {
			size_t done;

			/* DMA: the fault path also reports the page. */
			ret = siommu_vtd_dma_read(s->t.v, &r, buf,
						  iova % 4096 > 4096 - 64 ? 1 : 64,
						  &done, &x);
			if (!ret)
				ret = siommu_vtd_translate(s->t.v, &r, &x);
		}
		s2 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		if (!ret && s1 == s2 && fb && (x.addr & ~0xfffull) == fb)
			bad++;
		n++;
	} while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE));
	__atomic_fetch_add(&s->violations, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->samples, n, __ATOMIC_RELAXED);
	return NULL;
}

static void writer(struct stress *s, uint64_t cycles)
{
	struct test_rng rng = test_rng_init(0x5eed);
	unsigned int cur[NPAGES] = { 0 };
	uint64_t i;

	for (i = 0; i < cycles; i++) {
		unsigned int p = (unsigned int)test_rand_below(&rng, s->npages);
		uint64_t iova = 0x100000 + p * 4096ull;
		uint64_t old = s->frame[p][cur[p]];
		struct siommu_vtd_desc d;

		CHECK_OK(siommu_vtd_build_unmap(s->t.mem, SIOMMU_VTD_FMT_FS, s->fs, 4,
						iova));
		switch (test_rand_below(&rng, 4)) {
		case 0:
			d = siommu_vtd_desc_piotlb(2, 1, 1, 0, 0, false);
			break;
		case 1:
			d = siommu_vtd_desc_iotlb(2, 1, 0, 0, false);
			break;
		default:
			d = siommu_vtd_desc_piotlb(3, 1, 1, iova, 0, false);
			break;
		}
		vt_inv(&s->t, d);
		__atomic_store_n(&s->forbidden[p], old, __ATOMIC_RELEASE);
		__atomic_fetch_add(&s->seq[p], 1, __ATOMIC_ACQ_REL);
		cur[p] ^= 1;
		CHECK_OK(siommu_vtd_build_map(s->t.mem, SIOMMU_VTD_FMT_FS, s->fs, 4, iova,
					      s->frame[p][cur[p]], SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
		if (i % 64 == 0)
			vt_inv(&s->t, siommu_vtd_desc_pc(1, 1, 1));
	}
}

/*
 * @cfg: the IOTLB geometry. A tiny IOTLB and few pages make nearly every
 * translation a walk and a fill of a page the writer is changing, so fills
 * race with invalidations all the time.
 */
static void run(const struct siommu_vtd_cfg *cfg, unsigned int npages,
		uint64_t cycles)
{
	static struct stress s;
	pthread_t th[READERS];
	unsigned int p, i;

	memset(&s, 0, sizeof(s));
	s.npages = npages;
	vt_init(&s.t, cfg);
	vt_ctx(&s.t, RID, true, 0);
	s.fs = vt_pasid_fs(&s.t, RID, 1, 1, 4);
	for (p = 0; p < npages; p++) {
		s.frame[p][0] = vt_page(&s.t);
		s.frame[p][1] = vt_page(&s.t);
		CHECK_OK(siommu_vtd_build_map(s.t.mem, SIOMMU_VTD_FMT_FS, s.fs, 4,
					      0x100000 + p * 4096ull, s.frame[p][0],
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_BUILD_USER));
	}
	/* Faults are expected (pages are briefly unmapped); keep the log quiet. */
	vt_wr(&s.t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	for (i = 0; i < READERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, reader, &s));
	/* On a loaded machine the writer could otherwise be done first. */
	while (__atomic_load_n(&s.started, __ATOMIC_ACQUIRE) < READERS)
		sched_yield();
	writer(&s, cycles);
	__atomic_store_n(&s.done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "%" PRIu64 " samples, %" PRIu64 " violations\n", s.samples,
		s.violations);
	CHECK_EQ(s.violations, 0);
	CHECK(s.samples > 0);
	vt_fini(&s.t);
}

/*
 * Held fills: the race above, made to happen in every round. A reader
 * thread translates one page, P, on request; the model's fill hook stops
 * its walk at the fill of the cache under test, after the walk has read
 * the entry it is about to cache (a PTE, the PASID entry or the context
 * entry). While the walk is held the writer removes that entry and submits
 * the invalidations the specification asks for, without a wait; then it
 * lets the fill go on and submits the wait, which cannot complete before
 * the walk is over. The reader may get the old frame (its translation
 * started before the invalidation), but once the wait has completed a
 * fresh translation of P must fault, and once the entry is back it must
 * give the frame mapped now. Without the generation check of the cache
 * under test (struct ctx_slot: stale fills) the first round fails.
 */
#define P_IOVA 0x300000ull

enum hold_state { HOLD_IDLE, HOLD_ARMED, HOLD_HELD, HOLD_GO };

struct held {
	struct vt t;
	uint64_t fs;
	uint64_t frame[2];	/* P maps frame[cur]; each holds its own PA */
	unsigned int cur;
	uint64_t ctx_pa;	/* RID's context entry and its word 0 */
	uint64_t ctx_q0;
	uint64_t pde_pa;	/* the level-1 entry above P, and its value */
	uint64_t pde;
	int cache;		/* enum vtd_cache the hook holds; atomic */
	int state;		/* enum hold_state; atomic */
	uint64_t req;		/* requests posted (~0: exit); atomic */
	uint64_t ack;		/* requests done; atomic */
	/* Handed over with req and ack: */
	bool dma;		/* a DMA read of P rather than a translation */
	int ret;		/* its result, and the frame it reached */
	uint64_t seen;
};

/* Holds the reader's walk: the writer translates only after HOLD_GO. */
static void hold_fill(void *opaque, enum vtd_cache cache)
{
	struct held *h = opaque;
	int armed = HOLD_ARMED;

	if ((int)cache != __atomic_load_n(&h->cache, __ATOMIC_ACQUIRE) ||
	    !__atomic_compare_exchange_n(&h->state, &armed, HOLD_HELD, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	while (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != HOLD_GO)
		sched_yield();
}

static void *held_reader(void *arg)
{
	struct held *h = arg;
	uint64_t seen = 0, req;

	for (;;) {
		struct siommu_vtd_req r = vt_req(RID, true, 1, P_IOVA, SIOMMU_VTD_READ);
		struct siommu_vtd_xlate x;

		while ((req = __atomic_load_n(&h->req, __ATOMIC_ACQUIRE)) == seen)
			sched_yield();
		if (req == ~0ull)
			return NULL;
		seen = req;
		/* Each frame holds its own PA at offset 0. */
		if (h->dma) {
			h->seen = 0;
			h->ret = siommu_vtd_dma_read(h->t.v, &r, &h->seen,
						     sizeof(h->seen), NULL, &x);
		} else {
			h->ret = siommu_vtd_translate(h->t.v, &r, &x);
			h->seen = x.addr;
		}
		__atomic_store_n(&h->ack, seen, __ATOMIC_RELEASE);
	}
}

static void held_wait(struct held *h)
{
	static uint32_t cookie = 0x80000000;
	struct siommu_vtd_desc d;
	uint32_t st = 0;

	d = siommu_vtd_desc_wait(true, false, false, false, h->t.status, ++cookie);
	vt_submit(&h->t, &d, 1);
	CHECK_OK(siommu_mem_read(h->t.mem, h->t.status, &st, 4));
	CHECK_EQ(st, cookie);
}

/* The @k-th invalidation (of five) that removes what P's walk cached in
 * domain 1, PASID 1, without IH: PASID-based page and PASID, by DID page
 * and domain, global. */
static struct siommu_vtd_desc p_inv(unsigned int k)
{
	switch (k) {
	case 0:
		return siommu_vtd_desc_piotlb(3, 1, 1, P_IOVA, 0, false);
	case 1:
		return siommu_vtd_desc_piotlb(2, 1, 1, 0, 0, false);
	case 2:
		return siommu_vtd_desc_iotlb(3, 1, P_IOVA, 0, false);
	case 3:
		return siommu_vtd_desc_iotlb(2, 1, 0, 0, false);
	default:
		return siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	}
}

/*
 * Remove the entry @cache holds for P; returns the invalidations to submit
 * in @d and the fault a translation of P must then report.
 */
static unsigned int held_remove(struct held *h, enum vtd_cache cache,
				unsigned int i, struct siommu_vtd_desc *d,
				uint32_t *reason)
{
	switch (cache) {
	case VTD_CACHE_IOTLB:
		CHECK_OK(siommu_vtd_build_unmap(h->t.mem, SIOMMU_VTD_FMT_FS, h->fs,
						4, P_IOVA));
		*reason = SIOMMU_VTD_FR_FS_NP;
		d[0] = p_inv(i % 5);
		return 1;
	case VTD_CACHE_PASID:
		CHECK_OK(siommu_vtd_build_pasid_clear(h->t.mem, h->t.root, RID, 1));
		*reason = SIOMMU_VTD_FR_PTE_NP;
		/* The PASID cache (PASID, domain or global), then the
		 * PASID's IOTLB entries. */
		d[0] = siommu_vtd_desc_pc(i % 3 == 2 ? 3 : i % 3, 1, 1);
		d[1] = siommu_vtd_desc_piotlb(2, 1, 1, 0, 0, false);
		return 2;
	case VTD_CACHE_PSC:
		/* The last-level table leaves the tree (it stays intact, as
		 * a freed table would until reused): invalidations without
		 * IH. */
		CHECK_OK(siommu_mem_store64(h->t.mem, h->pde_pa, 0));
		*reason = SIOMMU_VTD_FR_FS_NP;
		d[0] = p_inv(i % 4);
		return 1;
	case VTD_CACHE_CTX:
		CHECK_OK(siommu_mem_store64(h->t.mem, h->ctx_pa, h->ctx_q0 & ~1ull));
		*reason = SIOMMU_VTD_FR_CTX_NP;
		/* The context cache (device or global), then the domain's
		 * IOTLB; the walk stops at the context entry, before the
		 * PASID cache. */
		d[0] = i & 1 ? siommu_vtd_desc_cc(1, 0, 0, 0) :
			       siommu_vtd_desc_cc(3, 0, RID, 0);
		d[1] = siommu_vtd_desc_iotlb(2, 1, 0, 0, false);
		return 2;
	}
	CHECK(0);
	return 0;
}

/*
 * Put back what held_remove() took away; P then maps frame[cur]. Nothing
 * needs invalidating: the entry was not present, and without caching mode
 * not-present entries are not cached (VT-d 6.1).
 */
static void held_restore(struct held *h, enum vtd_cache cache)
{
	struct siommu_vtd_pasid_desc pd = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 1,
					    .fs_root = h->fs, .fs_levels = 4,
					    .sre = true, .ere = true };

	switch (cache) {
	case VTD_CACHE_IOTLB:
		h->cur ^= 1;
		CHECK_OK(siommu_vtd_build_map(h->t.mem, SIOMMU_VTD_FMT_FS, h->fs, 4,
					      P_IOVA, h->frame[h->cur], SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
		break;
	case VTD_CACHE_PASID:
		CHECK_OK(siommu_vtd_build_pasid(h->t.mem, h->t.root, RID, 1, &pd));
		break;
	case VTD_CACHE_PSC:
		CHECK_OK(siommu_mem_store64(h->t.mem, h->pde_pa, h->pde));
		break;
	case VTD_CACHE_CTX:
		CHECK_OK(siommu_mem_store64(h->t.mem, h->ctx_pa, h->ctx_q0));
		break;
	}
}

static void held_round(struct held *h, enum vtd_cache cache, unsigned int i)
{
	static const char *const name[] = {
		[VTD_CACHE_CTX] = "context cache",
		[VTD_CACHE_PASID] = "PASID cache",
		[VTD_CACHE_IOTLB] = "IOTLB",
		[VTD_CACHE_PSC] = "paging-structure cache",
	};
	uint64_t old = h->frame[h->cur], req;
	struct siommu_vtd_desc d[3];
	uint32_t reason = 0, fr;
	unsigned int n;

	/* Empty caches: the reader's translation walks and fills all four. */
	d[0] = siommu_vtd_desc_cc(1, 0, 0, 0);
	d[1] = siommu_vtd_desc_pc(3, 0, 0);
	d[2] = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	vt_submit(&h->t, d, 3);
	held_wait(h);

	__atomic_store_n(&h->cache, (int)cache, __ATOMIC_RELAXED);
	__atomic_store_n(&h->state, HOLD_ARMED, __ATOMIC_RELEASE);
	h->dma = i / 2 % 2;
	req = __atomic_load_n(&h->req, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&h->req, req, __ATOMIC_RELEASE);
	while (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != HOLD_HELD &&
	       __atomic_load_n(&h->ack, __ATOMIC_ACQUIRE) != req)
		sched_yield();
	/* Else the walk did not fill that cache: the round would prove nothing. */
	CHECK_EQ(__atomic_load_n(&h->state, __ATOMIC_ACQUIRE), HOLD_HELD);

	n = held_remove(h, cache, i, d, &reason);
	vt_submit(&h->t, d, n);
	__atomic_store_n(&h->state, HOLD_GO, __ATOMIC_RELEASE);
	held_wait(h);
	while (__atomic_load_n(&h->ack, __ATOMIC_ACQUIRE) != req)
		sched_yield();
	CHECK_OK(h->ret);
	CHECK_EQ(h->seen, old);

	fr = vt_xlate(&h->t, RID, true, 1, P_IOVA, SIOMMU_VTD_READ, NULL);
	if (fr != reason)
		fprintf(stderr, "%s, round %u: a fill held across the "
			"invalidation outlived the wait\n", name[cache], i);
	CHECK_EQ(fr, reason);
	held_restore(h, cache);
	CHECK_EQ(vt_xlate_ok(&h->t, RID, true, 1, P_IOVA, SIOMMU_VTD_READ),
		 h->frame[h->cur]);
	__atomic_store_n(&h->state, HOLD_IDLE, __ATOMIC_RELAXED);
}

static void run_held(unsigned int rounds)
{
	static const enum vtd_cache caches[] = {
		VTD_CACHE_IOTLB, VTD_CACHE_PASID, VTD_CACHE_CTX, VTD_CACHE_PSC,
	};
	static struct held h;
	unsigned int c, i, k;
	pthread_t th;
	uint64_t re;

	memset(&h, 0, sizeof(h));
	vt_init(&h.t, NULL);
	vt_ctx(&h.t, RID, true, 0);
	h.fs = vt_pasid_fs(&h.t, RID, 1, 1, 4);
	for (k = 0; k < 2; k++) {
		h.frame[k] = vt_page(&h.t);
		CHECK_OK(siommu_mem_store64(h.t.mem, h.frame[k], h.frame[k]));
	}
	CHECK_OK(siommu_vtd_build_map(h.t.mem, SIOMMU_VTD_FMT_FS, h.fs, 4, P_IOVA,
				      h.frame[0], SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	/* Scalable root entry, lower half for devfn 0-127 (VT-d 9.2). */
	CHECK_OK(siommu_mem_load64(h.t.mem, h.t.root + (RID >> 8) * 16, &re));
	h.ctx_pa = (re & ~0xfffull) + (RID & 0x7f) * 32;
	CHECK_OK(siommu_mem_load64(h.t.mem, h.ctx_pa, &h.ctx_q0));
	CHECK(h.ctx_q0 & 1);
	/* The level-1 entry above P: down from the root, levels 3 and 2. */
	h.pde_pa = h.fs;
	for (k = 3; k > 1; k--) {
		CHECK_OK(siommu_mem_load64(h.t.mem, h.pde_pa + ((P_IOVA >> (12 + 9 * k)) & 511) * 8,
					   &re));
		h.pde_pa = re & 0x000ffffffffff000ull;
	}
	h.pde_pa += ((P_IOVA >> 21) & 511) * 8;
	CHECK_OK(siommu_mem_load64(h.t.mem, h.pde_pa, &h.pde));
	CHECK(h.pde & 1);
	/* Every round faults on purpose; keep the log quiet. */
	vt_wr(&h.t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	vtd_fill_hook_set(h.t.v, hold_fill, &h);
	CHECK_OK(pthread_create(&th, NULL, held_reader, &h));

	for (c = 0; c < ARRAY_SIZE(caches); c++)
		for (i = 0; i < rounds; i++)
			held_round(&h, caches[c], i);

	__atomic_store_n(&h.req, ~0ull, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	vtd_fill_hook_set(h.t.v, NULL, NULL);
	fprintf(stderr, "%u held rounds per cache\n", rounds);
	vt_fini(&h.t);
}

int main(void)
{
	struct siommu_vtd_cfg tiny = { .iotlb_sets = 4, .iotlb_ways = 1 };

	run_held((unsigned int)test_scale(100));
	run(NULL, NPAGES, test_scale(5000));
	run(&tiny, 4, test_scale(5000));
	return 0;
}
