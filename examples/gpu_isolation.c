/* SPDX-License-Identifier: MIT */
/*
 * Per-process isolation on a GPU: two clients render into their own
 * surfaces, each in a private PASID; a malicious job of one reads the
 * other's surface and faults; the driver recovers the GPU and the other
 * client carries on.
 *
 * The same program runs twice: on an SMMUv2-style unit, which has no
 * PASIDs (the GPU's command processor switches its context bank's TTBR0
 * and ASID before each client's job, from the tables the IOMMU driver
 * installs through the GPU's PASID hooks), and on VT-d, where each job's
 * DMA carries the client's PASID. `--unit smmuv2` or `--unit vtd` runs
 * one of them.
 *
 * Exit status: 0 when every check holds, 1 otherwise.
 *
 * Build: cc gpu_isolation.c $(pkg-config --cflags --libs siommu)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <siommu/core.h>
#include <siommu/gpu.h>
#include <siommu/smmuv2.h>

#define GPU_RID		0x0800
#define SURFACE_VA	((uint64_t)0x100000)	/* every client's surface, in its own space */
#define RW		(SIOMMU_PROT_READ | SIOMMU_PROT_WRITE)

static int failures;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			failures++; } } while (0)

static int job_write(struct siommu_gpu_client *c, uint64_t va, const char *s)
{
	struct siommu_gpu_job job = {
		.op = SIOMMU_GPU_WRITE, .dst = va, .len = strlen(s) + 1, .data = s,
	};

	return siommu_gpu_submit(c, &job, NULL);
}

static int job_read(struct siommu_gpu_client *c, uint64_t va, char *buf, size_t len,
		    struct siommu_gpu_fault *f)
{
	struct siommu_gpu_job job = { .op = SIOMMU_GPU_READ, .src = va, .len = len, .out = buf };

	return siommu_gpu_submit(c, &job, f);
}

static void run(bool smmuv2)
{
	const char *name = smmuv2 ? "SMMUv2 (no PASIDs)" : "VT-d (PASIDs)";
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_domain *own;
	struct siommu_gpu *gpu;
	struct siommu_gpu_client *a, *b;
	struct siommu_gpu_fault f;
	struct siommu_gpu_stats st;
	struct siommu_mem *mem;
	uint64_t surf_a, surf_b, n;
	char buf[32] = { 0 };

	printf("== %s\n", name);
	if (siommu_ctx_create(NULL, &ctx)) {
		failures++;
		return;
	}
	mem = siommu_ctx_mem(ctx);
	CHECK(!(smmuv2 ? siommu_unit_add_smmuv2(ctx, NULL, &unit)
		       : siommu_unit_add_vtd(ctx, NULL, &unit)));
	CHECK(!siommu_device_add(unit, &(struct siommu_device_cfg){
		.rid = GPU_RID, .pasid_bits = smmuv2 ? 0 : 16,
		.alias_rid = SIOMMU_NO_ALIAS }, &dev));
	/* The GPU's own address space, on its RID: on SMMUv2 its context
	 * bank is where the clients' tables are switched in. */
	CHECK(!siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING }, &own));
	CHECK(!siommu_device_attach(dev, own));
	CHECK(!siommu_gpu_create(dev, &gpu));
	CHECK(!siommu_gpu_client_add(gpu, 1, &a));
	CHECK(!siommu_gpu_client_add(gpu, 2, &b));
	printf("clients A and B: private PASIDs %u and %u\n", siommu_gpu_client_pasid(a),
	       siommu_gpu_client_pasid(b));

	/* Each client's surface, at the same GPU address in its own space. */
	CHECK(!siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &surf_a));
	CHECK(!siommu_mem_frame_alloc(mem, SIOMMU_SZ_4K, SIOMMU_MEM_DMA, &surf_b));
	CHECK(!siommu_gpu_client_map(a, SURFACE_VA, surf_a, SIOMMU_SZ_4K, RW));
	CHECK(!siommu_gpu_client_map(b, SURFACE_VA, surf_b, SIOMMU_SZ_4K, RW));

	CHECK(!job_write(a, SURFACE_VA, "frame of A"));
	CHECK(!job_write(b, SURFACE_VA, "frame of B"));
	CHECK(!siommu_mem_read(mem, surf_a, buf, 11) && !strcmp(buf, "frame of A"));
	CHECK(!siommu_mem_read(mem, surf_b, buf, 11) && !strcmp(buf, "frame of B"));
	printf("A and B rendered into their own surfaces at GPU address 0x%" PRIx64 "\n",
	       SURFACE_VA);

	/* B's malicious job reads A's surface at its physical address: B's
	 * space has nothing there. */
	memset(&f, 0, sizeof(f));
	CHECK(job_read(b, surf_a, buf, 11, &f) == -EFAULT);
	CHECK(f.reported && f.addr == surf_a && !f.write);
	if (smmuv2) {
		CHECK(f.cb >= 0 && f.reason == SIOMMU_SMMUV2_FSR_TF);
		printf("B's job reading 0x%" PRIx64 ": context fault, bank %d, FAR 0x%" PRIx64
		       ", FSR 0x%x, live TTBR0 0x%" PRIx64 " (ASID %u)\n", surf_a, f.cb, f.addr,
		       f.reason, f.ttbr0, (unsigned int)(f.ttbr0 >> 48));
	} else {
		printf("B's job reading 0x%" PRIx64 ": fault at 0x%" PRIx64 ", reason 0x%x\n",
		       surf_a, f.addr, f.reason);
	}
	/* The GPU is hung until the driver recovers it. */
	CHECK(job_read(a, SURFACE_VA, buf, 11, NULL) == -EIO);
	siommu_gpu_recover(gpu);
	memset(buf, 0, sizeof(buf));
	CHECK(!job_read(a, SURFACE_VA, buf, 11, NULL) && !strcmp(buf, "frame of A"));
	printf("the driver recovered the GPU; A reads \"%s\"\n", buf);

	/* Unmapped from A's space, A's surface is gone for A's jobs (strict
	 * invalidation); B carries on. */
	CHECK(!siommu_gpu_client_unmap(a, SURFACE_VA, SIOMMU_SZ_4K, &n) && n == SIOMMU_SZ_4K);
	CHECK(job_read(a, SURFACE_VA, buf, 11, &f) == -EFAULT && f.addr == SURFACE_VA);
	siommu_gpu_recover(gpu);
	memset(buf, 0, sizeof(buf));
	CHECK(!job_read(b, SURFACE_VA, buf, 11, NULL) && !strcmp(buf, "frame of B"));
	printf("after the unmap A's surface faults; B still reads \"%s\"\n", buf);

	siommu_gpu_get_stats(gpu, &st);
	printf("jobs %" PRIu64 ", table switches %" PRIu64 ", faults %" PRIu64
	       ", recoveries %" PRIu64 "\n", st.jobs, st.switches, st.faults, st.recoveries);
	CHECK(st.faults == 2 && st.recoveries == 2);
	/* To A, to B (B's bad job runs in B's live table), to A after the
	 * recovery (A's faulting job runs in A's), to B after the next. */
	CHECK(st.switches == (smmuv2 ? 4 : 0));

	siommu_gpu_client_remove(a);
	siommu_gpu_client_remove(b);
	siommu_gpu_destroy(gpu);
	siommu_mem_frame_free(mem, surf_a, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
	siommu_mem_frame_free(mem, surf_b, SIOMMU_SZ_4K, SIOMMU_MEM_DMA);
	siommu_ctx_destroy(ctx);
}

int main(int argc, char **argv)
{
	bool v2 = true, vtd = true;

	if (argc == 3 && !strcmp(argv[1], "--unit") && !strcmp(argv[2], "smmuv2")) {
		vtd = false;
	} else if (argc == 3 && !strcmp(argv[1], "--unit") && !strcmp(argv[2], "vtd")) {
		v2 = false;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--unit smmuv2|vtd]\n", argv[0]);
		return 2;
	}
	if (v2)
		run(true);
	if (vtd)
		run(false);
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
