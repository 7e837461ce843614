/* SPDX-License-Identifier: MIT */
/*
 * Configuration and translation walks: the stream table (SMMUv3 3.3),
 * STEs (5.2), CD tables and CDs (3.4, 5.4), and VMSAv8-64 stage-1 and
 * stage-2 tables with the 4K granule (Arm ARM D8), nested with every
 * stage-1 table access translated through stage 2 (SMMUv3 3.3.4).
 *
 * Everything is read from memory here, by the formats; nothing is taken
 * from the OS half. Every malformed field becomes the event the
 * specification names, never a crash: a guest owns all of this memory.
 */
#include <errno.h>
#include <string.h>

#include "hw/smmuv3/smmuv3_internal.h"
#include "mem/mem_internal.h"

static int rd64(struct siommu_smmuv3 *s, uint64_t pa, uint64_t *val)
{
	uint64_t *p;

	if (pa & 7)
		return -EFAULT;
	p = mem_entry_ptr(s->mem, pa);
	if (!p)
		return -EFAULT;
	*val = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

static int rd_words(struct siommu_smmuv3 *s, uint64_t pa, uint64_t *w, unsigned int n)
{
	uint64_t *p = (pa & 7) ? NULL : siommu_mem_host(s->mem, pa, 8ull * n);
	unsigned int i;

	if (!p)
		return -EFAULT;
	for (i = 0; i < n; i++)
		w[i] = __atomic_load_n(&p[i], __ATOMIC_ACQUIRE);
	return 0;
}

/* IDR5.OAS / CD.IPS / STE.S2PS encodings (SMMUv3 6.3.6). */
static const uint8_t ps_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };

static unsigned int ps_limit(struct siommu_smmuv3 *s, unsigned int enc)
{
	unsigned int b = ps_bits[enc];

	return b > s->cfg.oas ? s->cfg.oas : b;
}

static int fault(struct smmu_fault *f, uint8_t event, uint8_t class, bool record)
{
	memset(f, 0, sizeof(*f));
	f->event = event;
	f->class = class;
	f->record = record;
	return -1;
}

/* ---- stream table and STE ------------------------------------------------ */

static int ste_fetch(struct siommu_smmuv3 *s, uint32_t sid, uint64_t w[8],
		     struct smmu_fault *f)
{
	uint32_t cfg = READ_ONCE(s->strtab_cfg);
	uint64_t base = READ_ONCE(s->strtab_base) & GENMASK64(51, 6), addr, l1;
	unsigned int log2 = cfg & 0x3f, fmt = FIELD(cfg, 17, 16);

	if (log2 > s->cfg.sid_bits)
		log2 = s->cfg.sid_bits;
	if (log2 < 32 && (sid >> log2))
		return fault(f, SIOMMU_SMMUV3_C_BAD_STREAMID, 0, true);
	if (fmt == 0) {
		addr = base + (uint64_t)sid * 64;
	} else if (fmt == 1 && (s->cfg.features & SIOMMU_SMMUV3_F_ST2L)) {
		unsigned int split = FIELD(cfg, 10, 6), span;
		uint64_t l2;

		/* SMMUv3 6.3.25: SPLIT is 6, 8 or 10; the model treats any
		 * other value as a table that holds no stream. */
		if (split != 6 && split != 8 && split != 10)
			return fault(f, SIOMMU_SMMUV3_C_BAD_STREAMID, 0, true);
		if (split > log2)
			split = log2;
		addr = base + (uint64_t)(sid >> split) * 8;
		if (rd64(s, addr, &l1)) {
			fault(f, SIOMMU_SMMUV3_F_STE_FETCH, 0, true);
			f->fetch = addr;
			return -1;
		}
		span = L1STD_SPAN(l1);
		if (!span)
			return fault(f, SIOMMU_SMMUV3_C_BAD_STREAMID, 0, true);
		if (span > split + 1)
			span = split + 1;
		l2 = sid & ((1u << split) - 1);
		if (l2 >> (span - 1))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STREAMID, 0, true);
		addr = L1STD_L2PTR(l1) + l2 * 64;
	} else {
		return fault(f, SIOMMU_SMMUV3_C_BAD_STREAMID, 0, true);
	}
	if (rd_words(s, addr, w, 8)) {
		fault(f, SIOMMU_SMMUV3_F_STE_FETCH, 0, true);
		f->fetch = addr;
		return -1;
	}
	return 0;
}

/*
 * Validate STE words @w and decode them into @st (SMMUv3 5.2: an STE with
 * a field out of range or using what the unit lacks is ILLEGAL and gives
 * C_BAD_STE). Config "abort" decodes fine.
 */
static int ste_decode(struct siommu_smmuv3 *s, const uint64_t *w, struct ste_cfg *st,
		      struct smmu_fault *f)
{
	uint32_t feat = s->cfg.features;
	unsigned int config = STE0_CONFIG(w[0]);
	bool s1, s2;

	memset(st, 0, sizeof(*st));
	st->ste[0] = w[0];
	st->ste[1] = w[1];
	st->config = (uint8_t)config;
	if (!(w[0] & STE0_V)) {
		fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		f->ats_quiet = true;
		return -1;
	}
	if (config == STE_CFG_ABORT)
		return 0;
	if (config < STE_CFG_BYPASS)
		return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
	s1 = config & 1;
	s2 = config & 2;
	if ((s1 && !(feat & SIOMMU_SMMUV3_F_S1)) || (s2 && !(feat & SIOMMU_SMMUV3_F_S2)))
		return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
	/* The unit has no EL2 stream worlds (IDR0.HYP = 0). */
	if (STE1_STRW(w[1]))
		return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
	/* EATS: 0b10 needs split-stage ATS (IDR0.NS1ATS = 1: none), 0b11 is
	 * reserved; the field is RES0 without ATS. */
	if ((feat & SIOMMU_SMMUV3_F_ATS) && STE1_EATS(w[1]) > 1)
		return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
	if (feat & SIOMMU_SMMUV3_F_S2) {
		/* With stage 2 implemented, S2VMID tags stage-1-only
		 * translations too (SMMUv3 5.2). */
		st->vmid = STE2_S2VMID(w[2]);
		if (s->cfg.vmid_bits == 8)
			st->vmid &= 0xff;
	}
	if (s1) {
		unsigned int fmt = STE0_S1FMT(w[0]), cdmax = STE0_S1CDMAX(w[0]);

		if (cdmax > s->cfg.ssid_bits)
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		if (cdmax && (fmt == 3 || (fmt && !(feat & SIOMMU_SMMUV3_F_CD2L))))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		if (!s2 && (STE0_S1CTXPTR(w[0]) & ~s->oa_mask))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
	}
	if (s2) {
		struct s2_cfg *c2 = &st->s2;
		unsigned int sl0 = STE2_S2SL0(w[2]), ia, start, ps = STE2_S2PS(w[2]);
		uint64_t tbl;

		if (!(w[2] & STE2_S2AA64) || STE2_S2TG(w[2]) != 0 || (w[2] & STE2_S2ENDI))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		/* S2SL0 0b11 (level 3 start) needs small tables, 0b10
		 * (level 0) a PA of 44 bits or more (Arm ARM D8.2.6). */
		if (ps == 7 || sl0 == 3 || (sl0 == 2 && s->cfg.oas < 44))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		ia = 64 - STE2_S2T0SZ(w[2]);
		start = 2 - sl0;
		/* The start level must resolve more than 9 bits less than
		 * the input size and at most 16 concatenated tables more
		 * (Arm ARM D8.2.6); the input is no wider than the PA. */
		if (ia > s->cfg.oas || ia + 9 <= level_span(start) ||
		    ia > level_span(start) + 4)
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		if ((w[2] & STE2_S2S) && !(feat & SIOMMU_SMMUV3_F_STALL))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		c2->oa_bits = (uint8_t)ps_limit(s, ps);
		c2->ttb = STE3_S2TTB(w[3]);
		tbl = 8ull << (ia - level_shift(start));
		if (tbl < 64)
			tbl = 64;
		if ((c2->ttb & (tbl - 1)) || (c2->ttb & ~s->oa_mask))
			return fault(f, SIOMMU_SMMUV3_C_BAD_STE, 0, true);
		c2->vmid = st->vmid;
		c2->start = (uint8_t)start;
		c2->ia_bits = (uint8_t)ia;
		c2->affd = w[2] & STE2_S2AFFD;
		c2->ha = (w[2] & STE2_S2HA) && (feat & SIOMMU_SMMUV3_F_HA);
		c2->rec = w[2] & STE2_S2R;
		c2->stall = w[2] & STE2_S2S;
	}
	return 0;
}

/* ---- VMSAv8-64 walks --------------------------------------------------- */

/* CD.R/S and STE.S2R/S2S govern translation-related faults only: an
 * external abort on a walk is always recorded and never stalls
 * (SMMUv3 3.12, 7.3). */
static void eabt_fixup(struct smmu_fault *f)
{
	if (f->event == SIOMMU_SMMUV3_F_WALK_EABT) {
		f->record = true;
		f->stall = false;
	}
}

/* A stage-2 fault for @ipa, seen while doing @class. */
static int s2_fault(const struct s2_cfg *c2, struct smmu_fault *f, uint8_t event,
		    uint8_t class, uint64_t ipa)
{
	fault(f, event, class, c2->rec);
	f->s2 = true;
	f->stall = c2->stall;
	f->ipa = ipa;
	eabt_fixup(f);
	return -1;
}

/*
 * Set AF in the descriptor at @pa (hardware update, SMMUv3 3.13): a
 * compare-and-swap, so that a concurrent software update is not lost.
 * Returns 0 (set, or *desc changed: the caller looks again) or -1.
 */
static int af_update(struct siommu_smmuv3 *s, uint64_t pa, uint64_t *desc)
{
	uint64_t old = *desc;
	int ret = siommu_mem_cmpxchg64(s->mem, pa, &old, old | PTE_AF);

	if (ret == -EAGAIN) {
		*desc = old;
		return 0;
	}
	if (ret)
		return -1;
	*desc = old | PTE_AF;
	return 0;
}

/* What a walk found: the leaf's output page, level (0..3) and raw bits. */
struct leaf {
	uint64_t oa;
	unsigned int level;
	uint64_t desc;
	uint64_t tbl_attrs;	/* APTable/XNTable/PXNTable gathered on the way */
};

/*
 * Translate @ipa through stage 2, for @access (0: a table or CD fetch,
 * which needs read permission) while doing @class. Returns 0 with *pa,
 * and *perm and *level when not NULL, or -1 with *f.
 */
static int s2_translate(struct siommu_smmuv3 *s, const struct s2_cfg *c2, uint64_t ipa,
			uint8_t class, uint64_t *pa, uint32_t *perm, unsigned int *level,
			struct smmu_fault *f)
{
	uint64_t table = c2->ttb, desc, oa_mask = addr_mask(c2->oa_bits);
	unsigned int l = c2->start;
	uint32_t p;

	if (ipa >> c2->ia_bits)
		return s2_fault(c2, f, SIOMMU_SMMUV3_F_TRANSLATION, class, ipa);
	/* A table base beyond S2PS (but within the OAS) is an address size
	 * fault of the walk (Arm ARM D8.2.2). */
	if (table & ~oa_mask)
		return s2_fault(c2, f, SIOMMU_SMMUV3_F_ADDR_SIZE, class, ipa);
	for (;;) {
		unsigned int sh = level_shift(l);
		unsigned int bits = l == c2->start ? c2->ia_bits - sh : 9;
		uint64_t ea = table + ((ipa >> sh) & ((1ull << bits) - 1)) * 8;

again:
		if (rd64(s, ea, &desc)) {
			s2_fault(c2, f, SIOMMU_SMMUV3_F_WALK_EABT, class, ipa);
			f->fetch = ea;
			return -1;
		}
		if (!(desc & PTE_VALID) || (l == 3 && !(desc & PTE_TABLE)) ||
		    (l == 0 && !(desc & PTE_TABLE)))
			return s2_fault(c2, f, SIOMMU_SMMUV3_F_TRANSLATION, class, ipa);
		if (l < 3 && (desc & PTE_TABLE)) {
			table = desc & PTE_OA;
			if ((desc & PTE_OA_HI) || (table & ~oa_mask))
				return s2_fault(c2, f, SIOMMU_SMMUV3_F_ADDR_SIZE, class, ipa);
			l++;
			continue;
		}
		if ((desc & PTE_OA_HI) || ((desc & PTE_OA) & ~oa_mask))
			return s2_fault(c2, f, SIOMMU_SMMUV3_F_ADDR_SIZE, class, ipa);
		if (!(desc & PTE_AF)) {
			if (c2->ha) {
				if (af_update(s, ea, &desc)) {
					s2_fault(c2, f, SIOMMU_SMMUV3_F_WALK_EABT, class, ipa);
					f->fetch = ea;
					f->tt_write = true;
					return -1;
				}
				if (!(desc & PTE_AF))
					goto again;
			} else if (!c2->affd) {
				return s2_fault(c2, f, SIOMMU_SMMUV3_F_ACCESS, class, ipa);
			}
		}
		/* S2AP: bit 6 read, bit 7 write; XN (bit 54) forbids fetches. */
		p = ((desc & PTE_AP1) ? SIOMMU_SMMUV3_READ : 0) |
		    ((desc & PTE_AP2) ? SIOMMU_SMMUV3_WRITE : 0) |
		    ((desc & PTE_UXN) ? 0 : SIOMMU_SMMUV3_EXEC);
		if (!perm && !(p & SIOMMU_SMMUV3_READ))
			return s2_fault(c2, f, SIOMMU_SMMUV3_F_PERMISSION, class, ipa);
		*pa = (desc & PTE_OA & ~(level_size(3 - l) - 1)) |
		      (ipa & (level_size(3 - l) - 1));
		if (perm)
			*perm = p | p << PERM_PRIV_SHIFT;
		if (level)
			*level = 3 - l;
		return 0;
	}
}

/* A stage-1 table address: through stage 2 when it is enabled. */
static int s1_table_pa(struct siommu_smmuv3 *s, const struct smmu_cfg *c, uint64_t addr,
		       uint64_t *pa, struct smmu_fault *f)
{
	if (c->config != STE_CFG_NEST) {
		*pa = addr;
		return 0;
	}
	return s2_translate(s, &c->st.s2, addr, EV_CLASS_TT, pa, NULL, NULL, f);
}

static int s1_fault(const struct s1_cfg *c1, struct smmu_fault *f, uint8_t event,
		    uint8_t class)
{
	fault(f, event, class, c1->rec);
	f->stall = c1->stall;
	eabt_fixup(f);
	return -1;
}

/*
 * Stage-1 permissions of a leaf (Arm ARM D8.4), in the PERM_ALL layout.
 * Execution at EL0 depends on UXN (and WXN) alone, not on AP[1]: a page
 * without EL0 data access may still be execute-only at EL0. CD.PAN takes
 * the privileged data accesses (not the fetches) away from pages EL0 may
 * access (SMMUv3 5.4). CD.UWXN is an AArch32 control: with AArch64 tables
 * a page writable at EL0 is never privileged-executable anyway.
 */
static uint32_t s1_perm(const struct s1_cfg *c1, uint64_t desc, uint64_t tbl)
{
	bool ro = (desc & PTE_AP2) || (tbl & PTE_APTABLE1);
	bool el0 = (desc & PTE_AP1) && !(tbl & PTE_APTABLE0);
	bool uxn = (desc & PTE_UXN) || (tbl & PTE_XNTABLE);
	bool pxn = (desc & PTE_PXN) || (tbl & PTE_PXNTABLE);
	uint32_t u = 0, p = 0;

	if (el0) {
		u |= SIOMMU_SMMUV3_READ;
		if (!ro)
			u |= SIOMMU_SMMUV3_WRITE;
	}
	if (!(el0 && c1->pan)) {
		p |= SIOMMU_SMMUV3_READ;
		if (!ro)
			p |= SIOMMU_SMMUV3_WRITE;
	}
	if (!uxn && !(c1->wxn && (u & SIOMMU_SMMUV3_WRITE)))
		u |= SIOMMU_SMMUV3_EXEC;
	/* A region writable at EL0 is never privileged-executable. */
	if (!pxn && !(el0 && !ro) && !(c1->wxn && !ro))
		p |= SIOMMU_SMMUV3_EXEC;
	return u | p << PERM_PRIV_SHIFT;
}

/*
 * Nested: setting AF in the stage-1 descriptor at IPA @ipa is a write at
 * stage 2 (SMMUv3 3.13): without stage-2 write permission it is a
 * stage-2 permission fault of the walk (CLASS TT, TTRnW 0 for an update).
 */
static int s1_update_check(struct siommu_smmuv3 *s, const struct smmu_cfg *c, uint64_t ipa,
			   struct smmu_fault *f)
{
	uint32_t perm;
	uint64_t pa;

	if (s2_translate(s, &c->st.s2, ipa, EV_CLASS_TT, &pa, &perm, NULL, f))
		return -1;
	if (perm & SIOMMU_SMMUV3_WRITE)
		return 0;
	s2_fault(&c->st.s2, f, SIOMMU_SMMUV3_F_PERMISSION, EV_CLASS_TT, ipa);
	f->tt_write = true;
	return -1;
}

/*
 * Stage-1 walk of @va under @c (SMMUv3 3.4, Arm ARM D8.2): selects TTB0
 * or TTB1 by VA[55], checks the bits above the input size (the top byte
 * is ignored with TBI), walks, checks AF. *lf gets the leaf, whose output
 * is an IPA when stage 2 is enabled.
 */
static int s1_walk(struct siommu_smmuv3 *s, const struct smmu_cfg *c, uint64_t va,
		   struct leaf *lf, struct smmu_fault *f)
{
	const struct s1_cfg *c1 = &c->s1;
	unsigned int half = (va >> 55) & 1, ia = 64 - c1->tsz[half];
	unsigned int top = c1->tbi[half] ? 55 : 63, start, l, sh;
	uint64_t hi, oa_mask = addr_mask(c1->oa_bits);
	uint64_t table = c1->ttb[half], tbl = 0, desc, ea, pa, idx_mask;
	/* The frame pool never moves: its window is taken once per walk,
	 * and a table anywhere else is looked up by rd64(). */
	const struct frame_pool *pool = &s->mem->pool;
	const uint64_t pool_base = pool->base, pool_size = pool->size;
	uint8_t *const pool_host = pool->host;
	const bool nest = c->config == STE_CFG_NEST;

	/* A disabled half's TxSZ was never checked (cd_decode()): it is
	 * not read, not even to size the range. */
	if (c1->epd[half])
		return s1_fault(c1, f, SIOMMU_SMMUV3_F_TRANSLATION, EV_CLASS_IN);
	hi = GENMASK64(top, ia);
	if ((va & hi) != (half ? hi : 0))
		return s1_fault(c1, f, SIOMMU_SMMUV3_F_TRANSLATION, EV_CLASS_IN);
	start = 3 - (ia - 13) / 9;
	if (!nest && (table & ~oa_mask))
		return s1_fault(c1, f, SIOMMU_SMMUV3_F_ADDR_SIZE, EV_CLASS_TT);
	sh = level_shift(start);
	idx_mask = (1ull << (ia - sh)) - 1;
	for (l = start;; ) {
		ea = table + ((va >> sh) & idx_mask) * 8;
		pa = ea;
		if (unlikely(nest) && s1_table_pa(s, c, ea, &pa, f))
			return -1;
again:
		if (likely(pa - pool_base < pool_size && !(pa & 7))) {
			desc = __atomic_load_n((uint64_t *)(pool_host + (pa - pool_base)),
					       __ATOMIC_ACQUIRE);
		} else if (rd64(s, pa, &desc)) {
			s1_fault(c1, f, SIOMMU_SMMUV3_F_WALK_EABT, EV_CLASS_TT);
			f->fetch = pa;
			return -1;
		}
		if (!(desc & PTE_VALID) || (l == 3 && !(desc & PTE_TABLE)) ||
		    (l == 0 && !(desc & PTE_TABLE)))
			return s1_fault(c1, f, SIOMMU_SMMUV3_F_TRANSLATION, EV_CLASS_IN);
		if (l < 3 && (desc & PTE_TABLE)) {
			table = desc & PTE_OA;
			if ((desc & PTE_OA_HI) || (table & ~oa_mask))
				return s1_fault(c1, f, SIOMMU_SMMUV3_F_ADDR_SIZE, EV_CLASS_TT);
			if (!c1->had[half])
				tbl |= desc & (PTE_APTABLE0 | PTE_APTABLE1 | PTE_XNTABLE |
					       PTE_PXNTABLE);
			l++;
			sh -= 9;
			idx_mask = 511;
			continue;
		}
		if ((desc & PTE_OA_HI) || ((desc & PTE_OA) & ~oa_mask))
			return s1_fault(c1, f, SIOMMU_SMMUV3_F_ADDR_SIZE, EV_CLASS_IN);
		if (!(desc & PTE_AF)) {
			if (c1->ha) {
				if (unlikely(nest) && s1_update_check(s, c, ea, f))
					return -1;
				if (af_update(s, pa, &desc)) {
					s1_fault(c1, f, SIOMMU_SMMUV3_F_WALK_EABT, EV_CLASS_TT);
					f->fetch = pa;
					f->tt_write = true;
					return -1;
				}
				if (!(desc & PTE_AF))
					goto again;
			} else if (!c1->affd) {
				return s1_fault(c1, f, SIOMMU_SMMUV3_F_ACCESS, EV_CLASS_IN);
			}
		}
		lf->level = 3 - l;
		lf->oa = desc & PTE_OA & ~(level_size(lf->level) - 1);
		lf->desc = desc;
		lf->tbl_attrs = tbl;
		return 0;
	}
}

/* ---- CD tables and CDs ---------------------------------------------------- */

/* A CD-table address: through stage 2 when enabled; fetch faults are
 * reported for the configuration (always recorded, never stalled). */
static int cd_read(struct siommu_smmuv3 *s, const struct smmu_cfg *c, uint64_t addr,
		   uint64_t *w, unsigned int n, struct smmu_fault *f)
{
	uint64_t pa = addr;

	if (c->config == STE_CFG_NEST &&
	    s2_translate(s, &c->st.s2, addr, EV_CLASS_CD, &pa, NULL, NULL, f)) {
		f->record = true;
		f->stall = false;
		return -1;
	}
	if (rd_words(s, pa, w, n)) {
		fault(f, SIOMMU_SMMUV3_F_CD_FETCH, EV_CLASS_CD, true);
		f->fetch = pa;
		return -1;
	}
	return 0;
}

static int cd_fetch(struct siommu_smmuv3 *s, const struct smmu_cfg *c, uint32_t idx,
		    uint64_t w[4], struct smmu_fault *f)
{
	uint64_t ptr = STE0_S1CTXPTR(c->st.ste[0]), addr, l1;
	unsigned int cdmax = STE0_S1CDMAX(c->st.ste[0]), fmt = STE0_S1FMT(c->st.ste[0]);

	if (!cdmax || fmt == 0) {
		addr = ptr + (uint64_t)idx * 64;
	} else {
		unsigned int leaf = fmt == 1 ? 6 : 10;

		if (cd_read(s, c, ptr + (uint64_t)(idx >> leaf) * 8, &l1, 1, f))
			return -1;
		if (!(l1 & L1CD_V))
			return fault(f, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID, 0, true);
		addr = L1CD_L2PTR(l1) + (uint64_t)(idx & ((1u << leaf) - 1)) * 64;
	}
	return cd_read(s, c, addr, w, 4, f);
}

/* Validate CD words @w and decode them into @c1 (SMMUv3 5.4: an ILLEGAL
 * CD gives C_BAD_CD). What the STE forbids is cd_ste_check()'s. */
static int cd_decode(struct siommu_smmuv3 *s, const uint64_t *w, struct s1_cfg *c1,
		     struct smmu_fault *f)
{
	uint32_t feat = s->cfg.features;
	unsigned int i, ips = CD0_IPS(w[0]);

	memset(c1, 0, sizeof(*c1));
	if (!(w[0] & CD0_V) || !(w[0] & CD0_AA64) || (w[0] & CD0_ENDI) || ips == 7)
		return fault(f, SIOMMU_SMMUV3_C_BAD_CD, 0, true);
	if ((w[0] & CD0_S) && !(feat & SIOMMU_SMMUV3_F_STALL))
		return fault(f, SIOMMU_SMMUV3_C_BAD_CD, 0, true);
	c1->epd[0] = w[0] & CD0_EPD0;
	c1->epd[1] = w[0] & CD0_EPD1;
	c1->tsz[0] = (uint8_t)CD0_T0SZ(w[0]);
	c1->tsz[1] = (uint8_t)CD0_T1SZ(w[0]);
	c1->tbi[0] = w[0] & CD0_TBI0;
	c1->tbi[1] = w[0] & CD0_TBI1;
	c1->had[0] = w[1] & CD1_HAD0;
	c1->had[1] = w[2] & CD2_HAD1;
	c1->ttb[0] = CD1_TTB0(w[1]);
	c1->ttb[1] = CD2_TTB1(w[2]);
	for (i = 0; i < 2; i++) {
		/* TG0 0 and TG1 2 are the 4K granule, the only one here. */
		unsigned int tg = i ? CD0_TG1(w[0]) : CD0_TG0(w[0]);
		unsigned int ia, start;
		uint64_t tbl;

		if (c1->epd[i])
			continue;
		if (tg != (i ? 2u : 0u) || c1->tsz[i] < 16 || c1->tsz[i] > 39)
			return fault(f, SIOMMU_SMMUV3_C_BAD_CD, 0, true);
		/* TTBn is aligned to its table's size, at least 64 bytes;
		 * lower bits are RES0 and ignored. */
		ia = 64 - c1->tsz[i];
		start = 3 - (ia - 13) / 9;
		tbl = 8ull << (ia - level_shift(start));
		c1->ttb[i] &= ~((tbl < 64 ? 64 : tbl) - 1);
	}
	c1->oa_bits = (uint8_t)ps_limit(s, ips);
	c1->asid = CD0_ASID(w[0]);
	if (s->cfg.asid_bits == 8)
		c1->asid &= 0xff;
	c1->affd = w[0] & CD0_AFFD;
	c1->ha = (w[0] & CD0_HA) && (feat & SIOMMU_SMMUV3_F_HA);
	c1->wxn = w[0] & CD0_WXN;
	c1->pan = w[0] & CD0_PAN;
	c1->rec = w[0] & CD0_R;
	c1->stall = w[0] & CD0_S;
	return 0;
}

/* A CD under the STE that leads to it, cached or not: CD.S = 1 under
 * STE.S1STALLD = 1 is ILLEGAL (SMMUv3 5.4). The CD cache keeps CDs apart
 * from the STE they were found through, so every use checks this. */
static inline_hot int cd_ste_check(const struct smmu_cfg *c, struct smmu_fault *f)
{
	if (unlikely(c->s1.stall && (c->st.ste[1] & STE1_S1STALLD)))
		return fault(f, SIOMMU_SMMUV3_C_BAD_CD, 0, true);
	return 0;
}

/* ---- configuration -------------------------------------------------------- */

int smmu_config(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
		uint64_t gen, struct smmu_cfg *c, struct smmu_fault *f)
{
	uint64_t w[8];
	uint32_t idx;
	int r;

	if (s->cfg.sid_bits < 32 && (req->sid >> s->cfg.sid_bits))
		/* CR2.RECINVSID: record StreamIDs beyond IDR1.SIDSIZE. */
		return fault(f, SIOMMU_SMMUV3_C_BAD_STREAMID, 0,
			     READ_ONCE(s->cr2) & 2);
	if (likely(smmu_ste_lookup(s, req->sid, &c->st))) {
		smmu_stat_inc(s, ST_STE_HIT);
	} else {
		smmu_stat_inc(s, ST_STE_MISS);
		if (ste_fetch(s, req->sid, w, f) || ste_decode(s, w, &c->st, f))
			return -1;
		smmu_ste_fill(s, gen, req->sid, &c->st);
	}
	c->config = c->st.config;
	switch (c->config) {
	case STE_CFG_ABORT:
		fault(f, SIOMMU_SMMUV3_EVT_NONE, 0, false);
		f->ats_quiet = true;
		return -1;
	case STE_CFG_BYPASS:
	case STE_CFG_S2:
		if (req->ssv)
			return fault(f, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID, 0, true);
		return 0;
	}
	r = ste_cd_index(c->st.ste, req, &idx);
	if (r == 1) {
		c->config = c->config == STE_CFG_NEST ? STE_CFG_S2 : STE_CFG_BYPASS;
		return 0;
	}
	if (r) {
		fault(f, (uint8_t)r, 0, true);
		f->ats_quiet = r == SIOMMU_SMMUV3_F_STREAM_DISABLED;
		return -1;
	}
	if (likely(smmu_cd_lookup(s, req->sid, idx, &c->s1))) {
		smmu_stat_inc(s, ST_CD_HIT);
	} else {
		smmu_stat_inc(s, ST_CD_MISS);
		if (cd_fetch(s, c, idx, w, f) || cd_decode(s, w, &c->s1, f) ||
		    cd_ste_check(c, f))
			return -1;
		smmu_cd_fill(s, gen, req->sid, idx, &c->s1);
		return 0;
	}
	return cd_ste_check(c, f);
}

/* ---- translation ----------------------------------------------------------- */

int smmu_walk(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
	      const struct smmu_cfg *c, struct smmu_walk_out *o)
{
	struct leaf lf;
	uint64_t ipa, pa;
	uint32_t p2;
	unsigned int l2;

	/* Every field is set on success; on failure only o->f is. */
	o->vmid = c->st.vmid;
	o->asid = 0;
	o->ipa = 0;
	smmu_stat_inc(s, ST_WALK);
	switch (c->config) {
	case STE_CFG_BYPASS:
		o->page = req->iova & ~0xfffull;
		o->out = o->page;
		o->perm = o->s1_perm = PERM_ALL;
		o->level = 0;
		o->tlb_kind = 0;
		return 0;
	case STE_CFG_S2:
		o->ipa = req->iova;
		if (s2_translate(s, &c->st.s2, req->iova, EV_CLASS_IN, &pa, &o->perm, &o->level,
				 &o->f))
			return -1;
		o->tlb_kind = TLB_S2;
		o->s1_perm = PERM_ALL;
		o->page = req->iova & ~(level_size(o->level) - 1);
		o->out = pa & ~(level_size(o->level) - 1);
		return 0;
	}
	if (s1_walk(s, c, req->iova, &lf, &o->f))
		return -1;
	o->asid = c->s1.asid;
	o->s1_perm = s1_perm(&c->s1, lf.desc, lf.tbl_attrs);
	o->level = lf.level;
	o->perm = o->s1_perm;
	ipa = lf.oa | (req->iova & (level_size(lf.level) - 1));
	if (c->config == STE_CFG_S1) {
		o->tlb_kind = TLB_S1;
		o->page = va_canon(req->iova) & ~(level_size(o->level) - 1);
		o->out = lf.oa;
		return 0;
	}
	o->ipa = ipa;
	if (s2_translate(s, &c->st.s2, ipa, EV_CLASS_IN, &pa, &p2, &l2, &o->f)) {
		/* Stage 1's permission check ends its translation; the
		 * output goes to stage 2 only after it, so stage 1 refusing
		 * the access is the fault to report (Arm ARM D8, fault
		 * prioritisation). */
		if ((req->access << (req->priv ? PERM_PRIV_SHIFT : 0)) & ~o->s1_perm)
			s1_fault(&c->s1, &o->f, SIOMMU_SMMUV3_F_PERMISSION, EV_CLASS_IN);
		return -1;
	}
	o->tlb_kind = TLB_NEST;
	o->perm &= p2;
	if (l2 < o->level)
		o->level = l2;
	o->page = va_canon(req->iova) & ~(level_size(o->level) - 1);
	o->out = pa & ~(level_size(o->level) - 1);
	return 0;
}
