/* SPDX-License-Identifier: MIT */
/*
 * The GPU-like device model (siommu/gpu.h): a command processor running
 * per-client jobs, each client in a private PASID or a bound process's
 * (SVA) PASID; on a PASID-less SMMUv2
 * the CP switches its context bank's TTBR0 and ASID itself, from the
 * tables the IOMMU driver installs through the device's PASID hooks.
 *
 * Locking: cp_lock is the command processor: held for a whole job, and by
 * the PASID hooks (so an install or remove waits for the job running),
 * and it protects the installed tables, which one is live, the hung state
 * and the counters.
 * The hooks run under the context's lock; a job never waits for it (it
 * only writes the unit's registers and issues DMA), so the order is
 * ctx->lock, then cp_lock. The fault handler runs in the thread of the
 * faulting DMA, which is a job's, holding cp_lock already. stall_lock
 * (innermost: the stall_end hook runs under a lock of the IOMMU driver)
 * protects the count of stall ends a job waits on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/gpu.h>
#include <siommu/ppasid.h>
#include <siommu/smmuv2.h>
#include <siommu/sva.h>
#include <siommu/vtd.h>

#include "core/core_internal.h"

#define GPU_MAX_TABLES 64	/* installed PASIDs, at most one per client */

struct gpu_table {
	bool used;
	uint32_t pasid;
	struct siommu_pasid_table t;
};

struct siommu_gpu {
	struct siommu_device *dev;
	struct siommu_smmuv2 *smmu;	/* NULL: the unit has PASIDs */
	struct siommu_vtd *vtd;		/* or one of these two, with PASIDs */
	struct siommu_smmuv3 *smmuv3;
	pthread_mutex_t cp_lock;
	struct gpu_table tables[GPU_MAX_TABLES];
	/* The client table live in the bank (SMMUv2): its PASID (0: the
	 * GPU's own table is), bank and TTBR0, and the GPU's own TTBR0 that
	 * the first switch found there, put back when the live table goes. */
	uint32_t live;
	unsigned int live_cb;
	uint64_t live_ttbr, own_ttbr;
	bool hung;
	struct siommu_gpu_fault fault;	/* of the job running */
	/* SMMUv2 with SIOMMU_DEV_STALL: stalls of a job that ended, and how
	 * many of them retried; under stall_lock. */
	pthread_mutex_t stall_lock;
	pthread_cond_t stall_cond;
	uint64_t stall_ends, stall_retries;
	uint8_t *scratch;		/* a copy's bytes in flight */
	unsigned int clients;
	struct siommu_gpu_stats st;
};

/* A client: a private PASID (pp), or a process bound to the GPU (sva). */
struct siommu_gpu_client {
	struct siommu_gpu *gpu;
	struct siommu_ppasid *pp;
	struct siommu_sva *sva;
};

/* PASID hooks (SMMUv2) ------------------------------------------------------ */

static struct gpu_table *table_find(struct siommu_gpu *gpu, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; i < GPU_MAX_TABLES; i++)
		if (gpu->tables[i].used && gpu->tables[i].pasid == pasid)
			return &gpu->tables[i];
	return NULL;
}

static void cp_wr32(struct siommu_gpu *gpu, uint64_t off, uint32_t v);

/*
 * Back to the GPU's own table in the bank, if a client's is live (cp_lock
 * held). Its ASID's entries are the IOMMU driver's to keep coherent: no
 * invalidation is needed to use them again.
 */
static void cp_own(struct siommu_gpu *gpu)
{
	uint64_t cb = SIOMMU_SMMUV2_CB(gpu->live_cb);

	if (!gpu->live)
		return;
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_TTBR0, (uint32_t)gpu->own_ttbr);
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_TTBR0 + 4, (uint32_t)(gpu->own_ttbr >> 32));
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_CONTEXTIDR, 0);
	gpu->live = 0;
}

/* The driver installs (or moves) a PASID's table: kept for the CP's next
 * switch. A job with the old one has finished (we hold the CP), and the
 * old one, if live, leaves the bank. */
static void gpu_install(void *arg, struct siommu_device *dev, uint32_t pasid,
			struct siommu_domain *dom, const struct siommu_pasid_table *t)
{
	struct siommu_gpu *gpu = arg;
	struct gpu_table *e;
	unsigned int i;

	(void)dev;
	(void)dom;
	pthread_mutex_lock(&gpu->cp_lock);
	if (gpu->live == pasid)
		cp_own(gpu);
	e = table_find(gpu, pasid);
	for (i = 0; !e && i < GPU_MAX_TABLES; i++)
		if (!gpu->tables[i].used)
			e = &gpu->tables[i];
	/* Clients are capped at GPU_MAX_TABLES: there is always a slot. */
	SIOMMU_ASSERT(e);
	if (e)
		*e = (struct gpu_table){ true, pasid, *t };
	pthread_mutex_unlock(&gpu->cp_lock);
}

static void gpu_remove(void *arg, struct siommu_device *dev, uint32_t pasid,
		       struct siommu_domain *dom)
{
	struct siommu_gpu *gpu = arg;
	struct gpu_table *e;

	(void)dev;
	(void)dom;
	pthread_mutex_lock(&gpu->cp_lock);
	if (gpu->live == pasid)
		cp_own(gpu);
	e = table_find(gpu, pasid);
	if (e)
		e->used = false;
	pthread_mutex_unlock(&gpu->cp_lock);
}

/* The IOMMU driver ended the job's stalled transaction (SMMUv2). */
static void gpu_stall_end(void *arg, struct siommu_device *dev, bool retry)
{
	struct siommu_gpu *gpu = arg;

	(void)dev;
	pthread_mutex_lock(&gpu->stall_lock);
	gpu->stall_ends++;
	gpu->stall_retries += retry;
	pthread_cond_broadcast(&gpu->stall_cond);
	pthread_mutex_unlock(&gpu->stall_lock);
}

static const struct siommu_pasid_hooks gpu_hooks = {
	.install_pasid = gpu_install, .remove_pasid = gpu_remove,
	.stall_end = gpu_stall_end,
};

static void gpu_fault(void *arg, struct siommu_device *dev, const struct siommu_fault *f)
{
	struct siommu_gpu *gpu = arg;

	(void)dev;
	/* SMMUv3: from the job's result instead (cp_dma()). */
	if (gpu->smmuv3)
		return;
	/* In the faulting job's thread, which holds cp_lock. */
	gpu->fault.addr = f->addr;
	gpu->fault.reason = f->reason;
	gpu->fault.write = f->write;
	gpu->fault.reported = true;
}

/* The GPU ---------------------------------------------------------------------- */

int SIOMMU_EXPORT siommu_gpu_create(struct siommu_device *dev, struct siommu_gpu **out)
{
	struct siommu_device_info info;
	struct siommu_gpu *gpu;
	int ret;

	if (!dev || !out)
		return -EINVAL;
	siommu_device_get_info(dev, &info);
	if (mem_should_fail(dev->unit->ctx->mem))
		return -ENOMEM;
	gpu = calloc(1, sizeof(*gpu));
	if (!gpu)
		return -ENOMEM;
	gpu->scratch = mem_should_fail(dev->unit->ctx->mem) ? NULL :
		       malloc(SIOMMU_GPU_JOB_MAX);
	if (!gpu->scratch) {
		free(gpu);
		return -ENOMEM;
	}
	gpu->dev = dev;
	gpu->smmu = siommu_unit_smmuv2(dev->unit);
	gpu->vtd = siommu_unit_vtd(dev->unit);
	gpu->smmuv3 = siommu_unit_smmuv3(dev->unit);
	pthread_mutex_init(&gpu->cp_lock, NULL);
	pthread_mutex_init(&gpu->stall_lock, NULL);
	pthread_cond_init(&gpu->stall_cond, NULL);
	if (info.pasid_bits && (gpu->vtd || gpu->smmuv3)) {
		ret = 0;
	} else if (gpu->smmu) {
		ret = siommu_device_set_pasid_hooks(dev, SIOMMU_GPU_PASID_BITS, &gpu_hooks,
						    gpu);
	} else {
		ret = -EOPNOTSUPP;
	}
	/* The device's fault handler is the GPU's alone: a second GPU on
	 * the device would take the first one's faults. */
	if (!ret) {
		ret = core_device_set_fault_handler_excl(dev, gpu_fault, gpu);
		if (ret && gpu->smmu)
			siommu_device_set_pasid_hooks(dev, 0, NULL, NULL);
	}
	if (ret) {
		pthread_cond_destroy(&gpu->stall_cond);
		pthread_mutex_destroy(&gpu->stall_lock);
		pthread_mutex_destroy(&gpu->cp_lock);
		free(gpu->scratch);
		free(gpu);
		return ret;
	}
	*out = gpu;
	return 0;
}

void SIOMMU_EXPORT siommu_gpu_destroy(struct siommu_gpu *gpu)
{
	if (!gpu)
		return;
	SIOMMU_ASSERT(!gpu->clients);
	siommu_device_set_fault_handler(gpu->dev, NULL, NULL);
	if (gpu->smmu)
		siommu_device_set_pasid_hooks(gpu->dev, 0, NULL, NULL);
	pthread_cond_destroy(&gpu->stall_cond);
	pthread_mutex_destroy(&gpu->stall_lock);
	pthread_mutex_destroy(&gpu->cp_lock);
	free(gpu->scratch);
	free(gpu);
}

/* A new client of @gpu: a private PASID of @owner, or bound to @mm. */
static int client_new(struct siommu_gpu *gpu, uint64_t owner, struct siommu_mm *mm,
		      struct siommu_gpu_client **out)
{
	struct siommu_gpu_client *c;
	int ret;

	pthread_mutex_lock(&gpu->cp_lock);
	if (gpu->clients == GPU_MAX_TABLES) {
		pthread_mutex_unlock(&gpu->cp_lock);
		return -ENOSPC;
	}
	gpu->clients++;		/* a table slot for it, held from now */
	pthread_mutex_unlock(&gpu->cp_lock);
	c = mem_should_fail(gpu->dev->unit->ctx->mem) ? NULL : calloc(1, sizeof(*c));
	if (!c)
		ret = -ENOMEM;
	else if (mm)
		ret = siommu_sva_bind(gpu->dev, mm, &c->sva);
	else
		ret = siommu_ppasid_alloc(&gpu->dev, 1, owner, &c->pp);
	if (ret) {
		free(c);
		pthread_mutex_lock(&gpu->cp_lock);
		gpu->clients--;
		pthread_mutex_unlock(&gpu->cp_lock);
		return ret;
	}
	c->gpu = gpu;
	*out = c;
	return 0;
}

int SIOMMU_EXPORT siommu_gpu_client_add(struct siommu_gpu *gpu, uint64_t owner,
					struct siommu_gpu_client **out)
{
	if (!gpu || !out)
		return -EINVAL;
	return client_new(gpu, owner, NULL, out);
}

int SIOMMU_EXPORT siommu_gpu_client_bind(struct siommu_gpu *gpu, struct siommu_mm *mm,
					 struct siommu_gpu_client **out)
{
	if (!gpu || !mm || !out)
		return -EINVAL;
	return client_new(gpu, 0, mm, out);
}

void SIOMMU_EXPORT siommu_gpu_client_remove(struct siommu_gpu_client *c)
{
	struct siommu_gpu *gpu;

	if (!c)
		return;
	gpu = c->gpu;
	/* The remove hook waits for a job of the client that is running. */
	if (c->sva)
		siommu_sva_unbind(c->sva);
	else
		siommu_ppasid_free(c->pp);
	pthread_mutex_lock(&gpu->cp_lock);
	gpu->clients--;
	pthread_mutex_unlock(&gpu->cp_lock);
	free(c);
}

uint32_t SIOMMU_EXPORT siommu_gpu_client_pasid(const struct siommu_gpu_client *c)
{
	return c->sva ? siommu_sva_pasid(c->sva) : siommu_ppasid_pasid(c->pp);
}

int SIOMMU_EXPORT siommu_gpu_client_map(struct siommu_gpu_client *c, uint64_t iova,
					uint64_t pa, uint64_t length, unsigned int prot)
{
	return c && c->pp ? siommu_ppasid_map(c->pp, iova, pa, length, prot) : -EINVAL;
}

int SIOMMU_EXPORT siommu_gpu_client_unmap(struct siommu_gpu_client *c, uint64_t iova,
					  uint64_t length, uint64_t *unmapped)
{
	return c && c->pp ? siommu_ppasid_unmap(c->pp, iova, length, unmapped) : -EINVAL;
}

/* The command processor ------------------------------------------------------ */

static void cp_wr32(struct siommu_gpu *gpu, uint64_t off, uint32_t v)
{
	siommu_smmuv2_mmio_write(gpu->smmu, off, 4, v);
}

/*
 * CP_SMMU_TABLE_UPDATE: the bank's TTBR0 in two 32-bit writes (the ASID in
 * the high word's bits 31:16), CONTEXTIDR, then the invalidation the
 * architecture asks for before the new ASID's translations are used
 * (TLBIASID, TLBSYNC; SMMUv2 10.6).
 */
static void cp_switch(struct siommu_gpu *gpu, const struct gpu_table *e)
{
	uint64_t cb = SIOMMU_SMMUV2_CB(e->t.cb);

	if (gpu->live == e->pasid && gpu->live_cb == e->t.cb && gpu->live_ttbr == e->t.ttbr)
		return;		/* the same client's table is live: no switch */
	if (!gpu->live)
		siommu_smmuv2_mmio_read(gpu->smmu, cb + SIOMMU_SMMUV2_CB_TTBR0, 8,
					&gpu->own_ttbr);
	gpu->live = e->pasid;
	gpu->live_cb = e->t.cb;
	gpu->live_ttbr = e->t.ttbr;
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_TTBR0, (uint32_t)e->t.ttbr);
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_TTBR0 + 4, (uint32_t)(e->t.ttbr >> 32));
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_CONTEXTIDR, e->pasid);
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_TLBIASID, e->t.asid);
	cp_wr32(gpu, cb + SIOMMU_SMMUV2_CB_TLBSYNC, 0);
	gpu->st.switches++;
}

/* Stalls a transaction may go through before the job gives up. */
#define CP_STALL_RETRIES 16

/*
 * The job's DMA by the GPU's stream (SMMUv2). A transaction the bank
 * holds (-EAGAIN: a fault in a bound process's table, with
 * SIOMMU_DEV_STALL) waits for the IOMMU driver's stall_end and is issued
 * again on retry, from the page it stopped at; aborted, it is the job's
 * fault.
 */
static int cp_dma_smmuv2(struct siommu_gpu *gpu, const struct gpu_table *e, bool write,
			 uint64_t iova, void *buf, size_t len)
{
	struct siommu_smmuv2_req req = { .sid = gpu->dev->cfg.rid };
	struct siommu_smmuv2_xlate x;
	unsigned int tries;
	int ret = -EFAULT;

	for (tries = 0; tries < CP_STALL_RETRIES; tries++) {
		uint64_t ends, retries;
		size_t done = 0;

		pthread_mutex_lock(&gpu->stall_lock);
		ends = gpu->stall_ends;
		retries = gpu->stall_retries;
		pthread_mutex_unlock(&gpu->stall_lock);
		req.iova = iova;
		memset(&x, 0, sizeof(x));
		ret = write ? siommu_smmuv2_dma_write(gpu->smmu, &req, buf, len, &done, &x)
			    : siommu_smmuv2_dma_read(gpu->smmu, &req, buf, len, &done, &x);
		if (ret != -EAGAIN)
			break;
		pthread_mutex_lock(&gpu->stall_lock);
		while (gpu->stall_ends == ends)
			pthread_cond_wait(&gpu->stall_cond, &gpu->stall_lock);
		ret = gpu->stall_retries != retries ? -EAGAIN : -EFAULT;
		pthread_mutex_unlock(&gpu->stall_lock);
		iova += done;
		buf = (char *)buf + done;
		len -= done;
		if (ret == -EFAULT) {
			/* Aborted: the fault path refused the page. */
			if (!gpu->fault.reported) {
				gpu->fault.addr = iova & ~(uint64_t)(SIOMMU_SZ_4K - 1);
				gpu->fault.reason = x.fsr;
				gpu->fault.write = write;
			}
			break;
		}
	}
	if (ret) {
		gpu->fault.cb = x.global ? -1 : x.cb;
		gpu->fault.ttbr0 = e->t.ttbr;
	}
	return ret;
}

/* One DMA of the job, in the client's space. */
static int cp_dma(struct siommu_gpu *gpu, const struct gpu_table *e, uint32_t pasid,
		  bool write, uint64_t iova, void *buf, size_t len)
{
	int ret;

	if (gpu->smmu) {
		ret = cp_dma_smmuv2(gpu, e, write, iova, buf, len);
	} else if (gpu->smmuv3) {
		struct siommu_smmuv3_req req = {
			.sid = gpu->dev->cfg.rid, .ssv = true, .ssid = pasid, .iova = iova,
		};

		struct siommu_smmuv3_xlate x;
		size_t done = 0;

		memset(&x, 0, sizeof(x));
		ret = write ? siommu_smmuv3_dma_write(gpu->smmuv3, &req, buf, len, &done, &x)
			    : siommu_smmuv3_dma_read(gpu->smmuv3, &req, buf, len, &done, &x);
		/* The event queue may be drained by another thread's queue
		 * work, so the job's fault comes from the transaction's own
		 * result, as the event the unit recorded for it says. */
		if (ret) {
			gpu->fault.cb = -1;
			gpu->fault.addr = (iova + done) & ~(uint64_t)(SIOMMU_SZ_4K - 1);
			gpu->fault.reason = x.event;
			gpu->fault.write = write;
			gpu->fault.reported = x.event_recorded;
		}
	} else {
		struct siommu_vtd_req req = {
			.rid = gpu->dev->cfg.rid, .pasid_present = true, .pasid = pasid,
			.iova = iova,
		};

		ret = write ? siommu_vtd_dma_write(gpu->vtd, &req, buf, len, NULL, NULL)
			    : siommu_vtd_dma_read(gpu->vtd, &req, buf, len, NULL, NULL);
		if (ret)
			gpu->fault.cb = -1;
	}
	return ret ? -EFAULT : 0;
}

static int cp_run(struct siommu_gpu *gpu, const struct gpu_table *e, uint32_t pasid,
		  const struct siommu_gpu_job *job)
{
	int ret;

	switch (job->op) {
	case SIOMMU_GPU_WRITE:
		return cp_dma(gpu, e, pasid, true, job->dst, (void *)job->data, job->len);
	case SIOMMU_GPU_READ:
		return cp_dma(gpu, e, pasid, false, job->src, job->out, job->len);
	case SIOMMU_GPU_COPY:
		ret = cp_dma(gpu, e, pasid, false, job->src, gpu->scratch, job->len);
		return ret ? ret : cp_dma(gpu, e, pasid, true, job->dst, gpu->scratch, job->len);
	}
	return -EINVAL;
}

int SIOMMU_EXPORT siommu_gpu_submit(struct siommu_gpu_client *c,
				    const struct siommu_gpu_job *job,
				    struct siommu_gpu_fault *fault)
{
	struct siommu_gpu *gpu;
	struct gpu_table *e = NULL;
	uint32_t pasid;
	uint64_t last;
	int ret;

	/* A range past the top of the address space is no address a job
	 * can reach: a bad job, not a fault that hangs the GPU. */
	if (!c || !job || !job->len || job->len > SIOMMU_GPU_JOB_MAX ||
	    (unsigned int)job->op > SIOMMU_GPU_COPY ||
	    (job->op == SIOMMU_GPU_WRITE && !job->data) ||
	    (job->op == SIOMMU_GPU_READ && !job->out) ||
	    (job->op != SIOMMU_GPU_WRITE && __builtin_add_overflow(job->src, job->len - 1, &last)) ||
	    (job->op != SIOMMU_GPU_READ && __builtin_add_overflow(job->dst, job->len - 1, &last)))
		return -EINVAL;
	gpu = c->gpu;
	pasid = siommu_gpu_client_pasid(c);
	pthread_mutex_lock(&gpu->cp_lock);
	if (gpu->hung) {
		ret = -EIO;
		goto out_unlock;
	}
	if (gpu->smmu) {
		e = table_find(gpu, pasid);
		if (!e) {
			ret = -ENOENT;
			goto out_unlock;
		}
		cp_switch(gpu, e);
	}
	memset(&gpu->fault, 0, sizeof(gpu->fault));
	ret = cp_run(gpu, e, pasid, job);
	gpu->st.jobs++;
	if (ret) {
		gpu->hung = true;
		gpu->st.faults++;
		if (fault)
			*fault = gpu->fault;
	}
out_unlock:
	pthread_mutex_unlock(&gpu->cp_lock);
	return ret;
}

void SIOMMU_EXPORT siommu_gpu_recover(struct siommu_gpu *gpu)
{
	pthread_mutex_lock(&gpu->cp_lock);
	if (gpu->hung) {
		/* A reset CP starts in the GPU's own table. */
		if (gpu->smmu)
			cp_own(gpu);
		gpu->hung = false;
		gpu->st.recoveries++;
	}
	pthread_mutex_unlock(&gpu->cp_lock);
}

void SIOMMU_EXPORT siommu_gpu_get_stats(struct siommu_gpu *gpu, struct siommu_gpu_stats *st)
{
	pthread_mutex_lock(&gpu->cp_lock);
	*st = gpu->st;
	pthread_mutex_unlock(&gpu->cp_lock);
}
