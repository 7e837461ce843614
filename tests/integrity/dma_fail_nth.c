/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the DMA API: setup (a paging lazy domain, a strict
 * second-stage one, identity, a PASID-only device, a device joining its
 * group's domain), map_single, map_single_host, map_sg, alloc_coherent and
 * enable_pasid. Step 1, 2, 3, ... of each is failed (the context's memory
 * countdown drives the IOVA allocator and the PASID space too) until a run
 * consumes no failure. Each failure returns -ENOMEM and changes nothing
 * observable: DMA state and counters of every device, the domain of its RID
 * and PASIDs, PASIDs in use, DMA probes, DMA buffer and hardware memory.
 * (A failed page-table map may keep levels it allocated, siommu/pt.h, so
 * page-table memory is compared only after teardown.) Sync, unmap, free,
 * flush, PASID disable and teardown consume no step. Afterwards nothing is left allocated.
 */
#include <errno.h>

#include <siommu/dma.h>

#include "test.h"
#include "fail_nth.h"

#define MAX_STEPS 200
#define MAX_DEVS 6

static struct siommu_mem *mem;
static struct siommu_ctx *ctx;
static struct siommu_vtd *hw;
static struct siommu_device *devs[MAX_DEVS];
static unsigned int nr_devs;
static uint64_t probe_iova = 0x5000;
static unsigned int failures;

struct snapshot {
	bool has[MAX_DEVS];
	struct siommu_dma_info info[MAX_DEVS];
	struct siommu_dma_stats st[MAX_DEVS];
	struct siommu_domain *rid_dom[MAX_DEVS];
	int probe[MAX_DEVS];
	uint64_t dma_bytes, hw_bytes;
	uint32_t pasids;
};

static void snap(struct snapshot *s)
{
	struct siommu_mem_stats ms;
	struct siommu_pasid_stats ps;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < nr_devs; i++) {
		struct siommu_device_info di;
		struct siommu_vtd_req req = { .iova = probe_iova };
		uint64_t v;

		s->has[i] = !siommu_dma_get_info(devs[i], &s->info[i]);
		if (s->has[i])
			CHECK_OK(siommu_dma_get_stats(devs[i], &s->st[i]));
		s->rid_dom[i] = siommu_device_domain(devs[i], 0);
		CHECK_OK(siommu_device_get_info(devs[i], &di));
		req.rid = di.rid;
		s->probe[i] = siommu_vtd_dma_read(hw, &req, &v, sizeof(v), NULL, NULL);
	}
	siommu_mem_get_stats(mem, &ms);
	s->dma_bytes = ms.in_use[SIOMMU_MEM_DMA];
	s->hw_bytes = ms.in_use[SIOMMU_MEM_HW];
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &ps);
	s->pasids = ps.in_use;
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	unsigned int i;

	for (i = 0; i < nr_devs; i++) {
		CHECK_EQ(a->has[i], b->has[i]);
		CHECK(!memcmp(&a->info[i], &b->info[i], sizeof(a->info[i])));
		CHECK_EQ(a->st[i].maps, b->st[i].maps);
		CHECK_EQ(a->st[i].live, b->st[i].live);
		CHECK_EQ(a->st[i].queued, b->st[i].queued);
		CHECK_EQ(a->rid_dom[i], b->rid_dom[i]);
		CHECK_EQ(a->probe[i], b->probe[i]);
	}
	CHECK_EQ(a->dma_bytes, b->dma_bytes);
	CHECK_EQ(a->hw_bytes, b->hw_bytes);
	CHECK_EQ(a->pasids, b->pasids);
}


static struct siommu_device *dev_add(struct siommu_unit *unit, uint16_t rid,
				     unsigned int bits, unsigned int flags, uint32_t key)
{
	struct siommu_device *d;

	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = rid, .pasid_bits = bits, .flags = flags, .isolation_key = key,
		.alias_rid = SIOMMU_NO_ALIAS }, &d));
	devs[nr_devs++] = d;
	return d;
}

/* Map, sg, coherent and PASID sweeps on one set-up device. */
static void sweep_ops(struct siommu_device *d, const char *name, uint64_t buf)
{
	struct siommu_dma_sg sg[3] = {
		{ .pa = buf, .len = 0x1000 }, { .pa = buf + 0x1000, .len = 0x800 },
		{ .pa = buf + 0x3000, .len = 0x10 },
	};
	struct siommu_dma_info info;
	uint64_t iova, iova2, iova3;
	char what[64];
	void *host = siommu_mem_host(mem, buf, 0x4000);
	uint32_t pasid;

	snprintf(what, sizeof(what), "%s map_single", name);
	SWEEP(what, siommu_dma_map_single(d, buf + 8, 0x1000, SIOMMU_DMA_TO_DEVICE, &iova));
	snprintf(what, sizeof(what), "%s map_single_host", name);
	SWEEP(what, siommu_dma_map_single_host(d, (char *)host + 0x2000, 0x100,
					       SIOMMU_DMA_FROM_DEVICE, &iova3));
	snprintf(what, sizeof(what), "%s map_sg", name);
	SWEEP(what, siommu_dma_map_sg(d, sg, 3, SIOMMU_DMA_BIDIRECTIONAL));
	snprintf(what, sizeof(what), "%s alloc_coherent", name);
	SWEEP(what, siommu_dma_alloc_coherent(d, 0x3000, NULL, NULL, &iova2));
	struct siommu_device_info di;

	CHECK_OK(siommu_dma_get_info(d, &info));
	CHECK_OK(siommu_device_get_info(d, &di));
	if (!info.pasid && di.pasid_bits) {
		snprintf(what, sizeof(what), "%s enable_pasid", name);
		SWEEP(what, siommu_dma_enable_pasid(d, &pasid));
		NO_STEP(CHECK_OK(siommu_dma_disable_pasid(d)));
	}
	NO_STEP(CHECK_OK(siommu_dma_sync_single_for_cpu(d, iova, 0x1000, SIOMMU_DMA_TO_DEVICE)));
	NO_STEP(CHECK_OK(siommu_dma_sync_single_for_device(d, iova2, 0x3000,
							   SIOMMU_DMA_BIDIRECTIONAL)));
	NO_STEP(CHECK_OK(siommu_dma_sync_sg_for_cpu(d, sg, 3, SIOMMU_DMA_BIDIRECTIONAL)));
	NO_STEP(CHECK_OK(siommu_dma_sync_sg_for_device(d, sg, 3, SIOMMU_DMA_BIDIRECTIONAL)));
	NO_STEP(CHECK_OK(siommu_dma_unmap_single(d, iova, 0x1000, SIOMMU_DMA_TO_DEVICE)));
	NO_STEP(CHECK_OK(siommu_dma_unmap_single(d, iova3, 0x100, SIOMMU_DMA_FROM_DEVICE)));
	NO_STEP(CHECK_OK(siommu_dma_unmap_sg(d, sg, 3, SIOMMU_DMA_BIDIRECTIONAL)));
	NO_STEP(CHECK_OK(siommu_dma_free_coherent(d, 0x3000, iova2)));
	NO_STEP(CHECK_OK(siommu_dma_flush(d)));
}

int main(void)
{
	struct siommu_ctx_cfg ccfg;
	struct siommu_unit *unit;
	struct siommu_device *lazy, *ss, *ident, *ponly, *g1, *g2;
	struct siommu_mem_stats ms0, ms;
	uint64_t buf, iova;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	ccfg = (struct siommu_ctx_cfg){ .mem = mem };
	siommu_mem_get_stats(mem, &ms0);
	CHECK_OK(siommu_ctx_create(&ccfg, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	hw = siommu_unit_vtd(unit);
	CHECK_OK(siommu_mem_frame_alloc(mem, 0x4000, SIOMMU_MEM_DMA, &buf));

	lazy = dev_add(unit, 0x0100, 20, 0, 0);
	ss = dev_add(unit, 0x0200, 20, 0, 0);
	ident = dev_add(unit, 0x0300, 20, 0, 0);
	ponly = dev_add(unit, 0x0400, 10, SIOMMU_DEV_PASID_ONLY, 0);
	g1 = dev_add(unit, 0x0500, 0, 0, 7);
	g2 = dev_add(unit, 0x0508, 0, 0, 7);

	fprintf(stderr, "fail-nth sweeps:\n");
	SWEEP("setup lazy", siommu_dma_setup(lazy, &(struct siommu_dma_cfg){
		.policy = SIOMMU_DMA_LAZY }));
	SWEEP("setup strict second stage", siommu_dma_setup(ss, &(struct siommu_dma_cfg){
		.policy = SIOMMU_DMA_STRICT, .stage = SIOMMU_STAGE_SECOND }));
	SWEEP("setup identity", siommu_dma_setup(ident, &(struct siommu_dma_cfg){
		.passthrough = true }));
	SWEEP("setup PASID-only", siommu_dma_setup(ponly, NULL));
	SWEEP("setup group first", siommu_dma_setup(g1, NULL));
	SWEEP("setup group shared", siommu_dma_setup(g2, NULL));
	/* A mapping the probes see (from every device of lazy's domain). */
	CHECK_OK(siommu_dma_map_single(lazy, buf, 8, SIOMMU_DMA_TO_DEVICE, &iova));
	probe_iova = iova;

	sweep_ops(lazy, "lazy", buf);
	sweep_ops(ss, "strict", buf);
	sweep_ops(ident, "identity", buf);
	sweep_ops(ponly, "PASID-only", buf);
	sweep_ops(g2, "group", buf);

	NO_STEP(siommu_dma_teardown(g1));
	NO_STEP(siommu_dma_teardown(g2));
	NO_STEP(siommu_dma_teardown(ponly));
	NO_STEP(siommu_dma_teardown(ident));
	NO_STEP(siommu_dma_teardown(ss));
	NO_STEP(siommu_dma_teardown(lazy));	/* with a live mapping */
	siommu_mem_get_stats(mem, &ms);
	CHECK_EQ(ms.in_use[SIOMMU_MEM_DMA], 0x4000);
	siommu_ctx_destroy(ctx);
	siommu_mem_frame_free(mem, buf, 0x4000, SIOMMU_MEM_DMA);
	siommu_mem_get_stats(mem, &ms);
	for (unsigned int p = 0; p < SIOMMU_MEM_NR_PURPOSES; p++)
		CHECK_EQ(ms.in_use[p], ms0.in_use[p]);
	CHECK(failures > 0);
	siommu_mem_destroy(mem);
	return 0;
}
