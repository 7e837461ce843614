/* SPDX-License-Identifier: MIT */
/*
 * RCU for the library (internal).
 *
 * Domains. An RCU domain is embedded in the object whose readers it tracks
 * (a memory's region array, a page table's levels, a hardware model's
 * translations) and set up with rcu_domain_init(). A grace period of a
 * domain returns once every section of that domain that began before it
 * has ended; it never waits for another domain's readers, so one context's
 * page-table free does not wait for another context's DMA. There is no
 * library-wide domain and no grace period that covers several: each user
 * knows which readers can reach what it frees (a model's DMA into a memory
 * region is covered by the memory's own grace periods, which wait for the
 * domains of the models using that memory: mem_internal.h). Any number of
 * domains may live in a process.
 *
 * Readers: any thread, no registration by the caller. Sections nest, also
 * across domains; a grace period must not be waited for inside a section
 * of its own domain. Each thread gets a dense index on its first section
 * (process-wide, recycled at thread exit with a new generation), and each
 * domain keeps, per index, a 64-byte reader slot: in chunks that are
 * allocated when a thread of their index range first reads the domain
 * (chunk k holds indices [2^k, 2^(k+1)), chunk 0 indices 0 and 1, which
 * rcu_domain_init() allocates). A slot holds the generation of the thread
 * that claimed it, so a slot left by a thread that has exited (or that
 * lives on only in the parent of a fork()) is recognised as stale and never
 * waited for, and a thread's exit touches no domain. A grace period scans
 * its own domain's slots.
 *
 * Slow path. A thread that has no slot in a domain (more than
 * RCU_MAX_THREADS threads hold an index at once, or the slot's chunk
 * could not be allocated) reads through a process-wide pair of counters
 * instead (in the manner of SRCU: a grace period flips which counter new
 * sections take and waits for the other to drain, twice). Such readers are
 * waited for by the grace periods of every domain, not just their own:
 * correct, and slower, which is the price of running out of memory or of
 * indices. Registration itself therefore never fails and never aborts.
 *
 * A domain's readers may instead fence after their ctr store: its grace
 * periods then need no barrier, and never interrupt other CPUs. The VT-d
 * model's domains do this adaptively (RCU_FENCE_ADAPTIVE), because their
 * grace periods are invalidation waits: back to back under strict unmaps
 * and lazy flushes, rare when a device only does DMA. `siommu bench rcu`
 * measures both sides: the fence adds ~7 ns to a section
 * (read_section_fenced against read_section); the barrier, with another
 * of our threads running, is an inter-processor interrupt to every CPU
 * running one, ~0.2 us on the VM the figures in the README come from
 * (gp_busy_reader against gp_busy_reader_fenced) and tens of microseconds
 * where a virtual CPU takes interrupts slowly, on every CPU it interrupts.
 * So readers fence while grace periods come often
 * (RCU_BUSY_GPS in a row, each within RCU_BUSY_GAP_NS of the last: the
 * barriers would cost their writer a large share of its time), and stop
 * once none has come for RCU_QUIET_NS.
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
 * Why not liburcu: every liburcu flavour is a process-wide singleton (one
 * model's wait would wait for every reader in the process, and the host
 * application may use the same flavour). Its urcu-bp grace-period wait
 * polls a busy reader about a hundred times and then sleeps 10 ms
 * (poll(NULL, 0, 10)) before looking again; grace periods sit on the VT-d
 * model's invalidation wait, which every strict unmap and every lazy flush
 * waits for, and with another thread in and out of read-side sections the
 * mean wait went from ~1 us to 70-110 us. The urcu-memb flavour sleeps on
 * a futex instead, which was worse still here (mean 35 us, worst 37 ms),
 * and it needs threads registered by hand. Waits here spin, then yield,
 * and sleep only for a reader held up for milliseconds.
 *
 * The algorithm is liburcu's asymmetric one. Each reader slot has a word,
 * ctr: 0 outside sections, else the grace-period counter its thread saw
 * when its outermost section began. A writer issues one process-wide
 * memory barrier (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): every
 * running thread of the process executes a full barrier), advances the
 * counter to S, and waits for every live slot whose ctr is non-zero and
 * below S. A reader whose ctr store comes after that barrier also reads
 * the data after it, so it cannot reach what the writer unlinked before
 * calling; one whose store came before is seen and waited for. The
 * reader's cost: the domain's id compared with those of the two domains
 * its thread entered last, a thread-local load of that slot, the loads of
 * the grace-period counter and of the fence flag (one cache line with the
 * id, read-mostly), two plain stores and a compiler barrier. A third
 * domain finds its slot out of line (a few nanoseconds). Without
 * membarrier (old kernels, valgrind), readers issue a full fence instead.
 *
 * fork(): the child keeps the forking thread's index and slots; every
 * other index is retired, so their slots are stale. The locks a grace
 * period holds record the fork epoch of their holder, and a child takes
 * over one held in its parent, so a grace period in progress on another
 * thread at fork time does not deadlock the child.
 *
 * ThreadSanitizer does not understand the asymmetric barrier, so under TSan
 * each read-side unlock releases, and each grace period acquires, its
 * domain's token: the happens-before edge RCU guarantees between "a reader
 * finished with an object" and "the updater frees it". Elsewhere the
 * annotations compile away.
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

#ifdef SIOMMU_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define RCU_TSAN_RELEASE(d) __tsan_release(&(d)->tsan_token)
#else
#define RCU_TSAN_RELEASE(d) ((void)0)
#endif

/*
 * One thread's reader state in one domain. ctr is written by its thread
 * and read by writers (atomics); gen is written by the thread that claims
 * the slot (atomic); nest and fenced are the owner's alone.
 */
struct rcu_slot {
	uint64_t ctr;
	uint32_t gen;		/* odd: its thread's generation; 0: never used */
	uint32_t nest;
	uint16_t fenced;	/* fenced sections, mod 65536 */
} __attribute__((aligned(64)));

/* Chunk k of a domain's slots holds thread indices [2^k, 2^(k+1)); chunk 0
 * holds 0 and 1. Beyond RCU_MAX_THREADS live threads, the slow path. */
#define RCU_CHUNKS	12
#define RCU_MAX_THREADS	(1u << RCU_CHUNKS)

enum rcu_fence_policy {
	RCU_FENCE_NEVER,	/* grace periods issue the barrier */
	RCU_FENCE_ALWAYS,	/* readers fence */
	RCU_FENCE_ADAPTIVE,	/* readers fence while grace periods are frequent */
};

/*
 * A domain, embedded in its owner (no alignment asked of it: gp, fence and
 * the first chunk pointers, what readers load, come first). chunk[] entries are published
 * once (compare-and-swap) and freed by rcu_domain_fini(). gp_lock (a word:
 * the fork epoch of its holder, 0 when free) serialises grace periods and
 * protects fence_sure and busy; fence and last_gp_ns change under it.
 */
struct rcu_domain {
	uint64_t gp;			/* atomic: grace-period counter, from 1 */
	uint32_t fence;			/* atomic: readers fence; see above */
	uint32_t policy;		/* enum rcu_fence_policy */
	uint64_t id;			/* unique in the process, never 0 */
	struct rcu_slot *chunk[RCU_CHUNKS];	/* atomic */
	uint32_t gp_lock;
	bool fence_sure;		/* gp_lock: every running section fences */
	unsigned int busy;		/* gp_lock: quick grace periods in a row */
	uint64_t last_gp_ns;		/* atomic; written under gp_lock */
	uint64_t barriers;		/* atomic: its grace periods' barriers */
	char tsan_token;		/* an address for TSan only */
};

/* The calling thread's index (see above), in initial-exec TLS: one
 * segment-relative access. gen is 2 (never a slot's) until registered. */
struct rcu_thread {
	/* The thread's slots in the two domains it entered last (most
	 * recent first), by domain id; 0: none. */
	uint64_t last_id[2];
	struct rcu_slot *last_slot[2];
	uint32_t gen;		/* odd while it holds index tid */
	uint32_t chunk;		/* tid's chunk */
	uint32_t off;		/* tid's slot in it */
	uint32_t tid;
	/* The slow path's sections (rcu.c). */
	uint64_t fb_bits;	/* counter each open section took, by depth */
	uint32_t fb_depth;
	uint32_t fb_held[2];	/* open sections on each counter */
};

extern __thread struct rcu_thread rcu_self __attribute__((tls_model("initial-exec")));

/* Adaptive fencing (see above). */
#define RCU_BUSY_GPS		4
#define RCU_BUSY_GAP_NS		500000ull	/* 500 us */
#define RCU_QUIET_NS		10000000ull	/* 10 ms */

/* Every reader fences (no membarrier); see rcu_force_reader_fence(). */
extern bool rcu_reader_fence;
/* A test hook: threads registering from now on get an index below this
 * (RCU_MAX_THREADS by default), or take the slow path. */
extern uint32_t rcu_thread_limit;
/* A test hook: allocations of reader slots fail (rcu_domain_init()'s too). */
extern bool rcu_fail_alloc;

/*
 * rcu_domain_init - set up @d with fencing @policy. Returns 0 or -ENOMEM
 * (the slots of the first two thread indices); nothing to undo on failure.
 * rcu_domain_fini - release @d. Never fails. No section of @d may be open
 * and no grace period of @d running (its owner's contract); threads that
 * once read @d may live on.
 */
int rcu_domain_init(struct rcu_domain *d, enum rcu_fence_policy policy);
void rcu_domain_fini(struct rcu_domain *d);

/*
 * rcu_synchronize - a grace period of @d: returns once every section of @d
 * that began before the call has ended. Not inside a section of @d.
 * Concurrent calls on one domain are serialised; calls on different
 * domains run independently.
 */
void rcu_synchronize(struct rcu_domain *d);

/*
 * rcu_force_reader_fence - a test hook: make every reader fence (and every
 * grace period skip the barrier) as without membarrier, or go back to the
 * barrier. Safe while readers and grace periods run; a no-op where
 * membarrier is missing. Returns whether the barrier is available.
 */
bool rcu_force_reader_fence(bool on);

/* Section entry and exit in a domain other than the last (rcu.c). */
void rcu_read_lock_slow(struct rcu_domain *d);
void rcu_read_unlock_slow(struct rcu_domain *d);
/* A fencing reader's periodic check of an adaptive domain (see above). */
void rcu_fence_idle(struct rcu_domain *d);

/*
 * The calling thread's slot in @d if @d is one of the two domains it found
 * one in last (a model's section around a lookup of its memory's regions
 * uses two), else NULL: rcu.c.
 */
static inline_hot struct rcu_slot *rcu_slot_cached(struct rcu_domain *d)
{
	uint64_t id = d->id;

	struct rcu_slot *s;

	if (likely(id == rcu_self.last_id[0]))
		s = rcu_self.last_slot[0];
	else if (likely(id == rcu_self.last_id[1]))
		s = rcu_self.last_slot[1];
	else
		return NULL;
	/* A remembered slot is never NULL: no test for it on the way. */
	if (!s)
		__builtin_unreachable();
	return s;
}

/* An outermost section's entry on the thread's slot @s in @d: its ctr
 * stored, then whether its readers fence now (see above). */
static inline_hot bool rcu_slot_enter_fencing(struct rcu_domain *d, struct rcu_slot *s)
{
	__atomic_store_n(&s->ctr, __atomic_load_n(&d->gp, __ATOMIC_ACQUIRE), __ATOMIC_RELAXED);
	/* The ctr store before the section's loads: the writer's membarrier
	 * supplies the other half, or the reader's fence does. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return unlikely(__atomic_load_n(&d->fence, __ATOMIC_RELAXED) ||
			READ_ONCE(rcu_reader_fence));
}

/* Entry to and exit from a section on the thread's slot @s in @d. The
 * outermost section is the common one: it is laid out straight. */
static inline_hot void rcu_slot_enter(struct rcu_domain *d, struct rcu_slot *s)
{
	if (likely(s->nest++ == 0) && rcu_slot_enter_fencing(d, s)) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (unlikely(++s->fenced == 0))
			rcu_fence_idle(d);
	}
}

/* Release: the section's accesses before a writer sees it end. */
static inline_hot void rcu_slot_exit(struct rcu_slot *s)
{
	if (likely(--s->nest == 0))
		__atomic_store_n(&s->ctr, 0, __ATOMIC_RELEASE);
}

/*
 * rcu_read_lock / rcu_read_unlock - enter and leave a read-side section of
 * @d. Any thread, any time; never fail, never block.
 */
static inline_hot void rcu_read_lock(struct rcu_domain *d)
{
	struct rcu_slot *s = rcu_slot_cached(d);

	if (unlikely(!s)) {
		rcu_read_lock_slow(d);
		return;
	}
	rcu_slot_enter(d, s);
}

static inline_hot void rcu_read_unlock(struct rcu_domain *d)
{
	struct rcu_slot *s = rcu_slot_cached(d);

	RCU_TSAN_RELEASE(d);
	if (unlikely(!s)) {
		rcu_read_unlock_slow(d);
		return;
	}
	rcu_slot_exit(s);
}

/*
 * rcu_read_lock_slot / rcu_read_unlock_slot - rcu_read_lock and
 * rcu_read_unlock for a section that opens and closes in one function: the
 * entry returns the thread's slot in @d (NULL on the slot-less fallback),
 * and the exit, given it back, leaves the section without looking the slot
 * up again. A slot stays the thread's while a section of it is open, so
 * @s is valid until this exit. Same contract otherwise.
 */
static inline_hot struct rcu_slot *rcu_read_lock_slot(struct rcu_domain *d)
{
	struct rcu_slot *s = rcu_slot_cached(d);

	if (unlikely(!s)) {
		rcu_read_lock_slow(d);
		return rcu_slot_cached(d);
	}
	rcu_slot_enter(d, s);
	return s;
}

/*
 * rcu_read_trylock_leaf / rcu_read_unlock_leaf - a section of @d that
 * nothing nests in (the thread enters no section of @d before it leaves
 * this one) and whose entry makes no call, so that what its caller keeps
 * needs no saving around one. Entry returns the thread's slot, or NULL
 * with no section entered if entering would take a call (@d is not one of
 * the two domains the thread entered last, or a fencing reader's periodic
 * check is due): the caller then enters with rcu_read_lock(), which does
 * both. Nothing nesting, the nesting count is left alone: inside an open
 * section of @d, which covers this one, entry and exit do nothing; else
 * they store ctr alone. Exit takes the slot entry returned. Same contract
 * as rcu_read_lock() otherwise.
 */
static inline_hot struct rcu_slot *rcu_read_trylock_leaf(struct rcu_domain *d)
{
	struct rcu_slot *s = rcu_slot_cached(d);

	if (unlikely(!s))
		return NULL;
	if (likely(s->nest == 0) && rcu_slot_enter_fencing(d, s)) {
		if (unlikely(s->fenced == UINT16_MAX)) {
			/* Nothing read yet: leave as if never entered. */
			__atomic_store_n(&s->ctr, 0, __ATOMIC_RELEASE);
			return NULL;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		s->fenced++;
	}
	return s;
}

static inline_hot void rcu_read_unlock_leaf(struct rcu_domain *d, struct rcu_slot *s)
{
	RCU_TSAN_RELEASE(d);
	if (likely(s->nest == 0))
		__atomic_store_n(&s->ctr, 0, __ATOMIC_RELEASE);
}

static inline_hot void rcu_read_unlock_slot(struct rcu_domain *d, struct rcu_slot *s)
{
	RCU_TSAN_RELEASE(d);
	if (unlikely(!s)) {
		rcu_read_unlock_slow(d);
		return;
	}
	rcu_slot_exit(s);
}

/* An RCU-protected pointer, read inside a section (acquire stands in for
 * consume, as compilers implement it anyway); writers publish with a
 * release store. */
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)

#endif
