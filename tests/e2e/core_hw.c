/* SPDX-License-Identifier: MIT */
/*
 * End to end through the VT-d model: what the OS half writes into the
 * unit, judged by what the unit then does. Device-TLB invalidations reach
 * an ATS device for every unmap, PASID detach and replace, with the range
 * that changed; context entries enable ATS where the device has it and
 * hold every PASID the device has; PASID entries allow supervisor requests
 * and walk 5-level first-stage tables; an unmap that frees table levels
 * also clears the unit's paging-structure cache; a flush larger than the
 * invalidation queue still reaches every attachment; page requests land in
 * the driver's queue and every group is answered; an unmap during a PASID
 * replace also flushes what a walk cached under the other domain's ID.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include <siommu/core.h>

#include "core/drivers/vtd/vtd_drv.h"	/* the replace hook */
#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

struct unit_env {
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	struct siommu_unit *unit;
	struct siommu_vtd *hw;
};

static void env_init(struct unit_env *e, const struct siommu_vtd_cfg *cfg)
{
	CHECK_OK(siommu_ctx_create(NULL, &e->ctx));
	e->mem = siommu_ctx_mem(e->ctx);
	CHECK_OK(siommu_unit_add_vtd(e->ctx, cfg, &e->unit));
	e->hw = siommu_unit_vtd(e->unit);
}

static struct siommu_device *dev_add(struct unit_env *e, uint16_t rid,
				     unsigned int pasid_bits, unsigned int flags)
{
	struct siommu_device *dev;

	CHECK_OK(siommu_device_add(e->unit, &(struct siommu_device_cfg){
		.rid = rid, .pasid_bits = pasid_bits, .flags = flags,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev));
	return dev;
}

static struct siommu_domain *domain(struct unit_env *e, enum siommu_domain_stage stage,
				    unsigned int ias)
{
	struct siommu_domain *dom;

	CHECK_OK(siommu_domain_alloc(e->unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = stage, .ias = ias }, &dom));
	return dom;
}

static uint32_t pasid_in(struct unit_env *e, uint32_t min, uint32_t max)
{
	uint32_t p;

	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(e->ctx), min, max, 7, &p));
	return p;
}

/* A 4K frame holding @pattern at offset 0. */
static uint64_t buffer(struct unit_env *e, uint64_t pattern)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(e->mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_mem_write(e->mem, pa, &pattern, sizeof(pattern)));
	return pa;
}

/* An 8-byte DMA read: 0 with *val, or the fault reason. */
static uint32_t dma(struct unit_env *e, uint16_t rid, bool pp, uint32_t pasid,
		    bool priv, uint64_t iova, uint64_t *val)
{
	struct siommu_vtd_req req = { .rid = rid, .pasid_present = pp, .pasid = pasid,
				      .priv = priv, .iova = iova };
	struct siommu_vtd_xlate res;
	int ret;

	*val = ~0ull;
	ret = siommu_vtd_dma_read(e->hw, &req, val, sizeof(*val), NULL, &res);
	CHECK(ret == 0 || ret == -EFAULT);
	return ret ? res.fault_reason : 0;
}

static uint64_t dma_ok(struct unit_env *e, uint16_t rid, bool pp, uint32_t pasid,
		       uint64_t iova)
{
	uint64_t val;

	CHECK_EQ(dma(e, rid, pp, pasid, false, iova, &val), 0);
	return val;
}

/* ---- device-TLB invalidations ------------------------------------------- */

struct devtlb_log {
	unsigned int n;
	struct siommu_vtd_devtlb_inv last;
};

static void on_devtlb(void *opaque, const struct siommu_vtd_devtlb_inv *inv)
{
	struct devtlb_log *l = opaque;

	l->n++;
	l->last = *inv;
}

/* The last invalidation: (rid, PASID), and the exact range or all of it. */
static void check_inv(const struct devtlb_log *l, bool pp, uint32_t pasid,
		      uint64_t addr, uint64_t size)
{
	CHECK(l->n > 0);
	CHECK_EQ(l->last.rid, 0x0100);
	CHECK_EQ(l->last.pasid_present, pp);
	if (pp)
		CHECK_EQ(l->last.pasid, pasid);
	CHECK(!l->last.all_pasids);
	if (!size) {
		CHECK(l->last.all_addresses);
		return;
	}
	CHECK(!l->last.all_addresses);
	CHECK_EQ(l->last.addr, addr);
	CHECK_EQ(l->last.size, size);
}

static void test_ats(void)
{
	struct siommu_vtd_dev_ops ops = { .devtlb_inv = on_devtlb };
	struct devtlb_log l = { 0 };
	struct unit_env e;
	struct siommu_device *a, *b;
	struct siommu_domain *d1, *d2, *d3;
	struct siommu_vtd_req req = { .rid = 0x0100, .iova = 0x10000, .len = 8,
				      .access = SIOMMU_VTD_READ };
	struct siommu_vtd_xlate res;
	uint64_t pa = 0, iova, done;
	uint32_t p;

	env_init(&e, NULL);
	a = dev_add(&e, 0x0100, 20, SIOMMU_DEV_ATS);
	b = dev_add(&e, 0x0200, 0, 0);
	CHECK_OK(siommu_vtd_dev_register(e.hw, 0x0100, &ops, &l));
	d1 = domain(&e, SIOMMU_STAGE_FIRST, 0);
	for (iova = 0x10000; iova < 0x20000; iova += 0x1000) {
		pa = buffer(&e, iova);
		CHECK_OK(siommu_domain_map(d1, iova, pa, 0x1000, RW));
	}
	CHECK_OK(siommu_device_attach(a, d1));
	CHECK_OK(siommu_device_attach(b, d1));

	/* ATS translation: only the ATS device's context allows it. */
	CHECK_OK(siommu_vtd_ats_translate(e.hw, &req, &res));
	CHECK(res.perm & SIOMMU_VTD_READ);
	req.rid = 0x0200;
	CHECK_EQ(siommu_vtd_ats_translate(e.hw, &req, &res), -EFAULT);
	CHECK_EQ(res.fault_reason, SIOMMU_VTD_FR_CTX_DTE);

	/* Unmaps: the range, as the smallest aligned block holding it. */
	l.n = 0;
	CHECK_OK(siommu_domain_unmap(d1, 0x10000, 0x1000, &done));
	check_inv(&l, false, 0, 0x10000, 0x1000);
	CHECK_OK(siommu_domain_unmap(d1, 0x14000, 0x4000, &done));
	check_inv(&l, false, 0, 0x14000, 0x4000);
	CHECK_OK(siommu_domain_unmap(d1, 0x1f000, 0x1000, &done));
	CHECK_OK(siommu_domain_unmap(d1, 0x17000, 0x2000, &done));
	check_inv(&l, false, 0, 0x10000, 0x10000);
	/* Wider than the unit's largest page-selective form: everything. */
	CHECK_OK(siommu_domain_unmap(d1, 0, 1ull << 40, &done));
	CHECK_EQ(done, 0x9000);
	check_inv(&l, false, 0, 0, 0);

	/* A PASID's unmap names the PASID. */
	p = pasid_in(&e, 1, 1000);
	d2 = domain(&e, SIOMMU_STAGE_FIRST, 0);
	CHECK_OK(siommu_domain_map(d2, 0x3000, pa, 0x1000, RW));
	CHECK_OK(siommu_device_attach_pasid(a, p, d2));
	CHECK_EQ(dma_ok(&e, 0x0100, true, p, 0x3000), 0x1f000);
	l.n = 0;
	CHECK_OK(siommu_domain_unmap(d2, 0x3000, 0x1000, &done));
	check_inv(&l, true, p, 0x3000, 0x1000);
	/* Detach and replace drop everything the device cached there. */
	l.n = 0;
	CHECK_OK(siommu_device_detach_pasid(a, p));
	check_inv(&l, true, p, 0, 0);
	d3 = domain(&e, SIOMMU_STAGE_SECOND, 0);
	l.n = 0;
	CHECK_OK(siommu_device_attach(a, d3));
	check_inv(&l, false, 0, 0, 0);
	/* A second-stage domain's unmap reaches the device as well. */
	CHECK_OK(siommu_domain_map(d3, 0x5000, pa, 0x1000, RW));
	l.n = 0;
	CHECK_OK(siommu_domain_unmap(d3, 0x5000, 0x1000, &done));
	check_inv(&l, false, 0, 0x5000, 0x1000);
	siommu_ctx_destroy(e.ctx);
}

/* ---- PASID entries ---------------------------------------------------------- */

/* Supervisor requests: allowed by the PASID entry, decided by each
 * mapping's U/S bit. */
static void test_supervisor(void)
{
	struct unit_env e;
	struct siommu_device *a;
	struct siommu_domain *d;
	uint64_t pa, val;
	uint32_t p;

	env_init(&e, NULL);
	a = dev_add(&e, 0x0100, 20, 0);
	d = domain(&e, SIOMMU_STAGE_FIRST, 0);
	pa = buffer(&e, 0x5555);
	CHECK_OK(siommu_domain_map(d, 0x1000, pa, 0x1000, RW | SIOMMU_PROT_PRIV));
	CHECK_OK(siommu_domain_map(d, 0x2000, pa, 0x1000, RW));
	p = pasid_in(&e, 1, 1000);
	CHECK_OK(siommu_device_attach_pasid(a, p, d));
	CHECK_EQ(dma(&e, 0x0100, true, p, true, 0x1000, &val), 0);
	CHECK_EQ(val, 0x5555);
	CHECK_EQ(dma(&e, 0x0100, true, p, false, 0x1000, &val), SIOMMU_VTD_FR_FS_USER);
	CHECK_EQ(dma(&e, 0x0100, true, p, false, 0x2000, &val), 0);
	siommu_ctx_destroy(e.ctx);
}

/* A 57-bit first-stage domain: the PASID entry asks for a 5-level walk. */
static void test_five_level(void)
{
	struct siommu_vtd_cfg cfg = { .aw = 57 };
	struct unit_env e;
	struct siommu_device *a;
	struct siommu_domain *d;
	uint64_t pa, iova = (1ull << 55) | 0x5000;	/* beyond 48 bits */
	uint32_t p;

	env_init(&e, &cfg);
	a = dev_add(&e, 0x0100, 20, 0);
	d = domain(&e, SIOMMU_STAGE_FIRST, 57);
	pa = buffer(&e, 0x5757);
	CHECK_OK(siommu_domain_map(d, iova, pa, 0x1000, RW));
	CHECK_OK(siommu_domain_map(d, 0x1000, pa, 0x1000, RW));
	CHECK_OK(siommu_device_attach(a, d));
	CHECK_EQ(dma_ok(&e, 0x0100, false, 0, iova), 0x5757);
	CHECK_EQ(dma_ok(&e, 0x0100, false, 0, 0x1000), 0x5757);
	p = pasid_in(&e, 1, 1000);
	CHECK_OK(siommu_device_attach_pasid(a, p, d));
	CHECK_EQ(dma_ok(&e, 0x0100, true, p, iova), 0x5757);
	siommu_ctx_destroy(e.ctx);
}

/* ---- context entries -------------------------------------------------------- */

struct att_list {
	unsigned int n;
	uint32_t pasid[8];
	struct siommu_domain *dom[8];
};

static int list_att(void *arg, uint32_t pasid, struct siommu_domain *dom)
{
	struct att_list *l = arg;

	CHECK(l->n < 8);
	l->pasid[l->n] = pasid;
	l->dom[l->n++] = dom;
	return 0;
}

/*
 * The highest PASIDs of a 20-bit device: its PASID directory and the
 * context's PDTS cover them, the attachment list reports them, and
 * removing the device drops the references its attachments held.
 */
static void test_high_pasids(void)
{
	struct siommu_pasid_space *space;
	struct att_list l = { 0 };
	struct unit_env e;
	struct siommu_device *a;
	struct siommu_domain *d;
	uint32_t p[3];
	unsigned int i;
	uint64_t pa;

	env_init(&e, NULL);
	a = dev_add(&e, 0x0100, 20, 0);
	d = domain(&e, SIOMMU_STAGE_FIRST, 0);
	pa = buffer(&e, 0x2020);
	CHECK_OK(siommu_domain_map(d, 0x1000, pa, 0x1000, RW));
	p[0] = pasid_in(&e, 0x7ffc0, 0x7ffff);
	p[1] = pasid_in(&e, 0x80000, 0x80000);
	p[2] = pasid_in(&e, 0xfffff, 0xfffff);
	for (i = 0; i < 3; i++) {
		CHECK_OK(siommu_device_attach_pasid(a, p[i], d));
		CHECK_EQ(dma_ok(&e, 0x0100, true, p[i], 0x1000), 0x2020);
	}
	CHECK_OK(siommu_device_for_each_attachment(a, list_att, &l));
	CHECK_EQ(l.n, 3);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(l.pasid[i], p[i]);
		CHECK(l.dom[i] == d);
	}
	space = siommu_ctx_pasids(e.ctx);
	siommu_device_remove(a);
	for (i = 0; i < 3; i++) {
		CHECK_OK(siommu_pasid_free(space, p[i]));
		CHECK_EQ(siommu_pasid_get(space, p[i]), -ENOENT);
	}
	siommu_ctx_destroy(e.ctx);
}

/* ---- the paging-structure cache ------------------------------------------- */

/*
 * An unmap that covers a last-level table's whole range frees the table;
 * the unit's cached pointer to it must go too (an invalidation without IH).
 * A 2M page mapped in its place is then reached, not the freed table.
 */
static void test_freed_table(void)
{
	struct unit_env e;
	struct siommu_device *a;
	struct siommu_domain *d;
	uint64_t pa4k, pa2m, pattern = 0x2222, done;

	env_init(&e, NULL);
	a = dev_add(&e, 0x0100, 0, 0);
	d = domain(&e, SIOMMU_STAGE_FIRST, 0);
	pa4k = buffer(&e, 0x4444);
	CHECK_OK(siommu_mem_frame_alloc(e.mem, SIOMMU_SZ_2M, SIOMMU_MEM_DMA, &pa2m));
	CHECK_OK(siommu_mem_write(e.mem, pa2m + 0x3000, &pattern, sizeof(pattern)));
	CHECK_OK(siommu_device_attach(a, d));
	CHECK_OK(siommu_domain_map(d, 0x200000, pa4k, 0x1000, RW));
	CHECK_EQ(dma_ok(&e, 0x0100, false, 0, 0x200000), 0x4444);
	CHECK_OK(siommu_domain_unmap(d, 0x200000, SIOMMU_SZ_2M, &done));
	CHECK_EQ(done, 0x1000);
	CHECK_OK(siommu_domain_map(d, 0x200000, pa2m, SIOMMU_SZ_2M, RW));
	CHECK_EQ(dma_ok(&e, 0x0100, false, 0, 0x203000), 0x2222);
	siommu_ctx_destroy(e.ctx);
}

/* ---- page requests ---------------------------------------------------------- */

struct resp_log {
	unsigned int n;
	struct siommu_vtd_page_resp last;
};

static void on_log_resp(void *opaque, const struct siommu_vtd_page_resp *resp)
{
	struct resp_log *l = opaque;

	l->n++;
	l->last = *resp;
}

static int page_req(struct unit_env *e, uint16_t rid, uint16_t prgi, bool last,
		    uint32_t access)
{
	struct siommu_vtd_page_req req = { .rid = rid, .pasid_present = true, .pasid = 5,
					   .addr = 0x7000, .access = access,
					   .prgi = prgi, .last = last };

	return siommu_vtd_page_request(e->hw, &req);
}

/*
 * The driver owns a page request queue: requests land there, never at an
 * address the embedder uses (guest RAM at 0 here), and every group gets an
 * answer. No device handles I/O page faults yet, so the answer is "invalid
 * request", private data echoed. A device without PRI is refused by its
 * context entry and answered by the unit itself.
 */
static void test_page_requests(void)
{
	struct siommu_vtd_dev_ops ops = { .page_resp = on_log_resp };
	struct resp_log la = { 0 }, lb = { 0 };
	struct siommu_vtd_page_req req = { .rid = 0x0100, .pasid_present = true,
					   .pasid = 5, .addr = 0x9000,
					   .access = SIOMMU_VTD_WRITE, .prgi = 9,
					   .last = true, .priv_data_present = true,
					   .priv_data = { 0x11, 0x22 } };
	struct siommu_unit_stats st;
	struct unit_env e;
	struct siommu_mem *mem;
	uint64_t guest = 0x4755455354ull, val, prs;
	unsigned int i;

	CHECK_OK(siommu_mem_create(NULL, &mem));
	CHECK_OK(siommu_mem_add_ram(mem, 0, SIOMMU_SZ_2M, NULL));
	CHECK_OK(siommu_mem_write(mem, 0, &guest, sizeof(guest)));
	CHECK_OK(siommu_ctx_create(&(struct siommu_ctx_cfg){ .mem = mem }, &e.ctx));
	e.mem = mem;
	CHECK_OK(siommu_unit_add_vtd(e.ctx, NULL, &e.unit));
	e.hw = siommu_unit_vtd(e.unit);
	dev_add(&e, 0x0100, 20, SIOMMU_DEV_PRI);
	dev_add(&e, 0x0200, 20, 0);
	CHECK_OK(siommu_vtd_dev_register(e.hw, 0x0100, &ops, &la));
	CHECK_OK(siommu_vtd_dev_register(e.hw, 0x0200, &ops, &lb));

	CHECK_OK(page_req(&e, 0x0100, 3, true, SIOMMU_VTD_READ));
	CHECK_EQ(la.n, 1);
	CHECK_EQ(la.last.code, 1);
	CHECK(!la.last.auto_response);
	CHECK_EQ(la.last.rid, 0x0100);
	CHECK(la.last.pasid_present);
	CHECK_EQ(la.last.pasid, 5);
	CHECK_EQ(la.last.prgi, 3);
	CHECK(!la.last.priv_data_present);
	/* A group of three: one answer, after the last. */
	CHECK_OK(page_req(&e, 0x0100, 4, false, SIOMMU_VTD_READ));
	CHECK_OK(page_req(&e, 0x0100, 4, false, SIOMMU_VTD_WRITE));
	CHECK_EQ(la.n, 1);
	CHECK_OK(siommu_vtd_page_request(e.hw, &req));
	CHECK_EQ(la.n, 2);
	CHECK_EQ(la.last.prgi, 9);
	CHECK(la.last.priv_data_present);
	CHECK_EQ(la.last.priv_data[0], 0x11);
	CHECK_EQ(la.last.priv_data[1], 0x22);
	/* A stop marker (last, neither read nor write) wants no answer. */
	CHECK_OK(page_req(&e, 0x0100, 5, true, 0));
	CHECK_EQ(la.n, 2);
	/* More requests than the queue holds, drained as they come. */
	for (i = 0; i < 300; i++)
		CHECK_OK(page_req(&e, 0x0100, (uint16_t)(i % 512), i % 3 == 2,
				  SIOMMU_VTD_READ));
	CHECK_EQ(la.n, 102);
	CHECK_OK(siommu_vtd_mmio_read(e.hw, SIOMMU_VTD_REG_PRS, 4, &prs));
	CHECK_EQ(prs, 0);
	siommu_unit_get_stats(e.unit, &st);
	CHECK_EQ(st.page_requests, 305);

	/* No PRI: the context refuses, the unit answers. */
	CHECK_EQ(page_req(&e, 0x0200, 6, true, SIOMMU_VTD_READ), -EFAULT);
	CHECK_EQ(lb.n, 1);
	CHECK_EQ(lb.last.code, 1);
	CHECK(lb.last.auto_response);

	CHECK_OK(siommu_mem_read(mem, 0, &val, sizeof(val)));
	CHECK_EQ(val, guest);
	siommu_ctx_destroy(e.ctx);
	siommu_mem_destroy(mem);
}

/* ---- the invalidation queue ----------------------------------------------- */

/* One domain at more PASIDs than the queue has entries: a flush takes
 * several batches, and none of its descriptors is lost. */
static void test_big_flush(void)
{
	enum { N = 200 };
	struct unit_env e;
	struct siommu_device *a;
	struct siommu_domain *d;
	uint32_t p[N];
	uint64_t pa, val, done;
	unsigned int i;

	env_init(&e, NULL);
	a = dev_add(&e, 0x0100, 20, SIOMMU_DEV_ATS);
	d = domain(&e, SIOMMU_STAGE_FIRST, 0);
	pa = buffer(&e, 0x3131);
	CHECK_OK(siommu_domain_map(d, 0x1000, pa, 0x1000, RW));
	for (i = 0; i < N; i++) {
		p[i] = pasid_in(&e, 1, 100000);
		CHECK_OK(siommu_device_attach_pasid(a, p[i], d));
		CHECK_EQ(dma_ok(&e, 0x0100, true, p[i], 0x1000), 0x3131);
	}
	CHECK_OK(siommu_domain_unmap(d, 0x1000, 0x1000, &done));
	for (i = 0; i < N; i++)
		CHECK_EQ(dma(&e, 0x0100, true, p[i], false, 0x1000, &val),
			 SIOMMU_VTD_FR_FS_NP);
	siommu_ctx_destroy(e.ctx);
}

/* ---- a replace in flight ---------------------------------------------- */

struct held_replace {
	struct siommu_device *dev;
	uint32_t pasid;
	struct siommu_domain *dom;
	unsigned int at;	/* the store to hold after */
	int paused;		/* atomic */
	int go;			/* atomic */
};

/* Hold the replace after store @h->at until the test lets it go. */
static void hold_replace(void *arg, unsigned int store)
{
	struct held_replace *h = arg;

	if (store != h->at)
		return;
	__atomic_store_n(&h->paused, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void *replace_thread(void *arg)
{
	struct held_replace *h = arg;

	CHECK_OK(siommu_device_attach_pasid(h->dev, h->pasid, h->dom));
	return NULL;
}

/*
 * While a PASID entry is rewritten from domain A to domain B, a walk can
 * pair one domain's table with the other's DID and cache a translation
 * under the wrong DID:
 *  - first stage: the table pointer (qw2) is stored first, so after it a
 *    walk reads B's table with A's DID; an unmap of B must flush A's DID
 *    for that PASID too (PASID-based);
 *  - second stage: the table pointer is in qw0, stored last, so after the
 *    DID store a walk reads A's table with B's DID; an unmap of A must
 *    flush B's DID too (domain-wide IOTLB descriptors).
 * After the unmap, DMA through the half-written entry faults instead of
 * reading the unmapped page; and after the replace too.
 */
static void test_replace_in_flight(enum siommu_domain_stage stage)
{
	bool fs = stage == SIOMMU_STAGE_FIRST;
	uint32_t np = fs ? SIOMMU_VTD_FR_FS_NP : SIOMMU_VTD_FR_SS_NP;
	struct held_replace h = { .at = fs ? 1 : 2 };
	struct siommu_domain *a, *b, *walked;
	struct unit_env e;
	uint64_t pg, done, val;
	pthread_t t;
	uint32_t p;

	env_init(&e, NULL);
	h.dev = dev_add(&e, 0x0100, 8, 0);
	a = domain(&e, stage, 0);
	b = domain(&e, stage, 0);
	walked = fs ? b : a;	/* whose table the half-written entry has */
	p = pasid_in(&e, 1, 255);
	pg = buffer(&e, 0xb0b0);
	CHECK_OK(siommu_domain_map(walked, 0x5000, pg, 0x1000, RW));
	/* No DMA before: the unit caches nothing of the PASID's old entry. */
	CHECK_OK(siommu_device_attach_pasid(h.dev, p, a));
	h.pasid = p;
	h.dom = b;
	vtd_drv_replace_hook_set(e.unit, hold_replace, &h);
	CHECK_OK(pthread_create(&t, NULL, replace_thread, &h));
	while (!__atomic_load_n(&h.paused, __ATOMIC_ACQUIRE))
		sched_yield();

	/* One domain's table under the other's DID, cached so. */
	CHECK_EQ(dma_ok(&e, 0x0100, true, p, 0x5000), 0xb0b0);
	CHECK_OK(siommu_domain_unmap(walked, 0x5000, 0x1000, &done));
	CHECK_EQ(done, 0x1000);
	CHECK_EQ(dma(&e, 0x0100, true, p, false, 0x5000, &val), np);

	__atomic_store_n(&h.go, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(t, NULL));
	vtd_drv_replace_hook_set(e.unit, NULL, NULL);
	CHECK(siommu_device_domain(h.dev, p) == b);
	CHECK_EQ(dma(&e, 0x0100, true, p, false, 0x5000, &val), np);
	siommu_ctx_destroy(e.ctx);
}

int main(void)
{
	test_ats();
	test_supervisor();
	test_five_level();
	test_high_pasids();
	test_freed_table();
	test_page_requests();
	test_big_flush();
	test_replace_in_flight(SIOMMU_STAGE_FIRST);
	test_replace_in_flight(SIOMMU_STAGE_SECOND);
	return 0;
}
