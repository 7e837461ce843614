/* SPDX-License-Identifier: MIT */
/*
 * All 2^20 - 1 PASIDs: allocated in order (each the lowest free), the space
 * then full for every window, memory within its bound, then freed in a
 * random order and allocated again in a random order of holes; timed.
 */
#include <errno.h>
#include <time.h>

#include <siommu/pasid.h>

#include "test.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
	struct test_rng rng = test_rng_init(0xf011);
	struct siommu_pasid_space *s;
	struct siommu_pasid_stats st;
	struct siommu_pasid_owner_info oi;
	uint32_t *perm, p, i, n = SIOMMU_PASID_MAX;
	double t0, t1, t2, t3;

	perm = malloc((size_t)n * sizeof(*perm));
	CHECK(perm);
	CHECK_OK(siommu_pasid_space_create(NULL, &s));

	t0 = now_s();
	for (i = 1; i <= n; i++) {
		if (siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, i & 7, &p) || p != i) {
			fprintf(stderr, "alloc %u got %u\n", i, p);
			CHECK(0);
		}
	}
	t1 = now_s();
	siommu_pasid_get_stats(s, &st);
	CHECK_EQ(st.in_use, n);
	CHECK_EQ(st.owners, 8);
	/* 8 bytes per PASID, the bitmaps, small change. */
	fprintf(stderr, "full space: %" PRIu64 " bytes\n", st.bytes);
	CHECK(st.bytes < 8u * (1u << 20) + (1u << 18));
	siommu_pasid_query_owner(s, 3, &oi);
	CHECK_EQ(oi.usage, (1u << 17));
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, 1, &p), -ENOSPC);
	CHECK_EQ(siommu_pasid_alloc(s, 1, 31, 1, &p), -ENOSPC);
	CHECK_EQ(siommu_pasid_alloc(s, SIOMMU_PASID_MAX, SIOMMU_PASID_MAX, 1, &p),
		 -ENOSPC);
	CHECK_EQ(siommu_pasid_alloc(s, 1u << 19, (1u << 19) + 4095, 1, &p), -ENOSPC);

	for (i = 0; i < n; i++)
		perm[i] = i + 1;
	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)test_rand_below(&rng, i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	/* Free half in random order, then check the lowest hole is found
	 * from any start, then free the rest. */
	t2 = now_s();
	for (i = 0; i < n; i++) {
		if (siommu_pasid_free(s, perm[i]))
			CHECK(0);
		if (i == n / 2) {
			uint32_t lo = SIOMMU_PASID_MAX;

			for (uint32_t k = 0; k <= i; k++)
				lo = perm[k] < lo ? perm[k] : lo;
			CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, 1, &p));
			CHECK_EQ(p, lo);
			CHECK_OK(siommu_pasid_free(s, p));
		}
	}
	t3 = now_s();
	siommu_pasid_get_stats(s, &st);
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(st.owners, 0);

	/* Refill through single-PASID windows in random order. */
	for (i = 0; i < n; i++)
		if (siommu_pasid_alloc(s, perm[i], perm[i], 5, &p) || p != perm[i])
			CHECK(0);
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, 1, &p), -ENOSPC);
	fprintf(stderr, "alloc 2^20-1 in order: %.3f s; free in random order: %.3f s\n",
		t1 - t0, t3 - t2);
	/* Generous: about 0.1 s here; a quadratic structure would take hours. */
	CHECK(t1 - t0 < 5 && t3 - t2 < 5);
	siommu_pasid_space_destroy(s);
	free(perm);
	return 0;
}
