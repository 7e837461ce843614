/* SPDX-License-Identifier: MIT */
/*
 * The GPU model switching clients while the driver maps and unmaps their
 * private spaces, on the unit type under test.
 *
 * Four clients, each with NR_SLOTS pages at the same GPU addresses. A
 * mapper thread per pair of clients maps and unmaps their slots (each map
 * a new generation g, on the slot's buffer g % NR_BUF); submitter threads
 * run read jobs of random clients and slots, so the CP switches tables
 * (on SMMUv2: TTBR0, ASID, TLBIASID, TLBSYNC) between almost every job. On
 * SMMUv2 a replacer also swaps the GPU's RID between two stage-1 domains,
 * moving every client's table to the other context bank under the running
 * jobs (removed before the stream moves, installed again after: a job
 * meanwhile is refused with -ENOENT, never run in the wrong table).
 *
 * What a job may read, from state published around each change (a
 * seqcount per slot):
 *   - only its own client's buffer of that slot (isolation), or a fault;
 *   - when the slot did not change during the job: exactly the buffer of
 *     the mapped generation, or a fault if it was unmapped (strict unmap:
 *     nothing of an unmapped page stays reachable).
 * A fault hangs the GPU; the thread that sees it (or -EIO) recovers it.
 * Time-bounded: SIOMMU_STRESS_MS (default 1000), then on until every role
 * did what the checks need (tests/common/stress.h). For ThreadSanitizer too.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <siommu/core.h>
#include <siommu/gpu.h>

#include "core_test.h"
#include "core_unit.h"
#include "stress.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define NR_CLIENTS 4
#define NR_SLOTS 16
#define NR_BUF 4
#define NR_SUBMITTERS 2
#define SLOT_IOVA(k) (0x400000ull + (uint64_t)(k) * 0x1000)

struct slot {
	uint64_t seq;		/* odd while changing */
	uint64_t gen;
	bool mapped;
	uint64_t buf[NR_BUF];
};

static struct siommu_gpu *gpu;
static struct siommu_gpu_client *clients[NR_CLIENTS];
static struct slot slots[NR_CLIENTS][NR_SLOTS];
static struct siommu_device *dev;
static struct siommu_domain *own[2];
static int stop;
static bool replacing;

static uint64_t ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void st(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static uint64_t pattern(unsigned int c, unsigned int k, unsigned int b)
{
	return 0x6e00000000000000ull | (uint64_t)(c + 1) << 40 | (uint64_t)k << 20 | b;
}

static void *mapper_fn(void *arg)
{
	unsigned int first = (unsigned int)(uintptr_t)arg, c, k;
	struct test_rng r = { 0x3141ull + first };
	uint64_t n;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct slot *s;

		c = first + (unsigned int)test_rand_below(&r, 2);
		k = (unsigned int)test_rand_below(&r, NR_SLOTS);
		s = &slots[c][k];
		st(&s->seq, s->seq + 1);
		if (s->mapped) {
			CHECK_OK(siommu_gpu_client_unmap(clients[c], SLOT_IOVA(k), SIOMMU_SZ_4K,
							 &n));
			__atomic_store_n(&s->mapped, false, __ATOMIC_RELAXED);
		} else {
			st(&s->gen, s->gen + 1);
			CHECK_OK(siommu_gpu_client_map(clients[c], SLOT_IOVA(k),
						       s->buf[s->gen % NR_BUF], SIOMMU_SZ_4K, RW));
			__atomic_store_n(&s->mapped, true, __ATOMIC_RELAXED);
		}
		st(&s->seq, s->seq + 1);
	}
	return NULL;
}

static uint64_t replaces;

static void *replacer_fn(void *arg)
{
	uint64_t n = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct timespec pause = { 0, 100000 };

		CHECK_OK(siommu_device_attach(dev, own[++n % 2]));
		__atomic_store_n(&replaces, n, __ATOMIC_RELAXED);
		nanosleep(&pause, NULL);	/* jobs run between moves too */
	}
	return NULL;
}

struct submitter {
	unsigned int id;
	uint64_t jobs, hits, faults, exact, hung, moving;
};

static void *submit_fn(void *arg)
{
	struct submitter *t = arg;
	struct test_rng r = { 0x2718ull * (t->id + 1) };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned int c = (unsigned int)test_rand_below(&r, NR_CLIENTS);
		unsigned int k = (unsigned int)test_rand_below(&r, NR_SLOTS);
		struct slot *s = &slots[c][k];
		uint64_t v = 0, s0, s1, g0;
		struct siommu_gpu_job job = {
			.op = SIOMMU_GPU_READ, .src = SLOT_IOVA(k), .len = sizeof(v), .out = &v,
		};
		bool m0;
		int err;

		s0 = ld(&s->seq);
		g0 = ld(&s->gen);
		m0 = __atomic_load_n(&s->mapped, __ATOMIC_RELAXED);
		err = siommu_gpu_submit(clients[c], &job, NULL);
		s1 = ld(&s->seq);
		if (err == -EIO) {
			t->hung++;
			siommu_gpu_recover(gpu);
			continue;
		}
		if (err == -ENOENT) {
			/* The RID is moving banks: the table is not installed. */
			struct timespec wait = { 0, 50000 };

			CHECK(replacing);
			t->moving++;
			nanosleep(&wait, NULL);	/* as a GPU driver waits */
			continue;
		}
		t->jobs++;
		if (err) {
			CHECK_EQ(err, -EFAULT);
			test_count_add(&t->faults, 1);
			siommu_gpu_recover(gpu);
			if (s0 == s1 && !(s0 & 1)) {
				CHECK(!m0);
				test_count_add(&t->exact, 1);
			}
			continue;
		}
		test_count_add(&t->hits, 1);
		/* Its own client's slot, whatever the generation. */
		CHECK_EQ(v & ~0xfffffull, pattern(c, k, 0));
		if (s0 == s1 && !(s0 & 1)) {
			CHECK(m0);
			CHECK_EQ(v, pattern(c, k, (unsigned int)(g0 % NR_BUF)));
			test_count_add(&t->exact, 1);
		}
	}
	return NULL;
}

static struct submitter subs[NR_SUBMITTERS];

/* The minimum the checks at the end need from every role. */
static const char *enough(void *arg)
{
	uint64_t hits = 0, faults = 0, exact = 0;
	unsigned int i;

	(void)arg;
	for (i = 0; i < NR_SUBMITTERS; i++) {
		hits += test_count(&subs[i].hits);
		faults += test_count(&subs[i].faults);
		exact += test_count(&subs[i].exact);
	}
	TEST_STRESS_NEED(hits > 10 && faults > 10 && exact > 0);
	TEST_STRESS_NEED(!replacing || test_count(&replaces) > 0);
	return NULL;
}

int main(void)
{
	pthread_t mt[NR_CLIENTS / 2], sub[NR_SUBMITTERS], rt;
	struct siommu_gpu_stats gs;
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_mem *mem;
	uint64_t jobs = 0, hits = 0, faults = 0, exact = 0, hung = 0, moving = 0;
	unsigned int c, k, b, i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	replacing = !test_unit_has_pasids();
	dev = test_dev_add(unit, 0x0800, test_unit_has_pasids() ? 16 : 0, 0);
	for (i = 0; i < 2; i++)
		CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING }, &own[i]));
	CHECK_OK(siommu_device_attach(dev, own[0]));
	CHECK_OK(siommu_gpu_create(dev, &gpu));
	for (c = 0; c < NR_CLIENTS; c++) {
		CHECK_OK(siommu_gpu_client_add(gpu, 10 + c, &clients[c]));
		for (k = 0; k < NR_SLOTS; k++) {
			for (b = 0; b < NR_BUF; b++) {
				uint64_t v = pattern(c, k, b), pa;

				CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K,
								SIOMMU_MEM_DMA, &pa));
				CHECK_OK(siommu_mem_write(mem, pa, &v, sizeof(v)));
				slots[c][k].buf[b] = pa;
			}
		}
	}
	for (i = 0; i < NR_CLIENTS / 2; i++)
		CHECK_OK(pthread_create(&mt[i], NULL, mapper_fn, (void *)(uintptr_t)(2 * i)));
	for (i = 0; i < NR_SUBMITTERS; i++) {
		subs[i].id = i;
		CHECK_OK(pthread_create(&sub[i], NULL, submit_fn, &subs[i]));
	}
	if (replacing)
		CHECK_OK(pthread_create(&rt, NULL, replacer_fn, NULL));
	test_stress_run(test_stress_ms(1000), enough, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NR_CLIENTS / 2; i++)
		pthread_join(mt[i], NULL);
	for (i = 0; i < NR_SUBMITTERS; i++) {
		pthread_join(sub[i], NULL);
		jobs += subs[i].jobs;
		hits += subs[i].hits;
		faults += subs[i].faults;
		exact += subs[i].exact;
		hung += subs[i].hung;
		moving += subs[i].moving;
	}
	if (replacing)
		pthread_join(rt, NULL);
	siommu_gpu_get_stats(gpu, &gs);
	fprintf(stderr, "%" PRIu64 " jobs: %" PRIu64 " hits, %" PRIu64 " faults (%" PRIu64
		" checked exactly), %" PRIu64 " refused while hung, %" PRIu64
		" while the table moved; %" PRIu64 " table switches, %" PRIu64 " RID replaces\n",
		jobs, hits, faults, exact, hung, moving, gs.switches, __atomic_load_n(&replaces, __ATOMIC_RELAXED));
	CHECK(hits > 10 && faults > 10 && exact > 0);
	CHECK_EQ(gs.faults, faults);
	CHECK(!replacing || __atomic_load_n(&replaces, __ATOMIC_RELAXED) > 0);

	for (c = 0; c < NR_CLIENTS; c++)
		siommu_gpu_client_remove(clients[c]);
	siommu_gpu_destroy(gpu);
	siommu_ctx_destroy(ctx);
	return 0;
}
