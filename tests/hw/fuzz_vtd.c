/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the VT-d model: everything a guest controls.
 *
 * The input is an 8-byte configuration (address width, PASID width,
 * capabilities, IOTLB geometry, fault records, MAMV) followed by a program
 * of operations, one selector byte each (low nibble: the operation; high
 * nibble: its variant), then the operation's arguments:
 *
 *   - register writes and reads, through a table of the registers (so that
 *     IECTL, PQH or FRCD are one byte away) or at a raw offset;
 *   - 64-bit stores anywhere in the RAM window;
 *   - invalidation descriptors, raw or well-formed (one per type, with its
 *     granularity and fields from the input), appended at the tail the
 *     registers show, the way a driver does;
 *   - the structures a guest builds: context entries (PRE, DTE, PASIDE,
 *     FPD, RID_PASID, PDTS), PASID entries of every PGTT, page tables and
 *     their mappings (through siommu/vtd_build.h), so that requests get past
 *     the context check and walks go deep;
 *   - device requests: translate, ATS, DMA, access, page requests;
 *   - servicing the page request queue: read the descriptor at PQH, answer
 *     its group through the invalidation queue, move PQH, clear PRS;
 *   - device registration and removal between requests.
 *
 * The unit starts programmed (scalable mode, TE, QI, a page request queue)
 * so that inputs reach the walkers quickly. The window is 1024 pages, the
 * first ones holding the root table and the queues, the rest the frame
 * pool the builders take tables from. Addresses taken from the input are
 * folded into the first 64 pages, or into the whole window, or left raw,
 * so that entries point at RAM most of the time and holes and wild values
 * are covered too.
 *
 * The interrupt handler reads the status registers, as a driver's does:
 * an MSI delivered with a lock of the unit held would deadlock here.
 *
 * The model must not crash, hang, leak, or touch memory outside the regions
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
#define WIN_PAGES 1024
#define LOW_PAGES 64
#define ROOT (WIN_BASE)
#define IQ (WIN_BASE + 0x1000)
#define PRQ (WIN_BASE + 0x2000)
#define FIXED_PAGES 3
#define NR_TABLES 8
#define MAX_OPS 256

struct fuzz {
	struct siommu_mem *mem;
	struct siommu_vtd *v;
	uint64_t tables[NR_TABLES];	/* page-table roots built so far */
	uint64_t responses;		/* page group responses received */
};

/* Folds a value into the first @pages pages of the window, keeping its
 * low 12 bits. */
static uint64_t fold(uint64_t v, unsigned int pages)
{
	return WIN_BASE + ((v >> 12) % pages) * 4096 + (v & 0xfff);
}

static uint64_t maybe_ptr(struct in *in, uint64_t v)
{
	switch (take(in, 1) & 3) {
	case 0:
		return v;
	case 1:
		return fold(v, LOW_PAGES);
	default:
		return fold(v, WIN_PAGES);
	}
}

/* Requester IDs: a few that the program's structures use, or any. */
static uint16_t take_rid(struct in *in)
{
	static const uint16_t rids[] = { 0, 1, 2, 0x80, 0x100, 0x1ff };
	unsigned int s = (unsigned int)take(in, 1);

	return s < 240 ? rids[s % 6] : (uint16_t)take(in, 2);
}

/* PASIDs: small ones (one PASID table), or any 20-bit value. */
static uint32_t take_pasid(struct in *in)
{
	unsigned int s = (unsigned int)take(in, 1);

	if (s & 0x80)
		return (uint32_t)take(in, 3) & 0xfffff;
	return s & 0x7f;
}

/* The registers a guest programs; a selector past the table is raw. */
static const uint16_t regs[] = {
	SIOMMU_VTD_REG_GCMD, SIOMMU_VTD_REG_RTADDR, SIOMMU_VTD_REG_CCMD,
	SIOMMU_VTD_REG_FSTS, SIOMMU_VTD_REG_FECTL, SIOMMU_VTD_REG_FEDATA,
	SIOMMU_VTD_REG_FEADDR, SIOMMU_VTD_REG_FEUADDR, SIOMMU_VTD_REG_IQH,
	SIOMMU_VTD_REG_IQT, SIOMMU_VTD_REG_IQA, SIOMMU_VTD_REG_ICS,
	SIOMMU_VTD_REG_IECTL, SIOMMU_VTD_REG_IEDATA, SIOMMU_VTD_REG_IEADDR,
	SIOMMU_VTD_REG_IEUADDR, SIOMMU_VTD_REG_IQER, SIOMMU_VTD_REG_PQH,
	SIOMMU_VTD_REG_PQT, SIOMMU_VTD_REG_PQA, SIOMMU_VTD_REG_PRS,
	SIOMMU_VTD_REG_PECTL, SIOMMU_VTD_REG_PEDATA, SIOMMU_VTD_REG_PEADDR,
	SIOMMU_VTD_REG_PEUADDR, SIOMMU_VTD_REG_IVA, SIOMMU_VTD_REG_IOTLB,
	SIOMMU_VTD_REG_FRCD, SIOMMU_VTD_REG_FRCD + 8, SIOMMU_VTD_REG_FRCD + 24,
	SIOMMU_VTD_REG_CAP, SIOMMU_VTD_REG_ECAP, SIOMMU_VTD_REG_GSTS,
};
#define NR_REGS (sizeof(regs) / sizeof(regs[0]))

static uint64_t take_reg(struct in *in)
{
	unsigned int s = (unsigned int)take(in, 1);

	if (s < NR_REGS)
		return regs[s];
	if (s < 2 * NR_REGS)
		return regs[s - NR_REGS] + 4;	/* the upper half */
	return (take(in, 2) & 0xfff) & ~3ull;
}

static uint64_t reg_read(struct siommu_vtd *v, uint64_t off)
{
	uint64_t val = 0;

	siommu_vtd_mmio_read(v, off, 8, &val);
	return val;
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
	struct fuzz *fz = opaque;

	(void)r;
	fz->responses++;
}

/* The guest's interrupt handler: it reads the status of the event. */
static void msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr, uint32_t d)
{
	struct fuzz *fz = opaque;
	static const uint16_t status[] = {
		[SIOMMU_VTD_IRQ_FAULT] = SIOMMU_VTD_REG_FSTS,
		[SIOMMU_VTD_IRQ_INV] = SIOMMU_VTD_REG_ICS,
		[SIOMMU_VTD_IRQ_PRQ] = SIOMMU_VTD_REG_PRS,
	};
	uint64_t val;

	(void)addr;
	(void)d;
	if ((unsigned int)irq < 3)
		siommu_vtd_mmio_read(fz->v, status[irq], 4, &val);
}

static const struct siommu_vtd_dev_ops dev_ops = { dev_inv, dev_resp };

/*
 * What every answer must satisfy, whatever the tables say: a result is a
 * page of 4K, 2M or 1G holding the address, translated by its offset, and
 * an untranslated request gets the access it asked for or a fault with a
 * reason. A violation aborts, so libFuzzer reports it.
 */
static void check_xlate(const struct siommu_vtd_req *r, int ret,
			const struct siommu_vtd_xlate *x, bool ats)
{
	uint64_t off = r->iova - x->iova_base;

	if (ret == -EINVAL || ret == -ENOTSUP)
		return;
	if (ret == -EFAULT) {
		if (!x->fault_reason)
			abort();
		return;
	}
	if (ret || x->fault_reason)
		abort();
	if (x->size != SIOMMU_SZ_4K && x->size != SIOMMU_SZ_2M &&
	    x->size != SIOMMU_SZ_1G)
		abort();
	if ((x->iova_base & (x->size - 1)) || off >= x->size)
		abort();
	if (x->perm && x->addr != x->addr_base + off)
		abort();
	if (!ats && (x->perm & r->access) != r->access)
		abort();
}

static void request(struct fuzz *fz, struct in *in, unsigned int kind)
{
	static uint8_t buf[3 * 4096];
	struct siommu_vtd *v = fz->v;
	struct siommu_vtd_req r;
	struct siommu_vtd_xlate x;
	uint64_t f = take(in, 1);
	size_t done, len;

	memset(&r, 0, sizeof(r));
	r.rid = take_rid(in);
	r.pasid_present = f & 1;
	r.priv = f & 2;
	r.pasid = (f & 0x40) ? (uint32_t)take(in, 4) : take_pasid(in);
	r.iova = (f & 4) ? take(in, 8) : take(in, 3) << 9;
	r.len = take(in, 2);
	r.access = (uint32_t)(f >> 3) & 7;
	len = (size_t)(take(in, 2) % sizeof(buf));
	switch (kind % 5) {
	case 0:
		check_xlate(&r, siommu_vtd_translate(v, &r, &x), &x, false);
		break;
	case 1:
		check_xlate(&r, siommu_vtd_ats_translate(v, &r, &x), &x, true);
		break;
	case 2:
		siommu_vtd_dma_read(v, &r, buf, len, &done, &x);
		break;
	case 3:
		siommu_vtd_dma_write(v, &r, buf, len, &done, &x);
		break;
	default:
		r.len %= sizeof(buf);
		siommu_vtd_access(v, &r, access_cb, NULL, &x);
		break;
	}
}

static void page_request(struct fuzz *fz, struct in *in, unsigned int var)
{
	struct siommu_vtd_page_req pr;
	uint64_t f = take(in, 2);

	memset(&pr, 0, sizeof(pr));
	pr.rid = take_rid(in);
	pr.pasid_present = f & 1;
	pr.priv = f & 2;
	pr.pasid = take_pasid(in);
	pr.addr = take(in, 3) << 12;
	pr.access = (uint32_t)(f >> 2) & 7;
	pr.prgi = (uint16_t)(f >> 5) & 0x1ff;
	pr.last = f & 0x4000;
	if (var & 1) {
		pr.priv_data_present = true;
		pr.priv_data[0] = take(in, 8);
		pr.priv_data[1] = var;
	}
	if (var & 2) {		/* fields a device cannot send */
		pr.pasid = (uint32_t)take(in, 4);
		pr.prgi = (uint16_t)take(in, 2);
		pr.access = (uint32_t)take(in, 1);
	}
	siommu_vtd_page_request(fz->v, &pr);
}

/* Appends @d at the tail the registers show, and moves the tail past it. */
static void qi_submit(struct fuzz *fz, const uint64_t d[4])
{
	uint64_t iqa = reg_read(fz->v, SIOMMU_VTD_REG_IQA);
	uint64_t tail = reg_read(fz->v, SIOMMU_VTD_REG_IQT);
	uint64_t dsize = (iqa & SIOMMU_VTD_IQA_DW) ? 32 : 16;
	uint64_t qsize = 4096ull << (iqa & 7);

	siommu_mem_write(fz->mem, (iqa & ~0xfffull) + tail, d, dsize);
	siommu_vtd_mmio_write(fz->v, SIOMMU_VTD_REG_IQT, 8, (tail + dsize) % qsize);
}

/*
 * A well-formed descriptor of each type, its fields from the input (taken
 * in statement order: the order of a call's arguments is unspecified).
 */
static void descriptor(struct fuzz *fz, struct in *in, unsigned int var)
{
	struct siommu_vtd_desc d;
	unsigned int g = (unsigned int)take(in, 1);
	uint16_t did = (uint16_t)take(in, 1), rid, prgi;
	uint64_t addr = take(in, 3) << 12, status_addr;
	unsigned int am = (unsigned int)take(in, 1) & 0x3f;
	uint32_t pasid, status;

	switch (var % 9) {
	case 0:
		d = siommu_vtd_desc_cc(g, did, take_rid(in), g >> 2);
		break;
	case 1:
		d = siommu_vtd_desc_iotlb(g, did, addr, am, g & 4);
		break;
	case 2:
		d = siommu_vtd_desc_piotlb(g, did, take_pasid(in), addr, am, g & 4);
		break;
	case 3:
		d = siommu_vtd_desc_pc(g, did, take_pasid(in));
		break;
	case 4:
		d = siommu_vtd_desc_devtlb(take_rid(in), addr | (am << 12), g & 1);
		break;
	case 5:
		rid = take_rid(in);
		pasid = take_pasid(in);
		d = siommu_vtd_desc_pdevtlb(rid, pasid, g & 2, addr | (am << 12),
					    g & 1);
		break;
	case 6:
		rid = take_rid(in);
		pasid = take_pasid(in);
		prgi = (uint16_t)take(in, 2) & 0x1ff;
		d = siommu_vtd_desc_page_resp(rid, g & 1, pasid, prgi,
					      (g >> 4) & 0xf, g & 2);
		break;
	default:
		/* SW (status write), IF (completion interrupt), FN, PD. */
		status_addr = maybe_ptr(in, take(in, 8));
		status = (uint32_t)take(in, 4);
		d = siommu_vtd_desc_wait(g & 1, g & 2, g & 4, g & 8, status_addr,
					 status);
		break;
	}
	qi_submit(fz, d.qw);
}

static void raw_descriptor(struct fuzz *fz, struct in *in, unsigned int var)
{
	uint64_t d[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		d[i] = take(in, 1) & 1 ? maybe_ptr(in, take(in, 8)) : 0;
	d[0] = (d[0] & ~0xe0full) | var;
	qi_submit(fz, d);
}

/*
 * Services the page request queue as a driver does: the descriptor at PQH
 * is answered (for a last-in-group request) with a page group response,
 * PQH moves on, and PPR is cleared once the queue is empty.
 */
static void prq_service(struct fuzz *fz, struct in *in, unsigned int var)
{
	struct siommu_vtd_desc resp;
	uint64_t pqa = reg_read(fz->v, SIOMMU_VTD_REG_PQA);
	uint64_t pqh = reg_read(fz->v, SIOMMU_VTD_REG_PQH);
	uint64_t pqt = reg_read(fz->v, SIOMMU_VTD_REG_PQT);
	uint64_t qsize = 4096ull << (pqa & 7), d[4];
	unsigned int code = (unsigned int)take(in, 1);

	if (pqh != pqt &&
	    !siommu_mem_read(fz->mem, (pqa & ~0xfffull) + pqh, d, sizeof(d))) {
		if ((d[1] & 4) || (var & 1)) {
			resp = siommu_vtd_desc_page_resp(
				(uint16_t)(d[0] >> 16), d[0] & (1ull << 8),
				(uint32_t)(d[0] >> 32) & 0xfffff,
				(uint16_t)(d[1] >> 3) & 0x1ff, code & 0xf,
				d[1] & 4);
			if (d[0] & (1ull << 9)) {
				resp.qw[0] |= 1ull << 5;
				resp.qw[2] = d[2];
				resp.qw[3] = d[3];
			}
			qi_submit(fz, resp.qw);
		}
		pqh = (pqh + 32) % qsize;
		siommu_vtd_mmio_write(fz->v, SIOMMU_VTD_REG_PQH, 8, pqh);
	}
	if (pqh == pqt || (var & 2))
		siommu_vtd_mmio_write(fz->v, SIOMMU_VTD_REG_PRS, 4,
				      SIOMMU_VTD_PRS_PPR | (code & 0x10 ? 0 :
							    SIOMMU_VTD_PRS_PRO));
}

static uint64_t take_table(struct fuzz *fz, struct in *in)
{
	unsigned int s = (unsigned int)take(in, 1);

	if (s < 8 * NR_TABLES && fz->tables[s % NR_TABLES])
		return fz->tables[s % NR_TABLES];
	return maybe_ptr(in, take(in, 8)) & ~0xfffull;
}

static void build_context(struct fuzz *fz, struct in *in, unsigned int var)
{
	struct siommu_vtd_ctx_desc c;
	uint64_t f = take(in, 1);

	memset(&c, 0, sizeof(c));
	c.pre = var & 1;
	c.dte = var & 2;
	c.paside = var & 4;
	c.fpd = var & 8;
	c.rid_priv = f & 1;
	c.pdts = (unsigned int)(f >> 1) & 7;
	c.rid_pasid = (f & 0x10) ? take_pasid(in) : 0;
	if (f & 0x20)
		c.pasid_dir = fold(take(in, 2) << 12, WIN_PAGES) & ~0xfffull;
	siommu_vtd_build_context(fz->mem, ROOT, take_rid(in), &c, NULL);
}

static void build_pasid(struct fuzz *fz, struct in *in, unsigned int var)
{
	struct siommu_vtd_pasid_desc p;
	uint64_t f = take(in, 2);
	uint16_t rid = take_rid(in);
	uint32_t pasid = take_pasid(in);

	memset(&p, 0, sizeof(p));
	p.pgtt = var % 4 + 1;
	p.did = (uint16_t)take(in, 1);
	p.fs_levels = (f & 1) ? 5 : 4;
	p.ss_levels = (unsigned int)((f >> 1) & 3) % 3 + 3;
	p.fpd = f & 8;
	p.sre = f & 0x10;
	p.ere = f & 0x20;
	p.wpe = f & 0x40;
	p.ssade = f & 0x80;
	p.ssee = f & 0x100;
	if (p.pgtt != SIOMMU_VTD_PGTT_PT && p.pgtt != SIOMMU_VTD_PGTT_SS)
		p.fs_root = take_table(fz, in);
	if (p.pgtt == SIOMMU_VTD_PGTT_SS || p.pgtt == SIOMMU_VTD_PGTT_NEST)
		p.ss_root = take_table(fz, in);
	if (var & 8)
		siommu_vtd_build_pasid_clear(fz->mem, ROOT, rid, pasid);
	else
		siommu_vtd_build_pasid(fz->mem, ROOT, rid, pasid, &p);
}

/* var: bit 0 second stage, bit 1 five levels, bits 3:2 the page size. */
static void build_map(struct fuzz *fz, struct in *in, unsigned int var)
{
	static const uint64_t sizes[] = { SIOMMU_SZ_4K, SIOMMU_SZ_2M, SIOMMU_SZ_1G,
					  SIOMMU_SZ_4K };
	enum siommu_vtd_fmt fmt = (var & 1) ? SIOMMU_VTD_FMT_SS : SIOMMU_VTD_FMT_FS;
	uint64_t root = take_table(fz, in);
	uint64_t size = sizes[(var >> 2) & 3];
	uint64_t iova = take(in, 3) << 12, pa;
	uint32_t prot = (uint32_t)take(in, 1);
	unsigned int levels = (var & 2) ? 5 : 4;

	/* A three-level second stage (prot bit 4 asks for one). */
	if (fmt == SIOMMU_VTD_FMT_SS && !(var & 2) && (prot & 0x10))
		levels = 3;
	/* The output is RAM in the window, or (rarely) anywhere. */
	pa = (prot & 0x80) ? take(in, 8) : fold(take(in, 2) << 12, WIN_PAGES);
	pa &= ~(size - 1);
	iova &= ~(size - 1);
	if (prot & 0x40) {
		siommu_vtd_build_unmap(fz->mem, fmt, root, levels, iova);
		return;
	}
	prot = (prot & 7) | ((prot & 8) ? SIOMMU_VTD_BUILD_USER : 0);
	siommu_vtd_build_map(fz->mem, fmt, root, levels, iova, pa, size, prot);
}

static void devices(struct fuzz *fz, struct in *in, unsigned int var)
{
	uint16_t rid = take_rid(in);

	if (var & 1)
		siommu_vtd_dev_unregister(fz->v, rid);
	else
		siommu_vtd_dev_register(fz->v, rid, &dev_ops, fz);
}

static void reg_write(struct fuzz *fz, struct in *in, unsigned int var)
{
	uint64_t off = take_reg(in), val = take(in, 8);

	if (var & 1)
		val = maybe_ptr(in, val);
	siommu_vtd_mmio_write(fz->v, off, (var & 2) && !(off & 4) ? 8 : 4, val);
}

static void reg_read_op(struct fuzz *fz, struct in *in, unsigned int var)
{
	uint64_t off = take_reg(in), val;

	siommu_vtd_mmio_read(fz->v, off, (var & 2) && !(off & 4) ? 8 : 4, &val);
}

/* A 64-bit store into the window (var bit 0: its first 64 pages). */
static void store(struct fuzz *fz, struct in *in, unsigned int var)
{
	uint64_t at = fold(take(in, 3) << 3, (var & 1) ? LOW_PAGES : WIN_PAGES);
	uint64_t val = maybe_ptr(in, take(in, 8));

	siommu_mem_store64(fz->mem, at & ~7ull, val);
}

/* Well-formed descriptors take two selectors, for their nine kinds. */
static void descriptor_lo(struct fuzz *fz, struct in *in, unsigned int var)
{
	descriptor(fz, in, var);
}

static void descriptor_hi(struct fuzz *fz, struct in *in, unsigned int var)
{
	descriptor(fz, in, var + 16);
}

static void new_table(struct fuzz *fz, struct in *in, unsigned int var)
{
	siommu_vtd_build_table_alloc(fz->mem, &fz->tables[var % NR_TABLES]);
}

/* The operations, by the low nibble of the selector byte. */
static void (*const ops[16])(struct fuzz *, struct in *, unsigned int) = {
	reg_write, reg_read_op, store, store, raw_descriptor, descriptor_hi,
	descriptor_lo, request, request, page_request, prq_service,
	build_context, build_pasid, build_map, new_table, devices,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct siommu_mem_cfg mc = { .pool_base = WIN_BASE, .pool_size = 1ull << 30 };
	struct siommu_vtd_cfg cfg;
	struct siommu_vtd_stats st;
	struct fuzz fz;
	struct in in = { data, size };
	unsigned int ops_left = MAX_OPS, i;
	uint64_t pa;

	memset(&fz, 0, sizeof(fz));
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

	if (siommu_mem_create(&mc, &fz.mem))
		abort();
	/* The fixed structures take the first frames of the pool, in order;
	 * the builders' tables come after them, inside the window. */
	for (i = 0; i < FIXED_PAGES; i++)
		if (siommu_mem_frame_alloc(fz.mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &pa) ||
		    pa != WIN_BASE + i * 4096ull)
			abort();
	if (siommu_vtd_create(fz.mem, &cfg, &fz.v))
		abort();
	siommu_vtd_set_msi(fz.v, msi, &fz);
	siommu_vtd_dev_register(fz.v, 0, &dev_ops, &fz);
	siommu_vtd_dev_register(fz.v, 1, &dev_ops, &fz);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_RTADDR, 8, ROOT | SIOMMU_VTD_RTADDR_SMT);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_IQA, 8, IQ | SIOMMU_VTD_IQA_DW);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_PQA, 8, PRQ);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_FECTL, 4, 0);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_IECTL, 4, 0);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_PECTL, 4, 0);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_SRTP);
	siommu_vtd_mmio_write(fz.v, SIOMMU_VTD_REG_GCMD, 4,
			      SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);

	while (in.n && ops_left--) {
		unsigned int op = (unsigned int)take(&in, 1);

		ops[op & 15](&fz, &in, op >> 4);
	}
	siommu_vtd_get_stats(fz.v, &st);
	if (st.faults_recorded > st.faults || st.iotlb_hit + st.iotlb_miss < st.walks)
		abort();
	siommu_vtd_destroy(fz.v);
	siommu_mem_destroy(fz.mem);
	return 0;
}
