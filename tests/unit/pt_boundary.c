/* SPDX-License-Identifier: MIT */
/*
 * Boundary sweeps and the brute-force twin of page-size selection.
 *
 * For IOVAs at 0, at the top of each format's width, and one page either side
 * of every 2M, 1G and 512G alignment, with lengths and PAs chosen around the
 * same alignments: map on an empty table, then check that the leaves chosen
 * are exactly those of a plain greedy decomposition (largest allowed size
 * that fits the alignment of iova and pa and the remaining length), that the
 * bytes in memory decode per the format specification to the same leaves,
 * and that unmap takes everything back.
 */
#include <errno.h>

#include <siommu/pt.h>

#include "pt_cases.h"
#include "test.h"

static void check_leaves(struct siommu_mem *mem, struct siommu_pt *pt,
			 uint64_t pgsizes, uint64_t iova, uint64_t pa,
			 uint64_t len, unsigned int prot)
{
	uint64_t at = iova, p = pa, rem = len;

	while (rem) {
		static const uint64_t sizes[] = { SIOMMU_SZ_1G, SIOMMU_SZ_2M, SIOMMU_SZ_4K };
		struct siommu_pt_leaf leaf;
		struct ref_pte d;
		unsigned int k, lvl;
		uint64_t s = 0, got, epa;

		for (k = 0; k < 3; k++) {
			s = sizes[k];
			if ((pgsizes & s) && !(at % s) && !(p % s) && rem >= s)
				break;
		}
		CHECK_OK(siommu_pt_iova_to_phys(pt, at, &got, &leaf));
		CHECK_EQ(got, p);
		CHECK_EQ(leaf.iova, at);
		CHECK_EQ(leaf.size, s);
		CHECK_EQ(leaf.prot, prot);
		/* The same leaf, read from memory with the spec's bit layout. */
		epa = ref_walk(mem, pt, at, &lvl, &d);
		CHECK(epa);
		CHECK_EQ(1ull << (12 + 9 * lvl), s);
		CHECK_EQ(d.addr, p);
		CHECK(d.w);
		at += s;
		p += s;
		rem -= s;
	}
}

static void sweep_case(const struct pt_case *pc, uint64_t pgsizes)
{
	struct siommu_pt_cfg cfg = pc->cfg;
	uint64_t top = pc->max_iova + 1;
	static const uint64_t lens[] = {
		0x1000, 0x2000, SIOMMU_SZ_2M - 0x1000, SIOMMU_SZ_2M,
		SIOMMU_SZ_2M + 0x1000, 2 * SIOMMU_SZ_2M, SIOMMU_SZ_1G,
		SIOMMU_SZ_1G + SIOMMU_SZ_2M + 0x1000,
	};
	static const uint64_t pas[] = {
		0, 0x1000, SIOMMU_SZ_2M, SIOMMU_SZ_2M - 0x1000, SIOMMU_SZ_1G,
		SIOMMU_SZ_1G + SIOMMU_SZ_2M,
	};
	uint64_t bases[64];
	unsigned int nb = 0, b, l, q;
	struct siommu_mem *mem;
	struct siommu_pt *pt;
	uint64_t a, maps = 0, ranges = 0;

	cfg.pgsize_bitmap = pgsizes;
	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_pt_create(mem, &cfg, &pt));

	/* 0, the top, and multiples of each alignment (first, middle, last). */
	bases[nb++] = 0;
	for (a = SIOMMU_SZ_2M; a && a < top; a <<= 9) {
		bases[nb++] = a;
		bases[nb++] = a * 3;
		bases[nb++] = top - a;
	}
	bases[nb++] = top - 0x1000;

	for (b = 0; b < nb; b++) {
		for (q = 0; q < 3; q++) {
			uint64_t iova = bases[b] + (q == 0 ? -0x1000ull : q == 1 ? 0 : 0x1000);

			for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				unsigned int pi;

				for (pi = 0; pi < sizeof(pas) / sizeof(pas[0]); pi++) {
					uint64_t len = lens[l], pa = pas[pi], last, done;
					struct siommu_pt_gather g;
					int ret;

					/* Large runs of 4K leaves are slow and
					 * add nothing at the edges. */
					if (len >= SIOMMU_SZ_1G &&
					    ((pa | iova) % SIOMMU_SZ_2M ||
					     !(pgsizes & SIOMMU_SZ_2M)))
						continue;
					ret = siommu_pt_map(pt, iova, pa, len, SIOMMU_PROT_READ |
							    SIOMMU_PROT_WRITE);
					if (__builtin_add_overflow(iova, len - 1, &last)) {
						CHECK_EQ(ret, -EOVERFLOW);
						continue;
					}
					if (last > pc->max_iova) {
						CHECK_EQ(ret, -ERANGE);
						ranges++;
						continue;
					}
					CHECK_OK(ret);
					maps++;
					check_leaves(mem, pt, pgsizes, iova, pa, len,
						     SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
					siommu_pt_gather_init(&g);
					CHECK_OK(siommu_pt_unmap(pt, iova, len, &g, &done));
					CHECK_EQ(done, len);
					siommu_pt_gather_release(&g);
					CHECK_EQ(siommu_pt_iova_to_phys(pt, iova, &done, NULL), -ENOENT);
					CHECK_EQ(siommu_pt_iova_to_phys(pt, last, &done, NULL), -ENOENT);
					/* Levels left by a partial cover are reused by
					 * later maps (see siommu_pt_map): start the next
					 * combination on an empty table. */
					siommu_pt_destroy(pt);
					CHECK_OK(siommu_pt_create(mem, &cfg, &pt));
				}
			}
		}
	}
	fprintf(stderr, "%-10s pgsizes 0x%-8" PRIx64 " %" PRIu64 " maps, %" PRIu64
		" out of range\n", pc->name, pgsizes, maps, ranges);
	CHECK(maps > 100 && ranges > 10);
	siommu_pt_destroy(pt);
	siommu_mem_destroy(mem);
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < NR_PT_CASES; i++)
		sweep_case(&pt_cases[i], SIOMMU_PGSIZE_ALL);
	sweep_case(&pt_cases[0], SIOMMU_PGSIZE_4K | SIOMMU_PGSIZE_2M);
	sweep_case(&pt_cases[3], SIOMMU_PGSIZE_4K);
	return 0;
}
