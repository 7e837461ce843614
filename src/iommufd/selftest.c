/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_TEST_CMD (siommu/iommufd_test.h): what Linux's CONFIG_IOMMUFD_TEST
 * adds to /dev/iommu, on a context in test mode. Mock devices sit behind
 * the context's mock unit (siommu/mock.h) and are bound and attached
 * through the object model as any device is; a SELFTEST object stands for
 * each. Accesses are the C API's (siommu_iommufd_access_create()), reached
 * by the fd they were created with, their pins released by their unmap
 * callback as a driver's are. The checks read the state they check where
 * it lives: a mock domain's own table, the page storage's pins, the
 * nested IOTLB and the device cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
	       MOCK_FLAGS_DEVICE_HUGE_IOVA == SIOMMU_MOCK_DEV_HUGE_IOVA &&
	       MOCK_FLAGS_DEVICE_PASID == SIOMMU_MOCK_DEV_PASID &&
	       MOCK_NESTED_DOMAIN_IOTLB_NUM == SIOMMU_MOCK_NR_IOTLB &&
	       MOCK_DEV_CACHE_NUM == SIOMMU_MOCK_NR_DEV_CACHE,
	       "the test ABI names the mock unit's values");

/* Linux's test buffers stop at 16 MiB (a guard against huge allocations). */

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

	if (dev_flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
			  MOCK_FLAGS_DEVICE_PASID))
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

/* The host pages [first, last] one pinned page store of an IOAS holds. */
struct store_span {
	const struct ifd_pages *pages;
	uintptr_t first, last;
};

struct spans {
	struct store_span *s;
	size_t n, cap;
};

static int spans_add(struct spans *sp, struct ifd_pages *pages)
{
	uintptr_t host = pages->host;
	size_t i;

	if (!ifd_pages_pinned(pages))
		return 0;
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
 * times by the context: once per pinned page store covering it, whatever
 * the number of areas, IOASes, domains and accesses sharing the store
 * (pin once, as Linux's iopt_pages). A store is pinned while a domain, an
 * access or a hardware queue uses it, not merely mapped. -EIO on a
 * mismatch, -EFAULT for memory the process lacks.
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
	fifo_lock(&ictx->attach_lock);
	if (idev->vdev) {
		ev.virt_id = (uint32_t)idev->vdev->virt_id;
		ret = ifd_viommu_report_event(idev->vdev->viommu, SIOMMU_VEVENTQ_TYPE_SELFTEST,
					      &ev, sizeof(ev));
	}
	fifo_unlock(&ictx->attach_lock);
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
	/* Nothing is attached at the C API's stand-in for the RID. */
	return (pasid == SIOMMU_IOMMUFD_NO_PASID ? 0 :
		siommu_iommufd_attached_hwpt(ictx, idev_id, pasid)) == hwpt_id ? 0 : -EINVAL;
}

/* ---- accesses ---- */

/*
 * A test access: an access of the C API (siommu_iommufd_access_create())
 * reached by the fd it was created with, as Linux's selftest wraps an
 * iommufd_access in a file. Its pins are items by ID; its unmap callback
 * releases the items meeting the range, as a driver would. @lock (a leaf
 * of the test's, taken by the callback) protects the items and is held
 * across a pin and its recording, so that an unmap cannot pass between.
 */
struct test_access {
	struct siommu_iommufd *ictx;
	uint32_t id;			/* the access */
	int fd;
	pthread_mutex_t lock;
	struct cds_list_head items;
	uint32_t next_item_id;
};

struct test_access_item {
	struct cds_list_head node;
	uint32_t id;
	uint64_t iova, length;
};

static void test_access_unmap(void *data, uint64_t iova, uint64_t length);

static const struct siommu_iommufd_access_ops test_access_ops = {
	.unmap = test_access_unmap,
};

static void test_access_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct test_access *ta = data;
	struct test_access_item *item, *tmp;
	uint64_t last = iova + (length - 1);

	pthread_mutex_lock(&ta->lock);
	cds_list_for_each_entry_safe(item, tmp, &ta->items, node) {
		if (item->iova <= last && iova <= item->iova + (item->length - 1)) {
			siommu_iommufd_access_unpin_pages(ta->ictx, ta->id, item->iova,
							  item->length);
			cds_list_del(&item->node);
			free(item);
		}
	}
	pthread_mutex_unlock(&ta->lock);
}

/* The test access of fd @fd, with a short-term reference on its access
 * (*acc). */
static struct test_access *test_access_get(struct siommu_iommufd *ictx, int fd,
					   struct ifd_access **out)
{
	struct test_access *ta = NULL;
	uint32_t i;

	pthread_mutex_lock(&ictx->lock);
	for (i = 0; i < ictx->nr_slots && !ta; i++) {
		struct ifd_obj *obj = ictx->objs[i];
		struct ifd_access *acc;

		if (!obj || obj->type != SIOMMU_IOMMUFD_OBJ_ACCESS || !obj->published ||
		    obj->removing)
			continue;
		acc = container_of(obj, struct ifd_access, obj);
		if (acc->ops == &test_access_ops && ((struct test_access *)acc->data)->fd == fd) {
			ta = acc->data;
			*out = acc;
			obj->users++;
			obj->shortterm++;
		}
	}
	pthread_mutex_unlock(&ictx->lock);
	return ta;
}

static void test_access_free(struct test_access *ta)
{
	struct test_access_item *item, *tmp;

	cds_list_for_each_entry_safe(item, tmp, &ta->items, node)
		free(item);
	pthread_mutex_destroy(&ta->lock);
	free(ta);
}

static int create_access(struct siommu_iommufd *ictx, uint32_t ioas_id, uint32_t flags,
			 uint32_t *out_fd)
{
	struct test_access *ta;
	int ret;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	ta = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*ta));
	if (!ta)
		return -ENOMEM;
	ta->ictx = ictx;
	pthread_mutex_init(&ta->lock, NULL);
	CDS_INIT_LIST_HEAD(&ta->items);
	errno = ENOMEM;
	ta->fd = ifd_should_fail(ictx) ? -1 : eventfd(0, EFD_CLOEXEC);
	if (ta->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = siommu_iommufd_access_create(ictx, ioas_id, &test_access_ops, ta,
					   flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES ?
					   SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES : 0, &ta->id);
	if (ret) {
		close(ta->fd);
		goto out_free;
	}
	*out_fd = (uint32_t)ta->fd;
	return 0;

out_free:
	test_access_free(ta);
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_access_close(struct siommu_iommufd *ictx, int fd)
{
	struct ifd_access *acc;
	struct test_access *ta = ictx && fd >= 0 ? test_access_get(ictx, fd, &acc) : NULL;
	int ret;

	if (!ta)
		return -ENOENT;
	/* The access lets go of its items through the callback. */
	ret = ifd_access_destroy_held(ictx, acc);
	if (!ret)
		test_access_free(ta);
	return ret;
}

void ifd_test_access_close_all(struct siommu_iommufd *ictx)
{
	uint32_t i;

	for (i = 0; i < ictx->nr_slots; i++) {
		struct ifd_obj *obj = ictx->objs[i];
		struct ifd_access *acc;

		if (!obj || obj->type != SIOMMU_IOMMUFD_OBJ_ACCESS)
			continue;
		acc = container_of(obj, struct ifd_access, obj);
		if (acc->ops == &test_access_ops)
			siommu_iommufd_access_close(ictx,
						    ((struct test_access *)acc->data)->fd);
	}
}

/* ACCESS_PAGES: pin [iova, iova + length) through the access and check
 * that its pages are the caller's at @uptr (0: no check). */
static int access_pages(struct test_access *ta, bool pins, struct iommu_test_cmd *c)
{
	struct siommu_iommufd *ictx = ta->ictx;
	uint64_t iova = c->access_pages.iova, length = c->access_pages.length;
	uintptr_t want = (uintptr_t)c->access_pages.uptr;
	struct test_access_item *item;
	void **pages = NULL;
	uint64_t i, npages;
	int ret;

	if (length > IFD_TEST_MAX_LENGTH)
		return -ENOMEM;
	if (c->access_pages.flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	if (!pins)
		return -EOPNOTSUPP;
	npages = (length + SIOMMU_PAGE_SIZE - 1) / SIOMMU_PAGE_SIZE;
	item = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*item));
	if (npages)
		pages = item && !ifd_should_fail(ictx) ? calloc(npages, sizeof(*pages)) : NULL;
	if (!item || (npages && !pages)) {
		free(item);
		return -ENOMEM;
	}
	pthread_mutex_lock(&ta->lock);
	ret = siommu_iommufd_access_pin_pages(ictx, ta->id, iova, length, pages,
					      c->access_pages.flags & MOCK_FLAGS_ACCESS_WRITE ?
					      SIOMMU_IOMMUFD_ACCESS_RW_WRITE : 0);
	if (ret)
		goto out_unlock;
	for (i = 0; want && i < npages; i++) {
		if (pages[i] != uptr(want + i * SIOMMU_PAGE_SIZE)) {
			/* Pinned, but not the caller's pages: let go again. */
			siommu_iommufd_access_unpin_pages(ictx, ta->id, iova, length);
			ret = -EINVAL;
			goto out_unlock;
		}
	}
	item->iova = iova;
	item->length = length;
	item->id = ta->next_item_id++;
	cds_list_add_tail(&item->node, &ta->items);
	c->access_pages.out_access_pages_id = item->id;
	item = NULL;
out_unlock:
	pthread_mutex_unlock(&ta->lock);
	free(item);
	free(pages);
	return ret;
}

static int destroy_access_pages(struct test_access *ta, uint32_t item_id)
{
	struct test_access_item *item, *found = NULL;

	pthread_mutex_lock(&ta->lock);
	cds_list_for_each_entry(item, &ta->items, node) {
		if (item->id == item_id) {
			found = item;
			cds_list_del(&item->node);
			siommu_iommufd_access_unpin_pages(ta->ictx, ta->id, item->iova,
							  item->length);
			break;
		}
	}
	pthread_mutex_unlock(&ta->lock);
	free(found);
	return found ? 0 : -ENOENT;
}

/* ACCESS_RW: copy between the IOAS's memory and the caller's buffer. */
static int access_rw(struct test_access *ta, const struct iommu_test_cmd *c)
{
	unsigned int flags = (c->access_rw.flags & MOCK_ACCESS_RW_WRITE ?
			      SIOMMU_IOMMUFD_ACCESS_RW_WRITE : 0) |
			     (c->access_rw.flags & MOCK_ACCESS_RW_SLOW_PATH ?
			      SIOMMU_IOMMUFD_ACCESS_RW_PHYS : 0);

	if (c->access_rw.flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return -EOPNOTSUPP;
	if (c->access_rw.length > IFD_TEST_MAX_LENGTH)
		return -ENOMEM;
	if (!c->access_rw.length)
		return -EINVAL;
	/* Linux: a bad user buffer. */
	if (!c->access_rw.uptr)
		return -EFAULT;
	return siommu_iommufd_access_rw(ta->ictx, ta->id, c->access_rw.iova,
					uptr(c->access_rw.uptr), c->access_rw.length, flags);
}

/* The ops that act on an access, found by its fd in @id. */
static int access_op(struct siommu_iommufd *ictx, struct iommu_test_cmd *c, bool *respond)
{
	struct ifd_access *acc;
	struct test_access *ta = test_access_get(ictx, (int)c->id, &acc);
	int ret;

	/* Linux: an fd that is no access file is -EBADFD. */
	if (!ta)
		return -EBADFD;
	switch (c->op) {
	case IOMMU_TEST_OP_ACCESS_PAGES:
		ret = access_pages(ta, acc->needs_pin_pages, c);
		*respond = !ret;
		break;
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		ret = destroy_access_pages(ta, c->destroy_access_pages.access_pages_id);
		break;
	case IOMMU_TEST_OP_ACCESS_RW:
		ret = access_rw(ta, c);
		break;
	default:
		ret = siommu_iommufd_access_replace(ictx, ta->id,
						    c->access_replace_ioas.ioas_id);
		break;
	}
	ifd_obj_put(ictx, &acc->obj);
	return ret;
}

/* ---- test dma-bufs ---- */

struct ifd_dmabuf *ifd_dmabuf_find(struct siommu_iommufd *ictx, const struct stat *st,
				   bool *revoked)
{
	struct ifd_dmabuf *d, *found = NULL;

	pthread_mutex_lock(&ictx->lock);
	cds_list_for_each_entry(d, &ictx->dmabufs, node)
		if (d->dev == st->st_dev && d->ino == st->st_ino)
			found = d;
	*revoked = found && found->revoked;
	pthread_mutex_unlock(&ictx->lock);
	return found;
}

void ifd_dmabufs_fini(struct siommu_iommufd *ictx)
{
	struct ifd_dmabuf *d, *tmp;

	cds_list_for_each_entry_safe(d, tmp, &ictx->dmabufs, node) {
		cds_list_del(&d->node);
		close(d->fd);
		free(d);
	}
}

/* The dma-buf of this context behind @fd: 0, -EBADF, -EINVAL. */
static int dmabuf_from_fd(struct siommu_iommufd *ictx, int fd, struct ifd_dmabuf **out)
{
	struct stat st;
	bool revoked;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	*out = ifd_dmabuf_find(ictx, &st, &revoked);
	return *out ? 0 : -EINVAL;
}

/* DMABUF_GET: a memfd of @length bytes; its new fd is the result. */
static int dmabuf_get(struct siommu_iommufd *ictx, uint32_t length, uint32_t open_flags)
{
	struct ifd_dmabuf *d;
	struct stat st;
	int fd, ret;

	if (!length || length > IFD_TEST_MAX_LENGTH || (open_flags & ~(uint32_t)O_CLOEXEC))
		return -EINVAL;
	d = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	fd = ifd_should_fail(ictx) ? -1 : memfd_create("siommu-dmabuf", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (ftruncate(fd, length) || fstat(fd, &st)) {
		ret = -ENOMEM;
		goto out_close;
	}
	d->fd = fd;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->length = length;
	/* The caller's fd, a second one on the same file. */
	if (ifd_should_fail(ictx)) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = fcntl(fd, (open_flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (ret < 0) {
		ret = -EMFILE;
		goto out_close;
	}
	pthread_mutex_lock(&ictx->lock);
	cds_list_add(&d->node, &ictx->dmabufs);
	pthread_mutex_unlock(&ictx->lock);
	return ret;

out_close:
	close(fd);
out_free:
	free(d);
	return ret;
}

/* DMABUF_REVOKE: revoked (non-zero) or restored for new maps. */
static int dmabuf_revoke(struct siommu_iommufd *ictx, int fd, uint32_t revoked)
{
	struct ifd_dmabuf *d;
	int ret;

	ret = dmabuf_from_fd(ictx, fd, &d);
	if (ret)
		return ret;
	pthread_mutex_lock(&ictx->lock);
	d->revoked = revoked;
	pthread_mutex_unlock(&ictx->lock);
	if (revoked)
		ifd_ioas_revoke_dmabuf(ictx, d);
	return 0;
}

struct dmabuf_walk {
	struct ifd_hwpt *hwpt;
	const struct ifd_dmabuf *d;
	uint64_t iova, offset;		/* the range's first byte, both ways */
};

/* Each mock page of the piece: the area maps the dma-buf at the byte the
 * range says, and the domain translates to the area's page. */
static int dmabuf_piece(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct dmabuf_walk *w = arg;
	uint64_t off, at, pa;

	if (area->revoked || area->pages->dmabuf != w->d)
		return -EINVAL;
	for (off = 0; off < len; off += MOCK_PAGE_SIZE) {
		at = area->pgoff + (iova + off - area->iova);
		if (area->pages->file_start + at != w->offset + (iova + off - w->iova))
			return -EINVAL;
		if (siommu_mock_domain_iova_to_phys(w->hwpt->dom, iova + off, &pa) ||
		    pa != area->pages->pa + at)
			return -EINVAL;
	}
	return 0;
}

/* MD_CHECK_DMABUF: mock domain @hwpt_id maps the dma-buf's range. */
static int md_check_dmabuf(struct siommu_iommufd *ictx, uint32_t hwpt_id,
			   const struct iommu_test_cmd *c)
{
	struct dmabuf_walk w = { .iova = c->check_dmabuf.iova, .offset = c->check_dmabuf.offset };
	uint64_t length = c->check_dmabuf.length, end;
	struct ifd_dmabuf *d;
	int ret;

	if (c->check_dmabuf.__reserved)
		return -EOPNOTSUPP;
	ret = dmabuf_from_fd(ictx, c->check_dmabuf.dmabuf_fd, &d);
	if (ret)
		return ret;
	if (!length || ((w.iova | length | w.offset) & (MOCK_PAGE_SIZE - 1)) ||
	    __builtin_add_overflow(w.iova, length - 1, &end) ||
	    __builtin_add_overflow(w.offset, length, &end) || end > d->length)
		return -EINVAL;
	w.d = d;
	w.hwpt = hwpt_get(ictx, hwpt_id, SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	if (!w.hwpt)
		return -ENOENT;
	pthread_mutex_lock(&w.hwpt->ioas->lock);
	ret = ifd_ioas_for_each_piece(w.hwpt->ioas, w.iova, w.iova + length - 1, dmabuf_piece,
				      &w);
	pthread_mutex_unlock(&w.hwpt->ioas->lock);
	ifd_obj_put(ictx, &w.hwpt->obj);
	return ret == -ENOENT ? -EINVAL : ret;
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

void ifd_test_cmd_abort(struct siommu_iommufd *ictx, const void *cmd)
{
	const struct iommu_test_cmd *c = cmd;
	struct test_access *ta;
	struct ifd_access *acc;
	int fd;

	switch (c->op) {
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		/* The mock device goes, with its binding and attachment. */
		siommu_iommufd_obj_destroy(ictx, c->mock_domain.out_stdev_id);
		break;
	case IOMMU_TEST_OP_CREATE_ACCESS:
		fd = (int)c->create_access.out_access_fd;
		siommu_iommufd_access_close(ictx, fd);
		close(fd);
		break;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		ta = test_access_get(ictx, (int)c->id, &acc);
		if (ta) {
			destroy_access_pages(ta, c->access_pages.out_access_pages_id);
			ifd_obj_put(ictx, &acc->obj);
		}
		break;
	default:
		break;
	}
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
		/* The C API's stand-in for the RID is a PASID beyond every
		 * device's to the ABI. */
		if (c->pasid_attach.pasid == SIOMMU_IOMMUFD_NO_PASID)
			return -EINVAL;
		pt_id = c->pasid_attach.pt_id;
		ret = (c->op == IOMMU_TEST_OP_PASID_ATTACH ? siommu_iommufd_attach :
			siommu_iommufd_replace)(ictx, idev_id, c->pasid_attach.pasid, &pt_id);
		/* Linux's iommu core says -EINVAL for a PASID beyond the
		 * device's. */
		return ret == -ERANGE ? -EINVAL : ret;
	case IOMMU_TEST_OP_PASID_DETACH:
		ret = stdev_idev(ictx, c->id, &idev_id);
		if (ret || c->pasid_detach.pasid == SIOMMU_IOMMUFD_NO_PASID)
			return ret;	/* nothing is attached there */
		return siommu_iommufd_detach(ictx, idev_id, c->pasid_detach.pasid);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return pasid_check_hwpt(ictx, c->id, c->pasid_check.pasid, c->pasid_check.hwpt_id);
	case IOMMU_TEST_OP_DMABUF_GET:
		return dmabuf_get(ictx, c->dmabuf_get.length, c->dmabuf_get.open_flags);
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return dmabuf_revoke(ictx, c->dmabuf_revoke.dmabuf_fd, c->dmabuf_revoke.revoked);
	case IOMMU_TEST_OP_MD_CHECK_DMABUF:
		return md_check_dmabuf(ictx, c->id, c);
	default:
		return -EOPNOTSUPP;
	}
}
