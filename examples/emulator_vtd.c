/* SPDX-License-Identifier: MIT */
/*
 * An emulator embedding the VT-d model as its vIOMMU.
 *
 * The emulator owns guest RAM and registers it as physical memory; the
 * model reads the guest's tables from there. The guest's driver (played here
 * by the table builders of siommu/vtd_build.h and a few register writes)
 * programs the unit through MMIO exactly as a kernel driver would; the
 * emulator forwards those accesses to siommu_vtd_mmio_read/write and routes
 * the unit's interrupts (MSI callback) to its interrupt controller. Its
 * device models DMA through siommu_vtd_dma_read/write with their requester
 * ID.
 *
 * Build: cc emulator_vtd.c $(pkg-config --cflags --libs siommu)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <siommu/mem.h>
#include <siommu/vtd.h>
#include <siommu/vtd_build.h>

#define GUEST_RAM (64u << 20)
#define NIC_RID 0x0010		/* 00:02.0 */

/* The emulator's interrupt controller would inject these into the guest. */
static void msi(void *opaque, enum siommu_vtd_irq irq, uint64_t addr, uint32_t data)
{
	unsigned int *count = opaque;

	(*count)++;
	printf("  MSI %s to 0x%llx\n", irq == SIOMMU_VTD_IRQ_FAULT ? "fault event" :
	       irq == SIOMMU_VTD_IRQ_INV ? "invalidation done" : "page request",
	       (unsigned long long)addr);
}

/* What the emulator's MMIO dispatch does for the unit's register page. */
static uint64_t mmio_rd(struct siommu_vtd *v, uint64_t off, unsigned int size)
{
	uint64_t val = 0;

	siommu_vtd_mmio_read(v, off, size, &val);
	return val;
}

static void mmio_wr(struct siommu_vtd *v, uint64_t off, uint64_t val, unsigned int size)
{
	siommu_vtd_mmio_write(v, off, size, val);
}

int main(void)
{
	struct siommu_mem_cfg pool = { .pool_base = 1ull << 32, .pool_size = 1ull << 30 };
	struct siommu_vtd_req req = { .rid = NIC_RID };
	struct siommu_vtd_xlate res;
	struct siommu_mem *mem;
	struct siommu_vtd *vtd;
	unsigned int irqs = 0;
	uint64_t root, fs_root, hi;
	uint8_t *ram;
	char buf[16];
	int ret;

	/* 1. Guest RAM at GPA 0, owned by the emulator. The frame pool stands
	 *    in for the guest kernel's page allocator of the builders. */
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || siommu_mem_create(&pool, &mem) ||
	    siommu_mem_add_ram(mem, 0, GUEST_RAM, ram))
		return 1;

	/* 2. The unit, as after reset; interrupts go to the emulator. */
	if (siommu_vtd_create(mem, NULL, &vtd))
		return 1;
	siommu_vtd_set_msi(vtd, msi, &irqs);

	/* 3. The guest driver builds its tables in guest memory: a root
	 *    table, the NIC's context entry, a first-stage page table mapping
	 *    IOVA 0x10000 to the buffer at GPA 0x200000, and PASID entry 0
	 *    (RID_PASID) pointing at it. */
	if (siommu_vtd_build_table_alloc(mem, &root) ||
	    siommu_vtd_build_context(mem, root, NIC_RID,
				     &(struct siommu_vtd_ctx_desc){ .paside = true },
				     NULL) ||
	    siommu_vtd_build_table_alloc(mem, &fs_root) ||
	    siommu_vtd_build_map(mem, SIOMMU_VTD_FMT_FS, fs_root, 4, 0x10000, 0x200000,
				 4096, SIOMMU_VTD_READ | SIOMMU_VTD_WRITE |
				 SIOMMU_VTD_BUILD_USER) ||
	    siommu_vtd_build_pasid(mem, root, NIC_RID, 0, &(struct siommu_vtd_pasid_desc){
				   .pgtt = SIOMMU_VTD_PGTT_FS, .did = 1,
				   .fs_root = fs_root, .fs_levels = 4 }))
		return 1;

	/* 4. ... and programs the unit through its registers: root table in
	 *    scalable mode, fault events unmasked, translation on. */
	mmio_wr(vtd, SIOMMU_VTD_REG_RTADDR, root | SIOMMU_VTD_RTADDR_SMT, 8);
	mmio_wr(vtd, SIOMMU_VTD_REG_GCMD, SIOMMU_VTD_GCMD_SRTP, 4);
	mmio_wr(vtd, SIOMMU_VTD_REG_FEADDR, 0xfee00000, 4);
	mmio_wr(vtd, SIOMMU_VTD_REG_FECTL, 0, 4);
	mmio_wr(vtd, SIOMMU_VTD_REG_GCMD, SIOMMU_VTD_GCMD_TE, 4);
	if (!(mmio_rd(vtd, SIOMMU_VTD_REG_GSTS, 4) & SIOMMU_VTD_GCMD_TE))
		return 1;
	printf("VT-d version 0x%llx, translation enabled\n",
	       (unsigned long long)mmio_rd(vtd, SIOMMU_VTD_REG_VER, 4));

	/* 5. The NIC model receives a packet: DMA write to IOVA 0x10000. */
	req.iova = 0x10000;
	ret = siommu_vtd_dma_write(vtd, &req, "packet!", 8, NULL, &res);
	printf("NIC DMA write to IOVA 0x10000: %s, guest RAM at 0x200000 holds \"%s\"\n",
	       ret ? "fault" : "ok", (char *)ram + 0x200000);
	if (ret || strcmp((char *)ram + 0x200000, "packet!"))
		return 1;

	/* 6. A stray DMA faults: the unit logs it and raises the fault event;
	 *    the guest driver reads the fault record through MMIO. */
	req.iova = 0x20000;
	ret = siommu_vtd_dma_read(vtd, &req, buf, sizeof(buf), NULL, &res);
	hi = mmio_rd(vtd, SIOMMU_VTD_REG_FRCD + 8, 8);
	printf("NIC DMA read from IOVA 0x20000: %s, fault record: reason 0x%x, "
	       "page 0x%llx, source %04x\n", ret == -EFAULT ? "fault" : "ok",
	       (unsigned int)(hi >> 32) & 0xff,
	       (unsigned long long)mmio_rd(vtd, SIOMMU_VTD_REG_FRCD, 8),
	       (unsigned int)(hi & 0xffff));
	if (ret != -EFAULT || ((hi >> 32) & 0xff) != SIOMMU_VTD_FR_FS_NP || !irqs)
		return 1;

	siommu_vtd_destroy(vtd);
	siommu_mem_destroy(mem);
	munmap(ram, GUEST_RAM);
	return 0;
}
