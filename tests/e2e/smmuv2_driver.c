/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv2 driver's own rules, on a small unit (3 stream match groups, 2
 * context banks, 8-bit StreamIDs), read back through the unit's registers:
 *   - a RID beyond NUMSIDB is refused; each device takes one SMR (an alias
 *     shares one) and the groups run out with -ENOSPC;
 *   - a paging domain takes a bank when attached to a RID: S2CR names it,
 *     CBAR holds the VMID (bank + 1), TTBR0 the table and the ASID; banks
 *     run out with -ENOSPC and nothing changes; detach gives the bank back;
 *   - identity is S2CR bypass, blocked S2CR fault;
 *   - a context fault reaches the handler with the stream, page and FSR
 *     bit, and FSR is clear afterwards;
 *   - PASIDs: attach -EOPNOTSUPP without hooks; hooks refused on a unit
 *     without stage 1; through hooks, a stage-2 domain is refused.
 */
#include <errno.h>

#include <siommu/core.h>
#include <siommu/smmuv2.h>

#include "core_test.h"
#include "test.h"

static uint32_t rd32(struct siommu_unit *u, uint64_t off)
{
	uint64_t v = 0;

	CHECK_OK(siommu_smmuv2_mmio_read(siommu_unit_smmuv2(u), off, 4, &v));
	return (uint32_t)v;
}

static uint64_t rd64(struct siommu_unit *u, uint64_t off)
{
	uint64_t v = 0;

	CHECK_OK(siommu_smmuv2_mmio_read(siommu_unit_smmuv2(u), off, 8, &v));
	return v;
}

static struct siommu_fault last;
static unsigned int calls;

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	(void)arg;
	(void)dev;
	last = *f;
	calls++;
}

int main(void)
{
	struct siommu_smmuv2_cfg cfg = { .num_smrg = 3, .num_cb = 2, .sid_bits = 8 };
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	struct siommu_ctx *ctx;
	struct siommu_unit *unit, *s2only;
	struct siommu_device *a, *b, *c, *x;
	struct siommu_domain *d[3], *ident, *blocked, *ss;
	struct siommu_unit_stats st;
	struct siommu_smmuv2_req req = { .sid = 0x10, .iova = 0x5000 };
	uint64_t buf = 0, v;
	uint32_t s2cr, pasid;
	unsigned int i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_smmuv2(ctx, &cfg, &unit));
	CHECK(siommu_unit_vtd(unit) == NULL && siommu_unit_smmuv2(unit) != NULL);

	/* Streams. */
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x100, .alias_rid = SIOMMU_NO_ALIAS }, &x), -EINVAL);
	a = test_dev_add(unit, 0x10, 0, 0);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x20, .alias_rid = 0x21 }, &b));
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x30, .alias_rid = SIOMMU_NO_ALIAS }, &x), -ENOSPC);
	siommu_device_remove(b);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x20, .alias_rid = SIOMMU_NO_ALIAS }, &b));
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_SMR(0)), SIOMMU_SMMUV2_SMR_VAL(0x10, 0));
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_S2CR(0)), SIOMMU_SMMUV2_S2CR_FAULT);

	/* Banks. */
	for (i = 0; i < 3; i++)
		CHECK_OK(siommu_domain_alloc(unit, &paging, &d[i]));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_IDENTITY }, &ident));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_BLOCKED }, &blocked));
	CHECK_OK(siommu_device_attach(a, d[0]));
	CHECK_OK(siommu_device_attach(b, d[1]));
	s2cr = rd32(unit, SIOMMU_SMMUV2_S2CR(0));
	CHECK_EQ(s2cr & ~0xffu, SIOMMU_SMMUV2_S2CR_TRANS);
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_CBAR(s2cr & 0xff)) & 0xff, (s2cr & 0xff) + 1);
	v = rd64(unit, SIOMMU_SMMUV2_CB(s2cr & 0xff) + SIOMMU_SMMUV2_CB_TTBR0);
	CHECK_EQ(v & 0xffffffffffffull, siommu_pt_root(siommu_domain_pt(d[0])));
	CHECK(v >> 48 != 0);
	CHECK_EQ(siommu_device_attach(a, d[2]), -ENOSPC);	/* both banks in use */
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_S2CR(0)), s2cr);
	CHECK(siommu_device_domain(a, 0) == d[0]);
	CHECK_OK(siommu_device_attach(b, ident));		/* gives d[1]'s bank back */
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_S2CR(1)), SIOMMU_SMMUV2_S2CR_BYPASS);
	CHECK_OK(siommu_device_attach(a, d[2]));
	CHECK(rd32(unit, SIOMMU_SMMUV2_S2CR(0)) != s2cr);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.domain_ids, 2);
	siommu_device_detach(b);
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_S2CR(1)), SIOMMU_SMMUV2_S2CR_FAULT);
	CHECK_OK(siommu_device_attach(b, blocked));
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_S2CR(1)), SIOMMU_SMMUV2_S2CR_FAULT);

	/* A context fault, reported and cleared. */
	siommu_device_set_fault_handler(a, on_fault, NULL);
	CHECK_EQ(siommu_smmuv2_dma_read(siommu_unit_smmuv2(unit), &req, &buf, 8, NULL, NULL),
		 -EFAULT);
	CHECK_EQ(calls, 1);
	CHECK_EQ(last.rid, 0x10);
	CHECK_EQ(last.addr, 0x5000);
	CHECK_EQ(last.reason, SIOMMU_SMMUV2_FSR_TF);
	s2cr = rd32(unit, SIOMMU_SMMUV2_S2CR(0));
	CHECK_EQ(rd32(unit, SIOMMU_SMMUV2_CB(s2cr & 0xff) + SIOMMU_SMMUV2_CB_FSR), 0);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.faults, 1);

	/* PASIDs. */
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, &pasid));
	CHECK_EQ(siommu_device_attach_pasid(a, pasid, d[0]), -EOPNOTSUPP);
	CHECK_OK(siommu_device_set_pasid_hooks(a, 8, &test_nop_hooks, NULL));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &ss));
	CHECK_EQ(siommu_device_attach_pasid(a, pasid, ss), -EINVAL);
	CHECK_EQ(siommu_device_attach_pasid(a, pasid, ident), -EINVAL);
	CHECK_OK(siommu_device_attach_pasid(a, pasid, d[0]));
	CHECK_EQ(siommu_device_set_pasid_hooks(a, 0, NULL, NULL), -EBUSY);
	CHECK_OK(siommu_device_detach_pasid(a, pasid));
	CHECK_OK(siommu_device_set_pasid_hooks(a, 0, NULL, NULL));
	CHECK_EQ(siommu_device_attach_pasid(a, pasid, d[0]), -EOPNOTSUPP);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	CHECK_OK(siommu_unit_add_smmuv2(ctx, &(struct siommu_smmuv2_cfg){
		.features = SIOMMU_SMMUV2_F_S2 }, &s2only));
	c = test_dev_add(s2only, 0x10, 0, 0);
	CHECK_EQ(siommu_device_set_pasid_hooks(c, 8, &test_nop_hooks, NULL), -EOPNOTSUPP);
	siommu_ctx_destroy(ctx);
	return 0;
}
