/* SPDX-License-Identifier: MIT */
/*
 * Checks for the programs the preload suite runs: they know nothing of
 * siommu but its ABI headers, so they use libc alone.
 */
#ifndef SIOMMU_TESTS_PRELOAD_PROG_H
#define SIOMMU_TESTS_PRELOAD_PROG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: failed: %s (errno %d)\n",  \
				__FILE__, __LINE__, #c, errno);            \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* @call fails with @err. */
#define FAILS(call, err) CHECK((call) == -1 && errno == (err))

/* With <siommu/vfio_abi.h> and <siommu/vfio_dmaeng.h>: binding,
 * attaching, and the DMA engine in BAR0 (at offset 0 of the device fd). */
#ifdef SIOMMU_VFIO_DMAENG_H
static inline int vfio_bind(int dev, int iommufd, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	int ret = ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b);

	if (!ret)
		*dev_id = b.out_devid;
	return ret;
}

/* Attach the RID (flags 0) or @pasid to *pt_id, set to the HWPT. */
static inline int vfio_attach(int dev, uint32_t flags, uint32_t pasid, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a), .flags = flags, .pt_id = *pt_id, .pasid = pasid };
	int ret = ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	if (!ret)
		*pt_id = a.pt_id;
	return ret;
}

static inline uint32_t eng_read32(int dev, uint64_t reg)
{
	uint32_t v;

	CHECK(pread(dev, &v, 4, (off_t)reg) == 4);
	return v;
}

static inline uint64_t eng_read64(int dev, uint64_t reg)
{
	uint64_t v;

	CHECK(pread(dev, &v, 8, (off_t)reg) == 8);
	return v;
}

static inline void eng_write64(int dev, uint64_t reg, uint64_t v)
{
	CHECK(pwrite(dev, &v, 8, (off_t)reg) == 8);
}

/* Ring the doorbell and wait for the copy's end; its status. */
static inline uint32_t eng_run(int dev)
{
	struct timespec ts = { 0, 1000000 };
	uint32_t st, i;

	CHECK(pwrite(dev, &(uint32_t){ 1 }, 4, SIOMMU_DMAENG_DOORBELL) == 4);
	for (i = 0; i < 20000; i++) {
		st = eng_read32(dev, SIOMMU_DMAENG_STATUS);
		if (st != SIOMMU_DMAENG_ST_BUSY)
			return st;
		nanosleep(&ts, NULL);
	}
	CHECK(!"the copy ended");
	return 0;
}
#endif

#endif
