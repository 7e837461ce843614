/* SPDX-License-Identifier: MIT */
/*
 * SVA end to end, on the unit type under test (VT-d, SMMUv3; SMMUv2
 * through PASID hooks and stalls): a process's pages seen by a bound
 * device with the process's PASID, faulted in by page requests (on
 * SMMUv2 a stall is the request), and every change of
 * the process's table (munmap, mprotect, reclaim, migrate, exit) seen by
 * the device before the call returns; binds refused where they cannot
 * work; DMA through the DMA API on the same device unaffected.
 */
#include <siommu/dma.h>

#include "sva_test.h"

#define PG SIOMMU_SZ_4K

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;

static void fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7);
}

static struct siommu_mm *mm_new(uint64_t owner)
{
	struct siommu_mm *mm;

	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(owner), &mm));
	return mm;
}

/* The CPU's writes are what the device reads, and the other way round;
 * untouched pages are faulted in by the device and read as zeros. */
static void test_shared_pages(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm = mm_new(1);
	struct siommu_mm_info mi;
	struct siommu_sva *sva, *again;
	unsigned char w[3 * PG], r[3 * PG], z[PG];
	uint64_t va;
	uint32_t pasid;

	test_pri_dev_init(&d, ctx, unit, 0x100, 20, 0);
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE, &va));
	fill(w, sizeof(w), 1);
	CHECK_OK(siommu_mm_write(mm, va + 100, w, sizeof(w)));
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	CHECK_OK(siommu_sva_bind(d.dev, mm, &again));
	CHECK(again == sva);
	siommu_sva_unbind(again);
	pasid = siommu_sva_pasid(sva);
	CHECK(pasid != 0);
	CHECK(siommu_device_domain(d.dev, pasid) != NULL);
	CHECK_EQ(siommu_domain_type(siommu_device_domain(d.dev, pasid)), SIOMMU_DOMAIN_SVA);
	/* The process's domain is its binds' alone. */
	struct siommu_device *other = test_dev_add(unit, 0x1ff, 20, 0);
	struct siommu_domain *sd = siommu_device_domain(d.dev, pasid);

	CHECK_EQ(siommu_device_attach_pasid(other, pasid, sd), -EINVAL);
	CHECK_EQ(siommu_device_attach(other, sd), -EINVAL);
	CHECK_EQ(siommu_domain_map(sd, va, 0x100000000ull, PG, SIOMMU_PROT_READ), -EINVAL);
	CHECK_EQ(siommu_domain_free(sd), -EBUSY);
	siommu_device_remove(other);

	CHECK_OK(test_pri_dma(&d, pasid, va + 100, r, sizeof(r), false, NULL));
	CHECK(!memcmp(r, w, sizeof(r)));
	/* A page nobody touched: the device's fault brings it in. */
	memset(z, 0xff, sizeof(z));
	CHECK_OK(test_pri_dma(&d, pasid, va + 10 * PG, z, PG, false, NULL));
	for (size_t i = 0; i < PG; i++)
		CHECK_EQ(z[i], 0);
	/* The device writes, the CPU reads. */
	fill(w, PG, 2);
	CHECK_OK(test_pri_dma(&d, pasid, va + 12 * PG, w, PG, true, NULL));
	CHECK_OK(siommu_mm_read(mm, va + 12 * PG, r, PG));
	CHECK(!memcmp(r, w, PG));
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.pasid, pasid);
	CHECK_EQ(mi.binds, 1);
	CHECK(mi.faults >= 2);
	CHECK_EQ(mi.resident, 6);

	/* Outside any mapping: "invalid request", the private data echoed. */
	unsigned int code = 0;

	CHECK_EQ(test_pri_dma(&d, pasid, va + 16 * PG, r, 8, false, &code), -EFAULT);
	CHECK_EQ(code, 1);
	if (test_unit_type() == TEST_UNIT_VTD)	/* SMMUv3's PRI carries none */
		CHECK_EQ(d.resp_priv[(d.next_prgi - 1) % 512], (va + 16 * PG) ^ 0x5a5a);

	siommu_sva_unbind(sva);
	CHECK(siommu_device_domain(d.dev, pasid) == NULL);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* Every change that takes a translation away is seen at once. */
static void test_changes(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm = mm_new(2);
	struct siommu_sva *sva;
	struct siommu_mm_info mi;
	unsigned char w[PG], r[PG];
	unsigned int code;
	uint64_t va;
	uint32_t pasid;

	test_pri_dev_init(&d, ctx, unit, 0x101, 20, SIOMMU_DEV_ATS);
	CHECK_OK(siommu_mm_mmap(mm, 0x40000000, 8 * PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE,
				&va));
	CHECK_EQ(va, 0x40000000);
	CHECK_EQ(siommu_mm_mmap(mm, 0x40000000 + 4 * PG, PG, SIOMMU_PROT_READ, NULL), -EEXIST);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	for (unsigned int i = 0; i < 8; i++) {
		fill(w, PG, 10 + i);
		CHECK_OK(siommu_mm_write(mm, va + i * PG, w, PG));
	}
	/* Warm the IOTLB with every page. */
	for (unsigned int i = 0; i < 8; i++)
		CHECK_OK(test_pri_dma(&d, pasid, va + i * PG, r, PG, false, NULL));

	/* mprotect read-only: the device's writes are refused. */
	CHECK_OK(siommu_mm_mprotect(mm, va, 2 * PG, SIOMMU_PROT_READ));
	CHECK_EQ(test_pri_dma(&d, pasid, va, w, 8, true, &code), -EFAULT);
	CHECK_EQ(code, 1);
	CHECK_OK(test_pri_dma(&d, pasid, va + PG, r, PG, false, NULL));
	fill(w, PG, 11);
	CHECK(!memcmp(r, w, PG));
	CHECK_EQ(siommu_mm_write(mm, va, w, 8), -EFAULT);
	/* ... and back: the contents stayed. */
	CHECK_OK(siommu_mm_mprotect(mm, va, 2 * PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE));
	CHECK_OK(test_pri_dma(&d, pasid, va, w, 8, true, NULL));
	/* No access: the pages go to swap and come back. */
	CHECK_OK(siommu_mm_mprotect(mm, va + 2 * PG, PG, 0));
	CHECK_EQ(test_pri_dma(&d, pasid, va + 2 * PG, r, 8, false, &code), -EFAULT);
	CHECK_EQ(siommu_mm_mprotect(mm, va + 7 * PG, 2 * PG, 0), -EFAULT);
	CHECK_OK(siommu_mm_mprotect(mm, va + 2 * PG, PG, SIOMMU_PROT_READ));
	CHECK_OK(test_pri_dma(&d, pasid, va + 2 * PG, r, PG, false, NULL));
	fill(w, PG, 12);
	CHECK(!memcmp(r, w, PG));

	/* Reclaim: the page goes, its frame is freed, and it comes back
	 * with its contents on the device's next touch. */
	CHECK_OK(siommu_mm_reclaim(mm, va + 3 * PG));
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.swapped, 1);
	CHECK_OK(test_pri_dma(&d, pasid, va + 3 * PG, r, PG, false, NULL));
	fill(w, PG, 13);
	CHECK(!memcmp(r, w, PG));
	CHECK_EQ(siommu_mm_reclaim(mm, va + 3 * PG + 8), -EINVAL);

	/* Migrate: the device follows the page to its new frame. */
	CHECK_OK(siommu_mm_migrate(mm, va + 4 * PG));
	fill(w, PG, 99);
	CHECK_OK(siommu_mm_write(mm, va + 4 * PG, w, PG));
	CHECK_OK(test_pri_dma(&d, pasid, va + 4 * PG, r, PG, false, NULL));
	CHECK(!memcmp(r, w, PG));

	/* munmap: the translation is gone before the call returns. */
	CHECK_OK(siommu_mm_munmap(mm, va + 5 * PG, 2 * PG));
	CHECK_EQ(test_pri_dma(&d, pasid, va + 5 * PG, r, 8, false, &code), -EFAULT);
	CHECK_EQ(code, 1);
	CHECK_OK(test_pri_dma(&d, pasid, va + 7 * PG, r, PG, false, NULL));
	fill(w, PG, 17);
	CHECK(!memcmp(r, w, PG));

	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* Exit while bound: DMA stops with no fault record; unbind afterwards
 * is valid and releases the PASID. */
static void test_exit_while_bound(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm = mm_new(3);
	struct siommu_sva *sva;
	struct siommu_pasid_info pi;
	struct siommu_unit_stats before, after;
	struct test_dma_res res;
	unsigned char r[64];
	uint64_t va;
	uint32_t pasid;

	test_pri_dev_init(&d, ctx, unit, 0x102, 20, 0);
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE, &va));
	CHECK_OK(siommu_mm_write(mm, va, "hello", 6));
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	CHECK_OK(test_pri_dma_once(&d, pasid, va, r, 6, false, NULL));
	CHECK(!strcmp((char *)r, "hello"));

	siommu_mm_exit(mm);
	siommu_unit_get_stats(unit, &before);
	if (test_unit_type() == TEST_UNIT_SMMUV2) {
		/* The device was told to stop using the table. */
		CHECK_EQ(d.removes, 1);
		CHECK_EQ(test_pri_dma_once(&d, pasid, va, r, 6, false, NULL), -ENOENT);
	} else {
		CHECK_EQ(test_unit_dma_read(unit, 0x102, true, pasid, va, r, 6, &res), -EFAULT);
		CHECK(!res.fault_recorded);
	}
	siommu_unit_get_stats(unit, &after);
	CHECK_EQ(after.faults, before.faults);
	/* Still held by the attachment, no longer allocated. */
	CHECK_OK(siommu_pasid_query(siommu_ctx_pasids(ctx), pasid, &pi));
	CHECK(!pi.allocated);
	siommu_sva_unbind(sva);
	CHECK_EQ(siommu_pasid_query(siommu_ctx_pasids(ctx), pasid, &pi), -ENOENT);
	test_pri_dev_fini(&d);
}

/* One PASID per process, the same on every device; quotas count it. */
static void test_pasid_per_process(void)
{
	struct test_pri_dev a, b;
	struct siommu_mm *m1 = mm_new(40), *m2 = mm_new(41);
	struct siommu_sva *s1a, *s1b, *s2a;
	struct siommu_pasid_owner_info oi;
	struct siommu_pasid_info pi;
	uint32_t p1;

	test_pri_dev_init(&a, ctx, unit, 0x200, 20, 0);
	test_pri_dev_init(&b, ctx, unit, 0x201, 20, 0);
	CHECK_OK(siommu_sva_bind(a.dev, m1, &s1a));
	CHECK_OK(siommu_sva_bind(b.dev, m1, &s1b));
	p1 = siommu_sva_pasid(s1a);
	CHECK_EQ(siommu_sva_pasid(s1b), p1);
	CHECK(siommu_device_domain(a.dev, p1) == siommu_device_domain(b.dev, p1));
	CHECK_OK(siommu_pasid_query(siommu_ctx_pasids(ctx), p1, &pi));
	CHECK_EQ(pi.owner, 40);
	siommu_pasid_query_owner(siommu_ctx_pasids(ctx), 40, &oi);
	CHECK_EQ(oi.usage, 1);
	/* An owner at its quota gets no PASID, and nothing is left behind. */
	CHECK_OK(siommu_pasid_set_quota(siommu_ctx_pasids(ctx), 41, 0));
	CHECK_EQ(siommu_sva_bind(a.dev, m2, &s2a), -EDQUOT);
	CHECK_OK(siommu_pasid_set_quota(siommu_ctx_pasids(ctx), 41, SIOMMU_PASID_QUOTA_NONE));
	CHECK_OK(siommu_sva_bind(a.dev, m2, &s2a));
	CHECK(siommu_sva_pasid(s2a) != p1);

	/* The last unbind of a living process keeps its PASID. */
	siommu_sva_unbind(s1a);
	siommu_sva_unbind(s1b);
	CHECK_OK(siommu_pasid_query(siommu_ctx_pasids(ctx), p1, &pi));
	CHECK_OK(siommu_sva_bind(b.dev, m1, &s1b));
	CHECK_EQ(siommu_sva_pasid(s1b), p1);
	/* Removing a bound device undoes the bind; unbind stays valid. */
	test_pri_dev_fini(&b);
	siommu_sva_unbind(s1b);
	siommu_mm_exit(m1);
	CHECK_EQ(siommu_pasid_query(siommu_ctx_pasids(ctx), p1, &pi), -ENOENT);
	siommu_mm_exit(m2);
	CHECK_OK(siommu_pasid_query(siommu_ctx_pasids(ctx), siommu_sva_pasid(s2a), &pi));
	siommu_sva_unbind(s2a);
	test_pri_dev_fini(&a);
}

/* Binds that cannot work are refused and leave nothing behind. */
static void test_refusals(void)
{
	struct siommu_mm *mm = mm_new(5), *dead = mm_new(6), *other;
	struct siommu_device *nopri, *nopasid, *aliased;
	struct test_pri_dev d, narrow;
	struct siommu_sva *sva, *s2;
	struct siommu_pasid_stats st0, st1;
	uint32_t filler[8];

	/* On SMMUv2 the first three have no PASID hooks (an aliased
	 * device can have none): the same refusal. */
	nopri = test_dev_add(unit, 0x300, 20, 0);
	nopasid = test_dev_add(unit, 0x301, 0, test_unit_dev_flags(SIOMMU_DEV_PRI));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x302, .pasid_bits = 20, .flags = test_unit_dev_flags(SIOMMU_DEV_PRI),
		.alias_rid = 0x3ff }, &aliased));
	test_pri_dev_init(&narrow, ctx, unit, 0x303, 3, 0);
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &st0);
	CHECK_EQ(siommu_sva_bind(nopri, mm, &sva), -EOPNOTSUPP);
	CHECK_EQ(siommu_sva_bind(nopasid, mm, &sva), -EOPNOTSUPP);
	CHECK_EQ(siommu_sva_bind(aliased, mm, &sva), -EOPNOTSUPP);
	CHECK_EQ(siommu_sva_bind(NULL, mm, &sva), -EINVAL);
	/* A process of the other CPU: its table is in a format the unit
	 * does not walk. */
	CHECK_OK(siommu_mm_create(ctx, &(struct siommu_mm_cfg){ .owner = 5,
		.cpu = test_sva_other_cpu() }, &other));
	test_pri_dev_init(&d, ctx, unit, 0x305, 20, 0);
	CHECK_EQ(siommu_sva_bind(d.dev, other, &sva), -EOPNOTSUPP);
	test_pri_dev_fini(&d);
	siommu_mm_exit(other);
	CHECK_EQ(siommu_mm_create(ctx, &(struct siommu_mm_cfg){ .owner = 5, .cpu = 7 }, &other),
		 -EINVAL);
	/* Arm's privileged accesses reach user pages: no user-only bind. */
	CHECK_EQ(siommu_mm_create(ctx, &(struct siommu_mm_cfg){ .owner = 5,
		.flags = SIOMMU_MM_SUPERVISOR, .cpu = SIOMMU_MM_CPU_ARM64 }, &other), -EINVAL);
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &st1);
	CHECK_EQ(st1.in_use, st0.in_use);
	/* The process's PASID (allocated on a wide device) beyond a narrow
	 * device's width. */
	unsigned int nf = 0;

	while (nf < 8 && !siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 7, 77, &filler[nf]))
		nf++;
	test_pri_dev_init(&d, ctx, unit, 0x304, 20, 0);
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	CHECK(siommu_sva_pasid(sva) > 7);
	CHECK_EQ(siommu_sva_bind(narrow.dev, mm, &s2), -ERANGE);
	siommu_sva_unbind(sva);
	for (unsigned int i = 0; i < nf; i++)
		CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), filler[i]));
	/* A process that has exited takes no bind. */
	siommu_mm_exit(dead);
	siommu_mm_exit(mm);
	dead = mm_new(7);
	siommu_mm_exit(dead);
	test_pri_dev_fini(&d);
	siommu_device_remove(nopri);
	siommu_device_remove(nopasid);
	siommu_device_remove(aliased);
	test_pri_dev_fini(&narrow);
}

/* The DMA API keeps its claim and its mappings on a bound device. */
static void test_dma_api_coexists(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm = mm_new(8);
	struct siommu_sva *sva;
	unsigned char buf[64], w[64], r[64];
	uint64_t pa, iova, va;

	test_pri_dev_init(&d, ctx, unit, 0x400, 20, 0);
	CHECK_OK(siommu_dma_setup(d.dev, NULL));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), PG, SIOMMU_MEM_DMA, &pa));
	fill(buf, sizeof(buf), 3);
	CHECK_OK(siommu_mem_write(siommu_ctx_mem(ctx), pa, buf, sizeof(buf)));
	CHECK_OK(siommu_dma_map_single(d.dev, pa, PG, SIOMMU_DMA_BIDIRECTIONAL, &iova));
	CHECK_OK(siommu_mm_mmap(mm, 0, PG, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE, &va));
	fill(w, sizeof(w), 4);
	CHECK_OK(siommu_mm_write(mm, va, w, sizeof(w)));
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	CHECK_OK(test_unit_dma_read(unit, 0x400, false, 0, iova, r, sizeof(r), NULL));
	CHECK(!memcmp(r, buf, sizeof(r)));
	CHECK_OK(test_pri_dma(&d, siommu_sva_pasid(sva), va, r, sizeof(r), false, NULL));
	CHECK(!memcmp(r, w, sizeof(r)));
	siommu_sva_unbind(sva);
	CHECK_OK(test_unit_dma_read(unit, 0x400, false, 0, iova, r, sizeof(r), NULL));
	CHECK(!memcmp(r, buf, sizeof(r)));
	CHECK_OK(siommu_dma_unmap_single(d.dev, iova, PG, SIOMMU_DMA_BIDIRECTIONAL));
	siommu_mem_frame_free(siommu_ctx_mem(ctx), pa, PG, SIOMMU_MEM_DMA);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&d);
}

/* Poll mode: nothing is handled until the caller polls. */
static void test_poll_mode(void)
{
	struct test_pri_dev d;
	struct siommu_mm *mm = mm_new(9);
	struct siommu_sva *sva;
	unsigned char r[8];
	uint64_t va;

	test_pri_dev_init(&d, ctx, unit, 0x500, 20, 0);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));
	CHECK_EQ(siommu_iopf_set_mode(ctx, 7), -EINVAL);
	CHECK_OK(siommu_mm_mmap(mm, 0, PG, SIOMMU_PROT_READ, &va));
	CHECK_OK(siommu_sva_bind(d.dev, mm, &sva));
	CHECK_OK(test_pri_request(&d, siommu_sva_pasid(sva), va, false, 7, true, 0));
	usleep(20000);
	CHECK_EQ(d.responses, 0);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(d.responses, 1);
	CHECK_EQ(d.resp_code[7], 0);
	d.poll = true;
	CHECK_OK(test_pri_dma(&d, siommu_sva_pasid(sva), va, r, sizeof(r), false, NULL));
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_WORKER));
	test_pri_dev_fini(&d);
}

int main(void)
{
	struct siommu_mem_stats ms0, ms1;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms0);
	test_shared_pages();
	test_changes();
	test_exit_while_bound();
	test_pasid_per_process();
	test_refusals();
	if (test_sva_page_requests()) {
		test_dma_api_coexists();
		test_poll_mode();
	} else {
		/* The device switches its bank's one table between its RID's
		 * and a PASID's itself (sva_hooks covers a GPU doing both);
		 * page requests and their poll are sva_hooks' stall tests. */
		fprintf(stderr, "DMA API on a bound device, poll mode: a device with PASID "
			"hooks on %s, skipped\n", test_unit_names[test_unit_type()]);
	}
	/* Every frame of every process went back, tables included. */
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms1);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_DMA], ms0.in_use[SIOMMU_MEM_DMA]);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_PT], ms0.in_use[SIOMMU_MEM_PT]);
	siommu_ctx_destroy(ctx);
	return 0;
}
