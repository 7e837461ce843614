/* SPDX-License-Identifier: MIT */
/*
 * Bad pointers in the ioctls of the VFIO files, as Linux's copy_from_user()
 * and copy_to_user() see them: -EFAULT, never a crash, in Linux's order
 * (a struct's first published size, minsz, is read whatever its argsz
 * says, and only then checked; a field past minsz is read only when a
 * flag asks for it; an unbound device file refuses everything but BIND
 * before it reads anything). For every request of a device file
 * (/dev/vfio/devices/vfioN), a group file (/dev/vfio/G) and the type1
 * container (/dev/vfio/vfio): the struct NULL, in an unmapped page,
 * ending where the readable memory does, and read-only where the call
 * answers in it, with Linux's resulting state (BIND's device not bound,
 * ATTACH's device not attached). The same again in a forked child, whose
 * calls its parent serves. Runs on vfio_ucopy.yaml's machine: group 0
 * holds nic0 (0000:00:01.0, vfio0) and nic1, group 1 the disk (vfio2,
 * with PASIDs).
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>

#include "badmem.h"
#include "prog.h"

/* Linux's VFIO_DEVICE_RESET, which the files do not answer. */
#define DEVICE_RESET _IO(VFIO_TYPE, VFIO_BASE + 11)

/* An argsz of @argsz, readable alone: what follows it is unmapped. */
static void *argsz_only(uint32_t argsz)
{
	return at_end(&argsz, sizeof(argsz));
}

static uint32_t ioas_alloc(int ifd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(ioctl(ifd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

/* Destroying object @id (an IOAS, a HWPT): 0 when nothing holds it (no
 * device attached to it), -1 with EBUSY else. */
static int obj_destroy(int ifd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(ifd, IOMMU_DESTROY, &d);
}

/* Every request but BIND is refused by an unbound file before it reads
 * its struct; BIND reads argsz, the bytes past the struct, the struct,
 * and writes out_devid back, unbinding when it cannot. */
static uint32_t device_bind(int dev, int ifd)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ifd };
	static const unsigned long others[] = {
		VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT,
		VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
	};
	uint8_t big[sizeof(b) + 8] = { 0 }, *p;
	unsigned int i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		FAILS(ioctl(dev, others[i], NULL), EINVAL);
		FAILS(ioctl(dev, others[i], hole), EINVAL);
	}
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, NULL), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, hole), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, argsz_only(sizeof(b))), EFAULT);
	/* argsz below minsz is refused before the rest is read. */
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, argsz_only(8)), EINVAL);
	/* A longer struct: its tail must be there, and zero. */
	b.argsz = sizeof(b) + 8;
	memcpy(big, &b, sizeof(b));
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, at_end(big, sizeof(b) + 4)), EFAULT);
	p = at_end(big, sizeof(big));
	p[sizeof(b) + 7] = 1;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, p), E2BIG);
	/* Bound, then unbound again: out_devid cannot be told. */
	b.argsz = sizeof(b);
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, ro_copy(&b, sizeof(b))), EFAULT);
	p = at_end(big, sizeof(big));
	CHECK(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, p) == 0);
	b.out_devid = ((struct vfio_device_bind_iommufd *)p)->out_devid;
	CHECK(b.out_devid != 0);
	/* Bound once only. */
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	return b.out_devid;
}

/* ATTACH reads minsz (pt_id's end), then pasid with ATTACH_PASID; it
 * writes pt_id back, detaching when it cannot. DETACH reads minsz
 * (flags' end), then pasid with DETACH_PASID, and writes nothing. */
static void device_attach(int dev, int ifd, uint32_t dev_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = dev_id };
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };
	const size_t amin = VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE;
	const size_t dmin = VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE;
	uint32_t ioas = ioas_alloc(ifd);

	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, NULL), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, hole), EFAULT);
	/* minsz not there: -EFAULT before argsz is looked at. */
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, argsz_only(4)), EFAULT);
	a.pt_id = ioas;
	/* Read-only: attached, then detached again (the IOAS is free). */
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ro_copy(&a, sizeof(a))), EFAULT);
	CHECK(obj_destroy(ifd, ioas) == 0);
	/* The same for a PASID, beside the RID on a PASID HWPT. */
	ioas = ioas_alloc(ifd);
	h.pt_id = ioas;
	CHECK(ioctl(ifd, IOMMU_HWPT_ALLOC, &h) == 0);
	a.pt_id = h.out_hwpt_id;
	CHECK(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) == 0);
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	a.pasid = 1;
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ro_copy(&a, sizeof(a))), EFAULT);
	d.flags = 0;
	CHECK(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) == 0);
	CHECK(obj_destroy(ifd, h.out_hwpt_id) == 0);
	a.pt_id = ioas;
	/* pasid is read only with the flag, and argsz checked first. */
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, at_end(&a, amin)), EFAULT);
	a.argsz = amin;
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, at_end(&a, amin)), EINVAL);
	a.argsz = sizeof(a);
	a.flags = 0;
	CHECK(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, at_end(&a, amin)) == 0);
	FAILS(obj_destroy(ifd, ioas), EBUSY);

	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, NULL), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, hole), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, argsz_only(sizeof(d))), EFAULT);
	d.flags = VFIO_DEVICE_DETACH_PASID;
	d.pasid = 1;
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, at_end(&d, dmin)), EFAULT);
	/* Nothing to write back: read-only is fine. */
	d.flags = 0;
	CHECK(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, ro_copy(&d, sizeof(d))) == 0);
	CHECK(obj_destroy(ifd, ioas) == 0);
}

/* GET_INFO and GET_REGION_INFO: minsz in, the answer out. */
static void device_info(int dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info r = { .argsz = sizeof(r) };
	const size_t imin = VFIO_DEVICE_GET_INFO_MIN_SIZE;
	struct vfio_device_info *pi;

	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, NULL), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, hole), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, argsz_only(8)), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, ro_copy(&info, sizeof(info))), EFAULT);
	/* Written as far as argsz: minsz is all there need be. */
	info.argsz = imin;
	pi = at_end(&info, imin);
	CHECK(ioctl(dev, VFIO_DEVICE_GET_INFO, pi) == 0);
	CHECK(pi->flags & VFIO_DEVICE_FLAGS_PCI);
	CHECK(pi->num_regions == VFIO_PCI_NUM_REGIONS);
	/* argsz says more than there is. */
	info.argsz = sizeof(info);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, at_end(&info, imin)), EFAULT);

	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, NULL), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, hole), EFAULT);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, at_end(&r, sizeof(r) - 8)), EFAULT);
	r.index = VFIO_PCI_BAR0_REGION_INDEX;
	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, ro_copy(&r, sizeof(r))), EFAULT);
	CHECK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, at_end(&r, sizeof(r))) == 0);
	CHECK(((struct vfio_region_info *)(rw_end - sizeof(r)))->size != 0);

	/* A request the file does not answer reads nothing. */
	FAILS(ioctl(dev, DEVICE_RESET, hole), ENOTTY);
}

static void device_file(void)
{
	int ifd = open("/dev/iommu", O_RDWR), dev = open("/dev/vfio/devices/vfio2", O_RDWR);

	CHECK(ifd >= 0 && dev >= 0);
	device_attach(dev, ifd, device_bind(dev, ifd));
	device_info(dev);
	CHECK(close(dev) == 0);
	CHECK(close(ifd) == 0);
}

/* The group file: GET_STATUS's struct, SET_CONTAINER's fd, GET_DEVICE_FD's
 * name (a string read a page at a time, up to a page); the container's
 * structs, minsz first. */
static void group_file(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	static const char name[] = "0000:00:01.0";
	int g = open("/dev/vfio/0", O_RDWR), c = open("/dev/vfio/vfio", O_RDWR), dev;
	uint8_t *buf;
	char *s;

	CHECK(g >= 0 && c >= 0);
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, NULL), EFAULT);
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, hole), EFAULT);
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, argsz_only(4)), EFAULT);
	FAILS(ioctl(g, VFIO_GROUP_GET_STATUS, ro_copy(&st, sizeof(st))), EFAULT);
	CHECK(ioctl(g, VFIO_GROUP_GET_STATUS, at_end(&st, sizeof(st))) == 0);
	CHECK(((struct vfio_group_status *)(rw_end - sizeof(st)))->flags ==
	      VFIO_GROUP_FLAGS_VIABLE);

	FAILS(ioctl(g, VFIO_GROUP_SET_CONTAINER, NULL), EFAULT);
	FAILS(ioctl(g, VFIO_GROUP_SET_CONTAINER, hole), EFAULT);
	FAILS(ioctl(g, VFIO_GROUP_SET_CONTAINER, rw_end - 2), EFAULT);
	CHECK(ioctl(g, VFIO_GROUP_SET_CONTAINER, ro_copy(&c, sizeof(c))) == 0);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0);

	FAILS(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NULL), EFAULT);
	FAILS(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, hole), EFAULT);
	/* The name runs into the unmapped page before its NUL. */
	FAILS(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, at_end(name, sizeof(name) - 1)), EFAULT);
	/* No NUL within a page. */
	s = (char *)rw_end - PG;
	memset(s, 'a', PG);
	FAILS(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, s), EINVAL);
	FAILS(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, at_end("nic9", 5)), ENODEV);
	/* Ending where the memory does, and read-only: both fine. */
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, at_end(name, sizeof(name)));
	CHECK(dev >= 0);
	CHECK(close(dev) == 0);
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, ro_copy(name, sizeof(name)));
	CHECK(dev >= 0);
	device_info(dev);

	/* The container: minsz is read before argsz is checked. */
	FAILS(ioctl(c, VFIO_IOMMU_GET_INFO, argsz_only(8)), EFAULT);
	FAILS(ioctl(c, VFIO_IOMMU_MAP_DMA, argsz_only(8)), EFAULT);
	FAILS(ioctl(c, VFIO_IOMMU_UNMAP_DMA, argsz_only(8)), EFAULT);
	FAILS(ioctl(c, VFIO_IOMMU_GET_INFO, NULL), EFAULT);
	FAILS(ioctl(c, VFIO_IOMMU_MAP_DMA, hole), EFAULT);
	info.argsz = VFIO_IOMMU_GET_INFO_MIN_SIZE;
	CHECK(ioctl(c, VFIO_IOMMU_GET_INFO, at_end(&info, VFIO_IOMMU_GET_INFO_MIN_SIZE)) == 0);
	buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	m.vaddr = (uintptr_t)buf;
	m.iova = 0x100000;
	m.size = 4 * PG;
	CHECK(ioctl(c, VFIO_IOMMU_MAP_DMA, ro_copy(&m, sizeof(m))) == 0);
	u.iova = m.iova;
	u.size = m.size;
	/* The dirty bitmap is refused by its flag, as Linux's iommufd
	 * container refuses it, before its bitmap is looked at. */
	u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	u.argsz = sizeof(u) + 24;
	FAILS(ioctl(c, VFIO_IOMMU_UNMAP_DMA, at_end(&u, sizeof(u))), EINVAL);
	u.flags = 0;
	u.argsz = sizeof(u);
	/* Unmapped, then not told so. */
	FAILS(ioctl(c, VFIO_IOMMU_UNMAP_DMA, ro_copy(&u, sizeof(u))), EFAULT);
	CHECK(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) == 0 && u.size == 0);

	CHECK(close(dev) == 0);
	CHECK(close(g) == 0);
	CHECK(close(c) == 0);
	CHECK(!munmap(buf, 4 * PG));
}

int main(void)
{
	int keep, st;
	pid_t pid;

	badmem_init();

	device_file();
	group_file();

	/* A child's calls, served by its parent on the child's memory. An
	 * fd of ours open at the fork makes the parent serve the child. */
	keep = open("/dev/iommu", O_RDWR);
	CHECK(keep >= 0);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		device_file();
		group_file();
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(close(keep) == 0);
	return 0;
}
