/* SPDX-License-Identifier: MIT */
#include "util/fail.h"

bool fail_nth_slow(struct fail_nth *f)
{
	uint64_t c = READ_ONCE(f->countdown);

	__atomic_fetch_add(&f->steps, 1, __ATOMIC_RELAXED);
	while (c) {
		if (__atomic_compare_exchange_n(&f->countdown, &c, c - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return c == 1;
	}
	return false;
}

/* Arm (n > 0) or disarm (n == 0); returns the steps counted since last call. */
uint64_t fail_nth_arm(struct fail_nth *f, uint64_t n)
{
	uint64_t steps = __atomic_exchange_n(&f->steps, 0, __ATOMIC_RELAXED);

	__atomic_store_n(&f->countdown, n, __ATOMIC_RELAXED);
	return steps;
}
