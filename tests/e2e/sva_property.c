/* SPDX-License-Identifier: MIT */
/*
 * SVA against a reference: random mmap, munmap, mprotect, reclaim,
 * migrate, CPU reads and writes, binds and unbinds, and device DMA (with
 * page faults) over several processes and PRI devices, checked after each
 * step against a model of what each page of each process holds, whether
 * it is resident, and which accesses must fault. A device DMAing with the
 * PASID of a process it is not bound to must always fault.
 */
#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define NPROC 3
#define NDEV 3
#define NPAGES 48

struct ref_page {
	int prot;		/* -1: not mapped */
	bool resident;
	unsigned char data[PG];
};

struct proc {
	struct siommu_mm *mm;
	uint64_t base;
	struct ref_page pg[NPAGES];
	struct siommu_sva *bind[NDEV];
	uint32_t pasid;
};

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static struct proc procs[NPROC];
static struct test_pri_dev devs[NDEV];
static struct test_rng rng;
/* Outcomes seen, so that a run shows it reached each case. */
static uint64_t n_dma_ok, n_dma_refused, n_cpu_ok, n_cpu_refused;

static bool readable(int prot)
{
	return prot > 0 && (prot & (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE));
}

static bool writable(int prot)
{
	return prot > 0 && (prot & SIOMMU_PROT_WRITE);
}

static unsigned int rand_prot(void)
{
	static const unsigned int p[] = { 0, SIOMMU_PROT_READ,
		SIOMMU_PROT_READ | SIOMMU_PROT_WRITE, SIOMMU_PROT_WRITE,
		SIOMMU_PROT_READ | SIOMMU_PROT_EXEC };

	return p[test_rand_below(&rng, 5)];
}

static void dma_page(struct proc *p, unsigned int i);

static void op_mmap(struct proc *p)
{
	unsigned int first = (unsigned int)test_rand_below(&rng, NPAGES);
	unsigned int n = 1 + (unsigned int)test_rand_below(&rng, NPAGES - first < 8 ?
							     NPAGES - first : 8);
	unsigned int prot = rand_prot(), i;
	bool overlap = false;
	int ret;

	for (i = first; i < first + n; i++)
		overlap |= p->pg[i].prot >= 0;
	ret = siommu_mm_mmap(p->mm, p->base + first * PG, n * PG, prot, NULL);
	CHECK_EQ(ret, overlap ? -EEXIST : 0);
	if (overlap)
		return;
	for (i = first; i < first + n; i++) {
		p->pg[i].prot = (int)prot;
		p->pg[i].resident = false;
		memset(p->pg[i].data, 0, PG);
	}
}

static void op_munmap(struct proc *p)
{
	unsigned int first = (unsigned int)test_rand_below(&rng, NPAGES);
	unsigned int n = 1 + (unsigned int)test_rand_below(&rng, NPAGES - first < 8 ?
							     NPAGES - first : 8), i;

	CHECK_OK(siommu_mm_munmap(p->mm, p->base + first * PG, n * PG));
	for (i = first; i < first + n; i++) {
		p->pg[i].prot = -1;
		p->pg[i].resident = false;
		memset(p->pg[i].data, 0, PG);
	}
	/* What a device cached of the range must be gone. */
	dma_page(p, first + (unsigned int)test_rand_below(&rng, n));
}

static void op_mprotect(struct proc *p)
{
	unsigned int first = (unsigned int)test_rand_below(&rng, NPAGES);
	unsigned int n = 1 + (unsigned int)test_rand_below(&rng, NPAGES - first < 6 ?
							     NPAGES - first : 6);
	unsigned int prot = rand_prot(), i;
	bool hole = false;

	for (i = first; i < first + n; i++)
		hole |= p->pg[i].prot < 0;
	CHECK_EQ(siommu_mm_mprotect(p->mm, p->base + first * PG, n * PG, prot),
		 hole ? -EFAULT : 0);
	if (hole)
		return;
	for (i = first; i < first + n; i++) {
		p->pg[i].prot = (int)prot;
		if (!readable((int)prot))
			p->pg[i].resident = false;
	}
	dma_page(p, first + (unsigned int)test_rand_below(&rng, n));
}

static void op_reclaim_migrate(struct proc *p)
{
	unsigned int i = (unsigned int)test_rand_below(&rng, NPAGES);
	bool migrate = test_rand_below(&rng, 2);
	int ret;

	ret = migrate ? siommu_mm_migrate(p->mm, p->base + i * PG) :
			siommu_mm_reclaim(p->mm, p->base + i * PG);
	CHECK_EQ(ret, p->pg[i].resident ? 0 : -ENOENT);
	if (!migrate)
		p->pg[i].resident = false;
	dma_page(p, i);
}

/* A page to access: mostly a mapped one, where there is one. */
static unsigned int pick_page(struct proc *p)
{
	unsigned int i = (unsigned int)test_rand_below(&rng, NPAGES), tries;

	for (tries = 0; tries < 8 && p->pg[i].prot <= 0; tries++)
		i = (unsigned int)test_rand_below(&rng, NPAGES);
	return i;
}

/* An access inside one page: offset and length. */
static void rand_span(unsigned int *off, unsigned int *len)
{
	*off = (unsigned int)test_rand_below(&rng, PG);
	*len = 1 + (unsigned int)test_rand_below(&rng, PG - *off < 256 ? PG - *off : 256);
}

static void op_cpu(struct proc *p)
{
	unsigned int i = pick_page(p), off, len;
	unsigned char buf[256];
	bool write = test_rand_below(&rng, 2);
	bool ok;

	rand_span(&off, &len);
	if (write) {
		ok = writable(p->pg[i].prot);
		for (unsigned int k = 0; k < len; k++)
			buf[k] = (unsigned char)test_rand(&rng);
		CHECK_EQ(siommu_mm_write(p->mm, p->base + i * PG + off, buf, len), ok ? 0 : -EFAULT);
		if (ok)
			memcpy(p->pg[i].data + off, buf, len);
	} else {
		ok = readable(p->pg[i].prot);
		CHECK_EQ(siommu_mm_read(p->mm, p->base + i * PG + off, buf, len), ok ? 0 : -EFAULT);
		if (ok)
			CHECK(!memcmp(buf, p->pg[i].data + off, len));
	}
	if (ok)
		p->pg[i].resident = true;
	if (ok)
		n_cpu_ok++;
	else
		n_cpu_refused++;
}

static void op_bind(struct proc *p)
{
	unsigned int d = (unsigned int)test_rand_below(&rng, NDEV);

	if (p->bind[d]) {
		siommu_sva_unbind(p->bind[d]);
		p->bind[d] = NULL;
		return;
	}
	CHECK_OK(siommu_sva_bind(devs[d].dev, p->mm, &p->bind[d]));
	if (!p->pasid)
		p->pasid = siommu_sva_pasid(p->bind[d]);
	CHECK_EQ(siommu_sva_pasid(p->bind[d]), p->pasid);
}

/* A device DMAs inside page @i of @p (random device, direction, span). */
static void dma_page(struct proc *p, unsigned int i)
{
	unsigned int d = (unsigned int)test_rand_below(&rng, NDEV);
	unsigned int off, len, code = 0;
	unsigned char buf[256];
	bool write = test_rand_below(&rng, 2);
	bool ok;
	int ret;

	if (!p->pasid)
		return;
	rand_span(&off, &len);
	ok = p->bind[d] && (write ? writable(p->pg[i].prot) : readable(p->pg[i].prot));
	if (write)
		for (unsigned int k = 0; k < len; k++)
			buf[k] = (unsigned char)test_rand(&rng);
	ret = test_pri_dma(&devs[d], p->pasid, p->base + i * PG + off, buf, len, write, &code);
	CHECK_EQ(ret, ok ? 0 : -EFAULT);
	if (!ok) {
		CHECK_EQ(code, 1);
		n_dma_refused++;
		return;
	}
	n_dma_ok++;
	if (write)
		memcpy(p->pg[i].data + off, buf, len);
	else
		CHECK(!memcmp(buf, p->pg[i].data + off, len));
	p->pg[i].resident = true;
}

static void op_dma(struct proc *p)
{
	dma_page(p, pick_page(p));
}

/* The process's counters agree with the reference. */
static void check_resident(struct proc *p)
{
	struct siommu_mm_info mi;
	uint64_t n = 0;

	for (unsigned int i = 0; i < NPAGES; i++)
		n += p->pg[i].resident;
	siommu_mm_get_info(p->mm, &mi);
	CHECK_EQ(mi.resident, n);
}

int main(void)
{
	struct siommu_mem_stats ms0, ms1;
	uint64_t ops, k;
	unsigned int i, d;

	rng = test_rng_init(0x5fa5fa);
	ops = test_ops(20000);
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms0);
	for (d = 0; d < NDEV; d++)
		test_pri_dev_init(&devs[d], ctx, unit, (uint16_t)(0x800 + d), 20,
				  d == 1 ? SIOMMU_DEV_ATS : 0);
	for (i = 0; i < NPROC; i++) {
		CHECK_OK(siommu_mm_create(ctx, TEST_MM_CFG(100 + i),
					  &procs[i].mm));
		procs[i].base = 0x10000000ull + i * 0x1000000ull;
		for (unsigned int j = 0; j < NPAGES; j++)
			procs[i].pg[j].prot = -1;
	}
	for (k = 0; k < ops; k++) {
		struct proc *p = &procs[test_rand_below(&rng, NPROC)];

		switch (test_rand_below(&rng, 16)) {
		case 0: case 1: op_mmap(p); break;
		case 2: op_munmap(p); break;
		case 3: case 4: op_mprotect(p); break;
		case 5: op_reclaim_migrate(p); break;
		case 6: case 7: case 8: op_cpu(p); break;
		case 9: op_bind(p); break;
		default: op_dma(p); break;
		}
		check_resident(p);
	}
	fprintf(stderr, "dma %" PRIu64 " done, %" PRIu64 " refused; cpu %" PRIu64
		" done, %" PRIu64 " refused\n", n_dma_ok, n_dma_refused, n_cpu_ok, n_cpu_refused);
	CHECK(ops < 1000 || (n_dma_ok && n_dma_refused && n_cpu_ok && n_cpu_refused));
	for (i = 0; i < NPROC; i++) {
		/* Exit while still bound, then unbind. */
		siommu_mm_exit(procs[i].mm);
		for (d = 0; d < NDEV; d++)
			if (procs[i].bind[d])
				siommu_sva_unbind(procs[i].bind[d]);
	}
	for (d = 0; d < NDEV; d++)
		test_pri_dev_fini(&devs[d]);
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms1);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_DMA], ms0.in_use[SIOMMU_MEM_DMA]);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_PT], ms0.in_use[SIOMMU_MEM_PT]);
	siommu_ctx_destroy(ctx);
	return 0;
}
