/* SPDX-License-Identifier: MIT */
/*
 * The encoders of siommu/smmuv3_build.h against the bit positions of the
 * SMMUv3 specification: STE 5.2, L1STD 3.4.3, CD 5.4, L1CD 5.3 and the
 * command formats of section 4. Every field is set to a value distinct
 * from its neighbours and read back at its place; a value wider than its
 * field stays inside it.
 */
#include <siommu/smmuv3_build.h>

#include "test.h"

/* Bits @hi:@lo of @w. */
static uint64_t bits(uint64_t w, unsigned int hi, unsigned int lo)
{
	return (w >> lo) & (~0ull >> (63 - hi + lo));
}

static void test_ste(void)
{
	struct siommu_smmuv3_ste_desc d = {
		.config = SIOMMU_SMMUV3_STE_NESTED, .valid = true,
		.s1_ctx_ptr = 0x0000123456789ac0ull, .s1_fmt = SIOMMU_SMMUV3_S1FMT_64K_L2,
		.s1_cdmax = 20, .s1dss = SIOMMU_SMMUV3_S1DSS_SSID0, .s1_stalld = true,
		.eats = 1, .s2_vmid = 0xbeef, .s2_t0sz = 25, .s2_sl0 = 1, .s2_ps = 5,
		.s2_affd = true, .s2_ptw = true, .s2_r = true, .s2_s = false,
		.s2_ttb = 0x0000fedcba987000ull,
	};
	uint64_t w[8];
	unsigned int i;

	siommu_smmuv3_ste_encode(&d, w);
	CHECK_EQ(bits(w[0], 0, 0), 1);				/* V */
	CHECK_EQ(bits(w[0], 3, 1), 7);				/* Config */
	CHECK_EQ(bits(w[0], 5, 4), 2);				/* S1Fmt */
	CHECK_EQ(bits(w[0], 51, 6) << 6, 0x0000123456789ac0ull);	/* S1ContextPtr */
	CHECK_EQ(bits(w[0], 58, 52), 0);
	CHECK_EQ(bits(w[0], 63, 59), 20);			/* S1CDMax */
	CHECK_EQ(bits(w[1], 1, 0), 2);				/* S1DSS */
	CHECK_EQ(bits(w[1], 27, 27), 1);			/* S1STALLD */
	CHECK_EQ(bits(w[1], 29, 28), 1);			/* EATS */
	CHECK_EQ(bits(w[1], 31, 30), 0);			/* STRW NS-EL1 */
	CHECK_EQ(bits(w[2], 15, 0), 0xbeef);			/* S2VMID */
	CHECK_EQ(bits(w[2], 37, 32), 25);			/* S2T0SZ */
	CHECK_EQ(bits(w[2], 39, 38), 1);			/* S2SL0 */
	CHECK_EQ(bits(w[2], 47, 46), 0);			/* S2TG 4K */
	CHECK_EQ(bits(w[2], 50, 48), 5);			/* S2PS */
	CHECK_EQ(bits(w[2], 51, 51), 1);			/* S2AA64 */
	CHECK_EQ(bits(w[2], 52, 52), 0);			/* S2ENDI */
	CHECK_EQ(bits(w[2], 53, 53), 1);			/* S2AFFD */
	CHECK_EQ(bits(w[2], 54, 54), 1);			/* S2PTW */
	CHECK_EQ(bits(w[2], 57, 57), 0);			/* S2S */
	CHECK_EQ(bits(w[2], 58, 58), 1);			/* S2R */
	CHECK_EQ(bits(w[3], 51, 4) << 4, 0x0000fedcba987000ull);	/* S2TTB */
	CHECK_EQ(bits(w[3], 63, 52) | bits(w[3], 3, 0), 0);
	for (i = 4; i < 8; i++)
		CHECK_EQ(w[i], 0);

	/* A stage-1 config: word 2 carries the VMID tag alone, word 3 nothing. */
	d.config = SIOMMU_SMMUV3_STE_S1;
	siommu_smmuv3_ste_encode(&d, w);
	CHECK_EQ(bits(w[0], 3, 1), 5);
	CHECK_EQ(w[2], 0xbeef);
	CHECK_EQ(w[3], 0);

	/* Abort, invalid: only Config (and V clear). */
	d = (struct siommu_smmuv3_ste_desc){ .config = SIOMMU_SMMUV3_STE_ABORT };
	siommu_smmuv3_ste_encode(&d, w);
	CHECK_EQ(bits(w[0], 3, 0), 0);
	d.valid = true;
	d.config = SIOMMU_SMMUV3_STE_BYPASS;
	siommu_smmuv3_ste_encode(&d, w);
	CHECK_EQ(w[0], 9);

	/* Out-of-range values stay in their fields. */
	d = (struct siommu_smmuv3_ste_desc){ .config = SIOMMU_SMMUV3_STE_S1,
					     .s1_cdmax = 0xff, .s1dss = 7, .eats = 7 };
	siommu_smmuv3_ste_encode(&d, w);
	CHECK_EQ(bits(w[0], 58, 0), 0xa);
	CHECK_EQ(bits(w[1], 1, 0), 3);
	CHECK_EQ(bits(w[1], 29, 28), 3);
	CHECK_EQ(bits(w[1], 31, 30), 0);

	CHECK_EQ(siommu_smmuv3_l1std_encode(0x12345000ull, 9), 0x12345000ull | 9);
	CHECK_EQ(siommu_smmuv3_l1std_encode(0x12345000ull, 0), 0);
	CHECK_EQ(siommu_smmuv3_l1std_encode(0x1234567fffull, 0x3f), 0x1234567fc0ull | 0x1f);
}

static void test_cd(void)
{
	struct siommu_smmuv3_cd_desc d = {
		.valid = true, .t0sz = 16, .ips = 5, .asid = 0xa5c3,
		.ttb0 = 0x0000abcdef012000ull, .affd = true, .ha = true, .r = true,
		.a = true, .s = false,
	};
	uint64_t w[8];
	unsigned int i;

	siommu_smmuv3_cd_encode(&d, w);
	CHECK_EQ(bits(w[0], 5, 0), 16);			/* T0SZ */
	CHECK_EQ(bits(w[0], 7, 6), 0);			/* TG0 4K */
	CHECK_EQ(bits(w[0], 14, 14), 0);		/* EPD0 */
	CHECK_EQ(bits(w[0], 15, 15), 0);		/* ENDI */
	CHECK_EQ(bits(w[0], 30, 30), 1);		/* EPD1 */
	CHECK_EQ(bits(w[0], 31, 31), 1);		/* V */
	CHECK_EQ(bits(w[0], 34, 32), 5);		/* IPS */
	CHECK_EQ(bits(w[0], 35, 35), 1);		/* AFFD */
	CHECK_EQ(bits(w[0], 41, 41), 1);		/* AA64 */
	CHECK_EQ(bits(w[0], 42, 42), 0);		/* HD */
	CHECK_EQ(bits(w[0], 43, 43), 1);		/* HA */
	CHECK_EQ(bits(w[0], 44, 44), 0);		/* S */
	CHECK_EQ(bits(w[0], 45, 45), 1);		/* R */
	CHECK_EQ(bits(w[0], 46, 46), 1);		/* A */
	CHECK_EQ(bits(w[0], 63, 48), 0xa5c3);		/* ASID */
	CHECK_EQ(bits(w[1], 51, 4) << 4, 0x0000abcdef012000ull);	/* TTB0 */
	CHECK_EQ(w[2], 0);				/* TTB1 */
	CHECK_EQ(bits(w[3], 7, 0), 0xff);		/* MAIR Attr0: write-back */
	for (i = 4; i < 8; i++)
		CHECK_EQ(w[i], 0);

	d = (struct siommu_smmuv3_cd_desc){ .t0sz = 0xff, .ips = 0xf, .s = true };
	siommu_smmuv3_cd_encode(&d, w);
	CHECK_EQ(bits(w[0], 5, 0), 0x3f);
	CHECK_EQ(bits(w[0], 7, 6), 0);
	CHECK_EQ(bits(w[0], 31, 31), 0);
	CHECK_EQ(bits(w[0], 34, 32), 7);
	CHECK_EQ(bits(w[0], 35, 35), 0);
	CHECK_EQ(bits(w[0], 44, 44), 1);

	CHECK_EQ(siommu_smmuv3_l1cd_encode(0x0000123456789000ull), 0x0000123456789001ull);
	CHECK_EQ(siommu_smmuv3_l1cd_encode(0x0000123456789fffull), 0x0000123456789001ull);
	CHECK_EQ(siommu_smmuv3_l1cd_encode(0), 0);
}

static void cmd(const struct siommu_smmuv3_cmd *c, uint64_t w[2])
{
	siommu_smmuv3_cmd_encode(c, w);
	CHECK_EQ(bits(w[0], 7, 0), c->op);
}

static void test_cmds(void)
{
	uint64_t w[2];

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_CFGI_STE, .sid = 0x89abcdef,
					 .leaf = true }, w);
	CHECK_EQ(w[0], 0x89abcdef00000003ull);
	CHECK_EQ(w[1], 1);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_CFGI_STE_RANGE,
					 .sid = 0x100, .range = 31 }, w);
	CHECK_EQ(w[0], 0x0000010000000004ull);
	CHECK_EQ(w[1], 31);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_CFGI_CD, .sid = 7,
					 .ssid = 0xfffff, .leaf = true }, w);
	CHECK_EQ(bits(w[0], 31, 12), 0xfffff);			/* SSID */
	CHECK_EQ(bits(w[0], 63, 32), 7);			/* StreamID */
	CHECK_EQ(bits(w[0], 11, 8), 0);
	CHECK_EQ(w[1], 1);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_CFGI_CD_ALL, .sid = 9 }, w);
	CHECK_EQ(w[0], 0x0000000900000006ull);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_TLBI_NH_VA, .vmid = 0x1234,
					 .asid = 0xfedc, .addr = 0x0000123456789fffull,
					 .leaf = true, .num = 31, .scale = 20, .tg = 1,
					 .ttl = 3 }, w);
	CHECK_EQ(bits(w[0], 16, 12), 31);			/* NUM */
	CHECK_EQ(bits(w[0], 24, 20), 20);			/* SCALE */
	CHECK_EQ(bits(w[0], 47, 32), 0x1234);			/* VMID */
	CHECK_EQ(bits(w[0], 63, 48), 0xfedc);			/* ASID */
	CHECK_EQ(bits(w[1], 0, 0), 1);				/* Leaf */
	CHECK_EQ(bits(w[1], 9, 8), 3);				/* TTL */
	CHECK_EQ(bits(w[1], 11, 10), 1);			/* TG */
	CHECK_EQ(bits(w[1], 63, 12) << 12, 0x0000123456789000ull);

	/* NH_VAA and S2_IPA have no ASID. */
	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_TLBI_S2_IPA, .vmid = 3,
					 .asid = 0xffff, .addr = 0x5000 }, w);
	CHECK_EQ(w[0], 0x000000030000002aull);
	CHECK_EQ(w[1], 0x5000);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_TLBI_NH_ASID, .vmid = 2,
					 .asid = 0x77 }, w);
	CHECK_EQ(w[0], 0x0077000200000011ull);
	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_TLBI_S12_VMALL, .vmid = 0xffff,
					 .asid = 0x77 }, w);
	CHECK_EQ(w[0], 0x0000ffff00000028ull);
	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL, .vmid = 1 }, w);
	CHECK_EQ(w[0], 0x30);
	CHECK_EQ(w[1], 0);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_ATC_INV, .sid = 0x10,
					 .ssv = true, .ssid = 5, .global = true,
					 .addr = 0x40000, .size = 52 }, w);
	CHECK_EQ(bits(w[0], 9, 9), 1);				/* Global */
	CHECK_EQ(bits(w[0], 11, 11), 1);			/* SSV */
	CHECK_EQ(bits(w[0], 31, 12), 5);
	CHECK_EQ(bits(w[0], 63, 32), 0x10);
	CHECK_EQ(bits(w[1], 5, 0), 52);				/* Size */
	CHECK_EQ(bits(w[1], 63, 12) << 12, 0x40000);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_PRI_RESP, .sid = 0x10,
					 .ssv = true, .ssid = 3, .prgi = 0x1ff, .resp = 2 }, w);
	CHECK_EQ(w[0], 0x0000001000003841ull);
	CHECK_EQ(bits(w[1], 8, 0), 0x1ff);			/* PRGI */
	CHECK_EQ(bits(w[1], 13, 12), 2);			/* Resp */

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_RESUME, .sid = 4,
					 .stag = 0xabcd, .action = 1 }, w);
	CHECK_EQ(w[0], 0x0000000400001044ull);
	CHECK_EQ(w[1], 0xabcd);

	cmd(&(struct siommu_smmuv3_cmd){ .op = SIOMMU_SMMUV3_CMD_SYNC,
					 .cs = SIOMMU_SMMUV3_SYNC_CS_IRQ,
					 .msi_addr = 0x0000123456789abfull,
					 .msi_data = 0xcafef00d }, w);
	CHECK_EQ(bits(w[0], 13, 12), 1);			/* CS */
	CHECK_EQ(bits(w[0], 23, 22), 3);			/* MSH */
	CHECK_EQ(bits(w[0], 27, 24), 0xf);			/* MSIAttr */
	CHECK_EQ(bits(w[0], 63, 32), 0xcafef00d);		/* MSIData */
	CHECK_EQ(w[1], 0x0000123456789abcull);			/* MSIAddr 51:2 */
}

int main(void)
{
	test_ste();
	test_cd();
	test_cmds();
	return 0;
}
