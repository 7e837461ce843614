/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the SMMUv3 model's fallible steps: creating a unit
 * (with and without the stall model, with small and large caches) and
 * registering a device. Step 1, 2, 3, ... fails in turn until one run
 * reaches no armed step; a failed run returns -ENOMEM and leaves nothing
 * behind: the unit is not created (and a live unit on the same memory goes
 * on answering as before), the StreamID stays free to register, and the
 * heap is checked by the runs under ASan and valgrind, where anything a
 * failed run leaked is reported at exit.
 */
#include <errno.h>
#include <string.h>

#include <siommu/mem.h>
#include <siommu/smmuv3.h>

#include "test.h"

#define POOL_BASE (1ull << 30)
#define MAX_STEPS 16
#define SID 7

static struct siommu_mem *mem;
static struct siommu_smmuv3 *live;
static uint64_t failures;

/* The live unit is in its reset state: SMMUEN clear, GBPA bypass. */
struct snapshot {
	int ret;
	uint64_t addr;
	struct siommu_mem_stats mst;
};

static void snap(struct snapshot *s)
{
	struct siommu_smmuv3_req req = { .sid = SID, .iova = 0x1234000,
					  .access = SIOMMU_SMMUV3_READ };
	struct siommu_smmuv3_xlate res;

	memset(s, 0, sizeof(*s));
	memset(&res, 0, sizeof(res));
	s->ret = siommu_smmuv3_translate(live, &req, &res);
	s->addr = res.addr;
	siommu_mem_get_stats(mem, &s->mst);
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	CHECK_EQ(a->ret, b->ret);
	CHECK_EQ(a->addr, b->addr);
	CHECK(!memcmp(&a->mst, &b->mst, sizeof(a->mst)));
}

#include "fail_nth.h"

static void atc_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
}

static const struct siommu_smmuv3_dev_ops dev_ops = { .atc_inv = atc_inv };

int main(void)
{
	static const struct siommu_smmuv3_cfg cfgs[] = {
		{ 0 },						/* defaults */
		{ .features = SIOMMU_SMMUV3_F_ALL & ~SIOMMU_SMMUV3_F_STALL },
		{ .tlb_sets = 4096, .tlb_ways = 8 },
	};
	struct siommu_mem_cfg mc = { .pool_base = POOL_BASE, .pool_size = SIOMMU_SZ_1G };
	struct siommu_smmuv3 *s = NULL;
	unsigned int i;

	CHECK_OK(siommu_mem_create(&mc, &mem));
	CHECK_OK(siommu_smmuv3_create(mem, NULL, &live));
	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		SWEEP("smmuv3_create", siommu_smmuv3_create(mem, &cfgs[i], &s));
		NO_STEP(siommu_smmuv3_destroy(s));
	}
	SWEEP("smmuv3_dev_register",
	      siommu_smmuv3_dev_register(live, SID, &dev_ops, NULL));
	/* Registered once, by the run that succeeded. */
	CHECK_EQ(siommu_smmuv3_dev_register(live, SID, &dev_ops, NULL), -EEXIST);
	NO_STEP(siommu_smmuv3_dev_unregister(live, SID));
	CHECK_OK(siommu_smmuv3_dev_register(live, SID, &dev_ops, NULL));
	siommu_smmuv3_dev_unregister(live, SID);
	CHECK(failures >= 3 * 5 + 1);
	siommu_smmuv3_destroy(live);
	siommu_mem_destroy(mem);
	return 0;
}
