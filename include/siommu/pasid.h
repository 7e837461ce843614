/* SPDX-License-Identifier: MIT */
/*
 * siommu/pasid.h - the PASID allocator.
 *
 * Concepts
 * --------
 * A struct siommu_pasid_space is one space of Process Address Space IDs, as
 * Linux keeps one per system: PASIDs 1 .. SIOMMU_PASID_MAX (2^20 - 1, the
 * PCIe PASID width). PASID 0 (SIOMMU_PASID_NONE) means "no PASID": it backs
 * RID_PASID (VT-d) / substream 0 (SMMUv3) and is never handed out. The IOMMU
 * core owns one space per context; a space is usable alone.
 *
 * Allocation: siommu_pasid_alloc() picks the lowest free PASID in [min, max],
 * so a caller fits a device's PASID width by passing max = 2^width - 1.
 * Every PASID is allocated for an owner, an opaque 64-bit ID the caller
 * chooses (a process, a tenant, a VM). An owner may have a quota: the
 * number of PASIDs it may occupy at once.
 *
 * References: a PASID can be shared (an SVA process keeps one PASID across
 * all of its devices). The allocation holds one reference, which
 * siommu_pasid_free() drops; each user of the PASID (an attachment of a
 * device to it) takes one more with siommu_pasid_get() and drops it with
 * siommu_pasid_put(). free and put drop different references: put cannot
 * drop the allocation's, and free works once per allocation. The PASID is
 * released - free for reuse, and no longer counted against its owner's
 * quota - only when the last reference of either kind is gone, so a PASID is
 * never reused while any attachment still uses it.
 *
 * Cost: alloc, free, get and put are O(1): free space is found through a
 * three-level bitmap (a bit per PASID, a bit per full 64-bit word, a bit per
 * full summary word), never by scanning allocated PASIDs. Per-PASID state
 * (8 bytes) is allocated lazily in chunks of 1024 PASIDs and kept until the
 * space is destroyed: memory is 8 bytes per PASID of the range ever used,
 * at most 8 MiB for all 2^20 - 1 PASIDs, plus under 64 bytes per owner that
 * occupies PASIDs or has a quota.
 *
 * Concurrency
 * -----------
 * Every call except destroy is thread-safe and may run concurrently with
 * every other call except destroy on the same space. They serialise on one
 * lock, held for tens of nanoseconds (longer only when an alloc or a quota
 * grows the state, a malloc) and never across a callback or a wait. Spaces
 * are independent of each other.
 *
 * Fault injection
 * ---------------
 * The fallible steps (a chunk of per-PASID state, growth of the owner table)
 * consult a fail-nth countdown: that of the struct siommu_mem given to
 * siommu_pasid_space_create(), so one siommu_mem_fail_nth() sweep covers a
 * whole context, or else the space's own. siommu_pasid_fail_nth() arms
 * whichever the space consults.
 */
#ifndef SIOMMU_PASID_H
#define SIOMMU_PASID_H

#include <stdbool.h>
#include <stdint.h>

#include <siommu/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SIOMMU_PASID_NONE 0u			/* RID_PASID; never allocated */
#define SIOMMU_PASID_BITS 20u
#define SIOMMU_PASID_MAX ((1u << SIOMMU_PASID_BITS) - 1)

/* Quota value meaning "no limit" (the default for every owner). */
#define SIOMMU_PASID_QUOTA_NONE UINT32_MAX

/*
 * Most references one PASID can hold at once, the allocation's included: far
 * more than the attachments a PASID can have, and low enough that a test can
 * reach it.
 */
#define SIOMMU_PASID_REFS_MAX ((1u << 24) - 1)

struct siommu_pasid_space;

/* State of one PASID, from siommu_pasid_query(). */
struct siommu_pasid_info {
	uint64_t owner;
	uint32_t refs;		/* all references, the allocation's included */
	bool allocated;		/* the allocation reference is still held */
};

/* An owner's standing, from siommu_pasid_query_owner(). */
struct siommu_pasid_owner_info {
	uint32_t usage;		/* PASIDs it occupies (not yet released) */
	uint32_t quota;		/* SIOMMU_PASID_QUOTA_NONE: no limit */
};

struct siommu_pasid_stats {
	uint32_t in_use;	/* PASIDs not yet released */
	uint32_t owners;	/* owners with PASIDs in use or a quota */
	uint64_t bytes;		/* memory the space holds */
};

/*
 * siommu_pasid_space_create - create a space with every PASID but 0 free.
 * @mem: optional; if given, the space consults its fail-nth countdown (see
 *       the concepts above) and @mem must outlive the space. Nothing is
 *       allocated in it.
 * Returns 0 with *out set, -EINVAL (@out NULL), or -ENOMEM.
 */
int siommu_pasid_space_create(struct siommu_mem *mem,
			      struct siommu_pasid_space **out);

/*
 * siommu_pasid_space_destroy - free the space and everything in it, PASIDs
 * still allocated or referenced included (their users must be gone). Never
 * fails. No other call on @space may be running or follow.
 */
void siommu_pasid_space_destroy(struct siommu_pasid_space *space);

/*
 * siommu_pasid_alloc - allocate the lowest free PASID in [min, max] for
 * @owner, holding the allocation reference.
 * Returns 0 with *pasid set, or, leaving the space unchanged:
 *   -EINVAL  min == 0, min > max, max > SIOMMU_PASID_MAX, or @pasid NULL
 *   -EDQUOT  @owner already occupies its quota
 *   -ENOSPC  no PASID in [min, max] is free
 *   -ENOMEM  per-PASID state or the owner table could not grow
 * Thread-safe (see the concepts).
 */
int siommu_pasid_alloc(struct siommu_pasid_space *space, uint32_t min,
		       uint32_t max, uint64_t owner, uint32_t *pasid);

/*
 * siommu_pasid_free - drop the allocation reference of @pasid. If no other
 * reference remains, the PASID is released: free for reuse and no longer
 * counted against its owner. Never allocates.
 * Returns 0, -EINVAL (0 or beyond SIOMMU_PASID_MAX), or -ENOENT (not
 * allocated, or its allocation reference was already dropped); on error
 * nothing changed. Thread-safe.
 */
int siommu_pasid_free(struct siommu_pasid_space *space, uint32_t pasid);

/*
 * siommu_pasid_get - take a reference on a PASID that is in use (allocated,
 * or still referenced after its free). Never allocates.
 * Returns 0, -EINVAL (0 or beyond SIOMMU_PASID_MAX), -ENOENT (released or
 * never allocated), or -EOVERFLOW (SIOMMU_PASID_REFS_MAX references held);
 * on error nothing changed. Thread-safe.
 */
int siommu_pasid_get(struct siommu_pasid_space *space, uint32_t pasid);

/*
 * siommu_pasid_put - drop a reference taken with siommu_pasid_get(); the last
 * reference of all releases the PASID, as siommu_pasid_free() says. Never
 * allocates.
 * Returns 0, -EINVAL (0 or beyond SIOMMU_PASID_MAX), or -ENOENT (no
 * reference from siommu_pasid_get() is held: a put cannot drop the
 * allocation reference); on error nothing changed. Thread-safe.
 */
int siommu_pasid_put(struct siommu_pasid_space *space, uint32_t pasid);

/*
 * siommu_pasid_query - the owner and references of a PASID in use.
 * Returns 0 with *info set, -EINVAL (0 or beyond SIOMMU_PASID_MAX, or
 * @info NULL), or -ENOENT (not in use). The answer may be stale as soon
 * as the lock is dropped, unless the caller holds a reference.
 * Thread-safe.
 */
int siommu_pasid_query(struct siommu_pasid_space *space, uint32_t pasid,
		       struct siommu_pasid_info *info);

/*
 * siommu_pasid_set_quota - let @owner occupy at most @max PASIDs at once;
 * SIOMMU_PASID_QUOTA_NONE removes the limit. A quota below the owner's
 * usage takes nothing away: further allocations fail with -EDQUOT until
 * enough PASIDs are released.
 * Returns 0 or -ENOMEM (the owner table could not grow; nothing changed).
 * Thread-safe.
 */
int siommu_pasid_set_quota(struct siommu_pasid_space *space, uint64_t owner,
			   uint32_t max);

/*
 * siommu_pasid_query_owner - usage and quota of @owner. An owner never seen
 * reads as usage 0, no quota. Never fails. Thread-safe.
 */
void siommu_pasid_query_owner(struct siommu_pasid_space *space, uint64_t owner,
			      struct siommu_pasid_owner_info *info);

void siommu_pasid_get_stats(struct siommu_pasid_space *space,
			    struct siommu_pasid_stats *st);

/*
 * siommu_pasid_fail_nth - arm (n > 0) or disarm (n == 0) the fail-nth
 * countdown the space consults: the n-th fallible step from now fails with
 * -ENOMEM. Returns the steps consumed since the last call (see
 * siommu_mem_fail_nth(); with a struct siommu_mem given at creation this is
 * that very countdown). A run-time no-op unless armed.
 */
uint64_t siommu_pasid_fail_nth(struct siommu_pasid_space *space, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_PASID_H */
