/* SPDX-License-Identifier: MIT */
/*
 * Requests: untranslated translation (VT-d 3.4-3.9), ATS translation
 * requests (VT-d 4.2), DMA and translate-and-access.
 *
 * The IOTLB-hit path copies an entry by value under its sequence count and
 * enters no RCU section. A miss walks inside one. DMA and access keep one
 * open from the translation until the copy or callback is done, so a wait
 * descriptor (which waits for a grace period) cannot complete while memory
 * is still being accessed through a translation it removed.
 */
#include <errno.h>
#include <string.h>

#include "hw/vtd/vtd_internal.h"
#include "hw/common/dma.h"
#include "mem/mem_internal.h"

#define ACCESS_ALL (SIOMMU_VTD_READ | SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC)

_Static_assert(ACCESS_ALL == 7, "access bits");

static bool in_intr_window(uint64_t addr, uint64_t last)
{
	return addr <= INTR_LAST && last >= INTR_BASE;
}

static uint32_t access_fault(const struct iotlb_ent *e, uint32_t access, bool priv)
{
	uint32_t perm = priv ? e->perm_s : e->perm_u;

	/* VT-d 3.6.2: a user request through a supervisor-only first-stage
	 * mapping. */
	if (!priv && !perm && (e->pgtt == PGTT_FS || e->pgtt == PGTT_NEST))
		return SIOMMU_VTD_FR_FS_USER;
	return vtd_perm_check(access, perm);
}

static void fault_fill(struct vtd_fault *f, const struct siommu_vtd_req *req,
		       uint32_t reason, bool fpd)
{
	f->sid = req->rid;
	f->pp = req->pasid_present;
	f->pasid = req->pasid_present ? req->pasid : 0;
	f->addr = req->iova;
	f->reason = (uint8_t)reason;
	f->write = req->access & SIOMMU_VTD_WRITE;
	f->priv = req->priv;
	f->exec = req->access & SIOMMU_VTD_EXEC;
	f->prq = false;
	f->fpd = fpd;
}

/*
 * What the IOTLB-hit path needs of a request, derived once per call (a DMA
 * of many pages uses it for each): the level-0 tag, the access placed over
 * the entry's fast-path permissions (IOTLB_OUT_FAST) for this kind of
 * requester, and where its permissions are.
 */
struct hit_req {
	uint64_t key0;		/* IOTLB_KEY(rid, pp, pasid, 0) */
	uint64_t need;		/* access << (IOTLB_OUT_FAST_SHIFT + perm_shift) */
	unsigned int perm_shift; /* 3 for privileged requests with PASID */
};

/* The request's level-0 IOTLB tag. */
static inline_hot uint64_t req_key0(const struct siommu_vtd_req *req)
{
	bool pp = req->pasid_present;

	return IOTLB_KEY(req->rid, pp, pp ? req->pasid : 0, 0);
}

static inline_hot void hit_req_init(struct hit_req *h, const struct siommu_vtd_req *req,
				    uint32_t access)
{
	bool pp = req->pasid_present;

	h->key0 = req_key0(req);
	/* Without PASID the cached permissions already are RID_PRIV's. */
	h->perm_shift = 3u * (pp & req->priv);
	h->need = (uint64_t)access << (IOTLB_OUT_FAST_SHIFT + h->perm_shift);
}

/*
 * A hit's last steps: the access against the entry's fast-path
 * permissions (anything they refuse, including writes that must set D and
 * pages touching the interrupt range, takes the slow path), then *res.
 */
static inline_hot bool hit_finish(struct siommu_vtd *v, const struct hit_req *h,
				  uint64_t iova, uint64_t page, uint64_t size,
				  uint64_t out, struct siommu_vtd_xlate *res)
{
	uint64_t base = out & ~IOTLB_OUT_MASK;

	if (unlikely(h->need & ~out))
		return false;
	res->addr = base + (iova - page);
	res->iova_base = page;
	res->addr_base = base;
	res->size = size;
	res->perm = (uint32_t)(out >> h->perm_shift) & 7;
	vtd_stat_inc(v, ST_IOTLB_HIT);
	return true;
}

/* The hit path for 2M and 1G entries, out of line so that the 4K probe
 * stays small. */
static __attribute__((noinline)) bool
xlate_hit_large(struct siommu_vtd *v, struct hit_req hr, uint32_t levels,
		uint64_t iova, struct siommu_vtd_xlate *res)
{
	const struct hit_req *h = &hr;
	unsigned int level;

	for (level = 1; level < 3; level++) {
		uint64_t key = h->key0 | ((uint64_t)level << 37);
		uint64_t size = level_size(level), page = iova & ~(size - 1), out;
		int hit;

		if (!(levels & (1u << level)))
			continue;
		hit = iotlb_probe(iotlb_set(v, key, page), v->iotlb_last_way, key, page, &out);
		if (hit)
			return hit > 0 && hit_finish(v, h, iova, page, size, out, res);
	}
	return false;
}

/*
 * Translate one page. Returns 0 with *res set, or -EFAULT with *f
 * describing the fault (not yet recorded). For ATS, page-table faults
 * return 0 with the permissions the device gets (possibly none).
 */
static inline_hot int xlate_slow(struct siommu_vtd *v, const struct siommu_vtd_req *req,
				  enum vtd_kind kind, struct siommu_vtd_xlate *res,
				  struct vtd_fault *f)
{
	uint64_t xl = LOAD_ACQUIRE(v->xl);
	bool pp = req->pasid_present, priv = pp && req->priv;
	struct vtd_walk_out o;
	struct iotlb_ent *e = &o.ent;
	struct vtd_stripe *st;
	uint32_t fr, perm;

	if (unlikely(!(xl & XL_TE))) {
		/* Translation disabled: DMA goes through untranslated. */
		res->addr = req->iova;
		res->iova_base = req->iova & ~0xfffull;
		res->addr_base = res->iova_base;
		res->size = 4096;
		res->perm = ACCESS_ALL;
		return 0;
	}
	/* ATS requests return the permissions of a cached entry even when
	 * they lack the one asked for. */
	/* A hit on a page that touches the interrupt range walks, which
	 * tells whether its fault is under FPD. */
	if (kind == KIND_ATS && vtd_iotlb_lookup(v, req->rid, pp,
						 pp ? req->pasid : 0, req->iova, e) &&
	    !in_intr_window(e->out, e->out + (level_size(e->level) - 1))) {
		perm = priv ? e->perm_s : e->perm_u;
		if (!(req->access & SIOMMU_VTD_WRITE) || e->dirty) {
			vtd_stat_inc(v, ST_IOTLB_HIT);
			goto out_found;
		}
	}
	st = vtd_stripe(v);
	stripe_inc(st, ST_IOTLB_MISS);
	{
		/* vtd_read_lock(), keeping the slot for the exit. */
		struct rcu_slot *rs = rcu_read_lock_slot(&v->rcu);
		uint64_t gen = vtd_gen(v);

		fr = vtd_walk(v, req, kind, gen, st, &o);
		if (!fr && o.cacheable)
			vtd_iotlb_fill(v, gen, e);
		rcu_read_unlock_slot(&v->rcu, rs);
	}
	if (fr) {
		if (kind == KIND_ATS && fr >= SIOMMU_VTD_FR_FS_ACCESS) {
			/* ATS: a page-table fault is a completion without
			 * permissions, not a fault (VT-d 4.2.3). */
			memset(res, 0, sizeof(*res));
			res->iova_base = req->iova & ~0xfffull;
			res->size = 4096;
			return 0;
		}
		fault_fill(f, req, fr, o.fpd);
		return -EFAULT;
	}
	/* Requests without PASID: the cached permissions already are RID_PRIV's. */
	perm = priv ? e->perm_s : e->perm_u;
	if (kind != KIND_ATS) {
		fr = access_fault(e, req->access, priv);
		if (fr) {
			fault_fill(f, req, fr, o.fpd);
			return -EFAULT;
		}
	}
out_found:
	res->iova_base = e->page;
	res->size = level_size(e->level);
	res->addr_base = e->out;
	res->addr = e->out + (req->iova - e->page);
	res->perm = perm;
	/* VT-d 3.14: no translated address may land in the interrupt range;
	 * the request's part of the page is looked at only if the page
	 * touches it. */
	if (unlikely(in_intr_window(e->out, e->out + (res->size - 1)))) {
		uint64_t len = req->len ? req->len : 1, room = res->size - (req->iova - e->page);
		uint64_t last = res->addr + (len < room ? len : room) - 1;

		if (in_intr_window(res->addr, last)) {
			/* Qualified: FPD of the structures walked applies. */
			fault_fill(f, req, SIOMMU_VTD_FR_INTR_RANGE, o.fpd);
			return -EFAULT;
		}
	}
	return 0;
}

/* xlate_slow() for ATS and for pieces of a transfer; translate_miss() has
 * a copy of its own. */
static __attribute__((noinline)) int
xlate_slow_call(struct siommu_vtd *v, const struct siommu_vtd_req *req,
		enum vtd_kind kind, struct siommu_vtd_xlate *res, struct vtd_fault *f)
{
	return xlate_slow(v, req, kind, res, f);
}

static int req_check(const struct siommu_vtd_req *req, bool need_access)
{
	if (!req)
		return -EINVAL;
	if (need_access && (!req->access || (req->access & ~ACCESS_ALL)))
		return -EINVAL;
	if (req->pasid_present && req->pasid > 0xfffff)
		return -EINVAL;
	return 0;
}

static int no_pasid_intr(const struct siommu_vtd_req *req, uint64_t iova)
{
	/* VT-d 3.14: without PASID, writes to 0xFEEx_xxxx are interrupts. */
	return !req->pasid_present && iova >= INTR_BASE && iova <= INTR_LAST;
}

static void fault_report(struct siommu_vtd *v, const struct vtd_fault *f,
			 struct siommu_vtd_xlate *res)
{
	unsigned int msi = 0;
	bool rec = vtd_fault_record(v, f, &msi);

	vtd_msi_deliver(v, msi);
	if (res) {
		memset(res, 0, sizeof(*res));
		res->fault_reason = f->reason;
		res->fault_recorded = rec;
	}
}

/* siommu_vtd_translate() past its checks of the request, with no usable
 * IOTLB entry: the walk. */
static __attribute__((noinline)) int
translate_miss(struct siommu_vtd *v, const struct siommu_vtd_req *req,
	       struct siommu_vtd_xlate *res)
{
	struct vtd_fault f;
	int ret;

	res->fault_reason = 0;
	res->fault_recorded = false;
	ret = xlate_slow(v, req, KIND_UNTRANSLATED, res, &f);
	if (ret)
		fault_report(v, &f, res);
	return ret;
}

static __attribute__((noinline)) int
translate_slow(struct siommu_vtd *v, const struct siommu_vtd_req *req,
	       struct siommu_vtd_xlate *res)
{
	if (req_check(req, true) || !res)
		return -EINVAL;
	if (no_pasid_intr(req, req->iova))
		return -ENOTSUP;
	return translate_miss(v, req, res);
}

/* siommu_vtd_translate() past a 4K probe that found nothing: large pages,
 * then the slow path. */
static __attribute__((noinline)) int
translate_large(struct siommu_vtd *v, const struct siommu_vtd_req *req,
		struct siommu_vtd_xlate *res, uint32_t levels)
{
	struct hit_req h;

	hit_req_init(&h, req, req->access);
	if (xlate_hit_large(v, h, levels, req->iova, res)) {
		res->fault_reason = 0;
		res->fault_recorded = false;
		return 0;
	}
	return translate_miss(v, req, res);
}

int SIOMMU_EXPORT siommu_vtd_translate(struct siommu_vtd *v,
				       const struct siommu_vtd_req *req,
				       struct siommu_vtd_xlate *res)
{
	uint32_t levels;

	/*
	 * The IOTLB-hit path: no lock, no RCU section, the entry copied by
	 * value under its sequence count. It stays small: every way out of
	 * it is a return or a tail call: bad arguments and the interrupt
	 * window go to translate_slow(), which checks everything; a miss, or
	 * an access the entry's fast-path permissions refuse, to
	 * translate_miss(), which need not check again.
	 *
	 * TE is not tested here: turning translation off (or pointing
	 * RTADDR elsewhere) flushes the IOTLB, and xlate_slow() fills
	 * nothing while TE is clear, so a hit comes from an entry that was
	 * valid when the GCMD write began; a request racing with that
	 * write may see either state.
	 */
	if (unlikely(!req || !res || req->access - 1u >= ACCESS_ALL ||
		     (req->pasid_present ? req->pasid > 0xfffff :
		      req->iova - INTR_BASE <= INTR_LAST - INTR_BASE)))
		return translate_slow(v, req, res);
	if (likely(READ_ONCE(v->iotlb_levels) & 1)) {
		uint64_t page = req->iova & ~0xfffull, out, key = req_key0(req);
		struct hit_req h;
		int hit;

		/* The rest of the request is wanted only after a hit: fewer
		 * values live across the probe. */
		hit = iotlb_probe(iotlb_set(v, key, page), v->iotlb_last_way, key, page,
				  &out);
		if (likely(hit > 0)) {
			hit_req_init(&h, req, req->access);
			if (unlikely(!hit_finish(v, &h, req->iova, page, SIOMMU_SZ_4K,
						 out, res)))
				return translate_miss(v, req, res);
			res->fault_reason = 0;
			res->fault_recorded = false;
			return 0;
		}
		if (hit < 0)
			return translate_miss(v, req, res);
	}
	levels = READ_ONCE(v->iotlb_levels);
	if (levels & 6)
		return translate_large(v, req, res, levels);
	return translate_miss(v, req, res);
}

int SIOMMU_EXPORT siommu_vtd_ats_translate(struct siommu_vtd *v,
					   const struct siommu_vtd_req *req,
					   struct siommu_vtd_xlate *res)
{
	struct vtd_fault f;
	int ret = req_check(req, true);

	if (ret || !res)
		return -EINVAL;
	if (!(v->cfg.caps & SIOMMU_VTD_CAP_DT))
		return -ENOTSUP;
	if (no_pasid_intr(req, req->iova))
		return -ENOTSUP;
	res->fault_reason = 0;
	res->fault_recorded = false;
	ret = xlate_slow_call(v, req, KIND_ATS, res, &f);
	if (ret)
		fault_report(v, &f, res);
	return ret;
}

/* Where a piece of a transfer goes: the output address of its first byte
 * and the bytes of its page from there on (0: no translation). */
struct piece {
	uint64_t addr;
	uint64_t avail;
};

/* A transfer's IOTLB hit on a 4K entry, kept in registers (TE needs no
 * test: see siommu_vtd_translate()). The caller counts the hit. */
static inline_hot bool piece_hit(struct siommu_vtd *v, const struct hit_req *h,
				 uint64_t iova, struct piece *p)
{
	uint32_t levels = READ_ONCE(v->iotlb_levels);
	uint64_t page = iova & ~0xfffull, out;

	if (likely(levels & 1) &&
	    likely(iotlb_probe(iotlb_set(v, h->key0, page), v->iotlb_last_way,
			       h->key0, page, &out) > 0) &&
	    likely(!(h->need & ~out))) {
		p->addr = (out & ~IOTLB_OUT_MASK) + (iova & 0xfff);
		p->avail = SIOMMU_SZ_4K - (iova & 0xfff);
		return true;
	}
	return false;
}

/*
 * Any other translation of a transfer's piece: large pages, then the slow
 * path. Returns the piece, or avail 0 with *ret the error and *f the
 * fault to report.
 */
static __attribute__((noinline)) struct piece
piece_slow(struct siommu_vtd *v, const struct siommu_vtd_req *req, struct hit_req h,
	   uint32_t access, uint64_t iova, uint64_t left, int *ret, struct vtd_fault *f)
{
	uint32_t levels = READ_ONCE(v->iotlb_levels);
	struct siommu_vtd_xlate x;
	struct piece p = { 0, 0 };

	if (!((levels & 6) && xlate_hit_large(v, h, levels, iova, &x))) {
		struct siommu_vtd_req r = *req;

		r.access = access;
		r.iova = iova;
		r.len = left;
		*ret = xlate_slow_call(v, &r, KIND_UNTRANSLATED, &x, f);
		if (*ret)
			return p;
	}
	p.addr = x.addr;
	p.avail = x.iova_base + x.size - iova;
	return p;
}

/* A transfer's request and the error and fault its piece met, for
 * dma_for_each_piece()'s callbacks. */
struct pieces {
	struct siommu_vtd *v;
	const struct siommu_vtd_req *req;
	struct siommu_vtd_xlate *res;
	struct hit_req h;
	uint32_t access;
	int ret;
	struct vtd_fault f;
};

static inline_hot int piece_xlate(void *ctx, uint64_t iova, uint64_t left,
				  struct dma_piece *dp)
{
	struct pieces *t = ctx;
	struct piece p;

	if (no_pasid_intr(t->req, iova))
		return -ENOTSUP;
	if (likely(piece_hit(t->v, &t->h, iova, &p))) {
		vtd_stat_inc(t->v, ST_IOTLB_HIT);
	} else {
		p = piece_slow(t->v, t->req, t->h, t->access, iova, left, &t->ret, &t->f);
		if (!p.avail)
			return DMA_PIECE_FAULT;
	}
	dp->addr = p.addr;
	dp->avail = p.avail;
	return 0;
}

static int piece_report(void *ctx, uint64_t iova)
{
	struct pieces *t = ctx;

	(void)iova;
	fault_report(t->v, &t->f, t->res);
	return t->ret;
}

/* [req->iova, + len) page by page (hw/common/dma.h). */
static inline_hot int for_each_piece(struct siommu_vtd *v, const struct siommu_vtd_req *req,
				      uint32_t access, size_t len, size_t *done,
				      struct siommu_vtd_xlate *res,
				      int (*copy)(void *arg, void *host, size_t n, size_t off),
				      void *arg)
{
	struct pieces t = { .v = v, .req = req, .res = res, .access = access };

	if (res)
		memset(res, 0, sizeof(*res));
	hit_req_init(&t.h, req, access);
	return dma_for_each_piece(&v->rcu, v->mem, req->iova, len, done, piece_xlate,
				  piece_report, copy, arg, &t);
}

/* A one-page transfer's IOTLB probe (dma_one_page()'s @hit). */
struct page_hit {
	struct siommu_vtd *v;
	struct hit_req h;
	uint64_t iova;
};

static inline_hot bool page_hit_pa(void *ctx, uint64_t *pa)
{
	struct page_hit *ph = ctx;
	struct piece p;

	if (!piece_hit(ph->v, &ph->h, ph->iova, &p))
		return false;
	*pa = p.addr;
	return true;
}

/*
 * A transfer within one 4K page whose translation hits a 4K IOTLB entry
 * and lands in RAM: the common DMA, in one short path (hw/common/dma.h).
 * Returns false, having copied nothing, for anything else (the checks of
 * the request included), which for_each_piece() then does.
 */
static inline_hot bool dma_fast(struct siommu_vtd *v, const struct siommu_vtd_req *req,
				uint32_t access, void *buf, size_t len, size_t *done,
				struct siommu_vtd_xlate *res, bool write)
{
	struct page_hit ph;

	if (unlikely(!req || (req->pasid_present ? req->pasid > 0xfffff :
			      req->iova - INTR_BASE <= INTR_LAST - INTR_BASE)))
		return false;
	ph.v = v;
	ph.iova = req->iova;
	hit_req_init(&ph.h, req, access);
	if (!dma_one_page(&v->rcu, v->mem, page_hit_pa, &ph, req->iova, buf, len, write))
		return false;
	vtd_stat_inc(v, ST_IOTLB_HIT);
	if (done)
		*done = len;
	if (res)
		memset(res, 0, sizeof(*res));
	return true;
}

/* A transfer the one-page path did not take, page by page. Out of line,
 * so that the one-page path keeps a small frame. */
static __attribute__((noinline)) int
dma_pages(struct siommu_vtd *v, const struct siommu_vtd_req *req, void *buf, size_t len,
	  size_t *done, struct siommu_vtd_xlate *res, bool write)
{
	if (done)
		*done = 0;
	if (req_check(req, false) || (len && !buf))
		return -EINVAL;
	if (write)
		return for_each_piece(v, req, SIOMMU_VTD_WRITE, len, done, res, dma_copy_in, buf);
	return for_each_piece(v, req, SIOMMU_VTD_READ, len, done, res, dma_copy_out, buf);
}

int SIOMMU_EXPORT siommu_vtd_dma_read(struct siommu_vtd *v,
				      const struct siommu_vtd_req *req, void *buf,
				      size_t len, size_t *done,
				      struct siommu_vtd_xlate *res)
{
	if (dma_fast(v, req, SIOMMU_VTD_READ, buf, len, done, res, false))
		return 0;
	return dma_pages(v, req, buf, len, done, res, false);
}

int SIOMMU_EXPORT siommu_vtd_dma_write(struct siommu_vtd *v,
				       const struct siommu_vtd_req *req,
				       const void *buf, size_t len, size_t *done,
				       struct siommu_vtd_xlate *res)
{
	if (dma_fast(v, req, SIOMMU_VTD_WRITE, (void *)buf, len, done, res, true))
		return 0;
	return dma_pages(v, req, (void *)buf, len, done, res, true);
}

struct access_arg {
	siommu_vtd_access_fn fn;
	void *arg;
};

static int access_piece(void *arg, void *host, size_t n, size_t off)
{
	struct access_arg *a = arg;

	return a->fn(a->arg, host, n, off);
}

int SIOMMU_EXPORT siommu_vtd_access(struct siommu_vtd *v,
				    const struct siommu_vtd_req *req,
				    siommu_vtd_access_fn fn, void *arg,
				    struct siommu_vtd_xlate *res)
{
	struct access_arg a = { fn, arg };

	if (req_check(req, true) || !fn)
		return -EINVAL;
	/* A zero-length request is a one-byte one (vtd.h, struct
	 * siommu_vtd_req): it is translated and checked, and @fn sees the
	 * byte. */
	return for_each_piece(v, req, req->access, req->len ? req->len : 1, NULL,
			      res, access_piece, &a);
}
