/* SPDX-License-Identifier: MIT */
/*
 * The shared-work-queue copy engine (after Intel DSA 1.0: dedicated and
 * shared work queues, ENQCMD/MOVDIR64B submission, completion records,
 * block-on-fault), on the ATS+PRI device kit.
 *
 * Locking: lock protects both queues, the DWQ's PASID and the counters; it
 * is never held while a descriptor runs. Processing is one thread at a
 * time (proc_lock), so descriptors of a queue complete in order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/cpyeng.h>

#include "mem/mem_internal.h"
#include "util/compiler.h"

/* The copy's bounce buffer: a page, the unit of translation. */
#define CHUNK 4096u

struct wq_entry {
	struct siommu_cpyeng_desc d;
	uint32_t pasid;
};

struct wq {
	struct wq_entry *ring;
	unsigned int depth, head, count;
};

struct siommu_cpyeng {
	struct siommu_atsdev *kit;
	struct siommu_cpyeng_cfg cfg;
	pthread_mutex_t lock;
	pthread_mutex_t proc_lock;
	struct wq dwq, swq;
	uint32_t dwq_pasid;
	unsigned int turn;		/* the queue to take first */
	struct siommu_cpyeng_stats st;
	unsigned char bounce[CHUNK];
};

static int wq_init(struct siommu_mem *mem, struct wq *q, unsigned int depth)
{
	q->depth = depth;
	q->ring = mem_should_fail(mem) ? NULL : calloc(depth, sizeof(*q->ring));
	return q->ring ? 0 : -ENOMEM;
}

static bool cfg_ok(const struct siommu_cpyeng_cfg *cfg)
{
	return cfg && cfg->mem && cfg->dwq_depth <= 256 && cfg->swq_depth <= 256;
}

/* The engine around @kit, which it owns from here, failure or not. */
static int cpyeng_init(const struct siommu_cpyeng_cfg *cfg, struct siommu_atsdev *kit,
		       struct siommu_cpyeng **out)
{
	struct siommu_cpyeng *e;
	int ret = -ENOMEM;

	e = mem_should_fail(cfg->mem) ? NULL : calloc(1, sizeof(*e));
	if (!e)
		goto out_destroy_kit;
	e->cfg = *cfg;
	if (!e->cfg.dwq_depth)
		e->cfg.dwq_depth = 16;
	if (!e->cfg.swq_depth)
		e->cfg.swq_depth = 16;
	if (!e->cfg.max_len)
		e->cfg.max_len = 1u << 20;
	ret = wq_init(cfg->mem, &e->dwq, e->cfg.dwq_depth);
	if (!ret)
		ret = wq_init(cfg->mem, &e->swq, e->cfg.swq_depth);
	if (ret)
		goto out_free;
	e->kit = kit;
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->proc_lock, NULL);
	*out = e;
	return 0;

out_free:
	free(e->dwq.ring);
	free(e->swq.ring);
	free(e);
out_destroy_kit:
	siommu_atsdev_destroy(kit);
	return ret;
}

int SIOMMU_EXPORT siommu_cpyeng_create(struct siommu_vtd *vtd,
				       const struct siommu_cpyeng_cfg *cfg,
				       struct siommu_cpyeng **out)
{
	struct siommu_atsdev *kit;
	int ret;

	if (!vtd || !cfg_ok(cfg) || !out)
		return -EINVAL;
	ret = siommu_atsdev_create(vtd, &(struct siommu_atsdev_cfg){
		.mem = cfg->mem, .rid = cfg->rid }, &kit);
	return ret ? ret : cpyeng_init(cfg, kit, out);
}

int SIOMMU_EXPORT siommu_cpyeng_create_smmuv3(struct siommu_smmuv3 *smmu,
					      const struct siommu_cpyeng_cfg *cfg,
					      struct siommu_cpyeng **out)
{
	struct siommu_atsdev *kit;
	int ret;

	if (!smmu || !cfg_ok(cfg) || !out)
		return -EINVAL;
	ret = siommu_atsdev_create_smmuv3(smmu, &(struct siommu_atsdev_cfg){
		.mem = cfg->mem, .rid = cfg->rid }, &kit);
	return ret ? ret : cpyeng_init(cfg, kit, out);
}

void SIOMMU_EXPORT siommu_cpyeng_destroy(struct siommu_cpyeng *e)
{
	if (!e)
		return;
	siommu_atsdev_destroy(e->kit);
	pthread_mutex_destroy(&e->proc_lock);
	pthread_mutex_destroy(&e->lock);
	free(e->dwq.ring);
	free(e->swq.ring);
	free(e);
}

void SIOMMU_EXPORT siommu_cpyeng_dwq_set_pasid(struct siommu_cpyeng *e, uint32_t pasid)
{
	pthread_mutex_lock(&e->lock);
	e->dwq_pasid = pasid;
	pthread_mutex_unlock(&e->lock);
}

/* Queue @d with @pasid on @q; caller holds lock. */
static int wq_push(struct siommu_cpyeng *e, struct wq *q, const struct siommu_cpyeng_desc *d,
		   uint32_t pasid)
{
	if (q->count == q->depth)
		return -EAGAIN;
	q->ring[(q->head + q->count) % q->depth] = (struct wq_entry){ *d, pasid };
	q->count++;
	e->st.submitted++;
	return 0;
}

int SIOMMU_EXPORT siommu_cpyeng_movdir64b(struct siommu_cpyeng *e,
					  const struct siommu_cpyeng_desc *d)
{
	int ret;

	if (!e || !d || (d->completion & 31))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	ret = wq_push(e, &e->dwq, d, e->dwq_pasid);
	pthread_mutex_unlock(&e->lock);
	return ret == -EAGAIN ? -EBUSY : ret;
}

int SIOMMU_EXPORT siommu_cpyeng_enqcmd(struct siommu_cpyeng *e, const struct siommu_cpu *cpu,
				       const struct siommu_cpyeng_desc *d)
{
	int ret;

	/* ENQCMD takes the PASID from IA32_PASID and faults without one. */
	if (!e || !cpu || !d || !cpu->pasid_valid || !cpu->pasid || cpu->pasid > 0xfffff ||
	    (d->completion & 31))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	ret = wq_push(e, &e->swq, d, cpu->pasid);
	if (ret)
		e->st.retries++;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

/* Take the next descriptor, the queues in turn; false if none. */
static bool wq_pop(struct siommu_cpyeng *e, struct wq_entry *out)
{
	bool got = false;
	unsigned int i;

	pthread_mutex_lock(&e->lock);
	for (i = 0; i < 2 && !got; i++) {
		struct wq *q = (e->turn + i) % 2 ? &e->swq : &e->dwq;

		if (!q->count)
			continue;
		*out = q->ring[q->head];
		q->head = (q->head + 1) % q->depth;
		q->count--;
		e->turn = (e->turn + i + 1) % 2;
		got = true;
	}
	pthread_mutex_unlock(&e->lock);
	return got;
}

/* One DMA of the engine for @w: a faulting page ends it without a page
 * request unless block-on-fault is set. */
static int eng_dma(struct siommu_cpyeng *e, const struct wq_entry *w, uint64_t addr,
		   void *buf, size_t n, bool write, struct siommu_atsdev_result *res)
{
	struct siommu_atsdev_req r = {
		.pasid_present = true, .pasid = w->pasid, .addr = addr, .write = write,
		.no_page_request = !(w->d.flags & SIOMMU_CPYENG_FLAG_BOF) };

	return siommu_atsdev_dma(e->kit, &r, buf, n, res);
}

static void run_one(struct siommu_cpyeng *e, const struct wq_entry *w)
{
	struct siommu_cpyeng_comp c = { .status = SIOMMU_CPYENG_SUCCESS };
	const struct siommu_cpyeng_desc *d = &w->d;
	struct siommu_atsdev_result res;
	uint64_t done = 0, last;

	/* A range past the top of the address space has no page to fault
	 * in that would let it complete: refused, as a length too long. */
	if (!d->len || d->len > e->cfg.max_len ||
	    __builtin_add_overflow(d->src, d->len - 1, &last) ||
	    __builtin_add_overflow(d->dst, d->len - 1, &last)) {
		c.status = SIOMMU_CPYENG_INVALID;
		goto out_complete;
	}
	while (done < d->len) {
		size_t n = d->len - done < CHUNK ? (size_t)(d->len - done) : CHUNK;

		/* Within a page on the source side, so that a fault stops
		 * the copy at a page boundary of what was read. */
		if (n > CHUNK - ((d->src + done) & (CHUNK - 1)))
			n = CHUNK - ((d->src + done) & (CHUNK - 1));
		if (eng_dma(e, w, d->src + done, e->bounce, n, false, &res)) {
			/* What was read of this piece was not written. */
			c.fault_addr = res.fault_addr;
			c.status = SIOMMU_CPYENG_PAGE_FAULT;
			break;
		}
		if (eng_dma(e, w, d->dst + done, e->bounce, n, true, &res)) {
			c.fault_addr = res.fault_addr;
			c.fault_write = 1;
			done += res.done;
			c.status = SIOMMU_CPYENG_PAGE_FAULT;
			break;
		}
		done += n;
	}
	c.bytes_done = done;
out_complete:
	/* The record is written whatever happened, its page faulted in if
	 * need be: software polls it, so it cannot be left unwritten. */
	{
		struct wq_entry cw = *w;

		cw.d.flags |= SIOMMU_CPYENG_FLAG_BOF;
		eng_dma(e, &cw, d->completion, &c, sizeof(c), true, NULL);
	}
	pthread_mutex_lock(&e->lock);
	e->st.completed++;
	if (c.status == SIOMMU_CPYENG_PAGE_FAULT)
		e->st.partial++;
	pthread_mutex_unlock(&e->lock);
}

unsigned int SIOMMU_EXPORT siommu_cpyeng_process(struct siommu_cpyeng *e, unsigned int max)
{
	struct wq_entry w;
	unsigned int n = 0;

	if (!e)
		return 0;
	pthread_mutex_lock(&e->proc_lock);
	while ((!max || n < max) && wq_pop(e, &w)) {
		run_one(e, &w);
		n++;
	}
	pthread_mutex_unlock(&e->proc_lock);
	return n;
}

void SIOMMU_EXPORT siommu_cpyeng_get_stats(struct siommu_cpyeng *e,
					   struct siommu_cpyeng_stats *st)
{
	pthread_mutex_lock(&e->lock);
	*st = e->st;
	pthread_mutex_unlock(&e->lock);
	siommu_atsdev_get_stats(e->kit, &st->ats);
}
