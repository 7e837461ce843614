/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench sva`: shared virtual addressing, on VT-d and on SMMUv3
 * (rows suffixed .smmuv3: PRI through its queue and CMD_PRI_RESP, an Arm64
 * process's table walked as stage 1 of its CD), in the same run against
 * the same baselines:
 *   iopf_roundtrip_worker  a page request for a resident page of a bound
 *                          process, answered by the context's fault worker,
 *                          from the request to the device seeing the
 *                          response; against thread_handoff, reported
 *   iopf_roundtrip_poll    the same with the fault path in poll mode, the
 *                          requesting thread polling; against
 *                          thread_handoff, reported
 *   sva_dma_read_4k_warm   a 4K device read of a process's page through
 *                          its PASID, translation cached; against
 *                          memcpy_4k, target <= 1.3
 *   bind_unbind            siommu_sva_bind() + siommu_sva_unbind() of a
 *                          device to a living process (its PASID kept);
 *                          against walk4, reported
 * thread_handoff is the bare cost of what a worker adds: a request handed
 * to a thread waiting on a condition variable, and the answer spun for
 * by the requester.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/sva.h>

#include "bench.h"

#define RID 0x0100

struct sva_bench {
	const char *suffix;		/* of its rows' names */
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_vtd *vtd;		/* one of the two */
	struct siommu_smmuv3 *smmu;
	struct siommu_device *dev, *dev2;
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	uint32_t pasid;
	uint64_t va;
	uint64_t responses;		/* written by the response callback */
	bool poll;
	int err;
};

static void page_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	struct sva_bench *b = opaque;

	if (r->code)
		b->err = -EIO;
	__atomic_fetch_add(&b->responses, 1, __ATOMIC_RELEASE);
}

static void devtlb_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	(void)opaque;
	(void)inv;
}

static const struct siommu_vtd_dev_ops dev_ops = { devtlb_inv, page_resp };

static void pri_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	struct sva_bench *b = opaque;

	if (r->resp != 2)	/* CMD_PRI_RESP success (SMMUv3 4.6.1) */
		b->err = -EIO;
	__atomic_fetch_add(&b->responses, 1, __ATOMIC_RELEASE);
}

static const struct siommu_smmuv3_dev_ops smmu_dev_ops = { .pri_resp = pri_resp };

/* One page request of the bound device for the resident page, in @prgi. */
static int page_request(struct sva_bench *b, uint16_t prgi)
{
	if (b->smmu)
		return siommu_smmuv3_page_request(b->smmu, &(struct siommu_smmuv3_page_req){
			.sid = RID, .ssv = true, .ssid = b->pasid, .addr = b->va,
			.access = SIOMMU_SMMUV3_READ, .prgi = prgi, .last = true });
	return siommu_vtd_page_request(b->vtd, &(struct siommu_vtd_page_req){
		.rid = RID, .pasid_present = true, .pasid = b->pasid, .addr = b->va,
		.access = SIOMMU_VTD_READ, .prgi = prgi, .last = true });
}

static void iopf_run(void *arg, uint64_t iters)
{
	struct sva_bench *b = arg;

	while (iters--) {
		uint64_t want = __atomic_load_n(&b->responses, __ATOMIC_RELAXED) + 1;

		if (page_request(b, (uint16_t)(want % 512))) {
			b->err = -EIO;
			return;
		}
		while (__atomic_load_n(&b->responses, __ATOMIC_ACQUIRE) < want) {
			if (b->poll)
				siommu_iopf_poll(b->ctx, 1);
			else
				sched_yield();
		}
	}
}

/* The bare handoff: a request to a thread waiting on a condition
 * variable, the answer spun for as the device spins for its response. */
struct handoff {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t req, resp;
	bool stop;
	pthread_t th;
};

static void *handoff_server(void *arg)
{
	struct handoff *h = arg;
	uint64_t seen = 0;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (h->req == seen && !h->stop)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->stop)
			break;
		seen = h->req;
		__atomic_store_n(&h->resp, seen, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void handoff_run(void *arg, uint64_t iters)
{
	struct handoff *h = arg;

	while (iters--) {
		uint64_t want;

		pthread_mutex_lock(&h->lock);
		want = ++h->req;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		while (__atomic_load_n(&h->resp, __ATOMIC_ACQUIRE) < want)
			sched_yield();
	}
}

/* Cache-line aligned, as memcpy_4k's buffers are (bench_vtd.c). */
struct dma_arg {
	char buf[4096];
	struct sva_bench *b;
};

static void dma_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct siommu_vtd_req r = { .rid = RID, .pasid_present = true, .pasid = a->b->pasid,
				    .iova = a->b->va };
	size_t done;

	while (iters--) {
		if (siommu_vtd_dma_read(a->b->vtd, &r, a->buf, 4096, &done, NULL))
			a->b->err = -EIO;
		bench_sink((uint64_t)(uintptr_t)a->buf);
	}
}

/* The same through the SMMUv3 unit: the PASID as the SubstreamID. */
static void smmu_dma_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct siommu_smmuv3_req r = { .sid = RID, .ssv = true, .ssid = a->b->pasid,
				       .iova = a->b->va };
	size_t done;

	while (iters--) {
		if (siommu_smmuv3_dma_read(a->b->smmu, &r, a->buf, 4096, &done, NULL))
			a->b->err = -EIO;
		bench_sink((uint64_t)(uintptr_t)a->buf);
	}
}

static void bind_run(void *arg, uint64_t iters)
{
	struct sva_bench *b = arg;
	struct siommu_sva *s;

	while (iters--) {
		if (siommu_sva_bind(b->dev2, b->mm, &s)) {
			b->err = -EIO;
			return;
		}
		siommu_sva_unbind(s);
	}
}

/* A context with one unit, VT-d or (@smmuv3) SMMUv3, two PRI devices and
 * a process with a resident page bound to the first. */
static int setup(struct sva_bench *b, bool smmuv3)
{
	char page[4096];
	int ret;

	memset(page, 0x5a, sizeof(page));
	b->suffix = smmuv3 ? ".smmuv3" : "";
	ret = siommu_ctx_create(NULL, &b->ctx);
	if (ret)
		return ret;
	/* Teardown on failure is teardown(), by the caller. */
	ret = smmuv3 ? siommu_unit_add_smmuv3(b->ctx, NULL, &b->unit) :
		       siommu_unit_add_vtd(b->ctx, NULL, &b->unit);
	if (!ret) {
		b->vtd = siommu_unit_vtd(b->unit);
		b->smmu = siommu_unit_smmuv3(b->unit);
		ret = siommu_device_add(b->unit, &(struct siommu_device_cfg){
			.rid = RID, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
			.alias_rid = SIOMMU_NO_ALIAS }, &b->dev);
	}
	if (!ret)
		ret = siommu_device_add(b->unit, &(struct siommu_device_cfg){
			.rid = RID + 1, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
			.alias_rid = SIOMMU_NO_ALIAS }, &b->dev2);
	if (!ret)
		ret = smmuv3 ? siommu_smmuv3_dev_register(b->smmu, RID, &smmu_dev_ops, b) :
			       siommu_vtd_dev_register(b->vtd, RID, &dev_ops, b);
	/* The process's CPU is the one whose table the unit walks. */
	if (!ret)
		ret = siommu_mm_create(b->ctx, &(struct siommu_mm_cfg){
			.owner = 1, .cpu = smmuv3 ? SIOMMU_MM_CPU_ARM64 : SIOMMU_MM_CPU_X86_64 },
			&b->mm);
	if (!ret)
		ret = siommu_mm_mmap(b->mm, 0, 16 * 4096, SIOMMU_PROT_READ | SIOMMU_PROT_WRITE,
				     &b->va);
	if (!ret)
		ret = siommu_mm_write(b->mm, b->va, page, sizeof(page));
	if (!ret)
		ret = siommu_sva_bind(b->dev, b->mm, &b->sva);
	if (!ret)
		b->pasid = siommu_sva_pasid(b->sva);
	return ret;
}

static void teardown(struct sva_bench *b)
{
	if (!b->ctx)
		return;
	if (b->sva)
		siommu_sva_unbind(b->sva);
	if (b->mm)
		siommu_mm_exit(b->mm);
	siommu_ctx_destroy(b->ctx);
}

/* @row with the bench's suffix. */
static const char *row(char name[64], const char *row, const struct sva_bench *b)
{
	snprintf(name, 64, "%s%s", row, b->suffix);
	return name;
}

int bench_sva(struct bench_report *rep)
{
	struct sva_bench b[2] = { 0 };
	struct handoff h = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct dma_arg *da = aligned_alloc(64, (sizeof(*da) + 63) & ~(size_t)63);
	char *cbuf = aligned_alloc(64, 8192);
	struct walk4 *w = walk4_create();
	uint64_t rt = rep->opts->quick ? 64 : 1024;
	char name[64];
	unsigned int i;
	int ret = -ENOMEM;

	if (!da || !cbuf || !w)
		goto out;
	memset(cbuf, 0, 8192);
	for (i = 0, ret = 0; i < 2 && !ret; i++)
		ret = setup(&b[i], i == 1);
	if (ret)
		goto out;
	ret = pthread_create(&h.th, NULL, handoff_server, &h) ? -EAGAIN : 0;
	if (ret)
		goto out;
	for (i = 0; i < 2; i++)
		bench_pair(rep, row(name, "iopf_roundtrip_worker", &b[i]), iopf_run, &b[i],
			   "thread_handoff", handoff_run, &h, rt, 0);
	for (i = 0; i < 2 && !ret; i++) {
		ret = siommu_iopf_set_mode(b[i].ctx, SIOMMU_IOPF_POLL);
		b[i].poll = true;
	}
	for (i = 0; i < 2 && !ret; i++)
		bench_pair(rep, row(name, "iopf_roundtrip_poll", &b[i]), iopf_run, &b[i],
			   "thread_handoff", handoff_run, &h, rt, 0);
	pthread_mutex_lock(&h.lock);
	h.stop = true;
	pthread_cond_signal(&h.cond);
	pthread_mutex_unlock(&h.lock);
	pthread_join(h.th, NULL);
	for (i = 0; i < 2; i++) {
		bench_fn fn = b[i].smmu ? smmu_dma_run : dma_run;

		da->b = &b[i];
		/* Warm: the first read fills the IOTLB. */
		fn(da, 1);
		bench_pair(rep, row(name, "sva_dma_read_4k_warm", &b[i]), fn, da, "memcpy_4k",
			   memcpy_4k_run, cbuf, 1 << 12, 1.3);
	}
	for (i = 0; i < 2; i++)
		bench_pair_iters(rep, row(name, "bind_unbind", &b[i]), bind_run, &b[i],
				 rep->opts->quick ? 16 : 256, "walk4", walk4_run, w, 1 << 14, 0);
	for (i = 0; i < 2; i++)
		if (!ret && b[i].err)
			ret = b[i].err;
out:
	for (i = 0; i < 2; i++)
		teardown(&b[i]);
	if (w)
		walk4_destroy(w);
	free(cbuf);
	free(da);
	return ret;
}
