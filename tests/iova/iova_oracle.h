/* SPDX-License-Identifier: MIT */
/*
 * Brute-force twin of the IOVA allocator for the tests: one byte per granule
 * of a small aperture, and the placement policy written as a plain scan from
 * the top (highest size-aligned fit at or below the limit).
 */
#ifndef SIOMMU_TEST_IOVA_ORACLE_H
#define SIOMMU_TEST_IOVA_ORACLE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <siommu/iova.h>

#include "test.h"

enum { ORC_FREE, ORC_ALLOC, ORC_RESERVED };

struct oracle {
	uint64_t start_pfn, npages;
	unsigned int shift;
	uint8_t *page;
};

static inline void oracle_init(struct oracle *o, uint64_t start, uint64_t size,
			       unsigned int shift)
{
	o->start_pfn = start >> shift;
	o->npages = size >> shift;
	o->shift = shift;
	o->page = calloc(o->npages, 1);
	CHECK(o->page);
}

static inline void oracle_fini(struct oracle *o)
{
	free(o->page);
}

/* Pages and alignment (in pages) the allocator's policy gives @size. */
static inline void oracle_shape(const struct oracle *o, uint64_t size,
				uint64_t *pages, uint64_t *align)
{
	uint64_t g = 1ull << o->shift, n = (size + g - 1) / g, p2 = 1;

	while (p2 < n)
		p2 <<= 1;
	if (n <= SIOMMU_IOVA_CACHE_MAX_SIZE)
		n = p2;
	if (p2 > (1ull << SIOMMU_IOVA_MAX_ALIGN_ORDER))
		p2 = 1ull << SIOMMU_IOVA_MAX_ALIGN_ORDER;
	*pages = n;
	*align = p2;
}

static inline bool oracle_range_is(const struct oracle *o, uint64_t pfn,
				   uint64_t n, int state)
{
	uint64_t i;

	if (pfn < o->start_pfn || pfn - o->start_pfn + n > o->npages)
		return false;
	for (i = 0; i < n; i++)
		if (o->page[pfn - o->start_pfn + i] != state)
			return false;
	return true;
}

static inline void oracle_set(struct oracle *o, uint64_t pfn, uint64_t n,
			      int state)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		o->page[pfn - o->start_pfn + i] = state;
}

/* Highest fit below @limit (inclusive byte address), or -ENOSPC. */
static inline int oracle_fit(const struct oracle *o, uint64_t size,
			     uint64_t limit, uint64_t *pfn)
{
	uint64_t n, align, top, a;
	uint64_t last_pfn = o->start_pfn + o->npages - 1;

	oracle_shape(o, size, &n, &align);
	if (limit < (1ull << o->shift) - 1)
		return -ENOSPC;
	top = (limit - ((1ull << o->shift) - 1)) >> o->shift;
	if (top > last_pfn)
		top = last_pfn;
	if (top + 1 < n)
		return -ENOSPC;
	for (a = (top + 1 - n) / align * align; a >= o->start_pfn; a -= align) {
		if (oracle_range_is(o, a, n, ORC_FREE)) {
			*pfn = a;
			return 0;
		}
		if (a < align)
			break;
	}
	return -ENOSPC;
}

#endif
