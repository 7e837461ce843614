/* SPDX-License-Identifier: MIT */
/*
 * RCU grace periods, thread indices and reader slots (the algorithm and
 * the reasons for it are in rcu.h).
 *
 * Process-wide state, none of it about domains:
 *  - tid_lock protects the index bitmap tid_used; tid_gen[i] (atomic) is
 *    index i's generation, odd while a thread holds it, written under
 *    tid_lock. fork() takes tid_lock across the call.
 *  - The slow path's counters fb_cnt[] and fb_idx (atomics), serialised
 *    for writers by fb_lock, a word like a domain's gp_lock.
 * Lock order: a domain's gp_lock, then fb_lock; tid_lock is taken alone.
 * A thread claims its slot in a domain without a lock (the chunk is
 * published with compare-and-swap; the slot is its own); the fences of
 * claim_slot() and of rcu_synchronize() order a claim against a writer's
 * scan.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/rcu.h"

__thread struct rcu_thread rcu_self __attribute__((tls_model("initial-exec"))) = {
	.gen = 2,
};
bool rcu_reader_fence;
uint32_t rcu_thread_limit = RCU_MAX_THREADS;
bool rcu_fail_alloc;

static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static bool rcu_membarrier;
/* Every running section fences: grace periods need no barrier. */
static bool rcu_all_fence_sure;
/* Held-lock words name the fork epoch of their holder. */
static uint32_t rcu_epoch = 1;
static uint64_t rcu_next_id = 1;	/* atomic */

static pthread_mutex_t tid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t tid_used[RCU_MAX_THREADS / 64];
static uint32_t tid_gen[RCU_MAX_THREADS];
static pthread_key_t tid_key;
static bool tid_key_ready;

static uint32_t fb_lock;
static uint32_t fb_idx;
static uint32_t fb_used;
static uint64_t fb_cnt[2];

/*
 * Polling budget of a wait (for a reader, or for a lock held across a
 * grace period): pause-spin first (a walk ends within microseconds), then
 * yield the CPU, and only a wait held up for milliseconds (a preempted
 * reader, or one blocked in an access callback) polls with short sleeps.
 */
#define RCU_SPINS 256
#define RCU_YIELDS 4096
#define RCU_SLEEP_NS 50000

static void backoff(unsigned int polls)
{
	if (polls < RCU_SPINS) {
		cpu_relax();
	} else if (polls < RCU_SPINS + RCU_YIELDS) {
		sched_yield();
	} else {
		struct timespec ts = { 0, RCU_SLEEP_NS };

		nanosleep(&ts, NULL);
	}
}

/*
 * A lock held across a grace period. A holder from before a fork() (its
 * epoch is not ours) is a thread the child does not have: take over.
 */
static bool gp_trylock(uint32_t *l)
{
	uint32_t epoch = __atomic_load_n(&rcu_epoch, __ATOMIC_RELAXED), v = 0;

	if (__atomic_compare_exchange_n(l, &v, epoch, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return true;
	return v != epoch && __atomic_compare_exchange_n(l, &v, epoch, false,
							 __ATOMIC_ACQUIRE,
							 __ATOMIC_RELAXED);
}

static void gp_lock(uint32_t *l)
{
	unsigned int polls = 0;

	while (!gp_trylock(l))
		backoff(polls++);
}

static void gp_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

/* Slot i of chunk k belongs to thread index chunk_base(k) + i. */
static uint32_t chunk_base(unsigned int k)
{
	return k ? 1u << k : 0;
}

static uint32_t chunk_slots(unsigned int k)
{
	return k ? 1u << k : 2;
}

static void tid_release(uint32_t tid)
{
	__atomic_store_n(&tid_gen[tid], tid_gen[tid] + 1, __ATOMIC_RELEASE);
	tid_used[tid / 64] &= ~(1ull << (tid % 64));
}

/* Thread exit: its index goes back, with a new generation to come. */
static void tid_exit(void *arg)
{
	uint32_t tid = (uint32_t)(uintptr_t)arg - 1;

	pthread_mutex_lock(&tid_lock);
	tid_release(tid);
	pthread_mutex_unlock(&tid_lock);
	rcu_self.gen = 2;
	rcu_self.last_id[0] = rcu_self.last_id[1] = 0;
}

/* fork(): only the calling thread lives on in the child. */
static void rcu_atfork_prepare(void)
{
	pthread_mutex_lock(&tid_lock);
}

static void rcu_atfork_parent(void)
{
	pthread_mutex_unlock(&tid_lock);
}

static void rcu_atfork_child(void)
{
	bool mine = rcu_self.gen & 1;
	uint32_t tid;

	/* Locks held by the parent's threads are ours to take over. */
	__atomic_store_n(&rcu_epoch, rcu_epoch + 1, __ATOMIC_RELAXED);
	for (tid = 0; tid < RCU_MAX_THREADS; tid++)
		if ((tid_used[tid / 64] & (1ull << (tid % 64))) &&
		    !(mine && tid == rcu_self.tid))
			tid_release(tid);
	/* The slow path's counters hold our own sections alone. */
	__atomic_store_n(&fb_cnt[0], rcu_self.fb_held[0], __ATOMIC_RELAXED);
	__atomic_store_n(&fb_cnt[1], rcu_self.fb_held[1], __ATOMIC_RELAXED);
	pthread_mutex_unlock(&tid_lock);
}

static void rcu_init(void)
{
	long cmds = membarrier(MEMBARRIER_CMD_QUERY);

	/* Without the fork handlers or the exit key, no thread gets an
	 * index: every reader takes the slow path, which needs neither. */
	if (!pthread_atfork(rcu_atfork_prepare, rcu_atfork_parent, rcu_atfork_child))
		tid_key_ready = !pthread_key_create(&tid_key, tid_exit);
	rcu_membarrier = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
			 !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	WRITE_ONCE(rcu_reader_fence, !rcu_membarrier);
	WRITE_ONCE(rcu_all_fence_sure, !rcu_membarrier);
}

bool rcu_force_reader_fence(bool on)
{
	pthread_once(&rcu_once, rcu_init);
	if (!rcu_membarrier)
		return false;
	if (on) {
		__atomic_store_n(&rcu_reader_fence, true, __ATOMIC_SEQ_CST);
		/* As a domain's fence turning on (rcu.h): a section that
		 * skipped the fence has its ctr visible after this barrier. */
		if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
			return true;
		__atomic_store_n(&rcu_all_fence_sure, true, __ATOMIC_SEQ_CST);
	} else {
		__atomic_store_n(&rcu_all_fence_sure, false, __ATOMIC_SEQ_CST);
		__atomic_store_n(&rcu_reader_fence, false, __ATOMIC_SEQ_CST);
	}
	return true;
}

/* The calling thread's first section: give it an index, if one is free. */
static void thread_register(void)
{
	uint32_t tid, w;

	pthread_once(&rcu_once, rcu_init);
	if (!tid_key_ready)
		return;
	pthread_mutex_lock(&tid_lock);
	for (w = 0; w < RCU_MAX_THREADS / 64 && !~tid_used[w]; w++)
		;
	if (w == RCU_MAX_THREADS / 64) {
		pthread_mutex_unlock(&tid_lock);
		return;
	}
	tid = w * 64 + (uint32_t)__builtin_ctzll(~tid_used[w]);
	if (tid >= READ_ONCE(rcu_thread_limit)) {
		pthread_mutex_unlock(&tid_lock);
		return;
	}
	tid_used[w] |= 1ull << (tid % 64);
	__atomic_store_n(&tid_gen[tid], tid_gen[tid] + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tid_lock);
	/* Without the exit destructor the index could never go back. */
	if (pthread_setspecific(tid_key, (void *)(uintptr_t)(tid + 1))) {
		pthread_mutex_lock(&tid_lock);
		tid_release(tid);
		pthread_mutex_unlock(&tid_lock);
		return;
	}
	rcu_self.last_id[0] = rcu_self.last_id[1] = 0;
	rcu_self.tid = tid;
	rcu_self.chunk = tid < 2 ? 0 : 31 - (uint32_t)__builtin_clz(tid);
	rcu_self.off = tid - chunk_base(rcu_self.chunk);
	rcu_self.gen = tid_gen[tid];
}

static struct rcu_slot *chunk_alloc(unsigned int k)
{
	size_t size = (size_t)chunk_slots(k) * sizeof(struct rcu_slot);
	struct rcu_slot *c = READ_ONCE(rcu_fail_alloc) ? NULL : aligned_alloc(64, size);

	if (c)
		memset(c, 0, size);
	return c;
}

/* The calling thread's slot in @d, claimed now; NULL if out of memory. */
static struct rcu_slot *claim_slot(struct rcu_domain *d)
{
	unsigned int k = rcu_self.chunk;
	struct rcu_slot *c = __atomic_load_n(&d->chunk[k], __ATOMIC_ACQUIRE), *s;

	if (!c) {
		struct rcu_slot *mine = chunk_alloc(k);

		if (!mine)
			return NULL;
		if (__atomic_compare_exchange_n(&d->chunk[k], &c, mine, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			c = mine;
		else
			free(mine);	/* another thread's chunk is in place */
	}
	s = &c[rcu_self.off];
	/* The slot's last owner has exited (or lives in a parent process):
	 * whatever it left is stale by its generation. */
	s->nest = 0;
	s->fenced = 0;
	__atomic_store_n(&s->ctr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->gen, rcu_self.gen, __ATOMIC_RELAXED);
	/* The claim before our sections' loads, against a writer that scans
	 * the slots after its update (rcu_synchronize()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return s;
}

/* A section on the slow path: the process-wide counters. */
static void fb_read_lock(void)
{
	uint32_t depth = rcu_self.fb_depth++;

	if (!__atomic_load_n(&fb_used, __ATOMIC_RELAXED))
		__atomic_store_n(&fb_used, 1, __ATOMIC_RELAXED);
	if (depth < 64) {
		uint32_t i = __atomic_load_n(&fb_idx, __ATOMIC_RELAXED) & 1;

		rcu_self.fb_bits = (rcu_self.fb_bits & ~(1ull << depth)) |
				   ((uint64_t)i << depth);
		rcu_self.fb_held[i]++;
		__atomic_fetch_add(&fb_cnt[i], 1, __ATOMIC_SEQ_CST);
	} else {
		/* Deeper than the record: on both, so both waits see it. */
		rcu_self.fb_held[0]++;
		rcu_self.fb_held[1]++;
		__atomic_fetch_add(&fb_cnt[0], 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&fb_cnt[1], 1, __ATOMIC_SEQ_CST);
	}
	/* The counter before the section's loads; pairs with the fence a
	 * grace period issues before reading the counters. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void fb_read_unlock(void)
{
	uint32_t depth = --rcu_self.fb_depth;

	if (depth < 64) {
		uint32_t i = (uint32_t)(rcu_self.fb_bits >> depth) & 1;

		rcu_self.fb_held[i]--;
		__atomic_fetch_sub(&fb_cnt[i], 1, __ATOMIC_RELEASE);
	} else {
		rcu_self.fb_held[0]--;
		rcu_self.fb_held[1]--;
		__atomic_fetch_sub(&fb_cnt[0], 1, __ATOMIC_RELEASE);
		__atomic_fetch_sub(&fb_cnt[1], 1, __ATOMIC_RELEASE);
	}
}

/* The calling thread's slot in @d, if it has claimed one: remembered first. */
static struct rcu_slot *find_slot(struct rcu_domain *d)
{
	struct rcu_slot *c = __atomic_load_n(&d->chunk[rcu_self.chunk], __ATOMIC_ACQUIRE);

	if (!c || __atomic_load_n(&c[rcu_self.off].gen, __ATOMIC_RELAXED) != rcu_self.gen)
		return NULL;
	rcu_self.last_id[1] = rcu_self.last_id[0];
	rcu_self.last_slot[1] = rcu_self.last_slot[0];
	rcu_self.last_id[0] = d->id;
	rcu_self.last_slot[0] = &c[rcu_self.off];
	return rcu_self.last_slot[0];
}

void rcu_read_lock_slow(struct rcu_domain *d)
{
	if (find_slot(d)) {
		rcu_read_lock(d);
		return;
	}
	/*
	 * A thread with a section open on the slow path claims no slot: its
	 * exit from that section must find no slot, as its entry did.
	 */
	if (!rcu_self.fb_depth) {
		if (!(rcu_self.gen & 1))
			thread_register();
		if ((rcu_self.gen & 1) && claim_slot(d) && find_slot(d)) {
			rcu_read_lock(d);
			return;
		}
	}
	fb_read_lock();
}

void rcu_read_unlock_slow(struct rcu_domain *d)
{
	if (find_slot(d)) {
		rcu_read_unlock(d);
		return;
	}
	SIOMMU_ASSERT(rcu_self.fb_depth);
	fb_read_unlock();
}

int rcu_domain_init(struct rcu_domain *d, enum rcu_fence_policy policy)
{
	pthread_once(&rcu_once, rcu_init);
	memset(d, 0, sizeof(*d));
	d->gp = 1;
	d->id = __atomic_fetch_add(&rcu_next_id, 1, __ATOMIC_RELAXED);
	d->policy = policy;
	d->fence = policy == RCU_FENCE_ALWAYS;
	d->fence_sure = policy == RCU_FENCE_ALWAYS;
	/* The first two thread indices (a program's first threads) never
	 * allocate in a section, so never take the slow path. */
	d->chunk[0] = chunk_alloc(0);
	return d->chunk[0] ? 0 : -ENOMEM;
}

void rcu_domain_fini(struct rcu_domain *d)
{
	unsigned int k;

	for (k = 0; k < RCU_CHUNKS; k++) {
		free(d->chunk[k]);
		d->chunk[k] = NULL;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Readers stop fencing; the next grace period issues the barrier. gp_lock. */
static void fence_off(struct rcu_domain *d)
{
	__atomic_store_n(&d->fence, 0, __ATOMIC_RELAXED);
	d->fence_sure = false;
	d->busy = 0;
}

/*
 * An adaptive domain's grace period starts (gp_lock held): switch its
 * readers' fence by how often grace periods come (see rcu.h).
 */
static void fence_policy(struct rcu_domain *d)
{
	uint64_t now = mono_ns(), gap = now - d->last_gp_ns;

	__atomic_store_n(&d->last_gp_ns, now, __ATOMIC_RELAXED);
	d->busy = gap < RCU_BUSY_GAP_NS ? d->busy + 1 : 0;
	if (!d->fence && d->busy >= RCU_BUSY_GPS) {
		/* In effect once this grace period's barrier is done. */
		__atomic_store_n(&d->fence, 1, __ATOMIC_SEQ_CST);
		d->fence_sure = false;
	} else if (d->fence && gap > RCU_QUIET_NS) {
		fence_off(d);
	}
}

void rcu_fence_idle(struct rcu_domain *d)
{
	uint64_t now;

	if (d->policy != RCU_FENCE_ADAPTIVE)
		return;
	now = mono_ns();
	if (now - __atomic_load_n(&d->last_gp_ns, __ATOMIC_RELAXED) <= RCU_QUIET_NS)
		return;
	/* Inside a section: never wait for gp_lock, whose holder may be
	 * waiting for us. */
	if (!gp_trylock(&d->gp_lock))
		return;
	if (d->fence && now - d->last_gp_ns > RCU_QUIET_NS)
		fence_off(d);
	gp_unlock(&d->gp_lock);
}

/* Is the slot of thread index @tid, claimed by @gen, the calling thread's? */
static bool slot_is_mine(uint32_t tid, uint32_t gen)
{
	return (rcu_self.gen & 1) && tid == rcu_self.tid && gen == rcu_self.gen;
}

/* A slot whose thread still holds its index. */
static bool slot_live(const struct rcu_slot *s, uint32_t tid, uint32_t *gen)
{
	*gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	return *gen && *gen == __atomic_load_n(&tid_gen[tid], __ATOMIC_ACQUIRE);
}

static void wait_slot(const struct rcu_slot *s, uint32_t tid, uint32_t gen,
		      uint64_t gp)
{
	unsigned int polls = 0;

	for (;;) {
		uint64_t c = __atomic_load_n(&s->ctr, __ATOMIC_ACQUIRE);

		if (!c || c >= gp)
			return;
		/* Its thread gone (or a new one in its place) ends the wait. */
		if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != gen ||
		    __atomic_load_n(&tid_gen[tid], __ATOMIC_ACQUIRE) != gen)
			return;
		backoff(polls++);
	}
}

static void fb_drain(uint32_t i)
{
	unsigned int polls = 0;

	/* Our own sections (of other domains) are not waited for. */
	while (__atomic_load_n(&fb_cnt[i], __ATOMIC_ACQUIRE) > rcu_self.fb_held[i])
		backoff(polls++);
}

/*
 * Wait for the slow path's sections that began before the call, as SRCU
 * does: first for the counter new sections no longer take (a reader that
 * read fb_idx before the last flip may still be on it), then flip and wait
 * for the one they took until now. Sections beginning after the flip take
 * the other counter and are not waited for.
 */
static void fb_wait(void)
{
	uint32_t i;

	gp_lock(&fb_lock);
	i = __atomic_load_n(&fb_idx, __ATOMIC_RELAXED) & 1;
	fb_drain(i ^ 1);
	__atomic_store_n(&fb_idx, i ^ 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fb_drain(i);
	gp_unlock(&fb_lock);
}

void rcu_synchronize(struct rcu_domain *d)
{
	bool others = false;
	unsigned int k;
	uint64_t gp;

	pthread_once(&rcu_once, rcu_init);
	gp_lock(&d->gp_lock);
	if (d->policy == RCU_FENCE_ADAPTIVE)
		fence_policy(d);
	/* Our updates before the scan, against a thread claiming its slot
	 * (claim_slot()): we see its claim, or it sees our updates. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (k = 0; k < RCU_CHUNKS && !others; k++) {
		const struct rcu_slot *c = __atomic_load_n(&d->chunk[k], __ATOMIC_ACQUIRE);
		uint32_t i, gen;

		for (i = 0; c && i < chunk_slots(k); i++) {
			if (!slot_live(&c[i], chunk_base(k) + i, &gen))
				continue;
			if (slot_is_mine(chunk_base(k) + i, gen)) {
				/* waiting inside a section would wait for itself */
				SIOMMU_ASSERT(!c[i].nest);
				continue;
			}
			others = true;
			break;
		}
	}
	/*
	 * Every reader that stored its ctr before the barrier is seen by the
	 * scan below; every later one reads the caller's updates. With no
	 * other live slot, no barrier: a thread claiming one later reads the
	 * caller's updates (the fence above). Readers of a domain whose fence
	 * is sure fenced after their ctr store, so a fence here pairs with
	 * theirs.
	 */
	if (others && !d->fence_sure && !READ_ONCE(rcu_all_fence_sure)) {
		long ret = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);

		/* Cannot fail once registered (rcu_init()). */
		SIOMMU_ASSERT(!ret);
		(void)ret;
		__atomic_fetch_add(&d->barriers, 1, __ATOMIC_RELAXED);
	} else if (others) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	/* A fence turned on before the barrier (or with no other reader to
	 * need one) is in effect now: every section that skipped it has its
	 * ctr visible to the scan below. */
	if (__atomic_load_n(&d->fence, __ATOMIC_RELAXED))
		d->fence_sure = true;
	gp = d->gp + 1;
	__atomic_store_n(&d->gp, gp, __ATOMIC_SEQ_CST);
	for (k = 0; others && k < RCU_CHUNKS; k++) {
		const struct rcu_slot *c = __atomic_load_n(&d->chunk[k], __ATOMIC_ACQUIRE);
		uint32_t i, gen;

		for (i = 0; c && i < chunk_slots(k); i++)
			if (slot_live(&c[i], chunk_base(k) + i, &gen) &&
			    !slot_is_mine(chunk_base(k) + i, gen))
				wait_slot(&c[i], chunk_base(k) + i, gen, gp);
	}
	/* Slow-path readers set fb_used before their counter and fence; the
	 * fence before the scan orders this load after our updates. */
	if (__atomic_load_n(&fb_used, __ATOMIC_RELAXED))
		fb_wait();
	gp_unlock(&d->gp_lock);
#ifdef SIOMMU_TSAN
	__tsan_acquire(&d->tsan_token);
#endif
}
