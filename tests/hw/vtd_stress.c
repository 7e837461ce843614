/* SPDX-License-Identifier: MIT */
/*
 * Stress: threads translate (and DMA) while one thread remaps pages and
 * submits invalidations with waits. Once a wait completes, no translation
 * that starts afterwards may return the mapping the invalidation removed
 * (VT-d 6.5.2.9; trap 22).
 *
 * Each page p alternates between two frames. The writer unmaps p, submits
 * an invalidation and a wait, then publishes the old frame as forbidden and
 * bumps seq[p], then maps the other frame. A reader samples seq[p] and the
 * forbidden frame, translates, and re-reads seq[p]: if seq[p] did not move,
 * the forbidden frame was unmapped and invalidated before the translation
 * started and cannot be mapped again before seq[p] moves.
 */
#include <pthread.h>

#include "vtd_test.h"

#define RID 0x0500
#define NPAGES 64	/* at most */
#define READERS 2

struct stress {
	struct vt t;
	uint64_t fs;
	uint64_t frame[NPAGES][2];
	uint64_t forbidden[NPAGES];	/* atomics */
	uint64_t seq[NPAGES];		/* atomics */
	int done;			/* atomic */
	uint64_t violations;		/* atomic */
	uint64_t samples;		/* atomic */
	unsigned int npages;
};

static void *reader(void *arg)
{
	struct stress *s = arg;
	struct test_rng rng = { (uint64_t)(uintptr_t)&rng | 1 };
	uint64_t n = 0, bad = 0;
	uint8_t buf[64];

	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		unsigned int p = (unsigned int)test_rand_below(&rng, s->npages);
		uint64_t iova = 0x100000 + p * 4096ull + test_rand_below(&rng, 4096);
		struct siommu_vtd_req r = vt_req(RID, true, 1, iova, SIOMMU_VTD_READ);
		struct siommu_vtd_xlate x;
		uint64_t s1, s2, fb;
		int ret;

		s1 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		fb = __atomic_load_n(&s->forbidden[p], __ATOMIC_ACQUIRE);
		if (n & 1) {
			ret = siommu_vtd_translate(s->t.v, &r, &x);
		} else {
			size_t done;

			/* DMA: the fault path also reports the page. */
			ret = siommu_vtd_dma_read(s->t.v, &r, buf,
						  iova % 4096 > 4096 - 64 ? 1 : 64,
						  &done, &x);
			if (!ret)
				ret = siommu_vtd_translate(s->t.v, &r, &x);
		}
		s2 = __atomic_load_n(&s->seq[p], __ATOMIC_ACQUIRE);
		if (!ret && s1 == s2 && fb && (x.addr & ~0xfffull) == fb)
			bad++;
		n++;
	}
	__atomic_fetch_add(&s->violations, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->samples, n, __ATOMIC_RELAXED);
	return NULL;
}

static void writer(struct stress *s, uint64_t cycles)
{
	struct test_rng rng = test_rng_init(0x5eed);
	unsigned int cur[NPAGES] = { 0 };
	uint64_t i;

	for (i = 0; i < cycles; i++) {
		unsigned int p = (unsigned int)test_rand_below(&rng, s->npages);
		uint64_t iova = 0x100000 + p * 4096ull;
		uint64_t old = s->frame[p][cur[p]];
		struct siommu_vtd_desc d;

		CHECK_OK(siommu_vtd_build_unmap(s->t.mem, SIOMMU_VTD_FMT_FS, s->fs, 4,
						iova));
		switch (test_rand_below(&rng, 4)) {
		case 0:
			d = siommu_vtd_desc_piotlb(2, 1, 1, 0, 0, false);
			break;
		case 1:
			d = siommu_vtd_desc_iotlb(2, 1, 0, 0, false);
			break;
		default:
			d = siommu_vtd_desc_piotlb(3, 1, 1, iova, 0, false);
			break;
		}
		vt_inv(&s->t, d);
		__atomic_store_n(&s->forbidden[p], old, __ATOMIC_RELEASE);
		__atomic_fetch_add(&s->seq[p], 1, __ATOMIC_ACQ_REL);
		cur[p] ^= 1;
		CHECK_OK(siommu_vtd_build_map(s->t.mem, SIOMMU_VTD_FMT_FS, s->fs, 4, iova,
					      s->frame[p][cur[p]], SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
		if (i % 64 == 0)
			vt_inv(&s->t, siommu_vtd_desc_pc(1, 1, 1));
	}
}

/*
 * @cfg: the IOTLB geometry. A tiny IOTLB and few pages make nearly every
 * translation a walk and a fill of a page the writer is changing, so fills
 * race with invalidations all the time.
 */
static void run(const struct siommu_vtd_cfg *cfg, unsigned int npages,
		uint64_t cycles)
{
	static struct stress s;
	pthread_t th[READERS];
	unsigned int p, i;

	memset(&s, 0, sizeof(s));
	s.npages = npages;
	vt_init(&s.t, cfg);
	vt_ctx(&s.t, RID, true, 0);
	s.fs = vt_pasid_fs(&s.t, RID, 1, 1, 4);
	for (p = 0; p < npages; p++) {
		s.frame[p][0] = vt_page(&s.t);
		s.frame[p][1] = vt_page(&s.t);
		CHECK_OK(siommu_vtd_build_map(s.t.mem, SIOMMU_VTD_FMT_FS, s.fs, 4,
					      0x100000 + p * 4096ull, s.frame[p][0],
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_BUILD_USER));
	}
	/* Faults are expected (pages are briefly unmapped); keep the log quiet. */
	vt_wr(&s.t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	for (i = 0; i < READERS; i++)
		CHECK_OK(pthread_create(&th[i], NULL, reader, &s));
	writer(&s, cycles);
	__atomic_store_n(&s.done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "%" PRIu64 " samples, %" PRIu64 " violations\n", s.samples,
		s.violations);
	CHECK_EQ(s.violations, 0);
	CHECK(s.samples > 0);
	vt_fini(&s.t);
}

int main(void)
{
	struct siommu_vtd_cfg tiny = { .iotlb_sets = 4, .iotlb_ways = 1 };

	run(NULL, NPAGES, test_scale(5000));
	run(&tiny, 4, test_scale(5000));
	return 0;
}
