/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the IOVA allocator: every fallible step of create,
 * alloc (through the tree, with and without a new live-map page) and
 * reserve is failed in turn. A failed call returns -ENOMEM and leaves the
 * allocator as it was (statistics and tree invariants); a sweep ends when a
 * call succeeds without reaching the armed step. Free and flush_caches
 * consume no step. Creation is swept through
 * a siommu_mem's countdown (cfg.mem), the rest through siommu_iova_fail_nth.
 */
#include <errno.h>

#include <siommu/iova.h>
#include <siommu/mem.h>

#include "test.h"

struct siommu_iova;
int iova_tree_check(struct siommu_iova *iovad);

#define MAX_STEPS 64
#define SZ_4K 0x1000ull
#define SZ_16M (16ull << 20)

static struct siommu_iova_stats snap(struct siommu_iova *iovad)
{
	struct siommu_iova_stats st;

	siommu_iova_get_stats(iovad, &st);
	st.cache_hits = st.cache_misses = 0;
	return st;
}

static void sweep_create(struct siommu_mem *mem, unsigned int flags)
{
	struct siommu_iova_cfg cfg = { .start = 0, .last = (1ull << 48) - 1,
				       .flags = flags, .mem = mem };
	struct siommu_iova *iovad;
	uint64_t n;

	for (n = 1; n < MAX_STEPS; n++) {
		uint64_t steps;
		int ret;

		siommu_mem_fail_nth(mem, n);
		ret = siommu_iova_create(&cfg, &iovad);
		steps = siommu_mem_fail_nth(mem, 0);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			continue;
		}
		CHECK(steps < n);
		siommu_iova_destroy(iovad);
		fprintf(stderr, "create (flags %u): %" PRIu64 " steps\n", flags, n - 1);
		return;
	}
	CHECK(!"create never succeeded");
}

enum op { OP_ALLOC_TREE, OP_ALLOC_CACHED_NEW_LEAF, OP_RESERVE };

/* One sweep of @op; the successful call is undone where it can be. */
static void sweep_op(struct siommu_iova *iovad, enum op op, uint64_t arg)
{
	struct siommu_iova_stats before = snap(iovad), now;
	uint64_t n, x = 0;

	for (n = 1; n < MAX_STEPS; n++) {
		uint64_t steps;
		int ret;

		siommu_iova_fail_nth(iovad, n);
		switch (op) {
		case OP_ALLOC_TREE:
			ret = siommu_iova_alloc(iovad, 1 << 20, UINT64_MAX, &x);
			break;
		case OP_ALLOC_CACHED_NEW_LEAF:
			/* Below a limit no allocation has reached yet, so
			 * its live-map page (and maybe directory) is new. */
			ret = siommu_iova_alloc(iovad, SZ_4K, arg, &x);
			break;
		default:
			ret = siommu_iova_reserve(iovad, arg, 3 * SZ_4K);
			break;
		}
		steps = siommu_iova_fail_nth(iovad, 0);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			now = snap(iovad);
			CHECK(!memcmp(&now, &before, sizeof(now)));
			CHECK_OK(iova_tree_check(iovad));
			continue;
		}
		CHECK(steps < n);
		CHECK_OK(iova_tree_check(iovad));
		/* Freeing (and flushing the caches) takes no step. */
		siommu_iova_fail_nth(iovad, 1);
		if (op != OP_RESERVE)
			CHECK_OK(siommu_iova_free(iovad, x, op == OP_ALLOC_TREE ? 1 << 20 : SZ_4K));
		siommu_iova_flush_caches(iovad);
		CHECK_EQ(siommu_iova_fail_nth(iovad, 0), 0);
		return;
	}
	CHECK(!"operation never succeeded");
}

static void sweep_ops(struct siommu_iova *iovad)
{
	uint64_t limit = (1ull << 48) - 1;
	int i;

	for (i = 0; i < 3; i++) {
		sweep_op(iovad, OP_ALLOC_TREE, 0);
		sweep_op(iovad, OP_RESERVE, (1ull << 40) + i * SZ_16M);
		/* Each step down by 16M reaches a live-map page of its own;
		 * by 8G, a new directory too. */
		sweep_op(iovad, OP_ALLOC_CACHED_NEW_LEAF, limit);
		limit -= SZ_16M;
		sweep_op(iovad, OP_ALLOC_CACHED_NEW_LEAF, limit);
		limit -= 8ull << 30;
	}
	/* Nothing injected once disarmed. */
	CHECK_OK(iova_tree_check(iovad));
}

int main(void)
{
	struct siommu_mem_cfg mc = { 0 };
	struct siommu_iova_cfg cfg = { .start = 0, .last = (1ull << 48) - 1 };
	struct siommu_mem *mem;
	struct siommu_iova *iovad;

	CHECK_OK(siommu_mem_create(&mc, &mem));
	sweep_create(mem, 0);
	sweep_create(mem, SIOMMU_IOVA_NO_CACHE);

	/* Through the address space's countdown... */
	cfg.mem = mem;
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	sweep_ops(iovad);
	siommu_iova_destroy(iovad);
	/* ...and through the allocator's own. */
	cfg.mem = NULL;
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	sweep_ops(iovad);
	siommu_iova_destroy(iovad);
	cfg.flags = SIOMMU_IOVA_NO_CACHE;
	CHECK_OK(siommu_iova_create(&cfg, &iovad));
	sweep_ops(iovad);
	siommu_iova_destroy(iovad);

	siommu_mem_destroy(mem);
	return 0;
}
