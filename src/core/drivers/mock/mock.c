/* SPDX-License-Identifier: MIT */
/*
 * The mock unit's driver (siommu/mock.h): the IOMMU of Linux's iommufd
 * selftest. No model sits behind it, so it keeps what a model would walk
 * in its own structures: a paging domain's table is a two-level radix of
 * mock-page entries, a nested domain holds its virtual IOTLB, a device its
 * cache. The behaviour users can observe (errnos, page size, aperture,
 * PASID width, hardware info, the replace failure at the reserved PASID)
 * is the selftest's.
 *
 * Locking: a paging domain's table is under its own mutex (maps, unmaps
 * and reads of one domain may come from several IOASes' threads only
 * through iommufd, which serialises them, but the test calls read it
 * from anywhere). IOTLB and cache entries are 32-bit atomics.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/iommufd.h>
#include <siommu/mock.h>

#include "core/core_internal.h"

#define MOCK_PAGE_SHIFT	11
#define MOCK_LEAF_BITS	10
#define MOCK_LEAF_SIZE	(1u << MOCK_LEAF_BITS)
/* Mock pages below the aperture's end: [0, 2^31) in 2^20 of them. */
#define MOCK_NR_LEAVES	((SIOMMU_MOCK_APERTURE_LAST + 1) >> (MOCK_PAGE_SHIFT + MOCK_LEAF_BITS))

/* An entry: the mock page's PA (2 KiB aligned) and these bits. */
#define ENT_VALID	(1ull << 0)
#define ENT_READ	(1ull << 1)
#define ENT_WRITE	(1ull << 2)
#define ENT_DIRTY	(1ull << 3)
/* One of the 512 entries of a huge leaf, whose dirty bit is its first
 * entry's. */
#define ENT_HUGE	(1ull << 4)
#define ENT_PA_MASK	(~(SIOMMU_MOCK_PAGE_SIZE - 1))

#define MOCK_PGSIZES	(SIOMMU_MOCK_PAGE_SIZE | SIOMMU_MOCK_HUGE_PAGE_SIZE)
/* Mock pages per huge leaf. */
#define HUGE_PAGES	(SIOMMU_MOCK_HUGE_PAGE_SIZE / SIOMMU_MOCK_PAGE_SIZE)

struct mock_dev {
	unsigned int flags;		/* SIOMMU_MOCK_DEV_* */
	uint32_t cache[SIOMMU_MOCK_NR_DEV_CACHE];	/* atomic */
	/* The reserved PASID's armed failure: set by an attach there,
	 * consumed by the next one, dropped by a detach. Under ctx->lock. */
	int pasid_resv_armed;
};

struct mock_table {
	pthread_mutex_t lock;
	uint64_t *leaves[MOCK_NR_LEAVES];	/* under lock */
	bool dirty_tracking;
	bool huge;			/* maps huge leaves */
};

struct mock_nested {
	uint32_t iotlb[SIOMMU_MOCK_NR_IOTLB];	/* atomic */
};

struct mock_viommu {
	uint32_t type;
};

static bool is_mock(const struct siommu_unit *unit)
{
	return unit && unit->ops == &mock_iommu_ops;
}

static struct mock_table *dom_table(struct siommu_domain *dom)
{
	return dom->drv_dom;
}

/* Unit ---------------------------------------------------------------------- */

static int unit_init(struct siommu_unit *unit, const void *cfg)
{
	(void)cfg;
	unit->drv = NULL;	/* no state of its own */
	return 0;
}

static void unit_fini(struct siommu_unit *unit)
{
	(void)unit;
}

static void unit_info(struct siommu_unit *unit, struct iommu_unit_info *info)
{
	(void)unit;
	info->pasid_bits = SIOMMU_MOCK_PASID_WIDTH;
	info->ias = 31;
	info->pri = true;
	/* A mapping is seen at once: nothing caches not-present entries. */
	info->caching_mode = false;
}

static void unit_stats(struct siommu_unit *unit, struct siommu_unit_stats *st)
{
	(void)unit;
	(void)st;
}

static void *unit_hw(struct siommu_unit *unit)
{
	(void)unit;
	return NULL;
}

/* Devices ------------------------------------------------------------------- */

static int dev_probe(struct siommu_device *dev)
{
	struct mock_dev *md;
	unsigned int i;

	if (mem_should_fail(dev->unit->ctx->mem))
		return -ENOMEM;
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	for (i = 0; i < SIOMMU_MOCK_NR_DEV_CACHE; i++)
		md->cache[i] = SIOMMU_MOCK_DEV_CACHE_DEFAULT;
	dev->drv = md;
	return 0;
}

static void dev_release(struct siommu_device *dev)
{
	free(dev->drv);
	dev->drv = NULL;
}

/* The page sizes of the domains made for mock device @dev. */
static uint64_t dev_pgsizes(const struct siommu_device *dev)
{
	const struct mock_dev *md = dev->drv;

	return md->flags & SIOMMU_MOCK_DEV_HUGE_IOVA ? MOCK_PGSIZES : SIOMMU_MOCK_PAGE_SIZE;
}

static void dev_hw_info(struct siommu_device *dev, struct siommu_device_info *info)
{
	info->ias = 31;
	info->pgsize_bitmap = dev_pgsizes(dev);
}

static size_t hw_info(struct siommu_device *dev, uint32_t *type, void *data, size_t len,
		      uint64_t *caps)
{
	const struct mock_dev *md = dev->drv;
	const struct siommu_mock_hw_info info = { .test_reg = SIOMMU_MOCK_TEST_REG };

	*type = SIOMMU_HW_INFO_TYPE_SELFTEST;
	*caps = md->flags & SIOMMU_MOCK_DEV_NO_DIRTY ? 0 : SIOMMU_HW_CAP_DIRTY_TRACKING;
	if (data)
		memcpy(data, &info, len < sizeof(info) ? len : sizeof(info));
	return sizeof(info);
}

/* Paging domains: the driver's own table ------------------------------------ */

static int domain_init(struct siommu_unit *unit, struct siommu_domain *dom,
		       const struct siommu_domain_cfg *cfg, struct siommu_pt_cfg *pc)
{
	struct mock_table *t;

	(void)pc;
	if (cfg->type != SIOMMU_DOMAIN_PAGING)
		return cfg->type == SIOMMU_DOMAIN_BLOCKED ? 0 : -EOPNOTSUPP;
	if (cfg->ias && cfg->ias != 31)
		return -EINVAL;
	/* Either stage: the mock nests under any of its paging domains. */
	dom->stage = cfg->stage == SIOMMU_STAGE_AUTO ? SIOMMU_STAGE_FIRST : cfg->stage;
	dom->ias = 31;
	/* Asked for pages of 4K at most (large pages off): mock pages only;
	 * made for a device: the device's sizes. */
	dom->pgsizes = !cfg->pgsize_bitmap ||
		       cfg->pgsize_bitmap >= SIOMMU_MOCK_HUGE_PAGE_SIZE ? MOCK_PGSIZES :
		       SIOMMU_MOCK_PAGE_SIZE;
	if (cfg->dev)
		dom->pgsizes &= dev_pgsizes(cfg->dev);
	dom->aperture_start = SIOMMU_MOCK_APERTURE_START;
	dom->aperture_last = SIOMMU_MOCK_APERTURE_LAST;
	if (mem_should_fail(unit->ctx->mem))
		return -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->dirty_tracking = cfg->flags & SIOMMU_DOMAIN_DIRTY_TRACKING;
	t->huge = dom->pgsizes & SIOMMU_MOCK_HUGE_PAGE_SIZE;
	dom->drv_dom = t;
	return 0;
}

static void domain_fini(struct siommu_domain *dom)
{
	struct mock_table *t;
	unsigned int i;

	if (dom->type == SIOMMU_DOMAIN_NESTED) {
		free(dom->drv_dom);
		return;
	}
	t = dom_table(dom);
	if (!t)
		return;
	for (i = 0; i < MOCK_NR_LEAVES; i++)
		free(t->leaves[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The entry of mock page @n, or NULL if its leaf is absent. Under t->lock. */
static uint64_t *ent(struct mock_table *t, uint64_t n)
{
	uint64_t *leaf = t->leaves[n >> MOCK_LEAF_BITS];

	return leaf ? &leaf[n & (MOCK_LEAF_SIZE - 1)] : NULL;
}

/* The range's mock pages [*first, *last], checked as pt checks. */
static int range_pages(uint64_t iova, uint64_t length, uint64_t *first, uint64_t *last)
{
	uint64_t end;

	if (!length || ((iova | length) & (SIOMMU_MOCK_PAGE_SIZE - 1)))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &end))
		return -EOVERFLOW;
	if (iova < SIOMMU_MOCK_APERTURE_START || end > SIOMMU_MOCK_APERTURE_LAST)
		return -ERANGE;
	*first = iova >> MOCK_PAGE_SHIFT;
	*last = end >> MOCK_PAGE_SHIFT;
	return 0;
}

static int domain_map(struct siommu_domain *dom, uint64_t iova, uint64_t pa, uint64_t length,
		      unsigned int prot)
{
	struct mock_table *t = dom_table(dom);
	uint64_t first, last, n, *e, bits, huge_end = 0;
	int ret;

	if (!(prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)) ||
	    (pa & (SIOMMU_MOCK_PAGE_SIZE - 1)))
		return -EINVAL;
	ret = range_pages(iova, length, &first, &last);
	if (ret)
		return ret;
	if (pa + length - 1 < pa)
		return -EOVERFLOW;
	bits = ENT_VALID | (prot & SIOMMU_PROT_READ ? ENT_READ : 0) |
	       (prot & SIOMMU_PROT_WRITE ? ENT_WRITE : 0);
	pthread_mutex_lock(&t->lock);
	/* Check and allocate first, so that a failure changes no entry
	 * (an empty leaf left behind maps nothing). */
	for (n = first; n <= last; n++) {
		uint64_t **leaf = &t->leaves[n >> MOCK_LEAF_BITS];

		if (!*leaf) {
			*leaf = mem_should_fail(dom->ctx->mem) ? NULL :
				calloc(MOCK_LEAF_SIZE, sizeof(**leaf));
			if (!*leaf) {
				ret = -ENOMEM;
				goto out_unlock;
			}
		}
		if (*ent(t, n) & ENT_VALID) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	for (n = first; n <= last; n++, pa += SIOMMU_MOCK_PAGE_SIZE) {
		/* A huge leaf where 1 MiB of IOVA and address line up. */
		if (t->huge && !(n % HUGE_PAGES) && last - n >= HUGE_PAGES - 1 &&
		    !(pa & (SIOMMU_MOCK_HUGE_PAGE_SIZE - 1)))
			huge_end = n + HUGE_PAGES;
		e = ent(t, n);
		*e = pa | bits | (n < huge_end ? ENT_HUGE : 0);
	}
out_unlock:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* The first entry of the huge leaf holding mock page @n. */
static uint64_t huge_head(uint64_t n)
{
	return n - n % HUGE_PAGES;
}

/*
 * Split the huge leaf holding mock page @n, if any, into small leaves,
 * each dirty if the huge leaf was (its head's bit). Under t->lock.
 */
static void huge_split(struct mock_table *t, uint64_t n)
{
	uint64_t head = huge_head(n), i, dirty, *e = ent(t, n);

	if (!e || !(*e & ENT_HUGE))
		return;
	dirty = *ent(t, head) & ENT_DIRTY;
	for (i = head; i < head + HUGE_PAGES; i++) {
		e = ent(t, i);
		if (*e & ENT_VALID)
			*e = (*e & ~ENT_HUGE) | dirty;
	}
}

static int domain_unmap(struct siommu_domain *dom, uint64_t iova, uint64_t length,
			uint64_t *unmapped)
{
	struct mock_table *t = dom_table(dom);
	uint64_t first, last, n, *e, done = 0;
	int ret;

	ret = range_pages(iova, length, &first, &last);
	if (ret == -ERANGE) {
		/* Nothing is mapped outside the aperture: clip to it. */
		uint64_t end = iova + length - 1;

		if (end < SIOMMU_MOCK_APERTURE_START || iova > SIOMMU_MOCK_APERTURE_LAST) {
			first = 1;
			last = 0;
		} else {
			first = (iova < SIOMMU_MOCK_APERTURE_START ?
				 SIOMMU_MOCK_APERTURE_START : iova) >> MOCK_PAGE_SHIFT;
			last = (end > SIOMMU_MOCK_APERTURE_LAST ?
				SIOMMU_MOCK_APERTURE_LAST : end) >> MOCK_PAGE_SHIFT;
		}
	} else if (ret) {
		return ret;
	}
	pthread_mutex_lock(&t->lock);
	/* Only the range's ends can cut a huge leaf. */
	if (first <= last) {
		if (first % HUGE_PAGES)
			huge_split(t, first);
		if ((last + 1) % HUGE_PAGES)
			huge_split(t, last);
	}
	for (n = first; n <= last; n++) {
		e = ent(t, n);
		if (!e) {
			/* A whole absent leaf: skip to the next one. */
			n |= MOCK_LEAF_SIZE - 1;
			continue;
		}
		if (*e & ENT_VALID) {
			*e = 0;
			done += SIOMMU_MOCK_PAGE_SIZE;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (unmapped)
		*unmapped = done;
	return 0;
}

static int domain_read_and_clear_dirty(struct siommu_domain *dom, uint64_t iova,
				       uint64_t length, unsigned int flags,
				       void (*fn)(void *arg, uint64_t iova, uint64_t length),
				       void *arg)
{
	struct mock_table *t = dom_table(dom);
	uint64_t first, last, n, end, *e, run = 0, run_len = 0;
	int ret;

	if (!t->dirty_tracking)
		return -EOPNOTSUPP;
	ret = range_pages(iova, length, &first, &last);
	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	for (n = first; n <= last; n = end + 1) {
		uint64_t *d;

		end = n;
		e = ent(t, n);
		if (!e || !(*e & ENT_VALID))
			continue;
		d = e;
		if (*e & ENT_HUGE) {
			/* The leaf's every mock page in the range, by its
			 * one bit. */
			d = ent(t, huge_head(n));
			end = huge_head(n) + HUGE_PAGES - 1;
			if (end > last)
				end = last;
		}
		if (!(*d & ENT_DIRTY))
			continue;
		if (!(flags & SIOMMU_PT_DIRTY_NO_CLEAR))
			*d &= ~ENT_DIRTY;
		if (run_len && run + run_len == n << MOCK_PAGE_SHIFT) {
			run_len += (end - n + 1) << MOCK_PAGE_SHIFT;
			continue;
		}
		if (run_len)
			fn(arg, run, run_len);
		run = n << MOCK_PAGE_SHIFT;
		run_len = (end - n + 1) << MOCK_PAGE_SHIFT;
	}
	if (run_len)
		fn(arg, run, run_len);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* Nested domains ------------------------------------------------------------ */

/* Made over a nest parent or from a vIOMMU (@viommu), as Linux's mock
 * allows both. */
static int domain_init_nested(struct siommu_unit *unit, struct siommu_domain *dom,
			      struct siommu_domain *parent, void *viommu, uint32_t data_type,
			      const void *data, size_t len)
{
	struct siommu_hwpt_selftest d;
	struct mock_nested *mn;
	unsigned int i;
	int ret;

	if (data_type != SIOMMU_HWPT_DATA_SELFTEST)
		return -EOPNOTSUPP;
	ret = iommu_user_data_get(data, len, &d, sizeof(d), sizeof(d));
	if (ret)
		return ret;
	if (mem_should_fail(unit->ctx->mem))
		return -ENOMEM;
	mn = calloc(1, sizeof(*mn));
	if (!mn)
		return -ENOMEM;
	for (i = 0; i < SIOMMU_MOCK_NR_IOTLB; i++)
		mn->iotlb[i] = d.iotlb;
	dom->stage = parent->stage;
	dom->ias = parent->ias;
	dom->drv_dom = mn;
	return 0;
}

/*
 * The selftest's invalidation entries, of the nested IOTLB and of the
 * device cache alike: @flags FLAG_ALL or 0 (else -EOPNOTSUPP), entry
 * @id below @n (else -EINVAL), checked in that order.
 */
static int inv_check(uint32_t flags, uint32_t id, unsigned int n)
{
	if (flags & ~SIOMMU_MOCK_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	return id < n ? 0 : -EINVAL;
}

static void inv_apply(uint32_t *e, unsigned int n, uint32_t flags, uint32_t id)
{
	unsigned int j;

	for (j = 0; j < n; j++)
		if ((flags & SIOMMU_MOCK_INVALIDATE_FLAG_ALL) || j == id)
			__atomic_store_n(&e[j], 0, __ATOMIC_RELAXED);
}

static int cache_invalidate_user(struct siommu_domain *dom, struct iommu_user_array *a)
{
	struct mock_nested *mn = dom->drv_dom;
	struct siommu_hwpt_invalidate_selftest inv;
	uint32_t i, n = a->entry_num;
	int ret = 0;

	if (a->type != SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		a->entry_num = 0;
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		ret = iommu_user_array_get(a, i, &inv, sizeof(inv), sizeof(inv));
		if (!ret)
			ret = inv_check(inv.flags, inv.iotlb_id, SIOMMU_MOCK_NR_IOTLB);
		if (ret)
			break;
		inv_apply(mn->iotlb, SIOMMU_MOCK_NR_IOTLB, inv.flags, inv.iotlb_id);
	}
	a->entry_num = i;
	return ret;
}

/* Attach -------------------------------------------------------------------- */

static int attach_prepare(struct siommu_device *dev, uint32_t pasid,
			  struct siommu_domain *dom, void *att)
{
	struct mock_dev *md = dev->drv;
	struct siommu_domain *paging = dom->parent ? dom->parent : dom;

	(void)att;
	if (dom->ops != &mock_iommu_ops)
		return -EINVAL;
	if (dom->type == SIOMMU_DOMAIN_PAGING || dom->type == SIOMMU_DOMAIN_NESTED) {
		/* A dirty-tracking table needs a device that reports writes. */
		if ((md->flags & SIOMMU_MOCK_DEV_NO_DIRTY) && dom_table(paging)->dirty_tracking)
			return -EINVAL;
	} else if (dom->type != SIOMMU_DOMAIN_BLOCKED) {
		return -EINVAL;
	}
	/* The selftest's rollback check: every second attach at the
	 * reserved PASID fails, as a driver out of memory would. */
	if (pasid == SIOMMU_MOCK_PASID_RESERVED) {
		if (md->pasid_resv_armed) {
			md->pasid_resv_armed = 0;
			return -ENOMEM;
		}
		md->pasid_resv_armed = 1;
	}
	return 0;
}

static void attach_commit(struct siommu_device *dev, uint32_t pasid,
			  struct siommu_domain *old, void *old_att,
			  struct siommu_domain *dom, void *att)
{
	struct mock_dev *md = dev->drv;

	(void)old;
	(void)old_att;
	(void)att;
	if (!dom && pasid == SIOMMU_MOCK_PASID_RESERVED)
		md->pasid_resv_armed = 0;
}

static void attach_abort(struct siommu_device *dev, uint32_t pasid,
			 struct siommu_domain *dom, void *att)
{
	(void)dev;
	(void)pasid;
	(void)dom;
	(void)att;
}

/* Nothing caches a mock translation: there is no walker. */
static void iotlb_sync(struct siommu_unit *unit, struct siommu_domain *dom,
		       const struct iommu_gather *g)
{
	(void)unit;
	(void)dom;
	(void)g;
}

static void flush_all(struct siommu_unit *unit, struct siommu_domain *dom)
{
	(void)unit;
	(void)dom;
}

/* vIOMMUs ------------------------------------------------------------------- */

static int viommu_init(struct siommu_unit *unit, uint32_t type, struct siommu_domain *parent,
		       void **out)
{
	struct mock_viommu *mv;

	(void)parent;
	if (type != SIOMMU_VIOMMU_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	if (mem_should_fail(unit->ctx->mem))
		return -ENOMEM;
	mv = calloc(1, sizeof(*mv));
	if (!mv)
		return -ENOMEM;
	mv->type = type;
	*out = mv;
	return 0;
}

static void viommu_fini(struct siommu_unit *unit, void *viommu)
{
	(void)unit;
	free(viommu);
}

static int viommu_invalidate(struct siommu_unit *unit, void *viommu,
			     struct iommu_user_array *a, iommu_vdev_lookup_fn *lookup,
			     void *arg)
{
	struct siommu_viommu_invalidate_selftest inv;
	uint32_t i, n = a->entry_num;
	struct siommu_device *dev;
	struct mock_dev *md;
	int ret = 0;

	(void)viommu;
	if (a->type != SIOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) {
		a->entry_num = 0;
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		ret = iommu_user_array_get(a, i, &inv, sizeof(inv), sizeof(inv));
		if (!ret)
			ret = inv_check(inv.flags, inv.cache_id, SIOMMU_MOCK_NR_DEV_CACHE);
		if (ret)
			break;
		dev = lookup(arg, inv.vdev_id);
		if (!dev || dev->unit != unit) {
			ret = -EINVAL;
			break;
		}
		md = dev->drv;
		inv_apply(md->cache, SIOMMU_MOCK_NR_DEV_CACHE, inv.flags, inv.cache_id);
	}
	a->entry_num = i;
	return ret;
}

/* HW queues: the mock's own type, in index order as Linux's mock has
 * them (the object model keeps the order and the range locked). The
 * queue is its guest memory's place; the mock does nothing with it. */
struct mock_hw_queue {
	uint64_t pa, length;
};

static int hw_queue_info(struct siommu_unit *unit, void *viommu, uint32_t type,
			 uint32_t *nr_index, bool *in_order)
{
	(void)unit;
	(void)viommu;
	if (type != SIOMMU_HW_QUEUE_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	*nr_index = SIOMMU_MOCK_NR_HW_QUEUE;
	*in_order = true;
	return 0;
}

static int hw_queue_init(struct siommu_unit *unit, void *viommu, uint32_t type,
			 uint32_t index, uint64_t pa, uint64_t length, void **out)
{
	struct mock_hw_queue *q;

	(void)viommu;
	(void)type;
	(void)index;
	if (mem_should_fail(unit->ctx->mem))
		return -ENOMEM;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->pa = pa;
	q->length = length;
	*out = q;
	return 0;
}

static void hw_queue_fini(struct siommu_unit *unit, void *viommu, void *queue)
{
	(void)unit;
	(void)viommu;
	free(queue);
}

const struct iommu_ops mock_iommu_ops = {
	.name = "mock",
	.user_pasid_table = true,
	.unit_init = unit_init,
	.unit_fini = unit_fini,
	.unit_info = unit_info,
	.unit_stats = unit_stats,
	.unit_hw = unit_hw,
	.dev_probe = dev_probe,
	.dev_release = dev_release,
	/* No reserved regions: no interrupt window; what lies outside the
	 * aperture is the domain's to reserve. */
	.dev_hw_info = dev_hw_info,
	.hw_info = hw_info,
	.domain_init = domain_init,
	.domain_fini = domain_fini,
	.domain_map = domain_map,
	.domain_unmap = domain_unmap,
	.domain_read_and_clear_dirty = domain_read_and_clear_dirty,
	.domain_init_nested = domain_init_nested,
	.cache_invalidate_user = cache_invalidate_user,
	.attach_prepare = attach_prepare,
	.attach_commit = attach_commit,
	.attach_abort = attach_abort,
	.iotlb_sync = iotlb_sync,
	.flush_all = flush_all,
	.viommu_init = viommu_init,
	.viommu_fini = viommu_fini,
	.viommu_invalidate = viommu_invalidate,
	.hw_queue_info = hw_queue_info,
	.hw_queue_init = hw_queue_init,
	.hw_queue_fini = hw_queue_fini,
	/* No page_response: a mock device issues its page requests for the
	 * test to see them queued, and hears no answer. */
};

/* The public calls ---------------------------------------------------------- */

int SIOMMU_EXPORT siommu_mock_device_add(struct siommu_unit *unit, uint16_t rid,
					 unsigned int flags, struct siommu_device **out)
{
	const struct siommu_device_cfg cfg = {
		.rid = rid, .flags = SIOMMU_DEV_PRI, .alias_rid = SIOMMU_NO_ALIAS,
		.pasid_bits = flags & SIOMMU_MOCK_DEV_PASID ? SIOMMU_MOCK_PASID_WIDTH : 0,
	};
	struct siommu_device *dev;
	int ret;

	if (!is_mock(unit) || !out ||
	    (flags & ~(SIOMMU_MOCK_DEV_NO_DIRTY | SIOMMU_MOCK_DEV_HUGE_IOVA |
		       SIOMMU_MOCK_DEV_PASID)))
		return -EINVAL;
	ret = siommu_device_add(unit, &cfg, &dev);
	if (ret)
		return ret;
	/* Nobody else knows the device yet: its flags are set before any
	 * attach or query reads them. */
	((struct mock_dev *)dev->drv)->flags = flags;
	*out = dev;
	return 0;
}

static struct mock_table *mock_paging(struct siommu_domain *dom)
{
	if (!dom || dom->ops != &mock_iommu_ops || dom->type != SIOMMU_DOMAIN_PAGING)
		return NULL;
	return dom_table(dom);
}

int SIOMMU_EXPORT siommu_mock_domain_iova_to_phys(struct siommu_domain *dom, uint64_t iova,
						  uint64_t *pa)
{
	struct mock_table *t = mock_paging(dom);
	uint64_t *e, v = 0;

	if (!t || !pa)
		return -EINVAL;
	if (iova < SIOMMU_MOCK_APERTURE_START || iova > SIOMMU_MOCK_APERTURE_LAST)
		return -ENOENT;
	pthread_mutex_lock(&t->lock);
	e = ent(t, iova >> MOCK_PAGE_SHIFT);
	if (e)
		v = *e;
	pthread_mutex_unlock(&t->lock);
	if (!(v & ENT_VALID))
		return -ENOENT;
	*pa = (v & ENT_PA_MASK) + (iova & (SIOMMU_MOCK_PAGE_SIZE - 1));
	return 0;
}

int SIOMMU_EXPORT siommu_mock_domain_set_dirty(struct siommu_domain *dom, uint64_t iova,
					       uint64_t length, uint64_t *nr)
{
	struct mock_table *t = mock_paging(dom);
	uint64_t n, first, last, *e, count = 0, end;

	if (!t || (length && __builtin_add_overflow(iova, length - 1, &end)))
		return -EINVAL;
	if (length && iova <= SIOMMU_MOCK_APERTURE_LAST && end >= SIOMMU_MOCK_APERTURE_START) {
		first = (iova < SIOMMU_MOCK_APERTURE_START ? SIOMMU_MOCK_APERTURE_START : iova) >>
			MOCK_PAGE_SHIFT;
		last = (end > SIOMMU_MOCK_APERTURE_LAST ? SIOMMU_MOCK_APERTURE_LAST : end) >>
		       MOCK_PAGE_SHIFT;
		pthread_mutex_lock(&t->lock);
		for (n = first; n <= last; n++) {
			e = ent(t, n);
			if (e && (*e & ENT_VALID)) {
				/* A huge leaf has one dirty bit. */
				*(*e & ENT_HUGE ? ent(t, huge_head(n)) : e) |= ENT_DIRTY;
				count++;
			}
		}
		pthread_mutex_unlock(&t->lock);
	}
	if (nr)
		*nr = count;
	return 0;
}

int SIOMMU_EXPORT siommu_mock_domain_iotlb(struct siommu_domain *dom, unsigned int idx,
					   uint32_t *val)
{
	struct mock_nested *mn;

	if (!dom || dom->ops != &mock_iommu_ops || dom->type != SIOMMU_DOMAIN_NESTED ||
	    idx >= SIOMMU_MOCK_NR_IOTLB || !val)
		return -EINVAL;
	mn = dom->drv_dom;
	*val = __atomic_load_n(&mn->iotlb[idx], __ATOMIC_RELAXED);
	return 0;
}

int SIOMMU_EXPORT siommu_mock_device_cache(struct siommu_device *dev, unsigned int idx,
					   uint32_t *val)
{
	struct mock_dev *md;

	if (!dev || !is_mock(dev->unit) || idx >= SIOMMU_MOCK_NR_DEV_CACHE || !val)
		return -EINVAL;
	md = dev->drv;
	*val = __atomic_load_n(&md->cache[idx], __ATOMIC_RELAXED);
	return 0;
}

int SIOMMU_EXPORT siommu_mock_page_request(struct siommu_device *dev, uint32_t pasid,
					   uint16_t grpid, bool read, bool write,
					   uint64_t addr)
{
	struct iommu_page_request req = {
		.grpid = grpid, .last = true, .read = read, .write = write, .addr = addr,
	};

	if (!dev || !is_mock(dev->unit) || !(read || write))
		return -EINVAL;
	if (pasid != SIOMMU_MOCK_NO_PASID) {
		/* Any PASID of the unit's width: one the device has not
		 * attached reaches a nested domain at its RID (the guest's
		 * PASID table), whatever the device's own width. */
		if (pasid >> SIOMMU_MOCK_PASID_WIDTH)
			return -EINVAL;
		req.pasid_present = true;
		req.pasid = pasid;
	}
	req.rid = dev->cfg.rid;
	core_report_page_requests(dev->unit, &req, 1);
	return 0;
}
