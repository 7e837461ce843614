/* SPDX-License-Identifier: MIT */
/*
 * Randomized property test of private PASIDs (siommu/ppasid.h) against a
 * reference model, on the unit type under test.
 *
 * Three devices behind one unit; private PASIDs are allocated on random
 * sets of them, mapped and unmapped page by page (each page a DMA buffer
 * whose words hold a distinct pattern), and freed. A device's DMA in a
 * private PASID's space must read exactly what the model says that PASID
 * maps at the address, or fault: never another PASID's page, never a page
 * unmapped before (strict invalidation), never a freed PASID's.
 *
 * On a unit with PASIDs (VT-d) the DMA carries the PASID. On a unit without
 * (SMMUv2) each device registered PASID hooks, which record what the
 * driver installs; a DMA "in a PASID" is what the device does: write the
 * recorded TTBR0 into the recorded bank, TLBIASID and TLBSYNC (unless that
 * table is live there already), and DMA by its stream, leaving the table
 * live: a later unmap must invalidate it by its ASID there. There the RID is also replaced now
 * and then between two stage-1 domains (the PASIDs move with it: installed
 * again in the new bank) and an identity domain (they are removed until
 * the RID has a stage-1 bank again); the hooks' records must match the
 * model at every step.
 */
#include <errno.h>

#include <siommu/core.h>
#include <siommu/ppasid.h>
#include <siommu/smmuv2.h>

#include "core_test.h"
#include "core_unit.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define NR_DEV 3
#define NR_PP 6			/* private PASID slots */
#define NR_IOVA 4
#define NR_BUF 16
#define NONE (-1)

static const uint64_t iovas[NR_IOVA] = { 0x1000, 0x2000, 0x200000, 0x7fff0000 };
static uint64_t buf_pa[NR_BUF];
static struct siommu_unit *unit;
static struct siommu_device *devs[NR_DEV];
static bool hooked;

static uint64_t pattern(unsigned int b, uint64_t off)
{
	return 0xabcd000000000000ull | (uint64_t)(b + 1) << 32 | (off & 0xff8);
}

/* The model. */
struct pp_slot {
	struct siommu_ppasid *pp;	/* NULL: free */
	bool on[NR_DEV];
	int map[NR_IOVA];		/* buffer or NONE */
};
static struct pp_slot slots[NR_PP];
static struct siommu_domain *rid_dom[3];	/* stage 1, stage 1, identity */
static int rid_cur = 0;				/* every device's RID domain */

/* What the hooks were told, per device and PASID (SMMUv2). */
#define MAX_REC 64
struct rec {
	bool used;
	uint32_t pasid;
	struct siommu_pasid_table t;
};
static struct rec recs[NR_DEV][MAX_REC];
static uint64_t installs, removes;

static struct rec *rec_find(unsigned int d, uint32_t pasid, bool add)
{
	unsigned int i;

	for (i = 0; i < MAX_REC; i++)
		if (recs[d][i].used && recs[d][i].pasid == pasid)
			return &recs[d][i];
	if (!add)
		return NULL;
	for (i = 0; i < MAX_REC; i++)
		if (!recs[d][i].used)
			return &recs[d][i];
	CHECK(0);
	return NULL;
}

static void on_install(void *arg, struct siommu_device *dev, uint32_t pasid,
		       struct siommu_domain *dom, const struct siommu_pasid_table *t)
{
	unsigned int d = (unsigned int)(uintptr_t)arg;
	struct rec *r = rec_find(d, pasid, true);

	(void)dev;
	(void)dom;
	*r = (struct rec){ true, pasid, *t };
	installs++;
}

static void on_remove(void *arg, struct siommu_device *dev, uint32_t pasid,
		      struct siommu_domain *dom)
{
	unsigned int d = (unsigned int)(uintptr_t)arg;
	struct rec *r = rec_find(d, pasid, false);

	(void)dev;
	(void)dom;
	CHECK(r != NULL);
	if (r)
		r->used = false;
	removes++;
}

static const struct siommu_pasid_hooks hooks = {
	.install_pasid = on_install, .remove_pasid = on_remove,
};

/* Device @d's DMA of 8 bytes at @iova in @pasid's space. */
static int dma_in(unsigned int d, uint32_t pasid, uint64_t iova, uint64_t *v)
{
	struct siommu_smmuv2 *hw;
	struct rec *r;
	uint64_t cb, live = 0;
	int err;

	if (!hooked)
		return test_unit_dma_read(unit, (uint16_t)(0x100 + d * 8), true, pasid, iova, v,
					  sizeof(*v), NULL);
	r = rec_find(d, pasid, false);
	if (!r)
		return -ENOENT;	/* not installed: the device cannot switch to it */
	hw = siommu_unit_smmuv2(unit);
	cb = SIOMMU_SMMUV2_CB(r->t.cb);
	/* As a GPU does: switch only when another table is live, and leave
	 * this one live after the job, so that unmaps meanwhile must reach
	 * the live table's ASID. */
	CHECK_OK(siommu_smmuv2_mmio_read(hw, cb + SIOMMU_SMMUV2_CB_TTBR0, 8, &live));
	if (live != r->t.ttbr) {
		CHECK_OK(siommu_smmuv2_mmio_write(hw, cb + SIOMMU_SMMUV2_CB_TTBR0, 8, r->t.ttbr));
		CHECK_OK(siommu_smmuv2_mmio_write(hw, cb + SIOMMU_SMMUV2_CB_TLBIASID, 4,
						  r->t.asid));
		CHECK_OK(siommu_smmuv2_mmio_write(hw, cb + SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0));
	}
	err = test_unit_dma_read(unit, (uint16_t)(0x100 + d * 8), false, 0, iova, v,
				 sizeof(*v), NULL);
	return err;
}

/* Installed now (SMMUv2): every PASID of a device while its RID has a
 * stage-1 bank. */
static void check_recs(void)
{
	unsigned int d, s, n;

	if (!hooked)
		return;
	for (d = 0; d < NR_DEV; d++) {
		n = 0;
		for (s = 0; s < NR_PP; s++) {
			bool want = slots[s].pp && slots[s].on[d] && rid_cur != 2;
			struct rec *r = slots[s].pp ?
				rec_find(d, siommu_ppasid_pasid(slots[s].pp), false) : NULL;

			CHECK_EQ(r != NULL, want);
			n += want;
		}
		for (s = 0; s < MAX_REC; s++)
			n -= recs[d][s].used;
		CHECK_EQ(n, 0);
	}
}

static void op_dma(struct test_rng *r, uint64_t *hits, uint64_t *faults)
{
	unsigned int s = (unsigned int)test_rand_below(r, NR_PP);
	unsigned int d = (unsigned int)test_rand_below(r, NR_DEV);
	unsigned int k = (unsigned int)test_rand_below(r, NR_IOVA);
	uint64_t off = test_rand_below(r, 512) * 8, v = 0;
	int err;

	if (!slots[s].pp || !slots[s].on[d])
		return;
	err = dma_in(d, siommu_ppasid_pasid(slots[s].pp), iovas[k] + off, &v);
	if (hooked && rid_cur == 2) {
		CHECK_EQ(err, -ENOENT);		/* removed while the RID bypasses */
		return;
	}
	if (slots[s].map[k] == NONE) {
		CHECK_EQ(err, -EFAULT);
		++*faults;
	} else {
		CHECK_OK(err);
		CHECK_EQ(v, pattern((unsigned int)slots[s].map[k], off));
		++*hits;
	}
}

static void op_alloc_free(struct test_rng *r)
{
	unsigned int s = (unsigned int)test_rand_below(r, NR_PP), d, k, n = 0;
	struct siommu_device *set[NR_DEV];

	if (slots[s].pp) {
		siommu_ppasid_free(slots[s].pp);
		slots[s].pp = NULL;
		return;
	}
	for (d = 0; d < NR_DEV; d++) {
		slots[s].on[d] = test_rand_below(r, 2) || (d == NR_DEV - 1 && !n);
		if (slots[s].on[d])
			set[n++] = devs[d];
	}
	CHECK_OK(siommu_ppasid_alloc(set, n, 100 + s, &slots[s].pp));
	CHECK(siommu_ppasid_pasid(slots[s].pp) > 0);
	for (k = 0; k < NR_IOVA; k++)
		slots[s].map[k] = NONE;
}

static void op_map(struct test_rng *r)
{
	unsigned int s = (unsigned int)test_rand_below(r, NR_PP);
	unsigned int k = (unsigned int)test_rand_below(r, NR_IOVA);
	unsigned int b = (unsigned int)test_rand_below(r, NR_BUF);
	uint64_t n = 0;

	if (!slots[s].pp)
		return;
	if (slots[s].map[k] == NONE) {
		CHECK_OK(siommu_ppasid_map(slots[s].pp, iovas[k], buf_pa[b], SIOMMU_SZ_4K, RW));
		slots[s].map[k] = (int)b;
	} else if (test_rand_below(r, 4)) {
		CHECK_OK(siommu_ppasid_unmap(slots[s].pp, iovas[k], SIOMMU_SZ_4K, &n));
		CHECK_EQ(n, SIOMMU_SZ_4K);
		slots[s].map[k] = NONE;
	} else {
		CHECK_EQ(siommu_ppasid_map(slots[s].pp, iovas[k], buf_pa[b], SIOMMU_SZ_4K, RW),
			 -EEXIST);
	}
}

/* SMMUv2: every RID to another domain; the PASIDs follow. */
static void op_rid(struct test_rng *r)
{
	unsigned int d;

	rid_cur = (int)test_rand_below(r, 3);
	for (d = 0; d < NR_DEV; d++)
		CHECK_OK(siommu_device_attach(devs[d], rid_dom[rid_cur]));
}

int main(void)
{
	struct test_rng r = test_rng_init(0x99a51d);
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	uint64_t n = test_ops(20000), it, hits = 0, faults = 0;
	unsigned int d, k, s;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	hooked = !test_unit_has_pasids();
	for (k = 0; k < NR_BUF; k++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &buf_pa[k]));
		for (uint64_t off = 0; off < SIOMMU_SZ_4K; off += 8) {
			uint64_t v = pattern(k, off);

			CHECK_OK(siommu_mem_write(mem, buf_pa[k] + off, &v, sizeof(v)));
		}
	}
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &rid_dom[0]));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &rid_dom[1]));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_IDENTITY }, &rid_dom[2]));
	for (d = 0; d < NR_DEV; d++) {
		struct siommu_device *one[1];

		devs[d] = test_dev_add(unit, (uint16_t)(0x100 + d * 8), 16, 0);
		CHECK_OK(siommu_device_attach(devs[d], rid_dom[0]));
		one[0] = devs[d];
		if (hooked) {
			/* No PASID before the hooks. */
			CHECK_EQ(siommu_ppasid_alloc(one, 1, 1, &slots[0].pp), -EOPNOTSUPP);
			CHECK_OK(siommu_device_set_pasid_hooks(devs[d], 16, &hooks,
							       (void *)(uintptr_t)d));
			CHECK_EQ(siommu_device_set_pasid_hooks(devs[d], 16, &hooks, NULL),
				 -EBUSY);
		} else {
			CHECK_EQ(siommu_device_set_pasid_hooks(devs[d], 16, &hooks, NULL),
				 -EOPNOTSUPP);
		}
	}
	CHECK_EQ(siommu_ppasid_alloc(devs, 0, 1, &slots[0].pp), -EINVAL);

	for (it = 0; it < n; it++) {
		uint64_t pick = test_rand_below(&r, 100);

		if (pick < 50)
			op_dma(&r, &hits, &faults);
		else if (pick < 85)
			op_map(&r);
		else if (pick < 95 || !hooked)
			op_alloc_free(&r);
		else
			op_rid(&r);
		if (it % 256 == 0)
			check_recs();
	}
	check_recs();
	for (s = 0; s < NR_PP; s++)
		siommu_ppasid_free(slots[s].pp);
	for (s = 0; s < NR_PP; s++)
		slots[s].pp = NULL;
	check_recs();
	if (hooked) {
		for (d = 0; d < NR_DEV; d++)
			CHECK_OK(siommu_device_set_pasid_hooks(devs[d], 0, NULL, NULL));
	}
	fprintf(stderr, "%" PRIu64 " operations: %" PRIu64 " hits, %" PRIu64
		" faults; %" PRIu64 " installs, %" PRIu64 " removes\n", n, hits, faults,
		installs, removes);
	CHECK(hits > 0 && faults > 0);
	CHECK(!hooked || (installs > 0 && removes > 0));
	siommu_ctx_destroy(ctx);
	return 0;
}
