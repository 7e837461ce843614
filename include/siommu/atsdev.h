/* SPDX-License-Identifier: MIT */
/*
 * siommu/atsdev.h - a device kit for emulator authors: a software PCIe
 * device with ATS and PRI behind a VT-d or an SMMUv3 model.
 *
 * Concepts
 * --------
 * A struct siommu_atsdev is the address-translation half of a device: a
 * device model that embeds it asks it to DMA, and it does what a PCIe
 * device with ATS (PCIe 10.2) and PRI (PCIe 10.4) does:
 *   - it translates through ATS (siommu_vtd_ats_translate(),
 *     siommu_smmuv3_ats_translate()) and caches each translation in its
 *     own device TLB (an ATC), tagged with the PASID (or none) and the
 *     page;
 *   - it honours the invalidations the unit delivers (VT-d device-TLB
 *     invalidations, SMMUv3 CMD_ATC_INV): once the callback returns, no
 *     DMA of the device uses what they removed, and a DMA in progress on
 *     such a page has finished (so the invalidation wait or CMD_SYNC that
 *     follows completes after it, as on hardware). An invalidation
 *     without a PASID (VT-d's without one, SMMUv3's without a
 *     SubstreamID) covers the range for every PASID and for requests
 *     without one, as PCIe defines it; one with a PASID covers that
 *     PASID's entries (every PASID's, with VT-d's all-PASIDs or SMMUv3's
 *     Global);
 *   - it accesses memory with the translated address, as translated
 *     requests do;
 *   - on a page the translation does not allow (not present, or without
 *     the access), it sends a page request (one group of one page), waits
 *     for the group's response and, on "success", translates again; a
 *     response "invalid request" or "failure" ends the DMA, with the bytes
 *     done and the faulting address reported. Responses are reported in
 *     PCIe's codes on either unit (SMMUv3's CMD_PRI_RESP deny, failure and
 *     success are 1, 0xf and 0).
 * The kit registers the device's callbacks with the unit at @rid
 * (siommu_vtd_dev_register(), siommu_smmuv3_dev_register(): on SMMUv3
 * the RID is the StreamID and the PASID the SubstreamID): a device model
 * using the kit leaves them to it. Only creation names the unit type.
 *
 * Concurrency: DMAs of one device may be issued from any threads; they
 * serialise on the device's TLB lock for each page's copy. The unit's
 * callbacks run concurrently with them. A DMA waits for page responses:
 * it must not be issued from a thread that answers page requests (a
 * handler running in siommu_iopf_poll() of the same context, in poll
 * mode) or from a callback of the unit.
 */
#ifndef SIOMMU_ATSDEV_H
#define SIOMMU_ATSDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/smmuv3.h>
#include <siommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_atsdev;

struct siommu_atsdev_cfg {
	struct siommu_mem *mem;		/* the memory the unit is on */
	uint16_t rid;
	unsigned int tlb_entries;	/* device TLB size, a power of two
					 * 1..4096 [64] */
	unsigned int max_faults;	/* page requests one DMA may send
					 * before it gives up [16] */
	unsigned int timeout_ms;	/* wait for a page response [10000] */
};

/* One DMA of the device (struct siommu_atsdev_dma()). */
struct siommu_atsdev_req {
	bool pasid_present;
	uint32_t pasid;
	bool priv;			/* supervisor request */
	uint64_t addr;
	bool write;
	bool no_page_request;		/* stop at a page that does not
					 * translate instead of asking for it
					 * (a device with block-on-fault off) */
};

/* How a DMA ended. */
struct siommu_atsdev_result {
	size_t done;			/* bytes transferred */
	uint64_t fault_addr;		/* where it stopped, if it did */
	uint8_t resp_code;		/* the page response that stopped it
					 * (1 invalid request, 0xf failure) */
};

struct siommu_atsdev_stats {
	uint64_t tlb_hits, tlb_misses;
	uint64_t ats_requests;
	uint64_t page_requests;
	uint64_t invalidations;		/* device-TLB invalidations received */
	uint64_t entries_dropped;	/* entries they removed */
};

/*
 * siommu_atsdev_create - a device at cfg->rid behind @vtd (whose context
 * entry must enable ATS and PRI for it: siommu_device_add() with
 * SIOMMU_DEV_ATS | SIOMMU_DEV_PRI, or the embedder's own tables).
 * siommu_atsdev_create_smmuv3 - the same behind @smmu at StreamID
 * cfg->rid (whose STE must allow ATS, EATS, for translations to be
 * answered: siommu_device_add() with SIOMMU_DEV_ATS | SIOMMU_DEV_PRI on a
 * unit with SIOMMU_SMMUV3_F_ATS and _F_PRI, or the embedder's own tables).
 * Return 0, -EINVAL (no unit; cfg: no mem, a bad size), -EEXIST
 * (callbacks registered at the RID already), -ENOMEM (nothing
 * registered). Their allocations are fallible steps of
 * siommu_mem_fail_nth(cfg->mem). Thread-safe.
 */
int siommu_atsdev_create(struct siommu_vtd *vtd, const struct siommu_atsdev_cfg *cfg,
			 struct siommu_atsdev **out);
int siommu_atsdev_create_smmuv3(struct siommu_smmuv3 *smmu,
				const struct siommu_atsdev_cfg *cfg,
				struct siommu_atsdev **out);

/* siommu_atsdev_destroy - unregister and free; no DMA may be running. */
void siommu_atsdev_destroy(struct siommu_atsdev *d);

/*
 * siommu_atsdev_dma - transfer @len bytes between @buf and req->addr
 * (req->write: from @buf to the device's address space), page by page.
 * Returns 0 (all done); -EFAULT (a page response other than "success",
 * or a configuration fault of the unit's, recorded as it records them:
 * res tells where); -ENOENT (with no_page_request: a page did not
 * translate, res tells where); -EAGAIN (cfg.max_faults page requests were
 * answered "success" and the page still did not translate); -ETIMEDOUT
 * (no response within timeout_ms); -ENOTSUP (a unit without ATS or PRI);
 * -EINVAL (a NULL @d or @req, a NULL @buf with @len, or [addr, addr +
 * len) wrapping past 2^64: it may end at 2^64). @len 0 transfers
 * nothing and returns 0. @res may be NULL.
 */
int siommu_atsdev_dma(struct siommu_atsdev *d, const struct siommu_atsdev_req *req,
		      void *buf, size_t len, struct siommu_atsdev_result *res);

void siommu_atsdev_get_stats(struct siommu_atsdev *d, struct siommu_atsdev_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_ATSDEV_H */
