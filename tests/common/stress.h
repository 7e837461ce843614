/* SPDX-License-Identifier: MIT */
/*
 * Time-bounded stress runs that cannot fail for want of CPU.
 *
 * A stress test runs its threads for SIOMMU_STRESS_MS and then checks both
 * that nothing went wrong and that every role did enough to make that mean
 * something (so many maps, so many replaces, ...). On a loaded machine, or
 * under a sanitizer, a thread can be starved for the whole of that time;
 * the minimum then fails although nothing is wrong. test_stress_run() runs
 * for at least the time asked and then on until the test says its minimum
 * is reached, up to a cap (SIOMMU_STRESS_MAX_MS, default 120 s): only a
 * run that makes no such progress in all that time fails, and it names
 * the counter that fell short.
 *
 * Counters the check reads while the threads run are counted with
 * test_count_add() and read with test_count() (relaxed atomics: each is
 * only a tally, ordering nothing).
 */
#ifndef SIOMMU_TEST_STRESS_H
#define SIOMMU_TEST_STRESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "test.h"

static inline void test_count_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t test_count(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * The minimum run of a stress phase in ms: SIOMMU_STRESS_MS, else @dflt.
 */
static inline unsigned int test_stress_ms(unsigned int dflt)
{
	return (unsigned int)test_env_u64("SIOMMU_STRESS_MS", dflt);
}

/*
 * Returns NULL once the run has done enough, else the condition still
 * unmet, as TEST_STRESS_NEED() words it. Called from the thread running
 * test_stress_run() while the test's threads run: it reads their counters
 * with test_count().
 */
typedef const char *(*test_stress_short_fn)(void *arg);

/* In a test_stress_short_fn: the run needs @cond before it may end. */
#define TEST_STRESS_NEED(cond)                                             \
	do {                                                               \
		if (!(cond))                                               \
			return #cond;                                      \
	} while (0)

static inline uint64_t test_stress_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* A run in progress: see test_stress_more(). */
struct test_stress {
	uint64_t t0, ms, cap;	/* start, minimum and cap, in ms */
	bool enough;		/* the minimum was reached */
};

/*
 * Start a run of at least @ms; the cap is SIOMMU_STRESS_MAX_MS (default
 * 120000, never less than @ms).
 */
static inline struct test_stress test_stress_start(unsigned int ms)
{
	struct test_stress s = { test_stress_now_ms(), ms,
				 test_env_u64("SIOMMU_STRESS_MAX_MS", 120000), false };

	if (s.cap < s.ms)
		s.cap = s.ms;
	return s;
}

/*
 * For a thread that works in a loop until the run ends: true while the
 * run goes on, i.e. before its minimum time has passed, and after that
 * for as long as @enough(@arg) names a condition still unmet, up to the
 * cap. At the cap it prints that condition and returns false with
 * @s->enough false; the caller then stops its threads as it would have
 * and its own checks, unchanged, report the failure.
 */
static inline bool test_stress_more(struct test_stress *s, test_stress_short_fn enough,
				    void *arg)
{
	uint64_t t = test_stress_now_ms() - s->t0;
	const char *why;

	if (t < s->ms)
		return true;
	why = enough(arg);
	if (!why) {
		s->enough = true;
		if (t > s->ms + 50)
			fprintf(stderr, "stress: ran %" PRIu64 " ms of %" PRIu64
				" to reach the minimum\n", t, s->ms);
		return false;
	}
	if (t >= s->cap) {
		fprintf(stderr, "stress: still short after %" PRIu64 " ms "
			"(SIOMMU_STRESS_MAX_MS): %s\n", t, why);
		return false;
	}
	return true;
}

/*
 * Let the test's threads run for at least @ms, then on until @enough(@arg)
 * returns NULL (checked every millisecond) or the cap passes, as
 * test_stress_more() decides. Returns true if the run did enough.
 */
static inline bool test_stress_run(unsigned int ms, test_stress_short_fn enough, void *arg)
{
	struct test_stress s = test_stress_start(ms);

	nanosleep(&(struct timespec){ ms / 1000, (long)(ms % 1000) * 1000000L }, NULL);
	while (test_stress_more(&s, enough, arg))
		nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	return s.enough;
}

#endif
