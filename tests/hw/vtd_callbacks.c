/* SPDX-License-Identifier: MIT */
/*
 * Device callbacks from the invalidation queue (device-TLB invalidation,
 * page group response) run with no lock of the unit held: a device may
 * retry its DMA, translate through ATS or issue a page request from them,
 * and the interrupt handlers those raise may read and write the unit's
 * registers. The queue keeps its order meanwhile: a wait descriptor
 * completes only after the callbacks of the descriptors before it
 * returned, whoever writes IQT in between. An alarm turns a deadlock into
 * a failure.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "callbacks_test.h"
#include "vtd_test.h"

#define RID	0x0210
#define PASID	7
#define MAPPED	0x10000ull
#define UNMAPPED 0x20000ull

struct env {
	struct vt t;
	uint64_t page;
	/* What the interrupt handler saw and did. */
	unsigned int nfault, nprq, ninv_msi, ninv_msi_in_cb;
	uint32_t fault_reason;
	uint32_t fsts_after;
	uint64_t prq_desc[4];
	/* What the device callbacks saw and did. */
	unsigned int ninv, nresp;
	int dma_ret;
	uint32_t dma_reason;
	int ats_ret;
	uint32_t ats_perm;
	int prq_ret;
	uint64_t iqh_in_cb, iqt_in_cb;
	uint32_t ics_in_cb, fsts_in_cb, status_in_cb;
	void (*on_inv)(struct env *e);
	void (*on_resp)(struct env *e);
	struct cb_gate gate;	/* blocking callbacks */
};

static uint32_t rd32(struct env *e, uint64_t off)
{
	return (uint32_t)vt_rd(&e->t, off, 4);
}

static uint32_t status_word(struct env *e, unsigned int slot)
{
	uint32_t st = 0;

	CHECK_OK(siommu_mem_read(e->t.mem, e->t.status + 4 * slot, &st, 4));
	return st;
}

/*
 * The interrupt handler a driver would have: the fault event reads the
 * records and clears them (VT-d 7.2.1), the page request event drains the
 * queue (VT-d 7.5.1). Both read and write registers of the unit.
 */
static void env_msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr,
		    uint32_t data)
{
	struct env *e = opaque;
	uint64_t pqh, pqt;

	(void)addr;
	(void)data;
	if (irq == SIOMMU_VTD_IRQ_FAULT) {
		uint32_t fsts = rd32(e, SIOMMU_VTD_REG_FSTS);
		unsigned int i;
		uint64_t hi;

		e->nfault++;
		if (fsts & SIOMMU_VTD_FSTS_PPF) {
			i = SIOMMU_VTD_FSTS_FRI(fsts);
			hi = vt_rd(&e->t, SIOMMU_VTD_REG_FRCD + 16 * i + 8, 8);
			e->fault_reason = (uint32_t)(hi >> 32) & 0xff;
		}
		/* Records and PFO only: IQE is the queue owner's to clear,
		 * after it fixed the descriptor. */
		for (i = 0; i < 8; i++)
			vt_wr(&e->t, SIOMMU_VTD_REG_FRCD + 16 * i + 12, 4, 1u << 31);
		vt_wr(&e->t, SIOMMU_VTD_REG_FSTS, 4, SIOMMU_VTD_FSTS_PFO);
		e->fsts_after = rd32(e, SIOMMU_VTD_REG_FSTS);
	} else if (irq == SIOMMU_VTD_IRQ_PRQ) {
		e->nprq++;
		pqh = vt_rd(&e->t, SIOMMU_VTD_REG_PQH, 8);
		pqt = vt_rd(&e->t, SIOMMU_VTD_REG_PQT, 8);
		if (pqh != pqt)
			CHECK_OK(siommu_mem_read(e->t.mem, e->t.prq + pqh, e->prq_desc, 32));
		vt_wr(&e->t, SIOMMU_VTD_REG_PQH, 8, pqt);
		vt_wr(&e->t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PPR);
	} else {
		e->ninv_msi++;
	}
}

static void snapshot(struct env *e)
{
	e->iqh_in_cb = vt_rd(&e->t, SIOMMU_VTD_REG_IQH, 8);
	e->iqt_in_cb = vt_rd(&e->t, SIOMMU_VTD_REG_IQT, 8);
	e->ics_in_cb = rd32(e, SIOMMU_VTD_REG_ICS);
	e->fsts_in_cb = rd32(e, SIOMMU_VTD_REG_FSTS);
	e->status_in_cb = status_word(e, 0);
}

/* What both device callbacks do: count, look at the registers, run the
 * test's action, block if asked to. */
static void device_event(struct env *e, unsigned int *count, void (*action)(struct env *))
{
	++*count;
	snapshot(e);
	if (action)
		action(e);
	cb_gate_pass(&e->gate);
}

static void cb_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct env *e = opaque;

	(void)inv;
	device_event(e, &e->ninv, e->on_inv);
}

static void cb_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	struct env *e = opaque;

	(void)r;
	device_event(e, &e->nresp, e->on_resp);
}

static void env_init(struct env *e)
{
	struct siommu_vtd_dev_ops ops = { cb_inv, cb_resp };
	uint64_t fs;

	memset(e, 0, sizeof(*e));
	cb_gate_init(&e->gate);
	vt_init(&e->t, NULL);
	siommu_vtd_set_msi(e->t.v, env_msi, e);
	vt_ctx(&e->t, RID, true, 0);
	fs = vt_pasid_fs(&e->t, RID, PASID, 1, 4);
	e->page = vt_page(&e->t);
	CHECK_OK(siommu_vtd_build_map(e->t.mem, SIOMMU_VTD_FMT_FS, fs, 4, MAPPED,
				      e->page, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_dev_register(e->t.v, RID, &ops, e));
}

static void env_fini(struct env *e)
{
	siommu_vtd_dev_unregister(e->t.v, RID);
	vt_fini(&e->t);
	cb_gate_fini(&e->gate);
}

static struct siommu_vtd_desc wait_desc(struct env *e, unsigned int slot, uint32_t val)
{
	return siommu_vtd_desc_wait(true, true, false, false, e->t.status + 4 * slot, val);
}

/* Submits a device-TLB invalidation for the device and a wait after it
 * (status word 0 gets @cookie) in one IQT write. */
static void submit_inv_wait(struct env *e, uint32_t cookie)
{
	struct siommu_vtd_desc d[2];

	d[0] = siommu_vtd_desc_devtlb(RID, MAPPED, false);
	d[1] = wait_desc(e, 0, cookie);
	vt_submit(&e->t, d, 2);
}

/* A new environment whose invalidation callback runs @on_inv, given a
 * device-TLB invalidation and a wait. */
static void env_run_inv(struct env *e, void (*on_inv)(struct env *), uint32_t cookie)
{
	env_init(e);
	e->on_inv = on_inv;
	submit_inv_wait(e, cookie);
}

/* The retried DMA of a device: to a page that is not mapped, so it faults. */
static void retry_dma(struct env *e)
{
	struct siommu_vtd_req r = vt_req(RID, true, PASID, UNMAPPED, 0);
	struct siommu_vtd_xlate x;
	uint32_t buf = 0;

	e->dma_ret = siommu_vtd_dma_write(e->t.v, &r, &buf, sizeof(buf), NULL, &x);
	e->dma_reason = x.fault_reason;
}

static void test_resp_dma_faults(void)
{
	struct siommu_vtd_desc d[2];
	struct env e;

	env_init(&e);
	e.on_resp = retry_dma;
	d[0] = siommu_vtd_desc_page_resp(RID, true, PASID, 1, 0, true);
	d[1] = wait_desc(&e, 0, 0x11);
	vt_submit(&e.t, d, 2);
	CHECK_EQ(e.nresp, 1);
	CHECK_EQ(e.dma_ret, -EFAULT);
	CHECK_EQ(e.dma_reason, SIOMMU_VTD_FR_FS_NP);
	/* The fault event ran inside the callback, read the record, cleared it. */
	CHECK_EQ(e.nfault, 1);
	CHECK_EQ(e.fault_reason, SIOMMU_VTD_FR_FS_NP);
	CHECK_EQ(e.fsts_after & (SIOMMU_VTD_FSTS_PPF | SIOMMU_VTD_FSTS_PFO), 0);
	CHECK_EQ(rd32(&e, SIOMMU_VTD_REG_FSTS), 0);
	/* In the callback the descriptor was in progress: IQH at it, the
	 * wait after it not yet done. */
	CHECK_EQ(e.iqh_in_cb, 0);
	CHECK_EQ(e.iqt_in_cb, 64);
	CHECK_EQ(e.status_in_cb, 0);
	CHECK_EQ(e.ics_in_cb & SIOMMU_VTD_ICS_IWC, 0);
	CHECK_EQ(status_word(&e, 0), 0x11);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 64);
	CHECK_EQ(e.ninv_msi, 1);
	env_fini(&e);
}

static void ats_and_registers(struct env *e)
{
	struct siommu_vtd_req r = vt_req(RID, true, PASID, MAPPED, SIOMMU_VTD_READ);
	struct siommu_vtd_xlate x;

	e->ats_ret = siommu_vtd_ats_translate(e->t.v, &r, &x);
	e->ats_perm = x.perm;
	/* Register writes too: mask and unmask the fault event. */
	vt_wr(&e->t, SIOMMU_VTD_REG_FECTL, 4, SIOMMU_VTD_ECTL_IM);
	vt_wr(&e->t, SIOMMU_VTD_REG_FECTL, 4, 0);
}

static void test_devtlb_ats(void)
{
	struct siommu_vtd_desc d[3];
	struct env e;

	env_init(&e);
	e.on_inv = ats_and_registers;
	d[0] = siommu_vtd_desc_iotlb(1, 0, 0, 0, false);
	d[1] = siommu_vtd_desc_pdevtlb(RID, PASID, false, MAPPED, false);
	d[2] = wait_desc(&e, 0, 0x22);
	vt_submit(&e.t, d, 3);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.ats_ret, 0);
	CHECK(e.ats_perm & SIOMMU_VTD_READ);
	CHECK_EQ(e.iqh_in_cb, 32);
	CHECK_EQ(e.iqt_in_cb, 96);
	CHECK_EQ(e.fsts_in_cb, 0);
	CHECK_EQ(e.status_in_cb, 0);
	CHECK_EQ(status_word(&e, 0), 0x22);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 96);
	env_fini(&e);
}

static void page_request(struct env *e)
{
	struct siommu_vtd_page_req r = { .rid = RID, .pasid_present = true,
					 .pasid = PASID, .addr = UNMAPPED,
					 .access = SIOMMU_VTD_WRITE, .prgi = 9,
					 .last = true };

	e->prq_ret = siommu_vtd_page_request(e->t.v, &r);
}

static void test_callback_page_request(void)
{
	struct env e;

	env_run_inv(&e, page_request, 0x33);
	CHECK_EQ(e.prq_ret, 0);
	CHECK_EQ(e.nprq, 1);
	CHECK_EQ((e.prq_desc[0] >> 16) & 0xffff, RID);
	CHECK_EQ((e.prq_desc[1] >> 3) & 0x1ff, 9);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_PQH, 8), vt_rd(&e.t, SIOMMU_VTD_REG_PQT, 8));
	CHECK_EQ(rd32(&e, SIOMMU_VTD_REG_PRS), 0);
	CHECK_EQ(status_word(&e, 0), 0x33);
	env_fini(&e);
}

/* A callback that submits more work itself: the IQT write returns at
 * once, and the new descriptors run after the callback, in order. */
static void nested_submit(struct env *e)
{
	struct siommu_vtd_desc d = wait_desc(e, 2, 0x55);

	if (e->ninv > 1)
		return;
	vt_submit(&e->t, &d, 1);
	CHECK_EQ(status_word(e, 2), 0);
	CHECK_EQ(vt_rd(&e->t, SIOMMU_VTD_REG_IQH, 8), e->iqh_in_cb);
}

static void test_nested_submit(void)
{
	struct env e;

	env_run_inv(&e, nested_submit, 0x44);
	CHECK_EQ(status_word(&e, 0), 0x44);
	CHECK_EQ(status_word(&e, 2), 0x55);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 96);
	env_fini(&e);
}

struct submitter {
	struct env *e;
	struct siommu_vtd_desc d[2];
	unsigned int n;
};

static void *submit_thread(void *arg)
{
	struct submitter *s = arg;

	vt_submit(&s->e->t, s->d, s->n);
	return NULL;
}

/*
 * Ordering with a second thread: while a device-TLB invalidation's callback
 * is held, another thread's IQT write returns without completing its wait,
 * and the registers stay readable and consistent; both waits complete once
 * the callback returns, in order.
 */
static void test_order_two_threads(void)
{
	struct submitter s;
	struct siommu_vtd_desc w;
	pthread_t th;
	struct env e;

	env_init(&e);
	e.gate.block = true;
	s.e = &e;
	s.d[0] = siommu_vtd_desc_devtlb(RID, MAPPED, false);
	s.d[1] = wait_desc(&e, 0, 0x66);
	s.n = 2;
	CHECK_OK(pthread_create(&th, NULL, submit_thread, &s));
	cb_gate_wait_entered(&e.gate);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 0);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQT, 8), 64);
	w = wait_desc(&e, 1, 0x77);
	vt_submit(&e.t, &w, 1);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQT, 8), 96);
	/* Neither wait completed: the invalidation before them has not. */
	CHECK_EQ(status_word(&e, 0), 0);
	CHECK_EQ(status_word(&e, 1), 0);
	CHECK_EQ(rd32(&e, SIOMMU_VTD_REG_ICS), 0);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 0);
	cb_gate_release(&e.gate);
	CHECK_OK(pthread_join(th, NULL));
	CHECK_EQ(status_word(&e, 0), 0x66);
	CHECK_EQ(status_word(&e, 1), 0x77);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 96);
	CHECK(rd32(&e, SIOMMU_VTD_REG_ICS) & SIOMMU_VTD_ICS_IWC);
	env_fini(&e);
}

/* A tail the callback writes is checked like any other: the error is
 * reported once the callback returned, nothing past it runs. */
static void bad_tail(struct env *e)
{
	vt_wr(&e->t, SIOMMU_VTD_REG_IQT, 8, e->iqt_in_cb + 16);
}

static void test_bad_tail_in_callback(void)
{
	struct env e;

	env_run_inv(&e, bad_tail, 0xbb);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.fsts_in_cb & SIOMMU_VTD_FSTS_IQE, 0);
	CHECK(rd32(&e, SIOMMU_VTD_REG_FSTS) & SIOMMU_VTD_FSTS_IQE);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQER, 8) & 0xf, SIOMMU_VTD_IQEI_TAIL);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 32);
	CHECK_EQ(status_word(&e, 0), 0);
	env_fini(&e);
}

/* A wait that asks for an interrupt before a device descriptor: its
 * completion interrupt is delivered before the device's callback runs. */
static void count_inv_msi(struct env *e)
{
	e->ninv_msi_in_cb = e->ninv_msi;
}

static void test_msi_before_callback(void)
{
	struct siommu_vtd_desc d[2];
	struct env e;

	env_init(&e);
	e.on_inv = count_inv_msi;
	d[0] = wait_desc(&e, 1, 0xcc);
	d[1] = siommu_vtd_desc_devtlb(RID, MAPPED, false);
	vt_submit(&e.t, d, 2);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.ninv_msi_in_cb, 1);
	CHECK(e.ics_in_cb & SIOMMU_VTD_ICS_IWC);
	CHECK_EQ(e.ninv_msi, 1);
	env_fini(&e);
}

/* A bad descriptor after the one whose callback runs: the error is
 * reported only once the callback returned, with IQH at the bad one. */
static void test_iqe_after_callback(void)
{
	struct siommu_vtd_desc d[3];
	struct env e;

	env_init(&e);
	d[0] = siommu_vtd_desc_devtlb(RID, MAPPED, false);
	d[1] = siommu_vtd_desc_cc(0, 0, 0, 0);	/* G = 0: reserved */
	d[2] = wait_desc(&e, 0, 0x88);
	vt_submit(&e.t, d, 3);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.fsts_in_cb & SIOMMU_VTD_FSTS_IQE, 0);
	CHECK(rd32(&e, SIOMMU_VTD_REG_FSTS) & SIOMMU_VTD_FSTS_IQE);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQER, 8) & 0xf, SIOMMU_VTD_IQEI_RSVD);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 32);
	CHECK_EQ(status_word(&e, 0), 0);
	CHECK_EQ(e.nfault, 1);
	env_fini(&e);
}

static void disable_queue(struct env *e)
{
	vt_wr(&e->t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
}

static void reset_queue(struct env *e)
{
	vt_wr(&e->t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE);
	vt_wr(&e->t, SIOMMU_VTD_REG_IQT, 8, 0);
	vt_wr(&e->t, SIOMMU_VTD_REG_GCMD, 4, SIOMMU_VTD_GCMD_TE | SIOMMU_VTD_GCMD_QIE);
}

/* The queue disabled, or disabled and enabled again (IQH reset), from the
 * callback: nothing after the descriptor runs, IQH is not moved. */
static void test_disable_in_callback(void)
{
	struct env e;

	env_run_inv(&e, disable_queue, 0x99);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(status_word(&e, 0), 0);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 0);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_QIE, 0);
	env_fini(&e);

	env_run_inv(&e, reset_queue, 0x99);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(status_word(&e, 0), 0);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 0);
	CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQT, 8), 0);
	/* The queue works again from its new head. */
	vt_inv(&e.t, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
	env_fini(&e);
}

struct unreg {
	struct env *e;
	bool done;
};

static void *unreg_thread(void *arg)
{
	struct unreg *u = arg;

	siommu_vtd_dev_unregister(u->e->t.v, RID);
	__atomic_store_n(&u->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Unregistration from another thread waits for the running callback,
 * which meanwhile still reaches the unit's registers. */
static void test_unregister_during_callback(void)
{
	struct submitter s;
	struct unreg u;
	pthread_t th, tu;
	struct env e;
	unsigned int i;

	env_init(&e);
	e.gate.block = true;
	s.e = &e;
	s.d[0] = siommu_vtd_desc_page_resp(RID, true, PASID, 2, 0, true);
	s.d[1] = wait_desc(&e, 0, 0xaa);
	s.n = 2;
	u.e = &e;
	u.done = false;
	CHECK_OK(pthread_create(&th, NULL, submit_thread, &s));
	cb_gate_wait_entered(&e.gate);
	CHECK_OK(pthread_create(&tu, NULL, unreg_thread, &u));
	for (i = 0; i < 100; i++) {
		CHECK(!__atomic_load_n(&u.done, __ATOMIC_ACQUIRE));
		CHECK_EQ(vt_rd(&e.t, SIOMMU_VTD_REG_IQH, 8), 0);
		sched_yield();
	}
	cb_gate_release(&e.gate);
	CHECK_OK(pthread_join(tu, NULL));
	CHECK_OK(pthread_join(th, NULL));
	CHECK_EQ(status_word(&e, 0), 0xaa);
	/* Gone: the next response reaches nobody. */
	vt_inv(&e.t, siommu_vtd_desc_page_resp(RID, true, PASID, 3, 0, true));
	CHECK_EQ(e.nresp, 1);
	vt_fini(&e.t);
	cb_gate_fini(&e.gate);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "resp_dma_faults", test_resp_dma_faults },
	{ "devtlb_ats", test_devtlb_ats },
	{ "callback_page_request", test_callback_page_request },
	{ "nested_submit", test_nested_submit },
	{ "order_two_threads", test_order_two_threads },
	{ "iqe_after_callback", test_iqe_after_callback },
	{ "bad_tail_in_callback", test_bad_tail_in_callback },
	{ "msi_before_callback", test_msi_before_callback },
	{ "disable_in_callback", test_disable_in_callback },
	{ "unregister_during_callback", test_unregister_during_callback },
};

/* With an argument, runs only the test of that name. */
int main(int argc, char **argv)
{
	size_t i;

	/* A deadlock fails the test instead of hanging it. */
	alarm(60);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			tests[i].fn();
	return 0;
}
