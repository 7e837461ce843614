/* SPDX-License-Identifier: MIT */
/*
 * Every error of siommu_pt_create/map/unmap, in every format, and that each
 * leaves the table exactly as it was (compared run by run).
 */
#include <errno.h>

#include <siommu/pt.h>

#include "pt_cases.h"
#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct snap {
	struct siommu_pt_run run[64];
	unsigned int n;
};

static int snap_run(void *arg, const struct siommu_pt_run *run)
{
	struct snap *s = arg;

	CHECK(s->n < 64);
	s->run[s->n++] = *run;
	return 0;
}

static void snapshot(struct siommu_pt *pt, const struct pt_case *pc, struct snap *s)
{
	s->n = 0;
	CHECK_OK(siommu_pt_for_each(pt, 0, pc->max_iova + 1, snap_run, s));
}

static void same(const struct snap *a, const struct snap *b)
{
	CHECK_EQ(a->n, b->n);
	CHECK(!memcmp(a->run, b->run, a->n * sizeof(a->run[0])));
}

static void check_case(const struct pt_case *pc)
{
	enum siommu_pt_format f = pc->cfg.format;
	uint64_t top = pc->max_iova + 1;	/* first address beyond */
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct snap before, after;
	uint64_t done;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &pc->cfg, &pt));

	/* Some state to preserve: a 4K page, a 2M leaf, a 1G leaf. */
	CHECK_OK(siommu_pt_map(pt, 0x1000, 0x5000, 0x1000, RW));
	CHECK_OK(siommu_pt_map(pt, 0x40000000, 0x80000000, SIOMMU_SZ_1G, RW));
	CHECK_OK(siommu_pt_map(pt, 0x200000, 0x400000, SIOMMU_SZ_2M, SIOMMU_PROT_READ));
	snapshot(pt, pc, &before);
	CHECK_EQ(before.n, 3);
	CHECK_EQ(before.run[1].pgsize, SIOMMU_SZ_2M);
	CHECK_EQ(before.run[2].pgsize, SIOMMU_SZ_1G);

	/* map: -EINVAL */
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1000, 0, RW), -EINVAL);
	CHECK_EQ(siommu_pt_map(pt, 0x10001, 0x1000, 0x1000, RW), -EINVAL);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1001, 0x1000, RW), -EINVAL);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1000, 0x1800, RW), -EINVAL);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1000, 0x1000, 0), -EINVAL);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1000, 0x1000, SIOMMU_PROT_EXEC), -EINVAL);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1000, 0x1000, RW | (1u << 7)), -EINVAL);
	if (f == SIOMMU_PT_VTD_SS || f == SIOMMU_PT_ARM_S2)
		CHECK_EQ(siommu_pt_map(pt, 0x10000, 0x1000, 0x1000,
				       RW | SIOMMU_PROT_PRIV), -EINVAL);
	/* -EOVERFLOW: iova + length or pa + length past 2^64 */
	CHECK_EQ(siommu_pt_map(pt, 0xfffffffffffff000ull, 0, 0x2000, RW), -EOVERFLOW);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 0xfffffffffffff000ull, 0x2000, RW), -EOVERFLOW);
	/* -ERANGE: beyond the input width (also the last page), or the output */
	CHECK_EQ(siommu_pt_map(pt, top, 0, 0x1000, RW), -ERANGE);
	CHECK_EQ(siommu_pt_map(pt, top - 0x1000, 0, 0x2000, RW), -ERANGE);
	CHECK_EQ(siommu_pt_map(pt, 0xfffffffffffff000ull, 0, 0x1000, RW), -ERANGE);
	CHECK_EQ(siommu_pt_map(pt, 0x10000, 1ull << 52, 0x1000, RW), -ERANGE);
	/* -EEXIST: any page of the range mapped, the rest left unmapped */
	CHECK_EQ(siommu_pt_map(pt, 0x0, 0x9000, 0x3000, RW), -EEXIST);
	CHECK_EQ(siommu_pt_map(pt, 0x100000, 0, 0x200000, RW), -EEXIST);
	CHECK_EQ(siommu_pt_map(pt, 0x3ff000, 0, 0x2000, RW), -EEXIST);
	CHECK_EQ(siommu_pt_map(pt, 0x40001000, 0, 0x1000, RW), -EEXIST);
	CHECK_EQ(siommu_pt_map(pt, 0, 0, 1ull << 31, RW), -EEXIST);
	snapshot(pt, pc, &after);
	same(&before, &after);

	/* unmap: -EINVAL, -EOVERFLOW, -ERANGE */
	CHECK_EQ(siommu_pt_unmap(pt, 0x1000, 0, NULL, &done), -EINVAL);
	CHECK_EQ(siommu_pt_unmap(pt, 0x1001, 0x1000, NULL, &done), -EINVAL);
	CHECK_EQ(siommu_pt_unmap(pt, 0x1000, 0x10, NULL, &done), -EINVAL);
	CHECK_EQ(siommu_pt_unmap(pt, 0xfffffffffffff000ull, 0x2000, NULL, &done), -EOVERFLOW);
	CHECK_EQ(siommu_pt_unmap(pt, top, 0x1000, NULL, &done), -ERANGE);
	/* Cutting a large leaf, at either end or in its middle, is refused
	 * even when the rest of the range could be unmapped. */
	CHECK_EQ(siommu_pt_unmap(pt, 0x201000, 0x1000, NULL, &done), -EINVAL);
	CHECK_EQ(done, 0);
	CHECK_EQ(siommu_pt_unmap(pt, 0x1000, 0x200000, NULL, &done), -EINVAL);
	CHECK_EQ(siommu_pt_unmap(pt, 0x300000, 0x100000, NULL, &done), -EINVAL);
	CHECK_EQ(siommu_pt_unmap(pt, 0x1000, 0x40000000, NULL, &done), -EINVAL);
	CHECK_EQ(siommu_pt_unmap(pt, 0x40200000, 0x200000, NULL, &done), -EINVAL);
	snapshot(pt, pc, &after);
	same(&before, &after);

	/* protect: -EINVAL, -EOVERFLOW, -ERANGE, and nothing changes */
	{
		struct siommu_pt_gather g;

		siommu_pt_gather_init(&g);
		CHECK_EQ(siommu_pt_protect(pt, 0x1000, 0, RW, &g), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0x1800, 0x1000, RW, &g), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0x1000, 0x10, RW, &g), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0x1000, 0x1000, RW, NULL), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0x1000, 0x1000, 0, &g), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0x1000, 0x1000, SIOMMU_PROT_EXEC, &g), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0x1000, 0x1000, RW | (1u << 7), &g), -EINVAL);
		if (f == SIOMMU_PT_VTD_SS || f == SIOMMU_PT_ARM_S2)
			CHECK_EQ(siommu_pt_protect(pt, 0x200000, 0x1000, RW | SIOMMU_PROT_PRIV,
						   &g), -EINVAL);
		CHECK_EQ(siommu_pt_protect(pt, 0xfffffffffffff000ull, 0x2000, RW, &g),
			 -EOVERFLOW);
		CHECK_EQ(siommu_pt_protect(pt, top, 0x1000, RW, &g), -ERANGE);
		CHECK_EQ(siommu_pt_protect(pt, top - 0x1000, 0x2000, RW, &g), -ERANGE);
		CHECK_EQ(g.start, UINT64_MAX);
		CHECK(g.leaf_only);
		/* Protecting holes is fine and gathers nothing. */
		CHECK_OK(siommu_pt_protect(pt, 0x10000, 0x10000, RW, &g));
		CHECK_EQ(g.start, UINT64_MAX);
		siommu_pt_gather_release(&g);
	}
	snapshot(pt, pc, &after);
	same(&before, &after);

	/* iova_to_phys beyond the width */
	CHECK_EQ(siommu_pt_iova_to_phys(pt, top, &done, NULL), -ERANGE);
	CHECK_EQ(siommu_pt_iova_to_phys(pt, 0x10000, &done, NULL), -ENOENT);

	/* Unmapping holes is fine and reports 0. */
	CHECK_OK(siommu_pt_unmap(pt, 0x10000, 0x10000, NULL, &done));
	CHECK_EQ(done, 0);

	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

static void check_create(void)
{
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	struct siommu_pt_cfg bad[] = {
		{ .format = SIOMMU_PT_NR_FORMATS },
		{ .format = SIOMMU_PT_X86_64, .ias = 39 },
		{ .format = SIOMMU_PT_X86_64, .ias = 52 },
		{ .format = SIOMMU_PT_VTD_SS, .ias = 40 },
		{ .format = SIOMMU_PT_VTD_SS, .ias = 64 },
		{ .format = SIOMMU_PT_ARM_S1, .ias = 31 },
		{ .format = SIOMMU_PT_ARM_S1, .ias = 49 },
		{ .format = SIOMMU_PT_ARM_S2, .oas = 52 },
		{ .format = SIOMMU_PT_X86_64, .oas = 53 },
		{ .format = SIOMMU_PT_X86_64, .pgsize_bitmap = SIOMMU_PGSIZE_2M },
		{ .format = SIOMMU_PT_X86_64, .pgsize_bitmap = 1ull << 13 },
		{ .format = SIOMMU_PT_X86_64, .flags = 1u << 5 },
	};
	struct siommu_mem_stats st;
	unsigned int i;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(siommu_pt_create(mem, &bad[i], &pt), -EINVAL);
	CHECK_EQ(siommu_pt_create(mem, NULL, &pt), -EINVAL);
	siommu_mem_get_stats(mem, &st);
	CHECK_EQ(st.in_use[SIOMMU_MEM_PT], 0);
	siommu_mem_destroy(mem);
}

int main(void)
{
	unsigned int i;

	check_create();
	for (i = 0; i < NR_PT_CASES; i++)
		check_case(&pt_cases[i]);
	return 0;
}
