/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench smmuv3`: the SMMUv3 model's request paths against bare
 * baselines measured in the same run. Units are programmed as a driver
 * would: a linear stream table, a linear CD table, VMSAv8-64 tables built
 * by siommu/pt.h, commands through the command queue.
 *
 *   translate_hit       a cached translation (STE, CD and TLB entry
 *                       cached), against hash_probe over a table of the
 *                       TLB's capacity
 *   translate_miss      STE and CD cached, TLB miss: a stage-1 walk of
 *                       four levels (no walk cache; the model has none);
 *                       against walk4
 *   translate_miss_nested  the same on a nested stream: every stage-1
 *                       table access and the output go through a stage-2
 *                       walk of four levels; against walk4, reported
 *   dma_read_4k         a 4K DMA read through a cached translation, against
 *                       memcpy_4k
 *   cmd_tlbi_va_sync    CMD_TLBI_NH_VA for one page and a CMD_SYNC that
 *                       writes its MSI to memory, queued at CMDQ_PROD with
 *                       one register write as a driver issues them;
 *                       against walk4, reported
 *   translate_hit.scaling_2t  per-operation time of translate_hit with two
 *                       threads against one
 *   translate_hit.scaling_2p  the same in two processes with nothing shared
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <siommu/mem.h>
#include <siommu/pt.h>
#include <siommu/smmuv3.h>

#include "bench.h"
#include "hw/smmuv3/smmuv3_internal.h"	/* the model's RCU domain */

#define SID 0x10
#define SSID 1
#define ASID 1
#define VMID 1
#define HIT_PAGES 256
#define IOVA_BASE 0x40000000ull

/* Command opcodes and fields (SMMUv3 4.4.2, 4.7.3). */
#define CMD_OP_TLBI_NH_VA	0x12ull
#define CMD_OP_SYNC		0x46ull
#define CMD_ASID(a)		((uint64_t)(a) << 48)
#define CMD_VMID(v)		((uint64_t)(v) << 32)
#define CMD_SYNC_CS_IRQ		(1ull << 12)
#define CMD_SYNC_DATA(d)	((uint64_t)(d) << 32)

/* STE and CD fields (SMMUv3 5.2, 5.4). */
#define STE_V			1ull
#define STE_CFG(c)		((uint64_t)(c) << 1)
#define STE_CDMAX(n)		((uint64_t)(n) << 59)
#define STE_S2T0SZ(t)		((uint64_t)(t) << 32)
#define STE_S2SL0(l)		((uint64_t)(l) << 38)
#define STE_S2PS(p)		((uint64_t)(p) << 48)
#define STE_S2AA64		(1ull << 51)
#define STE_S2R		(1ull << 58)
#define CD_T0SZ(t)		((uint64_t)(t))
#define CD_EPD1		(1ull << 30)
#define CD_V			(1ull << 31)
#define CD_IPS(p)		((uint64_t)(p) << 32)
#define CD_AA64		(1ull << 41)
#define CD_R			(1ull << 45)
#define CD_A			(1ull << 46)
#define CD_ASID(a)		((uint64_t)(a) << 48)

#define CR0_ON (SIOMMU_SMMUV3_CR0_SMMUEN | SIOMMU_SMMUV3_CR0_EVTQEN | \
		SIOMMU_SMMUV3_CR0_CMDQEN)

struct unit {
	struct siommu_mem *mem;
	struct siommu_smmuv3 *s;
	struct siommu_pt *s1, *s2;
	uint64_t strtab, cdtab, cmdq, evtq, sync, data;
	uint32_t prod;
	uint32_t seq;
};

static int frame(struct unit *u, uint64_t *pa)
{
	return siommu_mem_frame_alloc(u->mem, 4096, SIOMMU_MEM_HW, pa);
}

static void unit_destroy(struct unit *u)
{
	if (u->s)
		siommu_smmuv3_destroy(u->s);
	if (u->s1)
		siommu_pt_destroy(u->s1);
	if (u->s2)
		siommu_pt_destroy(u->s2);
}

/*
 * A unit whose stream SID runs stage 1 (or, @nested, stage 1 through an
 * identity stage 2 over the frame pool) with substream SSID mapping
 * @pages pages from IOVA_BASE onto one data page.
 */
static int unit_create(struct unit *u, struct siommu_mem *mem,
		       const struct siommu_smmuv3_cfg *cfg, unsigned int pages, bool nested)
{
	struct siommu_pt_cfg s1_cfg = { .format = SIOMMU_PT_ARM_S1, .ias = 48 };
	struct siommu_pt_cfg s2_cfg = { .format = SIOMMU_PT_ARM_S2, .ias = 48 };
	uint64_t ste[4] = { 0 }, cd[8] = { 0 };
	unsigned int i;
	int ret;

	memset(u, 0, sizeof(*u));
	u->mem = mem;
	ret = siommu_smmuv3_create(mem, cfg, &u->s);
	ret = ret ? ret : siommu_pt_create(mem, &s1_cfg, &u->s1);
	ret = ret ? ret : (nested ? siommu_pt_create(mem, &s2_cfg, &u->s2) : 0);
	ret = ret ? ret : siommu_mem_frame_alloc(mem, 16384, SIOMMU_MEM_HW, &u->strtab);
	ret = ret ? ret : frame(u, &u->cdtab);
	ret = ret ? ret : frame(u, &u->cmdq);
	ret = ret ? ret : frame(u, &u->evtq);
	ret = ret ? ret : frame(u, &u->sync);
	ret = ret ? ret : siommu_mem_frame_alloc(mem, 4096, SIOMMU_MEM_DMA, &u->data);
	for (i = 0; i < pages && !ret; i++)
		ret = siommu_pt_map(u->s1, IOVA_BASE + i * 4096ull, u->data, 4096,
				    SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
	if (!ret && nested)
		ret = siommu_pt_map(u->s2, SIOMMU_MEM_DEFAULT_POOL_BASE,
				    SIOMMU_MEM_DEFAULT_POOL_BASE,
				    SIOMMU_MEM_DEFAULT_POOL_SIZE,
				    SIOMMU_PROT_READ | SIOMMU_PROT_WRITE);
	if (ret) {
		unit_destroy(u);
		return ret;
	}
	/* Two CDs (S1CDMax 1): traffic carries SubstreamID 1. */
	cd[0] = CD_T0SZ(16) | CD_EPD1 | CD_V | CD_IPS(5) | CD_AA64 | CD_R | CD_A |
		CD_ASID(ASID);
	cd[1] = siommu_pt_root(u->s1);
	ret = siommu_mem_write(mem, u->cdtab + 64 * SSID, cd, sizeof(cd));
	ste[0] = STE_V | STE_CFG(nested ? 7 : 5) | u->cdtab | STE_CDMAX(1);
	if (nested) {
		/* 48-bit IPA from level 0 (SL0 2). */
		ste[2] = VMID | STE_S2T0SZ(16) | STE_S2SL0(2) | STE_S2PS(5) |
			 STE_S2AA64 | STE_S2R;
		ste[3] = siommu_pt_root(u->s2);
	}
	ret = ret ? ret : siommu_mem_write(mem, u->strtab + 64 * SID, ste, sizeof(ste));
	if (ret) {
		unit_destroy(u);
		return ret;
	}
	siommu_smmuv3_mmio_write(u->s, SIOMMU_SMMUV3_STRTAB_BASE, 8, u->strtab);
	siommu_smmuv3_mmio_write(u->s, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 8);	/* 256 */
	siommu_smmuv3_mmio_write(u->s, SIOMMU_SMMUV3_CMDQ_BASE, 8, u->cmdq | 8);	/* 256 */
	siommu_smmuv3_mmio_write(u->s, SIOMMU_SMMUV3_EVTQ_BASE, 8, u->evtq | 7);	/* 128 */
	siommu_smmuv3_mmio_write(u->s, SIOMMU_SMMUV3_CR0, 4, CR0_ON);
	return 0;
}

/* Queue @n commands and move CMDQ_PROD past them with one write. */
static void unit_cmds(struct unit *u, const uint64_t (*cmd)[2], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		siommu_mem_write(u->mem, u->cmdq + (u->prod & 0xff) * 16ull, cmd[i], 16);
		u->prod = (u->prod + 1) & 0x1ff;
	}
	siommu_smmuv3_mmio_write(u->s, SIOMMU_SMMUV3_CMDQ_PROD, 4, u->prod);
}

static struct siommu_smmuv3_req req_at(uint64_t iova)
{
	struct siommu_smmuv3_req r = { .sid = SID, .ssv = true, .ssid = SSID,
				       .iova = iova, .len = 8,
				       .access = SIOMMU_SMMUV3_READ };
	return r;
}

struct hit_arg {
	struct siommu_smmuv3 *s;
	uint64_t mask;		/* pages cycled through from IOVA_BASE, less one */
	uint64_t n;
	int err;
};

/*
 * One request whose address changes, as a device streaming DMA keeps its
 * descriptor: the loop times the translation, not building a request.
 * Over HIT_PAGES pages every translation hits; over two pages through a
 * 1-entry TLB, every one walks.
 */
static void xlate_run(void *arg, uint64_t iters)
{
	struct hit_arg *a = arg;
	struct siommu_smmuv3_xlate x;
	struct siommu_smmuv3_req r = req_at(IOVA_BASE);
	uint64_t n = a->n, acc = 0;

	while (iters--) {
		r.iova = IOVA_BASE + (n & a->mask) * 4096;
		if (siommu_smmuv3_translate(a->s, &r, &x))
			a->err = -EIO;
		acc += x.addr;
		n++;
	}
	a->n = n;
	bench_sink(acc);
}

/* The destination is cache-line aligned, as memcpy_4k's buffers are. */
struct dma_arg {
	char buf[4096];
	struct siommu_smmuv3 *s;
	int err;
};

static void dma_run(void *arg, uint64_t iters)
{
	struct dma_arg *a = arg;
	struct siommu_smmuv3_req r = req_at(IOVA_BASE);
	size_t done;

	while (iters--) {
		if (siommu_smmuv3_dma_read(a->s, &r, a->buf, 4096, &done, NULL))
			a->err = -EIO;
		bench_sink((uint64_t)(uintptr_t)a->buf);
	}
}

struct inv_arg {
	struct unit *u;
	int err;
};

static void inv_run(void *arg, uint64_t iters)
{
	struct inv_arg *a = arg;
	struct unit *u = a->u;

	while (iters--) {
		uint64_t cmd[2][2] = {
			{ CMD_OP_TLBI_NH_VA | CMD_ASID(ASID), IOVA_BASE },
			{ CMD_OP_SYNC | CMD_SYNC_CS_IRQ | CMD_SYNC_DATA(++u->seq), u->sync },
		};
		uint32_t v = 0;

		unit_cmds(u, cmd, 2);
		siommu_mem_read(u->mem, u->sync, &v, 4);
		if (v != u->seq)
			a->err = -EIO;
	}
}

/* Let the model's RCU domain go quiet (its readers fence while grace
 * periods are frequent, as during cmd_tlbi_va_sync): the request rows
 * measure translation without frequent invalidations. */
static void rcu_quiesce(struct siommu_smmuv3 *s)
{
	struct timespec ts = { 0, (long)RCU_QUIET_NS + 1000000L };

	nanosleep(&ts, NULL);
	smmu_sync(s);
}

int bench_smmuv3(struct bench_report *rep)
{
	struct siommu_smmuv3_cfg hit_cfg = { .tlb_sets = 256, .tlb_ways = 4 };
	struct siommu_smmuv3_cfg miss_cfg = { .tlb_sets = 1, .tlb_ways = 1 };
	struct hit_arg ha = { 0 }, ma = { 0 }, na = { 0 }, t1 = { 0 }, t2 = { 0 };
	struct inv_arg ia = { 0 };
	struct unit hu, mu, nu;
	struct dma_arg *da = NULL;
	struct hash_probe *hp = NULL;
	struct walk4 *w = NULL;
	struct siommu_mem *mem;
	char *cbuf = NULL;
	int ret;

	ret = siommu_mem_create(NULL, &mem);
	if (ret)
		return ret;
	ret = unit_create(&hu, mem, &hit_cfg, HIT_PAGES, false);
	if (ret)
		goto out_mem;
	ret = unit_create(&mu, mem, &miss_cfg, 2, false);
	if (ret)
		goto out_hit;
	ret = unit_create(&nu, mem, &miss_cfg, 2, true);
	if (ret)
		goto out_miss;
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
	na.s = nu.s;
	na.mask = 1;
	bench_pair(rep, "translate_miss_nested", xlate_run, &na, "walk4", walk4_run, w,
		   1 << 12, 0);
	da->s = hu.s;
	bench_pair(rep, "dma_read_4k", dma_run, da, "memcpy_4k", memcpy_4k_run, cbuf,
		   1 << 12, 1.3);
	ia.u = &hu;
	bench_pair(rep, "cmd_tlbi_va_sync", inv_run, &ia, "walk4", walk4_run, w,
		   rep->opts->quick ? 16 : 256, 0);
	xlate_run(&ha, HIT_PAGES);	/* the page the commands removed */
	rcu_quiesce(hu.s);
	t1.s = t2.s = hu.s;
	t1.mask = t2.mask = HIT_PAGES - 1;
	t2.n = 7;
	bench_scaling(rep, "translate_hit", xlate_run, (void *const[2]){ &t1, &t2 }, 0.6);
	ret = ha.err ? ha.err : ma.err ? ma.err : na.err ? na.err : t1.err ? t1.err :
	      t2.err ? t2.err : da->err ? da->err : ia.err;

out_free:
	free(cbuf);
	free(da);
	if (w)
		walk4_destroy(w);
	if (hp)
		hash_probe_destroy(hp);
	unit_destroy(&nu);
out_miss:
	unit_destroy(&mu);
out_hit:
	unit_destroy(&hu);
out_mem:
	siommu_mem_destroy(mem);
	return ret;
}
