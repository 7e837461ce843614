/* SPDX-License-Identifier: MIT */
/*
 * The VFIO device files as a program that knows nothing of siommu sees
 * them (it includes the ABI headers and libc), run under
 * libsiommu-preload.so on the default machine (one VT-d unit, devices
 * vfio0..vfio3 with PASIDs, ATS and PRI). Every request with a short, an
 * exact and a long struct and its errors: BIND_IOMMUFD, ATTACH and DETACH
 * (RID and PASID, replace), GET_INFO, GET_REGION_INFO; nothing but BIND
 * before the bind; one binding per device; close unbinding; dup; the
 * iommufd context kept by a bound device; the DMA engine's registers
 * through pread()/pwrite() and a copy through the IOMMU, a fault at an
 * unmapped page.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "prog.h"

#define BUF 65536

/* A struct with room past its end, for sizes beyond it. */
union big {
	unsigned char b[64];
	uint32_t argsz;
	struct vfio_device_bind_iommufd bind;
	struct vfio_device_attach_iommufd_pt att;
	struct vfio_device_detach_iommufd_pt det;
	struct vfio_device_info info;
	struct vfio_region_info reg;
};

static int iommu_fd;

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(ioctl(iommu_fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

static int detach(int dev, uint32_t flags, uint32_t pasid)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d), .flags = flags,
						   .pasid = pasid };

	return ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static void bind_rules(int dev, uint32_t *dev_id)
{
	union big u;
	int other;

	/* Nothing before the bind. */
	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u.info);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, &u), EINVAL);
	u.att.argsz = sizeof(u.att);
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u), EINVAL);
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &u), EINVAL);
	FAILS(pread(dev, u.b, 4, 0), EINVAL);
	/* No region can be mapped. */
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, 0) == MAP_FAILED && errno == EINVAL);

	/* Short, bad flags, bad fds. */
	memset(&u, 0, sizeof(u));
	u.bind.argsz = VFIO_DEVICE_BIND_IOMMUFD_MIN_SIZE - 1;
	u.bind.iommufd = iommu_fd;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EINVAL);
	u.bind.argsz = sizeof(u.bind);
	u.bind.flags = 1;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EINVAL);
	u.bind.flags = 0;
	u.bind.iommufd = -1;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EINVAL);
	u.bind.iommufd = 1000;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EBADF);
	other = open("/dev/null", O_RDONLY);
	CHECK(other >= 0);
	u.bind.iommufd = other;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EBADFD);
	u.bind.iommufd = dev;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EBADFD);
	close(other);

	/* Long: zeros past the struct are fine, anything else E2BIG. */
	u.bind.iommufd = iommu_fd;
	u.bind.argsz = sizeof(u.bind) + 8;
	u.b[sizeof(u.bind) + 5] = 1;
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), E2BIG);
	u.b[sizeof(u.bind) + 5] = 0;
	CHECK(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u) == 0);
	CHECK(u.bind.out_devid != 0);
	*dev_id = u.bind.out_devid;
	CHECK(u.bind.argsz == sizeof(u.bind) + 8);

	/* Bound: not again, and not through another file of the device. */
	FAILS(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &u), EINVAL);
	other = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(other >= 0);
	FAILS(vfio_bind(other, iommu_fd, &(uint32_t){ 0 }), EINVAL);
	close(other);
}

static void info_rules(int dev)
{
	union big u;

	memset(&u, 0xee, sizeof(u));
	u.info.argsz = VFIO_DEVICE_GET_INFO_MIN_SIZE - 1;
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, &u), EINVAL);
	/* The first published size: nothing written past it. */
	u.info.argsz = VFIO_DEVICE_GET_INFO_MIN_SIZE;
	CHECK(ioctl(dev, VFIO_DEVICE_GET_INFO, &u) == 0);
	CHECK(u.info.flags == VFIO_DEVICE_FLAGS_PCI);
	CHECK(u.info.num_regions == VFIO_PCI_NUM_REGIONS && u.info.num_irqs == 0);
	CHECK(u.info.cap_offset == 0xeeeeeeee);
	/* Exact, then long: the struct and no byte past it. */
	u.info.argsz = sizeof(u.info);
	CHECK(ioctl(dev, VFIO_DEVICE_GET_INFO, &u) == 0);
	CHECK(u.info.cap_offset == 0 && u.info.num_regions == VFIO_PCI_NUM_REGIONS);
	u.info.argsz = sizeof(u.info) + 8;
	u.info.flags = 0xffffffff;		/* an input VFIO ignores */
	CHECK(ioctl(dev, VFIO_DEVICE_GET_INFO, &u) == 0);
	CHECK(u.info.flags == VFIO_DEVICE_FLAGS_PCI && u.b[sizeof(u.info)] == 0xee);

	memset(&u, 0xee, sizeof(u));
	u.reg.argsz = VFIO_DEVICE_GET_REGION_INFO_MIN_SIZE - 1;
	u.reg.index = 0;
	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &u), EINVAL);
	u.reg.argsz = sizeof(u.reg) + 8;
	CHECK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &u) == 0);
	CHECK(u.reg.size == SIOMMU_DMAENG_BAR_SIZE && u.reg.offset == 0);
	CHECK(u.reg.flags == (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE));
	CHECK(u.reg.cap_offset == 0 && u.b[sizeof(u.reg)] == 0xee);
	u.reg.argsz = sizeof(u.reg);
	u.reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	CHECK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &u) == 0);
	CHECK(u.reg.size == 0 && u.reg.flags == 0 && u.reg.offset != 0);
	u.reg.index = VFIO_PCI_VGA_REGION_INDEX;
	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &u), EINVAL);
	u.reg.index = 1000;
	FAILS(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &u), EINVAL);

	FAILS(ioctl(dev, _IO(VFIO_TYPE, VFIO_BASE + 17), &u), ENOTTY);
	FAILS(ioctl(dev, VFIO_DEVICE_GET_INFO, NULL), EFAULT);
	FAILS(read(dev, u.b, 4), EINVAL);
	FAILS(write(dev, u.b, 4), EINVAL);
}

static void attach_rules(int dev, uint32_t dev_id, uint32_t ioas)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_PASID,
				      .dev_id = dev_id, .pt_id = ioas };
	struct iommu_destroy d = { .size = sizeof(d), .id = dev_id };
	union big u;
	uint32_t pt, hwpt;

	memset(&u, 0, sizeof(u));
	u.att.argsz = VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE - 1;
	u.att.pt_id = ioas;
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u), EINVAL);
	u.att.argsz = sizeof(u.att);
	u.att.flags = 2;
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u), EINVAL);
	/* The PASID flag needs argsz to cover pasid. */
	u.att.flags = VFIO_DEVICE_ATTACH_PASID;
	u.att.argsz = VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE;
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u), EINVAL);

	/* The first published size attaches the RID; only pt_id comes back. */
	u.att.flags = 0;
	u.att.pasid = 0xabcd;
	CHECK(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u) == 0);
	CHECK(u.att.pt_id != ioas && u.att.pasid == 0xabcd);
	pt = u.att.pt_id;
	/* Long (ignored bytes past it), and a replace with the same IOAS. */
	u.att.argsz = sizeof(u.att) + 8;
	u.b[sizeof(u.att) + 2] = 7;
	u.att.pt_id = ioas;
	CHECK(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u) == 0);
	CHECK(u.att.pt_id == pt);
	FAILS(ioctl(iommu_fd, IOMMU_DESTROY, &d), EBUSY);
	u.att.pt_id = 0xffff;
	FAILS(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &u), ENOENT);

	/* PASIDs: a PASID HWPT, not an IOAS; attach, replace, bounds. */
	CHECK(ioctl(iommu_fd, IOMMU_HWPT_ALLOC, &h) == 0);
	hwpt = h.out_hwpt_id;
	pt = ioas;
	FAILS(vfio_attach(dev, VFIO_DEVICE_ATTACH_PASID, 1, &pt), EINVAL);
	/* Not while the RID's HWPT cannot take PASIDs beside it. */
	pt = hwpt;
	FAILS(vfio_attach(dev, VFIO_DEVICE_ATTACH_PASID, 1, &pt), EINVAL);
	CHECK(vfio_attach(dev, 0, 0, &pt) == 0 && pt == hwpt);
	CHECK(vfio_attach(dev, VFIO_DEVICE_ATTACH_PASID, 1, &pt) == 0 && pt == hwpt);
	CHECK(vfio_attach(dev, VFIO_DEVICE_ATTACH_PASID, 1, &pt) == 0 && pt == hwpt);
	FAILS(vfio_attach(dev, VFIO_DEVICE_ATTACH_PASID, 1u << 20, &pt), EINVAL);
	FAILS(vfio_attach(dev, VFIO_DEVICE_ATTACH_PASID, 0, &pt), EINVAL);
	/* ... nor the RID to one that cannot, while a PASID is attached. */
	pt = ioas;
	FAILS(vfio_attach(dev, 0, 0, &pt), EINVAL);
	d.id = hwpt;
	FAILS(ioctl(iommu_fd, IOMMU_DESTROY, &d), EBUSY);

	memset(&u, 0, sizeof(u));
	u.det.argsz = VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE - 1;
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &u), EINVAL);
	u.det.argsz = sizeof(u.det);
	u.det.flags = 2;
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &u), EINVAL);
	u.det.flags = VFIO_DEVICE_DETACH_PASID;
	u.det.argsz = VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE;
	FAILS(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &u), EINVAL);
	u.det.argsz = sizeof(u.det) + 8;
	u.det.pasid = 1;
	CHECK(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &u) == 0);
	CHECK(detach(dev, VFIO_DEVICE_DETACH_PASID, 1) == 0);	/* not attached */
	CHECK(detach(dev, VFIO_DEVICE_DETACH_PASID, 5) == 0);
	CHECK(detach(dev, 0, 0) == 0);
	CHECK(ioctl(iommu_fd, IOMMU_DESTROY, &d) == 0);
	CHECK(detach(dev, 0, 0) == 0);
}

static void engine(int dev, uint32_t ioas)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas, .length = BUF,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };
	unsigned char *buf;
	uint64_t v;
	uint32_t pt = ioas, i;

	CHECK(eng_read32(dev, SIOMMU_DMAENG_ID) == SIOMMU_DMAENG_ID_VALUE);
	CHECK(eng_read32(dev, SIOMMU_DMAENG_VERSION) == 1);
	CHECK(eng_read32(dev, SIOMMU_DMAENG_STATUS) == SIOMMU_DMAENG_ST_IDLE);
	FAILS(pread(dev, &v, 2, SIOMMU_DMAENG_ID), EINVAL);
	FAILS(pread(dev, &v, 8, SIOMMU_DMAENG_SRC + 4), EINVAL);
	FAILS(pread(dev, &v, 4, SIOMMU_DMAENG_BAR_SIZE), EINVAL);
	FAILS(pread(dev, &v, 4, 1ull << 40), EINVAL);	/* BAR1: empty */
	FAILS(pread(dev, &v, 4, -1), EINVAL);
	/* 64-bit registers in halves; read-only ones keep their value. */
	CHECK(pwrite(dev, &(uint32_t){ 0x1234 }, 4, SIOMMU_DMAENG_SRC + 4) == 4);
	CHECK(pread(dev, &v, 8, SIOMMU_DMAENG_SRC) == 8 && v == 0x123400000000ull);
	CHECK(pwrite(dev, &(uint32_t){ 9 }, 4, SIOMMU_DMAENG_ID) == 4);
	CHECK(eng_read32(dev, SIOMMU_DMAENG_ID) == SIOMMU_DMAENG_ID_VALUE);
	CHECK(eng_read32(dev, SIOMMU_DMAENG_DOORBELL) == 0);

	eng_write64(dev, SIOMMU_DMAENG_LEN, 0);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_INVALID);
	eng_write64(dev, SIOMMU_DMAENG_LEN, SIOMMU_DMAENG_MAX_LEN + 1ull);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_INVALID);

	/* A copy between two halves of our buffer, through the IOMMU. */
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	for (i = 0; i < BUF / 2; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	m.user_va = (uintptr_t)buf;
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_MAP, &m) == 0);
	CHECK(vfio_attach(dev, 0, 0, &pt) == 0);
	eng_write64(dev, SIOMMU_DMAENG_SRC, m.iova);
	eng_write64(dev, SIOMMU_DMAENG_DST, m.iova + BUF / 2);
	eng_write64(dev, SIOMMU_DMAENG_LEN, BUF / 2);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_DONE);
	CHECK(!memcmp(buf, buf + BUF / 2, BUF / 2));
	CHECK(pread(dev, &v, 8, SIOMMU_DMAENG_DONE_BYTES) == 8 && v == BUF / 2);

	/* The destination runs off the mapping: a page request nobody takes
	 * (the HWPT has no fault queue) is refused, the copy stops there. */
	eng_write64(dev, SIOMMU_DMAENG_DST, m.iova + BUF - 4096);
	eng_write64(dev, SIOMMU_DMAENG_LEN, 8192);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_FAULT);
	CHECK(pread(dev, &v, 8, SIOMMU_DMAENG_FAULT_ADDR) == 8 && v == m.iova + BUF);
	CHECK(pread(dev, &v, 8, SIOMMU_DMAENG_DONE_BYTES) == 8 && v == 4096);
	/* A PASID the device lacks is refused at the doorbell. */
	CHECK(pwrite(dev, &(uint32_t){ 1u << 20 }, 4, SIOMMU_DMAENG_PASID) == 4);
	CHECK(pwrite(dev, &(uint32_t){ SIOMMU_DMAENG_CTRL_PASID }, 4, SIOMMU_DMAENG_CTRL) == 4);
	CHECK(eng_run(dev) == SIOMMU_DMAENG_ST_INVALID);
	CHECK(detach(dev, 0, 0) == 0);
	CHECK(ioctl(iommu_fd, IOMMU_IOAS_UNMAP, &(struct iommu_ioas_unmap){
		.size = sizeof(struct iommu_ioas_unmap), .ioas_id = ioas,
		.length = UINT64_MAX }) == 0);
	munmap(buf, BUF);
}

int main(void)
{
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	uint32_t dev_id, id2, ioas;
	int dev, dev2;

	FAILS(open("/dev/vfio/devices/vfio4", O_RDWR), ENOENT);
	iommu_fd = open("/dev/iommu", O_RDWR);
	CHECK(iommu_fd >= 0);
	dev = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0);
	CHECK(fcntl(dev, F_GETFD) & FD_CLOEXEC);
	bind_rules(dev, &dev_id);
	info_rules(dev);
	ioas = ioas_alloc();
	attach_rules(dev, dev_id, ioas);
	engine(dev, ioas);

	/* A dup keeps the binding; the last close unbinds. */
	dev2 = dup(dev);
	CHECK(dev2 >= 0 && close(dev) == 0);
	hw.dev_id = dev_id;
	CHECK(ioctl(iommu_fd, IOMMU_GET_HW_INFO, &hw) == 0);
	CHECK(hw.out_max_pasid_log2 == 20);
	CHECK(close(dev2) == 0);
	hw.data_len = 0;
	FAILS(ioctl(iommu_fd, IOMMU_GET_HW_INFO, &hw), ENOENT);

	/* The device binds again; a bound device keeps its context after
	 * the iommufd fd is closed. */
	dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(dev >= 0);
	CHECK(vfio_bind(dev, iommu_fd, &id2) == 0);
	dev2 = open("/dev/vfio/devices/vfio3", O_RDWR);
	CHECK(dev2 >= 0);
	CHECK(vfio_bind(dev2, iommu_fd, &dev_id) == 0);
	CHECK(close(iommu_fd) == 0);
	CHECK(vfio_attach(dev, 0, 0, &ioas) == 0);
	CHECK(close(dev) == 0);
	CHECK(close(dev2) == 0);
	puts("VFIO device files: ok");
	return 0;
}
