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
 * bytes the device does, as with Linux's pin. No write is lost to the
 * move: with other threads in the child, a userfaultfd write-protects
 * the range while its bytes move, so their writes wait and then land in
 * the memfd (the kernel's writes too when the full userfaultfd is ours;
 * with UFFD_USER_MODE_ONLY a system call writing there meanwhile fails
 * with EFAULT), and without a userfaultfd for the range the map is
 * EBUSY. A range the child munmaps afterwards stays pinned in the opener
 * until unmapped from the IOAS.
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
 * device file GET_DEVICE_FD opens in a child is a handle of its own. In
 * test mode an access a child makes is a handle too (the opener keeps
 * the fd naming it while any handle holds it), and a dma-buf's fd is the
 * child's own file; the fd a test operation names rides along.
 *
 * The pieces (fork.h): this file is the child's side and the atfork
 * handlers; fork_chan.c the channel and its wire format, fork_serve.c the
 * opener's service, fork_mem.c the memory the two share.
 *
 * Locking: in the opener each connection belongs to its service thread
 * alone, and serve_lock protects the list of them. In a child, call_lock
 * makes a call one exchange on the socket, rfd_lock protects the handle
 * table, moved_lock the memfds kept. The atfork handlers hold all of them
 * across fork().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_test.h>
#include <siommu/vfio_abi.h>

#include "preload/fork.h"
#include "util/vm_rw.h"

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
/* Our own memory, read without faulting: 0, -EFAULT. */
static int self_read(void *dst, const void *src, size_t len)
{
	return vm_rw(getpid(), false, dst, (uintptr_t)src, len) ? -EFAULT : 0;
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

/* IOMMU_TEST_CMD's struct at @arg: its op in *op, and the fd it
 * names (an access's, a dma-buf's) in q->aux, with its handle in
 * q->aux_handle and, when open, itself in *send_fd (a dma-buf is a file
 * of ours; any other file names neither kind, as in the opener). The
 * opener reads the struct again: this is only what rides along. */
static void test_cmd_prepare(const void *arg, struct rq *q, int *send_fd, uint32_t *op,
			     uint32_t *open_flags)
{
	struct iommu_test_cmd t;
	int32_t fd;

	/* The header and the union's first words (as far as readable). */
	if (self_read(&t, arg, offsetof(struct iommu_test_cmd, dmabuf_get) + 8) &&
	    self_read(&t, arg, offsetof(struct iommu_test_cmd, dmabuf_get)))
		return;
	*op = t.op;
	switch (t.op) {
	case IOMMU_TEST_OP_ACCESS_PAGES:
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_RW:
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		fd = (int32_t)t.id;
		break;
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		fd = t.dmabuf_revoke.dmabuf_fd;
		break;
	case IOMMU_TEST_OP_MD_CHECK_DMABUF:
		fd = t.check_dmabuf.dmabuf_fd;
		break;
	case IOMMU_TEST_OP_DMABUF_GET:
		*open_flags = t.dmabuf_get.open_flags;
		return;
	default:
		return;
	}
	q->aux = fd;
	q->aux_handle = remote_handle(fd);
	if (fd >= 0 && fcntl(fd, F_GETFD) >= 0)
		*send_fd = fd;
}

int remote_ioctl(int h, unsigned long request, void *arg)
{
	struct rq q = { .op = RQ_IOCTL, .handle = h, .request = request,
			.arg = (uintptr_t)arg, .aux = -1, .aux_handle = -1 };
	struct rp p;
	int send_fd = -1, got = -1, ret, newfd;
	bool dup = false, move = false;
	uint32_t op = 0, open_flags = 0;
	size_t at;

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
	} else if (arg && request == IOMMU_TEST_CMD) {
		test_cmd_prepare(arg, &q, &send_fd, &op, &open_flags);
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
	/* A dma-buf's fd: a file of ours, the result (close-on-exec only
	 * when asked). */
	if (request == IOMMU_TEST_CMD && op == IOMMU_TEST_OP_DMABUF_GET && p.ret > 0) {
		if (got < 0)
			return -EMFILE;
		if (!(open_flags & O_CLOEXEC))
			fcntl(got, F_SETFD, 0);
		return got;
	}
	if (p.ret || got < 0)
		return (int)p.ret;
	/* A queue's or an access's fd: ours now, its number in the struct. */
	newfd = got;
	if (newfd >= MAX_FDS) {
		close(newfd);
		call(&(struct rq){ .op = RQ_CLOSE, .handle = p.handle }, -1, &p, NULL);
		return -EMFILE;
	}
	rfd_set(newfd, p.handle);
	at = request == IOMMU_FAULT_QUEUE_ALLOC ? offsetof(struct iommu_fault_alloc, out_fault_fd) :
	     request == IOMMU_VEVENTQ_ALLOC ? offsetof(struct iommu_veventq_alloc, out_veventq_fd) :
	     offsetof(struct iommu_test_cmd, create_access.out_access_fd);
	memcpy((char *)arg + at, &(uint32_t){ (uint32_t)newfd }, sizeof(uint32_t));
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
	serve_fork_lock();
	mem_fork_lock();
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
	mem_fork_unlock();
	serve_fork_unlock();
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

	/* The locks first: what follows closes fds, through close(). */
	pthread_mutex_init(&rfd_lock, NULL);
	pthread_mutex_init(&call_lock, NULL);
	serve_fork_child();
	mem_fork_child();
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

