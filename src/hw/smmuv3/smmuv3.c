/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 unit: creation, the register file (SMMUv3 6.3), the event queue
 * (7.3, 7.4), the PRI queue (8.1), global errors (7.5), MSIs (3.18),
 * stalls (3.12.2) and device callbacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/smmuv3_build.h>

#include "hw/common/mmio.h"
#include "hw/smmuv3/smmuv3_internal.h"


/* ---- configuration and ID registers ---------------------------------------- */

static int cfg_fill(struct siommu_smmuv3_cfg *c, const struct siommu_smmuv3_cfg *in)
{
	if (in)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	if (!c->features)
		c->features = SIOMMU_SMMUV3_F_ALL;
	if (!c->oas)
		c->oas = 48;
	if (!c->sid_bits)
		c->sid_bits = 16;
	if (!c->ssid_bits)
		c->ssid_bits = 20;
	if (!c->asid_bits)
		c->asid_bits = 16;
	if (!c->vmid_bits)
		c->vmid_bits = 16;
	if (!c->tlb_sets)
		c->tlb_sets = 256;
	if (!c->tlb_ways)
		c->tlb_ways = 4;
	if (!c->cmdq_log2)
		c->cmdq_log2 = 8;
	if (!c->evtq_log2)
		c->evtq_log2 = 8;
	if (!c->priq_log2)
		c->priq_log2 = 8;
	if (!c->stall_max)
		c->stall_max = 64;
	if (c->features & ~SIOMMU_SMMUV3_F_ALL)
		return -EINVAL;
	if (!(c->features & (SIOMMU_SMMUV3_F_S1 | SIOMMU_SMMUV3_F_S2)))
		return -EINVAL;
	if ((c->features & SIOMMU_SMMUV3_F_PRI) && !(c->features & SIOMMU_SMMUV3_F_ATS))
		return -EINVAL;
	if (c->oas != 32 && c->oas != 36 && c->oas != 40 && c->oas != 42 &&
	    c->oas != 44 && c->oas != 48)
		return -EINVAL;
	if (c->sid_bits > 32 || c->ssid_bits > 20 ||
	    (c->asid_bits != 8 && c->asid_bits != 16) ||
	    (c->vmid_bits != 8 && c->vmid_bits != 16))
		return -EINVAL;
	if (c->tlb_sets > 65536 || (c->tlb_sets & (c->tlb_sets - 1)) || c->tlb_ways > 16)
		return -EINVAL;
	if (c->cmdq_log2 > 19 || c->evtq_log2 > 19 || c->priq_log2 > 19 ||
	    c->stall_max > 65535)
		return -EINVAL;
	return 0;
}

static unsigned int oas_enc(unsigned int oas)
{
	switch (oas) {
	case 32: return 0;
	case 36: return 1;
	case 40: return 2;
	case 42: return 3;
	case 44: return 4;
	default: return 5;
	}
}

/* IDR0-5 as SMMUv3 6.3.1-6.3.6 lay them out. */
static void idr_compute(struct siommu_smmuv3 *s)
{
	const struct siommu_smmuv3_cfg *c = &s->cfg;
	uint32_t f = c->features, idr0 = 0;

	if (f & SIOMMU_SMMUV3_F_S2)
		idr0 |= 1u << 0;
	if (f & SIOMMU_SMMUV3_F_S1)
		idr0 |= 1u << 1;
	idr0 |= 2u << 2;			/* TTF: AArch64 tables only */
	idr0 |= 1u << 4;			/* COHACC */
	if (f & SIOMMU_SMMUV3_F_HA)
		idr0 |= 1u << 6;		/* HTTU: AF */
	if (f & SIOMMU_SMMUV3_F_ATS)
		idr0 |= (1u << 10) | (1u << 11);	/* ATS; NS1ATS: no split-stage */
	if (c->asid_bits == 16)
		idr0 |= 1u << 12;
	if (!c->no_msi)
		idr0 |= 1u << 13;		/* MSI */
	idr0 |= 1u << 14;			/* SEV */
	if (f & SIOMMU_SMMUV3_F_PRI)
		idr0 |= 1u << 16;
	if (c->vmid_bits == 16)
		idr0 |= 1u << 18;
	if (f & SIOMMU_SMMUV3_F_CD2L)
		idr0 |= 1u << 19;
	idr0 |= 2u << 21;			/* TTENDIAN: little-endian */
	idr0 |= (f & SIOMMU_SMMUV3_F_STALL) ? 0 : 1u << 24;	/* STALL_MODEL */
	idr0 |= 1u << 26;			/* TERM_MODEL: aborts only */
	if (f & SIOMMU_SMMUV3_F_ST2L)
		idr0 |= 1u << 27;
	s->idr[0] = idr0;
	s->idr[1] = c->sid_bits | c->ssid_bits << 6 |
		    ((f & SIOMMU_SMMUV3_F_PRI) ? c->priq_log2 : 0) << 11 |
		    c->evtq_log2 << 16 | c->cmdq_log2 << 21;
	s->idr[2] = 0;
	s->idr[3] = (1u << 2) |			/* HAD */
		    ((f & SIOMMU_SMMUV3_F_RIL) ? 1u << 10 : 0);
	s->idr[4] = 0;
	s->idr[5] = oas_enc(c->oas) | (1u << 4) |	/* GRAN4K */
		    ((f & SIOMMU_SMMUV3_F_STALL) ? c->stall_max << 16 : 0);
}

int SIOMMU_EXPORT siommu_smmuv3_create(struct siommu_mem *mem,
				       const struct siommu_smmuv3_cfg *cfg,
				       struct siommu_smmuv3 **out)
{
	struct siommu_smmuv3 *s;
	int ret;

	if (!mem || !out)
		return -EINVAL;
	s = mem_should_fail(mem) ? NULL :
	    aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->mem = mem;
	ret = mem_should_fail(mem) ? -ENOMEM :
	      rcu_domain_init(&s->rcu, RCU_FENCE_ADAPTIVE);
	if (ret)
		goto out_free;
	ret = cfg_fill(&s->cfg, cfg);
	if (ret)
		goto out_free;
	idr_compute(s);
	s->oa_mask = (1ull << s->cfg.oas) - 1;
	ret = -ENOMEM;
	s->stalls = mem_should_fail(mem) ? NULL :
		    calloc(s->cfg.stall_max, sizeof(*s->stalls));
	if (!s->stalls)
		goto out_free;
	ret = smmu_caches_init(s);
	if (ret)
		goto out_free_stalls;
	s->cmdq.max_log2 = s->cfg.cmdq_log2;
	s->evtq.max_log2 = s->cfg.evtq_log2;
	s->priq.max_log2 = s->cfg.priq_log2;
	/* Reset: GBPA SHCFG "use incoming", bypass (SMMUv3 6.3.14). */
	s->gbpa = 1u << 12;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->q_lock, NULL);
	hw_devs_init(&s->devs);
	/* Published to the memory last: nothing fails after it. */
	mem_rcu_user_add(mem, &s->mem_user, &s->rcu);
	*out = s;
	return 0;

out_free_stalls:
	free(s->stalls);
out_free:
	rcu_domain_fini(&s->rcu);	/* also after a failed init */
	free(s);
	return ret;
}

static void dev_free(struct hw_dev *d)
{
	free(d);	/* the start of its struct smmu_dev */
}

void SIOMMU_EXPORT siommu_smmuv3_destroy(struct siommu_smmuv3 *s)
{
	if (!s)
		return;
	mem_rcu_user_del(s->mem, &s->mem_user);
	rcu_domain_fini(&s->rcu);
	hw_devs_fini(&s->devs, dev_free);
	pthread_mutex_destroy(&s->q_lock);
	pthread_mutex_destroy(&s->lock);
	smmu_caches_fini(s);
	free(s->stalls);
	free(s);
}

void SIOMMU_EXPORT siommu_smmuv3_get_cfg(struct siommu_smmuv3 *s,
					 struct siommu_smmuv3_cfg *cfg)
{
	*cfg = s->cfg;
}

void SIOMMU_EXPORT siommu_smmuv3_set_msi(struct siommu_smmuv3 *s,
					 siommu_smmuv3_msi_fn fn, void *opaque)
{
	s->msi_opaque = opaque;
	s->msi_fn = fn;
}

/* ---- interrupts -------------------------------------------------------------- */

void smmu_msi_send(struct siommu_smmuv3 *s, enum siommu_smmuv3_irq irq,
		   uint64_t addr, uint32_t data)
{
	siommu_smmuv3_msi_fn fn = s->msi_fn;
	uint32_t *p;

	/* SMMUv3 3.18.2: an MSI whose address is 0 is not sent (a wired
	 * interrupt would be signalled instead; the unit has none). For
	 * CMD_SYNC, completion then shows through CMDQ_CONS alone. */
	if (!addr)
		return;
	/* One 32-bit write (the address is word-aligned, MSIAddr[51:2]),
	 * little-endian as the host: a driver on another thread may poll
	 * the word (a CMD_SYNC's completion). */
	p = siommu_mem_host(s->mem, addr, 4);
	if (p)
		__atomic_store_n(p, data, __ATOMIC_RELEASE);
	if (fn)
		fn(s->msi_opaque, irq, addr, data);
}

void smmu_msi_deliver(struct siommu_smmuv3 *s, unsigned int msi)
{
	if (msi & MSI_GERROR)
		smmu_msi_send(s, SIOMMU_SMMUV3_IRQ_SRC_GERROR, READ_ONCE(s->gerror_irq_addr),
			      READ_ONCE(s->gerror_irq_data));
	if (msi & MSI_EVTQ)
		smmu_msi_send(s, SIOMMU_SMMUV3_IRQ_SRC_EVTQ, READ_ONCE(s->evtq_irq_addr),
			      READ_ONCE(s->evtq_irq_data));
	if (msi & MSI_PRIQ)
		smmu_msi_send(s, SIOMMU_SMMUV3_IRQ_SRC_PRIQ, READ_ONCE(s->priq_irq_addr),
			      READ_ONCE(s->priq_irq_data));
}

#define GERROR_BITS 0x1fdu

/* SMMUv3 7.5: an error is active while its GERROR bit differs from
 * GERRORN's; raising one that is active changes nothing. */
void smmu_gerror_raise(struct siommu_smmuv3 *s, uint32_t bits, unsigned int *msi)
{
	uint32_t newly = bits & ~(s->gerror ^ s->gerrorn);

	if (!newly)
		return;
	s->gerror ^= newly;
	if (READ_ONCE(s->irq_ctrl) & SIOMMU_SMMUV3_IRQ_GERROR)
		*msi |= MSI_GERROR;
}

/* ---- event queue (SMMUv3 7.3, 7.4) ------------------------------------------ */

/* Write one record; q_lock held. Returns whether it was written. */
static bool evtq_write(struct siommu_smmuv3 *s, const uint64_t rec[4], unsigned int *msi)
{
	struct smmu_queue *q = &s->evtq;
	uint32_t cr0 = READ_ONCE(s->cr0);
	uint64_t addr;

	if (!(cr0 & SIOMMU_SMMUV3_CR0_EVTQEN) || !(cr0 & SIOMMU_SMMUV3_CR0_SMMUEN))
		goto out_lost;
	if (q_full(q)) {
		/* A new overflow shows only once the last one is acknowledged
		 * (PROD.OVFLG == CONS.OVACKFLG). */
		if (!((q->prod ^ q->cons) & SIOMMU_SMMUV3_Q_OVF))
			q->prod ^= SIOMMU_SMMUV3_Q_OVF;
		goto out_lost;
	}
	addr = q_addr(q) + (uint64_t)q_idx(q, q->prod) * 32;
	if (siommu_mem_write(s->mem, addr, rec, 32)) {
		smmu_gerror_raise(s, SIOMMU_SMMUV3_GERROR_EVTQ_ABT, msi);
		goto out_lost;
	}
	q->prod = q_inc(q, q->prod);
	smmu_stat_inc(s, ST_EVENT);
	if (READ_ONCE(s->irq_ctrl) & SIOMMU_SMMUV3_IRQ_EVTQ)
		*msi |= MSI_EVTQ;
	return true;

out_lost:
	smmu_stat_inc(s, ST_EVENT_LOST);
	return false;
}

/* Events whose last word is FetchAddr. */
static bool fetch_event(unsigned int event)
{
	return event == SIOMMU_SMMUV3_F_STE_FETCH || event == SIOMMU_SMMUV3_F_CD_FETCH ||
	       event == SIOMMU_SMMUV3_F_WALK_EABT;
}

int smmu_event_fault(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
		     const struct smmu_fault *f, bool *recorded, uint16_t *stag,
		     unsigned int *msi)
{
	uint64_t rec[4];
	bool stalled = false;
	unsigned int i;

	smmu_stat_inc(s, ST_FAULT);
	*recorded = false;
	if (f->event == SIOMMU_SMMUV3_EVT_NONE)
		return 0;
	pthread_mutex_lock(&s->q_lock);
	if (f->stall) {
		for (i = 0; i < s->cfg.stall_max; i++) {
			if (!s->stalls[i].used) {
				s->stalls[i].used = true;
				s->stalls[i].sid = req->sid;
				*stag = (uint16_t)i;
				stalled = true;
				break;
			}
		}
	}
	if (f->record || stalled) {
		/* Built in 64-bit arithmetic: a signed 1 << 31 would sign-
		 * extend across the fields above it. */
		rec[0] = f->event | (uint64_t)req->ssv << 11 |
			 (uint64_t)(req->ssv ? req->ssid & 0xfffff : 0) << 12 |
			 (uint64_t)req->sid << 32;
		/* TTRnW: a walk's descriptor read (1) or update (0), for
		 * faults of CLASS TT and walk aborts. */
		rec[1] = (stalled ? (uint64_t)*stag | 1ull << 31 : 0) |
			 (uint64_t)req->priv << 33 |
			 (uint64_t)!!(req->access & SIOMMU_SMMUV3_EXEC) << 34 |
			 (uint64_t)!(req->access & SIOMMU_SMMUV3_WRITE) << 35 |
			 (uint64_t)f->s2 << 39 | (uint64_t)f->class << 40 |
			 (uint64_t)((f->class == EV_CLASS_TT ||
				     f->event == SIOMMU_SMMUV3_F_WALK_EABT) && !f->tt_write) << 44;
		rec[2] = req->iova;
		if (!siommu_smmuv3_event_has_access(f->event))
			rec[1] = rec[2] = 0;
		/* The fetch aborts carry the address fetched (which may be
		 * 0), the other stage-2 faults the IPA (SMMUv3 7.3). */
		rec[3] = fetch_event(f->event) ? f->fetch & GENMASK64(51, 3) :
			 f->s2 ? f->ipa & GENMASK64(51, 12) : 0;
		*recorded = evtq_write(s, rec, msi);
	}
	/* A stall whose event could not be recorded is terminated: nobody
	 * would ever resume it (SMMUv3 3.12.2). */
	if (stalled && !*recorded) {
		s->stalls[*stag].used = false;
		stalled = false;
	}
	if (stalled)
		smmu_stat_inc(s, ST_STALL);
	pthread_mutex_unlock(&s->q_lock);
	return stalled;
}

/* ---- stalls ------------------------------------------------------------------- */

static void dev_stall_end(struct siommu_smmuv3 *s, const struct siommu_smmuv3_stall_end *e);

void smmu_stall_end(struct siommu_smmuv3 *s, uint32_t sid, bool all, uint16_t stag,
		    bool retry)
{
	struct siommu_smmuv3_stall_end e = { .sid = sid, .retry = retry };
	unsigned int i;

	for (i = 0; i < s->cfg.stall_max; i++) {
		bool hit;

		if (!all && i != stag)
			continue;
		pthread_mutex_lock(&s->q_lock);
		hit = s->stalls[i].used && s->stalls[i].sid == sid;
		if (hit)
			s->stalls[i].used = false;
		pthread_mutex_unlock(&s->q_lock);
		if (hit) {
			e.stag = (uint16_t)i;
			dev_stall_end(s, &e);
		}
	}
}

/* ---- PRI queue (SMMUv3 8.1) ------------------------------------------------------ */

int SIOMMU_EXPORT siommu_smmuv3_page_request(struct siommu_smmuv3 *s,
					     const struct siommu_smmuv3_page_req *req)
{
	struct smmu_queue *q = &s->priq;
	unsigned int msi = 0;
	uint64_t e[2];
	uint32_t cr0;
	bool ok = false;

	if (!req || !req->access || (req->access & ~ACC_ALL) || req->prgi > 0x1ff ||
	    (req->ssv && req->ssid > 0xfffff) ||
	    (s->cfg.sid_bits < 32 && (req->sid >> s->cfg.sid_bits)))
		return -EINVAL;
	if (!(s->cfg.features & SIOMMU_SMMUV3_F_PRI))
		return -ENOTSUP;
	e[0] = req->sid | (uint64_t)(req->ssv ? req->ssid : 0) << 32 |
	       (uint64_t)req->priv << 58 |
	       (uint64_t)!!(req->access & SIOMMU_SMMUV3_EXEC) << 59 |
	       (uint64_t)!!(req->access & SIOMMU_SMMUV3_READ) << 60 |
	       (uint64_t)!!(req->access & SIOMMU_SMMUV3_WRITE) << 61 |
	       (uint64_t)req->last << 62 | (uint64_t)req->ssv << 63;
	e[1] = req->prgi | (req->addr & ~0xfffull);
	pthread_mutex_lock(&s->q_lock);
	cr0 = READ_ONCE(s->cr0);
	if ((cr0 & SIOMMU_SMMUV3_CR0_PRIQEN) && (cr0 & SIOMMU_SMMUV3_CR0_SMMUEN) &&
	    !((q->prod ^ q->cons) & SIOMMU_SMMUV3_Q_OVF)) {
		if (q_full(q)) {
			q->prod ^= SIOMMU_SMMUV3_Q_OVF;
		} else if (siommu_mem_write(s->mem, q_addr(q) + q_idx(q, q->prod) * 16ull,
					    e, 16)) {
			smmu_gerror_raise(s, SIOMMU_SMMUV3_GERROR_PRIQ_ABT, &msi);
		} else {
			q->prod = q_inc(q, q->prod);
			ok = true;
			smmu_stat_inc(s, ST_PRI);
			if (READ_ONCE(s->irq_ctrl) & SIOMMU_SMMUV3_IRQ_PRIQ)
				msi |= MSI_PRIQ;
		}
	}
	pthread_mutex_unlock(&s->q_lock);
	smmu_msi_deliver(s, msi);
	if (ok)
		return 0;
	if (req->last) {
		struct siommu_smmuv3_pri_resp r = {
			.sid = req->sid, .ssv = req->ssv, .ssid = req->ssv ? req->ssid : 0,
			.prgi = req->prgi, .resp = 2, .auto_response = true,
		};

		smmu_dev_pri_resp(s, &r);
	}
	return -ENOSPC;
}

/* ---- devices ---------------------------------------------------------------------- */

int SIOMMU_EXPORT siommu_smmuv3_dev_register(struct siommu_smmuv3 *s, uint32_t sid,
					     const struct siommu_smmuv3_dev_ops *ops,
					     void *opaque)
{
	struct smmu_dev *n;
	int ret;

	if (!ops)
		return -EINVAL;
	n = mem_should_fail(s->mem) ? NULL : calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->dev.id = sid;
	n->dev.opaque = opaque;
	n->ops = *ops;
	ret = hw_devs_add(&s->devs, &n->dev);
	if (ret)
		free(n);
	return ret;
}

void SIOMMU_EXPORT siommu_smmuv3_dev_unregister(struct siommu_smmuv3 *s, uint32_t sid)
{
	free(hw_devs_remove(&s->devs, sid));
}

/* The registered device @sid, busy until dev_put(), or NULL. */
static struct smmu_dev *dev_get(struct siommu_smmuv3 *s, uint32_t sid)
{
	return (struct smmu_dev *)hw_devs_get(&s->devs, sid);
}

static void dev_put(struct siommu_smmuv3 *s, struct smmu_dev *d)
{
	hw_devs_put(&s->devs, &d->dev);
}

void smmu_dev_atc_inv(struct siommu_smmuv3 *s, const struct siommu_smmuv3_atc_inv *inv)
{
	struct smmu_dev *d = dev_get(s, inv->sid);

	if (!d)
		return;
	if (d->ops.atc_inv)
		d->ops.atc_inv(d->dev.opaque, inv);
	dev_put(s, d);
}

void smmu_dev_pri_resp(struct siommu_smmuv3 *s, const struct siommu_smmuv3_pri_resp *r)
{
	struct smmu_dev *d = dev_get(s, r->sid);

	if (!d)
		return;
	if (d->ops.pri_resp)
		d->ops.pri_resp(d->dev.opaque, r);
	dev_put(s, d);
}

static void dev_stall_end(struct siommu_smmuv3 *s, const struct siommu_smmuv3_stall_end *e)
{
	struct smmu_dev *d = dev_get(s, e->sid);

	if (!d)
		return;
	if (d->ops.stall_end)
		d->ops.stall_end(d->dev.opaque, e);
	dev_put(s, d);
}

/* ---- register file (SMMUv3 6.3) ------------------------------------------------------ */

static bool is_reg64(uint64_t off)
{
	switch (off) {
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG0:
	case SIOMMU_SMMUV3_STRTAB_BASE:
	case SIOMMU_SMMUV3_CMDQ_BASE:
	case SIOMMU_SMMUV3_EVTQ_BASE:
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG0:
	case SIOMMU_SMMUV3_PRIQ_BASE:
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG0:
		return true;
	}
	return false;
}

static uint64_t reg64_value(struct siommu_smmuv3 *s, uint64_t off)
{
	uint64_t v;

	switch (off) {
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG0:	return s->gerror_irq_addr;
	case SIOMMU_SMMUV3_STRTAB_BASE:		return s->strtab_base;
	case SIOMMU_SMMUV3_CMDQ_BASE:		return s->cmdq.base;
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG0:	return s->evtq_irq_addr;
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG0:	return s->priq_irq_addr;
	}
	pthread_mutex_lock(&s->q_lock);
	v = off == SIOMMU_SMMUV3_EVTQ_BASE ? s->evtq.base : s->priq.base;
	pthread_mutex_unlock(&s->q_lock);
	return v;
}

/* Is @off (8-aligned) a 64-bit register? Its value if so (lock held). */
static bool reg64_read(void *ctx, uint64_t off, uint64_t *val)
{
	if (!is_reg64(off))
		return false;
	*val = reg64_value(ctx, off);
	return true;
}

static uint32_t reg32_read(void *ctx, uint64_t off)
{
	struct siommu_smmuv3 *s = ctx;
	uint32_t v;

	switch (off) {
	case SIOMMU_SMMUV3_IDR0: case SIOMMU_SMMUV3_IDR1: case SIOMMU_SMMUV3_IDR2:
	case SIOMMU_SMMUV3_IDR3: case SIOMMU_SMMUV3_IDR4: case SIOMMU_SMMUV3_IDR5:
		return s->idr[off / 4];
	case SIOMMU_SMMUV3_AIDR:		return 0x02;	/* SMMUv3.2 */
	case SIOMMU_SMMUV3_CR0:
	case SIOMMU_SMMUV3_CR0ACK:		return s->cr0;
	case SIOMMU_SMMUV3_CR1:			return s->cr1;
	case SIOMMU_SMMUV3_CR2:			return s->cr2;
	case SIOMMU_SMMUV3_GBPA:		return s->gbpa;
	case SIOMMU_SMMUV3_IRQ_CTRL:
	case SIOMMU_SMMUV3_IRQ_CTRLACK:		return s->irq_ctrl;
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG1:	return s->gerror_irq_data;
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG2:	return s->gerror_irq_attr;
	case SIOMMU_SMMUV3_STRTAB_BASE_CFG:	return s->strtab_cfg;
	case SIOMMU_SMMUV3_CMDQ_PROD:		return s->cmdq.prod;
	case SIOMMU_SMMUV3_CMDQ_CONS:		return s->cmdq.cons;
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG1:	return s->evtq_irq_data;
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG2:	return s->evtq_irq_attr;
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG1:	return s->priq_irq_data;
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG2:	return s->priq_irq_attr;
	case SIOMMU_SMMUV3_GERROR:
	case SIOMMU_SMMUV3_GERRORN:
	case SIOMMU_SMMUV3_EVTQ_PROD:
	case SIOMMU_SMMUV3_EVTQ_CONS:
	case SIOMMU_SMMUV3_PRIQ_PROD:
	case SIOMMU_SMMUV3_PRIQ_CONS:
		break;
	default:
		return 0;	/* IIDR, STATUSR, AGBPA, reserved */
	}
	pthread_mutex_lock(&s->q_lock);
	switch (off) {
	case SIOMMU_SMMUV3_GERROR:	v = s->gerror; break;
	case SIOMMU_SMMUV3_GERRORN:	v = s->gerrorn; break;
	case SIOMMU_SMMUV3_EVTQ_PROD:	v = s->evtq.prod; break;
	case SIOMMU_SMMUV3_EVTQ_CONS:	v = s->evtq.cons; break;
	case SIOMMU_SMMUV3_PRIQ_PROD:	v = s->priq.prod; break;
	default:			v = s->priq.cons; break;
	}
	pthread_mutex_unlock(&s->q_lock);
	return v;
}

int SIOMMU_EXPORT siommu_smmuv3_mmio_read(struct siommu_smmuv3 *s, uint64_t offset,
					  unsigned int size, uint64_t *val)
{
	uint64_t r;

	if (!mmio_access_ok(offset, size, SIOMMU_SMMUV3_MMIO_SIZE) || !val)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = mmio_read_compose(s, offset, size, reg64_read, reg32_read);
	pthread_mutex_unlock(&s->lock);
	*val = r;
	return 0;
}

/* The translation state word from CR0 and GBPA; translations that began
 * under the old one have finished when this returns. */
static void xl_publish(struct siommu_smmuv3 *s)
{
	uint32_t xl = ((s->cr0 & SIOMMU_SMMUV3_CR0_SMMUEN) ? XL_EN : 0) |
		      ((s->gbpa & SIOMMU_SMMUV3_GBPA_ABORT) ? XL_ABORT : 0);

	if (xl == READ_ONCE(s->xl))
		return;
	STORE_RELEASE(s->xl, xl);
	/* Combined entries carry no SMMUEN: end them (see smmu_xc_fill()). */
	smmu_gen_bump(s);
	smmu_sync(s);
}

static uint32_t cr0_mask(struct siommu_smmuv3 *s)
{
	uint32_t m = SIOMMU_SMMUV3_CR0_SMMUEN | SIOMMU_SMMUV3_CR0_EVTQEN |
		     SIOMMU_SMMUV3_CR0_CMDQEN;

	if (s->cfg.features & SIOMMU_SMMUV3_F_PRI)
		m |= SIOMMU_SMMUV3_CR0_PRIQEN;
	if (s->cfg.features & SIOMMU_SMMUV3_F_ATS)
		m |= SIOMMU_SMMUV3_CR0_ATSCHK;
	return m;
}

/* SMMUv3 6.3.9: the update completes at once, so CR0ACK follows CR0. */
static void cr0_write(struct siommu_smmuv3 *s, uint32_t val)
{
	uint32_t old = s->cr0, new = val & cr0_mask(s);

	pthread_mutex_lock(&s->q_lock);
	WRITE_ONCE(s->cr0, new);
	pthread_mutex_unlock(&s->q_lock);
	xl_publish(s);
	if ((new ^ old) & SIOMMU_SMMUV3_CR0_CMDQEN)
		s->cmdq_epoch++;
	if ((new & ~old) & SIOMMU_SMMUV3_CR0_CMDQEN)
		s->cmdq_kick = true;
}

#define GBPA_FIELDS (SIOMMU_SMMUV3_GBPA_ABORT | (3u << 18) | (3u << 16) | \
		     (3u << 12) | (0xfu << 8) | (1u << 4) | 0xfu)

/* Queue pointer fields: index and wrap (19:0), OVFLG (31). */
#define Q_PTR_BITS 0xfffffu

static uint64_t q_base_mask(struct siommu_smmuv3 *s)
{
	return BIT64(62) | (GENMASK64(51, 5) & s->oa_mask) | 0x1f;
}

static void reg64_write(struct siommu_smmuv3 *s, uint64_t off, uint64_t val, uint64_t mask)
{
	uint32_t cr0 = s->cr0, irq = s->irq_ctrl;
	uint64_t *r;
	uint64_t keep;

	switch (off) {
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG0:
		if (irq & SIOMMU_SMMUV3_IRQ_GERROR)
			return;
		r = &s->gerror_irq_addr;
		keep = GENMASK64(51, 2) & s->oa_mask;
		break;
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG0:
		if (irq & SIOMMU_SMMUV3_IRQ_EVTQ)
			return;
		r = &s->evtq_irq_addr;
		keep = GENMASK64(51, 2) & s->oa_mask;
		break;
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG0:
		if (irq & SIOMMU_SMMUV3_IRQ_PRIQ)
			return;
		r = &s->priq_irq_addr;
		keep = GENMASK64(51, 2) & s->oa_mask;
		break;
	case SIOMMU_SMMUV3_STRTAB_BASE:
		/* SMMUv3 6.3.24: guarded by SMMUEN. */
		if (cr0 & SIOMMU_SMMUV3_CR0_SMMUEN)
			return;
		r = &s->strtab_base;
		keep = BIT64(62) | (GENMASK64(51, 6) & s->oa_mask);
		break;
	case SIOMMU_SMMUV3_CMDQ_BASE:
		if (cr0 & SIOMMU_SMMUV3_CR0_CMDQEN)
			return;
		r = &s->cmdq.base;
		keep = q_base_mask(s);
		break;
	case SIOMMU_SMMUV3_EVTQ_BASE:
	case SIOMMU_SMMUV3_PRIQ_BASE:
		if (cr0 & (off == SIOMMU_SMMUV3_EVTQ_BASE ? SIOMMU_SMMUV3_CR0_EVTQEN :
			   SIOMMU_SMMUV3_CR0_PRIQEN))
			return;
		pthread_mutex_lock(&s->q_lock);
		r = off == SIOMMU_SMMUV3_EVTQ_BASE ? &s->evtq.base : &s->priq.base;
		*r = ((*r & ~mask) | (val & mask)) & q_base_mask(s);
		pthread_mutex_unlock(&s->q_lock);
		return;
	default:
		return;
	}
	WRITE_ONCE(*r, ((*r & ~mask) | (val & mask)) & keep);
}

/* Queue pointer writes: @prod_sw says software owns PROD (the command
 * queue) rather than CONS; the owner's side is writable always, the other
 * only while the queue is disabled (SMMUv3 6.3.27-6.3.34). */
static void qptr_write(struct smmu_queue *q, bool is_prod, bool enabled, uint32_t val,
		       bool sw_owns_prod)
{
	uint32_t *p = is_prod ? &q->prod : &q->cons;
	uint32_t mask = Q_PTR_BITS | (sw_owns_prod ? 0 : SIOMMU_SMMUV3_Q_OVF);

	if (enabled && is_prod != sw_owns_prod)
		return;
	*p = val & mask;
}

static void reg32_write(struct siommu_smmuv3 *s, uint64_t off, uint32_t val,
			unsigned int *msi)
{
	uint32_t cr0 = s->cr0;
	bool ack;

	switch (off) {
	case SIOMMU_SMMUV3_CR0:
		cr0_write(s, val);
		break;
	case SIOMMU_SMMUV3_CR1:
		if (!(cr0 & SIOMMU_SMMUV3_CR0_SMMUEN))
			s->cr1 = val & 0xfff;
		break;
	case SIOMMU_SMMUV3_CR2:
		/* E2H is RES0 without IDR0.HYP; guarded by SMMUEN. */
		if (!(cr0 & SIOMMU_SMMUV3_CR0_SMMUEN))
			WRITE_ONCE(s->cr2, val & 6);
		break;
	case SIOMMU_SMMUV3_GBPA:
		if (val & SIOMMU_SMMUV3_GBPA_UPDATE) {
			s->gbpa = val & GBPA_FIELDS;
			xl_publish(s);
		}
		break;
	case SIOMMU_SMMUV3_IRQ_CTRL: {
		uint32_t m = SIOMMU_SMMUV3_IRQ_GERROR | SIOMMU_SMMUV3_IRQ_EVTQ;

		if (s->cfg.features & SIOMMU_SMMUV3_F_PRI)
			m |= SIOMMU_SMMUV3_IRQ_PRIQ;
		WRITE_ONCE(s->irq_ctrl, val & m);
		break;
	}
	case SIOMMU_SMMUV3_GERRORN:
		pthread_mutex_lock(&s->q_lock);
		s->gerrorn = val & GERROR_BITS;
		ack = !((s->gerror ^ s->gerrorn) & SIOMMU_SMMUV3_GERROR_CMDQ_ERR);
		pthread_mutex_unlock(&s->q_lock);
		/* SMMUv3 7.1: once CMDQ_ERR is acknowledged the queue resumes
		 * at CONS (software replaced or fixed the bad command). */
		if (ack)
			s->cmdq_kick = true;
		break;
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG1:
		if (!(s->irq_ctrl & SIOMMU_SMMUV3_IRQ_GERROR))
			WRITE_ONCE(s->gerror_irq_data, val);
		break;
	case SIOMMU_SMMUV3_GERROR_IRQ_CFG2:
		if (!(s->irq_ctrl & SIOMMU_SMMUV3_IRQ_GERROR))
			s->gerror_irq_attr = val & 0x3f;
		break;
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG1:
		if (!(s->irq_ctrl & SIOMMU_SMMUV3_IRQ_EVTQ))
			WRITE_ONCE(s->evtq_irq_data, val);
		break;
	case SIOMMU_SMMUV3_EVTQ_IRQ_CFG2:
		if (!(s->irq_ctrl & SIOMMU_SMMUV3_IRQ_EVTQ))
			s->evtq_irq_attr = val & 0x3f;
		break;
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG1:
		if (!(s->irq_ctrl & SIOMMU_SMMUV3_IRQ_PRIQ))
			WRITE_ONCE(s->priq_irq_data, val);
		break;
	case SIOMMU_SMMUV3_PRIQ_IRQ_CFG2:
		if (!(s->irq_ctrl & SIOMMU_SMMUV3_IRQ_PRIQ))
			s->priq_irq_attr = val & 0x3f;
		break;
	case SIOMMU_SMMUV3_STRTAB_BASE_CFG:
		if (!(cr0 & SIOMMU_SMMUV3_CR0_SMMUEN))
			WRITE_ONCE(s->strtab_cfg, val & 0x307ff);
		break;
	case SIOMMU_SMMUV3_CMDQ_PROD:
		qptr_write(&s->cmdq, true, cr0 & SIOMMU_SMMUV3_CR0_CMDQEN, val, true);
		if (cr0 & SIOMMU_SMMUV3_CR0_CMDQEN)
			s->cmdq_kick = true;
		break;
	case SIOMMU_SMMUV3_CMDQ_CONS:
		qptr_write(&s->cmdq, false, cr0 & SIOMMU_SMMUV3_CR0_CMDQEN, val, true);
		break;
	case SIOMMU_SMMUV3_EVTQ_PROD:
	case SIOMMU_SMMUV3_EVTQ_CONS:
		pthread_mutex_lock(&s->q_lock);
		qptr_write(&s->evtq, off == SIOMMU_SMMUV3_EVTQ_PROD,
			   cr0 & SIOMMU_SMMUV3_CR0_EVTQEN, val, false);
		pthread_mutex_unlock(&s->q_lock);
		break;
	case SIOMMU_SMMUV3_PRIQ_PROD:
	case SIOMMU_SMMUV3_PRIQ_CONS:
		pthread_mutex_lock(&s->q_lock);
		qptr_write(&s->priq, off == SIOMMU_SMMUV3_PRIQ_PROD,
			   cr0 & SIOMMU_SMMUV3_CR0_PRIQEN, val, false);
		pthread_mutex_unlock(&s->q_lock);
		break;
	default:
		break;	/* read-only or reserved */
	}
}

int SIOMMU_EXPORT siommu_smmuv3_mmio_write(struct siommu_smmuv3 *s, uint64_t offset,
					   unsigned int size, uint64_t val)
{
	uint64_t base = offset & ~7ull;
	unsigned int msi = 0;

	if (!mmio_access_ok(offset, size, SIOMMU_SMMUV3_MMIO_SIZE))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (is_reg64(base)) {
		if (size == 8) {
			reg64_write(s, base, val, ~0ull);
		} else {
			unsigned int sh = (offset & 4) * 8;

			reg64_write(s, base, (val & 0xffffffffull) << sh, 0xffffffffull << sh);
		}
	} else if (size == 8) {
		reg32_write(s, offset, (uint32_t)val, &msi);
		reg32_write(s, offset + 4, (uint32_t)(val >> 32), &msi);
	} else {
		reg32_write(s, offset, (uint32_t)val, &msi);
	}
	/* After the whole write: processing may drop the lock. */
	if (s->cmdq_kick) {
		s->cmdq_kick = false;
		smmu_cmdq_process(s, &msi);
	}
	pthread_mutex_unlock(&s->lock);
	smmu_msi_deliver(s, msi);
	return 0;
}
