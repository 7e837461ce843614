/* SPDX-License-Identifier: MIT */
/*
 * Helpers for SVA tests (siommu/sva.h): a PRI device that DMAs to a
 * process's addresses with its PASID, and on a translation fault sends a
 * page request, waits for the group's response and retries, as a PCIe
 * device with PRI does (PCIe 10.4).
 */
#ifndef SIOMMU_TEST_SVA_H
#define SIOMMU_TEST_SVA_H

#include <errno.h>
#include <siommu/sva.h>

#include "core_test.h"

struct test_pri_dev {
	struct siommu_ctx *ctx;
	struct siommu_vtd *vtd;
	struct siommu_device *dev;
	uint16_t rid;
	bool poll;			/* the test drives siommu_iopf_poll() */
	/* Responses by group index, written by the unit's callback. */
	uint32_t resp_seen[512];	/* count of responses */
	uint8_t resp_code[512];
	uint64_t resp_priv[512];
	uint32_t next_prgi;
	uint64_t responses, auto_responses;
};

static void test_pri_page_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	struct test_pri_dev *d = opaque;

	__atomic_store_n(&d->resp_code[r->prgi], r->code, __ATOMIC_RELAXED);
	__atomic_store_n(&d->resp_priv[r->prgi], r->priv_data_present ? r->priv_data[0] : 0,
			 __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->responses, 1, __ATOMIC_RELAXED);
	if (r->auto_response)
		__atomic_fetch_add(&d->auto_responses, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->resp_seen[r->prgi], 1, __ATOMIC_RELEASE);
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

/* A PRI device with 20-bit PASIDs (@flags added) at @rid behind @unit. */
static inline void test_pri_dev_init(struct test_pri_dev *d, struct siommu_ctx *ctx,
				     struct siommu_unit *unit, uint16_t rid,
				     unsigned int pasid_bits, unsigned int flags)
{
	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->vtd = siommu_unit_vtd(unit);
	d->rid = rid;
	d->dev = test_dev_add(unit, rid, pasid_bits, SIOMMU_DEV_PRI | flags);
	CHECK_OK(siommu_vtd_dev_register(d->vtd, rid, &test_pri_ops, d));
}

static inline void test_pri_dev_fini(struct test_pri_dev *d)
{
	siommu_vtd_dev_unregister(d->vtd, d->rid);
	siommu_device_remove(d->dev);
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
	struct siommu_vtd_page_req pr = {
		.rid = d->rid, .pasid_present = true, .pasid = pasid,
		.addr = addr & ~0xfffull,
		.access = write ? SIOMMU_VTD_WRITE : SIOMMU_VTD_READ,
		.prgi = prgi, .last = true,
		.priv_data_present = true, .priv_data = { addr ^ 0x5a5a, 0 },
	};
	struct timespec t0, t;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = siommu_vtd_page_request(d->vtd, &pr);
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
	struct siommu_vtd_req req = { .rid = d->rid, .pasid_present = true, .pasid = pasid };
	unsigned int tries;

	for (tries = 0; tries < 64; tries++) {
		struct siommu_vtd_xlate res;
		size_t done = 0;
		unsigned int c;
		int ret;

		req.iova = addr;
		ret = write ? siommu_vtd_dma_write(d->vtd, &req, buf, len, &done, &res) :
			      siommu_vtd_dma_read(d->vtd, &req, buf, len, &done, &res);
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
