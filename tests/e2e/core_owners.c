/* SPDX-License-Identifier: MIT */
/*
 * Device owners (siommu_device_claim()):
 *   - one owner at a time: a second claim, by anyone, is -EBUSY; NULL
 *     arguments are -EINVAL; unclaim by a cookie that does not own the
 *     device changes nothing; after an unclaim the device can be claimed
 *     again;
 *   - siommu_device_owner() finds the cookie only through its owner's own
 *     callback;
 *   - the DMA API is an owner like any other: it cannot set up a device
 *     another owner holds, nor can another owner claim a device the DMA
 *     API set up; its teardown gives the device up;
 *   - removing a device calls its owner's release callback exactly once,
 *     with no lock held (the callback detaches and frees domains through
 *     the core), and no new owner can claim the device meanwhile; the
 *     device is unowned afterwards whether or not the callback unclaimed;
 *   - destroying the context releases every device's owner first;
 *   - concurrent claims of one device: exactly one wins.
 * A deadlock fails the test through the watchdog instead of hanging it.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <siommu/core.h>
#include <siommu/dma.h>

#include "core_test.h"
#include "core_unit.h"

struct owner {
	unsigned int released;
	struct siommu_device *dev;	/* passed to the last release */
	struct siommu_domain *dom;	/* attached by the owner, freed on release */
	bool unclaim;			/* the callback unclaims itself */
	int claim_in_release;		/* another claim tried from the callback */
	int claim_after_unclaim;	/* ... once it unclaimed */
};

static void release_a(void *cookie, struct siommu_device *dev)
{
	struct owner *o = cookie;
	static int other;

	o->released++;
	o->dev = dev;
	/* Still owned, and no other owner may step in while it goes. */
	CHECK(siommu_device_owner(dev, release_a) == o);
	o->claim_in_release = siommu_device_claim(dev, release_a, &other);
	/* The core's lock is free: tear down through the public calls. */
	if (o->dom) {
		CHECK(siommu_device_domain(dev, 0) == o->dom);
		siommu_device_detach(dev);
		CHECK_OK(siommu_domain_free(o->dom));
		o->dom = NULL;
	}
	if (o->unclaim) {
		siommu_device_unclaim(dev, o);
		CHECK(siommu_device_owner(dev, release_a) == NULL);
		/* Unowned, but going: nobody may claim it now. */
		o->claim_after_unclaim = siommu_device_claim(dev, release_a, &other);
	}
}

static void release_b(void *cookie, struct siommu_device *dev)
{
	(void)dev;
	((struct owner *)cookie)->released++;
}

static void one_at_a_time(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct owner a = { 0 }, b = { 0 };

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x0100, 8, 0);

	CHECK_EQ(siommu_device_claim(NULL, release_a, &a), -EINVAL);
	CHECK_EQ(siommu_device_claim(dev, NULL, &a), -EINVAL);
	CHECK_EQ(siommu_device_claim(dev, release_a, NULL), -EINVAL);
	CHECK(siommu_device_owner(dev, release_a) == NULL);

	CHECK_OK(siommu_device_claim(dev, release_a, &a));
	CHECK(siommu_device_owner(dev, release_a) == &a);
	CHECK(siommu_device_owner(dev, release_b) == NULL);
	CHECK(siommu_device_owner(dev, NULL) == NULL);
	CHECK_EQ(siommu_device_claim(dev, release_b, &b), -EBUSY);
	CHECK_EQ(siommu_device_claim(dev, release_a, &a), -EBUSY);
	CHECK_EQ(siommu_device_claim(dev, release_a, &b), -EBUSY);

	/* Only the owner's cookie gives the device up. */
	siommu_device_unclaim(dev, &b);
	siommu_device_unclaim(dev, NULL);
	siommu_device_unclaim(NULL, &a);
	CHECK(siommu_device_owner(dev, release_a) == &a);
	siommu_device_unclaim(dev, &a);
	CHECK(siommu_device_owner(dev, release_a) == NULL);
	CHECK_OK(siommu_device_claim(dev, release_b, &b));
	CHECK(siommu_device_owner(dev, release_b) == &b);
	siommu_device_unclaim(dev, &b);

	/* The DMA API is one owner among others. */
	CHECK_OK(siommu_device_claim(dev, release_a, &a));
	CHECK_EQ(siommu_dma_setup(dev, NULL), -EBUSY);
	CHECK(siommu_device_domain(dev, 0) == NULL);	/* nothing half-done */
	siommu_device_unclaim(dev, &a);
	CHECK_OK(siommu_dma_setup(dev, NULL));
	CHECK_EQ(siommu_device_claim(dev, release_a, &a), -EBUSY);
	CHECK_EQ(siommu_dma_setup(dev, NULL), -EBUSY);
	siommu_dma_teardown(dev);
	CHECK(siommu_device_domain(dev, 0) == NULL);
	CHECK_OK(siommu_device_claim(dev, release_a, &a));
	siommu_device_unclaim(dev, &a);

	CHECK_EQ(a.released, 0);
	CHECK_EQ(b.released, 0);
	siommu_ctx_destroy(ctx);
	CHECK_EQ(a.released, 0);	/* unowned at the end: nobody to call */
}

static void remove_releases(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *d[2], *d3;
	struct owner o[2] = { { .unclaim = true }, { 0 } }, o3 = { 0 };
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	unsigned int i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	d[0] = test_dev_add(unit, 0x0100, 8, 0);
	d[1] = test_dev_add(unit, 0x0200, 8, 0);
	d3 = test_dev_add(unit, 0x0300, 8, 0);

	/* A callback that unclaims, and one that does not: both fine. */
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_domain_alloc(unit, &paging, &o[i].dom));
		CHECK_OK(siommu_device_attach(d[i], o[i].dom));
		CHECK_OK(siommu_device_claim(d[i], release_a, &o[i]));
		siommu_device_remove(d[i]);
		CHECK_EQ(o[i].released, 1);
		CHECK(o[i].dev == d[i]);
		CHECK(o[i].dom == NULL);
		CHECK_EQ(o[i].claim_in_release, -EBUSY);
	}
	CHECK_EQ(o[0].claim_after_unclaim, -EBUSY);

	/* A device whose owner let go is removed without a callback. */
	CHECK_OK(siommu_device_claim(d3, release_b, &o3));
	siommu_device_unclaim(d3, &o3);
	siommu_device_remove(d3);
	CHECK_EQ(o3.released, 0);
	siommu_ctx_destroy(ctx);
	CHECK_EQ(o[0].released, 1);
	CHECK_EQ(o[1].released, 1);
}

static void destroy_releases(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *u1, *u2;
	struct siommu_device *d[4];
	struct owner o[3] = { { .unclaim = true }, { 0 }, { 0 } };
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	unsigned int i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &u1));
	CHECK_OK(test_unit_add(ctx, NULL, &u2));
	d[0] = test_dev_add(u1, 0x0100, 8, 0);
	d[1] = test_dev_add(u1, 0x0200, 8, 0);
	d[2] = test_dev_add(u2, 0x0100, 8, 0);
	d[3] = test_dev_add(u2, 0x0200, 8, 0);
	for (i = 0; i < 3; i++) {
		CHECK_OK(siommu_domain_alloc(i < 2 ? u1 : u2, &paging, &o[i].dom));
		CHECK_OK(siommu_device_attach(d[i], o[i].dom));
		CHECK_OK(siommu_device_claim(d[i], release_a, &o[i]));
	}
	/* The DMA API owns the fourth: it goes the same way. */
	CHECK_OK(siommu_dma_setup(d[3], NULL));
	siommu_ctx_destroy(ctx);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(o[i].released, 1);
		CHECK(o[i].dev == d[i]);
		CHECK(o[i].dom == NULL);
		CHECK_EQ(o[i].claim_in_release, -EBUSY);
	}
}

struct racer {
	struct siommu_device *dev;
	pthread_barrier_t *go;
	int ret;
};

static void *claim_thread(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->ret = siommu_device_claim(r->dev, release_b, r);
	return NULL;
}

static void concurrent_claims(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	unsigned int round, i, won;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x0100, 8, 0);
	for (round = 0; round < test_scale(200); round++) {
		pthread_barrier_t go;
		pthread_t t[4];
		struct racer r[4];
		void *winner = NULL;

		pthread_barrier_init(&go, NULL, 4);
		for (i = 0; i < 4; i++) {
			r[i] = (struct racer){ dev, &go, 0 };
			CHECK_OK(pthread_create(&t[i], NULL, claim_thread, &r[i]));
		}
		for (i = 0, won = 0; i < 4; i++) {
			CHECK_OK(pthread_join(t[i], NULL));
			if (!r[i].ret) {
				won++;
				winner = &r[i];
			} else {
				CHECK_EQ(r[i].ret, -EBUSY);
			}
		}
		pthread_barrier_destroy(&go);
		CHECK_EQ(won, 1);
		CHECK(siommu_device_owner(dev, release_b) == winner);
		siommu_device_unclaim(dev, winner);
	}
	siommu_ctx_destroy(ctx);
}

int main(void)
{
	alarm(120);	/* a deadlock ends the test: SIGALRM fails it */
	one_at_a_time();
	remove_releases();
	destroy_releases();
	concurrent_claims();
	return 0;
}
