/* SPDX-License-Identifier: MIT */
/*
 * A model's DMA, shared by the models (internal): where a translated
 * piece lies in the host, and the copies a DMA read or write makes of
 * each piece. A model walks the request page by page inside its
 * translation read-side section, and reopens the section every
 * DMA_PIECES_PER_SECTION pieces so that an invalidation wait (a VT-d wait
 * descriptor, an SMMUv3 CMD_SYNC) is not held off for a whole transfer.
 */
#ifndef SIOMMU_HW_COMMON_DMA_H
#define SIOMMU_HW_COMMON_DMA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem/mem_internal.h"
#include "util/compiler.h"

#define DMA_PIECES_PER_SECTION 16

/* Host pointer for [pa, pa + len): the frame pool without a lookup, any
 * other RAM region through one; NULL across a hole or a region's end. */
static inline_hot void *dma_host(struct siommu_mem *mem, uint64_t pa, uint64_t len)
{
	uint64_t off = pa - mem->pool.base;

	if (likely(off < mem->pool.size && len <= mem->pool.size - off))
		return mem->pool.host + off;
	return siommu_mem_host(mem, pa, len);
}

/* A DMA read's piece: the host bytes at @host into the caller's buffer
 * @arg at @off. */
static inline int dma_copy_out(void *arg, void *host, size_t n, size_t off)
{
	memcpy((char *)arg + off, host, n);
	return 0;
}

/* A DMA write's piece: the caller's bytes at @arg + @off into @host. */
static inline int dma_copy_in(void *arg, void *host, size_t n, size_t off)
{
	memcpy(host, (const char *)arg + off, n);
	return 0;
}

#endif
