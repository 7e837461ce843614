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

/* Deterministic xorshift64* generator; seed from SIOMMU_SEED if set. */
struct test_rng { uint64_t s; };

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

static inline struct test_rng test_rng_init(uint64_t dflt)
{
	const char *e = getenv("SIOMMU_SEED");
	struct test_rng r = { e ? strtoull(e, NULL, 0) : dflt };

	if (!r.s)
		r.s = 1;
	fprintf(stderr, "seed 0x%" PRIx64 " (set SIOMMU_SEED to repeat)\n", r.s);
	return r;
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

/* Scale iteration counts down under valgrind (SIOMMU_UNDER_VALGRIND=1). */
static inline uint64_t test_scale(uint64_t n)
{
	return getenv("SIOMMU_UNDER_VALGRIND") ? (n / 50 ? n / 50 : 1) : n;
}

#endif
