/* SPDX-License-Identifier: MIT */
/*
 * VT-d unit: creation, the register file (VT-d 10.4), the primary fault log
 * (VT-d 7.2), interrupt generation (VT-d 5.1.6 / 7.3), device callbacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/common/mmio.h"
#include "hw/vtd/vtd_internal.h"

/* ---- configuration and capabilities ------------------------------------ */

static int cfg_fill(struct siommu_vtd_cfg *c, const struct siommu_vtd_cfg *in)
{
	if (in)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	if (!c->aw)
		c->aw = 48;
	if (!c->haw)
		c->haw = 48;
	if (!c->pasid_bits)
		c->pasid_bits = 20;
	if (!c->caps)
		c->caps = SIOMMU_VTD_CAP_ALL;
	if (!c->iotlb_sets)
		c->iotlb_sets = 256;
	if (!c->iotlb_ways)
		c->iotlb_ways = 4;
	if (!c->nr_fault_records)
		c->nr_fault_records = 8;
	if (!c->mamv)
		c->mamv = 18;
	if (c->aw != 39 && c->aw != 48 && c->aw != 57)
		return -EINVAL;
	if (c->haw < 32 || c->haw > 52 || c->pasid_bits > 20)
		return -EINVAL;
	if (c->caps & ~(SIOMMU_VTD_CAP_ALL | SIOMMU_VTD_CAP_CM))
		return -EINVAL;
	if ((c->caps & SIOMMU_VTD_CAP_NEST) &&
	    (c->caps & (SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_SS)) !=
	    (SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_SS))
		return -EINVAL;
	if (c->iotlb_sets > 65536 || (c->iotlb_sets & (c->iotlb_sets - 1)) ||
	    c->iotlb_ways > 16 || c->nr_fault_records > 256 || c->mamv > 63)
		return -EINVAL;
	return 0;
}

/* CAP and ECAP as VT-d 10.4.2 and 10.4.3 lay them out. */
static void caps_compute(struct siommu_vtd *v)
{
	const struct siommu_vtd_cfg *c = &v->cfg;
	uint64_t cap = 6;	/* ND: 16-bit domain IDs */
	uint64_t ecap = 0;

	if (c->caps & SIOMMU_VTD_CAP_CM)
		cap |= BIT64(7);
	cap |= 0x2ull << 8;				/* SAGAW 39-bit */
	if (c->aw >= 48)
		cap |= 0x4ull << 8;
	if (c->aw >= 57)
		cap |= 0x8ull << 8;
	cap |= (uint64_t)(c->aw - 1) << 16;		/* MGAW */
	cap |= (uint64_t)VTD_FRO << 24;
	if (c->caps & SIOMMU_VTD_CAP_SSLP)
		cap |= 0x3ull << 34;			/* 2M and 1G */
	cap |= BIT64(39);				/* PSI */
	cap |= (uint64_t)(c->nr_fault_records - 1) << 40;
	cap |= (uint64_t)c->mamv << 48;
	cap |= BIT64(54) | BIT64(55);			/* DWD, DRD */
	if (c->caps & SIOMMU_VTD_CAP_FS1G)
		cap |= BIT64(56);
	if (c->aw == 57 && (c->caps & SIOMMU_VTD_CAP_FS))
		cap |= BIT64(60);			/* FS5LP */
	cap |= BIT64(63);	/* ESRTPS: SRTP also invalidates the caches */

	ecap |= BIT64(0) | BIT64(1);			/* C, QI */
	if (c->caps & SIOMMU_VTD_CAP_DT)
		ecap |= BIT64(2);
	if (c->caps & SIOMMU_VTD_CAP_PT)
		ecap |= BIT64(6);
	ecap |= (uint64_t)VTD_IRO << 8;
	if (c->caps & SIOMMU_VTD_CAP_NEST)
		ecap |= BIT64(26);
	if (c->caps & SIOMMU_VTD_CAP_PRS)
		ecap |= BIT64(29);
	if (c->caps & SIOMMU_VTD_CAP_ERS)
		ecap |= BIT64(30);
	if (c->caps & SIOMMU_VTD_CAP_SRS)
		ecap |= BIT64(31);
	ecap |= (uint64_t)(c->pasid_bits - 1) << 35;	/* PSS */
	ecap |= BIT64(40) | BIT64(42) | BIT64(43);	/* PASID, PDS, SMTS */
	if (c->caps & SIOMMU_VTD_CAP_SSAD)
		ecap |= BIT64(45);
	if (c->caps & SIOMMU_VTD_CAP_SS)
		ecap |= BIT64(46);
	if (c->caps & SIOMMU_VTD_CAP_FS)
		ecap |= BIT64(47);
	ecap |= BIT64(48);				/* SMPWC */
	/* RPS, RPRIVS: the context entry's RID_PASID and RID_PRIV are
	 * honoured for requests without PASID (VT-d 9.4). */
	ecap |= BIT64(49) | BIT64(50);
	v->cap = cap;
	v->ecap = ecap;
}

int SIOMMU_EXPORT siommu_vtd_create(struct siommu_mem *mem,
				    const struct siommu_vtd_cfg *cfg,
				    struct siommu_vtd **out)
{
	struct siommu_vtd *v;
	int ret;

	if (!mem || !out)
		return -EINVAL;
	v = vtd_should_fail(mem) ? NULL :
	    aligned_alloc(64, (sizeof(*v) + 63) & ~(size_t)63);
	if (!v)
		return -ENOMEM;
	memset(v, 0, sizeof(*v));
	v->mem = mem;
	ret = vtd_should_fail(mem) ? -ENOMEM : rcu_domain_init(&v->rcu, RCU_FENCE_ADAPTIVE);
	if (ret)
		goto out_free;
	ret = cfg_fill(&v->cfg, cfg);
	if (ret)
		goto out_free;
	caps_compute(v);
	v->haw_mask = (1ull << v->cfg.haw) - 1;
	vtd_walk_init(v);
	ret = -ENOMEM;
	v->frcd = vtd_should_fail(mem) ? NULL :
		  calloc(2 * (size_t)v->cfg.nr_fault_records, sizeof(uint64_t));
	if (!v->frcd)
		goto out_free;
	ret = vtd_caches_init(v);
	if (ret)
		goto out_free_frcd;
	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->fault_lock, NULL);
	pthread_mutex_init(&v->prq_lock, NULL);
	hw_devs_init(&v->devs);
	/* Reset values: interrupts masked (VT-d 10.4.10, 10.4.23). */
	v->fectl = SIOMMU_VTD_ECTL_IM;
	v->iectl = SIOMMU_VTD_ECTL_IM;
	v->pectl = SIOMMU_VTD_ECTL_IM;
	/* Published to the memory last: nothing fails after it. */
	mem_rcu_user_add(mem, &v->mem_user, &v->rcu);
	*out = v;
	return 0;

out_free_frcd:
	free(v->frcd);
out_free:
	rcu_domain_fini(&v->rcu);	/* also after a failed init */
	free(v);
	return ret;
}

static void dev_free(struct hw_dev *d)
{
	free(d);	/* the start of its struct vtd_dev */
}

void SIOMMU_EXPORT siommu_vtd_destroy(struct siommu_vtd *v)
{
	if (!v)
		return;
	mem_rcu_user_del(v->mem, &v->mem_user);
	rcu_domain_fini(&v->rcu);
	hw_devs_fini(&v->devs, dev_free);
	pthread_mutex_destroy(&v->prq_lock);
	pthread_mutex_destroy(&v->fault_lock);
	pthread_mutex_destroy(&v->lock);
	vtd_caches_fini(v);
	free(v->frcd);
	free(v);
}

void SIOMMU_EXPORT siommu_vtd_get_cfg(struct siommu_vtd *v, struct siommu_vtd_cfg *cfg)
{
	*cfg = v->cfg;
}

void SIOMMU_EXPORT siommu_vtd_set_msi(struct siommu_vtd *v, siommu_vtd_msi_fn fn,
				      void *opaque)
{
	v->msi_opaque = opaque;
	v->msi_fn = fn;
}

/* ---- interrupts ----------------------------------------------------------- */

void vtd_msi_deliver(struct siommu_vtd *v, unsigned int msi)
{
	siommu_vtd_msi_fn fn = v->msi_fn;

	if (!fn)
		return;
	if (msi & MSI_FAULT)
		fn(v->msi_opaque, SIOMMU_VTD_IRQ_FAULT,
		   (uint64_t)READ_ONCE(v->feuaddr) << 32 | READ_ONCE(v->feaddr),
		   READ_ONCE(v->fedata));
	if (msi & MSI_INV)
		fn(v->msi_opaque, SIOMMU_VTD_IRQ_INV,
		   (uint64_t)READ_ONCE(v->ieuaddr) << 32 | READ_ONCE(v->ieaddr),
		   READ_ONCE(v->iedata));
	if (msi & MSI_PRQ)
		fn(v->msi_opaque, SIOMMU_VTD_IRQ_PRQ,
		   (uint64_t)READ_ONCE(v->peuaddr) << 32 | READ_ONCE(v->peaddr),
		   READ_ONCE(v->pedata));
}


#define FSTS_STATUS (SIOMMU_VTD_FSTS_PFO | SIOMMU_VTD_FSTS_PPF | \
		     SIOMMU_VTD_FSTS_IQE | SIOMMU_VTD_FSTS_ICE | SIOMMU_VTD_FSTS_ITE)

/* VT-d 7.3.1: a fault event is generated only when no status was pending. */
static void fsts_raise(struct siommu_vtd *v, uint32_t bits, unsigned int *msi)
{
	bool pending = v->fsts & FSTS_STATUS;

	v->fsts |= bits;
	if (!pending)
		vtd_event(&v->fectl, MSI_FAULT, msi);
}

void vtd_fsts_set(struct siommu_vtd *v, uint32_t bits, unsigned int *msi)
{
	pthread_mutex_lock(&v->fault_lock);
	fsts_raise(v, bits, msi);
	pthread_mutex_unlock(&v->fault_lock);
}

/* ---- fault log (VT-d 7.2.1, FRCD layout VT-d 10.4.14) ------------------------ */

/* Fault record bits in the high word (bit 64 + n of the record). */
#define FRCD_T2		BIT64(28)
#define FRCD_PRIV	BIT64(29)
#define FRCD_EXE	BIT64(30)
#define FRCD_PP		BIT64(31)
#define FRCD_T1		BIT64(62)
#define FRCD_F		BIT64(63)

bool vtd_fault_record(struct siommu_vtd *v, const struct vtd_fault *f,
		      unsigned int *msi)
{
	unsigned int i;
	uint64_t hi;

	vtd_stat_inc(v, ST_FAULT);
	if (f->fpd)
		return false;
	pthread_mutex_lock(&v->fault_lock);
	/* While PFO is set no further fault is recorded. */
	if (v->fsts & SIOMMU_VTD_FSTS_PFO)
		goto out_drop;
	i = v->fault_next;
	if (v->frcd[2 * i + 1] & FRCD_F) {
		fsts_raise(v, SIOMMU_VTD_FSTS_PFO, msi);
		goto out_drop;
	}
	/*
	 * VT-d 10.4.14: SID 79:64, T2 92, PRIV 93, EXE 94, PP 95, FR 103:96,
	 * PV 123:104 (all 20 bits), T1 126 (T2:T1 = 00b write, 01b read,
	 * 10b page request), F 127. PRIV and EXE describe the PASID prefix,
	 * so they are set only with PP. Built in 64-bit arithmetic: no sign
	 * extension into other fields when PP is set.
	 */
	hi = (uint64_t)f->sid |
	     (f->prq ? FRCD_T2 : 0) |
	     (f->pp && f->priv ? FRCD_PRIV : 0) |
	     (f->pp && f->exec ? FRCD_EXE : 0) |
	     (f->pp ? FRCD_PP : 0) |
	     ((uint64_t)f->reason << 32) |
	     ((uint64_t)(f->pp ? (f->pasid & 0xfffff) : 0) << 40) |
	     (!f->prq && !f->write ? FRCD_T1 : 0) |
	     FRCD_F;
	v->frcd[2 * i] = f->addr & ~0xfffull;
	v->frcd[2 * i + 1] = hi;
	v->fault_next = (i + 1) % v->cfg.nr_fault_records;
	if (!(v->fsts & SIOMMU_VTD_FSTS_PPF))
		v->fsts = (v->fsts & ~0xff00u) | (i << 8);
	fsts_raise(v, SIOMMU_VTD_FSTS_PPF, msi);
	pthread_mutex_unlock(&v->fault_lock);
	vtd_stat_inc(v, ST_FAULT_REC);
	return true;

out_drop:
	pthread_mutex_unlock(&v->fault_lock);
	return false;
}

/* PPF is the OR of the F bits (VT-d 10.4.9); FRI the first pending one. */
static void ppf_update(struct siommu_vtd *v)
{
	unsigned int i, n = v->cfg.nr_fault_records;

	for (i = 0; i < n; i++) {
		unsigned int j = (v->fault_next + i) % n;

		if (v->frcd[2 * j + 1] & FRCD_F) {
			v->fsts = (v->fsts & ~0xff00u) | (j << 8) |
				  SIOMMU_VTD_FSTS_PPF;
			return;
		}
	}
	v->fsts &= ~SIOMMU_VTD_FSTS_PPF;
}

/* ---- devices ------------------------------------------------------------------ */

int SIOMMU_EXPORT siommu_vtd_dev_register(struct siommu_vtd *v, uint16_t rid,
					  const struct siommu_vtd_dev_ops *ops,
					  void *opaque)
{
	struct vtd_dev *n;
	int ret;

	if (!ops)
		return -EINVAL;
	n = vtd_should_fail(v->mem) ? NULL : calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->dev.id = rid;
	n->dev.opaque = opaque;
	n->ops = *ops;
	ret = hw_devs_add(&v->devs, &n->dev);
	if (ret)
		free(n);
	return ret;
}

void SIOMMU_EXPORT siommu_vtd_dev_unregister(struct siommu_vtd *v, uint16_t rid)
{
	free(hw_devs_remove(&v->devs, rid));
}

/* The registered device @rid, busy until dev_put(), or NULL. */
static struct vtd_dev *dev_get(struct siommu_vtd *v, uint16_t rid)
{
	return (struct vtd_dev *)hw_devs_get(&v->devs, rid);
}

static void dev_put(struct siommu_vtd *v, struct vtd_dev *d)
{
	hw_devs_put(&v->devs, &d->dev);
}

void vtd_dev_devtlb_inv(struct siommu_vtd *v, const struct siommu_vtd_devtlb_inv *inv)
{
	struct vtd_dev *d = dev_get(v, inv->rid);

	if (!d)
		return;
	if (d->ops.devtlb_inv)
		d->ops.devtlb_inv(d->dev.opaque, inv);
	dev_put(v, d);
}

void vtd_dev_page_resp(struct siommu_vtd *v, const struct siommu_vtd_page_resp *r)
{
	struct vtd_dev *d = dev_get(v, r->rid);

	if (!d)
		return;
	if (d->ops.page_resp)
		d->ops.page_resp(d->dev.opaque, r);
	dev_put(v, d);
}

/* ---- register file ------------------------------------------------------------ */

static bool in_frcd(struct siommu_vtd *v, uint64_t off)
{
	return off >= SIOMMU_VTD_REG_FRCD &&
	       off < SIOMMU_VTD_REG_FRCD + 16ull * v->cfg.nr_fault_records;
}

/* Is @off (8-aligned) a 64-bit register? Returns its value if so. */
static bool reg64_read(void *ctx, uint64_t off, uint64_t *val)
{
	struct siommu_vtd *v = ctx;

	switch (off) {
	case SIOMMU_VTD_REG_CAP:	*val = v->cap; return true;
	case SIOMMU_VTD_REG_ECAP:	*val = v->ecap; return true;
	case SIOMMU_VTD_REG_RTADDR:	*val = v->rtaddr; return true;
	case SIOMMU_VTD_REG_CCMD:	*val = v->ccmd; return true;
	case SIOMMU_VTD_REG_IQH:	*val = v->iqh; return true;
	case SIOMMU_VTD_REG_IQT:	*val = v->iqt; return true;
	case SIOMMU_VTD_REG_IQA:	*val = v->iqa; return true;
	case SIOMMU_VTD_REG_IQER:	*val = v->iqer; return true;
	case SIOMMU_VTD_REG_IVA:	*val = 0; return true;	/* write-only */
	case SIOMMU_VTD_REG_IOTLB:	*val = v->iotlb_reg; return true;
	case SIOMMU_VTD_REG_PQH:
	case SIOMMU_VTD_REG_PQT:
	case SIOMMU_VTD_REG_PQA:
		*val = vtd_prq_reg_read(v, off);
		return true;
	}
	if (in_frcd(v, off)) {
		unsigned int i = (unsigned int)((off - SIOMMU_VTD_REG_FRCD) / 16);

		pthread_mutex_lock(&v->fault_lock);
		*val = v->frcd[2 * i + ((off & 8) ? 1 : 0)];
		pthread_mutex_unlock(&v->fault_lock);
		return true;
	}
	return false;
}

static uint32_t reg32_read(void *ctx, uint64_t off)
{
	struct siommu_vtd *v = ctx;
	uint32_t val;

	switch (off) {
	case SIOMMU_VTD_REG_VER:	return 0x30;	/* 3.0 */
	case SIOMMU_VTD_REG_GSTS:	return v->gsts;
	case SIOMMU_VTD_REG_FSTS:
	case SIOMMU_VTD_REG_FECTL:
		pthread_mutex_lock(&v->fault_lock);
		val = off == SIOMMU_VTD_REG_FSTS ? v->fsts : v->fectl;
		pthread_mutex_unlock(&v->fault_lock);
		return val;
	case SIOMMU_VTD_REG_FEDATA:	return v->fedata;
	case SIOMMU_VTD_REG_FEADDR:	return v->feaddr;
	case SIOMMU_VTD_REG_FEUADDR:	return v->feuaddr;
	case SIOMMU_VTD_REG_ICS:	return v->ics;
	case SIOMMU_VTD_REG_IECTL:	return v->iectl;
	case SIOMMU_VTD_REG_IEDATA:	return v->iedata;
	case SIOMMU_VTD_REG_IEADDR:	return v->ieaddr;
	case SIOMMU_VTD_REG_IEUADDR:	return v->ieuaddr;
	case SIOMMU_VTD_REG_PRS:
	case SIOMMU_VTD_REG_PECTL:
		return (uint32_t)vtd_prq_reg_read(v, off);
	case SIOMMU_VTD_REG_PEDATA:	return v->pedata;
	case SIOMMU_VTD_REG_PEADDR:	return v->peaddr;
	case SIOMMU_VTD_REG_PEUADDR:	return v->peuaddr;
	default:			return 0;	/* GCMD is write-only */
	}
}

int SIOMMU_EXPORT siommu_vtd_mmio_read(struct siommu_vtd *v, uint64_t offset,
				       unsigned int size, uint64_t *val)
{
	uint64_t r;

	if (!mmio_access_ok(offset, size, SIOMMU_VTD_MMIO_SIZE) || !val)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	r = mmio_read_compose(v, offset, size, reg64_read, reg32_read);
	pthread_mutex_unlock(&v->lock);
	*val = r;
	return 0;
}

static void xl_publish(struct siommu_vtd *v, uint64_t root)
{
	uint64_t xl = (root & XL_ROOT_MASK & v->haw_mask) | (root & XL_TTM);

	if (v->gsts & SIOMMU_VTD_GCMD_TE)
		xl |= XL_TE;
	STORE_RELEASE(v->xl, xl);
}

/* Caches and in-flight walks are gone once this returns. */
static void flush_and_sync(struct siommu_vtd *v)
{
	vtd_caches_flush_all(v);
	vtd_sync(v);
}

/* VT-d 10.4.4: GCMD is a command register; each written 1 is an action. */
static void gcmd_write(struct siommu_vtd *v, uint32_t val, unsigned int *msi)
{
	uint64_t root = LOAD_ACQUIRE(v->xl) & XL_ROOT_MASK;
	uint64_t ttm = LOAD_ACQUIRE(v->xl) & XL_TTM;
	bool te = val & SIOMMU_VTD_GCMD_TE;

	if (val & SIOMMU_VTD_GCMD_SRTP) {
		root = v->rtaddr & ~0x3ffull;
		ttm = v->rtaddr & XL_TTM;
		v->gsts |= SIOMMU_VTD_GCMD_SRTP;
	}
	if (te != !!(v->gsts & SIOMMU_VTD_GCMD_TE)) {
		if (te)
			v->gsts |= SIOMMU_VTD_GCMD_TE;
		else
			v->gsts &= ~SIOMMU_VTD_GCMD_TE;
	}
	if ((val & SIOMMU_VTD_GCMD_SRTP) || te != !!(LOAD_ACQUIRE(v->xl) & XL_TE)) {
		xl_publish(v, root | ttm);
		flush_and_sync(v);
	}
	if ((val & SIOMMU_VTD_GCMD_QIE) && !(v->gsts & SIOMMU_VTD_GCMD_QIE)) {
		/* VT-d 10.4.4: enabling QI resets IQH. */
		v->iqh = 0;
		v->gsts |= SIOMMU_VTD_GCMD_QIE;
		v->qi_epoch++;
		v->qi_kick = true;
	} else if (!(val & SIOMMU_VTD_GCMD_QIE) && (v->gsts & SIOMMU_VTD_GCMD_QIE)) {
		v->gsts &= ~SIOMMU_VTD_GCMD_QIE;
		v->qi_epoch++;
	}
}

/* Register-based invalidation (VT-d 10.4.7, 10.4.8.1); ignored with QI on. */
static void ccmd_write(struct siommu_vtd *v, uint64_t val)
{
	unsigned int g = (unsigned int)(val >> 61) & 3;
	uint16_t sid = (uint16_t)(val >> 16), mask = 0xffff;
	unsigned int fm = (unsigned int)(val >> 32) & 3;

	v->ccmd = val & ~BIT64(63);
	if (!(val & BIT64(63)) || (v->gsts & SIOMMU_VTD_GCMD_QIE) || !g)
		return;
	if (g == 3) {
		mask = vtd_sid_fm_mask(fm);
		vtd_ctx_inv(v, false, sid, mask);
	} else {
		vtd_ctx_inv(v, true, 0, 0);
	}
	vtd_sync(v);
	v->ccmd = (v->ccmd & ~(3ull << 59)) | ((uint64_t)g << 59);
}

static void iotlb_reg_write(struct siommu_vtd *v, uint64_t val)
{
	unsigned int g = (unsigned int)(val >> 60) & 3;
	struct iotlb_match m = { .did = (uint16_t)(val >> 32) };
	unsigned int am = (unsigned int)(v->iva & 0x3f);

	v->iotlb_reg = val & ~BIT64(63);
	if (!(val & BIT64(63)) || (v->gsts & SIOMMU_VTD_GCMD_QIE) || !g)
		return;
	if (g == 3 && am > v->cfg.mamv)
		g = 2;	/* VT-d 10.4.8.1: fall back to domain granularity */
	m.kind = g == 1 ? IM_ALL : g == 2 ? IM_DID : IM_DID_PAGE_SM;
	m.mask = vtd_am_mask(am);
	m.addr = v->iva & ~m.mask & ~0xfffull;
	m.ih = v->iva & BIT64(6);
	vtd_iotlb_inv(v, &m);
	vtd_sync(v);
	v->iotlb_reg = (v->iotlb_reg & ~(3ull << 57)) | ((uint64_t)g << 57);
}

/* @mask: which bits the access wrote (a 32-bit access writes one half). */
static void reg64_write(struct siommu_vtd *v, uint64_t off, uint64_t val,
			uint64_t mask, unsigned int *msi)
{
	switch (off) {
	case SIOMMU_VTD_REG_RTADDR:
		v->rtaddr = ((v->rtaddr & ~mask) | (val & mask)) &
			    ~0x3ffull & (GENMASK64(11, 10) | (v->haw_mask & ~0xfffull));
		return;
	case SIOMMU_VTD_REG_CCMD:
		ccmd_write(v, (v->ccmd & ~mask) | (val & mask));
		return;
	case SIOMMU_VTD_REG_IQT:
		v->iqt = ((v->iqt & ~mask) | (val & mask)) & GENMASK64(18, 4);
		if (mask & 0xffffffffull)
			v->qi_kick = true;
		return;
	case SIOMMU_VTD_REG_IQA:
		v->iqa = ((v->iqa & ~mask) | (val & mask)) &
			 ((v->haw_mask & ~0xfffull) | SIOMMU_VTD_IQA_DW | 7);
		return;
	case SIOMMU_VTD_REG_IVA:
		v->iva = ((v->iva & ~mask) | (val & mask)) & (GENMASK64(63, 12) | 0x7f);
		return;
	case SIOMMU_VTD_REG_IOTLB:
		iotlb_reg_write(v, (v->iotlb_reg & ~mask) | (val & mask));
		return;
	case SIOMMU_VTD_REG_PQH:
	case SIOMMU_VTD_REG_PQA:
		vtd_prq_reg_write(v, off, val, mask, msi);
		return;
	}
	if (in_frcd(v, off) && (off & 8) && (mask & val & FRCD_F)) {
		unsigned int i = (unsigned int)((off - SIOMMU_VTD_REG_FRCD) / 16);

		pthread_mutex_lock(&v->fault_lock);
		v->frcd[2 * i + 1] &= ~FRCD_F;
		ppf_update(v);
		if (!(v->fsts & FSTS_STATUS))
			v->fectl &= ~SIOMMU_VTD_ECTL_IP;
		pthread_mutex_unlock(&v->fault_lock);
	}
}

static bool is_reg64(struct siommu_vtd *v, uint64_t off)
{
	uint64_t dummy;

	return reg64_read(v, off, &dummy);
}

void vtd_ectl_write(uint32_t *ctl, uint32_t val, unsigned int bit, unsigned int *msi)
{
	/* VT-d 10.4.10: clearing IM delivers a pending (IP) interrupt. */
	if (!(val & SIOMMU_VTD_ECTL_IM) && (*ctl & SIOMMU_VTD_ECTL_IP)) {
		*msi |= bit;
		*ctl &= ~SIOMMU_VTD_ECTL_IP;
	}
	*ctl = (*ctl & SIOMMU_VTD_ECTL_IP) | (val & SIOMMU_VTD_ECTL_IM);
}

static void reg32_write(struct siommu_vtd *v, uint64_t off, uint32_t val,
			unsigned int *msi)
{
	bool iqe_cleared = false;

	switch (off) {
	case SIOMMU_VTD_REG_GCMD:
		gcmd_write(v, val, msi);
		break;
	case SIOMMU_VTD_REG_FSTS:
		pthread_mutex_lock(&v->fault_lock);
		iqe_cleared = v->fsts & val & SIOMMU_VTD_FSTS_IQE;
		v->fsts &= ~(val & (SIOMMU_VTD_FSTS_PFO | SIOMMU_VTD_FSTS_IQE |
				    SIOMMU_VTD_FSTS_ICE | SIOMMU_VTD_FSTS_ITE));
		if (!(v->fsts & FSTS_STATUS))
			v->fectl &= ~SIOMMU_VTD_ECTL_IP;
		pthread_mutex_unlock(&v->fault_lock);
		/* VT-d 6.5.2.10: once IQE is cleared the unit resumes fetching
		 * at IQH (software replaced the bad descriptor). */
		if (iqe_cleared)
			v->qi_kick = true;
		break;
	case SIOMMU_VTD_REG_FECTL:
		pthread_mutex_lock(&v->fault_lock);
		vtd_ectl_write(&v->fectl, val, MSI_FAULT, msi);
		pthread_mutex_unlock(&v->fault_lock);
		break;
	case SIOMMU_VTD_REG_FEDATA:	WRITE_ONCE(v->fedata, val); break;
	case SIOMMU_VTD_REG_FEADDR:	WRITE_ONCE(v->feaddr, val & ~3u); break;
	case SIOMMU_VTD_REG_FEUADDR:	WRITE_ONCE(v->feuaddr, val); break;
	case SIOMMU_VTD_REG_ICS:
		if (val & SIOMMU_VTD_ICS_IWC) {
			v->ics &= ~SIOMMU_VTD_ICS_IWC;
			v->iectl &= ~SIOMMU_VTD_ECTL_IP;
		}
		break;
	case SIOMMU_VTD_REG_IECTL:
		vtd_ectl_write(&v->iectl, val, MSI_INV, msi);
		break;
	case SIOMMU_VTD_REG_IEDATA:	WRITE_ONCE(v->iedata, val); break;
	case SIOMMU_VTD_REG_IEADDR:	WRITE_ONCE(v->ieaddr, val & ~3u); break;
	case SIOMMU_VTD_REG_IEUADDR:	WRITE_ONCE(v->ieuaddr, val); break;
	case SIOMMU_VTD_REG_PRS:
	case SIOMMU_VTD_REG_PECTL:
		vtd_prq_reg_write(v, off, val, 0xffffffffull, msi);
		break;
	case SIOMMU_VTD_REG_PEDATA:	WRITE_ONCE(v->pedata, val); break;
	case SIOMMU_VTD_REG_PEADDR:	WRITE_ONCE(v->peaddr, val & ~3u); break;
	case SIOMMU_VTD_REG_PEUADDR:	WRITE_ONCE(v->peuaddr, val); break;
	default:
		break;	/* read-only or reserved */
	}
}

int SIOMMU_EXPORT siommu_vtd_mmio_write(struct siommu_vtd *v, uint64_t offset,
					unsigned int size, uint64_t val)
{
	unsigned int msi = 0;
	uint64_t base = offset & ~7ull;

	if (!mmio_access_ok(offset, size, SIOMMU_VTD_MMIO_SIZE))
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (is_reg64(v, base)) {
		if (size == 8) {
			reg64_write(v, base, val, ~0ull, &msi);
		} else {
			unsigned int sh = (offset & 4) * 8;

			reg64_write(v, base, (val & 0xffffffffull) << sh,
				    0xffffffffull << sh, &msi);
		}
	} else if (size == 8) {
		reg32_write(v, offset, (uint32_t)val, &msi);
		reg32_write(v, offset + 4, (uint32_t)(val >> 32), &msi);
	} else {
		reg32_write(v, offset, (uint32_t)val, &msi);
	}
	/* After the whole write: processing may drop the lock. */
	if (v->qi_kick) {
		v->qi_kick = false;
		vtd_qi_process(v, &msi);
	}
	pthread_mutex_unlock(&v->lock);
	vtd_msi_deliver(v, msi);
	return 0;
}
