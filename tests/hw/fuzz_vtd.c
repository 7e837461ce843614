/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the VT-d model: everything a guest controls.
 *
 * The input is a program of operations: register writes and reads, 64-bit
 * stores anywhere in a small RAM window (root, context and PASID tables,
 * page tables and queues are all made of these), descriptors appended to the
 * invalidation queue, and device requests (translate, DMA, access, ATS, page
 * requests). The unit starts programmed (scalable mode, TE, QI) so that
 * inputs reach the walkers quickly. Addresses are folded into the window
 * most of the time, so that entries point at RAM and walks go deep, and
 * left raw the rest of the time, so that holes and wild values are covered.
 *
 * The model must not crash, hang, or touch memory outside the regions
 * (run under ASan; the regions are the only mappings it may use).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/mem.h>
#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#include "fuzz_input.h"

#define WIN_BASE (1ull << 30)
#define WIN_PAGES 64
#define ROOT (WIN_BASE)
#define IQ (WIN_BASE + 0x1000)
#define PRQ (WIN_BASE + 0x2000)

/* Folds a value into the RAM window, keeping its low 12 bits. */
static uint64_t ptr(uint64_t v)
{
	return WIN_BASE + ((v >> 12) % WIN_PAGES) * 4096 + (v & 0xfff);
}

static uint64_t maybe_ptr(struct in *in, uint64_t v)
{
	return (take(in, 1) & 3) ? (ptr(v) & ~0xfffull) | (v & 0xfff) : v;
}

static int access_cb(void *arg, void *host, size_t len, size_t off)
{
	volatile uint8_t *h = host;
	size_t i;

	for (i = 0; i < len; i += 512)
		h[i] ^= 1;
	return (off ^ len) % 7 == 0 ? 1 : 0;
}

static void dev_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	(void)opaque;
	(void)inv;
}

static void dev_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	(void)opaque;
	(void)r;
}

static void msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr, uint32_t d)
{
	(void)opaque;
	(void)irq;
	(void)addr;
	(void)d;
}

static void request(struct siommu_vtd *v, struct in *in, unsigned int kind)
{
	static uint8_t buf[3 * 4096];
	struct siommu_vtd_req r;
	struct siommu_vtd_page_req pr;
	struct siommu_vtd_xlate x;
	uint64_t f = take(in, 2);
	size_t done, len;

	memset(&r, 0, sizeof(r));
	r.rid = (f & 1) ? (uint16_t)take(in, 2) : (uint16_t)(take(in, 1) & 3);
	r.pasid_present = f & 2;
	r.priv = f & 4;
	r.pasid = (f & 8) ? (uint32_t)take(in, 3) & 0xfffff : (uint32_t)(take(in, 1) & 3);
	r.iova = (f & 16) ? take(in, 8) : take(in, 3) << 9;
	r.len = take(in, 2);
	r.access = (uint32_t)(f >> 5) & 7;
	len = (size_t)(take(in, 2) % sizeof(buf));
	switch (kind) {
	case 0:
		siommu_vtd_translate(v, &r, &x);
		break;
	case 1:
		siommu_vtd_ats_translate(v, &r, &x);
		break;
	case 2:
		siommu_vtd_dma_read(v, &r, buf, len, &done, &x);
		break;
	case 3:
		siommu_vtd_dma_write(v, &r, buf, len, &done, &x);
		break;
	case 4:
		r.len %= sizeof(buf);
		siommu_vtd_access(v, &r, access_cb, NULL, &x);
		break;
	default:
		memset(&pr, 0, sizeof(pr));
		pr.rid = r.rid;
		pr.pasid_present = r.pasid_present;
		pr.pasid = r.pasid;
		pr.priv = r.priv;
		pr.addr = r.iova;
		pr.access = r.access;
		pr.prgi = (uint16_t)(f >> 8) & 0x1ff;
		pr.last = f & 0x8000;
		siommu_vtd_page_request(v, &pr);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct siommu_mem_cfg mc = { WIN_BASE, 1ull << 30, 0 };
	struct siommu_vtd_dev_ops ops = { dev_inv, dev_resp };
	struct siommu_vtd_cfg cfg;
	struct siommu_mem *mem;
	struct siommu_vtd *v;
	struct in in = { data, size };
	uint64_t tail = 0, pa, val;
	unsigned int ops_left = 256, i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.aw = (take(&in, 1) % 3) * 9 + 39;
	cfg.pasid_bits = (unsigned int)(take(&in, 1) % 20) + 1;
	cfg.caps = (uint32_t)take(&in, 2) & (SIOMMU_VTD_CAP_ALL | SIOMMU_VTD_CAP_CM);
	if ((cfg.caps & SIOMMU_VTD_CAP_NEST) &&
	    (cfg.caps & (SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_SS)) !=
	    (SIOMMU_VTD_CAP_FS | SIOMMU_VTD_CAP_SS))
		cfg.caps &= ~SIOMMU_VTD_CAP_NEST;
	cfg.iotlb_sets = 1u << (take(&in, 1) % 5);
	cfg.iotlb_ways = (unsigned int)(take(&in, 1) % 4) + 1;
	cfg.nr_fault_records = (unsigned int)(take(&in, 1) % 4) + 1;
	cfg.mamv = (unsigned int)(take(&in, 1) % 63) + 1;

	if (siommu_mem_create(&mc, &mem))
		abort();
	/* The window: frames from the pool are in it, in order. */
	for (i = 0; i < WIN_PAGES; i++)
		if (siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &pa) ||
		    pa != WIN_BASE + i * 4096ull)
			abort();
	if (siommu_vtd_create(mem, &cfg, &v))
		abort();
	siommu_vtd_set_msi(v, msi, NULL);
	siommu_vtd_dev_register(v, 0, &ops, NULL);
	siommu_vtd_dev_register(v, 1, &ops, NULL);
	siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_RTADDR, 8, ROOT | SIOMMU_VTD_RTADDR_SMT);
	siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_IQA, 8, IQ | SIOMMU_VTD_IQA_DW);
	siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_PQA, 8, PRQ);
	siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_FECTL, 4, 0);
	siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_SRTP);
	siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_GCMD, 4,
			      SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);

	while (in.n && ops_left--) {
		unsigned int op = (unsigned int)take(&in, 1);

		switch (op % 12) {
		case 0: {	/* register write */
			uint64_t off = (take(&in, 2) & 0xfff) & ~3ull;
			unsigned int sz = (op & 0x10) && !(off & 4) ? 8 : 4;

			val = take(&in, 8);
			if (op & 0x20)
				val = maybe_ptr(&in, val);
			siommu_vtd_mmio_write(v, off, sz, val);
			break;
		}
		case 1: {	/* register read */
			uint64_t off = (take(&in, 2) & 0xfff) & ~3ull;

			siommu_vtd_mmio_read(v, off, 4, &val);
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
		case 5: {	/* a descriptor, then move the tail */
			uint64_t d[4];

			for (i = 0; i < 4; i++)
				d[i] = take(&in, 1) & 1 ? maybe_ptr(&in, take(&in, 8)) : 0;
			d[0] = (d[0] & ~0xe0full) | (op >> 4);
			siommu_mem_write(mem, IQ + tail, d, sizeof(d));
			tail = (tail + 32) % 4096;
			siommu_vtd_mmio_write(v, SIOMMU_VTD_REG_IQT, 8, tail);
			break;
		}
		default:
			request(v, &in, op % 12 - 6);
			break;
		}
	}
	siommu_vtd_destroy(v);
	siommu_mem_destroy(mem);
	return 0;
}
