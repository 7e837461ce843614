/* SPDX-License-Identifier: MIT */
/*
 * RCU grace periods and reader registries (the algorithm and the reasons
 * for it are in rcu.h).
 *
 * Locks, in the order taken: domains_lock, then a domain's gp_lock, then
 * its reg_lock.
 *  - domains_lock: the list of domains that have had readers (for fork).
 *  - gp_lock serialises a domain's grace periods; a writer holds it across
 *    its scan.
 *  - reg_lock protects a domain's registry links and key.
 * A thread's first section in a domain registers it under reg_lock alone,
 * at the head of the list, so it never waits for a grace period; a writer
 * reads the head once and walks `next` links, which joining never changes.
 * A thread's exit destructor unregisters under both domain locks, so no
 * writer is polling its state (in its TLS, soon gone) when it leaves.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/rcu.h"

__thread struct rcu_reader rcu_me __attribute__((tls_model("initial-exec")));
struct rcu_domain rcu_main = RCU_DOMAIN_INIT;
bool rcu_reader_fence;

static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static bool rcu_membarrier;

#define RCU_MAX_DOMAINS 8
static pthread_mutex_t domains_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_domain *domains[RCU_MAX_DOMAINS];
static unsigned int nr_domains;

/*
 * Polling budget of a grace period's wait for one reader: pause-spin first
 * (a walk ends within microseconds), then yield the CPU, and only a reader
 * held up for milliseconds (preempted, or blocked in an access callback)
 * is polled with short sleeps.
 */
#define RCU_SPINS 256
#define RCU_YIELDS 4096
#define RCU_SLEEP_NS 50000

static void rcu_die(const char *what)
{
	/* Without it a thread's exit would leave a dangling reader. */
	fprintf(stderr, "siommu: cannot %s\n", what);
	abort();
}

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static void rcu_unregister(void *arg)
{
	struct rcu_reader *r = arg;
	struct rcu_domain *d = r->dom;

	pthread_mutex_lock(&d->gp_lock);
	pthread_mutex_lock(&d->reg_lock);
	*r->pprev = r->next;
	if (r->next)
		r->next->pprev = r->pprev;
	pthread_mutex_unlock(&d->reg_lock);
	pthread_mutex_unlock(&d->gp_lock);
	r->registered = false;
}

/* fork(): only the calling thread lives on in the child. */
static void rcu_atfork_prepare(void)
{
	unsigned int i;

	pthread_mutex_lock(&domains_lock);
	for (i = 0; i < nr_domains; i++) {
		pthread_mutex_lock(&domains[i]->gp_lock);
		pthread_mutex_lock(&domains[i]->reg_lock);
	}
}

static void rcu_atfork_parent(void)
{
	unsigned int i = nr_domains;

	while (i--) {
		pthread_mutex_unlock(&domains[i]->reg_lock);
		pthread_mutex_unlock(&domains[i]->gp_lock);
	}
	pthread_mutex_unlock(&domains_lock);
}

static void rcu_atfork_child(void)
{
	pthread_t self = pthread_self();
	unsigned int i = nr_domains;

	while (i--) {
		struct rcu_domain *d = domains[i];
		struct rcu_reader *r = d->readers, *mine = NULL;

		/* The other threads are gone: forget their entries. */
		for (; r; r = r->next)
			if (pthread_equal(r->owner, self))
				mine = r;
		d->readers = mine;
		if (mine) {
			mine->next = NULL;
			mine->pprev = &d->readers;
		}
		pthread_mutex_unlock(&d->reg_lock);
		pthread_mutex_unlock(&d->gp_lock);
	}
	pthread_mutex_unlock(&domains_lock);
}

static void rcu_init(void)
{
	long cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (pthread_atfork(rcu_atfork_prepare, rcu_atfork_parent, rcu_atfork_child))
		rcu_die("set up RCU for fork()");
	rcu_membarrier = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
			 !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	WRITE_ONCE(rcu_reader_fence, !rcu_membarrier);
}

void rcu_register(struct rcu_domain *d, struct rcu_reader *r)
{
	pthread_once(&rcu_once, rcu_init);
	pthread_mutex_lock(&domains_lock);
	if (!d->listed) {
		if (nr_domains == RCU_MAX_DOMAINS)
			rcu_die("track another RCU domain");
		domains[nr_domains++] = d;
		d->listed = true;
	}
	pthread_mutex_unlock(&domains_lock);

	pthread_mutex_lock(&d->reg_lock);
	if (!d->key_ready) {
		if (pthread_key_create(&d->key, rcu_unregister))
			rcu_die("create an RCU thread key");
		d->key_ready = true;
	}
	r->dom = d;
	r->owner = pthread_self();
	r->next = d->readers;
	if (r->next)
		r->next->pprev = &r->next;
	r->pprev = &d->readers;
	d->readers = r;
	pthread_mutex_unlock(&d->reg_lock);
	if (pthread_setspecific(d->key, r))
		rcu_die("register an RCU reader");
	r->registered = true;
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
	if (pthread_mutex_trylock(&d->gp_lock))
		return;
	if (d->fence && now - d->last_gp_ns > RCU_QUIET_NS)
		fence_off(d);
	pthread_mutex_unlock(&d->gp_lock);
}

static void rcu_wait_reader(struct rcu_reader *r, uint64_t gp)
{
	unsigned int polls = 0;

	for (;;) {
		uint64_t c = __atomic_load_n(&r->ctr, __ATOMIC_ACQUIRE);

		if (!c || c >= gp)
			return;
		if (polls < RCU_SPINS) {
			cpu_relax();
		} else if (polls < RCU_SPINS + RCU_YIELDS) {
			sched_yield();
		} else {
			struct timespec ts = { 0, RCU_SLEEP_NS };

			nanosleep(&ts, NULL);
		}
		polls++;
	}
}

void rcu_synchronize(struct rcu_domain *d)
{
	struct rcu_domain *doms[RCU_MAX_DOMAINS];
	struct rcu_reader *heads[RCU_MAX_DOMAINS], *r;
	pthread_t self = pthread_self();
	unsigned int n = 0, i;
	bool others = false, others_unfenced = false;

	pthread_once(&rcu_once, rcu_init);
	/* The library's grace periods cover every domain; a domain's own
	 * cover its readers alone. */
	if (d == &rcu_main) {
		pthread_mutex_lock(&domains_lock);
		for (i = 0; i < nr_domains; i++)
			doms[n++] = domains[i];
		pthread_mutex_unlock(&domains_lock);
	}
	if (!n)
		doms[n++] = d;
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&doms[i]->gp_lock);
		if (doms[i] == d && d->policy == RCU_FENCE_ADAPTIVE)
			fence_policy(d);
		pthread_mutex_lock(&doms[i]->reg_lock);
		heads[i] = doms[i]->readers;
		pthread_mutex_unlock(&doms[i]->reg_lock);
		for (r = heads[i]; r; r = r->next) {
			if (!pthread_equal(r->owner, self)) {
				others = true;
				others_unfenced |= !doms[i]->fence_sure;
			} else {
				/* waiting inside a section would wait for itself */
				SIOMMU_ASSERT(!r->nest);
			}
		}
	}
	/*
	 * Every reader that stored its ctr before the barrier is seen by the
	 * scan; every later one reads the caller's updates. Threads that join
	 * after a head was read take that reg_lock (and domains that gain
	 * their first reader later, domains_lock) after we released it, so
	 * they read the caller's updates too: with no other reader, no
	 * barrier. Readers of a domain whose fence is sure fenced after their
	 * ctr store, so a fence here pairs with theirs.
	 */
	if (others_unfenced && rcu_membarrier) {
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
	for (i = 0; i < n; i++)
		if (__atomic_load_n(&doms[i]->fence, __ATOMIC_RELAXED))
			doms[i]->fence_sure = true;
	for (i = 0; i < n; i++) {
		uint64_t gp = doms[i]->gp + 1;

		__atomic_store_n(&doms[i]->gp, gp, __ATOMIC_SEQ_CST);
		for (r = heads[i]; r; r = r->next)
			if (!pthread_equal(r->owner, self))
				rcu_wait_reader(r, gp);
	}
	for (i = n; i--;)
		pthread_mutex_unlock(&doms[i]->gp_lock);
#ifdef SIOMMU_TSAN
	for (i = 0; i < n; i++)
		__tsan_acquire(&doms[i]->tsan_token);
#endif
}
