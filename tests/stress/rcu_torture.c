/* SPDX-License-Identifier: MIT */
/*
 * RCU torture (after liburcu's rcutorture): readers and updaters on several
 * domains at once. Updaters publish a new object, wait a grace period of
 * its domain and poison the old one; readers, in sections (nested, across
 * domains), must never see a poisoned object. Around them: threads come
 * and go (some beyond the thread-index limit, on the slow path), domains
 * are created, read and destroyed, every reader is forced to fence and
 * back, and adaptive domains switch their fence on and off. A reader sits
 * in a section of one domain for the whole run, and grace periods of the
 * others must keep completing.
 *
 * Runs SIOMMU_TORTURE_SECONDS seconds (default 3), then on until every role
 * has done what the checks need (tests/common/stress.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
#include "test.h"
#include "util/rcu.h"

#define NR_DOMS		4	/* torture domains; one more holds the sitter */
#define NR_READERS	3
#define NR_UPDATERS	2
#define GRAVE		128	/* poisoned objects kept before freeing */

#define ALIVE		0x600dull
#define POISON		0xdeadull

struct obj {
	uint64_t state;		/* atomic: ALIVE, then POISON */
	unsigned int dom;
};

struct torture {
	struct rcu_domain doms[NR_DOMS];
	struct obj *cur[NR_DOMS];		/* RCU-protected */
	pthread_mutex_t upd_lock[NR_DOMS];	/* one updater per domain at a time */
	struct rcu_domain sit_dom;
	int stop;				/* atomics from here */
	int sitting;
	uint64_t bad;
	uint64_t sections;
	uint64_t slow_sections;
	uint64_t gps[NR_DOMS];
	uint64_t churned_threads;
	uint64_t churned_doms;
	unsigned int fence_on, fence_off;	/* adaptive switches seen */
};

static struct torture T;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

static bool stopping(void)
{
	return __atomic_load_n(&T.stop, __ATOMIC_ACQUIRE);
}

/* Inside a section of @d: its object must be alive, now and a moment later. */
static void check_obj(unsigned int d)
{
	struct obj *o = rcu_dereference(T.cur[d]);
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (__atomic_load_n(&o->state, __ATOMIC_RELAXED) != ALIVE || o->dom != d)
			__atomic_fetch_add(&T.bad, 1, __ATOMIC_RELAXED);
		cpu_relax();
	}
}

/* One reader's section: one domain, sometimes another nested inside. */
static void read_once(struct test_rng *r)
{
	unsigned int a = (unsigned int)test_rand_below(r, NR_DOMS);
	unsigned int b = (unsigned int)test_rand_below(r, NR_DOMS);
	bool nest = test_rand_below(r, 4) == 0;

	rcu_read_lock(&T.doms[a]);
	check_obj(a);
	if (nest) {
		rcu_read_lock(&T.doms[b]);
		check_obj(b);
		if (a == b)
			check_obj(a);
		rcu_read_unlock(&T.doms[b]);
	}
	check_obj(a);
	rcu_read_unlock(&T.doms[a]);
}

static void *reader_fn(void *arg)
{
	struct test_rng r = { (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1 };
	uint64_t n = 0;

	while (!stopping()) {
		read_once(&r);
		if (++n % 1024 == 0)
			__atomic_fetch_add(&T.sections, 1024, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Publish a new object in @d, wait, poison the old one. */
static void update_once(unsigned int d, struct obj **grave, unsigned int *g)
{
	struct obj *n = malloc(sizeof(*n)), *old;

	CHECK(n != NULL);
	n->dom = d;
	__atomic_store_n(&n->state, ALIVE, __ATOMIC_RELAXED);
	pthread_mutex_lock(&T.upd_lock[d]);
	old = __atomic_exchange_n(&T.cur[d], n, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&T.upd_lock[d]);
	rcu_synchronize(&T.doms[d]);
	__atomic_store_n(&old->state, POISON, __ATOMIC_RELAXED);
	__atomic_fetch_add(&T.gps[d], 1, __ATOMIC_RELAXED);
	free(grave[*g]);
	grave[*g] = old;
	*g = (*g + 1) % GRAVE;
}

static void *updater_fn(void *arg)
{
	struct test_rng r = { (uintptr_t)arg * 0xbf58476d1ce4e5b9ull + 7 };
	struct obj *grave[GRAVE] = { 0 };
	unsigned int g = 0, i;

	while (!stopping()) {
		unsigned int d = (unsigned int)test_rand_below(&r, NR_DOMS);

		/* Bursts turn an adaptive domain's fence on; pauses longer
		 * than RCU_QUIET_NS turn it off. */
		switch (test_rand_below(&r, 16)) {
		case 0:
			for (i = 0; i < 2 * RCU_BUSY_GPS && !stopping(); i++)
				update_once(d, grave, &g);
			break;
		case 1:
			sleep_us((long)(RCU_QUIET_NS / 1000) + 2000);
			break;
		default:
			update_once(d, grave, &g);
			if (test_rand_below(&r, 8) == 0)
				sleep_us(100);
		}
	}
	for (i = 0; i < GRAVE; i++)
		free(grave[i]);
	return NULL;
}

/* Watches the adaptive domains' fence flags. */
static void *watch_fn(void *arg)
{
	bool was[NR_DOMS] = { 0 };
	unsigned int d;

	(void)arg;
	while (!stopping()) {
		for (d = 0; d < NR_DOMS; d++) {
			bool f = __atomic_load_n(&T.doms[d].fence, __ATOMIC_RELAXED);

			if (T.doms[d].policy != RCU_FENCE_ADAPTIVE || f == was[d])
				continue;
			if (f)
				__atomic_fetch_add(&T.fence_on, 1, __ATOMIC_RELAXED);
			else
				__atomic_fetch_add(&T.fence_off, 1, __ATOMIC_RELAXED);
			was[d] = f;
		}
		sleep_us(200);
	}
	return NULL;
}

/* Short-lived readers; every other batch beyond the index limit. */
static void *short_fn(void *arg)
{
	struct test_rng r = { (uintptr_t)arg + 11 };
	unsigned int i, n = 1 + (unsigned int)test_rand_below(&r, 64);

	for (i = 0; i < n; i++)
		read_once(&r);
	if (!(rcu_self.gen & 1))	/* no thread index: the slow path */
		__atomic_fetch_add(&T.slow_sections, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *churn_fn(void *arg)
{
	uint64_t batch = 0;

	(void)arg;
	while (!stopping()) {
		pthread_t t[4];
		unsigned int i;

		/* The limit only concerns threads registering from now on;
		 * those running keep their slots. */
		WRITE_ONCE(rcu_thread_limit, batch % 2 ? 0 : RCU_MAX_THREADS);
		for (i = 0; i < 4; i++)
			CHECK_OK(pthread_create(&t[i], NULL, short_fn,
						(void *)(uintptr_t)(batch * 4 + i)));
		for (i = 0; i < 4; i++)
			CHECK_OK(pthread_join(t[i], NULL));
		__atomic_fetch_add(&T.churned_threads, 4, __ATOMIC_RELAXED);
		batch++;
	}
	WRITE_ONCE(rcu_thread_limit, RCU_MAX_THREADS);
	return NULL;
}

/* A domain of its own, created, read by a new thread while its grace
 * periods run, and destroyed. */
struct own {
	struct rcu_domain d;
	struct obj *cur;	/* RCU-protected */
	int stop;		/* atomic */
};

static void *own_reader_fn(void *arg)
{
	struct own *o = arg;

	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE)) {
		struct obj *x;

		rcu_read_lock(&o->d);
		x = rcu_dereference(o->cur);
		if (__atomic_load_n(&x->state, __ATOMIC_RELAXED) != ALIVE)
			__atomic_fetch_add(&T.bad, 1, __ATOMIC_RELAXED);
		rcu_read_unlock(&o->d);
	}
	return NULL;
}

static void *domains_fn(void *arg)
{
	uint64_t n = 0;

	(void)arg;
	while (!stopping()) {
		struct own *o = calloc(1, sizeof(*o));
		struct obj a = { ALIVE, 0 }, b = { ALIVE, 0 };
		pthread_t t;
		unsigned int i;

		CHECK(o != NULL);
		CHECK_OK(rcu_domain_init(&o->d, (enum rcu_fence_policy)(n % 3)));
		o->cur = &a;
		CHECK_OK(pthread_create(&t, NULL, own_reader_fn, o));
		/* Grace periods race the reader's first section. */
		for (i = 0; i < 8; i++) {
			struct obj *old = i % 2 ? &b : &a, *nw = i % 2 ? &a : &b;

			__atomic_store_n(&nw->state, ALIVE, __ATOMIC_RELAXED);
			__atomic_store_n(&o->cur, nw, __ATOMIC_RELEASE);
			rcu_synchronize(&o->d);
			__atomic_store_n(&old->state, POISON, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&o->stop, 1, __ATOMIC_RELEASE);
		CHECK_OK(pthread_join(t, NULL));
		rcu_domain_fini(&o->d);
		free(o);
		__atomic_fetch_add(&T.churned_doms, 1, __ATOMIC_RELAXED);
		n++;
	}
	return NULL;
}

/* Every reader fences (as without membarrier) for a while, then not. */
static void *force_fence_fn(void *arg)
{
	bool on = false;

	(void)arg;
	while (!stopping()) {
		on = !on;
		if (!rcu_force_reader_fence(on))
			return NULL;	/* no membarrier: always fencing */
		sleep_us(20000);
	}
	rcu_force_reader_fence(false);
	return NULL;
}

/* In a section of sit_dom from start to end. */
static void *sitter_fn(void *arg)
{
	(void)arg;
	rcu_read_lock(&T.sit_dom);
	__atomic_store_n(&T.sitting, 1, __ATOMIC_RELEASE);
	while (!stopping())
		sleep_us(1000);
	rcu_read_unlock(&T.sit_dom);
	return NULL;
}

/* The minimum the checks at the end need from every role. */
static const char *enough(void *arg)
{
	(void)arg;
	TEST_STRESS_NEED(test_count(&T.sections) > 0 && test_count(&T.slow_sections) > 0);
	TEST_STRESS_NEED(test_count(&T.churned_threads) > 0 &&
			 test_count(&T.churned_doms) > 0);
	TEST_STRESS_NEED(__atomic_load_n(&T.fence_on, __ATOMIC_RELAXED) > 0 &&
			 __atomic_load_n(&T.fence_off, __ATOMIC_RELAXED) > 0);
	return NULL;
}

int main(void)
{
	const char *e = getenv("SIOMMU_TORTURE_SECONDS");
	double secs = e ? atof(e) : 3.0;
	pthread_t rd[NR_READERS], up[NR_UPDATERS], churn, doms, force, watch, sit;
	uint64_t gps0[NR_DOMS];
	struct test_stress run;
	unsigned int i, d;

	if (getenv("SIOMMU_UNDER_VALGRIND"))
		secs /= 3;
	for (d = 0; d < NR_DOMS; d++) {
		static const enum rcu_fence_policy pol[NR_DOMS] = {
			RCU_FENCE_NEVER, RCU_FENCE_ALWAYS, RCU_FENCE_ADAPTIVE,
			RCU_FENCE_ADAPTIVE,
		};
		struct obj *o = malloc(sizeof(*o));

		CHECK(o != NULL);
		CHECK_OK(rcu_domain_init(&T.doms[d], pol[d]));
		pthread_mutex_init(&T.upd_lock[d], NULL);
		o->dom = d;
		o->state = ALIVE;
		T.cur[d] = o;
	}
	CHECK_OK(rcu_domain_init(&T.sit_dom, RCU_FENCE_NEVER));

	CHECK_OK(pthread_create(&sit, NULL, sitter_fn, NULL));
	while (!__atomic_load_n(&T.sitting, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < NR_READERS; i++)
		CHECK_OK(pthread_create(&rd[i], NULL, reader_fn, (void *)(uintptr_t)(i + 1)));
	for (i = 0; i < NR_UPDATERS; i++)
		CHECK_OK(pthread_create(&up[i], NULL, updater_fn, (void *)(uintptr_t)(i + 1)));
	CHECK_OK(pthread_create(&churn, NULL, churn_fn, NULL));
	CHECK_OK(pthread_create(&doms, NULL, domains_fn, NULL));
	CHECK_OK(pthread_create(&force, NULL, force_fence_fn, NULL));
	CHECK_OK(pthread_create(&watch, NULL, watch_fn, NULL));

	/* Grace periods of every other domain complete while the sitter
	 * stays: each second, each torture domain has had one. */
	run = test_stress_start((unsigned int)(secs * 1000));
	while (test_stress_more(&run, enough, NULL)) {
		for (d = 0; d < NR_DOMS; d++)
			gps0[d] = __atomic_load_n(&T.gps[d], __ATOMIC_RELAXED);
		rcu_synchronize(&T.doms[(now_ns() / 1000) % NR_DOMS]);
		sleep_us(500000);
		for (d = 0; d < NR_DOMS; d++) {
			uint64_t t0 = now_ns();

			/* On a loaded machine allow seconds; only a grace
			 * period waiting for the sitter never ends. */
			while (__atomic_load_n(&T.gps[d], __ATOMIC_RELAXED) == gps0[d] &&
			       now_ns() - t0 < 20000000000ull)
				sleep_us(1000);
			CHECK(__atomic_load_n(&T.gps[d], __ATOMIC_RELAXED) != gps0[d]);
		}
		CHECK_EQ(__atomic_load_n(&T.bad, __ATOMIC_RELAXED), 0);
	}
	__atomic_store_n(&T.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NR_READERS; i++)
		CHECK_OK(pthread_join(rd[i], NULL));
	for (i = 0; i < NR_UPDATERS; i++)
		CHECK_OK(pthread_join(up[i], NULL));
	CHECK_OK(pthread_join(churn, NULL));
	CHECK_OK(pthread_join(doms, NULL));
	CHECK_OK(pthread_join(force, NULL));
	CHECK_OK(pthread_join(watch, NULL));
	CHECK_OK(pthread_join(sit, NULL));

	fprintf(stderr, "%.1f s: %" PRIu64 " sections, %" PRIu64 " on the slow path, "
		"grace periods %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", "
		"%" PRIu64 " threads and %" PRIu64 " domains churned, "
		"adaptive fence on %u, off %u\n", secs,
		T.sections, T.slow_sections, T.gps[0], T.gps[1], T.gps[2], T.gps[3],
		T.churned_threads, T.churned_doms, T.fence_on, T.fence_off);
	CHECK_EQ(T.bad, 0);
	CHECK(T.sections > 0 && T.slow_sections > 0);
	CHECK(T.churned_threads > 0 && T.churned_doms > 0);
	/* Both switches happened (the updaters burst and pause at random). */
	CHECK(T.fence_on > 0 && T.fence_off > 0);

	for (d = 0; d < NR_DOMS; d++) {
		free(T.cur[d]);
		rcu_domain_fini(&T.doms[d]);
		pthread_mutex_destroy(&T.upd_lock[d]);
	}
	rcu_domain_fini(&T.sit_dom);
	return 0;
}
