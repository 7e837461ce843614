/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SMMUv3 model: everything a guest controls.
 *
 * The input is a program of operations: register writes and reads (both
 * register pages), 64-bit stores anywhere in a small RAM window (stream
 * tables, CD tables, page tables and queues are all made of these),
 * commands appended to the command queue, and device requests (translate,
 * DMA, access, ATS, page requests). The unit starts programmed (a linear
 * stream table, the three queues, SMMUEN) so that inputs reach the walkers
 * quickly. Addresses are folded into the window most of the time, so that
 * entries point at RAM and walks go deep, and left raw the rest of the
 * time, so that holes and wild values are covered.
 *
 * The model must not crash, hang, or touch memory outside the regions
 * (run under ASan; the regions are the only mappings it may use).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/mem.h>
#include <siommu/smmuv3.h>

#define WIN_BASE (1ull << 30)
#define WIN_PAGES 64
#define STRTAB (WIN_BASE)
#define CMDQ (WIN_BASE + 0x1000)
#define EVTQ (WIN_BASE + 0x2000)
#define PRIQ (WIN_BASE + 0x3000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes && in->n; i++, in->n--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* Folds a value into the RAM window, keeping its low 12 bits. */
static uint64_t ptr(uint64_t v)
{
	return WIN_BASE + ((v >> 12) % WIN_PAGES) * 4096 + (v & 0xfff);
}

/* A value whose address bits (51:12) are folded into the window, most of
 * the time; its other bits (flags, fields) are kept. */
static uint64_t maybe_ptr(struct in *in, uint64_t v)
{
	uint64_t addr = 0xffffffffff000ull;

	if (!(take(in, 1) & 3))
		return v;
	return (v & ~addr) | (ptr(v & addr) & addr);
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

static void dev_atc(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	(void)opaque;
	(void)inv;
}

static void dev_pri(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	(void)opaque;
	(void)r;
}

static void dev_stall(void *opaque, const struct siommu_smmuv3_stall_end *e)
{
	(void)opaque;
	(void)e;
}

static void msi(void *opaque, enum siommu_smmuv3_irq irq, uint64_t addr, uint32_t d)
{
	(void)opaque;
	(void)irq;
	(void)addr;
	(void)d;
}

static void request(struct siommu_smmuv3 *s, struct in *in, unsigned int kind)
{
	static uint8_t buf[3 * 4096];
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_page_req pr;
	struct siommu_smmuv3_xlate x;
	uint64_t f = take(in, 2);
	size_t done, len;

	memset(&r, 0, sizeof(r));
	r.sid = (f & 1) ? (uint32_t)take(in, 4) : (uint32_t)(take(in, 1) & 3);
	r.ssv = f & 2;
	r.priv = f & 4;
	r.ssid = (f & 8) ? (uint32_t)take(in, 3) & 0xfffff : (uint32_t)(take(in, 1) & 3);
	r.iova = (f & 16) ? take(in, 8) : take(in, 3) << 9;
	r.len = take(in, 2);
	r.access = (uint32_t)(f >> 5) & 7;
	len = (size_t)(take(in, 2) % sizeof(buf));
	switch (kind) {
	case 0:
		siommu_smmuv3_translate(s, &r, &x);
		break;
	case 1:
		siommu_smmuv3_ats_translate(s, &r, &x);
		break;
	case 2:
		siommu_smmuv3_dma_read(s, &r, buf, len, &done, &x);
		break;
	case 3:
		siommu_smmuv3_dma_write(s, &r, buf, len, &done, &x);
		break;
	case 4:
		r.len %= sizeof(buf);
		siommu_smmuv3_access(s, &r, access_cb, NULL, &x);
		break;
	default:
		memset(&pr, 0, sizeof(pr));
		pr.sid = r.sid;
		pr.ssv = r.ssv;
		pr.ssid = r.ssid;
		pr.priv = r.priv;
		pr.addr = r.iova;
		pr.access = r.access;
		pr.prgi = (uint16_t)(f >> 8) & 0x1ff;
		pr.last = f & 0x8000;
		siommu_smmuv3_page_request(s, &pr);
		break;
	}
}

/* Opcodes worth trying; others (and these with wild fields) come raw. */
static const uint8_t opcodes[] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x11, 0x12, 0x13, 0x20, 0x28,
	0x2a, 0x30, 0x40, 0x41, 0x44, 0x45, 0x46,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct siommu_mem_cfg mc = { .pool_base = WIN_BASE, .pool_size = 1ull << 30 };
	struct siommu_smmuv3_dev_ops ops = { dev_atc, dev_pri, dev_stall };
	static const unsigned int oas[] = { 32, 36, 40, 42, 44, 48 };
	struct siommu_smmuv3_cfg cfg;
	struct siommu_smmuv3 *s;
	struct siommu_mem *mem;
	struct in in = { data, size };
	uint64_t pa, val, prod = 0;
	unsigned int ops_left = 256, i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.features = (uint32_t)take(&in, 2) & SIOMMU_SMMUV3_F_ALL;
	if (!(cfg.features & (SIOMMU_SMMUV3_F_S1 | SIOMMU_SMMUV3_F_S2)))
		cfg.features |= SIOMMU_SMMUV3_F_S1;
	if (!(cfg.features & SIOMMU_SMMUV3_F_ATS))
		cfg.features &= ~SIOMMU_SMMUV3_F_PRI;
	cfg.oas = oas[take(&in, 1) % 6];
	cfg.sid_bits = (unsigned int)(take(&in, 1) % 32) + 1;
	cfg.ssid_bits = (unsigned int)(take(&in, 1) % 20) + 1;
	cfg.asid_bits = take(&in, 1) & 1 ? 8 : 16;
	cfg.vmid_bits = take(&in, 1) & 1 ? 8 : 16;
	cfg.tlb_sets = 1u << (take(&in, 1) % 5);
	cfg.tlb_ways = (unsigned int)(take(&in, 1) % 4) + 1;
	cfg.stall_max = (unsigned int)(take(&in, 1) % 4) + 1;

	if (siommu_mem_create(&mc, &mem))
		abort();
	/* The window: frames from the pool are in it, in order. */
	for (i = 0; i < WIN_PAGES; i++)
		if (siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &pa) ||
		    pa != WIN_BASE + i * 4096ull)
			abort();
	if (siommu_smmuv3_create(mem, &cfg, &s))
		abort();
	siommu_smmuv3_set_msi(s, msi, NULL);
	siommu_smmuv3_dev_register(s, 0, &ops, NULL);
	siommu_smmuv3_dev_register(s, 1, &ops, NULL);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_STRTAB_BASE, 8, STRTAB);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, 6);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_CMDQ_BASE, 8, CMDQ | 8);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_EVTQ_BASE, 8, EVTQ | 7);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_PRIQ_BASE, 8, PRIQ | 8);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
	siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_CR0, 4, 0xf);

	while (in.n && ops_left--) {
		unsigned int op = (unsigned int)take(&in, 1);

		switch (op % 12) {
		case 0: {	/* register write, either page */
			uint64_t off = (take(&in, 2) & 0x100ff) & ~3ull;
			unsigned int sz = (op & 0x10) && !(off & 4) ? 8 : 4;

			val = take(&in, 8);
			if (op & 0x20)
				val = maybe_ptr(&in, val);
			siommu_smmuv3_mmio_write(s, off, sz, val);
			break;
		}
		case 1: {	/* register read */
			uint64_t off = (take(&in, 2) & 0x100ff) & ~3ull;

			siommu_smmuv3_mmio_read(s, off, 4, &val);
			break;
		}
		case 2:
		case 3:
		case 4: {	/* a store into the window */
			uint64_t at = ptr(take(&in, 2) << 3) & ~7ull;

			val = maybe_ptr(&in, take(&in, 8));
			siommu_mem_store64(mem, at, val);
			break;
		}
		case 5: {	/* a command, then move PROD */
			uint64_t c[2];

			c[0] = take(&in, 8);
			c[1] = take(&in, 1) & 1 ? maybe_ptr(&in, take(&in, 8)) : take(&in, 2);
			if (!(op & 0x80))
				c[0] = (c[0] & ~0xffull) | opcodes[(op >> 4) % sizeof(opcodes)];
			siommu_mem_write(mem, CMDQ + (prod & 0xff) * 16, c, sizeof(c));
			prod = (prod + 1) & 0x1ff;
			siommu_smmuv3_mmio_write(s, SIOMMU_SMMUV3_CMDQ_PROD, 4, prod);
			break;
		}
		default:
			request(s, &in, op % 12 - 6);
			break;
		}
	}
	siommu_smmuv3_destroy(s);
	siommu_mem_destroy(mem);
	return 0;
}
