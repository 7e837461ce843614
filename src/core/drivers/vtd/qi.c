/* SPDX-License-Identifier: MIT */
/*
 * The VT-d driver's invalidation queue (VT-d 6.5.2): descriptors built with
 * the public encoders of siommu/vtd_build.h, submitted through IQT, waited
 * for through a wait descriptor's status write; queue errors (IQE, ITE,
 * ICE) recovered (6.5.2.10). And what uses it: domain flushes and page
 * group responses.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "core/drv_wait.h"
#include "core/drivers/vtd/vtd_drv.h"

static void qi_write(struct vtd_drv_unit *v, const struct siommu_vtd_desc *d)
{
	siommu_mem_write(v->mem, v->iq_pa + (uint64_t)v->iq_tail * 32, d->qw, sizeof(d->qw));
	v->iq_tail = (v->iq_tail + 1) % VTD_DRV_IQ_ENTRIES;
	v->iq_pending++;
	__atomic_store_n(&v->n_desc, v->n_desc + 1, __ATOMIC_RELAXED);
}

/* Hand what is queued to the unit: a test may corrupt it first. */
static void qi_submit(struct vtd_drv_unit *v)
{
	if (unlikely(v->qi_hook && v->iq_pending))
		v->qi_hook(v->qi_arg, v->iq_pa,
			   (v->iq_tail + VTD_DRV_IQ_ENTRIES - v->iq_pending) %
			   VTD_DRV_IQ_ENTRIES, v->iq_pending);
	vtd_drv_wr64(v, SIOMMU_VTD_REG_IQT, (uint64_t)v->iq_tail << 5);
	v->iq_pending = 0;
}

/* The status word the unit writes (a wait descriptor's SW), with acquire. */
static uint32_t qi_status(struct vtd_drv_unit *v)
{
	return __atomic_load_n(v->status, __ATOMIC_ACQUIRE);
}

/*
 * The wait when the unit has not completed it by the time the IQT write
 * returned: another thread may be processing the queue, held up in a
 * device callback, so the wait gives up only once IQH has not moved for
 * DRV_WAIT_STALL_NS (core/drv_wait.h).
 */
static __attribute__((noinline)) int qi_wait_poll(struct vtd_drv_unit *v, uint32_t seq)
{
	struct drv_stall st = DRV_STALL_INIT;

	for (;;) {
		if (vtd_drv_rd32(v, SIOMMU_VTD_REG_FSTS) & (SIOMMU_VTD_FSTS_IQE |
							    SIOMMU_VTD_FSTS_ITE |
							    SIOMMU_VTD_FSTS_ICE))
			return -EIO;
		if (drv_stall_due(&st) &&
		    drv_stall_expired(&st, vtd_drv_rd64(v, SIOMMU_VTD_REG_IQH)))
			return -ETIMEDOUT;
		sched_yield();
		if (qi_status(v) == seq)
			return 0;
	}
}

/*
 * Wait for the status write of wait descriptor @seq. 0, -EIO (the unit
 * reports a queue error: IQE, ITE or ICE) or -ETIMEDOUT (qi_wait_poll()).
 */
static int qi_wait(struct vtd_drv_unit *v, uint32_t seq)
{
	if (likely(qi_status(v) == seq))
		return 0;
	return qi_wait_poll(v, seq);
}

/* Queue a wait descriptor with status write and submit; its sequence. */
static uint32_t qi_push_wait(struct vtd_drv_unit *v)
{
	uint32_t seq = ++v->seq;
	/* VT-d 6.5.2.9: SW writes seq to the status address; FN fences. */
	const struct siommu_vtd_desc d = siommu_vtd_desc_wait(true, false, true, false,
							      v->status_pa, seq);

	qi_write(v, &d);
	qi_submit(v);
	return seq;
}

/*
 * Queue global context-cache, PASID-cache and IOTLB invalidations (no
 * room check: a recovery runs right after a submission emptied the queue).
 */
static void qi_push_global(struct vtd_drv_unit *v)
{
	const struct siommu_vtd_desc d[3] = {
		siommu_vtd_desc_cc(1, 0, 0, 0),
		siommu_vtd_desc_pc(3, 0, 0),
		siommu_vtd_desc_iotlb(1, 0, 0, 0, false),
	};
	unsigned int i;

	for (i = 0; i < 3; i++)
		qi_write(v, &d[i]);
}

/*
 * Bring a queue that stopped back (VT-d 6.5.2.10). IQE: the unit stopped
 * at IQH on a descriptor it refused; what that descriptor was to remove
 * cannot be known, so it is replaced by a global IOTLB invalidation, and
 * clearing IQE resumes the queue there; the caller then invalidates the
 * context and PASID caches and the IOTLB globally, a superset of whatever
 * the refused descriptor asked (but for a device TLB, which has no global
 * form: a refused device-TLB descriptor is lost, and counted). ITE and
 * ICE (a device-TLB invalidation timed out, or its completion was wrong):
 * the unit aborted the pending waits; clearing them lets the next wait
 * run. Each error counts in inv_errors. Caller holds q_lock.
 */
static void qi_recover(struct vtd_drv_unit *v)
{
	uint32_t fsts = vtd_drv_rd32(v, SIOMMU_VTD_REG_FSTS);

	if (fsts & SIOMMU_VTD_FSTS_IQE) {
		uint64_t head = (vtd_drv_rd64(v, SIOMMU_VTD_REG_IQH) >> 5) % VTD_DRV_IQ_ENTRIES;
		const struct siommu_vtd_desc d = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);

		siommu_mem_write(v->mem, v->iq_pa + head * 32, d.qw, sizeof(d.qw));
	}
	__atomic_store_n(&v->n_inv_err, v->n_inv_err + 1, __ATOMIC_RELAXED);
	vtd_drv_wr32(v, SIOMMU_VTD_REG_FSTS, fsts & (SIOMMU_VTD_FSTS_IQE |
						    SIOMMU_VTD_FSTS_ITE |
						    SIOMMU_VTD_FSTS_ICE));
}

/*
 * Last resort for a queue that does not recover: turn queued invalidation
 * off and on again, which empties the queue (VT-d 10.4.4: enabling it
 * resets IQH), then invalidate every cache globally. Caller holds q_lock.
 * 0, or -EIO if the unit does not come back either.
 */
static int qi_reset(struct vtd_drv_unit *v)
{
	unsigned int i;

	__atomic_store_n(&v->n_inv_err, v->n_inv_err + 1, __ATOMIC_RELAXED);
	v->gcmd &= ~SIOMMU_VTD_GCMD_QIE;
	vtd_drv_wr32(v, SIOMMU_VTD_REG_GCMD, v->gcmd);
	for (i = 0; i < VTD_DRV_POLL_LIMIT; i++)
		if (!(vtd_drv_rd32(v, SIOMMU_VTD_REG_GSTS) & SIOMMU_VTD_GCMD_QIE))
			break;
	vtd_drv_wr32(v, SIOMMU_VTD_REG_FSTS, SIOMMU_VTD_FSTS_IQE | SIOMMU_VTD_FSTS_ITE |
					     SIOMMU_VTD_FSTS_ICE);
	vtd_drv_wr64(v, SIOMMU_VTD_REG_IQT, 0);
	v->iq_tail = v->iq_pending = 0;
	if (i == VTD_DRV_POLL_LIMIT || vtd_drv_gcmd_set(v, SIOMMU_VTD_GCMD_QIE, false))
		return -EIO;
	qi_push_global(v);
	return qi_wait(v, qi_push_wait(v));
}

/* Recoveries tried before the queue is reset. */
#define QI_RECOVER_MAX 4

/*
 * Submit what is queued plus a wait descriptor and wait for it. A queue
 * error never goes unhandled: the queue is recovered and a new wait
 * submitted until one completes, since a wait completes only after every
 * descriptor before it; if it does not recover, it is reset with a global
 * invalidation. Either way every earlier descriptor has taken effect, or
 * something stronger has, when this returns 0. -EIO only when the unit
 * does not come back from a reset. Caller holds q_lock.
 */
static int qi_sync(struct vtd_drv_unit *v)
{
	unsigned int tries;
	int ret;

	ret = qi_wait(v, qi_push_wait(v));
	for (tries = 0; ret && tries < QI_RECOVER_MAX; tries++) {
		qi_recover(v);
		qi_push_global(v);
		ret = qi_wait(v, qi_push_wait(v));
	}
	if (ret)
		ret = qi_reset(v);
	if (!ret)
		__atomic_store_n(&v->n_wait, v->n_wait + 1, __ATOMIC_RELAXED);
	return ret;
}

int vtd_drv_qi_push(struct vtd_drv_unit *v, struct siommu_vtd_desc d)
{
	int ret;

	/* Keep room for the wait that ends every batch, and for the one a
	 * recovery adds. */
	if (v->iq_pending >= VTD_DRV_IQ_ENTRIES - 2) {
		ret = qi_sync(v);
		if (ret)
			return ret;
	}
	qi_write(v, &d);
	return 0;
}

static void qi_sync_counted(struct vtd_drv_unit *v)
{
	if (qi_sync(v))
		__atomic_store_n(&v->n_inv_err, v->n_inv_err + 1, __ATOMIC_RELAXED);
}

/*
 * Submit the page responses deferred while this thread held q_lock. Their
 * submission runs device callbacks again, which may raise more page
 * requests whose answers are deferred in turn: the list is taken whole
 * each round, until a round leaves none. If the unit does not come back
 * from a queue reset (counted), what is left of a round is lost. Caller
 * holds q_lock.
 */
static void qi_drain_deferred(struct vtd_drv_unit *v)
{
	while (v->n_defer) {
		struct siommu_vtd_desc *d = v->resp_defer;
		unsigned int i, n = v->n_defer;

		v->resp_defer = NULL;
		v->n_defer = v->defer_cap = 0;
		for (i = 0; i < n; i++)
			if (vtd_drv_qi_push(v, d[i]))
				break;
		qi_sync_counted(v);
		free(d);
	}
}

/*
 * A unit that does not come back from a queue reset is beyond what
 * software can do, and is counted: the operation that needed the flush
 * has nothing to undo.
 */
void vtd_drv_qi_run(struct vtd_drv_unit *v, void (*fill)(struct vtd_drv_unit *, void *),
		    void *arg)
{
	pthread_t self = pthread_self();

	fifo_lock(&v->q_lock);
	__atomic_store(&v->q_owner, &self, __ATOMIC_RELAXED);
	__atomic_store_n(&v->q_held, true, __ATOMIC_RELAXED);
	/* Device callbacks run in this thread from here on (core.h). */
	core_queue_enter();
	fill(v, arg);
	qi_sync_counted(v);
	qi_drain_deferred(v);
	core_queue_exit();
	__atomic_store_n(&v->q_held, false, __ATOMIC_RELAXED);
	fifo_unlock(&v->q_lock);
}

static void fill_global(struct vtd_drv_unit *v, void *arg)
{
	(void)arg;
	vtd_drv_qi_push(v, siommu_vtd_desc_cc(1, 0, 0, 0));
	vtd_drv_qi_push(v, siommu_vtd_desc_pc(3, 0, 0));
	vtd_drv_qi_push(v, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
}

void vtd_drv_qi_global(struct vtd_drv_unit *v)
{
	vtd_drv_qi_run(v, fill_global, NULL);
}

void vtd_drv_qi_hook_set(struct siommu_unit *unit, vtd_drv_qi_hook_fn *fn, void *arg)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);

	v->qi_hook = fn;
	v->qi_arg = arg;
}

/* Page-selective invalidation covering [start, last]: address and AM. */
static bool psi_range(struct vtd_drv_unit *v, uint64_t start, uint64_t last,
		      uint64_t *addr, unsigned int *am)
{
	unsigned int order;

	/* The smallest aligned power-of-two block of pages holding both ends
	 * (VT-d 6.5.2.3: the hardware ignores the ADDR bits below AM, so
	 * software aligns; an unaligned range would miss its tail). Orders
	 * stop below 52 so the shift stays under 64 for ranges up to 2^64 - 1;
	 * anything wider than MAMV takes the whole-domain form instead. */
	for (order = 0; order <= v->mamv && order < 52; order++)
		if ((start >> (12 + order)) == (last >> (12 + order)))
			break;
	if (order > v->mamv || order >= 52)
		return false;
	*addr = (start >> (12 + order)) << (12 + order);
	*am = order;
	return true;
}

struct dom_flush {
	struct siommu_domain *dom;
	struct vtd_drv_dom *vd;
	const struct iommu_gather *g;
};

static void fill_dom_flush(struct vtd_drv_unit *v, void *arg)
{
	const struct dom_flush *f = arg;
	uint16_t did = f->vd->did;
	struct vtd_drv_att *att;
	uint64_t addr = 0;
	unsigned int am = 0;
	bool psi = psi_range(v, f->g->start, f->g->last, &addr, &am);
	bool ih = f->g->leaf_only;	/* IH: walk caches may stay */
	bool ss = f->dom->stage == SIOMMU_STAGE_SECOND;

	if (ss) {
		/* Second stage: IOTLB by DID covers every PASID (6.5.2.3). */
		vtd_drv_qi_push(v, psi ? siommu_vtd_desc_iotlb(3, did, addr, am, ih) :
					 siommu_vtd_desc_iotlb(2, did, 0, 0, false));
	}
	cds_list_for_each_entry(att, &f->vd->atts, node) {
		struct siommu_device *dev = att->dev;

		/* A replace in flight: this domain's translations may also
		 * be cached under the other side's DID (vtd_drv_att). */
		if (att->alt_did) {
			if (ss)
				vtd_drv_qi_push(v, siommu_vtd_desc_iotlb(psi ? 3 : 2, att->alt_did,
									 psi ? addr : 0,
									 psi ? am : 0, psi && ih));
			else
				vtd_drv_qi_push(v, siommu_vtd_desc_piotlb(psi ? 3 : 2, att->alt_did,
									  att->pasid,
									  psi ? addr : 0,
									  psi ? am : 0, psi && ih));
		}
		/* First stage: PASID-based IOTLB per attachment (6.5.2.4;
		 * in scalable mode a page-selective IOTLB invalidation of
		 * type 2 drops every first-stage entry of the DID whatever
		 * the address, 6.5.2.3). */
		if (f->dom->stage == SIOMMU_STAGE_FIRST)
			vtd_drv_qi_push(v, psi ? siommu_vtd_desc_piotlb(3, did, att->pasid,
									addr, am, ih) :
						 siommu_vtd_desc_piotlb(2, did, att->pasid,
									0, 0, false));
		if (dev->cfg.flags & SIOMMU_DEV_ATS) {
			/* ATS size encoding (6.5.2.5): S=1 and the bits below
			 * the size bit set. */
			uint64_t dt = am ? (addr | ((1ull << (11 + am)) - 1)) & ~0xfffull : addr;
			bool s = am;

			if (!psi) {
				dt = ~0ull & ~0xfffull & ~(1ull << 63);
				s = true;
			}
			if (att->pasid)
				vtd_drv_qi_push(v, siommu_vtd_desc_pdevtlb(dev->cfg.rid, att->pasid,
									   false, dt, s));
			else
				vtd_drv_qi_push(v, siommu_vtd_desc_devtlb(dev->cfg.rid, dt, s));
		}
	}
}

void vtd_drv_iotlb_sync(struct siommu_unit *unit, struct siommu_domain *dom,
			const struct iommu_gather *g)
{
	struct dom_flush f = { dom, vtd_drv_dom(dom, unit), g };

	vtd_drv_qi_run(vtd_drv_unit(unit), fill_dom_flush, &f);
}

void vtd_drv_flush_all(struct siommu_unit *unit, struct siommu_domain *dom)
{
	/* The whole input space: too wide for a page-selective encoding, so
	 * the flush takes the domain- and PASID-selective forms. */
	const struct iommu_gather g = { 0, UINT64_MAX, false };

	vtd_drv_iotlb_sync(unit, dom, &g);
}

struct prq_resp {
	const struct iommu_page_response *r;
	unsigned int n;
};

/*
 * Page group response (6.5.2.7) for @r, private data echoed when the
 * request carried it (PDP, bit 5 of the first qword, is not in the public
 * encoder).
 */
static struct siommu_vtd_desc page_resp_desc(const struct iommu_page_response *r)
{
	const struct iommu_page_request *q = &r->req;
	struct siommu_vtd_desc d = siommu_vtd_desc_page_resp(q->rid, q->pasid_present, q->pasid,
							     q->grpid, r->code, true);

	if (q->priv_data_present) {
		d.qw[0] |= BIT64(5);
		d.qw[2] = q->priv_data[0];
		d.qw[3] = q->priv_data[1];
	}
	return d;
}

static void fill_page_resp(struct vtd_drv_unit *v, void *arg)
{
	const struct prq_resp *p = arg;
	unsigned int i;

	for (i = 0; i < p->n; i++)
		vtd_drv_qi_push(v, page_resp_desc(&p->r[i]));
}

/*
 * Whether the calling thread holds q_lock: only the holder stores itself
 * in q_owner, so another thread that reads q_held set never finds itself
 * there.
 */
static bool qi_held_by_self(struct vtd_drv_unit *v)
{
	pthread_t owner;

	if (!__atomic_load_n(&v->q_held, __ATOMIC_RELAXED))
		return false;
	__atomic_load(&v->q_owner, &owner, __ATOMIC_RELAXED);
	return pthread_equal(owner, pthread_self());
}

/*
 * Answer from inside the q_lock holder's own queue submission: the holder
 * is in its IQT write, the queue between the unit's head and our tail not
 * yet consumed, so nothing can be pushed (a full queue would have to be
 * waited for, from inside the wait). The responses are kept and the
 * holder submits them before it unlocks. An allocation failure loses them
 * and counts in inv_errors.
 */
static void page_resp_defer(struct vtd_drv_unit *v, const struct iommu_page_response *r,
			    unsigned int n)
{
	unsigned int i;

	if (n > v->defer_cap - v->n_defer) {
		unsigned int cap = v->n_defer + n > 2 * v->defer_cap ? v->n_defer + n :
								       2 * v->defer_cap;
		struct siommu_vtd_desc *d = realloc(v->resp_defer, (size_t)cap * sizeof(*d));

		if (!d) {
			__atomic_store_n(&v->n_inv_err, v->n_inv_err + 1, __ATOMIC_RELAXED);
			return;
		}
		v->resp_defer = d;
		v->defer_cap = cap;
	}
	for (i = 0; i < n; i++)
		v->resp_defer[v->n_defer++] = page_resp_desc(&r[i]);
}

void vtd_drv_page_response(struct siommu_unit *unit,
			   const struct iommu_page_response *r, unsigned int n)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);
	struct prq_resp p = { r, n };

	if (!n)
		return;
	/* A device callback run inside this thread's own IQT write raised
	 * the page request: q_lock is ours already. */
	if (qi_held_by_self(v)) {
		page_resp_defer(v, r, n);
		return;
	}
	/* The unit calls the device's page-response callback while it
	 * processes these: no lock of the driver but the queue's is held
	 * then, and the stats take none. */
	vtd_drv_qi_run(v, fill_page_resp, &p);
}
