/* SPDX-License-Identifier: MIT */
/*
 * Per-owner quotas: -EDQUOT at the quota, a quota below the usage takes
 * nothing away, a PASID counts against its owner until its last reference
 * is gone, owners are independent, and owner records do not outlive their
 * PASIDs and quota.
 */
#include <errno.h>

#include <siommu/pasid.h>

#include "test.h"

static void check_owner(struct siommu_pasid_space *s, uint64_t owner,
			uint32_t use, uint32_t quota)
{
	struct siommu_pasid_owner_info oi;

	siommu_pasid_query_owner(s, owner, &oi);
	CHECK_EQ(oi.usage, use);
	CHECK_EQ(oi.quota, quota);
}

static uint32_t nr_owners(struct siommu_pasid_space *s)
{
	struct siommu_pasid_stats st;

	siommu_pasid_get_stats(s, &st);
	return st.owners;
}

int main(void)
{
	const uint64_t a = 0x1234567890abcdefull, b = 0, c = UINT64_MAX;
	struct siommu_pasid_space *s;
	uint32_t p[8], q, i;

	CHECK_OK(siommu_pasid_space_create(NULL, &s));
	check_owner(s, a, 0, SIOMMU_PASID_QUOTA_NONE);
	CHECK_OK(siommu_pasid_set_quota(s, a, 3));
	CHECK_EQ(nr_owners(s), 1);
	check_owner(s, a, 0, 3);
	for (i = 0; i < 3; i++)
		CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &p[i]));
	check_owner(s, a, 3, 3);
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &q), -EDQUOT);
	/* Quota is checked before space: a full window still says -EDQUOT. */
	CHECK_EQ(siommu_pasid_alloc(s, 1, 3, a, &q), -EDQUOT);
	/* Other owners are not affected, owner IDs 0 and ~0 included. */
	CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, b, &p[3]));
	CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, c, &p[4]));
	CHECK_EQ(nr_owners(s), 3);
	check_owner(s, b, 1, SIOMMU_PASID_QUOTA_NONE);

	/* Free with an attachment left: still counted. */
	CHECK_OK(siommu_pasid_get(s, p[0]));
	CHECK_OK(siommu_pasid_free(s, p[0]));
	check_owner(s, a, 3, 3);
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &q), -EDQUOT);
	CHECK_OK(siommu_pasid_put(s, p[0]));
	check_owner(s, a, 2, 3);
	CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &p[0]));

	/* Lowered below the usage: nothing taken, nothing more given. */
	CHECK_OK(siommu_pasid_set_quota(s, a, 1));
	check_owner(s, a, 3, 1);
	CHECK_OK(siommu_pasid_free(s, p[0]));
	CHECK_OK(siommu_pasid_free(s, p[1]));
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &q), -EDQUOT);
	CHECK_OK(siommu_pasid_free(s, p[2]));
	CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &p[0]));
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, a, &q), -EDQUOT);
	/* Quota 0: nothing at all. */
	CHECK_OK(siommu_pasid_set_quota(s, c, 0));
	CHECK_EQ(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX, c, &q), -EDQUOT);
	check_owner(s, c, 1, 0);

	/* Records go away with the last PASID of an owner without quota, and
	 * with the quota of an owner without PASIDs. */
	CHECK_OK(siommu_pasid_free(s, p[3]));
	CHECK_EQ(nr_owners(s), 2);
	check_owner(s, b, 0, SIOMMU_PASID_QUOTA_NONE);
	CHECK_OK(siommu_pasid_set_quota(s, a, SIOMMU_PASID_QUOTA_NONE));
	CHECK_EQ(nr_owners(s), 2);
	CHECK_OK(siommu_pasid_free(s, p[0]));
	CHECK_EQ(nr_owners(s), 1);
	CHECK_OK(siommu_pasid_free(s, p[4]));
	CHECK_EQ(nr_owners(s), 1);
	check_owner(s, c, 0, 0);
	CHECK_OK(siommu_pasid_set_quota(s, c, SIOMMU_PASID_QUOTA_NONE));
	CHECK_EQ(nr_owners(s), 0);
	/* Removing a quota that was never set. */
	CHECK_OK(siommu_pasid_set_quota(s, 77, SIOMMU_PASID_QUOTA_NONE));
	CHECK_EQ(nr_owners(s), 0);

	/* Many owners: the owner table grows, and shrinks back to nothing
	 * with records removed in an order unlike their insertion. */
	for (i = 0; i < 5000; i++) {
		CHECK_OK(siommu_pasid_set_quota(s, (uint64_t)i * 0x9e3779b97f4a7c15ull, 2));
		CHECK_OK(siommu_pasid_alloc(s, 1, SIOMMU_PASID_MAX,
					    (uint64_t)i * 0x9e3779b97f4a7c15ull, &q));
		CHECK_EQ(q, i + 1);
	}
	CHECK_EQ(nr_owners(s), 5000);
	for (i = 0; i < 5000; i++) {
		uint32_t k = (uint32_t)(((uint64_t)i * 761) % 5000);
		uint64_t id = (uint64_t)k * 0x9e3779b97f4a7c15ull;

		check_owner(s, id, 1, 2);
		CHECK_OK(siommu_pasid_set_quota(s, id, SIOMMU_PASID_QUOTA_NONE));
		CHECK_OK(siommu_pasid_free(s, k + 1));
		check_owner(s, id, 0, SIOMMU_PASID_QUOTA_NONE);
	}
	CHECK_EQ(nr_owners(s), 0);
	siommu_pasid_space_destroy(s);
	return 0;
}
