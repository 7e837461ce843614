/* SPDX-License-Identifier: MIT */
/*
 * The VT-d driver (scalable mode), behind struct iommu_ops (vtd_iommu_ops).
 * It programs the unit the way a kernel driver programs real hardware:
 * registers through siommu_vtd_mmio_*() and structures in memory, written
 * in the formats of the VT-d specification (3.x: 9.4 root and scalable
 * context entries, 9.5 PASID directory, 9.6 PASID entries, 6.5.2
 * invalidation descriptors, 7.2 fault records, 7.5 page requests). It never
 * looks inside the model.
 *
 * Files: unit.c brings the unit up and down and answers the core's
 * questions (info, stats, domain shapes); tables.c owns context and PASID
 * tables, domain IDs and attach; qi.c the invalidation queue and the
 * flushes; events.c fault recording and the page request queue; nested.c
 * the user's first-stage tables nested over a second-stage domain.
 *
 * Objects (the core's opaque pointers):
 *   - struct vtd_drv_unit: siommu_unit.drv;
 *   - struct vtd_drv_dev: siommu_device.drv, where its PASID structures are;
 *   - struct vtd_drv_dom: siommu_domain.drv[unit index], the domain's ID on
 *     the unit and its attachments there (struct vtd_drv_att), which every
 *     flush of the domain on the unit covers.
 *
 * Locking. Configuration (everything in tables.c, the DID map) runs under
 * the core's ctx->lock. A vtd_drv_dom's attachment list and each
 * attachment's alt_did change under ctx->lock and the domain's dom->lock,
 * and flushes read them under dom->lock. q_lock protects the invalidation
 * queue, the status page and the counters after it, taken after dom->lock
 * and granted in the order it is asked for (util/fifo_lock.h): a thread
 * that flushes back to back cannot keep another's flush waiting. Its holder records itself in q_owner/q_held (q_held read with an atomic
 * by any thread): a page response from the holder's own thread (a device
 * callback run inside the holder's IQT write raised a page request) is
 * queued in resp_defer, under q_lock already held, and submitted by the
 * holder before it unlocks. The holder's thread is marked inside a queue
 * submission (core_queue_enter()) for as long as device callbacks may run
 * in it, so that the core refuses what they must not start there.
 * fault_lock serialises reading the fault recording registers (n_fault);
 * prq_lock serialises draining the page request queue (PQH, n_page_req).
 * Neither is held across a call into the core's reporting functions. The
 * counters are written with atomic stores by their lock's holder and read
 * by the stats call with atomic loads and no lock.
 */
#ifndef SIOMMU_VTD_DRV_H
#define SIOMMU_VTD_DRV_H

#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#include "core/core_internal.h"
#include "util/fifo_lock.h"

#define BIT64(n) (1ull << (n))

#define VTD_DRV_IQ_ENTRIES 128		/* one 4K page of 256-bit descriptors */
#define VTD_DRV_PRQ_SIZE 4096		/* PQA.PQS 0: 128 requests */
#define VTD_DRV_POLL_LIMIT 1000000

/*
 * Test hook (not exported): the commit of a present PASID entry's rewrite
 * calls @fn(@arg, store) at each step (1: after the first-stage table
 * pointer, if the entry has one; 2: after the DID; 3: after qw0), still
 * holding ctx->lock, so that a test can hold a replace in flight. NULL
 * removes it. Set it while nothing attaches on the unit.
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

struct vtd_drv_unit {
	struct siommu_unit *unit;
	struct siommu_vtd *hw;
	struct siommu_mem *mem;
	uint64_t cap, ecap;
	unsigned int aw, pasid_bits, mamv, nfr, fro;
	uint32_t gcmd;
	uint64_t root_pa;
	uint64_t ctx_pa[256][2];	/* lower/upper context table per bus */
	uint8_t ctx_users[256][2];	/* present entries in each (<= 128) */
	uint64_t *did_map;		/* 65536 bits; DID 0 reserved */
	uint64_t n_did;			/* DIDs in use; read with an atomic */
	vtd_drv_replace_hook_fn *replace_hook;
	void *replace_arg;
	struct fifo_lock q_lock;
	uint64_t iq_pa, status_pa;
	uint32_t *status;		/* status_pa's word (pool RAM): polled */
	unsigned int iq_tail, iq_pending;
	uint32_t seq;
	uint64_t n_desc, n_wait, n_inv_err;
	vtd_drv_qi_hook_fn *qi_hook;
	void *qi_arg;
	pthread_t q_owner;		/* valid while q_held */
	bool q_held;
	struct siommu_vtd_desc *resp_defer;	/* page responses to submit */
	unsigned int n_defer, defer_cap;
	pthread_mutex_t fault_lock;
	uint64_t n_fault;
	pthread_mutex_t prq_lock;	/* PQH and what follows */
	uint64_t prq_pa;
	uint64_t n_page_req;
	/* Threads that read requests under prq_lock and have not finished
	 * reporting them; atomic, waited out by vtd_drv_page_req_drain(). */
	unsigned int prq_reporting;
};

/* Per device: where its PASID structures are. */
struct vtd_drv_dev {
	uint64_t dir_pa;		/* PASID directory */
	uint64_t dir_size;
	unsigned int dir_entries;
	uint64_t *tables;		/* PASID table PA per directory entry */
};

/* A domain on one unit: its DID while attached through the unit. */
struct vtd_drv_dom {
	uint16_t did;
	unsigned int users;		/* attachments through the unit */
	struct cds_list_head atts;	/* vtd_drv_att.node */
};

/* One attachment (dev, pasid) of a domain, as its flushes see it. */
struct vtd_drv_att {
	struct cds_list_head node;
	struct siommu_device *dev;
	uint32_t pasid;
	/* While a replace between two present entries is in flight: the DID
	 * of the other side (else 0). A walk that reads the entry half
	 * rewritten may cache this domain's translations under that DID, so
	 * its flushes name that DID too. */
	uint16_t alt_did;
};

static inline struct vtd_drv_unit *vtd_drv_unit(struct siommu_unit *unit)
{
	return unit->drv;
}

static inline struct vtd_drv_dom *vtd_drv_dom(struct siommu_domain *dom,
					      struct siommu_unit *unit)
{
	return dom->drv[unit->index];
}

/* Registers (unit.c). */
uint64_t vtd_drv_rd64(struct vtd_drv_unit *v, unsigned int off);
uint32_t vtd_drv_rd32(struct vtd_drv_unit *v, unsigned int off);
void vtd_drv_wr64(struct vtd_drv_unit *v, unsigned int off, uint64_t val);
void vtd_drv_wr32(struct vtd_drv_unit *v, unsigned int off, uint32_t val);
/* Set a GCMD bit and wait for GSTS to follow (VT-d 10.4.4). */
int vtd_drv_gcmd_set(struct vtd_drv_unit *v, uint32_t bit, bool oneshot);
/* The leaf sizes the unit walks in tables of @stage (FIRST or SECOND). */
uint64_t vtd_drv_pgsizes(struct vtd_drv_unit *v, enum siommu_domain_stage stage);
/* Can the unit walk @dom? 0, -EOPNOTSUPP (type or stage), -EINVAL. */
int vtd_drv_domain_check(struct vtd_drv_unit *v, const struct siommu_domain *dom);

/*
 * A nested domain's first stage (dom->drv_dom, fixed at allocation): the
 * user's table and PASID-entry flags, over dom->parent's second stage
 * (VT-d 3.8, 9.6 PGTT 011b).
 */
struct vtd_drv_nested {
	struct siommu_hwpt_vtd_s1 s1;
};
/* Whether the unit walks nested domain @dom: 0, -EOPNOTSUPP, -EINVAL. */
int vtd_drv_nested_check(struct vtd_drv_unit *v, const struct siommu_domain *dom);
int vtd_drv_domain_init_nested(struct siommu_unit *unit, struct siommu_domain *dom,
			       struct siommu_domain *parent, void *viommu, uint32_t data_type,
			       const void *data, size_t len);
void vtd_drv_domain_fini(struct siommu_domain *dom);
int vtd_drv_cache_invalidate_user(struct siommu_domain *dom, struct iommu_user_array *a);
bool vtd_drv_has_fs(const struct vtd_drv_unit *v);

/* The invalidation queue (qi.c). */
/*
 * Queue one descriptor; when the queue is nearly full, submit and wait
 * first. Caller holds q_lock. 0 or -EIO (the unit did not come back from a
 * queue reset: the descriptor is not queued).
 */
int vtd_drv_qi_push(struct vtd_drv_unit *v, struct siommu_vtd_desc d);
/*
 * Run a batch built by @fill under the queue lock, submit it with a wait
 * and wait; then submit, and wait for, the page responses deferred while
 * it ran (vtd_drv_page_response()). Queue errors are recovered inside and
 * counted; never fails. Not to be called from the thread that holds
 * q_lock.
 */
void vtd_drv_qi_run(struct vtd_drv_unit *v, void (*fill)(struct vtd_drv_unit *, void *),
		    void *arg);
/* Global context-cache, PASID-cache and IOTLB invalidation, and wait. */
void vtd_drv_qi_global(struct vtd_drv_unit *v);
void vtd_drv_iotlb_sync(struct siommu_unit *unit, struct siommu_domain *dom,
			const struct iommu_gather *g);
void vtd_drv_flush_all(struct siommu_unit *unit, struct siommu_domain *dom);
/*
 * Answer @n page requests with page group responses (VT-d 6.5.2.7). From
 * any thread but q_lock's holder: submitted, and waited for, before this
 * returns. From the holder's own thread (a device callback run inside its
 * IQT write raised the page request): kept, and submitted by the holder
 * before it unlocks, once the batch in flight has completed; a response
 * that cannot be kept for want of memory is lost and counted in
 * inv_errors. Never fails.
 */
void vtd_drv_page_response(struct siommu_unit *unit,
			   const struct iommu_page_response *r, unsigned int n);

/* Fault and page request events (events.c): the unit's MSI handler. */
void vtd_drv_msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr, uint32_t data);
/* ops->page_req_drain: report what the page request queue holds and wait
 * for the reports other threads have read but not yet passed up. */
void vtd_drv_page_req_drain(struct siommu_unit *unit);

/* Tables and attach (tables.c). */
int vtd_drv_dev_probe(struct siommu_device *dev);
void vtd_drv_dev_release(struct siommu_device *dev);
int vtd_drv_attach_prepare(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *dom, void *att);
void vtd_drv_attach_commit(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *old, void *old_att,
			   struct siommu_domain *dom, void *att);
void vtd_drv_attach_abort(struct siommu_device *dev, uint32_t pasid,
			  struct siommu_domain *dom, void *att);
void vtd_drv_attach_quiesce(struct siommu_device *dev, uint32_t pasid,
			    struct siommu_domain *dom, void *att);
/* Free the context tables left at unit teardown (devices are gone). */
void vtd_drv_tables_fini(struct vtd_drv_unit *v);

#endif
