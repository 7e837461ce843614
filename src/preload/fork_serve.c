/* SPDX-License-Identifier: MIT */
/*
 * The opener's side of fork.c: a service thread per connection, running
 * a child's calls on the opener's objects with the child's memory read
 * and written through the kernel.
 *
 * Locking: each connection belongs to its service thread alone;
 * serve_lock protects the list of them, and is held across fork().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/preload.h>
#include <siommu/vfio_abi.h>

#include "preload/fork.h"
#include "util/vm_rw.h"

struct conn {
	int sock;
	struct pfd *h;		/* handles; an unused one is all zero */
	unsigned int nh;
	struct siommu_iommufd_acct *acct[2];	/* the child's buckets, user
						 * and process: its maps
						 * charge them */
	struct conn *next;	/* on conns */
};

/* The connections served, whose sockets a later child must not keep: a
 * child's calls end with -EIO when the opener exits only if no other
 * process holds the opener's end. serve_lock protects the list, and is
 * held across fork(). */
static pthread_mutex_t serve_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;

/* The call being served: what the hooks of the user copy need. */
struct call {
	struct conn *conn;
	const struct rq *q;
	int fd;			/* what rode with it, or -1 */
	bool not_shared;	/* map_file found no shared memory of ours
				 * (-EREMOTE) */
	int made_fd;		/* an fd the call made (a queue's, an
				 * access's, a dma-buf's), or -1 */
	uint32_t made_id;	/* and its object */
};

/* @len bytes between our @local and process @pid's @addr (written there
 * with @write): 0, -EFAULT. */
static int pid_rw(pid_t pid, bool write, void *local, uint64_t addr, uint64_t len)
{
	int ret = vm_rw(pid, write, local, addr, len);

	/* Gone is gone; a process we may not read is said once. */
	if (ret == -EPERM) {
		static bool said;

		if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
			fprintf(stderr, "libsiommu-preload: a child's memory is not readable "
					"(ptrace access): its calls fail with EFAULT\n");
	}
	return ret ? -EFAULT : 0;
}

static int hook_read(void *priv, void *dst, uint64_t addr, uint64_t len)
{
	return pid_rw(((struct call *)priv)->q->pid, false, dst, addr, len);
}

static int hook_write(void *priv, uint64_t addr, const void *src, uint64_t len)
{
	return pid_rw(((struct call *)priv)->q->pid, true, (void *)src, addr, len);
}

static int hook_map_file(void *priv, uint64_t addr, uint64_t len, int *fd, uint64_t *start)
{
	struct call *c = priv;
	uintptr_t at;

	if (c->q->map_err)
		return c->q->map_err;
	if (addr != c->q->map_addr || len != c->q->map_len)
		return -EFAULT;
	/* Shared memory with no file to pass: ours too, or nothing. Shared
	 * memory we lack is there, in the child, which moves it and asks
	 * again: the map fails now (not -EFAULT, which a map with no
	 * domain records for its first pin to fail). */
	if (c->fd < 0) {
		if (!c->q->map_ino)
			return -EFAULT;
		if (own_mapping((dev_t)c->q->map_dev, c->q->map_ino, c->q->map_start, len,
				&at)) {
			c->not_shared = true;
			return -EREMOTE;
		}
		*fd = -1;
		*start = at;
		return 0;
	}
	*fd = c->fd;
	*start = c->q->map_start;
	return 0;
}

/* The caller's process, whose memory its maps pin: gone, unpinned
 * storage of it has no pages. */
static int hook_pidfd(void *priv)
{
	return (int)syscall(SYS_pidfd_open, (pid_t)((struct call *)priv)->q->pid, 0);
}

static void hook_made_fd(void *priv, int fd, uint32_t id)
{
	struct call *c = priv;

	c->made_fd = fd;
	c->made_id = id;
}

static struct pfd *handle(struct conn *c, int32_t h);

/* The caller's fd @ufd: the access its handle stands for (the opener's
 * fd that names it), or the one that rode along. */
static int hook_fd(void *priv, int ufd, int *fd)
{
	struct call *c = priv;
	const struct pfd *f;

	if (ufd != c->q->aux)
		return -EBADF;
	f = c->q->request == IOMMU_TEST_CMD ? handle(c->conn, c->q->aux_handle) : NULL;
	if (f && f->kind == PFD_ACCESS && f->pc && !f->vf && !f->grp) {
		*fd = (int)f->obj_id;
		return 0;
	}
	if (c->fd < 0)
		return -EBADF;
	*fd = c->fd;
	return 0;
}

/*
 * The accesses children made (test mode): the opener keeps the fd that
 * names each, while a handle of any connection stands for it (a
 * grandchild's copy too); the last one lets the access go, as the last
 * close of Linux's access file. An access the opener made stays its own
 * (a child's handle keeps the context only). made_lock protects the
 * list; held across fork().
 */
struct made_access {
	struct pctx *pc;
	int fd;
	unsigned int refs;
	struct made_access *next;
};
static pthread_mutex_t made_lock = PTHREAD_MUTEX_INITIALIZER;
static struct made_access *made;

static struct made_access **made_find(const struct pfd *f)
{
	struct made_access **pp;

	if (f->kind != PFD_ACCESS || !f->pc || f->vf || f->grp)
		return NULL;
	for (pp = &made; *pp; pp = &(*pp)->next)
		if ((*pp)->pc == f->pc && (*pp)->fd == (int)f->obj_id)
			return pp;
	return NULL;
}

/* A handle's references: on what @f stands for, and on a child's access. */
static void handle_ref(const struct pfd *f)
{
	struct made_access **pp;

	pfd_ref(f);
	pthread_mutex_lock(&made_lock);
	pp = made_find(f);
	if (pp)
		(*pp)->refs++;
	pthread_mutex_unlock(&made_lock);
}

static void handle_unref(const struct pfd *f)
{
	struct made_access **pp, *gone = NULL;

	pthread_mutex_lock(&made_lock);
	pp = made_find(f);
	if (pp && !--(*pp)->refs) {
		gone = *pp;
		*pp = gone->next;
	}
	pthread_mutex_unlock(&made_lock);
	if (gone) {
		siommu_iommufd_access_close(pctx_ictx(gone->pc), gone->fd);
		close(gone->fd);
		free(gone);
	}
	pfd_unref(f);
}

static struct pfd *handle(struct conn *c, int32_t h)
{
	return h >= 0 && (uint32_t)h < c->nh && pfd_used(&c->h[h]) ? &c->h[h] : NULL;
}

/* A new handle for @f (its references now the handle's): its number, or
 * -ENOMEM. */
static int handle_add(struct conn *c, const struct pfd *f)
{
	struct pfd *nh;
	unsigned int i;

	for (i = 0; i < c->nh; i++)
		if (!pfd_used(&c->h[i]))
			break;
	if (i == c->nh) {
		nh = realloc(c->h, (c->nh + 16) * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		memset(nh + c->nh, 0, 16 * sizeof(*nh));
		c->h = nh;
		c->nh += 16;
	}
	c->h[i] = *f;
	return (int)i;
}

/* IOMMU_TEST_CMD made an fd (result @ret): DMABUF_GET's (the result
 * itself) goes to the child, a file of its own; CREATE_ACCESS's stays
 * here, naming the access, which a new handle holds (a dup of the fd
 * riding back). */
static int64_t serve_test_fd(struct conn *c, struct pctx *pc, struct call *call, int ret,
			     int *out_fd, int32_t *out_handle)
{
	struct pfd nf = { .pc = pc, .kind = PFD_ACCESS, .obj_id = (uint32_t)call->made_fd };
	struct made_access *ma = NULL;
	int dup = -1, h = -ENOMEM;

	if (ret > 0) {
		*out_fd = call->made_fd;	/* goes to the child, then closes */
		return ret;
	}
	if (!ret) {
		ma = malloc(sizeof(*ma));
		dup = ma ? fcntl(call->made_fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (dup >= 0) {
			pfd_ref(&nf);
			h = handle_add(c, &nf);
			if (h < 0)
				pfd_unref(&nf);
		}
		if (h >= 0) {
			*ma = (struct made_access){ .pc = pc, .fd = call->made_fd, .refs = 1 };
			pthread_mutex_lock(&made_lock);
			ma->next = made;
			made = ma;
			pthread_mutex_unlock(&made_lock);
			*out_handle = h;
			*out_fd = dup;
			return 0;
		}
		ret = h;
	}
	/* The child cannot have the access: it goes, as for a full fd table. */
	if (dup >= 0)
		close(dup);
	free(ma);
	siommu_iommufd_access_close(pctx_ictx(pc), call->made_fd);
	close(call->made_fd);
	return ret;
}

/* The child's memory, fds, process and buckets as the ioctl layer
 * reaches them, for @call on connection @c. */
static struct siommu_iommufd_user call_user(const struct conn *c, struct call *call)
{
	return (struct siommu_iommufd_user){
		.read = hook_read, .write = hook_write, .map_file = hook_map_file,
		.fd = hook_fd, .made_fd = hook_made_fd, .pidfd = hook_pidfd, .priv = call,
		.acct_user = c->acct[0], .acct_process = c->acct[1],
	};
}

/* IOCTL on a context's handle: the ioctl layer on the child's memory; a
 * queue the call makes becomes a handle, its fd riding back. */
static int64_t serve_iommufd_ioctl(struct conn *c, struct pfd self, struct call *call,
				   int *out_fd, int32_t *out_handle)
{
	const struct pfd *f = &self;	/* handle_add() may move the table */
	const struct siommu_iommufd_user user = call_user(c, call);
	const struct rq *q = call->q;
	struct pfd nf;
	int ret, h;

	if (f->kind != PFD_IOMMUFD)
		return -ENOTTY;
	ret = siommu_iommufd_ioctl_user(pctx_ictx(f->pc), q->request, q->arg, &user);
	if (call->made_fd < 0)
		return ret;
	if (q->request == IOMMU_TEST_CMD)
		return serve_test_fd(c, f->pc, call, ret, out_fd, out_handle);
	/* The handle is the child's file of the queue, which holds it. */
	if (!ret) {
		ret = pfd_queue_file(f->pc, q->request == IOMMU_FAULT_QUEUE_ALLOC ? PFD_FAULT :
										     PFD_VEVENTQ,
				     call->made_id, &nf);
		if (ret == -ENOENT) {
			/* Destroyed already by another thread: gone. */
			close(call->made_fd);
			return ret;
		}
	}
	if (!ret) {
		h = handle_add(c, &nf);
		if (h < 0) {
			pfd_unref(&nf);
			ret = h;
		} else {
			*out_handle = h;
			*out_fd = call->made_fd;	/* goes to the child, then closes */
			return 0;
		}
	}
	/* The child cannot have the queue: it goes, as for a full fd table. */
	close(call->made_fd);
	siommu_iommufd_obj_destroy(pctx_ictx(f->pc), call->made_id);
	return ret;
}

/* IOCTL on a VFIO device or group file's handle: the file on the child's
 * memory, as on the opener's own; BIND's iommufd and SET_CONTAINER's
 * container are the handle the child names. The device file
 * GET_DEVICE_FD opens becomes a handle (*out_handle) the child gives an
 * fd. */
struct vfio_resolve {
	struct conn *c;
	int32_t handle;
};

static int resolve_ctx(void *priv, int fd, struct pctx **out)
{
	struct vfio_resolve *r = priv;
	struct pfd *f = handle(r->c, r->handle);

	(void)fd;
	if (!f)
		return r->handle == -2 ? -EBADFD : -EBADF;
	if (f->kind != PFD_IOMMUFD || !f->pc)
		return -EBADFD;
	pctx_ref(f->pc);
	*out = f->pc;
	return 0;
}

static int64_t serve_vfio_ioctl(struct conn *c, const struct pfd *f, struct call *call,
				int32_t *out_handle)
{
	const struct siommu_iommufd_user user = call_user(c, call);
	const struct rq *q = call->q;
	struct vfio_resolve r = { c, q->aux };
	struct vfio_ctx_resolver res = { resolve_ctx, &r };
	struct vfio_file *vf = NULL;
	int ret, h;

	if (f->vf)
		return vfio_file_ioctl(f->vf, q->request, q->arg, &user, &res);
	ret = group_file_ioctl(f->grp, q->request, q->arg, &user, &res, &vf);
	if (ret || !vf)
		return ret;
	h = handle_add(c, &(struct pfd){ .vf = vf });
	if (h < 0) {
		vfio_file_put(vf);
		return h;
	}
	*out_handle = h;
	return 0;
}

/* READ..PWRITE: the child's buffer through one of ours. */
static int64_t serve_rw(const struct pfd *f, const struct rq *q)
{
	bool is_read = q->op == RQ_READ || q->op == RQ_PREAD;
	uint64_t count = q->count;
	int64_t ret;
	void *buf;

	if (count > XFER_MAX) {
		/* Fault records and responses come whole. */
		size_t rec = f->kind == PFD_FAULT && !f->vf ?
			     (is_read ? sizeof(struct iommu_hwpt_pgfault) :
				        sizeof(struct iommu_hwpt_page_response)) : 1;

		count = XFER_MAX - XFER_MAX % rec;
	}
	buf = count ? malloc(count) : NULL;
	if (count && !buf)
		return -ENOMEM;
	if (!is_read && count && q->arg && pid_rw(q->pid, false, buf, q->arg, count)) {
		free(buf);
		return -EFAULT;
	}
	/* A NULL buffer stays one, for the calls' own -EFAULT. */
	if (q->op == RQ_READ || q->op == RQ_WRITE)
		ret = pfd_rw(f, is_read, q->arg ? buf : NULL, count);
	else
		ret = pfd_prw(f, is_read, q->arg ? buf : NULL, count, q->pos);
	if (is_read && ret > 0 && pid_rw(q->pid, true, buf, q->arg, (uint64_t)ret))
		ret = -EFAULT;
	free(buf);
	return ret;
}

static void serve_one(struct conn *c, const struct rq *q, int in_fd);

static void *serve(void *arg)
{
	struct conn *c = arg, **pp;
	unsigned int i;
	struct rq q;
	int fd;

	while (!msg_recv(c->sock, &q, sizeof(q), &fd)) {
		serve_one(c, &q, fd);
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_lock(&serve_lock);
	for (pp = &conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	close(c->sock);
	pthread_mutex_unlock(&serve_lock);
	/* The child and every process sharing its end are gone. */
	for (i = 0; i < c->nh; i++)
		if (pfd_used(&c->h[i]))
			handle_unref(&c->h[i]);
	/* Storage the child mapped keeps its buckets while it lasts. */
	siommu_iommufd_acct_destroy(c->acct[0]);
	siommu_iommufd_acct_destroy(c->acct[1]);
	free(c->h);
	free(c);
	return NULL;
}

int serve_start(int sock, struct pfd *h, unsigned int nh)
{
	pthread_attr_t attr;
	struct conn *c;
	pthread_t t;
	unsigned int i;
	int ret = -ENOMEM;

	c = calloc(1, sizeof(*c));
	/* The child's own buckets, limited by RLIMIT_MEMLOCK as the child
	 * inherited it (the opener's, read at each charge). */
	if (c && (siommu_iommufd_acct_create(SIOMMU_IOMMUFD_ACCT_MEMLOCK, &c->acct[0]) ||
		  siommu_iommufd_acct_create(SIOMMU_IOMMUFD_ACCT_MEMLOCK, &c->acct[1]))) {
		siommu_iommufd_acct_destroy(c->acct[0]);
		free(c);
		c = NULL;
	}
	if (c) {
		c->sock = sock;
		c->h = h;
		c->nh = nh;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&serve_lock);
		ret = -pthread_create(&t, &attr, serve, c);
		if (!ret) {
			c->next = conns;
			conns = c;
		}
		pthread_mutex_unlock(&serve_lock);
		pthread_attr_destroy(&attr);
		if (!ret)
			return 0;
		siommu_iommufd_acct_destroy(c->acct[0]);
		siommu_iommufd_acct_destroy(c->acct[1]);
		free(c);
	}
	for (i = 0; i < nh; i++)
		if (pfd_used(&h[i]))
			handle_unref(&h[i]);
	free(h);
	close(sock);
	return ret;
}

/* FORK: a connection of its own for the caller's child, with the same
 * handles; its other end rides back. */
static int64_t serve_fork(struct conn *c, int *out_fd)
{
	struct pfd *h = NULL;
	unsigned int i;
	int sv[2];

	if (c->nh && !(h = calloc(c->nh, sizeof(*h))))
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		free(h);
		return -errno;
	}
	for (i = 0; i < c->nh; i++) {
		h[i] = c->h[i];
		if (pfd_used(&h[i]))
			handle_ref(&h[i]);
	}
	if (serve_start(sv[0], h, c->nh)) {
		close(sv[1]);
		return -ENOMEM;
	}
	*out_fd = sv[1];
	return 0;
}

static void serve_one(struct conn *c, const struct rq *q, int in_fd)
{
	struct call call = { .conn = c, .q = q, .fd = in_fd, .made_fd = -1 };
	struct rp p = { .handle = -1 };
	struct pfd *f = handle(c, q->handle), nf;
	int out_fd = -1;

	switch (q->op) {
	case RQ_IOCTL:
		if (!f)
			p.ret = -EBADF;
		else if (f->vf || f->grp)
			p.ret = serve_vfio_ioctl(c, f, &call, &p.handle);
		else
			p.ret = serve_iommufd_ioctl(c, *f, &call, &out_fd, &p.handle);
		if (call.not_shared && p.ret == -EREMOTE) {
			p.ret = -EFAULT;
			p.handle = RP_NOT_SHARED;
		}
		break;
	case RQ_READ:
	case RQ_WRITE:
	case RQ_PREAD:
	case RQ_PWRITE:
		p.ret = f ? serve_rw(f, q) : -EBADF;
		break;
	case RQ_CLOSE:
		if (f) {
			nf = *f;
			memset(f, 0, sizeof(*f));
			handle_unref(&nf);
		}
		p.ret = 0;
		break;
	case RQ_OPEN:
		p.ret = pfd_open(q->aux, &nf);
		if (!p.ret) {
			p.handle = handle_add(c, &nf);
			if (p.handle < 0) {
				p.ret = p.handle;
				pfd_unref(&nf);
			}
		}
		break;
	case RQ_FORK:
		p.ret = serve_fork(c, &out_fd);
		break;
	case RQ_ACCT: {
		/* The child's figures, into its struct; its limit it reads. */
		struct siommu_preload_acct a = {
			.pinned_pages = siommu_iommufd_acct_pinned_vm(c->acct[1]),
			.locked_pages = siommu_iommufd_acct_locked(c->acct[1]),
			.user_locked_pages = siommu_iommufd_acct_locked(c->acct[0]),
		};

		p.ret = pid_rw(q->pid, true, &a, q->arg, sizeof(a));
		break;
	}
	default:
		p.ret = -EINVAL;
	}
	msg_send(c->sock, &p, sizeof(p), p.ret >= 0 ? out_fd : -1);
	if (out_fd >= 0)
		close(out_fd);
}


void serve_fork_lock(void)
{
	pthread_mutex_lock(&serve_lock);
	pthread_mutex_lock(&made_lock);
}

void serve_fork_unlock(void)
{
	pthread_mutex_unlock(&made_lock);
	pthread_mutex_unlock(&serve_lock);
}

void serve_fork_child(void)
{
	struct made_access *ma;
	struct conn *c;

	for (c = conns; c; c = c->next)
		close(c->sock);
	conns = NULL;
	/* The fds of the accesses children made, as the sockets. */
	while ((ma = made)) {
		made = ma->next;
		close(ma->fd);
		free(ma);
	}
	pthread_mutex_init(&made_lock, NULL);
	pthread_mutex_init(&serve_lock, NULL);
}
