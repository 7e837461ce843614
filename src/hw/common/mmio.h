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

#include "util/compiler.h"

static inline bool mmio_access_ok(uint64_t off, unsigned int size, uint64_t window)
{
	return (size == 4 || size == 8) && !(off & (size - 1)) && off < window;
}

/*
 * mmio_read_compose - what an MMIO read of @size bytes at @off (an access
 * mmio_access_ok() accepted) returns from a file of 32- and 64-bit
 * registers. @rd64 says whether the 8-byte word at @base is one 64-bit
 * register, giving its value: a 4-byte read gets the half at @off. Any
 * other word holds two 32-bit registers, which @rd32 reads: an 8-byte read
 * gets both, the one at @off in the low half (VT-d 10.2, SMMUv3 6.2: a
 * 64-bit access to two 32-bit registers is two accesses, the lower address
 * first). @rd64 and @rd32 are the caller's constants, inlined; the caller
 * holds what they need.
 */
static inline_hot uint64_t mmio_read_compose(void *ctx, uint64_t off, unsigned int size,
					     bool (*rd64)(void *ctx, uint64_t base, uint64_t *val),
					     uint32_t (*rd32)(void *ctx, uint64_t off))
{
	uint64_t r;

	if (rd64(ctx, off & ~7ull, &r))
		return size == 4 ? (uint32_t)(r >> ((off & 4) * 8)) : r;
	if (size == 8)
		return rd32(ctx, off) | (uint64_t)rd32(ctx, off + 4) << 32;
	return rd32(ctx, off);
}

#endif
