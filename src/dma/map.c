/* SPDX-License-Identifier: MIT */
/*
 * Mapping and unmapping: single buffers, scatter-gather lists, coherent
 * buffers, sync; and the record of live mappings they keep.
 *
 * A map allocates its record, then its IOVA range, maps the pages, and
 * publishes the record last (nothing can fail after that). An unmap takes
 * the record out first, so that a second unmap of the same address finds
 * nothing (-ENOENT), then clears the entries and frees the IOVA per the
 * domain's policy.
 */
#include <errno.h>
#include <stdlib.h>

#include "dma/dma_internal.h"

static int dma_map_cmp(const struct dma_map *a, const struct dma_map *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return (a->nents > b->nents) - (a->nents < b->nents);
}

/* Static and possibly unused: RB_GENERATE_STATIC spells that `__unused`,
 * which only libbsd's overlay mode defines. */
RB_GENERATE_INTERNAL(dma_map_tree, dma_map, link, dma_map_cmp,
		     static __attribute__((unused)))

static struct dma_shard *shard_of(struct dma_dom *dd, uint64_t key)
{
	/* The 64K block, taken in turn: the IOVA allocator gives each CPU
	 * aligned runs of adjacent pages (IOVA_REFILL), so a CPU's mappings
	 * share its own few shards, and another CPU's neighbouring runs go to
	 * the next ones. (A hash of the block put one CPU's runs into the
	 * other's shards for 7-15% of the operations, in some runs.) */
	return &dd->shards[(key >> 16) & (DMA_SHARDS - 1)];
}

_Static_assert(!(DMA_SHARDS & (DMA_SHARDS - 1)), "shard_of() masks");

void dma_records_init(struct dma_dom *dd)
{
	unsigned int i;

	for (i = 0; i < DMA_SHARDS; i++) {
		dd->shards[i].lock = (struct ylock)YLOCK_INIT;
		RB_INIT(&dd->shards[i].root);
		dd->shards[i].live = 0;
	}
}

void dma_records_fini(struct dma_dom *dd)
{
	unsigned int i;

	for (i = 0; i < DMA_SHARDS; i++) {
		struct dma_shard *s = &dd->shards[i];
		struct dma_map *m;

		while ((m = RB_MIN(dma_map_tree, &s->root))) {
			RB_REMOVE(dma_map_tree, &s->root, m);
			if (m->kind == DMA_COHERENT)
				siommu_mem_frame_free(dd->mem, m->pa, m->frame_size,
						      SIOMMU_MEM_DMA);
			free(m);
		}
	}
}

static struct dma_map *rec_alloc(struct dma_dom *dd)
{
	if (mem_should_fail(dd->mem))
		return NULL;
	return malloc(sizeof(struct dma_map));
}

/* Publish @m; an identical identity mapping absorbs it (freed here). */
static void rec_insert(struct dma_dom *dd, struct dma_map *m)
{
	struct dma_shard *s = shard_of(dd, m->key);
	struct dma_map *old;

	m->count = 1;
	ylock_lock(&s->lock);
	old = RB_INSERT(dma_map_tree, &s->root, m);
	if (old)
		old->count++;
	else
		s->live++;
	ylock_unlock(&s->lock);
	SIOMMU_ASSERT(!old || dd->identity);
	if (old)
		free(m);
}

/*
 * Take the record matching @want out. Returns 0 with *out (NULL when an
 * identical identity mapping remains), -EINVAL when a mapping starts at the
 * key but differs, -ENOENT when none does.
 */
static int rec_take(struct dma_dom *dd, const struct dma_map *want,
		    struct dma_map **out)
{
	struct dma_shard *s = shard_of(dd, want->key);
	struct dma_map *m, lo = { .key = want->key };
	int ret = 0;

	*out = NULL;
	ylock_lock(&s->lock);
	m = RB_FIND(dma_map_tree, &s->root, (struct dma_map *)want);
	if (m) {
		if (m->count > 1) {
			m->count--;
		} else {
			RB_REMOVE(dma_map_tree, &s->root, m);
			s->live--;
			*out = m;
		}
	} else {
		m = RB_NFIND(dma_map_tree, &s->root, &lo);
		ret = m && m->key == want->key ? -EINVAL : -ENOENT;
	}
	ylock_unlock(&s->lock);
	return ret;
}

/* Is [key, key + len) inside a SINGLE or COHERENT mapping at @key of @dir? */
static int rec_check_single(struct dma_dom *dd, uint64_t key, uint64_t len,
			    unsigned int dir)
{
	struct dma_shard *s = shard_of(dd, key);
	struct dma_map *m, lo = { .key = key };
	int ret = -ENOENT;

	ylock_lock(&s->lock);
	for (m = RB_NFIND(dma_map_tree, &s->root, &lo); m && m->key == key;
	     m = RB_NEXT(dma_map_tree, &s->root, m)) {
		ret = -EINVAL;
		if (m->kind != DMA_SG && len <= m->len && dir == m->dir) {
			ret = 0;
			break;
		}
	}
	ylock_unlock(&s->lock);
	return ret;
}

static int rec_check_exact(struct dma_dom *dd, const struct dma_map *want)
{
	struct dma_shard *s = shard_of(dd, want->key);
	struct dma_map *m, lo = { .key = want->key };
	int ret = 0;

	ylock_lock(&s->lock);
	if (!RB_FIND(dma_map_tree, &s->root, (struct dma_map *)want)) {
		m = RB_NFIND(dma_map_tree, &s->root, &lo);
		ret = m && m->key == want->key ? -EINVAL : -ENOENT;
	}
	ylock_unlock(&s->lock);
	return ret;
}

static unsigned int dir_prot(unsigned int dir)
{
	/* Formats without write-only pages map WRITE read-write (pt.h). */
	switch (dir) {
	case SIOMMU_DMA_TO_DEVICE:
		return SIOMMU_PROT_READ;
	case SIOMMU_DMA_FROM_DEVICE:
		return SIOMMU_PROT_WRITE;
	default:
		return SIOMMU_PROT_READ | SIOMMU_PROT_WRITE;
	}
}

static uint64_t page_up(uint64_t x)
{
	return (x + SIOMMU_PAGE_SIZE - 1) & ~(SIOMMU_PAGE_SIZE - 1);
}

/* An IOVA range below the device's limit; a lazy domain's queue holds
 * IOVAs that a flush gives back, so it is flushed before giving up. */
static int iova_get(struct dma_dev *dv, uint64_t size, uint64_t *iova)
{
	struct dma_dom *dd = dv->dd;
	int ret = siommu_iova_alloc(dd->iovad, size, dv->limit, iova);

	if (ret == -ENOSPC && dd->policy == SIOMMU_DMA_LAZY) {
		dma_fq_flush_all(dd);
		ret = siommu_iova_alloc(dd->iovad, size, dv->limit, iova);
	}
	return ret;
}

/* Unmap and free an IOVA range per the domain's policy. */
static void range_release(struct dma_dom *dd, uint64_t iova, uint64_t size,
			  bool strict)
{
	struct dma_fq *q = dma_fq_this_cpu(dd);
	int ret;

	if (strict || dd->policy == SIOMMU_DMA_STRICT) {
		ret = siommu_domain_unmap(dd->dom, iova, size, NULL);
		SIOMMU_ASSERT(!ret);
		ret = siommu_iova_free(dd->iovad, iova, size);
		SIOMMU_ASSERT(!ret);
		dma_count(&q->waits);
	} else {
		struct siommu_pt_gather g;

		siommu_pt_gather_init(&g);
		ret = core_domain_unmap_noflush(dd->dom, iova, size, &g, NULL);
		SIOMMU_ASSERT(!ret);
		dma_fq_queue(dd, iova, size, &g);
	}
	(void)ret;
	dma_count(&q->unmaps);
}

static int check_args(struct dma_dev *dv, uint64_t len, unsigned int dir)
{
	if (!dv)
		return -ENODEV;
	/* From a device callback, inside a queue submission (dma.h). */
	if (core_in_queue())
		return -EDEADLK;
	if (!len || dir > SIOMMU_DMA_FROM_DEVICE)
		return -EINVAL;
	return 0;
}

int SIOMMU_EXPORT siommu_dma_map_single(struct siommu_device *dev, uint64_t pa,
					uint64_t len, enum siommu_dma_dir dir,
					uint64_t *iova)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_dom *dd;
	struct dma_map *m;
	uint64_t last, start, size, base;
	int ret;

	ret = check_args(dv, len, dir);
	if (ret)
		return ret;
	if (!iova || __builtin_add_overflow(pa, len - 1, &last))
		return -EINVAL;
	dd = dv->dd;
	if (!siommu_mem_is_ram(dd->mem, pa, len))
		return -EFAULT;
	if (dd->identity && last > dv->limit)
		return -ERANGE;
	if (dd->policy == SIOMMU_DMA_LAZY)
		dma_fq_check_time(dd);
	m = rec_alloc(dd);
	if (!m)
		return -ENOMEM;
	*m = (struct dma_map){ .key = pa, .len = len, .dir = dir, .kind = DMA_SINGLE };
	if (!dd->identity) {
		start = pa & ~(SIOMMU_PAGE_SIZE - 1);
		size = page_up(last + 1) - start;
		ret = iova_get(dv, size, &base);
		if (ret)
			goto out_free_rec;
		ret = siommu_domain_map(dd->dom, base, start, size, dir_prot(dir));
		if (ret)
			goto out_free_iova;
		m->base = base;
		m->size = size;
		m->key = base + (pa - start);
	}
	*iova = m->key;
	rec_insert(dd, m);
	dma_count(&dma_fq_this_cpu(dd)->maps);
	return 0;

out_free_iova:
	siommu_iova_free(dd->iovad, base, size);
out_free_rec:
	free(m);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_map_single_host(struct siommu_device *dev,
					     const void *ptr, uint64_t len,
					     enum siommu_dma_dir dir, uint64_t *iova)
{
	struct dma_dev *dv = dma_dev_of(dev);
	uint64_t pa;
	int ret;

	ret = check_args(dv, len, dir);
	if (ret)
		return ret;
	if (!ptr)
		return -EFAULT;
	ret = mem_host_to_pa(dv->dd->mem, ptr, len, &pa);
	if (ret)
		return ret;
	return siommu_dma_map_single(dev, pa, len, dir, iova);
}

/* Unmap what the record matching @want maps (single or sg): take the
 * record, then release its range (lazily, on a lazy domain). */
static int unmap_record(struct dma_dom *dd, const struct dma_map *want)
{
	struct dma_map *m;
	int ret;

	if (dd->policy == SIOMMU_DMA_LAZY)
		dma_fq_check_time(dd);
	ret = rec_take(dd, want, &m);
	if (ret)
		return ret;
	/* Counted whatever there is to release: an identity mapping (or a
	 * copy an identical one absorbed) was counted when mapped. */
	if (m && !dd->identity)
		range_release(dd, m->base, m->size, false);
	else
		dma_count(&dma_fq_this_cpu(dd)->unmaps);
	free(m);
	return 0;
}

int SIOMMU_EXPORT siommu_dma_unmap_single(struct siommu_device *dev, uint64_t iova,
					  uint64_t len, enum siommu_dma_dir dir)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_map want = { .key = iova, .len = len, .dir = dir, .kind = DMA_SINGLE };
	int ret = check_args(dv, len, dir);

	return ret ? ret : unmap_record(dv->dd, &want);
}

/* Segments i and i + 1 continue each other physically. */
static bool sg_contig(const struct siommu_dma_sg *sg, unsigned int i)
{
	return sg[i].pa + sg[i].len == sg[i + 1].pa;
}

/* Validate the device, direction and list of an sg call; *total gets the
 * sum of lengths. */
static int sg_check(struct dma_dev *dv, const struct siommu_dma_sg *sg,
		    unsigned int nents, unsigned int dir, uint64_t *total)
{
	uint64_t last, sum = 0;
	unsigned int i;
	int ret = check_args(dv, 1, dir);

	if (ret)
		return ret;
	if (!sg || !nents)
		return -EINVAL;
	for (i = 0; i < nents; i++) {
		if (!sg[i].len || __builtin_add_overflow(sg[i].pa, sg[i].len - 1, &last) ||
		    __builtin_add_overflow(sum, sg[i].len, &sum))
			return -EINVAL;
	}
	*total = sum;
	return 0;
}

int SIOMMU_EXPORT siommu_dma_map_sg(struct siommu_device *dev, struct siommu_dma_sg *sg,
				    unsigned int nents, enum siommu_dma_dir dir)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_dom *dd;
	struct dma_map *m;
	uint64_t total, size = 0, base = 0, off, run_pa = 0;
	unsigned int i, first;
	int ret;

	ret = sg_check(dv, sg, nents, dir, &total);
	if (ret)
		return ret;
	dd = dv->dd;
	for (i = 0; i < nents; i++) {
		if (!siommu_mem_is_ram(dd->mem, sg[i].pa, sg[i].len))
			return -EFAULT;
		if (dd->identity && sg[i].pa + sg[i].len - 1 > dv->limit)
			return -ERANGE;
	}
	if (dd->policy == SIOMMU_DMA_LAZY)
		dma_fq_check_time(dd);
	m = rec_alloc(dd);
	if (!m)
		return -ENOMEM;
	*m = (struct dma_map){ .key = sg[0].pa, .len = total, .nents = nents,
			       .dir = dir, .kind = DMA_SG };
	if (dd->identity) {
		for (i = 0; i < nents; i++)
			sg[i].dma_addr = sg[i].pa;
		goto out_publish;
	}
	/* Runs of physically contiguous segments, each taking whole pages. */
	for (first = 0, i = 0; i < nents; i++) {
		if (i + 1 < nents && sg_contig(sg, i))
			continue;
		size += page_up(sg[i].pa + sg[i].len) - (sg[first].pa & ~(SIOMMU_PAGE_SIZE - 1));
		first = i + 1;
	}
	ret = iova_get(dv, size, &base);
	if (ret)
		goto out_free_rec;
	for (off = 0, first = 0, i = 0; i < nents; i++) {
		uint64_t run_size;
		unsigned int j;

		if (i + 1 < nents && sg_contig(sg, i))
			continue;
		run_pa = sg[first].pa & ~(SIOMMU_PAGE_SIZE - 1);
		run_size = page_up(sg[i].pa + sg[i].len) - run_pa;
		ret = siommu_domain_map(dd->dom, base + off, run_pa, run_size,
					dir_prot(dir));
		if (ret)
			goto out_unmap;
		for (j = first; j <= i; j++)
			sg[j].dma_addr = base + off + (sg[j].pa - run_pa);
		off += run_size;
		first = i + 1;
	}
	m->base = base;
	m->size = size;
	m->key = sg[0].dma_addr;
out_publish:
	rec_insert(dd, m);
	dma_count(&dma_fq_this_cpu(dd)->maps);
	return 0;

out_unmap:
	/* The device was never given these addresses; strict all the same,
	 * so nothing it might have cached survives. */
	if (off)
		siommu_domain_unmap(dd->dom, base, off, NULL);
	siommu_iova_free(dd->iovad, base, size);
out_free_rec:
	free(m);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_unmap_sg(struct siommu_device *dev,
				      const struct siommu_dma_sg *sg,
				      unsigned int nents, enum siommu_dma_dir dir)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_map want;
	uint64_t total;
	int ret;

	ret = sg_check(dv, sg, nents, dir, &total);
	if (ret)
		return ret;
	want = (struct dma_map){ .key = sg[0].dma_addr, .len = total, .nents = nents,
				 .dir = dir, .kind = DMA_SG };
	return unmap_record(dv->dd, &want);
}

int SIOMMU_EXPORT siommu_dma_alloc_coherent(struct siommu_device *dev, uint64_t size,
					    void **host, uint64_t *pa, uint64_t *iova)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_dom *dd;
	struct dma_map *m;
	uint64_t fsize = SIOMMU_PAGE_SIZE, fpa, base, msize;
	int ret;

	ret = check_args(dv, size, SIOMMU_DMA_BIDIRECTIONAL);
	if (ret)
		return ret;
	if (!iova || size > SIOMMU_SZ_1G)
		return -EINVAL;
	dd = dv->dd;
	while (fsize < size)
		fsize <<= 1;
	m = rec_alloc(dd);
	if (!m)
		return -ENOMEM;
	ret = siommu_mem_frame_alloc(dd->mem, fsize, SIOMMU_MEM_DMA, &fpa);
	if (ret)
		goto out_free_rec;
	*m = (struct dma_map){ .key = fpa, .len = size, .dir = SIOMMU_DMA_BIDIRECTIONAL,
			       .kind = DMA_COHERENT, .pa = fpa, .frame_size = fsize };
	if (dd->identity) {
		ret = fpa + size - 1 > dv->limit ? -ERANGE : 0;
		if (ret)
			goto out_free_frame;
	} else {
		msize = page_up(size);
		ret = iova_get(dv, msize, &base);
		if (ret)
			goto out_free_frame;
		ret = siommu_domain_map(dd->dom, base, fpa, msize,
					SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
		if (ret) {
			siommu_iova_free(dd->iovad, base, msize);
			goto out_free_frame;
		}
		m->base = base;
		m->size = msize;
		m->key = base;
	}
	*iova = m->key;
	if (pa)
		*pa = fpa;
	if (host)
		*host = siommu_mem_host(dd->mem, fpa, size);
	rec_insert(dd, m);
	dma_count(&dma_fq_this_cpu(dd)->maps);
	return 0;

out_free_frame:
	siommu_mem_frame_free(dd->mem, fpa, fsize, SIOMMU_MEM_DMA);
out_free_rec:
	free(m);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_free_coherent(struct siommu_device *dev, uint64_t size,
					   uint64_t iova)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_map want = { .key = iova, .len = size, .dir = SIOMMU_DMA_BIDIRECTIONAL,
				.kind = DMA_COHERENT };
	struct dma_map *m;
	int ret;

	ret = check_args(dv, size, SIOMMU_DMA_BIDIRECTIONAL);
	if (ret)
		return ret;
	ret = rec_take(dv->dd, &want, &m);
	if (ret)
		return ret;
	SIOMMU_ASSERT(m);
	/* Strict whatever the policy: the frames are reused at once. */
	if (!dv->dd->identity)
		range_release(dv->dd, m->base, m->size, true);
	else
		dma_count(&dma_fq_this_cpu(dv->dd)->unmaps);
	siommu_mem_frame_free(dv->dd->mem, m->pa, m->frame_size, SIOMMU_MEM_DMA);
	free(m);
	return 0;
}

static int sync_single(struct siommu_device *dev, uint64_t iova, uint64_t len,
		       enum siommu_dma_dir dir)
{
	struct dma_dev *dv = dma_dev_of(dev);
	int ret;

	ret = check_args(dv, len, dir);
	if (ret)
		return ret;
	ret = rec_check_single(dv->dd, iova, len, dir);
	if (!ret)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ret;
}

static int sync_sg(struct siommu_device *dev, const struct siommu_dma_sg *sg,
		   unsigned int nents, enum siommu_dma_dir dir)
{
	struct dma_dev *dv = dma_dev_of(dev);
	struct dma_map want;
	uint64_t total;
	int ret;

	ret = sg_check(dv, sg, nents, dir, &total);
	if (ret)
		return ret;
	want = (struct dma_map){ .key = sg[0].dma_addr, .len = total, .nents = nents,
				 .dir = dir, .kind = DMA_SG };
	ret = rec_check_exact(dv->dd, &want);
	if (!ret)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ret;
}

int SIOMMU_EXPORT siommu_dma_sync_single_for_cpu(struct siommu_device *dev,
						 uint64_t iova, uint64_t len,
						 enum siommu_dma_dir dir)
{
	return sync_single(dev, iova, len, dir);
}

int SIOMMU_EXPORT siommu_dma_sync_single_for_device(struct siommu_device *dev,
						    uint64_t iova, uint64_t len,
						    enum siommu_dma_dir dir)
{
	return sync_single(dev, iova, len, dir);
}

int SIOMMU_EXPORT siommu_dma_sync_sg_for_cpu(struct siommu_device *dev,
					     const struct siommu_dma_sg *sg,
					     unsigned int nents, enum siommu_dma_dir dir)
{
	return sync_sg(dev, sg, nents, dir);
}

int SIOMMU_EXPORT siommu_dma_sync_sg_for_device(struct siommu_device *dev,
						const struct siommu_dma_sg *sg,
						unsigned int nents, enum siommu_dma_dir dir)
{
	return sync_sg(dev, sg, nents, dir);
}

uint64_t dma_records_live(struct dma_dom *dd)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < DMA_SHARDS; i++) {
		ylock_lock(&dd->shards[i].lock);
		n += dd->shards[i].live;
		ylock_unlock(&dd->shards[i].lock);
	}
	return n;
}
