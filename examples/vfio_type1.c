/* SPDX-License-Identifier: MIT */
/*
 * A VMM's legacy VFIO backend (type1 container and group) in miniature,
 * as it would run on Linux: it knows nothing of siommu (libc and the ABI
 * headers only) and runs unchanged under libsiommu-preload.so, which gives
 * it /dev/vfio/vfio and the group /dev/vfio/0 of device 0000:00:01.0 (a
 * DMA copy engine behind a VT-d unit, on the default machine).
 *
 *   1. open the container and the group, join them, pick the type1 IOMMU;
 *   2. map "guest RAM" (our own buffer) at guest-physical 1 MiB;
 *   3. get the device's fd from the group: it DMAs through the container;
 *   4. have the device copy the first half of guest RAM to the second;
 *   5. unmap, and see the device's next copy fault.
 *
 * Build and run:   cc vfio_type1.c -I include -o vfio_type1
 *                  LD_PRELOAD=libsiommu-preload.so ./vfio_type1
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#define GUEST_RAM_GPA	0x100000ull
#define GUEST_RAM_SIZE	0x10000ull

static void die(const char *what)
{
	fprintf(stderr, "vfio_type1: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reg_write64(int dev, uint64_t reg, uint64_t v)
{
	if (pwrite(dev, &v, sizeof(v), (off_t)reg) != sizeof(v))
		die("BAR0 write");
}

/* Copy @len bytes from @src to @dst (guest-physical); the final status. */
static uint32_t device_copy(int dev, uint64_t src, uint64_t dst, uint64_t len)
{
	struct timespec ms = { 0, 1000000 };
	uint32_t st;
	int i;

	reg_write64(dev, SIOMMU_DMAENG_SRC, src);
	reg_write64(dev, SIOMMU_DMAENG_DST, dst);
	reg_write64(dev, SIOMMU_DMAENG_LEN, len);
	if (pwrite(dev, &(uint32_t){ 1 }, 4, SIOMMU_DMAENG_DOORBELL) != 4)
		die("doorbell");
	for (i = 0; i < 10000; i++) {
		if (pread(dev, &st, 4, SIOMMU_DMAENG_STATUS) != 4)
			die("status");
		if (st != SIOMMU_DMAENG_ST_BUSY)
			return st;
		nanosleep(&ms, NULL);
	}
	errno = ETIMEDOUT;
	die("copy");
	return 0;
}

int main(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = GUEST_RAM_GPA, .size = GUEST_RAM_SIZE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = GUEST_RAM_GPA, .size = GUEST_RAM_SIZE,
	};
	uint64_t half = GUEST_RAM_SIZE / 2;
	unsigned char *ram;
	int container, group, dev;

	/* 1. The container, the group, and the two joined. */
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("no type1v2 container");
	group = open("/dev/vfio/0", O_RDWR | O_CLOEXEC);
	if (group < 0)
		die("open /dev/vfio/0");
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status))
		die("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		die("group not viable");
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");

	/* 2. Guest RAM, mapped for the device. */
	ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	map.vaddr = (uintptr_t)ram;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");

	/* 3. The device, through its group. */
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, "0000:00:01.0");
	if (dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");

	/* 4. The copy. */
	memset(ram, 0xa5, half);
	if (device_copy(dev, GUEST_RAM_GPA, GUEST_RAM_GPA + half, half) !=
	    SIOMMU_DMAENG_ST_DONE || memcmp(ram, ram + half, half)) {
		errno = EIO;
		die("copy through the container");
	}
	printf("vfio_type1: the device copied %llu bytes of guest RAM\n",
	       (unsigned long long)half);

	/* 5. Unmapped, its DMA faults. */
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) || unmap.size != GUEST_RAM_SIZE)
		die("VFIO_IOMMU_UNMAP_DMA");
	if (device_copy(dev, GUEST_RAM_GPA, GUEST_RAM_GPA + half, half) !=
	    SIOMMU_DMAENG_ST_FAULT) {
		errno = EIO;
		die("a copy after the unmap");
	}
	printf("vfio_type1: after the unmap, the device's copy faults\n");
	close(dev);
	close(group);
	close(container);
	munmap(ram, GUEST_RAM_SIZE);
	return 0;
}
