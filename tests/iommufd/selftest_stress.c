/* SPDX-License-Identifier: MIT */
/*
 * Stress of IOMMU_TEST_CMD's accesses and mock devices: a mapper maps and
 * unmaps a range of an IOAS (each time over a buffer of its own pattern),
 * while readers copy the range out through an access (fast and slow
 * path), pinners pin and release it through another, and a thread makes
 * and destroys mock devices attached to the IOAS. Every read either
 * finds the range unmapped (-ENOENT) or being unmapped (-EINVAL, while an
 * unmap asks the pinning access to let go), or returns one whole buffer's
 * pattern, never a mix or stale bytes; every pin either succeeds, is
 * refused for an unmapped range or one being unmapped, or is dropped by
 * an unmap (the access's callback; -ENOENT on release). Run under ThreadSanitizer by `make tsan`.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/mock.h>

#include "iommufd_test.h"

#define LEN 8192u
#define NBUF 2

static struct tfd t;
static uint32_t ioas;
static int afd_rw, afd_pin;
static uint8_t *bufs[NBUF];
static uint64_t ops;
static int stop;
static uint64_t reads_ok, pins_ok, pins_dropped, devs_made;	/* atomic */

static int test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return siommu_iommufd_ioctl(t.ictx, IOMMU_TEST_CMD, c);
}

static void *mapper(void *arg)
{
	uint64_t n, iova, got;

	(void)arg;
	/* Until the others have each met the range mapped, too. */
	for (n = 0; n < ops || !__atomic_load_n(&reads_ok, __ATOMIC_RELAXED) ||
			    !__atomic_load_n(&pins_ok, __ATOMIC_RELAXED); n++) {
		iova = SIOMMU_MOCK_APERTURE_START;
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, bufs[n % NBUF], LEN, &iova));
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, LEN, &got));
		CHECK_EQ(got, LEN);
	}
	return NULL;
}

static void *reader(void *arg)
{
	unsigned int slow = (unsigned int)(uintptr_t)arg;
	uint8_t out[LEN];
	unsigned int i;
	int ret;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct iommu_test_cmd c = {
			.op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)afd_rw,
			.access_rw = { .iova = SIOMMU_MOCK_APERTURE_START, .length = LEN,
				       .uptr = (uintptr_t)out,
				       .flags = slow ? MOCK_ACCESS_RW_SLOW_PATH : 0 },
		};

		ret = test_cmd(&c);
		if (ret == -ENOENT || ret == -EINVAL)
			continue;
		CHECK_OK(ret);
		/* One buffer's pattern, whole. */
		for (i = 0; i < NBUF && memcmp(out, bufs[i], LEN); i++)
			;
		CHECK(i < NBUF);
		__atomic_fetch_add(&reads_ok, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *pinner(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct iommu_test_cmd c = {
			.op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd_pin,
			.access_pages = { .iova = SIOMMU_MOCK_APERTURE_START, .length = LEN },
		};
		int ret = test_cmd(&c);

		if (ret == -ENOENT || ret == -EINVAL)
			continue;
		CHECK_OK(ret);
		__atomic_fetch_add(&pins_ok, 1, __ATOMIC_RELAXED);
		c = (struct iommu_test_cmd){
			.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = (uint32_t)afd_pin,
			.destroy_access_pages = {
				.access_pages_id = c.access_pages.out_access_pages_id },
		};
		ret = test_cmd(&c);
		CHECK(ret == 0 || ret == -ENOENT);
		if (ret)
			__atomic_fetch_add(&pins_dropped, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *devices(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };

		CHECK_OK(test_cmd(&c));
		CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, c.mock_domain.out_stdev_id));
		__atomic_fetch_add(&devs_made, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(void)
{
	pthread_t m, r[2], p, d;
	struct iommu_test_cmd c;
	struct siommu_unit *mock;
	unsigned int i;

	ops = test_ops(2000);
	tfd_setup(&t, UINT64_MAX);
	siommu_iommufd_destroy(t.ictx);
	CHECK_OK(siommu_unit_add_mock(t.ctx, &mock));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
		.ctx = t.ctx, .user = t.user, .test_unit = mock }, &t.ictx));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	for (i = 0; i < NBUF; i++)
		bufs[i] = tfd_buf(LEN, (uint8_t)(0x40 * (i + 1)));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas };
	CHECK_OK(test_cmd(&c));
	afd_rw = (int)c.create_access.out_access_fd;
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
				     .create_access = {
					.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES } };
	CHECK_OK(test_cmd(&c));
	afd_pin = (int)c.create_access.out_access_fd;

	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_create(&r[i], NULL, reader, (void *)(uintptr_t)i));
	CHECK_OK(pthread_create(&p, NULL, pinner, NULL));
	CHECK_OK(pthread_create(&d, NULL, devices, NULL));
	CHECK_OK(pthread_create(&m, NULL, mapper, NULL));
	CHECK_OK(pthread_join(m, NULL));
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_join(r[i], NULL));
	CHECK_OK(pthread_join(p, NULL));
	CHECK_OK(pthread_join(d, NULL));
	fprintf(stderr, "%" PRIu64 " reads, %" PRIu64 " pins (%" PRIu64 " dropped by unmaps), "
		"%" PRIu64 " mock devices\n", reads_ok, pins_ok, pins_dropped, devs_made);

	CHECK_OK(siommu_iommufd_access_close(t.ictx, afd_rw));
	CHECK_OK(siommu_iommufd_access_close(t.ictx, afd_pin));
	close(afd_rw);
	close(afd_pin);
	tfd_teardown(&t);
	for (i = 0; i < NBUF; i++)
		munmap(bufs[i], LEN);
	return 0;
}
