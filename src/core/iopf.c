/* SPDX-License-Identifier: MIT */
/*
 * The I/O page-fault path: page requests reported by the drivers are
 * grouped by page request group (PCIe 10.4.1: requests of one group share
 * the RID, PASID and group index; the last one carries L), a complete
 * group is handled by the fault handler of the domain attached to its
 * (device, PASID), and answered once with a page group response (PCIe
 * 10.4.2) through the unit's driver. Handlers run in the context's worker
 * thread or in siommu_iopf_poll(), never in the thread that reported the
 * requests: that thread may be a device's, in the middle of a DMA.
 *
 * A request waits in one of the pool's lists: free, partial (its group's
 * last request has not come), ready (the last request of a complete group,
 * heading the others on its members list), busy (a group being handled),
 * delivered (the last request of a group a deliverer took, until it is
 * answered). A complete group is first routed by the thread that reported
 * its last request, which looks its domain up under the unit's rid_lock:
 * a domain with a deliverer (iommufd's fault queues, whose user answers
 * later) gets it in that thread, as Linux hands a group to its domain's
 * iopf_handler; a domain with a handler gets it through the ready list;
 * a group nothing handles is answered "invalid request" at once.
 * A busy group is RESOLVING while a processor looks its domain up,
 * then HANDLING while the handler runs with no core lock held or while
 * its answer is being given. A delivered group is DELIVERED, with
 * `delivering' set while its deliverer runs; its cookie names its pool
 * slot and the slot's generation, so that a stale cookie finds nothing.
 *
 * Locking: iopf.lock protects the lists, the group states, mode and the
 * worker's flags; it is taken after ctx->lock and after a unit's rid_lock
 * (the router), and never held across a call into a driver, a handler or
 * a deliverer. mode_lock serialises mode changes
 * (starting and joining the worker) and is taken before anything else.
 *
 * Detach (core_iopf_flush(), under ctx->lock): the driver drains its page
 * request queue, so that nothing for the PASID is still on its way up;
 * groups queued for it are answered "invalid request"; a RESOLVING group
 * (its processor waits for ctx->lock or rid_lock) is cancelled and
 * answered by the flush itself, so the processor drops it; a HANDLING
 * group, or one being delivered, is waited for (its handler answers it);
 * a delivered group still unanswered is answered by the flush, and its
 * cookie goes stale. The router looks the attachment up and marks the
 * group under rid_lock, which the detach takes to switch the attachment,
 * so a group routed to the old domain is seen by the flush. Each group is
 * thus answered exactly once, and before the detach drops its PASID
 * reference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"

enum iopf_state { IOPF_FREE, IOPF_QUEUED, IOPF_RESOLVING, IOPF_HANDLING, IOPF_DELIVERED };

struct iopf_req {
	struct cds_list_head node;	/* free, partial, ready, busy or
					 * delivered list, or a group's members */
	struct cds_list_head members;	/* as a group's last: the others */
	struct siommu_unit *unit;
	struct iommu_page_request r;
	enum iopf_state state;
	bool cancelled;			/* answered by a flush: drop it */
	bool via_rid;			/* a PASID's request handled by the RID's
					 * nested domain (iommu_ops.user_pasid_table) */
	/* DELIVERED: the deliverer runs; an answer given meanwhile waits in
	 * resp_code (answered) for it to return. */
	bool delivering, answered;
	enum iommu_page_resp_code resp_code;
	uint32_t gen;			/* deliveries of this slot */
};

struct core_iopf {
	struct siommu_ctx *ctx;
	pthread_mutex_t mode_lock;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* ready gained a group, or stop */
	pthread_cond_t idle;		/* a busy group finished */
	struct cds_list_head free, partial, ready, busy, delivered;
	enum siommu_iopf_mode mode;
	bool running, stop;
	pthread_t worker;
	struct iopf_req pool[SIOMMU_IOPF_QUEUE];
};

static void list_move_tail(struct cds_list_head *e, struct cds_list_head *head)
{
	cds_list_del(e);
	cds_list_add_tail(e, head);
}

/* Answers batched per driver call. */
#define IOPF_RESP_BATCH 32

struct resp_batch {
	struct siommu_unit *unit;
	unsigned int n;
	struct iommu_page_response r[IOPF_RESP_BATCH];
};

static void batch_flush(struct resp_batch *b)
{
	if (b->n && b->unit->ops->page_response)
		b->unit->ops->page_response(b->unit, b->r, b->n);
	b->n = 0;
}

/* Queue the answer to the group @last ends, if it asks for one (a stop
 * marker, neither read nor write, does not: PCIe 10.4.1.2). */
static void batch_add(struct resp_batch *b, struct siommu_unit *unit,
		      const struct iommu_page_request *last, enum iommu_page_resp_code code)
{
	if (!last->last || !(last->read || last->write))
		return;
	if (b->n && (b->unit != unit || b->n == IOPF_RESP_BATCH))
		batch_flush(b);
	b->unit = unit;
	b->r[b->n++] = (struct iommu_page_response){ *last, code };
}

static bool same_group(const struct iopf_req *a, struct siommu_unit *unit,
		       const struct iommu_page_request *r)
{
	return a->unit == unit && a->r.rid == r->rid && a->r.grpid == r->grpid &&
	       a->r.pasid_present == r->pasid_present &&
	       (!r->pasid_present || a->r.pasid == r->pasid);
}

/* Whether @g concerns (@unit, @rid, @pasid); pasid 0 means no PASID,
 * whose domain also has the PASIDs' requests routed to it. */
static bool same_target(const struct iopf_req *g, struct siommu_unit *unit,
			uint16_t rid, uint32_t pasid)
{
	return g->unit == unit && g->r.rid == rid &&
	       (g->r.pasid_present && !g->via_rid ? g->r.pasid == pasid : pasid == 0);
}

/* Give a group's members back to the pool; under lock. */
static void members_free(struct core_iopf *q, struct iopf_req *g)
{
	struct iopf_req *m, *mn;

	cds_list_for_each_entry_safe(m, mn, &g->members, node)
		cds_list_move(&m->node, &q->free);
}

/* Give a group (its last and its members) back to the pool; under lock. */
static void group_free(struct core_iopf *q, struct iopf_req *g)
{
	members_free(q, g);
	g->state = IOPF_FREE;
	cds_list_move(&g->node, &q->free);
}

/* Give back a group that is answered, and wake flushes waiting. Under
 * q->lock. */
static void group_drop(struct core_iopf *q, struct iopf_req *g)
{
	group_free(q, g);
	pthread_cond_broadcast(&q->idle);
}

/* Answer group @g (HANDLING or otherwise out of every processor's reach)
 * with @code, then give it back and wake flushes waiting for it. No lock
 * held. */
static void group_answer(struct core_iopf *q, struct iopf_req *g,
			 enum iommu_page_resp_code code)
{
	struct resp_batch b = { .n = 0 };

	batch_add(&b, g->unit, &g->r, code);
	batch_flush(&b);
	pthread_mutex_lock(&q->lock);
	group_drop(q, g);
	pthread_mutex_unlock(&q->lock);
}

/* A delivered group's cookie: its slot and the slot's generation. */
static uint64_t group_cookie(struct core_iopf *q, struct iopf_req *g)
{
	return (uint64_t)g->gen << 32 | (uint64_t)(g - q->pool);
}

/*
 * Route complete group @g (RESOLVING, on busy) from the thread that
 * reported its last request: deliver it, queue it for its handler, or
 * answer it. No lock held.
 */
static void iopf_route(struct core_iopf *q, struct siommu_unit *unit, struct iopf_req *g)
{
	enum iommu_page_resp_code code = IOMMU_PAGE_RESP_INVALID;
	struct iommu_page_request *reqs;
	core_iopf_deliver_fn fn = NULL;
	struct siommu_domain *dom;
	struct siommu_device *dev;
	unsigned int n = 1, i = 0;
	struct iopf_req *m;
	uint64_t cookie = 0;
	bool taken = false;
	void *arg = NULL;
	bool via_rid;

	pthread_mutex_lock(&unit->rid_lock);
	dom = core_dom_by_req(unit, &g->r, &dev, &via_rid);
	pthread_mutex_lock(&q->lock);
	g->via_rid = via_rid;
	if (g->cancelled) {
		/* A flush answered it. */
		group_drop(q, g);
		pthread_mutex_unlock(&q->lock);
		pthread_mutex_unlock(&unit->rid_lock);
		return;
	}
	if (dom && !dom->iopf_deliver && dom->iopf_fn) {
		g->state = IOPF_QUEUED;
		list_move_tail(&g->node, &q->ready);
		pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->lock);
		pthread_mutex_unlock(&unit->rid_lock);
		return;
	}
	if (dom && dom->iopf_deliver) {
		fn = dom->iopf_deliver;
		arg = dom->iopf_deliver_arg;
		g->gen++;
		cookie = group_cookie(q, g);
		g->state = IOPF_DELIVERED;
		g->delivering = true;
		g->answered = false;
		list_move_tail(&g->node, &q->delivered);
	} else {
		g->state = IOPF_HANDLING;
	}
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_unlock(&unit->rid_lock);

	if (fn) {
		/* The members are the group's until it leaves this thread. */
		cds_list_for_each_entry(m, &g->members, node)
			n++;
		reqs = mem_should_fail(q->ctx->mem) ? NULL : malloc(n * sizeof(*reqs));
		if (reqs) {
			cds_list_for_each_entry(m, &g->members, node)
				reqs[i++] = m->r;
			reqs[i] = g->r;
			/* The attachment's PASID: the RID's for a request it
			 * takes for the guest's PASIDs. */
			taken = fn(arg, dev, g->r.pasid_present && !g->via_rid ? g->r.pasid : 0,
				   reqs, n, cookie);
			free(reqs);
		}
		pthread_mutex_lock(&q->lock);
		if (taken && !g->answered) {
			members_free(q, g);
			g->delivering = false;
			pthread_cond_broadcast(&q->idle);
			pthread_mutex_unlock(&q->lock);
			return;
		}
		if (taken)
			code = g->resp_code;
		g->state = IOPF_HANDLING;
		list_move_tail(&g->node, &q->busy);
		g->delivering = false;
		pthread_mutex_unlock(&q->lock);
	}
	group_answer(q, g, code);
}

/* Forget the partial requests of @r's group; under lock. */
static void partial_drop(struct core_iopf *q, struct siommu_unit *unit,
			 const struct iommu_page_request *r)
{
	struct iopf_req *p, *pn;

	cds_list_for_each_entry_safe(p, pn, &q->partial, node)
		if (same_group(p, unit, r))
			cds_list_move(&p->node, &q->free);
}

void core_iopf_report(struct siommu_unit *unit, const struct iommu_page_request *req,
		      unsigned int n)
{
	struct core_iopf *q = __atomic_load_n(&unit->ctx->iopf, __ATOMIC_ACQUIRE);
	struct resp_batch b = { .n = 0 };
	unsigned int i;

	if (!q) {
		/* No fault path set up (nothing uses SVA or a fault
		 * queue): nothing could handle a group, which is answered "invalid request" at
		 * once, as Linux answers requests nobody handles. */
		for (i = 0; i < n; i++)
			batch_add(&b, unit, &req[i], IOMMU_PAGE_RESP_INVALID);
		batch_flush(&b);
		return;
	}
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < n; i++) {
		struct iopf_req *e, *p, *pn;

		/* A stop marker ends nothing the path keeps. */
		if (!(req[i].read || req[i].write))
			continue;
		if (cds_list_empty(&q->free)) {
			/* Full: as a full page request queue does (VT-d 7.5.1),
			 * drop the request and answer its group's last
			 * "success", so that the device asks again. */
			__atomic_fetch_add(&unit->n_iopf_overflow, 1, __ATOMIC_RELAXED);
			if (req[i].last) {
				partial_drop(q, unit, &req[i]);
				pthread_mutex_unlock(&q->lock);
				batch_add(&b, unit, &req[i], IOMMU_PAGE_RESP_SUCCESS);
				pthread_mutex_lock(&q->lock);
			}
			continue;
		}
		e = cds_list_first_entry(&q->free, struct iopf_req, node);
		e->unit = unit;
		e->r = req[i];
		e->state = IOPF_QUEUED;
		e->cancelled = false;
		e->via_rid = false;
		CDS_INIT_LIST_HEAD(&e->members);
		if (!req[i].last) {
			list_move_tail(&e->node, &q->partial);
			continue;
		}
		cds_list_for_each_entry_safe(p, pn, &q->partial, node)
			if (same_group(p, unit, &req[i]))
				list_move_tail(&p->node, &e->members);
		e->state = IOPF_RESOLVING;
		list_move_tail(&e->node, &q->busy);
		pthread_mutex_unlock(&q->lock);
		iopf_route(q, unit, e);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	batch_flush(&b);
}

/*
 * Handle one ready group in this thread. With @block, wait for one (false
 * when the worker is told to stop); else false at once if none is ready.
 */
static bool iopf_handle_one(struct core_iopf *q, bool block)
{
	struct siommu_ctx *ctx = q->ctx;
	enum iommu_page_resp_code code = IOMMU_PAGE_RESP_INVALID;
	struct siommu_domain *dom = NULL;
	struct siommu_device *dev;
	struct core_att *att;
	struct iopf_req *g, *m;
	bool cancelled, via_rid;

	pthread_mutex_lock(&q->lock);
	while (cds_list_empty(&q->ready)) {
		if (!block || q->stop) {
			pthread_mutex_unlock(&q->lock);
			return false;
		}
		pthread_cond_wait(&q->work, &q->lock);
	}
	g = cds_list_first_entry(&q->ready, struct iopf_req, node);
	g->state = IOPF_RESOLVING;
	list_move_tail(&g->node, &q->busy);
	pthread_mutex_unlock(&q->lock);

	/* The attachment cannot change while the group is HANDLING: a
	 * detach flushes, and the flush waits for it. */
	pthread_mutex_lock(&ctx->lock);
	att = core_att_by_req(g->unit, &g->r, &dev, &via_rid);
	if (att)
		dom = att->dom;
	pthread_mutex_lock(&q->lock);
	cancelled = g->cancelled;
	if (!cancelled) {
		g->state = IOPF_HANDLING;
		g->via_rid = via_rid;
	}
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_unlock(&ctx->lock);

	if (cancelled) {
		/* The flush answered it. */
		pthread_mutex_lock(&q->lock);
		group_drop(q, g);
		pthread_mutex_unlock(&q->lock);
		return true;
	}
	if (dom && dom->iopf_fn) {
		code = IOMMU_PAGE_RESP_SUCCESS;
		cds_list_for_each_entry(m, &g->members, node) {
			code = dom->iopf_fn(dom->iopf_arg, &m->r);
			if (code != IOMMU_PAGE_RESP_SUCCESS)
				break;
		}
		if (code == IOMMU_PAGE_RESP_SUCCESS)
			code = dom->iopf_fn(dom->iopf_arg, &g->r);
	}
	group_answer(q, g, code);
	return true;
}

static void *iopf_worker(void *arg)
{
	struct core_iopf *q = arg;

	while (iopf_handle_one(q, true))
		;
	return NULL;
}

/* Start the worker; caller holds mode_lock. 0 or -EAGAIN. */
static int worker_start(struct core_iopf *q)
{
	if (q->running)
		return 0;
	if (mem_should_fail(q->ctx->mem))
		return -EAGAIN;
	q->stop = false;
	if (pthread_create(&q->worker, NULL, iopf_worker, q))
		return -EAGAIN;
	q->running = true;
	return 0;
}

/* Stop and join the worker; caller holds mode_lock and no core lock. */
static void worker_stop(struct core_iopf *q)
{
	if (!q->running)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->worker, NULL);
	q->running = false;
}

/* The context's fault path, set up on first use. */
static int iopf_get(struct siommu_ctx *ctx, struct core_iopf **out)
{
	struct core_iopf *q;
	unsigned int i;
	int ret = 0;

	pthread_mutex_lock(&ctx->lock);
	q = ctx->iopf;
	if (q)
		goto out_unlock;
	if (mem_should_fail(ctx->mem) || !(q = calloc(1, sizeof(*q)))) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	q->ctx = ctx;
	pthread_mutex_init(&q->mode_lock, NULL);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->idle, NULL);
	CDS_INIT_LIST_HEAD(&q->free);
	CDS_INIT_LIST_HEAD(&q->partial);
	CDS_INIT_LIST_HEAD(&q->ready);
	CDS_INIT_LIST_HEAD(&q->busy);
	CDS_INIT_LIST_HEAD(&q->delivered);
	for (i = 0; i < SIOMMU_IOPF_QUEUE; i++)
		cds_list_add_tail(&q->pool[i].node, &q->free);
	q->mode = SIOMMU_IOPF_WORKER;
	/* Reporters load it without the lock. */
	__atomic_store_n(&ctx->iopf, q, __ATOMIC_RELEASE);
out_unlock:
	pthread_mutex_unlock(&ctx->lock);
	*out = q;
	return ret;
}

int core_iopf_init(struct siommu_ctx *ctx)
{
	struct core_iopf *q;

	return iopf_get(ctx, &q);
}

int core_iopf_enable(struct siommu_ctx *ctx)
{
	struct core_iopf *q;
	int ret;

	ret = iopf_get(ctx, &q);
	if (ret)
		return ret;
	pthread_mutex_lock(&q->mode_lock);
	if (q->mode == SIOMMU_IOPF_WORKER)
		ret = worker_start(q);
	pthread_mutex_unlock(&q->mode_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_iopf_set_mode(struct siommu_ctx *ctx, enum siommu_iopf_mode mode)
{
	struct core_iopf *q;
	int ret;

	if (!ctx || (mode != SIOMMU_IOPF_WORKER && mode != SIOMMU_IOPF_POLL))
		return -EINVAL;
	ret = iopf_get(ctx, &q);
	if (ret)
		return ret;
	pthread_mutex_lock(&q->mode_lock);
	if (mode == SIOMMU_IOPF_WORKER) {
		ret = worker_start(q);
	} else {
		worker_stop(q);
		/* The queue of a context that has been set to POLL is kept for
		 * the poller whether or not SVA is in use. */
	}
	if (!ret)
		q->mode = mode;
	pthread_mutex_unlock(&q->mode_lock);
	return ret;
}

unsigned int SIOMMU_EXPORT siommu_iopf_poll(struct siommu_ctx *ctx, unsigned int max)
{
	struct core_iopf *q;
	unsigned int n = 0;

	if (!ctx)
		return 0;
	q = __atomic_load_n(&ctx->iopf, __ATOMIC_ACQUIRE);
	if (!q)
		return 0;
	while ((!max || n < max) && iopf_handle_one(q, false))
		n++;
	return n;
}

/* Cancelled RESOLVING groups answered per pass of core_iopf_flush(). */
#define IOPF_CANCEL_BATCH 8

void core_iopf_flush(struct siommu_device *dev, uint32_t pasid)
{
	struct siommu_unit *unit = dev->unit;
	struct core_iopf *q = unit->ctx->iopf;
	uint16_t rid = dev->cfg.rid;
	struct iopf_req *cut[IOPF_CANCEL_BATCH];
	struct iopf_req *g, *gn;
	struct resp_batch b = { .n = 0 };
	unsigned int i, n;
	bool again;

	if (!q)
		return;
	if (unit->ops->page_req_drain)
		unit->ops->page_req_drain(unit);
	do {
		CDS_LIST_HEAD(dead);

		n = 0;
		pthread_mutex_lock(&q->lock);
		cds_list_for_each_entry_safe(g, gn, &q->partial, node)
			if (same_target(g, unit, rid, pasid))
				cds_list_move(&g->node, &q->free);
		cds_list_for_each_entry_safe(g, gn, &q->ready, node)
			if (same_target(g, unit, rid, pasid))
				list_move_tail(&g->node, &dead);
		/* A RESOLVING group's processor waits for ctx->lock, which we
		 * hold: it reads g->r only after it, so answering from here
		 * is safe, and it frees the group once it sees cancelled. */
		cds_list_for_each_entry(g, &q->busy, node)
			if (n < IOPF_CANCEL_BATCH && g->state == IOPF_RESOLVING &&
			    !g->cancelled && same_target(g, unit, rid, pasid)) {
				g->cancelled = true;
				cut[n++] = g;
			}
		pthread_mutex_unlock(&q->lock);
		/* Answered with no iopf lock held: a device's response
		 * callback may report a new request. */
		cds_list_for_each_entry(g, &dead, node)
			batch_add(&b, unit, &g->r, IOMMU_PAGE_RESP_INVALID);
		for (i = 0; i < n; i++)
			batch_add(&b, unit, &cut[i]->r, IOMMU_PAGE_RESP_INVALID);
		batch_flush(&b);
		pthread_mutex_lock(&q->lock);
		cds_list_for_each_entry_safe(g, gn, &dead, node)
			group_free(q, g);
		pthread_mutex_unlock(&q->lock);
	} while (n == IOPF_CANCEL_BATCH);

	/* A HANDLING group answers itself, and one being delivered is
	 * answered or kept by its router; wait for them. */
	pthread_mutex_lock(&q->lock);
	do {
		again = false;
		cds_list_for_each_entry(g, &q->busy, node)
			if (g->state == IOPF_HANDLING && same_target(g, unit, rid, pasid))
				again = true;
		cds_list_for_each_entry(g, &q->delivered, node)
			if (g->delivering && same_target(g, unit, rid, pasid))
				again = true;
		if (again)
			pthread_cond_wait(&q->idle, &q->lock);
	} while (again);
	/* Delivered groups still waiting for their user: answered here,
	 * their cookies stale from now on. */
	{
		CDS_LIST_HEAD(dead);

		cds_list_for_each_entry_safe(g, gn, &q->delivered, node)
			if (same_target(g, unit, rid, pasid)) {
				g->state = IOPF_HANDLING;
				list_move_tail(&g->node, &dead);
			}
		pthread_mutex_unlock(&q->lock);
		cds_list_for_each_entry(g, &dead, node)
			batch_add(&b, unit, &g->r, IOMMU_PAGE_RESP_INVALID);
		batch_flush(&b);
		pthread_mutex_lock(&q->lock);
		cds_list_for_each_entry_safe(g, gn, &dead, node)
			group_free(q, g);
	}
	pthread_mutex_unlock(&q->lock);
}

int core_iopf_respond(struct siommu_ctx *ctx, uint64_t cookie,
		      enum iommu_page_resp_code code)
{
	struct core_iopf *q = __atomic_load_n(&ctx->iopf, __ATOMIC_ACQUIRE);
	uint32_t slot = (uint32_t)cookie;
	struct iopf_req *g;

	if (!q || slot >= SIOMMU_IOPF_QUEUE)
		return -ENOENT;
	g = &q->pool[slot];
	pthread_mutex_lock(&q->lock);
	if (g->state != IOPF_DELIVERED || g->gen != (uint32_t)(cookie >> 32) || g->answered) {
		pthread_mutex_unlock(&q->lock);
		return -ENOENT;
	}
	if (g->delivering) {
		/* Its router answers once the deliverer returns. */
		g->answered = true;
		g->resp_code = code;
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	/* HANDLING until answered: a detach waits for the answer. */
	g->state = IOPF_HANDLING;
	list_move_tail(&g->node, &q->busy);
	pthread_mutex_unlock(&q->lock);
	group_answer(q, g, code);
	return 0;
}

void core_iopf_fini(struct siommu_ctx *ctx)
{
	struct core_iopf *q = ctx->iopf;
	struct resp_batch b = { .n = 0 };
	struct iopf_req *g;

	if (!q)
		return;
	pthread_mutex_lock(&q->mode_lock);
	worker_stop(q);
	pthread_mutex_unlock(&q->mode_lock);
	SIOMMU_ASSERT(cds_list_empty(&q->busy));
	/* Every device is still there: each queued or delivered group gets
	 * its answer. */
	cds_list_for_each_entry(g, &q->ready, node)
		batch_add(&b, g->unit, &g->r, IOMMU_PAGE_RESP_INVALID);
	cds_list_for_each_entry(g, &q->delivered, node)
		batch_add(&b, g->unit, &g->r, IOMMU_PAGE_RESP_INVALID);
	batch_flush(&b);
	ctx->iopf = NULL;
	pthread_cond_destroy(&q->idle);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->mode_lock);
	free(q);
}
