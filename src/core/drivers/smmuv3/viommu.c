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
 */
#include <errno.h>
#include <stdlib.h>

#include <siommu/iommufd.h>

#include "core/drivers/smmuv3/smmuv3_drv.h"

/* Command fields (SMMUv3 4.3, 4.4, 4.5). */
#define CMD_OP(c)		((unsigned int)((c) & 0xff))
#define CMD_SID_SHIFT		32		/* CFGI_CD, CFGI_CD_ALL, ATC_INV */
#define CMD_VMID_MASK		(0xffffull << 32)	/* TLBI_NH_* */

struct smmu_drv_viommu {
	uint16_t vmid;
};

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

/* The guest's command @cmd made the host's, in place: 0, or -EIO. */
static int convert(struct smmu_drv_unit *u, const struct smmu_drv_viommu *vs, uint64_t cmd[2],
		   iommu_vdev_lookup_fn *lookup, void *arg)
{
	struct siommu_device *dev;
	struct smmu_drv_dev *d;

	switch (CMD_OP(cmd[0])) {
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
