/* SPDX-License-Identifier: MIT */
/*
 * Bad pointers in the opener's own ioctls: what Linux's copy_from_user()
 * and copy_to_user() turn into -EFAULT must be -EFAULT here too, never a
 * crash. For every iommufd request (and the VFIO type1 container's on
 * the same fd), the struct NULL, in an unmapped page, and read-only where
 * the call answers in it; for every array a struct names, the same, and
 * an array that ends before its count does. After each, the state is
 * Linux's: a call refused before it acts changes nothing, and one whose
 * answer cannot be written did what it did (a mapping made or removed
 * stays so), except that an object it made goes again; no dirty bit is
 * cleared into a bitmap that cannot take it. The normal call still works
 * after; IOMMU_TEST_CMD's buffers (DIRTY's bitmap, ACCESS_RW's both ways)
 * the same. Run in test mode (IOMMU_TEST_CMD's mock devices).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_test.h>
#include <siommu/vfio_abi.h>

#include "badmem.h"
#include "prog.h"

static int fd;

/* The ID the next object gets, found by making and destroying one: the
 * same before and after a failed call means it made nothing. */
static uint32_t next_id(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_destroy d = { .size = sizeof(d) };

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	d.id = a.out_ioas_id;
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) == 0);
	return a.out_ioas_id;
}

static uint32_t id_step;	/* what next_id() advances by on its own */
static uint32_t last_id;

static void ids_mark(void)
{
	last_id = next_id();
}

/* Nothing was made since ids_mark(). */
static void ids_same(void)
{
	uint32_t id = next_id();

	CHECK(id == last_id + id_step);
	last_id = id;
}

/* Bytes mapped in @ioas over [@iova, @iova + @len), unmapping them. */
static uint64_t unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = iova,
				      .length = len };

	if (ioctl(fd, IOMMU_IOAS_UNMAP, &u))
		return 0;
	return u.length;
}

/* Every request's struct: NULL and an unmapped page are -EFAULT. */
static void structs(void)
{
	static const unsigned long req[] = {
		IOMMU_DESTROY, IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_COPY,
		IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP, IOMMU_OPTION,
		IOMMU_VFIO_IOAS, IOMMU_HWPT_ALLOC, IOMMU_GET_HW_INFO,
		IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP,
		IOMMU_FAULT_QUEUE_ALLOC, IOMMU_IOAS_MAP_FILE, IOMMU_HWPT_INVALIDATE,
		IOMMU_VIOMMU_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC,
		IOMMU_HW_QUEUE_ALLOC, IOMMU_TEST_CMD, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA,
		VFIO_IOMMU_UNMAP_DMA,
	};
	unsigned int i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		FAILS(ioctl(fd, req[i], NULL), EFAULT);
		FAILS(ioctl(fd, req[i], hole), EFAULT);
		/* The size readable, the rest not. */
		FAILS(ioctl(fd, req[i], at_end(&(uint32_t){ PG }, 4)), EFAULT);
	}
}

int main(void)
{
	struct iommu_test_cmd mock = { .size = sizeof(mock), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_ioas_map m = { .size = sizeof(m) };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	struct iommu_ioas_copy cp = { .size = sizeof(cp) };
	struct iommu_ioas_iova_ranges rg = { .size = sizeof(rg) };
	struct iommu_ioas_allow_iovas al = { .size = sizeof(al) };
	struct iommu_iova_range ranges[4];
	struct iommu_hw_info hi = { .size = sizeof(hi) };
	struct iommu_test_hw_info info;
	struct iommu_hwpt_selftest nd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv) };
	struct iommu_hwpt_invalidate_selftest ent = { 0, 0 };
	struct iommu_hwpt_set_dirty_tracking st = { .size = sizeof(st) };
	struct iommu_hwpt_get_dirty_bitmap gb = { .size = sizeof(gb) };
	struct iommu_test_cmd dirty = { .size = sizeof(dirty), .op = IOMMU_TEST_OP_DIRTY };
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	struct iommu_test_cmd rw = { .size = sizeof(rw), .op = IOMMU_TEST_OP_ACCESS_RW };
	struct iommu_test_cmd ap = { .size = sizeof(ap), .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct iommu_test_cmd dap = { .size = sizeof(dap),
				      .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES };
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_SELFTEST };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_vfio_ioas vi = { .size = sizeof(vi), .op = IOMMU_VFIO_IOAS_SET };
	struct vfio_iommu_type1_info vinfo = { .argsz = sizeof(vinfo) };
	struct vfio_iommu_type1_dma_map dm = { .argsz = sizeof(dm) };
	struct vfio_iommu_type1_dma_unmap du = { .argsz = sizeof(du) };
	uint32_t ioas, idev, parent, dhwpt, stdev, first, n;
	uint64_t bits, iova = MOCK_APERTURE_START;
	uint8_t *buf;

	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	badmem_init();
	buf = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 0x5a, 16 * PG);

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &ia) == 0);
	ioas = ia.out_ioas_id;
	mock.id = ioas;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &mock) == 0);
	idev = mock.mock_domain.out_idev_id;
	first = next_id();
	id_step = next_id() - first;
	ids_mark();

	structs();
	ids_same();

	/* IOAS_ALLOC answering in a read-only struct: no IOAS. */
	FAILS(ioctl(fd, IOMMU_IOAS_ALLOC, ro_copy(&ia, sizeof(ia))), EFAULT);
	ids_same();

	/* The mock driver's: no mock device, no access (nothing holds the
	 * IOAS after). */
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &ia) == 0);
	mock.id = ia.out_ioas_id;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, ro_copy(&mock, sizeof(mock))), EFAULT);
	ca.id = ia.out_ioas_id;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, ro_copy(&ca, sizeof(ca))), EFAULT);
	CHECK(ioctl(fd, IOMMU_DESTROY, &(struct iommu_destroy){ sizeof(struct iommu_destroy),
								 ia.out_ioas_id }) == 0);
	ids_mark();

	/* IOAS_MAP: the mapping is made; IOAS_COPY: the copy too; then
	 * IOAS_UNMAP: the mapping is gone. */
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)buf;
	m.length = 4 * PG;
	m.iova = iova;
	FAILS(ioctl(fd, IOMMU_IOAS_MAP, ro_copy(&m, sizeof(m))), EFAULT);
	CHECK(unmap(ioas, iova, 4 * PG) == 4 * PG);
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &ia) == 0);
	cp.dst_ioas_id = ia.out_ioas_id;
	cp.src_ioas_id = ioas;
	cp.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	cp.src_iova = iova;
	cp.dst_iova = iova;
	cp.length = 4 * PG;
	FAILS(ioctl(fd, IOMMU_IOAS_COPY, ro_copy(&cp, sizeof(cp))), EFAULT);
	CHECK(unmap(ia.out_ioas_id, iova, 4 * PG) == 4 * PG);
	CHECK(ioctl(fd, IOMMU_DESTROY, &(struct iommu_destroy){ sizeof(struct iommu_destroy),
								 ia.out_ioas_id }) == 0);
	ids_mark();
	um.ioas_id = ioas;
	um.iova = iova;
	um.length = 4 * PG;
	FAILS(ioctl(fd, IOMMU_IOAS_UNMAP, ro_copy(&um, sizeof(um))), EFAULT);
	FAILS(ioctl(fd, IOMMU_IOAS_UNMAP, &um), ENOENT);
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
	CHECK(ioctl(fd, IOMMU_IOAS_UNMAP, &um) == 0 && um.length == 4 * PG);

	/* IOAS_IOVA_RANGES's out array. */
	rg.ioas_id = ioas;
	rg.num_iovas = 4;
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg), EFAULT);
	rg.allowed_iovas = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg), EFAULT);
	rg.allowed_iovas = (uintptr_t)ro;
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg), EFAULT);
	rg.allowed_iovas = (uintptr_t)ranges;
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg) == 0 && rg.num_iovas >= 1);
	CHECK(rg.num_iovas <= 4);
	/* Only the ranges there are are written, as Linux's: room for them
	 * is enough, whatever the count; one less is not. */
	n = rg.num_iovas;
	rg.num_iovas = 4;
	rg.allowed_iovas = (uintptr_t)(rw_end - n * sizeof(ranges[0]));
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg) == 0 && rg.num_iovas == n);
	rg.num_iovas = 4;
	rg.allowed_iovas = (uintptr_t)(rw_end - (n - 1) * sizeof(ranges[0]));
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg), EFAULT);
	/* An answer that cannot be written is EFAULT, whatever else the
	 * call says. */
	rg.num_iovas = 0;
	rg.allowed_iovas = 0;
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rg), EMSGSIZE);
	CHECK(rg.num_iovas == n);
	rg.num_iovas = 0;
	FAILS(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, ro_copy(&rg, sizeof(rg))), EFAULT);

	/* ALLOW_IOVAS's in array. */
	al.ioas_id = ioas;
	al.num_iovas = 1;
	FAILS(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al), EFAULT);
	al.allowed_iovas = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al), EFAULT);
	ranges[0] = (struct iommu_iova_range){ iova, iova + 16 * PG - 1 };
	al.allowed_iovas = (uintptr_t)at_end(ranges, sizeof(ranges[0]));
	al.num_iovas = 2;
	FAILS(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al), EFAULT);
	al.num_iovas = 1;
	al.allowed_iovas = (uintptr_t)ranges;
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al) == 0);
	al.num_iovas = 0;
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al) == 0);

	/* GET_HW_INFO's data. */
	hi.dev_id = idev;
	hi.data_len = sizeof(info);
	FAILS(ioctl(fd, IOMMU_GET_HW_INFO, &hi), EFAULT);
	hi.data_uptr = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_GET_HW_INFO, &hi), EFAULT);
	hi.data_uptr = (uintptr_t)ro;
	FAILS(ioctl(fd, IOMMU_GET_HW_INFO, &hi), EFAULT);
	hi.data_uptr = (uintptr_t)&info;
	FAILS(ioctl(fd, IOMMU_GET_HW_INFO, ro_copy(&hi, sizeof(hi))), EFAULT);
	CHECK(ioctl(fd, IOMMU_GET_HW_INFO, &hi) == 0);
	CHECK(info.test_reg == IOMMU_HW_INFO_SELFTEST_REGVAL);

	/* HWPT_ALLOC: the struct, and a nested one's data; no HWPT. */
	ha.dev_id = idev;
	ha.pt_id = ioas;
	ha.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	ids_mark();
	FAILS(ioctl(fd, IOMMU_HWPT_ALLOC, ro_copy(&ha, sizeof(ha))), EFAULT);
	ids_same();
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &ha) == 0);
	parent = ha.out_hwpt_id;
	ha.flags = 0;
	ha.pt_id = parent;
	ha.data_type = IOMMU_HWPT_DATA_SELFTEST;
	ha.data_len = sizeof(nd);
	ids_mark();
	FAILS(ioctl(fd, IOMMU_HWPT_ALLOC, &ha), EFAULT);
	ha.data_uptr = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_HWPT_ALLOC, &ha), EFAULT);
	ha.data_uptr = (uintptr_t)&nd;
	FAILS(ioctl(fd, IOMMU_HWPT_ALLOC, ro_copy(&ha, sizeof(ha))), EFAULT);
	ids_same();
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &ha) == 0);

	/* HWPT_INVALIDATE: a count within bounds, past the array. The
	 * entries are read one by one, as Linux's drivers do: those before
	 * the first unreadable one are handled, and entry_num says so. A
	 * HWPT that takes no invalidation says so first. */
	inv.hwpt_id = ha.out_hwpt_id;
	inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	inv.entry_len = sizeof(ent);
	inv.entry_num = 2;
	inv.data_uptr = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv), EFAULT);
	CHECK(inv.entry_num == 0);
	inv.entry_num = 2;
	inv.hwpt_id = parent;
	FAILS(ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv), EINVAL);
	CHECK(inv.entry_num == 0);
	inv.hwpt_id = ha.out_hwpt_id;
	inv.entry_num = 3;
	inv.data_uptr = (uintptr_t)at_end(&ent, sizeof(ent));
	FAILS(ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv), EFAULT);
	CHECK(inv.entry_num == 1);
	inv.entry_num = 1;
	CHECK(ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv) == 0 && inv.entry_num == 1);
	inv.hwpt_id = ioas;	/* not a nested HWPT */
	FAILS(ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv), EINVAL);
	FAILS(ioctl(fd, IOMMU_HWPT_INVALIDATE, ro_copy(&inv, sizeof(inv))), EFAULT);
	inv.hwpt_id = ha.out_hwpt_id;

	/* VIOMMU_ALLOC: the struct and the mock's data; no vIOMMU. */
	va.dev_id = idev;
	va.hwpt_id = parent;
	ids_mark();
	FAILS(ioctl(fd, IOMMU_VIOMMU_ALLOC, ro_copy(&va, sizeof(va))), EFAULT);
	va.data_len = 4;
	va.data_uptr = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va), EFAULT);
	ids_same();
	va.data_len = 0;
	va.data_uptr = 0;
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == 0);

	/* FAULT_QUEUE_ALLOC: no fault object, no fd. */
	ids_mark();
	FAILS(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, ro_copy(&fa, sizeof(fa))), EFAULT);
	ids_same();
	CHECK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0);
	CHECK(close((int)fa.out_fault_fd) == 0);

	/* GET_DIRTY_BITMAP's bitmap: bits not cleared when it is not there. */
	ha = (struct iommu_hwpt_alloc){ .size = sizeof(ha), .dev_id = idev, .pt_id = ioas,
					.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &ha) == 0);
	dhwpt = ha.out_hwpt_id;
	ca.id = ioas;
	mock.id = dhwpt;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &mock) == 0);
	stdev = mock.mock_domain.out_stdev_id;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
	st.hwpt_id = dhwpt;
	st.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	CHECK(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &st) == 0);
	bits = 0x5;
	dirty.id = dhwpt;
	dirty.dirty.iova = iova;
	dirty.dirty.length = 4 * PG;
	dirty.dirty.page_size = MOCK_PAGE_SIZE;
	dirty.dirty.uptr = (uintptr_t)&bits;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &dirty) == 0);
	gb.hwpt_id = dhwpt;
	gb.iova = iova;
	gb.length = 4 * PG;
	gb.page_size = MOCK_PAGE_SIZE;
	FAILS(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb), EFAULT);
	gb.data = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb), EFAULT);
	gb.data = (uintptr_t)ro;
	FAILS(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb), EFAULT);
	bits = 0;
	gb.data = (uintptr_t)&bits;
	CHECK(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gb) == 0 && bits == 0x5);
	/* TEST_CMD's buffers: DIRTY's bitmap, ACCESS_RW's both ways. */
	dirty.dirty.uptr = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, &dirty), EFAULT);
	/* ACCESS_PAGES: the pages pinned are let go again. */
	ca.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &ca) == 0);
	ap.id = ca.create_access.out_access_fd;
	ap.access_pages.iova = iova;
	ap.access_pages.length = PG;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, ro_copy(&ap, sizeof(ap))), EFAULT);
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &ap) == 0);
	dap.id = ap.id;
	dap.destroy_access_pages.access_pages_id = ap.access_pages.out_access_pages_id - 1;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, &dap), ENOENT);
	dap.destroy_access_pages.access_pages_id = ap.access_pages.out_access_pages_id;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &dap) == 0);
	CHECK(close((int)ap.id) == 0);
	ca.create_access.flags = 0;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &ca) == 0);
	rw.id = ca.create_access.out_access_fd;
	rw.access_rw.iova = iova;
	rw.access_rw.length = 64;
	rw.access_rw.uptr = (uintptr_t)hole;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, &rw), EFAULT);
	rw.access_rw.uptr = (uintptr_t)ro;
	FAILS(ioctl(fd, IOMMU_TEST_CMD, &rw), EFAULT);
	rw.access_rw.flags = MOCK_ACCESS_RW_WRITE;
	rw.access_rw.uptr = (uintptr_t)at_end(&bits, 8);
	FAILS(ioctl(fd, IOMMU_TEST_CMD, &rw), EFAULT);
	CHECK(buf[0] == 0x5a && buf[63] == 0x5a);
	rw.access_rw.flags = 0;
	rw.access_rw.uptr = (uintptr_t)ranges;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &rw) == 0);
	CHECK(((uint8_t *)ranges)[0] == 0x5a && ((uint8_t *)ranges)[63] == 0x5a);
	CHECK(close((int)ca.create_access.out_access_fd) == 0);
	CHECK(unmap(ioas, iova, 4 * PG) == 4 * PG);
	CHECK(ioctl(fd, IOMMU_DESTROY, &(struct iommu_destroy){ sizeof(struct iommu_destroy),
								 stdev }) == 0);

	/* The VFIO type1 container on the same fd. */
	vi.ioas_id = ioas;
	CHECK(ioctl(fd, IOMMU_VFIO_IOAS, &vi) == 0);
	FAILS(ioctl(fd, VFIO_IOMMU_GET_INFO, ro_copy(&vinfo, sizeof(vinfo))), EFAULT);
	/* Room claimed for the capability chain, which is not there. */
	vinfo.argsz = 256;
	FAILS(ioctl(fd, VFIO_IOMMU_GET_INFO, at_end(&vinfo, sizeof(vinfo))), EFAULT);
	vinfo.argsz = sizeof(vinfo);
	CHECK(ioctl(fd, VFIO_IOMMU_GET_INFO, &vinfo) == 0);
	dm.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	dm.vaddr = (uintptr_t)buf;
	dm.iova = iova;
	dm.size = 4 * PG;
	du.iova = iova;
	du.size = 4 * PG;
	/* MAP_DMA has nothing to answer; UNMAP_DMA unmaps, then cannot say
	 * so. */
	CHECK(ioctl(fd, VFIO_IOMMU_MAP_DMA, ro_copy(&dm, sizeof(dm))) == 0);
	FAILS(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, ro_copy(&du, sizeof(du))), EFAULT);
	CHECK(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &du) == 0 && du.size == 0);
	CHECK(ioctl(fd, VFIO_IOMMU_MAP_DMA, &dm) == 0);
	du.size = 4 * PG;
	CHECK(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &du) == 0 && du.size == 4 * PG);

	/* And a normal call still works. */
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0 && unmap(ioas, iova, 4 * PG) == 4 * PG);
	CHECK(close(fd) == 0);
	return 0;
}
