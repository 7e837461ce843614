/* SPDX-License-Identifier: MIT */
/*
 * Process address spaces: mappings, lazy population, the CPU's accesses
 * through the process's own table (x86-64, Intel SDM vol. 3 4.5, or Arm64
 * VMSAv8-64 stage 1, Arm ARM D8), swap and
 * migration, and the invalidation of every bound device's caches that
 * each removed or downgraded translation needs before the call returns
 * and before its frame is reused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sva/sva_internal.h"

#define MM_PROTS (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE | SIOMMU_PROT_EXEC)
/* Runs of mapped pages handled per invalidation. */
#define MM_RUN_BATCH 32

static int swap_cmp(const struct mm_swap *a, const struct mm_swap *b)
{
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Static and possibly unused: RB_GENERATE_STATIC spells that `__unused`,
 * which glibc does not define. */
RB_GENERATE_INTERNAL(mm_swap_tree, mm_swap, rb, swap_cmp, __attribute__((unused)) static)

static struct mm_swap *swap_find(struct siommu_mm *mm, uint64_t addr)
{
	struct mm_swap key = { .addr = addr };

	return RB_FIND(mm_swap_tree, &mm->swap, &key);
}

/* Check an (addr, length) range of the process: 0 with *last set. */
static int range_check(uint64_t addr, uint64_t length, uint64_t *last)
{
	if (!length || (addr | length) & (SIOMMU_SZ_4K - 1))
		return -EINVAL;
	if (__builtin_add_overflow(addr, length - 1, last) || addr < SIOMMU_MM_MIN_ADDR ||
	    *last > SIOMMU_MM_MAX_ADDR)
		return -ERANGE;
	return 0;
}

int SIOMMU_EXPORT siommu_mm_create(struct siommu_ctx *ctx, const struct siommu_mm_cfg *cfg,
				   struct siommu_mm **out)
{
	struct siommu_pt_cfg pc = { .ias = 48, .pgsize_bitmap = SIOMMU_PGSIZE_4K };
	struct siommu_mm *mm;
	int ret;

	if (!ctx || !cfg || !out || (cfg->flags & ~SIOMMU_MM_SUPERVISOR))
		return -EINVAL;
	switch (cfg->cpu) {
	case SIOMMU_MM_CPU_X86_64:
		pc.format = SIOMMU_PT_X86_64;
		break;
	case SIOMMU_MM_CPU_ARM64:
		/* Privileged requests reach user pages (siommu/sva.h). */
		if (cfg->flags & SIOMMU_MM_SUPERVISOR)
			return -EINVAL;
		pc.format = SIOMMU_PT_ARM_S1;
		break;
	default:
		return -EINVAL;
	}
	if (mem_should_fail(ctx->mem))
		return -ENOMEM;
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	ret = siommu_pt_create(ctx->mem, &pc, &mm->pt);
	if (ret) {
		free(mm);
		return ret;
	}
	mm->ctx = ctx;
	mm->mem = ctx->mem;
	mm->owner = cfg->owner;
	mm->flags = cfg->flags;
	pthread_mutex_init(&mm->bind_lock, NULL);
	pthread_mutex_init(&mm->lock, NULL);
	CDS_INIT_LIST_HEAD(&mm->binds);
	CDS_INIT_LIST_HEAD(&mm->vmas);
	CDS_INIT_LIST_HEAD(&mm->doms);
	CDS_INIT_LIST_HEAD(&mm->pins);
	RB_INIT(&mm->swap);
	*out = mm;
	return 0;
}

/* Invalidate [start, last] on every device bound to the process and
 * wait; caller holds lock. */
static void mm_flush(struct siommu_mm *mm, uint64_t start, uint64_t last, bool leaf_only)
{
	struct mm_dom *md;

	cds_list_for_each_entry(md, &mm->doms, node)
		core_domain_flush_range(md->dom, start, last, leaf_only);
}

static struct mm_vma *vma_find(struct siommu_mm *mm, uint64_t addr)
{
	struct mm_vma *v;

	cds_list_for_each_entry(v, &mm->vmas, node) {
		if (addr < v->start)
			return NULL;
		if (addr <= v->last)
			return v;
	}
	return NULL;
}

/*
 * Give the page at @addr (page-aligned) a frame if it has none, for a
 * read, or a write with @write: *pa gets it. 0, -EFAULT (no VMA, or its
 * protection refuses the access), -ENOMEM. Caller holds lock.
 */
static int mm_populate(struct siommu_mm *mm, uint64_t addr, bool write, uint64_t *pa)
{
	struct mm_vma *v = vma_find(mm, addr);
	struct mm_swap *sw;
	int ret;

	/* Neither format has write-only pages: a writable page is readable. */
	if (!v || !(v->prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)) ||
	    (write && !(v->prot & SIOMMU_PROT_WRITE)))
		return -EFAULT;
	if (!siommu_pt_iova_to_phys(mm->pt, addr, pa, NULL))
		return 0;
	ret = siommu_mem_frame_alloc(mm->mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, pa);
	if (ret)
		return ret;
	sw = swap_find(mm, addr);
	if (sw)
		siommu_mem_write(mm->mem, *pa, sw->data, SIOMMU_SZ_4K);
	ret = siommu_pt_map(mm->pt, addr, *pa, SIOMMU_SZ_4K, v->prot);
	if (ret) {
		siommu_mem_frame_free(mm->mem, *pa, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
		return ret;
	}
	/* A unit in caching mode may have cached the page as not present
	 * (VT-d 6.1): a new translation is invalidated there. */
	if (__atomic_load_n(&mm->ctx->any_cm, __ATOMIC_ACQUIRE))
		mm_flush(mm, addr, addr + SIOMMU_SZ_4K - 1, true);
	if (sw) {
		RB_REMOVE(mm_swap_tree, &mm->swap, sw);
		free(sw);
		mm->swapped--;
	}
	mm->resident++;
	return 0;
}

enum iommu_page_resp_code mm_iopf(void *arg, const struct iommu_page_request *req)
{
	struct siommu_mm *mm = arg;
	uint64_t pa;
	int ret = -EFAULT;

	pthread_mutex_lock(&mm->lock);
	/* Addresses beyond the process's half are no VMA's. */
	if (!mm->exited && req->addr >= SIOMMU_MM_MIN_ADDR && req->addr <= SIOMMU_MM_MAX_ADDR)
		ret = mm_populate(mm, req->addr & ~(SIOMMU_SZ_4K - 1), req->write, &pa);
	if (ret)
		mm->faults_refused++;
	else
		mm->faults++;
	pthread_mutex_unlock(&mm->lock);
	return ret ? IOMMU_PAGE_RESP_INVALID : IOMMU_PAGE_RESP_SUCCESS;
}

struct run_batch {
	unsigned int n;
	struct siommu_pt_run run[MM_RUN_BATCH];
};

static int run_collect(void *arg, const struct siommu_pt_run *run)
{
	struct run_batch *b = arg;

	if (b->n == MM_RUN_BATCH)
		return 1;
	b->run[b->n++] = *run;
	return 0;
}

/*
 * Remove every populated page of [start, last] from the table, invalidate
 * the devices' caches, and free the frames, saving their contents to swap
 * with @spares (one per page; NULL: contents are dropped). With @levels,
 * table levels the range covers whole are freed too. Caller holds lock.
 */
static void mm_drop_pages(struct siommu_mm *mm, uint64_t start, uint64_t last,
			  struct mm_swap **spares, bool levels)
{
	struct run_batch b;
	uint64_t cur = start, p;
	unsigned int i;

	while (cur <= last) {
		b.n = 0;
		siommu_pt_for_each(mm->pt, cur, last - cur + 1, run_collect, &b);
		if (!b.n)
			break;
		/* Leaves only: the levels stay until the range's end. */
		for (i = 0; i < b.n; i++)
			siommu_pt_unmap(mm->pt, b.run[i].iova, b.run[i].length, NULL, NULL);
		mm_flush(mm, b.run[0].iova, b.run[b.n - 1].iova + b.run[b.n - 1].length - 1,
			 true);
		/* No device reaches the frames now. */
		for (i = 0; i < b.n; i++) {
			for (p = 0; p < b.run[i].length; p += SIOMMU_SZ_4K) {
				if (spares) {
					struct mm_swap *sw = *spares;

					*spares = sw->next;
					sw->addr = b.run[i].iova + p;
					siommu_mem_read(mm->mem, b.run[i].pa + p, sw->data,
							SIOMMU_SZ_4K);
					RB_INSERT(mm_swap_tree, &mm->swap, sw);
					mm->swapped++;
				}
				siommu_mem_frame_free(mm->mem, b.run[i].pa + p, SIOMMU_SZ_4K,
						      SIOMMU_MEM_DMA);
				mm->resident--;
			}
		}
		cur = b.run[b.n - 1].iova + b.run[b.n - 1].length;
		if (!cur)
			break;
	}
	if (levels) {
		struct siommu_pt_gather g;

		siommu_pt_gather_init(&g);
		siommu_pt_unmap(mm->pt, start, last - start + 1, &g, NULL);
		if (g.nr_pages) {
			/* Levels went: the walk caches must forget them too. */
			mm_flush(mm, g.start, g.last, false);
			siommu_pt_gather_release(&g);
		}
	}
}

/* Drop the swapped contents of [start, last]; caller holds lock. */
static void mm_drop_swap(struct siommu_mm *mm, uint64_t start, uint64_t last)
{
	struct mm_swap key = { .addr = start }, *sw, *next;

	for (sw = RB_NFIND(mm_swap_tree, &mm->swap, &key); sw && sw->addr <= last; sw = next) {
		next = RB_NEXT(mm_swap_tree, &mm->swap, sw);
		RB_REMOVE(mm_swap_tree, &mm->swap, sw);
		free(sw);
		mm->swapped--;
	}
}

/*
 * Split the VMA holding @addr (if @addr is inside it, not at its start)
 * into two at @addr, using *spare (then taken). Caller holds lock.
 */
static void vma_split(struct siommu_mm *mm, uint64_t addr, struct mm_vma **spare)
{
	struct mm_vma *v = vma_find(mm, addr), *n;

	if (!v || v->start == addr)
		return;
	n = *spare;
	*spare = NULL;
	n->start = addr;
	n->last = v->last;
	n->prot = v->prot;
	v->last = addr - 1;
	cds_list_add(&n->node, &v->node);
}

/*
 * Check the range of a call that may split VMAs at both its ends (*last
 * set) and allocate the two spare VMAs that takes: 0, -EINVAL, -ERANGE,
 * -ENOMEM. The caller frees what vma_split_ends() did not take.
 */
static int vma_prepare(struct siommu_mm *mm, uint64_t addr, uint64_t length,
		       uint64_t *last, struct mm_vma *s[2])
{
	int ret;

	s[0] = s[1] = NULL;
	if (!mm)
		return -EINVAL;
	ret = range_check(addr, length, last);
	if (ret)
		return ret;
	if (mem_should_fail(mm->mem) || !(s[0] = malloc(sizeof(*s[0]))) ||
	    mem_should_fail(mm->mem) || !(s[1] = malloc(sizeof(*s[1])))) {
		free(s[0]);
		s[0] = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Make [addr, last] start and end at VMA boundaries; caller holds lock. */
static void vma_split_ends(struct siommu_mm *mm, uint64_t addr, uint64_t last,
			   struct mm_vma *s[2])
{
	vma_split(mm, addr, &s[0]);
	if (last < SIOMMU_MM_MAX_ADDR)
		vma_split(mm, last + 1, &s[1]);
}

/* Whether VMAs cover [addr, last] without a hole; caller holds lock. */
static bool range_mapped(struct siommu_mm *mm, uint64_t addr, uint64_t last)
{
	struct mm_vma *v;
	uint64_t cur = addr;

	cds_list_for_each_entry(v, &mm->vmas, node) {
		if (v->last < cur)
			continue;
		if (v->start > cur)
			return false;
		if (v->last >= last)
			return true;
		cur = v->last + 1;
	}
	return false;
}

/* Whether a pinned bind holds a page of [addr, last]; caller holds lock. */
static bool range_pinned(struct siommu_mm *mm, uint64_t addr, uint64_t last)
{
	struct mm_pin *pin;

	cds_list_for_each_entry(pin, &mm->pins, node)
		if (pin->start <= last && pin->last >= addr)
			return true;
	return false;
}

/* Whether VMAs with access cover [addr, last]; caller holds lock. */
static bool range_accessible(struct siommu_mm *mm, uint64_t addr, uint64_t last)
{
	struct mm_vma *v;

	if (!range_mapped(mm, addr, last))
		return false;
	cds_list_for_each_entry(v, &mm->vmas, node)
		if (v->start <= last && v->last >= addr &&
		    !(v->prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)))
			return false;
	return true;
}

static void pins_free(struct cds_list_head *list)
{
	struct mm_pin *pin, *next;

	cds_list_for_each_entry_safe(pin, next, list, node)
		free(pin);
	CDS_INIT_LIST_HEAD(list);
}

/* @n pins on @list, or -ENOMEM with none. */
static int pins_alloc(struct siommu_mm *mm, unsigned int n, struct cds_list_head *list)
{
	CDS_INIT_LIST_HEAD(list);
	while (n--) {
		struct mm_pin *pin = mem_should_fail(mm->mem) ? NULL : malloc(sizeof(*pin));

		if (!pin) {
			pins_free(list);
			return -ENOMEM;
		}
		cds_list_add(&pin->node, list);
	}
	return 0;
}

int mm_pin(struct siommu_mm *mm, struct siommu_sva *h, const struct siommu_sva_range *ranges,
	   unsigned int nr)
{
	struct cds_list_head spares;
	struct mm_pin *pin, *next;
	uint64_t last[SIOMMU_SVA_MAX_PIN_RANGES], a, pa;
	unsigned int i;
	int ret;

	if (!ranges || !nr || nr > SIOMMU_SVA_MAX_PIN_RANGES)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		ret = range_check(ranges[i].addr, ranges[i].length, &last[i]);
		if (ret)
			return ret;
	}
	ret = pins_alloc(mm, nr, &spares);
	if (ret)
		return ret;
	pthread_mutex_lock(&mm->lock);
	for (i = 0; i < nr && !ret; i++)
		if (!range_accessible(mm, ranges[i].addr, last[i]))
			ret = -EFAULT;
	/* As a CPU read faults them in (VFIO and iommufd pin the same way):
	 * the page gets its frame and the VMA's protection. */
	for (i = 0; i < nr && !ret; i++)
		for (a = ranges[i].addr; a - 1 != last[i] && !ret; a += SIOMMU_SZ_4K)
			ret = mm_populate(mm, a, false, &pa);
	if (ret) {
		pthread_mutex_unlock(&mm->lock);
		pins_free(&spares);
		return ret;
	}
	i = 0;
	cds_list_for_each_entry_safe(pin, next, &spares, node) {
		pin->start = ranges[i].addr;
		pin->last = last[i++];
		pin->owner = h;
		cds_list_move(&pin->node, &mm->pins);
	}
	pthread_mutex_unlock(&mm->lock);
	return 0;
}

void mm_unpin(struct siommu_mm *mm, struct siommu_sva *h)
{
	struct mm_pin *pin, *next;

	pthread_mutex_lock(&mm->lock);
	cds_list_for_each_entry_safe(pin, next, &mm->pins, node) {
		if (pin->owner == h) {
			cds_list_del(&pin->node);
			free(pin);
		}
	}
	pthread_mutex_unlock(&mm->lock);
}

/* The pins [addr, last] would cut in two; caller holds lock. */
static unsigned int pins_cut(struct siommu_mm *mm, uint64_t addr, uint64_t last)
{
	struct mm_pin *pin;
	unsigned int n = 0;

	cds_list_for_each_entry(pin, &mm->pins, node)
		n += pin->start < addr && pin->last > last;
	return n;
}

/*
 * Take [addr, last] out of every pin, cutting those that hold it inside
 * in two with @spares (as many as pins_cut() counted). Caller holds lock.
 */
static void pins_clip(struct siommu_mm *mm, uint64_t addr, uint64_t last,
		      struct cds_list_head *spares)
{
	struct mm_pin *pin, *next, *tail;

	cds_list_for_each_entry_safe(pin, next, &mm->pins, node) {
		if (pin->start > last || pin->last < addr)
			continue;
		if (pin->start < addr && pin->last > last) {
			tail = cds_list_first_entry(spares, struct mm_pin, node);
			cds_list_del(&tail->node);
			tail->start = last + 1;
			tail->last = pin->last;
			tail->owner = pin->owner;
			cds_list_add(&tail->node, &pin->node);
			pin->last = addr - 1;
		} else if (pin->start < addr) {
			pin->last = addr - 1;
		} else if (pin->last > last) {
			pin->start = last + 1;
		} else {
			cds_list_del(&pin->node);
			free(pin);
		}
	}
}

int SIOMMU_EXPORT siommu_mm_mmap(struct siommu_mm *mm, uint64_t addr, uint64_t length,
				 unsigned int prot, uint64_t *out)
{
	struct mm_vma *v, *n, *before = NULL;
	uint64_t last = 0, cand = SIOMMU_MM_MIN_ADDR;
	int ret = 0;

	if (!mm || (prot & ~MM_PROTS) || !length || (length | addr) & (SIOMMU_SZ_4K - 1))
		return -EINVAL;
	if (addr && (ret = range_check(addr, length, &last)))
		return ret;
	if (length > SIOMMU_MM_MAX_ADDR + 1 - SIOMMU_MM_MIN_ADDR)
		return -ENOMEM;
	if (mem_should_fail(mm->mem))
		return -ENOMEM;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	if (addr) {
		cds_list_for_each_entry(v, &mm->vmas, node) {
			if (v->start > last)
				break;
			if (v->last >= addr) {
				ret = -EEXIST;
				goto out_unlock;
			}
			before = v;
		}
		cand = addr;
	} else {
		/* The lowest gap that fits. */
		cds_list_for_each_entry(v, &mm->vmas, node) {
			if (v->start > cand && v->start - cand >= length)
				break;
			cand = v->last + 1;
			before = v;
		}
		if (cand > SIOMMU_MM_MAX_ADDR || SIOMMU_MM_MAX_ADDR - cand < length - 1) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	n->start = cand;
	n->last = cand + length - 1;
	n->prot = prot;
	cds_list_add(&n->node, before ? &before->node : &mm->vmas);
	n = NULL;
	if (out)
		*out = cand;
out_unlock:
	pthread_mutex_unlock(&mm->lock);
	free(n);
	return ret;
}

int SIOMMU_EXPORT siommu_mm_munmap(struct siommu_mm *mm, uint64_t addr, uint64_t length)
{
	struct cds_list_head spares;
	struct mm_vma *s[2], *v, *vn;
	uint64_t last;
	int ret;

	ret = vma_prepare(mm, addr, length, &last, s);
	if (ret)
		return ret;
	pthread_mutex_lock(&mm->lock);
	ret = pins_alloc(mm, pins_cut(mm, addr, last), &spares);
	if (ret)
		goto out_unlock;
	pins_clip(mm, addr, last, &spares);
	vma_split_ends(mm, addr, last, s);
	cds_list_for_each_entry_safe(v, vn, &mm->vmas, node) {
		if (v->start >= addr && v->last <= last) {
			cds_list_del(&v->node);
			free(v);
		}
	}
	mm_drop_pages(mm, addr, last, NULL, true);
	mm_drop_swap(mm, addr, last);
out_unlock:
	pthread_mutex_unlock(&mm->lock);
	free(s[0]);
	free(s[1]);
	return ret;
}

static int count_pages(void *arg, const struct siommu_pt_run *run)
{
	*(uint64_t *)arg += run->length / SIOMMU_SZ_4K;
	return 0;
}

static void spares_free(struct mm_swap *sw)
{
	while (sw) {
		struct mm_swap *next = sw->next;

		free(sw);
		sw = next;
	}
}

/* @n swap entries in a list, or -ENOMEM. */
static int swap_spares(struct siommu_mm *mm, uint64_t n, struct mm_swap **out)
{
	*out = NULL;
	while (n--) {
		struct mm_swap *sw = mem_should_fail(mm->mem) ? NULL : malloc(sizeof(*sw));

		if (!sw) {
			spares_free(*out);
			*out = NULL;
			return -ENOMEM;
		}
		sw->next = *out;
		*out = sw;
	}
	return 0;
}

int SIOMMU_EXPORT siommu_mm_mprotect(struct siommu_mm *mm, uint64_t addr, uint64_t length,
				     unsigned int prot)
{
	struct mm_swap *spares = NULL;
	struct siommu_pt_gather g;
	struct mm_vma *s[2], *v;
	uint64_t last, pages = 0;
	int ret;

	if (prot & ~MM_PROTS)
		return -EINVAL;
	ret = vma_prepare(mm, addr, length, &last, s);
	if (ret)
		return ret;
	pthread_mutex_lock(&mm->lock);
	if (!range_mapped(mm, addr, last)) {
		ret = -EFAULT;
		goto out_unlock;
	}
	if (!(prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE))) {
		/* No access: the pages go to swap, which pinned pages never
		 * do. Room in swap is made first, so that nothing changes if
		 * there is none. */
		if (range_pinned(mm, addr, last)) {
			ret = -EBUSY;
			goto out_unlock;
		}
		siommu_pt_for_each(mm->pt, addr, length, count_pages, &pages);
		ret = swap_spares(mm, pages, &spares);
		if (ret)
			goto out_unlock;
	}
	vma_split_ends(mm, addr, last, s);
	cds_list_for_each_entry(v, &mm->vmas, node)
		if (v->start >= addr && v->last <= last)
			v->prot = prot;
	if (pages || !(prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE))) {
		mm_drop_pages(mm, addr, last, &spares, false);
		SIOMMU_ASSERT(!spares);
		goto out_unlock;
	}
	/* Each populated page's leaf changes in place: a device walking it
	 * meanwhile finds the old permissions or the new ones, never the
	 * page missing (which would be a fault, or a page request for a page
	 * that is there). The table has 4K leaves only, so nothing splits and
	 * nothing can fail. Then every bound device forgets the old
	 * permissions before the call returns. */
	siommu_pt_gather_init(&g);
	ret = siommu_pt_protect(mm->pt, addr, length, prot, &g);
	SIOMMU_ASSERT(!ret);
	if (g.start <= g.last)
		mm_flush(mm, g.start, g.last, g.leaf_only);
	siommu_pt_gather_release(&g);
	ret = 0;
out_unlock:
	pthread_mutex_unlock(&mm->lock);
	free(s[0]);
	free(s[1]);
	return ret;
}

/* The CPU's access to [addr, addr + len): copy to or from @buf. */
static int mm_access(struct siommu_mm *mm, uint64_t addr, void *buf, size_t len, bool write)
{
	unsigned char *p = buf;
	uint64_t end;
	int ret = 0;

	if (!mm || (len && !buf))
		return -EINVAL;
	if (__builtin_add_overflow(addr, (uint64_t)len, &end))
		return -EFAULT;
	pthread_mutex_lock(&mm->lock);
	while (len) {
		uint64_t page = addr & ~(SIOMMU_SZ_4K - 1), off = addr - page, pa;
		size_t n = SIOMMU_SZ_4K - off < len ? SIOMMU_SZ_4K - off : len;

		ret = addr < SIOMMU_MM_MIN_ADDR || addr > SIOMMU_MM_MAX_ADDR || mm->exited ?
		      -EFAULT : mm_populate(mm, page, write, &pa);
		if (ret)
			break;
		if (write)
			siommu_mem_write(mm->mem, pa + off, p, n);
		else
			siommu_mem_read(mm->mem, pa + off, p, n);
		p += n;
		addr += n;
		len -= n;
	}
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

int SIOMMU_EXPORT siommu_mm_read(struct siommu_mm *mm, uint64_t addr, void *buf, size_t len)
{
	return mm_access(mm, addr, buf, len, false);
}

int SIOMMU_EXPORT siommu_mm_write(struct siommu_mm *mm, uint64_t addr, const void *buf,
				  size_t len)
{
	return mm_access(mm, addr, (void *)buf, len, true);
}

/*
 * Take lock with the populated page at @addr found (*pa, *leaf): 0, or
 * -EINVAL (unaligned), -ENOENT (not populated) without the lock.
 */
static int mm_page_lock(struct siommu_mm *mm, uint64_t addr, uint64_t *pa,
			struct siommu_pt_leaf *leaf)
{
	if (!mm || (addr & (SIOMMU_SZ_4K - 1)))
		return -EINVAL;
	if (addr < SIOMMU_MM_MIN_ADDR || addr > SIOMMU_MM_MAX_ADDR)
		return -ENOENT;
	pthread_mutex_lock(&mm->lock);
	if (siommu_pt_iova_to_phys(mm->pt, addr, pa, leaf)) {
		pthread_mutex_unlock(&mm->lock);
		return -ENOENT;
	}
	return 0;
}

int SIOMMU_EXPORT siommu_mm_reclaim(struct siommu_mm *mm, uint64_t addr)
{
	struct siommu_pt_leaf leaf;
	struct mm_swap *sw;
	uint64_t pa;
	int ret;

	ret = mm_page_lock(mm, addr, &pa, &leaf);
	if (ret)
		return ret;
	ret = range_pinned(mm, addr, addr) ? -EBUSY : swap_spares(mm, 1, &sw);
	if (ret)
		goto out_unlock;
	mm_drop_pages(mm, addr, addr + SIOMMU_SZ_4K - 1, &sw, false);
out_unlock:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

int SIOMMU_EXPORT siommu_mm_migrate(struct siommu_mm *mm, uint64_t addr)
{
	struct siommu_pt_leaf leaf;
	uint64_t pa, npa;
	int ret;

	ret = mm_page_lock(mm, addr, &pa, &leaf);
	if (ret)
		return ret;
	ret = range_pinned(mm, addr, addr) ? -EBUSY :
	      siommu_mem_frame_alloc(mm->mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &npa);
	if (ret)
		goto out_unlock;
	siommu_pt_unmap(mm->pt, addr, SIOMMU_SZ_4K, NULL, NULL);
	mm_flush(mm, addr, addr + SIOMMU_SZ_4K - 1, true);
	/* No device writes the old frame any more: its contents are final. */
	siommu_mem_write(mm->mem, npa, siommu_mem_host(mm->mem, pa, SIOMMU_SZ_4K),
			 SIOMMU_SZ_4K);
	ret = siommu_pt_map(mm->pt, addr, npa, SIOMMU_SZ_4K,
			    leaf.prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE | SIOMMU_PROT_EXEC));
	SIOMMU_ASSERT(!ret);	/* the level stayed */
	if (__atomic_load_n(&mm->ctx->any_cm, __ATOMIC_ACQUIRE))
		mm_flush(mm, addr, addr + SIOMMU_SZ_4K - 1, true);
	siommu_mem_frame_free(mm->mem, pa, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
out_unlock:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

void SIOMMU_EXPORT siommu_mm_get_info(struct siommu_mm *mm, struct siommu_mm_info *info)
{
	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&mm->bind_lock);
	info->pasid = mm->pasid;
	info->binds = mm->nr_binds;
	pthread_mutex_unlock(&mm->bind_lock);
	pthread_mutex_lock(&mm->lock);
	info->resident = mm->resident;
	info->swapped = mm->swapped;
	info->faults = mm->faults;
	info->faults_refused = mm->faults_refused;
	pthread_mutex_unlock(&mm->lock);
}

void SIOMMU_EXPORT siommu_mm_exit(struct siommu_mm *mm)
{
	struct siommu_sva *h;
	struct mm_vma *v, *vn;
	bool gone;

	if (!mm)
		return;
	pthread_mutex_lock(&mm->bind_lock);
	/* DMA stops first, silently, then the memory goes. */
	cds_list_for_each_entry(h, &mm->binds, node)
		if (h->dev)
			core_device_quiesce_pasid(h->dev, mm->pasid);
	pthread_mutex_lock(&mm->lock);
	mm->exited = true;
	mm_drop_pages(mm, SIOMMU_MM_MIN_ADDR, SIOMMU_MM_MAX_ADDR, NULL, true);
	mm_drop_swap(mm, 0, UINT64_MAX);
	cds_list_for_each_entry_safe(v, vn, &mm->vmas, node)
		free(v);
	CDS_INIT_LIST_HEAD(&mm->vmas);
	pthread_mutex_unlock(&mm->lock);
	/* The attachments hold their own references: the PASID is
	 * released with the last unbind. */
	if (mm->pasid)
		siommu_pasid_free(mm->ctx->pasids, mm->pasid);
	gone = !mm->nr_binds;
	pthread_mutex_unlock(&mm->bind_lock);
	if (gone)
		mm_free(mm);
}

void mm_free(struct siommu_mm *mm)
{
	SIOMMU_ASSERT(cds_list_empty(&mm->doms) && cds_list_empty(&mm->binds) &&
		      cds_list_empty(&mm->pins));
	siommu_pt_destroy(mm->pt);
	pthread_mutex_destroy(&mm->lock);
	pthread_mutex_destroy(&mm->bind_lock);
	free(mm);
}
