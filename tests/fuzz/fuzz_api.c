/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the arguments of the page-table and DMA APIs, as a
 * careless or hostile caller passes them, with failures injected.
 *
 * The input is a program of operations. Page-table operations (map, unmap,
 * protect, iova_to_phys, read_and_clear_dirty) run on four tables of different
 * formats and widths; DMA API operations (map_single, map_single_host,
 * map_sg, unmap_single, unmap_sg, alloc_coherent, free_coherent, the sync
 * calls, enable/disable_pasid, flush, teardown and setup again) run on
 * devices behind a unit of the type SIOMMU_TEST_UNIT names (core_unit.h;
 * VT-d by default): a lazy first-stage domain shared by a group
 * of two, a strict second-stage one with a 32-bit DMA limit, an identity
 * one, and a device without DMA setup. Arguments are drawn from the
 * boundaries (zero, unaligned, overflowing lengths, addresses at the edge
 * of a RAM region or of the input width, wrong directions, double unmaps,
 * another device's DMA addresses). Any operation may run with the n-th
 * fallible step armed to fail.
 *
 * Every result is checked against a model, not just for not crashing:
 *   - a page table against a flat list of what must be mapped: a valid map
 *     of a free range succeeds, any failure (injected ones too) leaves every
 *     mapping as it was, an unmap removes exactly the bytes it reports, a
 *     protect changes the permissions of exactly its range (or, failing a
 *     split, none), and iova_to_phys agrees with the list;
 *   - each DMA domain against the list of live mappings the API must hold:
 *     each unmap, free and sync gets the result the contract names
 *     (0, -ENOENT, -EINVAL, -ENODEV), and after every operation each live
 *     mapping translates, through every device using the domain (RID and
 *     enabled PASID), to its physical address with its direction's
 *     permission; a strict domain's unmapped range faults at once, a lazy
 *     one's at the latest after a flush; counters, DMA memory and PASIDs
 *     in use agree with the model.
 * Unmap, free, sync, flush, lookups, PASID disable and teardown must take
 * no fallible step.
 * At the end everything is torn down and every frame must be back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/dma.h>
#include <siommu/pt.h>

#include "core_unit.h"
#include "fuzz_input.h"
#include "pt_cases.h"
#include "test.h"

#define POOL_BASE (4ull << 30)
#define RAM_PA (1ull << 20)		/* a small region of library RAM */
#define RAM_SIZE (16 * SIOMMU_SZ_4K)
#define BUF_SIZE SIOMMU_SZ_2M		/* DMA buffer in the frame pool */
#define MAX_EXT 128			/* extents per page table */
#define MAX_REC 48			/* live DMA mappings per domain */
#define MAX_DEAD 64			/* lazily unmapped ranges awaiting a flush */
#define MAX_SEG 4
#define MAX_LEAVES (1ull << 16)		/* larger maps are skipped: time */
#define NR_PT 4
#define NR_DEV 5
#define NR_SLOT 4

/* ---- page tables ---- */

struct ext {
	uint64_t iova, pa, len;
	unsigned int prot;
};

struct ptm {
	const struct pt_case *pc;
	struct siommu_pt *pt;
	uint64_t max_pa;	/* last address the output width allows */
	struct ext ext[MAX_EXT];
	unsigned int n;
	int dirty_ret;		/* what read_and_clear_dirty answers valid input */
};

/* ---- DMA ---- */

enum rec_kind { REC_SINGLE, REC_SG, REC_COHERENT };

struct seg {
	uint64_t dma, pa, len;
};

struct rec {
	enum rec_kind kind;
	uint64_t key, len;	/* the DMA address returned, the length passed */
	unsigned int dir, nents;
	struct seg seg[MAX_SEG];
	struct siommu_dma_sg sg[MAX_SEG];	/* as mapped, for unmap_sg */
	uint64_t size;		/* coherent: the size passed */
};

struct slot {
	struct siommu_domain *dom;	/* NULL: free */
	bool identity, lazy;
	struct rec rec[MAX_REC];
	unsigned int n;
	uint64_t maps, unmaps;		/* successful calls, as the stats count */
	struct seg dead[MAX_DEAD];	/* unmapped on a lazy domain */
	unsigned int ndead;
	bool dead_lost;			/* more than MAX_DEAD: not all checked */
};

struct devm {
	struct siommu_device *dev;
	uint16_t rid;
	struct siommu_dma_cfg cfg;
	bool dma;			/* set up (the fuzzer may tear it down) */
	uint32_t pasid;			/* enabled PASID, 0: none */
	unsigned int bits;
};

struct world {
	struct siommu_mem *mem;
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct ptm pt[NR_PT];
	struct devm dev[NR_DEV];
	struct slot slot[NR_SLOT];
	uint64_t buf;		/* BUF_SIZE of DMA memory in the pool */
	struct rec last_gone;	/* the last record unmapped: unmapped again */
	bool have_gone;
	uint64_t armed;		/* n of the armed step, 0: none */
};

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

/* Arm step @n (0: none) for the next operation. */
static void arm(struct world *w, uint64_t n)
{
	w->armed = n;
	siommu_mem_fail_nth(w->mem, n);
}

/*
 * Disarm after an operation that returned @ret; true when @ret is the
 * injected failure. An injected step fails as -ENOMEM (an allocation) or
 * -ENOSPC (an ID space, such as a unit's domain IDs). -ENOMEM is allowed
 * only when the armed step was reached; nothing else may fail for lack of
 * memory here (the pool is large enough for any input).
 */
static bool disarm(struct world *w, int ret)
{
	uint64_t steps = siommu_mem_fail_nth(w->mem, 0);
	bool reached = w->armed && steps >= w->armed;

	if (ret == -ENOMEM)
		CHECK(reached);
	w->armed = 0;
	return reached && (ret == -ENOMEM || ret == -ENOSPC);
}

/* After an operation that must never allocate: it consumed no step. */
static void disarm_no_step(struct world *w)
{
	CHECK_EQ(siommu_mem_fail_nth(w->mem, 0), 0);
	w->armed = 0;
}

/* ---- page-table model ---- */

static int ext_cmp(const void *a, const void *b)
{
	const struct ext *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

struct runs {
	struct ext r[MAX_EXT * 4];
	unsigned int n;
	bool overflow;
};

static void runs_add(struct runs *rs, uint64_t iova, uint64_t pa, uint64_t len,
		     unsigned int prot)
{
	struct ext *l = rs->n ? &rs->r[rs->n - 1] : NULL;

	if (l && l->iova + l->len == iova && l->pa + l->len == pa && l->prot == prot) {
		l->len += len;
		return;
	}
	if (rs->n == sizeof(rs->r) / sizeof(rs->r[0])) {
		rs->overflow = true;
		return;
	}
	rs->r[rs->n++] = (struct ext){ iova, pa, len, prot };
}

static int run_cb(void *arg, const struct siommu_pt_run *run)
{
	runs_add(arg, run->iova, run->pa, run->length, run->prot);
	return 0;
}

/* The table holds exactly the model's extents. */
static void pt_compare(struct ptm *m)
{
	static struct runs want, got;
	struct ext sorted[MAX_EXT];
	unsigned int i;

	memcpy(sorted, m->ext, m->n * sizeof(sorted[0]));
	qsort(sorted, m->n, sizeof(sorted[0]), ext_cmp);
	want.n = got.n = 0;
	want.overflow = got.overflow = false;
	for (i = 0; i < m->n; i++)
		runs_add(&want, sorted[i].iova, sorted[i].pa, sorted[i].len, sorted[i].prot);
	CHECK_OK(siommu_pt_for_each(m->pt, 0, m->pc->max_iova + 1, run_cb, &got));
	CHECK(!got.overflow && !want.overflow);
	CHECK_EQ(got.n, want.n);
	for (i = 0; i < got.n; i++) {
		CHECK_EQ(got.r[i].iova, want.r[i].iova);
		CHECK_EQ(got.r[i].pa, want.r[i].pa);
		CHECK_EQ(got.r[i].len, want.r[i].len);
		CHECK_EQ(got.r[i].prot, want.r[i].prot);
	}
}

static const struct ext *pt_lookup(const struct ptm *m, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (iova - m->ext[i].iova < m->ext[i].len)
			return &m->ext[i];
	return NULL;
}

static uint64_t pick_pt_addr(struct in *in, uint64_t max)
{
	static const uint64_t bases[] = {
		0, SIOMMU_SZ_2M, SIOMMU_SZ_1G, 1ull << 32, 1ull << 39,
	};
	uint64_t sel = take(in, 1), off = take(in, 2);

	switch (sel % 8) {
	case 0: case 1: case 2:		/* a 64M window, 4K-aligned */
		return (off % 16384) * SIOMMU_SZ_4K;
	case 3:				/* around a 2M or 1G boundary */
		return bases[(sel >> 3) % 5] + (off % 1024) * SIOMMU_SZ_4K -
		       512 * SIOMMU_SZ_4K * ((sel >> 6) & 1);
	case 4:				/* the top of the input range */
		return (max + 1) - (off % 64) * SIOMMU_SZ_4K;
	case 5:				/* 2M-aligned */
		return (off % 32) * SIOMMU_SZ_2M;
	case 6:
		return take(in, 8);
	default:
		return (off % 16384) * SIOMMU_SZ_4K + (sel >> 3);
	}
}

static uint64_t pick_len(struct in *in)
{
	uint64_t sel = take(in, 1), v = take(in, 1);

	switch (sel % 9) {
	case 0:
		return 0;
	case 1: case 2: case 3:
		return (v % 32 + 1) * SIOMMU_SZ_4K;
	case 4:
		return (v % 4 + 1) * SIOMMU_SZ_2M + ((sel >> 4) & 1) * SIOMMU_SZ_4K;
	case 5:
		return SIOMMU_SZ_1G * (v % 2 + 1);
	case 6:
		return take(in, 8);
	case 7:
		return UINT64_MAX - v;
	default:
		return v * 33 + (sel >> 4);	/* unaligned, often small */
	}
}

/* Leaves a valid map of @len at @iova/@pa takes, at the least. */
static uint64_t leaves(uint64_t iova, uint64_t pa, uint64_t len)
{
	uint64_t a = iova | pa;

	if (!(a & (SIOMMU_SZ_1G - 1)))
		return len / SIOMMU_SZ_1G + 1024;
	if (!(a & (SIOMMU_SZ_2M - 1)))
		return len / SIOMMU_SZ_2M + 1024;
	return len / SIOMMU_SZ_4K;
}

static bool pt_args_ok(const struct ptm *m, uint64_t iova, uint64_t pa, uint64_t len)
{
	uint64_t ilast, plast;

	return !((iova | pa | len) & (SIOMMU_SZ_4K - 1)) && len &&
	       !__builtin_add_overflow(iova, len - 1, &ilast) &&
	       !__builtin_add_overflow(pa, len - 1, &plast) &&
	       ilast <= m->pc->max_iova && plast <= m->max_pa;
}

static void op_pt_map(struct world *w, struct ptm *m, struct in *in)
{
	uint64_t iova = pick_pt_addr(in, m->pc->max_iova);
	uint64_t pa = pick_pt_addr(in, m->max_pa) & ((1ull << 52) - 1);
	uint64_t len = pick_len(in);
	unsigned int prot = (unsigned int)take(in, 1) & 0xf;
	bool valid = pt_args_ok(m, iova, pa, len), simple, busy = false;
	struct siommu_pt_leaf leaf;
	uint64_t got;
	unsigned int i;
	int ret;

	if ((prot & 0xc) && (take(in, 1) & 3))
		prot &= 3;
	if (!(prot & 3) && (take(in, 1) & 3))
		prot |= SIOMMU_PROT_READ;
	simple = prot && prot <= 3;
	if (valid && leaves(iova, pa, len) > MAX_LEAVES)
		return;
	if (valid && m->n == MAX_EXT)
		return;
	for (i = 0; valid && i < m->n; i++)
		busy |= overlaps(iova, len, m->ext[i].iova, m->ext[i].len);
	ret = siommu_pt_map(m->pt, iova, pa, len, prot);
	disarm(w, ret);
	if (!valid || !prot) {
		CHECK(ret == -EINVAL || ret == -EOVERFLOW || ret == -ERANGE ||
		      ret == -EEXIST || ret == -ENOMEM);
	} else if (busy) {
		CHECK(ret == -EEXIST || ret == -ENOMEM || (ret == -EINVAL && !simple));
	} else if (simple) {
		CHECK(ret == 0 || ret == -ENOMEM);
	} else {
		CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	}
	if (!ret) {
		CHECK_OK(siommu_pt_iova_to_phys(m->pt, iova + len - 1, &got, &leaf));
		CHECK_EQ(got, pa + len - 1);
		if (prot & SIOMMU_PROT_READ)
			CHECK(leaf.prot & SIOMMU_PROT_READ);
		if (prot & SIOMMU_PROT_WRITE)
			CHECK(leaf.prot & SIOMMU_PROT_WRITE);
		m->ext[m->n++] = (struct ext){ iova, pa, len, leaf.prot };
	}
	pt_compare(m);
}

/* Remove [iova, iova + len) from the model; returns the bytes removed. */
static uint64_t pt_model_unmap(struct ptm *m, uint64_t iova, uint64_t len)
{
	uint64_t done = 0, last = iova + len - 1;
	unsigned int i;

	for (i = 0; i < m->n;) {
		struct ext e = m->ext[i];
		uint64_t elast = e.iova + e.len - 1;

		if (!overlaps(iova, len, e.iova, e.len)) {
			i++;
			continue;
		}
		m->ext[i] = m->ext[--m->n];
		if (e.iova < iova)
			m->ext[m->n++] = (struct ext){ e.iova, e.pa, iova - e.iova, e.prot };
		if (elast > last) {
			CHECK(m->n < MAX_EXT);
			m->ext[m->n++] = (struct ext){ last + 1, e.pa + (last + 1 - e.iova),
						       elast - last, e.prot };
		}
		done += (elast < last ? elast : last) - (e.iova > iova ? e.iova : iova) + 1;
	}
	return done;
}

/* @prot as a leaf of the table's format reports it. */
static unsigned int pt_norm_prot(const struct ptm *m, unsigned int prot)
{
	enum siommu_pt_format f = m->pc->cfg.format;

	return f == SIOMMU_PT_X86_64 || f == SIOMMU_PT_ARM_S1 ? prot | SIOMMU_PROT_READ : prot;
}

static void op_pt_protect(struct world *w, struct ptm *m, struct in *in)
{
	unsigned int prot = (unsigned int)take(in, 1) & 0xf, i, n;
	enum siommu_pt_format f = m->pc->cfg.format;
	uint64_t iova, len, last;
	struct siommu_pt_gather g;
	bool valid;
	int ret;

	if (m->n && (take(in, 1) & 1)) {	/* a piece of a mapping, or more */
		const struct ext *e = &m->ext[take(in, 1) % m->n];
		uint64_t pages = e->len / SIOMMU_SZ_4K, first = take(in, 3) % pages;

		iova = e->iova + first * SIOMMU_SZ_4K;
		len = (take(in, 3) % (pages - first + 4) + 1) * SIOMMU_SZ_4K;
	} else {
		iova = pick_pt_addr(in, m->pc->max_iova);
		len = pick_len(in);
	}
	if ((prot & 0xc) && (take(in, 1) & 3))
		prot &= 3;
	/* The extents at the two ends may split: two more at most. */
	if (m->n + 2 > MAX_EXT)
		return;
	valid = pt_args_ok(m, iova, 0, len) && (prot & 3) &&
		!((f == SIOMMU_PT_VTD_SS || f == SIOMMU_PT_ARM_S2) && (prot & SIOMMU_PROT_PRIV));
	siommu_pt_gather_init(&g);
	ret = siommu_pt_protect(m->pt, iova, len, prot, &g);
	siommu_pt_gather_release(&g);
	disarm(w, ret);
	if (!valid) {
		CHECK(ret == -EINVAL || ret == -EOVERFLOW || ret == -ERANGE);
	} else {
		CHECK(ret == 0 || ret == -ENOMEM);
	}
	if (!ret) {
		last = iova + len - 1;
		for (i = 0, n = m->n; i < n; i++) {
			struct ext e = m->ext[i];
			uint64_t elast = e.iova + e.len - 1, s, l;

			if (!overlaps(iova, len, e.iova, e.len))
				continue;
			s = e.iova > iova ? e.iova : iova;
			l = elast < last ? elast : last;
			m->ext[i] = (struct ext){ s, e.pa + (s - e.iova), l - s + 1,
						  pt_norm_prot(m, prot) };
			if (e.iova < s)
				m->ext[m->n++] = (struct ext){ e.iova, e.pa, s - e.iova, e.prot };
			if (elast > l)
				m->ext[m->n++] = (struct ext){ l + 1, e.pa + (l + 1 - e.iova),
							       elast - l, e.prot };
		}
	}
	pt_compare(m);
}

/* Would unmapping [iova, iova + len) cut a leaf in two? */
static bool pt_cuts(struct ptm *m, uint64_t iova, uint64_t len)
{
	struct siommu_pt_leaf leaf;
	uint64_t pa;

	if (!siommu_pt_iova_to_phys(m->pt, iova, &pa, &leaf) && leaf.iova < iova)
		return true;
	return !siommu_pt_iova_to_phys(m->pt, iova + len - 1, &pa, &leaf) &&
	       leaf.iova + leaf.size - 1 > iova + len - 1;
}

static void op_pt_unmap(struct world *w, struct ptm *m, struct in *in)
{
	uint64_t iova, len, done = ~0ull, want;
	struct siommu_pt_gather g;
	bool valid, cuts;
	int ret;

	if (m->n && (take(in, 1) & 1)) {	/* a piece of a mapping */
		const struct ext *e = &m->ext[take(in, 1) % m->n];
		uint64_t pages = e->len / SIOMMU_SZ_4K, first = take(in, 3) % pages;

		iova = e->iova + first * SIOMMU_SZ_4K;
		len = (take(in, 3) % (pages - first) + 1) * SIOMMU_SZ_4K;
		if (take(in, 1) & 1) {
			iova = e->iova;
			len = e->len;
		}
	} else {
		iova = pick_pt_addr(in, m->pc->max_iova);
		len = pick_len(in);
	}
	valid = pt_args_ok(m, iova, 0, len);
	cuts = valid && pt_cuts(m, iova, len);
	siommu_pt_gather_init(&g);
	ret = siommu_pt_unmap(m->pt, iova, len, &g, &done);
	siommu_pt_gather_release(&g);
	disarm_no_step(w);
	if (!valid) {
		CHECK(ret == -EINVAL || ret == -EOVERFLOW || ret == -ERANGE);
	} else if (cuts) {
		CHECK_EQ(ret, -EINVAL);
	} else {
		CHECK_OK(ret);
		want = pt_model_unmap(m, iova, len);
		CHECK_EQ(done, want);
	}
	pt_compare(m);
}

static void op_pt_lookup(struct world *w, struct ptm *m, struct in *in)
{
	uint64_t iova, pa;
	const struct ext *e;
	struct siommu_pt_leaf leaf;
	bool want_leaf;
	int ret;

	if (m->n && (take(in, 1) & 1)) {
		e = &m->ext[take(in, 1) % m->n];
		iova = e->iova + take(in, 4) % e->len;
	} else {
		iova = pick_pt_addr(in, m->pc->max_iova) + take(in, 2);
	}
	/* Without a leaf to describe, the lookup takes its short path. */
	want_leaf = take(in, 1) & 1;
	ret = siommu_pt_iova_to_phys(m->pt, iova, &pa, want_leaf ? &leaf : NULL);
	disarm_no_step(w);
	e = pt_lookup(m, iova);
	if (iova > m->pc->max_iova) {
		CHECK_EQ(ret, -ERANGE);
	} else if (!e) {
		CHECK_EQ(ret, -ENOENT);
	} else {
		CHECK_OK(ret);
		CHECK_EQ(pa, e->pa + (iova - e->iova));
		if (want_leaf) {
			CHECK_EQ(leaf.prot, e->prot);
			CHECK(iova - leaf.iova < leaf.size);
			CHECK_EQ(leaf.pa + (iova - leaf.iova), pa);
		}
	}
}

struct dirty_ctx {
	struct ptm *m;
	uint64_t calls;
};

static void dirty_cb(void *arg, uint64_t iova, uint64_t len)
{
	struct dirty_ctx *d = arg;
	uint64_t a;

	/* Only mapped pages can be dirty. */
	d->calls++;
	CHECK(len);
	for (a = iova; a - iova < len; a += SIOMMU_SZ_4K)
		CHECK(pt_lookup(d->m, a));
}

static void op_pt_dirty(struct world *w, struct ptm *m, struct in *in)
{
	struct dirty_ctx d = { m, 0 };
	uint64_t iova = pick_pt_addr(in, m->pc->max_iova), len = pick_len(in);
	unsigned int flags = (unsigned int)take(in, 1) & 1;
	int ret;

	ret = siommu_pt_read_and_clear_dirty(m->pt, iova, len, flags, dirty_cb, &d);
	disarm_no_step(w);
	if (!pt_args_ok(m, iova, 0, len)) {
		CHECK(ret == -EINVAL || ret == -EOVERFLOW || ret == -ERANGE ||
		      ret == -EOPNOTSUPP);
	} else {
		if (m->dirty_ret == 1)
			m->dirty_ret = ret;
		CHECK(ret == 0 || ret == -EOPNOTSUPP);
		CHECK_EQ(ret, m->dirty_ret);
		/* Cleared: nothing reported twice. */
		if (!ret && !flags) {
			d.calls = 0;
			CHECK_OK(siommu_pt_read_and_clear_dirty(m->pt, iova, len, 0,
								dirty_cb, &d));
			CHECK_EQ(d.calls, 0);
		}
	}
	pt_compare(m);
}

/* ---- DMA model ---- */

static struct slot *slot_of(struct world *w, struct devm *d)
{
	struct siommu_dma_info info;
	unsigned int i;

	if (!d->dma)
		return NULL;
	CHECK_OK(siommu_dma_get_info(d->dev, &info));
	for (i = 0; i < NR_SLOT; i++)
		if (w->slot[i].dom == info.domain)
			return &w->slot[i];
	for (i = 0; i < NR_SLOT; i++) {
		if (!w->slot[i].dom) {
			memset(&w->slot[i], 0, sizeof(w->slot[i]));
			w->slot[i].dom = info.domain;
			w->slot[i].identity = info.type == SIOMMU_DOMAIN_IDENTITY;
			w->slot[i].lazy = info.policy == SIOMMU_DMA_LAZY;
			return &w->slot[i];
		}
	}
	CHECK(false);
	return NULL;
}

/* Device accesses: read, write, or both. */
#define ACC_READ 1u
#define ACC_WRITE 2u

static unsigned int dir_access(unsigned int dir)
{
	return dir == SIOMMU_DMA_TO_DEVICE ? ACC_READ :
	       dir == SIOMMU_DMA_FROM_DEVICE ? ACC_WRITE : ACC_READ | ACC_WRITE;
}

static int xlate(struct world *w, struct devm *d, bool pasid, uint64_t iova,
		 unsigned int access, uint64_t *pa)
{
	return test_unit_translate(w->unit, d->rid, pasid, pasid ? d->pasid : 0, iova,
				   access & ACC_READ, access & ACC_WRITE, pa);
}

/* Frames of a coherent buffer of @size: a power of two, at least 4K. */
static uint64_t coherent_frames(uint64_t size)
{
	uint64_t f = SIOMMU_SZ_4K;

	while (f < size)
		f <<= 1;
	return f;
}

/*
 * What the API holds beyond its mappings: DMA memory (the buffer and each
 * coherent buffer's frames) and PASIDs (each enabled one), so that a
 * failure path that leaks one shows at once.
 */
static void dma_check_memory(struct world *w)
{
	struct siommu_pasid_stats ps;
	struct siommu_mem_stats ms;
	struct siommu_dma_info info;
	uint64_t dma = BUF_SIZE;
	unsigned int s, r, i, pasids = 0;

	for (s = 0; s < NR_SLOT; s++)
		for (r = 0; w->slot[s].dom && r < w->slot[s].n; r++)
			if (w->slot[s].rec[r].kind == REC_COHERENT)
				dma += coherent_frames(w->slot[s].rec[r].size);
	siommu_mem_get_stats(w->mem, &ms);
	CHECK_EQ(ms.in_use[SIOMMU_MEM_DMA], dma);
	for (i = 0; i < NR_DEV; i++) {
		struct devm *d = &w->dev[i];

		pasids += d->pasid != 0;
		if (!d->dma) {
			CHECK_EQ(siommu_dma_get_info(d->dev, &info), -ENODEV);
			continue;
		}
		CHECK_OK(siommu_dma_get_info(d->dev, &info));
		CHECK_EQ(info.pasid, d->pasid);
	}
	siommu_pasid_get_stats(siommu_ctx_pasids(w->ctx), &ps);
	CHECK_EQ(ps.in_use, pasids);
}

/* Live records, identical identity mappings counted once (one record). */
static uint64_t distinct(const struct slot *sl)
{
	unsigned int r, o, n = 0;

	for (r = 0; r < sl->n; r++) {
		const struct rec *a = &sl->rec[r];

		for (o = 0; o < r; o++) {
			const struct rec *b = &sl->rec[o];

			if (a->kind == b->kind && a->key == b->key && a->len == b->len &&
			    a->dir == b->dir && a->nents == b->nents)
				break;
		}
		n += o == r;
	}
	return n;
}

/*
 * Every live mapping of every domain translates, through each device
 * using the domain, to its PA with its direction's permission; a paging
 * domain refuses a write to a TO_DEVICE mapping.
 */
static void dma_check(struct world *w)
{
	unsigned int i, s, r, k, p;
	uint64_t pa;

	for (i = 0; i < NR_DEV; i++) {
		struct devm *d = &w->dev[i];
		struct slot *sl = slot_of(w, d);

		if (!sl)
			continue;
		for (p = 0; p < (d->pasid ? 2u : 1u); p++) {
			for (r = 0; r < sl->n; r++) {
				const struct rec *rc = &sl->rec[r];

				for (k = 0; k < rc->nents; k++) {
					const struct seg *sg = &rc->seg[k];

					CHECK_OK(xlate(w, d, p, sg->dma, dir_access(rc->dir), &pa));
					CHECK_EQ(pa, sg->pa);
					CHECK_OK(xlate(w, d, p, sg->dma + sg->len - 1,
						       dir_access(rc->dir), &pa));
					CHECK_EQ(pa, sg->pa + sg->len - 1);
					if (!sl->identity && rc->dir == SIOMMU_DMA_TO_DEVICE)
						CHECK_EQ(xlate(w, d, p, sg->dma, ACC_WRITE,
							       &pa), -EFAULT);
				}
			}
		}
	}
	for (s = 0; s < NR_SLOT; s++) {
		struct siommu_dma_stats st;
		struct slot *sl = &w->slot[s];

		if (!sl->dom)
			continue;
		for (i = 0; i < NR_DEV; i++)
			if (slot_of(w, &w->dev[i]) == sl)
				break;
		CHECK(i < NR_DEV);
		CHECK_OK(siommu_dma_get_stats(w->dev[i].dev, &st));
		CHECK_EQ(st.live, distinct(sl));
		CHECK_EQ(st.maps, sl->maps);
		CHECK_EQ(st.unmaps, sl->unmaps);
	}
	dma_check_memory(w);
}

/* Is the page of @iova covered by a live mapping of @sl? */
static bool page_live(const struct slot *sl, uint64_t iova)
{
	uint64_t page = iova & ~(SIOMMU_SZ_4K - 1);
	unsigned int r, k;

	for (r = 0; r < sl->n; r++)
		for (k = 0; k < sl->rec[r].nents; k++) {
			const struct seg *sg = &sl->rec[r].seg[k];
			uint64_t first = sg->dma & ~(SIOMMU_SZ_4K - 1);

			if (page - first <= (sg->dma + sg->len - 1) - first)
				return true;
		}
	return false;
}

/*
 * After an unmap: the range must fault through every device of the domain
 * (strict), or fault or still give the old PA until the next flush (lazy).
 */
static void dma_check_gone(struct world *w, struct slot *sl, const struct rec *rc)
{
	bool lazy = sl->lazy && rc->kind != REC_COHERENT;	/* free is strict */
	unsigned int i, k;
	uint64_t pa;
	int ret;

	if (sl->identity)
		return;
	for (k = 0; k < rc->nents; k++) {
		const struct seg *sg = &rc->seg[k];

		for (i = 0; i < NR_DEV; i++) {
			if (slot_of(w, &w->dev[i]) != sl)
				continue;
			ret = xlate(w, &w->dev[i], false, sg->dma, ACC_READ, &pa);
			if (!lazy)
				CHECK_EQ(ret, -EFAULT);
			else
				CHECK(ret == -EFAULT || pa == sg->pa);
		}
		if (!lazy)
			continue;
		if (sl->ndead < MAX_DEAD)
			sl->dead[sl->ndead++] = *sg;
		else
			sl->dead_lost = true;
	}
}

static void dma_check_flushed(struct world *w, struct slot *sl)
{
	unsigned int i, k;
	uint64_t pa;

	for (k = 0; k < sl->ndead; k++) {
		if (page_live(sl, sl->dead[k].dma))
			continue;
		for (i = 0; i < NR_DEV; i++)
			if (slot_of(w, &w->dev[i]) == sl)
				CHECK_EQ(xlate(w, &w->dev[i], false, sl->dead[k].dma,
					       ACC_READ, &pa), -EFAULT);
	}
	sl->ndead = 0;
	sl->dead_lost = false;
}

/* The record an unmap with these arguments names: index, or -ENOENT/-EINVAL. */
static int rec_find(const struct slot *sl, enum rec_kind kind, uint64_t key,
		    uint64_t len, unsigned int dir, unsigned int nents)
{
	unsigned int r;
	bool at = false;

	for (r = 0; r < sl->n; r++) {
		const struct rec *rc = &sl->rec[r];

		if (rc->key != key)
			continue;
		at = true;
		if (rc->kind == kind && rc->len == len && rc->dir == dir &&
		    (kind != REC_SG || rc->nents == nents))
			return (int)r;
	}
	return at ? -EINVAL : -ENOENT;
}

static void rec_drop(struct slot *sl, unsigned int r)
{
	sl->rec[r] = sl->rec[--sl->n];
}

static struct devm *pick_dev(struct world *w, struct in *in)
{
	return &w->dev[take(in, 1) % NR_DEV];
}

static unsigned int pick_dir(struct in *in)
{
	uint64_t v = take(in, 1);

	return (v & 0xf0) == 0xf0 ? (unsigned int)v : (unsigned int)(v % 3);
}

/* A PA: mostly inside the DMA buffer, else at region edges, or anything. */
static uint64_t pick_dma_pa(struct world *w, struct in *in)
{
	uint64_t sel = take(in, 1);

	switch (sel % 8) {
	case 6:
		return RAM_PA + RAM_SIZE - (take(in, 1) % 64) * 64;
	case 7:
		return (sel & 0x80) ? take(in, 8) : RAM_PA - take(in, 1);
	default:
		return w->buf + take(in, 3) % BUF_SIZE;
	}
}

static uint64_t pick_dma_len(struct in *in)
{
	uint64_t sel = take(in, 1);

	switch (sel % 8) {
	case 7:
		return pick_len(in);
	case 6:		/* whole table levels: emptied by the unmap, freed */
		return SIOMMU_SZ_2M * (1 + (sel >> 4) % 2) + take(in, 2) % 0x3000;
	default:
		return take(in, 2) % (sel & 0x80 ? 0x40000 : 0x3000) + (sel & 1);
	}
}

/* Is [pa, pa + len) inside one RAM region? */
static bool dma_ram(struct world *w, uint64_t pa, uint64_t len)
{
	return siommu_mem_is_ram(w->mem, pa, len);
}

/* What a map of [pa, pa + len) must return, before IOVA space and memory. */
static int dma_map_expect(struct world *w, struct devm *d, struct slot *sl,
			  uint64_t pa, uint64_t len, unsigned int dir)
{
	uint64_t last;

	if (!d->dma)
		return -ENODEV;
	if (!len || dir > SIOMMU_DMA_FROM_DEVICE ||
	    __builtin_add_overflow(pa, len - 1, &last))
		return -EINVAL;
	if (!dma_ram(w, pa, len))
		return -EFAULT;
	if (sl->identity && d->cfg.dma_limit && last > d->cfg.dma_limit)
		return -ERANGE;
	return 0;
}

/* A new mapping: where it lands is checked against the limit, offset, and
 * every other live mapping of the domain. */
static void rec_add(struct slot *sl, struct devm *d, const struct rec *rc)
{
	unsigned int r, k, j, l;
	uint64_t msi_first, msi_last;

	CHECK(sl->n < MAX_REC);
	(void)d;
	for (k = 0; k < rc->nents; k++) {
		const struct seg *sg = &rc->seg[k];

		CHECK_EQ(sg->dma & (SIOMMU_SZ_4K - 1), sg->pa & (SIOMMU_SZ_4K - 1));
		if (sl->identity) {
			CHECK_EQ(sg->dma, sg->pa);
			continue;
		}
		if (d->cfg.dma_limit)
			CHECK(sg->dma + sg->len - 1 <= d->cfg.dma_limit);
		CHECK(sg->dma > SIOMMU_SZ_4K - 1);
		test_unit_msi_window(&msi_first, &msi_last);
		CHECK(!overlaps(sg->dma, sg->len, msi_first, msi_last - msi_first + 1));
		for (r = 0; r < sl->n; r++)
			for (j = 0; j < sl->rec[r].nents; j++) {
				const struct seg *o = &sl->rec[r].seg[j];

				CHECK(!overlaps(sg->dma & ~(SIOMMU_SZ_4K - 1),
						((sg->dma + sg->len - 1) | 0xfff) -
						(sg->dma & ~0xfffull) + 1,
						o->dma & ~0xfffull,
						((o->dma + o->len - 1) | 0xfff) -
						(o->dma & ~0xfffull) + 1));
			}
		/* Physically contiguous segments stay contiguous. */
		l = k - 1;
		if (k && rc->seg[l].pa + rc->seg[l].len == sg->pa)
			CHECK_EQ(rc->seg[l].dma + rc->seg[l].len, sg->dma);
	}
	sl->rec[sl->n++] = *rc;
}

static void op_map_single(struct world *w, struct in *in, bool host)
{
	struct devm *d = pick_dev(w, in);
	struct slot *sl = slot_of(w, d);
	uint64_t pa = pick_dma_pa(w, in), len = pick_dma_len(in), iova = ~0ull;
	unsigned int dir = pick_dir(in);
	int want, ret;
	void *ptr = NULL;

	if (host) {
		ptr = siommu_mem_host(w->mem, pa, 1);
		if (!ptr && (take(in, 1) & 1))
			return;
	}
	want = sl ? dma_map_expect(w, d, sl, pa, len, dir) : -ENODEV;
	/* A host pointer outside the memory's mappings, or a range running
	 * out of its region, is -EFAULT once the arguments are checked. */
	if (host && sl && len && dir <= SIOMMU_DMA_FROM_DEVICE &&
	    (!ptr || !siommu_mem_host(w->mem, pa, len)))
		want = -EFAULT;
	if (host && !ptr)
		ptr = (void *)(uintptr_t)(pa | 1);
	if (sl && sl->n == MAX_REC)
		return;
	if (host)
		ret = siommu_dma_map_single_host(d->dev, ptr, len, dir, &iova);
	else
		ret = siommu_dma_map_single(d->dev, pa, len, dir, &iova);
	disarm(w, ret);
	if (want) {
		CHECK_EQ(ret, want);
		return;
	}
	CHECK(ret == 0 || ret == -ENOMEM || ret == -ENOSPC);
	if (ret)
		return;
	sl->maps++;
	rec_add(sl, d, &(struct rec){
		.kind = REC_SINGLE, .key = iova, .len = len, .dir = dir, .nents = 1,
		.seg = { { iova, pa, len } } });
}

static void op_map_sg(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	struct slot *sl = slot_of(w, d);
	struct siommu_dma_sg sg[MAX_SEG];
	unsigned int nents = (unsigned int)take(in, 1) % (MAX_SEG + 1), dir = pick_dir(in);
	unsigned int i;
	struct rec rc = { .kind = REC_SG, .dir = dir, .nents = nents };
	int want, ret;

	want = d->dma ? 0 : -ENODEV;
	if (!want && (!nents || dir > SIOMMU_DMA_FROM_DEVICE))
		want = -EINVAL;
	for (i = 0; i < nents; i++) {
		int e;

		/* Often contiguous with the previous segment. */
		if (i && (take(in, 1) & 1))
			sg[i].pa = sg[i - 1].pa + sg[i - 1].len;
		else
			sg[i].pa = pick_dma_pa(w, in);
		sg[i].len = pick_dma_len(in) % 0x5000;
		sg[i].dma_addr = 0;
		e = sl ? dma_map_expect(w, d, sl, sg[i].pa, sg[i].len, dir % 3) : -ENODEV;
		if (!want)
			want = e;
		rc.len += sg[i].len;
	}
	if (sl && sl->n == MAX_REC)
		return;
	ret = siommu_dma_map_sg(d->dev, sg, nents, dir);
	disarm(w, ret);
	if (want) {
		/* Which bad segment is reported first is not specified. */
		if (ret != want)
			CHECK(ret == -EINVAL || ret == -EFAULT || ret == -ERANGE);
		return;
	}
	CHECK(ret == 0 || ret == -ENOMEM || ret == -ENOSPC);
	if (ret)
		return;
	for (i = 0; i < nents; i++) {
		rc.seg[i] = (struct seg){ sg[i].dma_addr, sg[i].pa, sg[i].len };
		rc.sg[i] = sg[i];
	}
	rc.key = sg[0].dma_addr;
	sl->maps++;
	rec_add(sl, d, &rc);
}

static void op_coherent(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	struct slot *sl = slot_of(w, d);
	uint64_t sel = take(in, 1), size, iova = 0, pa = 0;
	void *host = NULL;
	int ret;

	size = sel & 0x80 ? pick_len(in) : (take(in, 2) % 0x9000) + (sel & 1);
	if (sl && sl->n == MAX_REC)
		return;
	ret = siommu_dma_alloc_coherent(d->dev, size, &host, &pa, &iova);
	/* A large buffer may find the 1G pool short: -ENOMEM by contract. */
	disarm(w, size <= 64 * SIOMMU_SZ_2M ? ret : 0);
	if (!d->dma) {
		CHECK_EQ(ret, -ENODEV);
		return;
	}
	if (!size || size > SIOMMU_SZ_1G) {
		CHECK(ret == -EINVAL || ret == -ENOMEM);
		return;
	}
	CHECK(ret == 0 || ret == -ENOMEM || ret == -ENOSPC);
	if (ret)
		return;
	CHECK(host == siommu_mem_host(w->mem, pa, size));
	CHECK(!((uint8_t *)host)[size - 1]);
	sl->maps++;
	rec_add(sl, d, &(struct rec){
		.kind = REC_COHERENT, .key = iova, .len = size, .size = size,
		.dir = SIOMMU_DMA_BIDIRECTIONAL, .nents = 1, .seg = { { iova, pa, size } } });
}

/* Arguments naming a live record, often bent (length, direction, address). */
static const struct rec *pick_rec(struct world *w, struct in *in, struct slot **slp)
{
	unsigned int s = (unsigned int)take(in, 1) % NR_SLOT;

	*slp = &w->slot[s];
	if (!w->slot[s].dom || !w->slot[s].n)
		return NULL;
	return &w->slot[s].rec[take(in, 1) % w->slot[s].n];
}

/*
 * What an unmap, free or sync of these arguments must return: the index of
 * the record it names, or the error (argument checks come first: -ENODEV,
 * then -EINVAL for a bad direction, length or list, then the record).
 * For a list, *len gets its total.
 */
static int unmap_expect(const struct devm *d, const struct slot *sl, enum rec_kind kind,
			uint64_t key, uint64_t *len, unsigned int dir,
			const struct siommu_dma_sg *sg, unsigned int nents)
{
	uint64_t last, sum = 0;
	unsigned int k;

	if (!d->dma)
		return -ENODEV;
	if (kind == REC_COHERENT)
		dir = SIOMMU_DMA_BIDIRECTIONAL;
	if (dir > SIOMMU_DMA_FROM_DEVICE)
		return -EINVAL;
	if (kind == REC_SG) {
		if (!nents)
			return -EINVAL;
		for (k = 0; k < nents; k++)
			if (!sg[k].len ||
			    __builtin_add_overflow(sg[k].pa, sg[k].len - 1, &last) ||
			    __builtin_add_overflow(sum, sg[k].len, &sum))
				return -EINVAL;
		*len = sum;
		key = sg[0].dma_addr;
	} else if (!*len) {
		return -EINVAL;
	}
	return rec_find(sl, kind, key, *len, dir, nents);
}

static void op_unmap(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	struct slot *sl = slot_of(w, d), *from;
	const struct rec *rc = pick_rec(w, in, &from);
	uint64_t bend = take(in, 1), key, len;
	unsigned int dir, nents;
	enum rec_kind kind;
	struct siommu_dma_sg sg[MAX_SEG];
	struct rec gone;
	int want, ret;

	if ((bend & 0xf) == 0xf && w->have_gone)
		rc = &w->last_gone;	/* a double unmap */
	if (rc) {
		kind = rc->kind;
		key = rc->key;
		len = rc->kind == REC_COHERENT ? rc->size : rc->len;
		dir = rc->dir;
		nents = rc->nents;
		memcpy(sg, rc->sg, sizeof(sg));
	} else {
		kind = (enum rec_kind)(bend % 3);
		key = pick_dma_pa(w, in);
		len = pick_dma_len(in);
		dir = pick_dir(in);
		nents = 1 + (unsigned int)take(in, 1) % MAX_SEG;
		memset(sg, 0, sizeof(sg));
		sg[0] = (struct siommu_dma_sg){ key, len, key };
	}
	if (bend & 0x10)
		len += (bend & 0x20) ? 1 : -1;
	if (bend & 0x40)
		dir = pick_dir(in);
	if ((bend & 0x80) && kind == REC_SG && nents > 1)
		nents--;
	if (kind == REC_SG && (bend & 0x10))
		sg[0].len += (bend & 0x20) ? 1 : -1;
	want = unmap_expect(d, sl, kind, key, &len, dir, sg, nents);
	switch (kind) {
	case REC_SINGLE:
		ret = siommu_dma_unmap_single(d->dev, key, len, dir);
		break;
	case REC_SG:
		ret = siommu_dma_unmap_sg(d->dev, sg, nents, dir);
		break;
	default:
		ret = siommu_dma_free_coherent(d->dev, len, key);
		break;
	}
	disarm_no_step(w);
	if (want < 0) {
		CHECK_EQ(ret, want);
		return;
	}
	CHECK_OK(ret);
	gone = sl->rec[want];
	rec_drop(sl, (unsigned int)want);
	sl->unmaps++;
	w->last_gone = gone;
	w->have_gone = true;
	dma_check_gone(w, sl, &gone);
}

static void op_sync(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	struct slot *sl = slot_of(w, d), *from;
	const struct rec *rc = pick_rec(w, in, &from);
	uint64_t bend = take(in, 1), key, len;
	unsigned int dir, nents = 1, r;
	struct siommu_dma_sg sg[MAX_SEG] = { { 0 } };
	bool list;
	int want, ret;

	if (rc) {
		key = rc->key;
		len = rc->len - (rc->len > 1 && (bend & 2) ? take(in, 2) % rc->len : 0);
		dir = rc->dir;
		nents = rc->nents;
		memcpy(sg, rc->sg, sizeof(sg));
		list = rc->kind == REC_SG;
	} else {
		key = pick_dma_pa(w, in);
		len = pick_dma_len(in);
		dir = pick_dir(in);
		list = bend & 1;
		sg[0] = (struct siommu_dma_sg){ key, len, key };
	}
	if (bend & 0x10)
		len += 1;
	if (bend & 0x40)
		dir = pick_dir(in);
	if (list) {
		if ((bend & 0x80) && nents > 1)
			nents--;
		want = unmap_expect(d, sl, REC_SG, key, &len, dir, sg, nents);
	} else if (!d->dma) {
		want = -ENODEV;
	} else if (!len || dir > SIOMMU_DMA_FROM_DEVICE) {
		want = -EINVAL;
	} else {
		want = -ENOENT;
		for (r = 0; r < sl->n; r++) {
			const struct rec *o = &sl->rec[r];

			if (o->key != key)
				continue;
			if (o->kind != REC_SG && len <= o->len && dir == o->dir) {
				want = 0;
				break;
			}
			want = -EINVAL;
		}
	}
	if (list)
		ret = bend & 4 ? siommu_dma_sync_sg_for_cpu(d->dev, sg, nents, dir) :
				 siommu_dma_sync_sg_for_device(d->dev, sg, nents, dir);
	else
		ret = bend & 4 ? siommu_dma_sync_single_for_cpu(d->dev, key, len, dir) :
				 siommu_dma_sync_single_for_device(d->dev, key, len, dir);
	disarm_no_step(w);
	CHECK_EQ(ret, want < 0 ? want : 0);
}

static void op_pasid(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	uint32_t pasid = 0;
	bool injected;
	int ret;

	if (d->pasid || (take(in, 1) & 3) == 3) {
		ret = siommu_dma_disable_pasid(d->dev);
		disarm_no_step(w);
		CHECK_EQ(ret, !d->dma ? -ENODEV : !d->pasid ? -ENOENT : 0);
		d->pasid = 0;
		return;
	}
	ret = siommu_dma_enable_pasid(d->dev, &pasid);
	injected = disarm(w, ret);
	if (!d->dma) {
		CHECK_EQ(ret, -ENODEV);
	} else if (!d->bits) {
		CHECK_EQ(ret, -EOPNOTSUPP);
	} else if (!test_unit_pasid_domain_ok(d->cfg.passthrough ? SIOMMU_DOMAIN_IDENTITY :
					      SIOMMU_DOMAIN_PAGING,
					      d->cfg.stage == SIOMMU_STAGE_SECOND)) {
		CHECK(ret == -EINVAL || injected);
	} else {
		CHECK(ret == 0 || injected);
		if (!ret) {
			CHECK(pasid && pasid < (1u << d->bits));
			d->pasid = pasid;
		}
	}
}

static void op_flush(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	int ret = siommu_dma_flush(d->dev);

	disarm_no_step(w);
	CHECK_EQ(ret, d->dma ? 0 : -ENODEV);
	if (d->dma)
		dma_check_flushed(w, slot_of(w, d));
}

/* Tear a device's DMA down, or set it up again. */
static void op_setup(struct world *w, struct in *in)
{
	struct devm *d = pick_dev(w, in);
	struct slot *sl = slot_of(w, d);
	struct siommu_dma_info info;
	unsigned int i, pol;
	int ret;

	if (d->dma) {
		siommu_dma_teardown(d->dev);
		disarm_no_step(w);
		d->dma = false;
		d->pasid = 0;
		for (i = 0; i < NR_DEV; i++)
			if (slot_of(w, &w->dev[i]) == sl)
				return;
		/* The last user took the domain and its mappings with it. */
		sl->dom = NULL;
		return;
	}
	/* The context's default applies to a device whose cfg asks for it. */
	pol = (unsigned int)take(in, 1) % 5;
	CHECK_EQ(siommu_dma_set_default_policy(w->ctx, (enum siommu_dma_policy)pol),
		 pol <= SIOMMU_DMA_LAZY ? 0 : -EINVAL);
	ret = siommu_dma_setup(d->dev, &d->cfg);
	CHECK(!disarm(w, ret) ? ret == 0 : ret != 0);
	if (ret) {
		CHECK_EQ(siommu_dma_get_info(d->dev, &info), -ENODEV);
		return;
	}
	d->dma = true;
	sl = slot_of(w, d);
	CHECK_OK(siommu_dma_get_info(d->dev, &info));
	if (info.users == 1 && d->cfg.policy == SIOMMU_DMA_POLICY_DEFAULT &&
	    pol <= SIOMMU_DMA_LAZY && !d->cfg.passthrough)
		CHECK_EQ(info.policy, pol == SIOMMU_DMA_LAZY ? SIOMMU_DMA_LAZY
							     : SIOMMU_DMA_STRICT);
	CHECK_EQ(sl->lazy, info.policy == SIOMMU_DMA_LAZY);
}

static const struct devm dev_init[NR_DEV] = {
	/* a lazy first-stage domain, shared by a group of two */
	{ .rid = 0x0100, .bits = 20, .cfg = { .policy = SIOMMU_DMA_LAZY } },
	{ .rid = 0x0108, .bits = 8, .cfg = { .policy = SIOMMU_DMA_LAZY } },
	/* strict, second stage (write-only pages), a 32-bit DMA limit */
	{ .rid = 0x0200, .bits = 10, .cfg = { .policy = SIOMMU_DMA_STRICT,
		.stage = SIOMMU_STAGE_SECOND, .dma_limit = 0xffffffffull } },
	/* identity, with a limit below the pool */
	{ .rid = 0x0300, .bits = 0, .cfg = { .passthrough = true,
		.dma_limit = (4ull << 30) + SIOMMU_SZ_1G / 2 - 1 } },
	/* never set up: every call is -ENODEV */
	{ .rid = 0x0400, .bits = 20 },
};

static void world_init(struct world *w, struct in *in)
{
	static const unsigned int pt_pick[NR_PT] = { 0, 2, 6, 8 };
	struct siommu_mem_cfg mcfg = { POOL_BASE, SIOMMU_SZ_1G, 0 };
	struct siommu_unit *unit;
	unsigned int i;
	int ret;

	memset(w, 0, sizeof(*w));
	CHECK_OK(siommu_mem_create(&mcfg, &w->mem));
	CHECK_OK(siommu_mem_add_ram(w->mem, RAM_PA, RAM_SIZE, NULL));
	CHECK_OK(siommu_mem_frame_alloc(w->mem, BUF_SIZE, SIOMMU_MEM_DMA, &w->buf));
	for (i = 0; i < NR_PT; i++) {
		struct ptm *m = &w->pt[i];
		struct siommu_pt_cfg cfg;

		m->pc = &pt_cases[pt_pick[i]];
		cfg = m->pc->cfg;
		/* Half the inputs track dirty pages (the walk for it runs). */
		if (take(in, 1) & 1)
			cfg.flags |= SIOMMU_PT_DIRTY_TRACKING;
		m->max_pa = (1ull << (cfg.format >= SIOMMU_PT_ARM_S1 ? 48 : 52)) - 1;
		m->dirty_ret = 1;
		CHECK_OK(siommu_pt_create(w->mem, &cfg, &m->pt));
	}
	CHECK_OK(siommu_ctx_create(&(struct siommu_ctx_cfg){ .mem = w->mem }, &w->ctx));
	CHECK_OK(test_unit_add(w->ctx, NULL, &unit));
	w->unit = unit;
	for (i = 0; i < NR_DEV; i++) {
		struct devm *d = &w->dev[i];

		*d = dev_init[i];
		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = d->rid, .pasid_bits = d->bits,
			.isolation_key = i < 2 ? 7 : 0, .alias_rid = SIOMMU_NO_ALIAS },
			&d->dev));
		if (i == NR_DEV - 1)
			continue;
		/* Setup itself may be failed by the input; then it runs again. */
		arm(w, take(in, 1) % 24);
		ret = siommu_dma_setup(d->dev, &d->cfg);
		if (disarm(w, ret)) {
			struct siommu_dma_info info;

			CHECK_EQ(siommu_dma_get_info(d->dev, &info), -ENODEV);
			ret = siommu_dma_setup(d->dev, &d->cfg);
		}
		CHECK_OK(ret);
		d->dma = true;
		slot_of(w, d);
	}
}

static void world_fini(struct world *w)
{
	struct siommu_mem_stats st;
	unsigned int i;

	for (i = 0; i < NR_PT; i++)
		siommu_pt_destroy(w->pt[i].pt);
	siommu_ctx_destroy(w->ctx);
	siommu_mem_frame_free(w->mem, w->buf, BUF_SIZE, SIOMMU_MEM_DMA);
	siommu_mem_get_stats(w->mem, &st);
	for (i = 0; i < SIOMMU_MEM_NR_PURPOSES; i++)
		CHECK_EQ(st.in_use[i], 0);
	siommu_mem_destroy(w->mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	struct in in = { data, size };
	unsigned int ops = 0;

	world_init(&w, &in);
	/* Enough operations to fill a lazy domain's flush queue. */
	while (in.n && ops++ < 1024) {
		uint64_t op = take(&in, 1);
		struct ptm *m = &w.pt[(op >> 4) % NR_PT];

		/* Bit 7: fail the n-th fallible step of this operation. */
		if (op & 0x80)
			arm(&w, take(&in, 1) % 32 + 1);
		switch (op % 16) {
		case 0:
			op_pt_map(&w, m, &in);
			break;
		case 1:
			if (op & 0x40)
				op_pt_protect(&w, m, &in);
			else
				op_pt_map(&w, m, &in);
			break;
		case 2:
			op_pt_unmap(&w, m, &in);
			break;
		case 3:
			op_pt_lookup(&w, m, &in);
			break;
		case 4:
			op_pt_dirty(&w, m, &in);
			break;
		case 5: case 6:
			op_map_single(&w, &in, false);
			break;
		case 7:
			op_map_single(&w, &in, true);
			break;
		case 8:
			op_map_sg(&w, &in);
			break;
		case 9:
			op_coherent(&w, &in);
			break;
		case 10: case 11:
			op_unmap(&w, &in);
			break;
		case 12:
			op_sync(&w, &in);
			break;
		case 13:
			op_pasid(&w, &in);
			break;
		case 14:
			op_flush(&w, &in);
			break;
		default:
			op_setup(&w, &in);
			break;
		}
		disarm(&w, 0);
		if (op % 16 >= 5)
			dma_check(&w);
	}
	dma_check(&w);
	world_fini(&w);
	return 0;
}
