/* SPDX-License-Identifier: MIT */
/*
 * Test helpers. Tests are ordinary programs: exit 0 pass, 1 fail, 77 skip.
 * CHECK() reports the first failing condition with its location and exits 1;
 * CHECK_EQ()/CHECK_OK() print both values.
 */
#ifndef SIOMMU_TEST_H
#define SIOMMU_TEST_H

#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_SKIP 77

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
			exit(1);                                           \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);           \
		if (_a != _b) {                                            \
			fprintf(stderr, "%s:%d: %s == %s failed: 0x%" PRIx64 \
				" != 0x%" PRIx64 " (%" PRId64 " vs %" PRId64 ")\n", \
				__FILE__, __LINE__, #a, #b, _a, _b,        \
				(int64_t)_a, (int64_t)_b);                 \
			exit(1);                                           \
		}                                                          \
	} while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), 0)

/*
 * Randomised tests take their seed and operation count from the
 * environment, so that a long run or a replay needs no recompiling:
 *   SIOMMU_TEST_SEED  the seed (decimal or 0x...), or "random" for one taken
 *                     from the clock; unset: the test's fixed default
 *   SIOMMU_TEST_OPS   operations per randomised phase; unset: the test's
 *                     default (scaled down under valgrind)
 * Both are printed as the test starts, so a failing run can be replayed.
 */
struct test_rng { uint64_t s; };

/* Deterministic xorshift64* generator. */
static inline uint64_t test_rand(struct test_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t test_rand_below(struct test_rng *r, uint64_t n)
{
	return n ? test_rand(r) % n : 0;
}

static inline uint64_t test_env_u64(const char *name, uint64_t dflt)
{
	const char *e = getenv(name);
	char *end;
	uint64_t v;

	if (!e || !*e)
		return dflt;
	v = strtoull(e, &end, 0);
	if (*end) {
		fprintf(stderr, "%s=%s: not a number\n", name, e);
		exit(1);
	}
	return v;
}

/* A generator seeded from SIOMMU_TEST_SEED, else @dflt; prints the seed. */
static inline struct test_rng test_rng_init(uint64_t dflt)
{
	const char *e = getenv("SIOMMU_TEST_SEED");
	struct test_rng r;

	if (e && !strcmp(e, "random")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r.s = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^
		      (uint64_t)getpid() << 32;
	} else {
		r.s = test_env_u64("SIOMMU_TEST_SEED", dflt);
	}
	if (!r.s)
		r.s = 1;
	fprintf(stderr, "seed 0x%" PRIx64 " (SIOMMU_TEST_SEED=0x%" PRIx64
		" repeats this run)\n", r.s, r.s);
	return r;
}

/* Scale iteration counts down under valgrind (SIOMMU_UNDER_VALGRIND=1). */
static inline uint64_t test_scale(uint64_t n)
{
	return getenv("SIOMMU_UNDER_VALGRIND") ? (n / 50 ? n / 50 : 1) : n;
}

/*
 * Operations for a randomised phase: SIOMMU_TEST_OPS if set, else @dflt
 * (scaled down under valgrind). Prints the count.
 */
static inline uint64_t test_ops(uint64_t dflt)
{
	uint64_t n = test_env_u64("SIOMMU_TEST_OPS", test_scale(dflt));

	fprintf(stderr, "ops %" PRIu64 " (SIOMMU_TEST_OPS)\n", n);
	return n;
}

/*
 * Pin the calling thread to the CPU it runs on (per-CPU state then stays
 * one CPU's), saving its affinity in *@old. Returns false if that failed:
 * the thread may move, and checks that need one CPU must be skipped.
 */
static inline bool test_pin_cpu(cpu_set_t *old)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	return !sched_getaffinity(0, sizeof(*old), old) &&
	       !sched_setaffinity(0, sizeof(one), &one);
}

static inline void test_unpin_cpu(const cpu_set_t *old)
{
	sched_setaffinity(0, sizeof(*old), old);
}

/*
 * Whether the calling process's thread @tid (a gettid() value) is asleep
 * in a wait (state S in /proc): a test that must let another thread block
 * on a lock before it goes on polls this.
 */
static inline bool test_thread_sleeps(long tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", tid);
	f = fopen(path, "r");
	CHECK(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* the name may hold spaces */
	CHECK(p && p[1] == ' ');
	return p[2] == 'S';
}

/* Poll until thread @tid (once non-zero) sleeps; fails after 100 s. */
static inline void test_wait_thread_sleeps(const long *tid)
{
	unsigned int polls;

	for (polls = 0; !__atomic_load_n(tid, __ATOMIC_ACQUIRE) ||
			!test_thread_sleeps(__atomic_load_n(tid, __ATOMIC_ACQUIRE));
	     polls++) {
		CHECK(polls < 100000);
		usleep(1000);
	}
}

#endif
