/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 caches: the STE cache, the CD cache and the TLB (SMMUv3 3.17,
 * 16.2), and the counters. The slot protocol and the stale-fill rule are
 * described at struct cfg_slot in smmuv3_internal.h.
 *
 * Only what a walk validated is cached: an invalid STE or CD, or a missing
 * translation, is fetched again by the next transaction (SMMUv3 16.2: the
 * SMMU does not cache configuration or translations that fault).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/smmuv3/smmuv3_internal.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* ---- counters ------------------------------------------------------------ */

void SIOMMU_EXPORT siommu_smmuv3_get_stats(struct siommu_smmuv3 *s,
					   struct siommu_smmuv3_stats *st)
{
	uint64_t sum[ST_NR];

	hw_count_sum(s->stats, sizeof(s->stats[0]), ST_NR, sum);
	memset(st, 0, sizeof(*st));
	/* A combined hit is what the three caches would have counted. */
	sum[ST_TLB_HIT] += sum[ST_XC_HIT_S1] + sum[ST_XC_HIT_S2];
	sum[ST_STE_HIT] += sum[ST_XC_HIT_S1] + sum[ST_XC_HIT_S2];
	sum[ST_CD_HIT] += sum[ST_XC_HIT_S1];
	st->tlb_hit = sum[ST_TLB_HIT];
	st->tlb_miss = sum[ST_TLB_MISS];
	st->walks = sum[ST_WALK];
	st->ste_hit = sum[ST_STE_HIT];
	st->ste_miss = sum[ST_STE_MISS];
	st->cd_hit = sum[ST_CD_HIT];
	st->cd_miss = sum[ST_CD_MISS];
	st->faults = sum[ST_FAULT];
	st->events = sum[ST_EVENT];
	st->events_lost = sum[ST_EVENT_LOST];
	st->commands = sum[ST_CMD];
	st->tlb_inv_entries = sum[ST_TLB_INV];
	st->syncs = sum[ST_SYNC];
	st->page_requests = sum[ST_PRI];
	st->stalls = sum[ST_STALL];
}

/* ---- slot writers ---------------------------------------------------------- */

/* A fill proceeds only if no invalidation started since @gen; a busy slot
 * is left alone (the fill is an optimisation). */
static bool fill_begin(struct siommu_smmuv3 *s, uint32_t *seq, uint64_t gen,
		       uint32_t *held)
{
	if (!slot_trylock(seq, held))
		return false;
	if (smmu_gen(s) != gen) {
		slot_unlock(seq, *held);
		return false;
	}
	return true;
}

void smmu_gen_bump(struct siommu_smmuv3 *s)
{
	xc_gen_bump(&s->xc, &s->inv_gen);
}

void smmu_gen_set(struct siommu_smmuv3 *s, uint64_t gen)
{
	__atomic_store_n(&s->inv_gen, gen, __ATOMIC_SEQ_CST);
}

/* ---- configuration caches ---------------------------------------------------- */

void smmu_fill_hook_set(struct siommu_smmuv3 *s, smmu_fill_hook_fn *fn, void *opaque)
{
	WRITE_ONCE(s->fill_hook_opaque, opaque);
	WRITE_ONCE(s->fill_hook, fn);
}

/* Fill the slot of @key with @size bytes of decoded configuration; the
 * words past them are zero, so that no slot holds indeterminate bytes. */
static void cfg_fill(struct siommu_smmuv3 *s, struct cfg_slot *base, unsigned int n,
		     uint64_t gen, uint64_t key, const void *src, size_t size)
{
	struct cfg_slot *c = cfg_slot(base, n, key);
	uint64_t w[CFG_WORDS] = { 0 };
	uint32_t held;
	unsigned int i;

	memcpy(w, src, size);
	smmu_fill_hook(s, base == s->ste ? SMMU_CACHE_STE : SMMU_CACHE_CD);
	if (!fill_begin(s, &c->seq, gen, &held))
		return;
	ST(c->key, key);
	for (i = 0; i < CFG_WORDS; i++)
		ST(c->w[i], w[i]);
	slot_unlock(&c->seq, held);
}

void smmu_ste_fill(struct siommu_smmuv3 *s, uint64_t gen, uint32_t sid,
		   const struct ste_cfg *st)
{
	cfg_fill(s, s->ste, STE_SLOTS, gen, STE_KEY(sid), st, sizeof(*st));
}

void smmu_cd_fill(struct siommu_smmuv3 *s, uint64_t gen, uint32_t sid, uint32_t idx,
		  const struct s1_cfg *c1)
{
	cfg_fill(s, s->cd, CD_SLOTS, gen, CD_KEY(sid, idx), c1, sizeof(*c1));
}

/*
 * Remove the slot at @slot (a sequence count at offset 0, the key at
 * @key_off) if it is valid and @covers accepts it; returns 1 if it did.
 * The slot is taken only when a stable look at it says it must go, or
 * when it is being written (the writer may be filling what this
 * invalidation removes).
 */
static inline_hot unsigned int slot_inv(char *slot, size_t key_off,
					bool (*covers)(const void *slot, uint64_t key,
						       const void *arg),
					const void *arg)
{
	uint32_t *seq_p = (uint32_t *)slot, held, seq;
	uint64_t *key_p = (uint64_t *)(slot + key_off), key;
	unsigned int removed = 0;

	seq = __atomic_load_n(seq_p, __ATOMIC_SEQ_CST);
	if (!(seq & 1)) {
		key = LD(*key_p);
		if (!(key & CFG_KEY_VALID))
			return 0;
		if (!covers(slot, key, arg) && !slot_read_retry(seq_p, seq))
			return 0;
	}
	held = slot_lock(seq_p);
	key = LD(*key_p);
	if ((key & CFG_KEY_VALID) && covers(slot, key, arg)) {
		ST(*key_p, 0);
		removed = 1;
	}
	slot_unlock(seq_p, held);
	return removed;
}

/*
 * Remove from @n slots of @size bytes at @base every valid one @covers
 * accepts (slot_inv()), between two moves of the generation: fills that
 * sampled an older one give up, and combined entries filled during the
 * scan from what it had yet to remove carry the generation of its start,
 * which the second move ends.
 */
static uint64_t slots_inv(struct siommu_smmuv3 *s, void *base, size_t size, size_t n,
			  size_t key_off,
			  bool (*covers)(const void *slot, uint64_t key, const void *arg),
			  const void *arg)
{
	uint64_t removed = 0;
	size_t i;

	smmu_gen_bump(s);
	for (i = 0; i < n; i++)
		removed += slot_inv((char *)base + i * size, key_off, covers, arg);
	smmu_gen_bump(s);
	return removed;
}

_Static_assert(CFG_KEY_VALID == TLB_KEY_VALID, "one valid bit for both kinds of slot");

struct sid_range {
	uint32_t first, last;
};

static bool ste_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct sid_range *r = arg;
	uint32_t sid = (uint32_t)key;

	(void)slot;
	return sid >= r->first && sid <= r->last;
}

static bool cd_sid_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct sid_range *r = arg;
	uint32_t sid = CD_KEY_SID(key);

	(void)slot;
	return sid >= r->first && sid <= r->last;
}

/* CMD_CFGI_STE and _RANGE: the STEs, and the CDs found through them
 * (their table pointer may have changed). */
void smmu_ste_inv(struct siommu_smmuv3 *s, uint32_t first, uint32_t last)
{
	struct sid_range r = { first, last };

	slots_inv(s, s->ste, sizeof(struct cfg_slot), STE_SLOTS,
		  offsetof(struct cfg_slot, key), ste_covers, &r);
	slots_inv(s, s->cd, sizeof(struct cfg_slot), CD_SLOTS,
		  offsetof(struct cfg_slot, key), cd_sid_covers, &r);
}

struct cd_match {
	uint32_t sid;
	bool all;
	uint32_t idx;
};

static bool cd_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct cd_match *m = arg;

	(void)slot;
	return CD_KEY_SID(key) == m->sid && (m->all || CD_KEY_IDX(key) == m->idx);
}

void smmu_cd_inv(struct siommu_smmuv3 *s, uint32_t sid, bool all, uint32_t idx)
{
	struct cd_match m = { sid, all, idx };

	slots_inv(s, s->cd, sizeof(struct cfg_slot), CD_SLOTS,
		  offsetof(struct cfg_slot, key), cd_covers, &m);
}

/* ---- TLB ------------------------------------------------------------------ */

/* The way of the TLB set of (@key, @page) a fill writes: the same tag,
 * else an empty way, else one by page. */
static struct tlb_slot *tlb_way(struct siommu_smmuv3 *s, uint64_t key, uint64_t page)
{
	struct tlb_slot *set = tlb_set(s, key, page), *t = NULL;
	unsigned int w;

	for (w = 0; w < s->tlb_ways; w++) {
		uint64_t k = LD(set[w].key);

		if (k == key && LD(set[w].page) == page)
			return &set[w];
		if (!t && !(k & TLB_KEY_VALID))
			t = &set[w];
	}
	return t ? t : &set[(page >> 12) % s->tlb_ways];
}

/* The way of the combined cache set of (@key, @page) a fill under @gen
 * writes: the same tag, else a way not of this generation, else one by
 * page. */
/* Announce that TLB entries of @level may exist, before a fill re-checks
 * the generation: an invalidation that moves it after this sees the bit. */
static void tlb_level_announce(struct siommu_smmuv3 *s, unsigned int level)
{
	if (!(READ_ONCE(s->tlb_levels) & (1u << level)))
		__atomic_fetch_or(&s->tlb_levels, 1u << level, __ATOMIC_SEQ_CST);
}

static void tlb_write(struct tlb_slot *t, uint64_t key, uint64_t page, uint64_t out)
{
	ST(t->key, key);
	ST(t->page, page);
	ST(t->out, out);
}

void smmu_tlb_fill(struct siommu_smmuv3 *s, uint64_t gen, unsigned int kind,
		   unsigned int level, uint16_t asid, uint16_t vmid, uint64_t page,
		   uint64_t out)
{
	uint64_t key = TLB_KEY(kind, level, asid, vmid);
	struct tlb_slot *t = tlb_way(s, key, page);
	uint32_t held;

	smmu_fill_hook(s, SMMU_CACHE_TLB);
	tlb_level_announce(s, level);
	if (!fill_begin(s, &t->seq, gen, &held))
		return;
	tlb_write(t, key, page, out);
	slot_unlock(&t->seq, held);
}

/* ---- combined cache ----------------------------------------------------- */

/* Never with SMMUEN clear: clearing it moves the generation after
 * publishing it, and a translation samples the generation before it tests
 * SMMUEN (xlate_walk()), so a fill either saw SMMUEN clear and made
 * nothing, or carries a generation the move ends. */
void smmu_xc_fill(struct siommu_smmuv3 *s, uint64_t gen, uint64_t key, uint64_t page,
		  uint64_t out)
{
	smmu_fill_hook(s, SMMU_CACHE_XC);
	xc_fill(&s->xc, &s->inv_gen, gen, key, page, out);
}
static bool tlb_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct tlb_slot *t = slot;
	const struct tlb_match *m = arg;
	unsigned int kind = TLB_KEY_KIND(key);
	uint64_t page, last;

	if (m->all)
		return true;
	/* Stage-1 commands reach stage-1 and combined (nested) entries;
	 * stage-2 ones only stage-2 entries: CMD_TLBI_S2_IPA leaves combined
	 * entries, as hardware may (SMMUv3 4.4.4), so software follows it with
	 * CMD_TLBI_NH_ALL or CMD_TLBI_S12_VMALL (which sets both). */
	if (!((m->s1 && (kind == TLB_S1 || kind == TLB_NEST)) ||
	      (m->s2 && kind == TLB_S2)))
		return false;
	if (m->match_vmid && TLB_KEY_VMID(key) != m->vmid)
		return false;
	if (m->match_asid && kind != TLB_S2 && TLB_KEY_ASID(key) != m->asid)
		return false;
	if (!m->match_range)
		return true;
	page = LD(t->page);
	last = page + (level_size(TLB_KEY_LEVEL(key)) - 1);
	return page <= m->last && last >= m->first;
}

/* At most this many 4K pages are invalidated set by set; a wider range
 * scans the whole TLB. */
#define TLB_INV_SET_PAGES 16

/*
 * A stage-1 invalidation by ASID and address range of a few pages
 * (CMD_TLBI_NH_VA): an entry it removes has a known tag, so it lies in
 * the set of its tag and level-aligned page (tlb_set()), as does a fill
 * of it in progress; those sets are all it looks at. Fills after the
 * first move of the generation fail, as for the whole scan.
 */
static bool tlb_inv_by_set(const struct tlb_match *m)
{
	return !m->all && m->s1 && !m->s2 && m->match_asid && m->match_range &&
	       m->last >= m->first &&
	       m->last - m->first < (uint64_t)TLB_INV_SET_PAGES * SIOMMU_SZ_4K;
}

static uint64_t tlb_inv_sets(struct siommu_smmuv3 *s, const struct tlb_match *m)
{
	static const unsigned int kinds[] = { TLB_S1, TLB_NEST };
	uint16_t vmid = m->match_vmid ? m->vmid : 0;	/* 0 without stage 2 */
	uint32_t levels = __atomic_load_n(&s->tlb_levels, __ATOMIC_SEQ_CST);
	uint64_t removed = 0, page;
	unsigned int k, level, w;

	for (k = 0; k < 2; k++) {
		for (level = 0; level < 3; level++) {
			uint64_t mask = level_size(level) - 1;
			uint64_t key = TLB_KEY(kinds[k], level, m->asid, vmid);

			if (!(levels & (1u << level)))
				continue;
			for (page = m->first & ~mask;; page += mask + 1) {
				struct tlb_slot *t = tlb_set(s, key, page);

				for (w = 0; w < s->tlb_ways; w++)
					removed += slot_inv((char *)&t[w],
							    offsetof(struct tlb_slot, key),
							    tlb_covers, m);
				if ((m->last & ~mask) <= page)
					break;
			}
		}
	}
	return removed;
}

uint64_t smmu_tlb_inv(struct siommu_smmuv3 *s, const struct tlb_match *m)
{
	uint64_t n;

	if (tlb_inv_by_set(m)) {
		smmu_gen_bump(s);
		n = tlb_inv_sets(s, m);
		smmu_gen_bump(s);
	} else {
		n = slots_inv(s, s->tlb, sizeof(struct tlb_slot),
			      (size_t)(s->tlb_set_mask + 1) * s->tlb_ways,
			      offsetof(struct tlb_slot, key), tlb_covers, m);
	}
	smmu_stat_add(s, ST_TLB_INV, n);
	return n;
}

int smmu_caches_init(struct siommu_smmuv3 *s)
{
	size_t n = (size_t)s->cfg.tlb_sets * s->cfg.tlb_ways;

	s->tlb_ways = s->cfg.tlb_ways;
	s->tlb_set_mask = s->cfg.tlb_sets - 1;
	/* Each allocation is a fallible step of siommu_smmuv3_create(). */
	s->tlb = mem_should_fail(s->mem) ? NULL :
		 aligned_alloc(64, (n * sizeof(struct tlb_slot) + 63) & ~(size_t)63);
	if (!s->tlb)
		return -ENOMEM;
	if (xc_init(&s->xc, s->mem, s->cfg.tlb_sets, s->tlb_ways)) {
		smmu_caches_fini(s);
		return -ENOMEM;
	}
	s->ste = mem_should_fail(s->mem) ? NULL :
		 aligned_alloc(64, STE_SLOTS * sizeof(struct cfg_slot));
	s->cd = !s->ste || mem_should_fail(s->mem) ? NULL :
		aligned_alloc(64, CD_SLOTS * sizeof(struct cfg_slot));
	if (!s->cd) {
		smmu_caches_fini(s);
		return -ENOMEM;
	}
	memset(s->tlb, 0, n * sizeof(struct tlb_slot));
	memset(s->ste, 0, STE_SLOTS * sizeof(struct cfg_slot));
	memset(s->cd, 0, CD_SLOTS * sizeof(struct cfg_slot));
	return 0;
}

void smmu_caches_fini(struct siommu_smmuv3 *s)
{
	free(s->tlb);
	xc_fini(&s->xc);
	free(s->ste);
	free(s->cd);
	s->tlb = NULL;
	s->ste = NULL;
	s->cd = NULL;
}
