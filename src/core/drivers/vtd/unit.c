/* SPDX-License-Identifier: MIT */
/*
 * The VT-d driver's unit: registers, bring-up and teardown (VT-d 10.4),
 * what the unit offers (CAP, ECAP), the shapes of its domains, and the ops
 * table the core drives it through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/iommufd.h>

#include "core/drivers/vtd/vtd_drv.h"

/* The interrupt address range: requests without PASID there are
 * interrupts (VT-d 3.14, 5.1), never translated DMA. */
#define VTD_MSI_BASE 0xfee00000ull
#define VTD_MSI_LAST 0xfeefffffull

uint64_t vtd_drv_rd64(struct vtd_drv_unit *v, unsigned int off)
{
	uint64_t val = 0;

	siommu_vtd_mmio_read(v->hw, off, 8, &val);
	return val;
}

uint32_t vtd_drv_rd32(struct vtd_drv_unit *v, unsigned int off)
{
	uint64_t val = 0;

	siommu_vtd_mmio_read(v->hw, off, 4, &val);
	return (uint32_t)val;
}

void vtd_drv_wr64(struct vtd_drv_unit *v, unsigned int off, uint64_t val)
{
	siommu_vtd_mmio_write(v->hw, off, 8, val);
}

void vtd_drv_wr32(struct vtd_drv_unit *v, unsigned int off, uint32_t val)
{
	siommu_vtd_mmio_write(v->hw, off, 4, val);
}

int vtd_drv_gcmd_set(struct vtd_drv_unit *v, uint32_t bit, bool oneshot)
{
	unsigned int i;

	vtd_drv_wr32(v, SIOMMU_VTD_REG_GCMD, v->gcmd | bit);
	for (i = 0; i < VTD_DRV_POLL_LIMIT; i++)
		if (vtd_drv_rd32(v, SIOMMU_VTD_REG_GSTS) & bit)
			break;
	if (i == VTD_DRV_POLL_LIMIT)
		return -EIO;
	if (!oneshot)
		v->gcmd |= bit;
	return 0;
}

/* What the unit has (CAP and ECAP bits, VT-d 11.4.2, 11.4.3). */
static bool has_fs(const struct vtd_drv_unit *v) { return v->ecap & BIT64(47); }
static bool has_ss(const struct vtd_drv_unit *v) { return v->ecap & BIT64(46); }
static bool has_pt(const struct vtd_drv_unit *v) { return v->ecap & BIT64(6); }
bool vtd_drv_has_fs(const struct vtd_drv_unit *v) { return has_fs(v); }

static int unit_init(struct siommu_unit *unit, const void *cfg)
{
	struct siommu_mem *mem = unit->ctx->mem;
	struct vtd_drv_unit *v;
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
	fifo_lock_init(&v->q_lock);
	pthread_mutex_init(&v->fault_lock, NULL);
	pthread_mutex_init(&v->prq_lock, NULL);
	v->did_map[0] = 1;	/* DID 0 is reserved (with CM it must be) */

	ret = siommu_vtd_create(mem, cfg, &v->hw);
	if (ret)
		goto out_free_map;
	v->cap = vtd_drv_rd64(v, SIOMMU_VTD_REG_CAP);
	v->ecap = vtd_drv_rd64(v, SIOMMU_VTD_REG_ECAP);
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
	v->status = siommu_mem_host(mem, v->status_pa, 4);
	ret = siommu_mem_frame_alloc(mem, VTD_DRV_PRQ_SIZE, SIOMMU_MEM_HW, &v->prq_pa);
	if (ret)
		goto out_free_status_frame;
	unit->drv = v;

	/* Bring-up, in the order the specification asks (10.4.4-10.4.6). */
	siommu_vtd_set_msi(v->hw, vtd_drv_msi, v);
	vtd_drv_wr32(v, SIOMMU_VTD_REG_FEDATA, 0);
	vtd_drv_wr32(v, SIOMMU_VTD_REG_FEADDR, (uint32_t)VTD_MSI_BASE);
	vtd_drv_wr32(v, SIOMMU_VTD_REG_FECTL, 0);		/* unmask fault events */
	if (v->ecap & BIT64(29)) {				/* PRS */
		vtd_drv_wr64(v, SIOMMU_VTD_REG_PQH, 0);
		vtd_drv_wr64(v, SIOMMU_VTD_REG_PQA, v->prq_pa);	/* PQS 0: 4K */
		vtd_drv_wr32(v, SIOMMU_VTD_REG_PEDATA, 0);
		vtd_drv_wr32(v, SIOMMU_VTD_REG_PEADDR, (uint32_t)VTD_MSI_BASE);
		vtd_drv_wr32(v, SIOMMU_VTD_REG_PECTL, 0);	/* unmask */
	}
	vtd_drv_wr64(v, SIOMMU_VTD_REG_RTADDR, v->root_pa | SIOMMU_VTD_RTADDR_SMT);
	ret = vtd_drv_gcmd_set(v, SIOMMU_VTD_GCMD_SRTP, true);
	if (ret)
		goto out_free_status;
	vtd_drv_wr64(v, SIOMMU_VTD_REG_IQT, 0);
	vtd_drv_wr64(v, SIOMMU_VTD_REG_IQA, v->iq_pa | SIOMMU_VTD_IQA_DW);	/* QS 0 */
	ret = vtd_drv_gcmd_set(v, SIOMMU_VTD_GCMD_QIE, false);
	if (ret)
		goto out_free_status;
	vtd_drv_qi_global(v);
	ret = vtd_drv_gcmd_set(v, SIOMMU_VTD_GCMD_TE, false);
	if (ret)
		goto out_free_status;
	return 0;

out_free_status:
	unit->drv = NULL;
	siommu_mem_frame_free(mem, v->prq_pa, VTD_DRV_PRQ_SIZE, SIOMMU_MEM_HW);
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
	pthread_mutex_destroy(&v->fault_lock);
	pthread_mutex_destroy(&v->prq_lock);
	free(v);
	return ret;
}

static void unit_fini(struct siommu_unit *unit)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);

	/* Devices are gone; the unit stops translating before its tables go. */
	siommu_vtd_destroy(v->hw);
	vtd_drv_tables_fini(v);
	siommu_mem_frame_free(v->mem, v->prq_pa, VTD_DRV_PRQ_SIZE, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->status_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->iq_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, v->root_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	free(v->did_map);
	pthread_mutex_destroy(&v->fault_lock);
	pthread_mutex_destroy(&v->prq_lock);
	free(v);
	unit->drv = NULL;
}

static void unit_info(struct siommu_unit *unit, struct iommu_unit_info *info)
{
	const struct vtd_drv_unit *v = vtd_drv_unit(unit);

	info->pasid_bits = v->pasid_bits;
	info->ias = v->aw;
	info->ats = v->ecap & BIT64(2);			/* DT */
	info->pri = v->ecap & BIT64(29);		/* PRS */
	info->caching_mode = v->cap & BIT64(7);		/* CM */
}

static void unit_stats(struct siommu_unit *unit, struct siommu_unit_stats *st)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);

	/* No lock: the stats may be read from a fault handler or a device
	 * callback that runs while the driver holds one (core.h). Each
	 * counter is written by one lock holder at a time. */
	st->inv_descriptors = __atomic_load_n(&v->n_desc, __ATOMIC_RELAXED);
	st->inv_waits = __atomic_load_n(&v->n_wait, __ATOMIC_RELAXED);
	st->inv_errors = __atomic_load_n(&v->n_inv_err, __ATOMIC_RELAXED);
	st->faults = __atomic_load_n(&v->n_fault, __ATOMIC_RELAXED);
	st->page_requests = __atomic_load_n(&v->n_page_req, __ATOMIC_RELAXED);
	st->domain_ids = __atomic_load_n(&v->n_did, __ATOMIC_RELAXED);
}

static void *unit_hw(struct siommu_unit *unit)
{
	return vtd_drv_unit(unit)->hw;
}

uint64_t vtd_drv_pgsizes(struct vtd_drv_unit *v, enum siommu_domain_stage stage)
{
	uint64_t sizes = SIOMMU_PGSIZE_4K;

	if (stage == SIOMMU_STAGE_FIRST) {
		/* x86-64 paging has 2M pages always; 1G with CAP.FS1GP. */
		sizes |= SIOMMU_PGSIZE_2M;
		if (v->cap & BIT64(56))
			sizes |= SIOMMU_PGSIZE_1G;
	} else {
		/* CAP.SSLPS (bits 37:34): bit 34 2M, bit 35 1G. */
		if (v->cap & BIT64(34))
			sizes |= SIOMMU_PGSIZE_2M;
		if (v->cap & BIT64(35))
			sizes |= SIOMMU_PGSIZE_1G;
	}
	return sizes;
}

int vtd_drv_domain_check(struct vtd_drv_unit *v, const struct siommu_domain *dom)
{
	switch (dom->type) {
	case SIOMMU_DOMAIN_BLOCKED:
		return 0;
	case SIOMMU_DOMAIN_IDENTITY:
		return has_pt(v) ? 0 : -EOPNOTSUPP;
	case SIOMMU_DOMAIN_PAGING:
	case SIOMMU_DOMAIN_SVA:
		break;
	case SIOMMU_DOMAIN_NESTED:
		return vtd_drv_nested_check(v, dom);
	}
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		if (!has_fs(v))
			return -EOPNOTSUPP;
		/* 5-level first stage needs CAP.FS5LP (bit 60). */
		if (dom->ias == 57 && !(v->cap & BIT64(60)))
			return -EINVAL;
	} else {
		if (!has_ss(v))
			return -EOPNOTSUPP;
		/* SAGAW must support the table's depth (CAP bits 12:8). */
		if (!(v->cap & BIT64(8 + (dom->ias - 30) / 9)))
			return -EINVAL;
	}
	/* Every leaf size the domain may use must be one the unit walks:
	 * a larger leaf behind a unit without it faults (VT-d 3.6, 3.7). */
	if (dom->pgsizes & ~vtd_drv_pgsizes(v, dom->stage))
		return -EINVAL;
	return 0;
}

/* The stage a paging domain of the unit uses for @stage: AUTO picks the
 * first stage where the unit has it (the format SVA shares with the CPU). */
static enum siommu_domain_stage domain_stage(const struct vtd_drv_unit *v,
					     enum siommu_domain_stage stage)
{
	if (stage != SIOMMU_STAGE_AUTO)
		return stage;
	return has_fs(v) ? SIOMMU_STAGE_FIRST : SIOMMU_STAGE_SECOND;
}

static int domain_init(struct siommu_unit *unit, struct siommu_domain *dom,
		       const struct siommu_domain_cfg *cfg, struct siommu_pt_cfg *pc)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);

	if (cfg->type == SIOMMU_DOMAIN_SVA) {
		/* The process's own 4-level x86-64 table, 4K pages (VT-d
		 * 3.6: first-stage translation shares the CPU's format). */
		dom->stage = SIOMMU_STAGE_FIRST;
		dom->ias = 48;
		dom->pgsizes = SIOMMU_PGSIZE_4K;
		pc->format = SIOMMU_PT_X86_64;
		return vtd_drv_domain_check(v, dom);
	}
	if (cfg->type != SIOMMU_DOMAIN_PAGING)
		return vtd_drv_domain_check(v, dom);
	dom->stage = domain_stage(v, cfg->stage);
	dom->ias = cfg->ias ? cfg->ias : v->aw;
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		/* First stage is 4- or 5-level x86-64 paging: a narrower
		 * width gets the narrowest of them that covers it, a wider
		 * one none (VT-d 3.6). */
		if (dom->ias > 57)
			return -EINVAL;
		if (dom->ias != 48 && dom->ias != 57)
			dom->ias = dom->ias > 48 ? 57 : 48;
		pc->format = SIOMMU_PT_X86_64;
	} else {
		pc->format = SIOMMU_PT_VTD_SS;
	}
	/* The page sizes are decided here, once: what the unit walks,
	 * narrowed to the caller's choice; every unit the domain is
	 * attached through must walk them all. */
	if (core_domain_pgsizes(vtd_drv_pgsizes(v, dom->stage), cfg->pgsize_bitmap,
				&dom->pgsizes))
		return -EINVAL;
	pc->pgsize_bitmap = dom->pgsizes;
	pc->ias = dom->ias;
	if (cfg->flags & SIOMMU_DOMAIN_DIRTY_TRACKING) {
		/* The unit sets a first-stage leaf's D bit on a write (VT-d
		 * 3.6.2); second-stage A/D would need SSADE in the PASID
		 * entry, which the driver does not program. */
		if (dom->stage != SIOMMU_STAGE_FIRST)
			return -EOPNOTSUPP;
		pc->flags |= SIOMMU_PT_DIRTY_TRACKING;
	}
	return vtd_drv_domain_check(v, dom);
}

static unsigned int dev_resv_regions(struct siommu_device *dev,
				     struct iommu_resv_region *r, unsigned int max)
{
	(void)dev;
	if (max)
		r[0] = (struct iommu_resv_region){ VTD_MSI_BASE, VTD_MSI_LAST };
	return 1;
}

static void dev_hw_info(struct siommu_device *dev, struct siommu_device_info *info)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);

	info->ias = v->aw;
	info->pgsize_bitmap = vtd_drv_pgsizes(v, domain_stage(v, SIOMMU_STAGE_AUTO));
}

/* VT-d's info for a user API: the capability registers as the unit
 * reports them (VT-d 11.4.2, 11.4.3). Dirty tracking is offered where
 * the unit has a first stage (its D bits; second-stage A/D is not set
 * up). */
static size_t hw_info(struct siommu_device *dev, uint32_t *type, void *data, size_t len,
		      uint64_t *caps)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct siommu_hw_info_vtd info = { .cap_reg = v->cap, .ecap_reg = v->ecap };

	*type = SIOMMU_HW_INFO_TYPE_INTEL_VTD;
	*caps = has_fs(v) ? SIOMMU_HW_CAP_DIRTY_TRACKING : 0;
	if (len)
		memcpy(data, &info, len < sizeof(info) ? len : sizeof(info));
	return sizeof(info);
}

void vtd_drv_replace_hook_set(struct siommu_unit *unit, vtd_drv_replace_hook_fn *fn,
			      void *arg)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);

	v->replace_hook = fn;
	v->replace_arg = arg;
}

const struct iommu_ops vtd_iommu_ops = {
	.name = "vtd",
	.att_size = sizeof(struct vtd_drv_att),
	.unit_init = unit_init,
	.unit_fini = unit_fini,
	.unit_info = unit_info,
	.unit_stats = unit_stats,
	.unit_hw = unit_hw,
	.dev_probe = vtd_drv_dev_probe,
	.dev_release = vtd_drv_dev_release,
	.dev_resv_regions = dev_resv_regions,
	.dev_hw_info = dev_hw_info,
	.hw_info = hw_info,
	.domain_init = domain_init,
	.domain_fini = vtd_drv_domain_fini,
	.domain_init_nested = vtd_drv_domain_init_nested,
	.cache_invalidate_user = vtd_drv_cache_invalidate_user,
	.attach_prepare = vtd_drv_attach_prepare,
	.attach_commit = vtd_drv_attach_commit,
	.attach_abort = vtd_drv_attach_abort,
	.iotlb_sync = vtd_drv_iotlb_sync,
	.flush_all = vtd_drv_flush_all,
	.attach_quiesce = vtd_drv_attach_quiesce,
	.page_response = vtd_drv_page_response,
	.page_req_drain = vtd_drv_page_req_drain,
};
