/* SPDX-License-Identifier: MIT */
/*
 * Concurrent map/unmap of disjoint ranges with lock-free readers.
 *
 * Mapper threads own interleaved 16K chunks of one window, so they share leaf
 * tables and race to install new levels. A "levels" thread maps 2M blocks
 * (as one 2M leaf, or as 4K leaves in a fresh table) and unmaps them whole,
 * freeing levels through a gather. Readers translate random addresses of the
 * whole window all the while. Every mapping of iova points at iova + OFF, so
 * a reader that walked a freed or reused level, or saw a torn entry, gets a
 * different PA and fails. A "protect" thread changes the permissions of
 * random ranges of a 1G leaf that stays mapped, splitting it into 2M and
 * then 4K leaves as its ranges cut them: readers of that gigabyte must
 * always find it mapped, at iova + PROT_OFF. Also meant for ThreadSanitizer
 * (make tsan).
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <siommu/pt.h>

#include "stress.h"
#include "test.h"

#define OFF (5ull * SIOMMU_SZ_2M)
#define BASE (1ull << 30)
#define CHUNK 0x4000ull
#define SMALL_SPAN (32ull << 20)	/* chunks of the mapper threads */
#define BIG_BASE (BASE + SMALL_SPAN)
#define NR_BIG 8
#define PROT_BASE (4ull << 30)	/* one 1G leaf, always mapped */
#define PROT_OFF (4ull << 30)
#define NR_MAPPERS 2
#define NR_READERS 2
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct shared {
	struct siommu_pt *pt;
	volatile int stop;
	uint64_t reads, hits;
};

struct mapper {
	struct shared *sh;
	unsigned int id;
	uint8_t mapped[SMALL_SPAN / CHUNK];
	uint64_t ops;
};

static void *mapper_fn(void *arg)
{
	struct mapper *m = arg;
	struct test_rng r = { 0x1234567ull * (m->id + 1) };
	uint64_t nchunks = SMALL_SPAN / CHUNK;

	while (!__atomic_load_n(&m->sh->stop, __ATOMIC_RELAXED)) {
		uint64_t c = test_rand_below(&r, nchunks / NR_MAPPERS) * NR_MAPPERS + m->id;
		uint64_t iova = BASE + c * CHUNK, done;

		if (m->mapped[c]) {
			CHECK_OK(siommu_pt_unmap(m->sh->pt, iova, CHUNK, NULL, &done));
			CHECK_EQ(done, CHUNK);
		} else {
			CHECK_OK(siommu_pt_map(m->sh->pt, iova, iova + OFF, CHUNK, RW));
		}
		m->mapped[c] ^= 1;
		test_count_add(&m->ops, 1);
	}
	return NULL;
}

static void *levels_fn(void *arg)
{
	struct mapper *m = arg;
	struct test_rng r = { 0xabcdefull };

	while (!__atomic_load_n(&m->sh->stop, __ATOMIC_RELAXED)) {
		uint64_t b = test_rand_below(&r, NR_BIG);
		uint64_t iova = BIG_BASE + b * SIOMMU_SZ_2M, done;
		struct siommu_pt_gather g;

		if (m->mapped[b]) {
			siommu_pt_gather_init(&g);
			CHECK_OK(siommu_pt_unmap(m->sh->pt, iova, SIOMMU_SZ_2M, &g, &done));
			CHECK_EQ(done, SIOMMU_SZ_2M);
			siommu_pt_gather_release(&g);
		} else if (test_rand_below(&r, 2)) {
			CHECK_OK(siommu_pt_map(m->sh->pt, iova, iova + OFF, SIOMMU_SZ_2M, RW));
		} else {
			/* Two calls: 4K leaves in a new level. */
			CHECK_OK(siommu_pt_map(m->sh->pt, iova, iova + OFF, SIOMMU_SZ_2M / 2, RW));
			CHECK_OK(siommu_pt_map(m->sh->pt, iova + SIOMMU_SZ_2M / 2,
					       iova + SIOMMU_SZ_2M / 2 + OFF,
					       SIOMMU_SZ_2M / 2, RW));
		}
		m->mapped[b] ^= 1;
		test_count_add(&m->ops, 1);
	}
	return NULL;
}

static void *protect_fn(void *arg)
{
	struct mapper *m = arg;
	struct test_rng r = { 0x9e3779b9ull };

	while (!__atomic_load_n(&m->sh->stop, __ATOMIC_RELAXED)) {
		uint64_t first = test_rand_below(&r, SIOMMU_SZ_1G >> 12);
		uint64_t n = 1 + test_rand_below(&r, test_rand_below(&r, 2) ? 8 : 1024);
		struct siommu_pt_gather g;

		if (first + n > SIOMMU_SZ_1G >> 12)
			n = (SIOMMU_SZ_1G >> 12) - first;
		siommu_pt_gather_init(&g);
		CHECK_OK(siommu_pt_protect(m->sh->pt, PROT_BASE + (first << 12), n << 12,
					   test_rand_below(&r, 2) ? RW : SIOMMU_PROT_READ, &g));
		siommu_pt_gather_release(&g);
		test_count_add(&m->ops, 1);
	}
	return NULL;
}

static void *reader_fn(void *arg)
{
	struct shared *sh = arg;
	struct test_rng r = { (uint64_t)(uintptr_t)&r | 1 };
	uint64_t span = SMALL_SPAN + NR_BIG * SIOMMU_SZ_2M;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		uint64_t iova = BASE + (test_rand_below(&r, span >> 12) << 12), pa;
		int ret;

		if (test_rand_below(&r, 2)) {
			/* Under protect: never absent, never elsewhere. */
			iova = PROT_BASE + (test_rand_below(&r, SIOMMU_SZ_1G >> 12) << 12);
			CHECK_OK(siommu_pt_iova_to_phys(sh->pt, iova, &pa, NULL));
			CHECK_EQ(pa, iova + PROT_OFF);
			test_count_add(&sh->reads, 1);
			continue;
		}
		ret = siommu_pt_iova_to_phys(sh->pt, iova, &pa, NULL);
		if (ret) {
			CHECK_EQ(ret, -ENOENT);
		} else {
			CHECK_EQ(pa, iova + OFF);
			test_count_add(&sh->hits, 1);
		}
		test_count_add(&sh->reads, 1);
	}
	return NULL;
}

/* The minimum the checks at the end of run() need from every role. */
static const char *enough(void *arg)
{
	struct mapper *m = arg;
	struct shared *sh = m[0].sh;
	uint64_t ops = 0;
	unsigned int i;

	for (i = 0; i <= NR_MAPPERS + 1; i++)
		ops += test_count(&m[i].ops);
	TEST_STRESS_NEED(ops > 100 && test_count(&sh->reads) > 100);
	TEST_STRESS_NEED(test_count(&sh->hits) > 0 && test_count(&m[NR_MAPPERS + 1].ops));
	return NULL;
}

static void run(enum siommu_pt_format f, unsigned int ms)
{
	struct siommu_pt_cfg cfg = { .format = f };
	static struct mapper mappers[NR_MAPPERS + 2];
	pthread_t mt[NR_MAPPERS + 2], rt[NR_READERS];
	struct shared sh = { 0 };
	struct siommu_mem *mem;
	struct siommu_mem_stats st;
	uint64_t c, ops = 0, pa;
	unsigned int i;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &cfg, &sh.pt));
	CHECK_OK(siommu_pt_map(sh.pt, PROT_BASE, PROT_BASE + PROT_OFF, SIOMMU_SZ_1G, RW));
	memset(mappers, 0, sizeof(mappers));
	for (i = 0; i <= NR_MAPPERS + 1; i++) {
		mappers[i].sh = &sh;
		mappers[i].id = i;
		CHECK_OK(pthread_create(&mt[i], NULL, i < NR_MAPPERS ? mapper_fn :
					i == NR_MAPPERS ? levels_fn : protect_fn, &mappers[i]));
	}
	for (i = 0; i < NR_READERS; i++)
		CHECK_OK(pthread_create(&rt[i], NULL, reader_fn, &sh));
	test_stress_run(ms, enough, mappers);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i <= NR_MAPPERS + 1; i++) {
		pthread_join(mt[i], NULL);
		ops += mappers[i].ops;
	}
	for (i = 0; i < NR_READERS; i++)
		pthread_join(rt[i], NULL);

	/* The final state is what each owner believes it is. */
	for (c = 0; c < SMALL_SPAN / CHUNK; c++) {
		uint64_t iova = BASE + c * CHUNK;
		int ret = siommu_pt_iova_to_phys(sh.pt, iova + CHUNK - 0x1000, &pa, NULL);

		if (mappers[c % NR_MAPPERS].mapped[c])
			CHECK(!ret && pa == iova + CHUNK - 0x1000 + OFF);
		else
			CHECK_EQ(ret, -ENOENT);
	}
	fprintf(stderr, "%s: %" PRIu64 " map/unmap/protect ops (%" PRIu64 " protects), %"
		PRIu64 " lookups (%" PRIu64 " hits), %" PRIu64 " table pages\n",
		siommu_pt_format_name(f), ops, mappers[NR_MAPPERS + 1].ops, sh.reads, sh.hits,
		siommu_pt_table_pages(sh.pt));
	CHECK(ops > 100 && sh.reads > 100 && sh.hits > 0 && mappers[NR_MAPPERS + 1].ops);
	siommu_pt_destroy(sh.pt);
	siommu_mem_get_stats(mem, &st);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
	siommu_mem_destroy(mem);
}

int main(void)
{
	unsigned int ms = test_stress_ms(1000);

	run(SIOMMU_PT_X86_64, ms);
	run(SIOMMU_PT_VTD_SS, ms);
	run(SIOMMU_PT_ARM_S1, ms);
	return 0;
}
