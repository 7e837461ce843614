/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweeps for integrity tests (after iommufd's fail-nth).
 *
 * SWEEP(what, expr) runs @expr with fallible step n = 1, 2, ... failing
 * until it succeeds without reaching the armed step. Every failure must be
 * -ENOMEM (an allocation) or -ENOSPC (an ID space, such as a unit's domain
 * IDs, running out) and change nothing. NO_STEP(expr) checks that a
 * teardown call consumes no fallible step.
 *
 * The including test defines, before use: `mem` (the struct siommu_mem the
 * steps are counted on), MAX_STEPS, `struct snapshot` with snap() filling
 * one and same() comparing two, and a uint64_t `failures` counter.
 */
#ifndef SIOMMU_TEST_FAIL_NTH_H
#define SIOMMU_TEST_FAIL_NTH_H

#include <errno.h>
#include <inttypes.h>

#include "test.h"

#define SWEEP(what, expr)                                                  \
	do {                                                               \
		struct snapshot _before, _after;                           \
		uint64_t _n, _steps = 0;                                   \
		int _ret;                                                  \
                                                                           \
		for (_n = 1;; _n++) {                                      \
			CHECK(_n < MAX_STEPS);                             \
			snap(&_before);                                    \
			siommu_mem_fail_nth(mem, _n);                      \
			_ret = (expr);                                     \
			_steps = siommu_mem_fail_nth(mem, 0);              \
			if (!_ret)                                         \
				break;                                     \
			if (_ret != -ENOMEM && _ret != -ENOSPC)            \
				fprintf(stderr, "%s: step %" PRIu64 "\n",  \
					what, _n);                         \
			CHECK(_ret == -ENOMEM || _ret == -ENOSPC);         \
			snap(&_after);                                     \
			same(&_before, &_after);                           \
			failures++;                                        \
		}                                                          \
		CHECK(_steps < _n);                                        \
		fprintf(stderr, "  %-36s %" PRIu64 " fallible steps\n",    \
			what, _n - 1);                                     \
	} while (0)

/* Virtual size of the process in kB, or 0 where /proc is not available: a
 * leaked mapping of a frame pool (gigabytes) shows in it above malloc noise. */
static inline uint64_t test_vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %" SCNu64, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#define NO_STEP(expr)                                                      \
	do {                                                               \
		siommu_mem_fail_nth(mem, 1);                               \
		expr;                                                      \
		CHECK_EQ(siommu_mem_fail_nth(mem, 0), 0);                  \
	} while (0)

#endif
