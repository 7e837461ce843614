/* SPDX-License-Identifier: MIT */
/*
 * Fail-nth sweep of SVA: process create, mmap, a CPU write that
 * populates, bind (the first, with the PASID, the fault path and the
 * domain; a second device on the same unit; a device on another unit),
 * mprotect (splitting, and to no access: swap), munmap (splitting),
 * a CPU read that brings a page back from swap,
 * reclaim, migrate; a pinned bind of a device without PRI (its pages
 * populated first: faulting them in is a touch, which stays) and a
 * munmap that cuts its pin in two; the fault path's worker start; and
 * fault handling,
 * where a failed step answers the group "invalid request" and populates
 * nothing. Each failure returns -ENOMEM (or -ENOSPC) and changes nothing
 * observable: the process's mappings, counters and PASID, the devices'
 * attachments, the pins, memory in use but page-table levels (a failed map
 * may keep empty ones, siommu/pt.h; they go with the process), PASIDs and domain
 * IDs in use. unbind and exit consume no step, and afterwards nothing the
 * processes had is left.
 */
#include "sva/sva_internal.h"
#include "sva_test.h"
#include "fail_nth.h"

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define MAX_STEPS 200
#define MAX_VMAS 16

static struct siommu_mem *mem;
static struct siommu_ctx *ctx;
static struct siommu_unit *unit, *unit2;
static struct test_pri_dev devs[3];
static struct siommu_device *plain;	/* PASIDs, no PRI */
static struct test_pri_dev plain_hooks;	/* on SMMUv2: plain, with PASID hooks */
static struct siommu_mm *mm;
static uint64_t failures;

struct snapshot {
	uint64_t in_use[SIOMMU_MEM_NR_PURPOSES];
	struct siommu_mm_info mi;
	uint64_t vma[MAX_VMAS][3];
	unsigned int nr_vmas;
	struct siommu_domain *dom[4];
	uint64_t pins[MAX_VMAS][2];
	unsigned int nr_pins;
	uint32_t pasids_in_use;
	uint64_t domain_ids;
};

static void snap(struct snapshot *s)
{
	struct siommu_mem_stats ms;
	struct siommu_pasid_stats ps;
	struct siommu_unit_stats us, us2;
	struct mm_vma *v;
	struct mm_pin *pin;

	memset(s, 0, sizeof(*s));
	siommu_mem_get_stats(mem, &ms);
	memcpy(s->in_use, ms.in_use, sizeof(s->in_use));
	s->in_use[SIOMMU_MEM_PT] = 0;
	if (mm) {
		siommu_mm_get_info(mm, &s->mi);
		/* A refused fault is counted: that is its answer. */
		s->mi.faults_refused = 0;
		cds_list_for_each_entry(v, &mm->vmas, node) {
			CHECK(s->nr_vmas < MAX_VMAS);
			s->vma[s->nr_vmas][0] = v->start;
			s->vma[s->nr_vmas][1] = v->last;
			s->vma[s->nr_vmas++][2] = v->prot;
		}
		cds_list_for_each_entry(pin, &mm->pins, node) {
			CHECK(s->nr_pins < MAX_VMAS);
			s->pins[s->nr_pins][0] = pin->start;
			s->pins[s->nr_pins++][1] = pin->last;
		}
		for (unsigned int i = 0; i < 4; i++)
			s->dom[i] = s->mi.pasid ? siommu_device_domain(i < 3 ? devs[i].dev : plain,
									s->mi.pasid) : NULL;
	}
	siommu_pasid_get_stats(siommu_ctx_pasids(ctx), &ps);
	s->pasids_in_use = ps.in_use;
	siommu_unit_get_stats(unit, &us);
	siommu_unit_get_stats(unit2, &us2);
	s->domain_ids = us.domain_ids + us2.domain_ids;
}

static void same(const struct snapshot *a, const struct snapshot *b)
{
	CHECK(!memcmp(a, b, sizeof(*a)));
}

static int do_create(void)
{
	struct siommu_mm *m;
	int ret = siommu_mm_create(ctx, TEST_MM_CFG(9), &m);

	if (!ret)
		mm = m;
	return ret;
}

static struct siommu_sva *binds[4];

static int do_bind(unsigned int i)
{
	return siommu_sva_bind(devs[i].dev, mm, &binds[i]);
}

static int do_bind_pinned(uint64_t addr, uint64_t length)
{
	const struct siommu_sva_range r = { addr, length };
	const struct siommu_sva_bind_opts o = { SIOMMU_SVA_BIND_PINNED, &r, 1 };

	return siommu_sva_bind_with(plain, mm, &o, &binds[3]);
}

/* A page request for @va in poll mode: the code its group got. On SMMUv2
 * a stalled DMA is the request: retried ("success") or aborted. */
static unsigned int fault_at(uint64_t va)
{
	uint32_t seen = devs[0].resp_seen[1];
	unsigned char b[8] = { 0 };

	if (test_unit_type() == TEST_UNIT_SMMUV2) {
		int ret;

		devs[0].poll = true;
		ret = test_pri_dma_once(&devs[0], siommu_sva_pasid(binds[0]), va, b, sizeof(b), true,
					NULL);
		CHECK(ret == -EAGAIN || ret == -EFAULT);
		return ret == -EAGAIN ? 0 : 1;
	}

	CHECK_OK(test_pri_request(&devs[0], siommu_sva_pasid(binds[0]), va, true, 1, true, 0));
	CHECK_EQ(siommu_iopf_poll(ctx, 0), 1);
	CHECK_EQ(devs[0].resp_seen[1], seen + 1);
	return devs[0].resp_code[1];
}

int main(void)
{
	struct siommu_mem_stats ms0, ms1;
	struct snapshot before, after;
	unsigned char buf[64] = { 1, 2, 3 };
	uint64_t va = 0, n;
	int ret;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	CHECK_OK(test_unit_add(ctx, NULL, &unit2));
	test_pri_dev_init(&devs[0], ctx, unit, 0x10, 20, 0);
	test_pri_dev_init(&devs[1], ctx, unit, 0x11, 20, SIOMMU_DEV_ATS);
	test_pri_dev_init(&devs[2], ctx, unit2, 0x10, 20, 0);
	/* On SMMUv2 a device's PASIDs are its hooks': plain has them, and
	 * neither stalls nor PRI. */
	if (test_unit_type() == TEST_UNIT_SMMUV2) {
		test_hook_dev_init(&plain_hooks, ctx, unit, 0x12, 20, 0);
		plain = plain_hooks.dev;
	} else {
		plain = test_dev_add(unit, 0x12, 20, 0);
	}
	siommu_mem_get_stats(mem, &ms0);

	/* The worker's start fails cleanly, then works. */
	for (n = 1;; n++) {
		CHECK(n < MAX_STEPS);
		siommu_mem_fail_nth(mem, n);
		ret = siommu_iopf_set_mode(ctx, SIOMMU_IOPF_WORKER);
		if (siommu_mem_fail_nth(mem, 0) < n) {
			CHECK_OK(ret);
			break;
		}
		CHECK(ret == -ENOMEM || ret == -EAGAIN);
	}
	fprintf(stderr, "  %-36s %" PRIu64 " fallible steps\n", "iopf worker", n - 1);
	CHECK_OK(siommu_iopf_set_mode(ctx, SIOMMU_IOPF_POLL));

	SWEEP("mm create", do_create());
	SWEEP("mmap", siommu_mm_mmap(mm, 0, 16 * PG, RW, &va));
	SWEEP("cpu write (populate)", siommu_mm_write(mm, va, buf, sizeof(buf)));
	SWEEP("bind (first)", do_bind(0));
	SWEEP("bind (same unit)", do_bind(1));
	SWEEP("bind (another unit)", do_bind(2));
	SWEEP("mprotect (split)", siommu_mm_mprotect(mm, va + PG, PG, SIOMMU_PROT_READ));
	SWEEP("mprotect (to swap)", siommu_mm_mprotect(mm, va, 3 * PG, 0));
	SWEEP("mprotect (back)", siommu_mm_mprotect(mm, va, 3 * PG, RW));
	SWEEP("cpu read (from swap)", siommu_mm_read(mm, va, buf, sizeof(buf)));
	CHECK_EQ(buf[2], 3);
	SWEEP("munmap (split)", siommu_mm_munmap(mm, va + 8 * PG, PG));
	SWEEP("reclaim", siommu_mm_reclaim(mm, va));
	SWEEP("cpu write (populate)", siommu_mm_write(mm, va + 4 * PG, buf, 8));
	SWEEP("migrate", siommu_mm_migrate(mm, va + 4 * PG));
	for (n = 10; n < 13; n++)
		CHECK_OK(siommu_mm_write(mm, va + n * PG, buf, 8));
	SWEEP("bind (pinned)", do_bind_pinned(va + 10 * PG, 3 * PG));
	SWEEP("munmap (cuts a pin)", siommu_mm_munmap(mm, va + 11 * PG, PG));
	CHECK_EQ(mm->pins.next != mm->pins.prev, true);
	CHECK_EQ(siommu_mm_reclaim(mm, va + 12 * PG), -EBUSY);

	/* Fault handling: a failed step answers "invalid" and changes
	 * nothing; the device's retry then succeeds. */
	for (n = 1;; n++) {
		unsigned int code;

		CHECK(n < MAX_STEPS);
		snap(&before);
		siommu_mem_fail_nth(mem, n);
		code = fault_at(va + 5 * PG);
		if (siommu_mem_fail_nth(mem, 0) < n) {
			CHECK_EQ(code, 0);
			break;
		}
		CHECK_EQ(code, 1);
		snap(&after);
		same(&before, &after);
		failures++;
	}
	fprintf(stderr, "  %-36s %" PRIu64 " fallible steps\n", "page fault", n - 1);

	NO_STEP(siommu_sva_unbind(binds[3]));
	NO_STEP(siommu_sva_unbind(binds[1]));
	NO_STEP(siommu_mm_exit(mm));
	NO_STEP(siommu_sva_unbind(binds[0]));
	NO_STEP(siommu_sva_unbind(binds[2]));
	mm = NULL;
	siommu_mem_get_stats(mem, &ms1);
	/* The devices keep the PASID table pages they grew (HW). */
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_DMA], ms0.in_use[SIOMMU_MEM_DMA]);
	CHECK_EQ(ms1.in_use[SIOMMU_MEM_PT], ms0.in_use[SIOMMU_MEM_PT]);
	fprintf(stderr, "%" PRIu64 " failures injected\n", failures);
	CHECK(failures);
	for (unsigned int i = 0; i < 3; i++)
		test_pri_dev_fini(&devs[i]);
	if (test_unit_type() == TEST_UNIT_SMMUV2)
		test_pri_dev_fini(&plain_hooks);
	else
		siommu_device_remove(plain);
	siommu_ctx_destroy(ctx);
	return 0;
}
