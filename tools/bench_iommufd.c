/* SPDX-License-Identifier: MIT */
/*
 * `siommu bench iommufd`: the iommufd object model's map and unmap
 * through an attached domain, against walk4.
 *
 * ioas_map_unmap_4k: IOAS_MAP of one 4K page of the caller's memory at a
 * fixed IOVA of an IOAS whose automatic domain (VT-d first stage) is
 * attached to a device's RID, then IOAS_UNMAP of it: the object lookups,
 * the area tree, the page storage and its accounting, the page-table
 * update and the strict invalidation with its wait. The memory is
 * registered with the context's physical memory: another area maps the
 * whole buffer at a second IOVA throughout, as a VMM's guest RAM would be,
 * so no registration and no check of the caller's mapping is timed.
 * Target: at most 100 x walk4.
 *
 * ioas_map_unmap_2m: the same with a 2M range at a 2M-aligned IOVA,
 * mapped with one 2M leaf. Target: at most 150 x walk4.
 *
 * ioctl_ioas_map_unmap_4k: ioas_map_unmap_4k through the binary ABI
 * (siommu_iommufd_ioctl() with struct iommu_ioas_map and
 * iommu_ioas_unmap), against the same through the C API in the same run:
 * the ABI's own cost (dispatch, size rules, copies in and out).
 * Target: at most 1.5 x.
 *
 * ioctl_checked_ioas_map_unmap_4k: the same through
 * siommu_iommufd_ioctl_checked(), the preload shim's path, whose struct
 * copies go through the kernel (process_vm_readv/writev), against the C
 * API. Reported only: the two such copies per call (the struct in, the
 * answer out) cost more than the call itself.
 *
 * ioas_map_1g_of_4k_pages: IOAS_MAP alone of 1G of the caller's memory
 * into an IOAS with large pages off (HUGE_PAGES 0: 262144 4K leaves),
 * with the 262144 pages charged to an accounting bucket; its unmap is
 * not timed. Reported only.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <siommu/iommufd.h>
#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>

#include "bench.h"

#define IOVA_4K 0x10000000ull
#define IOVA_2M 0x20000000ull
#define IOVA_1G 0x40000000ull
#define IOVA_HOLD 0x80000000ull
#define RW (SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE | \
	    SIOMMU_IOAS_MAP_FIXED_IOVA)

struct ifd_bench {
	struct siommu_ctx *ctx;
	struct siommu_iommufd *ictx;
	struct siommu_iommufd_acct *acct;
	uint32_t ioas, ioas_4k;
	void *buf;		/* 2M */
	void *big;		/* 1G */
	uint64_t len;
	uint64_t iova;
	uint32_t cur;
	int err;
};

static void map_unmap_run(void *arg, uint64_t iters)
{
	struct ifd_bench *b = arg;
	uint64_t iova, done;

	while (iters--) {
		iova = b->iova;
		if (siommu_ioas_map(b->ictx, b->cur, RW, b->buf, b->len, &iova) ||
		    siommu_ioas_unmap(b->ictx, b->cur, iova, b->len, &done) || done != b->len)
			b->err = -EIO;
	}
}

static void ioctl_run(struct ifd_bench *b, uint64_t iters,
		      int (*fn)(struct siommu_iommufd *, unsigned long, void *))
{
	struct iommu_ioas_map m;
	struct iommu_ioas_unmap u;

	while (iters--) {
		m = (struct iommu_ioas_map){ .size = sizeof(m), .flags = RW, .ioas_id = b->cur,
			.user_va = (uintptr_t)b->buf, .length = b->len, .iova = b->iova };
		if (fn(b->ictx, IOMMU_IOAS_MAP, &m)) {
			b->err = -EIO;
			continue;
		}
		u = (struct iommu_ioas_unmap){ .size = sizeof(u), .ioas_id = b->cur,
			.iova = m.iova, .length = b->len };
		if (fn(b->ictx, IOMMU_IOAS_UNMAP, &u) || u.length != b->len)
			b->err = -EIO;
	}
}

static void ioctl_map_unmap_run(void *arg, uint64_t iters)
{
	ioctl_run(arg, iters, siommu_iommufd_ioctl);
}

static void ioctl_checked_map_unmap_run(void *arg, uint64_t iters)
{
	ioctl_run(arg, iters, siommu_iommufd_ioctl_checked);
}

static int setup(struct ifd_bench *b)
{
	struct siommu_device *dev[2];
	struct siommu_unit *unit;
	uint32_t id, pt;
	uint64_t off = 0;
	unsigned int i;
	int ret;

	ret = siommu_ctx_create(NULL, &b->ctx);
	if (!ret)
		ret = siommu_unit_add_vtd(b->ctx, NULL, &unit);
	for (i = 0; !ret && i < 2; i++)
		ret = siommu_device_add(unit, &(struct siommu_device_cfg){
			.rid = (uint16_t)(0x100 + 8 * i), .pasid_bits = 20,
			.alias_rid = SIOMMU_NO_ALIAS }, &dev[i]);
	/* Accounting on: a bucket the 1G map fits in. */
	if (!ret)
		ret = siommu_iommufd_acct_create(1u << 20, &b->acct);
	if (!ret)
		ret = siommu_iommufd_create(&(struct siommu_iommufd_cfg){
			.ctx = b->ctx, .user = b->acct }, &b->ictx);
	if (!ret)
		ret = siommu_ioas_alloc(b->ictx, &b->ioas);
	if (!ret)
		ret = siommu_ioas_alloc(b->ictx, &b->ioas_4k);
	if (!ret)
		ret = siommu_iommufd_option(b->ictx, SIOMMU_IOMMUFD_OPTION_HUGE_PAGES,
					    SIOMMU_IOMMUFD_OPTION_OP_SET, b->ioas_4k, &off);
	for (i = 0; !ret && i < 2; i++) {
		ret = siommu_iommufd_bind(b->ictx, dev[i], &id);
		pt = i ? b->ioas_4k : b->ioas;
		if (!ret)
			ret = siommu_iommufd_attach(b->ictx, id, SIOMMU_IOMMUFD_NO_PASID, &pt);
	}
	if (ret)
		return ret;
	b->buf = mmap(NULL, SIOMMU_SZ_2M, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b->big = mmap(NULL, SIOMMU_SZ_1G, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->buf == MAP_FAILED || b->big == MAP_FAILED)
		return -ENOMEM;
	return siommu_ioas_map(b->ictx, b->ioas, RW, b->buf, SIOMMU_SZ_2M,
			       &(uint64_t){ IOVA_HOLD });
}

/* The 1G map alone, round by round against walk4 batches. */
static void map_1g(struct bench_report *rep, struct ifd_bench *b, struct walk4 *w)
{
	static double s[BENCH_ROUNDS_MAX], base[BENCH_ROUNDS_MAX];
	uint64_t start, biters = rep->opts->quick ? 4096 : 65536;
	unsigned int i;

	start = bench_now_ns();
	for (i = 0; bench_more(rep->opts, i, start); i++) {
		uint64_t iova = IOVA_1G, t0, t1, t2;

		t0 = bench_now_ns();
		if (siommu_ioas_map(b->ictx, b->ioas_4k, RW, b->big, SIOMMU_SZ_1G, &iova))
			b->err = -EIO;
		t1 = bench_now_ns();
		if (siommu_iommufd_acct_locked(b->acct) !=
		    (SIOMMU_SZ_1G + SIOMMU_SZ_2M) >> SIOMMU_PAGE_SHIFT ||
		    siommu_ioas_unmap(b->ictx, b->ioas_4k, iova, SIOMMU_SZ_1G, NULL))
			b->err = -EIO;
		t2 = bench_now_ns();
		walk4_run(w, biters);
		base[i] = (double)(bench_now_ns() - t2) / biters;
		s[i] = (double)(t1 - t0);
	}
	bench_record_rounds(rep, "ioas_map_1g_of_4k_pages", s, "walk4", base, i, 0);
}

int bench_iommufd(struct bench_report *rep)
{
	struct ifd_bench *b;
	struct walk4 *w;
	int ret;

	b = calloc(1, sizeof(*b));
	w = walk4_create();
	ret = -ENOMEM;
	if (!b || !w)
		goto out_free;
	ret = setup(b);
	if (ret)
		goto out_destroy;
	b->cur = b->ioas;
	b->len = SIOMMU_SZ_4K;
	b->iova = IOVA_4K;
	bench_pair_iters(rep, "ioas_map_unmap_4k", map_unmap_run, b, 256, "walk4", walk4_run,
			 w, 4096, 100);
	bench_pair_iters(rep, "ioctl_ioas_map_unmap_4k", ioctl_map_unmap_run, b, 256,
			 "ioas_map_unmap_4k", map_unmap_run, b, 256, 1.5);
	bench_pair_iters(rep, "ioctl_checked_ioas_map_unmap_4k", ioctl_checked_map_unmap_run,
			 b, 256, "ioas_map_unmap_4k", map_unmap_run, b, 256, 0);
	b->len = SIOMMU_SZ_2M;
	b->iova = IOVA_2M;
	bench_pair_iters(rep, "ioas_map_unmap_2m", map_unmap_run, b, 64, "walk4", walk4_run,
			 w, 4096, 150);
	map_1g(rep, b, w);
	ret = b->err;
out_destroy:
	if (b->ictx)
		siommu_iommufd_destroy(b->ictx);
	if (b->acct)
		siommu_iommufd_acct_destroy(b->acct);
	if (b->ctx)
		siommu_ctx_destroy(b->ctx);
	if (b->buf && b->buf != MAP_FAILED)
		munmap(b->buf, SIOMMU_SZ_2M);
	if (b->big && b->big != MAP_FAILED)
		munmap(b->big, SIOMMU_SZ_1G);
out_free:
	if (w)
		walk4_destroy(w);
	free(b);
	return ret;
}
