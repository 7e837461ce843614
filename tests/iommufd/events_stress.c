/* SPDX-License-Identifier: MIT */
/*
 * Stress: events against close. Round after round, a device thread issues
 * page requests (each a group of one) at a fault-capable HWPT while a
 * reader reads and answers the fault queue, and the main thread replaces,
 * detaches and finally closes the whole context under them: every request
 * is answered exactly once (by the user, by a detach, by the core when
 * nothing takes it, or "success" when the queue is full), never twice,
 * never after its context went. Meanwhile, on an SMMUv3 vIOMMU, a
 * reporter posts events while a reader drains the vEVENTQ and the main
 * thread destroys and re-creates it: reads see whole records with rising
 * sequence numbers. Run under ThreadSanitizer by `make tsan`.
 */
#include <pthread.h>
#include <sched.h>

#include <siommu/smmuv3.h>

#include "iommufd_test.h"
#include "stress.h"
#include "iommufd/iommufd_internal.h"	/* ifd_viommu_report_event */

#define RID 0x400
#define ROUNDS 40

static struct tfd t;
static struct siommu_iommufd *ictx;	/* the round's, or NULL */
static uint32_t fault_id;
static uint64_t issued, answered;
static int stop, round_done;

static void on_resp(void *opaque, const struct siommu_vtd_page_resp *resp)
{
	(void)opaque;
	(void)resp;
	__atomic_fetch_add(&answered, 1, __ATOMIC_RELAXED);
}

static void *device(void *arg)
{
	struct siommu_vtd_page_req req = { .rid = RID, .access = SIOMMU_VTD_READ, .last = true };
	uint16_t grp = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		req.prgi = grp++ & 0x1ff;
		req.addr = 0x1000ull * (grp & 0xff);
		CHECK_OK(siommu_vtd_page_request(siommu_unit_vtd(t.unit), &req));
		__atomic_fetch_add(&issued, 1, __ATOMIC_RELAXED);
		if (!(grp & 7))
			sched_yield();
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct siommu_hwpt_pgfault r[16];
	uint32_t n, i;

	(void)arg;
	while (!__atomic_load_n(&round_done, __ATOMIC_ACQUIRE)) {
		CHECK_OK(siommu_fault_read(ictx, fault_id, r, 16, &n));
		if (!n)
			sched_yield();
		for (i = 0; i < n; i++) {
			int ret = siommu_fault_respond(ictx, fault_id, r[i].cookie,
						       i & 1 ? SIOMMU_PAGE_RESP_INVALID :
							       SIOMMU_PAGE_RESP_SUCCESS);

			/* A detach may have answered it first. */
			CHECK(ret == 0 || ret == -EINVAL);
		}
	}
	return NULL;
}

/* The minimum the checks at the end need: rounds go on until then. */
static const char *enough(void *arg)
{
	(void)arg;
	TEST_STRESS_NEED(test_count(&issued) > 0);
	return NULL;
}

static void fault_rounds(void)
{
	struct siommu_vtd_dev_ops ops = { .page_resp = on_resp };
	struct siommu_device *pri;
	pthread_t dt, rt;
	uint32_t ioas, d, h, plain, pt, r;
	struct test_stress run;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_device_add(t.unit, &(struct siommu_device_cfg){
		.rid = RID, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &pri));
	CHECK_OK(siommu_vtd_dev_register(siommu_unit_vtd(t.unit), RID, &ops, NULL));
	siommu_iommufd_destroy(t.ictx);
	t.ictx = NULL;
	CHECK_EQ(pthread_create(&dt, NULL, device, NULL), 0);
	run = test_stress_start(0);
	for (r = 0; r < ROUNDS || test_stress_more(&run, enough, NULL); r++) {
		CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
			.ctx = t.ctx, .user = t.user }, &ictx));
		CHECK_OK(siommu_ioas_alloc(ictx, &ioas));
		CHECK_OK(siommu_fault_alloc(ictx, &fault_id));
		CHECK_OK(siommu_iommufd_bind(ictx, pri, &d));
		CHECK_OK(siommu_hwpt_alloc(ictx, d, ioas, SIOMMU_HWPT_FAULT_ID_VALID, fault_id,
					   &h));
		CHECK_OK(siommu_hwpt_alloc(ictx, d, ioas, 0, 0, &plain));
		pt = h;
		CHECK_OK(siommu_iommufd_attach(ictx, d, NOPASID, &pt));
		__atomic_store_n(&round_done, 0, __ATOMIC_RELEASE);
		CHECK_EQ(pthread_create(&rt, NULL, reader, NULL), 0);
		for (unsigned int k = 0; k < 20; k++) {
			pt = k & 1 ? h : plain;
			CHECK_OK(siommu_iommufd_replace(ictx, d, NOPASID, &pt));
			sched_yield();
		}
		if (r & 1)
			CHECK_OK(siommu_iommufd_detach(ictx, d, NOPASID));
		__atomic_store_n(&round_done, 1, __ATOMIC_RELEASE);
		CHECK_EQ(pthread_join(rt, NULL), 0);
		/* Close with the attachment (even rounds) and groups pending. */
		siommu_iommufd_destroy(ictx);
		ictx = NULL;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	CHECK_EQ(pthread_join(dt, NULL), 0);
	CHECK(issued > 0);
	CHECK_EQ(__atomic_load_n(&answered, __ATOMIC_ACQUIRE),
		 __atomic_load_n(&issued, __ATOMIC_ACQUIRE));
	siommu_vtd_dev_unregister(siommu_unit_vtd(t.unit), RID);
	siommu_iommufd_acct_destroy(t.user);
	siommu_ctx_destroy(t.ctx);
}

static struct ifd_viommu *viommu;
static struct siommu_iommufd *vctx;
static uint32_t veventq;		/* the current one, 0 while none */
static int vstop;

static void *reporter(void *arg)
{
	struct siommu_vevent_arm_smmuv3 ev = { { 0 } };
	int ret;

	(void)arg;
	while (!__atomic_load_n(&vstop, __ATOMIC_ACQUIRE)) {
		ev.evt[0]++;
		ret = ifd_viommu_report_event(viommu, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, &ev,
					      sizeof(ev));
		CHECK(ret == 0 || ret == -EOPNOTSUPP);
		if (!(ev.evt[0] & 7))
			sched_yield();
	}
	return NULL;
}

static void *vreader(void *arg)
{
	unsigned char b[40 * 8];
	uint32_t q, seq, last = UINT32_MAX, flags;
	uint64_t n, i;
	int ret;

	(void)arg;
	while (!__atomic_load_n(&vstop, __ATOMIC_ACQUIRE)) {
		q = __atomic_load_n(&veventq, __ATOMIC_ACQUIRE);
		ret = siommu_veventq_read(vctx, q, b, sizeof(b), &n);
		sched_yield();
		if (ret) {
			CHECK_EQ(ret, -ENOENT);
			last = UINT32_MAX;
			continue;
		}
		for (i = 0; i < n; i += flags ? 8 : 40) {
			memcpy(&flags, b + i, 4);
			memcpy(&seq, b + i + 4, 4);
			/* Rising within one queue (a re-created one starts at 0). */
			CHECK(last == UINT32_MAX || seq > last || seq == 0);
			last = seq;
		}
		CHECK_EQ(i, n);
	}
	return NULL;
}

static void veventq_rounds(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	uint32_t d, ioas, parent, v, q, r;
	pthread_t rep, rd;
	struct ifd_obj *o;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_smmuv3(ctx, NULL, &unit));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = ctx }, &vctx));
	dev = test_dev_add(unit, 0x100, 20, 0);
	CHECK_OK(siommu_iommufd_bind(vctx, dev, &d));
	CHECK_OK(siommu_ioas_alloc(vctx, &ioas));
	CHECK_OK(siommu_hwpt_alloc(vctx, d, ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0, &parent));
	CHECK_OK(siommu_viommu_alloc(vctx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, d, parent, &v));
	o = ifd_obj_get(vctx, v, SIOMMU_IOMMUFD_OBJ_VIOMMU);
	viommu = container_of(o, struct ifd_viommu, obj);
	ifd_obj_put(vctx, o);
	CHECK_EQ(pthread_create(&rep, NULL, reporter, NULL), 0);
	CHECK_EQ(pthread_create(&rd, NULL, vreader, NULL), 0);
	for (r = 0; r < ROUNDS * 5; r++) {
		CHECK_OK(siommu_veventq_alloc(vctx, v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
					      1 + r % 8, &q));
		__atomic_store_n(&veventq, q, __ATOMIC_RELEASE);
		sched_yield();
		__atomic_store_n(&veventq, 0, __ATOMIC_RELEASE);
		CHECK_OK(siommu_iommufd_obj_destroy(vctx, q));
	}
	/* Close with a queue full of events and the reporter still on. */
	CHECK_OK(siommu_veventq_alloc(vctx, v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &q));
	__atomic_store_n(&vstop, 1, __ATOMIC_RELEASE);
	CHECK_EQ(pthread_join(rep, NULL), 0);
	CHECK_EQ(pthread_join(rd, NULL), 0);
	siommu_iommufd_destroy(vctx);
	siommu_ctx_destroy(ctx);
}

int main(void)
{
	fault_rounds();
	veventq_rounds();
	return 0;
}
