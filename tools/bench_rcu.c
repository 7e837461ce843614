/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench rcu`: the library's RCU (src/util/rcu.h), on a domain of
 * its own.
 *  - gp_idle: one grace period with no other reader of the domain (a
 *    thread that read it once has exited), against lock_fence: a mutex
 *    taken and released around a full fence and a counter store, the
 *    least a grace period does.
 *  - gp_busy_reader: the same while another thread is in and out of
 *    sections of the domain without pause (a device doing DMA): the
 *    process-wide barrier, then a wait for the section in progress.
 *  - gp_busy_reader_fenced: the same in a domain whose readers fence
 *    (RCU_FENCE_ALWAYS; what an adaptive domain does while its grace
 *    periods come often): no barrier, only the wait.
 *  - read_section: an empty section (enter, leave) against walk4.
 *  - read_section_fenced: the same in the domain whose readers fence.
 *  - read_section_2dom: sections of two domains in turn (as a model's
 *    section around a lookup of its memory's regions): each slot is in
 *    the thread's cache of two.
 *  - read_section_3dom: three in turn: each finds its slot out of line.
 * All report only.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"
#include "util/compiler.h"
#include "util/rcu.h"

struct lock_fence {
	pthread_mutex_t lock;
	uint64_t counter;
};

static void lock_fence_run(void *arg, uint64_t iters)
{
	struct lock_fence *l = arg;

	while (iters--) {
		pthread_mutex_lock(&l->lock);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&l->counter, l->counter + 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&l->lock);
	}
}

static void gp_run(void *arg, uint64_t iters)
{
	while (iters--)
		rcu_synchronize(arg);
}

static void section_run(void *arg, uint64_t iters)
{
	struct rcu_domain *d = arg;

	while (iters--) {
		rcu_read_lock(d);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		rcu_read_unlock(d);
	}
}

/* Sections of the NULL-terminated domains at @arg in turn. */
static void section_turns_run(void *arg, uint64_t iters)
{
	struct rcu_domain **d = arg;
	unsigned int i = 0;

	while (iters--) {
		rcu_read_lock(d[i]);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		rcu_read_unlock(d[i]);
		if (!d[++i])
			i = 0;
	}
}

struct busy {
	struct rcu_domain *d;
	int stop;		/* atomics */
	uint64_t sections;
};

/* A reader in and out of short sections, as a device doing DMA is. */
static void *busy_run(void *arg)
{
	struct busy *b = arg;

	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
		unsigned int i;

		rcu_read_lock(b->d);
		for (i = 0; i < 16; i++)
			cpu_relax();
		rcu_read_unlock(b->d);
		__atomic_fetch_add(&b->sections, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *read_once(void *arg)
{
	rcu_read_lock(arg);
	rcu_read_unlock(arg);
	return NULL;
}

/* Grace periods of @d against lock_fence while a busy reader runs. */
static int gp_busy(struct bench_report *rep, const char *name, struct rcu_domain *d,
		   struct lock_fence *lf)
{
	struct busy b = { .d = d };
	pthread_t t;
	int ret;

	ret = -pthread_create(&t, NULL, busy_run, &b);
	if (ret)
		return ret;
	while (!__atomic_load_n(&b.sections, __ATOMIC_RELAXED))
		sched_yield();
	bench_pair(rep, name, gp_run, d, "lock_fence", lock_fence_run, lf,
		   rep->opts->quick ? 16 : 128, 0);
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	return 0;
}

int bench_rcu(struct bench_report *rep)
{
	struct lock_fence lf = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct rcu_domain *d, *turns[4];
	struct walk4 *w;
	pthread_t t;
	int ret;

	d = calloc(4, sizeof(*d));
	w = walk4_create();
	ret = -ENOMEM;
	if (!d || !w)
		goto out_free;
	ret = rcu_domain_init(&d[0], RCU_FENCE_NEVER);
	if (ret)
		goto out_free;
	ret = rcu_domain_init(&d[1], RCU_FENCE_ALWAYS);
	if (ret)
		goto out_fini0;
	ret = rcu_domain_init(&d[2], RCU_FENCE_NEVER);
	if (ret)
		goto out_fini1;
	ret = rcu_domain_init(&d[3], RCU_FENCE_NEVER);
	if (ret)
		goto out_fini2;

	/* A reader that has come and gone: its slot is stale. */
	ret = -pthread_create(&t, NULL, read_once, &d[0]);
	if (ret)
		goto out_fini3;
	pthread_join(t, NULL);
	bench_pair(rep, "gp_idle", gp_run, &d[0], "lock_fence", lock_fence_run, &lf,
		   1 << 12, 0);
	ret = gp_busy(rep, "gp_busy_reader", &d[0], &lf);
	if (!ret)
		ret = gp_busy(rep, "gp_busy_reader_fenced", &d[1], &lf);
	if (ret)
		goto out_fini3;
	bench_pair(rep, "read_section", section_run, &d[0], "walk4", walk4_run, w,
		   1 << 16, 0);
	bench_pair(rep, "read_section_fenced", section_run, &d[1], "walk4", walk4_run, w,
		   1 << 16, 0);
	turns[0] = &d[0];
	turns[1] = &d[2];
	turns[2] = NULL;
	bench_pair(rep, "read_section_2dom", section_turns_run, turns, "walk4",
		   walk4_run, w, 1 << 16, 0);
	turns[2] = &d[3];
	turns[3] = NULL;
	bench_pair(rep, "read_section_3dom", section_turns_run, turns, "walk4",
		   walk4_run, w, 1 << 16, 0);

out_fini3:
	rcu_domain_fini(&d[3]);
out_fini2:
	rcu_domain_fini(&d[2]);
out_fini1:
	rcu_domain_fini(&d[1]);
out_fini0:
	rcu_domain_fini(&d[0]);
out_free:
	if (w)
		walk4_destroy(w);
	free(d);
	return ret;
}
