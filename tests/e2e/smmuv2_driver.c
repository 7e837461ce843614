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
 *     without stage 1; through hooks, a stage-2 domain is refused;
 *   - the unit's stats count the TLB maintenance as VT-d and SMMUv3 count
 *     their queues (every maintenance and sync write a descriptor, each
 *     completed sync a wait), checked against the unit's own counters;
 *   - a sync the unit never completes (TLBSTATUS.SACTIVE stuck, through a
 *     shim on the driver's reads) ends the wait with an error counted in
 *     inv_errors, not a hang, and the driver carries on after it.
 */
#include <errno.h>

#include <siommu/core.h>
#include <siommu/smmuv2.h>

#include "core_test.h"
#include "test.h"
#include "core/drivers/smmuv2/smmuv2_drv.h"	/* smmuv2_drv_test_hook_set */

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

/* Deltas of the driver's and the unit's counters over one operation. */
struct counts {
	struct siommu_unit_stats us;
	struct siommu_smmuv2_stats hs;
};

static void counts_get(struct siommu_unit *u, struct counts *c)
{
	siommu_unit_get_stats(u, &c->us);
	siommu_smmuv2_get_stats(siommu_unit_smmuv2(u), &c->hs);
}

/*
 * Check that the operation since @c0 wrote @ops maintenance operations and
 * @syncs syncs, of which @errors did not complete: the driver's counters
 * say so, and they agree with the unit's.
 */
static void counts_check(struct siommu_unit *u, const struct counts *c0, uint64_t ops,
			 uint64_t syncs, uint64_t errors)
{
	struct counts c;

	counts_get(u, &c);
	CHECK_EQ(c.hs.tlb_ops - c0->hs.tlb_ops, ops);
	CHECK_EQ(c.hs.syncs - c0->hs.syncs, syncs);
	CHECK_EQ(c.us.inv_descriptors - c0->us.inv_descriptors, ops + syncs);
	CHECK_EQ(c.us.inv_waits - c0->us.inv_waits, syncs - errors);
	CHECK_EQ(c.us.inv_errors - c0->us.inv_errors, errors);
}

/* An unmap of @len bytes at 0x100000 of @dom, and what it must write. */
static void unmap_counted(struct siommu_unit *u, struct siommu_domain *dom, uint64_t len,
			  uint64_t ops, uint64_t errors)
{
	struct counts c0;
	uint64_t n;

	counts_get(u, &c0);
	CHECK_OK(siommu_domain_unmap(dom, 0x100000, len, &n));
	counts_check(u, &c0, ops, 1, errors);
}

/* The shim: SACTIVE and GSACTIVE read set; the polls are counted. */
static uint64_t stuck_sync(void *arg, uint64_t off, uint64_t val)
{
	unsigned int *polls = arg;

	if (off == SIOMMU_SMMUV2_STLBGSTATUS ||
	    (off >= SIOMMU_SMMUV2_CB(0) && (off & 0xfff) == SIOMMU_SMMUV2_CB_TLBSTATUS)) {
		(*polls)++;
		return val | 1;
	}
	return val;
}

/* The shim: SACTIVE reads set for the first *arg polls, then clear. */
static uint64_t slow_sync(void *arg, uint64_t off, uint64_t val)
{
	unsigned int *left = arg;

	if (off >= SIOMMU_SMMUV2_CB(0) && (off & 0xfff) == SIOMMU_SMMUV2_CB_TLBSTATUS && *left) {
		(*left)--;
		return val | 1;
	}
	return val;
}

static void test_counts_and_waits(void)
{
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *a, *b;
	struct siommu_domain *s1, *s2, *pd;
	struct counts c0;
	uint64_t pa;
	uint32_t pasid;
	unsigned int polls = 0;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_smmuv2(ctx, NULL, &unit));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), 0x200000, SIOMMU_MEM_DMA, &pa));
	a = test_dev_add(unit, 0x10, 0, 0);
	b = test_dev_add(unit, 0x11, 0, 0);
	CHECK_OK(siommu_domain_alloc(unit, &paging, &s1));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &s2));
	CHECK_OK(siommu_device_attach(a, s1));
	CHECK_OK(siommu_device_attach(b, s2));

	/* Stage 1: TLBIVA(L) per page and TLBSYNC; beyond 64 pages one
	 * TLBIASID. A map needs nothing. */
	counts_get(unit, &c0);
	CHECK_OK(siommu_domain_map(s1, 0x100000, pa, 0x100000, SIOMMU_PROT_READ));
	counts_check(unit, &c0, 0, 0, 0);
	unmap_counted(unit, s1, 3 * 0x1000, 3, 0);
	unmap_counted(unit, s1, 0x100000, 1, 0);
	/* Stage 2: TLBIIPAS2(L) per page, or TLBIVMID and sTLBGSYNC. */
	CHECK_OK(siommu_domain_map(s2, 0x100000, pa, 0x100000, SIOMMU_PROT_READ));
	unmap_counted(unit, s2, 2 * 0x1000, 2, 0);
	unmap_counted(unit, s2, 0x100000, 1, 0);
	/* A bank retired: TLBIVMID and sTLBGSYNC. */
	counts_get(unit, &c0);
	siommu_device_detach(b);
	counts_check(unit, &c0, 1, 1, 0);
	/* A PASID's table installed in a's bank: its unmaps by its ASID
	 * there; its detach invalidates the ASID in the bank. */
	CHECK_OK(siommu_device_set_pasid_hooks(a, 8, &test_nop_hooks, NULL));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, &pasid));
	CHECK_OK(siommu_domain_alloc(unit, &paging, &pd));
	CHECK_OK(siommu_domain_map(pd, 0x100000, pa, 0x1000, SIOMMU_PROT_READ));
	CHECK_OK(siommu_device_attach_pasid(a, pasid, pd));
	unmap_counted(unit, pd, 0x1000, 1, 0);
	counts_get(unit, &c0);
	CHECK_OK(siommu_device_detach_pasid(a, pasid));
	counts_check(unit, &c0, 1, 1, 0);

	/* A unit whose syncs never complete: each wait gives up after the
	 * time without progress (shortened here), counted, and the call
	 * returns; bank syncs and global ones alike. */
	CHECK_OK(siommu_domain_map(s1, 0x100000, pa, 0x1000, SIOMMU_PROT_READ));
	smmuv2_drv_test_hook_set(unit, stuck_sync, &polls, 20 * 1000 * 1000);
	unmap_counted(unit, s1, 0x1000, 1, 1);
	CHECK(polls > 1);
	counts_get(unit, &c0);
	siommu_device_detach(a);
	counts_check(unit, &c0, 1, 1, 1);
	/* A sync that completes after many polls is a wait, not an error. */
	polls = 1000;
	smmuv2_drv_test_hook_set(unit, slow_sync, &polls, 0);
	CHECK_OK(siommu_device_attach(a, s1));
	CHECK_OK(siommu_domain_map(s1, 0x100000, pa, 0x1000, SIOMMU_PROT_READ));
	unmap_counted(unit, s1, 0x1000, 1, 0);
	CHECK_EQ(polls, 0);
	siommu_device_detach(a);
	/* And once the unit completes them again, they count as waits. */
	smmuv2_drv_test_hook_set(unit, NULL, NULL, 0);
	CHECK_OK(siommu_device_attach(a, s1));
	CHECK_OK(siommu_domain_map(s1, 0x100000, pa, 0x1000, SIOMMU_PROT_READ));
	unmap_counted(unit, s1, 0x1000, 1, 0);

	siommu_device_remove(a);
	siommu_device_remove(b);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	siommu_mem_frame_free(siommu_ctx_mem(ctx), pa, 0x200000, SIOMMU_MEM_DMA);
	siommu_ctx_destroy(ctx);
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

	test_counts_and_waits();
	return 0;
}
