/* SPDX-License-Identifier: MIT */
/*
 * siommu/sva.h, ppasid.h and gpu.h against their contracts alone: one
 * table row per misuse the headers name (NULL arguments, unaligned,
 * zero and wrapping ranges, addresses outside [SIOMMU_MM_MIN_ADDR,
 * SIOMMU_MM_MAX_ADDR], a device without PASIDs or PRI, a pinned bind
 * over a shared one, quotas, a second GPU on a device, jobs past 2^64),
 * each expecting exactly the errno listed and each followed by a check
 * that nothing changed: the process's pages, PASID and binds, the
 * PASIDs in use, the device's attachments, the GPU still answering.
 */
#include <errno.h>

#include <siommu/gpu.h>
#include <siommu/ppasid.h>
#include <siommu/sva.h>

#include "sva_test.h"

#define PG SIOMMU_SZ_4K
#define RW (SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)
#define VA 0x10000000ull

struct fx {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;	/* PASIDs and PRI, bound to mm */
	struct siommu_device *plain;	/* PASIDs, neither PRI nor stalls */
	struct siommu_device *nopasid;
	struct siommu_device *gdev;	/* the GPU's */
	struct siommu_mm *mm;
	struct siommu_sva *sva;
	struct siommu_ppasid *pp;
	struct siommu_gpu *gpu;
	struct siommu_gpu_client *client;
	uint64_t buf;			/* 64K of RAM mapped for the client */
};

struct snap {
	struct siommu_mm_info mi;
	struct siommu_pasid_stats ps;
	struct siommu_domain *dev_sva, *dev_pp, *plain_pp;
	struct siommu_gpu_stats gs;
};

#include "api_rows.h"

static void snap_take(const struct fx *f, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	siommu_mm_get_info(f->mm, &s->mi);
	siommu_pasid_get_stats(siommu_ctx_pasids(f->ctx), &s->ps);
	s->dev_sva = siommu_device_domain(f->dev, siommu_sva_pasid(f->sva));
	s->dev_pp = siommu_device_domain(f->dev, siommu_ppasid_pasid(f->pp));
	s->plain_pp = siommu_device_domain(f->plain, siommu_ppasid_pasid(f->pp));
	siommu_gpu_get_stats(f->gpu, &s->gs);
}

/* The GPU still runs a job of its client and reads back what it wrote. */
static void gpu_ok(struct fx *f)
{
	char in[32] = "the GPU still answers", out[32];

	CHECK_OK(siommu_gpu_submit(f->client, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_WRITE, .dst = 0x100000, .len = sizeof(in), .data = in },
		NULL));
	CHECK_OK(siommu_gpu_submit(f->client, &(struct siommu_gpu_job){
		.op = SIOMMU_GPU_READ, .src = 0x100000, .len = sizeof(out), .out = out },
		NULL));
	CHECK(!memcmp(in, out, sizeof(in)));
}

static void fx_init(struct fx *f)
{
	struct siommu_device *both[2];

	memset(f, 0, sizeof(*f));
	CHECK_OK(siommu_ctx_create(NULL, &f->ctx));
	CHECK_OK(test_unit_add(f->ctx, NULL, &f->unit));
	f->dev = test_dev_add(f->unit, 0x0100, 20, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	f->plain = test_dev_add(f->unit, 0x0200, 20, 0);
	f->nopasid = test_dev_add(f->unit, 0x0300, 0, SIOMMU_DEV_ATS | SIOMMU_DEV_PRI);
	f->gdev = test_dev_add(f->unit, 0x0400, 20, 0);
	CHECK_OK(siommu_mm_create(f->ctx, TEST_MM_CFG(1), &f->mm));
	CHECK_OK(siommu_mm_mmap(f->mm, VA, 16 * PG, RW, NULL));
	CHECK_OK(siommu_mm_write(f->mm, VA, "x", 1));
	CHECK_OK(siommu_sva_bind(f->dev, f->mm, &f->sva));
	both[0] = f->dev;
	both[1] = f->plain;
	CHECK_OK(siommu_ppasid_alloc(both, 2, 2, &f->pp));
	CHECK_OK(siommu_pasid_set_quota(siommu_ctx_pasids(f->ctx), 9, 0));
	CHECK_OK(siommu_gpu_create(f->gdev, &f->gpu));
	CHECK_OK(siommu_gpu_client_add(f->gpu, 3, &f->client));
	CHECK_OK(siommu_mem_frame_alloc(siommu_ctx_mem(f->ctx), 0x10000, SIOMMU_MEM_OTHER,
					&f->buf));
	CHECK_OK(siommu_gpu_client_map(f->client, 0x100000, f->buf, 0x10000, RW));
	gpu_ok(f);
}

static void fx_fini(struct fx *f)
{
	siommu_gpu_client_remove(f->client);
	siommu_gpu_destroy(f->gpu);
	siommu_ppasid_free(f->pp);
	siommu_sva_unbind(f->sva);
	siommu_mm_exit(f->mm);
	siommu_ctx_destroy(f->ctx);
}

/* ---- process ---- */
static int mm_null_cfg(struct fx *f) { struct siommu_mm *m; return siommu_mm_create(f->ctx, NULL, &m); }
static int mm_null_out(struct fx *f) { return siommu_mm_create(f->ctx, TEST_MM_CFG(1), NULL); }
static int mm_flag(struct fx *f)
{
	struct siommu_mm *m;

	return siommu_mm_create(f->ctx, &(struct siommu_mm_cfg){ .owner = 1, .flags = 1u << 3 },
				&m);
}
static int mm_cpu(struct fx *f)
{
	struct siommu_mm *m;

	return siommu_mm_create(f->ctx, &(struct siommu_mm_cfg){ .owner = 1, .cpu = 7 }, &m);
}
static int mm_arm_super(struct fx *f)
{
	struct siommu_mm *m;

	return siommu_mm_create(f->ctx, &(struct siommu_mm_cfg){
		.owner = 1, .cpu = SIOMMU_MM_CPU_ARM64, .flags = SIOMMU_MM_SUPERVISOR }, &m);
}
static int mmap_len0(struct fx *f) { return siommu_mm_mmap(f->mm, 0, 0, RW, NULL); }
static int mmap_prot(struct fx *f) { return siommu_mm_mmap(f->mm, 0, PG, 1u << 5, NULL); }
static int mmap_unaligned(struct fx *f) { return siommu_mm_mmap(f->mm, VA + 0x10001, PG, RW, NULL); }
static int mmap_len_unaligned(struct fx *f) { return siommu_mm_mmap(f->mm, 0, PG + 1, RW, NULL); }
static int mmap_low(struct fx *f) { return siommu_mm_mmap(f->mm, PG, PG, RW, NULL); }
static int mmap_high(struct fx *f)
{
	return siommu_mm_mmap(f->mm, SIOMMU_MM_MAX_ADDR + 1, PG, RW, NULL);
}
static int mmap_crosses_top(struct fx *f)
{
	return siommu_mm_mmap(f->mm, SIOMMU_MM_MAX_ADDR + 1 - PG, 2 * PG, RW, NULL);
}
static int mmap_wraps(struct fx *f)
{
	return siommu_mm_mmap(f->mm, UINT64_MAX - PG + 1, 2 * PG, RW, NULL);
}
static int mmap_len_max(struct fx *f)
{
	return siommu_mm_mmap(f->mm, VA + 0x100000, UINT64_MAX - PG + 1, RW, NULL);
}
static int mmap_overlap(struct fx *f) { return siommu_mm_mmap(f->mm, VA + PG, PG, RW, NULL); }
static int munmap_len0(struct fx *f) { return siommu_mm_munmap(f->mm, VA, 0); }
static int munmap_unaligned(struct fx *f) { return siommu_mm_munmap(f->mm, VA + 1, PG); }
static int munmap_low(struct fx *f) { return siommu_mm_munmap(f->mm, 0, PG); }
static int munmap_wraps(struct fx *f) { return siommu_mm_munmap(f->mm, UINT64_MAX - PG + 1, 2 * PG); }
static int mprot_bad(struct fx *f) { return siommu_mm_mprotect(f->mm, VA, PG, 1u << 6); }
static int mprot_hole(struct fx *f) { return siommu_mm_mprotect(f->mm, VA, 32 * PG, SIOMMU_PROT_READ); }
static int mprot_wraps(struct fx *f)
{
	return siommu_mm_mprotect(f->mm, VA, UINT64_MAX - PG + 1, SIOMMU_PROT_READ);
}
static int read_hole(struct fx *f) { char b[8]; return siommu_mm_read(f->mm, VA + 16 * PG, b, 8); }
static int read_wraps(struct fx *f) { char b[32]; return siommu_mm_read(f->mm, UINT64_MAX - 7, b, 32); }
static int write_top(struct fx *f)
{
	return siommu_mm_write(f->mm, SIOMMU_MM_MAX_ADDR - 3, "12345678", 8);
}
static int reclaim_unaligned(struct fx *f) { return siommu_mm_reclaim(f->mm, VA + 8); }
static int reclaim_absent(struct fx *f) { return siommu_mm_reclaim(f->mm, VA + PG); }
static int reclaim_top(struct fx *f) { return siommu_mm_reclaim(f->mm, UINT64_MAX & ~(PG - 1)); }
static int migrate_absent(struct fx *f) { return siommu_mm_migrate(f->mm, VA + 2 * PG); }

/* ---- binds ---- */
static int bind_null_dev(struct fx *f) { struct siommu_sva *s; return siommu_sva_bind(NULL, f->mm, &s); }
static int bind_null_mm(struct fx *f) { struct siommu_sva *s; return siommu_sva_bind(f->dev, NULL, &s); }
static int bind_null_out(struct fx *f) { return siommu_sva_bind(f->dev, f->mm, NULL); }
static int bind_nopasid(struct fx *f) { struct siommu_sva *s; return siommu_sva_bind(f->nopasid, f->mm, &s); }
static int bind_no_pri(struct fx *f) { struct siommu_sva *s; return siommu_sva_bind(f->plain, f->mm, &s); }
static int pin_row(struct fx *f, struct siommu_device *dev, unsigned int flags,
		   struct siommu_sva_range r, unsigned int n)
{
	struct siommu_sva_range rs[SIOMMU_SVA_MAX_PIN_RANGES + 1];
	struct siommu_sva *s;
	unsigned int i;

	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
		rs[i] = r;
	return siommu_sva_bind_with(dev, f->mm, &(struct siommu_sva_bind_opts){
		.flags = flags, .ranges = n ? rs : NULL, .nr_ranges = n }, &s);
}
#define PIN SIOMMU_SVA_BIND_PINNED
static int pin_shared(struct fx *f) { return pin_row(f, f->dev, PIN, (struct siommu_sva_range){ VA, PG }, 1); }
static int pin_flag(struct fx *f) { return pin_row(f, f->plain, 1u << 4, (struct siommu_sva_range){ VA, PG }, 1); }
static int pin_none(struct fx *f) { return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ VA, PG }, 0); }
static int pin_too_many(struct fx *f)
{
	return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ VA, PG },
		       SIOMMU_SVA_MAX_PIN_RANGES + 1);
}
static int pin_no_flag(struct fx *f) { return pin_row(f, f->plain, 0, (struct siommu_sva_range){ VA, PG }, 1); }
static int pin_empty(struct fx *f) { return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ VA, 0 }, 1); }
static int pin_unaligned(struct fx *f) { return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ VA + 1, PG }, 1); }
static int pin_low(struct fx *f) { return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ 0, PG }, 1); }
static int pin_wraps(struct fx *f)
{
	return pin_row(f, f->plain, PIN,
		       (struct siommu_sva_range){ UINT64_MAX - PG + 1, 2 * PG }, 1);
}
static int pin_len_max(struct fx *f)
{
	return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ VA, UINT64_MAX - PG + 1 }, 1);
}
static int pin_hole(struct fx *f) { return pin_row(f, f->plain, PIN, (struct siommu_sva_range){ VA, 32 * PG }, 1); }
static int pin_nopasid(struct fx *f) { return pin_row(f, f->nopasid, PIN, (struct siommu_sva_range){ VA, PG }, 1); }

/* ---- private PASIDs ---- */
static int pp_row(struct fx *f, struct siommu_device *a, struct siommu_device *b, unsigned int n,
		  uint64_t owner)
{
	struct siommu_device *devs[2] = { a, b };
	struct siommu_ppasid *pp;
	int ret = siommu_ppasid_alloc(devs, n, owner, &pp);

	if (!ret)
		siommu_ppasid_free(pp);
	return ret;
}
static int ppa_n0(struct fx *f) { return pp_row(f, f->dev, NULL, 0, 2); }
static int ppa_null_dev(struct fx *f) { return pp_row(f, NULL, NULL, 1, 2); }
static int ppa_null_devs(struct fx *f)
{
	struct siommu_ppasid *pp;

	(void)f;
	return siommu_ppasid_alloc(NULL, 1, 2, &pp);
}
static int ppa_null_out(struct fx *f)
{
	struct siommu_device *devs[1] = { f->dev };

	return siommu_ppasid_alloc(devs, 1, 2, NULL);
}
static int ppa_nopasid(struct fx *f) { return pp_row(f, f->dev, f->nopasid, 2, 2); }
static int ppa_quota(struct fx *f) { return pp_row(f, f->dev, NULL, 1, 9); }
static int ppm_null(struct fx *f) { (void)f; return siommu_ppasid_map(NULL, 0, 0, PG, RW); }
static int ppm_prot(struct fx *f) { return siommu_ppasid_map(f->pp, 0, f->buf, PG, 0); }
static int ppm_wraps(struct fx *f)
{
	return siommu_ppasid_map(f->pp, UINT64_MAX - PG + 1, f->buf, 2 * PG, RW);
}
static int ppu_null(struct fx *f) { (void)f; return siommu_ppasid_unmap(NULL, 0, PG, NULL); }
static int ppu_wraps(struct fx *f)
{
	return siommu_ppasid_unmap(f->pp, UINT64_MAX - PG + 1, 2 * PG, NULL);
}

/* ---- GPU ---- */
static int gpu_null(struct fx *f) { struct siommu_gpu *g; (void)f; return siommu_gpu_create(NULL, &g); }
static int gpu_null_out(struct fx *f) { return siommu_gpu_create(f->plain, NULL); }
static int gpu_nopasid(struct fx *f) { struct siommu_gpu *g; return siommu_gpu_create(f->nopasid, &g); }
static int gpu_twice(struct fx *f) { struct siommu_gpu *g; return siommu_gpu_create(f->gdev, &g); }
static int client_null(struct fx *f) { return siommu_gpu_client_add(f->gpu, 3, NULL); }
static int client_quota(struct fx *f)
{
	struct siommu_gpu_client *c;

	return siommu_gpu_client_add(f->gpu, 9, &c);
}
static int job_row(struct fx *f, struct siommu_gpu_job job)
{
	char buf[64];
	struct siommu_gpu_fault fault;

	if (job.op == SIOMMU_GPU_READ && job.out == (void *)1)
		job.out = buf;
	if (job.op == SIOMMU_GPU_WRITE && job.data == (void *)1)
		job.data = buf;
	memset(buf, 0, sizeof(buf));
	return siommu_gpu_submit(f->client, &job, &fault);
}
static int job_null(struct fx *f) { return siommu_gpu_submit(f->client, NULL, NULL); }
static int job_len0(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_READ, .src = 0x100000,
						   .out = (void *)1 });
}
static int job_len_max(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_COPY, .src = 0x100000,
						   .dst = 0x100000,
						   .len = SIOMMU_GPU_JOB_MAX + 1 });
}
static int job_op(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = 9, .src = 0x100000, .len = 8 });
}
static int job_no_out(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_READ, .src = 0x100000,
						   .len = 8 });
}
static int job_no_data(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_WRITE, .dst = 0x100000,
						   .len = 8 });
}
static int job_src_wraps(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_READ,
						   .src = UINT64_MAX - 10, .len = 64,
						   .out = (void *)1 });
}
static int job_dst_wraps(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_WRITE,
						   .dst = UINT64_MAX - 10, .len = 64,
						   .data = (void *)1 });
}
static int job_copy_wraps(struct fx *f)
{
	return job_row(f, (struct siommu_gpu_job){ .op = SIOMMU_GPU_COPY, .src = 0x100000,
						   .dst = UINT64_MAX - 10, .len = 64 });
}
static int cmap_null(struct fx *f) { return siommu_gpu_client_map(NULL, 0, f->buf, PG, RW); }
static int cmap_wraps(struct fx *f)
{
	return siommu_gpu_client_map(f->client, UINT64_MAX - PG + 1, f->buf, 2 * PG, RW);
}

#define ROW API_ROW

static const struct api_row rows[] = {
	ROW(mm_null_cfg, -EINVAL), ROW(mm_null_out, -EINVAL), ROW(mm_flag, -EINVAL),
	ROW(mm_cpu, -EINVAL), ROW(mm_arm_super, -EINVAL),
	ROW(mmap_len0, -EINVAL), ROW(mmap_prot, -EINVAL), ROW(mmap_unaligned, -EINVAL),
	ROW(mmap_len_unaligned, -EINVAL), ROW(mmap_low, -ERANGE), ROW(mmap_high, -ERANGE),
	ROW(mmap_crosses_top, -ERANGE), ROW(mmap_wraps, -ERANGE), ROW(mmap_len_max, -ERANGE),
	ROW(mmap_overlap, -EEXIST), ROW(munmap_len0, -EINVAL), ROW(munmap_unaligned, -EINVAL),
	ROW(munmap_low, -ERANGE), ROW(munmap_wraps, -ERANGE), ROW(mprot_bad, -EINVAL),
	ROW(mprot_hole, -EFAULT), ROW(mprot_wraps, -ERANGE), ROW(read_hole, -EFAULT),
	ROW(read_wraps, -EFAULT), ROW(write_top, -EFAULT), ROW(reclaim_unaligned, -EINVAL),
	ROW(reclaim_absent, -ENOENT), ROW(reclaim_top, -ENOENT), ROW(migrate_absent, -ENOENT),
	ROW(bind_null_dev, -EINVAL), ROW(bind_null_mm, -EINVAL), ROW(bind_null_out, -EINVAL),
	ROW(bind_nopasid, -EOPNOTSUPP), ROW(bind_no_pri, -EOPNOTSUPP),
	ROW(pin_shared, -EBUSY), ROW(pin_flag, -EINVAL), ROW(pin_none, -EINVAL),
	ROW(pin_too_many, -EINVAL), ROW(pin_no_flag, -EINVAL), ROW(pin_empty, -EINVAL),
	ROW(pin_unaligned, -EINVAL), ROW(pin_low, -ERANGE), ROW(pin_wraps, -ERANGE),
	ROW(pin_len_max, -ERANGE), ROW(pin_hole, -EFAULT), ROW(pin_nopasid, -EOPNOTSUPP),
	ROW(ppa_n0, -EINVAL), ROW(ppa_null_dev, -EINVAL), ROW(ppa_null_devs, -EINVAL),
	ROW(ppa_null_out, -EINVAL), ROW(ppa_nopasid, -EOPNOTSUPP), ROW(ppa_quota, -EDQUOT),
	ROW(ppm_null, -EINVAL), ROW(ppm_prot, -EINVAL), ROW(ppm_wraps, -EOVERFLOW),
	ROW(ppu_null, -EINVAL), ROW(ppu_wraps, -EOVERFLOW),
	ROW(gpu_null, -EINVAL), ROW(gpu_null_out, -EINVAL), ROW(gpu_nopasid, -EOPNOTSUPP),
	ROW(gpu_twice, -EBUSY), ROW(client_null, -EINVAL), ROW(client_quota, -EDQUOT),
	ROW(job_null, -EINVAL), ROW(job_len0, -EINVAL), ROW(job_len_max, -EINVAL),
	ROW(job_op, -EINVAL), ROW(job_no_out, -EINVAL), ROW(job_no_data, -EINVAL),
	ROW(job_src_wraps, -EINVAL), ROW(job_dst_wraps, -EINVAL), ROW(job_copy_wraps, -EINVAL),
	ROW(cmap_null, -EINVAL), ROW(cmap_wraps, -EOVERFLOW),
};

int main(void)
{
	struct fx f;

	fx_init(&f);
	api_rows_run(&f, rows, sizeof(rows) / sizeof(rows[0]), false, gpu_ok);

	/* A second GPU is welcome once the first is gone. */
	siommu_gpu_client_remove(f.client);
	siommu_gpu_destroy(f.gpu);
	CHECK_OK(siommu_gpu_create(f.gdev, &f.gpu));
	CHECK_OK(siommu_gpu_client_add(f.gpu, 3, &f.client));
	CHECK_OK(siommu_gpu_client_map(f.client, 0x100000, f.buf, 0x10000, RW));
	gpu_ok(&f);
	fx_fini(&f);
	return 0;
}
