/* SPDX-License-Identifier: MIT */
/*
 * SMMUv2 unit: creation, the register file (SMMUv2 chapters 9 and 10:
 * GR0, GR1, context banks), TLB maintenance operations (2.5, 10.6),
 * fault recording (2.6: global faults in sGFSR, context faults in FSR),
 * interrupts and stalls (SCTLR.CFCFG, RESUME).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/common/mmio.h"
#include "hw/smmuv2/smmuv2_internal.h"

/* ---- configuration and ID registers ------------------------------------ */

static int cfg_fill(struct siommu_smmuv2_cfg *c, const struct siommu_smmuv2_cfg *in)
{
	if (in)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	if (!c->features)
		c->features = SIOMMU_SMMUV2_F_ALL;
	if (!c->oas)
		c->oas = 48;
	if (!c->sid_bits)
		c->sid_bits = 15;
	if (!c->num_smrg)
		c->num_smrg = 32;
	if (!c->num_cb)
		c->num_cb = 16;
	if (!c->tlb_sets)
		c->tlb_sets = 256;
	if (!c->tlb_ways)
		c->tlb_ways = 4;
	if (c->features & ~SIOMMU_SMMUV2_F_ALL)
		return -EINVAL;
	if (c->oas != 32 && c->oas != 36 && c->oas != 40 && c->oas != 42 && c->oas != 44 &&
	    c->oas != 48)
		return -EINVAL;
	if (c->sid_bits > 15 || c->num_smrg > 128 || c->num_cb > 128)
		return -EINVAL;
	if (c->tlb_sets > 65536 || (c->tlb_sets & (c->tlb_sets - 1)) || c->tlb_ways > 16)
		return -EINVAL;
	return 0;
}

static unsigned int size_enc(unsigned int bits)
{
	static const uint8_t sizes[] = { 32, 36, 40, 42, 44, 48 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (sizes[i] == bits)
			return i;
	return 5;
}

/* SMMUv2 9.6.x: ID0-ID2 advertise exactly what the model implements. */
static void idr_compute(struct siommu_smmuv2 *s)
{
	const struct siommu_smmuv2_cfg *c = &s->cfg;
	bool s1 = c->features & SIOMMU_SMMUV2_F_S1, s2 = c->features & SIOMMU_SMMUV2_F_S2;

	s->idr[0] = c->num_smrg |		/* NUMSMRG */
		    c->sid_bits << 9 |		/* NUMSIDB */
		    1u << 14 |			/* CTTW: walks are coherent */
		    1u << 16 |			/* NUMIRPT */
		    2u << 24 |			/* PTFS: no AArch32 formats */
		    1u << 26 |			/* ATOSNS: no translation operations */
		    1u << 27 |			/* SMS: stream matching */
		    (s2 ? 1u << 29 : 0) |	/* S2TS */
		    (s1 ? 1u << 30 : 0);	/* S1TS */
	s->idr[1] = c->num_cb |			/* NUMCB */
		    (s1 ? 0 : c->num_cb) << 16 |	/* NUMS2CB */
		    6u << 28;			/* NUMPAGENDXB: 128 pages; PAGESIZE 4K */
	s->idr[2] = size_enc(c->oas) |		/* IAS */
		    size_enc(c->oas) << 4 |	/* OAS */
		    6u << 8 |			/* UBS: 64-bit upstream addresses */
		    1u << 12 |			/* PTFS_4K */
		    1u << 15;			/* VMID16 */
}

int SIOMMU_EXPORT siommu_smmuv2_create(struct siommu_mem *mem,
				       const struct siommu_smmuv2_cfg *cfg,
				       struct siommu_smmuv2 **out)
{
	struct siommu_smmuv2 *s;
	unsigned int i;
	int ret;

	if (!mem || !out)
		return -EINVAL;
	s = mem_should_fail(mem) ? NULL :
	    aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->mem = mem;
	ret = mem_should_fail(mem) ? -ENOMEM : rcu_domain_init(&s->rcu, RCU_FENCE_ADAPTIVE);
	if (ret)
		goto out_free;
	ret = cfg_fill(&s->cfg, cfg);
	if (ret)
		goto out_free;
	idr_compute(s);
	s->oa_mask = (1ull << s->cfg.oas) - 1;
	ret = -ENOMEM;
	/* One block for the group and bank attribute registers. */
	s->smr = mem_should_fail(mem) ? NULL :
		 calloc(2 * (size_t)s->cfg.num_smrg + 2 * (size_t)s->cfg.num_cb, sizeof(uint32_t));
	if (!s->smr)
		goto out_free;
	s->s2cr = s->smr + s->cfg.num_smrg;
	s->cbar = s->s2cr + s->cfg.num_smrg;
	s->cba2r = s->cbar + s->cfg.num_cb;
	s->banks = mem_should_fail(mem) ? NULL : calloc(s->cfg.num_cb, sizeof(*s->banks));
	if (!s->banks)
		goto out_free_regs;
	s->bfault = mem_should_fail(mem) ? NULL : calloc(s->cfg.num_cb, sizeof(*s->bfault));
	if (!s->bfault)
		goto out_free_banks;
	ret = v2_caches_init(s);
	if (ret)
		goto out_free_bfault;
	/* Reset: clients bypass the unit; a stream pointed at a group that
	 * software has not programmed faults. */
	s->scr0 = SIOMMU_SMMUV2_SCR0_CLIENTPD;
	for (i = 0; i < s->cfg.num_smrg; i++)
		s->s2cr[i] = SIOMMU_SMMUV2_S2CR_FAULT;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->flock, NULL);
	/* Published to the memory last: nothing fails after it. */
	mem_rcu_user_add(mem, &s->mem_user, &s->rcu);
	*out = s;
	return 0;

out_free_bfault:
	free(s->bfault);
out_free_banks:
	free(s->banks);
out_free_regs:
	free(s->smr);
out_free:
	rcu_domain_fini(&s->rcu);	/* also after a failed init */
	free(s);
	return ret;
}

void SIOMMU_EXPORT siommu_smmuv2_destroy(struct siommu_smmuv2 *s)
{
	if (!s)
		return;
	mem_rcu_user_del(s->mem, &s->mem_user);
	rcu_domain_fini(&s->rcu);
	pthread_mutex_destroy(&s->flock);
	pthread_mutex_destroy(&s->lock);
	v2_caches_fini(s);
	free(s->bfault);
	free(s->banks);
	free(s->smr);
	free(s);
}

void SIOMMU_EXPORT siommu_smmuv2_get_cfg(struct siommu_smmuv2 *s, struct siommu_smmuv2_cfg *cfg)
{
	*cfg = s->cfg;
}

void SIOMMU_EXPORT siommu_smmuv2_set_ops(struct siommu_smmuv2 *s,
					 const struct siommu_smmuv2_ops *ops, void *opaque)
{
	s->ops_opaque = opaque;
	s->ops = ops;
}

/* ---- faults ------------------------------------------------------------------ */

int v2_fault_report(struct siommu_smmuv2 *s, const struct v2_cfg *c,
		    const struct siommu_smmuv2_req *req, uint64_t iova, uint32_t access,
		    const struct v2_fault *f, struct siommu_smmuv2_xlate *res)
{
	const struct siommu_smmuv2_ops *ops = s->ops;
	bool priv = c->privcfg == 3 || (c->privcfg != 2 && req->priv);
	bool wnr = access & SIOMMU_SMMUV2_WRITE;
	/* InD as S2CR.INSTCFG leaves it: 2 data, 3 instruction (a read). */
	bool ind = c->instcfg == 3 ? !wnr : c->instcfg != 2 && (access & SIOMMU_SMMUV2_EXEC);
	bool recorded = false, irq, abort, stall = false;

	v2_stat_inc(s, ST_FAULT);
	pthread_mutex_lock(&s->flock);
	if (f->global) {
		/* SMMUv2 2.6.2: a second fault while one is outstanding sets
		 * MULTI and leaves the first one's record. */
		if (s->gfsr & ~SIOMMU_SMMUV2_GFSR_MULTI) {
			s->gfsr |= SIOMMU_SMMUV2_GFSR_MULTI;
		} else {
			s->gfsr |= f->bit;
			s->gfar = iova;
			/* WNR, PNU, IND: 1 is write, privileged, instruction. */
			s->gfsynr0 = (wnr ? SIOMMU_SMMUV2_GFSYNR0_WNR : 0) |
				     (priv ? SIOMMU_SMMUV2_GFSYNR0_PNU : 0) |
				     (ind ? SIOMMU_SMMUV2_GFSYNR0_IND : 0);
			s->gfsynr1 = req->sid;
			s->gfsynr2 = 0;
			recorded = true;
		}
		irq = c->scr0 & SIOMMU_SMMUV2_SCR0_GFIE;
		abort = c->scr0 & SIOMMU_SMMUV2_SCR0_GFRE;
	} else {
		struct v2_bank_fault *bf = &s->bfault[c->cb];

		if (bf->fsr & (SIOMMU_SMMUV2_FSR_FAULT & ~SIOMMU_SMMUV2_FSR_MULTI)) {
			bf->fsr |= SIOMMU_SMMUV2_FSR_MULTI;
		} else {
			bf->fsr |= f->bit;
			bf->far = iova;
			bf->ipafar = f->s2 ? f->ipa : 0;
			bf->fsynr0 = SIOMMU_SMMUV2_FSYNR0_PLVL(f->level) |
				     (wnr ? SIOMMU_SMMUV2_FSYNR0_WNR : 0) |
				     (priv ? SIOMMU_SMMUV2_FSYNR0_PNU : 0) |
				     (ind ? SIOMMU_SMMUV2_FSYNR0_IND : 0);
			bf->fsynr1 = 0;
			bf->frsynra = req->sid;
			recorded = true;
		}
		/* SCTLR.CFCFG: stall rather than terminate. SCTLR.HUPCF 0:
		 * a transaction of a bank already stalled is not processed
		 * past the outstanding fault, so a fault there waits for the
		 * same RESUME whatever CFCFG says; 1: each transaction is
		 * processed independently of it, and a fault stalls only by
		 * CFCFG (SMMUv2, SMMU_CBn_SCTLR). */
		if ((c->sctlr & SIOMMU_SMMUV2_SCTLR_CFCFG) ||
		    ((bf->fsr & SIOMMU_SMMUV2_FSR_SS) && !(c->sctlr & SIOMMU_SMMUV2_SCTLR_HUPCF))) {
			bf->fsr |= SIOMMU_SMMUV2_FSR_SS;
			bf->held++;
			stall = true;
		}
		/* SMMUv2, SMMU_CBn_SCTLR: CFRE (Context Fault Report
		 * Enable) chooses what the client sees of a terminated
		 * transaction, an abort (1) or read-as-zero, writes ignored
		 * (0); CFIE chooses the context interrupt. Neither gates the
		 * record: the FSR, FAR and syndrome registers are written
		 * for every context fault (or MULTI set, above), so that
		 * software polling FSR with both clear still finds it. The
		 * global pair, sCR0.GFRE and GFIE, works the same way. */
		irq = c->sctlr & SIOMMU_SMMUV2_SCTLR_CFIE;
		abort = c->sctlr & SIOMMU_SMMUV2_SCTLR_CFRE;
	}
	pthread_mutex_unlock(&s->flock);
	if (recorded)
		v2_stat_inc(s, f->global ? ST_GFAULT : ST_CFAULT);
	if (stall)
		v2_stat_inc(s, ST_STALL);
	if (recorded && irq && ops && ops->irq)
		ops->irq(s->ops_opaque,
			 f->global ? SIOMMU_SMMUV2_IRQ_GLOBAL : SIOMMU_SMMUV2_IRQ_CONTEXT,
			 f->global ? -1 : (int)c->cb);
	if (res) {
		memset(res, 0, sizeof(*res));
		res->fsr = f->bit;
		res->cb = f->global ? -1 : (int)c->cb;
		res->global = f->global;
		res->recorded = recorded;
		res->abort = abort;
		res->stalled = stall;
	}
	return stall ? -EAGAIN : -EFAULT;
}

/* ---- register file ---------------------------------------------------------- */

#define CB_BASE		SIOMMU_SMMUV2_CB(0)
#define GR1_BASE	0x1000u

/* A configuration register's update, under lock: inside cfg_seq's odd
 * window, then a new generation, so that neither a combined entry nor a
 * fill made from the old value outlives the write. */
static void cfg_begin(struct siommu_smmuv2 *s)
{
	__atomic_store_n(&s->cfg_seq, s->cfg_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void cfg_end(struct siommu_smmuv2 *s)
{
	__atomic_store_n(&s->cfg_seq, s->cfg_seq + 1, __ATOMIC_RELEASE);
	v2_gen_bump(s);
}

static void cfg_set32(struct siommu_smmuv2 *s, uint32_t *reg, uint32_t val)
{
	cfg_begin(s);
	WRITE_ONCE(*reg, val);
	cfg_end(s);
}

/* Bits 31:0 (@hi false) or 63:32 of 64-bit register @reg, or all of it
 * (@size 8). */
static void cfg_set64(struct siommu_smmuv2 *s, uint64_t *reg, uint64_t val, unsigned int size,
		      bool hi)
{
	uint64_t v = val;

	if (size == 4)
		v = hi ? (*reg & 0xffffffffull) | val << 32 : (*reg & ~0xffffffffull) | (uint32_t)val;
	cfg_begin(s);
	WRITE_ONCE(*reg, v);
	cfg_end(s);
}

static void set64(uint64_t *reg, uint64_t val, unsigned int size, bool hi)
{
	if (size == 8)
		*reg = val;
	else if (hi)
		*reg = (*reg & 0xffffffffull) | val << 32;
	else
		*reg = (*reg & ~0xffffffffull) | (uint32_t)val;
}

static void tlb_sync(struct siommu_smmuv2 *s)
{
	v2_stat_inc(s, ST_SYNC);
	rcu_synchronize(&s->rcu);
}

static void tlb_op(struct siommu_smmuv2 *s, const struct tlb_match *m)
{
	v2_stat_inc(s, ST_TLB_OP);
	v2_tlb_inv(s, m);
}

/* SMR @n (lock held); stream matching scans the groups below smr_end. */
static void smr_write(struct siommu_smmuv2 *s, unsigned int n, uint32_t v)
{
	uint32_t end = 0, i;

	cfg_begin(s);
	WRITE_ONCE(s->smr[n], v);
	for (i = 0; i < s->cfg.num_smrg; i++)
		if (s->smr[i] & SIOMMU_SMMUV2_SMR_VALID)
			end = i + 1;
	WRITE_ONCE(s->smr_end, end);
	cfg_end(s);
}

/* The VMID that tags bank @n's entries (lock held). */
static uint16_t bank_vmid(struct siommu_smmuv2 *s, unsigned int n)
{
	if (s->scr0 & SIOMMU_SMMUV2_SCR0_VMID16EN)
		return CBA2R_VMID16(s->cba2r[n]);
	return (uint16_t)CBAR_VMID(s->cbar[n]);
}

static uint16_t vmid_arg(struct siommu_smmuv2 *s, uint64_t val)
{
	return (uint16_t)(val & ((s->scr0 & SIOMMU_SMMUV2_SCR0_VMID16EN) ? 0xffff : 0xff));
}

/* GR0 (lock held); @off is 4-byte aligned, @val at most 32 bits except
 * for sGFAR. */
static void gr0_write(struct siommu_smmuv2 *s, uint64_t off, uint64_t val, unsigned int size)
{
	uint32_t v = (uint32_t)val, id_mask = (1u << s->cfg.sid_bits) - 1;
	struct tlb_match m = { 0 };
	unsigned int n;

	switch (off) {
	case SIOMMU_SMMUV2_SCR0:
		cfg_set32(s, &s->scr0, v & SCR0_BITS);
		return;
	case SIOMMU_SMMUV2_SACR:
		s->sacr = v;
		return;
	case SIOMMU_SMMUV2_SGFAR:
	case SIOMMU_SMMUV2_SGFAR + 4:
		pthread_mutex_lock(&s->flock);
		set64(&s->gfar, val, size, off & 4);
		pthread_mutex_unlock(&s->flock);
		return;
	case SIOMMU_SMMUV2_SGFSR:
	case SIOMMU_SMMUV2_SGFSRRESTORE:
	case SIOMMU_SMMUV2_SGFSYNR0:
	case SIOMMU_SMMUV2_SGFSYNR1:
	case SIOMMU_SMMUV2_SGFSYNR2:
		pthread_mutex_lock(&s->flock);
		if (off == SIOMMU_SMMUV2_SGFSR)
			s->gfsr &= ~v;		/* write 1 to clear */
		else if (off == SIOMMU_SMMUV2_SGFSRRESTORE)
			s->gfsr = v & (0x1ffu | SIOMMU_SMMUV2_GFSR_MULTI);
		else if (off == SIOMMU_SMMUV2_SGFSYNR0)
			s->gfsynr0 = v & 0x3fu;
		else if (off == SIOMMU_SMMUV2_SGFSYNR1)
			s->gfsynr1 = v;
		else
			s->gfsynr2 = v;
		pthread_mutex_unlock(&s->flock);
		return;
	case SIOMMU_SMMUV2_TLBIVMID:
		m.s1 = m.s2 = m.match_vmid = true;
		m.vmid = vmid_arg(s, v);
		tlb_op(s, &m);
		return;
	case SIOMMU_SMMUV2_TLBIALLNSNH:
		m.all = true;
		tlb_op(s, &m);
		return;
	case SIOMMU_SMMUV2_TLBIALLH:
		/* No hypervisor contexts: nothing to remove. */
		v2_stat_inc(s, ST_TLB_OP);
		return;
	case SIOMMU_SMMUV2_STLBGSYNC:
		tlb_sync(s);
		return;
	}
	if (off >= SIOMMU_SMMUV2_SMR(0) && off < SIOMMU_SMMUV2_SMR(128)) {
		n = (unsigned int)(off - SIOMMU_SMMUV2_SMR(0)) / 4;
		if (n < s->cfg.num_smrg)
			smr_write(s, n, v & (SIOMMU_SMMUV2_SMR_VALID | id_mask << 16 | id_mask));
	} else if (off >= SIOMMU_SMMUV2_S2CR(0) && off < SIOMMU_SMMUV2_S2CR(128)) {
		n = (unsigned int)(off - SIOMMU_SMMUV2_S2CR(0)) / 4;
		if (n < s->cfg.num_smrg)
			cfg_set32(s, &s->s2cr[n], v & S2CR_BITS);
	}
	/* IDs, sTLBGSTATUS and reserved offsets ignore writes. */
}

static void gr1_write(struct siommu_smmuv2 *s, uint64_t off, uint32_t v)
{
	unsigned int n = (unsigned int)(off & 0x3ff) / 4;

	if (n >= s->cfg.num_cb || off >= SIOMMU_SMMUV2_CBA2R(128))
		return;
	if (off < SIOMMU_SMMUV2_CBFRSYNRA(0)) {
		cfg_set32(s, &s->cbar[n], v & CBAR_BITS);
	} else if (off < SIOMMU_SMMUV2_CBA2R(0)) {
		pthread_mutex_lock(&s->flock);
		s->bfault[n].frsynra = v & 0xffffu;
		pthread_mutex_unlock(&s->flock);
	} else {
		cfg_set32(s, &s->cba2r[n], v & CBA2R_BITS);
	}
}

/* The address of a stage-1 TLBI by VA (AArch64 format: VA[55:12] in bits
 * 43:0), canonical within the 56 bits the TLB compares. */
static uint64_t tlbi_va(uint64_t val)
{
	return (val & GENMASK64(43, 0)) << 12;
}

/*
 * Context bank @n (lock held). Returns the number of held transactions a
 * RESUME ended (the caller calls stall_end after unlocking), or 0.
 */
static unsigned int cb_write(struct siommu_smmuv2 *s, unsigned int n, uint64_t off,
			     uint64_t val, unsigned int size, bool *retry)
{
	struct v2_bank *b = &s->banks[n];
	struct v2_bank_fault *bf = &s->bfault[n];
	uint32_t v = (uint32_t)val, type = CBAR_TYPE(s->cbar[n]);
	bool s1 = type == CBAR_S1_BYPASS, s2 = type == CBAR_S2;
	struct tlb_match m = { .match_vmid = true, .vmid = bank_vmid(s, n) };
	unsigned int held = 0;
	uint16_t asid_mask = (b->tcr2 & SIOMMU_SMMUV2_TCR2_AS) ? 0xffff : 0xff;

	switch (off & ~7ull) {
	case SIOMMU_SMMUV2_CB_TTBR0:
		cfg_set64(s, &b->ttbr0, val, size, off & 4);
		return 0;
	case SIOMMU_SMMUV2_CB_TTBR1:
		cfg_set64(s, &b->ttbr1, val, size, off & 4);
		return 0;
	case SIOMMU_SMMUV2_CB_FAR:
	case SIOMMU_SMMUV2_CB_IPAFAR:
		pthread_mutex_lock(&s->flock);
		set64((off & ~7ull) == SIOMMU_SMMUV2_CB_FAR ? &bf->far : &bf->ipafar, val, size,
		      off & 4);
		pthread_mutex_unlock(&s->flock);
		return 0;
	case SIOMMU_SMMUV2_CB_TLBIVA:
	case SIOMMU_SMMUV2_CB_TLBIVAL:
	case SIOMMU_SMMUV2_CB_TLBIVAA:
	case SIOMMU_SMMUV2_CB_TLBIVAAL:
		/* Stage-1 operations; the model caches leaves only, so the
		 * leaf-only forms remove the same entries. */
		if (!s1 || (off & 4))
			return 0;
		m.s1 = m.match_va = true;
		m.va = tlbi_va(val);
		if ((off & ~7ull) == SIOMMU_SMMUV2_CB_TLBIVA ||
		    (off & ~7ull) == SIOMMU_SMMUV2_CB_TLBIVAL) {
			m.match_asid = true;
			m.asid = (uint16_t)(val >> 48) & asid_mask;
		}
		tlb_op(s, &m);
		return 0;
	case SIOMMU_SMMUV2_CB_TLBIIPAS2:
	case SIOMMU_SMMUV2_CB_TLBIIPAS2L:
		if (!s2 || (off & 4))
			return 0;
		m.s2 = m.match_va = true;
		m.va = (val & GENMASK64(35, 0)) << 12;
		tlb_op(s, &m);
		return 0;
	case SIOMMU_SMMUV2_CB_PAR:
	case SIOMMU_SMMUV2_CB_ATS1PR:
		return 0;	/* no address translation operations */
	}
	switch (off) {
	case SIOMMU_SMMUV2_CB_SCTLR:
		cfg_set32(s, &b->sctlr, v & SCTLR_BITS);
		break;
	case SIOMMU_SMMUV2_CB_ACTLR:
		b->actlr = v;
		break;
	case SIOMMU_SMMUV2_CB_RESUME:
		pthread_mutex_lock(&s->flock);
		if (bf->fsr & SIOMMU_SMMUV2_FSR_SS) {
			bf->fsr &= ~SIOMMU_SMMUV2_FSR_SS;
			held = bf->held;
			bf->held = 0;
			*retry = !(v & SIOMMU_SMMUV2_RESUME_TERMINATE);
		}
		pthread_mutex_unlock(&s->flock);
		break;
	case SIOMMU_SMMUV2_CB_TCR2:
		cfg_set32(s, &b->tcr2, v & TCR2_BITS);
		break;
	case SIOMMU_SMMUV2_CB_TCR:
		cfg_set32(s, &b->tcr, v);
		break;
	case SIOMMU_SMMUV2_CB_CONTEXTIDR:
		b->contextidr = v;
		break;
	case SIOMMU_SMMUV2_CB_MAIR0:
		b->mair0 = v;
		break;
	case SIOMMU_SMMUV2_CB_MAIR1:
		b->mair1 = v;
		break;
	case SIOMMU_SMMUV2_CB_FSR:
	case SIOMMU_SMMUV2_CB_FSRRESTORE:
	case SIOMMU_SMMUV2_CB_FSYNR0:
	case SIOMMU_SMMUV2_CB_FSYNR1:
		pthread_mutex_lock(&s->flock);
		/* FSR is write-1-to-clear, SS excepted (RESUME clears it);
		 * FSRRESTORE sets the fault bits directly. */
		if (off == SIOMMU_SMMUV2_CB_FSR)
			bf->fsr &= ~(v & SIOMMU_SMMUV2_FSR_FAULT);
		else if (off == SIOMMU_SMMUV2_CB_FSRRESTORE)
			bf->fsr = (bf->fsr & SIOMMU_SMMUV2_FSR_SS) | (v & SIOMMU_SMMUV2_FSR_FAULT);
		else if (off == SIOMMU_SMMUV2_CB_FSYNR0)
			bf->fsynr0 = v & 0x1f7u;
		else
			bf->fsynr1 = v;
		pthread_mutex_unlock(&s->flock);
		break;
	case SIOMMU_SMMUV2_CB_TLBIASID:
		if (!s1)
			break;
		m.s1 = m.match_asid = true;
		m.asid = (uint16_t)v & asid_mask;
		tlb_op(s, &m);
		break;
	case SIOMMU_SMMUV2_CB_TLBIALL:
		if (!s1)
			break;
		m.s1 = true;
		tlb_op(s, &m);
		break;
	case SIOMMU_SMMUV2_CB_TLBSYNC:
		tlb_sync(s);
		break;
	}
	/* TLBSTATUS, ATSR and reserved offsets ignore writes. */
	return held;
}

static bool is_reg64(uint64_t off)
{
	if (off == SIOMMU_SMMUV2_SGFAR)
		return true;
	if (off < CB_BASE)
		return false;
	switch (off & 0xfff) {
	case SIOMMU_SMMUV2_CB_TTBR0: case SIOMMU_SMMUV2_CB_TTBR1:
	case SIOMMU_SMMUV2_CB_PAR: case SIOMMU_SMMUV2_CB_FAR: case SIOMMU_SMMUV2_CB_IPAFAR:
	case SIOMMU_SMMUV2_CB_TLBIVA: case SIOMMU_SMMUV2_CB_TLBIVAA:
	case SIOMMU_SMMUV2_CB_TLBIVAL: case SIOMMU_SMMUV2_CB_TLBIVAAL:
	case SIOMMU_SMMUV2_CB_TLBIIPAS2: case SIOMMU_SMMUV2_CB_TLBIIPAS2L:
	case SIOMMU_SMMUV2_CB_ATS1PR:
		return true;
	}
	return false;
}

/* A 64-bit register's value (lock held). */
static uint64_t reg64_value(struct siommu_smmuv2 *s, uint64_t off)
{
	unsigned int n = (unsigned int)((off - CB_BASE) >> 12);
	uint64_t v = 0;

	if (off == SIOMMU_SMMUV2_SGFAR) {
		pthread_mutex_lock(&s->flock);
		v = s->gfar;
		pthread_mutex_unlock(&s->flock);
		return v;
	}
	if (n >= s->cfg.num_cb)
		return 0;
	switch (off & 0xfff) {
	case SIOMMU_SMMUV2_CB_TTBR0:	return s->banks[n].ttbr0;
	case SIOMMU_SMMUV2_CB_TTBR1:	return s->banks[n].ttbr1;
	case SIOMMU_SMMUV2_CB_FAR:
	case SIOMMU_SMMUV2_CB_IPAFAR:
		pthread_mutex_lock(&s->flock);
		v = (off & 0xfff) == SIOMMU_SMMUV2_CB_FAR ? s->bfault[n].far : s->bfault[n].ipafar;
		pthread_mutex_unlock(&s->flock);
		return v;
	}
	return 0;	/* PAR (no translation operations), write-only operations */
}

/* Is @off (8-aligned) a 64-bit register? Its value if so (lock held). */
static bool reg64_read(void *ctx, uint64_t off, uint64_t *val)
{
	if (!is_reg64(off))
		return false;
	*val = reg64_value(ctx, off);
	return true;
}

/* A 32-bit register's value (lock held). */
static uint32_t reg32_read(void *ctx, uint64_t off)
{
	struct siommu_smmuv2 *s = ctx;
	unsigned int n;
	uint32_t v = 0;

	if (off < GR1_BASE) {
		switch (off) {
		case SIOMMU_SMMUV2_SCR0:	return s->scr0;
		case SIOMMU_SMMUV2_SACR:	return s->sacr;
		case SIOMMU_SMMUV2_IDR0:	return s->idr[0];
		case SIOMMU_SMMUV2_IDR1:	return s->idr[1];
		case SIOMMU_SMMUV2_IDR2:	return s->idr[2];
		case SIOMMU_SMMUV2_SGFSR:
		case SIOMMU_SMMUV2_SGFSYNR0:
		case SIOMMU_SMMUV2_SGFSYNR1:
		case SIOMMU_SMMUV2_SGFSYNR2:
			pthread_mutex_lock(&s->flock);
			v = off == SIOMMU_SMMUV2_SGFSR ? s->gfsr :
			    off == SIOMMU_SMMUV2_SGFSYNR0 ? s->gfsynr0 :
			    off == SIOMMU_SMMUV2_SGFSYNR1 ? s->gfsynr1 : s->gfsynr2;
			pthread_mutex_unlock(&s->flock);
			return v;
		}
		if (off >= SIOMMU_SMMUV2_SMR(0) && off < SIOMMU_SMMUV2_SMR(128)) {
			n = (unsigned int)(off - SIOMMU_SMMUV2_SMR(0)) / 4;
			return n < s->cfg.num_smrg ? s->smr[n] : 0;
		}
		if (off >= SIOMMU_SMMUV2_S2CR(0) && off < SIOMMU_SMMUV2_S2CR(128)) {
			n = (unsigned int)(off - SIOMMU_SMMUV2_S2CR(0)) / 4;
			return n < s->cfg.num_smrg ? s->s2cr[n] : 0;
		}
		return 0;	/* sTLBGSTATUS (never active), IDR7, reserved */
	}
	if (off < 2 * GR1_BASE) {
		n = (unsigned int)(off & 0x3ff) / 4;
		if (n >= s->cfg.num_cb || off >= SIOMMU_SMMUV2_CBA2R(128))
			return 0;
		if (off < SIOMMU_SMMUV2_CBFRSYNRA(0))
			return s->cbar[n];
		if (off < SIOMMU_SMMUV2_CBA2R(0)) {
			pthread_mutex_lock(&s->flock);
			v = s->bfault[n].frsynra;
			pthread_mutex_unlock(&s->flock);
			return v;
		}
		return s->cba2r[n];
	}
	if (off < CB_BASE)
		return 0;
	n = (unsigned int)((off - CB_BASE) >> 12);
	if (n >= s->cfg.num_cb)
		return 0;
	switch (off & 0xfff) {
	case SIOMMU_SMMUV2_CB_SCTLR:		return s->banks[n].sctlr;
	case SIOMMU_SMMUV2_CB_ACTLR:		return s->banks[n].actlr;
	case SIOMMU_SMMUV2_CB_TCR2:		return s->banks[n].tcr2;
	case SIOMMU_SMMUV2_CB_TCR:		return s->banks[n].tcr;
	case SIOMMU_SMMUV2_CB_CONTEXTIDR:	return s->banks[n].contextidr;
	case SIOMMU_SMMUV2_CB_MAIR0:		return s->banks[n].mair0;
	case SIOMMU_SMMUV2_CB_MAIR1:		return s->banks[n].mair1;
	case SIOMMU_SMMUV2_CB_FSR:
	case SIOMMU_SMMUV2_CB_FSYNR0:
	case SIOMMU_SMMUV2_CB_FSYNR1:
		pthread_mutex_lock(&s->flock);
		v = (off & 0xfff) == SIOMMU_SMMUV2_CB_FSR ? s->bfault[n].fsr :
		    (off & 0xfff) == SIOMMU_SMMUV2_CB_FSYNR0 ? s->bfault[n].fsynr0 :
		    s->bfault[n].fsynr1;
		pthread_mutex_unlock(&s->flock);
		return v;
	}
	return 0;	/* RESUME, TLB operations, TLBSTATUS (never active), ATSR */
}

int SIOMMU_EXPORT siommu_smmuv2_mmio_read(struct siommu_smmuv2 *s, uint64_t offset,
					  unsigned int size, uint64_t *val)
{
	uint64_t r;

	if (!s || !mmio_access_ok(offset, size, SIOMMU_SMMUV2_MMIO_SIZE) || !val)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	r = mmio_read_compose(s, offset, size, reg64_read, reg32_read);
	pthread_mutex_unlock(&s->lock);
	*val = r;
	return 0;
}

int SIOMMU_EXPORT siommu_smmuv2_mmio_write(struct siommu_smmuv2 *s, uint64_t offset,
					   unsigned int size, uint64_t val)
{
	const struct siommu_smmuv2_ops *ops;
	unsigned int held = 0, n = 0;
	bool retry = false;

	if (!s || !mmio_access_ok(offset, size, SIOMMU_SMMUV2_MMIO_SIZE))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (is_reg64(offset & ~7ull) || size == 4) {
		if (offset >= CB_BASE) {
			n = (unsigned int)((offset - CB_BASE) >> 12);
			if (n < s->cfg.num_cb)
				held = cb_write(s, n, offset & 0xfff, val, size, &retry);
		} else if (offset >= GR1_BASE) {
			if (offset < 2 * GR1_BASE)
				gr1_write(s, offset, (uint32_t)val);
		} else {
			gr0_write(s, offset, val, size);
		}
	} else {
		/* A 64-bit write of two 32-bit registers: the low one first. */
		pthread_mutex_unlock(&s->lock);
		siommu_smmuv2_mmio_write(s, offset, 4, (uint32_t)val);
		return siommu_smmuv2_mmio_write(s, offset + 4, 4, val >> 32);
	}
	ops = s->ops;
	pthread_mutex_unlock(&s->lock);
	if (held && ops && ops->stall_end)
		ops->stall_end(s->ops_opaque, n, retry);
	return 0;
}
