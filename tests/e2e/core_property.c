/* SPDX-License-Identifier: MIT */
/*
 * Randomized property test of the core against a reference model.
 *
 * One VT-d unit narrower in PASIDs (16 bits) than some of its devices, and
 * behind it: PASID-capable devices of various widths (one PASID-only, one
 * with ATS), devices without PASIDs, a group of two (one with PASIDs, one
 * without), a device with an alias RID, and one without a fault handler.
 * PASIDs come from the context's space in slots with overlapping ranges, so
 * freeing and reallocating one reuses values. Domains: first stage, second
 * stage, the driver's choice, identity and blocked, plus one made for a
 * wider unit that no device here can use.
 *
 * Random operations: RID attach/detach (the whole group), PASID attach
 * (first and replace)/detach, map/unmap of 4K pages at a few IOVAs (each
 * page a DMA buffer whose every 8-byte word holds a distinct pattern),
 * domain free (-EBUSY exactly while attached), PASID free and reallocation,
 * and DMA reads from random (rid[, pasid]) at random addresses. The model
 * says which domain each group RID and each (device, PASID) is attached to
 * and what each domain maps; every DMA result, every error code and every
 * siommu_device_domain() answer is compared with it. Fault handlers must be
 * called exactly once per translation fault of a device that registered
 * one, with the request's RID, PASID and page; other faults count as
 * unhandled in the unit's statistics. On SMMUv3 a blocked RID without
 * PASIDs attached aborts its DMA with no fault recorded.
 *
 * On a unit type without PASIDs (SMMUv2) the same devices are added: a
 * PASID-only one is refused (-EINVAL) and added without the flag, ATS is
 * dropped, every PASID attach fails with -EOPNOTSUPP, DMA carries no PASID,
 * and the PASID-only operation kinds are not required to have happened.
 * The domain no device can use is then a VT-d unit's (x86-64 format).
 */
#include <errno.h>
#include <time.h>

#include <siommu/core.h>

#include "core_unit.h"
#include "test.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define UNIT_PASID_BITS 16
#define NONE (-1)

/* Buffers ------------------------------------------------------------------ */

#define NR_BUF 24
static uint64_t buf_pa[NR_BUF];

static uint64_t pattern(unsigned int b, uint64_t off)
{
	return 0xc0de000000000000ull | (uint64_t)(b + 1) << 32 | (off & 0xff8);
}

/* Devices ------------------------------------------------------------------ */

struct tdev {
	struct siommu_device_cfg cfg;
	bool handler;
	unsigned int group;		/* model's group index */
	uint32_t max_pasid;		/* usable; 0 = none */
	bool pasid_attach;		/* PASID attach allowed */
	struct siommu_device *dev;
	/* Handler log. */
	uint64_t calls;
	struct siommu_fault last;
};

#define NR_DEV 8
#define DEV(r, bits, fl, key, alias, h, g) { .cfg = { .rid = (r), \
	.pasid_bits = (bits), .flags = (fl), .isolation_key = (key), \
	.alias_rid = (alias) }, .handler = (h), .group = (g) }
static struct tdev devs[NR_DEV] = {
	DEV(0x0100, 20, SIOMMU_DEV_ATS, 0, SIOMMU_NO_ALIAS, true, 0),
	DEV(0x0108, 8, 0, 0, SIOMMU_NO_ALIAS, true, 1),
	DEV(0x0110, 5, SIOMMU_DEV_PASID_ONLY, 0, SIOMMU_NO_ALIAS, true, 2),
	DEV(0x0200, 0, 0, 0, SIOMMU_NO_ALIAS, true, 3),
	DEV(0x0300, 20, 0, 7, SIOMMU_NO_ALIAS, true, 4),	/* a group of two, */
	DEV(0x0308, 0, 0, 7, SIOMMU_NO_ALIAS, true, 4),	/* one without PASIDs */
	DEV(0x0400, 10, 0, 0, 0x0401, true, 5),
	DEV(0x0500, 12, 0, 0, SIOMMU_NO_ALIAS, false, 6),
};
#define NR_GROUP 7
#define STRAY_RID 0x0700	/* no device there */

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct tdev *t = arg;

	CHECK(dev == t->dev);
	t->calls++;
	t->last = *f;
}

/* Domains ------------------------------------------------------------------ */

enum dkind { K_FS, K_SS, K_AUTO, K_IDENT, K_BLOCKED };
#define NR_DOM 7
static const enum dkind dom_kind[NR_DOM] = {
	K_FS, K_FS, K_SS, K_SS, K_AUTO, K_IDENT, K_BLOCKED,
};
static struct siommu_domain *doms[NR_DOM];
static struct siommu_domain *dom_wide;	/* 5-level first stage, other unit */

/* IOVAs paging domains map: two in one leaf table, a 2M and a 1G boundary,
 * and the last page below the canonical hole of a 48-bit first stage. */
#define NR_IOVA 5
static const uint64_t iovas[NR_IOVA] = {
	0x1000, 0x3000, 0x200000, 0x40000000, 0x7ffffffff000ull,
};
static int dom_map[NR_DOM][NR_IOVA];	/* buffer index or NONE */

static bool dom_paging(unsigned int d)
{
	return dom_kind[d] <= K_AUTO;
}

static enum siommu_domain_type dom_type(unsigned int d)
{
	return dom_kind[d] == K_IDENT ? SIOMMU_DOMAIN_IDENTITY :
	       dom_kind[d] == K_BLOCKED ? SIOMMU_DOMAIN_BLOCKED : SIOMMU_DOMAIN_PAGING;
}

/* Whether a PASID of a device takes domain @d (test_unit_pasid_domain_ok()). */
static bool dom_pasid_ok(unsigned int d)
{
	return test_unit_pasid_domain_ok(dom_type(d), dom_kind[d] == K_SS);
}

static void dom_alloc(struct siommu_unit *unit, unsigned int d)
{
	static const struct siommu_domain_cfg cfgs[] = {
		[K_FS] = { .type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_FIRST },
		[K_SS] = { .type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND },
		[K_AUTO] = { .type = SIOMMU_DOMAIN_PAGING },
		[K_IDENT] = { .type = SIOMMU_DOMAIN_IDENTITY },
		[K_BLOCKED] = { .type = SIOMMU_DOMAIN_BLOCKED },
	};
	unsigned int i;

	CHECK_OK(siommu_domain_alloc(unit, &cfgs[dom_kind[d]], &doms[d]));
	for (i = 0; i < NR_IOVA; i++)
		dom_map[d][i] = NONE;
}

/* PASIDs ------------------------------------------------------------------- */

enum pstate { P_ALLOC, P_ZOMBIE, P_EMPTY };	/* zombie: freed, still attached */
struct pslot {
	uint32_t min, max;
	uint32_t value;
	enum pstate state;
};
#define NR_PSLOT 7
static struct pslot pslots[NR_PSLOT] = {
	{ .min = 1, .max = 31 }, { .min = 1, .max = 31 }, { .min = 1, .max = 31 },
	{ .min = 32, .max = 255 }, { .min = 256, .max = 65535 },
	{ .min = 256, .max = 65535 }, { .min = 65536, .max = SIOMMU_PASID_MAX },
};
/* Never allocated: each range's far end, so lowest-first never gets there. */
static const uint32_t stray_pasids[] = { 30, 200, 4000, 65535, 1000000 };
#define NR_STRAY (sizeof(stray_pasids) / sizeof(stray_pasids[0]))

/* The model ------------------------------------------------------------------ */

static int group_dom[NR_GROUP];		/* RID domain per group, NONE: blocked */
static int att[NR_DEV][NR_PSLOT];	/* domain per (device, PASID slot) */

static struct siommu_ctx *ctx;
static struct siommu_unit *unit;
static struct siommu_pasid_space *space;
static uint64_t unhandled;		/* model's count of unhandled faults */

static bool dom_attached(unsigned int d)
{
	unsigned int i, s;

	for (i = 0; i < NR_GROUP; i++)
		if (group_dom[i] == (int)d)
			return true;
	for (i = 0; i < NR_DEV; i++)
		for (s = 0; s < NR_PSLOT; s++)
			if (att[i][s] == (int)d)
				return true;
	return false;
}

static unsigned int pslot_users(unsigned int s)
{
	unsigned int i, n = 0;

	for (i = 0; i < NR_DEV; i++)
		n += att[i][s] != NONE;
	return n;
}

/* The slot whose live PASID (allocated or zombie) is @pasid, or NONE. */
static int pslot_of(uint32_t pasid)
{
	unsigned int s;

	for (s = 0; s < NR_PSLOT; s++)
		if (pslots[s].state != P_EMPTY && pslots[s].value == pasid)
			return (int)s;
	return NONE;
}

static uint32_t lowest_free(uint32_t min, uint32_t max)
{
	uint32_t p;

	for (p = min; p <= max; p++)
		if (pslot_of(p) == NONE)
			return p;
	return 0;
}

static struct siommu_domain *model_domain(unsigned int i, uint32_t pasid)
{
	int s, d;

	if (!pasid)
		d = group_dom[devs[i].group];
	else if (pasid > devs[i].max_pasid || (s = pslot_of(pasid)) == NONE)
		d = NONE;
	else
		d = att[i][s];
	return d == NONE ? NULL : doms[d];
}

/*
 * Every attachment as the model has it, and one domain ID on the unit per
 * domain attached anywhere: none leaks, none is shared.
 */
static void check_domains(void)
{
	bool attached[NR_DOM] = { false };
	struct siommu_unit_stats us;
	unsigned int i, s, k, d, nr = 0;

	for (i = 0; i < NR_DEV; i++) {
		CHECK(siommu_device_domain(devs[i].dev, 0) == model_domain(i, 0));
		for (s = 0; s < NR_PSLOT; s++)
			CHECK(siommu_device_domain(devs[i].dev, pslots[s].value) ==
			      model_domain(i, pslots[s].value));
		for (k = 0; k < NR_STRAY; k++)
			CHECK(siommu_device_domain(devs[i].dev, stray_pasids[k]) == NULL);
		for (d = 0; d < NR_DOM; d++) {
			if (model_domain(i, 0) == doms[d])
				attached[d] = true;
			for (s = 0; s < NR_PSLOT; s++)
				if (model_domain(i, pslots[s].value) == doms[d])
					attached[d] = true;
		}
	}
	for (d = 0; d < NR_DOM; d++)
		nr += attached[d] && test_unit_domain_takes_id(dom_type(d));
	siommu_unit_get_stats(unit, &us);
	CHECK_EQ(us.domain_ids, nr);
}

/* DMA ---------------------------------------------------------------------- */

enum outcome { O_VALUE, O_FAULT, O_NOT_RAM, O_ABORT };

/* What DMA from @rid (with @pasid if @pp) reading 8 bytes at @iova gets. */
/*
 * Whether DMA by device @i's RID is aborted without an event whatever it
 * carries: on SMMUv3 a blocked RID without PASIDs attached is an abort STE
 * (SMMUv3 5.2, Config 0b000).
 */
static bool blocked_abort(unsigned int i)
{
	int d = group_dom[devs[i].group];
	unsigned int s;

	if (test_unit_type() != TEST_UNIT_SMMUV3 || (d != NONE && dom_kind[d] != K_BLOCKED))
		return false;
	for (s = 0; s < NR_PSLOT; s++)
		if (att[i][s] != NONE && dom_kind[att[i][s]] != K_BLOCKED)
			return false;
	return true;
}

static enum outcome predict(uint16_t rid, bool pp, uint32_t pasid, uint64_t iova,
			    uint64_t *val, int *owner)
{
	int i, d = NONE;
	unsigned int k;

	*owner = NONE;
	for (i = 0; i < NR_DEV; i++)
		if (devs[i].cfg.rid == rid || devs[i].cfg.alias_rid == rid)
			*owner = i;
	if (*owner == NONE)
		return O_FAULT;
	i = *owner;
	if (blocked_abort((unsigned int)i))
		return O_ABORT;
	if (!pp) {
		d = group_dom[devs[i].group];
	} else if (rid == devs[i].cfg.rid && devs[i].pasid_attach) {
		struct siommu_domain *dom = model_domain((unsigned int)i, pasid);

		for (k = 0; k < NR_DOM; k++)
			if (dom && doms[k] == dom)
				d = (int)k;
	}
	if (d == NONE || dom_kind[d] == K_BLOCKED)
		return O_FAULT;
	if (dom_kind[d] == K_IDENT) {
		for (k = 0; k < NR_BUF; k++) {
			if ((iova & ~0xfffull) == buf_pa[k]) {
				*val = pattern(k, iova);
				return O_VALUE;
			}
		}
		return O_NOT_RAM;
	}
	for (k = 0; k < NR_IOVA; k++) {
		if ((iova & ~0xfffull) == iovas[k] && dom_map[d][k] != NONE) {
			*val = pattern((unsigned int)dom_map[d][k], iova);
			return O_VALUE;
		}
	}
	return O_FAULT;
}

static uint64_t handler_calls(void)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < NR_DEV; i++)
		n += devs[i].calls;
	return n;
}

static void do_dma(uint16_t rid, bool pp, uint32_t pasid, uint64_t iova,
		   uint64_t *counts)
{
	struct test_dma_res res;
	struct siommu_unit_stats us;
	uint64_t v = 0, want = 0, calls = handler_calls();
	int owner, err;
	enum outcome o = predict(rid, pp, pasid, iova, &want, &owner);

	err = test_unit_dma_read(unit, rid, pp, pasid, iova, &v, sizeof(v), &res);
	counts[o]++;
	switch (o) {
	case O_VALUE:
		if (err || v != want)
			fprintf(stderr, "rid %#x pp %d pasid %u iova %#" PRIx64 " reason %#x\n",
				rid, pp, pasid, iova, res.fault_reason);
		CHECK_OK(err);
		CHECK_EQ(v, want);
		CHECK_EQ(handler_calls(), calls);
		return;
	case O_ABORT:
	case O_NOT_RAM:
		/* Pass-through to a hole, or an abort STE: no translation
		 * fault, no record. */
		CHECK_EQ(err, -EFAULT);
		CHECK_EQ(res.fault_reason, 0);
		CHECK_EQ(handler_calls(), calls);
		return;
	case O_FAULT:
		break;
	}
	if (err != -EFAULT)
		fprintf(stderr, "rid %#x pp %d pasid %u iova %#" PRIx64 ": read %#" PRIx64 "\n",
			rid, pp, pasid, iova, v);
	CHECK_EQ(err, -EFAULT);
	CHECK(res.fault_reason != 0);
	/* One thread, each fault read out in its own event: none is lost. */
	CHECK(res.fault_recorded);
	if (owner != NONE && devs[owner].handler) {
		const struct siommu_fault *f = &devs[owner].last;

		CHECK_EQ(handler_calls(), calls + 1);
		CHECK_EQ(f->rid, rid);
		CHECK_EQ(f->pasid_present, pp);
		if (pp)
			CHECK_EQ(f->pasid, pasid);
		/* An SMMUv3 configuration event (C_BAD_*, F_STREAM_DISABLED,
		 * below F_TRANSLATION) records no address. */
		if (test_unit_type() == TEST_UNIT_SMMUV3 &&
		    res.fault_reason < SIOMMU_SMMUV3_F_TRANSLATION &&
		    res.fault_reason != SIOMMU_SMMUV3_F_WALK_EABT)
			CHECK_EQ(f->addr, 0);
		else
			CHECK_EQ(f->addr, iova & ~0xfffull);
		CHECK_EQ(f->reason, res.fault_reason);
		CHECK(!f->write);
	} else {
		CHECK_EQ(handler_calls(), calls);
		unhandled++;
		siommu_unit_get_stats(unit, &us);
		CHECK_EQ(us.faults_unhandled, unhandled);
	}
}

/* Operations --------------------------------------------------------------- */

enum op {
	OP_DMA_OK, OP_DMA_FAULT, OP_DMA_NOT_RAM, OP_DMA_ABORT,
	OP_ATTACH, OP_ATTACH_REPLACE, OP_DETACH, OP_ATTACH_BAD,
	OP_PASID_ATTACH, OP_PASID_REPLACE, OP_PASID_DETACH,
	OP_PASID_EOPNOTSUPP, OP_PASID_ERANGE, OP_PASID_ENOENT, OP_PASID_EINVAL,
	OP_PASID_DETACH_ENOENT,
	OP_MAP, OP_MAP_EEXIST, OP_UNMAP, OP_UNMAP_HOLE, OP_UNMAP_ALL,
	OP_FREE, OP_FREE_EBUSY, OP_PASID_FREE, OP_PASID_REALLOC,
	OP_NR
};
static const char *const op_names[OP_NR] = {
	"dma_ok", "dma_fault", "dma_not_ram", "dma_abort",
	"attach", "attach_replace", "detach", "attach_incompatible",
	"pasid_attach", "pasid_replace", "pasid_detach",
	"pasid_eopnotsupp", "pasid_erange", "pasid_enoent", "pasid_incompatible",
	"pasid_detach_enoent",
	"map", "map_eexist", "unmap", "unmap_hole", "unmap_all",
	"domain_free", "domain_free_ebusy", "pasid_free", "pasid_realloc",
};
static uint64_t ops[OP_NR];

static uint32_t pick_pasid(struct test_rng *r)
{
	if (test_rand_below(r, 8))
		return pslots[test_rand_below(r, NR_PSLOT)].value;
	return stray_pasids[test_rand_below(r, NR_STRAY)];
}

static void op_dma(struct test_rng *r)
{
	unsigned int i = (unsigned int)test_rand_below(r, NR_DEV + 1);
	uint64_t off = test_rand_below(r, 512) * 8, iova;
	uint16_t rid;
	bool pp;
	uint32_t pasid = 0;

	if (i == NR_DEV) {
		rid = STRAY_RID;
	} else {
		rid = devs[i].cfg.rid;
		if (devs[i].cfg.alias_rid >= 0 && test_rand_below(r, 2))
			rid = (uint16_t)devs[i].cfg.alias_rid;
	}
	/* A PASID-only device never issues DMA without a PASID; on a unit
	 * without PASIDs no DMA carries one. */
	pp = test_unit_has_pasids() &&
	     ((i < NR_DEV && (devs[i].cfg.flags & SIOMMU_DEV_PASID_ONLY)) ||
	      test_rand_below(r, 2));
	if (pp) {
		pasid = pick_pasid(r);
		/* Mostly where something is attached, or few DMAs would hit. */
		if (i < NR_DEV && test_rand_below(r, 4)) {
			unsigned int s0 = (unsigned int)test_rand_below(r, NR_PSLOT), s;

			for (s = 0; s < NR_PSLOT; s++) {
				if (att[i][(s0 + s) % NR_PSLOT] != NONE) {
					pasid = pslots[(s0 + s) % NR_PSLOT].value;
					break;
				}
			}
		}
	}
	switch (test_rand_below(r, 8)) {
	case 0:
	case 1:
		iova = buf_pa[test_rand_below(r, NR_BUF)];
		break;
	case 2:
		iova = 0x2000;	/* never mapped, and a hole in PA */
		break;
	default:
		iova = iovas[test_rand_below(r, NR_IOVA)];
		break;
	}
	do_dma(rid, pp, pasid, iova + off, ops);
}

/* Whether a device of group @g has a PASID attached (not blocked), which
 * a second-stage RID domain may exclude (test_unit_s2_rid_excludes_pasids()). */
static bool group_has_pasids(unsigned int g)
{
	unsigned int i, s;

	if (!test_unit_s2_rid_excludes_pasids())
		return false;
	for (i = 0; i < NR_DEV; i++)
		for (s = 0; s < NR_PSLOT; s++)
			if (devs[i].group == g && att[i][s] != NONE &&
			    dom_kind[att[i][s]] != K_BLOCKED)
				return true;
	return false;
}

static void op_attach(struct test_rng *r)
{
	unsigned int i = (unsigned int)test_rand_below(r, NR_DEV);
	unsigned int d = (unsigned int)test_rand_below(r, NR_DOM);
	int *g = &group_dom[devs[i].group];

	switch (test_rand_below(r, 12)) {
	case 0:
		siommu_device_detach(devs[i].dev);
		*g = NONE;
		ops[OP_DETACH]++;
		return;
	case 1:
		CHECK_EQ(siommu_device_attach(devs[i].dev, dom_wide), -EINVAL);
		ops[OP_ATTACH_BAD]++;
		return;
	default:
		if (dom_kind[d] == K_SS && group_has_pasids(devs[i].group)) {
			CHECK_EQ(siommu_device_attach(devs[i].dev, doms[d]), -EINVAL);
			ops[OP_ATTACH_BAD]++;
			return;
		}
		CHECK_OK(siommu_device_attach(devs[i].dev, doms[d]));
		ops[*g == NONE ? OP_ATTACH : OP_ATTACH_REPLACE]++;
		*g = (int)d;
		return;
	}
}

static void op_attach_pasid(struct test_rng *r)
{
	unsigned int i = (unsigned int)test_rand_below(r, NR_DEV);
	unsigned int d = (unsigned int)test_rand_below(r, NR_DOM);
	uint32_t pasid = test_rand_below(r, 16) ? pick_pasid(r) : 0;
	struct tdev *t = &devs[i];
	int s = pslot_of(pasid), want;
	bool bad = !test_rand_below(r, 16);
	bool detach = !test_rand_below(r, 3);

	if (detach) {
		want = pasid && pasid <= t->max_pasid && t->pasid_attach &&
		       s != NONE && att[i][s] != NONE ? 0 : -ENOENT;
		CHECK_EQ(siommu_device_detach_pasid(t->dev, pasid), want);
		if (!want) {
			att[i][s] = NONE;
			/* The last user of a freed PASID releases it. */
			if (pslots[s].state == P_ZOMBIE && !pslot_users((unsigned int)s))
				pslots[s].state = P_EMPTY;
		}
		ops[want ? OP_PASID_DETACH_ENOENT : OP_PASID_DETACH]++;
		return;
	}
	if (!t->pasid_attach)
		want = -EOPNOTSUPP;
	else if (!pasid || pasid > t->max_pasid)
		want = -ERANGE;
	else if (s == NONE)
		want = -ENOENT;
	else if (pslots[s].state == P_ZOMBIE)
		want = -ENOENT;	/* freed: no new attachment, nor a replace */
	else if (bad || !dom_pasid_ok(d))
		want = -EINVAL;
	else if (dom_kind[d] != K_BLOCKED && test_unit_s2_rid_excludes_pasids() &&
		 group_dom[t->group] != NONE && dom_kind[group_dom[t->group]] == K_SS)
		want = -EINVAL;
	else
		want = 0;
	CHECK_EQ(siommu_device_attach_pasid(t->dev, pasid, bad ? dom_wide : doms[d]),
		 want);
	switch (want) {
	case 0:
		ops[att[i][s] == NONE ? OP_PASID_ATTACH : OP_PASID_REPLACE]++;
		att[i][s] = (int)d;
		break;
	case -EOPNOTSUPP: ops[OP_PASID_EOPNOTSUPP]++; break;
	case -ERANGE: ops[OP_PASID_ERANGE]++; break;
	case -ENOENT: ops[OP_PASID_ENOENT]++; break;
	default: ops[OP_PASID_EINVAL]++; break;
	}
}

static void op_map(struct test_rng *r)
{
	unsigned int d = (unsigned int)test_rand_below(r, NR_DOM);
	unsigned int k = (unsigned int)test_rand_below(r, NR_IOVA);
	unsigned int b = (unsigned int)test_rand_below(r, NR_BUF);
	uint64_t done = ~0ull;

	if (!dom_paging(d)) {
		CHECK_EQ(siommu_domain_map(doms[d], iovas[k], buf_pa[b], SIOMMU_SZ_4K, RW),
			 -EINVAL);
		CHECK_EQ(siommu_domain_unmap(doms[d], iovas[k], SIOMMU_SZ_4K, NULL),
			 -EINVAL);
		return;
	}
	if (!test_rand_below(r, 64)) {
		/* Everything below the canonical hole: frees table levels and
		 * is too wide for a page-selective invalidation. */
		CHECK_OK(siommu_domain_unmap(doms[d], 0, 1ull << 47, &done));
		for (k = 0; k < NR_IOVA; k++) {
			if (dom_map[d][k] != NONE)
				done -= SIOMMU_SZ_4K;
			dom_map[d][k] = NONE;
		}
		CHECK_EQ(done, 0);
		ops[OP_UNMAP_ALL]++;
		return;
	}
	if (test_rand_below(r, 3)) {
		CHECK_EQ(siommu_domain_map(doms[d], iovas[k], buf_pa[b], SIOMMU_SZ_4K, RW),
			 dom_map[d][k] == NONE ? 0 : -EEXIST);
		ops[dom_map[d][k] == NONE ? OP_MAP : OP_MAP_EEXIST]++;
		if (dom_map[d][k] == NONE)
			dom_map[d][k] = (int)b;
	} else {
		CHECK_OK(siommu_domain_unmap(doms[d], iovas[k], SIOMMU_SZ_4K, &done));
		CHECK_EQ(done, dom_map[d][k] == NONE ? 0 : SIOMMU_SZ_4K);
		ops[dom_map[d][k] == NONE ? OP_UNMAP_HOLE : OP_UNMAP]++;
		dom_map[d][k] = NONE;
	}
}

static void op_free(struct test_rng *r)
{
	unsigned int d = (unsigned int)test_rand_below(r, NR_DOM);

	if (dom_attached(d)) {
		CHECK_EQ(siommu_domain_free(doms[d]), -EBUSY);
		ops[OP_FREE_EBUSY]++;
		return;
	}
	CHECK_OK(siommu_domain_free(doms[d]));
	dom_alloc(unit, d);
	ops[OP_FREE]++;
}

static void op_pasid(struct test_rng *r)
{
	unsigned int s = (unsigned int)test_rand_below(r, NR_PSLOT);
	struct pslot *p = &pslots[s];
	uint32_t v;

	switch (p->state) {
	case P_ALLOC:
		CHECK_OK(siommu_pasid_free(space, p->value));
		p->state = pslot_users(s) ? P_ZOMBIE : P_EMPTY;
		ops[OP_PASID_FREE]++;
		break;
	case P_ZOMBIE:
		/* Freed once; the attachments keep it, but not for reuse. */
		CHECK_EQ(siommu_pasid_free(space, p->value), -ENOENT);
		break;
	case P_EMPTY:
		CHECK_OK(siommu_pasid_alloc(space, p->min, p->max, 1 + s, &v));
		CHECK_EQ(v, lowest_free(p->min, p->max));
		p->value = v;
		p->state = P_ALLOC;
		ops[OP_PASID_REALLOC]++;
		break;
	}
}

int main(void)
{
	struct test_rng r = test_rng_init(0x5eed0c07e);
	struct siommu_unit *wide;
	struct siommu_device_info info;
	struct siommu_unit_stats us;
	struct siommu_mem *mem;
	uint64_t n = test_ops(200000), it, t0;
	unsigned int i, s, d, k;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	space = siommu_ctx_pasids(ctx);
	CHECK_OK(test_unit_add(ctx, &(struct test_unit_cfg){ .pasid_bits = UNIT_PASID_BITS },
			       &unit));
	/* A unit of the widest input: its default paging domain is too deep
	 * for the units of devices here. Every SMMUv2 stage-1 table is at
	 * most 48 bits; a VT-d unit's x86-64 table is one it cannot walk. */
	if (test_unit_type() == TEST_UNIT_SMMUV2)
		CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &wide));
	else
		CHECK_OK(test_unit_add(ctx, &(struct test_unit_cfg){ .ias = TEST_UNIT_IAS_MAX },
				       &wide));
	CHECK_OK(siommu_domain_alloc(wide, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom_wide));

	for (k = 0; k < NR_BUF; k++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &buf_pa[k]));
		for (uint64_t off = 0; off < SIOMMU_SZ_4K; off += 8) {
			uint64_t v = pattern(k, off);

			CHECK_OK(siommu_mem_write(mem, buf_pa[k] + off, &v, sizeof(v)));
		}
	}
	for (i = 0; i < NR_DEV; i++) {
		struct tdev *t = &devs[i];

		t->cfg.flags = test_unit_dev_flags(t->cfg.flags);
		if (!test_unit_has_pasids() && (t->cfg.flags & SIOMMU_DEV_PASID_ONLY)) {
			/* No usable PASIDs: a PASID-only device is refused. */
			CHECK_EQ(siommu_device_add(unit, &t->cfg, &t->dev), -EINVAL);
			t->cfg.flags &= ~SIOMMU_DEV_PASID_ONLY;
		}
		CHECK_OK(siommu_device_add(unit, &t->cfg, &t->dev));
		if (t->handler)
			siommu_device_set_fault_handler(t->dev, on_fault, t);
		CHECK_OK(siommu_device_get_info(t->dev, &info));
		t->pasid_attach = info.pasid_bits > 0;
		t->max_pasid = t->cfg.pasid_bits < UNIT_PASID_BITS ?
			       (1u << t->cfg.pasid_bits) - 1 : (1u << UNIT_PASID_BITS) - 1;
		if (!t->cfg.pasid_bits)
			t->max_pasid = 0;
		CHECK_EQ(info.max_pasid, t->pasid_attach ? t->max_pasid : 0);
		CHECK_EQ(t->pasid_attach, t->cfg.pasid_bits && t->cfg.alias_rid < 0 &&
					  test_unit_has_pasids());
		for (s = 0; s < NR_PSLOT; s++)
			att[i][s] = NONE;
	}
	CHECK_OK(siommu_device_get_info(devs[4].dev, &info));
	CHECK_EQ(info.group_size, 2);
	CHECK(siommu_device_group(devs[4].dev) == siommu_device_group(devs[5].dev));
	for (i = 0; i < NR_GROUP; i++)
		group_dom[i] = NONE;
	for (d = 0; d < NR_DOM; d++)
		dom_alloc(unit, d);
	for (s = 0; s < NR_PSLOT; s++) {
		CHECK_OK(siommu_pasid_alloc(space, pslots[s].min, pslots[s].max, 1 + s,
					    &pslots[s].value));
		pslots[s].state = P_ALLOC;
	}
	check_domains();

	for (it = 0; it < n; it++) {
		uint64_t pick = test_rand_below(&r, 100);

		if (pick < 50)
			op_dma(&r);
		else if (pick < 62)
			op_attach(&r);
		else if (pick < 78)
			op_attach_pasid(&r);
		else if (pick < 96)
			op_map(&r);
		else if (pick < 98)
			op_free(&r);
		else
			op_pasid(&r);
		if (it % 1024 == 0)
			check_domains();
	}
	check_domains();

	/* Detach everything: every domain can go, every PASID is released. */
	for (i = 0; i < NR_DEV; i++) {
		siommu_device_detach(devs[i].dev);
		group_dom[devs[i].group] = NONE;
		for (s = 0; s < NR_PSLOT; s++) {
			if (att[i][s] != NONE) {
				CHECK_OK(siommu_device_detach_pasid(devs[i].dev,
								    pslots[s].value));
				att[i][s] = NONE;
			}
		}
	}
	check_domains();
	for (d = 0; d < NR_DOM; d++)
		CHECK_OK(siommu_domain_free(doms[d]));
	for (s = 0; s < NR_PSLOT; s++)
		if (pslots[s].state == P_ALLOC)
			CHECK_OK(siommu_pasid_free(space, pslots[s].value));
	{
		struct siommu_pasid_stats ps;

		siommu_pasid_get_stats(space, &ps);
		CHECK_EQ(ps.in_use, 0);
	}

	siommu_unit_get_stats(unit, &us);
	CHECK_EQ(us.faults, handler_calls() + unhandled);
	CHECK_EQ(us.faults_unhandled, unhandled);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "%" PRIu64 " operations in %.2f s; faults %" PRIu64
		" (%" PRIu64 " unhandled), invalidation waits %" PRIu64 "\n", n,
		((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - t0) / 1e9,
		us.faults, us.faults_unhandled, us.inv_waits);
	for (k = 0; k < OP_NR; k++) {
		fprintf(stderr, "  %-20s %" PRIu64 "\n", op_names[k], ops[k]);
		/* Every kind must have happened, or the test proved less;
		 * without PASIDs, every PASID attach is -EOPNOTSUPP and every
		 * PASID detach -ENOENT. Only SMMUv3 aborts without an event. */
		if (!test_unit_has_pasids() &&
		    ((k >= OP_PASID_ATTACH && k <= OP_PASID_DETACH_ENOENT &&
		      k != OP_PASID_EOPNOTSUPP && k != OP_PASID_DETACH_ENOENT)))
			continue;
		if (k == OP_DMA_ABORT && test_unit_type() != TEST_UNIT_SMMUV3)
			continue;
		CHECK(ops[k] > 0 || n < 10000);
	}
	siommu_ctx_destroy(ctx);
	return 0;
}
