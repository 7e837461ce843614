/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench core`: the PASID allocator (bench_core_pasid.c), then the
 * core's strict unmap path and PASID attach, each against walk4 (report
 * only).
 *
 * domain_map_unmap_4k_strict: map one 4K page into a first-stage domain
 * attached to a device's RID and to one of its PASIDs, then unmap it: the
 * page-table update, one PASID-based IOTLB invalidation per attachment and
 * the wait descriptor, processed by the model inside the IQT write. The
 * page's table levels stay (a single page never empties a level), so every
 * operation does the same work.
 *
 * pasid_attach_detach: attach a second PASID of that device to a mapped
 * domain and detach it: two PASID-entry writes, each followed by PASID-cache
 * and PASID-IOTLB invalidations and a wait. The PASID table page exists
 * after the warm-up, so no allocation is timed.
 *
 * Subject batches are short (a few microseconds per operation); walk4 runs
 * its own longer batch in the same round, as in bench_pt.c.
 */
#include <errno.h>
#include <stdlib.h>

#include <siommu/core.h>

#include "bench.h"

#define IOVA 0x10000000ull
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct core_bench {
	struct siommu_ctx *ctx;
	struct siommu_device *dev;
	struct siommu_domain *dom, *dom2;
	uint32_t pasid, pasid2;
	uint64_t buf;
	int err;
};

static void map_unmap_run(void *arg, uint64_t iters)
{
	struct core_bench *b = arg;
	uint64_t done;

	while (iters--) {
		if (siommu_domain_map(b->dom, IOVA, b->buf, SIOMMU_SZ_4K, RW) ||
		    siommu_domain_unmap(b->dom, IOVA, SIOMMU_SZ_4K, &done) ||
		    done != SIOMMU_SZ_4K)
			b->err = -EIO;
	}
}

static void attach_detach_run(void *arg, uint64_t iters)
{
	struct core_bench *b = arg;

	while (iters--) {
		if (siommu_device_attach_pasid(b->dev, b->pasid2, b->dom2) ||
		    siommu_device_detach_pasid(b->dev, b->pasid2))
			b->err = -EIO;
	}
}

/* @fn in batches of @iters against walk4 in batches of 4096, interleaved. */
static void pair_walk4(struct bench_report *rep, const char *name, bench_fn fn,
		       void *arg, uint64_t iters, struct walk4 *w)
{
	bench_pair_iters(rep, name, fn, arg, iters, "walk4", walk4_run, w, 4096, 0);
}

static int core_bench_setup(struct core_bench *b)
{
	struct siommu_domain_cfg fs = { .type = SIOMMU_DOMAIN_PAGING,
					.stage = SIOMMU_STAGE_FIRST };
	struct siommu_unit *unit;
	struct siommu_pasid_space *space;
	int ret;

	ret = siommu_ctx_create(NULL, &b->ctx);
	if (ret)
		return ret;
	space = siommu_ctx_pasids(b->ctx);
	/* Teardown on any failure is siommu_ctx_destroy(), by the caller. */
	ret = siommu_unit_add_vtd(b->ctx, NULL, &unit);
	if (!ret)
		ret = siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0100, .pasid_bits = 20, .alias_rid = SIOMMU_NO_ALIAS },
			&b->dev);
	if (!ret)
		ret = siommu_mem_frame_alloc(siommu_ctx_mem(b->ctx), SIOMMU_SZ_4K,
					     SIOMMU_MEM_DMA, &b->buf);
	if (!ret)
		ret = siommu_domain_alloc(unit, &fs, &b->dom);
	if (!ret)
		ret = siommu_domain_alloc(unit, &fs, &b->dom2);
	if (!ret)
		ret = siommu_domain_map(b->dom2, IOVA, b->buf, SIOMMU_SZ_4K, RW);
	if (!ret)
		ret = siommu_pasid_alloc(space, 1, SIOMMU_PASID_MAX, 1, &b->pasid);
	if (!ret)
		ret = siommu_pasid_alloc(space, 1, SIOMMU_PASID_MAX, 1, &b->pasid2);
	if (!ret)
		ret = siommu_device_attach(b->dev, b->dom);
	if (!ret)
		ret = siommu_device_attach_pasid(b->dev, b->pasid, b->dom);
	return ret;
}

int bench_core(struct bench_report *rep)
{
	struct core_bench *b;
	struct walk4 *w;
	int ret;

	ret = bench_pasid(rep);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	w = walk4_create();
	ret = -ENOMEM;
	if (!b || !w)
		goto out_free;
	ret = core_bench_setup(b);
	if (ret)
		goto out_destroy;
	pair_walk4(rep, "domain_map_unmap_4k_strict", map_unmap_run, b, 256, w);
	pair_walk4(rep, "pasid_attach_detach", attach_detach_run, b, 256, w);
	ret = b->err;
out_destroy:
	siommu_ctx_destroy(b->ctx);
out_free:
	if (w)
		walk4_destroy(w);
	free(b);
	return ret;
}
