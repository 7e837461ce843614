/* SPDX-License-Identifier: MIT */
/*
 * Transactions: stream matching (SMMUv2 2.4), the context bank's
 * configuration (2.6, 10), VMSAv8-64 stage-1 and stage-2 walks with the 4K
 * granule (Arm ARM D8), DMA and translate-and-access.
 *
 * The hit path copies an entry of the combined cache (hw/common/xc.h) by
 * value under its sequence count and enters no RCU section. Anything else
 * copies the registers it needs under cfg_seq, looks in the TLB and walks
 * inside a section of the unit's RCU domain; a TLB hit or a bypass makes
 * a combined entry, a walk does not. DMA and access keep the section open
 * until the copy or callback is done, so that TLBSYNC (a grace period)
 * cannot return while memory is still accessed through an entry it
 * removed. Faults are recorded outside the section.
 *
 * Everything read from memory is a guest's: a malformed entry is a fault,
 * never a crash.
 */
#include <errno.h>
#include <string.h>

#include "hw/smmuv2/smmuv2_internal.h"
#include "hw/common/dma.h"
#include "hw/common/xc.h"

/* ---- configuration ------------------------------------------------------ */

/* The registers for @sid, without the consistency loop. */
static void cfg_copy(struct siommu_smmuv2 *s, uint32_t sid, struct v2_cfg *c)
{
	uint32_t scr0 = READ_ONCE(s->scr0), s2cr, cbar, type;
	unsigned int n, nsmr = READ_ONCE(s->smr_end);
	int match = -1;
	bool multi = false;
	const struct v2_bank *b;

	memset(c, 0, sizeof(*c));
	c->scr0 = scr0;
	if (scr0 & SIOMMU_SMMUV2_SCR0_CLIENTPD) {
		c->path = PATH_BYPASS;
		return;
	}
	/* SMMUv2 2.4: SMR n matches when the ID bits not masked are equal. */
	for (n = 0; n < nsmr; n++) {
		uint32_t smr = READ_ONCE(s->smr[n]);

		if (!(smr & SIOMMU_SMMUV2_SMR_VALID) ||
		    ((sid ^ SMR_ID(smr)) & ~SMR_MASK(smr) & 0x7fffu))
			continue;
		if (match < 0)
			match = (int)n;
		else
			multi = true;
	}
	if (match < 0) {
		/* sCR0.USFCFG: an unmatched stream bypasses or faults. */
		if (scr0 & SIOMMU_SMMUV2_SCR0_USFCFG) {
			c->path = PATH_GFAULT;
			c->gfsr = SIOMMU_SMMUV2_GFSR_USF;
		} else {
			c->path = PATH_BYPASS;
		}
		return;
	}
	/* A conflict faults with SMCFCFG set; without it the outcome is the
	 * implementation's: here, the lowest matching group. */
	if (multi && (scr0 & SIOMMU_SMMUV2_SCR0_SMCFCFG)) {
		c->path = PATH_GFAULT;
		c->gfsr = SIOMMU_SMMUV2_GFSR_SMCF;
		return;
	}
	s2cr = READ_ONCE(s->s2cr[match]);
	c->privcfg = S2CR_PRIVCFG(s2cr);
	c->instcfg = S2CR_INSTCFG(s2cr);
	switch (S2CR_TYPE(s2cr)) {
	case S2CR_BYPASS:
		c->path = PATH_BYPASS;
		return;
	case S2CR_TRANS:
		break;
	default:
		/* S2CR fault (and the reserved type): as a stream the unit
		 * does not know, an unidentified stream fault. */
		c->path = PATH_GFAULT;
		c->gfsr = SIOMMU_SMMUV2_GFSR_USF;
		return;
	}
	c->cb = S2CR_CBNDX(s2cr);
	c->path = PATH_GFAULT;
	c->gfsr = SIOMMU_SMMUV2_GFSR_ICF;
	if (c->cb >= s->cfg.num_cb)
		return;
	cbar = READ_ONCE(s->cbar[c->cb]);
	type = CBAR_TYPE(cbar);
	/* Either stage runs the AArch64 format alone (ID0.PTFS: no
	 * AArch32 formats): a bank without CBA2R.VA64 cannot run. */
	if (!(READ_ONCE(s->cba2r[c->cb]) & SIOMMU_SMMUV2_CBA2R_VA64))
		return;
	if (type == CBAR_S2 && (s->cfg.features & SIOMMU_SMMUV2_F_S2))
		c->path = PATH_S2;
	else if (type == CBAR_S1_BYPASS && (s->cfg.features & SIOMMU_SMMUV2_F_S1))
		c->path = PATH_S1;
	else
		return;
	c->gfsr = 0;
	b = &s->banks[c->cb];
	c->sctlr = READ_ONCE(b->sctlr);
	if (!(c->sctlr & SIOMMU_SMMUV2_SCTLR_M)) {
		/* SCTLR.M clear: the bank does not translate. */
		c->path = PATH_BYPASS;
		return;
	}
	c->tcr = READ_ONCE(b->tcr);
	c->tcr2 = READ_ONCE(b->tcr2);
	c->ttbr0 = READ_ONCE(b->ttbr0);
	c->ttbr1 = READ_ONCE(b->ttbr1);
	c->vmid = (scr0 & SIOMMU_SMMUV2_SCR0_VMID16EN) ?
		  CBA2R_VMID16(READ_ONCE(s->cba2r[c->cb])) : (uint16_t)CBAR_VMID(cbar);
	if (c->path == PATH_S1) {
		/* The current ASID is TTBR0's, or TTBR1's with TCR.A1; 8 bits
		 * unless TCR2.AS. */
		c->asid = TTBR_ASID((c->tcr & SIOMMU_SMMUV2_TCR_A1) ? c->ttbr1 : c->ttbr0);
		if (!(c->tcr2 & SIOMMU_SMMUV2_TCR2_AS))
			c->asid &= 0xff;
	}
}

void v2_cfg_read(struct siommu_smmuv2 *s, uint32_t sid, struct v2_cfg *c)
{
	for (;;) {
		uint32_t seq = slot_read_begin(&s->cfg_seq);

		cfg_copy(s, sid, c);
		if (!slot_read_retry(&s->cfg_seq, seq))
			return;
		while (READ_ONCE(s->cfg_seq) & 1)
			cpu_relax();
	}
}

/* ---- VMSAv8-64 walks -------------------------------------------------- */

/* ID2.OAS / TCR2.PASIZE / VTCR.PS encodings. */
static const uint8_t ps_bits[8] = { 32, 36, 40, 42, 44, 48, 48, 48 };

static unsigned int ps_limit(struct siommu_smmuv2 *s, unsigned int enc)
{
	unsigned int b = ps_bits[enc & 7];

	return b > s->cfg.oas ? s->cfg.oas : b;
}

static int fault(struct v2_fault *f, uint32_t bit, unsigned int level)
{
	memset(f, 0, sizeof(*f));
	f->bit = bit;
	f->level = level;
	return -1;
}

static int rd64(struct siommu_smmuv2 *s, uint64_t pa, uint64_t *val)
{
	uint64_t *p = (pa & 7) ? NULL : mem_entry_ptr(s->mem, pa);

	if (!p)
		return -1;
	*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

/* What a walk found. */
struct leaf {
	uint64_t page;		/* input base of the leaf */
	uint64_t out;		/* output base */
	unsigned int level;	/* 0 = 4K, 1 = 2M, 2 = 1G */
	uint32_t perm;		/* PERM_ALL layout */
	bool global;		/* stage 1, nG clear */
};

/*
 * The walk shared by both stages (Arm ARM D8.2): from @table at lookup
 * level @start, resolving @ia input bits of @in. Returns 0 with the leaf
 * descriptor in *desc, its lookup level in *lvl and the table attributes
 * gathered on the way in *tbl, or -1 with *f.
 */
static int walk(struct siommu_smmuv2 *s, uint64_t table, unsigned int start, unsigned int ia,
		uint64_t in, uint64_t oa_mask, bool afe, uint64_t *desc, unsigned int *lvl,
		uint64_t *tbl, struct v2_fault *f)
{
	unsigned int l = start;
	uint64_t d, t = 0;

	if (table & ~oa_mask)
		return fault(f, SIOMMU_SMMUV2_FSR_ASF, l);
	for (;;) {
		unsigned int sh = level_shift(l);
		unsigned int bits = l == start ? ia - sh : 9;
		uint64_t ea = table + ((in >> sh) & ((1ull << bits) - 1)) * 8;

		if (rd64(s, ea, &d))
			return fault(f, SIOMMU_SMMUV2_FSR_EF, l);
		/* Invalid; a block at level 0 or 3 is invalid too. */
		if (!(d & PTE_VALID) || ((l == 0 || l == 3) && !(d & PTE_TABLE)))
			return fault(f, SIOMMU_SMMUV2_FSR_TF, l);
		if ((d & PTE_OA_HI) || ((d & PTE_OA) & ~oa_mask))
			return fault(f, SIOMMU_SMMUV2_FSR_ASF, l);
		if (l < 3 && (d & PTE_TABLE)) {
			table = d & PTE_OA;
			t |= d & (PTE_APTABLE0 | PTE_APTABLE1 | PTE_XNTABLE | PTE_PXNTABLE);
			l++;
			continue;
		}
		if (afe && !(d & PTE_AF))
			return fault(f, SIOMMU_SMMUV2_FSR_AFF, l);
		*desc = d;
		*lvl = l;
		*tbl = t;
		return 0;
	}
}

/* Stage-1 permissions of a leaf (Arm ARM D8.4), PERM_ALL layout.
 * Execution at EL0 depends on UXN alone, not on AP[1]: a page without
 * EL0 data access may be execute-only at EL0. */
static uint32_t s1_perm(uint64_t desc, uint64_t tbl)
{
	bool ro = (desc & PTE_AP2) || (tbl & PTE_APTABLE1);
	bool el0 = (desc & PTE_AP1) && !(tbl & PTE_APTABLE0);
	bool uxn = (desc & PTE_UXN) || (tbl & PTE_XNTABLE);
	bool pxn = (desc & PTE_PXN) || (tbl & PTE_PXNTABLE);
	uint32_t u = 0, p = SIOMMU_SMMUV2_READ;

	if (el0) {
		u |= SIOMMU_SMMUV2_READ;
		if (!ro)
			u |= SIOMMU_SMMUV2_WRITE;
	}
	if (!uxn)
		u |= SIOMMU_SMMUV2_EXEC;
	if (!ro)
		p |= SIOMMU_SMMUV2_WRITE;
	/* A region writable at EL0 is never privileged-executable. */
	if (!pxn && !(el0 && !ro))
		p |= SIOMMU_SMMUV2_EXEC;
	return u | p << PERM_PRIV_SHIFT;
}

static void leaf_set(struct leaf *lf, uint64_t in, uint64_t desc, unsigned int l)
{
	lf->level = 3 - l;
	lf->page = in & ~(level_size(lf->level) - 1);
	lf->out = desc & PTE_OA & ~(level_size(lf->level) - 1);
}

/*
 * Stage 1 (SMMUv2 10.x TCR, TCR2, Arm ARM D8.2): TTBR0 covers addresses
 * whose bits above 64 - T0SZ are clear, TTBR1 those whose bits above
 * 64 - T1SZ are set, the top byte left out of both with TCR2.TBIn;
 * anything else, a disabled half (EPDn) or a size out of range is a
 * translation fault. A tagged address is cached as it came: TLB
 * operations by VA compare bits 55:12, so they reach every tag. The TG
 * fields are not looked at: the model walks the 4K granule alone, and a
 * TG naming a granule the unit lacks is read as one it has, as the
 * architecture allows (Arm ARM D8.1.5).
 */
static int s1_walk(struct siommu_smmuv2 *s, const struct v2_cfg *c, uint64_t va,
		   struct leaf *lf, struct v2_fault *f)
{
	unsigned int half = (va >> 55) & 1, tsz = half ? TCR_T1SZ(c->tcr) : TCR_T0SZ(c->tcr);
	unsigned int top = (c->tcr2 & (half ? TCR2_TBI1 : TCR2_TBI0)) ? 55 : 63, ia, start, l;
	uint64_t ttb, desc, tbl, size, hi;

	/* VA[55] picks the half; the bits from the input size up (up to
	 * bit 55 with TBIn: the top byte is ignored) must all equal it. */
	if (tsz < 16 || tsz > 39)
		return fault(f, SIOMMU_SMMUV2_FSR_TF, 0);
	ia = 64 - tsz;
	hi = GENMASK64(top, ia);
	if ((va & hi) != (half ? hi : 0))
		return fault(f, SIOMMU_SMMUV2_FSR_TF, 0);
	if (c->tcr & (half ? SIOMMU_SMMUV2_TCR_EPD1 : SIOMMU_SMMUV2_TCR_EPD0))
		return fault(f, SIOMMU_SMMUV2_FSR_TF, 0);
	start = 3 - (ia - 13) / 9;
	/* TTBRn is aligned to its table's size (at least 64 bytes); the bits
	 * below are RES0 and ignored. */
	size = 8ull << (ia - level_shift(start));
	ttb = (half ? c->ttbr1 : c->ttbr0) & TTBR_ADDR & ~((size < 64 ? 64 : size) - 1);
	if (walk(s, ttb, start, ia, va, addr_mask(ps_limit(s, TCR2_PASIZE(c->tcr2))),
		 c->sctlr & SIOMMU_SMMUV2_SCTLR_AFE, &desc, &l, &tbl, f))
		return -1;
	leaf_set(lf, va, desc, l);
	lf->perm = s1_perm(desc, tbl);
	lf->global = !(desc & PTE_NG);
	return 0;
}

/*
 * Stage 2 (VTCR in the bank's TCR: T0SZ, SL0, PS): the start level must
 * resolve more than 9 bits less than the input size and at most 16
 * concatenated tables more (Arm ARM D8.2.6); a misprogrammed VTCR is a
 * translation fault. The access flag is always checked.
 */
static int s2_walk(struct siommu_smmuv2 *s, const struct v2_cfg *c, uint64_t ipa,
		   struct leaf *lf, struct v2_fault *f)
{
	unsigned int sl0 = VTCR_SL0(c->tcr), ia = 64 - TCR_T0SZ(c->tcr), start, l;
	uint64_t desc, tbl, size, ttb;

	/* SL0 0b11 (level 3 start) needs small tables, 0b10 (level 0) a PA
	 * of 44 bits or more (Arm ARM D8.2.6). */
	if (sl0 == 3 || (sl0 == 2 && s->cfg.oas < 44))
		return fault(f, SIOMMU_SMMUV2_FSR_TF, 0);
	start = 2 - sl0;
	if (ia > s->cfg.oas || ia + 9 <= level_span(start) || ia > level_span(start) + 4)
		return fault(f, SIOMMU_SMMUV2_FSR_TF, start);
	if (ipa >> ia)
		return fault(f, SIOMMU_SMMUV2_FSR_TF, start);
	size = 8ull << (ia - level_shift(start));
	ttb = c->ttbr0 & TTBR_ADDR & ~((size < 64 ? 64 : size) - 1);
	if (walk(s, ttb, start, ia, ipa, addr_mask(ps_limit(s, VTCR_PS(c->tcr))), true, &desc,
		 &l, &tbl, f))
		return -1;
	leaf_set(lf, ipa, desc, l);
	lf->global = false;
	/* S2AP: bit 6 read, bit 7 write; XN forbids fetches. */
	lf->perm = ((desc & PTE_AP1) ? SIOMMU_SMMUV2_READ : 0) |
		   ((desc & PTE_AP2) ? SIOMMU_SMMUV2_WRITE : 0) |
		   ((desc & PTE_UXN) ? 0 : SIOMMU_SMMUV2_EXEC);
	lf->perm |= lf->perm << PERM_PRIV_SHIFT;
	return 0;
}

/* ---- transactions --------------------------------------------------------- */

/* Privilege of @req after S2CR.PRIVCFG (2 unprivileged, 3 privileged). */
static inline_hot unsigned int perm_shift(const struct siommu_smmuv2_req *req,
					  unsigned int privcfg)
{
	bool priv = privcfg == 3 || (privcfg != 2 && req->priv);

	return priv ? PERM_PRIV_SHIFT : 0;
}

/* Permissions as S2CR.PRIVCFG makes a stream's requests meet them, in
 * both halves (2: every request gets the unprivileged ones, 3: the
 * privileged ones), so that a combined hit looks at the request's own
 * privilege alone. */
static uint32_t privcfg_perm(uint32_t perm, unsigned int privcfg)
{
	uint32_t u = perm & ACC_ALL, p = (perm >> PERM_PRIV_SHIFT) & ACC_ALL;

	if (privcfg == 2)
		p = u;
	else if (privcfg == 3)
		u = p;
	return u | p << PERM_PRIV_SHIFT;
}

/* @access as S2CR.INSTCFG makes it (2: data, an instruction fetch is a
 * read; 3: instruction, a read is a fetch). */
static uint32_t instcfg_access(uint32_t access, unsigned int instcfg)
{
	if (instcfg == 2 && (access & SIOMMU_SMMUV2_EXEC))
		return (access & ~SIOMMU_SMMUV2_EXEC) | SIOMMU_SMMUV2_READ;
	if (instcfg == 3 && (access & SIOMMU_SMMUV2_READ))
		return (access & ~SIOMMU_SMMUV2_READ) | SIOMMU_SMMUV2_EXEC;
	return access;
}

/* Permissions as S2CR.INSTCFG makes a stream's requests meet them, in
 * both halves (2: a fetch needs what a read does, 3: a read needs what a
 * fetch does), so that a combined hit looks at the request's own access
 * alone. */
static uint32_t instcfg_perm(uint32_t perm, unsigned int instcfg)
{
	unsigned int h;

	for (h = 0; h <= PERM_PRIV_SHIFT; h += PERM_PRIV_SHIFT) {
		uint32_t r = SIOMMU_SMMUV2_READ << h, x = SIOMMU_SMMUV2_EXEC << h;

		if (instcfg == 2)
			perm = (perm & ~x) | ((perm & r) ? x : 0);
		else if (instcfg == 3)
			perm = (perm & ~r) | ((perm & x) ? r : 0);
	}
	return perm;
}

static inline_hot unsigned int req_shift(const struct siommu_smmuv2_req *req)
{
	return req->priv ? PERM_PRIV_SHIFT : 0;
}

/* The combined hit path: one probe. */
static inline_hot bool xc_piece(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
				uint32_t access, uint64_t iova, struct xc_piece *p)
{
	uint64_t out;

	if (likely(v2_xc_lookup(s, req->sid, iova & ~0xfffull, &out)) &&
	    likely(xc_out_piece(out, iova, req_shift(req), access, p))) {
		v2_stat_inc(s, ST_XC_HIT);
		return true;
	}
	return false;
}

/*
 * Translate the page of @iova for @req with @access: configuration, TLB,
 * walk, inside a read-side section of its own (sections nest). Returns 0
 * with *p, or -1 with *f and *c (the configuration met) for the report.
 */
static int xlate(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
		 uint32_t access, uint64_t iova, struct xc_piece *p, struct v2_cfg *c,
		 struct v2_fault *f)
{
	uint64_t gen = v2_gen(s), out, page = iova & ~0xfffull;
	unsigned int kind, shift, level;
	struct leaf lf;
	bool walked = false;
	int hit, ret = 0;

	v2_read_lock(s);
	v2_cfg_read(s, req->sid, c);
	shift = perm_shift(req, c->privcfg);
	switch (c->path) {
	case PATH_GFAULT:
		memset(f, 0, sizeof(*f));
		f->global = true;
		f->bit = c->gfsr;
		v2_read_unlock(s);
		return -1;
	case PATH_BYPASS:
		out = xc_out_word(page, 0, page, PERM_ALL, 0);
		goto done;
	case PATH_S1:
		kind = TLB_S1;
		break;
	default:
		kind = TLB_S2;
		break;
	}
	hit = v2_tlb_lookup(s, kind, c->asid, c->vmid, iova, &out);
	if (hit >= 0) {
		v2_stat_inc(s, ST_TLB_HIT);
		level = (unsigned int)hit;
		out = xc_out_word(out & ~OUT_MASK, level, page, out & PERM_ALL, 0);
	} else {
		v2_stat_inc(s, ST_TLB_MISS);	/* and a walk: the model has no walk cache */
		ret = kind == TLB_S1 ? s1_walk(s, c, iova, &lf, f) : s2_walk(s, c, iova, &lf, f);
		if (ret) {
			v2_read_unlock(s);
			f->s2 = kind == TLB_S2;
			f->ipa = iova;
			return -1;
		}
		v2_tlb_fill(s, gen, kind, lf.level, c->asid, c->vmid, lf.global, lf.page,
			    lf.out | lf.perm);
		level = lf.level;
		out = xc_out_word(lf.out, level, page, lf.perm, 0);
		walked = true;
	}
	if ((uint64_t)instcfg_access(access, c->instcfg) << shift & ~out & PERM_ALL) {
		v2_read_unlock(s);
		fault(f, SIOMMU_SMMUV2_FSR_PF, 3 - level);
		f->s2 = kind == TLB_S2;
		f->ipa = iova;
		return -1;
	}
done:
	out = (out & ~(uint64_t)PERM_ALL) |
	      instcfg_perm(privcfg_perm(XC_OUT_PERM(out), c->privcfg), c->instcfg);
	/* A walk fills the TLB alone; the next request for the page, hitting
	 * there, fills the combined cache: one fill (one compare-and-swap)
	 * per walk, and pages that overrun the TLB do not churn the
	 * combined cache. */
	if (!walked)
		v2_xc_fill(s, gen, req->sid, page, out);
	v2_read_unlock(s);
	xc_out_piece(out, iova, req_shift(req), access, p);
	return 0;
}

static int req_check(const struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
		     bool need_access)
{
	if (!req || req->sid >> s->cfg.sid_bits)
		return -EINVAL;
	if (need_access && (!req->access || (req->access & ~ACC_ALL)))
		return -EINVAL;
	return 0;
}

static inline_hot void res_fill(struct siommu_smmuv2_xlate *res, const struct xc_piece *p)
{
	*res = (struct siommu_smmuv2_xlate){
		.addr = p->addr, .iova_base = p->base, .addr_base = p->out,
		.size = p->size, .perm = p->perm, .cb = -1,
	};
}

static __attribute__((noinline)) int
translate_miss(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
	       struct siommu_smmuv2_xlate *res)
{
	struct v2_fault f;
	struct v2_cfg c;
	struct xc_piece p;

	if (req_check(s, req, true))
		return -EINVAL;
	if (!xlate(s, req, req->access, req->iova, &p, &c, &f)) {
		res_fill(res, &p);
		return 0;
	}
	return v2_fault_report(s, &c, req, req->iova, req->access, &f, res);
}

int SIOMMU_EXPORT siommu_smmuv2_translate(struct siommu_smmuv2 *s,
					  const struct siommu_smmuv2_req *req,
					  struct siommu_smmuv2_xlate *res)
{
	struct xc_piece p;
	uint64_t out;

	/* The hit path: the request's checks, one probe of the combined
	 * cache, *res written from registers. Anything else is
	 * translate_miss()'s. */
	if (unlikely(!req || !res || req->access - 1u >= ACC_ALL ||
		     (req->sid >> s->cfg.sid_bits)))
		return -EINVAL;
	if (likely(v2_xc_lookup(s, req->sid, req->iova & ~0xfffull, &out)) &&
	    likely(xc_out_piece(out, req->iova, req_shift(req), req->access, &p))) {
		res->addr = p.addr;
		res->iova_base = p.base;
		res->addr_base = p.out;
		res->size = p.size;
		res->perm = p.perm;
		res->fsr = 0;
		res->cb = -1;
		res->global = false;
		res->recorded = false;
		res->abort = false;
		res->stalled = false;
		v2_stat_inc(s, ST_XC_HIT);
		return 0;
	}
	return translate_miss(s, req, res);
}

/* A transfer's request and the fault its piece met, for
 * dma_for_each_piece()'s callbacks. */
struct pieces {
	struct siommu_smmuv2 *s;
	const struct siommu_smmuv2_req *req;
	struct siommu_smmuv2_xlate *res;
	uint32_t access;
	struct v2_fault f;
	struct v2_cfg c;
};

static inline_hot int piece_xlate(void *ctx, uint64_t iova, uint64_t left,
				  struct dma_piece *dp)
{
	struct pieces *t = ctx;
	struct xc_piece p;

	(void)left;
	if (!xc_piece(t->s, t->req, t->access, iova, &p) &&
	    xlate(t->s, t->req, t->access, iova, &p, &t->c, &t->f))
		return DMA_PIECE_FAULT;
	dp->addr = p.addr;
	dp->avail = p.base + p.size - iova;
	return 0;
}

static int piece_report(void *ctx, uint64_t iova)
{
	struct pieces *t = ctx;

	return v2_fault_report(t->s, &t->c, t->req, iova, t->access, &t->f, t->res);
}

/* [req->iova, + len) page by page (hw/common/dma.h). */
static int for_each_piece(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
			  uint32_t access, size_t len, size_t *done,
			  struct siommu_smmuv2_xlate *res,
			  int (*copy)(void *arg, void *host, size_t n, size_t off), void *arg)
{
	struct pieces t = { .s = s, .req = req, .res = res, .access = access };

	if (res) {
		memset(res, 0, sizeof(*res));
		res->cb = -1;
	}
	return dma_for_each_piece(&s->rcu, s->mem, req->iova, len, done, piece_xlate,
				  piece_report, copy, arg, &t);
}

/*
 * A transfer within one 4K page whose translation is in the combined cache
 * and lands in RAM: the common DMA, in one short path (hw/common/dma.h).
 * Returns false, having copied nothing, for anything else (the checks of
 * the request included), which for_each_piece() then does.
 */
static inline_hot bool dma_fast(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
				void *buf, size_t len, size_t *done,
				struct siommu_smmuv2_xlate *res, bool write)
{
	uint32_t access = write ? SIOMMU_SMMUV2_WRITE : SIOMMU_SMMUV2_READ;
	struct xc_hit h;

	if (unlikely(!req || (req->sid >> s->cfg.sid_bits)))
		return false;
	h = (struct xc_hit){ .x = &s->xc, .gen = &s->inv_gen, .key = V2_XC_KEY(req->sid),
			     .iova = req->iova, .need = (uint64_t)access << req_shift(req) };
	if (!dma_one_page(&s->rcu, s->mem, xc_hit_pa, &h, req->iova, buf, len, write))
		return false;
	v2_stat_inc(s, ST_XC_HIT);
	if (done)
		*done = len;
	if (res) {
		memset(res, 0, sizeof(*res));
		res->cb = -1;
	}
	return true;
}

/* A transfer the one-page path did not take, page by page. Out of line,
 * so that the one-page path keeps a small frame. */
static __attribute__((noinline)) int
dma_pages(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req, void *buf,
	  size_t len, size_t *done, struct siommu_smmuv2_xlate *res, bool write)
{
	if (done)
		*done = 0;
	if (req_check(s, req, false) || (len && !buf))
		return -EINVAL;
	return for_each_piece(s, req, write ? SIOMMU_SMMUV2_WRITE : SIOMMU_SMMUV2_READ, len,
			      done, res, write ? dma_copy_in : dma_copy_out, buf);
}

static inline_hot int dma(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
			  void *buf, size_t len, size_t *done,
			  struct siommu_smmuv2_xlate *res, bool write)
{
	if (dma_fast(s, req, buf, len, done, res, write))
		return 0;
	return dma_pages(s, req, buf, len, done, res, write);
}

int SIOMMU_EXPORT siommu_smmuv2_dma_read(struct siommu_smmuv2 *s,
					 const struct siommu_smmuv2_req *req, void *buf,
					 size_t len, size_t *done,
					 struct siommu_smmuv2_xlate *res)
{
	return dma(s, req, buf, len, done, res, false);
}

int SIOMMU_EXPORT siommu_smmuv2_dma_write(struct siommu_smmuv2 *s,
					  const struct siommu_smmuv2_req *req,
					  const void *buf, size_t len, size_t *done,
					  struct siommu_smmuv2_xlate *res)
{
	return dma(s, req, (void *)buf, len, done, res, true);
}

int SIOMMU_EXPORT siommu_smmuv2_access(struct siommu_smmuv2 *s,
				       const struct siommu_smmuv2_req *req,
				       siommu_smmuv2_access_fn fn, void *arg,
				       struct siommu_smmuv2_xlate *res)
{
	if (req_check(s, req, true) || !fn)
		return -EINVAL;
	/* @fn has the pieces' signature: it is the copy itself. */
	return for_each_piece(s, req, req->access, req->len ? req->len : 1, NULL, res, fn, arg);
}
