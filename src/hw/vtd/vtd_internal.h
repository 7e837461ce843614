/* SPDX-License-Identifier: MIT */
/*
 * VT-d model internals (scalable mode).
 *
 * Files: vtd.c (instance, registers, fault log, interrupts, devices),
 * cache.c (context cache, PASID cache, IOTLB, counters), walk.c (structure
 * and page-table walks), xlate.c (translate, DMA, access, ATS), qi.c
 * (invalidation queue), prq.c (page request queue).
 */
#ifndef SIOMMU_HW_VTD_INTERNAL_H
#define SIOMMU_HW_VTD_INTERNAL_H

#include <pthread.h>
#include <siommu/vtd.h>
#include "mem/mem_internal.h"
#include "util/compiler.h"
#include "util/rcu.h"
#include "hw/common/devs.h"
#include "hw/common/slot.h"
#include "hw/common/stats.h"

/* ---- Entry formats (VT-d 9.4-9.9) ---------------------------------- */

#define BIT64(n) (1ull << (n))
#define GENMASK64(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))

/* Scalable-mode root entry (VT-d 9.2). */
#define SM_ROOT_LP	BIT64(0)
#define SM_ROOT_RSVD	GENMASK64(11, 1)

/* Scalable-mode context entry (VT-d 9.4). */
#define SM_CTX_P	BIT64(0)
#define SM_CTX_FPD	BIT64(1)
#define SM_CTX_DTE	BIT64(2)
#define SM_CTX_PASIDE	BIT64(3)
#define SM_CTX_PRE	BIT64(4)
#define SM_CTX_RSVD0	GENMASK64(8, 5)
#define SM_CTX_PDTS(q0)	(((q0) >> 9) & 7)
#define SM_CTX_RIDPASID(q1) ((uint32_t)((q1) & 0xfffff))
#define SM_CTX_RIDPRIV	BIT64(20)		/* in qw1 */
#define SM_CTX_RSVD1	GENMASK64(63, 21)	/* in qw1 */

/* PASID directory entry (VT-d 9.5). */
#define PDIR_P		BIT64(0)
#define PDIR_FPD	BIT64(1)
#define PDIR_RSVD	GENMASK64(11, 2)

/* Scalable-mode PASID table entry (VT-d 9.6). */
#define PTE0_P		BIT64(0)
#define PTE0_FPD	BIT64(1)
#define PTE0_AW(q0)	(((q0) >> 2) & 7)
#define PTE0_SSEE	BIT64(5)
#define PTE0_PGTT(q0)	(((q0) >> 6) & 7)
#define PTE0_SSADE	BIT64(9)
#define PTE0_RSVD	GENMASK64(11, 10)
#define PTE1_DID(q1)	((uint16_t)((q1) & 0xffff))
#define PTE1_RSVD	GENMASK64(22, 16)
#define PTE2_SRE	BIT64(0)
#define PTE2_ERE	BIT64(1)
#define PTE2_FSPM(q2)	(((q2) >> 2) & 3)
#define PTE2_WPE	BIT64(4)
#define PTE2_NXE	BIT64(5)	/* bit 133: XD is valid in FS entries */
#define PTE2_SMEP	BIT64(6)	/* bit 134: no supervisor execute of user pages */
#define PTE2_EAFE	BIT64(7)	/* bit 135: extended accessed flag (ignored) */
#define PTE2_RSVD	GENMASK64(11, 8)

enum {
	PGTT_FS = 1,
	PGTT_SS = 2,
	PGTT_NEST = 3,
	PGTT_PT = 4,
};

/* First-stage (x86-64) entries (VT-d 9.7). */
#define FS_P	BIT64(0)
#define FS_RW	BIT64(1)
#define FS_US	BIT64(2)
#define FS_A	BIT64(5)
#define FS_D	BIT64(6)
#define FS_PS	BIT64(7)
#define FS_XD	BIT64(63)

/* Second-stage entries (VT-d 9.8). */
#define SS_R	BIT64(0)
#define SS_W	BIT64(1)
#define SS_X	BIT64(2)
#define SS_PS	BIT64(7)
#define SS_A	BIT64(8)
#define SS_D	BIT64(9)
#define SS_SNP	BIT64(11)
#define SS_TM	BIT64(62)

/* Interrupt address window (VT-d 3.14). */
#define INTR_BASE 0xfee00000ull
#define INTR_LAST 0xfeefffffull

/* ---- Registers -------------------------------------------------------- */

#define VTD_FRO 0x22	/* FRCD[0] at 0x220 */
#define VTD_IRO 0x0f	/* IVA at 0xf0 */

/* ---- Caches ------------------------------------------------------------ */

/*
 * Every cache slot is a sequence count followed by 64-bit words, copied by
 * value: a reader loads the count, the words, and the count again, and
 * trusts the copy only if the count was even and unchanged. A writer owns a
 * slot while its count is odd (taken with compare-and-swap), so writers of
 * one slot exclude each other without a lock. All accesses are atomics, so
 * concurrent readers and writers are race-free in the C11 sense.
 *
 * Stale fills: a walk that read a table before an invalidation must not
 * cache what it read once the invalidation has scanned. A walk samples
 * v->inv_gen before it reads any table; a fill takes the slot, then
 * re-checks inv_gen and gives up if an invalidation started meanwhile.
 * Invalidations bump inv_gen before they scan. The gen bump, the scan's count load, the fill's CAS and its gen
 * load are all sequentially consistent, so either the scan sees the slot
 * taken (and waits for it), or the fill sees the new generation.
 */
struct ctx_slot {
	uint32_t seq;
	uint32_t pad;
	uint64_t key;		/* CTX_KEY_VALID | sid */
	uint64_t q0, q1;	/* validated context entry words 0 and 1 */
};
#define CTX_KEY_VALID BIT64(63)

struct pasid_slot {
	uint32_t seq;
	uint32_t did;		/* for invalidation matching */
	uint64_t key;		/* PASID_KEY_VALID | sid << 20 | pasid */
	uint64_t q0, q1, q2;	/* validated PASID entry words */
	uint64_t fpd;		/* FPD of the directory or table entry */
};
#define PASID_KEY_VALID BIT64(63)

/*
 * Paging-structure cache entry (SIOMMU_VTD_CAP_PSC): a validated non-leaf
 * entry at walk level 1, which points to a last-level table. Tag: stage,
 * DID, the 2M region and, for the first stage, the PASID (the second
 * stage's tables belong to the domain). Data: the table and the
 * permissions the levels down to this one granted (first stage: R/W and
 * U/S ANDed and XD ORed, as the raw entry bits; second stage: R/W/X).
 * Direct-mapped, PSC_SLOTS slots.
 */
struct psc_slot {
	uint32_t seq;
	uint32_t pasid;		/* first stage: the PASID; else 0 */
	uint64_t key;		/* PSC_KEY_VALID | [PSC_KEY_FS] | 2M region | did */
	uint64_t table;		/* PA of the last-level table */
	uint64_t acc;
};
#define PSC_KEY_VALID	BIT64(63)
#define PSC_KEY_FS	BIT64(16)
#define PSC_SLOTS	64

/*
 * IOTLB entry. Tag: requester (sid, PASID present, the request's PASID),
 * page and level; stored alongside: DID, the PASID actually used (RID_PASID
 * for requests without one) and PGTT, for invalidation matching: domain-,
 * PASID- and page-selective descriptors (VT-d 6.5.2.3, 6.5.2.4) each need
 * their own field, and requests without PASID are found by RID_PASID.
 * Permissions are kept for user and supervisor requests separately.
 */
struct iotlb_slot {
	uint32_t seq;
	uint32_t pasid;		/* effective PASID */
	uint64_t key;		/* see IOTLB_KEY */
	uint64_t page;		/* input page base (level-aligned) */
	uint64_t out;		/* output page base | IOTLB_OUT_* */
};
/*
 * The tag (valid bit included) fills bits 0-39 and the DID sits above it,
 * so a probe compares tags by shifting the DID out: no mask to keep in a
 * register.
 */
#define IOTLB_KEY_VALID BIT64(39)
#define IOTLB_KEY(sid, pp, pasid, level) \
	(IOTLB_KEY_VALID | (uint64_t)(sid) | ((uint64_t)(pp) << 16) | \
	 ((uint64_t)(pasid) << 17) | ((uint64_t)(level) << 37))
#define IOTLB_KEY_LEVEL(k)	((unsigned int)((k) >> 37) & 3)
#define IOTLB_KEY_DID(k)	((uint16_t)((k) >> 40))
#define IOTLB_KEY_SET_DID(did)	((uint64_t)(did) << 40)
#define IOTLB_DID_BUCKETS	1024	/* see siommu_vtd.iotlb_pop */
/*
 * A set's slots are a power of two (the ways rounded up; the rest stay
 * empty), so that the set's byte offset is a mask of the hash.
 */

/* SIDs noted per DID bucket (siommu_vtd.iotlb_sids); n above
 * IOTLB_BUCKET_SIDS: more were seen, and invalidations scan. */
#define IOTLB_BUCKET_SIDS	4
struct iotlb_sids {
	uint32_t lock;
	uint16_t n;
	uint16_t sid[IOTLB_BUCKET_SIDS];
};
/* Whether slot key @k carries tag @key (IOTLB_KEY(), no DID). */
#define IOTLB_KEY_MATCH(k, key)	((((k) ^ (key)) << 24) == 0)
/* out low bits */
#define IOTLB_OUT_PERM_U(o)	((uint32_t)((o) & 7))
#define IOTLB_OUT_PERM_S(o)	((uint32_t)(((o) >> 3) & 7))
#define IOTLB_OUT_DIRTY		BIT64(6)	/* write needs no D update */
#define IOTLB_OUT_PGTT(o)	((unsigned int)(((o) >> 7) & 7))
#define IOTLB_OUT_INTR		BIT64(10)	/* page overlaps 0xFEEx_xxxx */
/*
 * Bits 52-57 (above any output address, HAW <= 52): the accesses an IOTLB
 * hit may grant without further checks, for user requests (52-54) and
 * supervisor requests (55-57): the permissions, less write while D is
 * clear, none when the page touches the interrupt range. The hit path
 * tests a request against them with one AND.
 */
#define IOTLB_OUT_FAST_SHIFT	52
#define IOTLB_OUT_FAST(perm_u, perm_s) \
	(((uint64_t)(perm_u) | (uint64_t)(perm_s) << 3) << IOTLB_OUT_FAST_SHIFT)
#define IOTLB_OUT_MASK		(GENMASK64(11, 0) | GENMASK64(63, 52))

enum vtd_stat {
	ST_IOTLB_HIT,
	ST_IOTLB_MISS,
	ST_WALK,
	ST_FAULT,
	ST_FAULT_REC,
	ST_CTX_HIT,
	ST_CTX_MISS,
	ST_PASID_HIT,
	ST_PASID_MISS,
	ST_INV_DESC,
	ST_IOTLB_INV,
	ST_WAIT,
	ST_PRQ,
	ST_PSC_HIT,
	ST_PSC_MISS,
	ST_NR
};

struct vtd_stripe {
	uint64_t c[ST_NR];
} __attribute__((aligned(64)));

/* A registered device: the list entry (id: its source ID) and its callbacks. */
struct vtd_dev {
	struct hw_dev dev;
	struct siommu_vtd_dev_ops ops;
};
_Static_assert(offsetof(struct vtd_dev, dev) == 0, "a device is its list entry");

/*
 * Fill hook, for tests: NULL in normal use. Every fill of the three caches
 * calls it first, after the walk has read the entry it caches and before
 * the fill takes its slot and re-checks inv_gen. A test stalls a walk
 * there to hold open the stale-fill window (see struct ctx_slot), which is
 * a few nanoseconds wide otherwise: too narrow for a stress test to hit.
 * It runs inside the walk's RCU read-side section, so it must not wait for
 * a wait descriptor to complete. It costs one load on the miss path; IOTLB
 * hits never fill.
 */
enum vtd_cache { VTD_CACHE_CTX, VTD_CACHE_PASID, VTD_CACHE_IOTLB, VTD_CACHE_PSC };
typedef void vtd_fill_hook_fn(void *opaque, enum vtd_cache cache);

/*
 * The unit.
 *
 * Locks, in the order taken: lock -> prq_lock -> fault_lock -> devs.lock.
 *  - lock: the register file (regs below unless noted) and the
 *    invalidation queue's processing state (qi_busy, qi_epoch, qi_kick).
 *    Queue processing holds it across a wait descriptor's grace period but
 *    drops it around each device callback: no callback of the unit runs
 *    with a lock of the unit held (see qi.c).
 *  - fault_lock: FSTS, FECTL.IP, the fault recording registers and the
 *    fault log index. Translation threads take it only to log a fault,
 *    never inside an RCU read-side section of theirs.
 *  - prq_lock: PQH, PQT, PQA, PRS, PECTL.IP (page requests arrive from
 *    device threads).
 *  - devs.lock: the device list and each device's busy count
 *    (hw/common/devs.h).
 * Lock-free: the translation state word xl (TE, root pointer, TTM; written
 * under lock, read with acquire), the caches (per-slot sequence counts),
 * inv_gen, the counters.
 */
struct siommu_vtd {
	struct siommu_mem *mem;
	struct siommu_vtd_cfg cfg;
	uint64_t cap, ecap;
	uint64_t haw_mask;		/* valid output address bits */
	/* First-stage reserved bits every entry has (VT-d 9.7): address
	 * bits beyond HAW, and XD unless the PASID entry sets NXE; indexed
	 * by NXE. */
	uint64_t fs_rsvd[2];
	unsigned int ctx_mask, pasid_mask;

	/* read-mostly, used by every translation */
	uint64_t xl;			/* root pa | XL_TTM | XL_TE */
	uint32_t iotlb_levels;		/* bit L: entries of level L may exist */
	uint32_t iotlb_ways;
	uint64_t iotlb_set_offs;	/* (sets - 1) * set size in bytes */
	uint64_t iotlb_last_way;	/* (ways - 1) * sizeof(struct iotlb_slot) */
	uint64_t iotlb_slots;		/* sets * set size in slots */
	struct iotlb_slot *iotlb;
	struct ctx_slot *ctx;
	struct pasid_slot *pasid;
	struct psc_slot *psc;		/* NULL without SIOMMU_VTD_CAP_PSC */
	vtd_fill_hook_fn *fill_hook;	/* see vtd_fill_hook_set() */
	void *fill_hook_opaque;
	/* Read by every walk, written by invalidations: a line of its own. */
	uint64_t inv_gen __attribute__((aligned(64)));
	/*
	 * IOTLB population by DID bucket (DID mod IOTLB_DID_BUCKETS): never
	 * below the number of valid entries whose DID falls in the bucket,
	 * so a DID-tagged invalidation whose bucket is zero has nothing to
	 * scan. A fill counts its entry before it re-checks inv_gen and an
	 * invalidation reads the count after bumping inv_gen, all
	 * sequentially consistent: either the invalidation sees the count or
	 * the fill sees the new generation and gives up. Removals (under the
	 * slot's sequence count) count down.
	 */
	uint32_t iotlb_pop[IOTLB_DID_BUCKETS] __attribute__((aligned(64)));
	/*
	 * The SIDs with IOTLB entries in each DID bucket, a superset: a fill
	 * notes its SID before it re-checks inv_gen (as it counts), and SIDs
	 * are never taken off (a bucket that has seen too many is marked
	 * full for good). A PASID-based page-selective invalidation finds its
	 * entries in the sets of those SIDs' tags (iotlb_set()) instead of
	 * scanning. Additions take the bucket's lock; n and the SIDs are
	 * sequentially consistent atomics, like inv_gen.
	 */
	struct iotlb_sids iotlb_sids[IOTLB_DID_BUCKETS];
	/* Valid paging-structure cache entries, never fewer (like
	 * iotlb_pop): none, and invalidations skip the cache. */
	uint32_t psc_pop;

	struct vtd_stripe stats[HW_STRIPES];

	siommu_vtd_msi_fn msi_fn;
	void *msi_opaque;

	pthread_mutex_t lock __attribute__((aligned(64)));
	uint32_t gsts;
	uint64_t rtaddr;
	uint64_t iqh, iqt, iqa, iqer;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint32_t fedata, feaddr, feuaddr;
	uint32_t pedata, peaddr, peuaddr;
	uint64_t iva, iotlb_reg, ccmd;
	bool need_sync;			/* invalidations since the last grace period */
	/* One thread at a time processes the queue: the one that found
	 * qi_busy clear. Others only move IQT (or IQH, through QIE) and leave
	 * the descriptors to it. qi_epoch counts QIE changes, so that the
	 * processing thread, back from a device callback, knows whether the
	 * queue it was working on still exists. qi_kick: a register write
	 * asked for processing at the end of the mmio write. */
	bool qi_busy, qi_kick;
	uint64_t qi_epoch;

	pthread_mutex_t fault_lock;
	uint32_t fsts, fectl;
	unsigned int fault_next;
	uint64_t *frcd;			/* 2 words per record */

	pthread_mutex_t prq_lock;
	uint64_t pqh, pqt, pqa;
	uint32_t prs, pectl;

	struct hw_devs devs;

	/* Translations in flight (see vtd_read_lock()); a line of its own. */
	struct rcu_domain rcu __attribute__((aligned(64)));
	struct mem_rcu_user mem_user;
};

#define XL_TE		BIT64(0)
#define XL_TTM		GENMASK64(11, 10)	/* RTADDR.TTM as last latched */
#define XL_TTM_LEGACY	0ull
#define XL_TTM_SCALABLE	SIOMMU_VTD_RTADDR_SMT
#define XL_ROOT_MASK	GENMASK64(63, 12)

/* ---- RCU ---------------------------------------------------------------- */

/*
 * A translation's read-side section: walks, fills, DMA copies and access
 * callbacks run inside one. It is in the model's own RCU domain (v->rcu),
 * whose grace periods are the model's waits (wait descriptors,
 * register-based invalidations, TE and root-table changes): those need the
 * translations in flight on this unit to end, and nothing else. Removing a
 * region of the model's memory waits for this domain too (the model holds
 * host pointers across a section: mem_rcu_user). While waits come often
 * its readers fence (util/rcu.h says why), so a wait does not interrupt
 * the CPUs of other threads.
 */
static inline_hot void vtd_read_lock(struct siommu_vtd *v)
{
	rcu_read_lock(&v->rcu);
}

static inline_hot void vtd_read_unlock(struct siommu_vtd *v)
{
	rcu_read_unlock(&v->rcu);
}

static inline void vtd_sync(struct siommu_vtd *v)
{
	rcu_synchronize(&v->rcu);
}

/* ---- cache.c ------------------------------------------------------------ */

/* Counters: hw/common/stats.h. */
static inline_hot struct vtd_stripe *vtd_stripe(struct siommu_vtd *v)
{
	return &v->stats[hw_stripe()];
}

/* Count on this thread's stripe, found once by a path that counts more
 * than once. */
static inline_hot void stripe_add(struct vtd_stripe *st, enum vtd_stat s, uint64_t n)
{
	hw_count_add(&st->c[s], n);
}

static inline_hot void stripe_inc(struct vtd_stripe *st, enum vtd_stat s)
{
	stripe_add(st, s, 1);
}

static inline_hot void vtd_stat_add_inline(struct siommu_vtd *v, enum vtd_stat s,
					   uint64_t n)
{
	stripe_add(vtd_stripe(v), s, n);
}

static inline_hot void vtd_stat_inc(struct siommu_vtd *v, enum vtd_stat s)
{
	vtd_stat_add_inline(v, s, 1);
}

void vtd_stat_add(struct siommu_vtd *v, enum vtd_stat s, uint64_t n);

static inline_hot uint64_t vtd_gen(struct siommu_vtd *v)
{
	return __atomic_load_n(&v->inv_gen, __ATOMIC_SEQ_CST);
}

/*
 * Install @fn (NULL: none) as @v's fill hook. Call only while no request is
 * being translated on @v: fills read the two words without ordering.
 */
void vtd_fill_hook_set(struct siommu_vtd *v, vtd_fill_hook_fn *fn, void *opaque);

static inline void vtd_fill_hook(struct siommu_vtd *v, enum vtd_cache cache)
{
	vtd_fill_hook_fn *fn = READ_ONCE(v->fill_hook);

	if (unlikely(fn))
		fn(READ_ONCE(v->fill_hook_opaque), cache);
}

static inline_hot unsigned int ctx_index(struct siommu_vtd *v, uint16_t sid)
{
	return ((sid * 0x9e37u) >> 8 ^ sid) & v->ctx_mask;
}

/* The cached context entry of @sid; counts ctx_hit/ctx_miss on @st. */
static inline_hot bool vtd_ctx_lookup(struct siommu_vtd *v, struct vtd_stripe *st,
				      uint16_t sid, uint64_t *q0, uint64_t *q1)
{
	struct ctx_slot *s = &v->ctx[ctx_index(v, sid)];
	uint32_t seq = slot_read_begin(&s->seq);
	uint64_t key = __atomic_load_n(&s->key, __ATOMIC_RELAXED);

	*q0 = __atomic_load_n(&s->q0, __ATOMIC_RELAXED);
	*q1 = __atomic_load_n(&s->q1, __ATOMIC_RELAXED);
	if (unlikely(slot_read_retry(&s->seq, seq) || key != (CTX_KEY_VALID | sid))) {
		stripe_inc(st, ST_CTX_MISS);
		return false;
	}
	stripe_inc(st, ST_CTX_HIT);
	return true;
}

static inline_hot unsigned int pasid_index(struct siommu_vtd *v, uint16_t sid,
					   uint32_t pasid)
{
	uint64_t h = (((uint64_t)sid << 20) | pasid) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> 40) & v->pasid_mask;
}

#define PASID_KEY(sid, pasid) (PASID_KEY_VALID | ((uint64_t)(sid) << 20) | (pasid))

/* The cached PASID entry of (@sid, @pasid) and the FPD it was read
 * under; counts pasid_hit/pasid_miss on @st. */
static inline_hot bool vtd_pasid_lookup(struct siommu_vtd *v, struct vtd_stripe *st,
					uint16_t sid, uint32_t pasid, uint64_t q[3],
					uint64_t *fpd)
{
	struct pasid_slot *s = &v->pasid[pasid_index(v, sid, pasid)];
	uint32_t seq = slot_read_begin(&s->seq);
	uint64_t key = __atomic_load_n(&s->key, __ATOMIC_RELAXED);

	q[0] = __atomic_load_n(&s->q0, __ATOMIC_RELAXED);
	q[1] = __atomic_load_n(&s->q1, __ATOMIC_RELAXED);
	q[2] = __atomic_load_n(&s->q2, __ATOMIC_RELAXED);
	*fpd = __atomic_load_n(&s->fpd, __ATOMIC_RELAXED);
	if (unlikely(slot_read_retry(&s->seq, seq) || key != PASID_KEY(sid, pasid))) {
		stripe_inc(st, ST_PASID_MISS);
		return false;
	}
	stripe_inc(st, ST_PASID_HIT);
	return true;
}

void vtd_ctx_fill(struct siommu_vtd *v, uint64_t gen, uint16_t sid, uint64_t q0,
		  uint64_t q1);
void vtd_pasid_fill(struct siommu_vtd *v, uint64_t gen, uint16_t sid,
		    uint32_t pasid, const uint64_t q[3], uint64_t fpd);

/* One cached translation, unpacked. */
struct iotlb_ent {
	uint16_t sid;
	bool pp;
	uint32_t req_pasid;
	uint32_t pasid;
	uint16_t did;
	unsigned int level;	/* 0 = 4K, 1 = 2M, 2 = 1G */
	unsigned int pgtt;
	uint64_t page;
	uint64_t out;
	uint32_t perm_u, perm_s;
	bool dirty;
};

/*
 * The set of tag @key (as IOTLB_KEY() builds it, no DID bits) and @page.
 * The SID is in the hash: devices of different domains often use the same
 * IOVAs (each domain's allocator starts at the top), and would otherwise
 * crowd the same sets.
 */
static inline_hot struct iotlb_slot *iotlb_set(struct siommu_vtd *v,
					       uint64_t key, uint64_t page)
{
	uint64_t h = (key ^ (page >> 12)) * 0x9e3779b97f4a7c15ull;

	/* Bits 44 up of the product (the low ones mix poorly) pick the set,
	 * already scaled to its byte offset: a set is 1 to 16 slots of 32
	 * bytes (offset bits 5-8 up), there are at most 65536 sets (bit 24
	 * down). One shift and one mask on the DMA's critical path. */
	return (struct iotlb_slot *)((char *)v->iotlb + ((h >> 39) & v->iotlb_set_offs));
}

/*
 * Probe the slots of set @s, the last one at byte offset @last, for
 * (@key, @page). Returns 1 with *out the entry's output word copied under
 * its sequence count, 0 if no slot holds the tag, -1 if the one that does
 * is being written. Tag and page are compared in one test: the probe is
 * most of an IOTLB hit.
 */
static inline_hot int iotlb_probe(const struct iotlb_slot *s, uint64_t last,
				  uint64_t key, uint64_t page, uint64_t *out)
{
	const struct iotlb_slot *end = (const struct iotlb_slot *)((const char *)s + last);

	for (;;) {
		uint32_t seq = slot_read_begin(&s->seq);
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_RELAXED);
		uint64_t pg = __atomic_load_n(&s->page, __ATOMIC_RELAXED);

		/* IOTLB_KEY_MATCH(k, key) && pg == page, with one branch. */
		if ((((k ^ key) << 24) | (pg ^ page)) == 0) {
			*out = __atomic_load_n(&s->out, __ATOMIC_RELAXED);
			return slot_read_retry(&s->seq, seq) ? -1 : 1;
		}
		if (s == end)
			return 0;
		s++;
	}
}

/*
 * IOTLB lookup: lock-free, no RCU section; the entry is copied by value.
 * Probes each page size that may be cached: entries live at their
 * level-aligned address.
 */
static inline_hot bool vtd_iotlb_lookup(struct siommu_vtd *v, uint16_t sid,
					   bool pp, uint32_t pasid, uint64_t iova,
					   struct iotlb_ent *e)
{
	uint32_t levels = READ_ONCE(v->iotlb_levels);
	unsigned int level, w, ways = v->iotlb_ways;

	for (level = 0; level < 3; level++) {
		uint64_t key = IOTLB_KEY(sid, pp, pasid, level);
		uint64_t page = iova & ~(level_size(level) - 1);
		struct iotlb_slot *s;

		if (!(levels & (1u << level)))
			continue;
		s = iotlb_set(v, key, page);
		for (w = 0; w < ways; w++, s++) {
			uint32_t seq = slot_read_begin(&s->seq);
			uint64_t k = __atomic_load_n(&s->key, __ATOMIC_RELAXED);
			uint64_t pg = __atomic_load_n(&s->page, __ATOMIC_RELAXED);
			uint64_t out;
			uint32_t epasid;

			if (!IOTLB_KEY_MATCH(k, key) || pg != page)
				continue;
			out = __atomic_load_n(&s->out, __ATOMIC_RELAXED);
			epasid = __atomic_load_n(&s->pasid, __ATOMIC_RELAXED);
			if (slot_read_retry(&s->seq, seq))
				continue;
			e->sid = sid;
			e->pp = pp;
			e->req_pasid = pasid;
			e->pasid = epasid;
			e->did = IOTLB_KEY_DID(k);
			e->level = level;
			e->pgtt = IOTLB_OUT_PGTT(out);
			e->page = page;
			e->out = out & ~IOTLB_OUT_MASK;
			e->perm_u = IOTLB_OUT_PERM_U(out);
			e->perm_s = IOTLB_OUT_PERM_S(out);
			e->dirty = out & IOTLB_OUT_DIRTY;
			return true;
		}
	}
	return false;
}
void vtd_iotlb_fill(struct siommu_vtd *v, uint64_t gen, const struct iotlb_ent *e);

/* Invalidation matchers; each bumps inv_gen first. */
struct iotlb_match {
	enum { IM_ALL, IM_DID, IM_DID_PAGE_SM, IM_DID_PASID,
	       IM_DID_PASID_PAGE } kind;
	uint16_t did;
	uint32_t pasid;
	uint64_t addr, mask;	/* page-selective: [addr, addr + mask] */
	bool ih;		/* page-selective: leaves only (IH) */
};
uint64_t vtd_iotlb_inv(struct siommu_vtd *v, const struct iotlb_match *m);
void vtd_ctx_inv(struct siommu_vtd *v, bool all, uint16_t sid, uint16_t sid_mask);
/* kind: 0 domain, 1 PASID-selective, 3 global (type 7 G values) */
void vtd_pasid_inv(struct siommu_vtd *v, unsigned int g, uint16_t did,
		   uint32_t pasid);
void vtd_caches_flush_all(struct siommu_vtd *v);

/*
 * Paging-structure cache (struct psc_slot): the cached level-1 entry of
 * (@fs stage, @did, @pasid) over the 2M region of @iova, or a fill of it
 * by a walk that sampled generation @gen. Lookups count psc_hit/psc_miss
 * on @st, the walk's stripe.
 */
#define PSC_REGION(iova)	((iova) & GENMASK64(56, 21))

static inline_hot uint64_t psc_key(bool fs, uint16_t did, uint64_t iova)
{
	return PSC_KEY_VALID | (fs ? PSC_KEY_FS : 0) | PSC_REGION(iova) | did;
}

/* The slot of (@fs, @did, *@pasid, @iova): *key gets its key, *pasid the
 * PASID it is stored with (0 for the second stage). */
static inline_hot struct psc_slot *psc_slot(struct siommu_vtd *v, bool fs, uint16_t did,
					    uint32_t *pasid, uint64_t iova, uint64_t *key)
{
	uint64_t h;

	*key = psc_key(fs, did, iova);
	*pasid = fs ? *pasid : 0;
	h = (*key ^ ((uint64_t)*pasid << 24)) * 0x9e3779b97f4a7c15ull;
	return &v->psc[h >> 58];
}

_Static_assert(PSC_SLOTS == 64, "psc_slot() hashes to 6 bits");

static inline_hot bool vtd_psc_lookup(struct siommu_vtd *v, struct vtd_stripe *st,
				      bool fs, uint16_t did, uint32_t pasid, uint64_t iova,
				      uint64_t *table, uint64_t *acc)
{
	uint64_t key;
	struct psc_slot *s = psc_slot(v, fs, did, &pasid, iova, &key);
	uint32_t seq = slot_read_begin(&s->seq);
	bool hit;

	hit = __atomic_load_n(&s->key, __ATOMIC_RELAXED) == key &&
	      __atomic_load_n(&s->pasid, __ATOMIC_RELAXED) == pasid;
	*table = __atomic_load_n(&s->table, __ATOMIC_RELAXED);
	*acc = __atomic_load_n(&s->acc, __ATOMIC_RELAXED);
	hit = hit && !slot_read_retry(&s->seq, seq);
	stripe_inc(st, hit ? ST_PSC_HIT : ST_PSC_MISS);
	return hit;
}

void vtd_psc_fill(struct siommu_vtd *v, uint64_t gen, bool fs, uint16_t did,
		  uint32_t pasid, uint64_t iova, uint64_t table, uint64_t acc);

int vtd_caches_init(struct siommu_vtd *v);
void vtd_caches_fini(struct siommu_vtd *v);

/*
 * The model's own allocations are fallible steps of its memory's fail-nth
 * countdown (siommu_mem_fail_nth), like the frames the builders take.
 */
static inline bool vtd_should_fail(struct siommu_mem *mem)
{
	return mem_should_fail(mem);
}

/* ---- walk.c ------------------------------------------------------------ */

/* Request kinds for the walk. */
enum vtd_kind { KIND_UNTRANSLATED, KIND_ATS };

struct vtd_walk_out {
	struct iotlb_ent ent;
	bool fpd;		/* faults of this request are suppressed */
	bool cacheable;
};

/*
 * Walk for @req (must run inside an RCU read-side section), counting on
 * @st, this thread's stripe. Returns 0 with *o filled (ent.perm_* describe
 * the mapping; the caller checks the request's access against them), or a
 * fault reason with o->fpd telling whether it is a qualified fault under
 * FPD.
 */
uint32_t vtd_walk(struct siommu_vtd *v, const struct siommu_vtd_req *req,
		  enum vtd_kind kind, uint64_t gen, struct vtd_stripe *st,
		  struct vtd_walk_out *o);

/* Set v->fs_rsvd from v->haw_mask: once, before the unit translates. */
void vtd_walk_init(struct siommu_vtd *v);

/* Context-level checks for page requests: returns a fault reason or 0. */
uint32_t vtd_prq_check(struct siommu_vtd *v, const struct siommu_vtd_page_req *req,
		       bool *fpd);

/* ---- vtd.c ------------------------------------------------------------- */

/* Request access against a translation's permissions: 0 or the fault
 * reason (VT-d 7.1.3: write, then execute, then read). */
static inline uint32_t vtd_perm_check(uint32_t access, uint32_t perm)
{
	if ((access & SIOMMU_VTD_WRITE) && !(perm & SIOMMU_VTD_WRITE))
		return SIOMMU_VTD_FR_WRITE;
	if ((access & SIOMMU_VTD_EXEC) && !(perm & SIOMMU_VTD_EXEC))
		return SIOMMU_VTD_FR_EXEC;
	if ((access & (SIOMMU_VTD_READ | SIOMMU_VTD_EXEC)) && !(perm & SIOMMU_VTD_READ))
		return SIOMMU_VTD_FR_READ;
	return 0;
}

#define MSI_FAULT (1u << SIOMMU_VTD_IRQ_FAULT)
#define MSI_INV (1u << SIOMMU_VTD_IRQ_INV)
#define MSI_PRQ (1u << SIOMMU_VTD_IRQ_PRQ)

struct vtd_fault {
	uint16_t sid;
	bool pp;
	uint32_t pasid;
	uint64_t addr;
	uint8_t reason;
	bool write;
	bool priv;		/* privileged-mode request (with PASID) */
	bool exec;		/* execute requested (with PASID) */
	bool prq;		/* a page request, not a translation */
	bool fpd;
};

/* Log a fault (takes fault_lock); returns whether it was recorded. */
bool vtd_fault_record(struct siommu_vtd *v, const struct vtd_fault *f,
		      unsigned int *msi);
/* Set FSTS bits (IQE/ICE/ITE) with event generation; takes fault_lock. */
void vtd_fsts_set(struct siommu_vtd *v, uint32_t bits, unsigned int *msi);
void vtd_msi_deliver(struct siommu_vtd *v, unsigned int msi);

/* An event for an interrupt control register (xxCTL): IM set -> IP
 * (VT-d 7.3.1, 6.5.2.11, 7.5.1.5). */
static inline void vtd_event(uint32_t *ctl, unsigned int bit, unsigned int *msi)
{
	if (*ctl & SIOMMU_VTD_ECTL_IM)
		*ctl |= SIOMMU_VTD_ECTL_IP;
	else
		*msi |= bit;
}

/* A write to an xxCTL register: IM is RW, IP read-only. */
void vtd_ectl_write(uint32_t *ctl, uint32_t val, unsigned int bit, unsigned int *msi);

/* Byte mask of an address-mask (AM) range: 2^(12 + am) - 1, for any am
 * up to 63 (VT-d 6.5.2.3: AM is 6 bits wide), in 64-bit arithmetic. */
static inline uint64_t vtd_am_mask(unsigned int am)
{
	return 12 + am >= 64 ? ~0ull : (1ull << (12 + am)) - 1;
}

/* Source-ID mask for a function mask FM (VT-d 6.5.2.1; FM=1 ignores SID
 * bit 2, FM=2 bits 2:1, FM=3 bits 2:0). */
static inline uint16_t vtd_sid_fm_mask(unsigned int fm)
{
	return (uint16_t)(0xffffu & ~(((1u << fm) - 1) << (3 - fm)));
}

/* Device callbacks; call with no lock of the unit held. */
void vtd_dev_devtlb_inv(struct siommu_vtd *v, const struct siommu_vtd_devtlb_inv *inv);
void vtd_dev_page_resp(struct siommu_vtd *v, const struct siommu_vtd_page_resp *r);

/* ---- qi.c / prq.c ---------------------------------------------------------- */

/*
 * Process the invalidation queue from IQH to IQT; called with lock held,
 * returns with it held, but drops it around device callbacks (after
 * delivering the interrupts gathered in *msi so far) and so may return
 * with registers changed by other threads. Returns at once when another
 * thread is processing: that one takes the new tail into account.
 */
void vtd_qi_process(struct siommu_vtd *v, unsigned int *msi);

uint64_t vtd_prq_reg_read(struct siommu_vtd *v, uint64_t off);
void vtd_prq_reg_write(struct siommu_vtd *v, uint64_t off, uint64_t val,
		       uint64_t wmask, unsigned int *msi);

#endif
