/* SPDX-License-Identifier: MIT */
/*
 * The mappings of this process, in address order: by PROCMAP_QUERY (an
 * ioctl on /proc/self/maps, Linux 6.11), one mapping a call with no text
 * to format or parse; else by reading /proc/self/maps with read() into
 * one buffer, parsed by hand and left as soon as the caller has what it
 * wants. SIOMMU_PRELOAD_NO_PROCMAP_QUERY=1 in the environment forces the
 * text, as on a kernel without the ioctl.
 *
 * The ioctl needs an fd of /proc/self/maps: one is kept (query_fd) while
 * it stays the file it was (a program may close fds it does not know and
 * reuse the numbers), and a child lets its parent's go at fork (it
 * describes the parent).
 *
 * Locking: query_lock protects query_fd and what identifies it; held
 * across fork() (fork.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "preload/fork.h"

/* Linux 6.11's <linux/fs.h>, which Debian 12's headers predate. */
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
_Static_assert(sizeof(struct procmap_query) == 104, "PROCMAP_QUERY layout");

#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#define PQ_VMA_READABLE 0x01
#define PQ_VMA_WRITABLE 0x02
#define PQ_VMA_EXECUTABLE 0x04
#define PQ_VMA_SHARED 0x08
#define PQ_COVERING_OR_NEXT_VMA 0x10
#define PQ_FILE_BACKED_VMA 0x20

static pthread_mutex_t query_lock = PTHREAD_MUTEX_INITIALIZER;
static int query_fd = -1;
static dev_t query_dev;
static ino_t query_ino;
static int query_state;		/* 0: not tried; 1: the ioctl; -1: the text */

/* Whether @fd is still the file query_fd was opened as. */
static bool query_fd_same(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_dev == query_dev && st.st_ino == query_ino;
}

/* The fd PROCMAP_QUERY goes to: a dup of the kept one (the caller's to
 * close; a walk cannot lose it to another thread), or -1 for the text. */
static int query_get(void)
{
	struct procmap_query q = { .size = sizeof(q) };
	const char *off;
	struct stat st;
	int fd = -1;

	pthread_mutex_lock(&query_lock);
	if (!query_state) {
		off = getenv("SIOMMU_PRELOAD_NO_PROCMAP_QUERY");
		query_state = off && !strcmp(off, "1") ? -1 : 1;
	}
	if (query_state > 0 && query_fd >= 0 && !query_fd_same(query_fd))
		query_fd = -1;	/* closed behind our back: no longer ours */
	if (query_state > 0 && query_fd < 0) {
		query_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (query_fd >= 0 && fstat(query_fd, &st)) {
			close(query_fd);
			query_fd = -1;
		}
		if (query_fd >= 0) {
			query_dev = st.st_dev;
			query_ino = st.st_ino;
			/* Address 0 is never mapped: the ioctl answers
			 * ENOENT where it exists. */
			if (ioctl(query_fd, PROCMAP_QUERY, &q) && errno != ENOENT) {
				close(query_fd);
				query_fd = -1;
				query_state = -1;
			}
		}
	}
	if (query_state > 0 && query_fd >= 0)
		fd = fcntl(query_fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&query_lock);
	return fd;
}

int maps_open(struct maps *m)
{
	m->len = m->pos = 0;
	m->eof = false;
	m->fd = query_get();
	m->query = m->fd >= 0;
	if (!m->query)
		m->fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	return m->fd >= 0 ? 0 : -errno;
}

void maps_close(struct maps *m)
{
	close(m->fd);
	m->fd = -1;
}

static int maps_query(struct maps *m, uintptr_t addr, bool shared, struct vma *v)
{
	struct procmap_query q = {
		.size = sizeof(q), .query_addr = addr,
		.query_flags = PQ_COVERING_OR_NEXT_VMA |
			       (shared ? PQ_VMA_SHARED | PQ_FILE_BACKED_VMA : 0),
		.vma_name_size = sizeof(v->path), .vma_name_addr = (uintptr_t)v->path,
	};
	int ret;

	/* All of it: checkers that do not know the ioctl see it written. */
	memset(v->path, 0, sizeof(v->path));
	ret = ioctl(m->fd, PROCMAP_QUERY, &q);
	if (ret && errno == ENAMETOOLONG) {
		/* A name too long for us: a file with no path we can use. */
		q.vma_name_size = 0;
		q.vma_name_addr = 0;
		ret = ioctl(m->fd, PROCMAP_QUERY, &q);
	}
	if (ret)
		return errno == ENOENT ? -ENOENT : -errno;
	if (!q.vma_name_size)
		v->path[0] = 0;
	v->start = q.vma_start;
	v->end = q.vma_end;
	v->off = q.vma_offset;
	v->ino = q.inode;
	v->dev = makedev(q.dev_major, q.dev_minor);
	v->prot = ((q.vma_flags & PQ_VMA_READABLE) ? PROT_READ : 0) |
		  ((q.vma_flags & PQ_VMA_WRITABLE) ? PROT_WRITE : 0) |
		  ((q.vma_flags & PQ_VMA_EXECUTABLE) ? PROT_EXEC : 0);
	v->shared = q.vma_flags & PQ_VMA_SHARED;
	return 0;
}

/* A hexadecimal number at *p, up to @stop: whether there was one; *p past
 * it and its stop character. */
static bool hex(const char **p, const char *end, char stop, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s != stop; s++) {
		unsigned int d = *s >= '0' && *s <= '9' ? (unsigned int)(*s - '0') :
				 *s >= 'a' && *s <= 'f' ? (unsigned int)(*s - 'a' + 10) : 16;

		if (d > 15 || v >> 60)
			return false;
		v = v << 4 | d;
	}
	if (s == *p || s == end)
		return false;
	*out = v;
	*p = s + 1;
	return true;
}

static bool dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (s == *p)
		return false;
	*out = v;
	*p = s;
	return true;
}

/* One line of maps, [@s, @end) without its newline:
 * "start-end perms offset major:minor inode   path". */
static bool line_parse(const char *s, const char *end, struct vma *v)
{
	uint64_t start, stop, off, maj, min, ino;
	const char *perms;
	size_t n;

	if (!hex(&s, end, '-', &start) || !hex(&s, end, ' ', &stop) || end - s < 5)
		return false;
	perms = s;
	s += 5;
	if (!hex(&s, end, ' ', &off) || !hex(&s, end, ':', &maj) || !hex(&s, end, ' ', &min) ||
	    !dec(&s, end, &ino))
		return false;
	*v = (struct vma){
		.start = start, .end = stop, .off = off, .ino = ino,
		.dev = makedev((unsigned int)maj, (unsigned int)min),
		.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			(perms[2] == 'x' ? PROT_EXEC : 0),
		.shared = perms[3] == 's',
	};
	while (s < end && *s == ' ')
		s++;
	n = (size_t)(end - s) < sizeof(v->path) - 1 ? (size_t)(end - s) : sizeof(v->path) - 1;
	memcpy(v->path, s, n);
	v->path[n] = 0;
	return true;
}

/* The next line of the text, [*s, *e) without its newline: 0, -ENOENT
 * (no more), -EIO (a line longer than the buffer: not maps' format). */
static int next_line(struct maps *m, const char **s, const char **e)
{
	char *nl;
	ssize_t n;

	while (!(nl = memchr(m->buf + m->pos, '\n', m->len - m->pos))) {
		if (m->eof)
			return -ENOENT;
		if (m->pos == 0 && m->len == sizeof(m->buf))
			return -EIO;
		memmove(m->buf, m->buf + m->pos, m->len - m->pos);
		m->len -= m->pos;
		m->pos = 0;
		do
			n = read(m->fd, m->buf + m->len, sizeof(m->buf) - m->len);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			m->eof = true;
		else
			m->len += (size_t)n;
	}
	*s = m->buf + m->pos;
	*e = nl;
	m->pos = (size_t)(nl - m->buf) + 1;
	return 0;
}

static int maps_text(struct maps *m, uintptr_t addr, bool shared, struct vma *v)
{
	const char *s, *e;
	int ret;

	while (!(ret = next_line(m, &s, &e)))
		if (line_parse(s, e, v) && v->end > addr && (!shared || (v->shared && v->ino)))
			return 0;
	return ret;
}

int maps_next(struct maps *m, uintptr_t addr, bool shared, struct vma *v)
{
	return m->query ? maps_query(m, addr, shared, v) : maps_text(m, addr, shared, v);
}

void maps_fork_lock(void)
{
	pthread_mutex_lock(&query_lock);
}

void maps_fork_unlock(void)
{
	pthread_mutex_unlock(&query_lock);
}

void maps_fork_child(void)
{
	/* The parent's maps describe the parent. */
	if (query_fd >= 0 && query_fd_same(query_fd))
		close(query_fd);
	query_fd = -1;
	pthread_mutex_init(&query_lock, NULL);
}
