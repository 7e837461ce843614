/* SPDX-License-Identifier: MIT */
/*
 * VT-d caches: context cache, PASID cache and IOTLB (VT-d 6.5), and the
 * counters. The slot protocol and the stale-fill rule are described at
 * struct ctx_slot in vtd_internal.h.
 *
 * Only successful translations are cached, whatever CAP.CM says: caching
 * mode allows caching not-present entries but never requires it, and with
 * CM = 0 negative entries must not be cached (VT-d 6.1).
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hw/vtd/vtd_internal.h"

#define CTX_SLOTS 256
#define PASID_SLOTS 1024

/* ---- counters ---------------------------------------------------------- */

void vtd_stat_add(struct siommu_vtd *v, enum vtd_stat s, uint64_t n)
{
	vtd_stat_add_inline(v, s, n);
}

void SIOMMU_EXPORT siommu_vtd_get_stats(struct siommu_vtd *v,
					struct siommu_vtd_stats *st)
{
	uint64_t sum[ST_NR];

	hw_count_sum(v->stats, sizeof(v->stats[0]), ST_NR, sum);
	memset(st, 0, sizeof(*st));
	st->iotlb_hit = sum[ST_IOTLB_HIT];
	st->iotlb_miss = sum[ST_IOTLB_MISS];
	st->walks = sum[ST_WALK];
	st->faults = sum[ST_FAULT];
	st->faults_recorded = sum[ST_FAULT_REC];
	st->ctx_hit = sum[ST_CTX_HIT];
	st->ctx_miss = sum[ST_CTX_MISS];
	st->pasid_hit = sum[ST_PASID_HIT];
	st->pasid_miss = sum[ST_PASID_MISS];
	st->inv_descriptors = sum[ST_INV_DESC];
	st->iotlb_inv_entries = sum[ST_IOTLB_INV];
	st->waits = sum[ST_WAIT];
	st->page_requests = sum[ST_PRQ];
	st->psc_hit = sum[ST_PSC_HIT];
	st->psc_miss = sum[ST_PSC_MISS];
}

/* ---- slot writers -------------------------------------------------------- */

/* A fill may proceed only if no invalidation started since @gen. */
static bool fill_begin(struct siommu_vtd *v, uint32_t *seq, uint64_t gen,
		       uint32_t *held)
{
	if (!slot_trylock(seq, held))
		return false;
	if (vtd_gen(v) != gen) {
		slot_unlock(seq, *held);
		return false;
	}
	return true;
}

static void inv_begin(struct siommu_vtd *v)
{
	__atomic_fetch_add(&v->inv_gen, 1, __ATOMIC_SEQ_CST);
}

void vtd_fill_hook_set(struct siommu_vtd *v, vtd_fill_hook_fn *fn, void *opaque)
{
	WRITE_ONCE(v->fill_hook_opaque, opaque);
	WRITE_ONCE(v->fill_hook, fn);
}

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/*
 * Invalidation scans look before they take a slot: a slot whose count is
 * even and whose key is empty is skipped on two loads, since only a walk
 * that checks the generation inv_begin() bumped can fill it; one whose
 * stable snapshot holds nothing to remove is skipped too. Only slots being
 * written and slots to remove are taken. Returns false if the slot is
 * being written (take it); else *key and *seq are its snapshot, to be
 * confirmed with slot_read_retry() after reading any other word.
 */
static inline bool slot_peek(uint32_t *seq_p, const uint64_t *key_p, uint64_t *key,
			     uint32_t *seq)
{
	*seq = __atomic_load_n(seq_p, __ATOMIC_SEQ_CST);
	if (*seq & 1)
		return false;
	*key = __atomic_load_n(key_p, __ATOMIC_RELAXED);
	return true;
}

/*
 * Remove, from the @n slots at @base (@size bytes apart, each a sequence
 * count at offset 0 and a key at @key_off), every valid one (@valid in its
 * key) that @covers says the invalidation covers. @covers reads other words
 * of the slot; it is asked on a snapshot first and again under the slot.
 */
static unsigned int slots_inv(struct siommu_vtd *v, void *base, size_t size,
			      unsigned int n, size_t key_off, uint64_t valid,
			      bool (*covers)(const void *slot, uint64_t key, const void *arg),
			      const void *arg)
{
	unsigned int i, removed = 0;

	inv_begin(v);
	for (i = 0; i < n; i++) {
		char *slot = (char *)base + (size_t)i * size;
		uint32_t *seq_p = (uint32_t *)slot, held, seq;
		uint64_t *key_p = (uint64_t *)(slot + key_off), key;

		if (slot_peek(seq_p, key_p, &key, &seq) &&
		    (!(key & valid) ||
		     (!covers(slot, key, arg) && !slot_read_retry(seq_p, seq))))
			continue;
		held = slot_lock(seq_p);
		key = LD(*key_p);
		if ((key & valid) && covers(slot, key, arg)) {
			ST(*key_p, 0);
			removed++;
		}
		slot_unlock(seq_p, held);
	}
	return removed;
}

/* ---- context cache ------------------------------------------------------- */

void vtd_ctx_fill(struct siommu_vtd *v, uint64_t gen, uint16_t sid, uint64_t q0,
		  uint64_t q1)
{
	struct ctx_slot *s = &v->ctx[ctx_index(v, sid)];
	uint32_t held;

	vtd_fill_hook(v, VTD_CACHE_CTX);
	if (!fill_begin(v, &s->seq, gen, &held))
		return;
	ST(s->key, CTX_KEY_VALID | sid);
	ST(s->q0, q0);
	ST(s->q1, q1);
	slot_unlock(&s->seq, held);
}

struct sid_match {
	bool all;
	uint16_t sid, mask;
};

static bool ctx_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct sid_match *m = arg;

	(void)slot;
	return m->all || ((uint16_t)key & m->mask) == (m->sid & m->mask);
}

/*
 * Context entries only. The PASID entries cached through them stay: in
 * scalable mode software follows a context change with PASID-cache and
 * IOTLB invalidations (VT-d 6.5.3.3), and a driver that skips them keeps
 * translating through the old PASID entries, as it would on hardware.
 */
void vtd_ctx_inv(struct siommu_vtd *v, bool all, uint16_t sid, uint16_t sid_mask)
{
	struct sid_match m = { all, sid, sid_mask };

	slots_inv(v, v->ctx, sizeof(*v->ctx), v->ctx_mask + 1,
		  offsetof(struct ctx_slot, key), CTX_KEY_VALID, ctx_covers, &m);
}

/* ---- PASID cache ---------------------------------------------------------- */

void vtd_pasid_fill(struct siommu_vtd *v, uint64_t gen, uint16_t sid,
		    uint32_t pasid, const uint64_t q[3], uint64_t fpd)
{
	struct pasid_slot *s = &v->pasid[pasid_index(v, sid, pasid)];
	uint32_t held;

	vtd_fill_hook(v, VTD_CACHE_PASID);
	if (!fill_begin(v, &s->seq, gen, &held))
		return;
	ST(s->key, PASID_KEY(sid, pasid));
	ST(s->did, PTE1_DID(q[1]));
	ST(s->q0, q[0]);
	ST(s->q1, q[1]);
	ST(s->q2, q[2]);
	ST(s->fpd, fpd);
	slot_unlock(&s->seq, held);
}

/* VT-d 6.5.2.4 / 7.7: PASID-cache invalidation, G = 0 domain, 1 PASID, 3 all. */
struct pasid_match {
	unsigned int g;		/* 0 domain, 1 PASID-selective, 3 global */
	uint16_t did;
	uint32_t pasid;
};

static bool pasid_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct pasid_slot *s = slot;
	const struct pasid_match *m = arg;

	if (m->g == 3)
		return true;
	return LD(s->did) == m->did &&
	       (m->g == 0 || (uint32_t)(key & 0xfffff) == m->pasid);
}

void vtd_pasid_inv(struct siommu_vtd *v, unsigned int g, uint16_t did,
		   uint32_t pasid)
{
	struct pasid_match m = { g, did, pasid };

	slots_inv(v, v->pasid, sizeof(*v->pasid), v->pasid_mask + 1,
		  offsetof(struct pasid_slot, key), PASID_KEY_VALID, pasid_covers, &m);
}

/* ---- paging-structure cache ---------------------------------------------- */

void vtd_psc_fill(struct siommu_vtd *v, uint64_t gen, bool fs, uint16_t did,
		  uint32_t pasid, uint64_t iova, uint64_t table, uint64_t acc)
{
	uint64_t key;
	struct psc_slot *s = psc_slot(v, fs, did, &pasid, iova, &key);
	uint32_t held;
	bool counted;

	vtd_fill_hook(v, VTD_CACHE_PSC);
	if (!slot_trylock(&s->seq, &held))
		return;
	/* Count a new entry before the generation check, as IOTLB fills do
	 * (see iotlb_pop): an invalidation that finds psc_pop zero skips
	 * the cache. */
	counted = !(LD(s->key) & PSC_KEY_VALID);
	if (counted)
		__atomic_fetch_add(&v->psc_pop, 1, __ATOMIC_SEQ_CST);
	if (vtd_gen(v) != gen) {
		if (counted)
			__atomic_fetch_sub(&v->psc_pop, 1, __ATOMIC_SEQ_CST);
		slot_unlock(&s->seq, held);
		return;
	}
	ST(s->key, key);
	ST(s->pasid, pasid);
	ST(s->table, table);
	ST(s->acc, acc);
	slot_unlock(&s->seq, held);
}

/*
 * What an IOTLB or PASID-based IOTLB descriptor removes from the cache
 * (VT-d 6.5.2.3, 6.5.2.4, in scalable mode): global, everything; domain,
 * the domain's entries; page-selective, every first-stage entry of the
 * domain (as for the IOTLB) and, without IH, the second-stage
 * entries over the range; PASID-selective, the first-stage entries of
 * the PASID; page-selective within a PASID, without IH, those over the
 * range. IH leaves the cache alone: only leaves changed.
 */
static bool psc_covers(const void *slot, uint64_t key, const void *arg)
{
	const struct iotlb_match *m = arg;
	const struct psc_slot *s = slot;
	uint64_t first = PSC_REGION(key), last = first + SIOMMU_SZ_2M - 1;
	bool fs = key & PSC_KEY_FS;
	bool in_range = first <= m->addr + m->mask && last >= m->addr;

	if (m->kind == IM_ALL)
		return true;
	if ((uint16_t)key != m->did)
		return false;
	switch (m->kind) {
	case IM_DID:
		return true;
	case IM_DID_PAGE_SM:
		return fs || (!m->ih && in_range);
	case IM_DID_PASID:
		return fs && LD(s->pasid) == m->pasid;
	case IM_DID_PASID_PAGE:
		/* With IH this is not reached (psc_inv()). */
		return fs && LD(s->pasid) == m->pasid && in_range;
	default:
		return false;
	}
}

/* After inv_begin(). */
static void psc_inv(struct siommu_vtd *v, const struct iotlb_match *m)
{
	unsigned int removed;

	if (!v->psc || (m->kind == IM_DID_PASID_PAGE && m->ih) ||
	    !__atomic_load_n(&v->psc_pop, __ATOMIC_SEQ_CST))
		return;
	removed = slots_inv(v, v->psc, sizeof(*v->psc), PSC_SLOTS,
			    offsetof(struct psc_slot, key), PSC_KEY_VALID, psc_covers, m);
	if (removed)
		__atomic_fetch_sub(&v->psc_pop, removed, __ATOMIC_SEQ_CST);
}

/* ---- IOTLB ---------------------------------------------------------------- */

static uint32_t *iotlb_pop(struct siommu_vtd *v, uint16_t did)
{
	return &v->iotlb_pop[did % IOTLB_DID_BUCKETS];
}

static void iotlb_pop_add(struct siommu_vtd *v, uint16_t did, int32_t n)
{
	__atomic_fetch_add(iotlb_pop(v, did), (uint32_t)n, __ATOMIC_SEQ_CST);
}

#define SC_LD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define SC_ST(x, val) __atomic_store_n(&(x), (val), __ATOMIC_SEQ_CST)

/* Note that @sid has (or is about to have) an entry of @did; before the
 * fill's generation check (see siommu_vtd.iotlb_sids). */
static void iotlb_sid_note(struct siommu_vtd *v, uint16_t did, uint16_t sid)
{
	struct iotlb_sids *l = &v->iotlb_sids[did % IOTLB_DID_BUCKETS];
	unsigned int n = SC_LD(l->n), i;

	if (n > IOTLB_BUCKET_SIDS)
		return;
	for (i = 0; i < n; i++)
		if (SC_LD(l->sid[i]) == sid)
			return;
	while (__atomic_exchange_n(&l->lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	n = SC_LD(l->n);
	for (i = 0; i < n && i < IOTLB_BUCKET_SIDS; i++)
		if (SC_LD(l->sid[i]) == sid)
			break;
	if (i == n) {
		if (n < IOTLB_BUCKET_SIDS)
			SC_ST(l->sid[n], sid);
		SC_ST(l->n, (uint16_t)(n + 1));
	}
	__atomic_store_n(&l->lock, 0, __ATOMIC_RELEASE);
}

/* The next victim way of this thread's fills (any unit). */
static __thread unsigned int fill_rr __attribute__((tls_model("initial-exec")));

void vtd_iotlb_fill(struct siommu_vtd *v, uint64_t gen, const struct iotlb_ent *e)
{
	uint64_t key = IOTLB_KEY(e->sid, e->pp, e->req_pasid, e->level);
	struct iotlb_slot *set = iotlb_set(v, key, e->page), *s = NULL, *free = NULL;
	unsigned int w, ways = v->iotlb_ways;
	uint32_t held;
	uint64_t out, old;
	bool same;

	vtd_fill_hook(v, VTD_CACHE_IOTLB);
	/* The way with the same tag (a refill after a D update), else the
	 * first free one, in one pass. */
	for (w = 0; w < ways; w++) {
		uint64_t k = LD(set[w].key);

		if (IOTLB_KEY_MATCH(k, key) && LD(set[w].page) == e->page) {
			s = &set[w];
			break;
		}
		if (!(k & IOTLB_KEY_VALID) && !free)
			free = &set[w];
	}
	if (!s)
		s = free;
	if (!s) {
		/* Round-robin victim, per thread: a unit-wide counter would be
		 * written by every fill of every thread (and a modulo costs a
		 * division). */
		w = fill_rr < ways ? fill_rr : 0;
		fill_rr = w + 1;
		s = &set[w];
	}

	out = e->out | e->perm_u | (e->perm_s << 3) |
	      (e->dirty ? IOTLB_OUT_DIRTY : 0) | ((uint64_t)e->pgtt << 7);
	if (e->out <= INTR_LAST && e->out + level_size(e->level) - 1 >= INTR_BASE) {
		out |= IOTLB_OUT_INTR;
	} else {
		uint32_t nd = e->dirty ? 0 : SIOMMU_VTD_WRITE;

		out |= IOTLB_OUT_FAST(e->perm_u & ~nd, e->perm_s & ~nd);
	}
	/* Before the generation check (see iotlb_inv_sets()). */
	if (!(READ_ONCE(v->iotlb_levels) & (1u << e->level)))
		__atomic_fetch_or(&v->iotlb_levels, 1u << e->level, __ATOMIC_SEQ_CST);
	if (!slot_trylock(&s->seq, &held))
		return;
	/*
	 * Note the SID and count the entry first, then check the generation
	 * (see iotlb_sids and iotlb_pop). Replacing a valid entry of the same
	 * bucket needs no count: the old entry, present under our lock, keeps
	 * the bucket non-zero for any invalidation that could race this fill.
	 */
	old = LD(s->key);
	same = (old & IOTLB_KEY_VALID) &&
	       IOTLB_KEY_DID(old) % IOTLB_DID_BUCKETS == e->did % IOTLB_DID_BUCKETS;
	/* An entry of the same DID and SID had its SID noted, for good. */
	if (!same || IOTLB_KEY_DID(old) != e->did || (uint16_t)old != e->sid)
		iotlb_sid_note(v, e->did, e->sid);
	if (!same)
		iotlb_pop_add(v, e->did, 1);
	if (vtd_gen(v) != gen) {
		if (!same)
			iotlb_pop_add(v, e->did, -1);
		slot_unlock(&s->seq, held);
		return;
	}
	if ((old & IOTLB_KEY_VALID) && !same)
		iotlb_pop_add(v, IOTLB_KEY_DID(old), -1);
	ST(s->key, key | IOTLB_KEY_SET_DID(e->did));
	ST(s->page, e->page);
	ST(s->out, out);
	ST(s->pasid, e->pasid);
	slot_unlock(&s->seq, held);
}

static bool iotlb_match(const struct iotlb_match *m, uint64_t key, uint32_t pasid,
			uint64_t page, uint64_t out)
{
	uint64_t last = page + level_size(IOTLB_KEY_LEVEL(key)) - 1;
	unsigned int pgtt = IOTLB_OUT_PGTT(out);
	bool fs = pgtt == PGTT_FS || pgtt == PGTT_NEST;

	if (m->kind == IM_ALL)
		return true;
	if (IOTLB_KEY_DID(key) != m->did)
		return false;
	switch (m->kind) {
	case IM_DID:
		return true;
	case IM_DID_PAGE_SM:
		/* VT-d 6.5.2.3: in scalable mode a page-selective IOTLB
		 * invalidation drops every first-stage and nested entry of
		 * the domain, whatever the address. */
		if (fs)
			return true;
		return page <= m->addr + m->mask && last >= m->addr;
	case IM_DID_PASID:
		return pasid == m->pasid;
	case IM_DID_PASID_PAGE:
		/* VT-d 6.5.2.4: only first-stage and nested mappings. */
		return fs && pasid == m->pasid && page <= m->addr + m->mask &&
		       last >= m->addr;
	default:
		return false;
	}
}

/* Remove slot @s if @m covers it; returns 1 if it did. */
static unsigned int iotlb_inv_slot(struct siommu_vtd *v, struct iotlb_slot *s,
				   const struct iotlb_match *m)
{
	uint64_t key, page, out;
	uint32_t pasid, held, seq;
	unsigned int removed = 0;

	if (slot_peek(&s->seq, &s->key, &key, &seq)) {
		if (!(key & IOTLB_KEY_VALID))
			return 0;
		page = LD(s->page);
		out = LD(s->out);
		pasid = LD(s->pasid);
		if (!iotlb_match(m, key, pasid, page, out) &&
		    !slot_read_retry(&s->seq, seq))
			return 0;
	}
	held = slot_lock(&s->seq);
	key = LD(s->key);
	page = LD(s->page);
	out = LD(s->out);
	pasid = LD(s->pasid);
	if ((key & IOTLB_KEY_VALID) && iotlb_match(m, key, pasid, page, out)) {
		ST(s->key, 0);
		iotlb_pop_add(v, IOTLB_KEY_DID(key), -1);
		removed = 1;
	}
	slot_unlock(&s->seq, held);
	return removed;
}

/* Sets a PASID-based page-selective invalidation probes at most; a wider
 * one scans (a scan of 1024 slots costs about as much as 64 set probes). */
#define IOTLB_PSI_MAX_SETS 64

/*
 * A PASID-based page-selective invalidation without a scan. An entry it
 * covers was filled for a SID noted in its DID's bucket, for a request
 * with that PASID or without one (tagged PASID 0; the PASID used was
 * RID_PASID), at a level with entries, on a level-aligned page the range
 * overlaps: probe the sets of those tags. Returns false, having done
 * nothing, if the bucket is full or there are more than
 * IOTLB_PSI_MAX_SETS sets. The SIDs and the level mask are read after
 * inv_begin(), and fills publish theirs before they check the generation,
 * all sequentially consistent: what a racing fill adds is either seen here
 * or that fill gives up.
 */
static bool iotlb_inv_sets(struct siommu_vtd *v, const struct iotlb_match *m,
			   uint64_t *removed)
{
	struct iotlb_sids *l = &v->iotlb_sids[m->did % IOTLB_DID_BUCKETS];
	uint32_t levels = __atomic_load_n(&v->iotlb_levels, __ATOMIC_SEQ_CST);
	uint64_t first = m->addr, last = m->addr + m->mask;
	uint16_t sids[IOTLB_BUCKET_SIDS];
	unsigned int level, sets = 0, w, ways = v->iotlb_ways, n, i;

	n = SC_LD(l->n);
	if (n > IOTLB_BUCKET_SIDS || last < first)
		return false;
	for (i = 0; i < n; i++)
		sids[i] = SC_LD(l->sid[i]);
	for (level = 0; level < 3; level++) {
		unsigned int shift = 12 + 9 * level;
		/* In 64 bits: a wide range (AM up to MAMV) has up to 2^52 pages. */
		uint64_t pages = (last >> shift) - (first >> shift) + 1;

		if (!(levels & (1u << level)))
			continue;
		if (pages > IOTLB_PSI_MAX_SETS)
			return false;
		sets += 2 * n * (unsigned int)pages;
		if (sets > IOTLB_PSI_MAX_SETS)
			return false;
	}
	for (level = 0; level < 3; level++) {
		uint64_t size = level_size(level), page;

		if (!(levels & (1u << level)))
			continue;
		for (page = first & ~(size - 1); page <= last; page += size) {
			for (i = 0; i < 2 * n; i++) {
				uint64_t key = i & 1 ? IOTLB_KEY(sids[i / 2], false, 0, level) :
					       IOTLB_KEY(sids[i / 2], true, m->pasid, level);
				struct iotlb_slot *set = iotlb_set(v, key, page);

				for (w = 0; w < ways; w++)
					*removed += iotlb_inv_slot(v, &set[w], m);
			}
			if (page + size - 1 >= last)
				break;
		}
	}
	return true;
}

uint64_t vtd_iotlb_inv(struct siommu_vtd *v, const struct iotlb_match *m)
{
	uint64_t n = v->iotlb_slots, i, removed = 0;

	inv_begin(v);
	psc_inv(v, m);
	/* Nothing cached for the DID: no scan (see iotlb_pop). */
	if (m->kind != IM_ALL &&
	    !__atomic_load_n(iotlb_pop(v, m->did), __ATOMIC_SEQ_CST))
		return 0;
	if (m->kind != IM_DID_PASID_PAGE || !iotlb_inv_sets(v, m, &removed))
		for (i = 0; i < n; i++)
			removed += iotlb_inv_slot(v, &v->iotlb[i], m);
	vtd_stat_add(v, ST_IOTLB_INV, removed);
	return removed;
}

void vtd_caches_flush_all(struct siommu_vtd *v)
{
	struct iotlb_match all = { .kind = IM_ALL };

	vtd_ctx_inv(v, true, 0, 0);
	vtd_pasid_inv(v, 3, 0, 0);
	vtd_iotlb_inv(v, &all);
}

int vtd_caches_init(struct siommu_vtd *v)
{
	unsigned int stride = 1;
	size_t n;

	while (stride < v->cfg.iotlb_ways)
		stride <<= 1;
	n = (size_t)v->cfg.iotlb_sets * stride;
	v->iotlb_ways = v->cfg.iotlb_ways;
	v->iotlb_slots = n;
	v->iotlb_set_offs = (uint64_t)(v->cfg.iotlb_sets - 1) * stride * sizeof(*v->iotlb);
	v->iotlb_last_way = (uint64_t)(v->iotlb_ways - 1) * sizeof(*v->iotlb);
	v->ctx_mask = CTX_SLOTS - 1;
	v->pasid_mask = PASID_SLOTS - 1;
	v->iotlb = vtd_should_fail(v->mem) ? NULL :
		   aligned_alloc(64, (n * sizeof(*v->iotlb) + 63) & ~(size_t)63);
	if (!v->iotlb)
		goto out;
	memset(v->iotlb, 0, n * sizeof(*v->iotlb));
	v->ctx = vtd_should_fail(v->mem) ? NULL : calloc(CTX_SLOTS, sizeof(*v->ctx));
	if (!v->ctx)
		goto out_free_iotlb;
	v->pasid = vtd_should_fail(v->mem) ? NULL :
		   calloc(PASID_SLOTS, sizeof(*v->pasid));
	if (!v->pasid)
		goto out_free_ctx;
	if (v->cfg.caps & SIOMMU_VTD_CAP_PSC) {
		v->psc = vtd_should_fail(v->mem) ? NULL :
			 calloc(PSC_SLOTS, sizeof(*v->psc));
		if (!v->psc)
			goto out_free_pasid;
	}
	return 0;

out_free_pasid:
	free(v->pasid);
out_free_ctx:
	free(v->ctx);
out_free_iotlb:
	free(v->iotlb);
out:
	return -ENOMEM;
}

void vtd_caches_fini(struct siommu_vtd *v)
{
	free(v->psc);
	free(v->pasid);
	free(v->ctx);
	free(v->iotlb);
}
