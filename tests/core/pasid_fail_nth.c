/* SPDX-License-Identifier: MIT */
/*
 * Fail the n-th fallible step of every PASID operation, for n = 1, 2, ...
 * until the operation runs out of steps: each failure is -ENOMEM and leaves
 * every PASID, owner and count as it was; the operations that must not
 * allocate (free, get, put, queries, an alloc in known territory) consume
 * no step. Leaks show under the asan and valgrind setups.
 */
#include <errno.h>

#include <siommu/pasid.h>

#include "test.h"

#define NR_STEPS 300

struct model {
	uint32_t pasid[2 * NR_STEPS];
	uint64_t owner[2 * NR_STEPS];
	uint32_t n;
	uint64_t quota_owner[NR_STEPS];
	uint32_t nq;
};

static void check_model(struct siommu_pasid_space *s, const struct model *m,
			uint32_t owners)
{
	struct siommu_pasid_stats st;
	struct siommu_pasid_info info;
	struct siommu_pasid_owner_info oi;

	siommu_pasid_get_stats(s, &st);
	CHECK_EQ(st.in_use, m->n);
	CHECK_EQ(st.owners, owners);
	for (uint32_t i = 0; i < m->n; i++) {
		CHECK_OK(siommu_pasid_query(s, m->pasid[i], &info));
		CHECK_EQ(info.owner, m->owner[i]);
		CHECK_EQ(info.refs, 1);
		CHECK(info.allocated);
	}
	for (uint32_t i = 0; i < m->nq; i++) {
		siommu_pasid_query_owner(s, m->quota_owner[i], &oi);
		CHECK_EQ(oi.quota, 5);
	}
}

/* An operation that must not consume a fallible step. */
#define NO_STEP(fail_nth, expr)                                            \
	do {                                                               \
		fail_nth(1);                                               \
		CHECK_OK(expr);                                            \
		CHECK_EQ(fail_nth(0), 0);                                  \
	} while (0)

static struct siommu_mem *g_mem;

static uint64_t mem_arm(uint64_t n)
{
	return siommu_mem_fail_nth(g_mem, n);
}

int main(void)
{
	struct siommu_pasid_space *s;
	struct siommu_pasid_info info;
	struct siommu_pasid_owner_info oi;
	static struct model m;
	uint64_t n, steps, failures = 0;
	uint32_t owners = 0, p, k;
	int ret;

	CHECK_OK(siommu_mem_create(NULL, &g_mem));

	/* create */
	for (n = 1;; n++) {
		CHECK(n < 100);
		siommu_mem_fail_nth(g_mem, n);
		ret = siommu_pasid_space_create(g_mem, &s);
		steps = siommu_mem_fail_nth(g_mem, 0);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM);
		failures++;
	}
	CHECK(steps < n);

	for (k = 0; k < NR_STEPS; k++) {
		/* alloc for a new owner in a new chunk: both may grow */
		uint64_t id = 0x100000001b3ull * (k + 1);
		uint32_t min = 1 + k * 3072;	/* 3 chunks apart */

		for (n = 1;; n++) {
			CHECK(n < 100);
			siommu_mem_fail_nth(g_mem, n);
			ret = siommu_pasid_alloc(s, min, SIOMMU_PASID_MAX, id, &p);
			steps = siommu_mem_fail_nth(g_mem, 0);
			if (!ret)
				break;
			CHECK_EQ(ret, -ENOMEM);
			CHECK_EQ(siommu_pasid_query(s, min, &info), -ENOENT);
			siommu_pasid_query_owner(s, id, &oi);
			CHECK_EQ(oi.usage, 0);
			check_model(s, &m, owners);
			failures++;
		}
		CHECK(steps < n);
		CHECK_EQ(p, min);
		m.pasid[m.n] = p;
		m.owner[m.n++] = id;
		owners++;

		/* alloc for that owner again, next to it: nothing to fail */
		NO_STEP(mem_arm, siommu_pasid_alloc(s, min, SIOMMU_PASID_MAX, id, &p));
		CHECK_EQ(p, min + 1);
		m.pasid[m.n] = p;
		m.owner[m.n++] = id;

		/* a quota for an owner without PASIDs: the owner table grows */
		id = ~id;
		for (n = 1;; n++) {
			CHECK(n < 100);
			siommu_mem_fail_nth(g_mem, n);
			ret = siommu_pasid_set_quota(s, id, 5);
			steps = siommu_mem_fail_nth(g_mem, 0);
			if (!ret)
				break;
			CHECK_EQ(ret, -ENOMEM);
			siommu_pasid_query_owner(s, id, &oi);
			CHECK_EQ(oi.quota, SIOMMU_PASID_QUOTA_NONE);
			check_model(s, &m, owners);
			failures++;
		}
		CHECK(steps < n);
		m.quota_owner[m.nq++] = id;
		owners++;
		NO_STEP(mem_arm, siommu_pasid_set_quota(s, id, 5));
	}
	check_model(s, &m, owners);
	fprintf(stderr, "%" PRIu64 " injected failures\n", failures);
	CHECK(failures >= NR_STEPS);

	/* Nothing else has a step to fail. */
	for (k = 0; k < m.n; k++) {
		p = m.pasid[k];
		NO_STEP(mem_arm, siommu_pasid_get(s, p));
		NO_STEP(mem_arm, siommu_pasid_query(s, p, &info));
		NO_STEP(mem_arm, siommu_pasid_put(s, p));
		NO_STEP(mem_arm, siommu_pasid_free(s, p));
	}
	for (k = 0; k < m.nq; k++)
		NO_STEP(mem_arm, siommu_pasid_set_quota(s, m.quota_owner[k],
							SIOMMU_PASID_QUOTA_NONE));
	m.n = m.nq = 0;
	check_model(s, &m, 0);
	siommu_pasid_space_destroy(s);
	siommu_mem_destroy(g_mem);

	/* A space without a struct siommu_mem has its own countdown. */
	CHECK_OK(siommu_pasid_space_create(NULL, &s));
	for (n = 1;; n++) {
		CHECK(n < 100);
		siommu_pasid_fail_nth(s, n);
		ret = siommu_pasid_alloc(s, 1u << 19, SIOMMU_PASID_MAX, 9, &p);
		steps = siommu_pasid_fail_nth(s, 0);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM);
		CHECK_EQ(siommu_pasid_query(s, 1u << 19, &info), -ENOENT);
	}
	CHECK(n > 1 && steps < n);
	CHECK_EQ(p, 1u << 19);
	siommu_pasid_space_destroy(s);
	return 0;
}
