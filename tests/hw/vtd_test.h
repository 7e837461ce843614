/* SPDX-License-Identifier: MIT */
/*
 * Shared setup for the VT-d model tests: a memory, a unit programmed the
 * way a driver would (root table, scalable mode, translation and queued
 * invalidation enabled, 256-bit descriptors), and helpers to submit
 * descriptors and issue requests.
 */
#ifndef SIOMMU_TESTS_VTD_TEST_H
#define SIOMMU_TESTS_VTD_TEST_H

#include <errno.h>
#include <siommu/mem.h>
#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#include "test.h"

struct vt {
	struct siommu_mem *mem;
	struct siommu_vtd *v;
	uint64_t root;
	uint64_t iq;		/* invalidation queue, 1 page of 32-byte slots */
	uint64_t status;	/* wait status word */
	uint64_t prq;		/* page request queue, 1 page */
	unsigned int msi[3];
	uint64_t msi_addr;
	uint32_t msi_data;
};

static inline void vt_msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr,
			  uint32_t data)
{
	struct vt *t = opaque;

	__atomic_fetch_add(&t->msi[irq], 1, __ATOMIC_RELAXED);
	t->msi_addr = addr;
	t->msi_data = data;
}

static inline uint64_t vt_rd(struct vt *t, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	CHECK_OK(siommu_vtd_mmio_read(t->v, off, size, &val));
	return val;
}

static inline void vt_wr(struct vt *t, uint64_t off, unsigned int size, uint64_t val)
{
	CHECK_OK(siommu_vtd_mmio_write(t->v, off, size, val));
}

static inline uint64_t vt_page(struct vt *t)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(t->mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	return pa;
}

/* Unit created, nothing enabled. */
static inline void vt_create(struct vt *t, const struct siommu_vtd_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	CHECK_OK(siommu_mem_create(NULL, &t->mem));
	CHECK_OK(siommu_vtd_create(t->mem, cfg, &t->v));
	siommu_vtd_set_msi(t->v, vt_msi, t);
}

/* Root table, scalable mode, TE, 256-bit QI, page request queue. */
static inline void vt_enable(struct vt *t)
{
	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &t->root));
	vt_wr(t, SIOMMU_VTD_REG_RTADDR, 8, t->root | SIOMMU_VTD_RTADDR_SMT);
	vt_wr(t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_SRTP);
	CHECK(vt_rd(t, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_SRTP);
	t->iq = vt_page(t);
	t->status = vt_page(t);
	t->prq = vt_page(t);
	vt_wr(t, SIOMMU_VTD_REG_IQT, 8, 0);
	vt_wr(t, SIOMMU_VTD_REG_IQA, 8, t->iq | SIOMMU_VTD_IQA_DW);
	vt_wr(t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_QIE);
	vt_wr(t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_QIE | SIOMMU_VTD_GCMD_TE);
	CHECK_EQ(vt_rd(t, SIOMMU_VTD_REG_GSTS, 4) &
		 (SIOMMU_VTD_GCMD_QIE | SIOMMU_VTD_GCMD_TE),
		 SIOMMU_VTD_GCMD_QIE | SIOMMU_VTD_GCMD_TE);
	vt_wr(t, SIOMMU_VTD_REG_PQA, 8, t->prq);
	vt_wr(t, SIOMMU_VTD_REG_PQH, 8, 0);
	vt_wr(t, SIOMMU_VTD_REG_FECTL, 4, 0);
	vt_wr(t, SIOMMU_VTD_REG_IECTL, 4, 0);
	vt_wr(t, SIOMMU_VTD_REG_PECTL, 4, 0);
}

static inline void vt_init(struct vt *t, const struct siommu_vtd_cfg *cfg)
{
	vt_create(t, cfg);
	vt_enable(t);
}

static inline void vt_fini(struct vt *t)
{
	siommu_vtd_destroy(t->v);
	siommu_mem_destroy(t->mem);
}

/* Writes descriptors at IQT and moves IQT past them (one IQT write). */
static inline void vt_submit(struct vt *t, const struct siommu_vtd_desc *d,
			     unsigned int n)
{
	uint64_t tail = vt_rd(t, SIOMMU_VTD_REG_IQT, 8);
	unsigned int i;

	for (i = 0; i < n; i++) {
		CHECK_OK(siommu_mem_write(t->mem, t->iq + tail, &d[i], 32));
		tail = (tail + 32) % 4096;
	}
	vt_wr(t, SIOMMU_VTD_REG_IQT, 8, tail);
}

/* Submits @d followed by a wait with a status write; checks completion. */
static inline void vt_inv(struct vt *t, struct siommu_vtd_desc d)
{
	static uint32_t cookie = 0x1000;
	struct siommu_vtd_desc q[2];
	uint32_t st = 0;

	q[0] = d;
	q[1] = siommu_vtd_desc_wait(true, false, false, false, t->status, ++cookie);
	vt_submit(t, q, 2);
	CHECK_OK(siommu_mem_read(t->mem, t->status, &st, 4));
	CHECK_EQ(st, cookie);
	CHECK_EQ(vt_rd(t, SIOMMU_VTD_REG_IQH, 8), vt_rd(t, SIOMMU_VTD_REG_IQT, 8));
}

static inline void vt_ctx(struct vt *t, uint16_t rid, bool paside, uint32_t rid_pasid)
{
	struct siommu_vtd_ctx_desc c = { .pdts = 7, .paside = paside,
					 .rid_pasid = rid_pasid, .dte = true,
					 .pre = true };

	CHECK_OK(siommu_vtd_build_context(t->mem, t->root, rid, &c, NULL));
}

/* PASID entry for first-stage translation with a new FS root; returns it. */
static inline uint64_t vt_pasid_fs(struct vt *t, uint16_t rid, uint32_t pasid,
				   uint16_t did, unsigned int levels)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = did,
					   .fs_levels = levels, .sre = true,
					   .ere = true };

	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &p.fs_root));
	CHECK_OK(siommu_vtd_build_pasid(t->mem, t->root, rid, pasid, &p));
	return p.fs_root;
}

static inline uint64_t vt_pasid_ss(struct vt *t, uint16_t rid, uint32_t pasid,
				   uint16_t did, unsigned int levels)
{
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_SS, .did = did,
					   .ss_levels = levels, .sre = true,
					   .ere = true, .ssee = true };

	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &p.ss_root));
	CHECK_OK(siommu_vtd_build_pasid(t->mem, t->root, rid, pasid, &p));
	return p.ss_root;
}

static inline struct siommu_vtd_req vt_req(uint16_t rid, bool pp, uint32_t pasid,
					   uint64_t iova, uint32_t access)
{
	struct siommu_vtd_req r = { .rid = rid, .pasid_present = pp, .pasid = pasid,
				    .iova = iova, .len = 1, .access = access };
	return r;
}

/* Translates; returns the fault reason (0 on success). */
static inline uint32_t vt_xlate(struct vt *t, uint16_t rid, bool pp, uint32_t pasid,
				uint64_t iova, uint32_t access,
				struct siommu_vtd_xlate *res)
{
	struct siommu_vtd_req r = vt_req(rid, pp, pasid, iova, access);
	struct siommu_vtd_xlate x;
	int ret;

	if (!res)
		res = &x;
	ret = siommu_vtd_translate(t->v, &r, res);
	if (ret) {
		CHECK_EQ(ret, -EFAULT);
		CHECK(res->fault_reason != 0);
		return res->fault_reason;
	}
	return 0;
}

static inline uint64_t vt_xlate_ok(struct vt *t, uint16_t rid, bool pp,
				   uint32_t pasid, uint64_t iova, uint32_t access)
{
	struct siommu_vtd_xlate x;

	CHECK_EQ(vt_xlate(t, rid, pp, pasid, iova, access, &x), 0);
	return x.addr;
}

/* Clears all fault records and status so that the next fault is logged. */
static inline void vt_clear_faults(struct vt *t)
{
	struct siommu_vtd_cfg c;
	unsigned int i;

	siommu_vtd_get_cfg(t->v, &c);
	for (i = 0; i < c.nr_fault_records; i++)
		vt_wr(t, SIOMMU_VTD_REG_FRCD + 16 * i + 12, 4, 1u << 31);
	vt_wr(t, SIOMMU_VTD_REG_FSTS, 4, 0xff);
}

#endif
