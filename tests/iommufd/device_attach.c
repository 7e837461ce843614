/* SPDX-License-Identifier: MIT */
/*
 * Devices and HWPTs against Linux's rules, with device DMA through the
 * unit as the witness:
 *   - bind claims the core device (a second owner is -EBUSY, the DMA API
 *     included); unbind gives it back; removing the core device unbinds;
 *   - attaching to an IOAS makes an automatic HWPT, reused by the next
 *     device, destroyed with its last attachment (its ID -ENOENT);
 *   - DMA reaches the caller's very bytes (reads see them, writes land in
 *     them), faults where nothing is mapped, and stops at once after
 *     unmap or detach; a map after attach reaches the device too;
 *   - replace moves the RID with no blocked window and needs an
 *     attachment; a failed replace keeps the old HWPT;
 *   - PASID rules: PASID-capable HWPT and device, PASID-capable RID
 *     domain, -EBUSY on a second attach, -EINVAL replacing what is not
 *     there, silent detach of nothing, no IOAS at a PASID, -ERANGE
 *     beyond the width, a PASID number another core user holds;
 *   - HWPT_ALLOC errors: flags, wrong object types, unknown IDs;
 *   - GET_HW_INFO: the VT-d CAP/ECAP or SMMUv3 ID registers the unit
 *     reports, types, zeroed extra bytes, PASID width;
 *   - groups: one HWPT for a group's RID (a sibling may attach only to
 *     it), detach of one keeps the group attached for the other, replace
 *     moves the group's bound devices together.
 */
#include <siommu/dma.h>

#include "iommufd_test.h"

static void dma_reaches_bytes(void)
{
	const size_t len = 64 << 10;
	struct tfd t;
	uint8_t *buf = tfd_buf(len, 9), got[4096], put[4096];
	uint64_t iova = 0x400000;
	uint32_t ioas, d0, d1, pt0, pt1;
	struct siommu_iommufd_stats st;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, len, &iova));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[1], &d1));
	/* Blocked until attached. */
	CHECK_EQ(tfd_dma(&t, 0, NOPASID, iova, got, 64, false), -EFAULT);
	pt0 = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt0));
	CHECK(pt0 != ioas);
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, pt0), SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, d0, NOPASID), pt0);
	/* The second device reuses the automatic HWPT. */
	pt1 = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d1, NOPASID, &pt1));
	CHECK_EQ(pt1, pt0);
	CHECK_OK(tfd_dma(&t, 0, NOPASID, iova + 8192, got, sizeof(got), false));
	CHECK(!memcmp(got, buf + 8192, sizeof(got)));
	memset(put, 0x5a, sizeof(put));
	CHECK_OK(tfd_dma(&t, 1, NOPASID, iova + 4096 + 100, put, 200, true));
	CHECK_EQ(buf[4096 + 100], 0x5a);
	CHECK_EQ(buf[4096 + 299], 0x5a);
	CHECK(buf[4096 + 300] != 0x5a || buf[4096 + 99] != 0x5a);
	CHECK_EQ(tfd_dma(&t, 0, NOPASID, iova + len, got, 64, false), -EFAULT);
	/* A map after attach reaches the domain. */
	{
		uint8_t *b2 = tfd_buf(8192, 33);
		uint64_t i2 = 0x900000;

		CHECK_OK(siommu_ioas_map(t.ictx, ioas, SIOMMU_IOAS_MAP_READABLE | FIXED, b2,
					 8192, &i2));
		CHECK_OK(tfd_dma(&t, 1, NOPASID, i2 + 4096, got, 4096, false));
		CHECK(!memcmp(got, b2 + 4096, 4096));
		/* Read-only: a device write faults. */
		CHECK_EQ(tfd_dma(&t, 1, NOPASID, i2, put, 64, true), -EFAULT);
		CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, i2, 8192, NULL));
		CHECK_EQ(tfd_dma(&t, 1, NOPASID, i2, got, 64, false), -EFAULT);
		munmap(b2, 8192);
	}
	/* The automatic HWPT goes with its last attachment. */
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));
	CHECK_EQ(tfd_dma(&t, 0, NOPASID, iova, got, 64, false), -EFAULT);
	CHECK_OK(tfd_dma(&t, 1, NOPASID, iova, got, 64, false));
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, NOPASID));	/* nothing there */
	CHECK_OK(siommu_iommufd_detach(t.ictx, d1, NOPASID));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, pt0), SIOMMU_IOMMUFD_OBJ_NONE);
	CHECK_EQ(siommu_iommufd_obj_destroy(t.ictx, pt0), -ENOENT);
	siommu_iommufd_get_stats(t.ictx, &st);
	CHECK_EQ(st.hwpts, 0);
	/* Unmap stops DMA. */
	pt0 = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt0));
	CHECK_OK(tfd_dma(&t, 0, NOPASID, iova, got, 64, false));
	CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, len, NULL));
	CHECK_EQ(tfd_dma(&t, 0, NOPASID, iova, got, 64, false), -EFAULT);
	CHECK_EQ(siommu_iommufd_detach(t.ictx, 99, NOPASID), -ENOENT);
	tfd_teardown(&t);
	munmap(buf, len);
}

static void release_a(void *cookie, struct siommu_device *dev)
{
	(void)cookie;
	(void)dev;
}

static void owners(void)
{
	struct tfd t;
	struct siommu_ctx *other;
	struct siommu_unit *ou;
	struct siommu_device *od;
	uint8_t *buf = tfd_buf(8192, 1), got[64];
	uint64_t iova = 0x100000;
	uint32_t d0, d0b, ioas, pt;
	int cookie;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	TFD_FAILS(&t, 0, -EBUSY, siommu_iommufd_bind(t.ictx, t.dev[0], &d0b));
	CHECK_EQ(siommu_device_claim(t.dev[0], release_a, &cookie), -EBUSY);
	CHECK_EQ(siommu_dma_setup(t.dev[0], NULL), -EBUSY);
	CHECK_OK(siommu_device_claim(t.dev[1], release_a, &cookie));
	TFD_FAILS(&t, 0, -EBUSY, siommu_iommufd_bind(t.ictx, t.dev[1], &d0b));
	siommu_device_unclaim(t.dev[1], &cookie);
	/* A device of another core context. */
	CHECK_OK(siommu_ctx_create(NULL, &other));
	CHECK_OK(test_unit_add(other, NULL, &ou));
	od = test_dev_add(ou, 0x200, 0, 0);
	TFD_FAILS(&t, 0, -EINVAL, siommu_iommufd_bind(t.ictx, od, &d0b));
	siommu_ctx_destroy(other);
	/* Unbind gives the device back, blocked. */
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 8192, &iova));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	CHECK_OK(siommu_iommufd_unbind(t.ictx, d0));
	CHECK_EQ(siommu_iommufd_unbind(t.ictx, d0), -ENOENT);
	CHECK_EQ(tfd_dma(&t, 0, NOPASID, iova, got, 64, false), -EFAULT);
	CHECK(siommu_device_domain(t.dev[0], 0) == NULL);
	CHECK_OK(siommu_device_claim(t.dev[0], release_a, &cookie));
	siommu_device_unclaim(t.dev[0], &cookie);
	/* Removing the core device unbinds it and drops its HWPT. */
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	pt = ioas;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	siommu_device_remove(t.dev[0]);
	t.dev[0] = NULL;
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, d0), SIOMMU_IOMMUFD_OBJ_NONE);
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, pt), SIOMMU_IOMMUFD_OBJ_NONE);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, ioas));
	tfd_teardown(&t);
	munmap(buf, 8192);
}

static void replace(void)
{
	struct tfd t;
	uint8_t *a = tfd_buf(4096, 10), *b = tfd_buf(4096, 20), got[64];
	uint64_t iova = 0x100000;
	uint32_t ia, ib, d, pa, pb, h;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ia));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ib));
	CHECK_OK(siommu_ioas_map(t.ictx, ia, RW | FIXED, a, 4096, &iova));
	CHECK_OK(siommu_ioas_map(t.ictx, ib, RW | FIXED, b, 4096, &iova));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d));
	pa = ia;
	TFD_FAILS(&t, ia, -EINVAL, siommu_iommufd_replace(t.ictx, d, NOPASID, &pa));
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &pa));
	CHECK_OK(tfd_dma(&t, 0, NOPASID, iova, got, 64, false));
	CHECK(!memcmp(got, a, 64));
	pb = ib;
	CHECK_OK(siommu_iommufd_replace(t.ictx, d, NOPASID, &pb));
	CHECK_OK(tfd_dma(&t, 0, NOPASID, iova, got, 64, false));
	CHECK(!memcmp(got, b, 64));
	/* The old automatic HWPT is gone. */
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, pa), SIOMMU_IOMMUFD_OBJ_NONE);
	/* A failed replace keeps the current HWPT: an IOAS whose areas lie
	 * on the device's interrupt window. */
	{
		uint32_t ic, pc;
		uint64_t msi = tfd_msi_window().start;

		CHECK_OK(siommu_ioas_alloc(t.ictx, &ic));
		CHECK_OK(siommu_ioas_map(t.ictx, ic, RW | FIXED, a, 4096, &msi));
		pc = ic;
		TFD_FAILS(&t, ib, -EADDRINUSE, siommu_iommufd_replace(t.ictx, d, NOPASID, &pc));
		CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, d, NOPASID), pb);
		CHECK_OK(tfd_dma(&t, 0, NOPASID, iova, got, 64, false));
		CHECK(!memcmp(got, b, 64));
	}
	/* Replace to a manual HWPT, which stays after detach. */
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ia, 0, 0, &h));
	CHECK_OK(siommu_iommufd_replace(t.ictx, d, NOPASID, &h));
	CHECK_OK(tfd_dma(&t, 0, NOPASID, iova, got, 64, false));
	CHECK(!memcmp(got, a, 64));
	CHECK_OK(siommu_iommufd_detach(t.ictx, d, NOPASID));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, h), SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	/* Attaching the IOAS does not take a manual HWPT. */
	pa = ia;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &pa));
	CHECK(pa != h);
	tfd_teardown(&t);
	munmap(a, 4096);
	munmap(b, 4096);
}

static void pasids(void)
{
	struct tfd t;
	uint8_t *a = tfd_buf(4096, 40), *b = tfd_buf(4096, 50), got[64];
	uint64_t iova = 0x100000;
	uint32_t ioas, d0, d3, plain, hp, hp2, pt, p;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, a, 4096, &iova));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[3], &d3));	/* no PASID */
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d0, ioas, 0, 0, &plain));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d0, ioas, SIOMMU_HWPT_ALLOC_PASID, 0, &hp));
	pt = ioas;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_attach(t.ictx, d0, 5, &pt));
	pt = plain;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_attach(t.ictx, d0, 5, &pt));
	pt = hp;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_attach(t.ictx, d3, 5, &pt));
	TFD_FAILS(&t, ioas, -ERANGE, siommu_iommufd_attach(t.ictx, d0, 0, &pt));
	TFD_FAILS(&t, ioas, -ERANGE, siommu_iommufd_attach(t.ictx, d0, 1u << 20, &pt));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_replace(t.ictx, d0, 5, &pt));
	/* A device without PASIDs may use a PASID HWPT at its RID. */
	CHECK_OK(siommu_iommufd_attach(t.ictx, d3, NOPASID, &pt));
	/* A RID domain without PASID support forbids PASID attach. */
	p = plain;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, NOPASID, &p));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_attach(t.ictx, d0, 5, &pt));
	p = hp;
	CHECK_OK(siommu_iommufd_replace(t.ictx, d0, NOPASID, &p));
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, 5, &pt));
	CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, d0, 5), hp);
	CHECK_OK(tfd_dma(&t, 0, 5, iova, got, 64, false));
	CHECK(!memcmp(got, a, 64));
	CHECK_EQ(tfd_dma(&t, 0, 6, iova, got, 64, false), -EFAULT);
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_attach(t.ictx, d0, 5, &pt));
	/* With a PASID attached, the RID keeps a PASID-capable domain. */
	p = plain;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_replace(t.ictx, d0, NOPASID, &p));
	/* Replace at the PASID, to another IOAS's HWPT. */
	{
		uint32_t ib;

		CHECK_OK(siommu_ioas_alloc(t.ictx, &ib));
		CHECK_OK(siommu_ioas_map(t.ictx, ib, RW | FIXED, b, 4096, &iova));
		CHECK_OK(siommu_hwpt_alloc(t.ictx, d0, ib, SIOMMU_HWPT_ALLOC_PASID, 0, &hp2));
		p = hp2;
		CHECK_OK(siommu_iommufd_replace(t.ictx, d0, 5, &p));
		CHECK_OK(tfd_dma(&t, 0, 5, iova, got, 64, false));
		CHECK(!memcmp(got, b, 64));
		CHECK_OK(tfd_dma(&t, 0, NOPASID, iova, got, 64, false));
		CHECK(!memcmp(got, a, 64));
		TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, hp2));
	}
	/* A PASID number another user of the core holds. */
	{
		struct siommu_pasid_space *space = siommu_ctx_pasids(t.ctx);
		uint32_t taken;

		CHECK_OK(siommu_pasid_alloc(space, 77, 77, 1, &taken));
		TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_attach(t.ictx, d0, 77, &pt));
		CHECK_OK(siommu_pasid_free(space, 77));
	}
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, 5));
	CHECK_OK(siommu_iommufd_detach(t.ictx, d0, 5));
	CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, d0, 5), 0);
	CHECK_EQ(tfd_dma(&t, 0, 5, iova, got, 64, false), -EFAULT);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, hp2));
	/* Teardown with PASIDs attached. */
	CHECK_OK(siommu_iommufd_attach(t.ictx, d0, 9, &pt));
	tfd_teardown(&t);
	munmap(a, 4096);
	munmap(b, 4096);
}

static void hwpt_alloc_errors(void)
{
	struct tfd t;
	uint32_t ioas, d, h, h2;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_hwpt_alloc(t.ictx, d, ioas, 1u << 4, 0, &h));
	/* Dirty tracking is the first stage's; a nesting parent is second. */
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_hwpt_alloc(t.ictx, d, ioas,
				SIOMMU_HWPT_ALLOC_DIRTY_TRACKING | SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &h));
	/* A fault ID that names no fault object (here: 0, the IOAS). */
	TFD_FAILS(&t, ioas, -ENOENT, siommu_hwpt_alloc(t.ictx, d, ioas,
				SIOMMU_HWPT_FAULT_ID_VALID, 0, &h));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_hwpt_alloc(t.ictx, d, ioas,
				SIOMMU_HWPT_FAULT_ID_VALID, ioas, &h));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_hwpt_alloc(t.ictx, d, 99, 0, 0, &h));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_hwpt_alloc(t.ictx, 99, ioas, 0, 0, &h));
	TFD_FAILS(&t, ioas, -ENOENT, siommu_hwpt_alloc(t.ictx, ioas, ioas, 0, 0, &h));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_hwpt_alloc(t.ictx, d, d, 0, 0, &h));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &h));
	TFD_FAILS(&t, ioas, -EINVAL, siommu_hwpt_alloc(t.ictx, d, h, 0, 0, &h2));
	/* A HWPT is not an attach target of the wrong kind of object. */
	h2 = d;
	TFD_FAILS(&t, ioas, -EINVAL, siommu_iommufd_attach(t.ictx, d, NOPASID, &h2));
	h2 = 99;
	TFD_FAILS(&t, ioas, -ENOENT, siommu_iommufd_attach(t.ictx, d, NOPASID, &h2));
	/* A nesting parent attaches like any paging HWPT. */
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &h));
	tfd_teardown(&t);
}

static void hw_info(void)
{
	struct siommu_hw_info_vtd vi;
	struct siommu_vtd_cfg cfg;
	struct tfd t;
	uint8_t big[64];
	uint32_t d0, d3, type, len;
	uint64_t caps, cap, ecap;
	uint8_t width;

	tfd_setup(&t, UINT64_MAX);
	siommu_vtd_get_cfg(siommu_unit_vtd(t.unit), &cfg);
	CHECK_OK(siommu_vtd_mmio_read(siommu_unit_vtd(t.unit), 0x08, 8, &cap));
	CHECK_OK(siommu_vtd_mmio_read(siommu_unit_vtd(t.unit), 0x10, 8, &ecap));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	CHECK_OK(siommu_iommufd_bind(t.ictx, t.dev[3], &d3));
	CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, d0, false, &type, &vi, sizeof(vi), &len,
					    &caps, &width));
	CHECK_EQ(type, SIOMMU_HW_INFO_TYPE_INTEL_VTD);
	CHECK_EQ(len, sizeof(vi));
	CHECK_EQ(vi.cap_reg, cap);
	CHECK_EQ(vi.ecap_reg, ecap);
	CHECK_EQ(vi.flags, 0);
	CHECK_EQ(caps, SIOMMU_HW_CAP_DIRTY_TRACKING);
	CHECK_EQ(width, 20);
	CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, d3, false, &type, NULL, 0, &len, &caps,
					    &width));
	CHECK_EQ(width, 0);
	CHECK_EQ(len, sizeof(vi));
	/* Extra bytes are zeroed; a short buffer gets the first bytes. */
	memset(big, 0xff, sizeof(big));
	CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, d0, false, &type, big, sizeof(big), &len,
					    NULL, NULL));
	CHECK(!memcmp(big, &vi, sizeof(vi)));
	CHECK_EQ(big[sizeof(vi)], 0);
	CHECK_EQ(big[63], 0);
	memset(big, 0xff, sizeof(big));
	CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, d0, false, &type, big, 12, &len, NULL, NULL));
	CHECK(!memcmp(big, &vi, 12));
	CHECK_EQ(big[12], 0xff);
	/* The type asked for. */
	type = SIOMMU_HW_INFO_TYPE_INTEL_VTD;
	CHECK_OK(siommu_iommufd_get_hw_info(t.ictx, d0, true, &type, NULL, 0, NULL, NULL, NULL));
	type = SIOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	CHECK_EQ(siommu_iommufd_get_hw_info(t.ictx, d0, true, &type, NULL, 0, NULL, NULL, NULL),
		 -EOPNOTSUPP);
	CHECK_EQ(siommu_iommufd_get_hw_info(t.ictx, 99, false, &type, NULL, 0, NULL, NULL, NULL),
		 -ENOENT);
	tfd_teardown(&t);
}

/* GET_HW_INFO on an SMMUv3 unit: its ID registers, as the unit shows
 * them to any reader. */
static void hw_info_smmuv3(void)
{
	struct siommu_hw_info_arm_smmuv3 si;
	struct siommu_smmuv3 *hw;
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_iommufd *ictx;
	uint32_t d, type, len;
	uint64_t caps, v;
	uint8_t width, big[48];
	unsigned int i;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_smmuv3(ctx, NULL, &unit));
	hw = siommu_unit_smmuv3(unit);
	dev = test_dev_add(unit, 0x100, 20, 0);
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = ctx }, &ictx));
	CHECK_OK(siommu_iommufd_bind(ictx, dev, &d));
	memset(&si, 0xff, sizeof(si));
	CHECK_OK(siommu_iommufd_get_hw_info(ictx, d, false, &type, &si, sizeof(si), &len,
					    &caps, &width));
	CHECK_EQ(type, SIOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	CHECK_EQ(len, sizeof(si));
	CHECK_EQ(len, 40);
	CHECK_EQ(si.flags, 0);
	CHECK_EQ(si.__reserved, 0);
	for (i = 0; i < 6; i++) {
		CHECK_OK(siommu_smmuv3_mmio_read(hw, SIOMMU_SMMUV3_IDR0 + 4 * i, 4, &v));
		CHECK_EQ(si.idr[i], v);
	}
	CHECK(si.idr[0] != 0);
	CHECK_OK(siommu_smmuv3_mmio_read(hw, SIOMMU_SMMUV3_IIDR, 4, &v));
	CHECK_EQ(si.iidr, v);
	CHECK_OK(siommu_smmuv3_mmio_read(hw, SIOMMU_SMMUV3_AIDR, 4, &v));
	CHECK_EQ(si.aidr, v);
	CHECK_EQ(caps, 0);
	CHECK_EQ(width, 20);
	memset(big, 0xff, sizeof(big));
	CHECK_OK(siommu_iommufd_get_hw_info(ictx, d, false, &type, big, sizeof(big), &len,
					    NULL, NULL));
	CHECK(!memcmp(big, &si, sizeof(si)));
	CHECK_EQ(big[sizeof(si)], 0);
	type = SIOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	CHECK_OK(siommu_iommufd_get_hw_info(ictx, d, true, &type, NULL, 0, NULL, NULL, NULL));
	type = SIOMMU_HW_INFO_TYPE_INTEL_VTD;
	CHECK_EQ(siommu_iommufd_get_hw_info(ictx, d, true, &type, NULL, 0, NULL, NULL, NULL),
		 -EOPNOTSUPP);
	/* No dirty tracking to offer: a HWPT asking for it is refused. */
	{
		uint32_t ioas, h;

		CHECK_OK(siommu_ioas_alloc(ictx, &ioas));
		CHECK_EQ(siommu_hwpt_alloc(ictx, d, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
					   &h), -EOPNOTSUPP);
	}
	siommu_iommufd_destroy(ictx);
	siommu_ctx_destroy(ctx);
}

static int group_dma(struct tfd *t, uint16_t rid, uint64_t iova, void *buf)
{
	return test_unit_dma_read(t->unit, rid, false, 0, iova, buf, 64, NULL);
}

static void groups(void)
{
	struct tfd t;
	uint8_t *a = tfd_buf(4096, 60), *b = tfd_buf(4096, 70), got[64];
	uint64_t iova = 0x100000;
	uint32_t ia, ib, da, db, pa, pb, h;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ia));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ib));
	CHECK_OK(siommu_ioas_map(t.ictx, ia, RW | FIXED, a, 4096, &iova));
	CHECK_OK(siommu_ioas_map(t.ictx, ib, RW | FIXED, b, 4096, &iova));
	{
		struct siommu_device *d0 = NULL, *d1 = NULL;
		struct siommu_device_info info;

		/* The two group members, by RID. */
		for (unsigned int i = 0; i < 2; i++) {
			struct siommu_device *d;

			CHECK_OK(siommu_device_add(t.unit, &(struct siommu_device_cfg){
				.rid = (uint16_t)(0x310 + 8 * i), .pasid_bits = 20,
				.isolation_key = 9, .alias_rid = SIOMMU_NO_ALIAS }, &d));
			if (i)
				d1 = d;
			else
				d0 = d;
		}
		CHECK_OK(siommu_device_get_info(d0, &info));
		CHECK_EQ(info.group_size, 2);
		CHECK_OK(siommu_iommufd_bind(t.ictx, d0, &da));
		CHECK_OK(siommu_iommufd_bind(t.ictx, d1, &db));
	}
	pa = ia;
	CHECK_OK(siommu_iommufd_attach(t.ictx, da, NOPASID, &pa));
	/* The sibling follows the group's RID domain in the hardware. */
	CHECK_OK(group_dma(&t, 0x318, iova, got));
	CHECK(!memcmp(got, a, 64));
	/* One HWPT per group's RID: the sibling may take only that one. */
	pb = ib;
	TFD_FAILS(&t, ib, -EINVAL, siommu_iommufd_attach(t.ictx, db, NOPASID, &pb));
	pb = ia;
	CHECK_OK(siommu_iommufd_attach(t.ictx, db, NOPASID, &pb));
	CHECK_EQ(pb, pa);
	/* Detaching one keeps the group attached for the other. */
	CHECK_OK(siommu_iommufd_detach(t.ictx, da, NOPASID));
	CHECK_OK(group_dma(&t, 0x310, iova, got));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, pa), SIOMMU_IOMMUFD_OBJ_HWPT_PAGING);
	CHECK_OK(siommu_iommufd_attach(t.ictx, da, NOPASID, &pb));
	/* Replace moves the group's devices together; the old automatic
	 * HWPT goes. */
	CHECK_OK(siommu_hwpt_alloc(t.ictx, da, ib, 0, 0, &h));
	pb = h;
	CHECK_OK(siommu_iommufd_replace(t.ictx, db, NOPASID, &pb));
	CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, da, NOPASID), h);
	CHECK_EQ(siommu_iommufd_attached_hwpt(t.ictx, db, NOPASID), h);
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, pa), SIOMMU_IOMMUFD_OBJ_NONE);
	CHECK_OK(group_dma(&t, 0x310, iova, got));
	CHECK(!memcmp(got, b, 64));
	TFD_FAILS(&t, ib, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, h));
	CHECK_OK(siommu_iommufd_detach(t.ictx, da, NOPASID));
	CHECK_OK(siommu_iommufd_detach(t.ictx, db, NOPASID));
	CHECK_EQ(group_dma(&t, 0x310, iova, got), -EFAULT);
	CHECK_EQ(group_dma(&t, 0x318, iova, got), -EFAULT);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, h));
	tfd_teardown(&t);
	munmap(a, 4096);
	munmap(b, 4096);
}

int main(void)
{
	dma_reaches_bytes();
	owners();
	replace();
	pasids();
	hwpt_alloc_errors();
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		hw_info_smmuv3();
	else
		hw_info();
	groups();
	return 0;
}
