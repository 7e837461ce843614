/* SPDX-License-Identifier: MIT */
/*
 * VT-d scalable-mode walks, written from the specification: request routing
 * (VT-d 3.4: root entry -> scalable context entry -> PASID directory ->
 * PASID table entry), then the page tables selected by PGTT (VT-d 9.6):
 * first stage (x86-64 4/5-level paging, VT-d 3.6 and 9.7), second stage
 * (VT-d 3.7 and 9.8), nested (VT-d 3.8) and pass-through.
 *
 * Everything read here is guest-controlled: each entry is fetched through
 * the physical memory's bounds checks and a hole becomes an access-error
 * fault. All loops are bounded by the level count; A/D updates retry their
 * compare-and-swap a bounded number of times.
 *
 * Runs inside the caller's RCU read-side section, so the table pages it
 * reads are not freed under it by software that follows the
 * invalidate-then-wait protocol.
 */
#include <errno.h>
#include <siommu/vtd.h>

#include "mem/mem_internal.h"
#include "hw/vtd/vtd_internal.h"

#define ADDR_MASK	GENMASK64(63, 12)
#define PTE_ADDR_MASK	GENMASK64(51, 12)
#define AD_RETRIES	16

/*
 * Faults that FPD cannot suppress (VT-d 7.1.3, 7.2.1: non-qualified
 * faults): those found before a context entry is read, and every error
 * accessing a structure in memory, a table's top included.
 */
static bool fault_qualified(uint32_t r)
{
	switch (r) {
	case SIOMMU_VTD_FR_RTA_INVALID:
	case SIOMMU_VTD_FR_LEGACY_PASID:
	case SIOMMU_VTD_FR_LEGACY_PRQ:
	case SIOMMU_VTD_FR_ROOT_ACCESS:
	case SIOMMU_VTD_FR_ROOT_NP:
	case SIOMMU_VTD_FR_ROOT_RSVD:
	case SIOMMU_VTD_FR_CTX_ACCESS:
	case SIOMMU_VTD_FR_PDIR_ACCESS:
	case SIOMMU_VTD_FR_PTE_ACCESS:
	case SIOMMU_VTD_FR_FS_ACCESS:
	case SIOMMU_VTD_FR_FS_ROOT_ACCESS:
	case SIOMMU_VTD_FR_SS_ACCESS:
	case SIOMMU_VTD_FR_SS_PTR:
		return false;
	default:
		return true;
	}
}

struct walk {
	struct siommu_vtd *v;
	struct vtd_stripe *st;	/* this thread's counters */
	uint64_t gen;
	bool fpd;
	bool psc;		/* use the paging-structure cache (not nested) */
	uint16_t did;		/* of the PASID entry, for the cache's tags */
	uint32_t pasid;
};

static int rd64(struct siommu_vtd *v, uint64_t pa, uint64_t *val)
{
	uint64_t *p = mem_entry_ptr(v->mem, pa);

	if (!p)
		return -EFAULT;
	*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

static int rd_words(struct siommu_vtd *v, uint64_t pa, uint64_t *w, unsigned int n)
{
	uint64_t *p = siommu_mem_host(v->mem, pa, 8ull * n);
	unsigned int i;

	if (!p)
		return -EFAULT;
	for (i = 0; i < n; i++)
		w[i] = __atomic_load_n(&p[i], __ATOMIC_ACQUIRE);
	return 0;
}

/* ---- root and context (VT-d 9.2, 9.4) ---------------------------------- */

/*
 * The context entry of @sid from memory, validated and cached. A context
 * entry that was read sets w->fpd from its FPD whether or not it is
 * present or valid (VT-d 9.4: FPD is evaluated irrespective of P).
 * Legacy mode (TTM 00b) returns SIOMMU_VTD_FR_LEGACY_PASID, which route()
 * turns into the code for the kind of request.
 */
static __attribute__((noinline)) uint32_t
ctx_read(struct walk *w, uint16_t sid, uint64_t *c0, uint64_t *c1)
{
	struct siommu_vtd *v = w->v;
	uint64_t xl = LOAD_ACQUIRE(v->xl), re, c[4];
	unsigned int devfn = sid & 0xff;

	/* VT-d 10.4.6: TTM 01b is scalable mode; 00b is legacy mode, which
	 * this model does not translate; 10b and 11b are reserved (no
	 * ECAP.ADMS, so 11b is not abort-DMA mode). */
	if ((xl & XL_TTM) == XL_TTM_LEGACY)
		return SIOMMU_VTD_FR_LEGACY_PASID;
	if ((xl & XL_TTM) != XL_TTM_SCALABLE)
		return SIOMMU_VTD_FR_RTA_INVALID;
	/* Scalable root entry: lower half for devfn 0-127, upper for 128-255. */
	if (rd64(v, (xl & XL_ROOT_MASK) + (sid >> 8) * 16 + (devfn >= 128 ? 8 : 0), &re))
		return SIOMMU_VTD_FR_ROOT_ACCESS;
	if (!(re & SM_ROOT_LP))
		return SIOMMU_VTD_FR_ROOT_NP;
	if ((re & SM_ROOT_RSVD) || (re & ADDR_MASK & ~v->haw_mask))
		return SIOMMU_VTD_FR_ROOT_RSVD;
	if (rd_words(v, (re & ADDR_MASK) + (devfn & 0x7f) * 32, c, 4))
		return SIOMMU_VTD_FR_CTX_ACCESS;
	w->fpd = c[0] & SM_CTX_FPD;
	if (!(c[0] & SM_CTX_P))
		return SIOMMU_VTD_FR_CTX_NP;
	if ((c[0] & SM_CTX_RSVD0) || (c[0] & ADDR_MASK & ~v->haw_mask) ||
	    (c[1] & SM_CTX_RSVD1) || c[2] || c[3] ||
	    (!(v->ecap & BIT64(2)) && (c[0] & SM_CTX_DTE)) ||
	    (!(v->ecap & BIT64(29)) && (c[0] & SM_CTX_PRE)))
		return SIOMMU_VTD_FR_CTX_RSVD;
	*c0 = c[0];
	*c1 = c[1];
	vtd_ctx_fill(v, w->gen, sid, c[0], c[1]);
	return 0;
}

/* The reads from memory go through copies, so that a cache hit leaves
 * the caller's words in registers. */
static inline_hot uint32_t ctx_fetch(struct walk *w, uint16_t sid, uint64_t *c0,
				     uint64_t *c1)
{
	uint64_t c[2] = { 0, 0 };
	uint32_t fr;

	if (likely(vtd_ctx_lookup(w->v, w->st, sid, c0, c1)))
		return 0;
	fr = ctx_read(w, sid, &c[0], &c[1]);
	*c0 = c[0];
	*c1 = c[1];
	return fr;
}

/* ---- PASID directory and table (VT-d 9.5, 9.6) ---------------------------- */

static bool pgtt_valid(struct siommu_vtd *v, const uint64_t q[3])
{
	uint32_t caps = v->cfg.caps;
	unsigned int pgtt = PTE0_PGTT(q[0]);
	bool fs_ok = PTE2_FSPM(q[2]) == 0 || (PTE2_FSPM(q[2]) == 1 && v->cfg.aw == 57);
	unsigned int aw = PTE0_AW(q[0]);
	bool ss_ok = aw >= 1 && aw <= 3 && 30 + 9 * aw <= v->cfg.aw;

	switch (pgtt) {
	case PGTT_FS:
		return (caps & SIOMMU_VTD_CAP_FS) && fs_ok;
	case PGTT_SS:
		return (caps & SIOMMU_VTD_CAP_SS) && ss_ok;
	case PGTT_NEST:
		return (caps & SIOMMU_VTD_CAP_NEST) && fs_ok && ss_ok;
	case PGTT_PT:
		return caps & SIOMMU_VTD_CAP_PT;
	default:
		return false;
	}
}

/* The PASID entry of (@sid, @pasid) from memory, validated and cached. */
static __attribute__((noinline)) uint32_t
pasid_read(struct walk *w, uint16_t sid, uint64_t c0, uint32_t pasid, uint64_t q[3])
{
	struct siommu_vtd *v = w->v;
	uint64_t de, e[8];
	unsigned int i;

	if (rd64(v, (c0 & ADDR_MASK) + (uint64_t)(pasid >> 6) * 8, &de))
		return SIOMMU_VTD_FR_PDIR_ACCESS;
	/* VT-d 9.5, 9.6: FPD counts whatever P and the rest of the entry. */
	w->fpd |= de & PDIR_FPD;
	if (!(de & PDIR_P))
		return SIOMMU_VTD_FR_PDIR_NP;
	if ((de & PDIR_RSVD) || (de & ADDR_MASK & ~v->haw_mask))
		return SIOMMU_VTD_FR_PDIR_RSVD;
	if (rd_words(v, (de & ADDR_MASK) + (pasid & 0x3f) * 64ull, e, 8))
		return SIOMMU_VTD_FR_PTE_ACCESS;
	w->fpd |= e[0] & PTE0_FPD;
	if (!(e[0] & PTE0_P))
		return SIOMMU_VTD_FR_PTE_NP;
	for (i = 3; i < 8; i++)
		if (e[i])
			return SIOMMU_VTD_FR_PTE_RSVD;
	if ((e[0] & PTE0_RSVD) || (e[1] & PTE1_RSVD) || (e[2] & PTE2_RSVD) ||
	    ((e[0] & PTE0_SSADE) && !(v->cfg.caps & SIOMMU_VTD_CAP_SSAD)) ||
	    ((e[2] & PTE2_ERE) && !(v->cfg.caps & SIOMMU_VTD_CAP_ERS)) ||
	    ((e[2] & PTE2_SRE) && !(v->cfg.caps & SIOMMU_VTD_CAP_SRS)))
		return SIOMMU_VTD_FR_PTE_RSVD;
	q[0] = e[0];
	q[1] = e[1];
	q[2] = e[2];
	if (!pgtt_valid(v, q))
		return SIOMMU_VTD_FR_PTE_INVALID;
	vtd_pasid_fill(v, w->gen, sid, pasid, q, (de & PDIR_FPD) | (e[0] & PTE0_FPD));
	return 0;
}

static inline_hot uint32_t pasid_fetch(struct walk *w, uint16_t sid, uint64_t c0,
				       uint32_t pasid, uint64_t q[3])
{
	uint64_t fpd;

	uint64_t e[3] = { 0, 0, 0 };
	uint32_t fr;

	if (likely(vtd_pasid_lookup(w->v, w->st, sid, pasid, q, &fpd))) {
		w->fpd |= fpd;
		return 0;
	}
	fr = pasid_read(w, sid, c0, pasid, e);
	q[0] = e[0];
	q[1] = e[1];
	q[2] = e[2];
	return fr;
}

/* ---- A/D updates (VT-d 3.6.2, 3.7.2: atomic with the entry) -------------- */

/*
 * Set @bits in the entry at @p, which was read as *e, with compare-and-swap
 * so a concurrent software update is never lost. Returns 0 with *e the value
 * now in memory, 1 if the entry changed (the caller re-validates *e), or
 * -EAGAIN after too many lost races.
 */
static int ad_update(uint64_t *p, uint64_t *e, uint64_t bits, unsigned int *tries)
{
	uint64_t want = *e | bits;

	if (__atomic_compare_exchange_n(p, e, want, false, __ATOMIC_SEQ_CST,
					__ATOMIC_ACQUIRE)) {
		*e = want;
		return 0;
	}
	return ++*tries > AD_RETRIES ? -EAGAIN : 1;
}

/* ---- second stage (VT-d 9.8) ---------------------------------------------- */

struct ss_result {
	uint64_t out;		/* output address of the input */
	unsigned int level;	/* 0 4K, 1 2M, 2 1G */
	uint32_t perm;		/* READ/WRITE/EXEC */
	bool dirty;		/* D set (or no A/D tracking) */
};

static uint32_t ss_walk(struct walk *w, const uint64_t q[3], uint64_t gpa,
			uint32_t access, struct ss_result *r)
{
	struct siommu_vtd *v = w->v;
	unsigned int aw = PTE0_AW(q[0]), top = aw + 1, level = aw + 2, tries = 0;
	bool ssad = q[0] & PTE0_SSADE, ssee = q[0] & PTE0_SSEE;
	uint64_t table = q[0] & ADDR_MASK;
	uint32_t perm = SIOMMU_VTD_READ | SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC;
	/* VT-d 9.8: SNP is reserved without ECAP.SC (not advertised), TM
	 * without ECAP.DT; with DT, TM is a hint for device TLBs that the
	 * model need not follow. */
	uint64_t rsvd_base = (PTE_ADDR_MASK & ~v->haw_mask) | SS_SNP |
			     ((v->cfg.caps & SIOMMU_VTD_CAP_DT) ? 0 : SS_TM);
	/* With these set, an entry needs no A/D update (D: a 4K leaf, for
	 * a write). */
	uint64_t need_a = ssad ? SS_A : 0;
	uint64_t leaf_d = ssad && (access & SIOMMU_VTD_WRITE) ? SS_D : 0;

	if (gpa >> (30 + 9 * aw))
		return SIOMMU_VTD_FR_ADDR_BEYOND;
	if (table & ~v->haw_mask)
		return SIOMMU_VTD_FR_SS_PTR;
	if (w->psc) {
		uint64_t t, acc;

		/* A cached level-1 entry: only the leaf is left to read. */
		if (vtd_psc_lookup(v, w->st, false, w->did, 0, gpa, &t, &acc)) {
			level = 1;
			table = t;
			perm = (uint32_t)acc;
		}
	}
	while (level--) {
		unsigned int shift = 12 + 9 * level;
		uint64_t *p = mem_entry_ptr(v->mem, table + ((gpa >> shift) & 511) * 8);
		uint64_t e, rsvd, bits;
		bool leaf;
		int ret;

		/* VT-d 7.1.3: the table SSPTPTR points to is 0x7B, those
		 * below it 0x78. */
		if (!p)
			return level == top ? SIOMMU_VTD_FR_SS_PTR : SIOMMU_VTD_FR_SS_ACCESS;
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		/* The usual entry passes every check below with one test (as
		 * in fs_walk()). */
		if (level) {
			if (likely((e & (SS_R | SS_W)) &&
				   (e & (SS_PS | rsvd_base | need_a)) == need_a)) {
				leaf = false;
				goto down;
			}
		} else if (likely((e & (SS_R | SS_W)) &&
				  (e & (rsvd_base | need_a | leaf_d)) == (need_a | leaf_d))) {
			leaf = true;
			goto down;
		}
again:
		/* No present bit: an entry is present iff R or W (VT-d 9.8). */
		if (!(e & (SS_R | SS_W)))
			return SIOMMU_VTD_FR_SS_NP;
		leaf = level == 0 || (e & SS_PS);
		rsvd = rsvd_base;
		if (level >= 3 && (e & SS_PS))
			return SIOMMU_VTD_FR_SS_RSVD;
		if (level >= 1 && (e & SS_PS) &&
		    !(v->cfg.caps & SIOMMU_VTD_CAP_SSLP))
			return SIOMMU_VTD_FR_SS_RSVD;
		if (leaf && level)
			rsvd |= GENMASK64(shift - 1, 12);
		if (e & rsvd)
			return SIOMMU_VTD_FR_SS_RSVD;
		bits = 0;
		if (ssad) {
			bits = SS_A;
			if (leaf && (access & SIOMMU_VTD_WRITE) &&
			    (perm & SIOMMU_VTD_WRITE) && (e & SS_W))
				bits |= SS_D;
		}
		if ((e & bits) != bits) {
			ret = ad_update(p, &e, bits, &tries);
			if (ret < 0)
				return SIOMMU_VTD_FR_AD_UPDATE;
			if (ret)
				goto again;
		}
down:
		if (!(e & SS_R))
			perm &= ~(uint32_t)SIOMMU_VTD_READ;
		if (!(e & SS_W))
			perm &= ~(uint32_t)SIOMMU_VTD_WRITE;
		if (!ssee || !(e & SS_X))
			perm &= ~(uint32_t)SIOMMU_VTD_EXEC;
		if (leaf) {
			uint64_t size = 1ull << shift;

			r->out = (e & PTE_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
			r->level = level;
			r->perm = perm;
			r->dirty = !ssad || (e & SS_D);
			return 0;
		}
		table = e & PTE_ADDR_MASK;
		if (level == 1 && w->psc)
			vtd_psc_fill(v, w->gen, false, w->did, 0, gpa, table, perm);
	}
	return SIOMMU_VTD_FR_SS_RSVD;	/* not reached: level 0 is a leaf */
}

/* ---- first stage (VT-d 9.7), optionally nested (VT-d 3.8) -------------------- */

struct fs_result {
	uint64_t out;
	unsigned int level;
	uint32_t perm_u, perm_s;
	bool dirty;
};

/* Translate the GPA of a first-stage table through the second stage. */
static uint32_t nest_table(struct walk *w, const uint64_t q[3], uint64_t gpa,
			   uint32_t access, bool top, uint64_t *hpa)
{
	struct ss_result r;
	uint32_t fr = ss_walk(w, q, gpa, access, &r);

	switch (fr) {
	case 0:
		break;
	case SIOMMU_VTD_FR_ADDR_BEYOND:
		return SIOMMU_VTD_FR_NEST_FS_BEYOND;
	case SIOMMU_VTD_FR_SS_NP:
		return top ? SIOMMU_VTD_FR_NEST_FS_ROOT : SIOMMU_VTD_FR_NEST_FS_READ;
	default:
		return fr;
	}
	if (!(r.perm & SIOMMU_VTD_READ))
		return top ? SIOMMU_VTD_FR_NEST_FS_ROOT : SIOMMU_VTD_FR_NEST_FS_READ;
	if ((access & SIOMMU_VTD_WRITE) && !(r.perm & SIOMMU_VTD_WRITE))
		return SIOMMU_VTD_FR_NEST_FS_WRITE;
	*hpa = r.out;
	return 0;
}

static inline_hot uint32_t fs_walk(struct walk *w, const uint64_t q[3], bool nested,
			uint64_t iova, uint32_t access, bool priv,
			struct fs_result *r)
{
	struct siommu_vtd *v = w->v;
	unsigned int levels = 4 + (unsigned int)PTE2_FSPM(q[2]), level = levels;
	unsigned int width = levels == 5 ? 57 : 48, tries = 0;
	uint64_t table = q[2] & ADDR_MASK;
	/* VT-d 9.6, 9.7: XD (bit 63) is valid only with the PASID entry's
	 * NXE; without it the bit is reserved, as in x86 paging with
	 * IA32_EFER.NXE clear. */
	uint64_t rsvd_base = (PTE_ADDR_MASK & ~v->haw_mask) |
			     ((q[2] & PTE2_NXE) ? 0 : FS_XD);
	/* R/W and U/S are ANDed over the levels, XD is ORed (VT-d 3.6.2). */
	uint64_t and_acc = FS_RW | FS_US, or_acc = 0;
	bool wpe = q[2] & PTE2_WPE, write = access & SIOMMU_VTD_WRITE;
	/* VT-d 9.6: with SMEP, supervisor requests execute no user page. */
	uint32_t smep_x = (q[2] & PTE2_SMEP) ? SIOMMU_VTD_EXEC : 0;
	uint64_t leaf_d = write ? FS_D : 0;	/* a 4K leaf with it needs no update */
	bool fs1g = v->cfg.caps & SIOMMU_VTD_CAP_FS1G;
	int64_t sext = (int64_t)(iova << (64 - width)) >> (64 - width);

	/* VT-d 3.6.1: the input must be canonical for the paging mode. */
	if ((uint64_t)sext != iova)
		return SIOMMU_VTD_FR_FS_CANONICAL;
	if (!nested && (table & ~v->haw_mask))
		return SIOMMU_VTD_FR_FS_ROOT_ACCESS;
	if (w->psc && !nested) {
		uint64_t t, acc;

		/* A cached level-1 entry: only the leaf is left to read. */
		if (vtd_psc_lookup(v, w->st, true, w->did, w->pasid, iova, &t, &acc)) {
			level = 1;
			table = t;
			and_acc = acc & (FS_RW | FS_US);
			or_acc = acc & FS_XD;
		}
	}
	while (level--) {
		unsigned int shift = 12 + 9 * level;
		uint64_t gpa = table + ((iova >> shift) & 511) * 8, epa = gpa;
		uint64_t *p, e, rsvd, bits;
		bool leaf;
		uint32_t fr;
		int ret;

		if (nested) {
			fr = nest_table(w, q, gpa, SIOMMU_VTD_READ, level == levels - 1,
					&epa);
			if (fr)
				return fr;
		}
		p = mem_entry_ptr(v->mem, epa);
		/* VT-d 7.1.3: the table FSPTPTR points to is 0x73, those
		 * below it 0x70. */
		if (!p)
			return level == levels - 1 ? SIOMMU_VTD_FR_FS_ROOT_ACCESS :
						     SIOMMU_VTD_FR_FS_ACCESS;
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		/*
		 * The usual entry passes every check below with one test: a
		 * table entry present, accessed, not a large page and without
		 * reserved bits, or such a 4K leaf, dirty too for a write.
		 */
		if (level) {
			if (likely((e & (FS_P | FS_A | FS_PS | rsvd_base)) == (FS_P | FS_A))) {
				leaf = false;
				goto down;
			}
		} else if (likely((e & (FS_P | FS_A | leaf_d | rsvd_base)) ==
				  (FS_P | FS_A | leaf_d))) {
			leaf = true;
			goto down;
		}
again:
		if (!(e & FS_P))
			return SIOMMU_VTD_FR_FS_NP;
		rsvd = rsvd_base;
		leaf = level == 0;
		if (e & FS_PS) {
			/* PS is reserved in PML5E/PML4E, and in PDPTEs without
			 * CAP.FS1GP. Large leaves: bit 12 is PAT, the bits up to
			 * the page size are reserved. */
			if (level >= 3 || (level == 2 && !fs1g))
				return SIOMMU_VTD_FR_FS_RSVD;
			leaf = true;
			rsvd |= GENMASK64(shift - 1, 13);
		}
		if (e & rsvd)
			return SIOMMU_VTD_FR_FS_RSVD;
		bits = FS_A;
		if (leaf && write) {
			uint64_t acc = and_acc & e;
			bool wr_ok = priv ? !wpe || (acc & FS_RW) :
				     (acc & (FS_RW | FS_US)) == (FS_RW | FS_US);

			if (wr_ok)
				bits |= FS_D;
		}
		if (unlikely((e & bits) != bits)) {
			if (nested) {
				fr = nest_table(w, q, gpa, SIOMMU_VTD_WRITE, false, &epa);
				if (fr)
					return fr;
			}
			ret = ad_update(p, &e, bits, &tries);
			if (ret < 0)
				return SIOMMU_VTD_FR_AD_UPDATE;
			if (ret)
				goto again;
		}
down:
		and_acc &= e;
		or_acc |= e;
		if (leaf) {
			uint64_t size = 1ull << shift;
			bool rw = and_acc & FS_RW, us = and_acc & FS_US;
			uint32_t x = (q[2] & PTE2_ERE) && !(or_acc & FS_XD) ?
				     SIOMMU_VTD_EXEC : 0;

			r->out = (e & PTE_ADDR_MASK & ~(size - 1)) | (iova & (size - 1));
			r->level = level;
			/* VT-d 3.6.2: user access needs U/S at every level;
			 * supervisor writes to read-only pages only with WPE = 0;
			 * SMEP takes execute from supervisor requests to user
			 * pages. */
			r->perm_u = us ? SIOMMU_VTD_READ | x | (rw ? SIOMMU_VTD_WRITE : 0) : 0;
			r->perm_s = SIOMMU_VTD_READ | (x & ~(us ? smep_x : 0)) |
				    (rw || !wpe ? SIOMMU_VTD_WRITE : 0);
			if (!(q[2] & PTE2_SRE))
				r->perm_s = 0;
			r->dirty = e & FS_D;
			return 0;
		}
		table = e & PTE_ADDR_MASK;
		if (level == 1 && w->psc && !nested)
			vtd_psc_fill(v, w->gen, true, w->did, w->pasid, iova, table,
				     (and_acc & (FS_RW | FS_US)) | (or_acc & FS_XD));
	}
	return SIOMMU_VTD_FR_FS_RSVD;	/* not reached: level 0 is a leaf */
}

/* ---- dispatch --------------------------------------------------------------- */

static uint32_t walk_stages(struct walk *w, const uint64_t q[3], uint64_t iova,
			    uint32_t access, bool priv, struct iotlb_ent *ent)
{
	struct siommu_vtd *v = w->v;
	unsigned int pgtt = PTE0_PGTT(q[0]);
	struct fs_result fr_;
	struct ss_result sr;
	uint32_t fr, perm;

	ent->pgtt = pgtt;
	switch (pgtt) {
	case PGTT_PT:
		if (iova & ~v->haw_mask)
			return SIOMMU_VTD_FR_ADDR_BEYOND;
		ent->level = 0;
		ent->out = iova & ~0xfffull;
		ent->perm_u = SIOMMU_VTD_READ | SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC;
		ent->perm_s = (q[2] & PTE2_SRE) ? ent->perm_u : 0;
		ent->dirty = true;
		return 0;
	case PGTT_SS:
		fr = ss_walk(w, q, iova, access, &sr);
		if (fr)
			return fr;
		ent->level = sr.level;
		ent->out = sr.out & ~(level_size(sr.level) - 1);
		/* Requests without PASID are untranslated for SS; the
		 * privilege of the request does not change SS permissions. */
		ent->perm_u = sr.perm;
		ent->perm_s = (q[2] & PTE2_SRE) ? sr.perm : 0;
		ent->dirty = sr.dirty;
		return 0;
	case PGTT_FS:
	case PGTT_NEST:
		/* Nested walks cache no paging-structure entries. */
		if (pgtt == PGTT_NEST)
			w->psc = false;
		/* Two copies of the walk: the first-stage one without the
		 * nested steps in its loop. */
		fr = pgtt == PGTT_NEST ? fs_walk(w, q, true, iova, access, priv, &fr_) :
					 fs_walk(w, q, false, iova, access, priv, &fr_);
		if (fr)
			return fr;
		if (pgtt == PGTT_FS) {
			ent->level = fr_.level;
			ent->out = fr_.out & ~(level_size(fr_.level) - 1);
			ent->perm_u = fr_.perm_u;
			ent->perm_s = fr_.perm_s;
			ent->dirty = fr_.dirty;
			return 0;
		}
		/* Nested: the first-stage output is a GPA (VT-d 3.8). Only the
		 * access this request is allowed by the first stage is asked of
		 * the second, so a refused write at FS faults as an FS fault. */
		perm = priv ? fr_.perm_s : fr_.perm_u;
		fr = vtd_perm_check(access, perm);
		if (fr)
			return fr;
		fr = ss_walk(w, q, fr_.out, access, &sr);
		if (fr)
			return fr;
		ent->level = fr_.level < sr.level ? fr_.level : sr.level;
		ent->out = sr.out & ~(level_size(ent->level) - 1);
		ent->perm_u = fr_.perm_u & sr.perm;
		ent->perm_s = fr_.perm_s & sr.perm;
		ent->dirty = fr_.dirty && sr.dirty;
		return 0;
	default:
		return SIOMMU_VTD_FR_PTE_INVALID;
	}
}

/* Context checks shared by translation and page requests (@prq). */
static inline_hot uint32_t route(struct walk *w, uint16_t sid, bool pp, bool prq,
				 uint32_t req_pasid, uint64_t *c0, uint64_t *c1,
				 uint32_t *pasid)
{
	struct siommu_vtd *v = w->v;
	uint32_t fr = ctx_fetch(w, sid, c0, c1);
	uint64_t max;

	if (fr) {
		/* VT-d 7.1.3: in legacy mode a page request is 0x32 and a
		 * request with PASID 0x31; legacy translation of requests
		 * without PASID is not modelled (0x30). */
		if (fr == SIOMMU_VTD_FR_LEGACY_PASID)
			fr = prq ? SIOMMU_VTD_FR_LEGACY_PRQ :
			     pp ? SIOMMU_VTD_FR_LEGACY_PASID : SIOMMU_VTD_FR_RTA_INVALID;
		return fr;
	}
	w->fpd = *c0 & SM_CTX_FPD;
	/* VT-d 9.4: PDTS gives 2^(PDTS + 7) directory entries of 64 PASIDs. */
	max = 1ull << (SM_CTX_PDTS(*c0) + 7 + 6);
	if (max > 1ull << v->cfg.pasid_bits)
		max = 1ull << v->cfg.pasid_bits;
	if (pp) {
		if (!(*c0 & SM_CTX_PASIDE))
			return SIOMMU_VTD_FR_CTX_PASIDE;
		if (req_pasid >= max)
			return SIOMMU_VTD_FR_CTX_PASID_RANGE;
		*pasid = req_pasid;
	} else {
		/* Requests without PASID use RID_PASID (VT-d 9.4). */
		*pasid = SM_CTX_RIDPASID(*c1);
		if (*pasid >= max)
			return SIOMMU_VTD_FR_RID_PASID;
	}
	return 0;
}

uint32_t vtd_walk(struct siommu_vtd *v, const struct siommu_vtd_req *req,
		  enum vtd_kind kind, uint64_t gen, struct vtd_stripe *st,
		  struct vtd_walk_out *o)
{
	struct walk w = { .v = v, .st = st, .gen = gen };
	uint64_t c0 = 0, c1 = 0, q[3];
	uint32_t pasid = 0, fr;
	bool priv;

	stripe_inc(st, ST_WALK);
	o->cacheable = false;
	fr = route(&w, req->rid, req->pasid_present, false, req->pasid, &c0, &c1,
		   &pasid);
	if (fr)
		goto out_fault;
	if (kind == KIND_ATS && !(c0 & SM_CTX_DTE)) {
		fr = SIOMMU_VTD_FR_CTX_DTE;
		goto out_fault;
	}
	fr = pasid_fetch(&w, req->rid, c0, pasid, q);
	if (fr)
		goto out_fault;
	priv = req->pasid_present ? req->priv : (c1 & SM_CTX_RIDPRIV);
	/* VT-d 9.6: ERE and SRE gate execute and supervisor requests. */
	if ((req->access & SIOMMU_VTD_EXEC) && !(q[2] & PTE2_ERE)) {
		fr = SIOMMU_VTD_FR_ERE;
		goto out_fault;
	}
	if (priv && !(q[2] & PTE2_SRE)) {
		fr = SIOMMU_VTD_FR_SRE;
		goto out_fault;
	}
	o->ent.sid = req->rid;
	o->ent.pp = req->pasid_present;
	o->ent.req_pasid = req->pasid_present ? req->pasid : 0;
	o->ent.pasid = pasid;
	o->ent.did = PTE1_DID(q[1]);
	w.psc = v->psc != NULL;
	w.did = o->ent.did;
	w.pasid = pasid;
	fr = walk_stages(&w, q, req->iova, req->access, priv, &o->ent);
	if (fr)
		goto out_fault;
	/* The privilege of a request without PASID is the context's
	 * RID_PRIV, unknown on an IOTLB hit: cache the one that applies. */
	if (!req->pasid_present) {
		if (priv)
			o->ent.perm_u = o->ent.perm_s;
		else
			o->ent.perm_s = o->ent.perm_u;
	}
	o->ent.page = req->iova & ~(level_size(o->ent.level) - 1);
	o->cacheable = true;
	o->fpd = w.fpd;
	return 0;

out_fault:
	o->fpd = w.fpd && fault_qualified(fr);
	return fr;
}

uint32_t vtd_prq_check(struct siommu_vtd *v, const struct siommu_vtd_page_req *req,
		       bool *fpd)
{
	struct walk w = { .v = v, .st = vtd_stripe(v), .gen = vtd_gen(v) };
	uint64_t c0 = 0, c1 = 0;
	uint32_t pasid, fr;

	vtd_read_lock(v);
	fr = route(&w, req->rid, req->pasid_present, true, req->pasid, &c0, &c1, &pasid);
	if (!fr && !(c0 & SM_CTX_PRE))
		fr = SIOMMU_VTD_FR_CTX_PRE;
	vtd_read_unlock(v);
	*fpd = w.fpd && fault_qualified(fr);
	return fr;
}
