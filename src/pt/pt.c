/* SPDX-License-Identifier: MIT */
/*
 * I/O page tables: argument checking, format selection and gathers. The
 * walking is in pt_generic.h, compiled once per format.
 */
#include <errno.h>
#include <stdlib.h>

#include "pt/pt_internal.h"
#include "util/rcu.h"

struct pt_format_info {
	const char *name;
	const struct pt_ops *ops;
	unsigned int ias_min, ias_max, ias_default;
	unsigned int oas_max;
	bool lower_half_only;	/* x86-64: only the lower canonical half */
	bool fixed_ias;		/* VT-d SS: ias must be 39, 48 or 57 */
};

static const struct pt_format_info formats[SIOMMU_PT_NR_FORMATS] = {
	[SIOMMU_PT_X86_64] = { "x86_64", &pt_x86_64_ops, 48, 57, 48, 52, true, true },
	[SIOMMU_PT_VTD_SS] = { "vtd_ss", &pt_vtd_ss_ops, 39, 57, 48, 52, false, true },
	[SIOMMU_PT_ARM_S1] = { "arm_s1", &pt_arm_s1_ops, 32, 48, 48, 48, false, false },
	[SIOMMU_PT_ARM_S2] = { "arm_s2", &pt_arm_s2_ops, 32, 48, 48, 48, false, false },
};

const char SIOMMU_EXPORT *siommu_pt_format_name(enum siommu_pt_format format)
{
	if ((unsigned int)format >= SIOMMU_PT_NR_FORMATS)
		return "unknown";
	return formats[format].name;
}

static unsigned int levels_for(unsigned int ias)
{
	return (ias - 12 + 8) / 9;
}

int SIOMMU_EXPORT siommu_pt_create(struct siommu_mem *mem,
				   const struct siommu_pt_cfg *cfg,
				   struct siommu_pt **out)
{
	const struct pt_format_info *fi;
	struct siommu_pt *pt;
	unsigned int ias, oas, l;
	int ret;

	if (!mem || !cfg || !out || (unsigned int)cfg->format >= SIOMMU_PT_NR_FORMATS)
		return -EINVAL;
	fi = &formats[cfg->format];
	ias = cfg->ias ? cfg->ias : fi->ias_default;
	oas = cfg->oas ? cfg->oas : fi->oas_max;
	if (ias < fi->ias_min || ias > fi->ias_max || oas < 32 || oas > fi->oas_max)
		return -EINVAL;
	if (fi->fixed_ias && (ias - 12) % 9)
		return -EINVAL;
	if (cfg->pgsize_bitmap & ~SIOMMU_PGSIZE_ALL ||
	    (cfg->pgsize_bitmap && !(cfg->pgsize_bitmap & SIOMMU_PGSIZE_4K)))
		return -EINVAL;
	if (cfg->flags & ~SIOMMU_PT_DIRTY_TRACKING)
		return -EINVAL;

	if (mem_should_fail(mem))
		return -ENOMEM;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->mem = mem;
	pt->ops = fi->ops;
	pt->cfg = *cfg;
	pt->cfg.ias = ias;
	pt->cfg.oas = oas;
	if (!pt->cfg.pgsize_bitmap)
		pt->cfg.pgsize_bitmap = SIOMMU_PGSIZE_ALL;
	pt->top_level = levels_for(ias) - 1;
	pt->max_iova = fi->lower_half_only ? (1ull << (ias - 1)) - 1
					   : (1ull << ias) - 1;
	pt->max_pa = (1ull << oas) - 1;
	for (l = 0; l <= 2 && l <= pt->top_level; l++)
		if (pt->cfg.pgsize_bitmap & (1ull << pt_shift(l)))
			pt->leaf_levels |= 1u << l;

	ret = mem_should_fail(mem) ? -ENOMEM : rcu_domain_init(&pt->rcu, RCU_FENCE_NEVER);
	if (ret)
		goto out_free_pt;
	ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_PT, &pt->root_pa);
	if (ret)
		goto out_fini_rcu;
	pt->root = mem_pool_host(mem, pt->root_pa);
	pt->table_pages = 1;
	*out = pt;
	return 0;

out_fini_rcu:
	rcu_domain_fini(&pt->rcu);
out_free_pt:
	free(pt);
	return ret;
}

void SIOMMU_EXPORT siommu_pt_destroy(struct siommu_pt *pt)
{
	if (!pt)
		return;
	/*
	 * Lock-free readers of a table being destroyed are a caller bug; a
	 * hardware walk of it has ended with the invalidation wait of the
	 * detach, and walks only ever read pool frames, which stay mapped.
	 */
	pt->ops->free_levels(pt);
	siommu_mem_frame_free(pt->mem, pt->root_pa, SIOMMU_SZ_4K, SIOMMU_MEM_PT);
	rcu_domain_fini(&pt->rcu);
	free(pt);
}

uint64_t SIOMMU_EXPORT siommu_pt_root(const struct siommu_pt *pt)
{
	return pt->root_pa;
}

unsigned int SIOMMU_EXPORT siommu_pt_levels(const struct siommu_pt *pt)
{
	return pt->top_level + 1;
}

void SIOMMU_EXPORT siommu_pt_get_cfg(const struct siommu_pt *pt,
				     struct siommu_pt_cfg *cfg)
{
	*cfg = pt->cfg;
}

uint64_t SIOMMU_EXPORT siommu_pt_table_pages(const struct siommu_pt *pt)
{
	return __atomic_load_n(&pt->table_pages, __ATOMIC_RELAXED);
}

/* Turn (iova, length) into [iova, *last] and check it against the table. */
static int check_range(const struct siommu_pt *pt, uint64_t iova,
		       uint64_t length, uint64_t *last)
{
	if (!length || !is_aligned64(iova | length, SIOMMU_PAGE_SIZE))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	if (*last > pt->max_iova)
		return -ERANGE;
	return 0;
}

/*
 * Unmap [iova, last] (already checked) into @gather (may be NULL) and extend
 * the gather's flush range over what was unmapped or unlinked.
 */
static uint64_t unmap_range(struct siommu_pt *pt, uint64_t iova, uint64_t last,
			    struct siommu_pt_gather *gather)
{
	uint32_t pages_before = 0;
	uint64_t done = 0;

	if (gather) {
		SIOMMU_ASSERT(!gather->pt || gather->pt == pt);
		gather->pt = pt;
		pages_before = gather->nr_pages;
	}
	pt->ops->unmap(pt, iova, last, gather, &done);
	if (gather && (done || gather->nr_pages != pages_before)) {
		if (iova < gather->start)
			gather->start = iova;
		if (last > gather->last)
			gather->last = last;
	}
	return done;
}

/* A leaf's permissions: READ or WRITE at least, no unknown bit. (Whether
 * the format can express them is the codec's prot_ok.) */
static bool prot_bits_ok(unsigned int prot)
{
	return (prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)) &&
	       !(prot & ~(SIOMMU_PROT_READ | SIOMMU_PROT_WRITE | SIOMMU_PROT_EXEC |
			  SIOMMU_PROT_PRIV));
}

int SIOMMU_EXPORT siommu_pt_map(struct siommu_pt *pt, uint64_t iova,
				uint64_t pa, uint64_t length, unsigned int prot)
{
	uint64_t last, pa_last, fail_at = iova;
	int ret;

	if (!is_aligned64(pa, SIOMMU_PAGE_SIZE) || !prot_bits_ok(prot))
		return -EINVAL;
	ret = check_range(pt, iova, length, &last);
	if (ret)
		return ret;
	if (__builtin_add_overflow(pa, length - 1, &pa_last))
		return -EOVERFLOW;
	if (pa_last > pt->max_pa)
		return -ERANGE;
	ret = pt->ops->prot_ok(pt, prot);
	if (ret)
		return ret;

	ret = pt->ops->map(pt, iova, last, pa, prot, &fail_at);
	if (ret && fail_at > iova) {
		struct siommu_pt_gather g;

		/* Everything in [iova, fail_at) is ours: take it back. No
		 * walker may rely on a mapping whose map call failed, but one
		 * may have walked into it: the gather waits for them. */
		siommu_pt_gather_init(&g);
		unmap_range(pt, iova, fail_at - 1, &g);
		siommu_pt_gather_release(&g);
		if (pt->undo)
			pt->undo(pt->undo_arg, iova, fail_at - 1);
	}
	return ret;
}

/* Refuse an unmap that would cut a large leaf at either end of the range. */
static int check_leaf_edges(struct siommu_pt *pt, uint64_t iova, uint64_t last)
{
	struct siommu_pt_leaf leaf;
	int ret = 0, first_missing;
	struct rcu_slot *rs = rcu_read_lock_slot(&pt->rcu);

	first_missing = pt->ops->lookup(pt, iova, &leaf);
	if (!first_missing && leaf.iova != iova)
		ret = -EINVAL;
	/* When the first leaf holds the last byte too (a single page), it is
	 * the last leaf: no second walk. */
	else if ((first_missing || last - leaf.iova >= leaf.size) &&
		 pt->ops->lookup(pt, last, &leaf))
		ret = 0;	/* nothing mapped at the end */
	else if (leaf.iova + leaf.size - 1 != last)
		ret = -EINVAL;
	rcu_read_unlock_slot(&pt->rcu, rs);
	return ret;
}

int SIOMMU_EXPORT siommu_pt_unmap(struct siommu_pt *pt, uint64_t iova,
				  uint64_t length, struct siommu_pt_gather *gather,
				  uint64_t *unmapped)
{
	uint64_t last, done;
	int ret;

	ret = check_range(pt, iova, length, &last);
	if (!ret)
		ret = check_leaf_edges(pt, iova, last);
	if (ret) {
		if (unmapped)
			*unmapped = 0;
		return ret;
	}
	done = unmap_range(pt, iova, last, gather);
	if (unmapped)
		*unmapped = done;
	return 0;
}

int SIOMMU_EXPORT siommu_pt_protect(struct siommu_pt *pt, uint64_t iova,
				    uint64_t length, unsigned int prot,
				    struct siommu_pt_gather *gather)
{
	uint64_t last;
	int ret;

	if (!gather || !prot_bits_ok(prot))
		return -EINVAL;
	ret = check_range(pt, iova, length, &last);
	if (ret)
		return ret;
	ret = pt->ops->prot_ok(pt, prot);
	if (ret)
		return ret;
	SIOMMU_ASSERT(!gather->pt || gather->pt == pt);
	gather->pt = pt;
	return pt->ops->protect(pt, iova, last, prot, gather);
}

void SIOMMU_EXPORT siommu_pt_gather_init(struct siommu_pt_gather *g)
{
	*g = (struct siommu_pt_gather){
		.start = UINT64_MAX, .last = 0,
		.pages_head = FRAME_NONE, .nr_pages = 0,
		.pt = NULL, .leaf_only = true,
	};
}

void SIOMMU_EXPORT siommu_pt_gather_release(struct siommu_pt_gather *g)
{
	struct siommu_pt *pt = g->pt;

	if (pt && g->nr_pages) {
		struct frame_list l = { g->pages_head, g->nr_pages };

		/* Software walkers of the table; a hardware walk ended with
		 * the caller's IOTLB flush (its invalidation wait). */
		rcu_synchronize(&pt->rcu);
		__atomic_fetch_sub(&pt->table_pages, g->nr_pages, __ATOMIC_RELAXED);
		mem_frame_list_free(pt->mem, &l, SIOMMU_MEM_PT);
	}
	siommu_pt_gather_init(g);
}

int SIOMMU_EXPORT siommu_pt_iova_to_phys(struct siommu_pt *pt, uint64_t iova,
					 uint64_t *pa, struct siommu_pt_leaf *leaf)
{
	struct siommu_pt_leaf l;
	struct rcu_slot *rs;
	uint64_t out;
	int ret;

	if (iova > pt->max_iova)
		return -ERANGE;
	rs = rcu_read_lock_slot(&pt->rcu);
	if (leaf)
		ret = pt->ops->lookup(pt, iova, &l);
	else
		ret = pt->ops->phys(pt, iova, &out);
	rcu_read_unlock_slot(&pt->rcu, rs);
	if (ret)
		return ret;
	if (leaf) {
		out = l.pa + (iova - l.iova);
		*leaf = l;
	}
	if (pa)
		*pa = out;
	return 0;
}

int SIOMMU_EXPORT siommu_pt_read_and_clear_dirty(struct siommu_pt *pt,
						 uint64_t iova, uint64_t length,
						 unsigned int flags,
						 siommu_pt_dirty_fn fn, void *arg)
{
	uint64_t last;
	int ret;

	if (!pt->ops->has_dirty || !(pt->cfg.flags & SIOMMU_PT_DIRTY_TRACKING))
		return -EOPNOTSUPP;
	if (!fn || (flags & ~SIOMMU_PT_DIRTY_NO_CLEAR))
		return -EINVAL;
	ret = check_range(pt, iova, length, &last);
	if (ret)
		return ret;
	rcu_read_lock(&pt->rcu);
	ret = pt->ops->dirty(pt, iova, last, flags, fn, arg);
	rcu_read_unlock(&pt->rcu);
	return ret;
}

int SIOMMU_EXPORT siommu_pt_for_each(struct siommu_pt *pt, uint64_t iova,
				     uint64_t length, siommu_pt_run_fn fn,
				     void *arg)
{
	uint64_t last;
	int ret;

	if (!fn)
		return -EINVAL;
	ret = check_range(pt, iova, length, &last);
	if (ret)
		return ret;
	rcu_read_lock(&pt->rcu);
	ret = pt->ops->for_each(pt, iova, last, fn, arg);
	rcu_read_unlock(&pt->rcu);
	return ret;
}
