/* SPDX-License-Identifier: MIT */
/*
 * The IOVA tree: a red-black tree (libbsd's <bsd/sys/tree.h>) of every range
 * that is not free: allocations, cached ranges, reserved ranges, and an
 * anchor just above the aperture. Free space is implicit: the gap below each
 * node, between it and its predecessor (or the aperture start). The anchor's
 * gap is the free space at the top.
 *
 * Each node also keeps max_gap, the largest gap in its subtree (an augmented
 * tree, as Linux's vmalloc keeps subtree_max_size over its free areas). A
 * search walks down from the root, right subtrees first for a top-down
 * policy, and skips every subtree whose max_gap is smaller than the request
 * and every right subtree that starts above the limit. Linux's IOVA allocator
 * instead starts from a cached node and scans left from it, with a
 * "max32_alloc_size" hint to fail fast; that scan is linear in the number of
 * allocations on a fragmented tree, which the augmentation avoids. A search
 * can still visit nodes whose gap is big enough but not at the alignment
 * asked for; each visit is O(1) and the subtree bound keeps it to the
 * candidates.
 *
 * Keeping max_gap right: <bsd/sys/tree.h> calls RB_AUGMENT on the nodes a
 * rotation moves (lower one first) and on the parent of the node it links or
 * unlinks, but not on their ancestors. A node that is not an ancestor of the
 * changed position keeps its set of descendants or was recomputed when a
 * rotation moved it, so it is right; after each insert and remove
 * gap_path_fix() recomputes the ancestors, of the changed position and of
 * the successor whose gap changed. iova_tree_check() verifies all of it and
 * the unit tests call it after every operation.
 */
#include <errno.h>
#include <stdlib.h>

#include "iova/iova_internal.h"

static int iova_node_cmp(const struct iova_node *a, const struct iova_node *b)
{
	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* Static and possibly unused: RB_GENERATE_STATIC spells that `__unused`,
 * which only libbsd's overlay mode defines. */
RB_GENERATE_INTERNAL(iova_tree, iova_node, rb, iova_node_cmp,
		     static __attribute__((unused)))

#define LEFT(x) RB_LEFT(x, rb)
#define RIGHT(x) RB_RIGHT(x, rb)
#define PARENT(x) RB_PARENT(x, rb)

static void gap_path_fix(struct iova_node *x)
{
	for (; x; x = PARENT(x))
		iova_node_augment(x);
}

/* Link @node, which lies in the gap below @succ, into the tree. */
static void node_link(struct siommu_iova *iovad, struct iova_node *node,
		      struct iova_node *succ)
{
	uint64_t gap_lo = succ->lo - succ->gap;

	SIOMMU_ASSERT(node->lo >= gap_lo && node->hi < succ->lo);
	node->gap = node->lo - gap_lo;
	node->max_gap = node->gap;
	succ->gap = succ->lo - node->hi - 1;
	RB_INSERT(iova_tree, &iovad->tree, node);
	gap_path_fix(node);
	gap_path_fix(succ);
}

void iova_tree_remove(struct siommu_iova *iovad, struct iova_node *node)
{
	struct iova_node *succ = RB_NEXT(iova_tree, &iovad->tree, node);
	struct iova_node *hole;

	SIOMMU_ASSERT(node != iovad->anchor && succ);
	succ->gap += node->gap + (node->hi - node->lo + 1);
	/* Where the tree loses a position: the node itself, or with two
	 * children its in-order successor, which moves into its place. */
	if (LEFT(node) && RIGHT(node)) {
		hole = RIGHT(node);
		while (LEFT(hole))
			hole = LEFT(hole);
		if (PARENT(hole) != node)
			hole = PARENT(hole);
	} else {
		hole = PARENT(node);
	}
	RB_REMOVE(iova_tree, &iovad->tree, node);
	gap_path_fix(hole);
	gap_path_fix(succ);
	free(node);
}

struct iova_node *iova_tree_find(struct siommu_iova *iovad, uint64_t pfn)
{
	struct iova_node key = { .lo = pfn };

	return RB_FIND(iova_tree, &iovad->tree, &key);
}

struct fit {
	uint64_t n, align_mask, max_pfn;
};

/* The highest fit in the gap below @x, if any. */
static bool gap_fit(const struct iova_node *x, const struct fit *f,
		    uint64_t *pfn)
{
	uint64_t glo = x->lo - x->gap, ghi = x->lo - 1, a;

	if (ghi > f->max_pfn)
		ghi = f->max_pfn;
	if (ghi < glo || ghi - glo + 1 < f->n)
		return false;
	a = (ghi - f->n + 1) & ~f->align_mask;
	if (a < glo)
		return false;
	*pfn = a;
	return true;
}

/*
 * The node with the highest gap that fits, in @x's subtree. Recursion goes
 * right only, so its depth is the tree's height (~2 log2 n).
 */
static struct iova_node *gap_find(struct iova_node *x, const struct fit *f,
				  uint64_t *pfn)
{
	while (x && x->max_gap >= f->n) {
		/* Gaps in the right subtree start above x->hi. */
		if (x->hi < f->max_pfn) {
			struct iova_node *r = gap_find(RIGHT(x), f, pfn);

			if (r)
				return r;
		}
		if (x->gap >= f->n && gap_fit(x, f, pfn))
			return x;
		x = LEFT(x);
	}
	return NULL;
}

int iova_tree_alloc(struct siommu_iova *iovad, uint64_t n, uint64_t align,
		    uint64_t max_pfn, enum iova_kind kind, uint64_t *pfn,
		    uint64_t *more, unsigned int *nmore)
{
	struct fit f = { .n = n, .align_mask = align - 1, .max_pfn = max_pfn };
	struct iova_node *nodes[1 + IOVA_REFILL], *succ;
	unsigned int want = more ? *nmore : 0, have, used = 0, i;
	uint64_t a;
	int ret = 0;

	SIOMMU_ASSERT(want < ARRAY_SIZE(nodes));
	if (more)
		*nmore = 0;
	if (iova_should_fail(iovad))
		return -ENOMEM;
	/* Allocated before the lock, as Linux's alloc_iova does: the
	 * critical section stays searches and links. Only the first is
	 * required. */
	for (have = 0; have <= want; have++) {
		nodes[have] = malloc(sizeof(*nodes[have]));
		if (!nodes[have])
			break;
	}
	if (!have)
		return -ENOMEM;
	pthread_mutex_lock(&iovad->tree_lock);
	if (want) {
		/* A refill: the highest free block of all its ranges, aligned
		 * to its size (both powers of two), if there is one; the
		 * ranges then go into it from the top. Else adjacent fits. */
		struct fit blk = { .n = n * (want + 1), .align_mask = n * (want + 1) - 1,
				   .max_pfn = max_pfn };

		if (!(blk.n & (blk.n - 1)) &&
		    gap_find(RB_ROOT(&iovad->tree), &blk, &a))
			f.max_pfn = a + blk.n - 1;
	}
	for (; used < have; used++) {
		succ = gap_find(RB_ROOT(&iovad->tree), &f, &a);
		if (!succ) {
			ret = -ENOSPC;
			break;
		}
		if (kind == IOVA_CACHED) {
			ret = iova_live_prepare(iovad, a);
			if (ret)
				break;
		}
		nodes[used]->lo = a;
		nodes[used]->hi = a + n - 1;
		nodes[used]->kind = kind;
		/* Ownership of the node passes to the tree. */
		node_link(iovad, nodes[used], succ);
		if (!used)
			*pfn = a;
		else
			more[(*nmore)++] = a;
	}
	pthread_mutex_unlock(&iovad->tree_lock);
	for (i = used; i < have; i++)
		free(nodes[i]);
	/* Only the first range's failure is the caller's. */
	return used ? 0 : ret;
}

int iova_tree_reserve(struct siommu_iova *iovad, uint64_t lo, uint64_t hi)
{
	struct iova_node key = { .lo = lo }, *node, *first, *x, *next;
	int ret = 0;

	if (iova_should_fail(iovad))
		return -ENOMEM;
	node = malloc(sizeof(*node));
	if (!node)
		return -ENOMEM;
	node->kind = IOVA_RESERVED;

	pthread_mutex_lock(&iovad->tree_lock);
	/* The first node ending at or above lo; the anchor ends above all. */
	first = RB_NFIND(iova_tree, &iovad->tree, &key);
	x = RB_PREV(iova_tree, &iovad->tree, first);
	if (x && x->hi >= lo)
		first = x;
	/* Check everything before changing anything. */
	for (x = first; x->lo <= hi; x = RB_NEXT(iova_tree, &iovad->tree, x)) {
		if (x->kind != IOVA_RESERVED) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	/* Overlapping reserved ranges merge into the new node. */
	for (x = first; x->lo <= hi; x = next) {
		next = RB_NEXT(iova_tree, &iovad->tree, x);
		if (x->lo < lo)
			lo = x->lo;
		if (x->hi > hi)
			hi = x->hi;
		iova_tree_remove(iovad, x);
	}
	node->lo = lo;
	node->hi = hi;
	/* Ownership of node passes to the tree. */
	node_link(iovad, node, x);
	node = NULL;
out_unlock:
	pthread_mutex_unlock(&iovad->tree_lock);
	free(node);
	return ret;
}

int iova_tree_init(struct siommu_iova *iovad)
{
	struct iova_node *anchor;

	RB_INIT(&iovad->tree);
	if (iova_should_fail(iovad))
		return -ENOMEM;
	anchor = malloc(sizeof(*anchor));
	if (!anchor)
		return -ENOMEM;
	anchor->lo = anchor->hi = iovad->last_pfn + 1;
	anchor->kind = IOVA_ANCHOR;
	anchor->gap = anchor->max_gap = anchor->lo - iovad->start_pfn;
	RB_INSERT(iova_tree, &iovad->tree, anchor);
	iovad->anchor = anchor;
	return 0;
}

void iova_tree_fini(struct siommu_iova *iovad)
{
	struct iova_node *x = RB_ROOT(&iovad->tree), *parent;

	/* Post-order, without rebalancing: children first, then climb. */
	while (x) {
		if (LEFT(x)) {
			x = LEFT(x);
			continue;
		}
		if (RIGHT(x)) {
			x = RIGHT(x);
			continue;
		}
		parent = PARENT(x);
		if (parent) {
			if (LEFT(parent) == x)
				LEFT(parent) = NULL;
			else
				RIGHT(parent) = NULL;
		}
		free(x);
		x = parent;
	}
	RB_INIT(&iovad->tree);
	iovad->anchor = NULL;
}

void iova_tree_count(struct siommu_iova *iovad, uint64_t *reserved,
		     uint64_t *held, uint64_t *free_pfns, uint64_t *largest,
		     uint64_t *nodes)
{
	struct iova_node *x;

	*reserved = *held = *free_pfns = *nodes = 0;
	pthread_mutex_lock(&iovad->tree_lock);
	RB_FOREACH(x, iova_tree, &iovad->tree) {
		*free_pfns += x->gap;
		if (x->kind == IOVA_ANCHOR)
			continue;
		(*nodes)++;
		if (x->kind == IOVA_RESERVED)
			*reserved += x->hi - x->lo + 1;
		else
			*held += x->hi - x->lo + 1;
	}
	*largest = RB_ROOT(&iovad->tree)->max_gap;
	pthread_mutex_unlock(&iovad->tree_lock);
}

/* Returns the black height of @x's subtree, or -1 if broken. */
static int check_subtree(const struct iova_node *x, const struct iova_node *parent)
{
	int l, r;
	uint64_t m;

	if (!x)
		return 1;
	if (PARENT(x) != parent)
		return -1;
	if (RB_COLOR(x, rb) == RB_RED &&
	    ((LEFT(x) && RB_COLOR(LEFT(x), rb) == RB_RED) ||
	     (RIGHT(x) && RB_COLOR(RIGHT(x), rb) == RB_RED)))
		return -1;
	l = check_subtree(LEFT(x), x);
	r = check_subtree(RIGHT(x), x);
	if (l < 0 || r < 0 || l != r)
		return -1;
	m = x->gap;
	if (iova_node_max_gap(LEFT(x)) > m)
		m = LEFT(x)->max_gap;
	if (iova_node_max_gap(RIGHT(x)) > m)
		m = RIGHT(x)->max_gap;
	if (m != x->max_gap)
		return -1;
	return l + (RB_COLOR(x, rb) == RB_BLACK);
}

int iova_tree_check(struct siommu_iova *iovad)
{
	struct iova_node *x, *last = NULL;
	uint64_t next_free = iovad->start_pfn;
	int ret = 0;

	pthread_mutex_lock(&iovad->tree_lock);
	if (check_subtree(RB_ROOT(&iovad->tree), NULL) < 0) {
		ret = -1;	/* colours, parents or max_gap */
		goto out_unlock;
	}
	RB_FOREACH(x, iova_tree, &iovad->tree) {
		if (x->lo < next_free || x->hi < x->lo) {
			ret = -2;	/* overlap or order */
			goto out_unlock;
		}
		if (x->gap != x->lo - next_free) {
			ret = -3;	/* gap */
			goto out_unlock;
		}
		if ((x->kind == IOVA_ANCHOR) != (x == iovad->anchor) ||
		    (x != iovad->anchor && x->hi > iovad->last_pfn)) {
			ret = -4;	/* anchor or aperture */
			goto out_unlock;
		}
		next_free = x->hi + 1;
		last = x;
	}
	if (last != iovad->anchor || last->lo != iovad->last_pfn + 1)
		ret = -4;
out_unlock:
	pthread_mutex_unlock(&iovad->tree_lock);
	return ret;
}
