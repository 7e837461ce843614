/* SPDX-License-Identifier: MIT */
/*
 * Nested HWPTs (siommu_hwpt_alloc_nested(), siommu_hwpt_invalidate()) on
 * VT-d (SMMUv3's, under a vIOMMU, are nested_smmuv3.c's), as a VMM drives
 * them: guest memory is the caller's buffer, mapped into an
 * IOAS at guest-physical addresses and walked by a NEST_PARENT HWPT; the
 * guest's first-stage table lives in that buffer. Device DMA reaches what
 * both say, the guest's changes show after its invalidation, the IOAS's
 * unmaps at once; the errno table of HWPT_ALLOC and HWPT_INVALIDATE, each
 * error changing nothing.
 */
#include "nested_vm.h"

#define ROOT_OFF 0x1000ull		/* first-stage root, then tables */
#define FS_RW 0x7ull			/* P, R/W, U/S */

/* Map @iova to guest page @off (from GPA_BASE) in the 4-level table. */
static void vm_map(struct vm *vm, uint64_t root_off, uint64_t iova, uint64_t off)
{
	uint64_t table = root_off;
	int level;

	for (level = 4; level > 1; level--) {
		uint64_t *e = (uint64_t *)(vm->mem + table) +
			      ((iova >> (12 + 9 * (level - 1))) & 511);

		if (!(*e & 1))
			*e = (GPA_BASE + vm_table(vm)) | FS_RW;
		table = (*e & ~0xfffull) - GPA_BASE;
	}
	((uint64_t *)(vm->mem + table))[(iova >> 12) & 511] = (GPA_BASE + off) | FS_RW;
}

static struct siommu_hwpt_vtd_s1 s1_at(uint64_t root_off)
{
	return (struct siommu_hwpt_vtd_s1){ .pgtbl_addr = GPA_BASE + root_off,
					    .addr_width = 48 };
}

static struct siommu_hwpt_nested_cfg nested_cfg(struct vm *vm,
						const struct siommu_hwpt_vtd_s1 *s1)
{
	return (struct siommu_hwpt_nested_cfg){
		.dev_id = vm->d0, .pt_id = vm->parent, .data_type = SIOMMU_HWPT_DATA_VTD_S1,
		.data_len = sizeof(*s1), .data = s1,
	};
}

static int inval(struct vm *vm, uint32_t id, uint64_t addr, uint64_t npages)
{
	struct siommu_hwpt_vtd_s1_invalidate e = { .addr = addr, .npages = npages };
	uint32_t n = 1;

	return siommu_hwpt_invalidate(vm->t.ictx, id, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &e,
				      sizeof(e), &n);
}

static void dma_through_both_stages(void)
{
	struct siommu_hwpt_vtd_s1 s1 = s1_at(ROOT_OFF);
	struct siommu_hwpt_nested_cfg c;
	struct vm vm;
	uint32_t nested, pt;

	vm_setup(&vm, ROOT_OFF + 0x1000);
	vm_map(&vm, ROOT_OFF, IOVA, DATA_OFF + 0x1000);
	c = nested_cfg(&vm, &s1);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &nested));
	CHECK_EQ(siommu_iommufd_obj_type(vm.t.ictx, nested), SIOMMU_IOMMUFD_OBJ_HWPT_NESTED);
	pt = nested;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(pt, nested);
	CHECK_EQ(siommu_iommufd_attached_hwpt(vm.t.ictx, vm.d0, NOPASID), nested);
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x1000) / 4096);
	/* The guest remaps: its old entry is cached until it invalidates. */
	vm_map(&vm, ROOT_OFF, IOVA, DATA_OFF + 0x2000);
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x1000) / 4096);
	CHECK_OK(inval(&vm, nested, IOVA, 1));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x2000) / 4096);
	/* Busy while used: the parent by the nested HWPT, the nested HWPT
	 * by its attachment, the IOAS by the parent. */
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, vm.parent));
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, vm.ioas));
	/* Replace to the parent (guest-physical DMA) and back. */
	pt = vm.parent;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, GPA_BASE + DATA_OFF + 0x3000), (DATA_OFF + 0x3000) / 4096);
	pt = nested;
	CHECK_OK(siommu_iommufd_replace(vm.t.ictx, vm.d0, NOPASID, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x2000) / 4096);
	/* The IOAS takes guest memory away: the cached walk goes with it. */
	CHECK_OK(siommu_ioas_unmap(vm.t.ictx, vm.ioas, GPA_BASE, GUEST_LEN, NULL));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), -1);
	CHECK_OK(siommu_iommufd_detach(vm.t.ictx, vm.d0, NOPASID));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	CHECK_EQ(siommu_iommufd_obj_type(vm.t.ictx, nested), SIOMMU_IOMMUFD_OBJ_NONE);
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, vm.parent));
	vm_teardown(&vm);
}

/* At a PASID: needs SIOMMU_HWPT_ALLOC_PASID; a second guest table there. */
static void pasid(void)
{
	struct siommu_hwpt_vtd_s1 s1 = s1_at(ROOT_OFF), s2;
	struct siommu_hwpt_nested_cfg c;
	uint64_t root2;
	struct vm vm;
	uint32_t rid_h, p_h, no_pasid, pt;

	vm_setup(&vm, ROOT_OFF + 0x1000);
	vm_map(&vm, ROOT_OFF, IOVA, DATA_OFF + 0x1000);
	root2 = vm_table(&vm);
	vm_map(&vm, root2, IOVA, DATA_OFF + 0x5000);
	s2 = s1_at(root2);
	c = nested_cfg(&vm, &s1);
	c.flags = SIOMMU_HWPT_ALLOC_PASID;
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &rid_h));
	c = nested_cfg(&vm, &s2);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &no_pasid));
	c.flags = SIOMMU_HWPT_ALLOC_PASID;
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &p_h));
	pt = rid_h;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, NOPASID, &pt));
	pt = no_pasid;
	TFD_FAILS(&vm.t, vm.ioas, -EINVAL, siommu_iommufd_attach(vm.t.ictx, vm.d0, 5, &pt));
	pt = p_h;
	CHECK_OK(siommu_iommufd_attach(vm.t.ictx, vm.d0, 5, &pt));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x1000) / 4096);
	CHECK_EQ(dma_byte(&vm, 5, IOVA), (DATA_OFF + 0x5000) / 4096);
	/* Invalidating one nested HWPT leaves the other's cache alone. */
	vm_map(&vm, root2, IOVA, DATA_OFF + 0x6000);
	vm_map(&vm, ROOT_OFF, IOVA, DATA_OFF + 0x7000);
	CHECK_OK(inval(&vm, p_h, 0, UINT64_MAX));
	CHECK_EQ(dma_byte(&vm, 5, IOVA), (DATA_OFF + 0x6000) / 4096);
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x1000) / 4096);
	CHECK_OK(inval(&vm, rid_h, IOVA, 1));
	CHECK_EQ(dma_byte(&vm, NOPASID, IOVA), (DATA_OFF + 0x7000) / 4096);
	/* Teardown with nested HWPTs attached. */
	vm_teardown(&vm);
}

static void alloc_errors(void)
{
	struct siommu_hwpt_vtd_s1 s1 = s1_at(ROOT_OFF);
	struct siommu_hwpt_nested_cfg c;
	struct { uint8_t b[32]; } big;
	struct vm vm;
	uint32_t h, paging, nested, f;

	vm_setup(&vm, ROOT_OFF + 0x1000);
	CHECK_OK(siommu_hwpt_alloc(vm.t.ictx, vm.d0, vm.ioas, 0, 0, &paging));
	CHECK_OK(siommu_fault_alloc(vm.t.ictx, &f));
#define ALLOC_FAILS(err, ...)                                                          \
	do {                                                                           \
		c = nested_cfg(&vm, &s1);                                              \
		__VA_ARGS__;                                                           \
		TFD_FAILS(&vm.t, vm.ioas, (err),                                       \
			  siommu_hwpt_alloc_nested(vm.t.ictx, &c, &h));                \
	} while (0)
	ALLOC_FAILS(-EOPNOTSUPP, c.flags = SIOMMU_HWPT_ALLOC_NEST_PARENT);
	ALLOC_FAILS(-EOPNOTSUPP, c.flags = SIOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	ALLOC_FAILS(-EOPNOTSUPP, c.flags = 1u << 4);
	ALLOC_FAILS(-ENOENT, c.dev_id = 99);
	ALLOC_FAILS(-ENOENT, c.pt_id = 99);
	ALLOC_FAILS(-ENOENT, c.flags = SIOMMU_HWPT_FAULT_ID_VALID; c.fault_id = 99);
	/* The parent: a NEST_PARENT paging HWPT, nothing else. */
	ALLOC_FAILS(-EINVAL, c.pt_id = paging);
	ALLOC_FAILS(-EINVAL, c.pt_id = vm.d0);
	ALLOC_FAILS(-EOPNOTSUPP, c.pt_id = vm.ioas);
	ALLOC_FAILS(-EINVAL, c.pt_id = vm.ioas; c.data_type = SIOMMU_HWPT_DATA_NONE);
	/* The driver data. */
	ALLOC_FAILS(-EINVAL, c.data_type = SIOMMU_HWPT_DATA_NONE);
	ALLOC_FAILS(-EOPNOTSUPP, c.data_type = SIOMMU_HWPT_DATA_ARM_SMMUV3);
	ALLOC_FAILS(-EINVAL, c.data_len = sizeof(s1) - 1);
	ALLOC_FAILS(-EINVAL, c.data_len = 0);
	ALLOC_FAILS(-EFAULT, c.data = NULL);
	/* Longer than the driver's structure, zero past it or not. */
	memset(&big, 0, sizeof(big));
	memcpy(&big, &s1, sizeof(s1));
	ALLOC_FAILS(-EINVAL, c.data = &big; c.data_len = sizeof(big));
	big.b[31] = 1;
	ALLOC_FAILS(-EINVAL, c.data = &big; c.data_len = sizeof(big));
	s1.flags = 1u << 5;
	ALLOC_FAILS(-EOPNOTSUPP);
	s1 = s1_at(ROOT_OFF);
	s1.__reserved = 1;
	ALLOC_FAILS(-EOPNOTSUPP);
	s1 = s1_at(ROOT_OFF);
	s1.addr_width = 39;
	ALLOC_FAILS(-EINVAL);
	s1 = s1_at(ROOT_OFF);
	s1.pgtbl_addr += 8;
	ALLOC_FAILS(-EINVAL);
	s1 = s1_at(ROOT_OFF);
	c = nested_cfg(&vm, &s1);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &nested));
	/* Nesting stops at one level; a nested HWPT has no dirty bits. */
	ALLOC_FAILS(-EINVAL, c.pt_id = nested);
	TFD_FAILS(&vm.t, vm.ioas, -ENOENT, siommu_hwpt_set_dirty_tracking(vm.t.ictx, nested, true));
	/* A fault queue is fine. */
	c = nested_cfg(&vm, &s1);
	c.flags = SIOMMU_HWPT_FAULT_ID_VALID;
	c.fault_id = f;
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &h));
	TFD_FAILS(&vm.t, vm.ioas, -EBUSY, siommu_iommufd_obj_destroy(vm.t.ictx, f));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, h));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, vm.parent));
	vm_teardown(&vm);
}

static void invalidate_errors(void)
{
	struct siommu_hwpt_vtd_s1 s1 = s1_at(ROOT_OFF);
	struct siommu_hwpt_vtd_s1_invalidate e[3];
	struct siommu_hwpt_nested_cfg c;
	struct vm vm;
	uint32_t nested, n;

	vm_setup(&vm, ROOT_OFF + 0x1000);
	c = nested_cfg(&vm, &s1);
	CHECK_OK(siommu_hwpt_alloc_nested(vm.t.ictx, &c, &nested));
	memset(e, 0, sizeof(e));
	for (n = 0; n < 3; n++) {
		e[n].addr = IOVA;
		e[n].npages = 1;
	}
#define INV(id, type, data, len, num) \
	(n = (num), siommu_hwpt_invalidate(vm.t.ictx, (id), (type), (data), (len), &n))
	CHECK_OK(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 3));
	CHECK_EQ(n, 3);
	/* entry_num 0 probes the type. */
	CHECK_OK(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, NULL, 0, 0));
	CHECK_EQ(INV(nested, 0xdeadbeef, NULL, 0, 0), -EINVAL);
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, e, 16, 1), -EINVAL);
	CHECK_EQ(n, 0);
	/* Entries need an array and a length; a call refused as a whole
	 * handled none. */
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, NULL, sizeof(e[0]), 2), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, 0, 2), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(INV(99, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 2), -ENOENT);
	CHECK_EQ(n, 0);
	/* Only nested HWPTs take invalidations. */
	CHECK_EQ(INV(vm.parent, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 2), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(INV(vm.ioas, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 2), -EINVAL);
	/* A bad entry stops the batch at its index. */
	e[2].flags = 4;
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 3), -EOPNOTSUPP);
	CHECK_EQ(n, 2);
	e[2].flags = 0;
	e[1].__reserved = 1;
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 3), -EOPNOTSUPP);
	CHECK_EQ(n, 1);
	e[1].__reserved = 0;
	e[1].addr = IOVA + 0x10;
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]), 3), -EINVAL);
	CHECK_EQ(n, 1);
	e[1].addr = IOVA;
	/* entry_len: shorter than an entry, or longer. */
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]) - 8, 2), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_EQ(INV(nested, SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, e, sizeof(e[0]) + 8, 2), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK_OK(siommu_iommufd_obj_destroy(vm.t.ictx, nested));
	vm_teardown(&vm);
}

/* SMMUv3's cases (nested_smmuv3.c): nesting under a vIOMMU. */
void nested_smmuv3(void);

int main(void)
{
	if (test_unit_type() == TEST_UNIT_SMMUV3) {
		nested_smmuv3();
		return 0;
	}
	dma_through_both_stages();
	pasid();
	alloc_errors();
	invalidate_errors();
	return 0;
}
