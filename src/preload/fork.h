/* SPDX-License-Identifier: MIT */
/*
 * The pieces of fork.c's sharing (the design is there) and what they give
 * each other: fork_chan.c is the channel between a child and the opener
 * and its wire format, fork_serve.c the opener's service threads,
 * fork_mem.c how a child's memory becomes memory the opener reaches,
 * fork.c the child's remote handles and the atfork handlers.
 */
#ifndef SIOMMU_PRELOAD_FORK_H
#define SIOMMU_PRELOAD_FORK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "preload/shim.h"

/* ---- fork_chan.c: the wire format and the channel ---- */

/* The largest buffer a read() or write() of a child moves at once. */
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
				 * of MAP_FILE's, or the one IOMMU_TEST_CMD
				 * names; OPEN: the path */
	uint64_t request;	/* IOCTL */
	uint64_t arg;		/* IOCTL: the struct; READ..PWRITE: the buffer;
				 * ACCT: the struct siommu_preload_acct */
	uint64_t count;
	int64_t pos;
	uint64_t map_addr, map_len, map_start;	/* IOAS_MAP's file, when one rides */
	uint64_t map_dev, map_ino;		/* or the shared memory it is */
	int32_t map_err;			/* or why there is none */
	int32_t aux_handle;	/* IOCTL of IOMMU_TEST_CMD: the handle of the
				 * fd aux names (an access's), or -1 */
};

/* The answer; an fd may ride along (a queue's, an access's, a dma-buf's,
 * a new connection's). */
struct rp {
	int64_t ret;		/* or -errno */
	int32_t handle;		/* a new handle (queue, open, a group's
				 * device file); or RP_NOT_SHARED */
};

/* IOAS_MAP's shared memory is not the opener's too. */
#define RP_NOT_SHARED (-2)

/* msg_send - one message of @len bytes on @sock, with @fd riding along
 * (SCM_RIGHTS) when it is not -1: 0, or -EIO (the other end is gone).
 * msg_recv - a message of exactly @len bytes, with the fd it carries in
 * *fd (-1 if none, close-on-exec): 0, or -EIO (the other end is gone, or
 * spoke nonsense). Callers serialise the exchanges on a socket. */
int msg_send(int sock, const void *buf, size_t len, int fd);
int msg_recv(int sock, void *buf, size_t len, int *fd);

/* ---- fork_serve.c: the opener ---- */

/* serve_start - a service thread on @sock for handles @h (@nh of them,
 * references taken, now the thread's): 0, or -errno with everything let
 * go. */
int serve_start(int sock, struct pfd *h, unsigned int nh);

/* The atfork halves of the service: its locks held across fork()
 * (serve_fork_lock(), serve_fork_unlock() in the parent); in the child,
 * serve_fork_child() closes the opener's ends of its children's sockets,
 * which are not the child's (they must close when the opener exits), and
 * the fds of the accesses children made. */
void serve_fork_lock(void);
void serve_fork_unlock(void);
void serve_fork_child(void);

/* ---- maps.c: the mappings of this process ---- */

/* A mapping, as /proc/self/maps shows it. */
struct vma {
	uintptr_t start, end;
	uint64_t off, ino;
	dev_t dev;
	int prot;		/* PROT_* */
	bool shared;		/* MAP_SHARED ('s') */
	char path[256];		/* its name, cut to fit; "" for none or too long */
};

/* A walk over the mappings, by address (on the caller's stack). */
struct maps {
	int fd;
	bool query;		/* by PROCMAP_QUERY; else the text in buf */
	bool eof;
	size_t len, pos;
	char buf[8192];		/* a line of maps is shorter (PATH_MAX) */
};

/*
 * maps_open - a walk from the lowest address: 0, -errno (/proc not
 * mounted). maps_close - its end. Never fails.
 * maps_next - the lowest mapping ending above @addr (only shared ones
 * with a file, anonymous shared memory included, when @shared): 0 with
 * *v, -ENOENT (none), -errno. The text is read once, so @addr must not
 * go down within a walk. Each call sees the mappings as they are then.
 * Thread-safe (a walk is its caller's).
 * maps_fork_lock / maps_fork_unlock / maps_fork_child - the atfork halves
 * (the child lets its parent's fd of the ioctl go).
 */
int maps_open(struct maps *m);
int maps_next(struct maps *m, uintptr_t addr, bool shared, struct vma *v);
void maps_close(struct maps *m);
void maps_fork_lock(void);
void maps_fork_unlock(void);
void maps_fork_child(void);

/* ---- fork_mem.c: a child's memory, shared with the opener ---- */

/*
 * map_prepare - the file the opener maps for the child's [@uva, @uva +
 * @len): *fd (open while the call is made; a dup to close when *dup) and
 * *start (the file offset of @uva), or -errno as pinning would fail.
 * Shared memory: its file among our fds or by its path; else, with *fd
 * -1, its identity in *dev and *ino for the opener to find in its own
 * mappings (memory shared before the fork); with @move (the opener did
 * not have it), shared anonymous memory moves like private memory
 * (processes that shared it with us before no longer do).
 */
int map_prepare(uint64_t uva, uint64_t len, bool move, int *fd, bool *dup, uint64_t *start,
		uint64_t *dev, uint64_t *ino);

/* own_mapping - where this process maps the bytes of file (@dev, @ino)
 * from @off for @len: 0 with *addr, or -EFAULT. */
int own_mapping(dev_t dev, uint64_t ino, uint64_t off, uint64_t len, uintptr_t *addr);

/* The memfds kept by map_prepare(): their lock held across fork()
 * (mem_fork_lock(), mem_fork_unlock() in the parent, mem_fork_child()
 * in the child). */
void mem_fork_lock(void);
void mem_fork_unlock(void);
void mem_fork_child(void);

#endif
