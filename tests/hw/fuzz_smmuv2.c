/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SMMUv2 model: everything a driver, a GPU's
 * command processor or a guest controls.
 *
 * The input is a program of operations: register writes and reads (picked
 * from the registers that matter, or anywhere in the 1 MiB of MMIO), 64-bit
 * stores anywhere in a small RAM window (page tables are made of these),
 * TTBR0/ASID switches followed by TLBIASID and TLBSYNC as a GPU issues
 * them, RESUMEs, and device requests (translate, DMA, access) from the
 * streams the unit is programmed for or from others. The unit starts
 * programmed (stream 0 on a stage-1 bank whose tables map the window,
 * stream 1 on a stage-2 bank, stream 2 bypassing) so that inputs reach the
 * walkers quickly. Values are folded into the window most of the time, so
 * that entries point at RAM and walks go deep, and left raw the rest.
 *
 * The interrupt callback reads and clears the fault registers, as a driver
 * does, from inside the faulting call. The model must not crash, hang, or
 * touch memory outside the regions (run under ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/mem.h>
#include <siommu/smmuv2.h>

#include "fuzz_input.h"

#define WIN_BASE (1ull << 30)
#define WIN_PAGES 64
#define S1_L1 (WIN_BASE)
#define S1_L2 (WIN_BASE + 0x1000)
#define S1_L3 (WIN_BASE + 0x2000)
#define S2_L1 (WIN_BASE + 0x3000)
#define S2_L2 (WIN_BASE + 0x4000)
#define B_L1 (WIN_BASE + 0x5000)

/* Folds a value into the RAM window, keeping its low 12 bits. */
static uint64_t ptr(uint64_t v)
{
	return WIN_BASE + ((v >> 12) % WIN_PAGES) * 4096 + (v & 0xfff);
}

/* A value whose address bits (47:12) are folded into the window, most of
 * the time; its other bits (flags, ASID) are kept. */
static uint64_t maybe_ptr(struct in *in, uint64_t v)
{
	uint64_t addr = 0xfffffffff000ull;

	if (!(take(in, 1) & 3))
		return v;
	return (v & ~addr) | (ptr(v & addr) & addr);
}

/* Registers worth writing: GR0, the first groups, GR1, the first banks. */
static uint64_t pick_reg(struct in *in, unsigned int sel)
{
	static const uint16_t gr0[] = {
		0x000, 0x010, 0x040, 0x044, 0x048, 0x04c, 0x050, 0x054, 0x058, 0x064,
		0x068, 0x06c, 0x070, 0x074,
	};
	static const uint16_t cb[] = {
		0x000, 0x004, 0x008, 0x010, 0x020, 0x024, 0x028, 0x02c, 0x030, 0x034,
		0x038, 0x03c, 0x050, 0x058, 0x05c, 0x060, 0x068, 0x06c, 0x070, 0x600,
		0x608, 0x610, 0x618, 0x620, 0x628, 0x630, 0x638, 0x7f0, 0x7f4, 0x800,
		0x8f0,
	};
	unsigned int n = (unsigned int)take(in, 1);

	switch (sel % 6) {
	case 0:
		return gr0[n % (sizeof(gr0) / sizeof(gr0[0]))];
	case 1:
		return (n & 1 ? 0xc00 : 0x800) + 4 * ((n >> 1) % 8);	/* SMR, S2CR */
	case 2:
		return 0x1000 + 0x400 * (n % 3) + 4 * ((n >> 2) % 4);	/* CBAR, FRSYNRA, CBA2R */
	case 3:
	case 4:
		return SIOMMU_SMMUV2_CB(n % 5) + cb[(n >> 3) % (sizeof(cb) / sizeof(cb[0]))];
	default:
		return take(in, 3) % SIOMMU_SMMUV2_MMIO_SIZE & ~3ull;
	}
}

struct fz {
	struct siommu_smmuv2 *s;
	unsigned int depth;
};

static void irq(void *opaque, enum siommu_smmuv2_irq line, int cb)
{
	struct fz *f = opaque;
	uint64_t v;

	if (line == SIOMMU_SMMUV2_IRQ_GLOBAL) {
		siommu_smmuv2_mmio_read(f->s, SIOMMU_SMMUV2_SGFSR, 4, &v);
		siommu_smmuv2_mmio_write(f->s, SIOMMU_SMMUV2_SGFSR, 4, v);
	} else {
		siommu_smmuv2_mmio_read(f->s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_FAR, 8, &v);
		siommu_smmuv2_mmio_write(f->s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_FSR, 4,
					 ~0u);
	}
}

static void stall_end(void *opaque, unsigned int cb, bool retry)
{
	(void)opaque;
	(void)cb;
	(void)retry;
}

static int access_cb(void *arg, void *host, size_t len, size_t off)
{
	volatile uint8_t *h = host;
	size_t i;

	(void)arg;
	for (i = 0; i < len; i += 512)
		h[i] ^= 1;
	return (off ^ len) % 7 == 0 ? 1 : 0;
}

static void request(struct siommu_smmuv2 *s, struct in *in, unsigned int kind)
{
	static uint8_t buf[3 * 4096];
	struct siommu_smmuv2_req r;
	struct siommu_smmuv2_xlate x;
	uint64_t f = take(in, 2);
	size_t done, len;

	memset(&r, 0, sizeof(r));
	r.sid = (f & 1) ? (uint32_t)take(in, 2) : (uint32_t)(take(in, 1) & 3);
	r.priv = f & 2;
	if (f & 4)
		r.iova = take(in, 8);
	else if (f & 8)
		r.iova = 0xffffff8000000000ull | take(in, 3) << 9;
	else
		r.iova = take(in, 3) << 9;
	r.len = take(in, 2);
	r.access = (uint32_t)(f >> 5) & 7;
	len = (size_t)(take(in, 2) % sizeof(buf));
	switch (kind) {
	case 0:
		siommu_smmuv2_translate(s, &r, &x);
		break;
	case 1:
		siommu_smmuv2_dma_read(s, &r, buf, len, &done, &x);
		break;
	case 2:
		siommu_smmuv2_dma_write(s, &r, buf, len, &done, &x);
		break;
	default:
		r.len %= sizeof(buf);
		siommu_smmuv2_access(s, &r, access_cb, NULL, &x);
		break;
	}
}

static void wr(struct siommu_smmuv2 *s, uint64_t off, unsigned int size, uint64_t val)
{
	siommu_smmuv2_mmio_write(s, off, size, val);
}

/* Tables: stage 1 maps VA [0, 256K) to the window page by page; stage 2
 * maps IPA [0, 2M) to the window's 2M block; B's table shares S1_L2. */
static void setup(struct siommu_mem *mem, struct siommu_smmuv2 *s)
{
	unsigned int i;

	siommu_mem_store64(mem, S1_L1, S1_L2 | 3);
	siommu_mem_store64(mem, S1_L2, S1_L3 | 3);
	for (i = 0; i < WIN_PAGES; i++)
		siommu_mem_store64(mem, S1_L3 + 8 * i, (WIN_BASE + 4096ull * i) | 0x443);
	siommu_mem_store64(mem, B_L1, S1_L2 | 3);
	siommu_mem_store64(mem, S2_L1, S2_L2 | 3);
	siommu_mem_store64(mem, S2_L2, WIN_BASE | 0x4c1);

	wr(s, SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_USFCFG | SIOMMU_SMMUV2_SCR0_GFIE |
	   SIOMMU_SMMUV2_SCR0_GFRE | SIOMMU_SMMUV2_SCR0_SMCFCFG);
	wr(s, SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_TRANS | 0);
	wr(s, SIOMMU_SMMUV2_SMR(0), 4, SIOMMU_SMMUV2_SMR_VAL(0, 0));
	wr(s, SIOMMU_SMMUV2_S2CR(1), 4, SIOMMU_SMMUV2_S2CR_TRANS | 1);
	wr(s, SIOMMU_SMMUV2_SMR(1), 4, SIOMMU_SMMUV2_SMR_VAL(1, 0));
	wr(s, SIOMMU_SMMUV2_S2CR(2), 4, SIOMMU_SMMUV2_S2CR_BYPASS);
	wr(s, SIOMMU_SMMUV2_SMR(2), 4, SIOMMU_SMMUV2_SMR_VAL(2, 0));
	wr(s, SIOMMU_SMMUV2_CBAR(0), 4, SIOMMU_SMMUV2_CBAR_S1_BYPASS | 1);
	wr(s, SIOMMU_SMMUV2_CBA2R(0), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	wr(s, SIOMMU_SMMUV2_CB(0) + SIOMMU_SMMUV2_CB_TCR2, 4, SIOMMU_SMMUV2_TCR2_PASIZE(5) |
	   SIOMMU_SMMUV2_TCR2_AS);
	wr(s, SIOMMU_SMMUV2_CB(0) + SIOMMU_SMMUV2_CB_TCR, 4, SIOMMU_SMMUV2_TCR_T0SZ(25) |
	   SIOMMU_SMMUV2_TCR_T1SZ(25) | SIOMMU_SMMUV2_TCR_TG1_4K);
	wr(s, SIOMMU_SMMUV2_CB(0) + SIOMMU_SMMUV2_CB_TTBR0, 8, S1_L1 | SIOMMU_SMMUV2_TTBR_ASID(1));
	wr(s, SIOMMU_SMMUV2_CB(0) + SIOMMU_SMMUV2_CB_TTBR1, 8, B_L1);
	wr(s, SIOMMU_SMMUV2_CB(0) + SIOMMU_SMMUV2_CB_SCTLR, 4, SIOMMU_SMMUV2_SCTLR_M |
	   SIOMMU_SMMUV2_SCTLR_AFE | SIOMMU_SMMUV2_SCTLR_CFIE | SIOMMU_SMMUV2_SCTLR_CFRE);
	wr(s, SIOMMU_SMMUV2_CBAR(1), 4, SIOMMU_SMMUV2_CBAR_S2 | 2);
	wr(s, SIOMMU_SMMUV2_CBA2R(1), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	wr(s, SIOMMU_SMMUV2_CB(1) + SIOMMU_SMMUV2_CB_TCR, 4, SIOMMU_SMMUV2_TCR_T0SZ(24) |
	   SIOMMU_SMMUV2_VTCR_SL0(1) | SIOMMU_SMMUV2_VTCR_PS(5));
	wr(s, SIOMMU_SMMUV2_CB(1) + SIOMMU_SMMUV2_CB_TTBR0, 8, S2_L1);
	wr(s, SIOMMU_SMMUV2_CB(1) + SIOMMU_SMMUV2_CB_SCTLR, 4, SIOMMU_SMMUV2_SCTLR_M |
	   SIOMMU_SMMUV2_SCTLR_CFCFG | SIOMMU_SMMUV2_SCTLR_CFIE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct siommu_mem_cfg mc = { .pool_base = WIN_BASE, .pool_size = 1ull << 30 };
	static const unsigned int oas[] = { 32, 36, 40, 42, 44, 48 };
	struct siommu_smmuv2_ops ops = { irq, stall_end };
	struct siommu_smmuv2_cfg cfg;
	struct siommu_mem *mem;
	struct in in = { data, size };
	unsigned int ops_left = 256, i;
	struct fz f = { 0 };
	uint64_t pa, val;

	memset(&cfg, 0, sizeof(cfg));
	cfg.features = (uint32_t)take(&in, 1) & SIOMMU_SMMUV2_F_ALL;
	cfg.oas = oas[take(&in, 1) % 6];
	cfg.sid_bits = (unsigned int)(take(&in, 1) % 15) + 1;
	cfg.num_smrg = (unsigned int)(take(&in, 1) % 8) + 1;
	cfg.num_cb = (unsigned int)(take(&in, 1) % 4) + 1;
	cfg.tlb_sets = 1u << (take(&in, 1) % 5);
	cfg.tlb_ways = (unsigned int)(take(&in, 1) % 4) + 1;

	if (siommu_mem_create(&mc, &mem))
		abort();
	for (i = 0; i < WIN_PAGES; i++)
		if (siommu_mem_frame_alloc(mem, 4096, SIOMMU_MEM_HW, &pa) ||
		    pa != WIN_BASE + i * 4096ull)
			abort();
	if (siommu_smmuv2_create(mem, &cfg, &f.s))
		abort();
	siommu_smmuv2_set_ops(f.s, &ops, &f);
	setup(mem, f.s);

	while (in.n && ops_left--) {
		unsigned int op = (unsigned int)take(&in, 1);

		switch (op % 10) {
		case 0:
		case 1: {	/* register write */
			uint64_t off = pick_reg(&in, op >> 4);
			unsigned int sz = (op & 0x8) && !(off & 4) ? 8 : 4;

			val = take(&in, 8);
			if (op & 0x80)
				val = maybe_ptr(&in, val);
			wr(f.s, off, sz, val);
			break;
		}
		case 2:	/* register read */
			siommu_smmuv2_mmio_read(f.s, pick_reg(&in, op >> 4), (op & 0x80) ? 8 : 4,
						&val);
			break;
		case 3:
		case 4: {	/* a store into the window */
			uint64_t at = ptr(take(&in, 2) << 3) & ~7ull;

			val = maybe_ptr(&in, take(&in, 8));
			siommu_mem_store64(mem, at, val);
			break;
		}
		case 5: {	/* the GPU switches its bank's table and flushes */
			unsigned int cb = (op >> 4) & 1;
			uint16_t asid = (uint16_t)take(&in, 1);
			uint64_t ttbr = maybe_ptr(&in, ((op & 0x80) ? B_L1 : S1_L1) |
						  SIOMMU_SMMUV2_TTBR_ASID(asid));

			wr(f.s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_TTBR0, 4, (uint32_t)ttbr);
			wr(f.s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_TTBR0 + 4, 4, ttbr >> 32);
			wr(f.s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_CONTEXTIDR, 4, asid);
			wr(f.s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_TLBIASID, 4, asid);
			wr(f.s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_TLBSYNC, 4, 0);
			break;
		}
		case 6: {	/* RESUME */
			unsigned int cb = (op >> 4) % 5;

			wr(f.s, SIOMMU_SMMUV2_CB(cb) + SIOMMU_SMMUV2_CB_RESUME, 4, op >> 7);
			break;
		}
		default:
			request(f.s, &in, op % 10 - 7 + ((op >> 7) & 1));
			break;
		}
	}
	siommu_smmuv2_destroy(f.s);
	siommu_mem_destroy(mem);
	return 0;
}
