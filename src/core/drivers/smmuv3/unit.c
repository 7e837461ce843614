/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 driver's unit: registers, bring-up and teardown as Linux's
 * arm_smmu_device_reset() does it (SMMUv3 6.3), what the unit offers (the
 * ID registers), the shapes of its domains, and the ops table the core
 * drives it through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/iommufd.h>
#include <siommu/pt.h>

#include "core/drivers/smmuv3/smmuv3_drv.h"

/* Where the unit's event, PRI and GERROR interrupts are sent: an
 * interrupt controller's doorbell, not RAM (the MSI callback takes them). */
#define SMMU_MSI_DOORBELL 0x08090040ull
/* The IOVA window of that doorbell, which devices must not use for DMA. */
#define SMMU_MSI_BASE 0x08000000ull
#define SMMU_MSI_LAST 0x080fffffull

#define FIELD(w, h, l) (((w) >> (l)) & (~0ull >> (63 - (h) + (l))))

/* The unit whose register write this thread is in, if any. */
static __thread const struct smmu_drv_unit *smmu_drv_writer;

uint32_t smmu_drv_rd32(struct smmu_drv_unit *u, unsigned int off)
{
	uint64_t val = 0;

	siommu_smmuv3_mmio_read(u->hw, off, 4, &val);
	return (uint32_t)val;
}

void smmu_drv_wr32(struct smmu_drv_unit *u, unsigned int off, uint32_t val)
{
	const struct smmu_drv_unit *prev = smmu_drv_writer;

	smmu_drv_writer = u;
	siommu_smmuv3_mmio_write(u->hw, off, 4, val);
	smmu_drv_writer = prev;
}

void smmu_drv_wr64(struct smmu_drv_unit *u, unsigned int off, uint64_t val)
{
	const struct smmu_drv_unit *prev = smmu_drv_writer;

	smmu_drv_writer = u;
	siommu_smmuv3_mmio_write(u->hw, off, 8, val);
	smmu_drv_writer = prev;
}

bool smmu_drv_in_write(const struct smmu_drv_unit *u)
{
	return smmu_drv_writer == u;
}

/* Write @val and poll its acknowledgement register, bounded, as
 * arm_smmu_write_reg_sync() does. 0 or -EIO. */
static int write_reg_sync(struct smmu_drv_unit *u, unsigned int reg, unsigned int ack,
			  uint32_t val)
{
	unsigned int i;

	smmu_drv_wr32(u, reg, val);
	for (i = 0; i < SMMU_DRV_POLL_LIMIT; i++)
		if (smmu_drv_rd32(u, ack) == val)
			return 0;
	return -EIO;
}

/* GBPA: abort incoming transactions while SMMUEN is clear (SMMUv3
 * 6.3.14: set the field with Update, wait for Update to clear). */
static int gbpa_abort(struct smmu_drv_unit *u)
{
	unsigned int i;

	smmu_drv_wr32(u, SIOMMU_SMMUV3_GBPA, SIOMMU_SMMUV3_GBPA_ABORT |
					      SIOMMU_SMMUV3_GBPA_UPDATE);
	for (i = 0; i < SMMU_DRV_POLL_LIMIT; i++)
		if (!(smmu_drv_rd32(u, SIOMMU_SMMUV3_GBPA) & SIOMMU_SMMUV3_GBPA_UPDATE))
			return 0;
	return -EIO;
}

static unsigned int oas_bits(unsigned int code)
{
	static const unsigned int bits[8] = { 32, 36, 40, 42, 44, 48, 52, 48 };

	return bits[code & 7];
}

/* What the unit implements (SMMUv3 6.3.1-6.3.6), as
 * arm_smmu_device_hw_probe() reads it. -EOPNOTSUPP without AArch64
 * tables or the 4K granule. */
static int hw_probe(struct smmu_drv_unit *u, unsigned int log2[3])
{
	uint32_t idr0 = smmu_drv_rd32(u, SIOMMU_SMMUV3_IDR0);
	uint32_t idr1 = smmu_drv_rd32(u, SIOMMU_SMMUV3_IDR1);
	uint32_t idr3 = smmu_drv_rd32(u, SIOMMU_SMMUV3_IDR3);
	uint32_t idr5 = smmu_drv_rd32(u, SIOMMU_SMMUV3_IDR5);

	u->s2 = idr0 & BIT64(0);
	u->s1 = idr0 & BIT64(1);
	if (!(FIELD(idr0, 3, 2) & 2) || !(idr5 & BIT64(4)) || (!u->s1 && !u->s2))
		return -EOPNOTSUPP;
	u->ats = idr0 & BIT64(10);
	u->asid16 = idr0 & BIT64(12);
	u->msi = idr0 & BIT64(13);
	u->pri = idr0 & BIT64(16);
	u->stall = FIELD(idr0, 25, 24) != 1;	/* STALL_MODEL: 1 terminate only */
	u->vmid16 = idr0 & BIT64(18);
	u->cd2l = idr0 & BIT64(19);
	u->st2l = FIELD(idr0, 28, 27) == 1;
	u->ril = idr3 & BIT64(10);
	u->sid_bits = (unsigned int)FIELD(idr1, 5, 0);
	u->ssid_bits = (unsigned int)FIELD(idr1, 10, 6);
	u->ips = (unsigned int)FIELD(idr5, 2, 0);
	u->oas = oas_bits(u->ips);
	if (u->oas > 48) {
		/* No 52-bit tables here: clamp what we program to 48 bits. */
		u->oas = 48;
		u->ips = 5;
	}
	u->s2_ias = u->oas;
	/* Queues of at most 4K, as arm_smmu_init_one_queue() sizes them. */
	log2[0] = (unsigned int)FIELD(idr1, 25, 21);	/* CMDQS, 16-byte commands */
	log2[1] = (unsigned int)FIELD(idr1, 20, 16);	/* EVTQS, 32-byte records */
	log2[2] = (unsigned int)FIELD(idr1, 15, 11);	/* PRIQS, 16-byte requests */
	if (log2[0] > 8)
		log2[0] = 8;
	if (log2[1] > 7)
		log2[1] = 7;
	if (log2[2] > 8)
		log2[2] = 8;
	if (log2[0] < 2 || !log2[1] || (u->pri && !log2[2]))
		return -EOPNOTSUPP;
	return 0;
}

/* A queue of 2^@log2 entries, in one 4K frame (hw_probe() sized it). */
static int queue_alloc(struct smmu_drv_unit *u, struct smmu_drv_queue *q, unsigned int log2)
{
	q->log2 = log2;
	q->cons = 0;
	return siommu_mem_frame_alloc(u->mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &q->pa);
}

static void queue_free(struct smmu_drv_unit *u, struct smmu_drv_queue *q)
{
	if (q->pa)
		siommu_mem_frame_free(u->mem, q->pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
}

/* A queue's BASE (SMMUv3 6.3.24): RA/WA, the base, LOG2SIZE. */
static void queue_program(struct smmu_drv_unit *u, const struct smmu_drv_queue *q,
			  unsigned int base, unsigned int prod, unsigned int cons)
{
	smmu_drv_wr64(u, base, BIT64(62) | q->pa | q->log2);
	smmu_drv_wr32(u, prod, 0);
	smmu_drv_wr32(u, cons, 0);
}

static void irq_program(struct smmu_drv_unit *u, unsigned int cfg0, uint32_t data)
{
	smmu_drv_wr64(u, cfg0, SMMU_MSI_DOORBELL);
	smmu_drv_wr32(u, cfg0 + 8, data);
	smmu_drv_wr32(u, cfg0 + 12, 1);		/* Device-nGnRE */
}

/* Bring the unit up (arm_smmu_device_reset()): disabled, GBPA abort,
 * tables and queues, CMDQEN, invalidate everything, EVTQEN, PRIQEN,
 * interrupts, SMMUEN. Each CR0 step waits for CR0ACK. */
static int hw_reset(struct smmu_drv_unit *u)
{
	uint32_t en = 0, irqs = SIOMMU_SMMUV3_IRQ_GERROR | SIOMMU_SMMUV3_IRQ_EVTQ;

	if (write_reg_sync(u, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK, 0) || gbpa_abort(u))
		return -EIO;
	/* CR1: tables and queues inner-shareable write-back; CR2: PTM,
	 * RECINVSID. */
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CR1, 3u << 10 | 1u << 8 | 1u << 6 | 3u << 4 |
					     1u << 2 | 1u);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CR2, BIT64(2) | BIT64(1));
	smmu_drv_wr64(u, SIOMMU_SMMUV3_STRTAB_BASE, BIT64(62) | u->st_pa);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_STRTAB_BASE_CFG,
		      u->st_2lvl ? 1u << 16 | SMMU_DRV_STRTAB_SPLIT << 6 | u->st_log2 :
				   u->st_log2);
	queue_program(u, &u->cmdq, SIOMMU_SMMUV3_CMDQ_BASE, SIOMMU_SMMUV3_CMDQ_PROD,
		      SIOMMU_SMMUV3_CMDQ_CONS);
	en |= SIOMMU_SMMUV3_CR0_CMDQEN;
	if (write_reg_sync(u, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK, en))
		return -EIO;
	smmu_drv_inv_all(u);

	queue_program(u, &u->evtq, SIOMMU_SMMUV3_EVTQ_BASE, SIOMMU_SMMUV3_EVTQ_PROD,
		      SIOMMU_SMMUV3_EVTQ_CONS);
	en |= SIOMMU_SMMUV3_CR0_EVTQEN;
	if (write_reg_sync(u, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK, en))
		return -EIO;
	if (u->pri) {
		queue_program(u, &u->priq, SIOMMU_SMMUV3_PRIQ_BASE, SIOMMU_SMMUV3_PRIQ_PROD,
			      SIOMMU_SMMUV3_PRIQ_CONS);
		en |= SIOMMU_SMMUV3_CR0_PRIQEN;
		if (write_reg_sync(u, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK, en))
			return -EIO;
		irqs |= SIOMMU_SMMUV3_IRQ_PRIQ;
	}

	if (write_reg_sync(u, SIOMMU_SMMUV3_IRQ_CTRL, SIOMMU_SMMUV3_IRQ_CTRLACK, 0))
		return -EIO;
	irq_program(u, SIOMMU_SMMUV3_EVTQ_IRQ_CFG0, SIOMMU_SMMUV3_IRQ_SRC_EVTQ);
	irq_program(u, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, SIOMMU_SMMUV3_IRQ_SRC_GERROR);
	if (u->pri)
		irq_program(u, SIOMMU_SMMUV3_PRIQ_IRQ_CFG0, SIOMMU_SMMUV3_IRQ_SRC_PRIQ);
	if (write_reg_sync(u, SIOMMU_SMMUV3_IRQ_CTRL, SIOMMU_SMMUV3_IRQ_CTRLACK, irqs))
		return -EIO;

	en |= SIOMMU_SMMUV3_CR0_SMMUEN;
	return write_reg_sync(u, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK, en);
}

static void unit_free(struct smmu_drv_unit *u)
{
	smmu_drv_tables_fini(u);
	queue_free(u, &u->priq);
	queue_free(u, &u->evtq);
	queue_free(u, &u->cmdq);
	if (u->sync_pa)
		siommu_mem_frame_free(u->mem, u->sync_pa, SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	free(u->asid_map);
	free(u->vmid_map);
	pthread_mutex_destroy(&u->evt_lock);
	pthread_mutex_destroy(&u->pri_lock);
	free(u);
}

static int unit_init(struct siommu_unit *unit, const void *cfg)
{
	struct siommu_mem *mem = unit->ctx->mem;
	struct smmu_drv_unit *u;
	unsigned int log2[3];
	int ret;

	if (mem_should_fail(mem))
		return -ENOMEM;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->unit = unit;
	u->mem = mem;
	fifo_lock_init(&u->q_lock);
	pthread_mutex_init(&u->evt_lock, NULL);
	pthread_mutex_init(&u->pri_lock, NULL);
	u->asid_map = calloc(65536 / 64, sizeof(uint64_t));
	u->vmid_map = calloc(65536 / 64, sizeof(uint64_t));
	if (!u->asid_map || !u->vmid_map || mem_should_fail(mem)) {
		unit_free(u);
		return -ENOMEM;
	}
	u->asid_map[0] = u->vmid_map[0] = 1;	/* 0: reserved */

	ret = siommu_smmuv3_create(mem, cfg, &u->hw);
	if (ret) {
		unit_free(u);
		return ret;
	}
	ret = hw_probe(u, log2);
	if (!ret)
		ret = queue_alloc(u, &u->cmdq, log2[0]);
	if (!ret)
		ret = queue_alloc(u, &u->evtq, log2[1]);
	if (!ret && u->pri)
		ret = queue_alloc(u, &u->priq, log2[2]);
	if (!ret)
		ret = siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &u->sync_pa);
	if (!ret)
		u->sync_word = siommu_mem_host(mem, u->sync_pa, 4);
	if (!ret)
		ret = smmu_drv_tables_init(u);
	if (ret) {
		siommu_smmuv3_destroy(u->hw);
		unit_free(u);
		return ret;
	}
	unit->drv = u;
	siommu_smmuv3_set_msi(u->hw, smmu_drv_msi, u);
	ret = hw_reset(u);
	if (ret) {
		unit->drv = NULL;
		siommu_smmuv3_destroy(u->hw);
		unit_free(u);
	}
	return ret;
}

static void unit_fini(struct siommu_unit *unit)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);

	/* Devices are gone: the unit stops translating before its tables
	 * go (CR0 0: GBPA aborts). */
	write_reg_sync(u, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK, 0);
	siommu_smmuv3_destroy(u->hw);
	unit_free(u);
	unit->drv = NULL;
}

static unsigned int unit_pasid_bits(const struct smmu_drv_unit *u)
{
	/* SubstreamIDs select CDs, which need stage 1. A linear CD table of
	 * 2^20 entries would be 64M: without 2-level CD tables, at most
	 * 1024 substreams. */
	if (!u->s1)
		return 0;
	if (!u->cd2l && u->ssid_bits > SMMU_DRV_CD_L2_BITS)
		return SMMU_DRV_CD_L2_BITS;
	return u->ssid_bits;
}

static unsigned int unit_ias(const struct smmu_drv_unit *u)
{
	return u->s1 ? SMMU_DRV_S1_IAS : u->s2_ias;
}

static void unit_info(struct siommu_unit *unit, struct iommu_unit_info *info)
{
	const struct smmu_drv_unit *u = smmu_drv_unit(unit);

	info->pasid_bits = unit_pasid_bits(u);
	info->ias = unit_ias(u);
	info->ats = u->ats;
	info->pri = u->pri;
	info->stall = u->stall;
	info->caching_mode = false;	/* invalid entries are never cached */
}

static void unit_stats(struct siommu_unit *unit, struct siommu_unit_stats *st)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);

	/* No lock (core.h); each counter has one writer at a time. */
	st->inv_descriptors = __atomic_load_n(&u->n_cmd, __ATOMIC_RELAXED);
	st->inv_waits = __atomic_load_n(&u->n_sync, __ATOMIC_RELAXED);
	st->inv_errors = __atomic_load_n(&u->n_inv_err, __ATOMIC_RELAXED);
	st->faults = __atomic_load_n(&u->n_fault, __ATOMIC_RELAXED);
	st->page_requests = __atomic_load_n(&u->n_page_req, __ATOMIC_RELAXED);
	st->domain_ids = __atomic_load_n(&u->n_ids, __ATOMIC_RELAXED);
}

static void *unit_hw(struct siommu_unit *unit)
{
	return smmu_drv_unit(unit)->hw;
}

/* VMSAv8-64 with the 4K granule: 4K pages, 2M and 1G blocks at either
 * stage (Arm ARM D8.2). */
#define SMMU_PGSIZES (SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M | SIOMMU_PGSIZE_1G)

int smmu_drv_domain_check(struct smmu_drv_unit *u, const struct siommu_domain *dom)
{
	switch (dom->type) {
	case SIOMMU_DOMAIN_BLOCKED:
	case SIOMMU_DOMAIN_IDENTITY:
		return 0;
	case SIOMMU_DOMAIN_PAGING:
		break;
	case SIOMMU_DOMAIN_SVA:
		/* A process's Arm64 table in a CD: stage 1, 4K pages. */
		if (!u->s1)
			return -EOPNOTSUPP;
		break;
	case SIOMMU_DOMAIN_NESTED: {
		const struct smmu_drv_nested *n = dom->drv_dom;

		/* A vIOMMU is a slice of one unit: its VMID is that unit's. */
		return n->vs->u == u ? 0 : -EINVAL;
	}
	}
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		if (!u->s1)
			return -EOPNOTSUPP;
		if (dom->ias != SMMU_DRV_S1_IAS)
			return -EINVAL;
	} else {
		if (!u->s2)
			return -EOPNOTSUPP;
		/* One geometry per unit and stage: the replace of an STE
		 * changes the VMID and the table, never T0SZ and SL0. */
		if (dom->ias != u->s2_ias)
			return -EINVAL;
	}
	if (dom->pgsizes & ~(uint64_t)SMMU_PGSIZES)
		return -EINVAL;
	return 0;
}

/* AUTO is stage 1 where the unit has it (the format SVA shares with the
 * CPU); FIRST and SECOND are stage 1 and stage 2. */
static enum siommu_domain_stage domain_stage(const struct smmu_drv_unit *u,
					     enum siommu_domain_stage stage)
{
	if (stage != SIOMMU_STAGE_AUTO)
		return stage;
	return u->s1 ? SIOMMU_STAGE_FIRST : SIOMMU_STAGE_SECOND;
}

static int domain_init(struct siommu_unit *unit, struct siommu_domain *dom,
		       const struct siommu_domain_cfg *cfg, struct siommu_pt_cfg *pc)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);
	unsigned int ias;

	if (cfg->type == SIOMMU_DOMAIN_SVA) {
		/* The process's own VMSAv8-64 table, 4K pages, in a CD
		 * (SMMUv3 3.3.1: stage 1 shares the PE's format). */
		dom->stage = SIOMMU_STAGE_FIRST;
		dom->ias = SMMU_DRV_S1_IAS;
		dom->pgsizes = SIOMMU_PGSIZE_4K;
		pc->format = SIOMMU_PT_ARM_S1;
		return smmu_drv_domain_check(u, dom);
	}
	if (cfg->type != SIOMMU_DOMAIN_PAGING)
		return smmu_drv_domain_check(u, dom);
	dom->stage = domain_stage(u, cfg->stage);
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		if (!u->s1)
			return -EOPNOTSUPP;
		ias = SMMU_DRV_S1_IAS;
		pc->format = SIOMMU_PT_ARM_S1;
	} else {
		if (!u->s2)
			return -EOPNOTSUPP;
		ias = u->s2_ias;
		pc->format = SIOMMU_PT_ARM_S2;
	}
	/* A narrower width is rounded up to the stage's one (the IOVAs
	 * below it are all there); a wider one is beyond the unit. */
	if (cfg->ias > ias)
		return -EINVAL;
	dom->ias = ias;
	if (core_domain_pgsizes(SMMU_PGSIZES, cfg->pgsize_bitmap, &dom->pgsizes))
		return -EINVAL;
	pc->pgsize_bitmap = dom->pgsizes;
	pc->ias = dom->ias;
	return smmu_drv_domain_check(u, dom);
}

static unsigned int dev_resv_regions(struct siommu_device *dev,
				     struct iommu_resv_region *r, unsigned int max)
{
	(void)dev;
	/* The MSI doorbell page's window: a DMA write there is an
	 * interrupt, as Linux reserves IOMMU_RESV_SW_MSI. */
	if (max)
		r[0] = (struct iommu_resv_region){ SMMU_MSI_BASE, SMMU_MSI_LAST };
	return 1;
}

static void dev_hw_info(struct siommu_device *dev, struct siommu_device_info *info)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);

	info->ias = unit_ias(u);
	info->pgsize_bitmap = SMMU_PGSIZES;
}

/* SMMUv3's info for a user API: the identification registers as the
 * unit reports them (SMMUv3 6.3.1 to 6.3.6 IDR0-5, 6.3.7 IIDR, 6.3.8
 * AIDR), read-only after reset. The driver sets up no hardware dirty
 * state (HTTU HD), so it offers no dirty tracking. */
static size_t hw_info(struct siommu_device *dev, uint32_t *type, void *data, size_t len,
		      uint64_t *caps)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);
	struct siommu_hw_info_arm_smmuv3 info = { .flags = 0 };
	unsigned int i;

	for (i = 0; i < 6; i++)
		info.idr[i] = smmu_drv_rd32(u, SIOMMU_SMMUV3_IDR0 + 4 * i);
	info.iidr = smmu_drv_rd32(u, SIOMMU_SMMUV3_IIDR);
	info.aidr = smmu_drv_rd32(u, SIOMMU_SMMUV3_AIDR);
	*type = SIOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	*caps = 0;
	if (len)
		memcpy(data, &info, len < sizeof(info) ? len : sizeof(info));
	return sizeof(info);
}

void smmu_drv_cmdq_hook_set(struct siommu_unit *unit, smmu_drv_cmdq_hook_fn *fn, void *arg)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);

	u->cmdq_hook = fn;
	u->cmdq_arg = arg;
}

void smmu_drv_step_hook_set(struct siommu_unit *unit, smmu_drv_step_hook_fn *fn, void *arg)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);

	u->step_hook = fn;
	u->step_arg = arg;
}

const struct iommu_ops smmuv3_iommu_ops = {
	.name = "smmuv3",
	.att_size = sizeof(struct smmu_drv_att),
	.unit_init = unit_init,
	.unit_fini = unit_fini,
	.unit_info = unit_info,
	.unit_stats = unit_stats,
	.unit_hw = unit_hw,
	.dev_probe = smmu_drv_dev_probe,
	.dev_release = smmu_drv_dev_release,
	.dev_resv_regions = dev_resv_regions,
	.dev_hw_info = dev_hw_info,
	.hw_info = hw_info,
	.domain_init = domain_init,
	.domain_fini = smmu_drv_domain_fini,
	.domain_init_nested = smmu_drv_domain_init_nested,
	.attach_prepare = smmu_drv_attach_prepare,
	.attach_commit = smmu_drv_attach_commit,
	.attach_abort = smmu_drv_attach_abort,
	.iotlb_sync = smmu_drv_iotlb_sync,
	.flush_all = smmu_drv_flush_all,
	.attach_quiesce = smmu_drv_attach_quiesce,
	.page_response = smmu_drv_page_response,
	.page_req_drain = smmu_drv_page_req_drain,
	.viommu_init = smmu_drv_viommu_init,
	.viommu_fini = smmu_drv_viommu_fini,
	.viommu_invalidate = smmu_drv_viommu_invalidate,
};
