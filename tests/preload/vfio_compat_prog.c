/* SPDX-License-Identifier: MIT */
/*
 * The VFIO type1 container through /dev/vfio/vfio under
 * libsiommu-preload.so, as a program that knows nothing of siommu sees it
 * (the ABI headers and libc): the version and extensions; an iommufd
 * context of its own that charges the process (RLIMIT_MODE 1, where
 * /dev/iommu's charges the user); no container without a compatibility
 * IOAS (IOMMU_VFIO_IOAS, with its size rules); then SET_IOMMU, GET_INFO,
 * MAP_DMA of our buffer, a device bound to the container fd and attached
 * to that IOAS copying through it, and UNMAP_DMA.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define BUF 0x10000
#define IOVA 0x400000

static uint64_t rlimit_mode(int fd)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_GET };

	CHECK(ioctl(fd, IOMMU_OPTION, &o) == 0);
	return o.val64;
}

/* IOMMU_VFIO_IOAS with every size rule, then SET to @ioas. */
static void compat_ioas(int c, uint32_t ioas)
{
	unsigned char big[sizeof(struct iommu_vfio_ioas) + 8];
	struct iommu_vfio_ioas *v = (void *)big;

	memset(big, 0, sizeof(big));
	v->size = sizeof(*v);
	v->op = IOMMU_VFIO_IOAS_GET;
	FAILS(ioctl(c, IOMMU_VFIO_IOAS, v), ENODEV);
	v->size = IOMMUFD_VFIO_IOAS_MIN_SIZE - 1;
	FAILS(ioctl(c, IOMMU_VFIO_IOAS, v), EINVAL);
	v->size = sizeof(big);
	v->op = IOMMU_VFIO_IOAS_SET;
	v->ioas_id = ioas;
	big[sizeof(*v) + 3] = 1;
	FAILS(ioctl(c, IOMMU_VFIO_IOAS, v), E2BIG);
	big[sizeof(*v) + 3] = 0;
	CHECK(ioctl(c, IOMMU_VFIO_IOAS, v) == 0);
	v->size = sizeof(*v);
	v->op = IOMMU_VFIO_IOAS_GET;
	v->ioas_id = 0;
	CHECK(ioctl(c, IOMMU_VFIO_IOAS, v) == 0 && v->ioas_id == ioas);
	v->op = 7;
	FAILS(ioctl(c, IOMMU_VFIO_IOAS, v), EOPNOTSUPP);
}

int main(void)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .iova = IOVA, .size = BUF,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = IOVA,
						.size = BUF };
	uint64_t reply[16];
	struct vfio_iommu_type1_info *info = (void *)reply;
	unsigned char *buf;
	uint32_t dev_id, pt;
	int c, fd, dev;

	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	CHECK(c >= 0);
	CHECK(ioctl(c, VFIO_GET_API_VERSION) == VFIO_API_VERSION);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) == 1);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU) == 0);
	FAILS(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ENODEV);
	FAILS(ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 3), reply), ENOTTY);
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	CHECK(rlimit_mode(c) == 1 && rlimit_mode(fd) == 0);
	CHECK(close(fd) == 0);

	CHECK(ioctl(c, IOMMU_IOAS_ALLOC, &ia) == 0);
	compat_ioas(c, ia.out_ioas_id);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == 1);
	memset(reply, 0xee, sizeof(reply));
	info->argsz = VFIO_IOMMU_GET_INFO_MIN_SIZE - 1;
	FAILS(ioctl(c, VFIO_IOMMU_GET_INFO, info), EINVAL);
	info->argsz = VFIO_IOMMU_GET_INFO_MIN_SIZE;	/* nothing written past it */
	CHECK(ioctl(c, VFIO_IOMMU_GET_INFO, info) == 0);
	CHECK(info->argsz > sizeof(*info) && reply[2] == 0xeeeeeeeeeeeeeeeeull);
	info->argsz = sizeof(*info);
	CHECK(ioctl(c, VFIO_IOMMU_GET_INFO, info) == 0 && info->cap_offset == 0);
	info->argsz = sizeof(reply);
	CHECK(ioctl(c, VFIO_IOMMU_GET_INFO, info) == 0);
	CHECK(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	CHECK(info->cap_offset == sizeof(*info) && info->argsz <= sizeof(reply));

	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 0x3c, BUF / 2);
	m.vaddr = (uintptr_t)buf;
	m.argsz = VFIO_IOMMU_MAP_DMA_MIN_SIZE - 1;
	FAILS(ioctl(c, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	m.argsz = sizeof(m);
	m.flags |= VFIO_DMA_MAP_FLAG_VADDR;
	FAILS(ioctl(c, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	m.flags &= ~VFIO_DMA_MAP_FLAG_VADDR;
	CHECK(ioctl(c, VFIO_IOMMU_MAP_DMA, &m) == 0);
	FAILS(ioctl(c, VFIO_IOMMU_MAP_DMA, &m), EEXIST);

	/* A device bound to the container's context, on its IOAS. */
	dev = open("/dev/vfio/devices/vfio1", O_RDWR);
	CHECK(dev >= 0);
	CHECK(vfio_bind(dev, c, &dev_id) == 0);
	pt = ia.out_ioas_id;
	CHECK(vfio_attach(dev, 0, 0, &pt) == 0);
	eng_write64(dev, SIOMMU_DMAENG_SRC, IOVA);
	eng_write64(dev, SIOMMU_DMAENG_DST, IOVA + BUF / 2);
	eng_write64(dev, SIOMMU_DMAENG_LEN, BUF / 2);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_DONE);
	CHECK(!memcmp(buf, buf + BUF / 2, BUF / 2));

	u.argsz = VFIO_IOMMU_UNMAP_DMA_MIN_SIZE - 1;
	FAILS(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u), EINVAL);
	u.argsz = sizeof(u) + 8;		/* bytes past it ignored */
	u.flags = VFIO_DMA_UNMAP_FLAG_VADDR;
	FAILS(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u), EINVAL);
	u.flags = 0;
	u.size = 0x1000;			/* cuts the mapping */
	FAILS(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u), ENOENT);
	u.size = BUF;
	CHECK(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) == 0 && u.size == BUF);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(close(dev) == 0);
	CHECK(close(c) == 0);
	munmap(buf, BUF);
	puts("the VFIO type1 container: ok");
	return 0;
}
