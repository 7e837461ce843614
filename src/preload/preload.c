/* SPDX-License-Identifier: MIT */
/*
 * libsiommu-preload.so: /dev/iommu for an unmodified program, preloaded
 * (LD_PRELOAD). Opening /dev/iommu gives a real fd (an eventfd, so that
 * close, dup and poll work on it) backed by an iommufd context of a
 * machine the library makes on first use: one VT-d unit. ioctl() on it is
 * siommu_iommufd_ioctl(); the fault-queue fds FAULT_QUEUE_ALLOC hands out
 * answer read() and write() with their records, the vEVENTQ fds of
 * VEVENTQ_ALLOC read() with theirs. Everything else goes to libc
 * untouched.
 *
 * Intercepted: open, open64, openat, openat64 (of "/dev/iommu"), ioctl,
 * read, write, close, dup, dup2, dup3 (on our own fds). A context lives
 * while an fd of it (a /dev/iommu fd, a dup of one, or a queue's fd,
 * which keeps its context as Linux's does) is open; the last close
 * destroys its objects.
 *
 * The machine stays for the life of the process (an exiting process's
 * memory goes with it). With SIOMMU_IOMMUFD_TEST=1 in the environment at
 * the first open, it also has a mock unit and every context is in test
 * mode: IOMMU_TEST_CMD answers (siommu/iommufd_test.h), and the access
 * fds it hands out are ours too, closing the last fd of one destroying
 * its access; otherwise IOMMU_TEST_CMD is -ENOTTY.
 *
 * Locking: fds_lock protects the fd table and the contexts' reference
 * counts; it is not held across a call into the library, which is
 * thread-safe on its own. A context cannot go away during a call: the
 * call holds a reference.
 */
/* open and open64 are two symbols here: no redirection of one to the other. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <siommu/core.h>
#include <siommu/iommufd.h>
#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/mock.h>

#include "util/compiler.h"

#define MAX_FDS 4096

struct pctx {
	struct siommu_iommufd *ictx;
	unsigned int refs;	/* fds using it, and calls in flight */
};

/* What an fd of ours stands for. */
enum pfd_kind { PFD_IOMMUFD, PFD_FAULT, PFD_VEVENTQ, PFD_ACCESS };

struct pfd {
	struct pctx *pc;
	enum pfd_kind kind;
	uint32_t obj_id;	/* the queue's object; 0 for PFD_IOMMUFD; an
				 * access's fd as made (dups share it) */
};

static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pfd fds[MAX_FDS];
/* The machine, made on the first open; machine_lock is taken alone (the
 * library may close fds while it builds it, which takes fds_lock). */
static pthread_mutex_t machine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct siommu_ctx *machine;
static struct siommu_unit *test_unit;	/* test mode's mock unit, or NULL */

static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);

static void resolve(void)
{
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	real_read = dlsym(RTLD_NEXT, "read");
	real_write = dlsym(RTLD_NEXT, "write");
	real_close = dlsym(RTLD_NEXT, "close");
	real_dup = dlsym(RTLD_NEXT, "dup");
	real_dup2 = dlsym(RTLD_NEXT, "dup2");
	real_dup3 = dlsym(RTLD_NEXT, "dup3");
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	pthread_once(&once, resolve);
}

static bool is_iommu(const char *path)
{
	return path && !strcmp(path, "/dev/iommu");
}

/* A reference on the context behind @fd, with what the fd is in *out;
 * NULL if the fd is not ours. */
static struct pctx *fd_get(int fd, struct pfd *out)
{
	struct pctx *pc = NULL;

	if (fd < 0 || fd >= MAX_FDS)
		return NULL;
	pthread_mutex_lock(&fds_lock);
	if (fds[fd].pc) {
		pc = fds[fd].pc;
		pc->refs++;
		*out = fds[fd];
	}
	pthread_mutex_unlock(&fds_lock);
	return pc;
}

static void pctx_put(struct pctx *pc)
{
	bool last;

	pthread_mutex_lock(&fds_lock);
	last = !--pc->refs;
	pthread_mutex_unlock(&fds_lock);
	if (last) {
		siommu_iommufd_destroy(pc->ictx);
		free(pc);
	}
}

/* Make @fd stand for @pc (a reference taken), as @kind of @obj_id. */
static void fd_track(int fd, struct pctx *pc, enum pfd_kind kind, uint32_t obj_id)
{
	pthread_mutex_lock(&fds_lock);
	pc->refs++;
	fds[fd] = (struct pfd){ .pc = pc, .kind = kind, .obj_id = obj_id };
	pthread_mutex_unlock(&fds_lock);
}

/* A queue's fd @qfd, just made for object @id: ours, keeping the
 * context as Linux's does; 0, or -EMFILE past our table (the object
 * goes). */
static int queue_fd_track(struct pctx *pc, int qfd, enum pfd_kind kind, uint32_t id)
{
	if (qfd >= MAX_FDS) {
		real_close(qfd);
		siommu_iommufd_obj_destroy(pc->ictx, id);
		return -EMFILE;
	}
	fd_track(qfd, pc, kind, id);
	return 0;
}

/* Forget @fd; its reference goes, and with the last fd of an access the
 * access. */
static void fd_untrack(int fd)
{
	struct pctx *pc;
	uint32_t access = 0;
	int i;

	if (fd < 0 || fd >= MAX_FDS)
		return;
	pthread_mutex_lock(&fds_lock);
	pc = fds[fd].pc;
	fds[fd].pc = NULL;
	if (pc && fds[fd].kind == PFD_ACCESS)
		access = fds[fd].obj_id;
	for (i = 0; access && i < MAX_FDS; i++)
		if (fds[i].pc == pc && fds[i].kind == PFD_ACCESS && fds[i].obj_id == access)
			access = 0;
	pthread_mutex_unlock(&fds_lock);
	if (!pc)
		return;
	if (access)
		siommu_iommufd_access_close(pc->ictx, (int)access);
	pctx_put(pc);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* A new /dev/iommu fd over a new context. */
static int iommu_open(int flags)
{
	struct pctx *pc;
	int fd, ret;

	pthread_mutex_lock(&machine_lock);
	ret = 0;
	if (!machine) {
		struct siommu_ctx *ctx;
		struct siommu_unit *unit;

		const char *test = getenv("SIOMMU_IOMMUFD_TEST");

		ret = siommu_ctx_create(NULL, &ctx);
		if (!ret) {
			ret = siommu_unit_add_vtd(ctx, NULL, &unit);
			if (!ret && test && !strcmp(test, "1"))
				ret = siommu_unit_add_mock(ctx, &test_unit);
			if (ret)
				siommu_ctx_destroy(ctx);
			else
				machine = ctx;
		}
	}
	pthread_mutex_unlock(&machine_lock);
	if (ret)
		return fail(-ret);
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return fail(ENOMEM);
	ret = siommu_iommufd_create(&(struct siommu_iommufd_cfg){
		.ctx = machine, .test_unit = test_unit }, &pc->ictx);
	if (ret) {
		free(pc);
		return fail(-ret);
	}
	fd = eventfd(0, (flags & O_CLOEXEC) ? EFD_CLOEXEC : 0);
	if (fd < 0 || fd >= MAX_FDS) {
		if (fd >= 0)
			real_close(fd);
		siommu_iommufd_destroy(pc->ictx);
		free(pc);
		return fail(fd < 0 ? errno : EMFILE);
	}
	fd_track(fd, pc, PFD_IOMMUFD, 0);
	return fd;
}

static int open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

/* The open family: /dev/iommu is ours, any other path libc's (open is
 * openat at AT_FDCWD). */
static int open_va(int dirfd, const char *path, int flags, va_list ap)
{
	init();
	if (is_iommu(path))
		return iommu_open(flags);
	return real_openat(dirfd, path, flags, open_mode(flags, ap));
}

int SIOMMU_EXPORT open(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = open_va(AT_FDCWD, path, flags, ap);
	va_end(ap);
	return ret;
}

int SIOMMU_EXPORT open64(const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = open_va(AT_FDCWD, path, flags | O_LARGEFILE, ap);
	va_end(ap);
	return ret;
}

int SIOMMU_EXPORT openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = open_va(dirfd, path, flags, ap);
	va_end(ap);
	return ret;
}

int SIOMMU_EXPORT openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = open_va(dirfd, path, flags | O_LARGEFILE, ap);
	va_end(ap);
	return ret;
}

int SIOMMU_EXPORT ioctl(int fd, unsigned long request, ...)
{
	struct pctx *pc;
	struct pfd f;
	va_list ap;
	void *arg;
	int ret;

	init();
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	pc = fd_get(fd, &f);
	if (!pc)
		return real_ioctl(fd, request, arg);
	if (f.kind != PFD_IOMMUFD) {
		pctx_put(pc);
		return fail(ENOTTY);
	}
	ret = siommu_iommufd_ioctl(pc->ictx, request, arg);
	if (!ret && request == IOMMU_FAULT_QUEUE_ALLOC) {
		struct iommu_fault_alloc *a = arg;

		ret = queue_fd_track(pc, (int)a->out_fault_fd, PFD_FAULT, a->out_fault_id);
	} else if (!ret && request == IOMMU_VEVENTQ_ALLOC) {
		struct iommu_veventq_alloc *a = arg;

		ret = queue_fd_track(pc, (int)a->out_veventq_fd, PFD_VEVENTQ, a->out_veventq_id);
	} else if (!ret && request == IOMMU_TEST_CMD &&
		   ((struct iommu_test_cmd *)arg)->op == IOMMU_TEST_OP_CREATE_ACCESS) {
		int afd = (int)((struct iommu_test_cmd *)arg)->create_access.out_access_fd;

		/* The access fd keeps the context too. */
		if (afd <= 0 || afd >= MAX_FDS) {
			siommu_iommufd_access_close(pc->ictx, afd);
			real_close(afd);
			ret = -EMFILE;
		} else {
			fd_track(afd, pc, PFD_ACCESS, (uint32_t)afd);
		}
	}
	pctx_put(pc);
	return ret ? fail(-ret) : 0;
}

/* read() (@buf written) or write() (@buf read) on @fd: fault fds carry
 * records both ways, vEVENTQ fds when read, the /dev/iommu fd neither
 * (-EINVAL, as Linux's, as for writing a vEVENTQ's); other fds are
 * libc's. */
static ssize_t rw(int fd, bool is_read, void *buf, size_t count)
{
	struct pctx *pc;
	struct pfd f;
	long ret;

	init();
	pc = fd_get(fd, &f);
	if (!pc)
		return is_read ? real_read(fd, buf, count) : real_write(fd, buf, count);
	if (f.kind == PFD_FAULT && is_read)
		ret = siommu_iommufd_fault_read(pc->ictx, f.obj_id, buf, count, 0);
	else if (f.kind == PFD_FAULT)
		ret = siommu_iommufd_fault_write(pc->ictx, f.obj_id, buf, count, 0);
	else if (f.kind == PFD_VEVENTQ && is_read)
		ret = siommu_iommufd_veventq_read(pc->ictx, f.obj_id, buf, count, 0);
	else
		ret = -EINVAL;
	pctx_put(pc);
	return ret < 0 ? fail((int)-ret) : ret;
}

ssize_t SIOMMU_EXPORT read(int fd, void *buf, size_t count)
{
	return rw(fd, true, buf, count);
}

ssize_t SIOMMU_EXPORT write(int fd, const void *buf, size_t count)
{
	return rw(fd, false, (void *)buf, count);
}

int SIOMMU_EXPORT close(int fd)
{
	init();
	fd_untrack(fd);
	return real_close(fd);
}

/* @newfd now stands for what @oldfd does (nothing, if @oldfd is not ours). */
static int dup_track(int oldfd, int newfd)
{
	struct pctx *pc;
	struct pfd f;

	if (newfd < 0)
		return newfd;
	pc = fd_get(oldfd, &f);
	if (!pc)
		return newfd;
	if (newfd >= MAX_FDS) {
		real_close(newfd);
		pctx_put(pc);
		return fail(EMFILE);
	}
	fd_track(newfd, pc, f.kind, f.obj_id);
	pctx_put(pc);
	return newfd;
}

int SIOMMU_EXPORT dup(int oldfd)
{
	init();
	return dup_track(oldfd, real_dup(oldfd));
}

int SIOMMU_EXPORT dup2(int oldfd, int newfd)
{
	int ret;

	init();
	if (oldfd == newfd)
		return real_dup2(oldfd, newfd);
	ret = real_dup2(oldfd, newfd);
	if (ret >= 0)
		fd_untrack(newfd);	/* what it was is closed */
	return dup_track(oldfd, ret);
}

int SIOMMU_EXPORT dup3(int oldfd, int newfd, int flags)
{
	int ret;

	init();
	ret = real_dup3(oldfd, newfd, flags);
	if (ret >= 0)
		fd_untrack(newfd);
	return dup_track(oldfd, ret);
}
