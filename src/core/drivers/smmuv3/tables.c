/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 driver's tables: the stream table (linear or 2-level, SMMUv3
 * 3.4), per-device CD tables (linear or 2-level, 3.4.2, 5.3), ASIDs and
 * VMIDs, and attach. Entries move between shapes without a blocked window
 * (smmuv3_drv.h: "Replace without a blocked window").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/pt.h>

#include "core/drivers/smmuv3/smmuv3_drv.h"

/* CD words the unit reads (SMMUv3 5.4); the STE's are in smmuv3_drv.h. */
#define CD0_V		BIT64(31)
#define CD1_TTB0	GENMASK64(51, 4)

/* Stream table ---------------------------------------------------------- */

static uint64_t pow2_size(uint64_t bytes)
{
	uint64_t size = SIOMMU_SZ_4K;

	while (size < bytes)
		size <<= 1;
	return size;
}

int smmu_drv_tables_init(struct smmu_drv_unit *u)
{
	unsigned int n_l1;

	/* StreamIDs are RIDs: 16 bits at most. 2-level where the unit has
	 * it and the space is larger than one level-2 table, as Linux
	 * chooses; level-2 tables come with the devices. */
	u->st_log2 = u->sid_bits < 16 ? u->sid_bits : 16;
	u->st_2lvl = u->st2l && u->st_log2 > SMMU_DRV_STRTAB_SPLIT;
	if (!u->st_2lvl) {
		u->st_size = pow2_size(64ull << u->st_log2);
		return siommu_mem_frame_alloc(u->mem, u->st_size, SIOMMU_MEM_HW, &u->st_pa);
	}
	n_l1 = 1u << (u->st_log2 - SMMU_DRV_STRTAB_SPLIT);
	u->st_size = pow2_size(8ull * n_l1);
	if (mem_should_fail(u->mem))
		return -ENOMEM;
	u->l2_pa = calloc(n_l1, sizeof(*u->l2_pa));
	u->l2_users = calloc(n_l1, sizeof(*u->l2_users));
	if (!u->l2_pa || !u->l2_users)
		return -ENOMEM;		/* unit_free() frees what was taken */
	return siommu_mem_frame_alloc(u->mem, u->st_size, SIOMMU_MEM_HW, &u->st_pa);
}

void smmu_drv_tables_fini(struct smmu_drv_unit *u)
{
	unsigned int i;

	if (u->l2_pa)
		for (i = 0; i < 1u << (u->st_log2 - SMMU_DRV_STRTAB_SPLIT); i++)
			if (u->l2_pa[i])
				siommu_mem_frame_free(u->mem, u->l2_pa[i],
						      64ull << SMMU_DRV_STRTAB_SPLIT,
						      SIOMMU_MEM_HW);
	if (u->st_pa)
		siommu_mem_frame_free(u->mem, u->st_pa, u->st_size, SIOMMU_MEM_HW);
	free(u->l2_pa);
	free(u->l2_users);
}

static uint64_t ste_pa(const struct smmu_drv_unit *u, uint32_t sid)
{
	if (!u->st_2lvl)
		return u->st_pa + (uint64_t)sid * 64;
	return u->l2_pa[sid >> SMMU_DRV_STRTAB_SPLIT] +
	       (uint64_t)(sid & ((1u << SMMU_DRV_STRTAB_SPLIT) - 1)) * 64;
}

/* One more user of @sid's level-2 table, created (every STE invalid,
 * V = 0) and linked on first use. */
static int ste_get(struct smmu_drv_unit *u, uint32_t sid)
{
	unsigned int i = sid >> SMMU_DRV_STRTAB_SPLIT;
	uint64_t pa;
	int ret;

	if (!u->st_2lvl)
		return 0;
	if (!u->l2_pa[i]) {
		ret = siommu_mem_frame_alloc(u->mem, 64ull << SMMU_DRV_STRTAB_SPLIT,
					     SIOMMU_MEM_HW, &pa);
		if (ret)
			return ret;
		u->l2_pa[i] = pa;
		/* An invalid descriptor is never cached: no CFGI needed. */
		siommu_mem_store64(u->mem, u->st_pa + 8ull * i,
				   siommu_smmuv3_l1std_encode(pa, SMMU_DRV_STRTAB_SPLIT + 1));
	}
	u->l2_users[i]++;
	return 0;
}

static void fill_cfgi_ste(struct smmu_drv_unit *u, void *arg)
{
	const struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_CFGI_STE,
					     .sid = *(const uint32_t *)arg, .leaf = true };

	smmu_drv_cmd(u, &c);
}

static void fill_cfgi_l2(struct smmu_drv_unit *u, void *arg)
{
	/* Every StreamID of the level-2 table: a range of 2^(7 + 1). */
	const struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_CFGI_STE_RANGE,
					     .sid = *(const uint32_t *)arg,
					     .range = SMMU_DRV_STRTAB_SPLIT - 1 };

	smmu_drv_cmd(u, &c);
}

/* Drop a user of @sid's level-2 table; the last unlinks and frees it,
 * after a CMD_SYNC that waits for the walks that read it. */
static void ste_put(struct smmu_drv_unit *u, uint32_t sid)
{
	unsigned int i = sid >> SMMU_DRV_STRTAB_SPLIT;

	if (!u->st_2lvl || --u->l2_users[i])
		return;
	siommu_mem_store64(u->mem, u->st_pa + 8ull * i, 0);
	smmu_drv_cmdq_run(u, fill_cfgi_l2, &sid);
	siommu_mem_frame_free(u->mem, u->l2_pa[i], 64ull << SMMU_DRV_STRTAB_SPLIT,
			      SIOMMU_MEM_HW);
	u->l2_pa[i] = 0;
}

/* Hitless entry updates ------------------------------------------------- */

/* How one kind of entry is read and made visible. @safe (optional): bits
 * both shapes read that may still change in the first step, with the
 * words nobody reads. */
struct entry_kind {
	void (*used)(const struct smmu_drv_unit *u, const uint64_t w[4], uint64_t used[4]);
	void (*safe)(const uint64_t cur[4], const uint64_t target[4], uint64_t safe[4]);
	void (*fill_sync)(struct smmu_drv_unit *u, void *arg);
};

/* The STE bits the unit reads in the shape @w has (SMMUv3 5.2). */
static void ste_used(const struct smmu_drv_unit *u, const uint64_t w[4], uint64_t used[4])
{
	unsigned int config = (unsigned int)((w[0] & STE0_CFG) >> 1);

	memset(used, 0, 4 * sizeof(*used));
	used[0] = STE0_V;
	if (!(w[0] & STE0_V))
		return;
	used[0] |= STE0_CFG;
	switch (config) {
	case SIOMMU_SMMUV3_STE_BYPASS:
		used[1] = STE1_COMMON;
		used[2] = u->s2 ? STE2_VMID : 0;
		break;
	case SIOMMU_SMMUV3_STE_S1:
		used[0] |= STE0_S1;
		used[1] = STE1_COMMON | STE1_S1;
		used[2] = u->s2 ? STE2_VMID : 0;
		break;
	case SIOMMU_SMMUV3_STE_S2:
		used[1] = STE1_COMMON;
		used[2] = ~0ull;
		used[3] = ~0ull;
		break;
	case SIOMMU_SMMUV3_STE_NESTED:
		used[0] |= STE0_S1;
		used[1] = STE1_COMMON | STE1_S1;
		used[2] = ~0ull;
		used[3] = ~0ull;
		break;
	default:
		break;		/* abort */
	}
}

/*
 * EATS may change with the first step (Linux:
 * arm_smmu_get_ste_update_safe()). It decides only whether the unit
 * answers the device's ATS translation requests, never what a
 * translation is: for one step the old entry's translations are given
 * to the ATC, or refused to it, and the device's ATC is invalidated
 * once the entry is the new one (smmu_drv_attach_commit()). It keeps a
 * stage-2 entry and a nested one whose guest did not enable ATS one
 * critical word apart.
 */
static void ste_safe(const uint64_t cur[4], const uint64_t target[4], uint64_t safe[4])
{
	memset(safe, 0, 4 * sizeof(*safe));
	safe[1] = (cur[1] ^ target[1]) & STE1_EATS;
}

/* The CD bits the unit reads (SMMUv3 5.4): TTB1 walks are disabled. */
static void cd_used(const struct smmu_drv_unit *u, const uint64_t w[4], uint64_t used[4])
{
	(void)u;
	memset(used, 0, 4 * sizeof(*used));
	used[0] = CD0_V;
	if (!(w[0] & CD0_V))
		return;
	used[0] = ~0ull;
	used[1] = CD1_TTB0;
	used[3] = ~0ull;
}

static bool store_words(struct smmu_drv_unit *u, uint64_t pa, uint64_t cur[4],
			const uint64_t want[4])
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (cur[i] != want[i]) {
			siommu_mem_store64(u->mem, pa + 8 * i, want[i]);
			cur[i] = want[i];
			changed = true;
		}
	}
	return changed;
}

/* Make a step of an entry's update visible to the unit; a test may look. */
static void entry_sync(struct smmu_drv_unit *u, const struct entry_kind *k, void *arg)
{
	smmu_drv_cmdq_run(u, k->fill_sync, arg);
	if (unlikely(u->step_hook))
		u->step_hook(u->step_arg);
}

/*
 * Move the entry at @pa to @target in steps that each change at most one
 * word the unit reads (Linux's arm_smmu_write_entry()): first every word
 * the current shape does not read, then the one critical word, then what
 * the target does not read; each step made visible by @k->fill_sync
 * (CMD_CFGI_* and CMD_SYNC). With more than one critical word the entry
 * goes through V = 0: callers use that only where the entry is not a live
 * translation being replaced (a blocked alias StreamID taking another
 * device's entry); replaces are split by a temporary tag first.
 */
static void write_entry(struct smmu_drv_unit *u, uint64_t pa, const uint64_t target[4],
			const struct entry_kind *k, void *arg)
{
	uint64_t cur[4], upd[4], cu[4], tu[4];
	unsigned int i, ncrit = 0, crit = 0;

	for (i = 0; i < 4; i++)
		siommu_mem_load64(u->mem, pa + 8 * i, &cur[i]);
	k->used(u, cur, cu);
	k->used(u, target, tu);
	if (k->safe) {
		uint64_t safe[4];

		k->safe(cur, target, safe);
		for (i = 0; i < 4; i++)
			cu[i] &= ~(safe[i] & tu[i]);
	}
	for (i = 0; i < 4; i++) {
		upd[i] = (cur[i] & cu[i]) | (target[i] & ~cu[i]);
		if ((upd[i] ^ target[i]) & tu[i]) {
			ncrit++;
			crit = i;
		}
	}
	if (ncrit > 1) {
		uint64_t off[4] = { 0, target[1], target[2], target[3] };

		siommu_mem_store64(u->mem, pa, 0);
		cur[0] = 0;
		entry_sync(u, k, arg);
		store_words(u, pa, cur, off);
		entry_sync(u, k, arg);
		if (store_words(u, pa, cur, target))
			entry_sync(u, k, arg);
		return;
	}
	if (store_words(u, pa, cur, upd))
		entry_sync(u, k, arg);
	if (ncrit) {
		siommu_mem_store64(u->mem, pa + 8 * crit, target[crit]);
		cur[crit] = target[crit];
		entry_sync(u, k, arg);
	}
	if (store_words(u, pa, cur, target))
		entry_sync(u, k, arg);
}

static const struct entry_kind ste_kind = { ste_used, ste_safe, fill_cfgi_ste };

struct cd_sync {
	const struct smmu_drv_dev *d;
	uint32_t ssid;
};

static void fill_cfgi_cd(struct smmu_drv_unit *u, void *arg)
{
	const struct cd_sync *cs = arg;
	struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_CFGI_CD, .ssid = cs->ssid,
				       .leaf = true };
	unsigned int i;

	/* The CD cache is by StreamID: the alias's too. */
	for (i = 0; i < cs->d->nr_sids; i++) {
		c.sid = cs->d->sid[i];
		smmu_drv_cmd(u, &c);
	}
}

static const struct entry_kind cd_kind = { cd_used, NULL, fill_cfgi_cd };

/* Tags ------------------------------------------------------------------ */

/* A free ASID (@s1) or VMID, 0 reserved; -ENOSPC. */
static int tag_alloc(struct smmu_drv_unit *u, bool s1, uint16_t *tag)
{
	uint64_t *map = s1 ? u->asid_map : u->vmid_map;
	unsigned int w, n = (s1 ? u->asid16 : u->vmid16) ? 65536 : 256;

	/* A fail point: the sweeps run out of IDs at every attach. */
	if (mem_should_fail(u->mem))
		return -ENOSPC;
	for (w = 0; w < n / 64; w++) {
		if (~map[w]) {
			unsigned int b = (unsigned int)__builtin_ctzll(~map[w]);

			map[w] |= 1ull << b;
			*tag = (uint16_t)(w * 64 + b);
			__atomic_store_n(&u->n_ids, u->n_ids + 1, __ATOMIC_RELAXED);
			return 0;
		}
	}
	return -ENOSPC;
}

static void fill_inv_tag(struct smmu_drv_unit *u, void *arg)
{
	const uint16_t *t = arg;	/* asid, vmid */

	smmu_drv_cmd_inv_tag(u, t[0], t[1]);
}

/*
 * Give back a tag. @flush: the TLB may hold entries under it, which go
 * first (a later owner of the tag must not hit them).
 */
static void tag_free(struct smmu_drv_unit *u, bool s1, uint16_t tag, bool flush)
{
	uint64_t *map = s1 ? u->asid_map : u->vmid_map;

	if (!tag)
		return;
	if (flush) {
		uint16_t t[2] = { s1 ? tag : 0, s1 ? 0 : tag };

		smmu_drv_cmdq_run(u, fill_inv_tag, t);
	}
	SIOMMU_ASSERT(map[tag / 64] & (1ull << (tag % 64)));
	map[tag / 64] &= ~(1ull << (tag % 64));
	__atomic_store_n(&u->n_ids, u->n_ids - 1, __ATOMIC_RELAXED);
}

int smmu_drv_vmid_alloc(struct smmu_drv_unit *u, uint16_t *vmid)
{
	return tag_alloc(u, false, vmid);
}

void smmu_drv_vmid_free(struct smmu_drv_unit *u, uint16_t vmid)
{
	tag_free(u, false, vmid, true);
}

/* A domain whose entries carry a tag: a paging or SVA domain (an ASID
 * or VMID of its own), a nested one (its vIOMMU's VMID). */
static bool dom_tagged(const struct siommu_domain *dom)
{
	return smmu_dom_paging(dom) || smmu_dom_nested(dom);
}

/* A domain whose STE carries its tag as the VMID: stage 2, nested. */
static bool dom_vmid(const struct siommu_domain *dom)
{
	return smmu_dom_s2(dom) || smmu_dom_nested(dom);
}

/*
 * One more attachment of tagged domain @dom through @unit: its
 * smmu_drv_dom, with an ASID or VMID (a nested domain's is its
 * vIOMMU's), is created by the first. Published in dom->drv[] under
 * dom->lock: from then on the domain's flushes reach the unit.
 */
static int dom_get(struct siommu_unit *unit, struct siommu_domain *dom)
{
	struct smmu_drv_unit *u = smmu_drv_unit(unit);
	struct smmu_drv_dom *sd = smmu_drv_dom(dom, unit);
	int ret;

	if (!sd) {
		if (mem_should_fail(u->mem))
			return -ENOMEM;
		sd = calloc(1, sizeof(*sd));
		if (!sd)
			return -ENOMEM;
		CDS_INIT_LIST_HEAD(&sd->atts);
		ret = 0;
		if (smmu_dom_nested(dom))
			sd->tag = ((const struct smmu_drv_nested *)dom->drv_dom)->vs->vmid;
		else
			ret = tag_alloc(u, dom->stage == SIOMMU_STAGE_FIRST, &sd->tag);
		if (ret) {
			free(sd);
			return ret;
		}
		pthread_mutex_lock(&dom->lock);
		dom->drv[unit->index] = sd;
		pthread_mutex_unlock(&dom->lock);
	}
	sd->users++;
	return 0;
}

static void dom_put(struct siommu_unit *unit, struct siommu_domain *dom)
{
	struct smmu_drv_dom *sd = smmu_drv_dom(dom, unit);

	if (--sd->users)
		return;
	SIOMMU_ASSERT(cds_list_empty(&sd->atts));
	pthread_mutex_lock(&dom->lock);
	dom->drv[unit->index] = NULL;
	pthread_mutex_unlock(&dom->lock);
	if (smmu_dom_nested(dom)) {
		/* The VMID stays the vIOMMU's, but what this domain's walks
		 * cached under it goes now: a later change of the parent
		 * reaches only the nested domains still attached (the core's
		 * nested flush), so nothing of a detached one may stay. */
		uint16_t t[2] = { 0, sd->tag };

		smmu_drv_cmdq_run(smmu_drv_unit(unit), fill_inv_tag, t);
	} else {
		tag_free(smmu_drv_unit(unit), dom->stage == SIOMMU_STAGE_FIRST, sd->tag, true);
	}
	free(sd);
}

/* Entries --------------------------------------------------------------- */

/* What the entry of a (dev, pasid) attached to @dom looks like: NULL for
 * blocked (a BLOCKED domain too). */
static struct siommu_domain *dom_shape(struct siommu_domain *dom)
{
	return dom && dom->type != SIOMMU_DOMAIN_BLOCKED ? dom : NULL;
}

/* The stage-2 fields of an STE over stage-2 domain @s2. */
static void ste_s2(const struct smmu_drv_unit *u, const struct siommu_domain *s2,
		   struct siommu_smmuv3_ste_desc *sd)
{
	unsigned int levels = siommu_pt_levels(s2->pt);

	sd->s2_t0sz = 64 - s2->ias;
	sd->s2_sl0 = levels - 2;		/* start level 4 - levels */
	sd->s2_ps = u->ips;
	sd->s2_r = true;
	sd->s2_ttb = siommu_pt_root(s2->pt);
}

/*
 * The STE for nested domain @dom (Linux: arm_smmu_make_nested_domain_ste):
 * the guest's V clear or Config abort is an abort STE; its bypass is the
 * parent's stage 2 alone; its stage 1 is a nested STE (Config 0b111,
 * SMMUv3 5.2) with the guest's stage-1 fields, whose CD table address is
 * guest-physical and read through the stage 2 (3.3.4). Both under the
 * vIOMMU's VMID (@sd->s2_vmid already set). ATS as the guest's EATS said,
 * where the unit and the device have it.
 */
static void ste_nested(struct smmu_drv_unit *u, struct siommu_device *dev,
		       struct siommu_domain *dom, struct siommu_smmuv3_ste_desc *sd,
		       uint64_t w[4])
{
	const struct smmu_drv_nested *n = dom->drv_dom;
	unsigned int cfg = (unsigned int)((n->ste[0] & STE0_CFG) >> 1);
	uint64_t ste[8];

	if (!(n->ste[0] & STE0_V) || cfg == SIOMMU_SMMUV3_STE_ABORT) {
		sd->config = SIOMMU_SMMUV3_STE_ABORT;
		sd->eats = 0;
		siommu_smmuv3_ste_encode(sd, ste);
		memcpy(w, ste, 4 * sizeof(*w));
		return;
	}
	ste_s2(u, dom->parent, sd);
	sd->eats = cfg == SIOMMU_SMMUV3_STE_S1 && n->ats && sd->eats;
	sd->config = cfg == SIOMMU_SMMUV3_STE_S1 ? SIOMMU_SMMUV3_STE_NESTED :
						   SIOMMU_SMMUV3_STE_S2;
	siommu_smmuv3_ste_encode(sd, ste);
	memcpy(w, ste, 4 * sizeof(*w));
	if (sd->config == SIOMMU_SMMUV3_STE_NESTED) {
		w[0] = (w[0] & ~STE0_S1) | (n->ste[0] & STE0_S1);
		w[1] = (w[1] & ~STE1_S1) | (n->ste[1] & STE1_S1);
	}
}

/*
 * The STE of @dev for RID domain @dom (NULL: blocked), tagged @vmid when
 * non-zero (a temporary tag) instead of the domain's or 0.
 */
static void ste_target(struct smmu_drv_unit *u, struct siommu_device *dev,
		       struct siommu_domain *dom, uint16_t vmid, uint64_t w[4])
{
	const struct smmu_drv_dev *d = dev->drv;
	struct siommu_smmuv3_ste_desc sd = { .valid = true };
	uint64_t ste[8];

	if (u->ats && (dev->cfg.flags & SIOMMU_DEV_ATS))
		sd.eats = 1;
	sd.s2_vmid = vmid;
	if (dom_vmid(dom) && !vmid)
		sd.s2_vmid = smmu_drv_dom(dom, dev->unit)->tag;
	if (smmu_dom_nested(dom)) {
		ste_nested(u, dev, dom, &sd, w);
		return;
	}
	if (smmu_dom_s2(dom)) {
		sd.config = SIOMMU_SMMUV3_STE_S2;
		ste_s2(u, dom, &sd);
	} else if (u->s1 && (smmu_dom_paging(dom) || (dom ? d->cd_bits : d->nr_pasids))) {
		/* The CD table; the RID's traffic by S1DSS, which a table
		 * without substreams (S1CDMax 0) does not read: CD 0. A
		 * blocked RID keeps the table only while PASIDs are attached;
		 * without, S1CDMax 0 and an invalid CD 0 would record
		 * C_BAD_CD, a configuration error, for each of its
		 * transactions, where the abort STE below records nothing
		 * (SMMUv3 5.2: Config 0b000). */
		sd.config = SIOMMU_SMMUV3_STE_S1;
		sd.s1_ctx_ptr = d->cd_pa;
		sd.s1_fmt = d->cd_2lvl ? SIOMMU_SMMUV3_S1FMT_64K_L2 : SIOMMU_SMMUV3_S1FMT_LINEAR;
		sd.s1_cdmax = d->cd_bits;
		/* Stalls only for a device that resumes them. */
		sd.s1_stalld = !(dev->cfg.flags & SIOMMU_DEV_STALL);
		sd.s1dss = !dom ? SIOMMU_SMMUV3_S1DSS_TERMINATE :
			   smmu_dom_paging(dom) ? SIOMMU_SMMUV3_S1DSS_SSID0 :
						  SIOMMU_SMMUV3_S1DSS_BYPASS;
	} else {
		sd.config = dom ? SIOMMU_SMMUV3_STE_BYPASS : SIOMMU_SMMUV3_STE_ABORT;
	}
	siommu_smmuv3_ste_encode(&sd, ste);
	memcpy(w, ste, 4 * sizeof(*w));
}

/* The CD of @dev for stage-1 domain @dom (NULL: invalid) with ASID
 * @asid. An SVA domain's faults stall on a device with stalls (CD.S,
 * SMMUv3 3.12.2): they are resolved as I/O page faults; a DMA domain's
 * are not, since nothing would resume them. */
static void cd_target(struct smmu_drv_unit *u, struct siommu_device *dev,
		      struct siommu_domain *dom, uint16_t asid, uint64_t w[4])
{
	bool stall = dom && dom->type == SIOMMU_DOMAIN_SVA &&
		     (dev->cfg.flags & SIOMMU_DEV_STALL);
	struct siommu_smmuv3_cd_desc cd = { 0 };
	uint64_t words[8];

	if (!dom) {
		memset(w, 0, 4 * sizeof(*w));
		return;
	}
	cd = (struct siommu_smmuv3_cd_desc){
		.valid = true, .t0sz = 64 - dom->ias, .ips = u->ips, .asid = asid,
		.ttb0 = siommu_pt_root(dom->pt), .r = true, .a = true, .s = stall,
	};
	siommu_smmuv3_cd_encode(&cd, words);
	memcpy(w, words, 4 * sizeof(*w));
}

/* Make CD words @w quiet: no walk, no record, no stall. */
static void cd_quiet(uint64_t w[4])
{
	uint64_t cd[8] = { w[0], w[1], w[2], w[3] };
	struct siommu_smmuv3_cd_desc desc;

	siommu_smmuv3_cd_decode(cd, &desc);
	desc.epd0 = true;
	desc.r = false;
	desc.s = false;
	desc.a = true;
	siommu_smmuv3_cd_encode(&desc, cd);
	memcpy(w, cd, 4 * sizeof(*w));
}

static uint64_t cd_pa(const struct smmu_drv_dev *d, uint32_t ssid)
{
	if (!d->cd_2lvl)
		return d->cd_pa + (uint64_t)ssid * 64;
	return d->cd_l2[ssid >> SMMU_DRV_CD_L2_BITS] +
	       (uint64_t)(ssid & ((1u << SMMU_DRV_CD_L2_BITS) - 1)) * 64;
}

/* The level-2 CD table holding @ssid, created and linked on first use
 * (kept until the device goes). */
static int cd_table_get(struct smmu_drv_unit *u, struct smmu_drv_dev *d, uint32_t ssid)
{
	unsigned int i = ssid >> SMMU_DRV_CD_L2_BITS;
	uint64_t pa;
	int ret;

	if (!d->cd_2lvl || d->cd_l2[i])
		return 0;
	ret = siommu_mem_frame_alloc(u->mem, 64ull << SMMU_DRV_CD_L2_BITS, SIOMMU_MEM_HW, &pa);
	if (ret)
		return ret;
	d->cd_l2[i] = pa;
	/* Invalid -> valid: an invalid L1CD is never cached. */
	siommu_mem_store64(u->mem, d->cd_pa + 8ull * i, siommu_smmuv3_l1cd_encode(pa));
	return 0;
}

static void cd_write(struct smmu_drv_unit *u, struct siommu_device *dev, uint32_t ssid,
		     const uint64_t w[4])
{
	struct cd_sync cs = { dev->drv, ssid };

	write_entry(u, cd_pa(dev->drv, ssid), w, &cd_kind, &cs);
}

static void ste_write(struct smmu_drv_unit *u, uint32_t sid, const uint64_t w[4])
{
	write_entry(u, ste_pa(u, sid), w, &ste_kind, &sid);
}

/* Write @dev's STE for RID domain @dom on each of its StreamIDs. */
static void ste_write_dev(struct smmu_drv_unit *u, struct siommu_device *dev,
			  struct siommu_domain *dom, uint16_t vmid)
{
	const struct smmu_drv_dev *d = dev->drv;
	uint64_t w[4];
	unsigned int i;

	ste_target(u, dev, dom, vmid, w);
	for (i = 0; i < d->nr_sids; i++)
		ste_write(u, d->sid[i], w);
}

/* Devices --------------------------------------------------------------- */

/*
 * Another device of @dev's group whose DMA carries the same alias RID
 * (two devices behind one PCIe-to-PCI bridge). The alias StreamID has one
 * STE, pointing at the CD table of one of them: their CD 0 agree, since a
 * group has one RID domain.
 */
static struct siommu_device *alias_sharer(struct siommu_device *dev)
{
	struct siommu_device *o;

	if (dev->cfg.alias_rid < 0)
		return NULL;
	cds_list_for_each_entry(o, &dev->group->devices, group_node)
		if (o != dev && o->cfg.alias_rid == dev->cfg.alias_rid)
			return o;
	return NULL;
}

static void dev_free(struct smmu_drv_unit *u, struct smmu_drv_dev *d)
{
	unsigned int i;

	if (d->cd_l2) {
		for (i = 0; i < 1u << (d->cd_bits - SMMU_DRV_CD_L2_BITS); i++)
			if (d->cd_l2[i])
				siommu_mem_frame_free(u->mem, d->cd_l2[i],
						      64ull << SMMU_DRV_CD_L2_BITS,
						      SIOMMU_MEM_HW);
		free(d->cd_l2);
	}
	if (d->cd_pa)
		siommu_mem_frame_free(u->mem, d->cd_pa, d->cd_size, SIOMMU_MEM_HW);
	free(d);
}

int smmu_drv_dev_probe(struct siommu_device *dev)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);
	struct siommu_device *sharer = alias_sharer(dev);
	struct smmu_drv_dev *d;
	unsigned int i;
	int ret;

	if (mem_should_fail(u->mem))
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->sid[d->nr_sids++] = dev->cfg.rid;
	if (dev->cfg.alias_rid >= 0)
		d->sid[d->nr_sids++] = (uint32_t)dev->cfg.alias_rid;
	for (i = 0; i < d->nr_sids; i++) {
		if (u->st_log2 < 32 && (d->sid[i] >> u->st_log2)) {
			free(d);
			return -EINVAL;		/* beyond the unit's StreamIDs */
		}
	}
	if (u->s1) {
		/* Linear up to 1024 CDs (64K), 2-level above, with 1024 CDs
		 * per level-2 table (S1Fmt 4K_L2). */
		d->cd_bits = dev->pasid_bits;
		d->cd_2lvl = u->cd2l && d->cd_bits > SMMU_DRV_CD_L2_BITS;
		if (d->cd_2lvl) {
			d->cd_size = pow2_size(8ull << (d->cd_bits - SMMU_DRV_CD_L2_BITS));
			if (mem_should_fail(u->mem)) {
				ret = -ENOMEM;
				goto out_free;
			}
			d->cd_l2 = calloc(1u << (d->cd_bits - SMMU_DRV_CD_L2_BITS),
					  sizeof(*d->cd_l2));
			if (!d->cd_l2) {
				ret = -ENOMEM;
				goto out_free;
			}
		} else {
			d->cd_size = pow2_size(64ull << d->cd_bits);
		}
		ret = siommu_mem_frame_alloc(u->mem, d->cd_size, SIOMMU_MEM_HW, &d->cd_pa);
		if (ret)
			goto out_free;
		/* CD 0 (the RID's) exists from the start. */
		ret = cd_table_get(u, d, 0);
		if (ret)
			goto out_free;
	}
	for (i = 0; i < d->nr_sids; i++) {
		ret = ste_get(u, d->sid[i]);
		if (ret)
			goto out_put;
	}
	dev->drv = d;
	/* Blocked; a shared alias StreamID keeps the STE it has. */
	for (i = 0; i < d->nr_sids; i++) {
		uint64_t w[4];

		if (i && sharer)
			continue;
		ste_target(u, dev, NULL, 0, w);
		ste_write(u, d->sid[i], w);
	}
	return 0;

out_put:
	while (i--)
		ste_put(u, d->sid[i]);
out_free:
	dev_free(u, d);
	return ret;
}

void smmu_drv_dev_release(struct siommu_device *dev)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);
	struct smmu_drv_dev *d = dev->drv;
	struct siommu_device *sharer = alias_sharer(dev);
	const uint64_t invalid[4] = { 0 };
	unsigned int i;

	/* Every attachment is gone: the STEs are blocked ones. A shared
	 * alias StreamID moves to the other device's CD table (its RID
	 * domain: the same group's); the others become invalid, and the
	 * CMD_SYNC of that waits for the walks that used the CD table. */
	for (i = 0; i < d->nr_sids; i++) {
		if (i && sharer) {
			uint64_t w[4];

			ste_target(u, sharer, dom_shape(((struct smmu_drv_dev *)sharer->drv)->rid_dom),
				   0, w);
			ste_write(u, d->sid[i], w);
		} else {
			ste_write(u, d->sid[i], invalid);
		}
		ste_put(u, d->sid[i]);
	}
	dev_free(u, d);
	dev->drv = NULL;
}

/* Attach ---------------------------------------------------------------- */

int smmu_drv_attach_prepare(struct siommu_device *dev, uint32_t pasid,
			    struct siommu_domain *dom, void *att_p)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);
	struct smmu_drv_dev *d = dev->drv;
	struct smmu_drv_att *att = att_p;
	struct core_att *cur = core_att_get(dev, pasid);
	struct siommu_domain *old = dom_shape(cur ? cur->dom : NULL);
	struct siommu_domain *new = dom_shape(dom);
	int ret;

	/* Made for another unit, this one may not walk its table. */
	if (smmu_drv_domain_check(u, dom))
		return -EINVAL;
	if (pasid) {
		/* A substream is a CD: stage 1 only (no bypass in a CD, no
		 * stage 2, no guest STE), and only while the STE points at
		 * the host's CD table. */
		if (!u->s1 || !d->cd_bits || (new && !smmu_dom_paging(new)) ||
		    smmu_dom_s2(new) || (new && dom_vmid(d->rid_dom)))
			return -EINVAL;
	} else if (smmu_dom_s2(new) && d->nr_pasids) {
		/* A stage-2 STE has no substreams. */
		return -EINVAL;
	} else if (smmu_dom_nested(new) && d->nr_pasids) {
		/* The substreams of a nested STE are the guest's (Linux:
		 * -EBUSY while the host's are in use). */
		return -EBUSY;
	}
	att->dev = dev;
	att->pasid = pasid;
	if (dom_tagged(new)) {
		ret = dom_get(dev->unit, new);
		if (ret)
			return ret;
	}
	/* Temporary tags for a replace whose entry differs in more than one
	 * word the unit reads (smmuv3_drv.h). */
	ret = 0;
	if (old != new && (dom_vmid(old) || dom_vmid(new)))
		ret = tag_alloc(u, false, &att->tmp_vmid);
	else if (old != new && smmu_dom_paging(old) && smmu_dom_paging(new))
		ret = tag_alloc(u, true, &att->tmp_asid);
	if (!ret)
		ret = cd_table_get(u, d, pasid);
	if (ret) {
		tag_free(u, false, att->tmp_vmid, false);
		tag_free(u, true, att->tmp_asid, false);
		if (dom_tagged(new))
			dom_put(dev->unit, new);
	}
	return ret;
}

/* A level-2 CD table a prepare took stays: it is freed with the device. */
void smmu_drv_attach_abort(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *dom, void *att_p)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);
	struct smmu_drv_att *att = att_p;

	(void)pasid;
	tag_free(u, false, att->tmp_vmid, false);
	tag_free(u, true, att->tmp_asid, false);
	if (dom_tagged(dom_shape(dom)))
		dom_put(dev->unit, dom);
}

static void att_alt_set(struct siommu_domain *dom, struct smmu_drv_att *att, bool on,
			uint16_t asid, uint16_t vmid)
{
	if (!att || !dom_tagged(dom))
		return;
	pthread_mutex_lock(&dom->lock);
	att->alt = on;
	att->alt_asid = asid;
	att->alt_vmid = vmid;
	pthread_mutex_unlock(&dom->lock);
}

static uint16_t dom_tag(struct siommu_device *dev, struct siommu_domain *dom)
{
	return smmu_drv_dom(dom, dev->unit)->tag;
}

/* The CD of (dev, ssid) from stage-1 domain @old to @new (either NULL),
 * through temporary ASID @tmp when both are set. */
static void cd_switch(struct smmu_drv_unit *u, struct siommu_device *dev, uint32_t ssid,
		      struct siommu_domain *old, struct smmu_drv_att *old_att,
		      struct siommu_domain *new, struct smmu_drv_att *att, uint16_t tmp)
{
	uint64_t w[4];

	if (old && new && tmp) {
		uint16_t t[2] = { tmp, 0 };

		att_alt_set(old, old_att, true, tmp, 0);
		att_alt_set(new, att, true, tmp, 0);
		cd_target(u, dev, old, tmp, w);
		cd_write(u, dev, ssid, w);	/* the ASID */
		cd_target(u, dev, new, tmp, w);
		cd_write(u, dev, ssid, w);	/* TTB0 */
		cd_target(u, dev, new, dom_tag(dev, new), w);
		cd_write(u, dev, ssid, w);	/* the ASID */
		smmu_drv_cmdq_run(u, fill_inv_tag, t);
		att_alt_set(old, old_att, false, 0, 0);
		att_alt_set(new, att, false, 0, 0);
		return;
	}
	cd_target(u, dev, new, new ? dom_tag(dev, new) : 0, w);
	cd_write(u, dev, ssid, w);
}

struct atc_inv {
	const struct smmu_drv_dev *d;
	uint32_t pasid;
};

static void fill_atc_inv(struct smmu_drv_unit *u, void *arg)
{
	const struct atc_inv *a = arg;
	struct siommu_smmuv3_cmd c = { .op = SIOMMU_SMMUV3_CMD_ATC_INV, .ssv = a->pasid != 0,
				       .ssid = a->pasid, .size = 52 };
	unsigned int i;

	for (i = 0; i < a->d->nr_sids; i++) {
		c.sid = a->d->sid[i];
		smmu_drv_cmd(u, &c);
	}
}

/* The RID's STE (and CD 0) from @old to @new. */
static void rid_switch(struct smmu_drv_unit *u, struct siommu_device *dev,
		       struct siommu_domain *old, struct smmu_drv_att *old_att,
		       struct siommu_domain *new, struct smmu_drv_att *att)
{
	bool s1_old = smmu_dom_paging(old) && !smmu_dom_s2(old);
	bool s1_new = smmu_dom_paging(new) && !smmu_dom_s2(new);
	uint16_t tmp = att ? att->tmp_vmid : 0;

	/* A detach (no prepare, no temporary tag) from stage 2 may go
	 * through V = 0 (write_entry()): it ends blocked anyway. */
	if (tmp) {
		uint16_t t[2] = { 0, tmp };

		if (s1_new)
			cd_switch(u, dev, 0, NULL, NULL, new, att, 0);	/* unread yet */
		att_alt_set(old, old_att, true, s1_old ? dom_tag(dev, old) : 0, tmp);
		att_alt_set(new, att, true, s1_new ? dom_tag(dev, new) : 0, tmp);
		ste_write_dev(u, dev, old, tmp);	/* the VMID */
		ste_write_dev(u, dev, new, tmp);	/* Config, S2TTB or S1 */
		ste_write_dev(u, dev, new, 0);		/* the VMID */
		smmu_drv_cmdq_run(u, fill_inv_tag, t);
		att_alt_set(old, old_att, false, 0, 0);
		att_alt_set(new, att, false, 0, 0);
		if (s1_old)
			cd_switch(u, dev, 0, old, old_att, NULL, NULL, 0);
		return;
	}
	/* The STE stays a CD table one (or bypass, abort): CD 0 first when
	 * it becomes used, the STE, then CD 0 when it stops being used. */
	if (s1_new)
		cd_switch(u, dev, 0, s1_old ? old : NULL, old_att, new, att,
			  att ? att->tmp_asid : 0);
	ste_write_dev(u, dev, new, 0);
	if (s1_old && !s1_new)
		cd_switch(u, dev, 0, old, old_att, NULL, NULL, 0);
}

/*
 * The CD of (dev, pasid) from @old to @new. A blocked RID's STE is an
 * abort one without PASIDs and a CD table one with them (ste_target()):
 * the first PASID's CD is written before the STE starts reading the
 * table, and the last one's invalidated after the STE stopped.
 */
static void pasid_switch(struct smmu_drv_unit *u, struct siommu_device *dev, uint32_t pasid,
			 struct siommu_domain *old, struct smmu_drv_att *old_att,
			 struct siommu_domain *new, struct smmu_drv_att *att)
{
	struct smmu_drv_dev *d = dev->drv;

	if (new) {
		cd_switch(u, dev, pasid, old, old_att, new, att, att ? att->tmp_asid : 0);
		if (!old && !d->nr_pasids++ && !d->rid_dom)
			ste_write_dev(u, dev, NULL, 0);
		return;
	}
	if (!--d->nr_pasids && !d->rid_dom)
		ste_write_dev(u, dev, NULL, 0);
	cd_switch(u, dev, pasid, old, old_att, NULL, NULL, 0);
}

void smmu_drv_attach_commit(struct siommu_device *dev, uint32_t pasid,
			    struct siommu_domain *old_dom, void *old_att_p,
			    struct siommu_domain *dom, void *att_p)
{
	struct siommu_unit *unit = dev->unit;
	struct smmu_drv_unit *u = smmu_drv_unit(unit);
	struct smmu_drv_dev *d = dev->drv;
	struct smmu_drv_att *old_att = old_att_p, *att = att_p;
	struct siommu_domain *old = dom_shape(old_dom), *new = dom_shape(dom);
	struct atc_inv ai = { d, pasid };

	/* The new domain's flushes cover the entry before it changes; the
	 * old one's until it is unlinked below. */
	if (att && dom_tagged(new)) {
		struct smmu_drv_dom *sd = smmu_drv_dom(new, unit);

		pthread_mutex_lock(&new->lock);
		cds_list_add_tail(&att->node, &sd->atts);
		pthread_mutex_unlock(&new->lock);
	}
	if (old != new) {
		if (pasid) {
			pasid_switch(u, dev, pasid, old, old_att, new, att);
		} else {
			rid_switch(u, dev, old, old_att, new, att);
			d->rid_dom = new;
		}
		/* The device's ATC may hold the old translations. */
		if (dev->cfg.flags & SIOMMU_DEV_ATS)
			smmu_drv_cmdq_run(u, fill_atc_inv, &ai);
	}
	if (att) {
		tag_free(u, false, att->tmp_vmid, false);
		tag_free(u, true, att->tmp_asid, false);
		att->tmp_vmid = att->tmp_asid = 0;
	}
	if (old_att && dom_tagged(old)) {
		pthread_mutex_lock(&old->lock);
		cds_list_del(&old_att->node);
		pthread_mutex_unlock(&old->lock);
		dom_put(unit, old);
	}
}

struct quiesce_inv {
	struct atc_inv ai;
	uint16_t asid;
	bool ats;
};

static void fill_quiesce_inv(struct smmu_drv_unit *u, void *arg)
{
	const struct quiesce_inv *q = arg;

	smmu_drv_cmd_inv_tag(u, q->asid, 0);
	if (q->ats)
		fill_atc_inv(u, (void *)&q->ai);
}

/*
 * The process behind an SVA attachment is gone: its CD becomes a quiet
 * one, as Linux's arm_smmu_mm_release() writes: still valid, with TTB0
 * walks disabled (EPD0, SMMUv3 5.4: every access takes a translation
 * fault) and R clear, so the faults are not recorded (SMMUv3 3.12.2), and
 * no stall either. Only word 0 changes, in one store. Then the TLB under
 * the process's ASID and the device's ATC for the PASID are invalidated;
 * the CMD_SYNC waits for the walks and DMA that used the old CD, so the
 * caller may free the process's pages after this.
 */
void smmu_drv_attach_quiesce(struct siommu_device *dev, uint32_t pasid,
			     struct siommu_domain *dom, void *att)
{
	struct smmu_drv_unit *u = smmu_drv_unit(dev->unit);
	struct quiesce_inv q = { { dev->drv, pasid }, dom_tag(dev, dom),
				 dev->cfg.flags & SIOMMU_DEV_ATS };
	uint64_t w[4];

	(void)att;
	cd_target(u, dev, dom, q.asid, w);
	cd_quiet(w);
	cd_write(u, dev, pasid, w);
	smmu_drv_cmdq_run(u, fill_quiesce_inv, &q);
}
