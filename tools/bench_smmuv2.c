/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench smmuv2`: the SMMUv2 model's request paths against bare
 * baselines measured in the same run. Units are programmed as Linux's
 * arm-smmu driver does: one stream matched to a stage-1 context bank (AArch64
 * format, 48-bit TTBR0 half, TTBR1 disabled), tables built by siommu/pt.h.
 *
 *   translate_hit       a cached translation, against hash_probe over a
 *                       table of the TLB's capacity
 *   translate_miss      a TLB miss: a stage-1 walk of four levels (no walk
 *                       cache; the model has none); against walk4
 *   dma_read_4k         a 4K DMA read through a cached translation, against
 *                       memcpy_4k
 *   gpu_context_switch  what an Adreno-class GPU's command processor does
 *                       between two clients' jobs: TTBR0 (table and ASID,
 *                       as two 32-bit writes), CONTEXTIDR, TLBIASID and
 *                       TLBSYNC, then one translation in the new address
 *                       space; against walk4, reported
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <siommu/mem.h>
#include <siommu/pt.h>
#include <siommu/smmuv2.h>

#include "bench.h"
#include "hw/smmuv2/smmuv2_internal.h"	/* the model's RCU domain */

#define SID 0x10
#define CB 0
#define HIT_PAGES 256
#define IOVA_BASE 0x40000000ull

struct unit {
	struct siommu_mem *mem;
	struct siommu_smmuv2 *s;
	struct siommu_pt *pt[2];	/* two clients' tables */
	uint64_t data;
};

static void unit_destroy(struct unit *u)
{
	if (u->s)
		siommu_smmuv2_destroy(u->s);
	if (u->pt[0])
		siommu_pt_destroy(u->pt[0]);
	if (u->pt[1])
		siommu_pt_destroy(u->pt[1]);
}

static void wr(struct unit *u, uint64_t off, unsigned int size, uint64_t val)
{
	siommu_smmuv2_mmio_write(u->s, off, size, val);
}

/* A unit whose stream SID translates through bank CB with client 0's
 * table, both clients mapping @pages pages from IOVA_BASE onto one page. */
static int unit_create(struct unit *u, struct siommu_mem *mem,
		       const struct siommu_smmuv2_cfg *cfg, unsigned int pages)
{
	struct siommu_pt_cfg pc = { .format = SIOMMU_PT_ARM_S1, .ias = 48 };
	unsigned int i, c;
	int ret;

	memset(u, 0, sizeof(*u));
	u->mem = mem;
	ret = siommu_smmuv2_create(mem, cfg, &u->s);
	ret = ret ? ret : siommu_pt_create(mem, &pc, &u->pt[0]);
	ret = ret ? ret : siommu_pt_create(mem, &pc, &u->pt[1]);
	ret = ret ? ret : siommu_mem_frame_alloc(mem, 4096, SIOMMU_MEM_DMA, &u->data);
	for (c = 0; c < 2; c++)
		for (i = 0; i < pages && !ret; i++)
			ret = siommu_pt_map(u->pt[c], IOVA_BASE + i * 4096ull, u->data, 4096,
					    SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
	if (ret) {
		unit_destroy(u);
		return ret;
	}
	wr(u, SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_USFCFG | SIOMMU_SMMUV2_SCR0_GFRE |
	   SIOMMU_SMMUV2_SCR0_GFIE);
	wr(u, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_TRANS | CB);
	wr(u, SIOMMU_SMMUV2_SMR(0), 4, SIOMMU_SMMUV2_SMR_VAL(SID, 0));
	wr(u, SIOMMU_SMMUV2_CBAR(CB), 4, SIOMMU_SMMUV2_CBAR_S1_BYPASS | 1);
	wr(u, SIOMMU_SMMUV2_CBA2R(CB), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	wr(u, SIOMMU_SMMUV2_CB(CB) + SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(5) |
	   SIOMMU_SMMUV2_TCR2_AS);
	wr(u, SIOMMU_SMMUV2_CB(CB) + SIOMMU_SMMUV2_CB_TCR, 4, SIOMMU_SMMUV2_TCR_T0SZ(16) |
	   SIOMMU_SMMUV2_TCR_EPD1);
	wr(u, SIOMMU_SMMUV2_CB(CB) + SIOMMU_SMMUV2_CB_TTBR0, 8,
	   siommu_pt_root(u->pt[0]) | SIOMMU_SMMUV2_TTBR_ASID(1));
	wr(u, SIOMMU_SMMUV2_CB(CB) + SIOMMU_SMMUV2_CB_SCTLR, 4, SIOMMU_SMMUV2_SCTLR_M |
	   SIOMMU_SMMUV2_SCTLR_AFE | SIOMMU_SMMUV2_SCTLR_CFRE | SIOMMU_SMMUV2_SCTLR_CFIE);
	return 0;
}

struct hit_arg {
	struct siommu_smmuv2 *s;
	uint64_t mask;		/* pages cycled through from IOVA_BASE, less one */
	uint64_t n;
	int err;
};

/* One request whose address changes, as a device streaming DMA keeps its
 * descriptor. Over HIT_PAGES pages every translation hits; over two pages
 * through a 1-entry TLB, every one walks. */
static void xlate_run(void *arg, uint64_t iters)
{
	struct hit_arg *a = arg;
	struct siommu_smmuv2_xlate x;
	struct siommu_smmuv2_req r = { .sid = SID, .iova = IOVA_BASE, .len = 8,
				       .access = SIOMMU_SMMUV2_READ };
	uint64_t n = a->n, acc = 0;

	while (iters--) {
		r.iova = IOVA_BASE + (n & a->mask) * 4096;
		if (siommu_smmuv2_translate(a->s, &r, &x))
			a->err = -EIO;
		acc += x.addr;
		n++;
	}
	a->n = n;
	bench_sink(acc);
}

struct dma_arg {
	char buf[4096];
	struct siommu_smmuv2 *s;
	int err;
};

static void dma_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct siommu_smmuv2_req r = { .sid = SID, .iova = IOVA_BASE };
	size_t done;

	while (iters--) {
		if (siommu_smmuv2_dma_read(a->s, &r, a->buf, 4096, &done, NULL))
			a->err = -EIO;
		bench_sink((uint64_t)(uintptr_t)a->buf);
	}
}

struct switch_arg {
	struct unit *u;
	unsigned int client;
	int err;
};

static void switch_run(void *arg, uint64_t iters)
{
	struct switch_arg *a = arg;
	struct unit *u = a->u;
	struct siommu_smmuv2_req r = { .sid = SID, .iova = IOVA_BASE, .len = 8,
				       .access = SIOMMU_SMMUV2_READ };
	struct siommu_smmuv2_xlate x;
	uint64_t cb = SIOMMU_SMMUV2_CB(CB);

	while (iters--) {
		unsigned int c = a->client ^= 1;
		uint64_t ttbr = siommu_pt_root(u->pt[c]) | SIOMMU_SMMUV2_TTBR_ASID(1 + c);

		/* CP_SMMU_TABLE_UPDATE, then the invalidation and the sync. */
		wr(u, cb + SIOMMU_SMMUV2_CB_TTBR0, 4, (uint32_t)ttbr);
		wr(u, cb + SIOMMU_SMMUV2_CB_TTBR0 + 4, 4, ttbr >> 32);
		wr(u, cb + SIOMMU_SMMUV2_CB_CONTEXTIDR, 4, c);
		wr(u, cb + SIOMMU_SMMUV2_CB_TLBIASID, 4, 1 + c);
		wr(u, cb + SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
		if (siommu_smmuv2_translate(u->s, &r, &x) || x.addr != u->data)
			a->err = -EIO;
	}
}

/* Let the model's RCU domain go quiet (its readers fence while grace
 * periods are frequent, as during gpu_context_switch). */
static void rcu_quiesce(struct siommu_smmuv2 *s)
{
	struct timespec ts = { 0, (long)RCU_QUIET_NS + 1000000L };

	nanosleep(&ts, NULL);
	rcu_synchronize(&s->rcu);
}

int bench_smmuv2(struct bench_report *rep)
{
	struct siommu_smmuv2_cfg hit_cfg = { .tlb_sets = 256, .tlb_ways = 4 };
	struct siommu_smmuv2_cfg miss_cfg = { .tlb_sets = 1, .tlb_ways = 1 };
	struct hit_arg ha = { 0 }, ma = { 0 };
	struct switch_arg sa = { 0 };
	struct unit hu, mu;
	struct dma_arg *da = NULL;
	struct hash_probe *hp = NULL;
	struct walk4 *w = NULL;
	struct siommu_mem *mem;
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
	ret = -ENOMEM;
	hp = hash_probe_create(hit_cfg.tlb_sets * hit_cfg.tlb_ways);
	w = walk4_create();
	da = aligned_alloc(64, (sizeof(*da) + 63) & ~(size_t)63);
	cbuf = aligned_alloc(64, 8192);
	if (!hp || !w || !da || !cbuf)
		goto out_free;
	memset(da, 0, sizeof(*da));
	memset(cbuf, 0, 8192);

	ha.s = hu.s;
	ha.mask = HIT_PAGES - 1;
	xlate_run(&ha, HIT_PAGES);	/* fill the caches */
	rcu_quiesce(hu.s);
	bench_pair(rep, "translate_hit", xlate_run, &ha, "hash_probe", hash_probe_run,
		   hp, 1 << 16, 1.5);
	ma.s = mu.s;
	ma.mask = 1;
	bench_pair(rep, "translate_miss", xlate_run, &ma, "walk4", walk4_run, w,
		   1 << 14, 8);
	da->s = hu.s;
	bench_pair(rep, "dma_read_4k", dma_run, da, "memcpy_4k", memcpy_4k_run, cbuf,
		   1 << 12, 1.3);
	sa.u = &mu;
	bench_pair(rep, "gpu_context_switch", switch_run, &sa, "walk4", walk4_run, w,
		   rep->opts->quick ? 16 : 256, 0);
	ret = ha.err ? ha.err : ma.err ? ma.err : da->err ? da->err : sa.err;

out_free:
	free(cbuf);
	free(da);
	if (w)
		walk4_destroy(w);
	if (hp)
		hash_probe_destroy(hp);
	unit_destroy(&mu);
out_hit:
	unit_destroy(&hu);
out_mem:
	siommu_mem_destroy(mem);
	return ret;
}
