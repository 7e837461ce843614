/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the VT-d model's fallible steps: creating a unit,
 * registering a device, and every structure builder of siommu/vtd_build.h.
 * Step 1, 2, 3, ... of each operation fails in turn until one run reaches
 * no armed step. A failed run returns -ENOMEM and changes nothing:
 *   - physical memory: the part of the frame pool where every frame of the
 *     test lies, byte for byte (a hash of it), and the pool's usage per
 *     purpose;
 *   - what a live unit answers: a set of probe requests translate or fault
 *     exactly as before.
 * The heap is checked by the runs under valgrind (make valgrind) and ASan:
 * an object a failed run leaks is reported at exit.
 */
#include <errno.h>
#include <string.h>

#include <siommu/mem.h>
#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#include "test.h"

#define POOL_BASE (1ull << 30)
#define POOL_SIZE SIOMMU_SZ_1G
#define USED_SIZE (32ull << 20)	/* the buddy allocator's lowest runs */
#define MAX_STEPS 32
#define RID 0x0108		/* bus 1: a root entry of its own */
#define RID_HI 0x0188		/* the same bus, the upper context table */
#define RID_NEW 0x0210		/* bus 2, built only inside sweeps */

struct probe {
	uint16_t rid;
	bool pasid_present;
	uint32_t pasid;
	uint64_t iova;
};

struct answer {
	int ret;
	uint64_t addr;
	uint32_t fault_reason;
};

#define NR_PROBES 6

static const struct probe probes[NR_PROBES] = {
	{ RID, false, 0, 0x1000 },		/* mapped */
	{ RID, true, 5, 0x200000 },		/* mapped, 2M */
	{ RID, true, 5, 0x8000000000ull },		/* the sweeps' new mappings */
	{ RID, true, 70, 0x1000 },		/* no PASID table */
	{ RID_HI, false, 0, 0x1000 },		/* no context table */
	{ RID_NEW, false, 0, 0x1000 },		/* no root entry */
};

struct snapshot {
	uint64_t pool_hash;
	uint64_t in_use[SIOMMU_MEM_NR_PURPOSES];
	uint64_t pool_free;
	struct answer answers[NR_PROBES];
};

static struct siommu_mem *mem;
static struct siommu_vtd *unit;
static uint64_t root, fs_root, ss_root, failures;
static uint64_t *pool_copy;
static uint64_t last_table;	/* the 5-level table sweep_builders made */

static void snap(struct snapshot *s)
{
	struct siommu_mem_stats st;
	struct siommu_vtd_xlate x;
	struct siommu_vtd_req r;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	memset(s, 0, sizeof(*s));
	CHECK_OK(siommu_mem_read(mem, POOL_BASE, pool_copy, USED_SIZE));
	for (i = 0; i < USED_SIZE / 8; i++)
		h = (h ^ pool_copy[i]) * 0x100000001b3ull;
	s->pool_hash = h;
	siommu_mem_get_stats(mem, &st);
	memcpy(s->in_use, st.in_use, sizeof(s->in_use));
	s->pool_free = st.pool_free_bytes;
	for (i = 0; i < NR_PROBES; i++) {
		memset(&r, 0, sizeof(r));
		memset(&x, 0, sizeof(x));
		r.rid = probes[i].rid;
		r.pasid_present = probes[i].pasid_present;
		r.pasid = probes[i].pasid;
		r.iova = probes[i].iova;
		r.access = SIOMMU_VTD_READ;
		s->answers[i].ret = siommu_vtd_translate(unit, &r, &x);
		s->answers[i].addr = x.addr;
		s->answers[i].fault_reason = x.fault_reason;
	}
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	unsigned int i;

	CHECK_EQ(a->pool_hash, b->pool_hash);
	CHECK(!memcmp(a->in_use, b->in_use, sizeof(a->in_use)));
	CHECK_EQ(a->pool_free, b->pool_free);
	for (i = 0; i < NR_PROBES; i++) {
		CHECK_EQ(a->answers[i].ret, b->answers[i].ret);
		CHECK_EQ(a->answers[i].addr, b->answers[i].addr);
		CHECK_EQ(a->answers[i].fault_reason, b->answers[i].fault_reason);
	}
}

#include "fail_nth.h"

/* SWEEP, checking the operation had exactly @steps fallible steps. */
#define SWEEP_STEPS(what, steps, expr)                                     \
	do {                                                               \
		uint64_t _f0 = failures;                                   \
                                                                           \
		SWEEP(what, expr);                                         \
		CHECK_EQ(failures - _f0, (uint64_t)(steps));               \
	} while (0)

static void dev_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
}

static void dev_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
}

static const struct siommu_vtd_dev_ops dev_ops = { dev_inv, dev_resp };

/* A unit with translation on, RID's context with PASIDs, two mappings. */
static void setup(void)
{
	struct siommu_mem_cfg mc = { .pool_base = POOL_BASE, .pool_size = POOL_SIZE };
	struct siommu_vtd_ctx_desc c = { .paside = true, .pre = true };
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 1,
					   .fs_levels = 4, .sre = true };
	uint64_t page;

	pool_copy = malloc(USED_SIZE);
	CHECK(pool_copy);
	CHECK_OK(siommu_mem_create(&mc, &mem));
	CHECK_OK(siommu_vtd_create(mem, NULL, &unit));
	CHECK_OK(siommu_vtd_build_table_alloc(mem, &root));
	CHECK_OK(siommu_vtd_mmio_write(unit, SIOMMU_VTD_REG_RTADDR, 8,
				       root | SIOMMU_VTD_RTADDR_SMT));
	CHECK_OK(siommu_vtd_mmio_write(unit, SIOMMU_VTD_REG_GCMD, 4,
				       SIOMMU_VTD_GCMD_SRTP));
	CHECK_OK(siommu_vtd_mmio_write(unit, SIOMMU_VTD_REG_GCMD, 4,
				       SIOMMU_VTD_GCMD_TE));
	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &page));

	CHECK_OK(siommu_vtd_build_context(mem, root, RID, &c, NULL));
	CHECK_OK(siommu_vtd_build_table_alloc(mem, &fs_root));
	CHECK_OK(siommu_vtd_build_table_alloc(mem, &ss_root));
	p.fs_root = fs_root;
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 0, &p));
	CHECK_OK(siommu_vtd_build_pasid(mem, root, RID, 5, &p));
	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs_root, 4, 0x1000,
				      page, SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs_root, 4, 0x200000,
				      page, SIOMMU_SZ_2M, SIOMMU_VTD_READ));
}

static void sweep_unit(void)
{
	static const struct siommu_vtd_cfg cfgs[] = {
		{ .caps = SIOMMU_VTD_CAP_ALL },			/* with PSC */
		{ .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_PSC },
		{ .nr_fault_records = 256, .iotlb_sets = 65536, .iotlb_ways = 16 },
	};
	static const unsigned int steps[] = { 7, 6, 7 };
	struct siommu_vtd *v = NULL;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		SWEEP_STEPS("vtd_create", steps[i],
			    siommu_vtd_create(mem, &cfgs[i], &v));
		NO_STEP(siommu_vtd_destroy(v));
	}
	for (i = 0; i < 3; i++) {
		SWEEP_STEPS("vtd_dev_register", 1,
			    siommu_vtd_dev_register(unit, (uint16_t)(RID + i),
						    &dev_ops, NULL));
		CHECK_EQ(siommu_vtd_dev_register(unit, (uint16_t)(RID + i),
						 &dev_ops, NULL), -EEXIST);
	}
	for (i = 0; i < 3; i++)
		NO_STEP(siommu_vtd_dev_unregister(unit, (uint16_t)(RID + i)));
}

static void sweep_builders(void)
{
	struct siommu_vtd_ctx_desc c = { .paside = true, .pdts = 0 };
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_SS, .did = 2,
					   .ss_levels = 4 };
	uint64_t t, t3, pa = 0x80000000;

	SWEEP_STEPS("vtd_build_table_alloc", 1,
		    siommu_vtd_build_table_alloc(mem, &t));
	/* A new root entry: context table and PASID directory. */
	SWEEP_STEPS("vtd_build_context (new table)", 2,
		    siommu_vtd_build_context(mem, root, RID_NEW, &c, NULL));
	/* The context table is there: the directory alone. */
	SWEEP_STEPS("vtd_build_context (new entry)", 1,
		    siommu_vtd_build_context(mem, root, RID_NEW + 1, &c, NULL));
	/* A larger directory than the entry has: 2M of it. */
	c.pdts = 7;
	SWEEP_STEPS("vtd_build_context (larger dir)", 1,
		    siommu_vtd_build_context(mem, root, RID_NEW, &c, NULL));
	/* The directory is kept: nothing to allocate. */
	SWEEP_STEPS("vtd_build_context (rewrite)", 0,
		    siommu_vtd_build_context(mem, root, RID_NEW, &c, NULL));

	p.ss_root = ss_root;
	SWEEP_STEPS("vtd_build_pasid (new table)", 1,
		    siommu_vtd_build_pasid(mem, root, RID, 70, &p));
	SWEEP_STEPS("vtd_build_pasid (rewrite)", 0,
		    siommu_vtd_build_pasid(mem, root, RID, 71, &p));
	NO_STEP(siommu_vtd_build_pasid_clear(mem, root, RID, 71));

	CHECK_OK(siommu_vtd_build_table_alloc(mem, &t3));
	last_table = t;
	{
		/* The tables a page needs: what its path lacks. */
		const struct {
			const char *what;
			unsigned int steps;
			enum siommu_vtd_fmt fmt;
			uint64_t root;
			unsigned int levels;
			uint64_t iova, size;
		} maps[] = {
			/* A new level-4 entry: levels 3, 2 and 1 below it. */
			{ "vtd_build_map (fs, 4K, 3 tables)", 3, SIOMMU_VTD_FMT_FS,
			  fs_root, 4, 0x8000000000ull, SIOMMU_SZ_4K },
			/* Next to it: the level-2 table is there. */
			{ "vtd_build_map (fs, 2M, 0 tables)", 0, SIOMMU_VTD_FMT_FS,
			  fs_root, 4, 0x8000200000ull, SIOMMU_SZ_2M },
			{ "vtd_build_map (fs 5-level, 4K, 4 tables)", 4,
			  SIOMMU_VTD_FMT_FS, t, 5, 0x1000000000000ull, SIOMMU_SZ_4K },
			{ "vtd_build_map (ss, 2M, 2 tables)", 2, SIOMMU_VTD_FMT_SS,
			  ss_root, 4, 0x8000000000ull, SIOMMU_SZ_2M },
			{ "vtd_build_map (ss 3-level, 1G, 0 tables)", 0,
			  SIOMMU_VTD_FMT_SS, t3, 3, 0x40000000, SIOMMU_SZ_1G },
		};
		unsigned int i;

		for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
			SWEEP_STEPS(maps[i].what, maps[i].steps,
				    siommu_vtd_build_map(mem, maps[i].fmt,
							 maps[i].root,
							 maps[i].levels,
							 maps[i].iova, pa,
							 maps[i].size,
							 SIOMMU_VTD_READ));
	}
	NO_STEP(siommu_vtd_build_unmap(mem, SIOMMU_VTD_FMT_FS, fs_root, 4,
				       0x8000000000ull));
}

/* What the sweeps built is what was asked for. */
static void check_built(void)
{
	struct siommu_vtd_xlate x;
	struct siommu_vtd_req r = { .rid = RID, .pasid_present = true, .pasid = 5,
				    .priv = true, .iova = 0x8000200000ull,
				    .access = SIOMMU_VTD_READ };
	uint64_t e, size;

	CHECK_OK(siommu_vtd_translate(unit, &r, &x));
	CHECK_EQ(x.size, SIOMMU_SZ_2M);
	CHECK_EQ(x.addr, 0x80000000);
	CHECK_EQ(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, fs_root, 4,
				       0x8000000000ull, &e, &size), -ENOENT);
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_SS, ss_root, 4,
				       0x8000000000ull, &e, &size));
	CHECK_EQ(size, SIOMMU_SZ_2M);
	/* The tables the sweeps built lie where the snapshots look. */
	CHECK(e < POOL_BASE + USED_SIZE);
	CHECK_OK(siommu_vtd_build_leaf(mem, SIOMMU_VTD_FMT_FS, last_table, 5,
				       0x1000000000000ull, &e, &size));
	CHECK(e < POOL_BASE + USED_SIZE);
}

int main(void)
{
	struct snapshot warm;

	setup();
	/* The probes' first walks set accessed bits; later ones write none. */
	snap(&warm);
	sweep_unit();
	sweep_builders();
	check_built();
	CHECK(failures >= 20);
	siommu_vtd_destroy(unit);
	siommu_mem_destroy(mem);
	free(pool_copy);
	return 0;
}
