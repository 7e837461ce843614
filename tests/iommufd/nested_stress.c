/* SPDX-License-Identifier: MIT */
/*
 * Stress of SMMUv3 nesting: while device threads DMA through a guest's
 * STE (with and without a SubstreamID), the guest flips its stage-1 leaf
 * between two guest pages X and Y and issues its TLBI through the
 * vIOMMU, the VMM unmaps page Y and maps it back from the other of two
 * host buffers, and replaces the device between two nested HWPTs and the
 * parent. Each DMA faults or reads a byte X or one of Y's buffers holds,
 * never a buffer the VMM has unmapped (it is poisoned while out of the
 * IOAS). Run under ThreadSanitizer by `make tsan`.
 *
 * The run lasts SIOMMU_STRESS_MS at least, then until every role has done
 * its share (tests/common/stress.h) and DMA with and without a
 * SubstreamID has reached a page through a nested STE: while the device
 * is on the parent, or a replace is between two words of its STE, every
 * DMA faults, and a thread held up there (by the scheduler) must make the
 * run longer, not failed. A run still short at the cap prints what a
 * reader needs: the STE, each thread's last step, the faults by event.
 */
#include <pthread.h>

#include <siommu/smmuv3_build.h>

#include "nested_vm.h"
#include "stress.h"

#define CD_OFF 0x1000ull
#define ROOT 0x2000ull
#define PAGE_X (DATA_OFF)		/* guest pages the leaf flips between */
#define PAGE_Y (DATA_OFF + 0x1000)
#define BYTE_X 0x31
#define POISON 0xee

static struct vm vm;
static uint8_t *host_x, *host[2];	/* page X; page Y, as the VMM maps it */
static uint64_t *leaf;			/* the guest's leaf for IOVA */
static uint32_t nested[2];
static uint64_t ops;
static int stop;
static pthread_barrier_t start;
/* What each thread did, for the report (test_count()). */
static uint64_t n_dma, n_fault, n_tlbi, n_replace, n_map;
static uint64_t n_reached[2];		/* by the RID, with SubstreamID 1 */
static uint64_t n_event[2][256];	/* faults by event number, likewise */
/* Each thread's last step (atomic pointer to a literal), and the HWPT the
 * replacer is moving the device to. */
static const char *step_mapper = "start", *step_guest = "start", *step_replacer = "start";
static uint32_t replace_to;

static void step(const char **s, const char *what)
{
	__atomic_store_n(s, what, __ATOMIC_RELAXED);
}

/* Host buffer @k of page Y holds 0x11 or 0x21. */
static void host_fill(unsigned int k)
{
	memset(host[k], 0x10 * (k + 1) + 1, 4096);
}

static bool valid_byte(int b)
{
	return b == BYTE_X || b == 0x11 || b == 0x21;
}

static void *vmm_mapper(void *arg)
{
	uint64_t n, iova;
	unsigned int k = 0;

	(void)arg;
	pthread_barrier_wait(&start);
	for (n = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
		step(&step_mapper, "unmap Y");
		CHECK_OK(siommu_ioas_unmap(vm.t.ictx, vm.ioas, GPA_BASE + PAGE_Y, 4096, NULL));
		/* Out of the IOAS, no device may read it: poisoned until it
		 * is mapped again. */
		memset(host[k], POISON, 4096);
		k ^= 1;
		host_fill(k);
		iova = GPA_BASE + PAGE_Y;
		step(&step_mapper, "map Y");
		CHECK_OK(siommu_ioas_map(vm.t.ictx, vm.ioas, RW | FIXED, host[k], 4096, &iova));
		test_count_add(&n_map, 1);
	}
	step(&step_mapper, "stopped");
	return NULL;
}

static void *guest(void *arg)
{
	const uint64_t tlbi[2] = { SIOMMU_SMMUV3_CMD_TLBI_NH_VA | 1ull << 48, IOVA };
	struct siommu_viommu_arm_smmuv3_invalidate c;
	unsigned int n = 0;
	uint32_t num;

	(void)arg;
	memcpy(c.cmd, tlbi, sizeof(tlbi));
	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t off = n++ & 1 ? PAGE_Y : PAGE_X;

		__atomic_store_n(leaf, (GPA_BASE + off) | 0x443, __ATOMIC_RELEASE);
		num = 1;
		step(&step_guest, off == PAGE_X ? "TLBI after leaf -> X" : "TLBI after leaf -> Y");
		CHECK_OK(siommu_hwpt_invalidate(vm.t.ictx, vm.viommu,
						SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, &c,
						sizeof(c), &num));
		test_count_add(&n_tlbi, 1);
	}
	step(&step_guest, "stopped");
	return NULL;
}

static void *replacer(void *arg)
{
	unsigned int n = 0;
	uint32_t pt;

	(void)arg;
	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		pt = n % 3 == 2 ? vm.parent : nested[n % 3];
		n++;
		__atomic_store_n(&replace_to, pt, __ATOMIC_RELAXED);
		step(&step_replacer, "in replace");
		CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
		step(&step_replacer, "replaced");
		test_count_add(&n_replace, 1);
	}
	step(&step_replacer, "stopped");
	return NULL;
}

static void *dma(void *arg)
{
	unsigned int k = arg ? 1 : 0;
	struct test_dma_res res;
	uint8_t b;

	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (test_unit_dma_read(vm.t.unit, tfd_rid(0), k, k, IOVA, &b, 1, &res)) {
			test_count_add(&n_fault, 1);
			test_count_add(&n_event[k][res.fault_reason & 0xff], 1);
		} else {
			CHECK(valid_byte(b));
			test_count_add(&n_reached[k], 1);
		}
		test_count_add(&n_dma, 1);
	}
	return NULL;
}

/* What the run needs before it may end (test_stress_run()). */
static const char *enough(void *arg)
{
	(void)arg;
	TEST_STRESS_NEED(test_count(&n_map) >= ops);
	TEST_STRESS_NEED(test_count(&n_replace) >= 3);	/* each HWPT once */
	TEST_STRESS_NEED(test_count(&n_tlbi) >= 2);	/* the leaf both ways */
	TEST_STRESS_NEED(test_count(&n_reached[0]) > 0);
	TEST_STRESS_NEED(test_count(&n_reached[1]) > 0);
	return NULL;
}

/* What a run that fell short was doing: enough to tell a device stuck on
 * an entry from a thread held up. */
static void report_short(void)
{
	uint64_t ste[8];
	unsigned int k, e;

	test_smmuv3_ste(vm.t.unit, siommu_ctx_mem(vm.t.ctx), tfd_rid(0), ste);
	fprintf(stderr, "STE of StreamID 0x%x: %016" PRIx64 " %016" PRIx64 " %016" PRIx64
		" %016" PRIx64 " (Config %u)\n", tfd_rid(0), ste[0], ste[1], ste[2], ste[3],
		(unsigned int)((ste[0] >> 1) & 7));
	fprintf(stderr, "guest CD 0: %016" PRIx64 " %016" PRIx64 "; leaf %016" PRIx64 "\n",
		((uint64_t *)(vm.mem + CD_OFF))[0], ((uint64_t *)(vm.mem + CD_OFF))[1],
		__atomic_load_n(leaf, __ATOMIC_RELAXED));
	fprintf(stderr, "last steps: mapper %s, guest %s, replacer %s (to HWPT %u; nested %u %u,"
		" parent %u)\n", __atomic_load_n(&step_mapper, __ATOMIC_RELAXED),
		__atomic_load_n(&step_guest, __ATOMIC_RELAXED),
		__atomic_load_n(&step_replacer, __ATOMIC_RELAXED),
		__atomic_load_n(&replace_to, __ATOMIC_RELAXED), nested[0], nested[1], vm.parent);
	for (k = 0; k < 2; k++)
		for (e = 0; e < 256; e++)
			if (test_count(&n_event[k][e]))
				fprintf(stderr, "faults %s: %" PRIu64 " of event 0x%02x\n",
					k ? "with SubstreamID 1" : "by the RID",
					test_count(&n_event[k][e]), e);
}

int main(void)
{
	struct siommu_hwpt_arm_smmuv3 ste = { {
		1 | SIOMMU_SMMUV3_STE_S1 << 1 | (GPA_BASE + CD_OFF) | 1ull << 59,
		SIOMMU_SMMUV3_S1DSS_SSID0 } };
	struct siommu_hwpt_nested_cfg c = {
		.data_type = SIOMMU_HWPT_DATA_ARM_SMMUV3, .data_len = sizeof(ste), .data = &ste,
	};
	pthread_t m, g, r, d[2];
	uint64_t cd[8], iova, t;
	unsigned int i;
	bool ok;

	if (test_unit_type() != TEST_UNIT_SMMUV3)
		return 77;
	ops = test_ops(8000);
	vm_setup(&vm, ROOT + 0x1000);
	/* The data pages go: they come from the host buffers instead. */
	CHECK_OK(siommu_ioas_unmap(vm.t.ictx, vm.ioas, GPA_BASE, GUEST_LEN, NULL));
	iova = GPA_BASE;
	CHECK_OK(siommu_ioas_map(vm.t.ictx, vm.ioas, RW | FIXED, vm.mem, DATA_OFF, &iova));
	host_x = tfd_buf(4096, 0);
	memset(host_x, BYTE_X, 4096);
	iova = GPA_BASE + PAGE_X;
	CHECK_OK(siommu_ioas_map(vm.t.ictx, vm.ioas, RW | FIXED, host_x, 4096, &iova));
	for (i = 0; i < 2; i++) {
		host[i] = tfd_buf(4096, 0);
		host_fill(i);
	}
	iova = GPA_BASE + PAGE_Y;
	CHECK_OK(siommu_ioas_map(vm.t.ictx, vm.ioas, RW | FIXED, host[0], 4096, &iova));
	/* CDs 0 and 1: ASID 1 over one table, whose leaf for IOVA flips. */
	siommu_smmuv3_cd_encode(&(struct siommu_smmuv3_cd_desc){
		.valid = true, .t0sz = 16, .ips = 5, .asid = 1, .ttb0 = GPA_BASE + ROOT,
		.r = true, .a = true }, cd);
	memcpy(vm.mem + CD_OFF, cd, 64);
	memcpy(vm.mem + CD_OFF + 64, cd, 64);
	for (t = ROOT, i = 0; i < 3; i++) {
		uint64_t *e = (uint64_t *)(vm.mem + t) + ((IOVA >> (39 - 9 * i)) & 511);

		*e = (GPA_BASE + vm_table(&vm)) | 0x3;
		t = (*e & 0xfffffffff000ull) - GPA_BASE;
	}
	leaf = (uint64_t *)(vm.mem + t) + ((IOVA >> 12) & 511);
	*leaf = (GPA_BASE + PAGE_X) | 0x443;
	CHECK_OK(siommu_viommu_alloc(vm.t.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, vm.d0,
				     vm.parent, &vm.viommu));
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, 0x10, &vm.vdev));
	c.dev_id = vm.d0;
	c.pt_id = vm.viommu;
	for (i = 0; i < 2; i++)
		CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &nested[i]));
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &(uint32_t){ nested[0] }));
	CHECK(valid_byte(dma_byte(&vm, NOPASID, IOVA)));
	CHECK(valid_byte(dma_byte(&vm, 1, IOVA)));

	CHECK_OK(pthread_barrier_init(&start, NULL, 5));
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_create(&d[i], NULL, dma, (void *)(uintptr_t)i));
	CHECK_OK(pthread_create(&g, NULL, guest, NULL));
	CHECK_OK(pthread_create(&r, NULL, replacer, NULL));
	CHECK_OK(pthread_create(&m, NULL, vmm_mapper, NULL));
	ok = test_stress_run(test_stress_ms(1000), enough, NULL);
	if (!ok)
		report_short();
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	CHECK_OK(pthread_join(m, NULL));
	CHECK_OK(pthread_join(g, NULL));
	CHECK_OK(pthread_join(r, NULL));
	for (i = 0; i < 2; i++)
		CHECK_OK(pthread_join(d[i], NULL));
	pthread_barrier_destroy(&start);
	fprintf(stderr, "%" PRIu64 " DMAs (%" PRIu64 " faulted; %" PRIu64 " and %" PRIu64
		" reached a page by the RID and with SubstreamID 1), %" PRIu64 " guest TLBIs, %"
		PRIu64 " replaces, %" PRIu64 " unmap+map\n", n_dma, n_fault, n_reached[0],
		n_reached[1], n_tlbi, n_replace, n_map);
	/* Not all in vain: DMAs reached the pages too. */
	CHECK(ok);
	vm_teardown(&vm);
	munmap(host_x, 4096);
	for (i = 0; i < 2; i++)
		munmap(host[i], 4096);
	return 0;
}
