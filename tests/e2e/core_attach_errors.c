/* SPDX-License-Identifier: MIT */
/*
 * Attach errors that leave nothing behind:
 *   - a PASID its owner freed while attachments still hold it takes no new
 *     attachment (-ENOENT), neither on another device nor as a replace,
 *     and is released when its last attachment goes;
 *   - a unit out of domain IDs (injected: the DID allocation is a fail
 *     point) fails the attach with -ENOSPC, with no PASID table page, no
 *     domain ID and no attachment left behind.
 * On a unit type without PASIDs the PASID parts are skipped (and said so);
 * the RID attach runs out of context banks, the domain IDs there.
 */
#include <errno.h>

#include <siommu/core.h>

#include "core_test.h"
#include "core_unit.h"

#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static void freed_pasid(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *a, *b;
	struct siommu_domain *d1, *d2;
	struct siommu_pasid_space *ps;
	struct siommu_pasid_info pi;
	struct siommu_domain_cfg paging = { .type = SIOMMU_DOMAIN_PAGING };
	uint32_t p;

	if (!test_unit_has_pasids()) {
		fprintf(stderr, "  freed PASID: skipped, the unit type has no PASIDs\n");
		return;
	}
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	ps = siommu_ctx_pasids(ctx);
	a = test_dev_add(unit, 0x0100, 20, 0);
	b = test_dev_add(unit, 0x0200, 20, 0);
	CHECK_OK(siommu_domain_alloc(unit, &paging, &d1));
	CHECK_OK(siommu_domain_alloc(unit, &paging, &d2));
	CHECK_OK(siommu_pasid_alloc(ps, 1, SIOMMU_PASID_MAX, 3, &p));
	CHECK_OK(siommu_device_attach_pasid(a, p, d1));
	CHECK_OK(siommu_device_attach_pasid(a, p, d2));	/* replace: fine */
	CHECK_OK(siommu_pasid_free(ps, p));

	/* Still held by a's attachment, but freed: no new user. */
	CHECK_EQ(siommu_device_attach_pasid(b, p, d1), -ENOENT);
	CHECK_EQ(siommu_device_attach_pasid(a, p, d1), -ENOENT);
	CHECK(siommu_device_domain(b, p) == NULL);
	CHECK(siommu_device_domain(a, p) == d2);
	CHECK_OK(siommu_pasid_query(ps, p, &pi));
	CHECK_EQ(pi.refs, 1);
	CHECK(!pi.allocated);

	/* The last attachment releases it; allocated anew, it works. */
	CHECK_OK(siommu_device_detach_pasid(a, p));
	CHECK_EQ(siommu_pasid_query(ps, p, &pi), -ENOENT);
	CHECK_EQ(siommu_device_attach_pasid(b, p, d1), -ENOENT);
	CHECK_OK(siommu_pasid_alloc(ps, p, p, 4, &p));
	CHECK_OK(siommu_device_attach_pasid(b, p, d1));
	CHECK_OK(siommu_device_detach_pasid(b, p));
	CHECK_OK(siommu_pasid_free(ps, p));
	siommu_ctx_destroy(ctx);
}

/* One attach whose domain-ID allocation runs dry: -ENOSPC, nothing left. */
static void out_of_dids(const char *what, struct siommu_mem *mem,
			struct siommu_unit *unit, int (*attach)(void *), void *arg,
			struct siommu_device *dev, uint32_t pasid)
{
	struct siommu_mem_stats m0, m1;
	struct siommu_unit_stats s0, s1;
	uint64_t n;
	int ret;
	bool seen = false;

	for (n = 1;; n++) {
		CHECK(n < 64);
		siommu_mem_get_stats(mem, &m0);
		siommu_unit_get_stats(unit, &s0);
		siommu_mem_fail_nth(mem, n);
		ret = attach(arg);
		siommu_mem_fail_nth(mem, 0);
		if (!ret)
			break;
		if (ret != -ENOSPC) {
			CHECK_EQ(ret, -ENOMEM);
			continue;
		}
		seen = true;
		siommu_mem_get_stats(mem, &m1);
		siommu_unit_get_stats(unit, &s1);
		CHECK_EQ(m1.in_use[SIOMMU_MEM_HW], m0.in_use[SIOMMU_MEM_HW]);
		CHECK_EQ(s1.domain_ids, s0.domain_ids);
		CHECK(siommu_device_domain(dev, pasid) == NULL);
	}
	CHECK(seen);
	fprintf(stderr, "  %s: -ENOSPC, nothing left\n", what);
}

struct attach_args {
	struct siommu_device *dev;
	uint32_t pasid;
	struct siommu_domain *dom;
};

static int do_attach(void *arg)
{
	struct attach_args *a = arg;

	return a->pasid ? siommu_device_attach_pasid(a->dev, a->pasid, a->dom)
			: siommu_device_attach(a->dev, a->dom);
}

static void no_dids(void)
{
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *a;
	struct siommu_domain *dom;
	struct siommu_mem *mem;
	uint32_t p;
	struct attach_args args;

	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	mem = siommu_ctx_mem(ctx);
	CHECK_OK(test_unit_add(ctx, NULL, &unit));
	a = test_dev_add(unit, 0x0100, 20, 0);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &dom));
	if (!test_unit_has_pasids()) {
		fprintf(stderr, "  attach_pasid: skipped, the unit type has no PASIDs\n");
		goto rid;
	}
	/* A PASID in a PASID table not yet allocated, whose attachment-table
	 * chunk exists (kept once allocated, it would take the step the
	 * domain ID needs in the second run of the sweep). */
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 4160, 4160, 1, &p));
	CHECK_OK(siommu_device_attach_pasid(a, p, dom));
	CHECK_OK(siommu_device_detach_pasid(a, p));
	CHECK_OK(siommu_pasid_free(siommu_ctx_pasids(ctx), p));
	CHECK_OK(siommu_pasid_alloc(siommu_ctx_pasids(ctx), 4096, 4096, 1, &p));
	args = (struct attach_args){ a, p, dom };
	out_of_dids("attach_pasid (new table)", mem, unit, do_attach, &args, a, p);
	CHECK_OK(siommu_device_detach_pasid(a, p));
rid:
	args = (struct attach_args){ a, 0, dom };
	out_of_dids("attach", mem, unit, do_attach, &args, a, 0);
	siommu_ctx_destroy(ctx);
}

int main(void)
{
	freed_pasid();
	no_dids();
	return 0;
}
