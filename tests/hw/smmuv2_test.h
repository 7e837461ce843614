/* SPDX-License-Identifier: MIT */
/*
 * Shared setup for the SMMUv2 model tests: a memory, a unit, register
 * helpers, a context bank programmed the way Linux's arm-smmu driver does
 * (stage 1, AArch64 format, 39-bit TTBR0 and TTBR1 halves, or stage 2),
 * hand-made VMSAv8-64 tables (written here from the format, not by the
 * model's walker or src/pt), and callbacks that count.
 */
#ifndef SIOMMU_TESTS_SMMUV2_TEST_H
#define SIOMMU_TESTS_SMMUV2_TEST_H

#include <errno.h>
#include <siommu/mem.h>
#include <siommu/smmuv2.h>

#include "test.h"

/* VMSAv8-64 leaf bits. */
#define PTE_AF			(1ull << 10)
#define PTE_NG			(1ull << 11)	/* S1: tagged by ASID */
#define PTE_AP1			(1ull << 6)	/* S1: EL0; S2AP: read */
#define PTE_AP2			(1ull << 7)	/* S1: read-only; S2AP: write */
#define PTE_PXN			(1ull << 53)
#define PTE_UXN			(1ull << 54)
/* Per-process stage-1 leaves, as Linux writes them (nG set). */
#define S1_RW			(PTE_AF | PTE_AP1 | PTE_NG)
#define S1_RO			(PTE_AF | PTE_AP1 | PTE_AP2 | PTE_NG)
#define S2_RW			(PTE_AF | PTE_AP1 | PTE_AP2)

/* A stage-1 TCR: 39-bit halves (T0SZ = T1SZ = 25), 4K granules. */
#define TCR_39 (SIOMMU_SMMUV2_TCR_T0SZ(25) | SIOMMU_SMMUV2_TCR_T1SZ(25) | \
		SIOMMU_SMMUV2_TCR_TG1_4K)
/* A stage-2 VTCR: 40-bit IPA (T0SZ 24), start at level 1 (SL0 1), 48-bit PA. */
#define VTCR_40 (SIOMMU_SMMUV2_TCR_T0SZ(24) | SIOMMU_SMMUV2_VTCR_SL0(1) | \
		 SIOMMU_SMMUV2_VTCR_PS(5))
#define SCTLR_ON (SIOMMU_SMMUV2_SCTLR_M | SIOMMU_SMMUV2_SCTLR_AFE | \
		  SIOMMU_SMMUV2_SCTLR_CFRE | SIOMMU_SMMUV2_SCTLR_CFIE)
#define HI_VA(off) (0xffffff8000000000ull + (off))	/* in TTBR1's 39-bit half */

struct v2t {
	struct siommu_mem *mem;
	struct siommu_smmuv2 *s;
	unsigned int irq_global, irq_ctx[128];
	unsigned int stall_ends, stall_retry;
	int last_stall_cb;
};

static inline void v2t_irq(void *opaque, enum siommu_smmuv2_irq irq, int cb)
{
	struct v2t *t = opaque;

	if (irq == SIOMMU_SMMUV2_IRQ_GLOBAL)
		__atomic_fetch_add(&t->irq_global, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&t->irq_ctx[cb], 1, __ATOMIC_RELAXED);
}

static inline void v2t_stall_end(void *opaque, unsigned int cb, bool retry)
{
	struct v2t *t = opaque;

	__atomic_fetch_add(&t->stall_ends, 1, __ATOMIC_RELAXED);
	if (retry)
		__atomic_fetch_add(&t->stall_retry, 1, __ATOMIC_RELAXED);
	t->last_stall_cb = (int)cb;
}

static const struct siommu_smmuv2_ops v2t_ops = { v2t_irq, v2t_stall_end };

static inline uint64_t v2_rd(struct v2t *t, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	CHECK_OK(siommu_smmuv2_mmio_read(t->s, off, size, &val));
	return val;
}

static inline void v2_wr(struct v2t *t, uint64_t off, unsigned int size, uint64_t val)
{
	CHECK_OK(siommu_smmuv2_mmio_write(t->s, off, size, val));
}

static inline uint64_t cb_rd(struct v2t *t, unsigned int cb, uint64_t off, unsigned int size)
{
	return v2_rd(t, SIOMMU_SMMUV2_CB(cb) + off, size);
}

static inline void cb_wr(struct v2t *t, unsigned int cb, uint64_t off, unsigned int size,
			 uint64_t val)
{
	v2_wr(t, SIOMMU_SMMUV2_CB(cb) + off, size, val);
}

static inline void v2t_init(struct v2t *t, const struct siommu_smmuv2_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	CHECK_OK(siommu_mem_create(NULL, &t->mem));
	CHECK_OK(siommu_smmuv2_create(t->mem, cfg, &t->s));
	siommu_smmuv2_set_ops(t->s, &v2t_ops, t);
	t->last_stall_cb = -1;
}

static inline void v2t_fini(struct v2t *t)
{
	siommu_smmuv2_destroy(t->s);
	siommu_mem_destroy(t->mem);
}

static inline uint64_t v2t_ld(struct v2t *t, uint64_t pa)
{
	uint64_t v;

	CHECK_OK(siommu_mem_load64(t->mem, pa, &v));
	return v;
}

static inline void v2t_st(struct v2t *t, uint64_t pa, uint64_t v)
{
	CHECK_OK(siommu_mem_store64(t->mem, pa, v));
}

/* A zeroed page from the pool. */
static inline uint64_t v2t_page(struct v2t *t)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(t->mem, 4096, SIOMMU_MEM_PT, &pa));
	return pa;
}

/*
 * Map @va to @pa with a leaf at lookup @level (3: 4K, 2: 2M, 1: 1G) in the
 * tables at @root that start at lookup level @start and take @ia input
 * bits; missing tables are allocated. Returns the leaf descriptor's PA.
 */
static inline uint64_t v2t_map(struct v2t *t, uint64_t root, unsigned int start,
			       unsigned int ia, uint64_t va, uint64_t pa, unsigned int level,
			       uint64_t bits)
{
	uint64_t table = root;
	unsigned int l;

	for (l = start;; l++) {
		unsigned int sh = 12 + 9 * (3 - l);
		unsigned int n = l == start ? ia - sh : 9;
		uint64_t slot = table + ((va >> sh) & ((1ull << n) - 1)) * 8, d;

		if (l == level) {
			uint64_t size = 1ull << sh;

			v2t_st(t, slot, (pa & ~(size - 1)) | bits | (l == 3 ? 3 : 1));
			return slot;
		}
		d = v2t_ld(t, slot);
		if (!(d & 1)) {
			table = v2t_page(t);
			v2t_st(t, slot, table | 3);
		} else {
			table = d & 0xfffffffff000ull;
		}
	}
}

/* Map the 4K page @va of a 39-bit stage-1 half (start level 1). */
static inline uint64_t v2t_map_s1(struct v2t *t, uint64_t root, uint64_t va, uint64_t pa,
				  uint64_t bits)
{
	return v2t_map(t, root, 1, 39, va, pa, 3, bits);
}

/* Stream @sid through SMR/S2CR group @grp to bank @cb (exact ID). */
static inline void v2t_stream(struct v2t *t, unsigned int grp, uint32_t sid, unsigned int cb)
{
	v2_wr(t, SIOMMU_SMMUV2_S2CR(grp), 4, SIOMMU_SMMUV2_S2CR_TRANS | cb);
	v2_wr(t, SIOMMU_SMMUV2_SMR(grp), 4, SIOMMU_SMMUV2_SMR_VAL(sid, 0));
}

/* Bank @cb as a stage-1 context (VMID @vmid, TTBR0 @ttb0 with @asid,
 * TTBR1 @ttb1), enabled with @sctlr. */
static inline void v2t_s1_bank(struct v2t *t, unsigned int cb, uint8_t vmid, uint16_t asid,
			       uint64_t ttb0, uint64_t ttb1, uint32_t sctlr)
{
	v2_wr(t, SIOMMU_SMMUV2_CBAR(cb), 4, SIOMMU_SMMUV2_CBAR_S1_BYPASS | vmid);
	v2_wr(t, SIOMMU_SMMUV2_CBA2R(cb), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(5) |
	      SIOMMU_SMMUV2_TCR2_AS);
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_TCR, 4, TCR_39 | (ttb1 ? 0 : SIOMMU_SMMUV2_TCR_EPD1));
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_TTBR0, 8, ttb0 | SIOMMU_SMMUV2_TTBR_ASID(asid));
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_TTBR1, 8, ttb1 | SIOMMU_SMMUV2_TTBR_ASID(asid));
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_MAIR0, 4, 0xff);
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_SCTLR, 4, sctlr);
}

/* Bank @cb as a stage-2 context (VMID @vmid, VTCR_40, tables at @ttb). */
static inline void v2t_s2_bank(struct v2t *t, unsigned int cb, uint8_t vmid, uint64_t ttb,
			       uint32_t sctlr)
{
	v2_wr(t, SIOMMU_SMMUV2_CBAR(cb), 4, SIOMMU_SMMUV2_CBAR_S2 | vmid);
	v2_wr(t, SIOMMU_SMMUV2_CBA2R(cb), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_TCR, 4, VTCR_40);
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_TTBR0, 8, ttb);
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_SCTLR, 4, sctlr);
}

/* Clients go through the unit: CLIENTPD clear, unmatched streams fault,
 * global faults reported and interrupting, conflicts fault. */
static inline void v2t_enable(struct v2t *t)
{
	v2_wr(t, SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_USFCFG | SIOMMU_SMMUV2_SCR0_GFRE |
	      SIOMMU_SMMUV2_SCR0_GFIE | SIOMMU_SMMUV2_SCR0_SMCFCFG);
}

static inline struct siommu_smmuv2_req v2t_req(uint32_t sid, uint64_t iova, uint32_t access)
{
	struct siommu_smmuv2_req r = { .sid = sid, .iova = iova, .len = 1, .access = access };

	return r;
}

/* Translate, expecting success: the output address. */
static inline uint64_t v2t_xlate(struct v2t *t, uint32_t sid, uint64_t iova, uint32_t access)
{
	struct siommu_smmuv2_req r = v2t_req(sid, iova, access);
	struct siommu_smmuv2_xlate x;
	int ret = siommu_smmuv2_translate(t->s, &r, &x);

	if (ret)
		fprintf(stderr, "translate sid %u iova 0x%" PRIx64 ": %d fsr 0x%x\n", sid, iova,
			ret, x.fsr);
	CHECK_OK(ret);
	return x.addr;
}

/* Translate, expecting a fault; returns the result. */
static inline struct siommu_smmuv2_xlate v2t_fault(struct v2t *t, uint32_t sid, uint64_t iova,
						   uint32_t access, int expect)
{
	struct siommu_smmuv2_req r = v2t_req(sid, iova, access);
	struct siommu_smmuv2_xlate x;

	CHECK_EQ(siommu_smmuv2_translate(t->s, &r, &x), expect);
	return x;
}

/* A unit out of reset with stream @sid (group 0) on bank @cb, a stage-1
 * context (VMID 1, ASID 1, TTBR0 only) enabled with @sctlr; returns its
 * TTBR0 table, empty. */
static inline uint64_t v2t_s1_unit(struct v2t *t, uint32_t sid, unsigned int cb,
				   uint32_t sctlr)
{
	uint64_t root;

	v2t_init(t, NULL);
	v2t_enable(t);
	root = v2t_page(t);
	v2t_stream(t, 0, sid, cb);
	v2t_s1_bank(t, cb, 1, 1, root, 0, sctlr);
	return root;
}

/* A unit out of reset with stream @sid (group 0) on bank @cb, a stage-1
 * context with both 39-bit halves (VMID 1, ASID @asid) enabled with
 * SCTLR_ON; their tables, empty, in *lo and *hi. */
static inline void v2t_split_unit(struct v2t *t, uint32_t sid, unsigned int cb, uint16_t asid,
				  uint64_t *lo, uint64_t *hi)
{
	v2t_init(t, NULL);
	v2t_enable(t);
	*lo = v2t_page(t);
	*hi = v2t_page(t);
	v2t_stream(t, 0, sid, cb);
	v2t_s1_bank(t, cb, 1, asid, *lo, *hi, SCTLR_ON);
}

/* Clear bank @cb's fault record. */
static inline void v2t_fsr_clear(struct v2t *t, unsigned int cb)
{
	cb_wr(t, cb, SIOMMU_SMMUV2_CB_FSR, 4, SIOMMU_SMMUV2_FSR_FAULT);
}

#endif
