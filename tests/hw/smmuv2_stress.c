/* SPDX-License-Identifier: MIT */
/*
 * Stress (also under TSan): threads translate and DMA while others change
 * what they translate through.
 *
 * run_remap(): each page p alternates between two frames. The writer
 * unmaps p, issues TLBIVA and TLBSYNC, publishes the old frame as
 * forbidden and bumps seq[p], then maps the other frame. A reader samples
 * seq[p] and the forbidden frame, translates, and samples seq[p] again: if
 * it did not move, the forbidden frame was unmapped and invalidated before
 * the translation started, so the translation must not return it.
 *
 * run_gpu(): the GPU's command processor switches its bank's TTBR0 and
 * ASID between two clients (TLBIASID and TLBSYNC after each switch), with
 * a sequence count odd while it switches. A reader that sees the same even
 * count before and after its translation must get the live client's frame.
 *
 * run_access_sync(): a TLBSYNC after an invalidation waits for an access
 * callback in flight on the removed translation.
 *
 * run_held(): the window in which a walk has read an entry the
 * invalidation then removes, and fills a cache after it, is nanoseconds
 * wide; the fill hook holds it open for each cache, and the fill must be
 * refused.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "hw/smmuv2/hook.h"
#include "smmuv2_test.h"
#include "stress.h"

#define SID 5
#define GPU_SID 0
#define ASID 3
#define BASE_VA 0x100000ull
#define NPAGES 16
#define READERS 2

struct stress {
	struct v2t t;
	uint64_t root;
	uint64_t leaf[NPAGES];
	uint64_t frame[NPAGES][2];
	uint64_t forbidden[NPAGES];	/* atomics */
	uint64_t seq[NPAGES];		/* atomics */
	uint64_t client_root[2], client_frame[2];
	uint64_t gpu_seq;		/* atomic: odd while switching */
	unsigned int live;		/* atomic: the client whose table is live */
	int done;			/* atomic */
	uint64_t violations;		/* atomic */
	uint64_t samples;		/* atomic */
};

static bool is_done(struct stress *s)
{
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

static void *remap_reader(void *arg)
{
	struct stress *s = arg;
	struct test_rng rng = { (uint64_t)(uintptr_t)&rng | 1 };
	uint64_t n = 0, bad = 0;
	uint8_t buf[64];

	while (!is_done(s)) {
		unsigned int p = (unsigned int)test_rand_below(&rng, NPAGES);
		uint64_t iova = BASE_VA + p * 4096ull + test_rand_below(&rng, 4096 - 64);
		struct siommu_smmuv2_req r = v2t_req(SID, iova, SIOMMU_SMMUV2_READ);
		struct siommu_smmuv2_xlate x;
		uint64_t s1, s2, fb;
		int ret;

		bool use_dma = n++ & 1;

		test_count_add(&s->samples, 1);

		s1 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		fb = __atomic_load_n(&s->forbidden[p], __ATOMIC_ACQUIRE);
		if (use_dma) {
			/* The frame's mark is its first byte. */
			r.iova &= ~0xfffull;
			ret = siommu_smmuv2_dma_read(s->t.s, &r, buf, 1, NULL, &x);
		} else {
			ret = siommu_smmuv2_translate(s->t.s, &r, &x);
		}
		s2 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		if (ret || s1 != s2 || !fb)
			continue;
		if (use_dma ? buf[0] == (uint8_t)(fb >> 12) : x.addr_base == fb)
			bad++;
	}
	__atomic_fetch_add(&s->violations, bad, __ATOMIC_RELAXED);
	return NULL;
}

/* The minimum the check at the end needs: the writers go on until then. */
static const char *enough(void *arg)
{
	struct stress *s = arg;

	TEST_STRESS_NEED(test_count(&s->samples) > 0);
	return NULL;
}

static uint64_t va_arg64(uint64_t va, uint16_t asid)
{
	return ((va >> 12) & 0xfffffffffffull) | (uint64_t)asid << 48;
}

static void run_remap(struct stress *s, uint64_t ops)
{
	pthread_t th[READERS];
	unsigned int i, p, cur[NPAGES] = { 0 };
	struct test_stress run = test_stress_start(0);
	uint64_t k;

	for (i = 0; i < READERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, remap_reader, s));
	for (k = 0; k < ops || test_stress_more(&run, enough, s); k++) {
		uint64_t old;

		p = (unsigned int)(k % NPAGES);
		old = s->frame[p][cur[p]];
		v2t_st(&s->t, s->leaf[p], 0);
		cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBIVA, 8, va_arg64(BASE_VA + p * 4096ull, ASID));
		cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
		__atomic_store_n(&s->forbidden[p], old, __ATOMIC_RELEASE);
		__atomic_fetch_add(&s->seq[p], 1, __ATOMIC_ACQ_REL);
		cur[p] ^= 1;
		v2t_st(&s->t, s->leaf[p], s->frame[p][cur[p]] | S1_RW | 3);
		if ((k & 63) == 0)
			v2t_fsr_clear(&s->t, 0);
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&s->done, 0, __ATOMIC_RELEASE);
}

static void *gpu_reader(void *arg)
{
	struct stress *s = arg;
	uint64_t n = 0, bad = 0;
	uint8_t b;

	while (!is_done(s)) {
		struct siommu_smmuv2_req r = v2t_req(GPU_SID, 0x200000, SIOMMU_SMMUV2_READ);
		struct siommu_smmuv2_xlate x;
		uint64_t s1, s2;
		unsigned int live;
		int ret;

		bool use_dma = n++ & 1;

		test_count_add(&s->samples, 1);

		s1 = __atomic_load_n(&s->gpu_seq, __ATOMIC_ACQUIRE);
		live = __atomic_load_n(&s->live, __ATOMIC_ACQUIRE);
		if (use_dma)
			ret = siommu_smmuv2_dma_read(s->t.s, &r, &b, 1, NULL, &x);
		else
			ret = siommu_smmuv2_translate(s->t.s, &r, &x);
		s2 = __atomic_load_n(&s->gpu_seq, __ATOMIC_ACQUIRE);
		if ((s1 & 1) || s1 != s2)
			continue;
		if (ret || (use_dma ? b != (uint8_t)(0xa0 + live) :
				      x.addr_base != s->client_frame[live]))
			bad++;
	}
	__atomic_fetch_add(&s->violations, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void run_gpu(struct stress *s, uint64_t ops)
{
	pthread_t th[READERS];
	unsigned int i;
	struct test_stress run = test_stress_start(0);
	uint64_t k;

	for (i = 0; i < READERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, gpu_reader, s));
	for (k = 0; k < ops || test_stress_more(&run, enough, s); k++) {
		unsigned int next = (unsigned int)(k & 1) ^ 1;
		uint64_t ttbr = s->client_root[next] | SIOMMU_SMMUV2_TTBR_ASID(10 + next);

		__atomic_fetch_add(&s->gpu_seq, 1, __ATOMIC_ACQ_REL);
		/* CP_SMMU_TABLE_UPDATE's two TTBR0 words, then the flush. */
		cb_wr(&s->t, 1, SIOMMU_SMMUV2_CB_TTBR0, 4, (uint32_t)ttbr);
		cb_wr(&s->t, 1, SIOMMU_SMMUV2_CB_TTBR0 + 4, 4, ttbr >> 32);
		cb_wr(&s->t, 1, SIOMMU_SMMUV2_CB_CONTEXTIDR, 4, next);
		cb_wr(&s->t, 1, SIOMMU_SMMUV2_CB_TLBIASID, 4, 10 + next);
		cb_wr(&s->t, 1, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
		__atomic_store_n(&s->live, next, __ATOMIC_RELEASE);
		__atomic_fetch_add(&s->gpu_seq, 1, __ATOMIC_ACQ_REL);
	}
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&s->done, 0, __ATOMIC_RELEASE);
}

struct held {
	struct stress *s;
	int in_cb;		/* atomic */
	int synced;		/* atomic */
	int saw_sync;		/* set by the callback */
};

static int slow_piece(void *arg, void *host, size_t len, size_t off)
{
	struct held *h = arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)host, (void)len, (void)off;
	__atomic_store_n(&h->in_cb, 1, __ATOMIC_RELEASE);
	nanosleep(&ts, NULL);
	h->saw_sync = __atomic_load_n(&h->synced, __ATOMIC_ACQUIRE);
	return 0;
}

static void *access_thread(void *arg)
{
	struct held *h = arg;
	struct siommu_smmuv2_req r = v2t_req(SID, BASE_VA, SIOMMU_SMMUV2_READ);

	CHECK_OK(siommu_smmuv2_access(h->s->t.s, &r, slow_piece, h, NULL));
	return NULL;
}

static void run_access_sync(struct stress *s)
{
	struct held h = { .s = s };
	pthread_t th;

	CHECK_OK(pthread_create(&th, NULL, access_thread, &h));
	while (!__atomic_load_n(&h.in_cb, __ATOMIC_ACQUIRE))
		sched_yield();
	cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, ASID);
	cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	__atomic_store_n(&h.synced, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK_EQ(h.saw_sync, 0);
}

struct hold {
	struct stress *s;
	enum v2_cache cache;
	int armed, held, release;	/* atomics */
};

static void hold_hook(void *opaque, enum v2_cache cache)
{
	struct hold *h = opaque;
	int one = 1;

	if (cache != h->cache ||
	    !__atomic_compare_exchange_n(&h->armed, &one, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void *held_translate(void *arg)
{
	struct hold *h = arg;
	struct siommu_smmuv2_req r = v2t_req(SID, BASE_VA, SIOMMU_SMMUV2_READ);
	struct siommu_smmuv2_xlate x;

	/* It walked before the invalidation: the old answer is its own. */
	CHECK_OK(siommu_smmuv2_translate(h->s->t.s, &r, &x));
	return NULL;
}

static void run_held(struct stress *s, enum v2_cache cache)
{
	struct hold h = { .s = s, .cache = cache };
	struct siommu_smmuv2_req r = v2t_req(SID, BASE_VA, SIOMMU_SMMUV2_READ);
	struct siommu_smmuv2_xlate x;
	pthread_t th;

	v2t_st(&s->t, s->leaf[0], s->frame[0][0] | S1_RW | 3);
	cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, ASID);
	if (cache == V2_CACHE_XC) {
		/* A TLB entry, and a combined one that an unrelated
		 * operation ends: the next translation hits the TLB and
		 * fills the combined cache. */
		CHECK_OK(siommu_smmuv2_translate(s->t.s, &r, &x));
		cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBIASID, 4, ASID + 1);
	}
	v2_fill_hook_set(s->t.s, hold_hook, &h);
	__atomic_store_n(&h.armed, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_create(&th, NULL, held_translate, &h));
	while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
		sched_yield();
	v2t_st(&s->t, s->leaf[0], 0);
	cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBIVA, 8, va_arg64(BASE_VA, ASID));
	__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	v2_fill_hook_set(s->t.s, NULL, NULL);
	cb_wr(&s->t, 0, SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
	CHECK_EQ(siommu_smmuv2_translate(s->t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.fsr, SIOMMU_SMMUV2_FSR_TF);
	v2t_fsr_clear(&s->t, 0);
}

int main(void)
{
	static struct stress s;
	uint64_t ops = test_ops(20000);
	struct siommu_smmuv2_stats st;
	unsigned int p, c;

	v2t_init(&s.t, NULL);
	v2t_enable(&s.t);
	s.root = v2t_page(&s.t);
	v2t_stream(&s.t, 0, SID, 0);
	v2t_s1_bank(&s.t, 0, 1, ASID, s.root, 0, SIOMMU_SMMUV2_SCTLR_M);
	for (p = 0; p < NPAGES; p++) {
		for (c = 0; c < 2; c++) {
			uint8_t mark;

			s.frame[p][c] = v2t_page(&s.t);
			mark = (uint8_t)(s.frame[p][c] >> 12);
			CHECK_OK(siommu_mem_write(s.t.mem, s.frame[p][c], &mark, 1));
		}
		s.leaf[p] = v2t_map_s1(&s.t, s.root, BASE_VA + p * 4096ull, s.frame[p][0], S1_RW);
	}
	/* The GPU: its stream on bank 1, two clients' tables. */
	v2t_stream(&s.t, 1, GPU_SID, 1);
	for (c = 0; c < 2; c++) {
		uint8_t mark = (uint8_t)(0xa0 + c);

		s.client_root[c] = v2t_page(&s.t);
		s.client_frame[c] = v2t_page(&s.t);
		CHECK_OK(siommu_mem_write(s.t.mem, s.client_frame[c], &mark, 1));
		v2t_map_s1(&s.t, s.client_root[c], 0x200000, s.client_frame[c], S1_RW);
	}
	v2t_s1_bank(&s.t, 1, 2, 10, s.client_root[0], 0, SIOMMU_SMMUV2_SCTLR_M);

	run_remap(&s, ops);
	run_gpu(&s, ops / 4);
	run_access_sync(&s);
	run_held(&s, V2_CACHE_TLB);
	run_held(&s, V2_CACHE_XC);
	siommu_smmuv2_get_stats(s.t.s, &st);
	fprintf(stderr, "samples %" PRIu64 ", violations %" PRIu64 ", walks %" PRIu64
		", tlb hits %" PRIu64 "\n", s.samples, s.violations, st.walks, st.tlb_hit);
	CHECK_EQ(s.violations, 0);
	CHECK(s.samples > 0);
	v2t_fini(&s.t);
	return 0;
}
