/* SPDX-License-Identifier: MIT */
/*
 * A model's DMA, shared by the models (internal): the one-page transfer
 * that a cached translation serves in one short path, the piece-by-piece
 * loop for everything else, where a translated piece lies in the host, and
 * the copies a DMA read or write makes of each piece.
 *
 * Both copy inside a read-side section of the model's RCU domain that
 * also covers the piece's translation, so that an invalidation wait (a
 * VT-d wait descriptor, an SMMUv3 CMD_SYNC, an SMMUv2 TLBSYNC: a grace
 * period) does not complete while memory is still accessed through a
 * translation it removed. The loop reopens its section every
 * DMA_PIECES_PER_SECTION pieces so that such a wait is not held off for a
 * whole transfer.
 *
 * The models' translation and fault callbacks are passed as constants to
 * these always-inline functions: each model's copy of them compiles to
 * straight-line code with its callbacks inlined.
 */
#ifndef SIOMMU_HW_COMMON_DMA_H
#define SIOMMU_HW_COMMON_DMA_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem/mem_internal.h"
#include "util/compiler.h"
#include "util/rcu.h"

#define DMA_PIECES_PER_SECTION 16

/* Host pointer for [pa, pa + len): the frame pool without a lookup, any
 * other RAM region through one; NULL across a hole or a region's end. */
static inline_hot void *dma_host(struct siommu_mem *mem, uint64_t pa, uint64_t len)
{
	uint64_t off = pa - mem->pool.base;

	if (likely(off < mem->pool.size && len <= mem->pool.size - off))
		return mem->pool.host + off;
	return siommu_mem_host(mem, pa, len);
}

/* A DMA read's piece: the host bytes at @host into the caller's buffer
 * @arg at @off. */
static inline int dma_copy_out(void *arg, void *host, size_t n, size_t off)
{
	memcpy((char *)arg + off, host, n);
	return 0;
}

/* A DMA write's piece: the caller's bytes at @arg + @off into @host. */
static inline int dma_copy_in(void *arg, void *host, size_t n, size_t off)
{
	memcpy(host, (const char *)arg + off, n);
	return 0;
}

/*
 * dma_one_page - a transfer of @len bytes at @iova within one 4K page whose
 * translation @hit finds in a cache: it returns true with *pa, the output
 * address of @iova, or false. The bytes are copied between @buf and the
 * RAM at *pa (@write: into it) inside one read-side section of @rcu, which
 * @hit runs in too. Returns false, having copied nothing, if @buf is NULL,
 * @len is 0 or crosses the page, entering the section would take a call,
 * @hit misses, or the output is not in the frame pool: the caller's piece
 * loop then does the transfer. On the way to a whole page's copy nothing
 * is a call, the copy included.
 */
static inline_hot bool dma_one_page(struct rcu_domain *rcu, struct siommu_mem *mem,
				    bool (*hit)(void *ctx, uint64_t *pa), void *ctx,
				    uint64_t iova, void *buf, size_t len, bool write)
{
	struct rcu_slot *rs;
	uint64_t pa;
	void *host;

	if (unlikely(!buf || !len || len > 4096 - (iova & 0xfff)))
		return false;
	/* Nothing nests in the section: @hit is lock-free. */
	rs = rcu_read_trylock_leaf(rcu);
	if (unlikely(!rs))
		return false;
	/* The frame pool's base and size are multiples of 1G
	 * (siommu_mem_create()): a page in it lies wholly in it. */
	if (unlikely(!hit(ctx, &pa)) || unlikely(!(host = mem_pool_host(mem, pa)))) {
		rcu_read_unlock_leaf(rcu, rs);
		return false;
	}
	/* A whole page, the common transfer, as a copy of known size, which
	 * the compiler makes inline without the library's size dispatch. */
	if (likely(len == 4096))
		memcpy(write ? host : buf, write ? buf : host, 4096);
	else
		memcpy(write ? host : buf, write ? buf : host, len);
	rcu_read_unlock_leaf(rcu, rs);
	return true;
}

/* One piece of a transfer: the output address of its first byte and the
 * bytes of its page (or block) from there on. */
struct dma_piece {
	uint64_t addr;
	uint64_t avail;
};

/* @xlate's answer: a fault for @report, outside the section. */
#define DMA_PIECE_FAULT 1

/*
 * dma_for_each_piece - the transfer [@iova, + @len) piece by piece. For
 * each piece, @xlate (given the bytes @left from its address to the end)
 * returns 0 with *p, DMA_PIECE_FAULT with a fault kept in @ctx, or a
 * negative errno that ends the transfer; @copy (given @arg, the host
 * bytes, their count and their offset in the transfer) returns 0 or a
 * negative errno that ends it. A fault ends it too: @report records it
 * outside any section of @rcu and gives the result. Returns 0 or that
 * error, -EINVAL if the range wraps, and -EFAULT if a piece's output is
 * not RAM; *done (if not NULL) is the bytes copied, except on -EINVAL.
 */
static inline_hot int dma_for_each_piece(struct rcu_domain *rcu, struct siommu_mem *mem,
					 uint64_t iova, size_t len, size_t *done,
					 int (*xlate)(void *ctx, uint64_t iova, uint64_t left,
						      struct dma_piece *p),
					 int (*report)(void *ctx, uint64_t iova),
					 int (*copy)(void *arg, void *host, size_t n, size_t off),
					 void *arg, void *ctx)
{
	unsigned int pieces = 0;
	uint64_t last;
	size_t off = 0;
	int ret = 0;

	if (len && __builtin_add_overflow(iova, (uint64_t)len - 1, &last))
		return -EINVAL;
	rcu_read_lock(rcu);
	while (off < len) {
		uint64_t at = iova + off, chunk;
		struct dma_piece p;
		void *host;

		ret = xlate(ctx, at, len - off, &p);
		if (ret == DMA_PIECE_FAULT) {
			/* A model's fault lock is never taken inside a
			 * read-side section of its own. */
			rcu_read_unlock(rcu);
			ret = report(ctx, at);
			goto out;
		}
		if (ret)
			break;
		chunk = p.avail < len - off ? p.avail : len - off;
		host = dma_host(mem, p.addr, chunk);
		if (!host) {
			ret = -EFAULT;
			break;
		}
		ret = copy(arg, host, (size_t)chunk, off);
		if (ret)
			break;
		off += (size_t)chunk;
		if (unlikely(++pieces == DMA_PIECES_PER_SECTION)) {
			pieces = 0;
			rcu_read_unlock(rcu);
			rcu_read_lock(rcu);
		}
	}
	rcu_read_unlock(rcu);
out:
	if (done)
		*done = off;
	return ret;
}

#endif
