/* SPDX-License-Identifier: MIT */
/*
 * Callbacks into user code run with no lock of the core held (core.h):
 *   - a fault handler may read the unit's stats, and may issue a DMA of
 *     its own device that faults again (its handler then runs, nested, in
 *     the same thread);
 *   - a device's page-response callback, run while the driver answers a
 *     page request, and its device-TLB invalidation callback, run while the
 *     driver flushes an unmap, may read the unit's stats; the latter may
 *     retry its DMA, which faults, and the driver reads the fault from the
 *     unit's registers and runs the device's handler, nested, in the
 *     same thread;
 *   - a device's device-TLB invalidation callback may issue a page
 *     request: the driver's answer comes from inside its own queue
 *     processing, and reaches the device once, with the request's group;
 *   - siommu_device_for_each_attachment()'s function may call the core,
 *     even change the device's attachments.
 * A deadlock fails the test through the watchdog instead of hanging it.
 */
#include <errno.h>
#include <unistd.h>

#include <siommu/core.h>

#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static struct siommu_unit *unit;
static struct siommu_vtd *hw;

struct log {
	unsigned int n, depth, max_depth;
	uint64_t faults_seen;
};

static int dma_read(uint16_t rid, uint64_t iova)
{
	struct siommu_vtd_req req = { .rid = rid, .iova = iova };
	struct siommu_vtd_xlate res;
	uint64_t v;

	return siommu_vtd_dma_read(hw, &req, &v, sizeof(v), NULL, &res);
}

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct log *l = arg;
	struct siommu_unit_stats st;

	siommu_unit_get_stats(unit, &st);
	l->faults_seen = st.faults;
	l->n++;
	if (++l->depth > l->max_depth)
		l->max_depth = l->depth;
	/* The device model answers a fault with another DMA, which faults. */
	if (l->depth == 1)
		CHECK_EQ(dma_read(f->rid, f->addr + 0x1000), -EFAULT);
	l->depth--;
}

static void on_resp(void *opaque, const struct siommu_vtd_page_resp *resp)
{
	struct log *l = opaque;
	struct siommu_unit_stats st;

	siommu_unit_get_stats(unit, &st);
	l->n++;
}

static void on_devtlb(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct log *l = opaque;
	struct siommu_unit_stats st;

	siommu_unit_get_stats(unit, &st);
	l->n++;
	/* The page is gone: the device's DMA to it faults. */
	if (!inv->all_addresses && inv->addr == 0x1000)
		CHECK_EQ(dma_read(inv->rid, 0x1000), -EFAULT);
}

static void on_fault_b(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct log *l = arg;

	(void)dev;
	if (f->addr == 0x1000)
		l->faults_seen++;
}

/* A PRI device that answers an invalidation with a page request. */
struct pri_log {
	bool armed, chain;
	unsigned int n_inv, n_resp;
	struct siommu_vtd_page_resp resp;
	uint16_t prgi[4];
};

static void on_devtlb_pr(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct pri_log *l = opaque;
	struct siommu_vtd_page_req req = { .rid = inv->rid, .addr = 0x5000,
					   .access = SIOMMU_VTD_WRITE, .prgi = 0x1a5,
					   .last = true };

	if (!l->armed)
		return;
	if (l->n_inv++ == 0)
		CHECK_OK(siommu_vtd_page_request(hw, &req));
}

static void on_resp_pr(void *opaque, const struct siommu_vtd_page_resp *resp)
{
	struct pri_log *l = opaque;

	l->resp = *resp;
	if (l->n_resp < 4)
		l->prgi[l->n_resp] = resp->prgi;
	/* Answered from the driver's deferred responses: ask again. */
	if (l->chain && l->n_resp == 0) {
		struct siommu_vtd_page_req req = { .rid = resp->rid, .addr = 0x6000,
						   .access = SIOMMU_VTD_READ, .prgi = 0x1a6,
						   .last = true };

		CHECK_OK(siommu_vtd_page_request(hw, &req));
	}
	l->n_resp++;
}

struct walk {
	struct siommu_device *dev;
	struct siommu_domain *dom;
	unsigned int n;
};

static int on_attachment(void *arg, uint32_t pasid, struct siommu_domain *dom)
{
	struct walk *w = arg;
	struct siommu_device_info info;

	CHECK_OK(siommu_device_get_info(w->dev, &info));
	CHECK(siommu_device_domain(w->dev, pasid) == dom);
	if (pasid)
		CHECK_OK(siommu_device_detach_pasid(w->dev, pasid));
	w->n++;
	return 0;
}

int main(void)
{
	struct siommu_ctx *ctx;
	struct siommu_device *a, *b;
	struct siommu_domain *dom;
	struct siommu_vtd_dev_ops ops_a = { .page_resp = on_resp },
				  ops_b = { .devtlb_inv = on_devtlb };
	struct log lf = { 0 }, lr = { 0 }, ld = { 0 };
	struct siommu_vtd_page_req req = { .rid = 0x0100, .pasid_present = true,
					   .pasid = 5, .addr = 0x7000,
					   .access = SIOMMU_VTD_READ, .prgi = 1,
					   .last = true };
	struct siommu_unit_stats st;
	uint64_t pa;

	alarm(60);	/* a deadlock ends the test: SIGALRM fails it */
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	hw = siommu_unit_vtd(unit);
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0100, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &a));
	CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = 0x0200, .flags = SIOMMU_DEV_ATS,
		.alias_rid = SIOMMU_NO_ALIAS }, &b));

	/* Fault handler: stats, and a nested fault of its own device. */
	siommu_device_set_fault_handler(a, on_fault, &lf);
	CHECK_EQ(dma_read(0x0100, 0x1000), -EFAULT);
	CHECK_EQ(lf.n, 2);
	CHECK_EQ(lf.max_depth, 2);
	CHECK(lf.faults_seen >= 1);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.faults, 2);
	CHECK_EQ(st.faults_unhandled, 0);

	/* Page response callback, run while the driver answers. */
	CHECK_OK(siommu_vtd_dev_register(hw, 0x0100, &ops_a, &lr));
	CHECK_OK(siommu_vtd_page_request(hw, &req));
	CHECK_EQ(lr.n, 1);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.page_requests, 1);

	/* Device-TLB invalidation callback, run while unmap flushes. */
	CHECK_OK(siommu_vtd_dev_register(hw, 0x0200, &ops_b, &ld));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(ctx), SIOMMU_SZ_4K,
					SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	CHECK_OK(siommu_device_attach(b, dom));
	CHECK_OK(siommu_domain_map(dom, 0x1000, pa, 0x1000, RW));
	siommu_device_set_fault_handler(b, on_fault_b, &ld);
	ld.n = 0;
	CHECK_OK(siommu_domain_unmap(dom, 0x1000, 0x1000, NULL));
	CHECK(ld.n >= 1);
	CHECK_EQ(ld.faults_seen, 1);

	/* A page request from inside the unmap's queue processing. */
	{
		struct siommu_device *c;
		struct siommu_domain *dom2;
		struct siommu_vtd_dev_ops ops_c = { .devtlb_inv = on_devtlb_pr,
						    .page_resp = on_resp_pr };
		struct pri_log lp = { 0 };

		CHECK_OK(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = 0x0300, .flags = SIOMMU_DEV_ATS | SIOMMU_DEV_PRI,
			.alias_rid = SIOMMU_NO_ALIAS }, &c));
		CHECK_OK(siommu_vtd_dev_register(hw, 0x0300, &ops_c, &lp));
		CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
			.type = SIOMMU_DOMAIN_PAGING }, &dom2));
		CHECK_OK(siommu_device_attach(c, dom2));
		CHECK_OK(siommu_domain_map(dom2, 0x1000, pa, 0x1000, RW));
		siommu_unit_get_stats(unit, &st);
		lp.armed = true;
		CHECK_OK(siommu_domain_unmap(dom2, 0x1000, 0x1000, NULL));
		CHECK(lp.n_inv >= 1);
		CHECK_EQ(lp.n_resp, 1);
		CHECK_EQ(lp.resp.rid, 0x0300);
		CHECK_EQ(lp.resp.prgi, 0x1a5);
		CHECK_EQ(lp.resp.code, 1);	/* invalid request: nobody handles it */
		CHECK(!lp.resp.auto_response);
		{
			struct siommu_unit_stats st2;

			siommu_unit_get_stats(unit, &st2);
			CHECK_EQ(st2.page_requests, st.page_requests + 1);
			CHECK_EQ(st2.inv_errors, st.inv_errors);
		}
		/* The response's own callback asks again: answered too. */
		lp = (struct pri_log){ .chain = true };
		CHECK_OK(siommu_domain_map(dom2, 0x1000, pa, 0x1000, RW));
		lp.armed = true;
		CHECK_OK(siommu_domain_unmap(dom2, 0x1000, 0x1000, NULL));
		CHECK_EQ(lp.n_resp, 2);
		CHECK_EQ(lp.prgi[0], 0x1a5);
		CHECK_EQ(lp.prgi[1], 0x1a6);
		siommu_device_detach(c);
		siommu_vtd_dev_unregister(hw, 0x0300);
		siommu_device_remove(c);
		CHECK_OK(siommu_domain_free(dom2));
	}

	/* The attachment walk's function configures the context. */
	{
		struct walk w = { a, dom, 0 };
		uint32_t p1, p2;

		CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 100, 1, &p1));
		CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 2000, 3000, 1, &p2));
		CHECK_OK(siommu_device_attach(a, dom));
		CHECK_OK(siommu_device_attach_pasid(a, p1, dom));
		CHECK_OK(siommu_device_attach_pasid(a, p2, dom));
		CHECK_OK(siommu_device_for_each_attachment(a, on_attachment, &w));
		CHECK_EQ(w.n, 3);
		CHECK(siommu_device_domain(a, p1) == NULL);
		CHECK(siommu_device_domain(a, p2) == NULL);
		CHECK(siommu_device_domain(a, 0) == dom);
		siommu_device_detach(a);
	}

	siommu_vtd_dev_unregister(hw, 0x0100);
	siommu_vtd_dev_unregister(hw, 0x0200);
	siommu_ctx_destroy(ctx);
	return 0;
}
