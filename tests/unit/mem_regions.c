/* SPDX-License-Identifier: MIT */
/*
 * Regions of a physical address space: creation, adding and removing RAM,
 * PA lookup compared with a brute-force list, the one-region-per-access rule
 * of read/write, the 64-bit atomics, and lookups racing with region updates.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>

#include <siommu/mem.h>

#include "test.h"

#define SZ_4K SIOMMU_SZ_4K
#define SZ_1G SIOMMU_SZ_1G
#define PA_TOP (0ull - SZ_4K)	/* the last page of the 64-bit space */

/* Pool used by most cases: small, so that its metadata stays cheap. */
#define POOL_BASE (4ull << 30)
#define POOL_SIZE SZ_1G

static struct siommu_mem *mem_new(uint64_t base, uint64_t size)
{
	struct siommu_mem_cfg cfg = { .pool_base = base, .pool_size = size };
	struct siommu_mem *mem;

	CHECK_OK(siommu_mem_create(&cfg, &mem));
	return mem;
}

static void *map_buf(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	CHECK(p != MAP_FAILED);
	return p;
}

static struct siommu_mem_stats stats_of(struct siommu_mem *mem)
{
	struct siommu_mem_stats st;

	siommu_mem_get_stats(mem, &st);
	return st;
}

/* A failed call must leave the region set as it was. */
#define CHECK_REGIONS(mem, before)                                         \
	do {                                                               \
		struct siommu_mem_stats _st = stats_of(mem);               \
		CHECK_EQ(_st.nr_regions, (before).nr_regions);             \
		CHECK_EQ(_st.ram_bytes, (before).ram_bytes);               \
	} while (0)

static bool all_bytes(const void *p, int c, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != (uint8_t)c)
			return false;
	return true;
}

static void check_pool_only(struct siommu_mem *mem, uint64_t base, uint64_t size)
{
	struct siommu_mem_stats st = stats_of(mem);
	unsigned int i;

	CHECK_EQ(st.nr_regions, 1);
	CHECK_EQ(st.ram_bytes, size);
	CHECK_EQ(st.pool_bytes, size);
	CHECK_EQ(st.pool_free_bytes, size);
	for (i = 0; i < SIOMMU_MEM_NR_PURPOSES; i++) {
		CHECK_EQ(st.in_use[i], 0);
		CHECK_EQ(st.allocs[i], 0);
		CHECK_EQ(st.frees[i], 0);
	}
	CHECK(siommu_mem_is_ram(mem, base, 1));
	CHECK(siommu_mem_is_ram(mem, base + size - 1, 1));
	CHECK(siommu_mem_host(mem, base, size) != NULL);
	CHECK(siommu_mem_host(mem, base, size + 1) == NULL);
	CHECK(!siommu_mem_is_ram(mem, base - 1, 1));
	CHECK(!siommu_mem_is_ram(mem, base - 1, 2));
	CHECK(!siommu_mem_is_ram(mem, base + size, 1));
}

static void test_create(void)
{
	static const struct siommu_mem_cfg bad[] = {
		{ POOL_BASE + SZ_4K, SZ_1G, 0 },
		{ POOL_BASE + 1, SZ_1G, 0 },
		{ 1ull << 29, SZ_1G, 0 },
		{ POOL_BASE, SZ_1G + SZ_4K, 0 },
		{ POOL_BASE, SZ_4K, 0 },
		{ POOL_BASE, 1ull << 29, 0 },
		{ POOL_BASE + SZ_4K, 0, 0 },
		/* [2^64 - 1G, 2^64 + 1G) */
		{ 0ull - SZ_1G, 2 * SZ_1G, 0 },
		{ 0ull - 4 * SZ_1G, 8 * SZ_1G, 0 },
	};
	struct siommu_mem_cfg top = { 0ull - SZ_1G, SZ_1G, 0 };
	struct siommu_mem *mem, *keep;
	struct siommu_mem_stats st;
	unsigned int i;
	uint64_t v;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	check_pool_only(mem, SIOMMU_MEM_DEFAULT_POOL_BASE,
			SIOMMU_MEM_DEFAULT_POOL_SIZE);
	siommu_mem_destroy(mem);

	mem = mem_new(SZ_1G, 2 * SZ_1G);
	check_pool_only(mem, SZ_1G, 2 * SZ_1G);
	siommu_mem_destroy(mem);

	/* A pool may start at 0 and may end at the very top. */
	mem = mem_new(0, SZ_1G);
	check_pool_only(mem, 0, SZ_1G);
	siommu_mem_destroy(mem);
	CHECK_OK(siommu_mem_create(&top, &mem));
	check_pool_only(mem, top.pool_base, SZ_1G);
	CHECK_OK(siommu_mem_store64(mem, UINT64_MAX - 7, 0x1122334455667788ull));
	CHECK_OK(siommu_mem_load64(mem, UINT64_MAX - 7, &v));
	CHECK_EQ(v, 0x1122334455667788ull);
	CHECK(siommu_mem_host(mem, UINT64_MAX, 0) != NULL);
	CHECK(siommu_mem_host(mem, UINT64_MAX, 2) == NULL);
	siommu_mem_destroy(mem);

	mem = mem_new(POOL_BASE, 0);
	st = stats_of(mem);
	CHECK_EQ(st.nr_regions, 0);
	CHECK_EQ(st.ram_bytes, 0);
	CHECK_EQ(st.pool_bytes, 0);
	CHECK_EQ(st.pool_free_bytes, 0);
	CHECK(!siommu_mem_is_ram(mem, POOL_BASE, 1));
	CHECK(!siommu_mem_is_ram(mem, 0, 1));
	siommu_mem_destroy(mem);

	/* An address space that exists must not be disturbed by bad creates. */
	keep = mem_new(POOL_BASE, POOL_SIZE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(siommu_mem_create(&bad[i], &mem), -EINVAL);
	check_pool_only(keep, POOL_BASE, POOL_SIZE);
	siommu_mem_destroy(keep);
}

/* Address spaces in one process share nothing, not even at equal PAs. */
static void test_independent(void)
{
	struct siommu_mem *a, *b, *c;
	uint8_t *host_a = aligned_alloc(SZ_4K, 4 * SZ_4K);
	uint64_t pa = 1ull << 20, va, vb;

	CHECK(host_a);
	memset(host_a, 0, 4 * SZ_4K);
	CHECK_OK(siommu_mem_create(NULL, &a));
	b = mem_new(16 * SZ_1G, SZ_1G);
	c = mem_new(0, 0);

	CHECK_OK(siommu_mem_add_ram(a, pa, 4 * SZ_4K, host_a));
	CHECK_OK(siommu_mem_add_ram(b, pa, 4 * SZ_4K, NULL));
	CHECK_OK(siommu_mem_add_ram(c, 1ull << 44, SZ_4K, NULL));
	CHECK(siommu_mem_host(a, pa, 1) == host_a);
	CHECK(siommu_mem_host(b, pa, 1) != host_a);
	CHECK(!siommu_mem_is_ram(c, pa, 1));

	CHECK_OK(siommu_mem_store64(a, pa + 8, 0xaaaa));
	CHECK_OK(siommu_mem_store64(b, pa + 8, 0xbbbb));
	CHECK_OK(siommu_mem_load64(a, pa + 8, &va));
	CHECK_OK(siommu_mem_load64(b, pa + 8, &vb));
	CHECK_EQ(va, 0xaaaa);
	CHECK_EQ(vb, 0xbbbb);

	/* Each one's pool and regions are invisible to the others. */
	CHECK(!siommu_mem_is_ram(a, 16 * SZ_1G, 1));
	CHECK(!siommu_mem_is_ram(b, SIOMMU_MEM_DEFAULT_POOL_BASE, 1));
	CHECK(!siommu_mem_is_ram(c, SIOMMU_MEM_DEFAULT_POOL_BASE, 1));
	CHECK(!siommu_mem_is_ram(a, 1ull << 44, 1));
	CHECK(!siommu_mem_is_ram(b, 1ull << 44, 1));
	CHECK(siommu_mem_is_ram(c, 1ull << 44, 1));

	CHECK_OK(siommu_mem_remove_ram(a, pa, 4 * SZ_4K));
	CHECK(!siommu_mem_is_ram(a, pa, 1));
	CHECK_OK(siommu_mem_load64(b, pa + 8, &vb));
	CHECK_EQ(vb, 0xbbbb);
	CHECK_EQ(stats_of(a).nr_regions, 1);
	CHECK_EQ(stats_of(b).nr_regions, 2);
	CHECK_EQ(stats_of(c).nr_regions, 1);
	CHECK_EQ(stats_of(c).ram_bytes, SZ_4K);

	siommu_mem_destroy(a);
	siommu_mem_destroy(b);
	siommu_mem_destroy(c);
	/* Registered memory stays the embedder's, intact, after removal. */
	CHECK_EQ(*(uint64_t *)(host_a + 8), 0xaaaa);
	free(host_a);
}

static void test_add_ram(void)
{
	const uint64_t lib_pa = 1ull << 20, lib_size = 16 * SZ_4K;
	const uint64_t reg_pa = 1ull << 30, reg_size = 4 * SZ_4K;
	const uint64_t pool_end = POOL_BASE + POOL_SIZE;
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	struct siommu_mem_stats st;
	uint8_t buf[64], *lib_host, *reg_host, *map_host;
	uint64_t i;
	struct { uint64_t pa, size; } overlap[] = {
		{ lib_pa - SZ_4K, 2 * SZ_4K },			/* before */
		{ lib_pa + lib_size - SZ_4K, 2 * SZ_4K },	/* after */
		{ lib_pa + SZ_4K, SZ_4K },			/* inside */
		{ lib_pa + lib_size - SZ_4K, SZ_4K },		/* last page */
		{ lib_pa, SZ_4K },				/* first page */
		{ lib_pa, lib_size },				/* the same */
		{ lib_pa - SZ_4K, lib_size + 2 * SZ_4K },	/* covering */
		{ POOL_BASE - SZ_4K, 2 * SZ_4K },
		{ pool_end - SZ_4K, 2 * SZ_4K },
		{ POOL_BASE + (1ull << 29), SZ_4K },
		{ POOL_BASE, SZ_4K },
		{ pool_end - SZ_4K, SZ_4K },
		{ POOL_BASE - SZ_4K, POOL_SIZE + 2 * SZ_4K },
	};

	/* Library RAM reads back zero and is the same memory as its host pointer. */
	CHECK_OK(siommu_mem_add_ram(mem, lib_pa, lib_size, NULL));
	st = stats_of(mem);
	CHECK_EQ(st.nr_regions, 2);
	CHECK_EQ(st.ram_bytes, POOL_SIZE + lib_size);
	lib_host = siommu_mem_host(mem, lib_pa, lib_size);
	CHECK(lib_host);
	CHECK_EQ((uintptr_t)lib_host % SZ_4K, 0);
	CHECK(siommu_mem_host(mem, lib_pa + 100, 1) == lib_host + 100);
	for (i = 0; i < lib_size; i += sizeof(buf)) {
		memset(buf, 0xee, sizeof(buf));
		CHECK_OK(siommu_mem_read(mem, lib_pa + i, buf, sizeof(buf)));
		CHECK(all_bytes(buf, 0, sizeof(buf)));
	}
	memset(buf, 0x3c, sizeof(buf));
	CHECK_OK(siommu_mem_write(mem, lib_pa + lib_size - sizeof(buf), buf,
				  sizeof(buf)));
	CHECK(all_bytes(lib_host + lib_size - sizeof(buf), 0x3c, sizeof(buf)));
	lib_host[5] = 0x77;
	CHECK_OK(siommu_mem_read(mem, lib_pa, buf, 8));
	CHECK_EQ(buf[5], 0x77);

	/* Registered RAM: exactly the embedder's buffer, both directions. */
	reg_host = aligned_alloc(SZ_4K, reg_size);
	CHECK(reg_host);
	memset(reg_host, 0x5a, reg_size);
	CHECK_OK(siommu_mem_add_ram(mem, reg_pa, reg_size, reg_host));
	CHECK(siommu_mem_host(mem, reg_pa, reg_size) == reg_host);
	CHECK(siommu_mem_host(mem, reg_pa + reg_size - 1, 1) ==
	      reg_host + reg_size - 1);
	CHECK_OK(siommu_mem_read(mem, reg_pa + SZ_4K, buf, sizeof(buf)));
	CHECK(all_bytes(buf, 0x5a, sizeof(buf)));
	memset(buf, 0xc3, sizeof(buf));
	CHECK_OK(siommu_mem_write(mem, reg_pa + 2 * SZ_4K - 8, buf, 16));
	CHECK(all_bytes(reg_host + 2 * SZ_4K - 8, 0xc3, 16));
	CHECK_EQ(reg_host[2 * SZ_4K - 9], 0x5a);
	CHECK_EQ(reg_host[2 * SZ_4K + 8], 0x5a);
	reg_host[reg_size - 1] = 0x11;
	CHECK_OK(siommu_mem_read(mem, reg_pa + reg_size - 1, buf, 1));
	CHECK_EQ(buf[0], 0x11);

	/* An mmap()ed buffer works the same. */
	map_host = map_buf(2 * SZ_4K);
	CHECK_OK(siommu_mem_add_ram(mem, reg_pa + reg_size, 2 * SZ_4K, map_host));
	CHECK_OK(siommu_mem_store64(mem, reg_pa + reg_size + SZ_4K, 0x0102030405060708ull));
	CHECK_EQ(map_host[SZ_4K], 0x08);
	CHECK_EQ(map_host[SZ_4K + 7], 0x01);

	st = stats_of(mem);
	CHECK_EQ(st.nr_regions, 4);
	CHECK_EQ(st.ram_bytes, POOL_SIZE + lib_size + reg_size + 2 * SZ_4K);

	/* -EINVAL: alignment, zero size, wrap. */
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33 | 1, SZ_4K, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33 | 0x800, SZ_4K, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33, SZ_4K + 1, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33, 0x800, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33, SZ_4K, map_host + 8), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33, SZ_4K, map_host + 0x800), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33, 0, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 33, 0, map_host), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, PA_TOP, 2 * SZ_4K, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, PA_TOP, 2 * SZ_4K, map_host), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 0ull - SZ_1G, 2 * SZ_1G, NULL), -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 63, (1ull << 63) + SZ_4K, NULL),
		 -EINVAL);
	CHECK_EQ(siommu_mem_add_ram(mem, 1ull << 63, PA_TOP, map_host), -EINVAL);
	CHECK_REGIONS(mem, st);

	/* -EEXIST: every way of touching an existing region or the pool. */
	for (i = 0; i < sizeof(overlap) / sizeof(overlap[0]); i++) {
		CHECK_EQ(siommu_mem_add_ram(mem, overlap[i].pa, overlap[i].size,
					    NULL), -EEXIST);
		CHECK_EQ(siommu_mem_add_ram(mem, overlap[i].pa, overlap[i].size,
					    map_host), -EEXIST);
		CHECK_REGIONS(mem, st);
	}
	/* Registered ranges need no mapping, so they can be huge. */
	CHECK_EQ(siommu_mem_add_ram(mem, 0, PA_TOP, map_host), -EEXIST);
	CHECK_EQ(siommu_mem_add_ram(mem, reg_pa - SZ_4K, 1ull << 40, map_host),
		 -EEXIST);
	CHECK_REGIONS(mem, st);
	/* The regions that were in the way are untouched. */
	CHECK(siommu_mem_host(mem, lib_pa, lib_size) == lib_host);
	CHECK_EQ(lib_host[5], 0x77);
	CHECK(siommu_mem_host(mem, reg_pa, reg_size) == reg_host);

	/* Touching without overlapping is fine, next to regions and the pool. */
	CHECK_OK(siommu_mem_add_ram(mem, lib_pa - SZ_4K, SZ_4K, NULL));
	CHECK_OK(siommu_mem_add_ram(mem, lib_pa + lib_size, SZ_4K, NULL));
	CHECK_OK(siommu_mem_add_ram(mem, POOL_BASE - SZ_4K, SZ_4K, NULL));
	CHECK_OK(siommu_mem_add_ram(mem, pool_end, SZ_4K, NULL));
	CHECK_EQ(stats_of(mem).nr_regions, st.nr_regions + 4);
	CHECK_OK(siommu_mem_remove_ram(mem, lib_pa - SZ_4K, SZ_4K));
	CHECK_OK(siommu_mem_remove_ram(mem, lib_pa + lib_size, SZ_4K));
	CHECK_OK(siommu_mem_remove_ram(mem, POOL_BASE - SZ_4K, SZ_4K));
	CHECK_OK(siommu_mem_remove_ram(mem, pool_end, SZ_4K));
	CHECK_REGIONS(mem, st);

	/* A region whose last byte is 2^64 - 1 does not wrap. */
	CHECK_OK(siommu_mem_add_ram(mem, PA_TOP, SZ_4K, NULL));
	CHECK(siommu_mem_is_ram(mem, UINT64_MAX, 1));
	CHECK(siommu_mem_is_ram(mem, PA_TOP, SZ_4K));
	CHECK(!siommu_mem_is_ram(mem, UINT64_MAX, 2));
	CHECK(!siommu_mem_is_ram(mem, PA_TOP - 1, 2));
	buf[0] = 0x99;
	CHECK_OK(siommu_mem_write(mem, UINT64_MAX, buf, 1));
	buf[0] = 0;
	CHECK_OK(siommu_mem_read(mem, UINT64_MAX, buf, 1));
	CHECK_EQ(buf[0], 0x99);
	CHECK_OK(siommu_mem_remove_ram(mem, PA_TOP, SZ_4K));
	CHECK_OK(siommu_mem_add_ram(mem, 0ull - 4 * SZ_4K, 4 * SZ_4K, map_host));
	CHECK(siommu_mem_host(mem, UINT64_MAX, 1) == map_host + 4 * SZ_4K - 1);
	CHECK_OK(siommu_mem_remove_ram(mem, 0ull - 4 * SZ_4K, 4 * SZ_4K));
	CHECK_REGIONS(mem, st);

	siommu_mem_destroy(mem);
	free(reg_host);
	munmap(map_host, 2 * SZ_4K);
}

/*
 * An access that is not inside one region fails and copies nothing: the
 * buffer of a read and the memory of a write keep every byte. The two
 * adjacent regions are backed by one contiguous host buffer, so only the
 * region check, not a host-address check, can reject the access.
 */
static void test_bounds(void)
{
	const uint64_t x = 16ull << 20, y = x + 2 * SZ_4K, z = 32ull << 20;
	const uint64_t pool_end = POOL_BASE + POOL_SIZE;
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	uint8_t *xy = aligned_alloc(SZ_4K, 4 * SZ_4K), *zh, *ph, buf[4 * SZ_4K];
	struct { uint64_t pa; size_t len; } bad[] = {
		{ y - 4, 8 },			/* x into y */
		{ y - 1, 2 },
		{ x, 4 * SZ_4K },		/* all of x and y */
		{ x - SZ_4K, 2 * SZ_4K },	/* hole into x */
		{ x - 1, 1 },
		{ y + 2 * SZ_4K - 4, 8 },	/* y into the hole */
		{ y + 2 * SZ_4K, 8 },
		{ z - 4, 8 },
		{ z + 2 * SZ_4K - 1, 2 },
		{ z - SZ_4K, 3 * SZ_4K },	/* covering z */
		{ 48ull << 20, 64 },		/* a hole */
		{ POOL_BASE - 8, 16 },
		{ pool_end - 8, 16 },
		{ pool_end, 1 },
		{ UINT64_MAX - 3, 8 },		/* wraps */
		{ UINT64_MAX, 2 },
	};
	unsigned int i;

	CHECK(xy);
	memset(xy, 0x5a, 4 * SZ_4K);
	CHECK_OK(siommu_mem_add_ram(mem, x, 2 * SZ_4K, xy));
	CHECK_OK(siommu_mem_add_ram(mem, y, 2 * SZ_4K, xy + 2 * SZ_4K));
	CHECK_OK(siommu_mem_add_ram(mem, z, 2 * SZ_4K, NULL));
	zh = siommu_mem_host(mem, z, 2 * SZ_4K);
	ph = siommu_mem_host(mem, POOL_BASE, POOL_SIZE);
	CHECK(zh && ph);
	memset(zh, 0x5a, 2 * SZ_4K);
	memset(ph, 0x5a, SZ_4K);
	memset(ph + POOL_SIZE - SZ_4K, 0x5a, SZ_4K);

	/* Right up to each edge still works. */
	CHECK_OK(siommu_mem_read(mem, y - 8, buf, 8));
	CHECK_OK(siommu_mem_read(mem, y, buf, 2 * SZ_4K));
	CHECK_OK(siommu_mem_read(mem, z, buf, 2 * SZ_4K));
	CHECK_OK(siommu_mem_read(mem, pool_end - 8, buf, 8));
	CHECK(all_bytes(buf, 0x5a, 8));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(bad[i].len <= sizeof(buf));
		CHECK(siommu_mem_host(mem, bad[i].pa, bad[i].len) == NULL);
		CHECK(!siommu_mem_is_ram(mem, bad[i].pa, bad[i].len));

		memset(buf, 0xe1, bad[i].len);
		CHECK_EQ(siommu_mem_read(mem, bad[i].pa, buf, bad[i].len), -EFAULT);
		CHECK(all_bytes(buf, 0xe1, bad[i].len));

		CHECK_EQ(siommu_mem_write(mem, bad[i].pa, buf, bad[i].len), -EFAULT);
		CHECK(all_bytes(xy, 0x5a, 4 * SZ_4K));
		CHECK(all_bytes(zh, 0x5a, 2 * SZ_4K));
		CHECK(all_bytes(ph, 0x5a, SZ_4K));
		CHECK(all_bytes(ph + POOL_SIZE - SZ_4K, 0x5a, SZ_4K));
	}

	/* A region at the very top: its end is not a hole but the end of PAs. */
	CHECK_OK(siommu_mem_add_ram(mem, PA_TOP, SZ_4K, NULL));
	memset(buf, 0xe1, 8);
	CHECK_EQ(siommu_mem_read(mem, UINT64_MAX - 3, buf, 8), -EFAULT);
	CHECK(all_bytes(buf, 0xe1, 8));
	CHECK_EQ(siommu_mem_write(mem, UINT64_MAX - 3, buf, 8), -EFAULT);
	CHECK_OK(siommu_mem_read(mem, UINT64_MAX - 3, buf, 4));
	CHECK(all_bytes(buf, 0, 4));

	siommu_mem_destroy(mem);
	free(xy);
}

static void test_remove_ram(void)
{
	const uint64_t r = 16ull << 20, size = 16 * SZ_4K, s = 64ull << 20;
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	uint8_t *sh = aligned_alloc(SZ_4K, SZ_4K), buf[8];
	struct siommu_mem_stats st;
	uint64_t v;

	CHECK(sh);
	memset(sh, 0x42, SZ_4K);
	CHECK_OK(siommu_mem_add_ram(mem, r, size, NULL));
	CHECK_OK(siommu_mem_add_ram(mem, s, SZ_4K, sh));
	CHECK_OK(siommu_mem_store64(mem, r + 64, 0xfeed));
	st = stats_of(mem);

	CHECK_EQ(siommu_mem_remove_ram(mem, r + SZ_4K, size - SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, r, size - SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, r, size + SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, r, 0), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, r - SZ_4K, size + SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, 8ull << 20, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, 0, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, PA_TOP, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, POOL_BASE + SZ_4K, SZ_4K), -ENOENT);
	CHECK_EQ(siommu_mem_remove_ram(mem, POOL_BASE, POOL_SIZE), -EBUSY);
	CHECK_REGIONS(mem, st);
	CHECK_OK(siommu_mem_load64(mem, r + 64, &v));
	CHECK_EQ(v, 0xfeed);
	CHECK(siommu_mem_is_ram(mem, POOL_BASE, POOL_SIZE));

	CHECK_OK(siommu_mem_remove_ram(mem, r, size));
	CHECK(!siommu_mem_is_ram(mem, r, 1));
	CHECK(!siommu_mem_is_ram(mem, r + size - 1, 1));
	CHECK(siommu_mem_host(mem, r + 64, 8) == NULL);
	CHECK_EQ(siommu_mem_read(mem, r + 64, buf, 8), -EFAULT);
	CHECK_EQ(siommu_mem_load64(mem, r + 64, &v), -EFAULT);
	CHECK_EQ(stats_of(mem).nr_regions, st.nr_regions - 1);
	CHECK_EQ(stats_of(mem).ram_bytes, st.ram_bytes - size);
	CHECK_EQ(siommu_mem_remove_ram(mem, r, size), -ENOENT);

	/* The same PAs come back as fresh, zeroed library RAM. */
	CHECK_OK(siommu_mem_add_ram(mem, r, size, NULL));
	CHECK_OK(siommu_mem_load64(mem, r + 64, &v));
	CHECK_EQ(v, 0);
	CHECK_REGIONS(mem, st);

	CHECK_OK(siommu_mem_remove_ram(mem, s, SZ_4K));
	CHECK(!siommu_mem_is_ram(mem, s, 1));
	CHECK(all_bytes(sh, 0x42, SZ_4K));
	CHECK(siommu_mem_is_ram(mem, r, size));

	siommu_mem_destroy(mem);
	free(sh);
}

static void test_atomics(void)
{
	const uint64_t r = 16ull << 20, size = 2 * SZ_4K;
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	/* Misaligned probes stay inside the region: below an entry at its end. */
	const struct { uint64_t pa; bool at_end; } good[] = {
		{ r, false }, { r + size - 8, true },
		{ POOL_BASE, false }, { POOL_BASE + POOL_SIZE - 8, true },
		{ UINT64_MAX - 7, true },
	};
	const uint64_t holes[] = {
		0, r - 8, r + size, POOL_BASE - 8, POOL_BASE + POOL_SIZE,
		PA_TOP - 8,
	};
	uint64_t v, e, expected_bytes = 0x8877665544332211ull;
	uint8_t bytes[8];
	unsigned int i, k;

	CHECK_OK(siommu_mem_add_ram(mem, r, size, NULL));
	CHECK_OK(siommu_mem_add_ram(mem, PA_TOP, SZ_4K, NULL));

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t pa = good[i].pa, mis = good[i].at_end ? pa - 8 : pa;

		CHECK_OK(siommu_mem_store64(mem, pa, expected_bytes));
		CHECK_OK(siommu_mem_read(mem, pa, bytes, 8));
		for (k = 0; k < 8; k++)
			CHECK_EQ(bytes[k], 0x11 * (k + 1));
		CHECK_OK(siommu_mem_load64(mem, pa, &v));
		CHECK_EQ(v, expected_bytes);

		e = expected_bytes;
		CHECK_OK(siommu_mem_cmpxchg64(mem, pa, &e, 7));
		CHECK_EQ(e, expected_bytes);
		CHECK_OK(siommu_mem_load64(mem, pa, &v));
		CHECK_EQ(v, 7);

		e = expected_bytes;
		CHECK_EQ(siommu_mem_cmpxchg64(mem, pa, &e, 9), -EAGAIN);
		CHECK_EQ(e, 7);
		CHECK_OK(siommu_mem_load64(mem, pa, &v));
		CHECK_EQ(v, 7);

		for (k = 1; k < 8; k++) {
			CHECK_EQ(siommu_mem_load64(mem, mis + k, &v), -EINVAL);
			CHECK_EQ(siommu_mem_store64(mem, mis + k, 5), -EINVAL);
			e = 7;
			CHECK_EQ(siommu_mem_cmpxchg64(mem, mis + k, &e, 5), -EINVAL);
			CHECK_EQ(e, 7);
		}
		CHECK_OK(siommu_mem_load64(mem, pa, &v));
		CHECK_EQ(v, 7);
	}

	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		CHECK_EQ(siommu_mem_load64(mem, holes[i], &v), -EFAULT);
		CHECK_EQ(siommu_mem_store64(mem, holes[i], 1), -EFAULT);
		e = 3;
		CHECK_EQ(siommu_mem_cmpxchg64(mem, holes[i], &e, 1), -EFAULT);
		CHECK_EQ(e, 3);
	}
	siommu_mem_destroy(mem);
}

/* Brute-force twin of the region table: an unsorted list, scanned whole. */
struct bf_region {
	uint64_t pa, last;
	uint8_t *host;
	bool library, removed;
};

struct bf {
	struct bf_region *r;
	unsigned int n;
};

static uint8_t *bf_host(const struct bf *bf, uint64_t pa, uint64_t len)
{
	uint64_t last;
	unsigned int i;

	if (!len)
		len = 1;
	if (__builtin_add_overflow(pa, len - 1, &last))
		return NULL;
	for (i = 0; i < bf->n; i++) {
		const struct bf_region *r = &bf->r[i];

		if (!r->removed && pa >= r->pa && last <= r->last)
			return r->host + (pa - r->pa);
	}
	return NULL;
}

/* A probe around region @r: edges ±1, straddling, holes, len 0, wrapping. */
static void make_probe(struct test_rng *rng, const struct bf_region *r,
		       uint64_t *pa, uint64_t *len)
{
	uint64_t size = r->last - r->pa + 1, k = 1 + test_rand_below(rng, 16);

	switch (test_rand_below(rng, 14)) {
	case 0: {
		uint64_t off = test_rand_below(rng, size);

		*pa = r->pa + off;
		*len = 1 + test_rand_below(rng, size - off);
		break;
	}
	case 1:
		*pa = r->pa;
		*len = size - test_rand_below(rng, 2);
		break;
	case 2:
		*pa = r->pa - 1;
		*len = test_rand_below(rng, 3);
		break;
	case 3:
		*pa = r->last;
		*len = test_rand_below(rng, 3);
		break;
	case 4:
		*pa = r->last + 1;
		*len = test_rand_below(rng, 2);
		break;
	case 5:
		*pa = r->last + 1 - k;
		*len = k + test_rand_below(rng, 2);
		break;
	case 6:
		*pa = r->pa - k;
		*len = k + test_rand_below(rng, 2);
		break;
	case 7:
		*pa = r->pa - k;
		*len = size + k + test_rand_below(rng, 2) * k;
		break;
	case 8:
		*pa = r->pa + test_rand_below(rng, size);
		*len = r->last - *pa + 1 + test_rand_below(rng, 2);
		break;
	case 9:
		/* Mostly holes: the space is sparse. */
		*pa = test_rand(rng);
		*len = 1 + test_rand_below(rng, 64);
		break;
	case 10:
		*pa = test_rand(rng);
		*len = test_rand(rng);
		break;
	case 11:
		*pa = UINT64_MAX - test_rand_below(rng, 32);
		*len = test_rand_below(rng, 40);
		break;
	case 12:
		*pa = r->pa + test_rand_below(rng, size);
		*len = UINT64_MAX - test_rand_below(rng, 4);
		break;
	default:
		*pa = r->last + 1 + test_rand_below(rng, 3 * SZ_4K);
		*len = 1 + test_rand_below(rng, 64);
		break;
	}
}

static void check_probe(struct siommu_mem *mem, const struct bf *bf,
			struct test_rng *rng, uint64_t pa, uint64_t len)
{
	uint8_t *want = bf_host(bf, pa, len), buf[64], old[64], *byte[64];
	size_t n = len, k;

	CHECK_EQ((uintptr_t)siommu_mem_host(mem, pa, len), (uintptr_t)want);
	CHECK_EQ(siommu_mem_is_ram(mem, pa, len), want != NULL);
	if (!len || len > sizeof(buf))
		return;

	memset(buf, 0xa5, n);
	if (want) {
		CHECK_OK(siommu_mem_read(mem, pa, buf, n));
		CHECK(!memcmp(buf, want, n));
	} else {
		CHECK_EQ(siommu_mem_read(mem, pa, buf, n), -EFAULT);
		CHECK(all_bytes(buf, 0xa5, n));
	}
	if (test_rand_below(rng, 4))
		return;

	/* Writes: the bytes that are RAM must change iff the write succeeds. */
	for (k = 0; k < n; k++) {
		byte[k] = pa + k < pa ? NULL : siommu_mem_host(mem, pa + k, 1);
		old[k] = byte[k] ? *byte[k] : 0;
		buf[k] = ~old[k];
	}
	if (want) {
		CHECK_OK(siommu_mem_write(mem, pa, buf, n));
		CHECK(!memcmp(want, buf, n));
	} else {
		CHECK_EQ(siommu_mem_write(mem, pa, buf, n), -EFAULT);
		for (k = 0; k < n; k++)
			if (byte[k])
				CHECK_EQ(*byte[k], old[k]);
	}
}

static void test_lookup_random(void)
{
	const unsigned int nr = 2000;
	const uint64_t pool_end = POOL_BASE + POOL_SIZE;
	const uint64_t nprobes = test_ops(100000);
	/* Keep-out zone around the pool; its neighbours are placed by hand. */
	const uint64_t avoid_lo = POOL_BASE - 2 * SZ_4K, avoid_hi = pool_end + SZ_4K;
	struct test_rng rng = test_rng_init(0x6d656d5f72656773ull);
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	struct bf bf = { calloc(nr + 4, sizeof(struct bf_region)), 0 };
	unsigned int *order = calloc(nr + 4, sizeof(unsigned int));
	uint64_t cursor = 0, reg_bytes = 0, ram = POOL_SIZE, i, off;
	struct siommu_mem_stats st;
	uint8_t *big;

	CHECK(bf.r && order);
	bf.r[bf.n++] = (struct bf_region){ .pa = POOL_BASE, .last = pool_end - 1,
		.host = siommu_mem_host(mem, POOL_BASE, 1) };
	bf.r[bf.n++] = (struct bf_region){ .pa = avoid_lo, .last = POOL_BASE - 1 };
	bf.r[bf.n++] = (struct bf_region){ .pa = pool_end, .last = avoid_hi - 1,
					    .library = true };

	/*
	 * Gaps: a third adjacent, then small, large and huge ones, so that the
	 * regions reach high PAs; the last region ends at 2^64 - 1.
	 */
	while (bf.n < nr) {
		uint64_t gap, pages, pa, last;
		uint64_t g = test_rand_below(&rng, 10);

		gap = g < 3 ? 0 : g < 6 ? 1 + test_rand_below(&rng, 4) :
		      g < 9 ? 1 + test_rand_below(&rng, 1ull << 20) :
		      1 + test_rand_below(&rng, 1ull << 40);
		pages = test_rand_below(&rng, 4) ? 1 + test_rand_below(&rng, 4) :
			1 + test_rand_below(&rng, 64);
		if (__builtin_add_overflow(cursor, gap * SZ_4K, &pa) ||
		    __builtin_add_overflow(pa, pages * SZ_4K - 1, &last) ||
		    last >= PA_TOP)
			break;
		if (pa <= avoid_hi - 1 && last >= avoid_lo) {
			cursor = avoid_hi;
			continue;
		}
		bf.r[bf.n++] = (struct bf_region){ .pa = pa, .last = last,
			.library = test_rand_below(&rng, 4) == 0 };
		cursor = last + 1;
	}
	CHECK_EQ(bf.n, nr);
	bf.r[bf.n++] = (struct bf_region){ .pa = PA_TOP, .last = UINT64_MAX };

	/*
	 * Registered regions are consecutive slices of one buffer, so that
	 * neighbours in PA are usually neighbours in host memory too.
	 */
	for (i = 1; i < bf.n; i++)
		if (!bf.r[i].library)
			reg_bytes += bf.r[i].last - bf.r[i].pa + 1;
	big = map_buf(reg_bytes);
	for (i = 1, off = 0; i < bf.n; i++) {
		if (!bf.r[i].library) {
			bf.r[i].host = big + off;
			off += bf.r[i].last - bf.r[i].pa + 1;
		}
		order[i - 1] = i;
	}

	/* Insert in random order, so that most inserts land mid-table. */
	for (i = bf.n - 2; i > 0; i--) {
		uint64_t j = test_rand_below(&rng, i + 1);
		unsigned int t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < bf.n - 1; i++) {
		struct bf_region *r = &bf.r[order[i]];
		uint64_t size = r->last - r->pa + 1;

		CHECK_OK(siommu_mem_add_ram(mem, r->pa, size, r->host));
		if (r->library) {
			r->host = siommu_mem_host(mem, r->pa, size);
			CHECK(r->host);
		}
		ram += size;
	}
	st = stats_of(mem);
	CHECK_EQ(st.nr_regions, bf.n);
	CHECK_EQ(st.ram_bytes, ram);

	for (i = 0; i < nprobes; i++) {
		const struct bf_region *r = &bf.r[test_rand_below(&rng, bf.n)];
		uint64_t pa, len;

		make_probe(&rng, r, &pa, &len);
		check_probe(mem, &bf, &rng, pa, len);
	}

	/* Removal in random order; each removed region is gone, others stay. */
	for (i = 0; i < bf.n - 1; i++) {
		struct bf_region *r = &bf.r[order[i]];
		const struct bf_region *o = &bf.r[test_rand_below(&rng, bf.n)];
		uint64_t size = r->last - r->pa + 1;

		CHECK_OK(siommu_mem_remove_ram(mem, r->pa, size));
		r->removed = true;
		CHECK_EQ(siommu_mem_remove_ram(mem, r->pa, size), -ENOENT);
		CHECK(!siommu_mem_is_ram(mem, r->pa, 1));
		CHECK(!siommu_mem_is_ram(mem, r->last, 1));
		CHECK_EQ((uintptr_t)siommu_mem_host(mem, o->pa, 1),
			 (uintptr_t)bf_host(&bf, o->pa, 1));
		CHECK_EQ((uintptr_t)siommu_mem_host(mem, o->last, 1),
			 (uintptr_t)bf_host(&bf, o->last, 1));
	}
	check_pool_only(mem, POOL_BASE, POOL_SIZE);

	siommu_mem_destroy(mem);
	munmap(big, reg_bytes);
	free(order);
	free(bf.r);
}

/*
 * Lookups of one fixed region while other regions come and go around it
 * (before and after it in the table, so its index keeps moving).
 */
struct reader {
	pthread_t thread;
	struct siommu_mem *mem;
	uint64_t pa, size;
	uint8_t *host;
	uint64_t iterations;	/* atomic */
	int *stop;		/* atomic */
	const char *failed;
};

#define REGION_MAGIC 0x5eadbeefcafef00dull

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t k = 0;

	while (!__atomic_load_n(rd->stop, __ATOMIC_ACQUIRE)) {
		uint64_t off = (k * SZ_4K + k % 61) % rd->size;
		uint64_t len = 1 + k % 64, v;

		if (off + len > rd->size)
			len = rd->size - off;
		if (siommu_mem_host(rd->mem, rd->pa + off, len) != rd->host + off) {
			rd->failed = "siommu_mem_host";
			break;
		}
		if (!siommu_mem_is_ram(rd->mem, rd->pa, rd->size)) {
			rd->failed = "siommu_mem_is_ram";
			break;
		}
		if (siommu_mem_read(rd->mem, rd->pa + rd->size - 8, &v, 8) ||
		    v != REGION_MAGIC) {
			rd->failed = "siommu_mem_read";
			break;
		}
		__atomic_store_n(&rd->iterations, ++k, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_concurrent(void)
{
	const uint64_t fixed = 1ull << 40, fixed_size = 16 * SZ_4K;
	const unsigned int nr = 200;
	struct test_rng rng = test_rng_init(0x636f6e63ull);
	struct siommu_mem *mem = mem_new(POOL_BASE, POOL_SIZE);
	uint8_t *host = aligned_alloc(SZ_4K, fixed_size);
	uint8_t *other = aligned_alloc(SZ_4K, (uint64_t)nr * SZ_4K);
	uint64_t pa[200], size[200], magic = REGION_MAGIC;
	bool live[200] = { false };
	struct reader rd[2];
	unsigned int i, j, nlive = 0;
	int stop = 0;

	CHECK(host && other);
	memset(host, 0, fixed_size);
	memcpy(host + fixed_size - 8, &magic, 8);
	CHECK_OK(siommu_mem_add_ram(mem, fixed, fixed_size, host));

	/* Half below the fixed region, half above, one of each adjacent. */
	for (i = 0; i < nr; i++) {
		size[i] = (1 + i % 4) * SZ_4K;
		pa[i] = i % 2 ? fixed + fixed_size + (uint64_t)(i / 2) * (1ull << 20) :
			fixed - (uint64_t)(i / 2 + 1) * (1ull << 20) +
			(i == 0 ? (1ull << 20) - size[i] : 0);
	}

	for (i = 0; i < 2; i++) {
		rd[i] = (struct reader){ .mem = mem, .pa = fixed,
			.size = fixed_size, .host = host, .stop = &stop };
		CHECK_OK(pthread_create(&rd[i].thread, NULL, reader_main, &rd[i]));
	}
	for (i = 0; i < 2; i++)
		while (!__atomic_load_n(&rd[i].iterations, __ATOMIC_ACQUIRE) &&
		       !rd[i].failed)
			sched_yield();

	for (i = 0; i < nr; i++) {
		void *h = i % 2 ? NULL : other + (uint64_t)i * SZ_4K;

		CHECK_OK(siommu_mem_add_ram(mem, pa[i], h ? SZ_4K : size[i], h));
		if (h)
			size[i] = SZ_4K;
		live[i] = true;
		nlive++;
		CHECK(siommu_mem_is_ram(mem, pa[i], size[i]));
		if (test_rand_below(&rng, 3) == 0) {
			j = test_rand_below(&rng, i + 1);
			if (live[j]) {
				CHECK_OK(siommu_mem_remove_ram(mem, pa[j], size[j]));
				CHECK(!siommu_mem_is_ram(mem, pa[j], 1));
				live[j] = false;
				nlive--;
			}
		}
	}
	CHECK_EQ(stats_of(mem).nr_regions, 2 + nlive);
	for (i = 0; i < nr; i++)
		if (live[i])
			CHECK_OK(siommu_mem_remove_ram(mem, pa[i], size[i]));

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		CHECK_OK(pthread_join(rd[i].thread, NULL));
		if (rd[i].failed)
			fprintf(stderr, "reader %u: %s failed after %" PRIu64
				" iterations\n", i, rd[i].failed, rd[i].iterations);
		CHECK(!rd[i].failed);
	}
	CHECK_EQ(stats_of(mem).nr_regions, 2);
	siommu_mem_destroy(mem);
	free(other);
	free(host);
}

int main(void)
{
	test_create();
	test_independent();
	test_add_ram();
	test_bounds();
	test_remove_ram();
	test_atomics();
	test_lookup_random();
	test_concurrent();
	return 0;
}
