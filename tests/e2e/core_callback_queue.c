/* SPDX-License-Identifier: MIT */
/*
 * Calls into the library from a device callback that the unit runs inside
 * the driver's own queue submission (core.h, "Concurrency"): a VT-d device
 * TLB invalidation in the IQT write, an SMMUv3 CMD_ATC_INV in the
 * CMDQ_PROD write. The thread holds the unit's queue, and the domain or
 * context lock of the call that flushed. Each call that would wait for a queue or take those
 * locks is refused with -EDEADLK and changes nothing; siommu_device_detach()
 * cannot fail, and is done once the call that ran the callback returns.
 * Then, on VT-d, a wait whose descriptors another thread is processing,
 * held up for seconds in a device callback, completes without counting an
 * error.
 * A deadlock fails the test through the watchdog instead of hanging it.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <siommu/core.h>
#include <siommu/dma.h>

#include "core_unit.h"
#include "test.h"
#include "core/drivers/vtd/vtd_drv.h"	/* vtd_drv_qi_hook_set */

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

enum op {
	OP_NONE,
	OP_MAP,
	OP_UNMAP,
	OP_ATTACH,
	OP_ATTACH_PASID,
	OP_DETACH_PASID,
	OP_DETACH,
	OP_DOMAIN_ALLOC,
	OP_DOMAIN_FREE,
	OP_DEVICE_ADD,
	OP_INFO,
	OP_DMA_MAP,
	OP_DMA_FLUSH,
	OP_UNIT_ADD,
	OP_COUNT,
};

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static struct siommu_vtd *hw;		/* the VT-d unit's model, else NULL */
static struct siommu_device *b, *c, *d;
static struct siommu_domain *dom, *spare;
static uint32_t pasid;
static uint64_t pa;

static enum op op;
static unsigned int n_calls;
static int op_ret;

static int run_op(enum op o)
{
	struct siommu_domain *nd;
	struct siommu_device *nd_dev;
	struct siommu_device_info info;
	uint64_t iova;

	switch (o) {
	case OP_MAP:
		return siommu_domain_map(dom, 0x40000, pa, 0x1000, RW);
	case OP_UNMAP:
		return siommu_domain_unmap(dom, 0x2000, 0x1000, NULL);
	case OP_ATTACH:
		return siommu_device_attach(c, spare);
	case OP_ATTACH_PASID:
		return siommu_device_attach_pasid(c, pasid, spare);
	case OP_DETACH_PASID:
		return siommu_device_detach_pasid(c, pasid);
	case OP_DETACH:
		siommu_device_detach(c);
		return 0;
	case OP_DOMAIN_ALLOC:
		return siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING }, &nd);
	case OP_DOMAIN_FREE:
		return siommu_domain_free(spare);
	case OP_DEVICE_ADD:
		return siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0700, .alias_rid = SIOMMU_NO_ALIAS }, &nd_dev);
	case OP_INFO:
		return siommu_device_get_info(c, &info);
	case OP_DMA_MAP:
		return siommu_dma_map_single(d, pa, 64, SIOMMU_DMA_TO_DEVICE, &iova);
	case OP_DMA_FLUSH:
		return siommu_dma_flush(d);
	case OP_UNIT_ADD: {
		struct siommu_unit *nu;

		return test_unit_add(ctx, NULL, &nu);
	}
	default:
		return 0;
	}
}

/* A device's invalidation callback, whatever the unit type: @rid is the
 * requester whose device TLB (ATC) is invalidated. */
typedef void inv_fn(uint16_t rid);

struct inv_cb {
	inv_fn *fn;
};

static void vtd_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	((const struct inv_cb *)opaque)->fn(inv->rid);
}

static void smmu_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	((const struct inv_cb *)opaque)->fn((uint16_t)inv->sid);
}

static void pri_none(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	(void)opaque;
	(void)r;
}

static void stall_none(void *opaque, const struct siommu_smmuv3_stall_end *e)
{
	(void)opaque;
	(void)e;
}

/* Register @cb as @rid's invalidation callback (replacing any). */
static void inv_register(uint16_t rid, const struct inv_cb *cb)
{
	if (hw) {
		const struct siommu_vtd_dev_ops ops = { .devtlb_inv = vtd_inv };

		siommu_vtd_dev_unregister(hw, rid);
		CHECK_OK(siommu_vtd_dev_register(hw, rid, &ops, (void *)cb));
	} else {
		const struct siommu_smmuv3_dev_ops ops = { smmu_inv, pri_none, stall_none };
		struct siommu_smmuv3 *s = siommu_unit_smmuv3(unit);

		siommu_smmuv3_dev_unregister(s, rid);
		CHECK_OK(siommu_smmuv3_dev_register(s, rid, &ops, (void *)cb));
	}
}

static void inv_unregister(uint16_t rid)
{
	if (hw)
		siommu_vtd_dev_unregister(hw, rid);
	else
		siommu_smmuv3_dev_unregister(siommu_unit_smmuv3(unit), rid);
}

static void on_inv_fn(uint16_t rid)
{
	(void)rid;
	if (op == OP_NONE)
		return;
	n_calls++;
	op_ret = run_op(op);
	op = OP_NONE;
}

static const struct inv_cb on_inv = { on_inv_fn };

/* Flush dom (b's device TLB: on_inv runs inside the submission). */
static void flush_through_b(void)
{
	CHECK_OK(siommu_domain_map(dom, 0x1000, pa, 0x1000, RW));
	CHECK_OK(siommu_domain_unmap(dom, 0x1000, 0x1000, NULL));
}

static void check_nested(void)
{
	struct siommu_unit_stats st0, st;
	enum op o;

	siommu_unit_get_stats(unit, &st0);
	for (o = OP_MAP; o < OP_COUNT; o++) {
		uint64_t phys;

		/* c: RID attached to dom, pasid to dom; spare free. */
		CHECK_OK(siommu_device_attach(c, dom));
		CHECK_OK(siommu_device_attach_pasid(c, pasid, dom));
		n_calls = 0;
		op_ret = 1;
		op = o;
		flush_through_b();
		CHECK_EQ(n_calls, 1);
		if (o == OP_DETACH) {
			/* Never fails: done once the unmap returned. */
			CHECK_EQ(op_ret, 0);
			CHECK(siommu_device_domain(c, 0) == NULL);
		} else {
			CHECK_EQ(op_ret, -EDEADLK);
			CHECK(siommu_device_domain(c, 0) == dom);
		}
		/* Nothing else changed. */
		CHECK(siommu_device_domain(c, pasid) == dom);
		CHECK_OK(siommu_pt_iova_to_phys(siommu_domain_pt(dom), 0x2000, &phys, NULL));
		CHECK_EQ(phys, pa);
		CHECK_EQ(siommu_pt_iova_to_phys(siommu_domain_pt(dom), 0x40000, &phys, NULL),
			 -ENOENT);
		CHECK(siommu_domain_type(spare) == SIOMMU_DOMAIN_PAGING);
		/* The same calls work from here. */
		if (o == OP_DOMAIN_FREE || o == OP_DOMAIN_ALLOC || o == OP_DEVICE_ADD ||
		    o == OP_DMA_MAP)
			continue;
		siommu_device_detach(c);
		CHECK_OK(siommu_device_detach_pasid(c, pasid));
	}
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.inv_errors, st0.inv_errors);
}

/*
 * The outer call holds the context lock (a detach's flush runs the
 * callback): a deferred detach runs once it has dropped it.
 */
static void check_nested_in_detach(void)
{
	CHECK_OK(siommu_device_attach(c, dom));
	CHECK_OK(siommu_device_attach_pasid(c, pasid, dom));
	n_calls = 0;
	op = OP_DETACH;
	siommu_device_detach(b);
	CHECK_EQ(n_calls, 1);
	CHECK(siommu_device_domain(b, 0) == NULL);
	CHECK(siommu_device_domain(c, 0) == NULL);
	CHECK(siommu_device_domain(c, pasid) == dom);
	/* A replace whose flush of the old domain detaches: the replace
	 * stands, and c goes once it is done. */
	{
		struct siommu_domain *dom2;

		CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING }, &dom2));
		CHECK_OK(siommu_device_attach(b, dom));
		CHECK_OK(siommu_device_attach(c, dom));
		n_calls = 0;
		op = OP_DETACH;
		CHECK_OK(siommu_device_attach(b, dom2));
		CHECK_EQ(n_calls, 1);
		CHECK(siommu_device_domain(b, 0) == dom2);
		CHECK(siommu_device_domain(c, 0) == NULL);
		op = OP_NONE;
		siommu_device_detach(b);
		CHECK_OK(siommu_domain_free(dom2));
	}
	/* An attach whose flush detaches: the attach stands, then c goes. */
	CHECK_OK(siommu_device_attach(b, dom));
	CHECK_OK(siommu_device_attach(c, dom));
	n_calls = 0;
	op = OP_ATTACH_PASID;
	siommu_device_detach(b);
	CHECK_EQ(op_ret, -EDEADLK);
	CHECK_OK(siommu_device_detach_pasid(c, pasid));
	siommu_device_detach(c);
	CHECK_OK(siommu_device_attach(b, dom));
}

/*
 * A fault handler run nested inside a device callback (the device retries
 * its DMA, which faults) is inside the submission too; a callback may set
 * a fault handler.
 */
static int nested_ret = 1;
static unsigned int n_faults;

static void on_fault_nested(void *arg, struct siommu_device *dev,
			    const struct siommu_fault *f)
{
	(void)arg;
	(void)dev;
	(void)f;
	n_faults++;
	nested_ret = siommu_domain_unmap(dom, 0x2000, 0x1000, NULL);
}

static void on_inv_fault_fn(uint16_t rid)
{
	struct test_dma_res res;
	uint64_t v;

	if (!n_calls++) {
		siommu_device_set_fault_handler(b, on_fault_nested, NULL);
		CHECK_EQ(test_unit_dma_read(unit, rid, false, 0, 0x800000, &v, sizeof(v), &res),
			 -EFAULT);
		CHECK(res.fault_recorded);
	}
}

static void check_nested_fault(void)
{
	static const struct inv_cb on_inv_fault = { on_inv_fault_fn };
	uint64_t phys;

	inv_register(0x0200, &on_inv_fault);
	n_calls = 0;
	flush_through_b();
	CHECK_EQ(n_faults, 1);
	CHECK_EQ(nested_ret, -EDEADLK);
	CHECK_OK(siommu_pt_iova_to_phys(siommu_domain_pt(dom), 0x2000, &phys, NULL));
	siommu_device_set_fault_handler(b, NULL, NULL);
	inv_register(0x0200, &on_inv);
}

/* The DMA API's lazy flush runs the callback: the detach follows it. */
static void check_nested_in_dma_flush(void)
{
	struct siommu_device *e;
	uint64_t iova;

	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0500, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &e));
	CHECK_OK(siommu_dma_setup(e, &(struct siommu_dma_cfg){ .policy = SIOMMU_DMA_LAZY }));
	inv_register(0x0500, &on_inv);
	CHECK_OK(siommu_dma_map_single(e, pa, 64, SIOMMU_DMA_TO_DEVICE, &iova));
	CHECK_OK(siommu_dma_unmap_single(e, iova, 64, SIOMMU_DMA_TO_DEVICE));
	CHECK_OK(siommu_device_attach(c, dom));
	n_calls = 0;
	op = OP_DETACH;
	CHECK_OK(siommu_dma_flush(e));
	CHECK_EQ(n_calls, 1);
	CHECK(siommu_device_domain(c, 0) == NULL);
	op = OP_NONE;
	inv_unregister(0x0500);
	siommu_dma_teardown(e);
	siommu_device_remove(e);
}

/* A device callback in another thread that takes seconds. */
struct slow {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool armed, in_cb;
	pthread_t thr;
	uint64_t tail;
	unsigned int n_slow;
};

static struct slow slow = { .lock = PTHREAD_MUTEX_INITIALIZER,
			     .cond = PTHREAD_COND_INITIALIZER };

static void slow_inv(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct timespec ts = { 3, 0 };

	(void)opaque;
	(void)inv;
	if (!pthread_equal(pthread_self(), slow.thr))
		return;
	pthread_mutex_lock(&slow.lock);
	slow.in_cb = true;
	slow.n_slow++;
	pthread_cond_broadcast(&slow.cond);
	pthread_mutex_unlock(&slow.lock);
	nanosleep(&ts, NULL);
}

/* The thread that processes the queue: an IQT write of the same tail. */
static void *slow_writer(void *arg)
{
	(void)arg;
	CHECK_OK(siommu_vtd_mmio_write(hw, SIOMMU_VTD_REG_IQT, 8, slow.tail));
	return NULL;
}

/* Just before the driver's IQT write: another thread gets there first. */
static void slow_hook(void *arg, uint64_t iq_pa, unsigned int first, unsigned int n)
{
	(void)arg;
	(void)iq_pa;
	if (!slow.armed)
		return;
	slow.armed = false;
	slow.tail = (uint64_t)((first + n) % VTD_DRV_IQ_ENTRIES) << 5;
	CHECK_OK(pthread_create(&slow.thr, NULL, slow_writer, NULL));
	pthread_mutex_lock(&slow.lock);
	while (!slow.in_cb)
		pthread_cond_wait(&slow.cond, &slow.lock);
	pthread_mutex_unlock(&slow.lock);
}

static void check_slow_callback(void)
{
	struct siommu_vtd_dev_ops ops = { .devtlb_inv = slow_inv };
	struct siommu_unit_stats st0, st;

	siommu_vtd_dev_unregister(hw, 0x0200);
	CHECK_OK(siommu_vtd_dev_register(hw, 0x0200, &ops, NULL));
	CHECK_OK(siommu_domain_map(dom, 0x1000, pa, 0x1000, RW));
	siommu_unit_get_stats(unit, &st0);
	vtd_drv_qi_hook_set(unit, slow_hook, NULL);
	slow.armed = true;
	CHECK_OK(siommu_domain_unmap(dom, 0x1000, 0x1000, NULL));
	CHECK_OK(pthread_join(slow.thr, NULL));
	vtd_drv_qi_hook_set(unit, NULL, NULL);
	CHECK_EQ(slow.n_slow, 1);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.inv_errors, st0.inv_errors);
	CHECK_EQ(st.inv_waits, st0.inv_waits + 1);
}

int main(void)
{
	alarm(120);	/* a deadlock ends the test: SIGALRM fails it */
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	if (test_unit_type() == TEST_UNIT_VTD)
		hw = siommu_unit_vtd(unit);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0200, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &b));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0300, .pasid_bits = 20, .alias_rid = SIOMMU_NO_ALIAS }, &c));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0400, .alias_rid = SIOMMU_NO_ALIAS }, &d));
	CHECK_OK(siommu_dma_setup(d, NULL));
	inv_register(0x0200, &on_inv);
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), SIOMMU_SZ_4K,
					SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 100, 1, &pasid));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &spare));
	CHECK_OK(siommu_device_attach(b, dom));
	CHECK_OK(siommu_domain_map(dom, 0x2000, pa, 0x1000, RW));

	check_nested();
	check_nested_in_detach();
	check_nested_fault();
	check_nested_in_dma_flush();
	if (hw)
		check_slow_callback();

	inv_unregister(0x0200);
	siommu_ctx_destroy(ctx);
	return 0;
}
