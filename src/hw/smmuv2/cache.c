/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 caches: the TLB (SMMUv2 2.5), the combined cache in front of it,
 * and the counters. The slot protocol is hw/common/slot.h's; the stale-fill
 * rule is described at struct tlb_slot in smmuv2_internal.h.
 *
 * Only successful translations are cached: a fault is walked again by the
 * next transaction (the architecture caches no faulting translation).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/smmuv2/smmuv2_internal.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

void SIOMMU_EXPORT siommu_smmuv2_get_stats(struct siommu_smmuv2 *s,
					   struct siommu_smmuv2_stats *st)
{
	uint64_t sum[ST_NR];

	hw_count_sum(s->stats, sizeof(s->stats[0]), ST_NR, sum);
	memset(st, 0, sizeof(*st));
	/* A combined hit stands for the TLB hit (or bypass) it remembers. */
	st->tlb_hit = sum[ST_TLB_HIT] + sum[ST_XC_HIT];
	st->tlb_miss = sum[ST_TLB_MISS];
	st->walks = sum[ST_TLB_MISS];
	st->faults = sum[ST_FAULT];
	st->context_faults = sum[ST_CFAULT];
	st->global_faults = sum[ST_GFAULT];
	st->tlb_inv_entries = sum[ST_TLB_INV];
	st->tlb_ops = sum[ST_TLB_OP];
	st->syncs = sum[ST_SYNC];
	st->stalls = sum[ST_STALL];
}

void v2_fill_hook_set(struct siommu_smmuv2 *s, v2_fill_hook_fn *fn, void *opaque)
{
	WRITE_ONCE(s->fill_hook_opaque, opaque);
	WRITE_ONCE(s->fill_hook, fn);
}

static void fill_hook(struct siommu_smmuv2 *s, enum v2_cache cache)
{
	v2_fill_hook_fn *fn = READ_ONCE(s->fill_hook);

	if (unlikely(fn))
		fn(READ_ONCE(s->fill_hook_opaque), cache);
}

/* A fill proceeds only if nothing moved the generation since @gen; a busy
 * slot is left alone. */
static bool fill_begin(struct siommu_smmuv2 *s, uint32_t *seq, uint64_t gen, uint32_t *held)
{
	if (!slot_trylock(seq, held))
		return false;
	if (v2_gen(s) != gen) {
		slot_unlock(seq, *held);
		return false;
	}
	return true;
}

void v2_gen_bump(struct siommu_smmuv2 *s)
{
	xc_gen_bump(&s->xc, &s->inv_gen);
}

void v2_gen_set(struct siommu_smmuv2 *s, uint64_t gen)
{
	__atomic_store_n(&s->inv_gen, gen, __ATOMIC_SEQ_CST);
}

void v2_tlb_fill(struct siommu_smmuv2 *s, uint64_t gen, unsigned int kind,
		 unsigned int level, uint16_t asid, uint16_t vmid, bool global, uint64_t page,
		 uint64_t out)
{
	uint64_t key = global ? TLB_KEY(kind, level, 0, vmid) | TLB_KEY_G :
				TLB_KEY(kind, level, asid, vmid);
	uint32_t bit = 1u << (level + (global ? TLB_LEVELS_G : 0));
	struct tlb_slot *set = tlb_set(s, key, page), *t = NULL;
	unsigned int w;
	uint32_t held;

	/* The same tag in the set, else an empty way, else one by page. */
	for (w = 0; w < s->tlb_ways; w++) {
		uint64_t k = LD(set[w].key);

		if (k == key && LD(set[w].page) == page) {
			t = &set[w];
			break;
		}
		if (!t && !(k & KEY_VALID))
			t = &set[w];
	}
	if (!t)
		t = &set[(page >> 12) % s->tlb_ways];
	/* Announce the level before the fill re-checks the generation: an
	 * operation that moves it after this sees the bit. */
	fill_hook(s, V2_CACHE_TLB);
	if (!(READ_ONCE(s->tlb_levels) & bit))
		__atomic_fetch_or(&s->tlb_levels, bit, __ATOMIC_SEQ_CST);
	if (!fill_begin(s, &t->seq, gen, &held))
		return;
	ST(t->key, key);
	ST(t->page, page);
	ST(t->out, out);
	slot_unlock(&t->seq, held);
}

void v2_xc_fill(struct siommu_smmuv2 *s, uint64_t gen, uint32_t sid, uint64_t page,
		uint64_t out)
{
	fill_hook(s, V2_CACHE_XC);
	xc_fill(&s->xc, &s->inv_gen, gen, V2_XC_KEY(sid), page, out);
}

static bool tlb_covers(const struct tlb_slot *t, uint64_t key, const struct tlb_match *m)
{
	unsigned int kind = TLB_KEY_KIND(key);
	uint64_t first, last, va_mask;

	if (m->all)
		return true;
	if (!((m->s1 && kind == TLB_S1) || (m->s2 && kind == TLB_S2)))
		return false;
	if (m->match_vmid && TLB_KEY_VMID(key) != m->vmid)
		return false;
	/* Global entries: any operation by VA removes them, TLBIASID not. */
	if (m->match_asid &&
	    ((key & TLB_KEY_G) ? !m->match_va : TLB_KEY_ASID(key) != m->asid))
		return false;
	if (!m->match_va)
		return true;
	/* Stage-1 operations carry VA[55:12], stage-2 ones IPA[47:12]. */
	va_mask = kind == TLB_S1 ? GENMASK64(55, 0) : GENMASK64(47, 0);
	first = LD(t->page) & va_mask;
	last = first + (level_size(TLB_KEY_LEVEL(key)) - 1);
	return m->va >= first && m->va <= last;
}

/*
 * Remove every entry @m covers. A slot is taken only when a stable look
 * says it must go, or when it is being written (the writer may be filling
 * what this removes). The generation moves before the scan (fills that
 * began earlier give up) and after it (combined entries made during the
 * scan from what it had yet to remove end).
 */
uint64_t v2_tlb_inv(struct siommu_smmuv2 *s, const struct tlb_match *m)
{
	size_t i, n = (size_t)(s->tlb_set_mask + 1) * s->tlb_ways;
	uint64_t removed = 0;

	v2_gen_bump(s);
	for (i = 0; i < n; i++) {
		struct tlb_slot *t = &s->tlb[i];
		uint32_t held, seq = __atomic_load_n(&t->seq, __ATOMIC_SEQ_CST);
		uint64_t key;

		if (!(seq & 1)) {
			key = LD(t->key);
			if (!(key & KEY_VALID))
				continue;
			if (!tlb_covers(t, key, m) && !slot_read_retry(&t->seq, seq))
				continue;
		}
		held = slot_lock(&t->seq);
		key = LD(t->key);
		if ((key & KEY_VALID) && tlb_covers(t, key, m)) {
			ST(t->key, 0);
			removed++;
		}
		slot_unlock(&t->seq, held);
	}
	v2_gen_bump(s);
	v2_stat_add(s, ST_TLB_INV, removed);
	return removed;
}

int v2_caches_init(struct siommu_smmuv2 *s)
{
	size_t n = (size_t)s->cfg.tlb_sets * s->cfg.tlb_ways;

	s->tlb_ways = s->cfg.tlb_ways;
	s->tlb_set_mask = s->cfg.tlb_sets - 1;
	/* Each allocation is a fallible step of siommu_smmuv2_create(). */
	s->tlb = mem_should_fail(s->mem) ? NULL :
		 aligned_alloc(64, (n * sizeof(struct tlb_slot) + 63) & ~(size_t)63);
	if (!s->tlb)
		return -ENOMEM;
	if (xc_init(&s->xc, s->mem, s->cfg.tlb_sets, s->tlb_ways)) {
		v2_caches_fini(s);
		return -ENOMEM;
	}
	memset(s->tlb, 0, n * sizeof(struct tlb_slot));
	return 0;
}

void v2_caches_fini(struct siommu_smmuv2 *s)
{
	free(s->tlb);
	xc_fini(&s->xc);
	s->tlb = NULL;
}
