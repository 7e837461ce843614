/* SPDX-License-Identifier: MIT */
/*
 * siommu/vfio_dmaeng.h - the registers of the device behind each VFIO
 * device file of libsiommu-preload.so: a one-channel DMA copy engine, as a
 * program drives a real device through VFIO, with no siommu call.
 *
 * The engine's registers are BAR0 (VFIO_PCI_BAR0_REGION_INDEX, 4 KiB):
 * VFIO_DEVICE_GET_REGION_INFO gives its offset in the device fd, and
 * pread()/pwrite() there of 4 or 8 bytes, naturally aligned, read and
 * write a register (a 64-bit register in two 4-byte halves too;
 * little-endian). Other sizes or alignments are -EINVAL. Writes to
 * read-only registers are ignored; reads of the doorbell give 0.
 *
 * The program writes SRC, DST, LEN (and PASID with CTRL_PASID), then
 * any value to DOORBELL: the engine copies LEN bytes from IOVA SRC to
 * IOVA DST through the IOMMU, as DMA of the device's RID, or of PASID
 * PASID with CTRL_PASID. The copy runs on the engine's own thread: STATUS
 * reads BUSY until it ends with DONE, FAULT or INVALID, and a doorbell
 * while BUSY is ignored. It reads the whole source, then writes the
 * destination; DONE_BYTES counts the bytes written to DST.
 *
 * A page the IOMMU does not translate for the access ends the copy with
 * FAULT and its IOVA in FAULT_ADDR, except on a device with ATS and PRI
 * behind a VT-d unit, which sends a page request instead and waits for
 * the answer: the program reads it from the fault queue of the HWPT the
 * device is attached to (IOMMU_HWPT_ALLOC with IOMMU_HWPT_FAULT_ID_VALID),
 * maps the page, and answers IOMMU_PAGE_RESP_SUCCESS, after which the
 * copy goes on; any other answer ends it with FAULT.
 */
#ifndef SIOMMU_VFIO_DMAENG_H
#define SIOMMU_VFIO_DMAENG_H

#define SIOMMU_DMAENG_BAR_SIZE		0x1000

#define SIOMMU_DMAENG_ID		0x00	/* u32 RO: SIOMMU_DMAENG_ID_VALUE */
#define SIOMMU_DMAENG_VERSION		0x04	/* u32 RO: 1 */
#define SIOMMU_DMAENG_SRC		0x08	/* u64 RW: source IOVA */
#define SIOMMU_DMAENG_DST		0x10	/* u64 RW: destination IOVA */
#define SIOMMU_DMAENG_LEN		0x18	/* u64 RW: bytes, 1..MAX_LEN */
#define SIOMMU_DMAENG_PASID		0x20	/* u32 RW: with CTRL_PASID */
#define SIOMMU_DMAENG_CTRL		0x24	/* u32 RW */
#define SIOMMU_DMAENG_DOORBELL		0x28	/* u32 WO: any value starts */
#define SIOMMU_DMAENG_STATUS		0x2c	/* u32 RO: SIOMMU_DMAENG_ST_* */
#define SIOMMU_DMAENG_DONE_BYTES	0x30	/* u64 RO */
#define SIOMMU_DMAENG_FAULT_ADDR	0x38	/* u64 RO */

#define SIOMMU_DMAENG_ID_VALUE		0x53444d41u	/* "ADMS" in memory */
#define SIOMMU_DMAENG_MAX_LEN		(1u << 20)

#define SIOMMU_DMAENG_CTRL_PASID	(1u << 0)	/* requests carry PASID */

#define SIOMMU_DMAENG_ST_IDLE		0	/* never started */
#define SIOMMU_DMAENG_ST_BUSY		1
#define SIOMMU_DMAENG_ST_DONE		2	/* all LEN bytes copied */
#define SIOMMU_DMAENG_ST_FAULT		3	/* stopped at FAULT_ADDR */
#define SIOMMU_DMAENG_ST_INVALID	4	/* LEN 0 or above MAX_LEN; a
						 * PASID beyond the device's */

#endif /* SIOMMU_VFIO_DMAENG_H */
