/* SPDX-License-Identifier: MIT */
/*
 * A driver's wait for its invalidation queue, bounded by time without
 * progress rather than by a count of polls.
 *
 * The models process a queue inside the register write that hands it
 * commands, but not always the writer's: a thread that was processing
 * already, held up in a device callback (an ATC or device-TLB
 * invalidation, a page response) that may run for seconds, takes the new
 * commands after its own, as a real unit completes later. No count of
 * polls bounds how long that is, so a waiter gives up only once the
 * unit's progress mark (the queue's consumer index: VT-d IQH, SMMUv3
 * CMDQ_CONS) has not moved for DRV_WAIT_STALL_NS.
 *
 * Use, from a wait's slow path (its completion already checked once):
 *
 *	struct drv_stall st = DRV_STALL_INIT;
 *
 *	for (;;) {
 *		if (drv_stall_due(&st) &&
 *		    drv_stall_expired(&st, read_consumer_index()))
 *			return -ETIMEDOUT;
 *		sched_yield();
 *		if (completed())
 *			return 0;
 *	}
 *
 * The clock and the progress mark are read every DRV_STALL_EVERY polls
 * only. A struct drv_stall is the caller's, on its stack: no locking.
 */
#ifndef SIOMMU_CORE_DRV_WAIT_H
#define SIOMMU_CORE_DRV_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* How long a queue may stand still before its waiter gives up. */
#define DRV_WAIT_STALL_NS (30ull * 1000000000ull)
/* Polls between two reads of the clock and of the progress mark. */
#define DRV_STALL_EVERY 64u

struct drv_stall {
	uint64_t mark;		/* the progress mark last read */
	uint64_t since;		/* when it last moved (CLOCK_MONOTONIC ns) */
	unsigned int polls;
	bool started;		/* mark and since are set */
};

#define DRV_STALL_INIT ((struct drv_stall){ .started = false })

/* Count a poll; true on the first and then every DRV_STALL_EVERY-th, when
 * the caller is to read its progress mark for drv_stall_expired(). */
static inline bool drv_stall_due(struct drv_stall *st)
{
	return !(st->polls++ % DRV_STALL_EVERY);
}

/*
 * Record progress mark @mark read now: true once it has kept one value
 * for more than @limit_ns over successive calls, false while it moves (a
 * new value restarts the time) or has not stood still so long.
 */
static inline bool drv_stall_expired_after(struct drv_stall *st, uint64_t mark,
					   uint64_t limit_ns)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (!st->started || mark != st->mark) {
		st->started = true;
		st->mark = mark;
		st->since = now;
		return false;
	}
	return now - st->since > limit_ns;
}

/* drv_stall_expired_after() with the drivers' limit, DRV_WAIT_STALL_NS. */
static inline bool drv_stall_expired(struct drv_stall *st, uint64_t mark)
{
	return drv_stall_expired_after(st, mark, DRV_WAIT_STALL_NS);
}

#endif
