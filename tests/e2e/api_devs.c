/* SPDX-License-Identifier: MIT */
/*
 * siommu/cpyeng.h and siommu/atsdev.h against their contracts alone.
 *   - Submissions the contracts refuse (NULL arguments, no valid PASID,
 *     PASID 0 or beyond 20 bits, a completion address not 32-byte
 *     aligned) return -EINVAL and queue nothing: the counters and what
 *     processing runs afterwards are unchanged.
 *   - Descriptors accepted but impossible (len 0, longer than max_len,
 *     a source or destination range past 2^64) complete INVALID, copy
 *     nothing and touch no page; one whose range ends exactly at 2^64 is
 *     a page fault there, not INVALID, at the address it starts at.
 *   - A kit DMA whose range wraps past 2^64 is -EINVAL with nothing sent
 *     to the unit; one that ends exactly at 2^64 goes to the unit (and
 *     faults there: nothing is mapped so high); len 0 is 0.
 */
#include <errno.h>

#include <siommu/atsdev.h>
#include <siommu/cpyeng.h>

#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define BASE 0x10000000ull
#define COMP (BASE + 16 * PG)

static struct siommu_cpyeng_comp comp_of(struct siommu_mm *mm, uint64_t addr)
{
	struct siommu_cpyeng_comp c;

	CHECK_OK(siommu_mm_read(mm, addr, &c, sizeof(c)));
	return c;
}

struct sub_row {
	const char *name;
	bool null_cpu, null_desc, dwq;
	struct siommu_cpu cpu;		/* pasid 1: the bound one */
	uint64_t completion;
};

static void submissions(struct siommu_cpyeng *e, uint32_t pasid)
{
	const struct sub_row rows[] = {
		{ "NULL cpu", .null_cpu = true, .cpu = { true, 1 }, .completion = COMP },
		{ "NULL descriptor", .null_desc = true, .cpu = { true, 1 }, .completion = COMP },
		{ "no valid PASID", .cpu = { false, 1 }, .completion = COMP },
		{ "PASID 0", .cpu = { true, 0 }, .completion = COMP },
		{ "PASID beyond 20 bits", .cpu = { true, SIOMMU_PASID_MAX + 1 },
		  .completion = COMP },
		{ "PASID UINT32_MAX", .cpu = { true, UINT32_MAX }, .completion = COMP },
		{ "completion unaligned", .cpu = { true, 1 }, .completion = COMP + 1 },
		{ "completion 16-aligned", .cpu = { true, 1 }, .completion = COMP + 16 },
		{ "completion at the top", .cpu = { true, 1 }, .completion = UINT64_MAX - 7 },
		{ "DWQ: NULL descriptor", .dwq = true, .null_desc = true, .completion = COMP },
		{ "DWQ: completion unaligned", .dwq = true, .completion = COMP + 8 },
	};
	struct siommu_cpyeng_stats a, b;
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct sub_row *r = &rows[i];
		struct siommu_cpu cpu = r->cpu;
		struct siommu_cpyeng_desc d = { .src = BASE, .dst = BASE + 4 * PG, .len = 64,
						.completion = r->completion };
		int ret;

		if (cpu.pasid == 1)
			cpu.pasid = pasid;
		siommu_cpyeng_get_stats(e, &a);
		ret = r->dwq ? siommu_cpyeng_movdir64b(e, r->null_desc ? NULL : &d)
			     : siommu_cpyeng_enqcmd(e, r->null_cpu ? NULL : &cpu,
						    r->null_desc ? NULL : &d);
		if (ret != -EINVAL) {
			fprintf(stderr, "%s: %d, want -EINVAL\n", r->name, ret);
			exit(1);
		}
		siommu_cpyeng_get_stats(e, &b);
		CHECK_EQ(b.submitted, a.submitted);
		CHECK_EQ(siommu_cpyeng_process(e, 0), 0);
	}
	CHECK_EQ(siommu_cpyeng_movdir64b(NULL, &(struct siommu_cpyeng_desc){ 0 }), -EINVAL);
	CHECK_EQ(siommu_cpyeng_enqcmd(NULL, &(struct siommu_cpu){ true, pasid },
				      &(struct siommu_cpyeng_desc){ 0 }), -EINVAL);
	fprintf(stderr, "  %zu refused submissions queue nothing\n",
		sizeof(rows) / sizeof(rows[0]));
}

struct desc_row {
	const char *name;
	uint64_t src, dst, len;
	uint8_t status;
	uint64_t fault_addr;		/* PAGE_FAULT only */
};

static void descriptors(struct siommu_cpyeng *e, struct siommu_mm *mm, uint32_t pasid)
{
	const struct desc_row rows[] = {
		{ "len 0", BASE, BASE + 4 * PG, 0, SIOMMU_CPYENG_INVALID, 0 },
		{ "len beyond max_len", BASE, BASE + 4 * PG, 8 * PG + 1,
		  SIOMMU_CPYENG_INVALID, 0 },
		{ "len UINT64_MAX", BASE, BASE + 4 * PG, UINT64_MAX, SIOMMU_CPYENG_INVALID, 0 },
		{ "src wraps", UINT64_MAX - 10, BASE + 4 * PG, 100, SIOMMU_CPYENG_INVALID, 0 },
		{ "dst wraps", BASE, UINT64_MAX - 10, 100, SIOMMU_CPYENG_INVALID, 0 },
		{ "src ends at 2^64", UINT64_MAX - 99, BASE + 4 * PG, 100,
		  SIOMMU_CPYENG_PAGE_FAULT, UINT64_MAX - 99 },
		{ "dst ends at 2^64", BASE, UINT64_MAX - 99, 100, SIOMMU_CPYENG_PAGE_FAULT,
		  UINT64_MAX - 99 },
		{ "fine", BASE, BASE + 4 * PG, 100, SIOMMU_CPYENG_SUCCESS, 0 },
	};
	struct siommu_cpu cpu = { true, pasid };
	struct siommu_mm_info m0, m1;
	unsigned int i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct desc_row *r = &rows[i];
		uint64_t comp = COMP + 32 * i;
		struct siommu_cpyeng_comp c;

		CHECK_OK(siommu_mm_write(mm, comp, &(struct siommu_cpyeng_comp){ 0 },
					 sizeof(c)));
		siommu_mm_get_info(mm, &m0);
		CHECK_OK(siommu_cpyeng_enqcmd(e, &cpu, &(struct siommu_cpyeng_desc){
			.src = r->src, .dst = r->dst, .len = r->len, .completion = comp }));
		CHECK_EQ(siommu_cpyeng_process(e, 0), 1);
		c = comp_of(mm, comp);
		siommu_mm_get_info(mm, &m1);
		if (c.status != r->status ||
		    (r->status == SIOMMU_CPYENG_PAGE_FAULT && c.fault_addr != r->fault_addr)) {
			fprintf(stderr, "%s: status %u fault 0x%" PRIx64 ", want %u 0x%" PRIx64
				"\n", r->name, c.status, c.fault_addr, r->status, r->fault_addr);
			exit(1);
		}
		if (r->status == SIOMMU_CPYENG_INVALID) {
			CHECK_EQ(c.bytes_done, 0);
			CHECK_EQ(m1.resident, m0.resident);
		}
	}
	fprintf(stderr, "  %zu descriptors complete as the contract says\n",
		sizeof(rows) / sizeof(rows[0]));
}

static void kit(struct siommu_unit *unit, struct siommu_ctx *ctx, uint32_t pasid,
		uint16_t rid)
{
	struct siommu_atsdev *d;
	struct siommu_atsdev_stats a, b;
	struct siommu_atsdev_result res;
	unsigned char buf[128];
	struct siommu_atsdev_req rq = { .pasid_present = true, .pasid = pasid,
					.no_page_request = true };
	int ret;

	CHECK_OK(test_atsdev_create(unit, &(struct siommu_atsdev_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = rid }, &d));
	siommu_atsdev_get_stats(d, &a);
	rq.addr = UINT64_MAX - 10;
	CHECK_EQ(siommu_atsdev_dma(d, &rq, buf, 100, &res), -EINVAL);
	rq.addr = UINT64_MAX;
	CHECK_EQ(siommu_atsdev_dma(d, &rq, buf, 2, &res), -EINVAL);
	CHECK_EQ(siommu_atsdev_dma(d, NULL, buf, 2, &res), -EINVAL);
	CHECK_EQ(siommu_atsdev_dma(d, &rq, NULL, 2, &res), -EINVAL);
	CHECK_EQ(siommu_atsdev_dma(NULL, &rq, buf, 2, &res), -EINVAL);
	CHECK_OK(siommu_atsdev_dma(d, &rq, NULL, 0, &res));
	CHECK_EQ(res.done, 0);
	siommu_atsdev_get_stats(d, &b);
	CHECK_EQ(b.ats_requests, a.ats_requests);

	/* The last 100 bytes of the address space: a range, not a wrap. */
	rq.addr = UINT64_MAX - 99;
	ret = siommu_atsdev_dma(d, &rq, buf, 100, &res);
	CHECK(ret == -ENOENT || ret == -EFAULT);
	CHECK_EQ(res.done, 0);
	CHECK_EQ(res.fault_addr, UINT64_MAX - 99);
	rq.addr = UINT64_MAX;
	ret = siommu_atsdev_dma(d, &rq, buf, 1, NULL);
	CHECK(ret == -ENOENT || ret == -EFAULT);
	siommu_atsdev_destroy(d);
	fprintf(stderr, "  kit: wraps refused before any request, 2^64 reached\n");
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_cpyeng *e;
	struct siommu_mm *mm;
	struct siommu_sva *sva;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x500, 20, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	test_dev_add(unit, 0x600, 20, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	CHECK_OK(test_cpyeng_create(unit, &(struct siommu_cpyeng_cfg){
		.mem = siommu_ctx_mem(ctx), .rid = 0x500, .max_len = 8 * PG }, &e));
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &mm));
	CHECK_OK(siommu_mm_mmap(mm, BASE, 32 * PG, RW, NULL));
	CHECK_OK(siommu_mm_write(mm, BASE, "x", 1));
	CHECK_OK(siommu_mm_write(mm, BASE + 4 * PG, "y", 1));
	CHECK_OK(siommu_sva_bind(dev, mm, &sva));
	submissions(e, siommu_sva_pasid(sva));
	descriptors(e, mm, siommu_sva_pasid(sva));
	kit(unit, ctx, siommu_sva_pasid(sva), 0x600);
	siommu_cpyeng_destroy(e);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	siommu_ctx_destroy(ctx);
	return 0;
}
