/* SPDX-License-Identifier: MIT */
/*
 * The VFIO ABI header against Linux's layouts: the size and offset of
 * every field (LP64), the request numbers, the first published sizes and
 * the flag and index values; and the DMA engine's register map. Everything
 * is checked at compile time; the program only reports it ran.
 */
#include <stddef.h>
#include <stdio.h>

#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#define SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define OFF(s, f, n) _Static_assert(offsetof(struct s, f) == (n), #s "." #f " offset")
#define EQ(a, b) _Static_assert((a) == (b), #a)

SIZE(vfio_device_info, 24);
OFF(vfio_device_info, argsz, 0);
OFF(vfio_device_info, flags, 4);
OFF(vfio_device_info, num_regions, 8);
OFF(vfio_device_info, num_irqs, 12);
OFF(vfio_device_info, cap_offset, 16);
OFF(vfio_device_info, pad, 20);
EQ(VFIO_DEVICE_GET_INFO_MIN_SIZE, offsetof(struct vfio_device_info, num_irqs) + 4);

SIZE(vfio_region_info, 32);
OFF(vfio_region_info, argsz, 0);
OFF(vfio_region_info, flags, 4);
OFF(vfio_region_info, index, 8);
OFF(vfio_region_info, cap_offset, 12);
OFF(vfio_region_info, size, 16);
OFF(vfio_region_info, offset, 24);
EQ(VFIO_DEVICE_GET_REGION_INFO_MIN_SIZE, 32);

SIZE(vfio_device_bind_iommufd, 16);
OFF(vfio_device_bind_iommufd, argsz, 0);
OFF(vfio_device_bind_iommufd, flags, 4);
OFF(vfio_device_bind_iommufd, iommufd, 8);
OFF(vfio_device_bind_iommufd, out_devid, 12);
EQ(VFIO_DEVICE_BIND_IOMMUFD_MIN_SIZE, 16);

SIZE(vfio_device_attach_iommufd_pt, 16);
OFF(vfio_device_attach_iommufd_pt, argsz, 0);
OFF(vfio_device_attach_iommufd_pt, flags, 4);
OFF(vfio_device_attach_iommufd_pt, pt_id, 8);
OFF(vfio_device_attach_iommufd_pt, pasid, 12);
EQ(VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE, offsetof(struct vfio_device_attach_iommufd_pt, pasid));

SIZE(vfio_device_detach_iommufd_pt, 12);
OFF(vfio_device_detach_iommufd_pt, argsz, 0);
OFF(vfio_device_detach_iommufd_pt, flags, 4);
OFF(vfio_device_detach_iommufd_pt, pasid, 8);
EQ(VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE, offsetof(struct vfio_device_detach_iommufd_pt, pasid));

SIZE(vfio_info_cap_header, 8);
OFF(vfio_info_cap_header, id, 0);
OFF(vfio_info_cap_header, version, 2);
OFF(vfio_info_cap_header, next, 4);

SIZE(vfio_iommu_type1_info, 24);
OFF(vfio_iommu_type1_info, argsz, 0);
OFF(vfio_iommu_type1_info, flags, 4);
OFF(vfio_iommu_type1_info, iova_pgsizes, 8);
OFF(vfio_iommu_type1_info, cap_offset, 16);
OFF(vfio_iommu_type1_info, pad, 20);
EQ(VFIO_IOMMU_GET_INFO_MIN_SIZE, offsetof(struct vfio_iommu_type1_info, cap_offset));

SIZE(vfio_iova_range, 16);
OFF(vfio_iova_range, start, 0);
OFF(vfio_iova_range, end, 8);
SIZE(vfio_iommu_type1_info_cap_iova_range, 16);
OFF(vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8);
OFF(vfio_iommu_type1_info_cap_iova_range, reserved, 12);
OFF(vfio_iommu_type1_info_cap_iova_range, iova_ranges, 16);
SIZE(vfio_iommu_type1_info_dma_avail, 12);
OFF(vfio_iommu_type1_info_dma_avail, avail, 8);

SIZE(vfio_iommu_type1_dma_map, 32);
OFF(vfio_iommu_type1_dma_map, argsz, 0);
OFF(vfio_iommu_type1_dma_map, flags, 4);
OFF(vfio_iommu_type1_dma_map, vaddr, 8);
OFF(vfio_iommu_type1_dma_map, iova, 16);
OFF(vfio_iommu_type1_dma_map, size, 24);
EQ(VFIO_IOMMU_MAP_DMA_MIN_SIZE, 32);

SIZE(vfio_iommu_type1_dma_unmap, 24);
OFF(vfio_iommu_type1_dma_unmap, argsz, 0);
OFF(vfio_iommu_type1_dma_unmap, flags, 4);
OFF(vfio_iommu_type1_dma_unmap, iova, 8);
OFF(vfio_iommu_type1_dma_unmap, size, 16);
OFF(vfio_iommu_type1_dma_unmap, data, 24);
EQ(VFIO_IOMMU_UNMAP_DMA_MIN_SIZE, 24);

SIZE(vfio_group_status, 8);
OFF(vfio_group_status, argsz, 0);
OFF(vfio_group_status, flags, 4);
EQ(VFIO_GROUP_GET_STATUS_MIN_SIZE, 8);
EQ(VFIO_GROUP_FLAGS_VIABLE, 1);
EQ(VFIO_GROUP_FLAGS_CONTAINER_SET, 2);
EQ(VFIO_GROUP_GET_STATUS, 0x3b67);
EQ(VFIO_GROUP_SET_CONTAINER, 0x3b68);
EQ(VFIO_GROUP_UNSET_CONTAINER, 0x3b69);
EQ(VFIO_GROUP_GET_DEVICE_FD, 0x3b6a);

EQ(VFIO_TYPE, 0x3b);
EQ(VFIO_BASE, 100);
EQ(VFIO_API_VERSION, 0);
EQ(VFIO_GET_API_VERSION, 0x3b64);
EQ(VFIO_CHECK_EXTENSION, 0x3b65);
EQ(VFIO_SET_IOMMU, 0x3b66);
EQ(VFIO_IOMMU_GET_INFO, 0x3b70);
EQ(VFIO_IOMMU_MAP_DMA, 0x3b71);
EQ(VFIO_IOMMU_UNMAP_DMA, 0x3b72);
EQ(VFIO_TYPE1_IOMMU, 1);
EQ(VFIO_TYPE1v2_IOMMU, 3);
EQ(VFIO_DMA_CC_IOMMU, 4);
EQ(VFIO_NOIOMMU_IOMMU, 8);
EQ(VFIO_UNMAP_ALL, 9);
EQ(VFIO_UPDATE_VADDR, 10);
EQ(VFIO_IOMMU_INFO_PGSIZES, 1);
EQ(VFIO_IOMMU_INFO_CAPS, 2);
EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 3);
EQ(VFIO_DMA_MAP_FLAG_READ, 1);
EQ(VFIO_DMA_MAP_FLAG_WRITE, 2);
EQ(VFIO_DMA_UNMAP_FLAG_ALL, 2);
EQ(VFIO_DEVICE_GET_INFO, 0x3b6b);
EQ(VFIO_DEVICE_GET_REGION_INFO, 0x3b6c);
EQ(VFIO_DEVICE_BIND_IOMMUFD, 0x3b76);
EQ(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b77);
EQ(VFIO_DEVICE_DETACH_IOMMUFD_PT, 0x3b78);
EQ(VFIO_DEVICE_ATTACH_PASID, 1);
EQ(VFIO_DEVICE_DETACH_PASID, 1);
EQ(VFIO_DEVICE_FLAGS_RESET, 1);
EQ(VFIO_DEVICE_FLAGS_PCI, 2);
EQ(VFIO_DEVICE_FLAGS_CAPS, 0x80);
EQ(VFIO_REGION_INFO_FLAG_READ, 1);
EQ(VFIO_REGION_INFO_FLAG_WRITE, 2);
EQ(VFIO_REGION_INFO_FLAG_MMAP, 4);
EQ(VFIO_REGION_INFO_FLAG_CAPS, 8);
EQ(VFIO_PCI_BAR0_REGION_INDEX, 0);
EQ(VFIO_PCI_ROM_REGION_INDEX, 6);
EQ(VFIO_PCI_CONFIG_REGION_INDEX, 7);
EQ(VFIO_PCI_VGA_REGION_INDEX, 8);
EQ(VFIO_PCI_NUM_REGIONS, 9);
EQ(VFIO_PCI_NUM_IRQS, 5);

/* The engine's registers: in the BAR, naturally aligned, apart. */
EQ(SIOMMU_DMAENG_SRC % 8 + SIOMMU_DMAENG_DST % 8 + SIOMMU_DMAENG_LEN % 8, 0);
EQ(SIOMMU_DMAENG_DONE_BYTES % 8 + SIOMMU_DMAENG_FAULT_ADDR % 8, 0);
EQ(SIOMMU_DMAENG_PASID + 4, SIOMMU_DMAENG_CTRL);
EQ(SIOMMU_DMAENG_DOORBELL + 4, SIOMMU_DMAENG_STATUS);
_Static_assert(SIOMMU_DMAENG_FAULT_ADDR + 8 <= SIOMMU_DMAENG_BAR_SIZE, "registers in the BAR");

int main(void)
{
	puts("VFIO ABI layouts: checked at compile time");
	return 0;
}
