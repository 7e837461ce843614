/* SPDX-License-Identifier: MIT */
/*
 * vEVENTQ and HW queue objects on an SMMUv3 unit's vIOMMU:
 *   - vEVENTQ_ALLOC's errno table in Linux's order, one queue per type,
 *     the vIOMMU busy while it has one;
 *   - the record stream: {header, event} records whole, oldest first,
 *     sequence numbers for every event reported, a LOST_EVENTS header
 *     with no payload after the events when the queue overflows (replaced
 *     at the tail by a later event; the gap shows), the numbers wrapping
 *     at INT32_MAX, -ESPIPE at a non-zero position, the fd readable while
 *     something waits;
 *   - the core's event path: only a device whose RID is attached to a
 *     nested domain and whose owner has a sink gets its events there, with
 *     its virtual ID; the SMMUv3 driver forwards a stage-1 fault of such a
 *     device with the virtual StreamID, and a stage-2 fault of a device
 *     under a vIOMMU stays the host's;
 *   - HW_QUEUE_ALLOC: -EOPNOTSUPP from a driver without queue types after
 *     the command's checks; with a driver that offers them (a test double
 *     of the ops), the object model's rules: the range covered and
 *     physically contiguous, locked against unmap, indexes in range and
 *     unique, in order, destroyed in reverse;
 *   - fail-nth over both allocations (VEVENTQ_ALLOC with its fd).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <siommu/iommufd.h>
#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/smmuv3.h>
#include <siommu/smmuv3_build.h>
#include <siommu/vtd.h>

#include "core_test.h"
#include "test.h"
#include "iommufd/iommufd_internal.h"	/* ifd_viommu_report_event */

#define NOPASID SIOMMU_IOMMUFD_NO_PASID
#define HDR 8
#define EVT 32
#define REC (HDR + EVT)

struct env {
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;
	struct siommu_iommufd *ictx;
	uint32_t d, ioas, parent, v, vd;
};

static void setup(struct env *e)
{
	memset(e, 0, sizeof(*e));
	CHECK_OK(siommu_ctx_create(NULL, &e->ctx));
	CHECK_OK(siommu_unit_add_smmuv3(e->ctx, NULL, &e->unit));
	CHECK_OK(siommu_iommufd_create(&(struct siommu_iommufd_cfg){ .ctx = e->ctx }, &e->ictx));
	e->dev = test_dev_add(e->unit, 0x100, 20, 0);
	CHECK_OK(siommu_iommufd_bind(e->ictx, e->dev, &e->d));
	CHECK_OK(siommu_ioas_alloc(e->ictx, &e->ioas));
	CHECK_OK(siommu_hwpt_alloc(e->ictx, e->d, e->ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				   &e->parent));
	CHECK_OK(siommu_viommu_alloc(e->ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, e->d, e->parent,
				     &e->v));
	CHECK_OK(siommu_vdevice_alloc(e->ictx, e->v, e->d, 0x42, &e->vd));
}

static void teardown(struct env *e)
{
	siommu_iommufd_destroy(e->ictx);
	siommu_ctx_destroy(e->ctx);
}

static struct ifd_viommu *viommu_of(struct env *e)
{
	struct ifd_obj *o = ifd_obj_get(e->ictx, e->v, SIOMMU_IOMMUFD_OBJ_VIOMMU);

	CHECK(o);
	ifd_obj_put(e->ictx, o);
	return container_of(o, struct ifd_viommu, obj);
}

/* An SMMUv3 event whose first word is @tag. */
static void report(struct env *e, uint64_t tag)
{
	struct siommu_vevent_arm_smmuv3 ev = { { tag, ~tag, tag * 3, 7 } };

	CHECK_OK(ifd_viommu_report_event(viommu_of(e), SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, &ev,
					 sizeof(ev)));
}

/* Check the record at @p: flags, sequence, and (unless lost) the tag. */
static void check_rec(const unsigned char *p, uint32_t flags, uint32_t seq, uint64_t tag)
{
	struct iommufd_vevent_header h;
	struct siommu_vevent_arm_smmuv3 ev;

	memcpy(&h, p, HDR);
	CHECK_EQ(h.flags, flags);
	CHECK_EQ(h.sequence, seq);
	if (flags)
		return;
	memcpy(&ev, p + HDR, EVT);
	CHECK_EQ(ev.evt[0], tag);
	CHECK_EQ(ev.evt[1], ~tag);
	CHECK_EQ(ev.evt[2], tag * 3);
	CHECK_EQ(ev.evt[3], 7);
}

static uint64_t rd(struct env *e, uint32_t q, void *buf, uint64_t count)
{
	uint64_t n = 0;

	CHECK_OK(siommu_veventq_read(e->ictx, q, buf, count, &n));
	return n;
}

static void alloc_errors(void)
{
	struct siommu_iommufd_stats st;
	struct env e;
	uint32_t q, x;

	setup(&e);
	CHECK_EQ(siommu_veventq_alloc(e.ictx, e.v, 1, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2, &x),
		 -EOPNOTSUPP);
	CHECK_EQ(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_DEFAULT, 2, &x),
		 -EOPNOTSUPP);
	CHECK_EQ(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 0, &x),
		 -EINVAL);
	CHECK_EQ(siommu_veventq_alloc(e.ictx, 99, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2, &x),
		 -ENOENT);
	CHECK_EQ(siommu_veventq_alloc(e.ictx, e.parent, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2,
				      &x), -ENOENT);
	/* Tegra241 CMDQV events: not an SMMUv3 vIOMMU's. */
	CHECK_EQ(siommu_veventq_alloc(e.ictx, e.v, 0, 2, 2, &x), -EOPNOTSUPP);
	CHECK_EQ(ifd_viommu_report_event(viommu_of(&e), SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, "x", 1),
		 -EOPNOTSUPP);
	siommu_iommufd_get_stats(e.ictx, &st);
	CHECK_EQ(st.veventqs, 0);
	CHECK_OK(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2, &q));
	CHECK_EQ(siommu_iommufd_obj_type(e.ictx, q), SIOMMU_IOMMUFD_OBJ_VEVENTQ);
	CHECK_EQ(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 5, &x),
		 -EEXIST);
	siommu_iommufd_get_stats(e.ictx, &st);
	CHECK_EQ(st.veventqs, 1);
	CHECK_EQ(siommu_iommufd_obj_destroy(e.ictx, e.v), -EBUSY);
	CHECK_EQ(siommu_veventq_read(e.ictx, e.v, NULL, 0, &(uint64_t){ 0 }), -ENOENT);
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, q));
	CHECK_OK(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1, &q));
	/* Closing with a queue (and events in it) tears it down. */
	report(&e, 1);
	report(&e, 2);
	teardown(&e);
}

static void records(void)
{
	unsigned char b[8 * REC];
	struct env e;
	uint32_t q;

	setup(&e);
	CHECK_OK(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 2, &q));
	CHECK_EQ(rd(&e, q, b, sizeof(b)), 0);
	/* Depth 2, three events: two kept, the third lost. */
	report(&e, 10);
	report(&e, 11);
	report(&e, 12);
	CHECK_EQ(rd(&e, q, b, REC - 1), 0);		/* whole records only */
	CHECK_EQ(rd(&e, q, b, REC + 7), REC);
	check_rec(b, 0, 0, 10);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), REC + HDR);
	check_rec(b, 0, 1, 11);
	check_rec(b + REC, IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 2, 0);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), 0);
	/* More lost: one header, the last one's number. */
	report(&e, 13);
	report(&e, 14);
	report(&e, 15);
	report(&e, 16);
	CHECK_EQ(rd(&e, q, b, REC), REC);
	check_rec(b, 0, 3, 13);
	/* A later event takes the header's place: the gap (5, 6) shows. */
	report(&e, 17);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), 2 * REC);
	check_rec(b, 0, 4, 14);
	check_rec(b + REC, 0, 7, 17);
	/* The lost header alone fits in 8 bytes. */
	report(&e, 18);
	report(&e, 19);
	report(&e, 20);
	CHECK_EQ(rd(&e, q, b, 2 * REC), 2 * REC);
	CHECK_EQ(rd(&e, q, b, HDR), HDR);
	check_rec(b, IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 10, 0);
	/* Sequence numbers wrap past INT32_MAX to 0. */
	{
		struct ifd_obj *o = ifd_obj_get(e.ictx, q, SIOMMU_IOMMUFD_OBJ_VEVENTQ);
		struct ifd_veventq *vq = container_of(o, struct ifd_veventq, obj);

		pthread_mutex_lock(&vq->lock);
		vq->sequence = INT32_MAX;
		pthread_mutex_unlock(&vq->lock);
		ifd_obj_put(e.ictx, o);
	}
	report(&e, 21);
	report(&e, 22);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), 2 * REC);
	check_rec(b, 0, INT32_MAX, 21);
	check_rec(b + REC, 0, 0, 22);
	teardown(&e);
}

/* The ABI: the fd, poll, read's rules, write refused by the shim's rule. */
static void fd_poll(void)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a), .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 4,
	};
	unsigned char b[4 * REC];
	struct pollfd p;
	struct env e;

	setup(&e);
	a.viommu_id = e.v;
	CHECK_OK(siommu_iommufd_ioctl(e.ictx, IOMMU_VEVENTQ_ALLOC, &a));
	p = (struct pollfd){ .fd = (int)a.out_veventq_fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0);
	report(&e, 5);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLIN);
	CHECK_EQ(siommu_iommufd_veventq_read(e.ictx, a.out_veventq_id, b, sizeof(b), 1), -ESPIPE);
	CHECK_EQ(siommu_iommufd_veventq_read(e.ictx, a.out_veventq_id, NULL, 8, 0), -EFAULT);
	CHECK_EQ(siommu_iommufd_veventq_read(e.ictx, a.out_veventq_id, b, sizeof(b), 0), REC);
	check_rec(b, 0, 0, 5);
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* A lost-events header alone is something to read. */
	for (unsigned int i = 0; i < 5; i++)
		report(&e, i);
	CHECK_EQ(siommu_iommufd_veventq_read(e.ictx, a.out_veventq_id, b, sizeof(b), 0),
		 4 * REC);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(siommu_iommufd_veventq_read(e.ictx, a.out_veventq_id, b, sizeof(b), 0), HDR);
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* -EEXIST through the ABI too, with no fd given. */
	a.out_veventq_fd = 0;
	CHECK_EQ(siommu_iommufd_ioctl(e.ictx, IOMMU_VEVENTQ_ALLOC, &a), -EEXIST);
	CHECK_EQ(a.out_veventq_fd, 0);
	close(p.fd);
	teardown(&e);
}

static int sink_calls;
static unsigned char sink_data[EVT];

static int sink(void *arg, struct siommu_device *dev, uint32_t type, const void *data,
		size_t len)
{
	(void)arg;
	(void)dev;
	CHECK_EQ(type, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
	CHECK_EQ(len, EVT);
	memcpy(sink_data, data, len);
	sink_calls++;
	return 0;
}

static void build(void *out, const void *raw, uint64_t virt_id)
{
	memcpy(out, raw, EVT);
	memcpy(out, &virt_id, sizeof(virt_id));
}

/* The core's event path: the gate, the virtual ID, the sink's removal. */
static void core_path(void)
{
	uint64_t raw[4] = { 0x100ull << 32 | 0x10, 1, 0x5000, 0 };
	struct siommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x1000, .addr_width = 48 };
	struct siommu_domain *parent, *nested;
	struct siommu_ctx *ctx;
	struct siommu_unit *unit;
	struct siommu_device *dev;

	/* VT-d makes nested domains: the gate is the core's, any unit's. */
	CHECK_OK(siommu_ctx_create(NULL, &ctx));
	CHECK_OK(siommu_unit_add_vtd(ctx, NULL, &unit));
	dev = test_dev_add(unit, 0x100, 20, 0);
	CHECK_OK(siommu_domain_alloc(unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &parent));
	CHECK_EQ(core_report_vevent(unit, 0x100, 1, raw, EVT, build), -ENOENT);
	core_device_set_vevent(dev, sink, NULL, 0x42);
	/* Not nested: the host's. */
	CHECK_EQ(core_report_vevent(unit, 0x100, 1, raw, EVT, build), -ENOENT);
	CHECK_OK(siommu_device_attach(dev, parent));
	CHECK_EQ(core_report_vevent(unit, 0x100, 1, raw, EVT, build), -ENOENT);
	CHECK_OK(siommu_domain_alloc_nested(parent, unit, SIOMMU_HWPT_DATA_VTD_S1, &s1,
					    sizeof(s1), &nested));
	CHECK_OK(siommu_device_attach(dev, nested));
	CHECK_EQ(sink_calls, 0);
	CHECK_EQ(core_report_vevent(unit, 0x100, 1, raw, CORE_VEVENT_MAX + 1, build), -EINVAL);
	CHECK_EQ(core_report_vevent(unit, 0x108, 1, raw, EVT, build), -ENOENT);
	CHECK_OK(core_report_vevent(unit, 0x100, 1, raw, EVT, build));
	CHECK_EQ(sink_calls, 1);
	CHECK_EQ(*(uint64_t *)sink_data, 0x42);
	CHECK(!memcmp(sink_data + 8, raw + 1, EVT - 8));
	core_device_set_vevent(dev, NULL, NULL, 0);
	CHECK_EQ(core_report_vevent(unit, 0x100, 1, raw, EVT, build), -ENOENT);
	CHECK_EQ(sink_calls, 1);
	siommu_device_detach(dev);
	CHECK_OK(siommu_domain_free(nested));
	CHECK_OK(siommu_domain_free(parent));
	siommu_ctx_destroy(ctx);
}

static unsigned int host_faults;

static void on_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	(void)arg;
	(void)dev;
	(void)f;
	host_faults++;
}

/* A stage-2 fault of a device under a vIOMMU with a queue: the host's. */
static void s2_fault_stays(void)
{
	struct siommu_smmuv3_req req = { .sid = 0x100, .iova = 0x40000000 };
	struct siommu_unit_stats st0, st1;
	unsigned char b[REC];
	uint32_t q, pt;
	struct env e;

	setup(&e);
	CHECK_OK(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &q));
	siommu_device_set_fault_handler(e.dev, on_fault, NULL);
	pt = e.parent;
	CHECK_OK(siommu_iommufd_attach(e.ictx, e.d, NOPASID, &pt));
	siommu_unit_get_stats(e.unit, &st0);
	CHECK_EQ(siommu_smmuv3_dma_read(siommu_unit_smmuv3(e.unit), &req, b, 8, NULL, NULL),
		 -EFAULT);
	siommu_unit_get_stats(e.unit, &st1);
	CHECK_EQ(host_faults, st1.faults - st0.faults);
	CHECK(host_faults > 0);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), 0);
	siommu_device_set_fault_handler(e.dev, NULL, NULL);
	teardown(&e);
}

/*
 * A nested HWPT from the vIOMMU for the device: guest memory (two pages,
 * *@mem) mapped into the parent's IOAS at GPA, its first page the guest's
 * CD table, whose CD 0 walks an empty stage-1 table in the second: every
 * IOVA of the guest's takes a stage-1 translation fault.
 */
#define GPA 0x40000000ull

static uint32_t nested_hwpt(struct env *e, void **mem)
{
	struct siommu_hwpt_arm_smmuv3 ste = { {
		1 | (uint64_t)SIOMMU_SMMUV3_STE_S1 << 1 | GPA, 0 } };
	struct siommu_hwpt_nested_cfg c = {
		.dev_id = e->d, .pt_id = e->v, .data_type = SIOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(ste), .data = &ste,
	};
	uint64_t cd[8], iova = GPA;
	uint32_t id;

	*mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(*mem != MAP_FAILED);
	siommu_smmuv3_cd_encode(&(struct siommu_smmuv3_cd_desc){
		.valid = true, .t0sz = 16, .ips = 5, .asid = 1, .ttb0 = GPA + 4096, .r = true,
		.a = true }, cd);
	memcpy(*mem, cd, sizeof(cd));
	CHECK_OK(siommu_ioas_map(e->ictx, e->ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE, *mem,
				 2 * 4096, &iova));
	CHECK_OK(siommu_hwpt_alloc_nested(e->ictx, &c, &id));
	return id;
}

/*
 * The SMMUv3 driver's forwarding: a stage-1 fault of a device with a
 * vDEVICE whose RID is attached to a nested HWPT reaches the vEVENTQ with
 * the virtual StreamID, not the host's handler; without a queue it is the
 * host's again, and so is the fault of the device on a HWPT that is not
 * nested, a queue or not.
 */
static void smmuv3_forwarding(void)
{
	struct siommu_smmuv3_req req = { .sid = 0x100, .iova = 0x80000000 };
	struct siommu_vevent_arm_smmuv3 ev;
	unsigned char b[2 * REC];
	uint32_t q, s1, pt;
	struct env e;
	void *mem;

	setup(&e);
	CHECK_OK(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &q));
	pt = nested_hwpt(&e, &mem);
	CHECK_OK(siommu_iommufd_attach(e.ictx, e.d, NOPASID, &pt));
	siommu_device_set_fault_handler(e.dev, on_fault, NULL);
	host_faults = 0;

	CHECK_EQ(siommu_smmuv3_dma_read(siommu_unit_smmuv3(e.unit), &req, b, 8, NULL, NULL),
		 -EFAULT);
	CHECK_EQ(host_faults, 0);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), REC);
	memcpy(&ev, b + HDR, EVT);
	CHECK_EQ(ev.evt[0] >> 32, 0x42);				/* vSID */
	CHECK_EQ(ev.evt[0] & 0xff, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK_EQ(ev.evt[2] & ~0xfffull, req.iova);			/* input address */
	CHECK(!(ev.evt[1] & (1ull << 39)));				/* S2 clear */
	/* No queue of the type: the host's again. */
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, q));
	CHECK_EQ(siommu_smmuv3_dma_read(siommu_unit_smmuv3(e.unit), &req, b, 8, NULL, NULL),
		 -EFAULT);
	CHECK_EQ(host_faults, 1);
	/* Not nested (a stage-1 HWPT of the IOAS, which leaves req.iova
	 * unmapped): the host's, a queue or not. */
	CHECK_OK(siommu_veventq_alloc(e.ictx, e.v, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &q));
	CHECK_OK(siommu_hwpt_alloc(e.ictx, e.d, e.ioas, 0, 0, &s1));
	pt = s1;
	CHECK_OK(siommu_iommufd_replace(e.ictx, e.d, NOPASID, &pt));
	CHECK_EQ(siommu_smmuv3_dma_read(siommu_unit_smmuv3(e.unit), &req, b, 8, NULL, NULL),
		 -EFAULT);
	CHECK_EQ(host_faults, 2);
	CHECK_EQ(rd(&e, q, b, sizeof(b)), 0);
	siommu_device_set_fault_handler(e.dev, NULL, NULL);
	teardown(&e);
	munmap(mem, 2 * 4096);
}

/* ---- HW queues ---- */

static struct iommu_ops hwq_ops;
static unsigned int hwq_live;
static uint64_t hwq_pa[2], hwq_len[2];

static int hwq_info(struct siommu_unit *unit, void *viommu, uint32_t type, uint32_t *nr_index,
		    bool *in_order)
{
	(void)unit;
	(void)viommu;
	if (type != SIOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV)
		return -EOPNOTSUPP;
	*nr_index = 2;
	*in_order = true;
	return 0;
}

static int hwq_init(struct siommu_unit *unit, void *viommu, uint32_t type, uint32_t index,
		    uint64_t pa, uint64_t length, void **out)
{
	(void)unit;
	(void)viommu;
	(void)type;
	hwq_pa[index] = pa;
	hwq_len[index] = length;
	hwq_live++;
	*out = &hwq_pa[index];
	return 0;
}

static void hwq_fini(struct siommu_unit *unit, void *viommu, void *queue)
{
	(void)unit;
	(void)viommu;
	CHECK(queue == &hwq_pa[0] || queue == &hwq_pa[1]);
	hwq_live--;
}

#define TEGRA SIOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV

static void hw_queues(void)
{
	struct siommu_iommufd_stats st0;
	uint64_t iova = 0x100000, x64;
	uint32_t q0, q1, x;
	struct env e;
	void *buf;

	setup(&e);
	buf = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 0, 4 * 4096);
	CHECK_OK(siommu_ioas_map(e.ictx, e.ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE, buf,
				 4 * 4096, &iova));
	siommu_iommufd_get_stats(e.ictx, &st0);
	/* Linux's order: the command, the vIOMMU, then the driver. */
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 1, TEGRA, 0, iova, 4096, &x), -EOPNOTSUPP);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, 99, 0, SIOMMU_HW_QUEUE_TYPE_DEFAULT, 0, iova, 0,
				       &x), -EOPNOTSUPP);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, 99, 0, TEGRA, 0, iova, 0, &x), -EINVAL);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, 99, 0, TEGRA, 0, UINT64_MAX, 2, &x), -EOVERFLOW);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, 99, 0, TEGRA, 0, iova, 4096, &x), -ENOENT);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.parent, 0, TEGRA, 0, iova, 4096, &x), -ENOENT);
	/* SMMUv3 offers no queue type. */
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova, 4096, &x), -EOPNOTSUPP);

	/* A driver that offers them: two queues, in order. */
	hwq_ops = *e.unit->ops;
	hwq_ops.hw_queue_info = hwq_info;
	hwq_ops.hw_queue_init = hwq_init;
	hwq_ops.hw_queue_fini = hwq_fini;
	e.unit->ops = &hwq_ops;
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, 7, 0, iova, 4096, &x), -EOPNOTSUPP);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, 0x800000, 4096, &x), -ENOENT);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova + 3 * 4096, 8192, &x),
		 -ENOENT);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 2, iova, 4096, &x), -EINVAL);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 1, iova, 4096, &x), -EIO);
	{
		struct siommu_iommufd_stats st;

		siommu_iommufd_get_stats(e.ictx, &st);
		CHECK(!memcmp(&st, &st0, sizeof(st)));
		CHECK_EQ(hwq_live, 0);
		/* Nothing stayed locked by the refusals. */
		CHECK_OK(siommu_ioas_unmap(e.ictx, e.ioas, iova, 4 * 4096, NULL));
		CHECK_OK(siommu_ioas_map(e.ictx, e.ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
					 SIOMMU_IOAS_MAP_READABLE | SIOMMU_IOAS_MAP_WRITEABLE,
					 buf, 4 * 4096, &iova));
	}
	CHECK_OK(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova + 4096, 4096, &q0));
	CHECK_EQ(siommu_iommufd_obj_type(e.ictx, q0), SIOMMU_IOMMUFD_OBJ_HW_QUEUE);
	CHECK_EQ(hwq_len[0], 4096);
	CHECK_EQ(hwq_pa[0] & 0xfff, 0);
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova, 4096, &x), -EEXIST);
	CHECK_OK(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 1, iova + 2 * 4096, 4096, &q1));
	CHECK_EQ(hwq_pa[1], hwq_pa[0] + 4096);
	CHECK_EQ(hwq_live, 2);
	/* Locked: no unmap of the area, everything busy in order. */
	CHECK_EQ(siommu_ioas_unmap(e.ictx, e.ioas, iova, 4 * 4096, &x64), -EBUSY);
	CHECK_EQ(siommu_ioas_unmap(e.ictx, e.ioas, 0, UINT64_MAX, &x64), -EBUSY);
	CHECK_EQ(siommu_iommufd_obj_destroy(e.ictx, q0), -EBUSY);
	CHECK_EQ(siommu_iommufd_obj_destroy(e.ictx, e.v), -EBUSY);
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, q1));
	CHECK_OK(siommu_iommufd_obj_destroy(e.ictx, q0));
	CHECK_EQ(hwq_live, 0);
	CHECK_OK(siommu_ioas_unmap(e.ictx, e.ioas, iova, 4 * 4096, &x64));
	CHECK_EQ(x64, 4 * 4096);

	/* Two areas over the same page: covered, not contiguous. */
	CHECK_OK(siommu_ioas_map(e.ictx, e.ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE, buf, 4096, &iova));
	x64 = iova + 4096;
	CHECK_OK(siommu_ioas_map(e.ictx, e.ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE, buf, 4096, &x64));
	CHECK_EQ(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova, 8192, &x), -EFAULT);
	CHECK_OK(siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova + 4096, 4096, &q0));
	CHECK_OK(siommu_ioas_unmap(e.ictx, e.ioas, iova, 4096, NULL));
	CHECK_EQ(siommu_ioas_unmap(e.ictx, e.ioas, iova + 4096, 4096, NULL), -EBUSY);
	/* Closing with a queue tears it down. */
	teardown(&e);
	CHECK_EQ(hwq_live, 0);
	munmap(buf, 4 * 4096);
}

/* Fail-nth: each failing step of VEVENTQ_ALLOC (the object, then its
 * fd) and HW_QUEUE_ALLOC changes nothing; the last try succeeds. */
static void fail_nth(void)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a), .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 2,
	};
	uint64_t n, iova = 0x100000, steps[2] = { 0, 0 };
	struct siommu_mem *mem;
	struct env e;
	uint32_t q;
	void *buf;
	int ret;

	setup(&e);
	mem = siommu_ctx_mem(e.ctx);
	a.viommu_id = e.v;
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	CHECK_OK(siommu_ioas_map(e.ictx, e.ioas, SIOMMU_IOAS_MAP_FIXED_IOVA |
				 SIOMMU_IOAS_MAP_READABLE, buf, 4096, &iova));
	hwq_ops = *e.unit->ops;
	hwq_ops.hw_queue_info = hwq_info;
	hwq_ops.hw_queue_init = hwq_init;
	hwq_ops.hw_queue_fini = hwq_fini;
	e.unit->ops = &hwq_ops;
	for (unsigned int which = 0; which < 2; which++) {
		for (n = 1;; n++) {
			struct siommu_iommufd_stats st0, st1;

			CHECK(n < 100);
			siommu_iommufd_get_stats(e.ictx, &st0);
			siommu_mem_fail_nth(mem, n);
			ret = which ? siommu_hw_queue_alloc(e.ictx, e.v, 0, TEGRA, 0, iova, 4096, &q) :
				      siommu_iommufd_ioctl(e.ictx, IOMMU_VEVENTQ_ALLOC, &a);
			siommu_mem_fail_nth(mem, 0);
			if (!ret)
				break;
			CHECK_EQ(ret, -ENOMEM);
			siommu_iommufd_get_stats(e.ictx, &st1);
			CHECK(!memcmp(&st0, &st1, sizeof(st0)));
			CHECK_EQ(hwq_live, 0);
		}
		steps[which] = n - 1;
	}
	fprintf(stderr, "  veventq_alloc %" PRIu64 ", hw_queue_alloc %" PRIu64
		" fallible steps\n", steps[0], steps[1]);
	CHECK(steps[0] >= 2 && steps[1] >= 1);
	/* Nothing half-made: the queue locks its range, the vEVENTQ has
	 * its fd. */
	CHECK_EQ(siommu_ioas_unmap(e.ictx, e.ioas, iova, 4096, NULL), -EBUSY);
	report(&e, 1);
	{
		struct pollfd p = { .fd = (int)a.out_veventq_fd, .events = POLLIN };

		CHECK_EQ(poll(&p, 1, 0), 1);
		close(p.fd);
	}
	teardown(&e);
	munmap(buf, 4096);
}

int main(void)
{
	alloc_errors();
	records();
	fd_poll();
	core_path();
	s2_fault_stays();
	smmuv3_forwarding();
	hw_queues();
	fail_nth();
	return 0;
}
