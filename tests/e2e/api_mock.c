/* SPDX-License-Identifier: MIT */
/*
 * siommu/mock.h against its contracts alone: the mock unit's devices,
 * its paging domains' maps at the edges of the aperture and of 2^64,
 * dirty marks over wrapping ranges, nested domains' IOTLBs, devices'
 * caches and page requests, each row the errno the header names and,
 * refused, nothing changed: what the domain maps, the IOTLB and the
 * cache.
 */
#include <errno.h>

#include <siommu/mock.h>

#include "core_test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define MPG SIOMMU_MOCK_PAGE_SIZE
#define START SIOMMU_MOCK_APERTURE_START
#define LAST SIOMMU_MOCK_APERTURE_LAST

struct fx {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit, *vtd;
	struct siommu_device *dev, *vdev;
	struct siommu_domain *dom, *vdom, *nested;
};

struct snap {
	uint64_t pa[3];
	uint32_t iotlb, cache;
};

#include "api_rows.h"

static void snap_take(const struct fx *f, struct snap *s)
{
	const uint64_t at[3] = { START, START + MPG, LAST - MPG + 1 };
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 3; i++)
		if (siommu_mock_domain_iova_to_phys(f->dom, at[i], &s->pa[i]))
			s->pa[i] = UINT64_MAX;
	CHECK_OK(siommu_mock_domain_iotlb(f->nested, 0, &s->iotlb));
	CHECK_OK(siommu_mock_device_cache(f->dev, 0, &s->cache));
}

static void fx_init(struct fx *f)
{
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };

	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_ctx_create(NULL, &f->ctx));
	CHECK_OK(siommu_unit_add_mock(f->ctx, &f->unit));
	CHECK_OK(siommu_unit_add_vtd(f->ctx, NULL, &f->vtd));
	CHECK_OK(siommu_mock_device_add(f->unit, 0x10, SIOMMU_MOCK_DEV_PASID, &f->dev));
	f->vdev = test_dev_add(f->vtd, 0x0100, 20, 0);
	CHECK_OK(siommu_domain_alloc(f->unit, &paging, &f->dom));
	CHECK_OK(siommu_domain_alloc(f->vtd, &paging, &f->vdom));
	CHECK_OK(siommu_domain_map(f->dom, START, 0x100000, 2 * MPG, RW));
	CHECK_OK(siommu_domain_map(f->dom, LAST - MPG + 1, 0x200000, MPG, RW));
	CHECK_OK(siommu_domain_alloc_nested(f->dom, f->unit, SIOMMU_HWPT_DATA_SELFTEST,
					    &(struct siommu_hwpt_selftest){ 5 },
					    sizeof(struct siommu_hwpt_selftest), &f->nested));
}

static int add_null_ctx(struct fx *f) { struct siommu_unit *u; (void)f; return siommu_unit_add_mock(NULL, &u); }
static int add_null_out(struct fx *f) { return siommu_unit_add_mock(f->ctx, NULL); }
static int dev_not_mock(struct fx *f) { struct siommu_device *d; return siommu_mock_device_add(f->vtd, 0x20, 0, &d); }
static int dev_flag(struct fx *f) { struct siommu_device *d; return siommu_mock_device_add(f->unit, 0x20, 1u << 7, &d); }
static int dev_null_out(struct fx *f) { return siommu_mock_device_add(f->unit, 0x20, 0, NULL); }
static int dev_null_unit(struct fx *f) { struct siommu_device *d; (void)f; return siommu_mock_device_add(NULL, 0x20, 0, &d); }
static int dev_taken(struct fx *f) { struct siommu_device *d; return siommu_mock_device_add(f->unit, 0x10, 0, &d); }
static int map_below(struct fx *f) { return siommu_domain_map(f->dom, START - MPG, 0, MPG, RW); }
static int map_past_last(struct fx *f) { return siommu_domain_map(f->dom, LAST - MPG + 1, 0, 2 * MPG, RW); }
static int map_wraps(struct fx *f) { return siommu_domain_map(f->dom, UINT64_MAX - MPG + 1, 0, 2 * MPG, RW); }
static int map_pa_wraps(struct fx *f)
{
	return siommu_domain_map(f->dom, START + 8 * MPG, UINT64_MAX - MPG + 1, 2 * MPG, RW);
}
static int map_unaligned(struct fx *f) { return siommu_domain_map(f->dom, START + 1024, 0, MPG, RW); }
static int map_len0(struct fx *f) { return siommu_domain_map(f->dom, START + 8 * MPG, 0, 0, RW); }
static int map_prot0(struct fx *f) { return siommu_domain_map(f->dom, START + 8 * MPG, 0, MPG, 0); }
static int map_exists(struct fx *f) { return siommu_domain_map(f->dom, START + MPG, 0, 2 * MPG, RW); }
static int unmap_wraps(struct fx *f) { return siommu_domain_unmap(f->dom, UINT64_MAX - MPG + 1, 2 * MPG, NULL); }
static int unmap_len0(struct fx *f) { return siommu_domain_unmap(f->dom, START, 0, NULL); }
static int i2p_hole(struct fx *f) { uint64_t pa; return siommu_mock_domain_iova_to_phys(f->dom, START + 8 * MPG, &pa); }
static int i2p_top(struct fx *f) { uint64_t pa; return siommu_mock_domain_iova_to_phys(f->dom, UINT64_MAX, &pa); }
static int i2p_vtd(struct fx *f) { uint64_t pa; return siommu_mock_domain_iova_to_phys(f->vdom, 0, &pa); }
static int i2p_null(struct fx *f) { return siommu_mock_domain_iova_to_phys(f->dom, START, NULL); }
static int i2p_nested(struct fx *f) { uint64_t pa; return siommu_mock_domain_iova_to_phys(f->nested, START, &pa); }
static int dirty_wraps(struct fx *f) { return siommu_mock_domain_set_dirty(f->dom, UINT64_MAX - 10, 100, NULL); }
static int dirty_vtd(struct fx *f) { return siommu_mock_domain_set_dirty(f->vdom, 0, MPG, NULL); }
static int iotlb_idx(struct fx *f) { uint32_t v; return siommu_mock_domain_iotlb(f->nested, SIOMMU_MOCK_NR_IOTLB, &v); }
static int iotlb_paging(struct fx *f) { uint32_t v; return siommu_mock_domain_iotlb(f->dom, 0, &v); }
static int iotlb_null(struct fx *f) { return siommu_mock_domain_iotlb(f->nested, 0, NULL); }
static int cache_idx(struct fx *f) { uint32_t v; return siommu_mock_device_cache(f->dev, SIOMMU_MOCK_NR_DEV_CACHE, &v); }
static int cache_vtd(struct fx *f) { uint32_t v; return siommu_mock_device_cache(f->vdev, 0, &v); }
static int cache_null(struct fx *f) { return siommu_mock_device_cache(f->dev, 0, NULL); }
static int pr_vtd(struct fx *f) { return siommu_mock_page_request(f->vdev, 1, 0, true, false, 0); }
static int pr_beyond(struct fx *f) { return siommu_mock_page_request(f->dev, 1u << 20, 0, true, false, 0); }
static int pr_no_access(struct fx *f) { return siommu_mock_page_request(f->dev, 1, 0, false, false, 0); }
static int inval_idx(struct fx *f)
{
	uint32_t n = 1;

	return siommu_domain_cache_invalidate(f->nested, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			&(struct siommu_hwpt_invalidate_selftest){ 0, SIOMMU_MOCK_NR_IOTLB },
			sizeof(struct siommu_hwpt_invalidate_selftest), &n);
}
static int inval_flag(struct fx *f)
{
	uint32_t n = 1;

	return siommu_domain_cache_invalidate(f->nested, SIOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			&(struct siommu_hwpt_invalidate_selftest){ 1u << 4, 0 },
			sizeof(struct siommu_hwpt_invalidate_selftest), &n);
}
static int nested_vtd(struct fx *f)
{
	struct siommu_domain *d;

	return siommu_domain_alloc_nested(f->dom, f->vtd, SIOMMU_HWPT_DATA_SELFTEST,
					  &(struct siommu_hwpt_selftest){ 5 },
					  sizeof(struct siommu_hwpt_selftest), &d);
}
static int attach_vtd_dom(struct fx *f) { return siommu_device_attach(f->dev, f->vdom); }
static int attach_mock_dom(struct fx *f) { return siommu_device_attach(f->vdev, f->dom); }

static const struct api_row rows[] = {
	API_ROW(add_null_ctx, -EINVAL), API_ROW(add_null_out, -EINVAL),
	API_ROW(dev_not_mock, -EINVAL), API_ROW(dev_flag, -EINVAL), API_ROW(dev_null_out, -EINVAL),
	API_ROW(dev_null_unit, -EINVAL), API_ROW(dev_taken, -EEXIST),
	API_ROW(map_below, -ERANGE), API_ROW(map_past_last, -ERANGE),
	API_ROW(map_wraps, -EOVERFLOW), API_ROW(map_pa_wraps, -EOVERFLOW),
	API_ROW(map_unaligned, -EINVAL), API_ROW(map_len0, -EINVAL), API_ROW(map_prot0, -EINVAL),
	API_ROW(map_exists, -EEXIST), API_ROW(unmap_wraps, -EOVERFLOW),
	API_ROW(unmap_len0, -EINVAL), API_ROW(i2p_hole, -ENOENT), API_ROW(i2p_top, -ENOENT),
	API_ROW(i2p_vtd, -EINVAL), API_ROW(i2p_null, -EINVAL), API_ROW(i2p_nested, -EINVAL),
	API_ROW(dirty_wraps, -EINVAL), API_ROW(dirty_vtd, -EINVAL),
	API_ROW(iotlb_idx, -EINVAL), API_ROW(iotlb_paging, -EINVAL), API_ROW(iotlb_null, -EINVAL),
	API_ROW(cache_idx, -EINVAL), API_ROW(cache_vtd, -EINVAL), API_ROW(cache_null, -EINVAL),
	API_ROW(pr_vtd, -EINVAL), API_ROW(pr_beyond, -EINVAL), API_ROW(pr_no_access, -EINVAL),
	API_ROW(inval_idx, -EINVAL), API_ROW(inval_flag, -EOPNOTSUPP),
	API_ROW(nested_vtd, -EINVAL), API_ROW(attach_vtd_dom, -EINVAL),
	API_ROW(attach_mock_dom, -EINVAL),
};

int main(void)
{
	struct fx f;
	uint64_t nr, un;

	fx_init(&f);
	api_rows_run(&f, rows, sizeof(rows) / sizeof(rows[0]), false, NULL);

	/* The last mock page of the aperture, and a range ending at 2^64. */
	CHECK_OK(siommu_mock_domain_set_dirty(f.dom, UINT64_MAX - 99, 100, &nr));
	CHECK_EQ(nr, 0);
	CHECK_OK(siommu_mock_domain_set_dirty(f.dom, 0, UINT64_MAX, &nr));
	CHECK_EQ(nr, 3);
	CHECK_OK(siommu_domain_unmap(f.dom, 0, 1ull << 40, &un));
	CHECK_EQ(un, 3 * MPG);
	CHECK_OK(siommu_domain_free(f.nested));
	siommu_ctx_destroy(f.ctx);
	return 0;
}
