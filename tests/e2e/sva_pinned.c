/* SPDX-License-Identifier: MIT */
/*
 * Pinned binds (siommu/sva.h, SIOMMU_SVA_BIND_PINNED) on the unit type
 * under test: a device with PASIDs but neither PRI nor stalls DMAs to the
 * ranges it pinned with no page request, the pinned pages stay resident
 * (reclaim, migrate and mprotect to no access refuse them), a miss
 * elsewhere is an ordinary fault, munmap takes pages out of their pins,
 * and unbind, a second pinned bind of the same pages, the device's
 * removal and process exit release what they must. Malformed options are
 * refused with nothing left behind.
 */
#include "sva/sva_internal.h"
#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;

/* A device without PRI, as the DMA helpers of sva_test.h address it. */
struct plain_dev {
	struct test_pri_dev d;
	struct siommu_device *dev;
};

static void plain_init(struct plain_dev *p, uint16_t rid)
{
	memset(p, 0, sizeof(*p));
	p->dev = test_dev_add(unit, rid, 20, 0);
	p->d.ctx = ctx;
	p->d.unit = unit;
	p->d.rid = rid;
	p->d.dev = p->dev;
}

static int bind_pinned(struct siommu_device *dev, struct siommu_mm *mm,
		       const struct siommu_sva_range *r, unsigned int n, struct siommu_sva **out)
{
	const struct siommu_sva_bind_opts o = { SIOMMU_SVA_BIND_PINNED, r, n };

	return siommu_sva_bind_with(dev, mm, &o, out);
}

static int dma(struct plain_dev *p, struct siommu_sva *sva, uint64_t addr, void *buf, size_t len,
	       bool write)
{
	return test_pri_dma_once(&p->d, siommu_sva_pasid(sva), addr, buf, len, write, NULL);
}

static uint64_t resident(struct siommu_mm *mm)
{
	struct siommu_mm_info mi;

	siommu_mm_get_info(mm, &mi);
	return mi.resident;
}

/* Bad options and ranges: refused, no bind, no PASID, nothing pinned. */
static void test_refusals(void)
{
	struct siommu_sva_range r[SIOMMU_SVA_MAX_PIN_RANGES + 1];
	struct siommu_sva_bind_opts o = { 0 };
	struct siommu_mm_info mi;
	struct plain_dev p;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	uint64_t va, ro;
	unsigned int i;

	plain_init(&p, 0x100);
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(1), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 8 * PG, RW, &va));
	CHECK_OK(siommu_mm_mmap(mm, 0, 2 * PG, 0, &ro));
	for (i = 0; i <= SIOMMU_SVA_MAX_PIN_RANGES; i++)
		r[i] = (struct siommu_sva_range){ va, PG };

	/* Without PRI, only a pinned bind. */
	CHECK_EQ(siommu_sva_bind(p.dev, mm, &sva), -EOPNOTSUPP);
	CHECK_EQ(siommu_sva_bind_with(p.dev, mm, &o, &sva), -EOPNOTSUPP);
	o.flags = 1u << 5;
	CHECK_EQ(siommu_sva_bind_with(p.dev, mm, &o, &sva), -EINVAL);
	o = (struct siommu_sva_bind_opts){ .ranges = r, .nr_ranges = 1 };
	CHECK_EQ(siommu_sva_bind_with(p.dev, mm, &o, &sva), -EINVAL);
	CHECK_EQ(bind_pinned(p.dev, mm, NULL, 1, &sva), -EINVAL);
	CHECK_EQ(bind_pinned(p.dev, mm, r, 0, &sva), -EINVAL);
	CHECK_EQ(bind_pinned(p.dev, mm, r, SIOMMU_SVA_MAX_PIN_RANGES + 1, &sva), -EINVAL);
	CHECK_EQ(bind_pinned(p.dev, mm, &(struct siommu_sva_range){ va + 1, PG }, 1, &sva),
		 -EINVAL);
	CHECK_EQ(bind_pinned(p.dev, mm, &(struct siommu_sva_range){ va, 0 }, 1, &sva), -EINVAL);
	CHECK_EQ(bind_pinned(p.dev, mm, &(struct siommu_sva_range){ 0, PG }, 1, &sva), -ERANGE);
	CHECK_EQ(bind_pinned(p.dev, mm, &(struct siommu_sva_range){ SIOMMU_MM_MAX_ADDR + 1 - PG,
								    2 * PG }, 1, &sva), -ERANGE);
	/* Beyond the mapping, a hole in the middle of the ranges, no access. */
	CHECK_EQ(bind_pinned(p.dev, mm, &(struct siommu_sva_range){ va, 9 * PG }, 1, &sva),
		 -EFAULT);
	r[1] = (struct siommu_sva_range){ va + 64 * PG, PG };
	CHECK_EQ(bind_pinned(p.dev, mm, r, 2, &sva), -EFAULT);
	CHECK_EQ(bind_pinned(p.dev, mm, &(struct siommu_sva_range){ ro, PG }, 1, &sva), -EFAULT);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.binds, 0);
	CHECK_EQ(mi.pasid, 0);
	CHECK_EQ(mi.resident, 0);
	CHECK(cds_list_empty(&mm->pins));
	/* A device without PASIDs gets nothing from pinning either. */
	{
		struct siommu_device *nopasid = test_dev_add(unit, 0x101, 0, 0);

		CHECK_EQ(bind_pinned(nopasid, mm, r, 1, &sva), -EOPNOTSUPP);
		siommu_device_remove(nopasid);
	}
	siommu_mm_exit(mm);
	siommu_device_remove(p.dev);
}

/* The contract, end to end. */
static void test_pinned(void)
{
	struct plain_dev p, q;
	struct test_pri_dev pri;
	struct siommu_mm *mm;
	struct siommu_sva *sva, *sq, *sp;
	struct siommu_sva_range r[2];
	struct siommu_mm_info mi;
	uint64_t a, b, c, val = 0x0123456789abcdefull, got = 0;
	unsigned char page[PG];

	plain_init(&p, 0x200);
	plain_init(&q, 0x201);
	CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(2), &mm));
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, RW, &a));	/* pinned */
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, RW, &b));	/* not pinned */
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, SIOMMU_PROT_READ, &c));	/* pinned, read-only */
	CHECK_EQ(c, b + 16 * PG);
	CHECK_OK(siommu_mm_write(mm, a + 3 * PG, &val, sizeof(val)));
	r[0] = (struct siommu_sva_range){ a, 16 * PG };
	r[1] = (struct siommu_sva_range){ c, 4 * PG };
	CHECK_OK(bind_pinned(p.dev, mm, r, 2, &sva));
	/* Faulted in when the bind was made, contents kept. */
	CHECK_EQ(resident(mm), 20);

	/* The device reads and writes the pinned pages with no page
	 * request (it cannot send any), and the CPU sees its writes. */
	CHECK_OK(dma(&p, sva, a + 3 * PG, &got, sizeof(got), false));
	CHECK_EQ(got, val);
	CHECK_OK(dma(&p, sva, a + 15 * PG + 8, &val, sizeof(val), true));
	CHECK_OK(siommu_mm_read(mm, a + 15 * PG + 8, &got, sizeof(got)));
	CHECK_EQ(got, val);
	CHECK_OK(dma(&p, sva, c, page, PG, false));
	/* The mapping's protection holds; anything not populated faults. */
	CHECK_EQ(dma(&p, sva, c, &val, sizeof(val), true), -EFAULT);
	CHECK_EQ(dma(&p, sva, b, &got, sizeof(got), false), -EFAULT);
	CHECK_EQ(dma(&p, sva, a + 16 * PG, &got, sizeof(got), false), -EFAULT);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults + mi.faults_refused, 0);
	/* A page outside the ranges translates while it is populated, and
	 * may go as any page does. */
	CHECK_OK(siommu_mm_write(mm, b, &val, sizeof(val)));
	CHECK_OK(dma(&p, sva, b, &got, sizeof(got), false));
	CHECK_OK(siommu_mm_reclaim(mm, b));
	CHECK_EQ(dma(&p, sva, b, &got, sizeof(got), false), -EFAULT);

	/* Pinned pages stay where they are. */
	CHECK_EQ(siommu_mm_reclaim(mm, a), -EBUSY);
	CHECK_EQ(siommu_mm_reclaim(mm, c + 3 * PG), -EBUSY);
	CHECK_EQ(siommu_mm_migrate(mm, a + 15 * PG), -EBUSY);
	CHECK_EQ(siommu_mm_mprotect(mm, a + 4 * PG, 2 * PG, 0), -EBUSY);
	CHECK_EQ(siommu_mm_mprotect(mm, b, 20 * PG, 0), -EBUSY);	/* reaches c */
	CHECK_EQ(resident(mm), 20);
	/* Permissions still change, in place. */
	CHECK_OK(siommu_mm_mprotect(mm, a, 16 * PG, SIOMMU_PROT_READ));
	CHECK_EQ(dma(&p, sva, a + 15 * PG + 8, &val, sizeof(val), true), -EFAULT);
	CHECK_OK(dma(&p, sva, a + 15 * PG + 8, &got, sizeof(got), false));
	CHECK_EQ(got, val);
	CHECK_OK(siommu_mm_mprotect(mm, a, 16 * PG, RW));
	CHECK_OK(dma(&p, sva, a + 15 * PG, &val, sizeof(val), true));

	/* One pinned bind per device and process, in either mode. */
	CHECK_EQ(bind_pinned(p.dev, mm, r, 1, &sp), -EBUSY);
	test_pri_dev_init(&pri, ctx, unit, 0x202, 20, 0);
	CHECK_OK(siommu_sva_bind(pri.dev, mm, &sp));
	CHECK_EQ(bind_pinned(pri.dev, mm, r, 1, &sq), -EBUSY);
	siommu_sva_unbind(sp);
	test_pri_dev_fini(&pri);

	/* munmap is the process's: the pinned pages go, the device faults
	 * there, and the pin no longer covers the hole (cut in two). */
	CHECK_OK(siommu_mm_munmap(mm, a + 4 * PG, 4 * PG));
	CHECK_EQ(resident(mm), 16);
	CHECK_EQ(dma(&p, sva, a + 5 * PG, &got, sizeof(got), false), -EFAULT);
	CHECK_EQ(siommu_mm_reclaim(mm, a + 3 * PG), -EBUSY);
	CHECK_EQ(siommu_mm_reclaim(mm, a + 8 * PG), -EBUSY);
	CHECK_OK(siommu_mm_mmap(mm, a + 4 * PG, 4 * PG, RW, NULL));
	CHECK_OK(siommu_mm_write(mm, a + 5 * PG, &val, sizeof(val)));
	CHECK_OK(siommu_mm_reclaim(mm, a + 5 * PG));

	/* A second device pins part of the same pages: they stay pinned
	 * until the last pin of them goes. */
	CHECK_OK(bind_pinned(q.dev, mm, &(struct siommu_sva_range){ a + 8 * PG, 2 * PG }, 1, &sq));
	CHECK_EQ(siommu_sva_pasid(sq), siommu_sva_pasid(sva));
	siommu_sva_unbind(sva);
	CHECK_EQ(siommu_mm_reclaim(mm, a + 8 * PG), -EBUSY);
	CHECK_OK(siommu_mm_reclaim(mm, a + 10 * PG));
	CHECK_OK(siommu_mm_migrate(mm, c));
	CHECK_OK(dma(&q, sq, a + 9 * PG, &got, sizeof(got), false));

	/* Removing the device undoes its bind and its pins; the handle
	 * waits for its unbind. */
	siommu_device_remove(q.dev);
	CHECK_OK(siommu_mm_reclaim(mm, a + 8 * PG));
	CHECK(cds_list_empty(&mm->pins));
	siommu_sva_unbind(sq);

	/* Exit with a pinned bind: the memory goes, the unbind after it
	 * frees the process. */
	CHECK_OK(bind_pinned(p.dev, mm, r, 2, &sva));
	siommu_mm_exit(mm);
	CHECK_EQ(dma(&p, sva, a + 3 * PG, &got, sizeof(got), false), -EFAULT);
	siommu_sva_unbind(sva);
	siommu_device_remove(p.dev);
}

int main(void)
{
	struct siommu_mem_stats st0, st1;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &st0);
	test_refusals();
	test_pinned();
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &st1);
	CHECK_EQ(st1.in_use[SIOMMU_MEM_DMA], st0.in_use[SIOMMU_MEM_DMA]);
	siommu_ctx_destroy(ctx);
	return 0;
}
