/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench core`, PASID part: pasid_alloc_free against bitmap_set_clear.
 *
 * The space holds 64k PASIDs scattered over the low 128k (a third of 96k
 * allocated ones freed at random), owned by 16 owners with quotas. Each
 * operation allocates from a random start in that range up to a random
 * device width (16 or 20 bits), for one of the owners, and frees the PASID
 * again, so searches land in different words and climb the summary levels;
 * the space is the same before and after every operation.
 *
 * Report-only lines give the floor under the ratio: the baseline's bitmap
 * set/clear with a mutex taken and dropped around the set and around the
 * clear, as a one-lock allocator's alloc and free each do; and
 * pasid_alloc_free against that locked baseline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <siommu/pasid.h>

#include "bench.h"

#define NR_OWNERS 16
#define NR_STARTS 4096		/* power of two */
#define PREFILL 96000u
#define SPAN (1u << 17)

struct pasid_bench {
	struct siommu_pasid_space *space;
	uint32_t min[NR_STARTS];
	uint32_t max[NR_STARTS];
	uint64_t owner[NR_STARTS];
	uint64_t next;
	int err;
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void pasid_alloc_free_run(void *arg, uint64_t iters)
{
	struct pasid_bench *b = arg;
	uint64_t n = b->next, acc = 0;

	while (iters--) {
		unsigned int i = n++ & (NR_STARTS - 1);
		uint32_t pasid;

		if (siommu_pasid_alloc(b->space, b->min[i], b->max[i],
				       b->owner[i], &pasid) ||
		    siommu_pasid_free(b->space, pasid))
			b->err = -EIO;
		acc += pasid;
	}
	b->next = n;
	bench_sink(acc);
}

/* Two lock/unlock pairs around the baseline's work: what a one-lock
 * allocator pays before doing anything. */
struct lock_floor {
	pthread_mutex_t lock;
	uint64_t map[1024];
};

static void lock_floor_run(void *arg, uint64_t iters)
{
	struct lock_floor *f = arg;
	uint64_t i = 0;

	while (iters--) {
		unsigned int w = (i * 7) & 1023, bit;

		pthread_mutex_lock(&f->lock);
		bit = __builtin_ctzll(~f->map[w]);
		f->map[w] |= 1ull << bit;
		pthread_mutex_unlock(&f->lock);
		bench_sink(f->map[w]);
		pthread_mutex_lock(&f->lock);
		f->map[w] &= ~(1ull << bit);
		pthread_mutex_unlock(&f->lock);
		i++;
	}
}

static int pasid_bench_setup(struct pasid_bench *b)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint32_t *all, i, pasid;
	int ret;

	all = malloc(PREFILL * sizeof(*all));
	if (!all)
		return -ENOMEM;
	ret = siommu_pasid_space_create(NULL, &b->space);
	if (ret)
		goto out_free_all;
	for (i = 0; i < NR_OWNERS; i++) {
		ret = siommu_pasid_set_quota(b->space, 1000 + i, 1u << 16);
		if (ret)
			goto out_destroy;
	}
	for (i = 0; i < PREFILL; i++) {
		ret = siommu_pasid_alloc(b->space, 1, SIOMMU_PASID_MAX,
					 1000 + i % NR_OWNERS, &all[i]);
		if (ret)
			goto out_destroy;
	}
	/* Free a random third: holes everywhere in the low range. */
	for (i = PREFILL - 1; i > 0; i--) {
		uint32_t j = rng_next(&seed) % (i + 1), t = all[i];

		all[i] = all[j];
		all[j] = t;
	}
	for (i = 0; i < PREFILL / 3; i++)
		siommu_pasid_free(b->space, all[i]);
	for (i = 0; i < NR_STARTS; i++) {
		uint32_t top;

		b->max[i] = rng_next(&seed) & 1 ? (1u << 16) - 1 : SIOMMU_PASID_MAX;
		top = b->max[i] < SPAN ? b->max[i] : SPAN;
		/* Away from a 16-bit window's top, where it may be full. */
		b->min[i] = 1 + rng_next(&seed) % (top - 1024);
		b->owner[i] = 1000 + rng_next(&seed) % NR_OWNERS;
	}
	/* Every start must succeed: check once rather than in the loop. */
	for (i = 0; i < NR_STARTS; i++) {
		ret = siommu_pasid_alloc(b->space, b->min[i], b->max[i],
					 b->owner[i], &pasid);
		if (ret)
			goto out_destroy;
		siommu_pasid_free(b->space, pasid);
	}
	free(all);
	return 0;

out_destroy:
	siommu_pasid_space_destroy(b->space);
out_free_all:
	free(all);
	return ret;
}

int bench_pasid(struct bench_report *rep)
{
	struct pasid_bench *b = calloc(1, sizeof(*b));
	struct lock_floor *f = calloc(1, sizeof(*f));
	int ret = -ENOMEM;

	if (!b || !f)
		goto out_free;
	pthread_mutex_init(&f->lock, NULL);
	ret = pasid_bench_setup(b);
	if (ret)
		goto out_free;
	bench_pair(rep, "pasid_alloc_free", pasid_alloc_free_run, b,
		   "bitmap_set_clear", bitmap_set_clear_run, NULL, 1 << 16, 3);
	bench_pair(rep, "locked_set_clear", lock_floor_run, f,
		   "bitmap_set_clear", bitmap_set_clear_run, NULL, 1 << 16, 0);
	bench_pair(rep, "pasid_alloc_free.vs_locked", pasid_alloc_free_run, b,
		   "locked_set_clear", lock_floor_run, f, 1 << 16, 0);
	ret = b->err;
	siommu_pasid_space_destroy(b->space);
	pthread_mutex_destroy(&f->lock);
out_free:
	free(f);
	free(b);
	return ret;
}
