/* SPDX-License-Identifier: MIT */
/*
 * SVA on a PASID-less SMMUv2 through the PASID hooks: a device that
 * switches its context bank's TTBR0 itself is handed a bound process's
 * Arm64 table by install_pasid, with the process's PASID and an ASID of
 * the unit's, as a private PASID's table would be.
 *   - the install's arguments: the PASID, TTBR0 = table | ASID << 48, the
 *     ASID (one per process and unit: the same for two devices), the
 *     bank of the device's stream, the width; remove_pasid on unbind;
 *   - the device sees what the CPU wrote and the other way round;
 *   - a page the process has not populated is a context fault, terminated
 *     and reported to the device's handler (no stall, no page request):
 *     the device's driver resolves it by touching the page;
 *   - munmap, mprotect, reclaim and migrate reach the device's table
 *     while it stays live in the bank (no switch between the DMAs, so an
 *     entry left in the TLB would show);
 *   - exit while bound: remove_pasid before the pages go, no fault
 *     recorded afterwards, the table never installed again (not even when
 *     the RID moves to another bank); unbind afterwards is valid;
 *   - a transaction that met the bank's stalling configuration and
 *     stalls while a remove hook runs is aborted before its DMA returns,
 *     never left to the fault path the unbind or exit holds up;
 *   - the RID's domain replaced or detached with a stall reported and
 *     unanswered: the stall is aborted before the remove hook, the bank
 *     holds nothing afterwards, the late answer is dropped;
 *   - a transaction that stalls with no record of its own (FSR held a
 *     fault that did not stall: MULTI) is not left held when the driver
 *     clears that record: it is retried, and stalls again with its own;
 *   - a transaction that faults while a stall's answer is written ends
 *     with that stall, the device told once, and is never reported as a
 *     fault of its own;
 *   - a bank shared with a device that cannot wait out stalls does not
 *     stall; every device on a stalling bank is told how its stalls end;
 *     another stream's fault in a process's table is its own; a stream's
 *     fault is never held because another's is (HUPCF), and a bank
 *     retired with a transaction held aborts it;
 *   - refusals: another CPU's process, a device without hooks, a PASID
 *     beyond the hooks' width, a unit without stage 1;
 *   - the GPU model with a client that is a bound process, next to a
 *     private-PASID client: jobs at the process's addresses, a job's
 *     fault resolved by a touch, isolation, exit.
 */
#include <siommu/gpu.h>
#include <siommu/ppasid.h>

#include "sva_test.h"
#include "core/drivers/smmuv2/smmuv2_drv.h"	/* smmuv2_drv_test_hook_set */

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static struct siommu_smmuv2 *hw;

/* The device of sva_test.h, at @rid taking @pasid_bits of PASIDs, that
 * does not wait out stalls: its faults are terminated. */
static void hd_init(struct test_pri_dev *h, uint16_t rid, unsigned int pasid_bits)
{
	test_hook_dev_init(h, ctx, unit, rid, pasid_bits, 0);
}

static uint32_t rd_sctlr(unsigned int cb)
{
	uint64_t v = 0;

	CHECK_OK(siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_SCTLR, 4, &v));
	return (uint32_t)v;
}

/* A DMA that must fault with FSR bit @fsr, terminated (not stalled) and
 * reported at @va's page. */
static void hd_dma_faults(struct test_pri_dev *h, uint32_t pasid, uint64_t va, bool write,
			  uint32_t fsr)
{
	struct siommu_smmuv2_stats s0, s1;
	unsigned char b[8];
	unsigned int n = h->faults;

	siommu_smmuv2_get_stats(hw, &s0);
	CHECK_EQ(test_pri_dma_once(h, pasid, va, b, sizeof(b), write, NULL), -EFAULT);
	siommu_smmuv2_get_stats(hw, &s1);
	CHECK_EQ(s1.stalls, s0.stalls);
	CHECK_EQ(h->faults, n + 1);
	CHECK_EQ(h->fault.addr, va & ~(uint64_t)(PG - 1));
	CHECK_EQ(h->fault.reason, fsr);
	CHECK_EQ(h->fault.rid, h->rid);
}

static void fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7);
}

static struct siommu_mm *mm_new(uint64_t owner)
{
	struct siommu_mm *mm;

	CHECK_OK(siommu_mm_create(ctx, &(struct siommu_mm_cfg){
		.owner = owner, .cpu = SIOMMU_MM_CPU_ARM64 }, &mm));
	return mm;
}

/* The hooks' arguments, shared pages both ways, faults terminated. */
static void test_bind(void)
{
	struct test_pri_dev a, b;
	struct siommu_mm *mm = mm_new(1);
	struct siommu_sva *sa, *sb;
	struct siommu_mm_info mi;
	struct siommu_domain *sd;
	unsigned char w[2 * PG], r[2 * PG];
	uint64_t va, own0;
	uint32_t pasid;

	hd_init(&a, 0x10, 16);
	hd_init(&b, 0x11, 16);
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, RW, &va));
	fill(w, sizeof(w), 1);
	CHECK_OK(siommu_mm_write(mm, va, w, sizeof(w)));
	CHECK_OK(siommu_sva_bind(a.dev, mm, &sa));
	pasid = siommu_sva_pasid(sa);
	sd = siommu_device_domain(a.dev, pasid);
	CHECK(sd && siommu_domain_type(sd) == SIOMMU_DOMAIN_SVA);
	CHECK_EQ(a.installs, 1);
	CHECK_EQ(a.last.ttbr, siommu_pt_root(siommu_domain_pt(sd)) |
			      SIOMMU_SMMUV2_TTBR_ASID(a.last.asid));
	CHECK(a.last.asid != 0);
	CHECK_OK(siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(a.last.cb) +
					 SIOMMU_SMMUV2_CB_TTBR0, 8, &own0));
	CHECK_EQ(own0 & 0xffffffffffffull, siommu_pt_root(siommu_domain_pt(a.own)));
	CHECK(own0 >> 48 != a.last.asid);
	CHECK_EQ(a.last.ias, 48);
	/* A second device: the same PASID and ASID, its own bank. */
	CHECK_OK(siommu_sva_bind(b.dev, mm, &sb));
	CHECK_EQ(siommu_sva_pasid(sb), pasid);
	CHECK_EQ(b.last.asid, a.last.asid);
	CHECK(b.last.cb != a.last.cb);

	/* The device reads what the CPU wrote, and the other way round. */
	CHECK_OK(test_pri_dma_once(&a, pasid, va, r, sizeof(r), false, NULL));
	CHECK(!memcmp(r, w, sizeof(r)));
	fill(w, PG, 2);
	CHECK_OK(test_pri_dma_once(&b, pasid, va + PG, w, PG, true, NULL));
	CHECK_OK(siommu_mm_read(mm, va + PG, r, PG));
	CHECK(!memcmp(r, w, PG));
	/* A page nobody touched: a context fault, terminated; no stall and
	 * no page request (the process resolves none). A touch brings it. */
	hd_dma_faults(&a, pasid, va + 5 * PG, false, SIOMMU_SMMUV2_FSR_TF);
	CHECK_OK(siommu_mm_read(mm, va + 5 * PG, r, 1));
	memset(r, 0xff, PG);
	CHECK_OK(test_pri_dma_once(&a, pasid, va + 5 * PG, r, PG, false, NULL));
	for (size_t i = 0; i < PG; i++)
		CHECK_EQ(r[i], 0);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults, 0);
	CHECK_EQ(mi.binds, 2);

	/* The RID moving to another bank takes the table with it. */
	struct siommu_domain *own2;

	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own2));
	CHECK_OK(siommu_device_attach(a.dev, own2));
	CHECK_EQ(a.removes, 1);
	CHECK_EQ(a.installs, 2);
	CHECK_EQ(a.last.asid, b.last.asid);
	CHECK_OK(test_pri_dma_once(&a, pasid, va, r, PG, false, NULL));
	CHECK_OK(siommu_device_attach(a.dev, a.own));
	CHECK_OK(siommu_domain_free(own2));

	siommu_sva_unbind(sa);
	CHECK_EQ(a.removes, 3);
	CHECK(siommu_device_domain(a.dev, pasid) == NULL);
	CHECK_EQ(test_pri_dma_once(&a, pasid, va, r, 8, false, NULL), -ENOENT);
	siommu_sva_unbind(sb);
	CHECK_EQ(b.removes, 1);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&a);
	test_pri_dev_fini(&b);
}

/*
 * Every change that takes a translation away reaches the device's table
 * while it stays live: the DMAs below make no switch (and so no
 * TLBIASID of the device's own), the process's invalidations alone act.
 */
static void test_changes(void)
{
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(2);
	struct siommu_sva *sva;
	unsigned char w[PG], r[PG];
	uint64_t va;
	uint32_t pasid;

	hd_init(&h, 0x20, 16);
	CHECK_OK(siommu_mm_mmap(mm, 0, 8 * PG, RW, &va));
	for (unsigned int i = 0; i < 8; i++) {
		fill(w, PG, 10 + i);
		CHECK_OK(siommu_mm_write(mm, va + i * PG, w, PG));
	}
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	/* Every page in the TLB, read and written. */
	for (unsigned int i = 0; i < 8; i++) {
		CHECK_OK(test_pri_dma_once(&h, pasid, va + i * PG, r, PG, false, NULL));
		CHECK_OK(test_pri_dma_once(&h, pasid, va + i * PG, r, 8, true, NULL));
	}

	/* munmap: gone for the device on return. */
	CHECK_OK(siommu_mm_munmap(mm, va, PG));
	hd_dma_faults(&h, pasid, va, false, SIOMMU_SMMUV2_FSR_TF);
	/* mprotect read-only: writes refused, reads go on. */
	CHECK_OK(siommu_mm_mprotect(mm, va + PG, PG, SIOMMU_PROT_READ));
	hd_dma_faults(&h, pasid, va + PG, true, SIOMMU_SMMUV2_FSR_PF);
	CHECK_OK(test_pri_dma_once(&h, pasid, va + PG, r, 8, false, NULL));
	/* Reclaim: the page's translation goes with its frame. */
	CHECK_OK(siommu_mm_reclaim(mm, va + 2 * PG));
	hd_dma_faults(&h, pasid, va + 2 * PG, false, SIOMMU_SMMUV2_FSR_TF);
	CHECK_OK(siommu_mm_read(mm, va + 2 * PG, r, 1));
	CHECK_OK(test_pri_dma_once(&h, pasid, va + 2 * PG, r, PG, false, NULL));
	fill(w, PG, 12);
	CHECK(!memcmp(r, w, PG));
	/* Migrate: the device follows the page to its new frame. */
	CHECK_OK(siommu_mm_migrate(mm, va + 3 * PG));
	fill(w, PG, 99);
	CHECK_OK(siommu_mm_write(mm, va + 3 * PG, w, PG));
	CHECK_OK(test_pri_dma_once(&h, pasid, va + 3 * PG, r, PG, false, NULL));
	CHECK(!memcmp(r, w, PG));

	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&h);
}

/* Exit while bound: the table leaves the device first; nothing faults,
 * nothing is installed again; unbind afterwards is valid. */
static void test_exit(void)
{
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(3);
	struct siommu_sva *sva;
	struct siommu_unit_stats s0, s1;
	struct siommu_pasid_info pi;
	struct siommu_domain *own2;
	unsigned char r[8];
	uint64_t va;
	uint32_t pasid;

	hd_init(&h, 0x30, 16);
	CHECK_OK(siommu_mm_mmap(mm, 0, 2 * PG, RW, &va));
	CHECK_OK(siommu_mm_write(mm, va, "hello", 6));
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	CHECK_OK(test_pri_dma_once(&h, pasid, va, r, 6, false, NULL));
	CHECK(!strcmp((char *)r, "hello"));

	siommu_unit_get_stats(unit, &s0);
	siommu_mm_exit(mm);
	CHECK_EQ(h.removes, 1);
	CHECK_EQ(test_pri_dma_once(&h, pasid, va, r, 6, false, NULL), -ENOENT);
	/* The own table is back in the bank; it has nothing at va. */
	CHECK_OK(siommu_device_attach(h.dev, h.own));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own2));
	CHECK_OK(siommu_device_attach(h.dev, own2));
	CHECK_OK(siommu_device_attach(h.dev, h.own));
	CHECK_EQ(h.installs, 1);
	CHECK_EQ(test_pri_dma_once(&h, pasid, va, r, 6, false, NULL), -ENOENT);
	siommu_unit_get_stats(unit, &s1);
	CHECK_EQ(s1.faults, s0.faults);
	CHECK_OK(siommu_pasid_query(siommu_ctx_pasids(ctx), pasid, &pi));
	CHECK(!pi.allocated);
	siommu_sva_unbind(sva);
	CHECK_EQ(h.removes, 1);
	CHECK_EQ(siommu_pasid_query(siommu_ctx_pasids(ctx), pasid, &pi), -ENOENT);
	CHECK_OK(siommu_domain_free(own2));
	test_pri_dev_fini(&h);
}

/* Binds that cannot work are refused and leave nothing behind. */
static void test_refusals(void)
{
	struct siommu_mm *mm = mm_new(4), *x86;
	struct siommu_device *nohooks, *c;
	struct siommu_unit *s2only;
	struct test_pri_dev h, narrow;
	struct siommu_sva *sva;
	struct siommu_pasid_stats p0, p1;
	struct siommu_unit_stats u0, u1;
	uint32_t filler[8];
	unsigned int nf = 0;

	CHECK_OK(siommu_mm_create(ctx, &(struct siommu_mm_cfg){ .owner = 4,
		.cpu = SIOMMU_MM_CPU_X86_64 }, &x86));
	nohooks = test_dev_add(unit, 0x40, 0, 0);
	hd_init(&h, 0x41, 16);
	hd_init(&narrow, 0x42, 3);
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &p0);
	siommu_unit_get_stats(unit, &u0);
	CHECK_EQ(siommu_sva_bind(nohooks, mm, &sva), -EOPNOTSUPP);
	CHECK_EQ(siommu_sva_bind(h.dev, x86, &sva), -EOPNOTSUPP);
	CHECK_EQ(h.installs, 0);
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &p1);
	siommu_unit_get_stats(unit, &u1);
	CHECK_EQ(p1.in_use, p0.in_use);
	CHECK_EQ(u1.domain_ids, u0.domain_ids);
	/* The process's PASID beyond a device's hooks' width. */
	while (nf < 8 && !siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 7, 77, &filler[nf]))
		nf++;
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	CHECK(siommu_sva_pasid(sva) > 7);
	CHECK_EQ(siommu_sva_bind(narrow.dev, mm, &sva), -ERANGE);
	CHECK_EQ(narrow.installs, 0);
	for (unsigned int i = 0; i < nf; i++)
		CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), filler[i]));
	siommu_mm_exit(mm);
	siommu_sva_unbind(sva);
	/* A unit without stage 1 takes no hooks, so no bind. */
	CHECK_OK(siommu_unit_add_smmuv2(ctx, &(struct siommu_smmuv2_cfg){
		.features = SIOMMU_SMMUV2_F_S2 }, &s2only));
	c = test_dev_add(s2only, 0x10, 0, 0);
	CHECK_EQ(siommu_sva_bind(c, x86, &sva), -EOPNOTSUPP);
	siommu_device_remove(c);
	siommu_mm_exit(x86);
	siommu_device_remove(nohooks);
	test_pri_dev_fini(&h);
	test_pri_dev_fini(&narrow);
}

/* A DMA of a stalling device in its own thread, for the tests that hold
 * a stall while the main thread acts. */
struct stall_dma {
	pthread_t th;
	struct test_pri_dev *d;
	uint32_t pasid;
	uint64_t va;
	int ret;
	bool done;
};

static void *stall_dma_fn(void *arg)
{
	struct stall_dma *s = arg;
	unsigned char b[8];

	s->ret = test_pri_dma_once(s->d, s->pasid, s->va, b, sizeof(b), false, NULL);
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Start one, and wait until the unit holds it. */
static void stall_dma_start(struct stall_dma *s, struct test_pri_dev *d, uint32_t pasid,
			    uint64_t va)
{
	struct siommu_smmuv2_stats st0, st;

	siommu_smmuv2_get_stats(hw, &st0);
	*s = (struct stall_dma){ .d = d, .pasid = pasid, .va = va };
	CHECK_OK(pthread_create(&s->th, NULL, stall_dma_fn, s));
	do {
		usleep(1000);
		siommu_smmuv2_get_stats(hw, &st);
	} while (st.stalls == st0.stalls);
}

static int stall_dma_join(struct stall_dma *s)
{
	pthread_join(s->th, NULL);
	return s->ret;
}

/*
 * A device that waits out stalls (SIOMMU_DEV_STALL, a stall_end hook):
 * a fault in a bound process's table stalls and becomes a page request
 * the process's handler answers, then RESUME retries or aborts it; a
 * fault in another table of a stalling bank is reported and aborted at
 * once; poll mode holds a stall until polled; unbind and exit with a
 * stall held abort it (exactly once) instead of waiting for the fault
 * path under the context's lock.
 */
static void test_stalls(void)
{
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(7);
	struct siommu_mm_info mi;
	struct siommu_sva *sva;
	struct siommu_unit_stats u0, u1;
	struct siommu_smmuv2_stats s0, s1;
	struct siommu_ppasid *pp;
	struct siommu_device *nostall;
	struct stall_dma sd;
	unsigned char w[PG], r[PG];
	uint64_t va, ro;
	uint32_t pasid;

	/* A stalling device must be told how its stalls end. */
	nostall = test_dev_add(unit, 0x60, 0, SIOMMU_DEV_STALL);
	CHECK_EQ(siommu_device_set_pasid_hooks(nostall, 8, &test_nop_hooks, NULL), -EINVAL);
	siommu_device_remove(nostall);

	test_pri_dev_init(&h, ctx, unit, 0x61, 16, 0);
	fill(w, PG, 5);
	CHECK_OK(siommu_mm_mmap(mm, 0, 8 * PG, RW, &va));
	CHECK_OK(siommu_mm_mmap(mm, 0, PG, SIOMMU_PROT_READ, &ro));
	CHECK_OK(siommu_mm_write(mm, va, "cpu", 4));
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	CHECK(rd_sctlr(h.last.cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);

	/* Present: no stall. Untouched: a stall each, resolved, retried
	 * (what the device then reads and writes: sva_basic@smmuv2). */
	siommu_unit_get_stats(unit, &u0);
	siommu_smmuv2_get_stats(hw, &s0);
	CHECK_OK(test_pri_dma(&h, pasid, va, r, 4, false, NULL));
	CHECK(!strcmp((char *)r, "cpu"));
	CHECK_EQ(h.stalls, 0);
	CHECK_OK(test_pri_dma(&h, pasid, va + 3 * PG, r, PG, false, NULL));
	CHECK_OK(test_pri_dma(&h, pasid, va + 5 * PG, w, PG, true, NULL));
	CHECK_EQ(h.stalls, 2);
	CHECK_EQ(h.stall_retries, 2);
	/* Outside any mapping, a write to a read-only one: aborted. */
	unsigned int code = 0;

	CHECK_EQ(test_pri_dma(&h, pasid, va + 64 * PG, r, 8, false, &code), -EFAULT);
	CHECK_EQ(code, 1);
	CHECK_EQ(test_pri_dma(&h, pasid, ro, w, 8, true, &code), -EFAULT);
	CHECK_EQ(h.stalls, 4);
	CHECK_EQ(h.stall_ends, 4);
	CHECK_EQ(h.stall_retries, 2);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults, 2);
	CHECK_EQ(mi.faults_refused, 2);
	/* Stalls are no faults: no handler call, not counted as one. */
	siommu_unit_get_stats(unit, &u1);
	siommu_smmuv2_get_stats(hw, &s1);
	CHECK_EQ(u1.faults, u0.faults);
	CHECK_EQ(h.faults, 0);
	CHECK_EQ(s1.stalls - s0.stalls, 4);

	/* A private PASID's table in the same (stalling) bank: its fault is
	 * reported to the handler and aborted at once. */
	CHECK_OK(siommu_ppasid_alloc(&h.dev, 1, 8, &pp));
	CHECK_EQ(test_pri_dma_once(&h, siommu_ppasid_pasid(pp), 0x100000, r, 8, false, NULL),
		 -EFAULT);
	CHECK_EQ(h.faults, 1);
	CHECK_EQ(h.fault.addr, 0x100000);
	CHECK_EQ(h.fault.reason, SIOMMU_SMMUV2_FSR_TF);
	CHECK_EQ(h.stall_ends, 5);
	CHECK_EQ(h.stall_retries, 2);
	siommu_ppasid_free(pp);
	CHECK(rd_sctlr(h.last.cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);

	/* Poll mode: the stall is held until someone polls. */
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));
	stall_dma_start(&sd, &h, pasid, va + 6 * PG);
	usleep(20000);
	CHECK(!__atomic_load_n(&sd.done, __ATOMIC_ACQUIRE));
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(stall_dma_join(&sd), -EAGAIN);		/* retry */
	CHECK_EQ(h.stall_retries, 3);
	/* Unbind with a stall held: aborted before the remove hook, which
	 * waits for the device's DMA; the group's late answer is dropped. */
	stall_dma_start(&sd, &h, pasid, va + 7 * PG);
	siommu_sva_unbind(sva);
	CHECK_EQ(stall_dma_join(&sd), -EFAULT);
	CHECK_EQ(h.stall_ends, 7);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);
	CHECK_EQ(h.stall_ends, 7);
	CHECK_EQ(h.removes, 2);		/* the private PASID's, the process's */
	/* The bank stalls only while a stalling table is installed. */
	CHECK(!(rd_sctlr(h.last.cb) & SIOMMU_SMMUV2_SCTLR_CFCFG));
	/* Exit with a stall held: the same, and the exit returns. */
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	stall_dma_start(&sd, &h, pasid, va + 2 * PG);
	siommu_mm_exit(mm);
	CHECK_EQ(stall_dma_join(&sd), -EFAULT);
	CHECK_EQ(h.stall_ends, 8);
	CHECK_EQ(h.removes, 3);
	siommu_sva_unbind(sva);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);
	CHECK_EQ(h.stall_ends, 8);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_WORKER));
	test_pri_dev_fini(&h);
}

/*
 * A transaction that met the bank's configuration before the driver
 * stopped its stalling and faults while a hook runs: the remove hook
 * plays it (CFCFG set again behind the driver's back, a DMA to an
 * untouched page of the process whose table is live). Its stall must end
 * before the DMA returns, aborted and not reported: the fault path, which
 * needs the context's lock the unbind holds, cannot answer it, and the
 * device's job, which the hook would wait for, would never finish.
 */
struct late_stall {
	struct test_pri_dev *d;
	uint64_t va;		/* untouched page of the bound process */
	uint64_t ends;		/* stall_end calls when the DMA returned */
	int ret;
	bool stalled;
};

static struct late_stall late;

static void late_stall_remove(void *arg, struct siommu_device *dev, uint32_t pasid,
			      struct siommu_domain *dom)
{
	struct test_pri_dev *d = arg;
	const struct siommu_smmuv2_req req = { .sid = d->rid, .iova = late.va };
	struct siommu_smmuv2_xlate res;
	unsigned char b[8];
	uint64_t sctlr = rd_sctlr(d->live_cb);

	CHECK(!(sctlr & SIOMMU_SMMUV2_SCTLR_CFCFG));
	CHECK_OK(siommu_smmuv2_mmio_write(hw, SIOMMU_SMMUV2_CB(d->live_cb) +
					  SIOMMU_SMMUV2_CB_SCTLR, 4,
					  sctlr | SIOMMU_SMMUV2_SCTLR_CFCFG));
	late.ret = siommu_smmuv2_dma_read(hw, &req, b, sizeof(b), NULL, &res);
	late.stalled = res.stalled;
	late.ends = __atomic_load_n(&d->stall_ends, __ATOMIC_ACQUIRE);
	CHECK_OK(siommu_smmuv2_mmio_write(hw, SIOMMU_SMMUV2_CB(d->live_cb) +
					  SIOMMU_SMMUV2_CB_SCTLR, 4, sctlr));
	test_hooks.remove_pasid(arg, dev, pasid, dom);
}

static const struct siommu_pasid_hooks late_stall_hooks = {
	.install_pasid = test_hook_install, .remove_pasid = late_stall_remove,
	.stall_end = test_hook_stall_end,
};

static void test_late_stall(void)
{
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(9);
	struct siommu_sva *sva;
	unsigned char r[8];
	uint64_t va, ends;
	uint32_t pasid;
	unsigned int round;

	test_pri_dev_init(&h, ctx, unit, 0x62, 16, 0);
	CHECK_OK(siommu_device_set_pasid_hooks(h.dev, 16, NULL, NULL));
	CHECK_OK(siommu_device_set_pasid_hooks(h.dev, 16, &late_stall_hooks, &h));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, RW, &va));
	/* Unbind, and exit, each with a transaction of the old kind. */
	for (round = 0; round < 2; round++) {
		CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
		pasid = siommu_sva_pasid(sva);
		CHECK_OK(siommu_mm_write(mm, va, "cpu", 4));
		/* The process's table live in the bank. */
		CHECK_OK(test_pri_dma(&h, pasid, va, r, 4, false, NULL));
		late = (struct late_stall){ .d = &h, .va = va + (1 + round) * PG };
		ends = __atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE);
		if (round == 0)
			siommu_sva_unbind(sva);
		else
			siommu_mm_exit(mm);
		CHECK_EQ(late.ret, -EAGAIN);
		CHECK(late.stalled);
		/* Ended, aborted, before the DMA returned; exactly once. */
		CHECK_EQ(late.ends, ends + 1);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
		CHECK_EQ(siommu_iopf_poll(ctx, 0), 0);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
		CHECK_EQ(h.stall_retries, 0);
		CHECK_EQ(h.faults, 0);
		/* The bank stalls only while a stalling table is installed. */
		CHECK(!(rd_sctlr(h.live_cb) & SIOMMU_SMMUV2_SCTLR_CFCFG));
		if (round)
			siommu_sva_unbind(sva);
	}
	test_pri_dev_fini(&h);
}

/*
 * A device at @rid that waits out stalls, bound to @mm (16 pages at *va,
 * the first one written), the process's table live in its bank, which
 * stalls. Returns the PASID.
 */
static uint32_t bound_live(struct test_pri_dev *h, uint16_t rid, struct siommu_mm *mm,
			   uint64_t *va, struct siommu_sva **sva)
{
	unsigned char r[4];
	uint32_t pasid;

	test_pri_dev_init(h, ctx, unit, rid, 16, 0);
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, RW, va));
	CHECK_OK(siommu_mm_write(mm, *va, "cpu", 4));
	CHECK_OK(siommu_sva_bind(h->dev, mm, sva));
	pasid = siommu_sva_pasid(*sva);
	CHECK_OK(test_pri_dma(h, pasid, *va, r, 4, false, NULL));
	CHECK(!strcmp((char *)r, "cpu"));
	CHECK(rd_sctlr(h->live_cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);
	return pasid;
}

/*
 * Two fault sources on one bank. A fault that did not stall (the bank's
 * stalling was off) is being read by its context interrupt when stalling
 * is back on and another transaction stalls on the bank. That one finds
 * FSR holding the first record: it sets MULTI, has no record of its own
 * and raises no interrupt of its own (SMMUv2, SMMU_CBn_FSR), and clearing
 * FSR does not end it (only RESUME does). The driver must not leave it
 * held: it ends it (retried: issued again, its fault is recorded and
 * takes the stall path) before the first DMA returns. A shim on the
 * driver's read of FSR plays the second source in that window: it puts
 * CFCFG back, as stall_resume() does (or as a transaction that met the
 * stalling configuration would find it), and issues the transaction.
 * With @multi a second non-stalling fault comes first, so the record the
 * driver reads carries MULTI and clearing it leaves FSR with SS alone.
 * With @late, only a non-stalling fault comes, after the read: clearing
 * the record leaves MULTI alone, which is cleared, not reported as a
 * fault (it has no record).
 */
struct second_source {
	bool armed, multi, late;
	unsigned int cb;
	uint32_t sctlr;			/* the bank's stalling SCTLR */
	struct siommu_smmuv2_req req;	/* the stream, an untouched page */
	int ret;
	struct siommu_smmuv2_xlate res;
};

static uint64_t second_source_rd(void *arg, uint64_t off, uint64_t val)
{
	struct second_source *s = arg;
	struct siommu_smmuv2_req rq = s->req;
	uint64_t cb = SIOMMU_SMMUV2_CB(s->cb);
	unsigned char b[8];

	if (!s->armed || off != cb + SIOMMU_SMMUV2_CB_FSR || !(val & SIOMMU_SMMUV2_FSR_TF))
		return val;
	s->armed = false;
	if (s->late) {
		CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, b, sizeof(b), NULL, &s->res), -EFAULT);
		CHECK(!s->res.recorded);
		return val;
	}
	if (s->multi) {
		/* Not stalling yet: terminated, MULTI; the read sees it. */
		rq.iova += PG;
		CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, b, sizeof(b), NULL, NULL), -EFAULT);
		CHECK_OK(siommu_smmuv2_mmio_read(hw, cb + SIOMMU_SMMUV2_CB_FSR, 4, &val));
		CHECK_EQ(val, SIOMMU_SMMUV2_FSR_TF | SIOMMU_SMMUV2_FSR_MULTI);
	}
	CHECK_OK(siommu_smmuv2_mmio_write(hw, cb + SIOMMU_SMMUV2_CB_SCTLR, 4, s->sctlr));
	memset(&s->res, 0, sizeof(s->res));
	s->ret = siommu_smmuv2_dma_read(hw, &s->req, b, sizeof(b), NULL, &s->res);
	return val;
}

static void test_second_source(void)
{
	static struct second_source src;
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(10);
	struct siommu_sva *sva;
	struct siommu_mm_info mi;
	unsigned char r[8];
	uint64_t va, ends, retries, fsr, cbo;
	unsigned int faults, round;
	uint32_t pasid;

	pasid = bound_live(&h, 0x64, mm, &va, &sva);
	cbo = SIOMMU_SMMUV2_CB(h.live_cb);
	for (round = 0; round < 2; round++) {
		uint64_t first = va + (1 + 4 * round) * PG;

		src = (struct second_source){
			.armed = true, .multi = round == 1, .cb = h.live_cb,
			.sctlr = rd_sctlr(h.live_cb),
			.req = { .sid = h.rid, .iova = first + PG },
		};
		CHECK(src.sctlr & SIOMMU_SMMUV2_SCTLR_CFCFG);
		/* Stalling off, as while a hook runs. */
		CHECK_OK(siommu_smmuv2_mmio_write(hw, cbo + SIOMMU_SMMUV2_CB_SCTLR, 4,
						  src.sctlr & ~SIOMMU_SMMUV2_SCTLR_CFCFG));
		ends = __atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE);
		retries = __atomic_load_n(&h.stall_retries, __ATOMIC_ACQUIRE);
		faults = h.faults;
		smmuv2_drv_test_hook_set(unit, second_source_rd, &src, 0);
		/* The first: terminated and reported to the handler. */
		CHECK_EQ(test_pri_dma_once(&h, pasid, first, r, sizeof(r), false, NULL), -EFAULT);
		smmuv2_drv_test_hook_set(unit, NULL, NULL, 0);
		CHECK(!src.armed);
		CHECK_EQ(h.faults, faults + 1);
		CHECK_EQ(h.fault.addr, first);
		CHECK_EQ(h.fault.reason, SIOMMU_SMMUV2_FSR_TF);
		/* The second stalled without a record of its own ... */
		CHECK_EQ(src.ret, -EAGAIN);
		CHECK(src.res.stalled && !src.res.recorded);
		/* ... and is not left held: retried, the device told. */
		CHECK_OK(siommu_smmuv2_mmio_read(hw, cbo + SIOMMU_SMMUV2_CB_FSR, 4, &fsr));
		CHECK_EQ(fsr, 0);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
		CHECK_EQ(__atomic_load_n(&h.stall_retries, __ATOMIC_ACQUIRE), retries + 1);
		CHECK(rd_sctlr(h.live_cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);
		/* Issued again, it stalls with its record: a page request,
		 * resolved, the DMA goes through. */
		CHECK_OK(test_pri_dma(&h, pasid, first + PG, r, sizeof(r), false, NULL));
		CHECK_EQ(h.faults, faults + 1);
	}
	/* A late fault that does not stall: MULTI alone, cleared. */
	src = (struct second_source){
		.armed = true, .late = true, .cb = h.live_cb, .sctlr = rd_sctlr(h.live_cb),
		.req = { .sid = h.rid, .iova = va + 10 * PG },
	};
	CHECK_OK(siommu_smmuv2_mmio_write(hw, cbo + SIOMMU_SMMUV2_CB_SCTLR, 4,
					  src.sctlr & ~SIOMMU_SMMUV2_SCTLR_CFCFG));
	ends = __atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE);
	faults = h.faults;
	smmuv2_drv_test_hook_set(unit, second_source_rd, &src, 0);
	CHECK_EQ(test_pri_dma_once(&h, pasid, va + 9 * PG, r, sizeof(r), false, NULL), -EFAULT);
	smmuv2_drv_test_hook_set(unit, NULL, NULL, 0);
	CHECK(!src.armed);
	CHECK_EQ(h.faults, faults + 1);
	CHECK_EQ(h.fault.addr, va + 9 * PG);
	CHECK_OK(siommu_smmuv2_mmio_read(hw, cbo + SIOMMU_SMMUV2_CB_FSR, 4, &fsr));
	CHECK_EQ(fsr, 0);
	CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends);
	CHECK_OK(siommu_smmuv2_mmio_write(hw, cbo + SIOMMU_SMMUV2_CB_SCTLR, 4, src.sctlr));
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults, 2);
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&h);
}

/*
 * A stall answered, and another transaction of the bank faulting while
 * the answer is written: between the driver's clear of FSR and its write
 * of RESUME, as the driver once ordered them. The architecture's rules
 * (SMMUv2, SMMU_CBn_FSR, SMMU_CBn_RESUME) make that fault recorded if FSR
 * holds no record, held since SS is set, and ended by the same RESUME:
 * its record, left behind without SS, would be read as a new fault that
 * did not stall, and the device's handler told of a stall already
 * answered. A shim on the driver's writes plays the fault just before
 * RESUME is written, from another thread (the fault's interrupt waits
 * for the driver's lock the answer holds), and waits until the unit
 * holds it. Whatever the order of the driver's writes, the second
 * transaction must end with the first, the device told once, and no
 * handler told of a fault: retried, it stalls again and is resolved
 * (@refuse: the answer aborts both, and nothing is reported either).
 */
struct window_src {
	bool armed;
	uint64_t resume;		/* the bank's RESUME */
	struct siommu_smmuv2_req req;	/* the stream, an untouched page */
	pthread_t th;
	int ret;
	struct siommu_smmuv2_xlate res;
};

static void *window_dma(void *arg)
{
	struct window_src *w = arg;
	unsigned char b[8];

	w->ret = siommu_smmuv2_dma_read(hw, &w->req, b, sizeof(b), NULL, &w->res);
	return NULL;
}

static void window_wr(void *arg, uint64_t off, uint64_t val)
{
	struct window_src *w = arg;
	struct siommu_smmuv2_stats s0, s;
	struct timespec t0, t;

	(void)val;
	if (off != w->resume || !__atomic_exchange_n(&w->armed, false, __ATOMIC_ACQ_REL))
		return;
	siommu_smmuv2_get_stats(hw, &s0);
	CHECK_OK(pthread_create(&w->th, NULL, window_dma, w));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sched_yield();
		siommu_smmuv2_get_stats(hw, &s);
		clock_gettime(CLOCK_MONOTONIC, &t);
		CHECK(t.tv_sec - t0.tv_sec < 30);
	} while (s.stalls == s0.stalls);
}

static void test_window_stall(void)
{
	static struct window_src ws[3];
	struct window_src *w;
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(12);
	struct siommu_mm_info mi0, mi;
	struct siommu_sva *sva;
	unsigned char r[8];
	uint64_t va, ends, fsr;
	unsigned int round;
	uint32_t pasid;

	pasid = bound_live(&h, 0x66, mm, &va, &sva);
	for (round = 0; round < 2; round++) {
		bool refuse = round == 1;
		uint64_t first = refuse ? va + 64 * PG : va + (1 + 2 * round) * PG;
		uint64_t second = va + (2 + 2 * round) * PG;

		w = &ws[round];
		*w = (struct window_src){
			.armed = true,
			.resume = SIOMMU_SMMUV2_CB(h.live_cb) + SIOMMU_SMMUV2_CB_RESUME,
			.req = { .sid = h.rid, .iova = second },
		};
		siommu_mm_get_info(mm, &mi0);
		ends = __atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE);
		smmuv2_drv_test_wr_hook_set(unit, window_wr, w);
		CHECK_EQ(test_pri_dma_once(&h, pasid, first, r, sizeof(r), false, NULL),
			 refuse ? -EFAULT : -EAGAIN);
		smmuv2_drv_test_wr_hook_set(unit, NULL, NULL);
		CHECK(!__atomic_load_n(&w->armed, __ATOMIC_ACQUIRE));
		pthread_join(w->th, NULL);
		/* The second was held, and ended by the first's answer. */
		CHECK_EQ(w->ret, -EAGAIN);
		CHECK(w->res.stalled);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
		/* No handler told, nothing left in FSR, nothing held. */
		CHECK_EQ(h.faults, 0);
		CHECK_OK(siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(h.live_cb) +
						 SIOMMU_SMMUV2_CB_FSR, 4, &fsr));
		CHECK_EQ(fsr, 0);
		siommu_mm_get_info(mm, &mi);
		CHECK_EQ(mi.faults, mi0.faults + !refuse);
		CHECK_EQ(mi.faults_refused, mi0.faults_refused + refuse);
		/* Issued again, each stalls with its record and is resolved. */
		if (!refuse)
			CHECK_OK(test_pri_dma(&h, pasid, first, r, sizeof(r), false, NULL));
		CHECK_OK(test_pri_dma(&h, pasid, second, r, sizeof(r), false, NULL));
		CHECK_EQ(h.faults, 0);
	}
	/*
	 * The same window when the bank holds transactions with no record
	 * (SS alone, test_second_source()): RESUME is written with FSR
	 * holding none, so the fault before it is recorded, held and
	 * retried with them; its record, found after RESUME without SS in a
	 * bank that stalls, is that of a transaction issued again, not a
	 * fault to report.
	 */
	{
		static struct second_source src;
		uint64_t first = va + 7 * PG, cbo = SIOMMU_SMMUV2_CB(h.live_cb);
		unsigned int faults = h.faults;

		src = (struct second_source){
			.armed = true, .cb = h.live_cb, .sctlr = rd_sctlr(h.live_cb),
			.req = { .sid = h.rid, .iova = first + PG },
		};
		w = &ws[2];
		*w = (struct window_src){
			.armed = true, .resume = cbo + SIOMMU_SMMUV2_CB_RESUME,
			.req = { .sid = h.rid, .iova = first + 2 * PG },
		};
		CHECK_OK(siommu_smmuv2_mmio_write(hw, cbo + SIOMMU_SMMUV2_CB_SCTLR, 4,
						  src.sctlr & ~SIOMMU_SMMUV2_SCTLR_CFCFG));
		ends = __atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE);
		smmuv2_drv_test_hook_set(unit, second_source_rd, &src, 0);
		smmuv2_drv_test_wr_hook_set(unit, window_wr, w);
		CHECK_EQ(test_pri_dma_once(&h, pasid, first, r, sizeof(r), false, NULL), -EFAULT);
		smmuv2_drv_test_wr_hook_set(unit, NULL, NULL);
		smmuv2_drv_test_hook_set(unit, NULL, NULL, 0);
		CHECK(!src.armed && !__atomic_load_n(&w->armed, __ATOMIC_ACQUIRE));
		pthread_join(w->th, NULL);
		/* The first reported; the second and the third retried. */
		CHECK_EQ(h.faults, faults + 1);
		CHECK_EQ(h.fault.addr, first);
		CHECK_EQ(src.ret, -EAGAIN);
		CHECK(src.res.stalled && !src.res.recorded);
		CHECK_EQ(w->ret, -EAGAIN);
		CHECK(w->res.stalled && w->res.recorded);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
		CHECK_OK(siommu_smmuv2_mmio_read(hw, cbo + SIOMMU_SMMUV2_CB_FSR, 4, &fsr));
		CHECK_EQ(fsr, 0);
		CHECK_OK(test_pri_dma(&h, pasid, first + PG, r, sizeof(r), false, NULL));
		CHECK_OK(test_pri_dma(&h, pasid, first + 2 * PG, r, sizeof(r), false, NULL));
		CHECK_EQ(h.faults, faults + 1);
	}
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&h);
}

/*
 * The RID's domain replaced, then detached, while its bank holds a stall
 * reported to the fault path and not answered yet (poll mode): the
 * PASID leaves the bank, and its stall is aborted before the remove hook
 * runs, so the bank is retired (or keeps serving) holding nothing; the
 * answer that comes later is dropped.
 */
static void test_detach_stalled(void)
{
	struct test_pri_dev h;
	struct siommu_mm *mm = mm_new(11);
	struct siommu_domain *own2;
	struct siommu_sva *sva;
	struct stall_dma sd;
	unsigned char r[8];
	uint64_t va, ends, fsr;
	unsigned int round, cb;
	uint32_t pasid;

	test_pri_dev_init(&h, ctx, unit, 0x65, 16, 0);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own2));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, RW, &va));
	CHECK_OK(siommu_mm_write(mm, va, "cpu", 4));
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));
	for (round = 0; round < 2; round++) {
		/* The process's table live in the bank of the RID's domain. */
		CHECK_OK(test_pri_dma(&h, pasid, va, r, 4, false, NULL));
		cb = h.live_cb;
		ends = __atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE);
		stall_dma_start(&sd, &h, pasid, va + (1 + round) * PG);
		if (round == 0)
			CHECK_OK(siommu_device_attach(h.dev, own2));
		else
			siommu_device_detach(h.dev);
		CHECK_EQ(stall_dma_join(&sd), -EFAULT);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
		CHECK_OK(siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_FSR,
						 4, &fsr));
		CHECK_EQ(fsr, 0);
		/* The group is still the PASID's: handled, its answer dropped. */
		CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
		CHECK_EQ(__atomic_load_n(&h.stall_ends, __ATOMIC_ACQUIRE), ends + 1);
	}
	/* Blocked: the table is installed nowhere. */
	CHECK_EQ(test_pri_dma_once(&h, pasid, va, r, 4, false, NULL), -ENOENT);
	CHECK_EQ(h.stall_retries, 0);
	CHECK_EQ(h.faults, 0);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_WORKER));
	siommu_sva_unbind(sva);
	siommu_mm_exit(mm);
	test_pri_dev_fini(&h);
	CHECK_OK(siommu_domain_free(own2));
}

/*
 * Devices whose streams share a stalling bank (their RIDs attached to
 * one domain). A stalled transaction is held until RESUME, and the unit
 * holds every fault of the bank while one is (FSR.SS), whichever stream
 * it comes from; RESUME ends them all. So:
 *   - a device that cannot learn how a stall ends (no SIOMMU_DEV_STALL,
 *     no stall_end hook) must never be held: the bank stops stalling
 *     while it uses it (its faults terminated and reported, the bound
 *     process's too, as on a device that does not stall), and stalls
 *     again once it left; a device that removes its hooks is one;
 *   - a device that can is told of every end of the bank's stalls, not
 *     only the one whose process's table stalls there;
 *   - another stream's fault in the process's table live in the bank is
 *     that device's fault, reported to it, not a page of the process to
 *     bring in;
 *   - a device whose stream leaves the bank with a transaction held there
 *     is told of its end (retried) before it stops hearing of the bank.
 */
struct fault_count {
	unsigned int n;
	struct siommu_fault f;
};

static void fault_count_fn(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct fault_count *c = arg;

	(void)dev;
	c->f = *f;
	c->n++;
}

static void test_shared_bank(void)
{
	struct test_pri_dev h, q;
	struct siommu_mm *mm = mm_new(13);
	struct siommu_mm_info mi0, mi;
	struct siommu_smmuv2_xlate x;
	struct siommu_smmuv2_stats s0, s1;
	struct siommu_device *p;
	struct fault_count pc = { 0 };
	struct siommu_sva *sva;
	struct siommu_smmuv2_req rq;
	struct stall_dma sd;
	unsigned char r[8];
	uint64_t va, qe, qr, fsr;
	unsigned int cb, hf;
	uint32_t pasid;

	test_pri_dev_init(&h, ctx, unit, 0x67, 16, 0);
	CHECK_OK(siommu_mm_mmap(mm, 0, 16 * PG, RW, &va));
	CHECK_OK(siommu_mm_write(mm, va, "cpu", 4));
	CHECK_OK(siommu_sva_bind(h.dev, mm, &sva));
	pasid = siommu_sva_pasid(sva);
	cb = h.last.cb;
	CHECK(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);

	/* A device that cannot wait joins the bank: it stops stalling. */
	p = test_dev_add(unit, 0x68, 0, 0);
	siommu_device_set_fault_handler(p, fault_count_fn, &pc);
	CHECK_OK(siommu_device_attach(p, h.own));
	CHECK(!(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG));
	rq = (struct siommu_smmuv2_req){ .sid = 0x68, .iova = 0x40000000 };
	CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, r, sizeof(r), NULL, &x), -EFAULT);
	CHECK(!x.stalled);
	CHECK_EQ(pc.n, 1);
	CHECK_EQ(pc.f.rid, 0x68);
	CHECK_EQ(pc.f.addr, 0x40000000);
	/* The process's faults meanwhile: terminated and reported. */
	hd_dma_faults(&h, pasid, va + PG, false, SIOMMU_SMMUV2_FSR_TF);
	/* It leaves: the bank stalls again, the process's pages come in. */
	siommu_device_detach(p);
	CHECK(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);
	siommu_smmuv2_get_stats(hw, &s0);
	CHECK_OK(test_pri_dma(&h, pasid, va + 2 * PG, r, sizeof(r), false, NULL));
	siommu_smmuv2_get_stats(hw, &s1);
	CHECK_EQ(s1.stalls, s0.stalls + 1);
	CHECK_EQ(pc.n, 1);

	/* A device that can wait, with no table of its own there: the bank
	 * keeps stalling, and the device is told how its stalls end. Its
	 * fault in the process's table live in the bank is its own. */
	test_hook_dev_init(&q, ctx, unit, 0x69, 8, SIOMMU_DEV_STALL);
	CHECK_OK(siommu_device_attach(q.dev, h.own));
	CHECK(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);
	siommu_mm_get_info(mm, &mi0);
	hf = h.faults;
	rq = (struct siommu_smmuv2_req){ .sid = 0x69, .iova = va + 3 * PG };
	CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, r, sizeof(r), NULL, &x), -EAGAIN);
	CHECK(x.stalled && x.recorded);
	CHECK_EQ(__atomic_load_n(&q.stall_ends, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(__atomic_load_n(&q.stall_retries, __ATOMIC_ACQUIRE), 0);
	CHECK_EQ(q.faults, 1);
	CHECK_EQ(q.fault.rid, 0x69);
	CHECK_EQ(q.fault.addr, va + 3 * PG);
	CHECK_EQ(h.faults, hf);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults, mi0.faults);
	CHECK_EQ(mi.faults_refused, mi0.faults_refused);
	/* The process's own stall there: q is told of its end too. */
	CHECK_OK(test_pri_dma(&h, pasid, va + 3 * PG, r, sizeof(r), false, NULL));
	CHECK_EQ(__atomic_load_n(&q.stall_ends, __ATOMIC_ACQUIRE), 2);
	/* Without its hooks it cannot learn how a stall ends. */
	CHECK_OK(siommu_device_set_pasid_hooks(q.dev, 8, NULL, NULL));
	CHECK(!(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG));
	CHECK_OK(siommu_device_set_pasid_hooks(q.dev, 8, &test_hooks, &q));
	CHECK(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG);

	/* q leaves the bank with a transaction held there behind the
	 * process's stall, reported and not answered (poll mode): both are
	 * retried as it leaves, q told, the late answer dropped. */
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));
	stall_dma_start(&sd, &h, pasid, va + 5 * PG);
	qe = __atomic_load_n(&q.stall_ends, __ATOMIC_ACQUIRE);
	qr = __atomic_load_n(&q.stall_retries, __ATOMIC_ACQUIRE);
	rq = (struct siommu_smmuv2_req){ .sid = 0x69, .iova = va + 6 * PG };
	CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, r, sizeof(r), NULL, &x), -EAGAIN);
	CHECK(x.stalled && !x.recorded);
	CHECK_EQ(__atomic_load_n(&q.stall_ends, __ATOMIC_ACQUIRE), qe);
	CHECK_OK(siommu_device_attach(q.dev, q.own));
	CHECK_EQ(__atomic_load_n(&q.stall_ends, __ATOMIC_ACQUIRE), qe + 1);
	CHECK_EQ(__atomic_load_n(&q.stall_retries, __ATOMIC_ACQUIRE), qr + 1);
	CHECK_EQ(stall_dma_join(&sd), -EAGAIN);
	CHECK_OK(siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_FSR, 4,
					 &fsr));
	CHECK_EQ(fsr, 0);
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(__atomic_load_n(&q.stall_ends, __ATOMIC_ACQUIRE), qe + 1);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_WORKER));
	CHECK_OK(test_pri_dma(&h, pasid, va + 5 * PG, r, sizeof(r), false, NULL));
	CHECK_EQ(h.faults, hf);

	siommu_sva_unbind(sva);
	CHECK(!(rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_CFCFG));
	siommu_mm_exit(mm);
	test_pri_dev_fini(&q);
	siommu_device_remove(p);
	test_pri_dev_fini(&h);
}

/* The bank that translates for paging domain @dom (its table in TTBR0). */
static unsigned int bank_of(struct siommu_domain *dom)
{
	uint64_t root = siommu_pt_root(siommu_domain_pt(dom)), v;
	struct siommu_smmuv2_cfg c;
	unsigned int cb;

	siommu_smmuv2_get_cfg(hw, &c);
	for (cb = 0; cb < c.num_cb; cb++) {
		CHECK_OK(siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_TTBR0,
						 8, &v));
		if ((rd_sctlr(cb) & SIOMMU_SMMUV2_SCTLR_M) && (v & 0xffffffffffffull) == root)
			return cb;
	}
	CHECK(false);
	return 0;
}

/*
 * A bank that holds a transaction the driver has not heard of yet (its
 * context interrupt not taken: played by SCTLR written behind the
 * driver's back, CFCFG set and CFIE clear, for one fault). Another
 * stream's fault meanwhile is processed on its own (HUPCF: the driver
 * never has a stream held because another's is), terminated and
 * reported. When the bank is retired the held one is aborted, so the
 * next domain given the bank does not find it held there (FSR.SS).
 */
static void test_retire_held(void)
{
	struct siommu_device *p = test_dev_add(unit, 0x6a, 0, 0);
	struct siommu_device *p2 = test_dev_add(unit, 0x6b, 0, 0);
	struct fault_count pc = { 0 };
	struct siommu_smmuv2_xlate x;
	struct siommu_smmuv2_req rq;
	struct siommu_domain *dom;
	unsigned char r[8];
	uint64_t fsr, cbo;
	uint32_t sctlr;
	unsigned int cb;

	siommu_device_set_fault_handler(p2, fault_count_fn, &pc);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	CHECK_OK(siommu_device_attach(p, dom));
	CHECK_OK(siommu_device_attach(p2, dom));
	cb = bank_of(dom);
	cbo = SIOMMU_SMMUV2_CB(cb);
	sctlr = rd_sctlr(cb);
	CHECK(!(sctlr & SIOMMU_SMMUV2_SCTLR_CFCFG));
	CHECK_OK(siommu_smmuv2_mmio_write(hw, cbo + SIOMMU_SMMUV2_CB_SCTLR, 4,
					  (sctlr | SIOMMU_SMMUV2_SCTLR_CFCFG) &
					  ~SIOMMU_SMMUV2_SCTLR_CFIE));
	rq = (struct siommu_smmuv2_req){ .sid = 0x6a, .iova = 0x40000000 };
	CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, r, sizeof(r), NULL, &x), -EAGAIN);
	CHECK(x.stalled && x.recorded);
	CHECK_OK(siommu_smmuv2_mmio_write(hw, cbo + SIOMMU_SMMUV2_CB_SCTLR, 4, sctlr));
	rq = (struct siommu_smmuv2_req){ .sid = 0x6b, .iova = 0x40001000 };
	CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, r, sizeof(r), NULL, &x), -EFAULT);
	CHECK(!x.stalled && !x.recorded);
	/* Retired: nothing held. */
	siommu_device_detach(p);
	siommu_device_detach(p2);
	CHECK_OK(siommu_smmuv2_mmio_read(hw, cbo + SIOMMU_SMMUV2_CB_FSR, 4, &fsr));
	CHECK_EQ(fsr, 0);
	/* The bank given out again starts clean. */
	CHECK_OK(siommu_device_attach(p2, dom));
	CHECK_EQ(bank_of(dom), cb);
	CHECK_OK(siommu_smmuv2_mmio_read(hw, cbo + SIOMMU_SMMUV2_CB_FSR, 4, &fsr));
	CHECK_EQ(fsr, 0);
	CHECK_EQ(siommu_smmuv2_dma_read(hw, &rq, r, sizeof(r), NULL, &x), -EFAULT);
	CHECK(!x.stalled && x.recorded);
	CHECK_EQ(pc.n, 1);
	CHECK_EQ(pc.f.addr, 0x40001000);
	siommu_device_remove(p2);
	siommu_device_remove(p);
	CHECK_OK(siommu_domain_free(dom));
}

/* The GPU model with a bound process as a client, next to a private one. */
static void test_gpu(void)
{
	struct siommu_device *dev = test_dev_add(unit, 0x50, 0, 0);
	struct siommu_mm *mm = mm_new(5);
	struct siommu_domain *own;
	struct siommu_gpu *gpu;
	struct siommu_gpu_client *proc, *priv;
	struct siommu_gpu_fault f;
	struct siommu_gpu_stats st;
	struct siommu_mm_info mi;
	char out[32];
	uint64_t va, pa;

	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own));
	CHECK_OK(siommu_device_attach(dev, own));
	CHECK_OK(siommu_gpu_create(dev, &gpu));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), PG, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, RW, &va));
	CHECK_OK(siommu_mm_write(mm, va, "frame of the process", 21));
	CHECK_OK(siommu_gpu_client_bind(gpu, mm, &proc));
	CHECK_OK(siommu_gpu_client_add(gpu, 6, &priv));
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(siommu_gpu_client_pasid(proc), mi.pasid);
	CHECK(siommu_gpu_client_pasid(proc) != siommu_gpu_client_pasid(priv));
	CHECK_EQ(siommu_gpu_client_map(proc, va, pa, PG, RW), -EINVAL);
	CHECK_OK(siommu_gpu_client_map(priv, va + PG, pa, PG, RW));

	/* The process's job reads what its CPU wrote, writes what it reads. */
	CHECK_OK(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va, .len = 21, .out = out }, &f));
	CHECK(!strcmp(out, "frame of the process"));
	CHECK_OK(siommu_gpu_submit(priv, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_WRITE, .dst = va + PG, .len = 8, .data = "private" }, &f));
	/* The process has nothing populated at va + PG (the private client's
	 * address): the job faults there, in the process's table. */
	CHECK_EQ(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va + PG, .len = 8, .out = out }, &f), -EFAULT);
	CHECK_EQ(f.addr, va + PG);
	CHECK_EQ(f.reason, SIOMMU_SMMUV2_FSR_TF);
	CHECK(f.reported && f.cb >= 0);
	CHECK_EQ(f.ttbr0 & 0xffffffffffffull,
		 siommu_pt_root(siommu_domain_pt(siommu_device_domain(dev,
					siommu_gpu_client_pasid(proc)))));
	/* Resolved as a driver does: touch the page, recover, resubmit. */
	CHECK_OK(siommu_mm_write(mm, va + PG, "process", 8));
	CHECK_OK(siommu_mm_read(mm, va + 2 * PG, out, 1));
	siommu_gpu_recover(gpu);
	CHECK_OK(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_COPY, .src = va + PG, .dst = va + 2 * PG, .len = 8 }, &f));
	CHECK_OK(siommu_mm_read(mm, va + 2 * PG, out, 8));
	CHECK(!strcmp(out, "process"));
	CHECK_OK(siommu_gpu_submit(priv, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va + PG, .len = 8, .out = out }, &f));
	CHECK(!strcmp(out, "private"));

	/* Exit: the process's jobs find no table; the private client goes on. */
	siommu_mm_exit(mm);
	CHECK_EQ(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va, .len = 8, .out = out }, &f), -ENOENT);
	CHECK_OK(siommu_gpu_submit(priv, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va + PG, .len = 8, .out = out }, &f));
	siommu_gpu_get_stats(gpu, &st);
	CHECK_EQ(st.faults, 1);
	CHECK_EQ(st.recoveries, 1);
	siommu_gpu_client_remove(proc);
	siommu_gpu_client_remove(priv);
	siommu_gpu_destroy(gpu);
	siommu_mem_frame_free(siommu_ctx_mem(ctx), pa, PG, SIOMMU_MEM_DMA);
	siommu_device_remove(dev);
	CHECK_OK(siommu_domain_free(own));
}

/* A GPU whose device waits out stalls: its bound process's pages come
 * in on the jobs' faults; a page the process cannot map ends the job. */
static void test_gpu_stalls(void)
{
	struct siommu_device *dev = test_dev_add(unit, 0x52, 0, SIOMMU_DEV_STALL);
	struct siommu_mm *mm = mm_new(8);
	struct siommu_domain *own;
	struct siommu_gpu *gpu;
	struct siommu_gpu_client *proc;
	struct siommu_gpu_fault f;
	struct siommu_mm_info mi;
	char out[16];
	uint64_t va;

	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own));
	CHECK_OK(siommu_device_attach(dev, own));
	CHECK_OK(siommu_gpu_create(dev, &gpu));
	CHECK_OK(siommu_mm_mmap(mm, 0, 4 * PG, RW, &va));
	CHECK_OK(siommu_mm_write(mm, va, "source", 7));
	CHECK_OK(siommu_gpu_client_bind(gpu, mm, &proc));
	/* The copy's destination was never touched: it comes in. */
	CHECK_OK(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_COPY, .src = va, .dst = va + 2 * PG + 8, .len = 7 }, &f));
	CHECK_OK(siommu_mm_read(mm, va + 2 * PG + 8, out, 7));
	CHECK(!strcmp(out, "source"));
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults, 1);
	/* Beyond the mapping: refused, the job ends with the fault. */
	CHECK_EQ(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va + 8 * PG, .len = 8, .out = out }, &f), -EFAULT);
	CHECK_EQ(f.addr, va + 8 * PG);
	CHECK_EQ(f.reason, SIOMMU_SMMUV2_FSR_TF);
	siommu_mm_get_info(mm, &mi);
	CHECK_EQ(mi.faults_refused, 1);
	siommu_gpu_recover(gpu);
	CHECK_OK(siommu_gpu_submit(proc, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = va + 3 * PG, .len = 8, .out = out }, &f));
	siommu_gpu_client_remove(proc);
	siommu_mm_exit(mm);
	siommu_gpu_destroy(gpu);
	siommu_device_remove(dev);
	CHECK_OK(siommu_domain_free(own));
}

int main(void)
{
	struct siommu_mem_stats ms0, ms1;
	struct siommu_unit_stats us;

	/* SVA through PASID hooks is SMMUv2's. */
	if (test_unit_type() != TEST_UNIT_SMMUV2)
		return 77;
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	hw = siommu_unit_smmuv2(unit);
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms0);
	test_bind();
	test_changes();
	test_exit();
	test_refusals();
	test_stalls();
	test_late_stall();
	test_second_source();
	test_window_stall();
	test_detach_stalled();
	test_shared_bank();
	test_retire_held();
	test_gpu();
	test_gpu_stalls();
	/* Every frame of every process went back, tables included; no
	 * ASID or bank is left in use. */
	siommu_mem_get_stats(siommu_ctx_mem(ctx), &ms1);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_DMA], ms0.in_use[SIOMMU_MEM_DMA]);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_PT], ms0.in_use[SIOMMU_MEM_PT]);
	siommu_unit_get_stats(unit, &us);
	CHECK_EQ(us.domain_ids, 0);
	siommu_ctx_destroy(ctx);
	return 0;
}
