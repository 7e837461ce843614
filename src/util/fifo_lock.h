/* SPDX-License-Identifier: MIT */
/*
 * A lock that is taken in the order it was asked for (internal): a ticket
 * lock whose waiters sleep on a futex.
 *
 * For a lock that one thread may take again and again with almost no gap,
 * each time for long (an invalidation queue: a batch, then a CMD_SYNC or
 * wait descriptor that waits for a grace period). A pthread mutex hands
 * the lock to whoever grabs it first once it is free: the thread that just
 * dropped it, still running, takes it back before a woken waiter has been
 * scheduled, so a thread unmapping page after page could keep a replace
 * waiting for the whole of its run (the replace stuck between two words of
 * an STE all that time). Here a thread that asks takes a ticket, and the
 * holder's next lock queues behind every ticket taken before it: a waiter
 * waits for the sections of the threads ahead of it, at most one each.
 *
 * Cost uncontended: one fetch-and-add to take, one to drop and a load; a
 * waiter spins briefly (the section may be short) and then sleeps. Not
 * recursive. Waiters are woken all at once, each checking its ticket: fine
 * for the few threads that queue on one unit.
 */
#ifndef SIOMMU_UTIL_FIFO_LOCK_H
#define SIOMMU_UTIL_FIFO_LOCK_H

#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/compiler.h"

/* next: the next ticket to hand out; owner: the ticket that holds the
 * lock (both atomic, wrapping). Free when they are equal. */
struct fifo_lock {
	uint32_t next;
	uint32_t owner;
};

/* Spins of a waiter before it sleeps. */
#define FIFO_LOCK_SPINS 128

/* @l free. */
static inline void fifo_lock_init(struct fifo_lock *l)
{
	l->next = l->owner = 0;
}

/* Take @l after every thread that asked for it before; never fails. The
 * caller must not hold it already. */
static inline void fifo_lock(struct fifo_lock *l)
{
	uint32_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_SEQ_CST), o;
	unsigned int spins = 0;

	/* Sequentially consistent against fifo_unlock(): it sees our ticket,
	 * or we see its owner. */
	while ((o = __atomic_load_n(&l->owner, __ATOMIC_SEQ_CST)) != t) {
		if (spins++ < FIFO_LOCK_SPINS) {
			cpu_relax();
			continue;
		}
		/* Returns at once if owner moved past o meanwhile. */
		syscall(SYS_futex, &l->owner, FUTEX_WAIT_PRIVATE, o, NULL, NULL, 0);
	}
}

/* Drop @l, held by the caller: the next ticket's thread takes it. */
static inline void fifo_unlock(struct fifo_lock *l)
{
	uint32_t o = __atomic_add_fetch(&l->owner, 1, __ATOMIC_SEQ_CST);

	/* A ticket beyond ours: someone waits, perhaps asleep. */
	if (__atomic_load_n(&l->next, __ATOMIC_SEQ_CST) != o)
		syscall(SYS_futex, &l->owner, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

#endif
