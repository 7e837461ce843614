/* SPDX-License-Identifier: MIT */
/*
 * Several iommufd contexts over one core context, as the preload library
 * makes one per open of /dev/iommu on one machine: each maps memory (the
 * same buffer in both, and buffers of their own) while the other holds its
 * mappings, and devices attached in each DMA into the right bytes; after
 * one context goes, the other and a new one still map.
 */
#include "iommufd_test.h"

#define LEN (16 * 4096)

static void map_dma(struct tfd *t, struct siommu_iommufd *ictx, unsigned int dev,
		    uint32_t *dev_id, uint8_t *buf, uint8_t seed)
{
	uint32_t ioas, pt;
	uint64_t iova = 0x100000;
	uint8_t b = 0;

	CHECK_OK(siommu_ioas_alloc(ictx, &ioas));
	CHECK_OK(siommu_ioas_map(ictx, ioas, RW | FIXED, buf, LEN, &iova));
	CHECK_OK(siommu_iommufd_bind(ictx, t->dev[dev], dev_id));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(ictx, *dev_id, NOPASID, &pt));
	buf[LEN - 1] = seed;
	CHECK_OK(tfd_dma(t, dev, NOPASID, iova + LEN - 1, &b, 1, false));
	CHECK_EQ(b, seed);
}

int main(void)
{
	uint8_t *shared = tfd_buf(LEN, 1), *own = tfd_buf(LEN, 2);
	struct siommu_iommufd *second, *third;
	uint32_t d0, d1, d2;
	struct tfd t;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = t.ctx }, &second));
	map_dma(&t, t.ictx, 0, &d0, shared, 0x11);
	/* The same buffer, then another, in a second context. */
	map_dma(&t, second, 1, &d1, shared, 0x22);
	{
		uint32_t ioas;
		uint64_t iova = 0x200000;

		CHECK_OK(siommu_ioas_alloc(second, &ioas));
		CHECK_OK(siommu_ioas_map(second, ioas, RW | FIXED, own, LEN, &iova));
	}
	/* The first context's device still reads its bytes. */
	{
		uint8_t b = 0;

		CHECK_OK(tfd_dma(&t, 0, NOPASID, 0x100000 + LEN - 1, &b, 1, false));
		CHECK_EQ(b, 0x22);
	}
	siommu_iommufd_destroy(t.ictx);
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = t.ctx }, &third));
	map_dma(&t, third, 2, &d2, own, 0x33);
	siommu_iommufd_destroy(second);
	t.ictx = third;
	tfd_teardown(&t);
	munmap(shared, LEN);
	munmap(own, LEN);
	return 0;
}
