/* SPDX-License-Identifier: MIT */
/*
 * The VT-d driver's tables and attach: root and scalable-mode context
 * entries (VT-d 9.4) per device, a PASID directory sized for the device's
 * PASID width (9.5) and PASID tables allocated when a PASID in their range
 * is first attached (9.6), domain IDs. RID_PASID is 0, so RID traffic uses
 * PASID entry 0, like Linux's IOMMU_NO_PASID.
 *
 * Replacing a present PASID entry without a blocked window (VT-d 6.5.3.3
 * leaves updates of present entries to software): the entry is rewritten
 * with 64-bit stores, the table pointer (qw2) first, then the DID (qw1), then
 * present/PGTT/second-stage pointer (qw0) in one store. A walk reads qw0
 * before the rest, so it may pair either domain's table with either DID and
 * cache one domain's translations under the other's DID. Therefore:
 *   - while the replace is in flight, flushes of either domain also name
 *     the other side's DID for this PASID (vtd_drv_att.alt_did);
 *   - the replace ends with PASID-cache and PASID-based IOTLB invalidations
 *     for both DIDs, and a wait that completes only after walks that read
 *     the entry before it have finished;
 *   - detaching clears only the present bit, so no walk can pair the old
 *     table with DID 0, which no invalidation would name.
 * DMA is thus translated by the old domain or the new one at every moment,
 * never blocked, and nothing of the old domain survives the replace.
 *
 * The entry layouts are written here bit by bit rather than with the
 * builders of siommu/vtd_build.h: those write whole entries in one go for
 * tests and emulators, while the driver needs the store order above.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/drivers/vtd/vtd_drv.h"

/* Context entry (VT-d 9.4, scalable mode). */
#define CTX_P		BIT64(0)
#define CTX_DTE		BIT64(2)
#define CTX_PASIDE	BIT64(3)
#define CTX_PRE		BIT64(4)
#define CTX_PDTS(x)	((uint64_t)(x) << 9)
/* PASID directory entry (9.5), PASID entry (9.6). */
#define PDE_P		BIT64(0)
#define PE0_P		BIT64(0)
#define PE0_FPD		BIT64(1)
#define PE0_AW(x)	((uint64_t)(x) << 2)
#define PE0_PGTT(x)	((uint64_t)(x) << 6)
#define PE2_SRE		BIT64(0)
#define PE2_FSPM(x)	((uint64_t)(x) << 2)
#define PE2_WPE		BIT64(4)	/* write protect for supervisor requests */
#define PE2_NXE		BIT64(5)	/* XD in first-stage entries is valid */

static int pasid_table_get(struct siommu_device *dev, uint32_t pasid);

/* Context table of @rid's half, allocated on first use. */
static int ctx_table(struct vtd_drv_unit *v, uint16_t rid, uint64_t *pa)
{
	unsigned int bus = rid >> 8, half = (rid >> 7) & 1;
	uint64_t root = v->root_pa + bus * 16, e;
	int ret;

	if (v->ctx_pa[bus][half]) {
		*pa = v->ctx_pa[bus][half];
		return 0;
	}
	ret = siommu_mem_frame_alloc(v->mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, pa);
	if (ret)
		return ret;
	v->ctx_pa[bus][half] = *pa;
	/* Root entry (9.4): LP/LCTP in qw0, UP/UCTP in qw1. */
	siommu_mem_load64(v->mem, root + half * 8, &e);
	siommu_mem_store64(v->mem, root + half * 8, *pa | 1);
	return 0;
}

struct ctx_inv { uint16_t rid; };

static void fill_ctx_inv(struct vtd_drv_unit *v, void *arg)
{
	const struct ctx_inv *ci = arg;

	/* Device-selective context-cache invalidation (G=3), then the PASID
	 * cache and IOTLB, as VT-d 6.5.3.3 asks after a context change. */
	vtd_drv_qi_push(v, siommu_vtd_desc_cc(3, 0, ci->rid, 0));
	vtd_drv_qi_push(v, siommu_vtd_desc_pc(3, 0, 0));
	vtd_drv_qi_push(v, siommu_vtd_desc_iotlb(1, 0, 0, 0, false));
}

/* Write the context entry of @rid to point at @dev's PASID directory. */
static int ctx_write(struct vtd_drv_unit *v, struct siommu_device *dev, uint16_t rid)
{
	struct vtd_drv_dev *d = dev->drv;
	unsigned int pdts = 0;
	uint64_t tpa, epa, qw0, old = 0;
	struct ctx_inv ci = { rid };
	int ret;

	ret = ctx_table(v, rid, &tpa);
	if (ret)
		return ret;
	while ((128u << pdts) < d->dir_entries)
		pdts++;
	epa = tpa + (rid & 0x7f) * 32;
	siommu_mem_load64(v->mem, epa, &old);
	qw0 = CTX_P | CTX_PDTS(pdts) | d->dir_pa;
	if (dev->pasid_bits && rid == dev->cfg.rid)
		qw0 |= CTX_PASIDE;
	if (dev->cfg.flags & SIOMMU_DEV_ATS)
		qw0 |= CTX_DTE;
	if (dev->cfg.flags & SIOMMU_DEV_PRI)
		qw0 |= CTX_PRE;
	/* qw1: RID_PASID 0; written before the present bit. Rewriting a
	 * present entry changes qw0 alone, in one store. */
	siommu_mem_store64(v->mem, epa + 8, 0);
	siommu_mem_store64(v->mem, epa + 16, 0);
	siommu_mem_store64(v->mem, epa + 24, 0);
	siommu_mem_store64(v->mem, epa, qw0);
	if (!(old & CTX_P))
		v->ctx_users[rid >> 8][(rid >> 7) & 1]++;
	vtd_drv_qi_run(v, fill_ctx_inv, &ci);
	return 0;
}

/*
 * Another device of @dev's group whose DMA carries the same alias RID (two
 * devices behind one PCIe-to-PCI bridge). The alias RID has one context
 * entry, pointing at the PASID directory of one of them: their PASID 0
 * entries agree, since a group has one RID domain.
 */
static struct siommu_device *alias_sharer(struct siommu_device *dev)
{
	struct siommu_device *d;

	cds_list_for_each_entry(d, &dev->group->devices, group_node)
		if (d != dev && d->cfg.alias_rid == dev->cfg.alias_rid)
			return d;
	return NULL;
}

/* Whether the context entry of @rid points at @dev's PASID directory. */
static bool ctx_points_at(struct vtd_drv_unit *v, uint16_t rid, struct siommu_device *dev)
{
	uint64_t tpa = v->ctx_pa[rid >> 8][(rid >> 7) & 1], qw0 = 0;

	if (!tpa)
		return false;
	siommu_mem_load64(v->mem, tpa + (rid & 0x7f) * 32, &qw0);
	return (qw0 & CTX_P) && (qw0 & ~0xfffull) == ((struct vtd_drv_dev *)dev->drv)->dir_pa;
}

static void ctx_clear(struct vtd_drv_unit *v, uint16_t rid)
{
	unsigned int bus = rid >> 8, half = (rid >> 7) & 1;
	struct ctx_inv ci = { rid };

	if (!v->ctx_pa[bus][half])
		return;
	siommu_mem_store64(v->mem, v->ctx_pa[bus][half] + (rid & 0x7f) * 32, 0);
	vtd_drv_qi_run(v, fill_ctx_inv, &ci);
	if (--v->ctx_users[bus][half])
		return;
	/* The table's last entry is gone: unlink and free it, so that a
	 * device add that fails (or a remove) leaves no table behind. The
	 * wait orders the free after walks that read the root entry. */
	siommu_mem_store64(v->mem, v->root_pa + bus * 16 + half * 8, 0);
	vtd_drv_qi_run(v, fill_ctx_inv, &ci);
	siommu_mem_frame_free(v->mem, v->ctx_pa[bus][half], SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	v->ctx_pa[bus][half] = 0;
}

int vtd_drv_dev_probe(struct siommu_device *dev)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct vtd_drv_dev *d;
	uint64_t need;
	int ret;

	if (mem_should_fail(v->mem))
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* Directory entries cover 64 PASIDs each (9.5); at least 128 (PDTS 0). */
	d->dir_entries = ((dev->max_pasid >> 6) + 1) < 128 ? 128 : (dev->max_pasid >> 6) + 1;
	while (d->dir_entries & (d->dir_entries - 1))
		d->dir_entries++;
	need = (uint64_t)d->dir_entries * 8;
	d->dir_size = need < SIOMMU_SZ_4K ? SIOMMU_SZ_4K : need;
	if (mem_should_fail(v->mem)) {
		ret = -ENOMEM;
		goto out_free_d;
	}
	d->tables = calloc(d->dir_entries, sizeof(uint64_t));
	if (!d->tables) {
		ret = -ENOMEM;
		goto out_free_d;
	}
	ret = siommu_mem_frame_alloc(v->mem, d->dir_size, SIOMMU_MEM_HW, &d->dir_pa);
	if (ret)
		goto out_free_tables;
	dev->drv = d;
	/* PASID entry 0 exists from the start (blocked): RID DMA faults on a
	 * non-present PASID entry rather than a missing table. */
	ret = pasid_table_get(dev, 0);
	if (ret)
		goto out_free_dir;
	ret = ctx_write(v, dev, dev->cfg.rid);
	if (ret)
		goto out_free_dir;
	/* A shared alias RID keeps the context entry it has. */
	if (dev->cfg.alias_rid >= 0 && !alias_sharer(dev)) {
		ret = ctx_write(v, dev, (uint16_t)dev->cfg.alias_rid);
		if (ret)
			goto out_clear_ctx;
	}
	return 0;

out_clear_ctx:
	ctx_clear(v, dev->cfg.rid);
out_free_dir:
	dev->drv = NULL;
	if (d->tables[0])
		siommu_mem_frame_free(v->mem, d->tables[0], SIOMMU_SZ_4K, SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, d->dir_pa, d->dir_size, SIOMMU_MEM_HW);
out_free_tables:
	free(d->tables);
out_free_d:
	free(d);
	return ret;
}

void vtd_drv_dev_release(struct siommu_device *dev)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct vtd_drv_dev *d = dev->drv;
	unsigned int i;

	if (dev->cfg.alias_rid >= 0) {
		uint16_t alias = (uint16_t)dev->cfg.alias_rid;
		struct siommu_device *other = alias_sharer(dev);

		/* A shared alias RID moves to the other device's directory
		 * (a present-to-present change, ctx_write()); it never sees
		 * a blocked window. */
		if (!other) {
			ctx_clear(v, alias);
		} else if (ctx_points_at(v, alias, dev)) {
			/* The entry's table exists: nothing to allocate. */
			int ret = ctx_write(v, other, alias);

			SIOMMU_ASSERT(!ret);
			(void)ret;
		}
	}
	ctx_clear(v, dev->cfg.rid);
	/* The context invalidation waited for walks that used these tables. */
	for (i = 0; i < d->dir_entries; i++)
		if (d->tables[i])
			siommu_mem_frame_free(v->mem, d->tables[i], SIOMMU_SZ_4K,
					      SIOMMU_MEM_HW);
	siommu_mem_frame_free(v->mem, d->dir_pa, d->dir_size, SIOMMU_MEM_HW);
	free(d->tables);
	free(d);
	dev->drv = NULL;
}

/* The PASID table holding @pasid's entry, allocated on first use. */
static int pasid_table_get(struct siommu_device *dev, uint32_t pasid)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct vtd_drv_dev *d = dev->drv;
	unsigned int di = pasid >> 6;
	uint64_t pa;
	int ret;

	if (d->tables[di])
		return 0;
	ret = siommu_mem_frame_alloc(v->mem, SIOMMU_SZ_4K, SIOMMU_MEM_HW, &pa);
	if (ret)
		return ret;
	d->tables[di] = pa;
	/* Not present -> present needs no invalidation without caching mode;
	 * the PASID-cache invalidation of the attach covers CM. */
	siommu_mem_store64(v->mem, d->dir_pa + di * 8, pa | PDE_P);
	return 0;
}

/* The PASID entry's quadwords for @dom on @unit (9.6). */
static void pasid_entry(struct vtd_drv_unit *v, struct siommu_domain *dom,
			uint16_t did, uint64_t q[3])
{
	q[0] = q[1] = q[2] = 0;
	if (!dom || dom->type == SIOMMU_DOMAIN_BLOCKED)
		return;
	q[1] = did;
	if (dom->type == SIOMMU_DOMAIN_IDENTITY) {
		/* AW must still name a supported width (SAGAW). */
		q[0] = PE0_P | PE0_PGTT(SIOMMU_VTD_PGTT_PT) | PE0_AW((v->aw - 30) / 9);
		return;
	}
	if (dom->type == SIOMMU_DOMAIN_NESTED) {
		const struct vtd_drv_nested *n = dom->drv_dom;
		const struct siommu_domain *parent = dom->parent;

		/* Nested (PGTT 011b): the user's first-stage table, whose
		 * addresses, its own included, are translated by the
		 * parent's second stage (VT-d 3.8, 9.6). */
		q[0] = PE0_P | PE0_PGTT(SIOMMU_VTD_PGTT_NEST) |
		       PE0_AW((parent->ias - 30) / 9) | siommu_pt_root(parent->pt);
		q[2] = n->s1.pgtbl_addr | PE2_FSPM(n->s1.addr_width == 57 ? 1 : 0) | PE2_NXE;
		if (n->s1.flags & SIOMMU_VTD_S1_SRE)
			q[2] |= PE2_SRE;
		if (n->s1.flags & SIOMMU_VTD_S1_WPE)
			q[2] |= PE2_WPE;
		return;
	}
	if (dom->stage == SIOMMU_STAGE_FIRST) {
		q[0] = PE0_P | PE0_PGTT(SIOMMU_VTD_PGTT_FS);
		/* The page table writes XD on pages without execute: NXE
		 * makes the bit valid rather than reserved. */
		q[2] = siommu_pt_root(dom->pt) | PE2_FSPM(dom->ias == 57 ? 1 : 0) |
		       PE2_NXE;
		/* Supervisor requests are allowed where the unit has them; the
		 * U/S bit of each mapping still decides (SIOMMU_PROT_PRIV). A
		 * process's table (SVA) takes user requests only unless the
		 * process asked for supervisor ones too. */
		if ((v->ecap & BIT64(31)) &&
		    (dom->type != SIOMMU_DOMAIN_SVA || dom->sva_supervisor))
			q[2] |= PE2_SRE;
		return;
	}
	q[0] = PE0_P | PE0_PGTT(SIOMMU_VTD_PGTT_SS) | PE0_AW((dom->ias - 30) / 9) |
	       siommu_pt_root(dom->pt);
}

struct pasid_inv {
	struct siommu_device *dev;
	uint32_t pasid;
	uint16_t did[2];
	bool ss[2];		/* that side's entry was (is) second-stage */
};

/* Whether @dom's PASID entries are second-stage ones (pasid_entry()). */
static bool dom_is_ss(const struct siommu_domain *dom)
{
	return dom && dom->type != SIOMMU_DOMAIN_BLOCKED &&
	       dom->type != SIOMMU_DOMAIN_IDENTITY && dom->stage != SIOMMU_STAGE_FIRST;
}

static void fill_pasid_inv(struct vtd_drv_unit *v, void *arg)
{
	const struct pasid_inv *pi = arg;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (i && pi->did[1] == pi->did[0])
			break;
		/* PASID-selective PASID-cache (G=1), then the IOTLB (VT-d
		 * 6.5.3.3): for a first-stage or pass-through entry, every
		 * entry of (DID, PASID) (type 6, G=2); for a second-stage
		 * one, the domain (type 2, G=2), since PASID-based
		 * invalidation does not reach second-stage translations and
		 * paging-structure entries, which belong to the domain. */
		vtd_drv_qi_push(v, siommu_vtd_desc_pc(1, pi->did[i], pi->pasid));
		if (pi->ss[i])
			vtd_drv_qi_push(v, siommu_vtd_desc_iotlb(2, pi->did[i], 0, 0, false));
		else
			vtd_drv_qi_push(v, siommu_vtd_desc_piotlb(2, pi->did[i], pi->pasid,
								  0, 0, false));
	}
	if (pi->dev->cfg.flags & SIOMMU_DEV_ATS) {
		/* S=1 with every address bit below bit 63 set: the whole space
		 * (6.5.2.5, 6.5.2.6). */
		uint64_t all = ~0ull & ~0xfffull & ~(1ull << 63);

		if (pi->pasid)
			vtd_drv_qi_push(v, siommu_vtd_desc_pdevtlb(pi->dev->cfg.rid, pi->pasid,
								   false, all, true));
		else
			vtd_drv_qi_push(v, siommu_vtd_desc_devtlb(pi->dev->cfg.rid, all, true));
	}
}


void vtd_drv_tables_fini(struct vtd_drv_unit *v)
{
	unsigned int b, h;

	for (b = 0; b < 256; b++)
		for (h = 0; h < 2; h++)
			if (v->ctx_pa[b][h])
				siommu_mem_frame_free(v->mem, v->ctx_pa[b][h],
						      SIOMMU_SZ_4K, SIOMMU_MEM_HW);
}

/* Domain IDs --------------------------------------------------------------- */

/* A free domain ID of the unit (CAP.ND wide, 0 reserved), or -ENOSPC. */
static int did_alloc(struct vtd_drv_unit *v, uint16_t *did)
{
	unsigned int w, nd = 1u << (4 + 2 * (v->cap & 7));	/* CAP.ND */

	/* A fail point: the sweeps run out of IDs at every attach. */
	if (mem_should_fail(v->mem))
		return -ENOSPC;
	for (w = 0; w < nd / 64; w++) {
		if (~v->did_map[w]) {
			unsigned int b = __builtin_ctzll(~v->did_map[w]);

			v->did_map[w] |= 1ull << b;
			*did = (uint16_t)(w * 64 + b);
			__atomic_store_n(&v->n_did, v->n_did + 1, __ATOMIC_RELAXED);
			return 0;
		}
	}
	return -ENOSPC;
}

static void did_free(struct vtd_drv_unit *v, uint16_t did)
{
	SIOMMU_ASSERT(did && (v->did_map[did / 64] & (1ull << (did % 64))));
	v->did_map[did / 64] &= ~(1ull << (did % 64));
	__atomic_store_n(&v->n_did, v->n_did - 1, __ATOMIC_RELAXED);
}

/*
 * One more attachment of @dom through @unit: its vtd_drv_dom, with a DID,
 * is created by the first. Published in dom->drv[] under dom->lock: from
 * then on the domain's flushes reach the unit.
 */
static int dom_get(struct siommu_unit *unit, struct siommu_domain *dom)
{
	struct vtd_drv_unit *v = vtd_drv_unit(unit);
	struct vtd_drv_dom *vd = vtd_drv_dom(dom, unit);
	int ret;

	if (!vd) {
		if (mem_should_fail(v->mem))
			return -ENOMEM;
		vd = calloc(1, sizeof(*vd));
		if (!vd)
			return -ENOMEM;
		CDS_INIT_LIST_HEAD(&vd->atts);
		ret = did_alloc(v, &vd->did);
		if (ret) {
			free(vd);
			return ret;
		}
		pthread_mutex_lock(&dom->lock);
		dom->drv[unit->index] = vd;
		pthread_mutex_unlock(&dom->lock);
	}
	vd->users++;
	return 0;
}

static void dom_put(struct siommu_unit *unit, struct siommu_domain *dom)
{
	struct vtd_drv_dom *vd = vtd_drv_dom(dom, unit);

	if (--vd->users)
		return;
	SIOMMU_ASSERT(cds_list_empty(&vd->atts));
	pthread_mutex_lock(&dom->lock);
	dom->drv[unit->index] = NULL;
	pthread_mutex_unlock(&dom->lock);
	did_free(vtd_drv_unit(unit), vd->did);
	free(vd);
}

/* Attach ------------------------------------------------------------------- */

/*
 * Everything (dev, pasid) -> @dom needs: the check that the unit walks
 * @dom, the domain's DID, and the PASID table page,
 * which comes last, once nothing after it can fail, so that a failed
 * attach never leaves a new page in the PASID directory.
 */
int vtd_drv_attach_prepare(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *dom, void *att_p)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct vtd_drv_att *att = att_p;
	int ret;

	/* Made for another unit, this one may not walk its table. */
	if (vtd_drv_domain_check(v, dom))
		return -EINVAL;
	ret = dom_get(dev->unit, dom);
	if (ret)
		return ret;
	ret = pasid_table_get(dev, pasid);
	if (ret) {
		dom_put(dev->unit, dom);
		return ret;
	}
	att->dev = dev;
	att->pasid = pasid;
	return 0;
}

/* A PASID table page a prepare took stays: it is freed with the device. */
void vtd_drv_attach_abort(struct siommu_device *dev, uint32_t pasid,
			  struct siommu_domain *dom, void *att)
{
	(void)pasid;
	(void)att;
	dom_put(dev->unit, dom);
}

static void replace_step(struct vtd_drv_unit *v, unsigned int store)
{
	if (unlikely(v->replace_hook))
		v->replace_hook(v->replace_arg, store);
}

/* Rewrite the PASID entry of (dev, pasid) for @dom and invalidate. */
static void pasid_write(struct siommu_device *dev, uint32_t pasid,
			struct siommu_domain *old, uint16_t old_did,
			struct siommu_domain *dom, uint16_t new_did)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct vtd_drv_dev *d = dev->drv;
	uint64_t epa = d->tables[pasid >> 6] + (pasid & 63) * 64;
	struct pasid_inv pi = { dev, pasid, { old_did, new_did },
				{ dom_is_ss(old), dom_is_ss(dom) } };
	uint64_t q[3];

	SIOMMU_ASSERT(d->tables[pasid >> 6]);
	pasid_entry(v, dom, new_did, q);
	if (!q[0]) {
		/* Blocked: only P is cleared. A walk reads qw0 first (9.6
		 * order) and may read the rest after our stores; with qw1
		 * cleared it could cache the old translation under DID 0,
		 * which no invalidation below names. */
		siommu_mem_store64(v->mem, epa, 0);
	} else {
		if (q[2])
			siommu_mem_store64(v->mem, epa + 16, q[2]);
		replace_step(v, 1);
		siommu_mem_store64(v->mem, epa + 8, q[1]);
		replace_step(v, 2);
		siommu_mem_store64(v->mem, epa, q[0]);
		replace_step(v, 3);
		if (!q[2])
			siommu_mem_store64(v->mem, epa + 16, 0);
	}
	if (!pi.did[0]) {
		pi.did[0] = new_did;
		pi.ss[0] = pi.ss[1];
	}
	if (!pi.did[1]) {
		pi.did[1] = pi.did[0];
		pi.ss[1] = pi.ss[0];
	}
	vtd_drv_qi_run(v, fill_pasid_inv, &pi);
}

void vtd_drv_attach_commit(struct siommu_device *dev, uint32_t pasid,
			   struct siommu_domain *old, void *old_att_p,
			   struct siommu_domain *dom, void *att_p)
{
	struct siommu_unit *unit = dev->unit;
	struct vtd_drv_att *old_att = old_att_p, *att = att_p;
	struct vtd_drv_dom *vold = old ? vtd_drv_dom(old, unit) : NULL;
	struct vtd_drv_dom *vnew = dom ? vtd_drv_dom(dom, unit) : NULL;
	/* Both entries present, with different DIDs: walks during the
	 * rewrite may cache either domain's translations under either DID
	 * until the replace's own invalidation, so the flushes of both
	 * domains name both DIDs meanwhile. */
	bool mixed = old && dom && old->type != SIOMMU_DOMAIN_BLOCKED &&
		     dom->type != SIOMMU_DOMAIN_BLOCKED && vold->did != vnew->did;

	if (att) {
		att->alt_did = mixed ? vold->did : 0;
		pthread_mutex_lock(&dom->lock);
		cds_list_add_tail(&att->node, &vnew->atts);
		pthread_mutex_unlock(&dom->lock);
	}
	if (mixed) {
		pthread_mutex_lock(&old->lock);
		old_att->alt_did = vnew->did;
		pthread_mutex_unlock(&old->lock);
	}
	/* The entry changes only after the new domain's flushes cover this
	 * attachment too, and the old domain's keep covering it until it is
	 * unlinked below. */
	pasid_write(dev, pasid, old, vold ? vold->did : 0, dom, vnew ? vnew->did : 0);
	if (mixed) {
		pthread_mutex_lock(&dom->lock);
		att->alt_did = 0;
		pthread_mutex_unlock(&dom->lock);
	}
	if (old_att) {
		pthread_mutex_lock(&old->lock);
		cds_list_del(&old_att->node);
		pthread_mutex_unlock(&old->lock);
		dom_put(unit, old);
	}
}

/*
 * The process behind an SVA attachment is gone: the entry stops
 * translating and its faults are not recorded (VT-d 9.6: FPD is honoured
 * whether or not P is set), as Linux tears down the PASID entry of an
 * exiting process with fault processing disabled. Only qw0 changes, in
 * one store, so a walk pairs no table with DID 0 (pasid_write()); the
 * invalidation's wait orders the caller's freeing of the process's pages
 * after the walks and DMA that read the entry before.
 */
void vtd_drv_attach_quiesce(struct siommu_device *dev, uint32_t pasid,
			    struct siommu_domain *dom, void *att)
{
	struct vtd_drv_unit *v = vtd_drv_unit(dev->unit);
	struct vtd_drv_dev *d = dev->drv;
	struct vtd_drv_dom *vd = vtd_drv_dom(dom, dev->unit);
	struct pasid_inv pi = { dev, pasid, { vd->did, vd->did },
				{ dom_is_ss(dom), dom_is_ss(dom) } };

	(void)att;
	siommu_mem_store64(v->mem, d->tables[pasid >> 6] + (pasid & 63) * 64, PE0_FPD);
	vtd_drv_qi_run(v, fill_pasid_inv, &pi);
}
