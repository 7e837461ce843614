/* SPDX-License-Identifier: MIT */
/*
 * I/O address spaces: areas in a tree ordered by IOVA (they never
 * overlap, so the tree answers interval queries through a neighbour),
 * reserved and allowed ranges, and the mirror of every area in each
 * attached HWPT's domain.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommufd/iommufd_internal.h"

#define PAGE_MASK (SIOMMU_PAGE_SIZE - 1)
#define MAP_FLAGS (SIOMMU_IOAS_MAP_FIXED_IOVA | SIOMMU_IOAS_MAP_WRITEABLE | \
		   SIOMMU_IOAS_MAP_READABLE)

static int ifd_area_cmp(const struct ifd_area *a, const struct ifd_area *b)
{
	return a->iova < b->iova ? -1 : a->iova > b->iova;
}
RB_GENERATE(ifd_area_tree, ifd_area, rb, ifd_area_cmp)

/* A piece of page storage to map: what an area points at. */
struct piece {
	struct ifd_pages *pages;
	uint64_t pgoff, length;
};

static uint64_t area_pa(const struct ifd_area *area)
{
	return ifd_area_pa(area, area->iova);
}

/* Where @area starts in its first host page: its PA's offset there too. */
static uint64_t area_off(const struct ifd_area *area)
{
	return ifd_area_host(area, area->iova) & PAGE_MASK;
}

/* Pin @area's storage for the domains of its IOAS, once. Under ioas->lock. */
static int area_dom_pin(struct ifd_area *area)
{
	int ret;

	if (area->dom_pin || area->revoked)
		return 0;
	ret = ifd_pages_pin(area->pages);
	area->dom_pin = !ret;
	return ret;
}

/* @undo: a failed call giving back its pin (ifd_pages_unpin()). */
static void area_dom_unpin(struct ifd_area *area, bool undo)
{
	if (!area->dom_pin)
		return;
	area->dom_pin = false;
	ifd_pages_unpin(area->pages, undo);
}

static uint64_t pow2_roundup(uint64_t x)
{
	return x <= 1 ? 1 : x > (1ull << 63) ? 1ull << 63 : 1ull << (64 - __builtin_clzll(x - 1));
}

static struct ifd_ioas *ioas_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_IOAS);

	return obj ? container_of(obj, struct ifd_ioas, obj) : NULL;
}

/* The first area meeting [iova, last], or NULL. */
static struct ifd_area *area_first(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct ifd_area key = { .iova = iova }, *a, *prev;

	a = RB_NFIND(ifd_area_tree, &ioas->areas, &key);
	prev = a ? RB_PREV(ifd_area_tree, &ioas->areas, a) :
		   RB_MAX(ifd_area_tree, &ioas->areas);
	if (prev && prev->last >= iova)
		return prev;
	return a && a->iova <= last ? a : NULL;
}

static const struct ifd_resv *resv_hit(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < ioas->nr_resv; i++)
		if (ioas->resv[i].start <= last && iova <= ioas->resv[i].last)
			return &ioas->resv[i];
	return NULL;
}

/* The smallest page @hwpt's domain maps. */
static uint64_t hwpt_min_page(const struct ifd_hwpt *hwpt)
{
	return hwpt->pgsizes & -hwpt->pgsizes;
}

/*
 * The alignment of IOVA, length and page offset that every attached
 * domain can map: the largest of their smallest pages (4K on every unit
 * with a model; 2 KiB on the mock unit), at least 4K with large pages off,
 * else any.
 */
uint64_t ifd_ioas_alignment(struct ifd_ioas *ioas)
{
	uint64_t align = ioas->huge_pages ? 1 : SIOMMU_PAGE_SIZE;
	struct ifd_hwpt *hwpt;

	cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node)
		if (hwpt_min_page(hwpt) > align)
			align = hwpt_min_page(hwpt);
	return align;
}

/* Map @area into @hwpt's domain; all or nothing. */
static int hwpt_map_area(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt,
			 struct ifd_area *area)
{
	uint64_t len = area->last - area->iova + 1, done;
	int ret;

	if (area->revoked)
		return 0;	/* its dma-buf gives no pages */
	if (ioas->huge_pages)
		return siommu_domain_map(hwpt->dom, area->iova, area_pa(area), len,
					 area->prot);
	/* Large pages off: one 4K leaf at a time. */
	for (done = 0; done < len; done += SIOMMU_PAGE_SIZE) {
		ret = siommu_domain_map(hwpt->dom, area->iova + done, area_pa(area) + done,
					SIOMMU_PAGE_SIZE, area->prot);
		if (ret) {
			if (done)
				siommu_domain_unmap(hwpt->dom, area->iova, done, NULL);
			return ret;
		}
	}
	return 0;
}

static void hwpt_unmap_area(struct ifd_hwpt *hwpt, struct ifd_area *area)
{
	if (area->revoked)
		return;
	siommu_domain_unmap(hwpt->dom, area->iova, area->last - area->iova + 1, NULL);
}

/* Map @area into every attached domain; all or nothing. */
static int area_map_domains(struct ifd_ioas *ioas, struct ifd_area *area)
{
	struct ifd_hwpt *hwpt, *done;
	int ret;

	cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node) {
		ret = hwpt_map_area(ioas, hwpt, area);
		if (ret)
			goto out_unmap;
	}
	return 0;

out_unmap:
	cds_list_for_each_entry(done, &ioas->hwpts, ioas_node) {
		if (done == hwpt)
			break;
		hwpt_unmap_area(done, area);
	}
	return ret;
}

/* Unmap from every domain, take out of the tree, free (@undo: as a
 * failed call gives back what it made). Never fails. */
static void area_remove(struct ifd_ioas *ioas, struct ifd_area *area, bool undo)
{
	struct ifd_hwpt *hwpt;

	cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node)
		hwpt_unmap_area(hwpt, area);
	RB_REMOVE(ifd_area_tree, &ioas->areas, area);
	WRITE_ONCE(ioas->nr_areas, ioas->nr_areas - 1);
	area_dom_unpin(area, undo);
	ifd_pages_put(area->pages);
	free(area);
}

int SIOMMU_EXPORT siommu_ioas_alloc(struct siommu_iommufd *ictx, uint32_t *out_id)
{
	struct ifd_ioas *ioas;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	ioas = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*ioas));
	if (!ioas)
		return -ENOMEM;
	ret = ifd_obj_reserve(ictx, &ioas->obj, SIOMMU_IOMMUFD_OBJ_IOAS);
	if (ret) {
		free(ioas);
		return ret;
	}
	ioas->ictx = ictx;
	pthread_mutex_init(&ioas->lock, NULL);
	RB_INIT(&ioas->areas);
	CDS_INIT_LIST_HEAD(&ioas->hwpts);
	CDS_INIT_LIST_HEAD(&ioas->accesses);
	CDS_INIT_LIST_HEAD(&ioas->unmapping);
	ioas->huge_pages = true;
	*out_id = ioas->obj.id;
	ifd_obj_publish(ictx, &ioas->obj);
	return 0;
}

/* IOMMU_DESTROY of an IOAS no HWPT uses: its areas go with it. */
void ifd_ioas_destroy(struct ifd_ioas *ioas)
{
	struct ifd_area *area, *tmp;

	SIOMMU_ASSERT(cds_list_empty(&ioas->hwpts));
	RB_FOREACH_SAFE(area, ifd_area_tree, &ioas->areas, tmp)
		area_remove(ioas, area, false);
	free(ioas->resv);
	free(ioas->allowed);
	pthread_mutex_destroy(&ioas->lock);
	free(ioas);
}

/*
 * An IOVA for @span bytes whose first byte sits @off into an @align-
 * aligned block: the lowest that fits in an allowed range (or in
 * [4K, 2^64 - 4K) with none) and meets no reserved range and no area.
 */
static int iova_pick(struct ifd_ioas *ioas, uint64_t length, uint64_t off, uint64_t align,
		     uint64_t *out)
{
	struct siommu_iova_range all = { SIOMMU_PAGE_SIZE, UINT64_MAX - SIOMMU_PAGE_SIZE };
	const struct siommu_iova_range *r = ioas->nr_allowed ? ioas->allowed : &all;
	unsigned int n = ioas->nr_allowed ? ioas->nr_allowed : 1, i;

	for (i = 0; i < n; i++) {
		uint64_t cand = r[i].start, base, iova, last;

		for (;;) {
			const struct ifd_resv *resv;
			struct ifd_area *area;

			if (__builtin_add_overflow(cand, align - 1, &base))
				break;
			base &= ~(align - 1);
			if (__builtin_add_overflow(base, off, &iova) ||
			    __builtin_add_overflow(iova, length - 1, &last) ||
			    iova < r[i].start || last > r[i].last)
				break;
			resv = resv_hit(ioas, iova, last);
			if (resv) {
				if (resv->last == UINT64_MAX)
					break;
				cand = resv->last + 1;
				continue;
			}
			area = area_first(ioas, iova, last);
			if (area) {
				if (area->last == UINT64_MAX)
					break;
				cand = area->last + 1;
				continue;
			}
			*out = iova;
			return 0;
		}
	}
	return -ENOSPC;
}

/* The largest page any attached domain may use, and at least 2M (what a
 * domain attached later is likely to have, and the host's huge page). */
static uint64_t largest_page(struct ifd_ioas *ioas)
{
	struct ifd_hwpt *hwpt;
	uint64_t pgsizes = SIOMMU_SZ_2M;

	if (!ioas->huge_pages)
		return SIOMMU_PAGE_SIZE;
	cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node)
		pgsizes |= hwpt->pgsizes;
	return 1ull << (63 - __builtin_clzll(pgsizes));
}

/* Storage MAP and MAP_FILE make once the IOVA checks have passed. */
struct pin_req {
	void *uva;			/* MAP */
	int fd;				/* MAP_FILE, with start */
	uint64_t start;
	bool file;
	bool map_file;			/* IOAS_MAP_FILE's (file: the same) */
	int err;			/* no memory at uva: -EFAULT makes
					 * storage whose pinning fails so;
					 * another error fails the map */
	struct ifd_source *src;		/* the memory's process and buckets
					 * (the storage takes its pidfd), or
					 * NULL: this one, the context's */
};

static int pin(struct siommu_iommufd *ictx, const struct pin_req *req, uint64_t length,
	       unsigned int flags, struct ifd_pages **out)
{
	/* Only memory that is not there waits for a pin to fail, as
	 * Linux's; memory that is there but cannot be given fails now. */
	if (req->err == -EFAULT)
		return ifd_pages_unreachable(ictx, req->start, length, req->err, out);
	if (req->err)
		return req->err;
	if (req->file) {
		int ret = ifd_pages_from_file(ictx, req->fd, req->start, length,
					      flags & SIOMMU_IOAS_MAP_WRITEABLE, req->src, out);

		if (!ret)
			(*out)->map_file = req->map_file;
		return ret;
	}
	return ifd_pages_from_user(ictx, req->uva, length, true, req->src, out);
}

/*
 * Make areas over @pieces (contiguous in IOVA, @length bytes in all) at
 * *iova (FIXED_IOVA) or at one picked, and map them into every domain,
 * which pins their storage (Linux pins when a domain first needs pages).
 * With @req, the one piece's storage is made here, after the checks of
 * the IOVA, so that a refused range makes nothing. On success each
 * piece's storage reference belongs to its area; on failure the caller
 * keeps those it passed.
 */
static int ioas_insert(struct ifd_ioas *ioas, unsigned int flags, struct piece *pieces,
		       unsigned int n, uint64_t length, uint64_t *iova,
		       const struct pin_req *req)
{
	struct siommu_iommufd *ictx = ioas->ictx;
	uint64_t off = req ? (req->file ? req->start : (uintptr_t)req->uva) & PAGE_MASK :
			     (pieces[0].pages->host + pieces[0].pgoff) & PAGE_MASK;
	unsigned int prot = (flags & SIOMMU_IOAS_MAP_READABLE ? SIOMMU_PROT_READ : 0) |
			    (flags & SIOMMU_IOAS_MAP_WRITEABLE ? SIOMMU_PROT_WRITE : 0);
	struct ifd_area **areas;
	uint64_t align, start, last, at;
	unsigned int i, made = 0;
	int ret = 0;

	for (i = 0; !req && i < n; i++)
		if ((flags & SIOMMU_IOAS_MAP_WRITEABLE) && !pieces[i].pages->writable)
			return -EPERM;
	areas = ifd_should_fail(ictx) ? NULL : calloc(n, sizeof(*areas));
	if (!areas)
		return -ENOMEM;
	pthread_mutex_lock(&ioas->lock);
	align = ifd_ioas_alignment(ioas);
	if (flags & SIOMMU_IOAS_MAP_FIXED_IOVA) {
		start = *iova;
		if (__builtin_add_overflow(start, length - 1, &last)) {
			ret = -EOVERFLOW;
			goto out_unlock;
		}
		if ((start | length | off) & (align - 1)) {
			ret = -EINVAL;
			goto out_unlock;
		}
		if (resv_hit(ioas, start, last)) {
			ret = -EINVAL;
			goto out_unlock;
		}
		if (area_first(ioas, start, last)) {
			ret = -EEXIST;
			goto out_unlock;
		}
	} else {
		uint64_t a = pow2_roundup(off + length);

		/* Aligned like the largest page that fits, so that domains
		 * can use large leaves (the PA window is aligned alike). */
		if (a > largest_page(ioas))
			a = largest_page(ioas);
		if (a < SIOMMU_PAGE_SIZE)
			a = SIOMMU_PAGE_SIZE;
		if ((length | off) & (align - 1)) {
			ret = -EINVAL;
			goto out_unlock;
		}
		ret = iova_pick(ioas, length, off, a, &start);
		if (ret)
			goto out_unlock;
	}
	if (req) {
		ret = pin(ictx, req, length, flags, &pieces[0].pages);
		if (ret)
			goto out_unlock;
	}
	for (i = 0, at = start; i < n; at += pieces[i].length, i++) {
		areas[i] = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(**areas));
		if (!areas[i]) {
			ret = -ENOMEM;
			goto out_remove;
		}
		*areas[i] = (struct ifd_area){
			.iova = at, .last = at + pieces[i].length - 1,
			.pages = pieces[i].pages, .pgoff = pieces[i].pgoff, .prot = prot,
		};
		ret = cds_list_empty(&ioas->hwpts) ? 0 : area_dom_pin(areas[i]);
		if (!ret) {
			ret = area_map_domains(ioas, areas[i]);
			if (ret)
				area_dom_unpin(areas[i], true);
		}
		if (ret) {
			free(areas[i]);
			goto out_remove;
		}
		RB_INSERT(ifd_area_tree, &ioas->areas, areas[i]);
		WRITE_ONCE(ioas->nr_areas, ioas->nr_areas + 1);
		made++;
	}
	*iova = start;
	pthread_mutex_unlock(&ioas->lock);
	free(areas);
	return 0;

out_remove:
	/* The storage references stay the caller's, but for pinned here. */
	for (i = 0; i < made; i++) {
		ifd_pages_get(areas[i]->pages);
		area_remove(ioas, areas[i], true);
	}
	if (req)
		ifd_pages_put(pieces[0].pages);
out_unlock:
	pthread_mutex_unlock(&ioas->lock);
	free(areas);
	return ret;
}

/* Before the IOAS is looked up, in Linux's order: the flags, a length or
 * an IOVA (@iova) that is the whole space, the access. */
static int map_flags_check(unsigned int flags, uint64_t length, uint64_t iova)
{
	if (flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (length == UINT64_MAX || iova == UINT64_MAX)
		return -EOVERFLOW;
	if (!(flags & (SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;
	return 0;
}

/* After it: the length. */
static int map_length_check(uint64_t length)
{
	if (!length)
		return -EINVAL;
	/* Linux: length or a picked IOVA's room at or past half the space. */
	if (length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	return 0;
}

/* MAP and MAP_FILE: one area over storage pinned as @req says. */
static int map_pinned(struct siommu_iommufd *ictx, uint32_t ioas_id, unsigned int flags,
		      uint64_t length, uint64_t *iova, const struct pin_req *req)
{
	struct piece p = { .length = length };
	struct ifd_ioas *ioas;
	int ret;

	if (!ictx || !iova)
		return -EINVAL;
	ret = map_flags_check(flags, length, flags & SIOMMU_IOAS_MAP_FIXED_IOVA ? *iova : 0);
	if (ret)
		return ret;
	ioas = ioas_get(ictx, ioas_id);
	if (!ioas)
		return -ENOENT;
	ret = map_length_check(length);
	if (!ret) {
		ifd_regs_trim(ictx);
		ret = ioas_insert(ioas, flags, &p, 1, length, iova, req);
	}
	ifd_obj_put(ictx, &ioas->obj);
	return ret;
}

int SIOMMU_EXPORT siommu_ioas_map(struct siommu_iommufd *ictx, uint32_t ioas_id,
				  unsigned int flags, void *uva, uint64_t length,
				  uint64_t *iova)
{
	return map_pinned(ictx, ioas_id, flags, length, iova, &(struct pin_req){ .uva = uva });
}

int ifd_ioas_map_src(struct siommu_iommufd *ictx, uint32_t ioas_id, unsigned int flags,
		     void *uva, uint64_t length, struct ifd_source *src, uint64_t *iova)
{
	int ret = map_pinned(ictx, ioas_id, flags, length, iova,
			     &(struct pin_req){ .uva = uva, .src = src });

	if (src->pidfd >= 0)
		close(src->pidfd);
	return ret;
}

int SIOMMU_EXPORT siommu_ioas_map_file(struct siommu_iommufd *ictx, uint32_t ioas_id,
				       unsigned int flags, int fd, uint64_t start,
				       uint64_t length, uint64_t *iova)
{
	return map_pinned(ictx, ioas_id, flags, length, iova,
			  &(struct pin_req){ .fd = fd, .start = start, .file = true,
					     .map_file = true });
}

int ifd_ioas_map_fd(struct siommu_iommufd *ictx, uint32_t ioas_id, unsigned int flags,
		    int fd, uint64_t start, int err, uint64_t length, bool map_file,
		    struct ifd_source *src, uint64_t *iova)
{
	int ret = map_pinned(ictx, ioas_id, flags, length, iova,
			     &(struct pin_req){ .fd = fd, .start = start, .file = true,
						.map_file = map_file, .err = err, .src = src });

	if (src->pidfd >= 0)
		close(src->pidfd);
	return ret;
}

static int pages_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct ifd_pages *const *)a;
	uintptr_t y = (uintptr_t)*(struct ifd_pages *const *)b;

	return (x > y) - (x < y);
}

/*
 * Every IOAS's lock is held, taken in ID order (so that two moves never
 * wait on each other; no other call holds two), across the check of the
 * areas and the move: no MAP or COPY adds an area, and no storage is
 * made with the old buckets, in between. The move takes reg_lock, which
 * every pin and unpin takes.
 */
int ifd_ioas_change_process(struct siommu_iommufd *ictx, const struct ifd_source *src)
{
	struct ifd_pages **pages = NULL;
	struct ifd_ioas **ioas;
	unsigned int nr_ioas = 0, i;
	size_t n = 0, total = 0, k, d = 0;
	struct ifd_area *area;
	uint32_t id, slots;
	int ret = 0;

	pthread_mutex_lock(&ictx->lock);
	slots = ictx->nr_slots;
	pthread_mutex_unlock(&ictx->lock);
	ioas = ifd_should_fail(ictx) ? NULL : calloc((size_t)slots + 1, sizeof(*ioas));
	if (!ioas)
		return -ENOMEM;
	for (id = 1; id <= slots; id++) {
		ioas[nr_ioas] = ioas_get(ictx, id);
		if (ioas[nr_ioas])
			nr_ioas++;
	}
	for (i = 0; i < nr_ioas; i++) {
		pthread_mutex_lock(&ioas[i]->lock);
		total += ioas[i]->nr_areas;
	}
	for (i = 0; i < nr_ioas; i++)
		RB_FOREACH(area, ifd_area_tree, &ioas[i]->areas)
			if (!area->pages->map_file) {
				ret = -EINVAL;
				goto out_unlock;
			}
	if (total) {
		pages = ifd_should_fail(ictx) ? NULL : malloc(total * sizeof(*pages));
		if (!pages) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	for (i = 0; i < nr_ioas; i++)
		RB_FOREACH(area, ifd_area_tree, &ioas[i]->areas)
			pages[n++] = area->pages;
	/* Areas share storage (COPY, cuts): each moves once. */
	if (n)
		qsort(pages, n, sizeof(*pages), pages_ptr_cmp);
	for (k = 0; k < n; k++)
		if (!d || pages[d - 1] != pages[k])
			pages[d++] = pages[k];
	ret = ifd_pages_change_source(ictx, pages, d, src);
out_unlock:
	for (i = nr_ioas; i--;) {
		pthread_mutex_unlock(&ioas[i]->lock);
		ifd_obj_put(ictx, &ioas[i]->obj);
	}
	free(pages);
	free(ioas);
	return ret;
}

int SIOMMU_EXPORT siommu_ioas_change_process(struct siommu_iommufd *ictx)
{
	if (!ictx)
		return -EINVAL;
	return ifd_ioas_change_process(ictx, NULL);
}

/*
 * The pieces of storage behind [iova, last] of @ioas, which contiguous
 * areas must cover (-ENOENT otherwise), each with a storage reference.
 */
static int pieces_collect(struct siommu_iommufd *ictx, struct ifd_ioas *ioas,
			  uint64_t iova, uint64_t last, struct piece **out,
			  unsigned int *nr)
{
	struct piece *p = NULL;
	struct ifd_area *area;
	unsigned int n = 0, cap = 0, i;
	uint64_t at = iova;
	int ret = 0;

	pthread_mutex_lock(&ioas->lock);
	for (area = area_first(ioas, iova, last); ; area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
		uint64_t end;

		if (!area || area->iova > at) {
			ret = -ENOENT;
			break;
		}
		if (area->revoked) {
			ret = -ENODEV;
			break;
		}
		if (n == cap) {
			struct piece *np;

			cap = cap ? cap * 2 : 4;
			np = ifd_should_fail(ictx) ? NULL : realloc(p, cap * sizeof(*p));
			if (!np) {
				ret = -ENOMEM;
				break;
			}
			p = np;
		}
		end = area->last < last ? area->last : last;
		p[n++] = (struct piece){
			.pages = area->pages,
			.pgoff = area->pgoff + (at - area->iova),
			.length = end - at + 1,
		};
		if (end == last)
			break;
		at = end + 1;
	}
	if (!ret)
		for (i = 0; i < n; i++)
			ifd_pages_get(p[i].pages);
	pthread_mutex_unlock(&ioas->lock);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	*nr = n;
	return 0;
}

int SIOMMU_EXPORT siommu_ioas_copy(struct siommu_iommufd *ictx, uint32_t dst_id,
				   uint32_t src_id, unsigned int flags, uint64_t src_iova,
				   uint64_t length, uint64_t *dst_iova)
{
	struct ifd_ioas *src, *dst = NULL;
	struct piece *p = NULL;
	unsigned int n = 0, i;
	uint64_t last;
	int ret;

	if (!ictx || !dst_iova)
		return -EINVAL;
	/* Linux's order: the flags, the source and its range, then the
	 * destination. */
	ret = map_flags_check(flags, length,
			      flags & SIOMMU_IOAS_MAP_FIXED_IOVA && *dst_iova == UINT64_MAX ?
			      UINT64_MAX : src_iova);
	if (ret)
		return ret;
	src = ioas_get(ictx, src_id);
	if (!src)
		return -ENOENT;
	ret = !length ? -EINVAL :
	      __builtin_add_overflow(src_iova, length - 1, &last) ? -EOVERFLOW : 0;
	if (!ret)
		ret = pieces_collect(ictx, src, src_iova, last, &p, &n);
	if (ret)
		goto out_put;
	dst = ioas_get(ictx, dst_id);
	ret = !dst ? -ENOENT : map_length_check(length);
	if (!ret)
		ret = ioas_insert(dst, flags, p, n, length, dst_iova, NULL);
	if (ret)
		for (i = 0; i < n; i++)
			ifd_pages_put(p[i].pages);
	free(p);
out_put:
	if (dst)
		ifd_obj_put(ictx, &dst->obj);
	ifd_obj_put(ictx, &src->obj);
	return ret;
}

int SIOMMU_EXPORT siommu_ioas_unmap(struct siommu_iommufd *ictx, uint32_t ioas_id,
				    uint64_t iova, uint64_t length, uint64_t *unmapped)
{
	return ifd_ioas_unmap(ictx, ioas_id, iova, length, false, unmapped);
}

bool ifd_ioas_unmapping(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct ifd_unmapping *u;

	cds_list_for_each_entry(u, &ioas->unmapping, node)
		if (u->iova <= last && iova <= u->last)
			return true;
	return false;
}

int ifd_ioas_unmap(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t iova,
		   uint64_t length, bool empty_ok, uint64_t *unmapped)
{
	struct ifd_unmapping u = { .iova = iova };
	struct ifd_area *area, *next;
	struct ifd_ioas *ioas;
	uint64_t bytes, pins, pins_before = UINT64_MAX, pinned_iova = 0, pinned_last = 0;
	bool all = !iova && length == UINT64_MAX;
	unsigned int stalls = 0;
	int ret = 0;

	if (!ictx)
		return -EINVAL;
	/* Linux's order: the IOAS, then the range (IOMMU_IOAS_UNMAP refuses
	 * an IOVA or length of the whole space but for everything). */
	ioas = ioas_get(ictx, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (all)
		u.last = UINT64_MAX;
	else if (!empty_ok && (iova == UINT64_MAX || length == UINT64_MAX))
		ret = -EOVERFLOW;
	else if (!length)
		ret = -EINVAL;
	else if (__builtin_add_overflow(iova, length - 1, &u.last))
		ret = -EOVERFLOW;
	if (ret) {
		ifd_obj_put(ictx, &ioas->obj);
		return ret;
	}
	pthread_mutex_lock(&ioas->lock);
	for (;;) {
		/* Whole areas only, none a hardware queue holds: check every
		 * one the range meets first. */
		bytes = 0;
		pins = 0;
		for (area = area_first(ioas, iova, u.last); area && area->iova <= u.last;
		     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
			if (area->iova < iova || area->last > u.last) {
				ret = -ENOENT;
				goto out_unlock;
			}
			if (area->locks) {
				ret = -EBUSY;
				goto out_unlock;
			}
			if (area->pins && !pins) {
				pinned_iova = area->iova;
				pinned_last = area->last;
			}
			pins += area->pins;
			bytes += area->last - area->iova + 1;
		}
		if (!bytes && !all && !empty_ok) {
			ret = -ENOENT;
			goto out_unlock;
		}
		if (!pins)
			break;
		/*
		 * Accesses pin in the range: ask them to let go, one area at
		 * a time, with no pin or copy starting there meanwhile, and
		 * again while that frees some (Linux gives up after as many
		 * tries, with the same errno).
		 */
		stalls = pins < pins_before ? 0 : stalls + 1;
		pins_before = pins;
		if (stalls >= SIOMMU_IOMMUFD_ACCESS_UNMAP_TRIES) {
			ret = -EDEADLOCK;
			goto out_unlock;
		}
		if (!u.node.next)
			cds_list_add(&u.node, &ioas->unmapping);
		pthread_mutex_unlock(&ioas->lock);
		if (ifd_access_notify_unmap(ioas, pinned_iova, pinned_last)) {
			/* An access being destroyed drops its pins itself. */
			sched_yield();
			stalls = 0;
			pins_before = UINT64_MAX;
		}
		pthread_mutex_lock(&ioas->lock);
	}
	for (area = area_first(ioas, iova, u.last); area && area->iova <= u.last; area = next) {
		next = RB_NEXT(ifd_area_tree, &ioas->areas, area);
		area_remove(ioas, area, false);
	}
	if (unmapped)
		*unmapped = bytes;
out_unlock:
	if (u.node.next)
		cds_list_del(&u.node);
	pthread_mutex_unlock(&ioas->lock);
	ifd_obj_put(ictx, &ioas->obj);
	return ret;
}

/* Split the area holding both @at - 1 and @at there; 0 if none does.
 * Under ioas->lock. */
static int area_split(struct ifd_ioas *ioas, uint64_t at)
{
	struct ifd_area *area = at ? area_first(ioas, at - 1, at - 1) : NULL, *rhs;
	uint64_t align = ifd_ioas_alignment(ioas);
	unsigned int i;

	if (!area || area->last < at)
		return 0;
	if ((at | (area_off(area) + (at - area->iova))) & (align - 1))
		return -EINVAL;
	if (area->locks)
		return -EBUSY;
	rhs = ifd_should_fail(ioas->ictx) ? NULL : calloc(1, sizeof(*rhs));
	if (!rhs)
		return -ENOMEM;
	/* The access pins meeting the area meet both halves now, each half
	 * holding a pin of the storage for each, as for the domains'. */
	*rhs = (struct ifd_area){
		.iova = at, .last = area->last, .pages = area->pages,
		.pgoff = area->pgoff + (at - area->iova), .prot = area->prot,
		.pins = area->pins, .revoked = area->revoked,
	};
	ifd_pages_get(area->pages);
	for (i = 0; i < area->pins + area->dom_pin; i++) {
		/* Pinned already: another pin cannot fail. */
		int ret = ifd_pages_pin(area->pages);

		SIOMMU_ASSERT(!ret);
		(void)ret;
	}
	rhs->dom_pin = area->dom_pin;
	area->last = at - 1;
	RB_INSERT(ifd_area_tree, &ioas->areas, rhs);
	WRITE_ONCE(ioas->nr_areas, ioas->nr_areas + 1);
	return 0;
}

int ifd_ioas_cut(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t iova,
		 uint64_t length)
{
	struct ifd_ioas *ioas = ioas_get(ictx, ioas_id);
	uint64_t end;
	int ret = 0;

	if (!ioas)
		return -ENOENT;
	pthread_mutex_lock(&ioas->lock);
	if (!ioas->huge_pages) {
		ret = area_split(ioas, iova);
		if (!ret && length && !__builtin_add_overflow(iova, length, &end))
			ret = area_split(ioas, end);
	}
	pthread_mutex_unlock(&ioas->lock);
	ifd_obj_put(ictx, &ioas->obj);
	return ret;
}

int ifd_ioas_pgsizes(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t *pgsizes)
{
	struct ifd_ioas *ioas = ioas_get(ictx, ioas_id);
	struct ifd_hwpt *hwpt;
	uint64_t sizes = ~(SIOMMU_PAGE_SIZE - 1);

	if (!ioas)
		return -ENOENT;
	pthread_mutex_lock(&ioas->lock);
	cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node)
		sizes &= hwpt->pgsizes;
	/* Never below the IOAS's alignment: maps are made in its units. */
	if (sizes < ifd_ioas_alignment(ioas))
		sizes = ifd_ioas_alignment(ioas);
	pthread_mutex_unlock(&ioas->lock);
	ifd_obj_put(ictx, &ioas->obj);
	*pgsizes = sizes;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct siommu_iova_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int SIOMMU_EXPORT siommu_ioas_iova_ranges(struct siommu_iommufd *ictx, uint32_t ioas_id,
					  struct siommu_iova_range *ranges, uint32_t *num,
					  uint64_t *alignment)
{
	struct siommu_iova_range *resv = NULL;
	struct ifd_ioas *ioas;
	uint32_t n = 0;
	uint64_t at = 0;
	bool done = false;
	unsigned int i;
	int ret = 0;

	if (!ictx || !num || (*num && !ranges))
		return -EINVAL;
	ioas = ioas_get(ictx, ioas_id);
	if (!ioas)
		return -ENOENT;
	pthread_mutex_lock(&ioas->lock);
	if (ioas->nr_resv) {
		resv = ifd_should_fail(ictx) ? NULL : malloc(ioas->nr_resv * sizeof(*resv));
		if (!resv) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		for (i = 0; i < ioas->nr_resv; i++)
			resv[i] = (struct siommu_iova_range){ ioas->resv[i].start,
							      ioas->resv[i].last };
		qsort(resv, ioas->nr_resv, sizeof(*resv), range_cmp);
	}
	/* The holes between the reserved ranges. */
	for (i = 0; i <= ioas->nr_resv && !done; i++) {
		uint64_t end = i < ioas->nr_resv ? resv[i].start : 0;

		if (i == ioas->nr_resv || end > at) {
			if (n < *num)
				ranges[n] = (struct siommu_iova_range){
					at, i < ioas->nr_resv ? end - 1 : UINT64_MAX };
			n++;
		}
		if (i < ioas->nr_resv) {
			if (resv[i].last == UINT64_MAX)
				done = true;
			else if (resv[i].last + 1 > at)
				at = resv[i].last + 1;
		}
	}
	if (alignment)
		*alignment = ifd_ioas_alignment(ioas);
	ret = n > *num ? -EMSGSIZE : 0;
	*num = n;
out_unlock:
	pthread_mutex_unlock(&ioas->lock);
	free(resv);
	ifd_obj_put(ictx, &ioas->obj);
	return ret;
}

int SIOMMU_EXPORT siommu_ioas_allow_iovas(struct siommu_iommufd *ictx, uint32_t ioas_id,
					  const struct siommu_iova_range *ranges,
					  uint32_t num)
{
	struct siommu_iova_range *allowed = NULL;
	struct ifd_ioas *ioas;
	unsigned int i;
	int ret = 0;

	if (!ictx || (num && !ranges))
		return -EINVAL;
	/* Linux's order: the IOAS, then the ranges. */
	ioas = ioas_get(ictx, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (num) {
		allowed = ifd_should_fail(ictx) ? NULL : malloc(num * sizeof(*allowed));
		if (!allowed) {
			ifd_obj_put(ictx, &ioas->obj);
			return -ENOMEM;
		}
		memcpy(allowed, ranges, num * sizeof(*allowed));
		qsort(allowed, num, sizeof(*allowed), range_cmp);
		for (i = 0; i < num; i++)
			if (allowed[i].start >= allowed[i].last ||
			    (i && allowed[i].start <= allowed[i - 1].last))
				ret = -EINVAL;
		if (ret) {
			free(allowed);
			ifd_obj_put(ictx, &ioas->obj);
			return ret;
		}
	}
	pthread_mutex_lock(&ioas->lock);
	for (i = 0; i < num; i++)
		if (resv_hit(ioas, allowed[i].start, allowed[i].last))
			ret = -EADDRINUSE;
	if (!ret) {
		free(ioas->allowed);
		ioas->allowed = allowed;
		ioas->nr_allowed = num;
		allowed = NULL;
	}
	pthread_mutex_unlock(&ioas->lock);
	free(allowed);
	ifd_obj_put(ictx, &ioas->obj);
	return ret;
}

/*
 * Reserve @n ranges for @owner: none may hold an area (or meet an
 * allowed range). All or nothing. Under ioas->lock.
 */
int ifd_ioas_add_resv(struct ifd_ioas *ioas, const struct iommu_resv_region *r,
		      unsigned int n, uint64_t owner)
{
	struct siommu_iommufd *ictx = ioas->ictx;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		if (area_first(ioas, r[i].start, r[i].last))
			return -EADDRINUSE;
		for (j = 0; j < ioas->nr_allowed; j++)
			if (ioas->allowed[j].start <= r[i].last &&
			    r[i].start <= ioas->allowed[j].last)
				return -EADDRINUSE;
	}
	if (ioas->nr_resv + n > ioas->cap_resv) {
		unsigned int cap = (ioas->nr_resv + n) * 2;
		struct ifd_resv *nr;

		nr = ifd_should_fail(ictx) ? NULL : realloc(ioas->resv, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		ioas->resv = nr;
		ioas->cap_resv = cap;
	}
	for (i = 0; i < n; i++)
		ioas->resv[ioas->nr_resv++] = (struct ifd_resv){ r[i].start, r[i].last, owner };
	return 0;
}

/* Drop every range @owner reserved. Never fails. Under ioas->lock. */
void ifd_ioas_del_resv(struct ifd_ioas *ioas, uint64_t owner)
{
	unsigned int i, j;

	for (i = 0, j = 0; i < ioas->nr_resv; i++)
		if (ioas->resv[i].owner != owner)
			ioas->resv[j++] = ioas->resv[i];
	ioas->nr_resv = j;
}

/*
 * A new HWPT's domain joins the IOAS: what lies outside its aperture is
 * reserved, every area must suit its alignment (-EADDRINUSE) and is
 * mapped into it; the first domain pins the storage of every area (the
 * errors of ifd_pages_pin()). All or nothing. Under ioas->lock.
 */
int ifd_ioas_add_hwpt(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt)
{
	uint64_t owner = ifd_resv_owner(hwpt->obj.id, 0);
	struct ifd_area *area, *done;
	struct iommu_resv_region r[2];
	unsigned int n = 0;
	int ret;

	RB_FOREACH(area, ifd_area_tree, &ioas->areas)
		if ((area->iova | (area->last + 1) | area_off(area)) & (hwpt_min_page(hwpt) - 1))
			return -EADDRINUSE;
	if (hwpt->aperture_start)
		r[n++] = (struct iommu_resv_region){ 0, hwpt->aperture_start - 1 };
	if (hwpt->aperture_last < UINT64_MAX)
		r[n++] = (struct iommu_resv_region){ hwpt->aperture_last + 1, UINT64_MAX };
	if (n) {
		ret = ifd_ioas_add_resv(ioas, r, n, owner);
		if (ret)
			return ret;
	}
	if (cds_list_empty(&ioas->hwpts)) {
		RB_FOREACH(area, ifd_area_tree, &ioas->areas) {
			ret = area_dom_pin(area);
			if (ret)
				goto out_unpin;
		}
	}
	RB_FOREACH(area, ifd_area_tree, &ioas->areas) {
		ret = hwpt_map_area(ioas, hwpt, area);
		if (ret)
			goto out_unmap;
	}
	cds_list_add_tail(&hwpt->ioas_node, &ioas->hwpts);
	return 0;

out_unmap:
	RB_FOREACH(done, ifd_area_tree, &ioas->areas) {
		if (done == area)
			break;
		hwpt_unmap_area(hwpt, done);
	}
	area = NULL;
out_unpin:
	/* The pins the first domain took, up to the one that failed. */
	if (cds_list_empty(&ioas->hwpts)) {
		RB_FOREACH(done, ifd_area_tree, &ioas->areas) {
			if (done == area)
				break;
			area_dom_unpin(done, true);
		}
	}
	ifd_ioas_del_resv(ioas, owner);
	return ret;
}

int ifd_ioas_for_each_piece(struct ifd_ioas *ioas, uint64_t iova, uint64_t last,
			    ifd_piece_fn fn, void *arg)
{
	struct ifd_area *area;
	uint64_t at = iova, end;
	int ret;

	for (area = area_first(ioas, iova, last); area && area->iova <= at;
	     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
		end = area->last < last ? area->last : last;
		ret = fn(arg, area, at, end - at + 1);
		if (ret)
			return ret;
		if (end == last)
			return 0;
		at = end + 1;
	}
	return -ENOENT;
}

int ifd_ioas_add_test_resv(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t start,
			   uint64_t last)
{
	const struct iommu_resv_region r = { start, last };
	struct ifd_ioas *ioas = ioas_get(ictx, ioas_id);
	int ret;

	if (!ioas)
		return -ENOENT;
	pthread_mutex_lock(&ioas->lock);
	/* Owner ID 0 is no object's: the reservation stays with the IOAS. */
	ret = ifd_ioas_add_resv(ioas, &r, 1, ifd_resv_owner(0, 0));
	pthread_mutex_unlock(&ioas->lock);
	ifd_obj_put(ictx, &ioas->obj);
	return ret;
}

bool ifd_ioas_covered(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct ifd_area *area;
	uint64_t at = iova;

	for (area = area_first(ioas, iova, last); area && area->iova <= at;
	     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
		if (area->last >= last)
			return true;
		at = area->last + 1;
	}
	return false;
}

int ifd_ioas_lock_range(struct ifd_ioas *ioas, uint64_t iova, uint64_t last, uint64_t *pa)
{
	struct ifd_area *area, *done, *first = area_first(ioas, iova, last);
	uint64_t at = iova, next_pa = 0;
	int ret = 0;

	if (!ifd_ioas_covered(ioas, iova, last))
		return -ENOENT;
	/* The unit reads the queue by address: its pages are pinned, one
	 * physically contiguous range. */
	for (area = first; area && area->iova <= last;
	     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
		ret = ifd_pages_pin(area->pages);
		if (ret)
			goto out_unpin;
	}
	for (area = first; area && area->iova <= last;
	     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
		uint64_t apa = ifd_area_pa(area, at);

		if (area != first && apa != next_pa) {
			ret = -EFAULT;
			area = NULL;
			goto out_unpin;
		}
		if (area == first)
			*pa = apa;
		next_pa = apa + (area->last - at + 1);
		at = area->last + 1;
		if (area->last >= last)
			break;
	}
	for (area = first; area && area->iova <= last;
	     area = RB_NEXT(ifd_area_tree, &ioas->areas, area))
		area->locks++;
	return 0;

out_unpin:
	for (done = first; done != area && done->iova <= last;
	     done = RB_NEXT(ifd_area_tree, &ioas->areas, done))
		ifd_pages_unpin(done->pages, true);
	return ret;
}

void ifd_ioas_unlock_range(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct ifd_area *area;

	for (area = area_first(ioas, iova, last); area && area->iova <= last;
	     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
		SIOMMU_ASSERT(area->locks);
		area->locks--;
		ifd_pages_unpin(area->pages, false);
	}
}

static void dirty_discard(void *arg, uint64_t iova, uint64_t length)
{
	(void)arg;
	(void)iova;
	(void)length;
}

void ifd_ioas_clear_dirty(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt)
{
	struct ifd_area *area;

	RB_FOREACH(area, ifd_area_tree, &ioas->areas)
		core_domain_read_and_clear_dirty(hwpt->dom, area->iova,
						 area->last - area->iova + 1, 0,
						 dirty_discard, NULL);
}

/*
 * A HWPT leaves: its domain is no longer kept in step (and is about to be
 * freed with its table, so its mappings are not undone); the last one
 * takes the domains' pins with it (@undo: its creation failed, see
 * ifd_pages_unpin()). Under ioas->lock.
 */
void ifd_ioas_del_hwpt(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt, bool undo)
{
	struct ifd_area *area;

	cds_list_del(&hwpt->ioas_node);
	ifd_ioas_del_resv(ioas, ifd_resv_owner(hwpt->obj.id, 0));
	/* The last domain gone, its pins go (accesses hold their own). */
	if (cds_list_empty(&ioas->hwpts))
		RB_FOREACH(area, ifd_area_tree, &ioas->areas)
			area_dom_unpin(area, undo);
}

/* Revoke @d's areas of @ioas: out of every domain, then each one that
 * accesses pin is unmapped for them, one at a time with no lock held. */
static void ioas_revoke_dmabuf(struct ifd_ioas *ioas, const struct ifd_dmabuf *d)
{
	uint64_t at = 0, iova = 0, last = 0;
	struct ifd_area *area;
	struct ifd_hwpt *hwpt;
	bool pinned;

	do {
		pinned = false;
		pthread_mutex_lock(&ioas->lock);
		for (area = area_first(ioas, at, UINT64_MAX); area;
		     area = RB_NEXT(ifd_area_tree, &ioas->areas, area)) {
			if (area->pages->dmabuf != d)
				continue;
			if (!area->revoked) {
				cds_list_for_each_entry(hwpt, &ioas->hwpts, ioas_node)
					hwpt_unmap_area(hwpt, area);
				area->revoked = true;
				area_dom_unpin(area, false);
			}
			if (area->pins) {
				pinned = true;
				iova = area->iova;
				last = area->last;
				break;
			}
		}
		pthread_mutex_unlock(&ioas->lock);
		if (pinned)
			ifd_access_notify_unmap(ioas, iova, last);
		at = last + 1;
	} while (pinned && last != UINT64_MAX);
}

void ifd_ioas_revoke_dmabuf(struct siommu_iommufd *ictx, const struct ifd_dmabuf *d)
{
	struct ifd_ioas *ioas;
	uint32_t id, slots;

	/* A map that saw the dma-buf live holds its IOAS's lock until its
	 * area is in: taking each lock after the revocation finds it. */
	pthread_mutex_lock(&ictx->lock);
	slots = ictx->nr_slots;
	pthread_mutex_unlock(&ictx->lock);
	for (id = 1; id <= slots; id++) {
		ioas = ioas_get(ictx, id);
		if (!ioas)
			continue;
		ioas_revoke_dmabuf(ioas, d);
		ifd_obj_put(ictx, &ioas->obj);
	}
}
