/* SPDX-License-Identifier: MIT */
/*
 * siommu/vfio_abi.h - the part of Linux's VFIO user ABI that a VFIO device
 * file (/dev/vfio/devices/vfioN, the device cdev) answers under
 * libsiommu-preload.so: binding to an iommufd, attaching the device (its
 * RID or a PASID) to an IOAS or a HWPT, and describing the device and its
 * regions. Names and values are Linux's (<linux/vfio.h>), so that code
 * written against it builds unchanged. It defines _UAPIVFIO_H, Linux's
 * guard, so that a later include of the system header (which predates
 * the cdev ioctls on many distributions) adds nothing.
 *
 * Requests are _IO(';', 100 + n): no direction or size bits. Every struct
 * starts with argsz, the caller's size of it. VFIO's rules, not iommufd's:
 *   - argsz below the struct's first published size (VFIO_*_MIN_SIZE
 *     below): -EINVAL;
 *   - bytes past what the call reads are ignored (BIND_IOMMUFD alone
 *     demands they be zero: -E2BIG otherwise);
 *   - unknown flag bits: -EINVAL;
 *   - outputs are written back only up to argsz.
 *
 * Layouts are LP64 with natural alignment (tests/unit/vfio_abi_layout.c
 * asserts each size and offset).
 */
#ifndef SIOMMU_VFIO_ABI_H
#define SIOMMU_VFIO_ABI_H
#ifndef _UAPIVFIO_H
#define _UAPIVFIO_H

#include <stdint.h>
#include <sys/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VFIO_API_VERSION	0
#define VFIO_TYPE		(';')
#define VFIO_BASE		100

/*
 * VFIO_DEVICE_GET_INFO: what the device is. flags, num_regions and
 * num_irqs are outputs; cap_offset is 0 (no capability chain).
 */
struct vfio_device_info {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_FLAGS_RESET		(1u << 0)
#define VFIO_DEVICE_FLAGS_PCI		(1u << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM	(1u << 2)
#define VFIO_DEVICE_FLAGS_AMBA		(1u << 3)
#define VFIO_DEVICE_FLAGS_CCW		(1u << 4)
#define VFIO_DEVICE_FLAGS_AP		(1u << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC	(1u << 6)
#define VFIO_DEVICE_FLAGS_CAPS		(1u << 7)
#define VFIO_DEVICE_FLAGS_CDX		(1u << 8)
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad;
};
#define VFIO_DEVICE_GET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 7)

/*
 * VFIO_DEVICE_GET_REGION_INFO: region @index (in). size and offset are
 * outputs: the region is read and written with pread()/pwrite() on the
 * device fd at offset + the byte within it.
 */
struct vfio_region_info {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_REGION_INFO_FLAG_READ	(1u << 0)
#define VFIO_REGION_INFO_FLAG_WRITE	(1u << 1)
#define VFIO_REGION_INFO_FLAG_MMAP	(1u << 2)
#define VFIO_REGION_INFO_FLAG_CAPS	(1u << 3)
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size __attribute__((aligned(8)));
	uint64_t offset __attribute__((aligned(8)));
};
#define VFIO_DEVICE_GET_REGION_INFO	_IO(VFIO_TYPE, VFIO_BASE + 8)

/* The regions and interrupts of a PCI device (VFIO_DEVICE_FLAGS_PCI). */
enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

enum {
	VFIO_PCI_INTX_IRQ_INDEX,
	VFIO_PCI_MSI_IRQ_INDEX,
	VFIO_PCI_MSIX_IRQ_INDEX,
	VFIO_PCI_ERR_IRQ_INDEX,
	VFIO_PCI_REQ_IRQ_INDEX,
	VFIO_PCI_NUM_IRQS
};

/*
 * VFIO_DEVICE_BIND_IOMMUFD: bind the device to the iommufd @iommufd (an
 * open /dev/iommu fd): claim its DMA and make a DEVICE object, whose ID
 * comes back in out_devid (the dev_id of iommufd calls). Until then the
 * device fd answers no other request. Closing the device fd unbinds.
 */
struct vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;		/* 0 */
	int32_t iommufd;
	uint32_t out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach the device's RID (or, with
 * VFIO_DEVICE_ATTACH_PASID, its PASID @pasid) to @pt_id, an IOAS (RID
 * only: a compatible automatic HWPT is used or made) or a HWPT; @pt_id
 * comes back as the HWPT's ID. An attached RID or PASID is replaced, with
 * no window in which its DMA is blocked.
 */
struct vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_ATTACH_PASID	(1u << 0)
	uint32_t pt_id;
	uint32_t pasid;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT: the RID (or, with VFIO_DEVICE_DETACH_PASID,
 * PASID @pasid) blocks DMA again.
 */
struct vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DEVICE_DETACH_PASID	(1u << 0)
	uint32_t pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)

/*
 * The first published size of each struct (Linux: offsetofend of the last
 * field the call has always read). ATTACH and DETACH read @pasid only with
 * their PASID flag, and then need argsz to cover it.
 */
#define VFIO_DEVICE_GET_INFO_MIN_SIZE		16
#define VFIO_DEVICE_GET_REGION_INFO_MIN_SIZE	32
#define VFIO_DEVICE_BIND_IOMMUFD_MIN_SIZE	16
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE	12
#define VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE	8

#ifdef __cplusplus
}
#endif
#endif /* _UAPIVFIO_H */
#endif /* SIOMMU_VFIO_ABI_H */
