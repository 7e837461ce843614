/* SPDX-License-Identifier: MIT */
/*
 * The unit type the core's shared suites run against (the property,
 * stress and fail-nth tests of the OS half). A test program runs against
 * one type, named by SIOMMU_TEST_UNIT (default "vtd"); tests/meson.build
 * registers each such program once per type in core_unit_types, so a new
 * driver joins those suites with its name there and a case in each helper
 * below. The helpers speak the core's vocabulary: what a test asks of a
 * unit (PASID width, input width, a unit with the second stage only) and
 * of its hardware (a DMA read by RID and PASID, and the fault it raised).
 */
#ifndef SIOMMU_TEST_CORE_UNIT_H
#define SIOMMU_TEST_CORE_UNIT_H

#include <string.h>

#include <siommu/core.h>
#include <siommu/smmuv3.h>
#include <siommu/smmuv2.h>
#include <siommu/vtd.h>

#include "test.h"

enum test_unit_type { TEST_UNIT_VTD, TEST_UNIT_SMMUV3, TEST_UNIT_SMMUV2 };

static const char *const test_unit_names[] = {
	[TEST_UNIT_VTD] = "vtd",
	[TEST_UNIT_SMMUV3] = "smmuv3",
	[TEST_UNIT_SMMUV2] = "smmuv2",
};

/* The type SIOMMU_TEST_UNIT names; an unknown name fails the test. */
static inline enum test_unit_type test_unit_type(void)
{
	const char *e = getenv("SIOMMU_TEST_UNIT");
	unsigned int i;

	if (!e || !*e)
		return TEST_UNIT_VTD;
	for (i = 0; i < sizeof(test_unit_names) / sizeof(test_unit_names[0]); i++)
		if (!strcmp(e, test_unit_names[i]))
			return (enum test_unit_type)i;
	fprintf(stderr, "SIOMMU_TEST_UNIT=%s: no such unit type\n", e);
	exit(1);
}

struct test_unit_cfg {
	unsigned int pasid_bits;	/* PASID width; 0: the type's default */
	unsigned int ias;		/* input address width; 0: default,
					 * TEST_UNIT_IAS_MAX: the widest (a
					 * unit whose default paging domain
					 * no default unit can walk) */
	bool second_stage_only;		/* no first stage (and pass-through) */
};
#define TEST_UNIT_IAS_MAX (~0u)

/* siommu_unit_add_*() for the type under test; @c NULL for defaults. */
static inline int test_unit_add(struct siommu_ctx *ctx, const struct test_unit_cfg *c,
				struct siommu_unit **out)
{
	struct test_unit_cfg d = c ? *c : (struct test_unit_cfg){ 0 };

	switch (test_unit_type()) {
	case TEST_UNIT_VTD: {
		struct siommu_vtd_cfg vc = {
			.pasid_bits = d.pasid_bits,
			.aw = d.ias == TEST_UNIT_IAS_MAX ? 57 : d.ias,
			.caps = d.second_stage_only ? SIOMMU_VTD_CAP_SS | SIOMMU_VTD_CAP_PT : 0,
		};

		return siommu_unit_add_vtd(ctx, c ? &vc : NULL, out);
	}
	case TEST_UNIT_SMMUV3: {
		/* Stage 1 has a 48-bit input on every unit and stage 2 the
		 * unit's output width, 48 by default: nothing is wider. What
		 * the widest unit stands for, a default paging domain that
		 * no default unit walks, is a stage-2 unit of another
		 * width. */
		struct siommu_smmuv3_cfg sc = {
			.ssid_bits = d.pasid_bits,
			.oas = d.ias == TEST_UNIT_IAS_MAX ? 40 : d.ias,
		};

		if (d.second_stage_only || d.ias == TEST_UNIT_IAS_MAX)
			sc.features = SIOMMU_SMMUV3_F_ALL & ~(SIOMMU_SMMUV3_F_S1 |
							      SIOMMU_SMMUV3_F_CD2L);
		return siommu_unit_add_smmuv3(ctx, &sc, out);
	}
	case TEST_UNIT_SMMUV2: {
		/* No PASIDs whatever is asked; the widest stage-1 input is
		 * 48 bits; the second stage only is a unit without stage 1
		 * (and bypass stays: S2CR BYPASS is always there). */
		struct siommu_smmuv2_cfg sc = {
			.features = d.second_stage_only ? SIOMMU_SMMUV2_F_S2 : 0,
			.num_smrg = 128,
			.num_cb = 128,
		};

		return siommu_unit_add_smmuv2(ctx, &sc, out);
	}
	}
	return -EINVAL;
}

/*
 * What the type's attach accepts beyond what the core checks. A PASID
 * takes a domain of @type with a second-stage table (@second) or not:
 * SMMUv3 substreams are CDs, stage 1 only (no bypass, no stage 2), as in
 * Linux. And a second-stage domain at a device's RID excludes PASID
 * attachments (other than blocked) both ways on SMMUv3, whose stage-2 STE
 * has no substreams. Both give -EINVAL.
 */
static inline bool test_unit_pasid_domain_ok(enum siommu_domain_type type, bool second)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		return type != SIOMMU_DOMAIN_IDENTITY && !second;
	return true;
}

static inline bool test_unit_s2_rid_excludes_pasids(void)
{
	return test_unit_type() == TEST_UNIT_SMMUV3;
}

/* Whether an attached domain of @type holds a domain ID of the unit
 * (siommu_unit_stats.domain_ids): VT-d's PASID entries all name a DID;
 * SMMUv3 tags paging and SVA domains alone (an ASID or a VMID). */
static inline bool test_unit_domain_takes_id(enum siommu_domain_type type)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		return type == SIOMMU_DOMAIN_PAGING || type == SIOMMU_DOMAIN_SVA;
	return true;
}

/* The interrupt (MSI) window of the type's devices, which the DMA API
 * never hands out: VT-d's 0xFEE00000-0xFEEFFFFF, the SMMUv3 driver's
 * doorbell window 0x08000000-0x080FFFFF. */
static inline void test_unit_msi_window(uint64_t *first, uint64_t *last)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3) {
		*first = 0x08000000ull;
		*last = 0x080fffffull;
	} else {
		*first = 0xfee00000ull;
		*last = 0xfeefffffull;
	}
}

/* Whether the type under test has PASIDs: a test skips its PASID parts
 * on one that has none (saying so), not the whole test. */
static inline bool test_unit_has_pasids(void)
{
	return test_unit_type() != TEST_UNIT_SMMUV2;
}

/* @flags (SIOMMU_DEV_*) without what the type under test cannot take:
 * SMMUv2 has neither ATS nor PRI. */
static inline unsigned int test_unit_dev_flags(unsigned int flags)
{
	if (test_unit_type() == TEST_UNIT_SMMUV2)
		flags &= ~(SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	return flags;
}

/*
 * The eight words of @sid's STE on SMMUv3 unit @unit, read from @mem the
 * way the unit finds it (SMMUv3 3.4: STRTAB_BASE, linear or 2-level);
 * zeros where no level-2 table is linked.
 */
static inline void test_smmuv3_ste(struct siommu_unit *unit, struct siommu_mem *mem,
				   uint32_t sid, uint64_t w[8])
{
	struct siommu_smmuv3 *s = siommu_unit_smmuv3(unit);
	uint64_t base = 0, cfg = 0, l1 = 0;

	CHECK_OK(siommu_smmuv3_mmio_read(s, SIOMMU_SMMUV3_STRTAB_BASE, 8, &base));
	CHECK_OK(siommu_smmuv3_mmio_read(s, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, &cfg));
	base &= 0x000fffffffffffc0ull;
	memset(w, 0, 8 * sizeof(*w));
	if ((cfg >> 16) & 3) {
		unsigned int split = (cfg >> 6) & 0x1f;

		CHECK_OK(siommu_mem_read(mem, base + (uint64_t)(sid >> split) * 8, &l1, 8));
		if (!(l1 & 0x1f))
			return;
		base = (l1 & 0x000fffffffffffc0ull) - (uint64_t)(sid >> split << split) * 64;
	}
	CHECK_OK(siommu_mem_read(mem, base + (uint64_t)sid * 64, w, 64));
}

/* What a DMA through the unit ran into. */
struct test_dma_res {
	uint32_t fault_reason;		/* the type's code, 0: no translation fault */
	bool fault_recorded;		/* the unit recorded it (a handler ran) */
};

/*
 * A device's DMA read of @len bytes at @iova, by @rid and (with @pp)
 * @pasid, through @unit's hardware: 0, or -EFAULT with @res (may be NULL)
 * saying why.
 */
static inline int test_unit_dma_read(struct siommu_unit *unit, uint16_t rid, bool pp,
				     uint32_t pasid, uint64_t iova, void *buf, size_t len,
				     struct test_dma_res *res)
{
	int err = -EINVAL;

	switch (test_unit_type()) {
	case TEST_UNIT_VTD: {
		struct siommu_vtd_req req = {
			.rid = rid, .pasid_present = pp, .pasid = pasid, .iova = iova,
		};
		struct siommu_vtd_xlate x;

		memset(&x, 0, sizeof(x));
		err = siommu_vtd_dma_read(siommu_unit_vtd(unit), &req, buf, len, NULL,
					  res ? &x : NULL);
		if (res)
			*res = (struct test_dma_res){ x.fault_reason, x.fault_recorded };
		break;
	}
	case TEST_UNIT_SMMUV3: {
		struct siommu_smmuv3_req req = {
			.sid = rid, .ssv = pp, .ssid = pasid, .iova = iova,
		};
		struct siommu_smmuv3_xlate x;

		memset(&x, 0, sizeof(x));
		err = siommu_smmuv3_dma_read(siommu_unit_smmuv3(unit), &req, buf, len, NULL,
					     res ? &x : NULL);
		if (res)
			*res = (struct test_dma_res){ x.event, x.event_recorded };
		break;
	}
	case TEST_UNIT_SMMUV2: {
		/* No SubstreamID on the bus: a PASID-tagged request cannot be
		 * issued at all. */
		struct siommu_smmuv2_req req = { .sid = rid, .iova = iova };
		struct siommu_smmuv2_xlate x;

		memset(&x, 0, sizeof(x));
		if (pp) {
			if (res)
				*res = (struct test_dma_res){ 0, false };
			return -EOPNOTSUPP;
		}
		err = siommu_smmuv2_dma_read(siommu_unit_smmuv2(unit), &req, buf, len, NULL,
					     res ? &x : NULL);
		/* The driver reports a global fault's sGFSR bits with
		 * SIOMMU_SMMUV2_FAULT_GLOBAL, a context fault's FSR bit. */
		if (res)
			*res = (struct test_dma_res){
				err == -EFAULT && x.fsr ?
					x.fsr | (x.global ? SIOMMU_SMMUV2_FAULT_GLOBAL : 0) : 0,
				err == -EFAULT && x.recorded };
		break;
	}
	}
	return err;
}

/*
 * Translate one byte at @iova by @rid (and @pasid with @pp) for a read
 * (@write false) or a write, through @unit's hardware: 0 with *@pa set,
 * or the model's error (-EFAULT: a fault).
 */
static inline int test_unit_translate(struct siommu_unit *unit, uint16_t rid, bool pp,
				      uint32_t pasid, uint64_t iova, bool read, bool write,
				      uint64_t *pa)
{
	int err = -EINVAL;

	switch (test_unit_type()) {
	case TEST_UNIT_VTD: {
		struct siommu_vtd_req req = {
			.rid = rid, .pasid_present = pp, .pasid = pasid, .iova = iova,
			.len = 1, .access = (read ? SIOMMU_VTD_READ : 0) |
					    (write ? SIOMMU_VTD_WRITE : 0),
		};
		struct siommu_vtd_xlate x;

		memset(&x, 0, sizeof(x));
		err = siommu_vtd_translate(siommu_unit_vtd(unit), &req, &x);
		*pa = x.addr;
		break;
	}
	case TEST_UNIT_SMMUV3: {
		struct siommu_smmuv3_req req = {
			.sid = rid, .ssv = pp, .ssid = pasid, .iova = iova, .len = 1,
			.access = (read ? SIOMMU_SMMUV3_READ : 0) |
				  (write ? SIOMMU_SMMUV3_WRITE : 0),
		};
		struct siommu_smmuv3_xlate x;

		memset(&x, 0, sizeof(x));
		err = siommu_smmuv3_translate(siommu_unit_smmuv3(unit), &req, &x);
		*pa = x.addr;
		break;
	}
	case TEST_UNIT_SMMUV2: {
		struct siommu_smmuv2_req req = {
			.sid = rid, .iova = iova, .len = 1,
			.access = (read ? SIOMMU_SMMUV2_READ : 0) |
				  (write ? SIOMMU_SMMUV2_WRITE : 0),
		};
		struct siommu_smmuv2_xlate x;

		/* No SubstreamID on the bus (test_unit_dma_read()). */
		if (pp)
			return -EOPNOTSUPP;
		memset(&x, 0, sizeof(x));
		err = siommu_smmuv2_translate(siommu_unit_smmuv2(unit), &req, &x);
		*pa = x.addr;
		break;
	}
	}
	return err;
}

/* The same for a DMA write of @len bytes from @buf. */
static inline int test_unit_dma_write(struct siommu_unit *unit, uint16_t rid, bool pp,
				      uint32_t pasid, uint64_t iova, const void *buf,
				      size_t len)
{
	switch (test_unit_type()) {
	case TEST_UNIT_VTD: {
		struct siommu_vtd_req req = {
			.rid = rid, .pasid_present = pp, .pasid = pasid, .iova = iova,
		};

		return siommu_vtd_dma_write(siommu_unit_vtd(unit), &req, buf, len, NULL, NULL);
	}
	case TEST_UNIT_SMMUV3: {
		struct siommu_smmuv3_req req = {
			.sid = rid, .ssv = pp, .ssid = pasid, .iova = iova,
		};

		return siommu_smmuv3_dma_write(siommu_unit_smmuv3(unit), &req, buf, len, NULL,
					       NULL);
	}
	case TEST_UNIT_SMMUV2: {
		struct siommu_smmuv2_req req = { .sid = rid, .iova = iova };

		if (pp)
			return -EOPNOTSUPP;
		return siommu_smmuv2_dma_write(siommu_unit_smmuv2(unit), &req, buf, len, NULL,
					       NULL);
	}
	}
	return -EINVAL;
}

#endif
