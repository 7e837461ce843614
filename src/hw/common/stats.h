/* SPDX-License-Identifier: MIT */
/*
 * The models' counters (internal, shared by the models).
 *
 * Counters are striped by thread, without thread-local storage: threads
 * run on different stacks (megabytes apart), so the stack address selects
 * a stripe and threads mostly count in lines of their own. A plain load
 * and store, not a locked add, keeps counting as cheap as a cache hit; two
 * threads that hash to the same stripe can lose counts, never add any.
 * (sched_getcpu() would stripe by CPU but costs as much as a cache hit.)
 *
 * A model keeps HW_STRIPES stripes, each a 64-byte aligned struct of its
 * own enum's counters, and sums them with hw_count_sum() when asked.
 */
#ifndef SIOMMU_HW_COMMON_STATS_H
#define SIOMMU_HW_COMMON_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"
#include "util/rcu.h"	/* SIOMMU_TSAN */

#define HW_STRIPES 16

/* The calling thread's stripe, 0 .. HW_STRIPES - 1. */
static inline_hot unsigned int hw_stripe(void)
{
	uintptr_t sp;

#if defined(__x86_64__)
	/* The stack pointer itself: __builtin_frame_address() forces a frame
	 * pointer on every caller, the hit paths included. */
	__asm__("mov %%rsp, %0" : "=r"(sp));
#else
	sp = (uintptr_t)__builtin_frame_address(0);
#endif
	/* Default thread stacks are 8M apart: bit 23 up tells them apart. */
	return (unsigned int)((sp >> 23) % HW_STRIPES);
}

/* Add @n to the counter *@c of the caller's stripe. */
static inline_hot void hw_count_add(uint64_t *c, uint64_t n)
{
#if defined(__x86_64__) && !defined(SIOMMU_TSAN)
	/* The unlocked load and store below as one add to memory (compilers
	 * do not fuse atomic loads and stores); an aligned 8-byte access is
	 * single-copy atomic, so readers never see a torn count. Sanitizer
	 * builds keep the atomics, which they can see. */
	__asm__("addq %1, %0" : "+m"(*c) : "er"(n));
#else
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
#endif
}

/* @sum[0 .. @n) = the counters 0 .. @n - 1 summed over the HW_STRIPES
 * stripes of @size bytes from @stripes. Any thread: counts in flight may
 * be missed. */
static inline void hw_count_sum(const void *stripes, size_t size, unsigned int n,
				uint64_t *sum)
{
	unsigned int i, j;

	for (j = 0; j < n; j++)
		sum[j] = 0;
	for (i = 0; i < HW_STRIPES; i++) {
		const uint64_t *c = (const uint64_t *)((const char *)stripes + i * size);

		for (j = 0; j < n; j++)
			sum[j] += __atomic_load_n(&c[j], __ATOMIC_RELAXED);
	}
}

#endif
