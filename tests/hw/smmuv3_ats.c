/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 ATS: translation requests need STE.EATS; a missing translation
 * or permission is an answer without permissions, not an event;
 * configuration errors are completer aborts; CMD_ATC_INV reaches the
 * device's callback with its span decoded.
 */
#include "smmuv3_test.h"

#define POOL 0x100000000ull

static const uint32_t R = SIOMMU_SMMUV3_READ, W = SIOMMU_SMMUV3_WRITE;

struct dev {
	unsigned int n;
	struct siommu_smmuv3_atc_inv last;
};

static void dev_atc_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	struct dev *d = opaque;

	d->n++;
	d->last = *inv;
}

static int ats(struct st *t, uint32_t sid, bool ssv, uint32_t ssid, uint64_t iova,
	       uint32_t access, struct siommu_smmuv3_xlate *x)
{
	struct siommu_smmuv3_req r = st_req(sid, ssv, ssid, iova, access);

	return siommu_smmuv3_ats_translate(t->s, &r, x);
}

static void test_ats_translate(void)
{
	struct siommu_smmuv3_xlate x;
	uint64_t cd, root, rec[4];
	struct st t;

	st_init(&t, NULL);
	root = st_s1_root(&t, 0x1000, POOL + 0x1000);
	st_map(&t, root, 1, 39, 0x2000, POOL + 0x2000, 3, S1_RO, 0);
	cd = st_alloc(&t, 4096);
	st_cd(&t, cd, 1, root, 25, 0);
	/* EATS 0: F_BAD_ATS_TREQ. */
	st_ste(&t, 1, STE_V | STE_CFG(5) | cd, 0, 0, 0);
	CHECK_EQ(ats(&t, 1, false, 0, 0x1000, R, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_BAD_ATS_TREQ);
	st_expect_event(&t, SIOMMU_SMMUV3_F_BAD_ATS_TREQ, 1, rec);
	/* EATS 1. */
	st_ste(&t, 2, STE_V | STE_CFG(5) | cd, STE1_EATS(1), 0, 0);
	CHECK_OK(ats(&t, 2, false, 0, 0x1234, R | W, &x));
	CHECK_EQ(x.addr, POOL + 0x1234);
	CHECK_EQ(x.perm & (R | W), R | W);
	/* Read-only: the answer lacks W; no event. */
	CHECK_OK(ats(&t, 2, false, 0, 0x2000, R | W, &x));
	CHECK_EQ(x.perm & (R | W), R);
	/* Not mapped: no permissions, no event. */
	CHECK_OK(ats(&t, 2, false, 0, 0x9000, R, &x));
	CHECK_EQ(x.perm, 0);
	st_no_event(&t);
	/* Configuration errors abort; STE.V = 0 and a terminated default
	 * substream record nothing, other errors are recorded. */
	CHECK_EQ(ats(&t, 3, false, 0, 0x1000, R, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_STE);
	CHECK(!x.event_recorded);
	st_ste(&t, 4, STE_V | STE_CFG(5) | STE_CDMAX(2) | cd, STE1_EATS(1), 0, 0);
	CHECK_EQ(ats(&t, 4, false, 0, 0x1000, R, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_STREAM_DISABLED);
	CHECK(!x.event_recorded);
	st_no_event(&t);
	CHECK_EQ(ats(&t, 4, true, 9, 0x1000, R, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID);
	st_expect_event(&t, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID, 4, rec);
	/* ATS never stalls: an output beyond the OAS is a completer abort
	 * even with CD.S. */
	st_cd(&t, cd, 1, root, 25, CD0_S);
	st_cmd_sync(&t, OP_CFGI_CD | CMD_SID(2), 0);
	CHECK_OK(ats(&t, 2, false, 0, 0x9000, R, &x));
	CHECK_EQ(x.perm, 0);
	st_map(&t, root, 1, 39, 0x4000, 1ull << 48, 3, S1_RW, 0);
	CHECK_EQ(ats(&t, 2, false, 0, 0x4000, R, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_ADDR_SIZE);
	CHECK(!x.stalled);
	/* SMMUEN clear: no translation. */
	st_wr(&t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	CHECK_EQ(ats(&t, 2, false, 0, 0x1000, R, &x), -EFAULT);
	st_fini(&t);
}

static void test_atc_inv(void)
{
	struct siommu_smmuv3_cfg noats = { .features = SIOMMU_SMMUV3_F_S1 };
	struct siommu_smmuv3_xlate x;
	struct dev d = { 0 };
	const struct siommu_smmuv3_dev_ops ops = { .atc_inv = dev_atc_inv };
	struct st t;

	st_init(&t, NULL);
	CHECK_OK(siommu_smmuv3_dev_register(t.s, 9, &ops, &d));
	/* Size 0: one page. */
	st_cmd_sync(&t, OP_ATC_INV | CMD_SID(9), 0x12345000);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.last.sid, 9);
	CHECK(!d.last.ssv);
	CHECK_EQ(d.last.addr, 0x12345000);
	CHECK_EQ(d.last.size, 4096);
	/* Size 3: 8 pages, the address aligned to them; with a SubstreamID. */
	st_cmd_sync(&t, OP_ATC_INV | CMD_SID(9) | CMD_SSV | CMD_SSID(0x77), 0x12345000 | 3);
	CHECK(d.last.ssv);
	CHECK_EQ(d.last.ssid, 0x77);
	CHECK_EQ(d.last.addr, 0x12340000);
	CHECK_EQ(d.last.size, 32768);
	/* Size 52: everything; Global. */
	st_cmd_sync(&t, OP_ATC_INV | CMD_SID(9) | 1ull << 9, 52);
	CHECK(d.last.global);
	CHECK_EQ(d.last.addr, 0);
	CHECK_EQ(d.last.size, ~0ull);
	/* Another stream's: not this device's. */
	st_cmd_sync(&t, OP_ATC_INV | CMD_SID(10), 0);
	CHECK_EQ(d.n, 3);
	siommu_smmuv3_dev_unregister(t.s, 9);
	st_cmd_sync(&t, OP_ATC_INV | CMD_SID(9), 0);
	CHECK_EQ(d.n, 3);
	st_fini(&t);

	st_init(&t, &noats);
	CHECK_EQ(ats(&t, 1, false, 0, 0, R, &x), -ENOTSUP);
	st_fini(&t);
}

int main(void)
{
	test_ats_translate();
	test_atc_inv();
	return 0;
}
