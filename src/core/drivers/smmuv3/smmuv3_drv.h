/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 driver, behind struct iommu_ops (smmuv3_iommu_ops). It
 * programs the unit the way Linux's arm-smmu-v3 programs real hardware:
 * registers through siommu_smmuv3_mmio_*() and structures in memory, in
 * the formats of the SMMUv3 architecture (IHI 0070: 5.2 STE, 5.4 CD, 3.4
 * stream tables, 4 commands, 7.3 events, 8.1 PRI queue), encoded with the
 * public encoders of siommu/smmuv3_build.h. It never looks inside the
 * model.
 *
 * Files: unit.c brings the unit up and down and answers the core's
 * questions (info, stats, domain shapes); tables.c owns the stream table,
 * the CD tables, ASIDs/VMIDs and attach; cmdq.c the command queue, the
 * flushes and page responses; events.c the event and PRI queues;
 * viommu.c the vIOMMUs a user slices the unit into.
 *
 * Objects (the core's opaque pointers):
 *   - struct smmu_drv_unit: siommu_unit.drv;
 *   - struct smmu_drv_dev: siommu_device.drv: its StreamIDs (the RID and
 *     an alias) and its CD table;
 *   - struct smmu_drv_dom: siommu_domain.drv[unit index]: the domain's
 *     ASID (stage 1) or VMID (stage 2) on the unit and its attachments
 *     there (struct smmu_drv_att), which every flush of the domain covers.
 *
 * Entry shapes. With stage 1 implemented, a device's STE points at its CD
 * table (Config S1) while the table is of use, and the RID's traffic
 * follows STE.S1DSS: SSID0 (CD 0 holds the RID's stage-1 domain), BYPASS
 * (identity, on a device with substreams) or TERMINATE (blocked while
 * PASIDs are attached, F_STREAM_DISABLED recorded). A blocked RID without
 * PASIDs is an abort STE (Config 0b000: aborted, no event recorded, as
 * Linux's blocked domain does), identity without substreams a bypass
 * one. A stage-2 domain at the RID makes the STE a stage-2 one (Config
 * S2), which has no substreams, so it excludes PASID attachments both
 * ways (-EINVAL). Without stage 1 the STE is abort, bypass or stage 2.
 *
 * Replace without a blocked window (Linux's arm_smmu_write_entry idea).
 * An entry (STE or CD) moves to its target through steps that each
 * change at most one 64-bit word the unit reads in the current shape,
 * the words it does not read going first; each step is made visible with
 * CMD_CFGI_* and CMD_SYNC, so the unit sees the old entry, then a mix
 * that translates exactly as one of the two, then the new one. Two
 * shapes differ in more than one read word only when their tag differs
 * too (the CD's ASID and TTB0, the STE's VMID and Config or S2TTB; the
 * geometry, T0SZ and SL0, is fixed per unit and stage for that reason):
 * the driver then goes through a temporary tag of its own, private to
 * the entry, taken at prepare: old entry -> old tables under the
 * temporary tag -> new tables under it -> new entry, one word each. While
 * the temporary tag is in use, flushes of both domains name it too
 * (smmu_drv_att.alt), and it is invalidated before it is freed. No step
 * blocks DMA, and no step lets another device's translations be cached
 * under a tag it shares (TLB entries are not tagged by StreamID). EATS
 * may change with the words nobody reads (tables.c: ste_safe()). One
 * pair of shapes still differs in two read words under one tag: two
 * stage-1 CD table STEs with different S1DSS or S1STALLD, which only a
 * guest's STE (a nested domain) against the host's or another guest STE
 * can be; that replace goes through V = 0, as Linux's does.
 *
 * Nested domains (viommu.c) are tagged by their vIOMMU's VMID, which
 * they do not own: the last attachment of one invalidates the VMID's
 * TLB entries instead of freeing it.
 *
 * Locking. Configuration (everything in tables.c, the ID maps) runs under
 * the core's ctx->lock. A smmu_drv_dom's attachment list and each
 * attachment's alt tag change under ctx->lock and the domain's dom->lock;
 * flushes read them under dom->lock. q_lock protects the command queue
 * and what follows it in struct smmu_drv_unit, taken after dom->lock; it
 * is granted in the order it is asked for (util/fifo_lock.h), so a thread
 * that flushes back to back cannot keep a replace waiting.
 * evt_lock serialises draining the event queue, pri_lock the PRI queue;
 * neither is held across a call into the core's reporting functions.
 * Counters are written with atomic stores by their lock's holder and read
 * by the stats call with atomic loads and no lock.
 *
 * Interrupts raised inside the driver's own register write. The unit runs
 * commands inside the write of CMDQ_PROD (or GERRORN), device callbacks
 * included (ATC invalidation, PRI response), in the writer's thread,
 * which holds q_lock; a callback that issues DMA or a page request makes
 * the unit raise an event or PRI interrupt in that same thread. The
 * driver marks its register writes in a thread-local variable; an
 * interrupt handler that finds itself inside one records the queue as
 * pending and returns, and the writer drains the pending queues once it
 * has released q_lock. So no page response is ever issued by the q_lock
 * holder.
 *
 * Calls from device callbacks. The whole of smmu_drv_cmdq_run(), the
 * drain included, is marked as queue processing for the core
 * (core_queue_enter()): the thread may hold q_lock, dom->lock or
 * ctx->lock there, and a call into the library from a device callback or
 * from a fault handler the drain runs is refused with -EDEADLK (a detach
 * is deferred) instead of taking them again.
 */
#ifndef SIOMMU_SMMUV3_DRV_H
#define SIOMMU_SMMUV3_DRV_H

#include <siommu/smmuv3.h>
#include <siommu/smmuv3_build.h>

#include "core/core_internal.h"
#include "util/fifo_lock.h"

#define BIT64(n) (1ull << (n))
#define GENMASK64(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))

/* STE fields (SMMUv3 5.2), as the driver writes them and as a guest's
 * STE carries them (viommu.c). */
#define STE0_V		BIT64(0)
#define STE0_CFG	GENMASK64(3, 1)
#define STE0_S1		(GENMASK64(5, 4) | GENMASK64(51, 6) | GENMASK64(63, 59))
#define STE1_S1		(GENMASK64(7, 0) | BIT64(27))	/* S1DSS, CD fetch attrs, S1STALLD */
#define STE1_EATS	GENMASK64(29, 28)
#define STE1_COMMON	(STE1_EATS | GENMASK64(45, 44))	/* EATS, SHCFG */
#define STE2_VMID	GENMASK64(15, 0)

/*
 * Polls of a register acknowledgement (CR0ACK, IRQ_CTRLACK, GBPA.Update)
 * before it is taken for lost. A count is enough there: the unit
 * completes those updates within the register write (SMMUv3 6.3.9), under
 * its register lock, never behind a device callback; the CMD_SYNC wait,
 * which can be, is bounded by time without progress instead (cmdq.c).
 */
#define SMMU_DRV_POLL_LIMIT 1000000
#define SMMU_DRV_STRTAB_SPLIT 8		/* 256 STEs per level-2 table */
#define SMMU_DRV_CD_L2_BITS 10		/* 1024 CDs per level-2 CD table */

/*
 * Test hook (not exported): called with q_lock held just before the
 * driver hands commands to the unit (a CMDQ_PROD write), with the queue's
 * base PA, the index of the first new command and their number (16 bytes
 * each, the last one a CMD_SYNC), so that a test can corrupt one and make
 * the unit stop the queue. NULL removes it. Set it while nothing runs on
 * the unit.
 */
typedef void smmu_drv_cmdq_hook_fn(void *arg, uint64_t q_pa, unsigned int first,
				   unsigned int n);
void smmu_drv_cmdq_hook_set(struct siommu_unit *unit, smmu_drv_cmdq_hook_fn *fn,
			    void *arg);

/*
 * Test hook (not exported): called after each step of an STE or CD update
 * is visible to the unit (its CMD_CFGI_* and CMD_SYNC done), still holding
 * ctx->lock, so that a test can issue DMA against every intermediate
 * entry of a replace. NULL removes it. Set it while nothing attaches on
 * the unit.
 */
typedef void smmu_drv_step_hook_fn(void *arg);
void smmu_drv_step_hook_set(struct siommu_unit *unit, smmu_drv_step_hook_fn *fn, void *arg);

/* Queues the driver reads, drained on interrupt (pending bits). */
enum { SMMU_PEND_EVTQ = 1, SMMU_PEND_PRIQ = 2 };

struct smmu_drv_queue {
	uint64_t pa;
	unsigned int log2;
	uint32_t cons;			/* index and wrap bit */
};

struct smmu_drv_unit {
	struct siommu_unit *unit;
	struct siommu_smmuv3 *hw;
	struct siommu_mem *mem;
	bool s1, s2, ats, pri, stall, ril, st2l, cd2l, msi, asid16, vmid16;
	unsigned int sid_bits, ssid_bits, oas, ips;
	unsigned int s2_ias;		/* every stage-2 domain's width */
	/* Stream table: linear, or level 1 with level-2 tables per 256
	 * StreamIDs (l2_pa, l2_users: STEs in use in each). */
	bool st_2lvl;
	unsigned int st_log2;
	uint64_t st_pa, st_size;
	uint64_t *l2_pa;
	uint16_t *l2_users;
	/* ASIDs (stage 1) and VMIDs (stage 2); 0 reserved in both. */
	uint64_t *asid_map, *vmid_map;
	uint64_t n_ids;			/* in use; read with an atomic */
	struct fifo_lock q_lock;
	struct smmu_drv_queue cmdq;
	uint32_t cmdq_prod;
	unsigned int cmdq_pending;	/* written since the last CMD_SYNC */
	uint64_t sync_pa;		/* CMD_SYNC's MSI lands here */
	uint32_t *sync_word;		/* its host address: atomic loads */
	uint32_t sync_seq;
	uint64_t n_cmd, n_sync, n_inv_err;
	smmu_drv_cmdq_hook_fn *cmdq_hook;
	void *cmdq_arg;
	smmu_drv_step_hook_fn *step_hook;	/* configuration: ctx->lock */
	void *step_arg;
	pthread_mutex_t evt_lock;
	struct smmu_drv_queue evtq;
	uint64_t n_fault;
	/* Threads that read stall events and have not finished reporting
	 * them as page requests (atomic): a drain waits for them. */
	unsigned int stall_reporting;
	pthread_mutex_t pri_lock;
	struct smmu_drv_queue priq;
	uint64_t n_page_req;
	/* Threads that moved PRIQ_CONS and have not finished reporting
	 * what they read (atomic): a drain waits for them. */
	unsigned int pri_reporting;
	unsigned int pending;		/* SMMU_PEND_*, atomic */
};

/* Per device: its StreamIDs and CD table. */
struct smmu_drv_dev {
	uint32_t sid[2];
	unsigned int nr_sids;		/* 2 with an alias RID */
	unsigned int cd_bits;		/* S1CDMax */
	bool cd_2lvl;
	uint64_t cd_pa, cd_size;	/* linear table, or level 1 */
	uint64_t *cd_l2;		/* level-2 tables (2-level) */
	unsigned int nr_pasids;		/* PASID attachments (not the RID) */
	struct siommu_domain *rid_dom;	/* NULL: blocked */
};

/* A domain on one unit: its tag while attached through the unit. */
struct smmu_drv_dom {
	uint16_t tag;			/* ASID (stage 1) or VMID (stage 2) */
	unsigned int users;		/* attachments through the unit */
	struct cds_list_head atts;	/* smmu_drv_att.node */
};

/* One attachment (dev, pasid) of a domain, as its flushes see it. */
struct smmu_drv_att {
	struct cds_list_head node;
	struct siommu_device *dev;
	uint32_t pasid;
	/* While a replace through a temporary tag is in flight: the
	 * domain's translations may also be cached under (alt_asid,
	 * alt_vmid) for this entry, so its flushes name that too. */
	bool alt;
	uint16_t alt_asid, alt_vmid;
	/* The temporary tag prepare took for the replace (0: none), an
	 * ASID for a CD, a VMID for an STE. */
	uint16_t tmp_asid, tmp_vmid;
};

static inline struct smmu_drv_unit *smmu_drv_unit(struct siommu_unit *unit)
{
	return unit->drv;
}

static inline struct smmu_drv_dom *smmu_drv_dom(struct siommu_domain *dom,
						struct siommu_unit *unit)
{
	return dom->drv[unit->index];
}

/* A vIOMMU (viommu.c): a VMID of the unit's for one user's (a VM's)
 * translations, which its nested domains' STEs carry. */
struct smmu_drv_viommu {
	struct smmu_drv_unit *u;
	uint16_t vmid;
};

/* A nested domain (siommu_domain.drv_dom): the guest's STE words as
 * checked (S1 fields only; EATS taken out into @ats), from @vs. */
struct smmu_drv_nested {
	struct smmu_drv_viommu *vs;
	uint64_t ste[2];
	bool ats;			/* the guest enabled ATS (EATS 1) */
};

static inline bool smmu_dom_nested(const struct siommu_domain *dom)
{
	return dom && dom->type == SIOMMU_DOMAIN_NESTED;
}

/* A domain with a table the unit walks and a tag: a paging domain, or an
 * SVA domain on a process's Arm64 table (stage 1, a CD of its own). */
static inline bool smmu_dom_paging(const struct siommu_domain *dom)
{
	return dom && (dom->type == SIOMMU_DOMAIN_PAGING || dom->type == SIOMMU_DOMAIN_SVA);
}

static inline bool smmu_dom_s2(const struct siommu_domain *dom)
{
	return smmu_dom_paging(dom) && dom->stage == SIOMMU_STAGE_SECOND;
}

/* Registers (unit.c). A write is marked as the driver's own (see the
 * interrupts paragraph above). */
uint32_t smmu_drv_rd32(struct smmu_drv_unit *u, unsigned int off);
void smmu_drv_wr32(struct smmu_drv_unit *u, unsigned int off, uint32_t val);
void smmu_drv_wr64(struct smmu_drv_unit *u, unsigned int off, uint64_t val);
/* Whether this thread is inside a register write of @u's. */
bool smmu_drv_in_write(const struct smmu_drv_unit *u);
/* Can the unit walk @dom? 0, -EOPNOTSUPP (type or stage), -EINVAL. */
int smmu_drv_domain_check(struct smmu_drv_unit *u, const struct siommu_domain *dom);
/* The input width of stage-1 domains. */
#define SMMU_DRV_S1_IAS 48

/* The command queue (cmdq.c). */
/*
 * Queue one command; when the queue is nearly full, submit and wait
 * first. Caller holds q_lock.
 */
void smmu_drv_cmd(struct smmu_drv_unit *u, const struct siommu_smmuv3_cmd *c);
/* The same for a command already in its two little-endian words. */
void smmu_drv_cmd_raw(struct smmu_drv_unit *u, const uint64_t cmd[2]);
/*
 * Run a batch built by @fill under q_lock, submit it with a CMD_SYNC and
 * wait; then drain the queues whose interrupts were raised inside it. All
 * of it between core_queue_enter() and core_queue_exit(). Queue errors
 * are recovered and counted; never fails.
 */
void smmu_drv_cmdq_run(struct smmu_drv_unit *u, void (*fill)(struct smmu_drv_unit *, void *),
		       void *arg);
/* Invalidate every configuration cache and TLB entry, and wait. */
void smmu_drv_inv_all(struct smmu_drv_unit *u);
void smmu_drv_iotlb_sync(struct siommu_unit *unit, struct siommu_domain *dom,
			 const struct iommu_gather *g);
void smmu_drv_flush_all(struct siommu_unit *unit, struct siommu_domain *dom);
/* Queue the invalidation of every TLB entry under (asid, vmid) (stage 1,
 * asid non-zero) or vmid (stage 2, asid 0). Caller holds q_lock. */
void smmu_drv_cmd_inv_tag(struct smmu_drv_unit *u, uint16_t asid, uint16_t vmid);
/* Answer @n page request groups with CMD_PRI_RESP, and wait. */
void smmu_drv_page_response(struct siommu_unit *unit,
			    const struct iommu_page_response *r, unsigned int n);

/* Events (events.c): the MSI handler, and the drain of what interrupts
 * raised inside the driver's own writes left pending. */
void smmu_drv_msi(void *opaque, enum siommu_smmuv3_irq irq, uint64_t addr, uint32_t data);
void smmu_drv_drain_pending(struct smmu_drv_unit *u);
/* ops->page_req_drain: every request the PRI queue holds, and every one
 * another thread read before this call, reported; under ctx->lock. */
void smmu_drv_page_req_drain(struct siommu_unit *unit);

/* A VMID of the unit's (0 reserved): 0, -ENOSPC. Its free invalidates
 * what the TLBs hold under it first. Under ctx->lock. */
int smmu_drv_vmid_alloc(struct smmu_drv_unit *u, uint16_t *vmid);
void smmu_drv_vmid_free(struct smmu_drv_unit *u, uint16_t vmid);

/* vIOMMUs and nested domains (viommu.c). */
int smmu_drv_domain_init_nested(struct siommu_unit *unit, struct siommu_domain *dom,
				struct siommu_domain *parent, void *viommu, uint32_t data_type,
				const void *data, size_t len);
void smmu_drv_domain_fini(struct siommu_domain *dom);
int smmu_drv_viommu_init(struct siommu_unit *unit, uint32_t type,
			 struct siommu_domain *parent, void **out);
void smmu_drv_viommu_fini(struct siommu_unit *unit, void *viommu);
int smmu_drv_viommu_invalidate(struct siommu_unit *unit, void *viommu,
			       struct iommu_user_array *a, iommu_vdev_lookup_fn *lookup,
			       void *arg);

/* Tables and attach (tables.c). */
int smmu_drv_tables_init(struct smmu_drv_unit *u);
void smmu_drv_tables_fini(struct smmu_drv_unit *u);
int smmu_drv_dev_probe(struct siommu_device *dev);
void smmu_drv_dev_release(struct siommu_device *dev);
int smmu_drv_attach_prepare(struct siommu_device *dev, uint32_t pasid,
			    struct siommu_domain *dom, void *att);
void smmu_drv_attach_commit(struct siommu_device *dev, uint32_t pasid,
			    struct siommu_domain *old, void *old_att,
			    struct siommu_domain *dom, void *att);
void smmu_drv_attach_abort(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *dom, void *att);
void smmu_drv_attach_quiesce(struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom, void *att);

#endif
