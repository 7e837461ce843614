/* SPDX-License-Identifier: MIT */
/*
 * Queued invalidation (VT-d 6.5.2): descriptors fetched from the queue at
 * IQA, from IQH up to IQT, processed synchronously in the IQT write.
 *
 * A descriptor takes effect completely before the next one is fetched, so
 * FN (fence) needs no extra work. A wait descriptor additionally waits for a
 * grace period when anything was invalidated since the last one: walks,
 * DMA copies and access callbacks run inside RCU read-side sections, and
 * fills by walks that began before an invalidation are refused through
 * inv_gen (see struct ctx_slot). Only then is the status written / IWC set.
 *
 * A bad descriptor sets FSTS.IQE with IQER.IQEI and stops the queue with
 * IQH pointing at it (VT-d 6.5.2.10). At most one pass over the queue is
 * made per tail the guest wrote, so a hostile tail cannot make it loop.
 *
 * Device-TLB invalidations and page group responses reach the device
 * through its callbacks, which run with no lock of the unit held: a device
 * may retry its DMA from them, that DMA may fault, and the fault event's
 * handler reads the fault registers. One thread at a time processes the
 * queue (qi_busy); it drops the register lock around each callback, with
 * IQH still at the descriptor, and advances IQH once the callback has
 * returned. An IQT write meanwhile, from the callback itself or another
 * thread, only moves the tail: the processing thread takes the new
 * descriptors in order when it is back. So descriptors still take effect
 * in queue order, and a wait descriptor completes only after the callbacks
 * of every descriptor before it have returned. Disabling the queue (or
 * re-enabling it, which resets IQH) while a callback runs bumps qi_epoch:
 * the processing thread then leaves IQH alone and stops, or starts over at
 * the new head.
 */
#include <errno.h>
#include <string.h>

#include "hw/vtd/vtd_internal.h"

enum {
	DESC_CC = 0x1,
	DESC_IOTLB = 0x2,
	DESC_DEVTLB = 0x3,
	DESC_IEC = 0x4,
	DESC_WAIT = 0x5,
	DESC_PIOTLB = 0x6,
	DESC_PC = 0x7,
	DESC_PDEVTLB = 0x8,
	DESC_PGRP_RESP = 0x9,
};

#define F(q, h, l) (((q) >> (l)) & ((1ull << ((h) - (l) + 1)) - 1))

/* Device-TLB size encoding (ATS spec; VT-d 6.5.2.5): S=1, lowest 0 bit
 * of ADDR at or above bit 12 gives the size. */
static void devtlb_range(uint64_t q1, struct siommu_vtd_devtlb_inv *inv)
{
	uint64_t addr = q1 & GENMASK64(63, 12);
	unsigned int k;

	if (!(q1 & 1)) {
		inv->addr = addr;
		inv->size = 4096;
		return;
	}
	k = (addr | 0xfff) == ~0ull ? 64 : (unsigned int)__builtin_ctzll(~(addr | 0xfff));
	if (k >= 63) {
		inv->all_addresses = true;
		return;
	}
	inv->size = 1ull << (k + 1);
	inv->addr = addr & ~(inv->size - 1);
}

static int page_inv(struct siommu_vtd *v, uint64_t q1, struct iotlb_match *m)
{
	unsigned int am = (unsigned int)F(q1, 5, 0);

	/* VT-d 6.5.2.3: AM above CAP.MAMV is an error; ADDR bits below the
	 * mask are ignored, so unaligned addresses are masked, not refused. */
	if (am > v->cfg.mamv)
		return SIOMMU_VTD_IQEI_MASK;
	m->mask = vtd_am_mask(am);
	m->addr = q1 & GENMASK64(63, 12) & ~m->mask;
	m->ih = q1 & BIT64(6);
	return 0;
}

/* A device callback a descriptor asks for, made once the lock is dropped. */
struct qi_call {
	enum { QC_NONE, QC_DEVTLB, QC_RESP } kind;
	struct siommu_vtd_devtlb_inv dinv;
	struct siommu_vtd_page_resp resp;
};

/*
 * Executes one descriptor; returns 0 or an IQEI code. A descriptor for a
 * device fills *call: it takes effect when that callback returns.
 */
static int qi_exec(struct siommu_vtd *v, const uint64_t d[4], bool dw,
		   unsigned int *msi, struct qi_call *call)
{
	unsigned int type = (unsigned int)(F(d[0], 3, 0) | F(d[0], 11, 9) << 4);
	unsigned int g = (unsigned int)F(d[0], 5, 4);
	struct iotlb_match m = { .did = (uint16_t)F(d[0], 31, 16) };
	struct siommu_vtd_devtlb_inv *dinv = &call->dinv;
	struct siommu_vtd_page_resp *resp = &call->resp;
	uint32_t status;
	int ret;

	if (type >= DESC_PIOTLB && !dw)
		return SIOMMU_VTD_IQEI_WIDTH;
	/* 128-bit descriptors in a 256-bit queue: the upper half is reserved. */
	if (type < DESC_PIOTLB && dw && (d[2] || d[3]))
		return SIOMMU_VTD_IQEI_RSVD;

	switch (type) {
	case DESC_CC:		/* VT-d 6.5.2.1 */
		if ((d[0] & (GENMASK64(8, 6) | GENMASK64(15, 12) | GENMASK64(63, 50))) ||
		    d[1] || !g)
			return SIOMMU_VTD_IQEI_RSVD;
		if (g == 3) {
			uint16_t sid = (uint16_t)F(d[0], 47, 32);
			uint16_t mask = vtd_sid_fm_mask((unsigned int)F(d[0], 49, 48));

			vtd_ctx_inv(v, false, sid, mask);
		} else {
			/* Scalable context entries carry no DID: a domain-
			 * selective invalidation is done globally. */
			vtd_ctx_inv(v, true, 0, 0);
		}
		break;
	case DESC_IOTLB:	/* VT-d 6.5.2.3 */
		if ((d[0] & (BIT64(8) | GENMASK64(15, 12) | GENMASK64(63, 32))) ||
		    (d[1] & GENMASK64(11, 7)) || !g)
			return SIOMMU_VTD_IQEI_RSVD;
		m.kind = g == 1 ? IM_ALL : g == 2 ? IM_DID : IM_DID_PAGE_SM;
		if (g == 3) {
			ret = page_inv(v, d[1], &m);
			if (ret)
				return ret;
		}
		vtd_iotlb_inv(v, &m);
		break;
	case DESC_PIOTLB:	/* VT-d 6.5.2.4 */
		if ((d[0] & (GENMASK64(8, 6) | GENMASK64(15, 12) | GENMASK64(63, 52))) ||
		    (d[1] & GENMASK64(11, 7)) || d[2] || d[3] || g < 2)
			return SIOMMU_VTD_IQEI_RSVD;
		m.pasid = (uint32_t)F(d[0], 51, 32);
		m.kind = g == 2 ? IM_DID_PASID : IM_DID_PASID_PAGE;
		if (g == 3) {
			ret = page_inv(v, d[1], &m);
			if (ret)
				return ret;
		}
		vtd_iotlb_inv(v, &m);
		break;
	case DESC_PC:		/* VT-d 6.5.2.2 */
		if ((d[0] & (GENMASK64(8, 6) | GENMASK64(15, 12) | GENMASK64(63, 52))) ||
		    d[1] || d[2] || d[3] || g == 2)
			return SIOMMU_VTD_IQEI_RSVD;
		vtd_pasid_inv(v, g, m.did, (uint32_t)F(d[0], 51, 32));
		break;
	case DESC_DEVTLB:	/* VT-d 6.5.2.5 */
	case DESC_PDEVTLB:	/* VT-d 6.5.2.6 */
		if (!(v->cfg.caps & SIOMMU_VTD_CAP_DT))
			return SIOMMU_VTD_IQEI_TYPE;
		memset(dinv, 0, sizeof(*dinv));
		if (type == DESC_DEVTLB) {
			if ((d[0] & (GENMASK64(8, 4) | GENMASK64(31, 21) |
				     GENMASK64(51, 48))) || (d[1] & GENMASK64(11, 1)))
				return SIOMMU_VTD_IQEI_RSVD;
			dinv->rid = (uint16_t)F(d[0], 47, 32);
		} else {
			if ((d[1] & GENMASK64(10, 1)) || d[2] || d[3])
				return SIOMMU_VTD_IQEI_RSVD;
			dinv->rid = (uint16_t)F(d[0], 31, 16);
			dinv->pasid_present = true;
			dinv->pasid = (uint32_t)F(d[0], 51, 32);
			dinv->all_pasids = d[1] & 1;
		}
		devtlb_range(type == DESC_DEVTLB ? d[1] : (d[1] & ~1ull) |
			     ((d[1] >> 11) & 1), dinv);
		call->kind = QC_DEVTLB;
		break;
	case DESC_PGRP_RESP:	/* VT-d 6.5.2.8 / 7.7 */
		if (!(v->cfg.caps & SIOMMU_VTD_CAP_PRS))
			return SIOMMU_VTD_IQEI_TYPE;
		if ((d[0] & (GENMASK64(8, 6) | GENMASK64(63, 52))) ||
		    (d[1] & (GENMASK64(1, 0) | GENMASK64(63, 12))))
			return SIOMMU_VTD_IQEI_RSVD;
		memset(resp, 0, sizeof(*resp));
		resp->rid = (uint16_t)F(d[0], 31, 16);
		resp->pasid_present = d[0] & BIT64(4);
		resp->pasid = (uint32_t)F(d[0], 51, 32);
		resp->code = (uint8_t)F(d[0], 15, 12);
		resp->prgi = (uint16_t)F(d[1], 11, 3);
		resp->priv_data_present = d[0] & BIT64(5);
		resp->priv_data[0] = d[2];
		resp->priv_data[1] = d[3];
		call->kind = QC_RESP;
		break;
	case DESC_WAIT:		/* VT-d 6.5.2.9 */
		if ((d[0] & (BIT64(8) | GENMASK64(31, 12))) || (d[1] & 3))
			return SIOMMU_VTD_IQEI_RSVD;
		vtd_stat_inc(v, ST_WAIT);
		if (v->need_sync) {
			vtd_sync(v);
			v->need_sync = false;
		}
		/* VT-d 6.5.2.9: SW, IF, FN and PD are independent, and a wait
		 * with none of them is a legal fence. */
		if (d[0] & BIT64(5)) {
			/* One 32-bit write, as the hardware's: a driver on
			 * another thread polls the word. */
			uint32_t *p = siommu_mem_host(v->mem, d[1] & ~3ull, 4);

			if (!p)
				return SIOMMU_VTD_IQEI_FETCH;
			status = (uint32_t)(d[0] >> 32);
			__atomic_store_n(p, status, __ATOMIC_RELEASE);
		}
		if ((d[0] & BIT64(4)) && !(v->ics & SIOMMU_VTD_ICS_IWC)) {
			v->ics |= SIOMMU_VTD_ICS_IWC;
			vtd_event(&v->iectl, MSI_INV, msi);
		}
		break;
	case DESC_IEC:		/* no interrupt remapping (ECAP.IR = 0) */
	default:
		return SIOMMU_VTD_IQEI_TYPE;
	}
	if (type != DESC_WAIT && type != DESC_PGRP_RESP)
		v->need_sync = true;
	vtd_stat_inc(v, ST_INV_DESC);
	return 0;
}

static void qi_error(struct siommu_vtd *v, int iqei, unsigned int *msi)
{
	v->iqer = (v->iqer & ~0xfull) | (unsigned int)iqei;
	vtd_fsts_set(v, SIOMMU_VTD_FSTS_IQE, msi);
}

/*
 * Make @call with the register lock dropped, after delivering the
 * interrupts gathered so far (an earlier wait's completion is signalled
 * before a later descriptor's callback runs).
 */
static void qi_call_unlocked(struct siommu_vtd *v, const struct qi_call *call,
			     unsigned int *msi)
{
	unsigned int pending = *msi;

	*msi = 0;
	pthread_mutex_unlock(&v->lock);
	vtd_msi_deliver(v, pending);
	if (call->kind == QC_DEVTLB)
		vtd_dev_devtlb_inv(v, &call->dinv);
	else
		vtd_dev_page_resp(v, &call->resp);
	pthread_mutex_lock(&v->lock);
}

/* The queue from IQH to IQT; the geometry is read anew after each callback. */
static void qi_run(struct siommu_vtd *v, unsigned int *msi)
{
	uint64_t tail = ~0ull, epoch = ~0ull, budget = 0;

	for (;;) {
		bool dw = v->iqa & SIOMMU_VTD_IQA_DW;
		uint64_t dsize = dw ? 32 : 16, qsize = 4096ull << (v->iqa & 7);
		uint64_t base = v->iqa & GENMASK64(63, 12);
		struct qi_call call = { .kind = QC_NONE };
		uint64_t d[4] = { 0 };
		uint32_t fsts;
		int err;

		if (!(v->gsts & SIOMMU_VTD_GCMD_QIE))
			return;
		pthread_mutex_lock(&v->fault_lock);
		fsts = v->fsts;
		pthread_mutex_unlock(&v->fault_lock);
		if ((fsts & SIOMMU_VTD_FSTS_IQE) || v->iqh == v->iqt)
			return;
		/* VT-d 10.4.22: with DW=1 IQT bit 4 is reserved. */
		if ((dw && (v->iqt & 0x10)) || v->iqt >= qsize || v->iqh >= qsize ||
		    (v->iqh & (dsize - 1))) {
			qi_error(v, SIOMMU_VTD_IQEI_TAIL, msi);
			return;
		}
		/* One pass per tail written (or queue enabled). */
		if (v->iqt != tail || v->qi_epoch != epoch) {
			tail = v->iqt;
			epoch = v->qi_epoch;
			budget = qsize / dsize;
		}
		if (!budget--)
			return;
		if (siommu_mem_read(v->mem, base + v->iqh, d, dsize))
			err = SIOMMU_VTD_IQEI_FETCH;
		else
			err = qi_exec(v, d, dw, msi, &call);
		if (err) {
			qi_error(v, err, msi);
			return;
		}
		if (call.kind != QC_NONE) {
			qi_call_unlocked(v, &call, msi);
			/* The queue was disabled or reset meanwhile: IQH is
			 * no longer ours to move. */
			if (v->qi_epoch != epoch)
				continue;
		}
		v->iqh = (v->iqh + dsize) & (qsize - 1);
	}
}

void vtd_qi_process(struct siommu_vtd *v, unsigned int *msi)
{
	if (v->qi_busy)
		return;
	v->qi_busy = true;
	qi_run(v, msi);
	v->qi_busy = false;
}
