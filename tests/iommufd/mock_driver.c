/* SPDX-License-Identifier: MIT */
/*
 * The mock unit (siommu/mock.h) through the core and the iommufd object
 * model:
 *   - a mock paging domain's own table: 2 KiB pages, the aperture
 *     [1 << 24, 2^31 - 1], all-or-nothing maps (-EEXIST, -EINVAL,
 *     -ERANGE), unmaps that count what they removed, against a flat
 *     oracle of every mock page;
 *   - an IOAS with a mock HWPT reports the aperture and 2 KiB alignment,
 *     maps memory at 2 KiB offsets in its pages, and the table maps each
 *     mock page to the caller's byte;
 *   - hardware info (type 0xfeedbeef, test_reg, dirty capability unless
 *     NO_DIRTY, PASID width 20 or 0);
 *   - dirty bits per mock page, read and cleared through GET_DIRTY_BITMAP;
 *     a NO_DIRTY device cannot attach to a dirty-tracking HWPT;
 *   - a HUGE_IOVA device's domains map 1 MiB leaves where IOVA and address
 *     line up: one dirty bit reported as the leaf's every mock page, a
 *     split by a partial unmap leaving small leaves dirty as the leaf was;
 *     other devices' domains take 2 KiB pages only;
 *   - nested domains: the IOTLB starts at the user's value, invalidations
 *     clear one entry or all, with the selftest's errnos;
 *   - the reserved PASID fails every second attach there with -ENOMEM and
 *     leaves the old HWPT in place;
 *   - page requests reach the fault queue of the attached HWPT;
 *   - the mock vIOMMU's driver data and the page it reports for mmap of
 *     the iommufd fd: Linux's checks, the owner busy while mapped, a
 *     context closed with a mapping held;
 *   - the DMA API refuses the mock unit.
 */
#include <siommu/dma.h>
#include <siommu/iommufd_test.h>
#include <siommu/mock.h>

#include "iommufd_test.h"

#define MPS SIOMMU_MOCK_PAGE_SIZE
#define NPAGES 64

struct mt {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *pasid_dev, *plain_dev, *nodirty_dev, *huge_dev;
	struct siommu_iommufd *ictx;
};

static void mt_setup(struct mt *m)
{
	CHECK_OK(siommu_ctx_create(NULL, &m->ctx));
	CHECK_OK(siommu_unit_add_mock(m->ctx, &m->unit));
	CHECK_OK(siommu_mock_device_add(m->unit, 1, SIOMMU_MOCK_DEV_PASID, &m->pasid_dev));
	CHECK_OK(siommu_mock_device_add(m->unit, 2, 0, &m->plain_dev));
	CHECK_OK(siommu_mock_device_add(m->unit, 3, SIOMMU_MOCK_DEV_NO_DIRTY, &m->nodirty_dev));
	CHECK_EQ(siommu_mock_device_add(m->unit, 1, 0, &(struct siommu_device *){ NULL }),
		 -EEXIST);
	CHECK_OK(siommu_mock_device_add(m->unit, 5, SIOMMU_MOCK_DEV_HUGE_IOVA, &m->huge_dev));
	CHECK_EQ(siommu_mock_device_add(m->unit, 4, 1u << 3, &(struct siommu_device *){ NULL }),
		 -EINVAL);
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = m->ctx }, &m->ictx));
}

/* The table against a flat oracle of mock pages, random maps and unmaps. */
static void table_oracle(struct mt *m)
{
	const uint64_t base = SIOMMU_MOCK_APERTURE_START;
	uint64_t oracle[NPAGES] = { 0 }, pa, unmapped;
	struct siommu_domain *dom;
	struct test_rng r = test_rng_init(7);
	unsigned int i, op, first, n, k;
	int ret, want;

	CHECK_OK(siommu_domain_alloc(m->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	CHECK(siommu_domain_pt(dom) == NULL);
	/* Boundaries: alignment, the aperture on both sides, permissions. */
	CHECK_EQ(siommu_domain_map(dom, base + 1024, 0x800, MPS, SIOMMU_PROT_READ), -EINVAL);
	CHECK_EQ(siommu_domain_map(dom, base, 0x400, MPS, SIOMMU_PROT_READ), -EINVAL);
	CHECK_EQ(siommu_domain_map(dom, base, 0x800, 0, SIOMMU_PROT_READ), -EINVAL);
	CHECK_EQ(siommu_domain_map(dom, base, 0x800, MPS, 0), -EINVAL);
	CHECK_EQ(siommu_domain_map(dom, base - MPS, 0x800, MPS, SIOMMU_PROT_READ), -ERANGE);
	CHECK_EQ(siommu_domain_map(dom, SIOMMU_MOCK_APERTURE_LAST + 1 - MPS, 0x800, 2 * MPS,
				   SIOMMU_PROT_READ), -ERANGE);
	CHECK_OK(siommu_domain_map(dom, SIOMMU_MOCK_APERTURE_LAST + 1 - MPS, 0x800, MPS,
				   SIOMMU_PROT_READ));
	CHECK_OK(siommu_mock_domain_iova_to_phys(dom, SIOMMU_MOCK_APERTURE_LAST, &pa));
	CHECK_EQ(pa, 0x800 + MPS - 1);
	CHECK_OK(siommu_domain_unmap(dom, SIOMMU_MOCK_APERTURE_LAST + 1 - MPS, MPS, &unmapped));
	CHECK_EQ(unmapped, MPS);

	for (op = 0; op < 2000; op++) {
		first = (unsigned int)(test_rand(&r) % NPAGES);
		n = 1 + (unsigned int)(test_rand(&r) % (NPAGES - first));
		if (test_rand(&r) % 2) {
			uint64_t at = 0x100000 + (test_rand(&r) % 1024) * MPS;

			want = 0;
			for (k = first; k < first + n; k++)
				if (oracle[k])
					want = -EEXIST;
			ret = siommu_domain_map(dom, base + first * MPS, at, n * MPS,
						SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
			CHECK_EQ(ret, want);
			for (k = first; !ret && k < first + n; k++)
				oracle[k] = at + (k - first) * MPS;
		} else {
			uint64_t want_bytes = 0;

			for (k = first; k < first + n; k++) {
				want_bytes += oracle[k] ? MPS : 0;
				oracle[k] = 0;
			}
			CHECK_OK(siommu_domain_unmap(dom, base + first * MPS, n * MPS, &unmapped));
			CHECK_EQ(unmapped, want_bytes);
		}
		for (i = 0; i < NPAGES; i++) {
			ret = siommu_mock_domain_iova_to_phys(dom, base + i * MPS + 5, &pa);
			if (oracle[i]) {
				CHECK_OK(ret);
				CHECK_EQ(pa, oracle[i] + 5);
			} else {
				CHECK_EQ(ret, -ENOENT);
			}
		}
	}
	CHECK_OK(siommu_domain_unmap(dom, base, NPAGES * MPS, NULL));
	CHECK_OK(siommu_domain_free(dom));
}

/* An IOAS with a mock HWPT: geometry, 2 KiB offsets, the table's bytes. */
static void ioas_geometry(struct mt *m)
{
	struct siommu_iova_range ranges[4];
	uint32_t dev, ioas, hwpt, num = 4;
	uint64_t align, iova, pa;
	struct siommu_domain *dom;
	uint8_t *buf = tfd_buf(16 * 4096, 1);
	unsigned int i;

	CHECK_OK(siommu_iommufd_bind(m->ictx, m->plain_dev, &dev));
	CHECK_OK(siommu_ioas_alloc(m->ictx, &ioas));
	hwpt = ioas;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, SIOMMU_IOMMUFD_NO_PASID, &hwpt));
	CHECK_OK(siommu_ioas_iova_ranges(m->ictx, ioas, ranges, &num, &align));
	CHECK_EQ(num, 1);
	CHECK_EQ(ranges[0].start, SIOMMU_MOCK_APERTURE_START);
	CHECK_EQ(ranges[0].last, SIOMMU_MOCK_APERTURE_LAST);
	CHECK_EQ(align, MPS);

	/* Half a host page in: the IOVA keeps the offset. */
	CHECK_OK(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_READABLE |
				 SIOMMU_IOAS_MAP_WRITEABLE, buf + MPS, 5 * MPS, &iova));
	CHECK_EQ(iova % 4096, MPS);
	CHECK(iova >= SIOMMU_MOCK_APERTURE_START && iova + 5 * MPS - 1 <= SIOMMU_MOCK_APERTURE_LAST);
	dom = siommu_device_domain(m->plain_dev, 0);
	for (i = 0; i < 5; i++) {
		CHECK_OK(siommu_mock_domain_iova_to_phys(dom, iova + i * MPS + 3, &pa));
		CHECK(siommu_mem_host(siommu_ctx_mem(m->ctx), pa, 1) == buf + MPS + i * MPS + 3);
	}
	CHECK_EQ(siommu_mock_domain_iova_to_phys(dom, iova + 5 * MPS, &pa), -ENOENT);
	/* A domain of 2 KiB pages only still has IOAS-chosen IOVAs aligned
	 * to their rounded-up length. */
	for (i = 1; i <= 16; i *= 2) {
		uint64_t at;

		CHECK_OK(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_READABLE, buf,
					 i * 4096, &at));
		CHECK_EQ(at % (i * 4096), 0);
		CHECK_OK(siommu_ioas_unmap(m->ictx, ioas, at, i * 4096, NULL));
	}
	/* Misaligned, outside the aperture. */
	iova = SIOMMU_MOCK_APERTURE_START + 1024;
	CHECK_EQ(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE, buf, MPS, &iova), -EINVAL);
	iova = SIOMMU_MOCK_APERTURE_START - MPS;
	CHECK_EQ(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE, buf, MPS, &iova), -EINVAL);
	iova = SIOMMU_MOCK_APERTURE_START;
	CHECK_OK(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE, buf + 3 * MPS, MPS, &iova));
	CHECK_OK(siommu_mock_domain_iova_to_phys(dom, iova, &pa));
	CHECK(siommu_mem_host(siommu_ctx_mem(m->ctx), pa, 1) == buf + 3 * MPS);
	CHECK_OK(siommu_ioas_unmap(m->ictx, ioas, 0, UINT64_MAX, NULL));
	CHECK_EQ(siommu_mock_domain_iova_to_phys(dom, iova, &pa), -ENOENT);
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, ioas));
	munmap(buf, 16 * 4096);
}

static void hw_info(struct mt *m)
{
	struct siommu_mock_hw_info info;
	uint32_t dev, type = 0, len;
	uint64_t caps;
	uint8_t pasid_log2;

	CHECK_OK(siommu_iommufd_bind(m->ictx, m->pasid_dev, &dev));
	CHECK_OK(siommu_iommufd_get_hw_info(m->ictx, dev, false, &type, &info, sizeof(info),
					    &len, &caps, &pasid_log2));
	CHECK_EQ(type, SIOMMU_HW_INFO_TYPE_SELFTEST);
	CHECK_EQ(len, sizeof(info));
	CHECK_EQ(info.flags, 0);
	CHECK_EQ(info.test_reg, SIOMMU_MOCK_TEST_REG);
	CHECK_EQ(caps, SIOMMU_HW_CAP_DIRTY_TRACKING);
	CHECK_EQ(pasid_log2, SIOMMU_MOCK_PASID_WIDTH);
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_bind(m->ictx, m->nodirty_dev, &dev));
	CHECK_OK(siommu_iommufd_get_hw_info(m->ictx, dev, false, &type, &info, sizeof(info),
					    &len, &caps, &pasid_log2));
	CHECK_EQ(caps, 0);
	CHECK_EQ(pasid_log2, 0);
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
}

/* Dirty bits per mock page through GET_DIRTY_BITMAP. */
static void dirty(struct mt *m)
{
	uint32_t dev, nd, ioas, hwpt, at;
	uint64_t iova = SIOMMU_MOCK_APERTURE_START, nr, map[2];
	uint8_t *buf = tfd_buf(32 * MPS, 2);
	struct siommu_domain *dom;

	CHECK_OK(siommu_iommufd_bind(m->ictx, m->plain_dev, &dev));
	CHECK_OK(siommu_iommufd_bind(m->ictx, m->nodirty_dev, &nd));
	CHECK_OK(siommu_ioas_alloc(m->ictx, &ioas));
	CHECK_OK(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE, buf,
				 32 * MPS, &iova));
	CHECK_EQ(siommu_hwpt_alloc(m->ictx, nd, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &hwpt),
		 -EOPNOTSUPP);
	CHECK_OK(siommu_hwpt_alloc(m->ictx, dev, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &hwpt));
	at = hwpt;
	CHECK_EQ(siommu_iommufd_attach(m->ictx, nd, SIOMMU_IOMMUFD_NO_PASID, &at), -EINVAL);
	at = hwpt;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, SIOMMU_IOMMUFD_NO_PASID, &at));
	dom = siommu_device_domain(m->plain_dev, 0);
	CHECK_OK(siommu_hwpt_set_dirty_tracking(m->ictx, hwpt, true));
	/* Mock pages 1, 2 and 9; 4K blocks 0, 1 and 4. */
	CHECK_OK(siommu_mock_domain_set_dirty(dom, iova + MPS, 2 * MPS, &nr));
	CHECK_EQ(nr, 2);
	CHECK_OK(siommu_mock_domain_set_dirty(dom, iova + 9 * MPS, MPS, &nr));
	CHECK_EQ(nr, 1);
	CHECK_OK(siommu_mock_domain_set_dirty(dom, iova + 40 * MPS, MPS, &nr));
	CHECK_EQ(nr, 0);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, 32 * MPS, MPS,
					      SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, map));
	CHECK_EQ(map[0], (1u << 1) | (1u << 2) | (1u << 9));
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, 32 * MPS, 4096, 0, map));
	CHECK_EQ(map[0], (1u << 0) | (1u << 1) | (1u << 4));
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, 32 * MPS, MPS, 0, map));
	CHECK_EQ(map[0], 0);
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_unbind(m->ictx, nd));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, hwpt));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, ioas));
	munmap(buf, 32 * MPS);
}

static int invalidate(struct mt *m, uint32_t hwpt, uint32_t type, uint32_t flags,
		      uint32_t id, uint32_t *n)
{
	struct siommu_hwpt_invalidate_selftest inv = { flags, id };

	*n = 1;
	return siommu_hwpt_invalidate(m->ictx, hwpt, type, &inv, sizeof(inv), n);
}

static void iotlb_is(struct siommu_domain *dom, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	const uint32_t want[4] = { a, b, c, d };
	uint32_t v;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		CHECK_OK(siommu_mock_domain_iotlb(dom, i, &v));
		CHECK_EQ(v, want[i]);
	}
	CHECK_EQ(siommu_mock_domain_iotlb(dom, 4, &v), -EINVAL);
}

static void nested(struct mt *m)
{
	const struct siommu_hwpt_selftest data = { .iotlb = SIOMMU_MOCK_IOTLB_DEFAULT };
	struct siommu_hwpt_nested_cfg nc = {
		.data_type = SIOMMU_HWPT_DATA_SELFTEST, .data = &data, .data_len = sizeof(data),
	};
	uint32_t dev, ioas, parent, child, at, n;
	struct siommu_domain *dom;
	const uint32_t D = SIOMMU_MOCK_IOTLB_DEFAULT;

	CHECK_OK(siommu_iommufd_bind(m->ictx, m->plain_dev, &dev));
	CHECK_OK(siommu_ioas_alloc(m->ictx, &ioas));
	CHECK_OK(siommu_hwpt_alloc(m->ictx, dev, ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &parent));
	nc.dev_id = dev;
	nc.pt_id = parent;
	nc.data_len = sizeof(data) - 1;
	CHECK_EQ(siommu_hwpt_alloc_nested(m->ictx, &nc, &child), -EINVAL);
	nc.data_len = sizeof(data);
	nc.data_type = SIOMMU_HWPT_DATA_VTD_S1;
	CHECK_EQ(siommu_hwpt_alloc_nested(m->ictx, &nc, &child), -EOPNOTSUPP);
	nc.data_type = SIOMMU_HWPT_DATA_SELFTEST;
	CHECK_OK(siommu_hwpt_alloc_nested(m->ictx, &nc, &child));
	at = child;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, SIOMMU_IOMMUFD_NO_PASID, &at));
	dom = siommu_device_domain(m->plain_dev, 0);
	iotlb_is(dom, D, D, D, D);

	CHECK_OK(invalidate(m, child, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, 2, &n));
	CHECK_EQ(n, 1);
	iotlb_is(dom, D, D, 0, D);
	CHECK_EQ(invalidate(m, child, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 2, 0, &n),
		 -EOPNOTSUPP);
	CHECK_EQ(n, 0);
	CHECK_EQ(invalidate(m, child, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0, 4, &n), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(invalidate(m, child, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0, 0, &n),
		 -EINVAL);
	iotlb_is(dom, D, D, 0, D);
	CHECK_OK(invalidate(m, child, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			    SIOMMU_MOCK_INVALIDATE_FLAG_ALL, 0, &n));
	iotlb_is(dom, 0, 0, 0, 0);
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, child));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, parent));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, ioas));
}

/* The reserved PASID: attach arms, the next replace fails, the one after
 * succeeds; the failed replace leaves the old HWPT. */
static void pasid_reserved(struct mt *m)
{
	const uint32_t P = SIOMMU_MOCK_PASID_RESERVED;
	uint32_t dev, ioas, h1, h2, at;

	CHECK_OK(siommu_iommufd_bind(m->ictx, m->pasid_dev, &dev));
	CHECK_OK(siommu_ioas_alloc(m->ictx, &ioas));
	CHECK_OK(siommu_hwpt_alloc(m->ictx, dev, ioas, SIOMMU_HWPT_ALLOC_PASID, 0, &h1));
	CHECK_OK(siommu_hwpt_alloc(m->ictx, dev, ioas, SIOMMU_HWPT_ALLOC_PASID, 0, &h2));
	at = h1;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, P, &at));
	at = h2;
	CHECK_EQ(siommu_iommufd_replace(m->ictx, dev, P, &at), -ENOMEM);
	CHECK_EQ(siommu_iommufd_attached_hwpt(m->ictx, dev, P), h1);
	at = h2;
	CHECK_OK(siommu_iommufd_replace(m->ictx, dev, P, &at));
	CHECK_EQ(siommu_iommufd_attached_hwpt(m->ictx, dev, P), h2);
	CHECK_OK(siommu_iommufd_detach(m->ictx, dev, P));
	CHECK_EQ(siommu_iommufd_attached_hwpt(m->ictx, dev, P), 0);
	/* Another PASID has no such rule. */
	at = h1;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, 7, &at));
	at = h2;
	CHECK_OK(siommu_iommufd_replace(m->ictx, dev, 7, &at));
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, h1));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, h2));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, ioas));
}

static void page_request(struct mt *m)
{
	struct siommu_hwpt_pgfault rec[2];
	uint32_t dev, ioas, fault, hwpt, at, n;

	CHECK_OK(siommu_iommufd_bind(m->ictx, m->pasid_dev, &dev));
	CHECK_OK(siommu_ioas_alloc(m->ictx, &ioas));
	CHECK_OK(siommu_fault_alloc(m->ictx, &fault));
	CHECK_OK(siommu_hwpt_alloc(m->ictx, dev, ioas, SIOMMU_HWPT_FAULT_ID_VALID |
				   SIOMMU_HWPT_ALLOC_PASID, fault, &hwpt));
	at = hwpt;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, 0x55, &at));
	CHECK_EQ(siommu_mock_page_request(m->pasid_dev, 1u << 20, 1, true, false, 0), -EINVAL);
	CHECK_EQ(siommu_mock_page_request(m->pasid_dev, 0x55, 1, false, false, 0), -EINVAL);
	CHECK_OK(siommu_mock_page_request(m->pasid_dev, 0x55, 9, true, true, 0xdeadbeef000));
	CHECK_OK(siommu_fault_read(m->ictx, fault, rec, 2, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(rec[0].flags, SIOMMU_PGFAULT_FLAGS_PASID_VALID | SIOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(rec[0].dev_id, dev);
	CHECK_EQ(rec[0].pasid, 0x55);
	CHECK_EQ(rec[0].grpid, 9);
	CHECK_EQ(rec[0].perm, SIOMMU_PGFAULT_PERM_READ | SIOMMU_PGFAULT_PERM_WRITE);
	CHECK_EQ(rec[0].addr, 0xdeadbeef000);
	CHECK_OK(siommu_fault_respond(m->ictx, fault, rec[0].cookie, SIOMMU_PAGE_RESP_SUCCESS));
	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, hwpt));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, fault));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, ioas));
}

/* The bits of @map set: first and count, as one run. */
static void bits_are(const uint64_t *map, unsigned int nbits, unsigned int first,
		     unsigned int count)
{
	unsigned int i;

	for (i = 0; i < nbits; i++)
		CHECK_EQ((map[i / 64] >> (i % 64)) & 1, i >= first && i < first + count);
}

/* A HUGE_IOVA device's domains: 1 MiB leaves and their one dirty bit. */
static void huge_leaves(struct mt *m)
{
	const uint64_t hps = SIOMMU_MOCK_HUGE_PAGE_SIZE, len = 3 * SIOMMU_MOCK_HUGE_PAGE_SIZE;
	const unsigned int nbits = len / MPS, per = SIOMMU_MOCK_HUGE_PAGE_SIZE / MPS;
	uint64_t iova = SIOMMU_MOCK_APERTURE_START, nr, map[3 * 512 / 64], unmapped;
	struct siommu_domain_cfg dc = { .type = SIOMMU_DOMAIN_PAGING, .dev = m->huge_dev };
	struct siommu_device_info info;
	struct siommu_unit *unit2;
	struct siommu_domain *dom;
	uint32_t dev, ioas, hwpt, at;
	uint8_t *raw, *buf;

	CHECK_OK(siommu_device_get_info(m->huge_dev, &info));
	CHECK_EQ(info.pgsize_bitmap, MPS | hps);
	CHECK_OK(siommu_device_get_info(m->plain_dev, &info));
	CHECK_EQ(info.pgsize_bitmap, MPS);
	/* A domain is made for a device behind its unit only. */
	CHECK_OK(siommu_unit_add_mock(m->ctx, &unit2));
	CHECK_EQ(siommu_domain_alloc(unit2, &dc, &dom), -EINVAL);
	CHECK_OK(siommu_domain_alloc(m->unit, &dc, &dom));
	CHECK_OK(siommu_domain_free(dom));

	/* A buffer of 3 MiB at a 2 MiB boundary of the process. */
	raw = tfd_buf(len + 2 * hps, 3);
	buf = (uint8_t *)(((uintptr_t)raw + 2 * hps - 1) & ~(uintptr_t)(2 * hps - 1));
	CHECK_OK(siommu_iommufd_bind(m->ictx, m->huge_dev, &dev));
	CHECK_OK(siommu_ioas_alloc(m->ictx, &ioas));
	CHECK_OK(siommu_ioas_map(m->ictx, ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE, buf, len,
				 &iova));
	CHECK_OK(siommu_hwpt_alloc(m->ictx, dev, ioas, SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &hwpt));
	at = hwpt;
	CHECK_OK(siommu_iommufd_attach(m->ictx, dev, SIOMMU_IOMMUFD_NO_PASID, &at));
	dom = siommu_device_domain(m->huge_dev, 0);
	CHECK_OK(siommu_hwpt_set_dirty_tracking(m->ictx, hwpt, true));

	/* One mock page written in the second leaf: the whole leaf is
	 * dirty, reported once, cleared as one. */
	CHECK_OK(siommu_mock_domain_set_dirty(dom, iova + hps + 7 * MPS, MPS, &nr));
	CHECK_EQ(nr, 1);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, len, MPS,
					      SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, map));
	bits_are(map, nbits, per, per);
	/* A read of part of the leaf reports that part. */
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova + hps + 256 * MPS, 4 * MPS, MPS,
					      SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, map));
	bits_are(map, 64, 0, 4);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, len, MPS, 0, map));
	bits_are(map, nbits, per, per);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, len, MPS, 0, map));
	bits_are(map, nbits, 0, 0);

	/* Dirty the third leaf, then cut its first 16 mock pages out: the
	 * rest are small leaves, dirty as the leaf was. */
	CHECK_OK(siommu_mock_domain_set_dirty(dom, iova + 2 * hps + 300 * MPS, MPS, &nr));
	CHECK_OK(siommu_domain_unmap(dom, iova + 2 * hps, 16 * MPS, &unmapped));
	CHECK_EQ(unmapped, 16 * MPS);
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, len, MPS, 0, map));
	bits_are(map, nbits, 2 * per + 16, per - 16);
	/* Now each mock page has its own bit. */
	CHECK_OK(siommu_mock_domain_set_dirty(dom, iova + 2 * hps + 20 * MPS, MPS, &nr));
	memset(map, 0, sizeof(map));
	CHECK_OK(siommu_hwpt_get_dirty_bitmap(m->ictx, hwpt, iova, len, MPS, 0, map));
	bits_are(map, nbits, 2 * per + 20, 1);

	CHECK_OK(siommu_iommufd_unbind(m->ictx, dev));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, hwpt));
	CHECK_OK(siommu_iommufd_obj_destroy(m->ictx, ioas));
	munmap(raw, len + 2 * hps);
}

/* The mock vIOMMU's page for mmap, through the C API. */
static void viommu_mmap(struct mt *m)
{
	struct iommu_viommu_selftest data = { .in_data = 0xc0ffee };
	unsigned char big[sizeof(data) + 8] = { 0 };
	const uint64_t pg = SIOMMU_PAGE_SIZE;
	const int rw = PROT_READ | PROT_WRITE;
	struct siommu_iommufd *ictx;
	uint32_t dev, ioas, parent, v, v2;
	uint32_t *p;
	int fd;

	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = m->ctx }, &ictx));
	CHECK_OK(siommu_iommufd_bind(ictx, m->plain_dev, &dev));
	CHECK_OK(siommu_ioas_alloc(ictx, &ioas));
	CHECK_OK(siommu_hwpt_alloc(ictx, dev, ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &parent));
	CHECK_EQ(siommu_viommu_alloc_data(ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, dev, parent,
					  &data, 4, &v), -EINVAL);
	CHECK_EQ(siommu_viommu_alloc_data(ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, dev, parent,
					  NULL, sizeof(data), &v), -EFAULT);
	big[sizeof(data) + 7] = 1;
	CHECK_EQ(siommu_viommu_alloc_data(ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, dev, parent,
					  big, sizeof(big), &v), -E2BIG);
	/* A vIOMMU without data reports nothing. */
	CHECK_OK(siommu_viommu_alloc(ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, &v2));
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, pg, rw, MAP_SHARED, &fd), -ENXIO);
	CHECK_OK(siommu_viommu_alloc_data(ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, dev, parent,
					  &data, sizeof(data), &v));
	CHECK_EQ(data.out_data, 0xc0ffee);
	CHECK_EQ(data.out_mmap_offset, pg);
	CHECK_EQ(data.out_mmap_length, pg);

	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, 100, rw, MAP_SHARED, &fd), -EINVAL);
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, 0, rw, MAP_SHARED, &fd), -EINVAL);
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, pg, rw, MAP_PRIVATE, &fd), -EINVAL);
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, pg, rw | PROT_EXEC, MAP_SHARED, &fd), -EPERM);
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, 0, pg, rw, MAP_SHARED, &fd), -ENXIO);
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, 2 * pg, rw, MAP_SHARED, &fd), -ENXIO);
	CHECK_OK(siommu_iommufd_mmap_get(ictx, pg, pg, rw, MAP_SHARED_VALIDATE, &fd));
	p = mmap(NULL, pg, rw, MAP_SHARED, fd, (off_t)pg);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(p[0], 0xc0ffee);
	CHECK_EQ(siommu_iommufd_obj_destroy(ictx, v), -EBUSY);
	siommu_iommufd_mmap_put(ictx, pg);
	CHECK_OK(siommu_iommufd_obj_destroy(ictx, v));
	CHECK_EQ(siommu_iommufd_mmap_get(ictx, pg, pg, rw, MAP_SHARED, &fd), -ENXIO);
	/* The mapping stays memory of its own. */
	CHECK_EQ(p[0], 0xc0ffee);
	CHECK_OK(munmap(p, pg));

	/* The offset again, zeroed but for the new in_data; the context
	 * closes with a mapping held. */
	data.in_data = 7;
	CHECK_OK(siommu_viommu_alloc_data(ictx, 0, SIOMMU_VIOMMU_TYPE_SELFTEST, dev, parent,
					  &data, sizeof(data), &v));
	CHECK_EQ(data.out_mmap_offset, pg);
	CHECK_OK(siommu_iommufd_mmap_get(ictx, pg, pg, PROT_READ, MAP_SHARED, &fd));
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, (off_t)pg);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(p[0], 7);
	CHECK_EQ(p[1], 0);
	siommu_iommufd_destroy(ictx);
	CHECK_EQ(p[0], 7);
	CHECK_OK(munmap(p, pg));
}

int main(void)
{
	struct mt m;

	mt_setup(&m);
	table_oracle(&m);
	ioas_geometry(&m);
	hw_info(&m);
	dirty(&m);
	huge_leaves(&m);
	nested(&m);
	pasid_reserved(&m);
	page_request(&m);
	viommu_mmap(&m);
	CHECK_EQ(siommu_dma_setup(m.plain_dev, &(struct siommu_dma_cfg){ 0 }), -EOPNOTSUPP);
	siommu_iommufd_destroy(m.ictx);
	siommu_ctx_destroy(m.ctx);
	return 0;
}
