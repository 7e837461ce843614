/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the private-PASID calls and the GPU model's, on the
 * unit type under test: PASID hooks registration (on a unit without
 * PASIDs), private PASID alloc on two devices, map into it, GPU create and
 * client add. Step 1, 2, 3, ... of each is failed until a run consumes no
 * failure; each failure returns -ENOMEM (or -ENOSPC) and changes nothing
 * observable: the memory in use by purpose, the PASIDs in use, the unit's
 * domain IDs, what each device reports (its PASID width) and has attached
 * at the first PASIDs, a private PASID's mappings. Teardown (unmap, free,
 * hooks removal, client remove, GPU destroy) consumes no step.
 */
#include <errno.h>

#include <siommu/core.h>
#include <siommu/gpu.h>
#include <siommu/ppasid.h>

#include "core_test.h"
#include "core_unit.h"
#include "fail_nth.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define MAX_STEPS 200
#define NR_DEVS 3
#define NR_PASIDS 4

static struct siommu_mem *mem;
static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static struct siommu_device *devs[NR_DEVS];
static struct siommu_ppasid *map_pp;
static uint64_t failures;

struct snapshot {
	uint64_t in_use[SIOMMU_MEM_NR_PURPOSES];
	uint32_t pasids_in_use;
	uint64_t domain_ids;
	unsigned int pasid_bits[NR_DEVS];
	struct siommu_domain *dom[NR_DEVS][NR_PASIDS + 1];
	uint64_t mapped;
};

static int count_cb(void *arg, const struct siommu_pt_run *run)
{
	*(uint64_t *)arg += run->length;
	return 0;
}

static void snap(struct snapshot *s)
{
	struct siommu_mem_stats ms;
	struct siommu_pasid_stats ps;
	struct siommu_unit_stats us;
	struct siommu_device_info info;
	unsigned int i, p;

	memset(s, 0, sizeof(*s));
	siommu_mem_get_stats(mem, &ms);
	memcpy(s->in_use, ms.in_use, sizeof(s->in_use));
	/* A failed map may keep empty levels (siommu/pt.h): its mappings
	 * are compared instead. */
	if (map_pp)
		s->in_use[SIOMMU_MEM_PT] = 0;
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &ps);
	s->pasids_in_use = ps.in_use;
	siommu_unit_get_stats(unit, &us);
	s->domain_ids = us.domain_ids;
	for (i = 0; i < NR_DEVS; i++) {
		CHECK_OK(siommu_device_get_info(devs[i], &info));
		s->pasid_bits[i] = info.pasid_bits;
		for (p = 0; p <= NR_PASIDS; p++)
			s->dom[i][p] = siommu_device_domain(devs[i], p);
	}
	if (map_pp)
		CHECK_OK(siommu_pt_for_each(siommu_domain_pt(siommu_ppasid_domain(map_pp)), 0,
					    1ull << 40, count_cb, &s->mapped));
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	unsigned int i, p;

	for (i = 0; i < SIOMMU_MEM_NR_PURPOSES; i++)
		CHECK_EQ(a->in_use[i], b->in_use[i]);
	CHECK_EQ(a->pasids_in_use, b->pasids_in_use);
	CHECK_EQ(a->domain_ids, b->domain_ids);
	for (i = 0; i < NR_DEVS; i++) {
		CHECK_EQ(a->pasid_bits[i], b->pasid_bits[i]);
		for (p = 0; p <= NR_PASIDS; p++)
			CHECK(a->dom[i][p] == b->dom[i][p]);
	}
	CHECK_EQ(a->mapped, b->mapped);
}

int main(void)
{
	struct siommu_domain *own;
	struct siommu_ppasid *pp;
	struct siommu_gpu *gpu;
	struct siommu_gpu_client *c;
	struct siommu_mem_stats ms;
	uint64_t buf, n;
	unsigned int i;
	bool hooked;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_ctx_create(&(struct siommu_ctx_cfg){ .mem = mem }, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	hooked = !test_unit_has_pasids();
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own));
	for (i = 0; i < NR_DEVS; i++) {
		devs[i] = test_dev_add(unit, (uint16_t)(0x100 + 8 * i), hooked ? 0 : 16, 0);
		CHECK_OK(siommu_device_attach(devs[i], own));
	}
	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &buf));
	fprintf(stderr, "fail-nth sweeps:\n");

	if (hooked) {
		SWEEP("set_pasid_hooks",
		      siommu_device_set_pasid_hooks(devs[0], 16, &test_nop_hooks, NULL));
		SWEEP("set_pasid_hooks",
		      siommu_device_set_pasid_hooks(devs[1], 16, &test_nop_hooks, NULL));
	}
	SWEEP("ppasid_alloc (two devices)", siommu_ppasid_alloc(devs, 2, 1, &pp));
	map_pp = pp;
	SWEEP("ppasid_map", siommu_ppasid_map(pp, 1ull << 30, buf, SIOMMU_SZ_4K, RW));
	map_pp = NULL;
	NO_STEP(CHECK_OK(siommu_ppasid_unmap(pp, 1ull << 30, SIOMMU_SZ_4K, &n)));
	NO_STEP(siommu_ppasid_free(pp));
	if (hooked) {
		NO_STEP(CHECK_OK(siommu_device_set_pasid_hooks(devs[0], 0, NULL, NULL)));
		NO_STEP(CHECK_OK(siommu_device_set_pasid_hooks(devs[1], 0, NULL, NULL)));
	}

	SWEEP("gpu_create", siommu_gpu_create(devs[2], &gpu));
	SWEEP("gpu_client_add", siommu_gpu_client_add(gpu, 7, &c));
	NO_STEP(siommu_gpu_client_remove(c));
	NO_STEP(siommu_gpu_destroy(gpu));
	fprintf(stderr, "%" PRIu64 " injected failures\n", failures);
	CHECK(failures > 5);

	NO_STEP(siommu_ctx_destroy(ctx));
	siommu_mem_frame_free(mem, buf, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
	siommu_mem_get_stats(mem, &ms);
	for (i = 0; i < SIOMMU_MEM_NR_PURPOSES; i++)
		CHECK_EQ(ms.in_use[i], 0);
	siommu_mem_destroy(mem);
	return 0;
}
