/* SPDX-License-Identifier: MIT */
/*
 * Stress: threads translate (and DMA) while one thread remaps pages and
 * issues invalidations followed by CMD_SYNC. Once a CMD_SYNC completes, no
 * translation that starts afterwards may return the mapping an earlier
 * invalidation removed.
 *
 * Each page p alternates between two frames. The writer unmaps p,
 * invalidates and syncs, then publishes the old frame as forbidden and
 * bumps seq[p], then maps the other frame. A reader samples seq[p] and the
 * forbidden frame, translates, and samples seq[p] again: if it did not
 * move, the forbidden frame was unmapped and invalidated before the
 * translation started and cannot be mapped again before seq[p] moves.
 *
 * The window in which a walk reads an entry before the writer clears it
 * and fills a cache after the invalidation scanned is a few nanoseconds
 * wide; run_held() opens it on purpose for each cache, through the fill
 * hook. run_access_sync() checks that a CMD_SYNC waits for an access
 * callback in flight.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "hw/smmuv3/hook.h"
#include "smmuv3_test.h"

#define SID 5
#define ASID 3
#define BASE_VA 0x100000ull
#define NPAGES 16
#define READERS 2

struct stress {
	struct st t;
	uint64_t root;
	uint64_t leaf[NPAGES];
	uint64_t frame[NPAGES][2];
	uint64_t forbidden[NPAGES];	/* atomics */
	uint64_t seq[NPAGES];		/* atomics */
	int done;			/* atomic */
	unsigned int started;		/* atomic */
	uint64_t violations;		/* atomic */
	uint64_t samples;		/* atomic */
};

static void *reader(void *arg)
{
	struct stress *s = arg;
	struct test_rng rng = { (uint64_t)(uintptr_t)&rng | 1 };
	uint64_t n = 0, bad = 0;
	uint8_t buf[64];

	__atomic_fetch_add(&s->started, 1, __ATOMIC_RELEASE);
	do {
		unsigned int p = (unsigned int)test_rand_below(&rng, NPAGES);
		uint64_t iova = BASE_VA + p * 4096ull + test_rand_below(&rng, 4096 - 64);
		struct siommu_smmuv3_req r = st_req(SID, false, 0, iova, SIOMMU_SMMUV3_READ);
		struct siommu_smmuv3_xlate x;
		uint64_t s1, s2, fb;
		int ret;

		s1 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		fb = __atomic_load_n(&s->forbidden[p], __ATOMIC_ACQUIRE);
		if (n & 1) {
			ret = siommu_smmuv3_translate(s->t.s, &r, &x);
		} else {
			ret = siommu_smmuv3_dma_read(s->t.s, &r, buf, sizeof(buf), NULL, &x);
			if (!ret)
				ret = siommu_smmuv3_translate(s->t.s, &r, &x);
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
		unsigned int p = (unsigned int)test_rand_below(&rng, NPAGES);
		uint64_t iova = BASE_VA + p * 4096ull;
		uint64_t old = s->frame[p][cur[p]];

		st_st(&s->t, s->leaf[p], 0);
		switch (test_rand_below(&rng, 5)) {
		case 0:
			st_cmd(&s->t, OP_TLBI_NH_ASID | CMD_ASID(ASID), 0);
			break;
		case 1:
			st_cmd(&s->t, OP_TLBI_NH_ALL, 0);
			break;
		case 2:
			/* A range of 4 pages around it (RIL). */
			st_cmd(&s->t, OP_TLBI_NH_VA | CMD_ASID(ASID) | 3ull << 12,
			       (iova & ~0x3fffull) | 1ull << 10);
			break;
		case 3:
			st_cmd(&s->t, OP_TLBI_NSNH_ALL, 0);
			break;
		default:
			st_cmd(&s->t, OP_TLBI_NH_VA | CMD_ASID(ASID), iova | 1);
			break;
		}
		if (i % 64 == 0)
			st_cmd(&s->t, OP_CFGI_STE_RANGE, 31);
		st_sync(&s->t);
		__atomic_store_n(&s->forbidden[p], old, __ATOMIC_RELEASE);
		__atomic_fetch_add(&s->seq[p], 1, __ATOMIC_ACQ_REL);
		cur[p] ^= 1;
		st_st(&s->t, s->leaf[p], s->frame[p][cur[p]] | S1_RO | 3);
	}
}

static void setup(struct st *t, uint64_t *root, uint64_t *leaf,
		  uint64_t frame[][2], const struct siommu_smmuv3_cfg *cfg)
{
	uint64_t cd;
	unsigned int p;

	st_init(t, cfg);
	*root = st_table(t);
	for (p = 0; p < NPAGES; p++) {
		frame[p][0] = st_alloc(t, 4096);
		frame[p][1] = st_alloc(t, 4096);
		leaf[p] = st_map(t, *root, 1, 39, BASE_VA + p * 4096ull, frame[p][0], 3,
				 S1_RO, 0);
	}
	cd = st_alloc(t, 4096);
	st_cd(t, cd, ASID, *root, 25, 0);
	st_ste(t, SID, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	/* Faults are expected (pages are briefly unmapped): no records. */
	st_wr(t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_EVTQEN);
}

/* @cfg: a tiny TLB makes nearly every translation a walk and a fill of a
 * page the writer is changing. */
static void run(const struct siommu_smmuv3_cfg *cfg, uint64_t cycles)
{
	static struct stress s;
	pthread_t th[READERS];
	unsigned int i;

	memset(&s, 0, sizeof(s));
	setup(&s.t, &s.root, s.leaf, s.frame, cfg);
	for (i = 0; i < READERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, reader, &s));
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
	st_fini(&s.t);
}

/*
 * Held fills. A reader thread translates page P on request; the fill hook
 * stops its walk (for the combined cache, its hit of the other three) at
 * the fill of the cache under test, after it has read what it caches. While it is held, the main thread removes that
 * entry (the PTE, the CD or the STE) and issues the command that
 * invalidates it, without a CMD_SYNC; then it lets the walk go on and
 * issues the CMD_SYNC. The held translation may still succeed (it began
 * before the invalidation), but a translation that starts after the
 * CMD_SYNC must fault: a fill made stale by the invalidation must not
 * have reached the cache.
 */
enum hold_state { HOLD_IDLE, HOLD_ARMED, HOLD_HELD, HOLD_GO };

struct held {
	struct st t;
	uint64_t root, leaf[NPAGES], frame[NPAGES][2];
	int cache;		/* atomic */
	int state;		/* atomic */
	uint64_t req, ack;	/* atomics; req ~0: exit */
};

static void hold_hook(void *opaque, enum smmu_cache cache)
{
	struct held *h = opaque;
	int armed = HOLD_ARMED;

	if ((int)cache != __atomic_load_n(&h->cache, __ATOMIC_ACQUIRE) ||
	    !__atomic_compare_exchange_n(&h->state, &armed, HOLD_HELD, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	while (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != HOLD_GO)
		sched_yield();
}

static void *held_reader(void *arg)
{
	struct held *h = arg;
	uint64_t done = 0, req;

	for (;;) {
		struct siommu_smmuv3_req r = st_req(SID, false, 0, BASE_VA, SIOMMU_SMMUV3_READ);
		struct siommu_smmuv3_xlate x;

		while ((req = __atomic_load_n(&h->req, __ATOMIC_ACQUIRE)) == done)
			sched_yield();
		if (req == ~0ull)
			return NULL;
		/* Either result is right: it began before the invalidation. */
		(void)siommu_smmuv3_translate(h->t.s, &r, &x);
		done = req;
		__atomic_store_n(&h->ack, done, __ATOMIC_RELEASE);
	}
}

static void run_held(void)
{
	static struct held h;
	struct siommu_smmuv3_req r = st_req(SID, false, 0, BASE_VA, SIOMMU_SMMUV3_READ);
	struct siommu_smmuv3_xlate x;
	uint64_t ste[4], cd_pa, cd[8];
	pthread_t th;
	int cache;

	memset(&h, 0, sizeof(h));
	setup(&h.t, &h.root, h.leaf, h.frame, NULL);
	CHECK_OK(siommu_mem_read(h.t.mem, h.t.strtab + SID * 64, ste, sizeof(ste)));
	cd_pa = ste[0] & 0xffffffffffc0ull & ~0xfull;
	CHECK_OK(siommu_mem_read(h.t.mem, cd_pa, cd, sizeof(cd)));
	smmu_fill_hook_set(h.t.s, hold_hook, &h);
	CHECK_OK(pthread_create(&th, NULL, held_reader, &h));
	for (cache = SMMU_CACHE_STE; cache <= SMMU_CACHE_XC; cache++) {
		/* Every cache empty, so that the walk fills them all; for the
		 * combined cache, the other three filled by a walk and its
		 * entry ended by a command for another stream, so that the
		 * held translation hits them and fills it. */
		st_cmd(&h.t, OP_CFGI_STE_RANGE, 31);
		st_cmd_sync(&h.t, OP_TLBI_NSNH_ALL, 0);
		if (cache == SMMU_CACHE_XC) {
			CHECK_OK(siommu_smmuv3_translate(h.t.s, &r, &x));
			st_cmd_sync(&h.t, OP_CFGI_STE | CMD_SID(SID + 1), 0);
		}
		__atomic_store_n(&h.cache, cache, __ATOMIC_RELEASE);
		__atomic_store_n(&h.state, HOLD_ARMED, __ATOMIC_RELEASE);
		__atomic_store_n(&h.req, h.req + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&h.state, __ATOMIC_ACQUIRE) != HOLD_HELD)
			sched_yield();
		switch (cache) {
		case SMMU_CACHE_STE:
			st_st(&h.t, h.t.strtab + SID * 64, 0);
			st_cmd(&h.t, OP_CFGI_STE | CMD_SID(SID), 0);
			break;
		case SMMU_CACHE_CD:
			st_st(&h.t, cd_pa, 0);
			st_cmd(&h.t, OP_CFGI_CD | CMD_SID(SID), 0);
			break;
		default:
			st_st(&h.t, h.leaf[0], 0);
			st_cmd(&h.t, OP_TLBI_NH_VA | CMD_ASID(ASID), BASE_VA);
			break;
		}
		__atomic_store_n(&h.state, HOLD_GO, __ATOMIC_RELEASE);
		while (__atomic_load_n(&h.ack, __ATOMIC_ACQUIRE) != h.req)
			sched_yield();
		st_sync(&h.t);
		CHECK_EQ(siommu_smmuv3_translate(h.t.s, &r, &x), -EFAULT);
		/* Put it back: translations work again. */
		__atomic_store_n(&h.state, HOLD_IDLE, __ATOMIC_RELEASE);
		CHECK_OK(siommu_mem_write(h.t.mem, h.t.strtab + SID * 64, ste, sizeof(ste)));
		CHECK_OK(siommu_mem_write(h.t.mem, cd_pa, cd, sizeof(cd)));
		st_st(&h.t, h.leaf[0], h.frame[0][0] | S1_RO | 3);
		st_cmd_sync(&h.t, OP_CFGI_STE_RANGE, 31);
		CHECK_OK(siommu_smmuv3_translate(h.t.s, &r, &x));
		CHECK_EQ(x.addr, h.frame[0][0]);
	}
	__atomic_store_n(&h.req, ~0ull, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	smmu_fill_hook_set(h.t.s, NULL, NULL);
	st_fini(&h.t);
}

/*
 * A CMD_SYNC after an invalidation does not complete while an access
 * callback that began before it is still running.
 */
struct access_sync {
	struct st t;
	int inside, release, synced;	/* atomics */
};

static int access_cb(void *arg, void *host, size_t len, size_t off)
{
	struct access_sync *a = arg;

	(void)host;
	(void)len;
	(void)off;
	__atomic_store_n(&a->inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&a->release, __ATOMIC_ACQUIRE))
		sched_yield();
	return 0;
}

static void *access_thread(void *arg)
{
	struct access_sync *a = arg;
	struct siommu_smmuv3_req r = st_req(SID, false, 0, BASE_VA, SIOMMU_SMMUV3_READ);

	r.len = 16;
	CHECK_OK(siommu_smmuv3_access(a->t.s, &r, access_cb, a, NULL));
	return NULL;
}

static void *sync_thread(void *arg)
{
	struct access_sync *a = arg;

	st_cmd_sync(&a->t, OP_TLBI_NH_ASID | CMD_ASID(ASID), 0);
	__atomic_store_n(&a->synced, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void run_access_sync(void)
{
	static struct access_sync a;
	uint64_t root, leaf[NPAGES], frame[NPAGES][2];
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	pthread_t th1, th2;

	memset(&a, 0, sizeof(a));
	setup(&a.t, &root, leaf, frame, NULL);
	CHECK_OK(pthread_create(&th1, NULL, access_thread, &a));
	while (!__atomic_load_n(&a.inside, __ATOMIC_ACQUIRE))
		sched_yield();
	CHECK_OK(pthread_create(&th2, NULL, sync_thread, &a));
	nanosleep(&ts, NULL);
	CHECK_EQ(__atomic_load_n(&a.synced, __ATOMIC_ACQUIRE), 0);
	__atomic_store_n(&a.release, 1, __ATOMIC_RELEASE);
	pthread_join(th1, NULL);
	pthread_join(th2, NULL);
	CHECK_EQ(__atomic_load_n(&a.synced, __ATOMIC_ACQUIRE), 1);
	st_fini(&a.t);
}

int main(void)
{
	struct siommu_smmuv3_cfg tiny = { .tlb_sets = 2, .tlb_ways = 1 };
	const char *e = getenv("SIOMMU_STRESS_CYCLES");
	uint64_t cycles = e ? strtoull(e, NULL, 0) : 4000;

	run_held();
	run_access_sync();
	run(&tiny, cycles);
	run(NULL, cycles);
	return 0;
}
