/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of the core's calls: context create (on the caller's
 * memory, and with a memory of its own, armed through its cfg), unit
 * add, device add (alone, with PASIDs, with an alias, joining an attached
 * group), domain alloc (each type), RID attach (first and replace, over a
 * group) and PASID attach (first, in a new PASID table and attachment
 * chunk, and replace). Step 1, 2, 3, ... of each is failed (the context's
 * memory countdown also drives the PASID space) until a run consumes no
 * failure. Each failure returns -ENOMEM and changes nothing observable:
 * the domain of every (device, PASID), the outcome of DMA probes, the
 * PASIDs' references, the page-table and hardware memory in use (a failed
 * map may keep empty levels, siommu/pt.h: its mappings are compared
 * instead), the unit's domain IDs. A failed context create leaves nothing
 * allocated or mapped.
 * On a unit type without PASIDs every PASID attach fails at once with
 * -EOPNOTSUPP, consuming no step and changing nothing.
 * Teardown calls consume no step. After siommu_ctx_destroy() the caller's
 * memory has nothing allocated.
 */
#include <errno.h>

#include <siommu/core.h>

#include "core_unit.h"
#include "test.h"
#include "fail_nth.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define MAX_STEPS 200
#define MAX_DEVS 8
#define MAX_PROBES 16

static struct siommu_mem *mem;
static struct siommu_ctx *ctx;
static struct siommu_unit *unit;

/* What is observed before and after every failed call. */
static struct siommu_device *devs[MAX_DEVS];
static unsigned int nr_devs;
static uint32_t pasids[4];
static unsigned int nr_pasids;
struct probe {
	uint16_t rid;
	bool pp;
	uint32_t pasid;
	uint64_t iova;
};
static struct probe probes[MAX_PROBES];
static unsigned int nr_probes;

struct snapshot {
	struct siommu_domain *dom[MAX_DEVS][5];	/* RID, then pasids[] */
	unsigned int group_size[MAX_DEVS];
	int err[MAX_PROBES];
	uint64_t val[MAX_PROBES];
	uint32_t refs[4];
	uint64_t in_use[SIOMMU_MEM_NR_PURPOSES];
	uint32_t pasids_in_use;
	uint64_t domain_ids;
	uint64_t runs, run_sum;		/* mappings of map_dom */
};

/* The domain a map sweep maps into; its levels may stay after a failure. */
static struct siommu_domain *map_dom;

static int run_cb(void *arg, const struct siommu_pt_run *run)
{
	struct snapshot *s = arg;

	s->runs++;
	s->run_sum = s->run_sum * 31 + run->iova * 7 + run->pa * 3 + run->length + run->prot;
	return 0;
}

static void snap(struct snapshot *s)
{
	struct siommu_mem_stats ms;
	struct siommu_pasid_stats ps;
	struct siommu_pasid_info pi;
	struct siommu_device_info info;
	unsigned int i, j;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < nr_devs; i++) {
		s->dom[i][0] = siommu_device_domain(devs[i], 0);
		for (j = 0; j < nr_pasids; j++)
			s->dom[i][1 + j] = siommu_device_domain(devs[i], pasids[j]);
		CHECK_OK(siommu_device_get_info(devs[i], &info));
		s->group_size[i] = info.group_size;
	}
	for (i = 0; unit && i < nr_probes; i++) {
		s->err[i] = test_unit_dma_read(unit, probes[i].rid, probes[i].pp,
					       probes[i].pasid, probes[i].iova, &s->val[i],
					       sizeof(s->val[i]), NULL);
	}
	for (j = 0; j < nr_pasids; j++) {
		CHECK_OK(siommu_pasid_query(siommu_ctx_pasids(ctx), pasids[j], &pi));
		s->refs[j] = pi.refs;
	}
	siommu_mem_get_stats(mem, &ms);
	memcpy(s->in_use, ms.in_use, sizeof(s->in_use));
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &ps);
	s->pasids_in_use = ps.in_use;
	if (unit) {
		struct siommu_unit_stats us;

		siommu_unit_get_stats(unit, &us);
		s->domain_ids = us.domain_ids;
	}
	if (map_dom)
		CHECK_OK(siommu_pt_for_each(siommu_domain_pt(map_dom), 0, 1ull << 40,
					    run_cb, s));
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	unsigned int i, j;

	for (i = 0; i < nr_devs; i++) {
		for (j = 0; j <= nr_pasids; j++)
			CHECK(a->dom[i][j] == b->dom[i][j]);
		CHECK_EQ(a->group_size[i], b->group_size[i]);
	}
	for (i = 0; i < nr_probes; i++) {
		CHECK_EQ(a->err[i], b->err[i]);
		if (!a->err[i])
			CHECK_EQ(a->val[i], b->val[i]);
	}
	for (j = 0; j < nr_pasids; j++)
		CHECK_EQ(a->refs[j], b->refs[j]);
	if (!map_dom)
		CHECK_EQ(a->in_use[SIOMMU_MEM_PT], b->in_use[SIOMMU_MEM_PT]);
	CHECK_EQ(a->runs, b->runs);
	CHECK_EQ(a->run_sum, b->run_sum);
	CHECK_EQ(a->in_use[SIOMMU_MEM_HW], b->in_use[SIOMMU_MEM_HW]);
	CHECK_EQ(a->in_use[SIOMMU_MEM_OTHER], b->in_use[SIOMMU_MEM_OTHER]);
	CHECK_EQ(a->pasids_in_use, b->pasids_in_use);
	CHECK_EQ(a->domain_ids, b->domain_ids);
}

static uint64_t failures;


static struct siommu_device *dev_add(uint16_t rid, unsigned int bits, unsigned int flags,
				     uint32_t key, int32_t alias)
{
	struct siommu_device_cfg cfg = {
		.rid = rid, .pasid_bits = bits, .flags = flags,
		.isolation_key = key, .alias_rid = alias,
	};
	struct siommu_device *d;
	char what[64];

	snprintf(what, sizeof(what), "device_add %04x", rid);
	SWEEP(what, siommu_device_add(unit, &cfg, &d));
	devs[nr_devs++] = d;
	return d;
}

/*
 * Context create with a memory of its own: the memory's creation is armed
 * through its cfg, and the countdown goes on through the context's steps.
 */
static void sweep_ctx_own_mem(void)
{
	struct siommu_mem_cfg mcfg = { .pool_base = SIOMMU_MEM_DEFAULT_POOL_BASE,
				       .pool_size = SIOMMU_MEM_DEFAULT_POOL_SIZE };
	struct siommu_ctx_cfg ccfg = { .mem_cfg = &mcfg };
	struct siommu_ctx *c;
	struct siommu_unit *u;
	uint64_t n, steps, vm;
	int ret;

	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		mcfg.fail_nth = n;
		vm = test_vm_size_kb();
		ret = siommu_ctx_create(&ccfg, &c);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			/* The 8G pool's mapping went with the failure. */
			if (vm)
				CHECK(test_vm_size_kb() < vm + (1ull << 20));
			failures++;
			continue;
		}
		steps = siommu_mem_fail_nth(siommu_ctx_mem(c), 0);
		break;
	}
	CHECK(steps < n);
	CHECK(n > 3);
	fprintf(stderr, "  %-36s %" PRIu64 " fallible steps\n", "ctx_create (own memory)",
		n - 1);
	CHECK_OK(test_unit_add(c, NULL, &u));
	siommu_ctx_destroy(c);
}

/* A PASID attach: swept where the type has PASIDs, else refused whole. */
#define PASID_SWEEP(what, call) do {						\
	if (test_unit_has_pasids()) {						\
		SWEEP(what, call);						\
	} else {								\
		struct snapshot _s0, _s1;					\
		snap(&_s0);							\
		siommu_mem_fail_nth(mem, 1);					\
		CHECK_EQ(call, -EOPNOTSUPP);					\
		CHECK_EQ(siommu_mem_fail_nth(mem, 0), 0);			\
		snap(&_s1);							\
		same(&_s0, &_s1);						\
	}									\
} while (0)

static void probe(uint16_t rid, bool pp, uint32_t pasid, uint64_t iova)
{
	probes[nr_probes++] = (struct probe){ rid, pp, pasid, iova };
}

int main(void)
{
	struct siommu_ctx_cfg ccfg;
	struct siommu_domain *fs, *fs2, *ss, *ident, *blocked, *extra, *pss, *pident;
	struct siommu_device *a, *b, *c, *g1, *g2, *al;
	struct siommu_mem_stats ms;
	struct siommu_unit *u2;
	uint64_t buf[3], v, n, steps;
	unsigned int i;
	int ret;

	sweep_ctx_own_mem();
	CHECK_OK(siommu_mem_create(NULL, &mem));
	ccfg = (struct siommu_ctx_cfg){ .mem = mem };

	/* Context create: the PASID space's steps too. */
	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		siommu_mem_fail_nth(mem, n);
		ret = siommu_ctx_create(&ccfg, &ctx);
		steps = siommu_mem_fail_nth(mem, 0);
		if (!ret)
			break;
		CHECK_EQ(ret, -ENOMEM);
		failures++;
	}
	CHECK(steps < n);
	fprintf(stderr, "fail-nth sweeps:\n");

	SWEEP("unit_add", test_unit_add(ctx, NULL, &unit));
	/* A second unit while the first is up (and working). */
	SWEEP("unit_add (second)", test_unit_add(ctx, &(struct test_unit_cfg){
		.pasid_bits = 8, .second_stage_only = true }, &u2));

	for (i = 0; i < 3; i++) {
		CHECK_OK(siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &buf[i]));
		v = 0xf00d0000ull + i;
		CHECK_OK(siommu_mem_write(mem, buf[i], &v, sizeof(v)));
	}

	SWEEP("domain_alloc first stage", siommu_domain_alloc(unit,
		&(struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
					     .stage = SIOMMU_STAGE_FIRST }, &fs));
	SWEEP("domain_alloc first stage", siommu_domain_alloc(unit,
		&(struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING }, &fs2));
	SWEEP("domain_alloc second stage", siommu_domain_alloc(unit,
		&(struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING,
					     .stage = SIOMMU_STAGE_SECOND }, &ss));
	SWEEP("domain_alloc identity", siommu_domain_alloc(unit,
		&(struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_IDENTITY }, &ident));
	SWEEP("domain_alloc blocked", siommu_domain_alloc(unit,
		&(struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_BLOCKED }, &blocked));
	CHECK_OK(siommu_domain_map(fs, 0x1000, buf[0], SIOMMU_SZ_4K, RW));
	CHECK_OK(siommu_domain_map(fs2, 0x1000, buf[1], SIOMMU_SZ_4K, RW));
	CHECK_OK(siommu_domain_map(ss, 0x1000, buf[2], SIOMMU_SZ_4K, RW));
	/* What a PASID takes in their place where it cannot take them
	 * (test_unit_pasid_domain_ok()). */
	pss = test_unit_pasid_domain_ok(SIOMMU_DOMAIN_PAGING, true) ? ss : fs;
	pident = test_unit_pasid_domain_ok(SIOMMU_DOMAIN_IDENTITY, false) ? ident : fs2;

	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1, 63, 1, &pasids[0]));
	/* Another attachment chunk and PASID table page; another PASID table
	 * page in the first chunk. */
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 5000, 5000, 1, &pasids[1]));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 1000, 1000, 1, &pasids[2]));
	nr_pasids = 3;

	/* Probes: every device's RID and PASIDs, and their neighbours. */
	a = dev_add(0x0100, 20, test_unit_dev_flags(SIOMMU_DEV_ATS), 0, SIOMMU_NO_ALIAS);
	b = dev_add(0x0208, 0, 0, 0, SIOMMU_NO_ALIAS);
	probe(0x0100, false, 0, 0x1000);
	probe(0x0100, true, pasids[0], 0x1000);
	probe(0x0100, true, pasids[1], 0x1000);
	probe(0x0100, true, pasids[2], 0x1000);
	probe(0x0208, false, 0, 0x1000);
	probe(0x0208, false, 0, buf[1]);
	probe(0x0a00, false, 0, 0x1000);
	probe(0x0a80, false, 0, 0x1000);
	probe(0x0b00, true, pasids[0], 0x1000);
	probe(0x0b01, false, 0, 0x1000);
	probe(0x0c00, false, 0, 0x1000);
	probe(0x0c08, false, 0, 0x1000);

	SWEEP("device_attach first", siommu_device_attach(a, fs));
	SWEEP("device_attach replace", siommu_device_attach(a, fs2));
	SWEEP("device_attach identity", siommu_device_attach(b, ident));
	PASID_SWEEP("attach_pasid first", siommu_device_attach_pasid(a, pasids[0], pss));
	/* Allocations kept from a failed try (the attachment chunk) shift
	 * the steps of the next; a new table in an existing chunk is swept
	 * on its own so that every step after the table page is failed. */
	PASID_SWEEP("attach_pasid first (new table)",
	      siommu_device_attach_pasid(a, pasids[2], fs));
	PASID_SWEEP("attach_pasid first (new chunk)",
	      siommu_device_attach_pasid(a, pasids[1], fs));
	PASID_SWEEP("attach_pasid replace", siommu_device_attach_pasid(a, pasids[0], fs2));
	PASID_SWEEP("attach_pasid replace (blocked)",
	      siommu_device_attach_pasid(a, pasids[1], blocked));

	/* New buses: context tables are allocated on first use. */
	c = dev_add(0x0a00, 20, 0, 0, SIOMMU_NO_ALIAS);
	(void)dev_add(0x0a80, 8, 0, 0, SIOMMU_NO_ALIAS);
	al = dev_add(0x0b00, 10, 0, 0, 0x0b01);
	g1 = dev_add(0x0c00, 20, 0, 5, SIOMMU_NO_ALIAS);
	SWEEP("device_attach group of 1", siommu_device_attach(g1, ss));
	/* Joins an attached group: its RID follows the group's domain. */
	g2 = dev_add(0x0c08, 0, 0, 5, SIOMMU_NO_ALIAS);
	SWEEP("device_attach group of 2", siommu_device_attach(g2, fs));
	SWEEP("device_attach alias", siommu_device_attach(al, ss));
	PASID_SWEEP("attach_pasid group member", siommu_device_attach_pasid(g1, pasids[1], pss));
	PASID_SWEEP("attach_pasid device", siommu_device_attach_pasid(c, pasids[0], pident));
	SWEEP("domain_alloc first stage", siommu_domain_alloc(unit,
		&(struct siommu_domain_cfg){ .type = SIOMMU_DOMAIN_PAGING }, &extra));
	/* Map into an attached domain: new levels at every depth, a 2M leaf
	 * and 4K leaves around it. The probe sees the new range. */
	probe(0x0c08, false, 0, (1ull << 39) + 0x1000);
	map_dom = fs;
	SWEEP("domain_map", siommu_domain_map(fs, 1ull << 39, buf[0] & ~(SIOMMU_SZ_2M - 1),
					      SIOMMU_SZ_2M + 0x2000, RW));
	NO_STEP(CHECK_OK(siommu_domain_unmap(fs, 1ull << 39, SIOMMU_SZ_2M + 0x2000, &v)));
	CHECK_EQ(v, SIOMMU_SZ_2M + 0x2000);
	map_dom = NULL;
	CHECK_EQ(siommu_domain_free(fs), -EBUSY);
	fprintf(stderr, "%" PRIu64 " injected failures\n", failures);
	CHECK(failures > 50);

	/* Teardown needs no step. */
	if (test_unit_has_pasids())
		NO_STEP(CHECK_OK(siommu_device_detach_pasid(c, pasids[0])));
	NO_STEP(siommu_device_detach(al));
	NO_STEP(CHECK_OK(siommu_domain_free(extra)));
	NO_STEP(siommu_device_remove(g2));
	nr_devs = 0;	/* devs[] may hold the removed one */

	/* Everything else goes with the context, still attached. */
	NO_STEP(siommu_ctx_destroy(ctx));
	for (i = 0; i < 3; i++)
		siommu_mem_frame_free(mem, buf[i], SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
	siommu_mem_get_stats(mem, &ms);
	for (i = 0; i < SIOMMU_MEM_NR_PURPOSES; i++)
		CHECK_EQ(ms.in_use[i], 0);
	siommu_mem_destroy(mem);
	return 0;
}
