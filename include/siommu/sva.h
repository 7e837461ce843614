/* SPDX-License-Identifier: MIT */
/*
 * siommu/sva.h - shared virtual addressing: process address spaces that
 * devices use through a PASID, with I/O page faults.
 *
 * Concepts
 * --------
 * A struct siommu_mm is a simulated process: a CPU page table in the CPU's
 * own format built in the context's memory, and the process's mappings
 * (VMAs). The simulated CPU is chosen per process (siommu_mm_cfg.cpu):
 * x86-64 (4-level paging, the format of VT-d's first stage) or Arm64
 * (VMSAv8-64 stage 1, 4K granule, 48-bit TTB0, the format of an SMMUv3
 * CD), user addresses below 2^47 on both. As in Linux, a process has one
 * table, in its CPU's format, that every bound device walks: a process
 * binds only to devices whose unit walks that format (VT-d units for
 * x86-64, SMMUv3 and SMMUv2 units with stage 1 for Arm64), and a bind
 * elsewhere is refused (-EOPNOTSUPP). Memory is
 * anonymous and populated lazily: a page gets a frame on its first touch,
 * by the CPU (siommu_mm_read()/siommu_mm_write(), which go through the
 * process's own table) or by a device (an I/O page fault). munmap,
 * mprotect, reclaim (the page goes to swap, its frame is freed, and comes
 * back on the next touch) and migrate (the page moves to a new frame)
 * change the table the devices walk: each removes or downgrades a
 * translation only after the IOTLBs, paging-structure caches and device
 * TLBs of every device bound to the process were invalidated, and frees a
 * frame only after that, before the call returns (Linux's mmu_notifier
 * invalidate_range, for SVA).
 *
 * A bind (siommu_sva_bind()) lets a device DMA to the process's addresses
 * with the process's PASID: one PASID per process, the same on every
 * device and unit, allocated from the context's PASID space on the first
 * bind with the process's owner ID as owner (so it counts against that
 * owner's quota, siommu_pasid_set_quota()), released when the process has
 * exited and its last bind is gone. The device's PASID entry translates
 * through the process's table for user requests, and supervisor requests
 * too if the process was created with SIOMMU_MM_SUPERVISOR. VT-d: a
 * first-stage PASID entry on the table. SMMUv3: a CD for the PASID
 * (SubstreamID) whose TTB0 is the table, tagged with an ASID the driver
 * allocates per process and unit (Linux shares the CPU's ASID; a
 * simulated process has no CPU TLB to share it with), the same ASID for
 * every device of the process on that unit. The Arm format grants a
 * privileged access every page an unprivileged one may use (Arm ARM D8.4,
 * without PAN), so an Arm64 process cannot have user-only binds and
 * SIOMMU_MM_SUPERVISOR is implied there; creating one with it is refused.
 * SMMUv2, which has no PASIDs: the device must have registered PASID
 * hooks (siommu_device_set_pasid_hooks(), siommu/core.h), the process's
 * PASID must fit their width, and the bind is handed to the device as a
 * private PASID's table is: install_pasid with the process's table as
 * TTBR0, an ASID the driver allocates per process and unit, the PASID and
 * the context bank of the device's stream; the device switches to it
 * itself, and remove_pasid takes it back on unbind. The process's
 * invalidations reach that ASID in every bank the table is installed in.
 * The device's RID and its other PASIDs are not touched: DMA through the
 * DMA API (siommu/dma.h) keeps working on the same device.
 *
 * Owners: a bind is the act of the device's driver, whoever owns the
 * device's DMA: it neither claims the device (siommu_device_claim()) nor
 * needs to, and coexists with the DMA API's claim, as Linux allows
 * iommu_sva_bind_device() on a device whose kernel driver owns its DMA.
 * The bind occupies only the process's PASID on the device. Removing the
 * device (or destroying the context) undoes its binds; their handles stay
 * valid for siommu_sva_unbind().
 *
 * I/O page faults: a bound device on VT-d or SMMUv3 needs PRI, or, on
 * SMMUv3, the stall model (a platform device with SIOMMU_DEV_STALL: its
 * faulting
 * transaction is held by the unit and reported as a one-request group;
 * the answer resumes it, "success" as a retry, anything else as an abort,
 * through CMD_RESUME, SMMUv3 4.6.2). A DMA that misses makes the
 * device send page requests for the process's PASID; the context's fault
 * path (siommu/core.h: siommu_iopf_set_mode(), siommu_iopf_poll()) groups
 * them and runs the process's fault handler in its worker (or the
 * poller): each page is faulted in with the access requested, and the
 * group is answered "success" (the device retries), or "invalid request"
 * for an address no VMA maps or an access the VMA's protection refuses
 * (a write to a read-only mapping), or for a process that has exited.
 * SMMUv2 has no PRI: a device with SIOMMU_DEV_STALL (whose PASID hooks
 * then include stall_end) has its bank stall on a fault in the process's
 * table (SCTLR.CFCFG), and the stall goes to the fault path as a group
 * of one, as on SMMUv3; the answer writes RESUME (retry after "success",
 * else terminate) and the device learns it through stall_end; a
 * transaction that stalled with no record of its own (FSR held a fault
 * that did not stall: MULTI) is retried, to stall again with its own.
 * The bank stalls only while every device whose stream uses it has
 * SIOMMU_DEV_STALL and a stall_end hook; while one that has not is there
 * (its RID attached to the same domain), the process's faults are
 * terminated and reported as below. On a device without SIOMMU_DEV_STALL
 * the fault is terminated and reported to the device's fault handler
 * (FSR, FAR, the stream), like one in any of its tables;
 * its driver resolves it by touching the page through the process
 * (siommu_mm_read()/siommu_mm_write()) and issuing the work again, as
 * Linux's GPU drivers recover from a context fault, and the process's
 * fault counters do not move.
 *
 * Pinned binds (siommu_sva_bind_with(), SIOMMU_SVA_BIND_PINNED): for a
 * device that can neither send page requests nor stall, the way VFIO and
 * iommufd pin user memory for DMA: the ranges the caller names are
 * faulted in when the bind is made and stay resident while it lasts:
 * siommu_mm_reclaim() and siommu_mm_migrate() refuse a pinned page
 * (-EBUSY), and so does an mprotect to no access, which would swap it
 * out. The device walks the process's table like any bound device, so a
 * page outside the ranges translates while it happens to be populated;
 * a DMA that misses is an ordinary unrecoverable fault (a fault record),
 * since nothing resolves it. The process stays in charge of its
 * mappings, as in Linux, where munmap of pinned memory never fails:
 * munmap removes pinned pages too (the device faults on them from then
 * on, and the pin no longer covers that range: a later mmap there is not
 * pinned), and mprotect changes their permissions in place.
 *
 * Process exit (siommu_mm_exit()): the DMA of every bound device stops
 * first (its PASID entry blocks, with fault recording disabled, as Linux
 * does; on SMMUv2 the device's remove_pasid hook runs, after aborting a
 * stall its bank held, and the table is never installed again), then the
 * process's pages are freed. Binds stay until unbound;
 * the process object goes with the last of them.
 *
 * Errors: 0 or a negative errno; nothing changes on failure.
 *
 * Concurrency
 * -----------
 * Calls on one process serialise on its lock (the page faults its devices
 * raise too); calls on different processes run in parallel. Device DMA runs
 * concurrently with everything. Bind and unbind of a process serialise on
 * its bind lock and may run concurrently with its memory calls and its
 * page faults. A call must not run concurrently with siommu_mm_exit() of
 * its process, nor an unbind with siommu_device_remove() of its device.
 * None of these may be called from a device callback run by a unit or
 * from a fault handler.
 */
#ifndef SIOMMU_SVA_H
#define SIOMMU_SVA_H

#include <stddef.h>
#include <stdint.h>

#include <siommu/core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_mm;
struct siommu_sva;

/* The lowest and the last address a mapping may use: above the first
 * 64K, below the top of the lower canonical half of 4-level paging. */
#define SIOMMU_MM_MIN_ADDR	0x10000ull
#define SIOMMU_MM_MAX_ADDR	((1ull << 47) - 1)

/* struct siommu_mm_cfg.flags */
#define SIOMMU_MM_SUPERVISOR	(1u << 0)	/* bound devices may make
						 * supervisor requests */

/* struct siommu_mm_cfg.cpu: the simulated CPU, whose page-table format
 * the process's table has. */
enum siommu_mm_cpu {
	SIOMMU_MM_CPU_X86_64 = 0,	/* x86-64 4-level paging (Intel SDM 4.5) */
	SIOMMU_MM_CPU_ARM64,		/* VMSAv8-64 stage 1, 4K (Arm ARM D8) */
};

struct siommu_mm_cfg {
	uint64_t owner;		/* PASID owner ID (the process's) */
	unsigned int flags;	/* SIOMMU_MM_* */
	enum siommu_mm_cpu cpu;
};

/*
 * siommu_mm_create - a process with no mappings in @ctx, its table in
 * @cfg->cpu's format.
 * Returns 0, -EINVAL (NULL argument, unknown flag or CPU, Arm64 with
 * SIOMMU_MM_SUPERVISOR), -ENOMEM.
 */
int siommu_mm_create(struct siommu_ctx *ctx, const struct siommu_mm_cfg *cfg,
		     struct siommu_mm **out);

/*
 * siommu_mm_exit - the process exits: bound devices' DMA stops without
 * fault records, then every page is freed and the PASID's allocation is
 * dropped (the PASID is released with the last unbind). @mm may be
 * passed only to siommu_sva_unbind() of its binds afterwards; it is freed
 * with the last of them, or now if it has none. Never fails. Every
 * process of a context exits, and every bind is unbound, before the
 * context is destroyed.
 */
void siommu_mm_exit(struct siommu_mm *mm);

/*
 * siommu_mm_mmap - map [addr, addr + length) anonymous, zero-filled, with
 * @prot (SIOMMU_PROT_READ | WRITE | EXEC, or 0 for no access); pages are
 * populated on first touch. @addr 0: the lowest free range at or above
 * SIOMMU_MM_MIN_ADDR; else exactly there. *out (optional) gets the address.
 * Returns 0, -EINVAL (unaligned, zero length, a prot bit beyond those),
 * -ERANGE (outside [SIOMMU_MM_MIN_ADDR, SIOMMU_MM_MAX_ADDR]), -EEXIST
 * (@addr overlaps a mapping), -ENOMEM (no room, or no memory).
 */
int siommu_mm_mmap(struct siommu_mm *mm, uint64_t addr, uint64_t length,
		   unsigned int prot, uint64_t *out);

/*
 * siommu_mm_munmap - remove every mapping in [addr, addr + length) (holes
 * are fine). Returns once no device can reach the pages; their frames are
 * free. 0, -EINVAL (unaligned, zero length), -ERANGE, -ENOMEM (a mapping
 * or a pinned bind's range would be split in two and no memory was left
 * for that; nothing changed). Pinned pages go too, out of their pins.
 */
int siommu_mm_munmap(struct siommu_mm *mm, uint64_t addr, uint64_t length);

/*
 * siommu_mm_mprotect - give every page of [addr, addr + length) @prot.
 * Pages keep their contents (with prot 0 they go to swap). A populated
 * page stays mapped throughout: its translation changes in place, so a
 * device's DMA during the call is checked against the old permissions or
 * the new ones, never faults on a missing page. Returns once no device can
 * use the old permissions (every bound device's caches were invalidated,
 * for an upgrade too). 0, -EINVAL, -ERANGE, -ENOMEM (as for
 * munmap), -ENOMEM also when a page's contents had no room in swap
 * (pages before it have the new protection), -EFAULT (part of the range
 * is not mapped; nothing changed), -EBUSY (@prot 0 on a range a pinned
 * bind holds; nothing changed).
 */
int siommu_mm_mprotect(struct siommu_mm *mm, uint64_t addr, uint64_t length,
		       unsigned int prot);

/*
 * siommu_mm_read / siommu_mm_write - the CPU reads or writes @len bytes at
 * @addr through the process's table, faulting pages in as a CPU does.
 * 0, -EFAULT (a page not mapped, or mapped without READ / WRITE: bytes
 * before it were copied), -ENOMEM (no frame for a page).
 */
int siommu_mm_read(struct siommu_mm *mm, uint64_t addr, void *buf, size_t len);
int siommu_mm_write(struct siommu_mm *mm, uint64_t addr, const void *buf, size_t len);

/*
 * siommu_mm_reclaim - swap the page at @addr out: its contents are kept
 * aside, its translation removed and invalidated everywhere, its frame
 * freed; the next touch brings it back in a new frame.
 * siommu_mm_migrate - move the page at @addr to a new frame, contents
 * kept; devices translate to the new frame on their next miss.
 * Both: 0, -EINVAL (unaligned), -ENOENT (not populated), -EBUSY (a
 * pinned bind holds the page), -ENOMEM.
 */
int siommu_mm_reclaim(struct siommu_mm *mm, uint64_t addr);
int siommu_mm_migrate(struct siommu_mm *mm, uint64_t addr);

/* What a process holds now. */
struct siommu_mm_info {
	uint64_t resident;	/* pages with a frame */
	uint64_t swapped;	/* pages in swap */
	uint32_t pasid;		/* 0: none allocated yet */
	unsigned int binds;
	uint64_t faults;	/* I/O page faults resolved */
	uint64_t faults_refused;	/* ... answered "invalid request" */
};
void siommu_mm_get_info(struct siommu_mm *mm, struct siommu_mm_info *info);

/*
 * siommu_sva_bind - let @dev DMA to @mm's addresses with @mm's PASID.
 * Binding a device to a process it is bound to already returns the same
 * handle with one more reference (one siommu_sva_unbind() each).
 * The PASID is allocated on the process's first bind, within the
 * device's PASID width.
 * Returns 0; -EINVAL (NULL argument); -ESRCH (the process has exited);
 * -EOPNOTSUPP (the device has no usable PASIDs, being aliased counts,
 * or, on SMMUv2, no PASID hooks; or neither PRI nor, on SMMUv3, stalls;
 * or its unit cannot walk the process's table, whose format is its
 * CPU's); -ERANGE (the
 * process's PASID is beyond the device's width); -EDQUOT, -ENOSPC (no
 * PASID for the owner); -ENODEV (the device is being removed); -EAGAIN
 * (the fault path's worker could not start); -ENOMEM; -ENOSPC (no domain
 * ID). Nothing changes on failure.
 */
int siommu_sva_bind(struct siommu_device *dev, struct siommu_mm *mm,
		    struct siommu_sva **out);

/* struct siommu_sva_bind_opts.flags */
#define SIOMMU_SVA_BIND_PINNED	(1u << 0)	/* fault in and pin the ranges */
/* At most this many ranges per pinned bind. */
#define SIOMMU_SVA_MAX_PIN_RANGES 64

/* A range of the process, (addr, length), page-aligned. */
struct siommu_sva_range {
	uint64_t addr;
	uint64_t length;
};

struct siommu_sva_bind_opts {
	unsigned int flags;			/* SIOMMU_SVA_BIND_* */
	const struct siommu_sva_range *ranges;	/* PINNED: 1..MAX_PIN_RANGES */
	unsigned int nr_ranges;
};

/*
 * siommu_sva_bind_with - siommu_sva_bind() with options; @opts NULL or
 * without flags is siommu_sva_bind().
 * SIOMMU_SVA_BIND_PINNED: the device needs PASIDs but neither PRI nor
 * stalls. Every page of @opts->ranges (they may overlap, and may cover
 * pages other pinned binds pin) is faulted in, as a CPU read would, before
 * the PASID entry is written, and stays resident until this bind is
 * unbound or undone by the device's removal (see "Pinned binds" above).
 * A pinned bind is not shared: binding a device that is bound to the
 * process already, pinned or not, in the other mode or pinned again,
 * is -EBUSY.
 * Returns what siommu_sva_bind() returns, and: -EINVAL (unknown flag, no
 * ranges or more than SIOMMU_SVA_MAX_PIN_RANGES, ranges without PINNED, a
 * range unaligned or empty); -ERANGE (a range outside [SIOMMU_MM_MIN_ADDR,
 * SIOMMU_MM_MAX_ADDR]); -EFAULT (a range not wholly mapped, or mapped
 * without access); -EBUSY. Nothing changes on failure, except that pages
 * faulted in stay in, as after a CPU touch.
 */
int siommu_sva_bind_with(struct siommu_device *dev, struct siommu_mm *mm,
			 const struct siommu_sva_bind_opts *opts, struct siommu_sva **out);

/*
 * siommu_sva_unbind - drop one reference; the last detaches the PASID
 * from the device after every page request group of it in flight was
 * answered (by its handler, or "invalid request"), and none will be after
 * the PASID is reused, and releases the pins of a pinned bind. The device
 * must have stopped its own use of the PASID first. Never fails.
 */
void siommu_sva_unbind(struct siommu_sva *sva);

/* The PASID a bound device tags the process's DMA with. */
uint32_t siommu_sva_pasid(const struct siommu_sva *sva);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_SVA_H */
