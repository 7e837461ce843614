/* SPDX-License-Identifier: MIT */
/*
 * Helpers for tests of the iommufd object model (siommu/iommufd.h): a core
 * context with one unit of the type under test and a few devices, an
 * iommufd context over it, DMA of the devices through the unit, and a
 * snapshot of everything a failed call must leave unchanged.
 */
#ifndef SIOMMU_TEST_IOMMUFD_H
#define SIOMMU_TEST_IOMMUFD_H

#include <errno.h>
#include <sys/mman.h>

#include <siommu/iommufd.h>

#include "core_test.h"
#include "core_unit.h"

#define TFD_NR_DEVS 4

struct tfd {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev[TFD_NR_DEVS];	/* RIDs 0x100.. ; dev[3] no PASID */
	struct siommu_iommufd *ictx;
	struct siommu_iommufd_acct *user;
};

static inline uint16_t tfd_rid(unsigned int i)
{
	return (uint16_t)(0x100 + 8 * i);
}

static inline void tfd_setup(struct tfd *t, uint64_t limit_pages)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	CHECK_OK(siommu_ctx_create(NULL, &t->ctx));
	CHECK_OK(test_unit_add(t->ctx, NULL, &t->unit));
	for (i = 0; i < TFD_NR_DEVS; i++)
		t->dev[i] = test_dev_add(t->unit, tfd_rid(i), i == TFD_NR_DEVS - 1 ? 0 : 20, 0);
	CHECK_OK(siommu_iommufd_acct_create(limit_pages, &t->user));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
		.ctx = t->ctx, .user = t->user }, &t->ictx));
}

static inline void tfd_teardown(struct tfd *t)
{
	siommu_iommufd_destroy(t->ictx);
	CHECK_EQ(siommu_iommufd_acct_locked(t->user), 0);
	siommu_iommufd_acct_destroy(t->user);
	siommu_ctx_destroy(t->ctx);
}

/* A paging HWPT on IOAS @ioas of @ictx, through @dev, bound here: a
 * domain mirroring the IOAS, which pins the storage of its areas. Its ID;
 * the device's in *@idev if asked. */
static inline uint32_t tfd_domain_of(struct siommu_iommufd *ictx, struct siommu_device *dev,
				     uint32_t ioas, uint32_t *idev)
{
	uint32_t d, hwpt;

	CHECK_OK(siommu_iommufd_bind(ictx, dev, &d));
	CHECK_OK(siommu_hwpt_alloc(ictx, d, ioas, 0, 0, &hwpt));
	if (idev)
		*idev = d;
	return hwpt;
}

static inline uint32_t tfd_domain(struct tfd *t, unsigned int i, uint32_t ioas)
{
	return tfd_domain_of(t->ictx, t->dev[i], ioas, NULL);
}

/* Page-aligned anonymous memory of @len bytes, filled with @seed's bytes. */
static inline void *tfd_buf(size_t len, uint8_t seed)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	size_t i;

	CHECK(p != MAP_FAILED);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
	return p;
}

/* DMA by device @i (RID, or @pasid unless SIOMMU_IOMMUFD_NO_PASID),
 * through the unit of the type under test. */
static inline int tfd_dma(struct tfd *t, unsigned int i, uint32_t pasid, uint64_t iova,
			  void *buf, size_t len, bool write)
{
	bool pp = pasid != SIOMMU_IOMMUFD_NO_PASID;

	return write ? test_unit_dma_write(t->unit, tfd_rid(i), pp, pp ? pasid : 0, iova, buf,
					   len) :
		       test_unit_dma_read(t->unit, tfd_rid(i), pp, pp ? pasid : 0, iova, buf, len,
					  NULL);
}

/* The answers a PRI device got, the last one in the unit's terms made
 * common: code 0 success, 1 invalid, 2 failure (VT-d 7.7.1; SMMUv3
 * CMD_PRI_RESP Resp 2, 0 and 1). */
struct tfd_resp {
	unsigned int code;
	bool pasid_present;
	uint32_t pasid;
	uint16_t prgi;
};

struct tfd_resp_log {
	unsigned int n;
	struct tfd_resp last;
};

static inline void tfd_on_vtd_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	struct tfd_resp_log *l = opaque;

	l->n++;
	l->last = (struct tfd_resp){ r->code, r->pasid_present, r->pasid, r->prgi };
}

static inline void tfd_on_smmuv3_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	struct tfd_resp_log *l = opaque;
	static const unsigned int code[] = { 1, 2, 0, 3 };

	l->n++;
	l->last = (struct tfd_resp){ code[r->resp & 3], r->ssv, r->ssid, r->prgi };
}

static inline void tfd_atc_none(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	(void)opaque;
	(void)inv;
}

static inline void tfd_stall_none(void *opaque, const struct siommu_smmuv3_stall_end *end)
{
	(void)opaque;
	(void)end;
}

/* Register the device at @rid with the unit under test as a PRI device
 * whose answers go to @log. */
static inline void tfd_pri_register(struct tfd *t, uint16_t rid, struct tfd_resp_log *log)
{
	static const struct siommu_vtd_dev_ops vops = { .page_resp = tfd_on_vtd_resp };
	static const struct siommu_smmuv3_dev_ops sops = { tfd_atc_none, tfd_on_smmuv3_resp,
							   tfd_stall_none };

	if (test_unit_type() == TEST_UNIT_SMMUV3)
		CHECK_OK(siommu_smmuv3_dev_register(siommu_unit_smmuv3(t->unit), rid, &sops, log));
	else
		CHECK_OK(siommu_vtd_dev_register(siommu_unit_vtd(t->unit), rid, &vops, log));
}

static inline void tfd_pri_unregister(struct tfd *t, uint16_t rid)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		siommu_smmuv3_dev_unregister(siommu_unit_smmuv3(t->unit), rid);
	else
		siommu_vtd_dev_unregister(siommu_unit_vtd(t->unit), rid);
}

/* A page request of the device at @rid (@pasid unless
 * SIOMMU_IOMMUFD_NO_PASID), group @grp, for a read or a @write. */
static inline void tfd_page_request(struct tfd *t, uint16_t rid, uint32_t pasid, uint16_t grp,
				    uint64_t addr, bool last, bool write)
{
	bool pp = pasid != SIOMMU_IOMMUFD_NO_PASID;

	if (test_unit_type() == TEST_UNIT_SMMUV3) {
		struct siommu_smmuv3_page_req req = {
			.sid = rid, .ssv = pp, .ssid = pp ? pasid : 0, .addr = addr,
			.access = write ? SIOMMU_SMMUV3_WRITE : SIOMMU_SMMUV3_READ, .prgi = grp,
			.last = last,
		};

		CHECK_OK(siommu_smmuv3_page_request(siommu_unit_smmuv3(t->unit), &req));
	} else {
		struct siommu_vtd_page_req req = {
			.rid = rid, .pasid_present = pp, .pasid = pp ? pasid : 0, .addr = addr,
			.access = write ? SIOMMU_VTD_WRITE : SIOMMU_VTD_READ, .prgi = grp,
			.last = last,
		};

		CHECK_OK(siommu_vtd_page_request(siommu_unit_vtd(t->unit), &req));
	}
}

/* The interrupt window every device of the type under test reserves:
 * VT-d 3.15's 0xfee00000..0xfeefffff, the SMMUv3 driver's MSI doorbell
 * window 0x08000000..0x080fffff. */
static inline struct siommu_iova_range tfd_msi_window(void)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		return (struct siommu_iova_range){ 0x08000000, 0x080fffff };
	return (struct siommu_iova_range){ 0xfee00000, 0xfeefffff };
}

/* The last IOVA a default paging domain of the type maps: x86-64 4-level
 * paging's lower half (2^47 - 1), an Arm stage 1 of 48 bits. */
static inline uint64_t tfd_aperture_last(void)
{
	return test_unit_type() == TEST_UNIT_SMMUV3 ? (1ull << 48) - 1 : (1ull << 47) - 1;
}

/* What a failed call must leave as it was. */
struct tfd_snapshot {
	struct siommu_iommufd_stats st;
	struct siommu_mem_stats mem;
	uint64_t pinned;
	struct siommu_iova_range ranges[16];
	uint32_t nr_ranges;
	uint64_t align;
	uint32_t types[16];
};

static inline void tfd_snap(struct tfd *t, uint32_t ioas, struct tfd_snapshot *s)
{
	uint32_t id;

	memset(s, 0, sizeof(*s));
	siommu_iommufd_get_stats(t->ictx, &s->st);
	siommu_mem_get_stats(siommu_ctx_mem(t->ctx), &s->mem);
	/* Allocation counters move with any attempt: compare what is held. */
	memset(s->mem.allocs, 0, sizeof(s->mem.allocs));
	memset(s->mem.frees, 0, sizeof(s->mem.frees));
	s->pinned = siommu_iommufd_acct_locked(t->user);
	s->nr_ranges = 16;
	if (ioas)
		CHECK_OK(siommu_ioas_iova_ranges(t->ictx, ioas, s->ranges, &s->nr_ranges,
						 &s->align));
	for (id = 0; id < 16; id++)
		s->types[id] = siommu_iommufd_obj_type(t->ictx, id);
}

static inline void tfd_same(const struct tfd_snapshot *a, const struct tfd_snapshot *b)
{
	CHECK(!memcmp(&a->st, &b->st, sizeof(a->st)));
	CHECK(!memcmp(&a->mem, &b->mem, sizeof(a->mem)));
	CHECK_EQ(a->pinned, b->pinned);
	CHECK_EQ(a->nr_ranges, b->nr_ranges);
	CHECK(!memcmp(a->ranges, b->ranges, sizeof(a->ranges)));
	CHECK_EQ(a->align, b->align);
	CHECK(!memcmp(a->types, b->types, sizeof(a->types)));
}

/* @expr must fail with @err and change nothing visible in @ioas. */
#define TFD_FAILS(t, ioas, err, expr)                                      \
	do {                                                               \
		struct tfd_snapshot _sb, _sa;                                \
		tfd_snap((t), (ioas), &_sb);                                \
		CHECK_EQ((expr), (err));                                   \
		tfd_snap((t), (ioas), &_sa);                                \
		tfd_same(&_sb, &_sa);                                        \
	} while (0)

#define RW (SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE)
#define FIXED (SIOMMU_IOAS_MAP_FIXED_IOVA)
#define NOPASID SIOMMU_IOMMUFD_NO_PASID

#endif
