/* SPDX-License-Identifier: MIT */
/*
 * A VMM's iommufd backend in miniature, as it would run on Linux: it knows
 * nothing of siommu (libc and the ABI headers only) and runs unchanged
 * under libsiommu-preload.so, which gives it /dev/iommu and the VFIO
 * device /dev/vfio/devices/vfio0 (a DMA copy engine with ATS and PRI
 * behind a VT-d unit, on the default machine).
 *
 *   1. open the device and /dev/iommu, bind the device, look at its BAR0;
 *   2. allocate an IOAS, a fault queue and a HWPT that reports page faults
 *      to it, and attach the device;
 *   3. map "guest RAM" (our own buffer) at guest-physical 1 MiB, but its
 *      last page only when the device asks for it;
 *   4. have the device copy the first half of guest RAM to the second:
 *      the copy reaches the unmapped page and the device sends a page
 *      request; we read it from the fault queue, map the page, answer
 *      "success", and the copy completes;
 *   5. check the bytes, detach, close.
 *
 * Build and run:   cc vfio_vmm.c -I include -o vfio_vmm
 *                  LD_PRELOAD=libsiommu-preload.so ./vfio_vmm
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
#include <time.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#define GUEST_RAM_GPA	0x100000ull
#define GUEST_RAM_SIZE	0x10000ull
#define PAGE		0x1000ull

static void die(const char *what)
{
	fprintf(stderr, "vfio_vmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die(what);
}

/* A register of the device's BAR0. */
static uint32_t bar_read32(int dev, uint64_t bar, uint64_t reg)
{
	uint32_t v;

	if (pread(dev, &v, sizeof(v), (off_t)(bar + reg)) != sizeof(v))
		die("BAR0 read");
	return v;
}

static void bar_write64(int dev, uint64_t bar, uint64_t reg, uint64_t v)
{
	if (pwrite(dev, &v, sizeof(v), (off_t)(bar + reg)) != sizeof(v))
		die("BAR0 write");
}

static void map(int iommufd, uint32_t ioas, void *va, uint64_t gpa, uint64_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = gpa,
	};

	xioctl(iommufd, IOMMU_IOAS_MAP, &m, "IOMMU_IOAS_MAP");
}

int main(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt att = { .argsz = sizeof(att) };
	struct vfio_device_detach_iommufd_pt det = { .argsz = sizeof(det) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0),
					 .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct iommu_hwpt_alloc hwpt = { .size = sizeof(hwpt) };
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp;
	struct pollfd pfd;
	unsigned char *ram;
	int dev, iommufd, faults = 0;
	uint32_t status;
	uint64_t i;

	/* 1. The device and the IOMMU. */
	dev = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/vfio/devices/vfio0 (run under libsiommu-preload.so)");
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		die("/dev/iommu");
	bind.iommufd = iommufd;
	xioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind, "VFIO_DEVICE_BIND_IOMMUFD");
	xioctl(dev, VFIO_DEVICE_GET_INFO, &info, "VFIO_DEVICE_GET_INFO");
	xioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar0, "VFIO_DEVICE_GET_REGION_INFO");
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) || bar0.size < SIOMMU_DMAENG_BAR_SIZE ||
	    bar_read32(dev, bar0.offset, SIOMMU_DMAENG_ID) != SIOMMU_DMAENG_ID_VALUE) {
		fprintf(stderr, "vfio_vmm: not the DMA engine\n");
		return 1;
	}
	printf("device: dev_id %u, %u regions, BAR0 %llu bytes at offset 0x%llx\n",
	       bind.out_devid, info.num_regions, (unsigned long long)bar0.size,
	       (unsigned long long)bar0.offset);

	/* 2. IOAS, fault queue, a HWPT reporting faults to it; attach. */
	xioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas, "IOMMU_IOAS_ALLOC");
	xioctl(iommufd, IOMMU_FAULT_QUEUE_ALLOC, &fault, "IOMMU_FAULT_QUEUE_ALLOC");
	hwpt.flags = IOMMU_HWPT_FAULT_ID_VALID;
	hwpt.dev_id = bind.out_devid;
	hwpt.pt_id = ioas.out_ioas_id;
	hwpt.fault_id = fault.out_fault_id;
	xioctl(iommufd, IOMMU_HWPT_ALLOC, &hwpt, "IOMMU_HWPT_ALLOC");
	att.pt_id = hwpt.out_hwpt_id;
	xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &att, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");

	/* 3. Guest RAM, all but its last page mapped. */
	ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	for (i = 0; i < GUEST_RAM_SIZE / 2; i++)
		ram[i] = (unsigned char)(i ^ (i >> 8));
	map(iommufd, ioas.out_ioas_id, ram, GUEST_RAM_GPA, GUEST_RAM_SIZE - PAGE);

	/* 4. The device copies; we serve its page request. */
	bar_write64(dev, bar0.offset, SIOMMU_DMAENG_SRC, GUEST_RAM_GPA);
	bar_write64(dev, bar0.offset, SIOMMU_DMAENG_DST, GUEST_RAM_GPA + GUEST_RAM_SIZE / 2);
	bar_write64(dev, bar0.offset, SIOMMU_DMAENG_LEN, GUEST_RAM_SIZE / 2);
	bar_write64(dev, bar0.offset, SIOMMU_DMAENG_DOORBELL, 1);
	pfd = (struct pollfd){ .fd = (int)fault.out_fault_fd, .events = POLLIN };
	for (;;) {
		status = bar_read32(dev, bar0.offset, SIOMMU_DMAENG_STATUS);
		if (status != SIOMMU_DMAENG_ST_BUSY)
			break;
		if (poll(&pfd, 1, 10) < 0)
			die("poll");
		if (!(pfd.revents & POLLIN))
			continue;
		if (read(pfd.fd, &rec, sizeof(rec)) != sizeof(rec))
			die("fault read");
		printf("page fault: dev_id %u, addr 0x%llx, perm 0x%x, cookie %u\n",
		       rec.dev_id, (unsigned long long)rec.addr, rec.perm, rec.cookie);
		resp = (struct iommu_hwpt_page_response){ .cookie = rec.cookie,
							  .code = IOMMUFD_PAGE_RESP_INVALID };
		if (rec.dev_id == bind.out_devid &&
		    rec.addr == GUEST_RAM_GPA + GUEST_RAM_SIZE - PAGE) {
			map(iommufd, ioas.out_ioas_id, ram + GUEST_RAM_SIZE - PAGE, rec.addr, PAGE);
			resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
			faults++;
		}
		if (write(pfd.fd, &resp, sizeof(resp)) != sizeof(resp))
			die("fault response");
	}

	/* 5. Check, tear down. */
	if (status != SIOMMU_DMAENG_ST_DONE || faults != 1 ||
	    memcmp(ram, ram + GUEST_RAM_SIZE / 2, GUEST_RAM_SIZE / 2)) {
		fprintf(stderr, "vfio_vmm: copy status %u after %d page faults\n", status, faults);
		return 1;
	}
	printf("the device copied %llu bytes through the IOMMU after %d page fault\n",
	       (unsigned long long)GUEST_RAM_SIZE / 2, faults);
	xioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &det, "VFIO_DEVICE_DETACH_IOMMUFD_PT");
	close(dev);
	close(fault.out_fault_fd);
	close(iommufd);
	munmap(ram, GUEST_RAM_SIZE);
	return 0;
}
