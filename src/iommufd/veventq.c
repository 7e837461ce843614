/* SPDX-License-Identifier: MIT */
/*
 * vEVENTQ objects (siommu/iommufd.h): a vIOMMU's queue of the events of
 * one type that its devices' nested translation raises (Linux:
 * iommufd_veventq; on SMMUv3 the guest's stage-1 event records with the
 * virtual StreamID), read as a stream of {header, data} records.
 *
 * A queue holds at most depth events. Past it an event is dropped and a
 * LOST_EVENTS header (no data) stands after the events queued, taking a
 * sequence number of its own: every event reported, kept or not, takes
 * the next number (0 to INT32_MAX, then 0 again), so gaps show loss too.
 * An event queued later takes the header's place at the tail, as
 * Linux's does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <siommu/mock.h>

#include "iommufd/iommufd_internal.h"

/* The record header (Linux: struct iommufd_vevent_header). */
struct vevent_header {
	uint32_t flags;
	uint32_t sequence;
};

static struct ifd_veventq *veventq_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_VEVENTQ);

	return obj ? container_of(obj, struct ifd_veventq, obj) : NULL;
}

/* The queue of @v of @type, or NULL. Under vevent_lock or attach_lock. */
static struct ifd_veventq *veventq_find(struct ifd_viommu *v, uint32_t type)
{
	struct ifd_veventq *q;

	cds_list_for_each_entry(q, &v->veventqs, node)
		if (q->type == type)
			return q;
	return NULL;
}

/* The fd's readiness follows the queue. Under q->lock. */
static void veventq_notify(struct ifd_veventq *q)
{
	ifd_eventfd_set(q->efd, !cds_list_empty(&q->events) || q->lost);
}

static void veventq_notify_arg(void *arg)
{
	veventq_notify(arg);
}

int SIOMMU_EXPORT siommu_veventq_alloc(struct siommu_iommufd *ictx, uint32_t viommu_id,
				       uint32_t flags, uint32_t type, uint32_t depth,
				       uint32_t *out_id)
{
	struct ifd_veventq *q;
	struct ifd_viommu *v;
	struct ifd_obj *vobj;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	if (flags || type == SIOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!depth)
		return -EINVAL;
	vobj = ifd_obj_get(ictx, viommu_id, SIOMMU_IOMMUFD_OBJ_VIOMMU);
	if (!vobj)
		return -ENOENT;
	v = container_of(vobj, struct ifd_viommu, obj);
	/* The types a vIOMMU's driver reports: SMMUv3's event records, the
	 * mock's test events (siommu/mock.h). */
	if (!(type == SIOMMU_VEVENTQ_TYPE_ARM_SMMUV3 &&
	      v->type == SIOMMU_VIOMMU_TYPE_ARM_SMMUV3) &&
	    !(type == SIOMMU_VEVENTQ_TYPE_SELFTEST && v->type == SIOMMU_VIOMMU_TYPE_SELFTEST)) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	q = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*q));
	if (!q) {
		ret = -ENOMEM;
		goto out_put;
	}
	q->ictx = ictx;
	q->viommu = v;
	q->type = type;
	q->depth = depth;
	q->efd = -1;
	CDS_INIT_LIST_HEAD(&q->events);
	ret = ifd_obj_reserve(ictx, &q->obj, SIOMMU_IOMMUFD_OBJ_VEVENTQ);
	if (ret)
		goto out_free;
	pthread_mutex_init(&q->lock, NULL);
	fifo_lock(&ictx->attach_lock);
	if (veventq_find(v, type)) {
		fifo_unlock(&ictx->attach_lock);
		ret = -EEXIST;
		goto out_abort;
	}
	pthread_mutex_lock(&v->vevent_lock);
	cds_list_add_tail(&q->node, &v->veventqs);
	pthread_mutex_unlock(&v->vevent_lock);
	ifd_obj_use(ictx, &v->obj);
	fifo_unlock(&ictx->attach_lock);
	*out_id = q->obj.id;
	ifd_obj_publish(ictx, &q->obj);
	ifd_obj_put(ictx, vobj);
	return 0;

out_abort:
	pthread_mutex_destroy(&q->lock);
	ifd_obj_abort(ictx, &q->obj);
out_free:
	free(q);
out_put:
	ifd_obj_put(ictx, vobj);
	return ret;
}

/* Out of the table: nobody reads it; no reporter reaches it once it is
 * off the vIOMMU's list. */
void ifd_veventq_destroy(struct siommu_iommufd *ictx, struct ifd_veventq *q)
{
	struct ifd_viommu *v = q->viommu;
	struct ifd_vevent *e, *en;

	fifo_lock(&ictx->attach_lock);
	pthread_mutex_lock(&v->vevent_lock);
	cds_list_del(&q->node);
	pthread_mutex_unlock(&v->vevent_lock);
	ifd_obj_unuse(ictx, &v->obj);
	fifo_unlock(&ictx->attach_lock);
	cds_list_for_each_entry_safe(e, en, &q->events, node)
		free(e);
	if (q->efd >= 0)
		close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* Take the next sequence number. Under q->lock. */
static uint32_t veventq_seq(struct ifd_veventq *q)
{
	uint32_t seq = q->sequence;

	q->sequence = (q->sequence + 1) & INT32_MAX;
	return seq;
}

int ifd_viommu_report_event(struct ifd_viommu *v, uint32_t type, const void *data,
			    uint32_t len)
{
	struct ifd_veventq *q;
	struct ifd_vevent *e = NULL;

	pthread_mutex_lock(&v->vevent_lock);
	q = veventq_find(v, type);
	if (!q) {
		pthread_mutex_unlock(&v->vevent_lock);
		return -EOPNOTSUPP;
	}
	pthread_mutex_lock(&q->lock);
	if (q->nr_events < q->depth)
		e = ifd_should_fail(q->ictx) ? NULL : malloc(sizeof(*e) + len);
	if (e) {
		/* It takes the lost-events header's place at the tail. */
		q->lost = false;
		e->sequence = veventq_seq(q);
		e->len = len;
		memcpy(e->data, data, len);
		cds_list_add_tail(&e->node, &q->events);
		q->nr_events++;
	} else {
		/* Full (or no memory): dropped; the header says so. */
		q->lost = true;
		q->lost_sequence = veventq_seq(q);
	}
	veventq_notify(q);
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_unlock(&v->vevent_lock);
	return 0;
}

int SIOMMU_EXPORT siommu_veventq_read(struct siommu_iommufd *ictx, uint32_t veventq_id,
				      void *buf, uint64_t count, uint64_t *nread)
{
	struct vevent_header h;
	struct ifd_veventq *q;
	struct ifd_vevent *e;
	unsigned char *out = buf;
	uint64_t done = 0;

	if (!ictx || !nread || (count && !buf))
		return -EINVAL;
	q = veventq_get(ictx, veventq_id);
	if (!q)
		return -ENOENT;
	pthread_mutex_lock(&q->lock);
	while (!cds_list_empty(&q->events)) {
		e = cds_list_first_entry(&q->events, struct ifd_vevent, node);
		if (count - done < sizeof(h) + e->len)
			break;
		h = (struct vevent_header){ 0, e->sequence };
		memcpy(out + done, &h, sizeof(h));
		memcpy(out + done + sizeof(h), e->data, e->len);
		done += sizeof(h) + e->len;
		cds_list_del(&e->node);
		q->nr_events--;
		free(e);
	}
	if (cds_list_empty(&q->events) && q->lost && count - done >= sizeof(h)) {
		h = (struct vevent_header){ SIOMMU_VEVENTQ_FLAG_LOST_EVENTS, q->lost_sequence };
		memcpy(out + done, &h, sizeof(h));
		done += sizeof(h);
		q->lost = false;
	}
	veventq_notify(q);
	pthread_mutex_unlock(&q->lock);
	ifd_obj_put(ictx, &q->obj);
	*nread = done;
	return 0;
}

int ifd_veventq_open_fd(struct siommu_iommufd *ictx, uint32_t id, int *out_fd)
{
	struct ifd_veventq *q = veventq_get(ictx, id);
	int ret;

	if (!q)
		return -ENOENT;
	ret = ifd_eventfd_attach(ictx, &q->lock, &q->efd, veventq_notify_arg, q, out_fd);
	ifd_obj_put(ictx, &q->obj);
	return ret;
}
