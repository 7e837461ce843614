/* SPDX-License-Identifier: MIT */
/*
 * Bad input to every PASID call gets its documented error and changes
 * nothing: ranges, PASID 0 and beyond the width, PASIDs never allocated or
 * already released, exhaustion of a window.
 */
#include <errno.h>

#include <siommu/pasid.h>

#include "test.h"

static void check_empty(struct siommu_pasid_space *s)
{
	struct siommu_pasid_stats st;

	siommu_pasid_get_stats(s, &st);
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(st.owners, 0);
}

int main(void)
{
	struct siommu_pasid_space *s;
	struct siommu_pasid_info info;
	struct siommu_pasid_stats st;
	uint32_t p = 0xdead, q;

	CHECK_OK(siommu_pasid_space_create(NULL, &s));
	check_empty(s);

	/* Ranges. */
	CHECK_EQ(siommu_pasid_alloc(s, 0, 10, 1, &p), -EINVAL);
	CHECK_EQ(siommu_pasid_alloc(s, 0, 0, 1, &p), -EINVAL);
	CHECK_EQ(siommu_pasid_alloc(s, 11, 10, 1, &p), -EINVAL);
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX + 1, 1, &p), -EINVAL);
	CHECK_EQ(siommu_pasid_alloc(s, SIOMMU_PASID_MAX + 1, SIOMMU_PASID_MAX + 1,
				    1, &p), -EINVAL);
	CHECK_EQ(siommu_pasid_alloc(s, 1, UINT32_MAX, 1, &p), -EINVAL);
	CHECK_EQ(p, 0xdead);
	check_empty(s);

	/* 0 and beyond the width. */
	for (unsigned int i = 0; i < 4; i++) {
		uint32_t bad = i == 0 ? 0 : i == 1 ? SIOMMU_PASID_MAX + 1 :
			       i == 2 ? 1u << 24 : UINT32_MAX;

		CHECK_EQ(siommu_pasid_free(s, bad), -EINVAL);
		CHECK_EQ(siommu_pasid_get(s, bad), -EINVAL);
		CHECK_EQ(siommu_pasid_put(s, bad), -EINVAL);
		CHECK_EQ(siommu_pasid_query(s, bad, &info), -EINVAL);
	}
	/* Never allocated: in a chunk that exists and in one that does not. */
	CHECK_OK(siommu_pasid_alloc(s, 1, 1, 7, &p));
	CHECK_EQ(p, 1);
	for (unsigned int i = 0; i < 3; i++) {
		uint32_t none = i == 0 ? 2 : i == 1 ? 5000 : SIOMMU_PASID_MAX;

		CHECK_EQ(siommu_pasid_free(s, none), -ENOENT);
		CHECK_EQ(siommu_pasid_get(s, none), -ENOENT);
		CHECK_EQ(siommu_pasid_put(s, none), -ENOENT);
		CHECK_EQ(siommu_pasid_query(s, none, &info), -ENOENT);
	}
	/* A put cannot drop the allocation reference. */
	CHECK_EQ(siommu_pasid_put(s, 1), -ENOENT);
	CHECK_OK(siommu_pasid_query(s, 1, &info));
	CHECK_EQ(info.refs, 1);
	CHECK(info.allocated);
	CHECK_EQ(info.owner, 7);

	/* Released: everything fails again, and nothing is left. */
	CHECK_OK(siommu_pasid_free(s, 1));
	CHECK_EQ(siommu_pasid_free(s, 1), -ENOENT);
	CHECK_EQ(siommu_pasid_get(s, 1), -ENOENT);
	CHECK_EQ(siommu_pasid_put(s, 1), -ENOENT);
	CHECK_EQ(siommu_pasid_query(s, 1, &info), -ENOENT);
	check_empty(s);

	/* Exhaustion of a 5-bit device's window, and only of that window. */
	for (uint32_t i = 1; i < 32; i++) {
		CHECK_OK(siommu_pasid_alloc(s, 1, 31, 9, &p));
		CHECK_EQ(p, i);
	}
	CHECK_EQ(siommu_pasid_alloc(s, 1, 31, 9, &p), -ENOSPC);
	CHECK_EQ(siommu_pasid_alloc(s, 31, 31, 9, &p), -ENOSPC);
	CHECK_EQ(p, 31);
	CHECK_OK(siommu_pasid_alloc(s, 1, 32, 9, &q));
	CHECK_EQ(q, 32);
	/* The lowest free is found after a hole opens. */
	CHECK_OK(siommu_pasid_free(s, 17));
	CHECK_OK(siommu_pasid_alloc(s, 1, 31, 9, &p));
	CHECK_EQ(p, 17);
	siommu_pasid_get_stats(s, &st);
	CHECK_EQ(st.in_use, 32);
	CHECK_EQ(st.owners, 1);
	for (uint32_t i = 1; i <= 32; i++)
		CHECK_OK(siommu_pasid_free(s, i));
	check_empty(s);

	/* The top PASID is allocatable; one past it is not. */
	CHECK_OK(siommu_pasid_alloc(s, SIOMMU_PASID_MAX, SIOMMU_PASID_MAX, 1, &p));
	CHECK_EQ(p, SIOMMU_PASID_MAX);
	CHECK_EQ(siommu_pasid_alloc(s, SIOMMU_PASID_MAX, SIOMMU_PASID_MAX, 1, &p),
		 -ENOSPC);
	CHECK_OK(siommu_pasid_free(s, SIOMMU_PASID_MAX));
	check_empty(s);

	/* Destroy with PASIDs, references and quotas still held. */
	CHECK_OK(siommu_pasid_alloc(s, 100, 200, 3, &p));
	CHECK_OK(siommu_pasid_get(s, p));
	CHECK_OK(siommu_pasid_set_quota(s, 4, 2));
	siommu_pasid_space_destroy(s);
	siommu_pasid_space_destroy(NULL);
	return 0;
}
