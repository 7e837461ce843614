/* SPDX-License-Identifier: MIT */
/*
 * What the hardware models share (internal): the sequence-count protocol
 * of their cache slots, and the span of a 4K-granule table level.
 *
 * A model's cache slot is a 32-bit sequence count followed by 64-bit
 * words, copied by value. A reader takes the count with slot_read_begin(),
 * copies the words with atomic loads, and trusts the copy only if
 * slot_read_retry() says the count was even and has not moved. A writer
 * owns a slot while its count is odd (taken with compare-and-swap), so
 * writers of one slot exclude each other without a lock, and readers never
 * wait. Each model documents its slots and its fill rules at its structs.
 */
#ifndef SIOMMU_HW_COMMON_SLOT_H
#define SIOMMU_HW_COMMON_SLOT_H

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

/* Bytes a leaf at @level maps in a 4K-granule table of 512-entry levels
 * (0: 4K, 1: 2M, 2: 1G). */
static inline_hot uint64_t level_size(unsigned int level)
{
	return 1ull << (12 + 9 * level);
}

#endif
