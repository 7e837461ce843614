/* SPDX-License-Identifier: MIT */
/*
 * siommu/iommufd.h against its contracts alone: one table row per misuse
 * the header names, each expecting exactly the errno listed and each
 * followed by a check that the context's objects, areas, pins and the
 * device's attachments are as they were. Every call with an output
 * takes a NULL one as -EINVAL (nothing written, nothing made); IDs of
 * nothing are -ENOENT, of the wrong type as the contract says; ranges that wrap 2^64 are
 * -EOVERFLOW and a range ending exactly at 2^64 maps; PASID 0, the
 * largest and one beyond; detach of what was never attached; destroy
 * with users; a device of another context; the core's calls on a PASID
 * iommufd attached, which is iommufd's alone.
 */
#include <errno.h>
#include <sys/mman.h>

#include <siommu/iommufd.h>

#include "core_test.h"
#include "core_unit.h"

#define RW (SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE)
#define TOP (UINT64_MAX - 0xfffull)

struct fx {
	struct siommu_ctx *ctx, *xctx;
	struct siommu_iommufd *ic;
	struct siommu_device *dev, *free_dev, *xdev;
	struct siommu_domain *pg;	/* the core's, outside iommufd */
	uint32_t ioas, ioas2, dev_id, hwpt, phwpt, fault, access;
	void *buf;			/* 64K of the process's memory */
};

struct snap {
	struct siommu_iommufd_stats st;
	uint32_t rid_hwpt, pasid_hwpt;
	uint32_t vfio;
	struct siommu_domain *rid, *pasid;
};

#include "api_rows.h"

static void snap_take(const struct fx *f, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	siommu_iommufd_get_stats(f->ic, &s->st);
	s->rid_hwpt = siommu_iommufd_attached_hwpt(f->ic, f->dev_id, SIOMMU_IOMMUFD_NO_PASID);
	s->pasid_hwpt = siommu_iommufd_attached_hwpt(f->ic, f->dev_id, 5);
	if (siommu_vfio_ioas_get(f->ic, &s->vfio))
		s->vfio = 0;
	s->rid = siommu_device_domain(f->dev, 0);
	s->pasid = siommu_device_domain(f->dev, 5);
}

static void unmap_cb(void *data, uint64_t iova, uint64_t length)
{
	(void)data, (void)iova, (void)length;
}
static const struct siommu_iommufd_access_ops ops = { unmap_cb };

static void fx_init(struct fx *f)
{
	struct siommu_unit *unit, *xunit;
	uint64_t iova = 0x100000;
	uint32_t pt;

	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_ctx_create(NULL, &f->ctx));
	CHECK_OK(siommu_ctx_create(NULL, &f->xctx));
	CHECK_OK(test_unit_add(f->ctx, NULL, &unit));
	CHECK_OK(test_unit_add(f->xctx, NULL, &xunit));
	f->dev = test_dev_add(unit, 0x0100, 20, 0);
	f->free_dev = test_dev_add(unit, 0x0200, 20, 0);
	f->xdev = test_dev_add(xunit, 0x0100, 20, 0);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &f->pg));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = f->ctx }, &f->ic));
	CHECK_OK(siommu_ioas_alloc(f->ic, &f->ioas));
	CHECK_OK(siommu_ioas_alloc(f->ic, &f->ioas2));
	CHECK_OK(siommu_iommufd_bind(f->ic, f->dev, &f->dev_id));
	f->buf = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(f->buf != MAP_FAILED);
	CHECK_OK(siommu_ioas_map(f->ic, f->ioas, RW | SIOMMU_IOAS_MAP_FIXED_IOVA, f->buf,
				 0x10000, &iova));
	CHECK_OK(siommu_hwpt_alloc(f->ic, f->dev_id, f->ioas, SIOMMU_HWPT_ALLOC_PASID, 0,
				   &f->phwpt));
	pt = f->phwpt;
	CHECK_OK(siommu_iommufd_attach(f->ic, f->dev_id, SIOMMU_IOMMUFD_NO_PASID, &pt));
	pt = f->phwpt;
	CHECK_OK(siommu_iommufd_attach(f->ic, f->dev_id, 5, &pt));
	CHECK_OK(siommu_hwpt_alloc(f->ic, f->dev_id, f->ioas, 0, 0, &f->hwpt));
	CHECK_OK(siommu_fault_alloc(f->ic, &f->fault));
	CHECK_OK(siommu_iommufd_access_create(f->ic, f->ioas, &ops, NULL,
					      SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &f->access));
}

static void fx_fini(struct fx *f)
{
	siommu_iommufd_destroy(f->ic);
	CHECK_OK(siommu_domain_free(f->pg));
	munmap(f->buf, 0x10000);
	siommu_ctx_destroy(f->xctx);
	siommu_ctx_destroy(f->ctx);
}

/* NULL outputs. */
static int n_ioas(struct fx *f) { return siommu_ioas_alloc(f->ic, NULL); }
static int n_map(struct fx *f) { return siommu_ioas_map(f->ic, f->ioas, RW, f->buf, 0x1000, NULL); }
static int n_copy(struct fx *f)
{
	return siommu_ioas_copy(f->ic, f->ioas2, f->ioas, 0, 0x100000, 0x1000, NULL);
}
static int n_ranges(struct fx *f) { return siommu_ioas_iova_ranges(f->ic, f->ioas, NULL, NULL, NULL); }
static int n_vfio_get(struct fx *f) { return siommu_vfio_ioas_get(f->ic, NULL); }
static int n_vfio_create(struct fx *f) { return siommu_vfio_ioas_create(f->ic, NULL); }
static int n_option(struct fx *f)
{
	return siommu_iommufd_option(f->ic, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES,
				     SIOMMU_IOMMUFD_OPTION_OP_GET, f->ioas, NULL);
}
static int n_hwpt(struct fx *f) { return siommu_hwpt_alloc(f->ic, f->dev_id, f->ioas, 0, 0, NULL); }
static int n_nested(struct fx *f) { uint32_t id; return siommu_hwpt_alloc_nested(f->ic, NULL, &id); }
static int n_nested_out(struct fx *f)
{
	return siommu_hwpt_alloc_nested(f->ic, &(struct siommu_hwpt_nested_cfg){
		.dev_id = f->dev_id, .pt_id = f->hwpt }, NULL);
}
static int n_inval(struct fx *f) { return siommu_hwpt_invalidate(f->ic, f->hwpt, 0, NULL, 16, NULL); }
static int n_viommu(struct fx *f)
{
	return siommu_viommu_alloc(f->ic, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, f->dev_id, f->hwpt,
				   NULL);
}
static int n_vdevice(struct fx *f) { return siommu_vdevice_alloc(f->ic, f->hwpt, f->dev_id, 1, NULL); }
static int n_hwq(struct fx *f)
{
	return siommu_hw_queue_alloc(f->ic, f->hwpt, 0, SIOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 0,
				     0x100000, 0x1000, NULL);
}
static int n_veventq(struct fx *f)
{
	return siommu_veventq_alloc(f->ic, f->hwpt, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, NULL);
}
static int n_veventq_read(struct fx *f) { return siommu_veventq_read(f->ic, f->fault, NULL, 0, NULL); }
static int n_fault(struct fx *f) { return siommu_fault_alloc(f->ic, NULL); }
static int n_fault_read(struct fx *f) { return siommu_fault_read(f->ic, f->fault, NULL, 0, NULL); }
static int n_bind(struct fx *f) { return siommu_iommufd_bind(f->ic, f->free_dev, NULL); }
static int n_bind_dev(struct fx *f) { uint32_t id; return siommu_iommufd_bind(f->ic, NULL, &id); }
static int n_attach(struct fx *f)
{
	return siommu_iommufd_attach(f->ic, f->dev_id, SIOMMU_IOMMUFD_NO_PASID, NULL);
}
static int n_replace(struct fx *f)
{
	return siommu_iommufd_replace(f->ic, f->dev_id, SIOMMU_IOMMUFD_NO_PASID, NULL);
}
static int n_access(struct fx *f)
{
	return siommu_iommufd_access_create(f->ic, f->ioas, &ops, NULL, 0, NULL);
}
static int n_mmap(struct fx *f) { return siommu_iommufd_mmap_get(f->ic, 0, 0x1000, 1, 1, NULL); }
static int n_change(struct fx *f) { (void)f; return siommu_ioas_change_process(NULL); }
static int n_acct(struct fx *f) { (void)f; return siommu_iommufd_acct_create(5, NULL); }
static int n_create(struct fx *f)
{
	return siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = f->ctx }, NULL);
}
static int n_create_cfg(struct fx *f) { struct siommu_iommufd *i; (void)f; return siommu_iommufd_create(NULL, &i); }
static int n_rw(struct fx *f) { return siommu_iommufd_access_rw(f->ic, f->access, 0x100000, NULL, 8, 0); }
static int n_dirty(struct fx *f)
{
	return siommu_hwpt_get_dirty_bitmap(f->ic, f->hwpt, 0x100000, 0x1000, 0x1000, 0, NULL);
}

/* IDs of nothing or of the wrong type. */
static int id_destroy0(struct fx *f) { return siommu_iommufd_obj_destroy(f->ic, 0); }
static int id_destroy_max(struct fx *f) { return siommu_iommufd_obj_destroy(f->ic, UINT32_MAX); }
static int id_map_dev(struct fx *f)
{
	uint64_t iova;

	return siommu_ioas_map(f->ic, f->dev_id, RW, f->buf, 0x1000, &iova);
}
static int id_hwpt_dev(struct fx *f) { uint32_t id; return siommu_hwpt_alloc(f->ic, f->ioas, f->ioas, 0, 0, &id); }
static int id_hwpt_pt(struct fx *f) { uint32_t id; return siommu_hwpt_alloc(f->ic, f->dev_id, f->dev_id, 0, 0, &id); }
static int id_attach_dev(struct fx *f)
{
	uint32_t pt = f->fault;

	return siommu_iommufd_attach(f->ic, f->dev_id, SIOMMU_IOMMUFD_NO_PASID, &pt);
}
static int id_unbind(struct fx *f) { return siommu_iommufd_unbind(f->ic, f->ioas); }
static int id_detach(struct fx *f) { return siommu_iommufd_detach(f->ic, f->ioas, 5); }
static int id_access(struct fx *f) { return siommu_iommufd_access_destroy(f->ic, f->ioas); }
static int id_vfio_set(struct fx *f) { return siommu_vfio_ioas_set(f->ic, f->hwpt); }

/* Objects in use. */
static int busy_ioas(struct fx *f) { return siommu_iommufd_obj_destroy(f->ic, f->ioas); }
static int busy_hwpt(struct fx *f) { return siommu_iommufd_obj_destroy(f->ic, f->phwpt); }
static int busy_dev(struct fx *f) { return siommu_iommufd_obj_destroy(f->ic, f->dev_id); }
static int busy_access(struct fx *f) { return siommu_iommufd_obj_destroy(f->ic, f->access); }
static int busy_bind(struct fx *f) { uint32_t id; return siommu_iommufd_bind(f->ic, f->dev, &id); }
static int x_bind(struct fx *f) { uint32_t id; return siommu_iommufd_bind(f->ic, f->xdev, &id); }

/* Ranges and PASIDs. */
static int map_wraps(struct fx *f)
{
	uint64_t iova = TOP;

	return siommu_ioas_map(f->ic, f->ioas2, RW | SIOMMU_IOAS_MAP_FIXED_IOVA, f->buf,
			       0x2000, &iova);
}
static int map_len0(struct fx *f)
{
	uint64_t iova;

	return siommu_ioas_map(f->ic, f->ioas2, RW, f->buf, 0, &iova);
}
static int map_noperm(struct fx *f)
{
	uint64_t iova;

	return siommu_ioas_map(f->ic, f->ioas2, 0, f->buf, 0x1000, &iova);
}
static int map_flag(struct fx *f)
{
	uint64_t iova;

	return siommu_ioas_map(f->ic, f->ioas2, RW | (1u << 9), f->buf, 0x1000, &iova);
}
static int map_exists(struct fx *f)
{
	uint64_t iova = 0x10f000;

	return siommu_ioas_map(f->ic, f->ioas, RW | SIOMMU_IOAS_MAP_FIXED_IOVA, f->buf,
			       0x2000, &iova);
}
static int unmap_wraps(struct fx *f) { return siommu_ioas_unmap(f->ic, f->ioas, TOP, 0x2000, NULL); }
static int unmap_cuts(struct fx *f) { return siommu_ioas_unmap(f->ic, f->ioas, 0x100000, 0x1000, NULL); }
static int unmap_none(struct fx *f) { return siommu_ioas_unmap(f->ic, f->ioas, 0x200000, 0x1000, NULL); }
static int copy_hole(struct fx *f)
{
	uint64_t iova;

	return siommu_ioas_copy(f->ic, f->ioas2, f->ioas, RW, 0x100000, 0x20000, &iova);
}
static int allow_inverted(struct fx *f)
{
	return siommu_ioas_allow_iovas(f->ic, f->ioas2,
				       &(struct siommu_iova_range){ 0x2000, 0x1000 }, 1);
}
static int allow_overlap(struct fx *f)
{
	struct siommu_iova_range r[2] = { { 0x1000, 0x2fff }, { 0x2000, 0x3fff } };

	return siommu_ioas_allow_iovas(f->ic, f->ioas2, r, 2);
}
static int att_pasid0(struct fx *f)
{
	uint32_t pt = f->phwpt;

	return siommu_iommufd_attach(f->ic, f->dev_id, 0, &pt);
}
static int att_pasid_beyond(struct fx *f)
{
	uint32_t pt = f->phwpt;

	return siommu_iommufd_attach(f->ic, f->dev_id, SIOMMU_PASID_MAX + 1, &pt);
}
static int att_pasid_again(struct fx *f)
{
	uint32_t pt = f->phwpt;

	return siommu_iommufd_attach(f->ic, f->dev_id, 5, &pt);
}
static int att_pasid_nopasid_hwpt(struct fx *f)
{
	uint32_t pt = f->hwpt;

	return siommu_iommufd_attach(f->ic, f->dev_id, 6, &pt);
}
static int att_pasid_ioas(struct fx *f)
{
	uint32_t pt = f->ioas;

	return siommu_iommufd_attach(f->ic, f->dev_id, 6, &pt);
}
static int rep_unattached(struct fx *f)
{
	uint32_t pt = f->phwpt;

	return siommu_iommufd_replace(f->ic, f->dev_id, 7, &pt);
}
/* iommufd's PASID attachment is iommufd's: the core's public calls
 * neither replace it (with any domain, its own included) nor detach it. */
static int core_replace(struct fx *f) { return siommu_device_attach_pasid(f->dev, 5, f->pg); }
static int core_replace_same(struct fx *f)
{
	return siommu_device_attach_pasid(f->dev, 5, siommu_device_domain(f->dev, 5));
}
static int core_detach(struct fx *f) { return siommu_device_detach_pasid(f->dev, 5); }
static int pin_wraps(struct fx *f)
{
	return siommu_iommufd_access_pin_pages(f->ic, f->access, TOP, 0x2000, NULL, 0);
}
static int pin_len0(struct fx *f)
{
	return siommu_iommufd_access_pin_pages(f->ic, f->access, 0x100000, 0, NULL, 0);
}
static int pin_hole(struct fx *f)
{
	return siommu_iommufd_access_pin_pages(f->ic, f->access, 0x100000, 0x20000, NULL, 0);
}
static int unpin_none(struct fx *f)
{
	return siommu_iommufd_access_unpin_pages(f->ic, f->access, 0x100000, 0x1000);
}
static int rw_wraps(struct fx *f)
{
	char b[16];

	return siommu_iommufd_access_rw(f->ic, f->access, UINT64_MAX - 7, b, 16, 0);
}
static int rw_hole(struct fx *f)
{
	char b[16];

	return siommu_iommufd_access_rw(f->ic, f->access, 0x10fff8, b, 16, 0);
}
static int opt_unknown(struct fx *f)
{
	uint64_t v;

	return siommu_iommufd_option(f->ic, 99, SIOMMU_IOMMUFD_OPTION_OP_GET, 0, &v);
}
static int mmap_len0(struct fx *f) { int fd; return siommu_iommufd_mmap_get(f->ic, 0, 0, 1, 1, &fd); }
static int mmap_none(struct fx *f)
{
	int fd;

	return siommu_iommufd_mmap_get(f->ic, 0, 0x1000, PROT_READ, MAP_SHARED, &fd);
}

#define ROW API_ROW

static const struct api_row rows[] = {
	ROW(n_ioas, -EINVAL), ROW(n_map, -EINVAL), ROW(n_copy, -EINVAL), ROW(n_ranges, -EINVAL),
	ROW(n_vfio_get, -EINVAL), ROW(n_vfio_create, -EINVAL), ROW(n_option, -EINVAL),
	ROW(n_hwpt, -EINVAL), ROW(n_nested, -EINVAL), ROW(n_nested_out, -EINVAL),
	ROW(n_inval, -EINVAL), ROW(n_viommu, -EINVAL), ROW(n_vdevice, -EINVAL),
	ROW(n_hwq, -EINVAL), ROW(n_veventq, -EINVAL), ROW(n_veventq_read, -EINVAL),
	ROW(n_fault, -EINVAL), ROW(n_fault_read, -EINVAL), ROW(n_bind, -EINVAL),
	ROW(n_bind_dev, -EINVAL), ROW(n_attach, -EINVAL), ROW(n_replace, -EINVAL),
	ROW(n_access, -EINVAL), ROW(n_mmap, -EINVAL), ROW(n_acct, -EINVAL),
	ROW(n_change, -EINVAL),
	ROW(n_create, -EINVAL), ROW(n_create_cfg, -EINVAL), ROW(n_rw, -EINVAL),
	ROW(n_dirty, -EINVAL),
	ROW(id_destroy0, -ENOENT), ROW(id_destroy_max, -ENOENT), ROW(id_map_dev, -ENOENT),
	ROW(id_hwpt_dev, -ENOENT), ROW(id_hwpt_pt, -EINVAL), ROW(id_attach_dev, -EINVAL),
	ROW(id_unbind, -ENOENT), ROW(id_detach, -ENOENT), ROW(id_access, -ENOENT),
	ROW(id_vfio_set, -ENOENT),
	ROW(busy_ioas, -EBUSY), ROW(busy_hwpt, -EBUSY), ROW(busy_dev, -EBUSY),
	ROW(busy_access, -EBUSY), ROW(busy_bind, -EBUSY), ROW(x_bind, -EINVAL),
	ROW(map_wraps, -EOVERFLOW), ROW(map_len0, -EINVAL), ROW(map_noperm, -EINVAL),
	ROW(map_flag, -EOPNOTSUPP), ROW(map_exists, -EEXIST), ROW(unmap_wraps, -EOVERFLOW),
	ROW(unmap_cuts, -ENOENT), ROW(unmap_none, -ENOENT), ROW(copy_hole, -ENOENT),
	ROW(allow_inverted, -EINVAL), ROW(allow_overlap, -EINVAL),
	ROW(att_pasid0, -ERANGE), ROW(att_pasid_beyond, -ERANGE), ROW(att_pasid_again, -EBUSY),
	ROW(att_pasid_nopasid_hwpt, -EINVAL), ROW(att_pasid_ioas, -EINVAL),
	ROW(rep_unattached, -EINVAL), ROW(core_replace, -EBUSY),
	ROW(core_replace_same, -EBUSY), ROW(core_detach, -EBUSY), ROW(pin_wraps, -EOVERFLOW), ROW(pin_len0, -EINVAL),
	ROW(pin_hole, -ENOENT), ROW(unpin_none, -ENOENT), ROW(rw_wraps, -EOVERFLOW),
	ROW(rw_hole, -ENOENT), ROW(opt_unknown, -EOPNOTSUPP), ROW(mmap_len0, -EINVAL),
	ROW(mmap_none, -ENXIO),
};

int main(void)
{
	struct fx f;
	uint64_t iova = TOP, un;

	fx_init(&f);
	api_rows_run(&f, rows, sizeof(rows) / sizeof(rows[0]), false, NULL);

	/* The last page of the IOVA space is an IOAS's like any other. */
	CHECK_OK(siommu_ioas_map(f.ic, f.ioas2, RW | SIOMMU_IOAS_MAP_FIXED_IOVA, f.buf, 0x1000,
				 &iova));
	CHECK_OK(siommu_ioas_unmap(f.ic, f.ioas2, TOP, 0x1000, &un));
	CHECK_EQ(un, 0x1000);
	/* Detach twice, and of a PASID never attached: nothing to do. */
	CHECK(siommu_device_domain(f.dev, 5) != NULL);
	CHECK_OK(siommu_iommufd_detach(f.ic, f.dev_id, 5));
	CHECK(siommu_device_domain(f.dev, 5) == NULL);
	CHECK_OK(siommu_iommufd_detach(f.ic, f.dev_id, 5));
	CHECK_OK(siommu_iommufd_detach(f.ic, f.dev_id, SIOMMU_PASID_MAX));
	CHECK_EQ(siommu_iommufd_attached_hwpt(f.ic, f.dev_id, 5), 0);
	fx_fini(&f);
	return 0;
}
