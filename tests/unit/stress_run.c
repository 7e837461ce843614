/* SPDX-License-Identifier: MIT */
/*
 * The stress tests' run bound (tests/common/stress.h): a run lasts at
 * least the time asked, goes on while a role that started late has not
 * made its progress yet, ends at once when the minimum is there, and
 * gives up at the cap, naming what fell short.
 */
#include <pthread.h>
#include <time.h>

#include "stress.h"
#include "test.h"

struct late {
	unsigned int delay_ms;	/* before the first unit of work */
	int stop;		/* atomic */
	uint64_t work;		/* test_count() */
};

/* A role the scheduler left out for @delay_ms, then working. */
static void *late_fn(void *arg)
{
	struct late *l = arg;
	uint64_t t0 = test_stress_now_ms();

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		if (test_stress_now_ms() - t0 >= l->delay_ms)
			test_count_add(&l->work, 1);
		nanosleep(&(struct timespec){ 0, 100000L }, NULL);
	}
	return NULL;
}

static const char *enough(void *arg)
{
	struct late *l = arg;

	TEST_STRESS_NEED(test_count(&l->work) > 10);
	return NULL;
}

/* Run with a role that starts @delay_ms late; returns the time taken. */
static uint64_t run_late(unsigned int ms, unsigned int delay_ms, bool *ok)
{
	struct late l = { .delay_ms = delay_ms };
	uint64_t t0 = test_stress_now_ms(), t;
	pthread_t th;

	CHECK_OK(pthread_create(&th, NULL, late_fn, &l));
	*ok = test_stress_run(ms, enough, &l);
	t = test_stress_now_ms() - t0;
	if (*ok)
		CHECK(test_count(&l.work) > 10);
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(th, NULL));
	return t;
}

int main(void)
{
	struct test_stress s;
	struct late idle = { 0 };
	uint64_t t;
	bool ok;

	unsetenv("SIOMMU_STRESS_MAX_MS");
	/* The role starts well after the minimum time: the run waits for it. */
	t = run_late(20, 300, &ok);
	CHECK(ok);
	CHECK(t >= 300);
	/* Progress before the minimum time: the run still lasts that long. */
	t = run_late(200, 0, &ok);
	CHECK(ok);
	CHECK(t >= 200);

	/* A role that never works: the run gives up at the cap. */
	setenv("SIOMMU_STRESS_MAX_MS", "150", 1);
	t = run_late(20, 100000, &ok);
	CHECK(!ok);
	CHECK(t >= 150);
	/* The cap never cuts the minimum time short. */
	t = run_late(250, 100000, &ok);
	CHECK(!ok);
	CHECK(t >= 250);

	/* A loop with no minimum time ends as soon as the minimum is there. */
	s = test_stress_start(0);
	idle.work = 11;
	CHECK(!test_stress_more(&s, enough, &idle));
	CHECK(s.enough);
	s = test_stress_start(0);
	idle.work = 10;
	CHECK(test_stress_more(&s, enough, &idle));
	CHECK(!s.enough);
	return 0;
}
