/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the binary iommufd ABI (siommu_iommufd_ioctl()):
 * random commands with random struct bytes and sizes against one context
 * with five bound devices, as a careless or hostile program issues them.
 *
 * The input is a program. Each operation picks a request (every iommufd
 * command, the ones not provided, any number of the type, the VFIO type1
 * container's among them, with an integer for those that take one), a
 * size (min_size - 1,
 * min_size, sizeof, sizeof plus zero or non-zero bytes, anything), and the
 * struct's words from the values that reach the interesting paths (zero,
 * small object IDs, page multiples, IOVAs near the mapped ones, all ones,
 * powers of two, random), or a correct struct over the objects made so
 * far with a few of its words changed. Pointer fields are drawn from NULL and places
 * in a pool of the program's memory, with their counts clamped to what
 * the place holds (the kernel would fault on the rest; in one process the
 * layer trusts its caller's pointers). An operation may instead attach a
 * device to an ID, as a VFIO driver would, read and write a fault
 * queue's records (with a page request of the PRI device first), or read
 * a vEVENTQ's.
 * The context is in test mode: IOMMU_TEST_CMD's ops make mock devices,
 * accesses (whose fds stay open until the end), dirty marks, page
 * requests and checks, with random and well-formed arguments alike.
 *
 * Every result is checked, not only for not crashing:
 *   - the size rules give exactly -EINVAL, -E2BIG or -ENOTTY where they
 *     apply; only VFIO_CHECK_EXTENSION answers above 0 (with 1);
 *   - no byte past the caller's size is ever written, and a failed call
 *     writes nothing (but IOVA_RANGES's -EMSGSIZE count, HWPT_INVALIDATE's
 *     entry_num and VFIO_IOMMU_UNMAP_DMA's size);
 *   - a failed call changes nothing in the context (objects of each type,
 *     areas, page storage, pinned pages);
 *   - errors are among those the ABI names; fault reads and writes obey
 *     the ESPIPE rules and return whole records;
 *   - fds handed out are close-on-exec; at the end everything is torn
 *     down and every pinned page uncharged (abi_env_destroy()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd.h>
#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/vfio_abi.h>

#include "../iommufd/abi_env.h"
#include "fuzz_input.h"
#include "test.h"

#define POOL_SIZE (64 * 1024)
#define ARG_MAX 128
#define MAX_OPS 64
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

struct ptr_field {
	int8_t at;		/* offset of the u64 pointer, -1: none */
	int8_t count_at;	/* offset of its u32 count, -1: none */
	uint8_t elem;		/* bytes per counted element */
};

struct cmd {
	unsigned long req;
	uint32_t size, min_size;
	struct ptr_field ptr;
	int8_t fd_in;		/* offset of an fd input (MAP_FILE) */
	int8_t fd_out;		/* offset of an fd output (FAULT_QUEUE_ALLOC,
				 * VEVENTQ_ALLOC) */
};

#define C(req, s, p, c, e, fi, fo) \
	{ IOMMU_##req, sizeof(struct s), IOMMUFD_##req##_MIN_SIZE, { p, c, e }, fi, fo }

static const struct cmd cmds[] = {
	C(DESTROY, iommu_destroy, -1, -1, 0, -1, -1),
	C(IOAS_ALLOC, iommu_ioas_alloc, -1, -1, 0, -1, -1),
	C(IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, 16, 8, 16, -1, -1),
	C(IOAS_COPY, iommu_ioas_copy, -1, -1, 0, -1, -1),
	C(IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, 16, 8, 16, -1, -1),
	C(IOAS_MAP, iommu_ioas_map, 16, -1, 0, -1, -1),
	C(IOAS_UNMAP, iommu_ioas_unmap, -1, -1, 0, -1, -1),
	C(OPTION, iommu_option, -1, -1, 0, -1, -1),
	C(VFIO_IOAS, iommu_vfio_ioas, -1, -1, 0, -1, -1),
	C(HWPT_ALLOC, iommu_hwpt_alloc, 32, 28, 1, -1, -1),
	{ IOMMU_GET_HW_INFO, sizeof(struct iommu_hw_info), IOMMUFD_GET_HW_INFO_MIN_SIZE,
	  { 16, 12, 1 }, -1, -1 },
	C(HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, -1, -1, 0, -1, -1),
	C(HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, 40, -1, 0, -1, -1),
	C(HWPT_INVALIDATE, iommu_hwpt_invalidate, 8, -1, 0, -1, -1),
	C(FAULT_QUEUE_ALLOC, iommu_fault_alloc, -1, -1, 0, -1, 12),
	C(IOAS_MAP_FILE, iommu_ioas_map_file, -1, -1, 0, 12, -1),
	C(VIOMMU_ALLOC, iommu_viommu_alloc, 32, 24, 1, -1, -1),
	C(VDEVICE_ALLOC, iommu_vdevice_alloc, -1, -1, 0, -1, -1),
	C(IOAS_CHANGE_PROCESS, iommu_ioas_change_process, -1, -1, 0, -1, -1),
	C(VEVENTQ_ALLOC, iommu_veventq_alloc, -1, -1, 0, -1, 24),
	C(HW_QUEUE_ALLOC, iommu_hw_queue_alloc, -1, -1, 0, -1, -1),
	/* Test mode: its pointers depend on the op (clamp_test()). */
	{ IOMMU_TEST_CMD, sizeof(struct iommu_test_cmd), IOMMUFD_TEST_CMD_MIN_SIZE,
	  { -1, -1, 0 }, -1, -1 },
};

static bool allowed_errno(int ret)
{
	switch (-ret) {
	case EINVAL: case E2BIG: case EOPNOTSUPP: case ENOENT: case EBUSY:
	case EEXIST: case ENOSPC: case EFAULT: case EOVERFLOW: case ENOMEM:
	case EMSGSIZE: case EADDRINUSE: case EBADF: case ENOTTY: case EPERM:
	case ERANGE: case EIO: case EBADFD: case ENODEV:
		return true;
	default:
		return false;
	}
}

static uint8_t *pool;
static int memfd = -1;
/* The last test dma-buf DMABUF_GET gave, or -1. */
static int dmabuf_fd = -1;

/* Access fds made by the program, closed once its context is gone. */
static int access_fds[MAX_OPS];
static unsigned int nr_access_fds;

static uint32_t access_fd_pick(struct in *in)
{
	return nr_access_fds ? (uint32_t)access_fds[take(in, 1) % nr_access_fds] : 0;
}

static void pool_init(void)
{
	uint8_t *p;

	if (pool)
		return;
	/* Unmapped pages on both sides: a length past the pool is -EFAULT. */
	p = mmap(NULL, POOL_SIZE + 2 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_OK(munmap(p, 4096));
	CHECK_OK(munmap(p + 4096 + POOL_SIZE, 4096));
	pool = p + 4096;
	memset(pool, 0x33, POOL_SIZE);
	memfd = memfd_create("fuzz-ioctl", MFD_CLOEXEC);
	CHECK(memfd >= 0);
	CHECK_OK(ftruncate(memfd, POOL_SIZE));
}

static uint32_t word(struct in *in)
{
	unsigned int sel = (unsigned int)take(in, 1);

	switch (sel & 7) {
	case 0:
	case 1:
		return 0;
	case 2:
		return (sel >> 3) & 15;				/* an object ID */
	case 3:
		return ((sel >> 3) & 31) << 12;			/* pages */
	case 4:
		return 0x100000 + (((sel >> 3) & 15) << 12);	/* near the maps */
	case 5:
		return (uint32_t)take(in, 4);
	case 6:
		return UINT32_MAX;
	default:
		return 1u << ((sel >> 3) & 31);
	}
}

static uint64_t place(struct in *in)
{
	switch (take(in, 1) & 3) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)pool;
	case 2:
		return (uintptr_t)pool + 4096 * (take(in, 1) & 15);
	default:
		return (uintptr_t)pool + POOL_SIZE - 16;
	}
}

static uint32_t usize_of(struct in *in, const struct cmd *c)
{
	switch (take(in, 1) % 8) {
	case 0:
		return c->min_size - 1;
	case 1:
		return c->min_size;
	case 2:
	case 3:
	case 4:
		return c->size;
	case 5:
		return c->size + 1 + (uint32_t)(take(in, 1) % 8);
	default:
		return (uint32_t)(take(in, 1) % (ARG_MAX - 8));
	}
}

/* IOMMU_TEST_CMD: the ops that read or write through their pointer get
 * one in the pool, with a length it holds; the others only compare or
 * look up addresses, which may be anything. */
static void clamp_test(uint8_t *arg, uint32_t usize, struct in *in)
{
	struct iommu_test_cmd *t = (void *)arg;
	uint64_t p = place(in), avail = p ? (uintptr_t)pool + POOL_SIZE - p : 0;

	if (usize < IOMMUFD_TEST_CMD_MIN_SIZE)
		return;
	if (t->op == IOMMU_TEST_OP_ACCESS_RW) {
		t->access_rw.uptr = p;
		if (p && t->access_rw.length > avail)
			t->access_rw.length = avail;
	} else if (t->op == IOMMU_TEST_OP_DIRTY) {
		t->dirty.uptr = p;
		if (p && t->dirty.page_size && t->dirty.length / t->dirty.page_size > avail * 8)
			t->dirty.length = t->dirty.page_size * avail * 8;
	}
}

/* Keep pointer fields inside the pool (see the top comment). */
static void clamp(const struct cmd *c, uint8_t *arg, uint32_t usize, struct in *in)
{
	const struct ptr_field *pf = &c->ptr;
	uint64_t p, avail;

	if (c->req == IOMMU_TEST_CMD) {
		clamp_test(arg, usize, in);
		return;
	}

	if (pf->at >= 0 && (uint32_t)pf->at + 8 <= usize) {
		p = place(in);
		memcpy(arg + pf->at, &p, 8);
		avail = p ? (uintptr_t)pool + POOL_SIZE - p : 0;
		if (pf->count_at >= 0 && (uint32_t)pf->count_at + 4 <= usize) {
			uint32_t n;

			memcpy(&n, arg + pf->count_at, 4);
			if (p && n > avail / pf->elem)
				n = (uint32_t)(avail / pf->elem);
			memcpy(arg + pf->count_at, &n, 4);
		}
		if (c->req == IOMMU_HWPT_INVALIDATE && p && usize >= 28) {
			struct iommu_hwpt_invalidate *v = (void *)arg;

			/* Entries of any length, as many as the place holds. */
			v->entry_len %= 64;
			if (v->entry_len && v->entry_num > avail / v->entry_len)
				v->entry_num = (uint32_t)(avail / v->entry_len);
		}
		if (c->req == IOMMU_HWPT_GET_DIRTY_BITMAP && p && usize >= 48) {
			struct iommu_hwpt_get_dirty_bitmap *g = (void *)arg;
			uint64_t bits = avail / 8 * 64;

			uint64_t room;

			if (g->page_size && g->length / g->page_size + 1 > bits)
				g->length = __builtin_mul_overflow(bits - 1, g->page_size, &room) ?
					    g->page_size : room;
		}
	}
	if (c->fd_in >= 0 && (uint32_t)c->fd_in + 4 <= usize) {
		static const int fds[] = { -1, 0, 1000 };
		int32_t fd = (take(in, 1) & 1) ? (take(in, 1) & 1 ? memfd : dmabuf_fd) :
				fds[take(in, 1) % 3];

		memcpy(arg + c->fd_in, &fd, 4);
	}
}

/*
 * A struct a correct program could pass for @c, over the objects the
 * program may have made (IDs 1..12: the five devices come first), with
 * the pointer fields left to clamp().
 */
static void templ(const struct cmd *c, uint8_t *arg, struct in *in)
{
	uint32_t id = 1 + (uint32_t)(take(in, 1) % 12), id2 = 1 + (uint32_t)(take(in, 1) % 12);
	uint32_t dev = 1 + (uint32_t)(take(in, 1) % 5);
	uint32_t fixed = take(in, 1) & 1 ? IOMMU_IOAS_MAP_FIXED_IOVA : 0;
	uint64_t iova = 0x100000 + (take(in, 1) % 16) * 4096;
	uint64_t len = 4096 * (1 + take(in, 1) % 8);
	static const uint32_t hwpt_flags[] = {
		0, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_PASID,
		IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
	};

	switch (c->req) {
	case IOMMU_DESTROY:
		((struct iommu_destroy *)arg)->id = id;
		break;
	case IOMMU_IOAS_ALLOW_IOVAS:
		((struct iommu_ioas_allow_iovas *)arg)->ioas_id = id;
		((struct iommu_ioas_allow_iovas *)arg)->num_iovas = (uint32_t)(take(in, 1) % 3);
		break;
	case IOMMU_IOAS_COPY:
		*(struct iommu_ioas_copy *)arg = (struct iommu_ioas_copy){
			.flags = RW | fixed, .dst_ioas_id = id, .src_ioas_id = id2,
			.length = len, .dst_iova = iova + 0x100000, .src_iova = iova };
		break;
	case IOMMU_IOAS_IOVA_RANGES:
		((struct iommu_ioas_iova_ranges *)arg)->ioas_id = id;
		((struct iommu_ioas_iova_ranges *)arg)->num_iovas = (uint32_t)(take(in, 1) % 5);
		break;
	case IOMMU_IOAS_MAP:
		*(struct iommu_ioas_map *)arg = (struct iommu_ioas_map){
			.flags = RW | fixed, .ioas_id = id, .length = len, .iova = iova };
		break;
	case IOMMU_IOAS_UNMAP:
		*(struct iommu_ioas_unmap *)arg = (struct iommu_ioas_unmap){
			.ioas_id = id, .iova = take(in, 1) & 1 ? iova : 0,
			.length = take(in, 1) & 1 ? len : UINT64_MAX };
		break;
	case IOMMU_OPTION:
		*(struct iommu_option *)arg = (struct iommu_option){
			.option_id = (uint32_t)(take(in, 1) & 1), .op = (uint16_t)(take(in, 1) & 1),
			.object_id = take(in, 1) & 1 ? id : 0, .val64 = take(in, 1) & 1 };
		break;
	case IOMMU_HWPT_ALLOC:
		*(struct iommu_hwpt_alloc *)arg = (struct iommu_hwpt_alloc){
			.flags = hwpt_flags[take(in, 1) % 5], .dev_id = dev, .pt_id = id,
			.fault_id = id2 };
		break;
	case IOMMU_GET_HW_INFO:
		((struct iommu_hw_info *)arg)->dev_id = dev;
		((struct iommu_hw_info *)arg)->data_len = (uint32_t)(take(in, 1) % 48);
		break;
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		((struct iommu_hwpt_set_dirty_tracking *)arg)->flags = (uint32_t)(take(in, 1) & 1);
		((struct iommu_hwpt_set_dirty_tracking *)arg)->hwpt_id = id;
		break;
	case IOMMU_HWPT_GET_DIRTY_BITMAP:
		*(struct iommu_hwpt_get_dirty_bitmap *)arg = (struct iommu_hwpt_get_dirty_bitmap){
			.hwpt_id = id, .flags = (uint32_t)(take(in, 1) & 1), .iova = iova,
			.length = len, .page_size = 4096 };
		break;
	case IOMMU_IOAS_MAP_FILE:
		*(struct iommu_ioas_map_file *)arg = (struct iommu_ioas_map_file){
			.flags = RW | fixed, .ioas_id = id, .start = (take(in, 1) % 4) * 4096,
			.length = len, .iova = iova };
		break;
	case IOMMU_VEVENTQ_ALLOC:
		*(struct iommu_veventq_alloc *)arg = (struct iommu_veventq_alloc){
			.viommu_id = id, .type = (uint32_t)(take(in, 1) % 3),
			.veventq_depth = (uint32_t)(take(in, 1) % 4) };
		break;
	case IOMMU_HW_QUEUE_ALLOC:
		*(struct iommu_hw_queue_alloc *)arg = (struct iommu_hw_queue_alloc){
			.viommu_id = id, .type = (uint32_t)(take(in, 1) % 2),
			.index = (uint32_t)(take(in, 1) % 3), .nesting_parent_iova = iova,
			.length = take(in, 1) & 1 ? len : 0 };
		break;
	case IOMMU_TEST_CMD: {
		struct iommu_test_cmd *t = (void *)arg;

		/* An op (a few past the last), its object (often the one
		 * mock_start() made for it), and the union's words as ranges
		 * near the mock aperture and the maps. */
		static const uint32_t obj_of[] = {
			[IOMMU_TEST_OP_ADD_RESERVED] = 6, [IOMMU_TEST_OP_MOCK_DOMAIN] = 6,
			[IOMMU_TEST_OP_MD_CHECK_MAP] = 10, [IOMMU_TEST_OP_CREATE_ACCESS] = 6,
			[IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE] = 7,
			[IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS] = 6, [IOMMU_TEST_OP_DIRTY] = 10,
			[IOMMU_TEST_OP_DEV_CHECK_CACHE] = 8, [IOMMU_TEST_OP_PASID_ATTACH] = 7,
			[IOMMU_TEST_OP_PASID_REPLACE] = 7, [IOMMU_TEST_OP_PASID_DETACH] = 7,
			[IOMMU_TEST_OP_PASID_CHECK_HWPT] = 7,
		};
		bool access_op = false;

		t->op = 1 + (uint32_t)(take(in, 1) % 24);
		switch (t->op) {
		case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		case IOMMU_TEST_OP_ACCESS_PAGES:
		case IOMMU_TEST_OP_ACCESS_RW:
		case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
			access_op = true;
			break;
		default:
			break;
		}
		if (access_op && take(in, 1) % 4)
			t->id = access_fd_pick(in);
		else if (t->op < sizeof(obj_of) / sizeof(obj_of[0]) && obj_of[t->op] &&
			 take(in, 1) % 4)
			t->id = obj_of[t->op];
		else
			t->id = id;
		if (take(in, 1) & 1)
			iova += MOCK_APERTURE_START;
		t->check_map.iova = iova;
		t->check_map.length = len;
		/* Where mock_start() mapped the pool, its bytes. */
		t->check_map.uptr = (uintptr_t)pool + (iova & 0xfffff);
		if (t->op == IOMMU_TEST_OP_ACCESS_REPLACE_IOAS)
			t->access_replace_ioas.ioas_id = take(in, 1) & 1 ? 6 : id2;
		else if (t->op == IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE)
			t->mock_domain_replace.pt_id = take(in, 1) & 1 ? 6 + 4 * (take(in, 1) & 1) :
					       id2;
		else if (t->op == IOMMU_TEST_OP_DESTROY_ACCESS_PAGES)
			t->destroy_access_pages.access_pages_id = (uint32_t)(take(in, 1) % 3);
		else if (t->op == IOMMU_TEST_OP_DEV_CHECK_CACHE)
			t->check_dev_cache = (typeof(t->check_dev_cache)){
				(uint32_t)(take(in, 1) % 5), IOMMU_TEST_DEV_CACHE_DEFAULT };
		if (t->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
			t->mock_domain_flags.dev_flags = (uint32_t)(take(in, 1) % 8);
		else if (t->op == IOMMU_TEST_OP_CREATE_ACCESS)
			t->create_access.flags = (uint32_t)(take(in, 1) & 1);
		else if (t->op == IOMMU_TEST_OP_ACCESS_PAGES)
			*t = (struct iommu_test_cmd){ .op = t->op, .id = t->id,
				.access_pages = { .iova = iova, .length = len,
						  .uptr = (uintptr_t)pool + (iova & 0xfffff) } };
		else if (t->op == IOMMU_TEST_OP_DIRTY)
			t->dirty = (typeof(t->dirty)){ .iova = iova, .length = len,
						       .page_size = 4096 };
		else if (t->op == IOMMU_TEST_OP_TRIGGER_IOPF ||
			 t->op == IOMMU_TEST_OP_TRIGGER_VEVENT)
			t->trigger_iopf = (typeof(t->trigger_iopf)){
				.dev_id = take(in, 1) & 1 ? 8 : dev,
				.pasid = (uint32_t)(take(in, 1) % 3),
				.perm = (uint32_t)(take(in, 1) % 4) };
		else if (t->op == IOMMU_TEST_OP_DMABUF_GET)
			t->dmabuf_get = (typeof(t->dmabuf_get)){
				.length = (uint32_t)len, .open_flags = take(in, 1) & 1 ? O_CLOEXEC : 0 };
		else if (t->op == IOMMU_TEST_OP_DMABUF_REVOKE)
			t->dmabuf_revoke = (typeof(t->dmabuf_revoke)){
				.dmabuf_fd = take(in, 1) % 4 ? dmabuf_fd : memfd,
				.revoked = (uint32_t)(take(in, 1) & 1) };
		else if (t->op == IOMMU_TEST_OP_MD_CHECK_DMABUF)
			t->check_dmabuf = (typeof(t->check_dmabuf)){
				.dmabuf_fd = dmabuf_fd, .offset = (take(in, 1) % 4) * 2048,
				.iova = iova, .length = len };
		else if (t->op >= IOMMU_TEST_OP_PASID_ATTACH)
			t->pasid_attach = (typeof(t->pasid_attach)){
				.pasid = take(in, 1) & 1 ? 1024 : 7,
				.pt_id = take(in, 1) & 1 ? 10 : id2 };
		break;
	}
	default:
		break;
	}
}

static void stats(struct abi_env *e, struct siommu_iommufd_stats *st)
{
	siommu_iommufd_get_stats(abi_env_ictx(e), st);
}

/* read() on a vEVENTQ's fd, any count and position. */
static void veventq_fd_op(struct abi_env *e, struct in *in)
{
	uint32_t id = (uint32_t)(take(in, 1) % 13);
	unsigned long count = (unsigned long)(take(in, 1) % 200);
	long long pos = take(in, 1) % 4 == 0 ? (long long)take(in, 1) : 0;
	struct siommu_iommufd_stats sb, sa;
	long ret;

	siommu_iommufd_get_stats(abi_env_ictx(e), &sb);
	ret = siommu_iommufd_veventq_read(abi_env_ictx(e), id, pool, count, pos);
	siommu_iommufd_get_stats(abi_env_ictx(e), &sa);
	CHECK(!memcmp(&sb, &sa, sizeof(sb)));
	if (pos)
		CHECK_EQ(ret, -ESPIPE);
	else if (ret >= 0)
		CHECK((unsigned long)ret <= count && ret % 8 == 0);
	else
		CHECK_EQ(ret, -ENOENT);
}

/* read() or write() on a fault queue's fd, any count and position. */
static void fault_fd_op(struct abi_env *e, struct in *in)
{
	static const unsigned long counts[] = { 0, 4, 8, 16, 39, 40, 80, 160, 1000 };
	uint32_t id = (uint32_t)(take(in, 1) % 13);
	unsigned long count = counts[take(in, 1) % 9];
	long long pos = take(in, 1) % 4 == 0 ? (long long)take(in, 1) : 0;
	bool rd = take(in, 1) & 1;
	unsigned long rec = rd ? sizeof(struct iommu_hwpt_pgfault) :
				 sizeof(struct iommu_hwpt_page_response);
	struct siommu_iommufd_stats sb, sa;
	long ret;

	if (!rd && count)
		abi_env_page_request(e, (uint16_t)(take(in, 1) % 4), 0x1000 * take(in, 1),
				     take(in, 1) & 1);
	siommu_iommufd_get_stats(abi_env_ictx(e), &sb);
	ret = rd ? siommu_iommufd_fault_read(abi_env_ictx(e), id, pool, count, pos) :
		   siommu_iommufd_fault_write(abi_env_ictx(e), id, pool, count, pos);
	siommu_iommufd_get_stats(abi_env_ictx(e), &sa);
	CHECK(!memcmp(&sb, &sa, sizeof(sb)));
	if (pos || count % rec)
		CHECK_EQ(ret, -ESPIPE);
	else if (ret >= 0)
		CHECK(ret % (long)rec == 0 && (unsigned long)ret <= count);
	else
		CHECK(ret == -ENOENT || (!rd && ret == -EINVAL));
}

static void one_op(struct abi_env *e, struct in *in)
{
	uint8_t arg[ARG_MAX], before[ARG_MAX];
	struct siommu_iommufd_stats sb, sa;
	unsigned int pick = (unsigned int)take(in, 1);
	const struct cmd *c;
	unsigned long req;
	uint32_t usize, i;
	bool tail_set = false;
	int ret, want = 1;

	if (pick % 16 == 15) {
		/* A driver attaching a device (VFIO_DEVICE_ATTACH_IOMMUFD_PT). */
		uint32_t pt = word(in);

		abi_env_attach(e, (unsigned int)take(in, 1) % (ABI_ENV_PRI_DEV + 1), &pt);
		return;
	}
	if (pick % 16 == 14) {
		if (take(in, 1) % 4)
			fault_fd_op(e, in);
		else
			veventq_fd_op(e, in);
		return;
	}
	c = &cmds[pick % (sizeof(cmds) / sizeof(cmds[0]))];
	req = c->req;
	if (pick % 32 == 13) {
		req = _IO(';', take(in, 1));		/* anything */
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (cmds[i].req == req)
				c = &cmds[i];		/* its pointers clamped */
	}
	usize = usize_of(in, c);
	memset(arg, 0, sizeof(arg));
	if (take(in, 1) & 1) {
		/* A correct struct with a few words changed. */
		unsigned int k = (unsigned int)(take(in, 1) % 3);

		templ(c, arg, in);
		while (k--) {
			uint32_t w = word(in);

			i = (uint32_t)(take(in, 1) % (usize / 4 + 1)) * 4;
			if (i + 4 <= ARG_MAX)
				memcpy(arg + i, &w, 4);
		}
	} else {
		for (i = 0; i + 4 <= usize && i + 4 <= ARG_MAX; i += 4) {
			uint32_t w = word(in);

			memcpy(arg + i, &w, 4);
		}
	}
	if (usize < ARG_MAX)
		memset(arg + usize, 0, ARG_MAX - usize);
	memcpy(arg, &usize, 4);
	clamp(c, arg, usize, in);
	for (i = c->size; i < usize; i++)
		tail_set |= arg[i] != 0;
	memcpy(before, arg, sizeof(arg));

	/* What the size rules alone decide. */
	if ((req & 0xff) < IOMMUFD_CMD_BASE) {
		/* The type1 container: VFIO's rules, checked by abi.c. */
		want = 1;
	} else if (req != c->req) {
		want = -ENOTTY;
	} else if (usize < c->min_size) {
		want = -EINVAL;
	} else if (tail_set) {
		want = -E2BIG;
	}
	stats(e, &sb);
	if (req == VFIO_CHECK_EXTENSION || req == VFIO_SET_IOMMU)
		ret = siommu_iommufd_ioctl(abi_env_ictx(e), req,
					   (void *)(uintptr_t)(take(in, 1) % 12));
	else
		ret = siommu_iommufd_ioctl(abi_env_ictx(e), req, arg);
	stats(e, &sa);
	if (want != 1)
		CHECK_EQ(ret, want);
	if (ret > 0 && req == IOMMU_TEST_CMD &&
	    ((struct iommu_test_cmd *)arg)->op == IOMMU_TEST_OP_DMABUF_GET) {
		/* A dma-buf's fd: the one later ops name. */
		if (dmabuf_fd >= 0)
			close(dmabuf_fd);
		dmabuf_fd = ret;
		ret = 0;
	}
	CHECK(ret <= 0 || (req == VFIO_CHECK_EXTENSION && ret == 1));
	if (ret > 0)
		ret = 0;
	if (ret)
		CHECK(allowed_errno(ret));
	if (usize < sizeof(arg))
		CHECK(!memcmp(arg + usize, before + usize, sizeof(arg) - usize));
	/* -EMSGSIZE reports the count, INVALIDATE how far it got. */
	if (ret && ret != -EMSGSIZE && req != IOMMU_HWPT_INVALIDATE &&
	    req != VFIO_IOMMU_UNMAP_DMA)
		CHECK(!memcmp(arg, before, sizeof(arg)));
	if (ret)
		CHECK(!memcmp(&sb, &sa, sizeof(sb)));
	if (!ret && req == IOMMU_TEST_CMD &&
	    ((struct iommu_test_cmd *)arg)->op == IOMMU_TEST_OP_CREATE_ACCESS) {
		int fd = (int)((struct iommu_test_cmd *)arg)->create_access.out_access_fd;

		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		CHECK(nr_access_fds < MAX_OPS);
		access_fds[nr_access_fds++] = fd;
	}
	if (!ret && req == c->req && c->fd_out >= 0 && usize >= (uint32_t)c->fd_out + 4) {
		int fd;

		memcpy(&fd, arg + c->fd_out, 4);
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}
}

/*
 * What IOMMU_TEST_CMD's ops act on, so that they get past their lookups:
 * IOAS 6 with the pool's first pages mapped in the mock aperture and a
 * PASID-capable mock device attached to it (SELFTEST 7, DEVICE 8, its
 * automatic HWPT 9, then moved to PASID HWPT 10), all within the
 * templates' IDs, and an access to the IOAS that pins pages.
 */
static void mock_start(struct abi_env *e)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
				    .user_va = (uintptr_t)pool, .length = 8 * 4096,
				    .iova = MOCK_APERTURE_START + 0x100000 };
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				    .mock_domain_flags = { .dev_flags =
							   MOCK_FLAGS_DEVICE_PASID } };
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_PASID };

	CHECK_OK(siommu_iommufd_ioctl(abi_env_ictx(e), IOMMU_IOAS_ALLOC, &a));
	m.ioas_id = a.out_ioas_id;
	CHECK_OK(siommu_iommufd_ioctl(abi_env_ictx(e), IOMMU_IOAS_MAP, &m));
	c.id = a.out_ioas_id;
	CHECK_OK(siommu_iommufd_ioctl(abi_env_ictx(e), IOMMU_TEST_CMD, &c));
	h.dev_id = c.mock_domain_flags.out_idev_id;
	h.pt_id = a.out_ioas_id;
	CHECK_OK(siommu_iommufd_ioctl(abi_env_ictx(e), IOMMU_HWPT_ALLOC, &h));
	c = (struct iommu_test_cmd){ .size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				     .id = c.mock_domain_flags.out_stdev_id,
				     .mock_domain_replace = { .pt_id = h.out_hwpt_id } };
	CHECK_OK(siommu_iommufd_ioctl(abi_env_ictx(e), IOMMU_TEST_CMD, &c));
	c = (struct iommu_test_cmd){ .size = sizeof(c), .op = IOMMU_TEST_OP_CREATE_ACCESS,
				     .id = a.out_ioas_id, .create_access = {
					.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES } };
	CHECK_OK(siommu_iommufd_ioctl(abi_env_ictx(e), IOMMU_TEST_CMD, &c));
	access_fds[nr_access_fds++] = (int)c.create_access.out_access_fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct abi_env *e;
	unsigned int n;

	pool_init();
	e = abi_env_create_mode(64, true);	/* a pin limit the pool can reach */
	mock_start(e);
	for (n = 0; in.n && n < MAX_OPS; n++)
		one_op(e, &in);
	abi_env_destroy(e);
	while (nr_access_fds)
		close(access_fds[--nr_access_fds]);
	return 0;
}
