/* SPDX-License-Identifier: MIT */
/*
 * Internal view of the OS half: the objects of siommu/core.h and the
 * interface between the core and its drivers.
 *
 * Ownership: the context owns units and domains; a unit owns its devices;
 * groups are owned by their devices (freed with the last one). Attachments
 * (struct core_att) are owned by the device they are on and linked into the
 * domain they point at.
 *
 * Locking: ctx->lock serialises every configuration change: units, devices,
 * groups, domains' lifetime and every attachment change, and the driver's
 * table writes for them. A domain's attachment list changes only under both
 * ctx->lock and dom->lock, so unmap (which must not wait for configuration
 * calls) iterates it under dom->lock alone. The driver's invalidation queue
 * has its own lock, taken last. Fault handlers are read with acquire loads
 * and called with no lock held.
 *
 * Drivers (src/core/drivers/) plug in through struct iommu_ops
 * (iommu_ops.h); their state hangs off the opaque drv pointers below.
 * Device owners (the DMA API, later SVA and iommufd) claim a device with
 * siommu_device_claim(); the core calls their release callback, never an
 * upper layer by name.
 */
#ifndef SIOMMU_CORE_INTERNAL_H
#define SIOMMU_CORE_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <urcu/list.h>

#include <siommu/core.h>
#include "core/iommu_ops.h"
#include "mem/mem_internal.h"

#define CORE_MAX_UNITS 16	/* units one domain may be used on at once */

struct iommu_ops;
struct core_iopf;

/*
 * A domain's I/O page-fault handler: resolve one page request of a group
 * (the page at req->addr, for req->read / req->write). Returns
 * IOMMU_PAGE_RESP_SUCCESS or the code the group is answered with. Runs in
 * the fault path's worker (or siommu_iopf_poll()) with no core lock held;
 * the attachment it came through stays until it returns.
 */
typedef enum iommu_page_resp_code (*core_iopf_fn)(void *arg,
						  const struct iommu_page_request *req);

struct siommu_ctx {
	pthread_mutex_t lock;
	struct siommu_mem *mem;
	bool own_mem;
	struct siommu_pasid_space *pasids;
	struct cds_list_head domains;	/* siommu_domain.node */
	/* Units are only added while the context lives, each published with
	 * a release store of nr_units: unmap walks them without the lock. */
	struct siommu_unit *units[CORE_MAX_UNITS];
	unsigned int nr_units;
	/* Some unit caches not-present entries (caching mode): maps
	 * invalidate. Set under lock with a release store, never cleared. */
	bool any_cm;
	/*
	 * The DMA API's state (src/dma/dma.c), kept here because it is per
	 * context: dma_lock serialises its configuration calls (setup,
	 * teardown, PASID enable/disable) and protects dma_doms; it is taken
	 * before lock, never inside it. dma_policy is the default invalidation
	 * policy (enum siommu_dma_policy), an atomic int.
	 */
	pthread_mutex_t dma_lock;
	struct cds_list_head dma_doms;	/* dma_dom.node */
	int dma_policy;
	/* The I/O page-fault path (iopf.c); NULL until SVA is first used. */
	struct core_iopf *iopf;
};

struct siommu_unit {
	struct siommu_ctx *ctx;
	/* devices changes under ctx->lock and rid_lock; the fault path looks
	 * RIDs up under rid_lock alone, which is never held across a wait
	 * (a faulting DMA thread may sit in an RCU read section). */
	pthread_mutex_t rid_lock;
	struct cds_list_head devices;	/* siommu_device.unit_node */
	unsigned int index;		/* in ctx, for siommu_domain.drv[] */
	const struct iommu_ops *ops;
	void *drv;			/* the driver's per-unit state */
	/* From ops->unit_info at add, constant after. */
	unsigned int pasid_bits;
	bool ats, pri, stall;
	bool caching_mode;
	bool pasid_hooks;		/* hands PASID tables to devices */
	uint64_t n_fault_unhandled;	/* atomic adds, no lock */
	uint64_t n_iopf_overflow;	/* atomic adds, no lock */
};

/*
 * A domain's deliverer of page request groups to a user who answers them
 * later (iommufd's fault queues; Linux: a domain's iopf_handler that
 * queues the group): called with a complete group of @dev at @pasid
 * (0: the RID), its @n requests in order (the last one last), in the
 * thread that reported the group's last request, with no core lock held;
 * it must not wait for the unit or for locks held across a wait for it.
 * Returning true takes the group: it is answered once, by
 * core_iopf_respond(@cookie), or "invalid request" by the core when the
 * attachment it came through goes (core_iopf_flush()). False (no room)
 * has the core answer it "invalid request" at once. The attachment stays
 * until it returns.
 */
typedef bool (*core_iopf_deliver_fn)(void *arg, struct siommu_device *dev, uint32_t pasid,
				     const struct iommu_page_request *req, unsigned int n,
				     uint64_t cookie);

/*
 * An owner's sink of the events of a device's nested translation (Linux:
 * iommufd_viommu_report_event() for a vIOMMU's devices): @data, @len
 * bytes of @type (SIOMMU_VEVENTQ_TYPE_*), the device named by its virtual
 * ID. Returns 0 when queued, else a negative errno (no queue of that
 * type: -EOPNOTSUPP), and the driver reports the event as a fault. Runs
 * in the thread that drained the unit's event queue with no core lock
 * held; it must not wait for the unit.
 * A driver's builder of that event: its record @raw with the device's ID
 * replaced by @virt_id, into @out (as many bytes as @raw).
 */
typedef int (*core_vevent_fn)(void *arg, struct siommu_device *dev, uint32_t type,
			      const void *data, size_t len);
typedef void (*core_vevent_build_fn)(void *out, const void *raw, uint64_t virt_id);

struct siommu_group {
	struct cds_list_head devices;	/* siommu_device.group_node */
	unsigned int nr_devices;
	struct siommu_domain *rid_dom;	/* NULL: blocked */
};

/*
 * An attachment of a domain to (dev, pasid); pasid 0 is the RID. Lives in
 * the device's table and in the domain's list.
 */
/*
 * The layer that made a PASID attachment. Only that layer replaces or
 * detaches it (core_device_attach_pasid(), core_device_detach_pasid()):
 * the public calls act for CORE_ATT_CALLER, and each layer that keeps a
 * PASID for an object of its own (a bind, a private PASID, a device's DMA
 * PASID, an iommufd attachment) acts for itself, so no other caller can
 * take the PASID from under that object.
 */
enum core_att_owner {
	CORE_ATT_CALLER,	/* siommu_device_attach_pasid() */
	CORE_ATT_SVA,		/* an SVA bind (siommu/sva.h) */
	CORE_ATT_PPASID,	/* a private PASID (siommu/ppasid.h) */
	CORE_ATT_DMA,		/* the DMA API's PASID (siommu/dma.h) */
	CORE_ATT_IOMMUFD,	/* an iommufd PASID attachment */
};

struct core_att {
	struct siommu_device *dev;
	uint32_t pasid;
	struct siommu_domain *dom;
	/* Who made it (PASID attachments; CORE_ATT_CALLER at the RID).
	 * Set before the attachment is published, then constant. */
	enum core_att_owner owner;
	struct cds_list_head dom_node;
	/* The driver's state (ops->att_size bytes, attach_prepare). */
	max_align_t drv[];
};

#define ATT_CHUNK_SHIFT 10
#define ATT_CHUNK (1u << ATT_CHUNK_SHIFT)

struct siommu_device {
	struct siommu_unit *unit;
	struct siommu_group *group;
	struct cds_list_head unit_node, group_node;
	struct siommu_device_cfg cfg;
	unsigned int pasid_bits;	/* usable */
	uint32_t max_pasid;
	/* Attachments by PASID: chunks of ATT_CHUNK pointers, lazily;
	 * changed under ctx->lock and unit->rid_lock, so that the fault
	 * path reads them under rid_lock alone. */
	struct core_att ***att;
	unsigned int nr_chunks;
	siommu_fault_fn fault_fn;	/* atomic with fault_arg under
					 * unit->rid_lock */
	void *fault_arg;
	void *drv;			/* the driver's per-device state */
	/*
	 * The owner (siommu_device_claim()): set under ctx->lock, release
	 * first, then the cookie with a release store; cleared in reverse.
	 * A reader without the lock loads the cookie with acquire first
	 * (core_device_owner()). NULL: unowned.
	 */
	siommu_owner_release_fn owner_release;
	void *owner;
	/* Removal in progress: no new owner. Under ctx->lock. */
	bool removing;
	/* The owner's event sink (core_device_set_vevent()) and the
	 * device's virtual ID: set under rid_lock; vevent_busy counts calls
	 * running (atomic). */
	core_vevent_fn vevent_fn;
	void *vevent_arg;
	uint64_t vevent_virt_id;
	unsigned int vevent_busy;
	/* A detach asked for from a device callback (core.c: detach_defer()):
	 * set with an atomic exchange by the thread that asked, which links
	 * the device into its own list (defer_next) and detaches it when
	 * its outer call is done. */
	bool detach_deferred;
	struct siommu_device *defer_next;
	/* PASID users besides the owner (SVA binds, core_dev_user), under
	 * ctx->lock; released after the owner when the device goes. */
	struct cds_list_head users;
	/* PASID hooks (siommu_device_set_pasid_hooks()), under ctx->lock;
	 * the driver calls them under it too. */
	const struct siommu_pasid_hooks *pasid_hooks;
	void *pasid_hooks_arg;
};

/*
 * A user of some of a device's PASIDs that is not its owner: an SVA bind,
 * which the device's driver makes whoever owns the device's DMA. When the
 * device is removed (or its context destroyed) the core unlinks the user
 * and calls @release(user, dev) with no lock held, after the owner's
 * release; the user then detaches what it attached.
 */
struct core_dev_user {
	struct cds_list_head node;	/* siommu_device.users; empty: unlinked */
	void (*release)(struct core_dev_user *user, struct siommu_device *dev);
};

/* Link / unlink @user on @dev (under ctx->lock inside). Add: -ENODEV
 * while the device is being removed. Del: nothing if already unlinked. */
int core_device_user_add(struct siommu_device *dev, struct core_dev_user *user);
void core_device_user_del(struct siommu_device *dev, struct core_dev_user *user);

struct siommu_domain {
	struct siommu_ctx *ctx;
	const struct iommu_ops *ops;	/* of the unit it was allocated on */
	/* The layer whose object the domain serves (an SVA bind's, a
	 * private PASID's): only that layer attaches it. CORE_ATT_CALLER:
	 * any caller. Set before the domain is handed out, then constant. */
	enum core_att_owner owner;
	struct cds_list_head node;
	enum siommu_domain_type type;
	enum siommu_domain_stage stage;	/* resolved: FIRST or SECOND */
	unsigned int ias;
	uint64_t pgsizes;	/* leaf sizes it may use (paging), fixed at alloc */
	struct siommu_pt *pt;	/* NULL: the driver's own (ops->domain_map) */
	/* A driver-owned table's input range, from domain_init (a pt's is
	 * its format's: core_domain_aperture()). */
	uint64_t aperture_start, aperture_last;
	pthread_mutex_t lock;
	struct cds_list_head atts;	/* core_att.dom_node */
	unsigned int nr_atts;
	/* The driver's state for the domain on each unit (by
	 * siommu_unit.index), NULL while nothing is attached through it;
	 * changed by the driver under ctx->lock and lock, read by unmap
	 * under lock. */
	void *drv[CORE_MAX_UNITS];
	void *drv_dom;			/* the driver's from domain_init, if any */
	/* SVA (constant after alloc): the table is the process's, not
	 * freed with the domain; supervisor requests allowed or not; the
	 * I/O page-fault handler and its argument. */
	bool pt_shared;
	bool sva_supervisor;
	core_iopf_fn iopf_fn;
	void *iopf_arg;
	/* Or a deliverer (core_domain_set_iopf_deliver()), set before the
	 * domain is first attached. */
	core_iopf_deliver_fn iopf_deliver;
	void *iopf_deliver_arg;
	/* Nesting: a nested domain's parent and its node in the parent's
	 * children (changed under ctx->lock and the parent's lock, which
	 * the parent's flushes hold to reach the children). */
	struct siommu_domain *parent;
	struct cds_list_head nested;	/* children: nest_node */
	struct cds_list_head nest_node;
	unsigned int nr_nested;
};

/*
 * vIOMMUs, for iommufd (src/core/iommu_ops.h: viommu_*), each call under
 * ctx->lock. core_viommu_init: -EOPNOTSUPP for a unit without vIOMMUs,
 * -EINVAL for a parent that is not a paging domain of @unit's type and
 * context, else the driver's answer. core_viommu_invalidate: the user's
 * array of @data_type; *entry_num in, and out as the entries handled;
 * -EFAULT for entries at NULL, else the driver's answer. @lookup runs
 * under ctx->lock.
 */
int core_viommu_init(struct siommu_unit *unit, uint32_t type, struct siommu_domain *parent,
		     void **out);
void core_viommu_fini(struct siommu_unit *unit, void *viommu);
/* siommu_domain_alloc_nested() from vIOMMU @viommu (core_viommu_init()'s
 * state over @parent): the driver tags the domain's entries with what the
 * vIOMMU holds. Same errors. */
int core_viommu_alloc_nested(struct siommu_unit *unit, void *viommu,
			     struct siommu_domain *parent, uint32_t data_type,
			     const void *data, size_t len, struct siommu_domain **out);
int core_viommu_invalidate(struct siommu_unit *unit, void *viommu, uint32_t data_type,
			   const void *array, uint32_t entry_len, uint32_t *entry_num,
			   iommu_vdev_lookup_fn *lookup, void *arg);
/*
 * Hardware queues of a vIOMMU (src/core/iommu_ops.h: hw_queue_*), each
 * under ctx->lock. core_hw_queue_info: -EOPNOTSUPP for a unit without
 * queues, else the driver's answer.
 */
int core_hw_queue_info(struct siommu_unit *unit, void *viommu, uint32_t type,
		       uint32_t *nr_index, bool *in_order);
int core_hw_queue_init(struct siommu_unit *unit, void *viommu, uint32_t type, uint32_t index,
		       uint64_t pa, uint64_t length, void **out);
void core_hw_queue_fini(struct siommu_unit *unit, void *viommu, void *queue);

/* A new domain of @type in @ctx, its lists and lock ready, before the
 * driver shapes it; NULL when out of memory (a fallible step). */
struct siommu_domain *core_domain_new(struct siommu_ctx *ctx, enum siommu_domain_type type);

/*
 * siommu_pasid_get() for a new attachment: -ENOENT also once the PASID's
 * allocation reference was dropped (siommu_pasid_free()), even while other
 * attachments still hold it; a freed PASID gets no new user.
 */
int core_pasid_get_allocated(struct siommu_pasid_space *space, uint32_t pasid);

/* Attachment table of a device. */
struct core_att *core_att_get(struct siommu_device *dev, uint32_t pasid);

/*
 * For the DMA API's lazy invalidation (src/dma). core_domain_unmap_noflush()
 * is siommu_domain_unmap() without the IOTLB flush: the leaves are gone from
 * the table, freed levels are added to @gather, and the caller must flush
 * (core_domain_flush_all() or a range covering @gather) before it reuses the
 * range's IOVAs or releases @gather. core_domain_flush_all() invalidates the
 * whole domain, walk caches included, on every attachment, and waits.
 * Both may run concurrently with map/unmap of other ranges and with attach.
 */
int core_domain_unmap_noflush(struct siommu_domain *dom, uint64_t iova,
			      uint64_t length, struct siommu_pt_gather *gather,
			      uint64_t *unmapped);
void core_domain_flush_all(struct siommu_domain *dom);

/*
 * The IOVAs paging domain @dom can translate, [*start, *last]: its
 * table's input range (x86-64 paging: the lower canonical half), or what
 * the driver set for a table of its own. Never fails.
 */
void core_domain_aperture(const struct siommu_domain *dom, uint64_t *start, uint64_t *last);

/*
 * siommu_pt_read_and_clear_dirty() on paging domain @dom's table, pt's or
 * the driver's own. Same contract.
 */
int core_domain_read_and_clear_dirty(struct siommu_domain *dom, uint64_t iova,
				     uint64_t length, unsigned int flags,
				     siommu_pt_dirty_fn fn, void *arg);

/*
 * The owner cookie of @dev if @release is its owner's release callback,
 * else NULL. Lock-free: for an owner's own fast paths, which do not run
 * concurrently with its claim or unclaim of the device.
 */
static inline void *core_device_owner(struct siommu_device *dev,
				      siommu_owner_release_fn release)
{
	void *cookie = __atomic_load_n(&dev->owner, __ATOMIC_ACQUIRE);

	if (cookie && __atomic_load_n(&dev->owner_release, __ATOMIC_RELAXED) == release)
		return cookie;
	return NULL;
}

/*
 * For drivers' domain_init: the leaf sizes of a new paging domain, what
 * the unit walks for its stage (@walks) narrowed to the caller's choice
 * (@asked, siommu_domain_cfg.pgsize_bitmap; 0: all of @walks), which must
 * include 4K and nothing the unit does not walk. 0 with *@out set, or
 * -EINVAL.
 */
static inline int core_domain_pgsizes(uint64_t walks, uint64_t asked, uint64_t *out)
{
	if (!asked) {
		*out = walks;
		return 0;
	}
	if (!(asked & SIOMMU_PGSIZE_4K) || (asked & ~walks))
		return -EINVAL;
	*out = asked;
	return 0;
}

/*
 * Queue processing in this thread. A driver whose unit runs device
 * callbacks inside its queue submission (VT-d: the thread that writes IQT,
 * q_lock held) marks that span with core_queue_enter()/core_queue_exit().
 * Inside it, the thread may also hold ctx->lock or dom->lock, from the
 * call that flushed: a call from a device callback that would take either,
 * or wait for a queue, is refused (-EDEADLK), and siommu_device_detach()
 * is deferred to the end of that outer call (core.c: detach_defer()).
 */
extern __thread unsigned int core_queue_depth __attribute__((tls_model("initial-exec")));

static inline void core_queue_enter(void)
{
	core_queue_depth++;
}

static inline void core_queue_exit(void)
{
	core_queue_depth--;
}

static inline bool core_in_queue(void)
{
	return unlikely(core_queue_depth != 0);
}

/*
 * The reserved IOVA regions of @dev (ops->dev_resv_regions): up to @max
 * into @r, returns how many there are. No lock; never fails.
 */
unsigned int core_device_resv_regions(struct siommu_device *dev,
				      struct iommu_resv_region *r, unsigned int max);

/*
 * A domain of type SVA on @unit translating through @pt (an x86-64 table
 * owned by the caller, which outlives the domain), user requests only
 * unless @supervisor, whose page requests go to @fn(@arg, ...). Freed with
 * siommu_domain_free() (the table stays). 0, -EOPNOTSUPP (the unit cannot
 * walk such a table), -ENOMEM.
 */
int core_domain_alloc_sva(struct siommu_unit *unit, struct siommu_pt *pt,
			  bool supervisor, core_iopf_fn fn, void *arg,
			  struct siommu_domain **out);

/*
 * siommu_device_attach_pasid() and siommu_device_detach_pasid() for
 * @owner (the public calls are these for CORE_ATT_CALLER). An attachment
 * made for another owner is neither replaced nor detached: -EBUSY, and
 * nothing changes. A domain a layer made for its own object (an SVA
 * domain, a private PASID's: siommu_domain.owner) only that layer
 * attaches (-EINVAL for the others).
 */
int core_device_attach_pasid(struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom, enum core_att_owner owner);
int core_device_detach_pasid(struct siommu_device *dev, uint32_t pasid,
			     enum core_att_owner owner);

/* siommu_device_set_fault_handler() of @fn only if @dev has none:
 * -EBUSY otherwise, nothing changed. For a device model whose handler
 * must not be taken over. */
int core_device_set_fault_handler_excl(struct siommu_device *dev, siommu_fault_fn fn,
				       void *arg);

/*
 * Invalidate [start, last] of @dom on every attachment (IOTLB, and the
 * paging-structure caches unless @leaf_only; device TLBs) and wait. May
 * run concurrently with everything on the domain but its free.
 */
void core_domain_flush_range(struct siommu_domain *dom, uint64_t start,
			     uint64_t last, bool leaf_only);

/*
 * Stop DMA through (dev, pasid) silently, keeping the attachment
 * (ops->attach_quiesce): for a process that exits while bound. Nothing
 * if nothing is attached there. Never fails.
 */
void core_device_quiesce_pasid(struct siommu_device *dev, uint32_t pasid);

/*
 * core_device_set_vevent - make @fn(@arg) the sink of the events of
 * @dev's nested translation, the device known there as @virt_id (fn
 * NULL: none). When it returns, no call of the previous sink runs. Never
 * fails; not from inside a sink.
 * core_report_vevent - called by drivers: an event of the translation of
 * the device at @rid (or alias) whose RID is attached to a nested domain,
 * @raw (@len bytes, at most CORE_VEVENT_MAX) of @type, built for the
 * device's sink with @build. 0 when the sink queued it; -ENOENT (no such
 * device, no sink, not nested), -EINVAL (@len) or the sink's error, and
 * the driver reports it as a fault. No lock of the driver held.
 */
#define CORE_VEVENT_MAX 64
void core_device_set_vevent(struct siommu_device *dev, core_vevent_fn fn, void *arg,
			    uint64_t virt_id);
int core_report_vevent(struct siommu_unit *unit, uint16_t rid, uint32_t type, const void *raw,
		       size_t len, core_vevent_build_fn build);

/* The I/O page-fault path (iopf.c). */
/* Set it up (queue, worker in WORKER mode) if not yet: 0, -ENOMEM, -EAGAIN. */
int core_iopf_enable(struct siommu_ctx *ctx);
/* Set up the queue alone, for deliverers, which need no worker: 0,
 * -ENOMEM. */
int core_iopf_init(struct siommu_ctx *ctx);
/*
 * Make @fn(@arg) the deliverer of @dom's page request groups (a paging or
 * nested domain, not attached yet). Never fails.
 */
void core_domain_set_iopf_deliver(struct siommu_domain *dom, core_iopf_deliver_fn fn,
				  void *arg);
/*
 * Answer the group a deliverer took with @cookie, with @code, through its
 * unit. 0, or -ENOENT: no such group waits (answered already, by an
 * earlier call or by a detach). No core lock held; not from a deliverer.
 */
int core_iopf_respond(struct siommu_ctx *ctx, uint64_t cookie,
		      enum iommu_page_resp_code code);
/*
 * The attachment where @req goes, from its RID or alias: at its PASID if
 * it has one, else at the RID; and, on a unit whose nested domains own
 * the PASID table (iommu_ops.user_pasid_table), at the RID when that
 * holds a nested domain and the PASID has nothing attached (*via_rid
 * true). *dev is the device (NULL: none). NULL when nothing is attached.
 * Caller holds unit->rid_lock or ctx->lock.
 * core_dom_by_req - the same, for the attachment's domain.
 */
struct core_att *core_att_by_req(struct siommu_unit *unit, const struct iommu_page_request *req,
				 struct siommu_device **dev, bool *via_rid);
struct siommu_domain *core_dom_by_req(struct siommu_unit *unit,
				      const struct iommu_page_request *req,
				      struct siommu_device **dev, bool *via_rid);
/* Stop the worker and answer what is queued; at context destroy. */
void core_iopf_fini(struct siommu_ctx *ctx);
/*
 * Queue @n page requests of @unit (the driver's report goes through
 * core_report_page_requests()): grouped, handed to the domain's handler
 * or deliverer, answered through ops->page_response.
 */
void core_iopf_report(struct siommu_unit *unit, const struct iommu_page_request *req,
		      unsigned int n);
/*
 * (dev, pasid) was detached from a domain with a fault handler or
 * deliverer: under ctx->lock, before the PASID reference is dropped.
 * Drains the unit's page requests, answers the complete groups queued or
 * delivered for it "invalid request", forgets incomplete ones, and waits
 * for a group being handled for it, so that each group gets one answer
 * and none after the PASID is reused.
 */
void core_iopf_flush(struct siommu_device *dev, uint32_t pasid);

#endif
