/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 driver's events: the event queue (SMMUv3 7.3, 7.4) and the
 * PRI queue (8.1), both drained on the unit's interrupt and reported up to
 * the core, which runs handlers and decides the answers.
 */
#include <sched.h>

#include "core/drivers/smmuv3/smmuv3_drv.h"

#define FIELD(w, h, l) (((w) >> (l)) & (~0ull >> (63 - (h) + (l))))
#define Q_ENTRIES_MAX 256

static uint32_t q_mask(const struct smmu_drv_queue *q)
{
	return (2u << q->log2) - 1;
}

/*
 * Read the entries between CONS and PROD (at most @max, @entry bytes
 * each, into @buf), move CONS past them and acknowledge an overflow
 * (CONS.OVACKFLG = PROD.OVFLG, SMMUv3 7.4). Returns how many were read.
 * Caller holds the queue's lock.
 */
static unsigned int q_read(struct smmu_drv_unit *u, struct smmu_drv_queue *q,
			   unsigned int prod_reg, unsigned int cons_reg, unsigned int entry,
			   uint64_t *buf, unsigned int max)
{
	uint32_t prod = smmu_drv_rd32(u, prod_reg);
	unsigned int n = 0;

	while (n < max && q->cons != (prod & q_mask(q))) {
		uint64_t pa = q->pa + (uint64_t)(q->cons & ((1u << q->log2) - 1)) * entry;

		siommu_mem_read(u->mem, pa, buf + n * (entry / 8), entry);
		q->cons = (q->cons + 1) & q_mask(q);
		n++;
	}
	smmu_drv_wr32(u, cons_reg, q->cons | (prod & SIOMMU_SMMUV3_Q_OVF));
	return n;
}

/*
 * An event of a guest's stage 1 for its vIOMMU's event queue: the record
 * (SMMUv3 7.3) with the guest's StreamID for the device (Linux:
 * arm_vmaster_report_event()).
 */
static void vevent_build(void *out, const void *raw, uint64_t virt_id)
{
	const uint64_t *r = raw;
	struct siommu_vevent_arm_smmuv3 *e = out;

	e->evt[0] = (r[0] & 0xffffffffull) | (uint64_t)(uint32_t)virt_id << 32;
	e->evt[1] = r[1];
	e->evt[2] = r[2];
	e->evt[3] = r[3];
}

/*
 * Drain the event queue: a record of a stalled transaction (STALL, SMMUv3
 * 7.3) becomes a page request of a group of its own, tagged with its STAG
 * (struct iommu_page_request), answered by CMD_RESUME; a record of a
 * device whose stage 1 is a guest's (nested, S2 clear) goes to its
 * vIOMMU's event queue if it has one, as Linux's arm-smmu-v3 does; every
 * other record a fault report for the StreamID's device (reason: the
 * event number, enum siommu_smmuv3_event). Reports run with no lock of the driver held:
 * a handler may read the unit's stats, or issue a DMA that faults again,
 * whose event runs this function anew in the same thread.
 */
static void drain_evtq(struct smmu_drv_unit *u)
{
	uint64_t rec[Q_ENTRIES_MAX * 4];
	struct iommu_page_request stalls[Q_ENTRIES_MAX];
	struct siommu_fault faults[Q_ENTRIES_MAX];
	unsigned int rec_of[Q_ENTRIES_MAX];
	unsigned int i, n, ns, nf;
	bool counted;

	do {
		pthread_mutex_lock(&u->evt_lock);
		n = q_read(u, &u->evtq, SIOMMU_SMMUV3_EVTQ_PROD, SIOMMU_SMMUV3_EVTQ_CONS, 32,
			   rec, Q_ENTRIES_MAX);
		/* A stall is no fault: faults stay handled + unhandled. */
		ns = 0;
		for (i = 0; i < n; i++)
			ns += !!(rec[i * 4 + 1] & BIT64(31));
		__atomic_store_n(&u->n_fault, u->n_fault + n - ns, __ATOMIC_RELAXED);
		/* Counted before CONS is visible to others: a drain of page
		 * requests waits for what was read here. */
		counted = u->stall;
		if (counted)
			__atomic_fetch_add(&u->stall_reporting, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&u->evt_lock);
		ns = nf = 0;
		for (i = 0; i < n; i++) {
			const uint64_t *r = &rec[i * 4];
			uint64_t sid = FIELD(r[0], 63, 32);

			/* StreamIDs are RIDs: anything wider is no device's. */
			if (sid > 0xffff) {
				core_report_fault_unowned(u->unit);
				continue;
			}
			if (r[1] & BIT64(31)) {
				stalls[ns++] = (struct iommu_page_request){
					.rid = (uint16_t)sid,
					.pasid_present = r[0] & BIT64(11),
					.pasid = r[0] & BIT64(11) ? (uint32_t)FIELD(r[0], 31, 12) : 0,
					.addr = r[2] & ~0xfffull,
					.grpid = (uint16_t)FIELD(r[1], 15, 0),	/* STAG */
					.stall = true,
					.last = true,
					.read = r[1] & BIT64(35),		/* RnW */
					.write = !(r[1] & BIT64(35)),
				};
				continue;
			}
			faults[nf] = (struct siommu_fault){
				.rid = (uint16_t)sid,
				.pasid_present = r[0] & BIT64(11),
				.pasid = (uint32_t)FIELD(r[0], 31, 12),
				.reason = (uint32_t)FIELD(r[0], 7, 0),
			};
			if (siommu_smmuv3_event_has_access(faults[nf].reason)) {
				faults[nf].addr = r[2] & ~0xfffull;
				faults[nf].write = !(r[1] & BIT64(35));	/* RnW */
			}
			if (!faults[nf].pasid_present)
				faults[nf].pasid = 0;
			rec_of[nf] = i;
			nf++;
		}
		/* The stalls first, and the count dropped before any fault
		 * handler runs: a drain waiting for it holds ctx->lock, which
		 * a handler may need. */
		if (ns)
			core_report_page_requests(u->unit, stalls, ns);
		if (counted)
			__atomic_fetch_sub(&u->stall_reporting, 1, __ATOMIC_RELEASE);
		for (i = 0; i < nf; i++) {
			const uint64_t *r = &rec[rec_of[i] * 4];

			if (!(r[1] & BIT64(39)) &&	/* S2 */
			    !core_report_vevent(u->unit, faults[i].rid,
						SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, r, 32, vevent_build))
				continue;
			core_report_fault(u->unit, &faults[i]);
		}
	} while (n);
}

/* Drain the PRI queue; the core answers through smmu_drv_page_response(). */
static void drain_priq(struct smmu_drv_unit *u)
{
	uint64_t e[Q_ENTRIES_MAX * 2];
	struct iommu_page_request reqs[Q_ENTRIES_MAX];
	unsigned int i, n, nr;

	do {
		pthread_mutex_lock(&u->pri_lock);
		n = q_read(u, &u->priq, SIOMMU_SMMUV3_PRIQ_PROD, SIOMMU_SMMUV3_PRIQ_CONS, 16,
			   e, Q_ENTRIES_MAX);
		__atomic_store_n(&u->n_page_req, u->n_page_req + n, __ATOMIC_RELAXED);
		__atomic_fetch_add(&u->pri_reporting, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&u->pri_lock);
		nr = 0;
		for (i = 0; i < n; i++) {
			const uint64_t *p = &e[i * 2];
			uint64_t sid = FIELD(p[0], 31, 0);

			if (sid > 0xffff)
				continue;
			reqs[nr++] = (struct iommu_page_request){
				.rid = (uint16_t)sid,
				.pasid_present = p[0] & BIT64(63),
				.pasid = p[0] & BIT64(63) ? (uint32_t)FIELD(p[0], 51, 32) : 0,
				.addr = p[1] & ~0xfffull,
				.grpid = (uint16_t)FIELD(p[1], 8, 0),
				.last = p[0] & BIT64(62),
				.read = p[0] & BIT64(60),
				.write = p[0] & BIT64(61),
			};
		}
		if (nr)
			core_report_page_requests(u->unit, reqs, nr);
		__atomic_fetch_sub(&u->pri_reporting, 1, __ATOMIC_RELEASE);
	} while (n);
}

void smmu_drv_page_req_drain(struct siommu_unit *unit)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);

	/* Requests the unit queued before this call are read here, or by a
	 * thread that counted itself in pri_reporting before it moved
	 * PRIQ_CONS; its report is short (the core only queues them). */
	if (u->pri) {
		drain_priq(u);
		while (__atomic_load_n(&u->pri_reporting, __ATOMIC_ACQUIRE))
			sched_yield();
	}
	/*
	 * Stalls come through the event queue, whose other records run
	 * fault handlers: those may call the core, and ctx->lock is held
	 * here, so this drain does not read the queue. A stall's record is
	 * read by the thread whose transaction stalled, inside its DMA call
	 * (the event's MSI), or by the thread that was draining then; the
	 * wait covers those reports. A record still unread belongs to a
	 * transaction still in flight, which the unbind contract excludes.
	 */
	if (u->stall)
		while (__atomic_load_n(&u->stall_reporting, __ATOMIC_ACQUIRE))
			sched_yield();
}

void smmu_drv_drain_pending(struct smmu_drv_unit *u)
{
	unsigned int p;

	while ((p = __atomic_exchange_n(&u->pending, 0, __ATOMIC_ACQ_REL))) {
		if (p & SMMU_PEND_EVTQ)
			drain_evtq(u);
		if (p & SMMU_PEND_PRIQ)
			drain_priq(u);
	}
}

void smmu_drv_msi(void *opaque, enum siommu_smmuv3_irq irq, uint64_t addr, uint32_t data)
{
	struct smmu_drv_unit *u = opaque;
	unsigned int bit;

	(void)addr;
	(void)data;
	if (irq == SIOMMU_SMMUV3_IRQ_SRC_EVTQ)
		bit = SMMU_PEND_EVTQ;
	else if (irq == SIOMMU_SMMUV3_IRQ_SRC_PRIQ)
		bit = SMMU_PEND_PRIQ;
	else
		return;		/* GERROR: the command queue's waiter handles it */
	/* Raised inside our own register write (a device callback run by a
	 * command): the registers are not ours to read now; the writer
	 * drains once it has released q_lock. */
	if (smmu_drv_in_write(u)) {
		__atomic_or_fetch(&u->pending, bit, __ATOMIC_ACQ_REL);
		return;
	}
	__atomic_or_fetch(&u->pending, bit, __ATOMIC_ACQ_REL);
	smmu_drv_drain_pending(u);
}
