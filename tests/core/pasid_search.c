/* SPDX-License-Identifier: MIT */
/*
 * The free-space search (a three-level bitmap) against its brute-force twin,
 * a linear scan of a plain array, at the boundaries where the levels meet:
 * 64-PASID words, 4096-PASID summary words, 262144-PASID top words, the ends
 * of the space, each +-1, with the space around them full, empty or holed.
 */
#include <errno.h>

#include <siommu/pasid.h>

#include "test.h"

#define N (SIOMMU_PASID_MAX + 1)

static uint8_t used[N];

/* Lowest free in [min, max], or 0. */
static uint32_t brute_find(uint32_t min, uint32_t max)
{
	for (uint32_t p = min; p <= max; p++)
		if (!used[p])
			return p;
	return 0;
}

static void take(struct siommu_pasid_space *s, uint32_t p)
{
	uint32_t got;

	CHECK(!used[p]);
	CHECK_OK(siommu_pasid_alloc(s, p, p, 1, &got));
	CHECK_EQ(got, p);
	used[p] = 1;
}

static void give(struct siommu_pasid_space *s, uint32_t p)
{
	CHECK(used[p]);
	CHECK_OK(siommu_pasid_free(s, p));
	used[p] = 0;
}

/* Allocate in [min, max], compare with the twin, then undo. */
static void probe(struct siommu_pasid_space *s, uint32_t min, uint32_t max)
{
	uint32_t want = brute_find(min, max), got = 0;
	int ret = siommu_pasid_alloc(s, min, max, 2, &got);

	if (!want) {
		CHECK_EQ(ret, -ENOSPC);
		return;
	}
	if (ret || got != want)
		fprintf(stderr, "probe [%u, %u]: got %u (%d), want %u\n", min, max,
			got, ret, want);
	CHECK_OK(ret);
	CHECK_EQ(got, want);
	CHECK_OK(siommu_pasid_free(s, got));
}

static const uint32_t bounds[] = {
	1, 63, 64, 4095, 4096, 1u << 18, 3u << 18, (1u << 18) + 4096,
	(1u << 19) + 64 * 7, SIOMMU_PASID_MAX - 4096, SIOMMU_PASID_MAX - 63,
	SIOMMU_PASID_MAX,
};

/* Probe from around every boundary (only < 0) or from 1 and around one. */
static void probe_around(struct siommu_pasid_space *s, int only)
{
	if (only >= 0)
		probe(s, 1, SIOMMU_PASID_MAX);
	for (unsigned int i = 0; i < (sizeof(bounds) / sizeof(bounds[0])); i++)
		for (int d = -2; d <= 2; d++) {
			if (only >= 0 && i != (unsigned int)only)
				break;
			int64_t min = (int64_t)bounds[i] + d;

			if (min < 1 || min > SIOMMU_PASID_MAX)
				continue;
			probe(s, (uint32_t)min, SIOMMU_PASID_MAX);
			for (unsigned int j = 0; j < (sizeof(bounds) / sizeof(bounds[0])); j++)
				for (int e = -1; e <= 1; e++) {
					int64_t max = (int64_t)bounds[j] + e;

					if (max >= min && max <= SIOMMU_PASID_MAX)
						probe(s, (uint32_t)min, (uint32_t)max);
				}
		}
}

/* Fill [first, last] (as far as free). */
static void fill(struct siommu_pasid_space *s, uint32_t first, uint32_t last)
{
	for (uint32_t p = first; p <= last; p++)
		if (!used[p])
			take(s, p);
}

static void drain(struct siommu_pasid_space *s, uint32_t first, uint32_t last)
{
	for (uint32_t p = first; p <= last; p++)
		if (used[p])
			give(s, p);
}

int main(void)
{
	struct test_rng rng = test_rng_init(0x5ea4c4);
	struct siommu_pasid_space *s;

	CHECK_OK(siommu_pasid_space_create(NULL, &s));
	used[0] = 1;

	/* Empty space. */
	probe_around(s, -1);

	/* Every boundary region full: the free PASID sits just past the
	 * filled run, at word, summary and top-level boundaries. */
	for (unsigned int i = 0; i < (sizeof(bounds) / sizeof(bounds[0])); i++) {
		uint32_t b = bounds[i];
		uint32_t lo = b > 5000 ? b - 5000 : 1;
		uint32_t hi = b + 70 > SIOMMU_PASID_MAX ? SIOMMU_PASID_MAX : b + 70;

		fill(s, lo, hi);
		probe_around(s, -1);
	}
	/* Full summary words and a full top word: [1, 2^18 + 4096]. */
	fill(s, 1, (1u << 18) + 4096 + 64);
	probe_around(s, -1);
	/* Punch single holes at boundaries, one at a time. */
	for (unsigned int i = 0; i < (sizeof(bounds) / sizeof(bounds[0])); i++) {
		uint32_t b = bounds[i];

		if (!used[b])
			continue;
		give(s, b);
		probe_around(s, (int)i);
		take(s, b);
	}
	/* Random holes in a dense region plus random probes. */
	for (unsigned int i = 0; i < 2000; i++) {
		uint32_t p = 1 + (uint32_t)test_rand_below(&rng, (1u << 18) + 4096);

		if (used[p])
			give(s, p);
	}
	for (unsigned int i = 0; i < 20000; i++) {
		uint32_t min = 1 + (uint32_t)test_rand_below(&rng, SIOMMU_PASID_MAX);
		uint32_t span = (uint32_t)test_rand_below(&rng, 1u << (test_rand(&rng) % 21));
		uint32_t max = min + span > SIOMMU_PASID_MAX ? SIOMMU_PASID_MAX : min + span;

		if (i & 1)
			min = 1 + (uint32_t)test_rand_below(&rng, (1u << 18) + 4096);
		if (max < min)
			max = min;
		probe(s, min, max);
	}
	drain(s, 1, SIOMMU_PASID_MAX);
	probe_around(s, -1);
	siommu_pasid_space_destroy(s);
	return 0;
}
