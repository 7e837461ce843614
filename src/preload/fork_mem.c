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
#include <sys/mman.h>
#include <sys/stat.h>
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
	if (vm_rw(getpid(), false, copy, start, size)) {
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
