/* SPDX-License-Identifier: MIT */
/*
 * A forked child maps its private memory while another of its threads
 * writes into it, run under libsiommu-preload.so: the memory moves onto a
 * file the parent's device reaches, and no write is lost. Each slot of
 * the buffer is written once, in order (slot j holds j + 1), by a store
 * (a write in user mode) or by pread() into it (a write by the kernel),
 * for as long as IOAS_MAP runs; afterwards every slot written holds its
 * value, in the child's memory and through the device's DMA. Rounds
 * repeat until the writer has run during a map (skipped if the scheduler
 * never lets it).
 *
 * The mode (argv[1]) is how the child may hold writers (a seccomp filter
 * in each child stands for what a kernel or container allows):
 *   full  userfaultfd as it comes (skipped where it is unprivileged-only):
 *         both kinds of writes wait for the move;
 *   user  only UFFD_USER_MODE_ONLY: stores wait, a pread() into the
 *         buffer during the move fails with EFAULT (and is done again);
 *   none  no userfaultfd: the map is EBUSY while the writer runs (into
 *         an IOAS with no domain too), and maps once the child is
 *         single-threaded again.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define SIZE (16u << 20)
#define NSLOT (SIZE / 8)
#define CHUNK SIOMMU_DMAENG_MAX_LEN
#define BIOVA 0x1000000ull	/* the buffer */
#define OIOVA 0x2000000ull	/* where the device copies it */

static int iommu_fd, dev;
static uint32_t ioas;
static uint32_t bare;	/* an IOAS with no domain: its maps pin nothing */

struct writer {
	uint64_t *slot;
	int src;		/* pread()'s file: slot j's value at j * 8 */
	bool kernel;
	int stop;
	size_t done;		/* slots written */
	unsigned long efault;	/* pread()s refused during the move */
};

static void *write_slots(void *arg)
{
	struct writer *w = arg;
	size_t j = 0;
	ssize_t n;
	int k;

	while (j < NSLOT && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (w->kernel) {
			n = pread(w->src, &w->slot[j], 8, (off_t)(j * 8));
			if (n != 8) {
				CHECK(n == -1 && errno == EFAULT);
				w->efault++;
				continue;
			}
		} else {
			__atomic_store_n(&w->slot[j], j + 1, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&w->done, ++j, __ATOMIC_RELEASE);
		for (k = 0; k < 200; k++)
			__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

static int map_into(uint32_t id, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = id, .user_va = (uintptr_t)va, .length = len,
		.iova = iova, .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				       IOMMU_IOAS_MAP_WRITEABLE,
	};

	return ioctl(iommu_fd, IOMMU_IOAS_MAP, &m);
}

static int map_at(void *va, uint64_t len, uint64_t iova)
{
	return map_into(ioas, va, len, iova);
}

static void unmap(uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	CHECK(ioctl(iommu_fd, IOMMU_IOAS_UNMAP, &u) == 0);
}

/* userfaultfd refused with EPERM: always, or unless UFFD_USER_MODE_ONLY. */
static void deny_uffd(bool user_mode_ok)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_userfaultfd, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, user_mode_ok ? UFFD_USER_MODE_ONLY : 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0);
}

/* Every slot the writer wrote holds its value, the rest 0: in the
 * child's memory, and as the device reads it at BIOVA with @dma. */
static void verify(const uint64_t *slot, size_t done, bool dma)
{
	uint64_t *out;
	size_t j, c;
	int fd;

	for (j = 0; j < NSLOT; j++)
		if (slot[j] != (j < done ? j + 1 : 0)) {
			fprintf(stderr, "slot %zu of %zu written: %llu\n", j, done,
				(unsigned long long)slot[j]);
			CHECK(!"every write kept");
		}
	if (!dma)
		return;
	fd = memfd_create("out", MFD_CLOEXEC);
	CHECK(fd >= 0 && ftruncate(fd, CHUNK) == 0);
	out = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(out != MAP_FAILED);
	CHECK(map_at(out, CHUNK, OIOVA) == 0);
	for (c = 0; c < SIZE / CHUNK; c++) {
		eng_write64(dev, SIOMMU_DMAENG_SRC, BIOVA + c * CHUNK);
		eng_write64(dev, SIOMMU_DMAENG_DST, OIOVA);
		eng_write64(dev, SIOMMU_DMAENG_LEN, CHUNK);
		CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_DONE);
		CHECK(!memcmp(out, slot + c * (CHUNK / 8), CHUNK));
	}
	unmap(OIOVA, CHUNK);
	munmap(out, CHUNK);
	close(fd);
}

/* A round in a child: a new private buffer mapped while the writer
 * runs, as @mode allows, its bytes checked (through the device too with
 * @dma). Returns whether the writer wrote during the map. */
static bool round_run(const char *mode, bool kernel, int src, bool dma)
{
	struct writer w = { .kernel = kernel, .src = src };
	size_t before, after;
	pthread_t t;
	int ret;

	w.slot = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(w.slot != MAP_FAILED);
	CHECK(pthread_create(&t, NULL, write_slots, &w) == 0);
	while (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE) < 1000)
		sched_yield();
	before = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
	ret = map_at(w.slot, SIZE, BIOVA);
	after = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
	if (!strcmp(mode, "none")) {
		/* Nothing can hold the writer: refused, nothing moved; into
		 * an IOAS with no domain too, which pins nothing yet. */
		CHECK(ret == -1 && errno == EBUSY);
		CHECK(map_into(bare, w.slot, SIZE, BIOVA) == -1 && errno == EBUSY);
	} else {
		CHECK(ret == 0);
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
	/* Single-threaded again: the move holds no one. */
	if (!strcmp(mode, "none"))
		CHECK(map_at(w.slot, SIZE, BIOVA) == 0);
	/* The kernel's writes wait with a full userfaultfd. */
	if (!strcmp(mode, "full"))
		CHECK(w.efault == 0);
	verify(w.slot, w.done, dma);
	unmap(BIOVA, SIZE);
	CHECK(munmap(w.slot, SIZE) == 0);
	return after > before && after < NSLOT;
}

/* In a child: rounds until the writer has been seen writing during the
 * map a few times (the scheduler decides when it runs). */
static void run(const char *mode, bool kernel)
{
	unsigned int round, seen = 0;
	uint64_t *vals;
	size_t j;
	int src = -1;

	if (!strcmp(mode, "user"))
		deny_uffd(true);
	else if (!strcmp(mode, "none"))
		deny_uffd(false);
	if (kernel) {
		src = memfd_create("values", MFD_CLOEXEC);
		CHECK(src >= 0 && ftruncate(src, SIZE) == 0);
		vals = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, src, 0);
		CHECK(vals != MAP_FAILED);
		for (j = 0; j < NSLOT; j++)
			vals[j] = j + 1;
		munmap(vals, SIZE);
	}
	/* Refused while the writer lives, whenever it runs: one round. */
	if (!strcmp(mode, "none")) {
		round_run(mode, kernel, src, true);
		return;
	}
	for (round = 0; round < 50 && seen < 3; round++)
		seen += round_run(mode, kernel, src, round == 0);
	if (!seen) {
		fprintf(stderr, "the writer never ran during a map\n");
		exit(77);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "full";
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	uint32_t dev_id, pt;
	int kernel, st, fd;
	bool skipped = false;
	pid_t c;

	/* A full userfaultfd needs privilege (or vm.unprivileged_userfaultfd). */
	if (!strcmp(mode, "full")) {
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
		if (fd < 0)
			return 77;
		close(fd);
	}
	iommu_fd = open("/dev/iommu", O_RDWR);
	CHECK(iommu_fd >= 0);
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_ALLOC, &a) == 0);
	ioas = a.out_ioas_id;
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_ALLOC, &a) == 0);
	bare = a.out_ioas_id;
	dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(dev >= 0);
	CHECK(vfio_bind(dev, iommu_fd, &dev_id) == 0);
	pt = ioas;
	CHECK(vfio_attach(dev, 0, 0, &pt) == 0);
	for (kernel = 0; kernel < 2; kernel++) {
		c = fork();
		CHECK(c >= 0);
		if (!c) {
			run(mode, kernel);
			exit(0);
		}
		CHECK(waitpid(c, &st, 0) == c);
		CHECK(WIFEXITED(st));
		if (WEXITSTATUS(st) == 77)
			skipped = true;
		else
			CHECK(WEXITSTATUS(st) == 0);
	}
	return skipped ? 77 : 0;
}
