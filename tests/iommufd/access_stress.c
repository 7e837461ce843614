/* SPDX-License-Identifier: MIT */
/*
 * Stress of the access API (siommu_iommufd_access_*): a mapper maps a
 * range into two IOASes (each time over one buffer of its own pattern)
 * and unmaps it again, a mover replaces the accesses between the two
 * IOASes, readers copy the range out through one access (directly and
 * through the physical memory) and pinners pin it through accesses of
 * their own, read the pinned pages and unpin, their callbacks unpinning
 * when an unmap or a move asks. Checked:
 *   - every unmap succeeds: the callbacks always let go, so the protocol
 *     never ends in -EDEADLOCK and never leaves pins behind;
 *   - every copy either fails for the range being absent (-ENOENT: not
 *     mapped, or the access is moving) or being unmapped (-EINVAL), or
 *     returns one whole buffer's pattern;
 *   - a pinned range's pages hold one whole buffer's pattern until it is
 *     unpinned: an unmap never completes under a pin;
 *   - at the end no pin is left and the accounting is back to zero.
 * Run under ThreadSanitizer by `make tsan`.
 */
#include <pthread.h>

#include "iommufd_test.h"
#include "stress.h"

#define LEN (4 * SIOMMU_PAGE_SIZE)
#define IOVA 0x1000000ull
#define NBUF 3
#define NPIN 2

static struct tfd t;
static uint32_t ioas[2], reader_acc;
static uint8_t *bufs[NBUF];
static int stop;
static uint64_t maps, moves, reads_ok, reads_missed, pins_ok, asked;	/* counters */

/* A pinning driver: its pin (at most one) under its lock, which its
 * callback takes, held across a pin and its recording. */
struct pinner {
	uint32_t id;
	pthread_mutex_t lock;
	bool pinned;
};
static struct pinner pinners[NPIN];

static void pinner_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct pinner *p = data;

	pthread_mutex_lock(&p->lock);
	if (p->pinned && iova <= IOVA + LEN - 1 && IOVA <= iova + (length - 1)) {
		CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, p->id, IOVA, LEN));
		p->pinned = false;
		test_count_add(&asked, 1);
	}
	pthread_mutex_unlock(&p->lock);
}

static const struct siommu_iommufd_access_ops pinner_ops = { .unmap = pinner_unmap };

/* Which buffer @b holds whole, or NBUF. */
static unsigned int which(const uint8_t *b)
{
	unsigned int i;

	for (i = 0; i < NBUF && memcmp(b, bufs[i], LEN); i++)
		;
	return i;
}

static void *mapper(void *arg)
{
	uint64_t n, got, iova;
	unsigned int i;

	(void)arg;
	for (n = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
		for (i = 0; i < 2; i++) {
			iova = IOVA;
			CHECK_OK(siommu_ioas_map(t.ictx, ioas[i], RW | FIXED, bufs[n % NBUF], LEN,
						 &iova));
		}
		for (i = 0; i < 2; i++) {
			CHECK_OK(siommu_ioas_unmap(t.ictx, ioas[i], IOVA, LEN, &got));
			CHECK_EQ(got, LEN);
		}
		test_count_add(&maps, 1);
	}
	return NULL;
}

static void *mover(void *arg)
{
	unsigned int n, i;

	(void)arg;
	for (n = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
		uint32_t to = ioas[n % 2];

		CHECK_OK(siommu_iommufd_access_replace(t.ictx, reader_acc, to));
		for (i = 0; i < NPIN; i++) {
			int ret = siommu_iommufd_access_replace(t.ictx, pinners[i].id, to);

			/* The callback always lets go: never -EBUSY. */
			CHECK_OK(ret);
		}
		test_count_add(&moves, 1);
	}
	return NULL;
}

static void *reader(void *arg)
{
	unsigned int flags = arg ? SIOMMU_IOMMUFD_ACCESS_RW_PHYS : 0;
	uint8_t *out = malloc(LEN);

	CHECK(out);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int ret = siommu_iommufd_access_rw(t.ictx, reader_acc, IOVA, out, LEN, flags);

		if (ret == -ENOENT || ret == -EINVAL) {
			test_count_add(&reads_missed, 1);
			continue;
		}
		CHECK_OK(ret);
		CHECK(which(out) < NBUF);
		test_count_add(&reads_ok, 1);
	}
	free(out);
	return NULL;
}

static void *pin_loop(void *arg)
{
	struct pinner *p = arg;
	void *pages[LEN / SIOMMU_PAGE_SIZE];
	uint8_t *copy = malloc(LEN);
	unsigned int i, w;
	int ret;

	CHECK(copy);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&p->lock);
		ret = siommu_iommufd_access_pin_pages(t.ictx, p->id, IOVA, LEN, pages, 0);
		CHECK(ret == 0 || ret == -ENOENT || ret == -EINVAL);
		p->pinned = !ret;
		if (!ret) {
			/* Pinned pages stay the one buffer they were. */
			for (i = 0; i < LEN / SIOMMU_PAGE_SIZE; i++)
				memcpy(copy + i * SIOMMU_PAGE_SIZE, pages[i], SIOMMU_PAGE_SIZE);
			w = which(copy);
			CHECK(w < NBUF);
			CHECK(pages[0] == bufs[w]);
			test_count_add(&pins_ok, 1);
		}
		pthread_mutex_unlock(&p->lock);
		/* Let an unmap or a move ask for it, now and then. */
		sched_yield();
		pthread_mutex_lock(&p->lock);
		if (p->pinned)
			CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, p->id, IOVA, LEN));
		p->pinned = false;
		pthread_mutex_unlock(&p->lock);
	}
	free(copy);
	return NULL;
}

static const char *enough(void *arg)
{
	(void)arg;
	TEST_STRESS_NEED(test_count(&maps) >= 50);
	TEST_STRESS_NEED(test_count(&moves) >= 20);
	TEST_STRESS_NEED(test_count(&reads_ok) > 0);
	TEST_STRESS_NEED(test_count(&pins_ok) > 0);
	TEST_STRESS_NEED(test_count(&asked) > 0);
	return NULL;
}

int main(void)
{
	pthread_t m, mv, r[2], p[NPIN];
	struct siommu_iommufd_stats st;
	unsigned int i;

	tfd_setup(&t, UINT64_MAX);
	for (i = 0; i < 2; i++)
		CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas[i]));
	for (i = 0; i < NBUF; i++)
		bufs[i] = tfd_buf(LEN, (uint8_t)(0x30 * (i + 1)));
	CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas[0], NULL, NULL, 0, &reader_acc));
	for (i = 0; i < NPIN; i++) {
		pthread_mutex_init(&pinners[i].lock, NULL);
		CHECK_OK(siommu_iommufd_access_create(t.ictx, ioas[0], &pinner_ops, &pinners[i],
						      SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES,
						      &pinners[i].id));
	}

	CHECK_OK(pthread_create(&m, NULL, mapper, NULL));
	CHECK_OK(pthread_create(&mv, NULL, mover, NULL));
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_create(&r[i], NULL, reader, (void *)(uintptr_t)i));
	for (i = 0; i < NPIN; i++)
		CHECK_OK(pthread_create(&p[i], NULL, pin_loop, &pinners[i]));
	CHECK(test_stress_run(test_stress_ms(1000), enough, NULL));
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(m, NULL));
	CHECK_OK(pthread_join(mv, NULL));
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_join(r[i], NULL));
	for (i = 0; i < NPIN; i++)
		CHECK_OK(pthread_join(p[i], NULL));
	fprintf(stderr, "%" PRIu64 " maps, %" PRIu64 " moves, %" PRIu64 " reads (%" PRIu64
		" missed), %" PRIu64 " pins (%" PRIu64 " let go when asked)\n", maps, moves,
		reads_ok, reads_missed, pins_ok, asked);

	siommu_iommufd_get_stats(t.ictx, &st);
	CHECK_EQ(st.access_pins, 0);
	CHECK_EQ(st.areas, 0);
	for (i = 0; i < NPIN; i++) {
		CHECK_OK(siommu_iommufd_access_destroy(t.ictx, pinners[i].id));
		pthread_mutex_destroy(&pinners[i].lock);
	}
	CHECK_OK(siommu_iommufd_access_destroy(t.ictx, reader_acc));
	tfd_teardown(&t);
	for (i = 0; i < NBUF; i++)
		munmap(bufs[i], LEN);
	return 0;
}
