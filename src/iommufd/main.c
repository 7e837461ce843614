/* SPDX-License-Identifier: MIT */
/*
 * The iommufd context: the object table (IDs, two-phase creation, user
 * and short-term references), teardown, accounting buckets and options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "iommufd/iommufd_internal.h"

int SIOMMU_EXPORT siommu_iommufd_acct_create(uint64_t limit_pages,
					     struct siommu_iommufd_acct **out)
{
	struct siommu_iommufd_acct *a;

	if (!out)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->limit = limit_pages;
	a->memlock = limit_pages == SIOMMU_IOMMUFD_ACCT_MEMLOCK;
	a->refs = 1;
	a->pidfd = -1;
	*out = a;
	return 0;
}

void ifd_acct_set_pidfd(struct siommu_iommufd_acct *acct, int pidfd)
{
	int none = -1;

	if (!__atomic_compare_exchange_n(&acct->pidfd, &none, pidfd, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		close(pidfd);
}

bool ifd_acct_has_pidfd(const struct siommu_iommufd_acct *acct)
{
	return __atomic_load_n(&acct->pidfd, __ATOMIC_ACQUIRE) >= 0;
}

void ifd_acct_get(struct siommu_iommufd_acct *acct)
{
	__atomic_fetch_add(&acct->refs, 1, __ATOMIC_RELAXED);
}

void ifd_acct_put(struct siommu_iommufd_acct *acct)
{
	if (__atomic_sub_fetch(&acct->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (acct->pidfd >= 0)
		close(acct->pidfd);
	free(acct);
}

void SIOMMU_EXPORT siommu_iommufd_acct_destroy(struct siommu_iommufd_acct *acct)
{
	if (acct)
		ifd_acct_put(acct);
}

uint64_t SIOMMU_EXPORT siommu_iommufd_acct_pinned_vm(const struct siommu_iommufd_acct *acct)
{
	return __atomic_load_n(&acct->pinned, __ATOMIC_RELAXED);
}

uint64_t SIOMMU_EXPORT siommu_iommufd_acct_locked(const struct siommu_iommufd_acct *acct)
{
	return __atomic_load_n(&acct->locked, __ATOMIC_RELAXED);
}

/* The process's RLIMIT_MEMLOCK in pages (UINT64_MAX: unlimited). */
static uint64_t memlock_pages(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur >> SIOMMU_PAGE_SHIFT;
}

uint64_t SIOMMU_EXPORT siommu_iommufd_acct_limit(const struct siommu_iommufd_acct *acct)
{
	return ifd_acct_limit(acct);
}

uint64_t ifd_acct_limit(const struct siommu_iommufd_acct *acct)
{
	return __atomic_load_n(&acct->memlock, __ATOMIC_RELAXED) ? memlock_pages() : __atomic_load_n(&acct->limit, __ATOMIC_RELAXED);
}

void SIOMMU_EXPORT siommu_iommufd_acct_set_limit(struct siommu_iommufd_acct *acct,
						 uint64_t limit_pages)
{
	__atomic_store_n(&acct->memlock, limit_pages == SIOMMU_IOMMUFD_ACCT_MEMLOCK,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&acct->limit, limit_pages, __ATOMIC_RELAXED);
}

int SIOMMU_EXPORT siommu_iommufd_create(const struct siommu_iommufd_cfg *cfg,
					struct siommu_iommufd **out)
{
	struct siommu_iova_cfg pc = {
		.start = IFD_PA_BASE, .last = IFD_PA_LAST,
		.flags = SIOMMU_IOVA_NO_CACHE,
	};
	struct siommu_iommufd *ictx;
	unsigned int i;
	int ret;

	if (!cfg || !cfg->ctx || !out || cfg->rlimit_mode > 1 ||
	    (cfg->test_unit && (cfg->test_unit->ctx != cfg->ctx ||
				cfg->test_unit->ops != &mock_iommu_ops)))
		return -EINVAL;
	pc.mem = cfg->ctx->mem;
	if (mem_should_fail(cfg->ctx->mem))
		return -ENOMEM;
	ictx = calloc(1, sizeof(*ictx));
	if (!ictx)
		return -ENOMEM;
	ictx->ctx = cfg->ctx;
	ictx->mem = cfg->ctx->mem;
	ictx->rlimit_mode = cfg->rlimit_mode;
	ictx->cap_sys_resource = cfg->cap_sys_resource;
	ictx->cap_ipc_lock = cfg->cap_ipc_lock;
	ictx->test_unit = cfg->test_unit;
	pthread_mutex_init(&ictx->lock, NULL);
	pthread_cond_init(&ictx->cond, NULL);
	fifo_lock_init(&ictx->attach_lock);
	pthread_mutex_init(&ictx->reg_lock, NULL);
	ifd_mmap_init(ictx);
	CDS_INIT_LIST_HEAD(&ictx->devices);
	CDS_INIT_LIST_HEAD(&ictx->regs);
	CDS_INIT_LIST_HEAD(&ictx->dmabufs);
	ictx->acct[0] = cfg->user;
	ictx->acct[1] = cfg->process;
	for (i = 0; i < 2; i++) {
		if (ictx->acct[i])
			continue;
		ret = ifd_should_fail(ictx) ? -ENOMEM :
		      siommu_iommufd_acct_create(memlock_pages(), &ictx->acct[i]);
		if (ret)
			goto out_free;
		ictx->own_acct[i] = true;
	}
	ret = siommu_iova_create(&pc, &ictx->pa_space);
	if (ret)
		goto out_free;
	*out = ictx;
	return 0;

out_free:
	for (i = 0; i < 2; i++)
		if (ictx->own_acct[i])
			siommu_iommufd_acct_destroy(ictx->acct[i]);
	ifd_mmap_fini(ictx);
	pthread_mutex_destroy(&ictx->reg_lock);
	pthread_cond_destroy(&ictx->cond);
	pthread_mutex_destroy(&ictx->lock);
	free(ictx);
	return ret;
}

static void obj_destroy(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	switch (obj->type) {
	case SIOMMU_IOMMUFD_OBJ_IOAS:
		ifd_ioas_destroy(container_of(obj, struct ifd_ioas, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_HWPT_PAGING:
	case SIOMMU_IOMMUFD_OBJ_HWPT_NESTED:
		ifd_hwpt_destroy(container_of(obj, struct ifd_hwpt, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_DEVICE:
		ifd_device_destroy(container_of(obj, struct ifd_device, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_FAULT:
		ifd_fault_destroy(container_of(obj, struct ifd_fault, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_VIOMMU:
		ifd_viommu_destroy(ictx, container_of(obj, struct ifd_viommu, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_VDEVICE:
		ifd_vdevice_destroy(ictx, container_of(obj, struct ifd_vdevice, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_SELFTEST:
		ifd_selftest_destroy(container_of(obj, struct ifd_selftest, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_ACCESS:
		ifd_access_destroy(container_of(obj, struct ifd_access, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_HW_QUEUE:
		ifd_hw_queue_destroy(ictx, container_of(obj, struct ifd_hw_queue, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_VEVENTQ:
		ifd_veventq_destroy(ictx, container_of(obj, struct ifd_veventq, obj));
		break;
	case SIOMMU_IOMMUFD_OBJ_NONE:
		SIOMMU_ASSERT(0);
		break;
	}
}

/*
 * Close: devices first (as their drivers unbind them before the last
 * close of /dev/iommu), which drops their attachments; then, over and
 * over, every object nobody uses, so that users go before what they use.
 */
void SIOMMU_EXPORT siommu_iommufd_destroy(struct siommu_iommufd *ictx)
{
	struct ifd_device *idev;
	bool progress = true;
	unsigned int i;
	uint32_t id;

	if (!ictx)
		return;
	/* Accesses hold themselves, as their drivers do until they let go;
	 * mappings of regions hold the regions' owners: they let go too (the
	 * mappings stay the caller's, over memory that outlives us). */
	ifd_access_close_all(ictx);
	ifd_mmap_release_all(ictx);
	/* The queues' open files let go as well (their fds stay the
	 * caller's). */
	for (id = 0; id < ictx->nr_slots; id++) {
		struct ifd_obj *obj = ictx->objs[id];

		if (obj) {
			obj->users -= obj->fd_holds;
			obj->fd_holds = 0;
		}
	}
	for (;;) {
		fifo_lock(&ictx->attach_lock);
		idev = cds_list_empty(&ictx->devices) ? NULL :
		       cds_list_first_entry(&ictx->devices, struct ifd_device, node);
		id = idev ? idev->obj.id : 0;
		fifo_unlock(&ictx->attach_lock);
		if (!idev)
			break;
		siommu_iommufd_unbind(ictx, id);
	}
	while (ictx->nr_objs && progress) {
		progress = false;
		for (id = 0; id < ictx->nr_slots; id++) {
			struct ifd_obj *obj = ictx->objs[id];

			if (!obj || obj->users)
				continue;
			ictx->objs[id] = NULL;
			ictx->nr_objs--;
			obj_destroy(ictx, obj);
			progress = true;
		}
	}
	SIOMMU_ASSERT(!ictx->nr_objs);
	ifd_regs_fini(ictx);
	ifd_dmabufs_fini(ictx);
	siommu_iova_destroy(ictx->pa_space);
	for (i = 0; i < 2; i++)
		if (ictx->own_acct[i])
			siommu_iommufd_acct_destroy(ictx->acct[i]);
	ifd_mmap_fini(ictx);
	free(ictx->objs);
	free(ictx->pasids);
	pthread_mutex_destroy(&ictx->reg_lock);
	pthread_cond_destroy(&ictx->cond);
	pthread_mutex_destroy(&ictx->lock);
	free(ictx);
}

/* Phase one: the lowest free ID, invisible to lookups. */
int ifd_obj_reserve(struct siommu_iommufd *ictx, struct ifd_obj *obj,
		    enum siommu_iommufd_obj_type type)
{
	uint32_t i;
	int ret = 0;

	*obj = (struct ifd_obj){ .type = type };
	pthread_mutex_lock(&ictx->lock);
	for (i = 0; i < ictx->nr_slots && ictx->objs[i]; i++)
		;
	if (i == ictx->nr_slots) {
		uint32_t n = ictx->nr_slots ? ictx->nr_slots * 2 : 16;
		struct ifd_obj **objs;

		if (ictx->nr_slots >= UINT32_MAX / 4) {
			ret = -ENOSPC;
			goto out_unlock;
		}
		objs = ifd_should_fail(ictx) ? NULL :
		       realloc(ictx->objs, n * sizeof(*objs));
		if (!objs) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		memset(objs + ictx->nr_slots, 0, (n - ictx->nr_slots) * sizeof(*objs));
		ictx->objs = objs;
		ictx->nr_slots = n;
	}
	obj->id = i + 1;
	ictx->objs[i] = obj;
	ictx->nr_objs++;
out_unlock:
	pthread_mutex_unlock(&ictx->lock);
	return ret;
}

void ifd_obj_abort(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	pthread_mutex_lock(&ictx->lock);
	SIOMMU_ASSERT(ictx->objs[obj->id - 1] == obj && !obj->published);
	ictx->objs[obj->id - 1] = NULL;
	ictx->nr_objs--;
	pthread_mutex_unlock(&ictx->lock);
}

/* Phase two: nothing may fail after this. */
void ifd_obj_publish(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	pthread_mutex_lock(&ictx->lock);
	obj->published = true;
	pthread_mutex_unlock(&ictx->lock);
}

void ifd_obj_hide(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	pthread_mutex_lock(&ictx->lock);
	if (!obj->removing)
		obj->published = false;
	pthread_mutex_unlock(&ictx->lock);
}

static struct ifd_obj *obj_find_locked(struct siommu_iommufd *ictx, uint32_t id,
				       enum siommu_iommufd_obj_type type)
{
	struct ifd_obj *obj;

	if (!id || id > ictx->nr_slots)
		return NULL;
	obj = ictx->objs[id - 1];
	if (!obj || !obj->published || obj->removing)
		return NULL;
	if (type != SIOMMU_IOMMUFD_OBJ_NONE && obj->type != type)
		return NULL;
	return obj;
}

struct ifd_obj *ifd_obj_get(struct siommu_iommufd *ictx, uint32_t id,
			    enum siommu_iommufd_obj_type type)
{
	struct ifd_obj *obj;

	pthread_mutex_lock(&ictx->lock);
	obj = obj_find_locked(ictx, id, type);
	if (obj) {
		obj->users++;
		obj->shortterm++;
	}
	pthread_mutex_unlock(&ictx->lock);
	return obj;
}

void ifd_obj_put(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	pthread_mutex_lock(&ictx->lock);
	SIOMMU_ASSERT(obj->shortterm && obj->users);
	obj->users--;
	if (!--obj->shortterm)
		pthread_cond_broadcast(&ictx->cond);
	pthread_mutex_unlock(&ictx->lock);
}

void ifd_obj_use(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	pthread_mutex_lock(&ictx->lock);
	obj->users++;
	pthread_mutex_unlock(&ictx->lock);
}

void ifd_obj_unuse(struct siommu_iommufd *ictx, struct ifd_obj *obj)
{
	pthread_mutex_lock(&ictx->lock);
	SIOMMU_ASSERT(obj->users > obj->shortterm);
	obj->users--;
	pthread_mutex_unlock(&ictx->lock);
}

int ifd_obj_remove(struct siommu_iommufd *ictx, struct ifd_obj *obj, bool held, bool wait)
{
	int ret = 0;

	pthread_mutex_lock(&ictx->lock);
	if (held) {
		obj->users--;
		obj->shortterm--;
	}
	if (obj->removing || obj->users > obj->shortterm || (!wait && obj->shortterm)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Short-term users are waited out; new lookups miss it meanwhile. */
	obj->removing = true;
	while (obj->shortterm)
		pthread_cond_wait(&ictx->cond, &ictx->lock);
	if (obj->users) {
		/* One of them took a long-lived reference. */
		obj->removing = false;
		ret = -EBUSY;
		goto out_unlock;
	}
	ictx->objs[obj->id - 1] = NULL;
	ictx->nr_objs--;
	if (ictx->vfio_ioas == obj->id)
		ictx->vfio_ioas = 0;
out_unlock:
	if (held && !obj->shortterm)
		pthread_cond_broadcast(&ictx->cond);
	pthread_mutex_unlock(&ictx->lock);
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_obj_destroy(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ictx ? ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_NONE) : NULL;
	int ret;

	if (!obj)
		return -ENOENT;
	/* An attach that holds the object for its call and then takes a
	 * reference makes this -EBUSY once it drops the short-term one. */
	ret = ifd_obj_remove(ictx, obj, true, true);
	if (ret)
		return ret;
	if (obj->type == SIOMMU_IOMMUFD_OBJ_HWPT_PAGING ||
	    obj->type == SIOMMU_IOMMUFD_OBJ_HWPT_NESTED) {
		/* Its IOAS's HWPT list changes under attach_lock too. */
		fifo_lock(&ictx->attach_lock);
		obj_destroy(ictx, obj);
		fifo_unlock(&ictx->attach_lock);
	} else {
		obj_destroy(ictx, obj);
	}
	return 0;
}

int SIOMMU_EXPORT siommu_iommufd_queue_fd_hold(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj;
	int ret = -ENOENT;

	if (!ictx)
		return -ENOENT;
	pthread_mutex_lock(&ictx->lock);
	obj = obj_find_locked(ictx, id, SIOMMU_IOMMUFD_OBJ_NONE);
	if (obj && (obj->type == SIOMMU_IOMMUFD_OBJ_FAULT ||
		    obj->type == SIOMMU_IOMMUFD_OBJ_VEVENTQ)) {
		obj->users++;
		obj->fd_holds++;
		ret = 0;
	}
	pthread_mutex_unlock(&ictx->lock);
	return ret;
}

void SIOMMU_EXPORT siommu_iommufd_queue_fd_release(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj;

	pthread_mutex_lock(&ictx->lock);
	/* Held, so neither removed nor hidden. */
	obj = id && id <= ictx->nr_slots ? ictx->objs[id - 1] : NULL;
	SIOMMU_ASSERT(obj && obj->fd_holds && obj->users > obj->shortterm);
	obj->fd_holds--;
	obj->users--;
	pthread_mutex_unlock(&ictx->lock);
}

enum siommu_iommufd_obj_type SIOMMU_EXPORT siommu_iommufd_obj_type(struct siommu_iommufd *ictx,
								   uint32_t id)
{
	enum siommu_iommufd_obj_type type = SIOMMU_IOMMUFD_OBJ_NONE;
	struct ifd_obj *obj;

	pthread_mutex_lock(&ictx->lock);
	obj = obj_find_locked(ictx, id, SIOMMU_IOMMUFD_OBJ_NONE);
	if (obj)
		type = obj->type;
	pthread_mutex_unlock(&ictx->lock);
	return type;
}

void SIOMMU_EXPORT siommu_iommufd_get_stats(struct siommu_iommufd *ictx,
					    struct siommu_iommufd_stats *st)
{
	struct ifd_reg *reg;
	uint32_t i;

	*st = (struct siommu_iommufd_stats){ 0 };
	pthread_mutex_lock(&ictx->lock);
	for (i = 0; i < ictx->nr_slots; i++) {
		struct ifd_obj *obj = ictx->objs[i];

		if (!obj || !obj->published)
			continue;
		st->objects++;
		switch (obj->type) {
		case SIOMMU_IOMMUFD_OBJ_IOAS:
			st->ioas++;
			st->areas += READ_ONCE(container_of(obj, struct ifd_ioas, obj)->nr_areas);
			break;
		case SIOMMU_IOMMUFD_OBJ_HWPT_PAGING:
		case SIOMMU_IOMMUFD_OBJ_HWPT_NESTED:
			st->hwpts++;
			break;
		case SIOMMU_IOMMUFD_OBJ_DEVICE:
			st->devices++;
			break;
		case SIOMMU_IOMMUFD_OBJ_FAULT:
			st->faults++;
			break;
		case SIOMMU_IOMMUFD_OBJ_VIOMMU:
			st->viommus++;
			break;
		case SIOMMU_IOMMUFD_OBJ_VDEVICE:
			st->vdevices++;
			break;
		case SIOMMU_IOMMUFD_OBJ_HW_QUEUE:
			st->hw_queues++;
			break;
		case SIOMMU_IOMMUFD_OBJ_VEVENTQ:
			st->veventqs++;
			break;
		case SIOMMU_IOMMUFD_OBJ_ACCESS:
			st->accesses++;
			break;
		case SIOMMU_IOMMUFD_OBJ_SELFTEST:
		case SIOMMU_IOMMUFD_OBJ_NONE:
			break;
		}
	}
	pthread_mutex_unlock(&ictx->lock);
	pthread_mutex_lock(&ictx->reg_lock);
	cds_list_for_each_entry(reg, &ictx->regs, node)
		if (reg->refs)
			st->page_stores++;
	pthread_mutex_unlock(&ictx->reg_lock);
	st->access_pins = __atomic_load_n(&ictx->access_pins, __ATOMIC_RELAXED);
	st->pinned_pages = __atomic_load_n(&ictx->pinned, __ATOMIC_RELAXED);
}

int SIOMMU_EXPORT siommu_iommufd_option(struct siommu_iommufd *ictx, uint32_t option,
					uint16_t op, uint32_t object_id, uint64_t *val)
{
	struct ifd_ioas *ioas;
	struct ifd_obj *obj;
	int ret = 0;

	if (!ictx || !val)
		return -EINVAL;
	/* Each option in Linux's order: its object, the op, the value. */
	switch (option) {
	case SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE:
		if (object_id)
			return -EOPNOTSUPP;
		if (op == SIOMMU_IOMMUFD_OPTION_OP_GET) {
			*val = READ_ONCE(ictx->rlimit_mode);
			return 0;
		}
		if (op != SIOMMU_IOMMUFD_OPTION_OP_SET)
			return -EOPNOTSUPP;
		if (!ictx->cap_sys_resource)
			return -EPERM;
		pthread_mutex_lock(&ictx->lock);
		if (ictx->nr_objs)
			ret = -EBUSY;
		else if (*val > 1)
			ret = -EINVAL;
		else
			WRITE_ONCE(ictx->rlimit_mode, (unsigned int)*val);
		pthread_mutex_unlock(&ictx->lock);
		return ret;
	case SIOMMU_IOMMUFD_OPTION_HUGE_PAGES:
		obj = ifd_obj_get(ictx, object_id, SIOMMU_IOMMUFD_OBJ_IOAS);
		if (!obj)
			return -ENOENT;
		ioas = container_of(obj, struct ifd_ioas, obj);
		pthread_mutex_lock(&ioas->lock);
		if (op != SIOMMU_IOMMUFD_OPTION_OP_SET && op != SIOMMU_IOMMUFD_OPTION_OP_GET) {
			ret = -EOPNOTSUPP;
		} else if (op == SIOMMU_IOMMUFD_OPTION_OP_GET) {
			*val = ioas->huge_pages;
		} else if (*val > 1) {
			ret = -EINVAL;
		} else if (!*val && ioas->huge_pages && ioas->nr_areas &&
			   !cds_list_empty(&ioas->hwpts)) {
			/* Domains may hold large leaves for the areas already
			 * mapped: Linux refuses rather than remap them. */
			ret = -EINVAL;
		} else if (!*val && ioas->huge_pages) {
			struct ifd_area *area;

			/* 4K pages only: every area must be 4K-aligned, in
			 * IOVA, length and where it starts in its page. */
			RB_FOREACH(area, ifd_area_tree, &ioas->areas)
				if ((area->iova | (area->last + 1) |
				     ifd_area_host(area, area->iova)) &
				    (SIOMMU_PAGE_SIZE - 1))
					ret = -EADDRINUSE;
			if (!ret)
				ioas->huge_pages = false;
		} else {
			ioas->huge_pages = *val;
		}
		pthread_mutex_unlock(&ioas->lock);
		ifd_obj_put(ictx, obj);
		return ret;
	}
	return -EOPNOTSUPP;
}
