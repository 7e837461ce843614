/* SPDX-License-Identifier: MIT */
/*
 * The VFIO group files (/dev/vfio/N) as a program that knows nothing of
 * siommu sees them (the ABI headers and libc), under libsiommu-preload.so
 * on group.yaml's machine: group 0 holds nic0 (0000:00:01.0) and nic1
 * (0000:00:01.1), groups 1 and 2 one device each. The classic type1 flow
 * end to end (container, group, SET_IOMMU, MAP_DMA, GET_DEVICE_FD, the
 * device's copy through the container's mappings, UNMAP_DMA, the copy
 * faulting); every request's errors; the group and cdev paths excluding
 * each other; the compatibility IOAS a /dev/iommu container gets; and
 * the order of closes (group before device, container before group,
 * UNSET_CONTAINER with a device open); the group and the cdev bind raced
 * from two threads; and a forked child on its parent's group, container
 * and device files, and on a group it opens itself.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define BUF 0x10000
#define IOVA 0x400000

static unsigned char *buf;

static uint32_t status(int g)
{
	struct vfio_group_status st = { .argsz = sizeof(st), .flags = 0xdead };

	CHECK(ioctl(g, VFIO_GROUP_GET_STATUS, &st) == 0);
	return st.flags;
}

static int set_container(int g, int c)
{
	return ioctl(g, VFIO_GROUP_SET_CONTAINER, &c);
}

static int map_dma(int c)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .vaddr = (uintptr_t)buf,
		.iova = IOVA, .size = BUF,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE };

	return ioctl(c, VFIO_IOMMU_MAP_DMA, &m);
}

static void unmap_dma(int c)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = IOVA, .size = BUF };

	CHECK(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) == 0 && u.size == BUF);
}

/* The device copies the buffer's first half over its second: its status. */
static uint32_t copy(int dev, unsigned char fill)
{
	uint32_t st;

	memset(buf, fill, BUF / 2);
	memset(buf + BUF / 2, 0, BUF / 2);
	eng_write64(dev, SIOMMU_DMAENG_SRC, IOVA);
	eng_write64(dev, SIOMMU_DMAENG_DST, IOVA + BUF / 2);
	eng_write64(dev, SIOMMU_DMAENG_LEN, BUF / 2);
	st = eng_run(dev);
	if (st == SIOMMU_DMAENG_ST_DONE)
		CHECK(!memcmp(buf, buf + BUF / 2, BUF / 2));
	return st;
}

static int get_device(int g, const char *name)
{
	return ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name);
}

/* The classic flow, with each request's errors on the way. */
static void type1_flow(void)
{
	struct vfio_group_status st;
	union {
		struct vfio_device_bind_iommufd b;
		struct vfio_device_attach_iommufd_pt a;
		struct vfio_device_detach_iommufd_pt d;
		struct vfio_device_info i;
	} u;
	char longname[5000];
	int c, g, dev, nul, fd;

	c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(c >= 0);
	CHECK(ioctl(c, VFIO_GET_API_VERSION) == VFIO_API_VERSION);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1);
	/* Linux's order: no IOMMU type before a group joins. */
	FAILS(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ENODEV);

	g = open("/dev/vfio/0", O_RDWR);
	CHECK(g >= 0);
	FAILS(open("/dev/vfio/0", O_RDWR), EBUSY);	/* one open at a time */
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, NULL), EFAULT);
	st.argsz = VFIO_GROUP_GET_STATUS_MIN_SIZE - 1;
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, &st), EINVAL);
	CHECK(status(g) == VFIO_GROUP_FLAGS_VIABLE);
	FAILS(ioctl(g, VFIO_GROUP_UNSET_CONTAINER), EINVAL);	/* none set */
	FAILS(get_device(g, "0000:00:01.0"), EINVAL);		/* no container */
	FAILS(ioctl(g, _IO(VFIO_TYPE, VFIO_BASE + 40), &st), ENOTTY);
	FAILS(read(g, &st, sizeof(st)), EINVAL);
	FAILS(pread(g, &st, sizeof(st), 0), EINVAL);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, g, 0) == MAP_FAILED && errno == ENODEV);

	/* SET_CONTAINER: the fd, then the group's state, then the fd's kind. */
	FAILS(ioctl(g, VFIO_GROUP_SET_CONTAINER, NULL), EFAULT);
	FAILS(set_container(g, -1), EBADF);
	FAILS(set_container(g, 1000), EBADF);
	nul = open("/dev/null", O_RDWR);
	CHECK(nul >= 0);
	FAILS(set_container(g, nul), EBADFD);
	FAILS(set_container(g, g), EBADFD);		/* files of VFIO's own */
	fd = open("/dev/vfio/devices/vfio2", O_RDWR);
	CHECK(fd >= 0);
	FAILS(set_container(g, fd), EBADFD);
	CHECK(close(fd) == 0);
	CHECK(set_container(g, c) == 0);
	CHECK(status(g) == (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET));
	FAILS(set_container(g, c), EINVAL);
	FAILS(set_container(g, nul), EINVAL);
	FAILS(set_container(g, -1), EBADF);
	CHECK(close(nul) == 0);

	/* A type1 type (v1 in forked(), below), no other. */
	FAILS(ioctl(c, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU), EINVAL);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0);
	CHECK(map_dma(c) == 0);

	/* Names: the PCI name or the machine's; only the group's devices. */
	FAILS(get_device(g, NULL), EFAULT);
	FAILS(get_device(g, "0000:00:02.0"), ENODEV);	/* group 1's */
	FAILS(get_device(g, "disk"), ENODEV);
	FAILS(get_device(g, "0000:00:01.2"), ENODEV);
	FAILS(get_device(g, ""), ENODEV);
	memset(longname, 'a', sizeof(longname));
	FAILS(get_device(g, longname), EINVAL);		/* no end in a page */
	dev = get_device(g, "0000:00:01.0");
	CHECK(dev > 2);
	CHECK(fcntl(dev, F_GETFD) == FD_CLOEXEC);

	/* Bound and attached already: the cdev requests are not its own. */
	memset(&u, 0, sizeof(u));
	u.b.argsz = sizeof(u.b);
	u.b.iommufd = c;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EINVAL);
	u.a.argsz = sizeof(u.a);
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u), ENOTTY);
	u.d.argsz = sizeof(u.d);
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &u), ENOTTY);
	memset(&u, 0, sizeof(u));
	u.i.argsz = sizeof(u.i);
	CHECK(ioctl(dev, VFIO_DEVICE_GET_INFO, &u) == 0);
	CHECK(u.i.flags & VFIO_DEVICE_FLAGS_PCI);
	CHECK(eng_read32(dev, SIOMMU_DMAENG_ID) == SIOMMU_DMAENG_ID_VALUE);

	/* The device's DMA goes through the container's mappings. */
	CHECK(copy(dev, 0x5a) == SIOMMU_DMAENG_ST_DONE);

	/* Its group sibling, by its machine name, and the same device again:
	 * a second fd of the same file. */
	fd = get_device(g, "nic1");
	CHECK(fd > 2);
	CHECK(copy(fd, 0x33) == SIOMMU_DMAENG_ST_DONE);
	CHECK(close(fd) == 0);
	fd = get_device(g, "nic0");
	CHECK(fd > 2 && fd != dev);
	CHECK(copy(fd, 0x44) == SIOMMU_DMAENG_ST_DONE);
	CHECK(close(fd) == 0);
	CHECK(copy(dev, 0x45) == SIOMMU_DMAENG_ST_DONE);

	unmap_dma(c);
	CHECK(copy(dev, 0x66) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(eng_read64(dev, SIOMMU_DMAENG_FAULT_ADDR) == IOVA);

	CHECK(close(dev) == 0);
	CHECK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER) == 0);
	CHECK(status(g) == VFIO_GROUP_FLAGS_VIABLE);
	CHECK(close(g) == 0);
	CHECK(close(c) == 0);
	/* Closed: it opens again. */
	g = open("/dev/vfio/0", O_RDWR);
	CHECK(g >= 0);
	CHECK(close(g) == 0);
}

/* A group file and a device's cdev exclude each other, group-wide. */
static void exclusion(void)
{
	uint32_t dev_id;
	int ifd, g, cdev, other;

	ifd = open("/dev/iommu", O_RDWR);
	CHECK(ifd >= 0);
	g = open("/dev/vfio/0", O_RDWR);
	CHECK(g >= 0);
	cdev = open("/dev/vfio/devices/vfio1", O_RDWR);	/* nic1: group 0 */
	CHECK(cdev >= 0);
	FAILS(vfio_bind(cdev, ifd, &dev_id), EBUSY);
	other = open("/dev/vfio/devices/vfio2", O_RDWR);	/* disk: group 1 */
	CHECK(other >= 0);
	CHECK(vfio_bind(other, ifd, &dev_id) == 0);
	FAILS(open("/dev/vfio/1", O_RDWR), EBUSY);
	CHECK(close(g) == 0);

	CHECK(vfio_bind(cdev, ifd, &dev_id) == 0);
	FAILS(open("/dev/vfio/0", O_RDWR), EBUSY);
	CHECK(close(cdev) == 0);
	g = open("/dev/vfio/0", O_RDWR);
	CHECK(g >= 0);
	CHECK(close(g) == 0);

	/* Unbound, its group opens, viable. */
	CHECK(close(other) == 0);
	g = open("/dev/vfio/1", O_RDWR);
	CHECK(g >= 0 && status(g) == VFIO_GROUP_FLAGS_VIABLE);

	/* A device open through the group is not bound again by its cdev. */
	CHECK(set_container(g, ifd) == 0);
	other = get_device(g, "disk");
	CHECK(other > 2);
	cdev = open("/dev/vfio/devices/vfio2", O_RDWR);
	CHECK(cdev >= 0);
	FAILS(vfio_bind(cdev, ifd, &dev_id), EBUSY);
	CHECK(close(cdev) == 0);
	CHECK(close(other) == 0);
	CHECK(close(g) == 0);
	CHECK(close(ifd) == 0);
}

/* SET_CONTAINER given a /dev/iommu fd: its compatibility IOAS, made when
 * there is none, kept when there is one; two groups in one container. */
static void iommufd_container(void)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	uint32_t made;
	int ifd, g1, g2, d1, d2;

	ifd = open("/dev/iommu", O_RDWR);
	CHECK(ifd >= 0);
	FAILS(ioctl(ifd, IOMMU_VFIO_IOAS, &v), ENODEV);
	g1 = open("/dev/vfio/1", O_RDWR);
	CHECK(g1 >= 0);
	CHECK(set_container(g1, ifd) == 0);
	CHECK(ioctl(ifd, IOMMU_VFIO_IOAS, &v) == 0 && v.ioas_id);
	made = v.ioas_id;

	/* The second group joins the same IOAS. */
	g2 = open("/dev/vfio/2", O_RDWR);
	CHECK(g2 >= 0);
	CHECK(set_container(g2, ifd) == 0);
	CHECK(ioctl(ifd, IOMMU_VFIO_IOAS, &v) == 0 && v.ioas_id == made);
	CHECK(ioctl(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0);
	CHECK(map_dma(ifd) == 0);
	d1 = get_device(g1, "0000:00:02.0");
	d2 = get_device(g2, "0000:03:00.0");
	CHECK(d1 > 2 && d2 > 2);
	CHECK(copy(d1, 0x11) == SIOMMU_DMAENG_ST_DONE);
	CHECK(copy(d2, 0x22) == SIOMMU_DMAENG_ST_DONE);
	unmap_dma(ifd);
	CHECK(copy(d1, 0x11) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(copy(d2, 0x22) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(close(d1) == 0 && close(d2) == 0);
	CHECK(close(g1) == 0 && close(g2) == 0);

	/* No compatibility IOAS (destroyed): GET_DEVICE_FD has none to
	 * attach to; one chosen before SET_CONTAINER is kept. */
	g1 = open("/dev/vfio/1", O_RDWR);
	CHECK(g1 >= 0);
	CHECK(set_container(g1, ifd) == 0);
	CHECK(ioctl(ifd, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = sizeof(struct iommu_destroy), .id = made }) == 0);
	FAILS(get_device(g1, "disk"), ENODEV);
	CHECK(ioctl(g1, VFIO_GROUP_UNSET_CONTAINER) == 0);
	CHECK(ioctl(ifd, IOMMU_IOAS_ALLOC, &ia) == 0);
	v.op = IOMMU_VFIO_IOAS_SET;
	v.ioas_id = ia.out_ioas_id;
	CHECK(ioctl(ifd, IOMMU_VFIO_IOAS, &v) == 0);
	CHECK(set_container(g1, ifd) == 0);
	v.op = IOMMU_VFIO_IOAS_GET;
	CHECK(ioctl(ifd, IOMMU_VFIO_IOAS, &v) == 0 && v.ioas_id == ia.out_ioas_id);
	d1 = get_device(g1, "disk");
	CHECK(d1 > 2);
	CHECK(close(d1) == 0 && close(g1) == 0 && close(ifd) == 0);
}

/* Closes in any order: what a device needs stays while it is open. */
static void close_order(void)
{
	int c, g, dev, g2;

	/* The group's fd before its device's: the group stays open (no
	 * second open, no cdev bind) until the device closes. */
	c = open("/dev/vfio/vfio", O_RDWR);
	g = open("/dev/vfio/2", O_RDWR);
	CHECK(c >= 0 && g >= 0);
	CHECK(set_container(g, c) == 0);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0);
	CHECK(map_dma(c) == 0);
	dev = get_device(g, "gpu");
	CHECK(dev > 2);
	g2 = dup(g);
	CHECK(g2 >= 0 && status(g2) & VFIO_GROUP_FLAGS_CONTAINER_SET);
	CHECK(close(g) == 0 && close(g2) == 0);
	FAILS(open("/dev/vfio/2", O_RDWR), EBUSY);
	CHECK(copy(dev, 0x77) == SIOMMU_DMAENG_ST_DONE);

	/* Then the container's: the device's binding keeps the context, its
	 * mappings with it. */
	CHECK(close(c) == 0);
	CHECK(copy(dev, 0x78) == SIOMMU_DMAENG_ST_DONE);
	CHECK(close(dev) == 0);
	g = open("/dev/vfio/2", O_RDWR);
	CHECK(g >= 0);
	CHECK(status(g) == VFIO_GROUP_FLAGS_VIABLE);	/* no container left */

	/* UNSET_CONTAINER with a device open: the device stays bound (the
	 * group is no longer viable: its device's DMA is claimed). */
	c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(c >= 0);
	CHECK(set_container(g, c) == 0);
	CHECK(map_dma(c) == 0);
	dev = get_device(g, "gpu");
	CHECK(dev > 2);
	CHECK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER) == 0);
	FAILS(ioctl(g, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	CHECK(status(g) == 0);
	FAILS(get_device(g, "gpu"), EINVAL);
	CHECK(copy(dev, 0x79) == SIOMMU_DMAENG_ST_DONE);
	CHECK(close(c) == 0);
	CHECK(copy(dev, 0x7a) == SIOMMU_DMAENG_ST_DONE);
	CHECK(close(dev) == 0);
	CHECK(status(g) == VFIO_GROUP_FLAGS_VIABLE);
	CHECK(close(g) == 0);
}

/* The group file and the cdev bind of its device, raced from two threads:
 * each side, having got its way, checks that the other has not. */
#define RACE_ROUNDS 300

static int race_iommufd;
static int group_held, cdev_held;	/* atomic: inside a success */

static void *race_group(void *arg)
{
	int i, g;

	(void)arg;
	for (i = 0; i < RACE_ROUNDS; i++) {
		g = open("/dev/vfio/1", O_RDWR);
		if (g < 0) {
			CHECK(errno == EBUSY);
			continue;
		}
		__atomic_add_fetch(&group_held, 1, __ATOMIC_SEQ_CST);
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
		CHECK(!__atomic_load_n(&cdev_held, __ATOMIC_SEQ_CST));
		__atomic_sub_fetch(&group_held, 1, __ATOMIC_SEQ_CST);
		CHECK(close(g) == 0);
	}
	return NULL;
}

static void *race_cdev(void *arg)
{
	uint32_t dev_id;
	int i, d;

	(void)arg;
	for (i = 0; i < RACE_ROUNDS; i++) {
		d = open("/dev/vfio/devices/vfio2", O_RDWR);
		CHECK(d >= 0);
		if (vfio_bind(d, race_iommufd, &dev_id)) {
			CHECK(errno == EBUSY);
		} else {
			__atomic_add_fetch(&cdev_held, 1, __ATOMIC_SEQ_CST);
			nanosleep(&(struct timespec){ 0, 20000 }, NULL);
			CHECK(!__atomic_load_n(&group_held, __ATOMIC_SEQ_CST));
			__atomic_sub_fetch(&cdev_held, 1, __ATOMIC_SEQ_CST);
		}
		CHECK(close(d) == 0);
	}
	return NULL;
}

static void race(void)
{
	pthread_t a, b;

	race_iommufd = open("/dev/iommu", O_RDWR);
	CHECK(race_iommufd >= 0);
	CHECK(!pthread_create(&a, NULL, race_group, NULL));
	CHECK(!pthread_create(&b, NULL, race_cdev, NULL));
	CHECK(!pthread_join(a, NULL) && !pthread_join(b, NULL));
	CHECK(close(race_iommufd) == 0);
}

/* In a child: the group, container and device fds it inherits, served
 * by the parent, with the parent's errnos; a device file and a group file
 * of its own; a device name ending just before an unmapped page. */
static void forked_child(int c, int g, int pdev)
{
	long page = sysconf(_SC_PAGESIZE);
	char longname[5000], *edge;
	uint32_t dev_id;
	int dev, g1, nul;

	CHECK(status(g) == (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET));
	FAILS(open("/dev/vfio/0", O_RDWR), EBUSY);	/* the parent's is open */
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, NULL), EFAULT);
	FAILS(read(g, longname, 8), EINVAL);
	FAILS(pread(g, longname, 8, 0), EINVAL);
	FAILS(ioctl(g, _IO(VFIO_TYPE, VFIO_BASE + 40), longname), ENOTTY);
	FAILS(set_container(g, c), EINVAL);		/* set already */
	FAILS(set_container(g, -1), EBADF);
	FAILS(get_device(g, NULL), EFAULT);
	FAILS(get_device(g, "disk"), ENODEV);
	memset(longname, 'a', sizeof(longname));
	FAILS(get_device(g, longname), EINVAL);

	/* The parent's device fd, and one the child gets from the group. */
	CHECK(map_dma(c) == 0);
	CHECK(copy(pdev, 0x71) == SIOMMU_DMAENG_ST_DONE);
	edge = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(edge != MAP_FAILED);
	CHECK(munmap(edge + page, (size_t)page) == 0);
	memcpy(edge + page - 5, "nic1", 5);
	dev = get_device(g, edge + page - 5);
	CHECK(dev > 2);
	CHECK(fcntl(dev, F_GETFD) == FD_CLOEXEC);
	CHECK(munmap(edge, (size_t)page) == 0);
	FAILS(vfio_bind(dev, c, &dev_id), EINVAL);	/* bound through its group */
	CHECK(copy(dev, 0x72) == SIOMMU_DMAENG_ST_DONE);
	unmap_dma(c);
	CHECK(copy(dev, 0x73) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(close(dev) == 0);

	/* A group the child opens: served too, its container the child's. */
	g1 = open("/dev/vfio/1", O_RDWR);
	CHECK(g1 >= 0);
	CHECK(status(g1) == VFIO_GROUP_FLAGS_VIABLE);
	nul = open("/dev/null", O_RDWR);
	CHECK(nul >= 0);
	FAILS(set_container(g1, nul), EBADFD);
	FAILS(set_container(g1, g), EBADFD);
	FAILS(get_device(g1, "disk"), EINVAL);		/* no container */
	CHECK(set_container(g1, c) == 0);
	CHECK(map_dma(c) == 0);
	dev = get_device(g1, "disk");
	CHECK(dev > 2);
	CHECK(copy(dev, 0x74) == SIOMMU_DMAENG_ST_DONE);
	unmap_dma(c);
	CHECK(close(dev) == 0);
	CHECK(ioctl(g1, VFIO_GROUP_UNSET_CONTAINER) == 0);
	FAILS(ioctl(g1, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	CHECK(close(g1) == 0);
	CHECK(close(nul) == 0);
}

/* The parent's group, container and device shared with a child: what the
 * child does shows in the parent's objects, and what it closes is gone. */
static void forked(void)
{
	int c, g, dev, g1, st;
	pid_t pid;

	c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(c >= 0);
	g = open("/dev/vfio/0", O_RDWR);
	CHECK(g >= 0);
	CHECK(set_container(g, c) == 0);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) == 0);	/* v1 */
	dev = get_device(g, "nic0");
	CHECK(dev > 2);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		forked_child(c, g, dev);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The child's group file is closed, its device file gone. */
	g1 = open("/dev/vfio/1", O_RDWR);
	CHECK(g1 >= 0 && status(g1) == VFIO_GROUP_FLAGS_VIABLE);
	CHECK(close(g1) == 0);
	CHECK(status(g) == (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET));
	CHECK(map_dma(c) == 0);
	CHECK(copy(dev, 0x75) == SIOMMU_DMAENG_ST_DONE);
	unmap_dma(c);
	CHECK(close(dev) == 0);
	CHECK(close(g) == 0);
	CHECK(close(c) == 0);
	g = open("/dev/vfio/0", O_RDWR);
	CHECK(g >= 0);
	CHECK(close(g) == 0);
}

int main(void)
{
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	/* Group files exist for the machine's groups only. */
	FAILS(open("/dev/vfio/3", O_RDWR), ENOENT);
	FAILS(open("/dev/vfio/64", O_RDWR), ENOENT);
	type1_flow();
	exclusion();
	iommufd_container();
	close_order();
	race();
	forked();
	munmap(buf, BUF);
	puts("the VFIO group files: ok");
	return 0;
}
