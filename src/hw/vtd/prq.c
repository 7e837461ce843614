/* SPDX-License-Identifier: MIT */
/*
 * Page request queue (VT-d 7.5): page requests from devices become 32-byte
 * page request descriptors (VT-d 9.10 layout) written at PQT of the queue at
 * PQA; software consumes them from PQH and answers with page group response
 * descriptors through the invalidation queue (qi.c).
 */
#include <errno.h>
#include <string.h>

#include "hw/vtd/vtd_internal.h"

uint64_t vtd_prq_reg_read(struct siommu_vtd *v, uint64_t off)
{
	uint64_t val = 0;

	pthread_mutex_lock(&v->prq_lock);
	switch (off) {
	case SIOMMU_VTD_REG_PQH:	val = v->pqh; break;
	case SIOMMU_VTD_REG_PQT:	val = v->pqt; break;
	case SIOMMU_VTD_REG_PQA:	val = v->pqa; break;
	case SIOMMU_VTD_REG_PRS:	val = v->prs; break;
	case SIOMMU_VTD_REG_PECTL:	val = v->pectl; break;
	}
	pthread_mutex_unlock(&v->prq_lock);
	return val;
}

void vtd_prq_reg_write(struct siommu_vtd *v, uint64_t off, uint64_t val,
		       uint64_t wmask, unsigned int *msi)
{
	pthread_mutex_lock(&v->prq_lock);
	switch (off) {
	case SIOMMU_VTD_REG_PQH:
		v->pqh = ((v->pqh & ~wmask) | (val & wmask)) & GENMASK64(18, 5);
		break;
	case SIOMMU_VTD_REG_PQA:
		v->pqa = ((v->pqa & ~wmask) | (val & wmask)) &
			 ((v->haw_mask & GENMASK64(63, 12)) | 7);
		break;
	case SIOMMU_VTD_REG_PRS:
		/* PPR and PRO are write-1-to-clear; clearing PPR clears a
		 * pending (masked) event (VT-d 10.4.31, 10.4.32). */
		v->prs &= ~((uint32_t)val & (SIOMMU_VTD_PRS_PPR | SIOMMU_VTD_PRS_PRO));
		if (!(v->prs & SIOMMU_VTD_PRS_PPR))
			v->pectl &= ~SIOMMU_VTD_ECTL_IP;
		break;
	case SIOMMU_VTD_REG_PECTL:
		vtd_ectl_write(&v->pectl, (uint32_t)val, MSI_PRQ, msi);
		break;
	}
	pthread_mutex_unlock(&v->prq_lock);
}

static void auto_respond(struct siommu_vtd *v, const struct siommu_vtd_page_req *req,
			 uint8_t code)
{
	struct siommu_vtd_page_resp r;

	memset(&r, 0, sizeof(r));
	r.rid = req->rid;
	r.pasid_present = req->pasid_present;
	r.pasid = req->pasid_present ? req->pasid : 0;
	r.prgi = req->prgi;
	r.code = code;
	r.auto_response = true;
	vtd_dev_page_resp(v, &r);
}

int SIOMMU_EXPORT siommu_vtd_page_request(struct siommu_vtd *v,
					  const struct siommu_vtd_page_req *req)
{
	bool needs_resp, fpd, full;
	unsigned int msi = 0;
	uint64_t d[4], qsize, slot;
	uint32_t fr;

	if (!(v->cfg.caps & SIOMMU_VTD_CAP_PRS))
		return -ENOTSUP;
	if (!req || req->pasid > 0xfffff || req->prgi > 0x1ff ||
	    (req->access & ~(uint32_t)(SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
				       SIOMMU_VTD_EXEC)))
		return -EINVAL;
	/* A last-in-group request without read or write is a stop marker,
	 * which gets no response (PCIe PRI; VT-d 7.5.1). */
	needs_resp = req->last && (req->access & (SIOMMU_VTD_READ | SIOMMU_VTD_WRITE));

	fr = vtd_prq_check(v, req, &fpd);
	if (fr) {
		struct vtd_fault f = {
			.sid = req->rid, .pp = req->pasid_present,
			.pasid = req->pasid, .addr = req->addr, .reason = (uint8_t)fr,
			.write = req->access & SIOMMU_VTD_WRITE,
			.priv = req->priv, .exec = req->access & SIOMMU_VTD_EXEC,
			.prq = true, .fpd = fpd,
		};

		vtd_fault_record(v, &f, &msi);
		vtd_msi_deliver(v, msi);
		if (needs_resp)
			auto_respond(v, req, 1);	/* invalid request */
		return -EFAULT;
	}

	d[0] = 1 | (req->pasid_present ? BIT64(8) : 0) |
	       (req->priv_data_present ? BIT64(9) : 0) |
	       ((uint64_t)req->rid << 16) |
	       ((uint64_t)(req->pasid_present ? req->pasid : 0) << 32) |
	       ((req->access & SIOMMU_VTD_EXEC) ? BIT64(52) : 0) |
	       (req->priv ? BIT64(53) : 0);
	d[1] = ((req->access & SIOMMU_VTD_READ) ? 1 : 0) |
	       ((req->access & SIOMMU_VTD_WRITE) ? 2 : 0) |
	       (req->last ? 4 : 0) | ((uint64_t)req->prgi << 3) |
	       (req->addr & GENMASK64(63, 12));
	d[2] = req->priv_data_present ? req->priv_data[0] : 0;
	d[3] = req->priv_data_present ? req->priv_data[1] : 0;

	pthread_mutex_lock(&v->prq_lock);
	qsize = 4096ull << (v->pqa & 7);
	slot = (v->pqa & GENMASK64(63, 12)) + v->pqt;
	/* VT-d 7.5.1: full when advancing PQT would make it equal PQH; while
	 * PRO is set requests are not queued. */
	full = (v->prs & SIOMMU_VTD_PRS_PRO) || v->pqt >= qsize ||
	       ((v->pqt + 32) & (qsize - 1)) == v->pqh ||
	       siommu_mem_write(v->mem, slot, d, sizeof(d));
	if (full) {
		v->prs |= SIOMMU_VTD_PRS_PRO;
	} else {
		v->pqt = (v->pqt + 32) & (qsize - 1);
		if (!(v->prs & SIOMMU_VTD_PRS_PPR)) {
			v->prs |= SIOMMU_VTD_PRS_PPR;
			vtd_event(&v->pectl, MSI_PRQ, &msi);
		}
	}
	pthread_mutex_unlock(&v->prq_lock);
	vtd_msi_deliver(v, msi);
	if (full) {
		/* The unit answers the group "success" so the device retries
		 * rather than waiting forever (VT-d 7.5.1). */
		if (needs_resp)
			auto_respond(v, req, 0);
		return -ENOSPC;
	}
	vtd_stat_inc(v, ST_PRQ);
	return 0;
}
