/* SPDX-License-Identifier: MIT */
/*
 * siommu/vfio_abi.h - the part of Linux's VFIO user ABI that a VFIO device
 * file (/dev/vfio/devices/vfioN, the device cdev) answers under
 * libsiommu-preload.so: binding to an iommufd, attaching the device (its
 * RID or a PASID) to an IOAS or a HWPT, and describing the device and its
 * regions; the group files of the legacy path; and the type1 container
 * that iommufd emulates over an IOAS. Names and values are Linux's
 * (<linux/vfio.h>), so that code written against it builds unchanged. It defines _UAPIVFIO_H, Linux's
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
 * The group files (/dev/vfio/N, N the IOMMU group's number): the legacy
 * way to a device. A group file is open once at a time (-EBUSY), and not
 * while a device of the group is bound through its cdev (nor can such a
 * device be bound while its group file is open: -EBUSY both ways).
 * SET_CONTAINER joins the group to a container (/dev/vfio/vfio, or any
 * /dev/iommu fd: its compatibility IOAS, made when there is none), whose
 * VFIO_SET_IOMMU succeeds from then on; GET_DEVICE_FD opens a device of
 * the group by name, bound to the container's context and attached to its
 * compatibility IOAS, and returns its fd (close-on-exec). A device fd
 * from the group answers neither BIND_IOMMUFD (-EINVAL) nor ATTACH and
 * DETACH (-ENOTTY): its DMA goes through the container's mappings.
 */
struct vfio_group_status {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_GROUP_FLAGS_VIABLE		(1u << 0)
#define VFIO_GROUP_FLAGS_CONTAINER_SET	(1u << 1)
};
#define VFIO_GROUP_GET_STATUS		_IO(VFIO_TYPE, VFIO_BASE + 3)

/* The argument is a pointer to the container's fd (an int). */
#define VFIO_GROUP_SET_CONTAINER	_IO(VFIO_TYPE, VFIO_BASE + 4)

/* No argument. */
#define VFIO_GROUP_UNSET_CONTAINER	_IO(VFIO_TYPE, VFIO_BASE + 5)

/* The argument is the device's name, a NUL-terminated string; the result
 * is the new fd. */
#define VFIO_GROUP_GET_DEVICE_FD	_IO(VFIO_TYPE, VFIO_BASE + 6)

/*
 * The type1 container (/dev/vfio/vfio, or any iommufd fd: Linux's iommufd
 * answers these on its own fd too), over the context's compatibility IOAS
 * (IOMMU_VFIO_IOAS). VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION and
 * VFIO_SET_IOMMU take an integer argument, not a struct.
 */
#define VFIO_GET_API_VERSION	_IO(VFIO_TYPE, VFIO_BASE + 0)
#define VFIO_CHECK_EXTENSION	_IO(VFIO_TYPE, VFIO_BASE + 1)
#define VFIO_SET_IOMMU		_IO(VFIO_TYPE, VFIO_BASE + 2)

/* Extensions (VFIO_CHECK_EXTENSION) and IOMMU types (VFIO_SET_IOMMU). */
#define VFIO_TYPE1_IOMMU		1
#define VFIO_SPAPR_TCE_IOMMU		2
#define VFIO_TYPE1v2_IOMMU		3
#define VFIO_DMA_CC_IOMMU		4
#define VFIO_EEH			5
#define VFIO_TYPE1_NESTING_IOMMU	6
#define VFIO_SPAPR_TCE_v2_IOMMU		7
#define VFIO_NOIOMMU_IOMMU		8
#define VFIO_UNMAP_ALL			9
#define VFIO_UPDATE_VADDR		10

/* A capability of a VFIO_IOMMU_GET_INFO reply: chained by byte offset
 * from the start of the reply (next 0: the last). */
struct vfio_info_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next;
};

/*
 * VFIO_IOMMU_GET_INFO: the page sizes maps may use, then capabilities
 * (IOVA ranges, DMA mappings available) past the struct when argsz has
 * room for them; argsz comes back as the size of the whole reply.
 */
struct vfio_iommu_type1_info {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_IOMMU_INFO_PGSIZES	(1u << 0)
#define VFIO_IOMMU_INFO_CAPS	(1u << 1)
	uint64_t iova_pgsizes __attribute__((aligned(8)));
	uint32_t cap_offset;
	uint32_t pad;
};
#define VFIO_IOMMU_GET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 12)

/* The usable IOVA ranges; end is inclusive. */
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE	1
struct vfio_iova_range {
	uint64_t start;
	uint64_t end;
};

struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	uint32_t nr_iovas;
	uint32_t reserved;
	struct vfio_iova_range iova_ranges[];
};

/* How many more mappings may be made. */
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL		3
struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	uint32_t avail;
};

/* VFIO_IOMMU_MAP_DMA: map @size bytes at @vaddr at IOVA @iova. */
struct vfio_iommu_type1_dma_map {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DMA_MAP_FLAG_READ	(1u << 0)
#define VFIO_DMA_MAP_FLAG_WRITE	(1u << 1)
#define VFIO_DMA_MAP_FLAG_VADDR	(1u << 2)
	uint64_t vaddr __attribute__((aligned(8)));
	uint64_t iova __attribute__((aligned(8)));
	uint64_t size __attribute__((aligned(8)));
};
#define VFIO_IOMMU_MAP_DMA	_IO(VFIO_TYPE, VFIO_BASE + 13)

/* VFIO_IOMMU_UNMAP_DMA: unmap the mappings in [iova, iova + size) (or all
 * of them); @size comes back as the bytes unmapped. */
struct vfio_iommu_type1_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP	(1u << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL			(1u << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR		(1u << 2)
	uint64_t iova __attribute__((aligned(8)));
	uint64_t size __attribute__((aligned(8)));
	uint8_t data[];
};
#define VFIO_IOMMU_UNMAP_DMA	_IO(VFIO_TYPE, VFIO_BASE + 14)

/*
 * The first published size of each struct (Linux: offsetofend of the last
 * field the call has always read). ATTACH and DETACH read @pasid only with
 * their PASID flag, and then need argsz to cover it.
 */
#define VFIO_GROUP_GET_STATUS_MIN_SIZE		8
#define VFIO_DEVICE_GET_INFO_MIN_SIZE		16
#define VFIO_DEVICE_GET_REGION_INFO_MIN_SIZE	32
#define VFIO_DEVICE_BIND_IOMMUFD_MIN_SIZE	16
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE	12
#define VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE	8
#define VFIO_IOMMU_GET_INFO_MIN_SIZE		16
#define VFIO_IOMMU_MAP_DMA_MIN_SIZE		32
#define VFIO_IOMMU_UNMAP_DMA_MIN_SIZE		24

#ifdef __cplusplus
}
#endif
#endif /* _UAPIVFIO_H */
#endif /* SIOMMU_VFIO_ABI_H */
