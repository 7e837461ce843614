/* SPDX-License-Identifier: MIT */
/*
 * Fault queues: the page requests (PCIe PRI) of devices attached to HWPTs
 * allocated with a fault object, read as records with a cookie per group
 * and answered by cookie (PCIe 10.4.2: one response per group, after its
 * last request).
 *
 * The core's I/O page-fault path gathers the groups: a fault-capable
 * HWPT's domain has a deliverer (ifd_hwpt_iopf()) that queues each
 * complete group here with the core's cookie for it, and an answer goes
 * back through the core by that cookie. When an attachment goes, the
 * core answers its groups "invalid request" (Linux: detach answers
 * IOMMU_PAGE_RESP_INVALID), and the fault object forgets them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "iommufd/iommufd_internal.h"

static struct ifd_fault *fault_get(struct siommu_iommufd *ictx, uint32_t id)
{
	struct ifd_obj *obj = ifd_obj_get(ictx, id, SIOMMU_IOMMUFD_OBJ_FAULT);

	return obj ? container_of(obj, struct ifd_fault, obj) : NULL;
}

int SIOMMU_EXPORT siommu_fault_alloc(struct siommu_iommufd *ictx, uint32_t *out_id)
{
	struct ifd_fault *fault;
	int ret;

	if (!ictx || !out_id)
		return -EINVAL;
	fault = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*fault));
	if (!fault)
		return -ENOMEM;
	ret = ifd_obj_reserve(ictx, &fault->obj, SIOMMU_IOMMUFD_OBJ_FAULT);
	if (ret) {
		free(fault);
		return ret;
	}
	fault->ictx = ictx;
	pthread_mutex_init(&fault->lock, NULL);
	CDS_INIT_LIST_HEAD(&fault->ready);
	CDS_INIT_LIST_HEAD(&fault->read);
	fault->next_cookie = 1;
	fault->efd = -1;
	*out_id = fault->obj.id;
	ifd_obj_publish(ictx, &fault->obj);
	return 0;
}

/*
 * Answer the groups on @answer "invalid" through the core (those it has
 * answered already are stale: nothing happens) and free them. No lock
 * held: an answer may run a device callback that reports another page
 * request, which is delivered here.
 */
static void groups_answer_invalid(struct siommu_iommufd *ictx, struct cds_list_head *answer)
{
	struct ifd_fault_group *g, *tmp;

	cds_list_for_each_entry_safe(g, tmp, answer, node) {
		(void)core_iopf_respond(ictx->ctx, g->core_cookie, IOMMU_PAGE_RESP_INVALID);
		free(g);
	}
}

/* The fd's readiness follows the ready list. Under fault->lock. */
static void fault_notify(struct ifd_fault *fault)
{
	ifd_eventfd_set(fault->efd, !cds_list_empty(&fault->ready));
}

static void fault_notify_arg(void *arg)
{
	fault_notify(arg);
}

void ifd_eventfd_set(int efd, bool ready)
{
	uint64_t v = 1;

	if (efd < 0)
		return;
	if (!ready) {
		if (read(efd, &v, sizeof(v)) < 0)
			v = 0;	/* EAGAIN: nothing was signalled */
	} else if (write(efd, &v, sizeof(v)) < 0) {
		v = 0;		/* EAGAIN: the count is saturated, still readable */
	}
}

int ifd_eventfd_attach(struct siommu_iommufd *ictx, pthread_mutex_t *lock, int *slot,
		       void (*notify)(void *arg), void *arg, int *out_fd)
{
	int ret = 0, efd, ufd;

	efd = ifd_should_fail(ictx) ? (errno = ENOMEM, -1) :
				     eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	ufd = fcntl(efd, F_DUPFD_CLOEXEC, 0);
	if (ufd < 0) {
		ret = -errno;
		close(efd);
		return ret;
	}
	pthread_mutex_lock(lock);
	if (*slot >= 0) {
		ret = -EBUSY;
	} else {
		*slot = efd;
		notify(arg);
	}
	pthread_mutex_unlock(lock);
	if (ret) {
		close(ufd);
		close(efd);
	} else {
		*out_fd = ufd;
	}
	return ret;
}

int ifd_fault_open_fd(struct siommu_iommufd *ictx, uint32_t fault_id, int *out_fd)
{
	struct ifd_fault *fault = fault_get(ictx, fault_id);
	int ret;

	if (!fault)
		return -ENOENT;
	ret = ifd_eventfd_attach(ictx, &fault->lock, &fault->efd, fault_notify_arg, fault,
				 out_fd);
	ifd_obj_put(ictx, &fault->obj);
	return ret;
}

/* Move the groups of @list that match (@idev, @pasid) (@idev NULL: all)
 * to @out. Under fault->lock. */
static void groups_take(struct cds_list_head *list, struct ifd_device *idev, uint32_t pasid,
			struct cds_list_head *out)
{
	struct ifd_fault_group *g, *tmp;

	cds_list_for_each_entry_safe(g, tmp, list, node)
		if (!idev || (g->idev == idev && g->pasid == pasid)) {
			cds_list_del(&g->node);
			cds_list_add_tail(&g->node, out);
		}
}

/* Out of the table: no HWPT uses it, so no group comes any more and the
 * core answered those of every attachment; anything left is answered. */
void ifd_fault_destroy(struct ifd_fault *fault)
{
	CDS_LIST_HEAD(answer);

	pthread_mutex_lock(&fault->lock);
	groups_take(&fault->ready, NULL, 0, &answer);
	groups_take(&fault->read, NULL, 0, &answer);
	pthread_mutex_unlock(&fault->lock);
	groups_answer_invalid(fault->ictx, &answer);
	if (fault->efd >= 0)
		close(fault->efd);
	pthread_mutex_destroy(&fault->lock);
	free(fault);
}

bool ifd_hwpt_iopf(void *arg, struct siommu_device *dev, uint32_t pasid,
		   const struct iommu_page_request *req, unsigned int n, uint64_t cookie)
{
	struct ifd_hwpt *hwpt = arg;
	struct ifd_fault *fault = hwpt->fault;
	struct ifd_fault_group *g;
	struct ifd_device *idev;

	/* A group sibling that another owner holds is none of ours. */
	idev = ifd_device_of(dev);
	if (!idev || idev->ictx != fault->ictx)
		return false;
	g = ifd_should_fail(fault->ictx) ? NULL :
	    malloc(sizeof(*g) + n * sizeof(g->reqs[0]));
	if (!g)
		return false;
	g->idev = idev;
	g->pasid = pasid ? pasid : SIOMMU_IOMMUFD_NO_PASID;
	g->cookie = 0;
	g->core_cookie = cookie;
	g->n = n;
	memcpy(g->reqs, req, n * sizeof(*req));
	pthread_mutex_lock(&fault->lock);
	cds_list_add_tail(&g->node, &fault->ready);
	fault_notify(fault);
	pthread_mutex_unlock(&fault->lock);
	return true;
}

void ifd_fault_flush(struct ifd_fault *fault, struct ifd_device *idev, uint32_t pasid)
{
	CDS_LIST_HEAD(answer);

	pthread_mutex_lock(&fault->lock);
	groups_take(&fault->ready, idev, pasid, &answer);
	groups_take(&fault->read, idev, pasid, &answer);
	fault_notify(fault);
	pthread_mutex_unlock(&fault->lock);
	groups_answer_invalid(fault->ictx, &answer);
}

int SIOMMU_EXPORT siommu_fault_read(struct siommu_iommufd *ictx, uint32_t fault_id,
				    struct siommu_hwpt_pgfault *recs, uint32_t max,
				    uint32_t *nread)
{
	struct ifd_fault_group *g, *tmp;
	struct ifd_fault *fault;
	uint32_t n = 0;
	unsigned int i;

	if (!ictx || !nread || (max && !recs))
		return -EINVAL;
	fault = fault_get(ictx, fault_id);
	if (!fault)
		return -ENOENT;
	pthread_mutex_lock(&fault->lock);
	cds_list_for_each_entry_safe(g, tmp, &fault->ready, node) {
		if (g->n > max - n)
			break;
		/* The cookie allocator wraps past 0, which means none. */
		g->cookie = fault->next_cookie++;
		if (!fault->next_cookie)
			fault->next_cookie = 1;
		for (i = 0; i < g->n; i++) {
			const struct iommu_page_request *r = &g->reqs[i];

			recs[n++] = (struct siommu_hwpt_pgfault){
				.flags = (r->pasid_present ? SIOMMU_PGFAULT_FLAGS_PASID_VALID : 0) |
					 (i == g->n - 1 ? SIOMMU_PGFAULT_FLAGS_LAST_PAGE : 0),
				.dev_id = g->idev->obj.id,
				.pasid = r->pasid_present ? r->pasid : 0,
				.grpid = r->grpid,
				.perm = (r->read ? SIOMMU_PGFAULT_PERM_READ : 0) |
					(r->write ? SIOMMU_PGFAULT_PERM_WRITE : 0),
				.addr = r->addr,
				.cookie = g->cookie,
			};
		}
		cds_list_del(&g->node);
		cds_list_add_tail(&g->node, &fault->read);
	}
	fault_notify(fault);
	pthread_mutex_unlock(&fault->lock);
	*nread = n;
	ifd_obj_put(ictx, &fault->obj);
	return 0;
}

int SIOMMU_EXPORT siommu_fault_respond(struct siommu_iommufd *ictx, uint32_t fault_id,
				       uint32_t cookie, uint32_t code)
{
	struct ifd_fault_group *g;
	struct ifd_fault *fault;
	int ret = -EINVAL;

	if (!ictx)
		return -EINVAL;
	fault = fault_get(ictx, fault_id);
	if (!fault)
		return -ENOENT;
	if (code != SIOMMU_PAGE_RESP_SUCCESS && code != SIOMMU_PAGE_RESP_INVALID)
		goto out_put;
	pthread_mutex_lock(&fault->lock);
	cds_list_for_each_entry(g, &fault->read, node) {
		if (g->cookie == cookie) {
			cds_list_del(&g->node);
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&fault->lock);
	if (!ret) {
		/* No lock held: the answer may run device callbacks. A group
		 * a detach answered meanwhile is stale. */
		if (core_iopf_respond(ictx->ctx, g->core_cookie,
				      code == SIOMMU_PAGE_RESP_SUCCESS ? IOMMU_PAGE_RESP_SUCCESS :
				      IOMMU_PAGE_RESP_INVALID))
			ret = -EINVAL;
		free(g);
	}
out_put:
	ifd_obj_put(ictx, &fault->obj);
	return ret;
}
