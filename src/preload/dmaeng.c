/* SPDX-License-Identifier: MIT */
/*
 * The DMA copy engine behind each VFIO device file: its register file
 * (siommu/vfio_dmaeng.h) and the thread that runs its copies as DMA of the
 * device through its unit's model. A device with ATS and PRI behind a
 * VT-d unit issues its DMA through the device kit (siommu/atsdev.h), so a
 * page that does not translate becomes a page request (PCIe 10.4) the
 * copy waits on; any other device issues untranslated requests, and a
 * fault ends the copy.
 *
 * Locking: lock protects the registers, the thread's state and the
 * request flags; the copy itself runs without it (a program polls STATUS
 * meanwhile), on the register values taken when the doorbell rang.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/atsdev.h>
#include <siommu/smmuv2.h>
#include <siommu/smmuv3.h>
#include <siommu/vfio_dmaeng.h>
#include <siommu/vtd.h>

#include "preload/shim.h"

struct dmaeng {
	struct siommu_unit *unit;
	uint16_t rid;
	uint32_t max_pasid;		/* 0: no PASIDs */
	struct siommu_atsdev *ats;	/* VT-d with ATS and PRI, else NULL */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop, rung;
	uint64_t src, dst, len, done, fault_addr;
	uint32_t pasid, ctrl, status;
	unsigned char *buf;		/* the copy's staging, MAX_LEN bytes */
};

int dmaeng_create(struct siommu_ctx *ctx, struct siommu_unit *unit,
		  struct siommu_device *dev, struct dmaeng **out)
{
	struct siommu_device_info info;
	struct dmaeng *e;
	int ret;

	ret = siommu_device_get_info(dev, &info);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->unit = unit;
	e->rid = info.rid;
	e->max_pasid = info.max_pasid;
	if (siommu_unit_vtd(unit) && info.ats && info.pri) {
		ret = siommu_atsdev_create(siommu_unit_vtd(unit), &(struct siommu_atsdev_cfg){
			.mem = siommu_ctx_mem(ctx), .rid = info.rid }, &e->ats);
		if (ret) {
			free(e);
			return ret;
		}
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	*out = e;
	return 0;
}

void dmaeng_destroy(struct dmaeng *e)
{
	if (!e)
		return;
	dmaeng_stop(e);
	siommu_atsdev_destroy(e->ats);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e->buf);
	free(e);
}

/* One direction of the copy: 0, or -errno with *done bytes moved and
 * *fault where it stopped. */
static int dma(struct dmaeng *e, bool write, bool has_pasid, uint32_t pasid,
	       uint64_t iova, void *buf, size_t len, size_t *done, uint64_t *fault)
{
	struct siommu_vtd *vtd = siommu_unit_vtd(e->unit);
	struct siommu_smmuv3 *s3 = siommu_unit_smmuv3(e->unit);
	struct siommu_smmuv2 *s2 = siommu_unit_smmuv2(e->unit);
	int ret;

	*done = 0;
	if (e->ats) {
		struct siommu_atsdev_result res = { 0 };

		ret = siommu_atsdev_dma(e->ats, &(struct siommu_atsdev_req){
			.pasid_present = has_pasid, .pasid = pasid, .addr = iova,
			.write = write }, buf, len, &res);
		*done = res.done;
		*fault = ret ? res.fault_addr : 0;
		return ret;
	}
	if (vtd) {
		struct siommu_vtd_req req = { .rid = e->rid, .pasid_present = has_pasid,
					      .pasid = pasid, .iova = iova };

		ret = write ? siommu_vtd_dma_write(vtd, &req, buf, len, done, NULL) :
			      siommu_vtd_dma_read(vtd, &req, buf, len, done, NULL);
	} else if (s3) {
		struct siommu_smmuv3_req req = { .sid = e->rid, .ssv = has_pasid,
						 .ssid = pasid, .iova = iova };

		ret = write ? siommu_smmuv3_dma_write(s3, &req, buf, len, done, NULL) :
			      siommu_smmuv3_dma_read(s3, &req, buf, len, done, NULL);
	} else {
		/* SMMUv2 has no PASIDs: has_pasid was refused at the doorbell. */
		struct siommu_smmuv2_req req = { .sid = e->rid, .iova = iova };

		ret = write ? siommu_smmuv2_dma_write(s2, &req, buf, len, done, NULL) :
			      siommu_smmuv2_dma_read(s2, &req, buf, len, done, NULL);
	}
	*fault = ret ? iova + *done : 0;
	return ret;
}

/* The copy the doorbell asked for, with the registers it rang with. */
static void copy(struct dmaeng *e, uint64_t src, uint64_t dst, uint64_t len, bool has_pasid,
		 uint32_t pasid)
{
	uint64_t fault = 0;
	size_t done = 0;
	uint32_t status = SIOMMU_DMAENG_ST_DONE;

	if (dma(e, false, has_pasid, pasid, src, e->buf, len, &done, &fault)) {
		done = 0;
		status = SIOMMU_DMAENG_ST_FAULT;
	} else if (dma(e, true, has_pasid, pasid, dst, e->buf, len, &done, &fault)) {
		status = SIOMMU_DMAENG_ST_FAULT;
	}
	pthread_mutex_lock(&e->lock);
	e->done = done;
	e->fault_addr = fault;
	e->status = status;
	pthread_mutex_unlock(&e->lock);
}

static void *engine(void *arg)
{
	struct dmaeng *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		uint64_t src, dst, len;
		uint32_t pasid;
		bool has_pasid;

		while (!e->rung && !e->stop)
			pthread_cond_wait(&e->cond, &e->lock);
		if (e->stop)
			break;
		e->rung = false;
		src = e->src;
		dst = e->dst;
		len = e->len;
		pasid = e->pasid;
		has_pasid = e->ctrl & SIOMMU_DMAENG_CTRL_PASID;
		pthread_mutex_unlock(&e->lock);
		copy(e, src, dst, len, has_pasid, pasid);
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int dmaeng_start(struct dmaeng *e)
{
	int ret = 0;

	pthread_mutex_lock(&e->lock);
	if (!e->buf) {
		e->buf = malloc(SIOMMU_DMAENG_MAX_LEN);
		if (!e->buf)
			ret = -ENOMEM;
	}
	if (!ret && !e->running) {
		/* A device that comes to a new user starts from reset. */
		e->src = e->dst = e->len = e->done = e->fault_addr = 0;
		e->pasid = e->ctrl = 0;
		e->status = SIOMMU_DMAENG_ST_IDLE;
		e->stop = e->rung = false;
		ret = -pthread_create(&e->thread, NULL, engine, e);
		e->running = !ret;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

void dmaeng_stop(struct dmaeng *e)
{
	bool running;

	pthread_mutex_lock(&e->lock);
	running = e->running;
	e->stop = true;
	e->running = false;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (running)
		pthread_join(e->thread, NULL);
}

/* The doorbell: start a copy unless one runs (lock held). */
static void ring(struct dmaeng *e)
{
	if (e->status == SIOMMU_DMAENG_ST_BUSY)
		return;
	if (!e->len || e->len > SIOMMU_DMAENG_MAX_LEN ||
	    ((e->ctrl & SIOMMU_DMAENG_CTRL_PASID) && (!e->max_pasid || e->pasid > e->max_pasid))) {
		e->status = SIOMMU_DMAENG_ST_INVALID;
		return;
	}
	e->status = SIOMMU_DMAENG_ST_BUSY;
	e->done = e->fault_addr = 0;
	e->rung = true;
	pthread_cond_signal(&e->cond);
}

/* The register at 8-byte aligned @off, as a u64 (u32 pairs in order). */
static uint64_t reg_get(struct dmaeng *e, unsigned int off)
{
	switch (off) {
	case SIOMMU_DMAENG_ID:
		return SIOMMU_DMAENG_ID_VALUE | (uint64_t)1 << 32;
	case SIOMMU_DMAENG_SRC:
		return e->src;
	case SIOMMU_DMAENG_DST:
		return e->dst;
	case SIOMMU_DMAENG_LEN:
		return e->len;
	case SIOMMU_DMAENG_PASID:
		return e->pasid | (uint64_t)e->ctrl << 32;
	case SIOMMU_DMAENG_DOORBELL:
		return (uint64_t)e->status << 32;
	case SIOMMU_DMAENG_DONE_BYTES:
		return e->done;
	case SIOMMU_DMAENG_FAULT_ADDR:
		return e->fault_addr;
	}
	return 0;
}

/* Access checks shared by reads and writes: 4 or 8 bytes, aligned, inside
 * the BAR. */
static int access_ok(uint64_t off, size_t len)
{
	if ((len != 4 && len != 8) || off % len || off >= SIOMMU_DMAENG_BAR_SIZE)
		return -EINVAL;
	return 0;
}

int dmaeng_read(struct dmaeng *e, uint64_t off, void *buf, size_t len)
{
	uint64_t v;
	int ret = access_ok(off, len);

	if (ret)
		return ret;
	pthread_mutex_lock(&e->lock);
	v = reg_get(e, (unsigned int)(off & ~7ull));
	pthread_mutex_unlock(&e->lock);
	if (len == 4) {
		uint32_t w = (uint32_t)(off & 4 ? v >> 32 : v);

		memcpy(buf, &w, 4);
	} else {
		memcpy(buf, &v, 8);
	}
	return 0;
}

/* Store @val (@len bytes at @off, in register @reg's u64 view) into the
 * writable register it lands on (lock held). */
static void reg_set(uint64_t *reg, uint64_t off, size_t len, uint64_t val)
{
	if (len == 8)
		*reg = val;
	else if (off & 4)
		*reg = (*reg & 0xffffffffull) | val << 32;
	else
		*reg = (*reg & ~0xffffffffull) | val;
}

int dmaeng_write(struct dmaeng *e, uint64_t off, const void *buf, size_t len)
{
	uint64_t val = 0, pair;
	int ret = access_ok(off, len);

	if (ret)
		return ret;
	memcpy(&val, buf, len);
	pthread_mutex_lock(&e->lock);
	switch (off & ~7ull) {
	case SIOMMU_DMAENG_SRC:
		reg_set(&e->src, off, len, val);
		break;
	case SIOMMU_DMAENG_DST:
		reg_set(&e->dst, off, len, val);
		break;
	case SIOMMU_DMAENG_LEN:
		reg_set(&e->len, off, len, val);
		break;
	case SIOMMU_DMAENG_PASID:
		pair = e->pasid | (uint64_t)e->ctrl << 32;
		reg_set(&pair, off, len, val);
		e->pasid = (uint32_t)pair;
		e->ctrl = (uint32_t)(pair >> 32) & SIOMMU_DMAENG_CTRL_PASID;
		break;
	case SIOMMU_DMAENG_DOORBELL:
		/* The doorbell is the low word; STATUS above it is read-only. */
		if (!(off & 4))
			ring(e);
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}
