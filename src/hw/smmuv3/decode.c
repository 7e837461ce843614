/* SPDX-License-Identifier: MIT */
/*
 * Decoders for SMMUv3 structures (siommu/smmuv3_build.h): the fields the
 * encoders write, read back at the bit positions of the architecture:
 * STE SMMUv3 5.2, L1STD 3.4.3, CD 5.4, L1CD 5.3; and which event records
 * describe the transaction (7.3).
 */
#include <siommu/smmuv3.h>
#include <siommu/smmuv3_build.h>

#include "util/compiler.h"

/* Bits @hi:@lo of @w. */
static uint64_t bits(uint64_t w, unsigned int hi, unsigned int lo)
{
	return (w >> lo) & (~0ull >> (63 - hi + lo));
}

#define ADDR(a, hi, lo) ((a) & (~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

void SIOMMU_EXPORT siommu_smmuv3_ste_decode(const uint64_t ste[8],
					    struct siommu_smmuv3_ste_desc *d)
{
	*d = (struct siommu_smmuv3_ste_desc){
		.valid = bits(ste[0], 0, 0),
		.config = (enum siommu_smmuv3_ste_config)bits(ste[0], 3, 1),
		.s1_fmt = (enum siommu_smmuv3_s1fmt)bits(ste[0], 5, 4),
		.s1_ctx_ptr = ADDR(ste[0], 51, 6),
		.s1_cdmax = (unsigned int)bits(ste[0], 63, 59),
		.s1dss = (enum siommu_smmuv3_s1dss)bits(ste[1], 1, 0),
		.s1_stalld = bits(ste[1], 27, 27),
		.eats = (unsigned int)bits(ste[1], 29, 28),
		.s2_vmid = (uint16_t)bits(ste[2], 15, 0),
		.s2_t0sz = (unsigned int)bits(ste[2], 37, 32),
		.s2_sl0 = (unsigned int)bits(ste[2], 39, 38),
		.s2_ps = (unsigned int)bits(ste[2], 50, 48),
		.s2_affd = bits(ste[2], 53, 53),
		.s2_ptw = bits(ste[2], 54, 54),
		.s2_s = bits(ste[2], 57, 57),
		.s2_r = bits(ste[2], 58, 58),
		.s2_ttb = ADDR(ste[3], 51, 4),
	};
}

unsigned int SIOMMU_EXPORT siommu_smmuv3_l1std_decode(uint64_t l1std, uint64_t *l2)
{
	*l2 = ADDR(l1std, 51, 6);
	return (unsigned int)bits(l1std, 4, 0);
}

void SIOMMU_EXPORT siommu_smmuv3_cd_decode(const uint64_t cd[8],
					   struct siommu_smmuv3_cd_desc *d)
{
	*d = (struct siommu_smmuv3_cd_desc){
		.t0sz = (unsigned int)bits(cd[0], 5, 0),
		.epd0 = bits(cd[0], 14, 14),
		.valid = bits(cd[0], 31, 31),
		.ips = (unsigned int)bits(cd[0], 34, 32),
		.affd = bits(cd[0], 35, 35),
		.ha = bits(cd[0], 43, 43),
		.s = bits(cd[0], 44, 44),
		.r = bits(cd[0], 45, 45),
		.a = bits(cd[0], 46, 46),
		.asid = (uint16_t)bits(cd[0], 63, 48),
		.ttb0 = ADDR(cd[1], 51, 4),
	};
}

bool SIOMMU_EXPORT siommu_smmuv3_l1cd_decode(uint64_t l1cd, uint64_t *l2)
{
	*l2 = ADDR(l1cd, 51, 12);
	return bits(l1cd, 0, 0);
}

bool SIOMMU_EXPORT siommu_smmuv3_event_has_access(unsigned int id)
{
	switch (id) {
	case SIOMMU_SMMUV3_C_BAD_STREAMID:
	case SIOMMU_SMMUV3_F_STE_FETCH:
	case SIOMMU_SMMUV3_C_BAD_STE:
	case SIOMMU_SMMUV3_F_STREAM_DISABLED:
	case SIOMMU_SMMUV3_C_BAD_SUBSTREAMID:
	case SIOMMU_SMMUV3_F_CD_FETCH:
	case SIOMMU_SMMUV3_C_BAD_CD:
		return false;
	}
	return true;
}
