/* SPDX-License-Identifier: MIT */
/*
 * siommu/dma.h against its contracts alone: one table row per misuse the
 * header names (a zero or wrapping length, a bad direction, NULL
 * outputs, memory that is not RAM, an address that is not the start of
 * a mapping, another kind of mapping, another length, a device without
 * DMA setup, a limit an identity domain cannot meet), each expecting
 * exactly the errno the contract lists, each followed by a check that
 * nothing changed: the domain's counters and live mappings, the DMA
 * memory and page-table pages in use, the enabled PASID, and that every
 * live mapping still translates. Then the sequences: double unmap and
 * free, teardown twice, calls after teardown, teardown with mappings
 * and coherent buffers still live.
 */
#include <errno.h>

#include <siommu/dma.h>

#include "core_test.h"
#include "core_unit.h"

struct fx {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;	/* strict paging, PASID enabled */
	struct siommu_device *ident;	/* identity, 32-bit limit */
	struct siommu_device *nopasid;	/* paging, no PASIDs */
	struct siommu_device *none;	/* no DMA setup */
	struct siommu_device *owned;	/* its RID attached by its owner */
	struct siommu_domain *own_dom;
	uint64_t buf;			/* 2M of RAM, from the pool */
	uint64_t single;		/* buf + 5, 10 bytes, TO_DEVICE */
	struct siommu_dma_sg sg[3];	/* FROM_DEVICE */
	uint64_t coh;			/* 4K coherent */
	uint32_t pasid;
};

struct snap {
	struct siommu_dma_stats st;
	uint64_t mem_dma, mem_pt;
	uint32_t pasid;
};

#include "api_rows.h"

static void snap_take(const struct fx *f, struct snap *s)
{
	struct siommu_mem_stats m;
	struct siommu_dma_info di;

	memset(s, 0, sizeof(*s));
	CHECK_OK(siommu_dma_get_stats(f->dev, &s->st));
	siommu_mem_get_stats(siommu_ctx_mem(f->ctx), &m);
	s->mem_dma = m.in_use[SIOMMU_MEM_DMA];
	s->mem_pt = m.in_use[SIOMMU_MEM_PT];
	CHECK_OK(siommu_dma_get_info(f->dev, &di));
	s->pasid = di.pasid;
}

/* Every live mapping of dev's domain still translates to its memory. */
static void live_ok(struct fx *f)
{
	struct siommu_pt *pt;
	struct siommu_dma_info di;
	uint64_t pa;

	CHECK_OK(siommu_dma_get_info(f->dev, &di));
	pt = siommu_domain_pt(di.domain);
	CHECK_OK(siommu_pt_iova_to_phys(pt, f->single, &pa, NULL));
	CHECK_EQ(pa, f->buf + 5);
	CHECK_OK(siommu_pt_iova_to_phys(pt, f->sg[2].dma_addr, &pa, NULL));
	CHECK_EQ(pa, f->sg[2].pa);
	CHECK_OK(siommu_pt_iova_to_phys(pt, f->coh, &pa, NULL));
}

static void fx_init(struct fx *f)
{
	struct siommu_mem *mem;
	void *host;

	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_ctx_create(NULL, &f->ctx));
	mem = siommu_ctx_mem(f->ctx);
	CHECK_OK(test_unit_add(f->ctx, NULL, &f->unit));
	f->dev = test_dev_add(f->unit, 0x0100, 20, 0);
	f->ident = test_dev_add(f->unit, 0x0200, 20, 0);
	f->nopasid = test_dev_add(f->unit, 0x0300, 0, 0);
	f->none = test_dev_add(f->unit, 0x0400, 20, 0);
	f->owned = test_dev_add(f->unit, 0x0500, 20, 0);
	CHECK_OK(siommu_domain_alloc(f->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &f->own_dom));
	CHECK_OK(siommu_device_attach(f->owned, f->own_dom));
	CHECK_OK(siommu_dma_setup(f->dev, &(struct siommu_dma_cfg){
		.policy = SIOMMU_DMA_STRICT }));
	CHECK_OK(siommu_dma_setup(f->ident, &(struct siommu_dma_cfg){
		.passthrough = true, .dma_limit = 0xffffffffull }));
	CHECK_OK(siommu_dma_setup(f->nopasid, NULL));
	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_2M, SIOMMU_MEM_OTHER, &f->buf));
	CHECK_OK(siommu_dma_map_single(f->dev, f->buf + 5, 10, SIOMMU_DMA_TO_DEVICE,
				       &f->single));
	f->sg[0] = (struct siommu_dma_sg){ f->buf + 0x10000, 100, 0 };
	f->sg[1] = (struct siommu_dma_sg){ f->buf + 0x10064, 200, 0 };
	f->sg[2] = (struct siommu_dma_sg){ f->buf + 0x20000, 0x1000, 0 };
	CHECK_OK(siommu_dma_map_sg(f->dev, f->sg, 3, SIOMMU_DMA_FROM_DEVICE));
	CHECK_OK(siommu_dma_alloc_coherent(f->dev, 4096, &host, NULL, &f->coh));
	CHECK_OK(siommu_dma_enable_pasid(f->dev, &f->pasid));
	live_ok(f);
}

static void fx_fini(struct fx *f)
{
	siommu_ctx_destroy(f->ctx);
}

#define TO SIOMMU_DMA_TO_DEVICE
#define FROM SIOMMU_DMA_FROM_DEVICE
#define BIDI SIOMMU_DMA_BIDIRECTIONAL

static int ms_len0(struct fx *f) { uint64_t i; return siommu_dma_map_single(f->dev, f->buf, 0, TO, &i); }
static int ms_dir(struct fx *f) { uint64_t i; return siommu_dma_map_single(f->dev, f->buf, 16, 3, &i); }
static int ms_null(struct fx *f) { return siommu_dma_map_single(f->dev, f->buf, 16, TO, NULL); }
static int ms_wrap(struct fx *f)
{
	uint64_t i;

	return siommu_dma_map_single(f->dev, UINT64_MAX - 1, 16, TO, &i);
}
static int ms_len_wrap(struct fx *f)
{
	uint64_t i;

	return siommu_dma_map_single(f->dev, f->buf, UINT64_MAX, TO, &i);
}
static int ms_not_ram(struct fx *f) { uint64_t i; return siommu_dma_map_single(f->dev, 0x10, 16, TO, &i); }
static int ms_top(struct fx *f) { uint64_t i; return siommu_dma_map_single(f->dev, UINT64_MAX, 1, TO, &i); }
static int ms_none(struct fx *f) { uint64_t i; return siommu_dma_map_single(f->none, f->buf, 16, TO, &i); }
static int ms_null_dev(struct fx *f) { uint64_t i; return siommu_dma_map_single(NULL, f->buf, 16, TO, &i); }
static int ms_ident_limit(struct fx *f)
{
	uint64_t i;

	return siommu_dma_map_single(f->ident, f->buf, 16, TO, &i);
}
static int msh_stack(struct fx *f)
{
	uint64_t i;
	char c = 0;

	return siommu_dma_map_single_host(f->dev, &c, 1, TO, &i);
}
static int msh_null(struct fx *f) { uint64_t i; return siommu_dma_map_single_host(f->dev, NULL, 1, TO, &i); }

static int us_len(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->single, 11, TO); }
static int us_len0(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->single, 0, TO); }
static int us_dir(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->single, 10, FROM); }
static int us_baddir(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->single, 10, 7); }
static int us_inside(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->single + 1, 9, TO); }
static int us_page(struct fx *f)
{
	return siommu_dma_unmap_single(f->dev, f->single & ~0xfffull, 10, TO);
}
static int us_zero(struct fx *f) { return siommu_dma_unmap_single(f->dev, 0, 10, TO); }
static int us_top(struct fx *f) { return siommu_dma_unmap_single(f->dev, UINT64_MAX, 10, TO); }
static int us_sg(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->sg[0].dma_addr, 100, FROM); }
static int us_coh(struct fx *f) { return siommu_dma_unmap_single(f->dev, f->coh, 4096, BIDI); }
static int us_none(struct fx *f) { return siommu_dma_unmap_single(f->none, f->single, 10, TO); }
static int us_other_dom(struct fx *f) { return siommu_dma_unmap_single(f->nopasid, f->single, 10, TO); }

static int sg_nents0(struct fx *f) { return siommu_dma_map_sg(f->dev, f->sg, 0, TO); }
static int sg_null(struct fx *f) { return siommu_dma_map_sg(f->dev, NULL, 1, TO); }
static int sg_zero_seg(struct fx *f)
{
	struct siommu_dma_sg s[2] = { { f->buf, 16, 0 }, { f->buf + 0x1000, 0, 0 } };

	return siommu_dma_map_sg(f->dev, s, 2, TO);
}
static int sg_not_ram(struct fx *f)
{
	struct siommu_dma_sg s[2] = { { f->buf, 16, 0 }, { 0x10, 16, 0 } };

	return siommu_dma_map_sg(f->dev, s, 2, TO);
}
static int sg_seg_wrap(struct fx *f)
{
	struct siommu_dma_sg s[2] = { { f->buf, 16, 0 }, { UINT64_MAX - 10, 20, 0 } };

	return siommu_dma_map_sg(f->dev, s, 2, TO);
}
static int sg_dir(struct fx *f)
{
	struct siommu_dma_sg s[1] = { { f->buf, 16, 0 } };

	return siommu_dma_map_sg(f->dev, s, 1, 5);
}
static int usg_fewer(struct fx *f) { return siommu_dma_unmap_sg(f->dev, f->sg, 2, FROM); }
static int usg_len(struct fx *f)
{
	struct siommu_dma_sg s[3];

	memcpy(s, f->sg, sizeof(s));
	s[1].len--;
	return siommu_dma_unmap_sg(f->dev, s, 3, FROM);
}
static int usg_dir(struct fx *f) { return siommu_dma_unmap_sg(f->dev, f->sg, 3, TO); }
static int usg_null(struct fx *f) { return siommu_dma_unmap_sg(f->dev, NULL, 3, FROM); }
static int usg_nents0(struct fx *f) { return siommu_dma_unmap_sg(f->dev, f->sg, 0, FROM); }
static int usg_single(struct fx *f)
{
	struct siommu_dma_sg s = { f->buf + 5, 10, f->single };

	return siommu_dma_unmap_sg(f->dev, &s, 1, TO);
}

static int ac_size0(struct fx *f) { uint64_t i; return siommu_dma_alloc_coherent(f->dev, 0, NULL, NULL, &i); }
static int ac_big(struct fx *f)
{
	uint64_t i;

	return siommu_dma_alloc_coherent(f->dev, SIOMMU_SZ_1G + 1, NULL, NULL, &i);
}
static int ac_max(struct fx *f)
{
	uint64_t i;

	return siommu_dma_alloc_coherent(f->dev, UINT64_MAX, NULL, NULL, &i);
}
static int ac_null(struct fx *f) { return siommu_dma_alloc_coherent(f->dev, 100, NULL, NULL, NULL); }
static int ac_none(struct fx *f) { uint64_t i; return siommu_dma_alloc_coherent(f->none, 100, NULL, NULL, &i); }
static int ac_ident_limit(struct fx *f)
{
	uint64_t i;

	return siommu_dma_alloc_coherent(f->ident, 100, NULL, NULL, &i);
}
static int fc_size(struct fx *f) { return siommu_dma_free_coherent(f->dev, 8192, f->coh); }
static int fc_size0(struct fx *f) { return siommu_dma_free_coherent(f->dev, 0, f->coh); }
static int fc_inside(struct fx *f) { return siommu_dma_free_coherent(f->dev, 4096, f->coh + 1); }
static int fc_single(struct fx *f) { return siommu_dma_free_coherent(f->dev, 10, f->single); }
static int fc_none(struct fx *f) { return siommu_dma_free_coherent(f->none, 4096, f->coh); }

static int sy_beyond(struct fx *f) { return siommu_dma_sync_single_for_cpu(f->dev, f->single, 11, TO); }
static int sy_len0(struct fx *f) { return siommu_dma_sync_single_for_cpu(f->dev, f->single, 0, TO); }
static int sy_wrap(struct fx *f)
{
	return siommu_dma_sync_single_for_device(f->dev, f->single, UINT64_MAX, TO);
}
static int sy_dir(struct fx *f) { return siommu_dma_sync_single_for_device(f->dev, f->single, 10, BIDI); }
static int sy_inside(struct fx *f)
{
	return siommu_dma_sync_single_for_device(f->dev, f->single + 1, 9, TO);
}
static int sy_coh_dir(struct fx *f) { return siommu_dma_sync_single_for_cpu(f->dev, f->coh, 4096, TO); }
static int sy_none(struct fx *f) { return siommu_dma_sync_single_for_cpu(f->none, f->single, 10, TO); }
static int ssg_len(struct fx *f)
{
	struct siommu_dma_sg s[3];

	memcpy(s, f->sg, sizeof(s));
	s[2].len++;
	return siommu_dma_sync_sg_for_cpu(f->dev, s, 3, FROM);
}
static int ssg_null(struct fx *f) { return siommu_dma_sync_sg_for_device(f->dev, NULL, 3, FROM); }
static int ssg_nents0(struct fx *f) { return siommu_dma_sync_sg_for_device(f->dev, f->sg, 0, FROM); }

static int ep_null(struct fx *f) { return siommu_dma_enable_pasid(f->dev, NULL); }
static int ep_again(struct fx *f) { uint32_t p; return siommu_dma_enable_pasid(f->dev, &p); }
static int ep_nopasid(struct fx *f) { uint32_t p; return siommu_dma_enable_pasid(f->nopasid, &p); }
static int ep_none(struct fx *f) { uint32_t p; return siommu_dma_enable_pasid(f->none, &p); }
static int dp_nothing(struct fx *f) { return siommu_dma_disable_pasid(f->nopasid); }
static int dp_none(struct fx *f) { return siommu_dma_disable_pasid(f->none); }
static int setup_again(struct fx *f) { return siommu_dma_setup(f->dev, NULL); }
static int setup_null(struct fx *f) { (void)f; return siommu_dma_setup(NULL, NULL); }
static int setup_policy(struct fx *f)
{
	return siommu_dma_setup(f->none, &(struct siommu_dma_cfg){ .policy = 9 });
}
static int setup_stage(struct fx *f)
{
	return siommu_dma_setup(f->none, &(struct siommu_dma_cfg){ .stage = 9 });
}
static int setup_owned(struct fx *f) { return siommu_dma_setup(f->owned, NULL); }
static int policy_bad(struct fx *f) { return siommu_dma_set_default_policy(f->ctx, 3); }
static int flush_none(struct fx *f) { return siommu_dma_flush(f->none); }
static int info_null(struct fx *f) { return siommu_dma_get_info(f->dev, NULL); }
static int stats_null(struct fx *f) { return siommu_dma_get_stats(f->dev, NULL); }
static int info_none(struct fx *f)
{
	struct siommu_dma_info di;

	return siommu_dma_get_info(f->none, &di);
}

#define ROW API_ROW

static const struct api_row rows[] = {
	ROW(ms_len0, -EINVAL), ROW(ms_dir, -EINVAL), ROW(ms_null, -EINVAL),
	ROW(ms_wrap, -EINVAL), ROW(ms_len_wrap, -EINVAL), ROW(ms_not_ram, -EFAULT),
	ROW(ms_top, -EFAULT), ROW(ms_none, -ENODEV), ROW(ms_null_dev, -ENODEV),
	ROW(ms_ident_limit, -ERANGE), ROW(msh_stack, -EFAULT), ROW(msh_null, -EFAULT),
	ROW(us_len, -EINVAL), ROW(us_len0, -EINVAL), ROW(us_dir, -EINVAL),
	ROW(us_baddir, -EINVAL), ROW(us_inside, -ENOENT), ROW(us_page, -ENOENT),
	ROW(us_zero, -ENOENT), ROW(us_top, -ENOENT), ROW(us_sg, -EINVAL),
	ROW(us_coh, -EINVAL), ROW(us_none, -ENODEV), ROW(us_other_dom, -ENOENT),
	ROW(sg_nents0, -EINVAL), ROW(sg_null, -EINVAL), ROW(sg_zero_seg, -EINVAL),
	ROW(sg_not_ram, -EFAULT), ROW(sg_seg_wrap, -EINVAL), ROW(sg_dir, -EINVAL),
	ROW(usg_fewer, -EINVAL), ROW(usg_len, -EINVAL), ROW(usg_dir, -EINVAL),
	ROW(usg_null, -EINVAL), ROW(usg_nents0, -EINVAL), ROW(usg_single, -EINVAL),
	ROW(ac_size0, -EINVAL), ROW(ac_big, -EINVAL), ROW(ac_max, -EINVAL),
	ROW(ac_null, -EINVAL), ROW(ac_none, -ENODEV), ROW(ac_ident_limit, -ERANGE),
	ROW(fc_size, -EINVAL), ROW(fc_size0, -EINVAL), ROW(fc_inside, -ENOENT),
	ROW(fc_single, -EINVAL), ROW(fc_none, -ENODEV),
	ROW(sy_beyond, -EINVAL), ROW(sy_len0, -EINVAL), ROW(sy_wrap, -EINVAL),
	ROW(sy_dir, -EINVAL), ROW(sy_inside, -ENOENT), ROW(sy_coh_dir, -EINVAL),
	ROW(sy_none, -ENODEV), ROW(ssg_len, -EINVAL), ROW(ssg_null, -EINVAL),
	ROW(ssg_nents0, -EINVAL),
	ROW(ep_null, -EINVAL), ROW(ep_again, -EBUSY), ROW(ep_nopasid, -EOPNOTSUPP),
	ROW(ep_none, -ENODEV), ROW(dp_nothing, -ENOENT), ROW(dp_none, -ENODEV),
	ROW(setup_again, -EBUSY), ROW(setup_null, -EINVAL), ROW(setup_policy, -EINVAL),
	ROW(setup_stage, -EINVAL), ROW(setup_owned, -EBUSY), ROW(policy_bad, -EINVAL),
	ROW(flush_none, -ENODEV), ROW(info_null, -EINVAL), ROW(stats_null, -EINVAL),
	ROW(info_none, -ENODEV),
};

static void refusals(void)
{
	struct fx f;

	fx_init(&f);
	api_rows_run(&f, rows, sizeof(rows) / sizeof(rows[0]), false, live_ok);
	fx_fini(&f);
}

static void sequences(void)
{
	struct fx f;
	struct siommu_mem_stats m;
	struct siommu_dma_stats st;
	struct siommu_dma_info di;
	uint64_t i2;

	fx_init(&f);
	/* Double unmap, double free, double disable: the second finds
	 * nothing. */
	CHECK_OK(siommu_dma_unmap_single(f.dev, f.single, 10, TO));
	CHECK_EQ(siommu_dma_unmap_single(f.dev, f.single, 10, TO), -ENOENT);
	CHECK_OK(siommu_dma_unmap_sg(f.dev, f.sg, 3, FROM));
	CHECK_EQ(siommu_dma_unmap_sg(f.dev, f.sg, 3, FROM), -ENOENT);
	CHECK_EQ(siommu_dma_sync_sg_for_cpu(f.dev, f.sg, 3, FROM), -ENOENT);
	CHECK_OK(siommu_dma_free_coherent(f.dev, 4096, f.coh));
	CHECK_EQ(siommu_dma_free_coherent(f.dev, 4096, f.coh), -ENOENT);
	CHECK_OK(siommu_dma_disable_pasid(f.dev));
	CHECK_EQ(siommu_dma_disable_pasid(f.dev), -ENOENT);
	CHECK_OK(siommu_dma_get_stats(f.dev, &st));
	CHECK_EQ(st.live, 0);

	/* A 1G coherent buffer, the largest, and one byte. */
	CHECK_OK(siommu_dma_alloc_coherent(f.dev, SIOMMU_SZ_1G, NULL, NULL, &f.coh));
	CHECK_OK(siommu_dma_alloc_coherent(f.dev, 1, NULL, NULL, &i2));
	CHECK_OK(siommu_dma_free_coherent(f.dev, SIOMMU_SZ_1G, f.coh));

	/* Teardown with a coherent buffer and a mapping live takes them;
	 * after it every call is -ENODEV, teardown again a no-op. */
	CHECK_OK(siommu_dma_map_single(f.dev, f.buf, 4096, BIDI, &f.single));
	siommu_dma_teardown(f.dev);
	siommu_dma_teardown(f.dev);
	siommu_mem_get_stats(siommu_ctx_mem(f.ctx), &m);
	CHECK_EQ(m.in_use[SIOMMU_MEM_DMA], 0);
	CHECK_EQ(siommu_dma_unmap_single(f.dev, f.single, 4096, BIDI), -ENODEV);
	CHECK_EQ(siommu_dma_free_coherent(f.dev, 1, i2), -ENODEV);
	CHECK_EQ(siommu_dma_get_info(f.dev, &di), -ENODEV);
	CHECK(siommu_device_domain(f.dev, 0) == NULL ||
	      siommu_domain_type(siommu_device_domain(f.dev, 0)) == SIOMMU_DOMAIN_BLOCKED);

	/* Set up again: a fresh domain that works. */
	CHECK_OK(siommu_dma_setup(f.dev, NULL));
	CHECK_OK(siommu_dma_map_single(f.dev, f.buf, 4096, BIDI, &f.single));
	CHECK_OK(siommu_dma_unmap_single(f.dev, f.single, 4096, BIDI));
	fprintf(stderr, "  sequences: double unmap and free, teardown twice, setup again\n");
	fx_fini(&f);
}

int main(void)
{
	refusals();
	sequences();
	return 0;
}
