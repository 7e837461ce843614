/* SPDX-License-Identifier: MIT */
/*
 * End to end through the VT-d model: the core programs the unit, software
 * devices DMA through it. A DMA from (rid, pasid) reaches exactly what the
 * domain attached there maps and faults otherwise, also right after unmap,
 * detach and replace (no stale IOTLB entry survives), and the fault reaches
 * the device's handler with the hardware's reason.
 */
#include <errno.h>

#include <siommu/core.h>

#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct fault_log {
	unsigned int n;
	struct siommu_fault last;
};

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct fault_log *l = arg;

	l->n++;
	l->last = *f;
}

static struct siommu_vtd *hw;

/* Read 8 bytes by DMA; returns the value, or ~0 with *err on a fault. */
static uint64_t dma64(uint16_t rid, bool pp, uint32_t pasid, uint64_t iova, int *err)
{
	struct siommu_vtd_req req = {
		.rid = rid, .pasid_present = pp, .pasid = pasid, .iova = iova,
	};
	struct siommu_vtd_xlate res;
	uint64_t v = ~0ull;

	*err = siommu_vtd_dma_read(hw, &req, &v, sizeof(v), NULL, &res);
	return *err ? ~0ull : v;
}

/* The fault reason of a 8-byte DMA read that must fault. */
static uint32_t dma_fault(uint16_t rid, bool pp, uint32_t pasid, uint64_t iova)
{
	struct siommu_vtd_req req = {
		.rid = rid, .pasid_present = pp, .pasid = pasid, .iova = iova,
	};
	struct siommu_vtd_xlate res;
	uint64_t v;

	CHECK_EQ(siommu_vtd_dma_read(hw, &req, &v, sizeof(v), NULL, &res), -EFAULT);
	return res.fault_reason;
}

static uint64_t buffer(struct siommu_mem *mem, uint64_t pattern)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_mem_write(mem, pa, &pattern, sizeof(pattern)));
	return pa;
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_mem *mem;
	struct siommu_device *a, *b, *c, *d, *e, *f, *alias, *ponly;
	struct siommu_domain *d1, *d2, *ident, *blocked;
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	struct siommu_domain_cfg ss = { .type = SIOMMU_DOMAIN_PAGING,
					.stage = SIOMMU_STAGE_SECOND };
	struct fault_log fa = { 0 }, fb = { 0 };
	struct siommu_device_info info;
	struct siommu_unit_stats us;
	uint64_t pa1, pa2, pa3, done;
	uint32_t p, p2;
	int err;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	hw = siommu_unit_vtd(unit);

	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0100, .pasid_bits = 20, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &a));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0208, .alias_rid = SIOMMU_NO_ALIAS }, &b));
	siommu_device_set_fault_handler(a, on_fault, &fa);
	siommu_device_set_fault_handler(b, on_fault, &fb);
	CHECK_OK(siommu_device_get_info(a, &info));
	CHECK_EQ(info.pasid_bits, 20);
	CHECK_EQ(info.max_pasid, (1u << 20) - 1);
	CHECK(info.multiple_spaces && info.ats);
	CHECK_EQ(info.group_size, 1);

	pa1 = buffer(mem, 0x1111);
	pa2 = buffer(mem, 0x2222);
	pa3 = buffer(mem, 0x3333);
	CHECK_OK(siommu_domain_alloc(unit, &paging, &d1));
	CHECK_OK(siommu_domain_alloc(unit, &ss, &d2));

	/* A new device is blocked: its RID DMA faults, and the handler hears. */
	CHECK_EQ(dma64(0x0208, false, 0, 0x1000, &err), ~0ull);
	CHECK_EQ(err, -EFAULT);
	CHECK_EQ(fb.n, 1);
	CHECK_EQ(fb.last.rid, 0x0208);
	CHECK_EQ(fb.last.reason, SIOMMU_VTD_FR_PTE_NP);

	/* RID DMA through a first-stage domain. */
	CHECK_OK(siommu_domain_map(d1, 0x1000, pa1, 0x1000, RW));
	CHECK_OK(siommu_device_attach(a, d1));
	CHECK_EQ(dma64(0x0100, false, 0, 0x1000, &err), 0x1111);
	CHECK_EQ(siommu_device_domain(a, 0), d1);

	/* PASID DMA through a second-stage domain; RID DMA unchanged. */
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, SIOMMU_PASID_MAX, 7, &p));
	CHECK_OK(siommu_domain_map(d2, 0x1000, pa2, 0x1000, RW));
	CHECK_OK(siommu_device_attach_pasid(a, p, d2));
	CHECK_EQ(dma64(0x0100, true, p, 0x1000, &err), 0x2222);
	CHECK_EQ(dma64(0x0100, false, 0, 0x1000, &err), 0x1111);
	/* Another PASID, not attached: faults. */
	fa.n = 0;
	CHECK_EQ(dma64(0x0100, true, p + 1, 0x1000, &err), ~0ull);
	CHECK_EQ(fa.n, 1);
	CHECK(fa.last.pasid_present);
	CHECK_EQ(fa.last.pasid, p + 1);

	/* Strict unmap: the cached translation is gone when unmap returns. */
	CHECK_OK(siommu_domain_unmap(d1, 0x1000, 0x1000, &done));
	CHECK_EQ(done, 0x1000);
	CHECK_EQ(dma64(0x0100, false, 0, 0x1000, &err), ~0ull);
	CHECK_EQ(fa.last.reason, SIOMMU_VTD_FR_FS_NP);
	CHECK_OK(siommu_domain_map(d1, 0x1000, pa3, 0x1000, RW));
	CHECK_EQ(dma64(0x0100, false, 0, 0x1000, &err), 0x3333);

	/* Replace the RID's domain: d2's mapping at once, nothing of d1. */
	CHECK_OK(siommu_device_attach(a, d2));
	CHECK_EQ(dma64(0x0100, false, 0, 0x1000, &err), 0x2222);
	CHECK_EQ(siommu_domain_free(d1), 0);	/* no longer attached */
	CHECK_OK(siommu_domain_alloc(unit, &paging, &d1));
	CHECK_OK(siommu_domain_map(d1, 0x1000, pa1, 0x1000, RW));
	/* Replace the PASID's domain (second -> first stage). */
	CHECK_OK(siommu_device_attach_pasid(a, p, d1));
	CHECK_EQ(dma64(0x0100, true, p, 0x1000, &err), 0x1111);
	CHECK_EQ(siommu_domain_free(d1), -EBUSY);

	/* Detach: blocked again at once. */
	CHECK_OK(siommu_device_detach_pasid(a, p));
	CHECK_EQ(dma64(0x0100, true, p, 0x1000, &err), ~0ull);
	CHECK_EQ(siommu_device_detach_pasid(a, p), -ENOENT);
	CHECK_OK(siommu_domain_free(d1));

	/* Identity and explicit blocked domains. */
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_IDENTITY }, &ident));
	CHECK_OK(siommu_device_attach(b, ident));
	CHECK_EQ(dma64(0x0208, false, 0, pa3, &err), 0x3333);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_BLOCKED }, &blocked));
	CHECK_OK(siommu_device_attach(b, blocked));
	CHECK_EQ(dma64(0x0208, false, 0, pa3, &err), ~0ull);
	siommu_device_detach(b);
	CHECK_EQ(siommu_device_domain(b, 0), NULL);

	/* PASID attach errors, each changing nothing. */
	CHECK_EQ(siommu_device_attach_pasid(b, p, d2), -EOPNOTSUPP);
	CHECK_EQ(siommu_device_attach_pasid(a, 0, d2), -ERANGE);
	CHECK_EQ(siommu_device_attach_pasid(a, 1u << 20, d2), -ERANGE);
	CHECK_EQ(siommu_device_attach_pasid(a, p + 1, d2), -ENOENT);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0300, .pasid_bits = 8, .alias_rid = 0x0301 }, &alias));
	CHECK_OK(siommu_device_get_info(alias, &info));
	CHECK_EQ(info.pasid_bits, 0);
	CHECK_EQ(siommu_device_attach_pasid(alias, p, d2), -EOPNOTSUPP);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0400, .pasid_bits = 5, .flags = SIOMMU_DEV_PASID_ONLY,
		.alias_rid = SIOMMU_NO_ALIAS }, &ponly));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 31, 7, &p2));
	CHECK_EQ(siommu_device_attach_pasid(ponly, 32, d2), -ERANGE);
	CHECK_OK(siommu_device_attach_pasid(ponly, p2, d2));
	CHECK_EQ(dma64(0x0400, true, p2, 0x1000, &err), 0x2222);
	/* The alias RID's DMA lands in the same place as the device's. */
	CHECK_OK(siommu_device_attach(alias, d2));
	CHECK_EQ(dma64(0x0301, false, 0, 0x1000, &err), 0x2222);
	/* Neither RID's context enables PASIDs, not even PASID 0. */
	CHECK_EQ(dma_fault(0x0300, true, 0, 0x1000), SIOMMU_VTD_FR_CTX_PASIDE);
	CHECK_EQ(dma_fault(0x0301, true, 0, 0x1000), SIOMMU_VTD_FR_CTX_PASIDE);
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0310, .pasid_bits = 8, .flags = SIOMMU_DEV_PASID_ONLY,
		.alias_rid = 0x0311 }, &c), -EINVAL);
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0301, .alias_rid = SIOMMU_NO_ALIAS }, &c), -EEXIST);
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0500, .flags = SIOMMU_DEV_PASID_ONLY,
		.alias_rid = SIOMMU_NO_ALIAS }, &c), -EINVAL);

	/* A group (no ACS below one bridge): one RID domain for all. */
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0600, .pasid_bits = 20, .isolation_key = 9,
		.alias_rid = SIOMMU_NO_ALIAS }, &c));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0608, .isolation_key = 9, .alias_rid = SIOMMU_NO_ALIAS }, &d));
	CHECK(siommu_device_group(c) == siommu_device_group(d));
	CHECK_OK(siommu_device_get_info(d, &info));
	CHECK_EQ(info.group_size, 2);
	CHECK_OK(siommu_device_attach(c, d2));
	CHECK_EQ(dma64(0x0608, false, 0, 0x1000, &err), 0x2222);
	CHECK_EQ(siommu_device_domain(d, 0), d2);
	/* A PASID-capable device in a group with one that is not: PASID
	 * attach is allowed, PASIDs are per device. */
	CHECK_OK(siommu_device_attach_pasid(c, p, ident));
	CHECK_EQ(dma64(0x0600, true, p, pa1, &err), 0x1111);
	CHECK_OK(siommu_device_get_info(d, &info));
	CHECK(!info.multiple_spaces);
	CHECK(info.pgsize_bitmap & SIOMMU_PGSIZE_1G);
	/* A device that joins the group later follows its RID domain... */
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0610, .isolation_key = 9, .alias_rid = SIOMMU_NO_ALIAS }, &e));
	CHECK_EQ(siommu_device_domain(e, 0), d2);
	CHECK_EQ(dma64(0x0610, false, 0, 0x1000, &err), 0x2222);
	/* ... also when that is none: blocked. */
	siommu_device_detach(e);
	CHECK_EQ(siommu_device_domain(c, 0), NULL);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0618, .isolation_key = 9, .alias_rid = SIOMMU_NO_ALIAS }, &f));
	CHECK_EQ(siommu_device_domain(f, 0), NULL);
	CHECK_EQ(dma_fault(0x0618, false, 0, 0x1000), SIOMMU_VTD_FR_PTE_NP);
	CHECK_EQ(dma_fault(0x0600, false, 0, 0x1000), SIOMMU_VTD_FR_PTE_NP);

	/* Two devices behind one PCIe-to-PCI bridge: the DMA of both may
	 * carry the bridge's RID, which they share, so they form one group.
	 * The alias RID translates as long as either remains, whichever
	 * goes first. An alias that is another device's RID, or a RID that
	 * is an alias, is refused. */
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0b00, .alias_rid = 0x0a00 }, &e));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0b08, .alias_rid = 0x0a00 }, &f));
	CHECK(siommu_device_group(e) == siommu_device_group(f));
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0b10, .alias_rid = 0x0b00 }, &c), -EEXIST);
	CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0a00, .alias_rid = SIOMMU_NO_ALIAS }, &c), -EEXIST);
	CHECK_OK(siommu_device_attach(e, d2));
	CHECK_EQ(dma64(0x0a00, false, 0, 0x1000, &err), 0x2222);
	CHECK_EQ(dma64(0x0b08, false, 0, 0x1000, &err), 0x2222);
	siommu_device_remove(f);
	CHECK_EQ(dma64(0x0a00, false, 0, 0x1000, &err), 0x2222);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0b08, .alias_rid = 0x0a00 }, &f));
	CHECK_EQ(siommu_device_domain(f, 0), d2);
	siommu_device_remove(e);
	CHECK_EQ(dma64(0x0a00, false, 0, 0x1000, &err), 0x2222);
	CHECK_EQ(dma64(0x0b08, false, 0, 0x1000, &err), 0x2222);
	siommu_device_remove(f);
	CHECK_EQ(dma_fault(0x0a00, false, 0, 0x1000), SIOMMU_VTD_FR_ROOT_NP);

	/* Devices that share a non-zero isolation key or an alias RID are
	 * one group, however the group came together: a device with key 21
	 * joins the group a key-21 device entered through its alias. A
	 * device whose key and alias lie in two groups is refused (groups
	 * never merge), and its RID stays free. */
	{
		struct siommu_device *g, *h, *x;

		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0c00, .alias_rid = 0x0d00 }, &e));
		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0c08, .isolation_key = 21, .alias_rid = 0x0d00 }, &f));
		CHECK(siommu_device_group(f) == siommu_device_group(e));
		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0c10, .isolation_key = 21,
			.alias_rid = SIOMMU_NO_ALIAS }, &g));
		CHECK(siommu_device_group(g) == siommu_device_group(e));
		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0c18, .isolation_key = 22,
			.alias_rid = SIOMMU_NO_ALIAS }, &h));
		CHECK(siommu_device_group(h) != siommu_device_group(e));
		CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0c20, .isolation_key = 22, .alias_rid = 0x0d00 }, &x),
			 -EINVAL);
		CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0c20, .isolation_key = 21, .alias_rid = 0x0d08 }, &x),
			 0);
		CHECK(siommu_device_group(x) == siommu_device_group(e));
		siommu_device_remove(x);
		siommu_device_remove(h);
		siommu_device_remove(g);
		siommu_device_remove(f);
		siommu_device_remove(e);
	}

	/* Removal takes the RID's context entry out of memory and out of
	 * the context cache: its DMA faults at the root entry (the bus has
	 * no other device), not through the cached entry. A new device at
	 * the RID gets a context of its own: without PASIDs, PASID DMA
	 * faults there. */
	siommu_device_remove(ponly);
	CHECK_EQ(dma_fault(0x0400, true, p2, 0x1000), SIOMMU_VTD_FR_ROOT_NP);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0400, .alias_rid = SIOMMU_NO_ALIAS }, &ponly));
	CHECK_OK(siommu_device_attach(ponly, d2));
	CHECK_EQ(dma64(0x0400, false, 0, 0x1000, &err), 0x2222);
	CHECK_EQ(dma_fault(0x0400, true, p2, 0x1000), SIOMMU_VTD_FR_CTX_PASIDE);

	/* Both of an aliased device's contexts go with it. */
	siommu_device_remove(alias);
	CHECK_EQ(dma_fault(0x0300, false, 0, 0x1000), SIOMMU_VTD_FR_ROOT_NP);
	CHECK_EQ(dma_fault(0x0301, false, 0, 0x1000), SIOMMU_VTD_FR_ROOT_NP);

	siommu_unit_get_stats(unit, &us);
	CHECK(us.inv_waits > 10 && us.faults >= 5);
	fprintf(stderr, "invalidation descriptors %" PRIu64 ", waits %" PRIu64
		", faults %" PRIu64 " (%" PRIu64 " unhandled)\n", us.inv_descriptors,
		us.inv_waits, us.faults, us.faults_unhandled);
	/* Teardown with everything still attached. */
	siommu_ctx_destroy(ctx);
	return 0;
}
