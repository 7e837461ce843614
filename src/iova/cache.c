/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU magazine caches with a shared depot, after Peleg, Morrison,
 * Serebrin and Tsafrir, "Utilizing the IOMMU Scalably" (USENIX ATC'15),
 * section 4, and Linux's IOVA rcache (drivers/iommu/iova.c) which adopted it.
 *
 * Each cache slot has, per cacheable order, a `loaded` and a `prev`
 * magazine. An allocation pops from loaded; if it is empty and prev is not,
 * the two swap; if both are empty the slot trades its empty loaded magazine
 * for a full one from the depot. A free pushes onto loaded; if it is full and
 * prev is not, they swap; if both are full the slot trades its full loaded
 * magazine for an empty one from the depot, and if the depot has no empty
 * magazine the loaded one is drained into the tree. Peleg et al. show that
 * with two magazines a slot goes to the depot at most once per
 * IOVA_MAG_SIZE operations, however allocations and frees interleave.
 *
 * Unlike both, a range goes back to the slot that took it from the tree
 * (its home, iova_internal.h): freed on another CPU, it waits in that CPU's
 * away magazine, which goes to the depot for its home once full, and a slot
 * takes from the depot only magazines of its own ranges. Each CPU keeps its
 * own stretches of IOVA space however its ranges travel; a producer CPU
 * and a consumer CPU trade through the depot a magazine at a time, as
 * before.
 *
 * The fast paths (iova_cache_get/put) are inline in iova_internal.h; this
 * file has the slow paths: depot trades, draining into the tree, flushing,
 * and the live map's pages.
 *
 * Unlike Linux, the depot is a fixed set of magazines allocated with the
 * allocator: a free never allocates (teardown must not fail) and the
 * magazines a depot holds are bounded (Linux bounds them by a timer).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/sysinfo.h>

#include "iova/iova_internal.h"


__thread struct iova_live_hint iova_live_hint __attribute__((tls_model("initial-exec")));
static uint64_t live_ids;	/* the last allocator id handed out */

#define LIVE_DIR_ENTRIES (1u << IOVA_LIVE_DIR_SHIFT)
#define LIVE_LEAF_BYTES (1u << IOVA_LIVE_LEAF_SHIFT)

int iova_live_prepare(struct siommu_iova *iovad, uint64_t pfn)
{
	uint64_t idx = pfn - iovad->start_pfn;
	void **dir = iovad->live.root;
	unsigned int l = iovad->live.levels;

	while (l--) {
		void **slot = &dir[iova_live_index(l, idx)];
		void *next = READ_ONCE(*slot);

		if (!next) {
			if (iova_should_fail(iovad))
				return -ENOMEM;
			next = calloc(1, l ? LIVE_DIR_ENTRIES * sizeof(void *)
					   : 2 * LIVE_LEAF_BYTES);
			if (!next)
				return -ENOMEM;
			/* Lock-free readers load it with acquire. */
			STORE_RELEASE(*slot, next);
		}
		dir = next;
	}
	return 0;
}

static void live_free(void **dir, unsigned int level)
{
	unsigned int i;

	if (level)
		for (i = 0; i < LIVE_DIR_ENTRIES; i++)
			if (dir[i])
				live_free(dir[i], level - 1);
	free(dir);
}

/* Return every range in @m to the tree and empty it. The caller holds the
 * magazine's slot or depot lock; takes tree_lock. */
void iova_mag_drain(struct siommu_iova *iovad, struct iova_mag *m)
{
	uint64_t i;

	if (!m->n)
		return;
	pthread_mutex_lock(&iovad->tree_lock);
	for (i = 0; i < m->n; i++) {
		struct iova_node *node = iova_tree_find(iovad, m->pfn[i]);

		SIOMMU_ASSERT(node && node->kind == IOVA_CACHED);
		if (node)
			iova_tree_remove(iovad, node);
	}
	pthread_mutex_unlock(&iovad->tree_lock);
	m->n = 0;
}

/* Trade @slot's empty magazine *@mp for a full one it put in the depot, the
 * latest, if there is one. */
void iova_depot_take_full(struct siommu_iova *iovad, unsigned int order,
			  unsigned int slot, struct iova_mag **mp)
{
	struct iova_depot *d = &iovad->depot[order];
	unsigned int k;

	pthread_mutex_lock(&d->lock);
	for (k = d->nfull; k--;) {
		struct iova_mag *full = d->mags[k];

		if (full->home != slot)
			continue;
		/* The last full one fills the hole; the empty one goes
		 * where the full ones end. */
		d->mags[k] = d->mags[--d->nfull];
		d->mags[d->nfull] = *mp;
		*mp = full;
		break;
	}
	pthread_mutex_unlock(&d->lock);
}

/* Trade a full magazine *@mp of @slot's ranges for an empty one; false if
 * the depot has none. */
bool iova_depot_give_full(struct siommu_iova *iovad, unsigned int order,
			  unsigned int slot, struct iova_mag **mp)
{
	struct iova_depot *d = &iovad->depot[order];
	bool ok = false;

	pthread_mutex_lock(&d->lock);
	if (d->nfull < IOVA_DEPOT_MAGS) {
		struct iova_mag *empty = d->mags[d->nfull];

		(*mp)->home = slot;
		d->mags[d->nfull++] = *mp;
		*mp = empty;
		ok = true;
	}
	pthread_mutex_unlock(&d->lock);
	return ok;
}

/* Send @c's away magazine of @order to the depot for its home, or into the
 * tree if the depot is full. */
static void away_send(struct siommu_iova *iovad, struct iova_cpu_cache *c,
		      unsigned int order)
{
	if (!iova_depot_give_full(iovad, order, c->away[order]->home, &c->away[order]))
		iova_mag_drain(iovad, c->away[order]);
}

/* Keep a range of another slot's (@home) in @c's away magazine; it goes on
 * when full, or when a range of another home comes. Holds c->lock. */
void iova_cache_put_away(struct siommu_iova *iovad, struct iova_cpu_cache *c,
			 unsigned int order, unsigned int home, uint64_t pfn)
{
	struct iova_mag *m = c->away[order];

	if (m->n && m->home != home) {
		away_send(iovad, c, order);
		m = c->away[order];
	}
	m->home = home;
	m->pfn[m->n++] = pfn;
	if (m->n == IOVA_MAG_SIZE)
		away_send(iovad, c, order);
}

void iova_cache_flush(struct siommu_iova *iovad)
{
	unsigned int i, o, k;

	for (i = 0; i < iovad->nr_caches; i++) {
		struct iova_cpu_cache *c = &iovad->caches[i];

		ylock_lock(&c->lock);
		for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++) {
			iova_mag_drain(iovad, c->loaded[o]);
			iova_mag_drain(iovad, c->prev[o]);
			iova_mag_drain(iovad, c->away[o]);
		}
		ylock_unlock(&c->lock);
	}
	for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++) {
		struct iova_depot *d = &iovad->depot[o];

		pthread_mutex_lock(&d->lock);
		for (k = 0; k < d->nfull; k++)
			iova_mag_drain(iovad, d->mags[k]);
		d->nfull = 0;
		pthread_mutex_unlock(&d->lock);
	}
}

void iova_cache_count(struct siommu_iova *iovad, uint64_t *cached_pfns,
		      uint64_t *hits, uint64_t *misses)
{
	uint64_t pfns = 0, h = 0, m = 0;
	unsigned int i, o, k;

	for (i = 0; i < iovad->nr_caches; i++) {
		struct iova_cpu_cache *c = &iovad->caches[i];

		ylock_lock(&c->lock);
		for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++)
			pfns += (c->loaded[o]->n + c->prev[o]->n +
				 c->away[o]->n) << o;
		h += c->hits;
		m += c->misses;
		ylock_unlock(&c->lock);
	}
	for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++) {
		struct iova_depot *d = &iovad->depot[o];

		pthread_mutex_lock(&d->lock);
		for (k = 0; k < d->nfull; k++)
			pfns += d->mags[k]->n << o;
		pthread_mutex_unlock(&d->lock);
	}
	*cached_pfns = pfns;
	*hits = h;
	*misses = m;
}

static unsigned int live_levels(const struct siommu_iova *iovad)
{
	uint64_t span = iovad->last_pfn - iovad->start_pfn;
	unsigned int bits = span ? 64 - __builtin_clzll(span) : 0, levels = 1;

	while (bits > IOVA_LIVE_LEAF_SHIFT + IOVA_LIVE_DIR_SHIFT * levels)
		levels++;
	return levels;
}

int iova_cache_init(struct siommu_iova *iovad)
{
	unsigned int n = 1, i, o, k, nmags;
	int ncpu = get_nprocs_conf();
	struct iova_mag *m;

	while (n < (unsigned int)(ncpu > 0 ? ncpu : 1) && n < IOVA_MAX_CACHES)
		n <<= 1;
	nmags = SIOMMU_IOVA_CACHE_ORDERS * (3 * n + IOVA_DEPOT_MAGS);

	if (iova_should_fail(iovad))
		return -ENOMEM;
	iovad->caches = aligned_alloc(64, n * sizeof(*iovad->caches));
	if (!iovad->caches)
		return -ENOMEM;
	if (iova_should_fail(iovad))
		goto out_free_caches;
	iovad->depot = aligned_alloc(64, SIOMMU_IOVA_CACHE_ORDERS *
					 sizeof(*iovad->depot));
	if (!iovad->depot)
		goto out_free_caches;
	if (iova_should_fail(iovad))
		goto out_free_depot;
	iovad->mag_store = calloc(nmags, sizeof(*iovad->mag_store));
	if (!iovad->mag_store)
		goto out_free_depot;
	iovad->live.levels = live_levels(iovad);
	iovad->live.id = __atomic_add_fetch(&live_ids, 1, __ATOMIC_RELAXED);
	if (iova_should_fail(iovad))
		goto out_free_mags;
	iovad->live.root = calloc(LIVE_DIR_ENTRIES, sizeof(void *));
	if (!iovad->live.root)
		goto out_free_mags;

	m = iovad->mag_store;
	for (i = 0; i < n; i++) {
		struct iova_cpu_cache *c = &iovad->caches[i];

		c->lock = (struct ylock)YLOCK_INIT;
		c->hits = c->misses = 0;
		for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++) {
			c->loaded[o] = m++;
			c->prev[o] = m++;
			c->away[o] = m++;
		}
	}
	for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++) {
		struct iova_depot *d = &iovad->depot[o];

		pthread_mutex_init(&d->lock, NULL);
		d->nfull = 0;
		for (k = 0; k < IOVA_DEPOT_MAGS; k++)
			d->mags[k] = m++;
	}
	SIOMMU_ASSERT(m == iovad->mag_store + nmags);
	iovad->nr_caches = n;
	return 0;

out_free_mags:
	free(iovad->mag_store);
	iovad->mag_store = NULL;
out_free_depot:
	free(iovad->depot);
	iovad->depot = NULL;
out_free_caches:
	free(iovad->caches);
	iovad->caches = NULL;
	return -ENOMEM;
}

/* The tree goes separately (iova_tree_fini): cached ranges are its nodes. */
void iova_cache_fini(struct siommu_iova *iovad)
{
	unsigned int o;

	if (!iovad->caches)
		return;
	for (o = 0; o < SIOMMU_IOVA_CACHE_ORDERS; o++)
		pthread_mutex_destroy(&iovad->depot[o].lock);
	live_free(iovad->live.root, iovad->live.levels);
	free(iovad->mag_store);
	free(iovad->depot);
	free(iovad->caches);
	iovad->caches = NULL;
	iovad->nr_caches = 0;
}
