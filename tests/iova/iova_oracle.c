/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator against its brute-force twin (iova_oracle.h), on random
 * sequences of alloc, free and reserve with random sizes and limits.
 *
 * Without caches (SIOMMU_IOVA_NO_CACHE) placement is exact: every result,
 * including -ENOSPC, must be the oracle's highest fit. With caches, a result
 * must be free in the oracle, size-aligned, below the limit and never
 * reserved, and -ENOSPC must come exactly when the oracle finds no fit (the
 * allocator flushes its caches before giving up). The tree's invariants
 * (order, gaps, augmentation, colours) are checked after every operation.
 */
#include "iova_oracle.h"

/* Test hook from src/iova/iova_internal.h. */
struct siommu_iova;
int iova_tree_check(struct siommu_iova *iovad);

#define MAX_LIVE 512

struct live {
	uint64_t iova, size, pfn, pages;
};

static void check_stats(struct siommu_iova *iovad, const struct oracle *o,
			bool exact)
{
	struct siommu_iova_stats st;
	uint64_t i, free_pages = 0, alloc_pages = 0, res_pages = 0;

	siommu_iova_get_stats(iovad, &st);
	for (i = 0; i < o->npages; i++) {
		free_pages += o->page[i] == ORC_FREE;
		alloc_pages += o->page[i] == ORC_ALLOC;
		res_pages += o->page[i] == ORC_RESERVED;
	}
	CHECK_EQ(st.allocated_bytes, alloc_pages << o->shift);
	CHECK_EQ(st.reserved_bytes, res_pages << o->shift);
	CHECK_EQ(st.aperture_bytes, o->npages << o->shift);
	if (exact)
		CHECK_EQ(st.free_bytes, free_pages << o->shift);
	else
		CHECK_EQ(st.free_bytes + st.cached_bytes, free_pages << o->shift);
}

static void run(struct test_rng *rng, uint64_t start, uint64_t size,
		unsigned int shift, unsigned int flags, uint64_t ops)
{
	struct siommu_iova_cfg cfg = {
		.start = start, .last = start + size - 1,
		.granule = 1ull << shift, .flags = flags,
	};
	bool exact = flags & SIOMMU_IOVA_NO_CACHE;
	uint64_t g = 1ull << shift, op, i;
	struct live live[MAX_LIVE];
	unsigned int nlive = 0;
	struct siommu_iova *iovad;
	struct oracle o;

	oracle_init(&o, start, size, shift);
	CHECK_OK(siommu_iova_create(&cfg, &iovad));

	for (op = 0; op < ops; op++) {
		uint64_t r = test_rand_below(rng, 100);

		if (r < 3) {
			/* Reserve a small range, possibly overlapping others
			 * or the aperture edges. */
			uint64_t lo = start + test_rand_below(rng, size);
			uint64_t len = 1 + test_rand_below(rng, 8 * g);
			uint64_t plo, phi, p;
			bool busy = false;
			int ret;

			if (lo >= g && !test_rand_below(rng, 8))
				lo -= g;	/* straddle the aperture start */
			if (lo + len - 1 < lo)
				len = 0 - lo;	/* end at 2^64 exactly */
			plo = lo >> shift;
			phi = (lo + len - 1) >> shift;
			for (p = plo; p <= phi; p++)
				if (p >= o.start_pfn && p < o.start_pfn + o.npages &&
				    o.page[p - o.start_pfn] == ORC_ALLOC)
					busy = true;
			ret = siommu_iova_reserve(iovad, lo, len);
			if (!exact && ret == -EBUSY && !busy) {
				/* Cached ranges count as busy: flush, retry. */
				siommu_iova_flush_caches(iovad);
				ret = siommu_iova_reserve(iovad, lo, len);
			}
			CHECK_EQ(ret, busy ? -EBUSY : 0);
			if (!busy)
				for (p = plo; p <= phi; p++)
					if (p >= o.start_pfn &&
					    p < o.start_pfn + o.npages)
						o.page[p - o.start_pfn] = ORC_RESERVED;
		} else if (r < 55 && nlive < MAX_LIVE) {
			/* Mostly small sizes, some large ones, rounding
			 * inside granules too. */
			uint64_t sz = r < 45 ? 1 + test_rand_below(rng, 40 * g)
					     : 1 + test_rand_below(rng, size / 4);
			uint64_t limit = test_rand_below(rng, 4) ? UINT64_MAX
				: start + test_rand_below(rng, size + 2 * g);
			uint64_t want = 0, got = 0, n, align;
			int ret = siommu_iova_alloc(iovad, sz, limit, &got);
			int oret = oracle_fit(&o, sz, limit, &want);

			oracle_shape(&o, sz, &n, &align);
			CHECK_EQ(ret, oret);
			if (!ret) {
				uint64_t pfn = got >> shift;

				if (exact)
					CHECK_EQ(pfn, want);
				CHECK_EQ(got & (g - 1), 0);
				CHECK_EQ(pfn % align, 0);
				CHECK(oracle_range_is(&o, pfn, n, ORC_FREE));
				CHECK(((pfn + n) << shift) - 1 <= limit);
				oracle_set(&o, pfn, n, ORC_ALLOC);
				live[nlive++] = (struct live){ got, sz, pfn, n };
			}
		} else if (nlive) {
			i = test_rand_below(rng, nlive);
			CHECK_OK(siommu_iova_free(iovad, live[i].iova, live[i].size));
			oracle_set(&o, live[i].pfn, live[i].pages, ORC_FREE);
			live[i] = live[--nlive];
		}
		CHECK_OK(iova_tree_check(iovad));
		if (op % 64 == 0)
			check_stats(iovad, &o, exact);
	}

	/* Free everything: with the caches flushed, the aperture (a power of
	 * two, aligned to itself, minus reserved ranges) is whole again. */
	while (nlive) {
		nlive--;
		CHECK_OK(siommu_iova_free(iovad, live[nlive].iova, live[nlive].size));
		oracle_set(&o, live[nlive].pfn, live[nlive].pages, ORC_FREE);
	}
	siommu_iova_flush_caches(iovad);
	CHECK_OK(iova_tree_check(iovad));
	check_stats(iovad, &o, true);
	{
		struct siommu_iova_stats st;
		uint64_t run_len = 0, best = 0;

		siommu_iova_get_stats(iovad, &st);
		CHECK_EQ(st.cached_bytes, 0);
		for (i = 0; i < o.npages; i++) {
			run_len = o.page[i] == ORC_FREE ? run_len + 1 : 0;
			if (run_len > best)
				best = run_len;
		}
		CHECK_EQ(st.largest_free_bytes, best << shift);
	}
	siommu_iova_destroy(iovad);
	oracle_fini(&o);
}

int main(void)
{
	struct test_rng rng = test_rng_init(0x10ad1e55);
	uint64_t ops = test_ops(6000);

	/* 16M at 16M (4096 pages of 4K): exact, then with caches. */
	run(&rng, 16ull << 20, 16ull << 20, 12, SIOMMU_IOVA_NO_CACHE, ops);
	run(&rng, 16ull << 20, 16ull << 20, 12, 0, ops);
	/* An aperture starting at 0, and one reaching the top of 2^64, with
	 * 64K granules. */
	run(&rng, 0, 8ull << 20, 12, SIOMMU_IOVA_NO_CACHE, ops);
	run(&rng, 0ull - (256ull << 20), 256ull << 20, 16, SIOMMU_IOVA_NO_CACHE, ops);
	run(&rng, 0ull - (256ull << 20), 256ull << 20, 16, 0, ops);
	return 0;
}
