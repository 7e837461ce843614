/* SPDX-License-Identifier: MIT */
/*
 * What every model's MMIO entry points accept: an access of 4 or 8 bytes,
 * naturally aligned, inside the register window of @window bytes. The
 * three architectures define 32- and 64-bit register accesses only.
 */
#ifndef SIOMMU_HW_COMMON_MMIO_H
#define SIOMMU_HW_COMMON_MMIO_H

#include <stdbool.h>
#include <stdint.h>

static inline bool mmio_access_ok(uint64_t off, unsigned int size, uint64_t window)
{
	return (size == 4 || size == 8) && !(off & (size - 1)) && off < window;
}

#endif
