/* SPDX-License-Identifier: MIT */
/*
 * The driver interface of the OS half: what the core asks of a driver for
 * one IOMMU type, in the spirit of Linux's iommu_ops / iommu_domain_ops.
 *
 * Objects. A driver keeps its state behind three opaque pointers the core
 * holds for it and never looks through:
 *   - siommu_unit.drv: per unit (registers, queues, ID allocators);
 *   - siommu_device.drv: per device (its stream or context entries, PASID
 *     or CD tables);
 *   - siommu_domain.drv[unit index]: per domain and unit it is attached
 *     through (a domain ID, ASID or VMID, and the driver's own record of
 *     the domain's attachments there); NULL while the domain has no
 *     attachment through that unit: the core flushes a domain only on the
 *     units where it is set.
 * and one per attachment: ops->att_size bytes the core allocates with its
 * own attachment record (core_att.drv), zeroed, filled by attach_prepare
 * and handed to attach_commit/attach_abort; one allocation per attach.
 *
 * Attach in three steps, for a RID (pasid 0) or a RID+PASID:
 *   - attach_prepare allocates everything the change needs (domain ID,
 *     table pages, the attachment's state) and checks that the unit can
 *     walk the domain; it may fail, and then leaves nothing behind;
 *   - attach_commit makes the entry translate through the new domain,
 *     replacing the old one with no window in which DMA is blocked, and
 *     invalidates what the old one left cached; it cannot fail;
 *   - attach_abort gives back what a prepare took when a later step of the
 *     same change failed (a group attach prepares every device first).
 * Detach is a commit to NULL (blocked), with no prepare. A PASID attach
 * reaches a unit without PASIDs (pasid_bits 0) only for a device with PASID
 * hooks (info->pasid_hooks, siommu_device_set_pasid_hooks()): the driver
 * hands the table to the device through them, under ctx->lock.
 *
 * Locking. Every op runs under ctx->lock except:
 *   - iotlb_sync and flush_all, called under dom->lock alone (unmap must
 *     not wait for configuration calls); a driver may read its per-domain
 *     state there, which changes only under both ctx->lock and dom->lock;
 *   - unit_stats and reserved regions, called with no lock;
 *   - page_response, called by the I/O page-fault path with no core lock
 *     held, or under ctx->lock alone when a detach answers the groups
 *     queued for its PASID (core_iopf_flush());
 *   - page_req_drain, under ctx->lock alone.
 * A driver's own locks (its queue) are taken after dom->lock. The driver
 * reports faults and page requests up through core_report_fault() and
 * core_report_page_requests(), with none of its locks held, since those
 * run user callbacks.
 */
#ifndef SIOMMU_IOMMU_OPS_H
#define SIOMMU_IOMMU_OPS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <siommu/core.h>

struct siommu_pt_cfg;

/* What a unit offers, read by the core once at unit add. */
struct iommu_unit_info {
	unsigned int pasid_bits;	/* PASID (SubstreamID) width, 0: none */
	unsigned int ias;		/* default input address width */
	bool ats;			/* devices may use ATS (device TLBs) */
	bool pri;			/* devices may issue page requests */
	bool stall;			/* devices' transactions may stall
					 * (SMMUv3 3.12.2) */
	bool caching_mode;		/* caches not-present entries: a map
					 * must invalidate */
	bool pasid_hooks;		/* no PASIDs in hardware, but PASIDs
					 * of a device with PASID hooks are
					 * handed to it (attach with pasid) */
};

/* A reserved IOVA region of a device: never handed out by the DMA API. */
struct iommu_resv_region {
	uint64_t start, last;		/* inclusive */
};

/* A range to invalidate after an unmap (or a map in caching mode). */
struct iommu_gather {
	uint64_t start, last;		/* inclusive; last may be UINT64_MAX */
	bool leaf_only;			/* no table level was freed */
};

/*
 * An array of the user's driver-specific entries (cache invalidation
 * requests): @entry_num entries of @entry_len bytes at @data, of @type.
 * iommu_user_array_get() copies entry @i into @dst (@size bytes, the
 * driver's structure; @min_size: its first version's): -EINVAL if an
 * entry is shorter than @min_size or longer than @size, -EFAULT if @data
 * is NULL; what the entry lacks up to @size is zeroed.
 * iommu_user_data_get() is the same for one structure of @len bytes.
 */
struct iommu_user_array {
	uint32_t type;
	const void *data;
	uint32_t entry_len;
	uint32_t entry_num;
};
int iommu_user_array_get(const struct iommu_user_array *a, uint32_t i, void *dst,
			 size_t size, size_t min_size);
/* The same check for one structure of @len bytes at @data. */
int iommu_user_data_get(const void *data, size_t len, void *dst, size_t size,
			size_t min_size);

/*
 * A page request, as the driver read it from the unit's queue; or a
 * stalled transaction (stall set; SMMUv3 3.12.2: an event with STALL),
 * reported as a group of one request (last set) whose tag (STAG) is in
 * grpid: the answer resumes it ("success": retry; else abort).
 */
struct iommu_page_request {
	uint16_t rid;
	bool pasid_present;
	uint32_t pasid;
	uint64_t addr;
	uint16_t grpid;			/* page request group index, or STAG */
	bool stall;
	bool last;			/* last request of its group */
	bool read, write;
	bool priv_data_present;
	uint64_t priv_data[2];
};

/* Page group response codes (PCIe 10.4.2). */
enum iommu_page_resp_code {
	IOMMU_PAGE_RESP_SUCCESS = 0,
	IOMMU_PAGE_RESP_INVALID = 1,
	IOMMU_PAGE_RESP_FAILURE = 0xf,
};

/* The answer to the group of a last-in-group request. */
struct iommu_page_response {
	struct iommu_page_request req;	/* the request it answers */
	enum iommu_page_resp_code code;
};

/* The physical device a vIOMMU's user bound under @virt_id (a vDEVICE),
 * or NULL. */
typedef struct siommu_device *iommu_vdev_lookup_fn(void *arg, uint64_t virt_id);

struct iommu_ops {
	const char *name;
	size_t att_size;		/* the driver's per-attachment state */
	/* A nested domain at a RID owns the device's PASID table (the
	 * guest's): a page request tagged with a PASID the host has not
	 * attached goes to it (Linux: iommu_ops.user_pasid_table). */
	bool user_pasid_table;

	/*
	 * Bring up the unit described by @cfg (the type's own configuration
	 * struct, NULL for defaults) and set unit->drv. 0, -ENOMEM,
	 * -EOPNOTSUPP (the unit lacks what the driver needs), -EIO (it does
	 * not respond). On failure nothing is left behind.
	 */
	int (*unit_init)(struct siommu_unit *unit, const void *cfg);
	/* Stop the unit and free its state; devices are gone. */
	void (*unit_fini)(struct siommu_unit *unit);
	void (*unit_info)(struct siommu_unit *unit, struct iommu_unit_info *info);
	/* Counters, read with no lock (from a fault handler too). The core
	 * adds its own (faults_unhandled). */
	void (*unit_stats)(struct siommu_unit *unit, struct siommu_unit_stats *st);
	/* The hardware model the unit drives (for the type's public accessor). */
	void *(*unit_hw)(struct siommu_unit *unit);

	/*
	 * Probe a device the core is adding (cfg, pasid_bits, group set; not
	 * yet findable): set up its entries with every PASID blocked and set
	 * dev->drv. 0, -ENOMEM; nothing left behind on failure.
	 */
	int (*dev_probe)(struct siommu_device *dev);
	/* Undo dev_probe; every attachment is gone. */
	void (*dev_release)(struct siommu_device *dev);
	/*
	 * @dev's PASID hooks were registered or removed
	 * (siommu_device_set_pasid_hooks(): dev->pasid_hooks and its
	 * argument are the new ones, NULL when removed). Under ctx->lock;
	 * cannot fail. NULL: nothing to do.
	 */
	void (*dev_pasid_hooks)(struct siommu_device *dev);
	/*
	 * The IOVA ranges of @dev that must not be mapped for DMA (an
	 * interrupt window), up to @max of them into @r; returns how many
	 * there are (may exceed @max). No lock; never fails. NULL: none.
	 */
	unsigned int (*dev_resv_regions)(struct siommu_device *dev,
					 struct iommu_resv_region *r, unsigned int max);
	/* Fill the hardware fields of siommu_device_get_info(): ias and
	 * pgsize_bitmap for the stage a default paging domain gets. */
	void (*dev_hw_info)(struct siommu_device *dev, struct siommu_device_info *info);
	/*
	 * The unit's information for a user API (iommufd's GET_HW_INFO,
	 * siommu/iommufd.h): its type (SIOMMU_HW_INFO_TYPE_*) into *type,
	 * up to @len bytes of the type's info structure into @data, and the
	 * capabilities (SIOMMU_HW_CAP_*) the unit offers for @dev into
	 * *caps. Returns the structure's full length. No lock; never fails.
	 */
	size_t (*hw_info)(struct siommu_device *dev, uint32_t *type, void *data,
			  size_t len, uint64_t *caps);

	/*
	 * Shape a new domain of @unit from @cfg (type, stage, ias and page
	 * sizes already checked for range): resolve dom->stage, dom->ias and
	 * dom->pgsizes, and for a paging domain fill @pc (format, ias, page
	 * sizes) for its page table. 0, -EOPNOTSUPP (a type or stage the
	 * unit lacks), -EINVAL (width or page sizes it cannot walk).
	 */
	int (*domain_init)(struct siommu_unit *unit, struct siommu_domain *dom,
			   const struct siommu_domain_cfg *cfg, struct siommu_pt_cfg *pc);
	/* Free what domain_init kept, if anything (NULL: nothing). */
	void (*domain_fini)(struct siommu_domain *dom);
	/*
	 * Paging domains whose table is the driver's own rather than one of
	 * pt's formats (a unit whose pages are not 4K-based, such as the
	 * mock unit's 2 KiB pages). With domain_map set, the core creates no
	 * table for the driver's paging domains (siommu_domain_pt() is NULL;
	 * domain_init resolves dom->pgsizes, dom->aperture_start and
	 * dom->aperture_last and keeps its table in dom->drv_dom, freed by
	 * domain_fini) and calls these instead of pt's:
	 *   domain_map: map [iova, iova + length) to @pa (aligned to the
	 *   smallest page size) with @prot; errors as siommu_pt_map(), and
	 *   all or nothing;
	 *   domain_unmap: remove the leaves in [iova, iova + length), *unmapped
	 *   (optional) the bytes removed; errors as siommu_pt_unmap(), leaving
	 *   the table as it was (the core flushes after a success);
	 *   domain_read_and_clear_dirty: as siommu_pt_read_and_clear_dirty().
	 * No core lock held; ranges of concurrent calls do not overlap, as
	 * for pt, and the driver serialises its own table.
	 */
	int (*domain_map)(struct siommu_domain *dom, uint64_t iova, uint64_t pa,
			  uint64_t length, unsigned int prot);
	int (*domain_unmap)(struct siommu_domain *dom, uint64_t iova, uint64_t length,
			    uint64_t *unmapped);
	int (*domain_read_and_clear_dirty)(struct siommu_domain *dom, uint64_t iova,
					   uint64_t length, unsigned int flags,
					   void (*fn)(void *arg, uint64_t iova, uint64_t length),
					   void *arg);
	/*
	 * Shape nested domain @dom over @parent (a paging domain of this
	 * driver, checked by the core) from the user's @len bytes of
	 * @data_type at @data (read them with iommu_user_data_get()):
	 * resolve dom->stage and dom->ias and keep what the entries need
	 * in dom->drv_dom (freed by domain_fini). @viommu is the vIOMMU
	 * (viommu_init's state over @parent) the domain is made from, or
	 * NULL when it is made over @parent directly; a driver that nests
	 * only under a vIOMMU (SMMUv3: the guest's STE is tagged with the
	 * vIOMMU's VMID) answers -EOPNOTSUPP to NULL. Errors as
	 * siommu_domain_alloc_nested(). Under ctx->lock. NULL: the unit
	 * cannot nest.
	 */
	int (*domain_init_nested)(struct siommu_unit *unit, struct siommu_domain *dom,
				  struct siommu_domain *parent, void *viommu,
				  uint32_t data_type, const void *data, size_t len);
	/*
	 * Carry out the user's invalidation array @a for nested domain
	 * @dom: validate each entry in order and invalidate what it names
	 * through core_domain_flush(), setting a->entry_num to the entries
	 * handled (0 when it refuses the array as a whole, e.g. for its
	 * type). Errors as siommu_domain_cache_invalidate(). No core
	 * lock held (dom->drv_dom does not change; the flushes take
	 * dom->lock). NULL: the user invalidates through a vIOMMU only
	 * (siommu_domain_cache_invalidate() is -EOPNOTSUPP, as Linux's
	 * nested domains without the op).
	 */
	int (*cache_invalidate_user)(struct siommu_domain *dom, struct iommu_user_array *a);

	/*
	 * Prepare (dev, pasid) -> @dom (non-NULL), replacing what is there:
	 * check that the unit can walk @dom (-EINVAL if not), take a domain
	 * ID and the table pages the entry needs, and fill @att (att_size
	 * zeroed bytes). 0, -EINVAL, -ENOMEM, -ENOSPC (out of domain IDs),
	 * -EBUSY (a state of the device the domain cannot join yet: SMMUv3,
	 * a nested domain at a RID whose PASIDs are attached).
	 */
	int (*attach_prepare)(struct siommu_device *dev, uint32_t pasid,
			      struct siommu_domain *dom, void *att);
	/*
	 * Switch (dev, pasid) from @old (@old_att; NULL: blocked) to @dom
	 * (@att from attach_prepare; NULL: blocked) without a blocked window;
	 * @old_att is no longer the driver's when this returns. Cannot fail.
	 */
	void (*attach_commit)(struct siommu_device *dev, uint32_t pasid,
			      struct siommu_domain *old, void *old_att,
			      struct siommu_domain *dom, void *att);
	/* Give back what attach_prepare took for @att; nothing else changed. */
	void (*attach_abort)(struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom, void *att);

	/*
	 * Invalidate @g of @dom on @unit, for every attachment of @dom
	 * through it (device TLBs included), and wait. For a nested domain
	 * @g is a range of its stage-1 input (the user's invalidation); its
	 * parent's changes reach it through flush_all. Called under
	 * dom->lock with dom->drv[unit->index] set. Never fails: queue
	 * errors are recovered and counted.
	 */
	void (*iotlb_sync)(struct siommu_unit *unit, struct siommu_domain *dom,
			   const struct iommu_gather *g);
	/* The same for the whole domain, walk caches included. */
	void (*flush_all)(struct siommu_unit *unit, struct siommu_domain *dom);

	/*
	 * Stop DMA through the attachment (dev, pasid) -> @dom (@att from
	 * its prepare) without taking it down, for a process that exits
	 * while bound (SVA): the entry blocks every request and records no
	 * fault for it (VT-d 9.6: P clear, FPD set; SMMUv3 5.4: a valid CD
	 * with EPD0 and EPD1 set and R clear, so that walks stop and events
	 * are not recorded; SMMUv2: the device's remove_pasid hook, and the
	 * table is never installed again), its caches are
	 * invalidated and the call waits for DMA in flight. The attachment
	 * stays the core's and the driver's: a later commit replaces or
	 * detaches it as usual. Cannot fail; called under ctx->lock. NULL
	 * for a driver without SVA: the core then refuses SVA domains.
	 */
	void (*attach_quiesce)(struct siommu_device *dev, uint32_t pasid,
			       struct siommu_domain *dom, void *att);

	/*
	 * A vIOMMU (iommufd's VIOMMU object: one user's slice of @unit) of
	 * @type (SIOMMU_VIOMMU_TYPE_*) over nest parent @parent, a paging
	 * domain of this driver: the driver's state into *out, freed by
	 * viommu_fini. 0, -EOPNOTSUPP (a type the unit does not offer, or
	 * cannot nest), -EINVAL (a parent it cannot nest under), -ENOSPC,
	 * -ENOMEM. NULL: no vIOMMU type. Under ctx->lock, as is fini.
	 */
	int (*viommu_init)(struct siommu_unit *unit, uint32_t type,
			   struct siommu_domain *parent, void **out);
	void (*viommu_fini)(struct siommu_unit *unit, void *viommu);
	/*
	 * vIOMMU-wide invalidation: the user's array @a of guest commands,
	 * whose device IDs are virtual (@lookup finds the device), handled
	 * in order until one is refused; a->entry_num set to those handled,
	 * which have completed on return. -EINVAL (a type not the vIOMMU's),
	 * -EIO (a command the user may not issue, or naming no device),
	 * and iommu_user_array_get()'s errors. Under ctx->lock.
	 */
	int (*viommu_invalidate)(struct siommu_unit *unit, void *viommu,
				 struct iommu_user_array *a, iommu_vdev_lookup_fn *lookup,
				 void *arg);
	/*
	 * Hardware queues of a vIOMMU (iommufd's HW_QUEUE: a guest-owned
	 * queue in memory that the unit reads and writes itself, e.g. a
	 * Tegra241 VCMDQ). hw_queue_info: whether @viommu offers queues of
	 * @type (0, or -EOPNOTSUPP), *nr_index the indexes it has and
	 * *in_order whether queue i needs queue i - 1 (queues then come in
	 * index order and go in reverse; the object model enforces both).
	 * hw_queue_init: queue @index of @type at physical address @pa,
	 * @length bytes (contiguous, mapped in the parent's IOAS and locked
	 * there while the queue lives): the driver's state into *out; 0 or
	 * a negative errno (-EIO for an ordering rule of its own). fini
	 * cannot fail. NULL hw_queue_info: no queue type. Under ctx->lock.
	 */
	int (*hw_queue_info)(struct siommu_unit *unit, void *viommu, uint32_t type,
			     uint32_t *nr_index, bool *in_order);
	int (*hw_queue_init)(struct siommu_unit *unit, void *viommu, uint32_t type,
			     uint32_t index, uint64_t pa, uint64_t length, void **out);
	void (*hw_queue_fini)(struct siommu_unit *unit, void *viommu, void *queue);

	/* Answer @n page request groups of @unit. No core lock held.
	 * NULL: answers go nowhere (a unit with no device behind it to
	 * hear them, such as the mock unit). */
	void (*page_response)(struct siommu_unit *unit,
			      const struct iommu_page_response *r, unsigned int n);
	/*
	 * Report every page request the unit has queued, and wait for the
	 * reports of other threads that read requests before this call, so
	 * that all requests made before the call have reached
	 * core_report_page_requests() when it returns (VT-d 7.10: draining
	 * page requests), stalled transactions included. Called under
	 * ctx->lock when a PASID or RID with a fault handler is detached, before
	 * the PASID can be reused. NULL for a unit without page requests.
	 */
	void (*page_req_drain)(struct siommu_unit *unit);
};

/*
 * Called by drivers: invalidate [g->start, g->last] of @dom on every unit
 * it is attached through (iotlb_sync under dom->lock), and wait.
 */
void core_domain_flush(struct siommu_domain *dom, const struct iommu_gather *g);

/*
 * Called by drivers. core_report_fault(): a fault record the unit wrote,
 * for the device at its RID (or alias): its handler runs in this thread,
 * or the fault counts as unhandled. core_report_page_requests(): @n page
 * requests read from the unit's queue, queued for the I/O page-fault path
 * (core.h), which answers every last-in-group request that asks for an
 * answer exactly once through ops->page_response; it does not wait for
 * the handlers (they run in the context's worker or in
 * siommu_iopf_poll()); a group for a domain with a deliverer (iommufd's
 * fault queues) is delivered in this thread. It answers at once the
 * requests it has no room for and the groups nothing handles. Both run
 * user code or the driver's queue: the caller holds none of its locks.
 */
void core_report_fault(struct siommu_unit *unit, const struct siommu_fault *f);
/* A fault record of a requester that can be no device's (an SMMUv3
 * StreamID wider than a RID): counts as unhandled. Never fails. */
void core_report_fault_unowned(struct siommu_unit *unit);
void core_report_page_requests(struct siommu_unit *unit,
			       const struct iommu_page_request *req, unsigned int n);

/* The drivers. */
extern const struct iommu_ops vtd_iommu_ops;
extern const struct iommu_ops smmuv3_iommu_ops;
extern const struct iommu_ops smmuv2_iommu_ops;
extern const struct iommu_ops mock_iommu_ops;

#endif
