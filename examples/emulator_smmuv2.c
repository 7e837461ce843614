/* SPDX-License-Identifier: MIT */
/*
 * An emulator embedding the SMMUv2 model in front of a GPU whose command
 * processor switches per-process page tables itself, as Adreno GPUs do.
 *
 * The emulator owns guest RAM (at 1 GiB) and registers it as the unit's
 * physical memory; the model reads the guest's page tables from there.
 * MMIO exits on the unit's 1 MiB register window go to
 * siommu_smmuv2_mmio_read/write; the context and global fault interrupts
 * arrive through the ops callback.
 *
 * The guest's SMMU driver does what Linux's arm-smmu driver does for a GPU:
 * it probes ID0-ID2, resets every stream match group to fault, puts the
 * GPU's StreamID 0 on context bank 0 (stage 1, AArch64 format), gives the
 * bank a kernel table in TTBR1 (the upper half of the address space, split
 * page tables) and enables it with stall-on-fault off and fault interrupts
 * on, then leaves CLIENTPD. The GPU driver builds one TTBR0 table per
 * client, each with its own ASID; before each client's job the GPU's
 * command processor writes the bank's TTBR0 (the table and the ASID in bits
 * 63:48, as two 32-bit words like CP_SMMU_TABLE_UPDATE), CONTEXTIDR, then
 * TLBIASID and TLBSYNC, through the same registers.
 *
 * Two clients render into their own surfaces at the same GPU address. A
 * third, malicious job tries to read client A's surface from client B's
 * address space at A's physical page's address and at an address B never
 * mapped: the unit refuses, the fault registers name the bank, the stream
 * and the address, the driver clears them, and client A's next job carries
 * on. Finally the driver unmaps a page of client A while client B's table
 * is live and invalidates it by A's ASID; when A runs again the page is
 * gone.
 *
 * Exit status: 0 when every check holds, 1 otherwise.
 *
 * Build: cc emulator_smmuv2.c $(pkg-config --cflags --libs siommu)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <siommu/mem.h>
#include <siommu/smmuv2.h>

/* ==== The emulator ======================================================= */

#define RAM_BASE	0x40000000ull
#define RAM_SIZE	(16ull << 20)
#define GPU_SID		0
#define GPU_CB		0

static uint8_t *ram;
static struct siommu_smmuv2 *smmu;
static unsigned int ctx_irqs, global_irqs;
static int failures;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			failures++; } } while (0)

static void smmu_irq(void *opaque, enum siommu_smmuv2_irq irq, int cb)
{
	(void)opaque;
	(void)cb;
	if (irq == SIOMMU_SMMUV2_IRQ_CONTEXT)
		ctx_irqs++;
	else
		global_irqs++;
}

static void smmu_stall_end(void *opaque, unsigned int cb, bool retry)
{
	(void)opaque;
	(void)cb;
	(void)retry;
}

static const struct siommu_smmuv2_ops smmu_ops = { smmu_irq, smmu_stall_end };

/* MMIO exits of the guest's CPU. */
static uint64_t mmio_read(uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	siommu_smmuv2_mmio_read(smmu, off, size, &v);
	return v;
}

static void mmio_write(uint64_t off, unsigned int size, uint64_t v)
{
	siommu_smmuv2_mmio_write(smmu, off, size, v);
}

/* ==== The guest: memory, tables ============================================ */

static uint64_t next_page = RAM_BASE + 0x100000;

static uint64_t page_alloc(void)
{
	uint64_t pa = next_page;

	next_page += 4096;
	memset(ram + (pa - RAM_BASE), 0, 4096);
	return pa;
}

static uint64_t *pte_at(uint64_t pa)
{
	return (uint64_t *)(ram + (pa - RAM_BASE));
}

/* Map the 4K page @va to @pa in a 39-bit VMSAv8-64 table (start level 1):
 * read-write at EL0 (the GPU's accesses are unprivileged), AF set; @ng:
 * not global, so that the TLB tags the entry with the ASID (a process's
 * mapping), else global (the kernel's, in every address space). */
static void s1_map(uint64_t root, uint64_t va, uint64_t pa, bool ng)
{
	uint64_t table = root;
	unsigned int l;

	for (l = 1; l < 3; l++) {
		uint64_t *e = pte_at(table + ((va >> (12 + 9 * (3 - l))) & 511) * 8);

		if (!(*e & 1))
			*e = page_alloc() | 3;
		table = *e & 0xfffffffff000ull;
	}
	*pte_at(table + ((va >> 12) & 511) * 8) = pa | (ng ? 1ull << 11 : 0) | (1ull << 10) |
						  (1ull << 6) | 3;
}

static void s1_unmap(uint64_t root, uint64_t va)
{
	uint64_t table = root;
	unsigned int l;

	for (l = 1; l < 3; l++)
		table = *pte_at(table + ((va >> (12 + 9 * (3 - l))) & 511) * 8) & 0xfffffffff000ull;
	*pte_at(table + ((va >> 12) & 511) * 8) = 0;
}

/* ==== The guest's SMMU driver ============================================== */

static uint64_t cb_reg(uint64_t off)
{
	return SIOMMU_SMMUV2_CB(GPU_CB) + off;
}

static void smmu_probe_and_attach_gpu(uint64_t kernel_root)
{
	uint32_t id0 = (uint32_t)mmio_read(SIOMMU_SMMUV2_IDR0, 4);
	uint32_t id1 = (uint32_t)mmio_read(SIOMMU_SMMUV2_IDR1, 4);
	unsigned int smrg = id0 & 0xff, i;

	CHECK(id0 & (1u << 30));			/* stage 1 */
	CHECK(id0 & (1u << 27));			/* stream matching */
	CHECK((id1 & 0xff) >= 1);			/* a context bank */
	for (i = 0; i < smrg; i++) {
		mmio_write(SIOMMU_SMMUV2_SMR(i), 4, 0);
		mmio_write(SIOMMU_SMMUV2_S2CR(i), 4, SIOMMU_SMMUV2_S2CR_FAULT);
	}
	/* The bank: stage 1, VMID 1, AArch64 format, 16-bit ASIDs, 48-bit
	 * output; TTBR1 holds the kernel's table, TTBR0 no table yet (EPD0). */
	mmio_write(SIOMMU_SMMUV2_CBAR(GPU_CB), 4, SIOMMU_SMMUV2_CBAR_S1_BYPASS | 1);
	mmio_write(SIOMMU_SMMUV2_CBA2R(GPU_CB), 4, SIOMMU_SMMUV2_CBA2R_VA64);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TCR2), 4, SIOMMU_SMMUV2_TCR2_PASIZE(5) |
		   SIOMMU_SMMUV2_TCR2_AS);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TCR), 4, SIOMMU_SMMUV2_TCR_T0SZ(25) |
		   SIOMMU_SMMUV2_TCR_EPD0 | SIOMMU_SMMUV2_TCR_T1SZ(25) |
		   SIOMMU_SMMUV2_TCR_TG1_4K);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TTBR1), 8, kernel_root);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_MAIR0), 4, 0x0004ff);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_SCTLR), 4, SIOMMU_SMMUV2_SCTLR_M |
		   SIOMMU_SMMUV2_SCTLR_AFE | SIOMMU_SMMUV2_SCTLR_CFRE |
		   SIOMMU_SMMUV2_SCTLR_CFIE);
	mmio_write(SIOMMU_SMMUV2_S2CR(0), 4, SIOMMU_SMMUV2_S2CR_TRANS | GPU_CB);
	mmio_write(SIOMMU_SMMUV2_SMR(0), 4, SIOMMU_SMMUV2_SMR_VAL(GPU_SID, 0));
	mmio_write(SIOMMU_SMMUV2_TLBIALLNSNH, 4, 0);
	mmio_write(SIOMMU_SMMUV2_STLBGSYNC, 4, 0);
	mmio_write(SIOMMU_SMMUV2_SCR0, 4, SIOMMU_SMMUV2_SCR0_USFCFG | SIOMMU_SMMUV2_SCR0_GFRE |
		   SIOMMU_SMMUV2_SCR0_GFIE | SIOMMU_SMMUV2_SCR0_SMCFCFG);
}

/* The split-table quirk: per-process tables go in TTBR0 once TTBR0 is
 * enabled (EPD0 cleared), with TTBR1 live. */
static void smmu_set_ttbr0_cfg(void)
{
	uint32_t tcr = (uint32_t)mmio_read(cb_reg(SIOMMU_SMMUV2_CB_TCR), 4);

	CHECK(!(tcr & SIOMMU_SMMUV2_TCR_EPD1));
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TCR), 4, tcr & ~SIOMMU_SMMUV2_TCR_EPD0);
}

struct fault_info {
	uint32_t fsr, fsynr0, sid;
	uint64_t far, ttbr0;
};

/* The context fault handler: what get_fault_info() reads, then clear. */
static bool smmu_fault_info(struct fault_info *fi)
{
	fi->fsr = (uint32_t)mmio_read(cb_reg(SIOMMU_SMMUV2_CB_FSR), 4);
	if (!(fi->fsr & SIOMMU_SMMUV2_FSR_FAULT))
		return false;
	fi->far = mmio_read(cb_reg(SIOMMU_SMMUV2_CB_FAR), 8);
	fi->fsynr0 = (uint32_t)mmio_read(cb_reg(SIOMMU_SMMUV2_CB_FSYNR0), 4);
	fi->ttbr0 = mmio_read(cb_reg(SIOMMU_SMMUV2_CB_TTBR0), 8);
	fi->sid = (uint32_t)mmio_read(SIOMMU_SMMUV2_CBFRSYNRA(GPU_CB), 4);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_FSR), 4, fi->fsr);
	return true;
}

/* Unmap from a client's table: invalidate by that client's ASID, whether
 * or not its table is the live one, and wait. */
static void smmu_unmap(uint64_t root, uint16_t asid, uint64_t va)
{
	s1_unmap(root, va);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TLBIVA), 8, (va >> 12) | (uint64_t)asid << 48);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TLBSYNC), 4, 0);
	CHECK(mmio_read(cb_reg(SIOMMU_SMMUV2_CB_TLBSTATUS), 4) == 0);
}

/* ==== The GPU ============================================================== */

struct client {
	const char *name;
	uint64_t root;		/* its TTBR0 table */
	uint16_t asid;
	uint64_t surface;	/* its surface's physical page */
};

#define SURFACE_VA	(uint64_t)0x100000	/* every client's surface, in its own space */
#define KERNEL_VA	0xffffff8000001000ull	/* the ring, in the kernel's half */

/* CP_SMMU_TABLE_UPDATE and the flush the command processor issues. */
static void cp_switch(const struct client *c)
{
	uint64_t ttbr = c->root | (uint64_t)c->asid << 48;

	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TTBR0), 4, (uint32_t)ttbr);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TTBR0) + 4, 4, (uint32_t)(ttbr >> 32));
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_CONTEXTIDR), 4, 0);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TLBIASID), 4, c->asid);
	mmio_write(cb_reg(SIOMMU_SMMUV2_CB_TLBSYNC), 4, 0);
}

/* A job: the GPU's DMA, in whatever address space is live. */
static int gpu_write(uint64_t va, const void *buf, size_t len)
{
	struct siommu_smmuv2_req req = { .sid = GPU_SID, .iova = va };

	return siommu_smmuv2_dma_write(smmu, &req, buf, len, NULL, NULL);
}

static int gpu_read(uint64_t va, void *buf, size_t len, struct siommu_smmuv2_xlate *res)
{
	struct siommu_smmuv2_req req = { .sid = GPU_SID, .iova = va };

	return siommu_smmuv2_dma_read(smmu, &req, buf, len, NULL, res);
}

int main(void)
{
	struct client a = { "A", 0, 1, 0 }, b = { "B", 0, 2, 0 };
	struct siommu_smmuv2_xlate res;
	struct siommu_mem *mem;
	struct fault_info fi;
	uint64_t kernel_root, ring;
	char buf[32];

	/* The emulator: guest RAM, the unit on it. */
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED ||
	    siommu_mem_create(&(struct siommu_mem_cfg){ 0 }, &mem) ||
	    siommu_mem_add_ram(mem, RAM_BASE, RAM_SIZE, ram) ||
	    siommu_smmuv2_create(mem, NULL, &smmu))
		return 1;
	siommu_smmuv2_set_ops(smmu, &smmu_ops, NULL);

	/* The guest: the kernel's table with the ring, the clients'. */
	kernel_root = page_alloc();
	ring = page_alloc();
	s1_map(kernel_root, KERNEL_VA, ring, false);
	smmu_probe_and_attach_gpu(kernel_root);
	smmu_set_ttbr0_cfg();
	a.root = page_alloc();
	b.root = page_alloc();
	a.surface = page_alloc();
	b.surface = page_alloc();
	s1_map(a.root, SURFACE_VA, a.surface, true);
	s1_map(b.root, SURFACE_VA, b.surface, true);

	/* Client A's job, then client B's: one GPU address, two surfaces. */
	cp_switch(&a);
	CHECK(gpu_write(SURFACE_VA, "frame of A", 11) == 0);
	CHECK(gpu_write(KERNEL_VA, "ring", 5) == 0);
	cp_switch(&b);
	CHECK(gpu_write(SURFACE_VA, "frame of B", 11) == 0);
	CHECK(!strcmp((char *)ram + (a.surface - RAM_BASE), "frame of A"));
	CHECK(!strcmp((char *)ram + (b.surface - RAM_BASE), "frame of B"));
	CHECK(!strcmp((char *)ram + (ring - RAM_BASE), "ring"));
	printf("A and B rendered into their own surfaces at GPU address 0x%" PRIx64 "\n",
	       SURFACE_VA);

	/* A malicious job of B's: A's surface by its physical address, and
	 * an address B never mapped. Both are refused. */
	CHECK(gpu_read(a.surface, buf, 11, &res) == -EFAULT);
	CHECK(res.fsr == SIOMMU_SMMUV2_FSR_TF && res.cb == GPU_CB && res.abort);
	CHECK(smmu_fault_info(&fi));
	CHECK(fi.far == a.surface && fi.sid == GPU_SID);
	CHECK((uint16_t)(fi.ttbr0 >> 48) == b.asid);
	printf("B's job reading 0x%" PRIx64 ": fault FSR 0x%x FAR 0x%" PRIx64
	       " stream %u, live ASID %u\n", a.surface, fi.fsr, fi.far, fi.sid,
	       (unsigned int)(fi.ttbr0 >> 48));
	CHECK(gpu_read(SURFACE_VA + 0x1000, buf, 4, &res) == -EFAULT);
	CHECK(smmu_fault_info(&fi) && fi.far == SURFACE_VA + 0x1000);
	CHECK(ctx_irqs == 2 && global_irqs == 0);

	/* The driver recovers; A carries on. */
	cp_switch(&a);
	memset(buf, 0, sizeof(buf));
	CHECK(gpu_read(SURFACE_VA, buf, 11, NULL) == 0);
	CHECK(!strcmp(buf, "frame of A"));

	/* B is live; the driver unmaps A's surface by A's ASID. */
	cp_switch(&b);
	smmu_unmap(a.root, a.asid, SURFACE_VA);
	CHECK(gpu_read(SURFACE_VA, buf, 11, NULL) == 0 && !strcmp(buf, "frame of B"));
	cp_switch(&a);
	CHECK(gpu_read(SURFACE_VA, buf, 11, &res) == -EFAULT);
	CHECK(smmu_fault_info(&fi) && fi.far == SURFACE_VA);
	printf("after the unmap, A's surface faults; B's still reads \"frame of B\"\n");

	siommu_smmuv2_destroy(smmu);
	siommu_mem_destroy(mem);
	munmap(ram, RAM_SIZE);
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
