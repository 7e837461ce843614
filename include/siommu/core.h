/* SPDX-License-Identifier: MIT */
/*
 * siommu/core.h - the OS half: contexts, IOMMU units, devices, groups,
 * domains, and attaching a domain to a device or a device+PASID.
 *
 * Concepts
 * --------
 * A struct siommu_ctx owns everything: a physical memory (siommu/mem.h), the
 * PASID space (siommu/pasid.h), the IOMMU units, the devices behind them and
 * the domains. Contexts share nothing; several can live in one process.
 *
 * A unit is one IOMMU: a hardware model instance plus the driver that
 * programs it the way a kernel driver programs real hardware, through its
 * registers and through tables in memory. The core drives every unit
 * through its type's ops table (src/core/iommu_ops.h), and knows no IOMMU
 * type: domain IDs, table pages and replace bookkeeping are the driver's,
 * as are a device's reserved regions (VT-d's interrupt window). Drivers
 * live in src/core/drivers/<type>/. Units are Intel VT-d in scalable mode
 * (siommu_unit_add_vtd()), Arm SMMUv3 (siommu_unit_add_smmuv3()), where a
 * device's RID is its StreamID and a PASID its SubstreamID, and Arm
 * SMMUv2-style units, which have no PASIDs (siommu_unit_add_smmuv2()).
 * A mock unit (siommu/mock.h: siommu_unit_add_mock()), with no model
 * behind it, is the IOMMU of iommufd's test interface.
 *
 * A device sits behind a unit at a requester ID (RID = bus << 8 | devfn) and
 * declares what it can do: a PASID width (0 = no PASID), PASID-only (it can
 * only issue PASID-tagged DMA), ATS, PRI.
 *
 * Groups: devices that cannot be isolated from each other form one group,
 * and the RID traffic of a group goes to one domain. Two devices share a
 * group when they declare the same non-zero isolation key (e.g. they sit
 * below one bridge without ACS), or when their requests may carry the same
 * alias RID (alias_rid: devices behind one PCIe-to-PCI bridge, whose RID
 * the bridge may put on their DMA). An alias RID is shared that way, never
 * another device's own RID. A device that supports PASIDs may share a
 * group with one that does not.
 *
 * Domains are what DMA is translated by: BLOCKED (every access faults),
 * IDENTITY (pass-through: IOVA = PA), PAGING (an I/O page table, siommu/pt.h,
 * in the format the driver picks: VT-d first stage or SMMUv3 stage 1 where
 * the unit has it, else second stage / stage 2). A domain is attached to
 *   - a device's RID: siommu_device_attach() switches the whole group;
 *   - a device+PASID: siommu_device_attach_pasid(); the PASID comes from the
 *     context's PASID space and the attachment holds a reference to it, so a
 *     freed PASID is not reused while any attachment remains (and takes no
 *     new attachment meanwhile).
 * A PASID attachment belongs to the layer that made it: the caller of
 * siommu_device_attach_pasid(), or a layer that attaches a PASID for an
 * object of its own: an SVA bind (siommu/sva.h), a private PASID
 * (siommu/ppasid.h), the DMA API's PASID of a device (siommu/dma.h), an
 * iommufd attachment (siommu/iommufd.h). siommu_device_attach_pasid() and
 * siommu_device_detach_pasid() refuse (-EBUSY) to replace or detach a
 * layer's attachment; only that layer's own calls (unbind, free, disable
 * the PASID, detach) take it down, so its object never points at a PASID
 * it no longer holds.
 * Attaching over an existing attachment replaces it atomically: DMA is
 * translated by the old domain until it is translated by the new one, never
 * blocked in between, and nothing of the old domain stays cached.
 * One domain may be attached to many devices and PASIDs, on several units
 * of its own context (never another context's, even on shared memory), each
 * of which must be able to walk its page table: stage, width and every page
 * size the domain may use, fixed when it is allocated.
 *
 * Unmapping is strict here: siommu_domain_unmap() invalidates the IOTLB (and
 * device TLBs) of every attachment and waits before it returns, and only
 * then frees emptied table levels. (The DMA API adds a lazy policy.)
 *
 * Owners: a layer that drives a device's DMA setup (the DMA API, later
 * iommufd) claims the device with a release callback
 * (siommu_device_claim()); one owner at a time. Removing the device or
 * destroying the context calls the callback first, with no lock held.
 * An SVA bind (siommu/sva.h) is not an owner: it is the act of the
 * device's driver, whoever owns the device, and holds only its process's
 * PASID on it; removing the device undoes its binds after the owner's
 * release.
 *
 * Faults the hardware records are read by the driver and passed to the
 * handler registered for the device (siommu_device_set_fault_handler()).
 * Invalidation-queue errors the hardware reports are recovered by the
 * driver with a stronger invalidation and counted (inv_errors), never
 * passed to the operation that needed the flush.
 *
 * Errors: 0 or a negative errno; nothing changes on failure. Teardown
 * (detach, free, remove, destroy) never fails, but for calls from a device
 * callback inside a queue submission ("Concurrency" below).
 *
 * Concurrency
 * -----------
 * Configuration calls (units, devices, domains, attach/detach) may run
 * concurrently from any threads; they serialise on the context. Map and
 * unmap of one domain may run concurrently on disjoint ranges and with
 * attach/detach. Device DMA (through the unit's model) runs concurrently
 * with all of it. Callbacks into user code run with no lock of the core
 * held: fault handlers run in the thread whose DMA faulted and may read
 * stats or issue DMA (which may fault and run the handler again, nested),
 * but must not wait for the unit (unmap, attach, detach: the faulting DMA
 * may sit in a walk such a wait waits for); siommu_device_for_each_attachment()
 * runs its function after dropping the lock.
 * Device callbacks run from a unit's invalidation queue (siommu/vtd.h: a
 * device-TLB invalidation, a page group response; siommu/smmuv3.h: an ATC
 * invalidation, a PRI response) run inside the driver's
 * queue submission, in the thread of the call that flushed (unmap, attach,
 * detach, a DMA API unmap or flush), which holds the unit's queue and may
 * hold the context or domain lock. From such a callback, and from any
 * fault handler it runs nested, the library refuses what would wait for a
 * queue or take those locks, with -EDEADLK and nothing changed: unit add,
 * map, unmap, attach, attach_pasid, detach_pasid, domain alloc and free,
 * device add, claim, get_info, for_each_attachment, and the DMA API calls
 * that return an error (siommu/dma.h). siommu_device_detach() cannot
 * fail: from there it is deferred, and done by the same thread once the
 * call that ran the callback has dropped its locks, before that call
 * returns. siommu_device_remove(), siommu_device_unclaim(),
 * siommu_device_domain(), siommu_ctx_destroy() and siommu_dma_teardown()
 * can neither fail nor wait, and must not be called from there (debug
 * builds assert). Page responses from there are queued and answered
 * before the submission ends. Reading stats, setting a fault handler, DMA
 * and page requests work as anywhere.
 * Lock order: context lock, then domain lock, then unit queue lock.
 */
#ifndef SIOMMU_CORE_H
#define SIOMMU_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <siommu/mem.h>
#include <siommu/pasid.h>
#include <siommu/pt.h>
#include <siommu/smmuv3.h>
#include <siommu/smmuv2.h>
#include <siommu/vtd.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_ctx;
struct siommu_unit;
struct siommu_device;
struct siommu_group;
struct siommu_domain;

struct siommu_ctx_cfg {
	struct siommu_mem *mem;	/* NULL: the context creates and owns one */
	const struct siommu_mem_cfg *mem_cfg;	/* for that one; NULL: defaults */
};

/*
 * siommu_ctx_create - a context with no units (cfg NULL: defaults).
 * A caller-provided mem must outlive the context. A memory of the
 * context's own is created first, so its mem_cfg->fail_nth (siommu/mem.h)
 * also counts the context's steps.
 * Returns 0, -ENOMEM, -EINVAL; on failure nothing is left allocated.
 */
int siommu_ctx_create(const struct siommu_ctx_cfg *cfg, struct siommu_ctx **out);

/*
 * siommu_ctx_destroy - tear everything down, leaves first: PASID and RID
 * attachments, devices, domains, units. Never fails. Nothing else may be
 * running on the context.
 */
void siommu_ctx_destroy(struct siommu_ctx *ctx);

struct siommu_mem *siommu_ctx_mem(struct siommu_ctx *ctx);
struct siommu_pasid_space *siommu_ctx_pasids(struct siommu_ctx *ctx);

/*
 * siommu_unit_add_vtd - create a VT-d model on the context's memory with
 * @cfg (NULL: defaults) and bring it up with its driver: root table,
 * queued invalidation, fault reporting, translation enabled.
 * Returns 0, -EINVAL (configuration), -ENOMEM, -EIO (the unit did not come
 * up as the driver programmed it), -EDEADLK (from a device callback inside
 * a queue submission, see "Concurrency").
 */
int siommu_unit_add_vtd(struct siommu_ctx *ctx, const struct siommu_vtd_cfg *cfg,
			struct siommu_unit **out);

/* The model behind a unit: where devices send their DMA. */
struct siommu_vtd *siommu_unit_vtd(struct siommu_unit *unit);

/*
 * siommu_unit_add_smmuv3 - create an SMMUv3 model on the context's memory
 * with @cfg (NULL: defaults) and bring it up with its driver, as Linux's
 * arm-smmu-v3 does: GBPA abort, stream table (2-level when the unit has
 * it and more than 256 StreamIDs, else linear), command, event and PRI
 * queues, interrupts as MSIs, SMMUEN. Devices' RIDs are StreamIDs: a RID
 * beyond the unit's StreamID width cannot be added (-EINVAL). Domains:
 * stage FIRST (and AUTO where the unit has stage 1) is stage 1 with a
 * 48-bit input; SECOND is stage 2 with an input as wide as the unit's
 * output (IDR5.OAS, at most 48); a narrower ias asks for less and gets
 * that width. A stage-2 domain at a device's RID and PASID attachments
 * exclude each other (-EINVAL), as do a PASID and an identity or stage-2
 * domain. Faults report the event number (enum siommu_smmuv3_event).
 * Returns 0, -EINVAL (configuration), -EOPNOTSUPP (no AArch64 tables or
 * 4K granule), -ENOMEM, -EIO (the unit did not acknowledge CR0, GBPA or
 * IRQ_CTRL).
 */
int siommu_unit_add_smmuv3(struct siommu_ctx *ctx, const struct siommu_smmuv3_cfg *cfg,
			   struct siommu_unit **out);

/* The SMMUv3 model behind a unit (NULL for a unit of another type). */
struct siommu_smmuv3 *siommu_unit_smmuv3(struct siommu_unit *unit);

/*
 * siommu_unit_add_smmuv2 - create an SMMUv2-style model on the context's
 * memory with @cfg (NULL: defaults) and bring it up with its driver: every
 * stream matching group reset to fault, banks off, the TLB invalidated,
 * then sCR0 with unmatched streams faulting and fault interrupts on.
 * A device's StreamID is its RID (below 2^sid_bits, else siommu_device_add()
 * fails with -EINVAL) and takes one stream match group (-ENOSPC when none
 * is left). A paging domain attached through the unit takes a context bank
 * there (-ENOSPC when none is free) with a 16-bit ASID (stage 1) or the
 * bank's VMID (stage 2). The unit has no PASIDs: PASID attach fails with
 * -EOPNOTSUPP. Stage FIRST is Arm stage 1 (ias 32..48), SECOND stage 2
 * (ias 32..OAS); AUTO picks stage 1 where the unit has it. Page sizes 4K,
 * 2M, 1G.
 * Returns 0, -EINVAL (configuration), -ENOMEM, -EOPNOTSUPP (a unit without
 * stream matching or a stage), -EIO (the unit did not leave bypass).
 */
int siommu_unit_add_smmuv2(struct siommu_ctx *ctx, const struct siommu_smmuv2_cfg *cfg,
			   struct siommu_unit **out);

/* The SMMUv2 model behind a unit (NULL for a unit of another type). */
struct siommu_smmuv2 *siommu_unit_smmuv2(struct siommu_unit *unit);

struct siommu_unit_stats {
	uint64_t inv_descriptors;	/* invalidation descriptors queued,
					 * waits included (SMMUv3: commands,
					 * CMD_SYNC included; SMMUv2: TLB
					 * maintenance and sync register
					 * writes) */
	uint64_t inv_waits;		/* wait descriptors completed
					 * (SMMUv3: CMD_SYNCs; SMMUv2:
					 * TLBSYNCs and sTLBGSYNCs) */
	uint64_t inv_errors;		/* invalidation queue errors the unit
					 * reported (IQE, ITE, ICE) or waits
					 * that timed out (after 30 s without
					 * progress): each recovered, with a
					 * stronger invalidation where a
					 * descriptor was refused */
	uint64_t faults;		/* fault records read */
	uint64_t faults_unhandled;	/* ... with no handler registered */
	uint64_t page_requests;		/* page requests read, each passed to
					 * the I/O page-fault path (a group
					 * whose PASID has no fault handler,
					 * an SVA bind, is answered "invalid
					 * request") */
	uint64_t iopf_overflows;	/* page requests the I/O page-fault
					 * path had no room for: dropped, the
					 * last of a group answered "success"
					 * so that the device retries */
	uint64_t domain_ids;		/* domain IDs in use: one per domain
					 * attached through the unit (VT-d
					 * DIDs; SMMUv3 ASIDs and VMIDs, of
					 * paging and SVA domains only) */
};
void siommu_unit_get_stats(struct siommu_unit *unit, struct siommu_unit_stats *st);

/* Device capabilities (struct siommu_device_cfg.flags). */
#define SIOMMU_DEV_PASID_ONLY	(1u << 0)	/* DMA only with a PASID */
#define SIOMMU_DEV_ATS		(1u << 1)	/* caches translations (device TLB) */
#define SIOMMU_DEV_PRI		(1u << 2)	/* issues page requests */
#define SIOMMU_DEV_STALL	(1u << 3)	/* a platform device whose faulting
						 * transactions may stall and wait
						 * to be resumed (SMMUv3 3.12.2;
						 * SMMUv2: its bank's stall, told
						 * by a PASID hook); not with PRI */

#define SIOMMU_NO_ALIAS (-1)

struct siommu_device_cfg {
	uint16_t rid;		/* bus << 8 | devfn */
	unsigned int pasid_bits;	/* 0: no PASID; at most 20 */
	unsigned int flags;	/* SIOMMU_DEV_* */
	uint32_t isolation_key;	/* same non-zero key: same group */
	int32_t alias_rid;	/* a second RID the device's DMA may carry,
				 * or SIOMMU_NO_ALIAS */
};

/*
 * siommu_device_add - put a device behind @unit. Its RID (and alias RID)
 * start attached to the BLOCKED domain, or to the domain its group's RID
 * is attached to.
 * A device with an alias RID has no usable PASIDs (PASID prefixes do not
 * cross a PCIe-to-PCI bridge): siommu_device_get_info() reports none.
 * Devices of a unit that share a non-zero isolation key or an alias RID
 * form one group.
 * Returns 0, -EINVAL (bad cfg, PASID-only without usable PASIDs, or a key
 * and an alias whose devices are in two groups: groups never merge),
 * -EEXIST (the RID is in use on the unit, or the alias is another device's
 * RID), -EOPNOTSUPP (ATS/PRI on a unit without them), -ENOMEM.
 */
int siommu_device_add(struct siommu_unit *unit, const struct siommu_device_cfg *cfg,
		      struct siommu_device **out);

/*
 * siommu_device_remove - release the device's owner (see below), detach
 * every PASID and remove the device. Never fails. Its group loses it (and
 * goes away with its last device). Must not run concurrently with other
 * calls on @dev.
 */
void siommu_device_remove(struct siommu_device *dev);

/*
 * Device owners. A layer that drives a device's DMA configuration (the DMA
 * API, an iommufd context) claims the device first; a device
 * has at most one owner at a time. The owner gives a cookie (its state for
 * the device) and a release callback: when the device is removed, or its
 * context destroyed, the core calls @release(@cookie, @dev) first, with no
 * lock of the library held, and the owner tears down what it set up on the
 * device (through the public calls) before it returns; it need not call
 * siommu_device_unclaim(), and no one can claim the device from then on.
 *
 * siommu_device_claim - make @cookie (non-NULL) with @release the owner of
 * @dev. 0, -EINVAL (NULL argument), -EBUSY (owned, or being removed).
 * siommu_device_unclaim - give @dev up if @cookie owns it; else nothing.
 * Never fails.
 * siommu_device_owner - the owner cookie of @dev if @release is its
 * owner's callback, else NULL.
 * Concurrency: claim and unclaim serialise on the context and may run
 * concurrently with anything but siommu_device_remove() of @dev;
 * siommu_device_owner() takes no lock.
 */
typedef void (*siommu_owner_release_fn)(void *cookie, struct siommu_device *dev);
int siommu_device_claim(struct siommu_device *dev, siommu_owner_release_fn release,
			void *cookie);
void siommu_device_unclaim(struct siommu_device *dev, void *cookie);
void *siommu_device_owner(struct siommu_device *dev, siommu_owner_release_fn release);

struct siommu_device_info {
	uint16_t rid;
	unsigned int pasid_bits;	/* usable: min(device, unit); 0 = none */
	uint32_t max_pasid;		/* largest PASID usable, 0 = none */
	uint64_t pgsize_bitmap;		/* page sizes of the unit's paging domains
					 * (siommu_domain_alloc(), stage AUTO) */
	unsigned int ias;		/* input address width of paging domains */
	bool multiple_spaces;		/* RID and PASIDs may use different domains */
	bool ats, pri, stall, pasid_only;
	unsigned int group_size;	/* devices in its group */
};
/*
 * siommu_device_get_info - what @dev can do, into *info. Returns 0,
 * -EINVAL (NULL argument), -EDEADLK (from a device callback inside a
 * queue submission, see "Concurrency").
 */
int siommu_device_get_info(struct siommu_device *dev, struct siommu_device_info *info);

struct siommu_group *siommu_device_group(struct siommu_device *dev);

/* A DMA fault, as the hardware recorded it. */
struct siommu_fault {
	uint16_t rid;
	bool pasid_present;
	uint32_t pasid;
	uint64_t addr;		/* faulting page address */
	uint32_t reason;	/* unit-specific code: VT-d, siommu/vtd.h
				 * SIOMMU_VTD_FR_*; SMMUv3, siommu/smmuv3.h
				 * enum siommu_smmuv3_event; SMMUv2, the
				 * bank's FSR fault bits (SIOMMU_SMMUV2_FSR_*),
				 * or SIOMMU_SMMUV2_FAULT_GLOBAL with the
				 * sGFSR bits for a global fault */
	bool write;
};
#define SIOMMU_SMMUV2_FAULT_GLOBAL (1u << 16)
typedef void (*siommu_fault_fn)(void *arg, struct siommu_device *dev,
				const struct siommu_fault *fault);
/* Register (fn NULL: remove) the fault handler of @dev. Never fails. */
void siommu_device_set_fault_handler(struct siommu_device *dev, siommu_fault_fn fn,
				     void *arg);

enum siommu_domain_type {
	SIOMMU_DOMAIN_BLOCKED,
	SIOMMU_DOMAIN_IDENTITY,
	SIOMMU_DOMAIN_PAGING,
	SIOMMU_DOMAIN_SVA,	/* a process's CPU page table, shared
				 * (siommu/sva.h); made by siommu_sva_bind()
				 * alone, never by siommu_domain_alloc() */
	SIOMMU_DOMAIN_NESTED,	/* siommu_domain_alloc_nested() only */
};

/* Page-table choice for a paging domain (struct siommu_domain_cfg.stage). */
enum siommu_domain_stage {
	SIOMMU_STAGE_AUTO,	/* the driver's choice (first stage) */
	SIOMMU_STAGE_FIRST,	/* VT-d first stage: x86-64 format;
				 * SMMUv2: Arm stage 1 */
	SIOMMU_STAGE_SECOND,	/* VT-d second stage; SMMUv2: Arm stage 2 */
};

/*
 * Domain flags (struct siommu_domain_cfg.flags).
 * SIOMMU_DOMAIN_DIRTY_TRACKING: a paging domain whose leaves start clean
 * and are marked dirty by the unit when a device writes through them (VT-d:
 * first stage only, whose D bit the unit sets, VT-d 3.6.2; SMMUv3 and
 * SMMUv2 have no hardware dirty state: -EOPNOTSUPP). Read and clear
 * them with siommu_pt_read_and_clear_dirty() on siommu_domain_pt(), then
 * have the IOTLBs flushed (a domain's cached translation remembers it
 * dirtied its page) before relying on new marks.
 */
#define SIOMMU_DOMAIN_DIRTY_TRACKING	(1u << 0)

struct siommu_domain_cfg {
	enum siommu_domain_type type;
	enum siommu_domain_stage stage;
	unsigned int ias;	/* 0: the unit's width; else at most
				 * what the unit walks for the stage
				 * (-EINVAL beyond): VT-d's first stage
				 * rounds it up to 48 or 57 (4- or
				 * 5-level paging), its second stage
				 * takes SAGAW's 39, 48 or 57 only */
	uint64_t pgsize_bitmap;	/* leaf sizes (SIOMMU_PGSIZE_*) the domain may
				 * use, 4K included; 0: all the unit walks */
	unsigned int flags;	/* SIOMMU_DOMAIN_* */
	/* The device the domain is made for (optional, behind @unit): a
	 * unit may fit the domain to it, as the mock unit fits its page
	 * sizes to its device's (siommu/mock.h). NULL: the unit's own. */
	struct siommu_device *dev;
};

/*
 * siommu_domain_alloc - a domain of @unit's context, for devices behind
 * @unit and behind the context's other units that can walk its table.
 * A paging domain's page sizes are decided here, once: the leaf sizes @unit
 * walks for the domain's stage (first stage: 4K, 2M, and 1G with FS1GP;
 * second stage: 4K, and 2M/1G as SSLPS says), narrowed to
 * cfg->pgsize_bitmap if given. Its maps never use another size, and it
 * can be attached only through units that walk every one of them: to share
 * a domain with a unit that walks fewer sizes, ask for those.
 * Returns 0, -EINVAL (bad cfg; a pgsize_bitmap without 4K or with a size
 * the unit does not walk; a width the unit lacks; unknown flags, or flags
 * on a domain that is not paging; a cfg->dev not behind @unit), -EOPNOTSUPP (type, stage or dirty
 * tracking the unit lacks), -ENOMEM.
 */
int siommu_domain_alloc(struct siommu_unit *unit, const struct siommu_domain_cfg *cfg,
			struct siommu_domain **out);

/*
 * siommu_domain_free - -EBUSY while attached anywhere, -EDEADLK from a
 * device callback run inside a queue submission (see "Concurrency");
 * else 0.
 */
int siommu_domain_free(struct siommu_domain *dom);

enum siommu_domain_type siommu_domain_type(const struct siommu_domain *dom);
/* The page table of a paging domain (NULL otherwise). */
struct siommu_pt *siommu_domain_pt(struct siommu_domain *dom);

/*
 * siommu_domain_map / siommu_domain_unmap - change a paging domain's
 * mappings (errors as siommu_pt_map / siommu_pt_unmap; -EINVAL on a domain
 * that is not paging). Unmap invalidates every attachment's caches and
 * waits before returning; *unmapped (optional) gets the bytes unmapped.
 * A map that fails part-way (-EEXIST, -ENOMEM) removes the leaves it wrote
 * and invalidates the range on every unit the domain is attached through
 * before returning, so nothing of it stays cached when the range is mapped
 * again. A VT-d unit without caching mode (CM=0) does not cache
 * not-present entries, so a successful map needs no invalidation there
 * (and takes no lock); on a unit with caching mode it invalidates the range.
 * Both return -EDEADLK from a device callback run inside a queue
 * submission (see "Concurrency"), as do attach and attach_pasid.
 */
int siommu_domain_map(struct siommu_domain *dom, uint64_t iova, uint64_t pa,
		      uint64_t length, unsigned int prot);
int siommu_domain_unmap(struct siommu_domain *dom, uint64_t iova, uint64_t length,
			uint64_t *unmapped);

/* ---- Nested domains ----
 *
 * A nested domain translates in two stages: a stage-1 table that belongs
 * to the user (a guest: its page-table pointer is a guest-physical
 * address) and the second stage of a paging domain, its parent, which
 * maps guest-physical to physical addresses. The user describes its
 * stage 1 with a driver-specific structure (Linux's iommu_hwpt_* data);
 * the core passes it to the unit's driver untouched. A nested domain has
 * no mappings of its own (map and unmap are -EINVAL); its parent's unmaps
 * also invalidate what the nested domain's attachments cached, and the
 * user's own stage-1 changes are made visible with
 * siommu_domain_cache_invalidate().
 */

/* Driver data types (Linux: enum iommu_hwpt_data_type). */
#define SIOMMU_HWPT_DATA_NONE		0
#define SIOMMU_HWPT_DATA_VTD_S1		1
#define SIOMMU_HWPT_DATA_ARM_SMMUV3	2

/* VT-d stage 1 (Linux: struct iommu_hwpt_vtd_s1): the PASID entry's
 * first-stage fields (VT-d 9.6). */
#define SIOMMU_VTD_S1_SRE	(1ull << 0)	/* supervisor requests */
#define SIOMMU_VTD_S1_EAFE	(1ull << 1)	/* extended access flag */
#define SIOMMU_VTD_S1_WPE	(1ull << 2)	/* write protect */
struct siommu_hwpt_vtd_s1 {
	uint64_t flags;		/* SIOMMU_VTD_S1_* */
	uint64_t pgtbl_addr;	/* first-stage root, a guest-physical address */
	uint32_t addr_width;	/* 48 (4-level) or 57 (5-level) */
	uint32_t __reserved;	/* 0 */
};

/* SMMUv3 (Linux: struct iommu_hwpt_arm_smmuv3): the guest's STE, its
 * first two little-endian words (SMMUv3 5.2), for a nested domain made
 * from a vIOMMU. The guest may set V, Config (abort, bypass, stage 1),
 * S1Fmt, S1ContextPtr (a guest-physical address), S1CDMax, S1DSS, the CD
 * fetch attributes S1CIR/S1COR/S1CSH, S1STALLD and EATS (0 or 1: ATS
 * for a stage-1 Config); V clear stands for an abort STE. */
struct siommu_hwpt_arm_smmuv3 {
	uint64_t ste[2];
};

/* vIOMMU types (Linux: enum iommu_viommu_type), for iommufd's vIOMMU
 * objects (siommu/iommufd.h). */
#define SIOMMU_VIOMMU_TYPE_DEFAULT	0
#define SIOMMU_VIOMMU_TYPE_ARM_SMMUV3	1

/* vEVENTQ types (Linux: enum iommu_veventq_type) and the SMMUv3 event
 * (Linux: struct iommu_vevent_arm_smmuv3): the four little-endian words
 * of an event record (SMMUv3 7.3), its StreamID the virtual one. */
#define SIOMMU_VEVENTQ_TYPE_DEFAULT	0
#define SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3	1
struct siommu_vevent_arm_smmuv3 {
	uint64_t evt[4];
};

/* One SMMUv3 command a guest issues through its vIOMMU (Linux: struct
 * iommu_viommu_arm_smmuv3_invalidate): the two little-endian words of a
 * command queue entry (SMMUv3 4). Accepted: CMD_TLBI_NH_ALL, _ASID, _VA,
 * _VAA (run under the vIOMMU's VMID), CMD_TLBI_NSNH_ALL (the guest's
 * "everything": CMD_TLBI_NH_ALL under that VMID), CMD_CFGI_CD, _CD_ALL
 * and CMD_ATC_INV (their StreamID is a virtual one). Not CMD_CFGI_STE:
 * the guest's STE is the nested domain's data, changed by replacing the
 * domain, which invalidates the physical STE itself. */
struct siommu_viommu_arm_smmuv3_invalidate {
	uint64_t cmd[2];
};

/* Invalidation types (Linux: enum iommu_hwpt_invalidate_data_type). */
#define SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1		0
#define SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3	1

/* One VT-d stage-1 invalidation (Linux: struct
 * iommu_hwpt_vtd_s1_invalidate): @npages 4K pages from @addr (addr 0
 * with npages UINT64_MAX: everything). */
#define SIOMMU_VTD_INV_FLAGS_LEAF	(1u << 0)	/* only leaves changed */
struct siommu_hwpt_vtd_s1_invalidate {
	uint64_t addr;
	uint64_t npages;
	uint32_t flags;		/* SIOMMU_VTD_INV_FLAGS_* */
	uint32_t __reserved;	/* 0 */
};

/*
 * siommu_domain_alloc_nested - a nested domain for devices behind @unit,
 * over @parent, a paging domain with a second-stage table of the same
 * unit type (SIOMMU_STAGE_SECOND on VT-d), described by @len bytes of
 * driver data of @data_type at @data, exactly the type's structure (an
 * older, shorter version of it zero-extended).
 * Returns 0 with *out, or, changing nothing:
 *   -EOPNOTSUPP  the unit cannot nest (SMMUv3 nests only under a vIOMMU,
 *                siommu/iommufd.h, as Linux); @data_type is not its
 *                type; unknown flags or non-zero reserved fields in the
 *                data
 *   -EINVAL      @parent is not a second-stage paging domain of @unit's
 *                type and context; @data_type NONE; data shorter or
 *                longer than the type's structure, as Linux's driver
 *                data; a field the unit cannot walk (VT-d:
 *                addr_width not 48 or 57, or 57 without 5-level first
 *                stage; pgtbl_addr not 4K-aligned or beyond the parent's
 *                width; SRE without supervisor requests; EAFE)
 *   -EFAULT      @data NULL with @len non-zero
 *   -ENOMEM
 * The parent cannot be freed while nested domains use it (-EBUSY).
 * Thread-safe.
 */
int siommu_domain_alloc_nested(struct siommu_domain *parent, struct siommu_unit *unit,
			       uint32_t data_type, const void *data, size_t len,
			       struct siommu_domain **out);

/* The parent of a nested domain, NULL for any other. */
struct siommu_domain *siommu_domain_parent(struct siommu_domain *dom);

/*
 * siommu_domain_cache_invalidate - the user changed its stage-1 table of
 * nested domain @dom: invalidate what the units cached of it, as the
 * @entry_num entries of @entry_len bytes each at @array, of @data_type,
 * say (VT-d: struct siommu_hwpt_vtd_s1_invalidate). Entries are handled
 * in order; *entry_num is set to how many were handled, an error stopping
 * at the entry it names (earlier ones stay done; 0 when the call is
 * refused as a whole). @entry_len shorter or longer than the type's
 * structure is -EINVAL for the array, as Linux's driver data. @entry_num
 * 0 only checks @data_type.
 * Returns 0, or:
 *   -EINVAL      @dom is not nested; @data_type not the unit's; an entry
 *                with a bad range (VT-d: addr not 4K-aligned, or
 *                npages UINT64_MAX with addr non-zero)
 *   -EOPNOTSUPP  unknown flags or non-zero reserved fields in an entry;
 *                a unit whose nested domains are invalidated through
 *                their vIOMMU only (SMMUv3)
 *   -EFAULT      @array NULL with entries
 * Returns after the invalidations completed. Thread-safe.
 */
int siommu_domain_cache_invalidate(struct siommu_domain *dom, uint32_t data_type,
				   const void *array, uint32_t entry_len, uint32_t *entry_num);

/*
 * siommu_device_attach - attach @dom to the RID of @dev's group (every
 * device of the group, and alias RIDs), replacing what was there.
 * Returns 0; -EINVAL (@dom belongs to another context, is an SVA domain
 * or a private PASID's (siommu/ppasid.h), or @dev's unit cannot walk its table: a paging domain of a unit of
 * another type, a type or stage the unit lacks, a width beyond its SAGAW
 * or first-stage levels, a page size it does not walk; on SMMUv3 also the
 * exclusions of siommu_unit_add_smmuv3());
 * -EBUSY (an SMMUv3 nested domain while PASIDs are attached: the
 * substreams of a guest's STE are the guest's, as Linux);
 * -ENOSPC (the unit has no free domain ID); -ENOMEM. On failure nothing
 * changed: the old attachment stays.
 */
int siommu_device_attach(struct siommu_device *dev, struct siommu_domain *dom);

/*
 * siommu_device_detach - the group's RID goes back to BLOCKED. Never
 * fails. From a device callback run inside a queue submission (see
 * "Concurrency"), it is done once the call that ran the callback has
 * dropped its locks, before that call returns.
 */
void siommu_device_detach(struct siommu_device *dev);

/*
 * siommu_device_attach_pasid - attach @dom to (@dev, @pasid), replacing
 * what was there. @pasid must be allocated in the context's PASID space.
 * Returns 0; -EOPNOTSUPP (device or unit without PASID support: on a unit
 * without PASIDs, a device without PASID hooks; or a device whose DMA may
 * carry an alias RID: a PASID prefix does not cross a
 * PCIe-to-PCI bridge, so isolation by PASID cannot be guaranteed); -ERANGE
 * (PASID 0 or beyond the usable width); -ENOENT (PASID not allocated, or
 * freed by its owner while attachments still hold it: it takes no new
 * one, a replace included);
 * -EOVERFLOW (the PASID holds SIOMMU_PASID_REFS_MAX references); -EINVAL
 * (a domain of another context, one the unit cannot walk, as for
 * siommu_device_attach(), or an SVA domain, which only its process's
 * binds attach, or a private PASID's domain, which only it attaches;
 * through PASID hooks, a domain that is not a stage-1
 * paging one); -EBUSY (another layer attached (@dev, @pasid): an SVA
 * bind, a private PASID, the DMA API or iommufd, whose own calls alone
 * replace or take it down, see "Concepts"); -ENOSPC (no free domain ID);
 * -ENOMEM. Nothing changes on failure.
 */
int siommu_device_attach_pasid(struct siommu_device *dev, uint32_t pasid,
			       struct siommu_domain *dom);

/*
 * siommu_device_detach_pasid - -ENOENT if nothing is attached there,
 * -EBUSY if another layer attached it (an SVA bind, a private PASID, the
 * DMA API or iommufd: its own calls take it down, see "Concepts"),
 * -EDEADLK from a device callback run inside a queue submission (see
 * "Concurrency"); else 0. Nothing changes on failure.
 */
int siommu_device_detach_pasid(struct siommu_device *dev, uint32_t pasid);

/* The domain attached to (@dev, @pasid) (pasid 0: the RID), or NULL. */
struct siommu_domain *siommu_device_domain(struct siommu_device *dev, uint32_t pasid);

/*
 * PASID hooks: PASIDs on a unit without them in hardware.
 *
 * An SMMUv2-style unit has no SubstreamIDs: one translation context (a
 * context bank) per stream. A device that switches address spaces itself,
 * as an Adreno-class GPU's command processor writes its bank's TTBR0 and
 * ASID before each client's job, registers hooks; from then on PASIDs can
 * be attached to it as to any PASID-capable device (siommu_device_attach_pasid(),
 * and so the private PASIDs of siommu/ppasid.h and SVA binds alike), and
 * the driver hands each PASID's table to the device instead of writing a
 * PASID entry:
 *
 *   install_pasid(arg, dev, pasid, dom, t): from now on (@dev, @pasid) is
 *     @dom's table: the device switches to it by writing t->ttbr (table
 *     base | t->asid << 48) into TTBR0 of context bank t->cb, then
 *     invalidating by t->asid and syncing (TLBIASID, TLBSYNC), before DMA
 *     in that space. Called on attach, on replace (the new table takes the
 *     PASID over: when the hook returns the device no longer runs with the
 *     old one, and will not switch to it again), and after the RID's
 *     domain changed (in the new domain's bank).
 *   remove_pasid(arg, dev, pasid, dom): (@dev, @pasid) is gone: when the
 *     hook returns the device no longer runs with @dom's table (a job using
 *     it has finished, the bank switched back) and will not switch to it
 *     again. Called on detach, on device removal, and before the RID's
 *     domain changes: the stream then moves to another bank, and the PASID
 *     stays attached and is installed again there once the stream uses it
 *     (if the new domain is a stage-1 paging domain of the table's width;
 *     else when the RID gets one). Meanwhile the device has no table for
 *     the PASID: a GPU holds or refuses that client's jobs.
 * After either hook returns the driver invalidates the ASID the device
 * left in that bank and waits. A PASID is installed only while the RID is
 * attached to a stage-1 paging domain of the table's input width (ias):
 * the bank's TCR is the RID domain's. A PASID's domain must be a stage-1
 * paging domain of the unit, or a process's SVA domain (a bind, below)
 * (-EINVAL otherwise); its unmaps invalidate its ASID in every bank it is
 * installed in, whichever table is live there.
 * Hooks run under the context's lock, in the thread of the configuration
 * call: they must not call configuration calls of the context (attach,
 * detach, domain alloc/free, device add/remove); they may access the
 * unit's registers and wait for the device's current job to finish,
 * provided that job does not wait for a configuration call.
 *
 * For SVA (siommu/sva.h): a bind on such a device is an attach of the
 * process's SVA domain (its Arm64 table, an ASID per process and unit) to
 * (dev, the process's PASID); the GPU driver sees the same install_pasid
 * and remove_pasid either way. When the process exits, remove_pasid runs
 * (the device must stop using the table, as for any removal) and the
 * table is not installed again; the PASID stays attached until unbound.
 *
 *   stall_end(arg, dev, retry): for a device with SIOMMU_DEV_STALL (which
 *     must have it): its transactions the bank held (the unit's DMA call
 *     returned -EAGAIN, siommu/smmuv2.h) have ended: issue them again
 *     (@retry), or they were aborted. While a bound process's table of
 *     such a device is installed in a bank, and every device whose stream
 *     uses the bank has SIOMMU_DEV_STALL and a stall_end hook, the bank
 *     stalls on a context fault (SCTLR.CFCFG): a fault of that device in
 *     that table goes to the context's page-fault path (siommu/sva.h),
 *     which brings the page in and retries, or aborts; any other fault
 *     there is reported to its device's fault handler and aborted at
 *     once. Every device on the bank is told of each end, since one
 *     RESUME ends what the bank holds of every stream. Before install_pasid or
 *     remove_pasid runs for a bank, the bank stops stalling while it runs
 *     and what it holds is aborted, so that a hook waiting for the
 *     device's job never waits for the fault path. Called from any thread
 *     (the faulting one inside its DMA call too) with a lock of the
 *     driver held: it must only note the outcome and wake the device.
 * Without SIOMMU_DEV_STALL, a fault in a process's table is terminated
 * and reported like a fault in any other table.
 */
struct siommu_pasid_table {
	uint64_t ttbr;		/* TTBR0 value: table base | ASID << 48 */
	uint16_t asid;
	unsigned int cb;	/* the context bank the device's stream uses */
	unsigned int ias;	/* the table's input width (T0SZ = 64 - ias) */
};
struct siommu_pasid_hooks {
	void (*install_pasid)(void *arg, struct siommu_device *dev, uint32_t pasid,
			      struct siommu_domain *dom, const struct siommu_pasid_table *t);
	void (*remove_pasid)(void *arg, struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom);
	/* Required of a device with SIOMMU_DEV_STALL, else optional (NULL). */
	void (*stall_end)(void *arg, struct siommu_device *dev, bool retry);
};

/*
 * siommu_device_set_pasid_hooks - register (@hooks non-NULL, both
 * functions set) or remove (@hooks NULL) @dev's PASID hooks, with
 * @pasid_bits (1..20) of PASIDs it takes. While registered, the device's
 * info reports those PASIDs. Returns 0; -EOPNOTSUPP (the unit has PASIDs
 * in hardware, or cannot hand tables to a device; a device with an alias
 * RID); -EINVAL (bad arguments, or no stall_end for a device with
 * SIOMMU_DEV_STALL); -EBUSY (PASIDs are attached, or hooks are
 * registered already); -ENOMEM (never when removing). Serialises on the
 * context.
 */
int siommu_device_set_pasid_hooks(struct siommu_device *dev, unsigned int pasid_bits,
				  const struct siommu_pasid_hooks *hooks, void *arg);

/*
 * siommu_device_for_each_attachment - call @fn for each attachment of @dev
 * in PASID order (pasid 0 is the RID). @fn returning non-zero stops the
 * walk and that value is returned. @fn runs with no lock of the library
 * held and may call anything but siommu_device_remove() of @dev; the
 * attachments are read in batches, so one that changes during the walk
 * may be reported as it was when its batch was read, or not at all.
 * Fails by itself only with -EINVAL (NULL @dev or @fn) and -EDEADLK
 * (from a device callback inside a queue submission, see "Concurrency").
 */
typedef int (*siommu_attachment_fn)(void *arg, uint32_t pasid,
				    struct siommu_domain *dom);
int siommu_device_for_each_attachment(struct siommu_device *dev,
				      siommu_attachment_fn fn, void *arg);

/*
 * I/O page faults. Page requests (PCIe PRI) that units report go to the
 * context's fault path: requests are grouped by page request group index
 * until the last of the group; a complete group is handled by the fault
 * handler of the domain attached to its (device, PASID) (an SVA bind:
 * siommu/sva.h; an iommufd fault queue, siommu/iommufd.h) and answered
 * once through the unit's page group response, private data echoed; a
 * group with no handler is answered "invalid request" at once, in the
 * thread that reported it. SVA handlers run in a worker thread the
 * context owns (SIOMMU_IOPF_WORKER, the default), started with the first
 * SVA bind and stopped with the context, or, in SIOMMU_IOPF_POLL mode, in
 * the caller of siommu_iopf_poll() alone (for embedders that want no
 * threads); a fault queue takes its groups in the reporting thread, and
 * each keeps one entry of the queue until its user answers it. The queue
 * holds SIOMMU_IOPF_QUEUE requests per context: a request beyond it is
 * dropped, as a full page request queue drops it, and the last request of
 * its group answered "success", so that the device retries; counted in
 * siommu_unit_stats.iopf_overflows.
 *
 * siommu_iopf_set_mode - switch between the modes. Switching to POLL stops
 * and joins the worker (groups queued stay queued for siommu_iopf_poll());
 * switching to WORKER starts it if SVA is in use. 0, -EINVAL (mode),
 * -EAGAIN (the thread could not be started; the mode is unchanged).
 * Not from a fault handler.
 *
 * siommu_iopf_poll - handle up to @max queued groups in the calling thread
 * (0: all queued now); returns how many were handled. Valid in either
 * mode (in WORKER mode it competes with the worker). Not from a fault
 * handler or a device callback run by the unit.
 */
#define SIOMMU_IOPF_QUEUE 1024u
enum siommu_iopf_mode {
	SIOMMU_IOPF_WORKER,
	SIOMMU_IOPF_POLL,
};
int siommu_iopf_set_mode(struct siommu_ctx *ctx, enum siommu_iopf_mode mode);
unsigned int siommu_iopf_poll(struct siommu_ctx *ctx, unsigned int max);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_CORE_H */
