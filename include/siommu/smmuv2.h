/* SPDX-License-Identifier: MIT */
/*
 * siommu/smmuv2.h - an Arm SMMUv2-style hardware model: no PASIDs, one
 * translation context per stream at a time.
 *
 * Concepts
 * --------
 * A struct siommu_smmuv2 is one SMMU attached to a physical address space
 * (siommu/mem.h), programmed only through its registers, in the layout of
 * the Arm SMMU architecture version 2 (IHI 0062), non-secure view, with the
 * AArch64 (VMSAv8-64, 4K granule) context format:
 *
 *   StreamID -> stream match registers SMR[n] (ID/MASK), the lowest
 *     matching n -> S2CR[n]: translate through context bank CBNDX, bypass,
 *     or fault
 *   -> context bank n: CBAR[n].TYPE (stage 2 only, or stage 1 with stage 2
 *     bypassed), VMID; the bank's own registers SCTLR, TCR, TCR2,
 *     TTBR0/TTBR1 (the ASID in TTBRn[63:48], TCR.A1 picks which), MAIR
 *   -> VMSAv8-64 stage-1 tables (TTBR0 for the low range of T0SZ, TTBR1
 *     for the high range of T1SZ), or stage-2 tables (TTBR0, VTCR in TCR).
 *
 * There are no stream or context tables in memory: the configuration is
 * the register file, and a register write takes effect for transactions
 * that start after it. Page tables are read from memory, in the format.
 *
 * Faults: a translation fault, access flag fault, permission fault,
 * address size fault or external abort on a walk is a context fault,
 * recorded in the bank's FSR, FAR, FSYNR0 and CBFRSYNRA (GR1) when FSR
 * holds no fault yet (else FSR.MULTI is set), with the context interrupt
 * when SCTLR.CFIE is set. SCTLR.CFCFG = 1 stalls the transaction instead
 * of terminating it: FSR.SS is set, the call returns -EAGAIN and the
 * device waits; a write of RESUME ends every transaction held on the bank
 * (TERMINATE 0: retry, 1: abort) through the stall_end callback. A fault
 * that finds FSR holding another still stalls under CFCFG, unrecorded
 * (MULTI), and writing FSR does not release it. While SS is set, a fault
 * of the bank stalls with the held ones whatever CFCFG says when
 * SCTLR.HUPCF is 0, and only by CFCFG when HUPCF is 1 (each transaction
 * processed independently of the outstanding fault). The interrupt is
 * called once per record written, where the architecture's line stays
 * asserted while FSR is not clear: a handler reads FSR again after
 * clearing what it read, or a stall behind the record it cleared waits
 * for ever. A stream that matches no SMR while sCR0.USFCFG = 1, or whose
 * S2CR says fault, is an unidentified stream fault; more than one
 * matching SMR with sCR0.SMCFCFG = 1 is a stream match conflict; an S2CR
 * naming a bank that does not exist or that the unit cannot use as
 * programmed (CBAR.TYPE 2 and 3, or stage 1 without CBA2R.VA64) is an
 * invalid context fault: global faults, recorded in sGFSR, sGFAR,
 * sGFSYNR0/1 with the global interrupt when sCR0.GFIE is set.
 * sCR0.CLIENTPD = 1 (the reset state) lets every transaction through
 * untranslated. SCTLR.CFRE and sCR0.GFRE say whether the device sees an
 * abort for a fault (res->abort) or a transaction that is silently
 * terminated.
 *
 * TLB: entries are tagged, as the architecture says, by VMID and ASID
 * (stage 1) or VMID (stage 2) and by address and level, not by stream or
 * bank, so banks sharing a VMID and ASID share entries; a stage-1 leaf
 * with nG clear is global: one entry for every ASID, removed by an
 * operation by VA whatever its ASID, not by TLBIASID. They stay until a
 * TLB maintenance operation removes them: TLBIVA, TLBIVAL, TLBIVAA,
 * TLBIVAAL, TLBIASID, TLBIALL, TLBIIPAS2, TLBIIPAS2L in a bank; TLBIVMID,
 * TLBIALLNSNH, TLBIALLH in GR0. A write of TLBSYNC (or sTLBGSYNC) returns
 * only when every earlier maintenance operation took effect and every walk,
 * DMA and access callback that started before it has finished, so
 * TLBSTATUS.SACTIVE (sTLBGSTATUS.GSACTIVE) always reads 0.
 *
 * Per-process tables on a PASID-less unit: a device whose stream uses
 * bank n (an Adreno-class GPU's command processor) switches address spaces
 * itself by writing the bank's TTBR0 (new table, new ASID in bits 63:48)
 * and CONTEXTIDR, then TLBIASID and TLBSYNC, through the same
 * siommu_smmuv2_mmio_write() as the driver. Because entries carry the ASID,
 * the driver's own TLBIASID for a process's ASID still hits its entries.
 *
 * What is not modelled: the secure state and hypervisor contexts (EL2
 * banks), extended stream IDs, stream-to-context tables (SSD), AArch32
 * context formats (ID0.PTFS = 2), 16K and 64K granules, nesting (CBAR.TYPE
 * 3; ID0.NTS = 0) and stage 1 followed by a stage-2 fault (TYPE 2), top
 * byte ignore and TCR2.SEP (addresses are the device's 64 bits, ID2.UBS
 * 64-bit), address translation operations (ID0.ATOSNS = 1: PAR reads 0),
 * memory attributes (MAIR, TRE, CBAR attributes are kept and read back),
 * HUPCF = 0 for hits (a hit carries on while its bank is stalled, as
 * under HUPCF = 1), hardware access flag and dirty updates.
 *
 * Concurrency
 * -----------
 * Translation (translate, dma_*, access) may run from any number of
 * threads, concurrently with everything except destroy. A repeated
 * translation is answered from a cache of whole translations by stream
 * and page, with no lock and no RCU section; a register write that changes
 * the configuration, and every TLB maintenance operation, end that cache's
 * entries. Anything else reads the register file through a sequence count
 * and walks inside a section of the unit's own RCU domain. Register
 * accesses are serialised by one lock per unit. Callbacks (interrupts,
 * stall end) run with no lock of the unit held and outside any read-side
 * section; they may access the registers.
 */
#ifndef SIOMMU_SMMUV2_H
#define SIOMMU_SMMUV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_smmuv2;

/* Features (struct siommu_smmuv2_cfg.features), in ID0.S1TS and S2TS. */
#define SIOMMU_SMMUV2_F_S1	(1u << 0)
#define SIOMMU_SMMUV2_F_S2	(1u << 1)
#define SIOMMU_SMMUV2_F_ALL	0x3u

/*
 * Configuration. Zero fields take the defaults in brackets.
 * features: SIOMMU_SMMUV2_F_* [both]. Without S1 every bank is a
 *           stage-2 bank (ID1.NUMS2CB = NUMCB).
 * oas:      output (and stage-2 input) address size in bits, one of 32, 36,
 *           40, 42, 44, 48 [48] (ID2.OAS, ID2.IAS).
 * sid_bits: StreamID width, 1..15 [15] (ID0.NUMSIDB).
 * num_smrg: stream match register groups, 1..128 [32] (ID0.NUMSMRG).
 * num_cb:   context banks, 1..128 [16] (ID1.NUMCB).
 * tlb_sets, tlb_ways: TLB geometry; sets a power of two 1..65536, ways
 *           1..16 [256 x 4].
 */
struct siommu_smmuv2_cfg {
	uint32_t features;
	unsigned int oas;
	unsigned int sid_bits;
	unsigned int num_smrg;
	unsigned int num_cb;
	unsigned int tlb_sets;
	unsigned int tlb_ways;
};

/*
 * Register map: 4K register pages (ID1.PAGESIZE 0); GR0 is page 0, GR1
 * page 1, and context bank n is page NUMPAGE + n with NUMPAGE 128
 * (ID1.NUMPAGENDXB 6), so the unit spans 1 MiB of MMIO.
 */
#define SIOMMU_SMMUV2_MMIO_SIZE		0x100000
#define SIOMMU_SMMUV2_CB(n)		(0x80000 + 0x1000 * (uint64_t)(n))

/* GR0. */
#define SIOMMU_SMMUV2_SCR0		0x000
#define SIOMMU_SMMUV2_SACR		0x010
#define SIOMMU_SMMUV2_IDR0		0x020
#define SIOMMU_SMMUV2_IDR1		0x024
#define SIOMMU_SMMUV2_IDR2		0x028
#define SIOMMU_SMMUV2_IDR7		0x03c
#define SIOMMU_SMMUV2_SGFAR		0x040	/* 64-bit */
#define SIOMMU_SMMUV2_SGFSR		0x048
#define SIOMMU_SMMUV2_SGFSRRESTORE	0x04c
#define SIOMMU_SMMUV2_SGFSYNR0		0x050
#define SIOMMU_SMMUV2_SGFSYNR1		0x054
#define SIOMMU_SMMUV2_SGFSYNR2		0x058
#define SIOMMU_SMMUV2_TLBIVMID		0x064
#define SIOMMU_SMMUV2_TLBIALLNSNH	0x068
#define SIOMMU_SMMUV2_TLBIALLH		0x06c
#define SIOMMU_SMMUV2_STLBGSYNC		0x070
#define SIOMMU_SMMUV2_STLBGSTATUS	0x074
#define SIOMMU_SMMUV2_SMR(n)		(0x800 + 4 * (uint64_t)(n))
#define SIOMMU_SMMUV2_S2CR(n)		(0xc00 + 4 * (uint64_t)(n))
/* GR1. */
#define SIOMMU_SMMUV2_CBAR(n)		(0x1000 + 4 * (uint64_t)(n))
#define SIOMMU_SMMUV2_CBFRSYNRA(n)	(0x1400 + 4 * (uint64_t)(n))
#define SIOMMU_SMMUV2_CBA2R(n)		(0x1800 + 4 * (uint64_t)(n))
/* Context bank, offsets from SIOMMU_SMMUV2_CB(n). */
#define SIOMMU_SMMUV2_CB_SCTLR		0x000
#define SIOMMU_SMMUV2_CB_ACTLR		0x004
#define SIOMMU_SMMUV2_CB_RESUME		0x008
#define SIOMMU_SMMUV2_CB_TCR2		0x010
#define SIOMMU_SMMUV2_CB_TTBR0		0x020	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TTBR1		0x028	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TCR		0x030
#define SIOMMU_SMMUV2_CB_CONTEXTIDR	0x034
#define SIOMMU_SMMUV2_CB_MAIR0		0x038
#define SIOMMU_SMMUV2_CB_MAIR1		0x03c
#define SIOMMU_SMMUV2_CB_PAR		0x050	/* 64-bit */
#define SIOMMU_SMMUV2_CB_FSR		0x058
#define SIOMMU_SMMUV2_CB_FSRRESTORE	0x05c
#define SIOMMU_SMMUV2_CB_FAR		0x060	/* 64-bit */
#define SIOMMU_SMMUV2_CB_FSYNR0		0x068
#define SIOMMU_SMMUV2_CB_FSYNR1		0x06c
#define SIOMMU_SMMUV2_CB_IPAFAR		0x070	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBIVA		0x600	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBIVAA	0x608	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBIASID	0x610
#define SIOMMU_SMMUV2_CB_TLBIALL	0x618
#define SIOMMU_SMMUV2_CB_TLBIVAL	0x620	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBIVAAL	0x628	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBIIPAS2	0x630	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBIIPAS2L	0x638	/* 64-bit */
#define SIOMMU_SMMUV2_CB_TLBSYNC	0x7f0
#define SIOMMU_SMMUV2_CB_TLBSTATUS	0x7f4
#define SIOMMU_SMMUV2_CB_ATS1PR		0x800	/* 64-bit */
#define SIOMMU_SMMUV2_CB_ATSR		0x8f0

/* sCR0. */
#define SIOMMU_SMMUV2_SCR0_CLIENTPD	(1u << 0)
#define SIOMMU_SMMUV2_SCR0_GFRE		(1u << 1)
#define SIOMMU_SMMUV2_SCR0_GFIE		(1u << 2)
#define SIOMMU_SMMUV2_SCR0_GCFGFRE	(1u << 4)
#define SIOMMU_SMMUV2_SCR0_GCFGFIE	(1u << 5)
#define SIOMMU_SMMUV2_SCR0_USFCFG	(1u << 10)
#define SIOMMU_SMMUV2_SCR0_VMIDPNE	(1u << 11)
#define SIOMMU_SMMUV2_SCR0_PTM		(1u << 12)
#define SIOMMU_SMMUV2_SCR0_FB		(1u << 13)
#define SIOMMU_SMMUV2_SCR0_BSU(x)	((uint32_t)(x) << 14)
#define SIOMMU_SMMUV2_SCR0_SMCFCFG	(1u << 21)
#define SIOMMU_SMMUV2_SCR0_VMID16EN	(1u << 31)
/* sGFSR. */
#define SIOMMU_SMMUV2_GFSR_ICF		(1u << 0)
#define SIOMMU_SMMUV2_GFSR_USF		(1u << 1)
#define SIOMMU_SMMUV2_GFSR_SMCF		(1u << 2)
#define SIOMMU_SMMUV2_GFSR_MULTI	(1u << 31)
/* sGFSYNR0: WNR, PNU, IND set for a write, a privileged access, an
 * instruction fetch. */
#define SIOMMU_SMMUV2_GFSYNR0_WNR	(1u << 1)
#define SIOMMU_SMMUV2_GFSYNR0_PNU	(1u << 2)
#define SIOMMU_SMMUV2_GFSYNR0_IND	(1u << 3)
/* SMR, S2CR. */
#define SIOMMU_SMMUV2_SMR_VALID		(1u << 31)
#define SIOMMU_SMMUV2_SMR_VAL(id, mask) (SIOMMU_SMMUV2_SMR_VALID | ((uint32_t)(mask) << 16) | (uint32_t)(id))
#define SIOMMU_SMMUV2_S2CR_TRANS	(0u << 16)
#define SIOMMU_SMMUV2_S2CR_BYPASS	(1u << 16)
#define SIOMMU_SMMUV2_S2CR_FAULT	(2u << 16)
#define SIOMMU_SMMUV2_S2CR_PRIV(x)	((uint32_t)(x) << 24)	/* 0 as is, 2 unpriv, 3 priv */
#define SIOMMU_SMMUV2_S2CR_INST(x)	((uint32_t)(x) << 26)	/* 0 as is, 2 data, 3 instr */
/* CBAR, CBA2R. */
#define SIOMMU_SMMUV2_CBAR_S2		(0u << 16)
#define SIOMMU_SMMUV2_CBAR_S1_BYPASS	(1u << 16)
#define SIOMMU_SMMUV2_CBAR_S1_FAULT	(2u << 16)
#define SIOMMU_SMMUV2_CBAR_NESTED	(3u << 16)
#define SIOMMU_SMMUV2_CBA2R_VA64	(1u << 0)
/* SCTLR. */
#define SIOMMU_SMMUV2_SCTLR_M		(1u << 0)
#define SIOMMU_SMMUV2_SCTLR_TRE		(1u << 1)
#define SIOMMU_SMMUV2_SCTLR_AFE		(1u << 2)
#define SIOMMU_SMMUV2_SCTLR_CFRE	(1u << 5)
#define SIOMMU_SMMUV2_SCTLR_CFIE	(1u << 6)
#define SIOMMU_SMMUV2_SCTLR_CFCFG	(1u << 7)
#define SIOMMU_SMMUV2_SCTLR_HUPCF	(1u << 8)
/* TCR (AArch64 stage 1), and as VTCR for a stage-2 bank. */
#define SIOMMU_SMMUV2_TCR_T0SZ(x)	((uint32_t)(x))
#define SIOMMU_SMMUV2_TCR_EPD0		(1u << 7)
#define SIOMMU_SMMUV2_TCR_T1SZ(x)	((uint32_t)(x) << 16)
#define SIOMMU_SMMUV2_TCR_A1		(1u << 22)
#define SIOMMU_SMMUV2_TCR_EPD1		(1u << 23)
#define SIOMMU_SMMUV2_TCR_TG1_4K	(2u << 30)
#define SIOMMU_SMMUV2_VTCR_SL0(x)	((uint32_t)(x) << 6)
#define SIOMMU_SMMUV2_VTCR_PS(x)	((uint32_t)(x) << 16)
/* TCR2. */
#define SIOMMU_SMMUV2_TCR2_PASIZE(x)	((uint32_t)(x))
#define SIOMMU_SMMUV2_TCR2_AS		(1u << 4)
/* TTBRn ASID field. */
#define SIOMMU_SMMUV2_TTBR_ASID(a)	((uint64_t)(uint16_t)(a) << 48)
/* FSR. */
#define SIOMMU_SMMUV2_FSR_TF		(1u << 1)
#define SIOMMU_SMMUV2_FSR_AFF		(1u << 2)
#define SIOMMU_SMMUV2_FSR_PF		(1u << 3)
#define SIOMMU_SMMUV2_FSR_EF		(1u << 4)
#define SIOMMU_SMMUV2_FSR_ASF		(1u << 7)
#define SIOMMU_SMMUV2_FSR_SS		(1u << 30)
#define SIOMMU_SMMUV2_FSR_MULTI		(1u << 31)
#define SIOMMU_SMMUV2_FSR_FAULT		0x800001feu	/* the fault bits, MULTI */
/* FSYNR0: the lookup level; WNR, PNU, IND as in sGFSYNR0. */
#define SIOMMU_SMMUV2_FSYNR0_PLVL(r)	((r) & 3u)
#define SIOMMU_SMMUV2_FSYNR0_WNR	(1u << 4)
#define SIOMMU_SMMUV2_FSYNR0_PNU	(1u << 5)
#define SIOMMU_SMMUV2_FSYNR0_IND	(1u << 6)
/* RESUME. */
#define SIOMMU_SMMUV2_RESUME_TERMINATE	(1u << 0)

/* Request access: a combination; EXEC is an instruction fetch. */
#define SIOMMU_SMMUV2_READ	(1u << 0)
#define SIOMMU_SMMUV2_WRITE	(1u << 1)
#define SIOMMU_SMMUV2_EXEC	(1u << 2)

/* A transaction from a device. */
struct siommu_smmuv2_req {
	uint32_t sid;		/* StreamID, below 2^sid_bits */
	bool priv;		/* privileged (unless S2CR.PRIVCFG overrides) */
	uint64_t iova;
	uint64_t len;		/* bytes; 0 counts as 1 */
	uint32_t access;	/* SIOMMU_SMMUV2_READ | WRITE | EXEC */
};

/*
 * Result of a translation. On success: [iova_base, iova_base + size) maps
 * to [addr_base, addr_base + size); addr is the translation of req.iova;
 * perm is what the mapping allows this requester. On a fault: global says
 * which register set describes it, fsr is the FSR bit (a context fault of
 * bank cb) or the sGFSR bit (a global fault), recorded says whether the
 * record was written (not when a fault was already pending: MULTI), abort
 * whether the device sees an abort (SCTLR.CFRE, sCR0.GFRE) rather than a
 * silent termination, and stalled whether the transaction is held.
 */
struct siommu_smmuv2_xlate {
	uint64_t addr;
	uint64_t iova_base;
	uint64_t addr_base;
	uint64_t size;
	uint32_t perm;
	uint32_t fsr;
	int cb;
	bool global;
	bool recorded;
	bool abort;
	bool stalled;
};

/* Interrupt lines: the global fault interrupt and one context interrupt
 * per bank (ID0.NUMIRPT 1; CBAR.IRPTNDX is kept, the line is the bank). */
enum siommu_smmuv2_irq {
	SIOMMU_SMMUV2_IRQ_GLOBAL,
	SIOMMU_SMMUV2_IRQ_CONTEXT,
};

/*
 * Callbacks. irq: a fault was recorded with its interrupt enabled (@cb is
 * the bank for a context interrupt, -1 for the global one). stall_end: a
 * write of bank @cb's RESUME ended the transactions held on it; @retry:
 * issue them again, else they are aborted. Both run with no lock of the
 * unit held, on the thread that faulted or wrote RESUME.
 */
struct siommu_smmuv2_ops {
	void (*irq)(void *opaque, enum siommu_smmuv2_irq irq, int cb);
	void (*stall_end)(void *opaque, unsigned int cb, bool retry);
};

/* Counters. Approximate under concurrency: a count can be lost, never made up. */
struct siommu_smmuv2_stats {
	uint64_t tlb_hit;
	uint64_t tlb_miss;
	uint64_t walks;
	uint64_t faults;		/* transactions that faulted */
	uint64_t context_faults;	/* records written to a bank's FSR */
	uint64_t global_faults;		/* records written to sGFSR */
	uint64_t tlb_inv_entries;	/* TLB entries removed */
	uint64_t tlb_ops;		/* TLB maintenance operations */
	uint64_t syncs;
	uint64_t stalls;
};

/*
 * siommu_smmuv2_create - create a unit on @mem with configuration @cfg
 * (NULL: defaults). The unit starts as after reset: sCR0.CLIENTPD set
 * (every transaction bypasses), SMRs invalid, S2CRs fault, banks disabled,
 * TLB empty. @mem must outlive it. Returns 0 with *out set, -EINVAL (bad
 * configuration), -ENOMEM. Its allocations are fallible steps of
 * siommu_mem_fail_nth(@mem); a failed create leaves nothing behind.
 */
int siommu_smmuv2_create(struct siommu_mem *mem, const struct siommu_smmuv2_cfg *cfg,
			 struct siommu_smmuv2 **out);

/* siommu_smmuv2_destroy - free the unit. Never fails. No other call on the
 * unit may be running or start. NULL is ignored. */
void siommu_smmuv2_destroy(struct siommu_smmuv2 *s);

/* siommu_smmuv2_set_ops - register the callbacks (NULL: none). Call
 * before devices run; not concurrently with any other call on the unit. */
void siommu_smmuv2_set_ops(struct siommu_smmuv2 *s, const struct siommu_smmuv2_ops *ops,
			   void *opaque);

/*
 * siommu_smmuv2_mmio_read - read @size (4 or 8) bytes at register @offset
 * (naturally aligned, below SIOMMU_SMMUV2_MMIO_SIZE) into *val. A 64-bit
 * read of two 32-bit registers returns both; reserved offsets, banks and
 * groups beyond the configuration read 0. Returns 0, -EINVAL (size,
 * alignment, offset). Thread-safe.
 */
int siommu_smmuv2_mmio_read(struct siommu_smmuv2 *s, uint64_t offset, unsigned int size,
			    uint64_t *val);

/*
 * siommu_smmuv2_mmio_write - write @size (4 or 8) bytes of @val at
 * @offset. Read-only and reserved bits and registers ignore writes; FSR
 * and sGFSR are write-1-to-clear (FSR.SS is cleared by RESUME). TLB
 * maintenance takes effect in the write; a write of TLBSYNC or sTLBGSYNC
 * waits for a grace period of the unit's translations, and a write of
 * RESUME calls stall_end before it returns. Returns 0, -EINVAL (size,
 * alignment, offset); programming errors are the registers' to report, as
 * in hardware. Thread-safe; must not be called from a siommu_smmuv2_access()
 * function.
 */
int siommu_smmuv2_mmio_write(struct siommu_smmuv2 *s, uint64_t offset, unsigned int size,
			     uint64_t val);

/*
 * siommu_smmuv2_translate - translate a transaction. Returns 0 with *res
 * filled; -EFAULT when it faulted (res describes the fault); -EAGAIN when
 * it stalled (res->stalled; the device waits for stall_end); -EINVAL
 * (access 0 or unknown bits, sid beyond sid_bits). Lock-free on a cached
 * translation; thread-safe.
 */
int siommu_smmuv2_translate(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
			    struct siommu_smmuv2_xlate *res);

/*
 * siommu_smmuv2_dma_read / siommu_smmuv2_dma_write - DMA of @len bytes at
 * req->iova (req->len and req->access are ignored) to/from @buf, page by
 * page. *done (may be NULL) gets the bytes transferred before a failure;
 * on a fault *res (may be NULL) describes it. Returns 0, -EFAULT (faulted,
 * or the output is not RAM: res->fsr 0), -EAGAIN (stalled), -EINVAL.
 * Thread-safe; each page's copy finishes before a concurrent TLBSYNC that
 * follows an invalidation of it returns.
 */
int siommu_smmuv2_dma_read(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
			   void *buf, size_t len, size_t *done,
			   struct siommu_smmuv2_xlate *res);
int siommu_smmuv2_dma_write(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
			    const void *buf, size_t len, size_t *done,
			    struct siommu_smmuv2_xlate *res);

/* Called by siommu_smmuv2_access() on each physically contiguous piece:
 * @host points at @len bytes, @offset is the piece's offset from req->iova.
 * A non-zero return stops the access and is returned. */
typedef int (*siommu_smmuv2_access_fn)(void *arg, void *host, size_t len, size_t offset);

/*
 * siommu_smmuv2_access - translate [req->iova, req->iova + req->len) for
 * req->access and run @fn on each piece while its translation cannot be
 * invalidated under it: a TLBSYNC after an invalidation that removes it
 * does not return before @fn does. @fn runs inside an RCU read-side
 * section: it must not block for long nor access this unit's registers.
 * Returns 0, @fn's non-zero result, or errors as siommu_smmuv2_dma_read().
 * Thread-safe.
 */
int siommu_smmuv2_access(struct siommu_smmuv2 *s, const struct siommu_smmuv2_req *req,
			 siommu_smmuv2_access_fn fn, void *arg,
			 struct siommu_smmuv2_xlate *res);

/* siommu_smmuv2_get_stats - snapshot of the counters. Thread-safe. */
void siommu_smmuv2_get_stats(struct siommu_smmuv2 *s, struct siommu_smmuv2_stats *st);

/* siommu_smmuv2_get_cfg - the configuration in effect (defaults filled
 * in). Thread-safe. */
void siommu_smmuv2_get_cfg(struct siommu_smmuv2 *s, struct siommu_smmuv2_cfg *cfg);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_SMMUV2_H */
