/* SPDX-License-Identifier: MIT */
/*
 * Page requests (VT-d 7.5): descriptors in the page request queue, PRS and
 * the page request event, PRE, overflow with automatic responses; ATS
 * translation requests (VT-d 4.2).
 */
#include "vtd_test.h"

#define RID 0x0308

struct devlog {
	unsigned int nresp;
	struct siommu_vtd_page_resp resp;
};

static void dev_resp(void *opaque, const struct siommu_vtd_page_resp *r)
{
	struct devlog *l = opaque;

	l->nresp++;
	l->resp = *r;
}

static struct siommu_vtd_page_req preq(uint32_t pasid, uint64_t addr, uint16_t prgi,
				       bool last)
{
	struct siommu_vtd_page_req r = { .rid = RID, .pasid_present = true,
					 .pasid = pasid, .addr = addr,
					 .access = SIOMMU_VTD_READ | SIOMMU_VTD_WRITE,
					 .prgi = prgi, .last = last };
	return r;
}

static void test_queue(void)
{
	struct siommu_vtd_dev_ops ops = { .page_resp = dev_resp };
	struct siommu_vtd_page_req r = preq(0x54321, 0x7654321abc, 0x155, true);
	struct devlog l = { 0 };
	uint64_t d[4];
	struct vt t;
	unsigned int i;

	vt_init(&t, NULL);
	CHECK_OK(siommu_vtd_dev_register(t.v, RID, &ops, &l));
	vt_ctx(&t, RID, true, 0);
	vt_wr(&t, SIOMMU_VTD_REG_PEDATA, 4, 0x31);
	r.priv = true;
	r.access |= SIOMMU_VTD_EXEC;
	r.priv_data_present = true;
	r.priv_data[0] = 0x1111;
	r.priv_data[1] = 0x2222;
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 32);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4), SIOMMU_VTD_PRS_PPR);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 1);
	CHECK_EQ(t.msi_data, 0x31);
	CHECK_OK(siommu_mem_read(t.mem, t.prq, d, 32));
	CHECK_EQ(d[0] & 0xff, 1);
	CHECK(d[0] & (1 << 8));				/* PASID present */
	CHECK(d[0] & (1 << 9));				/* private data */
	CHECK_EQ((d[0] >> 16) & 0xffff, RID);
	CHECK_EQ((d[0] >> 32) & 0xfffff, 0x54321);
	CHECK(d[0] & (1ull << 52));			/* exec */
	CHECK(d[0] & (1ull << 53));			/* privileged */
	CHECK_EQ(d[1] & 7, 7);				/* R, W, LPIG */
	CHECK_EQ((d[1] >> 3) & 0x1ff, 0x155);
	CHECK_EQ(d[1] & ~0xfffull, 0x7654321000ull);
	CHECK_EQ(d[2], 0x1111);
	CHECK_EQ(d[3], 0x2222);
	/* PPR still set: no new event. */
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 1);
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PPR);
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 2);
	CHECK_EQ(l.nresp, 0);
	/* The response comes back through the invalidation queue. */
	vt_inv(&t, siommu_vtd_desc_page_resp(RID, true, 0x54321, 0x155, 0, true));
	CHECK_EQ(l.nresp, 1);
	CHECK_EQ(l.resp.code, 0);
	/* Fill the queue (one page: 128 slots, 127 usable). */
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, 96);
	r = preq(7, 0x1000, 1, false);
	for (i = 0; i < 127; i++)
		CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 64);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4) & SIOMMU_VTD_PRS_PRO));
	/* Full: not last in group -> dropped, no response. */
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOSPC);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4) & SIOMMU_VTD_PRS_PRO);
	CHECK_EQ(l.nresp, 1);
	/* Last in group: the unit answers success so the device retries. */
	r = preq(7, 0x1000, 2, true);
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, 0);	/* space again, but PRO is set */
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOSPC);
	CHECK_EQ(l.nresp, 2);
	CHECK(l.resp.auto_response);
	CHECK_EQ(l.resp.code, 0);
	CHECK_EQ(l.resp.prgi, 2);
	CHECK_EQ(l.resp.pasid, 7);
	CHECK(l.resp.pasid_present);
	/* A stop marker (last, no R/W) gets no response. */
	r.access = 0;
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOSPC);
	CHECK_EQ(l.nresp, 2);
	/* Clearing PRO queues again. */
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PRO);
	r.access = SIOMMU_VTD_READ;
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	/* Bad arguments: PRGI beyond 9 bits, an access bit beyond R/W/X. */
	r.prgi = 512;
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -EINVAL);
	r.prgi = 2;
	r.access = 8;
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -EINVAL);
	siommu_vtd_dev_unregister(t.v, RID);
	vt_fini(&t);
}

/*
 * The queue's registers: PQA keeps the address (below HAW) and the size;
 * a masked page request event sets PECTL.IP, and clearing PPR clears it.
 * An automatic response to a request without PASID carries no PASID,
 * whatever the request's field held.
 */
static void test_prq_regs(void)
{
	struct siommu_vtd_dev_ops ops = { .page_resp = dev_resp };
	struct siommu_vtd_page_req r = preq(0, 0x3000, 4, true);
	struct devlog l = { 0 };
	struct vt t;

	vt_init(&t, NULL);
	vt_wr(&t, SIOMMU_VTD_REG_PQA, 8, ~0ull);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQA, 8), (((1ull << 48) - 1) & ~0xfffull) | 7);
	/* A 32-bit write changes its half only. */
	vt_wr(&t, SIOMMU_VTD_REG_PQA, 8, 0x123456000ull | 2);
	vt_wr(&t, SIOMMU_VTD_REG_PQA + 4, 4, 7);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQA, 8), 0x723456002ull);
	vt_wr(&t, SIOMMU_VTD_REG_PQA, 4, 0x5001);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQA, 8), 0x700005001ull);
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, 0x40);
	vt_wr(&t, SIOMMU_VTD_REG_PQH + 4, 4, 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQH, 8), 0x40);
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, 0);
	vt_wr(&t, SIOMMU_VTD_REG_PQA, 8, t.prq);
	vt_ctx(&t, RID, true, 0);
	vt_wr(&t, SIOMMU_VTD_REG_PECTL, 4, SIOMMU_VTD_ECTL_IM);
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PECTL, 4), SIOMMU_VTD_ECTL_IM | SIOMMU_VTD_ECTL_IP);
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PPR);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PECTL, 4), SIOMMU_VTD_ECTL_IM);
	vt_wr(&t, SIOMMU_VTD_REG_PECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 0);
	/* Overflow: the automatic response to a request without PASID. */
	CHECK_OK(siommu_vtd_dev_register(t.v, RID, &ops, &l));
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, vt_rd(&t, SIOMMU_VTD_REG_PQT, 8) + 32);
	r.pasid_present = false;
	r.pasid = 0x77;
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOSPC);
	CHECK_EQ(l.nresp, 1);
	CHECK(l.resp.auto_response);
	CHECK(!l.resp.pasid_present);
	CHECK_EQ(l.resp.pasid, 0);
	siommu_vtd_dev_unregister(t.v, RID);
	vt_fini(&t);
}

/*
 * Descriptor fields (VT-d 9.10) of a request without PASID, unprivileged,
 * read only, not last in its group: PASID-present, PDP, ER, PMR, WR and
 * LPIG clear, PASID 0 whatever the request's field held. Then a write, last
 * in its group, with the largest PASID and PRGI.
 */
static void test_desc_fields(void)
{
	struct siommu_vtd_page_req r = preq(0x77, 0x5000, 0x1ff, false);
	uint64_t d[4];
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	r.pasid_present = false;
	r.access = SIOMMU_VTD_READ;
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	r.pasid_present = true;
	r.pasid = 0xfffff;
	r.access = SIOMMU_VTD_WRITE;
	r.last = true;
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 64);
	CHECK_OK(siommu_mem_read(t.mem, t.prq, d, 32));
	CHECK_EQ(d[0], 1 | (uint64_t)RID << 16);
	CHECK_EQ(d[1], 1 | 0x1ff << 3 | 0x5000);
	CHECK_EQ(d[2], 0);
	CHECK_EQ(d[3], 0);
	CHECK_OK(siommu_mem_read(t.mem, t.prq + 32, d, 32));
	CHECK_EQ(d[0], 1 | (1 << 8) | (uint64_t)RID << 16 | 0xfffffull << 32);
	CHECK_EQ(d[1], 2 | 4 | 0x1ff << 3 | 0x5000);
	/* A PASID beyond 20 bits is refused. */
	r.pasid = 0x100000;
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -EINVAL);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 64);
	vt_fini(&t);
}

/*
 * A two-page queue (PQS 1): 256 slots of which 255 usable, descriptors at
 * PQA + PQT across the page boundary. With PQH 0 it is full once PQT is at
 * the last slot; PQT wraps to 0 when software has consumed.
 */
static void test_queue_size(void)
{
	struct siommu_vtd_page_req r = preq(3, 0x4000, 0, false);
	uint64_t q, d[4];
	unsigned int i;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	CHECK_OK(siommu_mem_frame_alloc(t.mem, 2 * SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &q));
	vt_wr(&t, SIOMMU_VTD_REG_PQA, 8, q | 1);
	for (i = 0; i < 255; i++) {
		r.prgi = (uint16_t)i;
		CHECK_OK(siommu_vtd_page_request(t.v, &r));
	}
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 255 * 32);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4) & SIOMMU_VTD_PRS_PRO));
	for (i = 0; i < 255; i += 127) {
		CHECK_OK(siommu_mem_read(t.mem, q + 32 * i, d, 32));
		CHECK_EQ((d[1] >> 3) & 0x1ff, i);
	}
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOSPC);
	CHECK(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4) & SIOMMU_VTD_PRS_PRO);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 255 * 32);
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, 32);
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PRO);
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 0);
	vt_fini(&t);
}

/*
 * PRS.PPR and PRO are cleared only by writing 1 to them (VT-d 10.4.32). An
 * event raised while PECTL.IM is set is delivered as the page request
 * interrupt, with PEDATA and PEADDR, when IM is cleared.
 */
static void test_prs_pectl(void)
{
	struct siommu_vtd_page_req r = preq(3, 0x4000, 0, false);
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	vt_wr(&t, SIOMMU_VTD_REG_PEDATA, 4, 0x45);
	vt_wr(&t, SIOMMU_VTD_REG_PEADDR, 4, 0xfee01000);
	vt_wr(&t, SIOMMU_VTD_REG_PECTL, 4, SIOMMU_VTD_ECTL_IM);
	CHECK_OK(siommu_vtd_page_request(t.v, &r));
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PECTL, 4), SIOMMU_VTD_ECTL_IM | SIOMMU_VTD_ECTL_IP);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 0);
	vt_wr(&t, SIOMMU_VTD_REG_PECTL, 4, 0);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_PRQ], 1);
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 0);
	CHECK_EQ(t.msi_data, 0x45);
	CHECK_EQ(t.msi_addr, 0xfee01000);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PECTL, 4), 0);
	/* Overflow: both bits set, each cleared by its own 1. */
	vt_wr(&t, SIOMMU_VTD_REG_PQH, 8, vt_rd(&t, SIOMMU_VTD_REG_PQT, 8) + 32);
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOSPC);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4), SIOMMU_VTD_PRS_PPR | SIOMMU_VTD_PRS_PRO);
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, 0);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4), SIOMMU_VTD_PRS_PPR | SIOMMU_VTD_PRS_PRO);
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PPR);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4), SIOMMU_VTD_PRS_PRO);
	vt_wr(&t, SIOMMU_VTD_REG_PRS, 4, SIOMMU_VTD_PRS_PRO);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PRS, 4), 0);
	vt_fini(&t);
}

static void test_pre(void)
{
	struct siommu_vtd_dev_ops ops = { .page_resp = dev_resp };
	struct siommu_vtd_ctx_desc cd = { .pdts = 7, .paside = true };
	struct siommu_vtd_page_req r = preq(5, 0x2000, 3, true);
	struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_PRS };
	struct devlog l = { 0 };
	uint64_t hi;
	struct vt t;

	vt_init(&t, NULL);
	CHECK_OK(siommu_vtd_dev_register(t.v, RID, &ops, &l));
	CHECK_OK(siommu_vtd_build_context(t.mem, t.root, RID, &cd, NULL));
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -EFAULT);
	hi = vt_rd(&t, SIOMMU_VTD_REG_FRCD + 8, 8);
	CHECK_EQ((hi >> 32) & 0xff, SIOMMU_VTD_FR_CTX_PRE);
	CHECK_EQ(l.nresp, 1);
	CHECK_EQ(l.resp.code, 1);
	CHECK(l.resp.pasid_present);
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_PQT, 8), 0);
	/* The record names the page and the PASID; a fault event is raised. */
	CHECK_EQ(vt_rd(&t, SIOMMU_VTD_REG_FRCD, 8), 0x2000);
	CHECK(hi & (1ull << 31));			/* PP */
	CHECK_EQ((hi >> 40) & 0xfffff, 5);		/* PV */
	CHECK_EQ(t.msi[SIOMMU_VTD_IRQ_FAULT], 1);
	/* A write not last in its group: recorded as a write, not answered. */
	vt_clear_faults(&t);
	r.access = SIOMMU_VTD_WRITE;
	r.last = false;
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -EFAULT);
	hi = vt_rd(&t, SIOMMU_VTD_REG_FRCD + 16 *
		   SIOMMU_VTD_FSTS_FRI((uint32_t)vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4)) + 8, 8);
	CHECK_EQ((hi >> 32) & 0xff, SIOMMU_VTD_FR_CTX_PRE);
	CHECK(!(hi & (1ull << 62)));			/* T: write */
	CHECK_EQ(l.nresp, 1);
	siommu_vtd_dev_unregister(t.v, RID);
	vt_fini(&t);

	vt_init(&t, &c);
	CHECK_EQ(siommu_vtd_page_request(t.v, &r), -ENOTSUP);
	vt_fini(&t);
}

static void test_ats(void)
{
	struct siommu_vtd_req q = vt_req(RID, true, 1, 0x5000, SIOMMU_VTD_WRITE);
	struct siommu_vtd_cfg c = { .caps = SIOMMU_VTD_CAP_ALL & ~SIOMMU_VTD_CAP_DT };
	struct siommu_vtd_xlate x;
	uint64_t fs, pg;
	struct vt t;

	vt_init(&t, NULL);
	vt_ctx(&t, RID, true, 0);
	fs = vt_pasid_fs(&t, RID, 1, 1, 4);
	pg = vt_page(&t);
	CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x5000, pg,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	/* Read-only page: a write translation request returns R only. */
	CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
	CHECK_EQ(x.addr, pg);
	CHECK_EQ(x.perm, SIOMMU_VTD_READ);
	/* Unmapped: success without permissions, no fault logged. */
	q.iova = 0x9000;
	CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
	CHECK_EQ(x.perm, 0);
	CHECK(!(vt_rd(&t, SIOMMU_VTD_REG_FSTS, 4) & SIOMMU_VTD_FSTS_PPF));
	/* That completion still covers the request's page. */
	q.iova = 0x9123;
	CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
	CHECK_EQ(x.perm, 0);
	CHECK_EQ(x.addr, 0);
	CHECK_EQ(x.iova_base, 0x9000);
	CHECK_EQ(x.size, SIOMMU_SZ_4K);
	/* A privileged request gets a supervisor-only page's permissions,
	 * from the walk and then from the IOTLB. */
	{
		uint64_t ps = vt_page(&t);
		unsigned int i;

		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x7000, ps,
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_WRITE));
		q = vt_req(RID, true, 1, 0x7010, SIOMMU_VTD_READ);
		q.priv = true;
		for (i = 0; i < 2; i++) {
			CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
			CHECK_EQ(x.addr, ps + 0x10);
			CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);
		}
		q.priv = false;
		CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
		CHECK_EQ(x.perm, 0);
	}
	/* A read caches a clean writable page; a write request walks again
	 * and sets D. */
	{
		uint64_t pw = vt_page(&t), pa, size, e;

		CHECK_OK(siommu_vtd_build_map(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x6000, pw,
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
		q = vt_req(RID, true, 1, 0x6000, SIOMMU_VTD_READ);
		CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
		CHECK_EQ(x.perm, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE);
		CHECK_OK(siommu_vtd_build_leaf(t.mem, SIOMMU_VTD_FMT_FS, fs, 4, 0x6000,
					       &pa, &size));
		CHECK_OK(siommu_mem_load64(t.mem, pa, &e));
		CHECK(!(e & (1 << 6)));
		q.access = SIOMMU_VTD_WRITE;
		CHECK_OK(siommu_vtd_ats_translate(t.v, &q, &x));
		CHECK_OK(siommu_mem_load64(t.mem, pa, &e));
		CHECK(e & (1 << 6));
	}
	/* Bad requests; without PASID, interrupt addresses are not translated. */
	q.access = 0;
	CHECK_EQ(siommu_vtd_ats_translate(t.v, &q, &x), -EINVAL);
	q.access = 8;
	CHECK_EQ(siommu_vtd_ats_translate(t.v, &q, &x), -EINVAL);
	q = vt_req(RID, false, 0, 0xfee00000, SIOMMU_VTD_READ);
	CHECK_EQ(siommu_vtd_ats_translate(t.v, &q, &x), -ENOTSUP);
	q = vt_req(RID, true, 1, 0x5000, SIOMMU_VTD_WRITE);
	vt_fini(&t);

	vt_init(&t, &c);
	CHECK_EQ(siommu_vtd_ats_translate(t.v, &q, &x), -ENOTSUP);
	vt_fini(&t);
}

int main(void)
{
	test_queue();
	test_prq_regs();
	test_desc_fields();
	test_queue_size();
	test_prs_pectl();
	test_pre();
	test_ats();
	return 0;
}
