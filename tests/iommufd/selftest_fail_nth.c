/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of IOMMU_TEST_CMD (test mode, through the ioctl entry
 * point): MOCK_DOMAIN on an IOAS with areas (a mock device, its binding,
 * an automatic mock domain mapping the areas), MOCK_DOMAIN_FLAGS onto a
 * HWPT, MOCK_DOMAIN_REPLACE onto a new automatic domain, CREATE_ACCESS,
 * ACCESS_PAGES over two areas, PASID_ATTACH, a nested mock HWPT and a mock
 * vIOMMU. Step 1, 2, 3, ... of each is failed until a run consumes no
 * failure; each failure is -ENOMEM and changes nothing observable
 * (objects, areas, page storage, pins, IOVA ranges, memory held, the
 * attachments and the mock devices behind the unit: a failed MOCK_DOMAIN
 * leaves no device at the RID it tried). Destroying a mock device,
 * closing an access, the checks and the detaches take no step.
 */
#include <errno.h>
#include <unistd.h>

#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/mock.h>

#include "iommufd_test.h"
#include "fail_nth.h"

#define MAX_STEPS 400

static struct siommu_mem *mem;
static struct tfd t;
static struct siommu_unit *mock;
static uint32_t ioas, stdev, idev;
static uint64_t failures;

struct snapshot {
	struct tfd_snapshot s;
	uint32_t att[2];
	unsigned int free_rids;
};

/* Mock RIDs 0..63 that a new device can take (leaked devices hold theirs). */
static unsigned int free_rids(void)
{
	struct siommu_device *dev;
	unsigned int rid, n = 0;

	siommu_mem_fail_nth(mem, 0);
	for (rid = 0; rid < 64; rid++) {
		if (siommu_mock_device_add(mock, (uint16_t)rid, 0, &dev))
			continue;
		siommu_device_remove(dev);
		n++;
	}
	return n;
}

static void snap(struct snapshot *s)
{
	uint64_t armed = siommu_mem_fail_nth(mem, 0);

	memset(s, 0, sizeof(*s));
	tfd_snap(&t, ioas, &s->s);
	if (idev) {
		s->att[0] = siommu_iommufd_attached_hwpt(t.ictx, idev, NOPASID);
		s->att[1] = siommu_iommufd_attached_hwpt(t.ictx, idev, 7);
	}
	s->free_rids = free_rids();
	if (armed)
		siommu_mem_fail_nth(mem, armed);
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	tfd_same(&a->s, &b->s);
	CHECK(!memcmp(a->att, b->att, sizeof(a->att)));
	CHECK_EQ(a->free_rids, b->free_rids);
}

static int test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return siommu_iommufd_ioctl(t.ictx, IOMMU_TEST_CMD, c);
}

int main(void)
{
	uint8_t *buf = tfd_buf(1 << 20, 5);
	struct iommu_test_cmd c;
	uint32_t hwpt, hp, parent, nested, viommu, viommu_data, st2;
	uint64_t iova;
	int afd;

	tfd_setup(&t, UINT64_MAX);
	mem = siommu_ctx_mem(t.ctx);
	siommu_iommufd_destroy(t.ictx);
	CHECK_OK(siommu_unit_add_mock(t.ctx, &mock));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
		.ctx = t.ctx, .user = t.user, .test_unit = mock }, &t.ictx));
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	iova = SIOMMU_MOCK_APERTURE_START;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf, 1 << 16, &iova));
	iova += 1 << 16;
	CHECK_OK(siommu_ioas_map(t.ictx, ioas, RW | FIXED, buf + (1 << 16), 1 << 16, &iova));

	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };
	SWEEP("mock_domain (automatic domain)", test_cmd(&c));
	stdev = c.mock_domain.out_stdev_id;
	idev = c.mock_domain.out_idev_id;
	hwpt = c.mock_domain.out_hwpt_id;
	CHECK_OK(siommu_hwpt_alloc(t.ictx, idev, ioas, SIOMMU_HWPT_ALLOC_PASID, 0, &hp));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = hp,
				     .mock_domain_flags = { .dev_flags =
							    MOCK_FLAGS_DEVICE_PASID } };
	SWEEP("mock_domain_flags (HWPT)", test_cmd(&c));
	st2 = c.mock_domain_flags.out_stdev_id;
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = st2,
				     .mock_domain_replace = { .pt_id = ioas } };
	SWEEP("mock_domain_replace (automatic)", test_cmd(&c));
	/* Back on the PASID HWPT, for PASID attaches. */
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = st2,
				     .mock_domain_replace = { .pt_id = hp } };
	CHECK_OK(test_cmd(&c));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
				     .mock_domain_replace = { .pt_id = hp } };
	SWEEP("mock_domain_replace (HWPT)", test_cmd(&c));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
				     .create_access = {
					.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES } };
	SWEEP("create_access", test_cmd(&c));
	afd = (int)c.create_access.out_access_fd;
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd,
				     .access_pages = { .iova = iova - 4096, .length = 8192,
						       .uptr = (uintptr_t)buf + (1 << 16) - 4096 } };
	SWEEP("access_pages (two areas)", test_cmd(&c));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_PASID_ATTACH, .id = st2,
				     .pasid_attach = { .pasid = 7, .pt_id = hp } };
	SWEEP("pasid_attach", test_cmd(&c));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, idev, ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &parent));
	{
		const struct siommu_hwpt_selftest d = { .iotlb = 5 };

		SWEEP("hwpt_alloc_nested (mock)", siommu_hwpt_alloc_nested(t.ictx,
			&(struct siommu_hwpt_nested_cfg){
				.dev_id = idev, .pt_id = parent,
				.data_type = SIOMMU_HWPT_DATA_SELFTEST, .data = &d,
				.data_len = sizeof(d) }, &nested));
	}
	SWEEP("viommu_alloc (mock)", siommu_viommu_alloc(t.ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST,
							 idev, parent, &viommu));
	{
		struct iommu_viommu_selftest d = { .in_data = 9 };

		SWEEP("viommu_alloc_data (mock, mmap page)",
		      siommu_viommu_alloc_data(t.ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, idev,
					       parent, &d, sizeof(d), &viommu_data));
		CHECK_EQ(d.out_mmap_offset, SIOMMU_PAGE_SIZE);
	}

	/* Checks, detaches, closes and destroys take no step. */
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				     .check_refs = { .length = 1 << 17, .uptr = (uintptr_t)buf,
						     .refs = 1 } };
	NO_STEP(CHECK_OK(test_cmd(&c)));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_PASID_DETACH, .id = st2,
				     .pasid_detach = { .pasid = 7 } };
	NO_STEP(CHECK_OK(test_cmd(&c)));
	NO_STEP(CHECK_OK(siommu_iommufd_access_close(t.ictx, afd)));
	close(afd);
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, viommu)));
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, viommu_data)));
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, nested)));
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, st2)));
	/* The automatic domain went with its last device. */
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, hwpt), SIOMMU_IOMMUFD_OBJ_NONE);
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, stdev)));
	NO_STEP(siommu_iommufd_destroy(t.ictx));
	t.ictx = NULL;
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	fprintf(stderr, "%" PRIu64 " injected failures, each changing nothing\n", failures);
	siommu_iommufd_acct_destroy(t.user);
	siommu_ctx_destroy(t.ctx);
	munmap(buf, 1 << 20);
	return 0;
}
