/* SPDX-License-Identifier: MIT */
/*
 * The VT-d driver (scalable mode). It programs the unit the way a kernel
 * driver programs real hardware: registers through siommu_vtd_mmio_*() and
 * structures in memory, written in the formats of the VT-d specification
 * (3.x: 9.4 root entries, 9.4 scalable context entries, 9.5 PASID directory,
 * 9.6 PASID entries, 6.5.2 invalidation descriptors, 7.2 fault records). It
 * never looks inside the model.
 *
 * Per device: a context entry (at device add) pointing at a PASID directory
 * sized for the device's PASID width; PASID tables are allocated when a PASID
 * in their range is first attached. RID_PASID is 0, so RID traffic uses
 * PASID entry 0, like Linux's IOMMU_NO_PASID.
 *
 * Replacing a present PASID entry without a blocked window (VT-d 6.5.3.3
 * leaves updates of present entries to software): the entry is rewritten
 * with 64-bit stores, the table pointer (qw2) first, then the DID (qw1), then
 * present/PGTT/second-stage pointer (qw0) in one store. A walk reads qw0
 * before the rest, so it may pair either domain's table with either DID and
 * cache one domain's translations under the other's DID. Therefore:
 *   - while the replace is in flight, unmaps of either domain also flush
 *     the other side's DID for this PASID (core_att.alt_did);
 *   - the replace ends with PASID-cache and PASID-based IOTLB invalidations
 *     for both DIDs, and a wait that completes only after walks that read
 *     the entry before it have finished;
 *   - detaching clears only the present bit, so no walk can pair the old
 *     table with DID 0, which no invalidation would name.
 * DMA is thus translated by the old domain or the new one at every moment,
 * never blocked, and nothing of the old domain survives the replace.
 *
 * Page requests (7.5): the unit writes them into a one-page queue that the
 * driver drains on the page request event. Until a device has a handler for
 * I/O page faults, each group is answered "invalid request" (as Linux does
 * with requests nobody handles), so the device stops waiting for the page.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"

#define BIT64(n) (1ull << (n))

/* Context entry (VT-d 9.4, scalable mode). */
#define CTX_P		BIT64(0)
#define CTX_DTE		BIT64(2)
#define CTX_PASIDE	BIT64(3)
#define CTX_PRE		BIT64(4)
#define CTX_PDTS(x)	((uint64_t)(x) << 9)
/* PASID directory entry (9.5), PASID entry (9.6). */
#define PDE_P		BIT64(0)
#define PE0_P		BIT64(0)
#define PE0_AW(x)	((uint64_t)(x) << 2)
#define PE0_PGTT(x)	((uint64_t)(x) << 6)
#define PE2_SRE		BIT64(0)
#define PE2_FSPM(x)	((uint64_t)(x) << 2)
#define PE2_NXE		BIT64(5)	/* XD in first-stage entries is valid */
enum { PGTT_FS = 1, PGTT_SS = 2, PGTT_PT = 4 };

/* Invalidation descriptor types (6.5.2). */
enum {
	QI_CC = 1, QI_IOTLB = 2, QI_DEVTLB = 3, QI_WAIT = 5, QI_PIOTLB = 6,
	QI_PC = 7, QI_PDEVTLB = 8, QI_PGRP_RESP = 9,
};

/* Page request descriptor (7.5.1) and page group response (6.5.2.7). */
#define PRQ_SIZE	4096		/* PQA.PQS 0: 128 requests */
#define PRQ_PP		BIT64(8)	/* qw0: PASID present */
#define PRQ_PDP		BIT64(9)	/* qw0: private data present */
#define PRQ_LPIG	BIT64(2)	/* qw1: last page in group */
#define RESP_INVALID	1ull

#define IQ_ENTRIES 128		/* one 4K page of 256-bit descriptors */
#define POLL_LIMIT 1000000

/* Per-device state: where its PASID structures are. */
struct core_vtd_dev {
	uint64_t dir_pa;		/* PASID directory */
	uint64_t dir_size;
	unsigned int dir_entries;
	uint64_t *tables;		/* PASID table PA per directory entry */
};

/*
 * Per-unit driver state. Everything but the queue is used under ctx->lock
 * (n_did is also read, with an atomic load, by the stats call, which takes
 * no ctx->lock); q_lock protects the invalidation queue, the status page
 * and the counters after it. fault_lock serialises reading the fault
 * recording registers.
 * prq_lock serialises draining the page request queue (PQH, the answers
 * being built, the counter); it is taken before q_lock, which the answers
 * are submitted under.
 */
struct core_vtd {
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
	vtd_drv_replace_hook_fn *replace_hook;	/* tests; see core_internal.h */
	void *replace_arg;
	pthread_mutex_t q_lock;
	uint64_t iq_pa, status_pa;
	unsigned int iq_tail, iq_pending;
	uint32_t seq;
	uint64_t n_desc, n_wait;
	pthread_mutex_t fault_lock;
	uint64_t n_fault, n_fault_unhandled;
	pthread_mutex_t prq_lock;	/* PQH and what follows */
	uint64_t prq_pa;
	uint64_t n_page_req;
	struct prq_resp {		/* one pass's answers */
		unsigned int n;
		uint64_t d[PRQ_SIZE / 32][4];
	} prq_resp;
};

static uint64_t rd64(struct core_vtd *v, unsigned int off)
{
	uint64_t val = 0;

	siommu_vtd_mmio_read(v->hw, off, 8, &val);
	return val;
}

static uint32_t rd32(struct core_vtd *v, unsigned int off)
{
	uint64_t val = 0;

	siommu_vtd_mmio_read(v->hw, off, 4, &val);
	return (uint32_t)val;
}

static void wr64(struct core_vtd *v, unsigned int off, uint64_t val)
{
	siommu_vtd_mmio_write(v->hw, off, 8, val);
}

static void wr32(struct core_vtd *v, unsigned int off, uint32_t val)
{
	siommu_vtd_mmio_write(v->hw, off, 4, val);
}

/* Set a GCMD bit and wait for GSTS to follow (VT-d 10.4.4). */
static int gcmd_set(struct core_vtd *v, uint32_t bit, bool oneshot)
{
	unsigned int i;

	wr32(v, SIOMMU_VTD_REG_GCMD, v->gcmd | bit);
	for (i = 0; i < POLL_LIMIT; i++)
		if (rd32(v, SIOMMU_VTD_REG_GSTS) & bit)
			break;
	if (i == POLL_LIMIT)
		return -EIO;
	if (!oneshot)
		v->gcmd |= bit;
	return 0;
}

/* Queue one 256-bit descriptor; caller holds q_lock. */
static int qi_push(struct core_vtd *v, uint64_t qw0, uint64_t qw1);

/*
 * Submit what is queued plus a wait descriptor with status write, and wait
 * for it (the model processes the queue inside the IQT write; a real unit
 * would complete later, hence the bounded poll). Caller holds q_lock.
 */
static int qi_sync(struct core_vtd *v)
{
	uint32_t seq = ++v->seq, status = 0;
	unsigned int i;
	int ret;

	/* VT-d 6.5.2.9: SW=1 writes seq to the status address; FN=1 fences. */
	ret = qi_push(v, QI_WAIT | BIT64(5) | BIT64(6) | (uint64_t)seq << 32,
		      v->status_pa);
	if (ret)
		return ret;
	wr64(v, SIOMMU_VTD_REG_IQT, (uint64_t)v->iq_tail << 5);
	v->iq_pending = 0;
	for (i = 0; i < POLL_LIMIT; i++) {
		siommu_mem_read(v->mem, v->status_pa, &status, 4);
		if (__atomic_load_n(&status, __ATOMIC_ACQUIRE) == seq)
			break;
		if (rd32(v, SIOMMU_VTD_REG_FSTS) & (SIOMMU_VTD_FSTS_IQE |
						     SIOMMU_VTD_FSTS_ITE))
			return -EIO;
		sched_yield();
	}
	if (i == POLL_LIMIT)
		return -ETIMEDOUT;
	v->n_wait++;
	return 0;
}

static int qi_push4(struct core_vtd *v, const uint64_t d[4])
{
	int ret;

	/* Keep room for the wait that ends every batch. */
	if (v->iq_pending >= IQ_ENTRIES - 2 && (d[0] & 0xf) != QI_WAIT) {
		ret = qi_sync(v);
		if (ret)
			return ret;
	}
	siommu_mem_write(v->mem, v->iq_pa + (uint64_t)v->iq_tail * 32, d, 4 * sizeof(d[0]));
	v->iq_tail = (v->iq_tail + 1) % IQ_ENTRIES;
	v->iq_pending++;
	v->n_desc++;
	return 0;
}

static int qi_push(struct core_vtd *v, uint64_t qw0, uint64_t qw1)
{
	const uint64_t d[4] = { qw0, qw1, 0, 0 };

	return qi_push4(v, d);
}

/*
 * Run a batch built by @fill under the queue lock and wait for it. The
 * driver builds only valid descriptors: an error here means the unit is not
 * behaving as the specification says, which is reported and asserted.
 */
static void qi_run(struct core_vtd *v, void (*fill)(struct core_vtd *, void *),
		   void *arg)
{
	int ret;

	pthread_mutex_lock(&v->q_lock);
	fill(v, arg);
	ret = qi_sync(v);
	pthread_mutex_unlock(&v->q_lock);
	SIOMMU_ASSERT(!ret);
	(void)ret;
}

static void fill_global(struct core_vtd *v, void *arg)
{
	qi_push(v, QI_CC | 1ull << 4, 0);	/* context cache: global */
	qi_push(v, QI_PC | 3ull << 4, 0);	/* PASID cache: global */
	qi_push(v, QI_IOTLB | 1ull << 4, 0);	/* IOTLB: global */
}

/* Fault recording (VT-d 7.2.1, 10.4.14): read, clear, dispatch. */
static struct siommu_device *dev_by_rid(struct siommu_unit *unit, uint16_t rid)
{
	struct siommu_device *dev;

	cds_list_for_each_entry(dev, &unit->devices, unit_node)
		if (dev->cfg.rid == rid ||
		    (dev->cfg.alias_rid >= 0 && (uint16_t)dev->cfg.alias_rid == rid))
			return dev;
	return NULL;
}

/*
 * Read every pending fault record, clear it and dispatch it. A record that
 * lands while we read raises no new event (PPF is still set, 7.2.1), so
 * passes repeat until one finds nothing, bounded by the register count.
 */
static void vtd_process_faults(struct core_vtd *v)
{
	unsigned int i, pass, found = 1;

	pthread_mutex_lock(&v->fault_lock);
	for (pass = 0; found && pass <= v->nfr; pass++) {
		found = 0;
		for (i = 0; i < v->nfr; i++) {
			unsigned int off = v->fro + 16 * i;
			uint64_t lo = rd64(v, off), hi = rd64(v, off + 8);
			struct siommu_fault f;
			struct siommu_device *dev;
			siommu_fault_fn fn;
			void *arg;

			if (!(hi & BIT64(63)))		/* F */
				continue;
			f.addr = lo & ~0xfffull;
			f.rid = (uint16_t)hi;
			f.pasid_present = hi & BIT64(31);
			f.reason = (uint32_t)(hi >> 32) & 0xff;
			f.pasid = (uint32_t)(hi >> 40) & 0xfffff;
			f.write = !(hi & BIT64(62));	/* T: 1 = read */
			/* F is write-1-to-clear in the upper half. */
			wr64(v, off + 8, BIT64(63));
			found++;
			v->n_fault++;
			/* A device is removed only after its DMA stopped, so
			 * none that is faulting can go away under us. */
			pthread_mutex_lock(&v->unit->rid_lock);
			dev = dev_by_rid(v->unit, f.rid);
			fn = dev ? __atomic_load_n(&dev->fault_fn, __ATOMIC_ACQUIRE) : NULL;
			arg = dev ? __atomic_load_n(&dev->fault_arg, __ATOMIC_ACQUIRE) : NULL;
			pthread_mutex_unlock(&v->unit->rid_lock);
			if (fn)
				fn(arg, dev, &f);
			else
				v->n_fault_unhandled++;
		}
		/* PFO is write-1-to-clear; PPF follows the records. */
		wr32(v, SIOMMU_VTD_REG_FSTS, SIOMMU_VTD_FSTS_PFO);
	}
	pthread_mutex_unlock(&v->fault_lock);
}

static void fill_prq_resp(struct core_vtd *v, void *arg)
{
	const struct prq_resp *r = arg;
	unsigned int i;

	for (i = 0; i < r->n; i++)
		qi_push4(v, r->d[i]);
}

/*
 * Drain the page request queue (7.5.2): take the requests between PQH and
 * PQT, move PQH, clear PPR (and PRO), and look again, since a request that
 * lands after the PQT read raises no new event while PPR is set. Every
 * last-in-group request that asks for an answer gets "invalid request",
 * private data echoed.
 */
static void vtd_process_prq(struct core_vtd *v)
{
	struct prq_resp *r = &v->prq_resp;
	uint64_t head, tail;

	pthread_mutex_lock(&v->prq_lock);
	for (;;) {
		head = rd64(v, SIOMMU_VTD_REG_PQH) & (PRQ_SIZE - 32);
		tail = rd64(v, SIOMMU_VTD_REG_PQT) & (PRQ_SIZE - 32);
		if (head == tail) {
			/* PPR, and PRO: the unit answered what it dropped. */
			wr32(v, SIOMMU_VTD_REG_PRS, SIOMMU_VTD_PRS_PPR | SIOMMU_VTD_PRS_PRO);
			if ((rd64(v, SIOMMU_VTD_REG_PQT) & (PRQ_SIZE - 32)) == head)
				break;
			continue;
		}
		r->n = 0;
		for (; head != tail; head = (head + 32) % PRQ_SIZE) {
			uint64_t q[4];

			siommu_mem_read(v->mem, v->prq_pa + head, q, sizeof(q));
			v->n_page_req++;
			if (!(q[1] & PRQ_LPIG) || !(q[1] & 3))
				continue;	/* not last, or a stop marker */
			r->d[r->n][0] = QI_PGRP_RESP | (q[0] & PRQ_PP ? BIT64(4) : 0) |
					(q[0] & PRQ_PDP ? BIT64(5) : 0) |
					RESP_INVALID << 12 | (q[0] & 0x000fffffffff0000ull);
			r->d[r->n][1] = PRQ_LPIG | (q[1] & 0xff8);	/* PRGI */
			r->d[r->n][2] = q[0] & PRQ_PDP ? q[2] : 0;
			r->d[r->n][3] = q[0] & PRQ_PDP ? q[3] : 0;
			r->n++;
		}
		wr64(v, SIOMMU_VTD_REG_PQH, head);
		if (r->n)
			qi_run(v, fill_prq_resp, r);
	}
	pthread_mutex_unlock(&v->prq_lock);
}

static void vtd_msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr,
		    uint32_t data)
{
	if (irq == SIOMMU_VTD_IRQ_FAULT)
		vtd_process_faults(opaque);
	else if (irq == SIOMMU_VTD_IRQ_PRQ)
		vtd_process_prq(opaque);
}

int vtd_drv_init(struct siommu_unit *unit, const struct siommu_vtd_cfg *cfg)
{
	struct siommu_mem *mem = unit->ctx->mem;
	struct core_vtd *v;
	int ret;

	if (mem_should_fail(mem))
		return -ENOMEM;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->did_map = calloc(65536 / 64, sizeof(uint64_t));
	if (!v->did_map) {
		ret = -ENOMEM;
		goto out_free_v;
	}
	v->unit = unit;
	v->mem = mem;
	pthread_mutex_init(&v->q_lock, NULL);
	pthread_mutex_init(&v->fault_lock, NULL);
	pthread_mutex_init(&v->prq_lock, NULL);
	v->did_map[0] = 1;	/* DID 0 is reserved (with CM it must be) */

	ret = siommu_vtd_create(mem, cfg, &v->hw);
	if (ret)
		goto out_free_map;
	v->cap = rd64(v, SIOMMU_VTD_REG_CAP);
	v->ecap = rd64(v, SIOMMU_VTD_REG_ECAP);
	/* Scalable mode and queued invalidation are what this driver uses. */
	if (!(v->ecap & BIT64(43)) || !(v->ecap & BIT64(1))) {
		ret = -EOPNOTSUPP;
		goto out_destroy_hw;
	}
	v->aw = ((v->cap >> 16) & 0x3f) + 1;		/* MGAW */
	v->pasid_bits = v->ecap & BIT64(40) ? ((v->ecap >> 35) & 0x1f) + 1 : 0;
	v->mamv = (v->cap >> 48) & 0x3f;
	v->nfr = ((v->cap >> 40) & 0xff) + 1;
	v->fro = ((v->cap >> 24) & 0x3ff) * 16;

	ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &v->root_pa);
	if (ret)
		goto out_destroy_hw;
	ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &v->iq_pa);
	if (ret)
		goto out_free_root;
	ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &v->status_pa);
	if (ret)
		goto out_free_iq;
	ret = siommu_mem_frame_alloc(mem, PRQ_SIZE, SIOMMU_MEM_HW, &v->prq_pa);
	if (ret)
		goto out_free_status_frame;
	unit->vtd = v;

	/* Bring-up, in the order the specification asks (10.4.4-10.4.6). */
	siommu_vtd_set_msi(v->hw, vtd_msi, v);
	wr32(v, SIOMMU_VTD_REG_FEDATA, 0);
	wr32(v, SIOMMU_VTD_REG_FEADDR, 0xfee00000u);
	wr32(v, SIOMMU_VTD_REG_FECTL, 0);		/* unmask fault events */
	if (v->ecap & BIT64(29)) {			/* PRS */
		wr64(v, SIOMMU_VTD_REG_PQH, 0);
		wr64(v, SIOMMU_VTD_REG_PQA, v->prq_pa);	/* PQS 0: 4K */
		wr32(v, SIOMMU_VTD_REG_PEDATA, 0);
		wr32(v, SIOMMU_VTD_REG_PEADDR, 0xfee00000u);
		wr32(v, SIOMMU_VTD_REG_PECTL, 0);	/* unmask */
	}
	wr64(v, SIOMMU_VTD_REG_RTADDR, v->root_pa | SIOMMU_VTD_RTADDR_SMT);
	ret = gcmd_set(v, SIOMMU_VTD_GCMD_SRTP, true);
	if (ret)
		goto out_free_status;
	wr64(v, SIOMMU_VTD_REG_IQT, 0);
	wr64(v, SIOMMU_VTD_REG_IQA, v->iq_pa | SIOMMU_VTD_IQA_DW);	/* QS 0 */
	ret = gcmd_set(v, SIOMMU_VTD_GCMD_QIE, false);
	if (ret)
		goto out_free_status;
	qi_run(v, fill_global, NULL);
	ret = gcmd_set(v, SIOMMU_VTD_GCMD_TE, false);
	if (ret)
		goto out_free_status;
	return 0;

out_free_status:
	unit->vtd = NULL;
	siommu_mem_frame_free(mem, v->prq_pa, PRQ_SIZE, SIOMMU_MEM_HW);
out_free_status_frame:
	siommu_mem_frame_free(mem, v->status_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
out_free_iq:
	siommu_mem_frame_free(mem, v->iq_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
out_free_root:
	siommu_mem_frame_free(mem, v->root_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
out_destroy_hw:
	siommu_vtd_destroy(v->hw);
out_free_map:
	free(v->did_map);
out_free_v:
	pthread_mutex_destroy(&v->q_lock);
	pthread_mutex_destroy(&v->fault_lock);
	pthread_mutex_destroy(&v->prq_lock);
	free(v);
	return ret;
}

void vtd_drv_fini(struct siommu_unit *unit)
{
	struct core_vtd *v = unit->vtd;
	unsigned int b, h;

	/* Devices are gone; the unit stops translating before its tables go. */
	siommu_vtd_destroy(v->hw);
	for (b = 0; b < 256; b++)
		for (h = 0; h < 2; h++)
			if (v->ctx_pa[b][h])
				siommu_mem_frame_free(v->mem, v->ctx_pa[b][h],
						      SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->prq_pa, PRQ_SIZE, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->status_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->iq_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->root_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	free(v->did_map);
	pthread_mutex_destroy(&v->q_lock);
	pthread_mutex_destroy(&v->fault_lock);
	pthread_mutex_destroy(&v->prq_lock);
	free(v);
	unit->vtd = NULL;
}

struct siommu_vtd *vtd_drv_hw(struct siommu_unit *unit)
{
	return unit->vtd->hw;
}

unsigned int vtd_drv_pasid_bits(struct siommu_unit *unit)
{
	return unit->vtd->pasid_bits;
}

unsigned int vtd_drv_aw(struct siommu_unit *unit)
{
	return unit->vtd->aw;
}

bool vtd_drv_has(struct siommu_unit *unit, uint32_t cap)
{
	const struct core_vtd *v = unit->vtd;

	switch (cap) {
	case SIOMMU_VTD_CAP_FS: return v->ecap & BIT64(47);
	case SIOMMU_VTD_CAP_SS: return v->ecap & BIT64(46);
	case SIOMMU_VTD_CAP_PT: return v->ecap & BIT64(6);
	case SIOMMU_VTD_CAP_DT: return v->ecap & BIT64(2);
	case SIOMMU_VTD_CAP_PRS: return v->ecap & BIT64(29);
	case SIOMMU_VTD_CAP_SRS: return v->ecap & BIT64(31);
	case SIOMMU_VTD_CAP_CM: return v->cap & BIT64(7);
	case SIOMMU_VTD_CAP_FS1G: return v->cap & BIT64(56);
	case SIOMMU_VTD_CAP_SSLP: return (v->cap & (3ull << 34)) == (3ull << 34);
	default: return false;
	}
}

int vtd_drv_did_alloc(struct siommu_unit *unit, uint16_t *did)
{
	struct core_vtd *v = unit->vtd;
	unsigned int w, nd = 1u << (4 + 2 * (v->cap & 7));	/* CAP.ND */

	for (w = 0; w < nd / 64; w++) {
		if (~v->did_map[w]) {
			unsigned int b = __builtin_ctzll(~v->did_map[w]);

			v->did_map[w] |= 1ull << b;
			*did = (uint16_t)(w * 64 + b);
			__atomic_store_n(&v->n_did, v->n_did + 1, __ATOMIC_RELAXED);
			return 0;
		}
	}
	return -ENOSPC;
}

void vtd_drv_did_free(struct siommu_unit *unit, uint16_t did)
{
	struct core_vtd *v = unit->vtd;

	SIOMMU_ASSERT(did && (v->did_map[did / 64] & (1ull << (did % 64))));
	v->did_map[did / 64] &= ~(1ull << (did % 64));
	__atomic_store_n(&v->n_did, v->n_did - 1, __ATOMIC_RELAXED);
}

int vtd_drv_domain_check(struct siommu_unit *unit, struct siommu_domain *dom)
{
	struct core_vtd *v = unit->vtd;

	switch (dom->type) {
	case SIOMMU_DOMAIN_BLOCKED:
		return 0;
	case SIOMMU_DOMAIN_IDENTITY:
		return vtd_drv_has(unit, SIOMMU_VTD_CAP_PT) ? 0 : -EOPNOTSUPP;
	case SIOMMU_DOMAIN_PAGING:
		break;
	}
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		if (!vtd_drv_has(unit, SIOMMU_VTD_CAP_FS))
			return -EOPNOTSUPP;
		/* 5-level first stage needs CAP.FS5LP (bit 60). */
		if (dom->ias == 57 && !(v->cap & BIT64(60)))
			return -EINVAL;
		return 0;
	}
	if (!vtd_drv_has(unit, SIOMMU_VTD_CAP_SS))
		return -EOPNOTSUPP;
	/* SAGAW must support the table's depth (CAP bits 12:8). */
	if (!(v->cap & BIT64(8 + (dom->ias - 30) / 9)))
		return -EINVAL;
	return 0;
}

/* Context table of @rid's half, allocated on first use. */
static int ctx_table(struct core_vtd *v, uint16_t rid, uint64_t *pa)
{
	unsigned int bus = rid >> 8, half = (rid >> 7) & 1;
	uint64_t root = v->root_pa + bus * 16, e;
	int ret;

	if (v->ctx_pa[bus][half]) {
		*pa = v->ctx_pa[bus][half];
		return 0;
	}
	ret = siommu_mem_frame_alloc(v->mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, pa);
	if (ret)
		return ret;
	v->ctx_pa[bus][half] = *pa;
	/* Root entry (9.4): LP/LCTP in qw0, UP/UCTP in qw1. */
	siommu_mem_load64(v->mem, root + half * 8, &e);
	siommu_mem_store64(v->mem, root + half * 8, *pa | 1);
	return 0;
}

struct ctx_inv { uint16_t rid; };

static void fill_ctx_inv(struct core_vtd *v, void *arg)
{
	const struct ctx_inv *ci = arg;

	/* Device-selective context-cache invalidation (G=3), then the PASID
	 * cache and IOTLB, as VT-d 6.5.3.3 asks after a context change. */
	qi_push(v, QI_CC | 3ull << 4 | (uint64_t)ci->rid << 32, 0);
	qi_push(v, QI_PC | 3ull << 4, 0);
	qi_push(v, QI_IOTLB | 1ull << 4, 0);
}

/* Write the context entry of @rid to point at @dev's PASID directory. */
static int ctx_write(struct core_vtd *v, struct siommu_device *dev, uint16_t rid)
{
	struct core_vtd_dev *d = dev->vdev;
	unsigned int pdts = 0;
	uint64_t tpa, epa, qw0, old = 0;
	struct ctx_inv ci = { rid };
	int ret;

	ret = ctx_table(v, rid, &tpa);
	if (ret)
		return ret;
	while ((128u << pdts) < d->dir_entries)
		pdts++;
	epa = tpa + (rid & 0x7f) * 32;
	siommu_mem_load64(v->mem, epa, &old);
	qw0 = CTX_P | CTX_PDTS(pdts) | d->dir_pa;
	if (dev->pasid_bits && rid == dev->cfg.rid)
		qw0 |= CTX_PASIDE;
	if (dev->cfg.flags & SIOMMU_DEV_ATS)
		qw0 |= CTX_DTE;
	if (dev->cfg.flags & SIOMMU_DEV_PRI)
		qw0 |= CTX_PRE;
	/* qw1: RID_PASID 0; written before the present bit. Rewriting a
	 * present entry changes qw0 alone, in one store. */
	siommu_mem_store64(v->mem, epa + 8, 0);
	siommu_mem_store64(v->mem, epa + 16, 0);
	siommu_mem_store64(v->mem, epa + 24, 0);
	siommu_mem_store64(v->mem, epa, qw0);
	if (!(old & CTX_P))
		v->ctx_users[rid >> 8][(rid >> 7) & 1]++;
	qi_run(v, fill_ctx_inv, &ci);
	return 0;
}

/*
 * Another device of @dev's group whose DMA carries the same alias RID (two
 * devices behind one PCIe-to-PCI bridge). The alias RID has one context
 * entry, pointing at the PASID directory of one of them: their PASID 0
 * entries agree, since a group has one RID domain.
 */
static struct siommu_device *alias_sharer(struct siommu_device *dev)
{
	struct siommu_device *d;

	cds_list_for_each_entry(d, &dev->group->devices, group_node)
		if (d != dev && d->cfg.alias_rid == dev->cfg.alias_rid)
			return d;
	return NULL;
}

/* Whether the context entry of @rid points at @dev's PASID directory. */
static bool ctx_points_at(struct core_vtd *v, uint16_t rid, struct siommu_device *dev)
{
	uint64_t tpa = v->ctx_pa[rid >> 8][(rid >> 7) & 1], qw0 = 0;

	if (!tpa)
		return false;
	siommu_mem_load64(v->mem, tpa + (rid & 0x7f) * 32, &qw0);
	return (qw0 & CTX_P) && (qw0 & ~0xfffull) == dev->vdev->dir_pa;
}

static void ctx_clear(struct core_vtd *v, uint16_t rid)
{
	unsigned int bus = rid >> 8, half = (rid >> 7) & 1;
	struct ctx_inv ci = { rid };

	if (!v->ctx_pa[bus][half])
		return;
	siommu_mem_store64(v->mem, v->ctx_pa[bus][half] + (rid & 0x7f) * 32, 0);
	qi_run(v, fill_ctx_inv, &ci);
	if (--v->ctx_users[bus][half])
		return;
	/* The table's last entry is gone: unlink and free it, so that a
	 * device add that fails (or a remove) leaves no table behind. The
	 * wait orders the free after walks that read the root entry. */
	siommu_mem_store64(v->mem, v->root_pa + bus * 16 + half * 8, 0);
	qi_run(v, fill_ctx_inv, &ci);
	siommu_mem_frame_free(v->mem, v->ctx_pa[bus][half], SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	v->ctx_pa[bus][half] = 0;
}

int vtd_drv_dev_init(struct siommu_device *dev)
{
	struct core_vtd *v = dev->unit->vtd;
	struct core_vtd_dev *d;
	uint64_t need;
	int ret;

	if (mem_should_fail(v->mem))
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* Directory entries cover 64 PASIDs each (9.5); at least 128 (PDTS 0). */
	d->dir_entries = ((dev->max_pasid >> 6) + 1) < 128 ? 128 : (dev->max_pasid >> 6) + 1;
	while (d->dir_entries & (d->dir_entries - 1))
		d->dir_entries++;
	need = (uint64_t)d->dir_entries * 8;
	d->dir_size = need < SIOMMU_SZ_4K ? SIOMMU_SZ_4K : need;
	if (mem_should_fail(v->mem)) {
		ret = -ENOMEM;
		goto out_free_d;
	}
	d->tables = calloc(d->dir_entries, sizeof(uint64_t));
	if (!d->tables) {
		ret = -ENOMEM;
		goto out_free_d;
	}
	ret = siommu_mem_frame_alloc(v->mem, d->dir_size, SIOMMU_MEM_HW, &d->dir_pa);
	if (ret)
		goto out_free_tables;
	dev->vdev = d;
	/* PASID entry 0 exists from the start (blocked): RID DMA faults on a
	 * non-present PASID entry rather than a missing table. */
	ret = vtd_drv_pasid_prepare(dev, 0);
	if (ret)
		goto out_free_dir;
	ret = ctx_write(v, dev, dev->cfg.rid);
	if (ret)
		goto out_free_dir;
	/* A shared alias RID keeps the context entry it has. */
	if (dev->cfg.alias_rid >= 0 && !alias_sharer(dev)) {
		ret = ctx_write(v, dev, (uint16_t)dev->cfg.alias_rid);
		if (ret)
			goto out_clear_ctx;
	}
	return 0;

out_clear_ctx:
	ctx_clear(v, dev->cfg.rid);
out_free_dir:
	dev->vdev = NULL;
	if (d->tables[0])
		siommu_mem_frame_free(v->mem, d->tables[0], SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, d->dir_pa, d->dir_size, SIOMMU_MEM_HW);
out_free_tables:
	free(d->tables);
out_free_d:
	free(d);
	return ret;
}

void vtd_drv_dev_fini(struct siommu_device *dev)
{
	struct core_vtd *v = dev->unit->vtd;
	struct core_vtd_dev *d = dev->vdev;
	unsigned int i;

	if (dev->cfg.alias_rid >= 0) {
		uint16_t alias = (uint16_t)dev->cfg.alias_rid;
		struct siommu_device *other = alias_sharer(dev);

		/* A shared alias RID moves to the other device's directory
		 * (a present-to-present change, ctx_write()); it never sees
		 * a blocked window. */
		if (!other) {
			ctx_clear(v, alias);
		} else if (ctx_points_at(v, alias, dev)) {
			/* The entry's table exists: nothing to allocate. */
			int ret = ctx_write(v, other, alias);

			SIOMMU_ASSERT(!ret);
			(void)ret;
		}
	}
	ctx_clear(v, dev->cfg.rid);
	/* The context invalidation waited for walks that used these tables. */
	for (i = 0; i < d->dir_entries; i++)
		if (d->tables[i])
			siommu_mem_frame_free(v->mem, d->tables[i], SIOMMU_SZ_4K,
					      SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, d->dir_pa, d->dir_size, SIOMMU_MEM_HW);
	free(d->tables);
	free(d);
	dev->vdev = NULL;
}

int vtd_drv_pasid_prepare(struct siommu_device *dev, uint32_t pasid)
{
	struct core_vtd *v = dev->unit->vtd;
	struct core_vtd_dev *d = dev->vdev;
	unsigned int di = pasid >> 6;
	uint64_t pa;
	int ret;

	if (d->tables[di])
		return 0;
	ret = siommu_mem_frame_alloc(v->mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &pa);
	if (ret)
		return ret;
	d->tables[di] = pa;
	/* Not present -> present needs no invalidation without caching mode;
	 * the PASID-cache invalidation of the attach covers CM. */
	siommu_mem_store64(v->mem, d->dir_pa + di * 8, pa | PDE_P);
	return 0;
}

/* The PASID entry's quadwords for @dom on @unit (9.6). */
static void pasid_entry(struct core_vtd *v, struct siommu_domain *dom,
			uint16_t did, uint64_t q[3])
{
	q[0] = q[1] = q[2] = 0;
	if (!dom || dom->type == SIOMMU_DOMAIN_BLOCKED)
		return;
	q[1] = did;
	if (dom->type == SIOMMU_DOMAIN_IDENTITY) {
		/* AW must still name a supported width (SAGAW). */
		q[0] = PE0_P | PE0_PGTT(PGTT_PT) | PE0_AW((v->aw - 30) / 9);
		return;
	}
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		q[0] = PE0_P | PE0_PGTT(PGTT_FS);
		/* The page table writes XD on pages without execute: NXE
		 * makes the bit valid rather than reserved. */
		q[2] = siommu_pt_root(dom->pt) | PE2_FSPM(dom->ias == 57 ? 1 : 0) |
		       PE2_NXE;
		/* Supervisor requests are allowed where the unit has them; the
		 * U/S bit of each mapping still decides (SIOMMU_PROT_PRIV). */
		if (v->ecap & BIT64(31))
			q[2] |= PE2_SRE;
		return;
	}
	q[0] = PE0_P | PE0_PGTT(PGTT_SS) | PE0_AW((dom->ias - 30) / 9) |
	       siommu_pt_root(dom->pt);
}

struct pasid_inv {
	struct siommu_device *dev;
	uint32_t pasid;
	uint16_t did[2];
	bool ss[2];		/* that side's entry was (is) second-stage */
};

/* Whether @dom's PASID entries are second-stage ones (pasid_entry()). */
static bool dom_is_ss(const struct siommu_domain *dom)
{
	return dom && dom->type != SIOMMU_DOMAIN_BLOCKED &&
	       dom->type != SIOMMU_DOMAIN_IDENTITY && dom->stage != SIOMMU_STAGE_FIRST;
}

static void fill_pasid_inv(struct core_vtd *v, void *arg)
{
	const struct pasid_inv *pi = arg;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		uint64_t tag = (uint64_t)pi->did[i] << 16 | (uint64_t)pi->pasid << 32;

		if (i && pi->did[1] == pi->did[0])
			break;
		/* PASID-selective PASID-cache (G=1), then the IOTLB (VT-d
		 * 6.5.3.3): for a first-stage or pass-through entry, every
		 * entry of (DID, PASID) (type 6, G=2); for a second-stage
		 * one, the domain (type 2, G=2), since PASID-based
		 * invalidation does not reach second-stage translations and
		 * paging-structure entries, which belong to the domain. */
		qi_push(v, QI_PC | 1ull << 4 | tag, 0);
		if (pi->ss[i])
			qi_push(v, QI_IOTLB | 2ull << 4 | (uint64_t)pi->did[i] << 16, 0);
		else
			qi_push(v, QI_PIOTLB | 2ull << 4 | tag, 0);
	}
	if (pi->dev->cfg.flags & SIOMMU_DEV_ATS) {
		uint64_t all = ~0ull & ~1ull & ~(1ull << 63);	/* S=1, whole space */

		if (pi->pasid)
			qi_push(v, QI_PDEVTLB | (uint64_t)pi->dev->cfg.rid << 16 |
				(uint64_t)pi->pasid << 32, (all & ~0x7ffull) | 1ull << 11);
		else
			qi_push(v, QI_DEVTLB | (uint64_t)pi->dev->cfg.rid << 32,
				(all & ~0xfffull) | 1);
	}
}

void vtd_drv_replace_hook_set(struct siommu_unit *unit, vtd_drv_replace_hook_fn *fn,
			      void *arg)
{
	unit->vtd->replace_hook = fn;
	unit->vtd->replace_arg = arg;
}

static void replace_step(struct core_vtd *v, unsigned int store)
{
	if (unlikely(v->replace_hook))
		v->replace_hook(v->replace_arg, store);
}

void vtd_drv_set_pasid(struct siommu_device *dev, uint32_t pasid,
		       struct siommu_domain *old, struct siommu_domain *dom)
{
	struct core_vtd *v = dev->unit->vtd;
	struct core_vtd_dev *d = dev->vdev;
	unsigned int ui = dev->unit->index;
	uint64_t epa = d->tables[pasid >> 6] + (pasid & 63) * 64;
	uint16_t new_did = dom ? dom->did[ui] : 0, old_did = old ? old->did[ui] : 0;
	struct pasid_inv pi = { dev, pasid, { old_did, new_did },
				{ dom_is_ss(old), dom_is_ss(dom) } };
	uint64_t q[3];

	SIOMMU_ASSERT(d->tables[pasid >> 6]);
	pasid_entry(v, dom, new_did, q);
	if (!q[0]) {
		/* Blocked: only P is cleared. A walk reads qw0 first (9.6
		 * order) and may read the rest after our stores; with qw1
		 * cleared it could cache the old translation under DID 0,
		 * which no invalidation below names. */
		siommu_mem_store64(v->mem, epa, 0);
	} else {
		if (q[2])
			siommu_mem_store64(v->mem, epa + 16, q[2]);
		replace_step(v, 1);
		siommu_mem_store64(v->mem, epa + 8, q[1]);
		replace_step(v, 2);
		siommu_mem_store64(v->mem, epa, q[0]);
		replace_step(v, 3);
		if (!q[2])
			siommu_mem_store64(v->mem, epa + 16, 0);
	}
	if (!pi.did[0]) {
		pi.did[0] = new_did;
		pi.ss[0] = pi.ss[1];
	}
	if (!pi.did[1]) {
		pi.did[1] = pi.did[0];
		pi.ss[1] = pi.ss[0];
	}
	qi_run(v, fill_pasid_inv, &pi);
}

/* Page-selective invalidation covering [start, last]: address and AM. */
static bool psi_range(struct core_vtd *v, uint64_t start, uint64_t last,
		      uint64_t *addr, unsigned int *am)
{
	unsigned int order;

	/* The smallest aligned power-of-two block of pages holding both ends
	 * (trap 7: the hardware masks ADDR with AM; software aligns). Orders
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
	struct siommu_unit *unit;
	struct siommu_domain *dom;
	uint64_t start, last;
	bool leaf_only;
};

static void fill_dom_flush(struct core_vtd *v, void *arg)
{
	const struct dom_flush *f = arg;
	uint16_t did = f->dom->did[f->unit->index];
	struct core_att *att;
	uint64_t addr = 0;
	unsigned int am = 0;
	bool psi = psi_range(v, f->start, f->last, &addr, &am);
	uint64_t ih = f->leaf_only ? 1ull << 6 : 0;	/* IH: walk caches may stay */

	if (f->dom->stage == SIOMMU_STAGE_SECOND) {
		/* Second stage: IOTLB by DID covers every PASID (6.5.2.3). */
		if (psi)
			qi_push(v, QI_IOTLB | 3ull << 4 | (uint64_t)did << 16,
				addr | ih | am);
		else
			qi_push(v, QI_IOTLB | 2ull << 4 | (uint64_t)did << 16, 0);
	}
	cds_list_for_each_entry(att, &f->dom->atts, dom_node) {
		struct siommu_device *dev = att->dev;
		uint64_t tag = (uint64_t)did << 16 | (uint64_t)att->pasid << 32;

		if (dev->unit != f->unit)
			continue;
		/* A replace in flight: this domain's translations may also
		 * be cached under the other side's DID (see core_att). */
		if (att->alt_did) {
			uint64_t alt = (uint64_t)att->alt_did << 16;
			uint64_t g = psi ? 3ull << 4 : 2ull << 4;
			uint64_t a = psi ? addr | ih | am : 0;

			if (f->dom->stage == SIOMMU_STAGE_SECOND)
				qi_push(v, QI_IOTLB | g | alt, a);
			else
				qi_push(v, QI_PIOTLB | g | alt | (uint64_t)att->pasid << 32, a);
		}
		/* First stage: PASID-based IOTLB per attachment (6.5.2.4;
		 * a type-2 PSI would drop every first-stage entry of the DID,
		 * trap 2). */
		if (f->dom->stage == SIOMMU_STAGE_FIRST) {
			if (psi)
				qi_push(v, QI_PIOTLB | 3ull << 4 | tag, addr | ih | am);
			else
				qi_push(v, QI_PIOTLB | 2ull << 4 | tag, 0);
		}
		if (dev->cfg.flags & SIOMMU_DEV_ATS) {
			/* ATS size encoding (6.5.2.5): S=1 and the bits below
			 * the size bit set. */
			uint64_t dt = am ? (addr | ((1ull << (11 + am)) - 1)) & ~0xfffull : addr;
			uint64_t s = am ? 1 : 0;

			if (!psi) {
				dt = ~0ull & ~0xfffull & ~(1ull << 63);
				s = 1;
			}
			if (att->pasid)
				qi_push(v, QI_PDEVTLB | (uint64_t)dev->cfg.rid << 16 |
					(uint64_t)att->pasid << 32, dt | s << 11);
			else
				qi_push(v, QI_DEVTLB | (uint64_t)dev->cfg.rid << 32, dt | s);
		}
	}
}

void vtd_drv_flush(struct siommu_unit *unit, struct siommu_domain *dom,
		   uint64_t start, uint64_t last, bool leaf_only)
{
	struct dom_flush f = { unit, dom, start, last, leaf_only };

	qi_run(unit->vtd, fill_dom_flush, &f);
}

void vtd_drv_get_stats(struct siommu_unit *unit, struct siommu_unit_stats *st)
{
	struct core_vtd *v = unit->vtd;

	pthread_mutex_lock(&v->q_lock);
	st->inv_descriptors = v->n_desc;
	st->inv_waits = v->n_wait;
	pthread_mutex_unlock(&v->q_lock);
	pthread_mutex_lock(&v->fault_lock);
	st->faults = v->n_fault;
	st->faults_unhandled = v->n_fault_unhandled;
	pthread_mutex_unlock(&v->fault_lock);
	pthread_mutex_lock(&v->prq_lock);
	st->page_requests = v->n_page_req;
	pthread_mutex_unlock(&v->prq_lock);
	st->domain_ids = __atomic_load_n(&v->n_did, __ATOMIC_RELAXED);
}
