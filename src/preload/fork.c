/* SPDX-License-Identifier: MIT */
/*
 * fork(): a child shares its parent's iommufd objects, as a child shares
 * the open files of Linux's /dev/iommu. The objects stay in the process
 * that made them (the opener), whose memory the models reach by pointer;
 * the opener serves them.
 *
 * At fork, when the opener has fds of ours (or has built the machine), a
 * socketpair joins it to the child and a service thread of the opener answers the child on it. The
 * child's inherited fds become remote handles: the same fd numbers (the
 * eventfds stay, so poll, dup and close keep working on them), each
 * naming what the fd stood for in the opener at fork. Its stale copy of
 * the library state is never touched again. A child's call on a handle
 * is a message (the request, the caller's address of its struct, the
 * handle); the service thread runs it on the same objects, reading and
 * writing the child's memory with process_vm_readv()/process_vm_writev()
 * (the opener is the child's ancestor, which ptrace's access checks and
 * Yama's default scope let read it), through the ioctl layer's user copy
 * (siommu_iommufd_ioctl_user()).
 *
 * Memory the child maps must be memory the opener can reach by pointer:
 * the file behind it, passed with SCM_RIGHTS and mapped by the opener.
 * IOAS_MAP_FILE's fd goes as it is. For IOAS_MAP (and the VFIO
 * container's MAP_DMA) the child finds the file of a MAP_SHARED range
 * among its open fds or by its path; shared memory the opener maps too
 * (anonymous, from before the fork) is pinned where the opener has it; a
 * private range (anonymous memory, a private file mapping), or shared
 * anonymous memory the opener lacks, first moves onto a memfd of its own,
 * mapped MAP_FIXED | MAP_SHARED over the range with its bytes, which is
 * what the pin then holds: the child keeps reading and writing the same
 * bytes the device does, as with Linux's pin. A write another thread of the child makes
 * to the range while it moves may be lost; a range the child munmaps
 * afterwards stays pinned in the opener until unmapped from the IOAS.
 *
 * The child's own handles die with it: the service thread drops them
 * when the child's end of the socket closes, so pages a child pinned stay
 * valid for the objects holding them, and the last close anywhere
 * destroys an object. When the opener exits first, every call of the
 * child on a handle fails with -EIO; the fds stay fds.
 *
 * A child that forks again asks for a connection of its own for its
 * child (the same handles). A child that opens /dev/iommu, a VFIO
 * device file or a VFIO group file has it served by the opener too. A
 * group file's requests are served like a device file's (SET_CONTAINER
 * names its container as a handle, as BIND does its iommufd), and a
 * device file GET_DEVICE_FD opens in a child is a handle of its own.
 *
 * Locking: in the opener each connection belongs to its service thread
 * alone, and serve_lock protects the list of them. In a child, call_lock
 * makes a call one exchange on the socket, rfd_lock protects the handle
 * table, moved_lock the memfds kept. The atfork handlers hold all of them
 * across fork().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/preload.h>
#include <siommu/vfio_abi.h>

#include "preload/shim.h"

/* The largest buffer a read(), write() or VFIO struct of a child moves at
 * once. */
#define XFER_MAX (1u << 20)

enum rq_op { RQ_IOCTL = 1, RQ_READ, RQ_WRITE, RQ_PREAD, RQ_PWRITE, RQ_CLOSE, RQ_OPEN, RQ_FORK,
	     RQ_ACCT };

/* A child's call; an fd may ride along (SCM_RIGHTS). */
struct rq {
	uint32_t op;
	int32_t handle;
	int32_t pid;		/* the caller, whose memory the addresses are */
	int32_t aux;		/* IOCTL: the handle of BIND's iommufd or
				 * SET_CONTAINER's container; the fd number
				 * of MAP_FILE's; OPEN: the path */
	uint64_t request;	/* IOCTL */
	uint64_t arg;		/* IOCTL: the struct; READ..PWRITE: the buffer;
				 * ACCT: the struct siommu_preload_acct */
	uint64_t count;
	int64_t pos;
	uint64_t map_addr, map_len, map_start;	/* IOAS_MAP's file, when one rides */
	uint64_t map_dev, map_ino;		/* or the shared memory it is */
	int32_t map_err;			/* or why there is none */
};

/* The answer; an fd may ride along (a queue's, a new connection's). */
struct rp {
	int64_t ret;		/* or -errno */
	int32_t handle;		/* a new handle (queue, open, a group's
				 * device file); or RP_NOT_SHARED */
};

/* IOAS_MAP's shared memory is not the opener's too. */
#define RP_NOT_SHARED (-2)

static int msg_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.b;
		m.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* A message of exactly @len bytes, with the fd it carries in *fd (-1 if
 * none): 0, or -EIO (the other end is gone, or spoke nonsense). */
static int msg_recv(int sock, void *buf, size_t len, int *fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b) };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == (ssize_t)len && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return 0;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -EIO;
}

/* ------------------------------------------------------------------ */
/* Mappings, as /proc/self/maps shows them                            */
/* ------------------------------------------------------------------ */

/* A mapping of /proc/PID/maps. */
struct vma {
	uintptr_t start, end;
	uint64_t off, ino;
	dev_t dev;
	int prot;
	bool shared;
	char path[160];		/* as maps shows it, possibly cut */
};

/* One line of a maps file: whether it is one. */
static bool vma_parse(const char *line, struct vma *m)
{
	char perms[8];
	unsigned int maj, min;
	unsigned long ms, me;
	unsigned long long off, ino;
	int end = 0;

	if (sscanf(line, "%lx-%lx %7s %llx %x:%x %llu %n", &ms, &me, perms, &off, &maj, &min,
		   &ino, &end) < 7)
		return false;
	*m = (struct vma){ .start = ms, .end = me, .off = off, .ino = ino,
			   .dev = makedev(maj, min), .shared = perms[3] == 's' };
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	if (end > 0)
		snprintf(m->path, sizeof(m->path), "%.*s", (int)strcspn(line + end, "\n"),
			 line + end);
	return true;
}

/* The mappings over [start, end), in order, covering it (*n of them,
 * at most @max): 0, -EFAULT (a hole, or more than @max). */
static int vmas_over(uintptr_t start, uintptr_t end, struct vma *v, unsigned int max,
		     unsigned int *n)
{
	char line[512];
	uintptr_t at = start;
	struct vma m;
	FILE *f;

	*n = 0;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -EFAULT;
	while (at < end && fgets(line, sizeof(line), f)) {
		if (!vma_parse(line, &m) || m.end <= at)
			continue;
		if (m.start > at || *n == max)
			break;
		v[(*n)++] = m;
		at = m.end;
	}
	fclose(f);
	return at >= end ? 0 : -EFAULT;
}

/* Shared memory with no file of its own to open: shared anonymous
 * memory, a memfd, System V shared memory. */
static bool vma_anon_shm(const struct vma *v)
{
	return !strncmp(v->path, "/dev/zero", 9) || !strncmp(v->path, "/memfd:", 7) ||
	       !strncmp(v->path, "/SYSV", 5);
}

/* The file of @v reopened by its path, when that is still the file: the
 * fd, or -1. */
static int fd_by_path(const struct vma *v)
{
	struct stat st;
	int fd;

	if (v->path[0] != '/' || vma_anon_shm(v) || strstr(v->path, " (deleted)"))
		return -1;
	fd = open(v->path, ((v->prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) || st.st_ino != v->ino || st.st_dev != v->dev)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Where this process maps the bytes of file (@dev, @ino) from @off for
 * @len: 0 with *addr, or -EFAULT. */
static int own_mapping(dev_t dev, uint64_t ino, uint64_t off, uint64_t len, uintptr_t *addr)
{
	char line[512];
	struct vma m;
	int ret = -EFAULT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -EFAULT;
	while (ret && fgets(line, sizeof(line), f))
		if (vma_parse(line, &m) && m.shared && m.ino == ino && m.dev == dev &&
		    off >= m.off && off + len <= m.off + (m.end - m.start)) {
			*addr = m.start + (off - m.off);
			ret = 0;
		}
	fclose(f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The opener: a service thread per child                             */
/* ------------------------------------------------------------------ */

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
	const struct rq *q;
	int fd;			/* what rode with it, or -1 */
	bool not_shared;	/* map_file found no shared memory of ours */
	int made_fd;		/* a queue's fd the call made, or -1 */
	uint32_t made_id;	/* and its object */
};

/* @len bytes between our @local and process @pid's @addr (written there
 * with @write): 0, -EFAULT. */
static int pid_rw(pid_t pid, bool write, void *local, uint64_t addr, uint64_t len)
{
	struct iovec l = { local, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (len > SSIZE_MAX)
		return -EFAULT;
	n = write ? process_vm_writev(pid, &l, 1, &r, 1, 0) :
		    process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	/* Gone is gone; a process we may not read is said once. */
	if (n < 0 && errno == EPERM) {
		static bool said;

		if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
			fprintf(stderr, "libsiommu-preload: a child's memory is not readable "
					"(ptrace access): its calls fail with EFAULT\n");
	}
	return -EFAULT;
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
	/* Shared memory with no file to pass: ours too, or nothing. */
	if (c->fd < 0) {
		if (!c->q->map_ino ||
		    own_mapping((dev_t)c->q->map_dev, c->q->map_ino, c->q->map_start, len, &at)) {
			c->not_shared = c->q->map_ino;
			return -EFAULT;
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

static int hook_fd(void *priv, int ufd, int *fd)
{
	struct call *c = priv;

	if (c->fd < 0 || ufd != c->q->aux)
		return -EBADF;
	*fd = c->fd;
	return 0;
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

/* IOCTL on a context's handle: the ioctl layer on the child's memory; a
 * queue the call makes becomes a handle, its fd riding back. */
static int64_t serve_iommufd_ioctl(struct conn *c, struct pfd self, struct call *call,
				   int *out_fd, int32_t *out_handle)
{
	const struct pfd *f = &self;	/* handle_add() may move the table */
	const struct siommu_iommufd_user user = {
		.read = hook_read, .write = hook_write, .map_file = hook_map_file,
		.fd = hook_fd, .made_fd = hook_made_fd, .pidfd = hook_pidfd, .priv = call,
		.acct_user = c->acct[0], .acct_process = c->acct[1],
	};
	const struct rq *q = call->q;
	struct pfd nf;
	int ret, h;

	if (f->kind != PFD_IOMMUFD)
		return -ENOTTY;
	ret = siommu_iommufd_ioctl_user(pctx_ictx(f->pc), q->request, q->arg, &user);
	if (call->made_fd < 0)
		return ret;
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

/* IOCTL on a VFIO device file's handle: its struct (argsz bytes) copied
 * in and back; BIND's iommufd is the handle the child names. */
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

/* The child's string at @addr, its NUL included, into @buf (@size
 * bytes): 0, -EFAULT, or -EINVAL when it does not end within @size. It
 * reads a page at a time, never past the page the NUL is on. */
static int pid_read_str(pid_t pid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0, n;
	long page = sysconf(_SC_PAGESIZE);

	while (got < size) {
		n = (size_t)page - (size_t)((addr + got) % (uint64_t)page);
		if (n > size - got)
			n = size - got;
		if (pid_rw(pid, false, buf + got, addr + got, n))
			return -EFAULT;
		if (memchr(buf + got, 0, n))
			return 0;
		got += n;
	}
	return -EINVAL;
}

/* A group file's requests that carry memory: GET_STATUS's struct, by
 * argsz; SET_CONTAINER's fd, whose context is the handle the child names
 * (as BIND's iommufd); GET_DEVICE_FD's name. The device file
 * GET_DEVICE_FD opens becomes a handle (*out_handle) the child gives an
 * fd. Others go as the opener's call would take them. */
static int64_t serve_group_ioctl(struct conn *c, const struct pfd *f, const struct rq *q,
				 const struct vfio_ctx_resolver *res, int32_t *out_handle)
{
	struct vfio_group_status st = { 0 };
	struct vfio_file *vf = NULL;
	char name[GROUP_NAME_MAX];
	void *arg = NULL;
	int ret, fd, h;

	if (q->arg) {
		switch (q->request) {
		case VFIO_GROUP_GET_STATUS:
			arg = &st;
			ret = pid_rw(q->pid, false, &st, q->arg, sizeof(st.argsz));
			if (!ret && st.argsz >= sizeof(st))
				ret = pid_rw(q->pid, false, &st, q->arg, sizeof(st));
			break;
		case VFIO_GROUP_SET_CONTAINER:
			arg = &fd;
			ret = pid_rw(q->pid, false, &fd, q->arg, sizeof(fd));
			break;
		case VFIO_GROUP_GET_DEVICE_FD:
			arg = name;
			ret = pid_read_str(q->pid, q->arg, name, sizeof(name));
			break;
		default:
			arg = &(uint64_t){ 0 };
			ret = 0;
		}
		if (ret)
			return ret;
	}
	ret = group_file_ioctl(f->grp, q->request, arg, res, &vf);
	/* GET_STATUS writes its flags back, as the opener's call does. */
	if (!ret && q->request == VFIO_GROUP_GET_STATUS)
		ret = pid_rw(q->pid, true, &st, q->arg, VFIO_GROUP_GET_STATUS_MIN_SIZE);
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

static int64_t serve_vfio_ioctl(struct conn *c, const struct pfd *f, const struct rq *q,
				int32_t *out_handle)
{
	struct vfio_resolve r = { c, q->aux };
	struct vfio_ctx_resolver res = { resolve_ctx, &r };
	uint64_t none = 0;
	uint32_t argsz = 0;
	void *buf;
	int ret;

	if (f->grp)
		return serve_group_ioctl(c, f, q, &res, out_handle);
	if (!q->arg)
		return -EFAULT;
	/* What the file does not answer it refuses before its struct. */
	switch (q->request) {
	case VFIO_DEVICE_BIND_IOMMUFD:
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
	case VFIO_DEVICE_GET_INFO:
	case VFIO_DEVICE_GET_REGION_INFO:
		break;
	default:
		return vfio_file_ioctl(f->vf, q->request, &none, &res);
	}
	ret = pid_rw(q->pid, false, &argsz, q->arg, sizeof(argsz));
	if (ret)
		return ret;
	if (argsz < sizeof(argsz))
		argsz = sizeof(argsz);
	if (argsz > XFER_MAX)
		return -ENOMEM;
	buf = malloc(argsz);
	if (!buf)
		return -ENOMEM;
	ret = pid_rw(q->pid, false, buf, q->arg, argsz);
	if (!ret)
		ret = vfio_file_ioctl(f->vf, q->request, buf, &res);
	/* Only what the call wrote differs: write the struct back. */
	if (!ret)
		ret = pid_rw(q->pid, true, buf, q->arg, argsz);
	free(buf);
	return ret;
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
			pfd_unref(&c->h[i]);
	/* Storage the child mapped keeps its buckets while it lasts. */
	siommu_iommufd_acct_destroy(c->acct[0]);
	siommu_iommufd_acct_destroy(c->acct[1]);
	free(c->h);
	free(c);
	return NULL;
}

/* A service thread on @sock for handles @h (@nh of them, references
 * taken, now the thread's): 0, or -errno with everything let go. */
static int serve_start(int sock, struct pfd *h, unsigned int nh)
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
			pfd_unref(&h[i]);
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
			pfd_ref(&h[i]);
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
	struct call call = { .q = q, .fd = in_fd, .made_fd = -1 };
	struct rp p = { .handle = -1 };
	struct pfd *f = handle(c, q->handle), nf;
	int out_fd = -1;

	switch (q->op) {
	case RQ_IOCTL:
		if (!f)
			p.ret = -EBADF;
		else if (f->vf || f->grp)
			p.ret = serve_vfio_ioctl(c, f, q, &p.handle);
		else
			p.ret = serve_iommufd_ioctl(c, *f, &call, &out_fd, &p.handle);
		if (call.not_shared && p.ret == -EFAULT)
			p.handle = RP_NOT_SHARED;
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
			pfd_unref(&nf);
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

/* ------------------------------------------------------------------ */
/* The child: remote handles                                          */
/* ------------------------------------------------------------------ */

static bool remote_on;		/* set in a child before it has threads */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rfd_lock = PTHREAD_MUTEX_INITIALIZER;
static int rsock = -1;		/* to the opener; -1: gone */
static int32_t rfd[MAX_FDS];	/* handle + 1 of each fd; 0: not one */
static int fork_sock = -1;	/* the connection asked for a child */

/* One exchange: 0 with *p (and the fd that rode back in *fd when @fd is
 * not NULL), or -EIO (the opener is gone). */
static int call(struct rq *q, int send_fd, struct rp *p, int *fd)
{
	int ret = -EIO, got = -1;

	q->pid = getpid();
	pthread_mutex_lock(&call_lock);
	if (rsock >= 0 && !msg_send(rsock, q, sizeof(*q), send_fd))
		ret = msg_recv(rsock, p, sizeof(*p), &got);
	pthread_mutex_unlock(&call_lock);
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	return ret;
}

int remote_handle(int fd)
{
	int32_t h = 0;

	if (!__atomic_load_n(&remote_on, __ATOMIC_RELAXED) || fd < 0 || fd >= MAX_FDS)
		return -1;
	pthread_mutex_lock(&rfd_lock);
	h = rfd[fd];
	pthread_mutex_unlock(&rfd_lock);
	return h - 1;
}

bool remote_active(void)
{
	return __atomic_load_n(&remote_on, __ATOMIC_RELAXED);
}

/* @fd stands for handle @h from now on. */
static void rfd_set(int fd, int32_t h)
{
	pthread_mutex_lock(&rfd_lock);
	rfd[fd] = h + 1;
	pthread_mutex_unlock(&rfd_lock);
}

void remote_forget(int fd)
{
	int32_t h;
	int i;

	if (remote_handle(fd) < 0)
		return;
	pthread_mutex_lock(&rfd_lock);
	h = rfd[fd];
	rfd[fd] = 0;
	for (i = 0; h && i < MAX_FDS; i++)
		if (rfd[i] == h)
			h = 0;
	pthread_mutex_unlock(&rfd_lock);
	if (h)
		call(&(struct rq){ .op = RQ_CLOSE, .handle = h - 1 }, -1, &(struct rp){ 0 }, NULL);
}

void remote_dup(int oldfd, int newfd)
{
	int h = remote_handle(oldfd);

	if (h >= 0 && newfd >= 0 && newfd < MAX_FDS)
		rfd_set(newfd, h);
}

/* Our own memory, read without faulting: 0, -EFAULT. */
static int self_read(void *dst, const void *src, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)src, len };

	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* An open fd of ours on the file of @v (dev, inode): the fd, or -1. */
static int fd_of_file(const struct vma *v)
{
	struct dirent *d;
	struct stat st;
	int fd = -1;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while (fd < 0 && (d = readdir(dir))) {
		int n = atoi(d->d_name);

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || n == dirfd(dir))
			continue;
		if (!fstat(n, &st) && S_ISREG(st.st_mode) && st.st_ino == v->ino &&
		    st.st_dev == v->dev)
			fd = fcntl(n, F_DUPFD_CLOEXEC, 0);
	}
	closedir(dir);
	return fd;
}

/*
 * The memfds private memory moved onto: kept open, so that mapping the
 * range again finds its file among our fds; one goes when no mapping
 * shows it any more (looked at once there are MOVED_KEEP of them).
 */
#define MOVED_KEEP 16
static pthread_mutex_t moved_lock = PTHREAD_MUTEX_INITIALIZER;
static int moved[MAX_FDS];
static unsigned int nr_moved;

/* Whether a mapping of ours shows the file of @fd. */
static bool file_mapped(int fd)
{
	char line[512];
	unsigned long long ino;
	struct stat st;
	bool found = false;
	FILE *f;

	if (fstat(fd, &st))
		return false;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*x-%*x %*s %*x %*x:%*x %llu", &ino) == 1 &&
			ino == st.st_ino;
	fclose(f);
	return found;
}

static void moved_keep(int fd)
{
	unsigned int i;

	pthread_mutex_lock(&moved_lock);
	for (i = 0; nr_moved >= MOVED_KEEP && i < nr_moved;) {
		if (file_mapped(moved[i])) {
			i++;
			continue;
		}
		close(moved[i]);
		moved[i] = moved[--nr_moved];
	}
	if (nr_moved < MAX_FDS)
		moved[nr_moved++] = fd;
	else
		close(fd);
	pthread_mutex_unlock(&moved_lock);
}

/* Move [start, end) of our private memory (over @v, @n mappings) onto a
 * new memfd mapped shared at the same place, with its bytes and
 * protections: the memfd, or -errno. */
static int move_to_memfd(uintptr_t start, uintptr_t end, const struct vma *v, unsigned int n)
{
	size_t size = end - start;
	unsigned int i;
	void *copy;
	int fd;

	fd = memfd_create("siommu-dma", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	copy = ftruncate(fd, (off_t)size) ? MAP_FAILED :
	       mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (copy == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	/* Unreadable memory cannot be pinned (Linux: -EFAULT). */
	if (self_read(copy, (void *)start, size)) {
		munmap(copy, size);
		close(fd);
		return -EFAULT;
	}
	munmap(copy, size);
	for (i = 0; i < n; i++) {
		uintptr_t s = v[i].start > start ? v[i].start : start;
		uintptr_t e = v[i].end < end ? v[i].end : end;

		if (mmap((void *)s, e - s, v[i].prot, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)(s - start)) == MAP_FAILED) {
			close(fd);
			return -ENOMEM;
		}
	}
	return fd;
}

/*
 * The file the opener maps for our [uva, uva + len): *fd (open while the
 * call is made; a dup to close when @dup) and *start (the file offset of
 * @uva), or -errno as pinning would fail. Shared memory: its file among
 * our fds or by its path; else, with *fd -1, its identity in *dev and
 * *ino for the opener to find in its own mappings (memory shared before
 * the fork); with @move (the opener did not have it), shared anonymous
 * memory moves like private memory (processes that shared it with us
 * before no longer do).
 */
static int map_prepare(uint64_t uva, uint64_t len, bool move, int *fd, bool *dup,
		       uint64_t *start, uint64_t *dev, uint64_t *ino)
{
	const uintptr_t pmask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;
	struct vma v[64];
	uintptr_t s, e;
	unsigned int n, i;
	bool shared = true, priv = true;
	int ret;

	if (!len || uva + len < uva || uva + len > UINTPTR_MAX - pmask)
		return -EFAULT;
	s = (uintptr_t)uva & ~pmask;
	e = ((uintptr_t)(uva + len) + pmask) & ~pmask;
	ret = vmas_over(s, e, v, 64, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		shared &= v[i].shared && v[i].ino && v[i].ino == v[0].ino &&
			  v[i].dev == v[0].dev && v[i].off - v[0].off == v[i].start - v[0].start;
		priv &= !v[i].shared;
	}
	if (shared) {
		*fd = fd_of_file(&v[0]);
		if (*fd < 0)
			*fd = fd_by_path(&v[0]);
		*dup = true;
		*start = v[0].off + (uva - v[0].start);
		if (*fd >= 0)
			return 0;
		*dev = v[0].dev;
		*ino = v[0].ino;
		if (!move || !vma_anon_shm(&v[0]))
			return 0;
		*dev = *ino = 0;
	} else if (!priv) {
		return -EFAULT;
	}
	ret = move_to_memfd(s, e, v, n);
	if (ret < 0)
		return ret;
	moved_keep(ret);
	*fd = ret;
	*dup = false;
	*start = uva - s;
	return 0;
}

/* IOAS_MAP / MAP_DMA: the memory of the struct at @arg, prepared. */
static void ioctl_map_prepare(unsigned long request, void *arg, bool move, struct rq *q,
			      int *fd, bool *dup)
{
	uint64_t va, len;

	if (request == IOMMU_IOAS_MAP) {
		struct iommu_ioas_map m;

		if (self_read(&m, arg, sizeof(m)) || m.size < sizeof(m))
			return;
		va = m.user_va;
		len = m.length;
	} else {
		struct vfio_iommu_type1_dma_map m;

		if (self_read(&m, arg, sizeof(m)) || m.argsz < sizeof(m))
			return;
		va = m.vaddr;
		len = m.size;
	}
	q->map_addr = va;
	q->map_len = len;
	q->map_err = map_prepare(va, len, move, fd, dup, &q->map_start, &q->map_dev, &q->map_ino);
}

/* The handle to name for a context's fd @fd (BIND's iommufd, a group's
 * container): its own, -2 for an open fd of another kind, -1 for none. */
static int32_t ctx_handle(int fd)
{
	int32_t h = remote_handle(fd);

	if (h < 0 && fd >= 0 && fcntl(fd, F_GETFD) >= 0)
		h = -2;
	return h;
}

/* A new fd (with @flags) for the child's new handle @h: the fd, or -errno
 * with the handle closed. */
static int handle_fd(int32_t h, int flags)
{
	struct rp p;
	int fd = eventfd_for(flags);

	if (fd < 0 || fd >= MAX_FDS) {
		if (fd >= 0)
			close(fd);
		call(&(struct rq){ .op = RQ_CLOSE, .handle = h }, -1, &p, NULL);
		return fd < 0 ? fd : -EMFILE;
	}
	rfd_set(fd, h);
	return fd;
}

int remote_ioctl(int h, unsigned long request, void *arg)
{
	struct rq q = { .op = RQ_IOCTL, .handle = h, .request = request,
			.arg = (uintptr_t)arg, .aux = -1 };
	struct rp p;
	int send_fd = -1, got = -1, ret, newfd;
	bool dup = false, move = false;

again:
	if (arg && (request == IOMMU_IOAS_MAP || request == VFIO_IOMMU_MAP_DMA)) {
		ioctl_map_prepare(request, arg, move, &q, &send_fd, &dup);
	} else if (arg && request == IOMMU_IOAS_MAP_FILE) {
		struct iommu_ioas_map_file m;

		if (!self_read(&m, arg, sizeof(m)) && fcntl(m.fd, F_GETFD) >= 0) {
			q.aux = m.fd;
			send_fd = m.fd;
		}
	} else if (arg && request == VFIO_DEVICE_BIND_IOMMUFD) {
		struct vfio_device_bind_iommufd b;

		if (!self_read(&b, arg, sizeof(b)))
			q.aux = ctx_handle(b.iommufd);
	} else if (arg && request == VFIO_GROUP_SET_CONTAINER) {
		int32_t fd;

		if (!self_read(&fd, arg, sizeof(fd)))
			q.aux = ctx_handle(fd);
	}
	ret = call(&q, send_fd, &p, &got);
	if (dup && send_fd >= 0)
		close(send_fd);
	if (ret)
		return ret;
	/* Shared memory the opener does not have: moved, and again (the
	 * failed call changed nothing). */
	if (p.ret == -EFAULT && p.handle == RP_NOT_SHARED && !move) {
		move = true;
		send_fd = -1;
		dup = false;
		q.map_dev = q.map_ino = 0;
		goto again;
	}
	/* A device file GET_DEVICE_FD opened: an fd of ours for its handle. */
	if (!p.ret && request == VFIO_GROUP_GET_DEVICE_FD && p.handle >= 0)
		return handle_fd(p.handle, O_CLOEXEC);
	if (p.ret || got < 0)
		return (int)p.ret;
	/* A queue's fd: ours now, its number in the struct. */
	newfd = got;
	if (newfd >= MAX_FDS) {
		close(newfd);
		call(&(struct rq){ .op = RQ_CLOSE, .handle = p.handle }, -1, &p, NULL);
		return -EMFILE;
	}
	rfd_set(newfd, p.handle);
	memcpy((char *)arg + (request == IOMMU_FAULT_QUEUE_ALLOC ?
			      offsetof(struct iommu_fault_alloc, out_fault_fd) :
			      offsetof(struct iommu_veventq_alloc, out_veventq_fd)),
	       &(uint32_t){ (uint32_t)newfd }, sizeof(uint32_t));
	return 0;
}

long remote_rw(int h, bool is_read, bool positioned, void *buf, size_t count, int64_t pos)
{
	struct rq q = { .op = positioned ? (is_read ? RQ_PREAD : RQ_PWRITE) :
					   (is_read ? RQ_READ : RQ_WRITE),
			.handle = h, .arg = (uintptr_t)buf, .count = count, .pos = pos };
	struct rp p;
	int ret = call(&q, -1, &p, NULL);

	return ret ? ret : p.ret;
}

int remote_acct(struct siommu_preload_acct *out)
{
	struct rp p;
	int ret;

	ret = call(&(struct rq){ .op = RQ_ACCT, .arg = (uintptr_t)out }, -1, &p, NULL);
	return ret ? ret : (int)p.ret;
}

int remote_open(int path, int flags)
{
	struct rp p;
	int ret;

	ret = call(&(struct rq){ .op = RQ_OPEN, .aux = path }, -1, &p, NULL);
	if (!ret && p.ret)
		ret = (int)p.ret;
	if (ret)
		return ret;
	return handle_fd(p.handle, flags);
}

/* ------------------------------------------------------------------ */
/* fork() itself                                                      */
/* ------------------------------------------------------------------ */

static struct pfd *snap;	/* the opener's handles for the child */
static int pair[2] = { -1, -1 };

void fork_prepare(void)
{
	struct rp p;
	int fd;

	/* A child of ours asks for its child's connection first. */
	if (remote_active() && !call(&(struct rq){ .op = RQ_FORK }, -1, &p, &fd) && !p.ret)
		fork_sock = fd;
	else if (remote_active())
		fork_sock = -1;
	pthread_mutex_lock(&call_lock);
	pthread_mutex_lock(&rfd_lock);
	pthread_mutex_lock(&serve_lock);
	pthread_mutex_lock(&moved_lock);
}

/* Under the fd table's lock: the opener's fds, referenced for the child
 * (@fds, MAX_FDS of them). */
void fork_prepare_fds(const struct pfd *fds)
{
	unsigned int i;
	bool any = false;

	/* A child serves nothing: its copy of the library is not its own. */
	if (remote_active())
		return;
	for (i = 0; i < MAX_FDS && !any; i++)
		any = pfd_used(&fds[i]);
	if (!any && !machine_built())
		return;
	snap = calloc(MAX_FDS, sizeof(*snap));
	if (snap && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair)) {
		free(snap);
		snap = NULL;
	}
	/* Without them the child's handles answer -EIO. */
	for (i = 0; snap && i < MAX_FDS; i++) {
		snap[i] = fds[i];
		if (pfd_used(&snap[i]))
			pfd_ref_locked(&snap[i]);
	}
}

void fork_parent(void)
{
	pthread_mutex_unlock(&moved_lock);
	pthread_mutex_unlock(&serve_lock);
	pthread_mutex_unlock(&rfd_lock);
	pthread_mutex_unlock(&call_lock);
	if (fork_sock >= 0)
		close(fork_sock);
	fork_sock = -1;
	if (snap) {
		close(pair[1]);
		serve_start(pair[0], snap, MAX_FDS);
	}
	snap = NULL;
}

/* In the child, @fds the stale table: every fd of it becomes a handle. */
void fork_child(struct pfd *fds)
{
	bool served = snap || machine_built();
	unsigned int i;

	struct conn *c;

	/* The opener's ends of its other children's sockets are not ours:
	 * they must close when the opener exits. */
	for (c = conns; c; c = c->next)
		close(c->sock);
	conns = NULL;
	pthread_mutex_init(&moved_lock, NULL);
	pthread_mutex_init(&serve_lock, NULL);
	pthread_mutex_init(&rfd_lock, NULL);
	pthread_mutex_init(&call_lock, NULL);
	if (remote_active()) {
		/* A grandchild: its own connection, or none (-EIO). */
		if (rsock >= 0)
			close(rsock);
		rsock = fork_sock;
		fork_sock = -1;
		return;
	}
	if (!served)
		return;
	for (i = 0; i < MAX_FDS; i++) {
		if (pfd_used(&fds[i]))
			rfd[i] = (int32_t)i + 1;
		memset(&fds[i], 0, sizeof(fds[i]));
	}
	if (snap) {
		close(pair[0]);
		rsock = pair[1];
		/* The references are the opener's; this copy is only memory. */
		free(snap);
		snap = NULL;
	}
	remote_on = true;
}
