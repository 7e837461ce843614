/* SPDX-License-Identifier: MIT */
/*
 * An emulator embedding the SMMUv3 model as its vIOMMU.
 *
 * The emulator owns guest RAM (at 1 GiB, as on the Arm "virt" board) and
 * registers it as the unit's physical memory; the model reads the guest's
 * stream table, CDs, page tables and command queue from there and writes
 * event records into it. MMIO exits on the unit's two 64K register pages
 * go to siommu_smmuv3_mmio_read/write, and the unit's MSIs go to a tiny
 * interrupt controller (an ITS doorbell that counts LPIs).
 *
 * The guest driver below does what Linux's arm-smmu-v3 driver does, in the
 * architecture's formats and with nothing but register accesses and stores
 * to its own RAM: it probes the ID registers, sets up the command, event
 * and PRI queues and a 2-level stream table, enables the unit with CR0 and
 * CR0ACK polling, and attaches the NIC's StreamID to a stage-1 STE whose
 * CD table holds two CDs: SubstreamID 0 for the traffic without a
 * SubstreamID (STE.S1DSS = SSID0) and SubstreamID 1, i.e. PASID 1. Each CD
 * has its own ASID and VMSAv8-64 4K-granule page tables. Every structure
 * change is followed by CMD_CFGI_STE or CMD_CFGI_CD and a CMD_SYNC, which
 * completes either by its MSI (written over the CMD_SYNC entry, which the
 * driver polls) or by CMDQ_CONS moving past it.
 *
 * The NIC model then DMAs through the unit tagged with its StreamID and
 * SubstreamID: the same IOVA reaches different buffers for the two
 * substreams. An access to an unmapped IOVA faults; the guest reads the
 * F_TRANSLATION record from the event queue and decodes it. Finally the
 * driver unmaps a page, invalidates it with CMD_TLBI_NH_VA and a CMD_SYNC,
 * and the NIC's next access to it faults.
 *
 * Exit status: 0 when every check holds, 1 otherwise.
 *
 * Build: cc emulator_smmuv3.c $(pkg-config --cflags --libs siommu)
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <siommu/mem.h>
#include <siommu/smmuv3.h>
#include <siommu/smmuv3_build.h>

/* ==== The emulator ======================================================= */

#define RAM_BASE	0x40000000ull	/* guest RAM, as on the virt board */
#define RAM_SIZE	(64ull << 20)
#define SMMU_BASE	0x09050000ull	/* the unit's MMIO window (128K) */
#define ITS_DOORBELL	0x08090040ull	/* GITS_TRANSLATER */
#define NIC_SID		0x0010		/* StreamID = PCI RID 00:02.0 */

/* LPIs the guest assigns to the unit's interrupt sources. */
enum { LPI_EVTQ = 8192, LPI_PRIQ, LPI_GERROR, LPI_END };

/* One machine with one guest: the emulator's state (and, below, the guest
 * driver's) is global, as it would be in each side's own program; the two
 * meet only at MMIO exits, guest RAM and the DMA calls. */
static uint8_t *ram;
static struct siommu_smmuv3 *smmu;

/* The interrupt controller: an MSI to the ITS doorbell makes its LPI
 * pending; the guest's handlers take it. */
static unsigned int lpi_pending[LPI_END - LPI_EVTQ];

/* The guest's interrupt entry: whether @lpi was pending (and take it). */
static bool lpi_take(unsigned int lpi)
{
	bool was = lpi_pending[lpi - LPI_EVTQ] != 0;

	lpi_pending[lpi - LPI_EVTQ] = 0;
	return was;
}

static void its_msi(void *opaque, enum siommu_smmuv3_irq irq, uint64_t addr,
		    uint32_t data)
{
	(void)opaque;
	(void)irq;
	/* Anything else is a memory write (a CMD_SYNC completion in guest
	 * RAM), which the model has already done. */
	if (addr == ITS_DOORBELL && data >= LPI_EVTQ && data < LPI_END)
		lpi_pending[data - LPI_EVTQ]++;
}

/* The emulator's MMIO exit handler for guest physical addresses. */
static uint64_t mmio_exit_read(uint64_t gpa, unsigned int size)
{
	uint64_t val = 0;

	if (gpa - SMMU_BASE < SIOMMU_SMMUV3_MMIO_SIZE)
		siommu_smmuv3_mmio_read(smmu, gpa - SMMU_BASE, size, &val);
	return val;
}

static void mmio_exit_write(uint64_t gpa, uint64_t val, unsigned int size)
{
	if (gpa - SMMU_BASE < SIOMMU_SMMUV3_MMIO_SIZE)
		siommu_smmuv3_mmio_write(smmu, gpa - SMMU_BASE, size, val);
}

/* The NIC model: DMA tagged with its StreamID and, for PASID work, a
 * SubstreamID (ssid < 0: none). */
static struct siommu_smmuv3_req nic_req(int ssid, uint64_t iova)
{
	struct siommu_smmuv3_req req = { .sid = NIC_SID, .ssv = ssid >= 0,
					 .ssid = ssid >= 0 ? (uint32_t)ssid : 0,
					 .iova = iova };

	return req;
}

static int nic_dma_write(int ssid, uint64_t iova, const void *buf, size_t len,
			 struct siommu_smmuv3_xlate *fault)
{
	struct siommu_smmuv3_req req = nic_req(ssid, iova);

	return siommu_smmuv3_dma_write(smmu, &req, buf, len, NULL, fault);
}

static int nic_dma_read(int ssid, uint64_t iova, void *buf, size_t len,
			struct siommu_smmuv3_xlate *fault)
{
	struct siommu_smmuv3_req req = nic_req(ssid, iova);

	return siommu_smmuv3_dma_read(smmu, &req, buf, len, NULL, fault);
}

/* ==== The guest ========================================================== */

/* Register accesses trap to the emulator. */
static uint32_t readl(uint64_t off) { return (uint32_t)mmio_exit_read(SMMU_BASE + off, 4); }
static void writel(uint32_t v, uint64_t off) { mmio_exit_write(SMMU_BASE + off, v, 4); }
static void writeq(uint64_t v, uint64_t off) { mmio_exit_write(SMMU_BASE + off, v, 8); }

/* The guest's own RAM: its structures are little-endian (SMMUv3 3.3). */
static void *phys_to_virt(uint64_t pa) { return ram + (pa - RAM_BASE); }

static void wr64(uint64_t pa, uint64_t v)
{
	uint64_t le = htole64(v);

	memcpy(phys_to_virt(pa), &le, 8);
}

static uint64_t rd64(uint64_t pa)
{
	uint64_t le;

	memcpy(&le, phys_to_virt(pa), 8);
	return le64toh(le);
}

/* The guest kernel's page allocator: zeroed, naturally aligned blocks. */
static uint64_t ram_next = RAM_BASE + (1u << 20);

static uint64_t alloc_coherent(uint64_t size)
{
	uint64_t pa = (ram_next + size - 1) & ~(size - 1);

	if (pa + size > RAM_BASE + RAM_SIZE)
		return 0;
	ram_next = pa + size;
	memset(phys_to_virt(pa), 0, size);
	return pa;
}

#define BIT(n)		(1ull << (n))
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((2ull << ((hi) - (lo))) - 1))

/* ID registers (SMMUv3 6.3.1-6.3.6). */
#define IDR0_S1P	BIT(1)
#define IDR0_TTF_AA64	BIT(3)
#define IDR0_MSI	BIT(13)
#define IDR0_ASID16	BIT(12)
#define IDR0_ST_LVL_2	BIT(27)
#define IDR3_RIL	BIT(10)

/* CR1 cacheability and shareability (SMMUv3 6.3.10). */
#define CR1_WBRA	1u
#define CR1_SH_ISH	3u

/* STEs, CDs and commands are encoded with siommu/smmuv3_build.h. */
#define STRTAB_SPLIT	8		/* 256 STEs per level-2 table */

/* VMSAv8-64 4K-granule descriptors (Arm ARM D8.3). */
#define PTE_TABLE	3ull
#define PTE_PAGE	3ull
#define PTE_ATTR_CACHE	(0ull << 2)	/* MAIR index 0: write-back (the CD's MAIR) */
#define PTE_AP_UNPRIV	BIT(6)
#define PTE_AP_RDONLY	BIT(7)
#define PTE_SH_IS	(3ull << 8)
#define PTE_AF		BIT(10)
#define PTE_NG		BIT(11)
#define PTE_ADDR(d)	((d) & 0x0000fffffffff000ull)

struct queue {
	uint64_t base;
	unsigned int log2;	/* entries */
	unsigned int dwords;	/* per entry */
	uint64_t prod_reg, cons_reg;
	uint32_t prod, cons;	/* the driver's copies, with the wrap bit */
	uint32_t ovack;		/* the last overflow flag acknowledged */
};

static struct {
	unsigned int sid_bits, ssid_bits, oas;
	bool ril, asid16;
	uint64_t strtab;	/* level 1 */
	unsigned int strtab_log2;
	struct queue cmdq, evtq, priq;
} smmu_dev;

static uint32_t q_idx(const struct queue *q, uint32_t p) { return p & ((1u << q->log2) - 1); }
static uint32_t q_inc(const struct queue *q, uint32_t p)
{
	return (p + 1) & ((2u << q->log2) - 1);
}

static bool q_empty(const struct queue *q)
{
	return q->prod == q->cons;	/* index and wrap bit */
}

/* Free entries between PROD and CONS. */
static uint32_t q_space(const struct queue *q)
{
	return (1u << q->log2) - ((q->prod - q->cons) & ((2u << q->log2) - 1));
}

/* Queue setup as in arm_smmu_init_one_queue(): at most 4K of entries,
 * and no more than the unit advertises. */
static int queue_init(struct queue *q, unsigned int max_log2, unsigned int dwords,
		      uint64_t base_reg, uint64_t prod_reg, uint64_t cons_reg)
{
	q->dwords = dwords;
	q->log2 = max_log2;
	while ((8ull * dwords << q->log2) > 4096)
		q->log2--;
	q->base = alloc_coherent(8ull * dwords << q->log2);
	if (!q->base)
		return -ENOMEM;
	q->prod_reg = prod_reg;
	q->cons_reg = cons_reg;
	q->prod = q->cons = 0;
	writeq(BIT(62) /* RWA */ | q->base | q->log2, base_reg);
	writel(0, prod_reg);
	writel(0, cons_reg);
	return 0;
}

/* Write a register and poll its acknowledgement, as
 * arm_smmu_write_reg_sync() does (with a bounded wait). */
static int write_reg_sync(uint32_t val, uint64_t reg, uint64_t ack)
{
	unsigned int i;

	writel(val, reg);
	for (i = 0; i < 1000000; i++)
		if (readl(ack) == val)
			return 0;
	return -ETIMEDOUT;
}

static int cmdq_error(void)
{
	uint32_t active = readl(SIOMMU_SMMUV3_GERROR) ^ readl(SIOMMU_SMMUV3_GERRORN);

	if (!(active & SIOMMU_SMMUV3_GERROR_CMDQ_ERR))
		return 0;
	printf("  CMDQ error %u at entry %u\n",
	       SIOMMU_SMMUV3_CMDQ_ERR(readl(SIOMMU_SMMUV3_CMDQ_CONS)),
	       q_idx(&smmu_dev.cmdq, readl(SIOMMU_SMMUV3_CMDQ_CONS)));
	return -EIO;
}

/*
 * Issue @n commands and a CMD_SYNC, then wait for the SYNC: by its MSI
 * (MSIAddr is the SYNC entry itself, MSIData 0, so completion zeroes the
 * entry's first word, as Linux's arm_smmu_cmdq_poll_until_msi() polls) or
 * by CMDQ_CONS passing it.
 */
static int cmdq_issue_sync(const struct siommu_smmuv3_cmd *cmds, unsigned int n, bool by_msi)
{
	struct queue *q = &smmu_dev.cmdq;
	uint64_t slot, cmd[2];
	unsigned int i, spin;

	q->cons = readl(q->cons_reg) & ((2u << q->log2) - 1);
	if (q_space(q) < n + 1)
		return -EBUSY;
	for (i = 0; i <= n; i++) {
		slot = q->base + q_idx(q, q->prod) * 16ull;
		if (i < n) {
			siommu_smmuv3_cmd_encode(&cmds[i], cmd);
		} else {
			struct siommu_smmuv3_cmd sync = { .op = SIOMMU_SMMUV3_CMD_SYNC };

			if (by_msi) {
				/* IDR0.MSI: checked at probe. MSIAddr is the
				 * entry itself, MSIData 0. */
				sync.cs = SIOMMU_SMMUV3_SYNC_CS_IRQ;
				sync.msi_addr = slot;
			}
			siommu_smmuv3_cmd_encode(&sync, cmd);
		}
		wr64(slot, cmd[0]);
		wr64(slot + 8, cmd[1]);
		q->prod = q_inc(q, q->prod);
	}
	/* A barrier and the doorbell: the unit consumes the commands. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	writel(q->prod, q->prod_reg);

	for (spin = 0; spin < 1000000; spin++) {
		if (cmdq_error())
			return -EIO;
		if (by_msi) {
			uint32_t w;

			memcpy(&w, phys_to_virt(slot), 4);
			if (!w)
				return 0;
		} else {
			/* CONS has moved past the SYNC: nothing else was
			 * queued after it, so the queue is empty. */
			q->cons = readl(q->cons_reg) & ((2u << q->log2) - 1);
			if (q_empty(q))
				return 0;
		}
	}
	return -ETIMEDOUT;
}

/* Probe, as arm_smmu_device_hw_probe() does: what the unit implements. */
static int smmu_probe(void)
{
	uint32_t idr0 = readl(SIOMMU_SMMUV3_IDR0), idr1 = readl(SIOMMU_SMMUV3_IDR1);
	static const unsigned int oas_bits[] = { 32, 36, 40, 42, 44, 48, 52, 0 };

	if (!(idr0 & IDR0_S1P) || !(idr0 & IDR0_TTF_AA64) || !(idr0 & IDR0_ST_LVL_2) ||
	    !(idr0 & IDR0_MSI) || !FIELD(idr1, 10, 6)) {
		printf("  SMMU lacks stage 1, AArch64 tables, 2-level stream tables, "
		       "MSIs or SubstreamIDs\n");
		return -ENODEV;
	}
	smmu_dev.sid_bits = (unsigned int)FIELD(idr1, 5, 0);
	smmu_dev.ssid_bits = (unsigned int)FIELD(idr1, 10, 6);
	smmu_dev.oas = (unsigned int)FIELD(readl(SIOMMU_SMMUV3_IDR5), 2, 0);
	smmu_dev.ril = readl(SIOMMU_SMMUV3_IDR3) & IDR3_RIL;
	smmu_dev.asid16 = idr0 & IDR0_ASID16;
	printf("SMMUv3: %u-bit StreamIDs, %u-bit SubstreamIDs, %u-bit output, "
	       "%u-bit ASIDs%s\n", smmu_dev.sid_bits, smmu_dev.ssid_bits,
	       oas_bits[smmu_dev.oas], smmu_dev.asid16 ? 16 : 8,
	       smmu_dev.ril ? ", range invalidation" : "");

	/* The queues: 2-dword commands and PRI entries, 4-dword events.
	 * EVTQ and PRIQ PROD/CONS live in register page 1. */
	if (queue_init(&smmu_dev.cmdq, (unsigned int)FIELD(idr1, 25, 21), 2,
		       SIOMMU_SMMUV3_CMDQ_BASE, SIOMMU_SMMUV3_CMDQ_PROD,
		       SIOMMU_SMMUV3_CMDQ_CONS) ||
	    queue_init(&smmu_dev.evtq, (unsigned int)FIELD(idr1, 20, 16), 4,
		       SIOMMU_SMMUV3_EVTQ_BASE, SIOMMU_SMMUV3_EVTQ_PROD,
		       SIOMMU_SMMUV3_EVTQ_CONS) ||
	    queue_init(&smmu_dev.priq, (unsigned int)FIELD(idr1, 15, 11), 2,
		       SIOMMU_SMMUV3_PRIQ_BASE, SIOMMU_SMMUV3_PRIQ_PROD,
		       SIOMMU_SMMUV3_PRIQ_CONS))
		return -ENOMEM;

	/* The level-1 stream table: one descriptor per 256 StreamIDs, all
	 * invalid (SPAN 0) until a device's level-2 table is added. */
	smmu_dev.strtab_log2 = smmu_dev.sid_bits;
	if (smmu_dev.strtab_log2 > 16)
		smmu_dev.strtab_log2 = 16;
	smmu_dev.strtab = alloc_coherent(8ull << (smmu_dev.strtab_log2 - STRTAB_SPLIT));
	if (!smmu_dev.strtab)
		return -ENOMEM;
	writeq(BIT(62) /* RA */ | smmu_dev.strtab, SIOMMU_SMMUV3_STRTAB_BASE);
	writel(1u << 16 /* FMT 2-level */ | STRTAB_SPLIT << 6 | smmu_dev.strtab_log2,
	       SIOMMU_SMMUV3_STRTAB_BASE_CFG);
	return 0;
}

/* The STE of @sid; its level-2 table is created on first use with every
 * STE aborting, as arm_smmu_init_l2_strtab() does. */
static uint64_t ste_addr(uint32_t sid)
{
	uint64_t l1 = smmu_dev.strtab + (sid >> STRTAB_SPLIT) * 8ull, desc = rd64(l1);
	unsigned int i;

	if (!(desc & 0x1f)) {
		uint64_t l2 = alloc_coherent(64ull << STRTAB_SPLIT), ste[8];

		if (!l2)
			return 0;
		siommu_smmuv3_ste_encode(&(struct siommu_smmuv3_ste_desc){
			.valid = true, .config = SIOMMU_SMMUV3_STE_ABORT }, ste);
		for (i = 0; i < 1u << STRTAB_SPLIT; i++)
			wr64(l2 + i * 64ull, ste[0]);
		desc = siommu_smmuv3_l1std_encode(l2, STRTAB_SPLIT + 1);
		wr64(l1, desc);
	}
	return (desc & 0x000fffffffffffc0ull) + (sid & ((1u << STRTAB_SPLIT) - 1)) * 64ull;
}

/* Reset and enable, as arm_smmu_device_reset() does. */
static int smmu_reset(void)
{
	static const struct siommu_smmuv3_cmd inv_all[] = {
		/* Range 31: every STE */
		{ .op = SIOMMU_SMMUV3_CMD_CFGI_STE_RANGE, .range = 31 },
		{ .op = SIOMMU_SMMUV3_CMD_TLBI_NSNH_ALL },
	};
	uint32_t en = 0;

	if (write_reg_sync(0, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK))
		return -ETIMEDOUT;
	/* Tables and queues inner-shareable write-back (CR1), PTM and
	 * RECINVSID (CR2). */
	writel(CR1_SH_ISH << 10 | CR1_WBRA << 8 | CR1_WBRA << 6 |	/* tables */
	       CR1_SH_ISH << 4 | CR1_WBRA << 2 | CR1_WBRA,		/* queues */
	       SIOMMU_SMMUV3_CR1);
	writel(BIT(2) | BIT(1), SIOMMU_SMMUV3_CR2);

	en |= SIOMMU_SMMUV3_CR0_CMDQEN;
	if (write_reg_sync(en, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK) ||
	    cmdq_issue_sync(inv_all, 2, false))
		return -EIO;

	en |= SIOMMU_SMMUV3_CR0_EVTQEN;
	if (write_reg_sync(en, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK))
		return -ETIMEDOUT;
	en |= SIOMMU_SMMUV3_CR0_PRIQEN;
	if (write_reg_sync(en, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK))
		return -ETIMEDOUT;

	/* Interrupts: each source an MSI to the ITS with its own LPI. */
	if (write_reg_sync(0, SIOMMU_SMMUV3_IRQ_CTRL, SIOMMU_SMMUV3_IRQ_CTRLACK))
		return -ETIMEDOUT;
	writeq(ITS_DOORBELL, SIOMMU_SMMUV3_EVTQ_IRQ_CFG0);
	writel(LPI_EVTQ, SIOMMU_SMMUV3_EVTQ_IRQ_CFG1);
	writel(1 /* Device-nGnRE */, SIOMMU_SMMUV3_EVTQ_IRQ_CFG2);
	writeq(ITS_DOORBELL, SIOMMU_SMMUV3_PRIQ_IRQ_CFG0);
	writel(LPI_PRIQ, SIOMMU_SMMUV3_PRIQ_IRQ_CFG1);
	writel(1, SIOMMU_SMMUV3_PRIQ_IRQ_CFG2);
	writeq(ITS_DOORBELL, SIOMMU_SMMUV3_GERROR_IRQ_CFG0);
	writel(LPI_GERROR, SIOMMU_SMMUV3_GERROR_IRQ_CFG1);
	writel(1, SIOMMU_SMMUV3_GERROR_IRQ_CFG2);
	if (write_reg_sync(SIOMMU_SMMUV3_IRQ_GERROR | SIOMMU_SMMUV3_IRQ_EVTQ |
			   SIOMMU_SMMUV3_IRQ_PRIQ, SIOMMU_SMMUV3_IRQ_CTRL,
			   SIOMMU_SMMUV3_IRQ_CTRLACK))
		return -ETIMEDOUT;

	en |= SIOMMU_SMMUV3_CR0_SMMUEN;
	return write_reg_sync(en, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK);
}

/* A stage-1 address space: 48-bit input (T0SZ 16), 4 levels. */
struct s1_domain {
	uint64_t pgd;
	uint16_t asid;
};

/* The leaf slot for @iova, creating the tables down to level 3. */
static uint64_t s1_leaf_slot(struct s1_domain *d, uint64_t iova, bool create)
{
	uint64_t table = d->pgd;
	unsigned int lvl;

	for (lvl = 0; lvl < 3; lvl++) {
		uint64_t slot = table + FIELD(iova, 47 - 9 * lvl, 39 - 9 * lvl) * 8;
		uint64_t desc = rd64(slot);

		if (!(desc & 1)) {
			if (!create)
				return 0;
			desc = alloc_coherent(4096);
			if (!desc)
				return 0;
			desc |= PTE_TABLE;
			wr64(slot, desc);
		}
		table = PTE_ADDR(desc);
	}
	return table + FIELD(iova, 20, 12) * 8;
}

/* Map one 4K page as Linux's io-pgtable-arm does for IOMMU_READ|WRITE. */
static int s1_map(struct s1_domain *d, uint64_t iova, uint64_t pa)
{
	uint64_t slot = s1_leaf_slot(d, iova, true);

	if (!slot)
		return -ENOMEM;
	wr64(slot, pa | PTE_PAGE | PTE_ATTR_CACHE | PTE_AP_UNPRIV | PTE_SH_IS |
	     PTE_AF | PTE_NG);
	return 0;
}

/* Unmap it, then invalidate the TLB for that page and wait. */
static int s1_unmap(struct s1_domain *d, uint64_t iova)
{
	uint64_t slot = s1_leaf_slot(d, iova, false);
	struct siommu_smmuv3_cmd cmd = { .op = SIOMMU_SMMUV3_CMD_TLBI_NH_VA, .asid = d->asid,
					 .addr = iova, .leaf = true };

	if (slot)
		wr64(slot, 0);
	if (smmu_dev.ril) {
		/* A range of one 4K page (NUM 0, SCALE 0, TG 4K) at level 3. */
		cmd.tg = 1;
		cmd.ttl = 3;
	}
	return cmdq_issue_sync(&cmd, 1, true);
}

/* Write CD @ssid of the table at @cdtab for @d (arm_smmu_make_s1_cd()),
 * the word holding V last, then CMD_CFGI_CD for the stream and a SYNC. */
static int write_cd(uint64_t cdtab, uint32_t sid, uint32_t ssid, const struct s1_domain *d)
{
	uint64_t cd = cdtab + ssid * 64ull, w[8];
	const struct siommu_smmuv3_cmd cmd = { .op = SIOMMU_SMMUV3_CMD_CFGI_CD, .sid = sid,
					       .ssid = ssid, .leaf = true };
	unsigned int i;

	/* 48-bit input (T0SZ 16), TTB1 walks off, faults recorded and
	 * aborted (R, A). */
	siommu_smmuv3_cd_encode(&(struct siommu_smmuv3_cd_desc){
		.valid = true, .t0sz = 16, .ips = smmu_dev.oas, .asid = d->asid,
		.ttb0 = d->pgd, .r = true, .a = true }, w);
	for (i = 1; i < 8; i++)
		wr64(cd + 8 * i, w[i]);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr64(cd, w[0]);
	return cmdq_issue_sync(&cmd, 1, true);
}

/* Point @sid's STE at the CD table (arm_smmu_make_cdtable_ste()): S1,
 * S1CDMax 1 (two CDs), S1DSS SSID0 so that traffic without a SubstreamID
 * uses CD 0. The STE was "abort": the words it does not use go first, then
 * the word that changes its meaning, each step made visible by
 * CMD_CFGI_STE + SYNC (Linux's hitless STE update). */
static int write_ste(uint32_t sid, uint64_t cdtab)
{
	uint64_t ste = ste_addr(sid), w[8];
	const struct siommu_smmuv3_cmd cmd[2] = {
		{ .op = SIOMMU_SMMUV3_CMD_CFGI_STE, .sid = sid, .leaf = true },
		{ .op = SIOMMU_SMMUV3_CMD_PREFETCH_CONFIG, .sid = sid },
	};

	if (!ste)
		return -ENOMEM;
	siommu_smmuv3_ste_encode(&(struct siommu_smmuv3_ste_desc){
		.valid = true, .config = SIOMMU_SMMUV3_STE_S1, .s1_ctx_ptr = cdtab,
		.s1_fmt = SIOMMU_SMMUV3_S1FMT_LINEAR, .s1_cdmax = 1,
		.s1dss = SIOMMU_SMMUV3_S1DSS_SSID0, .s1_stalld = true }, w);
	wr64(ste + 8, w[1]);
	if (cmdq_issue_sync(cmd, 1, true))
		return -EIO;
	wr64(ste, w[0]);
	return cmdq_issue_sync(cmd, 2, false);
}

static const char *event_name(unsigned int id)
{
	switch (id) {
	case SIOMMU_SMMUV3_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case SIOMMU_SMMUV3_C_BAD_STE: return "C_BAD_STE";
	case SIOMMU_SMMUV3_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case SIOMMU_SMMUV3_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case SIOMMU_SMMUV3_F_CD_FETCH: return "F_CD_FETCH";
	case SIOMMU_SMMUV3_C_BAD_CD: return "C_BAD_CD";
	case SIOMMU_SMMUV3_F_TRANSLATION: return "F_TRANSLATION";
	case SIOMMU_SMMUV3_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case SIOMMU_SMMUV3_F_ACCESS: return "F_ACCESS";
	case SIOMMU_SMMUV3_F_PERMISSION: return "F_PERMISSION";
	default: return "other";
	}
}

/* An event record, decoded (SMMUv3 7.3). */
struct event {
	unsigned int id;
	uint32_t sid;
	bool ssv;
	uint32_t ssid;
	bool read;
	uint64_t addr;		/* input address */
};

/*
 * The event-queue interrupt handler (arm_smmu_evtq_thread()): read the
 * records between CONS and PROD, decode them, move CONS and acknowledge
 * an overflow. Returns how many records it read; *last gets the last one.
 */
static unsigned int evtq_handler(struct event *last)
{
	struct queue *q = &smmu_dev.evtq;
	unsigned int n = 0;
	uint32_t prod = readl(q->prod_reg);

	q->prod = prod & ((2u << q->log2) - 1);
	while (!q_empty(q)) {
		uint64_t rec = q->base + q_idx(q, q->cons) * 32ull;
		uint64_t d0 = rd64(rec), d1 = rd64(rec + 8);
		static const char *const class[] = { "CD fetch", "table walk",
						     "input address", "?" };

		last->id = (unsigned int)FIELD(d0, 7, 0);
		last->sid = (uint32_t)FIELD(d0, 63, 32);
		last->ssv = d0 & BIT(11);
		last->ssid = (uint32_t)FIELD(d0, 31, 12);
		last->read = d1 & BIT(35);		/* RnW */
		last->addr = rd64(rec + 16);
		printf("  event 0x%02x %s: StreamID 0x%x", last->id, event_name(last->id),
		       last->sid);
		if (last->ssv)
			printf(" SubstreamID %u", last->ssid);
		printf(", %s%s%s at 0x%llx (%s%s)\n", last->read ? "read" : "write",
		       d1 & BIT(33) ? ", privileged" : "", d1 & BIT(34) ? ", fetch" : "",
		       (unsigned long long)last->addr,
		       class[FIELD(d1, 41, 40)], d1 & BIT(39) ? ", stage 2" : "");
		q->cons = q_inc(q, q->cons);
		n++;
	}
	if ((prod ^ q->ovack) & SIOMMU_SMMUV3_Q_OVF)
		printf("  events were lost (queue overflow)\n");
	/* CONS with OVACKFLG = PROD.OVFLG acknowledges an overflow. */
	q->ovack = prod & SIOMMU_SMMUV3_Q_OVF;
	writel(q->cons | q->ovack, q->cons_reg);
	return n;
}

/* ==== The scenario ======================================================= */

#define IOVA		0x10000ull
#define UNMAPPED	0x20000ull

/* The record names the NIC's substream @ssid, the access and the IOVA. */
static bool is_fault(const struct event *e, unsigned int id, uint32_t ssid,
		     uint64_t iova, bool read)
{
	return e->id == id && e->sid == NIC_SID && e->ssv && e->ssid == ssid &&
	       e->addr == iova && e->read == read;
}

static int check(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	return ok ? 0 : 1;
}

int main(void)
{
	struct siommu_mem_cfg no_pool = { 0 };	/* the guest allocates in its RAM */
	struct s1_domain dma_dom = { .asid = 1 }, pasid_dom = { .asid = 2 };
	struct siommu_smmuv3_xlate fault, x0, x1;
	struct siommu_mem *mem = NULL;
	struct event evt;
	uint64_t buf_rid, buf_pasid, cdtab;
	char got[16];
	int fails = 0, ret;

	/* 1. Guest RAM, owned by the emulator; the unit as after reset,
	 *    its MSIs going to the interrupt controller. */
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (ram == MAP_FAILED)
		return 1;
	if (siommu_mem_create(&no_pool, &mem) ||
	    siommu_mem_add_ram(mem, RAM_BASE, RAM_SIZE, ram) ||
	    siommu_smmuv3_create(mem, NULL, &smmu)) {
		fails += check(false, "guest RAM and the unit");
		goto out;
	}
	siommu_smmuv3_set_msi(smmu, its_msi, NULL);

	/* 2. The guest's driver probes and enables the unit. */
	if (smmu_probe() || smmu_reset()) {
		fails += check(false, "probe and reset");
		goto out;
	}
	fails += check((readl(SIOMMU_SMMUV3_CR0ACK) & SIOMMU_SMMUV3_CR0_SMMUEN) != 0,
		       "SMMUEN acknowledged in CR0ACK");

	/* 3. The NIC's DMA domain (ASID 1) and a PASID domain (ASID 2) map
	 *    the same IOVA to different buffers. */
	buf_rid = alloc_coherent(4096);
	buf_pasid = alloc_coherent(4096);
	dma_dom.pgd = alloc_coherent(4096);
	pasid_dom.pgd = alloc_coherent(4096);
	cdtab = alloc_coherent(2 * 64);
	if (!buf_rid || !buf_pasid || !dma_dom.pgd || !pasid_dom.pgd || !cdtab ||
	    s1_map(&dma_dom, IOVA, buf_rid) || s1_map(&pasid_dom, IOVA, buf_pasid)) {
		fails += check(false, "page tables");
		goto out;
	}

	/* 4. Attach: CD 0 and the STE (the RID's traffic), then CD 1 for
	 *    PASID 1 on the live STE. */
	if (write_cd(cdtab, NIC_SID, 0, &dma_dom) || write_ste(NIC_SID, cdtab) ||
	    write_cd(cdtab, NIC_SID, 1, &pasid_dom)) {
		fails += check(false, "attach");
		goto out;
	}
	printf("StreamID 0x%x: STE at 0x%llx -> CD table at 0x%llx (SSID 0: ASID %u, "
	       "SSID 1: ASID %u)\n", NIC_SID, (unsigned long long)ste_addr(NIC_SID),
	       (unsigned long long)cdtab, dma_dom.asid, pasid_dom.asid);

	/* 5. The same IOVA translates to a different page per substream... */
	{
		struct siommu_smmuv3_req r0 = nic_req(-1, IOVA), r1 = nic_req(1, IOVA);

		r0.access = r1.access = SIOMMU_SMMUV3_READ | SIOMMU_SMMUV3_WRITE;
		ret = siommu_smmuv3_translate(smmu, &r0, &x0) ||
		      siommu_smmuv3_translate(smmu, &r1, &x1);
		printf("IOVA 0x%llx: no SubstreamID -> PA 0x%llx, SubstreamID 1 -> PA 0x%llx\n",
		       (unsigned long long)IOVA, (unsigned long long)x0.addr,
		       (unsigned long long)x1.addr);
		fails += check(!ret && x0.addr == buf_rid && x1.addr == buf_pasid,
			       "translate: each substream through its own CD");
	}

	/* ... and the NIC's DMA there lands in different buffers. */
	ret = nic_dma_write(-1, IOVA, "rid", 4, &fault);
	fails += check(!ret && !strcmp(phys_to_virt(buf_rid), "rid"),
		       "DMA without SubstreamID reaches the DMA domain's buffer (CD 0)");
	ret = nic_dma_write(1, IOVA, "pasid 1", 8, &fault);
	fails += check(!ret && !strcmp(phys_to_virt(buf_pasid), "pasid 1"),
		       "DMA with SubstreamID 1 reaches PASID 1's buffer (CD 1)");
	ret = nic_dma_read(1, IOVA, got, 8, &fault);
	fails += check(!ret && !strcmp(got, "pasid 1"), "the same IOVA reads back per substream");

	/* 6. A stray access: F_TRANSLATION recorded, the event LPI raised,
	 *    and the guest's handler decodes the record. */
	ret = nic_dma_read(1, UNMAPPED, got, 8, &fault);
	fails += check(ret == -EFAULT && fault.event == SIOMMU_SMMUV3_F_TRANSLATION &&
		       fault.event_recorded, "unmapped IOVA aborts with F_TRANSLATION");
	fails += check(lpi_take(LPI_EVTQ) && evtq_handler(&evt) == 1 &&
		       is_fault(&evt, SIOMMU_SMMUV3_F_TRANSLATION, 1, UNMAPPED, true),
		       "event interrupt; the driver reads the F_TRANSLATION record");

	/* 7. Unmap PASID 1's page: TLBI_NH_VA for ASID 2 + SYNC. The NIC's
	 *    next access with PASID 1 faults; the DMA domain is untouched. */
	fails += check(!s1_unmap(&pasid_dom, IOVA), "unmap, TLBI_NH_VA and CMD_SYNC");
	ret = nic_dma_read(1, IOVA, got, 8, &fault);
	fails += check(ret == -EFAULT && fault.event == SIOMMU_SMMUV3_F_TRANSLATION,
		       "the unmapped page faults after the invalidation");
	fails += check(lpi_take(LPI_EVTQ) && evtq_handler(&evt) == 1 &&
		       is_fault(&evt, SIOMMU_SMMUV3_F_TRANSLATION, 1, IOVA, true),
		       "and its record reaches the event queue");
	ret = nic_dma_read(-1, IOVA, got, 4, &fault);
	fails += check(!ret && !strcmp(got, "rid"), "the DMA domain still translates");
	fails += check(!lpi_take(LPI_GERROR) && !cmdq_error(), "no global error");

out:
	/* 8. Teardown: the guest disables the unit; the emulator frees it. */
	if (smmu)
		fails += check(!write_reg_sync(0, SIOMMU_SMMUV3_CR0, SIOMMU_SMMUV3_CR0ACK),
			       "the unit disabled");
	siommu_smmuv3_destroy(smmu);
	if (mem)
		siommu_mem_destroy(mem);
	munmap(ram, RAM_SIZE);
	printf("%s\n", fails ? "FAILED" : "all checks passed");
	return fails ? 1 : 0;
}
