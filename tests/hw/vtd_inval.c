/* SPDX-License-Identifier: MIT */
/*
 * Invalidation queue: each granularity removes exactly what it names (what
 * goes and what stays, judged by IOTLB hits), the context and PASID caches,
 * device-TLB and page group response delivery, wait descriptor flags and
 * queue errors (VT-d 6.5.2).
 */
#include "vtd_test.h"

#define RA 0x0100
#define RB 0x0200

struct probe {
	uint16_t rid;
	bool pp;
	uint32_t pasid;
	uint64_t iova;
	const char *name;
};

/* A/1 FS DID1; A/2 SS DID1; A/3 FS DID2; B no-PASID SS DID1; A/4 PT DID1. */
static const struct probe probes[] = {
	{ RA, true, 1, 0x1000, "fs1 0x1000" },
	{ RA, true, 1, 0x2000, "fs1 0x2000" },
	{ RA, true, 2, 0x1000, "ss2 0x1000" },
	{ RA, true, 2, 0x2000, "ss2 0x2000" },
	{ RA, true, 3, 0x1000, "fs3(did2) 0x1000" },
	{ RB, false, 0, 0x1000, "B 0x1000" },
	{ RB, false, 0, 0x2000, "B 0x2000" },
	{ RA, true, 4, 0x1000, "pt4 0x1000" },
	{ RA, true, 4, 0x2000, "pt4 0x2000" },
};
#define NP (sizeof(probes) / sizeof(probes[0]))

static void fixture(struct vt *t)
{
	uint64_t fs1, ss2, fs3, ssb, pg = 0;
	struct siommu_vtd_pasid_desc pt = { .pgtt = SIOMMU_VTD_PGTT_PT, .did = 1 };
	uint64_t a;
	unsigned int i;

	vt_init(t, NULL);
	vt_ctx(t, RA, true, 0);
	vt_ctx(t, RB, false, 0);
	fs1 = vt_pasid_fs(t, RA, 1, 1, 4);
	ss2 = vt_pasid_ss(t, RA, 2, 1, 4);
	fs3 = vt_pasid_fs(t, RA, 3, 2, 4);
	ssb = vt_pasid_ss(t, RB, 0, 1, 4);
	CHECK_OK(siommu_vtd_build_pasid(t->mem, t->root, RA, 4, &pt));
	for (a = 0x1000; a <= 0x2000; a += 0x1000) {
		pg = vt_page(t);
		CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_FS, fs1, 4, a, pg,
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_BUILD_USER));
		CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_FS, fs3, 4, a, pg,
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_BUILD_USER));
		CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, ss2, 4, a, pg,
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
		CHECK_OK(siommu_vtd_build_map(t->mem, SIOMMU_VTD_FMT_SS, ssb, 4, a, pg,
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ));
	}
	for (i = 0; i < NP; i++)
		vt_xlate_ok(t, probes[i].rid, probes[i].pp, probes[i].pasid,
			    probes[i].iova, SIOMMU_VTD_READ);
}

static bool stays(struct vt *t, const struct probe *p)
{
	struct siommu_vtd_stats a, b;

	siommu_vtd_get_stats(t->v, &a);
	vt_xlate_ok(t, p->rid, p->pp, p->pasid, p->iova, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t->v, &b);
	return b.iotlb_hit == a.iotlb_hit + 1;
}

/* @gone: bitmap of probes the descriptor must remove; all others stay. */
static void check_inv(struct siommu_vtd_desc d, unsigned int gone, int line)
{
	struct vt t;
	unsigned int i;

	fixture(&t);
	vt_inv(&t, d);
	for (i = 0; i < NP; i++) {
		bool want = !(gone & (1u << i));

		if (stays(&t, &probes[i]) != want) {
			fprintf(stderr, "line %d: %s should %s\n", line, probes[i].name,
				want ? "stay" : "go");
			exit(1);
		}
	}
	vt_fini(&t);
}

#define P(i) (1u << (i))

static void test_iotlb_granularity(void)
{
	/* Global. */
	check_inv(siommu_vtd_desc_iotlb(1, 0, 0, 0, false), 0x1ff, __LINE__);
	/* Domain 1: everything but the DID 2 entry. */
	check_inv(siommu_vtd_desc_iotlb(2, 1, 0, 0, false), 0x1ff & ~P(4), __LINE__);
	check_inv(siommu_vtd_desc_iotlb(2, 2, 0, 0, false), P(4), __LINE__);
	check_inv(siommu_vtd_desc_iotlb(2, 9, 0, 0, false), 0, __LINE__);
	/* Page 0x1000 of DID 1: the SS/PT entries of that page, and every
	 * first-stage entry of the domain (VT-d 6.5.2.3). */
	check_inv(siommu_vtd_desc_iotlb(3, 1, 0x1000, 0, false),
		  P(0) | P(1) | P(2) | P(5) | P(7), __LINE__);
	/* AM masks the address: 0x1000 with AM 1 is [0, 0x2000). */
	check_inv(siommu_vtd_desc_iotlb(3, 1, 0x1000, 1, false),
		  P(0) | P(1) | P(2) | P(5) | P(7), __LINE__);
	check_inv(siommu_vtd_desc_iotlb(3, 1, 0x2000, 2, false),
		  P(0) | P(1) | P(2) | P(3) | P(5) | P(6) | P(7) | P(8), __LINE__);
	check_inv(siommu_vtd_desc_iotlb(3, 1, 0x3000, 0, false), P(0) | P(1), __LINE__);
}

static void test_piotlb_granularity(void)
{
	/* All of (DID 1, PASID 1). */
	check_inv(siommu_vtd_desc_piotlb(2, 1, 1, 0, 0, false), P(0) | P(1), __LINE__);
	/* PASID 3 belongs to DID 2: wrong DID removes nothing. */
	check_inv(siommu_vtd_desc_piotlb(2, 1, 3, 0, 0, false), 0, __LINE__);
	/* Requests without PASID were cached under RID_PASID 0. */
	check_inv(siommu_vtd_desc_piotlb(2, 1, 0, 0, 0, false), P(5) | P(6), __LINE__);
	/* Pass-through entries of PASID 4 go with G=2... */
	check_inv(siommu_vtd_desc_piotlb(2, 1, 4, 0, 0, false), P(7) | P(8), __LINE__);
	/* ...but page-selective only touches first-stage entries (VT-d 6.5.2.4). */
	check_inv(siommu_vtd_desc_piotlb(3, 1, 1, 0x1000, 0, false), P(0), __LINE__);
	check_inv(siommu_vtd_desc_piotlb(3, 1, 1, 0x1000, 1, false), P(0), __LINE__);
	check_inv(siommu_vtd_desc_piotlb(3, 1, 1, 0x0000, 2, false), P(0) | P(1), __LINE__);
	check_inv(siommu_vtd_desc_piotlb(3, 1, 2, 0x1000, 0, false), 0, __LINE__);
	check_inv(siommu_vtd_desc_piotlb(3, 1, 4, 0x1000, 0, false), 0, __LINE__);
}

/* Whether the next translation of the request hits the IOTLB. */
static bool hits_at(struct vt *t, uint16_t rid, bool pp, uint32_t pasid, uint64_t iova)
{
	struct siommu_vtd_stats a, b;

	siommu_vtd_get_stats(t->v, &a);
	vt_xlate_ok(t, rid, pp, pasid, iova, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t->v, &b);
	return b.iotlb_hit == a.iotlb_hit + 1;
}

static bool hits(struct vt *t, uint32_t pasid)
{
	return hits_at(t, RA, true, pasid, 0x1000);
}

/*
 * DID-tagged invalidations skip the scan when nothing of the DID is cached;
 * that count must survive evictions and DIDs that share a count (DIDs 1024
 * apart). A tiny IOTLB evicts on nearly every fill; after each domain or
 * PASID invalidation, no translation of that DID may hit.
 */
static void test_did_population(void)
{
	struct siommu_vtd_cfg cfg = { .iotlb_sets = 2, .iotlb_ways = 2 };
	static const uint16_t dids[] = { 1, 1025, 2, 2049, 3, 1, 1025, 4 };
	const unsigned int n = sizeof(dids) / sizeof(dids[0]);
	struct vt t;
	uint64_t rng = 0x5eed;
	unsigned int i, round;

	vt_init(&t, &cfg);
	vt_ctx(&t, RA, true, 0);
	for (i = 0; i < n; i++) {
		uint64_t fs = vt_pasid_fs(&t, RA, i + 1, dids[i], 4);

		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000,
					      vt_page(&t), SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	}
	/* Fill with DID 1, evict it with DID 2 in the same slot sequence:
	 * DID 2's count must still show its entry. */
	for (round = 0; round < 2000; round++) {
		uint16_t did;
		unsigned int k;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		k = (unsigned int)(rng >> 33) % n;
		if ((rng >> 20) % 3) {
			vt_xlate_ok(&t, RA, true, k + 1, 0x1000, SIOMMU_VTD_READ);
			continue;
		}
		did = dids[k];
		if ((rng >> 40) & 1)
			vt_inv(&t, siommu_vtd_desc_iotlb(2, did, 0, 0, false));
		else
			vt_inv(&t, siommu_vtd_desc_piotlb(3, did, k + 1, 0x1000, 0, false));
		for (i = 0; i < n; i++) {
			/* PASID-selective: only that PASID of the DID goes. */
			if (dids[i] != did || (!((rng >> 40) & 1) && i != k))
				continue;
			if (hits(&t, i + 1)) {
				fprintf(stderr, "round %u: PASID %u (DID %u) survived\n",
					round, i + 1, did);
				exit(1);
			}
		}
	}
	vt_fini(&t);
}

/*
 * Paging-structure cache (SIOMMU_VTD_CAP_PSC): which cached level-1
 * entries each descriptor removes. Four walks fill one each, in the 2M
 * region at 0: first stage (DID 1, PASID 1), first stage of the same
 * domain at PASID 2, second stage (DID 2), first stage of another domain
 * (DID 3, PASID 4). An entry stays if a later miss in its region (0x2000,
 * not yet translated) starts from it.
 */
enum { PS_FS1, PS_FS1_P2, PS_SS2, PS_FS3 };
static const struct probe psc_probes[] = {
	{ RA, true, 1, 0x2000, "fs did1 pasid1" },
	{ RA, true, 2, 0x2000, "fs did1 pasid2" },
	{ RA, true, 3, 0x2000, "ss did2" },
	{ RA, true, 4, 0x2000, "fs did3 pasid4" },
};

static void psc_fixture(struct vt *t)
{
	uint64_t root[4], a, pg;
	unsigned int i;

	vt_init(t, NULL);
	vt_ctx(t, RA, true, 0);
	root[0] = vt_pasid_fs(t, RA, 1, 1, 4);
	root[1] = vt_pasid_fs(t, RA, 2, 1, 4);
	root[2] = vt_pasid_ss(t, RA, 3, 2, 4);
	root[3] = vt_pasid_fs(t, RA, 4, 3, 4);
	for (i = 0; i < 4; i++) {
		for (a = 0x1000; a <= 0x2000; a += 0x1000) {
			pg = vt_page(t);
			CHECK_OK(siommu_vtd_build_map(t->mem, i == 2 ? SIOMMU_VTD_FMT_SS :
						      SIOMMU_VTD_FMT_FS, root[i], 4, a, pg,
						      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
						      SIOMMU_VTD_BUILD_USER));
		}
		vt_xlate_ok(t, RA, true, psc_probes[i].pasid, 0x1000, SIOMMU_VTD_READ);
	}
}

static bool psc_stays(struct vt *t, const struct probe *p)
{
	struct siommu_vtd_stats a, b;

	siommu_vtd_get_stats(t->v, &a);
	vt_xlate_ok(t, p->rid, p->pp, p->pasid, p->iova, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t->v, &b);
	CHECK_EQ(b.psc_hit + b.psc_miss, a.psc_hit + a.psc_miss + 1);
	return b.psc_hit == a.psc_hit + 1;
}

/* @gone: bitmap of psc_probes the descriptor must remove (n: 0 or 1). */
static void check_psc(const struct siommu_vtd_desc *d, unsigned int n, unsigned int gone,
		      int line)
{
	struct vt t;
	unsigned int i;

	psc_fixture(&t);
	if (n)
		vt_inv(&t, *d);
	for (i = 0; i < 4; i++) {
		bool want = !(gone & (1u << i));

		if (psc_stays(&t, &psc_probes[i]) != want) {
			fprintf(stderr, "line %d: %s should %s\n", line, psc_probes[i].name,
				want ? "stay" : "go");
			exit(1);
		}
	}
	vt_fini(&t);
}

#define CHECK_PSC(desc, gone) \
	do { struct siommu_vtd_desc d_ = (desc); check_psc(&d_, 1, (gone), __LINE__); } while (0)
#define PS(i) (1u << (i))

static void test_psc_granularity(void)
{
	const unsigned int all = PS(PS_FS1) | PS(PS_FS1_P2) | PS(PS_SS2) | PS(PS_FS3);

	check_psc(NULL, 0, 0, __LINE__);
	/* PASID-based, page-selective: without IH, that PASID's entry over
	 * the range; with IH, or another region, nothing. */
	CHECK_PSC(siommu_vtd_desc_piotlb(3, 1, 1, 0x1000, 0, false), PS(PS_FS1));
	CHECK_PSC(siommu_vtd_desc_piotlb(3, 1, 1, 0x1000, 0, true), 0);
	CHECK_PSC(siommu_vtd_desc_piotlb(3, 1, 1, 0x200000, 0, false), 0);
	CHECK_PSC(siommu_vtd_desc_piotlb(3, 1, 1, 0x200000, 10, false), PS(PS_FS1));
	CHECK_PSC(siommu_vtd_desc_piotlb(3, 2, 3, 0x1000, 0, false), 0);
	/* PASID-selective: that PASID's first-stage entries only. */
	CHECK_PSC(siommu_vtd_desc_piotlb(2, 1, 2, 0, 0, false), PS(PS_FS1_P2));
	CHECK_PSC(siommu_vtd_desc_piotlb(2, 2, 3, 0, 0, false), 0);
	CHECK_PSC(siommu_vtd_desc_piotlb(2, 2, 0, 0, 0, false), 0);
	/* Page-selective by DID: every first-stage entry of the domain (as
	 * for the IOTLB, VT-d 6.5.2.3); second-stage ones over the range, not with
	 * IH. */
	CHECK_PSC(siommu_vtd_desc_iotlb(3, 1, 0x200000, 0, true), PS(PS_FS1) | PS(PS_FS1_P2));
	CHECK_PSC(siommu_vtd_desc_iotlb(3, 2, 0x1000, 0, false), PS(PS_SS2));
	CHECK_PSC(siommu_vtd_desc_iotlb(3, 2, 0x1000, 0, true), 0);
	CHECK_PSC(siommu_vtd_desc_iotlb(3, 2, 0x200000, 0, false), 0);
	/* Domain and global. */
	CHECK_PSC(siommu_vtd_desc_iotlb(2, 1, 0, 0, false), PS(PS_FS1) | PS(PS_FS1_P2));
	CHECK_PSC(siommu_vtd_desc_iotlb(2, 2, 0, 0, false), PS(PS_SS2));
	CHECK_PSC(siommu_vtd_desc_iotlb(1, 0, 0, 0, false), all);
	/* Context and PASID caches leave it alone. */
	CHECK_PSC(siommu_vtd_desc_cc(1, 0, 0, 0), 0);
	CHECK_PSC(siommu_vtd_desc_pc(3, 0, 0), 0);
}

/*
 * A cached level-1 entry outlives a change of the tree above the leaves
 * until an invalidation without IH covers it, as on hardware: software that
 * replaces a last-level table and invalidates with IH keeps translating
 * through the old one. Without SIOMMU_VTD_CAP_PSC the new table is used at
 * once. First stage through the queue, second stage through the registers
 * (IH in IVA bit 6).
 */
static void psc_stale(bool psc, bool ss)
{
	struct siommu_vtd_cfg cfg = { .caps = SIOMMU_VTD_CAP_ALL };
	enum siommu_vtd_fmt fmt = ss ? SIOMMU_VTD_FMT_SS : SIOMMU_VTD_FMT_FS;
	uint64_t root, old_pg, new_pg, table, pde_pa, e, leaf;
	unsigned int k;
	struct vt t;

	if (!psc)
		cfg.caps &= ~SIOMMU_VTD_CAP_PSC;
	vt_init(&t, &cfg);
	vt_ctx(&t, RA, true, 0);
	root = ss ? vt_pasid_ss(&t, RA, 1, 1, 4) : vt_pasid_fs(&t, RA, 1, 1, 4);
	old_pg = vt_page(&t);
	new_pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, fmt, root, 4, 0x1000, old_pg, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(t.mem, fmt, root, 4, 0x2000, old_pg, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x1000, SIOMMU_VTD_READ), old_pg);
	/* A new last-level table maps 0x2000 elsewhere; the PDE moves to it. */
	pde_pa = root;
	for (k = 3; k > 1; k--) {
		CHECK_OK(siommu_mem_load64(t.mem, pde_pa, &e));	/* index 0 */
		pde_pa = e & 0x000ffffffffff000ull;
	}
	CHECK_OK(siommu_mem_load64(t.mem, pde_pa, &e));
	CHECK_OK(siommu_mem_load64(t.mem, (e & 0x000ffffffffff000ull) + 2 * 8, &leaf));
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &table));
	CHECK_OK(siommu_mem_store64(t.mem, table + 2 * 8, new_pg | (leaf & 0xfff)));
	CHECK_OK(siommu_mem_store64(t.mem, pde_pa, table | (e & 0xfff)));
	CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x2000, SIOMMU_VTD_READ),
		 psc ? old_pg : new_pg);
	if (!ss) {
		/* PASID-based: with IH only the leaf goes; without, the
		 * walk starts over from the root. */
		vt_inv(&t, siommu_vtd_desc_piotlb(3, 1, 1, 0x2000, 0, true));
		CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x2000, SIOMMU_VTD_READ),
			 psc ? old_pg : new_pg);
		vt_inv(&t, siommu_vtd_desc_piotlb(3, 1, 1, 0x2000, 0, false));
	} else {
		/* Register-based (QIE off): IH is IVA bit 6. */
		vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
		vt_wr(&t, SIOMMU_VTD_REG_IVA, 8, 0x2000 | 1ull << 6);
		vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 3ull << 60 | 1ull << 32);
		CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x2000, SIOMMU_VTD_READ),
			 psc ? old_pg : new_pg);
		vt_wr(&t, SIOMMU_VTD_REG_IVA, 8, 0x2000);
		vt_wr(&t, SIOMMU_VTD_REG_IOTLB, 8, 1ull << 63 | 3ull << 60 | 1ull << 32);
	}
	CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x2000, SIOMMU_VTD_READ), new_pg);
	vt_fini(&t);
}

static void test_psc(void)
{
	test_psc_granularity();
	psc_stale(true, false);
	psc_stale(false, false);
	psc_stale(true, true);
	psc_stale(false, true);
}

/*
 * A set holds exactly the configured ways, whatever its stride in memory
 * (the ways rounded up to a power of two): after translating more pages
 * than the IOTLB holds, a global invalidation removes sets * ways entries.
 */
static void check_capacity(unsigned int sets, unsigned int ways)
{
	struct siommu_vtd_cfg cfg = { .iotlb_sets = sets, .iotlb_ways = ways };
	struct siommu_vtd_stats a, b;
	unsigned int pages = sets * ways * 8, i;
	struct vt t;
	uint64_t fs;

	vt_init(&t, &cfg);
	vt_ctx(&t, RA, true, 0);
	fs = vt_pasid_fs(&t, RA, 1, 1, 4);
	for (i = 0; i < pages; i++)
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4,
					      0x100000 + i * 0x1000ull, vt_page(&t),
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_BUILD_USER));
	for (i = 0; i < pages; i++)
		vt_xlate_ok(&t, RA, true, 1, 0x100000 + i * 0x1000ull, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t.v, &a);
	vt_inv(&t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	siommu_vtd_get_stats(t.v, &b);
	CHECK_EQ(b.iotlb_inv_entries - a.iotlb_inv_entries, (uint64_t)sets * ways);
	vt_fini(&t);
}

static void test_capacity(void)
{
	check_capacity(1, 3);
	check_capacity(1, 5);
	check_capacity(4, 3);
	check_capacity(2, 16);
	check_capacity(8, 1);
}

/*
 * PASID-based page-selective invalidations probe the sets their entries
 * hash to, for the SIDs noted in the domain's bucket, instead of scanning:
 * entries of requests without PASID (cached under RID_PASID), large pages
 * the range falls in, and ranges too wide to probe (a scan) must all go,
 * and nothing else. Domain 1 has four requesters (probed); domain 2 has
 * six, more than a bucket notes (scanned).
 */
static void psi_sets_domain(uint16_t did, const uint16_t *rids, unsigned int nr)
{
	struct siommu_vtd_cfg cfg = { .iotlb_sets = 64, .iotlb_ways = 4, .mamv = 48 };
	uint64_t big, fs;
	struct vt t;
	unsigned int i, am;

	vt_init(&t, &cfg);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &big));
	for (i = 0; i < nr; i++) {
		/* RID_PASID 7: requests without PASID use PASID 7's entry. */
		vt_ctx(&t, rids[i], true, 7);
		fs = vt_pasid_fs(&t, rids[i], 7, did, 4);
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x1000,
					      vt_page(&t), SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x2000,
					      vt_page(&t), SIOMMU_SZ_4K,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x40000000,
					      big, SIOMMU_SZ_2M,
					      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	}
	for (am = 0; am <= 9; am += 9) {
		for (i = 0; i < nr; i++) {
			vt_xlate_ok(&t, rids[i], true, 7, 0x1000, SIOMMU_VTD_READ);
			vt_xlate_ok(&t, rids[i], false, 0, 0x1000, SIOMMU_VTD_READ);
			vt_xlate_ok(&t, rids[i], false, 0, 0x2000, SIOMMU_VTD_READ);
			vt_xlate_ok(&t, rids[i], true, 7, 0x40123000, SIOMMU_VTD_READ);
		}
		/* AM 0 probes sets (for four SIDs); AM 9 (2 MiB) scans. */
		vt_inv(&t, siommu_vtd_desc_piotlb(3, did, 7, 0x1000, am, false));
		for (i = 0; i < nr; i++) {
			CHECK(!hits_at(&t, rids[i], true, 7, 0x1000));
			CHECK(!hits_at(&t, rids[i], false, 0, 0x1000));
		}
		/* Another PASID or DID leaves the 2M page alone; a 4K range
		 * inside it removes it; 0x2000 only goes with the 2 MiB range. */
		vt_inv(&t, siommu_vtd_desc_piotlb(3, did, 8, 0x40123000, 0, false));
		vt_inv(&t, siommu_vtd_desc_piotlb(3, did + 1, 7, 0x40123000, 0, false));
		for (i = 0; i < nr; i++)
			CHECK(hits_at(&t, rids[i], true, 7, 0x40123000));
		vt_inv(&t, siommu_vtd_desc_piotlb(3, did, 7, 0x401ff000, 0, false));
		for (i = 0; i < nr; i++) {
			CHECK(!hits_at(&t, rids[i], true, 7, 0x40123000));
			CHECK_EQ(hits_at(&t, rids[i], false, 0, 0x2000), am == 0);
		}
	}
	/* A range of 2^40 pages (AM 40): far too many sets to probe, so it
	 * scans (once, it counted them in 32 bits and never returned). */
	for (i = 0; i < nr; i++)
		vt_xlate_ok(&t, rids[i], true, 7, 0x40123000, SIOMMU_VTD_READ);
	vt_inv(&t, siommu_vtd_desc_piotlb(3, did, 7, 0, 40, false));
	for (i = 0; i < nr; i++) {
		CHECK(!hits_at(&t, rids[i], true, 7, 0x40123000));
		CHECK(!hits_at(&t, rids[i], false, 0, 0x1000));
	}
	vt_fini(&t);
}

static void test_psi_sets(void)
{
	static const uint16_t four[] = { 0x300, 0x301, 0x302, 0x303 };
	static const uint16_t six[] = { 0x400, 0x401, 0x402, 0x403, 0x404, 0x405 };

	psi_sets_domain(1, four, 4);
	psi_sets_domain(2, six, 6);
}

/* Context-cache descriptor @cc and a global IOTLB flush, then walks of
 * (RA, PASID 2) and (RB, RID) between the stats snapshots *a and *b. */
static void cc_then_walk(struct vt *t, struct siommu_vtd_desc cc,
			 struct siommu_vtd_stats *a, struct siommu_vtd_stats *b)
{
	vt_inv(t, cc);
	vt_inv(t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	siommu_vtd_get_stats(t->v, a);
	vt_xlate_ok(t, RA, true, 2, 0x1000, SIOMMU_VTD_READ);
	vt_xlate_ok(t, RB, false, 0, 0x1000, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t->v, b);
}

/* Context and PASID caches, judged by their hit counters on a re-walk. */
static void test_structure_caches(void)
{
	struct siommu_vtd_stats a, b;
	struct vt t;

	fixture(&t);
	/* PASID-selective PASID-cache invalidation of (DID 1, PASID 1). */
	vt_inv(&t, siommu_vtd_desc_pc(1, 1, 1));
	vt_inv(&t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	siommu_vtd_get_stats(t.v, &a);
	vt_xlate_ok(&t, RA, true, 1, 0x1000, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t.v, &b);
	CHECK_EQ(b.pasid_miss - a.pasid_miss, 1);
	CHECK_EQ(b.ctx_hit - a.ctx_hit, 1);
	vt_xlate_ok(&t, RA, true, 2, 0x1000, SIOMMU_VTD_READ);
	vt_xlate_ok(&t, RA, true, 3, 0x1000, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t.v, &a);
	CHECK_EQ(a.pasid_hit - b.pasid_hit, 2);
	/* Domain-selective (DID 2) leaves DID 1 alone. */
	vt_inv(&t, siommu_vtd_desc_pc(0, 2, 0));
	vt_inv(&t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	siommu_vtd_get_stats(t.v, &a);
	vt_xlate_ok(&t, RA, true, 3, 0x1000, SIOMMU_VTD_READ);
	vt_xlate_ok(&t, RA, true, 2, 0x1000, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t.v, &b);
	CHECK_EQ(b.pasid_miss - a.pasid_miss, 1);
	CHECK_EQ(b.pasid_hit - a.pasid_hit, 1);
	/* Device-selective context invalidation with FM=3: 0x0107 covers 0x0100. */
	cc_then_walk(&t, siommu_vtd_desc_cc(3, 0, 0x0107, 3), &a, &b);
	CHECK_EQ(b.ctx_miss - a.ctx_miss, 1);
	CHECK_EQ(b.ctx_hit - a.ctx_hit, 1);
	/* PASID entries stay: they have an invalidation of their own. */
	CHECK_EQ(b.pasid_hit - a.pasid_hit, 2);
	CHECK_EQ(b.pasid_miss, a.pasid_miss);
	/* A global one drops every context entry, and no PASID entry. */
	cc_then_walk(&t, siommu_vtd_desc_cc(1, 0, 0, 0), &a, &b);
	CHECK_EQ(b.ctx_miss - a.ctx_miss, 2);
	CHECK_EQ(b.pasid_hit - a.pasid_hit, 2);
	CHECK_EQ(b.pasid_miss, a.pasid_miss);
	/* FM=0: 0x0107 does not cover 0x0100. */
	vt_inv(&t, siommu_vtd_desc_cc(3, 0, 0x0107, 0));
	vt_inv(&t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	siommu_vtd_get_stats(t.v, &a);
	vt_xlate_ok(&t, RA, true, 2, 0x1000, SIOMMU_VTD_READ);
	siommu_vtd_get_stats(t.v, &b);
	CHECK_EQ(b.ctx_hit - a.ctx_hit, 1);
	vt_fini(&t);
}

/*
 * A context entry moved to another PASID directory, invalidated as VT-d
 * 6.5.3.3 asks but for the PASID cache: the cached PASID entry still
 * translates, as on hardware, so a driver that skips that step is caught.
 * The PASID-cache invalidation completes the switch.
 */
static void test_ctx_switch(void)
{
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true };
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 3,
					   .fs_levels = 4, .sre = true, .ere = true };
	uint64_t old_pg, new_pg;
	struct vt t;

	fixture(&t);
	old_pg = vt_xlate_ok(&t, RA, true, 1, 0x1000, SIOMMU_VTD_READ);
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &cd.pasid_dir));
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RA, &cd, NULL));
	CHECK_OK(siommu_vtd_build_table_alloc(t.mem, &p.fs_root));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RA, 1, &p));
	CHECK_OK(siommu_vtd_build_pasid(t.mem, t.root, RA, 70, &p));
	new_pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4, 0x1000,
				      new_pg, SIOMMU_SZ_4K,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	vt_inv(&t, siommu_vtd_desc_cc(3, 0, RA, 0));
	vt_inv(&t, siommu_vtd_desc_iotlb(2, 1, 0, 0, false));
	CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x1000, SIOMMU_VTD_READ), old_pg);
	/* PASID 70 was never cached: it is read through the new directory. */
	CHECK_EQ(vt_xlate_ok(&t, RA, true, 70, 0x1000, SIOMMU_VTD_READ), new_pg);
	vt_inv(&t, siommu_vtd_desc_pc(1, 1, 1));
	vt_inv(&t, siommu_vtd_desc_iotlb(2, 1, 0, 0, false));
	CHECK_EQ(vt_xlate_ok(&t, RA, true, 1, 0x1000, SIOMMU_VTD_READ), new_pg);
	vt_fini(&t);
}

struct devlog {
	unsigned int ninv, nresp;
	struct siommu_vtd_devtlb_inv inv;
	struct siommu_vtd_page_resp resp;
};

static void dev_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct devlog *l = opaque;

	l->ninv++;
	l->inv = *inv;
}

static void dev_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	struct devlog *l = opaque;

	l->nresp++;
	l->resp = *r;
}

static void test_device_descriptors(void)
{
	struct siommu_vtd_dev_ops ops = { dev_inv, dev_resp };
	struct devlog l = { 0 };
	struct vt t;

	vt_init(&t, NULL);
	CHECK_OK(siommu_vtd_dev_register(t.v, RA, &ops, &l));
	CHECK_EQ(siommu_vtd_dev_register(t.v, RA, &ops, &l), -EEXIST);
	vt_inv(&t, siommu_vtd_desc_devtlb(RA, 0x5000, false));
	CHECK_EQ(l.ninv, 1);
	CHECK_EQ(l.inv.rid, RA);
	CHECK(!l.inv.pasid_present);
	CHECK_EQ(l.inv.addr, 0x5000);
	CHECK_EQ(l.inv.size, 0x1000);
	/* S=1, bits 13:12 = 01: 16K at 0x10000. */
	vt_inv(&t, siommu_vtd_desc_devtlb(RA, 0x11000, true));
	CHECK_EQ(l.inv.addr, 0x10000);
	CHECK_EQ(l.inv.size, 0x4000);
	/* S=1, bit 12 = 0: 8K. */
	vt_inv(&t, siommu_vtd_desc_devtlb(RA, 0x12000, true));
	CHECK_EQ(l.inv.addr, 0x12000);
	CHECK_EQ(l.inv.size, 0x2000);
	/* Another device's descriptor does not reach this one. */
	vt_inv(&t, siommu_vtd_desc_devtlb(RB, 0x5000, false));
	CHECK_EQ(l.ninv, 3);
	/* PASID-based, all addresses, all PASIDs. */
	vt_inv(&t, siommu_vtd_desc_pdevtlb(RA, 77, true, ~0ull, true));
	CHECK_EQ(l.ninv, 4);
	CHECK(l.inv.pasid_present);
	CHECK_EQ(l.inv.pasid, 77);
	CHECK(l.inv.all_pasids);
	CHECK(l.inv.all_addresses);
	vt_inv(&t, siommu_vtd_desc_pdevtlb(RA, 78, false, 0x7000, false));
	CHECK(!l.inv.all_pasids);
	CHECK(!l.inv.all_addresses);
	CHECK_EQ(l.inv.pasid, 78);
	CHECK_EQ(l.inv.addr, 0x7000);
	CHECK_EQ(l.inv.size, 0x1000);
	/* Its S is bit 11 (not 0, which is G): 16K at 0x10000. */
	vt_inv(&t, siommu_vtd_desc_pdevtlb(RA, 78, false, 0x11000, true));
	CHECK(!l.inv.all_pasids);
	CHECK_EQ(l.inv.addr, 0x10000);
	CHECK_EQ(l.inv.size, 0x4000);
	/* Page group response. */
	vt_inv(&t, siommu_vtd_desc_page_resp(RA, true, 0x12345, 0x1ab, 0xf, true));
	CHECK_EQ(l.nresp, 1);
	CHECK_EQ(l.resp.rid, RA);
	CHECK(l.resp.pasid_present);
	CHECK_EQ(l.resp.pasid, 0x12345);
	CHECK_EQ(l.resp.prgi, 0x1ab);
	CHECK_EQ(l.resp.code, 0xf);
	CHECK(!l.resp.auto_response);
	CHECK(!l.resp.priv_data_present);
	/* With private data (PDP): qw2 and qw3 go to the device. */
	{
		struct siommu_vtd_desc d = siommu_vtd_desc_page_resp(RA, true, 5, 3, 0,
								     true);

		d.qw[0] |= 1 << 5;
		d.qw[2] = 0x1122334455667788ull;
		d.qw[3] = 0x99;
		vt_inv(&t, d);
		CHECK(l.resp.priv_data_present);
		CHECK_EQ(l.resp.priv_data[0], 0x1122334455667788ull);
		CHECK_EQ(l.resp.priv_data[1], 0x99);
	}
	siommu_vtd_dev_unregister(t.v, RA);
	vt_inv(&t, siommu_vtd_desc_devtlb(RA, 0x5000, false));
	CHECK_EQ(l.ninv, 6);
	vt_fini(&t);
}

static void test_wait(void)
{
	struct siommu_vtd_desc d[3];
	struct vt t;
	uint32_t st;

	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_IEDATA, 4, 0x42);
	/* SW=0, IF=0: a pure fence is legal (VT-d 6.5.2.9). */
	d[0] = siommu_vtd_desc_wait(false, false, true, false, 0, 0);
	vt_submit(&t, d, 1);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_IQE));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 32);
	/* IF: ICS.IWC and the completion MSI; SW and IF together. */
	d[0] = siommu_vtd_desc_wait(true, true, false, true, t.status, 0xabc);
	vt_submit(&t, d, 1);
	CHECK_OK(siommu_mem_read(t.mem, t.status, &st, 4));
	CHECK_EQ(st, 0xabc);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_ICS, 4), SIOMMU_VTD_ICS_IWC);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_INV], 1);
	CHECK_EQ(t.msi_data, 0x42);
	/* IWC still set: no new interrupt. */
	d[0] = siommu_vtd_desc_wait(false, true, false, false, 0, 0);
	vt_submit(&t, d, 1);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_INV], 1);
	vt_wr(&t, SIOMMU_VTD_REG_ICS, 4, SIOMMU_VTD_ICS_IWC);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_ICS, 4), 0);
	/* Masked: IP, delivered on unmask. */
	vt_wr(&t, SIOMMU_VTD_REG_IECTL, 4, SIOMMU_VTD_ECTL_IM);
	vt_submit(&t, d, 1);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_INV], 1);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IECTL, 4), SIOMMU_VTD_ECTL_IM | SIOMMU_VTD_ECTL_IP);
	vt_wr(&t, SIOMMU_VTD_REG_IECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_INV], 2);
	/* Several descriptors in one IQT write, wrapping the queue. */
	while (vt_rd(&t, SIOMMU_VTD_REG_IQT, 8) != 4096 - 32)
		vt_submit(&t, d, 1);
	d[0] = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	d[1] = siommu_vtd_desc_pc(3, 0, 0);
	d[2] = siommu_vtd_desc_wait(true, false, false, false, t.status, 0xdef);
	vt_submit(&t, d, 3);
	CHECK_OK(siommu_mem_read(t.mem, t.status, &st, 4));
	CHECK_EQ(st, 0xdef);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 64);
	vt_fini(&t);
}

static void expect_iqe(struct vt *t, uint64_t iqh, unsigned int iqei)
{
	CHECK(vt_rd(t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_IQE);
	CHECK_EQ(vt_rd(t, SIOMMU_VTD_REG_IQER, 8) & 0xf, iqei);
	CHECK_EQ(vt_rd(t, SIOMMU_VTD_REG_IQH, 8), iqh);
}

static void test_queue_errors(void)
{
	struct siommu_vtd_cfg c = { .mamv = 4 };
	struct siommu_vtd_desc d[3];
	struct vt t;
	uint32_t st = 0;

	vt_init(&t, &c);
	/* Reserved bit: the queue stops at it; the wait after it waits. */
	d[0] = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	d[1] = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	d[1].qw[0] |= 1ull << 40;
	d[2] = siommu_vtd_desc_wait(true, false, false, false, t.status, 0x99);
	vt_submit(&t, d, 3);
	expect_iqe(&t, 32, SIOMMU_VTD_IQEI_RSVD);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 1);
	CHECK_OK(siommu_mem_read(t.mem, t.status, &st, 4));
	CHECK_EQ(st, 0);
	/* Software replaces the bad descriptor, but while IQE is set more IQT
	 * writes do nothing; clearing IQE resumes. */
	d[0] = siommu_vtd_desc_wait(false, false, false, false, 0, 0);
	CHECK_OK(siommu_mem_write(t.mem, t.iq + 32, &d[0], 32));
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 96);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 32);
	vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_IQE);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 96);
	CHECK_OK(siommu_mem_read(t.mem, t.status, &st, 4));
	CHECK_EQ(st, 0x99);
	/* AM above MAMV. */
	d[0] = siommu_vtd_desc_iotlb(3, 1, 0, 5, false);
	vt_submit(&t, d, 1);
	expect_iqe(&t, 96, SIOMMU_VTD_IQEI_MASK);
	d[0] = siommu_vtd_desc_iotlb(3, 1, 0, 4, false);
	CHECK_OK(siommu_mem_write(t.mem, t.iq + 96, &d[0], 32));
	vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_IQE);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), 128);
	/* Unknown type; interrupt-entry-cache (no IR); bad granularities. */
	d[0].qw[0] = 0xf;
	d[0].qw[1] = 0;
	vt_submit(&t, d, 1);
	expect_iqe(&t, 128, SIOMMU_VTD_IQEI_TYPE);
	d[0] = siommu_vtd_desc_wait(false, false, false, false, 0, 0);
	CHECK_OK(siommu_mem_write(t.mem, t.iq + 128, &d[0], 32));
	vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_IQE);
	d[0] = siommu_vtd_desc_piotlb(1, 1, 1, 0, 0, false);
	vt_submit(&t, d, 1);
	expect_iqe(&t, 160, SIOMMU_VTD_IQEI_RSVD);
	vt_fini(&t);

	/* IQT bit 4 with 256-bit descriptors; IQT beyond a 4K queue. */
	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 0x10);
	expect_iqe(&t, 0, SIOMMU_VTD_IQEI_TAIL);
	vt_fini(&t);
	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 4096);
	expect_iqe(&t, 0, SIOMMU_VTD_IQEI_TAIL);
	vt_fini(&t);

	/* A wait whose status address is not RAM. */
	vt_init(&t, NULL);
	d[0] = siommu_vtd_desc_wait(true, false, false, false, 0x3000, 1);
	vt_submit(&t, d, 1);
	expect_iqe(&t, 0, SIOMMU_VTD_IQEI_FETCH);
	vt_fini(&t);

	/* Queue base not in RAM. */
	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
	vt_wr(&t, SIOMMU_VTD_REG_IQA, 8, 0x5000 | SIOMMU_VTD_IQA_DW);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 0x20);
	expect_iqe(&t, 0, SIOMMU_VTD_IQEI_FETCH);
	vt_fini(&t);

	/* 128-bit queue: 16-byte descriptors work; PASID-based ones do not. */
	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
	vt_wr(&t, SIOMMU_VTD_REG_IQA, 8, t.iq);
	vt_wr(&t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
	d[0] = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	d[1] = siommu_vtd_desc_wait(true, false, false, false, t.status, 0x55);
	CHECK_OK(siommu_mem_write(t.mem, t.iq, &d[0], 16));
	CHECK_OK(siommu_mem_write(t.mem, t.iq + 16, &d[1], 16));
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 32);
	CHECK_OK(siommu_mem_read(t.mem, t.status, &st, 4));
	CHECK_EQ(st, 0x55);
	d[0] = siommu_vtd_desc_pc(3, 0, 0);
	CHECK_OK(siommu_mem_write(t.mem, t.iq + 32, &d[0], 16));
	vt_wr(&t, SIOMMU_VTD_REG_IQT, 8, 48);
	expect_iqe(&t, 32, SIOMMU_VTD_IQEI_WIDTH);
	vt_fini(&t);
}

/*
 * Every reserved field of every descriptor, one bit at a time (the lowest
 * and highest bit of each range): the queue stops at it with IQE and
 * IQEI = 2, and runs on once software replaces it and clears IQE.
 */
#define BITS(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))

static void test_reserved_fields(void)
{
	static const struct {
		struct siommu_vtd_desc d;	/* a good descriptor */
		uint64_t rsvd[4];		/* its reserved bits, per qw */
	} descs[] = {
		/* context-cache (type 1), device-selective */
		{ { { 0x31 | 0x0100ull << 32, 0, 0, 0 } },
		  { BITS(8, 6) | BITS(15, 12) | BITS(63, 50), ~0ull, ~0ull, ~0ull } },
		/* IOTLB (type 2), page-selective */
		{ { { 0x32 | 1 << 16, 0x5000, 0, 0 } },
		  { BITS(8, 8) | BITS(15, 12) | BITS(63, 32), BITS(11, 7),
		    ~0ull, ~0ull } },
		/* device-TLB (type 3) */
		{ { { 0x3 | 0x0100ull << 32, 0x5000, 0, 0 } },
		  { BITS(8, 4) | BITS(31, 21) | BITS(51, 48),
		    BITS(11, 1), ~0ull, ~0ull } },
		/* wait (type 5), status write */
		{ { { 0x25, 0, 0, 0 } },
		  { BITS(8, 8) | BITS(31, 12), BITS(1, 0), ~0ull, ~0ull } },
		/* PASID-based IOTLB (type 6), page-selective */
		{ { { 0x36 | 1 << 16 | 1ull << 32, 0x5000, 0, 0 } },
		  { BITS(8, 6) | BITS(15, 12) | BITS(63, 52), BITS(11, 7),
		    ~0ull, ~0ull } },
		/* PASID-cache (type 7), PASID-selective */
		{ { { 0x17 | 1 << 16 | 1ull << 32, 0, 0, 0 } },
		  { BITS(8, 6) | BITS(15, 12) | BITS(63, 52), ~0ull, ~0ull,
		    ~0ull } },
		/* PASID-based device-TLB (type 8) */
		{ { { 0x8 | 0x0100ull << 16 | 1ull << 32, 0x5000, 0, 0 } },
		  { 0, BITS(10, 1), ~0ull, ~0ull } },
		/* page group response (type 9); qw2/qw3 are private data */
		{ { { 0x9 | 0x0100ull << 16, 0, 0, 0 } },
		  { BITS(8, 6) | BITS(63, 52), BITS(1, 0) | BITS(63, 12),
		    0, 0 } },
	};
	unsigned int i, q, b, tested = 0;
	uint64_t pos = 0;
	struct vt t;

	vt_init(&t, NULL);
	for (i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		struct siommu_vtd_desc d = descs[i].d;

		if ((d.qw[0] & 0xf) == 5)
			d.qw[1] = t.status;
		/* The descriptor as it is goes through. */
		vt_submit(&t, &d, 1);
		pos = (pos + 32) % 4096;
		CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), pos);
		for (q = 0; q < 4; q++) {
			for (b = 0; b < 64; b++) {
				uint64_t m = descs[i].rsvd[q], bit = 1ull << b;
				struct siommu_vtd_desc bad = d, good;

				/* The lowest and highest bit of each range. */
				if (!(m & bit) || ((m & (bit >> 1)) && b && (m & (bit << 1)) &&
						   b < 63))
					continue;
				bad.qw[q] |= bit;
				vt_submit(&t, &bad, 1);
				expect_iqe(&t, pos, SIOMMU_VTD_IQEI_RSVD);
				good = siommu_vtd_desc_wait(false, false, false, false, 0, 0);
				CHECK_OK(siommu_mem_write(t.mem, t.iq + pos, &good, 32));
				vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_IQE);
				pos = (pos + 32) % 4096;
				CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_IQH, 8), pos);
				vt_clear_faults(&t);
				tested++;
			}
		}
	}
	CHECK(tested > 60);
	/* Granularities that do not exist: context-cache and IOTLB G = 0,
	 * PASID-based IOTLB G = 0 and 1, PASID-cache G = 2. */
	{
		const struct siommu_vtd_desc bad[] = {
			siommu_vtd_desc_cc(0, 0, 0, 0),
			siommu_vtd_desc_iotlb(0, 1, 0, 0, false),
			siommu_vtd_desc_piotlb(0, 1, 1, 0, 0, false),
			siommu_vtd_desc_piotlb(1, 1, 1, 0, 0, false),
			siommu_vtd_desc_pc(2, 1, 1),
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct siommu_vtd_desc good = siommu_vtd_desc_wait(false, false,
									   false, false,
									   0, 0);

			vt_submit(&t, &bad[i], 1);
			expect_iqe(&t, pos, SIOMMU_VTD_IQEI_RSVD);
			CHECK_OK(siommu_mem_write(t.mem, t.iq + pos, &good, 32));
			vt_wr(&t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_IQE);
			pos = (pos + 32) % 4096;
			vt_clear_faults(&t);
		}
	}
	vt_fini(&t);
}

/* Descriptors for what the unit lacks are of an unknown type (IQEI 1). */
static void test_missing_caps(void)
{
	const struct {
		uint32_t lacks;
		struct siommu_vtd_desc d;
	} cases[] = {
		{ SIOMMU_VTD_CAP_DT, siommu_vtd_desc_devtlb(RA, 0x5000, false) },
		{ SIOMMU_VTD_CAP_DT, siommu_vtd_desc_pdevtlb(RA, 1, false, 0x5000, false) },
		{ SIOMMU_VTD_CAP_PRS, siommu_vtd_desc_page_resp(RA, true, 1, 1, 0, true) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL & ~cases[i].lacks };
		struct vt t;

		vt_init(&t, &c);
		vt_submit(&t, &cases[i].d, 1);
		expect_iqe(&t, 0, SIOMMU_VTD_IQEI_TYPE);
		vt_fini(&t);
	}
}

int main(void)
{
	test_iotlb_granularity();
	test_piotlb_granularity();
	test_did_population();
	test_capacity();
	test_psc();
	test_psi_sets();
	test_structure_caches();
	test_ctx_switch();
	test_device_descriptors();
	test_wait();
	test_queue_errors();
	test_reserved_fields();
	test_missing_caps();
	return 0;
}
