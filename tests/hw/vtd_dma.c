/* SPDX-License-Identifier: MIT */
/*
 * DMA through the unit: page by page across boundaries, partial transfers
 * on a fault, targets that are not RAM, translate-and-access, and the
 * read-side sections that hold a wait descriptor off the memory in use.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vtd_test.h"

#define RID 0x0400

struct fixture {
	struct vt t;
	uint64_t fs;
	uint64_t pg[3];
};

/* iova 0x10000..0x12fff -> three scattered pages; 0x13000 unmapped;
 * 0x20000 read-only; 0x30000 -> a PA that is not RAM. */
static void setup(struct fixture *f)
{
	unsigned int i;

	vt_init(&f->t, NULL);
	vt_ctx(&f->t, RID, true, 0);
	f->fs = vt_pasid_fs(&f->t, RID, 0, 1, 4);
	for (i = 0; i < 3; i++) {
		f->pg[2 - i] = vt_page(&f->t);
		vt_page(&f->t);
	}
	for (i = 0; i < 3; i++)
		CHECK_OK(siommu_vtd_build_map(f->t.mem, SIOMMU_VTD_FMT_FS, f->fs, 4,
					      0x10000 + i * 0x1000, f->pg[i],
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(f->t.mem, SIOMMU_VTD_FMT_FS, f->fs, 4, 0x20000,
				      f->pg[0], SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(siommu_vtd_build_map(f->t.mem, SIOMMU_VTD_FMT_FS, f->fs, 4, 0x30000,
				      0x5000, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
}

static void test_rw(void)
{
	static uint8_t buf[3 * 4096], back[3 * 4096], page[4096];
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x10100, 0);
	struct siommu_vtd_xlate x;
	struct fixture f;
	size_t done, i;
	uint64_t pa, size, e;

	setup(&f);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	CHECK_OK(siommu_vtd_dma_write(f.t.v, &r, buf, 0x2e00, &done, &x));
	CHECK_EQ(done, 0x2e00);
	/* The bytes landed page by page in the scattered frames. */
	CHECK_OK(siommu_mem_read(f.t.mem, f.pg[1], page, 4096));
	CHECK(!memcmp(page, buf + 0xf00, 4096));
	CHECK_OK(siommu_mem_read(f.t.mem, f.pg[0] + 0x100, page, 0xf00));
	CHECK(!memcmp(page, buf, 0xf00));
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 0x2e00, &done, &x));
	CHECK_EQ(done, 0x2e00);
	CHECK(!memcmp(back, buf, 0x2e00));
	/* The write set D in the leaves. */
	CHECK_OK(siommu_vtd_build_leaf(f.t.mem, SIOMMU_VTD_FMT_FS, f.fs, 4, 0x12000,
				       &pa, &size));
	CHECK_OK(siommu_mem_load64(f.t.mem, pa, &e));
	CHECK(e & (1 << 6));
	/* Part-way fault: 0x12f00 + 0x200 crosses into unmapped 0x13000. */
	r.iova = 0x12f00;
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, back, 0x200, &done, &x), -EFAULT);
	CHECK_EQ(done, 0x100);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_FS_NP);
	CHECK(x.fault_recorded);
	CHECK_EQ(vt_rd(&f.t, SIOMMU_VTD_REG_FRCD, 8), 0x13000);
	/* Write to a read-only page: nothing transferred. */
	r.iova = 0x20000;
	CHECK_EQ(siommu_vtd_dma_write(f.t.v, &r, buf, 16, &done, &x), -EFAULT);
	CHECK_EQ(done, 0);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_WRITE);
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 16, &done, NULL));
	/* The translation is fine but the target is not RAM. */
	r.iova = 0x30000;
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, back, 16, &done, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, 0);
	/* Zero length; wrap-around. */
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 0, &done, NULL));
	CHECK_EQ(done, 0);
	r.iova = ~0ull - 10;
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, back, 100, &done, NULL), -EINVAL);
	/* Nothing to transfer needs no buffer. */
	r.iova = 0x10000;
	done = 1;
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, NULL, 0, &done, NULL));
	CHECK_EQ(done, 0);
	/* Bad arguments: no request, no buffer, a PASID beyond 20 bits. */
	done = 1;
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, NULL, back, 16, &done, NULL), -EINVAL);
	CHECK_EQ(done, 0);
	CHECK_EQ(siommu_vtd_dma_write(f.t.v, &r, NULL, 16, &done, NULL), -EINVAL);
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, NULL, 16, &done, NULL), -EINVAL);
	r.pasid_present = true;
	r.pasid = 1u << 20;
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, back, 16, &done, NULL), -EINVAL);
	CHECK_EQ(done, 0);
	vt_fini(&f.t);
}

/*
 * Without PASID, 0xFEEx_xxxx is interrupt space, not memory (VT-d 3.14):
 * a transfer that runs into it stops there; with a PASID the same output
 * addresses are a translation fault, even when only the request's last
 * bytes reach them.
 */
static void test_intr_window(void)
{
	static uint8_t buf[0x2000];
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0xfedff800, 0);
	struct siommu_vtd_pasid_desc p = { .pgtt = SIOMMU_VTD_PGTT_FS, .did = 2,
					   .fs_levels = 4 };
	struct siommu_vtd_xlate x;
	struct fixture f;
	uint64_t pa;
	size_t done;

	setup(&f);
	pa = vt_page(&f.t);
	CHECK_OK(siommu_vtd_build_map(f.t.mem, SIOMMU_VTD_FMT_FS, f.fs, 4, 0xfedff000, pa,
				      SIOMMU_SZ_4K, SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, buf, 0x1000, &done, &x), -ENOTSUP);
	CHECK_EQ(done, 0x800);
	/* A 1G page whose output covers the window, through PASID 3. */
	CHECK_OK(siommu_vtd_build_table_alloc(f.t.mem, &p.fs_root));
	CHECK_OK(siommu_vtd_build_pasid(f.t.mem, f.t.root, RID, 3, &p));
	CHECK_OK(siommu_vtd_build_map(f.t.mem, SIOMMU_VTD_FMT_FS, p.fs_root, 4,
				      SIOMMU_SZ_1G, 0xc0000000, SIOMMU_SZ_1G,
				      SIOMMU_VTD_READ | SIOMMU_VTD_BUILD_USER));
	r = vt_req(RID, true, 3, SIOMMU_SZ_1G + 0x3edffff0, SIOMMU_VTD_READ);
	r.len = 0x10;
	CHECK_OK(siommu_vtd_translate(f.t.v, &r, &x));
	CHECK_EQ(x.addr, 0xfedffff0);
	r.len = 0x20;
	CHECK_EQ(siommu_vtd_translate(f.t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_INTR_RANGE);
	/* Its last byte alone reaches the window. */
	r.len = 0x11;
	CHECK_EQ(siommu_vtd_translate(f.t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_INTR_RANGE);
	/* A length past the end of the address space reaches it too. */
	r.len = ~0ull;
	CHECK_EQ(siommu_vtd_translate(f.t.v, &r, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_INTR_RANGE);
	vt_fini(&f.t);
}

/*
 * A transfer within one page that hits a 4K IOTLB entry takes a short
 * path; everything else must still go the long way, with the same results:
 * a transfer crossing into a scattered page, a write the entry does not
 * allow, a target that is not RAM. RAM outside the frame pool takes the
 * short path too.
 */
static void test_one_page(void)
{
	static uint8_t buf[4096], back[4096];
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x10f00, 0);
	struct siommu_vtd_xlate x;
	uint8_t page[0x100];
	struct fixture f;
	size_t done, i;

	setup(&f);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	CHECK_OK(siommu_mem_write(f.t.mem, f.pg[0] + 0xf00, buf, 0x100));
	CHECK_OK(siommu_mem_write(f.t.mem, f.pg[1], buf + 0x100, 0x100));
	/* Twice: the first fills the IOTLB, the second hits it. */
	for (i = 0; i < 2; i++) {
		memset(back, 0, sizeof(back));
		CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 0x200, &done, NULL));
		CHECK_EQ(done, 0x200);
		CHECK(!memcmp(back, buf, 0x200));
	}
	/* Within a page, both ways. */
	r.iova = 0x11010;
	CHECK_OK(siommu_vtd_dma_write(f.t.v, &r, buf + 7, 0x80, &done, NULL));
	CHECK_EQ(done, 0x80);
	CHECK_OK(siommu_mem_read(f.t.mem, f.pg[1] + 0x10, page, 0x80));
	CHECK(!memcmp(page, buf + 7, 0x80));
	done = 0;
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 0x80, &done, NULL));
	CHECK_EQ(done, 0x80);
	CHECK(!memcmp(back, buf + 7, 0x80));
	/* A result record comes back cleared. */
	memset(&x, 0xa5, sizeof(x));
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 0x80, &done, &x));
	CHECK_EQ(x.fault_reason, 0);
	CHECK(!x.fault_recorded);
	CHECK_EQ(x.addr, 0);
	/* A read-only entry, cached by a read, refuses the write. */
	r.iova = 0x20000;
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, back, 16, &done, NULL));
	CHECK_EQ(siommu_vtd_dma_write(f.t.v, &r, buf, 16, &done, NULL), -EFAULT);
	CHECK_EQ(done, 0);
	/* Not RAM, cached or not. */
	r.iova = 0x30000;
	for (i = 0; i < 2; i++)
		CHECK_EQ(siommu_vtd_dma_read(f.t.v, &r, back, 16, &done, NULL), -EFAULT);
	/* RAM outside the frame pool. */
	CHECK_OK(siommu_mem_add_ram(f.t.mem, 0x70000000, 0x1000, NULL));
	CHECK_OK(siommu_vtd_build_map(f.t.mem, SIOMMU_VTD_FMT_FS, f.fs, 4, 0x40000,
				      0x70000000, SIOMMU_SZ_4K, SIOMMU_VTD_READ |
				      SIOMMU_VTD_WRITE | SIOMMU_VTD_BUILD_USER));
	r.iova = 0x40800;
	for (i = 0; i < 2; i++) {
		CHECK_OK(siommu_vtd_dma_write(f.t.v, &r, buf + i, 0x40, &done, NULL));
		CHECK_OK(siommu_mem_read(f.t.mem, 0x70000800, page, 0x40));
		CHECK(!memcmp(page, buf + i, 0x40));
	}
	vt_fini(&f.t);
}

struct acc {
	unsigned int calls;
	size_t total;
	size_t offs[8];
	int stop_at;
};

static int acc_fn(void *arg, void *host, size_t len, size_t off)
{
	struct acc *a = arg;

	if (a->calls < 8)
		a->offs[a->calls] = off;
	a->calls++;
	a->total += len;
	memset(host, 0x5a, len);
	return a->calls == (unsigned int)a->stop_at ? 42 : 0;
}

static void test_access(void)
{
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x10800, SIOMMU_VTD_WRITE);
	struct siommu_vtd_xlate x;
	struct acc a = { 0 };
	struct fixture f;
	uint8_t b;

	setup(&f);
	r.len = 0x1000;
	CHECK_OK(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x));
	CHECK_EQ(a.calls, 2);
	CHECK_EQ(a.total, 0x1000);
	CHECK_EQ(a.offs[1], 0x800);
	CHECK_OK(siommu_mem_read(f.t.mem, f.pg[1] + 0x7ff, &b, 1));
	CHECK_EQ(b, 0x5a);
	/* Bad arguments. */
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, NULL, &a, &x), -EINVAL);
	CHECK_EQ(siommu_vtd_access(f.t.v, NULL, acc_fn, &a, &x), -EINVAL);
	r.access = 0;
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), -EINVAL);
	r.access = 8;
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), -EINVAL);
	CHECK_EQ(a.calls, 2);
	r.access = SIOMMU_VTD_WRITE;
	/* The callback's result stops the walk. */
	a = (struct acc){ .stop_at = 1 };
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), 42);
	CHECK_EQ(a.calls, 1);
	/* Fault on the second page. */
	a = (struct acc){ 0 };
	r.iova = 0x12800;
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), -EFAULT);
	CHECK_EQ(a.calls, 1);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_FS_NP);
	/* A write access to a read-only page: no callback. */
	a = (struct acc){ 0 };
	r.iova = 0x20000;
	r.len = 16;
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), -EFAULT);
	CHECK_EQ(a.calls, 0);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_WRITE);
	/* len 0 is len 1 (struct siommu_vtd_req): translated, checked and
	 * handed to the callback as one byte. */
	r.len = 0;
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), -EFAULT);
	CHECK_EQ(a.calls, 0);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_WRITE);
	r.iova = 0x13fff;
	CHECK_EQ(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x), -EFAULT);
	CHECK_EQ(x.fault_reason, SIOMMU_VTD_FR_FS_NP);
	CHECK_EQ(a.calls, 0);
	r.iova = 0x10fff;
	CHECK_OK(siommu_vtd_access(f.t.v, &r, acc_fn, &a, &x));
	CHECK_EQ(a.calls, 1);
	CHECK_EQ(a.total, 1);
	CHECK_EQ(a.offs[0], 0);
	vt_fini(&f.t);
}

/*
 * A wait descriptor does not complete while an access callback that may
 * use the invalidated translation is still running.
 */
struct hold {
	struct fixture *f;
	int inside, release;		/* atomics */
	int status_seen_inside;		/* atomic */
};

static int hold_fn(void *arg, void *host, size_t len, size_t off)
{
	struct hold *h = arg;
	uint32_t st;

	__atomic_store_n(&h->inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE)) {
		CHECK_OK(siommu_mem_read(h->f->t.mem, h->f->t.status, &st, 4));
		if (st)
			__atomic_store_n(&h->status_seen_inside, 1, __ATOMIC_RELAXED);
		sched_yield();
	}
	return 0;
}

static void *hold_thread(void *arg)
{
	struct hold *h = arg;
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x10000, SIOMMU_VTD_READ);

	r.len = 16;
	CHECK_OK(siommu_vtd_access(h->f->t.v, &r, hold_fn, h, NULL));
	return NULL;
}

static void *release_thread(void *arg)
{
	struct hold *h = arg;

	usleep(50000);
	__atomic_store_n(&h->release, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_access_vs_wait(void)
{
	struct fixture f;
	struct hold h = { .f = &f };
	pthread_t a, b;
	uint32_t st = 0;

	setup(&f);
	CHECK_OK(pthread_create(&a, NULL, hold_thread, &h));
	while (!__atomic_load_n(&h.inside, __ATOMIC_ACQUIRE))
		sched_yield();
	CHECK_OK(pthread_create(&b, NULL, release_thread, &h));
	CHECK_OK(siommu_vtd_build_unmap(f.t.mem, SIOMMU_VTD_FMT_FS, f.fs, 4, 0x10000));
	vt_inv(&f.t, siommu_vtd_desc_piotlb(3, 1, 0, 0x10000, 0, false));
	/* vt_inv returned: the callback must have finished first. */
	CHECK(__atomic_load_n(&h.release, __ATOMIC_ACQUIRE));
	CHECK(!__atomic_load_n(&h.status_seen_inside, __ATOMIC_RELAXED));
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_OK(siommu_mem_read(f.t.mem, f.t.status, &st, 4));
	CHECK(st != 0);
	vt_fini(&f.t);
}

/*
 * The one-page path copies inside its read-side section too: a read into
 * a buffer that faults holds the copy open (the fault handler waits), and
 * a wait descriptor submitted meanwhile does not complete before it.
 * Valgrind reports the deliberate write to an inaccessible page as an
 * error, so the test does not run under it.
 */
static struct {
	void *buf;
	uint32_t *status;
	int inside;		/* atomic */
	int status_seen;	/* atomic */
} held;

static void held_segv(int sig, siginfo_t *si, void *uc)
{
	unsigned int i;

	__atomic_store_n(&held.inside, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 50; i++) {
		if (__atomic_load_n(held.status, __ATOMIC_ACQUIRE))
			__atomic_store_n(&held.status_seen, 1, __ATOMIC_RELAXED);
		usleep(1000);
	}
	mprotect(held.buf, 4096, PROT_READ | PROT_WRITE);
}

static void *held_thread(void *arg)
{
	struct fixture *f = arg;
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x10000, 0);
	size_t done = 0;

	CHECK_OK(siommu_vtd_dma_read(f->t.v, &r, held.buf, 16, &done, NULL));
	CHECK_EQ(done, 16);
	return NULL;
}

static void test_one_page_vs_wait(void)
{
	struct sigaction sa = { .sa_sigaction = held_segv, .sa_flags = SA_SIGINFO }, old;
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x10000, 0);
	uint8_t b[16];
	struct fixture f;
	size_t done;
	pthread_t a;

	if (getenv("SIOMMU_UNDER_VALGRIND"))
		return;
	setup(&f);
	/* Cached now: the read below takes the one-page path. */
	CHECK_OK(siommu_vtd_dma_read(f.t.v, &r, b, 16, &done, NULL));
	held.buf = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(held.buf != MAP_FAILED);
	held.status = siommu_mem_host(f.t.mem, f.t.status, 4);
	CHECK(held.status != NULL);
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGSEGV, &sa, &old));
	CHECK_OK(pthread_create(&a, NULL, held_thread, &f));
	while (!__atomic_load_n(&held.inside, __ATOMIC_ACQUIRE))
		sched_yield();
	vt_inv(&f.t, siommu_vtd_desc_piotlb(3, 1, 0, 0x10000, 0, false));
	pthread_join(a, NULL);
	CHECK_OK(sigaction(SIGSEGV, &old, NULL));
	CHECK(!__atomic_load_n(&held.status_seen, __ATOMIC_RELAXED));
	CHECK(!memcmp(held.buf, b, 16));
	CHECK_OK(munmap(held.buf, 4096));
	vt_fini(&f.t);
}

/*
 * A long access reopens its read-side section every few pages: a wait
 * descriptor submitted during its first page completes before its last.
 */
#define REOPEN_PAGES 20

struct reopen {
	struct fixture *f;
	int started;		/* atomic */
	bool seen;
};

static int reopen_fn(void *arg, void *host, size_t len, size_t off)
{
	struct reopen *o = arg;
	uint32_t st = 0;
	unsigned int i;

	if (!off) {
		__atomic_store_n(&o->started, 1, __ATOMIC_RELEASE);
		/* The wait is under way meanwhile: the main thread submits it
		 * as soon as it sees started. Were it held off for longer than
		 * this, its grace period would wait for the last page's
		 * section, which polls below: the test would fail after 2 s
		 * without a fault in the code; 200 ms leaves a loaded machine
		 * room. */
		usleep(200000);
		return 0;
	}
	if (off != (REOPEN_PAGES - 1) * SIOMMU_SZ_4K)
		return 0;
	for (i = 0; i < 2000; i++) {
		CHECK_OK(siommu_mem_read(o->f->t.mem, o->f->t.status, &st, 4));
		if (st)
			break;
		usleep(1000);
	}
	o->seen = st != 0;
	return 0;
}

static void *reopen_thread(void *arg)
{
	struct reopen *o = arg;
	struct siommu_vtd_req r = vt_req(RID, false, 0, 0x100000, SIOMMU_VTD_READ);

	r.len = REOPEN_PAGES * SIOMMU_SZ_4K;
	CHECK_OK(siommu_vtd_access(o->f->t.v, &r, reopen_fn, o, NULL));
	return NULL;
}

static void test_access_reopens(void)
{
	struct fixture f;
	struct reopen o = { .f = &f };
	unsigned int i;
	pthread_t a;

	setup(&f);
	for (i = 0; i < REOPEN_PAGES; i++)
		CHECK_OK(siommu_vtd_build_map(f.t.mem, SIOMMU_VTD_FMT_FS, f.fs, 4,
					      0x100000 + i * SIOMMU_SZ_4K, f.pg[0],
					      SIOMMU_SZ_4K, SIOMMU_VTD_READ |
					      SIOMMU_VTD_BUILD_USER));
	CHECK_OK(pthread_create(&a, NULL, reopen_thread, &o));
	while (!__atomic_load_n(&o.started, __ATOMIC_ACQUIRE))
		sched_yield();
	vt_inv(&f.t, siommu_vtd_desc_piotlb(3, 1, 0, 0x10000, 0, false));
	pthread_join(a, NULL);
	CHECK(o.seen);
	vt_fini(&f.t);
}

int main(void)
{
	test_rw();
	test_intr_window();
	test_one_page();
	test_access();
	test_access_vs_wait();
	test_access_reopens();
	test_one_page_vs_wait();
	return 0;
}
