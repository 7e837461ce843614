/* SPDX-License-Identifier: MIT */
/*
 * Bad input to the IOVA allocator gets a clear error and changes nothing:
 * creation arguments, zero sizes, limits below the aperture, frees of what
 * was never allocated, double frees (through the caches and through the
 * tree), wrong sizes, misaligned addresses, reserved ranges, reservations
 * over allocations, ranges that wrap. Also the edges of the address space:
 * an aperture reaching UINT64_MAX, and one allocation covering all of it;
 * reservations across the aperture's ends and frees beyond them; limits
 * below which everything is reserved; sizes
 * large enough for the alignment cap, and byte counts of 2^63. A double
 * free is -ENOENT whatever size it gives.
 */
#include <errno.h>

#include <siommu/iova.h>

#include "test.h"
#include "iova/iova_internal.h"	/* IOVA_REFILL */

struct siommu_iova;
int iova_tree_check(struct siommu_iova *iovad);

#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define SZ_1G (1ull << 30)
#define SZ_8G (8ull << 30)

static struct siommu_iova_stats snap(struct siommu_iova *iovad)
{
	struct siommu_iova_stats st;

	siommu_iova_get_stats(iovad, &st);
	/* Hit and miss counters move on lookups that change nothing. */
	st.cache_hits = st.cache_misses = 0;
	return st;
}

#define CHECK_UNCHANGED(iovad, before)                                      \
	do {                                                                \
		struct siommu_iova_stats _now = snap(iovad);                \
		CHECK(!memcmp(&_now, &(before), sizeof(_now)));             \
		CHECK_OK(iova_tree_check(iovad));                           \
	} while (0)

static void bad_create(void)
{
	struct siommu_iova_cfg ok = { .start = SZ_1M, .last = (1ull << 32) - 1 };
	struct siommu_iova_cfg c;
	struct siommu_iova *iovad;

	CHECK_EQ(siommu_iova_create(NULL, &iovad), -EINVAL);
	CHECK_EQ(siommu_iova_create(&ok, NULL), -EINVAL);
	c = ok; c.granule = 3000;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.granule = 2048;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.granule = 2ull << 30;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.granule = 3 * SZ_4K;	/* a multiple of 4K, not a power of two */
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.start = SZ_1M + 1;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.last = 1ull << 32;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.start = 1ull << 32;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.flags = 1u << 7;
	CHECK_EQ(siommu_iova_create(&c, &iovad), -EINVAL);
	c = ok; c.start = c.last + 1 - SZ_4K;	/* one granule is fine */
	CHECK_OK(siommu_iova_create(&c, &iovad));
	siommu_iova_destroy(iovad);
	c = ok; c.start = 0; c.granule = SZ_1G;	/* the largest granule */
	CHECK_OK(siommu_iova_create(&c, &iovad));
	siommu_iova_destroy(iovad);
	siommu_iova_destroy(NULL);
}

static void bad_calls(unsigned int flags)
{
	struct siommu_iova_cfg cfg = {
		.start = SZ_1M, .last = (1ull << 32) - 1, .flags = flags,
	};
	struct siommu_iova_stats before;
	struct siommu_iova *iovad;
	uint64_t a, b, c, x, res = 0x80000000ull;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	CHECK_OK(siommu_iova_reserve(iovad, res, SZ_1M));
	/* Outside the aperture: nothing to do. */
	CHECK_OK(siommu_iova_reserve(iovad, 1ull << 40, SZ_1M));
	CHECK_OK(siommu_iova_reserve(iovad, 0, SZ_4K));
	CHECK_OK(siommu_iova_alloc(iovad, SZ_4K, UINT64_MAX, &a));
	CHECK_OK(siommu_iova_alloc(iovad, SZ_1M, UINT64_MAX, &b));
	CHECK_OK(siommu_iova_alloc(iovad, 2 * SZ_4K, UINT64_MAX, &c));
	CHECK_EQ(b % SZ_1M, 0);
	CHECK_EQ(c % (2 * SZ_4K), 0);
	before = snap(iovad);

	CHECK_EQ(siommu_iova_reserve(iovad, 0, 0), -EINVAL);
	CHECK_EQ(siommu_iova_reserve(iovad, UINT64_MAX - 10, 100), -EINVAL);
	CHECK_EQ(siommu_iova_reserve(iovad, b + SZ_4K, SZ_4K), -EBUSY);
	CHECK_OK(siommu_iova_reserve(iovad, res - SZ_4K, 2 * SZ_4K));
	before = snap(iovad);	/* that reservation merged and grew */
	CHECK_EQ(siommu_iova_alloc(iovad, 0, UINT64_MAX, &x), -EINVAL);
	CHECK_EQ(siommu_iova_alloc(iovad, SZ_4K, UINT64_MAX, NULL), -EINVAL);
	CHECK_EQ(siommu_iova_alloc(iovad, SZ_4K, SZ_1M - 1, &x), -ENOSPC);
	CHECK_EQ(siommu_iova_alloc(iovad, SZ_4K, 0, &x), -ENOSPC);
	CHECK_EQ(siommu_iova_alloc(iovad, 2 * SZ_1M, 3 * SZ_1M - 2, &x), -ENOSPC);
	CHECK_EQ(siommu_iova_alloc(iovad, 1ull << 33, UINT64_MAX, &x), -ENOSPC);
	CHECK_UNCHANGED(iovad, before);

	CHECK_EQ(siommu_iova_free(iovad, a, 0), -EINVAL);
	CHECK_EQ(siommu_iova_free(iovad, a + 1, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, a, 2 * SZ_4K), -EINVAL);
	CHECK_EQ(siommu_iova_free(iovad, c, SZ_4K), -EINVAL);
	CHECK_EQ(siommu_iova_free(iovad, b, SZ_4K), -EINVAL);
	CHECK_EQ(siommu_iova_free(iovad, b, 2 * SZ_1M), -EINVAL);
	CHECK_EQ(siommu_iova_free(iovad, b + SZ_4K, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, SZ_1M, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, SZ_4K, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, 1ull << 40, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, res, SZ_1M), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, res - SZ_4K, SZ_4K), -ENOENT);
	CHECK_UNCHANGED(iovad, before);

	/* Sizes that round to the allocated one are accepted. */
	CHECK_OK(siommu_iova_free(iovad, a, 1));
	CHECK_EQ(siommu_iova_free(iovad, a, SZ_4K), -ENOENT);
	CHECK_OK(siommu_iova_free(iovad, c, 5000));
	CHECK_EQ(siommu_iova_free(iovad, c, 2 * SZ_4K), -ENOENT);
	CHECK_OK(siommu_iova_free(iovad, b, SZ_1M));
	CHECK_EQ(siommu_iova_free(iovad, b, SZ_1M), -ENOENT);
	before = snap(iovad);
	siommu_iova_flush_caches(iovad);
	CHECK_EQ(siommu_iova_free(iovad, a, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, c, 2 * SZ_4K), -ENOENT);
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_destroy(iovad);
}

/* An aperture that ends at UINT64_MAX, and one allocation of all of it. */
static void top_of_space(unsigned int flags)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = UINT64_MAX, .flags = flags };
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	uint64_t x, y;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.aperture_bytes, UINT64_MAX);	/* saturated */
	CHECK_OK(siommu_iova_alloc(iovad, SZ_4K, UINT64_MAX, &x));
	CHECK_EQ(x, UINT64_MAX - SZ_4K + 1);
	CHECK_OK(siommu_iova_alloc(iovad, SZ_4K, 0xffffffffull, &y));
	CHECK_EQ(y, 0xffffffffull - SZ_4K + 1);
	CHECK_EQ(siommu_iova_alloc(iovad, UINT64_MAX, UINT64_MAX, &y), -ENOSPC);
	CHECK_OK(siommu_iova_free(iovad, x, SZ_4K));
	CHECK_OK(siommu_iova_free(iovad, 0xffffffffull - SZ_4K + 1, SZ_4K));
	siommu_iova_flush_caches(iovad);
	CHECK_OK(siommu_iova_alloc(iovad, UINT64_MAX, UINT64_MAX, &y));
	CHECK_EQ(y, 0);
	CHECK_EQ(siommu_iova_alloc(iovad, SZ_4K, UINT64_MAX, &x), -ENOSPC);
	CHECK_EQ(siommu_iova_reserve(iovad, SZ_1M, SZ_4K), -EBUSY);
	CHECK_OK(iova_tree_check(iovad));
	CHECK_OK(siommu_iova_free(iovad, 0, UINT64_MAX));
	CHECK_OK(siommu_iova_reserve(iovad, UINT64_MAX - SZ_4K + 1, SZ_4K));
	CHECK_OK(siommu_iova_alloc(iovad, SZ_4K, UINT64_MAX, &x));
	/* Exact top-down without caches; a cache refill takes the highest
	 * free block of IOVA_REFILL ranges aligned to its size, and the top
	 * one holds the reserved page. */
	CHECK_EQ(x, flags & SIOMMU_IOVA_NO_CACHE ? UINT64_MAX - 2 * SZ_4K + 1 :
		 UINT64_MAX - (IOVA_REFILL + 1) * SZ_4K + 1);
	CHECK_OK(iova_tree_check(iovad));
	siommu_iova_destroy(iovad);	/* with x still allocated */
}

/*
 * An 8G aperture starting at 1M: reservations across either end are
 * clipped to it, and frees outside it are refused, also at exactly one
 * aperture size below and above a live allocation, where anything indexed
 * by the offset modulo the aperture would find it.
 */
static void aperture_edges(unsigned int flags)
{
	struct siommu_iova_cfg cfg = {
		.start = SZ_1M, .last = SZ_1M + SZ_8G - 1, .flags = flags,
	};
	struct siommu_iova_stats before, st;
	struct siommu_iova *iovad;
	uint64_t x;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	CHECK_OK(siommu_iova_reserve(iovad, cfg.start - SZ_4K, 3 * SZ_4K));
	CHECK_OK(siommu_iova_reserve(iovad, cfg.last + 1 - 2 * SZ_4K, 4 * SZ_4K));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.reserved_bytes, 4 * SZ_4K);
	CHECK_EQ(st.free_bytes, SZ_8G - 4 * SZ_4K);
	CHECK_OK(iova_tree_check(iovad));

	CHECK_OK(siommu_iova_alloc(iovad, SZ_4K, UINT64_MAX, &x));
	before = snap(iovad);
	CHECK_EQ(siommu_iova_free(iovad, x - SZ_8G, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, x + SZ_8G, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, cfg.start - SZ_4K, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_iova_free(iovad, cfg.last + 1, SZ_4K), -ENOENT);
	CHECK_UNCHANGED(iovad, before);
	CHECK_OK(siommu_iova_free(iovad, x, SZ_4K));
	siommu_iova_destroy(iovad);
}

/*
 * A limit below which everything is reserved, and more above it: -ENOSPC,
 * whatever is free higher up, also when a cache refill looks for a block
 * below the limit.
 */
static void full_below_limit(unsigned int flags)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = (1ull << 32) - 1, .flags = flags };
	struct siommu_iova_stats before;
	struct siommu_iova *iovad;
	uint64_t x;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	CHECK_OK(siommu_iova_reserve(iovad, 0, 16 * SZ_4K));
	before = snap(iovad);
	CHECK_EQ(siommu_iova_alloc(iovad, SZ_4K, 8 * SZ_4K - 1, &x), -ENOSPC);
	CHECK_EQ(siommu_iova_alloc(iovad, 2 * SZ_4K, 8 * SZ_4K - 1, &x), -ENOSPC);
	CHECK_UNCHANGED(iovad, before);
	siommu_iova_destroy(iovad);
}

/*
 * Alignment stops at 2^SIOMMU_IOVA_MAX_ALIGN_ORDER granules: 1G + 4K in
 * [0, 15G) goes at 13G (1G-aligned), not at 12G as 2G alignment would put
 * it. Byte counts are exact up to 2^63 and saturate only above.
 */
static void big_sizes(unsigned int flags)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = 15 * SZ_1G - 1, .flags = flags };
	struct siommu_iova_stats st;
	struct siommu_iova *iovad;
	uint64_t x;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	CHECK_OK(siommu_iova_alloc(iovad, SZ_1G + SZ_4K, UINT64_MAX, &x));
	CHECK_EQ(x, 13 * SZ_1G);
	CHECK_OK(siommu_iova_free(iovad, x, SZ_1G + SZ_4K));
	siommu_iova_destroy(iovad);

	cfg.last = (1ull << 63) - 1;
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	siommu_iova_get_stats(iovad, &st);
	CHECK_EQ(st.aperture_bytes, 1ull << 63);
	CHECK_EQ(st.free_bytes, 1ull << 63);
	CHECK_EQ(st.largest_free_bytes, 1ull << 63);
	siommu_iova_destroy(iovad);
}

/*
 * A range already freed is -ENOENT whatever size the second free gives:
 * its own, a smaller or larger cacheable one, a size the caches do not
 * hold, one beyond the aperture. Checked while the range sits in a CPU
 * cache, after the caches were flushed to the tree, and for ranges of
 * every kind (cacheable sizes, and larger ones freed through the tree).
 */
static void double_free_any_size(unsigned int flags)
{
	static const uint64_t sizes[] = {
		1, SZ_4K, SZ_4K + 1, 2 * SZ_4K, 4 * SZ_4K, 64 * SZ_4K, SZ_1M,
		2 * SZ_1M, SZ_1G, 1ull << 40, 1ull << 63, UINT64_MAX,
	};
	static const uint64_t allocs[] = { SZ_4K, 2 * SZ_4K, 32 * SZ_4K, SZ_1M, 4 * SZ_1M };
	struct siommu_iova_cfg cfg = {
		.start = SZ_1M, .last = (1ull << 32) - 1, .flags = flags,
	};
	struct siommu_iova_stats before;
	struct siommu_iova *iovad;
	unsigned int i, j, flush;
	uint64_t x;

	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	for (flush = 0; flush < 2; flush++) {
		for (i = 0; i < sizeof(allocs) / sizeof(allocs[0]); i++) {
			CHECK_OK(siommu_iova_alloc(iovad, allocs[i], UINT64_MAX, &x));
			CHECK_OK(siommu_iova_free(iovad, x, allocs[i]));
			if (flush)
				siommu_iova_flush_caches(iovad);
			before = snap(iovad);
			for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
				int ret = siommu_iova_free(iovad, x, sizes[j]);

				if (ret != -ENOENT)
					fprintf(stderr, "alloc 0x%" PRIx64 " free 0x%" PRIx64
						" flush %u: %d\n", allocs[i], sizes[j], flush, ret);
				CHECK_EQ(ret, -ENOENT);
			}
			CHECK_UNCHANGED(iovad, before);
		}
	}
	siommu_iova_destroy(iovad);
}

int main(void)
{
	bad_create();
	bad_calls(0);
	bad_calls(SIOMMU_IOVA_NO_CACHE);
	top_of_space(0);
	top_of_space(SIOMMU_IOVA_NO_CACHE);
	aperture_edges(0);
	aperture_edges(SIOMMU_IOVA_NO_CACHE);
	full_below_limit(0);
	full_below_limit(SIOMMU_IOVA_NO_CACHE);
	big_sizes(0);
	big_sizes(SIOMMU_IOVA_NO_CACHE);
	double_free_any_size(0);
	double_free_any_size(SIOMMU_IOVA_NO_CACHE);
	return 0;
}
