/* SPDX-License-Identifier: MIT */
/*
 * Bad input to the IOVA allocator gets a clear error and changes nothing:
 * creation arguments, zero sizes, limits below the aperture, frees of what
 * was never allocated, double frees (through the caches and through the
 * tree), wrong sizes, misaligned addresses, reserved ranges, reservations
 * over allocations, ranges that wrap. Also the edges of the address space:
 * an aperture reaching UINT64_MAX, and one allocation covering all of it.
 */
#include <errno.h>

#include <siommu/iova.h>

#include "test.h"
#include "iova/iova_internal.h"	/* IOVA_REFILL */

struct siommu_iova;
int iova_tree_check(struct siommu_iova *iovad);

#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull

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

int main(void)
{
	bad_create();
	bad_calls(0);
	bad_calls(SIOMMU_IOVA_NO_CACHE);
	top_of_space(0);
	top_of_space(SIOMMU_IOVA_NO_CACHE);
	return 0;
}
