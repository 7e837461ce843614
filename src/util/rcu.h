/* SPDX-License-Identifier: MIT */
/*
 * RCU for the library (internal).
 *
 * Readers: any thread, no registration by the caller (the first read-side
 * section of a thread registers it; a thread-exit destructor unregisters
 * it). Sections nest. A grace period returns once every section that began
 * before it has ended; it must not be waited for inside a section.
 *
 * Domains. Each RCU domain has its own readers. The library's domain
 * (siommu_rcu_*) is the general one, and its grace periods wait for the
 * readers of every domain. A hardware model has its own for its
 * translations (src/hw/vtd), so that a model's invalidation wait, which
 * only needs the translations in flight to finish, waits for just those.
 * A grace period skips the process-wide barrier below when no other live
 * thread has read in the domains it covers.
 *
 * A domain's readers may instead fence after their ctr store: its grace
 * periods then need no barrier, and never interrupt other CPUs. The VT-d
 * model's domain does this adaptively (RCU_FENCE_ADAPTIVE), because its
 * grace periods are invalidation waits: back to back under strict unmaps
 * and lazy flushes, rare when a device only does DMA. Measured on this
 * VM: the fence adds ~8.5 ns to a section (~15 ns right after a 4K copy,
 * whose stores it must drain); the barrier, with another of our threads
 * running, took ~25 us (an inter-processor interrupt a virtual CPU must
 * take), and a thread that has ever done DMA stays a reader. So readers
 * fence while grace periods come often (RCU_BUSY_GPS in a row, each within
 * RCU_BUSY_GAP_NS of the last: the barriers would cost their writer a
 * large share of its time), and stop once none has come for RCU_QUIET_NS.
 *
 * Switching. d->fence is what readers test; only the domain's gp_lock
 * holder changes it. Turning it on takes effect at the end of the grace
 * period that turns it on, which still issues the barrier: a section that
 * skipped the fence began before that barrier (and is waited for), and
 * every later one loads fence after the barrier and fences. From then on
 * (fence_sure) grace periods issue a plain fence, which pairs with the
 * readers'. Turning it off clears fence_sure, so the next grace period
 * issues the barrier again. A fencing reader checks every 65536 sections
 * whether the domain has gone quiet and, if it can take gp_lock without
 * waiting, turns the fence off itself: otherwise a burst of invalidations
 * would leave readers fencing until the next one.
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
 * the loads of the grace-period counter and of the domain's fence flag (one
 * cache line, read-mostly), two plain stores and a compiler barrier.
 * Without membarrier (old kernels, valgrind), readers issue a full fence
 * instead.
 *
 * ThreadSanitizer does not understand the asymmetric barrier, so under TSan
 * each read-side unlock releases, and each grace period acquires, its
 * domain's token: the happens-before edge RCU guarantees between "a reader
 * finished with an object" and "the updater frees it". Elsewhere the
 * annotations compile away.
 */
#ifndef SIOMMU_UTIL_RCU_H
#define SIOMMU_UTIL_RCU_H

#include <pthread.h>
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

#ifdef SIOMMU_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define RCU_TSAN_RELEASE(d) __tsan_release(&(d).tsan_token)
#else
#define RCU_TSAN_RELEASE(d) ((void)0)
#endif

struct rcu_domain;

/*
 * One thread's reader state in one domain, in its static TLS
 * (initial-exec: one segment-relative access; 64 bytes a domain fit the
 * surplus glibc keeps for libraries loaded with dlopen). ctr is written by
 * its thread only and read by writers (atomics); nest and registered are
 * the thread's own (set by its first section); the links belong to the
 * domain's registry (rcu.c, under its lock), written by other threads as
 * they join and leave.
 */
struct rcu_reader {
	uint64_t ctr;
	unsigned int nest;
	uint16_t fenced;	/* fenced sections, mod 65536 */
	bool registered;
	struct rcu_domain *dom;
	pthread_t owner;
	struct rcu_reader *next, **pprev;
} __attribute__((aligned(64)));

enum rcu_fence_policy {
	RCU_FENCE_NEVER,	/* grace periods issue the barrier */
	RCU_FENCE_ALWAYS,	/* readers fence */
	RCU_FENCE_ADAPTIVE,	/* readers fence while grace periods are frequent */
};

/* A domain; see rcu.c for its locks. Define with RCU_DOMAIN_INIT. */
struct rcu_domain {
	uint64_t gp;			/* grace-period counter, from 1 */
	uint32_t fence;			/* atomic: readers fence; see above */
	enum rcu_fence_policy policy;
	pthread_mutex_t gp_lock;
	bool fence_sure;		/* gp_lock: every running section fences */
	unsigned int busy;		/* gp_lock: quick grace periods in a row */
	uint64_t last_gp_ns;		/* atomic; written under gp_lock */
	uint64_t barriers;		/* atomic: its grace periods' barriers */
	pthread_mutex_t reg_lock;
	struct rcu_reader *readers;
	pthread_key_t key;
	bool key_ready;			/* reg_lock */
	bool listed;			/* in rcu.c's list of domains */
	char tsan_token;		/* an address for TSan only */
};

#define RCU_DOMAIN_INIT_POLICY(p) { .gp = 1, .gp_lock = PTHREAD_MUTEX_INITIALIZER, \
				    .reg_lock = PTHREAD_MUTEX_INITIALIZER, .policy = (p), \
				    .fence = (p) == RCU_FENCE_ALWAYS, \
				    .fence_sure = (p) == RCU_FENCE_ALWAYS }
#define RCU_DOMAIN_INIT RCU_DOMAIN_INIT_POLICY(RCU_FENCE_NEVER)

/* Adaptive fencing (see above). */
#define RCU_BUSY_GPS		4
#define RCU_BUSY_GAP_NS		500000ull	/* 500 us */
#define RCU_QUIET_NS		10000000ull	/* 10 ms */

extern bool rcu_reader_fence;	/* no membarrier: readers fence */

void rcu_register(struct rcu_domain *d, struct rcu_reader *r);
/* A fencing reader's periodic check of an adaptive domain (see above). */
void rcu_fence_idle(struct rcu_domain *d);
/* A grace period of @d; rcu_main's covers every domain. */
void rcu_synchronize(struct rcu_domain *d);

/* Section entry and exit on thread-local reader @me of domain @d. */
#define RCU_READ_LOCK(me, d)							\
	do {									\
		if (unlikely(!(me).registered))					\
			rcu_register(&(d), &(me));				\
		if ((me).nest++ == 0) {						\
			__atomic_store_n(&(me).ctr,				\
					 __atomic_load_n(&(d).gp, __ATOMIC_ACQUIRE), \
					 __ATOMIC_RELAXED);			\
			/* The ctr store before the section's loads: the \
			 * writer's membarrier supplies the other half, \
			 * or this fence does. */				\
			__atomic_signal_fence(__ATOMIC_SEQ_CST);		\
			if (__atomic_load_n(&(d).fence, __ATOMIC_RELAXED) ||	\
			    unlikely(READ_ONCE(rcu_reader_fence))) {		\
				__atomic_thread_fence(__ATOMIC_SEQ_CST);	\
				if (unlikely(++(me).fenced == 0))		\
					rcu_fence_idle(&(d));			\
			}							\
		}								\
	} while (0)

/* Release: the section's accesses before a writer sees it end. */
#define RCU_READ_UNLOCK(me, d)							\
	do {									\
		RCU_TSAN_RELEASE(d);						\
		if (--(me).nest == 0)						\
			__atomic_store_n(&(me).ctr, 0, __ATOMIC_RELEASE);	\
	} while (0)

/* The library's domain. */
extern struct rcu_domain rcu_main;
extern __thread struct rcu_reader rcu_me __attribute__((tls_model("initial-exec")));

static inline_hot void siommu_rcu_read_lock(void)
{
	RCU_READ_LOCK(rcu_me, rcu_main);
}

static inline_hot void siommu_rcu_read_unlock(void)
{
	RCU_READ_UNLOCK(rcu_me, rcu_main);
}

static inline void siommu_synchronize_rcu(void)
{
	rcu_synchronize(&rcu_main);
}

/* An RCU-protected pointer, read inside a section (acquire stands in for
 * consume, as compilers implement it anyway); writers publish with a
 * release store. */
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)

#endif
