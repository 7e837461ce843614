/* SPDX-License-Identifier: MIT */
/*
 * The structure builders of siommu/vtd_build.h, with which emulator tests
 * write VT-d tables by hand: each argument they refuse gets the error their
 * documentation names and changes nothing in memory; what they accept is
 * written in the VT-d formats (9.4 context, 9.6 PASID entry, 9.7/9.8 page
 * tables), read back here bit by bit.
 */
#include <errno.h>
#include <siommu/mem.h>
#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#include "test.h"

#define NOT_RAM 0xdead000ull
#define RID 0x1234

static struct siommu_mem *mem;

static uint64_t ld(uint64_t pa)
{
	uint64_t v;

	CHECK_OK(siommu_mem_load64(mem, pa, &v));
	return v;
}

/* The context entry of @rid under @root: its four words. */
static void ctx_words(uint64_t root, uint16_t rid, uint64_t q[4])
{
	uint64_t re = ld(root + (rid >> 8) * 16 + ((rid & 0x80) ? 8 : 0));
	unsigned int i;

	CHECK(re & 1);
	for (i = 0; i < 4; i++)
		q[i] = ld((re & ~0xfffull) + (rid & 0x7f) * 32 + 8 * i);
}

static uint64_t frames_in_use(void)
{
	struct siommu_mem_stats st;
	uint64_t n = 0;
	unsigned int i;

	siommu_mem_get_stats(mem, &st);
	for (i = 0; i < sizeof(st.in_use) / sizeof(st.in_use[0]); i++)
		n += st.in_use[i];
	return n;
}

static void test_context(void)
{
	struct siommu_vtd_ctx_desc d = { .pdts = 1, .paside = true, .dte = true,
					 .fpd = true, .pre = true, .rid_pasid = 0x12345,
					 .rid_priv = true };
	uint64_t root, dir, dir2, q[4], used;

	CHECK_OK(siommu_vtd_build_table_alloc(mem, &root));
	CHECK_EQ(root & 0xfff, 0);
	CHECK(!siommu_mem_is_ram(mem, NOT_RAM, 8));
	used = frames_in_use();
	CHECK_EQ(siommu_vtd_build_context(mem, root, RID, NULL, NULL), -EINVAL);
	d.pdts = 8;
	CHECK_EQ(siommu_vtd_build_context(mem, root, RID, &d, NULL), -EINVAL);
	d.pdts = 1;
	d.rid_pasid = 0x100000;
	CHECK_EQ(siommu_vtd_build_context(mem, root, RID, &d, NULL), -EINVAL);
	d.rid_pasid = 0x12345;
	d.pasid_dir = 0x10008;
	CHECK_EQ(siommu_vtd_build_context(mem, root, RID, &d, NULL), -EINVAL);
	d.pasid_dir = 0;
	CHECK_EQ(siommu_vtd_build_context(mem, NOT_RAM, RID, &d, NULL), -EFAULT);
	CHECK_EQ(frames_in_use(), used);
	CHECK_EQ(ld(root + (RID >> 8) * 16), 0);

	CHECK_OK(siommu_vtd_build_context(mem, root, RID, &d, &dir));
	CHECK_EQ(dir & 0xfff, 0);
	ctx_words(root, RID, q);
	/* P, FPD, DTE, PASIDE, PRE; PDTS 11:9; the directory. */
	CHECK_EQ(q[0], 0x1f | 1ull << 9 | dir);
	CHECK_EQ(q[1], 0x12345 | 1ull << 20);
	CHECK_EQ(q[2] | q[3], 0);
	/* A second build keeps a directory that is large enough... */
	d = (struct siommu_vtd_ctx_desc){ .pdts = 0 };
	CHECK_OK(siommu_vtd_build_context(mem, root, RID, &d, &dir2));
	CHECK_EQ(dir2, dir);
	ctx_words(root, RID, q);
	CHECK_EQ(q[0], 1 | dir);
	CHECK_EQ(q[1], 0);
	/* ... and replaces one that is not. */
	d.pdts = 2;
	CHECK_OK(siommu_vtd_build_context(mem, root, RID, &d, &dir2));
	CHECK(dir2 != dir);
	/* An explicit directory is used as given. */
	d.pasid_dir = dir;
	CHECK_OK(siommu_vtd_build_context(mem, root, RID, &d, &dir2));
	CHECK_EQ(dir2, dir);
	/* The upper half of a bus: the root entry's second word. */
	CHECK_OK(siommu_vtd_build_context(mem, root, RID | 0x80, &d, NULL));
	CHECK(ld(root + (RID >> 8) * 16 + 8) & 1);
}

static void test_pasid(void)
{
	struct siommu_vtd_ctx_desc cd = { .pdts = 0, .paside = true };
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_NEST, .did = 0x4321,
					   .fs_root = 0x7000, .fs_levels = 5,
					   .ss_root = 0x9000, .ss_levels = 4, .fpd = true,
					   .sre = true, .ere = true, .wpe = true,
					   .ssade = true, .ssee = true };
	uint64_t root, dir, pa, used;
	unsigned int i;

	CHECK_OK(siommu_vtd_build_table_alloc(mem, &root));
	/* No context entry yet. */
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, &p), -ENOENT);
	CHECK_EQ(siommu_vtd_build_pasid_clear(mem, root, RID, 1), -ENOENT);
	CHECK_OK(siommu_vtd_build_context(mem, root, RID, &cd, &dir));
	/* The context table exists, this RID's entry does not. */
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID + 1, 1, &p), -ENOENT);
	used = frames_in_use();
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, NULL), -EINVAL);
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 0x100000, &p), -EINVAL);
	/* PDTS 0: 128 directory entries, PASIDs below 8192. */
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 8192, &p), -ERANGE);
	CHECK_EQ(siommu_vtd_build_pasid_clear(mem, root, RID, 8192), -ERANGE);
	p.pgtt = 0;
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, &p), -EINVAL);
	p.pgtt = 5;
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, &p), -EINVAL);
	p.pgtt = SIOMMU_VTD_PGTT_FS;
	p.fs_levels = 3;
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, &p), -EINVAL);
	p.pgtt = SIOMMU_VTD_PGTT_NEST;
	p.fs_levels = 4;
	p.ss_levels = 2;
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, &p), -EINVAL);
	p.pgtt = SIOMMU_VTD_PGTT_SS;
	p.ss_levels = 6;
	CHECK_EQ(siommu_vtd_build_pasid(mem, root, RID, 1, &p), -EINVAL);
	/* Clearing where no PASID table exists allocates none. */
	CHECK_EQ(siommu_vtd_build_pasid_clear(mem, root, RID, 1), -ENOENT);
	CHECK_EQ(frames_in_use(), used);
	CHECK_EQ(ld(dir), 0);

	p.pgtt = SIOMMU_VTD_PGTT_NEST;
	p.fs_levels = 5;
	p.ss_levels = 4;
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 70, &p));
	/* Directory entry 1 (PASIDs 64-127), present; entry 6 of its table. */
	CHECK_EQ(ld(dir + 8) & 0xfff, 1);
	pa = (ld(dir + 8) & ~0xfffull) + 6 * 64;
	/* qw0: P, FPD, AW 2 (4 levels), SSEE, PGTT 3, SSADE, the SS root. */
	CHECK_EQ(ld(pa), 1 | 2 | 2 << 2 | 1 << 5 | 3 << 6 | 1 << 9 | 0x9000);
	CHECK_EQ(ld(pa + 8), 0x4321);
	/* qw2: SRE, ERE, FSPM 1 (5 levels), WPE, NXE (a first stage), the
	 * FS root. */
	CHECK_EQ(ld(pa + 16), 1 | 2 | 1 << 2 | 1 << 4 | 1 << 5 | 0x7000);
	/* SMEP when asked. */
	p.smep = true;
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 70, &p));
	CHECK_EQ(ld(pa + 16), 1 | 2 | 1 << 2 | 1 << 4 | 1 << 5 | 1 << 6 | 0x7000);
	p.smep = false;
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 70, &p));
	for (i = 3; i < 8; i++)
		CHECK_EQ(ld(pa + 8 * i), 0);
	/* A rebuild writes all eight words, reserved ones included. */
	CHECK_OK(siommu_mem_store64(mem, pa + 40, ~0ull));
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 70, &p));
	CHECK_EQ(ld(pa + 40), 0);
	/* Pass-through needs no levels. */
	p = (struct siommu_vtd_pasid_desc){ .pgtt = SIOMMU_VTD_PGTT_PT, .did = 2 };
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 71, &p));
	CHECK_EQ(ld(pa + 64), 1 | 4 << 6);
	/* No first stage, no NXE. */
	CHECK_EQ(ld(pa + 64 + 16), 0);
	CHECK_OK(siommu_vtd_build_pasid_clear(mem, root, RID, 70));
	CHECK_EQ(ld(pa), 0);
	CHECK_EQ(ld(pa + 64), 1 | 4 << 6);
}

static void test_map_errors(void)
{
	uint64_t fs, ss, pa, epa, size, used;
	const uint32_t rw = SIOMMU_VTD_READ | SIOMMU_VTD_WRITE;

	CHECK_OK(siommu_vtd_build_table_alloc(mem, &fs));
	CHECK_OK(siommu_vtd_build_table_alloc(mem, &ss));
	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &pa));
	used = frames_in_use();
	/* Levels: FS 4 or 5, SS 3 to 5. */
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 3, 0, pa, SIOMMU_SZ_4K, rw),
		 -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 6, 0, pa, SIOMMU_SZ_4K, rw),
		 -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_SS, ss, 2, 0, pa, SIOMMU_SZ_4K, rw),
		 -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_SS, ss, 6, 0, pa, SIOMMU_SZ_4K, rw),
		 -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, (enum siommu_vtd_fmt)2, fs, 4, 0, pa,
				      SIOMMU_SZ_4K, rw), -EINVAL);
	/* Sizes and alignment. */
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, pa, 0x2000, rw),
		 -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, pa,
				      SIOMMU_SZ_2M, rw), -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, pa + 0x1000,
				      SIOMMU_SZ_2M, rw), -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x800, pa,
				      SIOMMU_SZ_4K, rw), -EINVAL);
	/* FS addresses are canonical; SS ones fit the levels. */
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 1ull << 47, pa,
				      SIOMMU_SZ_4K, rw), -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 5, 1ull << 56, pa,
				      SIOMMU_SZ_4K, rw), -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_SS, ss, 3, 1ull << 39, pa,
				      SIOMMU_SZ_4K, rw), -EINVAL);
	/* SS leaves must allow reading or writing. */
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_SS, ss, 4, 0, pa, SIOMMU_SZ_4K,
				      SIOMMU_VTD_EXEC), -EINVAL);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, NOT_RAM, 4, 0, pa,
				      SIOMMU_SZ_4K, rw), -EFAULT);
	CHECK_EQ(frames_in_use(), used);
	CHECK_EQ(ld(fs), 0);

	/* Lookups and unmaps of what is not there. */
	CHECK_EQ(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs, 3, 0, &epa, &size), -EINVAL);
	CHECK_EQ(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0, &epa, &size), -ENOENT);
	CHECK_EQ(siommu_vtd_build_unmap(mem, SIOMMU_VTD_FMT_SS, ss, 4, 0), -ENOENT);
	CHECK_EQ(siommu_vtd_build_unmap(mem, SIOMMU_VTD_FMT_SS, ss, 2, 0), -EINVAL);

	/* Something is there already. */
	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x200000, pa,
				      SIOMMU_SZ_2M, rw));
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x200000, pa,
				      SIOMMU_SZ_2M, rw), -EEXIST);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x201000, pa,
				      SIOMMU_SZ_4K, rw), -EEXIST);
	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x400000, pa,
				      SIOMMU_SZ_4K, rw));
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x400000, pa,
				      SIOMMU_SZ_2M, rw), -EEXIST);
	CHECK_EQ(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x400000, pa,
				      SIOMMU_SZ_4K, rw), -EEXIST);
}

/* The leaves, bit by bit, and the lookup and unmap of each size. */
static void test_leaves(void)
{
	uint64_t fs, ss, pa, epa, size;
	uint64_t top = 0xffffffffffe00000ull;	/* canonical, the top 2M */

	CHECK_OK(siommu_vtd_build_table_alloc(mem, &fs));
	CHECK_OK(siommu_vtd_build_table_alloc(mem, &ss));
	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_1G, SIOMMU_MEM_DMA, &pa));

	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, pa,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1fff, &epa, &size));
	CHECK_EQ(size, SIOMMU_SZ_4K);
	/* P; read-only, supervisor, XD. */
	CHECK_EQ(ld(epa), pa | 1 | 1ull << 63);
	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs, 4, top, pa, SIOMMU_SZ_2M,
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC |
				      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs, 4, top + 0x12345, &epa,
				       &size));
	CHECK_EQ(size, SIOMMU_SZ_2M);
	CHECK_EQ(ld(epa), pa | 1 | 2 | 4 | 1 << 7);
	/* Intermediate FS entries allow everything: P, R/W, U/S. */
	CHECK_EQ(ld(fs + 511 * 8) & 0xfff, 7);

	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x40000000, pa,
				      SIOMMU_SZ_1G, SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x7fffffff, &epa, &size));
	CHECK_EQ(size, SIOMMU_SZ_1G);
	CHECK_EQ(epa, ss + 8);
	CHECK_EQ(ld(epa), pa | 2 | 1 << 7);
	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x3000, pa,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_EXEC));
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x3000, &epa, &size));
	CHECK_EQ(ld(epa), pa | 1 | 4);
	/* Intermediate SS entries: R, W, X. */
	CHECK_EQ(ld(ss) & 0xfff, 7);

	/* Unmap clears the whole page the address falls in, only it. */
	CHECK_OK(siommu_vtd_build_unmap(mem, SIOMMU_VTD_FMT_FS, fs, 4, top + 0x5000));
	CHECK_EQ(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs, 4, top, &epa, &size),
		 -ENOENT);
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000, &epa, &size));
	CHECK_OK(siommu_vtd_build_unmap(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x40001000));
	CHECK_EQ(siommu_vtd_build_unmap(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x40001000), -ENOENT);
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_SS, ss, 3, 0x3000, &epa, &size));
}

int main(void)
{
	CHECK_OK(siommu_mem_create(NULL, &mem));
	test_context();
	test_pasid();
	test_map_errors();
	test_leaves();
	siommu_mem_destroy(mem);
	return 0;
}
