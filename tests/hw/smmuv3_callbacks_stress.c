/* SPDX-License-Identifier: MIT */
/*
 * Stress: device callbacks from the command queue that use the unit,
 * while several threads submit, a thread reads and writes registers, and
 * a device comes and goes.
 *
 * Two submitters share the queue the way a driver's threads would (a lock
 * of their own around filling the queue and writing CMDQ_PROD, none while
 * they wait). Each submits a CMD_ATC_INV numbered in queue order and a
 * CMD_SYNC with its own MSI word, then polls the word. The device callback
 * checks the numbers arrive in order, translates through ATS, issues a DMA
 * that faults and a page request, reads registers, and only then records
 * the number as done. A submitter whose SYNC completed must find its
 * number done: a SYNC completes only after the callbacks before it
 * returned. A callback has a helper thread, when it is idle, submit more
 * work while it waits, so that a PROD write lands while the queue is
 * being processed; the helper's SYNC is checked the same way. The
 * interrupt handler drains the event and PRI queues from whatever thread
 * raised the interrupt. An alarm fails a deadlock.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "callbacks_test.h"
#include "smmuv3_test.h"

#define SID	0x31
#define SID2	0x32		/* registered and unregistered in a loop */
#define MAPPED	0x40000ull
#define UNMAPPED 0x80000ull
#define SUBMITTERS 2

struct stress {
	struct st t;
	pthread_mutex_t q_lock;		/* the queue: filling it and PROD */
	uint64_t next_seq;		/* q_lock, or the helper when asked */
	struct cb_order order;
	uint64_t events, pris;		/* atomic */
	int stop;			/* atomic */
	pthread_mutex_t irq_lock;	/* the interrupt handler's */
	struct cb_helper helper;
};

/* The invalidation's address carries its number and who submitted it. */
#define INV_ADDR(seq, helper)	((seq) << 13 | (uint64_t)(helper) << 12)

static uint32_t rd32(struct stress *s, uint64_t off)
{
	return (uint32_t)st_rd(&s->t, off, 4);
}

/* Writes [CMD_ATC_INV @seq, optional CMD_PRI_RESP, CMD_SYNC] at PROD and
 * moves PROD past them. */
static void submit(struct stress *s, uint64_t seq, bool helper, bool resp,
		   uint64_t word, uint32_t cookie)
{
	uint32_t prod = rd32(s, SIOMMU_SMMUV3_CMDQ_PROD);
	uint64_t cmd[3][2];
	unsigned int n = 0, k;

	cmd[n][0] = OP_ATC_INV | CMD_SID(SID);
	cmd[n++][1] = INV_ADDR(seq, helper);
	if (resp) {
		cmd[n][0] = OP_PRI_RESP | CMD_SID(SID2);
		cmd[n++][1] = 1;
	}
	cmd[n][0] = OP_SYNC | 1ull << 12 | (uint64_t)cookie << 32;
	cmd[n++][1] = word;
	for (k = 0; k < n; k++, prod = (prod + 1) & 0x1ff)
		CHECK_OK(siommu_mem_write(s->t.mem, s->t.cmdq + (prod & 0xff) * 16ull,
					  cmd[k], 16));
	st_wr(&s->t, SIOMMU_SMMUV3_CMDQ_PROD, 4, prod);
}

/* The MSI word of a SYNC. */
static uint32_t sync_word(struct stress *s, uint64_t word)
{
	uint32_t v = 0;

	CHECK_OK(siommu_mem_read(s->t.mem, word, &v, 4));
	return __atomic_load_n(&v, __ATOMIC_ACQUIRE);
}

/* Polls the MSI word of a SYNC; then the invalidation @seq before it
 * must have been done. */
static void wait_sync(struct stress *s, uint64_t word, uint32_t cookie, uint64_t seq)
{
	while (sync_word(s, word) != cookie) {
		CHECK_EQ(rd32(s, SIOMMU_SMMUV3_GERROR) & SIOMMU_SMMUV3_GERROR_CMDQ_ERR, 0);
		sched_yield();
	}
	cb_order_completed(&s->order, seq);
}

/* The helper's submission: an invalidation and a SYNC with a word of its own. */
static void helper_submit(void *ctx, uint64_t seq, uint32_t cookie)
{
	struct stress *s = ctx;

	submit(s, seq, true, false, s->t.sync + 4 * SUBMITTERS, cookie);
}

static uint32_t helper_cookie(void *ctx)
{
	struct stress *s = ctx;

	return sync_word(s, s->t.sync + 4 * SUBMITTERS);
}

static void irq(void *opaque, enum siommu_smmuv3_irq kind, uint64_t addr, uint32_t data)
{
	struct stress *s = opaque;

	(void)addr;
	(void)data;
	pthread_mutex_lock(&s->irq_lock);
	if (kind == SIOMMU_SMMUV3_IRQ_SRC_EVTQ) {
		st_wr(&s->t, SIOMMU_SMMUV3_EVTQ_CONS, 4, rd32(s, SIOMMU_SMMUV3_EVTQ_PROD));
		__atomic_fetch_add(&s->events, 1, __ATOMIC_RELAXED);
	} else if (kind == SIOMMU_SMMUV3_IRQ_SRC_PRIQ) {
		st_wr(&s->t, SIOMMU_SMMUV3_PRIQ_CONS, 4, rd32(s, SIOMMU_SMMUV3_PRIQ_PROD));
		__atomic_fetch_add(&s->pris, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->irq_lock);
}

static void use_unit(struct stress *s, uint32_t sid)
{
	struct siommu_smmuv3_req r = st_req(sid, false, 0, MAPPED, SIOMMU_SMMUV3_READ);
	struct siommu_smmuv3_page_req pr = { .sid = sid, .addr = UNMAPPED,
					     .access = SIOMMU_SMMUV3_WRITE, .last = true };
	struct siommu_smmuv3_xlate x;
	uint32_t word = 0;
	int ret;

	ret = siommu_smmuv3_ats_translate(s->t.s, &r, &x);
	CHECK(ret == 0 || sid == SID2);
	r.iova = UNMAPPED;
	r.access = SIOMMU_SMMUV3_WRITE;
	CHECK_EQ(siommu_smmuv3_dma_write(s->t.s, &r, &word, 4, NULL, &x), -EFAULT);
	ret = siommu_smmuv3_page_request(s->t.s, &pr);
	CHECK(ret == 0 || ret == -ENOSPC);
	(void)rd32(s, SIOMMU_SMMUV3_CMDQ_CONS);
	(void)rd32(s, SIOMMU_SMMUV3_GERROR);
}

static void cb_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	struct stress *s = opaque;
	uint64_t seq = inv->addr >> 13;

	cb_order_seen(&s->order, seq);
	use_unit(s, SID);
	/* Each submitter's invalidation; not the helper's own. */
	if (!(inv->addr & (1ull << 12)))
		cb_helper_delegate(&s->helper);
	cb_order_done(&s->order, seq);
}

static void cb_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	use_unit(opaque, r->sid);
}

struct submitter {
	struct stress *s;
	unsigned int id;
	uint64_t ops;
};

/* Room for @n more commands in the 256-entry queue. */
static bool room(struct stress *s, unsigned int n)
{
	uint32_t prod = rd32(s, SIOMMU_SMMUV3_CMDQ_PROD);
	uint32_t cons = rd32(s, SIOMMU_SMMUV3_CMDQ_CONS);

	return 256 - ((prod - cons) & 0x1ff) >= n;
}

static void *submitter(void *arg)
{
	struct submitter *sub = arg;
	struct stress *s = sub->s;
	uint64_t word = s->t.sync + 4 * sub->id, i;
	uint32_t cookie = 0;

	for (i = 0; i < sub->ops; i++) {
		uint64_t seq;

		pthread_mutex_lock(&s->q_lock);
		/* Room for ours and for the helper's. */
		while (!room(s, 5)) {
			pthread_mutex_unlock(&s->q_lock);
			sched_yield();
			pthread_mutex_lock(&s->q_lock);
		}
		seq = ++s->next_seq;
		submit(s, seq, false, i % 4 == 0, word, ++cookie);
		pthread_mutex_unlock(&s->q_lock);
		wait_sync(s, word, cookie, seq);
	}
	return NULL;
}

/* Reads the queue's registers and makes SID2 come and go while its page
 * responses are in flight. */
static void *churn(void *arg)
{
	struct stress *s = arg;
	struct siommu_smmuv3_dev_ops ops = { .pri_resp = cb_resp };

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		CHECK_EQ(rd32(s, SIOMMU_SMMUV3_CMDQ_CONS) >> 24, 0);
		CHECK_OK(siommu_smmuv3_dev_register(s->t.s, SID2, &ops, s));
		sched_yield();
		siommu_smmuv3_dev_unregister(s->t.s, SID2);
	}
	return NULL;
}

int main(void)
{
	struct siommu_smmuv3_dev_ops ops = { .atc_inv = cb_inv, .pri_resp = cb_resp };
	struct submitter sub[SUBMITTERS];
	pthread_t th[SUBMITTERS], tc, th_helper;
	uint64_t page, root, cd, ops_n = test_ops(2000);
	struct stress s;
	unsigned int i;

	alarm(120);
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.q_lock, NULL);
	pthread_mutex_init(&s.irq_lock, NULL);
	st_init(&s.t, NULL);
	siommu_smmuv3_set_msi(s.t.s, irq, &s);
	page = st_alloc(&s.t, 4096);
	root = st_s1_root(&s.t, MAPPED, page);
	cd = st_alloc(&s.t, 4096);
	st_cd(&s.t, cd, 1, root, 25, 0);
	st_ste(&s.t, SID, STE_V | STE_CFG(5) | cd, STE1_EATS(1), 0, 0);
	st_ste(&s.t, SID2, STE_V | STE_CFG(5) | cd, STE1_EATS(1), 0, 0);
	CHECK_OK(siommu_smmuv3_dev_register(s.t.s, SID, &ops, &s));
	cb_helper_init(&s.helper, &s.next_seq, &s.order, helper_submit, helper_cookie, &s);
	CHECK_OK(pthread_create(&tc, NULL, churn, &s));
	CHECK_OK(pthread_create(&th_helper, NULL, cb_helper_thread, &s.helper));
	for (i = 0; i < SUBMITTERS; i++) {
		sub[i].s = &s;
		sub[i].id = i;
		sub[i].ops = ops_n;
		CHECK_OK(pthread_create(&th[i], NULL, submitter, &sub[i]));
	}
	for (i = 0; i < SUBMITTERS; i++)
		CHECK_OK(pthread_join(th[i], NULL));
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(tc, NULL));
	cb_helper_stop(&s.helper);
	CHECK_OK(pthread_join(th_helper, NULL));
	fprintf(stderr, "callbacks %" PRIu64 " (%" PRIu64 " submitted by the helper),"
		" event interrupts %" PRIu64 ", PRI interrupts %" PRIu64 "\n",
		s.order.callbacks, s.helper.delegated, s.events, s.pris);
	cb_helper_check_run(&s.helper, SUBMITTERS * ops_n);
	CHECK(s.events > 0);
	CHECK(s.pris > 0);
	CHECK_EQ(rd32(&s, SIOMMU_SMMUV3_CMDQ_CONS), rd32(&s, SIOMMU_SMMUV3_CMDQ_PROD));
	siommu_smmuv3_dev_unregister(s.t.s, SID);
	st_fini(&s.t);
	cb_helper_fini(&s.helper);
	pthread_mutex_destroy(&s.irq_lock);
	pthread_mutex_destroy(&s.q_lock);
	return 0;
}
