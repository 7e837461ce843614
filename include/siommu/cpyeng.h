/* SPDX-License-Identifier: MIT */
/*
 * siommu/cpyeng.h - a shared-work-queue copy engine model (after Intel
 * DSA), for SVA: processes submit copies of their own memory by virtual
 * address, tagged with their PASID.
 *
 * Concepts
 * --------
 * The engine is a PCIe device with ATS and PRI (built on the device kit,
 * siommu/atsdev.h), behind a VT-d or an SMMUv3 unit, with two work
 * queues:
 *   - a dedicated queue (DWQ) whose PASID the driver sets
 *     (siommu_cpyeng_dwq_set_pasid()); its single user submits with
 *     siommu_cpyeng_movdir64b() and keeps count of what it has in flight
 *     (a submission to a full DWQ is refused with -EBUSY here, where a real
 *     device would drop it);
 *   - a shared queue (SWQ) any number of threads submit to with
 *     siommu_cpyeng_enqcmd() (ENQCMD semantics): the PASID travels in the
 *     descriptor from the submitting thread's PASID register (struct
 *     siommu_cpu, the IA32_PASID MSR the OS loads for a thread of a bound
 *     process), never from the descriptor's own fields; a submission past
 *     the queue's depth is refused with a retry status (-EAGAIN), as
 *     ENQCMD sets ZF.
 * Each descriptor copies len bytes from src to dst in its process's
 * address space and then writes a completion record (struct
 * siommu_cpyeng_comp) at its completion address there. With
 * block-on-fault set, a page that does not translate is faulted in
 * through a page request and the copy goes on; with it clear, the copy
 * ends at the first such page with a partial completion (status
 * SIOMMU_CPYENG_PAGE_FAULT, the bytes done, the faulting address), which
 * software resolves by touching the page and resubmitting the rest. An
 * address the process does not map ends the copy the same way (with
 * block-on-fault set the page request is refused).
 *
 * Descriptors run when siommu_cpyeng_process() is called (from a thread
 * of the embedder's: the engine has none), in submission order per queue,
 * the two queues taken in turn.
 *
 * Concurrency: submissions from any threads, concurrently with each other
 * and with processing; processing from one thread at a time. Not from a
 * thread that answers page requests (poll mode's poller).
 */
#ifndef SIOMMU_CPYENG_H
#define SIOMMU_CPYENG_H

#include <stdbool.h>
#include <stdint.h>

#include <siommu/atsdev.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_cpyeng;

/* A CPU thread's PASID register (IA32_PASID): valid once the OS set it. */
struct siommu_cpu {
	bool pasid_valid;
	uint32_t pasid;
};

#define SIOMMU_CPYENG_FLAG_BOF	(1u << 0)	/* block on fault */

/* A descriptor as software writes it (the PASID is not its to set). */
struct siommu_cpyeng_desc {
	unsigned int flags;		/* SIOMMU_CPYENG_FLAG_* */
	uint64_t src, dst, len;
	uint64_t completion;		/* completion record address, 32-byte
					 * aligned */
};

/* Completion record status (the first byte, 0 until written). */
enum siommu_cpyeng_status {
	SIOMMU_CPYENG_SUCCESS = 1,
	SIOMMU_CPYENG_PAGE_FAULT = 3,	/* partial: bytes_done, fault_addr */
	SIOMMU_CPYENG_INVALID = 0x10,	/* refused: len 0, too long, or
					 * src or dst + len past 2^64 */
};

/* The completion record, as written in the process's memory. */
struct siommu_cpyeng_comp {
	uint8_t status;
	uint8_t fault_write;		/* the fault was on dst */
	uint8_t rsvd[6];
	uint64_t bytes_done;
	uint64_t fault_addr;
	uint64_t rsvd2;
};

struct siommu_cpyeng_cfg {
	struct siommu_mem *mem;		/* the memory the unit is on */
	uint16_t rid;
	unsigned int dwq_depth, swq_depth;	/* 1..256 [16] */
	uint64_t max_len;		/* largest copy [1 MiB] */
};

struct siommu_cpyeng_stats {
	uint64_t submitted, retries;	/* retries: ENQCMD refusals */
	uint64_t completed, partial;
	struct siommu_atsdev_stats ats;
};

/*
 * siommu_cpyeng_create - the engine at cfg->rid behind @vtd (its context
 * entry enabling ATS and PRI).
 * siommu_cpyeng_create_smmuv3 - the same behind @smmu at StreamID
 * cfg->rid (its STE allowing ATS; the unit with PRI): descriptors' PASIDs
 * travel as SubstreamIDs.
 * Return 0, -EINVAL, -EEXIST (callbacks at the RID already), -ENOMEM
 * (nothing registered; allocations are fallible steps of
 * siommu_mem_fail_nth(cfg->mem)). Thread-safe.
 * siommu_cpyeng_destroy - free it; nothing may be running on it. Queued
 * descriptors are dropped.
 */
int siommu_cpyeng_create(struct siommu_vtd *vtd, const struct siommu_cpyeng_cfg *cfg,
			 struct siommu_cpyeng **out);
int siommu_cpyeng_create_smmuv3(struct siommu_smmuv3 *smmu,
				const struct siommu_cpyeng_cfg *cfg,
				struct siommu_cpyeng **out);
void siommu_cpyeng_destroy(struct siommu_cpyeng *e);

/* Set the dedicated queue's PASID (0: none; its descriptors then fail as
 * untranslatable). Thread-safe. */
void siommu_cpyeng_dwq_set_pasid(struct siommu_cpyeng *e, uint32_t pasid);

/*
 * siommu_cpyeng_movdir64b - post @d to the dedicated queue. 0, -EBUSY
 * (full), -EINVAL (a NULL argument, or a completion address not 32-byte
 * aligned: no record could be written for it).
 * siommu_cpyeng_enqcmd - submit @d to the shared queue with @cpu's PASID.
 * 0 (accepted), -EAGAIN (queue full: retry), -EINVAL (the thread has no
 * valid PASID, as ENQCMD faults then; a NULL argument; a completion
 * address not 32-byte aligned). A refused submission queues nothing.
 * Whatever else is wrong with an accepted descriptor is reported in its
 * completion record.
 */
int siommu_cpyeng_movdir64b(struct siommu_cpyeng *e, const struct siommu_cpyeng_desc *d);
int siommu_cpyeng_enqcmd(struct siommu_cpyeng *e, const struct siommu_cpu *cpu,
			 const struct siommu_cpyeng_desc *d);

/*
 * siommu_cpyeng_process - run up to @max queued descriptors (0: all
 * queued now); returns how many ran. Each waits for its page requests'
 * responses when block-on-fault is set.
 */
unsigned int siommu_cpyeng_process(struct siommu_cpyeng *e, unsigned int max);

void siommu_cpyeng_get_stats(struct siommu_cpyeng *e, struct siommu_cpyeng_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_CPYENG_H */
