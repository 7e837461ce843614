/* SPDX-License-Identifier: MIT */
/*
 * siommu/iommufd_test.h - the test interface of the /dev/iommu ABI:
 * IOMMU_TEST_CMD, its operations, and the mock IOMMU's driver data, under
 * the names of Linux's iommufd_test.h (CONFIG_IOMMUFD_TEST), so that a
 * suite written against Linux's iommufd selftest builds against this
 * header and siommu/iommufd_abi.h unchanged.
 *
 * IOMMU_TEST_CMD answers only on a context created in test mode
 * (siommu/iommufd.h: siommu_iommufd_cfg.test_unit; the preload shim's
 * SIOMMU_IOMMUFD_TEST=1); elsewhere it is -ENOTTY, as on a kernel built
 * without CONFIG_IOMMUFD_TEST. Its devices are mock devices behind a mock
 * unit (siommu/mock.h): 2 KiB pages (MOCK_PAGE_SIZE), the aperture
 * [MOCK_APERTURE_START, MOCK_APERTURE_LAST], 20-bit PASIDs.
 *
 * struct iommu_test_cmd: size, op (IOMMU_TEST_OP_*), id (the object the
 * op acts on), __reserved (0), a 48-byte union of the ops' arguments, and
 * a last u32; sizeof 72, first published size 68. An unknown op is
 * -EOPNOTSUPP.
 *
 * The dma-buf ops. DMABUF_GET makes a test dma-buf of @length bytes (1
 * to 16 MiB; -EINVAL otherwise, or for open_flags other than O_CLOEXEC)
 * and returns a new fd of it as the ioctl's result: a real fd (close,
 * dup, mmap, fstat work) that IOMMU_IOAS_MAP_FILE takes like a memfd's,
 * in the context that made it. DMABUF_REVOKE (-EBADF: no fd; -EINVAL:
 * not a dma-buf of this context) revokes it, as its exporter would: every
 * area mapping it loses its IOPTEs in every domain (the device's DMA
 * there faults; the areas stay, to be unmapped; accesses pinning there
 * are asked to unpin, as for an unmap), and from then on
 * MAP_FILE of it, COPY of such an area, and accesses through such an
 * area (ACCESS_RW, ACCESS_PAGES) are -ENODEV; revoked 0 restores it for
 * new maps, not the areas it lost. MD_CHECK_DMABUF checks that mock
 * domain @id maps [iova, iova + length) to bytes [offset, offset +
 * length) of the dma-buf (-EINVAL otherwise, or for ranges not aligned to
 * MOCK_PAGE_SIZE or beyond the buffer; -ENOENT: no such domain).
 */
#ifndef _IOMMUFD_TEST_H
#define _IOMMUFD_TEST_H

#include <stdint.h>

#include <siommu/iommufd_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
	IOMMU_TEST_OP_DEV_CHECK_CACHE,
	IOMMU_TEST_OP_TRIGGER_VEVENT,
	IOMMU_TEST_OP_PASID_ATTACH,
	IOMMU_TEST_OP_PASID_REPLACE,
	IOMMU_TEST_OP_PASID_DETACH,
	IOMMU_TEST_OP_PASID_CHECK_HWPT,
	IOMMU_TEST_OP_DMABUF_GET,
	IOMMU_TEST_OP_DMABUF_REVOKE,
	IOMMU_TEST_OP_MD_CHECK_DMABUF,
};

enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

#define MOCK_PAGE_SIZE 2048
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_PAGE_SIZE)

enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,	/* domains map 1 MiB leaves */
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* Attaching this PASID arms a -ENOMEM for the next attach there. */
#define IOMMU_TEST_PASID_RESERVED 1024

struct iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	union {
		struct {
			iommufd_aligned_u64 start;
			iommufd_aligned_u64 length;
		} add_reserved;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;	/* the DEVICE object */
		} mock_domain;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
			uint32_t dev_flags;	/* MOCK_FLAGS_DEVICE_* */
		} mock_domain_flags;
		struct {
			uint32_t pt_id;
		} mock_domain_replace;
		struct {
			iommufd_aligned_u64 iova;
			iommufd_aligned_u64 length;
			iommufd_aligned_u64 uptr;
		} check_map;
		struct {
			iommufd_aligned_u64 length;
			iommufd_aligned_u64 uptr;
			uint32_t refs;
		} check_refs;
		struct {
			uint32_t out_access_fd;
			uint32_t flags;
		} create_access;
		struct {
			uint32_t access_pages_id;
		} destroy_access_pages;
		struct {
			uint32_t flags;
			uint32_t out_access_pages_id;
			iommufd_aligned_u64 iova;
			iommufd_aligned_u64 length;
			iommufd_aligned_u64 uptr;
		} access_pages;
		struct {
			iommufd_aligned_u64 iova;
			iommufd_aligned_u64 length;
			iommufd_aligned_u64 uptr;
			uint32_t flags;
		} access_rw;
		struct {
			uint32_t limit;
		} memory_limit;
		struct {
			uint32_t ioas_id;
		} access_replace_ioas;
		struct {
			uint32_t flags;
			iommufd_aligned_u64 iova;
			iommufd_aligned_u64 length;
			iommufd_aligned_u64 page_size;
			iommufd_aligned_u64 uptr;
			iommufd_aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			uint32_t id;
			uint32_t iotlb;
		} check_iotlb;
		struct {
			uint32_t dev_id;
			uint32_t pasid;
			uint32_t grpid;
			uint32_t perm;
			uint64_t addr;
		} trigger_iopf;
		struct {
			uint32_t id;
			uint32_t cache;
		} check_dev_cache;
		struct {
			uint32_t dev_id;
		} trigger_vevent;
		struct {
			uint32_t pasid;
			uint32_t pt_id;		/* @id is the stdev */
		} pasid_attach;
		struct {
			uint32_t pasid;
			uint32_t pt_id;
		} pasid_replace;
		struct {
			uint32_t pasid;
		} pasid_detach;
		struct {
			uint32_t pasid;
			uint32_t hwpt_id;
		} pasid_check;
		struct {
			uint32_t length;
			uint32_t open_flags;	/* O_CLOEXEC or 0 */
		} dmabuf_get;
		struct {
			int32_t dmabuf_fd;
			uint32_t revoked;	/* 0: restore */
		} dmabuf_revoke;
		struct {
			int32_t dmabuf_fd;
			uint32_t __reserved;
			iommufd_aligned_u64 offset;
			iommufd_aligned_u64 iova;
			iommufd_aligned_u64 length;
		} check_dmabuf;
	};
	uint32_t last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)
#define IOMMUFD_TEST_CMD_MIN_SIZE 68

/* GET_HW_INFO of a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef
struct iommu_test_hw_info {
	uint32_t flags;
	uint32_t test_reg;
};

/* Nested mock HWPTs (IOMMU_HWPT_ALLOC data) and their invalidation. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad
struct iommu_hwpt_selftest {
	uint32_t iotlb;
};

#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)
struct iommu_hwpt_invalidate_selftest {
	uint32_t flags;
	uint32_t iotlb_id;
};

/* Mock vIOMMUs and their event queues. */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef
struct iommu_viommu_event_selftest {
	uint32_t virt_id;
};
/* The mock vIOMMU's driver data (IOMMU_VIOMMU_ALLOC's data_uptr, at
 * least through out_data): out_data echoes in_data, and the vIOMMU
 * reports a page for mmap() of the iommufd fd whose first word is
 * in_data. */
struct iommu_viommu_selftest {
	uint32_t in_data;
	uint32_t out_data;
	iommufd_aligned_u64 out_mmap_offset;
	iommufd_aligned_u64 out_mmap_length;
};
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
/* Mock HW queues (IOMMU_HW_QUEUE_ALLOC's type): index 0 first, each
 * index needing the one before it, at most IOMMU_TEST_HW_QUEUE_MAX. */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2
struct iommu_viommu_invalidate_selftest {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};

#ifdef __cplusplus
}
#endif
#endif /* _IOMMUFD_TEST_H */
