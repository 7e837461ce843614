/* SPDX-License-Identifier: MIT */
/*
 * The frame pool: alignment, placement and zeroing of 4K/2M/1G runs,
 * per-purpose accounting against a brute-force tally and a bitmap of 4K
 * frames, exhaustion and full coalescing, an absent pool, and the internal
 * frame lists.
 */
#include <errno.h>
#include <stdbool.h>

#include <siommu/mem.h>

#include "mem/mem_internal.h"
#include "test.h"

#define SZ_4K SIOMMU_SZ_4K
#define SZ_2M SIOMMU_SZ_2M
#define SZ_1G SIOMMU_SZ_1G
#define POOL_BASE (4ull << 30)
#define POOL_SIZE (2ull << 30)
#define NFRAMES (POOL_SIZE / SZ_4K)
#define NP SIOMMU_MEM_NR_PURPOSES

static const uint8_t zero_page[SZ_4K];

static struct siommu_mem *mem_new(uint64_t base, uint64_t size)
{
	struct siommu_mem_cfg cfg = { .pool_base = base, .pool_size = size };
	struct siommu_mem *mem;

	CHECK_OK(siommu_mem_create(&cfg, &mem));
	return mem;
}

static struct siommu_mem_stats stats_of(struct siommu_mem *mem)
{
	struct siommu_mem_stats st;

	siommu_mem_get_stats(mem, &st);
	return st;
}

static uint8_t *host_of(struct siommu_mem *mem, uint64_t pa, uint64_t len)
{
	uint8_t *h = siommu_mem_host(mem, pa, len);

	CHECK(h);
	return h;
}

static void check_zero(struct siommu_mem *mem, uint64_t pa, uint64_t len)
{
	const uint8_t *h = host_of(mem, pa, len);
	uint64_t off;

	for (off = 0; off < len; off += SZ_4K)
		CHECK(!memcmp(h + off, zero_page, len - off < SZ_4K ? len - off : SZ_4K));
}

static void dirty(struct siommu_mem *mem, uint64_t pa, uint64_t len)
{
	memset(host_of(mem, pa, len), 0xd5, len);
}

/*
 * Brute-force model of the pool: a bitmap of allocated 4K frames, the
 * per-purpose tally, and the pages this test dirtied (which must read back
 * zero when they are handed out again).
 */
struct model {
	uint64_t used[NFRAMES / 64];
	uint64_t dirty[NFRAMES / 64];
	uint64_t in_use[NP], allocs[NP], frees[NP];
	uint64_t bytes;
};

static bool bit(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static void set_bits(uint64_t *bm, uint64_t first, uint64_t n, bool v)
{
	uint64_t i;

	for (i = first; i < first + n; i++) {
		if (i % 64 == 0 && n - (i - first) >= 64) {
			bm[i / 64] = v ? ~0ull : 0;
			i += 63;
		} else if (v) {
			bm[i / 64] |= 1ull << (i % 64);
		} else {
			bm[i / 64] &= ~(1ull << (i % 64));
		}
	}
}

static bool none_set(const uint64_t *bm, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = first; i < first + n; i++) {
		if (i % 64 == 0 && n - (i - first) >= 64) {
			if (bm[i / 64])
				return false;
			i += 63;
		} else if (bit(bm, i)) {
			return false;
		}
	}
	return true;
}

/* Whether some naturally aligned run of @size is entirely free. */
static bool model_has_run(const struct model *m, uint64_t size)
{
	uint64_t n = size / SZ_4K, s;

	for (s = 0; s < NFRAMES; s += n)
		if (none_set(m->used, s, n))
			return true;
	return false;
}

static void model_check(struct siommu_mem *mem, const struct model *m)
{
	struct siommu_mem_stats st = stats_of(mem);
	unsigned int p;

	CHECK_EQ(st.pool_bytes, POOL_SIZE);
	CHECK_EQ(st.pool_free_bytes, POOL_SIZE - m->bytes);
	for (p = 0; p < NP; p++) {
		CHECK_EQ(st.in_use[p], m->in_use[p]);
		CHECK_EQ(st.allocs[p], m->allocs[p]);
		CHECK_EQ(st.frees[p], m->frees[p]);
	}
}

/*
 * Allocate through the library and check the run against the model: aligned,
 * inside the pool, overlapping no live run, zero wherever this test dirtied
 * it before. -ENOMEM must mean the model has no free run of that size either.
 */
static int model_alloc(struct siommu_mem *mem, struct model *m, uint64_t size,
		       enum siommu_mem_purpose p, uint64_t *pa)
{
	uint64_t pfn, n = size / SZ_4K, i;
	int ret = siommu_mem_frame_alloc(mem, size, p, pa);

	if (ret) {
		CHECK_EQ(ret, -ENOMEM);
		CHECK(!model_has_run(m, size));
		return ret;
	}
	CHECK_EQ(*pa % size, 0);
	CHECK(*pa >= POOL_BASE && *pa - POOL_BASE <= POOL_SIZE - size);
	pfn = (*pa - POOL_BASE) / SZ_4K;
	CHECK(none_set(m->used, pfn, n));
	set_bits(m->used, pfn, n, true);
	for (i = pfn; i < pfn + n; i += 64) {
		uint64_t w = m->dirty[i / 64], b;

		if (n < 64)
			w = bit(m->dirty, i) ? 1 : 0;
		for (b = 0; w; b++, w >>= 1)
			if (w & 1)
				check_zero(mem, POOL_BASE + (i + b) * SZ_4K, SZ_4K);
	}
	set_bits(m->dirty, pfn, n, false);
	m->in_use[p] += size;
	m->allocs[p]++;
	m->bytes += size;
	return 0;
}

static void model_free(struct siommu_mem *mem, struct model *m, uint64_t pa,
		       uint64_t size, enum siommu_mem_purpose p)
{
	siommu_mem_frame_free(mem, pa, size, p);
	set_bits(m->used, (pa - POOL_BASE) / SZ_4K, size / SZ_4K, false);
	m->in_use[p] -= size;
	m->frees[p]++;
	m->bytes -= size;
}

/* Dirty the first, last and one random page of a live run. */
static void model_dirty(struct siommu_mem *mem, struct model *m,
			struct test_rng *rng, uint64_t pa, uint64_t size)
{
	uint64_t pages = size / SZ_4K, pfn = (pa - POOL_BASE) / SZ_4K;
	uint64_t pick[3] = { 0, pages - 1, test_rand_below(rng, pages) };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint8_t *h = host_of(mem, pa + pick[i] * SZ_4K, SZ_4K);

		h[0] = 0x11;
		h[SZ_4K - 1] = 0x22;
		h[test_rand_below(rng, SZ_4K)] = 0x33;
		set_bits(m->dirty, pfn + pick[i], 1, true);
	}
}

struct run {
	uint64_t pa, size;
	enum siommu_mem_purpose purpose;
};

static void test_alloc_basic(void)
{
	static const uint64_t sizes[] = {
		SZ_4K, 2 * SZ_4K, 128 * SZ_4K, 1ull << 20, SZ_2M, 4ull << 20, SZ_1G,
	};
	static const uint64_t bad_sizes[] = {
		0, 1, SZ_4K - 1, SZ_4K + 1, 3 * SZ_4K, (1ull << 20) + SZ_4K,
		SZ_1G + SZ_4K, 2 * SZ_1G, 1ull << 63, UINT64_MAX,
	};
	static const int bad_purposes[] = { NP, NP + 1, -1, 1000 };
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	uint8_t *pool = host_of(mem, POOL_BASE, POOL_SIZE);
	struct siommu_mem_stats st, now;
	unsigned int i, p;
	uint64_t pa;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size = sizes[i];

		for (p = 0; p < NP; p++) {
			CHECK_OK(siommu_mem_frame_alloc(mem, size, p, &pa));
			CHECK_EQ(pa % size, 0);
			CHECK(pa >= POOL_BASE && pa + size <= POOL_BASE + POOL_SIZE);
			CHECK(host_of(mem, pa, size) == pool + (pa - POOL_BASE));
			check_zero(mem, pa, SZ_4K);
			check_zero(mem, pa + size - SZ_4K, SZ_4K);
			st = stats_of(mem);
			CHECK_EQ(st.in_use[p], size);
			CHECK_EQ(st.allocs[p], i + 1);
			CHECK_EQ(st.pool_free_bytes, POOL_SIZE - size);
			siommu_mem_frame_free(mem, pa, size, p);
			st = stats_of(mem);
			CHECK_EQ(st.in_use[p], 0);
			CHECK_EQ(st.frees[p], i + 1);
			CHECK_EQ(st.pool_free_bytes, POOL_SIZE);
		}
	}

	st = stats_of(mem);
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		for (p = 0; p < NP; p++)
			CHECK_EQ(siommu_mem_frame_alloc(mem, bad_sizes[i], p, &pa),
				 -EINVAL);
	for (i = 0; i < sizeof(bad_purposes) / sizeof(bad_purposes[0]); i++)
		for (p = 0; p < 3; p++)
			CHECK_EQ(siommu_mem_frame_alloc(mem, sizes[p],
				(enum siommu_mem_purpose)bad_purposes[i], &pa), -EINVAL);
	now = stats_of(mem);
	CHECK(!memcmp(&st, &now, sizeof(st)));
	siommu_mem_destroy(mem);
}

/*
 * Fill the pool so that every reallocation must return what was just freed,
 * then check that each kind of reuse reads back zero: a 4K frame, a 2M run
 * assembled from 4K frees, a 2M run, a 1G run assembled from 2M frees, and
 * a 1G run.
 */
static void test_zeroing(void)
{
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	uint64_t a, b, pa, small[512], big[511], blk, i;

	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_1G, SIOMMU_MEM_DMA, &a));
	dirty(mem, a, SZ_4K);
	dirty(mem, a + SZ_1G - SZ_4K, SZ_4K);
	for (i = 0; i < SZ_1G; i += 1024 * SZ_4K)
		*host_of(mem, a + i + 8, 8) = 0xd5;
	b = a == POOL_BASE ? POOL_BASE + SZ_1G : POOL_BASE;

	for (i = 0; i < 511; i++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SZ_2M, SIOMMU_MEM_HW, &big[i]));
		CHECK(big[i] >= b && big[i] < b + SZ_1G);
		dirty(mem, big[i], SZ_4K);
		dirty(mem, big[i] + SZ_2M - SZ_4K, SZ_4K);
	}
	for (i = 0; i < 512; i++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_PT, &small[i]));
		dirty(mem, small[i], SZ_4K);
	}
	blk = small[0] & ~(SZ_2M - 1);
	CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_PT, &pa), -ENOMEM);
	CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_2M, SIOMMU_MEM_PT, &pa), -ENOMEM);
	CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_1G, SIOMMU_MEM_PT, &pa), -ENOMEM);
	CHECK_EQ(stats_of(mem).pool_free_bytes, 0);

	siommu_mem_frame_free(mem, small[100], SZ_4K, SIOMMU_MEM_PT);
	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_OTHER, &pa));
	CHECK_EQ(pa, small[100]);
	check_zero(mem, pa, SZ_4K);
	dirty(mem, pa, SZ_4K);
	siommu_mem_frame_free(mem, pa, SZ_4K, SIOMMU_MEM_OTHER);
	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_PT, &small[100]));
	CHECK_EQ(small[100], pa);

	/* Free the 4K frames in a scattered order; they must merge into 2M. */
	for (i = 0; i < 512; i++)
		siommu_mem_frame_free(mem, small[(i * 97) % 512], SZ_4K, SIOMMU_MEM_PT);
	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_2M, SIOMMU_MEM_DMA, &pa));
	CHECK_EQ(pa, blk);
	check_zero(mem, pa, SZ_2M);
	dirty(mem, pa, SZ_2M);

	siommu_mem_frame_free(mem, big[7], SZ_2M, SIOMMU_MEM_HW);
	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_2M, SIOMMU_MEM_HW, &pa));
	CHECK_EQ(pa, big[7]);
	check_zero(mem, pa, SZ_4K);
	check_zero(mem, pa + SZ_2M - SZ_4K, SZ_4K);
	dirty(mem, pa, SZ_4K);
	dirty(mem, pa + SZ_2M - SZ_4K, SZ_4K);

	siommu_mem_frame_free(mem, blk, SZ_2M, SIOMMU_MEM_DMA);
	for (i = 0; i < 511; i++)
		siommu_mem_frame_free(mem, big[(i * 13) % 511], SZ_2M, SIOMMU_MEM_HW);
	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_1G, SIOMMU_MEM_OTHER, &pa));
	CHECK_EQ(pa, b);
	for (i = 0; i < SZ_1G; i += SZ_2M) {
		check_zero(mem, b + i, SZ_4K);
		check_zero(mem, b + i + SZ_2M - SZ_4K, SZ_4K);
	}
	check_zero(mem, blk, SZ_2M);

	siommu_mem_frame_free(mem, a, SZ_1G, SIOMMU_MEM_DMA);
	CHECK_OK(siommu_mem_frame_alloc(mem, SZ_1G, SIOMMU_MEM_DMA, &pa));
	CHECK_EQ(pa, a);
	check_zero(mem, a, SZ_4K);
	check_zero(mem, a + SZ_1G - SZ_4K, SZ_4K);
	for (i = 0; i < SZ_1G; i += 1024 * SZ_4K)
		CHECK_EQ(*host_of(mem, a + i + 8, 8), 0);

	siommu_mem_frame_free(mem, a, SZ_1G, SIOMMU_MEM_DMA);
	siommu_mem_frame_free(mem, b, SZ_1G, SIOMMU_MEM_OTHER);
	CHECK_EQ(stats_of(mem).pool_free_bytes, POOL_SIZE);
	siommu_mem_destroy(mem);
}

static uint64_t pick_size(struct test_rng *rng, unsigned int pct_4k,
			  unsigned int pct_2m)
{
	uint64_t r = test_rand_below(rng, 100);

	return r < pct_4k ? SZ_4K : r < pct_4k + pct_2m ? SZ_2M : SZ_1G;
}

static void test_random_accounting(void)
{
	const uint64_t nops = test_ops(20000);
	struct test_rng rng = test_rng_init(0x6672616d6573ull);
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	struct model *m = calloc(1, sizeof(*m));
	struct run *live = calloc(nops, sizeof(*live));
	uint64_t i, nlive = 0, nomem = 0;

	CHECK(m && live);
	for (i = 0; i < nops; i++) {
		/* Hover near full, so that 2M runs run out too. */
		unsigned int pct = m->bytes > POOL_SIZE - 8 * SZ_2M ? 45 : 60;

		if (!nlive || test_rand_below(&rng, 100) < pct) {
			struct run r = { .size = pick_size(&rng, 70, 27),
				.purpose = test_rand_below(&rng, NP) };

			if (model_alloc(mem, m, r.size, r.purpose, &r.pa)) {
				nomem++;
			} else {
				model_dirty(mem, m, &rng, r.pa, r.size);
				live[nlive++] = r;
			}
		} else {
			uint64_t j = test_rand_below(&rng, nlive);

			model_free(mem, m, live[j].pa, live[j].size, live[j].purpose);
			live[j] = live[--nlive];
		}
		model_check(mem, m);
	}
	/* The sequence must have run the pool out of 1G runs at least. */
	CHECK(nomem > 0 || nops < 20000);
	while (nlive) {
		nlive--;
		model_free(mem, m, live[nlive].pa, live[nlive].size,
			   live[nlive].purpose);
	}
	model_check(mem, m);
	CHECK_EQ(stats_of(mem).pool_free_bytes, POOL_SIZE);
	siommu_mem_destroy(mem);
	free(live);
	free(m);
}

static void test_exhaustion(void)
{
	struct test_rng rng = test_rng_init(0x65786861757374ull);
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	struct model *m = calloc(1, sizeof(*m));
	struct run *live = calloc(NFRAMES, sizeof(*live));
	uint64_t nlive = 0, i, pa;
	unsigned int p;

	CHECK(m && live);
	/* Mostly 2M runs, some 4K frames and 1G runs, and a few frees. */
	for (;;) {
		struct run r = { .size = pick_size(&rng, 15, 80),
			.purpose = test_rand_below(&rng, NP) };

		if (nlive && test_rand_below(&rng, 10) == 0) {
			uint64_t j = test_rand_below(&rng, nlive);

			model_free(mem, m, live[j].pa, live[j].size, live[j].purpose);
			live[j] = live[--nlive];
			continue;
		}
		if (model_alloc(mem, m, r.size, r.purpose, &r.pa)) {
			if (r.size == SZ_2M)
				break;
			continue;
		}
		live[nlive++] = r;
	}
	for (;;) {
		struct run r = { .size = SZ_4K, .purpose = test_rand_below(&rng, NP) };

		if (model_alloc(mem, m, r.size, r.purpose, &r.pa))
			break;
		live[nlive++] = r;
	}
	model_check(mem, m);
	CHECK_EQ(stats_of(mem).pool_free_bytes, 0);
	CHECK(!model_has_run(m, SZ_4K));
	CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_1G, SIOMMU_MEM_PT, &pa), -ENOMEM);
	CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_2M, SIOMMU_MEM_PT, &pa), -ENOMEM);
	model_check(mem, m);

	for (i = nlive - 1; i > 0; i--) {
		uint64_t j = test_rand_below(&rng, i + 1);
		struct run t = live[i];

		live[i] = live[j];
		live[j] = t;
	}
	for (i = 0; i < nlive; i++)
		model_free(mem, m, live[i].pa, live[i].size, live[i].purpose);
	model_check(mem, m);
	CHECK_EQ(stats_of(mem).pool_free_bytes, POOL_SIZE);
	for (p = 0; p < NP; p++)
		CHECK_EQ(stats_of(mem).in_use[p], 0);

	/* Fully coalesced: both 1G runs are whole again. */
	CHECK_OK(model_alloc(mem, m, SZ_1G, SIOMMU_MEM_DMA, &live[0].pa));
	CHECK_OK(model_alloc(mem, m, SZ_1G, SIOMMU_MEM_DMA, &live[1].pa));
	CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_DMA, &pa), -ENOMEM);
	model_free(mem, m, live[0].pa, SZ_1G, SIOMMU_MEM_DMA);
	model_free(mem, m, live[1].pa, SZ_1G, SIOMMU_MEM_DMA);
	model_check(mem, m);
	siommu_mem_destroy(mem);
	free(live);
	free(m);
}

static void test_no_pool(void)
{
	struct siommu_mem *mem = mem_new(POOL_BASE, 0);
	struct siommu_mem_stats st;
	unsigned int p;
	uint64_t pa;

	for (p = 0; p < NP; p++) {
		CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_4K, p, &pa), -ENOMEM);
		CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_2M, p, &pa), -ENOMEM);
		CHECK_EQ(siommu_mem_frame_alloc(mem, SZ_1G, p, &pa), -ENOMEM);
		CHECK_EQ(siommu_mem_frame_alloc(mem, 2 * SZ_4K, p, &pa), -ENOMEM);
		CHECK_EQ(siommu_mem_frame_alloc(mem, 3 * SZ_4K, p, &pa), -EINVAL);
	}
	st = stats_of(mem);
	CHECK_EQ(st.pool_bytes, 0);
	CHECK_EQ(st.pool_free_bytes, 0);
	for (p = 0; p < NP; p++)
		CHECK_EQ(st.allocs[p], 0);
	siommu_mem_destroy(mem);
}

/*
 * Frame lists chain frames through the metadata: building and freeing one
 * never writes the frames, and frames of another purpose are left alone.
 */
static void test_frame_list(void)
{
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	struct frame_list l = FRAME_LIST_INIT;
	struct siommu_mem_stats st;
	uint64_t pa[100], keep[3], i;

	mem_frame_list_free(mem, &l, SIOMMU_MEM_PT);
	CHECK_EQ(l.head, FRAME_NONE);
	CHECK_EQ(l.count, 0);

	for (i = 0; i < 3; i++)
		CHECK_OK(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_DMA, &keep[i]));
	for (i = 0; i < 100; i++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_PT, &pa[i]));
		dirty(mem, pa[i], SZ_4K);
		mem_frame_list_add(mem, &l, pa[i]);
		CHECK_EQ(l.count, i + 1);
	}
	st = stats_of(mem);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 100 * SZ_4K);
	CHECK_EQ(st.allocs[SIOMMU_MEM_PT], 100);

	mem_frame_list_free(mem, &l, SIOMMU_MEM_PT);
	CHECK_EQ(l.head, FRAME_NONE);
	CHECK_EQ(l.count, 0);
	st = stats_of(mem);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
	CHECK_EQ(st.frees[SIOMMU_MEM_PT], 100);
	CHECK_EQ(st.in_use[SIOMMU_MEM_DMA], 3 * SZ_4K);
	CHECK_EQ(st.frees[SIOMMU_MEM_DMA], 0);
	CHECK_EQ(st.pool_free_bytes, POOL_SIZE - 3 * SZ_4K);
	/* Lock-free walkers may still read freed table pages: left intact. */
	for (i = 0; i < 100; i++) {
		const uint8_t *h = host_of(mem, pa[i], SZ_4K);

		CHECK(h[0] == 0xd5 && h[SZ_4K - 1] == 0xd5);
	}

	for (i = 0; i < 3; i++)
		siommu_mem_frame_free(mem, keep[i], SZ_4K, SIOMMU_MEM_DMA);
	st = stats_of(mem);
	CHECK_EQ(st.pool_free_bytes, POOL_SIZE);
	for (i = 0; i < NP; i++)
		CHECK_EQ(st.in_use[i], 0);

	/* A list can be built again from the same frames. */
	for (i = 0; i < 100; i++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SZ_4K, SIOMMU_MEM_HW, &pa[i]));
		check_zero(mem, pa[i], SZ_4K);
		mem_frame_list_add(mem, &l, pa[i]);
	}
	mem_frame_list_free(mem, &l, SIOMMU_MEM_HW);
	CHECK_EQ(stats_of(mem).pool_free_bytes, POOL_SIZE);
	CHECK_EQ(stats_of(mem).in_use[SIOMMU_MEM_HW], 0);
	siommu_mem_destroy(mem);
}

int main(void)
{
	test_alloc_basic();
	test_zeroing();
	test_random_accounting();
	test_exhaustion();
	test_no_pool();
	test_frame_list();
	return 0;
}
