/* SPDX-License-Identifier: MIT */
/*
 * Fault queues on the core's I/O page-fault path (a fault-capable HWPT's
 * domain delivers its groups to the fault object; answers go back by the
 * core's cookie):
 *   - detach, replace and unbind with groups outstanding, read or not, at
 *     the RID and at PASIDs: each answered "invalid" exactly once, at
 *     once; the groups of other attachments stay and are answered with
 *     the user's code; a response to a cookie read before the detach is
 *     -EINVAL and reaches nothing;
 *   - overflow: SIOMMU_IOPF_QUEUE groups may wait for their user; the next
 *     request is dropped, counted as an overflow and answered "success"
 *     (the device asks again), nothing of it queued; answering a group
 *     makes room for one more; a detach gives every slot back;
 *   - closing the context answers what is outstanding, once.
 */
#include "iommufd_test.h"

#define RID 0x400
#define NGRP 512		/* VT-d page request group indexes (9 bits) */

struct resp_log {
	unsigned int n, by_code[2];
	unsigned int per_grp[NGRP];
	struct siommu_vtd_page_resp last;
};

static void on_resp(void *opaque, const struct siommu_vtd_page_resp *resp)
{
	struct resp_log *l = opaque;

	l->n++;
	CHECK(resp->code <= 1);
	l->by_code[resp->code]++;
	l->per_grp[resp->prgi % NGRP]++;
	l->last = *resp;
}

static void request(struct tfd *t, uint32_t pasid, uint16_t grp, uint64_t addr, bool last)
{
	struct siommu_vtd_page_req req = {
		.rid = RID, .pasid_present = pasid != NOPASID,
		.pasid = pasid == NOPASID ? 0 : pasid, .addr = addr,
		.access = SIOMMU_VTD_READ, .prgi = grp, .last = last,
	};

	CHECK_OK(siommu_vtd_page_request(siommu_unit_vtd(t->unit), &req));
}

static uint32_t read_all(struct tfd *t, uint32_t f, struct siommu_hwpt_pgfault *r, uint32_t max)
{
	uint32_t n;

	CHECK_OK(siommu_fault_read(t->ictx, f, r, max, &n));
	return n;
}

static uint64_t overflows(struct tfd *t)
{
	struct siommu_unit_stats st;

	siommu_unit_get_stats(t->unit, &st);
	return st.iopf_overflows;
}

/* Detach, replace and unbind with groups outstanding. */
static void test_detach(struct tfd *t, struct resp_log *log, struct siommu_device *pri)
{
	struct siommu_hwpt_pgfault r[8];
	uint32_t ioas, d, f, h, plain, pt, n, c7;

	CHECK_OK(siommu_ioas_alloc(t->ictx, &ioas));
	CHECK_OK(siommu_fault_alloc(t->ictx, &f));
	CHECK_OK(siommu_iommufd_bind(t->ictx, pri, &d));
	CHECK_OK(siommu_hwpt_alloc(t->ictx, d, ioas,
				   SIOMMU_HWPT_FAULT_ID_VALID | SIOMMU_HWPT_ALLOC_PASID, f, &h));
	CHECK_OK(siommu_hwpt_alloc(t->ictx, d, ioas, SIOMMU_HWPT_ALLOC_PASID, 0, &plain));
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t->ictx, d, NOPASID, &pt));
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t->ictx, d, 5, &pt));
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t->ictx, d, 7, &pt));

	/* PASID 5: two groups read, one not, one incomplete. PASID 7 and
	 * the RID: one each. */
	request(t, 5, 1, 0x1000, true);
	request(t, 5, 2, 0x2000, false);
	request(t, 5, 2, 0x3000, true);
	request(t, 7, 3, 0x4000, true);
	request(t, NOPASID, 4, 0x5000, true);
	n = read_all(t, f, r, 8);
	CHECK_EQ(n, 5);
	c7 = r[3].cookie;
	CHECK_EQ(r[3].pasid, 7);
	request(t, 5, 6, 0x6000, true);
	request(t, 5, 9, 0x9000, false);
	CHECK_EQ(log->n, 0);
	CHECK_OK(siommu_iommufd_detach(t->ictx, d, 5));
	/* Groups 1, 2 and 6 answered "invalid", once each, at once; the
	 * incomplete group 9 gets no answer (it never asked for one). */
	CHECK_EQ(log->n, 3);
	CHECK_EQ(log->by_code[1], 3);
	CHECK_EQ(log->per_grp[1] + log->per_grp[2] + log->per_grp[6], 3);
	CHECK_EQ(log->per_grp[9], 0);
	/* Their cookies (1 and 2, read before) are stale. */
	CHECK_EQ(siommu_fault_respond(t->ictx, f, r[0].cookie, SIOMMU_PAGE_RESP_SUCCESS),
		 -EINVAL);
	CHECK_EQ(siommu_fault_respond(t->ictx, f, r[1].cookie, SIOMMU_PAGE_RESP_SUCCESS),
		 -EINVAL);
	CHECK_EQ(log->n, 3);
	/* The unread one is gone from the queue. */
	CHECK_EQ(read_all(t, f, r, 8), 0);
	/* PASID 7 and the RID keep theirs: answered as the user says. */
	CHECK_OK(siommu_fault_respond(t->ictx, f, c7, SIOMMU_PAGE_RESP_SUCCESS));
	CHECK_EQ(log->n, 4);
	CHECK_EQ(log->last.code, 0);
	CHECK_EQ(log->last.prgi, 3);
	CHECK_EQ(siommu_fault_respond(t->ictx, f, c7, SIOMMU_PAGE_RESP_SUCCESS), -EINVAL);

	/* Replace at the RID: its group 4 (read) and a new unread one go. */
	request(t, NOPASID, 10, 0xa000, true);
	pt = plain;
	CHECK_OK(siommu_iommufd_replace(t->ictx, d, NOPASID, &pt));
	CHECK_EQ(log->n, 6);
	CHECK_EQ(log->by_code[1], 5);
	CHECK_EQ(log->per_grp[4], 1);
	CHECK_EQ(log->per_grp[10], 1);
	CHECK_EQ(read_all(t, f, r, 8), 0);
	/* Through the plain HWPT: nothing queues, answered at once. */
	request(t, NOPASID, 11, 0xb000, true);
	CHECK_EQ(log->n, 7);
	CHECK_EQ(log->last.code, 1);

	/* Unbind with a group read at PASID 7: answered once. */
	request(t, 7, 12, 0xc000, true);
	CHECK_EQ(read_all(t, f, r, 8), 1);
	CHECK_OK(siommu_iommufd_unbind(t->ictx, d));
	CHECK_EQ(log->n, 8);
	CHECK_EQ(log->per_grp[12], 1);
	CHECK_EQ(log->last.code, 1);
	CHECK_EQ(siommu_fault_respond(t->ictx, f, r[0].cookie, SIOMMU_PAGE_RESP_SUCCESS),
		 -EINVAL);
	CHECK_EQ(log->n, 8);
	CHECK_OK(siommu_iommufd_obj_destroy(t->ictx, h));
	CHECK_OK(siommu_iommufd_obj_destroy(t->ictx, plain));
	CHECK_OK(siommu_iommufd_obj_destroy(t->ictx, f));
	CHECK_OK(siommu_iommufd_obj_destroy(t->ictx, ioas));
	memset(log, 0, sizeof(*log));
}

/* More groups outstanding than the core's queue holds. */
static void test_overflow(struct tfd *t, struct resp_log *log, struct siommu_device *pri)
{
	static struct siommu_hwpt_pgfault r[SIOMMU_IOPF_QUEUE + 1];
	uint32_t ioas, d, f, h, pt, n, i;
	uint64_t ov = overflows(t);

	CHECK_OK(siommu_ioas_alloc(t->ictx, &ioas));
	CHECK_OK(siommu_fault_alloc(t->ictx, &f));
	CHECK_OK(siommu_iommufd_bind(t->ictx, pri, &d));
	CHECK_OK(siommu_hwpt_alloc(t->ictx, d, ioas, SIOMMU_HWPT_FAULT_ID_VALID, f, &h));
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t->ictx, d, NOPASID, &pt));

	/* Half read, half not: both hold their slot. */
	for (i = 0; i < SIOMMU_IOPF_QUEUE / 2; i++)
		request(t, NOPASID, (uint16_t)(i % NGRP), 0x1000 * (i + 1), true);
	CHECK_EQ(read_all(t, f, r, SIOMMU_IOPF_QUEUE), SIOMMU_IOPF_QUEUE / 2);
	for (; i < SIOMMU_IOPF_QUEUE; i++)
		request(t, NOPASID, (uint16_t)(i % NGRP), 0x1000 * (i + 1), true);
	CHECK_EQ(log->n, 0);
	CHECK_EQ(overflows(t), ov);
	/* Full: dropped, counted, answered "success" so that it is asked
	 * again; nothing of it reaches the fault queue. A multi-request
	 * group loses every request. */
	request(t, NOPASID, 100, 0xdead000, true);
	CHECK_EQ(overflows(t), ov + 1);
	CHECK_EQ(log->n, 1);
	CHECK_EQ(log->last.code, 0);
	CHECK_EQ(log->last.prgi, 100);
	request(t, NOPASID, 101, 0xbeef000, false);
	request(t, NOPASID, 101, 0xbeef000, true);
	CHECK_EQ(overflows(t), ov + 3);
	CHECK_EQ(log->n, 2);
	n = read_all(t, f, r, SIOMMU_IOPF_QUEUE + 1);
	CHECK_EQ(n, SIOMMU_IOPF_QUEUE / 2);
	for (i = 0; i < n; i++)
		CHECK(r[i].addr != 0xdead000 && r[i].addr != 0xbeef000);
	/* Answering one makes room for one. */
	CHECK_OK(siommu_fault_respond(t->ictx, f, r[0].cookie, SIOMMU_PAGE_RESP_SUCCESS));
	CHECK_EQ(log->n, 3);
	request(t, NOPASID, 102, 0x7000, true);
	CHECK_EQ(overflows(t), ov + 3);
	CHECK_EQ(log->n, 3);
	CHECK_EQ(read_all(t, f, r, 4), 1);
	CHECK_EQ(r[0].addr, 0x7000);
	request(t, NOPASID, 103, 0x8000, true);
	CHECK_EQ(overflows(t), ov + 4);
	CHECK_EQ(log->n, 4);
	/* Detach answers every outstanding group and frees every slot. */
	CHECK_OK(siommu_iommufd_detach(t->ictx, d, NOPASID));
	CHECK_EQ(log->n, 4 + SIOMMU_IOPF_QUEUE);
	CHECK_EQ(log->by_code[1], SIOMMU_IOPF_QUEUE);
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t->ictx, d, NOPASID, &pt));
	for (i = 0; i < SIOMMU_IOPF_QUEUE; i++)
		request(t, NOPASID, (uint16_t)(i % NGRP), 0x1000 * (i + 1), true);
	CHECK_EQ(overflows(t), ov + 4);
	CHECK_EQ(read_all(t, f, r, SIOMMU_IOPF_QUEUE + 1), SIOMMU_IOPF_QUEUE);
	memset(log, 0, sizeof(*log));
	/* Closing the context answers them, once each. */
}

int main(void)
{
	struct siommu_vtd_dev_ops ops = { .page_resp = on_resp };
	static struct resp_log log;
	struct siommu_device *pri;
	struct tfd t;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_device_add(t.unit, &(struct siommu_device_cfg){
		.rid = RID, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &pri));
	CHECK_OK(siommu_vtd_dev_register(siommu_unit_vtd(t.unit), RID, &ops, &log));
	test_detach(&t, &log, pri);
	test_overflow(&t, &log, pri);
	siommu_iommufd_destroy(t.ictx);
	CHECK_EQ(log.n, SIOMMU_IOPF_QUEUE);
	CHECK_EQ(log.by_code[1], SIOMMU_IOPF_QUEUE);
	t.ictx = NULL;
	siommu_vtd_dev_unregister(siommu_unit_vtd(t.unit), RID);
	CHECK_EQ(siommu_iommufd_acct_locked(t.user), 0);
	siommu_iommufd_acct_destroy(t.user);
	siommu_ctx_destroy(t.ctx);
	return 0;
}
