/* SPDX-License-Identifier: MIT */
/*
 * Stress: threads map and unmap their own ranges of one IOAS (at fixed
 * and at picked IOVAs, user memory and a file), another copies and reads
 * the IOVA ranges, another replaces a device between an automatic and a
 * manual HWPT of the IOAS, while device threads DMA at every range: each
 * DMA either faults or reads the very bytes its range maps, never
 * another range's. Run under ThreadSanitizer by `make tsan`.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_test.h"

#define MAPPERS 3
#define SLOT 0x100000ull		/* IOVA slot of each mapper */
#define LEN 16384u

static struct tfd t;
static uint32_t ioas, ioas2, dev_id[2], manual;
static uint8_t *bufs[MAPPERS];
static uint64_t ops;
static int stop;

static void *mapper(void *arg)
{
	unsigned int k = (unsigned int)(uintptr_t)arg;
	uint64_t n, iova, got;

	for (n = 0; n < ops; n++) {
		iova = SLOT * (k + 1);
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, bufs[k], LEN, &iova));
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, LEN, &got));
		CHECK_EQ(got, LEN);
		/* A picked IOVA, never one of the fixed slots' while mapped. */
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW, bufs[k], LEN, &iova));
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, LEN, NULL));
	}
	return NULL;
}

static void *copier(void *arg)
{
	struct siommu_iova_range r[4];
	uint64_t iova, align;
	uint32_t num;
	int ret;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* The source may be unmapped under it: -ENOENT then. */
		ret = siommu_ioas_copy(t.ictx, ioas2, ioas, RW, SLOT, LEN, &iova);
		CHECK(ret == 0 || ret == -ENOENT);
		if (!ret)
			CHECK_OK(siommu_ioas_unmap(t.ictx, ioas2, iova, LEN, NULL));
		num = 4;
		CHECK_OK(siommu_ioas_iova_ranges(t.ictx, ioas, r, &num, &align));
		CHECK_EQ(align, 4096);
	}
	return NULL;
}

static void *replacer(void *arg)
{
	uint32_t pt;
	unsigned int n = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		pt = n++ & 1 ? manual : ioas;
		CHECK_OK(siommu_iommufd_replace(t.ictx, dev_id[1], NOPASID, &pt));
	}
	return NULL;
}

static void *dma(void *arg)
{
	unsigned int d = (unsigned int)(uintptr_t)arg, k = 0;
	uint8_t got[256];
	int ret;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t off = (k * 4096 + 100) % (LEN - sizeof(got));

		ret = tfd_dma(&t, d, NOPASID, SLOT * (k % MAPPERS + 1) + off, got, sizeof(got),
			      false);
		CHECK(ret == 0 || ret == -EFAULT);
		if (!ret)
			CHECK(!memcmp(got, bufs[k % MAPPERS] + off, sizeof(got)));
		k++;
	}
	return NULL;
}

int main(void)
{
	pthread_t m[MAPPERS], c, r, dth[2];
	unsigned int i;
	uint32_t pt;

	ops = test_ops(2000);
	tfd_setup(&t, UINT64_MAX);
	for (i = 0; i < MAPPERS; i++)
		bufs[i] = tfd_buf(LEN, (uint8_t)(i * 50 + 1));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas2));
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[i], &dev_id[i]));
		pt = ioas;
		CHECK_OK(siommu_iommufd_attach(t.ictx, dev_id[i], NOPASID, &pt));
	}
	CHECK_OK(siommu_hwpt_alloc(t.ictx, dev_id[1], ioas, 0, 0, &manual));
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_create(&dth[i], NULL, dma, (void *)(uintptr_t)i));
	CHECK_OK(pthread_create(&c, NULL, copier, NULL));
	CHECK_OK(pthread_create(&r, NULL, replacer, NULL));
	for (i = 0; i < MAPPERS; i++)
		CHECK_OK(pthread_create(&m[i], NULL, mapper, (void *)(uintptr_t)i));
	for (i = 0; i < MAPPERS; i++)
		CHECK_OK(pthread_join(m[i], NULL));
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(c, NULL));
	CHECK_OK(pthread_join(r, NULL));
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_join(dth[i], NULL));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	tfd_teardown(&t);
	for (i = 0; i < MAPPERS; i++)
		munmap(bufs[i], LEN);
	return 0;
}
