/* SPDX-License-Identifier: MIT */
/*
 * Fault queues, end to end: a PRI device's page requests go through the
 * unit's page request queue (VT-d's, or SMMUv3's PRI queue) and the
 * driver to the fault object of the HWPT attached at the request's RID or
 * PASID, and the answers back through the unit's own response (VT-d's
 * page group response, SMMUv3's CMD_PRI_RESP) to the device:
 *   - groups are read whole (a group that does not fit waits), once,
 *     with one cookie per group from 1, LAST_PAGE on its last record,
 *     PASID_VALID and the PASID for PASID requests, the DEVICE ID,
 *     permissions and address;
 *   - the device gets no answer until the user responds; the response
 *     reaches it with the code given and the group index; a cookie not
 *     read, already answered, or a code other than SUCCESS / INVALID is
 *     -EINVAL;
 *   - a request where no fault-capable HWPT is attached, or that the
 *     queue has no memory for, is answered "invalid" at once (its group
 *     dropped);
 *   - detaching or replacing an attachment, and unbinding the device,
 *     answer its pending groups "invalid";
 *   - a fault object a HWPT uses cannot be destroyed (-EBUSY).
 */
#include "iommufd_test.h"

#define RID 0x400

static void request(struct tfd *t, uint32_t pasid, uint16_t grp, uint64_t addr, bool last,
		    bool write)
{
	tfd_page_request(t, RID, pasid, grp, addr, last, write);
}

int main(void)
{
	struct siommu_hwpt_pgfault r[8];
	struct tfd_resp_log log = { 0 };
	struct siommu_device *pri;
	struct tfd t;
	uint32_t ioas, d, f, h, plain, n, pt;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_device_add(t.unit, &(struct siommu_device_cfg){
		.rid = RID, .pasid_bits = 20, .flags = SIOMMU_DEV_PRI,
		.alias_rid = SIOMMU_NO_ALIAS }, &pri));
	tfd_pri_register(&t, RID, &log);
	CHECK_OK(siommu_ioas_alloc(t.ictx, &ioas));
	CHECK_OK(siommu_fault_alloc(t.ictx, &f));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, f), SIOMMU_IOMMUFD_OBJ_FAULT);
	CHECK_OK(siommu_iommufd_bind(t.ictx, pri, &d));
	TFD_FAILS(&t, ioas, -EOPNOTSUPP, siommu_hwpt_alloc(t.ictx, d, ioas,
		  SIOMMU_HWPT_FAULT_ID_VALID | SIOMMU_HWPT_ALLOC_NEST_PARENT, f, &h));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas,
				   SIOMMU_HWPT_FAULT_ID_VALID | SIOMMU_HWPT_ALLOC_PASID, f, &h));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas, SIOMMU_HWPT_ALLOC_PASID, 0, &plain));
	TFD_FAILS(&t, ioas, -EBUSY, siommu_iommufd_obj_destroy(t.ictx, f));
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &pt));

	/* A group of two at the RID: queued, unanswered. */
	request(&t, NOPASID, 3, 0x1000, false, false);
	request(&t, NOPASID, 3, 0x2000, true, true);
	CHECK_EQ(log.n, 0);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 1, &n));
	CHECK_EQ(n, 0);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 8, &n));
	CHECK_EQ(n, 2);
	CHECK_EQ(r[0].dev_id, d);
	CHECK_EQ(r[0].flags, 0);
	CHECK_EQ(r[0].grpid, 3);
	CHECK_EQ(r[0].perm, SIOMMU_PGFAULT_PERM_READ);
	CHECK_EQ(r[0].addr, 0x1000);
	CHECK_EQ(r[0].cookie, 1);
	CHECK_EQ(r[0].length, 0);
	CHECK_EQ(r[1].flags, SIOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(r[1].perm, SIOMMU_PGFAULT_PERM_WRITE);
	CHECK_EQ(r[1].addr, 0x2000);
	CHECK_EQ(r[1].cookie, 1);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 8, &n));
	CHECK_EQ(n, 0);
	CHECK_EQ(siommu_fault_respond(t.ictx, f, 1, 2), -EINVAL);
	CHECK_EQ(siommu_fault_respond(t.ictx, f, 7, SIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	CHECK_EQ(log.n, 0);
	CHECK_OK(siommu_fault_respond(t.ictx, f, 1, SIOMMU_PAGE_RESP_SUCCESS));
	CHECK_EQ(log.n, 1);
	CHECK_EQ(log.last.code, 0);
	CHECK_EQ(log.last.prgi, 3);
	CHECK(!log.last.pasid_present);
	CHECK_EQ(siommu_fault_respond(t.ictx, f, 1, SIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	CHECK_EQ(siommu_fault_read(t.ictx, 99, r, 8, &n), -ENOENT);
	CHECK_EQ(siommu_fault_respond(t.ictx, h, 1, 0), -ENOENT);

	/* At a PASID. */
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, 5, &pt));
	request(&t, 5, 4, 0x5000, true, false);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 8, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].flags, SIOMMU_PGFAULT_FLAGS_PASID_VALID | SIOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(r[0].pasid, 5);
	CHECK_EQ(r[0].cookie, 2);
	CHECK_OK(siommu_fault_respond(t.ictx, f, 2, SIOMMU_PAGE_RESP_INVALID));
	CHECK_EQ(log.n, 2);
	CHECK_EQ(log.last.code, 1);
	CHECK(log.last.pasid_present);
	CHECK_EQ(log.last.pasid, 5);
	CHECK_EQ(log.last.prgi, 4);

	/* Detach answers what is pending there, read or not. */
	request(&t, 5, 6, 0x6000, true, false);
	request(&t, NOPASID, 8, 0x8000, true, false);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 1, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(r[0].grpid, 6);
	CHECK_OK(siommu_iommufd_detach(t.ictx, d, 5));
	CHECK_EQ(log.n, 3);
	CHECK_EQ(log.last.code, 1);
	CHECK_EQ(log.last.prgi, 6);
	CHECK_EQ(siommu_fault_respond(t.ictx, f, r[0].cookie, 0), -EINVAL);
	/* Replace answers the RID's. */
	pt = plain;
	CHECK_OK(siommu_iommufd_replace(t.ictx, d, NOPASID, &pt));
	CHECK_EQ(log.n, 4);
	CHECK_EQ(log.last.prgi, 8);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 8, &n));
	CHECK_EQ(n, 0);
	/* No fault queue where the request lands: answered at once. */
	request(&t, NOPASID, 9, 0x9000, true, false);
	CHECK_EQ(log.n, 5);
	CHECK_EQ(log.last.code, 1);
	CHECK_EQ(log.last.prgi, 9);
	/* A request the queue cannot take (no memory): the core answers
	 * its group, and nothing of it stays queued. */
	pt = h;
	CHECK_OK(siommu_iommufd_replace(t.ictx, d, NOPASID, &pt));
	siommu_mem_fail_nth(siommu_ctx_mem(t.ctx), 1);
	request(&t, NOPASID, 13, 0xd000, true, false);
	siommu_mem_fail_nth(siommu_ctx_mem(t.ctx), 0);
	CHECK_EQ(log.n, 6);
	CHECK_EQ(log.last.prgi, 13);
	CHECK_EQ(log.last.code, 1);
	CHECK_OK(siommu_fault_read(t.ictx, f, r, 8, &n));
	CHECK_EQ(n, 0);
	pt = plain;
	CHECK_OK(siommu_iommufd_replace(t.ictx, d, NOPASID, &pt));
	/* Unbind answers what is pending. */
	pt = h;
	CHECK_OK(siommu_iommufd_replace(t.ictx, d, NOPASID, &pt));
	request(&t, NOPASID, 10, 0xa000, true, false);
	CHECK_EQ(log.n, 6);
	CHECK_OK(siommu_iommufd_unbind(t.ictx, d));
	CHECK_EQ(log.n, 7);
	CHECK_EQ(log.last.prgi, 10);
	CHECK_EQ(log.last.code, 1);
	/* Unbound: the core answers again. */
	request(&t, NOPASID, 11, 0xb000, true, false);
	CHECK_EQ(log.n, 8);
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, h));
	CHECK_OK(siommu_iommufd_obj_destroy(t.ictx, f));
	CHECK_EQ(siommu_iommufd_obj_type(t.ictx, f), SIOMMU_IOMMUFD_OBJ_NONE);
	/* Closing with a queue in use tears it down too. */
	CHECK_OK(siommu_fault_alloc(t.ictx, &f));
	CHECK_OK(siommu_iommufd_bind(t.ictx, pri, &d));
	CHECK_OK(siommu_hwpt_alloc(t.ictx, d, ioas, SIOMMU_HWPT_FAULT_ID_VALID, f, &h));
	pt = h;
	CHECK_OK(siommu_iommufd_attach(t.ictx, d, NOPASID, &pt));
	request(&t, NOPASID, 12, 0xc000, true, false);
	tfd_pri_unregister(&t, RID);
	tfd_teardown(&t);
	return 0;
}
