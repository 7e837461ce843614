/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 model internals.
 *
 * Files: smmuv3.c (instance, registers, event and PRI queues, interrupts,
 * stalls, devices), cache.c (STE cache, CD cache, TLB, counters), walk.c
 * (stream table, STE and CD decoding, VMSAv8-64 walks), xlate.c
 * (transactions, DMA, access, ATS, page requests), cmdq.c (command queue).
 */
#ifndef SIOMMU_HW_SMMUV3_INTERNAL_H
#define SIOMMU_HW_SMMUV3_INTERNAL_H

#include <pthread.h>
#include <string.h>
#include <siommu/smmuv3.h>
#include "mem/mem_internal.h"
#include "util/compiler.h"
#include "util/rcu.h"
#include "hw/smmuv3/hook.h"
#include "hw/common/devs.h"
#include "hw/common/slot.h"
#include "hw/common/stats.h"
#include "hw/common/xc.h"

#define BIT64(n) (1ull << (n))
#define GENMASK64(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))
#define FIELD(w, h, l) (((w) >> (l)) & (~0ull >> (63 - (h) + (l))))

/* ---- RCU ------------------------------------------------------------------ */

/*
 * A translation's read-side section: walks, cache fills, DMA copies and
 * access callbacks run inside one of the unit's own RCU domain; CMD_SYNC
 * waits for a grace period of it, so it waits for this unit's
 * translations alone. All of the model's RCU use goes through these three
 * functions.
 */
struct siommu_smmuv3;
static inline_hot void smmu_read_lock(struct siommu_smmuv3 *s);
static inline_hot void smmu_read_unlock(struct siommu_smmuv3 *s);
static inline void smmu_sync(struct siommu_smmuv3 *s);

/* ---- Formats (SMMUv3 5.2 STE, 5.4 CD, 5.3 L1CD, 3.4.3 L1STD) ------------- */

/* STE word 0. */
#define STE0_V			BIT64(0)
#define STE0_CONFIG(w)		((unsigned int)FIELD(w, 3, 1))
#define STE0_S1FMT(w)		((unsigned int)FIELD(w, 5, 4))
#define STE0_S1CTXPTR(w)	((w) & GENMASK64(51, 6))
#define STE0_S1CDMAX(w)		((unsigned int)FIELD(w, 63, 59))
/* STE word 1. */
#define STE1_S1DSS(w)		((unsigned int)FIELD(w, 1, 0))
#define STE1_S1STALLD		BIT64(27)
#define STE1_EATS(w)		((unsigned int)FIELD(w, 29, 28))
#define STE1_STRW(w)		((unsigned int)FIELD(w, 31, 30))
/* STE word 2. */
#define STE2_S2VMID(w)		((uint16_t)FIELD(w, 15, 0))
#define STE2_S2T0SZ(w)		((unsigned int)FIELD(w, 37, 32))
#define STE2_S2SL0(w)		((unsigned int)FIELD(w, 39, 38))
#define STE2_S2TG(w)		((unsigned int)FIELD(w, 47, 46))
#define STE2_S2PS(w)		((unsigned int)FIELD(w, 50, 48))
#define STE2_S2AA64		BIT64(51)
#define STE2_S2ENDI		BIT64(52)
#define STE2_S2AFFD		BIT64(53)
#define STE2_S2PTW		BIT64(54)
#define STE2_S2HD		BIT64(55)
#define STE2_S2HA		BIT64(56)
#define STE2_S2S		BIT64(57)
#define STE2_S2R		BIT64(58)
/* STE word 3. */
#define STE3_S2TTB(w)		((w) & GENMASK64(51, 4))

enum {
	STE_CFG_ABORT = 0,
	STE_CFG_BYPASS = 4,
	STE_CFG_S1 = 5,
	STE_CFG_S2 = 6,
	STE_CFG_NEST = 7,
};

enum { S1DSS_TERMINATE = 0, S1DSS_BYPASS = 1, S1DSS_SSID0 = 2 };

/* L1 stream table descriptor. */
#define L1STD_SPAN(w)		((unsigned int)FIELD(w, 4, 0))
#define L1STD_L2PTR(w)		((w) & GENMASK64(51, 6))
/* L1 CD descriptor. */
#define L1CD_V			BIT64(0)
#define L1CD_L2PTR(w)		((w) & GENMASK64(51, 12))

/* CD word 0. */
#define CD0_T0SZ(w)		((unsigned int)FIELD(w, 5, 0))
#define CD0_TG0(w)		((unsigned int)FIELD(w, 7, 6))
#define CD0_EPD0		BIT64(14)
#define CD0_ENDI		BIT64(15)
#define CD0_T1SZ(w)		((unsigned int)FIELD(w, 21, 16))
#define CD0_TG1(w)		((unsigned int)FIELD(w, 23, 22))
#define CD0_EPD1		BIT64(30)
#define CD0_V			BIT64(31)
#define CD0_IPS(w)		((unsigned int)FIELD(w, 34, 32))
#define CD0_AFFD		BIT64(35)
#define CD0_WXN			BIT64(36)
#define CD0_UWXN		BIT64(37)
#define CD0_TBI0		BIT64(38)
#define CD0_TBI1		BIT64(39)
#define CD0_PAN			BIT64(40)
#define CD0_AA64		BIT64(41)
#define CD0_HD			BIT64(42)
#define CD0_HA			BIT64(43)
#define CD0_S			BIT64(44)
#define CD0_R			BIT64(45)
#define CD0_A			BIT64(46)
#define CD0_ASET		BIT64(47)
#define CD0_ASID(w)		((uint16_t)FIELD(w, 63, 48))
/* CD word 1 / 2. */
#define CD1_HAD0		BIT64(1)
#define CD1_TTB0(w)		((w) & GENMASK64(51, 4))
#define CD2_HAD1		BIT64(1)
#define CD2_TTB1(w)		((w) & GENMASK64(51, 4))

/* VMSAv8-64 descriptors, 4K granule (Arm ARM D8.3). */
#define PTE_VALID		BIT64(0)
#define PTE_TABLE		BIT64(1)	/* table, or page at level 3 */
#define PTE_AP1			BIT64(6)	/* stage 1: EL0 access; S2AP read */
#define PTE_AP2			BIT64(7)	/* stage 1: read-only; S2AP write */
#define PTE_AF			BIT64(10)
#define PTE_PXN			BIT64(53)
#define PTE_UXN			BIT64(54)	/* stage 2: XN */
#define PTE_OA			GENMASK64(47, 12)
#define PTE_OA_HI		GENMASK64(51, 48)	/* OA[51:48]: beyond any OAS here */
#define PTE_PXNTABLE		BIT64(59)
#define PTE_XNTABLE		BIT64(60)
#define PTE_APTABLE0		BIT64(61)	/* no EL0 access below */
#define PTE_APTABLE1		BIT64(62)	/* no write below */

/* Event record (SMMUv3 7.3). */
enum { EV_CLASS_CD = 0, EV_CLASS_TT = 1, EV_CLASS_IN = 2 };

/* ---- Requests, configurations, faults --------------------------------- */

#define ACC_ALL (SIOMMU_SMMUV3_READ | SIOMMU_SMMUV3_WRITE | SIOMMU_SMMUV3_EXEC)

/* Permission bits as the TLB keeps them: unprivileged in 2:0, privileged
 * in 5:3, each SIOMMU_SMMUV3_READ | WRITE | EXEC. */
#define PERM_PRIV_SHIFT 3
#define PERM_ALL	0x3fu

/* Why a transaction did not translate. */
struct smmu_fault {
	uint8_t event;		/* SIOMMU_SMMUV3_*, or 0: abort without event */
	uint8_t class;		/* EV_CLASS_* */
	bool s2;		/* the fault is at stage 2 */
	bool record;		/* CD.R / STE.S2R, or a configuration event */
	bool stall;		/* CD.S / STE.S2S: hold the transaction */
	bool ats_quiet;		/* ATS: completer abort without an event */
	bool tt_write;		/* F_WALK_EABT of a descriptor update (HTTU) */
	uint64_t ipa;		/* stage-2 faults: the IPA */
	uint64_t fetch;		/* fetch aborts: the address fetched */
};

/* A validated stage-2 configuration. */
struct s2_cfg {
	uint64_t ttb;
	uint16_t vmid;
	uint8_t start;		/* lookup level 0..3 */
	uint8_t ia_bits;
	uint8_t oa_bits;
	bool affd, ha, rec, stall;
};

/* A validated stage-1 configuration (from a CD). */
struct s1_cfg {
	uint64_t ttb[2];
	uint8_t tsz[2];
	bool epd[2], tbi[2], had[2];
	uint8_t oa_bits;
	uint16_t asid;
	bool affd, ha, wxn, pan, rec, stall;
};

/* A validated STE as the STE cache keeps it: decoded once, when fetched. */
struct ste_cfg {
	uint64_t ste[2];	/* words 0 and 1: CD table, S1DSS, EATS, S1STALLD */
	struct s2_cfg s2;	/* config S2 and nested */
	uint16_t vmid;		/* TLB tag (0 without stage 2 implemented) */
	uint8_t config;		/* STE.Config: STE_CFG_* */
};

/* What a StreamID (and SubstreamID) leads to. */
struct smmu_cfg {
	unsigned int config;	/* STE_CFG_*; S1 bypassed by S1DSS: STE_CFG_S2/BYPASS */
	struct ste_cfg st;
	struct s1_cfg s1;	/* configs S1 and nested, unless bypassed */
};

/* ---- Caches ------------------------------------------------------------ */

/*
 * Slots are a sequence count followed by 64-bit words, copied by value: a
 * reader loads the count, the words and the count again, and trusts the
 * copy only if the count was even and unchanged. A writer owns a slot
 * while its count is odd (taken with compare-and-swap). All accesses are
 * atomics.
 *
 * Stale fills: a walk samples s->inv_gen before it reads any table; a
 * fill takes the slot, then re-checks inv_gen and gives up if an
 * invalidation started meanwhile. Invalidations bump inv_gen before they
 * scan, all sequentially consistent, so either the scan sees the slot
 * taken (and waits for it) or the fill sees the new generation.
 */

/* STE cache (by StreamID) and CD cache (by StreamID and CD index): the
 * decoded configuration of a validated entry (struct ste_cfg, struct
 * s1_cfg) as words, so that a hit decodes nothing. */
#define CFG_WORDS		6
struct cfg_slot {
	uint32_t seq;
	uint32_t pad;
	uint64_t key;
	uint64_t w[CFG_WORDS];
};
_Static_assert(sizeof(struct ste_cfg) <= sizeof(uint64_t) * CFG_WORDS &&
	       sizeof(struct s1_cfg) <= sizeof(uint64_t) * CFG_WORDS &&
	       sizeof(struct ste_cfg) % 8 == 0 && sizeof(struct s1_cfg) % 8 == 0,
	       "a decoded configuration is whole words that fit its cache slot");
#define CFG_KEY_VALID		BIT64(63)
#define STE_KEY(sid)		(CFG_KEY_VALID | (uint64_t)(sid))
#define CD_KEY(sid, idx)	(CFG_KEY_VALID | ((uint64_t)(sid) << 20) | (idx))
#define CD_KEY_SID(k)		((uint32_t)((k) >> 20))
#define CD_KEY_IDX(k)		((uint32_t)((k) & 0xfffff))
#define STE_SLOTS		256
#define CD_SLOTS		1024

/*
 * TLB entry (SMMUv3 3.17: tagged by VMID, ASID, address; not by StreamID).
 * kind: stage 1 only, stage 2 only, or nested (combined S1+S2, invalidated
 * by either kind of command). level: 0 = 4K, 1 = 2M, 2 = 1G; entries live
 * at their level-aligned input address, so lookups probe each level that
 * may hold one.
 */
struct tlb_slot {
	uint32_t seq;
	uint32_t pad;
	uint64_t key;
	uint64_t page;		/* input page base */
	uint64_t out;		/* output page base | permissions (PERM_ALL) */
};
enum { TLB_S1 = 1, TLB_S2 = 2, TLB_NEST = 3 };
#define TLB_KEY_VALID		BIT64(63)
#define TLB_KEY(kind, level, asid, vmid) \
	(TLB_KEY_VALID | ((uint64_t)(kind) << 40) | ((uint64_t)(level) << 36) | \
	 ((uint64_t)(asid) << 16) | (uint64_t)(vmid))
#define TLB_KEY_KIND(k)		((unsigned int)((k) >> 40) & 3)
#define TLB_KEY_LEVEL(k)	((unsigned int)((k) >> 36) & 3)
#define TLB_KEY_ASID(k)		((uint16_t)((k) >> 16))
#define TLB_KEY_VMID(k)		((uint16_t)(k))
#define TLB_OUT_PERM(o)		((uint32_t)((o) & PERM_ALL))
#define TLB_OUT_MASK		GENMASK64(11, 0)

/*
 * The combined cache (hw/common/xc.h): what the STE cache, the CD cache
 * and the TLB answered for one stream, substream and 4K input page, so
 * that the next request for it probes once. It is filled on a TLB hit,
 * not by the walk that filled the TLB: a page is remembered here from its
 * second translation on. Every CMD_CFGI_* and CMD_TLBI_*, and SMMUEN
 * cleared, moves inv_gen (smmu_gen_bump()), so an entry outlives none of
 * them whatever they removed; what stays cached below (a stale STE, CD or
 * TLB entry, as the architecture allows) answers the next request through
 * the three caches again. The page is kept as requested (top byte
 * included); the set is chosen with the TLB's geometry.
 */
#define XC_KEY_SSV		BIT64(52)
#define XC_KEY(sid, ssv, ssid) \
	(XC_KEY_VALID | (uint64_t)(sid) | \
	 ((ssv) ? XC_KEY_SSV | (uint64_t)(ssid) << 32 : 0))
#define XC_OUT_CD		BIT64(8)	/* the hit counts a CD hit too */

/*
 * The hit paths' XC_KEY() of @req, without a branch: *key, and whether
 * the request's SubstreamID (when it has one) fits in 20 bits. Without
 * SSV the SSID field is ignored, as XC_KEY() ignores it.
 */
static inline_hot bool smmu_req_key(const struct siommu_smmuv3_req *req, uint64_t *key)
{
	uint32_t ssid = req->ssid & -(uint32_t)req->ssv;

	*key = XC_KEY_VALID | (uint64_t)req->sid | (uint64_t)req->ssv << 52 |
	       (uint64_t)ssid << 32;
	return ssid <= 0xfffff;
}

enum smmu_stat {
	ST_TLB_HIT,
	ST_TLB_MISS,
	ST_WALK,
	ST_STE_HIT,
	ST_STE_MISS,
	ST_CD_HIT,
	ST_CD_MISS,
	ST_FAULT,
	ST_EVENT,
	ST_EVENT_LOST,
	ST_CMD,
	ST_TLB_INV,
	ST_SYNC,
	ST_PRI,
	ST_STALL,
	ST_XC_HIT_S1,		/* combined hits through a CD: STE, CD, TLB hits */
	ST_XC_HIT_S2,		/* combined hits without one: STE and TLB hits */
	ST_NR
};

struct smmu_stripe {
	uint64_t c[ST_NR];
} __attribute__((aligned(64)));

/* A registered device: the list entry (id: its StreamID) and its callbacks. */
struct smmu_dev {
	struct hw_dev dev;
	struct siommu_smmuv3_dev_ops ops;
};
_Static_assert(offsetof(struct smmu_dev, dev) == 0, "a device is its list entry");

/* A queue's registers (SMMUv3 3.5): BASE, and PROD/CONS with the index
 * in bits log2-1:0, the wrap flag at bit log2 and OVFLG at bit 31. */
struct smmu_queue {
	uint64_t base;
	uint32_t prod, cons;
	unsigned int max_log2;
};

/* An outstanding stalled transaction (q_lock). */
struct smmu_stall {
	bool used;
	uint32_t sid;
};

/*
 * The unit.
 *
 * Locks, in the order taken: lock -> q_lock -> devs.lock.
 *  - lock: the register file except what q_lock covers, command queue
 *    processing (held across CMD_SYNC's grace period; dropped around
 *    device callbacks and SYNC MSIs, see cmdq.c).
 *  - q_lock: the event queue, the PRI queue, GERROR, and the stall table.
 *    Translation threads take it only to record events, page requests and
 *    stalls, never inside a read-side section of theirs (a CMD_SYNC waits
 *    for those sections with lock held, and lock is taken before q_lock).
 *  - devs.lock: the device list and each device's busy count
 *    (hw/common/devs.h).
 * Lock-free: the translation state word xl (SMMUEN, GBPA.ABORT; written
 * under lock), the stream table registers strtab/strtab_cfg (written only
 * while SMMUEN is clear, published by xl's release store), the caches,
 * inv_gen, the counters.
 */
struct siommu_smmuv3 {
	struct siommu_mem *mem;
	struct siommu_smmuv3_cfg cfg;
	uint32_t idr[6];
	uint64_t oa_mask;		/* valid output address bits */

	/* read-mostly, used by every translation */
	uint32_t xl;			/* XL_* */
	uint32_t cr2;
	uint64_t strtab_base;
	uint32_t strtab_cfg;
	uint32_t tlb_levels;		/* bit L: entries of level L may exist */
	unsigned int tlb_ways;
	uint32_t tlb_set_mask;
	struct tlb_slot *tlb;
	struct xc xc;			/* the TLB's sets */
	struct cfg_slot *ste;
	struct cfg_slot *cd;
	smmu_fill_hook_fn *fill_hook;	/* see smmu_fill_hook_set() */
	void *fill_hook_opaque;
	uint64_t inv_gen __attribute__((aligned(64)));
	struct smmu_stripe stats[HW_STRIPES];

	siommu_smmuv3_msi_fn msi_fn;
	void *msi_opaque;

	pthread_mutex_t lock __attribute__((aligned(64)));
	uint32_t cr0, cr1, gbpa, irq_ctrl;
	struct smmu_queue cmdq;
	uint64_t gerror_irq_addr, evtq_irq_addr, priq_irq_addr;
	uint32_t gerror_irq_data, evtq_irq_data, priq_irq_data;
	uint32_t gerror_irq_attr, evtq_irq_attr, priq_irq_attr;
	bool need_sync;			/* invalidations since the last grace period */
	/* One thread at a time processes the command queue: the one that
	 * found cmdq_busy clear. Others only move PROD (or CONS, while
	 * CMDQEN is clear) and leave the commands to it. cmdq_epoch counts
	 * CMDQEN changes, so that the processing thread, back from a
	 * callback, knows whether the queue it was working on is still
	 * enabled as it was. cmdq_kick: a register write asked for
	 * processing at the end of the MMIO write. */
	bool cmdq_busy, cmdq_kick;
	uint64_t cmdq_epoch;

	pthread_mutex_t q_lock;
	struct smmu_queue evtq, priq;
	uint32_t gerror, gerrorn;
	struct smmu_stall *stalls;

	struct hw_devs devs;

	/* Translations in flight (see smmu_read_lock()); a line of its own.
	 * Linked to the memory, whose region removals wait for them too. */
	struct rcu_domain rcu __attribute__((aligned(64)));
	struct mem_rcu_user mem_user;
};

static inline_hot void smmu_read_lock(struct siommu_smmuv3 *s)
{
	rcu_read_lock(&s->rcu);
}

static inline_hot void smmu_read_unlock(struct siommu_smmuv3 *s)
{
	rcu_read_unlock(&s->rcu);
}

static inline void smmu_sync(struct siommu_smmuv3 *s)
{
	rcu_synchronize(&s->rcu);
}

#define XL_EN		(1u << 0)	/* SMMUEN */
#define XL_ABORT	(1u << 1)	/* GBPA.ABORT (while SMMUEN is clear) */

/* Interrupt bits gathered under a lock and delivered after it. */
#define MSI_EVTQ	(1u << SIOMMU_SMMUV3_IRQ_SRC_EVTQ)
#define MSI_PRIQ	(1u << SIOMMU_SMMUV3_IRQ_SRC_PRIQ)
#define MSI_GERROR	(1u << SIOMMU_SMMUV3_IRQ_SRC_GERROR)

/* ---- cache.c ------------------------------------------------------------- */

static inline_hot struct smmu_stripe *smmu_stripe(struct siommu_smmuv3 *s)
{
	return &s->stats[hw_stripe()];
}

/* Count on a stripe found once by a path that counts more than once. */
static inline_hot void stripe_inc(struct smmu_stripe *sp, enum smmu_stat st)
{
	hw_count_add(&sp->c[st], 1);
}

static inline_hot void smmu_stat_add(struct siommu_smmuv3 *s, enum smmu_stat st, uint64_t n)
{
	hw_count_add(&smmu_stripe(s)->c[st], n);
}

static inline_hot void smmu_stat_inc(struct siommu_smmuv3 *s, enum smmu_stat st)
{
	smmu_stat_add(s, st, 1);
}

static inline_hot uint64_t smmu_gen(struct siommu_smmuv3 *s)
{
	return __atomic_load_n(&s->inv_gen, __ATOMIC_SEQ_CST);
}

static inline void smmu_fill_hook(struct siommu_smmuv3 *s, enum smmu_cache cache)
{
	smmu_fill_hook_fn *fn = READ_ONCE(s->fill_hook);

	if (unlikely(fn))
		fn(READ_ONCE(s->fill_hook_opaque), cache);
}

static inline_hot uint64_t hash64(uint64_t x)
{
	return x * 0x9e3779b97f4a7c15ull;
}

/* The configuration cache slot of @key (an STE_KEY or CD_KEY). */
static inline_hot struct cfg_slot *cfg_slot(struct cfg_slot *base, unsigned int n,
					    uint64_t key)
{
	return &base[(hash64(key) >> 40) & (n - 1)];
}

/* Words of a decoded configuration, which may alias its fields. */
typedef uint64_t __attribute__((may_alias)) cfg_word;

/* A cached entry, copied into @dst (@size bytes, a multiple of 8; written
 * even on a miss). Callers count: the hit path only when the whole
 * translation hits, the walk for each lookup it makes. */
static inline_hot bool cfg_lookup(struct cfg_slot *base, unsigned int n, uint64_t key,
				  void *dst, size_t size)
{
	struct cfg_slot *c = cfg_slot(base, n, key);
	uint32_t seq = slot_read_begin(&c->seq);
	cfg_word *w = dst;
	unsigned int i;

	if (__atomic_load_n(&c->key, __ATOMIC_RELAXED) != key)
		return false;
	/* Word by word into place: no copy through the stack, whose wider
	 * loads would wait on the narrower stores. */
	for (i = 0; i < size / 8; i++)
		w[i] = __atomic_load_n(&c->w[i], __ATOMIC_RELAXED);
	return likely(!slot_read_retry(&c->seq, seq));
}

static inline_hot bool smmu_ste_lookup(struct siommu_smmuv3 *s, uint32_t sid,
				       struct ste_cfg *st)
{
	return cfg_lookup(s->ste, STE_SLOTS, STE_KEY(sid), st, sizeof(*st));
}

static inline_hot bool smmu_cd_lookup(struct siommu_smmuv3 *s, uint32_t sid, uint32_t idx,
				      struct s1_cfg *c1)
{
	return cfg_lookup(s->cd, CD_SLOTS, CD_KEY(sid, idx), c1, sizeof(*c1));
}

void smmu_ste_fill(struct siommu_smmuv3 *s, uint64_t gen, uint32_t sid,
		   const struct ste_cfg *st);
void smmu_cd_fill(struct siommu_smmuv3 *s, uint64_t gen, uint32_t sid, uint32_t idx,
		  const struct s1_cfg *c1);

static inline_hot struct tlb_slot *tlb_set(struct siommu_smmuv3 *s, uint64_t key,
					   uint64_t page)
{
	uint64_t h = hash64(key ^ (page >> 12) ^ (page >> 40));

	return &s->tlb[((h >> 40) & s->tlb_set_mask) * s->tlb_ways];
}

/* TLB lookup: lock-free, no RCU section. Returns the level found (0..2)
 * with *out the entry's output word, or -1. */
static inline_hot int smmu_tlb_lookup(struct siommu_smmuv3 *s, unsigned int kind,
				      uint16_t asid, uint16_t vmid, uint64_t va,
				      uint64_t *out)
{
	uint32_t levels = READ_ONCE(s->tlb_levels);
	unsigned int level, w;

	for (level = 0; level < 3; level++) {
		uint64_t key = TLB_KEY(kind, level, asid, vmid);
		uint64_t page = va & ~(level_size(level) - 1);
		struct tlb_slot *t;

		if (!(levels & (1u << level)))
			continue;
		t = tlb_set(s, key, page);
		for (w = 0; w < s->tlb_ways; w++, t++) {
			uint32_t seq = slot_read_begin(&t->seq);
			uint64_t k = __atomic_load_n(&t->key, __ATOMIC_RELAXED);
			uint64_t pg = __atomic_load_n(&t->page, __ATOMIC_RELAXED);
			uint64_t o;

			if (k != key || pg != page)
				continue;
			o = __atomic_load_n(&t->out, __ATOMIC_RELAXED);
			if (slot_read_retry(&t->seq, seq))
				continue;
			*out = o;
			return (int)level;
		}
	}
	return -1;
}

/* Combined cache lookup: lock-free, no RCU section. Returns true with *out
 * the entry's output word if (@key, @page) is cached under the current
 * generation. */
static inline_hot bool smmu_xc_lookup(struct siommu_smmuv3 *s, uint64_t key, uint64_t page,
				      uint64_t *out)
{
	return xc_lookup(&s->xc, &s->inv_gen, key, page, out);
}

/* A new invalidation generation (every invalidation, and SMMUEN cleared):
 * fills that sampled an older one give up, combined entries stop hitting. */
void smmu_gen_bump(struct siommu_smmuv3 *s);

/* Remember the translation of (@key, @page) made under generation @gen. */
void smmu_xc_fill(struct siommu_smmuv3 *s, uint64_t gen, uint64_t key, uint64_t page,
		  uint64_t out);

void smmu_tlb_fill(struct siommu_smmuv3 *s, uint64_t gen, unsigned int kind,
		   unsigned int level, uint16_t asid, uint16_t vmid, uint64_t page,
		   uint64_t out);

/* What a TLB invalidation removes (SMMUv3 4.4). */
struct tlb_match {
	bool all;		/* CMD_TLBI_NSNH_ALL */
	bool s1, s2;		/* stage-1 and nested entries / stage-2 entries */
	bool match_vmid, match_asid, match_range;
	uint16_t vmid, asid;
	uint64_t first, last;	/* input address range, inclusive */
};
uint64_t smmu_tlb_inv(struct siommu_smmuv3 *s, const struct tlb_match *m);

/* Configuration cache invalidation: STEs with sid in [first, last] (and
 * their CDs); CDs of @sid (all, or CD index @idx). */
void smmu_ste_inv(struct siommu_smmuv3 *s, uint32_t first, uint32_t last);
void smmu_cd_inv(struct siommu_smmuv3 *s, uint32_t sid, bool all, uint32_t idx);

int smmu_caches_init(struct siommu_smmuv3 *s);
void smmu_caches_fini(struct siommu_smmuv3 *s);

/* ---- walk.c ------------------------------------------------------------ */

/* Request kinds for the walk. */
enum smmu_kind { KIND_UNTRANSLATED, KIND_ATS };

/* What a translation found. */
struct smmu_walk_out {
	uint64_t page;		/* input page base (stage-1 VA canonicalised) */
	uint64_t out;		/* output page base */
	uint64_t ipa;		/* stage 2 enabled: the IPA of the request */
	unsigned int level;	/* 0 = 4K, 1 = 2M, 2 = 1G */
	uint32_t perm;		/* PERM_ALL layout, both stages combined */
	uint32_t s1_perm;	/* stage 1 alone (PERM_ALL when bypassed) */
	unsigned int tlb_kind;	/* TLB_S1/S2/NEST, 0: bypass (not cached) */
	uint16_t asid, vmid;
	struct smmu_fault f;	/* when the walk fails */
};

/*
 * The configuration of @req (STE, then CD): from the caches, or fetched,
 * validated and cached under generation @gen. Returns 0 with *c filled,
 * or -1 with c's fault in *f. Runs inside a read-side section.
 */
int smmu_config(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
		uint64_t gen, struct smmu_cfg *c, struct smmu_fault *f);

/* Walk for @req under configuration @c (inside a read-side section);
 * returns 0 with *o filled or -1 with o->f set. */
int smmu_walk(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
	      const struct smmu_cfg *c, struct smmu_walk_out *o);

/* Sign-extend bit 55 over bits 63:56: the address a stage-1 TLB entry
 * and TLBI by VA use, whatever the top byte (TBI) was. */
static inline_hot uint64_t va_canon(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 8) >> 8);
}

/* Which CD a transaction uses (SMMUv3 5.2 S1DSS, 3.9): returns 0 with
 * *idx, 1 when stage 1 is bypassed for it (S1DSS bypass), or an event
 * (C_BAD_SUBSTREAMID, F_STREAM_DISABLED). */
static inline_hot int ste_cd_index(const uint64_t *ste, const struct siommu_smmuv3_req *req,
				   uint32_t *idx)
{
	unsigned int cdmax = STE0_S1CDMAX(ste[0]);
	unsigned int dss = STE1_S1DSS(ste[1]);

	if (req->ssv) {
		if (!cdmax || req->ssid >= (1u << cdmax))
			return SIOMMU_SMMUV3_C_BAD_SUBSTREAMID;
		if (dss == S1DSS_SSID0 && req->ssid == 0)
			return SIOMMU_SMMUV3_F_STREAM_DISABLED;
		*idx = req->ssid;
		return 0;
	}
	if (!cdmax || dss == S1DSS_SSID0) {
		*idx = 0;
		return 0;
	}
	if (dss == S1DSS_BYPASS)
		return 1;
	return SIOMMU_SMMUV3_F_STREAM_DISABLED;
}

/* ---- smmuv3.c ------------------------------------------------------------ */

/* A fault's event record for @req; recorded if the rules allow it
 * (takes q_lock). Stalls when f->stall and a tag is free: *stag set,
 * returns 1. Returns 0 otherwise; *recorded says if a record was written. */
int smmu_event_fault(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
		     const struct smmu_fault *f, bool *recorded, uint16_t *stag,
		     unsigned int *msi);
void smmu_msi_deliver(struct siommu_smmuv3 *s, unsigned int msi);
/* Send an MSI for @irq: the memory write if @addr is RAM, and the
 * callback; nothing at all if @addr is 0. */
void smmu_msi_send(struct siommu_smmuv3 *s, enum siommu_smmuv3_irq irq,
		   uint64_t addr, uint32_t data);
/* Activate GERROR bits (q_lock held). */
void smmu_gerror_raise(struct siommu_smmuv3 *s, uint32_t bits, unsigned int *msi);
/* End stalls: of @sid with @stag, or all of @sid (all). Calls stall_end. */
void smmu_stall_end(struct siommu_smmuv3 *s, uint32_t sid, bool all, uint16_t stag,
		    bool retry);

void smmu_dev_atc_inv(struct siommu_smmuv3 *s, const struct siommu_smmuv3_atc_inv *inv);
void smmu_dev_pri_resp(struct siommu_smmuv3 *s, const struct siommu_smmuv3_pri_resp *r);

/* Queue helpers: entries, index and wrap of a pointer. */
static inline uint32_t q_log2(const struct smmu_queue *q)
{
	uint32_t l = (uint32_t)(q->base & 0x1f);

	return l > q->max_log2 ? q->max_log2 : l;
}

static inline uint32_t q_idx(const struct smmu_queue *q, uint32_t p)
{
	return p & ((1u << q_log2(q)) - 1);
}

static inline uint32_t q_wrap(const struct smmu_queue *q, uint32_t p)
{
	return (p >> q_log2(q)) & 1;
}

/* Index and wrap bits of a pointer. */
static inline uint32_t q_ptr_mask(const struct smmu_queue *q)
{
	return (2u << q_log2(q)) - 1;
}

static inline bool q_empty(const struct smmu_queue *q)
{
	return ((q->prod ^ q->cons) & q_ptr_mask(q)) == 0;
}

static inline bool q_full(const struct smmu_queue *q)
{
	return q_idx(q, q->prod) == q_idx(q, q->cons) &&
	       q_wrap(q, q->prod) != q_wrap(q, q->cons);
}

static inline uint32_t q_inc(const struct smmu_queue *q, uint32_t p)
{
	uint32_t m = q_ptr_mask(q);

	return (p & ~m) | ((p + 1) & m);
}

static inline uint64_t q_addr(const struct smmu_queue *q)
{
	return q->base & GENMASK64(51, 5);
}

/* ---- cmdq.c ---------------------------------------------------------------- */

/* Consume commands from CONS to PROD unless another thread is doing so
 * (cmdq_busy); called with lock held, which it drops around callbacks:
 * call it only at the end of a register write, with no state of the
 * write's kept across it. */
void smmu_cmdq_process(struct siommu_smmuv3 *s, unsigned int *msi);

#endif
