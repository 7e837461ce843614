/* SPDX-License-Identifier: MIT */
/*
 * The machine of a scenario file under libsiommu-preload.so, seen by a
 * program that knows nothing of siommu. With SIOMMU_SCENARIO naming
 * tests/preload/machine.yaml: its devices, in file order, are vfio0..2
 * behind the unit the file gives each (the hardware info type says which),
 * there is no vfio3, and each device's copy engine works through its
 * unit, a page it cannot translate ending the copy there (none of these
 * devices has PRI). With "bad" as argument, SIOMMU_SCENARIO names a file
 * that does not load: /dev/iommu and the device files cannot be opened.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define BUF 0x8000

/* Device @index: bound, the unit's type, and a copy through it. */
static void check_device(int iommufd, unsigned int index, uint32_t type, unsigned char *buf)
{
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_ioas_map m = { .size = sizeof(m), .length = BUF, .user_va = (uintptr_t)buf,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };
	char path[64];
	uint32_t dev_id, pt;
	int dev;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", index);
	dev = open(path, O_RDWR);
	CHECK(dev >= 0);
	CHECK(vfio_bind(dev, iommufd, &dev_id) == 0);
	hw.dev_id = dev_id;
	CHECK(ioctl(iommufd, IOMMU_GET_HW_INFO, &hw) == 0);
	CHECK(hw.out_data_type == type);

	CHECK(ioctl(iommufd, IOMMU_IOAS_ALLOC, &ia) == 0);
	m.ioas_id = ia.out_ioas_id;
	CHECK(ioctl(iommufd, IOMMU_IOAS_MAP, &m) == 0);
	pt = ia.out_ioas_id;
	CHECK(vfio_attach(dev, 0, 0, &pt) == 0);
	memset(buf, 0, BUF);
	memset(buf, 0x40 + (int)index, BUF / 2);
	eng_write64(dev, SIOMMU_DMAENG_SRC, m.iova);
	eng_write64(dev, SIOMMU_DMAENG_DST, m.iova + BUF / 2);
	eng_write64(dev, SIOMMU_DMAENG_LEN, BUF / 2);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_DONE);
	CHECK(!memcmp(buf, buf + BUF / 2, BUF / 2));
	/* Past the mapping: a fault, no page request. */
	eng_write64(dev, SIOMMU_DMAENG_DST, m.iova + BUF - 0x1000);
	eng_write64(dev, SIOMMU_DMAENG_LEN, 0x2000);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(eng_read64(dev, SIOMMU_DMAENG_FAULT_ADDR) == m.iova + BUF);
	CHECK(eng_read64(dev, SIOMMU_DMAENG_DONE_BYTES) == 0x1000);
	CHECK(close(dev) == 0);
}

int main(int argc, char **argv)
{
	unsigned char *buf;
	int iommufd;

	if (argc > 1 && !strcmp(argv[1], "bad")) {
		FAILS(open("/dev/iommu", O_RDWR), EINVAL);
		FAILS(open("/dev/vfio/devices/vfio0", O_RDWR), EINVAL);
		puts("a scenario that does not load: no devices");
		return 0;
	}
	iommufd = open("/dev/iommu", O_RDWR);
	CHECK(iommufd >= 0);
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	check_device(iommufd, 0, IOMMU_HW_INFO_TYPE_ARM_SMMUV3, buf);
	check_device(iommufd, 1, IOMMU_HW_INFO_TYPE_INTEL_VTD, buf);
	check_device(iommufd, 2, IOMMU_HW_INFO_TYPE_NONE, buf);
	FAILS(open("/dev/vfio/devices/vfio3", O_RDWR), ENOENT);
	CHECK(close(iommufd) == 0);
	munmap(buf, BUF);
	puts("the scenario's machine: ok");
	return 0;
}
