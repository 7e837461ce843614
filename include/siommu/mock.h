/* SPDX-License-Identifier: MIT */
/*
 * siommu/mock.h - the mock IOMMU unit: the unit Linux's iommufd selftest
 * (CONFIG_IOMMUFD_TEST) drives, with no hardware model behind it, so that
 * iommufd's test interface (IOMMU_TEST_CMD, siommu/iommufd.h) and suites
 * written against Linux's selftest run unchanged.
 *
 * Concepts
 * --------
 * A mock unit (siommu_unit_add_mock()) is a unit of a core context like
 * any other: devices are added behind it, domains allocated on it and
 * attached at a RID or a RID+PASID through the core. What it lacks is a
 * table in simulated memory that a model walks: a mock paging domain's
 * table is the driver's own, a radix of mock pages of 2 KiB
 * (SIOMMU_MOCK_PAGE_SIZE) over the aperture [1 << 24, 2^31 - 1]. A mock
 * page is smaller than any page the core's table formats have, which is
 * why it is no format of siommu/pt.h: the core hands such a domain's maps,
 * unmaps and dirty reads to the driver (src/core/iommu_ops.h), and
 * siommu_domain_pt() is NULL for it. A domain made for a mock device
 * (siommu_domain_cfg.dev) maps pages of 2 KiB only, unless the device is
 * SIOMMU_MOCK_DEV_HUGE_IOVA, as Linux's mock fits its domains to their
 * device; one made for no device offers both sizes, as may one narrowed
 * by cfg.pgsize_bitmap. A domain with huge pages maps each 1 MiB of a
 * map whose IOVA and address are both 1 MiB aligned with a huge leaf: one
 * entry for its 512 mock pages, with one dirty bit. A device's write to
 * any of its mock pages dirties the leaf, and reading the dirty marks
 * reports the leaf's every mock page (within the range read) and clears
 * the leaf. Unmapping part of a huge leaf splits it first: its other mock
 * pages stay mapped as small leaves, each dirty if the huge leaf was.
 * Nothing translates through a mock domain: its mappings are read back
 * with siommu_mock_domain_iova_to_phys().
 *
 * Nested mock domains (data type SIOMMU_HWPT_DATA_SELFTEST over a mock
 * paging domain) hold a virtual IOTLB of 4 entries, set to the value the
 * user gives and cleared by the user's invalidations; each mock device
 * holds a cache of 4 entries (SIOMMU_MOCK_DEV_CACHE_DEFAULT) that
 * vIOMMU-wide invalidations of a SIOMMU_VIOMMU_TYPE_SELFTEST vIOMMU
 * clear. PASID-capable mock devices have 20-bit PASIDs; attaching PASID
 * SIOMMU_MOCK_PASID_RESERVED makes the next attach there (a replace)
 * fail with -ENOMEM once, so that callers can test their rollback.
 *
 * Neither the DMA API nor SVA take a mock unit (-EOPNOTSUPP): nothing can
 * DMA through it.
 *
 * Concurrency: every call may run concurrently with the core's calls on
 * the same objects; a domain's table has a lock of its own.
 */
#ifndef SIOMMU_MOCK_H
#define SIOMMU_MOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <siommu/core.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIOMMU_MOCK_PAGE_SIZE		2048ull
#define SIOMMU_MOCK_HUGE_PAGE_SIZE	(512 * SIOMMU_MOCK_PAGE_SIZE)
#define SIOMMU_MOCK_APERTURE_START	(1ull << 24)
#define SIOMMU_MOCK_APERTURE_LAST	((1ull << 31) - 1)
#define SIOMMU_MOCK_PASID_WIDTH		20
#define SIOMMU_MOCK_PASID_RESERVED	1024

/* Mock device flags (Linux: MOCK_FLAGS_DEVICE_*). */
#define SIOMMU_MOCK_DEV_NO_DIRTY	(1u << 0)	/* no dirty tracking */
#define SIOMMU_MOCK_DEV_HUGE_IOVA	(1u << 1)	/* its domains map huge leaves */
#define SIOMMU_MOCK_DEV_PASID		(1u << 2)	/* 20-bit PASIDs */

/* Hardware info (GET_HW_INFO): type and payload. */
#define SIOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define SIOMMU_MOCK_TEST_REG		0xdeadbeef
struct siommu_mock_hw_info {
	uint32_t flags;			/* 0 */
	uint32_t test_reg;		/* SIOMMU_MOCK_TEST_REG */
};

/* Nested mock domains: driver data and invalidation. */
#define SIOMMU_HWPT_DATA_SELFTEST	0xdead
#define SIOMMU_MOCK_IOTLB_DEFAULT	0xbadbeef
#define SIOMMU_MOCK_NR_IOTLB		4
struct siommu_hwpt_selftest {
	uint32_t iotlb;			/* every IOTLB entry starts so */
};
#define SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST		0xdeadbeef
#define SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID	0xdadbeef
#define SIOMMU_MOCK_INVALIDATE_FLAG_ALL			(1u << 0)
struct siommu_hwpt_invalidate_selftest {
	uint32_t flags;			/* SIOMMU_MOCK_INVALIDATE_FLAG_ALL */
	uint32_t iotlb_id;		/* < SIOMMU_MOCK_NR_IOTLB */
};

/* Mock vIOMMUs, their event queues and device caches. */
#define SIOMMU_VIOMMU_TYPE_SELFTEST		0xdeadbeef
#define SIOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST	0xdeadbeef
#define SIOMMU_MOCK_DEV_CACHE_DEFAULT		0xbaddad
#define SIOMMU_MOCK_NR_DEV_CACHE		4
/* The vEVENTQ type of a mock vIOMMU, whose events carry the vDEVICE's
 * virtual ID (iommufd's IOMMU_TEST_OP_TRIGGER_VEVENT posts them). */
#define SIOMMU_VEVENTQ_TYPE_SELFTEST		0xbeefbeef
struct siommu_viommu_event_selftest {
	uint32_t virt_id;
};
struct siommu_viommu_invalidate_selftest {
	uint32_t flags;			/* SIOMMU_MOCK_INVALIDATE_FLAG_ALL */
	uint32_t vdev_id;		/* the device's virtual ID */
	uint32_t cache_id;		/* < SIOMMU_MOCK_NR_DEV_CACHE */
};
/* The HW queue type of a mock vIOMMU (HW_QUEUE_ALLOC), as Linux's mock:
 * indexes below SIOMMU_MOCK_NR_HW_QUEUE, allocated in index order (queue
 * i needs queue i - 1: -EIO) and destroyed in reverse. */
#define SIOMMU_HW_QUEUE_TYPE_SELFTEST		0xdeadbeef
#define SIOMMU_MOCK_NR_HW_QUEUE			2

/*
 * siommu_unit_add_mock - add a mock unit to @ctx: 20-bit PASIDs, page
 * requests, dirty tracking, nesting and vIOMMUs of the selftest's types.
 * Returns 0, -EINVAL, -ENOSPC (the context's units are full), -ENOMEM.
 */
int siommu_unit_add_mock(struct siommu_ctx *ctx, struct siommu_unit **out);

/*
 * siommu_mock_device_add - add a mock device at @rid behind mock unit
 * @unit, with SIOMMU_MOCK_DEV_* @flags; it issues page requests
 * (siommu_mock_page_request()). Remove it with siommu_device_remove().
 * Returns 0, -EINVAL (not a mock unit, unknown flags), -EEXIST (@rid is
 * taken), -ENOMEM.
 */
int siommu_mock_device_add(struct siommu_unit *unit, uint16_t rid, unsigned int flags,
			   struct siommu_device **out);

/*
 * siommu_mock_domain_iova_to_phys - what mock paging domain @dom maps
 * @iova to: *pa (the byte's address). Returns 0, -ENOENT (not mapped),
 * -EINVAL (not a mock paging domain).
 */
int siommu_mock_domain_iova_to_phys(struct siommu_domain *dom, uint64_t iova, uint64_t *pa);

/*
 * siommu_mock_domain_set_dirty - a device wrote [iova, iova + length) of
 * mock paging domain @dom: mark its mapped mock pages dirty; *nr (optional)
 * gets how many are mapped there. Returns 0, -EINVAL (not a mock paging
 * domain, or a range that wraps).
 */
int siommu_mock_domain_set_dirty(struct siommu_domain *dom, uint64_t iova, uint64_t length,
				 uint64_t *nr);

/*
 * siommu_mock_domain_iotlb - entry @idx of nested mock domain @dom's
 * IOTLB into *val. Returns 0, -EINVAL (not one, or @idx out of range).
 */
int siommu_mock_domain_iotlb(struct siommu_domain *dom, unsigned int idx, uint32_t *val);

/*
 * siommu_mock_device_cache - entry @idx of mock device @dev's cache into
 * *val. Returns 0, -EINVAL (not a mock device, or @idx out of range).
 */
int siommu_mock_device_cache(struct siommu_device *dev, unsigned int idx, uint32_t *val);

/*
 * siommu_mock_page_request - mock device @dev issues the page request
 * group of one request (last of its group) at @addr with @grpid, for
 * @pasid (SIOMMU_MOCK_NO_PASID: untagged), reading and/or writing
 * (@write, @read); it reaches the device's owner or the core's page-fault
 * path as a unit's page requests do, and the answer is discarded. A
 * mock unit's nested domain owns its device's PASID table, as Linux's
 * mock driver: a request tagged with a PASID the device has not attached
 * (any PASID of the unit's 20 bits, whatever the device's width) goes to
 * the nested domain attached at its RID, if any.
 * Returns 0, -EINVAL (not a mock device, @pasid beyond 20 bits, neither
 * read nor write).
 */
#define SIOMMU_MOCK_NO_PASID UINT32_MAX
int siommu_mock_page_request(struct siommu_device *dev, uint32_t pasid, uint16_t grpid,
			     bool read, bool write, uint64_t addr);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_MOCK_H */
