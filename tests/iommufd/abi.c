/* SPDX-License-Identifier: MIT */
/*
 * The binary iommufd ABI through siommu_iommufd_ioctl(), written as a
 * program against Linux's /dev/iommu would be: it knows the ABI header
 * and the ioctl entry point only (the devices, their attachment and their
 * DMA come from abi_env.h, as a kernel's drivers would provide them).
 *   - dispatch: a NULL argument, foreign and unknown requests, commands
 *     this implementation does not provide;
 *   - every command's struct at min_size - 1 (-EINVAL), sizeof + 1 with a
 *     non-zero byte (-E2BIG), sizeof + 8 zero bytes (as exact), and its
 *     first published size (outputs never written past the caller's
 *     size); refused calls leave the caller's struct as it was;
 *   - each command's success and error paths: flags, reserved fields,
 *     types, the values written back (IOVAs, bytes unmapped, -EMSGSIZE
 *     with the count, data_len in/out, capabilities), the fault queue's
 *     fd following the queue's readiness under poll(), and its read and
 *     write record formats (ESPIPE rules, whole groups, cookies, answers
 *     reaching the device, a bad answer stopping the batch); vEVENTQ and
 *     HW queue checks before their vIOMMU, in Linux's order.
 * Behind each unit type (SIOMMU_TEST_UNIT), with the driver's answers
 * where they differ: GET_HW_INFO's type, data and capabilities, dirty
 * tracking (none on SMMUv3: refused), and nesting (VT-d's first-stage
 * data on the nest parent, no vIOMMU; SMMUv3's guest STE from a vIOMMU,
 * whose HWPT_INVALIDATE takes the guest's commands).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd.h>
#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/vfio_abi.h>

#include "abi_env.h"
#include "test.h"

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA
#define SZ 16384

/* Memory the fixtures map: the same addresses in every fixture. */
static uint8_t *buf, *buf2;
static struct iommu_iova_range ranges[8];
static uint64_t bitmap[4];
static uint8_t info_data[64];
/* The driver under test (abi_env_hw_info_type()): SMMUv3, else VT-d; and
 * whether its unit tracks dirty pages (SMMUv3's updates access flags
 * only). */
static bool smmuv3, has_dirty;

/* The size of the driver's GET_HW_INFO data. */
static uint32_t info_len(void)
{
	return smmuv3 ? sizeof(struct iommu_hw_info_arm_smmuv3) : sizeof(struct iommu_hw_info_vtd);
}

struct fx {
	struct abi_env *e;
	struct siommu_iommufd *ictx;
	uint32_t ioas, ioas2, hwpt;
	int memfd;
};

static int io(struct fx *f, unsigned long req, void *arg)
{
	return siommu_iommufd_ioctl(f->ictx, req, arg);
}

/* A context with two IOASes, SZ bytes of buf mapped at 0x100000 in the
 * first, a HWPT of it for device 0 (dirty-tracking where the unit tracks
 * dirty pages), and a memfd. */
static void fx_setup(struct fx *f)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = RW | FIXED, .user_va = (uintptr_t)buf,
		.length = SZ, .iova = 0x100000,
	};
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = has_dirty ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0,
	};

	memset(f, 0, sizeof(*f));
	f->e = abi_env_create(UINT64_MAX);
	f->ictx = abi_env_ictx(f->e);
	CHECK_OK(io(f, IOMMU_IOAS_ALLOC, &a));
	f->ioas = a.out_ioas_id;
	CHECK_OK(io(f, IOMMU_IOAS_ALLOC, &a));
	f->ioas2 = a.out_ioas_id;
	m.ioas_id = f->ioas;
	CHECK_OK(io(f, IOMMU_IOAS_MAP, &m));
	h.dev_id = abi_env_dev(f->e, 0);
	h.pt_id = f->ioas;
	CHECK_OK(io(f, IOMMU_HWPT_ALLOC, &h));
	f->hwpt = h.out_hwpt_id;
	f->memfd = memfd_create("abi", MFD_CLOEXEC);
	CHECK(f->memfd >= 0);
	CHECK_OK(ftruncate(f->memfd, SZ));
}

static void fx_teardown(struct fx *f)
{
	abi_env_destroy(f->e);
	close(f->memfd);
}

/* ---- every command's struct at every size ---- */

static void fill_destroy(struct fx *f, void *p)
{
	*(struct iommu_destroy *)p = (struct iommu_destroy){ .id = f->ioas2 };
}

static void fill_ioas_alloc(struct fx *f, void *p)
{
	(void)f;
	*(struct iommu_ioas_alloc *)p = (struct iommu_ioas_alloc){ 0 };
}

static void fill_allow_iovas(struct fx *f, void *p)
{
	ranges[0] = (struct iommu_iova_range){ 0x10000000, 0x1fffffff };
	*(struct iommu_ioas_allow_iovas *)p = (struct iommu_ioas_allow_iovas){
		.ioas_id = f->ioas, .num_iovas = 1, .allowed_iovas = (uintptr_t)ranges,
	};
}

static void fill_copy(struct fx *f, void *p)
{
	*(struct iommu_ioas_copy *)p = (struct iommu_ioas_copy){
		.flags = RW | FIXED, .dst_ioas_id = f->ioas2, .src_ioas_id = f->ioas,
		.length = SZ, .dst_iova = 0x200000, .src_iova = 0x100000,
	};
}

static void fill_iova_ranges(struct fx *f, void *p)
{
	memset(ranges, 0, sizeof(ranges));
	*(struct iommu_ioas_iova_ranges *)p = (struct iommu_ioas_iova_ranges){
		.ioas_id = f->ioas, .num_iovas = 8, .allowed_iovas = (uintptr_t)ranges,
	};
}

static void fill_map(struct fx *f, void *p)
{
	*(struct iommu_ioas_map *)p = (struct iommu_ioas_map){
		.flags = RW, .ioas_id = f->ioas, .user_va = (uintptr_t)buf2, .length = 4096,
	};
}

static void fill_unmap(struct fx *f, void *p)
{
	*(struct iommu_ioas_unmap *)p = (struct iommu_ioas_unmap){
		.ioas_id = f->ioas, .iova = 0x100000, .length = SZ,
	};
}

static void fill_option(struct fx *f, void *p)
{
	*(struct iommu_option *)p = (struct iommu_option){
		.option_id = IOMMU_OPTION_HUGE_PAGES, .op = IOMMU_OPTION_OP_GET,
		.object_id = f->ioas, .val64 = 77,
	};
}

/* GET of the compatibility IOAS, which the fixture's second IOAS is. */
static void fill_vfio_ioas(struct fx *f, void *p)
{
	CHECK_OK(siommu_vfio_ioas_set(f->ictx, f->ioas2));
	*(struct iommu_vfio_ioas *)p = (struct iommu_vfio_ioas){ .op = IOMMU_VFIO_IOAS_GET };
}

static void fill_hwpt_alloc(struct fx *f, void *p)
{
	*(struct iommu_hwpt_alloc *)p = (struct iommu_hwpt_alloc){
		.dev_id = abi_env_dev(f->e, 1), .pt_id = f->ioas,
	};
}

static void fill_hw_info(struct fx *f, void *p)
{
	memset(info_data, 0xee, sizeof(info_data));
	*(struct iommu_hw_info *)p = (struct iommu_hw_info){
		.dev_id = abi_env_dev(f->e, 0), .data_len = info_len(),
		.data_uptr = (uintptr_t)info_data,
	};
}

static void fill_set_dirty(struct fx *f, void *p)
{
	*(struct iommu_hwpt_set_dirty_tracking *)p = (struct iommu_hwpt_set_dirty_tracking){
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = f->hwpt,
	};
}

static void fill_get_dirty(struct fx *f, void *p)
{
	memset(bitmap, 0, sizeof(bitmap));
	*(struct iommu_hwpt_get_dirty_bitmap *)p = (struct iommu_hwpt_get_dirty_bitmap){
		.hwpt_id = f->hwpt, .iova = 0x100000, .length = SZ, .page_size = 4096,
		.data = (uintptr_t)bitmap,
	};
}

static void fill_fault_alloc(struct fx *f, void *p)
{
	(void)f;
	*(struct iommu_fault_alloc *)p = (struct iommu_fault_alloc){ 0 };
}

static void fill_map_file(struct fx *f, void *p)
{
	*(struct iommu_ioas_map_file *)p = (struct iommu_ioas_map_file){
		.flags = RW | FIXED, .ioas_id = f->ioas, .fd = f->memfd, .start = 4096,
		.length = 4096, .iova = 0x400000,
	};
}

static void fill_invalidate(struct fx *f, void *p)
{
	*(struct iommu_hwpt_invalidate *)p = (struct iommu_hwpt_invalidate){
		.hwpt_id = f->hwpt, .data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(struct iommu_hwpt_vtd_s1_invalidate),
	};
}

static void fill_viommu(struct fx *f, void *p)
{
	*(struct iommu_viommu_alloc *)p = (struct iommu_viommu_alloc){
		.type = IOMMU_VIOMMU_TYPE_DEFAULT, .dev_id = abi_env_dev(f->e, 0),
		.hwpt_id = f->hwpt,
	};
}

static void fill_vdevice(struct fx *f, void *p)
{
	*(struct iommu_vdevice_alloc *)p = (struct iommu_vdevice_alloc){
		.viommu_id = 1000, .dev_id = abi_env_dev(f->e, 0), .virt_id = 7,
	};
}

static void fill_veventq(struct fx *f, void *p)
{
	(void)f;
	*(struct iommu_veventq_alloc *)p = (struct iommu_veventq_alloc){
		.viommu_id = 1000, .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 2,
	};
}

static void fill_hw_queue(struct fx *f, void *p)
{
	(void)f;
	*(struct iommu_hw_queue_alloc *)p = (struct iommu_hw_queue_alloc){
		.viommu_id = 1000, .type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV,
		.nesting_parent_iova = 0x100000, .length = 4096,
	};
}

struct cmd {
	const char *name;
	unsigned long req;
	uint32_t size, min_size;
	void (*fill)(struct fx *f, void *p);
	int fd_at;		/* offset of an fd output to close, or -1 */
	int want;		/* what the exact struct gives; WANT_DIRTY: */
};

/* 0 where the unit tracks dirty pages, else -EOPNOTSUPP (the fixture's
 * HWPT then tracks nothing). */
#define WANT_DIRTY 1

static int want(const struct cmd *c)
{
	if (c->want == WANT_DIRTY)
		return has_dirty ? 0 : -EOPNOTSUPP;
	return c->want;
}

#define CMD(req, s, fill, fd_at) \
	{ #req, IOMMU_##req, sizeof(struct s), IOMMUFD_##req##_MIN_SIZE, fill, fd_at, 0 }
#define CMD_ERR(req, s, fill, want) \
	{ #req, IOMMU_##req, sizeof(struct s), IOMMUFD_##req##_MIN_SIZE, fill, -1, want }

static const struct cmd cmds[] = {
	CMD(DESTROY, iommu_destroy, fill_destroy, -1),
	CMD(IOAS_ALLOC, iommu_ioas_alloc, fill_ioas_alloc, -1),
	CMD(IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, fill_allow_iovas, -1),
	CMD(IOAS_COPY, iommu_ioas_copy, fill_copy, -1),
	CMD(IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, fill_iova_ranges, -1),
	CMD(IOAS_MAP, iommu_ioas_map, fill_map, -1),
	CMD(IOAS_UNMAP, iommu_ioas_unmap, fill_unmap, -1),
	CMD(OPTION, iommu_option, fill_option, -1),
	CMD(VFIO_IOAS, iommu_vfio_ioas, fill_vfio_ioas, -1),
	CMD(HWPT_ALLOC, iommu_hwpt_alloc, fill_hwpt_alloc, -1),
	{ "GET_HW_INFO", IOMMU_GET_HW_INFO, sizeof(struct iommu_hw_info),
	  IOMMUFD_GET_HW_INFO_MIN_SIZE, fill_hw_info, -1, 0 },
	CMD_ERR(HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, fill_set_dirty,
		WANT_DIRTY),
	CMD_ERR(HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, fill_get_dirty, WANT_DIRTY),
	CMD(FAULT_QUEUE_ALLOC, iommu_fault_alloc, fill_fault_alloc,
	    offsetof(struct iommu_fault_alloc, out_fault_fd)),
	CMD(IOAS_MAP_FILE, iommu_ioas_map_file, fill_map_file, -1),
	/* Refused by what they name, after the size rules: a paging HWPT
	 * takes no invalidation, DEFAULT is no vIOMMU type, no vIOMMU 1000. */
	CMD_ERR(HWPT_INVALIDATE, iommu_hwpt_invalidate, fill_invalidate, -EINVAL),
	CMD_ERR(VIOMMU_ALLOC, iommu_viommu_alloc, fill_viommu, -EOPNOTSUPP),
	CMD_ERR(VDEVICE_ALLOC, iommu_vdevice_alloc, fill_vdevice, -ENOENT),
	CMD_ERR(VEVENTQ_ALLOC, iommu_veventq_alloc, fill_veventq, -ENOENT),
	CMD_ERR(HW_QUEUE_ALLOC, iommu_hw_queue_alloc, fill_hw_queue, -ENOENT),
};

#define ARG_MAX 128

/* Run @c with its struct claiming @usize bytes, bytes past sizeof set to
 * @tail and bytes past usize (below sizeof) poisoned; on a fresh fixture.
 * Returns the result; @out gets the caller's bytes afterwards. */
static int run_sized(const struct cmd *c, uint32_t usize, uint8_t tail, uint8_t *out)
{
	uint8_t arg[ARG_MAX], before[ARG_MAX];
	struct fx f;
	int ret;

	fx_setup(&f);
	memset(arg, 0, sizeof(arg));
	c->fill(&f, arg);
	if (usize > c->size)
		memset(arg + c->size, 0, usize - c->size);
	if (usize > c->size && tail)
		arg[usize - 1] = tail;
	if (usize < c->size)
		memset(arg + usize, 0xa5, c->size - usize);
	memcpy(arg, &usize, sizeof(usize));
	memcpy(before, arg, sizeof(arg));
	ret = io(&f, c->req, arg);
	/* Never a byte past the caller's size. */
	CHECK(!memcmp(arg + usize, before + usize, sizeof(arg) - usize));
	if (!ret && c->fd_at >= 0) {
		int fd;

		memcpy(&fd, arg + c->fd_at, sizeof(fd));
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}
	memcpy(out, arg, sizeof(arg));
	fx_teardown(&f);
	return ret;
}

static void lengths(void)
{
	uint8_t exact[ARG_MAX], other[ARG_MAX], before[ARG_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd *c = &cmds[i];
		struct fx f;

		fprintf(stderr, "%s: size %u, min %u\n", c->name, c->size, c->min_size);
		CHECK(c->size <= ARG_MAX - 8);
		CHECK_EQ(run_sized(c, c->size, 0, exact), want(c));

		/* Too short, too long with a non-zero byte: refused, the
		 * struct untouched. */
		fx_setup(&f);
		memset(other, 0, sizeof(other));
		c->fill(&f, other);
		*(uint32_t *)other = c->min_size - 1;
		memcpy(before, other, sizeof(other));
		CHECK_EQ(io(&f, c->req, other), -EINVAL);
		CHECK(!memcmp(before, other, sizeof(other)));
		*(uint32_t *)other = 0;
		CHECK_EQ(io(&f, c->req, other), -EINVAL);
		fx_teardown(&f);
		CHECK_EQ(run_sized(c, c->size + 1, 1, other), -E2BIG);
		CHECK_EQ(run_sized(c, c->size + 8, 0x80, other), -E2BIG);

		/* Longer with zeros: as exact. */
		CHECK_EQ(run_sized(c, c->size + 8, 0, other), want(c));
		CHECK(!memcmp(exact + 4, other + 4, c->size - 4));

		/* The first published size: works, outputs cut there. */
		if (c->min_size < c->size) {
			CHECK_EQ(run_sized(c, c->min_size, 0, other), want(c));
			CHECK(!memcmp(exact + 4, other + 4, c->min_size - 4));
		}
	}
}

/* ---- dispatch ---- */

static void dispatch(void)
{
	struct iommu_destroy d = { .size = sizeof(d) };
	/* The commands the object model does not provide, and beyond. */
	static const unsigned long absent[] = {
		_IO(';', 0x95), _IO(';', 0xa0), _IO(';', 0xff),
		_IO(';', 0x7f), _IO(';', 0x75), _IO(';', 0), _IO(':', 0x80),
		_IOWR(';', 0x80, struct iommu_destroy), IOMMU_DESTROY | 1ul << 32, 0,
	};
	uint8_t big[ARG_MAX];
	unsigned int i;
	struct fx f;

	fx_setup(&f);
	CHECK_EQ(io(&f, IOMMU_DESTROY, NULL), -EFAULT);
	CHECK_EQ(siommu_iommufd_ioctl(NULL, IOMMU_DESTROY, &d), -EINVAL);
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		memset(big, 0, sizeof(big));
		*(uint32_t *)big = 64;
		CHECK_EQ(io(&f, absent[i], big), -ENOTTY);
	}
	fx_teardown(&f);
}

/* ---- each command ---- */

static void destroy_ioas(void)
{
	struct iommu_destroy d = { .size = sizeof(d) };
	struct fx f;

	fx_setup(&f);
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -ENOENT);		/* ID 0 */
	d.id = 1000;
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -ENOENT);
	d.id = f.ioas;					/* a HWPT uses it */
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);
	d.id = abi_env_dev(f.e, 0);			/* the driver's */
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);
	d.id = f.hwpt;
	CHECK_OK(io(&f, IOMMU_DESTROY, &d));
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -ENOENT);
	d.id = f.ioas;					/* its areas go with it */
	CHECK_OK(io(&f, IOMMU_DESTROY, &d));
	fx_teardown(&f);
}

static void ioas_alloc_map_unmap(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };
	struct iommu_ioas_map m = { .size = sizeof(m) };
	struct iommu_ioas_unmap u = { .size = sizeof(u) };
	uint32_t objs;
	struct fx f;

	fx_setup(&f);
	objs = abi_env_objects(f.e);
	CHECK_EQ(io(&f, IOMMU_IOAS_ALLOC, &a), -EOPNOTSUPP);
	CHECK_EQ(a.out_ioas_id, 0);
	CHECK_EQ(abi_env_objects(f.e), objs);

	m = (struct iommu_ioas_map){ .size = sizeof(m), .flags = RW | FIXED, .ioas_id = f.ioas,
		.user_va = (uintptr_t)buf2, .length = 4096, .iova = 0x300000 };
	m.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -EOPNOTSUPP);
	m.__reserved = 0;
	m.flags = RW | FIXED | 8;
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -EOPNOTSUPP);
	m.flags = FIXED;
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -EINVAL);
	m.flags = RW | FIXED;
	m.length = 0;
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -EINVAL);
	m.length = 4096;
	m.iova = 0x100000;			/* the fixture's area */
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -EEXIST);
	m.iova = 0x300800;			/* a domain is attached: 4K */
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -EINVAL);
	m.ioas_id = 1000;
	m.iova = 0x300000;
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP, &m), -ENOENT);
	CHECK_EQ(m.iova, 0x300000);		/* refused: nothing written */
	m.ioas_id = f.ioas;
	CHECK_OK(io(&f, IOMMU_IOAS_MAP, &m));
	CHECK_EQ(m.iova, 0x300000);
	/* An IOVA the IOAS picks is written back. */
	m.flags = RW;
	m.iova = 0;
	m.user_va = (uintptr_t)(buf2 + 4096);
	CHECK_OK(io(&f, IOMMU_IOAS_MAP, &m));
	CHECK(m.iova != 0 && m.iova % 4096 == 0);

	u = (struct iommu_ioas_unmap){ .size = sizeof(u), .ioas_id = f.ioas,
		.iova = 0x100000, .length = 4096 };	/* cuts the area */
	CHECK_EQ(io(&f, IOMMU_IOAS_UNMAP, &u), -ENOENT);
	CHECK_EQ(u.length, 4096);
	/* Three whole areas (the picked IOVA is the lowest hole). */
	CHECK(m.iova < 0x400000);
	u.iova = 0x0;
	u.length = 0x400000;
	CHECK_OK(io(&f, IOMMU_IOAS_UNMAP, &u));
	CHECK_EQ(u.length, SZ + 8192);
	u.length = 0x400000;
	CHECK_EQ(io(&f, IOMMU_IOAS_UNMAP, &u), -ENOENT);
	u.iova = UINT64_MAX - 4095;
	u.length = 8192;
	CHECK_EQ(io(&f, IOMMU_IOAS_UNMAP, &u), -EOVERFLOW);
	u.iova = 0;
	m.flags = RW | FIXED;
	m.iova = 0x500000;
	CHECK_OK(io(&f, IOMMU_IOAS_MAP, &m));
	u.length = UINT64_MAX;			/* everything */
	CHECK_OK(io(&f, IOMMU_IOAS_UNMAP, &u));
	CHECK_EQ(u.length, 4096);
	u.length = UINT64_MAX;
	CHECK_OK(io(&f, IOMMU_IOAS_UNMAP, &u));
	CHECK_EQ(u.length, 0);
	fx_teardown(&f);
}

static void ranges_allow_copy(void)
{
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r) };
	struct iommu_ioas_allow_iovas a = { .size = sizeof(a) };
	struct iommu_ioas_copy c = { .size = sizeof(c) };
	uint32_t pt;
	struct fx f;

	fx_setup(&f);
	/* A fresh IOAS: everything, alignment 1; a count too small. */
	r.ioas_id = f.ioas2;
	CHECK_EQ(io(&f, IOMMU_IOAS_IOVA_RANGES, &r), -EMSGSIZE);
	CHECK_EQ(r.num_iovas, 1);
	CHECK_EQ(r.out_iova_alignment, 1);
	r.num_iovas = 1;
	CHECK_EQ(io(&f, IOMMU_IOAS_IOVA_RANGES, &r), -EFAULT);
	r.allowed_iovas = (uintptr_t)ranges;
	CHECK_OK(io(&f, IOMMU_IOAS_IOVA_RANGES, &r));
	CHECK_EQ(ranges[0].start, 0);
	CHECK_EQ(ranges[0].last, UINT64_MAX);
	/* With a device attached: its MSI window splits the space. */
	pt = f.hwpt;
	CHECK_OK(abi_env_attach(f.e, 0, &pt));
	r.ioas_id = f.ioas;
	r.num_iovas = 1;
	CHECK_EQ(io(&f, IOMMU_IOAS_IOVA_RANGES, &r), -EMSGSIZE);
	CHECK(r.num_iovas > 1);
	CHECK_EQ(r.out_iova_alignment, 4096);
	CHECK_OK(io(&f, IOMMU_IOAS_IOVA_RANGES, &r));
	r.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_IOAS_IOVA_RANGES, &r), -EOPNOTSUPP);
	r.__reserved = 0;
	r.ioas_id = 1000;
	CHECK_EQ(io(&f, IOMMU_IOAS_IOVA_RANGES, &r), -ENOENT);

	a = (struct iommu_ioas_allow_iovas){ .size = sizeof(a), .ioas_id = f.ioas2,
		.num_iovas = 1, .allowed_iovas = (uintptr_t)ranges };
	ranges[0] = (struct iommu_iova_range){ 0x10000000, 0xfffffff };
	CHECK_EQ(io(&f, IOMMU_IOAS_ALLOW_IOVAS, &a), -EINVAL);
	ranges[0] = (struct iommu_iova_range){ 0x10000000, 0x1fffffff };
	ranges[1] = (struct iommu_iova_range){ 0x1ffff000, 0x2fffffff };
	a.num_iovas = 2;
	CHECK_EQ(io(&f, IOMMU_IOAS_ALLOW_IOVAS, &a), -EINVAL);
	a.__reserved = 1;
	a.num_iovas = 1;
	CHECK_EQ(io(&f, IOMMU_IOAS_ALLOW_IOVAS, &a), -EOPNOTSUPP);
	a.__reserved = 0;
	a.allowed_iovas = 0;
	CHECK_EQ(io(&f, IOMMU_IOAS_ALLOW_IOVAS, &a), -EFAULT);
	a.allowed_iovas = (uintptr_t)ranges;
	CHECK_OK(io(&f, IOMMU_IOAS_ALLOW_IOVAS, &a));

	/* COPY into the allowed range, at an IOVA the IOAS picks. */
	c = (struct iommu_ioas_copy){ .size = sizeof(c), .flags = RW,
		.dst_ioas_id = f.ioas2, .src_ioas_id = f.ioas, .length = SZ,
		.src_iova = 0x100000 };
	CHECK_OK(io(&f, IOMMU_IOAS_COPY, &c));
	CHECK(c.dst_iova >= 0x10000000 && c.dst_iova + SZ - 1 <= 0x1fffffff);
	c.src_iova = 0x101000;
	c.length = SZ;				/* past the source */
	CHECK_EQ(io(&f, IOMMU_IOAS_COPY, &c), -ENOENT);
	c.flags = 1u << 5;
	CHECK_EQ(io(&f, IOMMU_IOAS_COPY, &c), -EOPNOTSUPP);
	fx_teardown(&f);
}

static void map_file(void)
{
	struct iommu_ioas_map_file m;
	struct fx f;

	fx_setup(&f);
	m = (struct iommu_ioas_map_file){ .size = sizeof(m), .flags = RW | FIXED,
		.ioas_id = f.ioas, .fd = -1, .length = 4096, .iova = 0x400000 };
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP_FILE, &m), -EBADF);
	m.fd = f.memfd;
	m.start = SZ;				/* past the end of the file */
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP_FILE, &m), -EINVAL);
	m.start = 0;
	m.flags = RW | FIXED | 16;
	CHECK_EQ(io(&f, IOMMU_IOAS_MAP_FILE, &m), -EOPNOTSUPP);
	m.flags = RW | FIXED;
	CHECK_OK(io(&f, IOMMU_IOAS_MAP_FILE, &m));
	CHECK_EQ(m.iova, 0x400000);
	fx_teardown(&f);
}

static void options(void)
{
	struct iommu_option o;
	struct fx f;

	fx_setup(&f);
	o = (struct iommu_option){ .size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET, .val64 = 5 };
	CHECK_OK(io(&f, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 0);
	o.object_id = f.ioas;			/* a global option */
	CHECK_EQ(io(&f, IOMMU_OPTION, &o), -EOPNOTSUPP);
	o.object_id = 0;
	o.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_OPTION, &o), -EOPNOTSUPP);
	o.__reserved = 0;
	o.op = 2;
	CHECK_EQ(io(&f, IOMMU_OPTION, &o), -EOPNOTSUPP);
	o.option_id = 7;
	o.op = IOMMU_OPTION_OP_GET;
	CHECK_EQ(io(&f, IOMMU_OPTION, &o), -EOPNOTSUPP);
	o = (struct iommu_option){ .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET, .object_id = f.ioas2 };
	CHECK_OK(io(&f, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 1);
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 2;
	CHECK_EQ(io(&f, IOMMU_OPTION, &o), -EINVAL);
	o.val64 = 0;
	CHECK_OK(io(&f, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 0);			/* SET writes nothing back */
	o.op = IOMMU_OPTION_OP_GET;
	o.val64 = 9;
	CHECK_OK(io(&f, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 0);
	o.object_id = 0;
	CHECK_EQ(io(&f, IOMMU_OPTION, &o), -ENOENT);
	fx_teardown(&f);
}

static void hwpt_alloc_attach_dma(void)
{
	struct iommu_hwpt_alloc h;
	uint8_t got[64];
	uint32_t pt;
	struct fx f;

	fx_setup(&f);
	h = (struct iommu_hwpt_alloc){ .size = sizeof(h), .dev_id = abi_env_dev(f.e, 1),
		.pt_id = f.ioas };
	h.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	h.__reserved = 0;
	h.__reserved2 = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	h.__reserved2 = 0;
	h.flags = 1u << 6;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	h.flags = 0;
	/* A type without data is refused before the type is looked at. */
	h.data_type = 0xdead;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EINVAL);
	h.data_len = sizeof(got);
	h.data_uptr = (uintptr_t)got;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	h.data_len = 0;
	h.data_uptr = 0;
	h.data_type = IOMMU_HWPT_DATA_NONE;
	h.data_len = 8;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EINVAL);
	h.data_len = 0;
	h.data_uptr = (uintptr_t)got;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EINVAL);
	h.data_uptr = 0;
	h.pt_id = f.hwpt;			/* not an IOAS */
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EINVAL);
	h.pt_id = 1000;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -ENOENT);
	h.pt_id = f.ioas;
	h.flags = IOMMU_HWPT_FAULT_ID_VALID;
	h.fault_id = 1000;
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -ENOENT);
	CHECK_EQ(h.out_hwpt_id, 0);
	/* fault_id is read only with FAULT_ID_VALID. */
	h.flags = IOMMU_HWPT_ALLOC_PASID;
	CHECK_OK(io(&f, IOMMU_HWPT_ALLOC, &h));
	CHECK(h.out_hwpt_id != 0);

	/* The device DMAs through it into the fixture's buffer. */
	pt = h.out_hwpt_id;
	CHECK_OK(abi_env_attach(f.e, 1, &pt));
	CHECK_EQ(pt, h.out_hwpt_id);
	CHECK_OK(abi_env_dma(f.e, 1, 0x100000 + 100, got, sizeof(got), false));
	CHECK(!memcmp(got, buf + 100, sizeof(got)));
	memset(got, 0x3c, sizeof(got));
	CHECK_OK(abi_env_dma(f.e, 1, 0x101000, got, sizeof(got), true));
	CHECK(!memcmp(got, buf + 4096, sizeof(got)));
	CHECK(abi_env_dma(f.e, 1, 0x900000, got, sizeof(got), false) != 0);
	fx_teardown(&f);
	memset(buf, 0x5a, SZ);
}

static void hw_info(void)
{
	struct iommu_hw_info h;
	uint8_t data[64];
	unsigned int i;
	struct fx f;

	fx_setup(&f);
	memset(data, 0xee, sizeof(data));
	h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = abi_env_dev(f.e, 0),
		.data_len = sizeof(data), .data_uptr = (uintptr_t)data };
	CHECK_OK(io(&f, IOMMU_GET_HW_INFO, &h));
	CHECK_EQ(h.out_data_type, abi_env_hw_info_type());
	CHECK_EQ(h.data_len, info_len());
	CHECK_EQ(h.out_max_pasid_log2, 20);
	CHECK_EQ(!!(h.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING), has_dirty);
	if (smmuv3)	/* IDR0: stage 1 and stage 2, SMMUv3 6.3.1 */
		CHECK_EQ(((struct iommu_hw_info_arm_smmuv3 *)data)->idr[0] & 3, 3);
	else
		CHECK(((struct iommu_hw_info_vtd *)data)->cap_reg != 0);
	for (i = info_len(); i < sizeof(data); i++)
		CHECK_EQ(data[i], 0);		/* the rest zeroed */
	/* A short buffer gets what fits; data_len says the whole. */
	memset(data, 0xee, sizeof(data));
	h.data_len = 8;
	CHECK_OK(io(&f, IOMMU_GET_HW_INFO, &h));
	CHECK_EQ(h.data_len, info_len());
	CHECK_EQ(data[8], 0xee);
	h.data_len = 0;
	h.data_uptr = 0;
	CHECK_OK(io(&f, IOMMU_GET_HW_INFO, &h));
	CHECK_EQ(h.data_len, info_len());
	h.data_len = 8;
	CHECK_EQ(io(&f, IOMMU_GET_HW_INFO, &h), -EFAULT);
	h.data_len = 0;
	/* No PASIDs on device 3. */
	h.dev_id = abi_env_dev(f.e, ABI_ENV_NO_PASID_DEV);
	CHECK_OK(io(&f, IOMMU_GET_HW_INFO, &h));
	CHECK_EQ(h.out_max_pasid_log2, 0);
	/* data_len came back as the driver's: ask for none again. */
	h.data_len = 0;
	/* Asked for the other driver's type: refused; for its own, given. */
	h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	h.in_data_type = smmuv3 ? IOMMU_HW_INFO_TYPE_INTEL_VTD : IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	CHECK_EQ(io(&f, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	h.in_data_type = abi_env_hw_info_type();
	CHECK_OK(io(&f, IOMMU_GET_HW_INFO, &h));
	/* Every other type, however far out of range, is refused with the
	 * struct and the buffer as they were; DEFAULT is the driver's. */
	{
		static const uint32_t types[] = {
			IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 4, 0xfeedbeef, 0x7fffffff,
			0x80000000, 0xffffffff,
		};
		struct iommu_hw_info before;
		unsigned int t;

		for (t = 0; t <= sizeof(types) / sizeof(types[0]); t++) {
			memset(data, 0xee, sizeof(data));
			h.data_len = sizeof(data);
			h.data_uptr = (uintptr_t)data;
			h.in_data_type = t < sizeof(types) / sizeof(types[0]) ?
					 types[t] : IOMMU_HW_INFO_TYPE_DEFAULT;
			before = h;
			if (t < sizeof(types) / sizeof(types[0])) {
				CHECK_EQ(io(&f, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
				CHECK(!memcmp(&h, &before, sizeof(h)));
				CHECK_EQ(data[0], 0xee);
				CHECK_EQ(data[sizeof(data) - 1], 0xee);
			} else {
				CHECK_OK(io(&f, IOMMU_GET_HW_INFO, &h));
				CHECK_EQ(h.out_data_type, abi_env_hw_info_type());
				CHECK_EQ(h.data_len, info_len());
			}
		}
	}
	h.data_len = 0;
	h.flags = 2;
	CHECK_EQ(io(&f, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	h.flags = 0;
	h.__reserved[2] = 1;
	CHECK_EQ(io(&f, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	h.__reserved[2] = 0;
	h.dev_id = f.ioas;
	CHECK_EQ(io(&f, IOMMU_GET_HW_INFO, &h), -ENOENT);
	fx_teardown(&f);
}

/* A unit without dirty tracking: no HWPT takes it, and the fixture's
 * refuses both calls, the bitmap untouched. */
static void dirty_none(struct fx *f, struct iommu_hwpt_set_dirty_tracking *s)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				      .dev_id = abi_env_dev(f->e, 0), .pt_id = f->ioas };
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g), .hwpt_id = f->hwpt,
		.iova = 0x100000, .length = SZ, .page_size = 4096, .data = (uintptr_t)bitmap };
	uint32_t objs = abi_env_objects(f->e);

	CHECK_EQ(io(f, IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	CHECK_EQ(h.out_hwpt_id, 0);
	CHECK_EQ(abi_env_objects(f->e), objs);
	CHECK_EQ(io(f, IOMMU_HWPT_SET_DIRTY_TRACKING, s), -EOPNOTSUPP);
	memset(bitmap, 0xee, sizeof(bitmap));
	CHECK_EQ(io(f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	CHECK_EQ(bitmap[0], 0xeeeeeeeeeeeeeeeeull);
}

static void dirty(void)
{
	struct iommu_hwpt_set_dirty_tracking s;
	struct iommu_hwpt_get_dirty_bitmap g;
	uint8_t b[16] = { 1 };
	uint32_t pt;
	struct fx f;

	fx_setup(&f);
	s = (struct iommu_hwpt_set_dirty_tracking){ .size = sizeof(s),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = f.hwpt };
	s.flags = 2;
	CHECK_EQ(io(&f, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -EOPNOTSUPP);
	s.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	s.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -EOPNOTSUPP);
	s.__reserved = 0;
	s.hwpt_id = 1000;
	CHECK_EQ(io(&f, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -ENOENT);
	s.hwpt_id = f.hwpt;
	if (!has_dirty) {
		dirty_none(&f, &s);
		fx_teardown(&f);
		return;
	}
	CHECK_OK(io(&f, IOMMU_HWPT_SET_DIRTY_TRACKING, &s));

	pt = f.hwpt;
	CHECK_OK(abi_env_attach(f.e, 0, &pt));
	CHECK_OK(abi_env_dma(f.e, 0, 0x102000 + 8, b, sizeof(b), true));
	g = (struct iommu_hwpt_get_dirty_bitmap){ .size = sizeof(g), .hwpt_id = f.hwpt,
		.iova = 0x100000, .length = SZ, .page_size = 4096 };
	CHECK_EQ(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EFAULT);
	g.data = (uintptr_t)bitmap;
	g.flags = 2;
	CHECK_EQ(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.flags = 0;
	g.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.__reserved = 0;
	g.page_size = 0;
	CHECK_EQ(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.page_size = 4096;
	memset(bitmap, 0, sizeof(bitmap));
	g.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	CHECK_OK(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	CHECK_EQ(bitmap[0], 1u << 2);
	memset(bitmap, 0, sizeof(bitmap));
	g.flags = 0;
	CHECK_OK(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	CHECK_EQ(bitmap[0], 1u << 2);
	memset(bitmap, 0, sizeof(bitmap));
	CHECK_OK(io(&f, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	CHECK_EQ(bitmap[0], 0);			/* cleared by the last read */
	fx_teardown(&f);
	memset(buf, 0x5a, SZ);
}

/* A nest parent of the first IOAS for device 0. */
static uint32_t parent_alloc(struct fx *f)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
				      .dev_id = abi_env_dev(f->e, 0), .pt_id = f->ioas };

	CHECK_OK(io(f, IOMMU_HWPT_ALLOC, &h));
	return h.out_hwpt_id;
}

/* HWPT_ALLOC of nested @h with its driver's data: data too short, no
 * pointer, data of type @other and NEST_PARENT refused, @h as it was. */
static void nested_refused(struct fx *f, struct iommu_hwpt_alloc *h, uint32_t other)
{
	struct iommu_hwpt_alloc k = *h;

	h->data_len = 8;
	CHECK_EQ(io(f, IOMMU_HWPT_ALLOC, h), -EINVAL);		/* too short */
	h->data_len = k.data_len;
	h->data_uptr = 0;
	CHECK_EQ(io(f, IOMMU_HWPT_ALLOC, h), -EFAULT);
	h->data_uptr = k.data_uptr;
	h->data_type = other;
	CHECK_EQ(io(f, IOMMU_HWPT_ALLOC, h), -EOPNOTSUPP);
	h->data_type = k.data_type;
	h->flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	CHECK_EQ(io(f, IOMMU_HWPT_ALLOC, h), -EOPNOTSUPP);
	*h = k;
}

/* HWPT_INVALIDATE @inv (no entries yet) with entry @ent: a probe, one
 * entry without the array, then with it, the count written back. */
static void invalidate_one(struct fx *f, struct iommu_hwpt_invalidate *inv, const void *ent)
{
	CHECK_OK(io(f, IOMMU_HWPT_INVALIDATE, inv));
	CHECK_EQ(inv->entry_num, 0);
	inv->entry_num = 1;
	CHECK_EQ(io(f, IOMMU_HWPT_INVALIDATE, inv), -EINVAL);	/* no array */
	CHECK_EQ(inv->entry_num, 0);				/* none handled */
	inv->data_uptr = (uintptr_t)ent;
	/* A count or an entry length beyond Linux's bounds is refused whole,
	 * before any entry is read (the array holds one). */
	inv->entry_num = SIOMMU_HWPT_INVALIDATE_MAX_ENTRIES + 1;
	CHECK_EQ(io(f, IOMMU_HWPT_INVALIDATE, inv), -EINVAL);
	CHECK_EQ(inv->entry_num, 0);
	inv->entry_num = UINT32_MAX;
	CHECK_EQ(io(f, IOMMU_HWPT_INVALIDATE, inv), -EINVAL);
	CHECK_EQ(inv->entry_num, 0);
	inv->entry_num = 1;
	inv->entry_len += SIOMMU_HWPT_INVALIDATE_MAX_ENTRY_LEN;
	CHECK_EQ(io(f, IOMMU_HWPT_INVALIDATE, inv), -EINVAL);
	CHECK_EQ(inv->entry_num, 0);
	inv->entry_len -= SIOMMU_HWPT_INVALIDATE_MAX_ENTRY_LEN;
	/* The bounds come before the object's lookup, as Linux's. */
	inv->hwpt_id += 1000;
	inv->entry_num = UINT32_MAX;
	CHECK_EQ(io(f, IOMMU_HWPT_INVALIDATE, inv), -EINVAL);
	inv->hwpt_id -= 1000;
	inv->entry_num = 1;
	CHECK_OK(io(f, IOMMU_HWPT_INVALIDATE, inv));
	CHECK_EQ(inv->entry_num, 1);
}

/* Destroy the @n objects @ids in order: each must be free by then. */
static void destroy_all(struct fx *f, const uint32_t *ids, unsigned int n)
{
	struct iommu_destroy d = { .size = sizeof(d) };
	unsigned int i;

	for (i = 0; i < n; i++) {
		d.id = ids[i];
		CHECK_OK(io(f, IOMMU_DESTROY, &d));
	}
}

/* SMMUv3 commands a guest issues (SMMUv3 4.4.2, 4.3.1). */
#define CMD_TLBI_NH_ASID(asid) (0x11ull | (uint64_t)(asid) << 48)
#define CMD_CFGI_STE(sid) (0x03ull | (uint64_t)(sid) << 32)

/*
 * SMMUv3 nests under a vIOMMU only: a nested HWPT is made from the vIOMMU
 * (pt_id its ID) with the guest's STE, and the guest's commands go through
 * HWPT_INVALIDATE of the vIOMMU, which refuses any reaching beyond its
 * slice.
 */
static void nested_viommu_smmuv3(void)
{
	/* V, Config stage 1, the guest's CD table at 0x100000. */
	struct iommu_hwpt_arm_smmuv3 ste = { { 1 | 5 << 1 | 0x100000, 0 } };
	struct iommu_viommu_arm_smmuv3_invalidate ent = { { CMD_TLBI_NH_ASID(1), 0 } };
	struct iommu_hwpt_invalidate inv;
	struct iommu_viommu_alloc v;
	struct iommu_vdevice_alloc vd;
	struct iommu_destroy d = { .size = sizeof(d) };
	struct iommu_hwpt_alloc h;
	uint32_t parent, viommu, vdev, nested;
	struct fx f;

	fx_setup(&f);
	parent = parent_alloc(&f);

	/* The vIOMMU over the nest parent. */
	v = (struct iommu_viommu_alloc){ .size = sizeof(v), .type = IOMMU_VIOMMU_TYPE_DEFAULT,
		.dev_id = abi_env_dev(f.e, 0), .hwpt_id = parent };
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -EOPNOTSUPP);
	v.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	v.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -EOPNOTSUPP);
	v.__reserved = 0;
	v.hwpt_id = f.hwpt;					/* not a nest parent */
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -EINVAL);
	v.hwpt_id = 1000;
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -ENOENT);
	CHECK_EQ(v.out_viommu_id, 0);
	v.hwpt_id = parent;
	CHECK_OK(io(&f, IOMMU_VIOMMU_ALLOC, &v));
	viommu = v.out_viommu_id;
	CHECK(viommu != 0);
	vd = (struct iommu_vdevice_alloc){ .size = sizeof(vd), .viommu_id = viommu,
		.dev_id = abi_env_dev(f.e, 0), .virt_id = 7 };
	CHECK_OK(io(&f, IOMMU_VDEVICE_ALLOC, &vd));
	vdev = vd.out_vdevice_id;
	vd.dev_id = abi_env_dev(f.e, 1);
	CHECK_EQ(io(&f, IOMMU_VDEVICE_ALLOC, &vd), -EEXIST);	/* virt_id 7 taken */

	/* A nested HWPT: the guest's STE, from the vIOMMU. */
	h = (struct iommu_hwpt_alloc){ .size = sizeof(h), .dev_id = abi_env_dev(f.e, 0),
		.pt_id = parent, .data_type = IOMMU_HWPT_DATA_ARM_SMMUV3, .data_len = sizeof(ste),
		.data_uptr = (uintptr_t)&ste };
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);	/* not from a vIOMMU */
	h.pt_id = viommu;
	nested_refused(&f, &h, IOMMU_HWPT_DATA_VTD_S1);
	ste.ste[1] = 1ull << 30;				/* STRW: the host's */
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EIO);
	CHECK_EQ(h.out_hwpt_id, 0);
	ste.ste[1] = 0;
	CHECK_OK(io(&f, IOMMU_HWPT_ALLOC, &h));
	nested = h.out_hwpt_id;
	CHECK(nested != 0);

	/* HWPT_INVALIDATE of the vIOMMU: a probe, one entry, the count
	 * written back; a command beyond the guest's slice stops there. */
	inv = (struct iommu_hwpt_invalidate){ .size = sizeof(inv), .hwpt_id = viommu,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, .entry_len = sizeof(ent) };
	invalidate_one(&f, &inv, &ent);
	ent.cmd[0] = CMD_CFGI_STE(7);
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -EIO);
	CHECK_EQ(inv.entry_num, 0);				/* how far it got */
	ent.cmd[0] = CMD_TLBI_NH_ASID(1);
	inv.entry_num = 1;
	inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	inv.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	inv.hwpt_id = parent;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	inv.hwpt_id = 1000;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -ENOENT);

	/* The nested HWPT uses the vIOMMU, which uses its parent. */
	d.id = parent;
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);
	d.id = viommu;
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);
	destroy_all(&f, (const uint32_t[]){ nested, vdev, viommu, parent }, 4);
	fx_teardown(&f);
}

/* VT-d nests on the parent itself, with its first-stage table's data;
 * it offers no vIOMMU. */
static void nested_viommu_vtd(void)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x100000, .addr_width = 48 };
	struct iommu_hwpt_vtd_s1_invalidate ent = { .addr = 0, .npages = 1 };
	struct iommu_hwpt_invalidate inv;
	struct iommu_viommu_alloc v;
	struct iommu_vdevice_alloc vd;
	struct iommu_destroy d = { .size = sizeof(d) };
	struct iommu_hwpt_alloc h;
	uint32_t parent, nested;
	struct fx f;

	fx_setup(&f);
	parent = parent_alloc(&f);

	/* A nested HWPT: VT-d first-stage data over the nest parent. */
	h = (struct iommu_hwpt_alloc){ .size = sizeof(h), .dev_id = abi_env_dev(f.e, 0),
		.pt_id = parent, .data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = sizeof(s1),
		.data_uptr = (uintptr_t)&s1 };
	nested_refused(&f, &h, 0xdead);
	h.pt_id = f.hwpt;					/* not a nest parent */
	CHECK_EQ(io(&f, IOMMU_HWPT_ALLOC, &h), -EINVAL);
	CHECK_EQ(h.out_hwpt_id, 0);
	h.pt_id = parent;
	CHECK_OK(io(&f, IOMMU_HWPT_ALLOC, &h));
	nested = h.out_hwpt_id;
	CHECK(nested != 0);

	/* HWPT_INVALIDATE: a probe, one entry, and the count written back. */
	inv = (struct iommu_hwpt_invalidate){ .size = sizeof(inv), .hwpt_id = nested,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, .entry_len = sizeof(ent) };
	invalidate_one(&f, &inv, &ent);
	ent.flags = 8;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -EOPNOTSUPP);
	CHECK_EQ(inv.entry_num, 0);				/* how far it got */
	ent.flags = 0;
	inv.entry_num = 1;
	inv.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -EOPNOTSUPP);
	CHECK_EQ(inv.entry_num, 0);
	inv.__reserved = 0;
	inv.hwpt_id = parent;
	inv.entry_num = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -EINVAL);
	CHECK_EQ(inv.entry_num, 0);
	inv.hwpt_id = 1000;
	inv.entry_num = 1;
	CHECK_EQ(io(&f, IOMMU_HWPT_INVALIDATE, &inv), -ENOENT);
	CHECK_EQ(inv.entry_num, 0);

	/* VT-d offers no vIOMMU type. */
	v = (struct iommu_viommu_alloc){ .size = sizeof(v), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = abi_env_dev(f.e, 0), .hwpt_id = parent };
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -EOPNOTSUPP);
	v.type = IOMMU_VIOMMU_TYPE_DEFAULT;
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -EOPNOTSUPP);
	v.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	v.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_VIOMMU_ALLOC, &v), -EOPNOTSUPP);
	vd = (struct iommu_vdevice_alloc){ .size = sizeof(vd), .viommu_id = 1000,
		.dev_id = abi_env_dev(f.e, 0), .virt_id = 1 };
	CHECK_EQ(io(&f, IOMMU_VDEVICE_ALLOC, &vd), -ENOENT);
	CHECK_EQ(vd.out_vdevice_id, 0);

	/* The nested HWPT uses its parent. */
	d.id = parent;
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);
	destroy_all(&f, (const uint32_t[]){ nested, parent }, 2);
	fx_teardown(&f);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLOUT);
	return p.revents & POLLIN;
}

static void fault_queue(void)
{
	struct iommu_fault_alloc a = { .size = sizeof(a), .flags = 1 };
	struct iommu_destroy d = { .size = sizeof(d) };
	struct iommu_hwpt_page_response resp[2];
	struct iommu_hwpt_pgfault rec[4];
	struct iommu_hwpt_alloc h;
	uint32_t pt, objs;
	uint16_t grp;
	uint8_t code;
	struct fx f;
	int fd;

	fx_setup(&f);
	objs = abi_env_objects(f.e);
	CHECK_EQ(io(&f, IOMMU_FAULT_QUEUE_ALLOC, &a), -EOPNOTSUPP);
	CHECK_EQ(abi_env_objects(f.e), objs);
	a.flags = 0;
	CHECK_OK(io(&f, IOMMU_FAULT_QUEUE_ALLOC, &a));
	fd = (int)a.out_fault_fd;
	CHECK(fd > 2);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(!readable(fd));

	h = (struct iommu_hwpt_alloc){ .size = sizeof(h),
		.flags = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
		.dev_id = abi_env_dev(f.e, ABI_ENV_PRI_DEV), .pt_id = f.ioas,
		.fault_id = a.out_fault_id };
	CHECK_OK(io(&f, IOMMU_HWPT_ALLOC, &h));
	pt = h.out_hwpt_id;
	CHECK_OK(abi_env_attach(f.e, ABI_ENV_PRI_DEV, &pt));
	d.id = a.out_fault_id;
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);

	/* Readable once a whole group is queued, not before; no longer once
	 * it is read. */
	abi_env_page_request(f.e, 1, 0x5000, false);
	CHECK(!readable(fd));
	abi_env_page_request(f.e, 1, 0x6000, true);
	CHECK(readable(fd));
	abi_env_page_request(f.e, 2, 0x7000, true);
	CHECK(readable(fd));

	/* read(): whole records at position 0, whole groups only. */
	CHECK_EQ(siommu_iommufd_fault_read(f.ictx, a.out_fault_id, rec, sizeof(rec[0]) - 1, 0),
		 -ESPIPE);
	CHECK_EQ(siommu_iommufd_fault_read(f.ictx, a.out_fault_id, rec, sizeof(rec[0]), 40),
		 -ESPIPE);
	CHECK_EQ(siommu_iommufd_fault_read(f.ictx, 1000, rec, sizeof(rec[0]), 0), -ENOENT);
	CHECK_EQ(siommu_iommufd_fault_read(f.ictx, a.out_fault_id, rec, sizeof(rec[0]), 0), 0);
	CHECK(readable(fd));
	CHECK_EQ(siommu_iommufd_fault_read(f.ictx, a.out_fault_id, rec, sizeof(rec), 0),
		 3 * sizeof(rec[0]));
	CHECK(!readable(fd));
	CHECK_EQ(rec[0].cookie, 1);
	CHECK_EQ(rec[1].cookie, 1);
	CHECK_EQ(rec[2].cookie, 2);
	CHECK_EQ(rec[0].flags, 0);
	CHECK_EQ(rec[1].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(rec[2].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	CHECK_EQ(rec[0].dev_id, abi_env_dev(f.e, ABI_ENV_PRI_DEV));
	CHECK_EQ(rec[0].addr, 0x5000);
	CHECK_EQ(rec[1].addr, 0x6000);
	CHECK_EQ(rec[2].grpid, 2);
	CHECK_EQ(rec[0].perm, IOMMU_PGFAULT_PERM_READ);
	CHECK_EQ(siommu_iommufd_fault_read(f.ictx, a.out_fault_id, rec, sizeof(rec), 0), 0);

	/* write(): 8-byte answers in order; a bad one stops the batch. */
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 1,
		.code = IOMMUFD_PAGE_RESP_SUCCESS };
	resp[1] = (struct iommu_hwpt_page_response){ .cookie = 9 };
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 4, 0), -ESPIPE);
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 8, 8), -ESPIPE);
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 16, 0), 8);
	CHECK_EQ(abi_env_responses(f.e, &grp, &code), 1);
	CHECK_EQ(grp, 1);
	CHECK_EQ(code, 0);
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 8, 0), -EINVAL);
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 2, .code = 5 };
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 8, 0), -EINVAL);
	resp[0].code = IOMMUFD_PAGE_RESP_INVALID;
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 8, 0), 8);
	CHECK_EQ(abi_env_responses(f.e, &grp, &code), 2);
	CHECK_EQ(grp, 2);
	CHECK_EQ(code, 1);
	CHECK_EQ(siommu_iommufd_fault_write(f.ictx, a.out_fault_id, resp, 8, 0), -EINVAL);

	/* The caller's fd is the caller's: closing it leaves the object. */
	close(fd);
	d.id = h.out_hwpt_id;
	CHECK_EQ(io(&f, IOMMU_DESTROY, &d), -EBUSY);	/* attached */
	fx_teardown(&f);
}

/* ---- the VFIO type1 container over the compatibility IOAS ---- */

static void vfio_compat_ioas(struct fx *f)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	struct iommu_destroy d = { .size = sizeof(d), .id = f->ioas2 };

	CHECK_EQ(io(f, IOMMU_VFIO_IOAS, &v), -ENODEV);
	v.op = 3;
	CHECK_EQ(io(f, IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	v.op = IOMMU_VFIO_IOAS_SET;
	v.__reserved = 1;
	CHECK_EQ(io(f, IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	v.__reserved = 0;
	v.ioas_id = f->hwpt;			/* not an IOAS */
	CHECK_EQ(io(f, IOMMU_VFIO_IOAS, &v), -ENOENT);
	v.ioas_id = f->ioas2;
	CHECK_OK(io(f, IOMMU_VFIO_IOAS, &v));
	v = (struct iommu_vfio_ioas){ .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	CHECK_OK(io(f, IOMMU_VFIO_IOAS, &v));
	CHECK_EQ(v.ioas_id, f->ioas2);
	/* A weak reference: destroying the IOAS leaves none. */
	CHECK_OK(io(f, IOMMU_DESTROY, &d));
	CHECK_EQ(io(f, IOMMU_VFIO_IOAS, &v), -ENODEV);
	v = (struct iommu_vfio_ioas){ .size = sizeof(v), .op = IOMMU_VFIO_IOAS_SET,
				      .ioas_id = f->ioas };
	CHECK_OK(io(f, IOMMU_VFIO_IOAS, &v));
	v.op = IOMMU_VFIO_IOAS_CLEAR;
	CHECK_OK(io(f, IOMMU_VFIO_IOAS, &v));
	CHECK_EQ(io(f, VFIO_IOMMU_MAP_DMA, &(struct vfio_iommu_type1_dma_map){
		.argsz = sizeof(struct vfio_iommu_type1_dma_map) }), -ENODEV);

	/* As a group's SET_CONTAINER: one made when none, then kept. */
	{
		uint32_t made, again;

		CHECK_OK(siommu_vfio_ioas_create(f->ictx, &made));
		CHECK(made != f->ioas);
		CHECK_EQ(siommu_iommufd_obj_type(f->ictx, made), SIOMMU_IOMMUFD_OBJ_IOAS);
		CHECK_OK(siommu_vfio_ioas_create(f->ictx, &again));
		CHECK_EQ(again, made);
		CHECK_OK(siommu_vfio_ioas_set(f->ictx, f->ioas));
		CHECK_OK(siommu_vfio_ioas_create(f->ictx, &again));
		CHECK_EQ(again, f->ioas);
		siommu_vfio_ioas_clear(f->ictx);
		CHECK_OK(siommu_iommufd_obj_destroy(f->ictx, made));
	}
}

/* GET_INFO's reply in @argsz bytes: the struct, and its capabilities as
 * far as they fit. */
static void vfio_compat_info(struct fx *f)
{
	uint64_t reply[32];
	struct vfio_iommu_type1_info *info = (void *)reply;
	struct vfio_iommu_type1_info_dma_avail *avail = (void *)(reply + 3);
	struct vfio_iommu_type1_info_cap_iova_range *r = (void *)(reply + 5);
	uint32_t total;

	memset(reply, 0xee, sizeof(reply));
	info->argsz = VFIO_IOMMU_GET_INFO_MIN_SIZE - 1;
	CHECK_EQ(io(f, VFIO_IOMMU_GET_INFO, reply), -EINVAL);
	/* The first published size: the page sizes, the size to ask for. */
	info->argsz = VFIO_IOMMU_GET_INFO_MIN_SIZE;
	CHECK_OK(io(f, VFIO_IOMMU_GET_INFO, reply));
	CHECK_EQ(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	CHECK_EQ(info->iova_pgsizes & 0xfff, 0);
	CHECK(info->iova_pgsizes & 0x1000);
	total = info->argsz;
	CHECK(total > sizeof(*info));
	CHECK_EQ(info->cap_offset, 0xeeeeeeee);
	/* Room for the first capability only: written, chained to where
	 * the second would be (as Linux's), but no cap_offset. */
	info->argsz = sizeof(*info) + 16;
	CHECK_OK(io(f, VFIO_IOMMU_GET_INFO, reply));
	CHECK_EQ(info->cap_offset, 0);
	CHECK_EQ(info->argsz, total);
	CHECK_EQ(avail->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	CHECK_EQ(avail->header.next, sizeof(*info) + 16);
	CHECK_EQ(avail->avail, UINT32_MAX);
	CHECK_EQ(reply[5], 0xeeeeeeeeeeeeeeeeull);
	/* All of it: both, chained. The device's HWPT reserves the unit's
	 * MSI window, so the IOVA space comes in two ranges around it. */
	info->argsz = total;
	CHECK_OK(io(f, VFIO_IOMMU_GET_INFO, reply));
	CHECK_EQ(info->cap_offset, sizeof(*info));
	CHECK_EQ(info->argsz, total);
	CHECK_EQ(avail->header.next, sizeof(*info) + 16);
	CHECK_EQ(r->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	CHECK_EQ(r->header.version, 1);
	CHECK_EQ(r->header.next, 0);
	CHECK_EQ(total, sizeof(*info) + 16 + sizeof(*r) + r->nr_iovas * sizeof(r->iova_ranges[0]));
	CHECK(r->nr_iovas >= 1);
	CHECK(r->iova_ranges[0].start <= 0x100000 && r->iova_ranges[0].end >= 0x100000 + SZ - 1);
}

/* The v1 container: large pages off, and an unmap may take part of a
 * mapping, cutting it at 4K boundaries. */
static void vfio_compat_v1(void)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
				  .op = IOMMU_OPTION_OP_GET };
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = 0x800000, .size = SZ };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	uint8_t got[64];
	uint32_t pt;
	struct fx f;

	fx_setup(&f);
	CHECK_OK(siommu_vfio_ioas_set(f.ictx, f.ioas2));
	CHECK_OK(io(&f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU));
	o.object_id = f.ioas2;
	CHECK_OK(io(&f, IOMMU_OPTION, &o));
	CHECK_EQ(o.val64, 0);
	CHECK_OK(io(&f, VFIO_IOMMU_MAP_DMA, &m));
	pt = f.ioas2;
	CHECK_OK(abi_env_attach(f.e, 1, &pt));
	/* The second 4K of the mapping goes; the rest stays mapped. */
	u.iova = 0x801000;
	u.size = 0x1000;
	CHECK_OK(io(&f, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, 0x1000);
	CHECK(abi_env_dma(f.e, 1, 0x801000, got, sizeof(got), false) != 0);
	CHECK_OK(abi_env_dma(f.e, 1, 0x800000, got, sizeof(got), false));
	CHECK(!memcmp(got, buf, sizeof(got)));
	CHECK_OK(abi_env_dma(f.e, 1, 0x802000, got, sizeof(got), false));
	CHECK(!memcmp(got, buf + 0x2000, sizeof(got)));
	/* A cut inside a 4K page is refused, and cuts nothing. */
	u.iova = 0x802800;
	u.size = 0x800;
	CHECK_EQ(io(&f, VFIO_IOMMU_UNMAP_DMA, &u), -EINVAL);
	CHECK_EQ(u.size, 0);
	/* What is left goes in one call, hole and all. */
	u.iova = 0x800000;
	u.size = SZ;
	CHECK_OK(io(&f, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, SZ - 0x1000);
	CHECK(abi_env_dma(f.e, 1, 0x802000, got, sizeof(got), false) != 0);
	fx_teardown(&f);
}

static void vfio_compat(void)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf2, .iova = 0x800000, .size = SZ };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	uint8_t got[64];
	uint32_t pt;
	struct fx f;

	fx_setup(&f);
	CHECK_EQ(io(&f, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	CHECK_EQ(io(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1v2_IOMMU), 1);
	CHECK_EQ(io(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_UNMAP_ALL), 1);
	CHECK_EQ(io(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_TYPE1_IOMMU), 1);
	CHECK_EQ(io(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_UPDATE_VADDR), 0);
	CHECK_EQ(io(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_DMA_CC_IOMMU), -ENODEV);
	CHECK_EQ(io(&f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), -ENODEV);
	CHECK_EQ(io(&f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), -ENODEV);
	CHECK_EQ(io(&f, VFIO_IOMMU_GET_INFO, &(struct vfio_iommu_type1_info){
		.argsz = sizeof(struct vfio_iommu_type1_info) }), -ENODEV);
	CHECK_EQ(io(&f, _IO(VFIO_TYPE, VFIO_BASE + 15), &u), -ENOTTY);
	vfio_compat_ioas(&f);

	CHECK_OK(siommu_vfio_ioas_set(f.ictx, f.ioas));
	CHECK_EQ(io(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_DMA_CC_IOMMU), 1);
	/* v1 turns large pages off, which a domain mapping areas refuses. */
	CHECK_EQ(io(&f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), -EINVAL);
	CHECK_EQ(io(&f, VFIO_SET_IOMMU, (void *)VFIO_NOIOMMU_IOMMU), -EINVAL);
	CHECK_OK(io(&f, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU));
	vfio_compat_info(&f);

	/* MAP_DMA: VFIO's size and flag rules, then the fixed IOVA. */
	m.argsz = VFIO_IOMMU_MAP_DMA_MIN_SIZE - 1;
	CHECK_EQ(io(&f, VFIO_IOMMU_MAP_DMA, &m), -EINVAL);
	m.argsz = sizeof(m) + 8;			/* bytes past it ignored */
	m.flags |= VFIO_DMA_MAP_FLAG_VADDR;
	CHECK_EQ(io(&f, VFIO_IOMMU_MAP_DMA, &m), -EINVAL);
	m.flags &= ~VFIO_DMA_MAP_FLAG_VADDR;
	CHECK_OK(io(&f, VFIO_IOMMU_MAP_DMA, &m));
	CHECK_EQ(io(&f, VFIO_IOMMU_MAP_DMA, &m), -EEXIST);
	m.iova = 0x800001;
	CHECK_EQ(io(&f, VFIO_IOMMU_MAP_DMA, &m), -EINVAL);
	/* A device attached to the compatibility IOAS reaches the map. */
	pt = f.ioas;
	CHECK_OK(abi_env_attach(f.e, 1, &pt));
	CHECK_OK(abi_env_dma(f.e, 1, 0x800000 + 64, got, sizeof(got), false));
	CHECK(!memcmp(got, buf2 + 64, sizeof(got)));

	/* UNMAP_DMA: short, flags, a cut (-ENOENT), an empty range (0). */
	u.argsz = VFIO_IOMMU_UNMAP_DMA_MIN_SIZE - 1;
	CHECK_EQ(io(&f, VFIO_IOMMU_UNMAP_DMA, &u), -EINVAL);
	u.argsz = sizeof(u);
	u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	CHECK_EQ(io(&f, VFIO_IOMMU_UNMAP_DMA, &u), -EINVAL);
	u.flags = 0;
	u.iova = 0x800000;
	u.size = 0x1000;
	CHECK_EQ(io(&f, VFIO_IOMMU_UNMAP_DMA, &u), -ENOENT);
	CHECK_EQ(u.size, 0);
	u.iova = 0x40000000;
	u.size = 0x1000;
	CHECK_OK(io(&f, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, 0);
	u.iova = 0x800000;
	u.size = SZ;
	CHECK_OK(io(&f, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, SZ);
	CHECK(abi_env_dma(f.e, 1, 0x800000, got, sizeof(got), false) != 0);
	/* ALL: iova and size must be 0; everything goes. */
	u.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	CHECK_EQ(io(&f, VFIO_IOMMU_UNMAP_DMA, &u), -EINVAL);
	u.iova = 0;
	u.size = 0;
	CHECK_OK(io(&f, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, SZ);			/* the fixture's map of buf */
	u.size = 0;
	CHECK_OK(io(&f, VFIO_IOMMU_UNMAP_DMA, &u));
	CHECK_EQ(u.size, 0);
	fx_teardown(&f);
}

/* vEVENTQ and HW queue: the checks that come before the vIOMMU, in
 * Linux's order (the unit here offers no vIOMMU; their work is tested
 * on SMMUv3 through the C API). */
static void veventq_hw_queue(void)
{
	struct iommu_veventq_alloc v;
	struct iommu_hw_queue_alloc h;
	struct fx f;

	fx_setup(&f);
	fill_veventq(&f, &v);
	v.size = sizeof(v);
	v.flags = 1;
	CHECK_EQ(io(&f, IOMMU_VEVENTQ_ALLOC, &v), -EOPNOTSUPP);
	v.flags = 0;
	v.__reserved = 1;
	CHECK_EQ(io(&f, IOMMU_VEVENTQ_ALLOC, &v), -EOPNOTSUPP);
	v.__reserved = 0;
	v.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
	CHECK_EQ(io(&f, IOMMU_VEVENTQ_ALLOC, &v), -EOPNOTSUPP);
	v.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	v.veventq_depth = 0;
	CHECK_EQ(io(&f, IOMMU_VEVENTQ_ALLOC, &v), -EINVAL);
	v.veventq_depth = 1;
	CHECK_EQ(io(&f, IOMMU_VEVENTQ_ALLOC, &v), -ENOENT);
	v.viommu_id = f.ioas;
	CHECK_EQ(io(&f, IOMMU_VEVENTQ_ALLOC, &v), -ENOENT);
	CHECK_EQ(v.out_veventq_id, 0);
	CHECK_EQ(v.out_veventq_fd, 0);

	fill_hw_queue(&f, &h);
	h.size = sizeof(h);
	h.flags = 1;
	CHECK_EQ(io(&f, IOMMU_HW_QUEUE_ALLOC, &h), -EOPNOTSUPP);
	h.flags = 0;
	h.type = IOMMU_HW_QUEUE_TYPE_DEFAULT;
	CHECK_EQ(io(&f, IOMMU_HW_QUEUE_ALLOC, &h), -EOPNOTSUPP);
	h.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV;
	h.length = 0;
	CHECK_EQ(io(&f, IOMMU_HW_QUEUE_ALLOC, &h), -EINVAL);
	h.length = 2;
	h.nesting_parent_iova = UINT64_MAX;
	CHECK_EQ(io(&f, IOMMU_HW_QUEUE_ALLOC, &h), -EOVERFLOW);
	h.nesting_parent_iova = 0x100000;
	CHECK_EQ(io(&f, IOMMU_HW_QUEUE_ALLOC, &h), -ENOENT);
	CHECK_EQ(h.out_hw_queue_id, 0);
	CHECK_EQ(siommu_iommufd_veventq_read(f.ictx, 1000, buf, 8, 0), -ENOENT);
	CHECK_EQ(siommu_iommufd_veventq_read(f.ictx, 1000, buf, 8, 8), -ESPIPE);
	fx_teardown(&f);
}

int main(void)
{
	smmuv3 = abi_env_hw_info_type() == IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	has_dirty = !smmuv3;
	buf = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf2 = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED && buf2 != MAP_FAILED);
	memset(buf, 0x5a, SZ);
	memset(buf2, 0xa5, SZ);
	dispatch();
	lengths();
	destroy_ioas();
	ioas_alloc_map_unmap();
	ranges_allow_copy();
	map_file();
	options();
	hwpt_alloc_attach_dma();
	hw_info();
	dirty();
	if (smmuv3)
		nested_viommu_smmuv3();
	else
		nested_viommu_vtd();
	fault_queue();
	vfio_compat();
	vfio_compat_v1();
	veventq_hw_queue();
	return 0;
}
