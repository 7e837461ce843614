/* SPDX-License-Identifier: MIT */
/*
 * Invalidation-queue errors are handled, never dropped: a descriptor the
 * unit refuses (FSTS.IQE, VT-d 6.5.2.10) is replaced with a global IOTLB
 * invalidation and the queue resumes; a queue that keeps failing is reset
 * and everything invalidated globally. The operation that needed the
 * flush completes with nothing stale left (a DMA to what was unmapped
 * faults), the unit's inv_errors counts each error, and the queue works
 * afterwards. Descriptors are corrupted through the driver's test hook, just
 * before the unit sees them; no assertion is involved, so a release build
 * behaves the same.
 */
#include <errno.h>

#include <siommu/core.h>

#include "test.h"
#include "core/drivers/vtd/vtd_drv.h"	/* vtd_drv_qi_hook_set */

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct corrupt {
	struct siommu_mem *mem;
	unsigned int left;	/* submissions still to corrupt */
	bool wait;		/* the batch's wait, else its first descriptor */
};

static void corrupt_desc(void *arg, uint64_t iq_pa, unsigned int first, unsigned int n)
{
	struct corrupt *c = arg;
	unsigned int i = c->wait ? (first + n - 1) % 128 : first;
	uint64_t qw0;

	if (!c->left)
		return;
	c->left--;
	/* Type 0xf (with bits 11:9 clear) is no descriptor (VT-d 6.5.2). */
	CHECK_OK(siommu_mem_read(c->mem, iq_pa + i * 32ull, &qw0, sizeof(qw0)));
	qw0 = (qw0 & ~0xe0full) | 0xf;
	CHECK_OK(siommu_mem_write(c->mem, iq_pa + i * 32ull, &qw0, sizeof(qw0)));
}

static struct siommu_vtd *hw;

static int dma_read(uint16_t rid, bool pp, uint32_t pasid, uint64_t iova, uint64_t *v)
{
	struct siommu_vtd_req req = { .rid = rid, .pasid_present = pp, .pasid = pasid,
				      .iova = iova };
	struct siommu_vtd_xlate res;

	return siommu_vtd_dma_read(hw, &req, v, sizeof(*v), NULL, &res);
}

static uint64_t inv_errors(struct siommu_unit *unit)
{
	struct siommu_unit_stats st;

	siommu_unit_get_stats(unit, &st);
	return st.inv_errors;
}

static void queue_healthy(struct siommu_unit *unit)
{
	uint64_t fsts = 0, iqh = 0, iqt = 0;

	CHECK_OK(siommu_vtd_mmio_read(hw, SIOMMU_VTD_REG_FSTS, 4, &fsts));
	CHECK_EQ(fsts & (SIOMMU_VTD_FSTS_IQE | SIOMMU_VTD_FSTS_ITE | SIOMMU_VTD_FSTS_ICE), 0);
	CHECK_OK(siommu_vtd_mmio_read(hw, SIOMMU_VTD_REG_IQH, 8, &iqh));
	CHECK_OK(siommu_vtd_mmio_read(hw, SIOMMU_VTD_REG_IQT, 8, &iqt));
	CHECK_EQ(iqh, iqt);
	(void)unit;
}

/* Recoveries the driver tries before it resets the queue. */
#define RECOVER_MAX 4

/*
 * Map, cache by DMA, then unmap with @c corrupting the flush's first
 * @submissions submissions: the unmap succeeds and the translation is gone.
 * Each refused submission is one error, recovered in place, until the
 * retries run out and the queue is reset (one more).
 */
static void unmap_through_error(struct siommu_unit *unit, struct siommu_domain *dom,
				uint16_t rid, bool pp, uint32_t pasid, uint64_t pa,
				struct corrupt *c, unsigned int submissions)
{
	uint64_t v = 0, before = inv_errors(unit);

	CHECK_OK(siommu_domain_map(dom, 0x10000, pa, 0x1000, RW));
	CHECK_OK(dma_read(rid, pp, pasid, 0x10000, &v));
	CHECK_EQ(v, 0xfeed);
	c->left = submissions;
	CHECK_OK(siommu_domain_unmap(dom, 0x10000, 0x1000, NULL));
	CHECK_EQ(c->left, 0);
	CHECK_EQ(inv_errors(unit) - before,
		 submissions <= RECOVER_MAX ? submissions : RECOVER_MAX + 1);
	CHECK_EQ(dma_read(rid, pp, pasid, 0x10000, &v), -EFAULT);
	queue_healthy(unit);
	/* And the queue serves the next flush without error. */
	before = inv_errors(unit);
	CHECK_OK(siommu_domain_map(dom, 0x10000, pa, 0x1000, RW));
	CHECK_OK(dma_read(rid, pp, pasid, 0x10000, &v));
	CHECK_OK(siommu_domain_unmap(dom, 0x10000, 0x1000, NULL));
	CHECK_EQ(dma_read(rid, pp, pasid, 0x10000, &v), -EFAULT);
	CHECK_EQ(inv_errors(unit), before);
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *fs, *ss;
	struct corrupt c = { 0 };
	uint64_t pa, v = 0xfeed;
	uint32_t p;
	unsigned int wait, n;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	c.mem = siommu_ctx_mem(ctx);
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	hw = siommu_unit_vtd(unit);
	CHECK_OK(siommu_mem_frame_alloc(c.mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_mem_write(c.mem, pa, &v, sizeof(v)));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0100, .pasid_bits = 20, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_FIRST }, &fs));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &ss));
	CHECK_OK(siommu_device_attach(dev, fs));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, SIOMMU_PASID_MAX, 1, &p));
	CHECK_OK(siommu_device_attach_pasid(dev, p, ss));
	CHECK_EQ(inv_errors(unit), 0);
	vtd_drv_qi_hook_set(unit, corrupt_desc, &c);

	/* The first descriptor or the wait refused, once; then refused at
	 * every retry until the queue is reset. */
	for (wait = 0; wait < 2; wait++) {
		c.wait = wait;
		for (n = 1; n <= RECOVER_MAX + 1; n += RECOVER_MAX) {
			unmap_through_error(unit, fs, 0x0100, false, 0, pa, &c, n);
			unmap_through_error(unit, ss, 0x0100, true, p, pa, &c, n);
		}
	}

	/* An attach whose flush is refused still ends with the new domain in
	 * place and nothing of the old one. */
	CHECK_OK(siommu_domain_map(fs, 0x20000, pa, 0x1000, RW));
	CHECK_OK(dma_read(0x0100, false, 0, 0x20000, &v));
	c.wait = false;
	c.left = 1;
	CHECK_OK(siommu_device_attach(dev, ss));
	CHECK_EQ(c.left, 0);
	CHECK_EQ(dma_read(0x0100, false, 0, 0x20000, &v), -EFAULT);
	queue_healthy(unit);

	vtd_drv_qi_hook_set(unit, NULL, NULL);
	siommu_ctx_destroy(ctx);
	return 0;
}
