/* SPDX-License-Identifier: MIT */
/*
 * The library's RCU (src/util/rcu.h): a grace period waits for every
 * section that began before it (nested ones too), not for sections that
 * begin later; threads join on their first section and leave at exit, so
 * grace periods after thousands of short-lived readers neither hang on nor
 * touch their gone state. A domain's grace periods wait for its readers
 * only; any number of domains live at once. Readers without a slot (out of
 * thread indices) take the slow path and are still waited for. A forked
 * child can still run grace periods, even one that another thread of its
 * parent was running at the fork.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "util/rcu.h"

static struct rcu_domain main_dom;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct slow_reader {
	int inside;	/* atomics */
	int ended;
	unsigned int depth;
	bool indexed;	/* it had a thread index (not the slow path) */
};

/* Enters @depth nested sections, holds them 30 ms, then leaves. */
static void *slow_reader_fn(void *arg)
{
	struct slow_reader *s = arg;
	unsigned int i;

	for (i = 0; i < s->depth; i++)
		rcu_read_lock(&main_dom);
	s->indexed = rcu_self.gen & 1;
	__atomic_store_n(&s->inside, 1, __ATOMIC_SEQ_CST);
	sleep_ms(30);
	/* Inner unlocks must not end the section. */
	for (i = 1; i < s->depth; i++)
		rcu_read_unlock(&main_dom);
	sleep_ms(10);
	__atomic_store_n(&s->ended, 1, __ATOMIC_SEQ_CST);
	rcu_read_unlock(&main_dom);
	return NULL;
}

static void test_waits_for_reader(unsigned int depth)
{
	struct slow_reader s = { .depth = depth };
	pthread_t t;

	CHECK_OK(pthread_create(&t, NULL, slow_reader_fn, &s));
	while (!__atomic_load_n(&s.inside, __ATOMIC_SEQ_CST))
		sched_yield();
	rcu_synchronize(&main_dom);
	CHECK_EQ(__atomic_load_n(&s.ended, __ATOMIC_SEQ_CST), 1);
	CHECK_OK(pthread_join(t, NULL));
}

/*
 * A section that begins after a grace period started is not waited for
 * (else a stream of readers could hold a writer off for ever): the grace
 * period waits for an old reader, a new one enters, the old one leaves,
 * and the grace period must end while the new one is still inside.
 */
struct held_reader {
	int joined, go, inside, release;	/* atomics */
};

/* Joins (one empty section), then on @go holds a section until @release. */
static void *held_reader_fn(void *arg)
{
	struct held_reader *h = arg;

	rcu_read_lock(&main_dom);
	rcu_read_unlock(&main_dom);
	__atomic_store_n(&h->joined, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&h->go, __ATOMIC_SEQ_CST))
		sched_yield();
	rcu_read_lock(&main_dom);
	__atomic_store_n(&h->inside, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&h->release, __ATOMIC_SEQ_CST))
		sched_yield();
	rcu_read_unlock(&main_dom);
	return NULL;
}

static void wait_flag(int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
		sched_yield();
}

static void start_held(struct held_reader *h, pthread_t *t)
{
	h->go = 1;
	CHECK_OK(pthread_create(t, NULL, held_reader_fn, h));
	wait_flag(&h->inside);
}

static int gp_done;	/* atomic */

static void *gp_fn(void *arg)
{
	rcu_synchronize(&main_dom);
	__atomic_store_n(&gp_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_not_waiting_for_later(void)
{
	struct held_reader old = { 0 }, young = { 0 };
	pthread_t to, ty, tg;
	unsigned int i;
	uint64_t gp0;

	/* The young reader joins first, so the grace period meets it after
	 * waiting out the old one: by then its section has begun, and only
	 * when it began tells the two apart. */
	CHECK_OK(pthread_create(&ty, NULL, held_reader_fn, &young));
	wait_flag(&young.joined);
	start_held(&old, &to);
	gp0 = __atomic_load_n(&main_dom.gp, __ATOMIC_SEQ_CST);
	__atomic_store_n(&gp_done, 0, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_create(&tg, NULL, gp_fn, NULL));
	/* The grace period has begun once the counter moves (and, for
	 * readers on the slow path, flips their counter right after). */
	while (__atomic_load_n(&main_dom.gp, __ATOMIC_SEQ_CST) == gp0)
		sched_yield();
	sleep_ms(5);
	__atomic_store_n(&young.go, 1, __ATOMIC_SEQ_CST);
	wait_flag(&young.inside);
	sleep_ms(5);
	CHECK_EQ(__atomic_load_n(&gp_done, __ATOMIC_SEQ_CST), 0);
	__atomic_store_n(&old.release, 1, __ATOMIC_SEQ_CST);
	/* It returns with the young reader still inside (allow it seconds:
	 * only a grace period waiting for the young reader never ends). */
	for (i = 0; i < 2000 && !__atomic_load_n(&gp_done, __ATOMIC_SEQ_CST); i++)
		sleep_ms(1);
	CHECK_EQ(__atomic_load_n(&gp_done, __ATOMIC_SEQ_CST), 1);
	CHECK_OK(pthread_join(tg, NULL));
	CHECK_OK(pthread_join(to, NULL));
	CHECK_EQ(__atomic_load_n(&young.inside, __ATOMIC_SEQ_CST), 1);
	__atomic_store_n(&young.release, 1, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_join(ty, NULL));
}

static int churn_indexed;

static void *short_reader_fn(void *arg)
{
	rcu_read_lock(&main_dom);
	(*(volatile int *)arg)++;
	churn_indexed += rcu_self.gen & 1;
	rcu_read_unlock(&main_dom);
	return NULL;
}

/*
 * Thousands of threads come and go; grace periods in between. Indices go
 * back at thread exit: with a limit of a few, every thread still gets one.
 */
static void test_thread_churn(void)
{
	unsigned int i, rounds = (unsigned int)test_scale(2000);
	uint32_t limit = rcu_thread_limit;
	int counter = 0;

	WRITE_ONCE(rcu_thread_limit, 8);
	for (i = 0; i < rounds; i++) {
		pthread_t t;

		CHECK_OK(pthread_create(&t, NULL, short_reader_fn, &counter));
		CHECK_OK(pthread_join(t, NULL));
		if (i % 7 == 0)
			rcu_synchronize(&main_dom);
	}
	CHECK_EQ(counter, rounds);
	CHECK_EQ(churn_indexed, rounds);
	rcu_synchronize(&main_dom);
	WRITE_ONCE(rcu_thread_limit, limit);
}

/*
 * Threads alive at once get indices across several chunks, and each its
 * slot in the domain (not the slow path). Once they have exited, a grace
 * period has no other reader: no barrier.
 */
#define TOGETHER 12

static pthread_barrier_t together;
static int together_slotted;	/* atomic */

static void *together_fn(void *arg)
{
	struct rcu_domain *d = arg;

	pthread_barrier_wait(&together);
	rcu_read_lock(d);
	if (rcu_slot_cached(d))
		__atomic_fetch_add(&together_slotted, 1, __ATOMIC_RELAXED);
	rcu_read_unlock(d);
	pthread_barrier_wait(&together);
	return NULL;
}

static void test_threads_together(void)
{
	struct rcu_domain d;
	pthread_t t[TOGETHER];
	unsigned int i;
	uint64_t b;

	CHECK_OK(rcu_domain_init(&d, RCU_FENCE_NEVER));
	CHECK_OK(pthread_barrier_init(&together, NULL, TOGETHER));
	for (i = 0; i < TOGETHER; i++)
		CHECK_OK(pthread_create(&t[i], NULL, together_fn, &d));
	for (i = 0; i < TOGETHER; i++)
		CHECK_OK(pthread_join(t[i], NULL));
	CHECK_EQ(together_slotted, TOGETHER);
	b = d.barriers;
	rcu_synchronize(&d);
	CHECK_EQ(d.barriers, b);
	pthread_barrier_destroy(&together);
	rcu_domain_fini(&d);
}

/* A reader always in and out of sections does not hold grace periods up
 * for ever (each of its sections is short). */
static int busy_stop;
static uint64_t busy_sections;	/* atomics */

static void *busy_reader_fn(void *arg)
{
	while (!__atomic_load_n(&busy_stop, __ATOMIC_ACQUIRE)) {
		rcu_read_lock(&main_dom);
		__atomic_fetch_add(&busy_sections, 1, __ATOMIC_RELAXED);
		rcu_read_unlock(&main_dom);
	}
	return NULL;
}

static void test_busy_reader(void)
{
	pthread_t t;
	uint64_t before;
	unsigned int i;

	CHECK_OK(pthread_create(&t, NULL, busy_reader_fn, NULL));
	while (!__atomic_load_n(&busy_sections, __ATOMIC_RELAXED))
		sched_yield();
	for (i = 0; i < test_scale(2000); i++)
		rcu_synchronize(&main_dom);
	/* The reader kept going meanwhile. */
	before = __atomic_load_n(&busy_sections, __ATOMIC_RELAXED);
	while (__atomic_load_n(&busy_sections, __ATOMIC_RELAXED) == before)
		sched_yield();
	__atomic_store_n(&busy_stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(t, NULL));
}

/* A second domain whose readers fence. */
static struct rcu_domain test_dom;

struct dom_reader {
	bool in_test_dom;
	int inside, release;	/* atomics */
};

static void *dom_reader_fn(void *arg)
{
	struct dom_reader *d = arg;

	if (d->in_test_dom)
		rcu_read_lock(&test_dom);
	else
		rcu_read_lock(&main_dom);
	__atomic_store_n(&d->inside, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&d->release, __ATOMIC_SEQ_CST))
		sched_yield();
	if (d->in_test_dom)
		rcu_read_unlock(&test_dom);
	else
		rcu_read_unlock(&main_dom);
	return NULL;
}

static int dom_gp_done;	/* atomic */

static void *dom_gp_fn(void *arg)
{
	rcu_synchronize(arg);
	__atomic_store_n(&dom_gp_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Run a grace period of @gp_dom while a reader of the test domain (or of
 * the main one, with @in_test_dom false) holds a section. @waits: it must
 * still be running 20 ms later; otherwise it must end while the reader is
 * still inside (allowing seconds for a loaded machine).
 */
static void check_dom(struct rcu_domain *gp_dom, bool in_test_dom, bool waits)
{
	struct dom_reader d = { .in_test_dom = in_test_dom };
	pthread_t tr, tg;
	unsigned int i;

	CHECK_OK(pthread_create(&tr, NULL, dom_reader_fn, &d));
	wait_flag(&d.inside);
	__atomic_store_n(&dom_gp_done, 0, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_create(&tg, NULL, dom_gp_fn, gp_dom));
	if (waits) {
		sleep_ms(20);
		CHECK_EQ(__atomic_load_n(&dom_gp_done, __ATOMIC_SEQ_CST), 0);
	} else {
		for (i = 0; i < 2000 && !__atomic_load_n(&dom_gp_done, __ATOMIC_SEQ_CST); i++)
			sleep_ms(1);
		CHECK_EQ(__atomic_load_n(&dom_gp_done, __ATOMIC_SEQ_CST), 1);
	}
	__atomic_store_n(&d.release, 1, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_join(tg, NULL));
	CHECK_OK(pthread_join(tr, NULL));
	CHECK_EQ(__atomic_load_n(&dom_gp_done, __ATOMIC_SEQ_CST), 1);
}

static void test_domains(void)
{
	/* Alone in the test domain: a grace period without other readers. */
	rcu_read_lock(&test_dom);
	rcu_read_unlock(&test_dom);
	rcu_synchronize(&test_dom);
	check_dom(&test_dom, true, true);
	check_dom(&main_dom, false, true);
	/* Each domain's grace periods ignore the other's readers. */
	check_dom(&main_dom, true, false);
	check_dom(&test_dom, false, false);
}

/*
 * An adaptive domain (rcu.h): its readers start fencing once grace periods
 * come quickly, and stop when the domain goes quiet, whether a grace
 * period or a fencing reader notices. A grace period issues the
 * process-wide barrier unless every running section of the domain fences:
 * the one that turns the fence on still issues it, and so does the first
 * after the fence goes off. Checked through the domain's barrier count
 * (without membarrier there is never one: readers always fence).
 */
static struct rcu_domain ad_dom;

struct ad_obj {
	int alive;	/* atomic */
};

struct ad_reader {
	int joined, stop;		/* atomics */
	unsigned int run;		/* atomic: sections asked for */
	struct ad_obj *cur;		/* RCU-protected */
	uint64_t sections, bad;		/* atomics */
};

static void *ad_reader_fn(void *arg)
{
	struct ad_reader *a = arg;

	rcu_read_lock(&ad_dom);
	rcu_read_unlock(&ad_dom);
	__atomic_store_n(&a->joined, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		unsigned int n = __atomic_load_n(&a->run, __ATOMIC_ACQUIRE), i;

		if (!n) {
			sched_yield();
			continue;
		}
		for (i = 0; i < n && !__atomic_load_n(&a->stop, __ATOMIC_RELAXED); i++) {
			struct ad_obj *o;

			rcu_read_lock(&ad_dom);
			o = rcu_dereference(a->cur);
			/* Retired objects are poisoned only after a grace
			 * period: a section must never see one. */
			if (o && (!__atomic_load_n(&o->alive, __ATOMIC_RELAXED) ||
				  (cpu_relax(), !__atomic_load_n(&o->alive, __ATOMIC_RELAXED))))
				__atomic_fetch_add(&a->bad, 1, __ATOMIC_RELAXED);
			rcu_read_unlock(&ad_dom);
			__atomic_fetch_add(&a->sections, 1, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&a->run, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

static bool ad_fence(void)
{
	return __atomic_load_n(&ad_dom.fence, __ATOMIC_SEQ_CST);
}

/* One grace period of the adaptive domain; checks whether it issued the
 * barrier, given the fence before and after it. */
static void ad_gp(bool mb)
{
	bool before = ad_fence();
	uint64_t b = ad_dom.barriers;	/* only our grace periods write it */

	rcu_synchronize(&ad_dom);
	CHECK_EQ(ad_dom.barriers - b, (uint64_t)(mb && !(before && ad_fence())));
}

static void ad_fence_on(bool mb)
{
	unsigned int i;

	for (i = 0; i < 100000 && !ad_fence(); i++)
		ad_gp(mb);
	CHECK(ad_fence());
}

static void ad_run(struct ad_reader *a, unsigned int sections)
{
	__atomic_store_n(&a->run, sections, __ATOMIC_RELEASE);
	while (__atomic_load_n(&a->run, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void test_adaptive(void)
{
	struct ad_reader a = { 0 };
	bool mb = !READ_ONCE(rcu_reader_fence);
	struct ad_obj *objs;
	unsigned int i, rounds = (unsigned int)test_scale(8), on = 0, off = 0;
	pthread_t t;

	CHECK_OK(pthread_create(&t, NULL, ad_reader_fn, &a));
	wait_flag(&a.joined);
	CHECK(!ad_fence());

	/* Quick grace periods turn the fence on; then no barriers. */
	ad_fence_on(mb);
	for (i = 0; i < 20; i++)
		ad_gp(mb);
	/* Quiet: the next grace period turns it off and barriers. */
	sleep_ms(15);
	ad_gp(mb);
	CHECK(!ad_fence());
	ad_gp(mb);

	/* Quiet, noticed by a fencing reader within 65536 sections. */
	ad_fence_on(mb);
	sleep_ms(15);
	ad_run(&a, 70000);
	CHECK(!ad_fence());
	ad_gp(mb);

	/*
	 * Through switches both ways, with the reader in sections all the
	 * time: objects it can reach are retired, waited for and poisoned.
	 */
	objs = calloc(rounds * 64 + 1, sizeof(*objs));
	CHECK(objs != NULL);
	objs[0].alive = 1;
	__atomic_store_n(&a.cur, &objs[0], __ATOMIC_RELEASE);
	__atomic_store_n(&a.run, 1u << 30, __ATOMIC_RELEASE);
	for (i = 1; i <= rounds * 64; i++) {
		struct ad_obj *old = a.cur;

		__atomic_store_n(&objs[i].alive, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&a.cur, &objs[i], __ATOMIC_RELEASE);
		ad_gp(mb);
		__atomic_store_n(&old->alive, 0, __ATOMIC_RELAXED);
		if (i % 64 == 0) {
			on += ad_fence();
			sleep_ms(12);
			ad_gp(mb);
			off += !ad_fence();
		}
	}
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(t, NULL));
	CHECK_EQ(__atomic_load_n(&a.bad, __ATOMIC_RELAXED), 0);
	CHECK(__atomic_load_n(&a.sections, __ATOMIC_RELAXED) > 70000);
	/* Both states were exercised (allowing for a loaded machine). */
	CHECK(on > 0 && off > 0);
	free(objs);
}

/* fork() with another reader registered: the child's grace periods must
 * not wait for a thread it does not have. */
static void test_fork(void)
{
	struct held_reader h = { 0 };
	pthread_t t;
	pid_t pid;
	int status;

	start_held(&h, &t);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rcu_read_lock(&main_dom);
		rcu_read_unlock(&main_dom);
		rcu_synchronize(&main_dom);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	__atomic_store_n(&h.release, 1, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_join(t, NULL));
}

/* Many domains at once, each read by two threads, then retired. */
#define MANY_DOMS 300

struct many {
	struct rcu_domain *doms;
	int stop;		/* atomic */
	uint64_t sections;	/* atomic */
};

static void *many_reader_fn(void *arg)
{
	struct many *m = arg;
	unsigned int i = 0;

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		struct rcu_domain *a = &m->doms[i % MANY_DOMS];
		struct rcu_domain *b = &m->doms[(i * 7 + 3) % MANY_DOMS];

		rcu_read_lock(a);
		rcu_read_lock(b);	/* nested, across domains */
		rcu_read_unlock(b);
		rcu_read_unlock(a);
		__atomic_fetch_add(&m->sections, 1, __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

static void test_many_domains(void)
{
	struct many m = { 0 };
	unsigned int i;
	pthread_t t;

	m.doms = calloc(MANY_DOMS, sizeof(*m.doms));
	CHECK(m.doms != NULL);
	for (i = 0; i < MANY_DOMS; i++)
		CHECK_OK(rcu_domain_init(&m.doms[i], i % 3 == 0 ? RCU_FENCE_ADAPTIVE :
					 i % 3 == 1 ? RCU_FENCE_NEVER : RCU_FENCE_ALWAYS));
	CHECK_OK(pthread_create(&t, NULL, many_reader_fn, &m));
	while (!__atomic_load_n(&m.sections, __ATOMIC_RELAXED))
		sched_yield();
	for (i = 0; i < 3 * MANY_DOMS; i++) {
		rcu_read_lock(&m.doms[i % MANY_DOMS]);
		rcu_read_unlock(&m.doms[i % MANY_DOMS]);
		rcu_synchronize(&m.doms[(i * 5) % MANY_DOMS]);
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(t, NULL));
	/* The reader has exited: fini, and a new domain in the same place
	 * knows none of its readers. */
	for (i = 0; i < MANY_DOMS; i++)
		rcu_domain_fini(&m.doms[i]);
	CHECK_OK(rcu_domain_init(&m.doms[0], RCU_FENCE_NEVER));
	rcu_synchronize(&m.doms[0]);
	rcu_read_lock(&m.doms[0]);
	rcu_read_unlock(&m.doms[0]);
	rcu_domain_fini(&m.doms[0]);
	free(m.doms);
}

/*
 * The slow path: threads beyond the index limit read through the shared
 * counters. Their sections (nested, and across domains) are waited for;
 * later ones are not; a writer's own slow-path section in another domain
 * does not hold its grace period; a stream of them does not starve one.
 */
static void test_slow_path(void)
{
	uint32_t limit = rcu_thread_limit;
	struct slow_reader s = { .depth = 3 };
	unsigned int i;
	pthread_t t;

	WRITE_ONCE(rcu_thread_limit, 0);
	/* Nested sections of a slow-path reader are waited for. */
	CHECK_OK(pthread_create(&t, NULL, slow_reader_fn, &s));
	wait_flag(&s.inside);
	rcu_synchronize(&main_dom);
	CHECK_EQ(__atomic_load_n(&s.ended, __ATOMIC_SEQ_CST), 1);
	CHECK_OK(pthread_join(t, NULL));
	CHECK(!s.indexed);

	/* A section that begins after the grace period is not waited for. */
	test_not_waiting_for_later();

	/* A busy slow-path reader does not hold grace periods off. */
	__atomic_store_n(&busy_stop, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&busy_sections, 0, __ATOMIC_RELAXED);
	CHECK_OK(pthread_create(&t, NULL, busy_reader_fn, NULL));
	while (!__atomic_load_n(&busy_sections, __ATOMIC_RELAXED))
		sched_yield();
	for (i = 0; i < test_scale(200); i++)
		rcu_synchronize(&main_dom);
	__atomic_store_n(&busy_stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(t, NULL));
	WRITE_ONCE(rcu_thread_limit, limit);
}

static void *slow_self_fn(void *arg)
{
	(void)arg;
	/* No index: this section is on the slow path; a grace period of
	 * another domain must not wait for it. */
	rcu_read_lock(&main_dom);
	rcu_synchronize(&test_dom);
	rcu_read_unlock(&main_dom);
	rcu_synchronize(&main_dom);
	return NULL;
}

static void test_slow_path_self(void)
{
	uint32_t limit = rcu_thread_limit;
	pthread_t t;

	WRITE_ONCE(rcu_thread_limit, 0);
	CHECK_OK(pthread_create(&t, NULL, slow_self_fn, NULL));
	CHECK_OK(pthread_join(t, NULL));
	WRITE_ONCE(rcu_thread_limit, limit);
}

/*
 * A section entered with rcu_read_lock_slot() and left with the slot it
 * returned: a plain section nested inside, and sections of two other
 * domains that push its domain out of the thread's remembered two, change
 * nothing; a grace period waits for it whole. On the slow path the entry
 * returns no slot and the exit still ends the section.
 */
struct slot_reader {
	int inside, ended;	/* atomics */
	bool had_slot, indexed;
};

static void *slot_reader_fn(void *arg)
{
	struct slot_reader *r = arg;
	struct rcu_slot *s;

	/* The first entry registers the thread (the slow way in); the one
	 * held below finds the slot remembered. */
	s = rcu_read_lock_slot(&main_dom);
	rcu_read_unlock_slot(&main_dom, s);
	s = rcu_read_lock_slot(&main_dom);
	r->had_slot = s != NULL;
	r->indexed = rcu_self.gen & 1;
	rcu_read_lock(&main_dom);
	rcu_read_lock(&test_dom);
	rcu_read_lock(&ad_dom);
	rcu_read_unlock(&ad_dom);
	rcu_read_unlock(&test_dom);
	rcu_read_unlock(&main_dom);
	__atomic_store_n(&r->inside, 1, __ATOMIC_SEQ_CST);
	sleep_ms(30);
	__atomic_store_n(&r->ended, 1, __ATOMIC_SEQ_CST);
	rcu_read_unlock_slot(&main_dom, s);
	/* Ended: a grace period of this thread's own does not wait for it. */
	rcu_synchronize(&main_dom);
	return NULL;
}

static void test_slot_sections(void)
{
	uint32_t limit = rcu_thread_limit;
	unsigned int slow;

	for (slow = 0; slow < 2; slow++) {
		struct slot_reader r = { 0 };
		pthread_t t;

		if (slow)
			WRITE_ONCE(rcu_thread_limit, 0);
		CHECK_OK(pthread_create(&t, NULL, slot_reader_fn, &r));
		wait_flag(&r.inside);
		rcu_synchronize(&main_dom);
		CHECK_EQ(__atomic_load_n(&r.ended, __ATOMIC_SEQ_CST), 1);
		CHECK_OK(pthread_join(t, NULL));
		CHECK_EQ(r.had_slot, !slow);
		CHECK_EQ(r.indexed, !slow);
		WRITE_ONCE(rcu_thread_limit, limit);
	}
}

/*
 * Leaf sections (rcu_read_trylock_leaf()): a thread whose slot is not at
 * hand gets none and is in no section; once it is, a leaf section is
 * waited for like any other, and inside an outer section a leaf's exit
 * does not end the outer one. On a fencing domain, the entry whose
 * periodic check is due gets none either, and leaves no section behind.
 */
struct leaf_reader {
	int step, inside, ended;	/* atomics */
	bool none_first, none_due, had_slot;
	unsigned int depth;		/* outer sections around the leaf */
};

static void *leaf_reader_fn(void *arg)
{
	struct leaf_reader *r = arg;
	struct rcu_slot *s;
	unsigned int i;

	/* A new thread: no slot remembered, no section entered. */
	r->none_first = rcu_read_trylock_leaf(&main_dom) == NULL;
	rcu_read_lock(&main_dom);
	rcu_read_unlock(&main_dom);
	/* Due for its periodic check on a fencing domain: none either. */
	rcu_read_lock(&test_dom);
	s = rcu_slot_cached(&test_dom);
	s->fenced = UINT16_MAX;
	rcu_read_unlock(&test_dom);
	r->none_due = rcu_read_trylock_leaf(&test_dom) == NULL;
	__atomic_store_n(&r->step, 1, __ATOMIC_SEQ_CST);
	sleep_ms(30);
	/* The check made by the ordinary entry, the leaf comes back. */
	rcu_read_lock(&test_dom);
	rcu_read_unlock(&test_dom);
	s = rcu_read_trylock_leaf(&test_dom);
	CHECK(s != NULL);
	rcu_read_unlock_leaf(&test_dom, s);

	for (i = 0; i < r->depth; i++)
		rcu_read_lock(&main_dom);
	s = rcu_read_trylock_leaf(&main_dom);
	r->had_slot = s != NULL;
	if (s)
		rcu_read_unlock_leaf(&main_dom, s);
	s = rcu_read_trylock_leaf(&main_dom);
	__atomic_store_n(&r->inside, 1, __ATOMIC_SEQ_CST);
	sleep_ms(30);
	__atomic_store_n(&r->ended, 1, __ATOMIC_SEQ_CST);
	if (s)
		rcu_read_unlock_leaf(&main_dom, s);
	for (i = 0; i < r->depth; i++)
		rcu_read_unlock(&main_dom);
	return NULL;
}

static void test_leaf_sections(void)
{
	unsigned int depth;

	for (depth = 0; depth < 2; depth++) {
		struct leaf_reader r = { .depth = depth };
		pthread_t t;

		CHECK_OK(pthread_create(&t, NULL, leaf_reader_fn, &r));
		wait_flag(&r.step);
		/* Neither refused entry left a section open. */
		rcu_synchronize(&main_dom);
		rcu_synchronize(&test_dom);
		CHECK_EQ(__atomic_load_n(&r.inside, __ATOMIC_SEQ_CST), 0);
		wait_flag(&r.inside);
		rcu_synchronize(&main_dom);
		CHECK_EQ(__atomic_load_n(&r.ended, __ATOMIC_SEQ_CST), 1);
		CHECK_OK(pthread_join(t, NULL));
		CHECK(r.none_first);
		CHECK(r.none_due);
		CHECK(r.had_slot);
	}
}

/* fork() while another thread's grace period waits for a reader: the
 * child's grace periods of that domain neither wait for the parent's
 * threads nor for the lock the waiting one holds. */
static void test_fork_mid_gp(void)
{
	struct held_reader h = { 0 }, hs = { 0 };
	uint32_t limit = rcu_thread_limit;
	pthread_t t, ts, tg;
	pid_t pid;
	int status;

	start_held(&h, &t);
	/* One on the slow path too. */
	WRITE_ONCE(rcu_thread_limit, 0);
	start_held(&hs, &ts);
	WRITE_ONCE(rcu_thread_limit, limit);
	__atomic_store_n(&gp_done, 0, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_create(&tg, NULL, gp_fn, NULL));
	sleep_ms(10);
	CHECK_EQ(__atomic_load_n(&gp_done, __ATOMIC_SEQ_CST), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rcu_synchronize(&main_dom);
		rcu_read_lock(&main_dom);
		rcu_read_unlock(&main_dom);
		rcu_synchronize(&main_dom);
		/* A new thread takes a gone thread's index (the lowest free)
		 * and its slot, which that one left inside a section: its
		 * own sections are still waited for. (ThreadSanitizer cannot
		 * start threads in the child of a threaded process.) */
#ifndef SIOMMU_TSAN
		test_waits_for_reader(1);
#endif
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	__atomic_store_n(&h.release, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hs.release, 1, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_join(tg, NULL));
	CHECK_OK(pthread_join(t, NULL));
	CHECK_OK(pthread_join(ts, NULL));
}

/*
 * Out of memory: a domain cannot be set up (-ENOMEM, nothing to undo), and
 * a reader whose slot cannot be allocated reads on the slow path, where
 * grace periods still wait for it.
 */
struct oom_reader {
	struct rcu_domain *d;
	bool slotted;
};

static void *oom_reader_fn(void *arg)
{
	struct oom_reader *o = arg;

	pthread_barrier_wait(&together);
	rcu_read_lock(o->d);
	rcu_read_lock(o->d);
	o->slotted = rcu_slot_cached(o->d) != NULL;
	pthread_barrier_wait(&together);
	sleep_ms(20);
	__atomic_fetch_add(&together_slotted, 1, __ATOMIC_SEQ_CST);
	rcu_read_unlock(o->d);
	rcu_read_unlock(o->d);
	return NULL;
}

static void test_alloc_failure(void)
{
	struct oom_reader o[TOGETHER];
	struct rcu_domain d;
	pthread_t t[TOGETHER];
	unsigned int i, slotless = 0;

	WRITE_ONCE(rcu_fail_alloc, true);
	CHECK_EQ(rcu_domain_init(&d, RCU_FENCE_NEVER), -ENOMEM);
	rcu_domain_fini(&d);
	WRITE_ONCE(rcu_fail_alloc, false);
	CHECK_OK(rcu_domain_init(&d, RCU_FENCE_NEVER));

	/* Threads alive at once: all but the first indices need a chunk. */
	WRITE_ONCE(rcu_fail_alloc, true);
	__atomic_store_n(&together_slotted, 0, __ATOMIC_SEQ_CST);
	CHECK_OK(pthread_barrier_init(&together, NULL, TOGETHER + 1));
	for (i = 0; i < TOGETHER; i++) {
		o[i] = (struct oom_reader){ .d = &d };
		CHECK_OK(pthread_create(&t[i], NULL, oom_reader_fn, &o[i]));
	}
	pthread_barrier_wait(&together);
	pthread_barrier_wait(&together);	/* all inside */
	rcu_synchronize(&d);
	CHECK_EQ(__atomic_load_n(&together_slotted, __ATOMIC_SEQ_CST), TOGETHER);
	for (i = 0; i < TOGETHER; i++) {
		CHECK_OK(pthread_join(t[i], NULL));
		slotless += !o[i].slotted;
	}
	CHECK(slotless > 0);
	WRITE_ONCE(rcu_fail_alloc, false);
	pthread_barrier_destroy(&together);
	rcu_domain_fini(&d);
}

int main(void)
{
	CHECK_OK(rcu_domain_init(&main_dom, RCU_FENCE_NEVER));
	CHECK_OK(rcu_domain_init(&test_dom, RCU_FENCE_ALWAYS));
	CHECK_OK(rcu_domain_init(&ad_dom, RCU_FENCE_ADAPTIVE));
	rcu_synchronize(&main_dom);	/* no reader at all */
	test_waits_for_reader(1);
	test_waits_for_reader(3);
	test_not_waiting_for_later();
	test_thread_churn();
	test_threads_together();
	test_alloc_failure();
	test_busy_reader();
	test_domains();
	test_adaptive();
	test_fork();
	test_many_domains();
	test_slow_path();
	test_slow_path_self();
	test_slot_sections();
	test_leaf_sections();
	test_fork_mid_gp();
	rcu_domain_fini(&ad_dom);
	rcu_domain_fini(&test_dom);
	rcu_domain_fini(&main_dom);
	return 0;
}
