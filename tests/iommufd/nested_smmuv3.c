/* SPDX-License-Identifier: MIT */
/*
 * Nested HWPTs on SMMUv3, as a VMM drives them: a vIOMMU over a stage-2
 * nest parent, the guest's devices known to it by virtual StreamIDs
 * (vDEVICEs), nested HWPTs made from the vIOMMU with the guest's STE, and
 * the guest's commands through the vIOMMU. Guest memory is the caller's
 * buffer mapped into the parent's IOAS at guest-physical addresses; the
 * guest's CD table and stage-1 tables live in it and the unit reads them
 * through stage 2. Device DMA, with and without a SubstreamID, reaches
 * what both stages say; the guest's changes show after its own TLBI or
 * CFGI_CD and not before; the parent's unmaps at once; a replace between
 * the parent and a nested HWPT never blocks; the errno table of a guest
 * STE and of the calls around it, each error changing nothing.
 */
#include <siommu/smmuv3_build.h>

#include "nested_vm.h"
#include "core/drivers/smmuv3/smmuv3_drv.h"	/* smmu_drv_step_hook_set */

#define CD_OFF 0x1000ull		/* the guest's CD table (16 CDs) */
#define ROOT0 0x2000ull			/* CD 0's stage-1 root */
#define ROOT1 0x3000ull			/* CD 1's */
#define TABLES 0x4000ull		/* further table pages from here */
#define VSID 0x10ull			/* the device's virtual StreamID */
#define CDMAX 4

/* Arm stage-1 descriptors (VMSAv8-64, 4K granule): table, and page with
 * AF and EL0 read/write (AP[1]). */
#define S1_TABLE 0x3ull
#define S1_PAGE (0x3ull | (1ull << 6) | (1ull << 10))

/* Map @iova to guest page @off in the 4-level table at @root. */
static void vm_map(struct vm *vm, uint64_t root, uint64_t iova, uint64_t off)
{
	uint64_t table = root;
	int level;

	for (level = 0; level < 3; level++) {
		uint64_t *e = (uint64_t *)(vm->mem + table) +
			      ((iova >> (39 - 9 * level)) & 511);

		if (!(*e & 1))
			*e = (GPA_BASE + vm_table(vm)) | S1_TABLE;
		table = (*e & 0xfffffffff000ull) - GPA_BASE;
	}
	((uint64_t *)(vm->mem + table))[(iova >> 12) & 511] = (GPA_BASE + off) | S1_PAGE;
}

/* The guest's CD @ssid: ASID @asid over the table at @root. */
static void vm_cd(struct vm *vm, uint32_t ssid, uint16_t asid, uint64_t root)
{
	uint64_t cd[8];

	siommu_smmuv3_cd_encode(&(struct siommu_smmuv3_cd_desc){
		.valid = true, .t0sz = 16, .ips = 5, .asid = asid, .ttb0 = GPA_BASE + root,
		.r = true, .a = true }, cd);
	memcpy(vm->mem + CD_OFF + 64ull * ssid, cd, 64);
}

/* A guest STE of @config over the guest's CD table, S1DSS SSID0. */
static struct siommu_hwpt_arm_smmuv3 vste(unsigned int config)
{
	return (struct siommu_hwpt_arm_smmuv3){ {
		1 | (uint64_t)config << 1 | (GPA_BASE + CD_OFF) | (uint64_t)CDMAX << 59,
		SIOMMU_SMMUV3_S1DSS_SSID0 } };
}

/* The guest's memory with CDs 0 and 1 (ASIDs 1 and 2), and its vIOMMU. */
static void vm3_setup(struct vm *vm)
{
	vm_setup(vm, TABLES);
	vm_cd(vm, 0, 1, ROOT0);
	vm_cd(vm, 1, 2, ROOT1);
	CHECK_OK(siommu_viommu_alloc(vm->t.ictx, 0, SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, vm->d0,
				     vm->parent, &vm->viommu));
}
static struct siommu_hwpt_nested_cfg nested_cfg(struct vm *vm,
						const struct siommu_hwpt_arm_smmuv3 *ste)
{
	return (struct siommu_hwpt_nested_cfg){
		.dev_id = vm->d0, .pt_id = vm->viommu, .data_type = SIOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(*ste), .data = ste,
	};
}

static uint32_t nested_alloc(struct vm *vm, unsigned int config)
{
	struct siommu_hwpt_arm_smmuv3 ste = vste(config);
	struct siommu_hwpt_nested_cfg c = nested_cfg(vm, &ste);
	uint32_t id;

	CHECK_OK(siommu_hwpt_alloc_nested(vm->t.ictx, &c, &id));
	CHECK_EQ(siommu_iommufd_obj_type(vm->t.ictx, id), SIOMMU_IOMMUFD_OBJ_HWPT_NESTED);
	return id;
}

/* The guest issues @n commands through its vIOMMU. */
static int guest_cmds(struct vm *vm, const uint64_t (*cmd)[2], uint32_t n)
{
	struct siommu_viommu_arm_smmuv3_invalidate c[4];
	uint32_t i, num = n;
	int ret;

	CHECK(n <= 4);
	for (i = 0; i < n; i++)
		memcpy(c[i].cmd, cmd[i], sizeof(c[i].cmd));
	ret = siommu_hwpt_invalidate(vm->t.ictx, vm->viommu,
				     SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, c, sizeof(c[0]),
				     &num);
	if (!ret)
		CHECK_EQ(num, n);
	return ret;
}

/* CMD_TLBI_NH_VA of one page of @asid; the guest's VMID field is its
 * own business (0x55): the vIOMMU's replaces it. */
static int guest_tlbi_va(struct vm *vm, uint16_t asid, uint64_t va)
{
	const uint64_t cmd[1][2] = { { SIOMMU_SMMUV3_CMD_TLBI_NH_VA | (0x55ull << 32) |
				       (uint64_t)asid << 48, va } };

	return guest_cmds(vm, cmd, 1);
}

static void dma_through_both_stages(void)
{
	struct vm vm;
	uint32_t nested, pt;

	vm3_setup(&vm);
	vm_map(&vm, ROOT0, IOVA, DATA_OFF + 0x1000);
	vm_map(&vm, ROOT1, IOVA, DATA_OFF + 0x5000);
	nested = nested_alloc(&vm, SIOMMU_SMMUV3_STE_S1);
	/* The vIOMMU must know the device first (its vSID). */
	pt = nested;
	TFD_FAILS(&vm.t, vm.ioas, -ENOENT, siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, VSID, &vm.vdev));
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(pt, nested);
	CHECK_EQ(siommu_iommufd_attached_hwpt(vm.t.ictx, vm.d0, NOPASID), nested);
	/* No SubstreamID: CD 0 (S1DSS SSID0); SubstreamID 1: CD 1. */
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x1000));
	CHECK_EQ(dma_byte(&vm, 1, IOVA), PAGE_BYTE(DATA_OFF + 0x5000));
	CHECK_EQ(dma_byte(&vm, 2, IOVA), -1);		/* CD 2 is not valid */
	/* The guest remaps under both ASIDs: the old entries stay cached
	 * until it invalidates, and a TLBI of one ASID leaves the other. */
	vm_map(&vm, ROOT0, IOVA, DATA_OFF + 0x2000);
	vm_map(&vm, ROOT1, IOVA, DATA_OFF + 0x6000);
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x1000));
	CHECK_OK(guest_tlbi_va(&vm, 1, IOVA));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x2000));
	CHECK_EQ(dma_byte(&vm, 1, IOVA), PAGE_BYTE(DATA_OFF + 0x5000));
	{
		const uint64_t cmd[1][2] = { { SIOMMU_SMMUV3_CMD_TLBI_NH_ASID | 2ull << 48, 0 } };

		CHECK_OK(guest_cmds(&vm, cmd, 1));
	}
	CHECK_EQ(dma_byte(&vm, 1, IOVA), PAGE_BYTE(DATA_OFF + 0x6000));
	/* The guest points CD 1 at CD 0's table (and ASID): the cached CD
	 * serves until its CFGI_CD by virtual StreamID. */
	vm_cd(&vm, 1, 1, ROOT0);
	CHECK_EQ(dma_byte(&vm, 1, IOVA), PAGE_BYTE(DATA_OFF + 0x6000));
	{
		const uint64_t cmd[2][2] = {
			{ SIOMMU_SMMUV3_CMD_CFGI_CD | 1ull << 12 | VSID << 32, 1 },
			{ SIOMMU_SMMUV3_CMD_TLBI_NH_ASID | 2ull << 48, 0 },
		};

		CHECK_OK(guest_cmds(&vm, cmd, 2));
	}
	CHECK_EQ(dma_byte(&vm, 1, IOVA), PAGE_BYTE(DATA_OFF + 0x2000));
	/* The nested HWPT takes no invalidation of its own. */
	{
		struct siommu_viommu_arm_smmuv3_invalidate c = { { SIOMMU_SMMUV3_CMD_TLBI_NH_ALL } };
		uint32_t n = 1;

		CHECK_EQ(siommu_hwpt_invalidate(vm.t.ictx, nested,
						SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, &c,
						sizeof(c), &n), -EOPNOTSUPP);
	}
	/* Busy while used: the nested HWPT by its attachment, the vIOMMU
	 * by the nested HWPT and the vDEVICE, the parent by the vIOMMU. */
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, vm.viommu));
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, vm.parent));
	/* Replace to the parent (guest-physical DMA) and back. */
	pt = vm.parent;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, GPA_BASE + DATA_OFF + 0x3000),
		 PAGE_BYTE(DATA_OFF + 0x3000));
	CHECK_EQ(dma_byte(&vm, 1, IOVA), -1);		/* a stage-2 STE: no substreams */
	pt = nested;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x2000));
	/* The IOAS takes guest memory away: the cached walks go with it. */
	CHECK_OK(siommu_ioas_unmap(vm.t.ictx, vm.ioas, GPA_BASE, GUEST_LEN, NULL));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), -1);
	CHECK_EQ(dma_byte(&vm, 1, IOVA), -1);
	CHECK_OK(siommu_iommufd_detach(vm.t.ictx, vm.d0, NOPASID));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, vm.vdev));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, vm.viommu));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, vm.parent));
	vm_teardown(&vm);
}

/*
 * A detached nested HWPT leaves nothing cached under the vIOMMU's VMID:
 * the parent's later unmaps reach only attached nested HWPTs, so a walk
 * cached before the detach must not serve the device once it is back.
 */
static void detach_drops_cache(void)
{
	uint64_t iova = GPA_BASE;
	struct vm vm;
	uint32_t nested, pt;

	vm3_setup(&vm);
	vm_map(&vm, ROOT0, IOVA, DATA_OFF + 0x1000);
	nested = nested_alloc(&vm, SIOMMU_SMMUV3_STE_S1);
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, VSID, &vm.vdev));
	pt = nested;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x1000));
	CHECK_OK(siommu_iommufd_detach(vm.t.ictx, vm.d0, NOPASID));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), -1);
	/* Guest memory goes and comes back elsewhere in the host. */
	CHECK_OK(siommu_ioas_unmap(vm.t.ictx, vm.ioas, GPA_BASE, GUEST_LEN, NULL));
	{
		uint8_t *copy = tfd_buf(GUEST_LEN, 0);

		memcpy(copy, vm.mem, GUEST_LEN);
		memset(copy + DATA_OFF + 0x1000, 0xee, 4096);
		CHECK_OK(siommu_ioas_map(vm.t.ictx, vm.ioas, RW | FIXED, copy, GUEST_LEN, &iova));
		CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
		CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), 0xee);
		vm_teardown(&vm);
		munmap(copy, GUEST_LEN);
	}
}

static unsigned int host_faults;
static struct siommu_fault host_last;

static void on_host_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	(void)arg;
	(void)dev;
	host_faults++;
	host_last = *f;
}

/*
 * The guest's faults go to the guest: a fault of its stage 1 through the
 * nested STE reaches the vIOMMU's vEVENTQ with the virtual StreamID, not
 * the host's handler; a stage-2 fault (a guest page the VMM does not map)
 * stays the host's.
 */
static void guest_faults(void)
{
	struct siommu_vevent_arm_smmuv3 ev;
	uint8_t rec[2 * (8 + sizeof(ev))];
	uint64_t nread;
	struct vm vm;
	uint32_t nested, pt, q;

	vm3_setup(&vm);
	vm_map(&vm, ROOT0, IOVA, DATA_OFF + 0x1000);
	/* A guest page beyond guest memory: no stage-2 mapping. */
	vm_map(&vm, ROOT0, IOVA + 0x1000, GUEST_LEN + 0x10000);
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, VSID, &vm.vdev));
	CHECK_OK(siommu_veventq_alloc(vm.t.ictx, vm.viommu, 0, SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4,
				      &q));
	nested = nested_alloc(&vm, SIOMMU_SMMUV3_STE_S1);
	pt = nested;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	siommu_device_set_fault_handler(vm.t.dev[0], on_host_fault, NULL);
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x1000));
	/* Stage 1: nothing mapped at IOVA + 2 pages. */
	CHECK_EQ(dma_byte(&vm, 1, IOVA + 0x2000), -1);
	CHECK_EQ(host_faults, 0);
	CHECK_OK(siommu_veventq_read(vm.t.ictx, q, rec, sizeof(rec), &nread));
	CHECK_EQ(nread, 8 + sizeof(ev));
	memcpy(&ev, rec + 8, sizeof(ev));
	CHECK_EQ(ev.evt[0] >> 32, VSID);
	CHECK_EQ(ev.evt[0] & 0xff, SIOMMU_SMMUV3_F_TRANSLATION);
	CHECK_EQ((ev.evt[0] >> 12) & 0xfffff, 1);		/* SubstreamID 1 */
	CHECK_EQ(ev.evt[2] & ~0xfffull, IOVA + 0x2000);
	CHECK(!(ev.evt[1] & (1ull << 39)));			/* S2 clear */
	/* Stage 2: the host's, the queue left empty. */
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA + 0x1000), -1);
	CHECK_EQ(host_faults, 1);
	CHECK_EQ(host_last.rid, tfd_rid(0));
	CHECK_OK(siommu_veventq_read(vm.t.ictx, q, rec, sizeof(rec), &nread));
	CHECK_EQ(nread, 0);
	siommu_device_set_fault_handler(vm.t.dev[0], NULL, NULL);
	vm_teardown(&vm);
}

/* The guest's STE shapes: abort (V clear too), bypass (stage 2 only). */
static void ste_shapes(void)
{
	struct siommu_hwpt_arm_smmuv3 off = { { 0x1234ull << 6, 0x7 } };
	struct siommu_hwpt_nested_cfg c;
	struct vm vm;
	uint32_t abort_h, bypass_h, s1_h, off_h, pt;

	vm3_setup(&vm);
	vm_map(&vm, ROOT0, IOVA, DATA_OFF + 0x1000);
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, VSID, &vm.vdev));
	abort_h = nested_alloc(&vm, SIOMMU_SMMUV3_STE_ABORT);
	bypass_h = nested_alloc(&vm, SIOMMU_SMMUV3_STE_BYPASS);
	s1_h = nested_alloc(&vm, SIOMMU_SMMUV3_STE_S1);
	/* V clear: whatever else the words hold, an abort STE (Linux). */
	c = nested_cfg(&vm, &off);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &off_h));
	pt = bypass_h;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, GPA_BASE + DATA_OFF + 0x4000),
		 PAGE_BYTE(DATA_OFF + 0x4000));
	pt = s1_h;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x1000));
	pt = abort_h;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), -1);
	CHECK_EQ(dma_byte(&vm, NOPASID, GPA_BASE + DATA_OFF), -1);
	pt = off_h;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, GPA_BASE + DATA_OFF), -1);
	pt = s1_h;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), PAGE_BYTE(DATA_OFF + 0x1000));
	/* Teardown with a nested HWPT attached. */
	vm_teardown(&vm);
}

/* Every intermediate STE of a replace translates as the old or the new
 * one, never blocks: DMA from the driver's step hook. */
struct steps {
	struct vm *vm;
	uint16_t rid;
	int old, new;
	unsigned int n, bad;
};

static int rid_byte(struct steps *s)
{
	uint8_t b;

	if (test_unit_dma_read(s->vm->t.unit, s->rid, false, 0, GPA_BASE + DATA_OFF + 0x3000,
			       &b, 1, NULL))
		return -1;
	return b;
}

static void step(void *arg)
{
	struct steps *s = arg;
	int b = rid_byte(s);

	s->n++;
	if (b != s->old && b != s->new)
		s->bad++;
}

/*
 * @ats: the device has ATS, which the parent's STE enables (EATS 1) and
 * the guest's does not: the entries differ in EATS too, which changes
 * with the first step rather than making a second critical word.
 */
static void hitless_replace(bool ats)
{
	struct vm vm;
	struct steps s = { &vm, tfd_rid(0), 0, 0, 0, 0 };
	uint32_t nested, bypass_h, pt, dev_id;
	unsigned int i;

	vm3_setup(&vm);
	dev_id = vm.d0;
	if (ats) {
		s.rid = 0x180;
		CHECK_OK(siommu_iommufd_bind(vm.t.ictx, test_dev_add(vm.t.unit, s.rid, 20,
								     SIOMMU_DEV_ATS), &dev_id));
	}
	/* The same address is a GPA to the parent and a guest IOVA to the
	 * nested HWPT, each reaching another page. */
	vm_map(&vm, ROOT0, GPA_BASE + DATA_OFF + 0x3000, DATA_OFF + 0x1000);
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, dev_id, VSID, &vm.vdev));
	nested = nested_alloc(&vm, SIOMMU_SMMUV3_STE_S1);
	bypass_h = nested_alloc(&vm, SIOMMU_SMMUV3_STE_BYPASS);
	pt = vm.parent;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, dev_id, NOPASID, &pt));
	smmu_drv_step_hook_set(vm.t.unit, step, &s);
	/* parent -> nested -> parent -> bypass -> nested. */
	{
		const uint32_t to[] = { nested, vm.parent, bypass_h, nested };
		const int byte[] = { PAGE_BYTE(DATA_OFF + 0x1000), PAGE_BYTE(DATA_OFF + 0x3000),
				     PAGE_BYTE(DATA_OFF + 0x3000), PAGE_BYTE(DATA_OFF + 0x1000) };

		s.old = PAGE_BYTE(DATA_OFF + 0x3000);
		for (i = 0; i < 4; i++) {
			s.new = byte[i];
			s.n = 0;
			pt = to[i];
			CHECK_OK(siommu_iommufd_replace(vm.t.ictx, dev_id, NOPASID, &pt));
			CHECK(s.n >= 2);
			CHECK_EQ(s.bad, 0);
			CHECK_EQ(rid_byte(&s), s.new);
			s.old = s.new;
		}
	}
	smmu_drv_step_hook_set(vm.t.unit, NULL, NULL);
	vm_teardown(&vm);
}

static void alloc_errors(void)
{
	struct siommu_hwpt_arm_smmuv3 ste = vste(SIOMMU_SMMUV3_STE_S1);
	struct siommu_hwpt_nested_cfg c;
	struct { uint8_t b[32]; } big;
	struct siommu_unit *u2;
	struct vm vm;
	uint32_t h, other, nested, pt, paging;

	vm3_setup(&vm);
	CHECK_OK(test_unit_add(vm.t.ctx, NULL, &u2));
	CHECK_OK(siommu_iommufd_bind(vm.t.ictx, test_dev_add(u2, 0x200, 0, 0), &other));
#define ALLOC_FAILS(err, ...)                                                          \
	do {                                                                           \
		c = nested_cfg(&vm, &ste);                                             \
		__VA_ARGS__;                                                           \
		TFD_FAILS(&vm.t, vm.ioas, (err),                                       \
			  siommu_hwpt_alloc_nested(vm.t.ictx, &c, &h));                \
	} while (0)
	/* SMMUv3 nests under a vIOMMU only, as Linux. */
	ALLOC_FAILS(-EOPNOTSUPP, c.pt_id = vm.parent);
	ALLOC_FAILS(-EOPNOTSUPP, c.flags = SIOMMU_HWPT_ALLOC_PASID);
	ALLOC_FAILS(-EOPNOTSUPP, c.flags = SIOMMU_HWPT_ALLOC_NEST_PARENT);
	ALLOC_FAILS(-EINVAL, c.dev_id = other);
	ALLOC_FAILS(-ENOENT, c.dev_id = 99);
	ALLOC_FAILS(-ENOENT, c.flags = SIOMMU_HWPT_FAULT_ID_VALID; c.fault_id = 99);
	/* The driver data. */
	ALLOC_FAILS(-EOPNOTSUPP, c.data_type = SIOMMU_HWPT_DATA_VTD_S1);
	ALLOC_FAILS(-EINVAL, c.data_type = SIOMMU_HWPT_DATA_NONE);
	ALLOC_FAILS(-EINVAL, c.data_len = sizeof(ste) - 1);
	ALLOC_FAILS(-EFAULT, c.data = NULL);
	/* Longer than the driver's structure, zero past it or not. */
	memset(&big, 0, sizeof(big));
	memcpy(&big, &ste, sizeof(ste));
	ALLOC_FAILS(-EINVAL, c.data = &big; c.data_len = sizeof(big));
	big.b[31] = 1;
	ALLOC_FAILS(-EINVAL, c.data = &big; c.data_len = sizeof(big));
	/* The guest's STE: only its stage-1 fields, Config abort, bypass or
	 * stage 1, EATS 0 or 1; -EIO otherwise. */
	{
		static const uint64_t bad[][2] = {
			{ 1ull << 52, 0 },			/* S1ContextPtr[55:52] RES0 */
			{ 1ull << 56, 0 },
			{ 0, 1ull << 44 },			/* SHCFG */
			{ 0, 1ull << 30 },			/* STRW */
			{ 0, 1ull << 8 },			/* CONT */
			{ 0, 2ull << 28 },			/* EATS split-stage */
			{ 0, 3ull << 28 },
		};
		static const unsigned int bad_cfg[] = { 1, 2, 3, SIOMMU_SMMUV3_STE_S2,
							SIOMMU_SMMUV3_STE_NESTED };
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ste = vste(SIOMMU_SMMUV3_STE_S1);
			ste.ste[0] |= bad[i][0];
			ste.ste[1] |= bad[i][1];
			ALLOC_FAILS(-EIO);
		}
		for (i = 0; i < sizeof(bad_cfg) / sizeof(bad_cfg[0]); i++) {
			ste = vste(bad_cfg[i]);
			ALLOC_FAILS(-EIO);
		}
	}
	/* EATS 1, the fetch attributes and S1STALLD are the guest's. */
	ste = vste(SIOMMU_SMMUV3_STE_S1);
	ste.ste[1] |= 1ull << 28 | 0xfc | 1ull << 27;
	c = nested_cfg(&vm, &ste);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &nested));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	ste = vste(SIOMMU_SMMUV3_STE_S1);
	c = nested_cfg(&vm, &ste);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &nested));
	/* Attach: at the RID only, of a device the vIOMMU knows. */
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, VSID, &vm.vdev));
	pt = nested;
	TFD_FAILS(&vm.t, vm.ioas, -EINVAL, siommu_iommufd_attach(vm.t.ictx, vm.d0, 5, &pt));
	/* With host PASIDs attached the RID cannot take a guest STE. */
	CHECK_OK(siommu_hwpt_alloc(vm.t.ictx, vm.d0, vm.ioas, SIOMMU_HWPT_ALLOC_PASID, 0,
				   &paging));
	pt = paging;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, 5, &pt));
	pt = nested;
	TFD_FAILS(&vm.t, vm.ioas, -EINVAL, siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_OK(siommu_iommufd_detach(vm.t.ictx, vm.d0, 5));
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	/* ... nor a PASID beside it. */
	pt = paging;
	TFD_FAILS(&vm.t, vm.ioas, -EINVAL, siommu_iommufd_attach(vm.t.ictx, vm.d0, 5, &pt));
	/* A vDEVICE destroyed: the device stays, but cannot come back. */
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, vm.vdev));
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	pt = nested;
	TFD_FAILS(&vm.t, vm.ioas, -ENOENT, siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	vm_teardown(&vm);
}

/*
 * Whatever STE and CD table a guest writes, its device reaches guest
 * memory only: random STE words (mostly within the fields a guest may
 * set, with every Config and EATS value, sometimes a bit beyond) and a
 * random CD table. The allocation is -EIO exactly where the fields say
 * (a brute-force restatement of the rule), and an accepted STE's DMA,
 * with and without a SubstreamID, never reaches the host's own memory
 * (the stream table, the command queue) for reading or writing.
 */
static void random_stes(void)
{
	const uint64_t allowed0 = 0xf80ffffffffffffful, allowed1 = 0x380000ffull;
	struct test_rng rng = test_rng_init(0x57e);
	uint64_t n, nops = test_ops(2000), accepted = 0, host[2];
	struct vm vm;
	unsigned int i, j;

	vm3_setup(&vm);
	host[0] = smmu_drv_unit(vm.t.unit)->st_pa;
	host[1] = smmu_drv_unit(vm.t.unit)->cmdq.pa;
	CHECK_OK(siommu_vdevice_alloc(vm.t.ictx, vm.viommu, vm.d0, VSID, &vm.vdev));
	for (n = 0; n < nops; n++) {
		struct siommu_hwpt_arm_smmuv3 ste;
		struct siommu_hwpt_nested_cfg c;
		unsigned int cfg, eats;
		uint32_t h, pt;
		bool valid;
		int ret;

		ste.ste[0] = test_rand(&rng) & allowed0;
		ste.ste[1] = test_rand(&rng) & allowed1;
		if (test_rand_below(&rng, 8) == 0)
			ste.ste[test_rand_below(&rng, 2)] |= 1ull << test_rand_below(&rng, 64);
		if (test_rand_below(&rng, 2))
			ste.ste[0] = (ste.ste[0] & ~0xfull) | 1 | SIOMMU_SMMUV3_STE_S1 << 1;
		if (test_rand_below(&rng, 2))		/* a CD table in guest memory */
			ste.ste[0] = (ste.ste[0] & ~0x000fffffffffffc0ull) | (GPA_BASE + CD_OFF);
		cfg = (unsigned int)(ste.ste[0] >> 1) & 7;
		eats = (unsigned int)(ste.ste[1] >> 28) & 3;
		valid = !(ste.ste[0] & 1) ||
			(!(ste.ste[0] & ~allowed0) && !(ste.ste[1] & ~allowed1) &&
			 (cfg == SIOMMU_SMMUV3_STE_ABORT || cfg == SIOMMU_SMMUV3_STE_BYPASS ||
			  cfg == SIOMMU_SMMUV3_STE_S1) && eats <= 1);
		for (i = 0; i < 16 * 8; i++)
			((uint64_t *)(vm.mem + CD_OFF))[i] = test_rand(&rng);
		c = nested_cfg(&vm, &ste);
		ret = siommu_hwpt_alloc_nested(vm.t.ictx, &c, &h);
		CHECK_EQ(ret, valid ? 0 : -EIO);
		if (ret)
			continue;
		accepted++;
		pt = h;
		CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
		for (i = 0; i < 2; i++) {
			for (j = 0; j < 3; j++) {
				uint32_t ssid = j == 2 ? NOPASID : j;
				uint8_t b[8] = { 0 };

				CHECK(tfd_dma(&vm.t, 0, ssid, host[i], b, sizeof(b), false) != 0);
				CHECK(tfd_dma(&vm.t, 0, ssid, host[i], b, sizeof(b), true) != 0);
			}
		}
		CHECK_OK(siommu_iommufd_detach(vm.t.ictx, vm.d0, NOPASID));
		CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, h));
	}
	fprintf(stderr, "%" PRIu64 " random guest STEs, %" PRIu64 " accepted\n", nops, accepted);
	CHECK(accepted > nops / 8 && accepted < nops);
	vm_teardown(&vm);
}

/* The core's own nested calls on SMMUv3: no nesting without a vIOMMU,
 * no invalidation but through it. */
static void core_calls(void)
{
	struct siommu_hwpt_arm_smmuv3 ste = vste(SIOMMU_SMMUV3_STE_S1);
	struct siommu_domain *s2, *dom;
	struct tfd t;

	tfd_setup(&t, UINT64_MAX);
	CHECK_OK(siommu_domain_alloc(t.unit, &(struct siommu_domain_cfg){
		.type = SIOMMU_DOMAIN_PAGING, .stage = SIOMMU_STAGE_SECOND }, &s2));
	CHECK_EQ(siommu_domain_alloc_nested(s2, t.unit, SIOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
					    sizeof(ste), &dom), -EOPNOTSUPP);
	CHECK_OK(siommu_domain_free(s2));
	tfd_teardown(&t);
}

void nested_smmuv3(void);

void nested_smmuv3(void)
{
	dma_through_both_stages();
	detach_drops_cache();
	guest_faults();
	ste_shapes();
	hitless_replace(false);
	hitless_replace(true);
	alloc_errors();
	random_stes();
	core_calls();
}
