/* SPDX-License-Identifier: MIT */
/*
 * Memory for bad pointers, for the programs that check what a bad one
 * gives (prog.h's, using libc alone): the end of a writable page with an
 * unmapped page after it, and a read-only page. One program's, set up by
 * badmem_init().
 */
#ifndef SIOMMU_TESTS_PRELOAD_BADMEM_H
#define SIOMMU_TESTS_PRELOAD_BADMEM_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "prog.h"

#define PG 4096ul

static uint8_t *rw_end;		/* the end of a writable page, an unmapped one after */
static void *hole;		/* that unmapped page */
static uint8_t *ro;		/* a read-only page */

static inline void badmem_init(void)
{
	uint8_t *area = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(area != MAP_FAILED);
	CHECK(!munmap(area + PG, PG));
	CHECK(!mprotect(area + 2 * PG, PG, PROT_READ));
	rw_end = area + PG;
	hole = area + PG;
	ro = area + 2 * PG;
}

/* @n bytes of @src in the read-only page. */
static inline void *ro_copy(const void *src, size_t n)
{
	CHECK(!mprotect(ro, PG, PROT_READ | PROT_WRITE));
	memset(ro, 0, PG);
	memcpy(ro, src, n);
	CHECK(!mprotect(ro, PG, PROT_READ));
	return ro;
}

/* @n bytes of @src ending where the unmapped page starts. */
static inline void *at_end(const void *src, size_t n)
{
	memcpy(rw_end - n, src, n);
	return rw_end - n;
}

#endif
