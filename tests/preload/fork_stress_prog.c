/* SPDX-License-Identifier: MIT */
/*
 * Children and the parent's threads on the same iommufd at once, under
 * libsiommu-preload.so: each child maps and unmaps its memory, allocates
 * and destroys objects, dups and closes its fd and reads a fault queue,
 * all served by the parent while two parent threads do the same on their
 * own; children come and go (one forks a grandchild) meanwhile. Every
 * call must succeed (but the destroy of a fault queue whose fd a child
 * forked meanwhile holds). Run under ThreadSanitizer by `make tsan` (the
 * children make no threads: the parent has some when it forks).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>

#include "prog.h"

#define PG 4096
#define ROUNDS 200
#define CHILDREN 4

static int iommu_fd;

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

static void destroy(int fd, uint32_t id)
{
	CHECK(ioctl(fd, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = sizeof(struct iommu_destroy), .id = id }) == 0);
}

/* One round: an IOAS with our page mapped in, its ranges read back, a
 * fault queue read, a dup closed; everything undone. */
static void round_trip(int fd, unsigned char *page, unsigned int n)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .user_va = (uintptr_t)page, .length = PG,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 4,
					    .allowed_iovas = (uintptr_t)r };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_ioas_unmap u = { .size = sizeof(u), .length = UINT64_MAX };
	struct iommu_hwpt_pgfault rec[2];
	int d;

	m.ioas_id = q.ioas_id = u.ioas_id = ioas_alloc(fd);
	page[n % PG] = (unsigned char)n;	/* the memory is there to pin */
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q) == 0 && q.num_iovas >= 1);
	CHECK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0);
	CHECK(read((int)fa.out_fault_fd, rec, sizeof(rec)) == 0);
	CHECK(close((int)fa.out_fault_fd) == 0);
	/* A child forked meanwhile has a copy of the queue's fd, which holds
	 * the queue until the child closes it or exits, as on Linux: the
	 * queue then goes with the context. */
	CHECK(ioctl(fd, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = sizeof(struct iommu_destroy), .id = fa.out_fault_id }) == 0 ||
	      errno == EBUSY);
	d = dup(fd);
	CHECK(d >= 0);
	CHECK(ioctl(d, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == PG);
	CHECK(close(d) == 0);
	destroy(fd, m.ioas_id);
}

static void *parent_thread(void *arg)
{
	unsigned char *page;
	unsigned int i;

	(void)arg;
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	for (i = 0; i < ROUNDS; i++)
		round_trip(iommu_fd, page, i);
	munmap(page, PG);
	return NULL;
}

static void child(unsigned int k)
{
	unsigned char *anon, *shared;
	unsigned int i;
	pid_t gc = -1;
	int mfd, st;

	anon = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mfd = memfd_create("stress", MFD_CLOEXEC);
	CHECK(anon != MAP_FAILED && mfd >= 0 && ftruncate(mfd, PG) == 0);
	shared = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(shared != MAP_FAILED);
	for (i = 0; i < ROUNDS; i++) {
		round_trip(iommu_fd, i % 2 ? anon : shared, i + k);
		if (k == 0 && i == ROUNDS / 2) {
			gc = fork();
			CHECK(gc >= 0);
			if (!gc) {
				round_trip(iommu_fd, anon, i);
				_exit(0);
			}
		}
	}
	if (gc > 0)
		CHECK(waitpid(gc, &st, 0) == gc && WIFEXITED(st) && !WEXITSTATUS(st));
	_exit(0);
}

int main(void)
{
	pthread_t t[2];
	pid_t pids[CHILDREN];
	unsigned int i;
	int st;

	iommu_fd = open("/dev/iommu", O_RDWR);
	CHECK(iommu_fd >= 0);
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, parent_thread, NULL) == 0);
	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (!pids[i])
			child(i);
	}
	for (i = 0; i < CHILDREN; i++)
		CHECK(waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && !WEXITSTATUS(st));
	for (i = 0; i < 2; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(close(iommu_fd) == 0);
	return 0;
}
