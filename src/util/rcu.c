/* SPDX-License-Identifier: MIT */
/*
 * RCU grace periods and the reader registry (the algorithm and the reasons
 * for it are in rcu.h).
 *
 * Locks, in the order taken: gp_lock, then reg_lock.
 *  - gp_lock serialises grace periods; a writer holds it across its scan.
 *  - reg_lock protects the registry's links.
 * A thread's first section registers it under reg_lock alone, at the head
 * of the list, so it never waits for a grace period; a writer reads the
 * head once and walks `next` links, which joining never changes. A
 * thread's exit destructor unregisters under both locks, so no writer is
 * polling its state (in its TLS, soon gone) when it leaves.
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
uint64_t rcu_gp = 1;
bool rcu_reader_fence;

static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_reader *rcu_readers;
static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_key;
static bool rcu_membarrier;

#ifdef SIOMMU_TSAN
void __tsan_acquire(void *addr);
/* Only an address for TSan's happens-before bookkeeping; never read. */
char siommu_rcu_tsan_token;
#endif

/*
 * Polling budget of a grace period's wait for one reader: pause-spin first
 * (a walk ends within microseconds), then yield the CPU, and only a reader
 * held up for milliseconds (preempted, or blocked in an access callback)
 * is polled with short sleeps.
 */
#define RCU_SPINS 256
#define RCU_YIELDS 4096
#define RCU_SLEEP_NS 50000

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static void rcu_unregister(void *arg)
{
	struct rcu_reader *r = arg;

	pthread_mutex_lock(&gp_lock);
	pthread_mutex_lock(&reg_lock);
	*r->pprev = r->next;
	if (r->next)
		r->next->pprev = r->pprev;
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_unlock(&gp_lock);
	r->registered = false;
}

/* fork(): only the calling thread lives on in the child. */
static void rcu_atfork_prepare(void)
{
	pthread_mutex_lock(&gp_lock);
	pthread_mutex_lock(&reg_lock);
}

static void rcu_atfork_parent(void)
{
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_unlock(&gp_lock);
}

static void rcu_atfork_child(void)
{
	/* The other threads are gone: forget their entries. */
	rcu_readers = NULL;
	if (rcu_me.registered) {
		rcu_me.next = NULL;
		rcu_me.pprev = &rcu_readers;
		rcu_readers = &rcu_me;
	}
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_unlock(&gp_lock);
}

static void rcu_init(void)
{
	long cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (pthread_key_create(&rcu_key, rcu_unregister) ||
	    pthread_atfork(rcu_atfork_prepare, rcu_atfork_parent, rcu_atfork_child)) {
		/* Without them a thread's exit would leave a dangling reader. */
		fprintf(stderr, "siommu: cannot set up RCU reader tracking\n");
		abort();
	}
	rcu_membarrier = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
			 !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	WRITE_ONCE(rcu_reader_fence, !rcu_membarrier);
}

void rcu_register(void)
{
	struct rcu_reader *r = &rcu_me;

	pthread_once(&rcu_once, rcu_init);
	if (pthread_setspecific(rcu_key, r)) {
		fprintf(stderr, "siommu: cannot register an RCU reader\n");
		abort();
	}
	pthread_mutex_lock(&reg_lock);
	r->next = rcu_readers;
	if (r->next)
		r->next->pprev = &r->next;
	r->pprev = &rcu_readers;
	rcu_readers = r;
	pthread_mutex_unlock(&reg_lock);
	r->registered = true;
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

void siommu_synchronize_rcu(void)
{
	struct rcu_reader *r;
	uint64_t gp;

	/* Waiting inside a section would wait for itself. */
	SIOMMU_ASSERT(!rcu_me.nest);
	pthread_once(&rcu_once, rcu_init);
	pthread_mutex_lock(&gp_lock);
	/* Every reader that stored its ctr before this point is seen by the
	 * scan; every later one reads the caller's updates (those that join
	 * after the head is read below among them). */
	if (rcu_membarrier) {
		long ret = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);

		/* Cannot fail once registered (rcu_init()). */
		SIOMMU_ASSERT(!ret);
		(void)ret;
	} else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gp = rcu_gp + 1;
	__atomic_store_n(&rcu_gp, gp, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&reg_lock);
	r = rcu_readers;
	pthread_mutex_unlock(&reg_lock);
	for (; r; r = r->next)
		rcu_wait_reader(r, gp);
	pthread_mutex_unlock(&gp_lock);
#ifdef SIOMMU_TSAN
	__tsan_acquire(&siommu_rcu_tsan_token);
#endif
}
