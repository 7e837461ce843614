/* SPDX-License-Identifier: MIT */
/*
 * Every scalable-mode fault reason the model reports (VT-d 7.1.3), from a
 * table: each row breaks one thing in a well-formed set of structures,
 * issues one request and checks the reason and the whole fault record
 * (VT-d 10.4.14). Each row then runs again with FPD set in the context
 * entry, the PASID-directory entry and the PASID-table entry of the
 * request, present or not: a qualified fault found at or below the entry
 * is not recorded, any other fault is (VT-d 7.2.1, 9.4-9.6).
 *
 * Not provoked here: 0x90 (an A/D update that loses its compare-and-swap
 * over and over), which needs another thread rewriting the entry.
 */
#include "vtd_test.h"

#define RID	0x0210
#define HOLE	0x3000		/* below the frame pool: not RAM */

/* The world every row starts from. */
struct world {
	struct vt t;
	uint64_t data;		/* a data page */
	uint64_t fs, ss;	/* PASID 1 (FS), PASID 2 (SS) roots */
	uint64_t nfs, nss;	/* PASID 3 (nested) roots */
	uint64_t nfs_tables[4];	/* PASID 3's FS tables, top first */
};

enum kind { XLATE, ATS, PRQ };

struct row {
	const char *what;
	uint32_t reason;
	bool qualified;
	unsigned int level;	/* where it is found: 0 before the context entry,
				 * 1 context, 2 directory, 3 PASID entry, 4 below */
	enum kind kind;
	bool pp, priv;
	uint32_t pasid;
	uint64_t iova;
	uint32_t access;
	unsigned int pasid_bits;	/* unit configuration; 0: default */
	void (*setup)(struct world *w);
};

static uint64_t ld(struct world *w, uint64_t pa)
{
	uint64_t v;

	CHECK_OK(siommu_mem_load64(w->t.mem, pa, &v));
	return v;
}

static void poke(struct world *w, uint64_t pa, uint64_t set, uint64_t clear)
{
	CHECK_OK(siommu_mem_store64(w->t.mem, pa, (ld(w, pa) & ~clear) | set));
}

/*
 * The context, directory and PASID-table entries a request of @pasid
 * (PASID_NONE: the context's RID_PASID) from @rid reads, as far as they
 * can be found in RAM; 0 where they cannot. Entries need not be present.
 */
#define PASID_NONE UINT32_MAX
static void locate(struct world *w, uint16_t rid, uint32_t pasid, uint64_t pa[3])
{
	struct siommu_mem *m = w->t.mem;
	uint64_t re, c0, c1, de;

	pa[0] = pa[1] = pa[2] = 0;
	if (siommu_mem_load64(m, w->t.root + (rid >> 8) * 16 + ((rid & 0x80) ? 8 : 0),
			      &re) || !(re & 1))
		return;
	pa[0] = (re & ~0xfffull) + (rid & 0x7f) * 32;
	if (siommu_mem_load64(m, pa[0], &c0) || siommu_mem_load64(m, pa[0] + 8, &c1)) {
		pa[0] = 0;
		return;
	}
	if (pasid == PASID_NONE)
		pasid = (uint32_t)(c1 & 0xfffff);
	pa[1] = (c0 & ~0xfffull) + (uint64_t)(pasid >> 6) * 8;
	if (siommu_mem_load64(m, pa[1], &de)) {
		pa[1] = 0;
		return;
	}
	pa[2] = (de & ~0xfffull) + (pasid & 63) * 64;
	if (siommu_mem_load64(m, pa[2], &de))
		pa[2] = 0;
}

static void set_rtaddr(struct world *w, uint64_t val)
{
	vt_wr(&w->t, SIOMMU_VTD_REG_RTADDR, 8, val);
	vt_wr(&w->t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE |
	      SIOMMU_VTD_GCMD_SRTP);
}

static uint64_t ctx(struct world *w)
{
	uint64_t pa[3];

	locate(w, RID, 1, pa);
	return pa[0];
}

static uint64_t pentry(struct world *w, uint32_t pasid)
{
	uint64_t pa[3];

	locate(w, RID, pasid, pa);
	return pa[2];
}

static uint64_t fs_leaf(struct world *w, uint64_t root, uint64_t iova)
{
	uint64_t pa, size;

	CHECK_OK(siommu_vtd_build_leaf(w->t.mem, SIOMMU_VTD_FMT_FS, root, 4, iova, &pa,
				       &size));
	return pa;
}

static uint64_t ss_leaf(struct world *w, uint64_t root, uint64_t iova)
{
	uint64_t pa, size;

	CHECK_OK(siommu_vtd_build_leaf(w->t.mem, SIOMMU_VTD_FMT_SS, root, 4, iova, &pa,
				       &size));
	return pa;
}

static void world_init(struct world *w, unsigned int pasid_bits)
{
	const uint32_t rw = SIOMMU_VTD_READ | SIOMMU_VTD_WRITE;
	struct siommu_vtd_cfg c = { .pasid_bits = pasid_bits };
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true, .dte = true,
					  .pre = true, .rid_pasid = 1 };
	struct siommu_vtd_pasid_desc p = { .did = 1, .fs_levels = 4, .ss_levels = 4,
					   .sre = true, .ere = true, .ssee = true };
	struct vt *t = &w->t;
	unsigned int i;

	vt_init(t, &c);
	w->data = vt_page(t);
	CHECK_OK(siommu_vtd_build_context(t->mem, t->root, RID, &cd, NULL));

	/* PASID 1, first stage: 0x1000 user RW (XD), 0x2000 supervisor RWX,
	 * 0x3000 user RX. */
	w->fs = vt_pasid_fs(t, RID, 1, 1, 4);
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_FS, w->fs, 4, 0x1000, w->data,
				      SIOMMU_SZ_4K, rw | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_FS, w->fs, 4, 0x2000, w->data,
				      SIOMMU_SZ_4K, rw | SIOMMU_VTD_EXEC));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_FS, w->fs, 4, 0x3000, w->data,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_EXEC |
				      SIOMMU_VTD_BUILD_USER));

	/* PASID 2, second stage: 0x1000 RW, 0x2000 R, 0x5000 W, 0x6000 onto
	 * the interrupt range. */
	w->ss = vt_pasid_ss(t, RID, 2, 2, 4);
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, w->ss, 4, 0x1000, w->data,
				      SIOMMU_SZ_4K, rw));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, w->ss, 4, 0x2000, w->data,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, w->ss, 4, 0x5000, w->data,
				      SIOMMU_SZ_4K, SIOMMU_VTD_WRITE));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, w->ss, 4, 0x6000,
				      0xfee00000ull, SIOMMU_SZ_4K, rw));

	/* PASID 3, nested: a first stage mapping 0x1000 user RW whose tables
	 * the second stage maps at their own addresses. */
	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &w->nfs));
	CHECK_OK(siommu_vtd_build_table_alloc(t->mem, &w->nss));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_FS, w->nfs, 4, 0x1000, w->data,
				      SIOMMU_SZ_4K, rw | SIOMMU_VTD_BUILD_USER));
	w->nfs_tables[0] = w->nfs;
	for (i = 1; i < 4; i++)
		w->nfs_tables[i] = ld(w, w->nfs_tables[i - 1]) & 0xffffffffff000ull;
	for (i = 0; i < 4; i++)
		CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, w->nss, 4,
					      w->nfs_tables[i], w->nfs_tables[i],
					      SIOMMU_SZ_4K, rw));
	CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, w->nss, 4, w->data,
				      w->data, SIOMMU_SZ_4K, rw));
	p.pgtt = SIOMMU_VTD_PGTT_NEST;
	p.did = 3;
	p.fs_root = w->nfs;
	p.ss_root = w->nss;
	CHECK_OK(siommu_vtd_build_pasid(t->mem, t->root, RID, 3, &p));
}

/* ---- what each row breaks ------------------------------------------------ */

static void ttm_reserved(struct world *w) { set_rtaddr(w, w->t.root | 2 << 10); }
static void ttm_abort(struct world *w) { set_rtaddr(w, w->t.root | 3 << 10); }
static void ttm_legacy(struct world *w) { set_rtaddr(w, w->t.root); }

/* TTM 10b latched, then translation turned off and on without SRTP: the
 * reserved mode stays. */
static void ttm_reserved_te(struct world *w)
{
	ttm_reserved(w);
	vt_wr(&w->t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_QIE);
	vt_wr(&w->t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
}
static void root_hole(struct world *w) { set_rtaddr(w, HOLE | SIOMMU_VTD_RTADDR_SMT); }
static void root_rsvd(struct world *w) { poke(w, w->t.root + (RID >> 8) * 16, 1 << 3, 0); }
static void ctx_hole(struct world *w) { poke(w, w->t.root + (RID >> 8) * 16, HOLE | 1, ~0ull); }
static void ctx_np(struct world *w) { poke(w, ctx(w), 0, 1); }
static void ctx_rsvd(struct world *w) { poke(w, ctx(w), 1 << 5, 0); }
static void ctx_no_dte(struct world *w) { poke(w, ctx(w), 0, 1 << 2); }
static void ctx_no_paside(struct world *w) { poke(w, ctx(w), 0, 1 << 3); }
static void ctx_no_pre(struct world *w) { poke(w, ctx(w), 0, 1 << 4); }
static void ctx_pdts0(struct world *w) { poke(w, ctx(w), 0, 7 << 9); }
static void none(struct world *w) { (void)w; }

static void ctx_rid_pasid_big(struct world *w)
{
	poke(w, ctx(w), 0, 7 << 9);
	poke(w, ctx(w) + 8, 8192, 0xfffff);
}

static void dir_hole(struct world *w) { poke(w, ctx(w), HOLE, ~0xfffull); }

static void dir_rsvd(struct world *w)
{
	uint64_t pa[3];

	locate(w, RID, 1, pa);
	poke(w, pa[1], 1 << 2, 0);
}

static void table_hole(struct world *w)
{
	uint64_t pa[3];

	locate(w, RID, 1, pa);
	poke(w, pa[1], HOLE | 1, ~0ull);
}

static void pe_rsvd(struct world *w) { poke(w, pentry(w, 1) + 16, 1 << 8, 0); }
static void pe_pgtt5(struct world *w) { poke(w, pentry(w, 1), 5 << 6, 7 << 6); }
static void pe_no_ere(struct world *w) { poke(w, pentry(w, 1) + 16, 0, 1 << 1); }
static void pe_no_sre(struct world *w) { poke(w, pentry(w, 1) + 16, 0, 1 << 0); }
static void pe_no_nxe(struct world *w) { poke(w, pentry(w, 1) + 16, 0, 1 << 5); }
static void pe_smep(struct world *w) { poke(w, pentry(w, 1) + 16, 1 << 6, 0); }
static void fs_hole(struct world *w) { poke(w, w->fs, HOLE | 7, ~0ull); }
static void fs_root_hole(struct world *w) { poke(w, pentry(w, 1) + 16, HOLE, ~0xfffull); }
static void fs_leaf_rsvd(struct world *w) { poke(w, fs_leaf(w, w->fs, 0x1000), 1ull << 51, 0); }
static void ss_hole(struct world *w) { poke(w, w->ss, HOLE | 3, ~0ull); }
static void ss_root_hole(struct world *w) { poke(w, pentry(w, 2), HOLE, ~0xfffull); }
static void ss_leaf_snp(struct world *w) { poke(w, ss_leaf(w, w->ss, 0x1000), 1 << 11, 0); }

static void nest_root_beyond(struct world *w)
{
	poke(w, pentry(w, 3) + 16, 1ull << 50, 0);
}

/* The second stage's mapping of PASID 3's FS table @i: write-only, or
 * read-only. */
static void nest_table_perm(struct world *w, unsigned int i, uint64_t set, uint64_t clear)
{
	poke(w, ss_leaf(w, w->nss, w->nfs_tables[i]), set, clear);
}

static void nest_top_wo(struct world *w) { nest_table_perm(w, 0, 2, 1); }
static void nest_mid_wo(struct world *w) { nest_table_perm(w, 1, 2, 1); }
static void nest_top_ro(struct world *w) { nest_table_perm(w, 0, 0, 2); }

#define R	SIOMMU_VTD_READ
#define W	SIOMMU_VTD_WRITE
#define X	SIOMMU_VTD_EXEC

static const struct row rows[] = {
	{ "TTM 10b", 0x30, false, 0, XLATE, true, false, 1, 0x1000, R, 0, ttm_reserved },
	/* Without PASID the record has no PRIV or EXE, whatever the request
	 * asked (rows with priv set or X in access). */
	{ "TTM 11b, no PASID", 0x30, false, 0, XLATE, false, true, 0, 0x1000, R | X, 0,
	  ttm_abort },
	{ "TTM 10b, then TE off and on", 0x30, false, 0, XLATE, true, false, 1, 0x1000, R, 0,
	  ttm_reserved_te },
	{ "TTM 10b, page request", 0x30, false, 0, PRQ, true, false, 1, 0x1000, R, 0,
	  ttm_reserved },
	{ "TTM 00b, PASID", 0x31, false, 0, XLATE, true, false, 1, 0x1000, W, 0, ttm_legacy },
	{ "TTM 00b, no PASID", 0x30, false, 0, XLATE, false, false, 0, 0x1000, R, 0,
	  ttm_legacy },
	{ "TTM 00b, page request", 0x32, false, 0, PRQ, false, false, 0, 0x1000, R, 0,
	  ttm_legacy },
	{ "root table not RAM", 0x38, false, 0, XLATE, true, false, 1, 0x1000, R, 0, root_hole },
	/* RID's upper half of the bus (row_rid()), which nothing uses. */
	{ "root entry not present", 0x39, false, 0, XLATE, true, false, 1, 0x1000, R, 0,
	  none },
	{ "root entry reserved", 0x3a, false, 0, XLATE, true, false, 1, 0x1000, R, 0, root_rsvd },
	{ "context table not RAM", 0x40, false, 1, XLATE, true, false, 1, 0x1000, R, 0,
	  ctx_hole },
	{ "context not present", 0x41, true, 1, XLATE, true, false, 1, 0x1000, R, 0, ctx_np },
	{ "context not present, no PASID", 0x41, true, 1, XLATE, false, true, 0, 0x1000, R | X,
	  0, ctx_np },
	{ "context reserved", 0x42, true, 1, XLATE, true, false, 1, 0x1000, R, 0, ctx_rsvd },
	{ "ATS without DTE", 0x44, true, 1, ATS, true, false, 1, 0x1000, R, 0, ctx_no_dte },
	{ "PASID without PASIDE", 0x45, true, 1, XLATE, true, true, 1, 0x1000, R | X, 0,
	  ctx_no_paside },
	{ "PASID beyond PDTS", 0x46, true, 1, XLATE, true, false, 8192, 0x1000, R, 0,
	  ctx_pdts0 },
	{ "PASID beyond ECAP.PSS", 0x46, true, 1, XLATE, true, false, 256, 0x1000, R, 8, none },
	{ "page request without PRE", 0x47, true, 1, PRQ, true, true, 1, 0x1000, W | X, 0,
	  ctx_no_pre },
	{ "RID_PASID beyond PDTS", 0x48, true, 1, XLATE, false, false, 0, 0x1000, R, 0,
	  ctx_rid_pasid_big },
	{ "directory not RAM", 0x50, false, 2, XLATE, true, false, 1, 0x1000, R, 0, dir_hole },
	{ "directory entry not present", 0x51, true, 2, XLATE, true, false, 64, 0x1000, R, 0,
	  none },
	{ "directory entry reserved", 0x52, true, 2, XLATE, true, false, 1, 0x1000, R, 0,
	  dir_rsvd },
	{ "PASID table not RAM", 0x58, false, 3, XLATE, true, false, 1, 0x1000, R, 0,
	  table_hole },
	{ "PASID entry not present", 0x59, true, 3, XLATE, true, false, 4, 0x1000, R, 0, none },
	{ "PASID entry reserved", 0x5a, true, 3, XLATE, true, false, 1, 0x1000, R, 0, pe_rsvd },
	{ "PGTT 5", 0x5b, true, 3, XLATE, true, false, 1, 0x1000, R, 0, pe_pgtt5 },
	{ "execute without ERE", 0x5c, true, 4, XLATE, true, false, 1, 0x3000, R | X, 0,
	  pe_no_ere },
	{ "supervisor without SRE", 0x5d, true, 4, XLATE, true, true, 1, 0x2000, R, 0,
	  pe_no_sre },
	{ "FS table not RAM", 0x70, false, 4, XLATE, true, false, 1, 0x1000, R, 0, fs_hole },
	{ "FS entry not present", 0x71, true, 4, XLATE, true, false, 1, 0x400000, R, 0, none },
	{ "FS leaf above HAW", 0x72, true, 4, XLATE, true, false, 1, 0x1000, R, 0,
	  fs_leaf_rsvd },
	{ "FS XD without NXE", 0x72, true, 4, XLATE, true, false, 1, 0x1000, R, 0, pe_no_nxe },
	{ "FSPTPTR not RAM", 0x73, false, 4, XLATE, true, false, 1, 0x1000, R, 0,
	  fs_root_hole },
	{ "nested FSPTPTR beyond SS", 0x74, true, 4, XLATE, true, false, 3, 0x1000, R, 0,
	  nest_root_beyond },
	{ "nested FS top not readable", 0x75, true, 4, XLATE, true, false, 3, 0x1000, R, 0,
	  nest_top_wo },
	{ "nested FS table not readable", 0x76, true, 4, XLATE, true, false, 3, 0x1000, R, 0,
	  nest_mid_wo },
	{ "nested FS A update not writable", 0x77, true, 4, XLATE, true, false, 3, 0x1000, R,
	  0, nest_top_ro },
	{ "SS table not RAM", 0x78, false, 4, XLATE, true, false, 2, 0x1000, R, 0, ss_hole },
	{ "SS entry not present", 0x79, true, 4, XLATE, true, false, 2, 0x400000, R, 0, none },
	{ "SS leaf SNP", 0x7a, true, 4, XLATE, true, false, 2, 0x1000, R, 0, ss_leaf_snp },
	{ "SSPTPTR not RAM", 0x7b, false, 4, XLATE, true, false, 2, 0x1000, R, 0,
	  ss_root_hole },
	{ "FS not canonical", 0x80, true, 4, XLATE, true, false, 1, 1ull << 47, R, 0, none },
	{ "user request, supervisor page", 0x81, true, 4, XLATE, true, false, 1, 0x2000, R, 0,
	  none },
	{ "execute through XD", 0x82, true, 4, XLATE, true, false, 1, 0x1000, R | X, 0, none },
	{ "supervisor execute of a user page, SMEP", 0x82, true, 4, XLATE, true, true, 1,
	  0x3000, R | X, 0, pe_smep },
	{ "SS input beyond AW", 0x83, true, 4, XLATE, true, false, 2, 1ull << 48, R, 0, none },
	{ "SS write to read-only", 0x85, true, 4, XLATE, true, false, 2, 0x2000, W, 0, none },
	{ "SS read of write-only", 0x86, true, 4, XLATE, true, true, 2, 0x5000, R, 0, none },
	{ "output in the interrupt range", 0x87, true, 4, XLATE, true, false, 2, 0x6000, W, 0,
	  none },
};

/* ---- running a row --------------------------------------------------------- */

static uint16_t row_rid(const struct row *r)
{
	/* Root entry not present: the upper half of RID's bus. */
	return r->reason == 0x39 ? RID | 0x80 : RID;
}

/* Issues the row's request; returns the reason and whether it was
 * recorded as the request's caller learns it. */
static uint32_t issue(struct world *w, const struct row *r, bool *recorded)
{
	struct siommu_vtd_req q = vt_req(row_rid(r), r->pp, r->pasid, r->iova, r->access);
	struct siommu_vtd_xlate x;
	int ret;

	q.priv = r->priv;
	if (r->kind == PRQ) {
		struct siommu_vtd_page_req p = {
			.rid = q.rid, .pasid_present = r->pp, .pasid = r->pasid,
			.priv = r->priv, .addr = r->iova, .access = r->access,
			.prgi = 5, .last = true,
		};

		CHECK_EQ(siommu_vtd_page_request(w->t.v, &p), -EFAULT);
		*recorded = vt_rd(&w->t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PPF;
		return (uint32_t)(vt_rd(&w->t, SIOMMU_VTD_REG_FRCD + 8, 8) >> 32) & 0xff;
	}
	ret = r->kind == ATS ? siommu_vtd_ats_translate(w->t.v, &q, &x) :
			       siommu_vtd_translate(w->t.v, &q, &x);
	CHECK_EQ(ret, -EFAULT);
	*recorded = x.fault_recorded;
	return x.fault_reason;
}

/* The fault record the row leaves in FRCD[0] (VT-d 10.4.14). */
static void check_record(struct world *w, const struct row *r)
{
	uint64_t lo = vt_rd(&w->t, SIOMMU_VTD_REG_FRCD, 8);
	uint64_t hi = vt_rd(&w->t, SIOMMU_VTD_REG_FRCD + 8, 8);
	bool prq = r->kind == PRQ, write = r->access & W;

	CHECK_EQ(lo, r->iova & ~0xfffull);
	CHECK_EQ(hi & 0xffff, row_rid(r));			/* SID 79:64 */
	CHECK_EQ((hi >> 12) & 0xffff, 0);			/* reserved 91:80 */
	CHECK_EQ((hi >> 28) & 1, prq);				/* T2 92 */
	CHECK_EQ((hi >> 29) & 1, r->pp && r->priv);		/* PRIV 93 */
	CHECK_EQ((hi >> 30) & 1, r->pp && (r->access & X) != 0); /* EXE 94 */
	CHECK_EQ((hi >> 31) & 1, r->pp);			/* PP 95 */
	CHECK_EQ((hi >> 32) & 0xff, r->reason);			/* FR 103:96 */
	CHECK_EQ((hi >> 40) & 0xfffff, r->pp ? r->pasid : 0);	/* PV 123:104 */
	CHECK_EQ((hi >> 60) & 3, 0);				/* AT 125:124 */
	CHECK_EQ((hi >> 62) & 1, !prq && !write);		/* T1 126 */
	CHECK_EQ(hi >> 63, 1);					/* F 127 */
}

static const char *const fpd_where[] = { "none", "context", "directory", "PASID entry" };

static void run(const struct row *r, unsigned int fpd)
{
	struct world w;
	uint64_t pa[3];
	bool recorded, want = true;
	uint32_t fr;

	world_init(&w, r->pasid_bits);
	r->setup(&w);
	if (fpd) {
		locate(&w, row_rid(r), r->pp ? r->pasid : PASID_NONE, pa);
		if (!pa[fpd - 1]) {
			vt_fini(&w.t);
			return;		/* not in RAM: nowhere to set it */
		}
		/* Bit 1 is FPD in all three entries (VT-d 9.4, 9.5, 9.6). */
		poke(&w, pa[fpd - 1], 1 << 1, 0);
		want = !(r->qualified && r->level >= fpd);
	}
	fr = issue(&w, r, &recorded);
	/* A page request's caller learns no reason: it is read from the
	 * record, which only a recorded fault leaves. */
	if ((fr != r->reason && (r->kind != PRQ || want)) || recorded != want)
		fprintf(stderr, "%s (FPD in %s): reason %#x recorded %d\n", r->what,
			fpd_where[fpd], fr, recorded);
	CHECK_EQ(recorded, want);
	if (r->kind != PRQ || want)
		CHECK_EQ(fr, r->reason);
	if (want) {
		check_record(&w, r);
	} else {
		CHECK(!(vt_rd(&w.t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PPF));
		CHECK_EQ(w.t.msi[SIOMMU_VTD_IRQ_FAULT], 0);
	}
	vt_fini(&w.t);
}

/* The untouched world translates what the rows break. */
static void test_world(void)
{
	struct world w;

	world_init(&w, 0);
	CHECK(vt_xlate_ok(&w.t, RID, true, 1, 0x1000, R | W) == w.data);
	CHECK(vt_xlate_ok(&w.t, RID, false, 0, 0x1000, R) == w.data);
	CHECK(vt_xlate_ok(&w.t, RID, true, 2, 0x1000, R | W) == w.data);
	CHECK(vt_xlate_ok(&w.t, RID, true, 3, 0x1000, R | W) == w.data);
	vt_fini(&w.t);
}

int main(void)
{
	unsigned int i, fpd;

	test_world();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (fpd = 0; fpd < 4; fpd++)
			run(&rows[i], fpd);
	return 0;
}
