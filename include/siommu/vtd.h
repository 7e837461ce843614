/* SPDX-License-Identifier: MIT */
/*
 * siommu/vtd.h - Intel VT-d hardware model, scalable mode, with PASIDs.
 *
 * Concepts
 * --------
 * A struct siommu_vtd is one remapping unit (a "DMAR unit") attached to a
 * physical address space (siommu/mem.h). It is hardware: it is programmed
 * only through its registers and through structures in that memory, in the
 * real formats of the VT-d specification (scalable mode):
 *
 *   RTADDR -> root table -> scalable context table -> PASID directory
 *          -> PASID table entry -> first-stage, second-stage or nested page
 *             tables, or pass-through (PGTT, VT-d 9.6).
 *
 * The embedder (an emulator, or the OS half of siommu through its driver)
 * forwards guest MMIO to siommu_vtd_mmio_read()/siommu_vtd_mmio_write() and
 * receives interrupts through an MSI callback. Devices behind the unit issue
 * requests tagged with a requester ID (RID = bus << 8 | devfn) and, optionally,
 * a PASID:
 *   - untranslated DMA: siommu_vtd_translate(), siommu_vtd_dma_read(),
 *     siommu_vtd_dma_write(), siommu_vtd_access();
 *   - ATS translation requests from a device that caches results in its own
 *     device TLB: siommu_vtd_ats_translate(); device-TLB invalidations and
 *     page group responses come back through a per-device callback;
 *   - page requests (PRI): siommu_vtd_page_request().
 * Requests without a PASID are translated through the context entry's
 * RID_PASID.
 *
 * The unit caches context entries, PASID entries and translations (IOTLB,
 * tagged with domain ID, PASID, page and level). With SIOMMU_VTD_CAP_PSC
 * (the default) it also caches paging-structure entries: the non-leaf
 * entry above the last level of a first-stage or second-stage walk (a PDE
 * cache; nested walks cache none), tagged with domain ID, PASID (first
 * stage) and the 2M region, so that a miss under a cached entry reads only
 * the leaf. As on hardware, a page-selective invalidation with IH (the
 * invalidation hint: only leaves changed) leaves these entries alone, so
 * software that frees a page table must invalidate without IH. Software
 * removes stale entries with descriptors in the invalidation queue
 * (IQA/IQH/IQT), which is processed inside the mmio write of IQT (see
 * siommu_vtd_mmio_write() for writes made while it is being processed).
 * A translation fault
 * never stops the unit: it is logged in the fault recording registers (unless
 * fault processing is disabled for it) and signalled by the fault event MSI.
 *
 * Fault reason codes are the scalable-mode codes of VT-d 7.1.3 (0x30...0x90),
 * listed below as SIOMMU_VTD_FR_*. A fault record (VT-d 10.4.14) gives the
 * page, the requester, the reason, the PASID and, for requests with one,
 * whether they were privileged (PRIV) and asked to execute (EXE); T1/T2 tell
 * a write, a read and a page request apart. FPD in the context entry, the
 * PASID-directory entry or the PASID-table entry of a request, present or
 * not, keeps its qualified faults out of the records; errors reading a
 * structure and faults found before the context entry are always recorded.
 *
 * Embedding, in short: register the guest's RAM with siommu_mem_add_ram()
 * (passing the emulator's host mapping), create the unit on that memory,
 * route the guest's accesses to the unit's 4K register page to
 * siommu_vtd_mmio_read()/write(), inject the MSIs the callback reports,
 * and have each device model call siommu_vtd_dma_read()/write() (or
 * siommu_vtd_access()) with its RID. The guest's driver does the rest
 * through registers and memory, exactly as on hardware.
 *
 * Concurrency
 * -----------
 * Translation (translate, dma_*, access, ats_translate) may run from any
 * number of threads, concurrently with everything except destroy. A
 * translation that hits the IOTLB takes no lock and enters no RCU section;
 * a miss walks the tables inside an RCU read-side section. Register accesses
 * are serialised by one lock per unit and may run concurrently with
 * translations. An invalidation wait descriptor completes (status write,
 * ICS.IWC, completion MSI) only after every earlier descriptor took effect
 * and every table walk, DMA and siommu_vtd_access() callback that started
 * before it has finished.
 *
 * Callbacks (MSI, device-TLB invalidation, page group response) are called
 * with no lock of the unit held. From them a device or an interrupt handler
 * may use the unit as any thread would: read and write its registers,
 * translate (also through ATS), DMA, issue page requests, even if that
 * raises further interrupts in the same thread. The device callbacks run
 * from the invalidation queue keep its order: the descriptor they deliver
 * takes effect when the callback returns; until then IQH points at it and
 * no later descriptor is processed, so a wait descriptor after it
 * completes only after the callback has returned. What they must not do is
 * wait for a later descriptor of the same queue (it is processed after they
 * return), nor unregister their own device. Under the library's own driver
 * (siommu/core.h) that rule is kept for them: a call that would submit to
 * the queue and wait (unmap, attach, a DMA API call) returns -EDEADLK from
 * a device callback, a detach is deferred to the end of the call whose
 * submission ran the callback, and a page response is queued; see
 * "Concurrency" in siommu/core.h. A callback may take long (a slow
 * device): a thread whose wait descriptor sits behind it keeps waiting.
 * The driver gives up on a wait, and counts an invalidation error, only
 * after IQH has not moved for 30 seconds. siommu_vtd_access() functions
 * are the exception: they run inside an RCU read-side section (see there).
 */
#ifndef SIOMMU_VTD_H
#define SIOMMU_VTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_vtd;

/* Capability flags (struct siommu_vtd_cfg.caps). */
#define SIOMMU_VTD_CAP_FS	(1u << 0)	/* first-stage translation (ECAP.FSTS) */
#define SIOMMU_VTD_CAP_SS	(1u << 1)	/* second-stage translation (ECAP.SSTS) */
#define SIOMMU_VTD_CAP_NEST	(1u << 2)	/* nested translation (ECAP.NEST) */
#define SIOMMU_VTD_CAP_PT	(1u << 3)	/* pass-through (ECAP.PT) */
#define SIOMMU_VTD_CAP_PRS	(1u << 4)	/* page requests (ECAP.PRS) */
#define SIOMMU_VTD_CAP_DT	(1u << 5)	/* device TLB / ATS (ECAP.DT) */
#define SIOMMU_VTD_CAP_CM	(1u << 6)	/* caching mode (CAP.CM) */
#define SIOMMU_VTD_CAP_FS1G	(1u << 7)	/* first-stage 1G pages (CAP.FS1GP) */
#define SIOMMU_VTD_CAP_SSLP	(1u << 8)	/* second-stage 2M and 1G pages (CAP.SSLPS) */
#define SIOMMU_VTD_CAP_ERS	(1u << 9)	/* execute requests (ECAP.ERS) */
#define SIOMMU_VTD_CAP_SRS	(1u << 10)	/* supervisor requests (ECAP.SRS) */
#define SIOMMU_VTD_CAP_SSAD	(1u << 11)	/* second-stage A/D (ECAP.SSADS) */
/* Paging-structure cache: a cache of non-leaf entries (no register
 * reports it; see "Caches" below). */
#define SIOMMU_VTD_CAP_PSC	(1u << 12)
#define SIOMMU_VTD_CAP_ALL	0x1fbfu		/* everything except CM */

/*
 * Configuration. Zero fields take the defaults in brackets.
 * aw:         input (guest) address width, 39, 48 or 57 [48]. It sets MGAW
 *             and SAGAW (all supported widths up to aw) and, for 57, CAP.FS5LP.
 * haw:        host address width: output addresses and table pointers
 *             above it are reserved and fault [48]; 32..52.
 * pasid_bits: PASID width advertised in ECAP.PSS, 1..20 [20].
 * caps:       SIOMMU_VTD_CAP_* [SIOMMU_VTD_CAP_ALL]; 0 means the default,
 *             so a unit with no optional capability at all cannot be made.
 * iotlb_sets, iotlb_ways: IOTLB geometry; sets a power of two 1..65536,
 *             ways 1..16 [256 x 4].
 * nr_fault_records: 1..256 [8] (CAP.NFR + 1).
 * mamv:       maximum address-mask value for page-selective invalidation,
 *             1..63 [18] (CAP.MAMV).
 */
struct siommu_vtd_cfg {
	unsigned int aw;
	unsigned int haw;
	unsigned int pasid_bits;
	uint32_t caps;
	unsigned int iotlb_sets;
	unsigned int iotlb_ways;
	unsigned int nr_fault_records;
	unsigned int mamv;
};

/* Register offsets (VT-d 10.4). */
#define SIOMMU_VTD_REG_VER	0x000
#define SIOMMU_VTD_REG_CAP	0x008
#define SIOMMU_VTD_REG_ECAP	0x010
#define SIOMMU_VTD_REG_GCMD	0x018
#define SIOMMU_VTD_REG_GSTS	0x01c
#define SIOMMU_VTD_REG_RTADDR	0x020
#define SIOMMU_VTD_REG_CCMD	0x028
#define SIOMMU_VTD_REG_FSTS	0x034
#define SIOMMU_VTD_REG_FECTL	0x038
#define SIOMMU_VTD_REG_FEDATA	0x03c
#define SIOMMU_VTD_REG_FEADDR	0x040
#define SIOMMU_VTD_REG_FEUADDR	0x044
#define SIOMMU_VTD_REG_IQH	0x080
#define SIOMMU_VTD_REG_IQT	0x088
#define SIOMMU_VTD_REG_IQA	0x090
#define SIOMMU_VTD_REG_ICS	0x09c
#define SIOMMU_VTD_REG_IECTL	0x0a0
#define SIOMMU_VTD_REG_IEDATA	0x0a4
#define SIOMMU_VTD_REG_IEADDR	0x0a8
#define SIOMMU_VTD_REG_IEUADDR	0x0ac
#define SIOMMU_VTD_REG_IQER	0x0b0
#define SIOMMU_VTD_REG_PQH	0x0c0
#define SIOMMU_VTD_REG_PQT	0x0c8
#define SIOMMU_VTD_REG_PQA	0x0d0
#define SIOMMU_VTD_REG_PRS	0x0dc
#define SIOMMU_VTD_REG_PECTL	0x0e0
#define SIOMMU_VTD_REG_PEDATA	0x0e4
#define SIOMMU_VTD_REG_PEADDR	0x0e8
#define SIOMMU_VTD_REG_PEUADDR	0x0ec
#define SIOMMU_VTD_REG_IVA	0x0f0	/* IRO * 16 */
#define SIOMMU_VTD_REG_IOTLB	0x0f8
#define SIOMMU_VTD_REG_FRCD	0x220	/* FRO * 16; record i at + 16 * i */
#define SIOMMU_VTD_MMIO_SIZE	0x1000

/* GCMD / GSTS bits (VT-d 10.4.4, 10.4.5). */
#define SIOMMU_VTD_GCMD_TE	(1u << 31)
#define SIOMMU_VTD_GCMD_SRTP	(1u << 30)
#define SIOMMU_VTD_GCMD_WBF	(1u << 27)
#define SIOMMU_VTD_GCMD_QIE	(1u << 26)
/* RTADDR.TTM (bits 11:10): scalable mode (VT-d 10.4.6). */
#define SIOMMU_VTD_RTADDR_SMT	(1ull << 10)
/* FSTS bits (VT-d 10.4.9). */
#define SIOMMU_VTD_FSTS_PFO	(1u << 0)
#define SIOMMU_VTD_FSTS_PPF	(1u << 1)
#define SIOMMU_VTD_FSTS_IQE	(1u << 4)
#define SIOMMU_VTD_FSTS_ICE	(1u << 5)
#define SIOMMU_VTD_FSTS_ITE	(1u << 6)
#define SIOMMU_VTD_FSTS_FRI(x)	(((x) >> 8) & 0xff)
/* FECTL / IECTL / PECTL. */
#define SIOMMU_VTD_ECTL_IM	(1u << 31)
#define SIOMMU_VTD_ECTL_IP	(1u << 30)
/* ICS, PRS. */
#define SIOMMU_VTD_ICS_IWC	(1u << 0)
#define SIOMMU_VTD_PRS_PPR	(1u << 0)
#define SIOMMU_VTD_PRS_PRO	(1u << 1)
/* IQA. */
#define SIOMMU_VTD_IQA_DW	(1ull << 11)

/*
 * IQER.IQEI values this model reports. The specification leaves the
 * encoding of some conditions to the implementation; these are ours.
 */
#define SIOMMU_VTD_IQEI_FETCH	1	/* descriptor or status address not in RAM */
#define SIOMMU_VTD_IQEI_RSVD	2	/* reserved field set, or bad granularity */
#define SIOMMU_VTD_IQEI_TYPE	3	/* unknown or unsupported descriptor type */
#define SIOMMU_VTD_IQEI_WIDTH	4	/* 256-bit descriptor in a 128-bit queue */
#define SIOMMU_VTD_IQEI_TAIL	5	/* IQT misaligned or beyond the queue */
#define SIOMMU_VTD_IQEI_MASK	6	/* AM above CAP.MAMV */

/* Scalable-mode fault reasons (VT-d 7.1.3, table of SM fault reasons). */
enum siommu_vtd_fault_reason {
	SIOMMU_VTD_FR_NONE = 0,
	/* RTADDR.TTM reserved (10b, 11b), whatever the request; also
	 * TTM legacy (00b) for a request without PASID, as legacy-mode
	 * translation is not modelled. */
	SIOMMU_VTD_FR_RTA_INVALID = 0x30,
	SIOMMU_VTD_FR_LEGACY_PASID = 0x31,	/* TTM 00b, request with PASID */
	SIOMMU_VTD_FR_LEGACY_PRQ = 0x32,	/* TTM 00b, page request */
	SIOMMU_VTD_FR_ROOT_ACCESS = 0x38,
	SIOMMU_VTD_FR_ROOT_NP = 0x39,
	SIOMMU_VTD_FR_ROOT_RSVD = 0x3a,
	SIOMMU_VTD_FR_CTX_ACCESS = 0x40,
	SIOMMU_VTD_FR_CTX_NP = 0x41,
	SIOMMU_VTD_FR_CTX_RSVD = 0x42,
	SIOMMU_VTD_FR_CTX_DTE = 0x44,
	SIOMMU_VTD_FR_CTX_PASIDE = 0x45,
	SIOMMU_VTD_FR_CTX_PASID_RANGE = 0x46,
	SIOMMU_VTD_FR_CTX_PRE = 0x47,
	SIOMMU_VTD_FR_RID_PASID = 0x48,
	SIOMMU_VTD_FR_PDIR_ACCESS = 0x50,
	SIOMMU_VTD_FR_PDIR_NP = 0x51,
	SIOMMU_VTD_FR_PDIR_RSVD = 0x52,
	SIOMMU_VTD_FR_PTE_ACCESS = 0x58,
	SIOMMU_VTD_FR_PTE_NP = 0x59,
	SIOMMU_VTD_FR_PTE_RSVD = 0x5a,
	SIOMMU_VTD_FR_PTE_INVALID = 0x5b,
	SIOMMU_VTD_FR_ERE = 0x5c,
	SIOMMU_VTD_FR_SRE = 0x5d,
	SIOMMU_VTD_FR_FS_ACCESS = 0x70,
	SIOMMU_VTD_FR_FS_NP = 0x71,
	SIOMMU_VTD_FR_FS_RSVD = 0x72,
	/* The first-stage top table the PASID entry points to (FSPTPTR)
	 * cannot be read, or the pointer is above HAW; 0x70 is for the
	 * tables below it. */
	SIOMMU_VTD_FR_FS_ROOT_ACCESS = 0x73,
	SIOMMU_VTD_FR_NEST_FS_BEYOND = 0x74,	/* FS table GPA beyond SS width */
	SIOMMU_VTD_FR_NEST_FS_ROOT = 0x75,	/* SS denies reading the top FS table */
	SIOMMU_VTD_FR_NEST_FS_READ = 0x76,	/* SS denies reading an FS entry */
	SIOMMU_VTD_FR_NEST_FS_WRITE = 0x77,	/* SS denies the FS A/D write */
	SIOMMU_VTD_FR_SS_ACCESS = 0x78,
	SIOMMU_VTD_FR_SS_NP = 0x79,		/* SS entry with R = W = 0 */
	SIOMMU_VTD_FR_SS_RSVD = 0x7a,
	/* Likewise the second-stage top table (SSPTPTR); 0x78 is below. */
	SIOMMU_VTD_FR_SS_PTR = 0x7b,
	SIOMMU_VTD_FR_FS_CANONICAL = 0x80,
	SIOMMU_VTD_FR_FS_USER = 0x81,
	SIOMMU_VTD_FR_EXEC = 0x82,
	SIOMMU_VTD_FR_ADDR_BEYOND = 0x83,
	SIOMMU_VTD_FR_SS_OUT_BEYOND = 0x84,
	SIOMMU_VTD_FR_WRITE = 0x85,
	SIOMMU_VTD_FR_READ = 0x86,
	SIOMMU_VTD_FR_INTR_RANGE = 0x87,
	SIOMMU_VTD_FR_AD_UPDATE = 0x90,		/* A/D update could not complete */
};

/* Request access (a request may combine them; exec implies read). */
#define SIOMMU_VTD_READ		(1u << 0)
#define SIOMMU_VTD_WRITE	(1u << 1)
#define SIOMMU_VTD_EXEC		(1u << 2)

/*
 * A request from a device. @pasid_present says whether the TLP carried a
 * PASID prefix; without one the model uses the context entry's RID_PASID
 * and RID_PRIV, and @pasid and @priv are ignored.
 */
struct siommu_vtd_req {
	uint16_t rid;
	bool pasid_present;
	bool priv;		/* privileged-mode (supervisor) request */
	uint32_t pasid;
	uint64_t iova;
	uint64_t len;		/* bytes; 0 counts as 1 */
	uint32_t access;	/* SIOMMU_VTD_READ | WRITE | EXEC */
};

/*
 * Result of a translation. On success: the page [iova_base, iova_base +
 * size) maps to [addr_base, addr_base + size); addr is the translation of
 * req.iova; perm is what the mapping allows this requester
 * (SIOMMU_VTD_READ/WRITE/EXEC). On a fault: fault_reason is set and
 * fault_recorded says whether it reached the fault recording registers
 * (false when fault processing is disabled for it or the log overflowed).
 */
struct siommu_vtd_xlate {
	uint64_t addr;
	uint64_t iova_base;
	uint64_t addr_base;
	uint64_t size;
	uint32_t perm;
	uint32_t fault_reason;
	bool fault_recorded;
};

/* Interrupts of the unit (VT-d 5.1.6: fault, invalidation, page request). */
enum siommu_vtd_irq {
	SIOMMU_VTD_IRQ_FAULT,
	SIOMMU_VTD_IRQ_INV,
	SIOMMU_VTD_IRQ_PRQ,
};

/* MSI delivery: the address (xxUADDR:xxADDR) and data the guest programmed. */
typedef void (*siommu_vtd_msi_fn)(void *opaque, enum siommu_vtd_irq irq,
				  uint64_t addr, uint32_t data);

/*
 * A device-TLB invalidation (descriptor types 3 and 8, VT-d 6.5.2.5 and
 * 6.5.2.6) for one device. Translations for requests without PASID
 * (pasid_present false), or for @pasid, or for every PASID (all_pasids),
 * in [addr, addr + size) must go; all_addresses means the whole space
 * (addr and size are then 0).
 */
struct siommu_vtd_devtlb_inv {
	uint16_t rid;
	bool pasid_present;
	uint32_t pasid;
	bool all_pasids;
	bool all_addresses;
	uint64_t addr;
	uint64_t size;
};

/* A page group response (descriptor type 9, VT-d 7.7). */
struct siommu_vtd_page_resp {
	uint16_t rid;
	bool pasid_present;
	uint32_t pasid;
	uint16_t prgi;
	uint8_t code;		/* 0 success, 1 invalid request, 0xf failure */
	bool auto_response;	/* generated by the unit on queue overflow */
	uint64_t priv_data[2];
	bool priv_data_present;
};

struct siommu_vtd_dev_ops {
	void (*devtlb_inv)(void *opaque, const struct siommu_vtd_devtlb_inv *inv);
	void (*page_resp)(void *opaque, const struct siommu_vtd_page_resp *resp);
};

/* A page request (PCIe PRI) as the device reports it. */
struct siommu_vtd_page_req {
	uint16_t rid;
	bool pasid_present;
	uint32_t pasid;
	bool priv;
	uint64_t addr;		/* page address; bits 11:0 ignored */
	uint32_t access;	/* SIOMMU_VTD_READ | WRITE | EXEC */
	uint16_t prgi;		/* 9 bits */
	bool last;		/* last page in group */
	bool priv_data_present;
	uint64_t priv_data[2];
};

/* Counters. Approximate under concurrency: a count can be lost, never made up. */
struct siommu_vtd_stats {
	uint64_t iotlb_hit;
	uint64_t iotlb_miss;
	uint64_t walks;
	uint64_t faults;		/* translation faults, recorded or not */
	uint64_t faults_recorded;
	uint64_t ctx_hit, ctx_miss;
	uint64_t pasid_hit, pasid_miss;
	uint64_t inv_descriptors;	/* processed invalidation descriptors */
	uint64_t iotlb_inv_entries;	/* IOTLB entries removed */
	uint64_t waits;
	uint64_t page_requests;
	uint64_t psc_hit, psc_miss;	/* paging-structure cache, per walk */
};

/*
 * siommu_vtd_create - create a unit on @mem with configuration @cfg (NULL:
 * defaults). The unit starts as after reset: translation disabled (DMA
 * passes untranslated), queues disabled, caches empty.
 * @mem must outlive the unit. Its allocations are fallible steps of
 * siommu_mem_fail_nth(@mem).
 * Returns 0 with *out set, -EINVAL (bad configuration), -ENOMEM (nothing
 * is left allocated).
 */
int siommu_vtd_create(struct siommu_mem *mem, const struct siommu_vtd_cfg *cfg,
		      struct siommu_vtd **out);

/*
 * siommu_vtd_destroy - free the unit. Never fails. No other call on the unit
 * may be running or start.
 */
void siommu_vtd_destroy(struct siommu_vtd *v);

/*
 * siommu_vtd_set_msi - register the MSI callback (NULL: interrupts are
 * dropped, the status bits still behave). Call before the guest runs; not
 * concurrently with register accesses or translations that may fault.
 */
void siommu_vtd_set_msi(struct siommu_vtd *v, siommu_vtd_msi_fn fn, void *opaque);

/*
 * siommu_vtd_mmio_read - read @size (4 or 8) bytes at register @offset
 * (naturally aligned, below SIOMMU_VTD_MMIO_SIZE) into *val. Unimplemented
 * and reserved registers read as 0.
 * Returns 0, -EINVAL (size, alignment, offset). Thread-safe.
 */
int siommu_vtd_mmio_read(struct siommu_vtd *v, uint64_t offset, unsigned int size,
			 uint64_t *val);

/*
 * siommu_vtd_mmio_write - write @size (4 or 8) bytes of @val at @offset.
 * Read-only bits and reserved bits ignore writes; write-1-to-clear bits
 * clear. A write that gives the invalidation queue work (IQT, enabling the
 * queue, clearing FSTS.IQE) processes it before returning, so the caller's
 * thread may wait for a grace period (a wait descriptor) and runs the
 * device callbacks of the descriptors, with no lock held. One thread at a
 * time processes the queue: a write while another thread is processing it
 * (or from one of its device callbacks) only moves IQT and returns at once;
 * the processing thread takes the new descriptors, in order, after the
 * ones before them, so such a writer learns of completion from its wait
 * descriptors (status write, ICS.IWC, the completion interrupt), as on
 * hardware.
 * Returns 0, -EINVAL (size, alignment, offset); guest programming errors are
 * reported in the registers, as hardware does, not as an error here.
 * Thread-safe; may be called from the unit's callbacks, but not from a
 * siommu_vtd_access() function.
 */
int siommu_vtd_mmio_write(struct siommu_vtd *v, uint64_t offset,
			  unsigned int size, uint64_t val);

/*
 * siommu_vtd_dev_register - attach device callbacks for @rid (device-TLB
 * invalidations, page group responses). One registration per RID. The
 * callbacks run with no lock of the unit held, one descriptor at a time in
 * queue order, and may use the unit (see "Concurrency" above); the
 * descriptor they deliver takes effect when they return.
 * Returns 0, -EEXIST, -EINVAL (@ops NULL), -ENOMEM (nothing registered).
 * Thread-safe.
 */
int siommu_vtd_dev_register(struct siommu_vtd *v, uint16_t rid,
			    const struct siommu_vtd_dev_ops *ops, void *opaque);

/*
 * siommu_vtd_dev_unregister - detach @rid's callbacks; once it returns they
 * are not running and will not be called. Never fails (unknown RIDs are
 * ignored). Must not be called from one of those callbacks.
 */
void siommu_vtd_dev_unregister(struct siommu_vtd *v, uint16_t rid);

/*
 * siommu_vtd_translate - translate an untranslated request.
 * Returns 0 with *res filled; -EFAULT when the request faults (res
 * ->fault_reason, ->fault_recorded; the fault was logged per the rules of
 * VT-d 7.2); -EINVAL (access is 0 or has unknown bits, pasid above 20 bits);
 * -ENOTSUP for a request without PASID to the interrupt window
 * 0xFEEx_xxxx (interrupt requests; remapping is out of scope).
 * Translation disabled (GSTS.TES clear) translates 1:1.
 * Lock-free on an IOTLB hit; thread-safe.
 */
int siommu_vtd_translate(struct siommu_vtd *v, const struct siommu_vtd_req *req,
			 struct siommu_vtd_xlate *res);

/*
 * siommu_vtd_ats_translate - an ATS translation request (PCIe ATS 2.x):
 * the context entry must have DTE set. Configuration faults (root, context,
 * PASID structures, DTE) are logged and returned as -EFAULT; a page that is
 * not mapped or lacks the permission requested is not a fault for ATS:
 * the call returns 0 with res->perm lacking the bits (possibly 0), and the
 * device may issue a page request. The device may cache the result until a
 * device-TLB invalidation for it arrives through its callback.
 * Returns 0, -EFAULT, -EINVAL as for siommu_vtd_translate(); -ENOTSUP when
 * the unit has no SIOMMU_VTD_CAP_DT. Thread-safe.
 */
int siommu_vtd_ats_translate(struct siommu_vtd *v, const struct siommu_vtd_req *req,
			     struct siommu_vtd_xlate *res);

/*
 * siommu_vtd_dma_read / siommu_vtd_dma_write - DMA of @len bytes at
 * req->iova (req->len and req->access are ignored) to/from @buf, page by
 * page. *done (may be NULL) gets the bytes transferred before a failure;
 * on a translation fault *res (may be NULL) describes it.
 * Returns 0; -EFAULT (translation fault: res->fault_reason != 0, or the
 * translated address is not RAM: fault_reason == 0); -EINVAL; -ENOTSUP
 * (interrupt window). Thread-safe; each page's copy finishes before a
 * concurrent wait descriptor that removes its translation completes.
 */
int siommu_vtd_dma_read(struct siommu_vtd *v, const struct siommu_vtd_req *req,
			void *buf, size_t len, size_t *done,
			struct siommu_vtd_xlate *res);
int siommu_vtd_dma_write(struct siommu_vtd *v, const struct siommu_vtd_req *req,
			 const void *buf, size_t len, size_t *done,
			 struct siommu_vtd_xlate *res);

/*
 * Called by siommu_vtd_access() on each physically contiguous piece:
 * @host points at @len bytes of the page, @offset is the piece's offset
 * from req->iova. A non-zero return stops the access and is returned.
 */
typedef int (*siommu_vtd_access_fn)(void *arg, void *host, size_t len,
				    size_t offset);

/*
 * siommu_vtd_access - translate [req->iova, req->iova + req->len) for
 * req->access and run @fn on each piece while its translation cannot be
 * invalidated under it: a wait descriptor for an invalidation that removes
 * it does not complete before @fn returns. @fn runs inside an RCU read-side
 * section: it must not block for long, access this unit's registers or wait
 * for a grace period.
 * Returns 0, @fn's non-zero result, or errors as siommu_vtd_dma_read()
 * (with *res for faults). Thread-safe.
 */
int siommu_vtd_access(struct siommu_vtd *v, const struct siommu_vtd_req *req,
		      siommu_vtd_access_fn fn, void *arg,
		      struct siommu_vtd_xlate *res);

/*
 * siommu_vtd_page_request - a device's page request (VT-d 7.5). The context
 * entry must allow page requests (PRE); otherwise the fault is logged, the
 * request is answered "invalid request" if it needs an answer, and
 * -EFAULT is returned. Queued requests are written as 32-byte descriptors at
 * PQT in the page request queue and raise the page request event. When the
 * queue is full (or PRS.PRO is set) the request is dropped, PRS.PRO set, and
 * a last-in-group request is answered "success" by the unit so that the
 * device retries; returns -ENOSPC then. Responses reach the device through
 * its page_resp callback.
 * Returns 0, -EFAULT, -ENOSPC, -EINVAL, -ENOTSUP (no SIOMMU_VTD_CAP_PRS).
 * Thread-safe.
 */
int siommu_vtd_page_request(struct siommu_vtd *v,
			    const struct siommu_vtd_page_req *req);

/* siommu_vtd_get_stats - snapshot of the counters. Thread-safe. */
void siommu_vtd_get_stats(struct siommu_vtd *v, struct siommu_vtd_stats *st);

/*
 * siommu_vtd_get_cfg - the configuration in effect (defaults filled in).
 * Thread-safe.
 */
void siommu_vtd_get_cfg(struct siommu_vtd *v, struct siommu_vtd_cfg *cfg);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_VTD_H */
