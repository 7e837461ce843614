/* SPDX-License-Identifier: MIT */
/*
 * The VT-d driver's events: fault recording (VT-d 7.2.1, 10.4.14) and the
 * page request queue (7.5.2), both drained on the unit's interrupt and
 * reported up to the core, which runs handlers and decides the answers.
 */
#include <sched.h>

#include "core/drivers/vtd/vtd_drv.h"

/* Page request descriptor (7.5.1). */
#define PRQ_PP		BIT64(8)	/* qw0: PASID present */
#define PRQ_PDP		BIT64(9)	/* qw0: private data present */
#define PRQ_LPIG	BIT64(2)	/* qw1: last page in group */

/*
 * Read every pending fault record and clear it, then report what was
 * read. A record that lands while we read raises no new event (PPF is
 * still set, 7.2.1), so passes repeat until one finds nothing, bounded by
 * the register count (a device that keeps faulting raises new events,
 * which run this function again). Reports run with no lock of the driver
 * held: a handler may read the unit's stats, or issue a DMA that faults
 * again, whose event runs this function anew in the same thread.
 */
static void process_faults(struct vtd_drv_unit *v)
{
	struct siommu_fault recs[256];
	unsigned int i, n = 1, pass;

	for (pass = 0; n && pass <= v->nfr; pass++) {
		n = 0;
		pthread_mutex_lock(&v->fault_lock);
		for (i = 0; i < v->nfr; i++) {
			unsigned int off = v->fro + 16 * i;
			uint64_t lo = vtd_drv_rd64(v, off), hi = vtd_drv_rd64(v, off + 8);
			struct siommu_fault *f = &recs[n];

			if (!(hi & BIT64(63)))		/* F */
				continue;
			f->addr = lo & ~0xfffull;
			f->rid = (uint16_t)hi;
			f->pasid_present = hi & BIT64(31);
			f->reason = (uint32_t)(hi >> 32) & 0xff;
			f->pasid = (uint32_t)(hi >> 40) & 0xfffff;
			f->write = !(hi & BIT64(62));	/* T: 1 = read */
			/* F is write-1-to-clear in the upper half. */
			vtd_drv_wr64(v, off + 8, BIT64(63));
			n++;
		}
		/* PFO is write-1-to-clear; PPF follows the records. */
		vtd_drv_wr32(v, SIOMMU_VTD_REG_FSTS, SIOMMU_VTD_FSTS_PFO);
		__atomic_store_n(&v->n_fault, v->n_fault + n, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&v->fault_lock);

		for (i = 0; i < n; i++)
			core_report_fault(v->unit, &recs[i]);
	}
}

/*
 * Drain the page request queue (7.5.2): take the requests between PQH and
 * PQT, move PQH, clear PPR (and PRO), and look again, since a request that
 * lands after the PQT read raises no new event while PPR is set. What was
 * read goes up to the core once prq_lock is dropped; the core answers
 * through vtd_drv_page_response().
 */
static void process_prq(struct vtd_drv_unit *v)
{
	struct iommu_page_request reqs[VTD_DRV_PRQ_SIZE / 32];
	uint64_t head, tail;
	unsigned int n;

	for (;;) {
		pthread_mutex_lock(&v->prq_lock);
		head = vtd_drv_rd64(v, SIOMMU_VTD_REG_PQH) & (VTD_DRV_PRQ_SIZE - 32);
		tail = vtd_drv_rd64(v, SIOMMU_VTD_REG_PQT) & (VTD_DRV_PRQ_SIZE - 32);
		if (head == tail) {
			/* PPR, and PRO: the unit answered what it dropped. */
			vtd_drv_wr32(v, SIOMMU_VTD_REG_PRS, SIOMMU_VTD_PRS_PPR |
							   SIOMMU_VTD_PRS_PRO);
			if ((vtd_drv_rd64(v, SIOMMU_VTD_REG_PQT) & (VTD_DRV_PRQ_SIZE - 32)) ==
			    head) {
				pthread_mutex_unlock(&v->prq_lock);
				break;
			}
			pthread_mutex_unlock(&v->prq_lock);
			continue;
		}
		n = 0;
		for (; head != tail; head = (head + 32) % VTD_DRV_PRQ_SIZE) {
			struct iommu_page_request *r = &reqs[n++];
			uint64_t q[4];

			siommu_mem_read(v->mem, v->prq_pa + head, q, sizeof(q));
			*r = (struct iommu_page_request){
				.rid = (uint16_t)(q[0] >> 16),
				.pasid_present = q[0] & PRQ_PP,
				.pasid = (uint32_t)(q[0] >> 32) & 0xfffff,
				.addr = q[1] & ~0xfffull,
				.grpid = (uint16_t)((q[1] >> 3) & 0x1ff),
				.last = q[1] & PRQ_LPIG,
				.read = q[1] & BIT64(0),
				.write = q[1] & BIT64(1),
				.priv_data_present = q[0] & PRQ_PDP,
				.priv_data = { q[2], q[3] },
			};
		}
		__atomic_store_n(&v->n_page_req, v->n_page_req + n, __ATOMIC_RELAXED);
		vtd_drv_wr64(v, SIOMMU_VTD_REG_PQH, head);
		__atomic_fetch_add(&v->prq_reporting, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&v->prq_lock);
		core_report_page_requests(v->unit, reqs, n);
		__atomic_fetch_sub(&v->prq_reporting, 1, __ATOMIC_RELEASE);
	}
}

void vtd_drv_page_req_drain(struct siommu_unit *unit)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);

	/* Requests the unit queued before this call are read here, or by a
	 * thread that counted itself in prq_reporting before it moved PQH;
	 * the reports of those are short (the core queues them). */
	process_prq(v);
	while (__atomic_load_n(&v->prq_reporting, __ATOMIC_ACQUIRE))
		sched_yield();
}

void vtd_drv_msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr, uint32_t data)
{
	(void)addr;
	(void)data;
	if (irq == SIOMMU_VTD_IRQ_FAULT)
		process_faults(opaque);
	else if (irq == SIOMMU_VTD_IRQ_PRQ)
		process_prq(opaque);
}
