/* SPDX-License-Identifier: MIT */
/*
 * Internal view of the iommufd object model (siommu/iommufd.h).
 *
 * Ownership: the context owns its objects through the object table; an
 * IOAS owns its areas; an area holds a reference on its page storage
 * (struct ifd_pages), which, while pinned, holds one on a registration of
 * host memory (struct ifd_reg) with the core context's physical memory;
 * pins are counted per storage (a domain pin per area of an IOAS with
 * paging HWPTs, an access pin per area it covers, a hardware queue's per
 * area it locks). A HWPT holds
 * a user reference on its IOAS; each attachment (a device's RID or PASID)
 * holds one on its HWPT; a bound device holds one on itself for the
 * binder, so IOMMU_DESTROY of it is -EBUSY.
 *
 * Locking, in the order taken:
 *   - an access's ioas_lock (its calls; struct ifd_access), never held
 *     across its unmap callback, which runs with no lock of ours;
 *   - ictx->attach_lock serialises attach, replace, detach, bind, unbind
 *     and HWPT creation and teardown (the device, group and PASID
 *     bookkeeping: ifd_device.rid_hwpt, .pasids, ictx->pasids) and
 *     vIOMMU-wide invalidation; granted in the order asked for
 *     (util/fifo_lock.h): a guest invalidating back to back does not keep
 *     the VMM's replace waiting;
 *   - ioas->lock protects an IOAS's areas, reserved and allowed ranges,
 *     its HWPT list and huge_pages, its accesses' pins and the ranges
 *     being unmapped, and is held across the domain maps and unmaps that
 *     mirror its areas (but not across access callbacks: an unmap drops
 *     it to call them and checks everything again after);
 *   - the core's locks (siommu_device_attach(), siommu_domain_map());
 *   - ictx->reg_lock protects the registrations (ictx->regs) and every
 *     page storage's pin count, registration and PA; it is taken under
 *     ioas->lock when storage is pinned or unpinned;
 *   - ictx->lock protects the object table and every object's users and
 *     shortterm counts; it is a leaf lock, never held across another.
 * Queue objects have leaf locks of their own: a fault's lock, and a
 * vIOMMU's vevent_lock then a vEVENTQ's lock; event reporters and the
 * core's deliverer take them in whatever thread reports, holding no lock
 * of ours (the core's rid_lock is held by neither).
 * ifd_pages.refs is atomic: areas of several IOASes share it. Accounting
 * buckets are atomic counters.
 *
 * References (Linux: iommufd_object users / shortterm_users). obj->users
 * counts every reference: long-lived ones from other objects and the
 * short-term ones of calls using the object (which also count in
 * obj->shortterm). Destroy waits for shortterm to drain, then needs users
 * to be 0; both change under ictx->lock, which wakes waiters through
 * ictx->cond.
 */
#ifndef SIOMMU_IOMMUFD_INTERNAL_H
#define SIOMMU_IOMMUFD_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>
#include <urcu/list.h>
#include <bsd/sys/tree.h>

#include <siommu/iommufd.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/iova.h>
#include "core/core_internal.h"
#include "iommufd/ucopy.h"
#include "util/compiler.h"
#include "util/fifo_lock.h"

/* An accounting bucket: a user's (Linux's user->locked_vm) or a
 * process's (mm->pinned_vm and mm->locked_vm). Counters are atomic. It
 * lives while its creator or page storage made with it for another
 * process holds it (@refs, atomic: storage may outlive the caller that
 * mapped it). */
struct siommu_iommufd_acct {
	uint64_t pinned;		/* by storage naming it its process's */
	uint64_t locked;		/* charged against the limit */
	uint64_t limit;			/* atomic */
	bool memlock;			/* limit: RLIMIT_MEMLOCK at each charge */
	unsigned int refs;
	int pidfd;			/* a process bucket given for another
					 * process (siommu_iommufd_user): that
					 * process, set once; -1 none */
};

/* A reference on @acct (its holder has one already); drop one. */
void ifd_acct_get(struct siommu_iommufd_acct *acct);
void ifd_acct_put(struct siommu_iommufd_acct *acct);
/* Give process bucket @acct @pidfd, the process it is of, unless it has
 * one (then @pidfd is closed); whether it has one. Atomic. */
void ifd_acct_set_pidfd(struct siommu_iommufd_acct *acct, int pidfd);
bool ifd_acct_has_pidfd(const struct siommu_iommufd_acct *acct);

/* Where IOAS_MAP's memory comes from: the process whose memory it is
 * (@pidfd, -1: this one; the storage takes it) and the buckets it
 * charges, by RLIMIT mode (NULL: the context's). */
struct ifd_source {
	int pidfd;
	struct siommu_iommufd_acct *acct[2];
};

struct ifd_obj {
	enum siommu_iommufd_obj_type type;
	uint32_t id;
	/* Under ictx->lock. */
	unsigned int users, shortterm;
	unsigned int fd_holds;		/* of users: a queue's open files */
	bool published;			/* visible to lookups */
	bool removing;			/* destroy in progress: invisible */
};

/* Host memory registered with the context's physical memory as RAM. */
struct ifd_reg {
	struct cds_list_head node;	/* ictx->regs, most recent first */
	uintptr_t host;			/* page-aligned */
	uint64_t size;			/* bytes, page multiple */
	uint64_t pa;			/* where the core sees it */
	uint64_t window;		/* the PA window allocated for it */
	unsigned int refs;		/* page storage using it; 0: cached */
	bool single;			/* one storage's own (a file's
					 * mapping): never shared */
	bool fresh;			/* only failed calls have used it */
};

/* A test dma-buf (IOMMU_TEST_OP_DMABUF_GET): a memfd, known by its
 * inode, which the context's own fd keeps; it lives as long as the
 * context. The list and @revoked are under ictx->lock. */
struct ifd_dmabuf {
	struct cds_list_head node;	/* ictx->dmabufs */
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t length;
	bool revoked;
};

/*
 * Page storage: one MAP or MAP_FILE's pages, shared by COPY, pinned while
 * it has users (pages.c). @users, @reg and @pa are under ictx->reg_lock;
 * @pa is valid while a user's pin is held, and stays so for that user.
 */
struct ifd_pages {
	unsigned int refs;		/* areas using it; atomic */
	struct siommu_iommufd *ictx;
	uintptr_t host;			/* the first byte (uva's) here */
	uint64_t length;
	uint64_t npages;		/* charged while pinned */
	bool writable;
	void *own_map;			/* the context's mapping of a file
					 * host lies in (NULL: the caller's
					 * memory), unmapped with the storage */
	uint64_t own_len;
	int src_pidfd;			/* the process the memory is of, whose
					 * exit leaves unpinned storage no
					 * pages; -1: this process, or the one
					 * of its process bucket's pidfd */
	int pin_err;			/* memory this process cannot reach:
					 * every pin fails so (0: none) */
	/* src, rlimit_mode, src_held and src_pidfd change after creation
	 * only in IOAS_CHANGE_PROCESS, under reg_lock with every IOAS's
	 * lock: pins and unpins read them under reg_lock. */
	struct siommu_iommufd_acct *src[2];	/* the buckets of the MAP (or
						 * of IOAS_CHANGE_PROCESS), by
						 * RLIMIT mode */
	unsigned int rlimit_mode;	/* the MAP's: src[it] is charged */
	unsigned int src_held;		/* bit i: a reference on src[i] (not
					 * the context's own) */
	unsigned int users;		/* pins: domains, access pins, queues */
	struct ifd_reg *reg;		/* while pinned */
	uint64_t pa;			/* PA of the first byte (host's) */
	struct ifd_dmabuf *dmabuf;	/* the dma-buf mapped, or NULL */
	uint64_t file_start;		/* the file's byte at host (MAP_FILE) */
	bool map_file;			/* made by IOAS_MAP_FILE (not by a
					 * MAP a file serves) */
};

/* A region for mmap() of the iommufd fd (mmap.c); under mmap_lock. */
struct ifd_mmap {
	struct cds_list_head node;	/* ictx->mmaps, by offset */
	uint64_t offset, length;
	struct ifd_obj *owner;		/* frees it when destroyed */
	unsigned int maps;		/* mappings, each a use of owner */
};

/* A mapping of an IOAS: [iova, last] -> pages at byte offset pgoff. */
struct ifd_area {
	RB_ENTRY(ifd_area) rb;
	uint64_t iova, last;
	struct ifd_pages *pages;
	uint64_t pgoff;			/* from the start of pages->pa */
	unsigned int prot;		/* SIOMMU_PROT_* */
	unsigned int locks;		/* hardware queues on it: unmap -EBUSY */
	unsigned int pins;		/* access pins meeting it: unmap asks
					 * them to go (ifd_access) */
	bool revoked;			/* its dma-buf was revoked: in no
					 * domain; under ioas->lock */
	bool dom_pin;			/* a pin of its storage for the
					 * domains mirroring it: its IOAS has
					 * paging HWPTs and it is not revoked */
};
RB_HEAD(ifd_area_tree, ifd_area);

/* The host address of @iova, a byte of @area. */
static inline uintptr_t ifd_area_host(const struct ifd_area *area, uint64_t iova)
{
	return area->pages->host + (uintptr_t)(area->pgoff + (iova - area->iova));
}

/* Its PA: the storage is pinned. */
static inline uint64_t ifd_area_pa(const struct ifd_area *area, uint64_t iova)
{
	return area->pages->pa + area->pgoff + (iova - area->iova);
}

RB_PROTOTYPE(ifd_area_tree, ifd_area, rb, ifd_area_cmp);

/* A reserved IOVA range of an IOAS and what put it there: a HWPT's
 * aperture or a device attachment (ifd_resv_owner()). */
struct ifd_resv {
	uint64_t start, last;
	uint64_t owner;
};

/* Owner keys: object IDs are unique in a context. */
static inline uint64_t ifd_resv_owner(uint32_t id, uint32_t pasid)
{
	return (uint64_t)id << 32 | pasid;
}

/* A range an unmap is waiting for accesses to unpin: no pin or copy may
 * start in it. On ioas->unmapping, under ioas->lock. */
struct ifd_unmapping {
	struct cds_list_head node;
	uint64_t iova, last;
};

struct ifd_ioas {
	struct ifd_obj obj;
	struct siommu_iommufd *ictx;
	pthread_mutex_t lock;		/* before reg_lock; a call holds one
					 * IOAS's at a time, but for
					 * IOAS_CHANGE_PROCESS, which holds
					 * all of them, taken in ID order */
	struct ifd_area_tree areas;
	uint64_t nr_areas;
	struct ifd_resv *resv;
	unsigned int nr_resv, cap_resv;
	struct siommu_iova_range *allowed;
	unsigned int nr_allowed;
	struct cds_list_head hwpts;	/* ifd_hwpt.ioas_node; changes under
					 * attach_lock too, so attach reads it
					 * under that alone */
	struct cds_list_head accesses;	/* ifd_access.ioas_node */
	struct cds_list_head unmapping;	/* ifd_unmapping.node: ranges whose
					 * accesses are asked to unpin */
	bool huge_pages;
};

/* A complete page request group of one device and PASID, delivered by
 * the core's I/O page-fault path. */
struct ifd_fault_group {
	struct cds_list_head node;	/* in one of the fault's lists */
	struct ifd_device *idev;
	uint32_t pasid;			/* SIOMMU_IOMMUFD_NO_PASID: the RID */
	uint32_t cookie;		/* the user's, once read */
	uint64_t core_cookie;		/* the core's (core_iopf_respond()) */
	unsigned int n;
	struct iommu_page_request reqs[];	/* the last one is last */
};

/*
 * A fault queue. Its lock is a leaf, protecting the two lists and
 * next_cookie: taken by the deliverer (in the thread that reported the
 * group) and by read and respond; answers (core_iopf_respond()) are given
 * after it is dropped, since they may run device callbacks that issue
 * page requests.
 */
struct ifd_fault {
	struct ifd_obj obj;
	struct siommu_iommufd *ictx;
	pthread_mutex_t lock;
	struct cds_list_head ready;	/* complete, not read */
	struct cds_list_head read;	/* read, not answered */
	uint32_t next_cookie;
	int efd;			/* the ABI's fd: an eventfd readable
					 * while ready holds a group; -1 none */
};

/*
 * A HWPT: paging (on its IOAS's list, mirroring its areas) or nested
 * (@parent set; a user reference on it, or on @viommu when made from
 * one, which holds the parent; @ioas is the parent's, where the reserved
 * regions of its attachments go, and the nested HWPT is on no list of
 * it).
 */
struct ifd_hwpt {
	struct ifd_obj obj;
	struct ifd_ioas *ioas;
	struct ifd_hwpt *parent;
	struct ifd_viommu *viommu;	/* nested from a vIOMMU, else NULL */
	struct ifd_fault *fault;	/* FAULT_ID_VALID: used, NULL else */
	struct siommu_domain *dom;
	struct siommu_unit *unit;
	struct cds_list_head ioas_node;
	unsigned int flags;		/* SIOMMU_HWPT_ALLOC_* */
	bool auto_domain;
	bool dirty_on;			/* tracking started; under ioas->lock */
	uint64_t pgsizes;
	uint64_t aperture_start, aperture_last;
	unsigned int nr_atts;		/* under attach_lock */
};

/* A vIOMMU: a slice of @unit over nest parent @parent (a user reference
 * on it), with the driver's state; its vDEVICEs change under attach_lock. */
struct ifd_viommu {
	struct ifd_obj obj;
	struct ifd_hwpt *parent;
	struct siommu_unit *unit;
	void *drv;
	uint32_t type;
	struct cds_list_head vdevs;	/* ifd_vdevice.node */
	struct cds_list_head hw_queues;	/* ifd_hw_queue.node, attach_lock */
	/* Its event queues, one per type: changed under attach_lock and
	 * vevent_lock, which the reporters of events take alone (a leaf,
	 * before a queue's lock). */
	pthread_mutex_t vevent_lock;
	struct cds_list_head veventqs;	/* ifd_veventq.node */
	uint64_t mmap_offset;		/* its mmap region (0: none) */
};

/* An event queued on a vEVENTQ. */
struct ifd_vevent {
	struct cds_list_head node;	/* ifd_veventq.events */
	uint32_t sequence;
	uint32_t len;
	unsigned char data[];
};

/*
 * A vIOMMU's event queue of one type (a user reference on the vIOMMU).
 * Its lock is a leaf protecting the events, their count, the sequence,
 * the lost-events mark and the eventfd's count; taken by reporters
 * (under the vIOMMU's vevent_lock) and by read.
 */
struct ifd_veventq {
	struct ifd_obj obj;
	struct siommu_iommufd *ictx;
	struct ifd_viommu *viommu;
	struct cds_list_head node;	/* viommu->veventqs */
	uint32_t type, depth;
	pthread_mutex_t lock;
	struct cds_list_head events;	/* oldest first */
	uint32_t nr_events;
	uint32_t sequence;		/* the next event's, 0..INT32_MAX */
	bool lost;			/* a LOST_EVENTS header after events */
	uint32_t lost_sequence;
	int efd;			/* readable while something is queued;
					 * -1: no fd */
};

/*
 * A hardware queue of a vIOMMU (a user reference on it) at [iova, last]
 * of the parent's IOAS, which it keeps locked; for a driver whose queues
 * come in order, a user reference on the queue of the index before
 * (@prev), so that queues go in reverse order. Under attach_lock.
 */
struct ifd_hw_queue {
	struct ifd_obj obj;
	struct ifd_viommu *viommu;
	struct ifd_hw_queue *prev;
	uint32_t type, index;
	uint64_t iova, last;
	void *drv;
	struct cds_list_head node;
};

/* A device known to a vIOMMU by @virt_id; a user reference on the vIOMMU
 * while linked (idev set). Unbinding the device unlinks it and leaves it
 * a tombstone. Under attach_lock. */
struct ifd_vdevice {
	struct ifd_obj obj;
	struct ifd_viommu *viommu;
	struct ifd_device *idev;	/* NULL: unlinked */
	uint64_t virt_id;
	struct cds_list_head node;
};

struct ifd_pasid_att {
	uint32_t pasid;
	struct ifd_hwpt *hwpt;
};

struct ifd_device {
	struct ifd_obj obj;
	struct siommu_iommufd *ictx;
	struct siommu_device *dev;
	struct cds_list_head node;	/* ictx->devices, under attach_lock */
	struct ifd_hwpt *rid_hwpt;	/* under attach_lock */
	struct ifd_pasid_att *pasids;
	unsigned int nr_pasids, cap_pasids;
	unsigned int pasid_bits;
	bool moving;			/* in a group's RID change; attach_lock */
	struct ifd_vdevice *vdev;	/* under attach_lock */
};

/* A PASID number this context allocated in the core's PASID space. */
struct ifd_pasid_use {
	uint32_t pasid;
	unsigned int users;
};

struct siommu_iommufd {
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ifd_obj **objs;		/* by ID - 1 */
	uint32_t nr_slots;
	uint32_t nr_objs;		/* published or reserved */

	struct fifo_lock attach_lock;
	struct cds_list_head devices;	/* ifd_device.node */
	struct ifd_pasid_use *pasids;
	unsigned int nr_pasids, cap_pasids;

	struct cds_list_head dmabufs;	/* ifd_dmabuf.node, under lock */

	pthread_mutex_t reg_lock;
	struct cds_list_head regs;	/* ifd_reg.node */
	unsigned int nr_cached;		/* registrations with refs 0 */
	struct siommu_iova *pa_space;	/* PA windows for registrations */

	uint32_t vfio_ioas;		/* the VFIO compatibility IOAS's ID
					 * (0: none), a weak reference cleared
					 * when it goes; under lock */
	struct siommu_iommufd_acct *acct[2];	/* by RLIMIT mode */
	bool own_acct[2];
	uint64_t pinned;		/* pages of its storage; atomic */
	unsigned int rlimit_mode;	/* atomic */
	bool cap_sys_resource, cap_ipc_lock;

	pthread_mutex_t mmap_lock;	/* before lock */
	struct cds_list_head mmaps;	/* ifd_mmap.node */
	int mmap_fd;			/* their memory (-1: none yet) */
	uint64_t mmap_size;
	uint64_t access_pins;		/* every access's pins; atomic */

	struct siommu_unit *test_unit;	/* test mode: the mock unit */
	uint32_t test_next_rid;		/* atomic */
};

/* Where registrations of caller memory sit in the physical address space:
 * above the library's pool and below every unit's default host address
 * width (48 bits). */
#define IFD_PA_BASE (1ull << 44)
#define IFD_PA_LAST ((1ull << 47) - 1)
/* Registrations kept while unused, so that mapping the same memory again
 * costs no registration. */
#define IFD_REG_CACHE 16

/*
 * mmap regions (mmap.c). ifd_mmap_alloc - a region of @length bytes (a
 * page multiple) for @owner, zeroed, at the lowest free offset from the
 * second page on: 0, -EINVAL, -ENOSPC, -ENOMEM.
 * ifd_mmap_write - bytes into it: 0, -ENOMEM. ifd_mmap_free - the
 * owner's destruction (no mapping holds it by then). release_all - the
 * context's close drops every mapping's use of its owner; fini - its end.
 */
void ifd_mmap_init(struct siommu_iommufd *ictx);
int ifd_mmap_alloc(struct siommu_iommufd *ictx, struct ifd_obj *owner, uint64_t length,
		   uint64_t *offset);
int ifd_mmap_write(struct siommu_iommufd *ictx, uint64_t offset, const void *buf, size_t len);
void ifd_mmap_free(struct siommu_iommufd *ictx, uint64_t offset);
void ifd_mmap_release_all(struct siommu_iommufd *ictx);
void ifd_mmap_fini(struct siommu_iommufd *ictx);

/* The limit of @acct now, in pages. */
uint64_t ifd_acct_limit(const struct siommu_iommufd_acct *acct);

static inline bool ifd_should_fail(struct siommu_iommufd *ictx)
{
	return mem_should_fail(ictx->mem);
}

/* HWPT_INVALIDATE's array within Linux's bounds (siommu_hwpt_invalidate()),
 * checked before any entry is read. */
static inline bool ifd_invalidate_bounded(uint32_t entry_len, uint32_t entry_num)
{
	return entry_len <= SIOMMU_HWPT_INVALIDATE_MAX_ENTRY_LEN &&
	       entry_num <= SIOMMU_HWPT_INVALIDATE_MAX_ENTRIES;
}

/* Object table (main.c). */
int ifd_obj_reserve(struct siommu_iommufd *ictx, struct ifd_obj *obj,
		    enum siommu_iommufd_obj_type type);
void ifd_obj_abort(struct siommu_iommufd *ictx, struct ifd_obj *obj);
void ifd_obj_publish(struct siommu_iommufd *ictx, struct ifd_obj *obj);
/* A short-term reference on published @id of @type (NONE: any), or NULL. */
struct ifd_obj *ifd_obj_get(struct siommu_iommufd *ictx, uint32_t id,
			    enum siommu_iommufd_obj_type type);
void ifd_obj_put(struct siommu_iommufd *ictx, struct ifd_obj *obj);
/* Long-lived references, taken while holding a short-term one. */
void ifd_obj_use(struct siommu_iommufd *ictx, struct ifd_obj *obj);
void ifd_obj_unuse(struct siommu_iommufd *ictx, struct ifd_obj *obj);
/*
 * Take @obj out of the table (the caller's own short-term reference, if
 * @held, dropped on the way): with @wait once the other short-term users
 * are gone, without it only if there are none. 0 and the caller destroys
 * it; -EBUSY if users remain (the caller's short-term reference is gone
 * either way). @wait must not be used while holding a lock a short-term
 * user may be waiting for (attach_lock, an IOAS's lock).
 */
int ifd_obj_remove(struct siommu_iommufd *ictx, struct ifd_obj *obj, bool held, bool wait);

/*
 * Test mode (selftest.c). A SELFTEST object owns a mock device it made
 * and bound (IOMMU_TEST_OP_MOCK_DOMAIN); destroying it removes the
 * device, whose owner release unbinds it.
 */
struct ifd_selftest {
	struct ifd_obj obj;
	struct siommu_device *dev;
	uint32_t idev_id;
};

/*
 * An access (access.c): a user of an IOAS's memory with no domain
 * (siommu_iommufd_access_create()). Its creator holds a user reference on
 * it; it uses its IOAS. Each pin is a range whose areas count it
 * (ifd_area.pins), so that they are not removed under it.
 *
 * Locking: ioas_lock (Linux's access->ioas_lock) protects @ioas and
 * @ioas_unpin and is held across pin, unpin and rw, before the IOAS's
 * lock; it is never held across the unmap callback. @pins and @ioas_node
 * change under the lock of the IOAS they belong to (@ioas_unpin), which
 * unmap reads them under. @ioas is NULL while replace calls back (new pins
 * and copies fail), @ioas_unpin stays where the pins are.
 */
struct ifd_access_pin {
	struct cds_list_head node;	/* ifd_access.pins */
	uint64_t iova, last;
};

struct ifd_access {
	struct ifd_obj obj;
	struct siommu_iommufd *ictx;
	const struct siommu_iommufd_access_ops *ops;
	void *data;
	bool needs_pin_pages;
	bool destroying;		/* under ictx->lock */
	pthread_mutex_t ioas_lock;
	struct ifd_ioas *ioas, *ioas_unpin;
	struct cds_list_head ioas_node;	/* ioas_unpin->accesses */
	struct cds_list_head pins;	/* ifd_access_pin.node */
};

/* The access @id (a short-term reference), or NULL. */
struct ifd_access *ifd_access_get(struct siommu_iommufd *ictx, uint32_t id);
/* siommu_iommufd_access_destroy() of @acc, whose short-term reference the
 * caller holds (and gives up). */
int ifd_access_destroy_held(struct siommu_iommufd *ictx, struct ifd_access *acc);

void ifd_selftest_destroy(struct ifd_selftest *st);
void ifd_access_destroy(struct ifd_access *acc);
/* Destroy every access (context teardown): test accesses as their fds'
 * close would, the others as siommu_iommufd_access_destroy(). */
void ifd_access_close_all(struct siommu_iommufd *ictx);
/* Test mode: close every access fd (selftest.c), as their close() would. */
void ifd_test_access_close_all(struct siommu_iommufd *ictx);
/*
 * Ask the accesses of @ioas that pin in [iova, last] to unpin there: their
 * callbacks run with no lock held (call this without ioas->lock). Returns
 * how many such accesses were being destroyed, and so not asked (their
 * destruction drops their pins).
 */
unsigned int ifd_access_notify_unmap(struct ifd_ioas *ioas, uint64_t iova, uint64_t last);
/* Whether [iova, last] meets a range an unmap is asking accesses to let
 * go of. Under ioas->lock. */
bool ifd_ioas_unmapping(struct ifd_ioas *ioas, uint64_t iova, uint64_t last);
/*
 * ifd_dmabuf_find - the test dma-buf of this context whose file @st
 * describes, or NULL; *revoked says whether it is revoked (false for
 * NULL). ifd_dmabufs_fini - free them all, at the context's end.
 * ifd_ioas_revoke_dmabuf - every area of every IOAS of @ictx that maps
 * @d leaves its domains and is marked revoked; the accesses pinning there
 * are asked to unpin (ifd_access_notify_unmap()). Never fails; call it
 * with no IOAS lock held.
 */
struct stat;
struct ifd_dmabuf *ifd_dmabuf_find(struct siommu_iommufd *ictx, const struct stat *st,
				   bool *revoked);
void ifd_dmabufs_fini(struct siommu_iommufd *ictx);
void ifd_ioas_revoke_dmabuf(struct siommu_iommufd *ictx, const struct ifd_dmabuf *d);

/* The longest buffer a test access pins, reads or writes (ACCESS_PAGES,
 * ACCESS_RW; -ENOMEM past it). */
#define IFD_TEST_MAX_LENGTH (16ull << 20)

/* IOMMU_TEST_CMD's operation on @cmd (a struct iommu_test_cmd); sets
 * *respond when it is to be written back. */
int ifd_test_cmd(struct siommu_iommufd *ictx, void *cmd, bool *respond);
/* Undo what IOMMU_TEST_CMD @cmd did (it succeeded, and answered in
 * @cmd), where Linux undoes it when the answer cannot be written: a mock
 * device goes, an access is closed, pages an access pinned are let go.
 * The other operations keep what they did. */
void ifd_test_cmd_abort(struct siommu_iommufd *ictx, const void *cmd);

/* A piece of an IOAS range: @len bytes at @iova of @area. */
typedef int (*ifd_piece_fn)(void *arg, struct ifd_area *area, uint64_t iova, uint64_t len);
/*
 * Call @fn for each area piece of [iova, last], in order, stopping at an
 * error it returns; -ENOENT if contiguous areas do not cover the range
 * (after the pieces that exist). Under ioas->lock.
 */
int ifd_ioas_for_each_piece(struct ifd_ioas *ioas, uint64_t iova, uint64_t last,
			    ifd_piece_fn fn, void *arg);
/* IOMMU_TEST_OP_ADD_RESERVED: reserve [start, last] of @ioas_id as a
 * device's region would be; -EADDRINUSE over an area or allowed range. */
int ifd_ioas_add_test_resv(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t start,
			   uint64_t last);

/*
 * siommu_ioas_unmap() with @empty_ok: a range with no area at all is
 * success with nothing unmapped (the VFIO type1 path's rule) rather than
 * -ENOENT.
 */
int ifd_ioas_unmap(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t iova,
		   uint64_t length, bool empty_ok, uint64_t *unmapped);

/*
 * ifd_ioas_cut - on IOAS @ioas_id with large pages off (HUGE_PAGES 0,
 * whose domains map each area with 4K leaves), split the areas that run
 * across the start or the end of [iova, iova + length) there, so that an
 * unmap of that range takes whole areas (the VFIO type1 v1 unmap). The
 * two pieces share the area's pages. With large pages on it does
 * nothing. Returns 0, -ENOENT (no such IOAS), -EINVAL (a cut not aligned
 * to the IOAS's alignment in IOVA or in its memory), -EBUSY (a hardware
 * queue holds the area), -ENOMEM; a first cut made stays when the second
 * fails, as Linux's.
 */
int ifd_ioas_cut(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t iova,
		 uint64_t length);

/*
 * IOAS_MAP of another process's memory, from @src (whose pidfd these
 * take and close; -1: none): ifd_ioas_map_fd - siommu_ioas_map_file() of
 * the file that holds it (@fd from @start), or, with @err -EFAULT, none:
 * storage whose every pin fails so (Linux pins, and fails, only when the
 * pages are first needed); another @err (the memory is there, but cannot
 * be given to us) fails the map itself, after the checks of the request,
 * making nothing. ifd_ioas_map_src - siommu_ioas_map() of it,
 * mapped here too at @uva. With @map_file the map is IOAS_MAP_FILE's
 * (else a MAP the file serves). The storage charges @src's buckets and is
 * pinned first only while that process lives (-EFAULT once it has
 * exited, as Linux's pin of a gone mm).
 */
int ifd_ioas_map_fd(struct siommu_iommufd *ictx, uint32_t ioas_id, unsigned int flags,
		    int fd, uint64_t start, int err, uint64_t length, bool map_file,
		    struct ifd_source *src, uint64_t *iova);
int ifd_ioas_map_src(struct siommu_iommufd *ictx, uint32_t ioas_id, unsigned int flags,
		     void *uva, uint64_t length, struct ifd_source *src, uint64_t *iova);
/* siommu_ioas_change_process() to @src's buckets (NULL, or a NULL
 * bucket: the context's own). */
int ifd_ioas_change_process(struct siommu_iommufd *ictx, const struct ifd_source *src);

/* The page sizes every paging domain of IOAS @ioas_id maps with (all
 * sizes from 4K up with none), at least its alignment: 0, -ENOENT. */
int ifd_ioas_pgsizes(struct siommu_iommufd *ictx, uint32_t ioas_id, uint64_t *pgsizes);

/* The VFIO type1 container requests (vfio_compat.c), @arg the caller's
 * (an integer for the first three), @user as siommu_iommufd_ioctl_user()
 * takes it (NULL: this process): their result (0 or more), -ENOTTY for a
 * request that is not one. */
int ifd_vfio_compat_ioctl(struct siommu_iommufd *ictx, unsigned long request, uint64_t arg,
			  const struct siommu_iommufd_user *user);

/*
 * ifd_umap - IOAS_MAP of the caller's [@uva, @uva + @length) (ucopy.h's
 * @user): siommu_ioas_map(), or siommu_ioas_map_file() of the file
 * @user's map_file gives.
 */
int ifd_umap(struct siommu_iommufd *ictx, const struct siommu_iommufd_user *user,
	     uint32_t ioas_id, uint32_t flags, uint64_t uva, uint64_t length, uint64_t *iova);

/* Type-specific destruction (the object is out of the table). */
void ifd_ioas_destroy(struct ifd_ioas *ioas);
void ifd_hwpt_destroy(struct ifd_hwpt *hwpt);
void ifd_device_destroy(struct ifd_device *idev);
void ifd_fault_destroy(struct ifd_fault *fault);
void ifd_viommu_destroy(struct siommu_iommufd *ictx, struct ifd_viommu *v);
/* The mock vIOMMU's driver data (selftest.c), before @v is published:
 * 0, or -errno with nothing left. */
int ifd_test_viommu_data(struct siommu_iommufd *ictx, struct ifd_viommu *v, void *data,
			 uint32_t len);
void ifd_vdevice_destroy(struct siommu_iommufd *ictx, struct ifd_vdevice *vd);
void ifd_hw_queue_destroy(struct siommu_iommufd *ictx, struct ifd_hw_queue *q);
void ifd_veventq_destroy(struct siommu_iommufd *ictx, struct ifd_veventq *q);

/*
 * vEVENTQs (veventq.c). Queue event @data (@len bytes) of @type on @v's
 * queue of that type: 0, -EOPNOTSUPP (no such queue). A full queue drops
 * it and marks the loss (0 too: the event was reported). Takes
 * vevent_lock; any thread.
 */
int ifd_viommu_report_event(struct ifd_viommu *v, uint32_t type, const void *data,
			    uint32_t len);
/*
 * The ABI's fds of queue objects: an object keeps an eventfd (*@slot,
 * under @lock; -1: none) readable while it has something to read.
 * ifd_eventfd_attach - make one, *@slot, and give the caller a
 * close-on-exec duplicate in *out_fd; @notify(@arg) then sets its
 * readiness, under @lock. 0, -EBUSY (it has one), -EMFILE, -ENFILE,
 * -ENOMEM. ifd_eventfd_set - readable (@ready) or not; never waits;
 * nothing for -1. Under the object's lock.
 */
int ifd_eventfd_attach(struct siommu_iommufd *ictx, pthread_mutex_t *lock, int *slot,
		       void (*notify)(void *arg), void *arg, int *out_fd);
void ifd_eventfd_set(int efd, bool ready);
/* The fd of vEVENTQ @id for the ioctl layer, as ifd_fault_open_fd(). */
int ifd_veventq_open_fd(struct siommu_iommufd *ictx, uint32_t id, int *out_fd);

/* Make published @obj invisible to lookups for good (it stays in the
 * table, its ID taken, until the context goes), unless a destroy of it
 * is under way. */
void ifd_obj_hide(struct siommu_iommufd *ictx, struct ifd_obj *obj);

/* vIOMMUs (viommu.c). @idev is being unbound: its vDEVICE becomes a
 * tombstone. Under attach_lock. */
void ifd_vdevice_unbind(struct siommu_iommufd *ictx, struct ifd_device *idev);
/* vIOMMU-wide invalidation (siommu_hwpt_invalidate()). */
int ifd_viommu_invalidate(struct siommu_iommufd *ictx, struct ifd_viommu *v,
			  uint32_t data_type, const void *data, uint32_t entry_len,
			  uint32_t *entry_num);

/* The DEVICE object of this or another context that owns @dev, or NULL
 * (device.c). Lock-free; the caller knows the device stays bound. */
struct ifd_device *ifd_device_of(struct siommu_device *dev);

/* Fault queues (fault.c). The deliverer (core_iopf_deliver_fn) of the
 * domain of a HWPT with a fault object (@arg: the HWPT): queues the group
 * of a device of the HWPT's context; false (the core answers it) for a
 * device of no context or of another, and when out of memory. */
bool ifd_hwpt_iopf(void *arg, struct siommu_device *dev, uint32_t pasid,
		   const struct iommu_page_request *req, unsigned int n, uint64_t cookie);
/* Forget every group of @idev at @pasid (an attachment going), answering
 * "invalid" those the core has not answered. */
void ifd_fault_flush(struct ifd_fault *fault, struct ifd_device *idev, uint32_t pasid);
/* The fd of fault object @fault_id for the ioctl layer (FAULT_QUEUE_ALLOC):
 * an eventfd, polls readable while a complete group waits to be read. The
 * caller owns *out_fd; the object keeps a duplicate, closed with it.
 * Returns 0, -ENOENT, -EBUSY (it has one), -EMFILE, -ENFILE, -ENOMEM. */
int ifd_fault_open_fd(struct siommu_iommufd *ictx, uint32_t fault_id, int *out_fd);

/*
 * Page storage (pages.c). from_user and from_file - storage of the
 * caller's [uva, uva + length) or of the file's [start, start + length),
 * not yet pinned, of @src (which gives the storage its pidfd on success;
 * NULL: this process), charged to its buckets (or the context's) in the
 * RLIMIT mode in force now: 0, -EOVERFLOW, -ENOMEM, and for a file
 * -EBADF, -EINVAL, -ENODEV, -EPERM. get and put - a reference (an area's); the last put frees it,
 * unpinned.
 * ifd_pages_pin - a user's pin: the first registers and charges the
 * storage: 0, -EFAULT (memory not mapped, its process gone), -ENOMEM
 * (the bucket's limit, or memory). ifd_pages_unpin - drop one; the last
 * uncharges and lets the registration go (with @undo, a failed call's
 * giving back: a registration it made goes too, not cached). Both under the lock of an IOAS
 * with an area over the storage, or none; they take reg_lock.
 * ifd_pages_pinned - whether it is pinned now.
 */
int ifd_pages_from_user(struct siommu_iommufd *ictx, void *uva, uint64_t length,
			bool writable, struct ifd_source *src, struct ifd_pages **out);
int ifd_pages_from_file(struct siommu_iommufd *ictx, int fd, uint64_t start,
			uint64_t length, bool writable, struct ifd_source *src,
			struct ifd_pages **out);
/* Storage of another process's memory at @uva that this one cannot
 * reach: every pin of it fails with @err (Linux pins, and fails, only
 * when the pages are first needed). 0, -EOVERFLOW, -EFAULT, -ENOMEM. */
int ifd_pages_unreachable(struct siommu_iommufd *ictx, uint64_t uva, uint64_t length,
			  int err, struct ifd_pages **out);
void ifd_pages_get(struct ifd_pages *pages);
void ifd_pages_put(struct ifd_pages *pages);
int ifd_pages_pin(struct ifd_pages *pages);
void ifd_pages_unpin(struct ifd_pages *pages, bool undo);
bool ifd_pages_pinned(struct ifd_pages *pages);
/*
 * ifd_pages_change_source - IOAS_CHANGE_PROCESS's move of @n distinct
 * storages to @src's buckets (NULL, or a NULL bucket: the context's), in
 * the context's RLIMIT mode: the pinned ones' pages are charged to the
 * new buckets first, all at once (-ENOMEM over the limit, nothing
 * changed), then uncharged from their old ones; every storage then
 * names the new buckets, which its later pins and unpins use, and
 * forgets the process it had (src_pidfd). Under the lock of every IOAS
 * with an area over them; takes reg_lock, so no pin or unpin meets the
 * move half done.
 */
int ifd_pages_change_source(struct siommu_iommufd *ictx, struct ifd_pages *const *pages,
			    size_t n, const struct ifd_source *src);
void ifd_regs_fini(struct siommu_iommufd *ictx);
void ifd_regs_trim(struct siommu_iommufd *ictx);

/* IOAS side of HWPTs and devices (ioas.c), under ioas->lock. */
int ifd_ioas_add_hwpt(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt);
void ifd_ioas_del_hwpt(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt, bool undo);
int ifd_ioas_add_resv(struct ifd_ioas *ioas, const struct iommu_resv_region *r,
		      unsigned int n, uint64_t owner);
void ifd_ioas_del_resv(struct ifd_ioas *ioas, uint64_t owner);
uint64_t ifd_ioas_alignment(struct ifd_ioas *ioas);
/* Whether contiguous areas cover [iova, last]. */
bool ifd_ioas_covered(struct ifd_ioas *ioas, uint64_t iova, uint64_t last);
/*
 * Lock [iova, last] for a hardware queue: it must be covered by
 * contiguous areas (-ENOENT) over one physically contiguous range
 * (-EFAULT), whose start goes to *pa; unmapping any of those areas is
 * then -EBUSY until ifd_ioas_unlock_range() of the same range.
 */
int ifd_ioas_lock_range(struct ifd_ioas *ioas, uint64_t iova, uint64_t last, uint64_t *pa);
void ifd_ioas_unlock_range(struct ifd_ioas *ioas, uint64_t iova, uint64_t last);
/* Clear @hwpt's dirty marks over every area. */
void ifd_ioas_clear_dirty(struct ifd_ioas *ioas, struct ifd_hwpt *hwpt);

#endif
