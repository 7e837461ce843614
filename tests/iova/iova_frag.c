/* SPDX-License-Identifier: MIT */
/*
 * Fragmentation sweep: long random runs of allocations and frees of mixed
 * sizes (mostly cacheable 4K..128K, some up to 64M, some below a 32-bit
 * style limit) over a 4G aperture. Live ranges never overlap, are
 * size-aligned and the tree stays consistent; when everything is freed and
 * the caches flushed, no space is lost: the tree is empty and the whole
 * aperture is allocatable again in one piece.
 *
 * Also: a CPU's cache refills from the tree with a run of adjacent ranges
 * (IOVA_REFILL), so one thread's allocations stay together rather than
 * interleaving with another CPU's; it hands out what was freed last first,
 * and searches below a limit its top does not meet; it keeps as many
 * magazines as it has (its two and the depot's) and hands out all they
 * hold; a flush leaves it as it was created; cacheable ranges far apart
 * are held and freed independently. Ranges freed on another CPU go back,
 * a magazine at a time through the depot, to the CPU that took them from
 * the tree, and a CPU never gets another CPU's magazines from the depot.
 */
#include <errno.h>
#include <sys/sysinfo.h>

#include <siommu/iova.h>

#include "test.h"
#include "iova/iova_internal.h"	/* IOVA_MAG_SIZE, _DEPOT_MAGS, _REFILL */

struct siommu_iova;
int iova_tree_check(struct siommu_iova *iovad);

#define APERTURE (1ull << 32)
#define MAX_LIVE 4096

struct live {
	uint64_t iova, size;
};

static int cmp_live(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	return (x->iova > y->iova) - (x->iova < y->iova);
}

static uint64_t rounded(uint64_t size)
{
	uint64_t n = (size + 4095) >> 12, p2 = 1;

	while (p2 < n)
		p2 <<= 1;
	return (n <= SIOMMU_IOVA_CACHE_MAX_SIZE ? p2 : n) << 12;
}

static void check_disjoint(struct live *live, unsigned int n)
{
	unsigned int i;

	qsort(live, n, sizeof(*live), cmp_live);
	for (i = 1; i < n; i++)
		CHECK(live[i - 1].iova + rounded(live[i - 1].size) <= live[i].iova);
}

static void sweep(struct test_rng *rng, unsigned int flags, uint64_t ops)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = APERTURE - 1,
				       .flags = flags };
	static struct live live[MAX_LIVE];
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	unsigned int nlive = 0;
	uint64_t op, x, nospc = 0;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	for (op = 0; op < ops; op++) {
		uint64_t r = test_rand_below(rng, 100);

		/* Bias towards allocation until the aperture is busy. */
		if (nlive < MAX_LIVE && (r < 55 || nlive < 64)) {
			uint64_t sz, p2, limit = UINT64_MAX;
			int ret;

			if (r < 90)
				sz = 1 + test_rand_below(rng, 128 << 10);
			else
				sz = 1 + test_rand_below(rng, 64 << 20);
			if (r % 10 == 0)
				limit = 0xffffffull;	/* a 24-bit device */
			ret = siommu_iova_alloc(iovad, sz, limit, &x);
			if (ret == -ENOSPC) {
				nospc++;
				continue;
			}
			CHECK_OK(ret);
			for (p2 = 1; p2 < rounded(sz); p2 <<= 1)
				;
			if (p2 > (1ull << (12 + SIOMMU_IOVA_MAX_ALIGN_ORDER)))
				p2 = 1ull << (12 + SIOMMU_IOVA_MAX_ALIGN_ORDER);
			CHECK_EQ(x % p2, 0);
			CHECK(x + rounded(sz) - 1 <= limit);
			live[nlive++] = (struct live){ x, sz };
		} else if (nlive) {
			unsigned int i = test_rand_below(rng, nlive);

			CHECK_OK(siommu_iova_free(iovad, live[i].iova, live[i].size));
			live[i] = live[--nlive];
		}
		if (op % 8192 == 0) {
			CHECK_OK(iova_tree_check(iovad));
			check_disjoint(live, nlive);
		}
	}
	check_disjoint(live, nlive);
	while (nlive) {
		nlive--;
		CHECK_OK(siommu_iova_free(iovad, live[nlive].iova, live[nlive].size));
	}
	siommu_iova_flush_caches(iovad);
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.nodes, 0);
	CHECK_EQ(st.allocated_bytes, 0);
	CHECK_EQ(st.cached_bytes, 0);
	CHECK_EQ(st.free_bytes, APERTURE);
	CHECK_EQ(st.largest_free_bytes, APERTURE);
	CHECK_OK(siommu_iova_alloc(iovad, APERTURE, UINT64_MAX, &x));
	CHECK_EQ(x, 0);
	CHECK_OK(siommu_iova_free(iovad, 0, APERTURE));
	siommu_iova_destroy(iovad);
	fprintf(stderr, "flags %u: %" PRIu64 " ops, %" PRIu64 " -ENOSPC\n",
		flags, ops, nospc);
}

/* One CPU's first 16 allocations of a size: one tree visit, a run of
 * adjacent ranges handed out from the top down. */
static void test_cpu_runs(void)
{
	struct siommu_iova_cfg cfg = { .start = 1ull << 20, .last = APERTURE - 1 };
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	uint64_t iova[16], x;
	cpu_set_t old;
	bool pinned = test_pin_cpu(&old);
	unsigned int i;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	for (i = 0; i < 16; i++)
		CHECK_OK(siommu_iova_alloc(iovad, 8192, UINT64_MAX, &iova[i]));
	siommu_iova_get_stats(iovad, &st);
	/* Without a pinned CPU the thread may have moved between slots. */
	if (pinned) {
		CHECK_EQ(st.cache_misses, 1);
		CHECK_EQ(st.cache_hits, 15);
		for (i = 0; i < 16; i++)
			CHECK_EQ(iova[i], APERTURE - 8192 * (i + 1));
	}
	CHECK_EQ(st.allocated_bytes, 16 * 8192);
	/* The range freed last comes back first, also below a limit that ends
	 * exactly where it does; below a limit it does not meet, the next one
	 * down the magazine does, without a miss. */
	CHECK_OK(siommu_iova_free(iovad, iova[0], 8192));
	CHECK_OK(siommu_iova_alloc(iovad, 8192, iova[0] + 8191, &x));
	if (pinned)
		CHECK_EQ(x, iova[0]);
	CHECK_OK(siommu_iova_free(iovad, x, 8192));
	CHECK_OK(siommu_iova_alloc(iovad, 8192, iova[0] - 1, &iova[0]));
	siommu_iova_get_stats(iovad, &st);
	if (pinned) {
		CHECK_EQ(st.cache_misses, 1);
		CHECK_EQ(iova[0], APERTURE - 8192 * 17);
	}
	for (i = 0; i < 16; i++)
		CHECK_OK(siommu_iova_free(iovad, iova[i], 8192));
	siommu_iova_flush_caches(iovad);
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.free_bytes, APERTURE - (1ull << 20));
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_destroy(iovad);
	if (pinned)
		test_unpin_cpu(&old);
}

#define NR_FILL 5000	/* more ranges than one CPU's caches keep */

/* Everything the calling CPU's caches hold of @size is handed out again
 * without a miss; then it is freed again. */
static void take_all_cached(struct siommu_iova *iovad, uint64_t size, uint64_t *iova)
{
	struct siommu_iova_stats st;
	uint64_t misses, n, i;

	siommu_iova_get_stats(iovad, &st);
	misses = st.cache_misses;
	n = st.cached_bytes / size;
	for (i = 0; i < n; i++)
		CHECK_OK(siommu_iova_alloc(iovad, size, UINT64_MAX, &iova[i]));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.cache_misses, misses);
	CHECK_EQ(st.cached_bytes, 0);
	for (i = 0; i < n; i++)
		CHECK_OK(siommu_iova_free(iovad, iova[i], size));
}

/* Free @n ranges of @size: the caches end up keeping more than one
 * magazine less than they can hold, and no more than that. */
static void free_beyond_capacity(struct siommu_iova *iovad, uint64_t size,
				 const uint64_t *iova, uint64_t n)
{
	uint64_t keep = (2 + IOVA_DEPOT_MAGS) * IOVA_MAG_SIZE * size, i;
	struct siommu_iova_stats st;

	for (i = 0; i < n; i++)
		CHECK_OK(siommu_iova_free(iovad, iova[i], size));
	siommu_iova_get_stats(iovad, &st);
	CHECK(st.cached_bytes <= keep);
	CHECK(st.cached_bytes > keep - IOVA_MAG_SIZE * size);
	CHECK_EQ(st.free_bytes + st.cached_bytes + st.allocated_bytes, APERTURE);
}

/*
 * A CPU's caches keep up to (2 + IOVA_DEPOT_MAGS) magazines of a size: the
 * slot's two and the depot's. Freeing more drains the excess into the tree
 * a magazine at a time. Everything they hold is handed out again without a
 * miss. A flush empties every magazine and leaves the whole capacity for
 * the next frees.
 */
static void test_cache_capacity(uint64_t size)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = APERTURE - 1 };
	static uint64_t iova[2 * NR_FILL];
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	cpu_set_t old;
	uint64_t i;

	/* The counts are one CPU's. */
	if (!test_pin_cpu(&old))
		return;
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	for (i = 0; i < 2 * NR_FILL; i++)
		CHECK_OK(siommu_iova_alloc(iovad, size, UINT64_MAX, &iova[i]));
	free_beyond_capacity(iovad, size, iova + NR_FILL, NR_FILL);
	take_all_cached(iovad, size, iova + NR_FILL);
	siommu_iova_flush_caches(iovad);
	free_beyond_capacity(iovad, size, iova, NR_FILL);
	take_all_cached(iovad, size, iova);
	siommu_iova_flush_caches(iovad);
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.nodes, 0);
	CHECK_EQ(st.free_bytes, APERTURE);
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_destroy(iovad);
	test_unpin_cpu(&old);
}

/*
 * Cacheable ranges 2^21 and 2^30 granules below another in a 48-bit
 * aperture, where a live map with a level too few would give two of them
 * one byte, are held and freed independently.
 */
static void test_far_apart(void)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = (1ull << 48) - 1 };
	struct siommu_iova *iovad;
	uint64_t x, y[2], d;
	unsigned int i;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &x));
	for (i = 0; i < 2; i++) {
		d = 4096ull << (i ? 30 : 21);
		CHECK_OK(siommu_iova_alloc(iovad, 4096, x + 4095 - d, &y[i]));
		CHECK_EQ(y[i], x - d);
	}
	CHECK_OK(siommu_iova_free(iovad, x, 4096));
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_iova_free(iovad, y[i], 4096));
		CHECK_EQ(siommu_iova_free(iovad, y[i], 4096), -ENOENT);
	}
	siommu_iova_destroy(iovad);
}

/* Two CPUs this thread may run on that use different cache slots. */
static bool two_slots(int cpu[2])
{
	int n = 1, nconf = get_nprocs_conf(), c, k = 0;
	cpu_set_t set;

	while (n < nconf && n < IOVA_MAX_CACHES)
		n <<= 1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return false;
	for (c = 0; c < CPU_SETSIZE && k < 2; c++)
		if (CPU_ISSET(c, &set) && (!k || ((c ^ cpu[0]) & (n - 1))))
			cpu[k++] = c;
	return k == 2;
}

static void pin(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CHECK_OK(sched_setaffinity(0, sizeof(one), &one));
}

static uint64_t misses(struct siommu_iova *iovad)
{
	struct siommu_iova_stats st;

	siommu_iova_get_stats(iovad, &st);
	return st.cache_misses;
}

/* Back to the CPUs of @old; everything freed, a flush leaves @iovad (of
 * the aperture from 1M) as it was created; then it goes. */
static void unpin_flush_destroy(struct siommu_iova *iovad, const cpu_set_t *old)
{
	struct siommu_iova_stats st;

	test_unpin_cpu(old);
	siommu_iova_flush_caches(iovad);
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.nodes, 0);
	CHECK_EQ(st.free_bytes, APERTURE - (1ull << 20));
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_destroy(iovad);
}

#define HOME_N (3 * IOVA_MAG_SIZE)	/* both magazines and one for the depot */

/* Whether @x is one of the @n ranges at @v. */
static bool among(uint64_t x, const uint64_t *v, unsigned int n)
{
	while (n--)
		if (v[n] == x)
			return true;
	return false;
}

/*
 * Ranges go home. CPU A takes runs from the tree. A's ranges freed on CPU
 * B are not B's to hand out (B takes a run of its own); once a magazine of
 * them has gathered on B it goes to the depot for A, and A, out of ranges,
 * gets them back without going to the tree. Then A's own caches overflow
 * into the depot, and B, out of ranges, takes from the tree rather than
 * A's magazines; B's overflow too, and A takes its magazine from under
 * B's. A is the CPU whose slot is not the first: a home byte never written
 * reads as the first slot.
 */
static void test_homes(void)
{
	struct siommu_iova_cfg cfg = { .start = 1ull << 20, .last = APERTURE - 1 };
	static uint64_t a[HOME_N], b[HOME_N];
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	uint64_t x, m;
	cpu_set_t old;
	int cpu[2];
	unsigned int i;

	if (!two_slots(cpu)) {
		fprintf(stderr, "homes: one cache slot on this machine, not run\n");
		return;
	}
	CHECK_OK(sched_getaffinity(0, sizeof(old), &old));
	CHECK_OK(siommu_iova_create(&cfg, &iovad));

	/* A: two runs from the top, all but one range handed out. */
	pin(cpu[1]);
	for (i = 0; i < IOVA_MAG_SIZE; i++) {
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &a[i]));
		CHECK_EQ(a[i], APERTURE - 4096 * (i + 1));
	}
	CHECK_EQ(misses(iovad), 2);

	/* B frees them: not B's to hand out. Until a magazine of them has
	 * gathered, they wait on B (cached, beside A's last one). */
	pin(cpu[0]);
	for (i = 0; i < IOVA_MAG_SIZE; i++) {
		if (i == IOVA_MAG_SIZE - 1) {
			siommu_iova_get_stats(iovad, &st);
			CHECK_EQ(st.cached_bytes, IOVA_MAG_SIZE * 4096ull);
		}
		CHECK_OK(siommu_iova_free(iovad, a[i], 4096));
	}
	CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &b[0]));
	CHECK_EQ(b[0], APERTURE - 4096 * (2 * IOVA_REFILL + 1));
	CHECK_EQ(misses(iovad), 3);

	/* A: its last range, then the magazine B sent, without a miss. */
	pin(cpu[1]);
	CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &x));
	CHECK_EQ(x, APERTURE - 4096 * (2 * IOVA_REFILL));
	a[IOVA_MAG_SIZE] = x;
	for (i = 0; i < IOVA_MAG_SIZE; i++) {
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &x));
		CHECK(among(x, a, IOVA_MAG_SIZE));
	}
	CHECK_EQ(misses(iovad), 3);

	/* A's caches: both magazines full and one in the depot (and what
	 * A's last refill left over). */
	for (i = IOVA_MAG_SIZE + 1; i < HOME_N; i++)
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &a[i]));
	for (i = 0; i < HOME_N; i++)
		CHECK_OK(siommu_iova_free(iovad, a[i], 4096));
	siommu_iova_get_stats(iovad, &st);
	CHECK(st.cached_bytes >= (HOME_N + IOVA_REFILL - 1) * 4096ull);
	CHECK(st.cached_bytes < (HOME_N + 2 * IOVA_REFILL) * 4096ull);

	/* B hands out the rest of its run, then goes to the tree. */
	pin(cpu[0]);
	for (i = 1; i < IOVA_REFILL; i++)
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &b[i]));
	m = misses(iovad);
	CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &x));
	CHECK_EQ(misses(iovad), m + 1);
	CHECK(!among(x, a, HOME_N));
	CHECK_OK(siommu_iova_free(iovad, x, 4096));

	/* B's caches overflow into the depot too, after A's. */
	for (i = IOVA_REFILL; i < HOME_N; i++)
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &b[i]));
	for (i = 0; i < HOME_N; i++)
		CHECK_OK(siommu_iova_free(iovad, b[i], 4096));

	/* A gets its magazine back from under B's without a miss; B's stays
	 * in the depot (the flush below finds every range). */
	pin(cpu[1]);
	m = misses(iovad);
	for (i = 0; i < HOME_N; i++)
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &a[i]));
	CHECK_EQ(misses(iovad), m);
	for (i = 0; i < HOME_N; i++)
		CHECK_OK(siommu_iova_free(iovad, a[i], 4096));

	unpin_flush_destroy(iovad, &old);
}

#define FULL_N ((2 + IOVA_DEPOT_MAGS) * IOVA_MAG_SIZE)	/* a slot and the depot */

/*
 * With the depot full of A's magazines, a magazine of A's ranges gathered
 * on B goes into the tree instead: nothing is lost, and a flush leaves the
 * allocator as it was created.
 */
static void test_away_depot_full(void)
{
	struct siommu_iova_cfg cfg = { .start = 1ull << 20, .last = APERTURE - 1 };
	static uint64_t a[FULL_N + IOVA_MAG_SIZE];
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	cpu_set_t old;
	int cpu[2];
	unsigned int i;

	if (!two_slots(cpu))
		return;
	CHECK_OK(sched_getaffinity(0, sizeof(old), &old));
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	pin(cpu[1]);
	for (i = 0; i < FULL_N + IOVA_MAG_SIZE; i++)
		CHECK_OK(siommu_iova_alloc(iovad, 4096, UINT64_MAX, &a[i]));
	for (i = 0; i < FULL_N; i++)
		CHECK_OK(siommu_iova_free(iovad, a[i], 4096));
	pin(cpu[0]);
	for (i = FULL_N; i < FULL_N + IOVA_MAG_SIZE; i++)
		CHECK_OK(siommu_iova_free(iovad, a[i], 4096));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.allocated_bytes, 0);
	unpin_flush_destroy(iovad, &old);
}

int main(void)
{
	struct test_rng rng = test_rng_init(0xf4a6);

	test_cpu_runs();
	test_cache_capacity(4096);
	test_cache_capacity(SIOMMU_IOVA_CACHE_MAX_SIZE * 4096ull);
	test_far_apart();
	test_homes();
	test_away_depot_full();

	sweep(&rng, 0, test_ops(400000));
	sweep(&rng, SIOMMU_IOVA_NO_CACHE, test_ops(200000));
	return 0;
}
