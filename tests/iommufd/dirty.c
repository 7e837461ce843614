/* SPDX-License-Identifier: MIT */
/*
 * Dirty tracking through a HWPT's page table (VT-d first stage: the unit
 * sets a leaf's D bit when a device writes through it):
 *   - a HWPT allocated with DIRTY_TRACKING reports exactly the pages
 *     devices wrote, at the page size asked (blocks smaller and larger
 *     than a page), as bits of a u64 bitmap;
 *   - reading clears, NO_CLEAR does not, and a page written again after a
 *     clear is reported again (the clear flushes the cached translation
 *     that remembered it dirtied the page);
 *   - starting tracking forgets earlier writes; reads do not mark;
 *   - errors: a HWPT without tracking, unknown flags, page_size 0 or not
 *     a power of two, misaligned or empty ranges, ranges not covered by
 *     contiguous areas, overflow, unknown IDs; none changes the marks;
 *   - a unit without a first stage offers no dirty tracking; the core's
 *     domain flag takes paging domains only (VT-d: first stage only);
 *   - SMMUv3: the unit updates access flags only (HTTU without dirty
 *     state, no DBM), so it offers no dirty tracking at any HWPT, and
 *     neither domain flag nor HWPT flag is taken (nor on SMMUv2).
 */
#include "iommufd_test.h"

#define IOVA 0x1000000ull
#define LEN (64u * 4096)

static void write_page(struct tfd *t, uint64_t iova)
{
	uint8_t b = 0xab;

	CHECK_OK(tfd_dma(t, 0, NOPASID, iova, &b, 1, true));
}

static uint64_t bits(struct tfd *t, uint32_t h, uint64_t page_size, unsigned int flags)
{
	uint64_t map[4] = { 0 };

	CHECK_OK(siommu_hwpt_get_dirty_bitmap(t->ictx, h, IOVA, LEN, page_size, flags, map));
	CHECK_EQ(map[1] | map[2] | map[3], 0);
	return map[0];
}

/* SMMUv3: nothing to offer, and every call says so, changing nothing. */
static void smmuv3_none(void)
{
	struct siommu_domain *dom;
	struct tfd t;
	uint8_t *buf = tfd_buf(LEN, 1);
	uint64_t iova = IOVA, caps, map[4] = { 0 };
	uint32_t ioas, d, h, type;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, LEN, &iova));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d));
	CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, d, false, &type, NULL, 0, NULL, &caps, NULL));
	CHECK_EQ(caps & SIOMMU_HW_CAP_DIRTY_TRACKING, 0);
	TFD_FAILS(&t, ioas, -EOPNOTSUPP,
		  siommu_hwpt_alloc(t.ictx, d, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &h));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP,
		  siommu_hwpt_alloc(t.ictx, d, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			  SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &h));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas, 0, 0, &h));
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &h));
	write_page(&t, IOVA);
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_hwpt_set_dirty_tracking(t.ictx, h, true));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP,
		  siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN, 4096, 0, map));
	CHECK_EQ(map[0], 0);
	CHECK_EQ(siommu_domain_alloc(t.unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .flags = SIOMMU_DOMAIN_DIRTY_TRACKING }, &dom),
		 -EOPNOTSUPP);
	/* Nor has an SMMUv2-style unit, at either stage. */
	{
		struct siommu_unit *v2;
		unsigned int stage;

		CHECK_OK(siommu_unit_add_smmuv2(t.ctx, NULL, &v2));
		for (stage = SIOMMU_STAGE_FIRST; stage <= SIOMMU_STAGE_SECOND; stage++)
			CHECK_EQ(siommu_domain_alloc(v2, &(struct siommu_domain_cfg){
				.type = SIOMMU_DOMAIN_PAGING, .stage = stage,
				.flags = SIOMMU_DOMAIN_DIRTY_TRACKING }, &dom), -EOPNOTSUPP);
	}
	tfd_teardown(&t);
	munmap(buf, LEN);
}

int main(void)
{
	struct tfd t;
	uint8_t *buf, got[8];
	uint64_t iova = IOVA, map[8];
	uint32_t ioas, d, h, plain;

	if (test_unit_type() == TEST_UNIT_SMMUV3) {
		smmuv3_none();
		return 0;
	}
	buf = tfd_buf(LEN, 1);

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, LEN / 2, &iova));
	iova = IOVA + LEN / 2;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + LEN / 2, LEN / 2, &iova));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &h));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas, 0, 0, &plain));
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &h));
	write_page(&t, IOVA);
	CHECK_OK(siommu_hwpt_set_dirty_tracking(t.ictx, h, true));
	/* Starting forgot the write before it. */
	CHECK_EQ(bits(&t, h, 4096, 0), 0);
	write_page(&t, IOVA + 4096 + 7);
	write_page(&t, IOVA + 40 * 4096);
	CHECK_OK(tfd_dma(&t, 0, NOPASID, IOVA + 9 * 4096, got, sizeof(got), false));
	CHECK_EQ(bits(&t, h, 4096, SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
		 1ull << 1 | 1ull << 40);
	/* 16K blocks: pages 1 and 40 are in blocks 0 and 10; 2K: 2 each. */
	CHECK_EQ(bits(&t, h, 16384, SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), 1ull << 0 | 1ull << 10);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN, 2048,
					      SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, map));
	CHECK_EQ(map[0], 3ull << 2);
	CHECK_EQ(map[1], 3ull << 16);
	/* Read and clear, then nothing; a page written again shows again. */
	CHECK_EQ(bits(&t, h, 4096, 0), 1ull << 1 | 1ull << 40);
	CHECK_EQ(bits(&t, h, 4096, 0), 0);
	write_page(&t, IOVA + 40 * 4096);
	CHECK_EQ(bits(&t, h, 4096, 0), 1ull << 40);
	/* A range across the two areas, a part of it. */
	write_page(&t, IOVA + 31 * 4096);
	write_page(&t, IOVA + 32 * 4096);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA + 30 * 4096, 4 * 4096, 4096, 0,
					      map));
	CHECK_EQ(map[0], 3ull << 1);

	/* Errors leave the marks. */
	write_page(&t, IOVA + 3 * 4096);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, plain, IOVA, LEN, 4096, 0, map),
		 -EOPNOTSUPP);
	CHECK_EQ(siommu_hwpt_set_dirty_tracking(t.ictx, plain, true), -EOPNOTSUPP);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN, 4096, 2, map), -EOPNOTSUPP);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN, 0, 0, map), -EINVAL);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN, 3 * 4096, 0, map), -EINVAL);
	/* Length 0 ends before it starts: past the space, as Linux says. */
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, 0, 4096, 0, map), -EOVERFLOW);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA + 2048, 4096, 2048, 0, map),
		 -EINVAL);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN, 8192 * 4, 0, map), 0);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA - 4096, LEN, 4096, 0, map),
		 -EINVAL);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, IOVA, LEN + 4096, 4096, 0, map),
		 -EINVAL);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, h, UINT64_MAX - 4095, 8192, 4096, 0, map),
		 -EOVERFLOW);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, 99, IOVA, LEN, 4096, 0, map), -ENOENT);
	CHECK_EQ(siommu_hwpt_get_dirty_bitmap(t.ictx, ioas, IOVA, LEN, 4096, 0, map), -ENOENT);
	CHECK_EQ(siommu_hwpt_set_dirty_tracking(t.ictx, 99, true), -ENOENT);
	/* The 32K-block read above cleared page 3: write it again. */
	write_page(&t, IOVA + 3 * 4096);
	CHECK_EQ(bits(&t, h, 4096, 0), 1ull << 3);
	/* Stopping and starting again forgets what came between. */
	CHECK_OK(siommu_hwpt_set_dirty_tracking(t.ictx, h, false));
	write_page(&t, IOVA + 5 * 4096);
	CHECK_OK(siommu_hwpt_set_dirty_tracking(t.ictx, h, true));
	CHECK_EQ(bits(&t, h, 4096, 0), 0);
	tfd_teardown(&t);

	/* The core's domain flag: paging domains only, first stage only on
	 * VT-d, no unknown bits. */
	{
		struct siommu_domain *dom;

		tfd_setup(&t, UINT64_MAX);
		CHECK_EQ(siommu_domain_alloc(t.unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING, .flags = 2 }, &dom), -EINVAL);
		CHECK_EQ(siommu_domain_alloc(t.unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_IDENTITY,
			.flags = SIOMMU_DOMAIN_DIRTY_TRACKING }, &dom), -EINVAL);
		CHECK_EQ(siommu_domain_alloc(t.unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND,
			.flags = SIOMMU_DOMAIN_DIRTY_TRACKING }, &dom), -EOPNOTSUPP);
		CHECK_OK(siommu_domain_alloc(t.unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING,
			.flags = SIOMMU_DOMAIN_DIRTY_TRACKING }, &dom));
		CHECK_OK(siommu_domain_free(dom));
		tfd_teardown(&t);
	}

	/* A unit without a first stage has no dirty tracking to offer. */
	{
		struct siommu_unit *ss;
		struct siommu_device *dev;
		uint64_t caps;
		uint32_t type, dd;

		tfd_setup(&t, UINT64_MAX);
		CHECK_OK(test_unit_add(t.ctx, &(struct test_unit_cfg){ .second_stage_only = true },
				       &ss));
		dev = test_dev_add(ss, 0x200, 0, 0);
		CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
		CHECK_OK(siommu_iommufd_bind(t.ictx, dev, &dd));
		CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, dd, false, &type, NULL, 0, NULL, &caps,
						    NULL));
		CHECK_EQ(caps, 0);
		CHECK_EQ(siommu_hwpt_alloc(t.ictx, dd, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &h),
			 -EOPNOTSUPP);
		tfd_teardown(&t);
	}
	munmap(buf, LEN);
	return 0;
}
