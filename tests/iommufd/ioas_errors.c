/* SPDX-License-Identifier: MIT */
/*
 * IOAS calls against Linux's errno table, each refused call checked to
 * change nothing (objects, areas, pinned pages, memory, IOVA ranges):
 *   - IDs: from 1, lowest free first, one space for all types; ID 0 and
 *     unknown IDs are -ENOENT;
 *   - MAP / MAP_FILE: flags, length, overflow, overlap, reserved ranges,
 *     alignment once a domain is attached, no room left; IOAS-chosen IOVAs
 *     stay inside allowed ranges, outside reserved ones, never at 0,
 *     aligned to the rounded-up length;
 *   - pinning, lazy as Linux's: unmapped memory and the pin limit fail
 *     the first use that pins (a domain's HWPT, an attach, a MAP into an
 *     IOAS with a domain), not a MAP with no domain;
 *   - UNMAP: whole areas only (cutting one is -ENOENT and removes
 *     nothing, an empty range is -ENOENT), several areas at once report
 *     their bytes, unmap-all always succeeds;
 *   - COPY: the source must be covered by contiguous areas; the copy
 *     shares the storage (nothing pinned twice) and outlives the source;
 *   - IOVA_RANGES: the holes of the reserved ranges, -EMSGSIZE with the
 *     count; ALLOW_IOVAS: bad and overlapping lists, reserved conflicts;
 *   - OPTION: RLIMIT_MODE and HUGE_PAGES rules;
 *   - destroying an IOAS with areas unpins them; destroying one a HWPT
 *     uses is -EBUSY;
 *   - unused registrations of caller memory are bounded, and go with the
 *     context.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_test.h"

static void ids(void)
{
	struct tfd t;
	uint32_t a, b, c, d;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &a));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &b));
	CHECK_EQ(a, 1);
	CHECK_EQ(b, 2);
	TFD_FAILS(&t, 0, -ENOENT, siommu_iommufd_obj_destroy(t.ictx, 0));
	TFD_FAILS(&t, 0, -ENOENT, siommu_iommufd_obj_destroy(t.ictx, 3));
	TFD_FAILS(&t, 0, -ENOENT, siommu_iommufd_obj_destroy(t.ictx, UINT32_MAX));
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, a));
	TFD_FAILS(&t, 0, -ENOENT, siommu_iommufd_obj_destroy(t.ictx, a));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, a), SIOMMU_IOMMUFD_OBJ_NONE);
	/* The lowest free ID, whatever the type. */
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &c));
	CHECK_EQ(c, 1);
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, c), SIOMMU_IOMMUFD_OBJ_DEVICE);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &d));
	CHECK_EQ(d, 3);
	/* A bound device belongs to its binder. */
	TFD_FAILS(&t, 0, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, c));
	tfd_teardown(&t);
}

static void map_errors(void)
{
	const size_t len = 64 << 10;
	struct tfd t;
	uint8_t *buf = tfd_buf(len, 1), *gone;
	uint64_t iova, unmapped;
	uint32_t ioas, dev;

	tfd_setup(&t, 32);		/* 32 pages may be pinned */
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	iova = 0x100000;
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_ioas_map(t.ictx, ioas, RW | 8, buf, 4096, &iova));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, FIXED, buf, 4096, &iova));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 0, &iova));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_map(t.ictx, ioas + 1, RW | FIXED, buf, 4096, &iova));
	iova = UINT64_MAX - 4095;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 4096, &unmapped));
	iova = UINT64_MAX - 4095;
	TFD_FAILS(&t, ioas, -EOVERFLOW, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 8192, &iova));
	TFD_FAILS(&t, ioas, -EOVERFLOW, siommu_ioas_map(t.ictx, ioas, RW, buf, UINT64_MAX / 2, &iova));
	/* Overlap. */
	iova = 0x100000;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 16384, &iova));
	iova = 0x103000;
	TFD_FAILS(&t, ioas, -EEXIST, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	iova = 0xff000;
	TFD_FAILS(&t, ioas, -EEXIST, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 8192, &iova));
	/* Memory the process does not have, and more than the limit: mapped
	 * while no domain needs the pages (nothing pinned or charged), but
	 * a domain's first pin fails, leaving everything as it was. */
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	gone = tfd_buf(8192, 0);
	CHECK_OK(munmap(gone + 4096, 4096));
	iova = 0x200000;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, gone, 8192, &iova));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[1], &dev));
	{
		uint32_t h, pt = ioas;

		TFD_FAILS(&t, ioas, -EFAULT, siommu_hwpt_alloc(t.ictx, dev, ioas, 0, 0, &h));
		TFD_FAILS(&t, ioas, -EFAULT, siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
		CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, dev, NOPASID), 0);
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 8192, NULL));
		iova = 0x200000;
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 33 * 4096, &iova));
		TFD_FAILS(&t, ioas, -ENOMEM, siommu_hwpt_alloc(t.ictx, dev, ioas, 0, 0, &h));
		TFD_FAILS(&t, ioas, -ENOMEM, siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 33 * 4096, NULL));
		/* The first domain pins what the IOAS maps. */
		CHECK_OK(siommu_hwpt_alloc(t.ictx, dev, ioas, 0, 0, &h));
		CHECK_EQ(siommu_iommufd_acct_locked(t.user), 4);
	}
	CHECK_OK(munmap(gone, 4096));
	/* Memory mapped once, unmapped from the IOAS and then from the
	 * process, is checked again. */
	gone = tfd_buf(8192, 0);
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, gone, 8192, &iova));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 8192, NULL));
	CHECK_OK(munmap(gone, 8192));
	TFD_FAILS(&t, ioas, -EFAULT, siommu_ioas_map(t.ictx, ioas, RW | FIXED, gone, 4096, &iova));
	/* Pieces of memory an area maps share its registration. */
	{
		struct siommu_mem_stats a, b;
		uint64_t i2 = 0x300000;

		siommu_mem_get_stats(siommu_ctx_mem(t.ctx), &a);
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + 4096, 4096, &i2));
		siommu_mem_get_stats(siommu_ctx_mem(t.ctx), &b);
		CHECK_EQ(a.nr_regions, b.nr_regions);
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, i2, 4096, NULL));
	}
	/* The pin limit: 4 pages in use, 32 allowed. */
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 4);
	TFD_FAILS(&t, ioas, -ENOMEM, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 29 * 4096,
						     &iova));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 28 * 4096, &iova));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 32);
	/* Pages are pinned per mapping, sub-page lengths whole pages. */
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0, UINT64_MAX, &unmapped));
	CHECK_EQ(unmapped, 16384 + 28 * 4096);
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);

	/* With a domain attached: 4K alignment and the unit's reserved
	 * interrupt window. */
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &dev));
	{
		uint32_t pt = ioas;

		CHECK_OK(siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
	}
	iova = 0x100800;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	iova = 0x100000;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 2048, &iova));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + 2048, 4096,
						     &iova));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW, buf + 2048, 4096, &iova));
	iova = tfd_msi_window().start;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	iova = tfd_msi_window().start - 4096;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 8192, &iova));
	/* Beyond the domain's aperture. */
	iova = tfd_aperture_last() + 1;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	tfd_teardown(&t);
	munmap(buf, len);
}

/* The 16M block around the interrupt window. */
static struct siommu_iova_range msi_16m(void)
{
	uint64_t start = tfd_msi_window().start & ~0xffffffull;

	return (struct siommu_iova_range){ start, start | 0xffffff };
}

static void auto_iova(void)
{
	struct siommu_iova_range allow[2] = {
		{ 0x10000000, 0x1000ffff }, { 0x40000000, 0x7fffffff },
	};
	const size_t len = 1 << 20;
	struct tfd t;
	uint8_t *buf = tfd_buf(len, 2);
	uint64_t iova, lens[] = { 4096, 8192, 12288, 65536, 1 << 20 };
	uint32_t ioas, dev, pt;
	unsigned int i;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	for (i = 0; i < 5; i++) {
		uint64_t a = 4096;

		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW, buf, lens[i], &iova));
		while (a < lens[i])
			a *= 2;
		CHECK(iova);
		CHECK_EQ(iova & (a - 1), 0);
	}
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0, UINT64_MAX, NULL));
	CHECK_OK(siommu_ioas_allow_iovas(t.ictx, ioas, allow, 2));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &dev));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
	for (i = 0; i < 64; i++) {
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW, buf, 4096, &iova));
		CHECK((iova >= allow[0].start && iova + 4095 <= allow[0].last) ||
		      (iova >= allow[1].start && iova + 4095 <= allow[1].last));
		CHECK(iova + 4095 < tfd_msi_window().start || iova > tfd_msi_window().last);
	}
	/* 16 pages fit in the first range: the rest went to the second. */
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW, buf, 1 << 20, &iova));
	CHECK_EQ(iova & ((1 << 20) - 1), 0);
	CHECK(iova >= allow[1].start);
	CHECK_OK(siommu_ioas_allow_iovas(t.ictx, ioas, allow, 1));
	TFD_FAILS(&t, ioas, -ENOSPC, siommu_ioas_map(t.ictx, ioas, RW, buf, 4096, &iova));
	tfd_teardown(&t);
	munmap(buf, len);
}

static void unmap_rules(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(1 << 20, 3);
	uint64_t iova, unmapped;
	uint32_t ioas;
	unsigned int i;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0, UINT64_MAX, &unmapped));
	CHECK_EQ(unmapped, 0);
	/* Areas at 1M, 1M+16K, 1M+32K, 16K each. */
	for (i = 0; i < 3; i++) {
		iova = 0x100000 + i * 16384;
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + i * 16384, 16384, &iova));
	}
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_unmap(t.ictx, ioas, 0x200000, 4096, &unmapped));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_unmap(t.ictx, ioas, 0x100000, 4096, &unmapped));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_unmap(t.ictx, ioas, 0x101000, 16384, &unmapped));
	/* Covers the first two whole, cuts the third: nothing goes. */
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_unmap(t.ictx, ioas, 0x100000, 0x9000, &unmapped));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_unmap(t.ictx, ioas, 0x100000, 0, &unmapped));
	TFD_FAILS(&t, ioas, -EOVERFLOW, siommu_ioas_unmap(t.ictx, ioas, 2, UINT64_MAX, &unmapped));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_unmap(t.ictx, ioas + 1, 0, UINT64_MAX, &unmapped));
	/* The superset rule: a range holding two whole areas and a hole. */
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0xf0000, 0x18000, &unmapped));
	CHECK_EQ(unmapped, 32768);
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0, UINT64_MAX, &unmapped));
	CHECK_EQ(unmapped, 16384);
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	tfd_teardown(&t);
	munmap(buf, 1 << 20);
}

static void copy_rules(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(1 << 20, 4);
	uint64_t iova, dst;
	uint32_t a, b, ha;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &a));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &b));
	/* Domains on both: their storage is pinned. */
	ha = tfd_domain(&t, 0, a);
	tfd_domain(&t, 1, b);
	iova = 0x100000;
	CHECK_OK(siommu_ioas_map(t.ictx, a, RW | FIXED, buf, 16384, &iova));
	iova = 0x104000;
	CHECK_OK(siommu_ioas_map(t.ictx, a, RW | FIXED, buf + 65536, 16384, &iova));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 8);
	dst = 0x500000;
	TFD_FAILS(&t, b, -ENOENT, siommu_ioas_copy(t.ictx, b, a, RW | FIXED, 0x200000, 4096, &dst));
	TFD_FAILS(&t, b, -ENOENT, siommu_ioas_copy(t.ictx, b, a, RW | FIXED, 0x106000, 0x4000, &dst));
	TFD_FAILS(&t, b, -ENOENT, siommu_ioas_copy(t.ictx, b, 9, RW | FIXED, 0x100000, 4096, &dst));
	TFD_FAILS(&t, b, -ENOENT, siommu_ioas_copy(t.ictx, 9, a, RW | FIXED, 0x100000, 4096, &dst));
	TFD_FAILS(&t, b, -EOPNOTSUPP, siommu_ioas_copy(t.ictx, b, a, RW | 64, 0x100000, 4096, &dst));
	TFD_FAILS(&t, b, -EINVAL, siommu_ioas_copy(t.ictx, b, a, FIXED, 0x100000, 4096, &dst));
	TFD_FAILS(&t, b, -EOVERFLOW, siommu_ioas_copy(t.ictx, b, a, RW, UINT64_MAX, 4096, &dst));
	/* A sub-range across both areas at an offset: two new areas, no new
	 * pins. */
	CHECK_OK(siommu_ioas_copy(t.ictx, b, a, RW | FIXED, 0x102000, 0x4000, &dst));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 8);
	{
		struct siommu_iommufd_stats st;

		siommu_iommufd_get_stats(t.ictx, &st);
		CHECK_EQ(st.areas, 4);
		CHECK_EQ(st.page_stores, 2);
	}
	/* Whole areas of the copy only, as for any area. */
	TFD_FAILS(&t, b, -ENOENT, siommu_ioas_unmap(t.ictx, b, dst, 0x1000, NULL));
	TFD_FAILS(&t, b, -EEXIST, siommu_ioas_copy(t.ictx, b, a, RW | FIXED, 0x100000, 4096, &dst));
	/* The copy keeps the storage after the source goes. */
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, ha));
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, a));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 8);
	CHECK_OK(siommu_ioas_unmap(t.ictx, b, dst, 0x2000, NULL));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 4);
	tfd_teardown(&t);
	munmap(buf, 1 << 20);
}

static void ranges(void)
{
	struct siommu_iova_range r[8];
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 5);
	uint64_t align, iova;
	uint32_t ioas, n, dev, pt;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	n = 8;
	CHECK_OK(siommu_ioas_iova_ranges(t.ictx, ioas, r, &n, &align));
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].start, 0);
	CHECK_EQ(r[0].last, UINT64_MAX);
	CHECK_EQ(align, 1);
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &dev));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
	n = 8;
	CHECK_OK(siommu_ioas_iova_ranges(t.ictx, ioas, r, &n, &align));
	CHECK_EQ(n, 2);
	CHECK_EQ(r[0].start, 0);
	CHECK_EQ(r[0].last, tfd_msi_window().start - 1);
	CHECK_EQ(r[1].start, tfd_msi_window().last + 1);
	CHECK_EQ(r[1].last, tfd_aperture_last());
	CHECK_EQ(align, 4096);
	n = 1;
	TFD_FAILS(&t, ioas, -EMSGSIZE, siommu_ioas_iova_ranges(t.ictx, ioas, r, &n, &align));
	CHECK_EQ(n, 2);
	n = 0;
	CHECK_EQ(siommu_ioas_iova_ranges(t.ictx, ioas, NULL, &n, NULL), -EMSGSIZE);
	CHECK_EQ(n, 2);
	n = 8;
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_iova_ranges(t.ictx, 77, r, &n, &align));
	/* Allowed lists. */
	r[0] = (struct siommu_iova_range){ 0x1000, 0x1000 };
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_allow_iovas(t.ictx, ioas, r, 1));
	r[0] = (struct siommu_iova_range){ 0x1000, 0x4fff };
	r[1] = (struct siommu_iova_range){ 0x4000, 0x8fff };
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_allow_iovas(t.ictx, ioas, r, 2));
	r[1] = msi_16m();
	TFD_FAILS(&t, ioas, -EADDRINUSE, siommu_ioas_allow_iovas(t.ictx, ioas, r, 2));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_ioas_allow_iovas(t.ictx, 77, r, 1));
	CHECK_OK(siommu_ioas_allow_iovas(t.ictx, ioas, r, 1));
	/* Fixed IOVAs ignore the allowed list. */
	iova = 0x100000;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	CHECK_OK(siommu_ioas_allow_iovas(t.ictx, ioas, NULL, 0));
	/* A device whose reserved window meets an area, or the allowed
	 * list, cannot join the IOAS. */
	CHECK_OK(siommu_iommufd_detach(t.ictx, dev, NOPASID));
	n = 8;
	CHECK_OK(siommu_ioas_iova_ranges(t.ictx, ioas, r, &n, &align));
	CHECK_EQ(n, 1);
	iova = tfd_msi_window().start;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 4096, &iova));
	pt = ioas;
	TFD_FAILS(&t, ioas, -EADDRINUSE, siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 4096, NULL));
	r[0] = msi_16m();
	CHECK_OK(siommu_ioas_allow_iovas(t.ictx, ioas, r, 1));
	TFD_FAILS(&t, ioas, -EADDRINUSE, siommu_iommufd_attach(t.ictx, dev, NOPASID, &pt));
	tfd_teardown(&t);
	munmap(buf, 65536);
}

/* A user's bucket @u and a process's @p hold exactly these figures. */
static void acct_is(struct siommu_iommufd_acct *u, struct siommu_iommufd_acct *p,
		    uint64_t user_locked, uint64_t proc_locked, uint64_t pinned)
{
	CHECK_EQ(siommu_iommufd_acct_locked(u), user_locked);
	CHECK_EQ(siommu_iommufd_acct_locked(p), proc_locked);
	CHECK_EQ(siommu_iommufd_acct_pinned_vm(p), pinned);
	CHECK_EQ(siommu_iommufd_acct_pinned_vm(u), 0);
}

static void options(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 6);
	uint64_t v, iova;
	uint32_t ioas;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_iommufd_option(t.ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE,
				       SIOMMU_IOMMUFD_OPTION_OP_GET, 0, &v));
	CHECK_EQ(v, 0);
	v = 1;
	TFD_FAILS(&t, ioas, -EPERM, siommu_iommufd_option(t.ictx,
		  SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE, SIOMMU_IOMMUFD_OPTION_OP_SET, 0, &v));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_iommufd_option(t.ictx,
		  SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE, SIOMMU_IOMMUFD_OPTION_OP_GET, ioas, &v));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_iommufd_option(t.ictx, 2,
		  SIOMMU_IOMMUFD_OPTION_OP_GET, 0, &v));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_iommufd_option(t.ictx,
		  SIOMMU_IOMMUFD_OPTION_HUGE_PAGES, 2, ioas, &v));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_option(t.ictx,
		  SIOMMU_IOMMUFD_OPTION_HUGE_PAGES, SIOMMU_IOMMUFD_OPTION_OP_GET, 0, &v));
	CHECK_OK(siommu_iommufd_option(t.ictx, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES,
				       SIOMMU_IOMMUFD_OPTION_OP_GET, ioas, &v));
	CHECK_EQ(v, 1);
	v = 2;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_option(t.ictx,
		  SIOMMU_IOMMUFD_OPTION_HUGE_PAGES, SIOMMU_IOMMUFD_OPTION_OP_SET, ioas, &v));
	/* Large pages off raises the alignment to 4K: a misaligned area
	 * forbids it. */
	iova = 0x100800;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + 2048, 2048, &iova));
	v = 0;
	TFD_FAILS(&t, ioas, -EADDRINUSE, siommu_iommufd_option(t.ictx,
		  SIOMMU_IOMMUFD_OPTION_HUGE_PAGES, SIOMMU_IOMMUFD_OPTION_OP_SET, ioas, &v));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 2048, NULL));
	CHECK_OK(siommu_iommufd_option(t.ictx, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES,
				       SIOMMU_IOMMUFD_OPTION_OP_SET, ioas, &v));
	{
		struct siommu_iova_range r;
		uint32_t n = 1;

		CHECK_OK(siommu_ioas_iova_ranges(t.ictx, ioas, &r, &n, &v));
		CHECK_EQ(v, 4096);
	}
	tfd_teardown(&t);

	/* With the capability, the mode changes while the context is empty.
	 * Pages are charged in the mode in force at their MAP, when a domain
	 * first pins them. */
	memset(&t, 0, sizeof(t));
	CHECK_OK(siommu_ctx_create(NULL, &t.ctx));
	CHECK_OK(test_unit_add(t.ctx, NULL, &t.unit));
	t.dev[0] = test_dev_add(t.unit, tfd_rid(0), 20, 0);
	t.dev[1] = test_dev_add(t.unit, tfd_rid(1), 20, 0);
	{
		struct siommu_iommufd_acct *u, *p;
		struct siommu_iommufd *ictx;
		uint32_t ioas2, ioas3;
		uint64_t iova2 = 0;

		CHECK_OK(siommu_iommufd_acct_create(UINT64_MAX, &u));
		CHECK_OK(siommu_iommufd_acct_create(UINT64_MAX, &p));
		CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
			.ctx = t.ctx, .user = u, .process = p, .cap_sys_resource = true },
			&ictx));

		/* Mode 0: the user's locked pages and the process's pinned
		 * ones; a page shared by COPY once, each MAP of it again; the
		 * limit bounds the locked pages. */
		CHECK_OK(siommu_ioas_alloc(ictx, &ioas2));
		CHECK_OK(siommu_ioas_alloc(ictx, &ioas3));
		iova = 0x100000;
		CHECK_OK(siommu_ioas_map(ictx, ioas2, RW | FIXED, buf, 8192, &iova));
		acct_is(u, p, 0, 0, 0);
		tfd_domain_of(ictx, t.dev[0], ioas2, NULL);
		acct_is(u, p, 2, 0, 2);
		tfd_domain_of(ictx, t.dev[1], ioas3, NULL);
		CHECK_OK(siommu_ioas_copy(ictx, ioas3, ioas2, RW, iova, 8192, &iova2));
		acct_is(u, p, 2, 0, 2);
		iova2 = 0;
		CHECK_OK(siommu_ioas_map(ictx, ioas3, RW, buf, 4096, &iova2));
		acct_is(u, p, 3, 0, 3);
		siommu_iommufd_acct_set_limit(u, 4);
		CHECK_EQ(siommu_iommufd_acct_limit(u), 4);
		iova2 = 0;
		CHECK_EQ(siommu_ioas_map(ictx, ioas3, RW, buf, 8192, &iova2), -ENOMEM);
		acct_is(u, p, 3, 0, 3);
		siommu_iommufd_acct_set_limit(u, UINT64_MAX);
		CHECK_OK(siommu_ioas_unmap(ictx, ioas2, 0, UINT64_MAX, NULL));
		acct_is(u, p, 3, 0, 3);
		/* Closing gives every page back; the mode changes in a new
		 * context, while it is empty. */
		siommu_iommufd_destroy(ictx);
		acct_is(u, p, 0, 0, 0);
		CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
			.ctx = t.ctx, .user = u, .process = p, .cap_sys_resource = true },
			&ictx));

		v = 2;
		CHECK_EQ(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE,
					       SIOMMU_IOMMUFD_OPTION_OP_SET, 0, &v), -EINVAL);
		v = 1;
		CHECK_OK(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE,
					       SIOMMU_IOMMUFD_OPTION_OP_SET, 0, &v));
		CHECK_OK(siommu_ioas_alloc(ictx, &ioas));
		iova = 0x100000;
		CHECK_OK(siommu_ioas_map(ictx, ioas, RW | FIXED, buf, 8192, &iova));
		acct_is(u, p, 0, 0, 0);
		tfd_domain_of(ictx, t.dev[0], ioas, NULL);
		/* Mode 1: the process's locked pages, and its pinned ones. */
		acct_is(u, p, 0, 2, 2);
		v = 0;
		CHECK_EQ(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE,
					       SIOMMU_IOMMUFD_OPTION_OP_SET, 0, &v), -EBUSY);
		/* Linux's order: the object, the op, the objects, the value. */
		v = 2;
		CHECK_EQ(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE,
					       SIOMMU_IOMMUFD_OPTION_OP_SET, 0, &v), -EBUSY);
		CHECK_EQ(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE, 2, 0, &v),
			 -EOPNOTSUPP);
		CHECK_EQ(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE, 2, ioas,
					       &v), -EOPNOTSUPP);
		CHECK_EQ(siommu_iommufd_option(ictx, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES, 2, 99, &v),
			 -ENOENT);
		CHECK_EQ(v, 2);
		siommu_iommufd_destroy(ictx);
		acct_is(u, p, 0, 0, 0);
		siommu_iommufd_acct_destroy(u);
		siommu_iommufd_acct_destroy(p);
	}
	siommu_ctx_destroy(t.ctx);
	munmap(buf, 65536);
}

static void map_file(void)
{
	const size_t len = 65536;
	struct tfd t;
	uint64_t iova;
	uint32_t ioas;
	int fd = memfd_create("iommufd-test", 0), ro;
	char path[64];

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, len));
	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	iova = 0x100000;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, fd, 61440,
							  8192, &iova));
	TFD_FAILS(&t, ioas, -EBADF, siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, -1, 0, 4096,
							 &iova));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, fd, 0, 0,
							  &iova));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	if (ro >= 0) {
		TFD_FAILS(&t, ioas, -EPERM, siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, ro, 0,
								 4096, &iova));
		CHECK_OK(siommu_ioas_map_file(t.ictx, ioas, SIOMMU_IOAS_MAP_READABLE | FIXED,
					      ro, 0, 4096, &iova));
		close(ro);
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 4096, NULL));
	}
	CHECK_OK(siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, fd, 4096, 16384, &iova));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	tfd_domain(&t, 0, ioas);
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 4);
	close(fd);
	tfd_teardown(&t);
}

static void destroy_rules(void)
{
	struct tfd t;
	uint8_t *buf = tfd_buf(65536, 7);
	uint64_t iova;
	uint32_t ioas, dev, hwpt;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	iova = 0x100000;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 65536, &iova));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &dev));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, dev, ioas, 0, 0, &hwpt));
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, ioas));
	CHECK_OK(siommu_iommufd_attach(t.ictx, dev, NOPASID, &hwpt));
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, hwpt));
	CHECK_OK(siommu_iommufd_detach(t.ictx, dev, NOPASID));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 16);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, hwpt));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, ioas));
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	/* Closing with everything in place tears it down, leaves first. */
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 65536, &iova));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, dev, ioas, 0, 0, &hwpt));
	CHECK_OK(siommu_iommufd_attach(t.ictx, dev, NOPASID, &hwpt));
	tfd_teardown(&t);
	munmap(buf, 65536);
}

/* Unused registrations of caller memory are kept for reuse, but only a
 * few: mapping many buffers one after the other leaves at most
 * IFD_REG_CACHE (16) regions behind, and closing removes them all. */
static void registration_cache(void)
{
	struct siommu_mem_stats before, after;
	struct tfd t;
	uint8_t *b[40];
	uint64_t iova;
	uint32_t ioas;
	unsigned int i;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	/* A domain pins, and so registers, what the IOAS maps. */
	tfd_domain(&t, 0, ioas);
	siommu_mem_get_stats(siommu_ctx_mem(t.ctx), &before);
	for (i = 0; i < 40; i++) {
		b[i] = tfd_buf(8192, (uint8_t)i);
		iova = 0x100000;
		CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, b[i], 8192, &iova));
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 8192, NULL));
	}
	siommu_mem_get_stats(siommu_ctx_mem(t.ctx), &after);
	CHECK(after.nr_regions <= before.nr_regions + 17);
	CHECK(after.nr_regions > before.nr_regions);
	siommu_iommufd_destroy(t.ictx);
	t.ictx = NULL;
	siommu_mem_get_stats(siommu_ctx_mem(t.ctx), &after);
	CHECK_EQ(after.nr_regions, before.nr_regions);
	siommu_iommufd_acct_destroy(t.user);
	siommu_ctx_destroy(t.ctx);
	for (i = 0; i < 40; i++)
		munmap(b[i], 8192);
}

int main(void)
{
	ids();
	map_errors();
	auto_iova();
	unmap_rules();
	copy_rules();
	ranges();
	options();
	map_file();
	destroy_rules();
	registration_cache();
	return 0;
}
