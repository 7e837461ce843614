/* SPDX-License-Identifier: MIT */
/*
 * Internal view of SVA: processes (mm.c) and binds (sva.c).
 *
 * A process keeps its mappings (VMAs) in an address-ordered list, its
 * swapped-out pages in a red-black tree (libbsd's <bsd/sys/tree.h>) and its
 * CPU page table as a struct siommu_pt of format X86_64, 4K leaves only.
 * Each unit the process is bound through has one SVA domain on that table
 * (struct mm_dom), shared by every device bound there, as Linux shares one
 * SVA domain per mm and IOMMU.
 *
 * Locking. bind_lock serialises binds, unbinds and exit: the PASID, the
 * bind list and the domain list's changes; it is taken first, and is held
 * across calls into the core (attach, detach), which take ctx->lock. lock
 * protects the memory: VMAs, swap, the page table's contents, the counters,
 * exited, and is held across the flushes of the domains (dom->lock, then
 * the unit's queue lock); the domain list changes under both locks, so
 * either one keeps it stable. lock is never held while ctx->lock is taken:
 * a detach holds ctx->lock while it waits for the fault handler, which
 * takes lock. Order: bind_lock, ctx->lock; bind_lock, lock, dom->lock,
 * unit queue lock. Pins (siommu_mm.pins) are memory: under lock.
 */
#ifndef SIOMMU_SVA_INTERNAL_H
#define SIOMMU_SVA_INTERNAL_H

#include <bsd/sys/tree.h>
#include <pthread.h>

#include <siommu/sva.h>
#include "core/core_internal.h"

struct mm_vma {
	struct cds_list_head node;	/* siommu_mm.vmas, by address */
	uint64_t start, last;		/* inclusive */
	unsigned int prot;		/* SIOMMU_PROT_READ | WRITE | EXEC */
};

/* A page's contents while it is swapped out. */
struct mm_swap {
	RB_ENTRY(mm_swap) rb;
	struct mm_swap *next;		/* in a list of spares */
	uint64_t addr;
	unsigned char data[SIOMMU_SZ_4K];
};
RB_HEAD(mm_swap_tree, mm_swap);

/* A range a pinned bind keeps resident (siommu/sva.h). */
struct mm_pin {
	struct cds_list_head node;	/* siommu_mm.pins, or a list of spares */
	uint64_t start, last;		/* inclusive */
	struct siommu_sva *owner;
};

/* The process's SVA domain on one unit. */
struct mm_dom {
	struct cds_list_head node;	/* siommu_mm.doms */
	struct siommu_unit *unit;
	struct siommu_domain *dom;
	unsigned int users;		/* binds through it */
};

struct siommu_sva {
	struct cds_list_head node;	/* siommu_mm.binds */
	struct core_dev_user user;	/* on dev, while dev is set */
	struct siommu_mm *mm;
	struct siommu_device *dev;	/* NULL once the device's removal
					 * undid the bind */
	struct mm_dom *md;
	unsigned int refs;
	bool pinned;			/* SIOMMU_SVA_BIND_PINNED */
};

struct siommu_mm {
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	uint64_t owner;
	unsigned int flags;
	struct siommu_pt *pt;
	pthread_mutex_t bind_lock;
	struct cds_list_head binds;	/* siommu_sva.node */
	unsigned int nr_binds;
	uint32_t pasid;			/* 0: none yet */
	pthread_mutex_t lock;
	struct cds_list_head vmas;	/* mm_vma.node */
	struct mm_swap_tree swap;
	struct cds_list_head doms;	/* mm_dom.node */
	struct cds_list_head pins;	/* mm_pin.node */
	bool exited;
	uint64_t resident, swapped, faults, faults_refused;
};

/* mm.c: the I/O page-fault handler of the process's SVA domains. */
enum iommu_page_resp_code mm_iopf(void *arg, const struct iommu_page_request *req);
/* mm.c: free the process (exited, no binds left). */
void mm_free(struct siommu_mm *mm);
/*
 * mm.c: fault in every page of @ranges and pin them for @h: 0, -EINVAL,
 * -ERANGE (a range outside the process's addresses), -EFAULT (a range not
 * wholly mapped with access), -ENOMEM (no pin is left; pages faulted in
 * before stay in). Takes lock.
 */
int mm_pin(struct siommu_mm *mm, struct siommu_sva *h, const struct siommu_sva_range *ranges,
	   unsigned int nr);
/* mm.c: drop @h's pins. Never fails. Takes lock. */
void mm_unpin(struct siommu_mm *mm, struct siommu_sva *h);

#endif
