/* SPDX-License-Identifier: MIT */
/*
 * A conformance program in the style of Linux's iommufd selftest
 * (tools/testing/selftests/iommu/): fixtures of mock domains on an IOAS,
 * and cases for map, unmap, copy, accesses, dirty tracking, PASIDs,
 * nesting, vIOMMUs, mmap of the iommufd fd and fault queues with the
 * exact errnos Linux gives. It
 * includes libc and the ABI headers only, and runs under
 * libsiommu-preload.so with SIOMMU_IOMMUFD_TEST=1 (test mode). Run with
 * the argument "off" and without that variable, it checks that
 * IOMMU_TEST_CMD is -ENOTTY, as on a kernel without CONFIG_IOMMUFD_TEST.
 * With the argument "fork" first, it opens /dev/iommu and runs each case
 * that reaches no memory through a test operation in a forked child,
 * whose opens, ioctls and queue fds the parent serves.
 *
 * Each case gets a fresh /dev/iommu fd from its fixture's setup and gives
 * it back in teardown; the fixture variants have 0, 1 or 2 mock domains
 * on the IOAS, as Linux's iommufd_ioas variants do.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_test.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#define PAGE_SIZE 4096ul
#define BUFFER_SIZE (64 * PAGE_SIZE)

/* ---- a small harness: a failed assertion fails the case and returns ---- */

static const char *cur_case;
static int cur_failed;

#define ASSERT_EQ(want, got)                                                  \
	do {                                                                  \
		long long _w = (long long)(want), _g = (long long)(got);     \
		if (_w != _g) {                                               \
			fprintf(stderr, "%s: %s:%d: %s == %s: %lld != %lld (errno %d)\n", \
				cur_case, __FILE__, __LINE__, #want, #got, _w, _g, errno); \
			cur_failed = 1;                                       \
			return;                                               \
		}                                                             \
	} while (0)
#define ASSERT_NE(a, b)                                                       \
	do {                                                                  \
		if ((long long)(a) == (long long)(b)) {                       \
			fprintf(stderr, "%s: %s:%d: %s != %s\n", cur_case,    \
				__FILE__, __LINE__, #a, #b);                  \
			cur_failed = 1;                                       \
			return;                                               \
		}                                                             \
	} while (0)
#define EXPECT_ERRNO(err, call)                                               \
	do {                                                                  \
		errno = 0;                                                    \
		ASSERT_EQ(-1, (call));                                        \
		ASSERT_EQ(err, errno);                                        \
	} while (0)

struct fixture {
	int fd;
	uint32_t ioas_id;
	unsigned int mock_domains;
	uint32_t stdev_id[2], hwpt_id[2], idev_id[2];
	uint8_t *buffer;
};

static int ioctl_ok(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

/* ---- helpers after Linux's iommufd_utils.h ---- */

static int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	*id = cmd.out_ioas_id;
	return ret;
}

static int mock_domain_flags(int fd, uint32_t pt_id, uint32_t flags, uint32_t *stdev,
			     uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt_id,
		.mock_domain_flags = { .dev_flags = flags },
	};
	int ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (stdev)
		*stdev = cmd.mock_domain_flags.out_stdev_id;
	if (hwpt)
		*hwpt = cmd.mock_domain_flags.out_hwpt_id;
	if (idev)
		*idev = cmd.mock_domain_flags.out_idev_id;
	return ret;
}

static int ioas_map(int fd, uint32_t ioas, void *buf, uint64_t len, uint64_t *iova,
		    uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .user_va = (uintptr_t)buf, .length = len,
		.flags = flags | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.iova = *iova,
	};
	int ret = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	*iova = cmd.iova;
	return ret;
}

static int ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd), .ioas_id = ioas, .iova = iova,
					.length = len };
	int ret = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (out)
		*out = cmd.length;
	return ret;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

static int check_map(int fd, uint32_t hwpt, void *buf, uint64_t iova, uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)buf },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int check_refs(int fd, void *buf, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)buf, .refs = refs },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd), .flags = flags, .dev_id = dev,
					.pt_id = pt };
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	*out = cmd.out_hwpt_id;
	return ret;
}

static int create_access(int fd, uint32_t ioas, uint32_t flags, int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
		.create_access = { .flags = flags },
	};
	int ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	*access_fd = (int)cmd.create_access.out_access_fd;
	return ret;
}

static int access_pages(int fd, int access_fd, uint64_t iova, uint64_t len, void *buf,
			uint32_t flags, uint32_t *id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)access_fd,
		.access_pages = { .flags = flags, .iova = iova, .length = len,
				  .uptr = (uintptr_t)buf },
	};
	int ret = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	*id = cmd.access_pages.out_access_pages_id;
	return ret;
}

static int destroy_access_pages(int fd, int access_fd, uint32_t id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = (uint32_t)access_fd, .destroy_access_pages = { .access_pages_id = id },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int access_rw(int fd, int access_fd, uint64_t iova, void *buf, uint64_t len,
		     uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)access_fd,
		.access_rw = { .iova = iova, .length = len, .uptr = (uintptr_t)buf,
			       .flags = flags },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int test_op(int fd, uint32_t op, uint32_t id, const void *args, size_t len)
{
	struct iommu_test_cmd cmd = { .size = sizeof(cmd), .op = op, .id = id };

	memcpy(&cmd.add_reserved, args, len);
	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int pasid_op(int fd, uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt)
{
	const uint32_t a[2] = { pasid, pt };

	return test_op(fd, op, stdev, a, sizeof(a));
}

/* ---- fixture ---- */

static void setup(struct fixture *f, unsigned int domains)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->fd = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, f->fd);
	ASSERT_EQ(0, ioas_alloc(f->fd, &f->ioas_id));
	f->mock_domains = domains;
	for (i = 0; i < domains; i++)
		ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, 0, &f->stdev_id[i],
					       &f->hwpt_id[i], &f->idev_id[i]));
	f->buffer = mmap(NULL, BUFFER_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->buffer);
	memset(f->buffer, 0xa5, BUFFER_SIZE);
}

static void teardown(struct fixture *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->buffer && f->buffer != MAP_FAILED)
		munmap(f->buffer, BUFFER_SIZE);
}

/* ---- cases ---- */

/* IOMMU_TEST_CMD's size rules and unknown ops. */
static void cmd_length(struct fixture *f)
{
	struct {
		struct iommu_test_cmd cmd;
		uint8_t extra[8];
	} big = { .cmd = { .size = sizeof(big.cmd) + 1, .op = IOMMU_TEST_OP_ADD_RESERVED,
			   .id = f->ioas_id,
			   .add_reserved = { .start = 1ull << 40, .length = PAGE_SIZE } } };

	big.cmd.size = IOMMUFD_TEST_CMD_MIN_SIZE - 1;
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_TEST_CMD, &big));
	big.cmd.size = sizeof(big.cmd) + 1;
	big.extra[0] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(f->fd, IOMMU_TEST_CMD, &big));
	big.extra[0] = 0;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &big));
	big.cmd.op = 99;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(f->fd, IOMMU_TEST_CMD, &big));
}

/* Mock domain geometry: the aperture and the 2 KiB alignment. */
static void iova_ranges(struct fixture *f)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = f->ioas_id, .num_iovas = 4,
		.allowed_iovas = (uintptr_t)ranges,
	};

	ASSERT_EQ(0, ioctl(f->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	if (!f->mock_domains) {
		ASSERT_EQ(1, cmd.num_iovas);
		ASSERT_EQ(0, ranges[0].start);
		ASSERT_EQ(UINT64_MAX, ranges[0].last);
		ASSERT_EQ(1, cmd.out_iova_alignment);
		/* A hole at the second page, and room for one range: -EMSGSIZE
		 * with the count, and the range that fits written, as Linux's. */
		{
			uint64_t r[2] = { PAGE_SIZE, PAGE_SIZE };

			ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_ADD_RESERVED, f->ioas_id, r,
					     sizeof(r)));
		}
		memset(ranges, 0, sizeof(ranges));
		cmd.num_iovas = 1;
		EXPECT_ERRNO(EMSGSIZE, ioctl(f->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
		ASSERT_EQ(2, cmd.num_iovas);
		ASSERT_EQ(0, ranges[0].start);
		ASSERT_EQ(PAGE_SIZE - 1, ranges[0].last);
		ASSERT_EQ(0, ranges[1].last);		/* no room for it */
		return;
	}
	ASSERT_EQ(1, cmd.num_iovas);
	ASSERT_EQ(MOCK_APERTURE_START, ranges[0].start);
	ASSERT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
	ASSERT_EQ(MOCK_PAGE_SIZE, cmd.out_iova_alignment);
	/* Detaching every domain widens it again. */
	ASSERT_EQ(0, destroy(f->fd, f->stdev_id[0]));
	if (f->mock_domains == 2)
		ASSERT_EQ(0, destroy(f->fd, f->stdev_id[1]));
	cmd.num_iovas = 4;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(0, ranges[0].start);
	ASSERT_EQ(1, cmd.out_iova_alignment);
}

/* ADD_RESERVED: over an area or into the aperture's holes. */
static void add_reserved(struct fixture *f)
{
	const uint64_t base = MOCK_APERTURE_START;
	uint64_t iova = base, r[2] = { base, PAGE_SIZE };

	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	EXPECT_ERRNO(EADDRINUSE, test_op(f->fd, IOMMU_TEST_OP_ADD_RESERVED, f->ioas_id, r,
					 sizeof(r)));
	r[0] = base + 16 * PAGE_SIZE;
	ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_ADD_RESERVED, f->ioas_id, r, sizeof(r)));
	iova = r[0];
	EXPECT_ERRNO(EINVAL, ioas_map(f->fd, f->ioas_id, f->buffer, PAGE_SIZE, &iova,
				      IOMMU_IOAS_MAP_FIXED_IOVA));
	EXPECT_ERRNO(ENOENT, test_op(f->fd, IOMMU_TEST_OP_ADD_RESERVED, 999, r, sizeof(r)));
	/* Nor over an allowed range. */
	{
		struct iommu_iova_range allowed = { base + 32 * PAGE_SIZE,
						    base + 64 * PAGE_SIZE - 1 };
		struct iommu_ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = f->ioas_id,
						    .num_iovas = 1,
						    .allowed_iovas = (uintptr_t)&allowed };

		ASSERT_EQ(0, ioctl(f->fd, IOMMU_IOAS_ALLOW_IOVAS, &a));
		r[0] = base + 40 * PAGE_SIZE;
		EXPECT_ERRNO(EADDRINUSE, test_op(f->fd, IOMMU_TEST_OP_ADD_RESERVED, f->ioas_id,
						 r, sizeof(r)));
		r[0] = base + 16 * PAGE_SIZE;
	}
	r[1] = 0;
	EXPECT_ERRNO(EINVAL, test_op(f->fd, IOMMU_TEST_OP_ADD_RESERVED, f->ioas_id, r,
				     sizeof(r)));
}

/* Map at every 2 KiB offset: the mock table maps the caller's bytes and
 * the pages are pinned once while mapped. */
static void all_aligns(struct fixture *f)
{
	uint64_t start, end, iova;

	for (start = 0; start < 4 * PAGE_SIZE; start += MOCK_PAGE_SIZE) {
		for (end = start + MOCK_PAGE_SIZE; end <= 6 * PAGE_SIZE; end += 3 * MOCK_PAGE_SIZE) {
			uint64_t first = start / PAGE_SIZE * PAGE_SIZE;
			uint64_t last = (end + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
			unsigned int i;

			iova = 0;
			ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer + start, end - start,
					      &iova, 0));
			ASSERT_EQ(start % PAGE_SIZE, iova % PAGE_SIZE);
			for (i = 0; i < f->mock_domains; i++)
				ASSERT_EQ(0, check_map(f->fd, f->hwpt_id[i], f->buffer + start,
						       iova, end - start));
			/* Pinned by the domains, if any. */
			ASSERT_EQ(0, check_refs(f->fd, f->buffer + first, last - first,
						f->mock_domains ? 1 : 0));
			ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova, end - start, NULL));
		}
	}
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, BUFFER_SIZE, 0));
	EXPECT_ERRNO(EIO, check_refs(f->fd, f->buffer, PAGE_SIZE, 1));
	EXPECT_ERRNO(EINVAL, check_refs(f->fd, f->buffer + 1, PAGE_SIZE, 0));
}

/* Basic map errors with mock domains: misalignment, the aperture, EFAULT,
 * EEXIST; MD_CHECK_MAP refuses what is not mapped there. */
static void map_errors(struct fixture *f)
{
	uint64_t iova = MOCK_APERTURE_START;
	uint8_t *buf;

	if (!f->mock_domains)
		return;
	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(0, check_map(f->fd, f->hwpt_id[0], f->buffer, iova, PAGE_SIZE));
	EXPECT_ERRNO(EINVAL, check_map(f->fd, f->hwpt_id[0], f->buffer + PAGE_SIZE, iova,
				       PAGE_SIZE));
	EXPECT_ERRNO(EINVAL, check_map(f->fd, f->hwpt_id[0], f->buffer, iova + PAGE_SIZE,
				       PAGE_SIZE));
	EXPECT_ERRNO(EINVAL, check_map(f->fd, f->hwpt_id[0], f->buffer, iova + 1, PAGE_SIZE));
	EXPECT_ERRNO(ENOENT, check_map(f->fd, 999, f->buffer, iova, PAGE_SIZE));
	EXPECT_ERRNO(EEXIST, ioas_map(f->fd, f->ioas_id, f->buffer, PAGE_SIZE, &iova,
				      IOMMU_IOAS_MAP_FIXED_IOVA));
	iova = MOCK_APERTURE_START + MOCK_PAGE_SIZE / 2;
	EXPECT_ERRNO(EINVAL, ioas_map(f->fd, f->ioas_id, f->buffer, MOCK_PAGE_SIZE, &iova,
				      IOMMU_IOAS_MAP_FIXED_IOVA));
	iova = MOCK_APERTURE_START - PAGE_SIZE;
	EXPECT_ERRNO(EINVAL, ioas_map(f->fd, f->ioas_id, f->buffer, PAGE_SIZE, &iova,
				      IOMMU_IOAS_MAP_FIXED_IOVA));
	buf = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, munmap(buf + 2 * PAGE_SIZE, 2 * PAGE_SIZE));
	iova = 0;
	EXPECT_ERRNO(EFAULT, ioas_map(f->fd, f->ioas_id, buf, 4 * PAGE_SIZE, &iova, 0));
	EXPECT_ERRNO(EFAULT, check_refs(f->fd, buf, 4 * PAGE_SIZE, 0));
	munmap(buf, 2 * PAGE_SIZE);
}

static int huge_pages_option(int fd, uint32_t ioas, uint64_t val)
{
	struct iommu_option cmd = { .size = sizeof(cmd), .option_id = IOMMU_OPTION_HUGE_PAGES,
				    .op = IOMMU_OPTION_OP_SET, .object_id = ioas, .val64 = val };

	return ioctl(fd, IOMMU_OPTION, &cmd);
}

/* HUGE_PAGES 0 demands 4K alignment of every area: of its IOVA, its
 * length, and of where its memory starts in its page. */
static void huge_pages_off(struct fixture *f)
{
	uint64_t iova = MOCK_APERTURE_START + PAGE_SIZE;

	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer + MOCK_PAGE_SIZE, PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	if (f->mock_domains) {
		/* Domains may have mapped it with large pages already. */
		EXPECT_ERRNO(EINVAL, huge_pages_option(f->fd, f->ioas_id, 0));
	} else {
		EXPECT_ERRNO(EADDRINUSE, huge_pages_option(f->fd, f->ioas_id, 0));
	}
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova, PAGE_SIZE, NULL));
	ASSERT_EQ(0, huge_pages_option(f->fd, f->ioas_id, 0));
	ASSERT_EQ(0, huge_pages_option(f->fd, f->ioas_id, 1));
}

/* IOAS copy shares the pages: still one pin; destroy rules. */
static void copy_and_destroy(struct fixture *f)
{
	struct iommu_ioas_copy cp = { .size = sizeof(cp),
				      .flags = IOMMU_IOAS_MAP_READABLE |
					       IOMMU_IOAS_MAP_WRITEABLE };
	uint64_t iova = 0;
	uint32_t ioas2, stdev2, hwpt2;

	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, 8 * PAGE_SIZE, &iova, 0));
	ASSERT_EQ(0, ioas_alloc(f->fd, &ioas2));
	ASSERT_EQ(0, mock_domain_flags(f->fd, ioas2, 0, &stdev2, &hwpt2, NULL));
	cp.dst_ioas_id = ioas2;
	cp.src_ioas_id = f->ioas_id;
	cp.src_iova = iova;
	cp.length = 8 * PAGE_SIZE;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_IOAS_COPY, &cp));
	ASSERT_EQ(0, check_map(f->fd, hwpt2, f->buffer, cp.dst_iova, 8 * PAGE_SIZE));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 8 * PAGE_SIZE, 1));
	cp.src_iova = iova + 8 * PAGE_SIZE;
	EXPECT_ERRNO(ENOENT, ioctl(f->fd, IOMMU_IOAS_COPY, &cp));
	/* An IOAS with a HWPT is busy; the HWPT with a device too. */
	EXPECT_ERRNO(EBUSY, destroy(f->fd, ioas2));
	EXPECT_ERRNO(EBUSY, destroy(f->fd, hwpt2));
	ASSERT_EQ(0, destroy(f->fd, stdev2));
	/* The automatic HWPT went with its last device. */
	EXPECT_ERRNO(ENOENT, destroy(f->fd, hwpt2));
	ASSERT_EQ(0, destroy(f->fd, ioas2));
	/* The source's domains still pin the shared storage, if any. */
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 8 * PAGE_SIZE, f->mock_domains ? 1 : 0));
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, 0, UINT64_MAX, NULL));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 8 * PAGE_SIZE, 0));
}

/* MOCK_DOMAIN_REPLACE onto a HWPT of the caller's; the old automatic one
 * goes. */
static void domain_replace(struct fixture *f)
{
	struct iommu_test_cmd cmd = { .size = sizeof(cmd),
				      .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	uint32_t hwpt;

	if (!f->mock_domains)
		return;
	ASSERT_EQ(0, hwpt_alloc(f->fd, f->idev_id[0], f->ioas_id, 0, &hwpt));
	cmd.id = f->stdev_id[0];
	cmd.mock_domain_replace.pt_id = hwpt;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &cmd));
	ASSERT_EQ(hwpt, cmd.mock_domain_replace.pt_id);
	/* Mock devices share a compatible automatic HWPT: with two, the
	 * other one keeps it. */
	if (f->mock_domains == 2)
		EXPECT_ERRNO(EBUSY, destroy(f->fd, f->hwpt_id[0]));
	else
		EXPECT_ERRNO(ENOENT, destroy(f->fd, f->hwpt_id[0]));
	cmd.mock_domain_replace.pt_id = f->ioas_id;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &cmd));
	ASSERT_NE(hwpt, cmd.mock_domain_replace.pt_id);
	ASSERT_EQ(0, destroy(f->fd, hwpt));
	cmd.id = 999;
	EXPECT_ERRNO(ENOENT, ioctl(f->fd, IOMMU_TEST_CMD, &cmd));
}

/* Accesses: pin, read and write through the IOAS, unmap notification. */
static void access_cases(struct fixture *f)
{
	uint8_t tmp[3 * PAGE_SIZE];
	uint64_t iova = 0;
	uint32_t id, id2, ioas2;
	int afd, afd2;

	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, 4 * PAGE_SIZE, &iova, 0));
	ASSERT_EQ(0, create_access(f->fd, f->ioas_id, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &afd));
	ASSERT_EQ(0, access_pages(f->fd, afd, iova, 4 * PAGE_SIZE, f->buffer,
				  MOCK_FLAGS_ACCESS_WRITE, &id));
	EXPECT_ERRNO(EINVAL, access_pages(f->fd, afd, iova, PAGE_SIZE, f->buffer + PAGE_SIZE,
					  0, &id2));
	EXPECT_ERRNO(ENOENT, access_pages(f->fd, afd, iova, 5 * PAGE_SIZE, f->buffer, 0, &id2));
	EXPECT_ERRNO(EINVAL, access_pages(f->fd, afd, iova, 0, f->buffer, 0, &id2));
	EXPECT_ERRNO(EOPNOTSUPP, access_pages(f->fd, afd, iova, PAGE_SIZE, f->buffer, 2, &id2));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 4 * PAGE_SIZE, 1));
	ASSERT_EQ(0, destroy_access_pages(f->fd, afd, id));
	EXPECT_ERRNO(ENOENT, destroy_access_pages(f->fd, afd, id));

	/* An unmap makes the access let go of what it pinned there. */
	ASSERT_EQ(0, access_pages(f->fd, afd, iova + PAGE_SIZE, PAGE_SIZE,
				  f->buffer + PAGE_SIZE, 0, &id));
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova, 4 * PAGE_SIZE, NULL));
	EXPECT_ERRNO(ENOENT, destroy_access_pages(f->fd, afd, id));

	/* Read and write, fast and slow path; across an area boundary. */
	iova = MOCK_APERTURE_START;
	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, 2 * PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	iova += 2 * PAGE_SIZE;
	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer + 2 * PAGE_SIZE, 2 * PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	iova = MOCK_APERTURE_START;
	memset(tmp, 0x3c, sizeof(tmp));
	ASSERT_EQ(0, access_rw(f->fd, afd, iova + 100, tmp, sizeof(tmp), MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0, memcmp(f->buffer + 100, tmp, sizeof(tmp)));
	f->buffer[5000] = 0x11;
	memset(tmp, 0, sizeof(tmp));
	ASSERT_EQ(0, access_rw(f->fd, afd, iova + 100, tmp, sizeof(tmp),
			       MOCK_ACCESS_RW_SLOW_PATH));
	ASSERT_EQ(0x11, tmp[4900]);
	ASSERT_EQ(0, memcmp(f->buffer + 100, tmp, sizeof(tmp)));
	memset(tmp, 0x77, sizeof(tmp));
	ASSERT_EQ(0, access_rw(f->fd, afd, iova + 1, tmp, sizeof(tmp),
			       MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH));
	ASSERT_EQ(0x77, f->buffer[1]);
	ASSERT_EQ(0x77, f->buffer[3 * PAGE_SIZE]);
	EXPECT_ERRNO(ENOENT, access_rw(f->fd, afd, iova + 3 * PAGE_SIZE, tmp, sizeof(tmp), 0));
	EXPECT_ERRNO(EOPNOTSUPP, access_rw(f->fd, afd, iova, tmp, 1, 2));
	EXPECT_ERRNO(EINVAL, access_rw(f->fd, afd, iova, tmp, 0, 0));

	/* An access without NEEDS_PIN_PAGES reads and writes only. */
	ASSERT_EQ(0, create_access(f->fd, f->ioas_id, 0, &afd2));
	EXPECT_ERRNO(EOPNOTSUPP, access_pages(f->fd, afd2, iova, PAGE_SIZE, f->buffer, 0, &id));
	ASSERT_EQ(0, access_rw(f->fd, afd2, iova, tmp, 16, 0));
	EXPECT_ERRNO(EOPNOTSUPP, create_access(f->fd, f->ioas_id, 2, &(int){ -1 }));

	/* The access's IOAS is busy; the access moves to another. */
	EXPECT_ERRNO(EBUSY, destroy(f->fd, f->ioas_id));
	ASSERT_EQ(0, ioas_alloc(f->fd, &ioas2));
	ASSERT_EQ(0, access_pages(f->fd, afd, iova, PAGE_SIZE, f->buffer, 0, &id));
	ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, (uint32_t)afd, &ioas2,
			     sizeof(ioas2)));
	EXPECT_ERRNO(ENOENT, destroy_access_pages(f->fd, afd, id));
	EXPECT_ERRNO(ENOENT, access_rw(f->fd, afd, iova, tmp, 16, 0));
	EXPECT_ERRNO(EBUSY, destroy(f->fd, ioas2));
	/* Closing an access fd destroys it. */
	ASSERT_EQ(0, close(afd));
	ASSERT_EQ(0, destroy(f->fd, ioas2));
	ASSERT_EQ(0, close(afd2));
	if (!f->mock_domains)
		ASSERT_EQ(0, destroy(f->fd, f->ioas_id));
	EXPECT_ERRNO(EBADFD, destroy_access_pages(f->fd, afd, 0));
	/* Linux's errno for any fd that is no access file, open or not: the
	 * /dev/iommu fd itself, a file of another kind. */
	EXPECT_ERRNO(EBADFD, destroy_access_pages(f->fd, f->fd, 0));
	afd = open("/dev/null", O_RDONLY);
	ASSERT_NE(-1, afd);
	EXPECT_ERRNO(EBADFD, access_rw(f->fd, afd, iova, tmp, 16, 0));
	ASSERT_EQ(0, close(afd));
}

/* GET_HW_INFO of mock devices. */
static void hw_info(struct fixture *f)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd = { .size = sizeof(cmd), .data_len = sizeof(info),
				     .data_uptr = (uintptr_t)&info };
	uint32_t idev;

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_PASID, NULL, NULL,
				       &idev));
	cmd.dev_id = idev;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	ASSERT_EQ(sizeof(info), cmd.data_len);
	ASSERT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info.test_reg);
	ASSERT_EQ(20, cmd.out_max_pasid_log2);
	ASSERT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING, cmd.out_capabilities);
	/* Asked for by type: the selftest's, or none other. */
	cmd.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(f->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.flags = 0;
	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL,
				       &idev));
	cmd.dev_id = idev;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(0, cmd.out_max_pasid_log2);
	ASSERT_EQ(0, cmd.out_capabilities);
	/* Huge IOVA pages are a device's own; flags beyond the known ones
	 * are refused. */
	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, NULL,
				       NULL));
	EXPECT_ERRNO(EINVAL, mock_domain_flags(f->fd, f->ioas_id, 1u << 3, NULL, NULL, NULL));
}

/* Dirty tracking through the mock table's per-page dirty bits. */
static void dirty(struct fixture *f)
{
	struct iommu_hwpt_set_dirty_tracking st = { .size = sizeof(st) };
	struct iommu_hwpt_get_dirty_bitmap gb = { .size = sizeof(gb) };
	struct iommu_test_cmd d = { .size = sizeof(d), .op = IOMMU_TEST_OP_DIRTY };
	uint64_t bits = 0, out = 0, iova = MOCK_APERTURE_START;
	uint32_t stdev, hwpt, idev;

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, 0, &stdev, NULL, &idev));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	ASSERT_EQ(0, destroy(f->fd, stdev));
	ASSERT_EQ(0, mock_domain_flags(f->fd, hwpt, 0, &stdev, NULL, &idev));
	EXPECT_ERRNO(EINVAL, mock_domain_flags(f->fd, hwpt, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL,
					       NULL, NULL));
	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, 16 * MOCK_PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	bits = 0x5;
	d.id = hwpt;
	d.dirty.iova = iova;
	d.dirty.length = 16 * MOCK_PAGE_SIZE;
	d.dirty.page_size = MOCK_PAGE_SIZE;
	d.dirty.uptr = (uintptr_t)&bits;
	/* Tracking off: the mock domain marks nothing. */
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_TEST_CMD, &d));
	st.hwpt_id = hwpt;
	st.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &st));
	bits = 0x8005;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &d));
	ASSERT_EQ(3, d.dirty.out_nr_dirty);
	gb.hwpt_id = hwpt;
	gb.iova = iova;
	gb.length = 16 * MOCK_PAGE_SIZE;
	gb.page_size = PAGE_SIZE;
	gb.data = (uintptr_t)&out;
	gb.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb));
	ASSERT_EQ(0x83, out);
	out = 0;
	gb.flags = 0;
	gb.page_size = MOCK_PAGE_SIZE;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb));
	ASSERT_EQ(0x8005, out);
	out = 0;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb));
	ASSERT_EQ(0, out);
	d.dirty.page_size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_TEST_CMD, &d));
	d.dirty.page_size = MOCK_PAGE_SIZE;
	d.dirty.uptr = 0;
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_TEST_CMD, &d));
	d.dirty.uptr = (uintptr_t)&bits;
	d.dirty.iova = iova + 1;
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_TEST_CMD, &d));
	d.id = 999;
	d.dirty.iova = iova;
	EXPECT_ERRNO(ENOENT, ioctl(f->fd, IOMMU_TEST_CMD, &d));
	ASSERT_EQ(0, destroy(f->fd, stdev));
	ASSERT_EQ(0, destroy(f->fd, hwpt));
}

/* PASID attach, replace, detach and check, with the mock's rules. */
static void pasid(struct fixture *f)
{
	uint32_t stdev, idev, plain, h1, h2, h_nopasid;

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL,
				       &idev));
	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, 0, &plain, NULL, NULL));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, IOMMU_HWPT_ALLOC_PASID, &h1));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, IOMMU_HWPT_ALLOC_PASID, &h2));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, 0, &h_nopasid));
	/* An IOAS and a HWPT without PASID are refused; so is a device
	 * without PASIDs. */
	EXPECT_ERRNO(EINVAL, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100,
				      f->ioas_id));
	/* The RID's automatic HWPT is no PASID HWPT either. */
	EXPECT_ERRNO(EINVAL, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, h1));
	{
		struct iommu_test_cmd r = { .size = sizeof(r),
					    .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
					    .mock_domain_replace = { .pt_id = h2 } };

		ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &r));
	}
	EXPECT_ERRNO(EINVAL, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100,
				      h_nopasid));
	EXPECT_ERRNO(EINVAL, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, plain, 100, h1));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 100, 0));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, h1));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 100, h1));
	EXPECT_ERRNO(EINVAL, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 100, h2));
	EXPECT_ERRNO(EBUSY, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, h2));
	EXPECT_ERRNO(EINVAL, pasid_op(f->fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, 101, h2));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, 100, h2));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 100, h2));
	EXPECT_ERRNO(EBUSY, destroy(f->fd, h2));
	/* Once a PASID is attached, the RID takes PASID HWPTs only. */
	{
		struct iommu_test_cmd r = { .size = sizeof(r),
					    .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
					    .mock_domain_replace = { .pt_id = h_nopasid } };

		EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_TEST_CMD, &r));
	}
	/* The reserved PASID: the replace after an attach fails with ENOMEM
	 * and keeps the old HWPT; the next one succeeds. */
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev,
			      IOMMU_TEST_PASID_RESERVED, h1));
	EXPECT_ERRNO(ENOMEM, pasid_op(f->fd, IOMMU_TEST_OP_PASID_REPLACE, stdev,
				      IOMMU_TEST_PASID_RESERVED, h2));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev,
			      IOMMU_TEST_PASID_RESERVED, h1));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_REPLACE, stdev,
			      IOMMU_TEST_PASID_RESERVED, h2));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_DETACH, stdev,
			      IOMMU_TEST_PASID_RESERVED, 0));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_DETACH, stdev, 100, 0));
	/* Detaching what is not attached does nothing. */
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_DETACH, stdev, 100, 0));
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 100, 0));
	EXPECT_ERRNO(ENOENT, pasid_op(f->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 100, 999));
	EXPECT_ERRNO(ENOENT, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, 999, 100, h1));
	ASSERT_EQ(0, destroy(f->fd, stdev));
	ASSERT_EQ(0, destroy(f->fd, h1));
}

static int invalidate(int fd, uint32_t id, uint32_t type, const void *e, uint32_t len,
		      uint32_t *num)
{
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd), .hwpt_id = id,
					     .data_uptr = (uintptr_t)e, .data_type = type,
					     .entry_len = len, .entry_num = *num };
	int ret = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*num = cmd.entry_num;
	return ret;
}

static int check_iotlb(int fd, uint32_t hwpt, uint32_t i, uint32_t want)
{
	const uint32_t a[2] = { i, want };

	return test_op(fd, IOMMU_TEST_OP_MD_CHECK_IOTLB, hwpt, a, sizeof(a));
}

/* Nested mock HWPTs and the vIOMMU's device cache. */
static void nested(struct fixture *f)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc na = { .size = sizeof(na), .data_type = IOMMU_HWPT_DATA_SELFTEST,
				       .data_len = sizeof(data),
				       .data_uptr = (uintptr_t)&data };
	struct iommu_hwpt_invalidate_selftest inv[2] = { { 0, 1 }, { 0, 4 } };
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_SELFTEST };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 0x99 };
	struct iommu_viommu_invalidate_selftest vinv = { .vdev_id = 0x99, .cache_id = 2 };
	const uint32_t cache[2] = { 2, 0 }, cache3[2] = { 3, IOMMU_TEST_DEV_CACHE_DEFAULT };
	uint32_t stdev, idev, parent, num, trig[1];

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, 0, &stdev, NULL, &idev));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	na.dev_id = idev;
	na.pt_id = parent;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_ALLOC, &na));
	ASSERT_EQ(0, check_iotlb(f->fd, na.out_hwpt_id, 3, IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_ERRNO(EINVAL, check_iotlb(f->fd, na.out_hwpt_id, 4, IOMMU_TEST_IOTLB_DEFAULT));
	EXPECT_ERRNO(EBUSY, destroy(f->fd, parent));
	/* In order until one fails; entry_num says how far. */
	num = 2;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, na.out_hwpt_id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					inv, sizeof(inv[0]), &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, check_iotlb(f->fd, na.out_hwpt_id, 1, 0));
	ASSERT_EQ(0, check_iotlb(f->fd, na.out_hwpt_id, 0, IOMMU_TEST_IOTLB_DEFAULT));
	/* Beyond Linux's bounds (2^19 entries, 4096 bytes each), refused
	 * before the array is read. */
	num = UINT32_MAX;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, na.out_hwpt_id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					inv, sizeof(inv[0]), &num));
	ASSERT_EQ(0, num);
	num = (1u << 19) + 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, 999, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
					sizeof(inv[0]), &num));
	ASSERT_EQ(0, num);
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, na.out_hwpt_id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					inv, 4097, &num));
	ASSERT_EQ(0, num);
	/* Refused as a whole, it handled none: entry_num comes back 0. */
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, na.out_hwpt_id,
					IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, inv,
					sizeof(inv[0]), &num));
	ASSERT_EQ(0, num);
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, na.out_hwpt_id,
					IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, NULL,
					sizeof(inv[0]), &num));
	ASSERT_EQ(0, num);
	num = 1;
	EXPECT_ERRNO(ENOENT, invalidate(f->fd, 9999, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
					sizeof(inv[0]), &num));
	ASSERT_EQ(0, num);
	{
		struct iommu_hwpt_invalidate r = {
			.size = sizeof(r), .hwpt_id = na.out_hwpt_id,
			.data_uptr = (uintptr_t)inv, .data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			.entry_len = sizeof(inv[0]), .entry_num = 1, .__reserved = 1,
		};

		EXPECT_ERRNO(EOPNOTSUPP, ioctl(f->fd, IOMMU_HWPT_INVALIDATE, &r));
		ASSERT_EQ(0, r.entry_num);
	}
	/* Driver data has the driver's size: a longer entry is refused even
	 * when zero past it (inv[1] begins with a zero flags word). */
	inv[1].flags = 0;
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, na.out_hwpt_id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					inv, sizeof(inv[0]) + 1, &num));
	ASSERT_EQ(0, num);
	inv[0].flags = 2;
	num = 1;
	EXPECT_ERRNO(EOPNOTSUPP, invalidate(f->fd, na.out_hwpt_id,
					    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
					    sizeof(inv[0]), &num));
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 1;
	ASSERT_EQ(0, invalidate(f->fd, na.out_hwpt_id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
				sizeof(inv[0]), &num));
	ASSERT_EQ(0, check_iotlb(f->fd, na.out_hwpt_id, 0, 0));
	/* A paging HWPT takes no user invalidation. */
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, parent, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, inv,
					sizeof(inv[0]), &num));
	data.iotlb = 0;
	na.data_len = sizeof(data) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_HWPT_ALLOC, &na));
	{
		struct { struct iommu_hwpt_selftest d; uint32_t zero; } longer = { data, 0 };

		na.data_uptr = (uintptr_t)&longer;
		na.data_len = sizeof(longer);
		EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_HWPT_ALLOC, &na));
		na.data_uptr = (uintptr_t)&data;
	}
	/* What the HWPT refuses comes before the fault object is looked up:
	 * a nest parent takes no fault queue, a bad data type is refused,
	 * whatever fault_id names. */
	{
		struct iommu_hwpt_alloc pa = { .size = sizeof(pa), .dev_id = idev,
					       .pt_id = f->ioas_id, .fault_id = 9999,
					       .flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
							IOMMU_HWPT_FAULT_ID_VALID };

		EXPECT_ERRNO(EOPNOTSUPP, ioctl(f->fd, IOMMU_HWPT_ALLOC, &pa));
		na.data_len = sizeof(data);
		na.data_type = IOMMU_HWPT_DATA_SELFTEST + 1;
		na.flags = IOMMU_HWPT_FAULT_ID_VALID;
		na.fault_id = 9999;
		EXPECT_ERRNO(EOPNOTSUPP, ioctl(f->fd, IOMMU_HWPT_ALLOC, &na));
		na.data_type = IOMMU_HWPT_DATA_SELFTEST;
		EXPECT_ERRNO(ENOENT, ioctl(f->fd, IOMMU_HWPT_ALLOC, &na));
		na.flags = 0;
		na.fault_id = 0;
	}

	/* vIOMMU: invalidation by virtual device ID reaches the cache. */
	va.dev_id = idev;
	va.hwpt_id = parent;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = idev;
	EXPECT_ERRNO(ENOENT, test_op(f->fd, IOMMU_TEST_OP_TRIGGER_VEVENT, 0, &idev, sizeof(idev)));
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_VDEVICE_ALLOC, &vd));
	ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev, cache3, sizeof(cache3)));
	num = 1;
	ASSERT_EQ(0, invalidate(f->fd, va.out_viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				&vinv, sizeof(vinv), &num));
	ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev, cache, sizeof(cache)));
	ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev, cache3, sizeof(cache3)));
	vinv.vdev_id = 0x98;
	num = 1;
	EXPECT_ERRNO(EINVAL, invalidate(f->fd, va.out_viommu_id,
					IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, &vinv, sizeof(vinv),
					&num));
	trig[0] = idev;
	/* No queue of the selftest's type yet. */
	EXPECT_ERRNO(EOPNOTSUPP, test_op(f->fd, IOMMU_TEST_OP_TRIGGER_VEVENT, 0, trig,
					 sizeof(trig)));
	{
		struct iommu_veventq_alloc qa = { .size = sizeof(qa),
						  .viommu_id = va.out_viommu_id,
						  .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
						  .veventq_depth = 2 };
		struct {
			struct iommufd_vevent_header h;
			struct iommu_viommu_event_selftest e;
		} ev[3];
		unsigned int k;

		ASSERT_EQ(0, ioctl(f->fd, IOMMU_VEVENTQ_ALLOC, &qa));
		/* Three events into a queue of two: the third is lost. */
		for (k = 0; k < 3; k++)
			ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_TRIGGER_VEVENT, 0, trig,
					     sizeof(trig)));
		ASSERT_EQ(2 * sizeof(ev[0]) + sizeof(ev[0].h),
			  read((int)qa.out_veventq_fd, ev, sizeof(ev)));
		for (k = 0; k < 2; k++) {
			ASSERT_EQ(0, ev[k].h.flags);
			ASSERT_EQ(k, ev[k].h.sequence);
			ASSERT_EQ(0x99, ev[k].e.virt_id);
		}
		ASSERT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, ev[2].h.flags);
		ASSERT_EQ(0, close((int)qa.out_veventq_fd));
		EXPECT_ERRNO(EBUSY, destroy(f->fd, va.out_viommu_id));
		ASSERT_EQ(0, destroy(f->fd, qa.out_veventq_id));
	}
	EXPECT_ERRNO(EBUSY, destroy(f->fd, va.out_viommu_id));
	ASSERT_EQ(0, destroy(f->fd, vd.out_vdevice_id));
	ASSERT_EQ(0, destroy(f->fd, va.out_viommu_id));
	ASSERT_EQ(0, destroy(f->fd, na.out_hwpt_id));
	ASSERT_EQ(0, destroy(f->fd, parent));
	ASSERT_EQ(0, destroy(f->fd, stdev));
}

/* TRIGGER_IOPF into a fault queue; read the record, write the answer. */
static void iopf(struct fixture *f)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID |
								    IOMMU_HWPT_ALLOC_PASID };
	struct iommu_test_cmd trig = {
		.size = sizeof(trig), .op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .pasid = 0x20, .grpid = 2, .addr = 0xdeadbeaf,
				  .perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE },
	};
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp = { 0 };
	struct pollfd pfd = { .events = POLLIN };
	uint32_t stdev, idev;

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL,
				       &idev));
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	ha.dev_id = idev;
	ha.pt_id = f->ioas_id;
	ha.fault_id = fa.out_fault_id;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_ALLOC, &ha));
	{
		struct iommu_test_cmd r = { .size = sizeof(r),
					    .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
					    .mock_domain_replace = { .pt_id = ha.out_hwpt_id } };

		ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &r));
	}
	ASSERT_EQ(0, pasid_op(f->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, 0x20, ha.out_hwpt_id));
	trig.trigger_iopf.dev_id = idev;
	pfd.fd = (int)fa.out_fault_fd;
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &trig));
	/* Readable while a group waits (in a forked child too: its fd is
	 * the same file as the opener's). */
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLIN, pfd.revents & POLLIN);
	ASSERT_EQ(sizeof(rec), read((int)fa.out_fault_fd, &rec, sizeof(rec)));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE, rec.flags);
	ASSERT_EQ(idev, rec.dev_id);
	ASSERT_EQ(0x20, rec.pasid);
	ASSERT_EQ(2, rec.grpid);
	ASSERT_EQ(0xdeadbeaf, rec.addr);
	ASSERT_EQ(IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE, rec.perm);
	resp.cookie = rec.cookie;
	ASSERT_EQ(sizeof(resp), write((int)fa.out_fault_fd, &resp, sizeof(resp)));
	EXPECT_ERRNO(EINVAL, write((int)fa.out_fault_fd, &resp, sizeof(resp)));
	/* At the RID: PASID 0 is none. */
	trig.trigger_iopf.pasid = 0;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &trig));
	ASSERT_EQ(sizeof(rec), read((int)fa.out_fault_fd, &rec, sizeof(rec)));
	ASSERT_EQ(IOMMU_PGFAULT_FLAGS_LAST_PAGE, rec.flags);
	trig.trigger_iopf.dev_id = 999;
	EXPECT_ERRNO(ENOENT, ioctl(f->fd, IOMMU_TEST_CMD, &trig));
	ASSERT_EQ(0, destroy(f->fd, stdev));
	ASSERT_EQ(0, destroy(f->fd, ha.out_hwpt_id));
	ASSERT_EQ(0, close((int)fa.out_fault_fd));
	ASSERT_EQ(0, destroy(f->fd, fa.out_fault_id));
}

/* Whether a record waits on fault fd @fd. */
static bool fault_pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A nested HWPT at the RID owns the guest's PASIDs: a page request with a
 * PASID the device has not attached (the device has none at all here)
 * reaches the nested HWPT's fault queue, and leaves it with the RID's
 * attachment. A paging HWPT at the RID takes no such request. */
static void iopf_guest_pasid(struct fixture *f)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc na = { .size = sizeof(na), .flags = IOMMU_HWPT_FAULT_ID_VALID,
				       .data_type = IOMMU_HWPT_DATA_SELFTEST,
				       .data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
	struct iommu_test_cmd trig = {
		.size = sizeof(trig), .op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .pasid = 1, .grpid = 2, .addr = 0xdeadbeaf,
				  .perm = IOMMU_PGFAULT_PERM_READ },
	};
	struct iommu_test_cmd rep = { .size = sizeof(rep), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp = { 0 };
	uint32_t stdev, idev, parent;

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, 0, &stdev, NULL, &idev));
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	na.dev_id = idev;
	na.pt_id = parent;
	na.fault_id = fa.out_fault_id;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_HWPT_ALLOC, &na));
	rep.id = stdev;
	rep.mock_domain_replace.pt_id = na.out_hwpt_id;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &rep));
	trig.trigger_iopf.dev_id = idev;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &trig));
	ASSERT_EQ(sizeof(rec), read((int)fa.out_fault_fd, &rec, sizeof(rec)));
	ASSERT_EQ(IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE, rec.flags);
	ASSERT_EQ(1, rec.pasid);
	ASSERT_EQ(2, rec.grpid);
	resp.cookie = rec.cookie;
	ASSERT_EQ(sizeof(resp), write((int)fa.out_fault_fd, &resp, sizeof(resp)));
	/* Pending when the RID moves on: answered, and gone from the queue. */
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &trig));
	rep.mock_domain_replace.pt_id = parent;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &rep));
	ASSERT_EQ(false, fault_pending((int)fa.out_fault_fd));
	ASSERT_EQ(0, destroy(f->fd, na.out_hwpt_id));
	/* A paging HWPT at the RID: the guest's PASIDs are nobody's. */
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_TEST_CMD, &trig));
	ASSERT_EQ(false, fault_pending((int)fa.out_fault_fd));
	ASSERT_EQ(0, destroy(f->fd, stdev));
	ASSERT_EQ(0, destroy(f->fd, parent));
	ASSERT_EQ(0, close((int)fa.out_fault_fd));
	ASSERT_EQ(0, destroy(f->fd, fa.out_fault_id));
}

/* The memory limit is accepted (its batches are Linux's concern). */
/* Pages are pinned when a domain first needs them, as Linux's:
 * MD_CHECK_REFS 0 while only an IOAS with no domain maps them (memory
 * the process lacks maps too), 1 with a mock domain, 0 again once it
 * goes; a mock domain over memory the process lacks fails EFAULT and
 * pins nothing. */
static void lazy_refs(struct fixture *f)
{
	uint32_t ioas, stdev, hwpt;
	uint64_t iova = MOCK_APERTURE_START;
	void *gone;

	ASSERT_EQ(0, ioas_alloc(f->fd, &ioas));
	ASSERT_EQ(0, ioas_map(f->fd, ioas, f->buffer, 4 * PAGE_SIZE, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 4 * PAGE_SIZE, 0));
	ASSERT_EQ(0, mock_domain_flags(f->fd, ioas, 0, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 4 * PAGE_SIZE, 1));
	ASSERT_EQ(0, destroy(f->fd, stdev));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 4 * PAGE_SIZE, 0));
	gone = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, PAGE_SIZE));
	iova = MOCK_APERTURE_START + 4 * PAGE_SIZE;
	ASSERT_EQ(0, ioas_map(f->fd, ioas, gone, PAGE_SIZE, &iova, IOMMU_IOAS_MAP_FIXED_IOVA));
	EXPECT_ERRNO(EFAULT, mock_domain_flags(f->fd, ioas, 0, &stdev, &hwpt, NULL));
	ASSERT_EQ(0, check_refs(f->fd, f->buffer, 4 * PAGE_SIZE, 0));
	ASSERT_EQ(0, ioas_unmap(f->fd, ioas, 0, UINT64_MAX, NULL));
	ASSERT_EQ(0, destroy(f->fd, ioas));
}

static void memory_limit(struct fixture *f)
{
	const uint32_t limit = 65536;
	uint64_t iova = 0;

	ASSERT_EQ(0, test_op(f->fd, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0, &limit,
			     sizeof(limit)));
	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, BUFFER_SIZE, &iova, 0));
	if (f->mock_domains)
		ASSERT_EQ(0, check_map(f->fd, f->hwpt_id[0], f->buffer, iova, BUFFER_SIZE));
}

/* A second open of /dev/iommu is a context of its own: it maps the same
 * memory while the first holds it, and its IDs start again from 1. */
static void two_fds(struct fixture *f)
{
	uint64_t iova = 0, iova2 = 0;
	uint32_t ioas2, stdev2, hwpt2;
	int fd2;

	ASSERT_EQ(0, ioas_map(f->fd, f->ioas_id, f->buffer, 4 * PAGE_SIZE, &iova, 0));
	fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, fd2);
	ASSERT_EQ(0, ioas_alloc(fd2, &ioas2));
	ASSERT_EQ(1, ioas2);
	ASSERT_EQ(0, mock_domain_flags(fd2, ioas2, 0, &stdev2, &hwpt2, NULL));
	ASSERT_EQ(0, ioas_map(fd2, ioas2, f->buffer, 4 * PAGE_SIZE, &iova2, 0));
	ASSERT_EQ(0, check_map(fd2, hwpt2, f->buffer, iova2, 4 * PAGE_SIZE));
	if (f->mock_domains)
		ASSERT_EQ(0, check_map(f->fd, f->hwpt_id[0], f->buffer, iova, 4 * PAGE_SIZE));
	EXPECT_ERRNO(ENOENT, destroy(fd2, f->stdev_id[1] + 100));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova, 4 * PAGE_SIZE, NULL));
}

/* ---- test dma-bufs ---- */

static int dmabuf_get(int fd, uint32_t len, uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_DMABUF_GET,
		.dmabuf_get = { .length = len, .open_flags = flags },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int dmabuf_revoke(int fd, int dfd, uint32_t revoked)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_DMABUF_REVOKE,
		.dmabuf_revoke = { .dmabuf_fd = dfd, .revoked = revoked },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int check_dmabuf(int fd, uint32_t hwpt, int dfd, uint64_t offset, uint64_t iova,
			uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MD_CHECK_DMABUF, .id = hwpt,
		.check_dmabuf = { .dmabuf_fd = dfd, .offset = offset, .iova = iova,
				  .length = len },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int map_file(int fd, uint32_t ioas, int dfd, uint64_t start, uint64_t len,
		    uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .fd = dfd, .start = start,
		.length = len, .iova = *iova,
		.flags = flags | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
	};
	int ret = ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

	*iova = cmd.iova;
	return ret;
}

/* A dma-buf is a real fd over its own memory, which MAP_FILE takes within
 * its bounds, and the domains map. */
static void dmabuf_simple(struct fixture *f)
{
	const uint64_t size = 4 * PAGE_SIZE;
	uint64_t iova = 0, iova2 = 0;
	unsigned char *p;
	uint32_t i;
	int dfd, dup_fd;

	EXPECT_ERRNO(EINVAL, dmabuf_get(f->fd, 0, 0));
	EXPECT_ERRNO(EINVAL, dmabuf_get(f->fd, (16u << 20) + 1, 0));
	EXPECT_ERRNO(EINVAL, dmabuf_get(f->fd, size, O_NONBLOCK));
	dfd = dmabuf_get(f->fd, size, O_CLOEXEC);
	ASSERT_EQ(1, dfd > 2);
	ASSERT_EQ(FD_CLOEXEC, fcntl(dfd, F_GETFD));
	EXPECT_ERRNO(EINVAL, map_file(f->fd, f->ioas_id, dfd, 0, 0, &iova, 0));
	EXPECT_ERRNO(EINVAL, map_file(f->fd, f->ioas_id, dfd, size, size, &iova, 0));
	EXPECT_ERRNO(EINVAL, map_file(f->fd, f->ioas_id, dfd, 0, size + 1, &iova, 0));
	ASSERT_EQ(0, map_file(f->fd, f->ioas_id, dfd, 0, size, &iova, 0));

	/* Its memory is the fd's: what the caller writes, the domain maps. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 7);
	for (i = 0; i < f->mock_domains; i++) {
		ASSERT_EQ(0, check_dmabuf(f->fd, f->hwpt_id[i], dfd, 0, iova, size));
		ASSERT_EQ(0, check_dmabuf(f->fd, f->hwpt_id[i], dfd, PAGE_SIZE,
					  iova + PAGE_SIZE, PAGE_SIZE));
		/* Not the bytes the range says. */
		EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[i], dfd, PAGE_SIZE, iova,
						  PAGE_SIZE));
	}

	/* A dup maps the same buffer; closing the fds leaves the mappings. */
	dup_fd = dup(dfd);
	ASSERT_NE(-1, dup_fd);
	ASSERT_EQ(0, map_file(f->fd, f->ioas_id, dup_fd, PAGE_SIZE, PAGE_SIZE, &iova2, 0));
	ASSERT_EQ(0, close(dfd));
	for (i = 0; i < f->mock_domains; i++)
		ASSERT_EQ(0, check_dmabuf(f->fd, f->hwpt_id[i], dup_fd, PAGE_SIZE, iova2,
					  PAGE_SIZE));
	ASSERT_EQ(0, close(dup_fd));
	for (i = 0; i < f->mock_domains; i++)
		EXPECT_ERRNO(EBADF, check_dmabuf(f->fd, f->hwpt_id[i], dup_fd, 0, iova,
						 PAGE_SIZE));
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova, size, NULL));
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova2, PAGE_SIZE, NULL));
	munmap(p, size);
}

/* Revoked: the areas lose their IOPTEs, maps, copies and accesses fail
 * -ENODEV; restored: new maps work, the old areas stay dead until
 * unmapped. */
static void dmabuf_revoke_case(struct fixture *f)
{
	const uint64_t size = 4 * PAGE_SIZE;
	struct iommu_ioas_copy copy = { .size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.length = PAGE_SIZE };
	uint64_t iova = 0, iova2 = 0, unmapped;
	unsigned char byte[8];
	uint32_t i, hwpt, ioas2, pin;
	int dfd, access, pinner;

	dfd = dmabuf_get(f->fd, size, 0);
	ASSERT_EQ(1, dfd > 2);
	ASSERT_EQ(0, map_file(f->fd, f->ioas_id, dfd, 0, size, &iova, 0));
	ASSERT_EQ(0, create_access(f->fd, f->ioas_id, 0, &access));
	ASSERT_EQ(0, access_rw(f->fd, access, iova, byte, sizeof(byte), 0));
	/* A pin over it goes with the revoke, as with an unmap. */
	ASSERT_EQ(0, create_access(f->fd, f->ioas_id, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &pinner));
	ASSERT_EQ(0, access_pages(f->fd, pinner, iova, PAGE_SIZE, NULL, 0, &pin));

	EXPECT_ERRNO(EBADF, dmabuf_revoke(f->fd, -1, 1));
	EXPECT_ERRNO(EINVAL, dmabuf_revoke(f->fd, f->fd, 1));	/* not a dma-buf */
	ASSERT_EQ(0, dmabuf_revoke(f->fd, dfd, 1));
	EXPECT_ERRNO(ENOENT, destroy_access_pages(f->fd, pinner, pin));
	EXPECT_ERRNO(ENODEV, access_pages(f->fd, pinner, iova, PAGE_SIZE, NULL, 0, &pin));
	ASSERT_EQ(0, close(pinner));
	for (i = 0; i < f->mock_domains; i++)
		EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[i], dfd, 0, iova, size));
	EXPECT_ERRNO(ENODEV, map_file(f->fd, f->ioas_id, dfd, 0, size, &iova2, 0));
	EXPECT_ERRNO(ENODEV, access_rw(f->fd, access, iova, byte, sizeof(byte), 0));
	ASSERT_EQ(0, ioas_alloc(f->fd, &ioas2));
	copy.dst_ioas_id = ioas2;
	copy.src_ioas_id = f->ioas_id;
	copy.src_iova = iova;
	copy.dst_iova = iova;
	EXPECT_ERRNO(ENODEV, ioctl(f->fd, IOMMU_IOAS_COPY, &copy));
	/* A domain that joins later does not map it either. */
	if (f->mock_domains) {
		ASSERT_EQ(0, hwpt_alloc(f->fd, f->idev_id[0], f->ioas_id, 0, &hwpt));
		EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, hwpt, dfd, 0, iova, size));
		ASSERT_EQ(0, destroy(f->fd, hwpt));
	}

	/* Restored: new maps, and the dead area unmapped and mapped again. */
	ASSERT_EQ(0, dmabuf_revoke(f->fd, dfd, 0));
	ASSERT_EQ(0, map_file(f->fd, f->ioas_id, dfd, 0, size, &iova2, 0));
	for (i = 0; i < f->mock_domains; i++) {
		ASSERT_EQ(0, check_dmabuf(f->fd, f->hwpt_id[i], dfd, 0, iova2, size));
		EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[i], dfd, 0, iova, size));
	}
	ASSERT_EQ(0, ioas_unmap(f->fd, f->ioas_id, iova, size, &unmapped));
	ASSERT_EQ(size, unmapped);
	ASSERT_EQ(0, map_file(f->fd, f->ioas_id, dfd, 0, size, &iova,
			      IOMMU_IOAS_MAP_FIXED_IOVA));
	for (i = 0; i < f->mock_domains; i++)
		ASSERT_EQ(0, check_dmabuf(f->fd, f->hwpt_id[i], dfd, 0, iova, size));
	ASSERT_EQ(0, access_rw(f->fd, access, iova, byte, sizeof(byte), 0));
	ASSERT_EQ(0, close(access));
	ASSERT_EQ(0, close(dfd));
}

/* The engine behind /dev/vfio/devices/vfio0 copies @len bytes from @src
 * to @dst: its final status. */
static uint32_t engine_copy(int dev, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t regs[3] = { src, dst, len };
	uint32_t st = SIOMMU_DMAENG_ST_BUSY;
	int i;

	for (i = 0; i < 3; i++)
		if (pwrite(dev, &regs[i], 8, SIOMMU_DMAENG_SRC + 8 * i) != 8)
			return ~0u;
	if (pwrite(dev, &(uint32_t){ 1 }, 4, SIOMMU_DMAENG_DOORBELL) != 4)
		return ~0u;
	for (i = 0; i < 20000 && st == SIOMMU_DMAENG_ST_BUSY; i++) {
		if (pread(dev, &st, 4, SIOMMU_DMAENG_STATUS) != 4)
			return ~0u;
		usleep(500);
	}
	return st;
}

/* A real device's DMA into a dma-buf, then revoked: its next copy faults
 * (the machine's VT-d device 0, beside the mock unit). */
static void dmabuf_dma(struct fixture *f)
{
	const uint64_t size = 4 * PAGE_SIZE;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = f->fd };
	struct vfio_device_attach_iommufd_pt att = { .argsz = sizeof(att) };
	uint64_t iova = 0x100000;
	unsigned char *p;
	uint32_t ioas;
	int dfd, dev;

	dfd = dmabuf_get(f->fd, size, 0);
	ASSERT_EQ(1, dfd > 2);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5e, size / 2);
	ASSERT_EQ(0, ioas_alloc(f->fd, &ioas));
	ASSERT_EQ(0, map_file(f->fd, ioas, dfd, 0, size, &iova, IOMMU_IOAS_MAP_FIXED_IOVA));
	dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	ASSERT_NE(-1, dev);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	att.pt_id = ioas;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &att));
	ASSERT_EQ(SIOMMU_DMAENG_ST_DONE, engine_copy(dev, iova, iova + size / 2, size / 2));
	ASSERT_EQ(0, memcmp(p, p + size / 2, size / 2));
	ASSERT_EQ(0, dmabuf_revoke(f->fd, dfd, 1));
	ASSERT_EQ(SIOMMU_DMAENG_ST_FAULT, engine_copy(dev, iova, iova + size / 2, size / 2));
	ASSERT_EQ(0, close(dev));
	ASSERT_EQ(0, close(dfd));
	munmap(p, size);
}

/* MD_CHECK_DMABUF's own errors. */
static void dmabuf_check_errors(struct fixture *f)
{
	uint64_t iova = 0;
	int dfd, other;

	dfd = dmabuf_get(f->fd, 2 * PAGE_SIZE, 0);
	ASSERT_EQ(1, dfd > 2);
	ASSERT_EQ(0, map_file(f->fd, f->ioas_id, dfd, 0, 2 * PAGE_SIZE, &iova, 0));
	EXPECT_ERRNO(ENOENT, check_dmabuf(f->fd, f->ioas_id, dfd, 0, iova, PAGE_SIZE));
	if (!f->mock_domains) {
		ASSERT_EQ(0, close(dfd));
		return;
	}
	EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[0], dfd, 0, iova, 0));
	EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[0], dfd, 1, iova, PAGE_SIZE));
	EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[0], dfd, 0, iova,
					  3 * PAGE_SIZE));
	EXPECT_ERRNO(EINVAL, check_dmabuf(f->fd, f->hwpt_id[0], dfd, 0, iova + 2 * PAGE_SIZE,
					  PAGE_SIZE));		/* nothing mapped */
	/* Another context's dma-buf is not this one's. */
	other = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, other);
	EXPECT_ERRNO(EINVAL, dmabuf_revoke(other, dfd, 1));
	ASSERT_EQ(0, close(other));
	ASSERT_EQ(0, close(dfd));
}

/* mmap() of the iommufd fd: the page a mock vIOMMU reports (in_data in
 * its first word), Linux's errnos, and each mapping keeping the vIOMMU. */
static void viommu_mmap(struct fixture *f)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbadbeef };
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					 .data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
	const int rw = PROT_READ | PROT_WRITE;
	uint32_t stdev, idev, parent, v1, v2;
	unsigned char big[sizeof(data) + 8] = { 0 };
	uint32_t *p, *q;
	uint64_t off;
	void *r;

	ASSERT_EQ(0, mock_domain_flags(f->fd, f->ioas_id, 0, &stdev, NULL, &idev));
	ASSERT_EQ(0, hwpt_alloc(f->fd, idev, f->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	va.dev_id = idev;
	va.hwpt_id = parent;
	/* The driver data: at least through out_data, zeroes past it. */
	va.data_len = 4;
	EXPECT_ERRNO(EINVAL, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	big[sizeof(data)] = 1;
	va.data_len = sizeof(big);
	va.data_uptr = (uintptr_t)big;
	EXPECT_ERRNO(E2BIG, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	va.data_len = sizeof(data);
	va.data_uptr = (uintptr_t)&data;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	v1 = va.out_viommu_id;
	ASSERT_EQ(data.in_data, data.out_data);
	ASSERT_EQ(PAGE_SIZE, data.out_mmap_length);
	ASSERT_EQ(PAGE_SIZE, data.out_mmap_offset);	/* the first after page 0 */
	off = data.out_mmap_offset;

	/* Linux's rules, in its order. */
	EXPECT_ERRNO(EINVAL, (long)mmap(NULL, 100, rw, MAP_SHARED, f->fd, (off_t)off));
	EXPECT_ERRNO(EINVAL, (long)mmap(NULL, PAGE_SIZE, rw, MAP_PRIVATE, f->fd, (off_t)off));
	EXPECT_ERRNO(EPERM, (long)mmap(NULL, PAGE_SIZE, rw | PROT_EXEC, MAP_SHARED, f->fd,
				       (off_t)off));
	EXPECT_ERRNO(ENXIO, (long)mmap(NULL, 2 * PAGE_SIZE, rw, MAP_SHARED, f->fd, (off_t)off));
	EXPECT_ERRNO(ENXIO, (long)mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd, 0));
	EXPECT_ERRNO(ENXIO, (long)mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd,
				       (off_t)(off + PAGE_SIZE)));
	EXPECT_ERRNO(EINVAL, (long)mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd,
					(off_t)off + 8));

	p = mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd, (off_t)off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(data.in_data, p[0]);
	ASSERT_EQ(0, p[1]);
	q = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, f->fd, (off_t)off);
	ASSERT_NE(MAP_FAILED, q);
	/* Both see the one page. */
	p[1] = 0x5a5a;
	ASSERT_EQ(0x5a5a, q[1]);
	EXPECT_ERRNO(EBUSY, destroy(f->fd, v1));
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	EXPECT_ERRNO(EBUSY, destroy(f->fd, v1));
	/* A mapping put over it lets go too. */
	r = mmap(q, PAGE_SIZE, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((long)q, (long)r);
	ASSERT_EQ(0, destroy(f->fd, v1));
	ASSERT_EQ(0, munmap(r, PAGE_SIZE));
	EXPECT_ERRNO(ENXIO, (long)mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd, (off_t)off));

	/* Regions take the lowest free offset; a page used before is
	 * zeroed; a vIOMMU without data reports none. */
	data.in_data = 0x1234;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	v1 = va.out_viommu_id;
	data.in_data = 0x5678;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	v2 = va.out_viommu_id;
	ASSERT_EQ(2 * PAGE_SIZE, data.out_mmap_offset);
	p = mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd, PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0x1234, p[0]);
	ASSERT_EQ(0, p[1]);
	q = mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd, 2 * PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0x5678, q[0]);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	/* Many mappings: each holds the vIOMMU until it goes. */
	{
		static uint32_t *many[300];
		unsigned int i;

		for (i = 0; i < 300; i++) {
			many[i] = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, f->fd, PAGE_SIZE);
			ASSERT_NE(MAP_FAILED, many[i]);
		}
		ASSERT_EQ(0x1234, many[299][0]);
		for (i = 0; i < 300; i++) {
			unsigned int k = (i * 7) % 300;	/* every one, out of order */

			EXPECT_ERRNO(EBUSY, destroy(f->fd, v1));
			ASSERT_EQ(0, munmap(many[k], PAGE_SIZE));
		}
	}
	ASSERT_EQ(0, destroy(f->fd, v1));
	/* Unmapping more than the mapping, around it, lets go as well. */
	EXPECT_ERRNO(EBUSY, destroy(f->fd, v2));
	ASSERT_EQ(0, munmap((char *)q - PAGE_SIZE, 3 * PAGE_SIZE));
	ASSERT_EQ(0, destroy(f->fd, v2));
	va.data_len = 0;
	ASSERT_EQ(0, ioctl(f->fd, IOMMU_VIOMMU_ALLOC, &va));
	EXPECT_ERRNO(ENXIO, (long)mmap(NULL, PAGE_SIZE, rw, MAP_SHARED, f->fd, PAGE_SIZE));
	ASSERT_EQ(0, destroy(f->fd, va.out_viommu_id));
	ASSERT_EQ(0, destroy(f->fd, parent));
	/* A fault queue's fd maps nothing. */
	{
		struct iommu_fault_alloc fa = { .size = sizeof(fa) };

		ASSERT_EQ(0, ioctl(f->fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
		EXPECT_ERRNO(ENODEV, (long)mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED,
						(int)fa.out_fault_fd, 0));
		ASSERT_EQ(0, close((int)fa.out_fault_fd));
		ASSERT_EQ(0, destroy(f->fd, fa.out_fault_id));
	}
}

/* A mapping keeps its context after the fd closes, as Linux's keeps the
 * file; the last munmap lets both go. */
static void mmap_outlives_fd(struct fixture *f)
{
	struct iommu_viommu_selftest data = { .in_data = 0x77 };
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					 .data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
	uint32_t stdev, idev, parent;
	uint32_t *p;
	int fd = open("/dev/iommu", O_RDWR);
	uint32_t ioas;

	ASSERT_NE(-1, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, mock_domain_flags(fd, ioas, 0, &stdev, NULL, &idev));
	ASSERT_EQ(0, hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	va.dev_id = idev;
	va.hwpt_id = parent;
	ASSERT_EQ(0, ioctl(fd, IOMMU_VIOMMU_ALLOC, &va));
	p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, (off_t)data.out_mmap_offset);
	ASSERT_EQ((long)MAP_FAILED, (long)p);
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, (off_t)data.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0x77, p[0]);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	(void)f;
}

static int rlimit_mode_set(int fd, uint64_t val)
{
	struct iommu_option cmd = { .size = sizeof(cmd), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				    .op = IOMMU_OPTION_OP_SET, .val64 = val };

	return ioctl(fd, IOMMU_OPTION, &cmd);
}

/* Whether capability @cap is effective, after making it so (@on) or not
 * when the process may. */
static bool cap_effective(unsigned int cap, bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	unsigned int i = CAP_TO_INDEX(cap);
	uint32_t bit = CAP_TO_MASK(cap);

	if (syscall(SYS_capget, &hdr, d))
		return false;
	if (d[i].permitted & bit) {
		d[i].effective = on ? d[i].effective | bit : d[i].effective & ~bit;
		syscall(SYS_capset, &hdr, d);
		syscall(SYS_capget, &hdr, d);
	}
	return d[i].effective & bit;
}

/* A /dev/iommu fd opened with @cap effective (@on) or not; -1 when the
 * process cannot have it so. The capability is effective again after,
 * when permitted. */
static int open_with_cap(unsigned int cap, bool on)
{
	int fd = -1;

	if (cap_effective(cap, on) == on)
		fd = open("/dev/iommu", O_RDWR);
	cap_effective(cap, true);
	return fd;
}

/* IOAS_MAP of the whole buffer on a new IOAS of @fd: 0 or an errno. */
/* Map the whole buffer into a new IOAS with a mock domain, which pins
 * it: 0 or the errno. */
static int map_all(int fd, void *buf)
{
	uint32_t ioas, stdev, hwpt;
	uint64_t iova = 0;

	if (ioas_alloc(fd, &ioas))
		return errno;
	if (mock_domain_flags(fd, ioas, 0, &stdev, &hwpt, NULL))
		return errno;
	return ioas_map(fd, ioas, buf, BUFFER_SIZE, &iova, 0) ? errno : 0;
}

/* The process's capabilities as it opened /dev/iommu are the context's:
 * setting RLIMIT_MODE takes CAP_SYS_RESOURCE (EPERM without), and with
 * CAP_IPC_LOCK pinning goes past RLIMIT_MEMLOCK (ENOMEM without). */
static void capabilities(struct fixture *f)
{
	struct rlimit old, low;
	int fd, err[2];

	fd = open_with_cap(CAP_SYS_RESOURCE, true);
	if (fd >= 0) {
		ASSERT_EQ(0, rlimit_mode_set(fd, 1));
		ASSERT_EQ(0, rlimit_mode_set(fd, 0));
		EXPECT_ERRNO(EINVAL, rlimit_mode_set(fd, 2));
		ASSERT_EQ(0, close(fd));
	}
	fd = open_with_cap(CAP_SYS_RESOURCE, false);
	if (fd >= 0) {
		EXPECT_ERRNO(EPERM, rlimit_mode_set(fd, 1));
		ASSERT_EQ(0, close(fd));
	}

	/* 16 pages may be locked; the buffer has 64. */
	ASSERT_EQ(0, getrlimit(RLIMIT_MEMLOCK, &old));
	low = (struct rlimit){ .rlim_cur = 16 * PAGE_SIZE, .rlim_max = old.rlim_max };
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &low));
	for (int on = 0; on <= 1; on++) {
		fd = open_with_cap(CAP_IPC_LOCK, on);
		err[on] = fd < 0 ? -1 : map_all(fd, f->buffer);
		if (fd >= 0)
			close(fd);
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &old));
	if (err[0] >= 0)
		ASSERT_EQ(ENOMEM, err[0]);
	if (err[1] >= 0)
		ASSERT_EQ(0, err[1]);
}

static bool in_child;	/* fork mode: the case runs in a forked child */

/* The dma-buf ops answer the opener alone: from a child -EOPNOTSUPP
 * before anything else (DMABUF_GET's fd would be the opener's; the fd
 * REVOKE and MD_CHECK_DMABUF name is one of the child's). */
static void dmabuf_opener_only(struct fixture *f)
{
	int dfd, nul;

	if (!in_child) {
		dfd = dmabuf_get(f->fd, 2 * PAGE_SIZE, 0);
		ASSERT_NE(-1, dfd);
		ASSERT_EQ(0, dmabuf_revoke(f->fd, dfd, 1));
		ASSERT_EQ(0, close(dfd));
		return;
	}
	EXPECT_ERRNO(EOPNOTSUPP, dmabuf_get(f->fd, 2 * PAGE_SIZE, 0));
	EXPECT_ERRNO(EOPNOTSUPP, dmabuf_get(f->fd, 0, 0));
	nul = open("/dev/null", O_RDWR);
	ASSERT_NE(-1, nul);
	EXPECT_ERRNO(EOPNOTSUPP, dmabuf_revoke(f->fd, nul, 1));
	EXPECT_ERRNO(EOPNOTSUPP, check_dmabuf(f->fd, f->hwpt_id[0], nul, 0, 0, PAGE_SIZE));
	ASSERT_EQ(0, close(nul));
}

struct test_case {
	const char *name;
	void (*fn)(struct fixture *f);
	bool remote;		/* runs in a forked child too: it uses no test
				 * operation on the caller's memory or access
				 * fds, which are the opener's alone */
};

static const struct test_case cases[] = {
	{ "cmd_length", cmd_length, true },
	{ "iova_ranges", iova_ranges, true },
	{ "add_reserved", add_reserved, true },
	{ "all_aligns", all_aligns, false },
	{ "map_errors", map_errors, false },
	{ "huge_pages_off", huge_pages_off, true },
	{ "copy_and_destroy", copy_and_destroy, false },
	{ "domain_replace", domain_replace, true },
	{ "access", access_cases, false },
	{ "hw_info", hw_info, true },
	{ "dirty", dirty, false },
	{ "pasid", pasid, true },
	{ "nested", nested, true },
	{ "iopf", iopf, true },
	{ "iopf_guest_pasid", iopf_guest_pasid, true },
	{ "lazy_refs", lazy_refs, false },
	{ "memory_limit", memory_limit, false },
	{ "two_fds", two_fds, false },
	{ "capabilities", capabilities, false },
	/* The dma-buf ops are the opener's alone: DMABUF_GET's fd would be
	 * the opener's, REVOKE and MD_CHECK_DMABUF name one of the caller's
	 * fds (-EOPNOTSUPP from a child). */
	{ "dmabuf_simple", dmabuf_simple, false },
	{ "dmabuf_revoke", dmabuf_revoke_case, false },
	{ "dmabuf_check_errors", dmabuf_check_errors, false },
	{ "dmabuf_dma", dmabuf_dma, false },
	{ "dmabuf_opener_only", dmabuf_opener_only, true },
	{ "viommu_mmap", viommu_mmap, false },
	{ "mmap_outlives_fd", mmap_outlives_fd, false },
};

static void run_case(const struct test_case *c, unsigned int domains)
{
	struct fixture f;

	cur_failed = 0;
	setup(&f, domains);
	if (!cur_failed)
		c->fn(&f);
	teardown(&f);
}

/* Outside test mode, IOMMU_TEST_CMD does not exist. */
static int off_mode(void)
{
	struct iommu_test_cmd cmd = { .size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				      .id = 1 };
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0 || ioctl_ok(fd, IOMMU_TEST_CMD, &cmd) != -1 || errno != ENOTTY) {
		fprintf(stderr, "IOMMU_TEST_CMD outside test mode: not ENOTTY\n");
		return 1;
	}
	close(fd);
	printf("ok 1 test_cmd_off\n");
	return 0;
}

/* Fork mode: @c in a child of ours, whose fds and memory our service
 * thread serves; its failures. */
static unsigned int run_case_forked(const struct test_case *c, unsigned int domains)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		in_child = true;
		run_case(c, domains);
		_exit(cur_failed ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st) ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int i, domains, failed = 0, n = 0;
	bool forked = argc > 1 && !strcmp(argv[1], "fork");
	int keep = -1;
	char name[96];

	if (argc > 1 && !strcmp(argv[1], "off"))
		return off_mode();
	if (forked) {
		/* Children of a process with a machine are served by it. */
		keep = open("/dev/iommu", O_RDWR);
		if (keep < 0)
			return 1;
		argc--;
		argv++;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (domains = 0; domains <= 2; domains++) {
			snprintf(name, sizeof(name), "iommufd_ioas.mock_domains_%u.%s", domains,
				 cases[i].name);
			/* An argument runs the cases whose names contain it. */
			if (argc > 1 && !strstr(name, argv[1]))
				continue;
			if (forked && !cases[i].remote)
				continue;
			cur_case = name;
			if (forked)
				cur_failed = run_case_forked(&cases[i], domains);
			else
				run_case(&cases[i], domains);
			printf("%s %u %s\n", cur_failed ? "not ok" : "ok", ++n, name);
			failed += cur_failed;
		}
	}
	printf("# %u passed, %u failed\n", n - failed, failed);
	if (keep >= 0)
		close(keep);
	return failed ? 1 : 0;
}
