/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (internal), after iommufd's fail-nth.
 *
 * Every fallible step of the library calls should_fail() first. When a test
 * armed the countdown with siommu_mem_fail_nth(mem, n), the n-th step fails.
 * Unarmed, the check is one relaxed load and a predicted branch: the shipped
 * and tested libraries are the same code.
 */
#ifndef SIOMMU_UTIL_FAIL_H
#define SIOMMU_UTIL_FAIL_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

struct fail_nth {
	uint64_t countdown;	/* 0 = disarmed; atomics */
	uint64_t steps;		/* steps counted while armed */
};

bool fail_nth_slow(struct fail_nth *f);

static inline bool should_fail(struct fail_nth *f)
{
	if (likely(READ_ONCE(f->countdown) == 0))
		return false;
	return fail_nth_slow(f);
}

uint64_t fail_nth_arm(struct fail_nth *f, uint64_t n);

#endif
