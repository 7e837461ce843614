/* SPDX-License-Identifier: MIT */
/*
 * The machine behind the ABI tests: what a kernel and its drivers provide
 * around /dev/iommu and cannot be reached through its ioctls (devices
 * bound by a VFIO-like driver, attach, device DMA and page requests).
 * Built from the object model in abi_env.c, so that the tests themselves
 * include only the ABI header and the ioctl entry point.
 */
#ifndef SIOMMU_TEST_ABI_ENV_H
#define SIOMMU_TEST_ABI_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct siommu_iommufd;
struct abi_env;

#define ABI_ENV_NO_PASID_DEV 3	/* devices 0..2 have 20 PASID bits, 3 none */
#define ABI_ENV_PRI_DEV 4	/* PRI-capable, PASID-capable */

/* A unit of the type under test (SIOMMU_TEST_UNIT) with five devices
 * bound to a fresh context; @limit_pages may be pinned. Exits the test on
 * failure. */
struct abi_env *abi_env_create(uint64_t limit_pages);
/* The same with the context in test mode when @test_mode: a mock unit
 * beside the other, for IOMMU_TEST_CMD's mock devices. */
struct abi_env *abi_env_create_mode(uint64_t limit_pages, bool test_mode);
void abi_env_destroy(struct abi_env *e);
struct siommu_iommufd *abi_env_ictx(struct abi_env *e);
/* The DEVICE object ID of device @i. */
uint32_t abi_env_dev(struct abi_env *e, unsigned int i);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT of device @i's RID: *pt_id in, HWPT out. */
int abi_env_attach(struct abi_env *e, unsigned int i, uint32_t *pt_id);
/* DMA by device @i's RID at @iova: 0 or a negative errno. */
int abi_env_dma(struct abi_env *e, unsigned int i, uint64_t iova, void *buf, size_t len,
		bool write);
/* A page request of the PRI device's RID, group @grp. */
void abi_env_page_request(struct abi_env *e, uint16_t grp, uint64_t addr, bool last);
/* Page responses the PRI device received; *grp and *code the last one's
 * (code 0 success, 1 invalid, 2 failure, whatever the unit's encoding). */
unsigned int abi_env_responses(struct abi_env *e, uint16_t *grp, uint8_t *code);
/* The unit type under test, as GET_HW_INFO names it
 * (IOMMU_HW_INFO_TYPE_INTEL_VTD or IOMMU_HW_INFO_TYPE_ARM_SMMUV3): what
 * the driver-dependent answers depend on. */
uint32_t abi_env_hw_info_type(void);
/* Objects published in the context. */
uint32_t abi_env_objects(struct abi_env *e);

#endif
