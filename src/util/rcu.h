/* SPDX-License-Identifier: MIT */
/*
 * RCU for the library (internal).
 *
 * Readers: any thread, no registration by the caller (the first read-side
 * section of a thread registers it; a thread-exit destructor unregisters
 * it). Sections nest. siommu_synchronize_rcu() returns once every section
 * that began before it has ended; it must not be called inside a section.
 *
 * Why not liburcu's urcu-bp, which has the same contract: its grace-period
 * wait polls a busy reader about a hundred times and then sleeps 10 ms
 * (poll(NULL, 0, 10)) before looking again. Grace periods sit on the VT-d
 * model's invalidation wait, which every strict unmap and every lazy flush
 * waits for; with another thread in and out of read-side sections (a second
 * mapping thread, a device doing DMA), a measurable fraction of waits took
 * 10 ms and the mean wait went from ~1 us to 70-110 us. The urcu-memb
 * flavour sleeps on a futex instead, which was worse still here (mean 35 us,
 * worst 37 ms), and it needs threads registered by hand. Waits here spin,
 * then yield, and never sleep on a timer: a read-side section is a table
 * walk or a DMA burst, microseconds at most.
 *
 * The algorithm is liburcu's asymmetric one. Each reader has a word, ctr:
 * 0 outside sections, else the grace-period counter it saw when its
 * outermost section began. A writer issues one process-wide memory barrier
 * (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): every running thread of
 * the process executes a full barrier), advances the counter to S, and waits
 * for every reader whose ctr is non-zero and below S. A reader whose ctr
 * store comes after that barrier also reads the data after it, so it cannot
 * reach what the writer unlinked before calling; one whose store came before
 * is seen and waited for. The reader's only cost is a thread-local load,
 * two plain stores and a compiler barrier. Without membarrier (old kernels,
 * valgrind), readers issue a full fence instead.
 *
 * ThreadSanitizer does not understand the asymmetric barrier, so under TSan
 * each read-side unlock releases, and each grace period acquires, one token:
 * the happens-before edge RCU guarantees between "a reader finished with an
 * object" and "the updater frees it". Elsewhere the annotations compile away.
 */
#ifndef SIOMMU_UTIL_RCU_H
#define SIOMMU_UTIL_RCU_H

#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

#if defined(__SANITIZE_THREAD__)
#define SIOMMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIOMMU_TSAN 1
#endif
#endif

/*
 * One thread's reader state, in its static TLS (initial-exec: one
 * segment-relative access; 64 bytes fit the surplus glibc keeps for
 * libraries loaded with dlopen). ctr is written by its thread only and read
 * by writers (atomics); nest and registered are the thread's own (set by
 * its first section); the links belong to the registry (rcu.c, under its
 * lock), written by other threads as they join and leave.
 */
struct rcu_reader {
	uint64_t ctr;
	unsigned int nest;
	bool registered;
	struct rcu_reader *next, **pprev;
} __attribute__((aligned(64)));

extern __thread struct rcu_reader rcu_me __attribute__((tls_model("initial-exec")));
extern uint64_t rcu_gp;		/* grace-period counter, from 1 */
extern bool rcu_reader_fence;	/* no membarrier: readers fence */

void rcu_register(void);

static inline_hot void siommu_rcu_read_lock(void)
{
	if (unlikely(!rcu_me.registered))
		rcu_register();
	if (rcu_me.nest++)
		return;
	__atomic_store_n(&rcu_me.ctr, __atomic_load_n(&rcu_gp, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELAXED);
	/* The ctr store before the section's loads: the writer's membarrier
	 * supplies the other half, or this fence does. */
	if (unlikely(READ_ONCE(rcu_reader_fence)))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline_hot void siommu_rcu_read_unlock(void)
{
#ifdef SIOMMU_TSAN
	{
		extern char siommu_rcu_tsan_token;
		void __tsan_release(void *addr);

		__tsan_release(&siommu_rcu_tsan_token);
	}
#endif
	if (--rcu_me.nest)
		return;
	/* Release: the section's accesses before the writer sees it end. */
	__atomic_store_n(&rcu_me.ctr, 0, __ATOMIC_RELEASE);
}

void siommu_synchronize_rcu(void);

/* An RCU-protected pointer, read inside a section (acquire stands in for
 * consume, as compilers implement it anyway); writers publish with a
 * release store. */
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)

#endif
