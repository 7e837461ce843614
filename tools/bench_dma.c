/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench dma`: the DMA API (issue 5, section 6).
 *   iova_alloc_free, iova_alloc_free_tree   the IOVA allocator (bench_iova)
 *   dma_map_unmap_4k_lazy    map_single + unmap_single of 4K on a lazy
 *                            first-stage domain attached to a RID and a
 *                            PASID, flush-queue batches included; against
 *                            walk4, target <= 50
 *   dma_map_unmap_4k_strict  the same, strict: each unmap invalidates both
 *                            attachments and waits; against walk4, <= 200
 *   dma_map_dma_unmap_4k_strict  strict map, a 64-byte device read through
 *                            the VT-d model (so the IOTLB holds the
 *                            entry the unmap must remove), unmap;
 *                            against walk4, report only
 *   dma_map_sg_8             map_sg + unmap_sg of 8 non-contiguous 4K
 *                            segments (lazy); against walk4, report only
 *   dma_map_unmap_4k_lazy.scaling_2t  per-operation time of the lazy pair
 *                            with two threads on one device against one
 *                            thread; target <= 0.6
 *   dma_map_unmap_4k_lazy.scaling_2p  the same in two processes, each on
 *                            its own copy of the domain: what the machine
 *                            gives this code with nothing shared
 */
#include <errno.h>
#include <stdlib.h>

#include <siommu/dma.h>

#include "bench.h"

struct dma_bench {
	struct siommu_ctx *ctx;
	struct siommu_device *dev;
	struct siommu_vtd *vtd;
	uint64_t buf;
	int err;
};

struct dma_arg {
	struct dma_bench *b;
	int err;
};

static void map_unmap_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct dma_bench *b = a->b;

	while (iters--) {
		uint64_t iova;

		if (siommu_dma_map_single(b->dev, b->buf, SIOMMU_SZ_4K,
					  SIOMMU_DMA_BIDIRECTIONAL, &iova) ||
		    siommu_dma_unmap_single(b->dev, iova, SIOMMU_SZ_4K,
					    SIOMMU_DMA_BIDIRECTIONAL))
			a->err = -EIO;
	}
}

static void map_dma_unmap_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct dma_bench *b = a->b;
	uint8_t data[64];

	while (iters--) {
		struct siommu_vtd_req req = { .rid = 0x0100, .len = sizeof(data) };
		size_t done;

		if (siommu_dma_map_single(b->dev, b->buf, SIOMMU_SZ_4K,
					  SIOMMU_DMA_BIDIRECTIONAL, &req.iova) ||
		    siommu_vtd_dma_read(b->vtd, &req, data, sizeof(data), &done, NULL) ||
		    siommu_dma_unmap_single(b->dev, req.iova, SIOMMU_SZ_4K,
					    SIOMMU_DMA_BIDIRECTIONAL))
			a->err = -EIO;
	}
}

static void map_sg_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct dma_bench *b = a->b;
	struct siommu_dma_sg sg[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		sg[i] = (struct siommu_dma_sg){ .pa = b->buf + 2 * i * SIOMMU_SZ_4K,
						.len = SIOMMU_SZ_4K };
	while (iters--) {
		if (siommu_dma_map_sg(b->dev, sg, 8, SIOMMU_DMA_TO_DEVICE) ||
		    siommu_dma_unmap_sg(b->dev, sg, 8, SIOMMU_DMA_TO_DEVICE))
			a->err = -EIO;
	}
}

static int setup(struct dma_bench *b, enum siommu_dma_policy policy)
{
	struct siommu_unit *unit;
	uint32_t pasid;
	int ret;

	ret = siommu_ctx_create(NULL, &b->ctx);
	if (ret)
		return ret;
	/* Teardown on failure is siommu_ctx_destroy(), by the caller. */
	ret = siommu_unit_add_vtd(b->ctx, NULL, &unit);
	if (!ret) {
		b->vtd = siommu_unit_vtd(unit);
		ret = siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0100, .pasid_bits = 20, .alias_rid = SIOMMU_NO_ALIAS },
			&b->dev);
	}
	if (!ret)
		ret = siommu_mem_frame_alloc(siommu_ctx_mem(b->ctx), 16 * SIOMMU_SZ_4K,
					     SIOMMU_MEM_DMA, &b->buf);
	if (!ret)
		ret = siommu_dma_setup(b->dev, &(struct siommu_dma_cfg){ .policy = policy });
	if (!ret)
		ret = siommu_dma_enable_pasid(b->dev, &pasid);
	return ret;
}

int bench_dma(struct bench_report *rep)
{
	struct dma_bench lazy = { 0 }, strict = { 0 };
	struct dma_arg la = { .b = &lazy }, sa = { .b = &strict };
	struct dma_arg t1 = { .b = &lazy }, t2 = { .b = &lazy };
	struct walk4 *w;
	int ret;

	ret = bench_iova(rep);
	if (ret)
		return ret;
	w = walk4_create();
	if (!w)
		return -ENOMEM;
	ret = setup(&lazy, SIOMMU_DMA_LAZY);
	if (!ret)
		ret = setup(&strict, SIOMMU_DMA_STRICT);
	if (ret)
		goto out;
	bench_pair(rep, "dma_map_unmap_4k_lazy", map_unmap_run, &la, "walk4", walk4_run, w,
		   rep->opts->quick ? 1 << 10 : 1 << 14, 50);
	bench_pair(rep, "dma_map_unmap_4k_strict", map_unmap_run, &sa, "walk4", walk4_run, w,
		   rep->opts->quick ? 1 << 6 : 1 << 10, 200);
	bench_pair(rep, "dma_map_dma_unmap_4k_strict", map_dma_unmap_run, &sa, "walk4",
		   walk4_run, w, rep->opts->quick ? 1 << 6 : 1 << 10, 0);
	bench_pair(rep, "dma_map_sg_8", map_sg_run, &la, "walk4", walk4_run, w,
		   rep->opts->quick ? 1 << 8 : 1 << 12, 0);
	bench_scaling(rep, "dma_map_unmap_4k_lazy", map_unmap_run,
		      (void *const[2]){ &t1, &t2 }, 0.6);
	ret = la.err ? la.err : sa.err ? sa.err : t1.err ? t1.err : t2.err;
out:
	siommu_ctx_destroy(lazy.ctx);
	siommu_ctx_destroy(strict.ctx);
	walk4_destroy(w);
	return ret;
}
