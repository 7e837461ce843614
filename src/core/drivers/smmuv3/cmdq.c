/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 driver's command queue (SMMUv3 3.5, 4): commands encoded with
 * siommu/smmuv3_build.h, handed to the unit through CMDQ_PROD, waited for
 * through a CMD_SYNC (its MSI write to a status word where the unit has
 * MSIs, else CMDQ_CONS passing it); a stopped queue (GERROR.CMDQ_ERR,
 * SMMUv3 7.1) recovered. And what uses it: domain flushes and page
 * responses.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include "core/drv_wait.h"
#include "core/drivers/smmuv3/smmuv3_drv.h"

static uint32_t q_mask(const struct smmu_drv_queue *q)
{
	return (2u << q->log2) - 1;	/* index and wrap bit */
}

static void cmdq_write(struct smmu_drv_unit *u, const uint64_t cmd[2])
{
	struct smmu_drv_queue *q = &u->cmdq;
	uint64_t slot = q->pa + (uint64_t)(u->cmdq_prod & ((1u << q->log2) - 1)) * 16;

	siommu_mem_write(u->mem, slot, cmd, 16);
	u->cmdq_prod = (u->cmdq_prod + 1) & q_mask(q);
	u->cmdq_pending++;
	__atomic_store_n(&u->n_cmd, u->n_cmd + 1, __ATOMIC_RELAXED);
}

/* Hand what is queued to the unit (a test may corrupt it first). */
static void cmdq_submit(struct smmu_drv_unit *u)
{
	struct smmu_drv_queue *q = &u->cmdq;

	if (unlikely(u->cmdq_hook && u->cmdq_pending))
		u->cmdq_hook(u->cmdq_arg, q->pa,
			     (u->cmdq_prod - u->cmdq_pending) & ((1u << q->log2) - 1),
			     u->cmdq_pending);
	/* The entries are in memory before the doorbell (a release
	 * barrier on real hardware; the write below is one here). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CMDQ_PROD, u->cmdq_prod);
	u->cmdq_pending = 0;
}

static bool cmdq_stopped(struct smmu_drv_unit *u)
{
	return (smmu_drv_rd32(u, SIOMMU_SMMUV3_GERROR) ^
		smmu_drv_rd32(u, SIOMMU_SMMUV3_GERRORN)) & SIOMMU_SMMUV3_GERROR_CMDQ_ERR;
}

/* Queue a CMD_SYNC and submit; its sequence number (MSIData). */
static uint32_t cmdq_push_sync(struct smmu_drv_unit *u)
{
	struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_SYNC };
	uint64_t cmd[2];

	c.msi_data = ++u->sync_seq;
	if (u->msi) {
		c.cs = SIOMMU_SMMUV3_SYNC_CS_IRQ;
		c.msi_addr = u->sync_pa;
	}
	siommu_smmuv3_cmd_encode(&c, cmd);
	cmdq_write(u, cmd);
	cmdq_submit(u);
	return c.msi_data;
}

/* Whether CMD_SYNC @seq completed: its MSI wrote @seq to the status
 * word, or (without MSIs) CMDQ_CONS passed it. One read. */
static bool cmdq_synced(struct smmu_drv_unit *u, uint32_t seq)
{
	/* The unit's MSI is one 32-bit write, which a thread processing
	 * the queue may make while this one polls. */
	if (u->msi)
		return __atomic_load_n(u->sync_word, __ATOMIC_ACQUIRE) == seq;
	return (smmu_drv_rd32(u, SIOMMU_SMMUV3_CMDQ_CONS) & q_mask(&u->cmdq)) ==
	       u->cmdq_prod;
}

/*
 * The wait when the SYNC had not completed by the time the CMDQ_PROD
 * write returned. The model consumes the queue inside that write, but not
 * always ours: a thread that was processing already, held up in a device
 * callback (ATC invalidation, page response) that may run for seconds,
 * takes our commands after its own, as a real unit completes later. So the
 * wait gives up only once CMDQ_CONS has not moved for DRV_WAIT_STALL_NS
 * (core/drv_wait.h), not after a count of polls.
 */
static __attribute__((noinline)) int cmdq_wait_poll(struct smmu_drv_unit *u, uint32_t seq)
{
	struct drv_stall st = DRV_STALL_INIT;

	for (;;) {
		if (cmdq_stopped(u))
			return -EIO;
		if (drv_stall_due(&st) &&
		    drv_stall_expired(&st, smmu_drv_rd32(u, SIOMMU_SMMUV3_CMDQ_CONS)))
			return -ETIMEDOUT;
		sched_yield();
		if (cmdq_synced(u, seq))
			return 0;
	}
}

/*
 * Wait for CMD_SYNC @seq. 0, -EIO (the queue stopped on an error) or
 * -ETIMEDOUT (cmdq_wait_poll()). A SYNC the unit completed within the
 * PROD write costs one read.
 */
static int cmdq_wait(struct smmu_drv_unit *u, uint32_t seq)
{
	if (likely(cmdq_synced(u, seq)))
		return 0;
	return cmdq_wait_poll(u, seq);
}

static void push_global(struct smmu_drv_unit *u)
{
	static const struct siommu_smmuv3_cmd all[2] = {
		{ .op = SIOMMU_SMMUV3_CMD_CFGI_STE_RANGE, .range = 31 },
		{ .op = SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL },
	};
	uint64_t cmd[2];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		siommu_smmuv3_cmd_encode(&all[i], cmd);
		cmdq_write(u, cmd);
	}
}

/*
 * Bring a stopped queue back (SMMUv3 7.1, as arm_smmu_cmdq_skip_err()
 * does): the unit stopped at CONS on a command it refused (CERROR_ILL),
 * could not read (CERROR_ABT) or an ATC invalidation that timed out
 * (CERROR_ATC_INV_SYNC). What it was to remove cannot be known, so it is
 * replaced by TLBI_NSNH_ALL, and acknowledging GERROR.CMDQ_ERR through
 * GERRORN resumes the queue there; the caller then invalidates every
 * configuration cache and TLB entry too, a superset of whatever the
 * refused command asked (but for an ATC invalidation or a page response,
 * which have no global form: those are lost, and counted). Caller holds
 * q_lock.
 */
static void cmdq_recover(struct smmu_drv_unit *u)
{
	struct smmu_drv_queue *q = &u->cmdq;
	uint32_t cons = smmu_drv_rd32(u, SIOMMU_SMMUV3_CMDQ_CONS);
	const struct siommu_smmuv3_cmd nsnh = { .op = SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL };
	uint64_t cmd[2];

	siommu_smmuv3_cmd_encode(&nsnh, cmd);
	siommu_mem_write(u->mem, q->pa + (uint64_t)(cons & ((1u << q->log2) - 1)) * 16,
			 cmd, 16);
	__atomic_store_n(&u->n_inv_err, u->n_inv_err + 1, __ATOMIC_RELAXED);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_GERRORN,
		      (smmu_drv_rd32(u, SIOMMU_SMMUV3_GERRORN) ^ SIOMMU_SMMUV3_GERROR_CMDQ_ERR));
}

/*
 * Last resort for a queue that does not recover: disable it, acknowledge
 * the error, empty it and enable it again (SMMUv3 6.3.9: CMDQ_PROD and
 * CONS are software's while CMDQEN is clear), then invalidate everything.
 * Caller holds q_lock. 0, or -EIO if the unit does not come back.
 */
static int cmdq_reset(struct smmu_drv_unit *u)
{
	uint32_t cr0 = smmu_drv_rd32(u, SIOMMU_SMMUV3_CR0);
	unsigned int i;

	__atomic_store_n(&u->n_inv_err, u->n_inv_err + 1, __ATOMIC_RELAXED);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CR0, cr0 & ~SIOMMU_SMMUV3_CR0_CMDQEN);
	for (i = 0; i < SMMU_DRV_POLL_LIMIT; i++)
		if (!(smmu_drv_rd32(u, SIOMMU_SMMUV3_CR0ACK) & SIOMMU_SMMUV3_CR0_CMDQEN))
			break;
	if (cmdq_stopped(u))
		smmu_drv_wr32(u, SIOMMU_SMMUV3_GERRORN,
			      smmu_drv_rd32(u, SIOMMU_SMMUV3_GERRORN) ^
			      SIOMMU_SMMUV3_GERROR_CMDQ_ERR);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CMDQ_PROD, 0);
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CMDQ_CONS, 0);
	u->cmdq_prod = 0;
	u->cmdq_pending = 0;
	smmu_drv_wr32(u, SIOMMU_SMMUV3_CR0, cr0 | SIOMMU_SMMUV3_CR0_CMDQEN);
	for (i = 0; i < SMMU_DRV_POLL_LIMIT; i++)
		if (smmu_drv_rd32(u, SIOMMU_SMMUV3_CR0ACK) & SIOMMU_SMMUV3_CR0_CMDQEN)
			break;
	if (i == SMMU_DRV_POLL_LIMIT)
		return -EIO;
	push_global(u);
	return cmdq_wait(u, cmdq_push_sync(u));
}

/* Recoveries tried before the queue is reset. */
#define CMDQ_RECOVER_MAX 4

/*
 * Submit what is queued plus a CMD_SYNC and wait for it. A stopped queue
 * is recovered and a new SYNC submitted until one completes (a SYNC
 * completes only after every command before it); if it does not recover,
 * it is reset with a global invalidation. Either way every earlier
 * command has taken effect, or something stronger has, when this returns
 * 0. Caller holds q_lock.
 */
static int cmdq_sync(struct smmu_drv_unit *u)
{
	unsigned int tries;
	int ret;

	ret = cmdq_wait(u, cmdq_push_sync(u));
	for (tries = 0; ret && tries < CMDQ_RECOVER_MAX; tries++) {
		if (cmdq_stopped(u))
			cmdq_recover(u);
		push_global(u);
		ret = cmdq_wait(u, cmdq_push_sync(u));
	}
	if (ret)
		ret = cmdq_reset(u);
	if (!ret)
		__atomic_store_n(&u->n_sync, u->n_sync + 1, __ATOMIC_RELAXED);
	return ret;
}

static void cmdq_sync_counted(struct smmu_drv_unit *u)
{
	if (cmdq_sync(u))
		__atomic_store_n(&u->n_inv_err, u->n_inv_err + 1, __ATOMIC_RELAXED);
}

void smmu_drv_cmd_raw(struct smmu_drv_unit *u, const uint64_t cmd[2])
{
	/* Keep room for the SYNC that ends every batch and for the two
	 * commands and SYNC a recovery adds. */
	if (u->cmdq_pending >= (1u << u->cmdq.log2) - 4)
		cmdq_sync_counted(u);
	cmdq_write(u, cmd);
}

void smmu_drv_cmd(struct smmu_drv_unit *u, const struct siommu_smmuv3_cmd *c)
{
	uint64_t cmd[2];

	siommu_smmuv3_cmd_encode(c, cmd);
	smmu_drv_cmd_raw(u, cmd);
}

void smmu_drv_cmdq_run(struct smmu_drv_unit *u, void (*fill)(struct smmu_drv_unit *, void *),
		       void *arg)
{
	/* Device callbacks run in this thread from here on, and the
	 * reports the drain makes of what they raised (smmuv3_drv.h). */
	core_queue_enter();
	fifo_lock(&u->q_lock);
	fill(u, arg);
	cmdq_sync_counted(u);
	fifo_unlock(&u->q_lock);
	smmu_drv_drain_pending(u);
	core_queue_exit();
}

static void fill_all(struct smmu_drv_unit *u, void *arg)
{
	(void)arg;
	push_global(u);
}

void smmu_drv_inv_all(struct smmu_drv_unit *u)
{
	smmu_drv_cmdq_run(u, fill_all, NULL);
}

void smmu_drv_cmd_inv_tag(struct smmu_drv_unit *u, uint16_t asid, uint16_t vmid)
{
	struct siommu_smmuv3_cmd c = { .asid = asid, .vmid = vmid };

	c.op = asid ? SIOMMU_SMMUV3_CMD_TLBI_NH_ASID : SIOMMU_SMMUV3_CMD_TLBI_S12_VMALL;
	smmu_drv_cmd(u, &c);
}

/* A range wider than this many pages is invalidated by tag. */
#define SMMU_DRV_INV_PAGES_MAX 256

/*
 * Invalidate [start, last] under (asid, vmid): stage 1 (asid non-zero)
 * with TLBI_NH_VA, stage 2 with TLBI_S2_IPA; as ranges of (NUM + 1) <<
 * SCALE pages where the unit has RIL (SMMUv3 4.4.1.1, the decomposition
 * of arm_smmu_tlb_inv_range_cmd()), else page by page; by ASID or VMID
 * when the range is large.
 */
static void inv_range(struct smmu_drv_unit *u, uint16_t asid, uint16_t vmid,
		      const struct iommu_gather *g)
{
	struct siommu_smmuv3_cmd c = { .asid = asid, .vmid = vmid, .leaf = g->leaf_only };
	uint64_t start = g->start & ~0xfffull, pages;

	c.op = asid ? SIOMMU_SMMUV3_CMD_TLBI_NH_VA : SIOMMU_SMMUV3_CMD_TLBI_S2_IPA;
	if (g->last < start || ((g->last - start) >> 12) >= SMMU_DRV_INV_PAGES_MAX) {
		smmu_drv_cmd_inv_tag(u, asid, vmid);
		return;
	}
	pages = ((g->last - start) >> 12) + 1;
	c.addr = start;
	if (u->ril) {
		c.tg = 1;				/* 4K */
		while (pages) {
			unsigned int scale = (unsigned int)__builtin_ctzll(pages);
			uint64_t num = (pages >> scale) & 31;

			c.scale = scale;
			c.num = (unsigned int)num - 1;
			smmu_drv_cmd(u, &c);
			c.addr += num << (scale + 12);
			pages -= num << scale;
		}
		return;
	}
	for (; pages; pages--, c.addr += 4096)
		smmu_drv_cmd(u, &c);
}

/* ATC invalidation of [start, last] for @att's substream on each of the
 * device's StreamIDs: the smallest aligned block of 2^Size pages holding
 * both ends (SMMUv3 4.5.2), the whole space past 2^52 pages. */
static void inv_atc(struct smmu_drv_unit *u, const struct smmu_drv_att *att,
		    uint64_t start, uint64_t last)
{
	const struct smmu_drv_dev *d = att->dev->drv;
	struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_ATC_INV,
				       .ssv = att->pasid != 0, .ssid = att->pasid };
	unsigned int size, i;

	for (size = 0; size < 52; size++)
		if ((start >> (12 + size)) == (last >> (12 + size)))
			break;
	c.size = size;
	c.addr = size < 52 ? (start >> (12 + size)) << (12 + size) : 0;
	for (i = 0; i < d->nr_sids; i++) {
		c.sid = d->sid[i];
		smmu_drv_cmd(u, &c);
	}
}

struct dom_flush {
	struct siommu_domain *dom;
	struct smmu_drv_dom *sd;
	const struct iommu_gather *g;
};

static void fill_dom_flush(struct smmu_drv_unit *u, void *arg)
{
	const struct dom_flush *f = arg;
	bool s1 = f->dom->stage == SIOMMU_STAGE_FIRST;
	struct smmu_drv_att *att;

	/* Stage 1 translations of our STEs are tagged VMID 0. */
	inv_range(u, s1 ? f->sd->tag : 0, s1 ? 0 : f->sd->tag, f->g);
	cds_list_for_each_entry(att, &f->sd->atts, node) {
		/* A replace in flight: also the temporary tag. */
		if (att->alt)
			inv_range(u, s1 ? att->alt_asid : 0, att->alt_vmid, f->g);
		if (att->dev->cfg.flags & SIOMMU_DEV_ATS)
			inv_atc(u, att, f->g->start, f->g->last);
	}
}

void smmu_drv_iotlb_sync(struct siommu_unit *unit, struct siommu_domain *dom,
			 const struct iommu_gather *g)
{
	struct dom_flush f = { dom, smmu_drv_dom(dom, unit), g };

	smmu_drv_cmdq_run(smmu_drv_unit(unit), fill_dom_flush, &f);
}

void smmu_drv_flush_all(struct siommu_unit *unit, struct siommu_domain *dom)
{
	const struct iommu_gather g = { 0, UINT64_MAX, false };

	smmu_drv_iotlb_sync(unit, dom, &g);
}

struct pri_resp {
	const struct iommu_page_response *r;
	unsigned int n;
};

/* The command that answers @r: CMD_RESUME for a stalled transaction
 * (SMMUv3 4.6.2: retry once the page is in, else abort, and the device
 * sees the fault), CMD_PRI_RESP for a page request group (4.6.1: Resp 0
 * invalid, 1 failure, 2 success). */
static void page_resp_cmd(const struct iommu_page_response *r, struct siommu_smmuv3_cmd *c)
{
	const struct iommu_page_request *q = &r->req;

	if (q->stall) {
		*c = (struct siommu_smmuv3_cmd){
			.op = SIOMMU_SMMUV3_CMD_RESUME, .sid = q->rid, .stag = q->grpid,
			.action = r->code == IOMMU_PAGE_RESP_SUCCESS ? 1 : 2,
		};
		return;
	}
	*c = (struct siommu_smmuv3_cmd){
		.op = SIOMMU_SMMUV3_CMD_PRI_RESP, .sid = q->rid,
		.ssv = q->pasid_present, .ssid = q->pasid_present ? q->pasid : 0,
		.prgi = q->grpid,
		.resp = r->code == IOMMU_PAGE_RESP_SUCCESS ? 2 :
			r->code == IOMMU_PAGE_RESP_INVALID ? 0 : 1,
	};
}

static void fill_page_resp(struct smmu_drv_unit *u, void *arg)
{
	const struct pri_resp *p = arg;
	struct siommu_smmuv3_cmd c;
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		page_resp_cmd(&p->r[i], &c);
		smmu_drv_cmd(u, &c);
	}
}

void smmu_drv_page_response(struct siommu_unit *unit,
			    const struct iommu_page_response *r, unsigned int n)
{
	struct pri_resp p = { r, n };

	if (!n)
		return;
	/* Never from inside our own queue submission: an interrupt raised
	 * there is drained after q_lock is released (smmuv3_drv.h). The
	 * unit calls the device's response callback inside the PROD write. */
	smmu_drv_cmdq_run(smmu_drv_unit(unit), fill_page_resp, &p);
}
