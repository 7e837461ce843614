/* SPDX-License-Identifier: MIT */
/*
 * The ATS+PRI device kit on an SVA bind: translations cached in its
 * device TLB and used until the unit invalidates them; a page that does
 * not translate faulted in through a page request and the DMA retried;
 * a refused page request ends the DMA where it faulted; munmap, mprotect
 * and migrate reach the device TLB before they return; an invalidation
 * without a PASID (an unmap in the domain at the device's RID) covers the
 * range for every PASID, as PCIe defines it. On VT-d and SMMUv3.
 */
#include <siommu/atsdev.h>

#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_atsdev *kit, *twice;
	struct siommu_atsdev_stats st0, st;
	struct siommu_atsdev_result res;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct siommu_domain *dom;
	unsigned char w[2 * PG], r[2 * PG];
	uint64_t va, pa;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x300, 20, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	CHECK_EQ(test_atsdev_create(unit, &(struct siommu_atsdev_cfg){
		.rid = 0x300 }, &kit), -EINVAL);
	CHECK_EQ(test_atsdev_create(unit, &(struct siommu_atsdev_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = 0x300, .tlb_entries = 3 }, &kit), -EINVAL);
	CHECK_OK(test_atsdev_create(unit, &(struct siommu_atsdev_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = 0x300 }, &kit));
	CHECK_EQ(test_atsdev_create(unit, &(struct siommu_atsdev_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = 0x300 }, &twice), -EEXIST);

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 8 * PG, RW, &va));
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (unsigned char)(i * 13 + 1);
	CHECK_OK(siommu_mm_write(mm, va, w, sizeof(w)));
	CHECK_OK(siommu_sva_bind(dev, mm, &sva));
	struct siommu_atsdev_req rd = { .pasid_present = true, .pasid = siommu_sva_pasid(sva),
					.addr = va };
	struct siommu_atsdev_req wr = rd;

	wr.write = true;

	/* Two pages through ATS; then from the device TLB alone. */
	CHECK_OK(siommu_atsdev_dma(kit, &rd, r, sizeof(r), &res));
	CHECK_EQ(res.done, sizeof(r));
	CHECK(!memcmp(r, w, sizeof(r)));
	siommu_atsdev_get_stats(kit, &st0);
	CHECK_EQ(st0.ats_requests, 2);
	CHECK_EQ(st0.page_requests, 0);
	CHECK_OK(siommu_atsdev_dma(kit, &rd, r, sizeof(r), NULL));
	siommu_atsdev_get_stats(kit, &st);
	CHECK_EQ(st.ats_requests, 2);
	CHECK_EQ(st.tlb_hits, st0.tlb_hits + 2);

	/* An untouched page: a page request faults it in, the write goes. */
	wr.addr = va + 3 * PG + 100;
	CHECK_OK(siommu_atsdev_dma(kit, &wr, w, 64, NULL));
	siommu_atsdev_get_stats(kit, &st);
	CHECK_EQ(st.page_requests, 1);
	CHECK_OK(siommu_mm_read(mm, va + 3 * PG + 100, r, 64));
	CHECK(!memcmp(r, w, 64));

	/* munmap: the device TLB loses the page before the call returns;
	 * the next DMA's page request is refused, where it faulted. */
	CHECK_OK(siommu_mm_munmap(mm, va + PG, PG));
	siommu_atsdev_get_stats(kit, &st0);
	CHECK(st0.invalidations > st.invalidations);
	CHECK(st0.entries_dropped >= 1);
	CHECK_EQ(siommu_atsdev_dma(kit, &rd, r, sizeof(r), &res), -EFAULT);
	CHECK_EQ(res.done, PG);
	CHECK_EQ(res.fault_addr, va + PG);
	CHECK_EQ(res.resp_code, 1);

	/* mprotect read-only: writes refused, reads still served. */
	CHECK_OK(siommu_mm_mprotect(mm, va + 3 * PG, PG, SIOMMU_PROT_READ));
	CHECK_EQ(siommu_atsdev_dma(kit, &wr, w, 8, &res), -EFAULT);
	CHECK_EQ(res.resp_code, 1);
	rd.addr = va + 3 * PG + 100;
	CHECK_OK(siommu_atsdev_dma(kit, &rd, r, 64, NULL));
	CHECK(!memcmp(r, w, 64));

	/* migrate: the device follows the page to its new frame. */
	CHECK_OK(siommu_mm_migrate(mm, va + 3 * PG));
	CHECK_OK(siommu_mm_mprotect(mm, va + 3 * PG, PG, RW));
	w[0] ^= 0xff;
	wr.addr = va + 3 * PG + 100;
	CHECK_OK(siommu_atsdev_dma(kit, &wr, w, 1, NULL));
	CHECK_OK(siommu_mm_read(mm, va + 3 * PG + 100, r, 1));
	CHECK_EQ(r[0], w[0]);

	/* An unmap in the domain at the device's RID reaches the device as
	 * an invalidation without a PASID: the PASID's entry in the range
	 * goes too, and the next DMA asks ATS again. */
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	CHECK_OK(siommu_device_attach(dev, dom));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), PG, SIOMMU_MEM_DMA, &pa));
	rd.addr = va + 3 * PG;
	CHECK_OK(siommu_atsdev_dma(kit, &rd, r, 8, NULL));
	siommu_atsdev_get_stats(kit, &st0);
	CHECK_OK(siommu_atsdev_dma(kit, &rd, r, 8, NULL));
	siommu_atsdev_get_stats(kit, &st);
	CHECK_EQ(st.ats_requests, st0.ats_requests);		/* cached */
	CHECK_OK(siommu_domain_map(dom, va + 3 * PG, pa, PG, RW));
	CHECK_OK(siommu_domain_unmap(dom, va + 3 * PG, PG, NULL));
	siommu_atsdev_get_stats(kit, &st0);
	CHECK(st0.invalidations > st.invalidations);
	CHECK(st0.entries_dropped > st.entries_dropped);
	CHECK_OK(siommu_atsdev_dma(kit, &rd, r, 8, NULL));
	siommu_atsdev_get_stats(kit, &st);
	CHECK_EQ(st.ats_requests, st0.ats_requests + 1);
	siommu_device_detach(dev);
	CHECK_OK(siommu_domain_free(dom));
	siommu_mem_frame_free(siommu_ctx_mem(ctx), pa, PG, SIOMMU_MEM_DMA);

	/* Unbound: a configuration fault, no page request. */
	siommu_sva_unbind(sva);
	siommu_atsdev_get_stats(kit, &st0);
	CHECK_EQ(siommu_atsdev_dma(kit, &rd, r, 8, &res), -EFAULT);
	siommu_atsdev_get_stats(kit, &st);
	CHECK_EQ(st.page_requests, st0.page_requests);
	CHECK_EQ(res.done, 0);

	siommu_mm_exit(mm);
	siommu_atsdev_destroy(kit);
	siommu_device_remove(dev);
	siommu_ctx_destroy(ctx);
	return 0;
}
