/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 model internals.
 *
 * Files: smmuv2.c (instance, register file, TLB maintenance operations,
 * fault recording, stalls), cache.c (TLB, combined cache, counters),
 * xlate.c (stream matching, VMSAv8-64 walks, transactions, DMA, access).
 */
#ifndef SIOMMU_HW_SMMUV2_INTERNAL_H
#define SIOMMU_HW_SMMUV2_INTERNAL_H

#include <pthread.h>
#include <siommu/smmuv2.h>
#include "mem/mem_internal.h"
#include "util/compiler.h"
#include "util/rcu.h"
#include "hw/common/slot.h"
#include "hw/common/stats.h"
#include "hw/common/xc.h"
#include "hw/smmuv2/hook.h"

#define BIT64(n) (1ull << (n))
#define GENMASK64(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))
#define FIELD(w, h, l) (((w) >> (l)) & (~0ull >> (63 - (h) + (l))))

/* ---- Register fields (SMMUv2 chapter 9, 10) ------------------------------ */

#define SCR0_BITS	0x803ffff7u	/* implemented sCR0 fields (no EXIDENABLE) */
#define SMR_ID(v)	((v) & 0x7fffu)
#define SMR_MASK(v)	(((v) >> 16) & 0x7fffu)
#define S2CR_CBNDX(v)	((v) & 0xffu)
#define S2CR_TYPE(v)	(((v) >> 16) & 3u)
#define S2CR_PRIVCFG(v)	(((v) >> 24) & 3u)
#define S2CR_INSTCFG(v)	(((v) >> 26) & 3u)
#define S2CR_BITS	0x0f0f00ffu	/* INSTCFG, PRIVCFG, TYPE, CBNDX */
#define CBAR_VMID(v)	((v) & 0xffu)
#define CBAR_TYPE(v)	(((v) >> 16) & 3u)
#define CBAR_BITS	0xff0fffffu	/* IRPTNDX, TYPE, attributes, VMID */
#define CBA2R_VMID16(v)	((uint16_t)((v) >> 16))
#define CBA2R_BITS	0xffff0001u
enum { S2CR_TRANS = 0, S2CR_BYPASS = 1, S2CR_FAULT = 2 };
enum { CBAR_S2 = 0, CBAR_S1_BYPASS = 1 };

#define SCTLR_BITS	0x000011f7u	/* M TRE AFE E CFRE CFIE CFCFG HUPCF ASIDPNE */
#define TCR_T0SZ(v)	((v) & 0x3fu)
#define TCR_T1SZ(v)	(((v) >> 16) & 0x3fu)
#define VTCR_SL0(v)	(((v) >> 6) & 3u)
#define VTCR_PS(v)	(((v) >> 16) & 7u)
#define TCR2_PASIZE(v)	((v) & 7u)
#define TCR2_TBI0	(1u << 5)
#define TCR2_TBI1	(1u << 6)
#define TCR2_BITS	0xc003f677u
#define TTBR_ADDR	GENMASK64(47, 4)
#define TTBR_ASID(v)	((uint16_t)((v) >> 48))

/* VMSAv8-64 descriptors, 4K granule (Arm ARM D8.3). */
#define PTE_VALID	BIT64(0)
#define PTE_TABLE	BIT64(1)	/* table, or page at level 3 */
#define PTE_AP1		BIT64(6)	/* stage 1: EL0 access; S2AP read */
#define PTE_AP2		BIT64(7)	/* stage 1: read-only; S2AP write */
#define PTE_AF		BIT64(10)
#define PTE_NG		BIT64(11)	/* stage 1: not global, tagged by ASID */
#define PTE_PXN		BIT64(53)
#define PTE_UXN		BIT64(54)	/* stage 2: XN */
#define PTE_OA		GENMASK64(47, 12)
#define PTE_OA_HI	GENMASK64(51, 48)
#define PTE_PXNTABLE	BIT64(59)
#define PTE_XNTABLE	BIT64(60)
#define PTE_APTABLE0	BIT64(61)
#define PTE_APTABLE1	BIT64(62)

#define ACC_ALL (SIOMMU_SMMUV2_READ | SIOMMU_SMMUV2_WRITE | SIOMMU_SMMUV2_EXEC)
/* Permissions as cached: unprivileged in 2:0, privileged in 5:3. */
#define PERM_PRIV_SHIFT	3
#define PERM_ALL	0x3fu

/* ---- What a stream leads to ---------------------------------------------- */

enum v2_path { PATH_BYPASS, PATH_GFAULT, PATH_S1, PATH_S2 };

/* A consistent copy of the registers a transaction of one stream uses. */
struct v2_cfg {
	enum v2_path path;
	uint32_t gfsr;		/* PATH_GFAULT: the sGFSR bit */
	uint32_t scr0;
	uint32_t privcfg;	/* S2CR.PRIVCFG of the matching group, 0 else */
	uint32_t instcfg;	/* S2CR.INSTCFG of the matching group, 0 else */
	unsigned int cb;
	uint32_t sctlr, tcr, tcr2;
	uint64_t ttbr0, ttbr1;
	uint16_t vmid, asid;
};

/* Why a transaction did not translate. */
struct v2_fault {
	bool global;
	uint32_t bit;		/* FSR or sGFSR bit; 0: the output is not RAM */
	unsigned int level;	/* lookup level (FSYNR0.PLVL) */
	bool s2;		/* a stage-2 fault: IPAFAR holds the IPA */
	uint64_t ipa;
};

/* ---- Caches --------------------------------------------------------------- */

/*
 * TLB entry, tagged by kind, level, ASID and VMID (SMMUv2 2.5: not by
 * stream or bank). A stage-1 leaf with nG clear is global (Arm ARM D8.10):
 * its entry carries TLB_KEY_G instead of an ASID, matches every ASID, is
 * removed by an operation by VA whatever its ASID, and not by TLBIASID.
 * Slots follow hw/common/slot.h. level: 0 = 4K, 1 = 2M, 2 = 1G; entries
 * live at their level-aligned input address.
 *
 * Stale fills: a translation samples s->inv_gen before it reads any
 * register or table; a fill takes its slot, then re-checks inv_gen and
 * gives up if it moved. TLB maintenance and configuration writes move it
 * (maintenance before and after its scan), so nothing read before them is
 * cached after them.
 */
struct tlb_slot {
	uint32_t seq;
	uint32_t pad;
	uint64_t key;
	uint64_t page;
	uint64_t out;		/* output page base | PERM_ALL */
};
enum { TLB_S1 = 1, TLB_S2 = 2 };
#define KEY_VALID		BIT64(63)
#define TLB_KEY_G		BIT64(32)
#define TLB_KEY(kind, level, asid, vmid) \
	(KEY_VALID | ((uint64_t)(kind) << 40) | ((uint64_t)(level) << 36) | \
	 ((uint64_t)(asid) << 16) | (uint64_t)(vmid))
/* tlb_levels: bit L for entries of level L, bit TLB_LEVELS_G + L for
 * global ones. */
#define TLB_LEVELS_G		4
#define TLB_KEY_KIND(k)		((unsigned int)((k) >> 40) & 3)
#define TLB_KEY_LEVEL(k)	((unsigned int)((k) >> 36) & 3)
#define TLB_KEY_ASID(k)		((uint16_t)((k) >> 16))
#define TLB_KEY_VMID(k)		((uint16_t)(k))
#define OUT_MASK		GENMASK64(11, 0)

/* The combined cache (hw/common/xc.h), keyed by XC_KEY_VALID | StreamID:
 * the whole answer for one stream and 4K input page (stream matching, the
 * bank, the TLB entry or a bypass), with the permissions as S2CR.PRIVCFG
 * makes the stream's requests meet them. It outlives no register write
 * that changes the configuration and no TLB maintenance (both move
 * inv_gen); the TLB behind it keeps what the architecture lets it keep. */
#define V2_XC_KEY(sid)		(XC_KEY_VALID | (uint64_t)(sid))

enum v2_stat {
	ST_TLB_HIT,
	ST_TLB_MISS,
	ST_FAULT,
	ST_CFAULT,
	ST_GFAULT,
	ST_TLB_INV,
	ST_TLB_OP,
	ST_SYNC,
	ST_STALL,
	ST_XC_HIT,
	ST_NR
};

struct v2_stripe {
	uint64_t c[ST_NR];
} __attribute__((aligned(64)));

/* A context bank's translation registers (lock to write, cfg_seq to read). */
struct v2_bank {
	uint32_t sctlr, actlr, tcr, tcr2, contextidr, mair0, mair1;
	uint64_t ttbr0, ttbr1;
};

/* A context bank's fault registers and held transactions (flock). */
struct v2_bank_fault {
	uint32_t fsr, fsynr0, fsynr1, frsynra;
	uint64_t far, ipafar;
	unsigned int held;	/* stalled transactions waiting for RESUME */
};

/*
 * The unit.
 *
 * Locks, in the order taken: lock -> flock.
 *  - lock: register writes and reads, TLB maintenance, TLBSYNC's grace
 *    period.
 *  - flock: the fault registers (sGFSR..sGFSYNR2, each bank's FSR, FAR,
 *    FSYNRn, IPAFAR, CBFRSYNRA) and held counts. Translation threads take
 *    it only to record a fault, never inside a read-side section (TLBSYNC
 *    waits for those with lock held, and lock comes before flock).
 * Lock-free: the configuration registers (scr0, smr, s2cr, cbar, cba2r,
 * banks), written under lock inside cfg_seq's odd window and read by
 * translations through it (hw/common/slot.h's protocol); the caches,
 * inv_gen, the counters.
 */
struct siommu_smmuv2 {
	struct siommu_mem *mem;
	struct siommu_smmuv2_cfg cfg;
	uint32_t idr[3];
	uint64_t oa_mask;

	/* read by every translation */
	uint32_t tlb_levels;		/* bit L: entries of level L may exist */
	unsigned int tlb_ways;
	uint32_t tlb_set_mask;
	struct tlb_slot *tlb;
	struct xc xc;			/* the TLB's sets */
	v2_fill_hook_fn *fill_hook;	/* see v2_fill_hook_set() */
	void *fill_hook_opaque;
	uint64_t inv_gen __attribute__((aligned(64)));
	struct v2_stripe stats[HW_STRIPES];

	/* configuration */
	uint32_t cfg_seq __attribute__((aligned(64)));
	uint32_t scr0, sacr;
	uint32_t smr_end;		/* 1 + the highest valid SMR, 0 if none */
	uint32_t *smr, *s2cr, *cbar, *cba2r;	/* num_smrg, num_cb entries */
	struct v2_bank *banks;

	const struct siommu_smmuv2_ops *ops;
	void *ops_opaque;

	pthread_mutex_t lock __attribute__((aligned(64)));

	pthread_mutex_t flock;
	uint32_t gfsr, gfsynr0, gfsynr1, gfsynr2;
	uint64_t gfar;
	struct v2_bank_fault *bfault;

	struct rcu_domain rcu __attribute__((aligned(64)));
	struct mem_rcu_user mem_user;
};

static inline_hot void v2_read_lock(struct siommu_smmuv2 *s)
{
	rcu_read_lock(&s->rcu);
}

static inline_hot void v2_read_unlock(struct siommu_smmuv2 *s)
{
	rcu_read_unlock(&s->rcu);
}

static inline_hot uint64_t hash64(uint64_t x)
{
	return x * 0x9e3779b97f4a7c15ull;
}

static inline_hot uint64_t v2_gen(struct siommu_smmuv2 *s)
{
	return __atomic_load_n(&s->inv_gen, __ATOMIC_SEQ_CST);
}

/* ---- cache.c ------------------------------------------------------------- */

static inline_hot void v2_stat_add(struct siommu_smmuv2 *s, enum v2_stat st, uint64_t n)
{
	hw_count_add(&s->stats[hw_stripe()].c[st], n);
}

static inline_hot void v2_stat_inc(struct siommu_smmuv2 *s, enum v2_stat st)
{
	v2_stat_add(s, st, 1);
}

static inline_hot struct tlb_slot *tlb_set(struct siommu_smmuv2 *s, uint64_t key,
					   uint64_t page)
{
	uint64_t h = hash64(key ^ (page >> 12) ^ (page >> 40));

	return &s->tlb[((h >> 40) & s->tlb_set_mask) * s->tlb_ways];
}

/* The entry of @key at @page, lock-free: true with *out. */
static inline_hot bool tlb_probe(struct siommu_smmuv2 *s, uint64_t key, uint64_t page,
				 uint64_t *out)
{
	struct tlb_slot *t = tlb_set(s, key, page);
	unsigned int w;

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
		return true;
	}
	return false;
}

/* TLB lookup, lock-free: the level found (0..2) with *out, or -1. Global
 * stage-1 entries answer for every ASID. */
static inline_hot int v2_tlb_lookup(struct siommu_smmuv2 *s, unsigned int kind,
				    uint16_t asid, uint16_t vmid, uint64_t va, uint64_t *out)
{
	uint32_t levels = READ_ONCE(s->tlb_levels);
	unsigned int level;

	for (level = 0; level < 3; level++) {
		uint64_t page = va & ~(level_size(level) - 1);

		if ((levels & (1u << level)) &&
		    tlb_probe(s, TLB_KEY(kind, level, asid, vmid), page, out))
			return (int)level;
		if ((levels & (1u << (TLB_LEVELS_G + level))) && kind == TLB_S1 &&
		    tlb_probe(s, TLB_KEY(kind, level, 0, vmid) | TLB_KEY_G, page, out))
			return (int)level;
	}
	return -1;
}

/* Combined cache lookup, lock-free: true with *out if (@sid, @page) is
 * cached under the current generation. */
static inline_hot bool v2_xc_lookup(struct siommu_smmuv2 *s, uint32_t sid, uint64_t page,
				    uint64_t *out)
{
	return xc_lookup(&s->xc, &s->inv_gen, V2_XC_KEY(sid), page, out);
}

/* A new generation: fills that sampled an older one give up, combined
 * entries stop hitting. */
void v2_gen_bump(struct siommu_smmuv2 *s);
void v2_xc_fill(struct siommu_smmuv2 *s, uint64_t gen, uint32_t sid, uint64_t page,
		uint64_t out);
/* Fill (@kind, @level, @asid, @vmid, @page) with @out; @global: a
 * global stage-1 entry (its ASID ignored). */
void v2_tlb_fill(struct siommu_smmuv2 *s, uint64_t gen, unsigned int kind,
		 unsigned int level, uint16_t asid, uint16_t vmid, bool global, uint64_t page,
		 uint64_t out);

/* What a TLB maintenance operation removes (SMMUv2 2.5, 10.6). */
struct tlb_match {
	bool all;
	bool s1, s2;
	bool match_vmid, match_asid, match_va;
	uint16_t vmid, asid;
	uint64_t va;		/* VA[55:12] (stage 1) or IPA[47:12] (stage 2), page aligned */
};
uint64_t v2_tlb_inv(struct siommu_smmuv2 *s, const struct tlb_match *m);

int v2_caches_init(struct siommu_smmuv2 *s);
void v2_caches_fini(struct siommu_smmuv2 *s);

/* ---- xlate.c ---------------------------------------------------------------- */

/* The configuration stream @sid meets, copied consistently. */
void v2_cfg_read(struct siommu_smmuv2 *s, uint32_t sid, struct v2_cfg *c);

/* ---- smmuv2.c --------------------------------------------------------------- */

/*
 * Record fault @f of a transaction (@sid, @iova, @access, @priv) under
 * configuration @c, outside any read-side section; interrupts and the
 * result in *res (may be NULL). Returns -EAGAIN (stalled) or -EFAULT.
 */
int v2_fault_report(struct siommu_smmuv2 *s, const struct v2_cfg *c,
		    const struct siommu_smmuv2_req *req, uint64_t iova, uint32_t access,
		    const struct v2_fault *f, struct siommu_smmuv2_xlate *res);

#endif
