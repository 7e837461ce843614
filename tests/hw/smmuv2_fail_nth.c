/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the SMMUv2 model's fallible steps: creating a unit
 * (defaults, the fewest banks and groups, the largest TLB). Step 1, 2,
 * 3, ... fails in turn until one run reaches no armed step; a failed run
 * returns -ENOMEM and leaves nothing behind: the unit is not created, a
 * live unit on the same memory goes on answering as before, and the heap
 * is checked by the runs under ASan and valgrind. Nothing else in the
 * model can fail: register writes, translations and teardown consume no
 * step.
 */
#include <errno.h>
#include <string.h>

#include <siommu/mem.h>
#include <siommu/smmuv2.h>

#include "test.h"

#define POOL_BASE (1ull << 30)
#define MAX_STEPS 16
#define SID 7

static struct siommu_mem *mem;
static struct siommu_smmuv2 *live;
static uint64_t failures;

/* The live unit: reset state, every stream bypasses. */
struct snapshot {
	int ret;
	uint64_t addr;
	struct siommu_mem_stats mst;
};

static void snap(struct snapshot *s)
{
	struct siommu_smmuv2_req req = { .sid = SID, .iova = 0x1234000,
					  .access = SIOMMU_SMMUV2_READ };
	struct siommu_smmuv2_xlate res;

	memset(s, 0, sizeof(*s));
	memset(&res, 0, sizeof(res));
	s->ret = siommu_smmuv2_translate(live, &req, &res);
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

int main(void)
{
	static const struct siommu_smmuv2_cfg cfgs[] = {
		{ 0 },
		{ .num_cb = 1, .num_smrg = 1, .tlb_sets = 1, .tlb_ways = 1 },
		{ .num_cb = 128, .num_smrg = 128, .tlb_sets = 4096, .tlb_ways = 16 },
	};
	struct siommu_mem_cfg mc = { .pool_base = POOL_BASE, .pool_size = SIOMMU_SZ_1G };
	struct siommu_smmuv2 *s = NULL;
	unsigned int i;

	CHECK_OK(siommu_mem_create(&mc, &mem));
	CHECK_OK(siommu_smmuv2_create(mem, NULL, &live));
	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		SWEEP("smmuv2_create", siommu_smmuv2_create(mem, &cfgs[i], &s));
		/* The unit works, and using it consumes no step. */
		siommu_mem_fail_nth(mem, 1);
		CHECK_OK(siommu_smmuv2_mmio_write(s, SIOMMU_SMMUV2_SCR0, 4, 0));
		CHECK_OK(siommu_smmuv2_mmio_write(s, SIOMMU_SMMUV2_TLBIALLNSNH, 4, 0));
		CHECK_OK(siommu_smmuv2_mmio_write(s, SIOMMU_SMMUV2_STLBGSYNC, 4, 0));
		{
			struct siommu_smmuv2_req req = { .sid = SID, .iova = 0x5000,
							  .access = SIOMMU_SMMUV2_READ };
			struct siommu_smmuv2_xlate res;

			CHECK_OK(siommu_smmuv2_translate(s, &req, &res));
			CHECK_EQ(res.addr, 0x5000);
		}
		CHECK_EQ(siommu_mem_fail_nth(mem, 0), 0);
		NO_STEP(siommu_smmuv2_destroy(s));
	}
	CHECK(failures >= 3 * 6);
	siommu_smmuv2_destroy(live);
	siommu_mem_destroy(mem);
	return 0;
}
