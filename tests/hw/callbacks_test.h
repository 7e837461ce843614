/* SPDX-License-Identifier: MIT */
/*
 * What the tests of the models' device callbacks share, whichever queue
 * brings the callbacks (VT-d's invalidation queue, SMMUv3's command
 * queue):
 *  - a gate: a callback that, when asked, stops until the test releases
 *    it, so that the test can act while it runs;
 *  - the ordering record of a stress run: callbacks carry numbers given
 *    in queue order, must see them in order, and mark each done; a
 *    completion (a wait descriptor, a CMD_SYNC) seen by a submitter must
 *    come after the number it followed was done;
 *  - the helper thread of a stress run, which a callback asks to submit
 *    while the queue is being processed, and waits for.
 */
#ifndef SIOMMU_TESTS_CALLBACKS_TEST_H
#define SIOMMU_TESTS_CALLBACKS_TEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "test.h"

/* ---- gate ---------------------------------------------------------------- */

struct cb_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool block, entered, release;
};

static inline void cb_gate_init(struct cb_gate *g)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->block = g->entered = g->release = false;
}

static inline void cb_gate_fini(struct cb_gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

/* From a callback: if the gate blocks, say so and wait for the release. */
static inline void cb_gate_pass(struct cb_gate *g)
{
	pthread_mutex_lock(&g->mu);
	if (g->block) {
		g->entered = true;
		pthread_cond_broadcast(&g->cv);
		while (!g->release)
			pthread_cond_wait(&g->cv, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
}

/* Wait until a callback is held at the gate. */
static inline void cb_gate_wait_entered(struct cb_gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->entered)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static inline void cb_gate_release(struct cb_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->release = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* ---- ordering record ------------------------------------------------------ */

struct cb_order {
	uint64_t last_seen;	/* callbacks are serial; atomic */
	uint64_t done_seq;	/* atomic */
	uint64_t out_of_order;	/* atomic */
	uint64_t early;		/* completions before their number was done; atomic */
	uint64_t callbacks;	/* atomic */
};

/* A callback for number @seq begins. */
static inline void cb_order_seen(struct cb_order *o, uint64_t seq)
{
	if (seq <= __atomic_load_n(&o->last_seen, __ATOMIC_RELAXED))
		__atomic_fetch_add(&o->out_of_order, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&o->last_seen, seq, __ATOMIC_RELAXED);
}

/* The callback for number @seq is done. */
static inline void cb_order_done(struct cb_order *o, uint64_t seq)
{
	__atomic_fetch_add(&o->callbacks, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&o->done_seq, seq, __ATOMIC_RELEASE);
}

/* A completion that followed number @seq was seen. */
static inline void cb_order_completed(struct cb_order *o, uint64_t seq)
{
	if (__atomic_load_n(&o->done_seq, __ATOMIC_ACQUIRE) < seq)
		__atomic_fetch_add(&o->early, 1, __ATOMIC_RELAXED);
}

/* ---- helper --------------------------------------------------------------- */

#define CB_HELPER_RING 1024	/* more than the helper's completions in a queue */

/*
 * The helper: idle, asked (by a callback), stopped. Asked, it takes the
 * next number from *next_seq and submits it with a new cookie through
 * @submit, which queues the numbered work and a completion that writes
 * the cookie where @last_cookie reads it (0: none yet). The thread
 * processing the queue is blocked in the callback that asked until the
 * helper's submission returned: the queue is the helper's meanwhile.
 * The helper does not wait for its completion (that one is behind the
 * callback that asked); callbacks check it instead (cb_helper_check()).
 */
struct cb_helper {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	enum { CB_H_IDLE, CB_H_ASKED, CB_H_STOP } state;
	uint32_t cookie;			/* lock */
	uint64_t seq[CB_HELPER_RING];		/* number before cookie % RING; atomic */
	uint64_t delegated;			/* lock */
	uint64_t *next_seq;			/* the submitters' lock, or the helper */
	struct cb_order *order;
	void (*submit)(void *ctx, uint64_t seq, uint32_t cookie);
	uint32_t (*last_cookie)(void *ctx);
	void *ctx;
};

static inline void cb_helper_init(struct cb_helper *h, uint64_t *next_seq,
				  struct cb_order *order,
				  void (*submit)(void *ctx, uint64_t seq, uint32_t cookie),
				  uint32_t (*last_cookie)(void *ctx), void *ctx)
{
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->state = CB_H_IDLE;
	h->cookie = 0;
	h->delegated = 0;
	h->next_seq = next_seq;
	h->order = order;
	h->submit = submit;
	h->last_cookie = last_cookie;
	h->ctx = ctx;
}

static inline void *cb_helper_thread(void *arg)
{
	struct cb_helper *h = arg;
	uint64_t seq;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (h->state != CB_H_ASKED && h->state != CB_H_STOP)
			pthread_cond_wait(&h->cv, &h->lock);
		if (h->state == CB_H_STOP)
			break;
		seq = ++*h->next_seq;
		h->cookie++;
		__atomic_store_n(&h->seq[h->cookie % CB_HELPER_RING], seq, __ATOMIC_RELEASE);
		h->submit(h->ctx, seq, h->cookie);
		h->delegated++;
		h->state = CB_H_IDLE;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* The helper's last completion came after a number that is done. */
static inline void cb_helper_check(struct cb_helper *h)
{
	uint32_t c = h->last_cookie(h->ctx);

	if (c)
		cb_order_completed(h->order,
				   __atomic_load_n(&h->seq[c % CB_HELPER_RING], __ATOMIC_ACQUIRE));
}

/* From a callback: have the helper submit, if it is idle. */
static inline void cb_helper_delegate(struct cb_helper *h)
{
	pthread_mutex_lock(&h->lock);
	cb_helper_check(h);
	if (h->state == CB_H_IDLE) {
		h->state = CB_H_ASKED;
		pthread_cond_broadcast(&h->cv);
		while (h->state == CB_H_ASKED)
			pthread_cond_wait(&h->cv, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);
}

static inline void cb_helper_stop(struct cb_helper *h)
{
	pthread_mutex_lock(&h->lock);
	h->state = CB_H_STOP;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->lock);
}

/* The end of a stress run whose submitters submitted @submitted numbers,
 * the helper stopped: each asked the helper once, every callback ran, in
 * order, and no completion came before what it followed. */
static inline void cb_helper_check_run(struct cb_helper *h, uint64_t submitted)
{
	struct cb_order *o = h->order;

	CHECK_EQ(o->callbacks, submitted + h->delegated);
	CHECK_EQ(h->delegated, submitted);
	cb_helper_check(h);
	CHECK_EQ(h->last_cookie(h->ctx), h->cookie);
	CHECK_EQ(o->out_of_order, 0);
	CHECK_EQ(o->early, 0);
}

static inline void cb_helper_fini(struct cb_helper *h)
{
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->lock);
}

#endif
