/* SPDX-License-Identifier: MIT */
/*
 * siommu/iommufd.h - the iommufd object model as a C API: I/O address
 * spaces, hardware page tables and devices bound and attached by RID or
 * RID+PASID, with Linux's /dev/iommu semantics, errno by errno.
 *
 * Concepts
 * --------
 * A struct siommu_iommufd is one iommufd context (one opened /dev/iommu):
 * a store of objects over a core context (siommu/core.h). Every object has
 * a u32 ID from one ID space shared by all types; IDs start at 1 (0 is
 * never valid) and the lowest free one is handed out. Objects are created
 * in two phases: reserved (the ID is taken but lookups answer -ENOENT),
 * then published as the last step, after which nothing fails; a creation
 * that fails leaves nothing behind.
 *
 * Objects refer to each other with user references: a HWPT uses its IOAS,
 * an attached device uses its HWPT. Destroying an object that another one
 * still uses is -EBUSY. A call that only uses an object for its duration
 * holds a short-term reference, which siommu_iommufd_obj_destroy() waits
 * out. Closing the context (siommu_iommufd_destroy()) tears everything
 * down depth-first: objects nobody uses go first.
 *
 * Types:
 *   IOAS    an I/O address space: areas (IOVA ranges) over page storage,
 *           copied into every paging domain attached to it.
 *   HWPT    a hardware page table: PAGING holds a core paging domain that
 *           mirrors its IOAS. Made explicitly (siommu_hwpt_alloc()) or
 *           automatically when a device is attached to an IOAS.
 *   DEVICE  a core device bound to the context (siommu_iommufd_bind()),
 *           which claims it as its owner; its RID and PASIDs are attached
 *           to HWPTs.
 *   HWPT    NESTED holds a core nested domain: the user's stage-1 table
 *           (a guest's, described by driver data: VT-d's first-stage
 *           root, SMMUv3's STE) over the second stage of a NEST_PARENT
 *           paging HWPT, or of a vIOMMU's (siommu_hwpt_alloc_nested()).
 *   VIOMMU  one user's slice of a physical unit over a nest parent
 *           (siommu_viommu_alloc()), for vIOMMU-wide invalidation and the
 *           nested HWPTs made from it.
 *   VDEVICE a DEVICE as a vIOMMU knows it, by a virtual ID
 *           (siommu_vdevice_alloc()).
 *   FAULT   a fault queue: the page requests (PCIe PRI) of devices
 *           attached to HWPTs allocated with it, which the user reads as
 *           fault records and answers by cookie.
 *   HW_QUEUE a guest-owned queue of a vIOMMU that the unit reads itself,
 *           in memory mapped at a nest parent's IOVA, which it locks
 *           (siommu_hw_queue_alloc()).
 *   VEVENTQ a vIOMMU's event queue of one type: events of the nested
 *           translation of its devices, named by virtual ID
 *           (siommu_veventq_alloc()).
 *   ACCESS  a user of an IOAS's memory with no domain, as a VMM's
 *           emulated device: copies and pins by IOVA, let go of when the
 *           IOAS unmaps (siommu_iommufd_access_create()).
 *
 * Memory. An area maps the caller's own memory (a user virtual address, or
 * a memfd range): MAP and MAP_FILE make its page storage, which records
 * the range; IOAS_COPY makes new areas over the same storage, so a page
 * mapped into two IOASes is pinned and counted once. Storage is pinned
 * lazily, as Linux's: when a user first needs its pages -- a domain
 * mirroring an area (a device or HWPT attached to, or a HWPT allocated
 * on, an IOAS with areas; a MAP or COPY into an IOAS with domains), an
 * access pin or copy, a hardware queue -- and stays pinned while one
 * does; the last one going (the IOAS's last domain gone, the pin
 * released) unpins it. Pinning registers the pages with the core
 * context's physical memory as RAM at a physical window the context picks
 * (contexts over one core context pick distinct ones), so a device's DMA
 * through an attached domain reaches the very bytes the caller passed,
 * and charges them (below). A pin fails the operation that needed it,
 * which then changes nothing: -EFAULT for a range the process has not
 * mapped (checked with one system call, skipped when the range lies in
 * memory registered for storage pinned now), -ENOMEM past the limit. So
 * a MAP with no domain of memory the process lacks succeeds, and the
 * first attach fails. Unpinned windows are kept for reuse (a few), so
 * that pinning the same memory again registers nothing. A process cannot
 * pin its pages against itself: the caller keeps the memory of an area
 * mapped until the area is gone (unmapping it first makes device DMA
 * there a crash, as it would touch the host address). A file's pages are
 * the context's own mapping of the file.
 *
 * Accounting, as Linux's. Every pinned page is charged twice: to the
 * locked pages of the bucket (struct siommu_iommufd_acct) of the
 * RLIMIT mode in force at its MAP (SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE), against that
 * bucket's limit (-ENOMEM past it) -- the user's bucket in mode 0 (the
 * default; Linux's user->locked_vm), the process's in mode 1 (Linux's
 * mm->locked_vm, the mode of /dev/vfio/vfio) -- and, in either mode, to
 * the pinned pages of the process's bucket (Linux's mm->pinned_vm), which
 * no limit bounds. Buckets may be shared by several contexts, as Linux
 * charges a user's locked memory across processes and a process's across
 * its fds.
 *
 * Intervals: calls take (iova, length); an IOVA can reach UINT64_MAX.
 * Flags, option numbers and struct fields use the values of Linux's
 * iommufd ABI, so that an ioctl layer passes them through.
 *
 * Errors: 0 or a negative errno; nothing changes on failure (where Linux
 * documents a partial result, the call says so). Teardown never fails.
 *
 * Concurrency
 * -----------
 * Every call may run concurrently with every other call on the same
 * context, except siommu_iommufd_destroy(). Calls on one IOAS serialise
 * on it; device DMA through attached domains runs concurrently with all
 * of them (an unmap returns after the IOTLBs are invalidated). Contexts
 * share nothing but the accounting buckets they are given.
 */
#ifndef SIOMMU_IOMMUFD_H
#define SIOMMU_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#include <siommu/core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_iommufd;
struct siommu_iommufd_acct;

/* The PASID argument of attach calls that act on the RID. */
#define SIOMMU_IOMMUFD_NO_PASID UINT32_MAX

/* A bucket limit that is the process's RLIMIT_MEMLOCK at each charge. */
#define SIOMMU_IOMMUFD_ACCT_MEMLOCK (UINT64_MAX - 1)

/*
 * siommu_iommufd_acct_create - an accounting bucket that lets
 * @limit_pages pages be locked at once (UINT64_MAX: no limit;
 * SIOMMU_IOMMUFD_ACCT_MEMLOCK: the process's RLIMIT_MEMLOCK, read at
 * each charge, as Linux reads it). Returns 0, -EINVAL, -ENOMEM.
 * siommu_iommufd_acct_destroy - give it up (NULL: nothing) once no
 * context names it (cfg->user, cfg->process); page storage charging it
 * (siommu_iommufd_user's buckets) keeps it until the storage goes. Never
 * fails.
 * siommu_iommufd_acct_locked - pages charged against the limit now: by
 * contexts whose RLIMIT mode selects this bucket (Linux's locked_vm).
 * siommu_iommufd_acct_pinned_vm - pages pinned now by contexts that have
 * this bucket as their process's (cfg->process), in either mode (Linux's
 * mm->pinned_vm, /proc's VmPin); 0 for a bucket used only as a user's.
 * A page is counted once however many IOASes share it (IOAS_COPY), and
 * once for each MAP of it, as Linux counts.
 * siommu_iommufd_acct_limit - the limit now, in pages (UINT64_MAX: none).
 * siommu_iommufd_acct_set_limit - change the limit (the values of
 * create); pages already charged stay. Never fails.
 * All lock-free and thread-safe.
 */
int siommu_iommufd_acct_create(uint64_t limit_pages, struct siommu_iommufd_acct **out);
void siommu_iommufd_acct_destroy(struct siommu_iommufd_acct *acct);
uint64_t siommu_iommufd_acct_locked(const struct siommu_iommufd_acct *acct);
uint64_t siommu_iommufd_acct_pinned_vm(const struct siommu_iommufd_acct *acct);
uint64_t siommu_iommufd_acct_limit(const struct siommu_iommufd_acct *acct);
void siommu_iommufd_acct_set_limit(struct siommu_iommufd_acct *acct, uint64_t limit_pages);

struct siommu_iommufd_cfg {
	struct siommu_ctx *ctx;		/* the core context; outlives ours */
	/* Buckets for RLIMIT mode 0 (user) and 1 (process); NULL: one of
	 * the context's own, limited by the process's RLIMIT_MEMLOCK. */
	struct siommu_iommufd_acct *user;
	struct siommu_iommufd_acct *process;
	unsigned int rlimit_mode;	/* 0 or 1 (Linux: 1 for /dev/vfio/vfio) */
	bool cap_sys_resource;		/* may set RLIMIT_MODE */
	bool cap_ipc_lock;		/* pins without a limit (still counted) */
	/* Test mode: a mock unit of ctx (siommu/mock.h) behind which
	 * IOMMU_TEST_CMD's mock devices are added (siommu/iommufd_test.h);
	 * NULL: IOMMU_TEST_CMD is -ENOTTY, as on a kernel without
	 * CONFIG_IOMMUFD_TEST. */
	struct siommu_unit *test_unit;
};

/*
 * siommu_iommufd_create - an empty context over cfg->ctx.
 * Returns 0, -EINVAL (no ctx, rlimit_mode > 1, a test_unit that is not a
 * mock unit of ctx), -ENOMEM. Fallible steps
 * count on the core context's memory (siommu_mem_fail_nth()).
 */
int siommu_iommufd_create(const struct siommu_iommufd_cfg *cfg,
			  struct siommu_iommufd **out);

/*
 * siommu_iommufd_destroy - destroy every object depth-first (devices are
 * detached and unbound, which gives them back to the core unowned), then
 * the context. Never fails. Nothing else may run on the context.
 */
void siommu_iommufd_destroy(struct siommu_iommufd *ictx);

/* Object types, for siommu_iommufd_obj_type(). */
enum siommu_iommufd_obj_type {
	SIOMMU_IOMMUFD_OBJ_NONE,
	SIOMMU_IOMMUFD_OBJ_IOAS,
	SIOMMU_IOMMUFD_OBJ_HWPT_PAGING,
	SIOMMU_IOMMUFD_OBJ_DEVICE,
	SIOMMU_IOMMUFD_OBJ_FAULT,
	SIOMMU_IOMMUFD_OBJ_HWPT_NESTED,
	SIOMMU_IOMMUFD_OBJ_VIOMMU,
	SIOMMU_IOMMUFD_OBJ_VDEVICE,
	/* Test mode only (siommu/iommufd_test.h): a mock device's handle,
	 * whose destruction removes the device. */
	SIOMMU_IOMMUFD_OBJ_SELFTEST,
	/* An access (siommu_iommufd_access_create()). */
	SIOMMU_IOMMUFD_OBJ_ACCESS,
	SIOMMU_IOMMUFD_OBJ_HW_QUEUE,
	SIOMMU_IOMMUFD_OBJ_VEVENTQ,
};

/*
 * siommu_iommufd_obj_destroy - IOMMU_DESTROY: destroy object @id.
 * An IOAS's mappings go with it. Returns 0, -ENOENT (no such published
 * object, or ID 0), -EBUSY (another object uses it: an IOAS with HWPTs,
 * a HWPT with attachments, a vIOMMU with vDEVICEs, vEVENTQs or HW queues,
 * a HW queue the next one needs, a bound device: unbind it instead; an
 * access, or an IOAS one uses: siommu_iommufd_access_destroy()).
 * Waits for calls that use the object at the time.
 */
int siommu_iommufd_obj_destroy(struct siommu_iommufd *ictx, uint32_t id);

/* The type of published object @id (NONE if there is none). */
enum siommu_iommufd_obj_type siommu_iommufd_obj_type(struct siommu_iommufd *ictx,
						     uint32_t id);

/* Objects and pages of a context, for tests and tools. */
struct siommu_iommufd_stats {
	uint32_t objects;		/* published */
	uint32_t ioas, hwpts, devices, faults;	/* hwpts: paging and nested */
	uint32_t viommus, vdevices;
	uint32_t hw_queues, veventqs;
	uint32_t accesses;
	uint64_t areas;			/* over every IOAS */
	uint64_t page_stores;		/* registrations of pinned storage */
	uint64_t pinned_pages;		/* pages of pinned storage, once each */
	uint64_t access_pins;		/* ranges accesses pin, each pin once */
};
void siommu_iommufd_get_stats(struct siommu_iommufd *ictx, struct siommu_iommufd_stats *st);

/* ---- IOAS ---- */

/* MAP, MAP_FILE and COPY flags (Linux: enum iommufd_ioas_map_flags). */
#define SIOMMU_IOAS_MAP_FIXED_IOVA	(1u << 0)
#define SIOMMU_IOAS_MAP_WRITEABLE	(1u << 1)
#define SIOMMU_IOAS_MAP_READABLE	(1u << 2)

struct siommu_iova_range {
	uint64_t start, last;		/* inclusive */
};

/* IOMMU_IOAS_ALLOC: 0 with *out_id, -ENOMEM. */
int siommu_ioas_alloc(struct siommu_iommufd *ictx, uint32_t *out_id);

/*
 * siommu_ioas_map - IOMMU_IOAS_MAP: map @length bytes of the caller's
 * memory at @uva. With SIOMMU_IOAS_MAP_FIXED_IOVA at *iova, otherwise at
 * an IOVA the IOAS picks (first fit above the lowest page, inside the
 * allowed ranges if any, outside reserved ones, aligned to the largest
 * page size the attached domains may use up to the rounded-up length, and
 * keeping @uva's offset in its page), written to *iova.
 * The new area is mapped into every attached domain before this returns,
 * which pins its storage; with no domain nothing is pinned, nor is the
 * memory checked (Linux), until a user first needs it.
 * Errors, each changing nothing:
 *   -EOPNOTSUPP  unknown flags
 *   -EINVAL      neither READABLE nor WRITEABLE; length 0; iova, length
 *                or the offset of @uva in its page not aligned to the
 *                IOAS's alignment; a fixed range on a reserved region
 *   -EOVERFLOW   iova + length or uva + length wraps
 *   -EEXIST      a fixed range overlaps an area
 *   -ENOSPC      no room for an IOAS-chosen IOVA
 *   -EFAULT      with a domain: the range is not mapped in the process
 *   -ENOENT      no such IOAS
 *   -ENOMEM      with a domain: the pin limit (accounting); memory
 */
int siommu_ioas_map(struct siommu_iommufd *ictx, uint32_t ioas_id, unsigned int flags,
		    void *uva, uint64_t length, uint64_t *iova);

/*
 * siommu_ioas_map_file - IOMMU_IOAS_MAP_FILE: as siommu_ioas_map() over
 * bytes [start, start + length) of the memfd @fd, shared with every other
 * mapping of the file (the context keeps its own mapping: @fd may be
 * closed afterwards). A file on hugetlbfs (a MFD_HUGETLB memfd) is mapped
 * from and to its huge page boundaries around the range, as that file
 * system requires; memory from it (or from MAP_HUGETLB, through
 * siommu_ioas_map()) pins and charges in 4 KiB pages like any other, and
 * a range at a 2 MiB-aligned IOVA gets 2 MiB leaves where the domain has
 * them. Adds -EBADF (not a file that can be mapped shared),
 * -EINVAL (the range goes beyond the file's end) and -ENODEV (a test
 * dma-buf, siommu/iommufd_test.h, that is revoked).
 */
int siommu_ioas_map_file(struct siommu_iommufd *ictx, uint32_t ioas_id,
			 unsigned int flags, int fd, uint64_t start, uint64_t length,
			 uint64_t *iova);

/*
 * siommu_ioas_change_process - IOMMU_IOAS_CHANGE_PROCESS: move the
 * pinned-page charges of every IOAS of the context to the context's own
 * buckets (siommu_iommufd_cfg's user and process; a caller served
 * through siommu_iommufd_ioctl_user(): its acct_user and acct_process,
 * each NULL for the context's), in the context's RLIMIT mode, as Linux
 * moves them to the calling process for a live update. Only when every
 * area of every IOAS came from MAP_FILE (or a COPY of such an area).
 * All or nothing: the pinned pages are charged to the new buckets first,
 * then uncharged from their old ones (storage charged to the new buckets
 * already stays as it is); every storage, pinned or not, then charges
 * the new buckets at its later pins and uncharges them at its unpins,
 * and no longer depends on the life of the process that mapped it.
 * Areas that other calls map, copy, pin or unpin meanwhile are met
 * before or after the move, never during it. An IOAS with no areas,
 * or none at all, is 0.
 * Errors, each changing nothing:
 *   -EINVAL  an area of some IOAS was made by IOAS_MAP (of any memory)
 *   -ENOMEM  the new locked bucket's limit (none with CAP_IPC_LOCK);
 *            memory
 * Thread-safe.
 */
int siommu_ioas_change_process(struct siommu_iommufd *ictx);

/*
 * siommu_ioas_copy - IOMMU_IOAS_COPY: map [src_iova, src_iova + length)
 * of IOAS @src_id, which must be covered by contiguous areas, into @dst_id
 * (at *dst_iova with FIXED_IOVA, else chosen as for map) over the same
 * page storage: nothing is charged again (storage the source has not
 * pinned is pinned if @dst_id has domains). One new area per
 * source area covered. Errors: those of map for the destination,
 * -ENOENT (no such IOAS, or the source range is not fully covered) and
 * -ENODEV (the range meets an area of a revoked test dma-buf).
 */
int siommu_ioas_copy(struct siommu_iommufd *ictx, uint32_t dst_id, uint32_t src_id,
		     unsigned int flags, uint64_t src_iova, uint64_t length,
		     uint64_t *dst_iova);

/*
 * siommu_ioas_unmap - IOMMU_IOAS_UNMAP: remove every area inside
 * [iova, iova + length); *unmapped (optional) gets the bytes removed.
 * iova 0 with length UINT64_MAX removes everything and always succeeds.
 * Areas are never split: a range that cuts an area is -ENOENT, as is a
 * range with no area at all; in both cases nothing changes (Linux may
 * leave earlier areas of the range removed; this never does).
 * -EOVERFLOW (iova + length wraps), -ENOENT (no such IOAS), -EBUSY (an
 * area of the range, unmap-all included, holds a hardware queue:
 * siommu_hw_queue_alloc()), -EDEADLOCK (an access keeps pins in the range
 * although its unmap callback was asked SIOMMU_IOMMUFD_ACCESS_UNMAP_TRIES
 * times: see "Accesses"); nothing changes on any of them. Areas accesses
 * pin are removed once their callbacks unpin them, which they are asked
 * to do first.
 * Returns after every attached domain's IOTLBs are invalidated.
 */
int siommu_ioas_unmap(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint64_t *unmapped);

/*
 * siommu_ioas_iova_ranges - IOMMU_IOAS_IOVA_RANGES: the usable IOVA
 * ranges (the holes between reserved regions) into @ranges (capacity
 * *num), *num set to how many there are, *alignment (optional) to the
 * minimum IOVA and length alignment of map and copy.
 * Returns 0, -EMSGSIZE (more than the capacity: @ranges holds the first
 * ones), -ENOENT.
 */
int siommu_ioas_iova_ranges(struct siommu_iommufd *ictx, uint32_t ioas_id,
			    struct siommu_iova_range *ranges, uint32_t *num,
			    uint64_t *alignment);

/*
 * siommu_ioas_allow_iovas - IOMMU_IOAS_ALLOW_IOVAS: replace the allowed
 * list (num 0 clears it). It guides IOAS-chosen IOVAs only.
 * Returns 0, -EINVAL (start > last, or ranges overlap), -EADDRINUSE (a
 * range overlaps a reserved region), -ENOENT, -ENOMEM.
 */
int siommu_ioas_allow_iovas(struct siommu_iommufd *ictx, uint32_t ioas_id,
			    const struct siommu_iova_range *ranges, uint32_t num);

/*
 * The IOAS of the VFIO type1 compatibility path (Linux: IOMMU_VFIO_IOAS):
 * the one the container ioctls (VFIO_IOMMU_MAP_DMA and the others, on a
 * context's fd) act on. The context refers to it weakly: destroying that
 * IOAS leaves the context without one.
 * siommu_vfio_ioas_get - its ID into *ioas_id: 0, -ENODEV (none),
 * -EINVAL (NULL argument).
 * siommu_vfio_ioas_set - make IOAS @ioas_id the one: 0, -ENOENT (no such
 * IOAS).
 * siommu_vfio_ioas_clear - no compatibility IOAS any more. Never fails.
 * siommu_vfio_ioas_create - as VFIO_GROUP_SET_CONTAINER given an iommufd:
 * the compatibility IOAS, a new IOAS made and chosen when there is none
 * (an object of the context like any other: IOMMU_DESTROY takes it);
 * its ID into *ioas_id. 0, -EINVAL (NULL argument), -ENOMEM.
 * Thread-safe; of two creates racing, one IOAS stays and both see it.
 */
int siommu_vfio_ioas_get(struct siommu_iommufd *ictx, uint32_t *ioas_id);
int siommu_vfio_ioas_set(struct siommu_iommufd *ictx, uint32_t ioas_id);
void siommu_vfio_ioas_clear(struct siommu_iommufd *ictx);
int siommu_vfio_ioas_create(struct siommu_iommufd *ictx, uint32_t *ioas_id);

/* Options (Linux: IOMMU_OPTION). */
#define SIOMMU_IOMMUFD_OPTION_RLIMIT_MODE	0
#define SIOMMU_IOMMUFD_OPTION_HUGE_PAGES	1
#define SIOMMU_IOMMUFD_OPTION_OP_SET		0
#define SIOMMU_IOMMUFD_OPTION_OP_GET		1

/*
 * siommu_iommufd_option - IOMMU_OPTION: get (*val out) or set (*val in)
 * option @option. RLIMIT_MODE is global (@object_id 0): 0 charges the
 * user bucket, 1 the process bucket; setting it needs cap_sys_resource
 * (-EPERM) and a context with no object (-EBUSY). HUGE_PAGES is per IOAS
 * (@object_id): 1 (default) lets domains use large pages, 0 maps with 4K
 * pages only and raises the IOAS alignment to 4K (-EADDRINUSE if an area
 * is not aligned to it in IOVA, length or its offset in its first page;
 * -EINVAL while the IOAS has both areas and HWPTs, whose domains may map
 * them with large pages).
 * Returns 0, -EOPNOTSUPP (unknown option or op, object_id for a global
 * option), -EINVAL (value), -ENOENT (object_id), -EPERM, -EBUSY,
 * -EADDRINUSE.
 */
int siommu_iommufd_option(struct siommu_iommufd *ictx, uint32_t option, uint16_t op,
			  uint32_t object_id, uint64_t *val);

/* ---- HWPT ---- */

/* siommu_hwpt_alloc() flags (Linux: enum iommufd_hwpt_alloc_flags). */
#define SIOMMU_HWPT_ALLOC_NEST_PARENT		(1u << 0)
#define SIOMMU_HWPT_ALLOC_DIRTY_TRACKING	(1u << 1)
#define SIOMMU_HWPT_FAULT_ID_VALID		(1u << 2)
#define SIOMMU_HWPT_ALLOC_PASID			(1u << 3)

/*
 * siommu_hwpt_alloc - IOMMU_HWPT_ALLOC of a paging HWPT: a paging domain
 * for the unit behind device @dev_id, mirroring IOAS @pt_id (every area is
 * mapped into it now). With SIOMMU_HWPT_FAULT_ID_VALID, the page requests
 * of devices attached to it go to FAULT object @fault_id (ignored
 * otherwise), which the HWPT then uses.
 * Returns 0 with *out_id, or, changing nothing:
 *   -EOPNOTSUPP  unknown flags; DIRTY_TRACKING or PASID the unit lacks
 *                (VT-d: dirty tracking on the first stage only, so not
 *                with NEST_PARENT); NEST_PARENT the unit cannot nest
 *                under; NEST_PARENT with FAULT_ID_VALID
 *   -EINVAL      @pt_id is not an IOAS
 *   -ENOENT      no such device, IOAS or fault object
 *   -EADDRINUSE  an area of the IOAS lies on the domain's reserved
 *                regions or outside its aperture, or breaks its alignment
 *   -EFAULT      the IOAS's first domain: an area over memory the process
 *                lacks (this domain pins the IOAS's storage)
 *   -ENOMEM      memory; the first domain: the pin limit
 */
int siommu_hwpt_alloc(struct siommu_iommufd *ictx, uint32_t dev_id, uint32_t pt_id,
		      unsigned int flags, uint32_t fault_id, uint32_t *out_id);

/* A nested HWPT's description (Linux: struct iommu_hwpt_alloc with a
 * driver data type other than NONE). */
struct siommu_hwpt_nested_cfg {
	uint32_t flags;		/* SIOMMU_HWPT_FAULT_ID_VALID, SIOMMU_HWPT_ALLOC_PASID */
	uint32_t dev_id;	/* the device whose unit walks it */
	uint32_t pt_id;		/* a NEST_PARENT paging HWPT, or a vIOMMU */
	uint32_t data_type;	/* SIOMMU_HWPT_DATA_* (siommu/core.h) */
	uint32_t data_len;
	const void *data;	/* e.g. struct siommu_hwpt_vtd_s1 */
	uint32_t fault_id;	/* read with SIOMMU_HWPT_FAULT_ID_VALID */
};

/*
 * siommu_hwpt_alloc_nested - IOMMU_HWPT_ALLOC of a nested HWPT: a core
 * nested domain (siommu_domain_alloc_nested()) for the unit behind
 * cfg->dev_id over the second stage of paging HWPT cfg->pt_id, which it
 * uses (destroying that HWPT is -EBUSY until it goes), or of vIOMMU
 * cfg->pt_id's parent, in which case it uses the vIOMMU instead. Devices
 * attach to it at the RID or at a PASID (with SIOMMU_HWPT_ALLOC_PASID, as
 * for paging HWPTs); their reserved regions go to the parent's IOAS,
 * whose addresses are the guest-physical ones.
 * VT-d nests over a HWPT (SIOMMU_HWPT_DATA_VTD_S1). SMMUv3 nests only
 * over a vIOMMU, as Linux (SIOMMU_HWPT_DATA_ARM_SMMUV3, struct
 * siommu_hwpt_arm_smmuv3: the guest's STE, whose stage-1 fields the
 * physical STE takes over the parent's stage 2 and the vIOMMU's VMID);
 * it attaches at the RID only, of a device with a vDEVICE on that vIOMMU,
 * and is invalidated through the vIOMMU (siommu_hwpt_invalidate()).
 * Returns 0 with *out_id, or, changing nothing:
 *   -EOPNOTSUPP  flags other than FAULT_ID_VALID and PASID (NEST_PARENT
 *                and DIRTY_TRACKING included; from a vIOMMU, PASID too);
 *                PASID the unit lacks; a data type the unit does not
 *                take, or data with unknown flags or reserved fields set;
 *                driver data on an IOAS; a HWPT parent where the unit
 *                nests under a vIOMMU only (SMMUv3)
 *   -EINVAL      @pt_id is not a NEST_PARENT paging HWPT or a vIOMMU (or
 *                an IOAS with data type NONE: that is
 *                siommu_hwpt_alloc()); a vIOMMU of another unit than the
 *                device's; data type NONE; data shorter or longer
 *                than its structure; a table the unit cannot walk (see
 *                siommu_domain_alloc_nested())
 *   -EIO         an SMMUv3 STE with fields a guest may not set (anything
 *                but V, Config, S1Fmt, S1ContextPtr, S1CDMax, S1DSS,
 *                S1CIR, S1COR, S1CSH, S1STALLD, EATS), a Config other than
 *                abort, bypass or stage 1, EATS other than 0 or 1
 *   -EFAULT      data NULL with data_len non-zero
 *   -ENOENT      no such device, HWPT or fault object
 *   -ENOMEM
 */
int siommu_hwpt_alloc_nested(struct siommu_iommufd *ictx,
			     const struct siommu_hwpt_nested_cfg *cfg, uint32_t *out_id);

/*
 * siommu_hwpt_invalidate - IOMMU_HWPT_INVALIDATE: the user changed the
 * stage-1 table of nested HWPT @hwpt_id; invalidate as the *entry_num
 * entries of @entry_len bytes at @data, of @data_type, say (VT-d:
 * SIOMMU_HWPT_INVALIDATE_DATA_VTD_S1, struct
 * siommu_hwpt_vtd_s1_invalidate). Entries are handled in order and
 * *entry_num is set to how many were (on an error, the index of the entry
 * that failed, earlier ones staying done; 0 when the call is refused as a
 * whole, before any entry). *entry_num 0 only checks that the
 * HWPT takes @data_type. @entry_len shorter or longer than the type's
 * structure is -EINVAL (Linux's rule for driver data).
 * On a vIOMMU (@hwpt_id a VIOMMU object): vIOMMU-wide invalidation, on
 * SMMUv3 SIOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 entries (struct
 * siommu_viommu_arm_smmuv3_invalidate): guest commands whose StreamIDs
 * are vDEVICE virtual IDs, issued with the physical ones, TLB
 * invalidations under the vIOMMU's own VMID; another command, or a
 * virtual ID no vDEVICE has, is -EIO. An SMMUv3 nested HWPT itself takes
 * none (-EOPNOTSUPP): its guest invalidates through the vIOMMU.
 * Returns 0 after the invalidations completed, or:
 *   -EINVAL      entries with @data NULL or @entry_len 0; more than
 *                SIOMMU_HWPT_INVALIDATE_MAX_ENTRIES entries or @entry_len
 *                beyond SIOMMU_HWPT_INVALIDATE_MAX_ENTRY_LEN (refused
 *                before @hwpt_id is looked up and before any entry is
 *                read, as Linux's); @hwpt_id not a nested HWPT or a vIOMMU (a
 *                paging HWPT included); @data_type not the unit's; an
 *                entry with a bad range
 *   -EIO         a guest command the vIOMMU refuses
 *   -EOPNOTSUPP  unknown flags or reserved fields set in an entry; a
 *                nested HWPT invalidated through its vIOMMU (SMMUv3)
 *   -ENOENT      no such object
 */
#define SIOMMU_HWPT_INVALIDATE_MAX_ENTRIES	(1u << 19)
#define SIOMMU_HWPT_INVALIDATE_MAX_ENTRY_LEN	4096u
int siommu_hwpt_invalidate(struct siommu_iommufd *ictx, uint32_t hwpt_id,
			   uint32_t data_type, const void *data, uint32_t entry_len,
			   uint32_t *entry_num);

/*
 * siommu_viommu_alloc - IOMMU_VIOMMU_ALLOC: a vIOMMU of @type
 * (SIOMMU_VIOMMU_TYPE_*, siommu/core.h) on the unit behind DEVICE @dev_id,
 * over NEST_PARENT paging HWPT @hwpt_id, which it uses (-EBUSY to destroy
 * meanwhile); on SMMUv3 (SIOMMU_VIOMMU_TYPE_ARM_SMMUV3, a unit with both
 * stages) it holds a VMID of the unit's, which tags the nested HWPTs made
 * from it. It is -EBUSY to destroy while vDEVICEs or nested HWPTs use it.
 * VT-d offers no vIOMMU type.
 * Returns 0 with *out_id, or, changing nothing: -EOPNOTSUPP (@flags, type
 * DEFAULT, a type the unit does not offer), -ENOENT (no such device or
 * paging HWPT), -EINVAL (not a nest parent, or one the unit cannot nest
 * under), -ENOSPC (no VMID), -ENOMEM.
 */
int siommu_viommu_alloc(struct siommu_iommufd *ictx, uint32_t flags, uint32_t type,
			uint32_t dev_id, uint32_t hwpt_id, uint32_t *out_id);

/*
 * siommu_viommu_alloc_data - siommu_viommu_alloc() with the type's driver
 * data (IOMMU_VIOMMU_ALLOC's data_uptr and data_len), read and written
 * back (at most @data_len bytes). Only the mock type of the test
 * interface takes any (struct iommu_viommu_selftest, siommu/iommufd_test.h:
 * a loopback, and a page it reports for mmap of the iommufd fd,
 * siommu_iommufd_mmap_get(), freed with the vIOMMU); other types leave
 * it alone, as Linux's SMMUv3 does. Adds, for the mock type: -EINVAL
 * (shorter than through out_data), -E2BIG (non-zero bytes past the
 * struct), -EFAULT (@data NULL with a length).
 */
int siommu_viommu_alloc_data(struct siommu_iommufd *ictx, uint32_t flags, uint32_t type,
			     uint32_t dev_id, uint32_t hwpt_id, void *data, uint32_t data_len,
			     uint32_t *out_id);

/*
 * siommu_iommufd_mmap_get - a mapping of the region an object reported at
 * @offset (a vIOMMU's driver data), as mmap(2) of the iommufd fd with
 * @length, @prot and @flags (mmap(2)'s values) checks it on Linux: on
 * success *fd is a file to map with mmap(2) at file offset @offset, with
 * @prot and MAP_SHARED (it stays the context's: never close it), and the
 * region's owner is in use (destroying it is -EBUSY) until
 * siommu_iommufd_mmap_put(@offset), once per successful get. Closing the
 * context drops what is left; mappings made stay valid memory.
 * Errors, in Linux's order: -EINVAL (@length 0 or not a page multiple;
 * not MAP_SHARED or MAP_SHARED_VALIDATE), -EPERM (PROT_EXEC), -ENXIO (no
 * region starts at @offset with exactly @length bytes; its owner is being
 * destroyed). Thread-safe.
 */
int siommu_iommufd_mmap_get(struct siommu_iommufd *ictx, uint64_t offset, uint64_t length,
			    int prot, int flags, int *fd);
void siommu_iommufd_mmap_put(struct siommu_iommufd *ictx, uint64_t offset);

/*
 * siommu_vdevice_alloc - IOMMU_VDEVICE_ALLOC: DEVICE @dev_id (behind the
 * vIOMMU's unit) known to vIOMMU @viommu_id as @virt_id (a virtual
 * StreamID on SMMUv3); the vDEVICE uses the vIOMMU (-EBUSY to destroy it
 * meanwhile). Unbinding the device destroys the vDEVICE, whose ID then
 * stays taken and unknown (-ENOENT) until the context goes, as Linux's
 * tombstone.
 * Returns 0 with *out_id, or, changing nothing: -ENOENT (no such vIOMMU
 * or device), -EINVAL (a device behind another unit), -EEXIST (@virt_id
 * taken on the vIOMMU, or the device has a vDEVICE already), -ENOMEM.
 */
int siommu_vdevice_alloc(struct siommu_iommufd *ictx, uint32_t viommu_id, uint32_t dev_id,
			 uint64_t virt_id, uint32_t *out_id);

/* Hardware queue types (Linux: enum iommu_hw_queue_type). */
#define SIOMMU_HW_QUEUE_TYPE_DEFAULT		0
#define SIOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV	1

/*
 * siommu_hw_queue_alloc - IOMMU_HW_QUEUE_ALLOC: give the unit behind
 * vIOMMU @viommu_id the guest's queue @index of @type, in the memory
 * mapped at [@iova, @iova + @length) of the IOAS of the vIOMMU's nest
 * parent. The range is locked while the queue lives: unmapping any area
 * of it is -EBUSY. The queue uses the vIOMMU (-EBUSY to destroy it
 * meanwhile); where the driver's queues come in index order, queue i
 * needs queue i - 1 and uses it, so queues are destroyed in reverse.
 * Returns 0 with *out_id, or, changing nothing, in this order:
 *   -EOPNOTSUPP  @flags; type DEFAULT
 *   -EINVAL      @length 0
 *   -EOVERFLOW   @iova + @length wraps
 *   -ENOENT      no such vIOMMU
 *   -EOPNOTSUPP  a type the vIOMMU's driver does not offer (no driver
 *                here offers one yet)
 *   -ENOENT      the range is not covered by contiguous areas
 *   -EFAULT      the range's memory is not physically contiguous
 *   -EINVAL      @index beyond the driver's
 *   -EEXIST      @index in use
 *   -EIO         an ordering rule: queue @index - 1 missing
 *   -ENOMEM, and the driver's errors
 */
int siommu_hw_queue_alloc(struct siommu_iommufd *ictx, uint32_t viommu_id, uint32_t flags,
			  uint32_t type, uint32_t index, uint64_t iova, uint64_t length,
			  uint32_t *out_id);

/*
 * siommu_hwpt_set_dirty_tracking - IOMMU_HWPT_SET_DIRTY_TRACKING: start
 * (@enable) or stop tracking the pages devices write through paging HWPT
 * @hwpt_id, allocated with SIOMMU_HWPT_ALLOC_DIRTY_TRACKING. Starting
 * clears what the table has marked so far, so only later writes count.
 * (VT-d's first stage marks written pages whether or not tracking is on;
 * stopping only means nobody reads the marks.)
 * Returns 0, -ENOENT, -EOPNOTSUPP (a HWPT without dirty tracking).
 */
int siommu_hwpt_set_dirty_tracking(struct siommu_iommufd *ictx, uint32_t hwpt_id,
				   bool enable);

#define SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR	(1u << 0)

/*
 * siommu_hwpt_get_dirty_bitmap - IOMMU_HWPT_GET_DIRTY_BITMAP: for each
 * @page_size block of [iova, iova + length) that a device wrote through
 * @hwpt_id since its marks were last cleared, set bit n (bit n % 64 of
 * @bitmap[n / 64]) for the block at iova + n * page_size, and clear the
 * marks unless SIOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR (the IOTLBs are
 * flushed so that the next write marks again). Bits of clean blocks are
 * left as they are: the caller zeroes the bitmap.
 * Returns 0, -ENOENT, -EOPNOTSUPP (unknown flags, a HWPT without dirty
 * tracking), -EINVAL (page_size not a power of two, length 0, iova or
 * length not aligned to page_size and to the IOAS, a range not covered by
 * contiguous areas), -EOVERFLOW.
 */
int siommu_hwpt_get_dirty_bitmap(struct siommu_iommufd *ictx, uint32_t hwpt_id,
				 uint64_t iova, uint64_t length, uint64_t page_size,
				 unsigned int flags, uint64_t *bitmap);

/* ---- fault queues ---- */

/* A fault record (Linux: struct iommu_hwpt_pgfault). */
#define SIOMMU_PGFAULT_FLAGS_PASID_VALID	(1u << 0)
#define SIOMMU_PGFAULT_FLAGS_LAST_PAGE		(1u << 1)
#define SIOMMU_PGFAULT_PERM_READ		(1u << 0)
#define SIOMMU_PGFAULT_PERM_WRITE		(1u << 1)

struct siommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;	/* the DEVICE object */
	uint32_t pasid;
	uint32_t grpid;		/* page request group index */
	uint32_t perm;
	uint32_t __reserved;
	uint64_t addr;
	uint32_t length;	/* 0 */
	uint32_t cookie;	/* one per group, given when it is read */
};

/* Response codes (Linux: enum iommufd_page_response_code). */
#define SIOMMU_PAGE_RESP_SUCCESS	0
#define SIOMMU_PAGE_RESP_INVALID	1

/*
 * siommu_fault_alloc - IOMMU_FAULT_QUEUE_ALLOC: an empty fault queue.
 * Returns 0 with *out_id, -ENOMEM. It is destroyed with
 * siommu_iommufd_obj_destroy() (-EBUSY while a HWPT uses it), which
 * answers every group still pending "invalid".
 *
 * A device's page requests (at its RID or a PASID) go through the core's
 * I/O page-fault path (siommu/core.h), which gathers them into groups
 * (one page request group index of one device and PASID) until the last
 * of the group arrives, and queues the group on the fault object of the
 * HWPT attached there, in the thread that reported it; a group with no
 * such HWPT is answered "invalid" at once. Detaching or replacing that
 * attachment, or unbinding the device, answers its pending groups
 * "invalid", read or not, at once; their cookies are stale from then on.
 * Each group waiting for its answer keeps one entry of the core's queue
 * (SIOMMU_IOPF_QUEUE per core context): past it, a request is dropped and
 * its group answered "success", so that the device asks again (counted in
 * siommu_unit_stats.iopf_overflows).
 */
int siommu_fault_alloc(struct siommu_iommufd *ictx, uint32_t *out_id);

/*
 * siommu_fault_read - read(): complete groups, oldest first, as records
 * into @recs (room for @max), whole groups only (stops before a group
 * that does not fit); *nread gets the records written (0: none queued, or
 * the next group does not fit). Each group read gets a cookie (from 1, in
 * every record of it; LAST_PAGE on its last) and waits for its answer.
 * Never blocks. Returns 0, -ENOENT.
 */
int siommu_fault_read(struct siommu_iommufd *ictx, uint32_t fault_id,
		      struct siommu_hwpt_pgfault *recs, uint32_t max, uint32_t *nread);

/*
 * siommu_fault_respond - write() of one response: answer the group read
 * with @cookie with @code (SIOMMU_PAGE_RESP_*), which completes it towards
 * the device. Returns 0, -EINVAL (another code; a cookie not read, or
 * answered already, by a response or by a detach), -ENOENT.
 */
int siommu_fault_respond(struct siommu_iommufd *ictx, uint32_t fault_id, uint32_t cookie,
			 uint32_t code);

/* ---- vEVENTQs ---- */

/* The record header's flag (Linux: IOMMU_VEVENTQ_FLAG_LOST_EVENTS). */
#define SIOMMU_VEVENTQ_FLAG_LOST_EVENTS	(1u << 0)

/*
 * siommu_veventq_alloc - IOMMU_VEVENTQ_ALLOC: an event queue of @type
 * (SIOMMU_VEVENTQ_TYPE_*, siommu/core.h) on vIOMMU @viommu_id, holding up
 * to @depth events; it uses the vIOMMU (-EBUSY to destroy it meanwhile).
 * The vIOMMU's driver feeds it with the events of the nested translation
 * of the devices it knows (vDEVICEs) whose RID is attached to a nested
 * domain: on SMMUv3 (SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3) each event record of
 * a guest's stage 1 (not a stall, S2 clear: SMMUv3 7.3), its StreamID
 * replaced by the vDEVICE's virtual ID (struct siommu_vevent_arm_smmuv3),
 * which then does not reach the device's fault handler; without a queue
 * of the type it does, as before.
 * Returns 0 with *out_id, or, changing nothing: -EOPNOTSUPP (@flags, type
 * DEFAULT, a type the vIOMMU does not report), -EINVAL (@depth 0),
 * -ENOENT (no such vIOMMU), -EEXIST (the vIOMMU has a queue of @type),
 * -ENOMEM.
 */
int siommu_veventq_alloc(struct siommu_iommufd *ictx, uint32_t viommu_id, uint32_t flags,
			 uint32_t type, uint32_t depth, uint32_t *out_id);

/*
 * siommu_veventq_read - read(): the queued events, oldest first, as
 * records of an 8-byte header {flags, sequence} (u32 each) and the event
 * (32 bytes on SMMUv3), into @buf (@count bytes), whole records only,
 * stopping before one that does not fit; *nread the bytes written (0:
 * nothing queued, or the next record does not fit). Every event reported
 * takes the next sequence number (0 to INT32_MAX, then 0). Past @depth
 * events an event is dropped: after the events queued then stands a
 * header with SIOMMU_VEVENTQ_FLAG_LOST_EVENTS and no data, carrying the
 * sequence number of the last one dropped (a later event takes its place
 * at the tail; the gap in the numbers still shows the loss).
 * Never blocks. Returns 0, -ENOENT, -EINVAL (@buf NULL with @count).
 */
int siommu_veventq_read(struct siommu_iommufd *ictx, uint32_t veventq_id, void *buf,
			uint64_t count, uint64_t *nread);

/* ---- devices ---- */

/*
 * siommu_iommufd_bind - bind core device @dev (of cfg->ctx) to the
 * context: claim it (siommu_device_claim()) and make a DEVICE object.
 * Its RID stays blocked until attached. If the core removes the device,
 * the context's release detaches it and unbinds it.
 * Returns 0 with *out_dev_id, -EBUSY (another owner has it), -EINVAL
 * (device of another context), -ENOMEM.
 */
int siommu_iommufd_bind(struct siommu_iommufd *ictx, struct siommu_device *dev,
			uint32_t *out_dev_id);

/*
 * siommu_iommufd_unbind - detach everything of DEVICE @dev_id, destroy it
 * and give the core device up (its RID goes back to BLOCKED). Waits for
 * calls using it. Returns 0, -ENOENT.
 */
int siommu_iommufd_unbind(struct siommu_iommufd *ictx, uint32_t dev_id);

/*
 * siommu_iommufd_attach - attach the RID (@pasid SIOMMU_IOMMUFD_NO_PASID)
 * or @pasid of DEVICE @dev_id to *pt_id: a HWPT, or an IOAS (RID only),
 * for which a compatible automatic HWPT of the IOAS is reused or one is
 * made; *pt_id is set to the HWPT's ID. A RID attach switches the
 * device's whole group; an attached RID is replaced (as replace).
 * Errors, each changing nothing:
 *   -ENOENT      no such device or HWPT/IOAS
 *   -EINVAL      *pt_id an object that is neither a HWPT nor an IOAS
 *                (as Linux); an IOAS at a PASID; a PASID attach to a HWPT not
 *                allocated with PASID, or on a device without PASIDs, or
 *                whose RID domain is not PASID-capable; a RID attach of a
 *                non-PASID HWPT while PASIDs are attached; a HWPT the
 *                device's unit cannot walk
 *   -ENOENT      (also) a nested HWPT of a vIOMMU on which the device,
 *                or a group sibling that moves with it, has no vDEVICE
 *   -EBUSY       the PASID is attached already (use replace), or the
 *                PASID number is allocated by another user of the core,
 *                or attached on the device by another layer (core.h)
 * A PASID attachment made here is iommufd's: the core's
 * siommu_device_attach_pasid() and siommu_device_detach_pasid() refuse to
 * replace or detach it (-EBUSY), so only replace and detach move it.
 *   -EADDRINUSE  the device's reserved regions hold areas, or meet the
 *                IOAS's allowed ranges
 *   -ERANGE      PASID 0 or beyond the device's width
 *   -EFAULT      a new automatic HWPT's IOAS has areas over memory the
 *                process lacks (the first domain pins them)
 *   -ENOSPC, -ENOMEM (also: the pin limit, pinning as -EFAULT says)
 */
int siommu_iommufd_attach(struct siommu_iommufd *ictx, uint32_t dev_id, uint32_t pasid,
			  uint32_t *pt_id);

/*
 * siommu_iommufd_replace - as attach, but the RID or @pasid must be
 * attached (-EINVAL otherwise) and moves to *pt_id with no window in which
 * DMA is blocked. A failed replace leaves the old HWPT in place. An
 * automatic HWPT left with no attachment is destroyed (its ID -ENOENT).
 */
int siommu_iommufd_replace(struct siommu_iommufd *ictx, uint32_t dev_id, uint32_t pasid,
			   uint32_t *pt_id);

/*
 * siommu_iommufd_detach - the RID or @pasid goes back to blocking DMA.
 * Detaching what is not attached does nothing. Returns 0, -ENOENT (no
 * such device).
 */
int siommu_iommufd_detach(struct siommu_iommufd *ictx, uint32_t dev_id, uint32_t pasid);

/* The HWPT ID (RID, or @pasid) of DEVICE @dev_id is attached to, 0: none. */
uint32_t siommu_iommufd_attached_hwpt(struct siommu_iommufd *ictx, uint32_t dev_id,
				      uint32_t pasid);

/* Hardware info types (Linux: enum iommu_hw_info_type). */
#define SIOMMU_HW_INFO_TYPE_NONE	0
#define SIOMMU_HW_INFO_TYPE_INTEL_VTD	1
#define SIOMMU_HW_INFO_TYPE_ARM_SMMUV3	2

/* Capabilities (Linux: enum iommufd_hw_capabilities). */
#define SIOMMU_HW_CAP_DIRTY_TRACKING	(1ull << 0)
#define SIOMMU_HW_CAP_PCI_PASID_EXEC	(1ull << 1)
#define SIOMMU_HW_CAP_PCI_PASID_PRIV	(1ull << 2)

/* The VT-d payload (Linux: struct iommu_hw_info_vtd). */
struct siommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	uint64_t cap_reg;
	uint64_t ecap_reg;
};

/* The SMMUv3 payload (Linux: struct iommu_hw_info_arm_smmuv3). */
struct siommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

/*
 * siommu_iommufd_get_hw_info - IOMMU_GET_HW_INFO for DEVICE @dev_id: the
 * driver's info structure, up to @data_len bytes of it into @data (more
 * bytes than it has are zeroed; 0 is allowed), *out_len (optional) its
 * full length, *type its type (in with @want_type: the caller names it),
 * *caps the capabilities and *max_pasid_log2 the device's PASID width
 * (0: none).
 * Returns 0, -ENOENT, -EOPNOTSUPP (a type the driver does not give:
 * nothing written).
 */
int siommu_iommufd_get_hw_info(struct siommu_iommufd *ictx, uint32_t dev_id,
			       bool want_type, uint32_t *type, void *data,
			       uint32_t data_len, uint32_t *out_len, uint64_t *caps,
			       uint8_t *max_pasid_log2);

/* ---- Accesses ---- */

/*
 * An access is a user of an IOAS's memory that is not a device behind a
 * unit: an emulated device of a VMM, which reads and writes guest memory
 * by IOVA with no domain in between (Linux: struct iommufd_access, the
 * in-kernel API VFIO's emulated devices use). It copies through the IOAS
 * (siommu_iommufd_access_rw()) or pins ranges for direct use of their host
 * bytes (siommu_iommufd_access_pin_pages()). It is an ACCESS object: its
 * creator holds a user reference on it, so siommu_iommufd_obj_destroy() of
 * it is -EBUSY; siommu_iommufd_access_destroy() lets it go.
 *
 * The unmap protocol. Unmapping areas an access has pinned
 * (siommu_ioas_unmap(), and moving or destroying the access) calls the
 * access's ops->unmap(data, iova, length) for the range of each such
 * area, and the callback must unpin every pin it has there. Until it is
 * unpinned, the range is closed to new pins and copies (-EINVAL); the
 * unmap asks again, up to SIOMMU_IOMMUFD_ACCESS_UNMAP_TRIES times in all,
 * and if pins remain it fails with -EDEADLOCK (as Linux does) and leaves
 * every area mapped and open again.
 *
 * The callback runs in the thread that unmaps, holding no lock of the
 * context and a short-term reference on the access. It may call
 * siommu_iommufd_access_unpin_pages() (what it is for),
 * siommu_iommufd_access_rw() and siommu_iommufd_access_pin_pages() (both
 * refuse the range being unmapped with -EINVAL) and every call on other
 * objects. It must not destroy or replace its own access (each waits for
 * the callback to return: a deadlock), and a caller of siommu_ioas_unmap()
 * or of _access_replace() or _access_destroy() must not hold a lock the
 * callback takes. It may run concurrently with the access's other calls
 * and with itself (two unmaps of different areas).
 */

/* siommu_iommufd_access_create() flags. */
#define SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES	(1u << 0)	/* may pin; unmap required */

/* siommu_iommufd_access_pin_pages() and _rw() flags (Linux's values). */
#define SIOMMU_IOMMUFD_ACCESS_RW_WRITE		(1u << 0)	/* write (pin: for writing) */
#define SIOMMU_IOMMUFD_ACCESS_RW_PHYS		(1u << 2)	/* rw: through the physical
								 * memory, as a device's DMA */

/* How many times an unmap calls the callbacks of a range before -EDEADLOCK. */
#define SIOMMU_IOMMUFD_ACCESS_UNMAP_TRIES	100

struct siommu_iommufd_access_ops {
	/* Unpin every pin of [iova, iova + length) (see above); iova 0 with
	 * length UINT64_MAX is everything. */
	void (*unmap)(void *data, uint64_t iova, uint64_t length);
};

/*
 * siommu_iommufd_access_create - an access on IOAS @ioas_id, which it
 * uses (destroying the IOAS is -EBUSY while it stays). @ops (kept, not
 * copied: it outlives the access; NULL for no callback) and @data are the
 * caller's. With SIOMMU_IOMMUFD_ACCESS_NEEDS_PIN_PAGES the access may pin
 * and ops->unmap is required.
 * Returns 0 with *out_id, -EOPNOTSUPP (unknown flags), -EINVAL (no ictx or
 * out_id; NEEDS_PIN_PAGES without ops->unmap), -ENOENT (no such IOAS),
 * -ENOMEM. Nothing changes on an error. Thread-safe.
 */
int siommu_iommufd_access_create(struct siommu_iommufd *ictx, uint32_t ioas_id,
				 const struct siommu_iommufd_access_ops *ops, void *data,
				 unsigned int flags, uint32_t *out_id);

/*
 * siommu_iommufd_access_destroy - let access @access_id go: ops->unmap is
 * called for what it still pins (as an unmap of everything would), then
 * whatever the callback left pinned is dropped, and the IOAS is no longer
 * used. Waits for calls using the access (not from its own callback).
 * Returns 0, -ENOENT (no such access). Teardown: consumes no fallible step.
 */
int siommu_iommufd_access_destroy(struct siommu_iommufd *ictx, uint32_t access_id);

/*
 * siommu_iommufd_access_replace - move access @access_id to IOAS
 * @ioas_id (Linux: iommufd_access_replace()). As Linux, it does not refuse
 * an access with pins: it calls ops->unmap(data, 0, UINT64_MAX) first,
 * during which new pins and copies of the access fail -ENOENT; then the
 * access uses the new IOAS and lets go of the old. The same IOAS is a
 * no-op. Returns 0, -ENOENT (no such access or IOAS), -EBUSY (the callback
 * left pins: the access stays on its IOAS with them; or a concurrent
 * replace of the same access is under way). Thread-safe.
 */
int siommu_iommufd_access_replace(struct siommu_iommufd *ictx, uint32_t access_id,
				  uint32_t ioas_id);

/*
 * siommu_iommufd_access_pin_pages - pin [iova, iova + length) of the
 * access's IOAS: the areas covering it stay mapped, over the same host
 * bytes, until siommu_iommufd_access_unpin_pages() of the same range (or
 * until the callback is asked to let go). @out_pages (may be NULL) gets
 * the host address of each page of the range: ceil(length /
 * SIOMMU_PAGE_SIZE) entries, the first at @iova's byte. Flags:
 * SIOMMU_IOMMUFD_ACCESS_RW_WRITE (every area must be writable). Pins
 * nest: a range pinned twice is unpinned twice.
 * Errors, each changing nothing:
 *   -EOPNOTSUPP  unknown flags
 *   -EINVAL      length 0; an access made without NEEDS_PIN_PAGES; the
 *                host address of @iova, or of an area boundary inside the
 *                range, not page-aligned (pages would not be whole); a
 *                range being unmapped (the callback protocol)
 *   -EOVERFLOW   iova + length wraps
 *   -ENOENT      no such access; contiguous areas do not cover the range;
 *                the access is being moved by replace
 *   -EPERM       WRITE over an area not mapped writable
 *   -ENODEV      an area of a revoked test dma-buf (siommu/iommufd_test.h)
 *   -EFAULT      storage not pinned yet whose memory the process lacks
 *   -ENOMEM      the pin limit for storage not pinned yet; memory
 * Each pin pins the storage of its areas (charged once however many pins
 * and domains share it) until it is unpinned.
 * Thread-safe; concurrent with unmaps, which it never waits for.
 */
int siommu_iommufd_access_pin_pages(struct siommu_iommufd *ictx, uint32_t access_id,
				    uint64_t iova, uint64_t length, void **out_pages,
				    unsigned int flags);

/*
 * siommu_iommufd_access_unpin_pages - undo one siommu_iommufd_access_pin_pages()
 * of exactly [iova, iova + length). Returns 0, -ENOENT (no such access, or
 * no pin of that range: Linux warns), -EINVAL (length 0), -EOVERFLOW.
 * Consumes no fallible step. Thread-safe; callable from ops->unmap.
 */
int siommu_iommufd_access_unpin_pages(struct siommu_iommufd *ictx, uint32_t access_id,
				      uint64_t iova, uint64_t length);

/*
 * siommu_iommufd_access_rw - copy @len bytes between @buf and
 * [iova, iova + len) of the access's IOAS (Linux: iommufd_access_rw()):
 * into the IOAS with SIOMMU_IOMMUFD_ACCESS_RW_WRITE, out of it otherwise,
 * across area boundaries. With SIOMMU_IOMMUFD_ACCESS_RW_PHYS the copy goes
 * through the context's physical memory (siommu_mem_read()/_write()), as
 * a device's DMA would; otherwise through the host bytes directly. No pin
 * is needed: storage not pinned is pinned for the copy alone. The whole
 * range is checked first: a refused copy copies nothing (Linux may copy
 * up to a hole).
 * Errors:
 *   -EOPNOTSUPP  unknown flags
 *   -EINVAL      len 0, @buf NULL; an area being unmapped
 *   -EOVERFLOW   iova + len wraps
 *   -ENOENT      no such access; a hole in the range (contiguous areas do
 *                not cover it); the access is being moved by replace
 *   -EPERM       a write over an area not mapped writable
 *   -ENODEV      an area of a revoked test dma-buf (siommu/iommufd_test.h)
 *   -EFAULT, -ENOMEM  pinning storage not pinned (as access_pin_pages)
 * Thread-safe; concurrent copies of one access serialise.
 */
int siommu_iommufd_access_rw(struct siommu_iommufd *ictx, uint32_t access_id, uint64_t iova,
			     void *buf, uint64_t len, unsigned int flags);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_IOMMUFD_H */
