/* SPDX-License-Identifier: MIT */
/*
 * The OS half's objects: contexts, units, devices, groups, domains and
 * attachments, device owners. Hardware is programmed only by the drivers
 * (src/core/drivers/), through struct iommu_ops.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/mock.h>

#include "core/core_internal.h"
#include "pt/pt_internal.h"

__thread unsigned int core_queue_depth __attribute__((tls_model("initial-exec")));

/* Devices whose detach a device callback run by this thread asked for. */
static __thread struct siommu_device *defer_head __attribute__((tls_model("initial-exec")));

/* Device callbacks and deferred detach ------------------------------------ */

/*
 * siommu_device_detach() from a device callback (core_in_queue()): this
 * thread may hold ctx->lock or a dom->lock from the call whose flush ran
 * the callback, and its unit's queue is mid-submission. The device is
 * linked into this thread's list and detached by defer_run() once that
 * call has dropped its locks. A device already pending (another thread's
 * callback asked) is detached by that thread.
 */
static void detach_defer(struct siommu_device *dev)
{
	if (__atomic_exchange_n(&dev->detach_deferred, true, __ATOMIC_ACQ_REL))
		return;
	dev->defer_next = defer_head;
	defer_head = dev;
}

/* Forget @dev's pending detach (it is being removed). Caller holds ctx->lock. */
static void defer_forget(struct siommu_device *dev)
{
	struct siommu_device **p;

	if (!__atomic_load_n(&dev->detach_deferred, __ATOMIC_ACQUIRE))
		return;
	for (p = &defer_head; *p; p = &(*p)->defer_next)
		if (*p == dev) {
			*p = dev->defer_next;
			break;
		}
}

static __attribute__((cold, noinline)) void defer_run_slow(void)
{
	while (defer_head) {
		struct siommu_device *dev = defer_head;

		defer_head = dev->defer_next;
		/* Cleared first: a callback run by this detach may ask again. */
		__atomic_store_n(&dev->detach_deferred, false, __ATOMIC_RELEASE);
		siommu_device_detach(dev);
	}
}

/*
 * The end of a call that may have run device callbacks, its locks
 * dropped: the detaches they asked for happen now, before it returns.
 * Nothing to do inside an outer call's queue processing.
 */
static inline void defer_run(void)
{
	if (unlikely(defer_head != NULL) && !core_in_queue())
		defer_run_slow();
}

int SIOMMU_EXPORT siommu_ctx_create(const struct siommu_ctx_cfg *cfg,
				    struct siommu_ctx **out)
{
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	int ret;

	if (!out)
		return -EINVAL;
	/* The memory first: every later step is counted on its fail-nth. */
	if (cfg && cfg->mem) {
		mem = cfg->mem;
	} else {
		ret = siommu_mem_create(cfg ? cfg->mem_cfg : NULL, &mem);
		if (ret)
			return ret;
	}
	ctx = mem_should_fail(mem) ? NULL : calloc(1, sizeof(*ctx));
	if (!ctx) {
		ret = -ENOMEM;
		goto out_destroy_mem;
	}
	ctx->mem = mem;
	ctx->own_mem = !(cfg && cfg->mem);
	pthread_mutex_init(&ctx->lock, NULL);
	CDS_INIT_LIST_HEAD(&ctx->domains);
	pthread_mutex_init(&ctx->dma_lock, NULL);
	CDS_INIT_LIST_HEAD(&ctx->dma_doms);
	ret = siommu_pasid_space_create(ctx->mem, &ctx->pasids);
	if (ret)
		goto out_free_ctx;
	*out = ctx;
	return 0;

out_free_ctx:
	pthread_mutex_destroy(&ctx->dma_lock);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
out_destroy_mem:
	if (!(cfg && cfg->mem))
		siommu_mem_destroy(mem);
	return ret;
}

struct siommu_mem SIOMMU_EXPORT *siommu_ctx_mem(struct siommu_ctx *ctx)
{
	return ctx->mem;
}

struct siommu_pasid_space SIOMMU_EXPORT *siommu_ctx_pasids(struct siommu_ctx *ctx)
{
	return ctx->pasids;
}

/* Add a unit of the type @ops drives, configured by @cfg (its own struct). */
static int unit_add(struct siommu_ctx *ctx, const struct iommu_ops *ops,
		    const void *cfg, struct siommu_unit **out)
{
	struct iommu_unit_info info = { 0 };
	struct siommu_unit *unit;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->nr_units >= CORE_MAX_UNITS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (mem_should_fail(ctx->mem)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	unit = calloc(1, sizeof(*unit));
	if (!unit) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	unit->ctx = ctx;
	unit->index = ctx->nr_units;
	unit->ops = ops;
	CDS_INIT_LIST_HEAD(&unit->devices);
	pthread_mutex_init(&unit->rid_lock, NULL);
	ret = ops->unit_init(unit, cfg);
	if (ret) {
		pthread_mutex_destroy(&unit->rid_lock);
		free(unit);
		goto out_unlock;
	}
	ops->unit_info(unit, &info);
	unit->pasid_bits = info.pasid_bits;
	unit->ats = info.ats;
	unit->pri = info.pri;
	unit->stall = info.stall;
	unit->caching_mode = info.caching_mode;
	unit->pasid_hooks = info.pasid_hooks && !info.pasid_bits;
	/* Published: nothing can fail from here. */
	if (unit->caching_mode)
		__atomic_store_n(&ctx->any_cm, true, __ATOMIC_RELEASE);
	ctx->units[ctx->nr_units] = unit;
	__atomic_store_n(&ctx->nr_units, ctx->nr_units + 1, __ATOMIC_RELEASE);
	*out = unit;
out_unlock:
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

int SIOMMU_EXPORT siommu_unit_add_vtd(struct siommu_ctx *ctx,
				      const struct siommu_vtd_cfg *cfg,
				      struct siommu_unit **out)
{
	return unit_add(ctx, &vtd_iommu_ops, cfg, out);
}

struct siommu_vtd SIOMMU_EXPORT *siommu_unit_vtd(struct siommu_unit *unit)
{
	return unit->ops == &vtd_iommu_ops ? unit->ops->unit_hw(unit) : NULL;
}

int SIOMMU_EXPORT siommu_unit_add_smmuv3(struct siommu_ctx *ctx,
					 const struct siommu_smmuv3_cfg *cfg,
					 struct siommu_unit **out)
{
	return unit_add(ctx, &smmuv3_iommu_ops, cfg, out);
}

struct siommu_smmuv3 SIOMMU_EXPORT *siommu_unit_smmuv3(struct siommu_unit *unit)
{
	return unit->ops == &smmuv3_iommu_ops ? unit->ops->unit_hw(unit) : NULL;
}

int SIOMMU_EXPORT siommu_unit_add_mock(struct siommu_ctx *ctx, struct siommu_unit **out)
{
	return unit_add(ctx, &mock_iommu_ops, NULL, out);
}

int SIOMMU_EXPORT siommu_unit_add_smmuv2(struct siommu_ctx *ctx,
					 const struct siommu_smmuv2_cfg *cfg,
					 struct siommu_unit **out)
{
	return unit_add(ctx, &smmuv2_iommu_ops, cfg, out);
}

struct siommu_smmuv2 SIOMMU_EXPORT *siommu_unit_smmuv2(struct siommu_unit *unit)
{
	return unit->ops == &smmuv2_iommu_ops ? unit->ops->unit_hw(unit) : NULL;
}

void SIOMMU_EXPORT siommu_unit_get_stats(struct siommu_unit *unit,
					 struct siommu_unit_stats *st)
{
	memset(st, 0, sizeof(*st));
	unit->ops->unit_stats(unit, st);
	st->faults_unhandled = __atomic_load_n(&unit->n_fault_unhandled, __ATOMIC_RELAXED);
	st->iopf_overflows = __atomic_load_n(&unit->n_iopf_overflow, __ATOMIC_RELAXED);
}

/* Attachment table -------------------------------------------------------- */

struct core_att *core_att_get(struct siommu_device *dev, uint32_t pasid)
{
	unsigned int c = pasid >> ATT_CHUNK_SHIFT;

	if (c >= dev->nr_chunks || !dev->att[c])
		return NULL;
	return dev->att[c][pasid & (ATT_CHUNK - 1)];
}

/* Make room for (dev, pasid) in the table; the only fallible step. */
static int att_slot_prepare(struct siommu_device *dev, uint32_t pasid)
{
	unsigned int c = pasid >> ATT_CHUNK_SHIFT;

	SIOMMU_ASSERT(c < dev->nr_chunks);
	if (dev->att[c])
		return 0;
	struct core_att **chunk;

	if (mem_should_fail(dev->unit->ctx->mem))
		return -ENOMEM;
	chunk = calloc(ATT_CHUNK, sizeof(struct core_att *));
	if (!chunk)
		return -ENOMEM;
	pthread_mutex_lock(&dev->unit->rid_lock);
	dev->att[c] = chunk;
	pthread_mutex_unlock(&dev->unit->rid_lock);
	return 0;
}

/* The fault path reads the table under rid_lock alone (core_dom_by_req()). */
static void att_slot_set(struct siommu_device *dev, uint32_t pasid,
			 struct core_att *att)
{
	pthread_mutex_lock(&dev->unit->rid_lock);
	dev->att[pasid >> ATT_CHUNK_SHIFT][pasid & (ATT_CHUNK - 1)] = att;
	pthread_mutex_unlock(&dev->unit->rid_lock);
}

/*
 * Point (dev, pasid) at @dom (NULL: blocked), replacing what is there.
 * Caller holds ctx->lock and has prepared the table slot and @newatt
 * (att_prepare(); NULL when dom is NULL). Cannot fail.
 */
static void att_switch(struct siommu_device *dev, uint32_t pasid,
		       struct siommu_domain *dom, struct core_att *newatt)
{
	struct core_att *old = core_att_get(dev, pasid);
	struct siommu_domain *odom = old ? old->dom : NULL;

	if (newatt) {
		newatt->dev = dev;
		newatt->pasid = pasid;
		newatt->dom = dom;
		pthread_mutex_lock(&dom->lock);
		cds_list_add_tail(&newatt->dom_node, &dom->atts);
		dom->nr_atts++;
		pthread_mutex_unlock(&dom->lock);
	}
	/* The driver keeps its own record of what each domain's flushes
	 * must cover, and switches it with the entry. */
	dev->unit->ops->attach_commit(dev, pasid, odom, old ? old->drv : NULL,
				      dom, newatt ? newatt->drv : NULL);
	att_slot_set(dev, pasid, newatt);
	if (old) {
		pthread_mutex_lock(&odom->lock);
		cds_list_del(&old->dom_node);
		odom->nr_atts--;
		pthread_mutex_unlock(&odom->lock);
		free(old);
		/* The groups that came through the old attachment get their
		 * answer now, while the PASID cannot be reused. */
		if (odom != dom && (odom->iopf_fn || odom->iopf_deliver))
			core_iopf_flush(dev, pasid);
	}
}

/*
 * Prepare (dev, pasid) -> dom: everything that can fail, before anything
 * observable changes (att_switch() then commits and cannot fail): table
 * slot, context, attachment record, and the driver's part (domain ID,
 * table pages). Undone by att_abort().
 */
static int att_prepare(struct siommu_device *dev, uint32_t pasid,
		       struct siommu_domain *dom, struct core_att **newatt)
{
	int ret;

	*newatt = NULL;
	ret = att_slot_prepare(dev, pasid);
	if (ret || !dom)
		return ret;
	/* A domain belongs to one context: its attachments, driver state
	 * and flushes are kept under that context's lock and units. */
	if (dom->ctx != dev->unit->ctx)
		return -EINVAL;
	/* A paging, SVA or nested domain's table is in its driver's format,
	 * which no unit of another type walks, whatever its stage and width. */
	if ((dom->type == SIOMMU_DOMAIN_PAGING || dom->type == SIOMMU_DOMAIN_SVA ||
	     dom->type == SIOMMU_DOMAIN_NESTED) &&
	    dom->ops != dev->unit->ops)
		return -EINVAL;
	if (mem_should_fail(dev->unit->ctx->mem))
		return -ENOMEM;
	*newatt = calloc(1, sizeof(**newatt) + dev->unit->ops->att_size);
	if (!*newatt)
		return -ENOMEM;
	ret = dev->unit->ops->attach_prepare(dev, pasid, dom, (*newatt)->drv);
	if (ret) {
		free(*newatt);
		*newatt = NULL;
	}
	return ret;
}

/*
 * Detach (dev, pasid), pasid non-zero, and drop the attachment's PASID
 * reference (after att_switch() answered the page requests that came
 * through it). Caller holds ctx->lock.
 */
static void att_detach_pasid(struct siommu_device *dev, uint32_t pasid)
{
	att_switch(dev, pasid, NULL, NULL);
	siommu_pasid_put(dev->unit->ctx->pasids, pasid);
}

static void att_abort(struct siommu_device *dev, uint32_t pasid,
		      struct siommu_domain *dom, struct core_att *att)
{
	if (!att)
		return;
	dev->unit->ops->attach_abort(dev, pasid, dom, att->drv);
	free(att);
}

/* Devices and groups ------------------------------------------------------ */

/* The device using @rid as its RID, or also as its alias when @alias. */
static struct siommu_device *unit_find_rid(struct siommu_unit *unit, uint16_t rid,
					   bool alias)
{
	struct siommu_device *d;

	cds_list_for_each_entry(d, &unit->devices, unit_node)
		if (d->cfg.rid == rid ||
		    (alias && d->cfg.alias_rid >= 0 && (uint16_t)d->cfg.alias_rid == rid))
			return d;
	return NULL;
}

/*
 * The group @cfg puts a new device in (*out; NULL for a new group): that of
 * every device it shares a non-zero isolation key or its alias RID with
 * (behind one PCIe-to-PCI bridge, the DMA of both may carry the bridge's
 * RID). Each device's own key counts, not its group's first one: a keyed
 * device may have joined through its alias. -EINVAL if those devices are
 * in two groups: groups never merge (their attachments may differ).
 */
static int find_group(struct siommu_unit *unit, const struct siommu_device_cfg *cfg,
		      struct siommu_group **out)
{
	struct siommu_group *group = NULL;
	struct siommu_device *d;

	cds_list_for_each_entry(d, &unit->devices, unit_node) {
		if (!(cfg->isolation_key && d->cfg.isolation_key == cfg->isolation_key) &&
		    !(cfg->alias_rid >= 0 && d->cfg.alias_rid == cfg->alias_rid))
			continue;
		if (group && d->group != group)
			return -EINVAL;
		group = d->group;
	}
	*out = group;
	return 0;
}

int SIOMMU_EXPORT siommu_device_add(struct siommu_unit *unit,
				    const struct siommu_device_cfg *cfg,
				    struct siommu_device **out)
{
	struct siommu_ctx *ctx;
	struct siommu_device *dev;
	struct siommu_group *group, *newgroup = NULL;
	struct core_att *att = NULL;
	int ret;

	if (!unit || !cfg || !out || cfg->pasid_bits > SIOMMU_PASID_BITS ||
	    (cfg->flags & ~(SIOMMU_DEV_PASID_ONLY | SIOMMU_DEV_ATS | SIOMMU_DEV_PRI |
			    SIOMMU_DEV_STALL)) ||
	    cfg->alias_rid < SIOMMU_NO_ALIAS || cfg->alias_rid > 0xffff ||
	    cfg->alias_rid == cfg->rid)
		return -EINVAL;
	/* A device resolves its faults by PRI (PCIe) or by stalls (a
	 * platform device), not both: one answer per fault. */
	if ((cfg->flags & SIOMMU_DEV_PRI) && (cfg->flags & SIOMMU_DEV_STALL))
		return -EINVAL;
	/* A PASID-only device needs PASIDs it can use (see below). */
	if ((cfg->flags & SIOMMU_DEV_PASID_ONLY) && (!cfg->pasid_bits || cfg->alias_rid >= 0))
		return -EINVAL;
	ctx = unit->ctx;
	if (((cfg->flags & SIOMMU_DEV_ATS) && !unit->ats) ||
	    ((cfg->flags & SIOMMU_DEV_PRI) && !unit->pri) ||
	    ((cfg->flags & SIOMMU_DEV_STALL) && !unit->stall))
		return -EOPNOTSUPP;
	if (core_in_queue())
		return -EDEADLK;

	pthread_mutex_lock(&ctx->lock);
	/* An alias RID may be shared (devices behind one bridge), never
	 * another device's own RID. */
	if (unit_find_rid(unit, cfg->rid, true) ||
	    (cfg->alias_rid >= 0 && unit_find_rid(unit, (uint16_t)cfg->alias_rid, false))) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = find_group(unit, cfg, &group);
	if (ret)
		goto out_unlock;
	if (mem_should_fail(ctx->mem)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	dev->unit = unit;
	dev->cfg = *cfg;
	CDS_INIT_LIST_HEAD(&dev->users);
	dev->pasid_bits = cfg->pasid_bits < unit->pasid_bits ?
			  cfg->pasid_bits : unit->pasid_bits;
	/* PASID prefixes do not cross a PCIe-to-PCI bridge: a device whose
	 * DMA may carry an alias RID cannot be isolated by PASID, and its
	 * context entries do not enable PASIDs. */
	if (cfg->alias_rid >= 0)
		dev->pasid_bits = 0;
	/* A PASID-only device behind a unit without PASIDs could never
	 * issue DMA. */
	if ((cfg->flags & SIOMMU_DEV_PASID_ONLY) && !dev->pasid_bits) {
		ret = -EINVAL;
		goto out_free_dev;
	}
	dev->max_pasid = dev->pasid_bits ? (1u << dev->pasid_bits) - 1 : 0;
	dev->nr_chunks = (dev->max_pasid >> ATT_CHUNK_SHIFT) + 1;
	if (mem_should_fail(ctx->mem)) {
		ret = -ENOMEM;
		goto out_free_dev;
	}
	dev->att = calloc(dev->nr_chunks, sizeof(*dev->att));
	if (!dev->att) {
		ret = -ENOMEM;
		goto out_free_dev;
	}
	if (!group) {
		if (mem_should_fail(ctx->mem)) {
			ret = -ENOMEM;
			goto out_free_att;
		}
		newgroup = calloc(1, sizeof(*newgroup));
		if (!newgroup) {
			ret = -ENOMEM;
			goto out_free_att;
		}
		CDS_INIT_LIST_HEAD(&newgroup->devices);
		group = newgroup;
	}
	dev->group = group;
	ret = unit->ops->dev_probe(dev);
	if (ret)
		goto out_free_group;
	/* The RID follows the group's domain; everything else is blocked. */
	ret = att_prepare(dev, 0, group->rid_dom, &att);
	if (ret)
		goto out_fini_dev;
	/* Published: nothing can fail from here. */
	pthread_mutex_lock(&unit->rid_lock);
	cds_list_add_tail(&dev->unit_node, &unit->devices);
	pthread_mutex_unlock(&unit->rid_lock);
	cds_list_add_tail(&dev->group_node, &group->devices);
	group->nr_devices++;
	if (group->rid_dom)
		att_switch(dev, 0, group->rid_dom, att);
	*out = dev;
	pthread_mutex_unlock(&ctx->lock);
	return 0;

out_fini_dev:
	unit->ops->dev_release(dev);
out_free_group:
	free(newgroup);
out_free_att:
	free(dev->att[0]);
	free(dev->att);
out_free_dev:
	free(dev);
out_unlock:
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

static void device_remove_locked(struct siommu_device *dev)
{
	struct siommu_group *group = dev->group;
	uint32_t p;
	unsigned int c;

	/* Leaves first: PASIDs, then the RID, then the device. */
	for (c = 0; c < dev->nr_chunks; c++) {
		if (!dev->att[c])
			continue;
		for (p = 0; p < ATT_CHUNK; p++) {
			uint32_t pasid = c * ATT_CHUNK + p;

			if (pasid && core_att_get(dev, pasid))
				att_detach_pasid(dev, pasid);
		}
	}
	if (core_att_get(dev, 0))
		att_switch(dev, 0, NULL, NULL);
	dev->unit->ops->dev_release(dev);
	defer_forget(dev);
	pthread_mutex_lock(&dev->unit->rid_lock);
	cds_list_del(&dev->unit_node);
	pthread_mutex_unlock(&dev->unit->rid_lock);
	cds_list_del(&dev->group_node);
	if (!--group->nr_devices)
		free(group);
	for (c = 0; c < dev->nr_chunks; c++)
		free(dev->att[c]);
	free(dev->att);
	free(dev);
}

static void owner_release(struct siommu_device *dev);

void SIOMMU_EXPORT siommu_device_remove(struct siommu_device *dev)
{
	struct siommu_ctx *ctx;

	if (!dev)
		return;
	SIOMMU_ASSERT(!core_in_queue());	/* not from a device callback */
	ctx = dev->unit->ctx;
	owner_release(dev);
	pthread_mutex_lock(&ctx->lock);
	device_remove_locked(dev);
	pthread_mutex_unlock(&ctx->lock);
	defer_run();
}

/* Owners ------------------------------------------------------------------ */

int SIOMMU_EXPORT siommu_device_claim(struct siommu_device *dev,
				      siommu_owner_release_fn release, void *cookie)
{
	struct siommu_ctx *ctx;
	int ret = 0;

	if (!dev || !release || !cookie)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->lock);
	if (dev->owner || dev->removing) {
		ret = -EBUSY;
	} else {
		/* core_device_owner() loads the cookie first. */
		__atomic_store_n(&dev->owner_release, release, __ATOMIC_RELAXED);
		__atomic_store_n(&dev->owner, cookie, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

void SIOMMU_EXPORT siommu_device_unclaim(struct siommu_device *dev, void *cookie)
{
	struct siommu_ctx *ctx;

	if (!dev || !cookie)
		return;
	SIOMMU_ASSERT(!core_in_queue());	/* not from a device callback */
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->lock);
	if (dev->owner == cookie) {
		__atomic_store_n(&dev->owner, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&dev->owner_release, NULL, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&ctx->lock);
}

void SIOMMU_EXPORT *siommu_device_owner(struct siommu_device *dev,
					 siommu_owner_release_fn release)
{
	return dev && release ? core_device_owner(dev, release) : NULL;
}

/*
 * Release @dev's owner, if any, before the device goes: no new owner may
 * claim it from here, and the callback runs with no lock held, since it
 * tears down through the public calls (detach, domain free). The device
 * is freed next, so what the owner fields hold after the callback does
 * not matter: an owner need not unclaim.
 */
static void owner_release(struct siommu_device *dev)
{
	struct siommu_ctx *ctx = dev->unit->ctx;
	siommu_owner_release_fn release;
	struct core_dev_user *user;
	void *cookie;

	pthread_mutex_lock(&ctx->lock);
	dev->removing = true;
	release = dev->owner_release;
	cookie = dev->owner;
	pthread_mutex_unlock(&ctx->lock);
	if (cookie)
		release(cookie, dev);
	/* Then the other PASID users, one at a time, each unlinked first. */
	for (;;) {
		pthread_mutex_lock(&ctx->lock);
		user = cds_list_empty(&dev->users) ? NULL :
		       cds_list_first_entry(&dev->users, struct core_dev_user, node);
		if (user)
			cds_list_del_init(&user->node);
		pthread_mutex_unlock(&ctx->lock);
		if (!user)
			break;
		user->release(user, dev);
	}
}

int core_device_user_add(struct siommu_device *dev, struct core_dev_user *user)
{
	struct siommu_ctx *ctx = dev->unit->ctx;
	int ret = 0;

	pthread_mutex_lock(&ctx->lock);
	if (dev->removing)
		ret = -ENODEV;
	else
		cds_list_add_tail(&user->node, &dev->users);
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

void core_device_user_del(struct siommu_device *dev, struct core_dev_user *user)
{
	struct siommu_ctx *ctx = dev->unit->ctx;

	pthread_mutex_lock(&ctx->lock);
	if (!cds_list_empty(&user->node))
		cds_list_del_init(&user->node);
	pthread_mutex_unlock(&ctx->lock);
}

int SIOMMU_EXPORT siommu_device_get_info(struct siommu_device *dev,
					 struct siommu_device_info *info)
{
	struct siommu_unit *unit;

	if (!dev || !info)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	unit = dev->unit;
	memset(info, 0, sizeof(*info));
	info->rid = dev->cfg.rid;
	info->pasid_bits = dev->pasid_bits;
	info->max_pasid = info->pasid_bits ? dev->max_pasid : 0;
	unit->ops->dev_hw_info(dev, info);
	info->multiple_spaces = info->pasid_bits > 0;
	info->ats = dev->cfg.flags & SIOMMU_DEV_ATS;
	info->pri = dev->cfg.flags & SIOMMU_DEV_PRI;
	info->stall = dev->cfg.flags & SIOMMU_DEV_STALL;
	info->pasid_only = dev->cfg.flags & SIOMMU_DEV_PASID_ONLY;
	pthread_mutex_lock(&unit->ctx->lock);
	info->group_size = dev->group->nr_devices;
	pthread_mutex_unlock(&unit->ctx->lock);
	return 0;
}

struct siommu_group SIOMMU_EXPORT *siommu_device_group(struct siommu_device *dev)
{
	return dev->group;
}

void SIOMMU_EXPORT siommu_device_set_fault_handler(struct siommu_device *dev,
						   siommu_fault_fn fn, void *arg)
{
	/* rid_lock, which the fault path reads the pair under and which is
	 * never held across a flush: a device callback may set it too. */
	pthread_mutex_lock(&dev->unit->rid_lock);
	__atomic_store_n(&dev->fault_arg, arg, __ATOMIC_RELEASE);
	__atomic_store_n(&dev->fault_fn, fn, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&dev->unit->rid_lock);
}

int core_device_set_fault_handler_excl(struct siommu_device *dev, siommu_fault_fn fn,
				       void *arg)
{
	int ret = 0;

	pthread_mutex_lock(&dev->unit->rid_lock);
	if (dev->fault_fn) {
		ret = -EBUSY;
	} else {
		__atomic_store_n(&dev->fault_arg, arg, __ATOMIC_RELEASE);
		__atomic_store_n(&dev->fault_fn, fn, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dev->unit->rid_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_device_set_pasid_hooks(struct siommu_device *dev,
					       unsigned int pasid_bits,
					       const struct siommu_pasid_hooks *hooks,
					       void *arg)
{
	struct siommu_ctx *ctx;
	struct core_att ***att;
	unsigned int c, nr;
	uint32_t p;
	int ret = 0;

	if (!dev || (hooks && (!hooks->install_pasid || !hooks->remove_pasid ||
			       !pasid_bits || pasid_bits > SIOMMU_PASID_BITS ||
			       ((dev->cfg.flags & SIOMMU_DEV_STALL) && !hooks->stall_end))))
		return -EINVAL;
	if (!dev->unit->pasid_hooks || dev->cfg.alias_rid >= 0)
		return -EOPNOTSUPP;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->lock);
	if (hooks && dev->pasid_hooks) {
		ret = -EBUSY;
		goto out_unlock;
	}
	for (p = 1; p <= dev->max_pasid; p++) {
		if (!dev->att[p >> ATT_CHUNK_SHIFT]) {
			p |= ATT_CHUNK - 1;
			continue;
		}
		if (core_att_get(dev, p)) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	/* The attachment table grows to the PASID width, the RID's chunk
	 * kept; removing the hooks frees the (empty) PASID chunks and keeps
	 * the table, so that it needs no allocation. */
	nr = hooks ? (((1u << pasid_bits) - 1) >> ATT_CHUNK_SHIFT) + 1 : 1;
	if (nr > dev->nr_chunks) {
		if (mem_should_fail(ctx->mem)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		att = calloc(nr, sizeof(*att));
		if (!att) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		memcpy(att, dev->att, dev->nr_chunks * sizeof(*att));
		free(dev->att);
		dev->att = att;
		dev->nr_chunks = nr;
	}
	for (c = 1; !hooks && c < dev->nr_chunks; c++) {
		free(dev->att[c]);
		dev->att[c] = NULL;
	}
	dev->pasid_bits = hooks ? pasid_bits : 0;
	dev->max_pasid = hooks ? (1u << pasid_bits) - 1 : 0;
	dev->pasid_hooks = hooks;
	dev->pasid_hooks_arg = arg;
	if (dev->unit->ops->dev_pasid_hooks)
		dev->unit->ops->dev_pasid_hooks(dev);
out_unlock:
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

/* Reports from drivers ---------------------------------------------------- */

/* The device using @rid as its RID or alias; caller holds rid_lock. */
static struct siommu_device *dev_by_rid(struct siommu_unit *unit, uint16_t rid)
{
	return unit_find_rid(unit, rid, true);
}

void core_report_fault_unowned(struct siommu_unit *unit)
{
	__atomic_fetch_add(&unit->n_fault_unhandled, 1, __ATOMIC_RELAXED);
}

void core_report_fault(struct siommu_unit *unit, const struct siommu_fault *f)
{
	struct siommu_device *dev;
	siommu_fault_fn fn;
	void *arg;

	/* A device is removed only after its DMA stopped, so none that is
	 * faulting can go away under us; rid_lock is never held across a
	 * wait, and the handler runs with no lock held. */
	pthread_mutex_lock(&unit->rid_lock);
	dev = dev_by_rid(unit, f->rid);
	fn = dev ? __atomic_load_n(&dev->fault_fn, __ATOMIC_ACQUIRE) : NULL;
	arg = dev ? __atomic_load_n(&dev->fault_arg, __ATOMIC_ACQUIRE) : NULL;
	pthread_mutex_unlock(&unit->rid_lock);
	if (fn)
		fn(arg, dev, f);
	else
		core_report_fault_unowned(unit);
}

struct core_att *core_att_by_req(struct siommu_unit *unit, const struct iommu_page_request *req,
				 struct siommu_device **dev, bool *via_rid)
{
	uint32_t pasid = req->pasid_present ? req->pasid : 0;
	struct core_att *att = NULL;

	*via_rid = false;
	*dev = dev_by_rid(unit, req->rid);
	if (!*dev)
		return NULL;
	if (pasid <= (*dev)->max_pasid)
		att = core_att_get(*dev, pasid);
	if (!att && pasid && unit->ops->user_pasid_table) {
		/* The guest owns the PASID table: its nested domain at the
		 * RID takes the PASIDs the host has not attached. */
		att = core_att_get(*dev, 0);
		if (att && att->dom->type != SIOMMU_DOMAIN_NESTED)
			att = NULL;
		*via_rid = att;
	}
	return att;
}

struct siommu_domain *core_dom_by_req(struct siommu_unit *unit,
				      const struct iommu_page_request *req,
				      struct siommu_device **dev, bool *via_rid)
{
	struct core_att *att = core_att_by_req(unit, req, dev, via_rid);

	return att ? att->dom : NULL;
}

void core_device_set_vevent(struct siommu_device *dev, core_vevent_fn fn, void *arg,
			    uint64_t virt_id)
{
	pthread_mutex_lock(&dev->unit->rid_lock);
	dev->vevent_fn = fn;
	dev->vevent_arg = arg;
	dev->vevent_virt_id = virt_id;
	pthread_mutex_unlock(&dev->unit->rid_lock);
	/* Calls of the old sink started under rid_lock before. */
	while (__atomic_load_n(&dev->vevent_busy, __ATOMIC_ACQUIRE))
		sched_yield();
}

int core_report_vevent(struct siommu_unit *unit, uint16_t rid, uint32_t type, const void *raw,
		       size_t len, core_vevent_build_fn build)
{
	unsigned char ev[CORE_VEVENT_MAX];
	struct siommu_device *dev;
	struct core_att *att;
	core_vevent_fn fn = NULL;
	uint64_t virt_id = 0;
	void *arg = NULL;
	int ret;

	if (len > sizeof(ev))
		return -EINVAL;
	/* The attachment table changes under rid_lock too. */
	pthread_mutex_lock(&unit->rid_lock);
	dev = dev_by_rid(unit, rid);
	att = dev ? core_att_get(dev, 0) : NULL;
	if (att && att->dom->type == SIOMMU_DOMAIN_NESTED && dev->vevent_fn) {
		fn = dev->vevent_fn;
		arg = dev->vevent_arg;
		virt_id = dev->vevent_virt_id;
		__atomic_fetch_add(&dev->vevent_busy, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&unit->rid_lock);
	if (!fn)
		return -ENOENT;
	build(ev, raw, virt_id);
	ret = fn(arg, dev, type, ev, len);
	__atomic_fetch_sub(&dev->vevent_busy, 1, __ATOMIC_RELEASE);
	return ret;
}

void core_domain_set_iopf_deliver(struct siommu_domain *dom, core_iopf_deliver_fn fn,
				  void *arg)
{
	SIOMMU_ASSERT(!dom->nr_atts);
	dom->iopf_deliver = fn;
	dom->iopf_deliver_arg = arg;
}

void core_report_page_requests(struct siommu_unit *unit,
			       const struct iommu_page_request *req, unsigned int n)
{
	core_iopf_report(unit, req, n);
	defer_run();
}

/* Domains ----------------------------------------------------------------- */

static void domain_map_undo(void *arg, uint64_t iova, uint64_t last);

struct siommu_domain *core_domain_new(struct siommu_ctx *ctx, enum siommu_domain_type type)
{
	struct siommu_domain *dom;

	if (mem_should_fail(ctx->mem))
		return NULL;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return NULL;
	dom->ctx = ctx;
	dom->type = type;
	pthread_mutex_init(&dom->lock, NULL);
	CDS_INIT_LIST_HEAD(&dom->atts);
	CDS_INIT_LIST_HEAD(&dom->nested);
	return dom;
}

/*
 * A new domain of @unit for @cfg, published in the context. With @sva (an
 * SVA domain's table and handler), the table is borrowed, not created.
 */
static int domain_create(struct siommu_unit *unit, const struct siommu_domain_cfg *cfg,
			 const struct siommu_domain *sva, struct siommu_domain **out)
{
	struct siommu_pt_cfg pc = { 0 };
	struct siommu_ctx *ctx = unit->ctx;
	struct siommu_domain *dom;
	int ret;

	if (core_in_queue())
		return -EDEADLK;
	dom = core_domain_new(ctx, cfg->type);
	if (!dom)
		return -ENOMEM;
	/* The driver picks stage, width, format and page sizes: what the
	 * unit walks, narrowed to the caller's choice. */
	ret = unit->ops->domain_init(unit, dom, cfg, &pc);
	if (ret)
		goto out_free_dom;
	/* Dirty marks are the unit's, in the table format the driver
	 * chose: a driver that did not ask the table for them (SMMUv3,
	 * SMMUv2: no hardware dirty state) offers no tracking, unless it
	 * keeps the table and its dirty marks itself (domain_map and
	 * domain_read_and_clear_dirty: the mock unit). */
	if ((cfg->flags & SIOMMU_DOMAIN_DIRTY_TRACKING) && !(pc.flags & SIOMMU_PT_DIRTY_TRACKING) &&
	    !(unit->ops->domain_map && unit->ops->domain_read_and_clear_dirty)) {
		ret = -EOPNOTSUPP;
		goto out_fini_dom;
	}
	if (sva) {
		struct siommu_pt_cfg tc;

		siommu_pt_get_cfg(sva->pt, &tc);
		/* The unit walks the process's table only in the format
		 * its driver named: the process's CPU must be that one. */
		if (tc.format != pc.format || dom->ias != tc.ias) {
			ret = -EOPNOTSUPP;
			goto out_fini_dom;
		}
		dom->pt = sva->pt;
		dom->pt_shared = true;
		dom->sva_supervisor = sva->sva_supervisor;
		dom->iopf_fn = sva->iopf_fn;
		dom->iopf_arg = sva->iopf_arg;
	} else if (cfg->type == SIOMMU_DOMAIN_PAGING && !unit->ops->domain_map) {
		ret = siommu_pt_create(ctx->mem, &pc, &dom->pt);
		if (ret)
			goto out_fini_dom;
		pt_set_undo_hook(dom->pt, domain_map_undo, dom);
	}
	dom->ops = unit->ops;
	pthread_mutex_lock(&ctx->lock);
	cds_list_add_tail(&dom->node, &ctx->domains);
	pthread_mutex_unlock(&ctx->lock);
	*out = dom;
	return 0;

out_fini_dom:
	if (unit->ops->domain_fini)
		unit->ops->domain_fini(dom);
out_free_dom:
	pthread_mutex_destroy(&dom->lock);
	free(dom);
	return ret;
}

int SIOMMU_EXPORT siommu_domain_alloc(struct siommu_unit *unit,
				      const struct siommu_domain_cfg *cfg,
				      struct siommu_domain **out)
{
	if (!unit || !cfg || !out || (unsigned int)cfg->type > SIOMMU_DOMAIN_PAGING ||
	    (unsigned int)cfg->stage > SIOMMU_STAGE_SECOND ||
	    (cfg->flags & ~SIOMMU_DOMAIN_DIRTY_TRACKING) ||
	    (cfg->flags && cfg->type != SIOMMU_DOMAIN_PAGING) ||
	    (cfg->dev && cfg->dev->unit != unit))
		return -EINVAL;
	return domain_create(unit, cfg, NULL, out);
}

int core_domain_alloc_sva(struct siommu_unit *unit, struct siommu_pt *pt,
			  bool supervisor, core_iopf_fn fn, void *arg,
			  struct siommu_domain **out)
{
	const struct siommu_domain_cfg cfg = { .type = SIOMMU_DOMAIN_SVA };
	const struct siommu_domain sva = { .pt = pt, .sva_supervisor = supervisor,
					   .iopf_fn = fn, .iopf_arg = arg };
	int ret;

	/* A driver that cannot quiesce an attachment cannot stop a bound
	 * process's DMA at exit: it offers no SVA. */
	if (!unit->ops->attach_quiesce)
		return -EOPNOTSUPP;
	ret = domain_create(unit, &cfg, &sva, out);
	if (!ret)
		(*out)->owner = CORE_ATT_SVA;
	return ret;
}

static void domain_free_locked(struct siommu_domain *dom)
{
	cds_list_del(&dom->node);
	if (dom->parent) {
		pthread_mutex_lock(&dom->parent->lock);
		cds_list_del(&dom->nest_node);
		dom->parent->nr_nested--;
		pthread_mutex_unlock(&dom->parent->lock);
	}
	if (!dom->pt_shared)
		siommu_pt_destroy(dom->pt);
	if (dom->ops->domain_fini)
		dom->ops->domain_fini(dom);
	pthread_mutex_destroy(&dom->lock);
	free(dom);
}

int SIOMMU_EXPORT siommu_domain_free(struct siommu_domain *dom)
{
	struct siommu_ctx *ctx;

	if (!dom)
		return 0;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dom->ctx;
	pthread_mutex_lock(&ctx->lock);
	/* A group's RID domain is attached to each of its devices, so a
	 * domain with no attachment is nobody's RID domain either. */
	if (dom->nr_atts || dom->nr_nested) {
		pthread_mutex_unlock(&ctx->lock);
		return -EBUSY;
	}
	domain_free_locked(dom);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

enum siommu_domain_type SIOMMU_EXPORT siommu_domain_type(const struct siommu_domain *dom)
{
	return dom->type;
}

struct siommu_pt SIOMMU_EXPORT *siommu_domain_pt(struct siommu_domain *dom)
{
	return dom->pt;
}

/*
 * What a parent's change leaves cached by its nested domains' attachments:
 * their entries combine both stages under the nested domain's tag, so the
 * whole of each goes. Caller holds the parent's lock, taken before a
 * child's.
 */
static void nested_flush(struct siommu_domain *parent, bool cm_only)
{
	struct siommu_ctx *ctx = parent->ctx;
	unsigned int i, n = __atomic_load_n(&ctx->nr_units, __ATOMIC_ACQUIRE);
	struct siommu_domain *child;

	cds_list_for_each_entry(child, &parent->nested, nest_node) {
		pthread_mutex_lock(&child->lock);
		for (i = 0; i < n; i++) {
			struct siommu_unit *unit = ctx->units[i];

			if (child->drv[i] && (!cm_only || unit->caching_mode))
				unit->ops->flush_all(unit, child);
		}
		pthread_mutex_unlock(&child->lock);
	}
}

/*
 * Flush [start, last] of @dom on every unit it is attached through (with
 * @cm_only, only on units in caching mode). Caller holds dom->lock, which
 * keeps the attachments stable: an attach that lands after the flush sees
 * the table as it is now.
 */
static void domain_flush(struct siommu_domain *dom, uint64_t start, uint64_t last,
			 bool leaf_only, bool cm_only)
{
	struct siommu_ctx *ctx = dom->ctx;
	unsigned int i, n = __atomic_load_n(&ctx->nr_units, __ATOMIC_ACQUIRE);
	const struct iommu_gather g = { start, last, leaf_only };

	/* Without ctx->lock, which unmap must not wait for: see nr_units. */
	for (i = 0; i < n; i++) {
		struct siommu_unit *unit = ctx->units[i];

		if (dom->drv[i] && (!cm_only || unit->caching_mode))
			unit->ops->iotlb_sync(unit, dom, &g);
	}
	if (unlikely(!cds_list_empty(&dom->nested)))
		nested_flush(dom, cm_only);
}

void core_domain_flush(struct siommu_domain *dom, const struct iommu_gather *g)
{
	pthread_mutex_lock(&dom->lock);
	domain_flush(dom, g->start, g->last, g->leaf_only, false);
	pthread_mutex_unlock(&dom->lock);
}

/*
 * The page table's hook for a map that failed part-way (-EEXIST, -ENOMEM)
 * after taking back the leaves it wrote over [iova, last]: a DMA or a
 * speculative walk may have cached them meanwhile, and nothing of the
 * failed map may stay in an IOTLB once the range can be mapped again.
 * Only leaves went; levels a failed map allocated stay. Out of line and
 * in the table's failure branch, so that a successful map is one tail
 * call to the table.
 */
static __attribute__((cold, noinline)) void
domain_map_undo(void *arg, uint64_t iova, uint64_t last)
{
	struct siommu_domain *dom = arg;

	pthread_mutex_lock(&dom->lock);
	domain_flush(dom, iova, last, true, false);
	pthread_mutex_unlock(&dom->lock);
	defer_run();
}

/*
 * A map that may need a lock: from a device callback (refused), or with
 * a unit in caching mode. CM=0: the unit never caches not-present
 * entries, so a new mapping needs no invalidation (VT-d 6.1). In caching
 * mode it may have cached them, leaves and levels alike (VT-d 6.1,
 * 6.5.3.2): invalidate the range there.
 */
static __attribute__((cold, noinline)) int
domain_map_locked(struct siommu_domain *dom, uint64_t iova, uint64_t pa,
		  uint64_t length, unsigned int prot)
{
	int ret;

	if (core_in_queue())
		return -EDEADLK;
	ret = siommu_pt_map(dom->pt, iova, pa, length, prot);
	if (ret)
		return ret;	/* flushed by domain_map_undo() if it wrote */
	pthread_mutex_lock(&dom->lock);
	domain_flush(dom, iova, iova + length - 1, false, true);
	pthread_mutex_unlock(&dom->lock);
	defer_run();
	return 0;
}

/*
 * A map into a table of the driver's own. Like a pt map, it needs no
 * invalidation: such a unit caches no not-present entries.
 */
static __attribute__((noinline)) int
domain_map_driver(struct siommu_domain *dom, uint64_t iova, uint64_t pa,
		  uint64_t length, unsigned int prot)
{
	if (core_in_queue())
		return -EDEADLK;
	return dom->ops->domain_map(dom, iova, pa, length, prot);
}

int SIOMMU_EXPORT siommu_domain_map(struct siommu_domain *dom, uint64_t iova,
				    uint64_t pa, uint64_t length, unsigned int prot)
{
	if (!dom || dom->type != SIOMMU_DOMAIN_PAGING)
		return -EINVAL;
	if (unlikely(!dom->pt))
		return domain_map_driver(dom, iova, pa, length, prot);
	/* A successful map takes no lock unless some unit caches
	 * not-present entries. */
	if (unlikely(__atomic_load_n(&dom->ctx->any_cm, __ATOMIC_ACQUIRE) ||
		     core_in_queue()))
		return domain_map_locked(dom, iova, pa, length, prot);
	return siommu_pt_map(dom->pt, iova, pa, length, prot);
}

int SIOMMU_EXPORT siommu_domain_unmap(struct siommu_domain *dom, uint64_t iova,
				      uint64_t length, uint64_t *unmapped)
{
	struct siommu_pt_gather g;
	int ret;

	if (!dom || dom->type != SIOMMU_DOMAIN_PAGING)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	if (unlikely(!dom->pt)) {
		ret = dom->ops->domain_unmap(dom, iova, length, unmapped);
		if (ret)
			return ret;
		core_domain_flush_range(dom, iova, iova + length - 1, true);
		defer_run();
		return 0;
	}
	siommu_pt_gather_init(&g);
	ret = siommu_pt_unmap(dom->pt, iova, length, &g, unmapped);
	if (ret)
		return ret;
	if (g.start <= g.last) {
		pthread_mutex_lock(&dom->lock);
		domain_flush(dom, g.start, g.last, g.leaf_only, false);
		pthread_mutex_unlock(&dom->lock);
	}
	siommu_pt_gather_release(&g);
	defer_run();
	return 0;
}

int core_domain_unmap_noflush(struct siommu_domain *dom, uint64_t iova,
			      uint64_t length, struct siommu_pt_gather *gather,
			      uint64_t *unmapped)
{
	SIOMMU_ASSERT(dom->type == SIOMMU_DOMAIN_PAGING);
	return siommu_pt_unmap(dom->pt, iova, length, gather, unmapped);
}

void core_domain_aperture(const struct siommu_domain *dom, uint64_t *start, uint64_t *last)
{
	struct siommu_pt_cfg pc;

	if (!dom->pt) {
		*start = dom->aperture_start;
		*last = dom->aperture_last;
		return;
	}
	siommu_pt_get_cfg(dom->pt, &pc);
	*start = 0;
	/* x86-64 paging maps the lower canonical half only (siommu/pt.h). */
	*last = pc.format == SIOMMU_PT_X86_64 ? (1ull << (pc.ias - 1)) - 1 :
		pc.ias >= 64 ? UINT64_MAX : (1ull << pc.ias) - 1;
}

int core_domain_read_and_clear_dirty(struct siommu_domain *dom, uint64_t iova,
				     uint64_t length, unsigned int flags,
				     siommu_pt_dirty_fn fn, void *arg)
{
	if (!dom->pt)
		return dom->ops->domain_read_and_clear_dirty(dom, iova, length, flags, fn, arg);
	return siommu_pt_read_and_clear_dirty(dom->pt, iova, length, flags, fn, arg);
}

void core_domain_flush_range(struct siommu_domain *dom, uint64_t start,
			     uint64_t last, bool leaf_only)
{
	pthread_mutex_lock(&dom->lock);
	domain_flush(dom, start, last, leaf_only, false);
	pthread_mutex_unlock(&dom->lock);
}

void core_device_quiesce_pasid(struct siommu_device *dev, uint32_t pasid)
{
	struct siommu_ctx *ctx = dev->unit->ctx;
	struct core_att *att;

	pthread_mutex_lock(&ctx->lock);
	att = pasid <= dev->max_pasid ? core_att_get(dev, pasid) : NULL;
	if (att)
		dev->unit->ops->attach_quiesce(dev, pasid, att->dom, att->drv);
	pthread_mutex_unlock(&ctx->lock);
}

void core_domain_flush_all(struct siommu_domain *dom)
{
	struct siommu_ctx *ctx = dom->ctx;
	unsigned int i, n = __atomic_load_n(&ctx->nr_units, __ATOMIC_ACQUIRE);

	pthread_mutex_lock(&dom->lock);
	for (i = 0; i < n; i++)
		if (dom->drv[i])
			ctx->units[i]->ops->flush_all(ctx->units[i], dom);
	if (unlikely(!cds_list_empty(&dom->nested)))
		nested_flush(dom, false);
	pthread_mutex_unlock(&dom->lock);
	defer_run();
}

unsigned int core_device_resv_regions(struct siommu_device *dev,
				      struct iommu_resv_region *r, unsigned int max)
{
	if (!dev->unit->ops->dev_resv_regions)
		return 0;
	return dev->unit->ops->dev_resv_regions(dev, r, max);
}

/* Attach ------------------------------------------------------------------ */

int SIOMMU_EXPORT siommu_device_attach(struct siommu_device *dev,
				       struct siommu_domain *dom)
{
	struct siommu_ctx *ctx;
	struct siommu_group *group;
	struct siommu_device *d;
	struct core_att **atts;
	unsigned int i = 0, n;
	int ret = 0;

	/* A layer's own domain (SVA, a private PASID's) is not the RID's. */
	if (!dev || !dom || dom->owner != CORE_ATT_CALLER)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->lock);
	group = dev->group;
	n = group->nr_devices;
	if (mem_should_fail(ctx->mem)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	atts = calloc(n, sizeof(*atts));
	if (!atts) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	/* Prepare every device of the group before changing any. */
	cds_list_for_each_entry(d, &group->devices, group_node) {
		ret = att_prepare(d, 0, dom, &atts[i]);
		if (ret)
			break;
		i++;
	}
	if (ret) {
		struct siommu_device *u;
		unsigned int j = 0;

		cds_list_for_each_entry(u, &group->devices, group_node) {
			if (j == i)
				break;
			att_abort(u, 0, dom, atts[j++]);
		}
		free(atts);
		goto out_unlock;
	}
	i = 0;
	cds_list_for_each_entry(d, &group->devices, group_node)
		att_switch(d, 0, dom, atts[i++]);
	group->rid_dom = dom;
	free(atts);
out_unlock:
	pthread_mutex_unlock(&ctx->lock);
	defer_run();
	return ret;
}

void SIOMMU_EXPORT siommu_device_detach(struct siommu_device *dev)
{
	struct siommu_ctx *ctx = dev->unit->ctx;
	struct siommu_device *d;

	if (core_in_queue()) {
		detach_defer(dev);
		return;
	}
	pthread_mutex_lock(&ctx->lock);
	cds_list_for_each_entry(d, &dev->group->devices, group_node)
		if (core_att_get(d, 0))
			att_switch(d, 0, NULL, NULL);
	dev->group->rid_dom = NULL;
	pthread_mutex_unlock(&ctx->lock);
	defer_run();
}

int core_device_attach_pasid(struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom, enum core_att_owner owner)
{
	struct siommu_ctx *ctx;
	struct core_att *att, *old;
	bool had;
	int ret;

	/* A layer's own domain (an SVA domain is its process's binds',
	 * siommu/sva.h) is attached by that layer alone. */
	if (dom && dom->owner != CORE_ATT_CALLER && dom->owner != owner)
		return -EINVAL;
	if (!dev || !dom)
		return -EINVAL;
	if (!dev->pasid_bits)		/* none, or behind an alias */
		return -EOPNOTSUPP;
	if (!pasid || pasid > dev->max_pasid)
		return -ERANGE;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->lock);
	old = core_att_get(dev, pasid);
	had = old != NULL;
	/* Another layer's attachment is that layer's to replace. */
	if (had && old->owner != owner) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Each attachment holds a reference: the PASID is not reused while
	 * any device still translates with it. A PASID its owner freed gets
	 * no new attachment, a replace included, even while old ones hold
	 * it. A replace keeps the reference its attachment has. */
	if (had) {
		struct siommu_pasid_info pi;

		ret = siommu_pasid_query(ctx->pasids, pasid, &pi);
		if (!ret && !pi.allocated)
			ret = -ENOENT;
	} else {
		ret = core_pasid_get_allocated(ctx->pasids, pasid);
	}
	if (ret)
		goto out_unlock;
	ret = att_prepare(dev, pasid, dom, &att);
	if (ret) {
		if (!had)
			siommu_pasid_put(ctx->pasids, pasid);
		goto out_unlock;
	}
	att->owner = owner;
	att_switch(dev, pasid, dom, att);
out_unlock:
	pthread_mutex_unlock(&ctx->lock);
	defer_run();
	return ret;
}

int SIOMMU_EXPORT siommu_device_attach_pasid(struct siommu_device *dev,
					     uint32_t pasid,
					     struct siommu_domain *dom)
{
	return core_device_attach_pasid(dev, pasid, dom, CORE_ATT_CALLER);
}

int core_device_detach_pasid(struct siommu_device *dev, uint32_t pasid,
			     enum core_att_owner owner)
{
	struct siommu_ctx *ctx;
	struct core_att *att;
	int ret = 0;

	if (!dev || !pasid || pasid > dev->max_pasid)
		return -ENOENT;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	pthread_mutex_lock(&ctx->lock);
	att = core_att_get(dev, pasid);
	if (!att)
		ret = -ENOENT;
	else if (att->owner != owner)
		ret = -EBUSY;
	else
		att_detach_pasid(dev, pasid);
	pthread_mutex_unlock(&ctx->lock);
	defer_run();
	return ret;
}

int SIOMMU_EXPORT siommu_device_detach_pasid(struct siommu_device *dev,
					     uint32_t pasid)
{
	return core_device_detach_pasid(dev, pasid, CORE_ATT_CALLER);
}

struct siommu_domain SIOMMU_EXPORT *siommu_device_domain(struct siommu_device *dev,
							 uint32_t pasid)
{
	struct siommu_domain *dom = NULL;
	struct core_att *att;

	if (pasid > dev->max_pasid)
		return NULL;
	SIOMMU_ASSERT(!core_in_queue());	/* not from a device callback */
	pthread_mutex_lock(&dev->unit->ctx->lock);
	att = core_att_get(dev, pasid);
	if (att)
		dom = att->dom;
	pthread_mutex_unlock(&dev->unit->ctx->lock);
	return dom;
}

/* Attachments siommu_device_for_each_attachment() reads per lock hold. */
#define ATT_WALK_BATCH 64

int SIOMMU_EXPORT siommu_device_for_each_attachment(struct siommu_device *dev,
						   siommu_attachment_fn fn, void *arg)
{
	struct siommu_ctx *ctx;
	struct { uint32_t pasid; struct siommu_domain *dom; } batch[ATT_WALK_BATCH];
	uint64_t next = 0, end;
	unsigned int i, n;
	int ret = 0;

	if (!dev || !fn)
		return -EINVAL;
	if (core_in_queue())
		return -EDEADLK;
	ctx = dev->unit->ctx;
	end = (uint64_t)dev->nr_chunks * ATT_CHUNK;
	/* @fn runs with no lock held (core.h): the attachments are read in
	 * batches under ctx->lock, and each batch is handed out after it is
	 * dropped. */
	while (!ret && next < end) {
		n = 0;
		pthread_mutex_lock(&ctx->lock);
		for (; next < end && n < ATT_WALK_BATCH; next++) {
			struct core_att *att;

			if (!dev->att[next >> ATT_CHUNK_SHIFT]) {
				next |= ATT_CHUNK - 1;
				continue;
			}
			att = core_att_get(dev, (uint32_t)next);
			if (att) {
				batch[n].pasid = (uint32_t)next;
				batch[n].dom = att->dom;
				n++;
			}
		}
		pthread_mutex_unlock(&ctx->lock);
		for (i = 0; i < n && !ret; i++)
			ret = fn(arg, batch[i].pasid, batch[i].dom);
	}
	return ret;
}

void SIOMMU_EXPORT siommu_ctx_destroy(struct siommu_ctx *ctx)
{
	struct siommu_domain *dom, *dn;
	unsigned int i;

	if (!ctx)
		return;
	SIOMMU_ASSERT(!core_in_queue());	/* not from a device callback */
	/* Leaves first: owners (the DMA API) detach through the core. */
	for (i = 0; i < ctx->nr_units; i++) {
		struct siommu_device *d;

		cds_list_for_each_entry(d, &ctx->units[i]->devices, unit_node)
			owner_release(d);
	}
	SIOMMU_ASSERT(cds_list_empty(&ctx->dma_doms));
	/* Handlers are done and what is queued answered, while the units
	 * can still answer. */
	core_iopf_fini(ctx);
	pthread_mutex_lock(&ctx->lock);
	for (i = 0; i < ctx->nr_units; i++) {
		struct siommu_unit *unit = ctx->units[i];

		while (!cds_list_empty(&unit->devices))
			device_remove_locked(cds_list_first_entry(&unit->devices,
					struct siommu_device, unit_node));
	}
	/* Nested domains before the parents they unlink from. */
	cds_list_for_each_entry_safe(dom, dn, &ctx->domains, node)
		if (dom->parent)
			domain_free_locked(dom);
	cds_list_for_each_entry_safe(dom, dn, &ctx->domains, node)
		domain_free_locked(dom);
	for (i = 0; i < ctx->nr_units; i++) {
		ctx->units[i]->ops->unit_fini(ctx->units[i]);
		pthread_mutex_destroy(&ctx->units[i]->rid_lock);
		free(ctx->units[i]);
	}
	pthread_mutex_unlock(&ctx->lock);
	siommu_pasid_space_destroy(ctx->pasids);
	if (ctx->own_mem)
		siommu_mem_destroy(ctx->mem);
	pthread_mutex_destroy(&ctx->dma_lock);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}
