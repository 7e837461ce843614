/* SPDX-License-Identifier: MIT */
/*
 * What the hardware models share (internal): the sequence-count protocol
 * of their cache slots, and the spans of 4K-granule table levels.
 *
 * A model's cache slot is a 32-bit sequence count followed by 64-bit
 * words, copied by value. A reader takes the count with slot_read_begin(),
 * copies the words with atomic loads, and trusts the copy only if
 * slot_read_retry() says the count was even and has not moved. A writer
 * owns a slot while its count is odd (taken with compare-and-swap), so
 * writers of one slot exclude each other without a lock, and readers never
 * wait: a fill takes a slot with slot_trylock() and gives up if it is busy
 * (a fill is an optimisation), an invalidation with slot_lock(), which
 * waits for the holder (a holder runs a few stores). Each model documents
 * its slots and its fill rules at its structs.
 */
#ifndef SIOMMU_HW_COMMON_SLOT_H
#define SIOMMU_HW_COMMON_SLOT_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/compiler.h"

static inline_hot uint32_t slot_read_begin(const uint32_t *seq)
{
	return __atomic_load_n(seq, __ATOMIC_ACQUIRE);
}

/* The words copied since slot_read_begin() returned @s are not to be
 * trusted: a writer held the slot, or took it meanwhile. */
static inline_hot bool slot_read_retry(const uint32_t *seq, uint32_t s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (s & 1) || __atomic_load_n(seq, __ATOMIC_RELAXED) != s;
}

/* slot_read_retry() as a word, zero when the copy can be trusted: for
 * readers that fold it into one test with checks of their own. */
static inline_hot uint32_t slot_read_stale(const uint32_t *seq, uint32_t s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (s & 1) | (__atomic_load_n(seq, __ATOMIC_RELAXED) ^ s);
}

/* Take the slot if no writer holds it: *held is the odd count to hand
 * to slot_unlock(). */
static inline bool slot_trylock(uint32_t *seq, uint32_t *held)
{
	uint32_t v = __atomic_load_n(seq, __ATOMIC_RELAXED);

	if (v & 1)
		return false;
	if (!__atomic_compare_exchange_n(seq, &v, v + 1, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return false;
	*held = v + 1;
	return true;
}

/* Take the slot, waiting for its holder. */
static inline uint32_t slot_lock(uint32_t *seq)
{
	unsigned int spins = 0;
	uint32_t held;

	while (!slot_trylock(seq, &held)) {
		if (++spins > 64) {
			sched_yield();
			spins = 0;
		}
	}
	return held;
}

/* Release the slot: its words are published with the even count. */
static inline void slot_unlock(uint32_t *seq, uint32_t held)
{
	__atomic_store_n(seq, held + 1, __ATOMIC_RELEASE);
}

/* Bits below @bits set: an address size's mask. */
static inline uint64_t addr_mask(unsigned int bits)
{
	return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* VMSAv8-64 lookup level @l (0..3, Arm ARM D8.2): the input bits it and
 * the levels below resolve, and the shift of its index. */
static inline unsigned int level_span(unsigned int l)
{
	return 12 + 9 * (4 - l);
}

static inline unsigned int level_shift(unsigned int l)
{
	return 12 + 9 * (3 - l);
}

/* Bytes a leaf at @level maps in a 4K-granule table of 512-entry levels
 * (0: 4K, 1: 2M, 2: 1G). */
static inline_hot uint64_t level_size(unsigned int level)
{
	return 1ull << (12 + 9 * level);
}

#endif
