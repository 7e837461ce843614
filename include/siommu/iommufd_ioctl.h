/* SPDX-License-Identifier: MIT */
/*
 * siommu/iommufd_ioctl.h - the one entry point of the binary iommufd ABI
 * (siommu/iommufd_abi.h): what ioctl() on an opened /dev/iommu does, on a
 * context of the object model (siommu/iommufd.h). A program speaking the
 * ABI needs this header and the ABI header only.
 */
#ifndef SIOMMU_IOMMUFD_IOCTL_H
#define SIOMMU_IOMMUFD_IOCTL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_iommufd;

/*
 * siommu_iommufd_ioctl - run iommufd request @request (IOMMU_*) with
 * argument struct @arg on context @ictx, as Linux's /dev/iommu ioctl does.
 * @arg starts with its size (u32). Pointers inside it are the caller's
 * own addresses. The VFIO type1 container requests (siommu/vfio_abi.h:
 * VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, whose @arg
 * is an integer, and VFIO_IOMMU_GET_INFO, _MAP_DMA, _UNMAP_DMA) act on the
 * compatibility IOAS (siommu_vfio_ioas_set()) with VFIO's rules, as
 * Linux's iommufd answers them; VFIO_CHECK_EXTENSION returns its answer,
 * 0 or 1. Returns 0 or a negative errno:
 *   -EFAULT      @arg NULL (or a pointer inside it NULL where the call
 *                needs memory there)
 *   -ENOTTY      not an iommufd request, or one this implementation does
 *                not provide
 *   -EINVAL      size below the struct's first published size; or a
 *                value the call rejects
 *   -E2BIG       size beyond the struct this implementation knows, with
 *                non-zero bytes past it
 *   -EOPNOTSUPP  unknown flags, non-zero reserved fields, unknown types
 *   and each call's errors (siommu/iommufd.h and Linux's errno table).
 * Outputs are written to @arg up to the caller's size, on success (and
 * where Linux reports on failure: IOAS_IOVA_RANGES's -EMSGSIZE with the
 * count). A failed call changes nothing in the context.
 * Thread-safe as the object model's calls are.
 */
int siommu_iommufd_ioctl(struct siommu_iommufd *ictx, unsigned long request, void *arg);

/*
 * siommu_iommufd_ioctl_checked - siommu_iommufd_ioctl() for a caller whose
 * pointers may be bad, as a kernel's ioctl takes them: the struct at @arg
 * and every array it names are copied in and out through the kernel
 * (process_vm_readv(2)/process_vm_writev(2) on this process), so NULL, an
 * unmapped page, or a read-only page for what the call writes is -EFAULT
 * and never a fault. As Linux's, a call reads what it needs, acts, then
 * writes its answer: one refused before it acts changes nothing; one
 * whose answer cannot be written is -EFAULT (over the error it answers
 * with: IOAS_IOVA_RANGES's -EMSGSIZE, HWPT_INVALIDATE's) with what it did
 * kept (a mapping made, copied or removed, an option set), except that
 * an object it made goes again (IOAS, HWPT, vIOMMU, vDEVICE, HW queue, a
 * fault queue or vEVENTQ with its fd; IOMMU_TEST_CMD's mock device,
 * access and pinned pages); GET_DIRTY_BITMAP's bitmap, which Linux pins
 * for writing first, is checked writable before a bit is cleared. The
 * memory IOAS_MAP pins is the caller's own, as siommu_iommufd_ioctl()
 * pins it. Its cost: a kernel copy of the struct in and, when the call
 * answers, one out, which also carries an array the answer comes with
 * (IOAS_IOVA_RANGES's ranges, GET_HW_INFO's data); one more per array
 * read (three for GET_DIRTY_BITMAP's bitmap). Returns what
 * siommu_iommufd_ioctl() does, -EFAULT and -ENOMEM (a copy of the
 * caller's arrays) besides. siommu_iommufd_ioctl() stays the trusted
 * path: no copies beyond the struct, for embedders whose pointers are
 * their own. Thread-safe; a child made without fork(3)'s handlers
 * (clone(2) without CLONE_VM, _Fork(3)) must not call it, the process ID
 * being kept from the parent; a thread that changes the struct while the
 * call runs may see its change overwritten.
 */
int siommu_iommufd_ioctl_checked(struct siommu_iommufd *ictx, unsigned long request,
				 void *arg);

/*
 * struct siommu_iommufd_user - the caller's memory, for a caller that is
 * another process (a layer that serves an iommufd to processes sharing it,
 * as the preload shim serves a forked child). Every address is the
 * caller's; the hooks run in the calling thread of
 * siommu_iommufd_ioctl_user() and return 0 or a negative errno.
 *   read      copy @len bytes at the caller's @addr into @dst (-EFAULT)
 *   write     copy @len bytes from @src to the caller's @addr (-EFAULT)
 *   map_file  the memory IOAS_MAP (and the VFIO container's MAP_DMA) pins
 *             at the caller's [@addr, @addr + @len): a file (*fd, an fd
 *             of this process that stays open during the call) whose
 *             bytes from *start are the caller's, shared with it; or, *fd
 *             -1, the same memory mapped in this process at address
 *             *start (kept mapped while pinned, as siommu_ioas_map()
 *             asks); -EFAULT where there is none (the map succeeds, and
 *             its storage's first pin fails so, as Linux's of memory not
 *             there); any other error (memory that is there but cannot
 *             be given now) fails the map, after the checks of the
 *             request, making nothing
 *   fd        the caller's fd @ufd (IOAS_MAP_FILE) as an fd of this
 *             process (*fd, open during the call); -EBADF
 *   made_fd   the call made @fd, an fd of this process, for object @id
 *             (FAULT_QUEUE_ALLOC, VEVENTQ_ALLOC), and writes its number to
 *             the caller's struct; the hook's from then on, also when the
 *             call then fails (the object stays: the hook's owner
 *             destroys it). In test mode also IOMMU_TEST_CMD's
 *             CREATE_ACCESS (@id 0: the access is found by @fd, which
 *             siommu_iommufd_access_close() destroys; the number goes to
 *             out_access_fd) and DMABUF_GET (@id 0: the caller's fd on
 *             the dma-buf, the call's result, the context keeping its
 *             own)
 *   pidfd     (optional, NULL: none) a new pidfd of the caller's process
 *             (pidfd_open()), which the call owns, or -1: page storage
 *             that IOAS_MAP and IOAS_MAP_FILE make for the caller is
 *             pinned first (by a domain, an access, ...) only while that
 *             process lives, -EFAULT once it has exited, as Linux pins a
 *             gone process's memory; storage pinned before it exited
 *             keeps its pages. With @acct_process, that bucket keeps the
 *             first pidfd (it is the one process's) and the hook is not
 *             asked again: one fd however much the process maps
 * and the buckets the caller's maps charge (Linux charges the mapping
 * process and its user, whatever process later pins): @acct_user and
 * @acct_process as siommu_iommufd_cfg's user and process, NULL for the
 * context's own; storage made with them holds them until it goes (they
 * may be destroyed before: siommu_iommufd_acct_destroy()).
 * @priv is passed to each.
 */
struct siommu_iommufd_user {
	int (*read)(void *priv, void *dst, uint64_t addr, uint64_t len);
	int (*write)(void *priv, uint64_t addr, const void *src, uint64_t len);
	int (*map_file)(void *priv, uint64_t addr, uint64_t len, int *fd, uint64_t *start);
	int (*fd)(void *priv, int ufd, int *fd);
	void (*made_fd)(void *priv, int fd, uint32_t id);
	int (*pidfd)(void *priv);
	void *priv;
	struct siommu_iommufd_acct *acct_user;
	struct siommu_iommufd_acct *acct_process;
};

/*
 * siommu_iommufd_ioctl_user - siommu_iommufd_ioctl() for a caller in
 * another process: @arg is the caller's address of the struct, which is
 * read and written, with every pointer inside it, through @user; the
 * memory IOAS_MAP pins is @user's map_file, IOAS_MAP_FILE's fd @user's
 * fd. Returns what siommu_iommufd_ioctl() does for the same struct, the
 * hooks' errors besides (-EFAULT, -ENOMEM for a copy of the caller's
 * arrays). An fd the call makes goes to @user's made_fd. IOMMU_TEST_CMD
 * takes the fd an operation names (an access's, a dma-buf's) through
 * @user's fd (one it does not resolve names nothing: -EBADFD for an
 * access, -EBADF for a dma-buf, as an fd number closed in this process);
 * ACCESS_RW's buffer is the caller's memory; the operations that check
 * pages against the caller's addresses (MD_CHECK_MAP, MD_CHECK_REFS,
 * ACCESS_PAGES with a uptr) and DIRTY are -EOPNOTSUPP. Thread-safe.
 */
int siommu_iommufd_ioctl_user(struct siommu_iommufd *ictx, unsigned long request,
			      uint64_t arg, const struct siommu_iommufd_user *user);

/*
 * The fault queue's fd. IOMMU_FAULT_QUEUE_ALLOC gives, with the FAULT
 * object's ID, a real close-on-exec fd (an eventfd) that poll(), select()
 * and epoll report readable while a complete page-request group waits to
 * be read (and always writable). Its read() and write() carry records, as
 * Linux's do; a layer that owns the fd (an LD_PRELOAD shim) routes them to
 * these two calls for the fault object it was allocated with, and holds
 * the object while the fd is open (siommu_iommufd_queue_fd_hold()).
 * Closing the caller's fd does not destroy the object (IOMMU_DESTROY
 * does); the object keeps its own duplicate for readiness.
 *
 * siommu_iommufd_fault_read - read(): whole groups of struct
 * iommu_hwpt_pgfault records into @buf, oldest first, stopping before a
 * group that does not fit; each group read gets a cookie (from 1) in
 * every record, LAST_PAGE on its last. Never blocks. Returns the bytes
 * written (0: nothing queued, or the next group does not fit), -ESPIPE
 * (@pos not 0, or @count not a multiple of the record size), -ENOENT (no
 * such fault object), -EFAULT (@buf NULL with @count).
 *
 * siommu_iommufd_fault_write - write(): struct iommu_hwpt_page_response
 * records, in order, each answering the group read with its cookie
 * (code SUCCESS or INVALID) towards the device. Returns the bytes of the
 * records answered when at least one was; otherwise -ESPIPE (@pos not 0,
 * or @count not a multiple of 8), -EINVAL (another code, a cookie not
 * read or answered already), -ENOENT, -EFAULT.
 *
 * Both are thread-safe.
 */
long siommu_iommufd_fault_read(struct siommu_iommufd *ictx, uint32_t fault_id, void *buf,
			       unsigned long count, long long pos);
long siommu_iommufd_fault_write(struct siommu_iommufd *ictx, uint32_t fault_id,
				const void *buf, unsigned long count, long long pos);

/*
 * The vEVENTQ's fd. IOMMU_VEVENTQ_ALLOC gives, with the VEVENTQ object's
 * ID, a real close-on-exec fd (an eventfd) that poll(), select() and
 * epoll report readable while an event (or the lost-events header) waits
 * to be read. It is read-only: write() on it is -EINVAL, as on Linux's,
 * which has no write operation.
 *
 * siommu_iommufd_veventq_read - read(): whole struct
 * iommufd_vevent_header + payload records into @buf, oldest first,
 * stopping before one that does not fit (siommu_veventq_read()). Never
 * blocks. Returns the bytes written (0: nothing queued, or the next
 * record does not fit), -ESPIPE (@pos not 0), -ENOENT (no such vEVENTQ),
 * -EFAULT (@buf NULL with @count).
 */
long siommu_iommufd_veventq_read(struct siommu_iommufd *ictx, uint32_t veventq_id, void *buf,
				 unsigned long count, long long pos);

/*
 * siommu_iommufd_queue_fd_hold - an open file's hold on the queue whose
 * fd it is (the FAULT or VEVENTQ object @id), for a layer that owns the
 * fds IOMMU_FAULT_QUEUE_ALLOC and IOMMU_VEVENTQ_ALLOC make (the preload
 * shim): as Linux's queue file holds its object until its last close,
 * IOMMU_DESTROY (siommu_iommufd_obj_destroy()) of the object is -EBUSY
 * while a hold remains. Returns 0, -ENOENT (no such queue).
 *
 * siommu_iommufd_queue_fd_release - give back a hold taken on @id (the
 * caller must have one). siommu_iommufd_destroy() drops the holds left.
 *
 * Both are thread-safe. Without holds (siommu_iommufd_ioctl()'s callers)
 * the fd is the caller's to close and IOMMU_DESTROY takes the object
 * whether it is open or not.
 */
int siommu_iommufd_queue_fd_hold(struct siommu_iommufd *ictx, uint32_t id);
void siommu_iommufd_queue_fd_release(struct siommu_iommufd *ictx, uint32_t id);

/*
 * siommu_iommufd_access_close - close() of an access fd (test mode:
 * IOMMU_TEST_OP_CREATE_ACCESS, siommu/iommufd_test.h): destroy the access
 * made with fd @fd (siommu_iommufd_access_destroy()), letting go of what
 * it pinned. The fd itself is the
 * caller's (an eventfd) to close after this call; until then the access is
 * found by that number. A layer that owns the fd (the preload shim) calls
 * this from its close(). Waits for calls using the access. Returns 0,
 * -ENOENT (no access has that fd). Thread-safe.
 */
int siommu_iommufd_access_close(struct siommu_iommufd *ictx, int fd);

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_IOMMUFD_IOCTL_H */
