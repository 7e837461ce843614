/* SPDX-License-Identifier: MIT */
/*
 * Pinned-page accounting of the process, as a program under
 * libsiommu-preload.so reads it (siommu/preload.h, found with dlsym):
 * /dev/iommu charging the user's locked pages (mode 0), /dev/vfio/vfio
 * the process's (mode 1), both the process's pinned pages; pages charged
 * when a domain first needs them (a device attached to the IOAS), not at
 * map, and given back when the last domain goes; the figures exact after
 * each map, attach, detach, copy and unmap (a page shared by two IOASes
 * through COPY counted once, each MAP again), RLIMIT_MEMLOCK bounding
 * each mode's locked pages with ENOMEM (a map into an IOAS with a domain,
 * or an attach that would pin past it), and nothing left after close.
 * A forked child's maps charge the child, whoever pins them (Linux's
 * pages->source_mm and source_user): exact figures in the child, the
 * opener's untouched. IOAS_CHANGE_PROCESS in a forked child takes the
 * opener's charges of MAP_FILE areas, exactly, once no area comes from
 * MAP (EINVAL before, nothing moved); their unpins after the child has
 * exited give nothing back to the opener.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/preload.h>
#include <siommu/vfio_abi.h>

#include "prog.h"

#define PG 4096ull

static siommu_preload_get_acct_fn get_acct;

/* The figures are exactly these. */
static void expect(int line, uint64_t pinned, uint64_t locked, uint64_t user)
{
	struct siommu_preload_acct a;

	CHECK(get_acct(&a) == 0);
	if (a.pinned_pages != pinned || a.locked_pages != locked ||
	    a.user_locked_pages != user) {
		fprintf(stderr, "line %d: pinned %llu locked %llu user %llu, not %llu %llu %llu\n",
			line, (unsigned long long)a.pinned_pages,
			(unsigned long long)a.locked_pages,
			(unsigned long long)a.user_locked_pages, (unsigned long long)pinned,
			(unsigned long long)locked, (unsigned long long)user);
		exit(1);
	}
}
#define EXPECT(p, l, u) expect(__LINE__, p, l, u)

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

static int map(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .length = len,
		.user_va = (uintptr_t)va,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };
	int ret = ioctl(fd, IOMMU_IOAS_MAP, &m);

	if (!ret && iova)
		*iova = m.iova;
	return ret;
}

static void unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	CHECK(ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0);
}

/* VFIO device file vfio@n, bound to @iommufd: its fd. */
static int dev_bind(unsigned int n, int iommufd)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", n);
	fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK(ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0);
	return fd;
}

/* Attach the bound device @dev to IOAS @ioas (an automatic domain). */
static int attach(int dev, uint32_t ioas)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = ioas };

	return ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
}

static void detach(int dev)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	CHECK(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) == 0);
}

static uint64_t rlimit_mode(int fd)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_GET };

	CHECK(ioctl(fd, IOMMU_OPTION, &o) == 0);
	return o.val64;
}

/* Without CAP_IPC_LOCK in the effective set (root has it), as RLIMIT_MEMLOCK
 * bounds nothing for a process with it. */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	CHECK(syscall(SYS_capget, &hdr, data) == 0);
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	CHECK(syscall(SYS_capset, &hdr, data) == 0);
}

static void set_memlock(uint64_t pages)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	rl.rlim_cur = pages == UINT64_MAX ? rl.rlim_max : pages * PG;
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
}

/* The fds the process has open. */
static unsigned int nr_fds(void)
{
	unsigned int n = 0;
	int fd;

	for (fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* One byte through @fd, and one back through @wfd first if >= 0. */
static void sync_pipe(int wfd, int rfd)
{
	char b = 0;

	if (wfd >= 0)
		CHECK(write(wfd, &b, 1) == 1);
	if (rfd >= 0)
		CHECK(read(rfd, &b, 1) == 1);
}

/*
 * The opener has an IOAS with a domain (d) and one without (e); a child
 * maps into both. Its figures count its pages, pinned at once in d and
 * when the opener attaches e's domain, until it unmaps them; the
 * opener's stay at zero throughout, and after the child exits. However
 * many maps the child makes, the opener holds one fd for it.
 */
static void forked_child(unsigned char *buf)
{
	int fd = open("/dev/iommu", O_RDWR), dev_d, dev_e, c2p[2], p2c[2], status, i;
	unsigned int fds;
	uint32_t ioas_d, ioas_e;
	uint64_t iova;
	pid_t pid;

	CHECK(fd >= 0);
	ioas_d = ioas_alloc(fd);
	ioas_e = ioas_alloc(fd);
	dev_d = dev_bind(0, fd);
	dev_e = dev_bind(1, fd);
	CHECK(attach(dev_d, ioas_d) == 0);
	CHECK(pipe(c2p) == 0 && pipe(p2c) == 0);
	EXPECT(0, 0, 0);
	pid = fork();
	CHECK(pid >= 0);
	/* Each end's pipes only: one that fails gives the other EOF. */
	close(pid ? c2p[1] : c2p[0]);
	close(pid ? p2c[0] : p2c[1]);
	if (!pid) {
		EXPECT(0, 0, 0);
		CHECK(map(fd, ioas_d, buf, 4 * PG, &iova) == 0);
		EXPECT(4, 0, 4);
		CHECK(map(fd, ioas_e, buf + 8 * PG, 2 * PG, NULL) == 0);
		EXPECT(4, 0, 4);
		sync_pipe(c2p[1], p2c[0]);	/* the opener counts its fds */
		for (i = 0; i < 40; i++)
			CHECK(map(fd, ioas_e, buf + 20 * PG, PG, NULL) == 0);
		sync_pipe(c2p[1], p2c[0]);	/* the opener attaches e */
		EXPECT(46, 0, 46);
		unmap(fd, ioas_e, 0, UINT64_MAX);
		CHECK(map(fd, ioas_e, buf + 8 * PG, 2 * PG, NULL) == 0);
		EXPECT(6, 0, 6);
		unmap(fd, ioas_d, iova, 4 * PG);
		EXPECT(2, 0, 2);
		exit(0);
	}
	sync_pipe(-1, c2p[0]);
	fds = nr_fds();
	sync_pipe(p2c[1], c2p[0]);
	CHECK(nr_fds() <= fds + 1);
	EXPECT(0, 0, 0);
	CHECK(attach(dev_e, ioas_e) == 0);
	EXPECT(0, 0, 0);
	sync_pipe(p2c[1], -1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Its pages stay pinned for the domain, charged to it. */
	EXPECT(0, 0, 0);
	CHECK(close(dev_d) == 0 && close(dev_e) == 0 && close(fd) == 0);
	EXPECT(0, 0, 0);
	close(c2p[0]);
	close(p2c[1]);
}

static int change_process(int fd, uint32_t reserved)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c), .__reserved = reserved };

	return ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &c);
}

/*
 * The opener maps 4 pages of a memfd into an IOAS with a domain and one
 * page of its memory into another; its child moves the charges once
 * that page is unmapped.
 */
static void child_takes_charges(unsigned char *buf)
{
	int fd = open("/dev/iommu", O_RDWR), mfd = memfd_create("acct", 0), dev, status, i;
	uint32_t ioas_d, ioas_e;
	pid_t pid;

	CHECK(fd >= 0 && mfd >= 0);
	CHECK(ftruncate(mfd, 8 * PG) == 0);
	ioas_d = ioas_alloc(fd);
	ioas_e = ioas_alloc(fd);
	dev = dev_bind(0, fd);
	CHECK(attach(dev, ioas_d) == 0);
	{
		struct iommu_ioas_map_file m = { .size = sizeof(m), .ioas_id = ioas_d,
			.fd = mfd, .start = PG, .length = 4 * PG,
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };

		CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &m) == 0);
	}
	CHECK(map(fd, ioas_e, buf, PG, NULL) == 0);
	EXPECT(4, 0, 4);
	FAILS(change_process(fd, 0), EINVAL);
	EXPECT(4, 0, 4);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		EXPECT(0, 0, 0);
		FAILS(change_process(fd, 0), EINVAL);
		EXPECT(0, 0, 0);
		unmap(fd, ioas_e, 0, UINT64_MAX);
		FAILS(change_process(fd, 1), EOPNOTSUPP);
		EXPECT(0, 0, 0);
		CHECK(change_process(fd, 0) == 0);
		EXPECT(4, 0, 4);
		exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(0, 0, 0);
	/* The unpin uncharges the child's buckets, not the opener's. */
	detach(dev);
	EXPECT(0, 0, 0);
	/* The opener takes the charges of what it pins afresh. */
	CHECK(change_process(fd, 0) == 0);
	CHECK(attach(dev, ioas_d) == 0);
	EXPECT(4, 0, 4);
	CHECK(close(dev) == 0 && close(fd) == 0 && close(mfd) == 0);
	/* The context goes once the child's server, which holds it until it
	 * sees the child gone, lets it go too. */
	for (i = 0; i < 1000; i++) {
		struct siommu_preload_acct a;

		CHECK(get_acct(&a) == 0);
		if (!a.pinned_pages)
			break;
		usleep(10000);
	}
	EXPECT(0, 0, 0);
}

int main(void)
{
	struct siommu_preload_acct a;
	uint64_t iova, iova2, copy_iova;
	uint32_t ioas_a, ioas_b, ioas_c;
	int user_fd, proc_fd, dev_a, dev_b, dev_c;
	unsigned char *buf;

	get_acct = (siommu_preload_get_acct_fn)dlsym(RTLD_DEFAULT, SIOMMU_PRELOAD_GET_ACCT);
	CHECK(get_acct);
	CHECK(get_acct(NULL) == -EINVAL);
	drop_ipc_lock();
	set_memlock(UINT64_MAX);
	EXPECT(0, 0, 0);
	buf = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 1, 32 * PG);

	user_fd = open("/dev/iommu", O_RDWR);
	proc_fd = open("/dev/vfio/vfio", O_RDWR);
	CHECK(user_fd >= 0 && proc_fd >= 0);
	CHECK(rlimit_mode(user_fd) == 0 && rlimit_mode(proc_fd) == 1);
	ioas_a = ioas_alloc(user_fd);
	ioas_b = ioas_alloc(user_fd);
	ioas_c = ioas_alloc(proc_fd);
	dev_a = dev_bind(0, user_fd);
	dev_b = dev_bind(1, user_fd);
	dev_c = dev_bind(2, proc_fd);

	/* Pinned lazily: nothing while no domain needs the pages, all of
	 * them once one does, none again when it goes. */
	CHECK(map(user_fd, ioas_a, buf, 4 * PG, &iova) == 0);
	EXPECT(0, 0, 0);
	CHECK(attach(dev_a, ioas_a) == 0);
	EXPECT(4, 0, 4);
	detach(dev_a);
	EXPECT(0, 0, 0);
	/* An attach that would pin past the limit fails, charging nothing. */
	set_memlock(3);
	FAILS(attach(dev_a, ioas_a), ENOMEM);
	EXPECT(0, 0, 0);
	set_memlock(UINT64_MAX);

	/* Mode 0: the process's pins, the user's locked pages. */
	CHECK(attach(dev_a, ioas_a) == 0);
	CHECK(attach(dev_b, ioas_b) == 0);
	CHECK(attach(dev_c, ioas_c) == 0);
	EXPECT(4, 0, 4);
	CHECK(map(user_fd, ioas_a, buf + 4 * PG, 2 * PG, &iova2) == 0);
	EXPECT(6, 0, 6);
	/* COPY shares the pages: nothing more. */
	{
		struct iommu_ioas_copy c = { .size = sizeof(c), .dst_ioas_id = ioas_b,
			.src_ioas_id = ioas_a, .length = 4 * PG, .src_iova = iova,
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };

		CHECK(ioctl(user_fd, IOMMU_IOAS_COPY, &c) == 0);
		copy_iova = c.dst_iova;
	}
	EXPECT(6, 0, 6);
	/* Mode 1: the process's locked pages, and pins. */
	CHECK(map(proc_fd, ioas_c, buf + 8 * PG, 3 * PG, NULL) == 0);
	EXPECT(9, 3, 6);
	/* The shared pages stay while the copy holds them. */
	unmap(user_fd, ioas_a, iova, 4 * PG);
	EXPECT(9, 3, 6);
	unmap(user_fd, ioas_b, copy_iova, 4 * PG);
	EXPECT(5, 3, 2);

	/* RLIMIT_MEMLOCK bounds each mode's locked pages, not the pins. */
	set_memlock(8);
	CHECK(get_acct(&a) == 0 && a.limit_pages == 8);
	FAILS(map(user_fd, ioas_a, buf, 7 * PG, NULL), ENOMEM);
	EXPECT(5, 3, 2);
	CHECK(map(user_fd, ioas_a, buf, 6 * PG, &iova) == 0);
	EXPECT(11, 3, 8);
	FAILS(map(user_fd, ioas_b, buf, PG, NULL), ENOMEM);
	FAILS(map(proc_fd, ioas_c, buf, 6 * PG, NULL), ENOMEM);
	CHECK(map(proc_fd, ioas_c, buf, 5 * PG, NULL) == 0);
	EXPECT(16, 8, 8);
	set_memlock(UINT64_MAX);
	CHECK(map(user_fd, ioas_b, buf, 16 * PG, NULL) == 0);
	EXPECT(32, 8, 24);

	/* The last domain of an IOAS going, destroying an IOAS and closing
	 * an fd give their pages back. */
	detach(dev_b);
	EXPECT(16, 8, 8);
	CHECK(ioctl(user_fd, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = sizeof(struct iommu_destroy), .id = ioas_b }) == 0);
	EXPECT(16, 8, 8);
	CHECK(close(dev_c) == 0);
	CHECK(close(proc_fd) == 0);
	EXPECT(8, 0, 8);
	CHECK(close(dev_a) == 0);
	CHECK(close(dev_b) == 0);
	CHECK(close(user_fd) == 0);
	EXPECT(0, 0, 0);
	forked_child(buf);
	child_takes_charges(buf);
	munmap(buf, 32 * PG);
	puts("accounting: ok");
	return 0;
}
