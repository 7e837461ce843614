/* SPDX-License-Identifier: MIT */
/*
 * The shared-work-queue copy engine on SVA: two processes submit through
 * the shared queue with their threads' PASIDs, pages faulted in on first
 * DMA; with block-on-fault off a copy ends with a partial completion that
 * software resolves and resubmits; one process's descriptor reaching into
 * the other's memory is refused; a full shared queue asks for a retry; the
 * dedicated queue runs with the PASID its driver set.
 */
#include <siommu/cpyeng.h>

#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define A_BASE 0x10000000ull
#define B_BASE 0x20000000ull

static struct siommu_cpyeng_comp comp_of(struct siommu_mm *mm, uint64_t addr)
{
	struct siommu_cpyeng_comp c;

	CHECK_OK(siommu_mm_read(mm, addr, &c, sizeof(c)));
	return c;
}

static void fill(struct siommu_mm *mm, uint64_t addr, size_t len, unsigned int seed)
{
	unsigned char b[PG];

	for (size_t off = 0; off < len; off += PG) {
		for (size_t i = 0; i < PG; i++)
			b[i] = (unsigned char)(seed + i * 3 + off / PG);
		CHECK_OK(siommu_mm_write(mm, addr + off, b, PG));
	}
}

static bool same(struct siommu_mm *mm, uint64_t a, uint64_t b, size_t len)
{
	unsigned char x[PG], y[PG];

	for (size_t off = 0; off < len; off += PG) {
		CHECK_OK(siommu_mm_read(mm, a + off, x, PG));
		CHECK_OK(siommu_mm_read(mm, b + off, y, PG));
		if (memcmp(x, y, PG))
			return false;
	}
	return true;
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_cpyeng *eng;
	struct siommu_cpyeng_stats st;
	struct siommu_mm *a, *b;
	struct siommu_sva *sa, *sb;
	struct siommu_cpu ca, cb, none = { 0 };
	struct siommu_cpyeng_comp c;
	unsigned char before[PG], after[PG];

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x500, 20, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	CHECK_OK(test_cpyeng_create(unit, &(struct siommu_cpyeng_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = 0x500, .swq_depth = 2, .dwq_depth = 1 },
		&eng));
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &a));
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &b));
	CHECK_OK(siommu_mm_mmap(a, A_BASE, 32 * PG, RW, NULL));
	CHECK_OK(siommu_mm_mmap(b, A_BASE, 32 * PG, RW, NULL));
	CHECK_OK(siommu_mm_mmap(b, B_BASE, 4 * PG, RW, NULL));
	CHECK_OK(siommu_sva_bind(dev, a, &sa));
	CHECK_OK(siommu_sva_bind(dev, b, &sb));
	ca = (struct siommu_cpu){ true, siommu_sva_pasid(sa) };
	cb = (struct siommu_cpu){ true, siommu_sva_pasid(sb) };
	CHECK(ca.pasid != cb.pasid);

	/* Both processes copy at the same addresses, each in its own memory;
	 * destinations and completion records fault in on first DMA. */
	fill(a, A_BASE, 2 * PG, 1);
	fill(b, A_BASE, 2 * PG, 2);
	struct siommu_cpyeng_desc d = { .flags = SIOMMU_CPYENG_FLAG_BOF, .src = A_BASE + 100,
					.dst = A_BASE + 4 * PG + 7, .len = PG + 300,
					.completion = A_BASE + 16 * PG };

	CHECK_OK(siommu_cpyeng_enqcmd(eng, &ca, &d));
	CHECK_OK(siommu_cpyeng_enqcmd(eng, &cb, &d));
	CHECK_EQ(siommu_cpyeng_enqcmd(eng, &ca, &d), -EAGAIN);	/* depth 2 */
	CHECK_EQ(siommu_cpyeng_enqcmd(eng, &none, &d), -EINVAL);
	CHECK_EQ(siommu_cpyeng_process(eng, 0), 2);
	c = comp_of(a, d.completion);
	CHECK_EQ(c.status, SIOMMU_CPYENG_SUCCESS);
	CHECK_EQ(c.bytes_done, d.len);
	{
		unsigned char x[PG + 300], y[PG + 300];

		CHECK_OK(siommu_mm_read(a, d.src, x, sizeof(x)));
		CHECK_OK(siommu_mm_read(a, d.dst, y, sizeof(y)));
		CHECK(!memcmp(x, y, sizeof(x)));
		CHECK_OK(siommu_mm_read(b, d.src, x, sizeof(x)));
		CHECK_OK(siommu_mm_read(b, d.dst, y, sizeof(y)));
		CHECK(!memcmp(x, y, sizeof(x)));
		CHECK_OK(siommu_mm_read(a, d.src, y, sizeof(y)));
		CHECK(memcmp(x, y, sizeof(x)));		/* two different copies */
	}
	CHECK_EQ(comp_of(b, d.completion).status, SIOMMU_CPYENG_SUCCESS);
	siommu_cpyeng_get_stats(eng, &st);
	CHECK_EQ(st.retries, 1);
	CHECK(st.ats.page_requests >= 4);

	/* Block-on-fault off: the copy stops at the first page the
	 * destination lacks; software touches it and submits the rest. */
	struct siommu_cpyeng_desc p = { .src = A_BASE, .dst = A_BASE + 20 * PG, .len = 2 * PG,
					.completion = A_BASE + 16 * PG + 32 };

	CHECK_OK(siommu_mm_write(a, p.dst, "x", 1));		/* the first page only */
	CHECK_OK(siommu_cpyeng_enqcmd(eng, &ca, &p));
	CHECK_EQ(siommu_cpyeng_process(eng, 0), 1);
	c = comp_of(a, p.completion);
	CHECK_EQ(c.status, SIOMMU_CPYENG_PAGE_FAULT);
	CHECK_EQ(c.fault_write, 1);
	CHECK_EQ(c.bytes_done, PG);
	CHECK_EQ(c.fault_addr, A_BASE + 21 * PG);
	CHECK_OK(siommu_mm_write(a, c.fault_addr, "y", 1));
	p.src += c.bytes_done;
	p.dst += c.bytes_done;
	p.len -= c.bytes_done;
	CHECK_OK(siommu_cpyeng_enqcmd(eng, &ca, &p));
	CHECK_EQ(siommu_cpyeng_process(eng, 0), 1);
	CHECK_EQ(comp_of(a, p.completion).status, SIOMMU_CPYENG_SUCCESS);
	CHECK(same(a, A_BASE, A_BASE + 20 * PG, 2 * PG));
	siommu_cpyeng_get_stats(eng, &st);
	CHECK_EQ(st.partial, 1);

	/* A's descriptor naming B's memory: A's PASID does not map it, the
	 * page request is refused, B's memory is untouched. */
	CHECK_OK(siommu_mm_read(b, B_BASE, before, PG));
	struct siommu_cpyeng_desc x = { .flags = SIOMMU_CPYENG_FLAG_BOF, .src = A_BASE,
					.dst = B_BASE, .len = 64,
					.completion = A_BASE + 16 * PG + 64 };

	CHECK_OK(siommu_cpyeng_enqcmd(eng, &ca, &x));
	CHECK_EQ(siommu_cpyeng_process(eng, 0), 1);
	c = comp_of(a, x.completion);
	CHECK_EQ(c.status, SIOMMU_CPYENG_PAGE_FAULT);
	CHECK_EQ(c.fault_addr, B_BASE);
	CHECK_EQ(c.bytes_done, 0);
	CHECK_OK(siommu_mm_read(b, B_BASE, after, PG));
	CHECK(!memcmp(before, after, PG));

	/* Invalid descriptors complete with an error. */
	x.len = 0;
	CHECK_OK(siommu_cpyeng_enqcmd(eng, &cb, &x));
	CHECK_EQ(siommu_cpyeng_process(eng, 0), 1);
	CHECK_EQ(comp_of(b, x.completion).status, SIOMMU_CPYENG_INVALID);

	/* The dedicated queue: its PASID is the driver's to set. */
	siommu_cpyeng_dwq_set_pasid(eng, cb.pasid);
	struct siommu_cpyeng_desc q = { .flags = SIOMMU_CPYENG_FLAG_BOF, .src = A_BASE,
					.dst = A_BASE + 24 * PG, .len = PG,
					.completion = A_BASE + 16 * PG + 96 };

	CHECK_OK(siommu_cpyeng_movdir64b(eng, &q));
	CHECK_EQ(siommu_cpyeng_movdir64b(eng, &q), -EBUSY);
	CHECK_EQ(siommu_cpyeng_process(eng, 0), 1);
	CHECK_EQ(comp_of(b, q.completion).status, SIOMMU_CPYENG_SUCCESS);
	CHECK(same(b, A_BASE, A_BASE + 24 * PG, PG));

	siommu_sva_unbind(sa);
	siommu_sva_unbind(sb);
	siommu_mm_exit(a);
	siommu_mm_exit(b);
	siommu_cpyeng_destroy(eng);
	siommu_device_remove(dev);
	siommu_ctx_destroy(ctx);
	return 0;
}
