/* SPDX-License-Identifier: MIT */
/*
 * siommu/gpu.h - a GPU-like device model with per-client address spaces,
 * and the part of its driver that gives each client one.
 *
 * Concepts
 * --------
 * A struct siommu_gpu is a device behind an IOMMU unit of a context (a
 * struct siommu_device, siommu/core.h) with a command processor (CP) that
 * runs jobs for clients, one at a time. Each client has a private PASID
 * (siommu/ppasid.h): its own page table, which the GPU driver maps; or it
 * is a process bound to the GPU (siommu/sva.h, siommu_gpu_client_bind()):
 * its address space is the process's, its PASID the process's, and the
 * process maps its own memory. Either way the CP switches to the client's
 * table in the same way, through the same hooks on SMMUv2.
 *
 * How a client's job reaches the client's space depends on the unit:
 *   - VT-d and SMMUv3 (PASIDs in hardware): the job's DMA carries the
 *     client's PASID (on SMMUv3, as its SubstreamID).
 *   - SMMUv2 (no PASIDs): the GPU registers PASID hooks on its device
 *     (siommu_device_set_pasid_hooks()) and keeps, per PASID, the table
 *     the driver installs (TTBR0 value, ASID, context bank). Before a
 *     client's job the CP does what an Adreno-class CP_SMMU_TABLE_UPDATE
 *     does, through the unit's registers (siommu_smmuv2_mmio_write()):
 *     TTBR0 of the bank (the two 32-bit halves, the ASID in bits 63:48),
 *     CONTEXTIDR, then TLBIASID of the client's ASID and TLBSYNC; the job's
 *     DMA then runs by the GPU's stream in the client's table, which stays
 *     live after the job: the next job of the same client needs no switch
 *     (the IOMMU driver's unmaps invalidate the client's ASID in the bank,
 *     live or not). When the live table is removed or replaced, and on
 *     recovery, the CP puts back the TTBR0 it first found there (the GPU's
 *     own domain, attached to its RID), whose entries the IOMMU driver
 *     keeps coherent by their own ASID.
 * A job that faults stops at the fault; the GPU is then hung (further
 * submits fail with -EIO) until siommu_gpu_recover(), as a GPU driver
 * recovers a GPU after a page fault. The fault, as the IOMMU driver read it
 * from the unit (FAR, FSR and the stream on SMMUv2; the fault record on
 * VT-d, the event on SMMUv3), is handed back with the job's result.
 *
 * Errors: 0 or a negative errno; nothing changes on failure.
 *
 * Concurrency: submit, client add/remove, map and unmap may run from any
 * threads. Jobs run one at a time (the CP's lock, held for the job); a
 * client's removal waits for a job of it that is running. Map and unmap
 * of a client's space run concurrently with jobs (of that client too):
 * unmap is strict, so a job never reaches a page after its unmap returned.
 * The device's fault handler belongs to the GPU while it lives.
 */
#ifndef SIOMMU_GPU_H
#define SIOMMU_GPU_H

#include <stddef.h>
#include <stdint.h>

#include <siommu/core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_gpu;
struct siommu_gpu_client;
struct siommu_mm;

/* PASID width the GPU takes on a unit without PASIDs (its hooks'). */
#define SIOMMU_GPU_PASID_BITS 16

/*
 * siommu_gpu_create - a GPU on @dev, which must have PASIDs (VT-d, SMMUv3) or sit
 * behind a unit that hands PASID tables to devices (SMMUv2: its RID
 * attached to a stage-1 paging domain, the GPU's own, before clients
 * submit). Registers the device's fault handler (and PASID hooks).
 * Returns 0, -EINVAL (NULL argument), -EOPNOTSUPP (a device that can
 * have no PASIDs), -EBUSY (hooks registered already, or the device has a
 * fault handler: another GPU's, or its driver's, which the GPU would
 * take over), -ENOMEM. Nothing changes on failure.
 */
int siommu_gpu_create(struct siommu_device *dev, struct siommu_gpu **out);

/* siommu_gpu_destroy - clients must be gone. Never fails; NULL ignored. */
void siommu_gpu_destroy(struct siommu_gpu *gpu);

/*
 * siommu_gpu_client_add - a client with a private PASID (owner @owner in
 * the context's PASID space) and an empty address space. Errors as
 * siommu_ppasid_alloc().
 * siommu_gpu_client_remove - wait for its running job, free its PASID.
 * Never fails; NULL ignored.
 */
int siommu_gpu_client_add(struct siommu_gpu *gpu, uint64_t owner,
			  struct siommu_gpu_client **out);
void siommu_gpu_client_remove(struct siommu_gpu_client *c);
uint32_t siommu_gpu_client_pasid(const struct siommu_gpu_client *c);

/*
 * siommu_gpu_client_bind - a client that is process @mm: the GPU's device
 * bound to it (siommu_sva_bind()), jobs running at the process's
 * addresses with its PASID. On SMMUv2 with a device that has
 * SIOMMU_DEV_STALL, a job's fault in the process's table stalls its
 * transaction until the context's page-fault path has brought the page
 * in (the job goes on) or refused it (the job stops with the fault).
 * Otherwise the CP resolves no page faults: a job that reaches a page the
 * process has not populated (or maps without the access) stops with a
 * fault, as in a private PASID, and the GPU's user resolves it by
 * touching the page (siommu_mm_read()/write()), recovers the GPU and
 * submits again. When the process exits its table leaves the GPU (on
 * SMMUv2 the client's jobs then get -ENOENT); remove the client
 * afterwards all the same. siommu_gpu_client_remove() unbinds.
 * Returns 0 or the errors of siommu_sva_bind() (-EOPNOTSUPP: on VT-d and
 * SMMUv3 a GPU device without PRI or stalls), -ENOSPC (the GPU's clients
 * are all taken), -EINVAL.
 */
int siommu_gpu_client_bind(struct siommu_gpu *gpu, struct siommu_mm *mm,
			   struct siommu_gpu_client **out);

/* The driver maps the client's buffers: siommu_ppasid_map()/unmap(); a
 * bound process's client maps nothing this way (-EINVAL). */
int siommu_gpu_client_map(struct siommu_gpu_client *c, uint64_t iova, uint64_t pa,
			  uint64_t length, unsigned int prot);
int siommu_gpu_client_unmap(struct siommu_gpu_client *c, uint64_t iova, uint64_t length,
			    uint64_t *unmapped);

enum siommu_gpu_op {
	SIOMMU_GPU_WRITE,	/* @data -> [dst, dst + len) */
	SIOMMU_GPU_READ,	/* [src, src + len) -> @out */
	SIOMMU_GPU_COPY,	/* [src, src + len) -> [dst, dst + len) */
};

/* A job: addresses are the client's. len at most SIOMMU_GPU_JOB_MAX. */
#define SIOMMU_GPU_JOB_MAX (1u << 20)
struct siommu_gpu_job {
	enum siommu_gpu_op op;
	uint64_t src, dst;
	size_t len;
	const void *data;
	void *out;
};

/* A job's fault, as the IOMMU driver reported it for the GPU's device. */
struct siommu_gpu_fault {
	uint64_t addr;		/* the faulting page (FAR on SMMUv2) */
	uint32_t reason;	/* siommu_fault.reason: FSR bits on SMMUv2 */
	int cb;			/* SMMUv2: the context bank; -1 on others */
	uint64_t ttbr0;		/* SMMUv2: the client's table, live then */
	bool write;
	bool reported;		/* the driver's report reached the GPU */
};

/*
 * siommu_gpu_submit - run @job for @c on the CP and wait for it. Returns
 * 0; -EFAULT (the job faulted and stopped; *fault, if not NULL, says
 * where; the GPU is hung); -EIO (the GPU is hung: recover it first);
 * -EINVAL (bad job: NULL arguments, len 0 or above SIOMMU_GPU_JOB_MAX,
 * an unknown op, no @data or @out buffer for it, a src or dst range past
 * 2^64; the GPU is not hung by it); -ENOENT (on SMMUv2: the client's
 * table is not installed, e.g. while the GPU's RID has no stage-1
 * domain).
 */
int siommu_gpu_submit(struct siommu_gpu_client *c, const struct siommu_gpu_job *job,
		      struct siommu_gpu_fault *fault);

/* siommu_gpu_recover - reset the CP after a fault: back to the GPU's own
 * table, jobs accepted again. Never fails. */
void siommu_gpu_recover(struct siommu_gpu *gpu);

struct siommu_gpu_stats {
	uint64_t jobs;
	uint64_t switches;	/* SMMUv2: TTBR0/ASID switches with TLBIASID+TLBSYNC
				 * (a job of the client whose table is live
				 * needs none) */
	uint64_t faults;	/* jobs that faulted */
	uint64_t recoveries;
};
void siommu_gpu_get_stats(struct siommu_gpu *gpu, struct siommu_gpu_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_GPU_H */
