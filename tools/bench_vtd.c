/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench vtd`: the VT-d model's request paths against bare
 * baselines measured in the same run.
 *
 *   translate_hit       IOTLB hit, against hash_probe over a table of the
 *                       IOTLB's capacity
 *   translate_miss      context and PASID entries cached, IOTLB miss, a
 *                       4-level first-stage walk (no paging-structure
 *                       cache); against walk4
 *   translate_miss_psc  the same with the paging-structure cache, which
 *                       holds the level-1 entry: only the leaf is read;
 *                       against walk4, reported
 *   dma_read_4k         a 4K DMA read through a cached translation, against
 *                       memcpy_4k
 *   inv_page_wait       one page-selective PASID-based IOTLB invalidation and
 *                       a wait descriptor, submitted through IQT; against
 *                       walk4 (reported only)
 *   inv_page_wait.busy_dma  the same while another thread does DMA
 *                       without pause (the wait must interrupt and wait
 *                       out its read-side sections); reported
 *   xlate_read_section  the read-side section around a translation's walk
 *                       or DMA (enter and leave), as it is without
 *                       frequent waits (unfenced); against walk4, reported
 *   translate_hit.scaling_2t  per-operation time of translate_hit with two
 *                       threads against one
 *   translate_hit.scaling_2p  the same in two processes with nothing shared
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <siommu/mem.h>
#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#include "bench.h"
#include "hw/vtd/vtd_internal.h"	/* the read-side section */

#define RID 0x0100
#define PASID 1
#define HIT_PAGES 256
#define IOVA_BASE 0x40000000ull

struct unit {
	struct siommu_mem *mem;
	struct siommu_vtd *v;
	uint64_t root, fs, iq, status, data;
	uint64_t tail;
	uint32_t cookie;
};

static int unit_create(struct unit *u, struct siommu_mem *mem,
		       const struct siommu_vtd_cfg *cfg, unsigned int pages)
{
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true };
	struct siommu_vtd_pasid_desc pd = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 1,
					    .fs_levels = 4 };
	unsigned int i;
	int ret;

	memset(u, 0, sizeof(*u));
	u->mem = mem;
	ret = siommu_vtd_create(mem, cfg, &u->v);
	if (ret)
		return ret;
	ret = siommu_vtd_build_table_alloc(mem, &u->root);
	ret = ret ? ret : siommu_vtd_build_table_alloc(mem, &u->iq);
	ret = ret ? ret : siommu_vtd_build_table_alloc(mem, &u->status);
	ret = ret ? ret : siommu_vtd_build_table_alloc(mem, &u->data);
	ret = ret ? ret : siommu_vtd_build_table_alloc(mem, &pd.fs_root);
	ret = ret ? ret : siommu_vtd_build_context(mem, u->root, RID, &cd, NULL);
	ret = ret ? ret : siommu_vtd_build_pasid(mem, u->root, RID, PASID, &pd);
	for (i = 0; i < pages && !ret; i++)
		ret = siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, pd.fs_root, 4,
					   IOVA_BASE + i * 4096ull, u->data, SIOMMU_SZ_4K,
					   SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
					   SIOMMU_VTD_BUILD_USER);
	if (ret) {
		siommu_vtd_destroy(u->v);
		return ret;
	}
	u->fs = pd.fs_root;
	siommu_vtd_mmio_write(u->v, SIOMMU_VTD_REG_RTADDR, 8,
			      u->root | SIOMMU_VTD_RTADDR_SMT);
	siommu_vtd_mmio_write(u->v, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_SRTP);
	siommu_vtd_mmio_write(u->v, SIOMMU_VTD_REG_IQA, 8, u->iq | SIOMMU_VTD_IQA_DW);
	siommu_vtd_mmio_write(u->v, SIOMMU_VTD_REG_GCMD, 4,
			      SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
	return 0;
}

static struct siommu_vtd_req req_at(uint64_t iova)
{
	struct siommu_vtd_req r = { .rid = RID, .pasid_present = true,
				    .pasid = PASID, .iova = iova, .len = 8,
				    .access = SIOMMU_VTD_READ };
	return r;
}

struct hit_arg {
	struct siommu_vtd *v;
	uint64_t n;
	int err;
};

/*
 * One request whose address changes, as a device streaming DMA keeps its
 * descriptor (and as dma_run below does): the loop times the translation,
 * not the building of a request.
 */
static void hit_run(void *arg, uint64_t iters)
{
	struct hit_arg *a = arg;
	struct siommu_vtd_xlate x;
	struct siommu_vtd_req r = req_at(IOVA_BASE);
	uint64_t n = a->n, acc = 0;

	while (iters--) {
		r.iova = IOVA_BASE + (n % HIT_PAGES) * 4096;
		if (siommu_vtd_translate(a->v, &r, &x))
			a->err = -EIO;
		acc += x.addr;
		n++;
	}
	a->n = n;
	bench_sink(acc);
}

/* Two pages through a 1-entry IOTLB: every translation walks. */
static void miss_run(void *arg, uint64_t iters)
{
	struct hit_arg *a = arg;
	struct siommu_vtd_xlate x;
	struct siommu_vtd_req r = req_at(IOVA_BASE);
	uint64_t n = a->n, acc = 0;

	while (iters--) {
		r.iova = IOVA_BASE + (n & 1) * 4096;
		if (siommu_vtd_translate(a->v, &r, &x))
			a->err = -EIO;
		acc += x.addr;
		n++;
	}
	a->n = n;
	bench_sink(acc);
}

/*
 * The destination is cache-line aligned, as memcpy_4k's buffers are (both
 * come from aligned_alloc below): with the buffer after the pointer at
 * offset 8, every 4K read paid for a misaligned copy the baseline does not.
 */
struct dma_arg {
	char buf[4096];
	struct siommu_vtd *v;
	int err;
};

static void dma_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct siommu_vtd_req r = req_at(IOVA_BASE);
	size_t done;

	while (iters--) {
		if (siommu_vtd_dma_read(a->v, &r, a->buf, 4096, &done, NULL))
			a->err = -EIO;
		bench_sink((uint64_t)(uintptr_t)a->buf);
	}
}

static void inv_run(void *arg, uint64_t iters)
{
	struct unit *u = arg;

	while (iters--) {
		struct siommu_vtd_desc d[2] = {
			siommu_vtd_desc_piotlb(3, 1, PASID, IOVA_BASE, 0, false),
			siommu_vtd_desc_wait(true, false, false, false, u->status,
					     ++u->cookie),
		};

		siommu_mem_write(u->mem, u->iq + u->tail, d, sizeof(d));
		u->tail = (u->tail + sizeof(d)) % 4096;
		siommu_vtd_mmio_write(u->v, SIOMMU_VTD_REG_IQT, 8, u->tail);
	}
}

static void section_run(void *arg, uint64_t iters)
{
	struct siommu_vtd *v = arg;

	while (iters--) {
		vtd_read_lock(v);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		vtd_read_unlock(v);
	}
}

/* A device reading another page without pause: its DMA runs in read-side
 * sections, which a wait must then interrupt and wait out. */
struct busy {
	struct siommu_vtd *v;
	int stop;		/* atomic */
	uint64_t done;		/* atomic: transfers so far */
	int err;
};

static void *busy_run(void *arg)
{
	struct busy *b = arg;
	struct siommu_vtd_req r = req_at(IOVA_BASE + 4096);
	uint8_t buf[256];
	size_t done;

	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
		if (siommu_vtd_dma_read(b->v, &r, buf, sizeof(buf), &done, NULL))
			b->err = -EIO;
		__atomic_fetch_add(&b->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Let the model's RCU domain go quiet, so that its readers stop fencing
 * (they fence while invalidation waits are frequent, as after the DMA
 * bench or inv_page_wait): the request rows measure DMA without frequent
 * invalidations whatever ran before them.
 */
static void rcu_quiesce(struct siommu_vtd *v)
{
	struct timespec ts = { 0, (long)RCU_QUIET_NS + 1000000L };

	nanosleep(&ts, NULL);
	vtd_sync(v);
}

int bench_vtd(struct bench_report *rep)
{
	struct siommu_vtd_cfg hit_cfg = { .iotlb_sets = 256, .iotlb_ways = 4 };
	struct siommu_vtd_cfg miss_cfg = { .iotlb_sets = 1, .iotlb_ways = 1,
					   .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_PSC };
	struct siommu_vtd_cfg psc_cfg = { .iotlb_sets = 1, .iotlb_ways = 1 };
	struct hit_arg pa = { 0 };
	struct unit pu;
	struct hit_arg ha = { 0 }, ma = { 0 }, t1 = { 0 }, t2 = { 0 };
	struct dma_arg *da = NULL;
	struct hash_probe *hp = NULL;
	struct walk4 *w = NULL;
	struct siommu_mem *mem;
	struct unit hu, mu;
	char *cbuf = NULL;
	int ret;

	ret = siommu_mem_create(NULL, &mem);
	if (ret)
		return ret;
	ret = unit_create(&hu, mem, &hit_cfg, HIT_PAGES);
	if (ret)
		goto out_mem;
	ret = unit_create(&mu, mem, &miss_cfg, 2);
	if (ret)
		goto out_hit;
	ret = unit_create(&pu, mem, &psc_cfg, 2);
	if (ret)
		goto out_miss;
	ret = -ENOMEM;
	hp = hash_probe_create(hit_cfg.iotlb_sets * hit_cfg.iotlb_ways);
	w = walk4_create();
	da = aligned_alloc(64, (sizeof(*da) + 63) & ~(size_t)63);
	cbuf = aligned_alloc(64, 8192);
	if (!hp || !w || !da || !cbuf)
		goto out_free;
	memset(da, 0, sizeof(*da));
	memset(cbuf, 0, 8192);

	ha.v = hu.v;
	hit_run(&ha, HIT_PAGES);	/* fill the IOTLB */
	rcu_quiesce(hu.v);
	bench_pair(rep, "translate_hit", hit_run, &ha, "hash_probe", hash_probe_run,
		   hp, 1 << 16, 1.5);
	ma.v = mu.v;
	bench_pair(rep, "translate_miss", miss_run, &ma, "walk4", walk4_run, w,
		   1 << 14, 6);
	pa.v = pu.v;
	bench_pair(rep, "translate_miss_psc", miss_run, &pa, "walk4", walk4_run, w,
		   1 << 14, 0);
	da->v = hu.v;
	bench_pair(rep, "dma_read_4k", dma_run, da, "memcpy_4k", memcpy_4k_run, cbuf,
		   1 << 12, 1.3);
	bench_pair(rep, "inv_page_wait", inv_run, &hu, "walk4", walk4_run, w,
		   rep->opts->quick ? 16 : 256, 0);
	{
		struct busy b = { .v = hu.v };
		pthread_t t;

		if (!pthread_create(&t, NULL, busy_run, &b)) {
			/* Measure only once the device is running. */
			while (!__atomic_load_n(&b.done, __ATOMIC_RELAXED))
				sched_yield();
			bench_pair(rep, "inv_page_wait.busy_dma", inv_run, &hu,
				   "walk4", walk4_run, w, rep->opts->quick ? 16 : 256, 0);
			__atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
			pthread_join(t, NULL);
			if (b.err)
				ha.err = b.err;
		}
	}
	rcu_quiesce(hu.v);
	bench_pair(rep, "xlate_read_section", section_run, hu.v, "walk4", walk4_run, w,
		   1 << 16, 0);

	t1.v = t2.v = hu.v;
	t2.n = 7;
	bench_scaling(rep, "translate_hit", hit_run, (void *const[2]){ &t1, &t2 }, 0.6);
	ret = ha.err ? ha.err : ma.err ? ma.err : pa.err ? pa.err : t1.err ? t1.err :
	      t2.err ? t2.err : da->err;

out_free:
	free(cbuf);
	free(da);
	if (w)
		walk4_destroy(w);
	if (hp)
		hash_probe_destroy(hp);
	siommu_vtd_destroy(pu.v);
out_miss:
	siommu_vtd_destroy(mu.v);
out_hit:
	siommu_vtd_destroy(hu.v);
out_mem:
	siommu_mem_destroy(mem);
	return ret;
}
