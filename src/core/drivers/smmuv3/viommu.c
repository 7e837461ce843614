/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 vIOMMUs: one user's (a VM's) slice of the unit, over a stage-2
 * nest parent, with a VMID of its own that tags what the unit caches of
 * the guest's translations. The guest issues its invalidation commands
 * through it (Linux: arm_vsmmu_cache_invalidate): TLB invalidations by
 * ASID or address are run under the vIOMMU's VMID whatever VMID the guest
 * wrote, and configuration and ATC invalidations name a virtual StreamID
 * that becomes the physical one of the device bound under it. Any other
 * command is refused: it would reach beyond the guest's slice (stage 2,
 * other VMIDs, the stream table).
 *
 * Nested domains are made from a vIOMMU (Linux:
 * arm_vsmmu_alloc_domain_nested): the guest's STE, checked here, whose
 * stage-1 fields tables.c writes into the physical STE over the parent's
 * stage 2 under the vIOMMU's VMID. The guest's CD table and stage-1
 * tables are guest-physical: the unit reads them through stage 2.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>

#include <siommu/iommufd.h>

#include "core/drivers/smmuv3/smmuv3_drv.h"

/* Command fields (SMMUv3 4.3, 4.4, 4.5). */
#define CMD_OP(c)		((unsigned int)((c) & 0xff))
#define CMD_SID_SHIFT		32		/* CFGI_CD, CFGI_CD_ALL, ATC_INV */
#define CMD_VMID_MASK		(0xffffull << 32)	/* TLBI_NH_* */

int smmu_drv_viommu_init(struct siommu_unit *unit, uint32_t type,
			 struct siommu_domain *parent, void **out)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);
	struct smmu_drv_viommu *vs;
	int ret;

	/* Nesting needs both stages (IDR0.S1P and S2P). */
	if (type != SIOMMU_VIOMMU_TYPE_ARM_SMMUV3 || !u->s1 || !u->s2)
		return -EOPNOTSUPP;
	if (!smmu_dom_s2(parent) || smmu_drv_domain_check(u, parent))
		return -EINVAL;
	if (mem_should_fail(u->mem))
		return -ENOMEM;
	vs = calloc(1, sizeof(*vs));
	if (!vs)
		return -ENOMEM;
	vs->u = u;
	ret = smmu_drv_vmid_alloc(u, &vs->vmid);
	if (ret) {
		free(vs);
		return ret;
	}
	*out = vs;
	return 0;
}

void smmu_drv_viommu_fini(struct siommu_unit *unit, void *viommu)
{
	struct smmu_drv_viommu *vs = viommu;

	smmu_drv_vmid_free(smmu_drv_unit(unit), vs->vmid);
	free(vs);
}

/* The guest STE fields a nested domain may carry (SMMUv3 5.2; Linux:
 * STRTAB_STE_0_NESTING_ALLOWED, STRTAB_STE_1_NESTING_ALLOWED): the CD
 * table and how the unit reads it, and EATS. Everything else (stage 2,
 * StreamWorld, memory attribute overrides) is the host's. */
#define VSTE0_ALLOWED	(STE0_V | STE0_CFG | STE0_S1)
#define VSTE1_ALLOWED	(STE1_S1 | STE1_EATS)

/*
 * Check the guest's STE @ste as Linux's arm_smmu_validate_vste() does:
 * V clear stands for an abort STE (all of it dropped); otherwise only the
 * allowed fields, a Config of abort, bypass or stage 1, and EATS 0 (no
 * ATS) or 1 (full ATS), which comes out of the words into *ats (for a
 * stage-1 Config): the host writes the physical EATS. -EIO (Linux keeps
 * EIO for a bad STE) or 0. Fields whose values the unit finds ILLEGAL
 * (S1CDMax beyond its SubstreamIDs, a 2-level S1Fmt it lacks) pass: the
 * unit answers the guest's traffic with C_BAD_STE, as it would the
 * guest's own STE.
 */
static int vste_check(uint64_t ste[2], bool *ats)
{
	unsigned int cfg, eats;

	*ats = false;
	if (!(ste[0] & STE0_V)) {
		ste[0] = ste[1] = 0;
		return 0;
	}
	if ((ste[0] & ~VSTE0_ALLOWED) || (ste[1] & ~VSTE1_ALLOWED))
		return -EIO;
	cfg = (unsigned int)((ste[0] & STE0_CFG) >> 1);
	if (cfg != SIOMMU_SMMUV3_STE_ABORT && cfg != SIOMMU_SMMUV3_STE_BYPASS &&
	    cfg != SIOMMU_SMMUV3_STE_S1)
		return -EIO;
	eats = (unsigned int)((ste[1] & STE1_EATS) >> 28);
	if (eats > 1)
		return -EIO;
	ste[1] &= ~STE1_EATS;
	*ats = cfg == SIOMMU_SMMUV3_STE_S1 && eats;
	return 0;
}

/*
 * A nested domain from vIOMMU @viommu over its stage-2 parent: the
 * guest's STE, whose stage-1 fields the physical STE takes over the
 * parent's stage 2 and the vIOMMU's VMID (tables.c: ste_target()). As
 * Linux, only a vIOMMU makes them: without one there is no VMID to give
 * the guest's translations.
 */
int smmu_drv_domain_init_nested(struct siommu_unit *unit, struct siommu_domain *dom,
				struct siommu_domain *parent, void *viommu, uint32_t data_type,
				const void *data, size_t len)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);
	struct smmu_drv_viommu *vs = viommu;
	struct siommu_hwpt_arm_smmuv3 arg;
	struct smmu_drv_nested *n;
	bool ats;
	int ret;

	if (!vs || data_type != SIOMMU_HWPT_DATA_ARM_SMMUV3)
		return -EOPNOTSUPP;
	/* viommu_init checked the parent; it is the vIOMMU's. */
	if (vs->u != u || !smmu_dom_s2(parent))
		return -EINVAL;
	ret = iommu_user_data_get(data, len, &arg, sizeof(arg), sizeof(arg));
	if (ret)
		return ret;
	arg.ste[0] = le64toh(arg.ste[0]);
	arg.ste[1] = le64toh(arg.ste[1]);
	ret = vste_check(arg.ste, &ats);
	if (ret)
		return ret;
	if (mem_should_fail(u->mem))
		return -ENOMEM;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->vs = vs;
	n->ste[0] = arg.ste[0];
	n->ste[1] = arg.ste[1];
	n->ats = ats;
	dom->drv_dom = n;
	/* Its entries are tagged by the VMID: flushed as a stage 2's. */
	dom->stage = SIOMMU_STAGE_SECOND;
	dom->ias = SMMU_DRV_S1_IAS;
	return 0;
}

void smmu_drv_domain_fini(struct siommu_domain *dom)
{
	free(dom->drv_dom);
	dom->drv_dom = NULL;
}

/* The guest's command @cmd made the host's, in place: 0, or -EIO. */
static int convert(struct smmu_drv_unit *u, const struct smmu_drv_viommu *vs, uint64_t cmd[2],
		   iommu_vdev_lookup_fn *lookup, void *arg)
{
	struct siommu_device *dev;
	struct smmu_drv_dev *d;

	switch (CMD_OP(cmd[0])) {
	case SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL:
		/* The guest's "everything" is everything under its VMID. */
		cmd[0] = SIOMMU_SMMUV3_CMD_TLBI_NH_ALL | (uint64_t)vs->vmid << 32;
		cmd[1] = 0;
		return 0;
	case SIOMMU_SMMUV3_CMD_TLBI_NH_ALL:
	case SIOMMU_SMMUV3_CMD_TLBI_NH_ASID:
	case SIOMMU_SMMUV3_CMD_TLBI_NH_VA:
	case SIOMMU_SMMUV3_CMD_TLBI_NH_VAA:
		cmd[0] = (cmd[0] & ~CMD_VMID_MASK) | (uint64_t)vs->vmid << 32;
		return 0;
	case SIOMMU_SMMUV3_CMD_CFGI_CD:
	case SIOMMU_SMMUV3_CMD_CFGI_CD_ALL:
	case SIOMMU_SMMUV3_CMD_ATC_INV:
		dev = lookup(arg, cmd[0] >> CMD_SID_SHIFT);
		if (!dev || dev->unit != u->unit)
			return -EIO;
		d = dev->drv;
		cmd[0] = (cmd[0] & 0xffffffffull) | (uint64_t)d->sid[0] << CMD_SID_SHIFT;
		return 0;
	default:
		return -EIO;
	}
}

struct viommu_batch {
	const struct smmu_drv_viommu *vs;
	struct iommu_user_array *a;
	iommu_vdev_lookup_fn *lookup;
	void *arg;
	int ret;
};

static void fill_batch(struct smmu_drv_unit *u, void *arg)
{
	struct viommu_batch *b = arg;
	uint32_t i;

	for (i = 0; i < b->a->entry_num; i++) {
		struct siommu_viommu_arm_smmuv3_invalidate e;

		b->ret = iommu_user_array_get(b->a, i, &e, sizeof(e), sizeof(e));
		if (!b->ret)
			b->ret = convert(u, b->vs, e.cmd, b->lookup, b->arg);
		if (b->ret)
			break;
		smmu_drv_cmd_raw(u, e.cmd);
	}
	b->a->entry_num = i;
}

int smmu_drv_viommu_invalidate(struct siommu_unit *unit, void *viommu,
			       struct iommu_user_array *a, iommu_vdev_lookup_fn *lookup,
			       void *arg)
{
	struct viommu_batch b = { viommu, a, lookup, arg, 0 };

	if (a->type != SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3) {
		a->entry_num = 0;
		return -EINVAL;
	}
	if (!a->entry_num)
		return 0;
	/* The commands accepted so far run, and are waited for, even when a
	 * later one is refused. */
	smmu_drv_cmdq_run(smmu_drv_unit(unit), fill_batch, &b);
	return b.ret;
}
