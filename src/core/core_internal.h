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
 */
#ifndef SIOMMU_CORE_INTERNAL_H
#define SIOMMU_CORE_INTERNAL_H

#include <pthread.h>
#include <urcu/list.h>

#include <siommu/core.h>
#include "mem/mem_internal.h"

#define CORE_MAX_UNITS 16	/* units one domain may be used on at once */

struct core_vtd;	/* the VT-d driver's per-unit state (vtd_drv.c) */
struct core_vtd_dev;	/* ... and per-device state */
struct dma_dev;		/* the DMA API's per-device state (src/dma) */

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
	/* Some unit runs in caching mode (CAP.CM): maps invalidate. Set
	 * under lock with a release store, never cleared. */
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
};

struct siommu_unit {
	struct siommu_ctx *ctx;
	/* devices changes under ctx->lock and rid_lock; the fault path looks
	 * RIDs up under rid_lock alone, which is never held across a wait
	 * (a faulting DMA thread may sit in an RCU read section). */
	pthread_mutex_t rid_lock;
	struct cds_list_head devices;	/* siommu_device.unit_node */
	unsigned int index;		/* in ctx, for per-domain DIDs */
	struct core_vtd *vtd;
};

struct siommu_group {
	struct cds_list_head devices;	/* siommu_device.group_node */
	unsigned int nr_devices;
	struct siommu_domain *rid_dom;	/* NULL: blocked */
};

/*
 * An attachment of a domain to (dev, pasid); pasid 0 is the RID. Lives in
 * the device's table and in the domain's list.
 */
struct core_att {
	struct siommu_device *dev;
	uint32_t pasid;
	struct siommu_domain *dom;
	struct cds_list_head dom_node;
	/* While a replace between two present entries is in flight: the DID
	 * of the other side (else 0). A walk that reads the entry half
	 * rewritten may cache this domain's translations under that DID, so
	 * unmap flushes it too. Changed under ctx->lock and dom->lock. */
	uint16_t alt_did;
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
	/* Attachments by PASID: chunks of ATT_CHUNK pointers, lazily. */
	struct core_att ***att;
	unsigned int nr_chunks;
	siommu_fault_fn fault_fn;	/* atomic with fault_arg under ctx->lock */
	void *fault_arg;
	struct core_vtd_dev *vdev;
	/* DMA API state (src/dma), set and cleared under ctx->dma_lock with
	 * release stores; NULL while the device has no DMA setup. */
	struct dma_dev *dma;
};

struct siommu_domain {
	struct siommu_ctx *ctx;
	struct cds_list_head node;
	enum siommu_domain_type type;
	enum siommu_domain_stage stage;	/* resolved: FIRST or SECOND */
	unsigned int ias;
	uint64_t pgsizes;	/* leaf sizes it may use (paging), fixed at alloc */
	struct siommu_pt *pt;
	pthread_mutex_t lock;
	struct cds_list_head atts;	/* core_att.dom_node */
	unsigned int nr_atts;
	/* Domain ID on each unit (index by siommu_unit.index), 0 = none,
	 * with the number of attachments through that unit; changed under
	 * ctx->lock and lock, read by unmap under lock. */
	uint16_t did[CORE_MAX_UNITS];
	unsigned int did_users[CORE_MAX_UNITS];
};

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
 * The DMA API's teardown (src/dma/dma.c), called by siommu_device_remove()
 * and siommu_ctx_destroy() for a device that still has DMA set up, before
 * they take ctx->lock. Same as siommu_dma_teardown().
 */
void dma_dev_release(struct siommu_device *dev);

/*
 * The VT-d driver (vtd_drv.c). All calls but flush and the MSI path run
 * under ctx->lock.
 */
int vtd_drv_init(struct siommu_unit *unit, const struct siommu_vtd_cfg *cfg);
void vtd_drv_fini(struct siommu_unit *unit);
struct siommu_vtd *vtd_drv_hw(struct siommu_unit *unit);
unsigned int vtd_drv_pasid_bits(struct siommu_unit *unit);
unsigned int vtd_drv_aw(struct siommu_unit *unit);
bool vtd_drv_has(struct siommu_unit *unit, uint32_t vtd_cap);
int vtd_drv_dev_init(struct siommu_device *dev);
void vtd_drv_dev_fini(struct siommu_device *dev);
/*
 * Can @dom be attached through this unit: type, stage, width and every
 * page size it may use? 0, -EOPNOTSUPP (type or stage the unit lacks) or
 * -EINVAL (width or page sizes).
 */
int vtd_drv_domain_check(struct siommu_unit *unit, struct siommu_domain *dom);
/* The leaf sizes the unit walks in tables of @stage (FIRST or SECOND). */
uint64_t vtd_drv_pgsizes(struct siommu_unit *unit, enum siommu_domain_stage stage);
/* A free domain ID of the unit (CAP.ND wide, 0 reserved), or -ENOSPC. */
int vtd_drv_did_alloc(struct siommu_unit *unit, uint16_t *did);
void vtd_drv_did_free(struct siommu_unit *unit, uint16_t did);
/*
 * Make (dev, pasid) translate through @dom (NULL: blocked), replacing
 * @old (NULL: blocked) without a blocked window. Needs the PASID table page;
 * vtd_drv_pasid_prepare() allocates it first so this cannot fail.
 */
int vtd_drv_pasid_prepare(struct siommu_device *dev, uint32_t pasid);
void vtd_drv_set_pasid(struct siommu_device *dev, uint32_t pasid,
		       struct siommu_domain *old, struct siommu_domain *dom);
/*
 * Test hook (not exported): vtd_drv_set_pasid() calls @fn(@arg, store)
 * at each step of a present entry's rewrite (1: after the first-stage
 * table pointer, if the entry has one; 2: after the DID; 3: after qw0),
 * still holding ctx->lock, so that a test can hold a replace in flight.
 * NULL removes it. Set it while nothing attaches on the unit.
 */
typedef void vtd_drv_replace_hook_fn(void *arg, unsigned int store);
void vtd_drv_replace_hook_set(struct siommu_unit *unit, vtd_drv_replace_hook_fn *fn,
			      void *arg);
/*
 * Test hook (not exported): called with the queue lock held just before
 * the driver hands descriptors to the unit (an IQT write), with the
 * queue's base PA, the index of the first new descriptor and their number
 * (32 bytes each, the last one a wait), so that a test can corrupt one and
 * make the unit report a queue error. NULL removes it. Set it while
 * nothing runs on the unit.
 */
typedef void vtd_drv_qi_hook_fn(void *arg, uint64_t iq_pa, unsigned int first,
				unsigned int n);
void vtd_drv_qi_hook_set(struct siommu_unit *unit, vtd_drv_qi_hook_fn *fn, void *arg);
/* Invalidate [start, last] of @dom for every attachment on @unit. */
void vtd_drv_flush(struct siommu_unit *unit, struct siommu_domain *dom,
		   uint64_t start, uint64_t last, bool leaf_only);
void vtd_drv_get_stats(struct siommu_unit *unit, struct siommu_unit_stats *st);

#endif
