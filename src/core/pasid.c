/* SPDX-License-Identifier: MIT */
/*
 * PASID allocator (siommu/pasid.h).
 *
 * Free space: a three-level bitmap. used0 has a bit per PASID (set: in use,
 * PASID 0 always set); used1 a bit per used0 word (set: that word is full);
 * used2 a bit per used1 word (set: full). Finding the lowest free PASID at or
 * above some start reads at most one word per level on the way up and one
 * per level on the way down, plus the four words of used2: a space of 2^20
 * PASIDs needs no search loop over allocated ones. used0 starts zeroed (all
 * free), so its 128 KiB cost only the pages that hold allocated PASIDs.
 *
 * Per-PASID state (references and owner) lives in chunks of 1024 PASIDs,
 * allocated the first time a PASID of the chunk is allocated and kept until
 * the space is destroyed, so free and put never free memory and an alloc
 * after a free of a neighbour never allocates.
 *
 * Owners: a record per owner that occupies PASIDs or has a quota, in an
 * array whose indices are stable (PASID state points at its owner by index,
 * so a release needs no hash lookup); an open-addressing hash maps owner IDs
 * to indices. A record goes back to a free list when its owner has neither
 * PASIDs nor a quota left, which keeps the table proportional to live owners.
 *
 * One lock for all of it. A lock-free get/put was considered: it saves
 * nothing on alloc and free and costs one more atomic on the last put (the
 * release still needs the lock to touch the bitmap and the owner), and the
 * atomic read-modify-write is what dominates these operations.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/pasid.h>

#include "core/core_internal.h"
#include "mem/mem_internal.h"
#include "util/compiler.h"
#include "util/fail.h"

#define NR_PASIDS (1u << SIOMMU_PASID_BITS)
#define USED0_WORDS (NR_PASIDS / 64)	/* 16384 */
#define USED1_WORDS (USED0_WORDS / 64)	/* 256 */
#define USED2_WORDS (USED1_WORDS / 64)	/* 4 */
#define NR_LEVELS 3

#define CHUNK_SHIFT 10
#define CHUNK_PASIDS (1u << CHUNK_SHIFT)
#define NR_CHUNKS (NR_PASIDS / CHUNK_PASIDS)

/* pasid_state.refs: the allocation reference as a flag, plus a count of all
 * references (the allocation's included). 0: released. */
#define REF_ALLOC (1u << 31)
#define REF_COUNT SIOMMU_PASID_REFS_MAX
_Static_assert(!(REF_COUNT & REF_ALLOC), "refcount and flag overlap");

#define OWNER_NONE UINT32_MAX
#define OWNERS_MIN 8u
#define HASH_MIN 16u

struct pasid_state {
	uint32_t refs;
	uint32_t owner;		/* index into owners[] while refs != 0 */
};

struct pasid_owner {
	uint64_t id;
	uint32_t usage;
	uint32_t quota;
	uint32_t next_free;	/* free list link while the record is unused */
};

/*
 * Locking: @lock protects every field after it; no field is read or written
 * without it (there is no lock-free path), and it is the only lock, taken by
 * every call but destroy and fail_nth. @fail and @own_fail are constant after
 * creation (the countdown itself is atomic).
 */
struct siommu_pasid_space {
	struct fail_nth *fail;		/* &mem->fail, or &own_fail */
	struct fail_nth own_fail;
	pthread_mutex_t lock;
	bool locked;			/* for debug-build assertions */
	uint32_t in_use;
	uint32_t nr_chunks;
	uint64_t *used0;		/* USED0_WORDS */
	uint64_t used1[USED1_WORDS];
	uint64_t used2[USED2_WORDS];
	struct pasid_state *chunk[NR_CHUNKS];
	/* owners[0, owners_top) have been used; unused ones are chained from
	 * owner_free through next_free. */
	struct pasid_owner *owners;
	uint32_t owners_cap, owners_top, owner_free, nr_owners;
	/* owner index + 1, 0 = empty slot; at most half full */
	uint32_t *hash;
	uint32_t hash_mask;
};

static void space_lock(struct siommu_pasid_space *s)
{
	pthread_mutex_lock(&s->lock);
	s->locked = true;
}

static void space_unlock(struct siommu_pasid_space *s)
{
	s->locked = false;
	pthread_mutex_unlock(&s->lock);
}

/* ---- three-level bitmap ---- */

static uint64_t *used_level(struct siommu_pasid_space *s, unsigned int l)
{
	return l == 0 ? s->used0 : l == 1 ? s->used1 : s->used2;
}

static const uint32_t level_bits[NR_LEVELS] = { NR_PASIDS, USED0_WORDS,
						USED1_WORDS };

/*
 * Lowest clear bit at or above @idx in level @l, or -1. A clear bit in level
 * l + 1 says the level-l word it stands for has a clear bit, so the search
 * climbs only when the current word has none past @idx.
 */
static int64_t used_find_clear(struct siommu_pasid_space *s, unsigned int l,
			       uint64_t idx)
{
	const uint64_t *map = used_level(s, l);
	uint64_t w, x;
	int64_t nw;

	if (idx >= level_bits[l])
		return -1;
	w = idx >> 6;
	x = ~map[w] & (~0ull << (idx & 63));
	if (x)
		return (int64_t)((w << 6) | __builtin_ctzll(x));
	if (l == NR_LEVELS - 1) {
		for (w++; w < USED2_WORDS; w++)
			if (~map[w])
				return (int64_t)((w << 6) | __builtin_ctzll(~map[w]));
		return -1;
	}
	nw = used_find_clear(s, l + 1, w + 1);
	if (nw < 0)
		return -1;
	return (nw << 6) | __builtin_ctzll(~map[nw]);
}

static void used_set(struct siommu_pasid_space *s, uint32_t idx)
{
	unsigned int l;

	SIOMMU_ASSERT(s->locked);
	for (l = 0; l < NR_LEVELS; l++) {
		uint64_t *word = &used_level(s, l)[idx >> 6];

		SIOMMU_ASSERT(!(*word & (1ull << (idx & 63))));
		*word |= 1ull << (idx & 63);
		if (~*word)
			return;
		idx >>= 6;	/* the word filled up: mark it full above */
	}
}

static void used_clear(struct siommu_pasid_space *s, uint32_t idx)
{
	unsigned int l;

	SIOMMU_ASSERT(s->locked);
	for (l = 0; l < NR_LEVELS; l++) {
		uint64_t *word = &used_level(s, l)[idx >> 6];
		bool was_full = !~*word;

		SIOMMU_ASSERT(*word & (1ull << (idx & 63)));
		*word &= ~(1ull << (idx & 63));
		if (!was_full)
			return;
		idx >>= 6;
	}
}

/* ---- owners ---- */

static uint64_t owner_mix(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return id;
}

static uint32_t owner_lookup(struct siommu_pasid_space *s, uint64_t id)
{
	uint32_t h, v;

	SIOMMU_ASSERT(s->locked);
	for (h = owner_mix(id) & s->hash_mask;; h = (h + 1) & s->hash_mask) {
		v = s->hash[h];
		if (!v)
			return OWNER_NONE;
		if (s->owners[v - 1].id == id)
			return v - 1;
	}
}

static void hash_insert(uint32_t *hash, uint32_t mask, uint64_t id, uint32_t o)
{
	uint32_t h;

	for (h = owner_mix(id) & mask; hash[h]; h = (h + 1) & mask)
		;
	hash[h] = o + 1;
}

/*
 * Make room for one more owner record: both allocations happen before any
 * record changes, so a failure leaves the owners as they were (only with a
 * larger array).
 */
static int owner_reserve(struct siommu_pasid_space *s)
{
	SIOMMU_ASSERT(s->locked);
	/* Indices and hash slots are 32-bit; no process has memory for this
	 * many owners anyway. */
	if (s->owners_cap >= (1u << 30))
		return -ENOMEM;
	if (s->owner_free == OWNER_NONE && s->owners_top == s->owners_cap) {
		uint32_t cap = s->owners_cap * 2;
		struct pasid_owner *o;

		if (should_fail(s->fail))
			return -ENOMEM;
		o = realloc(s->owners, (size_t)cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		s->owners = o;
		s->owners_cap = cap;
	}
	if ((uint64_t)(s->nr_owners + 1) * 2 > (uint64_t)s->hash_mask + 1) {
		uint32_t mask = s->hash_mask * 2 + 1, h;
		uint32_t *hash;

		if (should_fail(s->fail))
			return -ENOMEM;
		hash = calloc((size_t)mask + 1, sizeof(*hash));
		if (!hash)
			return -ENOMEM;
		for (h = 0; h <= s->hash_mask; h++)
			if (s->hash[h])
				hash_insert(hash, mask, s->owners[s->hash[h] - 1].id,
					    s->hash[h] - 1);
		free(s->hash);
		s->hash = hash;
		s->hash_mask = mask;
	}
	return 0;
}

/* Add a record for an owner not in the table; owner_reserve() succeeded. */
static uint32_t owner_insert(struct siommu_pasid_space *s, uint64_t id)
{
	uint32_t o;

	if (s->owner_free != OWNER_NONE) {
		o = s->owner_free;
		s->owner_free = s->owners[o].next_free;
	} else {
		o = s->owners_top++;
	}
	s->owners[o] = (struct pasid_owner){ .id = id,
					     .quota = SIOMMU_PASID_QUOTA_NONE,
					     .next_free = OWNER_NONE };
	hash_insert(s->hash, s->hash_mask, id, o);
	s->nr_owners++;
	return o;
}

/* Drop a record: linear probing's backward-shift deletion keeps every other
 * entry reachable from its home slot without tombstones. */
static void owner_remove(struct siommu_pasid_space *s, uint32_t o)
{
	uint32_t mask = s->hash_mask, i, j;

	SIOMMU_ASSERT(s->locked);
	SIOMMU_ASSERT(!s->owners[o].usage);
	for (i = owner_mix(s->owners[o].id) & mask; s->hash[i] != o + 1;
	     i = (i + 1) & mask)
		SIOMMU_ASSERT(s->hash[i]);
	for (j = (i + 1) & mask; s->hash[j]; j = (j + 1) & mask) {
		uint32_t home = owner_mix(s->owners[s->hash[j] - 1].id) & mask;

		/* Move j into the hole at i unless j's home lies cyclically in
		 * (i, j]: then the hole does not break j's probe chain. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			s->hash[i] = s->hash[j];
			i = j;
		}
	}
	s->hash[i] = 0;
	s->owners[o].next_free = s->owner_free;
	s->owner_free = o;
	s->nr_owners--;
}

static void owner_put_usage(struct siommu_pasid_space *s, uint32_t o)
{
	struct pasid_owner *ow = &s->owners[o];

	SIOMMU_ASSERT(ow->usage);
	if (!--ow->usage && ow->quota == SIOMMU_PASID_QUOTA_NONE)
		owner_remove(s, o);
}

/* ---- per-PASID state ---- */

static int pasid_check(uint32_t pasid)
{
	return pasid == SIOMMU_PASID_NONE || pasid > SIOMMU_PASID_MAX ? -EINVAL : 0;
}

/* State of a PASID in use, or NULL. */
static struct pasid_state *pasid_state(struct siommu_pasid_space *s,
				       uint32_t pasid)
{
	struct pasid_state *c = s->chunk[pasid >> CHUNK_SHIFT];
	struct pasid_state *st;

	SIOMMU_ASSERT(s->locked);
	if (!c)
		return NULL;
	st = &c[pasid & (CHUNK_PASIDS - 1)];
	return st->refs ? st : NULL;
}

/* The last reference is gone: make the PASID free and uncount it. */
static void pasid_release(struct siommu_pasid_space *s, uint32_t pasid,
			  struct pasid_state *st)
{
	uint32_t o = st->owner;

	st->refs = 0;
	st->owner = OWNER_NONE;
	owner_put_usage(s, o);
	used_clear(s, pasid);
	s->in_use--;
}

/* ---- public ---- */

int SIOMMU_EXPORT siommu_pasid_space_create(struct siommu_mem *mem,
					    struct siommu_pasid_space **out)
{
	struct siommu_pasid_space *s;
	int ret = -ENOMEM;

	if (!out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fail = mem ? &mem->fail : &s->own_fail;
	if (should_fail(s->fail))
		goto out_free_space;
	s->used0 = calloc(USED0_WORDS, sizeof(*s->used0));
	if (!s->used0)
		goto out_free_space;
	if (should_fail(s->fail))
		goto out_free_used;
	s->owners = malloc(OWNERS_MIN * sizeof(*s->owners));
	if (!s->owners)
		goto out_free_used;
	if (should_fail(s->fail))
		goto out_free_owners;
	s->hash = calloc(HASH_MIN, sizeof(*s->hash));
	if (!s->hash)
		goto out_free_owners;
	s->owners_cap = OWNERS_MIN;
	s->owner_free = OWNER_NONE;
	s->hash_mask = HASH_MIN - 1;
	/* PASID 0 is never free. */
	s->used0[0] = 1;

	/* A default mutex: glibc's adaptive one costs a third more per
	 * alloc + free uncontended, and the lock is held only briefly. */
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret) {
		ret = -ret;
		goto out_free_hash;
	}
	*out = s;
	return 0;

out_free_hash:
	free(s->hash);
out_free_owners:
	free(s->owners);
out_free_used:
	free(s->used0);
out_free_space:
	free(s);
	return ret;
}

void SIOMMU_EXPORT siommu_pasid_space_destroy(struct siommu_pasid_space *s)
{
	unsigned int c;

	if (!s)
		return;
	for (c = 0; c < NR_CHUNKS; c++)
		free(s->chunk[c]);
	free(s->hash);
	free(s->owners);
	free(s->used0);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int SIOMMU_EXPORT siommu_pasid_alloc(struct siommu_pasid_space *s, uint32_t min,
				     uint32_t max, uint64_t owner, uint32_t *pasid)
{
	struct pasid_state *st;
	uint32_t o, p, c;
	int64_t found;
	int ret = 0;

	if (!pasid || !min || min > max || max > SIOMMU_PASID_MAX)
		return -EINVAL;
	space_lock(s);
	o = owner_lookup(s, owner);
	if (o != OWNER_NONE && s->owners[o].usage >= s->owners[o].quota) {
		ret = -EDQUOT;
		goto out_unlock;
	}
	found = used_find_clear(s, 0, min);
	if (found < 0 || found > max) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	p = (uint32_t)found;
	c = p >> CHUNK_SHIFT;
	if (unlikely(!s->chunk[c])) {
		/* Kept even if the owner step below fails: an empty chunk is
		 * no visible change, and the next alloc here will use it. */
		if (should_fail(s->fail)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		s->chunk[c] = calloc(CHUNK_PASIDS, sizeof(struct pasid_state));
		if (!s->chunk[c]) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		s->nr_chunks++;
	}
	if (o == OWNER_NONE) {
		ret = owner_reserve(s);
		if (ret)
			goto out_unlock;
		o = owner_insert(s, owner);
	}
	/* Nothing fails from here on. */
	st = &s->chunk[c][p & (CHUNK_PASIDS - 1)];
	SIOMMU_ASSERT(!st->refs);
	st->refs = REF_ALLOC | 1;
	st->owner = o;
	s->owners[o].usage++;
	used_set(s, p);
	s->in_use++;
	*pasid = p;
out_unlock:
	space_unlock(s);
	return ret;
}

int SIOMMU_EXPORT siommu_pasid_free(struct siommu_pasid_space *s, uint32_t pasid)
{
	struct pasid_state *st;
	int ret = pasid_check(pasid);

	if (ret)
		return ret;
	space_lock(s);
	st = pasid_state(s, pasid);
	if (!st || !(st->refs & REF_ALLOC)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	st->refs = (st->refs & REF_COUNT) - 1;
	if (!st->refs)
		pasid_release(s, pasid, st);
out_unlock:
	space_unlock(s);
	return ret;
}

/* A reference on @pasid; with @allocated, only while its allocation holds. */
static int pasid_get(struct siommu_pasid_space *s, uint32_t pasid, bool allocated)
{
	struct pasid_state *st;
	int ret = pasid_check(pasid);

	if (ret)
		return ret;
	space_lock(s);
	st = pasid_state(s, pasid);
	if (!st || (allocated && !(st->refs & REF_ALLOC)))
		ret = -ENOENT;
	else if ((st->refs & REF_COUNT) == REF_COUNT)
		ret = -EOVERFLOW;
	else
		st->refs++;
	space_unlock(s);
	return ret;
}

int SIOMMU_EXPORT siommu_pasid_get(struct siommu_pasid_space *s, uint32_t pasid)
{
	return pasid_get(s, pasid, false);
}

int core_pasid_get_allocated(struct siommu_pasid_space *s, uint32_t pasid)
{
	return pasid_get(s, pasid, true);
}

int SIOMMU_EXPORT siommu_pasid_put(struct siommu_pasid_space *s, uint32_t pasid)
{
	struct pasid_state *st;
	int ret = pasid_check(pasid);

	if (ret)
		return ret;
	space_lock(s);
	st = pasid_state(s, pasid);
	/* References from get: the count less the allocation's. */
	if (!st || (st->refs & REF_COUNT) == !!(st->refs & REF_ALLOC)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	st->refs--;
	if (!st->refs)
		pasid_release(s, pasid, st);
out_unlock:
	space_unlock(s);
	return ret;
}

int SIOMMU_EXPORT siommu_pasid_query(struct siommu_pasid_space *s,
				     uint32_t pasid,
				     struct siommu_pasid_info *info)
{
	struct pasid_state *st;
	int ret = pasid_check(pasid);

	if (ret)
		return ret;
	if (!info)
		return -EINVAL;
	space_lock(s);
	st = pasid_state(s, pasid);
	if (st) {
		info->owner = s->owners[st->owner].id;
		info->refs = st->refs & REF_COUNT;
		info->allocated = st->refs & REF_ALLOC;
	} else {
		ret = -ENOENT;
	}
	space_unlock(s);
	return ret;
}

int SIOMMU_EXPORT siommu_pasid_set_quota(struct siommu_pasid_space *s,
					 uint64_t owner, uint32_t max)
{
	uint32_t o;
	int ret = 0;

	space_lock(s);
	o = owner_lookup(s, owner);
	if (o == OWNER_NONE) {
		/* No record means no quota already. */
		if (max == SIOMMU_PASID_QUOTA_NONE)
			goto out_unlock;
		ret = owner_reserve(s);
		if (ret)
			goto out_unlock;
		o = owner_insert(s, owner);
	}
	s->owners[o].quota = max;
	if (max == SIOMMU_PASID_QUOTA_NONE && !s->owners[o].usage)
		owner_remove(s, o);
out_unlock:
	space_unlock(s);
	return ret;
}

void SIOMMU_EXPORT siommu_pasid_query_owner(struct siommu_pasid_space *s,
					    uint64_t owner,
					    struct siommu_pasid_owner_info *info)
{
	uint32_t o;

	space_lock(s);
	o = owner_lookup(s, owner);
	info->usage = o == OWNER_NONE ? 0 : s->owners[o].usage;
	info->quota = o == OWNER_NONE ? SIOMMU_PASID_QUOTA_NONE : s->owners[o].quota;
	space_unlock(s);
}

void SIOMMU_EXPORT siommu_pasid_get_stats(struct siommu_pasid_space *s,
					  struct siommu_pasid_stats *st)
{
	space_lock(s);
	st->in_use = s->in_use;
	st->owners = s->nr_owners;
	st->bytes = sizeof(*s) + USED0_WORDS * sizeof(uint64_t) +
		    (uint64_t)s->nr_chunks * CHUNK_PASIDS * sizeof(struct pasid_state) +
		    (uint64_t)s->owners_cap * sizeof(struct pasid_owner) +
		    ((uint64_t)s->hash_mask + 1) * sizeof(uint32_t);
	space_unlock(s);
}

uint64_t SIOMMU_EXPORT siommu_pasid_fail_nth(struct siommu_pasid_space *s,
					     uint64_t n)
{
	return fail_nth_arm(s->fail, n);
}
