/* SPDX-License-Identifier: MIT */
/*
 * Device callbacks from the command queue (CMD_ATC_INV, CMD_PRI_RESP,
 * CMD_RESUME, CMD_STALL_TERM) and CMD_SYNC's MSI run with no lock of the
 * unit held: a device may retry its DMA, translate through ATS or issue a
 * page request from them, and the interrupt handlers those raise may read
 * and write the unit's registers. The queue keeps its order meanwhile: a
 * CMD_SYNC completes only after the callbacks of the commands before it
 * returned, whoever writes CMDQ_PROD in between. An alarm turns a
 * deadlock into a failure.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "callbacks_test.h"
#include "smmuv3_test.h"

#define SID	0x21
#define SID_STALL 0x22
#define MAPPED	0x10000ull
#define UNMAPPED 0x20000ull
#define OP_BAD	0x7f

static const uint32_t R = SIOMMU_SMMUV3_READ, W = SIOMMU_SMMUV3_WRITE;

struct env {
	struct st t;
	uint64_t page;
	/* What the interrupt handler saw and did. */
	unsigned int nevt, npri, nsync, ngerror, nsync_in_cb;
	uint64_t evt[4], pri[2];
	uint32_t cons_at_sync;
	/* What the device callbacks saw and did. */
	unsigned int ninv, nresp, nstall;
	int dma_ret;
	uint32_t dma_event;
	int ats_ret;
	uint32_t ats_perm;
	int pri_ret;
	uint32_t cons_in_cb, prod_in_cb, gerror_in_cb, sync_in_cb;
	void (*on_inv)(struct env *e);
	void (*on_resp)(struct env *e);
	void (*on_stall)(struct env *e);
	struct cb_gate gate;	/* blocking callbacks */
};

static uint32_t rd32(struct env *e, uint64_t off)
{
	return (uint32_t)st_rd(&e->t, off, 4);
}

/* The CMD_SYNC MSI word @slot (4 bytes each from t.sync). */
static uint32_t sync_word(struct env *e, unsigned int slot)
{
	uint32_t v = 0;

	CHECK_OK(siommu_mem_read(e->t.mem, e->t.sync + 4 * slot, &v, 4));
	return v;
}

/*
 * The interrupt handler a driver would have: the event and PRI queue
 * interrupts drain their queue through the registers; a CMD_SYNC's MSI
 * looks where CONS is.
 */
static void env_msi(void *opaque, enum siommu_smmuv3_irq irq, uint64_t addr,
		    uint32_t data)
{
	struct env *e = opaque;
	uint32_t prod, cons;

	(void)addr;
	(void)data;
	switch (irq) {
	case SIOMMU_SMMUV3_IRQ_SRC_EVTQ:
		e->nevt++;
		prod = rd32(e, SIOMMU_SMMUV3_EVTQ_PROD);
		cons = rd32(e, SIOMMU_SMMUV3_EVTQ_CONS);
		if ((prod ^ cons) & 0xff)
			CHECK_OK(siommu_mem_read(e->t.mem, e->t.evtq + (cons & 0x7f) * 32ull,
						 e->evt, 32));
		st_wr(&e->t, SIOMMU_SMMUV3_EVTQ_CONS, 4, prod);
		break;
	case SIOMMU_SMMUV3_IRQ_SRC_PRIQ:
		e->npri++;
		prod = rd32(e, SIOMMU_SMMUV3_PRIQ_PROD);
		cons = rd32(e, SIOMMU_SMMUV3_PRIQ_CONS);
		if ((prod ^ cons) & 0x1ff)
			CHECK_OK(siommu_mem_read(e->t.mem, e->t.priq + (cons & 0xff) * 16ull,
						 e->pri, 16));
		st_wr(&e->t, SIOMMU_SMMUV3_PRIQ_CONS, 4, prod);
		break;
	case SIOMMU_SMMUV3_IRQ_SRC_SYNC:
		e->nsync++;
		e->cons_at_sync = rd32(e, SIOMMU_SMMUV3_CMDQ_CONS);
		break;
	case SIOMMU_SMMUV3_IRQ_SRC_GERROR:
		e->ngerror++;
		break;
	}
}

static void snapshot(struct env *e)
{
	e->cons_in_cb = rd32(e, SIOMMU_SMMUV3_CMDQ_CONS);
	e->prod_in_cb = rd32(e, SIOMMU_SMMUV3_CMDQ_PROD);
	e->gerror_in_cb = rd32(e, SIOMMU_SMMUV3_GERROR);
	e->sync_in_cb = sync_word(e, 0);
	e->nsync_in_cb = e->nsync;
}

/* What every device callback does: count, look at the registers, run the
 * test's action, block if asked to. */
static void device_event(struct env *e, unsigned int *count, void (*action)(struct env *))
{
	++*count;
	snapshot(e);
	if (action)
		action(e);
	cb_gate_pass(&e->gate);
}

static void cb_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	struct env *e = opaque;

	(void)inv;
	device_event(e, &e->ninv, e->on_inv);
}

static void cb_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	struct env *e = opaque;

	(void)r;
	device_event(e, &e->nresp, e->on_resp);
}

static void cb_stall(void *opaque, const struct siommu_smmuv3_stall_end *end)
{
	struct env *e = opaque;

	(void)end;
	device_event(e, &e->nstall, e->on_stall);
}

static const struct siommu_smmuv3_dev_ops env_ops = {
	.atc_inv = cb_inv, .pri_resp = cb_resp, .stall_end = cb_stall,
};

/* A unit whose stream SID maps MAPPED read-write through stage 1 with ATS
 * enabled, and whose stream SID_STALL does the same with stalls. */
static void env_init(struct env *e)
{
	uint64_t root, cd, cd_stall;

	memset(e, 0, sizeof(*e));
	cb_gate_init(&e->gate);
	st_init(&e->t, NULL);
	siommu_smmuv3_set_msi(e->t.s, env_msi, e);
	e->page = st_alloc(&e->t, 4096);
	root = st_s1_root(&e->t, MAPPED, e->page);
	cd = st_alloc(&e->t, 4096);
	st_cd(&e->t, cd, 1, root, 25, 0);
	st_ste(&e->t, SID, STE_V | STE_CFG(5) | cd, STE1_EATS(1), 0, 0);
	cd_stall = st_alloc(&e->t, 4096);
	st_cd(&e->t, cd_stall, 2, root, 25, CD0_S);
	st_ste(&e->t, SID_STALL, STE_V | STE_CFG(5) | cd_stall, 0, 0, 0);
	CHECK_OK(siommu_smmuv3_dev_register(e->t.s, SID, &env_ops, e));
	CHECK_OK(siommu_smmuv3_dev_register(e->t.s, SID_STALL, &env_ops, e));
}

static void env_fini(struct env *e)
{
	siommu_smmuv3_dev_unregister(e->t.s, SID);
	siommu_smmuv3_dev_unregister(e->t.s, SID_STALL);
	st_fini(&e->t);
	cb_gate_fini(&e->gate);
}

/* Queue @n commands at PROD and move PROD past them with one write. */
static void submit(struct env *e, const uint64_t (*cmd)[2], unsigned int n)
{
	uint32_t prod = rd32(e, SIOMMU_SMMUV3_CMDQ_PROD);
	unsigned int i;

	for (i = 0; i < n; i++, prod = (prod + 1) & 0x1ff)
		CHECK_OK(siommu_mem_write(e->t.mem, e->t.cmdq + (prod & 0xff) * 16ull,
					  cmd[i], 16));
	st_wr(&e->t, SIOMMU_SMMUV3_CMDQ_PROD, 4, prod);
}

/* CMD_SYNC writing @val to MSI word @slot, with the MSI callback. */
static void sync_cmd(struct env *e, unsigned int slot, uint32_t val, uint64_t cmd[2])
{
	cmd[0] = OP_SYNC | 1ull << 12 | (uint64_t)val << 32;
	cmd[1] = e->t.sync + 4 * slot;
}

static void atc_inv_cmd(uint64_t cmd[2])
{
	cmd[0] = OP_ATC_INV | CMD_SID(SID);
	cmd[1] = MAPPED;
}

/* A new environment whose ATC invalidation callback runs @on_inv, given
 * CMD_ATC_INV and a CMD_SYNC (word 0 gets @cookie) in one PROD write. */
static void env_run_inv(struct env *e, void (*on_inv)(struct env *), uint32_t cookie)
{
	uint64_t cmd[2][2];

	env_init(e);
	e->on_inv = on_inv;
	atc_inv_cmd(cmd[0]);
	sync_cmd(e, 0, cookie, cmd[1]);
	submit(e, cmd, 2);
}

/* The retried DMA of a device: to a page that is not mapped, so it faults. */
static void retry_dma(struct env *e)
{
	struct siommu_smmuv3_req r = st_req(SID, false, 0, UNMAPPED, W);
	struct siommu_smmuv3_xlate x;
	uint32_t buf = 0;

	e->dma_ret = siommu_smmuv3_dma_write(e->t.s, &r, &buf, sizeof(buf), NULL, &x);
	e->dma_event = x.event;
}

static void test_resp_dma_faults(void)
{
	uint64_t cmd[2][2];
	struct env e;

	env_init(&e);
	e.on_resp = retry_dma;
	cmd[0][0] = OP_PRI_RESP | CMD_SID(SID);
	cmd[0][1] = 5;
	sync_cmd(&e, 0, 0x11, cmd[1]);
	submit(&e, cmd, 2);
	CHECK_EQ(e.nresp, 1);
	CHECK_EQ(e.dma_ret, -EFAULT);
	CHECK_EQ(e.dma_event, SIOMMU_SMMUV3_F_TRANSLATION);
	/* The event interrupt ran inside the callback and drained the queue. */
	CHECK_EQ(e.nevt, 1);
	CHECK_EQ(e.evt[0] & 0xff, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK_EQ(e.evt[0] >> 32, SID);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_EVTQ_PROD), rd32(&e, SIOMMU_SMMUV3_EVTQ_CONS));
	/* In the callback the command was in progress: CONS at it, the
	 * SYNC after it not yet done. */
	CHECK_EQ(e.cons_in_cb, 0);
	CHECK_EQ(e.prod_in_cb, 2);
	CHECK_EQ(e.sync_in_cb, 0);
	CHECK_EQ(e.nsync_in_cb, 0);
	CHECK_EQ(sync_word(&e, 0), 0x11);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 2);
	/* The SYNC's MSI came once CONS was past it. */
	CHECK_EQ(e.nsync, 1);
	CHECK_EQ(e.cons_at_sync, 2);
	env_fini(&e);
}

static void ats_and_registers(struct env *e)
{
	struct siommu_smmuv3_req r = st_req(SID, false, 0, MAPPED, R);
	struct siommu_smmuv3_xlate x;

	e->ats_ret = siommu_smmuv3_ats_translate(e->t.s, &r, &x);
	e->ats_perm = x.perm;
	/* Register writes too: interrupts off and on again. */
	st_wr(&e->t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 0);
	st_wr(&e->t, SIOMMU_SMMUV3_IRQ_CTRL, 4, 7);
}

static void test_atc_inv_ats(void)
{
	uint64_t cmd[3][2];
	struct env e;

	env_init(&e);
	e.on_inv = ats_and_registers;
	cmd[0][0] = OP_TLBI_NH_ALL;
	cmd[0][1] = 0;
	atc_inv_cmd(cmd[1]);
	sync_cmd(&e, 0, 0x22, cmd[2]);
	submit(&e, cmd, 3);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.ats_ret, 0);
	CHECK(e.ats_perm & R);
	CHECK_EQ(e.cons_in_cb, 1);
	CHECK_EQ(e.prod_in_cb, 3);
	CHECK_EQ(e.gerror_in_cb, 0);
	CHECK_EQ(e.sync_in_cb, 0);
	CHECK_EQ(sync_word(&e, 0), 0x22);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 3);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_IRQ_CTRLACK), 7);
	env_fini(&e);
}

static void page_request(struct env *e)
{
	struct siommu_smmuv3_page_req r = { .sid = SID, .addr = UNMAPPED, .access = W,
					    .prgi = 9, .last = true };

	e->pri_ret = siommu_smmuv3_page_request(e->t.s, &r);
}

static void test_callback_page_request(void)
{
	struct env e;

	env_run_inv(&e, page_request, 0x33);
	CHECK_EQ(e.pri_ret, 0);
	CHECK_EQ(e.npri, 1);
	CHECK_EQ(e.pri[0] & 0xffffffff, SID);
	CHECK_EQ(e.pri[1] & 0x1ff, 9);
	CHECK_EQ(e.pri[1] & ~0xfffull, UNMAPPED);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_PRIQ_PROD), rd32(&e, SIOMMU_SMMUV3_PRIQ_CONS));
	CHECK_EQ(sync_word(&e, 0), 0x33);
	env_fini(&e);
}

/* A callback that queues more commands itself: the PROD write returns at
 * once, and the new commands run after the callback, in order. */
static void nested_submit(struct env *e)
{
	uint64_t cmd[1][2];

	if (e->ninv > 1)
		return;
	sync_cmd(e, 2, 0x55, cmd[0]);
	submit(e, cmd, 1);
	CHECK_EQ(sync_word(e, 2), 0);
	CHECK_EQ(rd32(e, SIOMMU_SMMUV3_CMDQ_CONS), e->cons_in_cb);
	CHECK_EQ(rd32(e, SIOMMU_SMMUV3_CMDQ_PROD), 3);
}

static void test_nested_submit(void)
{
	struct env e;

	env_run_inv(&e, nested_submit, 0x44);
	CHECK_EQ(sync_word(&e, 0), 0x44);
	CHECK_EQ(sync_word(&e, 2), 0x55);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 3);
	CHECK_EQ(e.nsync, 2);
	env_fini(&e);
}

struct submitter {
	struct env *e;
	uint64_t cmd[2][2];
	unsigned int n;
};

static void *submit_thread(void *arg)
{
	struct submitter *s = arg;

	submit(s->e, (const uint64_t (*)[2])s->cmd, s->n);
	return NULL;
}

/*
 * Ordering with a second thread: while an ATC invalidation's callback is
 * held, another thread's PROD write returns without completing its SYNC,
 * and the registers stay readable and consistent; both SYNCs complete
 * once the callback returns, in order.
 */
static void test_order_two_threads(void)
{
	struct submitter s;
	uint64_t cmd[1][2];
	pthread_t th;
	struct env e;

	env_init(&e);
	e.gate.block = true;
	s.e = &e;
	atc_inv_cmd(s.cmd[0]);
	sync_cmd(&e, 0, 0x66, s.cmd[1]);
	s.n = 2;
	CHECK_OK(pthread_create(&th, NULL, submit_thread, &s));
	cb_gate_wait_entered(&e.gate);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 0);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_PROD), 2);
	sync_cmd(&e, 1, 0x77, cmd[0]);
	submit(&e, cmd, 1);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_PROD), 3);
	/* Neither SYNC completed: the invalidation before them has not. */
	CHECK_EQ(sync_word(&e, 0), 0);
	CHECK_EQ(sync_word(&e, 1), 0);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 0);
	cb_gate_release(&e.gate);
	CHECK_OK(pthread_join(th, NULL));
	CHECK_EQ(sync_word(&e, 0), 0x66);
	CHECK_EQ(sync_word(&e, 1), 0x77);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 3);
	CHECK_EQ(e.nsync, 2);
	env_fini(&e);
}

/* A bad command after the one whose callback runs: the error is reported
 * only once the callback returned, with CONS at the bad one. */
static void test_error_after_callback(void)
{
	uint64_t cmd[3][2];
	struct env e;

	env_init(&e);
	atc_inv_cmd(cmd[0]);
	cmd[1][0] = OP_BAD;
	cmd[1][1] = 0;
	sync_cmd(&e, 0, 0x88, cmd[2]);
	submit(&e, cmd, 3);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.gerror_in_cb & SIOMMU_SMMUV3_GERROR_CMDQ_ERR, 0);
	CHECK(rd32(&e, SIOMMU_SMMUV3_GERROR) & SIOMMU_SMMUV3_GERROR_CMDQ_ERR);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS),
		 1 | SIOMMU_SMMUV3_CERROR_ILL << 24);
	CHECK_EQ(sync_word(&e, 0), 0);
	CHECK_EQ(e.ngerror, 1);
	env_fini(&e);
}

/* A SYNC before a device command: its MSI is delivered before the
 * device's callback runs. */
static void test_sync_msi_before_callback(void)
{
	uint64_t cmd[2][2];
	struct env e;

	env_init(&e);
	sync_cmd(&e, 1, 0xcc, cmd[0]);
	atc_inv_cmd(cmd[1]);
	submit(&e, cmd, 2);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(e.nsync_in_cb, 1);
	CHECK_EQ(e.cons_at_sync, 1);
	CHECK_EQ(e.cons_in_cb, 1);
	CHECK_EQ(sync_word(&e, 1), 0xcc);
	env_fini(&e);
}

static void disable_queue(struct env *e)
{
	st_wr(&e->t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_CMDQEN);
}

/* Disabled, CONS moved past the invalidation, enabled again. */
static void skip_command(struct env *e)
{
	st_wr(&e->t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL & ~SIOMMU_SMMUV3_CR0_CMDQEN);
	st_wr(&e->t, SIOMMU_SMMUV3_CMDQ_CONS, 4, 1);
	st_wr(&e->t, SIOMMU_SMMUV3_CR0, 4, CR0_ALL);
}

/* The queue disabled from the callback: nothing after the command runs,
 * CONS is not moved. Disabled, moved and enabled again: the queue goes on
 * from the CONS software set, and the command is not consumed twice. */
static void test_disable_in_callback(void)
{
	struct env e;

	env_run_inv(&e, disable_queue, 0x99);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(sync_word(&e, 0), 0);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 0);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CR0ACK) & SIOMMU_SMMUV3_CR0_CMDQEN, 0);
	env_fini(&e);

	env_run_inv(&e, skip_command, 0x9a);
	CHECK_EQ(e.ninv, 1);
	CHECK_EQ(sync_word(&e, 0), 0x9a);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 2);
	env_fini(&e);
}

/* The stalled transaction retried from stall_end, as a device does on
 * CMD_RESUME: it now succeeds, the page having been mapped meanwhile. */
static void retry_stalled(struct env *e)
{
	struct siommu_smmuv3_req r = st_req(SID_STALL, false, 0, UNMAPPED, W);
	struct siommu_smmuv3_xlate x;
	uint32_t buf = 0x5a5a;

	e->dma_ret = siommu_smmuv3_dma_write(e->t.s, &r, &buf, sizeof(buf), NULL, &x);
}

static void test_resume_retry(void)
{
	struct siommu_smmuv3_req r;
	struct siommu_smmuv3_xlate x;
	uint64_t cmd[2][2], root;
	uint32_t v = 0;
	struct env e;

	env_init(&e);
	e.on_stall = retry_stalled;
	r = st_req(SID_STALL, false, 0, UNMAPPED, W);
	CHECK_EQ(siommu_smmuv3_translate(e.t.s, &r, &x), -EAGAIN);
	CHECK(x.stalled);
	CHECK_EQ(e.nevt, 1);
	/* The fault handler maps the page, then resumes with retry. */
	root = st_ld(&e.t, e.t.strtab + SID_STALL * 64ull) & 0xffffffffffc0ull;
	root = st_ld(&e.t, root + 8) & 0xfffffffff000ull;
	st_map(&e.t, root, 1, 39, UNMAPPED, e.page, 3, S1_RW, 0);
	cmd[0][0] = OP_RESUME | 1ull << 12 | CMD_SID(SID_STALL);
	cmd[0][1] = x.stag;
	sync_cmd(&e, 0, 0xdd, cmd[1]);
	submit(&e, cmd, 2);
	CHECK_EQ(e.nstall, 1);
	CHECK_EQ(e.dma_ret, 0);
	CHECK_EQ(e.cons_in_cb, 0);
	CHECK_EQ(e.sync_in_cb, 0);
	CHECK_OK(siommu_mem_read(e.t.mem, e.page, &v, 4));
	CHECK_EQ(v, 0x5a5a);
	CHECK_EQ(sync_word(&e, 0), 0xdd);
	env_fini(&e);
}

struct unreg {
	struct env *e;
	bool done;
};

static void *unreg_thread(void *arg)
{
	struct unreg *u = arg;

	siommu_smmuv3_dev_unregister(u->e->t.s, SID);
	__atomic_store_n(&u->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Unregistration from another thread waits for the running callback,
 * which meanwhile still reaches the unit's registers. */
static void test_unregister_during_callback(void)
{
	struct submitter s;
	struct unreg u;
	uint64_t cmd[1][2];
	pthread_t th, tu;
	struct env e;
	unsigned int i;

	env_init(&e);
	e.gate.block = true;
	s.e = &e;
	s.cmd[0][0] = OP_PRI_RESP | CMD_SID(SID);
	s.cmd[0][1] = 2;
	sync_cmd(&e, 0, 0xaa, s.cmd[1]);
	s.n = 2;
	u.e = &e;
	u.done = false;
	CHECK_OK(pthread_create(&th, NULL, submit_thread, &s));
	cb_gate_wait_entered(&e.gate);
	CHECK_OK(pthread_create(&tu, NULL, unreg_thread, &u));
	for (i = 0; i < 100; i++) {
		CHECK(!__atomic_load_n(&u.done, __ATOMIC_ACQUIRE));
		CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 0);
		sched_yield();
	}
	cb_gate_release(&e.gate);
	CHECK_OK(pthread_join(tu, NULL));
	CHECK_OK(pthread_join(th, NULL));
	CHECK_EQ(sync_word(&e, 0), 0xaa);
	/* Gone: the next response reaches nobody. */
	cmd[0][0] = OP_PRI_RESP | CMD_SID(SID);
	cmd[0][1] = 3;
	submit(&e, cmd, 1);
	CHECK_EQ(rd32(&e, SIOMMU_SMMUV3_CMDQ_CONS), 3);
	CHECK_EQ(e.nresp, 1);
	env_fini(&e);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "resp_dma_faults", test_resp_dma_faults },
	{ "atc_inv_ats", test_atc_inv_ats },
	{ "callback_page_request", test_callback_page_request },
	{ "nested_submit", test_nested_submit },
	{ "order_two_threads", test_order_two_threads },
	{ "error_after_callback", test_error_after_callback },
	{ "sync_msi_before_callback", test_sync_msi_before_callback },
	{ "disable_in_callback", test_disable_in_callback },
	{ "resume_retry", test_resume_retry },
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
