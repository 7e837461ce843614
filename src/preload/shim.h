/* SPDX-License-Identifier: MIT */
/*
 * The pieces of libsiommu-preload.so and what they give each other:
 * preload.c intercepts the libc calls and keeps the fd table, fork.c
 * (with fork_chan.c, fork_serve.c and fork_mem.c: fork.h) serves a
 * forked child's fds from the opener, machine.c builds the machine,
 * vfio.c answers the VFIO device files and group.c the group
 * files, dmaeng.c is the device behind each device file.
 */
#ifndef SIOMMU_PRELOAD_SHIM_H
#define SIOMMU_PRELOAD_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <siommu/core.h>
#include <siommu/iommufd.h>

/* ---- preload.c: iommufd contexts of the fd table ---- */

#define MAX_FDS 4096

struct pctx;
struct vfio_file;
struct group_file;
struct queue_file;

/* What an fd of ours stands for: one of a context (pc), a VFIO device
 * file (vf), or a VFIO group file (grp). */
enum pfd_kind { PFD_IOMMUFD, PFD_FAULT, PFD_VEVENTQ, PFD_ACCESS };

struct pfd {
	struct pctx *pc;
	enum pfd_kind kind;
	uint32_t obj_id;	/* the queue's object; 0 for PFD_IOMMUFD; an
				 * access's fd as made (dups share it) */
	struct vfio_file *vf;
	struct group_file *grp;
	struct queue_file *qf;	/* PFD_FAULT, PFD_VEVENTQ: the queue's file */
};

/* Whether @f stands for anything: an fd of ours, a handle in use. */
static inline bool pfd_used(const struct pfd *f)
{
	return f->pc || f->vf || f->grp;
}

/* A reference on the context of /dev/iommu fd @fd: 0, -EBADF (not an
 * open fd), -EBADFD (an fd, but not a /dev/iommu one). */
int pctx_from_fd(int fd, struct pctx **out);
struct siommu_iommufd *pctx_ictx(struct pctx *pc);
void pctx_ref(struct pctx *pc);
void pctx_put(struct pctx *pc);

/* References on what @f stands for: taken (pfd_ref_locked() with the fd
 * table's lock held, as in fork_prepare_fds()), dropped. */
void pfd_ref(const struct pfd *f);
void pfd_ref_locked(const struct pfd *f);
void pfd_unref(const struct pfd *f);

/* A queue's file for object @id of @pc, just made (@kind PFD_FAULT or
 * PFD_VEVENTQ), in *out with one reference (and one on @pc): 0, -ENOENT
 * (another thread destroyed the object already), -ENOMEM. */
int pfd_queue_file(struct pctx *pc, enum pfd_kind kind, uint32_t id, struct pfd *out);

/* read()/write() and pread()/pwrite() on what @f stands for, as on its fd:
 * bytes, or -errno. */
long pfd_rw(const struct pfd *f, bool is_read, void *buf, size_t count);
long pfd_prw(const struct pfd *f, bool is_read, void *buf, size_t count, int64_t pos);

/* The paths of ours, as a number: /dev/iommu, /dev/vfio/vfio,
 * PFD_PATH_VFIO + N for /dev/vfio/devices/vfioN, and PFD_PATH_GROUP + G
 * for /dev/vfio/G (path_number() keeps N below PFD_PATH_GROUP). */
enum { PFD_PATH_IOMMU, PFD_PATH_CONTAINER, PFD_PATH_VFIO, PFD_PATH_GROUP = 1 << 24 };

/* What opening @path makes, without its fd: 0 with *out (its
 * references), or -errno as open() would fail. */
int pfd_open(int path, struct pfd *out);

/* A new eventfd to stand for a file opened with @flags: the fd, -errno. */
int eventfd_for(int flags);

/* ---- fork.c: fds shared with a forked child (fork.h: its pieces) ---- */

/* The atfork handlers' halves (preload.c holds the fd table's lock from
 * fork_prepare_fds() to fork_parent()/fork_child()). A child is served
 * when the parent has fds of ours or has built the machine (whose state
 * the child must not use as its own: other threads may have held its
 * locks at the fork). */
void fork_prepare(void);
void fork_prepare_fds(const struct pfd *fds);
void fork_parent(void);
void fork_child(struct pfd *fds);

/* In a child: whether it has handles at all; the handle of @fd (-1: not
 * one); forgetting @fd (closed) and making @newfd a dup of @oldfd. */
bool remote_active(void);
int remote_handle(int fd);
void remote_forget(int fd);
void remote_dup(int oldfd, int newfd);

/* A child's calls on handle @h, served by the opener: as ioctl() (0 or
 * more, -errno), read()/write() or, @positioned, pread()/pwrite() (bytes,
 * -errno); -EIO when the opener is gone. remote_open - open() of @path
 * (PFD_PATH_*): the new fd, -errno. */
int remote_ioctl(int h, unsigned long request, void *arg);
long remote_rw(int h, bool is_read, bool positioned, void *buf, size_t count, int64_t pos);
int remote_open(int path, int flags);
/* A child's accounting figures, kept by the opener (its limit aside):
 * 0, -EFAULT, -EIO. */
struct siommu_preload_acct;
int remote_acct(struct siommu_preload_acct *out);

/* ---- machine.c ---- */

/*
 * machine_get - the machine, built on the first call: from the scenario
 * file $SIOMMU_SCENARIO names, or the default (one VT-d unit, four
 * devices with PASIDs, ATS and PRI). Returns 0 with *ctx, or -errno (a
 * scenario that does not load or build, said once on stderr). Thread-safe.
 */
int machine_get(struct siommu_ctx **ctx);

/* machine_built - whether machine_get() has built the machine; takes no
 * lock (fork handlers ask it). */
bool machine_built(void);

/* machine_test_unit - the mock unit of test mode ($SIOMMU_IOMMUFD_TEST=1),
 * beside the scenario's units, once machine_get() has built the machine;
 * NULL outside test mode. */
struct siommu_unit *machine_test_unit(void);

/* machine_device - device @index (file order) of the built machine: its
 * core device and its engine. Returns 0, -ENOENT. */
struct dmaeng;
int machine_device(unsigned int index, struct siommu_device **dev, struct dmaeng **eng);

/* machine_device_take - device @index is bound by a device file from now
 * on: 0, -EBUSY (another file has it). machine_device_give - no more. */
int machine_device_take(unsigned int index);
void machine_device_give(unsigned int index);

/* machine_device_group - the group number G (/dev/vfio/G) of device
 * @index: >= 0, -ENOENT. machine_device_taken - whether a device file has
 * device @index bound. machine_device_named - whether @name names device
 * @index: its scenario name, or its PCI name "0000:BB:DD.F" (from its
 * RID), as Linux's vfio-pci matches. */
int machine_device_group(unsigned int index);
bool machine_device_taken(unsigned int index);
bool machine_device_named(unsigned int index, const char *name);

/* ---- dmaeng.c: the device behind a VFIO device file ---- */

/*
 * dmaeng_create - the engine of @dev behind @unit (of @ctx); it registers
 * the device kit's callbacks at the device's RID when it uses the kit.
 * Returns 0, -ENOMEM, or the kit's errors.
 * dmaeng_destroy - stop and free. Never fails.
 * dmaeng_start - registers to reset and the engine's thread running
 * (when it was not): 0, -ENOMEM, -EAGAIN.
 * dmaeng_stop - wait for the copy in flight, end the thread. Never fails.
 * dmaeng_read / dmaeng_write - a register access of @len bytes at @off of
 * BAR0 (siommu/vfio_dmaeng.h): 0, -EINVAL (size, alignment, range).
 * Accesses and doorbells may come from any thread; start and stop from
 * one at a time.
 */
int dmaeng_create(struct siommu_ctx *ctx, struct siommu_unit *unit,
		  struct siommu_device *dev, struct dmaeng **out);
void dmaeng_destroy(struct dmaeng *e);
int dmaeng_start(struct dmaeng *e);
void dmaeng_stop(struct dmaeng *e);
int dmaeng_read(struct dmaeng *e, uint64_t off, void *buf, size_t len);
int dmaeng_write(struct dmaeng *e, uint64_t off, const void *buf, size_t len);

/* ---- vfio.c: VFIO device files ---- */

/* path_number - N of a path that is @prefix and then N in decimal (no
 * leading zero, at most 1000000), or -1. vfio_path_index - N of
 * "/dev/vfio/devices/vfioN". */
int path_number(const char *path, const char *prefix);
int vfio_path_index(const char *path);

/*
 * vfio_file_open - a file of device @index, unbound. Returns 0, -ENOENT
 * (no such device), -ENOMEM, or the machine's errors.
 * vfio_file_get / vfio_file_put - references (an fd, a call in flight);
 * the last put unbinds (detach, give the device up, stop its engine).
 */
int vfio_file_open(unsigned int index, struct vfio_file **out);
void vfio_file_get(struct vfio_file *vf);
void vfio_file_put(struct vfio_file *vf);


/*
 * vfio_file_open_grouped - as VFIO_GROUP_GET_DEVICE_FD: device @index
 * opened through group file @g, bound to context @pc and its RID attached
 * to the context's compatibility IOAS, DMA on. It takes the caller's
 * reference on @g (the file's, or given up on failure) and one of its own
 * on @pc. Returns 0, -EINVAL (bound elsewhere), the attach's errors,
 * -ENODEV (no compatibility IOAS), -ENOMEM.
 * vfio_file_tryget - a reference unless the last one is gone: true.
 */
int vfio_file_open_grouped(unsigned int index, struct pctx *pc, struct group_file *g,
			   struct vfio_file **out);
bool vfio_file_tryget(struct vfio_file *vf);

/* How BIND finds the context of its iommufd number: 0 with a reference
 * in *out, or pctx_from_fd()'s errors. */
struct vfio_ctx_resolver {
	int (*fn)(void *priv, int fd, struct pctx **out);
	void *priv;
};

/* ioctl(): 0 or -errno, as Linux's VFIO device file, with Linux's order
 * of reads, checks and writes; its struct, at the caller's @arg, read and
 * written through @user (iommufd/ucopy.h: &ifd_self_checked for this
 * process, whose bad pointers are -EFAULT); BIND's iommufd through @res
 * (NULL: pctx_from_fd()). */
struct siommu_iommufd_user;
int vfio_file_ioctl(struct vfio_file *vf, unsigned long request, uint64_t arg,
		    const struct siommu_iommufd_user *user, const struct vfio_ctx_resolver *res);

/* pread()/pwrite() at region offset @pos: bytes, or -errno. */
ssize_t vfio_file_rw(struct vfio_file *vf, bool is_read, void *buf, size_t count,
		     uint64_t pos);

/* ---- group.c: VFIO group files ---- */

/* The longest device name GET_DEVICE_FD reads, its NUL included (Linux
 * reads up to a page). */
#define GROUP_NAME_MAX 4096

/* The number N of "/dev/vfio/N" (path_number()), or -1. */
int group_path_index(const char *path);

/*
 * group_file_open - group @id's file, open once at a time: 0, -ENOENT (no
 * such group), -EBUSY (open, or a device of it bound through its cdev).
 * group_file_get / group_file_put - references (an fd, a call in flight,
 * a device file opened through it); the last put lets the container go
 * and the group be opened again.
 * group_file_ioctl - ioctl(): 0 or -errno as Linux's group file, @arg and
 * @user as vfio_file_ioctl() takes them; for VFIO_GROUP_GET_DEVICE_FD, 0
 * with *dev (a reference) for the caller to give an fd; SET_CONTAINER's
 * fd through @res (NULL: pctx_from_fd()).
 * group_file_device_closed - device file @vf opened through @g is gone
 * (the file's last put): drops its reference on @g.
 * group_block_cdev - device @index is being bound through its cdev: 0,
 * -EBUSY (its group file is open). group_unblock_cdev - no more.
 */
int group_file_open(unsigned int id, struct group_file **out);
void group_file_get(struct group_file *g);
void group_file_put(struct group_file *g);
int group_file_ioctl(struct group_file *g, unsigned long request, uint64_t arg,
		     const struct siommu_iommufd_user *user, const struct vfio_ctx_resolver *res,
		     struct vfio_file **dev);
void group_file_device_closed(struct group_file *g, unsigned int index, struct vfio_file *vf);
int group_block_cdev(unsigned int index);
void group_unblock_cdev(unsigned int index);

#endif
