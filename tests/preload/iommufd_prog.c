/* SPDX-License-Identifier: MIT */
/*
 * A program that knows nothing of siommu: it opens /dev/iommu and speaks
 * the iommufd ABI with ioctl(), read(), write(), poll(), dup() and close(),
 * as it would on Linux. The test suite runs it under libsiommu-preload.so.
 * Checked: IOAS_ALLOC, MAP of its own buffer at an IOVA the IOAS picks,
 * IOVA_RANGES (-EMSGSIZE, then the ranges), UNMAP, the size rules, an
 * unknown request, DESTROY; a fault queue's fd (poll, read and write
 * records and their errors, no ioctls); dup, dup2 and close keeping the
 * context while an fd of it is open; a second open being a new context;
 * other fds untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: failed: %s (errno %d)\n",  \
				__FILE__, __LINE__, #c, errno);            \
			exit(1);                                           \
		}                                                          \
	} while (0)

#define FAILS(call, err) CHECK((call) == -1 && errno == (err))

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

int main(void)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r) };
	struct iommu_ioas_map m = { .size = sizeof(m) };
	struct iommu_ioas_unmap u = { .size = sizeof(u) };
	struct iommu_destroy d = { .size = sizeof(d) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = { .cookie = 1 };
	unsigned char big[sizeof(m) + 8];
	struct pollfd p;
	int fd, fd2, ffd, other, pipefd[2];
	uint32_t ioas;
	void *buf;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "/dev/iommu: %s (run under libsiommu-preload.so)\n",
			strerror(errno));
		return 1;
	}
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ioas = ioas_alloc(fd);
	CHECK(ioas == 1);

	/* Map our own buffer where the IOAS likes. */
	buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 0x5a, 65536);
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)buf;
	m.length = 65536;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
	CHECK(m.iova != 0 && m.iova % 65536 == 0);

	/* The size rules. */
	memset(big, 0, sizeof(big));
	memcpy(big, &m, sizeof(m));
	((struct iommu_ioas_map *)big)->size = sizeof(big);
	((struct iommu_ioas_map *)big)->flags &= ~IOMMU_IOAS_MAP_FIXED_IOVA;
	big[sizeof(m) + 3] = 1;
	FAILS(ioctl(fd, IOMMU_IOAS_MAP, big), E2BIG);
	m.size = IOMMUFD_IOAS_MAP_MIN_SIZE - 1;
	FAILS(ioctl(fd, IOMMU_IOAS_MAP, &m), EINVAL);
	m.size = sizeof(m);
	FAILS(ioctl(fd, _IO(IOMMUFD_TYPE, 0x9f), &m), ENOTTY);

	/* IOVA ranges: too small an array reports the count. */
	r.ioas_id = ioas;
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r), EMSGSIZE);
	CHECK(r.num_iovas == 1);
	r.allowed_iovas = (uintptr_t)ranges;
	r.num_iovas = 4;
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r) == 0);
	CHECK(r.num_iovas == 1 && ranges[0].start == 0 && ranges[0].last == UINT64_MAX);

	u.ioas_id = ioas;
	u.iova = m.iova;
	u.length = 4096;			/* cuts the area */
	FAILS(ioctl(fd, IOMMU_IOAS_UNMAP, &u), ENOENT);
	u.length = 65536;
	CHECK(ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0);
	CHECK(u.length == 65536);
	FAILS(ioctl(fd, IOMMU_DESTROY, &d), ENOENT);

	/* A fault queue's fd: pollable, records, no ioctls. */
	CHECK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0);
	ffd = (int)fa.out_fault_fd;
	CHECK(fcntl(ffd, F_GETFD) & FD_CLOEXEC);
	p = (struct pollfd){ .fd = ffd, .events = POLLIN | POLLOUT };
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
	CHECK(read(ffd, rec, sizeof(rec)) == 0);
	FAILS(read(ffd, rec, sizeof(rec[0]) - 1), ESPIPE);
	FAILS(write(ffd, &resp, sizeof(resp) - 1), ESPIPE);
	FAILS(write(ffd, &resp, sizeof(resp)), EINVAL);	/* nothing read */
	FAILS(ioctl(ffd, IOMMU_IOAS_ALLOC, &fa), ENOTTY);

	/* dup and close: the context lives while an fd of it does. */
	fd2 = dup(fd);
	CHECK(fd2 >= 0);
	CHECK(close(fd) == 0);
	CHECK(ioas_alloc(fd2) == 3);		/* the same context: IOAS 1, FAULT 2 */
	CHECK(dup2(fd2, 100) == 100);
	CHECK(close(fd2) == 0);
	d.id = fa.out_fault_id;
	CHECK(close(ffd) == 0);
	CHECK(ioctl(100, IOMMU_DESTROY, &d) == 0);
	CHECK(ioas_alloc(100) == 2);
	CHECK(close(100) == 0);
	FAILS(ioctl(100, IOMMU_IOAS_ALLOC, &fa), EBADF);

	/* Another open: another context; no read or write on it. */
	fd = openat(AT_FDCWD, "/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	CHECK(ioas_alloc(fd) == 1);
	/* vEVENTQ and HW queue: provided, but the VT-d machine has no vIOMMU. */
	{
		struct iommu_veventq_alloc va = {
			.size = sizeof(va), .viommu_id = 1,
			.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 1,
		};
		struct iommu_hw_queue_alloc ha = {
			.size = sizeof(ha), .viommu_id = 1,
			.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, .length = 4096,
		};

		FAILS(ioctl(fd, IOMMU_VEVENTQ_ALLOC, &va), ENOENT);
		FAILS(ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &ha), ENOENT);
		va.veventq_depth = 0;
		FAILS(ioctl(fd, IOMMU_VEVENTQ_ALLOC, &va), EINVAL);
	}
	FAILS(read(fd, rec, sizeof(rec)), EINVAL);
	FAILS(write(fd, rec, sizeof(rec)), EINVAL);
	CHECK(close(fd) == 0);

	/* Everything else is the system's. */
	other = open("/dev/null", O_RDWR);
	CHECK(other >= 0);
	CHECK(write(other, "x", 1) == 1);
	CHECK(close(other) == 0);
	CHECK(pipe(pipefd) == 0);
	FAILS(ioctl(pipefd[0], IOMMU_DESTROY, &d), ENOTTY);
	CHECK(write(pipefd[1], "ab", 2) == 2);
	CHECK(read(pipefd[0], big, 2) == 2 && big[0] == 'a');
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(buf, 65536);
	puts("iommufd through /dev/iommu: ok");
	return 0;
}
