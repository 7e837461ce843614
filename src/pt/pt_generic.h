/* SPDX-License-Identifier: MIT */
/*
 * The generic page-table walker, compiled once per format.
 *
 * A format file defines, before including this file:
 *   fmt_present(pte)             entry is valid
 *   fmt_is_table(pte, lvl)       valid entry at lvl > 0 points to a table
 *   fmt_oa(pte, lvl)             output address (table or leaf base)
 *   fmt_table_pte(pt, pa)        entry pointing to the table at pa
 *   fmt_leaf_bits(pt, lvl, prot) everything of a leaf at lvl but its address
 *   fmt_leaf_prot(pt, pte)       SIOMMU_PROT_* of a leaf
 *   fmt_prot_ok(pt, prot)        0, or -EINVAL for a prot it cannot express
 *   fmt_dirty(pt, pte), fmt_clean(pt, pte), FMT_HAS_DIRTY
 *   fmt_mark_dirty(pt, pte)      a writable leaf made dirty (the inverse of
 *                                fmt_clean)
 *   PT_OPS_NAME                  the struct pt_ops to define
 *
 * Memory ordering: a new table is zeroed before it is published with a
 * release compare-and-swap; walkers load entries with acquire, so the zeroes
 * (and anything stored into the table later, which walkers load themselves)
 * are seen. Leaves are single 64-bit stores: a walker sees the old or the
 * new entry, never a mix. A leaf that stays present while it changes (a
 * protect, a split) changes with one compare-and-swap, so that a hardware
 * A/D update racing with it is never lost and a walker never finds the
 * entry absent.
 */
#ifndef PT_OPS_NAME
#error "define the format codec and PT_OPS_NAME before including pt_generic.h"
#endif

#include <errno.h>

#include "util/rcu.h"

static inline_hot uint64_t *gen_host(struct siommu_pt *pt, uint64_t pa)
{
	/* Table levels always come from the frame pool. */
	uint64_t *t = mem_pool_host(pt->mem, pa);

	SIOMMU_ASSERT(t);
	return t;
}

static inline_hot uint64_t gen_load(const uint64_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* The table an entry points to: page-aligned, whatever its level. */
static inline_hot uint64_t gen_table_pa(uint64_t pte)
{
	return fmt_oa(pte, 0);
}

static inline_hot bool gen_is_leaf(uint64_t pte, unsigned int lvl)
{
	return lvl == 0 || !fmt_is_table(pte, lvl);
}

/*
 * The table below *slot, allocating and installing it if the slot is empty.
 * Returns NULL with *err set: -EEXIST if a leaf sits there, -ENOMEM.
 */
static uint64_t *gen_child(struct siommu_pt *pt, uint64_t *slot,
			   unsigned int lvl, int *err)
{
	uint64_t pte = gen_load(slot), npa;

	if (fmt_present(pte)) {
		if (!fmt_is_table(pte, lvl)) {
			*err = -EEXIST;
			return NULL;
		}
		return gen_host(pt, gen_table_pa(pte));
	}
	if (siommu_mem_frame_alloc(pt->mem, SIOMMU_SZ_4K, SIOMMU_MEM_PT, &npa)) {
		*err = -ENOMEM;
		return NULL;
	}
	/* The frame is zeroed; publish it. Another mapper of a neighbouring
	 * range may have installed one first: then use theirs. */
	if (!__atomic_compare_exchange_n(slot, &pte, fmt_table_pte(pt, npa),
					 false, __ATOMIC_RELEASE,
					 __ATOMIC_ACQUIRE)) {
		siommu_mem_frame_free(pt->mem, npa, SIOMMU_SZ_4K, SIOMMU_MEM_PT);
		if (!fmt_present(pte) || !fmt_is_table(pte, lvl)) {
			*err = -EEXIST;
			return NULL;
		}
		return gen_host(pt, gen_table_pa(pte));
	}
	__atomic_fetch_add(&pt->table_pages, 1, __ATOMIC_RELAXED);
	return gen_host(pt, npa);
}

/*
 * Fill table[i..end] with leaves leaf, leaf + step, ... up to the first entry
 * that is not empty; returns the index after the last one filled. Each leaf
 * is published with one single-copy-atomic release store for lock-free
 * walkers, whose acquire loads of it then see what the mapper wrote to the
 * page before the map (a process's page zeroed or read back from swap,
 * then mapped, with devices already walking the table).
 */
static inline_hot unsigned int gen_fill(uint64_t *table, unsigned int i,
					unsigned int end, uint64_t leaf,
					uint64_t step)
{
	for (; i <= end; i++, leaf += step) {
		if (unlikely(READ_ONCE(table[i])))
			break;
		__atomic_store_n(&table[i], leaf, __ATOMIC_RELEASE);
	}
	return i;
}

static int gen_map_level(struct siommu_pt *pt, unsigned int lvl, uint64_t *table,
			 uint64_t iova, uint64_t last, uint64_t pa,
			 const uint64_t *bits, uint64_t *fail_at)
{
	unsigned int idx = pt_index(iova, lvl);

	if (lvl == 0) {
		/* The hot path: consecutive 4K leaves in one table. */
		unsigned int end = idx + ((last - iova) >> 12);
		unsigned int i = gen_fill(table, idx, end, bits[0] | pa, SIOMMU_SZ_4K);

		if (unlikely(i <= end)) {
			*fail_at = iova + ((uint64_t)(i - idx) << 12);
			return -EEXIST;
		}
		return 0;
	}

	for (;;) {
		uint64_t size = 1ull << pt_shift(lvl);
		uint64_t entry_last = iova | (size - 1);
		uint64_t *slot = &table[idx];
		int err;

		if ((pt->leaf_levels & (1u << lvl)) && is_aligned64(iova | pa, size) &&
		    entry_last <= last) {
			/* A run of large leaves: as tight as the 4K loop. Only
			 * entries wholly inside [iova, last]; the caller bounded
			 * last to this table's span. */
			unsigned int end = idx - 1 + ((last - iova + 1) >> pt_shift(lvl));
			unsigned int i = gen_fill(table, idx, end, bits[lvl] | pa, size);

			pa += (uint64_t)(i - idx) << pt_shift(lvl);
			iova += (uint64_t)(i - idx) << pt_shift(lvl);
			if (iova - 1 == last)
				return 0;
			idx = i;
			slot = &table[idx];
			entry_last = iova | (size - 1);
			if (i <= end) {
				uint64_t pte = gen_load(slot);

				if (!fmt_present(pte) || !fmt_is_table(pte, lvl)) {
					*fail_at = iova;
					return -EEXIST;
				}
				/* A table is there already: fill it with
				 * smaller pages. */
			}
			/* else: the tail, shorter than one entry. */
		}
		uint64_t *child = gen_child(pt, slot, lvl, &err);

		if (!child) {
			*fail_at = iova;
			return err;
		}
		err = gen_map_level(pt, lvl - 1, child, iova,
				    entry_last < last ? entry_last : last, pa, bits,
				    fail_at);
		if (err)
			return err;
		if (entry_last >= last)
			return 0;
		pa += entry_last - iova + 1;
		iova = entry_last + 1;
		idx++;
	}
}

static int gen_map(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		   uint64_t pa, unsigned int prot, uint64_t *fail_at)
{
	uint64_t bits[PT_MAX_LEVELS];
	unsigned int l;

	for (l = 0; l <= pt->top_level; l++)
		bits[l] = fmt_leaf_bits(pt, l, prot);
	return gen_map_level(pt, pt->top_level, pt->root, iova, last, pa, bits,
			     fail_at);
}

static void gen_gather_table(struct siommu_pt *pt, struct siommu_pt_gather *g,
			     uint64_t pa)
{
	struct frame_list l = { g->pages_head, g->nr_pages };

	mem_frame_list_add(pt->mem, &l, pa);
	g->pages_head = l.head;
	g->nr_pages = l.count;
	g->leaf_only = false;
}

/*
 * Count the leaves of an unlinked subtree and gather its tables. The subtree
 * is not modified: walkers that entered it before it was unlinked keep
 * seeing the mappings it held until the grace period ends.
 */
static void gen_collect(struct siommu_pt *pt, unsigned int lvl, uint64_t *table,
			struct siommu_pt_gather *g, uint64_t *unmapped)
{
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		uint64_t pte = gen_load(&table[i]);

		if (!fmt_present(pte))
			continue;
		if (gen_is_leaf(pte, lvl)) {
			*unmapped += 1ull << pt_shift(lvl);
		} else {
			uint64_t cpa = gen_table_pa(pte);

			gen_collect(pt, lvl - 1, gen_host(pt, cpa), g, unmapped);
			gen_gather_table(pt, g, cpa);
		}
	}
}

static void gen_unmap_level(struct siommu_pt *pt, unsigned int lvl,
			    uint64_t *table, uint64_t iova, uint64_t last,
			    struct siommu_pt_gather *g, uint64_t *unmapped)
{
	unsigned int idx = pt_index(iova, lvl);

	if (lvl == 0) {
		unsigned int end = idx + ((last - iova) >> 12);
		uint64_t n = 0;

		for (; idx <= end; idx++) {
			if (READ_ONCE(table[idx])) {
				WRITE_ONCE(table[idx], 0);
				n++;
			}
		}
		*unmapped += n << 12;
		return;
	}

	for (;;) {
		uint64_t size = 1ull << pt_shift(lvl);
		uint64_t entry_last = iova | (size - 1);
		uint64_t pte = gen_load(&table[idx]);

		if (fmt_present(pte)) {
			if (!fmt_is_table(pte, lvl)) {
				/* Partial cover of a large leaf was refused
				 * before anything changed. */
				WRITE_ONCE(table[idx], 0);
				*unmapped += size;
			} else if (g && is_aligned64(iova, size) &&
				   entry_last <= last) {
				uint64_t cpa = gen_table_pa(pte);

				__atomic_store_n(&table[idx], 0, __ATOMIC_RELEASE);
				gen_collect(pt, lvl - 1, gen_host(pt, cpa), g,
					    unmapped);
				gen_gather_table(pt, g, cpa);
			} else {
				gen_unmap_level(pt, lvl - 1,
						gen_host(pt, gen_table_pa(pte)), iova,
						entry_last < last ? entry_last : last,
						g, unmapped);
			}
		}
		if (entry_last >= last)
			return;
		iova = entry_last + 1;
		idx++;
	}
}

static void gen_unmap(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		      struct siommu_pt_gather *g, uint64_t *unmapped)
{
	gen_unmap_level(pt, pt->top_level, pt->root, iova, last, g, unmapped);
}

static void gen_free_level(struct siommu_pt *pt, unsigned int lvl,
			   uint64_t *table)
{
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		uint64_t pte = table[i];

		if (!fmt_present(pte) || gen_is_leaf(pte, lvl))
			continue;
		gen_free_level(pt, lvl - 1, gen_host(pt, gen_table_pa(pte)));
		siommu_mem_frame_free(pt->mem, gen_table_pa(pte), SIOMMU_SZ_4K,
				      SIOMMU_MEM_PT);
		table[i] = 0;
	}
}

/*
 * A leaf at @lvl for @oa with @prot; dirty when @dirty and still writable,
 * so that a protect or a split keeps what hardware recorded.
 */
static inline uint64_t gen_leaf(struct siommu_pt *pt, unsigned int lvl, uint64_t oa,
				unsigned int prot, bool dirty)
{
	uint64_t pte = fmt_leaf_bits(pt, lvl, prot) | oa;

	return dirty && (prot & SIOMMU_PROT_WRITE) ? fmt_mark_dirty(pt, pte) : pte;
}

static bool gen_leaf_dirty(struct siommu_pt *pt, uint64_t pte)
{
	return FMT_HAS_DIRTY && fmt_dirty(pt, pte);
}

/*
 * Build, unpublished, the table that replaces the leaf @pte at @lvl: the
 * same translation in leaves of the next size the table allows (levels
 * whose size it does not allow become tables in turn). *tpa gets the
 * table, *pages (added to) the table pages built. -ENOMEM frees what was
 * built. Nobody can see these tables yet: plain stores, immediate frees.
 */
static int gen_split_build(struct siommu_pt *pt, unsigned int lvl, uint64_t pte,
			   uint64_t *tpa, uint64_t *pages)
{
	unsigned int prot = fmt_leaf_prot(pt, pte), i, cl = lvl - 1;
	uint64_t oa = fmt_oa(pte, lvl), csize = 1ull << pt_shift(cl), *t;
	bool dirty = gen_leaf_dirty(pt, pte);

	if (siommu_mem_frame_alloc(pt->mem, SIOMMU_SZ_4K, SIOMMU_MEM_PT, tpa))
		return -ENOMEM;
	t = gen_host(pt, *tpa);
	for (i = 0; i < PT_ENTRIES; i++) {
		uint64_t leaf = gen_leaf(pt, cl, oa + i * csize, prot, dirty), cpa;

		if (pt->leaf_levels & (1u << cl)) {
			t[i] = leaf;
			continue;
		}
		/* Level 0 always holds leaves: cl > 0 here. */
		if (gen_split_build(pt, cl, leaf, &cpa, pages)) {
			gen_free_level(pt, cl, t);
			siommu_mem_frame_free(pt->mem, *tpa, SIOMMU_SZ_4K, SIOMMU_MEM_PT);
			return -ENOMEM;
		}
		t[i] = fmt_table_pte(pt, cpa);
	}
	*pages += 1;
	return 0;
}

static void gen_gather_range(struct siommu_pt_gather *g, uint64_t start, uint64_t last)
{
	if (start < g->start)
		g->start = start;
	if (last > g->last)
		g->last = last;
}

/*
 * Make @addr the start of a leaf, splitting the large leaves that straddle
 * it into tables of smaller leaves with the same translation: a walker
 * finds the old leaf or the new table, both translating every address as
 * before. Only entries holding @addr - 1 and @addr are visited, so when
 * one of them is the caller's range no concurrent unmap (of disjoint
 * ranges) frees them. A split gathers the whole old leaf for the flush, as
 * not a leaf only: caches may hold the large leaf where a table now is.
 * 0 or -ENOMEM (splits made so far stay; translations are unchanged).
 */
static int gen_split_at(struct siommu_pt *pt, uint64_t addr, struct siommu_pt_gather *g)
{
	uint64_t *table = pt->root;
	unsigned int lvl = pt->top_level;

	for (;;) {
		uint64_t size = 1ull << pt_shift(lvl), *slot = &table[pt_index(addr, lvl)];
		uint64_t pte = gen_load(slot), tpa, pages = 0;

		if (is_aligned64(addr, size) || !fmt_present(pte))
			return 0;
		if (!gen_is_leaf(pte, lvl)) {
			table = gen_host(pt, gen_table_pa(pte));
			lvl--;
			continue;
		}
		if (gen_split_build(pt, lvl, pte, &tpa, &pages))
			return -ENOMEM;
		if (!__atomic_compare_exchange_n(slot, &pte, fmt_table_pte(pt, tpa), false,
						 __ATOMIC_RELEASE, __ATOMIC_ACQUIRE)) {
			/* Hardware set A/D, or a neighbour's protect split it
			 * first: look again. */
			gen_free_level(pt, lvl - 1, gen_host(pt, tpa));
			siommu_mem_frame_free(pt->mem, tpa, SIOMMU_SZ_4K, SIOMMU_MEM_PT);
			continue;
		}
		__atomic_fetch_add(&pt->table_pages, pages, __ATOMIC_RELAXED);
		gen_gather_range(g, align_down64(addr, size), align_down64(addr, size) + size - 1);
		g->leaf_only = false;
	}
}

/* Give every leaf in [iova, last] (none straddles its ends) @bits. */
static void gen_protect_level(struct siommu_pt *pt, unsigned int lvl, uint64_t *table,
			      uint64_t iova, uint64_t last, unsigned int prot,
			      const uint64_t *bits, uint64_t *done)
{
	unsigned int idx = pt_index(iova, lvl);

	for (;;) {
		uint64_t size = 1ull << pt_shift(lvl);
		uint64_t entry_last = iova | (size - 1);
		uint64_t *slot = &table[idx];
		uint64_t pte = gen_load(slot), npte;

		if (fmt_present(pte) && !gen_is_leaf(pte, lvl)) {
			gen_protect_level(pt, lvl - 1, gen_host(pt, gen_table_pa(pte)), iova,
					  entry_last < last ? entry_last : last, prot, bits, done);
		} else if (fmt_present(pte)) {
			SIOMMU_ASSERT(is_aligned64(iova, size) && entry_last <= last);
			do {
				npte = bits[lvl] | fmt_oa(pte, lvl);
				if ((prot & SIOMMU_PROT_WRITE) && gen_leaf_dirty(pt, pte))
					npte = fmt_mark_dirty(pt, npte);
			} while (npte != pte &&
				 !__atomic_compare_exchange_n(slot, &pte, npte, false,
							      __ATOMIC_RELEASE, __ATOMIC_ACQUIRE) &&
				 fmt_present(pte));
			*done += size;
		}
		if (entry_last >= last)
			return;
		iova = entry_last + 1;
		idx++;
	}
}

static int gen_protect(struct siommu_pt *pt, uint64_t iova, uint64_t last, unsigned int prot,
		       struct siommu_pt_gather *g)
{
	uint64_t bits[PT_MAX_LEVELS], done = 0;
	unsigned int l;

	/* Splits first: they can fail, and change no translation. */
	if (gen_split_at(pt, iova, g) ||
	    (last < pt->max_iova && gen_split_at(pt, last + 1, g)))
		return -ENOMEM;
	for (l = 0; l <= pt->top_level; l++)
		bits[l] = fmt_leaf_bits(pt, l, prot);
	gen_protect_level(pt, pt->top_level, pt->root, iova, last, prot, bits, &done);
	if (done)
		gen_gather_range(g, iova, last);
	return 0;
}

static int gen_lookup(struct siommu_pt *pt, uint64_t iova,
		      struct siommu_pt_leaf *leaf)
{
	const uint64_t *table = pt->root;
	unsigned int lvl = pt->top_level;

	for (;;) {
		uint64_t pte = gen_load(&table[pt_index(iova, lvl)]);

		if (!fmt_present(pte))
			return -ENOENT;
		if (gen_is_leaf(pte, lvl)) {
			uint64_t size = 1ull << pt_shift(lvl);

			leaf->iova = align_down64(iova, size);
			leaf->pa = fmt_oa(pte, lvl);
			leaf->size = size;
			leaf->prot = fmt_leaf_prot(pt, pte);
			leaf->dirty = FMT_HAS_DIRTY && fmt_dirty(pt, pte);
			return 0;
		}
		table = gen_host(pt, gen_table_pa(pte));
		lvl--;
	}
}

/*
 * The hot lookup: output address only. The pool's geometry is copied into
 * locals first: after each acquire load the compiler may not reuse values it
 * read through pointers before it, so reading them per level costs four
 * loads a level.
 */
static int gen_phys(struct siommu_pt *pt, uint64_t iova, uint64_t *pa)
{
	const uint8_t *phost = pt->mem->pool.host;
	const uint64_t pbase = pt->mem->pool.base, psize = pt->mem->pool.size;
	const uint64_t *table = pt->root;
	unsigned int lvl = pt->top_level;

	for (;;) {
		uint64_t pte = gen_load(&table[pt_index(iova, lvl)]), off;

		if (!fmt_present(pte))
			return -ENOENT;
		if (gen_is_leaf(pte, lvl)) {
			*pa = fmt_oa(pte, lvl) | (iova & ((1ull << pt_shift(lvl)) - 1));
			return 0;
		}
		off = gen_table_pa(pte) - pbase;
		if (unlikely(off >= psize))
			return -EFAULT;	/* tables are pool frames: never here */
		table = (const uint64_t *)(phost + off);
		lvl--;
	}
}

/* Merges consecutive leaves into runs for for_each and dirty reporting. */
struct gen_runs {
	struct siommu_pt_run cur;	/* length 0: none pending */
	siommu_pt_run_fn fn;
	void *arg;
};

static int gen_runs_add(struct gen_runs *r, uint64_t iova, uint64_t pa,
			uint64_t size, unsigned int prot)
{
	struct siommu_pt_run *c = &r->cur;
	int ret = 0;

	if (c->length && c->iova + c->length == iova &&
	    c->pa + c->length == pa && c->prot == prot) {
		c->length += size;
		if (size > c->pgsize)
			c->pgsize = size;
		return 0;
	}
	if (c->length)
		ret = r->fn(r->arg, c);
	*c = (struct siommu_pt_run){ iova, pa, size, prot, size };
	return ret;
}

static int gen_for_each_level(struct siommu_pt *pt, unsigned int lvl,
			      const uint64_t *table, uint64_t iova,
			      uint64_t last, struct gen_runs *r)
{
	unsigned int idx = pt_index(iova, lvl);

	for (;;) {
		uint64_t size = 1ull << pt_shift(lvl);
		uint64_t entry_last = iova | (size - 1);
		uint64_t pte = gen_load(&table[idx]);
		int ret = 0;

		if (fmt_present(pte)) {
			if (gen_is_leaf(pte, lvl))
				ret = gen_runs_add(r, align_down64(iova, size),
						   fmt_oa(pte, lvl), size,
						   fmt_leaf_prot(pt, pte));
			else
				ret = gen_for_each_level(pt, lvl - 1,
					gen_host(pt, gen_table_pa(pte)), iova,
					entry_last < last ? entry_last : last, r);
			if (ret)
				return ret;
		}
		if (entry_last >= last)
			return 0;
		iova = entry_last + 1;
		idx++;
	}
}

static int gen_for_each(struct siommu_pt *pt, uint64_t iova, uint64_t last,
			siommu_pt_run_fn fn, void *arg)
{
	struct gen_runs r = { .fn = fn, .arg = arg };
	int ret = gen_for_each_level(pt, pt->top_level, pt->root, iova, last, &r);

	if (!ret && r.cur.length)
		ret = fn(arg, &r.cur);
	return ret;
}

struct gen_dirty {
	uint64_t iova, length;	/* pending run */
	siommu_pt_dirty_fn fn;
	void *arg;
	bool clear;
};

static void gen_dirty_add(struct gen_dirty *d, uint64_t iova, uint64_t size)
{
	if (d->length && d->iova + d->length == iova) {
		d->length += size;
		return;
	}
	if (d->length)
		d->fn(d->arg, d->iova, d->length);
	d->iova = iova;
	d->length = size;
}

static void gen_dirty_level(struct siommu_pt *pt, unsigned int lvl,
			    uint64_t *table, uint64_t iova, uint64_t last,
			    struct gen_dirty *d)
{
	unsigned int idx = pt_index(iova, lvl);

	for (;;) {
		uint64_t size = 1ull << pt_shift(lvl);
		uint64_t entry_last = iova | (size - 1);
		uint64_t pte = gen_load(&table[idx]);

		if (fmt_present(pte)) {
			if (!gen_is_leaf(pte, lvl)) {
				gen_dirty_level(pt, lvl - 1,
						gen_host(pt, gen_table_pa(pte)), iova,
						entry_last < last ? entry_last : last, d);
			} else if (fmt_dirty(pt, pte)) {
				gen_dirty_add(d, align_down64(iova, size), size);
				/* A hardware A/D update may race: retry on it,
				 * never overwrite it. */
				while (d->clear && fmt_dirty(pt, pte) &&
				       !__atomic_compare_exchange_n(&table[idx], &pte,
						fmt_clean(pt, pte), false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					;
			}
		}
		if (entry_last >= last)
			return;
		iova = entry_last + 1;
		idx++;
	}
}

static int gen_dirty(struct siommu_pt *pt, uint64_t iova, uint64_t last,
		     unsigned int flags, siommu_pt_dirty_fn fn, void *arg)
{
	struct gen_dirty d = {
		.fn = fn, .arg = arg,
		.clear = !(flags & SIOMMU_PT_DIRTY_NO_CLEAR),
	};

	if (!FMT_HAS_DIRTY)
		return -EOPNOTSUPP;
	gen_dirty_level(pt, pt->top_level, pt->root, iova, last, &d);
	if (d.length)
		fn(arg, d.iova, d.length);
	return 0;
}

static void gen_free_levels(struct siommu_pt *pt)
{
	gen_free_level(pt, pt->top_level, pt->root);
}

const struct pt_ops PT_OPS_NAME = {
	.prot_ok = fmt_prot_ok,
	.map = gen_map,
	.unmap = gen_unmap,
	.protect = gen_protect,
	.lookup = gen_lookup,
	.phys = gen_phys,
	.for_each = gen_for_each,
	.dirty = gen_dirty,
	.free_levels = gen_free_levels,
	.has_dirty = FMT_HAS_DIRTY,
};
