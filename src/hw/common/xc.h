/* SPDX-License-Identifier: MIT */
/*
 * The combined translation cache of the Arm models (internal, shared by
 * SMMUv3 and SMMUv2): the whole answer for one requester and one 4K input
 * page, made from what the model's configuration and its TLB answered,
 * so that a repeated request probes once and enters no read-side section
 * to translate. The requester's key is the model's (SMMUv3: StreamID and
 * SubstreamID; SMMUv2: StreamID); XC_KEY_VALID is set in every key.
 *
 * An entry is a memo and nothing more. It holds the output address of its
 * 4K page (not of the TLB entry's block: a hit adds the page offset and
 * copies), the permissions for both privilege levels as the requester
 * meets them, the level of the TLB entry behind it, and the low half of
 * the model's invalidation generation sampled before the translation read
 * anything. A hit needs that generation to be current. Every invalidation
 * and every configuration change the entry could depend on moves the
 * generation (xc_gen_bump()), before and after it removes anything, so an
 * entry outlives none of them; what the model's own caches may keep (stale
 * configuration, TLB entries, as the architectures allow) answers the next
 * request through them again. When the generation's low half wraps, the
 * cache is emptied, so an entry never matches a later generation with the
 * same low bits.
 *
 * Geometry: the sets of the model's TLB, each of the TLB's ways rounded up
 * to a power of two. Slots follow hw/common/slot.h: lookups are lock-free,
 * a fill takes its slot with a try-lock and gives up if it is busy or the
 * generation moved since the translation sampled it.
 *
 * The entry's output word: bits 63:12 the output page, 5:0 the
 * permissions (unprivileged in 2:0, privileged in 5:3, as READ, WRITE,
 * EXEC), 7:6 the level (0: 4K, 1: 2M, 2: 1G), 11:8 the model's own.
 */
#ifndef SIOMMU_HW_COMMON_XC_H
#define SIOMMU_HW_COMMON_XC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/common/slot.h"
#include "util/compiler.h"

struct siommu_mem;

#define XC_KEY_VALID		(1ull << 63)
#define XC_PERM_ALL		0x3fu
#define XC_PERM_PRIV_SHIFT	3
#define XC_OUT_PERM(o)		((uint32_t)(o) & XC_PERM_ALL)
#define XC_OUT_LEVEL(o)		((unsigned int)((o) >> 6) & 3)
#define XC_OUT_LEVEL_SET(l)	((uint64_t)(l) << 6)
#define XC_OUT_PAGE(o)		((o) & ~0xfffull)

struct xc_slot {
	uint32_t seq;
	uint32_t gen;		/* low 32 bits of the generation at the fill */
	uint64_t key;		/* the model's requester key, XC_KEY_VALID set */
	uint64_t page;		/* 4K input page, as requested */
	uint64_t out;		/* the output word (above) */
};

/* Read by every translation; set up by xc_init() and not changed after. */
struct xc {
	struct xc_slot *slot;	/* sets of ways slots */
	unsigned int ways;
	uint64_t set_offs;	/* byte offsets of the sets: a mask */
	uint64_t last_way;	/* (ways - 1) * sizeof(struct xc_slot) */
};

/*
 * xc_init - an empty cache of @sets sets (a power of two, at most 65536)
 * of @ways ways rounded up to a power of two (at most 16). Its allocation
 * is a fallible step of @mem's fault injection. Returns 0 or -ENOMEM.
 * xc_fini - free it; never fails.
 */
int xc_init(struct xc *x, struct siommu_mem *mem, unsigned int sets, unsigned int ways);
void xc_fini(struct xc *x);

/*
 * xc_gen_bump - move the generation *@gen by one: fills that sampled an
 * older one give up, entries stop hitting. Any thread; the caller's
 * invalidation rules say when.
 */
void xc_gen_bump(struct xc *x, uint64_t *gen);

/*
 * xc_fill - remember @out for (@key, @page), made by a translation that
 * sampled generation @gen before it read anything; nothing if *@now has
 * moved since, or the slot is busy. Any thread, lock-free.
 */
void xc_fill(struct xc *x, const uint64_t *now, uint64_t gen, uint64_t key, uint64_t page,
	     uint64_t out);

static inline_hot uint64_t xc_hash(uint64_t x)
{
	return x * 0x9e3779b97f4a7c15ull;
}

static inline_hot struct xc_slot *xc_set(const struct xc *x, uint64_t key, uint64_t page)
{
	uint64_t h = xc_hash(key ^ (page >> 12));

	/* Bits 38 up of the product (the low ones mix poorly) pick the set,
	 * already scaled to its byte offset: at most 65536 sets of 16 slots
	 * of 32 bytes, bit 24 down. */
	return (struct xc_slot *)((char *)x->slot + ((h >> 38) & x->set_offs));
}

/* Whether slot @e holds (@key, @page), in a copy still to be trusted. */
static inline_hot bool xc_slot_is(const struct xc_slot *e, uint64_t key, uint64_t page)
{
	return ((__atomic_load_n(&e->key, __ATOMIC_RELAXED) ^ key) |
		(__atomic_load_n(&e->page, __ATOMIC_RELAXED) ^ page)) == 0;
}

/*
 * xc_lookup - the entry of (@key, @page) if it was made under the current
 * generation *@gen: true with *out its output word, read after the
 * entry. Lock-free, no read-side section; any thread.
 */
static inline_hot bool xc_lookup(const struct xc *x, const uint64_t *gen, uint64_t key,
				 uint64_t page, uint64_t *out)
{
	struct xc_slot *e = xc_set(x, key, page);
	const struct xc_slot *end = (const struct xc_slot *)((const char *)e + x->last_way);
	uint32_t seq, g;
	uint64_t o;

	for (;;) {
		seq = slot_read_begin(&e->seq);
		if (likely(xc_slot_is(e, key, page)))
			break;
		if (e == end)
			return false;
		e++;
	}
	o = __atomic_load_n(&e->out, __ATOMIC_RELAXED);
	g = __atomic_load_n(&e->gen, __ATOMIC_RELAXED);
	/* One test: the copy trusted and made under the current generation. */
	if (unlikely((slot_read_stale(&e->seq, seq) |
		      (g ^ (uint32_t)__atomic_load_n(gen, __ATOMIC_SEQ_CST))) != 0))
		return false;
	*out = o;
	return true;
}

/*
 * xc_out_word - the output word of an entry for the 4K page @page under a
 * TLB entry (or bypass) of level @level whose output block starts at
 * @block, with permissions @perm (XC_PERM_ALL layout) and the model's
 * bits @extra.
 */
static inline_hot uint64_t xc_out_word(uint64_t block, unsigned int level, uint64_t page,
				       uint32_t perm, uint64_t extra)
{
	return (block + (page & (level_size(level) - 1) & ~0xfffull)) |
	       (perm & XC_PERM_ALL) | XC_OUT_LEVEL_SET(level) | extra;
}

/* What a hit grants to a requester: the entry's permissions at privilege
 * shift @shift (0 or XC_PERM_PRIV_SHIFT), as READ | WRITE | EXEC. */
static inline_hot uint32_t xc_out_perm(uint64_t out, unsigned int shift)
{
	return (uint32_t)(out >> shift) & 7u;
}

/* Whether the entry grants every bit of @need (access << shift). */
static inline_hot bool xc_out_grants(uint64_t out, uint64_t need)
{
	return !(need & ~out & XC_PERM_ALL);
}

/* A translated piece of a transaction, as the Arm models report it. */
struct xc_piece {
	uint64_t addr;		/* output of the requested address */
	uint64_t base, out;	/* input and output bases of the entry's block */
	uint64_t size;		/* the block's */
	uint32_t perm;		/* for this requester (READ | WRITE | EXEC) */
};

/*
 * xc_out_piece - the piece of @iova under the output word @out (of
 * @iova's 4K page) for a requester at privilege shift @shift, if it grants
 * @access.
 */
static inline_hot bool xc_out_piece(uint64_t out, uint64_t iova, unsigned int shift,
				    uint32_t access, struct xc_piece *p)
{
	uint32_t perm = xc_out_perm(out, shift);
	uint64_t size;

	/* The requester's permissions first: the check and the piece's
	 * perm are one value. */
	if (access & ~perm)
		return false;
	size = level_size(XC_OUT_LEVEL(out));
	p->size = size;
	p->base = iova & ~(size - 1);
	/* A block is at least 4K: the mask clears the word's low bits too. */
	p->out = out & ~(size - 1);
	p->addr = XC_OUT_PAGE(out) + (iova & 0xfff);
	p->perm = perm;
	return true;
}

/* A one-page transfer's probe of the combined cache (dma_one_page()'s
 * @hit): *out is the entry's word after a hit, for the caller's counters. */
struct xc_hit {
	const struct xc *x;
	const uint64_t *gen;
	uint64_t key;
	uint64_t iova;
	uint64_t need;		/* access << privilege shift */
	uint64_t out;
};

static inline_hot bool xc_hit_pa(void *ctx, uint64_t *pa)
{
	struct xc_hit *h = ctx;

	if (unlikely(!xc_lookup(h->x, h->gen, h->key, h->iova & ~0xfffull, &h->out)) ||
	    unlikely(!xc_out_grants(h->out, h->need)))
		return false;
	*pa = XC_OUT_PAGE(h->out) + (h->iova & 0xfff);
	return true;
}

#endif
