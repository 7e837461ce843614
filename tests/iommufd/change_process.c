/* SPDX-License-Identifier: MIT */
/*
 * IOMMU_IOAS_CHANGE_PROCESS against Linux's rules, one row per case: the
 * pinned pages of every IOAS move, by their exact figures, from the
 * buckets they were charged to (the context's own here) to the caller's
 * (a caller served for another process, with buckets of its own), all
 * or nothing:
 *   - a nonzero __reserved is -EOPNOTSUPP;
 *   - an area made by IOAS_MAP, of this process's memory or of a remote
 *     caller's that a file serves, is -EINVAL;
 *   - the new locked bucket's limit is -ENOMEM;
 *   - storage shared by COPY moves once; storage not pinned moves too,
 *     and its later pin charges the new buckets; IOASes with no areas,
 *     or none at all, move nothing and succeed;
 * every refused call leaving every figure as it was, and the context's
 * close giving every page back to whichever buckets hold it. Moves racing
 * MAP_FILE, COPY and UNMAP over a domain (each pinning or unpinning) lose
 * no page: every bucket is back at zero when the areas are gone.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_test.h"

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>

struct fx {
	struct tfd t;
	struct siommu_iommufd_acct *u0, *p0;	/* the context's */
	struct siommu_iommufd_acct *u1, *p1;	/* the remote caller's */
	int memfd;
	uint8_t *buf;
	uint32_t a, b;				/* IOASes (0: none) */
	struct siommu_iommufd_user user;
};

/* The remote caller's hooks: its memory is ours; what it maps, the
 * memfd serves. */
static int r_read(void *priv, void *dst, uint64_t addr, uint64_t len)
{
	(void)priv;
	memcpy(dst, (void *)(uintptr_t)addr, len);
	return 0;
}

static int r_write(void *priv, uint64_t addr, const void *src, uint64_t len)
{
	(void)priv;
	memcpy((void *)(uintptr_t)addr, src, len);
	return 0;
}

static int r_map_file(void *priv, uint64_t addr, uint64_t len, int *fd, uint64_t *start)
{
	struct fx *f = priv;

	(void)addr;
	(void)len;
	*fd = f->memfd;
	*start = 0;
	return 0;
}

static int r_fd(void *priv, int ufd, int *fd)
{
	(void)priv;
	*fd = ufd;
	return 0;
}

static void r_made_fd(void *priv, int fd, uint32_t id)
{
	(void)priv;
	(void)fd;
	(void)id;
}

static void fx_setup(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_ctx_create(NULL, &f->t.ctx));
	CHECK_OK(test_unit_add(f->t.ctx, NULL, &f->t.unit));
	f->t.dev[0] = test_dev_add(f->t.unit, tfd_rid(0), 20, 0);
	f->t.dev[1] = test_dev_add(f->t.unit, tfd_rid(1), 20, 0);
	CHECK_OK(siommu_iommufd_acct_create(UINT64_MAX, &f->u0));
	CHECK_OK(siommu_iommufd_acct_create(UINT64_MAX, &f->p0));
	CHECK_OK(siommu_iommufd_acct_create(UINT64_MAX, &f->u1));
	CHECK_OK(siommu_iommufd_acct_create(UINT64_MAX, &f->p1));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){
		.ctx = f->t.ctx, .user = f->u0, .process = f->p0 }, &f->t.ictx));
	f->memfd = memfd_create("change-process", 0);
	CHECK(f->memfd >= 0);
	CHECK_OK(ftruncate(f->memfd, 65536));
	f->buf = tfd_buf(8192, 3);
	f->user = (struct siommu_iommufd_user){
		.read = r_read, .write = r_write, .map_file = r_map_file, .fd = r_fd,
		.made_fd = r_made_fd, .priv = f,
		.acct_user = f->u1, .acct_process = f->p1,
	};
}

static void fx_teardown(struct fx *f)
{
	siommu_iommufd_destroy(f->t.ictx);
	/* Every page back, wherever it was charged. */
	CHECK_EQ(siommu_iommufd_acct_locked(f->u0), 0);
	CHECK_EQ(siommu_iommufd_acct_pinned_vm(f->p0), 0);
	CHECK_EQ(siommu_iommufd_acct_locked(f->u1), 0);
	CHECK_EQ(siommu_iommufd_acct_pinned_vm(f->p1), 0);
	siommu_iommufd_acct_destroy(f->u0);
	siommu_iommufd_acct_destroy(f->p0);
	siommu_iommufd_acct_destroy(f->u1);
	siommu_iommufd_acct_destroy(f->p1);
	close(f->memfd);
	munmap(f->buf, 8192);
	siommu_ctx_destroy(f->t.ctx);
}

/* The user buckets' locked pages and the process buckets' pinned ones
 * (mode 0: nothing else is charged). */
static void figures_are(const struct fx *f, uint64_t u0, uint64_t p0, uint64_t u1,
			uint64_t p1)
{
	CHECK_EQ(siommu_iommufd_acct_locked(f->u0), u0);
	CHECK_EQ(siommu_iommufd_acct_pinned_vm(f->p0), p0);
	CHECK_EQ(siommu_iommufd_acct_locked(f->u1), u1);
	CHECK_EQ(siommu_iommufd_acct_pinned_vm(f->p1), p1);
	CHECK_EQ(siommu_iommufd_acct_locked(f->p0), 0);
	CHECK_EQ(siommu_iommufd_acct_locked(f->p1), 0);
}

/* ---- the rows' contexts ---- */

static void s_none(struct fx *f)
{
	(void)f;
}

static void s_empty(struct fx *f)
{
	CHECK_OK(siommu_ioas_alloc(f->t.ictx, &f->a));
}

/* IOAS a: 4 pages of the file, pinned by a domain, copied into IOAS b
 * (no domain: nothing more pinned); b: 2 more pages of the file, not
 * pinned. 4 pages charged. */
static void s_file(struct fx *f)
{
	uint64_t iova = 0x100000, iova2 = 0x400000;

	CHECK_OK(siommu_ioas_alloc(f->t.ictx, &f->a));
	CHECK_OK(siommu_ioas_alloc(f->t.ictx, &f->b));
	CHECK_OK(siommu_ioas_map_file(f->t.ictx, f->a, RW | FIXED, f->memfd, 4096, 16384,
				      &iova));
	tfd_domain(&f->t, 0, f->a);
	CHECK_OK(siommu_ioas_copy(f->t.ictx, f->b, f->a, RW | FIXED, iova, 16384, &iova2));
	iova2 = 0x800000;
	CHECK_OK(siommu_ioas_map_file(f->t.ictx, f->b, RW | FIXED, f->memfd, 32768, 8192,
				      &iova2));
}

/* And a plain MAP of this process's memory in a: 5 pages charged. */
static void s_plain(struct fx *f)
{
	uint64_t iova = 0x200000;

	s_file(f);
	CHECK_OK(siommu_ioas_map(f->t.ictx, f->a, RW | FIXED, f->buf, 4096, &iova));
}

/* And a remote caller's MAP, which the file serves, in b (not pinned). */
static void s_remote_map(struct fx *f)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = RW, .user_va = (uintptr_t)f->buf, .length = 4096,
	};

	s_file(f);
	m.ioas_id = f->b;
	CHECK_OK(siommu_iommufd_ioctl_user(f->t.ictx, IOMMU_IOAS_MAP, (uintptr_t)&m, &f->user));
}

static const struct row {
	const char *name;
	void (*setup)(struct fx *f);
	uint32_t reserved;
	uint64_t u1_limit;		/* 0: none */
	int want;
	uint64_t before;		/* pages charged, to u0 and p0 */
	uint64_t moved;			/* on success, to u1 and p1 */
	uint64_t later;			/* pinned by b's domain afterwards */
} rows[] = {
	{ "reserved", s_file, 1, 0, -EOPNOTSUPP, 4, 0, 0 },
	{ "plain MAP", s_plain, 0, 0, -EINVAL, 5, 0, 0 },
	{ "remote MAP of a file", s_remote_map, 0, 0, -EINVAL, 4, 0, 0 },
	{ "over the limit", s_file, 0, 3, -ENOMEM, 4, 0, 0 },
	{ "at the limit", s_file, 0, 4, 0, 4, 4, 0 },
	{ "file areas", s_file, 0, 0, 0, 4, 4, 2 },
	{ "IOAS without areas", s_empty, 0, 0, 0, 0, 0, 0 },
	{ "no IOAS", s_none, 0, 0, 0, 0, 0, 0 },
};

static void run(const struct row *r)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c), .__reserved = r->reserved };
	uint64_t total;
	struct fx f;
	int ret;

	fprintf(stderr, "  %s\n", r->name);
	fx_setup(&f);
	r->setup(&f);
	figures_are(&f, r->before, r->before, 0, 0);
	if (r->u1_limit)
		siommu_iommufd_acct_set_limit(f.u1, r->u1_limit);
	ret = siommu_iommufd_ioctl_user(f.t.ictx, IOMMU_IOAS_CHANGE_PROCESS, (uintptr_t)&c,
					&f.user);
	CHECK_EQ(ret, r->want);
	if (ret) {
		figures_are(&f, r->before, r->before, 0, 0);
		fx_teardown(&f);
		return;
	}
	figures_are(&f, r->before - r->moved, r->before - r->moved, r->moved, r->moved);
	total = r->moved;
	if (r->later) {
		/* Storage that was not pinned moved too: its first pin
		 * charges the caller's buckets. */
		tfd_domain(&f.t, 1, f.b);
		total += r->later;
		figures_are(&f, 0, 0, total, total);
	}
	/* Moving again to the same buckets changes nothing, even past a
	 * limit lowered below what they hold; this process's call moves
	 * everything back. */
	siommu_iommufd_acct_set_limit(f.u1, 0);
	CHECK_OK(siommu_iommufd_ioctl_user(f.t.ictx, IOMMU_IOAS_CHANGE_PROCESS, (uintptr_t)&c,
					   &f.user));
	figures_are(&f, 0, 0, total, total);
	siommu_iommufd_acct_set_limit(f.u1, UINT64_MAX);
	CHECK_OK(siommu_iommufd_ioctl(f.t.ictx, IOMMU_IOAS_CHANGE_PROCESS, &c));
	figures_are(&f, total, total, 0, 0);
	/* And the C API's, to the same: nothing changes. */
	CHECK_OK(siommu_ioas_change_process(f.t.ictx));
	figures_are(&f, total, total, 0, 0);
	fx_teardown(&f);
}

struct race {
	struct fx *f;
	uint64_t ops;
	bool stop;			/* atomic */
};

/* Map 2 pages of the file into a (pinned at once), copy them into b,
 * unmap both. */
static void *race_mapper(void *arg)
{
	struct race *r = arg;
	struct fx *f = r->f;
	uint64_t i, iova, iova2;

	for (i = 0; i < r->ops; i++) {
		iova = 0x100000;
		iova2 = 0x100000;
		CHECK_OK(siommu_ioas_map_file(f->t.ictx, f->a, RW | FIXED, f->memfd, 0, 8192,
					      &iova));
		CHECK_OK(siommu_ioas_copy(f->t.ictx, f->b, f->a, RW | FIXED, iova, 8192,
					  &iova2));
		CHECK_OK(siommu_ioas_unmap(f->t.ictx, f->a, iova, 8192, NULL));
		CHECK_OK(siommu_ioas_unmap(f->t.ictx, f->b, iova2, 8192, NULL));
	}
	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	return NULL;
}

static void races(void)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c) };
	struct race r = { .ops = test_ops(2000) };
	pthread_t th;
	struct fx f;
	bool remote = false;
	uint64_t moves = 0;

	fx_setup(&f);
	r.f = &f;
	CHECK_OK(siommu_ioas_alloc(f.t.ictx, &f.a));
	CHECK_OK(siommu_ioas_alloc(f.t.ictx, &f.b));
	tfd_domain(&f.t, 0, f.a);
	tfd_domain(&f.t, 1, f.b);
	CHECK_OK(pthread_create(&th, NULL, race_mapper, &r));
	do {
		moves++;
		remote = !remote;
		if (remote)
			CHECK_OK(siommu_iommufd_ioctl_user(f.t.ictx, IOMMU_IOAS_CHANGE_PROCESS,
							   (uintptr_t)&c, &f.user));
		else
			CHECK_OK(siommu_ioas_change_process(f.t.ictx));
	} while (!__atomic_load_n(&r.stop, __ATOMIC_ACQUIRE));
	CHECK_OK(pthread_join(th, NULL));
	fprintf(stderr, "  races: %llu moves\n", (unsigned long long)moves);
	figures_are(&f, 0, 0, 0, 0);
	fx_teardown(&f);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run(&rows[i]);
	races();
	return 0;
}
