/* SPDX-License-Identifier: MIT */
/*
 * 200k random operations against a brute-force oracle: plain arrays of
 * references and owners, linear scans for the lowest free PASID and for an
 * owner's usage. Windows of devices of 5, 8, 16 and 20 PASID bits and random
 * sub-windows; a few owners with changing quotas; sharing through get/put;
 * errors. Every result is compared, and the whole state now and then.
 */
#include <errno.h>

#include <siommu/pasid.h>

#include "test.h"

#define N (SIOMMU_PASID_MAX + 1)
#define NR_OWNERS 6
#define NO_QUOTA SIOMMU_PASID_QUOTA_NONE

static struct {
	uint32_t refs[N];	/* all references; 0 = free */
	uint8_t allocated[N];	/* the allocation reference is held */
	uint8_t owner[N];	/* index into owner_ids */
	uint32_t quota[NR_OWNERS];
	uint32_t usage[NR_OWNERS];	/* checked against a scan in check_all */
	uint32_t in_use;
} o;

static const uint64_t owner_ids[NR_OWNERS] = {
	0, 1, 0x8000000000000000ull, UINT64_MAX, 0xfeedfacecafebeefull, 17,
};

/* Live PASIDs, for picking one at random; order does not matter. */
static uint32_t live[N];
static uint32_t nr_live;
static uint32_t live_pos[N];

static void live_add(uint32_t p)
{
	live_pos[p] = nr_live;
	live[nr_live++] = p;
}

static void live_del(uint32_t p)
{
	uint32_t i = live_pos[p], last = live[--nr_live];

	live[i] = last;
	live_pos[last] = i;
}

static uint32_t brute_usage(unsigned int ow)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < nr_live; i++)
		n += o.owner[live[i]] == ow;
	return n;
}

static int oracle_alloc(uint32_t min, uint32_t max, unsigned int ow,
			uint32_t *pasid)
{
	if (!min || min > max || max > SIOMMU_PASID_MAX)
		return -EINVAL;
	if (o.quota[ow] != NO_QUOTA && o.usage[ow] >= o.quota[ow])
		return -EDQUOT;
	for (uint32_t p = min; p <= max; p++) {
		if (o.refs[p])
			continue;
		o.refs[p] = 1;
		o.allocated[p] = 1;
		o.owner[p] = (uint8_t)ow;
		o.usage[ow]++;
		o.in_use++;
		live_add(p);
		*pasid = p;
		return 0;
	}
	return -ENOSPC;
}

static void oracle_release(uint32_t p)
{
	if (o.refs[p])
		return;
	o.usage[o.owner[p]]--;
	o.in_use--;
	live_del(p);
}

static int oracle_free(uint32_t p)
{
	if (!p || p > SIOMMU_PASID_MAX)
		return -EINVAL;
	if (!o.refs[p] || !o.allocated[p])
		return -ENOENT;
	o.allocated[p] = 0;
	o.refs[p]--;
	oracle_release(p);
	return 0;
}

static int oracle_get(uint32_t p)
{
	if (!p || p > SIOMMU_PASID_MAX)
		return -EINVAL;
	if (!o.refs[p])
		return -ENOENT;
	o.refs[p]++;
	return 0;
}

static int oracle_put(uint32_t p)
{
	if (!p || p > SIOMMU_PASID_MAX)
		return -EINVAL;
	if (o.refs[p] <= o.allocated[p])
		return -ENOENT;
	o.refs[p]--;
	oracle_release(p);
	return 0;
}

static void check_pasid(struct siommu_pasid_space *s, uint32_t p)
{
	struct siommu_pasid_info info;
	int ret = siommu_pasid_query(s, p, &info);

	if (!p || p > SIOMMU_PASID_MAX) {
		CHECK_EQ(ret, -EINVAL);
	} else if (!o.refs[p]) {
		CHECK_EQ(ret, -ENOENT);
	} else {
		CHECK_OK(ret);
		CHECK_EQ(info.refs, o.refs[p]);
		CHECK_EQ(info.allocated, o.allocated[p]);
		CHECK_EQ(info.owner, owner_ids[o.owner[p]]);
	}
}

static void check_all(struct siommu_pasid_space *s, uint32_t upto)
{
	struct siommu_pasid_stats st;
	uint32_t owners = 0;

	for (uint32_t p = 0; p <= upto; p++)
		check_pasid(s, p);
	for (uint32_t i = 0; i < nr_live; i++)
		check_pasid(s, live[i]);
	for (unsigned int ow = 0; ow < NR_OWNERS; ow++) {
		struct siommu_pasid_owner_info oi;
		uint32_t use = brute_usage(ow);

		CHECK_EQ(use, o.usage[ow]);

		siommu_pasid_query_owner(s, owner_ids[ow], &oi);
		CHECK_EQ(oi.usage, use);
		CHECK_EQ(oi.quota, o.quota[ow]);
		owners += use || o.quota[ow] != NO_QUOTA;
	}
	siommu_pasid_get_stats(s, &st);
	CHECK_EQ(st.in_use, o.in_use);
	CHECK_EQ(st.owners, owners);
}

/* A window a device of some width could ask for. */
static void pick_window(struct test_rng *r, uint32_t *min, uint32_t *max)
{
	static const unsigned int widths[] = { 5, 8, 16, 20 };
	unsigned int k = (unsigned int)test_rand_below(r, 8);

	if (k < 4) {
		*min = 1;
		*max = (1u << widths[k]) - 1;
	} else if (k < 6) {
		/* A narrow window anywhere: crosses words and summary words. */
		*min = 1 + (uint32_t)test_rand_below(r, SIOMMU_PASID_MAX);
		*max = *min + (uint32_t)test_rand_below(r, 200);
		if (*max > SIOMMU_PASID_MAX)
			*max = SIOMMU_PASID_MAX;
	} else if (k == 6) {
		/* A window near the densely used low range. */
		*min = 1 + (uint32_t)test_rand_below(r, 600);
		*max = *min + (uint32_t)test_rand_below(r, 300);
	} else {
		/* Occasionally invalid. */
		*min = (uint32_t)test_rand_below(r, 3);
		*max = (uint32_t)test_rand_below(r, 2) ? *min - 1 : SIOMMU_PASID_MAX + 1;
	}
}

/* A PASID worth operating on: mostly live ones, sometimes any. */
static uint32_t pick_pasid(struct test_rng *r)
{
	uint64_t k = test_rand_below(r, 10);

	if (nr_live && k < 8)
		return live[test_rand_below(r, nr_live)];
	if (k == 8)
		return (uint32_t)test_rand_below(r, 600);
	return (uint32_t)test_rand_below(r, 1u << 21);
}

int main(void)
{
	struct test_rng rng = test_rng_init(0xa11ce);
	struct siommu_pasid_space *s;
	uint64_t ops = test_ops(200000), i;
	uint64_t counts[8] = { 0 };

	for (unsigned int ow = 0; ow < NR_OWNERS; ow++)
		o.quota[ow] = NO_QUOTA;
	CHECK_OK(siommu_pasid_space_create(NULL, &s));

	for (i = 0; i < ops; i++) {
		unsigned int op = (unsigned int)test_rand_below(&rng, 100);
		/* Hover around a few thousand live PASIDs (the oracle's
		 * scans stay short), then let frees win. */
		unsigned int alloc_pct = i > ops * 3 / 4 ? 25 : nr_live < 5000 ? 50 : 30;
		int want, got;

		if (op < alloc_pct) {
			unsigned int ow = (unsigned int)test_rand_below(&rng, NR_OWNERS);
			uint32_t min, max, pw = 0, pg = 0;

			pick_window(&rng, &min, &max);
			want = oracle_alloc(min, max, ow, &pw);
			got = siommu_pasid_alloc(s, min, max, owner_ids[ow], &pg);
			CHECK_EQ(got, want);
			if (!got)
				CHECK_EQ(pg, pw);
			counts[got == 0 ? 0 : got == -ENOSPC ? 1 : got == -EDQUOT ? 2 : 3]++;
		} else if (op < 65) {
			uint32_t p = pick_pasid(&rng);

			want = oracle_free(p);
			CHECK_EQ(siommu_pasid_free(s, p), want);
			counts[4] += !want;
		} else if (op < 80) {
			uint32_t p = pick_pasid(&rng);

			want = oracle_get(p);
			CHECK_EQ(siommu_pasid_get(s, p), want);
			counts[5] += !want;
		} else if (op < 95) {
			uint32_t p = pick_pasid(&rng);

			want = oracle_put(p);
			CHECK_EQ(siommu_pasid_put(s, p), want);
			counts[6] += !want;
		} else if (op < 97) {
			unsigned int ow = (unsigned int)test_rand_below(&rng, NR_OWNERS);
			uint64_t k = test_rand_below(&rng, 4);
			uint32_t q = k == 0 ? NO_QUOTA : k == 1 ? 0 :
				     (uint32_t)test_rand_below(&rng, 3000);

			CHECK_OK(siommu_pasid_set_quota(s, owner_ids[ow], q));
			o.quota[ow] = q;
			counts[7]++;
		} else {
			check_pasid(s, pick_pasid(&rng));
		}
		if (i % 20000 == 0)
			check_all(s, 4096);
	}
	check_all(s, 70000);
	fprintf(stderr, "alloc ok %" PRIu64 " nospc %" PRIu64 " dquot %" PRIu64
		" inval %" PRIu64 "; free %" PRIu64 " get %" PRIu64 " put %" PRIu64
		" quota %" PRIu64 "; live at end %u\n", counts[0], counts[1],
		counts[2], counts[3], counts[4], counts[5], counts[6], counts[7],
		nr_live);
	/* Every outcome must have happened. */
	for (unsigned int k = 0; k < 8; k++)
		CHECK(counts[k] > 0);

	/* Drop everything: the space ends empty. */
	while (nr_live) {
		uint32_t p = live[nr_live - 1];

		while (o.refs[p] > o.allocated[p]) {
			CHECK_OK(siommu_pasid_put(s, p));
			oracle_put(p);
		}
		if (o.refs[p]) {
			CHECK_OK(siommu_pasid_free(s, p));
			oracle_free(p);
		}
	}
	check_all(s, 4096);
	siommu_pasid_space_destroy(s);
	return 0;
}
