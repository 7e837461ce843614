/* SPDX-License-Identifier: MIT */
/*
 * Fault queues: the page requests (PCIe PRI) of devices attached to HWPTs
 * allocated with a fault object, gathered into groups, read as records
 * with a cookie per group and answered by cookie (PCIe 10.4.2: one
 * response per group, after its last request).
 *
 * The device's requests reach us through the core's page-request hook
 * (core_device_set_iopf(), set at bind): the core has no I/O page-fault
 * path of its own yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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
	CDS_INIT_LIST_HEAD(&fault->partial);
	CDS_INIT_LIST_HEAD(&fault->ready);
	CDS_INIT_LIST_HEAD(&fault->read);
	fault->next_cookie = 1;
	fault->efd = -1;
	*out_id = fault->obj.id;
	ifd_obj_publish(ictx, &fault->obj);
	return 0;
}

static void group_free(struct ifd_fault_group *g)
{
	free(g->reqs);
	free(g);
}

/*
 * Take @g out, onto @answer if it is complete (to be answered once the
 * lock is dropped: the answer may run a device callback that issues
 * another page request, which takes the lock), else free it. Under lock.
 */
static void group_cancel(struct ifd_fault_group *g, bool complete,
			 struct cds_list_head *answer)
{
	cds_list_del(&g->node);
	if (complete)
		cds_list_add_tail(&g->node, answer);
	else
		group_free(g);
}

/* Answer the groups on @answer "invalid" and free them. No lock held. */
static void groups_answer_invalid(struct cds_list_head *answer)
{
	struct ifd_fault_group *g, *tmp;

	cds_list_for_each_entry_safe(g, tmp, answer, node) {
		core_page_response(g->idev->dev, &g->reqs[g->n - 1], IOMMU_PAGE_RESP_INVALID);
		group_free(g);
	}
}

/*
 * Make the fd's readiness follow the ready list: a count while it holds a
 * group, none when it is empty. Under fault->lock. The eventfd is
 * non-blocking: neither call waits.
 */
static void fault_notify(struct ifd_fault *fault)
{
	uint64_t v = 1;

	if (fault->efd < 0)
		return;
	if (cds_list_empty(&fault->ready)) {
		if (read(fault->efd, &v, sizeof(v)) < 0)
			v = 0;	/* EAGAIN: nothing was signalled */
	} else if (write(fault->efd, &v, sizeof(v)) < 0) {
		v = 0;		/* EAGAIN: the count is saturated, still readable */
	}
}

int ifd_fault_open_fd(struct siommu_iommufd *ictx, uint32_t fault_id, int *out_fd)
{
	struct ifd_fault *fault = fault_get(ictx, fault_id);
	int ret = 0, efd, ufd;

	if (!fault)
		return -ENOENT;
	efd = ifd_should_fail(ictx) ? (errno = ENOMEM, -1) :
				     eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		ret = -errno;
		goto out_put;
	}
	ufd = fcntl(efd, F_DUPFD_CLOEXEC, 0);
	if (ufd < 0) {
		ret = -errno;
		close(efd);
		goto out_put;
	}
	pthread_mutex_lock(&fault->lock);
	if (fault->efd >= 0) {
		ret = -EBUSY;
	} else {
		fault->efd = efd;
		fault_notify(fault);
	}
	pthread_mutex_unlock(&fault->lock);
	if (ret) {
		close(ufd);
		close(efd);
	} else {
		*out_fd = ufd;
	}
out_put:
	ifd_obj_put(ictx, &fault->obj);
	return ret;
}

/* Out of the table: no HWPT uses it. Everything pending is answered. */
void ifd_fault_destroy(struct ifd_fault *fault)
{
	struct ifd_fault_group *g, *tmp;
	CDS_LIST_HEAD(answer);

	pthread_mutex_lock(&fault->lock);
	cds_list_for_each_entry_safe(g, tmp, &fault->partial, node)
		group_cancel(g, false, &answer);
	cds_list_for_each_entry_safe(g, tmp, &fault->ready, node)
		group_cancel(g, true, &answer);
	cds_list_for_each_entry_safe(g, tmp, &fault->read, node)
		group_cancel(g, true, &answer);
	pthread_mutex_unlock(&fault->lock);
	groups_answer_invalid(&answer);
	if (fault->efd >= 0)
		close(fault->efd);
	pthread_mutex_destroy(&fault->lock);
	free(fault);
}

bool ifd_fault_queue(struct ifd_fault *fault, struct ifd_device *idev, uint32_t pasid,
		     const struct iommu_page_request *req)
{
	struct siommu_iommufd *ictx = fault->ictx;
	struct ifd_fault_group *g;
	bool ok = true;

	pthread_mutex_lock(&fault->lock);
	cds_list_for_each_entry(g, &fault->partial, node)
		if (g->idev == idev && g->pasid == pasid && g->grpid == req->grpid)
			break;
	if (&g->node == &fault->partial) {
		g = ifd_should_fail(ictx) ? NULL : calloc(1, sizeof(*g));
		if (!g) {
			ok = false;
			goto out_unlock;
		}
		*g = (struct ifd_fault_group){ .idev = idev, .pasid = pasid,
					       .grpid = req->grpid };
		cds_list_add_tail(&g->node, &fault->partial);
	}
	if (g->n == g->cap) {
		unsigned int cap = g->cap ? g->cap * 2 : 4;
		struct iommu_page_request *r;

		r = ifd_should_fail(ictx) ? NULL : realloc(g->reqs, cap * sizeof(*r));
		if (!r) {
			/* The core answers the group when its last request
			 * comes; what was gathered goes. */
			cds_list_del(&g->node);
			group_free(g);
			ok = false;
			goto out_unlock;
		}
		g->reqs = r;
		g->cap = cap;
	}
	g->reqs[g->n++] = *req;
	if (req->last) {
		cds_list_del(&g->node);
		cds_list_add_tail(&g->node, &fault->ready);
		fault_notify(fault);
	}
out_unlock:
	pthread_mutex_unlock(&fault->lock);
	return ok;
}

void ifd_fault_flush(struct ifd_fault *fault, struct ifd_device *idev, uint32_t pasid)
{
	struct ifd_fault_group *g, *tmp;
	CDS_LIST_HEAD(answer);

	pthread_mutex_lock(&fault->lock);
	cds_list_for_each_entry_safe(g, tmp, &fault->partial, node)
		if (g->idev == idev && g->pasid == pasid)
			group_cancel(g, false, &answer);
	cds_list_for_each_entry_safe(g, tmp, &fault->ready, node)
		if (g->idev == idev && g->pasid == pasid)
			group_cancel(g, true, &answer);
	cds_list_for_each_entry_safe(g, tmp, &fault->read, node)
		if (g->idev == idev && g->pasid == pasid)
			group_cancel(g, true, &answer);
	fault_notify(fault);
	pthread_mutex_unlock(&fault->lock);
	groups_answer_invalid(&answer);
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
		/* No lock held: the answer may run device callbacks. */
		core_page_response(g->idev->dev, &g->reqs[g->n - 1],
				   code == SIOMMU_PAGE_RESP_SUCCESS ? IOMMU_PAGE_RESP_SUCCESS :
				   IOMMU_PAGE_RESP_INVALID);
		group_free(g);
	}
out_put:
	ifd_obj_put(ictx, &fault->obj);
	return ret;
}
