/* SPDX-License-Identifier: MIT */
/*
 * The SMMUv3 driver against its model, through the core's API only (and
 * the unit's registers and memory to look at what the driver built):
 *   - bring-up: SMMUEN, GBPA abort, both stream table shapes (linear when
 *     the unit lacks 2-level tables or has at most 256 StreamIDs) and both
 *     CD table shapes (linear up to 1024 substreams);
 *   - replace without a blocked window: DMA from other threads never
 *     faults while the RID moves between stage-1, stage-2 and identity
 *     domains and a PASID between stage-1 domains;
 *   - a blocked RID: an abort STE (DMA aborted, no event) without PASIDs,
 *     S1DSS terminate with them, every step of a replace into and out of
 *     blocked translating as the old or the new entry;
 *   - strict invalidation: after an unmap returns, DMA to it faults, for
 *     ranges of every size, with and without range invalidation (RIL),
 *     and on a unit without MSIs, whose CMD_SYNCs ask for none and are
 *     waited for through CMDQ_CONS;
 *     ATC invalidations reach an ATS device's callback;
 *   - events reported to the device's fault handler with the event number,
 *     each kind the driver's tables can lead to with the request's RID,
 *     PASID, page and direction; those of StreamIDs without a device
 *     counted as unhandled; event and PRI queue overflows acknowledged,
 *     the queues going on;
 *     page requests answered through CMD_PRI_RESP, also when the device
 *     raises a new one from inside the answer (the driver's own queue
 *     submission);
 *   - command queue errors recovered and counted, with MSIs and without;
 *   - what the driver refuses (-EINVAL).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <siommu/core.h>

#include "core_test.h"
#include "core_unit.h"
#include "test.h"
#include "core/drivers/smmuv3/smmuv3_drv.h"	/* smmu_drv_cmdq_hook_set */

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define IOVA 0x100000ull

static struct siommu_ctx *ctx;
static struct siommu_mem *mem;

static uint32_t reg32(struct siommu_unit *unit, unsigned int off)
{
	uint64_t v = 0;

	CHECK_OK(siommu_smmuv3_mmio_read(siommu_unit_smmuv3(unit), off, 4, &v));
	return (uint32_t)v;
}

static uint64_t reg64(struct siommu_unit *unit, unsigned int off)
{
	uint64_t v = 0;

	CHECK_OK(siommu_smmuv3_mmio_read(siommu_unit_smmuv3(unit), off, 8, &v));
	return v;
}

static int dma_read(struct siommu_unit *unit, uint32_t sid, int ssid, uint64_t iova,
		    uint64_t *v, struct siommu_smmuv3_xlate *x)
{
	struct siommu_smmuv3_req req = { .sid = sid, .ssv = ssid >= 0,
					  .ssid = ssid >= 0 ? (uint32_t)ssid : 0, .iova = iova };

	return siommu_smmuv3_dma_read(siommu_unit_smmuv3(unit), &req, v, sizeof(*v), NULL, x);
}

static uint64_t buf_new(uint64_t val)
{
	uint64_t pa;

	CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &pa));
	CHECK_OK(siommu_mem_write(mem, pa, &val, sizeof(val)));
	return pa;
}

static struct siommu_domain *dom_new(struct siommu_unit *unit, enum siommu_domain_type type,
				     enum siommu_domain_stage stage)
{
	struct siommu_domain *dom;

	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = type, .stage = stage }, &dom));
	return dom;
}

/* Word @w of the STE of @sid, read the way the unit finds it. */
static uint64_t ste_word(struct siommu_unit *unit, uint32_t sid, unsigned int w)
{
	uint64_t ste[8];

	test_smmuv3_ste(unit, mem, sid, ste);
	return ste[w];
}

/* Bring-up and table shapes ------------------------------------------------ */

static void check_shapes(uint32_t features, unsigned int sid_bits, bool st_2lvl)
{
	struct siommu_smmuv3_cfg cfg = { .features = features, .sid_bits = sid_bits };
	struct siommu_unit *unit;
	struct siommu_device *d20, *d8;
	struct siommu_domain *dom;
	uint64_t buf = buf_new(0x5a5a), v = 0, w0;
	uint32_t pasid = 0;
	bool cd2l = features & SIOMMU_SMMUV3_F_CD2L;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, &cfg, &unit));
	CHECK(reg32(unit, SIOMMU_SMMUV3_CR0ACK) & SIOMMU_SMMUV3_CR0_SMMUEN);
	CHECK(reg32(unit, SIOMMU_SMMUV3_GBPA) & SIOMMU_SMMUV3_GBPA_ABORT);
	CHECK_EQ((reg32(unit, SIOMMU_SMMUV3_STRTAB_BASE_CFG) >> 16) & 3, st_2lvl);
	/* A RID beyond the unit's StreamIDs is no device of it. */
	if (sid_bits < 16)
		CHECK_EQ(siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = (uint16_t)(1u << sid_bits), .alias_rid = SIOMMU_NO_ALIAS },
			&d8), -EINVAL);

	d20 = test_dev_add(unit, 0x20, 20, 0);
	d8 = test_dev_add(unit, (uint16_t)((1u << sid_bits) - 1), 8, 0);
	dom = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_AUTO);
	CHECK_OK(siommu_domain_map(dom, IOVA, buf, SIOMMU_SZ_4K, RW));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 700000, 1000000, 1, &pasid));
	CHECK_OK(siommu_device_attach(d20, dom));
	CHECK_OK(siommu_device_attach(d8, dom));
	/* S1 Config, the CD table's shape and size (SMMUv3 5.2). */
	w0 = ste_word(unit, 0x20, 0);
	CHECK_EQ((w0 >> 1) & 7, SIOMMU_SMMUV3_STE_S1);
	CHECK_EQ((w0 >> 4) & 3, cd2l ? SIOMMU_SMMUV3_S1FMT_64K_L2 : SIOMMU_SMMUV3_S1FMT_LINEAR);
	CHECK_EQ(w0 >> 59, cd2l ? 20 : 10);
	w0 = ste_word(unit, (1u << sid_bits) - 1, 0);
	CHECK_EQ((w0 >> 4) & 3, SIOMMU_SMMUV3_S1FMT_LINEAR);
	CHECK_EQ(w0 >> 59, 8);
	CHECK_OK(dma_read(unit, 0x20, -1, IOVA, &v, NULL));
	CHECK_EQ(v, 0x5a5a);
	CHECK_OK(dma_read(unit, (1u << sid_bits) - 1, -1, IOVA, &v, NULL));
	CHECK_EQ(v, 0x5a5a);
	if (cd2l) {
		/* A substream in a level-2 CD table of its own. */
		CHECK_OK(siommu_device_attach_pasid(d20, pasid, dom));
		CHECK_OK(dma_read(unit, 0x20, (int)pasid, IOVA, &v, NULL));
		CHECK_EQ(v, 0x5a5a);
		CHECK_OK(siommu_device_detach_pasid(d20, pasid));
	} else {
		CHECK_EQ(siommu_device_attach_pasid(d20, pasid, dom), -ERANGE);
	}
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	siommu_device_remove(d20);
	siommu_device_remove(d8);
	CHECK_OK(siommu_domain_free(dom));
	siommu_mem_frame_free(mem, buf, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
}

/* Replace without a blocked window ---------------------------------------- */

struct reader {
	struct siommu_unit *unit;
	uint32_t sid;
	int ssid;
	uint64_t iova;
	const uint64_t *ok;	/* the values a read may return */
	unsigned int nr_ok;
	bool stop;
	uint64_t reads, faults, wrong;
};

static void read_once(struct reader *r)
{
	uint64_t v = 0;
	unsigned int i;

	if (dma_read(r->unit, r->sid, r->ssid, r->iova, &v, NULL)) {
		r->faults++;
	} else {
		for (i = 0; i < r->nr_ok && r->ok[i] != v; i++)
			;
		r->wrong += i == r->nr_ok;
	}
	__atomic_store_n(&r->reads, r->reads + 1, __ATOMIC_RELAXED);
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		read_once(r);
	return NULL;
}

/* Each step of every entry update, as the unit sees it: a read from the
 * RID, and from the PASID once it is attached. */
struct steps {
	struct reader rid, pas;
	bool pasid_on;
	uint64_t n;
};

static void step_read(void *arg)
{
	struct steps *st = arg;

	st->n++;
	read_once(&st->rid);
	if (st->pasid_on)
		read_once(&st->pas);
}

/* Whether @r has read at least @n times. */
static bool reads_at_least(struct reader *r, uint64_t n)
{
	return __atomic_load_n(&r->reads, __ATOMIC_RELAXED) >= n;
}

static void check_replace(void)
{
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *d[5];
	uint64_t bi = buf_new(0x1d), b[4], ok[5];
	struct reader rid = { 0 }, pas = { 0 };
	struct steps st;
	pthread_t t[2];
	uint32_t pasid;
	unsigned int i, round;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x30, 8, 0);
	d[0] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	d[1] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	d[2] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_SECOND);
	d[3] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_SECOND);
	d[4] = dom_new(unit, SIOMMU_DOMAIN_IDENTITY, SIOMMU_STAGE_AUTO);
	/* Every domain translates the identity buffer's address: to a
	 * buffer of its own, or (identity) to itself. */
	for (i = 0; i < 4; i++) {
		b[i] = buf_new(0x100 + i);
		ok[i] = 0x100 + i;
		CHECK_OK(siommu_domain_map(d[i], bi, b[i], SIOMMU_SZ_4K, RW));
	}
	ok[4] = 0x1d;
	CHECK_OK(siommu_device_attach(dev, d[0]));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, &pasid));

	rid = (struct reader){ .unit = unit, .sid = 0x30, .ssid = -1, .iova = bi, .ok = ok,
			       .nr_ok = 5 };
	pas = (struct reader){ .unit = unit, .sid = 0x30, .ssid = (int)pasid, .iova = bi,
			       .ok = ok, .nr_ok = 2 };

	/* Every intermediate entry translates as the old or the new one. */
	st = (struct steps){ .rid = rid, .pas = pas };
	smmu_drv_step_hook_set(unit, step_read, &st);
	for (round = 0; round < 22; round++) {
		static const unsigned int seq[] = { 1, 2, 3, 0, 4, 2, 4, 1, 3, 2, 0 };

		CHECK_OK(siommu_device_attach(dev, d[seq[round % 11]]));
	}
	CHECK_OK(siommu_device_attach_pasid(dev, pasid, d[0]));
	st.pasid_on = true;
	for (round = 0; round < 8; round++) {
		CHECK_OK(siommu_device_attach_pasid(dev, pasid, d[round % 2]));
		CHECK_OK(siommu_device_attach(dev, d[(round / 2) % 2 ? 4 : 1]));
	}
	smmu_drv_step_hook_set(unit, NULL, NULL);
	CHECK_OK(siommu_device_detach_pasid(dev, pasid));
	CHECK_OK(siommu_device_attach(dev, d[0]));
	fprintf(stderr, "replace: %" PRIu64 " steps, each read from the RID and PASID\n",
		st.n);
	CHECK(st.n > 60);
	CHECK_EQ(st.rid.faults + st.rid.wrong + st.pas.faults + st.pas.wrong, 0);

	/* And DMA from other threads all the while. */
	CHECK_OK(pthread_create(&t[0], NULL, reader_fn, &rid));
	/* The RID through every pair of shapes: S1 -> S1 (a CD replace),
	 * S1 <-> S2 and S2 -> S2 (STE replaces), identity <-> both. */
	for (round = 0; round < 220 || !reads_at_least(&rid, 2000); round++) {
		static const unsigned int seq[] = { 1, 2, 3, 0, 4, 2, 4, 1, 3, 2, 0 };

		CHECK_OK(siommu_device_attach(dev, d[seq[round % 11]]));
	}
	/* A PASID between stage-1 domains while the RID is one too. */
	CHECK_OK(siommu_device_attach(dev, d[0]));
	CHECK_OK(siommu_device_attach_pasid(dev, pasid, d[0]));
	CHECK_OK(pthread_create(&t[1], NULL, reader_fn, &pas));
	for (round = 0; round < 200 || !reads_at_least(&pas, 2000); round++) {
		CHECK_OK(siommu_device_attach_pasid(dev, pasid, d[round % 2]));
		CHECK_OK(siommu_device_attach(dev, d[(round / 2) % 2 ? 4 : 1]));
	}
	__atomic_store_n(&rid.stop, true, __ATOMIC_RELEASE);
	__atomic_store_n(&pas.stop, true, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(t[0], NULL));
	CHECK_OK(pthread_join(t[1], NULL));
	fprintf(stderr, "replace: %" PRIu64 " RID and %" PRIu64 " PASID reads during replaces\n",
		rid.reads, pas.reads);
	CHECK_EQ(rid.faults + rid.wrong + pas.faults + pas.wrong, 0);

	/* The exclusions, which leave everything as it was. */
	CHECK_EQ(siommu_device_attach_pasid(dev, pasid, d[2]), -EINVAL);
	CHECK_EQ(siommu_device_attach_pasid(dev, pasid, d[4]), -EINVAL);
	CHECK_EQ(siommu_device_attach(dev, d[2]), -EINVAL);	/* PASID attached */
	CHECK_OK(siommu_device_detach_pasid(dev, pasid));
	CHECK_OK(siommu_device_attach(dev, d[2]));
	CHECK_EQ(siommu_device_attach_pasid(dev, pasid, d[0]), -EINVAL);
	siommu_device_remove(dev);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	for (i = 0; i < 5; i++)
		CHECK_OK(siommu_domain_free(d[i]));
}

/* Blocked RIDs ------------------------------------------------------------ */

/* What a step of a replace may show a reader: one of two values, or a
 * fault while one end is blocked; and never a recorded event. */
struct blk_steps {
	struct siommu_unit *unit;
	uint32_t sid;
	int ssid;
	uint64_t ok[2];
	bool fault_ok;
	uint64_t n, faults, wrong, recorded;
};

static void blk_read(struct blk_steps *b, uint64_t iova)
{
	struct siommu_smmuv3_xlate x;
	uint64_t v = 0;

	b->n++;
	if (dma_read(b->unit, b->sid, b->ssid, iova, &v, &x)) {
		b->faults++;
		b->wrong += !b->fault_ok;
		b->recorded += x.event_recorded;
	} else {
		b->wrong += v != b->ok[0] && v != b->ok[1];
	}
}

static uint64_t blk_iova;

static void blk_step(void *arg)
{
	blk_read(arg, blk_iova);
}

static unsigned int blk_reported;

static void blk_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	(void)arg;
	(void)dev;
	(void)f;
	blk_reported++;
}

/* Attach @dom (NULL: blocked) with @b checking every step: the value
 * before is @from (-1: blocked), after @to. */
static void blk_attach(struct siommu_device *dev, struct siommu_domain *dom,
		       struct blk_steps *b, int64_t from, int64_t to)
{
	b->ok[0] = (uint64_t)from;
	b->ok[1] = (uint64_t)to;
	b->fault_ok = from < 0 || to < 0;
	if (dom)
		CHECK_OK(siommu_device_attach(dev, dom));
	else
		siommu_device_detach(dev);
}

/*
 * A blocked RID aborts its DMA without an event (an abort STE) unless
 * PASIDs are attached, whose CD table the STE then keeps with S1DSS
 * terminate; every replace into and out of blocked, through each domain
 * shape, shows each step as the old or the new entry.
 */
static void check_blocked(void)
{
	struct siommu_unit *unit;
	struct siommu_device *dev, *pdev;
	struct siommu_domain *d[4], *blocked;
	uint64_t bi = buf_new(0x2d), b[3];
	struct siommu_smmuv3_xlate x;
	struct blk_steps st;
	uint32_t pasid;
	uint64_t v;
	unsigned int i, round;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x38, 0, 0);
	siommu_device_set_fault_handler(dev, blk_fault, NULL);
	d[0] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	d[1] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_SECOND);
	d[2] = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	d[3] = dom_new(unit, SIOMMU_DOMAIN_IDENTITY, SIOMMU_STAGE_AUTO);
	blocked = dom_new(unit, SIOMMU_DOMAIN_BLOCKED, SIOMMU_STAGE_AUTO);
	for (i = 0; i < 3; i++) {
		b[i] = buf_new(0x200 + i);
		CHECK_OK(siommu_domain_map(d[i], bi, b[i], SIOMMU_SZ_4K, RW));
	}

	/* A new device is blocked: an abort STE, DMA aborted quietly. */
	CHECK_EQ((ste_word(unit, 0x38, 0) >> 1) & 7, SIOMMU_SMMUV3_STE_ABORT);
	CHECK_EQ(dma_read(unit, 0x38, -1, bi, &v, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_EVT_NONE);
	CHECK(!x.event_recorded);

	/* Blocked -> each shape -> blocked, by detach and by a BLOCKED
	 * domain, and domain -> domain, every step read. */
	st = (struct blk_steps){ .unit = unit, .sid = 0x38, .ssid = -1 };
	blk_iova = bi;
	smmu_drv_step_hook_set(unit, blk_step, &st);
	for (round = 0; round < 2; round++) {
		struct siommu_domain *blk = round ? blocked : NULL;

		blk_attach(dev, d[0], &st, -1, 0x200);
		blk_attach(dev, blk, &st, 0x200, -1);
		blk_attach(dev, d[1], &st, -1, 0x201);
		blk_attach(dev, blk, &st, 0x201, -1);
		blk_attach(dev, d[3], &st, -1, (int64_t)0x2d);
		blk_attach(dev, blk, &st, 0x2d, -1);
		blk_attach(dev, d[1], &st, -1, 0x201);
		blk_attach(dev, d[0], &st, 0x201, 0x200);
		blk_attach(dev, d[2], &st, 0x200, 0x202);
		blk_attach(dev, blk, &st, 0x202, -1);
		CHECK_EQ((ste_word(unit, 0x38, 0) >> 1) & 7, SIOMMU_SMMUV3_STE_ABORT);
	}
	smmu_drv_step_hook_set(unit, NULL, NULL);
	fprintf(stderr, "blocked: %" PRIu64 " steps, %" PRIu64 " quiet aborts\n", st.n,
		st.faults);
	CHECK(st.n > 20 && st.faults > 0);
	CHECK_EQ(st.wrong + st.recorded, 0);
	CHECK_EQ(blk_reported, 0);

	/* With substreams: abort until a PASID is attached, S1DSS terminate
	 * while one is (its DMA correct at every step), abort again after. */
	pdev = test_dev_add(unit, 0x39, 8, 0);
	siommu_device_set_fault_handler(pdev, blk_fault, NULL);
	CHECK_EQ((ste_word(unit, 0x39, 0) >> 1) & 7, SIOMMU_SMMUV3_STE_ABORT);
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, &pasid));
	st = (struct blk_steps){ .unit = unit, .sid = 0x39, .ssid = (int)pasid,
				 .ok = { 0x200, 0x200 }, .fault_ok = true };
	smmu_drv_step_hook_set(unit, blk_step, &st);
	CHECK_OK(siommu_device_attach_pasid(pdev, pasid, d[0]));
	CHECK_EQ(st.recorded, 0);
	CHECK_EQ((ste_word(unit, 0x39, 0) >> 1) & 7, SIOMMU_SMMUV3_STE_S1);
	CHECK_OK(dma_read(unit, 0x39, (int)pasid, bi, &v, NULL));
	CHECK_EQ(v, 0x200);
	CHECK_EQ(dma_read(unit, 0x39, -1, bi, &v, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_STREAM_DISABLED);
	CHECK_EQ(blk_reported, 1);
	st.fault_ok = false;
	st.ok[1] = 0x202;
	CHECK_OK(siommu_device_attach_pasid(pdev, pasid, d[2]));
	st.ok[0] = 0x202;
	st.fault_ok = true;
	CHECK_OK(siommu_device_detach_pasid(pdev, pasid));
	smmu_drv_step_hook_set(unit, NULL, NULL);
	CHECK_EQ((ste_word(unit, 0x39, 0) >> 1) & 7, SIOMMU_SMMUV3_STE_ABORT);
	CHECK_EQ(st.wrong + st.recorded, 0);
	CHECK_EQ(blk_reported, 1);
	CHECK_EQ(dma_read(unit, 0x39, -1, bi, &v, &x), -EFAULT);
	CHECK(!x.event_recorded);

	siommu_device_remove(pdev);
	siommu_device_remove(dev);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	for (i = 0; i < 4; i++)
		CHECK_OK(siommu_domain_free(d[i]));
	CHECK_OK(siommu_domain_free(blocked));
	for (i = 0; i < 3; i++)
		siommu_mem_frame_free(mem, b[i], SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
	siommu_mem_frame_free(mem, bi, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
}

/* Strict invalidation ------------------------------------------------------ */

/*
 * The CMD_SYNC that ends each submission of the unit in sync_unit asks
 * for an MSI (CS = SIG_IRQ) where the unit has MSIs (IDR0.MSI), and for
 * nothing where it has not: the driver then waits for CMDQ_CONS.
 */
static struct siommu_unit *sync_unit;
static uint64_t syncs_seen;

static void check_sync(uint64_t q_pa, unsigned int first, unsigned int n)
{
	unsigned int log2 = (unsigned int)(reg64(sync_unit, SIOMMU_SMMUV3_CMDQ_BASE) & 0x1f);
	bool msi = reg32(sync_unit, SIOMMU_SMMUV3_IDR0) & (1u << 13);
	uint64_t d0;

	CHECK(n > 0);
	CHECK_OK(siommu_mem_load64(mem, q_pa + ((first + n - 1) & ((1u << log2) - 1)) * 16ull,
				   &d0));
	CHECK_EQ(d0 & 0xff, 0x46);			/* CMD_SYNC */
	CHECK_EQ((d0 >> 12) & 3, msi ? 1u : 0u);	/* CS */
	syncs_seen++;
}

static void sync_hook(void *arg, uint64_t q_pa, unsigned int first, unsigned int n)
{
	(void)arg;
	check_sync(q_pa, first, n);
}

struct atc_log {
	unsigned int calls;
	uint64_t first, last;	/* union of what was invalidated */
};

static void atc_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	struct atc_log *l = opaque;
	uint64_t end = inv->size == ~0ull ? ~0ull : inv->addr + inv->size - 1;

	if (!l->calls++ || inv->addr < l->first)
		l->first = inv->addr;
	if (l->calls == 1 || end > l->last)
		l->last = end;
}

static void pri_resp_none(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	(void)opaque;
	(void)r;
}

static void stall_none(void *opaque, const struct siommu_smmuv3_stall_end *e)
{
	(void)opaque;
	(void)e;
}

static void check_inval(uint32_t features, bool no_msi)
{
	struct siommu_smmuv3_cfg cfg = { .features = features, .no_msi = no_msi };
	static const uint64_t npages[] = { 1, 3, 31, 32, 33, 37, 255, 256, 257, 300 };
	const struct siommu_smmuv3_dev_ops ops = { atc_inv, pri_resp_none, stall_none };
	enum siommu_domain_stage stages[2] = { SIOMMU_STAGE_FIRST, SIOMMU_STAGE_SECOND };
	struct atc_log log = { 0 };
	struct siommu_unit *unit;
	struct siommu_device *dev;
	uint64_t buf = buf_new(0xab), v, unmapped;
	struct siommu_unit_stats st0, st;
	unsigned int s, k, p;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, &cfg, &unit));
	CHECK_EQ(!(reg32(unit, SIOMMU_SMMUV3_IDR0) & (1u << 13)), no_msi);
	sync_unit = unit;
	syncs_seen = 0;
	smmu_drv_cmdq_hook_set(unit, sync_hook, NULL);
	siommu_unit_get_stats(unit, &st0);
	dev = test_dev_add(unit, 0x40, 0, SIOMMU_DEV_ATS);
	CHECK_OK(siommu_smmuv3_dev_register(siommu_unit_smmuv3(unit), 0x40, &ops, &log));
	for (s = 0; s < 2; s++) {
		struct siommu_domain *dom = dom_new(unit, SIOMMU_DOMAIN_PAGING, stages[s]);

		CHECK_OK(siommu_device_attach(dev, dom));
		for (k = 0; k < sizeof(npages) / sizeof(npages[0]); k++) {
			uint64_t base = IOVA + (k << 24);

			for (p = 0; p < npages[k]; p++)
				CHECK_OK(siommu_domain_map(dom, base + p * 4096ull, buf,
							   SIOMMU_SZ_4K, RW));
			/* Every page cached in the TLB. */
			for (p = 0; p < npages[k]; p++) {
				CHECK_OK(dma_read(unit, 0x40, -1, base + p * 4096ull, &v, NULL));
				CHECK_EQ(v, 0xab);
			}
			log.calls = 0;
			CHECK_OK(siommu_domain_unmap(dom, base, npages[k] * 4096, &unmapped));
			CHECK_EQ(unmapped, npages[k] * 4096);
			for (p = 0; p < npages[k]; p++)
				CHECK_EQ(dma_read(unit, 0x40, -1, base + p * 4096ull, &v, NULL),
					 -EFAULT);
			/* The device's ATC was told, for at least the range. */
			CHECK(log.calls > 0);
			CHECK(log.first <= base && log.last >= base + npages[k] * 4096 - 1);
		}
		siommu_device_detach(dev);
		CHECK_OK(siommu_domain_free(dom));
	}
	smmu_drv_cmdq_hook_set(unit, NULL, NULL);
	CHECK(syncs_seen > 20);
	/* Each SYNC seen complete, none timed out. */
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.inv_errors, 0);
	CHECK_EQ(st.inv_waits - st0.inv_waits, syncs_seen);
	siommu_smmuv3_dev_unregister(siommu_unit_smmuv3(unit), 0x40);
	siommu_device_remove(dev);
	siommu_mem_frame_free(mem, buf, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
}

/* Command queue errors ----------------------------------------------------- */

struct corrupt {
	unsigned int left;	/* submissions still to corrupt */
};

static void corrupt_cmd(void *arg, uint64_t q_pa, unsigned int first, unsigned int n)
{
	struct corrupt *c = arg;
	uint64_t d0;

	check_sync(q_pa, first, n);
	if (!c->left)
		return;
	c->left--;
	/* Opcode 0xff is no command (SMMUv3 4: CERROR_ILL). */
	CHECK_OK(siommu_mem_read(mem, q_pa + first * 16ull, &d0, sizeof(d0)));
	d0 |= 0xff;
	CHECK_OK(siommu_mem_write(mem, q_pa + first * 16ull, &d0, sizeof(d0)));
}

static void check_cmdq_errors(bool no_msi)
{
	struct siommu_smmuv3_cfg cfg = { .no_msi = no_msi };
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *dom;
	struct siommu_unit_stats st;
	struct corrupt c = { 0 };
	uint64_t buf = buf_new(0xcd), v, unmapped;
	unsigned int i;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, &cfg, &unit));
	sync_unit = unit;
	dev = test_dev_add(unit, 0x50, 0, 0);
	dom = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	CHECK_OK(siommu_device_attach(dev, dom));
	smmu_drv_cmdq_hook_set(unit, corrupt_cmd, &c);
	for (i = 1; i <= 8; i++) {
		CHECK_OK(siommu_domain_map(dom, IOVA, buf, SIOMMU_SZ_4K, RW));
		CHECK_OK(dma_read(unit, 0x50, -1, IOVA, &v, NULL));
		/* The unmap's TLBI refused, then (i > 4) every recovery's too:
		 * the queue is reset. Nothing stale is left either way. */
		c.left = i;
		CHECK_OK(siommu_domain_unmap(dom, IOVA, SIOMMU_SZ_4K, &unmapped));
		CHECK_EQ(dma_read(unit, 0x50, -1, IOVA, &v, NULL), -EFAULT);
		siommu_unit_get_stats(unit, &st);
		CHECK(st.inv_errors >= i);
	}
	c.left = 0;
	smmu_drv_cmdq_hook_set(unit, NULL, NULL);
	siommu_unit_get_stats(unit, &st);
	fprintf(stderr, "command queue: %" PRIu64 " errors recovered\n", st.inv_errors);
	/* The queue works afterwards. */
	CHECK_OK(siommu_domain_map(dom, IOVA, buf, SIOMMU_SZ_4K, RW));
	CHECK_OK(dma_read(unit, 0x50, -1, IOVA, &v, NULL));
	CHECK_EQ(v, 0xcd);
	CHECK_OK(siommu_domain_unmap(dom, IOVA, SIOMMU_SZ_4K, &unmapped));
	CHECK_EQ(dma_read(unit, 0x50, -1, IOVA, &v, NULL), -EFAULT);
	siommu_device_remove(dev);
	CHECK_OK(siommu_domain_free(dom));
}

/* Events and page requests ------------------------------------------------- */

static struct siommu_fault last_fault;
static unsigned int nr_faults;

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	(void)arg;
	(void)dev;
	last_fault = *f;
	nr_faults++;
}

struct pri_dev {
	struct siommu_smmuv3 *hw;
	unsigned int resps, again;	/* answers seen; requests still to raise */
	uint8_t last_resp;
};

/* The device answers a response with a new request while it may: from
 * inside the driver's own CMDQ_PROD write. */
static void pri_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	struct pri_dev *p = opaque;

	p->resps++;
	p->last_resp = r->resp;
	if (p->again) {
		struct siommu_smmuv3_page_req q = {
			.sid = r->sid, .ssv = r->ssv, .ssid = r->ssid, .addr = 0x7000,
			.access = SIOMMU_SMMUV3_READ, .prgi = (uint16_t)(r->prgi + 1),
			.last = true,
		};

		p->again--;
		CHECK_OK(siommu_smmuv3_page_request(p->hw, &q));
	}
}

/*
 * A unit (@cfg, NULL: the defaults) with an ATS and PRI device at @sid
 * (8-bit PASIDs), its fault handler on_fault() and unit callbacks @ops,
 * and a new stage-1 domain attached at a new PASID of it.
 */
static struct siommu_device *pri_dev_add(const struct siommu_smmuv3_cfg *cfg, uint32_t sid,
					 const struct siommu_smmuv3_dev_ops *ops, void *opaque,
					 struct siommu_unit **unit, struct siommu_domain **dom,
					 uint32_t *pasid)
{
	struct siommu_device *dev;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, cfg, unit));
	dev = test_dev_add(*unit, (uint16_t)sid, 8, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	siommu_device_set_fault_handler(dev, on_fault, NULL);
	CHECK_OK(siommu_smmuv3_dev_register(siommu_unit_smmuv3(*unit), sid, ops, opaque));
	*dom = dom_new(*unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, pasid));
	CHECK_OK(siommu_device_attach_pasid(dev, *pasid, *dom));
	return dev;
}

static void check_events(void)
{
	const struct siommu_smmuv3_dev_ops ops = { NULL, pri_resp, stall_none };
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *dom;
	struct siommu_smmuv3_xlate x;
	struct siommu_unit_stats st;
	struct pri_dev p = { 0 };
	uint32_t pasid;
	uint64_t v;

	dev = pri_dev_add(NULL, 0x60, &ops, &p, &unit, &dom, &pasid);
	p.hw = siommu_unit_smmuv3(unit);

	/* An unmapped IOVA at the PASID: F_TRANSLATION to the handler. */
	CHECK_EQ(dma_read(unit, 0x60, (int)pasid, 0x9000, &v, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK_EQ(nr_faults, 1);
	CHECK_EQ(last_fault.reason, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK_EQ(last_fault.rid, 0x60);
	CHECK(last_fault.pasid_present);
	CHECK_EQ(last_fault.pasid, pasid);
	CHECK_EQ(last_fault.addr, 0x9000);
	CHECK(!last_fault.write);
	/* The blocked RID: the default substream is terminated, recorded. */
	CHECK_EQ(dma_read(unit, 0x60, -1, 0x9000, &v, &x), -EFAULT);
	CHECK(x.event_recorded);
	CHECK_EQ(nr_faults, 2);
	CHECK_EQ(last_fault.reason, x.event);
	CHECK(!last_fault.pasid_present);

	/* A page request: answered "invalid" (no I/O page fault handling
	 * yet), and the device's new requests raised from inside each
	 * answer are answered too. */
	p.again = 5;
	CHECK_OK(siommu_smmuv3_page_request(p.hw, &(struct siommu_smmuv3_page_req){
		.sid = 0x60, .ssv = true, .ssid = pasid, .addr = 0x7000,
		.access = SIOMMU_SMMUV3_READ, .prgi = 1, .last = true }));
	CHECK_EQ(p.resps, 6);
	CHECK_EQ(p.last_resp, 0);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.page_requests, 6);
	CHECK_EQ(st.faults, 2);
	CHECK_EQ(st.domain_ids, 1);

	siommu_smmuv3_dev_unregister(p.hw, 0x60);
	siommu_device_remove(dev);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	CHECK_OK(siommu_domain_free(dom));
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.domain_ids, 0);
}

/* Every event the driver's tables can lead to ----------------------------- */

/*
 * A request from (sid, ssid: -1 none) at @iova, a write with @write, an
 * ATS translation request with @ats: it faults with @event recorded, and
 * the device's handler gets it once, with the request's RID, PASID and,
 * for an event about the access, its page and direction.
 */
static void expect_report(struct siommu_unit *unit, uint32_t sid, int ssid, uint64_t iova,
			  bool write, bool ats, uint32_t event)
{
	struct siommu_smmuv3 *hw = siommu_unit_smmuv3(unit);
	struct siommu_smmuv3_req req = {
		.sid = sid, .ssv = ssid >= 0, .ssid = ssid >= 0 ? (uint32_t)ssid : 0,
		.iova = iova, .len = 8,
		.access = write ? SIOMMU_SMMUV3_WRITE : SIOMMU_SMMUV3_READ,
	};
	struct siommu_smmuv3_xlate x;
	unsigned int n0 = nr_faults;
	uint64_t v = 0;
	int ret;

	memset(&x, 0, sizeof(x));
	if (ats)
		ret = siommu_smmuv3_ats_translate(hw, &req, &x);
	else if (write)
		ret = siommu_smmuv3_dma_write(hw, &req, &v, sizeof(v), NULL, &x);
	else
		ret = siommu_smmuv3_dma_read(hw, &req, &v, sizeof(v), NULL, &x);
	CHECK_EQ(ret, -EFAULT);
	CHECK_EQ(x.event, event);
	CHECK(x.event_recorded);
	CHECK_EQ(nr_faults, n0 + 1);
	CHECK_EQ(last_fault.reason, event);
	CHECK_EQ(last_fault.rid, sid);
	CHECK_EQ(last_fault.pasid_present, ssid >= 0);
	CHECK_EQ(last_fault.pasid, ssid >= 0 ? (uint32_t)ssid : 0);
	/* Configuration events carry no access: no address, no direction. */
	if (event >= SIOMMU_SMMUV3_F_TRANSLATION || event == SIOMMU_SMMUV3_F_BAD_ATS_TREQ) {
		CHECK_EQ(last_fault.addr, iova & ~0xfffull);
		CHECK_EQ(last_fault.write, write);
	} else {
		CHECK_EQ(last_fault.addr, 0);
		CHECK(!last_fault.write);
	}
}

static void check_event_reports(void)
{
	struct siommu_smmuv3_cfg cfg = { .sid_bits = 17 };
	struct siommu_unit *unit;
	struct siommu_device *da, *db, *ds2;
	struct siommu_domain *dom, *s2;
	struct siommu_smmuv3_xlate x;
	struct siommu_unit_stats st0, st;
	uint64_t buf = buf_new(0x77), v;
	uint32_t pasid;

	CHECK_OK(siommu_unit_add_smmuv3(ctx, &cfg, &unit));
	da = test_dev_add(unit, 0x80, 8, 0);
	db = test_dev_add(unit, 0x81, 8, 0);
	ds2 = test_dev_add(unit, 0x82, 0, 0);
	siommu_device_set_fault_handler(da, on_fault, NULL);
	siommu_device_set_fault_handler(db, on_fault, NULL);
	siommu_device_set_fault_handler(ds2, on_fault, NULL);
	dom = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	s2 = dom_new(unit, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_SECOND);
	CHECK_OK(siommu_domain_map(dom, IOVA, buf, SIOMMU_SZ_4K, SIOMMU_PROT_READ));
	CHECK_OK(siommu_domain_map(s2, IOVA, buf, SIOMMU_SZ_4K, SIOMMU_PROT_READ));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, &pasid));
	CHECK_OK(siommu_device_attach(da, dom));
	CHECK_OK(siommu_device_attach_pasid(da, pasid, dom));
	CHECK_OK(siommu_device_attach_pasid(db, pasid, dom));
	CHECK_OK(siommu_device_attach(ds2, s2));

	/* Translation faults at both stages, read and write, with and
	 * without a PASID; the page offset is not the fault's. */
	expect_report(unit, 0x80, -1, 0x9123, false, false, SIOMMU_SMMUV3_F_TRANSLATION);
	expect_report(unit, 0x80, (int)pasid, 0xa008, true, false, SIOMMU_SMMUV3_F_TRANSLATION);
	expect_report(unit, 0x82, -1, 0xb010, true, false, SIOMMU_SMMUV3_F_TRANSLATION);
	expect_report(unit, 0x80, (int)pasid, IOVA + 0x18, true, false,
		      SIOMMU_SMMUV3_F_PERMISSION);
	expect_report(unit, 0x82, -1, IOVA + 0x20, true, false, SIOMMU_SMMUV3_F_PERMISSION);
	/* Configuration: a PASID with nothing attached, one beyond the CD
	 * table, one on a stage-2 STE, a blocked RID with PASIDs. */
	expect_report(unit, 0x80, (int)pasid + 1, IOVA, false, false, SIOMMU_SMMUV3_C_BAD_CD);
	expect_report(unit, 0x80, 0x400, IOVA, true, false, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID);
	expect_report(unit, 0x82, 3, IOVA, false, false, SIOMMU_SMMUV3_C_BAD_SUBSTREAMID);
	expect_report(unit, 0x81, -1, 0xc000, true, false, SIOMMU_SMMUV3_F_STREAM_DISABLED);
	/* An ATS translation request from a device without ATS (EATS 0). */
	expect_report(unit, 0x80, -1, IOVA, true, true, SIOMMU_SMMUV3_F_BAD_ATS_TREQ);
	expect_report(unit, 0x80, (int)pasid, IOVA + 0x1000, false, true,
		      SIOMMU_SMMUV3_F_BAD_ATS_TREQ);

	/* No device behind the StreamID: an invalid STE, no level-2 table,
	 * beyond the table (a StreamID wider than any RID). Each read and
	 * counted as unhandled. */
	siommu_unit_get_stats(unit, &st0);
	CHECK_EQ(dma_read(unit, 0x90, -1, IOVA, &v, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_STE);
	CHECK_EQ(dma_read(unit, 0x1000, -1, IOVA, &v, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_STREAMID);
	CHECK(x.event_recorded);
	CHECK_EQ(dma_read(unit, 0x10000, -1, IOVA, &v, &x), -EFAULT);
	CHECK_EQ(x.event, SIOMMU_SMMUV3_C_BAD_STREAMID);
	CHECK(x.event_recorded);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.faults, st0.faults + 3);
	CHECK_EQ(st.faults_unhandled, st0.faults_unhandled + 3);

	siommu_device_remove(da);
	siommu_device_remove(db);
	siommu_device_remove(ds2);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	CHECK_OK(siommu_domain_free(dom));
	CHECK_OK(siommu_domain_free(s2));
	siommu_mem_frame_free(mem, buf, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
}

/* Queue overflows ------------------------------------------------------------ */

/* What an ATC invalidation callback does, inside the driver's own
 * CMDQ_PROD write, where interrupts wait for the drain after it. */
struct flood {
	struct siommu_smmuv3 *hw;
	uint32_t sid, ssid;
	unsigned int faults, page_reqs;	/* to raise, once */
	unsigned int resps, auto_resps;
};

static void flood_inv(void *opaque, const struct siommu_smmuv3_atc_inv *inv)
{
	struct flood *fl = opaque;
	unsigned int i;

	(void)inv;
	for (i = 0; i < fl->faults; i++) {
		struct siommu_smmuv3_req req = { .sid = fl->sid, .iova = 0x40000 + i * 4096ull };
		uint64_t v;

		CHECK_EQ(siommu_smmuv3_dma_read(fl->hw, &req, &v, sizeof(v), NULL, NULL), -EFAULT);
	}
	for (i = 0; i < fl->page_reqs; i++) {
		struct siommu_smmuv3_page_req q = {
			.sid = fl->sid, .ssv = true, .ssid = fl->ssid, .addr = 0x7000,
			.access = SIOMMU_SMMUV3_READ, .prgi = (uint16_t)i, .last = true,
		};
		int ret = siommu_smmuv3_page_request(fl->hw, &q);

		CHECK(ret == 0 || ret == -ENOSPC);
	}
	fl->faults = fl->page_reqs = 0;
}

static void flood_resp(void *opaque, const struct siommu_smmuv3_pri_resp *r)
{
	struct flood *fl = opaque;

	fl->resps++;
	fl->auto_resps += r->auto_response;
}

/* A queue's overflow flag is acknowledged: CONS.OVACKFLG = PROD.OVFLG. */
static bool q_ovf_acked(struct siommu_unit *unit, unsigned int prod, unsigned int cons)
{
	return !((reg32(unit, prod) ^ reg32(unit, cons)) & SIOMMU_SMMUV3_Q_OVF);
}

/*
 * More events and page requests than the queues hold, raised where the
 * driver cannot drain them at once: the ones queued are reported, the
 * overflow is acknowledged, and later ones are recorded and reported.
 */
static void check_overflow(void)
{
	struct siommu_smmuv3_cfg cfg = { .evtq_log2 = 2, .priq_log2 = 2 };
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *dom;
	struct siommu_unit_stats st0, st;
	struct siommu_smmuv3_xlate x;
	struct flood fl = { 0 };
	const struct siommu_smmuv3_dev_ops ops = { flood_inv, flood_resp, stall_none };
	uint64_t buf = buf_new(0x66), v;
	uint32_t pasid;
	unsigned int n0;

	dev = pri_dev_add(&cfg, 0x88, &ops, &fl, &unit, &dom, &pasid);
	fl.hw = siommu_unit_smmuv3(unit);
	CHECK_OK(siommu_device_attach(dev, dom));
	fl.sid = 0x88;
	fl.ssid = pasid;

	/* The event queue: 4 entries, 10 faults. */
	siommu_unit_get_stats(unit, &st0);
	n0 = nr_faults;
	fl.faults = 10;
	CHECK_OK(siommu_domain_map(dom, IOVA, buf, SIOMMU_SZ_4K, RW));
	CHECK_OK(siommu_domain_unmap(dom, IOVA, SIOMMU_SZ_4K, NULL));	/* ATC_INV */
	CHECK_EQ(fl.faults, 0);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(nr_faults - n0, 4);
	CHECK_EQ(st.faults - st0.faults, 4);
	CHECK(q_ovf_acked(unit, SIOMMU_SMMUV3_EVTQ_PROD, SIOMMU_SMMUV3_EVTQ_CONS));
	/* And the queue goes on. */
	CHECK_EQ(dma_read(unit, 0x88, -1, 0x9000, &v, &x), -EFAULT);
	CHECK(x.event_recorded);
	CHECK_EQ(nr_faults - n0, 5);
	CHECK_EQ(last_fault.addr, 0x9000);

	/* The PRI queue: 4 entries, 7 page requests; those it could not
	 * take the unit answers itself (SMMUv3 8.1). */
	fl.page_reqs = 7;
	CHECK_OK(siommu_domain_map(dom, IOVA, buf, SIOMMU_SZ_4K, RW));
	CHECK_OK(siommu_domain_unmap(dom, IOVA, SIOMMU_SZ_4K, NULL));
	CHECK_EQ(fl.page_reqs, 0);
	CHECK_EQ(fl.resps, 7);
	CHECK_EQ(fl.auto_resps, 3);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.page_requests - st0.page_requests, 4);
	CHECK(q_ovf_acked(unit, SIOMMU_SMMUV3_PRIQ_PROD, SIOMMU_SMMUV3_PRIQ_CONS));
	/* And the queue goes on: a request is queued and answered. */
	CHECK_OK(siommu_smmuv3_page_request(fl.hw, &(struct siommu_smmuv3_page_req){
		.sid = 0x88, .ssv = true, .ssid = pasid, .addr = 0x7000,
		.access = SIOMMU_SMMUV3_READ, .prgi = 9, .last = true }));
	CHECK_EQ(fl.resps, 8);
	CHECK_EQ(fl.auto_resps, 3);
	siommu_unit_get_stats(unit, &st);
	CHECK_EQ(st.page_requests - st0.page_requests, 5);

	siommu_smmuv3_dev_unregister(fl.hw, 0x88);
	siommu_device_remove(dev);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	CHECK_OK(siommu_domain_free(dom));
	siommu_mem_frame_free(mem, buf, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
}

/* A paging domain of one unit type is no table another type walks, even
 * when its stage and width look alike (x86-64 paging vs Arm stage 1, both
 * 48 bits): refused both ways; identity and blocked domains go anywhere. */
static void check_mixed_types(void)
{
	struct siommu_unit *vtd, *smmu;
	struct siommu_device *dv, *ds;
	struct siommu_domain *pv, *ps, *iv, *is;
	uint32_t pasid;

	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &vtd));
	CHECK_OK(siommu_unit_add_smmuv3(ctx, NULL, &smmu));
	dv = test_dev_add(vtd, 0x70, 8, 0);
	ds = test_dev_add(smmu, 0x70, 8, 0);
	pv = dom_new(vtd, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	ps = dom_new(smmu, SIOMMU_DOMAIN_PAGING, SIOMMU_STAGE_FIRST);
	iv = dom_new(vtd, SIOMMU_DOMAIN_IDENTITY, SIOMMU_STAGE_AUTO);
	is = dom_new(smmu, SIOMMU_DOMAIN_IDENTITY, SIOMMU_STAGE_AUTO);
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 255, 1, &pasid));
	CHECK_EQ(siommu_device_attach(ds, pv), -EINVAL);
	CHECK_EQ(siommu_device_attach(dv, ps), -EINVAL);
	CHECK_EQ(siommu_device_attach_pasid(ds, pasid, pv), -EINVAL);
	CHECK_EQ(siommu_device_attach_pasid(dv, pasid, ps), -EINVAL);
	CHECK(siommu_device_domain(ds, 0) == NULL && siommu_device_domain(dv, 0) == NULL);
	CHECK_OK(siommu_device_attach(ds, iv));
	CHECK_OK(siommu_device_attach(dv, is));
	CHECK_OK(siommu_device_attach(ds, ps));
	CHECK_OK(siommu_device_attach(dv, pv));
	siommu_device_remove(ds);
	siommu_device_remove(dv);
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), pasid));
	CHECK_OK(siommu_domain_free(pv));
	CHECK_OK(siommu_domain_free(ps));
	CHECK_OK(siommu_domain_free(iv));
	CHECK_OK(siommu_domain_free(is));
}

int main(void)
{
	uint32_t all = SIOMMU_SMMUV3_F_ALL;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	check_shapes(all, 16, true);
	check_shapes(all, 8, false);
	check_shapes(all & ~SIOMMU_SMMUV3_F_ST2L, 12, false);
	check_shapes(all & ~SIOMMU_SMMUV3_F_CD2L, 16, true);
	check_replace();
	check_blocked();
	check_inval(all, false);
	check_inval(all & ~SIOMMU_SMMUV3_F_RIL, false);
	check_inval(all, true);
	check_cmdq_errors(false);
	check_cmdq_errors(true);
	check_events();
	check_event_reports();
	check_overflow();
	check_mixed_types();
	siommu_ctx_destroy(ctx);
	return 0;
}
