/* SPDX-License-Identifier: MIT */
/*
 * Every page-table format against a brute-force oracle: a flat array of
 * page -> (pa, prot, leaf) over a 4 GiB IOVA window placed at a random spot
 * of the address width. Random maps (4K runs, 2M- and 1G-aligned runs,
 * misaligned runs), unmaps (including ones that would cut a large leaf),
 * protects (which split the large leaves they cut, and only those) and
 * lookups; each result, down to the size of the leaf holding a page, is
 * predicted by the oracle, and the whole window is compared through
 * siommu_pt_for_each every few thousand operations.
 */
#include <errno.h>

#include <siommu/pt.h>

#include "pt_cases.h"
#include "test.h"

#define WINDOW (4ull << 30)
#define NPAGES (WINDOW >> 12)
#define UNMAPPED UINT64_MAX

struct oracle {
	uint64_t *pa;		/* per page; UNMAPPED if none */
	uint8_t *prot;
	uint8_t *order;		/* leaf size: 0 4K, 9 2M, 18 1G */
	uint64_t base;
};

static unsigned int norm_prot(enum siommu_pt_format f, unsigned int prot)
{
	if (f == SIOMMU_PT_X86_64 || f == SIOMMU_PT_ARM_S1)
		prot |= SIOMMU_PROT_READ;	/* no write-only pages */
	return prot;
}

static unsigned int rand_prot(struct test_rng *r, enum siommu_pt_format f)
{
	unsigned int p = 1 + test_rand_below(r, 3);	/* R, W or RW */

	if (!test_rand_below(r, 4))
		p |= SIOMMU_PROT_EXEC;
	if ((f == SIOMMU_PT_X86_64 || f == SIOMMU_PT_ARM_S1) &&
	    !test_rand_below(r, 4))
		p |= SIOMMU_PROT_PRIV;
	return p;
}

/* Leaf containing page i, from the oracle: [*first, *end) in pages. */
static void oracle_leaf(const struct oracle *o, uint64_t i, uint64_t *first,
			uint64_t *end)
{
	uint64_t n = 1ull << o->order[i];
	/* Leaves are aligned in IOVA; the window base is 1G-aligned. */
	*first = i & ~(n - 1);
	*end = *first + n;
}

/*
 * Split what the table splits when a protect's range starts or ends at
 * page @e: every leaf straddling it becomes leaves of the next size down.
 * Returns whether anything was split.
 */
static bool oracle_split_at(struct oracle *o, uint64_t e)
{
	uint64_t lf, le, p;
	bool split = false;

	while (e < NPAGES && o->pa[e] != UNMAPPED) {
		oracle_leaf(o, e, &lf, &le);
		if (lf == e)
			break;
		for (p = lf; p < le; p++)
			o->order[p] -= 9;
		split = true;
	}
	return split;
}

/* The leaf holding page @i, as iova_to_phys describes it, is the oracle's. */
static void check_leaf(struct siommu_pt *pt, const struct oracle *o, uint64_t i)
{
	struct siommu_pt_leaf leaf;
	uint64_t got, lf, le;
	int ret = siommu_pt_iova_to_phys(pt, o->base + (i << 12), &got, &leaf);

	if (o->pa[i] == UNMAPPED) {
		CHECK_EQ(ret, -ENOENT);
		return;
	}
	CHECK_OK(ret);
	oracle_leaf(o, i, &lf, &le);
	CHECK_EQ(got, o->pa[i]);
	CHECK_EQ(leaf.iova, o->base + (lf << 12));
	CHECK_EQ(leaf.size, (le - lf) << 12);
	CHECK_EQ(leaf.pa, o->pa[lf]);
	CHECK_EQ(leaf.prot, o->prot[i]);
}

static void record_map(struct siommu_pt *pt, struct oracle *o, uint64_t iova,
		       uint64_t pa, uint64_t len, unsigned int prot)
{
	uint64_t at = iova, last = iova + len - 1;

	while (at <= last) {
		struct siommu_pt_leaf leaf;
		uint64_t got, p;

		CHECK_OK(siommu_pt_iova_to_phys(pt, at, &got, &leaf));
		CHECK_EQ(got, pa + (at - iova));
		CHECK_EQ(leaf.iova, at);	/* leaves start where we look */
		CHECK(leaf.iova + leaf.size - 1 <= last);
		CHECK_EQ(leaf.prot, prot);
		for (p = 0; p < leaf.size >> 12; p++) {
			uint64_t i = ((at - o->base) >> 12) + p;

			o->pa[i] = pa + (at - iova) + (p << 12);
			o->prot[i] = prot;
			o->order[i] = __builtin_ctzll(leaf.size) - 12;
		}
		at += leaf.size;
		if (!at)
			break;
	}
}

static void gen_range(struct test_rng *r, uint64_t *iova, uint64_t *pa,
		      uint64_t *len, uint64_t base)
{
	unsigned int c = test_rand_below(r, 100);

	if (c < 55) {
		*len = (1 + test_rand_below(r, 32)) << 12;
		*iova = base + (test_rand_below(r, NPAGES - 32) << 12);
		*pa = test_rand_below(r, 1ull << 28) << 12;
	} else if (c < 85) {
		*len = (1 + test_rand_below(r, 3)) * SIOMMU_SZ_2M;
		if (test_rand_below(r, 2))
			*len += test_rand_below(r, 4) << 12;
		*iova = base + test_rand_below(r, (WINDOW >> 21) - 4) * SIOMMU_SZ_2M;
		*pa = test_rand_below(r, 1ull << 19) * SIOMMU_SZ_2M;
		if (!test_rand_below(r, 4))
			*pa += SIOMMU_SZ_4K;	/* forces 4K leaves */
	} else if (c < 97) {
		*len = (1 + test_rand_below(r, 1024)) << 12;
		*iova = base + (test_rand_below(r, NPAGES - 1024) << 12);
		*pa = test_rand_below(r, 1ull << 28) << 12;
	} else {
		*len = SIOMMU_SZ_1G;
		*iova = base + test_rand_below(r, (WINDOW >> 30) - 1) * SIOMMU_SZ_1G;
		*pa = test_rand_below(r, 1ull << 10) * SIOMMU_SZ_1G;
	}
}

struct cmp_ctx {
	const struct oracle *o;
	uint64_t next;		/* next page expected to be compared */
	uint64_t pages;
};

static int cmp_run(void *arg, const struct siommu_pt_run *run)
{
	struct cmp_ctx *c = arg;
	uint64_t i0 = (run->iova - c->o->base) >> 12, p;

	/* Everything between the previous run and this one is unmapped. */
	for (; c->next < i0; c->next++)
		CHECK_EQ(c->o->pa[c->next], UNMAPPED);
	for (p = 0; p < run->length >> 12; p++) {
		CHECK_EQ(c->o->pa[i0 + p], run->pa + (p << 12));
		CHECK_EQ(c->o->prot[i0 + p], run->prot);
	}
	c->next = i0 + (run->length >> 12);
	c->pages += run->length >> 12;
	return 0;
}

static void compare_all(struct siommu_pt *pt, const struct oracle *o)
{
	struct cmp_ctx c = { .o = o };

	CHECK_OK(siommu_pt_for_each(pt, o->base, WINDOW, cmp_run, &c));
	for (; c.next < NPAGES; c.next++)
		CHECK_EQ(o->pa[c.next], UNMAPPED);
}

static void run_case(const struct pt_case *pc, struct test_rng *r, uint64_t nops)
{
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct siommu_mem_stats st;
	struct oracle o;
	uint64_t op, i, nmaps = 0, nunmaps = 0, neinval = 0, neexist = 0;
	uint64_t nprotects = 0, nsplits = 0;
	uint64_t slots = (pc->max_iova + 1 - WINDOW) >> 30;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &pc->cfg, &pt));
	o.pa = malloc(NPAGES * sizeof(*o.pa));
	o.prot = calloc(NPAGES, 1);
	o.order = calloc(NPAGES, 1);
	CHECK(o.pa && o.prot && o.order);
	for (i = 0; i < NPAGES; i++)
		o.pa[i] = UNMAPPED;
	/* Alternate between the very top and a random spot of the width. */
	o.base = (test_rand_below(r, 2) ? slots : test_rand_below(r, slots + 1)) << 30;

	for (op = 0; op < nops; op++) {
		unsigned int kind = test_rand_below(r, 100);
		uint64_t iova, pa, len, first = 0, last_i, p;

		gen_range(r, &iova, &pa, &len, o.base);
		first = (iova - o.base) >> 12;
		last_i = first + (len >> 12) - 1;

		if (kind < 42) {
			unsigned int prot = rand_prot(r, pc->cfg.format);
			bool busy = false;
			int ret;

			for (p = first; p <= last_i && !busy; p++)
				busy = o.pa[p] != UNMAPPED;
			ret = siommu_pt_map(pt, iova, pa, len, prot);
			if (busy) {
				CHECK_EQ(ret, -EEXIST);
				neexist++;
				/* Nothing of the range may have changed. */
				for (p = first; p <= last_i; p++) {
					uint64_t got;
					int lr = siommu_pt_iova_to_phys(pt, o.base + (p << 12), &got, NULL);

					if (o.pa[p] == UNMAPPED)
						CHECK_EQ(lr, -ENOENT);
					else
						CHECK_EQ(got, o.pa[p]);
					if (len > (64u << 12))
						p += test_rand_below(r, 64);
				}
			} else {
				CHECK_OK(ret);
				record_map(pt, &o, iova, pa, len,
					   norm_prot(pc->cfg.format, prot));
				nmaps++;
			}
		} else if (kind < 76) {
			struct siommu_pt_gather g;
			uint64_t lf, le, expect = 0, done = ~0ull;
			bool cuts = false;
			int ret;

			if (o.pa[first] != UNMAPPED) {
				oracle_leaf(&o, first, &lf, &le);
				cuts |= lf != first;
			}
			if (o.pa[last_i] != UNMAPPED) {
				oracle_leaf(&o, last_i, &lf, &le);
				cuts |= le != last_i + 1;
			}
			for (p = first; p <= last_i; p++)
				expect += o.pa[p] != UNMAPPED;
			siommu_pt_gather_init(&g);
			ret = siommu_pt_unmap(pt, iova, len, &g, &done);
			if (cuts) {
				CHECK_EQ(ret, -EINVAL);
				CHECK_EQ(done, 0);
				CHECK_EQ(g.nr_pages, 0);
				neinval++;
			} else {
				CHECK_OK(ret);
				CHECK_EQ(done, expect << 12);
				if (done || g.nr_pages) {
					CHECK(g.start <= iova);
					CHECK(g.last >= iova + len - 1);
				}
				for (p = first; p <= last_i; p++)
					o.pa[p] = UNMAPPED;
				nunmaps++;
			}
			siommu_pt_gather_release(&g);
		} else if (kind < 90) {
			unsigned int prot = rand_prot(r, pc->cfg.format);
			struct siommu_pt_gather g;
			uint64_t before = siommu_pt_table_pages(pt);
			bool any = false, split;

			split = oracle_split_at(&o, first);
			split |= oracle_split_at(&o, last_i + 1);
			for (p = first; p <= last_i; p++) {
				if (o.pa[p] != UNMAPPED) {
					o.prot[p] = norm_prot(pc->cfg.format, prot);
					any = true;
				}
			}
			siommu_pt_gather_init(&g);
			CHECK_OK(siommu_pt_protect(pt, iova, len, prot, &g));
			/* A flush range that covers the change; table levels
			 * only where a leaf was split. */
			if (any) {
				CHECK(g.start <= iova);
				CHECK(g.last >= iova + len - 1);
			}
			CHECK_EQ(g.leaf_only, !split);
			CHECK_EQ(g.nr_pages, 0);
			CHECK_EQ(siommu_pt_table_pages(pt) > before, split);
			siommu_pt_gather_release(&g);
			check_leaf(pt, &o, first);
			check_leaf(pt, &o, last_i);
			if (first)
				check_leaf(pt, &o, first - 1);
			if (last_i + 1 < NPAGES)
				check_leaf(pt, &o, last_i + 1);
			nprotects++;
			nsplits += split;
		} else {
			for (p = 0; p < 16; p++) {
				uint64_t pg = test_rand_below(r, NPAGES), got;
				int lr = siommu_pt_iova_to_phys(pt, o.base + (pg << 12), &got, NULL);

				if (o.pa[pg] == UNMAPPED) {
					CHECK_EQ(lr, -ENOENT);
				} else {
					CHECK_OK(lr);
					CHECK_EQ(got, o.pa[pg]);
				}
				check_leaf(pt, &o, pg);
			}
		}
		if (op % 20000 == 19999)
			compare_all(pt, &o);
	}
	compare_all(pt, &o);
	fprintf(stderr, "%-10s base 0x%014" PRIx64 ": %" PRIu64 " ops, %" PRIu64
		" maps, %" PRIu64 " unmaps, %" PRIu64 " -EEXIST, %" PRIu64
		" -EINVAL, %" PRIu64 " protects (%" PRIu64 " splitting), %" PRIu64
		" table pages\n", pc->name, o.base, nops, nmaps, nunmaps, neexist, neinval,
		nprotects, nsplits, siommu_pt_table_pages(pt));
	/* The sequence reached every outcome (a short run may not). */
	CHECK(nmaps > nops / 20 && nunmaps > nops / 20);
	CHECK(nops < 10000 || (neexist && neinval && nprotects && nsplits));

	/* Unmapping the whole window frees every level below its 1G slots. */
	{
		struct siommu_pt_gather g;
		uint64_t done;

		siommu_pt_gather_init(&g);
		CHECK_OK(siommu_pt_unmap(pt, o.base, WINDOW, &g, &done));
		siommu_pt_gather_release(&g);
		for (i = 0; i < NPAGES; i++)
			o.pa[i] = UNMAPPED;
		compare_all(pt, &o);
		/* What stays: the root and the levels above the 1G slots. */
		CHECK(siommu_pt_table_pages(pt) <= 2 * pc->levels);
	}
	siommu_pt_destroy(pt);
	siommu_mem_get_stats(mem, &st);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
	siommu_mem_destroy(mem);
	free(o.pa);
	free(o.prot);
	free(o.order);
}

int main(void)
{
	struct test_rng r = test_rng_init(0x5107700ull);
	uint64_t nops = test_ops(100000);
	unsigned int i;

	for (i = 0; i < NR_PT_CASES; i++)
		run_case(&pt_cases[i], &r, nops);
	return 0;
}
