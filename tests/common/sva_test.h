/* SPDX-License-Identifier: MIT */
/*
 * Helpers for SVA tests (siommu/sva.h), on the unit type under test
 * (core_unit.h): a device that DMAs to a process's addresses with its
 * PASID.
 *   - VT-d, SMMUv3 (PASIDs and PRI): a PRI device that, on a translation
 *     fault, sends a page request, waits for the group's response and
 *     retries, as a PCIe device with PRI does (PCIe 10.4).
 *   - SMMUv2 (no PASIDs, no page requests): a device with PASID hooks
 *     (siommu/core.h) that keeps the tables it is handed and DMAs in a
 *     PASID's table by making it live in its bank (TTBR0, TLBIASID,
 *     TLBSYNC) unless it is already, as a GPU's command processor does,
 *     its RID attached to a stage-1 domain of its own. With
 *     SIOMMU_DEV_STALL (test_pri_dev_init() asks for it) a fault in a
 *     bound process's table stalls and the device waits for the end the
 *     stall_end hook reports, then retries or gives up; without it, the
 *     fault is terminated and reported. There are no page requests to
 *     send (test_sva_page_requests() false).
 */
#ifndef SIOMMU_TEST_SVA_H
#define SIOMMU_TEST_SVA_H

#include <errno.h>
#include <pthread.h>
#include <siommu/sva.h>

#include "core_test.h"
#include "core_unit.h"

/* The CPU whose processes the type under test binds: SMMUv3 and SMMUv2
 * walk the Arm64 format, VT-d the x86-64 one (siommu/sva.h). */
static inline enum siommu_mm_cpu test_sva_cpu(void)
{
	return test_unit_type() == TEST_UNIT_VTD ? SIOMMU_MM_CPU_X86_64 : SIOMMU_MM_CPU_ARM64;
}

/* Whether a bound device's faults become page requests that the fault
 * path resolves (PRI, stalls): not on SMMUv2, whose banks terminate
 * them. A test skips its page-request parts there, saying so. */
static inline bool test_sva_page_requests(void)
{
	return test_unit_type() != TEST_UNIT_SMMUV2;
}

/* A process configuration for the type under test. */
#define TEST_MM_CFG(o) (&(struct siommu_mm_cfg){ .owner = (o), .cpu = test_sva_cpu() })

/* The other CPU: a process no unit of the type under test walks. */
static inline enum siommu_mm_cpu test_sva_other_cpu(void)
{
	return test_sva_cpu() == SIOMMU_MM_CPU_ARM64 ? SIOMMU_MM_CPU_X86_64 : SIOMMU_MM_CPU_ARM64;
}

#define TEST_HOOK_TABLES 4

struct test_pri_dev {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	uint16_t rid;
	bool poll;			/* the test drives siommu_iopf_poll() */
	/* SMMUv2: the device's own domain, and under lock (held across
	 * each DMA) the tables it was handed, which one is live in the
	 * bank (live_ttbr 0: its own, own_ttbr), the hooks' calls and the
	 * last table installed, the faults its handler got. */
	struct siommu_domain *own;
	pthread_mutex_t lock;
	struct {
		bool used;
		uint32_t pasid;
		struct siommu_pasid_table t;
	} tab[TEST_HOOK_TABLES];
	uint64_t live_ttbr, own_ttbr;
	unsigned int live_cb;
	unsigned int installs, removes;
	struct siommu_pasid_table last;
	unsigned int faults;
	struct siommu_fault fault;
	uint64_t stall_ends, stall_retries;	/* atomic */
	uint64_t stalls;			/* DMAs that stalled, under lock */
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

/* SMMUv2: the hooks and the fault handler of the device. */
static void test_hook_install(void *arg, struct siommu_device *dev, uint32_t pasid,
			      struct siommu_domain *dom, const struct siommu_pasid_table *t)
{
	struct test_pri_dev *d = arg;
	unsigned int i, slot = TEST_HOOK_TABLES;

	(void)dev;
	(void)dom;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < TEST_HOOK_TABLES; i++) {
		if (d->tab[i].used && d->tab[i].pasid == pasid)
			slot = i;
		else if (!d->tab[i].used && slot == TEST_HOOK_TABLES)
			slot = i;
	}
	CHECK(slot < TEST_HOOK_TABLES);
	d->tab[slot].used = true;
	d->tab[slot].pasid = pasid;
	d->tab[slot].t = *t;
	d->last = *t;
	d->installs++;
	pthread_mutex_unlock(&d->lock);
}

static void test_hook_remove(void *arg, struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom)
{
	struct test_pri_dev *d = arg;
	unsigned int i;

	(void)dev;
	(void)dom;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < TEST_HOOK_TABLES; i++) {
		if (!d->tab[i].used || d->tab[i].pasid != pasid)
			continue;
		/* Back to the own table if this one is live. */
		if (d->live_ttbr == d->tab[i].t.ttbr) {
			CHECK_OK(siommu_smmuv2_mmio_write(siommu_unit_smmuv2(d->unit),
							  SIOMMU_SMMUV2_CB(d->live_cb) +
							  SIOMMU_SMMUV2_CB_TTBR0, 8, d->own_ttbr));
			d->live_ttbr = 0;
		}
		d->tab[i].used = false;
	}
	d->removes++;
	pthread_mutex_unlock(&d->lock);
}

static void test_hook_stall_end(void *arg, struct siommu_device *dev, bool retry)
{
	struct test_pri_dev *d = arg;

	(void)dev;
	if (retry)
		__atomic_fetch_add(&d->stall_retries, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->stall_ends, 1, __ATOMIC_RELEASE);
}

static const struct siommu_pasid_hooks test_hooks = {
	.install_pasid = test_hook_install, .remove_pasid = test_hook_remove,
	.stall_end = test_hook_stall_end,
};

static void test_hook_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct test_pri_dev *d = arg;

	/* In the thread of the faulting DMA, which holds d->lock. */
	(void)dev;
	d->fault = *f;
	d->faults++;
}

/*
 * SMMUv2: a device with PASID hooks at @rid taking @pasid_bits of
 * PASIDs, with @flags (SIOMMU_DEV_STALL: it waits out stalls), its RID
 * attached to a domain of its own.
 */
static inline void test_hook_dev_init(struct test_pri_dev *d, struct siommu_ctx *ctx,
				      struct siommu_unit *unit, uint16_t rid,
				      unsigned int pasid_bits, unsigned int flags)
{
	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->unit = unit;
	d->rid = rid;
	pthread_mutex_init(&d->lock, NULL);
	d->dev = test_dev_add(unit, rid, 0, flags);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &d->own));
	CHECK_OK(siommu_device_attach(d->dev, d->own));
	CHECK_OK(siommu_device_set_pasid_hooks(d->dev, pasid_bits, &test_hooks, d));
	siommu_device_set_fault_handler(d->dev, test_hook_fault, d);
}

/*
 * A device at @rid behind @unit taking @pasid_bits of PASIDs: with PRI
 * and @flags added where the unit has PASIDs; on SMMUv2 one with PASID
 * hooks that waits out stalls (@flags without ATS and PRI).
 */
static inline void test_pri_dev_init(struct test_pri_dev *d, struct siommu_ctx *ctx,
				     struct siommu_unit *unit, uint16_t rid,
				     unsigned int pasid_bits, unsigned int flags)
{
	if (test_unit_type() == TEST_UNIT_SMMUV2) {
		test_hook_dev_init(d, ctx, unit, rid, pasid_bits,
				   test_unit_dev_flags(flags) | SIOMMU_DEV_STALL);
		return;
	}
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
	if (test_unit_type() == TEST_UNIT_SMMUV2) {
		siommu_device_remove(d->dev);
		CHECK_OK(siommu_domain_free(d->own));
		pthread_mutex_destroy(&d->lock);
		return;
	}
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
 * -ENOSPC when the queue had no room); -EOPNOTSUPP on SMMUv2, which has
 * no page requests.
 */
#define TEST_PRI_NO_PASID UINT32_MAX
static inline int test_pri_request(struct test_pri_dev *d, uint32_t pasid, uint64_t addr,
				   bool write, uint16_t prgi, bool last, uint64_t priv)
{
	if (test_unit_type() == TEST_UNIT_SMMUV2)
		return -EOPNOTSUPP;
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
 * One pass of a wait for the answer to a fault of @d: run the fault path
 * if the test drives it (poll mode), else yield. An answer that has not
 * come 30 s after @t0 fails the test.
 */
static inline void test_pri_wait_step(struct test_pri_dev *d, const struct timespec *t0)
{
	struct timespec t;

	if (d->poll)
		siommu_iopf_poll(d->ctx, 0);
	else
		sched_yield();
	clock_gettime(CLOCK_MONOTONIC, &t);
	CHECK(t.tv_sec - t0->tv_sec < 30);
}

/* Wait for the stall_end call after the first @ends; whether it retried. */
static inline bool test_hook_stall_wait(struct test_pri_dev *d, uint64_t ends,
					uint64_t retries)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&d->stall_ends, __ATOMIC_ACQUIRE) == ends)
		test_pri_wait_step(d, &t0);
	return __atomic_load_n(&d->stall_retries, __ATOMIC_RELAXED) != retries;
}

/*
 * SMMUv2: the DMA in @pasid's table, made live in the bank first. A
 * stall is waited out, under the device's lock as a DMA engine's
 * transaction is: -EAGAIN when it ended with a retry (from *done on),
 * -EFAULT when aborted.
 */
static inline int test_hook_dma(struct test_pri_dev *d, uint32_t pasid, uint64_t addr,
				void *buf, size_t len, bool write, size_t *done)
{
	uint64_t ends, retries;
	struct siommu_smmuv2 *s = siommu_unit_smmuv2(d->unit);
	const struct siommu_smmuv2_req req = { .sid = d->rid, .iova = addr };
	const struct siommu_pasid_table *t = NULL;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < TEST_HOOK_TABLES; i++)
		if (d->tab[i].used && d->tab[i].pasid == pasid)
			t = &d->tab[i].t;
	if (!t) {
		pthread_mutex_unlock(&d->lock);
		if (done)
			*done = 0;
		return -ENOENT;
	}
	if (d->live_ttbr != t->ttbr) {
		uint64_t cb = SIOMMU_SMMUV2_CB(t->cb);

		if (!d->live_ttbr)
			CHECK_OK(siommu_smmuv2_mmio_read(s, cb + SIOMMU_SMMUV2_CB_TTBR0, 8,
							 &d->own_ttbr));
		CHECK_OK(siommu_smmuv2_mmio_write(s, cb + SIOMMU_SMMUV2_CB_TTBR0, 8, t->ttbr));
		CHECK_OK(siommu_smmuv2_mmio_write(s, cb + SIOMMU_SMMUV2_CB_TLBIASID, 4, t->asid));
		CHECK_OK(siommu_smmuv2_mmio_write(s, cb + SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0));
		d->live_ttbr = t->ttbr;
		d->live_cb = t->cb;
	}
	/* Held across the DMA, so that a remove hook waits for it. */
	ends = __atomic_load_n(&d->stall_ends, __ATOMIC_ACQUIRE);
	retries = __atomic_load_n(&d->stall_retries, __ATOMIC_ACQUIRE);
	ret = write ? siommu_smmuv2_dma_write(s, &req, buf, len, done, NULL) :
		      siommu_smmuv2_dma_read(s, &req, buf, len, done, NULL);
	if (ret == -EAGAIN) {
		d->stalls++;
		ret = test_hook_stall_wait(d, ends, retries) ? -EAGAIN : -EFAULT;
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/*
 * DMA of @len bytes at @addr by the device with @pasid through its unit:
 * 0, or the model's error with *done (may be NULL) the bytes moved;
 * on SMMUv2 -ENOENT too, when the device has no table for @pasid, and
 * test_hook_dma()'s results for a stall.
 */
static inline int test_pri_dma_once(struct test_pri_dev *d, uint32_t pasid, uint64_t addr,
				    void *buf, size_t len, bool write, size_t *done)
{
	if (test_unit_type() == TEST_UNIT_SMMUV2)
		return test_hook_dma(d, pasid, addr, buf, len, write, done);
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
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = test_pri_request(d, pasid, addr, write, prgi, true, addr ^ 0x5a5a);
	CHECK(ret == 0 || ret == -ENOSPC);
	while (__atomic_load_n(&d->resp_seen[prgi], __ATOMIC_ACQUIRE) == seen)
		test_pri_wait_step(d, &t0);
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
		if (test_unit_type() == TEST_UNIT_SMMUV2) {
			/* The stall was the page request: retried, or
			 * aborted ("invalid request"); a PASID the device
			 * was not handed is one it cannot reach at all. */
			CHECK(ret == -EAGAIN || ret == -EFAULT || ret == -ENOENT);
			c = ret == -EAGAIN ? 0 : 1;
		} else {
			CHECK_EQ(ret, -EFAULT);
			c = test_pri_fault(d, pasid, addr + done, write);
		}
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
