/* SPDX-License-Identifier: MIT */
/*
 * siommu/smmuv3.h - Arm SMMUv3 hardware model, with SubstreamIDs (PASIDs).
 *
 * Concepts
 * --------
 * A struct siommu_smmuv3 is one SMMU attached to a physical address space
 * (siommu/mem.h). It is hardware: it is programmed only through its
 * registers and through structures in that memory, in the formats of the
 * Arm SMMUv3 architecture (IHI 0070), non-secure programming interface:
 *
 *   STRTAB_BASE -> stream table (linear, or 2-level with L1 descriptors)
 *     -> STE[StreamID]: abort, bypass, stage 1, stage 2 or nested
 *     -> S1ContextPtr -> CD table (linear, or 2-level with L1CDs)
 *     -> CD[SubstreamID] -> VMSAv8-64 stage-1 tables (TTB0/TTB1, 4K granule)
 *     -> STE.S2TTB -> VMSAv8-64 stage-2 tables (4K granule, concatenated
 *        start level).
 * With stage 2 enabled the CD table pointer and every stage-1 table address
 * are IPAs, translated through stage 2 as the hardware does.
 *
 * A SubstreamID is what PCIe calls a PASID. Requests come tagged with a
 * StreamID (for PCIe, the requester ID) and optionally a SubstreamID
 * (ssv = true). Requests without one use STE.S1DSS (SMMUv3 5.2: the
 * default substream: terminate, bypass stage 1, or CD 0).
 *
 * The embedder (an emulator, or the OS half of siommu through its driver)
 * forwards MMIO in the two 64K register pages to siommu_smmuv3_mmio_read()
 * and siommu_smmuv3_mmio_write() and receives interrupts as MSIs through a
 * callback. Devices issue:
 *   - untranslated transactions: siommu_smmuv3_translate(),
 *     siommu_smmuv3_dma_read(), siommu_smmuv3_dma_write(),
 *     siommu_smmuv3_access();
 *   - ATS translation requests: siommu_smmuv3_ats_translate(); ATC
 *     invalidations (CMD_ATC_INV) come back through a per-device callback;
 *   - PRI page requests: siommu_smmuv3_page_request(); the answers
 *     (CMD_PRI_RESP) come back through the same device's callbacks.
 *
 * Commands are consumed synchronously inside the write of CMDQ_PROD (or of
 * CR0, or of GERRORN that acknowledges a command error), unless another
 * thread is consuming them at the time - it is running a device callback
 * of an earlier command, and the write may come from that callback
 * itself: then the write only moves PROD, and that thread consumes the
 * new commands in order once the callback has returned. Either way a
 * command has completed when CONS has moved past it, and a CMD_SYNC when
 * its MSI is written. Faults become
 * records in the event queue (SMMUv3 7.3), never a stop of the unit;
 * broken command-queue contents stop the queue with GERROR.CMDQ_ERR and
 * CMDQ_CONS.ERR (SMMUv3 7.1), and it resumes once software acknowledges
 * through GERRORN.
 *
 * Caches: an STE cache (by StreamID), a CD cache (by StreamID and
 * SubstreamID) and a TLB tagged, as the architecture requires, by VMID,
 * ASID, address and level (SMMUv3 3.17) - not by StreamID, so substreams
 * whose CDs share an ASID share entries. Stale entries stay until the
 * command that removes them (CMD_CFGI_*, CMD_TLBI_*), as hardware may keep
 * them. In front of them, a cache of whole translations by StreamID,
 * SubstreamID and page lets a repeated request probe once; every
 * invalidation command and clearing SMMUEN end all of its entries, so it
 * never answers what the caches behind it would not. Counters count its
 * hits as the STE, CD and TLB hits they stand for.
 *
 * Stalls: with the stall model (CD.S, STE.S2S), a faulting transaction is
 * held: the call returns -EAGAIN with a stall tag (STAG) recorded in the
 * event, and the device waits. CMD_RESUME (retry or abort) and
 * CMD_STALL_TERM end it through the device's stall_end callback; on retry
 * the device issues the transaction again.
 *
 * What is not modelled: the secure programming interface, EL2/E2H
 * streams (STRW other than NS-EL1), AArch32 tables, 16K and 64K granules,
 * LPA2/52-bit addresses, the dirty state (HTTU reports AF update only),
 * memory attributes and their overrides, GATOS, the performance monitor,
 * and ATS translated (pre-translated) transactions (CR0.ATSCHK).
 *
 * Concurrency
 * -----------
 * Translation (translate, dma_*, access, ats_translate, page_request) may
 * run from any number of threads, concurrently with everything except
 * destroy. A translation found in the combined cache (a repeated one, see
 * Caches) takes no lock and enters no RCU section; anything else looks up
 * the STE, CD and TLB caches and walks the tables inside one.
 * Register accesses are serialised by one lock per unit. A CMD_SYNC
 * completes (CONS moves past it, its MSI is written) only after every
 * earlier command took effect and every table walk, DMA and
 * siommu_smmuv3_access() callback that started before it has finished.
 *
 * Callbacks (MSI, ATC invalidation, PRI response, stall end) run without
 * any lock of the unit held, those from the command queue included: a
 * device may issue DMA, ATS translations and page requests from them, and
 * its callbacks and the MSI handler may read and write the registers. A
 * command's callback runs with CONS still at the command; the commands
 * after it, a CMD_SYNC's completion included, wait for it to return, so a
 * callback must not wait for a CMD_SYNC queued after its command.
 */
#ifndef SIOMMU_SMMUV3_H
#define SIOMMU_SMMUV3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_smmuv3;

/* Features (struct siommu_smmuv3_cfg.features), each advertised in the ID
 * registers (SMMUv3 6.3.1-6.3.6). */
#define SIOMMU_SMMUV3_F_S1	(1u << 0)	/* stage 1 (IDR0.S1P) */
#define SIOMMU_SMMUV3_F_S2	(1u << 1)	/* stage 2 (IDR0.S2P); with S1: nesting */
#define SIOMMU_SMMUV3_F_ATS	(1u << 2)	/* IDR0.ATS */
#define SIOMMU_SMMUV3_F_PRI	(1u << 3)	/* IDR0.PRI (needs ATS) */
#define SIOMMU_SMMUV3_F_STALL	(1u << 4)	/* stall model (IDR0.STALL_MODEL 0) */
#define SIOMMU_SMMUV3_F_ST2L	(1u << 5)	/* 2-level stream table (IDR0.ST_LVL) */
#define SIOMMU_SMMUV3_F_CD2L	(1u << 6)	/* 2-level CD tables (IDR0.CD2L) */
#define SIOMMU_SMMUV3_F_RIL	(1u << 7)	/* range invalidation (IDR3.RIL) */
#define SIOMMU_SMMUV3_F_HA	(1u << 8)	/* hardware AF update (IDR0.HTTU 1) */
#define SIOMMU_SMMUV3_F_ALL	0x1ffu

/*
 * Configuration. Zero fields take the defaults in brackets.
 * features:   SIOMMU_SMMUV3_F_* [SIOMMU_SMMUV3_F_ALL]; 0 means the default.
 *             At least one of S1 and S2; PRI needs ATS.
 * oas:        output address size in bits, one of 32, 36, 40, 42, 44, 48
 *             [48] (IDR5.OAS).
 * sid_bits:   StreamID width, 1..32 [16] (IDR1.SIDSIZE).
 * ssid_bits:  SubstreamID width, 1..20 [20] (IDR1.SSIDSIZE).
 * asid_bits, vmid_bits: 8 or 16 [16] (IDR0.ASID16, IDR0.VMID16).
 * tlb_sets, tlb_ways: TLB geometry; sets a power of two 1..65536, ways
 *             1..16 [256 x 4].
 * cmdq_log2, evtq_log2, priq_log2: the largest queue sizes (log2 entries)
 *             advertised in IDR1, 1..19 [8, 8, 8].
 * stall_max:  outstanding stalled transactions, 1..65535 [64] (IDR5.STALL_MAX).
 * no_msi:     IDR0.MSI reads 0 [false: MSIs advertised]. Software then
 *             waits for CMD_SYNC through CMDQ_CONS; the model behaves as
 *             otherwise (a programmed IRQ_CFG0 or MSIAddr is still used).
 */
struct siommu_smmuv3_cfg {
	uint32_t features;
	unsigned int oas;
	unsigned int sid_bits;
	unsigned int ssid_bits;
	unsigned int asid_bits;
	unsigned int vmid_bits;
	unsigned int tlb_sets;
	unsigned int tlb_ways;
	unsigned int cmdq_log2;
	unsigned int evtq_log2;
	unsigned int priq_log2;
	unsigned int stall_max;
	bool no_msi;
};

/* Register offsets (SMMUv3 6.2); page 1 starts at 0x10000. */
#define SIOMMU_SMMUV3_IDR0		0x00
#define SIOMMU_SMMUV3_IDR1		0x04
#define SIOMMU_SMMUV3_IDR2		0x08
#define SIOMMU_SMMUV3_IDR3		0x0c
#define SIOMMU_SMMUV3_IDR4		0x10
#define SIOMMU_SMMUV3_IDR5		0x14
#define SIOMMU_SMMUV3_IIDR		0x18
#define SIOMMU_SMMUV3_AIDR		0x1c
#define SIOMMU_SMMUV3_CR0		0x20
#define SIOMMU_SMMUV3_CR0ACK		0x24
#define SIOMMU_SMMUV3_CR1		0x28
#define SIOMMU_SMMUV3_CR2		0x2c
#define SIOMMU_SMMUV3_STATUSR		0x40
#define SIOMMU_SMMUV3_GBPA		0x44
#define SIOMMU_SMMUV3_AGBPA		0x48
#define SIOMMU_SMMUV3_IRQ_CTRL		0x50
#define SIOMMU_SMMUV3_IRQ_CTRLACK	0x54
#define SIOMMU_SMMUV3_GERROR		0x60
#define SIOMMU_SMMUV3_GERRORN		0x64
#define SIOMMU_SMMUV3_GERROR_IRQ_CFG0	0x68
#define SIOMMU_SMMUV3_GERROR_IRQ_CFG1	0x70
#define SIOMMU_SMMUV3_GERROR_IRQ_CFG2	0x74
#define SIOMMU_SMMUV3_STRTAB_BASE	0x80
#define SIOMMU_SMMUV3_STRTAB_BASE_CFG	0x88
#define SIOMMU_SMMUV3_CMDQ_BASE		0x90
#define SIOMMU_SMMUV3_CMDQ_PROD		0x98
#define SIOMMU_SMMUV3_CMDQ_CONS		0x9c
#define SIOMMU_SMMUV3_EVTQ_BASE		0xa0
#define SIOMMU_SMMUV3_EVTQ_IRQ_CFG0	0xb0
#define SIOMMU_SMMUV3_EVTQ_IRQ_CFG1	0xb8
#define SIOMMU_SMMUV3_EVTQ_IRQ_CFG2	0xbc
#define SIOMMU_SMMUV3_PRIQ_BASE		0xc0
#define SIOMMU_SMMUV3_PRIQ_IRQ_CFG0	0xd0
#define SIOMMU_SMMUV3_PRIQ_IRQ_CFG1	0xd8
#define SIOMMU_SMMUV3_PRIQ_IRQ_CFG2	0xdc
#define SIOMMU_SMMUV3_EVTQ_PROD		0x100a8
#define SIOMMU_SMMUV3_EVTQ_CONS		0x100ac
#define SIOMMU_SMMUV3_PRIQ_PROD		0x100c8
#define SIOMMU_SMMUV3_PRIQ_CONS		0x100cc
#define SIOMMU_SMMUV3_MMIO_SIZE		0x20000

/* CR0 / CR0ACK (SMMUv3 6.3.9). */
#define SIOMMU_SMMUV3_CR0_SMMUEN	(1u << 0)
#define SIOMMU_SMMUV3_CR0_PRIQEN	(1u << 1)
#define SIOMMU_SMMUV3_CR0_EVTQEN	(1u << 2)
#define SIOMMU_SMMUV3_CR0_CMDQEN	(1u << 3)
#define SIOMMU_SMMUV3_CR0_ATSCHK	(1u << 4)
/* GBPA (SMMUv3 6.3.14). */
#define SIOMMU_SMMUV3_GBPA_UPDATE	(1u << 31)
#define SIOMMU_SMMUV3_GBPA_ABORT	(1u << 20)
/* IRQ_CTRL (SMMUv3 6.3.21). */
#define SIOMMU_SMMUV3_IRQ_GERROR	(1u << 0)
#define SIOMMU_SMMUV3_IRQ_PRIQ		(1u << 1)
#define SIOMMU_SMMUV3_IRQ_EVTQ		(1u << 2)
/* GERROR (SMMUv3 6.3.23). */
#define SIOMMU_SMMUV3_GERROR_CMDQ_ERR	(1u << 0)
#define SIOMMU_SMMUV3_GERROR_EVTQ_ABT	(1u << 2)
#define SIOMMU_SMMUV3_GERROR_PRIQ_ABT	(1u << 3)
#define SIOMMU_SMMUV3_GERROR_MSI_CMDQ	(1u << 4)
#define SIOMMU_SMMUV3_GERROR_MSI_EVTQ	(1u << 5)
#define SIOMMU_SMMUV3_GERROR_MSI_PRIQ	(1u << 6)
#define SIOMMU_SMMUV3_GERROR_MSI_GERROR	(1u << 7)
#define SIOMMU_SMMUV3_GERROR_SFM	(1u << 8)
/* Queue pointers (SMMUv3 3.5.1): overflow flag; CMDQ_CONS.ERR. */
#define SIOMMU_SMMUV3_Q_OVF		(1u << 31)
#define SIOMMU_SMMUV3_CMDQ_ERR(cons)	(((cons) >> 24) & 0x7f)
/* CMDQ_CONS.ERR codes (SMMUv3 7.1). */
#define SIOMMU_SMMUV3_CERROR_NONE	0
#define SIOMMU_SMMUV3_CERROR_ILL	1
#define SIOMMU_SMMUV3_CERROR_ABT	2
#define SIOMMU_SMMUV3_CERROR_ATC_INV_SYNC 3

/* Event IDs (SMMUv3 7.3). */
enum siommu_smmuv3_event {
	SIOMMU_SMMUV3_EVT_NONE = 0,
	SIOMMU_SMMUV3_F_UUT = 0x01,
	SIOMMU_SMMUV3_C_BAD_STREAMID = 0x02,
	SIOMMU_SMMUV3_F_STE_FETCH = 0x03,
	SIOMMU_SMMUV3_C_BAD_STE = 0x04,
	SIOMMU_SMMUV3_F_BAD_ATS_TREQ = 0x05,
	SIOMMU_SMMUV3_F_STREAM_DISABLED = 0x06,
	SIOMMU_SMMUV3_F_TRANSL_FORBIDDEN = 0x07,
	SIOMMU_SMMUV3_C_BAD_SUBSTREAMID = 0x08,
	SIOMMU_SMMUV3_F_CD_FETCH = 0x09,
	SIOMMU_SMMUV3_C_BAD_CD = 0x0a,
	SIOMMU_SMMUV3_F_WALK_EABT = 0x0b,
	SIOMMU_SMMUV3_F_TRANSLATION = 0x10,
	SIOMMU_SMMUV3_F_ADDR_SIZE = 0x11,
	SIOMMU_SMMUV3_F_ACCESS = 0x12,
	SIOMMU_SMMUV3_F_PERMISSION = 0x13,
	SIOMMU_SMMUV3_F_TLB_CONFLICT = 0x20,
	SIOMMU_SMMUV3_F_CFG_CONFLICT = 0x21,
	SIOMMU_SMMUV3_E_PAGE_REQUEST = 0x24,
};

/* Request access: a combination; EXEC is an instruction fetch (InD). */
#define SIOMMU_SMMUV3_READ	(1u << 0)
#define SIOMMU_SMMUV3_WRITE	(1u << 1)
#define SIOMMU_SMMUV3_EXEC	(1u << 2)

/* A transaction from a device. */
struct siommu_smmuv3_req {
	uint32_t sid;		/* StreamID */
	bool ssv;		/* a SubstreamID is present */
	bool priv;		/* PnU: privileged */
	uint32_t ssid;		/* SubstreamID (20 bits), when ssv */
	uint64_t iova;
	uint64_t len;		/* bytes; 0 counts as 1 */
	uint32_t access;	/* SIOMMU_SMMUV3_READ | WRITE | EXEC */
};

/*
 * Result of a translation. On success: [iova_base, iova_base + size) maps
 * to [addr_base, addr_base + size); addr is the translation of req.iova;
 * perm is what the mapping allows this requester. On a fault: event is the
 * event ID (SIOMMU_SMMUV3_EVT_NONE when the transaction was aborted
 * without one: STE.Config abort, GBPA.ABORT), event_recorded says whether
 * a record reached the event queue, and a stalled transaction has stalled
 * set with its tag in stag.
 */
struct siommu_smmuv3_xlate {
	uint64_t addr;
	uint64_t iova_base;
	uint64_t addr_base;
	uint64_t size;
	uint32_t perm;
	uint32_t event;
	bool event_recorded;
	bool stalled;
	uint16_t stag;
};

/* Interrupt sources (SMMUv3 3.18): each is an MSI with its own
 * IRQ_CFG registers; CMD_SYNC's MSI comes with its command. */
enum siommu_smmuv3_irq {
	SIOMMU_SMMUV3_IRQ_SRC_EVTQ,
	SIOMMU_SMMUV3_IRQ_SRC_PRIQ,
	SIOMMU_SMMUV3_IRQ_SRC_GERROR,
	SIOMMU_SMMUV3_IRQ_SRC_SYNC,
};

/*
 * MSI delivery: @addr and @data as programmed (IRQ_CFG0/1, or the
 * CMD_SYNC's MSIAddr/MSIData). The model also performs the 32-bit write
 * of @data to @addr when @addr is RAM in the unit's memory, as the bus
 * would (drivers poll CMD_SYNC completion that way). An MSI whose
 * address is 0 is not sent at all, as the architecture says: neither the
 * write nor this callback (the unit has no wired interrupts); a CMD_SYNC
 * with MSIAddr 0 then completes through CMDQ_CONS alone.
 */
typedef void (*siommu_smmuv3_msi_fn)(void *opaque, enum siommu_smmuv3_irq irq,
				     uint64_t addr, uint32_t data);

/* A CMD_ATC_INV for one device (SMMUv3 4.5.2): translations for
 * [addr, addr + size) of substream @ssid (ssv) or of requests without a
 * SubstreamID (!ssv), or of every substream (global) must go. */
struct siommu_smmuv3_atc_inv {
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	bool global;
	uint64_t addr;
	uint64_t size;		/* bytes; 2^64 - 1 rounds to the whole space */
};

/* A CMD_PRI_RESP (SMMUv3 4.6.1), or the unit's own answer to a page
 * request it dropped (auto_response). */
struct siommu_smmuv3_pri_resp {
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	uint16_t prgi;
	uint8_t resp;		/* 0 invalid, 1 failure, 2 success */
	bool auto_response;
};

/* How a stalled transaction ends (CMD_RESUME, CMD_STALL_TERM). */
struct siommu_smmuv3_stall_end {
	uint32_t sid;
	uint16_t stag;
	bool retry;		/* CMD_RESUME Retry: issue it again; else abort */
};

struct siommu_smmuv3_dev_ops {
	void (*atc_inv)(void *opaque, const struct siommu_smmuv3_atc_inv *inv);
	void (*pri_resp)(void *opaque, const struct siommu_smmuv3_pri_resp *resp);
	void (*stall_end)(void *opaque, const struct siommu_smmuv3_stall_end *end);
};

/* A PRI page request as the device reports it. */
struct siommu_smmuv3_page_req {
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	bool priv;
	uint64_t addr;		/* page address; bits 11:0 ignored */
	uint32_t access;	/* SIOMMU_SMMUV3_READ | WRITE | EXEC */
	uint16_t prgi;		/* 9 bits */
	bool last;
};

/* Counters. Approximate under concurrency: a count can be lost, never made up. */
struct siommu_smmuv3_stats {
	uint64_t tlb_hit;
	uint64_t tlb_miss;
	uint64_t walks;
	uint64_t ste_hit, ste_miss;
	uint64_t cd_hit, cd_miss;
	uint64_t faults;		/* transactions that faulted */
	uint64_t events;		/* records written to the event queue */
	uint64_t events_lost;		/* full or disabled queue */
	uint64_t commands;		/* commands consumed */
	uint64_t tlb_inv_entries;	/* TLB entries removed */
	uint64_t syncs;
	uint64_t page_requests;		/* written to the PRI queue */
	uint64_t stalls;
};

/*
 * siommu_smmuv3_create - create a unit on @mem with configuration @cfg
 * (NULL: defaults). The unit starts as after reset: SMMUEN clear (GBPA
 * decides: bypass), queues disabled, caches empty. @mem must outlive it.
 * Returns 0 with *out set, -EINVAL (bad configuration), -ENOMEM. Its
 * allocations are fallible steps of siommu_mem_fail_nth(@mem); a failed
 * create leaves nothing behind.
 */
int siommu_smmuv3_create(struct siommu_mem *mem, const struct siommu_smmuv3_cfg *cfg,
			 struct siommu_smmuv3 **out);

/* siommu_smmuv3_destroy - free the unit. Never fails. No other call on the
 * unit may be running or start. NULL is ignored. */
void siommu_smmuv3_destroy(struct siommu_smmuv3 *s);

/*
 * siommu_smmuv3_set_msi - register the MSI callback (NULL: only the memory
 * write is done). Call before the guest runs; not concurrently with
 * register accesses or translations.
 */
void siommu_smmuv3_set_msi(struct siommu_smmuv3 *s, siommu_smmuv3_msi_fn fn,
			   void *opaque);

/*
 * siommu_smmuv3_mmio_read - read @size (4 or 8) bytes at register @offset
 * (naturally aligned, below SIOMMU_SMMUV3_MMIO_SIZE) into *val. A 64-bit
 * read of two 32-bit registers returns both; reserved offsets read 0.
 * Returns 0, -EINVAL (size, alignment, offset). Thread-safe.
 */
int siommu_smmuv3_mmio_read(struct siommu_smmuv3 *s, uint64_t offset,
			    unsigned int size, uint64_t *val);

/*
 * siommu_smmuv3_mmio_write - write @size (4 or 8) bytes of @val at @offset.
 * Read-only and reserved bits ignore writes; registers guarded by an
 * enable (STRTAB_BASE by SMMUEN, a queue's BASE by its enable, IRQ_CFG
 * by IRQ_CTRL) ignore writes while it is set. Writes of CMDQ_PROD, CR0
 * and GERRORN consume commands before returning, so the caller's thread
 * may wait for a grace period (CMD_SYNC) and runs the device callbacks
 * and CMD_SYNC MSIs of those commands; while another thread is consuming
 * commands (it is in such a callback), they only move the registers and
 * leave the commands to it.
 * Returns 0, -EINVAL (size, alignment, offset); programming errors are
 * reported in the registers, as hardware does.
 * Thread-safe, from device and MSI callbacks of this unit too; not from a
 * siommu_smmuv3_access() function.
 */
int siommu_smmuv3_mmio_write(struct siommu_smmuv3 *s, uint64_t offset,
			     unsigned int size, uint64_t val);

/*
 * siommu_smmuv3_dev_register - attach device callbacks for StreamID @sid.
 * One registration per StreamID. Returns 0, -EEXIST, -EINVAL (no ops),
 * -ENOMEM (a fallible step of siommu_mem_fail_nth(); nothing registered).
 * Thread-safe.
 */
int siommu_smmuv3_dev_register(struct siommu_smmuv3 *s, uint32_t sid,
			       const struct siommu_smmuv3_dev_ops *ops, void *opaque);

/* siommu_smmuv3_dev_unregister - detach @sid's callbacks; once it returns
 * they are not running and will not be called. Never fails. Must not be
 * called from one of those callbacks. */
void siommu_smmuv3_dev_unregister(struct siommu_smmuv3 *s, uint32_t sid);

/*
 * siommu_smmuv3_translate - translate an untranslated transaction.
 * Returns 0 with *res filled; -EFAULT when it is aborted (res->event,
 * ->event_recorded: recorded per SMMUv3 7.3); -EAGAIN when it stalled
 * (res->stalled, res->stag; the device waits for its stall_end callback);
 * -EINVAL (access 0 or unknown bits, ssid above 20 bits).
 * SMMUEN clear: GBPA.ABORT aborts (event NONE), else 1:1.
 * Lock-free on a cached configuration and TLB hit; thread-safe.
 */
int siommu_smmuv3_translate(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			    struct siommu_smmuv3_xlate *res);

/*
 * siommu_smmuv3_ats_translate - a PCIe ATS translation request. The STE
 * must allow ATS (EATS 1, or 2 with nesting); otherwise F_BAD_ATS_TREQ is
 * recorded and -EFAULT returned (a completer abort). Configuration faults
 * give -EFAULT as for translate (STE.V = 0 and a terminated default
 * substream record no event, SMMUv3 5.2). A page that is not mapped or
 * lacks a permission is not a fault: 0 with res->perm lacking the bits
 * (possibly 0), no event; the device may then use PRI. The device may
 * cache the result until CMD_ATC_INV reaches its callback.
 * Returns 0, -EFAULT, -EINVAL; -ENOTSUP without SIOMMU_SMMUV3_F_ATS.
 * Thread-safe.
 */
int siommu_smmuv3_ats_translate(struct siommu_smmuv3 *s,
				const struct siommu_smmuv3_req *req,
				struct siommu_smmuv3_xlate *res);

/*
 * siommu_smmuv3_dma_read / siommu_smmuv3_dma_write - DMA of @len bytes at
 * req->iova (req->len and req->access are ignored) to/from @buf, page by
 * page. *done (may be NULL) gets the bytes transferred before a failure;
 * on a fault *res (may be NULL) describes it.
 * Returns 0, -EFAULT (aborted, or the output is not RAM: res->event NONE),
 * -EAGAIN (stalled), -EINVAL. Thread-safe; each page's copy finishes
 * before a concurrent CMD_SYNC after an invalidation of it completes.
 */
int siommu_smmuv3_dma_read(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			   void *buf, size_t len, size_t *done,
			   struct siommu_smmuv3_xlate *res);
int siommu_smmuv3_dma_write(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			    const void *buf, size_t len, size_t *done,
			    struct siommu_smmuv3_xlate *res);

/* Called by siommu_smmuv3_access() on each physically contiguous piece:
 * @host points at @len bytes, @offset is the piece's offset from req->iova.
 * A non-zero return stops the access and is returned. */
typedef int (*siommu_smmuv3_access_fn)(void *arg, void *host, size_t len,
				       size_t offset);

/*
 * siommu_smmuv3_access - translate [req->iova, req->iova + req->len) for
 * req->access and run @fn on each piece while its translation cannot be
 * invalidated under it: a CMD_SYNC after an invalidation that removes it
 * does not complete before @fn returns. @fn runs inside an RCU read-side
 * section: it must not block for long, access this unit's registers or
 * wait for a CMD_SYNC.
 * Returns 0, @fn's non-zero result, or errors as siommu_smmuv3_dma_read().
 * Thread-safe.
 */
int siommu_smmuv3_access(struct siommu_smmuv3 *s, const struct siommu_smmuv3_req *req,
			 siommu_smmuv3_access_fn fn, void *arg,
			 struct siommu_smmuv3_xlate *res);

/*
 * siommu_smmuv3_page_request - a PRI page request: written to the PRI
 * queue (SMMUv3 8.1), with its interrupt. With the queue disabled, full
 * or overflowed (PRIQ_PROD.OVFLG differs from PRIQ_CONS.OVFLG) it is
 * dropped, PRIQ_PROD.OVFLG toggles on the first drop, and a request that
 * ends its group (last) is answered "success" by the unit through the
 * device's pri_resp so that the device retries; -ENOSPC then.
 * Returns 0, -ENOSPC, -EINVAL (sid beyond SIDSIZE, ssid above 20 bits,
 * no access), -ENOTSUP (no SIOMMU_SMMUV3_F_PRI). Thread-safe.
 */
int siommu_smmuv3_page_request(struct siommu_smmuv3 *s,
			       const struct siommu_smmuv3_page_req *req);

/* siommu_smmuv3_get_stats - snapshot of the counters. Thread-safe. */
void siommu_smmuv3_get_stats(struct siommu_smmuv3 *s, struct siommu_smmuv3_stats *st);

/* siommu_smmuv3_get_cfg - the configuration in effect (defaults filled
 * in). Thread-safe. */
void siommu_smmuv3_get_cfg(struct siommu_smmuv3 *s, struct siommu_smmuv3_cfg *cfg);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_SMMUV3_H */
