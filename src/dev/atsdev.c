/* SPDX-License-Identifier: MIT */
/*
 * The ATS+PRI device kit: a device TLB filled through ATS translation
 * requests (PCIe 10.2.2), emptied by the invalidations the unit delivers
 * (PCIe 10.3: VT-d's device-TLB invalidations, SMMUv3's CMD_ATC_INV), and
 * page requests (PCIe 10.4.1) for what does not translate, retried after a
 * "success" response (PCIe 10.4.2). What differs between unit types is
 * the port below: how a request reaches the model and how its answers and
 * invalidations come back; the device itself is one.
 *
 * Locking: lock protects the TLB, the response slots and the counters.
 * A DMA holds it for a page's lookup and copy, so an invalidation callback,
 * which takes it, returns only after copies that used what it removes;
 * lock is never held across a call into the unit (a translation, a page
 * request), since the unit may run the device's callbacks from it. A fill
 * is dropped if an invalidation came after the translation it carries
 * was requested (inv_gen), so no stale entry is ever cached.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <siommu/atsdev.h>

#include "mem/mem_internal.h"
#include "util/compiler.h"

#define PRGI_COUNT 512		/* 9-bit page request group index */

/* Permissions in the device TLB: those an ATS completion grants. */
#define KIT_READ	(1u << 0)
#define KIT_WRITE	(1u << 1)

/* An ATS completion for one page, in the kit's terms. */
struct ats_answer {
	uint64_t pa;			/* the page's translated address */
	uint32_t perm;			/* KIT_* */
};

/*
 * The unit behind the device: its model's ATS and PRI entry points, and
 * the registration of the device's callbacks with it at the RID.
 * translate: 0 with *a filled (perm possibly lacking what was asked), or
 * the model's error (-EFAULT: a configuration fault).
 * page_request: as the model's call (0; -ENOSPC, answered "success" by
 * the unit; -EFAULT, refused and answered if an answer was due).
 */
struct atsdev_port {
	int (*reg)(struct siommu_atsdev *d);
	void (*unreg)(struct siommu_atsdev *d);
	int (*translate)(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
			 uint64_t page, uint32_t need, struct ats_answer *a);
	int (*page_request)(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
			    uint64_t page, uint16_t prgi);
};

struct tlb_entry {
	bool valid;
	bool pasid_present, priv;
	uint32_t pasid;
	uint64_t page;
	uint64_t pa;
	uint32_t perm;
};

struct siommu_atsdev {
	const struct atsdev_port *port;
	void *unit;			/* struct siommu_vtd or siommu_smmuv3 */
	struct siommu_mem *mem;
	struct siommu_atsdev_cfg cfg;
	pthread_mutex_t lock;
	pthread_cond_t resp_cond;
	uint64_t inv_gen;
	struct tlb_entry *tlb;
	/* Page request groups: in use, answered, the answer. */
	uint64_t prgi_busy[PRGI_COUNT / 64];
	uint64_t prgi_done[PRGI_COUNT / 64];
	uint8_t prgi_code[PRGI_COUNT];
	unsigned int prgi_next;
	struct siommu_atsdev_stats st;
};

static struct tlb_entry *tlb_slot(struct siommu_atsdev *d, uint32_t pasid, uint64_t page)
{
	uint64_t h = (page >> 12) ^ ((uint64_t)pasid * 0x9e3779b97f4a7c15ull);

	return &d->tlb[(h ^ (h >> 17)) & (d->cfg.tlb_entries - 1)];
}

static bool tlb_match(const struct tlb_entry *e, const struct siommu_atsdev_req *r,
		      uint64_t page)
{
	return e->valid && e->page == page && e->pasid_present == r->pasid_present &&
	       (!r->pasid_present || e->pasid == r->pasid) && e->priv == r->priv;
}

/*
 * An invalidation from the unit: drop the entries of @pasid, or of every
 * PASID and of requests without one (@all_pasids), whose page meets
 * [first, last].
 */
static void tlb_inv(struct siommu_atsdev *d, bool all_pasids, uint32_t pasid, uint64_t first,
		    uint64_t last)
{
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	d->inv_gen++;
	d->st.invalidations++;
	for (i = 0; i < d->cfg.tlb_entries; i++) {
		struct tlb_entry *e = &d->tlb[i];

		if (!e->valid)
			continue;
		if (!all_pasids && (!e->pasid_present || e->pasid != pasid))
			continue;
		if (e->page + (SIOMMU_SZ_4K - 1) < first || e->page > last)
			continue;
		e->valid = false;
		d->st.entries_dropped++;
	}
	pthread_mutex_unlock(&d->lock);
}

/* The last byte of [addr, addr + size), the space's end past 2^64. */
static uint64_t range_last(uint64_t addr, uint64_t size)
{
	uint64_t last;

	if (!size)
		return addr;
	return __builtin_add_overflow(addr, size - 1, &last) ? UINT64_MAX : last;
}

/* A page group response (PCIe 10.4.2's code): wake the DMA waiting on it. */
static void page_resp(struct siommu_atsdev *d, uint16_t prgi, uint8_t code)
{
	unsigned int g = prgi % PRGI_COUNT;

	pthread_mutex_lock(&d->lock);
	/* Only a group this device has in flight: an answer to anything
	 * else (a stale or foreign one) is ignored, as hardware does. */
	if (d->prgi_busy[g / 64] & (1ull << (g % 64))) {
		d->prgi_code[g] = code;
		d->prgi_done[g / 64] |= 1ull << (g % 64);
		pthread_cond_broadcast(&d->resp_cond);
	}
	pthread_mutex_unlock(&d->lock);
}

/* ---- VT-d: ATS through the unit, device-TLB invalidations (VT-d 6.5.2.5,
 * 6.5.2.6), page requests and group responses (VT-d 7.5, 7.7). ---------- */

static void vtd_devtlb_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	/* A device-TLB invalidation without a PASID (VT-d 6.5.2.5) is sent
	 * as an Invalidate Request without a PASID, which covers the range
	 * for every PASID (PCIe 10.3). */
	tlb_inv(opaque, inv->all_pasids || !inv->pasid_present, inv->pasid,
		inv->all_addresses ? 0 : inv->addr,
		inv->all_addresses ? UINT64_MAX : range_last(inv->addr, inv->size));
}

static void vtd_page_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	page_resp(opaque, r->prgi, r->code);
}

static const struct siommu_vtd_dev_ops vtd_dev_ops = {
	.devtlb_inv = vtd_devtlb_inv,
	.page_resp = vtd_page_resp,
};

static uint32_t vtd_access(uint32_t need)
{
	return (need & KIT_READ ? SIOMMU_VTD_READ : 0) | (need & KIT_WRITE ? SIOMMU_VTD_WRITE : 0);
}

static int vtd_reg(struct siommu_atsdev *d)
{
	return siommu_vtd_dev_register(d->unit, d->cfg.rid, &vtd_dev_ops, d);
}

static void vtd_unreg(struct siommu_atsdev *d)
{
	siommu_vtd_dev_unregister(d->unit, d->cfg.rid);
}

static int vtd_translate(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
			 uint64_t page, uint32_t need, struct ats_answer *a)
{
	const struct siommu_vtd_req q = {
		.rid = d->cfg.rid, .pasid_present = r->pasid_present, .pasid = r->pasid,
		.priv = r->priv, .iova = page, .len = 1, .access = vtd_access(need) };
	struct siommu_vtd_xlate x;
	int ret = siommu_vtd_ats_translate(d->unit, &q, &x);

	if (ret)
		return ret;
	a->pa = x.addr_base + (page - x.iova_base);
	a->perm = (x.perm & SIOMMU_VTD_READ ? KIT_READ : 0) |
		  (x.perm & SIOMMU_VTD_WRITE ? KIT_WRITE : 0);
	return 0;
}

static int vtd_page_request(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
			    uint64_t page, uint16_t prgi)
{
	const struct siommu_vtd_page_req pr = {
		.rid = d->cfg.rid, .pasid_present = r->pasid_present, .pasid = r->pasid,
		.priv = r->priv, .addr = page,
		.access = vtd_access(r->write ? KIT_WRITE : KIT_READ), .prgi = prgi,
		.last = true };

	return siommu_vtd_page_request(d->unit, &pr);
}

static const struct atsdev_port vtd_port = {
	.reg = vtd_reg,
	.unreg = vtd_unreg,
	.translate = vtd_translate,
	.page_request = vtd_page_request,
};

/* ---- SMMUv3: ATS through the unit, CMD_ATC_INV (SMMUv3 4.5.2), PRI queue
 * (SMMUv3 8.1) and CMD_PRI_RESP (SMMUv3 4.6.1). The StreamID is the RID.
 * -------------------------------------------------------------------- */

static void smmu_atc_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	/* An invalidation without a SubstreamID reaches the device as an
	 * Invalidate Request without a PASID, which covers the range for
	 * every PASID (PCIe 10.3); Global extends one with a PASID to every
	 * PASID, as the unit's command defines it. */
	tlb_inv(opaque, inv->global || !inv->ssv, inv->ssid, inv->addr,
		range_last(inv->addr, inv->size));
}

static void smmu_pri_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	/* CMD_PRI_RESP.Resp (0 deny, 1 failure, 2 success) as the PCIe PRG
	 * Response code the device receives (1 invalid request, 0xf response
	 * failure, 0 success). */
	static const uint8_t code[] = { 1, 0xf, 0 };

	page_resp(opaque, r->prgi, r->resp < 3 ? code[r->resp] : 0xf);
}

static const struct siommu_smmuv3_dev_ops smmu_dev_ops = {
	.atc_inv = smmu_atc_inv,
	.pri_resp = smmu_pri_resp,
};

static uint32_t smmu_access(uint32_t need)
{
	return (need & KIT_READ ? SIOMMU_SMMUV3_READ : 0) |
	       (need & KIT_WRITE ? SIOMMU_SMMUV3_WRITE : 0);
}

static int smmu_reg(struct siommu_atsdev *d)
{
	return siommu_smmuv3_dev_register(d->unit, d->cfg.rid, &smmu_dev_ops, d);
}

static void smmu_unreg(struct siommu_atsdev *d)
{
	siommu_smmuv3_dev_unregister(d->unit, d->cfg.rid);
}

static int smmu_translate(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
			  uint64_t page, uint32_t need, struct ats_answer *a)
{
	const struct siommu_smmuv3_req q = {
		.sid = d->cfg.rid, .ssv = r->pasid_present, .ssid = r->pasid_present ? r->pasid : 0,
		.priv = r->priv, .iova = page, .len = 1, .access = smmu_access(need) };
	struct siommu_smmuv3_xlate x;
	int ret = siommu_smmuv3_ats_translate(d->unit, &q, &x);

	if (ret)
		return ret;
	a->pa = x.addr_base + (page - x.iova_base);
	a->perm = (x.perm & SIOMMU_SMMUV3_READ ? KIT_READ : 0) |
		  (x.perm & SIOMMU_SMMUV3_WRITE ? KIT_WRITE : 0);
	return 0;
}

static int smmu_page_request(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
			     uint64_t page, uint16_t prgi)
{
	const struct siommu_smmuv3_page_req pr = {
		.sid = d->cfg.rid, .ssv = r->pasid_present,
		.ssid = r->pasid_present ? r->pasid : 0, .priv = r->priv, .addr = page,
		.access = smmu_access(r->write ? KIT_WRITE : KIT_READ), .prgi = prgi,
		.last = true };

	return siommu_smmuv3_page_request(d->unit, &pr);
}

static const struct atsdev_port smmu_port = {
	.reg = smmu_reg,
	.unreg = smmu_unreg,
	.translate = smmu_translate,
	.page_request = smmu_page_request,
};

/* ---- the device -------------------------------------------------------- */

static int atsdev_create(const struct atsdev_port *port, void *unit,
			 const struct siommu_atsdev_cfg *cfg, struct siommu_atsdev **out)
{
	struct siommu_atsdev *d;
	pthread_condattr_t ca;
	int ret;

	if (!unit || !cfg || !cfg->mem || !out || cfg->tlb_entries > 4096 ||
	    (cfg->tlb_entries & (cfg->tlb_entries - 1)))
		return -EINVAL;
	d = mem_should_fail(cfg->mem) ? NULL : calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->port = port;
	d->unit = unit;
	d->mem = cfg->mem;
	d->cfg = *cfg;
	if (!d->cfg.tlb_entries)
		d->cfg.tlb_entries = 64;
	if (!d->cfg.max_faults)
		d->cfg.max_faults = 16;
	if (!d->cfg.timeout_ms)
		d->cfg.timeout_ms = 10000;
	d->tlb = mem_should_fail(d->mem) ? NULL : calloc(d->cfg.tlb_entries, sizeof(*d->tlb));
	if (!d->tlb) {
		free(d);
		return -ENOMEM;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->resp_cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Published: the unit may call back from here. */
	ret = port->reg(d);
	if (ret) {
		pthread_cond_destroy(&d->resp_cond);
		pthread_mutex_destroy(&d->lock);
		free(d->tlb);
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

int SIOMMU_EXPORT siommu_atsdev_create(struct siommu_vtd *vtd,
				       const struct siommu_atsdev_cfg *cfg,
				       struct siommu_atsdev **out)
{
	return atsdev_create(&vtd_port, vtd, cfg, out);
}

int SIOMMU_EXPORT siommu_atsdev_create_smmuv3(struct siommu_smmuv3 *smmu,
					      const struct siommu_atsdev_cfg *cfg,
					      struct siommu_atsdev **out)
{
	return atsdev_create(&smmu_port, smmu, cfg, out);
}

void SIOMMU_EXPORT siommu_atsdev_destroy(struct siommu_atsdev *d)
{
	if (!d)
		return;
	d->port->unreg(d);
	pthread_cond_destroy(&d->resp_cond);
	pthread_mutex_destroy(&d->lock);
	free(d->tlb);
	free(d);
}

/*
 * Send a page request for @page and wait for its group's answer: the
 * response code, or -ETIMEDOUT, or -EFAULT when the unit refused the
 * request (it logged the fault).
 */
static int page_fault(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
		      uint64_t page)
{
	struct timespec until;
	unsigned int g, i;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += d->cfg.timeout_ms / 1000;
	until.tv_nsec += (long)(d->cfg.timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	/* A free group index; one is always free unless 512 DMAs wait. */
	for (i = 0;; i++) {
		g = (d->prgi_next + i) % PRGI_COUNT;
		if (!(d->prgi_busy[g / 64] & (1ull << (g % 64))))
			break;
		if (i == PRGI_COUNT) {
			i = 0;
			if (pthread_cond_timedwait(&d->resp_cond, &d->lock, &until)) {
				pthread_mutex_unlock(&d->lock);
				return -ETIMEDOUT;
			}
		}
	}
	d->prgi_next = g + 1;
	d->prgi_busy[g / 64] |= 1ull << (g % 64);
	d->prgi_done[g / 64] &= ~(1ull << (g % 64));
	d->st.page_requests++;
	pthread_mutex_unlock(&d->lock);

	ret = d->port->page_request(d, r, page, (uint16_t)g);
	pthread_mutex_lock(&d->lock);
	/* -ENOSPC: the unit's queue was full and it answered "success"
	 * itself; -EFAULT: refused, and answered if an answer was due. */
	if (ret && ret != -ENOSPC && ret != -EFAULT)
		goto out_release;
	while (!(d->prgi_done[g / 64] & (1ull << (g % 64)))) {
		if (pthread_cond_timedwait(&d->resp_cond, &d->lock, &until)) {
			ret = -ETIMEDOUT;
			goto out_release;
		}
	}
	ret = d->prgi_code[g];
out_release:
	d->prgi_busy[g / 64] &= ~(1ull << (g % 64));
	pthread_cond_broadcast(&d->resp_cond);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* Copy within one page through the device TLB: true if it hit. */
static bool tlb_copy(struct siommu_atsdev *d, const struct siommu_atsdev_req *r,
		     uint64_t addr, void *buf, size_t n)
{
	uint64_t page = addr & ~(SIOMMU_SZ_4K - 1);
	uint32_t need = r->write ? KIT_WRITE : KIT_READ;
	struct tlb_entry *e;
	bool hit;

	pthread_mutex_lock(&d->lock);
	e = tlb_slot(d, r->pasid, page);
	hit = tlb_match(e, r, page) && (e->perm & need) == need;
	if (hit) {
		uint64_t pa = e->pa + (addr - page);

		d->st.tlb_hits++;
		/* Translated requests reach memory directly (PCIe 10.2). */
		if (r->write)
			siommu_mem_write(d->mem, pa, buf, n);
		else
			siommu_mem_read(d->mem, pa, buf, n);
	} else {
		d->st.tlb_misses++;
	}
	pthread_mutex_unlock(&d->lock);
	return hit;
}

int SIOMMU_EXPORT siommu_atsdev_dma(struct siommu_atsdev *d,
				    const struct siommu_atsdev_req *r, void *buf, size_t len,
				    struct siommu_atsdev_result *res)
{
	struct siommu_atsdev_result tmp;
	unsigned char *p = buf;
	uint64_t addr;
	unsigned int faults = 0;

	if (!res)
		res = &tmp;
	memset(res, 0, sizeof(*res));
	/* [addr, addr + len) may end at 2^64; it may not wrap past it. */
	if (!d || !r || (len && !buf) ||
	    (len && __builtin_add_overflow(r->addr, (uint64_t)len - 1, &addr)))
		return -EINVAL;
	addr = r->addr;
	while (res->done < len) {
		uint64_t page = addr & ~(SIOMMU_SZ_4K - 1);
		size_t n = SIOMMU_SZ_4K - (addr - page);
		uint32_t need = r->write ? KIT_WRITE : KIT_READ;
		struct ats_answer x;
		uint64_t gen;
		int ret;

		if (n > len - res->done)
			n = len - res->done;
		if (tlb_copy(d, r, addr, p + res->done, n)) {
			res->done += n;
			addr += n;
			continue;
		}
		pthread_mutex_lock(&d->lock);
		gen = d->inv_gen;
		d->st.ats_requests++;
		pthread_mutex_unlock(&d->lock);
		ret = d->port->translate(d, r, page, need, &x);
		if (ret) {
			res->fault_addr = addr;
			return ret;
		}
		if ((x.perm & need) == need) {
			struct tlb_entry *e;

			pthread_mutex_lock(&d->lock);
			/* An invalidation since the request may have removed
			 * what this answer carries: ask again. */
			if (d->inv_gen == gen) {
				e = tlb_slot(d, r->pasid, page);
				*e = (struct tlb_entry){
					.valid = true, .pasid_present = r->pasid_present,
					.pasid = r->pasid, .priv = r->priv, .page = page,
					.pa = x.pa, .perm = x.perm };
			}
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		if (r->no_page_request) {
			res->fault_addr = addr;
			return -ENOENT;
		}
		if (faults++ == d->cfg.max_faults) {
			res->fault_addr = addr;
			return -EAGAIN;
		}
		ret = page_fault(d, r, page);
		if (ret) {
			res->fault_addr = addr;
			if (ret > 0) {
				res->resp_code = (uint8_t)ret;
				return -EFAULT;
			}
			return ret;
		}
	}
	return 0;
}

void SIOMMU_EXPORT siommu_atsdev_get_stats(struct siommu_atsdev *d,
					   struct siommu_atsdev_stats *st)
{
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
}
