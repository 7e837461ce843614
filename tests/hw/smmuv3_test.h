/* SPDX-License-Identifier: MIT */
/*
 * Shared setup for the SMMUv3 model tests: a memory, a unit programmed the
 * way a driver would (linear stream table of 256 STEs, command, event and
 * PRI queues, all enabled), builders for STEs, CDs and hand-made VMSAv8-64
 * tables, and helpers to issue commands and read events.
 */
#ifndef SIOMMU_TESTS_SMMUV3_TEST_H
#define SIOMMU_TESTS_SMMUV3_TEST_H

#include <errno.h>
#include <siommu/mem.h>
#include <siommu/smmuv3.h>
#include <siommu/smmuv3_build.h>

#include "test.h"

/* Command opcodes (SMMUv3 4). */
#define OP_PREFETCH_CONFIG	0x01
#define OP_PREFETCH_ADDR	0x02
#define OP_CFGI_STE		0x03
#define OP_CFGI_STE_RANGE	0x04
#define OP_CFGI_CD		0x05
#define OP_CFGI_CD_ALL		0x06
#define OP_TLBI_NH_ALL		0x10
#define OP_TLBI_NH_ASID		0x11
#define OP_TLBI_NH_VA		0x12
#define OP_TLBI_NH_VAA		0x13
#define OP_TLBI_EL2_ALL		0x20
#define OP_TLBI_S12_VMALL	0x28
#define OP_TLBI_S2_IPA		0x2a
#define OP_TLBI_NSNH_ALL	0x30
#define OP_ATC_INV		0x40
#define OP_PRI_RESP		0x41
#define OP_RESUME		0x44
#define OP_STALL_TERM		0x45
#define OP_SYNC			0x46

#define CMD_SID(sid)		((uint64_t)(sid) << 32)
#define CMD_SSID(ssid)		((uint64_t)(ssid) << 12)
#define CMD_VMID(v)		((uint64_t)(v) << 32)
#define CMD_ASID(a)		((uint64_t)(a) << 48)
#define CMD_SSV			(1ull << 11)

/* STE and CD fields the tests set. */
#define STE_V			1ull
#define STE_CFG(c)		((uint64_t)(c) << 1)
#define STE_S1FMT(f)		((uint64_t)(f) << 4)
#define STE_CDMAX(n)		((uint64_t)(n) << 59)
#define STE1_S1DSS(d)		((uint64_t)(d))
#define STE1_S1STALLD		(1ull << 27)
#define STE1_EATS(e)		((uint64_t)(e) << 28)
#define STE2_T0SZ(t)		((uint64_t)(t) << 32)
#define STE2_SL0(l)		((uint64_t)(l) << 38)
#define STE2_PS(p)		((uint64_t)(p) << 48)
#define STE2_AA64		(1ull << 51)
#define STE2_AFFD		(1ull << 53)
#define STE2_S2HA		(1ull << 56)
#define STE2_S2S		(1ull << 57)
#define STE2_S2R		(1ull << 58)

#define CD0_T0SZ(t)		((uint64_t)(t))
#define CD0_EPD0		(1ull << 14)
#define CD0_EPD1		(1ull << 30)
#define CD0_V			(1ull << 31)
#define CD0_IPS(p)		((uint64_t)(p) << 32)
#define CD0_AFFD		(1ull << 35)
#define CD0_TBI0		(1ull << 38)
#define CD0_AA64		(1ull << 41)
#define CD0_HA			(1ull << 43)
#define CD0_S			(1ull << 44)
#define CD0_R			(1ull << 45)
#define CD0_A			(1ull << 46)
#define CD0_ASID(a)		((uint64_t)(a) << 48)

/* VMSAv8-64 leaf bits. */
#define PTE_AF			(1ull << 10)
#define PTE_AP1			(1ull << 6)	/* S1: EL0; S2AP: read */
#define PTE_AP2			(1ull << 7)	/* S1: read-only; S2AP: write */
#define PTE_PXN			(1ull << 53)
#define PTE_UXN			(1ull << 54)
#define S1_RW			(PTE_AF | PTE_AP1)
#define S1_RO			(PTE_AF | PTE_AP1 | PTE_AP2)
#define S2_RW			(PTE_AF | PTE_AP1 | PTE_AP2)

/* Where the unit's interrupts go (not RAM): an MSI needs an address. */
#define ST_DOORBELL		0xfee00000ull

#define CR0_ALL (SIOMMU_SMMUV3_CR0_SMMUEN | SIOMMU_SMMUV3_CR0_EVTQEN | \
		 SIOMMU_SMMUV3_CR0_PRIQEN | SIOMMU_SMMUV3_CR0_CMDQEN)

struct st {
	struct siommu_mem *mem;
	struct siommu_smmuv3 *s;
	uint64_t strtab;	/* 256 STEs, 16K */
	uint64_t cmdq;		/* 256 commands */
	uint64_t evtq;		/* 128 records */
	uint64_t priq;		/* 256 entries */
	uint64_t sync;		/* CMD_SYNC MSI word */
	uint32_t sync_seq;
	uint32_t evt_cons;	/* events read so far (with wrap) */
	unsigned int msi[4];
	uint64_t msi_addr;
	uint32_t msi_data;
};

static inline void st_msi(void *opaque, enum siommu_smmuv3_irq irq, uint64_t addr,
			  uint32_t data)
{
	struct st *t = opaque;

	__atomic_fetch_add(&t->msi[irq], 1, __ATOMIC_RELAXED);
	t->msi_addr = addr;
	t->msi_data = data;
}

static inline uint64_t st_rd(struct st *t, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	CHECK_OK(siommu_smmuv3_mmio_read(t->s, off, size, &val));
	return val;
}

static inline void st_wr(struct st *t, uint64_t off, unsigned int size, uint64_t val)
{
	CHECK_OK(siommu_smmuv3_mmio_write(t->s, off, size, val));
}

static inline uint64_t st_alloc(struct st *t, uint64_t size)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(t->mem, size, SIOMMU_MEM_HW, &pa));
	return pa;
}

static inline uint64_t st_ld(struct st *t, uint64_t pa)
{
	uint64_t v;

	CHECK_OK(siommu_mem_load64(t->mem, pa, &v));
	return v;
}

static inline void st_st(struct st *t, uint64_t pa, uint64_t v)
{
	CHECK_OK(siommu_mem_store64(t->mem, pa, v));
}

/* Unit created, nothing enabled. */
static inline void st_create(struct st *t, const struct siommu_smmuv3_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	CHECK_OK(siommu_mem_create(NULL, &t->mem));
	CHECK_OK(siommu_smmuv3_create(t->mem, cfg, &t->s));
	siommu_smmuv3_set_msi(t->s, st_msi, t);
}

/* Tables and queues, then every enable, as a driver brings a unit up. */
static inline void st_enable(struct st *t)
{
	t->strtab = st_alloc(t, 16384);
	t->cmdq = st_alloc(t, 4096);
	t->evtq = st_alloc(t, 4096);
	t->priq = st_alloc(t, 4096);
	t->sync = st_alloc(t, 4096);
	st_wr(t, SIOMMU_SMMUV3_STRTAB_BASE, 8, t->strtab);
	st_wr(t, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 8);	/* linear, 256 */
	st_wr(t, SIOMMU_SMMUV3_CMDQ_BASE, 8, t->cmdq | 8);
	st_wr(t, SIOMMU_SMMUV3_CMDQ_PROD, 4, 0);
	st_wr(t, SIOMMU_SMMUV3_CMDQ_CONS, 4, 0);
	st_wr(t, SIOMMU_SMMUV3_EVTQ_BASE, 8, t->evtq | 7);
	st_wr(t, SIOMMU_SMMUV3_EVTQ_PROD, 4, 0);
	st_wr(t, SIOMMU_SMMUV3_EVTQ_CONS, 4, 0);
	st_wr(t, SIOMMU_SMMUV3_PRIQ_BASE, 8, t->priq | 8);
	st_wr(t, SIOMMU_SMMUV3_PRIQ_PROD, 4, 0);
	st_wr(t, SIOMMU_SMMUV3_PRIQ_CONS, 4, 0);
	st_wr(t, SIOMMU_SMMUV3_CR2, 4, 2);	/* RECINVSID */
	st_wr(t, SIOMMU_SMMUV3_GERROR_IRQ_CFG0, 8, ST_DOORBELL);
	st_wr(t, SIOMMU_SMMUV3_EVTQ_IRQ_CFG0, 8, ST_DOORBELL);
	st_wr(t, SIOMMU_SMMUV3_PRIQ_IRQ_CFG0, 8, ST_DOORBELL);
	st_wr(t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	st_wr(t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_SMMUEN);
	st_wr(t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
	/* PRIQEN is RES0 without PRI (IDR0.PRI, bit 16). */
	CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_CR0ACK, 4),
		 (st_rd(t, SIOMMU_SMMUV3_IDR0, 4) & (1u << 16)) ? CR0_ALL :
		 CR0_ALL & ~SIOMMU_SMMUV3_CR0_PRIQEN);
}

static inline void st_init(struct st *t, const struct siommu_smmuv3_cfg *cfg)
{
	st_create(t, cfg);
	st_enable(t);
}

static inline void st_fini(struct st *t)
{
	siommu_smmuv3_destroy(t->s);
	siommu_mem_destroy(t->mem);
}

/* Queue one command at PROD and move PROD past it (one register write). */
static inline void st_cmd(struct st *t, uint64_t d0, uint64_t d1)
{
	uint32_t prod = (uint32_t)st_rd(t, SIOMMU_SMMUV3_CMDQ_PROD, 4);
	uint64_t cmd[2] = { d0, d1 };

	CHECK_OK(siommu_mem_write(t->mem, t->cmdq + (prod & 0xff) * 16ull, cmd, 16));
	st_wr(t, SIOMMU_SMMUV3_CMDQ_PROD, 4, (prod + 1) & 0x1ff);
}

/* CMD_SYNC with an MSI write to t->sync; checks it completed. */
static inline void st_sync(struct st *t)
{
	struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_SYNC,
				       .cs = SIOMMU_SMMUV3_SYNC_CS_IRQ, .msi_addr = t->sync };
	uint64_t cmd[2];
	uint32_t v = 0;

	c.msi_data = ++t->sync_seq;
	siommu_smmuv3_cmd_encode(&c, cmd);
	st_cmd(t, cmd[0], cmd[1]);
	CHECK_OK(siommu_mem_read(t->mem, t->sync, &v, 4));
	CHECK_EQ(v, t->sync_seq);
	/* CONS.ERR keeps the last error's code; the index has caught up. */
	CHECK_EQ(st_rd(t, SIOMMU_SMMUV3_CMDQ_CONS, 4) & 0xfffff,
		 st_rd(t, SIOMMU_SMMUV3_CMDQ_PROD, 4));
}

static inline void st_cmd_sync(struct st *t, uint64_t d0, uint64_t d1)
{
	st_cmd(t, d0, d1);
	st_sync(t);
}

/* An STE, linear table. */
static inline void st_ste(struct st *t, uint32_t sid, uint64_t w0, uint64_t w1,
			  uint64_t w2, uint64_t w3)
{
	uint64_t w[8] = { w0, w1, w2, w3, 0, 0, 0, 0 };

	CHECK_OK(siommu_mem_write(t->mem, t->strtab + sid * 64ull, w, 64));
}

/* A CD at @pa: 4K granule, TTB0 only, IPS 48 bits, record faults; @extra
 * bits of word 0 set on top. */
static inline void st_cd(struct st *t, uint64_t pa, uint16_t asid, uint64_t ttb0,
			 unsigned int t0sz, uint64_t extra)
{
	uint64_t w[8];

	siommu_smmuv3_cd_encode(&(struct siommu_smmuv3_cd_desc){
		.valid = true, .t0sz = t0sz, .ips = 5, .asid = asid, .ttb0 = ttb0,
		.r = true, .a = true }, w);
	w[0] |= extra;
	CHECK_OK(siommu_mem_write(t->mem, pa, w, 64));
}

/* A zeroed table page. */
static inline uint64_t st_table(struct st *t)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(t->mem, 4096, SIOMMU_MEM_PT, &pa));
	return pa;
}

/*
 * Map @va to @pa with a leaf at lookup @level (3: 4K, 2: 2M, 1: 1G) in the
 * VMSAv8-64 tables at @root (a PA) that start at lookup level @start and
 * take @ia input bits. Missing tables are allocated; table descriptors
 * hold PA - @delta (stage-1 tables seen as IPAs through a stage 2 that
 * maps IPA x to PA x + delta). Returns the leaf descriptor's PA.
 */
static inline uint64_t st_map(struct st *t, uint64_t root, unsigned int start,
			      unsigned int ia, uint64_t va, uint64_t pa,
			      unsigned int level, uint64_t bits, uint64_t delta)
{
	uint64_t table = root;
	unsigned int l;

	for (l = start;; l++) {
		unsigned int sh = 12 + 9 * (3 - l);
		unsigned int n = l == start ? ia - sh : 9;
		uint64_t slot = table + ((va >> sh) & ((1ull << n) - 1)) * 8, d;

		if (l == level) {
			uint64_t size = 1ull << sh;

			st_st(t, slot, (pa & ~(size - 1)) | bits | (l == 3 ? 3 : 1));
			return slot;
		}
		d = st_ld(t, slot);
		if (!(d & 1)) {
			uint64_t n_tbl = st_table(t);

			st_st(t, slot, (n_tbl - delta) | 3);
			table = n_tbl;
		} else {
			table = (d & 0xfffffffff000ull) + delta;
		}
	}
}

/* Stage-1 tables for a 39-bit space (T0SZ 25, start at level 1) that map
 * the 4K page @va to @pa read-write. */
static inline uint64_t st_s1_root(struct st *t, uint64_t va, uint64_t pa)
{
	uint64_t root = st_table(t);

	st_map(t, root, 1, 39, va, pa, 3, S1_RW, 0);
	return root;
}

/* Requests. */
static inline struct siommu_smmuv3_req st_req(uint32_t sid, bool ssv, uint32_t ssid,
					      uint64_t iova, uint32_t access)
{
	struct siommu_smmuv3_req r = {
		.sid = sid, .ssv = ssv, .ssid = ssid, .iova = iova, .access = access,
	};

	return r;
}

/* Translate; returns the output address or checks the error. */
static inline uint64_t st_xlate(struct st *t, uint32_t sid, bool ssv, uint32_t ssid,
				uint64_t iova, uint32_t access)
{
	struct siommu_smmuv3_req r = st_req(sid, ssv, ssid, iova, access);
	struct siommu_smmuv3_xlate x;

	CHECK_OK(siommu_smmuv3_translate(t->s, &r, &x));
	return x.addr;
}

/* Expect a fault with @event; returns whether it was recorded. */
static inline bool st_fault(struct st *t, uint32_t sid, bool ssv, uint32_t ssid,
			    uint64_t iova, uint32_t access, uint32_t event)
{
	struct siommu_smmuv3_req r = st_req(sid, ssv, ssid, iova, access);
	struct siommu_smmuv3_xlate x;

	CHECK_EQ(siommu_smmuv3_translate(t->s, &r, &x), -EFAULT);
	CHECK_EQ(x.event, event);
	return x.event_recorded;
}

/* The next event record, or false if the queue is empty. */
static inline bool st_event(struct st *t, uint64_t rec[4])
{
	uint32_t prod = (uint32_t)st_rd(t, SIOMMU_SMMUV3_EVTQ_PROD, 4);

	if ((prod & 0xff) == (t->evt_cons & 0xff))
		return false;
	CHECK_OK(siommu_mem_read(t->mem, t->evtq + (t->evt_cons & 0x7f) * 32ull, rec, 32));
	t->evt_cons = (t->evt_cons + 1) & 0xff;
	st_wr(t, SIOMMU_SMMUV3_EVTQ_CONS, 4,
	      t->evt_cons | (prod & SIOMMU_SMMUV3_Q_OVF));
	return true;
}

/* The next event must be @id for @sid; returns it in rec. */
static inline void st_expect_event(struct st *t, uint8_t id, uint32_t sid, uint64_t rec[4])
{
	CHECK(st_event(t, rec));
	CHECK_EQ(rec[0] & 0xff, id);
	CHECK_EQ(rec[0] >> 32, sid);
}

static inline void st_no_event(struct st *t)
{
	uint64_t rec[4];

	CHECK(!st_event(t, rec));
}

#endif
