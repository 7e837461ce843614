/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench pt`: map, unmap and iova_to_phys of each page-table format,
 * against walk4 (a bare chain of 4 dependent loads through hot tables).
 *
 * Each round times a batch of the subject and then a batch of walk4, so both
 * see the same machine state; the medians over rounds give the ratio.
 * Map and unmap are timed separately within one round (a map batch, then the
 * unmap batch that undoes it), so the table is in the same state at the
 * start of every round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/pt.h>

#include "bench.h"

struct fmt_case {
	const char *name;
	struct siommu_pt_cfg cfg;
};

static const struct fmt_case cases[] = {
	{ "x86_64_4l", { .format = SIOMMU_PT_X86_64, .ias = 48 } },
	{ "x86_64_5l", { .format = SIOMMU_PT_X86_64, .ias = 57 } },
	{ "vtd_ss", { .format = SIOMMU_PT_VTD_SS, .ias = 48 } },
	{ "arm_s1", { .format = SIOMMU_PT_ARM_S1, .ias = 48 } },
	{ "arm_s2", { .format = SIOMMU_PT_ARM_S2, .ias = 48 } },
};

/* walk4 ns/op for one batch. */
static double time_walk4(struct walk4 *w, uint64_t iters)
{
	uint64_t t0 = bench_now_ns();

	walk4_run(w, iters);
	return (double)(bench_now_ns() - t0) / iters;
}

struct map_shape {
	const char *map_name, *unmap_name;
	uint64_t pgsize;	/* bytes per page */
	uint64_t pages;		/* pages per call */
	uint64_t calls;		/* calls per batch */
	double map_target, unmap_target;
};

/*
 * One shape: `calls` map calls of `pages` pages each at distinct IOVAs, then
 * the unmap calls that undo them; per-call time of each against walk4.
 */
static int bench_shape(struct bench_report *rep, const char *fmt,
		       struct siommu_pt *pt, struct walk4 *w,
		       const struct map_shape *s)
{
	static double tm[BENCH_ROUNDS_MAX], tu[BENCH_ROUNDS_MAX], tb[BENCH_ROUNDS_MAX];
	uint64_t len = s->pgsize * s->pages, start = 0;
	unsigned int r;
	/* 1G-aligned and away from 0, where the other shapes don't reach. */
	uint64_t base = 1ull << 36;
	char name[64];

	/* Round 0 warms up: it allocates the table levels. */
	for (r = 0; !r || bench_more(rep->opts, r - 1, start); r++) {
		uint64_t t0, t1, t2, c;

		t0 = bench_now_ns();
		for (c = 0; c < s->calls; c++) {
			int ret = siommu_pt_map(pt, base + c * len, c * len, len,
						SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
			if (ret)
				return ret;
		}
		t1 = bench_now_ns();
		for (c = 0; c < s->calls; c++) {
			uint64_t done;

			/* No level is freed by these (none is fully covered
			 * by one call), so no gather is needed. */
			siommu_pt_unmap(pt, base + c * len, len, NULL, &done);
			if (done != len)
				return -EIO;
		}
		t2 = bench_now_ns();
		if (!r) {
			start = t2;
			continue;
		}
		tm[r - 1] = (double)(t1 - t0) / s->calls;
		tu[r - 1] = (double)(t2 - t1) / s->calls;
		tb[r - 1] = time_walk4(w, 4096);
	}
	snprintf(name, sizeof(name), "%s.%s", fmt, s->map_name);
	/* Both share the baseline's rounds; the first call sorts them. */
	bench_record_rounds(rep, name, tm, "walk4", tb, r - 1, s->map_target);
	if (s->unmap_name) {
		snprintf(name, sizeof(name), "%s.%s", fmt, s->unmap_name);
		bench_record_rounds(rep, name, tu, "walk4", tb, r - 1, s->unmap_target);
	}
	return 0;
}

struct lookup_arg {
	struct siommu_pt *pt;
	uint64_t base, span, off;
};

static void lookup_run(void *arg, uint64_t iters)
{
	struct lookup_arg *a = arg;
	uint64_t off = a->off, acc = 0;

	/* The window maps to PA 0 up: each lookup's result gives the next
	 * address, a dependent chain like walk4's. */
	while (iters--) {
		uint64_t pa = 0;

		siommu_pt_iova_to_phys(a->pt, a->base + off, &pa, NULL);
		acc += pa;
		off = (pa + 4096) & (a->span - 1);
	}
	a->off = off;
	bench_sink(acc);
}

static int bench_format(struct bench_report *rep, struct siommu_mem *mem,
			const struct fmt_case *fc, struct walk4 *w)
{
	const struct map_shape shapes[] = {
		{ "map_4k", "unmap_4k", SIOMMU_SZ_4K, 1, 256, 10, 12 },
		{ "map_256x4k", "unmap_256x4k", SIOMMU_SZ_4K, 256, 8, 60, 60 },
		{ "map_256x2m", NULL, SIOMMU_SZ_2M, 256, 8, 60, 0 },
	};
	struct lookup_arg la = { .base = 1ull << 37, .span = 8ull << 20 };
	struct siommu_pt *pt;
	char name[64];
	unsigned int i;
	int ret;

	/* A table of its own for each shape: levels a 4K shape leaves behind
	 * would turn the 2M shape's leaves into 4K ones (siommu_pt_map fills
	 * an existing level with smaller pages). */
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		ret = siommu_pt_create(mem, &fc->cfg, &pt);
		if (ret)
			return ret;
		ret = bench_shape(rep, fc->name, pt, w, &shapes[i]);
		siommu_pt_destroy(pt);
		if (ret)
			return ret;
	}
	ret = siommu_pt_create(mem, &fc->cfg, &pt);
	if (ret)
		return ret;

	/* iova_to_phys over 8M of 4K pages: 4 table pages hot, as for walk4. */
	la.pt = pt;
	ret = siommu_pt_map(pt, la.base, 0, la.span, SIOMMU_PROT_READ);
	if (ret)
		goto out_destroy;
	snprintf(name, sizeof(name), "%s.iova_to_phys", fc->name);
	bench_pair(rep, name, lookup_run, &la, "walk4", walk4_run, w, 1 << 16, 2);

out_destroy:
	siommu_pt_destroy(pt);
	return ret;
}

int bench_pt(struct bench_report *rep)
{
	struct siommu_mem *mem;
	struct walk4 *w;
	unsigned int i;
	int ret;

	ret = siommu_mem_create(NULL, &mem);
	if (ret)
		return ret;
	w = walk4_create();
	if (!w) {
		siommu_mem_destroy(mem);
		return -ENOMEM;
	}
	/* Bring the core up to speed before the first format is measured:
	 * otherwise the first rounds run at a lower clock than the rest. */
	for (i = 0; i < 20; i++)
		walk4_run(w, 1 << 18);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && !ret; i++)
		ret = bench_format(rep, mem, &cases[i], w);
	walk4_destroy(w);
	siommu_mem_destroy(mem);
	return ret;
}
