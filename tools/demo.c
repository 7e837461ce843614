/* SPDX-License-Identifier: MIT */
/*
 * `siommu demo`: the system doing its job, in a few seconds.
 *
 * One VT-d unit in scalable mode (or, with --unit smmuv3, one Arm SMMUv3
 * unit: the RID is the StreamID, the PASID the SubstreamID), programmed by
 * the OS half's driver, and software devices that DMA through it:
 *   - a copy engine with a shared work queue, used by two tenants, each with
 *     its own PASID and its own address space;
 *   - an accelerator that can only issue PASID-tagged DMA, which the OS
 *     gives a PASID on its DMA domain;
 *   - a NIC without PASID support in one group with a PASID-capable crypto
 *     engine;
 *   - tenant A's job reaching for tenant B's buffer: blocked, and the fault
 *     shown with its reason (VT-d) or event (SMMUv3);
 *   - shared virtual addressing: two processes bound to the copy engine
 *     submit copies of their own memory through its shared queue, pages
 *     fault in on the device's first touch, a munmap lands while a copy is
 *     queued, and one process's copy into the other's memory is refused
 *     (on SMMUv3 the processes are Arm64 ones: the unit walks their
 *     tables as stage 1 of a CD, page requests come through its PRI queue
 *     and the munmap reaches the engine as CMD_ATC_INV);
 *   - a GPU behind a second unit, an SMMUv2-style one without PASIDs: two
 *     clients render into their own surfaces (the command processor
 *     switches the context bank's table per client), a malicious job reads
 *     the other client's surface and faults in the bank, the driver
 *     recovers the GPU and the other client goes on.
 * The acts are the same on both units: the OS half's API does not
 * change, and of the copy engine's only its creation names the unit type.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <siommu/core.h>
#include <siommu/cpyeng.h>
#include <siommu/dma.h>
#include <siommu/gpu.h>
#include <siommu/smmuv2.h>
#include <siommu/sva.h>

#include "demo.h"
#include "scenario.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define JOB (64u << 10)		/* bytes a copy job moves */

struct dev_stats {
	const char *name;
	uint16_t rid;
	uint32_t pasid;
	const char *space;
	uint64_t dmas, bytes, faults;
};

struct demo {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_vtd *vtd;		/* one of the two */
	struct siommu_smmuv3 *smmu;
	struct siommu_mem *mem;
	struct dev_stats row[12];
	unsigned int nrows;
	unsigned int faults_seen;
	struct siommu_fault last_fault;
	struct siommu_device *ce;	/* the copy engine */
	struct siommu_unit *v2unit;	/* the GPU's SMMUv2 unit */
	struct siommu_gpu_stats gpu;
};

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct demo *d = arg;

	d->faults_seen++;
	d->last_fault = *f;
}

static struct dev_stats *row(struct demo *d, const char *name, uint16_t rid,
			     uint32_t pasid, const char *space)
{
	struct dev_stats *r = &d->row[d->nrows++];

	*r = (struct dev_stats){ .name = name, .rid = rid, .pasid = pasid, .space = space };
	return r;
}

/* DMA @len bytes between @buf and @iova as (rid, pasid); counts in @r. */
static int dma(struct demo *d, struct dev_stats *r, bool write, uint64_t iova,
	       void *buf, size_t len)
{
	size_t done = 0;
	int ret;

	if (d->smmu) {
		struct siommu_smmuv3_req req = {
			.sid = r->rid, .ssv = r->pasid != 0, .ssid = r->pasid, .iova = iova,
		};

		ret = write ? siommu_smmuv3_dma_write(d->smmu, &req, buf, len, &done, NULL)
			    : siommu_smmuv3_dma_read(d->smmu, &req, buf, len, &done, NULL);
	} else {
		struct siommu_vtd_req req = {
			.rid = r->rid, .pasid_present = r->pasid != 0, .pasid = r->pasid,
			.iova = iova,
		};

		ret = write ? siommu_vtd_dma_write(d->vtd, &req, buf, len, &done, NULL)
			    : siommu_vtd_dma_read(d->vtd, &req, buf, len, &done, NULL);
	}
	r->dmas++;
	r->bytes += done;
	if (ret)
		r->faults++;
	return ret;
}

/* A buffer of @size in memory, filled with @byte; its PA. */
static int buffer(struct demo *d, uint64_t size, int byte, uint64_t *pa)
{
	int ret = siommu_mem_frame_alloc(d->mem, size, SIOMMU_MEM_DMA, pa);

	if (!ret)
		memset(siommu_mem_host(d->mem, *pa, size), byte, size);
	return ret;
}

static int paging(struct demo *d, struct siommu_domain **dom)
{
	return siommu_domain_alloc(d->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, dom);
}

static const char *reason_text(uint32_t r)
{
	switch (r) {
	case SIOMMU_VTD_FR_FS_NP: return "first-stage entry not present";
	case SIOMMU_VTD_FR_SS_NP: return "second-stage entry not present";
	case SIOMMU_VTD_FR_PTE_NP: return "PASID entry not present";
	case SIOMMU_VTD_FR_WRITE: return "write not permitted";
	case SIOMMU_VTD_FR_READ: return "read not permitted";
	case SIOMMU_VTD_FR_CTX_PASIDE: return "requests with PASID not enabled";
	default: return "see VT-d 7.1.3";
	}
}

static const char *event_text(uint32_t e)
{
	switch (e) {
	case SIOMMU_SMMUV3_F_TRANSLATION: return "no valid translation";
	case SIOMMU_SMMUV3_F_PERMISSION: return "access not permitted";
	case SIOMMU_SMMUV3_C_BAD_CD: return "CD not valid: nothing attached at the SubstreamID";
	case SIOMMU_SMMUV3_C_BAD_SUBSTREAMID: return "SubstreamID beyond the CD table";
	default: return "see SMMUv3 7.3";
	}
}

/* The fault just recorded, as the unit reported it. */
static void print_fault(struct demo *d, FILE *out)
{
	const struct siommu_fault *f = &d->last_fault;

	if (d->smmu)
		fprintf(out, "   blocked. Event record: StreamID 0x%x, SubstreamID %u, address 0x%"
			PRIx64 ", %s (%s)\n\n", f->rid, f->pasid, f->addr,
			scenario_smmuv3_event_name(f->reason) ?: "?", event_text(f->reason));
	else
		fprintf(out, "   blocked. Fault record: requester %02x:%02x.%x, PASID %u, page 0x%"
			PRIx64 ", reason 0x%02x (%s)\n\n", f->rid >> 8, (f->rid >> 3) & 0x1f,
			f->rid & 7, f->pasid, f->addr, f->reason, reason_text(f->reason));
}

#define CHECK_DEMO(expr)                                                 \
	do {                                                             \
		int _r = (expr);                                         \
		if (_r) {                                                \
			fprintf(stderr, "siommu demo: %s: %s\n", #expr,  \
				strerror(_r < 0 ? -_r : _r));            \
			return _r < 0 ? _r : -EIO;                       \
		}                                                        \
	} while (0)

static int run(struct demo *d, FILE *out)
{
	struct siommu_device *ce, *acc, *nic, *crypto;
	struct siommu_domain *ten_a, *ten_b, *grp, *crypto_ctx;
	struct dev_stats *ra, *rb, *racc, *rnic, *rcr, *rattack;
	struct siommu_pasid_space *ps;
	uint64_t a_src, a_dst, b_src, b_dst, acc_buf, nic_buf, cr_buf;
	uint32_t pa_a, pa_b, pa_acc, pa_cr;
	static uint8_t job[JOB], check[JOB];
	int ret;

	ps = siommu_ctx_pasids(d->ctx);
	if (d->smmu)
		fprintf(out, "siommu demo: one Arm SMMUv3 unit, programmed by the OS half through "
			"its registers, command queue,\nstream table and CD tables in memory; a "
			"device's RID is its StreamID, a PASID its SubstreamID.\n\n");
	else
		fprintf(out, "siommu demo: one VT-d unit in scalable mode, programmed by the OS "
			"half through its registers and tables in memory.\n\n");

	/* Devices, as the platform enumerates them. */
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0008, .pasid_bits = 20, .flags = SIOMMU_DEV_ATS | SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &ce));
	d->ce = ce;
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0010, .pasid_bits = 8, .flags = SIOMMU_DEV_PASID_ONLY,
		.alias_rid = SIOMMU_NO_ALIAS }, &acc));
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0018, .isolation_key = 3, .alias_rid = SIOMMU_NO_ALIAS }, &nic));
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0019, .pasid_bits = 16, .isolation_key = 3,
		.alias_rid = SIOMMU_NO_ALIAS }, &crypto));
	siommu_device_set_fault_handler(ce, on_fault, d);
	fprintf(out, "devices: 00:01.0 copy engine (PASID 20 bits, ATS, PRI), 00:02.0 accelerator "
		"(PASID-only, 8 bits),\n         00:03.0 NIC (no PASID) and 00:03.1 crypto "
		"(PASID 16 bits) below one bridge without ACS: one group\n\n");

	/* 1. Two tenants share the copy engine's work queue. */
	CHECK_DEMO(paging(d, &ten_a));
	CHECK_DEMO(paging(d, &ten_b));
	CHECK_DEMO(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 100, &pa_a));
	CHECK_DEMO(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 200, &pa_b));
	CHECK_DEMO(buffer(d, JOB, 'a', &a_src));
	CHECK_DEMO(buffer(d, JOB, 0, &a_dst));
	CHECK_DEMO(buffer(d, JOB, 'b', &b_src));
	CHECK_DEMO(buffer(d, JOB, 0, &b_dst));
	/* Each tenant sees its buffers at the same IOVAs in its own space. */
	CHECK_DEMO(siommu_domain_map(ten_a, 0x100000, a_src, JOB, SIOMMU_PROT_READ));
	CHECK_DEMO(siommu_domain_map(ten_a, 0x200000, a_dst, JOB, RW));
	CHECK_DEMO(siommu_domain_map(ten_b, 0x100000, b_src, JOB, SIOMMU_PROT_READ));
	CHECK_DEMO(siommu_domain_map(ten_b, 0x200000, b_dst, JOB, RW));
	/* B's destination also sits at 0x300000 in B's space only. */
	CHECK_DEMO(siommu_domain_map(ten_b, 0x300000, b_dst, JOB, RW));
	CHECK_DEMO(siommu_device_attach_pasid(ce, pa_a, ten_a));
	CHECK_DEMO(siommu_device_attach_pasid(ce, pa_b, ten_b));
	ra = row(d, "copy engine", 0x0008, pa_a, "tenant A");
	rb = row(d, "copy engine", 0x0008, pa_b, "tenant B");
	for (int i = 0; i < 32; i++) {
		CHECK_DEMO(dma(d, ra, false, 0x100000, job, JOB));
		CHECK_DEMO(dma(d, ra, true, 0x200000, job, JOB));
		CHECK_DEMO(dma(d, rb, false, 0x100000, job, JOB));
		CHECK_DEMO(dma(d, rb, true, 0x200000, job, JOB));
	}
	siommu_mem_read(d->mem, a_dst, check, JOB);
	ret = check[0] == 'a' && check[JOB - 1] == 'a';
	siommu_mem_read(d->mem, b_dst, check, JOB);
	ret = ret && check[0] == 'b' && check[JOB - 1] == 'b';
	fprintf(out, "1. copy engine, shared work queue: tenant A on PASID %u and tenant B on "
		"PASID %u,\n   each in its own address space (the same IOVAs 0x100000 -> "
		"0x200000 mean different memory):\n   32 jobs of 64 KiB each: %s\n\n",
		pa_a, pa_b, ret ? "every byte where it belongs" : "WRONG DATA");
	if (!ret)
		return -EIO;

	/* 2. A PASID-only device, driven through the DMA API: at setup its
	 *    DMA domain gets a PASID, and the driver maps as for any device. */
	{
		struct siommu_dma_info di;
		uint64_t iova;

		CHECK_DEMO(siommu_dma_setup(acc, &(struct siommu_dma_cfg){
			.policy = SIOMMU_DMA_LAZY }));
		CHECK_DEMO(siommu_dma_get_info(acc, &di));
		pa_acc = di.pasid;
		CHECK_DEMO(buffer(d, SIOMMU_SZ_4K, 'x', &acc_buf));
		CHECK_DEMO(siommu_dma_map_single(acc, acc_buf, SIOMMU_SZ_4K,
						 SIOMMU_DMA_BIDIRECTIONAL, &iova));
		racc = row(d, "accelerator", 0x0010, pa_acc, "its DMA domain");
		for (int i = 0; i < 64; i++)
			CHECK_DEMO(dma(d, racc, i & 1, iova, job, SIOMMU_SZ_4K));
		CHECK_DEMO(siommu_dma_unmap_single(acc, iova, SIOMMU_SZ_4K,
						   SIOMMU_DMA_BIDIRECTIONAL));
		fprintf(out, "2. accelerator (PASID-only), driven through the DMA API: setup "
			"attached its DMA domain\n   at PASID %u, so its PASID-tagged DMA uses the "
			"mappings dma_map gives: 64 DMAs at IOVA 0x%" PRIx64 " ok\n\n", pa_acc, iova);
	}

	/* 3. A group with a PASID-less NIC and a PASID-capable crypto engine. */
	CHECK_DEMO(paging(d, &grp));
	CHECK_DEMO(paging(d, &crypto_ctx));
	CHECK_DEMO(buffer(d, SIOMMU_SZ_4K, 'n', &nic_buf));
	CHECK_DEMO(buffer(d, SIOMMU_SZ_4K, 'c', &cr_buf));
	CHECK_DEMO(siommu_domain_map(grp, 0x9000, nic_buf, SIOMMU_SZ_4K, RW));
	CHECK_DEMO(siommu_domain_map(crypto_ctx, 0x9000, cr_buf, SIOMMU_SZ_4K, RW));
	CHECK_DEMO(siommu_device_attach(nic, grp));
	CHECK_DEMO(siommu_pasid_alloc(ps, 1, (1u << 16) - 1, 300, &pa_cr));
	CHECK_DEMO(siommu_device_attach_pasid(crypto, pa_cr, crypto_ctx));
	rnic = row(d, "NIC", 0x0018, 0, "group RID domain");
	rcr = row(d, "crypto", 0x0019, pa_cr, "crypto context");
	for (int i = 0; i < 16; i++) {
		CHECK_DEMO(dma(d, rnic, true, 0x9000, job, 1500));
		CHECK_DEMO(dma(d, rcr, false, 0x9000, job, SIOMMU_SZ_4K));
	}
	fprintf(out, "3. NIC (no PASID) and crypto engine (PASID) in one group: the group's RID "
		"traffic uses one\n   domain; the crypto engine also has PASID %u with a domain "
		"of its own: 32 DMAs ok\n\n", pa_cr);

	/* 4. Tenant A's job reaches for tenant B's buffer. */
	rattack = row(d, "copy engine", 0x0008, pa_a, "A -> B's 0x300000");
	ret = dma(d, rattack, false, 0x300000, job, 64);
	if (ret != -EFAULT || !d->faults_seen)
		return -EIO;
	fprintf(out, "4. tenant A's job reads IOVA 0x300000, where only tenant B maps memory:\n");
	print_fault(d, out);
	return 0;
}

#define PG SIOMMU_SZ_4K
#define PROC_BUF	0x10000000ull	/* each process's buffers, in its own space */
#define PROC_SCRATCH	0x30000000ull	/* A's scratch pages, unmapped mid-queue */
#define PROC_B_ONLY	0x20000000ull	/* mapped in B only */
#define COMP(n)		(PROC_BUF + 15 * PG + 32 * (n))	/* completion records */

/* One copy submitted through the shared queue with @cpu's PASID. */
static int enqcmd(struct siommu_cpyeng *e, const struct siommu_cpu *cpu, uint64_t src,
		  uint64_t dst, uint64_t len, uint64_t comp)
{
	return siommu_cpyeng_enqcmd(e, cpu, &(struct siommu_cpyeng_desc){
		.flags = SIOMMU_CPYENG_FLAG_BOF, .src = src, .dst = dst, .len = len,
		.completion = comp });
}

/* The completion record at @addr in @mm, counted in @r. */
static int completion(struct siommu_mm *mm, uint64_t addr, struct dev_stats *r,
		      struct siommu_cpyeng_comp *c)
{
	int ret = siommu_mm_read(mm, addr, c, sizeof(*c));

	if (ret)
		return ret;
	r->dmas++;
	r->bytes += c->bytes_done;
	if (c->status != SIOMMU_CPYENG_SUCCESS)
		r->faults++;
	return 0;
}

/* 5. Shared virtual addressing: processes bound to the copy engine. */
static int sva_act(struct demo *d, struct siommu_cpyeng *eng, struct siommu_mm *a,
		   struct siommu_mm *b, FILE *out)
{
	struct siommu_sva *sa, *sb;
	struct siommu_cpu ca, cb;
	struct siommu_cpyeng_comp c, c2;
	struct siommu_mm_info ia, ib;
	struct dev_stats *ra, *rb;
	static uint8_t buf[2 * PG], before[PG], after[PG];
	bool ok;

	CHECK_DEMO(siommu_mm_mmap(a, PROC_BUF, 16 * PG, RW, NULL));
	CHECK_DEMO(siommu_mm_mmap(b, PROC_BUF, 16 * PG, RW, NULL));
	CHECK_DEMO(siommu_mm_mmap(b, PROC_B_ONLY, PG, RW, NULL));
	CHECK_DEMO(siommu_mm_mmap(a, PROC_SCRATCH, PG, RW, NULL));
	/* The CPU writes the sources; the rest is untouched. */
	memset(buf, 'A', sizeof(buf));
	CHECK_DEMO(siommu_mm_write(a, PROC_BUF, buf, sizeof(buf)));
	CHECK_DEMO(siommu_mm_write(a, PROC_SCRATCH, buf, PG));
	memset(buf, 'B', sizeof(buf));
	CHECK_DEMO(siommu_mm_write(b, PROC_BUF, buf, sizeof(buf)));
	CHECK_DEMO(siommu_mm_write(b, PROC_B_ONLY, buf, PG));
	CHECK_DEMO(siommu_sva_bind(d->ce, a, &sa));
	CHECK_DEMO(siommu_sva_bind(d->ce, b, &sb));
	/* The OS loads each process's PASID in its threads' PASID register. */
	ca = (struct siommu_cpu){ .pasid_valid = true, .pasid = siommu_sva_pasid(sa) };
	cb = (struct siommu_cpu){ .pasid_valid = true, .pasid = siommu_sva_pasid(sb) };
	ra = row(d, "copy engine", 0x0008, ca.pasid, "process A (SVA)");
	rb = row(d, "copy engine", 0x0008, cb.pasid, "process B (SVA)");

	/* Both copy at the same addresses, each in its own memory: the
	 * destinations and completion records fault in on first DMA. */
	CHECK_DEMO(enqcmd(eng, &ca, PROC_BUF, PROC_BUF + 4 * PG, 2 * PG, COMP(0)));
	CHECK_DEMO(enqcmd(eng, &cb, PROC_BUF, PROC_BUF + 4 * PG, 2 * PG, COMP(0)));
	if (siommu_cpyeng_process(eng, 0) != 2)
		return -EIO;
	CHECK_DEMO(completion(a, COMP(0), ra, &c));
	CHECK_DEMO(completion(b, COMP(0), rb, &c2));
	ok = c.status == SIOMMU_CPYENG_SUCCESS && c2.status == SIOMMU_CPYENG_SUCCESS;
	CHECK_DEMO(siommu_mm_read(a, PROC_BUF + 4 * PG, buf, sizeof(buf)));
	ok = ok && buf[0] == 'A' && buf[sizeof(buf) - 1] == 'A';
	CHECK_DEMO(siommu_mm_read(b, PROC_BUF + 4 * PG, buf, sizeof(buf)));
	ok = ok && buf[0] == 'B' && buf[sizeof(buf) - 1] == 'B';
	siommu_mm_get_info(a, &ia);
	siommu_mm_get_info(b, &ib);
	fprintf(out, "5. shared virtual addressing: processes A and B bound to the copy engine "
		"get PASIDs %u and %u;\n   their threads submit through its shared queue "
		"(ENQCMD: the PASID comes from the thread),\n   each copying 8 KiB at 0x%llx "
		"-> 0x%llx in its own memory: %s;\n   the pages the device touched first were "
		"faulted in through page requests: %" PRIu64 " for A, %" PRIu64 " for B\n",
		ca.pasid, cb.pasid, PROC_BUF, PROC_BUF + 4 * PG,
		ok ? "every byte where it belongs" : "WRONG DATA", ia.faults, ib.faults);
	if (!ok)
		return -EIO;

	/* A munmap while the device works: two copies from the scratch page
	 * are queued, the first runs (the page now in the device's TLB), then
	 * A unmaps it: the second finds nothing there. */
	CHECK_DEMO(enqcmd(eng, &ca, PROC_SCRATCH, PROC_BUF + 8 * PG, PG, COMP(1)));
	CHECK_DEMO(enqcmd(eng, &ca, PROC_SCRATCH, PROC_BUF + 9 * PG, PG, COMP(2)));
	if (siommu_cpyeng_process(eng, 1) != 1)
		return -EIO;
	CHECK_DEMO(siommu_mm_munmap(a, PROC_SCRATCH, PG));
	if (siommu_cpyeng_process(eng, 0) != 1)
		return -EIO;
	CHECK_DEMO(completion(a, COMP(1), ra, &c));
	CHECK_DEMO(completion(a, COMP(2), ra, &c2));
	if (c.status != SIOMMU_CPYENG_SUCCESS || c2.status != SIOMMU_CPYENG_PAGE_FAULT ||
	    c2.fault_addr != PROC_SCRATCH)
		return -EIO;
	fprintf(out, "   A unmaps 0x%llx between two queued copies from it: the first copied "
		"%" PRIu64 " bytes,\n   the second ends at once, page fault at 0x%" PRIx64
		" (%" PRIu64 " bytes): the munmap reached the device's %s\n",
		PROC_SCRATCH, c.bytes_done, c2.fault_addr, c2.bytes_done,
		d->smmu ? "ATC (CMD_ATC_INV)" : "TLB");

	/* A's copy into B's memory: A's PASID does not map it. */
	CHECK_DEMO(siommu_mm_read(b, PROC_B_ONLY, before, PG));
	CHECK_DEMO(enqcmd(eng, &ca, PROC_BUF, PROC_B_ONLY, 64, COMP(3)));
	if (siommu_cpyeng_process(eng, 0) != 1)
		return -EIO;
	CHECK_DEMO(completion(a, COMP(3), ra, &c));
	CHECK_DEMO(siommu_mm_read(b, PROC_B_ONLY, after, PG));
	siommu_mm_get_info(a, &ia);
	if (c.status != SIOMMU_CPYENG_PAGE_FAULT || c.bytes_done || !ia.faults_refused ||
	    memcmp(before, after, PG))
		return -EIO;
	fprintf(out, "   A's copy to 0x%llx, where only B maps memory: A's page request is "
		"answered \"invalid\",\n   the copy ends with a page fault at 0x%" PRIx64
		" after %" PRIu64 " bytes; B's memory untouched\n\n",
		PROC_B_ONLY, c.fault_addr, c.bytes_done);
	siommu_sva_unbind(sa);
	siommu_sva_unbind(sb);
	return 0;
}

static int sva_demo(struct demo *d, FILE *out)
{
	const struct siommu_cpyeng_cfg ec = { .mem = d->mem, .rid = 0x0008 };
	/* Processes of the CPU whose tables the unit walks (siommu/sva.h). */
	enum siommu_mm_cpu cpu = d->smmu ? SIOMMU_MM_CPU_ARM64 : SIOMMU_MM_CPU_X86_64;
	struct siommu_cpyeng *eng;
	struct siommu_mm *a = NULL, *b = NULL;
	int ret;

	CHECK_DEMO(d->smmu ? siommu_cpyeng_create_smmuv3(d->smmu, &ec, &eng) :
			     siommu_cpyeng_create(d->vtd, &ec, &eng));
	ret = siommu_mm_create(d->ctx, &(struct siommu_mm_cfg){ .owner = 100, .cpu = cpu }, &a);
	if (!ret)
		ret = siommu_mm_create(d->ctx, &(struct siommu_mm_cfg){ .owner = 200, .cpu = cpu },
				       &b);
	if (!ret)
		ret = sva_act(d, eng, a, b, out);
	if (b)
		siommu_mm_exit(b);
	if (a)
		siommu_mm_exit(a);
	siommu_cpyeng_destroy(eng);
	return ret;
}

#define GPU_RID		0x0028
#define SURFACE		0x100000ull	/* each client's surface, in its own space */

static int gpu_job(struct siommu_gpu_client *c, struct dev_stats *r,
		   const struct siommu_gpu_job *job, struct siommu_gpu_fault *f)
{
	int ret = siommu_gpu_submit(c, job, f);

	r->dmas++;
	if (ret)
		r->faults++;
	else
		r->bytes += job->len;
	return ret;
}

static int gpu_render(struct siommu_gpu_client *c, struct dev_stats *r, const char *frame)
{
	return gpu_job(c, r, &(struct siommu_gpu_job){ .op = SIOMMU_GPU_WRITE, .dst = SURFACE,
		.len = strlen(frame) + 1, .data = frame }, NULL);
}

/* 6. A GPU's clients on a unit without PASIDs. */
static int gpu_act(struct demo *d, struct siommu_gpu *gpu, struct siommu_gpu_client *a,
		   struct siommu_gpu_client *b, uint64_t surf_a, uint64_t surf_b, FILE *out)
{
	struct dev_stats *ra, *rb;
	struct siommu_gpu_fault f = { 0 };
	char got[16] = { 0 };
	int ret;

	ra = row(d, "GPU", GPU_RID, siommu_gpu_client_pasid(a), "client A");
	rb = row(d, "GPU", GPU_RID, siommu_gpu_client_pasid(b), "client B");
	CHECK_DEMO(siommu_gpu_client_map(a, SURFACE, surf_a, PG, RW));
	CHECK_DEMO(siommu_gpu_client_map(b, SURFACE, surf_b, PG, RW));
	CHECK_DEMO(gpu_render(a, ra, "frame 1 of A"));
	CHECK_DEMO(gpu_render(b, rb, "frame 1 of B"));
	CHECK_DEMO(siommu_mem_read(d->mem, surf_a, got, 13));
	if (strcmp(got, "frame 1 of A"))
		return -EIO;
	fprintf(out, "6. a GPU at 00:05.0 behind a second unit, SMMUv2-style, without PASIDs: "
		"clients A and B have\n   private address spaces (PASIDs %u and %u, kept by the "
		"GPU driver); before each client's job\n   the command processor switches its "
		"context bank's TTBR0 and ASID. Both render at 0x%llx.\n",
		siommu_gpu_client_pasid(a), siommu_gpu_client_pasid(b), SURFACE);

	/* B's job reads A's surface by its physical address: B's table has
	 * nothing there. */
	ret = gpu_job(b, rb, &(struct siommu_gpu_job){ .op = SIOMMU_GPU_READ, .src = surf_a,
		.len = 13, .out = got }, &f);
	if (ret != -EFAULT || !f.reported || f.cb < 0 || f.addr != surf_a)
		return -EIO;
	fprintf(out, "   B's job reads 0x%" PRIx64 ", A's surface in memory: context fault in "
		"bank %d, FAR 0x%" PRIx64 ",\n   FSR 0x%x (%s), live TTBR0 0x%" PRIx64
		" (B's table, ASID %u); the GPU hangs\n", surf_a, f.cb, f.addr, f.reason,
		f.reason & SIOMMU_SMMUV2_FSR_TF ? "translation fault" : "see SMMUv2 10.6.3",
		f.ttbr0, (unsigned int)(f.ttbr0 >> 48));
	if (siommu_gpu_submit(a, &(struct siommu_gpu_job){ .op = SIOMMU_GPU_READ,
		.src = SURFACE, .len = 13, .out = got }, NULL) != -EIO)
		return -EIO;
	siommu_gpu_recover(gpu);
	CHECK_DEMO(gpu_render(a, ra, "frame 2 of A"));
	memset(got, 0, sizeof(got));
	CHECK_DEMO(gpu_job(a, ra, &(struct siommu_gpu_job){ .op = SIOMMU_GPU_READ,
		.src = SURFACE, .len = 13, .out = got }, NULL));
	if (strcmp(got, "frame 2 of A"))
		return -EIO;
	fprintf(out, "   the driver recovers the GPU; A goes on: its next job renders "
		"\"%s\"\n\n", got);
	siommu_gpu_get_stats(gpu, &d->gpu);
	return 0;
}

static int gpu_demo(struct demo *d, FILE *out)
{
	struct siommu_device *dev;
	struct siommu_domain *own;
	struct siommu_gpu *gpu;
	struct siommu_gpu_client *a = NULL, *b = NULL;
	uint64_t surf_a, surf_b;
	int ret;

	CHECK_DEMO(siommu_unit_add_smmuv2(d->ctx, NULL, &d->v2unit));
	CHECK_DEMO(siommu_device_add(d->v2unit, &(struct siommu_device_cfg){
		.rid = GPU_RID, .alias_rid = SIOMMU_NO_ALIAS }, &dev));
	/* The GPU's own space on its RID: its context bank is where the
	 * clients' tables are switched in. */
	CHECK_DEMO(siommu_domain_alloc(d->v2unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own));
	CHECK_DEMO(siommu_device_attach(dev, own));
	CHECK_DEMO(buffer(d, PG, 0, &surf_a));
	CHECK_DEMO(buffer(d, PG, 0, &surf_b));
	CHECK_DEMO(siommu_gpu_create(dev, &gpu));
	ret = siommu_gpu_client_add(gpu, 100, &a);
	if (!ret)
		ret = siommu_gpu_client_add(gpu, 200, &b);
	if (!ret)
		ret = gpu_act(d, gpu, a, b, surf_a, surf_b, out);
	siommu_gpu_client_remove(b);
	siommu_gpu_client_remove(a);
	siommu_gpu_destroy(gpu);
	return ret;
}

static void summary(struct demo *d, FILE *out)
{
	struct siommu_unit_stats us;
	struct siommu_mem_stats ms;
	uint64_t hit, miss, faults;
	unsigned int i;

	fprintf(out, "%-12s %-8s %-6s %-20s %8s %12s %7s\n", "device", "RID", "PASID",
		"address space", "DMAs", "bytes", "faults");
	for (i = 0; i < d->nrows; i++) {
		const struct dev_stats *r = &d->row[i];
		char pasid[12] = "-";

		if (r->pasid)
			snprintf(pasid, sizeof(pasid), "%u", r->pasid);
		fprintf(out, "%-12s %02x:%02x.%x  %-6s %-20s %8" PRIu64 " %12" PRIu64 " %7" PRIu64 "\n",
			r->name, r->rid >> 8, (r->rid >> 3) & 0x1f, r->rid & 7, pasid, r->space,
			r->dmas, r->bytes, r->faults);
	}
	if (d->smmu) {
		struct siommu_smmuv3_stats ss;

		siommu_smmuv3_get_stats(d->smmu, &ss);
		hit = ss.tlb_hit, miss = ss.tlb_miss, faults = ss.faults;
	} else {
		struct siommu_vtd_stats vs;

		siommu_vtd_get_stats(d->vtd, &vs);
		hit = vs.iotlb_hit, miss = vs.iotlb_miss, faults = vs.faults;
	}
	siommu_unit_get_stats(d->unit, &us);
	siommu_mem_get_stats(d->mem, &ms);
	fprintf(out, "\nunit: %s %.1f%% hits (%" PRIu64 " hits, %" PRIu64 " misses), %" PRIu64
		" faults; driver: %" PRIu64 " %s, %" PRIu64 " %s;\npage-table pages in use: %"
		PRIu64 ", hardware structures: %" PRIu64 " KiB\n", d->smmu ? "TLB" : "IOTLB",
		100.0 * hit / (hit + miss ? hit + miss : 1), hit, miss, faults, us.inv_descriptors,
		d->smmu ? "commands" : "invalidation descriptors", us.inv_waits,
		d->smmu ? "CMD_SYNCs" : "waits", ms.in_use[SIOMMU_MEM_PT] >> 12,
		ms.in_use[SIOMMU_MEM_HW] >> 10);
	if (d->v2unit) {
		struct siommu_smmuv2_stats vs;

		siommu_smmuv2_get_stats(siommu_unit_smmuv2(d->v2unit), &vs);
		fprintf(out, "SMMUv2 unit: TLB %.1f%% hits (%" PRIu64 " hits, %" PRIu64
			" misses), %" PRIu64 " context faults; GPU: %" PRIu64 " jobs, %" PRIu64
			" table switches, %" PRIu64 " recoveries\n",
			100.0 * vs.tlb_hit / (vs.tlb_hit + vs.tlb_miss ?: 1), vs.tlb_hit,
			vs.tlb_miss, vs.context_faults, d->gpu.jobs, d->gpu.switches,
			d->gpu.recoveries);
	}
}

int demo_run(FILE *out, enum demo_unit unit)
{
	struct demo d = { 0 };
	int ret;

	ret = siommu_ctx_create(NULL, &d.ctx);
	if (ret)
		return ret;
	d.mem = siommu_ctx_mem(d.ctx);
	ret = unit == DEMO_SMMUV3 ? siommu_unit_add_smmuv3(d.ctx, NULL, &d.unit) :
				    siommu_unit_add_vtd(d.ctx, NULL, &d.unit);
	if (!ret) {
		d.vtd = siommu_unit_vtd(d.unit);
		d.smmu = siommu_unit_smmuv3(d.unit);
		ret = run(&d, out);
	}
	if (!ret)
		ret = sva_demo(&d, out);
	if (!ret)
		ret = gpu_demo(&d, out);
	if (!ret)
		summary(&d, out);
	siommu_ctx_destroy(d.ctx);
	return ret;
}
