/* SPDX-License-Identifier: MIT */
/*
 * Fail the n-th fallible step of every page-table operation, for n = 1, 2, ...
 * until an operation runs out of steps: each failure must be -ENOMEM and
 * leave the table's mappings exactly as they were, and nothing may leak.
 * A protect that splits large leaves allocates only for the splits, which
 * change no translation: a failed one leaves every permission as it was.
 */
#include <errno.h>

#include <siommu/pt.h>

#include "pt_cases.h"
#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct snap { uint64_t sum, n; };

static int snap_run(void *arg, const struct siommu_pt_run *run)
{
	struct snap *s = arg;

	s->n++;
	s->sum = s->sum * 31 + run->iova * 7 + run->pa * 3 + run->length + run->prot;
	return 0;
}

static struct snap snapshot(struct siommu_pt *pt, const struct pt_case *pc)
{
	struct snap s = { 0, 0 };

	CHECK_OK(siommu_pt_for_each(pt, 0, pc->max_iova + 1, snap_run, &s));
	return s;
}

/* Ranges that need several new levels, straddling 1G and 2M boundaries. */
static const struct { uint64_t iova, pa, len; } maps[] = {
	{ 0x3ff000, 0x1000, 0x3000 },
	{ (1ull << 30) - 0x200000, 0x0, 0x400000 },
	{ (3ull << 30) - 0x1000, 0x2000, SIOMMU_SZ_1G + 0x2000 },
	{ 1ull << 38, 0x40000000, SIOMMU_SZ_1G },
};

/* One operation on the table, under a sweep. */
struct pt_op {
	bool protect;
	uint64_t iova, pa, len;
};

static int pt_op_run(struct siommu_pt *pt, const struct pt_op *op)
{
	struct siommu_pt_gather g;
	int ret;

	if (!op->protect)
		return siommu_pt_map(pt, op->iova, op->pa, op->len, RW);
	siommu_pt_gather_init(&g);
	ret = siommu_pt_protect(pt, op->iova, op->len, SIOMMU_PROT_READ, &g);
	siommu_pt_gather_release(&g);
	return ret;
}

/*
 * Fail step 1, 2, ... of @op until it succeeds: each failure is -ENOMEM
 * and leaves the mappings as they were. Returns the failures.
 */
static uint64_t sweep_op(struct siommu_mem *mem, struct siommu_pt *pt,
			 const struct pt_case *pc, const struct pt_op *op)
{
	uint64_t n, steps;
	int ret;

	for (n = 1;; n++) {
		struct snap before = snapshot(pt, pc), after;

		CHECK(n < 10000);
		siommu_mem_fail_nth(mem, n);
		ret = pt_op_run(pt, op);
		steps = siommu_mem_fail_nth(mem, 0);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM);
		after = snapshot(pt, pc);
		CHECK_EQ(after.n, before.n);
		CHECK_EQ(after.sum, before.sum);
	}
	CHECK(steps < n);
	return n - 1;
}

/* Nothing here was written by hardware: no page is dirty. */
static void no_dirty(void *arg, uint64_t iova, uint64_t length)
{
	(void)arg;
	fprintf(stderr, "dirty 0x%" PRIx64 "+0x%" PRIx64 "\n", iova, length);
	CHECK(false);
}

static void sweep_case(const struct pt_case *pc)
{
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct siommu_mem_stats st;
	uint64_t n, steps, failures = 0;
	unsigned int m;
	int ret;

	CHECK_OK(siommu_mem_create(NULL, &mem));

	/* create */
	for (n = 1;; n++) {
		CHECK(n < 100);
		siommu_mem_fail_nth(mem, n);
		ret = siommu_pt_create(mem, &pc->cfg, &pt);
		steps = siommu_mem_fail_nth(mem, 0);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM);
		siommu_mem_get_stats(mem, &st);
		CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
		failures++;
	}
	CHECK(steps < n);

	/* map, on a table that already holds the earlier maps */
	for (m = 0; m < sizeof(maps) / sizeof(maps[0]); m++) {
		const struct pt_op op = { false, maps[m].iova, maps[m].pa, maps[m].len };

		if (maps[m].iova + maps[m].len - 1 <= pc->max_iova)
			failures += sweep_op(mem, pt, pc, &op);
	}

	/* protect, cutting a 1G leaf and a 2M leaf (of the third map, where
	 * the table holds them) at both ends of the range */
	if (8ull << 30 <= pc->max_iova) {
		const struct pt_op op = { true, (8ull << 30) + 0x5000, 0, SIOMMU_SZ_1G + 0x1000 };
		uint64_t f;

		CHECK_OK(siommu_pt_map(pt, 8ull << 30, 0, SIOMMU_SZ_1G + SIOMMU_SZ_2M, RW));
		f = sweep_op(mem, pt, pc, &op);
		CHECK(f >= 2);
		failures += f;
	}

	/* lookups, dirty reads, unmap and release never fail and never
	 * allocate; nor does a protect that splits nothing */
	{
		struct siommu_pt_gather g;
		uint64_t done, pa;
		struct snap s;

		siommu_mem_fail_nth(mem, 1);
		CHECK_OK(siommu_pt_iova_to_phys(pt, maps[0].iova, &pa, NULL));
		s = snapshot(pt, pc);
		CHECK(s.n > 0);
		siommu_pt_gather_init(&g);
		CHECK_OK(siommu_pt_protect(pt, maps[0].iova, maps[0].len, SIOMMU_PROT_READ, &g));
		siommu_pt_gather_release(&g);
		ret = siommu_pt_read_and_clear_dirty(pt, 0, SIOMMU_SZ_1G * 4, 0, no_dirty, NULL);
		CHECK(ret == 0 || ret == -EOPNOTSUPP);
		siommu_pt_gather_init(&g);
		CHECK_OK(siommu_pt_unmap(pt, 0, SIOMMU_SZ_1G * 4, &g, &done));
		siommu_pt_gather_release(&g);
		CHECK_EQ(siommu_mem_fail_nth(mem, 0), 0);
	}
	siommu_pt_destroy(pt);
	siommu_mem_get_stats(mem, &st);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
	fprintf(stderr, "%-10s %" PRIu64 " injected failures, no change, no leak\n",
		pc->name, failures);
	CHECK(failures >= 4);
	siommu_mem_destroy(mem);
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < NR_PT_CASES; i++)
		sweep_case(&pt_cases[i]);
	return 0;
}
