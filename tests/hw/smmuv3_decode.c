/* SPDX-License-Identifier: MIT */
/*
 * The decoders of siommu/smmuv3_build.h are the encoders' inverse: random
 * descriptions (every field within its width, 0 and all-ones included)
 * come back field for field through encode then decode, and words the
 * encoders wrote come back word for word through decode then encode.
 * Fields a config does not encode (stage 2's beyond the VMID in a stage-1
 * STE) decode as 0.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <siommu/smmuv3_build.h>

#include "test.h"

/* A random value of @bits bits, 0 or all-ones one time in four each. */
static uint64_t field(struct test_rng *r, unsigned int bits)
{
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;

	switch (test_rand_below(r, 4)) {
	case 0: return 0;
	case 1: return mask;
	default: return test_rand(r) & mask;
	}
}

static void check_ste(struct test_rng *r)
{
	static const enum siommu_smmuv3_ste_config configs[] = {
		SIOMMU_SMMUV3_STE_ABORT, SIOMMU_SMMUV3_STE_BYPASS, SIOMMU_SMMUV3_STE_S1,
		SIOMMU_SMMUV3_STE_S2, SIOMMU_SMMUV3_STE_NESTED,
	};
	struct siommu_smmuv3_ste_desc d = {
		.config = configs[test_rand_below(r, 5)], .valid = field(r, 1),
		.s1_ctx_ptr = field(r, 52) & ~0x3full, .s1_fmt = field(r, 2),
		.s1_cdmax = field(r, 5), .s1dss = field(r, 2), .s1_stalld = field(r, 1),
		.eats = field(r, 2), .s2_vmid = field(r, 16), .s2_t0sz = field(r, 6),
		.s2_sl0 = field(r, 2), .s2_ps = field(r, 3), .s2_affd = field(r, 1),
		.s2_ptw = field(r, 1), .s2_r = field(r, 1), .s2_s = field(r, 1),
		.s2_ttb = field(r, 52) & ~0xfull,
	}, back;
	uint64_t w[8], again[8];

	siommu_smmuv3_ste_encode(&d, w);
	siommu_smmuv3_ste_decode(w, &back);
	if (d.config != SIOMMU_SMMUV3_STE_S2 && d.config != SIOMMU_SMMUV3_STE_NESTED) {
		uint16_t vmid = d.s2_vmid;

		memset(&d.s2_vmid, 0, sizeof(d) - offsetof(struct siommu_smmuv3_ste_desc, s2_vmid));
		d.s2_vmid = vmid;
	}
	CHECK_EQ(back.config, d.config);
	CHECK_EQ(back.valid, d.valid);
	CHECK_EQ(back.s1_ctx_ptr, d.s1_ctx_ptr);
	CHECK_EQ(back.s1_fmt, d.s1_fmt);
	CHECK_EQ(back.s1_cdmax, d.s1_cdmax);
	CHECK_EQ(back.s1dss, d.s1dss);
	CHECK_EQ(back.s1_stalld, d.s1_stalld);
	CHECK_EQ(back.eats, d.eats);
	CHECK_EQ(back.s2_vmid, d.s2_vmid);
	CHECK_EQ(back.s2_t0sz, d.s2_t0sz);
	CHECK_EQ(back.s2_sl0, d.s2_sl0);
	CHECK_EQ(back.s2_ps, d.s2_ps);
	CHECK_EQ(back.s2_affd, d.s2_affd);
	CHECK_EQ(back.s2_ptw, d.s2_ptw);
	CHECK_EQ(back.s2_r, d.s2_r);
	CHECK_EQ(back.s2_s, d.s2_s);
	CHECK_EQ(back.s2_ttb, d.s2_ttb);
	siommu_smmuv3_ste_encode(&back, again);
	CHECK(!memcmp(w, again, sizeof(w)));
}

static void check_cd(struct test_rng *r)
{
	struct siommu_smmuv3_cd_desc d = {
		.valid = field(r, 1), .t0sz = field(r, 6), .ips = field(r, 3),
		.asid = field(r, 16), .ttb0 = field(r, 52) & ~0xfull, .affd = field(r, 1),
		.ha = field(r, 1), .r = field(r, 1), .a = field(r, 1), .s = field(r, 1),
	}, back;
	uint64_t w[8], again[8];

	siommu_smmuv3_cd_encode(&d, w);
	siommu_smmuv3_cd_decode(w, &back);
	CHECK_EQ(back.valid, d.valid);
	CHECK_EQ(back.t0sz, d.t0sz);
	CHECK_EQ(back.ips, d.ips);
	CHECK_EQ(back.asid, d.asid);
	CHECK_EQ(back.ttb0, d.ttb0);
	CHECK_EQ(back.affd, d.affd);
	CHECK_EQ(back.ha, d.ha);
	CHECK_EQ(back.r, d.r);
	CHECK_EQ(back.a, d.a);
	CHECK_EQ(back.s, d.s);
	siommu_smmuv3_cd_encode(&back, again);
	CHECK(!memcmp(w, again, sizeof(w)));
}

static void check_l1(struct test_rng *r)
{
	uint64_t l2 = field(r, 52) & ~0xfffull, got = 1;
	unsigned int span = (unsigned int)field(r, 5);

	CHECK_EQ(siommu_smmuv3_l1std_decode(siommu_smmuv3_l1std_encode(l2, span), &got), span);
	CHECK_EQ(got, span ? l2 : 0);
	CHECK_EQ(siommu_smmuv3_l1cd_decode(siommu_smmuv3_l1cd_encode(l2), &got), l2 != 0);
	CHECK_EQ(got, l2);
	/* Bits outside the address (reserved, above 51) are not part of it. */
	CHECK_EQ(siommu_smmuv3_l1cd_decode(~0ull, &got), true);
	CHECK_EQ(got, 0x000ffffffffff000ull);
	CHECK_EQ(siommu_smmuv3_l1std_decode(~0ull, &got), 0x1f);
	CHECK_EQ(got, 0x000fffffffffffc0ull);
}

int main(void)
{
	struct test_rng r = test_rng_init(0x5eed5d3c0de);
	uint64_t i, n = test_ops(20000);

	for (i = 0; i < n; i++) {
		check_ste(&r);
		check_cd(&r);
		check_l1(&r);
	}
	return 0;
}
