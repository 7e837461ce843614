/* SPDX-License-Identifier: MIT */
/*
 * The CPU the caller runs on, as an index hint for per-CPU structures
 * (internal).
 */
#ifndef SIOMMU_UTIL_CPU_H
#define SIOMMU_UTIL_CPU_H

#include <sched.h>

#include "util/compiler.h"

#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define SIOMMU_HAVE_RSEQ 1
#endif

/*
 * glibc (2.35+) registers an rseq area for every thread, where the kernel
 * keeps the current CPU; reading it directly is what sched_getcpu() does,
 * without the call. Any answer must be correct for the caller (its per-CPU
 * structures are locked), a stale one only slower.
 */
static inline unsigned int this_cpu(void)
{
	int cpu;

#ifdef SIOMMU_HAVE_RSEQ
	if (likely(__rseq_size)) {
		const struct rseq *rs = (const struct rseq *)
			((char *)__builtin_thread_pointer() + __rseq_offset);

		cpu = (int)READ_ONCE(rs->cpu_id);
		if (likely(cpu >= 0))
			return (unsigned int)cpu;
	}
#endif
	cpu = sched_getcpu();
	return cpu < 0 ? 0 : (unsigned int)cpu;
}

#endif
