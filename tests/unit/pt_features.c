/* SPDX-License-Identifier: MIT */
/*
 * Page-table features beyond map/unmap: permission encoding per the format
 * specifications, dirty tracking, protect (in-place permission changes, the
 * bytes it writes, the dirty state it keeps, the splits it makes), the
 * table-memory budget, level freeing through gathers, and the for_each
 * iterator.
 */
#include <errno.h>

#include <siommu/pt.h>

#include "pt_cases.h"
#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

/*
 * A decoded leaf grants what @prot asks, in the spec's bits. @dbm: an Arm
 * leaf of a dirty-tracking table: writable-clean until hardware writes it,
 * so W reads clear whatever @prot is.
 */
static void check_entry_prot(const struct ref_pte *d, unsigned int prot, bool stage2, bool dbm)
{
	if (dbm)
		CHECK(!d->w);
	else
		CHECK_EQ(d->w, !!(prot & SIOMMU_PROT_WRITE));
	CHECK_EQ(d->x, !!(prot & SIOMMU_PROT_EXEC));
	if (stage2)
		CHECK_EQ(d->r, !!(prot & SIOMMU_PROT_READ));
	else
		CHECK_EQ(d->user, !(prot & SIOMMU_PROT_PRIV));
}

/* Encoding of every prot, read back with the spec's bit layout. */
static void check_prot_encoding(const struct pt_case *pc)
{
	enum siommu_pt_format f = pc->cfg.format;
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	unsigned int prot, n = 0;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &pc->cfg, &pt));
	for (prot = 1; prot < 16; prot++) {
		uint64_t iova = (uint64_t)prot << 21;
		unsigned int lvl;
		struct ref_pte d;
		bool stage2 = f == SIOMMU_PT_VTD_SS || f == SIOMMU_PT_ARM_S2;

		if (!(prot & RW))
			continue;
		if (stage2 && (prot & SIOMMU_PROT_PRIV)) {
			CHECK_EQ(siommu_pt_map(pt, iova, iova, 0x1000, prot), -EINVAL);
			continue;
		}
		CHECK_OK(siommu_pt_map(pt, iova, iova, 0x1000, prot));
		CHECK(ref_walk(mem, pt, iova, &lvl, &d));
		CHECK_EQ(lvl, 0);
		CHECK_EQ(d.addr, iova);
		check_entry_prot(&d, prot, stage2, false);
		n++;
	}
	CHECK(n >= 6);
	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

/* What hardware does on a write to a page of a dirty-tracking table. */
static void hw_mark_dirty(struct siommu_mem *mem, struct siommu_pt *pt,
			  enum siommu_pt_format f, uint64_t iova)
{
	static const uint64_t set[] = {
		[SIOMMU_PT_X86_64] = 1ull << 6, [SIOMMU_PT_VTD_SS] = 1ull << 9,
		[SIOMMU_PT_ARM_S1] = 0, [SIOMMU_PT_ARM_S2] = 1ull << 7,
	};
	unsigned int lvl;
	struct ref_pte d;
	uint64_t epa = ref_walk(mem, pt, iova, &lvl, &d), e, n;

	CHECK(epa);
	CHECK_OK(siommu_mem_load64(mem, epa, &e));
	CHECK(!d.dirty_bit);
	n = f == SIOMMU_PT_ARM_S1 ? e & ~(1ull << 7) : e | set[f];
	CHECK_OK(siommu_mem_cmpxchg64(mem, epa, &e, n));
}

struct dirty_log {
	uint64_t iova[8], len[8];
	unsigned int n;
};

static void log_dirty(void *arg, uint64_t iova, uint64_t len)
{
	struct dirty_log *l = arg;

	CHECK(l->n < 8);
	l->iova[l->n] = iova;
	l->len[l->n++] = len;
}

static void check_dirty(const struct pt_case *pc)
{
	enum siommu_pt_format f = pc->cfg.format;
	struct siommu_pt_cfg cfg = pc->cfg;
	uint64_t base = 0x40000000;
	struct siommu_pt_leaf leaf;
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct dirty_log l;
	uint64_t pa;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	/* Without tracking there is nothing to read. */
	CHECK_OK(siommu_pt_create(mem, &cfg, &pt));
	CHECK_EQ(siommu_pt_read_and_clear_dirty(pt, 0, 0x1000, 0, log_dirty, &l),
		 -EOPNOTSUPP);
	siommu_pt_destroy(pt);

	cfg.flags = SIOMMU_PT_DIRTY_TRACKING;
	CHECK_OK(siommu_pt_create(mem, &cfg, &pt));
	CHECK_OK(siommu_pt_map(pt, base, 0, 0x4000, RW));
	CHECK_OK(siommu_pt_map(pt, base + 0x4000, 0x4000, 0x1000, SIOMMU_PROT_READ));
	CHECK_OK(siommu_pt_map(pt, base + SIOMMU_SZ_2M, SIOMMU_SZ_2M, SIOMMU_SZ_2M, RW));
	/* A clean writable leaf is still writable. */
	CHECK_OK(siommu_pt_iova_to_phys(pt, base, &pa, &leaf));
	CHECK(leaf.prot & SIOMMU_PROT_WRITE);
	CHECK(!leaf.dirty);

	memset(&l, 0, sizeof(l));
	CHECK_OK(siommu_pt_read_and_clear_dirty(pt, base, SIOMMU_SZ_1G, 0, log_dirty, &l));
	CHECK_EQ(l.n, 0);

	hw_mark_dirty(mem, pt, f, base);
	hw_mark_dirty(mem, pt, f, base + 0x1000);
	hw_mark_dirty(mem, pt, f, base + 0x3000);
	hw_mark_dirty(mem, pt, f, base + SIOMMU_SZ_2M);
	CHECK_OK(siommu_pt_iova_to_phys(pt, base + 0x1000, &pa, &leaf));
	CHECK(leaf.dirty);

	/* NO_CLEAR reports and leaves the state; the next read clears. */
	for (int pass = 0; pass < 2; pass++) {
		memset(&l, 0, sizeof(l));
		CHECK_OK(siommu_pt_read_and_clear_dirty(pt, base, SIOMMU_SZ_1G,
			pass ? 0 : SIOMMU_PT_DIRTY_NO_CLEAR, log_dirty, &l));
		/* Runs merge where dirty leaves touch: 0x2000 is clean and
		 * 0x4000 read-only, so three runs. */
		CHECK_EQ(l.n, 3);
		CHECK_EQ(l.iova[0], base);
		CHECK_EQ(l.len[0], 0x2000);
		CHECK_EQ(l.iova[1], base + 0x3000);
		CHECK_EQ(l.len[1], 0x1000);
		CHECK_EQ(l.iova[2], base + SIOMMU_SZ_2M);
		CHECK_EQ(l.len[2], SIOMMU_SZ_2M);
	}
	memset(&l, 0, sizeof(l));
	CHECK_OK(siommu_pt_read_and_clear_dirty(pt, base + SIOMMU_SZ_2M,
						SIOMMU_SZ_2M, 0, log_dirty, &l));
	CHECK_EQ(l.n, 0);	/* cleared by the previous full read */
	/* Cleared leaves keep their permissions and address. */
	CHECK_OK(siommu_pt_iova_to_phys(pt, base + 0x1000, &pa, &leaf));
	CHECK_EQ(pa, 0x1000);
	CHECK(leaf.prot & SIOMMU_PROT_WRITE);
	CHECK(!leaf.dirty);

	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

/* The entry for @iova read the way hardware reads it: level, R/W/X, dirty. */
static struct ref_pte walk_entry(struct siommu_mem *mem, struct siommu_pt *pt,
				 uint64_t iova, unsigned int *lvl)
{
	struct ref_pte d;

	CHECK(ref_walk(mem, pt, iova, lvl, &d));
	return d;
}

static void check_protect(const struct pt_case *pc)
{
	enum siommu_pt_format f = pc->cfg.format;
	bool stage2 = f == SIOMMU_PT_VTD_SS || f == SIOMMU_PT_ARM_S2;
	struct siommu_pt_cfg cfg = pc->cfg;
	uint64_t base = 0x40000000, pa, pages;
	struct siommu_pt_gather g;
	struct siommu_pt_leaf leaf;
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct dirty_log l;
	unsigned int prot, lvl;
	struct ref_pte d;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	cfg.flags = SIOMMU_PT_DIRTY_TRACKING;
	CHECK_OK(siommu_pt_create(mem, &cfg, &pt));

	/* Every permission the format has, written as the spec lays it out,
	 * on a 4K page and on a 2M leaf the range covers whole. */
	CHECK_OK(siommu_pt_map(pt, base, 0x7000, 0x1000, RW));
	CHECK_OK(siommu_pt_map(pt, base + SIOMMU_SZ_2M, SIOMMU_SZ_2M, SIOMMU_SZ_2M, RW));
	for (prot = 1; prot < 16; prot++) {
		if (!(prot & RW) || (stage2 && (prot & SIOMMU_PROT_PRIV)))
			continue;
		for (unsigned int k = 0; k < 2; k++) {
			uint64_t at = k ? base + SIOMMU_SZ_2M : base;

			siommu_pt_gather_init(&g);
			CHECK_OK(siommu_pt_protect(pt, at, k ? SIOMMU_SZ_2M : 0x1000, prot, &g));
			CHECK(g.leaf_only);
			CHECK_EQ(g.start, at);
			siommu_pt_gather_release(&g);
			d = walk_entry(mem, pt, at, &lvl);
			CHECK_EQ(lvl, k);
			CHECK_EQ(d.addr, k ? SIOMMU_SZ_2M : 0x7000);
			check_entry_prot(&d, prot, stage2,
					 f == SIOMMU_PT_ARM_S1 || f == SIOMMU_PT_ARM_S2);
			CHECK_OK(siommu_pt_iova_to_phys(pt, at, &pa, &leaf));
			CHECK_EQ(leaf.prot & RW, stage2 ? prot & RW :
						     (prot & RW) | SIOMMU_PROT_READ);
		}
	}

	/* A page that stays writable stays dirty; one made read-only is
	 * clean, and dirty again only after hardware writes it again. */
	CHECK_OK(siommu_pt_map(pt, base + 0x1000, 0x8000, 0x2000, RW));
	hw_mark_dirty(mem, pt, f, base + 0x1000);
	hw_mark_dirty(mem, pt, f, base + 0x2000);
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_protect(pt, base + 0x1000, 0x1000, RW | SIOMMU_PROT_EXEC, &g));
	CHECK_OK(siommu_pt_protect(pt, base + 0x2000, 0x1000, SIOMMU_PROT_READ, &g));
	CHECK_EQ(g.start, base + 0x1000);
	CHECK_EQ(g.last, base + 0x2fff);
	siommu_pt_gather_release(&g);
	memset(&l, 0, sizeof(l));
	CHECK_OK(siommu_pt_read_and_clear_dirty(pt, base, SIOMMU_SZ_1G, 0, log_dirty, &l));
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.iova[0], base + 0x1000);
	CHECK_EQ(l.len[0], 0x1000);

	/* Cutting a 2M leaf: split into 4K leaves with the same translation
	 * and state (dirty, since it was), one table level more, the whole
	 * old leaf gathered as not a leaf only; only the cut pages change. */
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_protect(pt, base + SIOMMU_SZ_2M, SIOMMU_SZ_2M, RW, &g));
	siommu_pt_gather_release(&g);
	hw_mark_dirty(mem, pt, f, base + SIOMMU_SZ_2M);
	pages = siommu_pt_table_pages(pt);
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_protect(pt, base + SIOMMU_SZ_2M + 0x3000, 0x2000, SIOMMU_PROT_READ,
				   &g));
	CHECK(!g.leaf_only);
	CHECK_EQ(g.start, base + SIOMMU_SZ_2M);
	CHECK_EQ(g.last, base + 2 * SIOMMU_SZ_2M - 1);
	CHECK_EQ(g.nr_pages, 0);
	siommu_pt_gather_release(&g);
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 1);
	for (uint64_t off = 0; off < SIOMMU_SZ_2M; off += 0x1000) {
		bool cut = off == 0x3000 || off == 0x4000;

		d = walk_entry(mem, pt, base + SIOMMU_SZ_2M + off, &lvl);
		CHECK_EQ(lvl, 0);
		CHECK_EQ(d.addr, SIOMMU_SZ_2M + off);
		CHECK_EQ(d.dirty_bit, !cut);
		CHECK_OK(siommu_pt_iova_to_phys(pt, base + SIOMMU_SZ_2M + off, &pa, &leaf));
		CHECK_EQ(leaf.size, 0x1000);
		CHECK_EQ(!!(leaf.prot & SIOMMU_PROT_WRITE), !cut);
	}
	/* The range covers the split pieces whole now: no new split. */
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_protect(pt, base + SIOMMU_SZ_2M, SIOMMU_SZ_2M, RW, &g));
	CHECK(g.leaf_only);
	siommu_pt_gather_release(&g);
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 1);
	siommu_pt_destroy(pt);

	/* A 1G leaf in a table without 2M leaves splits straight into 4K
	 * leaves under 512 new tables; a range ending at the top of the
	 * input width has no end to split; holes are skipped. */
	cfg = pc->cfg;
	cfg.pgsize_bitmap = SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_1G;
	CHECK_OK(siommu_pt_create(mem, &cfg, &pt));
	CHECK_OK(siommu_pt_map(pt, SIOMMU_SZ_1G, SIOMMU_SZ_1G, SIOMMU_SZ_1G, RW));
	CHECK_OK(siommu_pt_map(pt, pc->max_iova + 1 - SIOMMU_SZ_1G, 0, SIOMMU_SZ_1G, RW));
	pages = siommu_pt_table_pages(pt);
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_protect(pt, SIOMMU_SZ_1G - 0x1000, 0x3000, SIOMMU_PROT_READ, &g));
	CHECK_EQ(g.start, SIOMMU_SZ_1G - 0x1000);
	CHECK_EQ(g.last, 2 * SIOMMU_SZ_1G - 1);
	siommu_pt_gather_release(&g);
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 513);
	d = walk_entry(mem, pt, SIOMMU_SZ_1G + 0x1000, &lvl);
	CHECK_EQ(lvl, 0);
	CHECK(!d.w);
	d = walk_entry(mem, pt, SIOMMU_SZ_1G + 0x2000, &lvl);
	CHECK_EQ(lvl, 0);
	CHECK_EQ(d.addr, SIOMMU_SZ_1G + 0x2000);
	CHECK(d.w || f == SIOMMU_PT_ARM_S1 || f == SIOMMU_PT_ARM_S2);
	CHECK_OK(siommu_pt_iova_to_phys(pt, SIOMMU_SZ_1G + 0x2000, &pa, &leaf));
	CHECK(leaf.prot & SIOMMU_PROT_WRITE);
	pages = siommu_pt_table_pages(pt);
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_protect(pt, pc->max_iova + 1 - SIOMMU_SZ_1G + SIOMMU_SZ_2M,
				   SIOMMU_SZ_1G - SIOMMU_SZ_2M, SIOMMU_PROT_READ, &g));
	siommu_pt_gather_release(&g);
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 513);
	CHECK_OK(siommu_pt_iova_to_phys(pt, pc->max_iova, &pa, &leaf));
	CHECK_EQ(leaf.prot & SIOMMU_PROT_WRITE, 0);
	CHECK_EQ(pa, SIOMMU_SZ_1G - 1);
	CHECK_OK(siommu_pt_iova_to_phys(pt, pc->max_iova + 1 - SIOMMU_SZ_1G, &pa, &leaf));
	CHECK(leaf.prot & SIOMMU_PROT_WRITE);
	CHECK_EQ(leaf.size, 0x1000);
	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

/* 1 GiB of 4K pages costs at most 1.01 x its 2 MiB of leaf entries. */
static void check_memory(const struct pt_case *pc)
{
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct siommu_mem_stats st;
	double ratio;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &pc->cfg, &pt));
	/* pa off by 4K: no 2M leaf fits, every page is a 4K leaf. */
	CHECK_OK(siommu_pt_map(pt, SIOMMU_SZ_1G, 0x1000, SIOMMU_SZ_1G, RW));
	siommu_mem_get_stats(mem, &st);
	ratio = (double)st.in_use[SIOMMU_MEM_PT] / (2 << 20);
	fprintf(stderr, "%-10s 1 GiB of 4K pages: %" PRIu64 " table pages, %.4f x leaf PTEs\n",
		pc->name, siommu_pt_table_pages(pt), ratio);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], siommu_pt_table_pages(pt) << 12);
	CHECK(ratio <= 1.01);
	siommu_pt_destroy(pt);
	siommu_mem_get_stats(mem, &st);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
	siommu_mem_destroy(mem);
}

static int count_runs(void *arg, const struct siommu_pt_run *run)
{
	unsigned int *n = arg;

	return ++*n == 3 ? 42 : 0;
}

struct runs { struct siommu_pt_run r[8]; unsigned int n; };

static int save_run(void *arg, const struct siommu_pt_run *run)
{
	struct runs *rs = arg;

	CHECK(rs->n < 8);
	rs->r[rs->n++] = *run;
	return 0;
}

static void check_levels_and_iter(const struct pt_case *pc)
{
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct siommu_pt_gather g;
	struct runs rs = { .n = 0 };
	uint64_t pages, done, base = 0x80000000;
	unsigned int n = 0;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &pc->cfg, &pt));
	CHECK_EQ(siommu_pt_table_pages(pt), 1);

	/* 2M of 4K pages: one leaf table below the upper levels. */
	CHECK_OK(siommu_pt_map(pt, base, 0x1000, SIOMMU_SZ_2M, RW));
	pages = siommu_pt_table_pages(pt);
	CHECK_EQ(pages, pc->levels);

	/* Iteration merges contiguous leaves and stops on request. */
	CHECK_OK(siommu_pt_map(pt, base + SIOMMU_SZ_2M, 0x1000 + SIOMMU_SZ_2M, 0x2000, RW));
	CHECK_OK(siommu_pt_map(pt, base + SIOMMU_SZ_2M + 0x2000, 0x100000, 0x1000, RW));
	CHECK_OK(siommu_pt_map(pt, base + SIOMMU_SZ_2M + 0x3000, 0x101000, 0x1000,
			       SIOMMU_PROT_READ));
	CHECK_OK(siommu_pt_for_each(pt, 0, pc->max_iova + 1, save_run, &rs));
	CHECK_EQ(rs.n, 3);
	CHECK_EQ(rs.r[0].iova, base);
	CHECK_EQ(rs.r[0].length, SIOMMU_SZ_2M + 0x2000);
	CHECK_EQ(rs.r[1].pa, 0x100000);
	CHECK_EQ(rs.r[1].length, 0x1000);
	CHECK_EQ(rs.r[2].prot & SIOMMU_PROT_WRITE, 0);
	CHECK_EQ(siommu_pt_for_each(pt, 0, pc->max_iova + 1, count_runs, &n), 42);
	/* A window starting inside a run reports its tail only. */
	rs.n = 0;
	CHECK_OK(siommu_pt_for_each(pt, base + 0x5000, 0x2000, save_run, &rs));
	CHECK_EQ(rs.n, 1);
	CHECK_EQ(rs.r[0].iova, base + 0x5000);
	CHECK_EQ(rs.r[0].pa, 0x6000);
	CHECK_EQ(rs.r[0].length, 0x2000);
	CHECK_OK(siommu_pt_unmap(pt, base + SIOMMU_SZ_2M, 0x4000, NULL, &done));
	CHECK_EQ(done, 0x4000);

	/* Piecemeal unmaps keep the level; without a gather it is kept too. */
	CHECK_OK(siommu_pt_unmap(pt, base, SIOMMU_SZ_2M - 0x1000, NULL, &done));
	CHECK_OK(siommu_pt_unmap(pt, base + SIOMMU_SZ_2M - 0x1000, 0x1000, NULL, &done));
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 1);

	/* An unmap covering the level unlinks it into the gather; it is freed
	 * on release, not before. */
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_unmap(pt, base, SIOMMU_SZ_2M, &g, &done));
	CHECK_EQ(done, 0);
	CHECK_EQ(g.nr_pages, 1);
	CHECK(!g.leaf_only);
	CHECK_EQ(g.start, base);
	CHECK_EQ(g.last, base + SIOMMU_SZ_2M - 1);
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 1);
	siommu_pt_gather_release(&g);
	CHECK_EQ(siommu_pt_table_pages(pt), pages);
	CHECK_EQ(g.nr_pages, 0);

	/* A 1G unmap takes the 2M-level table and every leaf table below it. */
	CHECK_OK(siommu_pt_map(pt, base, 0x1000, 4 * SIOMMU_SZ_2M, RW));
	CHECK_EQ(siommu_pt_table_pages(pt), pages + 3);
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_unmap(pt, base, SIOMMU_SZ_1G, &g, &done));
	CHECK_EQ(done, 4 * SIOMMU_SZ_2M);
	CHECK_EQ(g.nr_pages, 5);
	siommu_pt_gather_release(&g);
	CHECK_EQ(siommu_pt_table_pages(pt), pc->levels - 2);

	/* Leaf-only unmaps say so. */
	CHECK_OK(siommu_pt_map(pt, base, 0, SIOMMU_SZ_2M, RW));
	siommu_pt_gather_init(&g);
	CHECK_OK(siommu_pt_unmap(pt, base, SIOMMU_SZ_2M, &g, &done));
	CHECK(g.leaf_only);
	CHECK_EQ(done, SIOMMU_SZ_2M);
	siommu_pt_gather_release(&g);

	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

/* Two address spaces, one table each: nothing leaks across. */
static void check_independent(void)
{
	struct siommu_mem *m1, *m2;
	struct siommu_pt *p1, *p2;
	uint64_t pa;

	CHECK_OK(siommu_mem_create(NULL, &m1));
	CHECK_OK(siommu_mem_create(NULL, &m2));
	CHECK_OK(siommu_pt_create(m1, &pt_cases[0].cfg, &p1));
	CHECK_OK(siommu_pt_create(m2, &pt_cases[0].cfg, &p2));
	CHECK_OK(siommu_pt_map(p1, 0x1000, 0x7000, 0x1000, RW));
	CHECK_EQ(siommu_pt_iova_to_phys(p2, 0x1000, &pa, NULL), -ENOENT);
	CHECK_OK(siommu_pt_map(p2, 0x1000, 0x9000, 0x1000, RW));
	CHECK_OK(siommu_pt_iova_to_phys(p1, 0x1000, &pa, NULL));
	CHECK_EQ(pa, 0x7000);
	siommu_pt_destroy(p1);
	siommu_pt_destroy(p2);
	siommu_mem_destroy(m1);
	siommu_mem_destroy(m2);
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < NR_PT_CASES; i++) {
		check_prot_encoding(&pt_cases[i]);
		check_dirty(&pt_cases[i]);
		check_protect(&pt_cases[i]);
		check_memory(&pt_cases[i]);
		check_levels_and_iter(&pt_cases[i]);
	}
	check_independent();
	return 0;
}
