/* SPDX-License-Identifier: MIT */
/*
 * Helpers for SVA tests (siommu/sva.h), on the unit type under test
 * (core_unit.h: VT-d or SMMUv3, the types with PASIDs and PRI): a PRI
 * device that DMAs to a process's addresses with its PASID, and on a
 * translation fault sends a page request, waits for the group's response
 * and retries, as a PCIe device with PRI does (PCIe 10.4).
 */
#ifndef SIOMMU_TEST_SVA_H
#define SIOMMU_TEST_SVA_H

#include <errno.h>
#include <siommu/atsdev.h>
#include <siommu/cpyeng.h>
#include <siommu/sva.h>

#include "core_test.h"
#include "core_unit.h"

/* The CPU whose processes the type under test binds: SMMUv3 walks the
 * Arm64 format, VT-d the x86-64 one (siommu/sva.h). */
static inline enum siommu_mm_cpu test_sva_cpu(void)
{
	return test_unit_type() == TEST_UNIT_SMMUV3 ? SIOMMU_MM_CPU_ARM64 : SIOMMU_MM_CPU_X86_64;
}

/* The device kit, and the copy engine on it, behind @unit of the type
 * under test. */
static inline int test_atsdev_create(struct siommu_unit *unit,
				     const struct siommu_atsdev_cfg *cfg,
				     struct siommu_atsdev **out)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		return siommu_atsdev_create_smmuv3(siommu_unit_smmuv3(unit), cfg, out);
	return siommu_atsdev_create(siommu_unit_vtd(unit), cfg, out);
}

static inline int test_cpyeng_create(struct siommu_unit *unit,
				     const struct siommu_cpyeng_cfg *cfg,
				     struct siommu_cpyeng **out)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		return siommu_cpyeng_create_smmuv3(siommu_unit_smmuv3(unit), cfg, out);
	return siommu_cpyeng_create(siommu_unit_vtd(unit), cfg, out);
}

/* A process configuration for the type under test. */
#define TEST_MM_CFG(o) (&(struct siommu_mm_cfg){ .owner = (o), .cpu = test_sva_cpu() })

/* The other CPU: a process no unit of the type under test walks. */
static inline enum siommu_mm_cpu test_sva_other_cpu(void)
{
	return test_sva_cpu() == SIOMMU_MM_CPU_ARM64 ? SIOMMU_MM_CPU_X86_64 : SIOMMU_MM_CPU_ARM64;
}

struct test_pri_dev {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	uint16_t rid;
	bool poll;			/* the test drives siommu_iopf_poll() */
	/* Responses by group index, written by the unit's callback, with
	 * PCIe's codes (0 success, 1 invalid request, 0xf failure). */
	uint32_t resp_seen[512];	/* count of responses */
	uint8_t resp_code[512];
	uint64_t resp_priv[512];
	uint32_t next_prgi;
	uint64_t responses, auto_responses;
};

static void test_pri_resp(struct test_pri_dev *d, uint16_t prgi, uint8_t code, uint64_t priv,
			  bool auto_response)
{
	__atomic_store_n(&d->resp_code[prgi], code, __ATOMIC_RELAXED);
	__atomic_store_n(&d->resp_priv[prgi], priv, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->responses, 1, __ATOMIC_RELAXED);
	if (auto_response)
		__atomic_fetch_add(&d->auto_responses, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->resp_seen[prgi], 1, __ATOMIC_RELEASE);
}

static void test_pri_page_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	test_pri_resp(opaque, r->prgi, r->code, r->priv_data_present ? r->priv_data[0] : 0,
		      r->auto_response);
}

static void test_pri_devtlb(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	(void)opaque;
	(void)inv;
}

static const struct siommu_vtd_dev_ops test_pri_ops = {
	.devtlb_inv = test_pri_devtlb,
	.page_resp = test_pri_page_resp,
};

static void test_pri_smmu_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	/* CMD_PRI_RESP.Resp (SMMUv3 4.6.1) to the PCIe code. */
	static const uint8_t code[] = { 1, 0xf, 0 };

	test_pri_resp(opaque, r->prgi, r->resp < 3 ? code[r->resp] : 0xf, 0, r->auto_response);
}

static void test_pri_smmu_atc(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	(void)opaque;
	(void)inv;
}

static const struct siommu_smmuv3_dev_ops test_pri_smmu_ops = {
	.atc_inv = test_pri_smmu_atc,
	.pri_resp = test_pri_smmu_resp,
};

/* A PRI device with 20-bit PASIDs (@flags added) at @rid behind @unit. */
static inline void test_pri_dev_init(struct test_pri_dev *d, struct siommu_ctx *ctx,
				     struct siommu_unit *unit, uint16_t rid,
				     unsigned int pasid_bits, unsigned int flags)
{
	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->unit = unit;
	d->rid = rid;
	d->dev = test_dev_add(unit, rid, pasid_bits, SIOMMU_DEV_PRI | flags);
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		CHECK_OK(siommu_smmuv3_dev_register(siommu_unit_smmuv3(unit), rid,
						    &test_pri_smmu_ops, d));
	else
		CHECK_OK(siommu_vtd_dev_register(siommu_unit_vtd(unit), rid, &test_pri_ops, d));
}

static inline void test_pri_dev_fini(struct test_pri_dev *d)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3)
		siommu_smmuv3_dev_unregister(siommu_unit_smmuv3(d->unit), d->rid);
	else
		siommu_vtd_dev_unregister(siommu_unit_vtd(d->unit), d->rid);
	siommu_device_remove(d->dev);
}

/*
 * The device sends a page request for the page at @addr, for a read or a
 * @write, with @pasid (TEST_PRI_NO_PASID: none), in group @prgi (@last
 * ends it), private data @priv where the bus carries it (VT-d; SMMUv3's
 * PRI queue has none). Returns what the model's call returned (0,
 * -ENOSPC when the queue had no room).
 */
#define TEST_PRI_NO_PASID UINT32_MAX
static inline int test_pri_request(struct test_pri_dev *d, uint32_t pasid, uint64_t addr,
				   bool write, uint16_t prgi, bool last, uint64_t priv)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3) {
		const struct siommu_smmuv3_page_req pr = {
			.sid = d->rid, .ssv = pasid != TEST_PRI_NO_PASID,
			.ssid = pasid != TEST_PRI_NO_PASID ? pasid : 0, .addr = addr & ~0xfffull,
			.access = write ? SIOMMU_SMMUV3_WRITE : SIOMMU_SMMUV3_READ,
			.prgi = prgi, .last = last,
		};

		return siommu_smmuv3_page_request(siommu_unit_smmuv3(d->unit), &pr);
	}
	const struct siommu_vtd_page_req pr = {
		.rid = d->rid, .pasid_present = pasid != TEST_PRI_NO_PASID,
		.pasid = pasid != TEST_PRI_NO_PASID ? pasid : 0, .addr = addr & ~0xfffull,
		.access = write ? SIOMMU_VTD_WRITE : SIOMMU_VTD_READ,
		.prgi = prgi, .last = last,
		.priv_data_present = true, .priv_data = { priv, 0 },
	};

	return siommu_vtd_page_request(siommu_unit_vtd(d->unit), &pr);
}

/*
 * DMA of @len bytes at @addr by the device with @pasid through its unit:
 * 0, or the model's error with *done (may be NULL) the bytes moved.
 */
static inline int test_pri_dma_once(struct test_pri_dev *d, uint32_t pasid, uint64_t addr,
				    void *buf, size_t len, bool write, size_t *done)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3) {
		struct siommu_smmuv3 *s = siommu_unit_smmuv3(d->unit);
		const struct siommu_smmuv3_req req = { .sid = d->rid, .ssv = true,
						       .ssid = pasid, .iova = addr };

		return write ? siommu_smmuv3_dma_write(s, &req, buf, len, done, NULL) :
			       siommu_smmuv3_dma_read(s, &req, buf, len, done, NULL);
	}
	struct siommu_vtd *v = siommu_unit_vtd(d->unit);
	const struct siommu_vtd_req req = { .rid = d->rid, .pasid_present = true,
					    .pasid = pasid, .iova = addr };

	return write ? siommu_vtd_dma_write(v, &req, buf, len, done, NULL) :
		       siommu_vtd_dma_read(v, &req, buf, len, done, NULL);
}

/*
 * One page request for the page at @addr and the wait for its group's
 * response; returns the response code. Group indices rotate per device,
 * one request in flight per index.
 */
static inline unsigned int test_pri_fault(struct test_pri_dev *d, uint32_t pasid,
					  uint64_t addr, bool write)
{
	uint16_t prgi = (uint16_t)(__atomic_fetch_add(&d->next_prgi, 1, __ATOMIC_RELAXED) % 512);
	uint32_t seen = __atomic_load_n(&d->resp_seen[prgi], __ATOMIC_ACQUIRE);
	struct timespec t0, t;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = test_pri_request(d, pasid, addr, write, prgi, true, addr ^ 0x5a5a);
	CHECK(ret == 0 || ret == -ENOSPC);
	while (__atomic_load_n(&d->resp_seen[prgi], __ATOMIC_ACQUIRE) == seen) {
		if (d->poll)
			siommu_iopf_poll(d->ctx, 0);
		else
			sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		CHECK(t.tv_sec - t0.tv_sec < 30);
	}
	return __atomic_load_n(&d->resp_code[prgi], __ATOMIC_RELAXED);
}

/*
 * DMA of @len bytes at @addr of the process bound with @pasid, as a PRI
 * device does it: a fault sends a page request for the faulting page and
 * the DMA is retried after "success"; "invalid request" ends it.
 * Returns 0, or -EFAULT with *code (optional) the response that ended it.
 */
static inline int test_pri_dma(struct test_pri_dev *d, uint32_t pasid, uint64_t addr,
			       void *buf, size_t len, bool write, unsigned int *code)
{
	unsigned int tries;

	for (tries = 0; tries < 64; tries++) {
		size_t done = 0;
		unsigned int c;
		int ret;

		ret = test_pri_dma_once(d, pasid, addr, buf, len, write, &done);
		if (!ret)
			return 0;
		CHECK_EQ(ret, -EFAULT);
		c = test_pri_fault(d, pasid, addr + done, write);
		if (c != 0) {
			if (code)
				*code = c;
			return -EFAULT;
		}
		addr += done;
		buf = (char *)buf + done;
		len -= done;
	}
	fprintf(stderr, "DMA at 0x%" PRIx64 " kept faulting\n", addr);
	exit(1);
}

#endif
