/* SPDX-License-Identifier: MIT */
/*
 * The combined translation cache's writers: fills, the generation, and
 * set-up (see xc.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/common/xc.h"
#include "mem/mem_internal.h"

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* The slots of all sets. */
static size_t xc_nslots(const struct xc *x)
{
	return (size_t)(x->set_offs / sizeof(struct xc_slot)) + x->ways;
}

int xc_init(struct xc *x, struct siommu_mem *mem, unsigned int sets, unsigned int ways)
{
	memset(x, 0, sizeof(*x));
	for (x->ways = 1; x->ways < ways; x->ways <<= 1)
		;
	x->set_offs = (uint64_t)(sets - 1) * x->ways * sizeof(struct xc_slot);
	x->last_way = (uint64_t)(x->ways - 1) * sizeof(struct xc_slot);
	x->slot = mem_should_fail(mem) ? NULL :
		  aligned_alloc(64, (xc_nslots(x) * sizeof(struct xc_slot) + 63) & ~(size_t)63);
	if (!x->slot)
		return -ENOMEM;
	memset(x->slot, 0, xc_nslots(x) * sizeof(struct xc_slot));
	return 0;
}

void xc_fini(struct xc *x)
{
	free(x->slot);
	x->slot = NULL;
}

/* Empty the cache: the generation's low half wrapped. Fills under an
 * older generation fail their re-check; this removes those that passed
 * it. */
static void xc_flush(struct xc *x)
{
	size_t i, n = xc_nslots(x);

	for (i = 0; i < n; i++) {
		uint32_t held = slot_lock(&x->slot[i].seq);

		ST(x->slot[i].key, 0);
		slot_unlock(&x->slot[i].seq, held);
	}
}

void xc_gen_bump(struct xc *x, uint64_t *gen)
{
	uint64_t g = __atomic_add_fetch(gen, 1, __ATOMIC_SEQ_CST);

	if (unlikely((uint32_t)g == 0))
		xc_flush(x);
}

/* The way for (@key, @page): its own entry, else one not of generation
 * @gen, else one chosen by the page. */
static struct xc_slot *xc_way(struct xc *x, uint64_t gen, uint64_t key, uint64_t page)
{
	struct xc_slot *set = xc_set(x, key, page), *e = NULL;
	unsigned int w;

	for (w = 0; w < x->ways; w++) {
		if (LD(set[w].key) == key && LD(set[w].page) == page)
			return &set[w];
		if (!e && (!(LD(set[w].key) & XC_KEY_VALID) || LD(set[w].gen) != (uint32_t)gen))
			e = &set[w];
	}
	return e ? e : &set[(page >> 12) % x->ways];
}

void xc_fill(struct xc *x, const uint64_t *now, uint64_t gen, uint64_t key, uint64_t page,
	     uint64_t out)
{
	struct xc_slot *e = xc_way(x, gen, key, page);
	uint32_t held;

	if (!slot_trylock(&e->seq, &held))
		return;
	/* Re-checked with the slot held: once the low half has wrapped and
	 * the cache been emptied, no fill under an older generation may be
	 * left that a later generation with the same low bits would match. */
	if (__atomic_load_n(now, __ATOMIC_SEQ_CST) != gen) {
		slot_unlock(&e->seq, held);
		return;
	}
	ST(e->gen, (uint32_t)gen);
	ST(e->key, key);
	ST(e->page, page);
	ST(e->out, out);
	slot_unlock(&e->seq, held);
}
