/* SPDX-License-Identifier: MIT */
/*
 * A lock for short critical sections on per-CPU or sharded data (internal).
 *
 * One atomic exchange to take and a release store to drop, where a pthread
 * mutex costs two atomic read-modify-writes and two calls; on the map and
 * unmap paths each of those costs about as much as the work it guards. It
 * is meant for data that is rarely contended (a CPU's own slot, one of many
 * shards): a waiter yields rather than spins, since the holder is most
 * likely a thread preempted on the same CPU. Not for sections that sleep
 * or wait for other threads for long.
 */
#ifndef SIOMMU_UTIL_YLOCK_H
#define SIOMMU_UTIL_YLOCK_H

#include <sched.h>
#include <stdint.h>

#include "util/compiler.h"

struct ylock {
	uint32_t held;
};

#define YLOCK_INIT { 0 }

static inline void ylock_lock(struct ylock *l)
{
	while (unlikely(__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE)))
		while (READ_ONCE(l->held))
			sched_yield();
}

static inline void ylock_unlock(struct ylock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

#endif
