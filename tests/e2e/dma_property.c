/* SPDX-License-Identifier: MIT */
/*
 * The DMA API against a reference model, through the unit's model (each
 * type, core_unit.h). Random
 * operations (map_single of random buffers and directions, map_sg, unmap,
 * bad unmaps, sync, DMA reads and writes with and without PASID at live and
 * dead addresses, flushes) on a strict second-stage domain and a lazy
 * first-stage one (whose PASID, where a PASID takes no second stage, is
 * refused: its DMAs go without one). The model holds the live mappings; after each call the
 * result must be what it predicts:
 *   - a DMA inside a live mapping's pages reads the buffer's pattern, and
 *     reads/writes are allowed as the direction and format say;
 *   - outside every live mapping a DMA faults (strict: at once; lazy: once
 *     the queue was flushed since the unmap; before that either is right);
 *   - refused calls return the predicted error.
 * Memory holds a fixed pattern (pa-derived) that writes preserve.
 */
#include <errno.h>

#include <siommu/dma.h>

#include "core_unit.h"
#include "test.h"

#define NR_OPS 60000
#define MAX_LIVE 64
#define POOL (64 * SIOMMU_SZ_4K)

struct live {
	uint64_t iova, pa, len;
	unsigned int dir;
	bool sg;
	struct siommu_dma_sg seg[2];
};

struct dev_model {
	struct siommu_device *dev;
	uint16_t rid;
	uint32_t pasid;
	bool lazy, wo;		/* write-only pages exist (second stage) */
	struct live live[MAX_LIVE];
	unsigned int n;
	uint64_t dead[16];	/* recently unmapped DMA addresses */
	bool dead_flushed[16];
};

static struct siommu_unit *unit;
static struct siommu_mem *mem;
static uint64_t pool;

static uint64_t pattern(uint64_t pa)
{
	return (pa & ~7ull) * 0x9E3779B97F4A7C15ull;
}

/* The live mapping whose pages hold @iova, or NULL. */
static const struct live *find(const struct dev_model *m, uint64_t iova, uint64_t *pa)
{
	unsigned int i, s;

	for (i = 0; i < m->n; i++) {
		const struct live *l = &m->live[i];

		for (s = 0; s < (l->sg ? 2u : 1u); s++) {
			uint64_t d = l->sg ? l->seg[s].dma_addr : l->iova;
			uint64_t p = l->sg ? l->seg[s].pa : l->pa;
			uint64_t n = l->sg ? l->seg[s].len : l->len;
			uint64_t lo = d & ~0xfffull, hi = (d + n + 0xfff) & ~0xfffull;

			if (iova >= lo && iova < hi) {
				*pa = (p & ~0xfffull) + (iova - lo);
				return l;
			}
		}
	}
	return NULL;
}

static void probe(struct dev_model *m, uint64_t iova, bool write, bool use_pasid,
		  int dead_idx)
{
	const struct live *l;
	uint64_t pa = 0, v = 0;
	bool pp = use_pasid && m->pasid;
	int ret;

	iova &= ~7ull;
	l = find(m, iova, &pa);
	if (write) {
		v = l ? pattern(pa) : 0;
		ret = test_unit_dma_write(unit, m->rid, pp, m->pasid, iova, &v, 8);
	} else {
		ret = test_unit_dma_read(unit, m->rid, pp, m->pasid, iova, &v, 8, NULL);
	}
	if (!l) {
		/* Lazy and not flushed since the unmap: a stale hit is fine. */
		if (dead_idx >= 0 && m->lazy && !m->dead_flushed[dead_idx])
			return;
		if (ret != -EFAULT)
		CHECK_EQ(ret, -EFAULT);
		return;
	}
	if (write && l->dir == SIOMMU_DMA_TO_DEVICE) {
		CHECK_EQ(ret, -EFAULT);
	} else if (!write && l->dir == SIOMMU_DMA_FROM_DEVICE && m->wo) {
		CHECK_EQ(ret, -EFAULT);
	} else {
		CHECK_OK(ret);
		if (!write)
			CHECK_EQ(v, pattern(pa));
	}
}

/* @l is unmapped: its address is dead, and any dead address in its pages
 * (handed out again since) may hit a stale translation again. */
static void kill_addr(struct dev_model *m, const struct live *l, struct test_rng *r)
{
	unsigned int k = test_rand_below(r, 16), j, s;

	for (j = 0; j < 16; j++) {
		for (s = 0; s < (l->sg ? 2u : 1u); s++) {
			uint64_t d = l->sg ? l->seg[s].dma_addr : l->iova;
			uint64_t n = l->sg ? l->seg[s].len : l->len;

			if (m->dead[j] >= (d & ~0xfffull) &&
			    m->dead[j] < ((d + n + 0xfff) & ~0xfffull))
				m->dead_flushed[j] = false;
		}
	}
	m->dead[k] = l->iova;
	m->dead_flushed[k] = false;
}

static void step(struct dev_model *m, struct test_rng *r)
{
	unsigned int op = test_rand_below(r, 100), i;
	uint64_t iova;
	int ret;

	if (op < 25 && m->n < MAX_LIVE) {
		struct live l = { .dir = test_rand_below(r, 3) };

		l.pa = pool + test_rand_below(r, POOL - 3 * SIOMMU_SZ_4K);
		l.len = 1 + test_rand_below(r, 2 * SIOMMU_SZ_4K);
		CHECK_OK(siommu_dma_map_single(m->dev, l.pa, l.len, l.dir, &l.iova));
		CHECK_EQ(l.iova & 0xfff, l.pa & 0xfff);
		m->live[m->n++] = l;
	} else if (op < 32 && m->n < MAX_LIVE) {
		struct live l = { .dir = test_rand_below(r, 3), .sg = true };
		bool contig = test_rand_below(r, 2);

		l.seg[0].pa = pool + test_rand_below(r, POOL / 2);
		l.seg[0].len = 1 + test_rand_below(r, SIOMMU_SZ_4K);
		l.seg[1].pa = contig ? l.seg[0].pa + l.seg[0].len
				     : pool + POOL / 2 + test_rand_below(r, POOL / 4);
		l.seg[1].len = 1 + test_rand_below(r, SIOMMU_SZ_4K);
		CHECK_OK(siommu_dma_map_sg(m->dev, l.seg, 2, l.dir));
		if (contig)
			CHECK_EQ(l.seg[1].dma_addr, l.seg[0].dma_addr + l.seg[0].len);
		l.iova = l.seg[0].dma_addr;
		m->live[m->n++] = l;
	} else if (op < 55 && m->n) {
		i = test_rand_below(r, m->n);
		if (m->live[i].sg)
			CHECK_OK(siommu_dma_unmap_sg(m->dev, m->live[i].seg, 2, m->live[i].dir));
		else
			CHECK_OK(siommu_dma_unmap_single(m->dev, m->live[i].iova, m->live[i].len,
							 m->live[i].dir));
		kill_addr(m, &m->live[i], r);
		m->live[i] = m->live[--m->n];
	} else if (op < 62 && m->n) {
		/* Bad unmaps and syncs: predicted errors, nothing changes. */
		const struct live *l = &m->live[test_rand_below(r, m->n)];

		if (!l->sg) {
			CHECK_EQ(siommu_dma_unmap_single(m->dev, l->iova, l->len + 1, l->dir),
				 -EINVAL);
			CHECK_EQ(siommu_dma_unmap_single(m->dev, l->iova, l->len, (l->dir + 1) % 3),
				 -EINVAL);
			CHECK_OK(siommu_dma_sync_single_for_cpu(m->dev, l->iova, l->len, l->dir));
		} else {
			CHECK_EQ(siommu_dma_unmap_sg(m->dev, l->seg, 1, l->dir), -EINVAL);
			CHECK_OK(siommu_dma_sync_sg_for_device(m->dev, l->seg, 2, l->dir));
		}
	} else if (op < 65) {
		iova = m->dead[test_rand_below(r, 16)];
		if (iova) {
			uint64_t pa;

			/* A double unmap, unless the address was handed out again. */
			ret = siommu_dma_unmap_single(m->dev, iova, 8, 0);
			if (!find(m, iova, &pa))
				CHECK_EQ(ret, -ENOENT);
			else
				CHECK(ret == -ENOENT || ret == -EINVAL);
		}
	} else if (op < 67) {
		CHECK_OK(siommu_dma_flush(m->dev));
		for (i = 0; i < 16; i++)
			m->dead_flushed[i] = true;
	} else if (op < 85 && m->n) {
		const struct live *l = &m->live[test_rand_below(r, m->n)];

		iova = l->iova + test_rand_below(r, l->sg ? l->seg[0].len : l->len);
		probe(m, iova, test_rand_below(r, 3) == 0, test_rand_below(r, 2), -1);
	} else {
		unsigned int k = test_rand_below(r, 16);

		/* Reads only: a stale write would land somewhere the model
		 * cannot name. */
		if (m->dead[k])
			probe(m, m->dead[k], false, test_rand_below(r, 2), (int)k);
	}
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct dev_model *m = calloc(2, sizeof(*m));
	struct test_rng r = test_rng_init(0xd3a);
	struct siommu_dma_stats st;
	uint64_t i, n = test_ops(NR_OPS), pa;

	CHECK(m);
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	CHECK_OK(siommu_mem_frame_alloc(mem, POOL, SIOMMU_MEM_DMA, &pool));
	for (pa = pool; pa < pool + POOL; pa += 8) {
		uint64_t v = pattern(pa);

		CHECK_OK(siommu_mem_write(mem, pa, &v, 8));
	}
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x100 + i, .pasid_bits = 20, .alias_rid = SIOMMU_NO_ALIAS },
			&m[i].dev));
		m[i].rid = 0x100 + i;
		m[i].lazy = i == 1;
		m[i].wo = i == 0;
		CHECK_OK(siommu_dma_setup(m[i].dev, &(struct siommu_dma_cfg){
			.policy = i ? SIOMMU_DMA_LAZY : SIOMMU_DMA_STRICT,
			.stage = i ? SIOMMU_STAGE_FIRST : SIOMMU_STAGE_SECOND }));
		if (!test_unit_has_pasids())
			CHECK_EQ(siommu_dma_enable_pasid(m[i].dev, &m[i].pasid), -EOPNOTSUPP);
		else if (test_unit_pasid_domain_ok(SIOMMU_DOMAIN_PAGING, i == 0))
			CHECK_OK(siommu_dma_enable_pasid(m[i].dev, &m[i].pasid));
		else
			CHECK_EQ(siommu_dma_enable_pasid(m[i].dev, &m[i].pasid), -EINVAL);
	}
	for (i = 0; i < n; i++)
		step(&m[test_rand_below(&r, 2)], &r);
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_dma_get_stats(m[i].dev, &st));
		CHECK_EQ(st.live, m[i].n);
		fprintf(stderr, "dev %u: %" PRIu64 " maps, %" PRIu64 " unmaps, %" PRIu64
			" waits, %" PRIu64 " flushes, %" PRIu64 " batched\n", (unsigned int)i,
			st.maps, st.unmaps, st.waits, st.flushes, st.batched);
	}
	siommu_ctx_destroy(ctx);
	free(m);
	return 0;
}
