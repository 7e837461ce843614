/* SPDX-License-Identifier: MIT */
/*
 * Stress: device callbacks from the invalidation queue that use the unit,
 * while several threads submit, a thread reads and writes registers, and
 * a device comes and goes.
 *
 * Two submitters share the queue the way a driver's threads would (a lock
 * of their own around filling the queue and writing IQT, none while they
 * wait). Each submits a device-TLB invalidation numbered in queue order and
 * a wait with its own status word, then polls the status word. The device
 * callback checks the numbers arrive in order, translates through ATS,
 * issues a DMA that faults and a page request, reads registers, and only
 * then records the number as done. A submitter whose wait completed must
 * find its number done: a wait completes only after the callbacks before
 * it returned. A callback has a helper thread, when it is idle, submit
 * more work while it waits, so that an IQT write lands while the queue is being
 * processed; the helper's wait is checked the same way. The interrupt
 * handler clears fault records and drains the
 * page request queue from whatever thread raised the event. An alarm fails
 * a deadlock.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "callbacks_test.h"
#include "vtd_test.h"

#define RID	0x0610
#define RID2	0x0618		/* registered and unregistered in a loop */
#define PASID	3
#define MAPPED	0x40000ull
#define UNMAPPED 0x80000ull
#define SUBMITTERS 2

struct stress {
	struct vt t;
	pthread_mutex_t q_lock;		/* the queue: filling it and IQT */
	uint64_t next_seq;		/* q_lock, or the helper when asked */
	struct cb_order order;
	uint64_t faults, prqs;		/* atomic */
	int stop;			/* atomic */
	pthread_mutex_t irq_lock;	/* the interrupt handler's */
	struct cb_helper helper;
};

/* The invalidation's address carries its number and who submitted it. */
#define INV_ADDR(seq, helper)	((seq) << 13 | (uint64_t)(helper) << 12)

/* Writes [device-TLB invalidation @seq, optional page response, wait]
 * at @tail and moves IQT. */
static void submit(struct stress *s, uint64_t tail, uint64_t seq, bool helper,
		   bool resp, uint64_t status, uint32_t cookie)
{
	struct siommu_vtd_desc d[3];
	unsigned int n = 0, k;

	d[n++] = siommu_vtd_desc_devtlb(RID, INV_ADDR(seq, helper), false);
	if (resp)
		d[n++] = siommu_vtd_desc_page_resp(RID2, true, PASID, 1, 0, true);
	d[n++] = siommu_vtd_desc_wait(true, true, false, false, status, cookie);
	for (k = 0; k < n; k++) {
		CHECK_OK(siommu_mem_write(s->t.mem, s->t.iq + tail, &d[k], 32));
		tail = (tail + 32) % 4096;
	}
	vt_wr(&s->t, SIOMMU_VTD_REG_IQT, 8, tail);
}

/* The status word of a wait. */
static uint32_t status_word(struct stress *s, uint64_t status)
{
	uint32_t st = 0;

	CHECK_OK(siommu_mem_read(s->t.mem, status, &st, 4));
	return __atomic_load_n(&st, __ATOMIC_ACQUIRE);
}

/* Polls the status word of a wait; then the invalidation @seq before it
 * must have been done. */
static void wait_status(struct stress *s, uint64_t status, uint32_t cookie, uint64_t seq)
{
	while (status_word(s, status) != cookie) {
		CHECK_EQ(vt_rd(&s->t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_IQE, 0);
		sched_yield();
	}
	cb_order_completed(&s->order, seq);
}

/* The helper's submission, at the tail: an invalidation and a wait with
 * a status word of its own. */
static void helper_submit(void *ctx, uint64_t seq, uint32_t cookie)
{
	struct stress *s = ctx;

	submit(s, vt_rd(&s->t, SIOMMU_VTD_REG_IQT, 8), seq, true, false,
	       s->t.status + 4 * SUBMITTERS, cookie);
}

static uint32_t helper_cookie(void *ctx)
{
	struct stress *s = ctx;

	return status_word(s, s->t.status + 4 * SUBMITTERS);
}

static void irq(void *opaque, enum siommu_vtd_irq kind, uint64_t addr, uint32_t data)
{
	struct stress *s = opaque;
	unsigned int i;

	(void)addr;
	(void)data;
	pthread_mutex_lock(&s->irq_lock);
	if (kind == SIOMMU_VTD_IRQ_FAULT) {
		(void)vt_rd(&s->t, SIOMMU_VTD_REG_FSTS, 4);
		for (i = 0; i < 8; i++)
			vt_wr(&s->t, SIOMMU_VTD_REG_FRCD + 16 * i + 12, 4, 1u << 31);
		vt_wr(&s->t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_PFO);
		__atomic_fetch_add(&s->faults, 1, __ATOMIC_RELAXED);
	} else if (kind == SIOMMU_VTD_IRQ_PRQ) {
		vt_wr(&s->t, SIOMMU_VTD_REG_PQH, 8, vt_rd(&s->t, SIOMMU_VTD_REG_PQT, 8));
		vt_wr(&s->t, SIOMMU_VTD_REG_PRS, 4,
		      SIOMMU_VTD_PRS_PPR | SIOMMU_VTD_PRS_PRO);
		__atomic_fetch_add(&s->prqs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->irq_lock);
}

static void use_unit(struct stress *s, uint16_t rid)
{
	struct siommu_vtd_req r = vt_req(rid, true, PASID, MAPPED, SIOMMU_VTD_READ);
	struct siommu_vtd_page_req pr = { .rid = rid, .pasid_present = true,
					  .pasid = PASID, .addr = UNMAPPED,
					  .access = SIOMMU_VTD_WRITE, .last = true };
	struct siommu_vtd_xlate x;
	uint32_t word = 0;
	int ret;

	ret = siommu_vtd_ats_translate(s->t.v, &r, &x);
	CHECK(ret == 0 || rid == RID2);
	r.iova = UNMAPPED;
	CHECK_EQ(siommu_vtd_dma_write(s->t.v, &r, &word, 4, NULL, &x), -EFAULT);
	ret = siommu_vtd_page_request(s->t.v, &pr);
	CHECK(ret == 0 || ret == -ENOSPC);
	(void)vt_rd(&s->t, SIOMMU_VTD_REG_IQH, 8);
	(void)vt_rd(&s->t, SIOMMU_VTD_REG_ICS, 4);
}

static void cb_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct stress *s = opaque;
	uint64_t seq = inv->addr >> 13;

	cb_order_seen(&s->order, seq);
	use_unit(s, RID);
	/* Each submitter's invalidation; not the helper's own. */
	if (!(inv->addr & (1ull << 12)))
		cb_helper_delegate(&s->helper);
	cb_order_done(&s->order, seq);
}

static void cb_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	use_unit(opaque, r->rid);
}

struct submitter {
	struct stress *s;
	unsigned int id;
	uint64_t ops;
};

/* Room for @n more descriptors (one slot stays free: head == tail is empty). */
static bool room(struct stress *s, uint64_t tail, unsigned int n)
{
	uint64_t head = vt_rd(&s->t, SIOMMU_VTD_REG_IQH, 8);

	return ((head - tail - 32) & 4095) >= 32ull * n;
}

static void *submitter(void *arg)
{
	struct submitter *sub = arg;
	struct stress *s = sub->s;
	uint64_t status = s->t.status + 4 * sub->id, i;
	uint32_t cookie = 0;

	for (i = 0; i < sub->ops; i++) {
		uint64_t tail, seq;

		pthread_mutex_lock(&s->q_lock);
		/* Room for ours and for the helper's. */
		tail = vt_rd(&s->t, SIOMMU_VTD_REG_IQT, 8);
		while (!room(s, tail, 5)) {
			pthread_mutex_unlock(&s->q_lock);
			sched_yield();
			pthread_mutex_lock(&s->q_lock);
			tail = vt_rd(&s->t, SIOMMU_VTD_REG_IQT, 8);
		}
		seq = ++s->next_seq;
		submit(s, tail, seq, false, i % 4 == 0, status, ++cookie);
		pthread_mutex_unlock(&s->q_lock);
		wait_status(s, status, cookie, seq);
	}
	return NULL;
}

/* Reads the queue's registers, acknowledges IWC, and makes RID2 come
 * and go while its page responses are in flight. */
static void *churn(void *arg)
{
	struct stress *s = arg;
	struct siommu_vtd_dev_ops ops = { .page_resp = cb_resp };

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t h = vt_rd(&s->t, SIOMMU_VTD_REG_IQH, 8);

		CHECK_EQ(h % 32, 0);
		vt_wr(&s->t, SIOMMU_VTD_REG_ICS, 4, SIOMMU_VTD_ICS_IWC);
		CHECK_OK(siommu_vtd_dev_register(s->t.v, RID2, &ops, s));
		sched_yield();
		siommu_vtd_dev_unregister(s->t.v, RID2);
	}
	return NULL;
}

int main(void)
{
	struct siommu_vtd_dev_ops ops = { cb_inv, cb_resp };
	struct submitter sub[SUBMITTERS];
	pthread_t th[SUBMITTERS], tc, th_helper;
	uint64_t fs, page, ops_n = test_ops(2000);
	struct stress s;
	unsigned int i;

	alarm(120);
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.q_lock, NULL);
	pthread_mutex_init(&s.irq_lock, NULL);
	vt_init(&s.t, NULL);
	siommu_vtd_set_msi(s.t.v, irq, &s);
	vt_ctx(&s.t, RID, true, 0);
	vt_ctx(&s.t, RID2, true, 0);
	fs = vt_pasid_fs(&s.t, RID, PASID, 1, 4);
	page = vt_page(&s.t);
	CHECK_OK(siommu_vtd_build_map(s.t.mem, SIOMMU_VTD_FMT_FS, fs, 4, MAPPED, page,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
				      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_dev_register(s.t.v, RID, &ops, &s));
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
		" fault events %" PRIu64 ", page request events %" PRIu64 "\n",
		s.order.callbacks, s.helper.delegated, s.faults, s.prqs);
	cb_helper_check_run(&s.helper, SUBMITTERS * ops_n);
	CHECK(s.faults > 0);
	CHECK(s.prqs > 0);
	CHECK_EQ(vt_rd(&s.t, SIOMMU_VTD_REG_IQH, 8), vt_rd(&s.t, SIOMMU_VTD_REG_IQT, 8));
	siommu_vtd_dev_unregister(s.t.v, RID);
	vt_fini(&s.t);
	cb_helper_fini(&s.helper);
	pthread_mutex_destroy(&s.irq_lock);
	pthread_mutex_destroy(&s.q_lock);
	return 0;
}
