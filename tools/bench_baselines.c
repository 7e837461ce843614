/* SPDX-License-Identifier: MIT */
/*
 * Bare baselines: the least work an operation of each kind could do, written
 * plainly, measured in the same run as the subject.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* walk4: four 4K tables whose entries point to the next table, like a
 * 4-level page walk with every check removed. Each leaf holds the address of
 * the next walk, so walks form one chain of dependent loads, as lookups of a
 * caller that needs each result before the next do. */
struct walk4 {
	uint64_t *level[4];
	uint64_t iova;
};

struct walk4 *walk4_create(void)
{
	struct walk4 *w = calloc(1, sizeof(*w));
	int l, i;

	if (!w)
		return NULL;
	for (l = 0; l < 4; l++)
		w->level[l] = aligned_alloc(4096, 4096);
	for (l = 0; l < 4; l++)
		for (i = 0; i < 512; i++)
			w->level[l][i] = l < 3 ? (uint64_t)(uintptr_t)w->level[l + 1]
					       : (uint64_t)((i + 1) & 511) << 12;
	return w;
}

void walk4_destroy(struct walk4 *w)
{
	int l;

	for (l = 0; l < 4; l++)
		free(w->level[l]);
	free(w);
}

void walk4_run(void *arg, uint64_t iters)
{
	struct walk4 *w = arg;
	uint64_t iova = w->iova, acc = 0;

	while (iters--) {
		const uint64_t *t = w->level[0];
		int l;

		for (l = 3; l > 0; l--)
			t = (const uint64_t *)(uintptr_t)t[(iova >> (12 + 9 * l)) & 511];
		iova = t[(iova >> 12) & 511];
		acc += iova;
	}
	w->iova = iova;
	bench_sink(acc);
}

/* hash_probe: open addressing with linear probing over 64-bit keys at
 * 50% load, looking up keys that are present. */
struct hash_probe {
	uint64_t *slot;
	uint64_t mask;
	uint64_t next;
	unsigned int nkeys;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

struct hash_probe *hash_probe_create(unsigned int capacity)
{
	struct hash_probe *h = calloc(1, sizeof(*h));
	unsigned int cap = 1, i;

	if (!h)
		return NULL;
	while (cap < capacity)
		cap <<= 1;
	h->slot = calloc(cap, sizeof(uint64_t));
	h->mask = cap - 1;
	h->nkeys = cap / 2;
	for (i = 1; i <= h->nkeys; i++) {
		uint64_t k = (uint64_t)i << 12, s = mix(k) & h->mask;

		while (h->slot[s])
			s = (s + 1) & h->mask;
		h->slot[s] = k;
	}
	return h;
}

void hash_probe_destroy(struct hash_probe *h)
{
	free(h->slot);
	free(h);
}

void hash_probe_run(void *arg, uint64_t iters)
{
	struct hash_probe *h = arg;
	uint64_t n = h->next, acc = 0;

	while (iters--) {
		uint64_t k = ((n % h->nkeys) + 1) << 12, s = mix(k) & h->mask;

		while (h->slot[s] != k && h->slot[s])
			s = (s + 1) & h->mask;
		acc += s;
		n++;
	}
	h->next = n;
	bench_sink(acc);
}

void memcpy_4k_run(void *arg, uint64_t iters)
{
	char *buf = arg;

	while (iters--) {
		memcpy(buf + 4096, buf, 4096);
		bench_sink((uint64_t)(uintptr_t)buf);
	}
}

void stack_pop_push_run(void *arg, uint64_t iters)
{
	static __thread uint64_t stack[64];
	static __thread unsigned int top = 32;
	uint64_t acc = 0;

	(void)arg;
	while (iters--) {
		uint64_t v = stack[--top];

		bench_sink(v);
		stack[top++] = v + 1;
		acc += v;
	}
	bench_sink(acc);
}

void bitmap_set_clear_run(void *arg, uint64_t iters)
{
	static __thread uint64_t map[1024];
	uint64_t i = 0;

	(void)arg;
	while (iters--) {
		/* find the first clear bit from a hint, set it, clear it */
		unsigned int w = (i * 7) & 1023;
		uint64_t word = map[w];
		unsigned int bit = __builtin_ctzll(~word);

		map[w] = word | (1ull << bit);
		bench_sink(map[w]);
		map[w] &= ~(1ull << bit);
		i++;
	}
}

/* A dependent multiply-add chain in registers: CPU time and nothing else. */
void spin_run(void *arg, uint64_t iters)
{
	uint64_t x = (uint64_t)(uintptr_t)&x;

	(void)arg;
	while (iters--) {
		x = x * 0x9e3779b97f4a7c15ull + 1;
		bench_sink(x);
	}
}

/*
 * Independent additions, exclusive-ors and shifts in registers: several
 * instructions a cycle, so it needs the CPU's execution units as much as
 * spin_run needs its multiplier's latency. A neighbour on the same core
 * (another hyperthread) slows this one and hardly spin_run.
 */
void ilp_run(void *arg, uint64_t iters)
{
	uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, i;

	(void)arg;
	for (i = 0; i < iters; i++) {
		a += i;
		b ^= a;
		c += b >> 1;
		d ^= c;
		e += i >> 3;
		f ^= e;
		__asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d), "r"(e), "r"(f));
	}
}
