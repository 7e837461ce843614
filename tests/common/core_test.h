/* SPDX-License-Identifier: MIT */
/*
 * Helpers for tests of the OS half (siommu/core.h).
 */
#ifndef SIOMMU_TEST_CORE_H
#define SIOMMU_TEST_CORE_H

#include <siommu/core.h>

#include "test.h"

/* A device at @rid behind @unit with @pasid_bits and @flags, no alias. */
static inline struct siommu_device *test_dev_add(struct siommu_unit *unit, uint16_t rid,
						 unsigned int pasid_bits, unsigned int flags)
{
	struct siommu_device *dev;

	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = rid, .pasid_bits = pasid_bits, .flags = flags,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev));
	return dev;
}

/* PASID hooks that do nothing: for tests of the calls around them. */
static inline void test_nop_install(void *arg, struct siommu_device *dev, uint32_t pasid,
				    struct siommu_domain *dom,
				    const struct siommu_pasid_table *t)
{
	(void)arg, (void)dev, (void)pasid, (void)dom, (void)t;
}

static inline void test_nop_remove(void *arg, struct siommu_device *dev, uint32_t pasid,
				   struct siommu_domain *dom)
{
	(void)arg, (void)dev, (void)pasid, (void)dom;
}

static const struct siommu_pasid_hooks test_nop_hooks = {
	.install_pasid = test_nop_install, .remove_pasid = test_nop_remove,
};

#endif
