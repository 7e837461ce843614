/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv2 driver, behind struct iommu_ops (smmuv2_iommu_ops). It
 * programs the unit through its registers alone (siommu_smmuv2_mmio_*()),
 * in the layout of the Arm SMMU architecture version 2 (IHI 0062): stream
 * matching (SMR/S2CR), context banks (CBAR, CBA2R, SCTLR, TCR, TCR2,
 * TTBR0, MAIR), register TLB maintenance ending in TLBSYNC, and context
 * and global faults read from FSR/FAR/FSYNR0 and sGFSR/sGFAR/sGFSYNR,
 * stalls resumed through RESUME.
 *
 * Model of use:
 *   - a device (StreamID = its RID) owns one exact-match SMR and its S2CR
 *     from probe to release; an alias RID shares one SMR between the
 *     devices that may carry it (they are one group, so one domain);
 *   - a domain attached through the unit gets a context bank there,
 *     programmed for its table (stage 1: TTBR0 and an ASID, TTBR1 off;
 *     stage 2: VTCR and the VMID) while no stream uses it; the bank's VMID
 *     is its index + 1, so banks never share TLB entries;
 *   - attach is one write of each of the device's S2CRs: translate through
 *     the new bank, bypass (identity), or fault (blocked). A stream's
 *     transactions see either the old or the new S2CR, never none: replace
 *     has no blocked window. A bank left without attachments is disabled
 *     and its VMID's entries invalidated (TLBIALL, TLBSYNC) before it can be
 *     handed out again;
 *   - there are no PASIDs (pasid_bits 0). A device that registered PASID
 *     hooks (siommu_device_set_pasid_hooks()) switches address spaces
 *     itself in the bank its stream uses; a PASID attached to it is a
 *     stage-1 table with the domain's ASID, handed to the device through
 *     install_pasid with that bank (struct smmuv2_drv_att: the bank it was
 *     installed in, -1 while the RID has no stage-1 bank to install it in).
 *     The domain's flushes invalidate its ASID in each such bank; a PASID
 *     leaving a bank (removed, replaced, or moved with the RID's domain)
 *     has its ASID invalidated there once the device's hook returned;
 *   - an SVA bind on such a device is a PASID attachment of the process's
 *     SVA domain (its Arm64 table, an ASID of the unit's per process),
 *     handed over by the same hooks; when the process exits the
 *     attachment is quiesced (attach_quiesce): removed from the device
 *     and never installed again;
 *   - stalls (SCTLR.CFCFG, ended by a write of RESUME): a bank stalls on a
 *     context fault while a bound process's table of a device that can
 *     wait (SIOMMU_DEV_STALL, a stall_end hook) is installed in it and
 *     every device whose stream uses the bank can wait (none is mute,
 *     struct smmuv2_drv_dev); banks run with HUPCF, so a fault stalls by
 *     CFCFG alone, never because another transaction is held. A stall
 *     whose bank's live ASID (TTBR0) is such a table's, from that
 *     device's stream (CBFRSYNRA), goes to the core's page-fault path as
 *     a one-request group tagged with the bank and a generation; its
 *     answer writes RESUME (retry on success, else terminate), then
 *     clears the record, and the driver tells every device on the bank
 *     through its stall_end hook. Any other fault is reported to the
 *     device's handler and, if it stalled, terminated at once. FSR keeps
 *     the stall's record until after its RESUME, so faults meanwhile are
 *     held with it (MULTI) and end with the same RESUME, never recorded
 *     after their answer. The context interrupt
 *     reads FSR again after each record it clears, as a level interrupt
 *     would fire again: a transaction that stalled with no record of its
 *     own (MULTI behind a fault that did not stall) is retried, never
 *     left held. Before a hook runs, which
 *     may wait for the device's job, its bank stops stalling and a stall
 *     held there is terminated (the pending answer then finds another
 *     generation and is dropped): the fault path needs ctx->lock, which
 *     the hook's caller holds.
 *
 * Locking. Banks, ASIDs, SMRs, the PASID hooks' calls and every
 * configuration write run under the core's ctx->lock. A domain's
 * smmuv2_drv_dom is created and freed, its bank and its PASID attachments
 * (and their banks) changed, under ctx->lock and dom->lock; flushes read
 * them under dom->lock. TLB maintenance
 * needs no lock of the driver: each TLBSYNC waits for every earlier
 * operation, whichever thread wrote it. fault_lock serialises reading and
 * clearing the fault registers and every RESUME write, and protects the
 * stall state (stall_atts, smmuv2_drv_att.stall_cb, stalls[], the devices'
 * banks and hooks as the fault path reads them); it is not
 * held while faults or page requests are reported, and is taken after
 * ctx->lock and dom->lock. A device's stall_end hook runs under it.
 * cb_stall[] (stalling attachments per bank) and cb_mute[] (devices on
 * the bank that cannot wait out a stall) change under ctx->lock; a bank
 * stalls while it has the first and not the second.
 * Counters are written with atomic adds and read with atomic loads.
 */
#ifndef SIOMMU_SMMUV2_DRV_H
#define SIOMMU_SMMUV2_DRV_H

#include <siommu/smmuv2.h>

#include "core/core_internal.h"

/* A range this many pages or fewer is invalidated page by page (an
 * address-based TLBI names one page, Arm SMMUv2 10.6); a larger one by
 * ASID (stage 1) or by the bank's VMID (stage 2). */
#define SMMUV2_DRV_TLBI_PAGES_MAX 64

/*
 * Test hook: an MMIO shim on the driver's register reads. @fn gets each
 * value the driver read at @off and returns the value the driver sees
 * (a unit that never clears TLBSTATUS.SACTIVE, say).
 */
typedef uint64_t smmuv2_drv_rd_hook_fn(void *arg, uint64_t off, uint64_t val);

/*
 * Test hook: called with each register write of the driver (@off, @val)
 * before the write reaches the unit, to play what the hardware does
 * between two of the driver's writes (a device faulting between the
 * clear of FSR and RESUME, say).
 */
typedef void smmuv2_drv_wr_hook_fn(void *arg, uint64_t off, uint64_t val);

/* A bank's stall reported to the core's page-fault path, under fault_lock. */
struct smmuv2_drv_stall {
	bool out;			/* reported, not yet answered */
	bool paused;			/* a hook runs: stalls are terminated */
	bool stalling;			/* SCTLR.CFCFG written set */
	uint16_t gen;			/* of the last report (9 bits used) */
};

/* A stall's page request tag: the bank in bits 6:0, the generation above. */
#define SMMUV2_DRV_STALL_TAG(cb, gen)	((uint16_t)((unsigned int)(gen) << 7 | (unsigned int)(cb)))
#define SMMUV2_DRV_STALL_CB(tag)	((unsigned int)(tag) & 0x7f)
#define SMMUV2_DRV_STALL_GEN(tag)	((uint16_t)((unsigned int)(tag) >> 7))

struct smmuv2_drv_smr {
	uint16_t sid;
	unsigned int users;		/* devices on it; 0: free */
};

struct smmuv2_drv_unit {
	struct siommu_unit *unit;
	struct siommu_smmuv2 *hw;
	struct siommu_mem *mem;
	unsigned int num_smrg, num_cb, sid_bits;
	unsigned int oas, oas_enc;	/* ID2.OAS in bits and encoded */
	bool s1, s2;
	struct smmuv2_drv_smr *smr;	/* num_smrg; under ctx->lock */
	uint64_t cb_map[2];		/* banks in use (at most 128) */
	uint64_t *asid_map;		/* 65536 bits; ASID 0 reserved */
	pthread_mutex_t fault_lock;
	struct cds_list_head stall_atts;	/* smmuv2_drv_att.stall_node */
	struct cds_list_head devs;		/* smmuv2_drv_dev.node */
	struct smmuv2_drv_stall *stalls;	/* num_cb */
	unsigned int *cb_stall;			/* num_cb */
	unsigned int *cb_mute;			/* num_cb, after cb_stall */
	unsigned int stall_reporting;	/* irqs reporting a stall (atomic) */
	/* inv_descriptors: TLB maintenance and sync writes; inv_waits: syncs
	 * that completed; inv_errors: syncs that did not. */
	uint64_t n_dom, n_tlbi, n_sync, n_sync_err, n_fault;
	/* Test hooks (smmuv2_drv_test_hook_set()), set while the unit is
	 * idle: the read shim, and how long a sync may stand still (ns). */
	smmuv2_drv_rd_hook_fn *rd_hook;
	void *rd_hook_arg;
	smmuv2_drv_wr_hook_fn *wr_hook;
	void *wr_hook_arg;
	uint64_t wait_ns;
};

/*
 * Per device: its own SMR and the one of its alias RID (-1: none), and
 * its PASID attachments (smmuv2_drv_att.dev_node), under ctx->lock. The
 * bank its streams use (-1: none, bypass or fault) and its PASID hooks
 * as registered (NULL: none), in the unit's list (node): changed under
 * ctx->lock and fault_lock, read under either. mute (ctx->lock): it
 * cannot wait out a stall (no SIOMMU_DEV_STALL, or no stall_end hook to
 * learn how one ends), so a bank it uses does not stall.
 */
struct smmuv2_drv_dev {
	int smr[2];
	struct cds_list_head patts;
	struct siommu_device *dev;
	int cb;
	bool mute;
	const struct siommu_pasid_hooks *hooks;
	void *hooks_arg;
	struct cds_list_head node;
};

/*
 * A domain on one unit. A stage-1 paging domain, and an SVA domain, has an
 * ASID from its first attachment on; a paging domain attached to a RID owns a context bank
 * (cb >= 0) while it is; identity and blocked domains own neither.
 */
struct smmuv2_drv_dom {
	int cb;
	uint16_t asid;
	bool s2;
	unsigned int users;		/* attachments through the unit */
	unsigned int rid_users;		/* ... of them RIDs, on the bank */
	struct cds_list_head patts;	/* smmuv2_drv_att.dom_node */
};

/* A PASID attachment (the core's per-attachment state; unused for RIDs). */
struct smmuv2_drv_att {
	struct cds_list_head dev_node, dom_node;
	struct siommu_device *dev;
	struct siommu_domain *dom;
	uint32_t pasid;
	int cb;				/* the bank it is installed in, or -1 */
	bool quiet;			/* quiesced (attach_quiesce): never
					 * installed again */
	/* A bound process's table of a device that waits out stalls: its
	 * bank stalls while it is installed (cb_stall[]), and the fault
	 * path finds it by bank and ASID (stall_node, stall_cb under
	 * fault_lock). */
	bool stall;
	uint16_t asid;
	int stall_cb;
	struct cds_list_head stall_node;
};

static inline struct smmuv2_drv_unit *smmuv2_drv_unit(struct siommu_unit *unit)
{
	return unit->drv;
}

static inline struct smmuv2_drv_dom *smmuv2_drv_dom(struct siommu_domain *dom,
						    struct siommu_unit *unit)
{
	return dom->drv[unit->index];
}

/* Registers. */
uint32_t smmuv2_drv_rd32(struct smmuv2_drv_unit *v, uint64_t off);
uint64_t smmuv2_drv_rd64(struct smmuv2_drv_unit *v, uint64_t off);
void smmuv2_drv_wr32(struct smmuv2_drv_unit *v, uint64_t off, uint32_t val);
void smmuv2_drv_wr64(struct smmuv2_drv_unit *v, uint64_t off, uint64_t val);

/*
 * ASIDs of the unit: 1..65535 (TCR2.AS: 16 bits), under ctx->lock.
 * smmuv2_drv_asid_alloc: 0 or -ENOSPC. smmuv2_drv_asid_free: give one back,
 * after every TLB entry tagged with it was invalidated.
 */
int smmuv2_drv_asid_alloc(struct smmuv2_drv_unit *v, uint16_t *asid);
void smmuv2_drv_asid_free(struct smmuv2_drv_unit *v, uint16_t asid);

/*
 * Invalidate [start, last] of the stage-1 ASID @asid in bank @cb (by page,
 * or the whole ASID for a large range), then TLBSYNC and wait. No lock
 * needed; never fails (a sync that does not complete is counted).
 */
void smmuv2_drv_tlbi_asid_range(struct smmuv2_drv_unit *v, int cb, uint16_t asid,
				uint64_t start, uint64_t last, bool leaf_only);
/*
 * TLBSYNC in bank @cb and wait for TLBSTATUS.SACTIVE to clear. A sync
 * that does not complete (SACTIVE still set after DRV_WAIT_STALL_NS,
 * core/drv_wait.h) counts in inv_errors and the call returns: the caller
 * has nothing to undo. No lock needed.
 */
void smmuv2_drv_tlb_sync(struct smmuv2_drv_unit *v, int cb);

/*
 * Test hook: register reads of @unit's driver go through @fn (NULL: none)
 * and a sync gives up after @wait_ns (0: DRV_WAIT_STALL_NS). May be set
 * or cleared while the driver runs (an answer still being written by the
 * fault path's worker): a read sees the old hook or the new one; @arg
 * must stay valid while @fn may still run.
 */
void smmuv2_drv_test_hook_set(struct siommu_unit *unit, smmuv2_drv_rd_hook_fn *fn,
			      void *arg, uint64_t wait_ns);
/* Test hook: register writes of @unit's driver go through @fn first
 * (NULL: none). May be set or cleared while the driver runs (an answer
 * still being written by the fault path's worker): a write sees the old
 * hook or the new one; @arg must stay valid while @fn may still run. */
void smmuv2_drv_test_wr_hook_set(struct siommu_unit *unit, smmuv2_drv_wr_hook_fn *fn,
				 void *arg);

#endif
