/* SPDX-License-Identifier: MIT */
/*
 * A VMM's view for the nested HWPT tests (nested.c, nested_smmuv3.c):
 * guest memory is the caller's buffer, mapped into an IOAS at
 * guest-physical addresses and walked by a NEST_PARENT HWPT; the guest's
 * tables live below DATA_OFF (zeroed), data pages above it hold their page
 * number in every byte, so a DMA's first byte says which page it reached.
 */
#ifndef SIOMMU_TEST_NESTED_VM_H
#define SIOMMU_TEST_NESTED_VM_H

#include <string.h>

#include "iommufd_test.h"

#define GPA_BASE 0x40000000ull		/* guest memory in the IOAS */
#define GUEST_LEN 0x80000ull		/* 128 pages */
#define DATA_OFF 0x40000ull		/* data pages from here */
#define IOVA 0x400000ull		/* what the guest's device uses */
#define PAGE_BYTE(off) ((int)((off) / 4096))

struct vm {
	struct tfd t;
	uint8_t *mem;			/* guest memory */
	uint64_t next;			/* next free table offset */
	uint32_t ioas, d0, parent;
	uint32_t viommu, vdev;		/* SMMUv3's */
};

/* Guest memory, device 0 bound, the IOAS and its nest parent; guest
 * tables are taken from @tables on. */
static inline void vm_setup(struct vm *vm, uint64_t tables)
{
	uint64_t iova = GPA_BASE, i;

	memset(vm, 0, sizeof(*vm));
	tfd_setup(&vm->t, UINT64_MAX);
	vm->mem = tfd_buf(GUEST_LEN, 0);
	memset(vm->mem, 0, DATA_OFF);
	for (i = DATA_OFF; i < GUEST_LEN; i++)
		vm->mem[i] = (uint8_t)(i / 4096);
	vm->next = tables;
	CHECK_OK(siommu_iommufd_bind(vm->t.ictx, vm->t.dev[0], &vm->d0));
	CHECK_OK(siommu_ioas_alloc(vm->t.ictx, &vm->ioas));
	CHECK_OK(siommu_ioas_map(vm->t.ictx, vm->ioas, RW | FIXED, vm->mem, GUEST_LEN, &iova));
	CHECK_OK(siommu_hwpt_alloc(vm->t.ictx, vm->d0, vm->ioas, SIOMMU_HWPT_ALLOC_NEST_PARENT,
				   0, &vm->parent));
}

static inline void vm_teardown(struct vm *vm)
{
	tfd_teardown(&vm->t);
	munmap(vm->mem, GUEST_LEN);
}

/* A table page of the guest's: the next free one below DATA_OFF. */
static inline uint64_t vm_table(struct vm *vm)
{
	uint64_t off = vm->next;

	vm->next += 0x1000;
	CHECK(vm->next <= DATA_OFF);
	return off;
}

/* The first byte device 0 reads at @iova (@pasid unless NOPASID), -1 on
 * a fault. */
static inline int dma_byte(struct vm *vm, uint32_t pasid, uint64_t iova)
{
	uint8_t b;

	if (tfd_dma(&vm->t, 0, pasid, iova, &b, 1, false))
		return -1;
	return b;
}

#endif
