/* SPDX-License-Identifier: MIT */
/*
 * siommu/dma.h - the DMA mapping API, with PASIDs.
 *
 * Concepts
 * --------
 * A driver does its DMA through this API the way a Linux driver uses the
 * dma-mapping API: it maps a buffer for a device and a direction, hands the
 * returned DMA address (an IOVA) to the device, and unmaps when the device
 * is done. The API owns the device's DMA domain and its IOVA space.
 *
 * Setup: siommu_dma_setup() gives a device (siommu/core.h) its DMA domain.
 * The RID traffic of a group goes to one domain, so a device whose group
 * already has a DMA domain (set up through another of its devices) shares
 * it, with that domain's type and policy; otherwise a new one is made:
 *   - PAGING (the default): an I/O page table and an IOVA allocator
 *     (siommu/iova.h) over the table's input range, with IOVA page 0 and the
 *     interrupt window 0xFEE00000-0xFEEFFFFF reserved (the unit treats
 *     requests there as interrupts, VT-d 3.14), attached to the group's RID;
 *   - IDENTITY (cfg.passthrough, "security off"): DMA address = physical
 *     address, nothing is mapped and direction is not enforced.
 * A group whose RID is attached to a domain that is not a DMA domain (its
 * owner attached one with siommu_device_attach()) is refused with -EBUSY.
 * siommu_dma_teardown() undoes setup; the last device of a DMA domain takes
 * the domain, its mappings, queued invalidations and coherent buffers with
 * it. siommu_device_remove() and siommu_ctx_destroy() tear down by
 * themselves.
 *
 * Mappings belong to the domain, not to the device that made them: every
 * device sharing the domain may use (and unmap) them. The API records each
 * live mapping, keyed by the DMA address it returned, so that bad input is
 * refused with nothing disturbed: an address that is not mapped (-ENOENT,
 * e.g. a double unmap), a wrong length or direction or kind (-EINVAL).
 *
 * Directions set the permissions of the page-table entries:
 *   TO_DEVICE      the device reads memory: read-only;
 *   FROM_DEVICE    the device writes memory: write-only where the format
 *                  has write-only pages (VT-d second stage); x86-64 paging
 *                  (the VT-d first stage) has none and maps read-write;
 *   BIDIRECTIONAL  read-write.
 * A buffer may start and end anywhere in a page: whole pages are mapped and
 * the DMA address keeps the buffer's offset in its first page, so the rest
 * of those pages is reachable too (as with any IOMMU).
 *
 * Scatter-gather: siommu_dma_map_sg() maps a list of physical segments with
 * one IOVA allocation. Physically contiguous segments are merged into one
 * run; runs are laid back to back in IOVA, each starting on a page boundary
 * plus its first segment's offset in the page. Every segment gets its DMA
 * address; the device sees contiguous segments as one contiguous range.
 *
 * Coherent buffers: siommu_dma_alloc_coherent() takes zeroed frames from
 * the context's memory (SIOMMU_MEM_DMA) and maps them read-write.
 *
 * Sync: simulated memory is coherent for the device and the CPU, so the
 * sync calls transfer nothing; they check that the range is mapped for that
 * direction (what dma-debug checks in Linux) and issue a full memory
 * barrier, so that CPU accesses before the call are ordered against device
 * accesses the caller starts after it.
 *
 * Invalidation policy (per domain; default per context, strict unless
 * siommu_dma_set_default_policy() says otherwise):
 *   STRICT  unmap removes the entries, invalidates the IOTLB (and device
 *           TLBs) of every attachment and waits, and only then frees the
 *           IOVA: when unmap returns, DMA to the range faults.
 *   LAZY    unmap removes the entries and queues the IOVA on a flush queue;
 *           a DMA through a translation the IOTLB still holds may succeed
 *           until the queue is flushed with one domain-wide invalidation
 *           and wait for the whole batch, after which the IOVAs are freed.
 *           The queue is flushed when one of its per-CPU parts holds
 *           SIOMMU_DMA_FQ_SIZE entries, when its oldest unflushed entry is
 *           SIOMMU_DMA_FQ_TIMEOUT_MS old (checked at each map and unmap of
 *           the domain: no background thread), when IOVAs run out, on
 *           siommu_dma_flush() and at teardown. Freed page-table levels are
 *           released only after the flush, as siommu/pt.h requires.
 * siommu_dma_free_coherent() is always strict: its frames are reused at
 * once, so no stale translation may reach them.
 *
 * PASID: siommu_dma_enable_pasid() allocates a PASID (owner
 * SIOMMU_DMA_PASID_OWNER, within the device's width) and attaches the
 * device's DMA domain at it: a DMA with that PASID goes through the very
 * page tables the RID uses, so the same DMA address means the same memory
 * with or without PASID, for identity domains too. A PASID-only device
 * (SIOMMU_DEV_PASID_ONLY) gets this at setup. There is no kernel SVA:
 * nothing shares a CPU address space with a device here.
 *
 * Errors: 0 or a negative errno; on failure nothing changed. -ENODEV for a
 * device without DMA setup.
 *
 * Concurrency
 * -----------
 * Map, unmap, sync, alloc/free_coherent, flush and get_stats of one device
 * (or of devices sharing a domain) may run concurrently from any threads,
 * and with device DMA. Two unmaps of one mapping racing each other are a
 * caller bug; exactly one succeeds. Setup, teardown and PASID enable/disable
 * serialise on the context; nothing else may run on the device during its
 * teardown. Map and unmap scale with threads: the IOVA allocator has
 * per-CPU caches, the record of live mappings is split into independently
 * locked shards and the flush queue into per-CPU parts.
 * From a device callback run inside a unit's queue submission (siommu/core.h,
 * "Concurrency"), setup, PASID enable/disable, get_info, map, unmap, sync,
 * alloc/free_coherent and flush return -EDEADLK with nothing changed;
 * teardown must not be called from there.
 */
#ifndef SIOMMU_DMA_H
#define SIOMMU_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <siommu/core.h>

#ifdef __cplusplus
extern "C" {
#endif

enum siommu_dma_dir {
	SIOMMU_DMA_BIDIRECTIONAL,
	SIOMMU_DMA_TO_DEVICE,	/* the device reads */
	SIOMMU_DMA_FROM_DEVICE,	/* the device writes */
};

enum siommu_dma_policy {
	SIOMMU_DMA_POLICY_DEFAULT,	/* the context's default */
	SIOMMU_DMA_STRICT,
	SIOMMU_DMA_LAZY,
};

/*
 * Flush-queue bounds of the lazy policy (see the concepts). A CPU's part
 * holds no more than its two IOVA magazines take back when it is reclaimed
 * (2 x 127), so reclaimed IOVAs stay with that CPU instead of passing
 * through the shared depot to others; two threads mapping through one
 * domain then keep to their own page-table cache lines.
 */
#define SIOMMU_DMA_FQ_SIZE 128
#define SIOMMU_DMA_FQ_TIMEOUT_MS 10

/* The PASID-space owner of PASIDs the DMA API allocates (for quotas). */
#define SIOMMU_DMA_PASID_OWNER 0x444d41ull	/* "DMA" */

struct siommu_dma_cfg {
	enum siommu_dma_policy policy;
	bool passthrough;	/* IDENTITY domain: DMA address = PA */
	enum siommu_domain_stage stage;	/* page-table choice (AUTO) */
	uint64_t dma_limit;	/* highest DMA address the device can issue,
				 * inclusive (a DMA mask); 0: no limit */
};

/*
 * siommu_dma_setup - give @dev its DMA domain (see the concepts); @cfg NULL
 * means the defaults. A PASID-only device also gets its PASID.
 * Returns 0; -EINVAL (bad cfg); -EBUSY (DMA already set up, or the group's
 * RID is attached to a domain that is not a DMA domain); -EOPNOTSUPP (the
 * unit lacks the stage or type asked for; a PASID-only device whose PASIDs
 * cannot be used); -ENOSPC (no PASID left for a PASID-only device);
 * -ENOMEM. Nothing changes on failure.
 */
int siommu_dma_setup(struct siommu_device *dev, const struct siommu_dma_cfg *cfg);

/*
 * siommu_dma_teardown - undo siommu_dma_setup(): disable its PASID, and for
 * the last device of the domain, flush the queue, detach the group's RID
 * (back to blocked), free coherent buffers still allocated and the domain.
 * Never fails; a device without DMA setup is a no-op. No other DMA API call
 * on @dev may be running.
 */
void siommu_dma_teardown(struct siommu_device *dev);

/* Default policy of new DMA domains of @ctx (STRICT or LAZY; DEFAULT
 * restores strict). Returns 0 or -EINVAL. Thread-safe. */
int siommu_dma_set_default_policy(struct siommu_ctx *ctx, enum siommu_dma_policy policy);

/*
 * siommu_dma_map_single - map [pa, pa + len) for @dev and @dir; *iova gets
 * the DMA address of pa.
 * Returns 0; -EINVAL (len 0, bad dir, NULL iova, the range wraps);
 * -EFAULT (the range is not inside one RAM region); -ENOSPC (no IOVA space
 * below the device's limit); -ERANGE (identity domain: pa beyond the
 * device's limit); -ENOMEM; -ENODEV.
 */
int siommu_dma_map_single(struct siommu_device *dev, uint64_t pa, uint64_t len,
			  enum siommu_dma_dir dir, uint64_t *iova);

/*
 * siommu_dma_map_single_host - the same for a host pointer into the
 * context's memory (siommu_mem_host() of some PA): [ptr, ptr + len) must
 * lie in one RAM region's mapping, else -EFAULT.
 */
int siommu_dma_map_single_host(struct siommu_device *dev, const void *ptr,
			       uint64_t len, enum siommu_dma_dir dir, uint64_t *iova);

/*
 * siommu_dma_unmap_single - unmap what map_single returned at @iova, with
 * the same len and dir. Returns 0; -ENOENT (nothing mapped at @iova: never
 * mapped, already unmapped, or not the start of a mapping); -EINVAL (a
 * mapping starts there with another length, direction or kind); -ENODEV.
 * Never allocates; with valid input never fails.
 */
int siommu_dma_unmap_single(struct siommu_device *dev, uint64_t iova, uint64_t len,
			    enum siommu_dma_dir dir);

/* One scatter-gather segment: pa and len in, dma_addr out. */
struct siommu_dma_sg {
	uint64_t pa;
	uint64_t len;
	uint64_t dma_addr;
};

/*
 * siommu_dma_map_sg - map @nents segments (see the concepts) with one IOVA
 * allocation; each sg[i].dma_addr is set. Returns 0 or the errors of
 * map_single (-EINVAL also for nents 0 or a zero-length segment).
 */
int siommu_dma_map_sg(struct siommu_device *dev, struct siommu_dma_sg *sg,
		      unsigned int nents, enum siommu_dma_dir dir);

/*
 * siommu_dma_unmap_sg - unmap a list mapped by siommu_dma_map_sg(), passed
 * as mapped (same segments, nents and dir). Errors as unmap_single.
 */
int siommu_dma_unmap_sg(struct siommu_device *dev, const struct siommu_dma_sg *sg,
			unsigned int nents, enum siommu_dma_dir dir);

/*
 * siommu_dma_alloc_coherent - allocate @size bytes of zeroed memory from the
 * context's frame pool (physically contiguous, the size rounded up to a
 * power of two, at most 1G) and map them read-write. *host (optional) gets
 * the CPU's pointer, *pa (optional) the physical address, *iova the DMA
 * address. Returns 0; -EINVAL (size 0 or above 1G, NULL iova); -ENOMEM
 * (also: pool exhausted); -ENOSPC; -ERANGE (identity domain: the frame
 * the pool gave lies beyond the device's limit); -ENODEV. Nothing
 * changes on failure.
 */
int siommu_dma_alloc_coherent(struct siommu_device *dev, uint64_t size, void **host,
			      uint64_t *pa, uint64_t *iova);

/*
 * siommu_dma_free_coherent - unmap (strictly) and free a coherent buffer;
 * @size and @iova as allocated. Returns 0, -ENOENT, -EINVAL (another size,
 * or not a coherent buffer), -ENODEV. With valid input never fails.
 */
int siommu_dma_free_coherent(struct siommu_device *dev, uint64_t size, uint64_t iova);

/*
 * siommu_dma_sync_single_for_cpu / _for_device - [iova, iova + len) must lie
 * in the mapping that starts at @iova (map_single, alloc_coherent) and @dir
 * must be its direction (coherent buffers: BIDIRECTIONAL). A full memory
 * barrier (see the concepts). Returns 0, -ENOENT, -EINVAL, -ENODEV.
 */
int siommu_dma_sync_single_for_cpu(struct siommu_device *dev, uint64_t iova,
				   uint64_t len, enum siommu_dma_dir dir);
int siommu_dma_sync_single_for_device(struct siommu_device *dev, uint64_t iova,
				      uint64_t len, enum siommu_dma_dir dir);
/* The same for a mapped scatter-gather list. */
int siommu_dma_sync_sg_for_cpu(struct siommu_device *dev, const struct siommu_dma_sg *sg,
			       unsigned int nents, enum siommu_dma_dir dir);
int siommu_dma_sync_sg_for_device(struct siommu_device *dev,
				  const struct siommu_dma_sg *sg, unsigned int nents,
				  enum siommu_dma_dir dir);

/*
 * siommu_dma_enable_pasid - allocate a PASID for @dev and attach its DMA
 * domain there; *pasid gets it. Returns 0; -EBUSY (one is already enabled:
 * siommu_dma_get_info() tells which; or a caller attached the new PASID
 * first, a PASID it was not given); -EOPNOTSUPP (no usable PASIDs: see
 * siommu_device_attach_pasid()); -ENOSPC, -EDQUOT (PASID space); -ENOMEM;
 * -ENODEV. Nothing changes on failure.
 * The attachment is the DMA API's: siommu_device_attach_pasid() and
 * siommu_device_detach_pasid() refuse it with -EBUSY (siommu/core.h), so
 * only siommu_dma_disable_pasid() (or the device's DMA teardown) takes
 * it down, and the device's PASID-tagged DMA keeps its domain.
 */
int siommu_dma_enable_pasid(struct siommu_device *dev, uint32_t *pasid);

/*
 * siommu_dma_disable_pasid - detach and free the PASID enable_pasid gave
 * (a PASID-only device's too: it can no longer DMA). Returns 0, -ENOENT
 * (none enabled), -ENODEV.
 */
int siommu_dma_disable_pasid(struct siommu_device *dev);

/* siommu_dma_flush - flush a lazy domain's queue now (strict: a no-op).
 * Returns 0 or -ENODEV. */
int siommu_dma_flush(struct siommu_device *dev);

struct siommu_dma_info {
	struct siommu_domain *domain;	/* the DMA domain (owned by the API) */
	enum siommu_domain_type type;	/* PAGING or IDENTITY */
	enum siommu_dma_policy policy;	/* STRICT or LAZY */
	uint32_t pasid;			/* enabled PASID, 0: none */
	unsigned int users;		/* devices sharing the domain */
};
int siommu_dma_get_info(struct siommu_device *dev, struct siommu_dma_info *info);

/* Per-domain counters (exact when nothing runs concurrently). */
struct siommu_dma_stats {
	uint64_t maps;		/* map_single, map_sg, alloc_coherent */
	uint64_t unmaps;	/* unmap_single, unmap_sg, free_coherent */
	uint64_t live;		/* mappings now */
	uint64_t waits;		/* invalidation waits: strict unmaps and flushes */
	uint64_t flushes;	/* batched (domain-wide) flushes of the queue */
	uint64_t batched;	/* entries that went through the queue */
	uint64_t queued;	/* entries in the queue now (IOVAs not yet freed) */
};
int siommu_dma_get_stats(struct siommu_device *dev, struct siommu_dma_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_DMA_H */
