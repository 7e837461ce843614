/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the iommufd object model: context creation, IOAS
 * alloc, MAP (with no domain, and with domains attached: a failure after
 * the pages are pinned or part-way through the domains), MAP_FILE, COPY,
 * ALLOW_IOVAS, IOVA_RANGES, FAULT_QUEUE_ALLOC, HWPT_ALLOC (plain, PASID,
 * dirty tracking where the unit has it, with a fault queue, nest parent,
 * nested: over the parent on VT-d, from a vIOMMU on SMMUv3 with
 * VIOMMU_ALLOC and VDEVICE_ALLOC), bind, attach to an IOAS (a new
 * automatic domain) and to a HWPT, attach at a PASID, replace, and
 * HUGE_PAGES, and accesses: create, pin (across areas), rw, replace.
 * Step 1, 2, 3, ... of each is failed (the core context's
 * memory countdown drives the library's allocations, frames, the PA
 * window allocator and the PASID space) until a run consumes no failure.
 * Each failure returns -ENOMEM and changes nothing observable: objects,
 * areas, page storage in use, pinned pages, IOVA ranges and alignment,
 * attachments, DMA of every device at probe addresses, PASIDs in use,
 * hardware memory. (A failed page-table map may keep levels it allocated,
 * siommu/pt.h, and a registration of caller memory may stay cached
 * unused, so page-table memory and RAM regions are compared only after
 * teardown.) UNMAP (over an access's pin, too), detach, destroy, unbind,
 * an access's unpin and destroy, the context's teardown and the
 * dirty-tracking calls consume no step.
 */
#include <errno.h>

#include <siommu/smmuv3_build.h>

#include "iommufd_test.h"
#include "fail_nth.h"

#define MAX_STEPS 400

static struct siommu_mem *mem;
static struct tfd t;
static uint32_t ioas, ioas2, d0, d1;
static uint64_t failures;
static const uint64_t probes[] = { 0x100000, 0x200000, 0x300000, 0x400000 };

struct snapshot {
	struct tfd_snapshot s;
	struct siommu_pasid_stats ps;
	uint64_t hw_bytes, dma_bytes;
	uint32_t att[3];
	int dma[2][4];
};

static void snap(struct snapshot *s)
{
	struct siommu_mem_stats ms;
	unsigned int i, j;

	memset(s, 0, sizeof(*s));
	tfd_snap(&t, ioas, &s->s);
	memset(s->s.mem.in_use, 0, sizeof(s->s.mem.in_use));
	s->s.mem.nr_regions = 0;
	s->s.mem.ram_bytes = 0;
	s->s.mem.pool_free_bytes = 0;
	siommu_mem_get_stats(mem, &ms);
	s->hw_bytes = ms.in_use[SIOMMU_MEM_HW];
	s->dma_bytes = ms.in_use[SIOMMU_MEM_DMA];
	siommu_pasid_get_stats(siommu_ctx_pasids(t.ctx), &s->ps);
	/* Per-PASID state is allocated lazily and kept (siommu/pasid.h). */
	s->ps.bytes = 0;
	if (d0) {
		s->att[0] = siommu_iommufd_attached_hwpt(t.ictx, d0, NOPASID);
		s->att[1] = siommu_iommufd_attached_hwpt(t.ictx, d0, 7);
	}
	if (d1)
		s->att[2] = siommu_iommufd_attached_hwpt(t.ictx, d1, NOPASID);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++) {
			uint8_t b[16];

			s->dma[i][j] = tfd_dma(&t, i, NOPASID, probes[j], b, sizeof(b), false);
		}
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	tfd_same(&a->s, &b->s);
	CHECK(!memcmp(&a->ps, &b->ps, sizeof(a->ps)));
	CHECK_EQ(a->hw_bytes, b->hw_bytes);
	CHECK_EQ(a->dma_bytes, b->dma_bytes);
	CHECK(!memcmp(a->att, b->att, sizeof(a->att)));
	CHECK(!memcmp(a->dma, b->dma, sizeof(a->dma)));
}

/* An access's one pin, which its callback lets go of. */
static uint32_t acc;
static uint64_t pin_iova, pin_len;

static void acc_unmap(void *data, uint64_t iova, uint64_t length)
{
	(void)data;
	if (pin_len && pin_iova <= iova + (length - 1) && iova <= pin_iova + pin_len - 1) {
		CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, acc, pin_iova, pin_len));
		pin_len = 0;
	}
}

static const struct siommu_iommufd_access_ops acc_ops = { .unmap = acc_unmap };

static int acc_pin(uint64_t iova, uint64_t len, void **pages)
{
	int ret = siommu_iommufd_access_pin_pages(t.ictx, acc, iova, len, pages,
						  SIOMMU_IOMMUFD_ACCESS_RW_WRITE);

	if (!ret) {
		pin_iova = iova;
		pin_len = len;
	}
	return ret;
}

static int map_at(uint32_t id, void *buf, uint64_t len, uint64_t iova)
{
	return siommu_ioas_map(t.ictx, id, RW | FIXED, buf, len, &iova);
}

int main(void)
{
	const size_t len = 4 << 20;
	uint8_t *buf = tfd_buf(len, 3);
	struct siommu_iova_range r[4];
	struct siommu_mem_stats before, after;
	uint64_t iova, v;
	uint32_t n, h, hp, hd = 0, hf, hn, hnest, f, pt, tmp;
	bool smmuv3 = test_unit_type() == TEST_UNIT_SMMUV3;
	int fd = memfd_create("fail-nth", 0);

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, 1 << 20));
	tfd_setup(&t, UINT64_MAX);
	mem = siommu_ctx_mem(t.ctx);
	siommu_mem_get_stats(mem, &before);

	/* A context of its own, swept on the same memory. */
	{
		struct siommu_iommufd *x;

		SWEEP("iommufd_create", siommu_iommufd_create(&(struct siommu_iommufd_cfg){
			.ctx = t.ctx }, &x));
		NO_STEP(siommu_iommufd_destroy(x));
	}
	SWEEP("ioas_alloc", siommu_ioas_alloc(t.ictx, &ioas));
	SWEEP("ioas_alloc (second)", siommu_ioas_alloc(t.ictx, &ioas2));
	SWEEP("map (no domain)", map_at(ioas, buf, 65536, 0x100000));
	SWEEP("map_file (no domain)", siommu_ioas_map_file(t.ictx, ioas, RW | FIXED, fd, 0,
							    65536, &(uint64_t){ 0x110000 }));
	SWEEP("bind", siommu_iommufd_bind(t.ictx, t.dev[0], &d0));
	SWEEP("bind (second)", siommu_iommufd_bind(t.ictx, t.dev[1], &d1));
	pt = ioas;
	SWEEP("attach (automatic domain)", siommu_iommufd_attach(t.ictx, d0, NOPASID, &pt));
	tmp = ioas;
	SWEEP("attach (reused domain)", siommu_iommufd_attach(t.ictx, d1, NOPASID, &tmp));
	CHECK_EQ(tmp, pt);
	SWEEP("map (domain attached)", map_at(ioas, buf + 65536, 3 << 20, 0x400000));
	SWEEP("hwpt_alloc", siommu_hwpt_alloc(t.ictx, d0, ioas, 0, 0, &h));
	SWEEP("hwpt_alloc (pasid)", siommu_hwpt_alloc(t.ictx, d0, ioas, SIOMMU_HWPT_ALLOC_PASID, 0,
						      &hp));
	/* SMMUv3 has no hardware dirty state (iommufd_dirty@smmuv3). */
	if (!smmuv3)
		SWEEP("hwpt_alloc (dirty tracking)", siommu_hwpt_alloc(t.ictx, d0, ioas,
					SIOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, &hd));
	SWEEP("fault_alloc", siommu_fault_alloc(t.ictx, &f));
	SWEEP("hwpt_alloc (fault queue)", siommu_hwpt_alloc(t.ictx, d0, ioas,
				SIOMMU_HWPT_FAULT_ID_VALID, f, &hf));
	SWEEP("map (two domains)", map_at(ioas, buf, 8192, 0x300000));
	SWEEP("copy", siommu_ioas_copy(t.ictx, ioas2, ioas, RW, 0x100000, 0x20000, &iova));
	SWEEP("copy (across areas)", siommu_ioas_copy(t.ictx, ioas2, ioas, RW | FIXED,
						      0x10f000, 0x2000, &(uint64_t){ 0x10000000 }));
	r[0] = (struct siommu_iova_range){ 0x1000000, 0x1ffffff };
	r[1] = (struct siommu_iova_range){ 0x4000000, 0x4ffffff };
	SWEEP("allow_iovas", siommu_ioas_allow_iovas(t.ictx, ioas, r, 2));
	n = 4;
	SWEEP("iova_ranges", siommu_ioas_iova_ranges(t.ictx, ioas, r, &n, &v));
	SWEEP("map (picked IOVA)", siommu_ioas_map(t.ictx, ioas, RW, buf, 1 << 20, &iova));
	tmp = hp;
	SWEEP("replace (RID)", siommu_iommufd_replace(t.ictx, d0, NOPASID, &tmp));
	tmp = hp;
	SWEEP("attach (PASID)", siommu_iommufd_attach(t.ictx, d0, 7, &tmp));
	/* 4K pages only, set while no domain maps ioas2's areas (Linux
	 * refuses it after): the automatic domain is made so. */
	v = 0;
	SWEEP("option huge_pages", siommu_iommufd_option(t.ictx, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES,
						 SIOMMU_IOMMUFD_OPTION_OP_SET, ioas2, &v));
	tmp = ioas2;
	SWEEP("replace (new automatic domain)", siommu_iommufd_replace(t.ictx, d1, NOPASID,
								       &tmp));
	SWEEP("map (4K pages only)", map_at(ioas2, buf, 1 << 20, 0x40000000));
	/* Accesses: a pin across a MAP and a MAP_FILE area, copies, a move
	 * to another IOAS (whose callback unpins), an unmap over a pin. */
	{
		void *pages[2];
		uint8_t b[64];
		uint32_t acc2;

		SWEEP("access_create", siommu_iommufd_access_create(t.ictx, ioas, &acc_ops, NULL,
					SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES, &acc));
		SWEEP("access_create (copies only)", siommu_iommufd_access_create(t.ictx, ioas2,
					NULL, NULL, 0, &acc2));
		SWEEP("access_pin_pages", acc_pin(0x10f000, 0x2000, pages));
		SWEEP("access_rw", siommu_iommufd_access_rw(t.ictx, acc, 0x10ffe0, b, sizeof(b),
							    0));
		SWEEP("access_rw (physical)", siommu_iommufd_access_rw(t.ictx, acc, 0x10ffe0, b,
					sizeof(b), SIOMMU_IOMMUFD_ACCESS_RW_WRITE |
					SIOMMU_IOMMUFD_ACCESS_RW_PHYS));
		NO_STEP(CHECK_OK(siommu_iommufd_access_unpin_pages(t.ictx, acc, 0x10f000, 0x2000)));
		pin_len = 0;
		SWEEP("access_pin_pages (again)", acc_pin(0x100000, 0x1000, pages));
		SWEEP("access_replace", siommu_iommufd_access_replace(t.ictx, acc, ioas2));
		CHECK_EQ(pin_len, 0);
		SWEEP("access_pin_pages (new IOAS)", acc_pin(0x40000000, 0x1000, pages));
		NO_STEP(CHECK_OK(siommu_ioas_unmap(t.ictx, ioas2, 0x40000000, 1 << 20, NULL)));
		CHECK_EQ(pin_len, 0);
		CHECK_OK(map_at(ioas2, buf, 1 << 20, 0x40000000));
		SWEEP("access_pin_pages (kept)", acc_pin(0x40000000, 0x1000, pages));
		NO_STEP(CHECK_OK(siommu_iommufd_access_destroy(t.ictx, acc)));
		CHECK_EQ(pin_len, 0);
		NO_STEP(CHECK_OK(siommu_iommufd_access_destroy(t.ictx, acc2)));
	}
	/* Nested: a guest table at GPA 0x100000 (buf, zeroed there) over a
	 * nest parent of ioas. */
	memset(buf, 0, 4096);
	SWEEP("hwpt_alloc (nest parent)", siommu_hwpt_alloc(t.ictx, d0, ioas,
							    SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &hn));
	if (smmuv3) {
		/* A guest STE whose CD table is at GPA 0x100000 (invalid CDs:
		 * the device's DMA faults), from a vIOMMU that knows d0. */
		struct siommu_hwpt_arm_smmuv3 ste = { { 1 | SIOMMU_SMMUV3_STE_S1 << 1 | 0x100000,
							SIOMMU_SMMUV3_S1DSS_SSID0 } };
		struct siommu_hwpt_nested_cfg c = {
			.dev_id = d0, .data_type = SIOMMU_HWPT_DATA_ARM_SMMUV3,
			.data_len = sizeof(ste), .data = &ste,
		};
		struct siommu_viommu_arm_smmuv3_invalidate e = {
			{ SIOMMU_SMMUV3_CMD_TLBI_NH_ASID | 1ull << 48, 0 } };
		uint32_t vi, vd;

		SWEEP("viommu_alloc", siommu_viommu_alloc(t.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3,
							  d0, hn, &vi));
		SWEEP("vdevice_alloc", siommu_vdevice_alloc(t.ictx, vi, d0, 0x10, &vd));
		c.pt_id = vi;
		SWEEP("hwpt_alloc_nested (vIOMMU)", siommu_hwpt_alloc_nested(t.ictx, &c, &hnest));
		/* The guest's substreams exclude the host's PASIDs. */
		NO_STEP(CHECK_OK(siommu_iommufd_detach(t.ictx, d0, 7)));
		tmp = hnest;
		SWEEP("replace (nested, RID)", siommu_iommufd_replace(t.ictx, d0, NOPASID, &tmp));
		n = 1;
		NO_STEP(CHECK_OK(siommu_hwpt_invalidate(t.ictx, vi,
							SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3,
							&e, sizeof(e), &n)));
	} else {
		struct siommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x100000, .addr_width = 48 };
		/* PASID 7 of d0 is attached: the RID's HWPT must allow it. */
		struct siommu_hwpt_nested_cfg c = {
			.flags = SIOMMU_HWPT_ALLOC_PASID, .dev_id = d0, .pt_id = hn, .data_type = SIOMMU_HWPT_DATA_VTD_S1,
			.data_len = sizeof(s1), .data = &s1,
		};
		struct siommu_hwpt_vtd_s1_invalidate e = { .addr = 0x1000, .npages = 4 };

		SWEEP("hwpt_alloc_nested", siommu_hwpt_alloc_nested(t.ictx, &c, &hnest));
		tmp = hnest;
		SWEEP("replace (nested, RID)", siommu_iommufd_replace(t.ictx, d0, NOPASID, &tmp));
		n = 1;
		NO_STEP(CHECK_OK(siommu_hwpt_invalidate(t.ictx, hnest,
							SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &e,
							sizeof(e), &n)));
	}

	/* Teardown takes no step. */
	NO_STEP(CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, iova, 1 << 20, NULL)));
	NO_STEP(CHECK_OK(siommu_iommufd_detach(t.ictx, d0, 7)));
	NO_STEP(CHECK_OK(siommu_iommufd_detach(t.ictx, d1, NOPASID)));
	if (hd) {
		NO_STEP(CHECK_OK(siommu_hwpt_set_dirty_tracking(t.ictx, hd, true)));
		NO_STEP(CHECK_OK(siommu_hwpt_get_dirty_bitmap(t.ictx, hd, 0x400000, 1 << 20, 4096,
							      0, (uint64_t[4]){ 0 })));
		NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, hd)));
	}
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, hf)));
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, f)));
	NO_STEP(CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, h)));
	NO_STEP(CHECK_OK(siommu_ioas_unmap(t.ictx, ioas2, 0, UINT64_MAX, NULL)));
	NO_STEP(CHECK_OK(siommu_ioas_unmap(t.ictx, ioas, 0x110000, 65536, NULL)));
	NO_STEP(CHECK_OK(siommu_iommufd_unbind(t.ictx, d1)));
	NO_STEP(siommu_iommufd_destroy(t.ictx));
	t.ictx = NULL;
	close(fd);
	siommu_mem_get_stats(mem, &after);
	CHECK_EQ(after.in_use[SIOMMU_MEM_PT], before.in_use[SIOMMU_MEM_PT]);
	CHECK_EQ(after.nr_regions, before.nr_regions);
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	fprintf(stderr, "%" PRIu64 " injected failures, each changing nothing\n", failures);
	siommu_iommufd_acct_destroy(t.user);
	siommu_ctx_destroy(t.ctx);
	munmap(buf, len);
	return 0;
}
