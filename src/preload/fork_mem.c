/* SPDX-License-Identifier: MIT */
/*
 * A forked child's memory as memory the opener reaches by pointer
 * (fork.c): the file behind a shared range, or a memfd private memory
 * moves onto; and, in the opener, its own mapping of shared memory.
 *
 * Locking: moved_lock protects the memfds kept; held across fork().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/fork.h"
#include "util/vm_rw.h"

/* The mappings over [start, end), in order, covering it (*n of them,
 * at most @max): 0, -EFAULT (a hole, or more than @max). */
static int vmas_over(uintptr_t start, uintptr_t end, struct vma *v, unsigned int max,
		     unsigned int *n)
{
	uintptr_t at = start;
	struct maps m;

	*n = 0;
	if (maps_open(&m))
		return -EFAULT;
	while (at < end && *n < max && !maps_next(&m, at, false, &v[*n]) && v[*n].start <= at)
		at = v[(*n)++].end;
	maps_close(&m);
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

int own_mapping(dev_t dev, uint64_t ino, uint64_t off, uint64_t len, uintptr_t *addr)
{
	uintptr_t at = 0;
	struct maps m;
	struct vma v;
	int ret = -EFAULT;

	if (maps_open(&m))
		return -EFAULT;
	while (ret && !maps_next(&m, at, true, &v)) {
		if (v.ino == ino && v.dev == dev && off >= v.off &&
		    off + len <= v.off + (v.end - v.start)) {
			*addr = v.start + (off - v.off);
			ret = 0;
		}
		at = v.end;
	}
	maps_close(&m);
	return ret;
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

/* An open fd of ours on the file of @v (dev, inode): the fd, or -1. */
static int fd_of_file(const struct vma *v)
{
	struct dirent *d;
	struct stat st;
	unsigned int i;
	int fd = -1;
	DIR *dir;

	/* Memory moved before, mapped again: a memfd we keep. */
	pthread_mutex_lock(&moved_lock);
	for (i = 0; fd < 0 && i < nr_moved; i++)
		if (!fstat(moved[i], &st) && st.st_ino == v->ino && st.st_dev == v->dev)
			fd = fcntl(moved[i], F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&moved_lock);
	if (fd >= 0)
		return fd;
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

/* Whether a mapping of ours shows the file of @fd. */
static bool file_mapped(int fd)
{
	uintptr_t at = 0;
	struct stat st;
	struct maps m;
	struct vma v;
	bool found = false;

	if (fstat(fd, &st))
		return false;
	if (maps_open(&m))
		return true;
	while (!found && !maps_next(&m, at, true, &v)) {
		found = v.ino == st.st_ino && v.dev == st.st_dev;
		at = v.end;
	}
	maps_close(&m);
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

/* Linux 6.4's feature, which Debian 12's headers predate: unpopulated
 * anonymous pages are write-protected too. */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif

/* Whether this process has threads besides the caller. */
static bool other_threads(void)
{
	struct stat st;

	/* A task directory links itself, its parent, and a thread each. */
	return stat("/proc/self/task", &st) || st.st_nlink != 3;
}

/* A userfaultfd with write-protect faults: the fd, or -1. The kernel's
 * own writes wait too when we may have that; else only the user's do
 * (UFFD_USER_MODE_ONLY, unprivileged since Linux 5.11), and a system
 * call writing into a held range fails with EFAULT. *unpopulated: pages
 * never touched are held as well (Linux 6.4). */
static int uffd_open(bool *unpopulated)
{
	static const int modes[] = { 0, UFFD_USER_MODE_ONLY };
	struct uffdio_api api;
	unsigned int i, f;
	int fd;

	for (i = 0; i < 2; i++) {
		for (f = 0; f < 2; f++) {
			fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | modes[i]);
			if (fd < 0)
				break;
			api = (struct uffdio_api){
				.api = UFFD_API,
				.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP |
					    (f ? 0 : UFFD_FEATURE_WP_UNPOPULATED),
			};
			if (!ioctl(fd, UFFDIO_API, &api)) {
				*unpopulated = !f;
				return fd;
			}
			close(fd);
		}
	}
	return -1;
}

/*
 * Hold every writer of [start, end) of our private memory until
 * writers_release(): with other threads, a userfaultfd registered for
 * write-protect faults over the range with every page write-protected,
 * so that a write blocks until the range is a new mapping (the holder's
 * close of the fd wakes it to retry there). Returns the fd (-1: no other
 * thread to hold), or -EBUSY: other threads, and no userfaultfd for the
 * range (none in the kernel or allowed to us, a seccomp filter refusing
 * it, or a private file mapping, which it cannot write-protect).
 */
static int writers_hold(uintptr_t start, uintptr_t end)
{
	struct uffdio_register reg = {
		.range = { start, end - start }, .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = {
		.range = { start, end - start }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	bool unpopulated;
	int fd;

	if (!other_threads())
		return -1;
	fd = uffd_open(&unpopulated);
	if (fd < 0)
		return -EBUSY;
	/* Without markers for untouched pages, touch them first. */
	if ((!unpopulated && madvise((void *)start, end - start, MADV_POPULATE_READ)) ||
	    ioctl(fd, UFFDIO_REGISTER, &reg) || ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) {
		close(fd);
		return -EBUSY;
	}
	return fd;
}

/* The writers writers_hold() held go on, in whatever maps the range now. */
static void writers_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Move [start, end) of our private memory (over @v, @n mappings) onto a
 * new memfd mapped shared at the same place, with its bytes and
 * protections: the memfd, or -errno (-EBUSY: writers_hold()'s). No write
 * is lost: other threads' writes wait while the bytes move. */
static int move_to_memfd(uintptr_t start, uintptr_t end, const struct vma *v, unsigned int n)
{
	size_t size = end - start;
	unsigned int i;
	void *copy;
	int fd, hold, ret = 0;

	fd = memfd_create("siommu-dma", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	copy = ftruncate(fd, (off_t)size) ? MAP_FAILED :
	       mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (copy == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	hold = writers_hold(start, end);
	if (hold < -1)
		ret = hold;
	/* Unreadable memory cannot be pinned (Linux: -EFAULT). */
	else if (vm_rw(getpid(), false, copy, start, size))
		ret = -EFAULT;
	for (i = 0; !ret && i < n; i++) {
		uintptr_t s = v[i].start > start ? v[i].start : start;
		uintptr_t e = v[i].end < end ? v[i].end : end;

		if (mmap((void *)s, e - s, v[i].prot, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)(s - start)) == MAP_FAILED)
			ret = -ENOMEM;
	}
	writers_release(hold);
	munmap(copy, size);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int map_prepare(uint64_t uva, uint64_t len, bool move, int *fd, bool *dup,
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

void mem_fork_lock(void)
{
	pthread_mutex_lock(&moved_lock);
	maps_fork_lock();
}

void mem_fork_unlock(void)
{
	maps_fork_unlock();
	pthread_mutex_unlock(&moved_lock);
}

void mem_fork_child(void)
{
	maps_fork_child();
	pthread_mutex_init(&moved_lock, NULL);
}
