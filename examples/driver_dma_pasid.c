/* SPDX-License-Identifier: MIT */
/*
 * A driver for a PASID-only device, written against the DMA API.
 *
 * The device (an accelerator with a shared work queue) can only issue
 * PASID-tagged DMA. The driver does not deal with PASIDs itself: at setup
 * the OS attaches the device's DMA domain at a PASID, and from then on the
 * driver maps buffers as for any device. There is no "kernel SVA": the
 * device reaches exactly what the driver mapped, through the IOMMU's page
 * tables, and nothing else.
 *
 * Build: cc driver_dma_pasid.c $(pkg-config --cflags --libs siommu)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <siommu/core.h>
#include <siommu/dma.h>

#define ACCEL_RID 0x0110	/* 01:02.0 */

/* The device side: what the accelerator's hardware does for one job. */
static int accel_copy(struct siommu_vtd *hw, uint32_t pasid, uint64_t src,
		      uint64_t dst, size_t len)
{
	struct siommu_vtd_req req = { .rid = ACCEL_RID, .pasid_present = true,
				      .pasid = pasid, .iova = src };
	struct siommu_vtd_xlate fault;
	char buf[4096];
	int ret;

	if (len > sizeof(buf))
		return -EINVAL;
	ret = siommu_vtd_dma_read(hw, &req, buf, len, NULL, &fault);
	if (ret)
		return ret;
	req.iova = dst;
	return siommu_vtd_dma_write(hw, &req, buf, len, NULL, &fault);
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_dma_info info;
	uint64_t src_iova, dst_iova, dst_pa, src_pa;
	char *src, *dst;
	int ret;

	/* Platform: one VT-d unit, and the accelerator behind it. */
	if (siommu_ctx_create(NULL, &ctx) || siommu_unit_add_vtd(ctx, NULL, &unit) ||
	    siommu_device_add(unit, &(struct siommu_device_cfg){
		    .rid = ACCEL_RID, .pasid_bits = 8, .flags = SIOMMU_DEV_PASID_ONLY,
		    .alias_rid = SIOMMU_NO_ALIAS }, &dev))
		return 1;

	/* Probe: the DMA API gives the device its DMA domain, and, since the
	 * device is PASID-only, attaches that domain at a PASID. */
	if (siommu_dma_setup(dev, &(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_STRICT }) ||
	    siommu_dma_get_info(dev, &info))
		return 1;
	printf("accelerator 01:02.0 set up: DMA domain at PASID %u\n", info.pasid);

	/* The driver's buffers: a coherent descriptor area, and a source
	 * buffer mapped for the device to read. */
	if (siommu_dma_alloc_coherent(dev, 4096, (void **)&dst, &dst_pa, &dst_iova))
		return 1;
	if (siommu_mem_frame_alloc(siommu_ctx_mem(ctx), 4096, SIOMMU_MEM_DMA, &src_pa))
		return 1;
	src = siommu_mem_host(siommu_ctx_mem(ctx), src_pa, 4096);
	strcpy(src, "work item 42");
	if (siommu_dma_map_single_host(dev, src, 4096, SIOMMU_DMA_TO_DEVICE, &src_iova))
		return 1;

	/* Submit a job: the device copies through its PASID. */
	ret = accel_copy(siommu_unit_vtd(unit), info.pasid, src_iova, dst_iova, 64);
	printf("job: copy IOVA 0x%" PRIx64 " -> 0x%" PRIx64 " with PASID %u: %s, "
	       "result \"%s\"\n", src_iova, dst_iova, info.pasid, ret ? "fault" : "done", dst);
	if (ret || strcmp(dst, "work item 42"))
		return 1;

	/* After unmap the device cannot reach the buffer any more (strict:
	 * the IOTLB was invalidated before unmap returned). */
	siommu_dma_unmap_single(dev, src_iova, 4096, SIOMMU_DMA_TO_DEVICE);
	ret = accel_copy(siommu_unit_vtd(unit), info.pasid, src_iova, dst_iova, 64);
	printf("job after unmap: %s\n", ret == -EFAULT ? "blocked by the IOMMU" : "REACHED");
	if (ret != -EFAULT)
		return 1;

	siommu_dma_free_coherent(dev, 4096, dst_iova);
	siommu_dma_teardown(dev);
	siommu_ctx_destroy(ctx);
	return 0;
}
