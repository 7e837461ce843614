/* SPDX-License-Identifier: MIT */
/*
 * The pieces of libsiommu-preload.so and what they give each other:
 * preload.c intercepts the libc calls and keeps the fd table, machine.c
 * builds the machine, vfio.c answers the VFIO device files, dmaeng.c is
 * the device behind each of them.
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

struct pctx;

/* A reference on the context of /dev/iommu fd @fd: 0, -EBADF (not an
 * open fd), -EBADFD (an fd, but not a /dev/iommu one). */
int pctx_from_fd(int fd, struct pctx **out);
struct siommu_iommufd *pctx_ictx(struct pctx *pc);
void pctx_get(struct pctx *pc);
void pctx_put(struct pctx *pc);

/* ---- machine.c ---- */

/*
 * machine_get - the machine, built on the first call: from the scenario
 * file $SIOMMU_SCENARIO names, or the default (one VT-d unit, four
 * devices with PASIDs, ATS and PRI). Returns 0 with *ctx, or -errno (a
 * scenario that does not load or build, said once on stderr). Thread-safe.
 */
int machine_get(struct siommu_ctx **ctx);

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

struct vfio_file;

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

struct group_file;

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

/* ioctl(): 0 or -errno, as Linux's VFIO device file. */
int vfio_file_ioctl(struct vfio_file *vf, unsigned long request, void *arg);

/* pread()/pwrite() at region offset @pos: bytes, or -errno. */
ssize_t vfio_file_rw(struct vfio_file *vf, bool is_read, void *buf, size_t count,
		     uint64_t pos);

/* ---- group.c: VFIO group files ---- */

/* The number N of "/dev/vfio/N" (path_number()), or -1. */
int group_path_index(const char *path);

/*
 * group_file_open - group @id's file, open once at a time: 0, -ENOENT (no
 * such group), -EBUSY (open, or a device of it bound through its cdev).
 * group_file_get / group_file_put - references (an fd, a call in flight,
 * a device file opened through it); the last put lets the container go
 * and the group be opened again.
 * group_file_ioctl - ioctl(): 0 or -errno as Linux's group file; for
 * VFIO_GROUP_GET_DEVICE_FD, 0 with *dev (a reference) for the caller to
 * give an fd.
 * group_file_device_closed - device file @vf opened through @g is gone
 * (the file's last put): drops its reference on @g.
 * group_block_cdev - device @index is being bound through its cdev: 0,
 * -EBUSY (its group file is open). group_unblock_cdev - no more.
 */
int group_file_open(unsigned int id, struct group_file **out);
void group_file_get(struct group_file *g);
void group_file_put(struct group_file *g);
int group_file_ioctl(struct group_file *g, unsigned long request, void *arg,
		     struct vfio_file **dev);
void group_file_device_closed(struct group_file *g, unsigned int index, struct vfio_file *vf);
int group_block_cdev(unsigned int index);
void group_unblock_cdev(unsigned int index);

#endif
