/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the physical address space: every fallible step of
 * create (armed through cfg.fail_nth, with and without a frame pool),
 * add_ram, remove_ram and frame_alloc is failed in turn. A failed operation
 * returns -ENOMEM and leaves the address space exactly as it was (regions,
 * statistics, contents, no leaked mapping; a failed create leaves nothing
 * mapped); a sweep ends when an operation succeeds without reaching the
 * armed step. Disarmed, nothing fails.
 */
#include <errno.h>
#include <stdbool.h>

#include <siommu/mem.h>

#include "test.h"
#include "fail_nth.h"

#define SZ_4K SIOMMU_SZ_4K
#define SZ_2M SIOMMU_SZ_2M
#define SZ_1G SIOMMU_SZ_1G
#define POOL_BASE (4ull << 30)
#define POOL_SIZE (2ull << 30)
#define MAX_STEPS 100

/*
 * A region large enough that a leaked mapping of it shows in VmSize above
 * malloc noise; it is never touched beyond a few pages, so it costs nothing.
 */
#define BIG_PA (1ull << 40)
#define BIG_SIZE (256ull << 20)

/* Bystanders: they must come through every failure untouched. */
#define KEEP_PA (1ull << 20)
#define KEEP_SIZE (4 * SZ_4K)

struct world {
	struct siommu_mem *mem;
	struct siommu_mem_stats st;
	uint8_t *keep_host;
	uint64_t frame;		/* a live pool frame holding a pattern */
	uint64_t vm_kb;
};

static struct siommu_mem_stats stats_of(struct siommu_mem *mem)
{
	struct siommu_mem_stats st;

	siommu_mem_get_stats(mem, &st);
	return st;
}

static void snapshot(struct world *w)
{
	w->st = stats_of(w->mem);
	w->vm_kb = test_vm_size_kb();
}

/* Nothing about the address space may differ from the last snapshot. */
static void check_unchanged(const struct world *w)
{
	struct siommu_mem_stats now = stats_of(w->mem);
	uint64_t v, vm = test_vm_size_kb();

	CHECK(!memcmp(&now, &w->st, sizeof(now)));
	CHECK(siommu_mem_host(w->mem, KEEP_PA, KEEP_SIZE) == w->keep_host);
	CHECK_OK(siommu_mem_load64(w->mem, KEEP_PA + KEEP_SIZE - 8, &v));
	CHECK_EQ(v, 0x6b656570);
	CHECK_OK(siommu_mem_load64(w->mem, w->frame, &v));
	CHECK_EQ(v, 0x6672616d65);
	if (vm && w->vm_kb)
		CHECK(vm < w->vm_kb + BIG_SIZE / 1024 / 2);
}

static void world_init(struct world *w)
{
	struct siommu_mem_cfg cfg = { POOL_BASE, POOL_SIZE, 0 };

	CHECK_OK(siommu_mem_create(&cfg, &w->mem));
	CHECK_OK(siommu_mem_add_ram(w->mem, KEEP_PA, KEEP_SIZE, NULL));
	w->keep_host = siommu_mem_host(w->mem, KEEP_PA, KEEP_SIZE);
	CHECK(w->keep_host);
	CHECK_OK(siommu_mem_store64(w->mem, KEEP_PA + KEEP_SIZE - 8, 0x6b656570));
	CHECK_OK(siommu_mem_frame_alloc(w->mem, SZ_4K, SIOMMU_MEM_PT, &w->frame));
	CHECK_OK(siommu_mem_store64(w->mem, w->frame, 0x6672616d65));
	snapshot(w);
}

static void world_fini(struct world *w)
{
	siommu_mem_frame_free(w->mem, w->frame, SZ_4K, SIOMMU_MEM_PT);
	CHECK_OK(siommu_mem_remove_ram(w->mem, KEEP_PA, KEEP_SIZE));
	CHECK_EQ(stats_of(w->mem).nr_regions, 1);
	CHECK_EQ(stats_of(w->mem).pool_free_bytes, POOL_SIZE);
	siommu_mem_destroy(w->mem);
}

/*
 * One step of a sweep: arm @n, and return the number of steps the operation
 * consumed (which includes the failed one if it was reached).
 */
static uint64_t disarm(struct siommu_mem *mem, uint64_t n)
{
	uint64_t steps = siommu_mem_fail_nth(mem, 0);

	CHECK(steps <= n);
	return steps;
}

/* Returns how many of the sweep's runs failed. */
static unsigned int sweep_add_ram(struct world *w, uint8_t *host)
{
	unsigned int failed = 0;
	uint64_t n, steps;
	int ret;

	snapshot(w);
	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		siommu_mem_fail_nth(w->mem, n);
		ret = siommu_mem_add_ram(w->mem, BIG_PA, BIG_SIZE, host);
		steps = disarm(w->mem, n);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			CHECK_EQ(steps, n);
			CHECK(!siommu_mem_is_ram(w->mem, BIG_PA, 1));
			CHECK(!siommu_mem_is_ram(w->mem, BIG_PA + BIG_SIZE - 1, 1));
			check_unchanged(w);
			failed++;
			continue;
		}
		CHECK(siommu_mem_is_ram(w->mem, BIG_PA, BIG_SIZE));
		if (host)
			CHECK(siommu_mem_host(w->mem, BIG_PA, 1) == host);
		CHECK_EQ(stats_of(w->mem).nr_regions, w->st.nr_regions + 1);
		CHECK_EQ(stats_of(w->mem).ram_bytes, w->st.ram_bytes + BIG_SIZE);
		CHECK_OK(siommu_mem_remove_ram(w->mem, BIG_PA, BIG_SIZE));
		check_unchanged(w);
		if (steps < n)
			break;
	}
	return failed;
}

static unsigned int sweep_remove_ram(struct world *w)
{
	unsigned int failed = 0;
	uint64_t n, steps, v;
	uint8_t *host;
	int ret;

	/* The region is the bystander here: snapshot with it in place. */
	CHECK_OK(siommu_mem_add_ram(w->mem, BIG_PA, BIG_SIZE, NULL));
	CHECK_OK(siommu_mem_store64(w->mem, BIG_PA + BIG_SIZE - 8, 0x726d));
	host = siommu_mem_host(w->mem, BIG_PA, BIG_SIZE);
	CHECK(host);
	snapshot(w);
	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		siommu_mem_fail_nth(w->mem, n);
		ret = siommu_mem_remove_ram(w->mem, BIG_PA, BIG_SIZE);
		steps = disarm(w->mem, n);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			CHECK_EQ(steps, n);
			CHECK(siommu_mem_host(w->mem, BIG_PA, BIG_SIZE) == host);
			CHECK_OK(siommu_mem_load64(w->mem, BIG_PA + BIG_SIZE - 8, &v));
			CHECK_EQ(v, 0x726d);
			check_unchanged(w);
			failed++;
			continue;
		}
		CHECK(!siommu_mem_is_ram(w->mem, BIG_PA, 1));
		CHECK_EQ(stats_of(w->mem).nr_regions, w->st.nr_regions - 1);
		CHECK_EQ(stats_of(w->mem).ram_bytes, w->st.ram_bytes - BIG_SIZE);
		if (steps < n)
			break;
		CHECK_OK(siommu_mem_add_ram(w->mem, BIG_PA, BIG_SIZE, NULL));
		CHECK_OK(siommu_mem_store64(w->mem, BIG_PA + BIG_SIZE - 8, 0x726d));
		host = siommu_mem_host(w->mem, BIG_PA, BIG_SIZE);
		snapshot(w);
	}
	snapshot(w);
	return failed;
}

static unsigned int sweep_frame_alloc(struct world *w, uint64_t size,
				      enum siommu_mem_purpose p)
{
	unsigned int failed = 0;
	uint64_t n, steps, pa;
	int ret;

	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		siommu_mem_fail_nth(w->mem, n);
		ret = siommu_mem_frame_alloc(w->mem, size, p, &pa);
		steps = disarm(w->mem, n);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			CHECK_EQ(steps, n);
			check_unchanged(w);
			failed++;
			continue;
		}
		CHECK_EQ(stats_of(w->mem).in_use[p], w->st.in_use[p] + size);
		CHECK_EQ(stats_of(w->mem).allocs[p], w->st.allocs[p] + 1);
		siommu_mem_frame_free(w->mem, pa, size, p);
		w->st.allocs[p]++;
		w->st.frees[p]++;
		check_unchanged(w);
		if (steps < n)
			break;
	}
	return failed;
}

/* Returns how many of the sweep's runs failed. */
static unsigned int sweep_create(uint64_t pool_size)
{
	struct siommu_mem_cfg cfg = { POOL_BASE, pool_size, 0 };
	struct siommu_mem *mem;
	struct siommu_mem_stats st;
	unsigned int failed = 0;
	uint64_t n, steps, vm;
	int ret;

	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		cfg.fail_nth = n;
		vm = test_vm_size_kb();
		mem = NULL;
		ret = siommu_mem_create(&cfg, &mem);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			CHECK(!mem);
			/* The pool's mapping (and its metadata's) went too. */
			if (vm)
				CHECK(test_vm_size_kb() < vm + POOL_SIZE / 1024 / 2);
			failed++;
			continue;
		}
		steps = siommu_mem_fail_nth(mem, 0);
		CHECK(steps < n);
		st = stats_of(mem);
		CHECK_EQ(st.nr_regions, pool_size ? 1 : 0);
		CHECK_EQ(st.pool_free_bytes, pool_size);
		siommu_mem_destroy(mem);
		break;
	}
	fprintf(stderr, "create, pool of %" PRIu64 "G: %" PRIu64 " fallible steps\n",
		pool_size >> 30, n - 1);
	return failed;
}

/* Disarmed, or armed beyond what runs, the same operations never fail. */
static void check_disarmed(struct world *w)
{
	uint64_t pa, i;

	siommu_mem_fail_nth(w->mem, 0);
	for (i = 0; i < 100; i++) {
		CHECK_OK(siommu_mem_add_ram(w->mem, BIG_PA, BIG_SIZE, NULL));
		CHECK_OK(siommu_mem_frame_alloc(w->mem, SZ_4K << (9 * (i % 3)),
						SIOMMU_MEM_DMA, &pa));
		siommu_mem_frame_free(w->mem, pa, SZ_4K << (9 * (i % 3)),
				      SIOMMU_MEM_DMA);
		CHECK_OK(siommu_mem_remove_ram(w->mem, BIG_PA, BIG_SIZE));
	}
	/* Steps are only counted while armed. */
	CHECK_EQ(siommu_mem_fail_nth(w->mem, 0), 0);

	siommu_mem_fail_nth(w->mem, 1000000);
	for (i = 0; i < 10; i++) {
		CHECK_OK(siommu_mem_add_ram(w->mem, BIG_PA, BIG_SIZE, NULL));
		CHECK_OK(siommu_mem_frame_alloc(w->mem, SZ_2M, SIOMMU_MEM_DMA, &pa));
		siommu_mem_frame_free(w->mem, pa, SZ_2M, SIOMMU_MEM_DMA);
		CHECK_OK(siommu_mem_remove_ram(w->mem, BIG_PA, BIG_SIZE));
	}
	CHECK(siommu_mem_fail_nth(w->mem, 0) >= 20);
	snapshot(w);
}

int main(void)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	struct world w;
	uint8_t *reg;
	unsigned int i, p;

	CHECK(sweep_create(POOL_SIZE) >= 4);
	CHECK(sweep_create(0) >= 1);
	world_init(&w);
	CHECK(sweep_add_ram(&w, NULL) >= 1);
	reg = aligned_alloc(SZ_4K, BIG_SIZE);
	CHECK(reg);
	CHECK(sweep_add_ram(&w, reg) >= 1);
	free(reg);
	for (i = 0; i < 3; i++)
		for (p = 0; p < SIOMMU_MEM_NR_PURPOSES; p++)
			CHECK(sweep_frame_alloc(&w, sizes[i], p) >= 1);
	CHECK(sweep_remove_ram(&w) >= 1);
	check_disarmed(&w);
	check_unchanged(&w);
	world_fini(&w);
	return 0;
}
