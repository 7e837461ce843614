/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv2 driver: bring-up (SMMUv2 9.6 ID registers, 10.x sCR0),
 * stream mapping, context banks, TLB maintenance and fault reporting, and
 * the ops table the core drives it through.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/drv_wait.h"
#include "core/drivers/smmuv2/smmuv2_drv.h"

/* SCTLR of a bank in use: translate, access flag faults, faults recorded,
 * reported (abort) and interrupting, each transaction processed whatever
 * fault is outstanding (HUPCF, as Linux programs a GPU's bank: a fault
 * stalls only while the bank is set to, never because another stream's
 * transaction is held); CFCFG added while it stalls. */
#define SCTLR_ON	(SIOMMU_SMMUV2_SCTLR_M | SIOMMU_SMMUV2_SCTLR_AFE | \
			 SIOMMU_SMMUV2_SCTLR_CFRE | SIOMMU_SMMUV2_SCTLR_CFIE | \
			 SIOMMU_SMMUV2_SCTLR_HUPCF)
/* TCR attributes of the walks: inner/outer write-back, inner shareable. */
#define TCR_WALK_ATTRS	((1u << 8) | (1u << 10) | (3u << 12))
/* MAIR0: attribute 0 normal write-back, 1 device-nGnRE (as the table's
 * leaves index them). */
#define MAIR0_VAL	0x04ffu

/* A register read, through the test hook if one is set. */
static uint64_t rd(struct smmuv2_drv_unit *v, uint64_t off, unsigned int size)
{
	smmuv2_drv_rd_hook_fn *hook = __atomic_load_n(&v->rd_hook, __ATOMIC_ACQUIRE);
	uint64_t val = 0;

	siommu_smmuv2_mmio_read(v->hw, off, size, &val);
	if (unlikely(hook))
		val = hook(__atomic_load_n(&v->rd_hook_arg, __ATOMIC_RELAXED), off, val);
	return val;
}

uint32_t smmuv2_drv_rd32(struct smmuv2_drv_unit *v, uint64_t off)
{
	return (uint32_t)rd(v, off, 4);
}

uint64_t smmuv2_drv_rd64(struct smmuv2_drv_unit *v, uint64_t off)
{
	return rd(v, off, 8);
}

void smmuv2_drv_test_hook_set(struct siommu_unit *unit, smmuv2_drv_rd_hook_fn *fn,
			      void *arg, uint64_t wait_ns)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);

	if (fn)
		__atomic_store_n(&v->rd_hook_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&v->wait_ns, wait_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&v->rd_hook, fn, __ATOMIC_RELEASE);
}

void smmuv2_drv_test_wr_hook_set(struct siommu_unit *unit, smmuv2_drv_wr_hook_fn *fn,
				 void *arg)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);

	if (fn)
		__atomic_store_n(&v->wr_hook_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&v->wr_hook, fn, __ATOMIC_RELEASE);
}

static void wr(struct smmuv2_drv_unit *v, uint64_t off, unsigned int size, uint64_t val)
{
	smmuv2_drv_wr_hook_fn *hook = __atomic_load_n(&v->wr_hook, __ATOMIC_ACQUIRE);

	if (unlikely(hook))
		hook(__atomic_load_n(&v->wr_hook_arg, __ATOMIC_RELAXED), off, val);
	siommu_smmuv2_mmio_write(v->hw, off, size, val);
}

void smmuv2_drv_wr32(struct smmuv2_drv_unit *v, uint64_t off, uint32_t val)
{
	wr(v, off, 4, val);
}

void smmuv2_drv_wr64(struct smmuv2_drv_unit *v, uint64_t off, uint64_t val)
{
	wr(v, off, 8, val);
}

static uint64_t cb_reg(int cb, uint64_t off)
{
	return SIOMMU_SMMUV2_CB(cb) + off;
}

/* TLB maintenance ----------------------------------------------------------- */

/*
 * Wait for the sync just written to complete: bit 0 of the status
 * register at @status (TLBSTATUS.SACTIVE, sTLBGSTATUS.GSACTIVE) clear.
 * The unit shows no progress but that bit, so the wait gives up only once
 * it has stayed set for DRV_WAIT_STALL_NS (core/drv_wait.h), not after a
 * count of polls: a sync completes only after the walks and DMA that
 * started before it, which another thread may hold up for long. 0 or
 * -ETIMEDOUT.
 */
static int sync_wait(struct smmuv2_drv_unit *v, uint64_t status)
{
	uint64_t limit = __atomic_load_n(&v->wait_ns, __ATOMIC_RELAXED);
	struct drv_stall st = DRV_STALL_INIT;

	if (!limit)
		limit = DRV_WAIT_STALL_NS;
	if (likely(!(smmuv2_drv_rd32(v, status) & 1)))
		return 0;
	for (;;) {
		if (drv_stall_due(&st) && drv_stall_expired_after(&st, 0, limit))
			return -ETIMEDOUT;
		sched_yield();
		if (!(smmuv2_drv_rd32(v, status) & 1))
			return 0;
	}
}

/* Write the sync register at @sync and wait on @status, counted: the
 * write as a maintenance operation, then a completed wait or an error. */
static void sync_run(struct smmuv2_drv_unit *v, uint64_t sync, uint64_t status)
{
	smmuv2_drv_wr32(v, sync, 0);
	__atomic_fetch_add(&v->n_tlbi, 1, __ATOMIC_RELAXED);
	if (sync_wait(v, status))
		__atomic_fetch_add(&v->n_sync_err, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&v->n_sync, 1, __ATOMIC_RELAXED);
}

void smmuv2_drv_tlb_sync(struct smmuv2_drv_unit *v, int cb)
{
	sync_run(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TLBSYNC), cb_reg(cb, SIOMMU_SMMUV2_CB_TLBSTATUS));
}

/* GR0's sTLBGSYNC, waited for on sTLBGSTATUS.GSACTIVE. */
static void tlb_gsync(struct smmuv2_drv_unit *v)
{
	sync_run(v, SIOMMU_SMMUV2_STLBGSYNC, SIOMMU_SMMUV2_STLBGSTATUS);
}

/*
 * Invalidate every entry of @vmid (stage 1 and stage 2) with GR0's
 * TLBIVMID, then sTLBGSYNC. TLBIALL in a bank is a stage-1 operation; a
 * stage-2 bank's entries go this way.
 */
static void tlbi_vmid(struct smmuv2_drv_unit *v, uint32_t vmid)
{
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_TLBIVMID, vmid);
	__atomic_fetch_add(&v->n_tlbi, 1, __ATOMIC_RELAXED);
	tlb_gsync(v);
}

static void tlbi(struct smmuv2_drv_unit *v, int cb, uint64_t off, unsigned int size,
		 uint64_t val)
{
	wr(v, cb_reg(cb, off), size, val);
	__atomic_fetch_add(&v->n_tlbi, 1, __ATOMIC_RELAXED);
}

/* Pages in [start, last], or UINT64_MAX when there are more than @max. */
static uint64_t range_pages(uint64_t start, uint64_t last, uint64_t max)
{
	uint64_t n = (last >> 12) - (start >> 12) + 1;

	return n && n <= max ? n : UINT64_MAX;
}

void smmuv2_drv_tlbi_asid_range(struct smmuv2_drv_unit *v, int cb, uint16_t asid,
				uint64_t start, uint64_t last, bool leaf_only)
{
	uint64_t n = range_pages(start, last, SMMUV2_DRV_TLBI_PAGES_MAX), i;

	if (n == UINT64_MAX) {
		tlbi(v, cb, SIOMMU_SMMUV2_CB_TLBIASID, 4, asid);
	} else {
		/* AArch64 format: VA[55:12] in bits 43:0, the ASID in 63:48
		 * (SMMUv2 10.6.x). TLBIVAL keeps the walk caches. */
		uint64_t off = leaf_only ? SIOMMU_SMMUV2_CB_TLBIVAL : SIOMMU_SMMUV2_CB_TLBIVA;

		for (i = 0; i < n; i++)
			tlbi(v, cb, off, 8, ((start >> 12) + i) | SIOMMU_SMMUV2_TTBR_ASID(asid));
	}
	smmuv2_drv_tlb_sync(v, cb);
}

/* The VMID of bank @cb: its index + 1, never shared. */
static uint32_t cb_vmid(int cb)
{
	return (uint32_t)cb + 1;
}

/* Stage 2: by IPA page, or every entry of the bank's VMID. */
static void tlbi_s2_range(struct smmuv2_drv_unit *v, int cb, uint64_t start,
			  uint64_t last, bool leaf_only)
{
	uint64_t n = range_pages(start, last, SMMUV2_DRV_TLBI_PAGES_MAX), i;

	if (n == UINT64_MAX) {
		tlbi_vmid(v, cb_vmid(cb));
		return;
	} else {
		uint64_t off = leaf_only ? SIOMMU_SMMUV2_CB_TLBIIPAS2L : SIOMMU_SMMUV2_CB_TLBIIPAS2;

		for (i = 0; i < n; i++)
			tlbi(v, cb, off, 8, (start >> 12) + i);
	}
	smmuv2_drv_tlb_sync(v, cb);
}

static void iotlb_sync(struct siommu_unit *unit, struct siommu_domain *dom,
		       const struct iommu_gather *g)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);
	struct smmuv2_drv_dom *vd = smmuv2_drv_dom(dom, unit);
	struct smmuv2_drv_att *pa;

	if (vd->cb >= 0) {
		if (vd->s2)
			tlbi_s2_range(v, vd->cb, g->start, g->last, g->leaf_only);
		else
			smmuv2_drv_tlbi_asid_range(v, vd->cb, vd->asid, g->start, g->last,
						   g->leaf_only);
	}
	/* The banks where devices switch to the table as a PASID's. */
	cds_list_for_each_entry(pa, &vd->patts, dom_node)
		if (pa->cb >= 0)
			smmuv2_drv_tlbi_asid_range(v, pa->cb, vd->asid, g->start, g->last,
						   g->leaf_only);
}

static void flush_all(struct siommu_unit *unit, struct siommu_domain *dom)
{
	const struct iommu_gather g = { 0, UINT64_MAX, false };

	iotlb_sync(unit, dom, &g);
}

/* IDs ------------------------------------------------------------------------- */

int smmuv2_drv_asid_alloc(struct smmuv2_drv_unit *v, uint16_t *asid)
{
	unsigned int w;

	for (w = 0; w < 65536 / 64; w++) {
		if (~v->asid_map[w]) {
			unsigned int b = (unsigned int)__builtin_ctzll(~v->asid_map[w]);

			v->asid_map[w] |= 1ull << b;
			*asid = (uint16_t)(w * 64 + b);
			return 0;
		}
	}
	return -ENOSPC;
}

void smmuv2_drv_asid_free(struct smmuv2_drv_unit *v, uint16_t asid)
{
	v->asid_map[asid / 64] &= ~(1ull << (asid % 64));
}

/* A free context bank, or -ENOSPC. */
static int cb_alloc(struct smmuv2_drv_unit *v)
{
	unsigned int i;

	/* A fail point: the sweeps run out of banks at every attach. */
	if (mem_should_fail(v->mem))
		return -ENOSPC;
	for (i = 0; i < v->num_cb; i++) {
		if (!(v->cb_map[i / 64] & (1ull << (i % 64)))) {
			v->cb_map[i / 64] |= 1ull << (i % 64);
			return (int)i;
		}
	}
	return -ENOSPC;
}

static void cb_free(struct smmuv2_drv_unit *v, int cb)
{
	v->cb_map[cb / 64] &= ~(1ull << (cb % 64));
}

/* Context banks --------------------------------------------------------------- */

/*
 * Program bank @cb, which no stream uses yet, for paging domain @dom
 * (Arm SMMUv2 10.x, Arm ARM D8.2): stage 1 with TTBR0 only (EPD1), T0SZ
 * for the table's width, 16-bit ASIDs in TTBR0; or stage 2 with the start
 * level (SL0) of the table's depth. The VMID is the bank's index + 1.
 * Faults are recorded, interrupt, and terminate the transaction.
 */
static void cb_program(struct smmuv2_drv_unit *v, int cb, struct siommu_domain *dom,
		       const struct smmuv2_drv_dom *vd)
{
	uint64_t root = siommu_pt_root(dom->pt);
	unsigned int t0sz = 64 - dom->ias;
	uint32_t vmid = cb_vmid(cb);

	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_SCTLR), 0);
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_CBA2R(cb), SIOMMU_SMMUV2_CBA2R_VA64);
	if (vd->s2) {
		/* SL0 names the start level: 0 level 2, 1 level 1, 2 level 0. */
		unsigned int start = 4 - siommu_pt_levels(dom->pt);

		smmuv2_drv_wr32(v, SIOMMU_SMMUV2_CBAR(cb), SIOMMU_SMMUV2_CBAR_S2 | vmid);
		smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TCR),
				SIOMMU_SMMUV2_TCR_T0SZ(t0sz) | TCR_WALK_ATTRS |
				SIOMMU_SMMUV2_VTCR_SL0(2 - start) |
				SIOMMU_SMMUV2_VTCR_PS(v->oas_enc));
		smmuv2_drv_wr64(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TTBR0), root);
	} else {
		smmuv2_drv_wr32(v, SIOMMU_SMMUV2_CBAR(cb), SIOMMU_SMMUV2_CBAR_S1_BYPASS | vmid);
		smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TCR2),
				SIOMMU_SMMUV2_TCR2_PASIZE(v->oas_enc) | SIOMMU_SMMUV2_TCR2_AS);
		smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TCR),
				SIOMMU_SMMUV2_TCR_T0SZ(t0sz) | TCR_WALK_ATTRS |
				SIOMMU_SMMUV2_TCR_EPD1);
		smmuv2_drv_wr64(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TTBR0),
				root | SIOMMU_SMMUV2_TTBR_ASID(vd->asid));
		smmuv2_drv_wr64(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TTBR1), 0);
		smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_MAIR0), MAIR0_VAL);
	}
	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_CONTEXTIDR), 0);
	/* The fault bits: SS is RESUME's to clear (SMMUv2, SMMU_CBn_FSR),
	 * and a bank no stream uses holds nothing (what its stalling
	 * tables held ended as they left it). */
	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR), SIOMMU_SMMUV2_FSR_FAULT);
	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_SCTLR), SCTLR_ON);
}

static void stall_end_locked(struct smmuv2_drv_unit *v, int cb, uint32_t fsr, bool retry);

/*
 * Retire bank @cb, which no stream uses any more: disable it, drop every
 * entry of its VMID (the domain's and any ASID a device switched to in
 * it), and wait, so that the next domain given the bank starts clean.
 */
static void cb_retire(struct smmuv2_drv_unit *v, int cb)
{
	struct smmuv2_drv_stall *st = &v->stalls[cb];
	uint32_t fsr;

	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_SCTLR), 0);
	/* A transaction still held (a stall whose interrupt has not been
	 * taken) is aborted: only RESUME clears SS, and the next domain
	 * given the bank would find it held there, its first RESUME ending
	 * a stranger's transaction. A late answer finds no report. */
	pthread_mutex_lock(&v->fault_lock);
	fsr = smmuv2_drv_rd32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR));
	if (fsr & SIOMMU_SMMUV2_FSR_SS)
		stall_end_locked(v, cb, fsr, false);
	*st = (struct smmuv2_drv_stall){ .gen = st->gen };
	pthread_mutex_unlock(&v->fault_lock);
	tlbi_vmid(v, cb_vmid(cb));
}

/*
 * Whether @dom's table is a stage-1 one with an ASID: a stage-1 paging
 * domain, or an SVA domain on a process's Arm64 table.
 */
static bool dom_s1(const struct siommu_domain *dom)
{
	return (dom->type == SIOMMU_DOMAIN_PAGING && dom->stage == SIOMMU_STAGE_FIRST) ||
	       dom->type == SIOMMU_DOMAIN_SVA;
}

/* The unit's check that it can walk @dom: 0, -EOPNOTSUPP, -EINVAL. */
static int domain_check(const struct smmuv2_drv_unit *v, const struct siommu_domain *dom)
{
	if (dom->type == SIOMMU_DOMAIN_SVA)
		return !v->s1 ? -EOPNOTSUPP : dom->ops != &smmuv2_iommu_ops ? -EINVAL : 0;
	if (dom->type != SIOMMU_DOMAIN_PAGING)
		return 0;
	if (dom->stage == SIOMMU_STAGE_FIRST ? !v->s1 : !v->s2)
		return -EOPNOTSUPP;
	if (dom->ops != &smmuv2_iommu_ops || dom->ias < 32 ||
	    dom->ias > (dom->stage == SIOMMU_STAGE_FIRST ? 48u : v->oas))
		return -EINVAL;
	return 0;
}

/*
 * One more attachment of @dom through the unit (@rid: a RID's). The first
 * creates its smmuv2_drv_dom, with an ASID for a stage-1 table (paging or
 * SVA), published in dom->drv[] under dom->lock; the first RID attachment of a
 * paging domain takes a context bank and programs it.
 */
static int dom_get(struct siommu_unit *unit, struct siommu_domain *dom, bool rid)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);
	struct smmuv2_drv_dom *vd = smmuv2_drv_dom(dom, unit);
	bool created = false;
	int ret, cb;

	if (!vd) {
		if (mem_should_fail(v->mem))
			return -ENOMEM;
		vd = calloc(1, sizeof(*vd));
		if (!vd)
			return -ENOMEM;
		vd->cb = -1;
		CDS_INIT_LIST_HEAD(&vd->patts);
		vd->s2 = dom->type == SIOMMU_DOMAIN_PAGING && dom->stage == SIOMMU_STAGE_SECOND;
		if (dom_s1(dom)) {
			ret = smmuv2_drv_asid_alloc(v, &vd->asid);
			if (ret) {
				free(vd);
				return ret;
			}
		}
		created = true;
	}
	if (rid && dom->type == SIOMMU_DOMAIN_PAGING && vd->cb < 0) {
		cb = cb_alloc(v);
		if (cb < 0) {
			if (created) {
				if (dom_s1(dom))
					smmuv2_drv_asid_free(v, vd->asid);
				free(vd);
			}
			return cb;
		}
		cb_program(v, cb, dom, vd);
		pthread_mutex_lock(&dom->lock);
		vd->cb = cb;
		pthread_mutex_unlock(&dom->lock);
	}
	if (created) {
		pthread_mutex_lock(&dom->lock);
		dom->drv[unit->index] = vd;
		pthread_mutex_unlock(&dom->lock);
		__atomic_store_n(&v->n_dom, v->n_dom + 1, __ATOMIC_RELAXED);
	}
	vd->users++;
	vd->rid_users += rid;
	return 0;
}

static void dom_put(struct siommu_unit *unit, struct siommu_domain *dom, bool rid)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);
	struct smmuv2_drv_dom *vd = smmuv2_drv_dom(dom, unit);
	int cb = vd->cb;

	vd->users--;
	if (rid && !--vd->rid_users && cb >= 0) {
		/* No stream uses the bank any more. */
		pthread_mutex_lock(&dom->lock);
		vd->cb = -1;
		pthread_mutex_unlock(&dom->lock);
		cb_retire(v, cb);
		cb_free(v, cb);
	}
	if (vd->users)
		return;
	SIOMMU_ASSERT(cds_list_empty(&vd->patts));
	pthread_mutex_lock(&dom->lock);
	dom->drv[unit->index] = NULL;
	pthread_mutex_unlock(&dom->lock);
	__atomic_store_n(&v->n_dom, v->n_dom - 1, __ATOMIC_RELAXED);
	if (dom_s1(dom))
		smmuv2_drv_asid_free(v, vd->asid);
	free(vd);
}

/* Stream mapping -------------------------------------------------------------- */

/* The SMR matching exactly @sid, taking a new one if none does. */
static int smr_get(struct smmuv2_drv_unit *v, uint16_t sid)
{
	unsigned int i;
	int free_idx = -1;

	for (i = 0; i < v->num_smrg; i++) {
		if (v->smr[i].users && v->smr[i].sid == sid) {
			v->smr[i].users++;
			return (int)i;
		}
		if (!v->smr[i].users && free_idx < 0)
			free_idx = (int)i;
	}
	if (free_idx < 0)
		return -ENOSPC;
	/* Fault first, then match: the stream is blocked until attached. */
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_S2CR(free_idx), SIOMMU_SMMUV2_S2CR_FAULT);
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SMR(free_idx), SIOMMU_SMMUV2_SMR_VAL(sid, 0));
	v->smr[free_idx] = (struct smmuv2_drv_smr){ sid, 1 };
	return free_idx;
}

static void smr_put(struct smmuv2_drv_unit *v, int idx)
{
	if (idx < 0 || --v->smr[idx].users)
		return;
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SMR(idx), 0);
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_S2CR(idx), SIOMMU_SMMUV2_S2CR_FAULT);
}

static int dev_probe(struct siommu_device *dev)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_dev *d;
	int ret;

	/* The StreamID is the RID; the unit has sid_bits of it. */
	if ((dev->cfg.rid >> v->sid_bits) ||
	    (dev->cfg.alias_rid >= 0 && ((uint32_t)dev->cfg.alias_rid >> v->sid_bits)))
		return -EINVAL;
	if (mem_should_fail(v->mem))
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	CDS_INIT_LIST_HEAD(&d->patts);
	d->dev = dev;
	d->cb = -1;
	d->mute = true;
	d->smr[0] = smr_get(v, dev->cfg.rid);
	d->smr[1] = -1;
	if (d->smr[0] < 0) {
		ret = d->smr[0];
		goto out_free;
	}
	if (dev->cfg.alias_rid >= 0) {
		d->smr[1] = smr_get(v, (uint16_t)dev->cfg.alias_rid);
		if (d->smr[1] < 0) {
			ret = d->smr[1];
			goto out_put;
		}
	}
	pthread_mutex_lock(&v->fault_lock);
	cds_list_add_tail(&d->node, &v->devs);
	pthread_mutex_unlock(&v->fault_lock);
	dev->drv = d;
	return 0;

out_put:
	smr_put(v, d->smr[0]);
out_free:
	free(d);
	return ret;
}

static void dev_release(struct siommu_device *dev)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_dev *d = dev->drv;

	SIOMMU_ASSERT(d->cb < 0);
	pthread_mutex_lock(&v->fault_lock);
	cds_list_del(&d->node);
	pthread_mutex_unlock(&v->fault_lock);
	smr_put(v, d->smr[1]);
	smr_put(v, d->smr[0]);
	free(d);
	dev->drv = NULL;
}

/* Attach ---------------------------------------------------------------------- */

/*
 * The bank a PASID of @dev is installed in while its RID is attached to
 * @rid_dom: that domain's bank if it is a stage-1 paging domain of the
 * same input width as @dom's table (the bank's TCR is shared), else -1.
 */
static int pasid_bank(struct siommu_unit *unit, struct siommu_domain *rid_dom,
		      struct siommu_domain *dom)
{
	struct smmuv2_drv_dom *rd;

	if (!rid_dom || rid_dom->type != SIOMMU_DOMAIN_PAGING ||
	    rid_dom->stage != SIOMMU_STAGE_FIRST || rid_dom->ias != dom->ias)
		return -1;
	rd = smmuv2_drv_dom(rid_dom, unit);
	return rd ? rd->cb : -1;
}

static struct siommu_domain *rid_domain(struct siommu_device *dev)
{
	struct core_att *a = core_att_get(dev, 0);

	return a ? a->dom : NULL;
}

/* Stalls ------------------------------------------------------------------------ */

/* Bank @cb's SCTLR for its state: stalling (CFCFG) or not (ctx->lock). */
static void cb_sctlr_set(struct smmuv2_drv_unit *v, int cb, bool stall)
{
	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_SCTLR),
			SCTLR_ON | (stall ? SIOMMU_SMMUV2_SCTLR_CFCFG : 0));
	pthread_mutex_lock(&v->fault_lock);
	v->stalls[cb].stalling = stall;
	pthread_mutex_unlock(&v->fault_lock);
}

/* FSR's fault record bits (MULTI aside): set while FSR holds a record. */
#define FSR_REC (SIOMMU_SMMUV2_FSR_FAULT & ~SIOMMU_SMMUV2_FSR_MULTI)

/*
 * End what bank @cb holds (FSR.SS set), FSR having read @fsr: RESUME (its
 * TERMINATE bit 0 retries, 1 aborts every held transaction), every device
 * whose streams use the bank told (its stall_end hook), then the record
 * @fsr showed cleared (write 1 to clear). Caller holds fault_lock.
 *
 * The record goes after RESUME, not before (SMMUv2, SMMU_CBn_FSR and
 * SMMU_CBn_RESUME): a fault is recorded only while FSR holds no record,
 * and a fault while SS is set is held with the stalled transaction and
 * ended by the same RESUME. With the record cleared first, a transaction
 * faulting between the clear and RESUME would be recorded, held, and
 * answered by this RESUME, and its record, left in FSR without SS, would
 * then be read as a new fault that did not stall: a handler told of a
 * stall already answered (and of its fault again if the retry faults).
 * Kept until after RESUME, the record makes such a fault MULTI: no record
 * of its own, held if it stalls (SS again), which bank_settle_locked()
 * retries.
 *
 * When @fsr holds no record (SS alone: held transactions without one),
 * there is nothing to keep, and a fault between the read and RESUME is
 * recorded and ended by RESUME. On a retry in a bank that stalls, a
 * record found after RESUME without SS is that one (a fault after RESUME
 * would have stalled): its transaction was issued again, and a fault that
 * persists is recorded anew, so the stale record is cleared unreported.
 * (The one other transaction such a record can be is one that met the
 * bank's configuration before CFCFG was set and faulted in that window;
 * it goes unreported, as a MULTI fault does.)
 */
static void stall_end_locked(struct smmuv2_drv_unit *v, int cb, uint32_t fsr, bool retry)
{
	struct smmuv2_drv_dev *d;
	uint32_t now;

	v->stalls[cb].out = false;
	smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_RESUME),
			retry ? 0 : SIOMMU_SMMUV2_RESUME_TERMINATE);
	/* RESUME ends what the bank held of every stream that uses it. */
	cds_list_for_each_entry(d, &v->devs, node)
		if (d->cb == cb && d->hooks && d->hooks->stall_end)
			d->hooks->stall_end(d->hooks_arg, d->dev, retry);
	if (fsr & FSR_REC) {
		smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR), fsr & SIOMMU_SMMUV2_FSR_FAULT);
		return;
	}
	now = smmuv2_drv_rd32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR));
	if (retry && v->stalls[cb].stalling && (now & FSR_REC) && !(now & SIOMMU_SMMUV2_FSR_SS))
		smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR), now & SIOMMU_SMMUV2_FSR_FAULT);
}

/*
 * After an end that did not come from the context interrupt (an answer,
 * a pause): what faulted meanwhile. A record has its own interrupt,
 * whose thread reads it; a fault between RESUME and the clear of the
 * record it answered has none (MULTI): held (SS alone), it is retried,
 * or aborted in a paused bank; MULTI alone is cleared. Caller holds
 * fault_lock.
 */
static void bank_settle_locked(struct smmuv2_drv_unit *v, int cb)
{
	struct smmuv2_drv_stall *st = &v->stalls[cb];
	uint32_t fsr;

	for (;;) {
		fsr = smmuv2_drv_rd32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR));
		if ((fsr & FSR_REC) || st->out)
			return;
		if (!(fsr & SIOMMU_SMMUV2_FSR_SS)) {
			if (fsr)
				smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR), fsr);
			return;
		}
		stall_end_locked(v, cb, fsr, !st->paused);
	}
}

/* Whether bank @cb is to stall (ctx->lock). */
static bool cb_stalls(const struct smmuv2_drv_unit *v, int cb)
{
	return v->cb_stall[cb] && !v->cb_mute[cb];
}

/*
 * Bank @cb stops stalling: CFCFG cleared, what it holds aborted and the
 * devices told, the outstanding report's answer dropped; @pause: while a
 * hook runs, stalls that still come aborted too (cb_irq()). Caller holds
 * ctx->lock.
 */
static void bank_unstall(struct smmuv2_drv_unit *v, int cb, bool pause)
{
	uint32_t fsr;

	cb_sctlr_set(v, cb, false);
	pthread_mutex_lock(&v->fault_lock);
	v->stalls[cb].paused = pause;
	fsr = smmuv2_drv_rd32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR));
	if (fsr & SIOMMU_SMMUV2_FSR_SS)
		stall_end_locked(v, cb, fsr, false);
	v->stalls[cb].out = false;
	bank_settle_locked(v, cb);
	pthread_mutex_unlock(&v->fault_lock);
}

/*
 * Before a hook of a device in bank @cb runs (it may wait for the
 * device's job, which a stall holds until the fault path answers, and the
 * fault path needs the ctx->lock the caller holds): the bank stops
 * stalling and what it holds is terminated; a pending answer then finds
 * its report gone and is dropped. Clearing SCTLR.CFCFG does not reach a
 * transaction that met the bank's configuration before the write and
 * faults after it (SMMUv2 2.6: register changes take effect for later
 * transactions; only a sync orders them, and a stalled one never
 * completes): such a stall can still come while the hook runs, and
 * cb_irq() terminates it instead of reporting it, as the bank is marked
 * paused. stall_resume() puts stalling back. Caller holds ctx->lock.
 */
static void stall_pause(struct smmuv2_drv_unit *v, int cb)
{
	if (cb >= 0 && cb_stalls(v, cb))
		bank_unstall(v, cb, true);
}

static void stall_resume(struct smmuv2_drv_unit *v, int cb)
{
	if (cb < 0 || !cb_stalls(v, cb))
		return;
	pthread_mutex_lock(&v->fault_lock);
	v->stalls[cb].paused = false;
	pthread_mutex_unlock(&v->fault_lock);
	cb_sctlr_set(v, cb, true);
}

/*
 * Bank @cb after a change of what uses it: it stalls while a stalling
 * table is installed in it (cb_stall[]) and every device whose streams
 * use it can wait out a stall (no cb_mute[]). CFCFG holds a faulting
 * transaction of any stream of the bank until RESUME (SMMUv2,
 * SMMU_CBn_SCTLR), and one RESUME ends them all: a device that cannot
 * learn how a stall ended would wait for ever, or take a retried
 * transaction for a failed one. So a bank such a device uses stops
 * stalling, before its streams reach the bank, and what it holds is
 * aborted, as for a hook (stall_pause()). Caller holds ctx->lock.
 */
static void bank_stall_apply(struct smmuv2_drv_unit *v, int cb)
{
	bool want = cb_stalls(v, cb);

	if (want == v->stalls[cb].stalling)
		return;
	if (want)
		cb_sctlr_set(v, cb, true);
	else
		bank_unstall(v, cb, false);
}

/*
 * Put @att in bank @cb (-1: none). A stalling attachment counts for its
 * bank's CFCFG and joins the fault path's list. Caller holds ctx->lock.
 */
static void att_place(struct smmuv2_drv_unit *v, struct smmuv2_drv_att *att, int cb)
{
	int old = att->cb;

	pthread_mutex_lock(&att->dom->lock);
	att->cb = cb;
	pthread_mutex_unlock(&att->dom->lock);
	if (!att->stall || old == cb)
		return;
	pthread_mutex_lock(&v->fault_lock);
	if (old >= 0)
		cds_list_del(&att->stall_node);
	if (cb >= 0)
		cds_list_add_tail(&att->stall_node, &v->stall_atts);
	att->stall_cb = cb;
	pthread_mutex_unlock(&v->fault_lock);
	if (old >= 0) {
		v->cb_stall[old]--;
		bank_stall_apply(v, old);
	}
	if (cb >= 0) {
		v->cb_stall[cb]++;
		bank_stall_apply(v, cb);
	}
}

/*
 * The device's bank: @cb from now on (-1: none), counted in cb_mute[]
 * while the device cannot wait out a stall. A bank the device joins
 * stops stalling before its streams reach it (@cb's count goes up before
 * the S2CR write, the caller's); one it leaves may stall again once no
 * stream of it is there (after the write). What the old bank holds then
 * is retried first, the device still told of it: a transaction of its
 * held there (behind another's stall) would otherwise end with a RESUME
 * it no longer hears of; issued again, it goes through its new S2CR, and
 * the others stall again if they still fault (the old report's answer
 * dropped). Caller holds ctx->lock.
 */
static void dev_bank_set(struct smmuv2_drv_unit *v, struct smmuv2_drv_dev *d, int cb,
			 bool before)
{
	int old = d->cb;
	uint32_t fsr;

	if (old == cb)
		return;
	if (before) {
		if (cb >= 0 && d->mute) {
			v->cb_mute[cb]++;
			bank_stall_apply(v, cb);
		}
		return;
	}
	pthread_mutex_lock(&v->fault_lock);
	if (old >= 0) {
		fsr = smmuv2_drv_rd32(v, cb_reg(old, SIOMMU_SMMUV2_CB_FSR));
		if (fsr & SIOMMU_SMMUV2_FSR_SS) {
			stall_end_locked(v, old, fsr, true);
			bank_settle_locked(v, old);
		}
	}
	d->cb = cb;
	pthread_mutex_unlock(&v->fault_lock);
	if (old >= 0 && d->mute) {
		v->cb_mute[old]--;
		bank_stall_apply(v, old);
	}
}

/*
 * The device's PASID hooks were registered or removed: a device that
 * waits out stalls (SIOMMU_DEV_STALL) is told how they end through its
 * stall_end hook, and without one it is mute (struct smmuv2_drv_dev).
 * Registered, it is told from now on and its bank may stall; removed,
 * its bank stops stalling first.
 */
static void dev_pasid_hooks(struct siommu_device *dev)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_dev *d = dev->drv;
	const struct siommu_pasid_hooks *h = dev->pasid_hooks;
	bool mute = !((dev->cfg.flags & SIOMMU_DEV_STALL) && h && h->stall_end);

	if (mute && !d->mute && d->cb >= 0) {
		v->cb_mute[d->cb]++;
		bank_stall_apply(v, d->cb);
	}
	pthread_mutex_lock(&v->fault_lock);
	d->hooks = h;
	d->hooks_arg = dev->pasid_hooks_arg;
	pthread_mutex_unlock(&v->fault_lock);
	if (!mute && d->mute && d->cb >= 0) {
		v->cb_mute[d->cb]--;
		bank_stall_apply(v, d->cb);
	}
	d->mute = mute;
}

/* PASIDs through the hooks ------------------------------------------------------ */

/* Hand (@dev, @att->pasid) in bank @cb to the device's install hook. */
static void pasid_install(struct siommu_device *dev, struct smmuv2_drv_att *att, int cb)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_dom *vd = smmuv2_drv_dom(att->dom, dev->unit);
	struct siommu_pasid_table t = {
		.ttbr = siommu_pt_root(att->dom->pt) | SIOMMU_SMMUV2_TTBR_ASID(vd->asid),
		.asid = vd->asid,
		.cb = (unsigned int)cb,
		.ias = att->dom->ias,
	};

	stall_pause(v, cb);
	dev->pasid_hooks->install_pasid(dev->pasid_hooks_arg, dev, att->pasid, att->dom, &t);
	stall_resume(v, cb);
}

/*
 * (@dev, @att->pasid) leaves bank @att->cb: unless @replaced (the install
 * hook already took the PASID over), the remove hook; then, the device no
 * longer using the table there, its ASID's entries in the bank go. The
 * caller takes it out of the bank (att_place()) after.
 */
static void pasid_leave(struct smmuv2_drv_unit *v, struct siommu_device *dev,
			struct smmuv2_drv_att *att, bool replaced)
{
	struct smmuv2_drv_dom *vd = smmuv2_drv_dom(att->dom, dev->unit);

	if (att->cb < 0)
		return;
	if (!replaced) {
		stall_pause(v, att->cb);
		dev->pasid_hooks->remove_pasid(dev->pasid_hooks_arg, dev, att->pasid, att->dom);
		stall_resume(v, att->cb);
	}
	tlbi(v, att->cb, SIOMMU_SMMUV2_CB_TLBIASID, 4, vd->asid);
	smmuv2_drv_tlb_sync(v, att->cb);
}

/*
 * A RID attachment takes a bank (paging), a PASID one needs a device with
 * PASID hooks (the core only asks then) and a stage-1 table, a paging
 * domain's or a process's (SVA): the device switches TTBR0 and the ASID
 * itself.
 */
static int attach_prepare(struct siommu_device *dev, uint32_t pasid,
			  struct siommu_domain *dom, void *att_p)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_att *att = att_p;
	int ret;

	if (domain_check(v, dom))
		return -EINVAL;
	if (pasid && (!dev->pasid_hooks || !dom_s1(dom)))
		return -EINVAL;
	ret = dom_get(dev->unit, dom, !pasid);
	if (ret)
		return ret;
	att->dev = dev;
	att->dom = dom;
	att->pasid = pasid;
	att->cb = -1;
	att->stall_cb = -1;
	/* A process's table on a device that can wait for its faults. */
	att->stall = pasid && dom->type == SIOMMU_DOMAIN_SVA &&
		     (dev->cfg.flags & SIOMMU_DEV_STALL) && dev->pasid_hooks->stall_end;
	if (dom_s1(dom))
		att->asid = smmuv2_drv_dom(dom, dev->unit)->asid;
	return 0;
}

static void attach_abort(struct siommu_device *dev, uint32_t pasid,
			 struct siommu_domain *dom, void *att)
{
	(void)att;
	dom_put(dev->unit, dom, !pasid);
}

/* PASID attach: link the new attachment, install it, retire the old one. */
static void pasid_commit(struct siommu_device *dev, struct siommu_domain *old,
			 struct smmuv2_drv_att *old_att, struct siommu_domain *dom,
			 struct smmuv2_drv_att *att)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_dev *d = dev->drv;
	int cb = -1;

	if (att) {
		struct smmuv2_drv_dom *vd = smmuv2_drv_dom(dom, dev->unit);

		cb = pasid_bank(dev->unit, rid_domain(dev), dom);
		pthread_mutex_lock(&dom->lock);
		cds_list_add_tail(&att->dom_node, &vd->patts);
		pthread_mutex_unlock(&dom->lock);
		att_place(v, att, cb);
		cds_list_add_tail(&att->dev_node, &d->patts);
		if (cb >= 0)
			pasid_install(dev, att, cb);
	}
	if (old_att) {
		pasid_leave(v, dev, old_att, cb >= 0 && cb == old_att->cb);
		att_place(v, old_att, -1);
		cds_list_del(&old_att->dev_node);
		pthread_mutex_lock(&old->lock);
		cds_list_del(&old_att->dom_node);
		pthread_mutex_unlock(&old->lock);
		dom_put(dev->unit, old, false);
	}
}

/*
 * Point the device's streams at @dom: one S2CR write per SMR, which a
 * transaction sees whole (SMMUv2 2.4: the S2CR it matches is read once),
 * so a stream goes from the old bank straight to the new one. Its PASIDs
 * installed in the old bank are removed first (the device stops switching
 * to them there, and its job in one has finished) and installed again in
 * the new bank once the stream uses it, if the new domain has a stage-1
 * bank for them. The old domain's bank, if this was its last RID
 * attachment, is retired once no stream uses it.
 */
static void attach_commit(struct siommu_device *dev, uint32_t pasid,
			  struct siommu_domain *old, void *old_att,
			  struct siommu_domain *dom, void *att)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);
	struct smmuv2_drv_dev *d = dev->drv;
	struct smmuv2_drv_att *pa;
	uint32_t s2cr = SIOMMU_SMMUV2_S2CR_FAULT;
	unsigned int i;
	int cb = -1;

	if (pasid) {
		pasid_commit(dev, old, old_att, dom, att);
		return;
	}
	cds_list_for_each_entry(pa, &d->patts, dev_node) {
		if (pa->cb >= 0 && pasid_bank(dev->unit, dom, pa->dom) != pa->cb) {
			pasid_leave(v, dev, pa, false);
			att_place(v, pa, -1);
		}
	}
	if (dom && dom->type == SIOMMU_DOMAIN_IDENTITY) {
		s2cr = SIOMMU_SMMUV2_S2CR_BYPASS;
	} else if (dom && dom->type == SIOMMU_DOMAIN_PAGING) {
		cb = smmuv2_drv_dom(dom, dev->unit)->cb;
		s2cr = SIOMMU_SMMUV2_S2CR_TRANS | (uint32_t)cb;
	}
	dev_bank_set(v, d, cb, true);
	for (i = 0; i < 2; i++)
		if (d->smr[i] >= 0)
			smmuv2_drv_wr32(v, SIOMMU_SMMUV2_S2CR(d->smr[i]), s2cr);
	dev_bank_set(v, d, cb, false);
	cds_list_for_each_entry(pa, &d->patts, dev_node) {
		int pcb = pasid_bank(dev->unit, dom, pa->dom);

		if (pcb >= 0 && pa->cb < 0 && !pa->quiet) {
			att_place(v, pa, pcb);
			pasid_install(dev, pa, pcb);
		}
	}
	if (old)
		dom_put(dev->unit, old, true);
}

/*
 * The process behind an SVA attachment exits: the device stops using its
 * table, as an SMMUv3 CD goes quiet. The remove hook returns once the
 * device no longer runs with the table (its job in it finished) and will
 * not switch to it again; then the ASID's entries in the bank are
 * invalidated, the TLBSYNC waiting for the walks and DMA that used them,
 * so the caller may free the process's pages. With the table installed
 * nowhere, nothing can translate through it and no fault is recorded for
 * it. The attachment stays quiet until it is detached or replaced: a move
 * of the RID to another bank does not install it again.
 */
static void attach_quiesce(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *dom, void *att_p)
{
	struct smmuv2_drv_att *att = att_p;

	(void)pasid;
	(void)dom;
	att->quiet = true;
	pasid_leave(smmuv2_drv_unit(dev->unit), dev, att, false);
	att_place(smmuv2_drv_unit(dev->unit), att, -1);
}

/* Faults ---------------------------------------------------------------------- */

/*
 * The stalling attachment whose table is live in bank @cb (its ASID in
 * TTBR0[63:48]) and whose device's stream @sid faulted (CBFRSYNRA), or
 * NULL: another stream of the bank translates through whatever table is
 * live there, and its fault is its own device's, not the process's page
 * to bring in. Caller holds fault_lock.
 */
static struct smmuv2_drv_att *stall_att_live(struct smmuv2_drv_unit *v, int cb, uint16_t sid)
{
	uint16_t asid = (uint16_t)(smmuv2_drv_rd64(v, cb_reg(cb, SIOMMU_SMMUV2_CB_TTBR0)) >> 48);
	struct smmuv2_drv_att *att;

	cds_list_for_each_entry(att, &v->stall_atts, stall_node)
		if (att->stall_cb == cb && att->asid == asid &&
		    (att->dev->cfg.rid == sid ||
		     (att->dev->cfg.alias_rid >= 0 && (uint16_t)att->dev->cfg.alias_rid == sid)))
			return att;
	return NULL;
}

/*
 * Bank @cb's context interrupt, on the thread whose transaction faulted,
 * taken as a level one: FSR is read again after each record is dealt
 * with, until it holds nothing the driver has not answered. A stall in a
 * bound process's table of a device that waits for it (the live ASID's)
 * goes to the core's page-fault path, FSR kept until the answer
 * (page_response()). Any other fault is read and, if the bank holds it,
 * terminated (the device is told through its stall_end hook), then its
 * record cleared and reported to the device's handler: ended before its
 * record goes, as every stall is (stall_end_locked()).
 *
 * A bank may hold transactions with no record of their own: a fault that
 * comes while FSR holds another sets MULTI and records nothing, yet
 * stalls when CFCFG is set (SMMUv2, SMMU_CBn_FSR, SMMU_CBn_SCTLR), and
 * raises no interrupt of its own. One comes when a fault that did not
 * stall (the bank's stalling paused, or a transaction that met the
 * configuration before CFCFG was set) is being read here as the bank
 * stalls again. Clearing FSR does not release it (only RESUME clears
 * SS), so FSR showing SS and no record once the records are dealt with
 * means such transactions: without a syndrome there is nothing to report
 * and no way to tell whose they are, so they are retried, which issues
 * them again with FSR clear: a fault that persists is recorded and takes
 * the path its record calls for.
 */
static void cb_irq(struct smmuv2_drv_unit *v, int cb)
{
	struct smmuv2_drv_stall *st = &v->stalls[cb];
	struct iommu_page_request req;
	struct smmuv2_drv_att *att;
	struct siommu_fault f;
	uint32_t fsr, fsynr0, rec;
	uint64_t far;
	uint16_t sid;

	pthread_mutex_lock(&v->fault_lock);
	for (;;) {
		fsr = smmuv2_drv_rd32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR));
		rec = fsr & FSR_REC;
		if (fsr & SIOMMU_SMMUV2_FSR_SS) {
			/* A reported stall keeps FSR until its answer, whose
			 * RESUME ends everything the bank holds. */
			if (st->out)
				break;
			if (st->paused) {
				/* A late stall of a paused bank (stall_pause()):
				 * nothing may wait on the fault path while a hook
				 * runs. Ended as a stall_pause() ends one held when
				 * it starts, unreported. */
				stall_end_locked(v, cb, fsr, false);
				continue;
			}
			if (!rec) {
				stall_end_locked(v, cb, fsr, true);
				continue;
			}
		} else if (!rec) {
			/* MULTI alone: its fault was terminated unrecorded. */
			if (fsr)
				smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR), fsr);
			break;
		}
		fsynr0 = smmuv2_drv_rd32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSYNR0));
		far = smmuv2_drv_rd64(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FAR)) & ~0xfffull;
		sid = (uint16_t)smmuv2_drv_rd32(v, SIOMMU_SMMUV2_CBFRSYNRA(cb));
		/* A page request only while the bank stalls: one that stopped
		 * (a device that cannot wait joined it) holds nothing for
		 * the fault path. */
		att = (fsr & SIOMMU_SMMUV2_FSR_SS) && st->stalling ? stall_att_live(v, cb, sid) : NULL;
		if (att) {
			st->gen = (uint16_t)((st->gen + 1) & 0x1ff);
			st->out = true;
			req = (struct iommu_page_request){
				.rid = att->dev->cfg.rid, .pasid_present = true,
				.pasid = att->pasid, .addr = far,
				.grpid = SMMUV2_DRV_STALL_TAG(cb, st->gen), .stall = true,
				.last = true, .read = !(fsynr0 & SIOMMU_SMMUV2_FSYNR0_WNR),
				.write = fsynr0 & SIOMMU_SMMUV2_FSYNR0_WNR,
			};
			/* Counted before the lock goes: a drain waits for the
			 * report. */
			__atomic_fetch_add(&v->stall_reporting, 1, __ATOMIC_ACQ_REL);
			pthread_mutex_unlock(&v->fault_lock);
			core_report_page_requests(v->unit, &req, 1);
			__atomic_fetch_sub(&v->stall_reporting, 1, __ATOMIC_RELEASE);
			return;
		}
		memset(&f, 0, sizeof(f));
		f.addr = far;
		f.rid = sid;
		f.reason = rec;
		f.write = fsynr0 & SIOMMU_SMMUV2_FSYNR0_WNR;
		/* Write-1-to-clear: FSR takes new records from here. */
		if (fsr & SIOMMU_SMMUV2_FSR_SS)
			stall_end_locked(v, cb, fsr, false);
		else
			smmuv2_drv_wr32(v, cb_reg(cb, SIOMMU_SMMUV2_CB_FSR),
					fsr & SIOMMU_SMMUV2_FSR_FAULT);
		__atomic_fetch_add(&v->n_fault, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&v->fault_lock);
		core_report_fault(v->unit, &f);
		pthread_mutex_lock(&v->fault_lock);
	}
	pthread_mutex_unlock(&v->fault_lock);
}

static bool global_fault_read(struct smmuv2_drv_unit *v, struct siommu_fault *f)
{
	uint32_t gfsr, gfsynr0;

	pthread_mutex_lock(&v->fault_lock);
	gfsr = smmuv2_drv_rd32(v, SIOMMU_SMMUV2_SGFSR);
	if (!(gfsr & ~SIOMMU_SMMUV2_GFSR_MULTI)) {
		if (gfsr)
			smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SGFSR, gfsr);
		pthread_mutex_unlock(&v->fault_lock);
		return false;
	}
	gfsynr0 = smmuv2_drv_rd32(v, SIOMMU_SMMUV2_SGFSYNR0);
	memset(f, 0, sizeof(*f));
	f->addr = smmuv2_drv_rd64(v, SIOMMU_SMMUV2_SGFAR) & ~0xfffull;
	f->rid = (uint16_t)smmuv2_drv_rd32(v, SIOMMU_SMMUV2_SGFSYNR1);
	f->reason = SIOMMU_SMMUV2_FAULT_GLOBAL | (gfsr & ~SIOMMU_SMMUV2_GFSR_MULTI);
	f->write = gfsynr0 & SIOMMU_SMMUV2_GFSYNR0_WNR;
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SGFSR, gfsr);
	__atomic_fetch_add(&v->n_fault, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&v->fault_lock);
	return true;
}

/*
 * The unit's interrupt, on the thread whose transaction faulted, with no
 * lock of the unit held: read the record, clear it, report it with no
 * lock of the driver held (a handler may fault again, nested).
 */
static void smmuv2_irq(void *opaque, enum siommu_smmuv2_irq irq, int cb)
{
	struct smmuv2_drv_unit *v = opaque;
	struct siommu_fault f;
	bool got;

	if (irq == SIOMMU_SMMUV2_IRQ_CONTEXT) {
		if (cb >= 0 && (unsigned int)cb < v->num_cb)
			cb_irq(v, cb);
		return;
	}
	got = global_fault_read(v, &f);
	if (got)
		core_report_fault(v->unit, &f);
}

/*
 * The unit's report of a RESUME's effect. Only the driver writes RESUME,
 * and it tells the devices itself (stall_end_locked()), with fault_lock
 * held: nothing to do here.
 */
static void smmuv2_stall_end(void *opaque, unsigned int cb, bool retry)
{
	(void)opaque;
	(void)cb;
	(void)retry;
}

static const struct siommu_smmuv2_ops hw_ops = { smmuv2_irq, smmuv2_stall_end };

/* The unit ---------------------------------------------------------------------- */

static const unsigned int oas_bits[] = { 32, 36, 40, 42, 44, 48 };

static int unit_init(struct siommu_unit *unit, const void *cfg)
{
	struct siommu_mem *mem = unit->ctx->mem;
	struct smmuv2_drv_unit *v;
	uint32_t id0, id1, id2;
	unsigned int i;
	int ret;

	if (mem_should_fail(mem))
		return -ENOMEM;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->asid_map = mem_should_fail(mem) ? NULL : calloc(65536 / 64, sizeof(uint64_t));
	if (!v->asid_map) {
		ret = -ENOMEM;
		goto out_free_v;
	}
	v->asid_map[0] = 1;	/* ASID 0: no domain's */
	v->unit = unit;
	v->mem = mem;
	pthread_mutex_init(&v->fault_lock, NULL);
	ret = siommu_smmuv2_create(mem, cfg, &v->hw);
	if (ret)
		goto out_free_map;

	/* Probe (SMMUv2 9.6): stream matching and a stage, AArch64 format,
	 * 4K granule. */
	id0 = smmuv2_drv_rd32(v, SIOMMU_SMMUV2_IDR0);
	id1 = smmuv2_drv_rd32(v, SIOMMU_SMMUV2_IDR1);
	id2 = smmuv2_drv_rd32(v, SIOMMU_SMMUV2_IDR2);
	v->s1 = id0 & (1u << 30);
	v->s2 = id0 & (1u << 29);
	v->num_smrg = id0 & 0xff;
	v->sid_bits = (id0 >> 9) & 0xf;
	v->num_cb = id1 & 0xff;
	v->oas_enc = (id2 >> 4) & 0xf;
	if (!(id0 & (1u << 27)) || !(v->s1 || v->s2) || !(id2 & (1u << 12)) ||
	    !v->num_smrg || !v->num_cb || v->num_cb > 128 || v->oas_enc > 5) {
		ret = -EOPNOTSUPP;
		goto out_destroy_hw;
	}
	v->oas = oas_bits[v->oas_enc];
	v->smr = mem_should_fail(mem) ? NULL : calloc(v->num_smrg, sizeof(*v->smr));
	if (!v->smr) {
		ret = -ENOMEM;
		goto out_destroy_hw;
	}
	v->stalls = mem_should_fail(mem) ? NULL : calloc(v->num_cb, sizeof(*v->stalls));
	v->cb_stall = mem_should_fail(mem) ? NULL : calloc(2 * (size_t)v->num_cb, sizeof(*v->cb_stall));
	if (!v->stalls || !v->cb_stall) {
		ret = -ENOMEM;
		goto out_free_smr;
	}
	CDS_INIT_LIST_HEAD(&v->stall_atts);
	CDS_INIT_LIST_HEAD(&v->devs);
	v->cb_mute = v->cb_stall + v->num_cb;
	unit->drv = v;
	siommu_smmuv2_set_ops(v->hw, &hw_ops, v);

	/* Reset (as Linux's arm_smmu_device_reset): clear the global fault,
	 * every stream fault-and-unmatched, banks off with their faults
	 * cleared, the whole TLB invalidated; then take clients out of
	 * bypass, with unmatched streams faulting. */
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SGFSR, smmuv2_drv_rd32(v, SIOMMU_SMMUV2_SGFSR));
	for (i = 0; i < v->num_smrg; i++) {
		smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SMR(i), 0);
		smmuv2_drv_wr32(v, SIOMMU_SMMUV2_S2CR(i), SIOMMU_SMMUV2_S2CR_FAULT);
	}
	for (i = 0; i < v->num_cb; i++) {
		smmuv2_drv_wr32(v, cb_reg((int)i, SIOMMU_SMMUV2_CB_SCTLR), 0);
		smmuv2_drv_wr32(v, cb_reg((int)i, SIOMMU_SMMUV2_CB_FSR),
				SIOMMU_SMMUV2_FSR_FAULT);
	}
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_TLBIALLNSNH, 0);
	__atomic_fetch_add(&v->n_tlbi, 1, __ATOMIC_RELAXED);
	tlb_gsync(v);
	smmuv2_drv_wr32(v, SIOMMU_SMMUV2_SCR0, SIOMMU_SMMUV2_SCR0_GFRE | SIOMMU_SMMUV2_SCR0_GFIE |
			SIOMMU_SMMUV2_SCR0_GCFGFRE | SIOMMU_SMMUV2_SCR0_GCFGFIE |
			SIOMMU_SMMUV2_SCR0_USFCFG | SIOMMU_SMMUV2_SCR0_SMCFCFG);
	if (smmuv2_drv_rd32(v, SIOMMU_SMMUV2_SCR0) & SIOMMU_SMMUV2_SCR0_CLIENTPD) {
		ret = -EIO;
		goto out_free_smr;
	}
	return 0;

out_free_smr:
	unit->drv = NULL;
	free(v->cb_stall);
	free(v->stalls);
	free(v->smr);
out_destroy_hw:
	siommu_smmuv2_destroy(v->hw);
out_free_map:
	pthread_mutex_destroy(&v->fault_lock);
	free(v->asid_map);
out_free_v:
	free(v);
	return ret;
}

static void unit_fini(struct siommu_unit *unit)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);

	siommu_smmuv2_destroy(v->hw);
	free(v->cb_stall);
	free(v->stalls);
	free(v->smr);
	free(v->asid_map);
	pthread_mutex_destroy(&v->fault_lock);
	free(v);
	unit->drv = NULL;
}

static void unit_info(struct siommu_unit *unit, struct iommu_unit_info *info)
{
	const struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);

	info->pasid_bits = 0;		/* no SubstreamIDs */
	info->pasid_hooks = v->s1;	/* tables handed to devices */
	info->ias = v->s1 ? 48 : v->oas;
	info->ats = false;
	info->pri = false;
	/* Banks stall (SCTLR.CFCFG) for a device's bound processes. */
	info->stall = v->s1;
	/* Translation faults are never cached (Arm ARM D8.14): a new mapping
	 * needs no invalidation. */
	info->caching_mode = false;
}

static void unit_stats(struct siommu_unit *unit, struct siommu_unit_stats *st)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);

	/* Register TLB maintenance stands for the invalidation queue: each
	 * maintenance or sync write is a descriptor (as VT-d counts its
	 * wait descriptors, SMMUv3 its CMD_SYNCs), each completed sync a
	 * wait, each sync that timed out an error. */
	st->inv_descriptors = __atomic_load_n(&v->n_tlbi, __ATOMIC_RELAXED);
	st->inv_waits = __atomic_load_n(&v->n_sync, __ATOMIC_RELAXED);
	st->inv_errors = __atomic_load_n(&v->n_sync_err, __ATOMIC_RELAXED);
	st->faults = __atomic_load_n(&v->n_fault, __ATOMIC_RELAXED);
	/* One per domain attached through the unit, as VT-d's DIDs; the
	 * paging ones each hold a context bank. */
	st->domain_ids = __atomic_load_n(&v->n_dom, __ATOMIC_RELAXED);
}

static void *unit_hw(struct siommu_unit *unit)
{
	return smmuv2_drv_unit(unit)->hw;
}

/* VMSAv8-64, 4K granule: 4K pages, 2M and 1G blocks at either stage. */
#define SMMUV2_PGSIZES (SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M | SIOMMU_PGSIZE_1G)

static int domain_init(struct siommu_unit *unit, struct siommu_domain *dom,
		       const struct siommu_domain_cfg *cfg, struct siommu_pt_cfg *pc)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);
	unsigned int max;

	if (cfg->type == SIOMMU_DOMAIN_SVA) {
		/* A process's own VMSAv8-64 table, 4K pages, 48-bit input
		 * (TTB0 with T0SZ 16): what a stage-1 bank walks, handed to
		 * a device through its PASID hooks. */
		if (!v->s1)
			return -EOPNOTSUPP;
		dom->stage = SIOMMU_STAGE_FIRST;
		dom->ias = 48;
		dom->pgsizes = SIOMMU_PGSIZE_4K;
		pc->format = SIOMMU_PT_ARM_S1;
		return 0;
	}
	if (cfg->type != SIOMMU_DOMAIN_PAGING)
		return 0;
	dom->stage = cfg->stage != SIOMMU_STAGE_AUTO ? cfg->stage :
		     v->s1 ? SIOMMU_STAGE_FIRST : SIOMMU_STAGE_SECOND;
	if (dom->stage == SIOMMU_STAGE_FIRST ? !v->s1 : !v->s2)
		return -EOPNOTSUPP;
	/* Stage 1 takes the device's 64-bit addresses up to 48 bits
	 * (T0SZ 16); stage 2's input is an IPA of at most OAS bits. */
	max = dom->stage == SIOMMU_STAGE_FIRST ? 48 : v->oas;
	dom->ias = cfg->ias ? cfg->ias : max;
	if (dom->ias < 32 || dom->ias > max)
		return -EINVAL;
	if (core_domain_pgsizes(SMMUV2_PGSIZES, cfg->pgsize_bitmap, &dom->pgsizes))
		return -EINVAL;
	pc->format = dom->stage == SIOMMU_STAGE_FIRST ? SIOMMU_PT_ARM_S1 : SIOMMU_PT_ARM_S2;
	pc->ias = dom->ias;
	pc->oas = v->oas;
	pc->pgsize_bitmap = dom->pgsizes;
	return 0;
}

static unsigned int dev_resv_regions(struct siommu_device *dev,
				     struct iommu_resv_region *r, unsigned int max)
{
	/* No interrupt window: MSIs are not translated by this unit. */
	(void)dev;
	(void)r;
	(void)max;
	return 0;
}

static void dev_hw_info(struct siommu_device *dev, struct siommu_device_info *info)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(dev->unit);

	info->ias = v->s1 ? 48 : v->oas;
	info->pgsize_bitmap = SMMUV2_PGSIZES;
}

/*
 * Answers to stalls (the unit has no page request interface): each ends
 * what its bank holds, retried after "success", else terminated, if the
 * report is still the bank's outstanding one (a bank whose stall was
 * terminated before a hook ran, or that stalled again since, has another
 * generation or none).
 */
static void page_response(struct siommu_unit *unit, const struct iommu_page_response *r,
			  unsigned int n)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int cb = SMMUV2_DRV_STALL_CB(r[i].req.grpid);

		if (!r[i].req.stall || cb >= v->num_cb)
			continue;
		pthread_mutex_lock(&v->fault_lock);
		if (v->stalls[cb].out && v->stalls[cb].gen == SMMUV2_DRV_STALL_GEN(r[i].req.grpid)) {
			uint32_t fsr = smmuv2_drv_rd32(v, cb_reg((int)cb, SIOMMU_SMMUV2_CB_FSR));

			if (fsr & SIOMMU_SMMUV2_FSR_SS)
				stall_end_locked(v, (int)cb, fsr,
						 r[i].code == IOMMU_PAGE_RESP_SUCCESS);
			v->stalls[cb].out = false;
			bank_settle_locked(v, (int)cb);
		}
		pthread_mutex_unlock(&v->fault_lock);
	}
}

/*
 * Stall reports read before this call have reached the core when it
 * returns. A stall's record is read by the thread whose transaction
 * stalled, in its DMA call (the context interrupt); one not read yet
 * belongs to a transaction the device has not finished, which the detach
 * contract excludes.
 */
static void page_req_drain(struct siommu_unit *unit)
{
	struct smmuv2_drv_unit *v = smmuv2_drv_unit(unit);

	while (__atomic_load_n(&v->stall_reporting, __ATOMIC_ACQUIRE))
		sched_yield();
}

const struct iommu_ops smmuv2_iommu_ops = {
	.name = "smmuv2",
	.att_size = sizeof(struct smmuv2_drv_att),
	.unit_init = unit_init,
	.unit_fini = unit_fini,
	.unit_info = unit_info,
	.unit_stats = unit_stats,
	.unit_hw = unit_hw,
	.dev_probe = dev_probe,
	.dev_release = dev_release,
	.dev_pasid_hooks = dev_pasid_hooks,
	.dev_resv_regions = dev_resv_regions,
	.dev_hw_info = dev_hw_info,
	.domain_init = domain_init,
	.attach_prepare = attach_prepare,
	.attach_commit = attach_commit,
	.attach_abort = attach_abort,
	.iotlb_sync = iotlb_sync,
	.flush_all = flush_all,
	.attach_quiesce = attach_quiesce,
	.page_response = page_response,
	.page_req_drain = page_req_drain,
};
