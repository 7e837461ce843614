/* SPDX-License-Identifier: MIT */
/*
 * Linux's iommufd rules, one by one, through the ABI only: a program that
 * includes libc and the ABI headers and runs under libsiommu-preload.so in
 * test mode (SIOMMU_IOMMUFD_TEST=1), on a fixture of mock devices, HWPTs,
 * a vIOMMU with a vDEVICE, a nested HWPT, a fault queue and a vEVENTQ.
 *   - errnos: a table of (command, fields changed from a valid struct,
 *     errno); each refused call leaves the caller's struct as it was (but
 *     the outputs Linux writes on failure) and the context as it was: the
 *     objects (each ID's answer to a type probe), the next ID handed out,
 *     the IOVA ranges, the mock domains' mappings and page references,
 *     the PASID attachment, the queues' readiness;
 *   - GET_HW_INFO's data types: DEFAULT and the driver's own with
 *     INPUT_TYPE, every other one -EOPNOTSUPP; without the flag the field
 *     is output only;
 *   - lifetimes: a table of (object, what uses it, how that goes): while
 *     used, IOMMU_DESTROY is -EBUSY and the object stays; then it goes.
 *     A queue's fd holds its object until its last close (dup included);
 *     mappings alone hold no IOAS;
 *   - a HW queue's range of the parent's IOAS is locked while it lives;
 *   - a vDEVICE whose device is unbound leaves a tombstone;
 *   - closing: a queue's fd outlives the /dev/iommu fd (reads, writes and
 *     poll still answer); a forked child's copy of it holds its object
 *     after the parent's close.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_test.h>

#include "prog.h"

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED IOMMU_IOAS_MAP_FIXED_IOVA
#define LEN 65536ul
#define BASE ((uint64_t)MOCK_APERTURE_START)	/* the fixture's mapping */
#define FREE (BASE + 0x100000)			/* a hole in it */
#define MISALIGNED (0x100000 + 2048)		/* a 2K area of ioas3 */
#define PASID 5
#define VIRT_ID 0x99

/* ---- the fixture ---- */

struct fx {
	int fd, memfd, rofd, fault_fd, veventq_fd;
	uint32_t ioas, ioas2, ioas3;	/* ioas3: no domain */
	uint32_t stdev, idev;		/* PASID-capable, RID on hwpt */
	uint32_t stdev2, idev2, hwpt2;	/* no dirty tracking, on ioas2 */
	uint32_t hwpt;			/* PASID | DIRTY_TRACKING, also at PASID */
	uint32_t plain;			/* paging, no flags, unused */
	uint32_t parent, viommu, vdev, nested, fault, veventq;
};

static uint8_t *buf, *buf2;

static int io(struct fx *f, unsigned long req, void *arg)
{
	return ioctl(f->fd, req, arg);
}

static int test_cmd(struct fx *f, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(f->fd, IOMMU_TEST_CMD, c);
}

static int destroy(struct fx *f, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return io(f, IOMMU_DESTROY, &d);
}

static uint32_t ioas_alloc(struct fx *f)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(!io(f, IOMMU_IOAS_ALLOC, &a));
	return a.out_ioas_id;
}

static void mock_dev(struct fx *f, uint32_t pt, uint32_t flags, uint32_t *stdev,
		     uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt,
				    .mock_domain_flags = { .dev_flags = flags } };

	CHECK(!test_cmd(f, &c));
	*stdev = c.mock_domain_flags.out_stdev_id;
	*hwpt = c.mock_domain_flags.out_hwpt_id;
	*idev = c.mock_domain_flags.out_idev_id;
}

static uint32_t hwpt_alloc(struct fx *f, uint32_t dev, uint32_t pt, uint32_t flags)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = dev, .pt_id = pt,
				      .flags = flags };

	CHECK(!io(f, IOMMU_HWPT_ALLOC, &h));
	return h.out_hwpt_id;
}

static uint32_t nested_alloc(struct fx *f, uint32_t pt)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .dev_id = f->idev, .pt_id = pt,
		.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};

	CHECK(!io(f, IOMMU_HWPT_ALLOC, &h));
	return h.out_hwpt_id;
}

static void fault_alloc(struct fx *f, uint32_t *id, int *fd)
{
	struct iommu_fault_alloc a = { .size = sizeof(a) };

	CHECK(!io(f, IOMMU_FAULT_QUEUE_ALLOC, &a));
	*id = a.out_fault_id;
	*fd = (int)a.out_fault_fd;
}

static int veventq_alloc(struct fx *f, uint32_t viommu, uint32_t *id, int *fd)
{
	struct iommu_veventq_alloc a = { .size = sizeof(a), .viommu_id = viommu,
					 .type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 4 };
	int ret = io(f, IOMMU_VEVENTQ_ALLOC, &a);

	*id = a.out_veventq_id;
	*fd = (int)a.out_veventq_fd;
	return ret;
}

static uint32_t viommu_alloc_on(struct fx *f, uint32_t parent)
{
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					.dev_id = f->idev, .hwpt_id = parent };

	CHECK(!io(f, IOMMU_VIOMMU_ALLOC, &a));
	return a.out_viommu_id;
}

static uint32_t vdevice_alloc(struct fx *f, uint32_t viommu, uint32_t dev, uint64_t virt_id)
{
	struct iommu_vdevice_alloc a = { .size = sizeof(a), .viommu_id = viommu, .dev_id = dev,
					 .virt_id = virt_id };

	CHECK(!io(f, IOMMU_VDEVICE_ALLOC, &a));
	return a.out_vdevice_id;
}

static int pasid_op(struct fx *f, uint32_t op, uint32_t pasid, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = op, .id = f->stdev,
				    .pasid_attach = { .pasid = pasid, .pt_id = pt } };

	return test_cmd(f, &c);
}

static int replace(struct fx *f, uint32_t stdev, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
				    .mock_domain_replace = { .pt_id = pt } };

	return test_cmd(f, &c);
}

static void fx_setup(struct fx *f)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW | FIXED,
				    .user_va = (uintptr_t)buf, .length = LEN, .iova = BASE };
	uint32_t auto_hwpt;

	memset(f, 0, sizeof(*f));
	f->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(f->fd >= 0);
	f->ioas = ioas_alloc(f);
	f->ioas2 = ioas_alloc(f);
	mock_dev(f, f->ioas, MOCK_FLAGS_DEVICE_PASID, &f->stdev, &auto_hwpt, &f->idev);
	mock_dev(f, f->ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY, &f->stdev2, &f->hwpt2, &f->idev2);
	m.ioas_id = f->ioas;
	CHECK(!io(f, IOMMU_IOAS_MAP, &m));
	/* With no domain, an area HUGE_PAGES 0 refuses: 2K into a page. */
	f->ioas3 = ioas_alloc(f);
	m.ioas_id = f->ioas3;
	m.user_va = (uintptr_t)buf2 + 2048;
	m.length = 2048;
	m.iova = MISALIGNED;
	CHECK(!io(f, IOMMU_IOAS_MAP, &m));
	/* The RID moves to a PASID-capable HWPT, which a PASID shares; the
	 * automatic one goes with its last device. */
	f->hwpt = hwpt_alloc(f, f->idev, f->ioas,
			     IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	CHECK(!replace(f, f->stdev, f->hwpt));
	CHECK(destroy(f, auto_hwpt) == -1 && errno == ENOENT);
	CHECK(!pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, PASID, f->hwpt));
	f->plain = hwpt_alloc(f, f->idev, f->ioas, 0);
	f->parent = hwpt_alloc(f, f->idev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
	f->viommu = viommu_alloc_on(f, f->parent);
	f->vdev = vdevice_alloc(f, f->viommu, f->idev, VIRT_ID);
	f->nested = nested_alloc(f, f->viommu);
	fault_alloc(f, &f->fault, &f->fault_fd);
	CHECK(!veventq_alloc(f, f->viommu, &f->veventq, &f->veventq_fd));
	f->memfd = memfd_create("abi_rules", MFD_CLOEXEC);
	CHECK(f->memfd >= 0 && !ftruncate(f->memfd, LEN));
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", f->memfd);
		f->rofd = open(path, O_RDONLY | O_CLOEXEC);
		CHECK(f->rofd >= 0);
	}
}

static void fx_teardown(struct fx *f)
{
	close(f->fault_fd);
	close(f->veventq_fd);
	close(f->memfd);
	close(f->rofd);
	close(f->fd);
}

/* ---- what a refused call must leave as it was ---- */

#define PROBE_IDS 40

struct state {
	int id_answer[PROBE_IDS];	/* HWPT_INVALIDATE's probe of each ID */
	uint32_t next_id;
	struct iommu_iova_range ranges[2][4];
	uint32_t nranges[2];
	uint64_t align[2];
	int mapped, hole, refs, pasid_hwpt;
	short fault_ready, veventq_ready;
};

static int errno_of(int ret)
{
	return ret ? -errno : 0;
}

static short ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	CHECK(poll(&p, 1, 0) >= 0);
	return p.revents;
}

static void state_get(struct fx *f, struct state *s)
{
	struct iommu_test_cmd c;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	/* entry_num 0 probes: -ENOENT for no object, else by type. */
	for (i = 0; i < PROBE_IDS; i++) {
		struct iommu_hwpt_invalidate inv = {
			.size = sizeof(inv), .hwpt_id = i + 1,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		};

		s->id_answer[i] = errno_of(io(f, IOMMU_HWPT_INVALIDATE, &inv));
	}
	s->next_id = ioas_alloc(f);
	CHECK(!destroy(f, s->next_id));
	for (i = 0; i < 2; i++) {
		struct iommu_ioas_iova_ranges r = {
			.size = sizeof(r), .ioas_id = i ? f->ioas2 : f->ioas, .num_iovas = 4,
			.allowed_iovas = (uintptr_t)s->ranges[i],
		};

		CHECK(!io(f, IOMMU_IOAS_IOVA_RANGES, &r));
		s->nranges[i] = r.num_iovas;
		s->align[i] = r.out_iova_alignment;
	}
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = f->hwpt,
		.check_map = { .iova = BASE, .length = LEN, .uptr = (uintptr_t)buf } };
	s->mapped = errno_of(test_cmd(f, &c));
	c.check_map.iova = FREE;
	s->hole = errno_of(test_cmd(f, &c));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = LEN, .uptr = (uintptr_t)buf, .refs = 1 } };
	s->refs = errno_of(test_cmd(f, &c));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_PASID_CHECK_HWPT, .id = f->stdev,
		.pasid_check = { .pasid = PASID, .hwpt_id = f->hwpt } };
	s->pasid_hwpt = errno_of(test_cmd(f, &c));
	s->fault_ready = ready(f->fault_fd);
	s->veventq_ready = ready(f->veventq_fd);
}

static void state_check(const struct state *a, const struct state *b, const char *what)
{
	unsigned int i;

	for (i = 0; i < PROBE_IDS; i++)
		if (a->id_answer[i] != b->id_answer[i])
			fprintf(stderr, "%s: ID %u answers %d, was %d\n", what, i + 1,
				b->id_answer[i], a->id_answer[i]);
	if (a->next_id != b->next_id)
		fprintf(stderr, "%s: next ID %u, was %u\n", what, b->next_id, a->next_id);
	CHECK(!memcmp(a, b, sizeof(*a)));
}

/* ---- errnos: a valid struct per command, fields changed, the errno ---- */

/* Field values naming fixture objects and memory. */
enum {
	V_IOAS = 1, V_IOAS2, V_IOAS3, V_IDEV, V_IDEV2, V_STDEV, V_STDEV2, V_HWPT, V_HWPT2, V_PLAIN, V_PARENT,
	V_VIOMMU, V_VDEV, V_NESTED, V_FAULT, V_VEVENTQ, V_MEMFD, V_BUF, V_RANGES, V_ENTRY,
	V_SELFTEST, V_SHORT, V_BITMAP, V_BUF1K, V_ROFD,
};
#define FXV(v) (0xf1f0000000000000ull | (v))

static struct iommu_iova_range allow_ranges[2];
static uint8_t entry[64], bitmap[64];
static struct iommu_hwpt_selftest selftest_data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
static uint16_t short_data;

static uint64_t resolve(const struct fx *f, uint64_t v)
{
	if ((v >> 48) != 0xf1f0)
		return v;
	switch (v & 0xffff) {
	case V_IOAS: return f->ioas;
	case V_IOAS2: return f->ioas2;
	case V_IOAS3: return f->ioas3;
	case V_IDEV: return f->idev;
	case V_IDEV2: return f->idev2;
	case V_STDEV: return f->stdev;
	case V_STDEV2: return f->stdev2;
	case V_HWPT: return f->hwpt;
	case V_HWPT2: return f->hwpt2;
	case V_PLAIN: return f->plain;
	case V_PARENT: return f->parent;
	case V_VIOMMU: return f->viommu;
	case V_VDEV: return f->vdev;
	case V_NESTED: return f->nested;
	case V_FAULT: return f->fault;
	case V_VEVENTQ: return f->veventq;
	case V_MEMFD: return (uint64_t)f->memfd;
	case V_ROFD: return (uint64_t)f->rofd;
	case V_BUF: return (uintptr_t)buf;
	case V_BUF1K: return (uintptr_t)buf + 1024;
	case V_RANGES: return (uintptr_t)allow_ranges;
	case V_ENTRY: return (uintptr_t)entry;
	case V_SELFTEST: return (uintptr_t)&selftest_data;
	case V_SHORT: return (uintptr_t)&short_data;
	case V_BITMAP: return (uintptr_t)bitmap;
	}
	CHECK(0);
	return 0;
}

struct set {
	uint16_t off, len;	/* len 0: unused */
	uint64_t val;
};

struct row {
	const char *what;
	unsigned long req;
	uint32_t size;
	struct set base[8];	/* the valid struct */
	struct set change[3];	/* what makes it wrong */
	int err;
	int out_off;		/* a field Linux writes on failure, or -1 */
	uint32_t out_val;
};

#define F(s, field, v) { offsetof(struct s, field), sizeof(((struct s *)0)->field), v }

#define MAP_BASE(ioas_v)                                                        \
	{ F(iommu_ioas_map, ioas_id, FXV(ioas_v)), F(iommu_ioas_map, flags, RW | FIXED), \
	  F(iommu_ioas_map, user_va, FXV(V_BUF)), F(iommu_ioas_map, length, 4096),       \
	  F(iommu_ioas_map, iova, FREE) }
#define COPY_BASE                                                                    \
	{ F(iommu_ioas_copy, flags, RW | FIXED), F(iommu_ioas_copy, dst_ioas_id, FXV(V_IOAS)), \
	  F(iommu_ioas_copy, src_ioas_id, FXV(V_IOAS)), F(iommu_ioas_copy, length, 4096),       \
	  F(iommu_ioas_copy, dst_iova, FREE), F(iommu_ioas_copy, src_iova, BASE) }
#define MAP_FILE_BASE                                                                   \
	{ F(iommu_ioas_map_file, ioas_id, FXV(V_IOAS)), F(iommu_ioas_map_file, flags, RW | FIXED), \
	  F(iommu_ioas_map_file, fd, FXV(V_MEMFD)), F(iommu_ioas_map_file, length, 4096),         \
	  F(iommu_ioas_map_file, iova, FREE) }
#define UNMAP_BASE                                                                   \
	{ F(iommu_ioas_unmap, ioas_id, FXV(V_IOAS)), F(iommu_ioas_unmap, iova, BASE),       \
	  F(iommu_ioas_unmap, length, LEN) }
#define ALLOW_BASE                                                                   \
	{ F(iommu_ioas_allow_iovas, ioas_id, FXV(V_IOAS)),                                   \
	  F(iommu_ioas_allow_iovas, num_iovas, 1),                                           \
	  F(iommu_ioas_allow_iovas, allowed_iovas, FXV(V_RANGES)) }
#define RANGES_BASE                                                                  \
	{ F(iommu_ioas_iova_ranges, ioas_id, FXV(V_IOAS)),                                   \
	  F(iommu_ioas_iova_ranges, num_iovas, 2),                                           \
	  F(iommu_ioas_iova_ranges, allowed_iovas, FXV(V_RANGES)) }
#define OPTION_BASE                                                                  \
	{ F(iommu_option, option_id, IOMMU_OPTION_HUGE_PAGES),                              \
	  F(iommu_option, op, IOMMU_OPTION_OP_SET), F(iommu_option, object_id, FXV(V_IOAS2)), \
	  F(iommu_option, val64, 1) }
#define HWPT_BASE                                                                    \
	{ F(iommu_hwpt_alloc, dev_id, FXV(V_IDEV)), F(iommu_hwpt_alloc, pt_id, FXV(V_IOAS)) }
#define NESTED_BASE                                                                  \
	{ F(iommu_hwpt_alloc, dev_id, FXV(V_IDEV)), F(iommu_hwpt_alloc, pt_id, FXV(V_VIOMMU)), \
	  F(iommu_hwpt_alloc, data_type, IOMMU_HWPT_DATA_SELFTEST),                           \
	  F(iommu_hwpt_alloc, data_len, sizeof(struct iommu_hwpt_selftest)),                  \
	  F(iommu_hwpt_alloc, data_uptr, FXV(V_SELFTEST)) }
#define INFO_BASE                                                                    \
	{ F(iommu_hw_info, dev_id, FXV(V_IDEV)), F(iommu_hw_info, data_len, 8),             \
	  F(iommu_hw_info, data_uptr, FXV(V_ENTRY)) }
#define SET_DIRTY_BASE                                                               \
	{ F(iommu_hwpt_set_dirty_tracking, hwpt_id, FXV(V_HWPT)),                           \
	  F(iommu_hwpt_set_dirty_tracking, flags, IOMMU_HWPT_DIRTY_TRACKING_ENABLE) }
#define GET_DIRTY_BASE                                                               \
	{ F(iommu_hwpt_get_dirty_bitmap, hwpt_id, FXV(V_HWPT)),                             \
	  F(iommu_hwpt_get_dirty_bitmap, iova, BASE), F(iommu_hwpt_get_dirty_bitmap, length, LEN), \
	  F(iommu_hwpt_get_dirty_bitmap, page_size, MOCK_PAGE_SIZE),                         \
	  F(iommu_hwpt_get_dirty_bitmap, data, FXV(V_BITMAP)) }
#define INV_BASE                                                                     \
	{ F(iommu_hwpt_invalidate, hwpt_id, FXV(V_NESTED)),                                 \
	  F(iommu_hwpt_invalidate, data_uptr, FXV(V_ENTRY)),                                  \
	  F(iommu_hwpt_invalidate, data_type, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST),           \
	  F(iommu_hwpt_invalidate, entry_len, sizeof(struct iommu_hwpt_invalidate_selftest)), \
	  F(iommu_hwpt_invalidate, entry_num, 1) }
#define VIOMMU_BASE                                                                  \
	{ F(iommu_viommu_alloc, type, IOMMU_VIOMMU_TYPE_SELFTEST),                          \
	  F(iommu_viommu_alloc, dev_id, FXV(V_IDEV)), F(iommu_viommu_alloc, hwpt_id, FXV(V_PARENT)) }
#define VDEV_BASE                                                                    \
	{ F(iommu_vdevice_alloc, viommu_id, FXV(V_VIOMMU)),                                 \
	  F(iommu_vdevice_alloc, dev_id, FXV(V_IDEV2)), F(iommu_vdevice_alloc, virt_id, 0x42) }
#define VEVENTQ_BASE                                                                 \
	{ F(iommu_veventq_alloc, viommu_id, FXV(V_VIOMMU)),                                 \
	  F(iommu_veventq_alloc, type, IOMMU_VEVENTQ_TYPE_SELFTEST),                          \
	  F(iommu_veventq_alloc, veventq_depth, 2) }
#define HWQ_BASE                                                                     \
	{ F(iommu_hw_queue_alloc, viommu_id, FXV(V_VIOMMU)),                                \
	  F(iommu_hw_queue_alloc, type, IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV),                  \
	  F(iommu_hw_queue_alloc, nesting_parent_iova, BASE),                                 \
	  F(iommu_hw_queue_alloc, length, 4096) }

#define HWQ_MOCK_BASE                                                                \
	{ F(iommu_hw_queue_alloc, viommu_id, FXV(V_VIOMMU)),                                \
	  F(iommu_hw_queue_alloc, type, IOMMU_HW_QUEUE_TYPE_SELFTEST),                        \
	  F(iommu_hw_queue_alloc, nesting_parent_iova, BASE),                                 \
	  F(iommu_hw_queue_alloc, length, 4096) }

#define PASID_BASE(op_)                                                              \
	{ F(iommu_test_cmd, op, IOMMU_TEST_OP_##op_), F(iommu_test_cmd, id, FXV(V_STDEV)),   \
	  F(iommu_test_cmd, pasid_attach.pasid, PASID + 1),                                   \
	  F(iommu_test_cmd, pasid_attach.pt_id, FXV(V_HWPT)) }
#define RID_BASE                                                                     \
	{ F(iommu_test_cmd, op, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE),                          \
	  F(iommu_test_cmd, id, FXV(V_STDEV)),                                                \
	  F(iommu_test_cmd, mock_domain_replace.pt_id, FXV(V_HWPT)) }

#define ROW(w, cmd, s, b, err, ...) \
	{ w, IOMMU_##cmd, sizeof(struct s), b, { __VA_ARGS__ }, err, -1, 0 }
#define ROW_OUT(w, cmd, s, b, err, out, v, ...) \
	{ w, IOMMU_##cmd, sizeof(struct s), b, { __VA_ARGS__ }, err, \
	  offsetof(struct s, out), v }

static const struct row rows[] = {
	ROW("destroy ID 0", DESTROY, iommu_destroy, {}, ENOENT, F(iommu_destroy, id, 0)),
	ROW("destroy unknown", DESTROY, iommu_destroy, {}, ENOENT, F(iommu_destroy, id, 1000)),
	ROW("destroy the driver's device", DESTROY, iommu_destroy, {}, EBUSY,
	    F(iommu_destroy, id, FXV(V_IDEV))),
	ROW("ioas_alloc flags", IOAS_ALLOC, iommu_ioas_alloc, {}, EOPNOTSUPP,
	    F(iommu_ioas_alloc, flags, 1)),

	ROW("allow reserved", IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ALLOW_BASE, EOPNOTSUPP,
	    F(iommu_ioas_allow_iovas, __reserved, 1)),
	ROW("allow no IOAS", IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ALLOW_BASE, ENOENT,
	    F(iommu_ioas_allow_iovas, ioas_id, FXV(V_HWPT))),
	ROW("allow start == last", IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ALLOW_BASE, EINVAL,
	    F(iommu_ioas_allow_iovas, num_iovas, 2)),	/* allow_ranges[1] is set so */
	ROW("allow on a reserved range", IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ALLOW_BASE,
	    EADDRINUSE, F(iommu_ioas_allow_iovas, ioas_id, FXV(V_IOAS2))),

	ROW("copy flags", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EOPNOTSUPP,
	    F(iommu_ioas_copy, flags, RW | FIXED | 8)),
	ROW("copy without access", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EINVAL,
	    F(iommu_ioas_copy, flags, FIXED)),
	ROW("copy from a hole", IOAS_COPY, iommu_ioas_copy, COPY_BASE, ENOENT,
	    F(iommu_ioas_copy, src_iova, FREE)),
	ROW("copy past the areas", IOAS_COPY, iommu_ioas_copy, COPY_BASE, ENOENT,
	    F(iommu_ioas_copy, length, 2 * LEN)),
	ROW("copy onto an area", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EEXIST,
	    F(iommu_ioas_copy, dst_iova, BASE)),
	ROW("copy no source", IOAS_COPY, iommu_ioas_copy, COPY_BASE, ENOENT,
	    F(iommu_ioas_copy, src_ioas_id, FXV(V_PLAIN))),
	ROW("copy no destination", IOAS_COPY, iommu_ioas_copy, COPY_BASE, ENOENT,
	    F(iommu_ioas_copy, dst_ioas_id, 1000)),
	ROW("copy wraps", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EOVERFLOW,
	    F(iommu_ioas_copy, dst_iova, UINT64_MAX - 2047)),

	ROW("ranges reserved", IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, RANGES_BASE, EOPNOTSUPP,
	    F(iommu_ioas_iova_ranges, __reserved, 1)),
	ROW("ranges no IOAS", IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, RANGES_BASE, ENOENT,
	    F(iommu_ioas_iova_ranges, ioas_id, FXV(V_VIOMMU))),

	ROW("map flags", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EOPNOTSUPP,
	    F(iommu_ioas_map, flags, RW | FIXED | 8)),
	ROW("map reserved", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EOPNOTSUPP,
	    F(iommu_ioas_map, __reserved, 1)),
	ROW("map without access", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, flags, FIXED)),
	ROW("map length 0", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, length, 0)),
	ROW("map IOVA misaligned", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, iova, FREE + 1024)),
	ROW("map length misaligned", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, length, 1024)),
	ROW("map memory misaligned", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, user_va, FXV(V_BUF1K)), F(iommu_ioas_map, length, 2048)),
	ROW("map memory misaligned where the IOAS picks", IOAS_MAP, iommu_ioas_map,
	    MAP_BASE(V_IOAS), EINVAL, F(iommu_ioas_map, flags, RW),
	    F(iommu_ioas_map, user_va, FXV(V_BUF1K)), F(iommu_ioas_map, length, 2048)),
	ROW("map reserved range", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, iova, 0x100000)),
	ROW("map onto an area", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EEXIST,
	    F(iommu_ioas_map, iova, BASE + LEN - 2048)),
	ROW("map wraps", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EOVERFLOW,
	    F(iommu_ioas_map, iova, UINT64_MAX - 2047)),
	ROW("map no room", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), ENOSPC,
	    F(iommu_ioas_map, flags, RW), F(iommu_ioas_map, length, 1ull << 32)),
	ROW("map unmapped memory", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EFAULT,
	    F(iommu_ioas_map, user_va, 1ull << 46)),
	ROW("map no IOAS", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), ENOENT,
	    F(iommu_ioas_map, ioas_id, FXV(V_FAULT))),

	ROW("map_file flags", IOAS_MAP_FILE, iommu_ioas_map_file, MAP_FILE_BASE, EOPNOTSUPP,
	    F(iommu_ioas_map_file, flags, RW | FIXED | 8)),
	ROW("map_file no fd", IOAS_MAP_FILE, iommu_ioas_map_file, MAP_FILE_BASE, EBADF,
	    F(iommu_ioas_map_file, fd, -1)),
	ROW("map_file writable, the fd read-only", IOAS_MAP_FILE, iommu_ioas_map_file,
	    MAP_FILE_BASE, EPERM, F(iommu_ioas_map_file, fd, FXV(V_ROFD))),
	ROW("map_file past the file", IOAS_MAP_FILE, iommu_ioas_map_file, MAP_FILE_BASE, EINVAL,
	    F(iommu_ioas_map_file, start, LEN)),
	ROW("map_file length 0", IOAS_MAP_FILE, iommu_ioas_map_file, MAP_FILE_BASE, EINVAL,
	    F(iommu_ioas_map_file, length, 0)),
	ROW("map_file onto an area", IOAS_MAP_FILE, iommu_ioas_map_file, MAP_FILE_BASE, EEXIST,
	    F(iommu_ioas_map_file, iova, BASE)),

	ROW("unmap a hole", IOAS_UNMAP, iommu_ioas_unmap, UNMAP_BASE, ENOENT,
	    F(iommu_ioas_unmap, iova, FREE)),
	ROW("unmap cutting an area", IOAS_UNMAP, iommu_ioas_unmap, UNMAP_BASE, ENOENT,
	    F(iommu_ioas_unmap, length, LEN / 2)),
	ROW("unmap cutting its start", IOAS_UNMAP, iommu_ioas_unmap, UNMAP_BASE, ENOENT,
	    F(iommu_ioas_unmap, iova, BASE + 4096)),
	ROW("unmap no IOAS", IOAS_UNMAP, iommu_ioas_unmap, UNMAP_BASE, ENOENT,
	    F(iommu_ioas_unmap, ioas_id, FXV(V_NESTED))),

	ROW("option unknown", OPTION, iommu_option, OPTION_BASE, EOPNOTSUPP,
	    F(iommu_option, option_id, 2)),
	ROW("option op", OPTION, iommu_option, OPTION_BASE, EOPNOTSUPP, F(iommu_option, op, 2)),
	ROW("option reserved", OPTION, iommu_option, OPTION_BASE, EOPNOTSUPP,
	    F(iommu_option, __reserved, 1)),
	ROW("option huge pages of ID 0", OPTION, iommu_option, OPTION_BASE, ENOENT,
	    F(iommu_option, object_id, 0)),
	ROW("option huge pages of a HWPT", OPTION, iommu_option, OPTION_BASE, ENOENT,
	    F(iommu_option, object_id, FXV(V_HWPT))),
	ROW("option huge pages 2", OPTION, iommu_option, OPTION_BASE, EINVAL,
	    F(iommu_option, val64, 2)),
	ROW("option huge pages off, domains map areas", OPTION, iommu_option, OPTION_BASE,
	    EINVAL, F(iommu_option, object_id, FXV(V_IOAS)), F(iommu_option, val64, 0)),
	ROW("option huge pages off, an area misaligned", OPTION, iommu_option, OPTION_BASE,
	    EADDRINUSE, F(iommu_option, object_id, FXV(V_IOAS3)), F(iommu_option, val64, 0)),
	ROW("option rlimit of an object", OPTION, iommu_option, OPTION_BASE, EOPNOTSUPP,
	    F(iommu_option, option_id, IOMMU_OPTION_RLIMIT_MODE),
	    F(iommu_option, op, IOMMU_OPTION_OP_GET)),

	ROW("vfio_ioas op", VFIO_IOAS, iommu_vfio_ioas, {}, EOPNOTSUPP, F(iommu_vfio_ioas, op, 3)),
	ROW("vfio_ioas reserved", VFIO_IOAS, iommu_vfio_ioas, {}, EOPNOTSUPP,
	    F(iommu_vfio_ioas, __reserved, 1)),
	ROW("vfio_ioas none", VFIO_IOAS, iommu_vfio_ioas, {}, ENODEV,
	    F(iommu_vfio_ioas, op, IOMMU_VFIO_IOAS_GET)),
	ROW("vfio_ioas set no IOAS", VFIO_IOAS, iommu_vfio_ioas, {}, ENOENT,
	    F(iommu_vfio_ioas, op, IOMMU_VFIO_IOAS_SET), F(iommu_vfio_ioas, ioas_id, FXV(V_HWPT))),

	ROW("hwpt flags", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, flags, 1u << 8)),
	ROW("hwpt reserved", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, __reserved, 1)),
	ROW("hwpt nest parent with a fault", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, flags, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID),
	    F(iommu_hwpt_alloc, fault_id, FXV(V_FAULT))),
	ROW("hwpt dirty, device without", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, flags, IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
	    F(iommu_hwpt_alloc, dev_id, FXV(V_IDEV2))),
	ROW("hwpt data for a paging one", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EINVAL,
	    F(iommu_hwpt_alloc, data_len, 4)),
	ROW("hwpt no device", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, ENOENT,
	    F(iommu_hwpt_alloc, dev_id, FXV(V_STDEV))),
	ROW("hwpt no pt", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, ENOENT,
	    F(iommu_hwpt_alloc, pt_id, 1000)),
	ROW("hwpt on a paging HWPT", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EINVAL,
	    F(iommu_hwpt_alloc, pt_id, FXV(V_PLAIN))),
	ROW("hwpt no fault queue", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, ENOENT,
	    F(iommu_hwpt_alloc, flags, IOMMU_HWPT_FAULT_ID_VALID),
	    F(iommu_hwpt_alloc, fault_id, FXV(V_VEVENTQ))),
	ROW("nested type NONE", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EINVAL,
	    F(iommu_hwpt_alloc, data_type, IOMMU_HWPT_DATA_NONE)),
	ROW("nested type unknown", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, data_type, 0x77)),
	ROW("nested data short", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EINVAL,
	    F(iommu_hwpt_alloc, data_len, 2), F(iommu_hwpt_alloc, data_uptr, FXV(V_SHORT))),
	ROW("nested data NULL", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EFAULT,
	    F(iommu_hwpt_alloc, data_uptr, 0)),
	ROW("nested as a parent", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, flags, IOMMU_HWPT_ALLOC_NEST_PARENT)),
	ROW("nested on a nested", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EINVAL,
	    F(iommu_hwpt_alloc, pt_id, FXV(V_NESTED))),
	ROW("nested on a paging HWPT", HWPT_ALLOC, iommu_hwpt_alloc, NESTED_BASE, EINVAL,
	    F(iommu_hwpt_alloc, pt_id, FXV(V_PLAIN))),

	ROW("hw_info flags", GET_HW_INFO, iommu_hw_info, INFO_BASE, EOPNOTSUPP,
	    F(iommu_hw_info, flags, 2)),
	ROW("hw_info reserved", GET_HW_INFO, iommu_hw_info, INFO_BASE, EOPNOTSUPP,
	    F(iommu_hw_info, __reserved[2], 1)),
	ROW("hw_info no device", GET_HW_INFO, iommu_hw_info, INFO_BASE, ENOENT,
	    F(iommu_hw_info, dev_id, FXV(V_STDEV))),

	ROW("set_dirty flags", HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking,
	    SET_DIRTY_BASE, EOPNOTSUPP, F(iommu_hwpt_set_dirty_tracking, flags, 2)),
	ROW("set_dirty reserved", HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking,
	    SET_DIRTY_BASE, EOPNOTSUPP, F(iommu_hwpt_set_dirty_tracking, __reserved, 1)),
	ROW("set_dirty untracked HWPT", HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking,
	    SET_DIRTY_BASE, EOPNOTSUPP, F(iommu_hwpt_set_dirty_tracking, hwpt_id, FXV(V_PLAIN))),
	ROW("set_dirty no HWPT", HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking,
	    SET_DIRTY_BASE, ENOENT, F(iommu_hwpt_set_dirty_tracking, hwpt_id, FXV(V_IOAS))),

	ROW("get_dirty flags", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, GET_DIRTY_BASE,
	    EOPNOTSUPP, F(iommu_hwpt_get_dirty_bitmap, flags, 2)),
	ROW("get_dirty reserved", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, EOPNOTSUPP, F(iommu_hwpt_get_dirty_bitmap, __reserved, 1)),
	ROW("get_dirty page size 0", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, EINVAL, F(iommu_hwpt_get_dirty_bitmap, page_size, 0)),
	ROW("get_dirty misaligned", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, EINVAL, F(iommu_hwpt_get_dirty_bitmap, iova, BASE + 1024)),
	ROW("get_dirty a hole", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, EINVAL, F(iommu_hwpt_get_dirty_bitmap, iova, FREE)),
	ROW("get_dirty wraps", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, EOVERFLOW,
	    F(iommu_hwpt_get_dirty_bitmap, iova, UINT64_MAX - MOCK_PAGE_SIZE + 1)),
	ROW("get_dirty no HWPT", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, ENOENT, F(iommu_hwpt_get_dirty_bitmap, hwpt_id, FXV(V_NESTED))),

	ROW_OUT("invalidate reserved", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		EOPNOTSUPP, entry_num, 0, F(iommu_hwpt_invalidate, __reserved, 1)),
	ROW_OUT("invalidate entry_len 0", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		EINVAL, entry_num, 0, F(iommu_hwpt_invalidate, entry_len, 0)),
	ROW_OUT("invalidate NULL array", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		EINVAL, entry_num, 0, F(iommu_hwpt_invalidate, data_uptr, 0)),
	ROW_OUT("invalidate a paging HWPT", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		EINVAL, entry_num, 0, F(iommu_hwpt_invalidate, hwpt_id, FXV(V_PARENT))),
	ROW_OUT("invalidate an IOAS", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		EINVAL, entry_num, 0, F(iommu_hwpt_invalidate, hwpt_id, FXV(V_IOAS))),
	ROW_OUT("invalidate no object", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		ENOENT, entry_num, 0, F(iommu_hwpt_invalidate, hwpt_id, 1000)),
	ROW_OUT("invalidate type", HWPT_INVALIDATE, iommu_hwpt_invalidate, INV_BASE,
		EINVAL, entry_num, 0, F(iommu_hwpt_invalidate, data_type, 0x77)),

	ROW("fault_alloc flags", FAULT_QUEUE_ALLOC, iommu_fault_alloc, {}, EOPNOTSUPP,
	    F(iommu_fault_alloc, flags, 1)),

	ROW("viommu flags", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, EOPNOTSUPP,
	    F(iommu_viommu_alloc, flags, 1)),
	ROW("viommu reserved", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, EOPNOTSUPP,
	    F(iommu_viommu_alloc, __reserved, 1)),
	ROW("viommu DEFAULT", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, EOPNOTSUPP,
	    F(iommu_viommu_alloc, type, IOMMU_VIOMMU_TYPE_DEFAULT)),
	ROW("viommu type", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, EOPNOTSUPP,
	    F(iommu_viommu_alloc, type, IOMMU_VIOMMU_TYPE_ARM_SMMUV3)),
	ROW("viommu not a parent", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, EINVAL,
	    F(iommu_viommu_alloc, hwpt_id, FXV(V_PLAIN))),
	ROW("viommu no HWPT", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, ENOENT,
	    F(iommu_viommu_alloc, hwpt_id, FXV(V_IOAS))),
	ROW("viommu no device", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, ENOENT,
	    F(iommu_viommu_alloc, dev_id, FXV(V_VDEV))),

	ROW("vdevice virt_id taken", VDEVICE_ALLOC, iommu_vdevice_alloc, VDEV_BASE, EEXIST,
	    F(iommu_vdevice_alloc, virt_id, VIRT_ID)),
	ROW("vdevice of a device that has one", VDEVICE_ALLOC, iommu_vdevice_alloc, VDEV_BASE,
	    EEXIST, F(iommu_vdevice_alloc, dev_id, FXV(V_IDEV))),
	ROW("vdevice no vIOMMU", VDEVICE_ALLOC, iommu_vdevice_alloc, VDEV_BASE, ENOENT,
	    F(iommu_vdevice_alloc, viommu_id, FXV(V_PARENT))),
	ROW("vdevice no device", VDEVICE_ALLOC, iommu_vdevice_alloc, VDEV_BASE, ENOENT,
	    F(iommu_vdevice_alloc, dev_id, FXV(V_VDEV))),

	ROW("veventq flags", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, EOPNOTSUPP,
	    F(iommu_veventq_alloc, flags, 1)),
	ROW("veventq reserved", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, EOPNOTSUPP,
	    F(iommu_veventq_alloc, __reserved, 1)),
	ROW("veventq DEFAULT", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, EOPNOTSUPP,
	    F(iommu_veventq_alloc, type, IOMMU_VEVENTQ_TYPE_DEFAULT)),
	ROW("veventq type", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, EOPNOTSUPP,
	    F(iommu_veventq_alloc, type, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3)),
	ROW("veventq depth 0", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, EINVAL,
	    F(iommu_veventq_alloc, veventq_depth, 0)),
	ROW("veventq of a type taken", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, EEXIST),
	ROW("veventq no vIOMMU", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE, ENOENT,
	    F(iommu_veventq_alloc, viommu_id, FXV(V_VDEV))),

	ROW("hw_queue flags", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_BASE, EOPNOTSUPP,
	    F(iommu_hw_queue_alloc, flags, 1)),
	ROW("hw_queue DEFAULT", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_BASE, EOPNOTSUPP,
	    F(iommu_hw_queue_alloc, type, IOMMU_HW_QUEUE_TYPE_DEFAULT)),
	ROW("hw_queue length 0", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_BASE, EINVAL,
	    F(iommu_hw_queue_alloc, length, 0)),
	ROW("hw_queue wraps", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_BASE, EOVERFLOW,
	    F(iommu_hw_queue_alloc, nesting_parent_iova, UINT64_MAX - 2047)),
	ROW("hw_queue no vIOMMU", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_BASE, ENOENT,
	    F(iommu_hw_queue_alloc, viommu_id, FXV(V_NESTED))),
	ROW("hw_queue a type the vIOMMU lacks", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_BASE,
	    EOPNOTSUPP),
	ROW("pasid attach of an IOAS", TEST_CMD, iommu_test_cmd, PASID_BASE(PASID_ATTACH), EINVAL,
	    F(iommu_test_cmd, pasid_attach.pt_id, FXV(V_IOAS))),
	ROW("pasid attach of a HWPT without PASID", TEST_CMD, iommu_test_cmd,
	    PASID_BASE(PASID_ATTACH), EINVAL, F(iommu_test_cmd, pasid_attach.pt_id, FXV(V_PLAIN))),
	ROW("pasid attach of a nested HWPT without PASID", TEST_CMD, iommu_test_cmd,
	    PASID_BASE(PASID_ATTACH), EINVAL, F(iommu_test_cmd, pasid_attach.pt_id, FXV(V_NESTED))),
	ROW("pasid attach again", TEST_CMD, iommu_test_cmd, PASID_BASE(PASID_ATTACH), EBUSY,
	    F(iommu_test_cmd, pasid_attach.pasid, PASID)),
	ROW("pasid attach beyond the width", TEST_CMD, iommu_test_cmd, PASID_BASE(PASID_ATTACH),
	    EINVAL, F(iommu_test_cmd, pasid_attach.pasid, 1u << 20)),
	ROW("pasid attach far beyond the width", TEST_CMD, iommu_test_cmd,
	    PASID_BASE(PASID_ATTACH), EINVAL, F(iommu_test_cmd, pasid_attach.pasid, UINT32_MAX)),
	ROW("pasid attach of a device without PASIDs", TEST_CMD, iommu_test_cmd,
	    PASID_BASE(PASID_ATTACH), EINVAL, F(iommu_test_cmd, id, FXV(V_STDEV2))),
	ROW("pasid replace of none", TEST_CMD, iommu_test_cmd, PASID_BASE(PASID_REPLACE), EINVAL),
	ROW("pasid replace beyond the width", TEST_CMD, iommu_test_cmd, PASID_BASE(PASID_REPLACE),
	    EINVAL, F(iommu_test_cmd, pasid_attach.pasid, 1u << 20)),
	ROW("pasid replace to a HWPT without PASID", TEST_CMD, iommu_test_cmd,
	    PASID_BASE(PASID_REPLACE), EINVAL, F(iommu_test_cmd, pasid_attach.pasid, PASID),
	    F(iommu_test_cmd, pasid_attach.pt_id, FXV(V_PLAIN))),
	ROW("pasid replace to an IOAS", TEST_CMD, iommu_test_cmd, PASID_BASE(PASID_REPLACE),
	    EINVAL, F(iommu_test_cmd, pasid_attach.pasid, PASID),
	    F(iommu_test_cmd, pasid_attach.pt_id, FXV(V_IOAS))),
	ROW("RID to a HWPT without PASID beside PASIDs", TEST_CMD, iommu_test_cmd, RID_BASE,
	    EINVAL, F(iommu_test_cmd, mock_domain_replace.pt_id, FXV(V_PLAIN))),
	ROW("RID to an IOAS beside PASIDs", TEST_CMD, iommu_test_cmd, RID_BASE, EINVAL,
	    F(iommu_test_cmd, mock_domain_replace.pt_id, FXV(V_IOAS))),
	ROW("RID of a device without dirty tracking to a dirty HWPT", TEST_CMD, iommu_test_cmd,
	    RID_BASE, EINVAL, F(iommu_test_cmd, id, FXV(V_STDEV2))),
	ROW("RID to a nested HWPT of a vIOMMU it has no vDEVICE on", TEST_CMD, iommu_test_cmd,
	    RID_BASE, ENOENT, F(iommu_test_cmd, id, FXV(V_STDEV2)),
	    F(iommu_test_cmd, mock_domain_replace.pt_id, FXV(V_NESTED))),
	ROW("RID to a fault queue", TEST_CMD, iommu_test_cmd, RID_BASE, EINVAL,
	    F(iommu_test_cmd, mock_domain_replace.pt_id, FXV(V_FAULT))),
	ROW("RID to nothing", TEST_CMD, iommu_test_cmd, RID_BASE, ENOENT,
	    F(iommu_test_cmd, mock_domain_replace.pt_id, 1000)),
	ROW("PASID of the C API's RID checked", TEST_CMD, iommu_test_cmd,
	    PASID_BASE(PASID_CHECK_HWPT), EINVAL,
	    F(iommu_test_cmd, pasid_check.pasid, UINT32_MAX)),
	ROW("hw_queue index past the driver's", HW_QUEUE_ALLOC, iommu_hw_queue_alloc,
	    HWQ_MOCK_BASE, EINVAL, F(iommu_hw_queue_alloc, index, IOMMU_TEST_HW_QUEUE_MAX)),
	ROW("hw_queue index 1 before 0", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_MOCK_BASE, EIO,
	    F(iommu_hw_queue_alloc, index, 1)),
	ROW("hw_queue over a hole", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_MOCK_BASE, ENOENT,
	    F(iommu_hw_queue_alloc, nesting_parent_iova, FREE)),
	ROW("hw_queue past the area", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_MOCK_BASE, ENOENT,
	    F(iommu_hw_queue_alloc, nesting_parent_iova, BASE + LEN - 2048)),
};

/* Which of two or three wrong fields answers: Linux's order of checks. */
static const struct row order_rows[] = {
	ROW("map: flags before overflow and IOAS", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS),
	    EOPNOTSUPP, F(iommu_ioas_map, flags, RW | 8), F(iommu_ioas_map, ioas_id, 1000),
	    F(iommu_ioas_map, iova, UINT64_MAX)),
	ROW("map: an IOVA of the whole space, not fixed", IOAS_MAP, iommu_ioas_map,
	    MAP_BASE(V_IOAS), EOVERFLOW, F(iommu_ioas_map, flags, RW),
	    F(iommu_ioas_map, iova, UINT64_MAX)),
	ROW("map_file: an IOVA of the whole space, not fixed", IOAS_MAP_FILE,
	    iommu_ioas_map_file, MAP_FILE_BASE, EOVERFLOW, F(iommu_ioas_map_file, flags, RW),
	    F(iommu_ioas_map_file, iova, UINT64_MAX)),
	ROW("copy: an IOVA of the whole space, not fixed", IOAS_COPY, iommu_ioas_copy, COPY_BASE,
	    EOVERFLOW, F(iommu_ioas_copy, flags, RW), F(iommu_ioas_copy, dst_iova, UINT64_MAX)),
	ROW("map: overflow before access", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EOVERFLOW,
	    F(iommu_ioas_map, flags, FIXED), F(iommu_ioas_map, length, UINT64_MAX)),
	ROW("map: access before IOAS", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), EINVAL,
	    F(iommu_ioas_map, flags, FIXED), F(iommu_ioas_map, ioas_id, 1000)),
	ROW("map: IOAS before length", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), ENOENT,
	    F(iommu_ioas_map, length, 0), F(iommu_ioas_map, ioas_id, 1000)),
	ROW("map: IOAS before alignment", IOAS_MAP, iommu_ioas_map, MAP_BASE(V_IOAS), ENOENT,
	    F(iommu_ioas_map, iova, FREE + 1), F(iommu_ioas_map, ioas_id, 1000)),
	ROW("copy: flags before overflow", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EOPNOTSUPP,
	    F(iommu_ioas_copy, flags, RW | 8), F(iommu_ioas_copy, length, UINT64_MAX)),
	ROW("copy: overflow before access", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EOVERFLOW,
	    F(iommu_ioas_copy, flags, 0), F(iommu_ioas_copy, src_iova, UINT64_MAX)),
	ROW("copy: access before source", IOAS_COPY, iommu_ioas_copy, COPY_BASE, EINVAL,
	    F(iommu_ioas_copy, flags, FIXED), F(iommu_ioas_copy, src_ioas_id, 1000)),
	ROW("copy: source before length", IOAS_COPY, iommu_ioas_copy, COPY_BASE, ENOENT,
	    F(iommu_ioas_copy, length, 0), F(iommu_ioas_copy, src_ioas_id, 1000)),
	ROW("copy: source range before destination", IOAS_COPY, iommu_ioas_copy, COPY_BASE,
	    EINVAL, F(iommu_ioas_copy, length, 0), F(iommu_ioas_copy, dst_ioas_id, 1000)),
	ROW("unmap: IOAS before length", IOAS_UNMAP, iommu_ioas_unmap, UNMAP_BASE, ENOENT,
	    F(iommu_ioas_unmap, length, 0), F(iommu_ioas_unmap, ioas_id, 1000)),
	ROW("unmap: IOAS before overflow", IOAS_UNMAP, iommu_ioas_unmap, UNMAP_BASE, ENOENT,
	    F(iommu_ioas_unmap, iova, UINT64_MAX), F(iommu_ioas_unmap, ioas_id, 1000)),
	ROW("option: reserved before option", OPTION, iommu_option, OPTION_BASE, EOPNOTSUPP,
	    F(iommu_option, __reserved, 1), F(iommu_option, option_id, 9)),
	ROW("option: IOAS before op", OPTION, iommu_option, OPTION_BASE, ENOENT,
	    F(iommu_option, op, 2), F(iommu_option, object_id, 0)),
	ROW("option: IOAS before value", OPTION, iommu_option, OPTION_BASE, ENOENT,
	    F(iommu_option, val64, 2), F(iommu_option, object_id, 1000)),
	ROW("allow: reserved before IOAS", IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ALLOW_BASE,
	    EOPNOTSUPP, F(iommu_ioas_allow_iovas, __reserved, 1),
	    F(iommu_ioas_allow_iovas, ioas_id, 1000)),
	ROW("allow: IOAS before ranges", IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ALLOW_BASE,
	    ENOENT, F(iommu_ioas_allow_iovas, num_iovas, 2),
	    F(iommu_ioas_allow_iovas, ioas_id, 1000)),
	ROW("ranges: reserved before IOAS", IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, RANGES_BASE,
	    EOPNOTSUPP, F(iommu_ioas_iova_ranges, __reserved, 1),
	    F(iommu_ioas_iova_ranges, ioas_id, 1000)),
	ROW("vfio_ioas: reserved before op", VFIO_IOAS, iommu_vfio_ioas, {}, EOPNOTSUPP,
	    F(iommu_vfio_ioas, __reserved, 1), F(iommu_vfio_ioas, op, 3)),
	ROW("hwpt: reserved before device", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_alloc, __reserved, 1), F(iommu_hwpt_alloc, dev_id, 1000)),
	ROW("hwpt: data of NONE before device", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, EINVAL,
	    F(iommu_hwpt_alloc, data_len, 4), F(iommu_hwpt_alloc, dev_id, 1000)),
	ROW("hwpt: device before flags", HWPT_ALLOC, iommu_hwpt_alloc, HWPT_BASE, ENOENT,
	    F(iommu_hwpt_alloc, flags, 1u << 8), F(iommu_hwpt_alloc, dev_id, 1000)),
	ROW("hw_info: flags before device", GET_HW_INFO, iommu_hw_info, INFO_BASE, EOPNOTSUPP,
	    F(iommu_hw_info, flags, 2), F(iommu_hw_info, dev_id, 1000)),
	ROW("set_dirty: flags before HWPT", HWPT_SET_DIRTY_TRACKING,
	    iommu_hwpt_set_dirty_tracking, SET_DIRTY_BASE, EOPNOTSUPP,
	    F(iommu_hwpt_set_dirty_tracking, flags, 2),
	    F(iommu_hwpt_set_dirty_tracking, hwpt_id, 1000)),
	ROW("get_dirty: flags before HWPT", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, EOPNOTSUPP, F(iommu_hwpt_get_dirty_bitmap, flags, 2),
	    F(iommu_hwpt_get_dirty_bitmap, hwpt_id, 1000)),
	ROW("get_dirty: HWPT before range", HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap,
	    GET_DIRTY_BASE, ENOENT, F(iommu_hwpt_get_dirty_bitmap, page_size, 0),
	    F(iommu_hwpt_get_dirty_bitmap, hwpt_id, 1000)),
	ROW_OUT("invalidate: reserved before bounds", HWPT_INVALIDATE, iommu_hwpt_invalidate,
		INV_BASE, EOPNOTSUPP, entry_num, 0, F(iommu_hwpt_invalidate, __reserved, 1),
		F(iommu_hwpt_invalidate, entry_len, 0)),
	ROW_OUT("invalidate: bounds before HWPT", HWPT_INVALIDATE, iommu_hwpt_invalidate,
		INV_BASE, EINVAL, entry_num, 0, F(iommu_hwpt_invalidate, entry_len, 0),
		F(iommu_hwpt_invalidate, hwpt_id, 1000)),
	ROW("viommu: flags before device", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE,
	    EOPNOTSUPP, F(iommu_viommu_alloc, flags, 1), F(iommu_viommu_alloc, dev_id, 1000)),
	ROW("viommu: DEFAULT before device", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE,
	    EOPNOTSUPP, F(iommu_viommu_alloc, type, IOMMU_VIOMMU_TYPE_DEFAULT),
	    F(iommu_viommu_alloc, dev_id, 1000)),
	ROW("viommu: device before HWPT", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, ENOENT,
	    F(iommu_viommu_alloc, dev_id, 1000), F(iommu_viommu_alloc, hwpt_id, FXV(V_PLAIN))),
	ROW("viommu: parent before type", VIOMMU_ALLOC, iommu_viommu_alloc, VIOMMU_BASE, EINVAL,
	    F(iommu_viommu_alloc, type, 0x1234), F(iommu_viommu_alloc, hwpt_id, FXV(V_PLAIN))),
	ROW("veventq: flags before depth", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE,
	    EOPNOTSUPP, F(iommu_veventq_alloc, flags, 1), F(iommu_veventq_alloc, veventq_depth, 0)),
	ROW("veventq: depth before vIOMMU", VEVENTQ_ALLOC, iommu_veventq_alloc, VEVENTQ_BASE,
	    EINVAL, F(iommu_veventq_alloc, veventq_depth, 0),
	    F(iommu_veventq_alloc, viommu_id, 1000)),
	ROW("hw_queue: type before length", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_MOCK_BASE,
	    EOPNOTSUPP, F(iommu_hw_queue_alloc, type, IOMMU_HW_QUEUE_TYPE_DEFAULT),
	    F(iommu_hw_queue_alloc, length, 0)),
	ROW("hw_queue: length before vIOMMU", HW_QUEUE_ALLOC, iommu_hw_queue_alloc,
	    HWQ_MOCK_BASE, EINVAL, F(iommu_hw_queue_alloc, length, 0),
	    F(iommu_hw_queue_alloc, viommu_id, 1000)),
	ROW("hw_queue: overflow before vIOMMU", HW_QUEUE_ALLOC, iommu_hw_queue_alloc,
	    HWQ_MOCK_BASE, EOVERFLOW, F(iommu_hw_queue_alloc, nesting_parent_iova, UINT64_MAX),
	    F(iommu_hw_queue_alloc, viommu_id, 1000)),
	ROW("hw_queue: vIOMMU before index", HW_QUEUE_ALLOC, iommu_hw_queue_alloc, HWQ_MOCK_BASE,
	    ENOENT, F(iommu_hw_queue_alloc, index, 7), F(iommu_hw_queue_alloc, viommu_id, 1000)),
};

static void put(uint8_t *arg, const struct set *s, const struct fx *f)
{
	uint64_t v = resolve(f, s->val);

	CHECK(s->len == 1 || s->len == 2 || s->len == 4 || s->len == 8);
	/* Little-endian: the low bytes of the value. */
	memcpy(arg + s->off, &v, s->len);
}

static void run_rows(const struct row *tab, unsigned int n, const char *what)
{
	uint8_t arg[128], before[128];
	struct state s0, s1;
	unsigned int i, j;
	struct fx f;

	/* Two ranges, the second of one byte (start == last: -EINVAL); the
	 * first below the mock aperture (reserved in ioas2). */
	allow_ranges[0] = (struct iommu_iova_range){ 0x10000, 0x1ffff };
	allow_ranges[1] = (struct iommu_iova_range){ 0x40000000, 0x40000000 };
	fx_setup(&f);
	state_get(&f, &s0);
	for (i = 0; i < n; i++) {
		const struct row *r = &tab[i];
		int ret;

		memset(arg, 0, sizeof(arg));
		*(uint32_t *)arg = r->size;
		for (j = 0; j < 8 && r->base[j].len; j++)
			put(arg, &r->base[j], &f);
		for (j = 0; j < 3 && r->change[j].len; j++)
			put(arg, &r->change[j], &f);
		memcpy(before, arg, sizeof(arg));
		errno = 0;
		ret = io(&f, r->req, arg);
		if (ret != -1 || errno != r->err) {
			fprintf(stderr, "%s: %d (errno %d), want errno %d\n", r->what, ret, errno,
				r->err);
			CHECK(0);
		}
		/* Only what Linux writes on failure changes. */
		if (r->out_off >= 0) {
			CHECK(*(uint32_t *)(arg + r->out_off) == r->out_val);
			memcpy(arg + r->out_off, before + r->out_off, 4);
		}
		CHECK(!memcmp(arg, before, sizeof(arg)));
		state_get(&f, &s1);
		state_check(&s0, &s1, r->what);
	}
	fprintf(stderr, "%s: %u rows\n", what, n);
	fx_teardown(&f);
}

static void errnos(void)
{
	run_rows(rows, sizeof(rows) / sizeof(rows[0]), "errnos");
	run_rows(order_rows, sizeof(order_rows) / sizeof(order_rows[0]), "order");
}

/* GET_HW_INFO with INPUT_TYPE: DEFAULT and the driver's own type answer;
 * every other type is -EOPNOTSUPP, the struct and the buffer untouched.
 * Without the flag, the type field is an output only. */
static void hw_info_types(void)
{
	static const uint32_t refused[] = {
		IOMMU_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
		IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 4, 0xfeedbeee, 0xfeedbef0, 0x7fffffff,
		0x80000000, 0xffffffff,
	};
	struct iommu_test_hw_info data;
	struct iommu_hw_info h, before;
	unsigned int i;
	struct fx f;

	fx_setup(&f);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&data, 0xee, sizeof(data));
		h = (struct iommu_hw_info){ .size = sizeof(h), .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			.dev_id = f.idev, .data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
			.in_data_type = refused[i] };
		before = h;
		FAILS(io(&f, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
		CHECK(!memcmp(&h, &before, sizeof(h)));
		CHECK(data.flags == 0xeeeeeeee && data.test_reg == 0xeeeeeeee);
	}
	for (i = 0; i < 3; i++) {
		memset(&data, 0xee, sizeof(data));
		h = (struct iommu_hw_info){ .size = sizeof(h), .dev_id = f.idev,
			.data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
		if (i < 2)
			h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
		h.in_data_type = i == 0 ? IOMMU_HW_INFO_TYPE_DEFAULT :
			i == 1 ? IOMMU_HW_INFO_TYPE_SELFTEST : 0x12345678;
		CHECK(!io(&f, IOMMU_GET_HW_INFO, &h));
		CHECK(h.out_data_type == IOMMU_HW_INFO_TYPE_SELFTEST);
		CHECK(h.data_len == sizeof(data));
		CHECK(data.flags == 0 && data.test_reg == IOMMU_HW_INFO_SELFTEST_REGVAL);
		CHECK(h.out_max_pasid_log2 == 20);
	}
	fx_teardown(&f);
}

/* ---- lifetimes: who holds whom ---- */

struct hold {
	const char *what;
	uint32_t (*make)(struct fx *f, uint64_t *aux);	/* the holder, used */
	void (*let_go)(struct fx *f, uint64_t *aux);	/* what used it goes */
	bool two_steps;		/* let_go twice: still held after the first */
};

static uint32_t ioas_by_hwpt(struct fx *f, uint64_t *aux)
{
	uint32_t ioas = ioas_alloc(f);

	*aux = hwpt_alloc(f, f->idev, ioas, 0);
	return ioas;
}

static void destroy_aux(struct fx *f, uint64_t *auxp)
{
	uint64_t aux = *auxp;

	CHECK(!destroy(f, (uint32_t)aux));
}

static uint32_t ioas_by_device(struct fx *f, uint64_t *aux)
{
	uint32_t ioas = ioas_alloc(f), stdev, hwpt, idev;

	mock_dev(f, ioas, 0, &stdev, &hwpt, &idev);
	*aux = stdev;
	return ioas;
}

static uint32_t ioas_by_access(struct fx *f, uint64_t *aux)
{
	uint32_t ioas = ioas_alloc(f);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas };

	CHECK(!test_cmd(f, &c));
	*aux = c.create_access.out_access_fd;
	return ioas;
}

static void close_aux(struct fx *f, uint64_t *auxp)
{
	uint64_t aux = *auxp;

	(void)f;
	CHECK(!close((int)aux));
}

static uint32_t hwpt_by_device(struct fx *f, uint64_t *aux)
{
	uint32_t hwpt = hwpt_alloc(f, f->idev2, f->ioas2, 0);

	CHECK(!replace(f, f->stdev2, hwpt));
	*aux = hwpt;
	return hwpt;
}

static void device_back(struct fx *f, uint64_t *auxp)
{
	uint64_t aux = *auxp;

	(void)aux;
	CHECK(!replace(f, f->stdev2, f->ioas2));
}

static uint32_t hwpt_by_pasid(struct fx *f, uint64_t *aux)
{
	uint32_t hwpt = hwpt_alloc(f, f->idev, f->ioas, IOMMU_HWPT_ALLOC_PASID);

	CHECK(!pasid_op(f, IOMMU_TEST_OP_PASID_ATTACH, 7, hwpt));
	*aux = 7;
	return hwpt;
}

static void pasid_detach(struct fx *f, uint64_t *auxp)
{
	uint64_t aux = *auxp;

	CHECK(!pasid_op(f, IOMMU_TEST_OP_PASID_DETACH, (uint32_t)aux, 0));
}

static uint32_t parent_by_nested(struct fx *f, uint64_t *aux)
{
	uint32_t parent = hwpt_alloc(f, f->idev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);

	*aux = nested_alloc(f, parent);
	return parent;
}

static uint32_t parent_by_viommu(struct fx *f, uint64_t *aux)
{
	uint32_t parent = hwpt_alloc(f, f->idev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);

	*aux = viommu_alloc_on(f, parent);
	return parent;
}

static uint32_t viommu_by_vdevice(struct fx *f, uint64_t *aux)
{
	uint32_t viommu = viommu_alloc_on(f, f->parent);

	*aux = vdevice_alloc(f, viommu, f->idev2, 0x1234);
	return viommu;
}

static uint32_t viommu_by_nested(struct fx *f, uint64_t *aux)
{
	uint32_t viommu = viommu_alloc_on(f, f->parent);

	*aux = nested_alloc(f, viommu);
	return viommu;
}

/* A queue's ID and fd in one: the fd in the high half. */
static uint32_t viommu_by_veventq(struct fx *f, uint64_t *aux)
{
	uint32_t viommu = viommu_alloc_on(f, f->parent), id;
	int fd;

	CHECK(!veventq_alloc(f, viommu, &id, &fd));
	*aux = (uint64_t)fd << 32 | id;
	return viommu;
}

static void queue_goes(struct fx *f, uint64_t *auxp)
{
	uint64_t aux = *auxp;

	CHECK(!close((int)(aux >> 32)));
	CHECK(!destroy(f, (uint32_t)aux));
}

static uint32_t viommu_by_mmap(struct fx *f, uint64_t *aux)
{
	struct iommu_viommu_selftest data = { .in_data = 0x5eed };
	struct iommu_viommu_alloc a = { .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
					.dev_id = f->idev, .hwpt_id = f->parent,
					.data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
	void *p;

	CHECK(!io(f, IOMMU_VIOMMU_ALLOC, &a));
	p = mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, f->fd,
		 (off_t)data.out_mmap_offset);
	CHECK(p != MAP_FAILED && *(uint32_t *)p == 0x5eed);
	*aux = (uintptr_t)p;
	return a.out_viommu_id;
}

static void munmap_aux(struct fx *f, uint64_t *auxp)
{
	uint64_t aux = *auxp;

	(void)f;
	CHECK(!munmap((void *)(uintptr_t)aux, 4096));
}

static uint32_t fault_by_hwpt(struct fx *f, uint64_t *aux)
{
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = f->idev, .pt_id = f->ioas,
				      .flags = IOMMU_HWPT_FAULT_ID_VALID };
	uint32_t id;
	int fd;

	fault_alloc(f, &id, &fd);
	CHECK(!close(fd));
	h.fault_id = id;
	CHECK(!io(f, IOMMU_HWPT_ALLOC, &h));
	*aux = h.out_hwpt_id;
	return id;
}

static uint32_t fault_by_fd(struct fx *f, uint64_t *aux)
{
	uint32_t id;
	int fd;

	fault_alloc(f, &id, &fd);
	*aux = (uint64_t)fd;
	return id;
}

/* Its fd and a dup of it (in the high half): the object is held until
 * both close. */
static uint32_t fault_by_dup(struct fx *f, uint64_t *aux)
{
	uint32_t id = fault_by_fd(f, aux);
	int d = dup((int)*aux);

	CHECK(d >= 0);
	*aux |= (uint64_t)d << 32;
	return id;
}

/* Close the fd in the low half; the next one moves there. */
static void close_one(struct fx *f, uint64_t *aux)
{
	(void)f;
	CHECK(!close((int)(uint32_t)*aux));
	*aux >>= 32;
}

static uint32_t veventq_by_fd(struct fx *f, uint64_t *aux)
{
	uint32_t viommu = viommu_alloc_on(f, f->parent), id;
	int fd;

	CHECK(!veventq_alloc(f, viommu, &id, &fd));
	*aux = (uint64_t)fd;
	return id;
}

static int hw_queue_alloc(struct fx *f, uint32_t viommu, uint32_t index, uint64_t iova,
			  uint32_t *id)
{
	struct iommu_hw_queue_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
		.index = index, .nesting_parent_iova = iova, .length = 4096,
	};
	int ret = io(f, IOMMU_HW_QUEUE_ALLOC, &a);

	*id = a.out_hw_queue_id;
	return ret;
}

static uint32_t viommu_by_hw_queue(struct fx *f, uint64_t *aux)
{
	uint32_t viommu = viommu_alloc_on(f, f->parent), q;

	CHECK(!hw_queue_alloc(f, viommu, 0, BASE, &q));
	*aux = q;
	return viommu;
}

static uint32_t hw_queue_by_next(struct fx *f, uint64_t *aux)
{
	uint32_t q0, q1;

	CHECK(!hw_queue_alloc(f, f->viommu, 0, BASE, &q0));
	CHECK(!hw_queue_alloc(f, f->viommu, 1, BASE + 4096 + 2048, &q1));
	*aux = q1;
	return q0;
}

static const struct hold holds[] = {
	{ "IOAS used by a HWPT", ioas_by_hwpt, destroy_aux, false },
	{ "IOAS used by a device's automatic HWPT", ioas_by_device, destroy_aux, false },
	{ "IOAS used by an access", ioas_by_access, close_aux, false },
	{ "HWPT with a device attached", hwpt_by_device, device_back, false },
	{ "HWPT with a PASID attached", hwpt_by_pasid, pasid_detach, false },
	{ "nest parent with a nested HWPT", parent_by_nested, destroy_aux, false },
	{ "nest parent with a vIOMMU", parent_by_viommu, destroy_aux, false },
	{ "vIOMMU with a vDEVICE", viommu_by_vdevice, destroy_aux, false },
	{ "vIOMMU with a nested HWPT", viommu_by_nested, destroy_aux, false },
	{ "vIOMMU with a vEVENTQ", viommu_by_veventq, queue_goes, false },
	{ "vIOMMU with a mapping of its region", viommu_by_mmap, munmap_aux, false },
	{ "vIOMMU with a HW queue", viommu_by_hw_queue, destroy_aux, false },
	{ "HW queue 0 with queue 1", hw_queue_by_next, destroy_aux, false },
	{ "fault queue used by a HWPT", fault_by_hwpt, destroy_aux, false },
	{ "fault queue with its fd open", fault_by_fd, close_aux, false },
	{ "fault queue with its fd and a dup open", fault_by_dup, close_one, true },
	{ "vEVENTQ with its fd open", veventq_by_fd, close_aux, false },
};

static void lifetimes(void)
{
	unsigned int i, step;
	struct state s0, s1;
	struct fx f;

	for (i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		const struct hold *h = &holds[i];
		uint64_t aux;
		uint32_t id;

		fprintf(stderr, "lifetime: %s\n", h->what);
		fx_setup(&f);
		id = h->make(&f, &aux);
		for (step = 0; step < (h->two_steps ? 2u : 1u); step++) {
			state_get(&f, &s0);
			FAILS(destroy(&f, id), EBUSY);
			state_get(&f, &s1);
			state_check(&s0, &s1, h->what);
			h->let_go(&f, &aux);
		}
		CHECK(!destroy(&f, id));
		FAILS(destroy(&f, id), ENOENT);
		fx_teardown(&f);
	}
}

/* Mappings alone keep no IOAS: destroying it unmaps them. */
static void mapped_ioas(void)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW, .user_va = (uintptr_t)buf,
				    .length = LEN };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = LEN, .uptr = (uintptr_t)buf, .refs = 1 } };
	struct fx f;

	fx_setup(&f);
	m.ioas_id = ioas_alloc(&f);
	CHECK(!io(&f, IOMMU_IOAS_MAP, &m));
	CHECK(!destroy(&f, m.ioas_id));
	CHECK(!test_cmd(&f, &c));	/* the fixture's mapping only */
	fx_teardown(&f);
}

/* A HW queue locks its range of the parent's IOAS: UNMAP of it (or of
 * everything) is -EBUSY, changing nothing, until the queue goes; a
 * range no queue uses unmaps. */
static void hw_queue_lock(void)
{
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW | FIXED,
				    .user_va = (uintptr_t)buf2, .length = 4096 };
	struct iommu_ioas_unmap u = { .size = sizeof(u) };
	struct state s0, s1;
	uint32_t q0, x;
	struct fx f;

	fx_setup(&f);
	m.ioas_id = f.ioas;
	m.iova = FREE;
	CHECK(!io(&f, IOMMU_IOAS_MAP, &m));
	CHECK(!hw_queue_alloc(&f, f.viommu, 0, BASE + 2048, &q0));	/* 2K in: allowed */
	FAILS(hw_queue_alloc(&f, f.viommu, 0, FREE, &x), EEXIST);
	state_get(&f, &s0);
	u.ioas_id = f.ioas;
	u.iova = BASE;
	u.length = LEN;
	FAILS(io(&f, IOMMU_IOAS_UNMAP, &u), EBUSY);
	CHECK(u.length == LEN);
	u.iova = 0;
	u.length = UINT64_MAX;
	FAILS(io(&f, IOMMU_IOAS_UNMAP, &u), EBUSY);
	state_get(&f, &s1);
	state_check(&s0, &s1, "unmap of a queue's range");
	u.iova = FREE;
	u.length = 4096;
	CHECK(!io(&f, IOMMU_IOAS_UNMAP, &u) && u.length == 4096);
	FAILS(destroy(&f, f.viommu), EBUSY);
	CHECK(!destroy(&f, q0));
	u.iova = BASE;
	u.length = LEN;
	CHECK(!io(&f, IOMMU_IOAS_UNMAP, &u) && u.length == LEN);
	fx_teardown(&f);
}

/* Unbinding a device with a vDEVICE destroys the vDEVICE by force: its
 * ID answers -ENOENT and is not handed out again while the context
 * lives; its virtual ID is free on the vIOMMU, which nothing holds any
 * more. */
static void vdevice_tombstone(void)
{
	uint32_t stdev, hwpt, idev, viommu, vdev, id;
	struct fx f;

	fx_setup(&f);
	mock_dev(&f, f.ioas, 0, &stdev, &hwpt, &idev);
	viommu = viommu_alloc_on(&f, f.parent);
	vdev = vdevice_alloc(&f, viommu, idev, 0x77);
	FAILS(destroy(&f, viommu), EBUSY);
	CHECK(!destroy(&f, stdev));
	FAILS(destroy(&f, vdev), ENOENT);
	id = ioas_alloc(&f);
	CHECK(id != vdev && id != 0);
	CHECK(!destroy(&f, id));
	id = vdevice_alloc(&f, viommu, f.idev2, 0x77);
	CHECK(id != vdev);
	CHECK(!destroy(&f, id));
	CHECK(!destroy(&f, viommu));
	FAILS(destroy(&f, vdev), ENOENT);
	fx_teardown(&f);
}

/* ---- closing ---- */

/* A queue's fd keeps working after the /dev/iommu fd closes: its file
 * holds the context. */
static void queue_outlives_iommufd(void)
{
	struct iommu_hwpt_page_response resp = { .cookie = 1 };
	struct iommu_hwpt_pgfault rec;
	struct pollfd p[2];
	uint8_t ev[64];
	struct fx f;

	fx_setup(&f);
	CHECK(!close(f.fd));
	f.fd = -1;
	p[0] = (struct pollfd){ .fd = f.fault_fd, .events = POLLIN | POLLOUT };
	p[1] = (struct pollfd){ .fd = f.veventq_fd, .events = POLLIN };
	CHECK(poll(p, 2, 0) == 1);
	CHECK(p[0].revents == POLLOUT && !p[1].revents);
	CHECK(read(f.fault_fd, &rec, sizeof(rec)) == 0);
	FAILS(read(f.fault_fd, &rec, sizeof(rec) - 1), ESPIPE);
	FAILS(write(f.fault_fd, &resp, sizeof(resp)), EINVAL);	/* no such cookie */
	FAILS(write(f.fault_fd, &resp, 7), ESPIPE);
	CHECK(read(f.veventq_fd, ev, sizeof(ev)) == 0);
	FAILS(write(f.veventq_fd, ev, 8), EINVAL);
	fx_teardown(&f);
}

/* A forked child's copy of a queue's fd is the same file: it holds the
 * object after the parent closes its own, until the child is gone. */
static void queue_held_by_child(void)
{
	struct pollfd p;
	int sync[2], st, i;
	pid_t child;
	struct fx f;

	fx_setup(&f);
	CHECK(!pipe(sync));
	child = fork();
	CHECK(child >= 0);
	if (!child) {
		char c;

		/* Still readable here after the parent's close. */
		if (read(sync[0], &c, 1) != 1)
			_exit(2);
		p = (struct pollfd){ .fd = f.fault_fd, .events = POLLOUT };
		_exit(poll(&p, 1, 0) == 1 && p.revents == POLLOUT ? 0 : 1);
	}
	CHECK(!close(f.fault_fd));
	f.fault_fd = -1;
	FAILS(destroy(&f, f.fault), EBUSY);
	CHECK(write(sync[1], "x", 1) == 1);
	CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && !WEXITSTATUS(st));
	/* The child's end goes with it, as its process does: soon after. */
	for (i = 0; i < 500 && destroy(&f, f.fault); i++) {
		CHECK(errno == EBUSY);
		usleep(10000);
	}
	FAILS(destroy(&f, f.fault), ENOENT);
	close(sync[0]);
	close(sync[1]);
	fx_teardown(&f);
}

int main(void)
{
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	buf2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED && buf2 != MAP_FAILED);
	memset(buf, 0x5a, LEN);
	errnos();
	hw_info_types();
	lifetimes();
	mapped_ioas();
	hw_queue_lock();
	vdevice_tombstone();
	queue_outlives_iommufd();
	queue_held_by_child();
	return 0;
}
