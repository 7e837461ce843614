/* SPDX-License-Identifier: MIT */
/*
 * siommu/ppasid.h - private PASIDs: an I/O address space of a driver's own
 * (its own page table, mapped by the driver), on one device or a set of
 * devices, named by a PASID.
 *
 * Concepts
 * --------
 * Not every per-process address space is a CPU process's: a GPU driver
 * gives each client a private address space and switches between them per
 * job. A private PASID is a PASID of the context's space (siommu/pasid.h)
 * with a paging domain of its own, in the format the devices' unit walks
 * (VT-d: first stage, x86-64; SMMUv2: Arm stage 1), attached to each
 * device at that PASID:
 *   - on a unit with PASIDs (VT-d) it is a PASID entry pointing at the
 *     table: the device tags its DMA with the PASID;
 *   - on a unit without (SMMUv2) the device must have registered PASID
 *     hooks (siommu_device_set_pasid_hooks(), siommu/core.h): its
 *     install_pasid hook receives the table (TTBR0 value, ASID, context
 *     bank) and the device switches to it itself; remove_pasid when it goes.
 * Mapping is strict, as for domains: siommu_ppasid_unmap() invalidates
 * every device's caches of the range (on SMMUv2, by the table's ASID in
 * every bank it is installed in, live or not) and waits.
 *
 * Errors: 0 or a negative errno; nothing changes on failure. Free never
 * fails.
 *
 * Concurrency: alloc and free serialise on the context like attach; map
 * and unmap of one private PASID may run concurrently on disjoint ranges,
 * with each other and with DMA, as siommu_domain_map()/unmap().
 */
#ifndef SIOMMU_PPASID_H
#define SIOMMU_PPASID_H

#include <stdint.h>

#include <siommu/core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_ppasid;

/*
 * siommu_ppasid_alloc - a private PASID on the @n devices @devs (all of
 * one context and one unit), owned by @owner in the context's PASID space
 * (its quota applies), with an empty page table of the unit's default
 * paging format and width. The PASID is the lowest free one every device
 * can use.
 * Returns 0 with *out set; -EINVAL (no device, devices of several units,
 * a NULL argument); -EOPNOTSUPP (a device without PASIDs: no PASID support,
 * or on a unit without PASIDs no PASID hooks); -ENOSPC / -EDQUOT (no PASID
 * free / the owner's quota); -ENOSPC (out of domain IDs); -EBUSY (a caller
 * attached the new PASID on one of @devs first, a PASID it was not given);
 * -ENOMEM. Nothing changes on failure.
 * The PASID's attachments are the private PASID's: siommu_device_attach_pasid()
 * and siommu_device_detach_pasid() refuse them with -EBUSY (siommu/core.h),
 * so only siommu_ppasid_free() takes them down.
 */
int siommu_ppasid_alloc(struct siommu_device *const *devs, unsigned int n, uint64_t owner,
			struct siommu_ppasid **out);

/* The PASID, and its domain (for siommu_domain_pt() and the like; the
 * core's attach calls refuse it, -EINVAL: it is attached by the private
 * PASID alone). */
uint32_t siommu_ppasid_pasid(const struct siommu_ppasid *pp);
struct siommu_domain *siommu_ppasid_domain(const struct siommu_ppasid *pp);

/*
 * siommu_ppasid_map / siommu_ppasid_unmap - as siommu_domain_map() and
 * siommu_domain_unmap() on the private table (the same errors): strict,
 * the devices' caches are invalidated before unmap returns.
 */
int siommu_ppasid_map(struct siommu_ppasid *pp, uint64_t iova, uint64_t pa,
		      uint64_t length, unsigned int prot);
int siommu_ppasid_unmap(struct siommu_ppasid *pp, uint64_t iova, uint64_t length,
			uint64_t *unmapped);

/*
 * siommu_ppasid_free - detach the PASID from every device (on SMMUv2 the
 * remove_pasid hooks run), free the table and the PASID. Never fails; NULL
 * is ignored. Must not run concurrently with map/unmap of @pp, nor after
 * one of its devices was removed (remove the private PASID first).
 */
void siommu_ppasid_free(struct siommu_ppasid *pp);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_PPASID_H */
