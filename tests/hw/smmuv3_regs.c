/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 register file: ID registers advertise what the configuration
 * implements, CR0ACK follows CR0, read-only and reserved bits ignore
 * writes, guarded registers ignore writes while their enable is set,
 * access sizes and alignment, GBPA with SMMUEN clear.
 */
#include "smmuv3_test.h"

static void test_cfg_errors(void)
{
	struct siommu_mem *mem;
	struct siommu_smmuv3 *s;
	struct siommu_smmuv3_cfg c;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	memset(&c, 0, sizeof(c));
	c.features = SIOMMU_SMMUV3_F_ATS;	/* no stage */
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	c.features = SIOMMU_SMMUV3_F_S1 | SIOMMU_SMMUV3_F_PRI;	/* PRI without ATS */
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	c.features = 1u << 20;
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	memset(&c, 0, sizeof(c));
	c.oas = 50;
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	c.oas = 0;
	c.tlb_sets = 3;
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	c.tlb_sets = 0;
	c.asid_bits = 12;
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	c.asid_bits = 0;
	c.ssid_bits = 21;
	CHECK_EQ(siommu_smmuv3_create(mem, &c, &s), -EINVAL);
	CHECK_EQ(siommu_smmuv3_create(NULL, NULL, &s), -EINVAL);
	siommu_mem_destroy(mem);
}

static void test_idr_default(void)
{
	struct siommu_smmuv3_cfg c;
	struct st t;
	uint32_t idr0;

	st_create(&t, NULL);
	idr0 = (uint32_t)st_rd(&t, SIOMMU_SMMUV3_IDR0, 4);
	CHECK_EQ(idr0 & 3, 3);				/* S1P, S2P */
	CHECK_EQ((idr0 >> 2) & 3, 2);			/* TTF AArch64 */
	CHECK_EQ((idr0 >> 6) & 3, 1);			/* HTTU: AF */
	CHECK(idr0 & (1u << 10));			/* ATS */
	CHECK(idr0 & (1u << 12));			/* ASID16 */
	CHECK(idr0 & (1u << 13));			/* MSI */
	CHECK(idr0 & (1u << 16));			/* PRI */
	CHECK(idr0 & (1u << 18));			/* VMID16 */
	CHECK(idr0 & (1u << 19));			/* CD2L */
	CHECK_EQ((idr0 >> 24) & 3, 0);			/* STALL_MODEL: stall */
	CHECK_EQ((idr0 >> 27) & 3, 1);			/* ST_LVL 2-level */
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR1, 4),
		 16 | 20 << 6 | 8 << 11 | 8 << 16 | 8 << 21);
	CHECK(st_rd(&t, SIOMMU_SMMUV3_IDR3, 4) & (1u << 10));	/* RIL */
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR5, 4) & 0xffff, 5 | 1 << 4);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR5, 4) >> 16, 64);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_AIDR, 4), 2);
	/* A 64-bit read of two 32-bit registers returns both. */
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR0, 8),
		 idr0 | st_rd(&t, SIOMMU_SMMUV3_IDR1, 4) << 32);
	siommu_smmuv3_get_cfg(t.s, &c);
	CHECK_EQ(c.features, SIOMMU_SMMUV3_F_ALL);
	CHECK_EQ(c.oas, 48);
	st_fini(&t);
}

static void test_idr_features(void)
{
	struct siommu_smmuv3_cfg c = {
		.features = SIOMMU_SMMUV3_F_S2, .oas = 40, .sid_bits = 8,
		.ssid_bits = 5, .asid_bits = 8, .vmid_bits = 8,
	};
	struct st t;
	uint32_t idr0;

	st_create(&t, &c);
	idr0 = (uint32_t)st_rd(&t, SIOMMU_SMMUV3_IDR0, 4);
	CHECK_EQ(idr0 & 3, 1);				/* S2P only */
	CHECK_EQ(idr0 & ((1u << 10) | (1u << 12) | (1u << 16) | (1u << 18) | (1u << 19)), 0);
	CHECK_EQ((idr0 >> 6) & 3, 0);			/* no HTTU */
	CHECK_EQ((idr0 >> 24) & 3, 1);			/* terminate only */
	CHECK_EQ((idr0 >> 27) & 3, 0);			/* linear only */
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR1, 4) & 0x7ff, 8 | 5 << 6);
	CHECK_EQ((st_rd(&t, SIOMMU_SMMUV3_IDR1, 4) >> 11) & 0x1f, 0);	/* PRIQS */
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR3, 4) & (1u << 10), 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR5, 4) & 7, 2);	/* OAS 40 */
	CHECK(idr0 & (1u << 13));			/* MSI */
	st_fini(&t);
	c.no_msi = true;
	st_create(&t, &c);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IDR0, 4), idr0 & ~(1u << 13));
	st_fini(&t);
}

static void test_access_rules(void)
{
	struct st t;
	uint64_t v;

	st_create(&t, NULL);
	CHECK_EQ(siommu_smmuv3_mmio_read(t.s, SIOMMU_SMMUV3_CR0, 2, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv3_mmio_read(t.s, SIOMMU_SMMUV3_CR0 + 2, 4, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv3_mmio_read(t.s, SIOMMU_SMMUV3_CR0ACK, 8, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv3_mmio_read(t.s, SIOMMU_SMMUV3_MMIO_SIZE, 4, &v), -EINVAL);
	CHECK_EQ(siommu_smmuv3_mmio_read(t.s, 0, 4, NULL), -EINVAL);
	CHECK_EQ(siommu_smmuv3_mmio_write(t.s, SIOMMU_SMMUV3_CR0, 1, 1), -EINVAL);
	CHECK_EQ(siommu_smmuv3_mmio_write(t.s, SIOMMU_SMMUV3_STRTAB_BASE + 4, 8, 0), -EINVAL);
	/* Read-only and reserved registers ignore writes. */
	st_wr(&t, SIOMMU_SMMUV3_IDR0, 4, 0);
	CHECK(st_rd(&t, SIOMMU_SMMUV3_IDR0, 4) != 0);
	st_wr(&t, SIOMMU_SMMUV3_CR0ACK, 4, 1);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR0ACK, 4), 0);
	st_wr(&t, 0x30, 4, 0xffffffff);
	CHECK_EQ(st_rd(&t, 0x30, 4), 0);
	st_wr(&t, 0x1000, 8, ~0ull);
	CHECK_EQ(st_rd(&t, 0x1000, 8), 0);
	/* Page 0 has no event queue pointers (they are in page 1). */
	st_wr(&t, 0xa8, 4, 5);
	CHECK_EQ(st_rd(&t, 0xa8, 4), 0);
	/* A 64-bit register in two halves; reserved bits read 0. */
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 4, 0x12345fff);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE + 4, 4, 0xffffffff);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8),
		 (1ull << 62) | 0x0000ffff12345fc0ull);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE + 4, 4), 0x4000ffff);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, ~0u);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4), 0x307ff);
	st_wr(&t, SIOMMU_SMMUV3_CMDQ_BASE, 8, ~0ull);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_BASE, 8),
		 (1ull << 62) | 0x0000ffffffffffe0ull | 0x1f);
	st_fini(&t);
}

static void test_cr0_and_guards(void)
{
	struct st t;
	uint64_t base;

	st_create(&t, NULL);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, ~0u);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR0, 4), 0x1f);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR0ACK, 4), 0x1f);
	/* Guarded by SMMUEN / the queue enables: writes are ignored. */
	base = st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, 0x100000);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8), base);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 5);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4), 0);
	st_wr(&t, SIOMMU_SMMUV3_CMDQ_BASE, 8, 0x200000 | 4);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_BASE, 8, 0x200000 | 4);
	st_wr(&t, SIOMMU_SMMUV3_PRIQ_BASE, 8, 0x200000 | 4);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_BASE, 8), 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_BASE, 8), 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_PRIQ_BASE, 8), 0);
	st_wr(&t, SIOMMU_SMMUV3_CR1, 4, 0xfff);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR1, 4), 0);
	/* Enabled queues: the unit's side of each pointer is read-only. */
	st_wr(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4, 3);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CMDQ_CONS, 4), 0);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4, 3);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4), 0);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_CONS, 4, 0x80000003);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_CONS, 4), 0x80000003);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR0ACK, 4), 0);
	st_wr(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8, 0x100000);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_STRTAB_BASE, 8), 0x100000);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4, 0x80000003);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_PROD, 4), 0x80000003);
	st_wr(&t, SIOMMU_SMMUV3_CR1, 4, 0x1fff);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR1, 4), 0xfff);
	st_wr(&t, SIOMMU_SMMUV3_CR2, 4, 7);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_CR2, 4), 6);	/* E2H is RES0 */
	st_fini(&t);
}

static void test_irq_regs(void)
{
	struct siommu_smmuv3_cfg c = { .features = SIOMMU_SMMUV3_F_S1 };
	struct st t;

	st_create(&t, &c);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, ~0u);
	/* No PRI: its enable is RES0. */
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IRQ_CTRLACK, 4), 5);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8, 0x1000);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG1, 4, 7);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8), 0);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG1, 4), 0);
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8, 0x1003);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG1, 4, 7);
	st_wr(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG2, 4, 0xff);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8), 0x1000);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG1, 4), 7);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG2, 4), 0x3f);
	st_fini(&t);

	/* Each interrupt's three configuration registers, with PRI. */
	st_create(&t, NULL);
	for (unsigned int q = 0; q < 3; q++) {
		uint64_t cfg0 = q == 0 ? SIOMMU_SMMUV3_GERROR_IRQ_CFG0 :
				q == 1 ? SIOMMU_SMMUV3_EVTQ_IRQ_CFG0 : SIOMMU_SMMUV3_PRIQ_IRQ_CFG0;
		uint64_t cfg1 = q == 0 ? SIOMMU_SMMUV3_GERROR_IRQ_CFG1 : cfg0 + 8;

		st_wr(&t, cfg0, 8, ~0ull);
		st_wr(&t, cfg1, 4, 0x1000 + q);
		st_wr(&t, cfg1 + 4, 4, ~0u);
		CHECK_EQ(st_rd(&t, cfg0, 8), 0x0000fffffffffffcull);
		CHECK_EQ(st_rd(&t, cfg1, 4), 0x1000 + q);
		CHECK_EQ(st_rd(&t, cfg1 + 4, 4), 0x3f);
	}
	st_wr(&t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_IRQ_CTRLACK, 4), 7);
	st_wr(&t, SIOMMU_SMMUV3_PRIQ_IRQ_CFG1, 4, 5);
	st_wr(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG2, 4, 5);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_PRIQ_IRQ_CFG1, 4), 0x1002);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERROR_IRQ_CFG2, 4), 0x3f);
	/* GERROR is read-only; GERRORN keeps its defined bits. */
	st_wr(&t, SIOMMU_SMMUV3_GERROR, 4, ~0u);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERROR, 4), 0);
	st_wr(&t, SIOMMU_SMMUV3_GERRORN, 4, ~0u);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GERRORN, 4), 0x1fd);
	st_fini(&t);
}

static void test_gbpa(void)
{
	struct siommu_smmuv3_req r = st_req(3, false, 0, 0x12345678, SIOMMU_SMMUV3_READ);
	struct siommu_smmuv3_xlate x;
	struct st t;

	st_create(&t, NULL);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GBPA, 4), 1u << 12);
	/* SMMUEN clear, GBPA.ABORT clear: bypass. */
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, 0x12345678);
	/* Without UPDATE the write is ignored. */
	st_wr(&t, SIOMMU_SMMUV3_GBPA, 4, SIOMMU_SMMUV3_GBPA_ABORT);
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GBPA, 4), 1u << 12);
	st_wr(&t, SIOMMU_SMMUV3_GBPA, 4, SIOMMU_SMMUV3_GBPA_UPDATE | SIOMMU_SMMUV3_GBPA_ABORT |
	      (1u << 25));
	CHECK_EQ(st_rd(&t, SIOMMU_SMMUV3_GBPA, 4), SIOMMU_SMMUV3_GBPA_ABORT);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_EVT_NONE);
	CHECK(!x.event_recorded);
	/* SMMUEN set: GBPA no longer applies (an empty stream table aborts
	 * with C_BAD_STE instead). */
	st_enable(&t);
	CHECK_EQ(siommu_smmuv3_translate(t.s, &r, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_STE);
	st_wr(&t, SIOMMU_SMMUV3_GBPA, 4, SIOMMU_SMMUV3_GBPA_UPDATE);
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, 0);
	CHECK_OK(siommu_smmuv3_translate(t.s, &r, &x));
	CHECK_EQ(x.addr, 0x12345678);
	st_fini(&t);
}

int main(void)
{
	test_cfg_errors();
	test_idr_default();
	test_idr_features();
	test_access_rules();
	test_cr0_and_guards();
	test_irq_regs();
	test_gbpa();
	return 0;
}
