/* SPDX-License-Identifier: MIT */
/*
 * The page-table configurations every pt test runs over, and a reference
 * decoder of table entries written from the format specifications, so tests
 * check the bytes in memory independently of the library's codecs.
 */
#ifndef SIOMMU_TEST_PT_CASES_H
#define SIOMMU_TEST_PT_CASES_H

#include <stdbool.h>
#include <siommu/pt.h>

struct pt_case {
	const char *name;
	struct siommu_pt_cfg cfg;
	uint64_t max_iova;	/* last mappable input address */
	unsigned int levels;
};

static const struct pt_case pt_cases[] = {
	{ "x86_64_4l", { .format = SIOMMU_PT_X86_64, .ias = 48 }, (1ull << 47) - 1, 4 },
	{ "x86_64_5l", { .format = SIOMMU_PT_X86_64, .ias = 57 }, (1ull << 56) - 1, 5 },
	{ "vtd_ss_3l", { .format = SIOMMU_PT_VTD_SS, .ias = 39 }, (1ull << 39) - 1, 3 },
	{ "vtd_ss_4l", { .format = SIOMMU_PT_VTD_SS, .ias = 48 }, (1ull << 48) - 1, 4 },
	{ "vtd_ss_5l", { .format = SIOMMU_PT_VTD_SS, .ias = 57 }, (1ull << 57) - 1, 5 },
	{ "arm_s1", { .format = SIOMMU_PT_ARM_S1, .ias = 48 }, (1ull << 48) - 1, 4 },
	{ "arm_s1_40", { .format = SIOMMU_PT_ARM_S1, .ias = 40 }, (1ull << 40) - 1, 4 },
	{ "arm_s2", { .format = SIOMMU_PT_ARM_S2, .ias = 48 }, (1ull << 48) - 1, 4 },
	{ "arm_s2_39", { .format = SIOMMU_PT_ARM_S2, .ias = 39 }, (1ull << 39) - 1, 3 },
};
#define NR_PT_CASES (sizeof(pt_cases) / sizeof(pt_cases[0]))

/* A decoded entry, per the specs (x86 SDM 4.5, VT-d 9.8, Arm ARM D8.3). */
struct ref_pte {
	bool present, table;
	uint64_t addr;
	bool r, w, x, user;
	bool dirty_bit;
};

static inline struct ref_pte ref_decode(enum siommu_pt_format f, uint64_t e,
					unsigned int lvl)
{
	struct ref_pte d = { 0 };
	uint64_t sz = 1ull << (12 + 9 * lvl);

	switch (f) {
	case SIOMMU_PT_X86_64:
		d.present = e & 1;
		d.table = lvl > 0 && !(e & (1ull << 7));
		d.addr = e & 0x000ffffffffff000ull & (d.table ? ~0ull : ~(sz - 1));
		d.r = true;
		d.w = e & 2;
		d.user = e & 4;
		d.x = !(e >> 63);
		d.dirty_bit = e & (1ull << 6);
		break;
	case SIOMMU_PT_VTD_SS:
		d.present = e & 3;
		d.table = lvl > 0 && !(e & (1ull << 7));
		d.addr = e & 0x000ffffffffff000ull & (d.table ? ~0ull : ~(sz - 1));
		d.r = e & 1;
		d.w = e & 2;
		d.x = e & 4;
		d.dirty_bit = e & (1ull << 9);
		break;
	case SIOMMU_PT_ARM_S1:
		d.present = e & 1;
		d.table = lvl > 0 && (e & 3) == 3;
		if (d.present && !d.table && lvl == 0 && (e & 3) != 3)
			d.present = false;	/* 0b01 at level 3 is invalid */
		d.addr = e & 0x0000fffffffff000ull;
		d.r = true;
		d.w = !(e & (1ull << 7));
		d.user = e & (1ull << 6);
		d.x = !(e & (3ull << 53));
		d.dirty_bit = (e & (1ull << 51)) && !(e & (1ull << 7));
		break;
	case SIOMMU_PT_ARM_S2:
		d.present = e & 1;
		d.table = lvl > 0 && (e & 3) == 3;
		if (d.present && !d.table && lvl == 0 && (e & 3) != 3)
			d.present = false;
		d.addr = e & 0x0000fffffffff000ull;
		d.r = e & (1ull << 6);
		d.w = e & (1ull << 7);
		d.x = !(e & (1ull << 54));
		d.dirty_bit = (e & (1ull << 51)) && (e & (1ull << 7));
		break;
	default:
		break;
	}
	return d;
}

/*
 * Walk the table in memory the way hardware would. Returns the PA of the
 * leaf entry for @iova and its level, or 0 if the walk ends at a non-present
 * entry.
 */
static inline uint64_t ref_walk(struct siommu_mem *mem, struct siommu_pt *pt,
				uint64_t iova, unsigned int *lvl_out,
				struct ref_pte *out)
{
	struct siommu_pt_cfg cfg;
	uint64_t table = siommu_pt_root(pt);
	int lvl = (int)siommu_pt_levels(pt) - 1;

	siommu_pt_get_cfg(pt, &cfg);
	for (; lvl >= 0; lvl--) {
		uint64_t epa = table + ((iova >> (12 + 9 * lvl)) & 511) * 8, e;
		struct ref_pte d;

		if (siommu_mem_load64(mem, epa, &e))
			return 0;
		d = ref_decode(cfg.format, e, lvl);
		if (!d.present)
			return 0;
		if (!d.table) {
			*lvl_out = lvl;
			*out = d;
			return epa;
		}
		table = d.addr;
	}
	return 0;
}

#endif
