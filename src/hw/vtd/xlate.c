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
#include "mem/mem_internal.h"

#define ACCESS_ALL (SIOMMU_VTD_READ | SIOMMU_VTD_WRITE | SIOMMU_VTD_EXEC)

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
	f->fpd = fpd;
}

/*
 * Probe one page size: on a match, *out gets the entry's output word copied
 * under its sequence count. Returns 1 hit, 0 no entry, -1 entry busy.
 */
static inline_hot int probe_level(struct siommu_vtd *v, uint64_t key, uint64_t page,
				  uint64_t *out)
{
	struct iotlb_slot *s = iotlb_set(v, key, page);
	unsigned int w, ways = v->iotlb_ways;

	for (w = 0; w < ways; w++, s++) {
		uint32_t seq = slot_read_begin(&s->seq);
		uint64_t k = __atomic_load_n(&s->key, __ATOMIC_RELAXED);
		uint64_t pg = __atomic_load_n(&s->page, __ATOMIC_RELAXED);

		if ((k & IOTLB_KEY_MATCH_MASK) != key || pg != page)
			continue;
		*out = __atomic_load_n(&s->out, __ATOMIC_RELAXED);
		return slot_read_retry(&s->seq, seq) ? -1 : 1;
	}
	return 0;
}

/*
 * The IOTLB-hit path: no lock, no RCU section, the entry copied by value
 * under its sequence count. Returns true with *res filled when a cached
 * entry grants the access without an A/D update and its page is clear of
 * the interrupt range; anything else goes the slow way (xlate_slow()).
 */
static inline_hot bool xlate_hit(struct siommu_vtd *v, const struct siommu_vtd_req *req,
				 struct siommu_vtd_xlate *res)
{
	uint32_t levels = READ_ONCE(v->iotlb_levels), perm;
	bool pp = req->pasid_present;
	uint64_t key0 = IOTLB_KEY(req->rid, pp, pp ? req->pasid : 0, 0);
	uint64_t page, size, out = 0;
	unsigned int level;
	int hit;

	if (unlikely(!(LOAD_ACQUIRE(v->xl) & XL_TE)))
		return false;
	/* 4K first: the common case costs one probe. */
	page = req->iova & ~0xfffull;
	size = SIOMMU_SZ_4K;
	hit = (levels & 1) ? probe_level(v, key0, page, &out) : 0;
	for (level = 1; !hit && level < 3; level++) {
		if (!(levels & (1u << level)))
			continue;
		size = level_size(level);
		page = req->iova & ~(size - 1);
		hit = probe_level(v, key0 | ((uint64_t)level << 37), page, &out);
	}
	if (hit <= 0)
		return false;
	perm = pp && req->priv ? IOTLB_OUT_PERM_S(out) : IOTLB_OUT_PERM_U(out);
	/* Pages that touch the interrupt range take the slow path, which
	 * checks the bytes requested. */
	if ((req->access & ~perm) || (out & IOTLB_OUT_INTR) ||
	    ((req->access & SIOMMU_VTD_WRITE) && !(out & IOTLB_OUT_DIRTY)))
		return false;
	res->addr = (out & ~IOTLB_OUT_MASK) + (req->iova - page);
	res->iova_base = page;
	res->addr_base = out & ~IOTLB_OUT_MASK;
	res->size = size;
	res->perm = perm;
	vtd_stat_inc(v, ST_IOTLB_HIT);
	return true;
}

/*
 * Translate one page. Returns 0 with *res set, or -EFAULT with *f
 * describing the fault (not yet recorded). For ATS, page-table faults
 * return 0 with the permissions the device gets (possibly none).
 */
static __attribute__((noinline)) int
xlate_slow(struct siommu_vtd *v, const struct siommu_vtd_req *req,
	   enum vtd_kind kind, struct siommu_vtd_xlate *res, struct vtd_fault *f)
{
	uint64_t len = req->len ? req->len : 1, last, xl = LOAD_ACQUIRE(v->xl);
	bool pp = req->pasid_present, priv = pp && req->priv;
	struct vtd_walk_out o;
	struct iotlb_ent *e = &o.ent;
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
	if (kind == KIND_ATS && vtd_iotlb_lookup(v, req->rid, pp,
						 pp ? req->pasid : 0, req->iova, e)) {
		perm = priv ? e->perm_s : e->perm_u;
		if (!(req->access & SIOMMU_VTD_WRITE) || e->dirty) {
			vtd_stat_inc(v, ST_IOTLB_HIT);
			goto out_found;
		}
	}
	vtd_stat_inc(v, ST_IOTLB_MISS);
	siommu_rcu_read_lock();
	{
		uint64_t gen = vtd_gen(v);

		fr = vtd_walk(v, req, kind, gen, &o);
		if (!fr && o.cacheable)
			vtd_iotlb_fill(v, gen, e);
	}
	siommu_rcu_read_unlock();
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
	/* VT-d 3.14: no translated address may land in the interrupt range. */
	last = res->addr + (len - 1 < res->size - (req->iova - e->page) ?
			    len - 1 : res->size - (req->iova - e->page) - 1);
	if (unlikely(in_intr_window(res->addr, last))) {
		fault_fill(f, req, SIOMMU_VTD_FR_INTR_RANGE, false);
		return -EFAULT;
	}
	return 0;
}

static inline_hot int xlate(struct siommu_vtd *v, const struct siommu_vtd_req *req,
			     enum vtd_kind kind, struct siommu_vtd_xlate *res,
			     struct vtd_fault *f)
{
	if (likely(kind == KIND_UNTRANSLATED && xlate_hit(v, req, res)))
		return 0;
	return xlate_slow(v, req, kind, res, f);
}

/* Host pointer for [pa, pa + len): the frame pool without a lookup. */
static inline_hot void *dma_host(struct siommu_mem *mem, uint64_t pa, uint64_t len)
{
	uint64_t off = pa - mem->pool.base;

	if (likely(off < mem->pool.size && len <= mem->pool.size - off))
		return mem->pool.host + off;
	return siommu_mem_host(mem, pa, len);
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

static __attribute__((noinline)) int
translate_slow(struct siommu_vtd *v, const struct siommu_vtd_req *req,
	       struct siommu_vtd_xlate *res)
{
	struct vtd_fault f;
	int ret = req_check(req, true);

	if (ret || !res)
		return -EINVAL;
	if (no_pasid_intr(req, req->iova))
		return -ENOTSUP;
	res->fault_reason = 0;
	res->fault_recorded = false;
	ret = xlate_slow(v, req, KIND_UNTRANSLATED, res, &f);
	if (ret)
		fault_report(v, &f, res);
	return ret;
}

int SIOMMU_EXPORT siommu_vtd_translate(struct siommu_vtd *v,
				       const struct siommu_vtd_req *req,
				       struct siommu_vtd_xlate *res)
{
	/* The hit path stays small: anything unusual (bad arguments, the
	 * interrupt window, a miss) is sorted out by translate_slow(). */
	if (likely(req && res && req->access &&
		   !(req->access & ~ACCESS_ALL) &&
		   (req->pasid_present ? req->pasid <= 0xfffff :
		    !(req->iova >= INTR_BASE && req->iova <= INTR_LAST)) &&
		   xlate_hit(v, req, res))) {
		res->fault_reason = 0;
		res->fault_recorded = false;
		return 0;
	}
	return translate_slow(v, req, res);
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
	ret = xlate(v, req, KIND_ATS, res, &f);
	if (ret)
		fault_report(v, &f, res);
	return ret;
}

/*
 * Walks [req->iova, + len) page by page; @copy runs on each piece inside
 * the RCU read-side section that covers its translation.
 */
static inline_hot int for_each_piece(struct siommu_vtd *v, const struct siommu_vtd_req *req,
				      uint32_t access, size_t len, size_t *done,
				      struct siommu_vtd_xlate *res,
				      int (*copy)(void *arg, void *host, size_t n, size_t off),
				      void *arg)
{
	struct siommu_vtd_req r = *req;
	struct siommu_vtd_xlate x;
	struct vtd_fault f;
	uint64_t last;
	size_t off = 0;
	int ret = 0;

	if (res)
		memset(res, 0, sizeof(*res));
	if (len && __builtin_add_overflow(req->iova, (uint64_t)len - 1, &last))
		return -EINVAL;
	r.access = access;
	while (off < len) {
		uint64_t chunk;
		void *host;

		r.iova = req->iova + off;
		r.len = len - off;
		if (no_pasid_intr(&r, r.iova)) {
			ret = -ENOTSUP;
			break;
		}
		siommu_rcu_read_lock();
		ret = xlate(v, &r, KIND_UNTRANSLATED, &x, &f);
		if (ret) {
			siommu_rcu_read_unlock();
			fault_report(v, &f, res);
			break;
		}
		chunk = x.iova_base + x.size - r.iova;
		if (chunk > len - off)
			chunk = len - off;
		host = dma_host(v->mem, x.addr, chunk);
		if (!host) {
			siommu_rcu_read_unlock();
			ret = -EFAULT;
			break;
		}
		ret = copy(arg, host, (size_t)chunk, off);
		siommu_rcu_read_unlock();
		if (ret)
			break;
		off += (size_t)chunk;
	}
	if (done)
		*done = off;
	return ret;
}

static int copy_out(void *arg, void *host, size_t n, size_t off)
{
	memcpy((char *)arg + off, host, n);
	return 0;
}

static int copy_in(void *arg, void *host, size_t n, size_t off)
{
	memcpy(host, (const char *)arg + off, n);
	return 0;
}

int SIOMMU_EXPORT siommu_vtd_dma_read(struct siommu_vtd *v,
				      const struct siommu_vtd_req *req, void *buf,
				      size_t len, size_t *done,
				      struct siommu_vtd_xlate *res)
{
	if (done)
		*done = 0;
	if (req_check(req, false) || (len && !buf))
		return -EINVAL;
	return for_each_piece(v, req, SIOMMU_VTD_READ, len, done, res, copy_out, buf);
}

int SIOMMU_EXPORT siommu_vtd_dma_write(struct siommu_vtd *v,
				       const struct siommu_vtd_req *req,
				       const void *buf, size_t len, size_t *done,
				       struct siommu_vtd_xlate *res)
{
	if (done)
		*done = 0;
	if (req_check(req, false) || (len && !buf))
		return -EINVAL;
	return for_each_piece(v, req, SIOMMU_VTD_WRITE, len, done, res, copy_in,
			      (void *)buf);
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
	return for_each_piece(v, req, req->access, req->len, NULL, res,
			      access_piece, &a);
}
