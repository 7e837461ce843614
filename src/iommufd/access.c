/* SPDX-License-Identifier: MIT */
/*
 * Accesses (siommu/iommufd.h): users of an IOAS's memory with no domain,
 * as a VMM's emulated device is (Linux: iommufd_access). They copy through
 * the IOAS or pin ranges of it; an unmap over a pin asks the access's
 * callback to let go (the unmap side is in ioas.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommufd/iommufd_internal.h"

struct ifd_access *ifd_access_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_ACCESS);

	return obj ? container_of(obj, struct ifd_access, obj) : NULL;
}

/* Join @ioas's list of accesses, using it. */
static void access_join(struct ifd_access *acc, struct ifd_ioas *ioas)
{
	ifd_obj_use(acc->ictx, &ioas->obj);
	pthread_mutex_lock(&ioas->lock);
	cds_list_add_tail(&acc->ioas_node, &ioas->accesses);
	pthread_mutex_unlock(&ioas->lock);
}

static void access_leave(struct ifd_access *acc, struct ifd_ioas *ioas)
{
	pthread_mutex_lock(&ioas->lock);
	cds_list_del(&acc->ioas_node);
	pthread_mutex_unlock(&ioas->lock);
	ifd_obj_unuse(acc->ictx, &ioas->obj);
}

int SIOMMU_EXPORT siommu_iommufd_access_create(struct siommu_iommufd *ictx, uint32_t ioas_id,
					       const struct siommu_iommufd_access_ops *ops,
					       void *data, unsigned int flags, uint32_t *out_id)
{
	struct ifd_access *acc;
	struct ifd_obj *obj;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	if (flags & ~SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	if ((flags & SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES) && (!ops || !ops->unmap))
		return -EINVAL;
	acc = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	ret = ifd_obj_reserve(ictx, &acc->obj, SIOMMU_IOMMUFD_OBJ_ACCESS);
	if (ret) {
		free(acc);
		return ret;
	}
	obj = ifd_obj_get(ictx, ioas_id, SIOMMU_IOMMUFD_OBJ_IOAS);
	if (!obj) {
		ifd_obj_abort(ictx, &acc->obj);
		free(acc);
		return -ENOENT;
	}
	acc->ictx = ictx;
	acc->ops = ops;
	acc->data = data;
	acc->needs_pin_pages = flags & SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES;
	pthread_mutex_init(&acc->ioas_lock, NULL);
	CDS_INIT_LIST_HEAD(&acc->pins);
	acc->ioas = acc->ioas_unpin = container_of(obj, struct ifd_ioas, obj);
	access_join(acc, acc->ioas);
	ifd_obj_put(ictx, obj);
	/* The creator's reference, until siommu_iommufd_access_destroy(). */
	acc->obj.users = 1;
	*out_id = acc->obj.id;
	ifd_obj_publish(ictx, &acc->obj);
	return 0;
}

/* Drop @pin from its areas' counts, and its pins of their storage.
 * Under ioas->lock. */
static int pin_area_put(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	(void)arg;
	(void)iova;
	(void)len;
	SIOMMU_ASSERT(area->pins);
	area->pins--;
	ifd_pages_unpin(area->pages, false);
	return 0;
}

static int piece_pin(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	uint64_t *done = arg;
	int ret = ifd_pages_pin(area->pages);

	(void)iova;
	if (!ret)
		*done += len;
	return ret;
}

/* @arg: whether a failed call gives its pins back (ifd_pages_unpin()). */
static int piece_unpin(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	(void)iova;
	(void)len;
	ifd_pages_unpin(area->pages, arg != NULL);
	return 0;
}

/* Pin the storage of every piece of [iova, last], which areas cover:
 * all or none (the errors of ifd_pages_pin()). Under ioas->lock. */
static int range_pin(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	uint64_t done = 0;
	int ret = ifd_ioas_for_each_piece(ioas, iova, last, piece_pin, &done);

	if (ret && done)
		ifd_ioas_for_each_piece(ioas, iova, iova + done - 1, piece_unpin, ioas);
	return ret;
}

static void range_unpin(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	ifd_ioas_for_each_piece(ioas, iova, last, piece_unpin, NULL);
}

static void pin_free(struct ifd_ioas *ioas, struct ifd_access_pin *pin)
{
	int ret = ifd_ioas_for_each_piece(ioas, pin->iova, pin->last, pin_area_put, NULL);

	/* A pin's areas stay until it goes. */
	SIOMMU_ASSERT(!ret);
	(void)ret;
	cds_list_del(&pin->node);
	free(pin);
	__atomic_fetch_sub(&ioas->ictx->access_pins, 1, __ATOMIC_RELAXED);
}

static bool access_pins_in(const struct ifd_access *acc, uint64_t iova, uint64_t last)
{
	const struct ifd_access_pin *pin;

	cds_list_for_each_entry(pin, &acc->pins, node)
		if (pin->iova <= last && iova <= pin->last)
			return true;
	return false;
}

/*
 * Ask the access's callback to let go of [iova, last] of its IOAS (the
 * caller holds a short-term reference and no lock), and whether pins
 * remain there.
 */
static bool access_ask_unmap(struct ifd_access *acc, struct ifd_ioas *ioas, uint64_t iova,
			     uint64_t last)
{
	bool left;

	/* Everything is (0, UINT64_MAX), as unmap-all. */
	if (acc->ops && acc->ops->unmap)
		acc->ops->unmap(acc->data, iova,
				!iova && last == UINT64_MAX ? UINT64_MAX : last - iova + 1);
	pthread_mutex_lock(&ioas->lock);
	left = access_pins_in(acc, iova, last);
	pthread_mutex_unlock(&ioas->lock);
	return left;
}

unsigned int ifd_access_notify_unmap(struct ifd_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct siommu_iommufd *ictx = ioas->ictx;
	unsigned int going = 0;
	uint32_t done = 0;

	/* One access at a time, by rising ID: the list may change while a
	 * callback runs. */
	for (;;) {
		struct ifd_access *acc, *next = NULL;

		pthread_mutex_lock(&ioas->lock);
		cds_list_for_each_entry(acc, &ioas->accesses, ioas_node)
			if (acc->obj.id > done && (!next || acc->obj.id < next->obj.id) &&
			    access_pins_in(acc, iova, last))
				next = acc;
		if (next) {
			done = next->obj.id;
			acc = ifd_access_get(ictx, done);
			if (!acc)
				going++;
		}
		pthread_mutex_unlock(&ioas->lock);
		if (!next)
			return going;
		if (acc) {
			access_ask_unmap(acc, ioas, iova, last);
			ifd_obj_put(ictx, &acc->obj);
		}
	}
}

/*
 * Ask the callback to let go of everything the access pins: 0, or -EBUSY
 * if it left pins. The caller holds ioas_lock, which is dropped across
 * the callback, and has set acc->ioas NULL so that nothing new is pinned
 * meanwhile.
 */
static int access_unpin_all(struct ifd_access *acc)
{
	struct ifd_ioas *ioas = acc->ioas_unpin;
	bool left;

	pthread_mutex_lock(&ioas->lock);
	left = !cds_list_empty(&acc->pins);
	pthread_mutex_unlock(&ioas->lock);
	if (left) {
		pthread_mutex_unlock(&acc->ioas_lock);
		left = access_ask_unmap(acc, ioas, 0, UINT64_MAX);
		pthread_mutex_lock(&acc->ioas_lock);
	}
	return left ? -EBUSY : 0;
}

/* Called once the access is out of the table: nobody else uses it. What
 * is still pinned goes without asking (the callback was asked before). */
void ifd_access_destroy(struct ifd_access *acc)
{
	struct ifd_ioas *ioas = acc->ioas_unpin;
	struct ifd_access_pin *pin, *tmp;

	pthread_mutex_lock(&ioas->lock);
	cds_list_for_each_entry_safe(pin, tmp, &acc->pins, node)
		pin_free(ioas, pin);
	pthread_mutex_unlock(&ioas->lock);
	access_leave(acc, ioas);
	pthread_mutex_destroy(&acc->ioas_lock);
	free(acc);
}

int ifd_access_destroy_held(struct siommu_iommufd *ictx, struct ifd_access *acc)
{
	bool first;

	pthread_mutex_lock(&ictx->lock);
	first = !acc->destroying;
	acc->destroying = true;
	pthread_mutex_unlock(&ictx->lock);
	if (!first) {
		ifd_obj_put(ictx, &acc->obj);
		return -ENOENT;
	}
	/* While the ID still finds the access, so that the callback can
	 * unpin by it; new pins and copies fail meanwhile. */
	pthread_mutex_lock(&acc->ioas_lock);
	if (acc->ioas == acc->ioas_unpin) {
		acc->ioas = NULL;
		access_unpin_all(acc);
	}
	pthread_mutex_unlock(&acc->ioas_lock);
	/* The creator's reference goes with the short-term one. */
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

int SIOMMU_EXPORT siommu_iommufd_access_destroy(struct siommu_iommufd *ictx, uint32_t access_id)
{
	struct ifd_access *acc = ictx ? ifd_access_get(ictx, access_id) : NULL;

	return acc ? ifd_access_destroy_held(ictx, acc) : -ENOENT;
}

void ifd_access_close_all(struct siommu_iommufd *ictx)
{
	uint32_t i;

	ifd_test_access_close_all(ictx);
	for (i = 0; i < ictx->nr_slots; i++) {
		struct ifd_obj *obj = ictx->objs[i];

		if (obj && obj->type == SIOMMU_IOMMUFD_OBJ_ACCESS && obj->published)
			siommu_iommufd_access_destroy(ictx, obj->id);
	}
}

int SIOMMU_EXPORT siommu_iommufd_access_replace(struct siommu_iommufd *ictx,
						uint32_t access_id, uint32_t ioas_id)
{
	struct ifd_access *acc = ictx ? ifd_access_get(ictx, access_id) : NULL;
	struct ifd_ioas *old, *ioas;
	struct ifd_obj *obj;
	int ret = 0;

	if (!acc)
		return -ENOENT;
	obj = ifd_obj_get(ictx, ioas_id, SIOMMU_IOMMUFD_OBJ_IOAS);
	if (!obj) {
		ifd_obj_put(ictx, &acc->obj);
		return -ENOENT;
	}
	ioas = container_of(obj, struct ifd_ioas, obj);
	pthread_mutex_lock(&acc->ioas_lock);
	old = acc->ioas;
	/* Another replace is calling back (Linux: racing a detach). */
	if (old != acc->ioas_unpin) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (old == ioas)
		goto out_unlock;
	/* Nothing new is pinned or copied while the callback runs. */
	acc->ioas = NULL;
	ret = access_unpin_all(acc);
	if (ret) {
		acc->ioas = old;
		goto out_unlock;
	}
	access_leave(acc, old);
	access_join(acc, ioas);
	acc->ioas = acc->ioas_unpin = ioas;
out_unlock:
	pthread_mutex_unlock(&acc->ioas_lock);
	ifd_obj_put(ictx, obj);
	ifd_obj_put(ictx, &acc->obj);
	return ret;
}

/*
 * Lock the access's IOAS for a pin or a copy of [iova, last], checking
 * every piece with @check: 0 with acc->ioas_lock and the IOAS's lock held
 * (*out: the IOAS; access_unlock() drops both), else the error with
 * neither held: -ENOENT (the access is moving, or a hole), -EINVAL (an
 * unmap is asking accesses to let go of the range), or @check's.
 */
static int access_lock_range(struct ifd_access *acc, uint64_t iova, uint64_t last,
			     ifd_piece_fn check, void *arg, struct ifd_ioas **out)
{
	struct ifd_ioas *ioas;
	int ret = -ENOENT;

	pthread_mutex_lock(&acc->ioas_lock);
	ioas = acc->ioas;
	if (ioas) {
		pthread_mutex_lock(&ioas->lock);
		ret = ifd_ioas_unmapping(ioas, iova, last) ? -EINVAL :
		      ifd_ioas_for_each_piece(ioas, iova, last, check, arg);
		if (!ret) {
			*out = ioas;
			return 0;
		}
		pthread_mutex_unlock(&ioas->lock);
	}
	pthread_mutex_unlock(&acc->ioas_lock);
	return ret;
}

static void access_unlock(struct ifd_access *acc, struct ifd_ioas *ioas)
{
	pthread_mutex_unlock(&ioas->lock);
	pthread_mutex_unlock(&acc->ioas_lock);
}

/* ---- pins ---- */

struct pin_walk {
	uint64_t iova;			/* of the range's first byte */
	void **out;			/* NULL: no addresses wanted */
	bool write;
};

/* The host bytes at @iova of @area, whose storage is pinned. */
static uint8_t *area_host(const struct ifd_area *area, uint64_t iova)
{
	return (uint8_t *)ifd_area_host(area, iova);
}

/* Check a piece of a pin: writable if asked, and whole host pages. */
static int pin_check(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct pin_walk *w = arg;
	uintptr_t host = ifd_area_host(area, iova);

	if (area->revoked)
		return -ENODEV;		/* its dma-buf gives no pages */
	if (w->write && !(area->prot & SIOMMU_PROT_WRITE))
		return -EPERM;
	/* Every piece starts on a page; all but the last end on one. */
	if (host % SIOMMU_PAGE_SIZE || (iova - w->iova) % SIOMMU_PAGE_SIZE)
		return -EINVAL;
	(void)len;
	return 0;
}

static int pin_take(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct pin_walk *w = arg;
	uint64_t off;

	area->pins++;
	for (off = 0; w->out && off < len; off += SIOMMU_PAGE_SIZE)
		w->out[(iova - w->iova + off) / SIOMMU_PAGE_SIZE] = area_host(area, iova + off);
	return 0;
}

/* What pin, unpin and rw begin with: check [iova, iova + length) (its
 * last byte to *last), then find the access (a short-term reference). */
static int access_begin(struct siommu_iommufd *ictx, uint32_t access_id, uint64_t iova,
			uint64_t length, uint64_t *last, struct ifd_access **out)
{
	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	*out = ictx ? ifd_access_get(ictx, access_id) : NULL;
	return *out ? 0 : -ENOENT;
}

int SIOMMU_EXPORT siommu_iommufd_access_pin_pages(struct siommu_iommufd *ictx,
						  uint32_t access_id, uint64_t iova,
						  uint64_t length, void **out_pages,
						  unsigned int flags)
{
	struct pin_walk w = { iova, out_pages, flags & SIOMMU_IOMMUFD_ACCESS_RW_WRITE };
	struct ifd_access_pin *pin;
	struct ifd_access *acc;
	struct ifd_ioas *ioas;
	uint64_t last;
	int ret;

	if (flags & ~SIOMMU_IOMMUFD_ACCESS_RW_WRITE)
		return -EOPNOTSUPP;
	ret = access_begin(ictx, access_id, iova, length, &last, &acc);
	if (ret)
		return ret;
	if (!acc->needs_pin_pages) {
		ifd_obj_put(ictx, &acc->obj);
		return -EINVAL;
	}
	pin = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*pin));
	if (!pin) {
		ifd_obj_put(ictx, &acc->obj);
		return -ENOMEM;
	}
	pin->iova = iova;
	pin->last = last;
	ret = access_lock_range(acc, iova, last, pin_check, &w, &ioas);
	/* Each piece pins its storage (Linux pins when an access first
	 * needs the pages), until the pin goes. */
	if (!ret) {
		ret = range_pin(ioas, iova, last);
		if (ret)
			access_unlock(acc, ioas);
	}
	if (!ret) {
		ifd_ioas_for_each_piece(ioas, iova, last, pin_take, &w);
		cds_list_add_tail(&pin->node, &acc->pins);
		__atomic_fetch_add(&ictx->access_pins, 1, __ATOMIC_RELAXED);
		pin = NULL;
		access_unlock(acc, ioas);
	}
	free(pin);
	ifd_obj_put(ictx, &acc->obj);
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_access_unpin_pages(struct siommu_iommufd *ictx,
						    uint32_t access_id, uint64_t iova,
						    uint64_t length)
{
	struct ifd_access_pin *pin, *found = NULL;
	struct ifd_access *acc;
	struct ifd_ioas *ioas;
	uint64_t last;
	int ret;

	ret = access_begin(ictx, access_id, iova, length, &last, &acc);
	if (ret)
		return ret;
	pthread_mutex_lock(&acc->ioas_lock);
	ioas = acc->ioas_unpin;
	pthread_mutex_lock(&ioas->lock);
	cds_list_for_each_entry(pin, &acc->pins, node)
		if (pin->iova == iova && pin->last == last) {
			found = pin;
			break;
		}
	if (found)
		pin_free(ioas, found);
	pthread_mutex_unlock(&ioas->lock);
	pthread_mutex_unlock(&acc->ioas_lock);
	ifd_obj_put(ictx, &acc->obj);
	return found ? 0 : -ENOENT;
}

/* ---- copies ---- */

struct rw_walk {
	struct siommu_iommufd *ictx;
	uint8_t *buf;
	bool write, phys;
};

static int rw_check(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct rw_walk *w = arg;

	(void)iova;
	(void)len;
	if (area->revoked)
		return -ENODEV;		/* its dma-buf gives no pages */
	return w->write && !(area->prot & SIOMMU_PROT_WRITE) ? -EPERM : 0;
}

static int rw_piece(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len)
{
	struct rw_walk *w = arg;
	uint64_t pa = ifd_area_pa(area, iova);
	int ret = 0;

	if (w->phys) {
		/* Through the context's physical memory, as a device would. */
		ret = w->write ? siommu_mem_write(w->ictx->mem, pa, w->buf, len) :
				 siommu_mem_read(w->ictx->mem, pa, w->buf, len);
	} else if (w->write) {
		/* The caller's buffer may be memory the IOAS maps, even this
		 * very range: the copies may overlap. */
		memmove(area_host(area, iova), w->buf, len);
	} else {
		memmove(w->buf, area_host(area, iova), len);
	}
	w->buf += len;
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_access_rw(struct siommu_iommufd *ictx, uint32_t access_id,
					   uint64_t iova, void *buf, uint64_t len,
					   unsigned int flags)
{
	struct rw_walk w = { ictx, buf, flags & SIOMMU_IOMMUFD_ACCESS_RW_WRITE,
			     flags & SIOMMU_IOMMUFD_ACCESS_RW_PHYS };
	struct ifd_access *acc;
	struct ifd_ioas *ioas;
	uint64_t last;
	int ret;

	if (flags & ~(SIOMMU_IOMMUFD_ACCESS_RW_WRITE | SIOMMU_IOMMUFD_ACCESS_RW_PHYS))
		return -EOPNOTSUPP;
	if (!buf)
		return -EINVAL;
	ret = access_begin(ictx, access_id, iova, len, &last, &acc);
	if (ret)
		return ret;
	/* The whole range first: a refused copy copies nothing. Its
	 * storage is pinned while it copies (memory gone is -EFAULT). */
	ret = access_lock_range(acc, iova, last, rw_check, &w, &ioas);
	if (!ret) {
		ret = range_pin(ioas, iova, last);
		if (!ret) {
			ret = ifd_ioas_for_each_piece(ioas, iova, last, rw_piece, &w);
			range_unpin(ioas, iova, last);
		}
		access_unlock(acc, ioas);
	}
	ifd_obj_put(ictx, &acc->obj);
	return ret;
}
