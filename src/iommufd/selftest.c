/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_TEST_CMD (siommu/iommufd_test.h): what Linux's CONFIG_IOMMUFD_TEST
 * adds to /dev/iommu, on a context in test mode. Mock devices sit behind
 * the context's mock unit (siommu/mock.h) and are bound and attached
 * through the object model as any device is; a SELFTEST object stands for
 * each. Accesses are in-process users of an IOAS's memory, reached by the
 * fd they were created with. The checks read the state they check where
 * it lives: a mock domain's own table, the page storage's pins, the
 * nested IOTLB and the device cache.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/mock.h>

#include "iommufd/iommufd_internal.h"

_Static_assert(sizeof(struct iommu_test_cmd) == 72, "iommu_test_cmd layout");
_Static_assert(offsetof(struct iommu_test_cmd, last) == IOMMUFD_TEST_CMD_MIN_SIZE - 4,
	       "iommu_test_cmd layout");
_Static_assert(MOCK_PAGE_SIZE == SIOMMU_MOCK_PAGE_SIZE &&
	       MOCK_APERTURE_START == SIOMMU_MOCK_APERTURE_START &&
	       MOCK_APERTURE_LAST == SIOMMU_MOCK_APERTURE_LAST &&
	       IOMMU_TEST_PASID_RESERVED == SIOMMU_MOCK_PASID_RESERVED &&
	       MOCK_FLAGS_DEVICE_NO_DIRTY == SIOMMU_MOCK_DEV_NO_DIRTY &&
	       MOCK_FLAGS_DEVICE_PASID == SIOMMU_MOCK_DEV_PASID &&
	       MOCK_NESTED_DOMAIN_IOTLB_NUM == SIOMMU_MOCK_NR_IOTLB &&
	       MOCK_DEV_CACHE_NUM == SIOMMU_MOCK_NR_DEV_CACHE,
	       "the test ABI names the mock unit's values");

/* Linux's test buffers stop at 16 MiB (a guard against huge allocations). */
#define TEST_MAX_LENGTH (16ull << 20)

static void *uptr(uint64_t v)
{
	return (void *)(uintptr_t)v;
}

/* ---- mock devices ---- */

static struct ifd_selftest *selftest_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_SELFTEST);

	return obj ? container_of(obj, struct ifd_selftest, obj) : NULL;
}

/* A mock device at the next free RID of the unit (contexts share it). */
static int mock_dev_add(struct siommu_iommufd *ictx, unsigned int flags,
			struct siommu_device **out)
{
	unsigned int tries;
	int ret = -EEXIST;

	for (tries = 0; tries <= UINT16_MAX && ret == -EEXIST; tries++) {
		uint16_t rid = (uint16_t)__atomic_fetch_add(&ictx->test_next_rid, 1,
							    __ATOMIC_RELAXED);

		ret = siommu_mock_device_add(ictx->test_unit, rid, flags, out);
	}
	return ret == -EEXIST ? -ENOSPC : ret;
}

/*
 * MOCK_DOMAIN(_FLAGS): a mock device, bound and attached to @pt_id. IDs
 * are taken in Linux's order: the SELFTEST object, the DEVICE, then an
 * automatic HWPT.
 */
static int mock_domain(struct siommu_iommufd *ictx, uint32_t pt_id, uint32_t dev_flags,
		       struct iommu_test_cmd *c)
{
	struct ifd_selftest *st;
	int ret;

	if (dev_flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID))
		return -EINVAL;
	st = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	ret = ifd_obj_reserve(ictx, &st->obj, SIOMMU_IOMMUFD_OBJ_SELFTEST);
	if (ret)
		goto out_free;
	ret = mock_dev_add(ictx, dev_flags, &st->dev);
	if (ret)
		goto out_abort;
	ret = siommu_iommufd_bind(ictx, st->dev, &st->idev_id);
	if (ret)
		goto out_remove;
	ret = siommu_iommufd_attach(ictx, st->idev_id, SIOMMU_IOMMUFD_NO_PASID, &pt_id);
	if (ret)
		goto out_remove;	/* removing the device unbinds it */
	c->mock_domain.out_stdev_id = st->obj.id;
	c->mock_domain.out_hwpt_id = pt_id;
	c->mock_domain.out_idev_id = st->idev_id;
	ifd_obj_publish(ictx, &st->obj);
	return 0;

out_remove:
	siommu_device_remove(st->dev);
out_abort:
	ifd_obj_abort(ictx, &st->obj);
out_free:
	free(st);
	return ret;
}

void ifd_selftest_destroy(struct ifd_selftest *st)
{
	/* The owner's release (the binding) detaches and unbinds first. */
	siommu_device_remove(st->dev);
	free(st);
}

/* The DEVICE behind stdev @id, for the attach ops. */
static int stdev_idev(struct siommu_iommufd *ictx, uint32_t id, uint32_t *idev_id)
{
	struct ifd_selftest *st = selftest_get(ictx, id);

	if (!st)
		return -ENOENT;
	*idev_id = st->idev_id;
	ifd_obj_put(ictx, &st->obj);
	return 0;
}

static struct ifd_device *idev_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_DEVICE);

	return obj ? container_of(obj, struct ifd_device, obj) : NULL;
}

static struct ifd_hwpt *hwpt_get(struct siommu_iommufd *ictx, uint32_t id,
				 enum siommu_iommufd_obj_type type)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, type);

	return obj ? container_of(obj, struct ifd_hwpt, obj) : NULL;
}

/* ---- checks of a mock domain ---- */

/* MD_CHECK_MAP: every mock page of the range maps the caller's byte. */
static int md_check_map(struct siommu_iommufd *ictx, uint32_t hwpt_id, uint64_t iova,
			uint64_t length, uint64_t uva)
{
	struct ifd_hwpt *hwpt;
	uint64_t off, pa, end;
	int ret = 0;

	if (((iova | length | uva) & (MOCK_PAGE_SIZE - 1)) ||
	    __builtin_add_overflow(iova, length, &end) ||
	    __builtin_add_overflow(uva, length, &end))
		return -EINVAL;
	hwpt = hwpt_get(ictx, hwpt_id, SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	for (off = 0; !ret && off < length; off += MOCK_PAGE_SIZE) {
		ret = siommu_mock_domain_iova_to_phys(hwpt->dom, iova + off, &pa);
		if (!ret && siommu_mem_host(ictx->mem, pa, MOCK_PAGE_SIZE) !=
			    uptr(uva + off))
			ret = -EINVAL;
		else if (ret)
			ret = -EINVAL;	/* not a mock domain, or not mapped */
	}
	ifd_obj_put(ictx, &hwpt->obj);
	return ret;
}

/* The host pages [first, last] one page store of an IOAS pins. */
struct store_span {
	const struct ifd_pages *pages;
	uintptr_t first, last;
};

struct spans {
	struct store_span *s;
	size_t n, cap;
};

static int spans_add(struct spans *sp, const struct ifd_pages *pages)
{
	uintptr_t host = (uintptr_t)pages->reg->host + (uintptr_t)(pages->pa - pages->reg->pa);
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (sp->s[i].pages == pages)
			return 0;
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? 2 * sp->cap : 16;
		struct store_span *s = realloc(sp->s, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		sp->s = s;
		sp->cap = cap;
	}
	sp->s[sp->n++] = (struct store_span){
		pages, host / SIOMMU_PAGE_SIZE, (host + pages->length - 1) / SIOMMU_PAGE_SIZE,
	};
	return 0;
}

/*
 * MD_CHECK_REFS: each host page of [uva, uva + length) is pinned @refs
 * times by the context: once per page store covering it, whatever the
 * number of areas, IOASes, domains and accesses sharing the store (pin
 * once, as Linux's iopt_pages). Page stores pin at map, with or without a
 * domain. -EIO on a mismatch, -EFAULT for memory the process lacks.
 */
static int md_check_refs(struct siommu_iommufd *ictx, uint64_t uva, uint64_t length,
			 uint32_t refs)
{
	struct spans sp = { 0 };
	uint64_t page, end;
	uint32_t id, nr_slots;
	unsigned char vec;
	int ret = 0;

	if (((uva | length) & (SIOMMU_PAGE_SIZE - 1)) || __builtin_add_overflow(uva, length, &end))
		return -EINVAL;
	pthread_mutex_lock(&ictx->lock);
	nr_slots = ictx->nr_slots;
	pthread_mutex_unlock(&ictx->lock);
	for (id = 1; !ret && id <= nr_slots; id++) {
		struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_IOAS);
		struct ifd_ioas *ioas;
		struct ifd_area *area;

		if (!obj)
			continue;
		ioas = container_of(obj, struct ifd_ioas, obj);
		pthread_mutex_lock(&ioas->lock);
		RB_FOREACH(area, ifd_area_tree, &ioas->areas)
			if (!ret)
				ret = spans_add(&sp, area->pages);
		pthread_mutex_unlock(&ioas->lock);
		ifd_obj_put(ictx, obj);
	}
	for (page = uva / SIOMMU_PAGE_SIZE; !ret && page < end / SIOMMU_PAGE_SIZE; page++) {
		uint32_t n = 0;
		size_t i;

		if (mincore(uptr(page * SIOMMU_PAGE_SIZE), SIOMMU_PAGE_SIZE, &vec)) {
			ret = -EFAULT;
			break;
		}
		for (i = 0; i < sp.n; i++)
			n += sp.s[i].first <= page && page <= sp.s[i].last;
		if (n != refs)
			ret = -EIO;
	}
	free(sp.s);
	return ret;
}

/* DIRTY: mark the mock pages of each page_size block whose bit is set. */
static int mock_dirty(struct siommu_iommufd *ictx, uint32_t hwpt_id, struct iommu_test_cmd *c)
{
	uint64_t iova = c->dirty.iova, length = c->dirty.length, psz = c->dirty.page_size;
	const uint8_t *bitmap = uptr(c->dirty.uptr);
	uint64_t i, nbits, count = 0, last;
	struct ifd_hwpt *hwpt;
	int ret = 0;

	if (!psz || !length || iova % psz || length % psz || !bitmap)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	hwpt = hwpt_get(ictx, hwpt_id, SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	pthread_mutex_lock(&hwpt->ioas->lock);
	/* Only a domain whose tracking is on marks pages. */
	if (!hwpt->dirty_on || hwpt->unit != ictx->test_unit) {
		ret = -EINVAL;
		goto out_unlock;
	}
	nbits = length / psz;
	for (i = 0; !ret && i < nbits; i++) {
		if (!(bitmap[i / 8] >> (i % 8) & 1))
			continue;
		ret = siommu_mock_domain_set_dirty(hwpt->dom, iova + i * psz, psz, NULL);
		count++;
	}
	c->dirty.out_nr_dirty = count;
out_unlock:
	pthread_mutex_unlock(&hwpt->ioas->lock);
	ifd_obj_put(ictx, &hwpt->obj);
	return ret;
}

static int md_check_iotlb(struct siommu_iommufd *ictx, uint32_t hwpt_id, uint32_t idx,
			  uint32_t want)
{
	struct ifd_hwpt *hwpt = hwpt_get(ictx, hwpt_id, SIOMMU_IOMMUFD_OBJ_HWPT_NESTED);
	uint32_t val;
	int ret;

	if (!hwpt)
		return -ENOENT;
	ret = siommu_mock_domain_iotlb(hwpt->dom, idx, &val);
	if (!ret && val != want)
		ret = -EINVAL;
	ifd_obj_put(ictx, &hwpt->obj);
	return ret;
}

static int dev_check_cache(struct siommu_iommufd *ictx, uint32_t idev_id, uint32_t idx,
			   uint32_t want)
{
	struct ifd_device *idev = idev_get(ictx, idev_id);
	uint32_t val;
	int ret;

	if (!idev)
		return -ENOENT;
	ret = siommu_mock_device_cache(idev->dev, idx, &val);
	if (!ret && val != want)
		ret = -EINVAL;
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}

/* TRIGGER_IOPF: the device issues a page request; PASID 0 is none. */
static int trigger_iopf(struct siommu_iommufd *ictx, const struct iommu_test_cmd *c)
{
	struct ifd_device *idev = idev_get(ictx, c->trigger_iopf.dev_id);
	uint32_t perm = c->trigger_iopf.perm;
	int ret;

	if (!idev)
		return -ENOENT;
	/* A request reads or writes; execute and privileged requests read. */
	ret = siommu_mock_page_request(idev->dev, c->trigger_iopf.pasid ? c->trigger_iopf.pasid :
					     SIOMMU_MOCK_NO_PASID,
				       (uint16_t)c->trigger_iopf.grpid,
				       !(perm & IOMMU_PGFAULT_PERM_WRITE) ||
				       (perm & IOMMU_PGFAULT_PERM_READ),
				       perm & IOMMU_PGFAULT_PERM_WRITE, c->trigger_iopf.addr);
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}

/*
 * TRIGGER_VEVENT: the device's vIOMMU posts an event of the selftest's
 * type, carrying the vDEVICE's virtual ID, to its queue of that type:
 * -ENOENT for a device with no vDEVICE, -EOPNOTSUPP when the vIOMMU has
 * no such queue.
 */
static int trigger_vevent(struct siommu_iommufd *ictx, uint32_t idev_id)
{
	struct ifd_device *idev = idev_get(ictx, idev_id);
	struct siommu_viommu_event_selftest ev;
	int ret = -ENOENT;

	if (!idev)
		return -ENOENT;
	/* attach_lock keeps the vDEVICE; the vIOMMU's event lock is taken
	 * after it, as a queue's allocation does. */
	pthread_mutex_lock(&ictx->attach_lock);
	if (idev->vdev) {
		ev.virt_id = (uint32_t)idev->vdev->virt_id;
		ret = ifd_viommu_report_event(idev->vdev->viommu, SIOMMU_VEVENTQ_TYPE_SELFTEST,
					      &ev, sizeof(ev));
	}
	pthread_mutex_unlock(&ictx->attach_lock);
	ifd_obj_put(ictx, &idev->obj);
	return ret;
}

static int pasid_check_hwpt(struct siommu_iommufd *ictx, uint32_t stdev, uint32_t pasid,
			    uint32_t hwpt_id)
{
	uint32_t idev_id;
	int ret = stdev_idev(ictx, stdev, &idev_id);

	if (ret)
		return ret;
	if (hwpt_id && siommu_iommufd_obj_type(ictx, hwpt_id) != SIOMMU_IOMMUFD_OBJ_HWPT_PAGING &&
	    siommu_iommufd_obj_type(ictx, hwpt_id) != SIOMMU_IOMMUFD_OBJ_HWPT_NESTED)
		return -ENOENT;
	return siommu_iommufd_attached_hwpt(ictx, idev_id, pasid) == hwpt_id ? 0 : -EINVAL;
}

/* ---- accesses ---- */

static struct ifd_access *access_get(struct siommu_iommufd *ictx, uint32_t fd)
{
	struct ifd_access *acc = NULL;
	uint32_t i;

	pthread_mutex_lock(&ictx->lock);
	for (i = 0; i < ictx->nr_slots && !acc; i++) {
		struct ifd_obj *obj = ictx->objs[i];

		if (obj && obj->type == SIOMMU_IOMMUFD_OBJ_ACCESS && obj->published &&
		    !obj->removing && container_of(obj, struct ifd_access, obj)->fd == (int)fd) {
			acc = container_of(obj, struct ifd_access, obj);
			obj->users++;
			obj->shortterm++;
		}
	}
	pthread_mutex_unlock(&ictx->lock);
	return acc;
}

static void item_free(struct ifd_access_item *item)
{
	unsigned int i;

	for (i = 0; i < item->nr_pages; i++)
		ifd_pages_put(item->pages[i]);
	free(item->pages);
	free(item);
}

/* Drop the items meeting [iova, last]. Under acc->ioas->lock. */
static void access_drop(struct ifd_access *acc, uint64_t iova, uint64_t last)
{
	struct ifd_access_item *item, *tmp;

	pthread_mutex_lock(&acc->lock);
	cds_list_for_each_entry_safe(item, tmp, &acc->items, node) {
		if (item->iova <= last && iova <= item->last) {
			cds_list_del(&item->node);
			item_free(item);
		}
	}
	pthread_mutex_unlock(&acc->lock);
}

void ifd_access_unmap(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct ifd_access *acc;

	cds_list_for_each_entry(acc, &ioas->accesses, ioas_node)
		access_drop(acc, iova, last);
}

static int create_access(struct siommu_iommufd *ictx, uint32_t ioas_id, uint32_t flags,
			 uint32_t *out_fd)
{
	struct ifd_access *acc;
	struct ifd_obj *obj;
	struct ifd_ioas *ioas;
	int ret;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	acc = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	acc->ictx = ictx;
	acc->needs_pin_pages = flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	pthread_mutex_init(&acc->op_lock, NULL);
	pthread_mutex_init(&acc->lock, NULL);
	CDS_INIT_LIST_HEAD(&acc->items);
	ret = ifd_obj_reserve(ictx, &acc->obj, SIOMMU_IOMMUFD_OBJ_ACCESS);
	if (ret)
		goto out_free;
	obj = ifd_obj_get(ictx, ioas_id, SIOMMU_IOMMUFD_OBJ_IOAS);
	if (!obj) {
		ret = -ENOENT;
		goto out_abort;
	}
	ioas = container_of(obj, struct ifd_ioas, obj);
	errno = ENOMEM;
	acc->fd = ifd_should_fail(ictx) ? -1 : eventfd(0, EFD_CLOEXEC);
	if (acc->fd < 0) {
		ret = -errno;
		ifd_obj_put(ictx, obj);
		goto out_abort;
	}
	/* The access uses its IOAS, and itself until its fd is closed. */
	ifd_obj_use(ictx, obj);
	ifd_obj_put(ictx, obj);
	acc->ioas = ioas;
	pthread_mutex_lock(&ioas->lock);
	cds_list_add_tail(&acc->ioas_node, &ioas->accesses);
	pthread_mutex_unlock(&ioas->lock);
	acc->obj.users = 1;
	*out_fd = (uint32_t)acc->fd;
	ifd_obj_publish(ictx, &acc->obj);
	return 0;

out_abort:
	ifd_obj_abort(ictx, &acc->obj);
out_free:
	pthread_mutex_destroy(&acc->lock);
	pthread_mutex_destroy(&acc->op_lock);
	free(acc);
	return ret;
}

void ifd_access_destroy(struct ifd_access *acc)
{
	struct siommu_iommufd *ictx = acc->ictx;
	struct ifd_ioas *ioas = acc->ioas;

	pthread_mutex_lock(&ioas->lock);
	access_drop(acc, 0, UINT64_MAX);
	cds_list_del(&acc->ioas_node);
	pthread_mutex_unlock(&ioas->lock);
	ifd_obj_unuse(ictx, &ioas->obj);
	pthread_mutex_destroy(&acc->lock);
	pthread_mutex_destroy(&acc->op_lock);
	free(acc);
}

int SIOMMU_EXPORT siommu_iommufd_access_close(struct siommu_iommufd *ictx, int fd)
{
	struct ifd_access *acc = ictx && fd >= 0 ? access_get(ictx, (uint32_t)fd) : NULL;

	if (!acc)
		return -ENOENT;
	/* The fd's own reference goes with the short-term one. */
	pthread_mutex_lock(&ictx->lock);
	acc->obj.users--;
	pthread_mutex_unlock(&ictx->lock);
	if (ifd_obj_remove(ictx, &acc->obj, true, true)) {
		/* Nothing else takes a long-lived reference on an access. */
		SIOMMU_ASSERT(0);
		return -EBUSY;
	}
	ifd_access_destroy(acc);
	return 0;
}

void ifd_access_close_all(struct siommu_iommufd *ictx)
{
	uint32_t i;
	int fd;

	for (i = 0; i < ictx->nr_slots; i++) {
		struct ifd_obj *obj = ictx->objs[i];

		if (!obj || obj->type != SIOMMU_IOMMUFD_OBJ_ACCESS)
			continue;
		fd = container_of(obj, struct ifd_access, obj)->fd;
		siommu_iommufd_access_close(ictx, fd);
	}
}

/* Pieces of an access's pin: their storage, their bytes where expected. */
struct pin_walk {
	struct siommu_iommufd *ictx;
	struct ifd_access_item *item;
	uint64_t iova;			/* of the range's first byte */
	uintptr_t uva;			/* 0: no check */
	bool write;
};

static void *area_host(struct siommu_iommufd *ictx, const struct ifd_area *area,
		       uint64_t iova, uint64_t len)
{
	return siommu_mem_host(ictx->mem, area->pages->pa + area->pgoff + (iova - area->iova),
			       len);
}

static int pin_piece(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct pin_walk *w = arg;
	struct ifd_access_item *item = w->item;
	uint64_t off;

	if (w->write && !(area->prot & SIOMMU_PROT_WRITE))
		return -EPERM;
	for (off = 0; w->uva && off < len; off += MOCK_PAGE_SIZE - ((iova + off) % MOCK_PAGE_SIZE))
		if (area_host(w->ictx, area, iova + off, 1) !=
		    uptr(w->uva + (iova + off - w->iova)))
			return -EINVAL;
	item->pages[item->nr_pages++] = area->pages;
	ifd_pages_get(area->pages);
	return 0;
}

static int count_piece(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	(void)area;
	(void)iova;
	(void)len;
	(*(unsigned int *)arg)++;
	return 0;
}

/* ACCESS_PAGES: pin [iova, iova + length) through the access. */
static int access_pages(struct ifd_access *acc, struct iommu_test_cmd *c)
{
	struct siommu_iommufd *ictx = acc->ictx;
	uint64_t iova = c->access_pages.iova, length = c->access_pages.length, last;
	struct pin_walk w = { ictx, NULL, iova, (uintptr_t)c->access_pages.uptr,
			      c->access_pages.flags & MOCK_FLAGS_ACCESS_WRITE };
	struct ifd_access_item *item;
	unsigned int n = 0;
	int ret;

	if (length > TEST_MAX_LENGTH)
		return -ENOMEM;
	if (c->access_pages.flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	if (!acc->needs_pin_pages)
		return -EOPNOTSUPP;
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	item = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*item));
	if (!item)
		return -ENOMEM;
	pthread_mutex_lock(&acc->ioas->lock);
	ret = ifd_ioas_for_each_piece(acc->ioas, iova, last, count_piece, &n);
	if (ret)
		goto out_unlock;
	item->pages = ifd_should_fail(ictx) ? NULL : calloc(n, sizeof(*item->pages));
	if (!item->pages) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	w.item = item;
	ret = ifd_ioas_for_each_piece(acc->ioas, iova, last, pin_piece, &w);
	if (ret)
		goto out_unlock;
	item->iova = iova;
	item->last = last;
	pthread_mutex_lock(&acc->lock);
	item->id = acc->next_item_id++;
	cds_list_add_tail(&item->node, &acc->items);
	pthread_mutex_unlock(&acc->lock);
	c->access_pages.out_access_pages_id = item->id;
	pthread_mutex_unlock(&acc->ioas->lock);
	return 0;

out_unlock:
	pthread_mutex_unlock(&acc->ioas->lock);
	item_free(item);
	return ret;
}

static int destroy_access_pages(struct ifd_access *acc, uint32_t item_id)
{
	struct ifd_access_item *item, *found = NULL;

	pthread_mutex_lock(&acc->lock);
	cds_list_for_each_entry(item, &acc->items, node) {
		if (item->id == item_id) {
			found = item;
			cds_list_del(&item->node);
			break;
		}
	}
	pthread_mutex_unlock(&acc->lock);
	if (!found)
		return -ENOENT;
	item_free(found);
	return 0;
}

/* ACCESS_RW: copy between the IOAS's memory and the caller's buffer. */
struct rw_walk {
	struct siommu_iommufd *ictx;
	uint8_t *buf;
	bool write, slow;
};

static int rw_piece(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct rw_walk *w = arg;
	uint64_t pa = area->pages->pa + area->pgoff + (iova - area->iova);
	int ret = 0;

	if (w->write && !(area->prot & SIOMMU_PROT_WRITE))
		return -EPERM;
	if (w->slow) {
		/* Through the context's physical memory, as a device would. */
		ret = w->write ? siommu_mem_write(w->ictx->mem, pa, w->buf, len) :
				 siommu_mem_read(w->ictx->mem, pa, w->buf, len);
	} else if (w->write) {
		memcpy(area_host(w->ictx, area, iova, len), w->buf, len);
	} else {
		memcpy(w->buf, area_host(w->ictx, area, iova, len), len);
	}
	w->buf += len;
	return ret;
}

static int access_rw(struct ifd_access *acc, const struct iommu_test_cmd *c)
{
	uint64_t iova = c->access_rw.iova, length = c->access_rw.length, last;
	struct rw_walk w = { acc->ictx, uptr(c->access_rw.uptr),
			     c->access_rw.flags & MOCK_ACCESS_RW_WRITE,
			     c->access_rw.flags & MOCK_ACCESS_RW_SLOW_PATH };
	int ret;

	if (c->access_rw.flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return -EOPNOTSUPP;
	if (length > TEST_MAX_LENGTH)
		return -ENOMEM;
	if (!length)
		return -EINVAL;
	if (!w.buf)
		return -EFAULT;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	pthread_mutex_lock(&acc->ioas->lock);
	/* Check the whole range first: a refused copy copies nothing. */
	ret = ifd_ioas_for_each_piece(acc->ioas, iova, last, count_piece, &(unsigned int){ 0 });
	if (!ret)
		ret = ifd_ioas_for_each_piece(acc->ioas, iova, last, rw_piece, &w);
	pthread_mutex_unlock(&acc->ioas->lock);
	return ret;
}

/* ACCESS_REPLACE_IOAS: what the access pinned is let go, then it moves. */
static int access_replace_ioas(struct ifd_access *acc, uint32_t ioas_id)
{
	struct siommu_iommufd *ictx = acc->ictx;
	struct ifd_obj *obj = ifd_obj_get(ictx, ioas_id, SIOMMU_IOMMUFD_OBJ_IOAS);
	struct ifd_ioas *old = acc->ioas, *ioas;

	if (!obj)
		return -ENOENT;
	ioas = container_of(obj, struct ifd_ioas, obj);
	if (ioas != old) {
		ifd_obj_use(ictx, obj);
		pthread_mutex_lock(&old->lock);
		access_drop(acc, 0, UINT64_MAX);
		cds_list_del(&acc->ioas_node);
		pthread_mutex_unlock(&old->lock);
		pthread_mutex_lock(&ioas->lock);
		cds_list_add_tail(&acc->ioas_node, &ioas->accesses);
		acc->ioas = ioas;
		pthread_mutex_unlock(&ioas->lock);
		ifd_obj_unuse(ictx, &old->obj);
	}
	ifd_obj_put(ictx, obj);
	return 0;
}

/* The ops that act on an access, found by its fd in @id. */
static int access_op(struct siommu_iommufd *ictx, struct iommu_test_cmd *c, bool *respond)
{
	struct ifd_access *acc = access_get(ictx, c->id);
	int ret;

	/* Linux: an fd that is no access file is -EBADFD. */
	if (!acc)
		return -EBADFD;
	/* One op of an access at a time: each reads which IOAS it is on. */
	pthread_mutex_lock(&acc->op_lock);
	switch (c->op) {
	case IOMMU_TEST_OP_ACCESS_PAGES:
		ret = access_pages(acc, c);
		*respond = !ret;
		break;
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		ret = destroy_access_pages(acc, c->destroy_access_pages.access_pages_id);
		break;
	case IOMMU_TEST_OP_ACCESS_RW:
		ret = access_rw(acc, c);
		break;
	default:
		ret = access_replace_ioas(acc, c->access_replace_ioas.ioas_id);
		break;
	}
	pthread_mutex_unlock(&acc->op_lock);
	ifd_obj_put(ictx, &acc->obj);
	return ret;
}

/*
 * The mock vIOMMU's driver data, as Linux's mock driver takes it: read as
 * a user struct (through out_data at least, zeroes past ours), in_data
 * echoed and written to the first word of a page reported for mmap.
 */
int ifd_test_viommu_data(struct siommu_iommufd *ictx, struct ifd_viommu *v, void *data,
			 uint32_t len)
{
	struct iommu_viommu_selftest d = { 0 };
	const unsigned char *tail = data;
	uint32_t i;
	int ret;

	if (!data)
		return -EFAULT;
	if (len < offsetof(struct iommu_viommu_selftest, out_data) + sizeof(d.out_data))
		return -EINVAL;
	for (i = sizeof(d); i < len; i++)
		if (tail[i])
			return -E2BIG;
	memcpy(&d, data, len < sizeof(d) ? len : sizeof(d));
	ret = ifd_mmap_alloc(ictx, &v->obj, SIOMMU_PAGE_SIZE, &v->mmap_offset);
	if (ret)
		return ret;
	ret = ifd_mmap_write(ictx, v->mmap_offset, &d.in_data, sizeof(d.in_data));
	if (ret) {
		ifd_mmap_free(ictx, v->mmap_offset);
		v->mmap_offset = 0;
		return ret;
	}
	d.out_data = d.in_data;
	d.out_mmap_offset = v->mmap_offset;
	d.out_mmap_length = SIOMMU_PAGE_SIZE;
	memcpy(data, &d, len < sizeof(d) ? len : sizeof(d));
	return 0;
}

int ifd_test_cmd(struct siommu_iommufd *ictx, void *cmd, bool *respond)
{
	struct iommu_test_cmd *c = cmd;
	uint32_t idev_id, pt_id;
	uint64_t last;
	int ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	switch (c->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		if (!c->add_reserved.length)
			return -EINVAL;
		if (__builtin_add_overflow(c->add_reserved.start, c->add_reserved.length - 1,
					   &last))
			return -EOVERFLOW;
		return ifd_ioas_add_test_resv(ictx, c->id, c->add_reserved.start, last);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		ret = mock_domain(ictx, c->id, c->op == IOMMU_TEST_OP_MOCK_DOMAIN ? 0 :
					       c->mock_domain_flags.dev_flags, c);
		*respond = !ret;
		return ret;
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		ret = stdev_idev(ictx, c->id, &idev_id);
		if (ret)
			return ret;
		pt_id = c->mock_domain_replace.pt_id;
		ret = siommu_iommufd_replace(ictx, idev_id, SIOMMU_IOMMUFD_NO_PASID, &pt_id);
		c->mock_domain_replace.pt_id = pt_id;
		*respond = !ret;
		return ret;
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return md_check_map(ictx, c->id, c->check_map.iova, c->check_map.length,
				    c->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return md_check_refs(ictx, c->check_refs.uptr, c->check_refs.length,
				     c->check_refs.refs);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		ret = create_access(ictx, c->id, c->create_access.flags,
				    &c->create_access.out_access_fd);
		*respond = !ret;
		return ret;
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_RW:
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return access_op(ictx, c, respond);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* Linux bounds the temporary memory its pinning batches use,
		 * to exercise small batches; page storage here is registered
		 * whole, with no batch to bound, so any limit behaves alike. */
		return 0;
	case IOMMU_TEST_OP_DIRTY:
		ret = mock_dirty(ictx, c->id, c);
		*respond = !ret;
		return ret;
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return md_check_iotlb(ictx, c->id, c->check_iotlb.id, c->check_iotlb.iotlb);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return trigger_iopf(ictx, c);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return dev_check_cache(ictx, c->id, c->check_dev_cache.id,
				       c->check_dev_cache.cache);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return trigger_vevent(ictx, c->trigger_vevent.dev_id);
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
		ret = stdev_idev(ictx, c->id, &idev_id);
		if (ret)
			return ret;
		pt_id = c->pasid_attach.pt_id;
		ret = (c->op == IOMMU_TEST_OP_PASID_ATTACH ? siommu_iommufd_attach :
			siommu_iommufd_replace)(ictx, idev_id, c->pasid_attach.pasid, &pt_id);
		return ret;
	case IOMMU_TEST_OP_PASID_DETACH:
		ret = stdev_idev(ictx, c->id, &idev_id);
		return ret ? ret : siommu_iommufd_detach(ictx, idev_id, c->pasid_detach.pasid);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return pasid_check_hwpt(ictx, c->id, c->pasid_check.pasid, c->pasid_check.hwpt_id);
	default:
		return -EOPNOTSUPP;
	}
}
