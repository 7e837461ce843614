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
 *     shown with its reason (VT-d) or event (SMMUv3).
 * The acts are the same on both units: the OS half's API does not change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <siommu/core.h>
#include <siommu/dma.h>

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
	struct dev_stats row[8];
	unsigned int nrows;
	unsigned int faults_seen;
	struct siommu_fault last_fault;
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
		.rid = 0x0008, .pasid_bits = 20, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &ce));
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0010, .pasid_bits = 8, .flags = SIOMMU_DEV_PASID_ONLY,
		.alias_rid = SIOMMU_NO_ALIAS }, &acc));
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0018, .isolation_key = 3, .alias_rid = SIOMMU_NO_ALIAS }, &nic));
	CHECK_DEMO(siommu_device_add(d->unit, &(struct siommu_device_cfg){
		.rid = 0x0019, .pasid_bits = 16, .isolation_key = 3,
		.alias_rid = SIOMMU_NO_ALIAS }, &crypto));
	siommu_device_set_fault_handler(ce, on_fault, d);
	fprintf(out, "devices: 00:01.0 copy engine (PASID 20 bits, ATS), 00:02.0 accelerator "
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
		summary(&d, out);
	siommu_ctx_destroy(d.ctx);
	return ret;
}
