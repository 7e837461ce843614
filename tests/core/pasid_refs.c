/* SPDX-License-Identifier: MIT */
/*
 * Sharing a PASID: references from get/put and the allocation's, in either
 * order of release; a PASID is reused only after its last reference is gone;
 * the reference count saturates with -EOVERFLOW.
 */
#include <errno.h>

#include <siommu/pasid.h>

#include "test.h"

static void check_info(struct siommu_pasid_space *s, uint32_t p, uint64_t owner,
		       uint32_t refs, bool allocated)
{
	struct siommu_pasid_info info;

	CHECK_OK(siommu_pasid_query(s, p, &info));
	CHECK_EQ(info.owner, owner);
	CHECK_EQ(info.refs, refs);
	CHECK_EQ(info.allocated, allocated);
}

static uint32_t usage(struct siommu_pasid_space *s, uint64_t owner)
{
	struct siommu_pasid_owner_info oi;

	siommu_pasid_query_owner(s, owner, &oi);
	return oi.usage;
}

int main(void)
{
	struct siommu_pasid_space *s;
	struct siommu_pasid_info info;
	uint32_t p, q, i;

	CHECK_OK(siommu_pasid_space_create(NULL, &s));

	/* An SVA process: one PASID, three devices attach; the process goes
	 * away first, then the devices detach. */
	CHECK_OK(siommu_pasid_alloc(s, 1, 255, 42, &p));
	CHECK_EQ(p, 1);
	for (i = 0; i < 3; i++)
		CHECK_OK(siommu_pasid_get(s, p));
	check_info(s, p, 42, 4, true);
	CHECK_OK(siommu_pasid_free(s, p));
	check_info(s, p, 42, 3, false);
	CHECK_EQ(siommu_pasid_free(s, p), -ENOENT);
	check_info(s, p, 42, 3, false);
	/* Still occupied and still counted against the owner. */
	CHECK_OK(siommu_pasid_alloc(s, 1, 255, 43, &q));
	CHECK_EQ(q, 2);
	CHECK_EQ(usage(s, 42), 1);
	CHECK_OK(siommu_pasid_put(s, p));
	CHECK_OK(siommu_pasid_put(s, p));
	check_info(s, p, 42, 1, false);
	/* A window of just this PASID is full until the last put. */
	CHECK_EQ(siommu_pasid_alloc(s, 1, 1, 44, &q), -ENOSPC);
	CHECK_OK(siommu_pasid_put(s, p));
	CHECK_EQ(siommu_pasid_query(s, p, &info), -ENOENT);
	CHECK_EQ(siommu_pasid_put(s, p), -ENOENT);
	CHECK_EQ(siommu_pasid_get(s, p), -ENOENT);
	CHECK_EQ(usage(s, 42), 0);
	CHECK_OK(siommu_pasid_alloc(s, 1, 1, 44, &q));
	CHECK_EQ(q, 1);
	check_info(s, q, 44, 1, true);
	CHECK_OK(siommu_pasid_free(s, 1));
	CHECK_OK(siommu_pasid_free(s, 2));

	/* Devices detach first, then the process frees: freed at once. */
	CHECK_OK(siommu_pasid_alloc(s, 1, 255, 42, &p));
	CHECK_OK(siommu_pasid_get(s, p));
	CHECK_OK(siommu_pasid_get(s, p));
	CHECK_OK(siommu_pasid_put(s, p));
	CHECK_OK(siommu_pasid_put(s, p));
	CHECK_EQ(siommu_pasid_put(s, p), -ENOENT);
	check_info(s, p, 42, 1, true);
	CHECK_OK(siommu_pasid_free(s, p));
	CHECK_EQ(siommu_pasid_query(s, p, &info), -ENOENT);

	/* Saturation: up to SIOMMU_PASID_REFS_MAX references, then
	 * -EOVERFLOW with nothing changed. 16M locked increments: skipped
	 * under valgrind. */
	if (!getenv("SIOMMU_UNDER_VALGRIND")) {
		CHECK_OK(siommu_pasid_alloc(s, 1, 255, 42, &p));
		for (i = 1; i < SIOMMU_PASID_REFS_MAX; i++)
			if (siommu_pasid_get(s, p))
				CHECK(0);
		check_info(s, p, 42, SIOMMU_PASID_REFS_MAX, true);
		CHECK_EQ(siommu_pasid_get(s, p), -EOVERFLOW);
		check_info(s, p, 42, SIOMMU_PASID_REFS_MAX, true);
		CHECK_OK(siommu_pasid_put(s, p));
		CHECK_OK(siommu_pasid_get(s, p));
		CHECK_OK(siommu_pasid_free(s, p));
		check_info(s, p, 42, SIOMMU_PASID_REFS_MAX - 1, false);
		CHECK_OK(siommu_pasid_get(s, p));
		CHECK_EQ(siommu_pasid_get(s, p), -EOVERFLOW);
		for (i = 0; i < SIOMMU_PASID_REFS_MAX; i++)
			if (siommu_pasid_put(s, p))
				CHECK(0);
		CHECK_EQ(siommu_pasid_query(s, p, &info), -ENOENT);
		CHECK_EQ(usage(s, 42), 0);
	}
	siommu_pasid_space_destroy(s);
	return 0;
}
