/* SPDX-License-Identifier: MIT */
/*
 * Internal view of the DMA API (siommu/dma.h).
 *
 * Objects: a struct dma_dom wraps one DMA domain (a core domain, its IOVA
 * allocator, the record of live mappings, the flush queue); a struct
 * dma_dev is one device's use of it: the DMA API owns the device
 * (siommu_device_claim()) with the dma_dev as its cookie. Several devices
 * of a group share one dma_dom.
 *
 * Locking. ctx->dma_lock serialises setup, teardown and PASID changes and
 * protects ctx->dma_doms, dma_dom.users and dma_dev.pasid; it is taken
 * before ctx->lock. The map/unmap paths take no configuration lock:
 *   - dma_shard.lock protects one shard of the live-mapping record (its
 *     tree and count); a mapping lives in the shard its key hashes to;
 *   - dma_fq.lock protects one per-CPU part of the flush queue (its ring);
 *     its counters are relaxed atomics;
 *   (both are util/ylock.h locks: nearly never contended, and a pthread
 *   mutex's two atomics per section were a sixth of a lazy map+unmap)
 *   - dma_dom.flush_lock serialises the domain-wide flushes of the queue and
 *     protects `flushes`; fq_started/fq_finished are written under it and
 *     read with atomics, fq_deadline is an atomic.
 * No two of shard, fq and flush_lock are held at once; reclaimed entries
 * are taken off a part under its lock and freed (IOVAs, and table levels
 * after a grace period) once it is dropped. flush_lock is taken before the
 * core's domain lock.
 */
#ifndef SIOMMU_DMA_INTERNAL_H
#define SIOMMU_DMA_INTERNAL_H

#include <bsd/sys/tree.h>
#include <pthread.h>

#include <siommu/dma.h>
#include <siommu/iova.h>

#include "core/core_internal.h"
#include "util/ylock.h"

#define DMA_SHARDS 64		/* live-record shards (a power of two) */
#define DMA_FQ_MAX 16		/* flush-queue parts at most (a power of two) */

enum dma_kind { DMA_SINGLE, DMA_SG, DMA_COHERENT };

/*
 * A live mapping, keyed by the DMA address handed out (map_single's iova,
 * the first segment's dma_addr, the coherent buffer's iova). Identity
 * domains hand out PAs, so two identical mappings of one buffer share a
 * node (count).
 */
struct dma_map {
	RB_ENTRY(dma_map) link;
	uint64_t key;
	uint64_t len;		/* buffer, sum of segments, or coherent size */
	uint32_t nents;		/* segments (SG), else 0 */
	uint8_t dir;
	uint8_t kind;
	uint32_t count;
	uint64_t base, size;	/* the IOVA allocation (paging domains) */
	uint64_t pa, frame_size;	/* coherent buffers' frames */
};

RB_HEAD(dma_map_tree, dma_map);

struct dma_shard {
	struct ylock lock;
	struct dma_map_tree root;
	uint64_t live;
} __attribute__((aligned(64)));

/* An unmapped range waiting for the flush of generation > gen. */
struct dma_fq_entry {
	uint64_t iova, size;
	uint64_t gen;
	uint32_t pages_head, nr_pages;	/* table levels the unmap unlinked */
};

/* One per-CPU part of the flush queue: a ring, oldest at head. */
struct dma_fq {
	struct ylock lock;
	unsigned int head, n;
	uint64_t maps, unmaps, waits, batched;	/* relaxed atomics */
	struct dma_fq_entry e[SIOMMU_DMA_FQ_SIZE];
} __attribute__((aligned(64)));

struct dma_dom {
	struct cds_list_head node;	/* ctx->dma_doms */
	struct siommu_ctx *ctx;
	struct siommu_mem *mem;
	struct siommu_domain *dom;
	struct siommu_iova *iovad;	/* NULL for identity domains */
	enum siommu_dma_policy policy;	/* STRICT or LAZY */
	bool identity;
	unsigned int users;

	pthread_mutex_t flush_lock;
	uint64_t fq_started, fq_finished;
	uint64_t fq_deadline;		/* coarse-clock ns; 0: nothing queued */
	uint64_t flushes;
	unsigned int nr_fq;
	struct dma_fq *fq;

	struct dma_shard shards[DMA_SHARDS];
};

struct dma_dev {
	struct siommu_device *dev;
	struct dma_dom *dd;
	uint64_t limit;		/* highest DMA address, inclusive */
	uint32_t pasid;		/* enabled PASID, 0: none */
};

/* Flush queue (fq.c). */
int dma_fq_init(struct dma_dom *dd);
void dma_fq_fini(struct dma_dom *dd);
/* Queue [iova, iova + size), already unmapped without a flush, and the
 * levels @g holds; may flush. */
void dma_fq_queue(struct dma_dom *dd, uint64_t iova, uint64_t size,
		  struct siommu_pt_gather *g);
/* Flush the domain and free every entry. */
void dma_fq_flush_all(struct dma_dom *dd);
/* The time bound, checked on map and unmap of a lazy domain. */
void dma_fq_check_time(struct dma_dom *dd);
struct dma_fq *dma_fq_this_cpu(struct dma_dom *dd);

static inline void dma_count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* Live-mapping record (map.c). */
void dma_records_init(struct dma_dom *dd);
/* Free every record; coherent buffers' frames too. Nothing may run. */
void dma_records_fini(struct dma_dom *dd);
/* Live records now. */
uint64_t dma_records_live(struct dma_dom *dd);

/*
 * The DMA API's release callback for devices it owns (siommu_device_claim()):
 * the same as siommu_dma_teardown().
 */
void dma_owner_release(void *cookie, struct siommu_device *dev);

/* The device's DMA state, published by setup when it claims the device. */
static inline struct dma_dev *dma_dev_of(struct siommu_device *dev)
{
	return dev ? core_device_owner(dev, dma_owner_release) : NULL;
}

#endif
