/* SPDX-License-Identifier: MIT */
/*
 * The command queue (SMMUv3 4): commands are consumed in order from CONS
 * to PROD inside the register write that makes them visible. A command
 * the unit cannot execute stops the queue at that entry with its error in
 * CMDQ_CONS.ERR and GERROR.CMDQ_ERR active (SMMUv3 7.1); acknowledging it
 * through GERRORN resumes at CONS.
 *
 * CMD_SYNC (4.7.3) completes after every earlier command, and after every
 * walk, DMA and access callback that began before it: invalidations mark
 * need_sync, and the SYNC waits for a grace period of the model's RCU.
 *
 * Device callbacks (CMD_ATC_INV, CMD_PRI_RESP, CMD_RESUME and
 * CMD_STALL_TERM) and CMD_SYNC's MSI run with no lock of the unit held: a
 * device may retry its DMA from them, translate through ATS, issue a page
 * request, and the interrupt handlers those raise may read and write the
 * registers. One thread at a time processes the queue (cmdq_busy); it
 * drops the register lock around each callback, with CONS still at the
 * command, and moves CONS past it once the callback has returned (a
 * SYNC's MSI is sent once CONS is past the SYNC: both say it completed).
 * A CMDQ_PROD write meanwhile, from the callback itself or another
 * thread, only moves PROD: the processing thread takes the new commands
 * in order when it is back. So commands still take effect in queue order,
 * and a CMD_SYNC completes only after the callbacks of every command
 * before it returned. Clearing CMDQEN while a callback runs (after which
 * software may move CONS, and set CMDQEN again) bumps cmdq_epoch: the
 * processing thread then leaves CONS alone and starts over from what the
 * registers say.
 */
#include <errno.h>
#include <string.h>

#include "hw/smmuv3/smmuv3_internal.h"

enum {
	CMD_PREFETCH_CONFIG = 0x01,
	CMD_PREFETCH_ADDR = 0x02,
	CMD_CFGI_STE = 0x03,
	CMD_CFGI_STE_RANGE = 0x04,	/* CMD_CFGI_ALL: Range 31 */
	CMD_CFGI_CD = 0x05,
	CMD_CFGI_CD_ALL = 0x06,
	CMD_TLBI_NH_ALL = 0x10,
	CMD_TLBI_NH_ASID = 0x11,
	CMD_TLBI_NH_VA = 0x12,
	CMD_TLBI_NH_VAA = 0x13,
	CMD_TLBI_S12_VMALL = 0x28,
	CMD_TLBI_S2_IPA = 0x2a,
	CMD_TLBI_NSNH_ALL = 0x30,
	CMD_ATC_INV = 0x40,
	CMD_PRI_RESP = 0x41,
	CMD_RESUME = 0x44,
	CMD_STALL_TERM = 0x45,
	CMD_SYNC = 0x46,
};

#define CMD_SID(d0)	((uint32_t)((d0) >> 32))
#define CMD_SSID(d0)	((uint32_t)FIELD(d0, 31, 12))
#define CMD_SSV		BIT64(11)
#define CMD_SSEC	BIT64(10)
#define CMD_VMID(d0)	((uint16_t)FIELD(d0, 47, 32))
#define CMD_ASID(d0)	((uint16_t)FIELD(d0, 63, 48))

/*
 * The address range of a TLBI by address (SMMUv3 4.4.1.1): with RIL and
 * TG != 0, (NUM + 1) * 2^SCALE granules of TG from the address; else the
 * one address (entries containing it go). Leaf and TTL only narrow what
 * must go; the model removes leaf entries only and ignores the hints.
 */
static void tlbi_range(struct siommu_smmuv3 *s, uint64_t d0, uint64_t d1, uint64_t addr,
		       struct tlb_match *m)
{
	unsigned int tg = FIELD(d1, 11, 10);
	unsigned int num = FIELD(d0, 16, 12), scale = FIELD(d0, 24, 20);

	m->match_range = true;
	m->first = addr;
	m->last = addr;
	if ((s->cfg.features & SIOMMU_SMMUV3_F_RIL) && tg) {
		unsigned int shift = scale + (tg == 1 ? 12 : tg == 2 ? 14 : 16);
		uint64_t len = (uint64_t)(num + 1) << shift;

		m->first = addr & ~((1ull << (tg == 1 ? 12 : tg == 2 ? 14 : 16)) - 1);
		if (__builtin_add_overflow(m->first, len - 1, &m->last))
			m->last = ~0ull;
	}
}

static uint16_t cmd_vmid(struct siommu_smmuv3 *s, uint64_t d0)
{
	uint16_t vmid = CMD_VMID(d0);

	return s->cfg.vmid_bits == 8 ? vmid & 0xff : vmid;
}

static uint16_t cmd_asid(struct siommu_smmuv3 *s, uint64_t d0)
{
	uint16_t asid = CMD_ASID(d0);

	return s->cfg.asid_bits == 8 ? asid & 0xff : asid;
}

/* What a command asks of a device, or CMD_SYNC's MSI: done once the
 * register lock is dropped. */
struct cmd_call {
	enum { CALL_NONE, CALL_ATC_INV, CALL_PRI_RESP, CALL_STALL_END, CALL_SYNC_MSI } kind;
	union {
		struct siommu_smmuv3_atc_inv inv;
		struct siommu_smmuv3_pri_resp resp;
		struct {
			uint32_t sid;
			uint16_t stag;
			bool all, retry;
		} stall;
		struct {
			uint64_t addr;
			uint32_t data;
		} msi;
	};
};

static void cmd_sync(struct siommu_smmuv3 *s, uint64_t d0, uint64_t d1,
		     struct cmd_call *call)
{
	unsigned int cs = FIELD(d0, 13, 12);

	if (s->need_sync) {
		smmu_sync(s);
		s->need_sync = false;
	}
	smmu_stat_inc(s, ST_SYNC);
	/* CS: 0 none, 1 signal IRQ (an MSI when MSIAddr is set), 2 SEV
	 * (no processor events here). */
	if (cs == 1) {
		call->kind = CALL_SYNC_MSI;
		call->msi.addr = d1 & GENMASK64(51, 2);
		call->msi.data = (uint32_t)(d0 >> 32);
	}
}

/* Execute one command; returns a CERROR_* code. A command for a device,
 * and a SYNC's MSI, fill *call instead of running. lock held. */
static unsigned int cmd_exec(struct siommu_smmuv3 *s, uint64_t d0, uint64_t d1,
			     struct cmd_call *call)
{
	uint32_t f = s->cfg.features;
	bool has_s1 = f & SIOMMU_SMMUV3_F_S1, has_s2 = f & SIOMMU_SMMUV3_F_S2;
	struct tlb_match m = { 0 };
	uint32_t sid = CMD_SID(d0);

	/* Secure streams do not exist in the non-secure queue. */
	if (d0 & CMD_SSEC)
		return SIOMMU_SMMUV3_CERROR_ILL;
	switch (d0 & 0xff) {
	case CMD_PREFETCH_CONFIG:
	case CMD_PREFETCH_ADDR:
		/* Hints: the configuration is fetched when used. */
		return 0;
	case CMD_CFGI_STE:
		smmu_ste_inv(s, sid, sid);
		break;
	case CMD_CFGI_STE_RANGE: {
		unsigned int range = FIELD(d1, 4, 0);

		if (range == 31) {
			smmu_ste_inv(s, 0, UINT32_MAX);
		} else {
			uint32_t n = 2u << range;

			smmu_ste_inv(s, sid & ~(n - 1), (sid & ~(n - 1)) + (n - 1));
		}
		break;
	}
	case CMD_CFGI_CD:
		smmu_cd_inv(s, sid, false, CMD_SSID(d0));
		break;
	case CMD_CFGI_CD_ALL:
		smmu_cd_inv(s, sid, true, 0);
		break;
	case CMD_TLBI_NH_ALL:
	case CMD_TLBI_NH_ASID:
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VAA:
		/* Stage-1 commands need stage 1: without it they are
		 * CERROR_ILL (SMMUv3 4.4). VMID scopes them when stage 2
		 * exists. */
		if (!has_s1)
			return SIOMMU_SMMUV3_CERROR_ILL;
		m.s1 = true;
		m.match_vmid = has_s2;
		m.vmid = cmd_vmid(s, d0);
		m.match_asid = (d0 & 0xff) == CMD_TLBI_NH_ASID || (d0 & 0xff) == CMD_TLBI_NH_VA;
		m.asid = cmd_asid(s, d0);
		if ((d0 & 0xff) >= CMD_TLBI_NH_VA)
			tlbi_range(s, d0, d1, va_canon(d1 & GENMASK64(63, 12)), &m);
		smmu_tlb_inv(s, &m);
		break;
	case CMD_TLBI_S12_VMALL:
	case CMD_TLBI_S2_IPA:
		if (!has_s2)
			return SIOMMU_SMMUV3_CERROR_ILL;
		m.s2 = true;
		m.s1 = (d0 & 0xff) == CMD_TLBI_S12_VMALL;
		m.match_vmid = true;
		m.vmid = cmd_vmid(s, d0);
		if ((d0 & 0xff) == CMD_TLBI_S2_IPA)
			tlbi_range(s, d0, d1, d1 & GENMASK64(51, 12), &m);
		smmu_tlb_inv(s, &m);
		break;
	case CMD_TLBI_NSNH_ALL:
		m.all = true;
		smmu_tlb_inv(s, &m);
		break;
	case CMD_ATC_INV: {
		struct siommu_smmuv3_atc_inv inv = {
			.sid = sid, .ssv = d0 & CMD_SSV, .ssid = CMD_SSID(d0),
			.global = d0 & BIT64(9),
		};
		unsigned int size = FIELD(d1, 5, 0);

		if (!(f & SIOMMU_SMMUV3_F_ATS))
			return SIOMMU_SMMUV3_CERROR_ILL;
		if (!inv.ssv)
			inv.ssid = 0;
		/* Size: 2^Size 4K pages, the address aligned to the span. */
		if (size >= 52) {
			inv.addr = 0;
			inv.size = ~0ull;
		} else {
			inv.size = 4096ull << size;
			inv.addr = (d1 & GENMASK64(63, 12)) & ~(inv.size - 1);
		}
		call->kind = CALL_ATC_INV;
		call->inv = inv;
		return 0;
	}
	case CMD_PRI_RESP: {
		struct siommu_smmuv3_pri_resp r = {
			.sid = sid, .ssv = d0 & CMD_SSV, .ssid = CMD_SSID(d0),
			.prgi = (uint16_t)FIELD(d1, 8, 0), .resp = (uint8_t)FIELD(d1, 13, 12),
		};

		if (!(f & SIOMMU_SMMUV3_F_PRI) || r.resp == 3)
			return SIOMMU_SMMUV3_CERROR_ILL;
		if (!r.ssv)
			r.ssid = 0;
		call->kind = CALL_PRI_RESP;
		call->resp = r;
		return 0;
	}
	case CMD_RESUME: {
		unsigned int action = FIELD(d0, 13, 12);

		if (!(f & SIOMMU_SMMUV3_F_STALL) || action == 3)
			return SIOMMU_SMMUV3_CERROR_ILL;
		/* Action 1 retries; 0 (terminate) and 2 (abort) end it. A
		 * tag that is not stalled is ignored (SMMUv3 4.6.2). */
		call->kind = CALL_STALL_END;
		call->stall.sid = sid;
		call->stall.all = false;
		call->stall.stag = (uint16_t)d1;
		call->stall.retry = action == 1;
		return 0;
	}
	case CMD_STALL_TERM:
		if (!(f & SIOMMU_SMMUV3_F_STALL))
			return SIOMMU_SMMUV3_CERROR_ILL;
		call->kind = CALL_STALL_END;
		call->stall.sid = sid;
		call->stall.all = true;
		call->stall.stag = 0;
		call->stall.retry = false;
		return 0;
	case CMD_SYNC:
		if (FIELD(d0, 13, 12) == 3)
			return SIOMMU_SMMUV3_CERROR_ILL;
		cmd_sync(s, d0, d1, call);
		return 0;
	default:
		/* Unknown opcodes, and EL2/EL3 invalidations (no IDR0.HYP,
		 * no secure side). */
		return SIOMMU_SMMUV3_CERROR_ILL;
	}
	s->need_sync = true;
	return 0;
}

/*
 * Make @call with the register lock dropped, after delivering the
 * interrupts gathered so far (an error or event before a later command's
 * callback is signalled before it runs).
 */
static void cmd_call_unlocked(struct siommu_smmuv3 *s, const struct cmd_call *call,
			      unsigned int *msi)
{
	unsigned int pending = *msi;

	*msi = 0;
	pthread_mutex_unlock(&s->lock);
	smmu_msi_deliver(s, pending);
	switch (call->kind) {
	case CALL_ATC_INV:
		smmu_dev_atc_inv(s, &call->inv);
		break;
	case CALL_PRI_RESP:
		smmu_dev_pri_resp(s, &call->resp);
		break;
	case CALL_STALL_END:
		smmu_stall_end(s, call->stall.sid, call->stall.all, call->stall.stag,
			       call->stall.retry);
		break;
	case CALL_SYNC_MSI:
		smmu_msi_send(s, SIOMMU_SMMUV3_IRQ_SRC_SYNC, call->msi.addr, call->msi.data);
		break;
	case CALL_NONE:
		break;
	}
	pthread_mutex_lock(&s->lock);
}

/* Whether a command error stops the queue (SMMUv3 7.1). */
static bool cmdq_stopped(struct siommu_smmuv3 *s)
{
	bool stopped;

	pthread_mutex_lock(&s->q_lock);
	stopped = (s->gerror ^ s->gerrorn) & SIOMMU_SMMUV3_GERROR_CMDQ_ERR;
	pthread_mutex_unlock(&s->q_lock);
	return stopped;
}

/* The queue from CONS to PROD; its registers are read anew after each
 * callback. lock held, dropped around callbacks. */
static void cmdq_run(struct siommu_smmuv3 *s, unsigned int *msi)
{
	struct smmu_queue *q = &s->cmdq;
	/* Only this thread raises CMDQ_ERR; acknowledging it takes the
	 * register lock: it can change only while a callback runs. */
	bool stopped = cmdq_stopped(s);

	for (;;) {
		struct cmd_call call = { .kind = CALL_NONE };
		uint64_t cmd[2], epoch = s->cmdq_epoch;
		unsigned int err;

		/* Without callbacks PROD cannot move meanwhile, so this ends
		 * within a lap; a callback's PROD write adds what it adds. */
		if (!(s->cr0 & SIOMMU_SMMUV3_CR0_CMDQEN) || stopped || q_empty(q))
			return;
		if (siommu_mem_read(s->mem, q_addr(q) + (uint64_t)q_idx(q, q->cons) * 16,
				    cmd, sizeof(cmd)))
			err = SIOMMU_SMMUV3_CERROR_ABT;
		else
			err = cmd_exec(s, cmd[0], cmd[1], &call);
		if (err) {
			q->cons = (q->cons & ~(0x7fu << 24)) | err << 24;
			pthread_mutex_lock(&s->q_lock);
			smmu_gerror_raise(s, SIOMMU_SMMUV3_GERROR_CMDQ_ERR, msi);
			pthread_mutex_unlock(&s->q_lock);
			return;
		}
		smmu_stat_inc(s, ST_CMD);
		if (call.kind == CALL_SYNC_MSI) {
			/* Complete: consumed, then signalled. Without an MSI
			 * callback the signal is a memory write alone, which
			 * needs no lock dropped. */
			q->cons = q_inc(q, q->cons);
			if (!s->msi_fn) {
				smmu_msi_send(s, SIOMMU_SMMUV3_IRQ_SRC_SYNC, call.msi.addr,
					      call.msi.data);
				continue;
			}
			cmd_call_unlocked(s, &call, msi);
			stopped = cmdq_stopped(s);
			continue;
		}
		if (call.kind != CALL_NONE) {
			cmd_call_unlocked(s, &call, msi);
			stopped = cmdq_stopped(s);
			/* The queue was disabled meanwhile: CONS is no
			 * longer ours to move. */
			if (s->cmdq_epoch != epoch)
				continue;
		}
		q->cons = q_inc(q, q->cons);
	}
}

void smmu_cmdq_process(struct siommu_smmuv3 *s, unsigned int *msi)
{
	if (s->cmdq_busy)
		return;
	s->cmdq_busy = true;
	cmdq_run(s, msi);
	s->cmdq_busy = false;
}
