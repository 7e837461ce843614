/* SPDX-License-Identifier: MIT */
/*
 * siommu/iommufd_abi.h - the binary /dev/iommu ABI (Linux's iommufd user
 * ABI, up to IOMMU_HW_QUEUE_ALLOC): request numbers, argument structs and
 * their flag and type values, under Linux's names, so that code written
 * against <linux/iommufd.h> builds against this header unchanged. It
 * defines _UAPI_IOMMUFD_H, Linux's guard, so a later include of the
 * system header (older on many distributions) adds nothing.
 *
 * Layouts are LP64 with natural alignment; u64 fields are 8-byte aligned
 * on every target (tests/unit/iommufd_abi_layout.c asserts each size and
 * offset).
 *
 * Every request is _IO(';', nr): no direction or size bits. Every struct
 * starts with its own size (u32), set by the caller, and grows only at its
 * end. Extensibility (Linux's iommufd rules, which siommu_iommufd_ioctl()
 * applies):
 *   - size below the struct's first published size (IOMMUFD_*_MIN_SIZE
 *     below): -EINVAL;
 *   - size above what this implementation knows: the extra bytes must be
 *     zero (-E2BIG otherwise), and the call acts as with an exact size;
 *   - a shorter size is zero-filled; outputs are written back only up to
 *     the caller's size;
 *   - unknown flag bits, non-zero reserved fields and unknown type or op
 *     values: -EOPNOTSUPP.
 * Pointers travel as u64 (user_va, data_uptr, allowed_iovas, data).
 */
#ifndef SIOMMU_IOMMUFD_ABI_H
#define SIOMMU_IOMMUFD_ABI_H
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <stdint.h>
#include <sys/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t iommufd_aligned_u64 __attribute__((aligned(8)));

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
};

/* IOMMU_DESTROY: destroy any object by ID. */
struct iommu_destroy {
	uint32_t size;
	uint32_t id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* IOMMU_IOAS_ALLOC: a new, empty IOAS. */
struct iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;		/* 0 */
	uint32_t out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

struct iommu_iova_range {
	iommufd_aligned_u64 start;
	iommufd_aligned_u64 last;	/* inclusive */
};

/* IOMMU_IOAS_IOVA_RANGES: usable ranges (-EMSGSIZE with the count if the
 * array is too small) and the minimum IOVA alignment. */
struct iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	iommufd_aligned_u64 allowed_iovas;	/* struct iommu_iova_range[] */
	iommufd_aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/* IOMMU_IOAS_ALLOW_IOVAS: replace the allowed list (num_iovas 0 clears). */
struct iommu_ioas_allow_iovas {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	iommufd_aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/* IOMMU_IOAS_MAP: map user memory; iova is in with FIXED_IOVA, always out. */
struct iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	iommufd_aligned_u64 user_va;
	iommufd_aligned_u64 length;
	iommufd_aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* IOMMU_IOAS_MAP_FILE: as MAP, over [start, start + length) of a memfd. */
struct iommu_ioas_map_file {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	int32_t fd;
	iommufd_aligned_u64 start;
	iommufd_aligned_u64 length;
	iommufd_aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/* IOMMU_IOAS_COPY: map the pages of a source range into another IOAS. */
struct iommu_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas_id;
	uint32_t src_ioas_id;
	iommufd_aligned_u64 length;
	iommufd_aligned_u64 dst_iova;
	iommufd_aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/* IOMMU_IOAS_UNMAP: whole areas; length out is the bytes unmapped. */
struct iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	iommufd_aligned_u64 iova;
	iommufd_aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* IOMMU_OPTION: get or set a global (object_id 0) or per-IOAS option. */
struct iommu_option {
	uint32_t size;
	uint32_t option_id;
	uint16_t op;
	uint16_t __reserved;
	uint32_t object_id;
	iommufd_aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/* IOMMU_VFIO_IOAS: the IOAS of the VFIO container compatibility path. */
struct iommu_vfio_ioas {
	uint32_t size;
	uint32_t ioas_id;
	uint16_t op;
	uint16_t __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/* HWPT_ALLOC data for IOMMU_HWPT_DATA_VTD_S1: a first-stage table. */
struct iommu_hwpt_vtd_s1 {
	iommufd_aligned_u64 flags;
	iommufd_aligned_u64 pgtbl_addr;
	uint32_t addr_width;
	uint32_t __reserved;
};

/* HWPT_ALLOC data for IOMMU_HWPT_DATA_ARM_SMMUV3: STE words (LE). */
struct iommu_hwpt_arm_smmuv3 {
	iommufd_aligned_u64 ste[2];
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/* IOMMU_HWPT_ALLOC: a paging HWPT (pt_id an IOAS) or a nested one. */
struct iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
	uint32_t data_type;
	uint32_t data_len;
	iommufd_aligned_u64 data_uptr;
	uint32_t fault_id;
	uint32_t __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

struct iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	iommufd_aligned_u64 cap_reg;
	iommufd_aligned_u64 ecap_reg;
};

struct iommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

struct iommu_hw_info_tegra241_cmdqv {
	uint32_t flags;
	uint8_t version;
	uint8_t log2vcmdqs;
	uint8_t log2vsids;
	uint8_t __reserved;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
};

enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/* IOMMU_GET_HW_INFO: the driver's info about the unit behind a device. */
struct iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;		/* in: buffer; out: the driver's length */
	iommufd_aligned_u64 data_uptr;
	union {
		uint32_t in_data_type;
		uint32_t out_data_type;
	};
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	iommufd_aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

struct iommu_hwpt_set_dirty_tracking {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

struct iommu_hwpt_get_dirty_bitmap {
	uint32_t size;
	uint32_t hwpt_id;
	uint32_t flags;
	uint32_t __reserved;
	iommufd_aligned_u64 iova;
	iommufd_aligned_u64 length;
	iommufd_aligned_u64 page_size;
	iommufd_aligned_u64 data;	/* u64 words, bit n: iova + n * page_size */
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

struct iommu_hwpt_vtd_s1_invalidate {
	iommufd_aligned_u64 addr;
	iommufd_aligned_u64 npages;
	uint32_t flags;
	uint32_t __reserved;
};

struct iommu_viommu_arm_smmuv3_invalidate {
	iommufd_aligned_u64 cmd[2];
};

/* IOMMU_HWPT_INVALIDATE: entry_num in: entries; out: entries handled. */
struct iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;
	iommufd_aligned_u64 data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num;
	uint32_t __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1,
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = 1 << 0,
	IOMMU_PGFAULT_PERM_WRITE = 1 << 1,
	IOMMU_PGFAULT_PERM_EXEC = 1 << 2,
	IOMMU_PGFAULT_PERM_PRIV = 1 << 3,
};

/* A fault record, read from a fault queue's fd. */
struct iommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t __reserved;
	iommufd_aligned_u64 addr;
	uint32_t length;
	uint32_t cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/* A page response, written to a fault queue's fd. */
struct iommu_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};

/* IOMMU_FAULT_QUEUE_ALLOC: a fault object and its fd. */
struct iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

struct iommu_viommu_tegra241_cmdqv {
	iommufd_aligned_u64 out_vintf_mmap_offset;
	iommufd_aligned_u64 out_vintf_mmap_length;
};

/* IOMMU_VIOMMU_ALLOC: a vIOMMU over a nest-parent HWPT. */
struct iommu_viommu_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t type;
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;
	uint32_t __reserved;
	iommufd_aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/* IOMMU_VDEVICE_ALLOC: a device's virtual ID on a vIOMMU. */
struct iommu_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	iommufd_aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/* IOMMU_IOAS_CHANGE_PROCESS: charge every IOAS's pins to the caller. */
struct iommu_ioas_change_process {
	uint32_t size;
	uint32_t __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1u << 0,
};

/* The header of every record read from a vEVENTQ's fd. */
struct iommufd_vevent_header {
	uint32_t flags;
	uint32_t sequence;
};

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

struct iommu_vevent_arm_smmuv3 {
	iommufd_aligned_u64 evt[4];
};

struct iommu_vevent_tegra241_cmdqv {
	iommufd_aligned_u64 lvcmdq_err_map[2];
};

/* IOMMU_VEVENTQ_ALLOC: an event queue of one type on a vIOMMU, and its fd. */
struct iommu_veventq_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

/* IOMMU_HW_QUEUE_ALLOC: a guest queue at a nesting-parent IOVA. */
struct iommu_hw_queue_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t index;
	uint32_t out_hw_queue_id;
	iommufd_aligned_u64 nesting_parent_iova;
	iommufd_aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/*
 * The first published size of each struct (the end of its last field in
 * the first version): a caller's size below it is -EINVAL.
 */
#define IOMMUFD_DESTROY_MIN_SIZE		8
#define IOMMUFD_IOAS_ALLOC_MIN_SIZE		12
#define IOMMUFD_IOAS_ALLOW_IOVAS_MIN_SIZE	24
#define IOMMUFD_IOAS_COPY_MIN_SIZE		40
#define IOMMUFD_IOAS_IOVA_RANGES_MIN_SIZE	32
#define IOMMUFD_IOAS_MAP_MIN_SIZE		40
#define IOMMUFD_IOAS_UNMAP_MIN_SIZE		24
#define IOMMUFD_OPTION_MIN_SIZE			24
#define IOMMUFD_VFIO_IOAS_MIN_SIZE		12
#define IOMMUFD_HWPT_ALLOC_MIN_SIZE		24
#define IOMMUFD_GET_HW_INFO_MIN_SIZE		32
#define IOMMUFD_HWPT_SET_DIRTY_TRACKING_MIN_SIZE 16
#define IOMMUFD_HWPT_GET_DIRTY_BITMAP_MIN_SIZE	48
#define IOMMUFD_HWPT_INVALIDATE_MIN_SIZE	32
#define IOMMUFD_FAULT_QUEUE_ALLOC_MIN_SIZE	16
#define IOMMUFD_IOAS_MAP_FILE_MIN_SIZE		40
#define IOMMUFD_VIOMMU_ALLOC_MIN_SIZE		24
#define IOMMUFD_VDEVICE_ALLOC_MIN_SIZE		24
#define IOMMUFD_IOAS_CHANGE_PROCESS_MIN_SIZE	8
#define IOMMUFD_VEVENTQ_ALLOC_MIN_SIZE		32
#define IOMMUFD_HW_QUEUE_ALLOC_MIN_SIZE		40

#ifdef __cplusplus
}
#endif
#endif /* _UAPI_IOMMUFD_H */
#endif /* SIOMMU_IOMMUFD_ABI_H */
