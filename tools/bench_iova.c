/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench` entries of the IOVA allocator (issue 5, section 6):
 *  - iova_alloc_free: one siommu_iova_alloc + siommu_iova_free of 4K, the
 *    magazine fast path, against stack_pop_push (a bare array stack pop and
 *    push, the least a cache of free ranges could do); target <= 15.
 *  - iova_alloc_free_tree: the same through the tree (no caches), with 4096
 *    other allocations live so the tree has depth; report only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/iova.h>

#include "bench.h"

#define SZ_4K 0x1000ull

struct iova_arg {
	struct siommu_iova *iovad;
	int err;
};

static void alloc_free_run(void *arg, uint64_t iters)
{
	struct iova_arg *a = arg;
	uint64_t acc = 0;

	while (iters--) {
		uint64_t iova;

		if (siommu_iova_alloc(a->iovad, SZ_4K, UINT64_MAX, &iova) ||
		    siommu_iova_free(a->iovad, iova, SZ_4K))
			a->err = -EIO;
		acc += iova;
	}
	bench_sink(acc);
}

static int bench_one(struct bench_report *rep, const char *name,
		     unsigned int flags, unsigned int preload, uint64_t iters,
		     double target)
{
	struct siommu_iova_cfg cfg = { .start = 1ull << 20,
				       .last = (1ull << 48) - 1, .flags = flags };
	struct iova_arg a = { 0 };
	unsigned int i;
	uint64_t iova;
	int ret;

	ret = siommu_iova_create(&cfg, &a.iovad);
	if (ret)
		return ret;
	/* Live neighbours, every other granule: the tree's height is that of
	 * a busy domain, and no free merges with them. */
	for (i = 0; i < preload && !ret; i++)
		ret = siommu_iova_alloc(a.iovad, 2 * SZ_4K, UINT64_MAX, &iova);
	if (!ret) {
		bench_pair(rep, name, alloc_free_run, &a, "stack_pop_push",
			   stack_pop_push_run, NULL, iters, target);
		ret = a.err;
	}
	siommu_iova_destroy(a.iovad);
	return ret;
}

int bench_iova(struct bench_report *rep)
{
	int ret;

	ret = bench_one(rep, "iova_alloc_free", 0, 0, 1 << 16, 15);
	if (!ret)
		ret = bench_one(rep, "iova_alloc_free_tree", SIOMMU_IOVA_NO_CACHE,
				4096, 1 << 14, 0);
	return ret;
}
