/* SPDX-License-Identifier: MIT */
/*
 * libsiommu-preload.so: /dev/iommu and VFIO device files for an
 * unmodified program, preloaded (LD_PRELOAD). Opening /dev/iommu gives a
 * real fd (an eventfd, so that close, dup and poll work on it) backed by
 * an iommufd context of the machine (machine.c: a scenario's units and
 * devices, built on first use); /dev/vfio/vfio is one too, whose pinned
 * pages are charged to the process, as Linux's. ioctl() on them is
 * siommu_iommufd_ioctl_checked() (the type1 container requests included); the
 * fault-queue fds FAULT_QUEUE_ALLOC hands out answer read() and write()
 * with their records, the vEVENTQ fds of VEVENTQ_ALLOC read() with
 * theirs. Opening /dev/vfio/devices/vfioN gives a real fd too, a VFIO
 * device file of the machine's device N (vfio.c), and /dev/vfio/G one of
 * its IOMMU group G (group.c), whose VFIO_GROUP_GET_DEVICE_FD result is a
 * device file's fd. Everything else goes to libc untouched.
 *
 * Intercepted: open, open64, openat, openat64 (of those paths), ioctl,
 * read, write, pread, pread64, pwrite, pwrite64, close, dup, dup2, dup3,
 * mmap, mmap64 (on our own fds), munmap and mremap (of our mappings,
 * and mmap with MAP_FIXED over them). Every context of the process charges its pins
 * to the process's accounting buckets, which siommu_preload_get_acct()
 * reads (siommu/preload.h). A context lives while an fd of it (a
 * /dev/iommu fd, a dup of one, a queue's fd, a VFIO device file bound to
 * it, or a group file whose container it is: each keeps its context as
 * Linux's does) is open; the last close destroys its objects.
 *
 * fork() shares the objects of our fds with the child (fork.c): the
 * child's inherited fds become handles its calls go through, run here.
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
 * thread-safe on its own, but is held across fork(). A context cannot go
 * away during a call: the call holds a reference.
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
#include <linux/capability.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <siommu/core.h>
#include <siommu/iommufd.h>
#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>
#include <siommu/preload.h>

#include "iommufd/ucopy.h"
#include "preload/shim.h"
#include "util/compiler.h"

struct pctx {
	struct siommu_iommufd *ictx;
	unsigned int refs;	/* fds using it, forked children's handles,
				 * and calls in flight */
};

static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pfd fds[MAX_FDS];

static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

static void resolve(void)
{
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	real_read = dlsym(RTLD_NEXT, "read");
	real_write = dlsym(RTLD_NEXT, "write");
	real_pread64 = dlsym(RTLD_NEXT, "pread64");
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_close = dlsym(RTLD_NEXT, "close");
	real_dup = dlsym(RTLD_NEXT, "dup");
	real_dup2 = dlsym(RTLD_NEXT, "dup2");
	real_dup3 = dlsym(RTLD_NEXT, "dup3");
	real_mmap = dlsym(RTLD_NEXT, "mmap");
	real_munmap = dlsym(RTLD_NEXT, "munmap");
	real_mremap = dlsym(RTLD_NEXT, "mremap");
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
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

/* The VFIO container node, an iommufd of its own (Linux's
 * CONFIG_IOMMUFD_VFIO_CONTAINER). */
static bool is_vfio_container(const char *path)
{
	return path && !strcmp(path, "/dev/vfio/vfio");
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

void pctx_put(struct pctx *pc)
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

void pctx_ref(struct pctx *pc)
{
	pthread_mutex_lock(&fds_lock);
	pc->refs++;
	pthread_mutex_unlock(&fds_lock);
}

/*
 * A queue's open file, which holds the queue's object as Linux's file
 * does until its last close (IOMMU_DESTROY -EBUSY meanwhile): every fd
 * and handle of it (dups, a forked child's copies) counts in @refs, under
 * fds_lock. The object model's hold is taken when the file is made and
 * given back with its last reference, outside that lock, so that neither
 * the fd table's lock nor fork()'s handlers wait for the context's.
 */
struct queue_file {
	unsigned int refs;
};

int pfd_queue_file(struct pctx *pc, enum pfd_kind kind, uint32_t id, struct pfd *out)
{
	struct queue_file *qf;
	int ret;

	ret = siommu_iommufd_queue_fd_hold(pc->ictx, id);
	if (ret)
		return ret;
	qf = calloc(1, sizeof(*qf));
	if (!qf) {
		siommu_iommufd_queue_fd_release(pc->ictx, id);
		return -ENOMEM;
	}
	qf->refs = 1;
	pctx_ref(pc);
	*out = (struct pfd){ .pc = pc, .kind = kind, .obj_id = id, .qf = qf };
	return 0;
}

void pfd_ref_locked(const struct pfd *f)
{
	if (f->pc)
		f->pc->refs++;
	if (f->qf)
		f->qf->refs++;
	if (f->vf)
		vfio_file_get(f->vf);
	if (f->grp)
		group_file_get(f->grp);
}

void pfd_ref(const struct pfd *f)
{
	pthread_mutex_lock(&fds_lock);
	pfd_ref_locked(f);
	pthread_mutex_unlock(&fds_lock);
}

/* An access (test mode) goes with the last fd of the process that made
 * it; a child's handle on it keeps the context only. */
void pfd_unref(const struct pfd *f)
{
	bool last = false;

	if (f->qf) {
		pthread_mutex_lock(&fds_lock);
		last = !--f->qf->refs;
		pthread_mutex_unlock(&fds_lock);
	}
	if (last) {
		siommu_iommufd_queue_fd_release(f->pc->ictx, f->obj_id);
		free(f->qf);
	}
	if (f->pc)
		pctx_put(f->pc);
	if (f->vf)
		vfio_file_put(f->vf);
	if (f->grp)
		group_file_put(f->grp);
}

struct siommu_iommufd *pctx_ictx(struct pctx *pc)
{
	return pc->ictx;
}

int pctx_from_fd(int fd, struct pctx **out)
{
	struct pfd f;
	struct pctx *pc = fd_get(fd, &f);

	if (pc && f.kind == PFD_IOMMUFD) {
		*out = pc;
		return 0;
	}
	if (pc)
		pctx_put(pc);
	/* Linux: -EBADF for no file, -EBADFD for a file of another kind. */
	return fcntl(fd, F_GETFD) < 0 ? -EBADF : -EBADFD;
}

/* The VFIO device or group file behind @fd, with a reference on it (the
 * one member set); all NULL if it is neither. pfd_unref() gives it. */
static struct pfd fd_get_file(int fd)
{
	struct pfd f = { 0 };

	if (fd < 0 || fd >= MAX_FDS)
		return f;
	pthread_mutex_lock(&fds_lock);
	if (fds[fd].vf || fds[fd].grp) {
		f = fds[fd];
		pfd_ref_locked(&f);
	}
	pthread_mutex_unlock(&fds_lock);
	return f;
}

/* Make @fd stand for what @f does, with the caller's reference on it. */
static void fd_install(int fd, const struct pfd *f)
{
	pthread_mutex_lock(&fds_lock);
	fds[fd] = *f;
	pthread_mutex_unlock(&fds_lock);
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
 * context and the object as Linux's does; 0, -EMFILE past our table or
 * -ENOMEM (the object goes), or -ENOENT (another thread destroyed it
 * already: its ID may be another's by now). */
static int queue_fd_track(struct pctx *pc, int qfd, enum pfd_kind kind, uint32_t id)
{
	struct pfd f;
	int ret = qfd < MAX_FDS ? pfd_queue_file(pc, kind, id, &f) : -EMFILE;

	if (ret) {
		real_close(qfd);
		if (ret != -ENOENT)
			siommu_iommufd_obj_destroy(pc->ictx, id);
		return ret;
	}
	fd_install(qfd, &f);
	return 0;
}

/* Forget @fd; its reference goes, and with the last fd of an access the
 * access. */
static void fd_untrack(int fd)
{
	struct pfd old;
	uint32_t access = 0;
	int i;

	if (fd < 0 || fd >= MAX_FDS)
		return;
	pthread_mutex_lock(&fds_lock);
	old = fds[fd];
	fds[fd] = (struct pfd){ 0 };
	if (old.pc && old.kind == PFD_ACCESS)
		access = old.obj_id;
	for (i = 0; access && i < MAX_FDS; i++)
		if (fds[i].pc == old.pc && fds[i].kind == PFD_ACCESS && fds[i].obj_id == access)
			access = 0;
	pthread_mutex_unlock(&fds_lock);
	if (access)
		siommu_iommufd_access_close(old.pc->ictx, (int)access);
	pfd_unref(&old);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* The process's accounting buckets, and its user's as far as the process
 * sees it: every context of the process charges them, both limited by
 * RLIMIT_MEMLOCK as it is at each charge. Made once; they stay. */
static struct siommu_iommufd_acct *acct_user, *acct_process;
static pthread_mutex_t acct_lock = PTHREAD_MUTEX_INITIALIZER;

/* RLIMIT_MEMLOCK now, in pages (UINT64_MAX: none). */
static uint64_t memlock_limit_pages(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return rl.rlim_cur / 4096;
}

/* 0 with both buckets, or -ENOMEM (the next call tries again). */
static int acct_get(void)
{
	struct siommu_iommufd_acct *u, *p;
	int ret = 0;

	pthread_mutex_lock(&acct_lock);
	if (!acct_process) {
		ret = siommu_iommufd_acct_create(SIOMMU_IOMMUFD_ACCT_MEMLOCK, &u);
		if (!ret) {
			ret = siommu_iommufd_acct_create(SIOMMU_IOMMUFD_ACCT_MEMLOCK, &p);
			if (ret)
				siommu_iommufd_acct_destroy(u);
		}
		if (!ret) {
			acct_user = u;
			acct_process = p;
		}
	}
	pthread_mutex_unlock(&acct_lock);
	return ret;
}

int SIOMMU_EXPORT siommu_preload_get_acct(struct siommu_preload_acct *out)
{
	int ret;

	if (!out)
		return -EINVAL;
	/* A forked child's maps charge buckets the opener keeps for it. */
	if (remote_active()) {
		ret = remote_acct(out);
		if (!ret)
			out->limit_pages = memlock_limit_pages();
		return ret;
	}
	ret = acct_get();
	if (ret)
		return ret;
	out->pinned_pages = siommu_iommufd_acct_pinned_vm(acct_process);
	out->locked_pages = siommu_iommufd_acct_locked(acct_process);
	out->user_locked_pages = siommu_iommufd_acct_locked(acct_user);
	out->limit_pages = siommu_iommufd_acct_limit(acct_process);
	return 0;
}

/* Whether capability @cap is in the process's effective set (capget(2));
 * false when it cannot be read. */
static bool has_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

int eventfd_for(int flags)
{
	int fd = eventfd(0, (flags & O_CLOEXEC) ? EFD_CLOEXEC : 0);

	return fd < 0 ? -errno : fd;
}

/* A new context, charging pinned pages to the user (@rlimit_mode 0) or,
 * as Linux's /dev/vfio/vfio, the process (1). The process's capabilities
 * at the open are the context's, as Linux asks for them: CAP_SYS_RESOURCE
 * to set RLIMIT_MODE, CAP_IPC_LOCK to pin beyond RLIMIT_MEMLOCK. A file a
 * forked child opens is made by the opener, with the opener's. */
static int pctx_new(unsigned int rlimit_mode, struct pctx **out)
{
	struct siommu_ctx *machine;
	struct pctx *pc;
	int ret;

	ret = machine_get(&machine);
	if (!ret)
		ret = acct_get();
	if (ret)
		return ret;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	ret = siommu_iommufd_create(&(struct siommu_iommufd_cfg){
		.ctx = machine, .test_unit = machine_test_unit(),
		.user = acct_user, .process = acct_process,
		.rlimit_mode = rlimit_mode, .cap_sys_resource = has_cap(CAP_SYS_RESOURCE),
		.cap_ipc_lock = has_cap(CAP_IPC_LOCK) }, &pc->ictx);
	if (ret) {
		free(pc);
		return ret;
	}
	pc->refs = 1;
	*out = pc;
	return 0;
}

/* A new fd (close-on-exec) for VFIO device file @vf, the caller's
 * reference going to it: the fd, or -errno with the reference given up. */
static int vfio_fd(struct vfio_file *vf)
{
	struct pfd f = { .vf = vf };
	int fd = eventfd_for(O_CLOEXEC);

	if (fd < 0 || fd >= MAX_FDS) {
		if (fd >= 0)
			real_close(fd);
		pfd_unref(&f);
		return fd < 0 ? fd : -EMFILE;
	}
	fd_install(fd, &f);
	return fd;
}

int pfd_open(int path, struct pfd *out)
{
	int ret;

	*out = (struct pfd){ 0 };
	if (path == PFD_PATH_IOMMU || path == PFD_PATH_CONTAINER)
		return pctx_new(path == PFD_PATH_CONTAINER, &out->pc);
	if (path < PFD_PATH_VFIO)
		return -ENOENT;
	if (path >= PFD_PATH_GROUP)
		return group_file_open((unsigned int)(path - PFD_PATH_GROUP), &out->grp);
	ret = vfio_file_open((unsigned int)(path - PFD_PATH_VFIO), &out->vf);
	return ret;
}

/* open() of our @path: a new fd standing for a new file. */
static int our_open(int path, int flags)
{
	struct pfd f;
	int fd, ret;

	if (remote_active()) {
		fd = remote_open(path, flags);
		return fd < 0 ? fail(-fd) : fd;
	}
	ret = pfd_open(path, &f);
	if (ret)
		return fail(-ret);
	fd = eventfd_for(flags);
	if (fd < 0 || fd >= MAX_FDS) {
		if (fd >= 0)
			real_close(fd);
		pfd_unref(&f);
		return fail(fd < 0 ? -fd : EMFILE);
	}
	/* The fd's reference is the opener's. */
	fd_install(fd, &f);
	return fd;
}

static int open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

/* The open family: /dev/iommu, /dev/vfio/vfio and the VFIO device files
 * are ours, any other path libc's (open is openat at AT_FDCWD). */
static int open_va(int dirfd, const char *path, int flags, va_list ap)
{
	int index;

	init();
	if (is_iommu(path))
		return our_open(PFD_PATH_IOMMU, flags);
	if (is_vfio_container(path))
		return our_open(PFD_PATH_CONTAINER, flags);
	index = vfio_path_index(path);
	if (index >= 0)
		return our_open(PFD_PATH_VFIO + index, flags);
	index = group_path_index(path);
	if (index >= 0)
		return our_open(PFD_PATH_GROUP + index, flags);
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
	/* The struct as the call answered it: what it made, read without
	 * following the caller's pointer again. */
	union {
		unsigned char b[IFD_IOCTL_ANSWER_MAX];
		struct iommu_fault_alloc fault;
		struct iommu_veventq_alloc veventq;
		struct iommu_test_cmd test;
	} ans;
	struct vfio_file *vf = NULL;
	struct pfd file, f;
	struct pctx *pc;
	va_list ap;
	void *arg;
	int ret, h;

	init();
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	h = remote_handle(fd);
	if (h >= 0) {
		ret = remote_ioctl(h, request, arg);
		return ret < 0 ? fail(-ret) : ret;
	}
	file = fd_get_file(fd);
	if (file.vf || file.grp) {
		ret = file.vf ? vfio_file_ioctl(file.vf, request, (uintptr_t)arg,
						&ifd_self_checked, NULL) :
				group_file_ioctl(file.grp, request, (uintptr_t)arg,
						 &ifd_self_checked, NULL, &vf);
		pfd_unref(&file);
		/* A device's fd is the result of GET_DEVICE_FD. */
		if (!ret && vf)
			ret = vfio_fd(vf);
		return ret < 0 ? fail(-ret) : ret;
	}
	pc = fd_get(fd, &f);
	if (!pc)
		return real_ioctl(fd, request, arg);
	if (f.kind != PFD_IOMMUFD) {
		pctx_put(pc);
		return fail(ENOTTY);
	}
	ret = ifd_ioctl_checked(pc->ictx, request, arg, ans.b);
	if (!ret && request == IOMMU_FAULT_QUEUE_ALLOC) {
		ret = queue_fd_track(pc, (int)ans.fault.out_fault_fd, PFD_FAULT,
				     ans.fault.out_fault_id);
	} else if (!ret && request == IOMMU_VEVENTQ_ALLOC) {
		ret = queue_fd_track(pc, (int)ans.veventq.out_veventq_fd, PFD_VEVENTQ,
				     ans.veventq.out_veventq_id);
	} else if (!ret && request == IOMMU_TEST_CMD &&
		   ans.test.op == IOMMU_TEST_OP_CREATE_ACCESS) {
		int afd = (int)ans.test.create_access.out_access_fd;

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
	/* VFIO_CHECK_EXTENSION answers with a positive value. */
	return ret < 0 ? fail(-ret) : ret;
}

/* read() (@buf written) or write() (@buf read): fault fds carry records
 * both ways, vEVENTQ fds when read, the /dev/iommu fd neither (-EINVAL,
 * as Linux's, as for writing a vEVENTQ's); VFIO device files take
 * pread() and pwrite() only (-EINVAL: the fd has no file position to
 * address a region with), and group files neither (-EINVAL). */
long pfd_rw(const struct pfd *f, bool is_read, void *buf, size_t count)
{
	if (f->vf || f->grp)
		return -EINVAL;
	if (f->kind == PFD_FAULT && is_read)
		return siommu_iommufd_fault_read(f->pc->ictx, f->obj_id, buf, count, 0);
	if (f->kind == PFD_FAULT)
		return siommu_iommufd_fault_write(f->pc->ictx, f->obj_id, buf, count, 0);
	if (f->kind == PFD_VEVENTQ && is_read)
		return siommu_iommufd_veventq_read(f->pc->ictx, f->obj_id, buf, count, 0);
	return -EINVAL;
}

/* pread() (@buf written) or pwrite(): the regions of a VFIO device file;
 * on a group file -EINVAL (it has no regions), on a context's fds -ESPIPE
 * (they cannot seek). */
long pfd_prw(const struct pfd *f, bool is_read, void *buf, size_t count, int64_t pos)
{
	if (f->grp)
		return -EINVAL;
	if (!f->vf)
		return -ESPIPE;
	return pos < 0 ? -EINVAL : vfio_file_rw(f->vf, is_read, buf, count, (uint64_t)pos);
}

/* A reference on what @fd stands for, in *f: whether it is ours. */
static bool fd_get_any(int fd, struct pfd *f)
{
	if (fd < 0 || fd >= MAX_FDS)
		return false;
	pthread_mutex_lock(&fds_lock);
	*f = fds[fd];
	pfd_ref_locked(f);
	pthread_mutex_unlock(&fds_lock);
	return pfd_used(f);
}

/* read()/write(), or with @positioned pread()/pwrite(), on @fd: ours, a
 * child's handle, or libc's. */
static ssize_t rw(int fd, bool is_read, bool positioned, void *buf, size_t count, off64_t pos)
{
	struct pfd f;
	long ret;
	int h;

	init();
	h = remote_handle(fd);
	if (h >= 0) {
		ret = remote_rw(h, is_read, positioned, buf, count, pos);
	} else if (fd_get_any(fd, &f)) {
		ret = positioned ? pfd_prw(&f, is_read, buf, count, pos) :
				   pfd_rw(&f, is_read, buf, count);
		pfd_unref(&f);
	} else if (positioned) {
		return is_read ? real_pread64(fd, buf, count, pos) :
				 real_pwrite64(fd, buf, count, pos);
	} else {
		return is_read ? real_read(fd, buf, count) : real_write(fd, buf, count);
	}
	return ret < 0 ? fail((int)-ret) : ret;
}

ssize_t SIOMMU_EXPORT read(int fd, void *buf, size_t count)
{
	return rw(fd, true, false, buf, count, 0);
}

ssize_t SIOMMU_EXPORT write(int fd, const void *buf, size_t count)
{
	return rw(fd, false, false, (void *)buf, count, 0);
}

ssize_t SIOMMU_EXPORT pread(int fd, void *buf, size_t count, off_t pos)
{
	return rw(fd, true, true, buf, count, pos);
}

ssize_t SIOMMU_EXPORT pread64(int fd, void *buf, size_t count, off64_t pos)
{
	return rw(fd, true, true, buf, count, pos);
}

ssize_t SIOMMU_EXPORT pwrite(int fd, const void *buf, size_t count, off_t pos)
{
	return rw(fd, false, true, (void *)buf, count, pos);
}

ssize_t SIOMMU_EXPORT pwrite64(int fd, const void *buf, size_t count, off64_t pos)
{
	return rw(fd, false, true, (void *)buf, count, pos);
}

int SIOMMU_EXPORT close(int fd)
{
	init();
	remote_forget(fd);
	fd_untrack(fd);
	return real_close(fd);
}

/* @newfd now stands for what @oldfd does (nothing, if @oldfd is not ours). */
static int dup_track(int oldfd, int newfd)
{
	struct pfd f;

	if (newfd < 0)
		return newfd;
	if (remote_handle(oldfd) >= 0) {
		if (newfd >= MAX_FDS) {
			real_close(newfd);
			return fail(EMFILE);
		}
		remote_dup(oldfd, newfd);
		return newfd;
	}
	if (!fd_get_any(oldfd, &f))
		return newfd;
	if (newfd >= MAX_FDS) {
		real_close(newfd);
		pfd_unref(&f);
		return fail(EMFILE);
	}
	/* The reference is the new fd's. */
	fd_install(newfd, &f);
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
	if (ret >= 0) {
		/* what it was is closed */
		remote_forget(newfd);
		fd_untrack(newfd);
	}
	return dup_track(oldfd, ret);
}

int SIOMMU_EXPORT dup3(int oldfd, int newfd, int flags)
{
	int ret;

	init();
	ret = real_dup3(oldfd, newfd, flags);
	if (ret >= 0) {
		remote_forget(newfd);
		fd_untrack(newfd);
	}
	return dup_track(oldfd, ret);
}

/*
 * mmap() of an iommufd fd: a region an object of its context reported,
 * mapped from the context's memory (siommu_iommufd_mmap_get()), holding
 * the owner (IOMMU_DESTROY of it -EBUSY) and the context (as Linux's
 * mapping holds the file) until the last page of it is unmapped. A
 * mapping is a set of pieces: munmap() of its middle leaves two, as it
 * leaves two VMAs on Linux, and MAP_FIXED over a piece replaces it.
 */
struct pmap {
	struct pctx *pc;
	uint64_t offset;	/* the region's */
	unsigned int pieces;
	struct pmap *next;	/* on a list of mappings to let go */
};

struct piece {
	uintptr_t start, end;
	struct pmap *map;	/* NULL: a forked child's copy, holding nothing */
};

/* Protects the pieces; taken alone (no call into the library under it).
 * The allocator may map and unmap memory of its own while we grow the
 * table under it: maps_held says so, and those calls, which never touch
 * a mapping of ours, go straight to libc. */
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool maps_held;
static struct piece *pieces;
static size_t nr_pieces, cap_pieces;	/* nr_pieces: atomic reads */

static void maps_lock_take(void)
{
	pthread_mutex_lock(&maps_lock);
	maps_held = true;
}

static void maps_lock_drop(void)
{
	maps_held = false;
	pthread_mutex_unlock(&maps_lock);
}

/* Room for @n more pieces: 0, -ENOMEM. Under maps_lock. */
static int pieces_reserve(size_t n)
{
	struct piece *p;
	size_t cap;

	if (nr_pieces + n <= cap_pieces)
		return 0;
	cap = cap_pieces ? 2 * cap_pieces : 16;
	while (cap < nr_pieces + n)
		cap *= 2;
	p = realloc(pieces, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	pieces = p;
	cap_pieces = cap;
	return 0;
}

/*
 * [start, end) of the address space maps none of ours any more: pieces
 * are cut, split (room for one more reserved: only one piece can hold the
 * whole range inside it) or dropped; mappings left with no piece are
 * put on *gone. Under maps_lock.
 */
static void pieces_forget(uintptr_t start, uintptr_t end, struct pmap **gone)
{
	size_t i = 0;

	while (i < nr_pieces) {
		struct piece *pc = &pieces[i];

		if (pc->end <= start || pc->start >= end) {
			i++;
		} else if (pc->start < start && pc->end > end) {
			pieces[nr_pieces] = (struct piece){ end, pc->end, pc->map };
			__atomic_store_n(&nr_pieces, nr_pieces + 1, __ATOMIC_RELAXED);
			if (pc->map)
				pc->map->pieces++;
			pc->end = start;
			i++;
		} else if (pc->start < start) {
			pc->end = start;
			i++;
		} else if (pc->end > end) {
			pc->start = end;
			i++;
		} else {
			if (pc->map && !--pc->map->pieces) {
				pc->map->next = *gone;
				*gone = pc->map;
			}
			*pc = pieces[nr_pieces - 1];
			__atomic_store_n(&nr_pieces, nr_pieces - 1, __ATOMIC_RELAXED);
		}
	}
}

/* Let go of mappings with no piece left: their owner and context. */
static void pmaps_release(struct pmap *gone)
{
	while (gone) {
		struct pmap *m = gone;

		gone = m->next;
		siommu_iommufd_mmap_put(m->pc->ictx, m->offset);
		pctx_put(m->pc);
		free(m);
	}
}

/* Unmap [addr, addr + len) with @unmap (munmap, or an mmap with MAP_FIXED
 * that replaced it: @unmap NULL) and forget our pieces there. */
static int range_gone(void *addr, size_t len, bool unmap)
{
	uintptr_t start = (uintptr_t)addr, end;
	struct pmap *gone = NULL;
	int ret = 0;

	if (maps_held)
		return unmap ? real_munmap(addr, len) : 0;
	if (__builtin_add_overflow(start, len, &end))
		end = UINTPTR_MAX;
	maps_lock_take();
	if (pieces_reserve(1))
		ret = fail(ENOMEM);	/* as Linux, out of room to split */
	else if (unmap)
		ret = real_munmap(addr, len);
	if (!ret)
		pieces_forget(start, end, &gone);
	maps_lock_drop();
	pmaps_release(gone);
	return ret;
}

static void *iommufd_mmap(struct pctx *pc, void *addr, size_t len, int prot, int flags,
			  off_t off)
{
	struct pmap *m;
	void *p;
	int ret, fd;

	/* mmap(2)'s own checks come first. */
	if (!len || off < 0 || (off & (SIOMMU_PAGE_SIZE - 1)))
		ret = -EINVAL;
	else
		ret = siommu_iommufd_mmap_get(pc->ictx, (uint64_t)off, len, prot, flags, &fd);
	if (ret) {
		pctx_put(pc);
		errno = -ret;
		return MAP_FAILED;
	}
	m = calloc(1, sizeof(*m));
	p = m ? real_mmap(addr, len, prot, flags, fd, off) : MAP_FAILED;
	if (!m)
		errno = ENOMEM;
	if (p == MAP_FAILED) {
		ret = errno;
		free(m);
		siommu_iommufd_mmap_put(pc->ictx, (uint64_t)off);
		pctx_put(pc);
		errno = ret;
		return MAP_FAILED;
	}
	*m = (struct pmap){ .pc = pc, .offset = (uint64_t)off, .pieces = 1 };
	/* A MAP_FIXED mapping replaced whatever was there, ours included. */
	if ((flags & MAP_FIXED) && __atomic_load_n(&nr_pieces, __ATOMIC_RELAXED))
		range_gone(p, len, false);
	maps_lock_take();
	if (pieces_reserve(1)) {
		maps_lock_drop();
		real_munmap(p, len);
		m->pieces = 0;
		m->next = NULL;
		pmaps_release(m);
		errno = ENOMEM;
		return MAP_FAILED;
	}
	pieces[nr_pieces] = (struct piece){ (uintptr_t)p, (uintptr_t)p + len, m };
	__atomic_store_n(&nr_pieces, nr_pieces + 1, __ATOMIC_RELAXED);
	maps_lock_drop();
	return p;
}

/* Our iommufd fds map regions; VFIO device files map nothing (-EINVAL,
 * as vfio-pci for regions without VFIO_REGION_INFO_FLAG_MMAP: none has
 * it), group, queue and access fds neither (-ENODEV, as Linux's files
 * without mmap); others are libc's. */
void SIOMMU_EXPORT *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct pfd file, f;
	struct pctx *pc;
	void *p;

	init();
	if (!(flags & MAP_ANONYMOUS)) {
		file = fd_get_file(fd);
		if (file.vf || file.grp) {
			errno = file.vf ? EINVAL : ENODEV;
			pfd_unref(&file);
			return MAP_FAILED;
		}
		pc = fd_get(fd, &f);
		if (pc && f.kind == PFD_IOMMUFD)
			return iommufd_mmap(pc, addr, len, prot, flags, off);
		if (pc) {
			pctx_put(pc);
			errno = ENODEV;
			return MAP_FAILED;
		}
	}
	p = real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & MAP_FIXED) &&
	    __atomic_load_n(&nr_pieces, __ATOMIC_RELAXED))
		range_gone(p, len, false);
	return p;
}

void SIOMMU_EXPORT *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int SIOMMU_EXPORT munmap(void *addr, size_t len)
{
	init();
	if (!__atomic_load_n(&nr_pieces, __ATOMIC_RELAXED))
		return real_munmap(addr, len);
	return range_gone(addr, len, true);
}

/* The piece that maps @addr: its index, or -1. Under maps_lock. */
static ssize_t piece_at(uintptr_t addr)
{
	size_t i;

	for (i = 0; i < nr_pieces; i++)
		if (pieces[i].start <= addr && addr < pieces[i].end)
			return (ssize_t)i;
	return -1;
}

/*
 * mremap() of one of our mappings, by Linux's rules for an iommufd
 * region (a VM_DONTEXPAND | VM_PFNMAP mapping: mm/mremap.c): it may
 * shrink in place and move whole or shrunk (MREMAP_MAYMOVE |
 * MREMAP_FIXED), the moved mapping holding the owner as the old one did;
 * it may not grow (EFAULT: old_len 0 too, which would duplicate it), nor
 * span past its mapping (EFAULT), nor leave its pages behind with
 * MREMAP_DONTUNMAP (EINVAL). Arguments are checked first, in the system
 * call's order. Anything else is libc's, and our pieces its call unmaps
 * (a shrunk tail, a MREMAP_FIXED target, a moved source) let go.
 */
static void *remap(void *addr, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	const uintptr_t pmask = SIOMMU_PAGE_SIZE - 1;
	const int known = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP;
	uintptr_t old = (uintptr_t)addr, olen, nlen, to;
	struct pmap *gone = NULL, *m = NULL;
	bool ours;
	ssize_t i;
	void *r;

	olen = (old_len + pmask) & ~pmask;
	nlen = (new_len + pmask) & ~pmask;
	if ((flags & ~known) || ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
	    ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || olen != nlen)) ||
	    (old & pmask) || !nlen || nlen < new_len || olen < old_len)
		return real_mremap(addr, old_len, new_len, flags, new_addr);
	maps_lock_take();
	i = piece_at(old);
	if (i >= 0 && (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) || nlen > olen)) {
		int err = (flags & MREMAP_DONTUNMAP) ? EINVAL :
			  olen > pieces[i].end - old || nlen > olen ? EFAULT : 0;

		if (err) {
			maps_lock_drop();
			errno = err;
			return MAP_FAILED;
		}
	}
	/* Room to split one piece at the target and to add the moved one. */
	if (pieces_reserve(2)) {
		maps_lock_drop();
		errno = ENOMEM;
		return MAP_FAILED;
	}
	ours = i >= 0;
	if (ours) {
		m = pieces[i].map;
		if (m)
			m->pieces++;	/* the moved piece's, so that it stays */
	}
	r = real_mremap(addr, old_len, new_len, flags, new_addr);
	if (r != MAP_FAILED) {
		to = (uintptr_t)r;
		if (to == old) {
			if (nlen < olen)
				pieces_forget(old + nlen, old + olen, &gone);
		} else {
			pieces_forget(to, to + nlen, &gone);
			if (!(flags & MREMAP_DONTUNMAP))
				pieces_forget(old, old + olen, &gone);
		}
		if (ours && to != old) {
			pieces[nr_pieces] = (struct piece){ to, to + nlen, m };
			__atomic_store_n(&nr_pieces, nr_pieces + 1, __ATOMIC_RELAXED);
			m = NULL;
		}
	}
	/* Not moved: the hold goes (with the mapping, if nothing is left). */
	if (m && !--m->pieces) {
		m->next = gone;
		gone = m;
	}
	maps_lock_drop();
	pmaps_release(gone);
	return r;
}

void SIOMMU_EXPORT *mremap(void *addr, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;

	init();
	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (!__atomic_load_n(&nr_pieces, __ATOMIC_RELAXED))
		return real_mremap(addr, old_len, new_len, flags, new_addr);
	return remap(addr, old_len, new_len, flags, new_addr);
}

/* fork(): the child shares our fds' objects, served from here (fork.c).
 * The fd table's lock is held across the fork, so that the child's
 * handles are exactly the fds it inherits. */
static void atfork_prepare(void)
{
	fork_prepare();
	maps_lock_take();
	pthread_mutex_lock(&fds_lock);
	fork_prepare_fds(fds);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&fds_lock);
	maps_lock_drop();
	fork_parent();
}

/* The child's copies of our mappings are its memory alone: they hold no
 * region's owner (its calls on our fds are the opener's), but stay
 * pieces, so that mremap keeps Linux's rules for them. */
static void atfork_child(void)
{
	struct pmap *m;
	size_t i, j;

	pthread_mutex_init(&fds_lock, NULL);
	maps_held = false;
	for (i = 0; i < nr_pieces; i++) {
		m = pieces[i].map;
		for (j = i; m && j < nr_pieces; j++)
			if (pieces[j].map == m)
				pieces[j].map = NULL;
		free(m);
	}
	pthread_mutex_init(&maps_lock, NULL);
	fork_child(fds);
}
