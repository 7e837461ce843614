/* SPDX-License-Identifier: MIT */
/*
 * Transactions: untranslated translation (SMMUv3 3.2-3.4), ATS
 * translation requests (3.9), DMA and translate-and-access.
 *
 * The hit path copies an entry of the combined cache (smmuv3_internal.h,
 * struct xc_slot) by value under its sequence count and enters no RCU
 * section. Anything else goes through the STE, CD and TLB caches and the
 * walk inside one. A combined entry is made when the TLB answers: a walk
 * fills the TLB alone, and the next request for the page, finding that
 * entry, fills the combined cache. A page translated once costs one fill
 * (one compare-and-swap), and pages that overrun the TLB do not churn the
 * combined cache. DMA and access keep a section open from the translation
 * until the copy or callback is done, so a CMD_SYNC (which waits for a grace period)
 * cannot complete while memory is still being accessed through a
 * translation it removed. Events are recorded outside the section: their
 * lock must never be waited for by a thread inside one.
 */
#include <errno.h>
#include <string.h>

#include "hw/smmuv3/smmuv3_internal.h"
#include "hw/common/dma.h"
#include "hw/common/xc.h"
#include "mem/mem_internal.h"

static inline_hot unsigned int perm_shift(const struct siommu_smmuv3_req *req)
{
	return req->priv ? PERM_PRIV_SHIFT : 0;
}

/* The TLB entry of (@kind, @asid, @vmid, @va) as the piece of @iova, if
 * there is one and it grants @access to this requester; *xc (if not NULL)
 * is its output word for the combined cache. */
static inline_hot bool tlb_piece(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
				 unsigned int kind, uint16_t asid, uint16_t vmid, uint64_t va,
				 uint32_t access, uint64_t iova, struct xc_piece *p, uint64_t *xc)
{
	uint64_t out, word;
	int level = smmu_tlb_lookup(s, kind, asid, vmid, va, &out);

	if (level < 0)
		return false;
	word = xc_out_word(out & ~TLB_OUT_MASK, (unsigned int)level, iova & ~0xfffull,
			   TLB_OUT_PERM(out), kind != TLB_S2 ? XC_OUT_CD : 0);
	if (!xc_out_piece(word, iova, perm_shift(req), access, p))
		return false;
	if (xc)
		*xc = word;
	return true;
}

/* Count a combined hit whose output word is @out. */
static inline_hot void xc_count(struct siommu_smmuv3 *s, uint64_t out)
{
	stripe_inc(smmu_stripe(s), out & XC_OUT_CD ? ST_XC_HIT_S1 : ST_XC_HIT_S2);
}

/* The hit path: an entry of the combined cache, one probe. SMMUEN needs
 * no test: entries are made only while it is set, and clearing it ends
 * them (xl_publish()). */
static inline_hot bool xc_hit(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			      uint32_t access, uint64_t iova, struct xc_piece *p)
{
	uint64_t out;

	if (likely(smmu_xc_lookup(s, XC_KEY(req->sid, req->ssv, req->ssid),
				  iova & ~0xfffull, &out)) &&
	    likely(xc_out_piece(out, iova, perm_shift(req), access, p))) {
		xc_count(s, out);
		return true;
	}
	return false;
}

/* The requester's access against a walk's permissions: the stage that
 * refuses it gives F_PERMISSION (stage 1 is looked at first). */
static int perm_fault(const struct smmu_cfg *c, const struct smmu_walk_out *o,
		      uint32_t access, unsigned int shift, struct smmu_fault *f)
{
	uint32_t need = access << shift;

	memset(f, 0, sizeof(*f));
	f->event = SIOMMU_SMMUV3_F_PERMISSION;
	f->class = EV_CLASS_IN;
	if (need & ~o->s1_perm) {
		f->record = c->s1.rec;
		f->stall = c->s1.stall;
		return -1;
	}
	if (need & ~o->perm) {
		f->s2 = true;
		f->ipa = o->ipa;
		f->record = c->st.s2.rec;
		f->stall = c->st.s2.stall;
		return -1;
	}
	return 0;
}

/*
 * The TLB under a configuration just fetched: entries are tagged by ASID
 * and VMID, not by stream, so another stream's or substream's walk may
 * have filled what this one needs (SMMUv3 3.17).
 */
static bool cfg_tlb_hit(struct siommu_smmuv3 *s, const struct smmu_cfg *c,
			const struct siommu_smmuv3_req *req, struct xc_piece *p, uint64_t *xc)
{
	uint64_t va = req->iova;
	unsigned int kind;
	uint16_t asid = 0;

	switch (c->config) {
	case STE_CFG_S1:
	case STE_CFG_NEST:
		kind = c->config == STE_CFG_S1 ? TLB_S1 : TLB_NEST;
		asid = c->s1.asid;
		if (c->s1.tbi[(va >> 55) & 1])
			va = va_canon(va);
		break;
	case STE_CFG_S2:
		kind = TLB_S2;
		break;
	default:
		return false;
	}
	return tlb_piece(s, req, kind, asid, c->st.vmid, va, req->access, req->iova, p, xc);
}

/*
 * Translate the page of @iova for @req with @access, walking on a miss
 * (inside a read-side section of its own, which nests). Returns 0 with *p,
 * or -1 with *f (not yet recorded). ATS requests get page-table faults as
 * a result without permissions, not as faults.
 */
static inline_hot int xlate_walk_inline(struct siommu_smmuv3 *s,
					const struct siommu_smmuv3_req *req,
					enum smmu_kind kind, uint32_t access, uint64_t iova,
					struct xc_piece *p, struct smmu_fault *f)
{
	/* The generation before SMMUEN: clearing SMMUEN publishes it, then
	 * moves the generation, so a fill under a generation that saw the
	 * move never saw SMMUEN set (struct xc_slot). */
	uint64_t gen = smmu_gen(s), xc;
	uint32_t xl = LOAD_ACQUIRE(s->xl);
	struct siommu_smmuv3_req r = *req;
	struct smmu_walk_out o;
	struct smmu_cfg c;
	int ret;

	r.iova = iova;
	r.access = access;
	if (!(xl & XL_EN)) {
		/* SMMUEN clear: GBPA decides (SMMUv3 6.3.14). */
		if (xl & XL_ABORT) {
			memset(f, 0, sizeof(*f));
			return -1;
		}
		p->size = SIOMMU_SZ_4K;
		p->base = p->out = iova & ~0xfffull;
		p->addr = iova;
		p->perm = ACC_ALL;
		return 0;
	}
	smmu_read_lock(s);
	ret = smmu_config(s, &r, gen, &c, f);
	if (!ret && kind == KIND_ATS && STE1_EATS(c.st.ste[1]) != 1) {
		memset(f, 0, sizeof(*f));
		f->event = SIOMMU_SMMUV3_F_BAD_ATS_TREQ;
		f->record = true;
		ret = -1;
	}
	if (!ret && cfg_tlb_hit(s, &c, &r, p, &xc)) {
		if (kind == KIND_UNTRANSLATED)
			smmu_xc_fill(s, gen, XC_KEY(req->sid, req->ssv, req->ssid),
				     iova & ~0xfffull, xc);
		smmu_read_unlock(s);
		smmu_stat_inc(s, ST_TLB_HIT);
		return 0;
	}
	if (!ret) {
		smmu_stat_inc(s, ST_TLB_MISS);
		ret = smmu_walk(s, &r, &c, &o);
		if (ret)
			*f = o.f;
		else if (o.tlb_kind)
			smmu_tlb_fill(s, gen, o.tlb_kind, o.level, o.asid, o.vmid, o.page,
				      o.out | o.perm);
	}
	smmu_read_unlock(s);
	if (kind == KIND_ATS) {
		if (ret && f->event >= SIOMMU_SMMUV3_F_TRANSLATION &&
		    f->event <= SIOMMU_SMMUV3_F_PERMISSION && f->event != SIOMMU_SMMUV3_F_ADDR_SIZE) {
			/* SMMUv3 3.9.1: a translation that does not exist is
			 * a completion without permissions, not an event. */
			p->size = SIOMMU_SZ_4K;
			p->base = iova & ~0xfffull;
			p->out = p->addr = 0;
			p->perm = 0;
			return 0;
		}
		if (ret) {
			f->stall = false;
			if (f->ats_quiet)
				f->record = false;
			return -1;
		}
	} else if (ret || perm_fault(&c, &o, access, perm_shift(req), f)) {
		return -1;
	}
	p->size = level_size(o.level);
	p->base = iova & ~(p->size - 1);
	p->out = o.out;
	p->addr = o.out + (iova & (p->size - 1));
	p->perm = (o.perm >> perm_shift(req)) & ACC_ALL;
	return 0;
}

/* xlate_walk_inline() for the callers that are not translate_miss(), which
 * takes it inline so that its piece never goes through memory. */
static __attribute__((noinline)) int
xlate_walk(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
	   enum smmu_kind kind, uint32_t access, uint64_t iova, struct xc_piece *p,
	   struct smmu_fault *f)
{
	return xlate_walk_inline(s, req, kind, access, iova, p, f);
}

/* Record @f for @req (outside any read-side section) and describe it in
 * *res (may be NULL). Returns -EAGAIN for a stall, else -EFAULT. */
static int fault_report(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			uint32_t access, uint64_t iova, const struct smmu_fault *f,
			struct siommu_smmuv3_xlate *res)
{
	struct siommu_smmuv3_req r = *req;
	unsigned int msi = 0;
	uint16_t stag = 0;
	bool rec;
	int stalled;

	r.iova = iova;
	r.access = access;
	stalled = smmu_event_fault(s, &r, f, &rec, &stag, &msi);
	smmu_msi_deliver(s, msi);
	if (res) {
		memset(res, 0, sizeof(*res));
		res->event = f->event;
		res->event_recorded = rec;
		res->stalled = stalled;
		res->stag = stalled ? stag : 0;
	}
	return stalled ? -EAGAIN : -EFAULT;
}

/* Field by field, as the hit path writes them: a whole-struct copy from a
 * piece just stored would wait on those stores. */
static inline_hot void res_fill(struct siommu_smmuv3_xlate *res, const struct xc_piece *p)
{
	res->addr = p->addr;
	res->iova_base = p->base;
	res->addr_base = p->out;
	res->size = p->size;
	res->perm = p->perm;
	res->event = 0;
	res->event_recorded = false;
	res->stalled = false;
	res->stag = 0;
}

static int req_check(const struct siommu_smmuv3_req *req, bool need_access)
{
	if (!req)
		return -EINVAL;
	if (need_access && (!req->access || (req->access & ~ACC_ALL)))
		return -EINVAL;
	if (req->ssv && req->ssid > 0xfffff)
		return -EINVAL;
	return 0;
}

/* siommu_smmuv3_translate() past a miss of the combined cache. Out of
 * line, so that the hit path's piece stays in registers. */
static __attribute__((noinline)) int
translate_miss(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
	       struct siommu_smmuv3_xlate *res)
{
	struct smmu_fault f;
	struct xc_piece p;

	if (!xlate_walk_inline(s, req, KIND_UNTRANSLATED, req->access, req->iova, &p, &f)) {
		res_fill(res, &p);
		return 0;
	}
	return fault_report(s, req, req->access, req->iova, &f, res);
}

int SIOMMU_EXPORT siommu_smmuv3_translate(struct siommu_smmuv3 *s,
					  const struct siommu_smmuv3_req *req,
					  struct siommu_smmuv3_xlate *res)
{
	struct xc_piece p;
	uint64_t key, out;

	/* The hit path: the checks of req_check() in two tests, one probe of
	 * the combined cache, *res written from registers. Anything else is
	 * translate_miss()'s. */
	if (unlikely(!req || !res))
		return -EINVAL;
	if (unlikely(!smmu_req_key(req, &key) | (req->access - 1u >= ACC_ALL)))
		return -EINVAL;
	if (likely(smmu_xc_lookup(s, key, req->iova & ~0xfffull, &out)) &&
	    likely(xc_out_piece(out, req->iova, perm_shift(req), req->access, &p))) {
		res_fill(res, &p);
		xc_count(s, out);
		return 0;
	}
	return translate_miss(s, req, res);
}

int SIOMMU_EXPORT siommu_smmuv3_ats_translate(struct siommu_smmuv3 *s,
					      const struct siommu_smmuv3_req *req,
					      struct siommu_smmuv3_xlate *res)
{
	struct smmu_fault f;
	struct xc_piece p;

	if (req_check(req, true) || !res)
		return -EINVAL;
	if (!(s->cfg.features & SIOMMU_SMMUV3_F_ATS))
		return -ENOTSUP;
	/* SMMUEN clear: ATS translation requests are not answered with a
	 * translation (SMMUv3 3.9.1.1). */
	if (!(LOAD_ACQUIRE(s->xl) & XL_EN)) {
		memset(res, 0, sizeof(*res));
		return -EFAULT;
	}
	if (!xlate_walk(s, req, KIND_ATS, req->access, req->iova, &p, &f)) {
		res_fill(res, &p);
		return 0;
	}
	return fault_report(s, req, req->access, req->iova, &f, res);
}

/* A transfer's request and the fault its piece met, for
 * dma_for_each_piece()'s callbacks. */
struct pieces {
	struct siommu_smmuv3 *s;
	const struct siommu_smmuv3_req *req;
	struct siommu_smmuv3_xlate *res;
	uint32_t access;
	struct smmu_fault f;
};

static inline_hot int piece_xlate(void *ctx, uint64_t iova, uint64_t left,
				  struct dma_piece *dp)
{
	struct pieces *t = ctx;
	struct xc_piece p;

	(void)left;
	if (!xc_hit(t->s, t->req, t->access, iova, &p) &&
	    xlate_walk(t->s, t->req, KIND_UNTRANSLATED, t->access, iova, &p, &t->f))
		return DMA_PIECE_FAULT;
	dp->addr = p.addr;
	dp->avail = p.base + p.size - iova;
	return 0;
}

static int piece_report(void *ctx, uint64_t iova)
{
	struct pieces *t = ctx;

	return fault_report(t->s, t->req, t->access, iova, &t->f, t->res);
}

/* [req->iova, + len) page by page (hw/common/dma.h). */
static int for_each_piece(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			  uint32_t access, size_t len, size_t *done,
			  struct siommu_smmuv3_xlate *res,
			  int (*copy)(void *arg, void *host, size_t n, size_t off), void *arg)
{
	struct pieces t = { .s = s, .req = req, .res = res, .access = access };

	if (res)
		memset(res, 0, sizeof(*res));
	return dma_for_each_piece(&s->rcu, s->mem, req->iova, len, done, piece_xlate,
				  piece_report, copy, arg, &t);
}

/*
 * A transfer within one 4K page whose translation is in the combined cache
 * and lands in RAM: the common DMA, in one short path (hw/common/dma.h).
 * Returns false, having copied nothing, for anything else (the checks of
 * the request included), which for_each_piece() then does.
 */
static inline_hot bool dma_fast(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
				void *buf, size_t len, size_t *done,
				struct siommu_smmuv3_xlate *res, bool write)
{
	uint32_t access = write ? SIOMMU_SMMUV3_WRITE : SIOMMU_SMMUV3_READ;
	struct xc_hit h;

	if (unlikely(!req) || unlikely(!smmu_req_key(req, &h.key)))
		return false;
	h.x = &s->xc;
	h.gen = &s->inv_gen;
	h.iova = req->iova;
	h.need = (uint64_t)access << perm_shift(req);
	if (!dma_one_page(&s->rcu, s->mem, xc_hit_pa, &h, req->iova, buf, len, write))
		return false;
	xc_count(s, h.out);
	if (done)
		*done = len;
	if (res)
		memset(res, 0, sizeof(*res));
	return true;
}

/* A transfer the one-page path did not take, page by page. Out of line,
 * so that the one-page path keeps a small frame. */
static __attribute__((noinline)) int
dma_pages(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req, void *buf,
	  size_t len, size_t *done, struct siommu_smmuv3_xlate *res, bool write)
{
	if (done)
		*done = 0;
	if (req_check(req, false) || (len && !buf))
		return -EINVAL;
	return for_each_piece(s, req, write ? SIOMMU_SMMUV3_WRITE : SIOMMU_SMMUV3_READ, len,
			      done, res, write ? dma_copy_in : dma_copy_out, buf);
}

static inline_hot int dma(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			  void *buf, size_t len, size_t *done,
			  struct siommu_smmuv3_xlate *res, bool write)
{
	if (dma_fast(s, req, buf, len, done, res, write))
		return 0;
	return dma_pages(s, req, buf, len, done, res, write);
}

int SIOMMU_EXPORT siommu_smmuv3_dma_read(struct siommu_smmuv3 *s,
					 const struct siommu_smmuv3_req *req, void *buf,
					 size_t len, size_t *done,
					 struct siommu_smmuv3_xlate *res)
{
	return dma(s, req, buf, len, done, res, false);
}

int SIOMMU_EXPORT siommu_smmuv3_dma_write(struct siommu_smmuv3 *s,
					  const struct siommu_smmuv3_req *req,
					  const void *buf, size_t len, size_t *done,
					  struct siommu_smmuv3_xlate *res)
{
	return dma(s, req, (void *)buf, len, done, res, true);
}

struct access_arg {
	siommu_smmuv3_access_fn fn;
	void *arg;
};

static int access_piece(void *arg, void *host, size_t n, size_t off)
{
	struct access_arg *a = arg;

	return a->fn(a->arg, host, n, off);
}

int SIOMMU_EXPORT siommu_smmuv3_access(struct siommu_smmuv3 *s,
				       const struct siommu_smmuv3_req *req,
				       siommu_smmuv3_access_fn fn, void *arg,
				       struct siommu_smmuv3_xlate *res)
{
	struct access_arg a = { fn, arg };

	if (req_check(req, true) || !fn)
		return -EINVAL;
	return for_each_piece(s, req, req->access, req->len ? req->len : 1, NULL, res,
			      access_piece, &a);
}
