/* SPDX-License-Identifier: MIT */
/*
 * The binary iommufd ABI (siommu/iommufd_abi.h) over the object model: one
 * table, indexed by the request's number, gives each command its struct
 * size, first published size and handler. The dispatcher applies Linux's
 * extensibility rules once for every command (copy the caller's struct
 * into a zeroed buffer of ours, refuse non-zero bytes past it, write back
 * at most the caller's size); handlers check the fields that must be zero
 * and translate to the C API.
 *
 * The caller is this process, trusted (siommu_iommufd_ioctl(): its
 * pointers are ours to follow) or checked (siommu_iommufd_ioctl_checked():
 * its struct and arrays are copied through the kernel, a bad pointer is
 * -EFAULT), or another process (siommu_iommufd_ioctl_user(): every byte
 * of its memory goes through the hooks it gives). One set of copy helpers
 * stands for all three, so a handler reads the same either way; for the
 * trusted caller they copy nothing but the struct, as they always did.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>
#include <siommu/iommufd_test.h>

#include "iommufd/iommufd_internal.h"

/* The user's range array is handed to the C API as it is. */
_Static_assert(sizeof(struct iommu_iova_range) == sizeof(struct siommu_iova_range),
	       "iova range layout");
_Static_assert(offsetof(struct iommu_iova_range, last) ==
	       offsetof(struct siommu_iova_range, last), "iova range layout");

/* Fault records go to the caller's buffer as the C API writes them. */
_Static_assert(sizeof(struct iommu_hwpt_pgfault) == sizeof(struct siommu_hwpt_pgfault),
	       "fault record layout");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, cookie) ==
	       offsetof(struct siommu_hwpt_pgfault, cookie), "fault record layout");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, addr) ==
	       offsetof(struct siommu_hwpt_pgfault, addr), "fault record layout");

/* One command in flight: our copy of the caller's struct. */
struct ucmd {
	struct siommu_iommufd *ictx;
	void *cmd;
	bool respond;		/* write the struct back, even on failure */
	const struct siommu_iommufd_user *user;	/* NULL: this process */
};

static void *uptr(uint64_t v)
{
	return (void *)(uintptr_t)v;
}

/* @len bytes between our @local and our own @addr, through the kernel
 * (process_vm_readv(2) on this process), so that memory that is not there,
 * or not writable, is -EFAULT rather than a fault. */
static int self_rw(bool write, void *local, uint64_t addr, uint64_t len)
{
	struct iovec l = { local, len }, r = { uptr(addr), len };
	ssize_t n;

	if (len > SSIZE_MAX)
		return -EFAULT;
	n = write ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) :
		    process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int self_read(void *priv, void *dst, uint64_t addr, uint64_t len)
{
	(void)priv;
	return self_rw(false, dst, addr, len);
}

static int self_write(void *priv, uint64_t addr, const void *src, uint64_t len)
{
	(void)priv;
	return self_rw(true, (void *)src, addr, len);
}

/* What siommu_iommufd_ioctl_checked() needs to undo. */
struct self_call {
	int made_fd;
	uint32_t made_id;
};

static void self_made_fd(void *priv, int fd, uint32_t id)
{
	struct self_call *c = priv;

	c->made_fd = fd;
	c->made_id = id;
}

/* Whether @user is a caller in another process: not this process's own,
 * trusted (NULL) or checked. */
static bool remote(const struct siommu_iommufd_user *user)
{
	return user && user->read != self_read;
}

int ifd_ucopy_in(const struct siommu_iommufd_user *user, void *dst, uint64_t addr,
		 uint64_t len)
{
	if (user)
		return len ? user->read(user->priv, dst, addr, len) : 0;
	memcpy(dst, uptr(addr), len);
	return 0;
}

int ifd_ucopy_out(const struct siommu_iommufd_user *user, uint64_t addr, const void *src,
		  uint64_t len)
{
	if (user)
		return len ? user->write(user->priv, addr, src, len) : 0;
	memcpy(uptr(addr), src, len);
	return 0;
}

/*
 * An array the caller's struct points at (@len bytes at @addr), for the
 * C API: the caller's own memory for a trusted caller in this process;
 * otherwise a copy of ours, read in, and for an array the call writes
 * (@out) written back as it is, so that memory the caller cannot have
 * written fails before the call changes anything. An empty one is the
 * caller's address as it is, which the C API checks but does not
 * follow. ubuf_put() writes the copy back with @out (when @ok) and frees
 * it. 0, -ENOMEM, -EFAULT.
 */
static int ubuf_get(struct ucmd *u, uint64_t addr, uint64_t len, bool out, void **buf)
{
	int ret;

	if (!u->user || !len) {
		*buf = uptr(addr);
		return 0;
	}
	if (len > SIZE_MAX || !(*buf = malloc(len)))
		return -ENOMEM;
	ret = ifd_ucopy_in(u->user, *buf, addr, len);
	if (!ret && out)
		ret = ifd_ucopy_out(u->user, addr, *buf, len);
	if (ret)
		free(*buf);
	return ret;
}

static int ubuf_put(struct ucmd *u, uint64_t addr, void *buf, uint64_t len, bool out)
{
	int ret = 0;

	if (!u->user || !len)
		return 0;
	if (out)
		ret = ifd_ucopy_out(u->user, addr, buf, len);
	free(buf);
	return ret;
}

static int destroy(struct ucmd *u)
{
	struct iommu_destroy *c = u->cmd;

	return siommu_iommufd_obj_destroy(u->ictx, c->id);
}

static int ioas_alloc(struct ucmd *u)
{
	struct iommu_ioas_alloc *c = u->cmd;
	int ret;

	if (c->flags)
		return -EOPNOTSUPP;
	ret = siommu_ioas_alloc(u->ictx, &c->out_ioas_id);
	u->respond = !ret;
	return ret;
}

static int ioas_allow_iovas(struct ucmd *u)
{
	struct iommu_ioas_allow_iovas *c = u->cmd;
	uint64_t len = (uint64_t)c->num_iovas * sizeof(struct iommu_iova_range);
	void *ranges;
	int ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	if (c->num_iovas && !c->allowed_iovas)
		return -EFAULT;
	ret = ubuf_get(u, c->allowed_iovas, len, false, &ranges);
	if (ret)
		return ret;
	ret = siommu_ioas_allow_iovas(u->ictx, c->ioas_id, ranges, c->num_iovas);
	ubuf_put(u, c->allowed_iovas, ranges, len, false);
	return ret;
}

/* Linux refuses an IOVA of the whole space (-EOVERFLOW) right after the
 * flags, whether the call fixes the IOVA or not; the C API reads *iova
 * only when it does. */
#define MAP_FLAGS_KNOWN \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static bool whole_space_iova(uint32_t flags, uint64_t iova)
{
	return !(flags & ~MAP_FLAGS_KNOWN) && iova == UINT64_MAX;
}

static int ioas_copy(struct ucmd *u)
{
	struct iommu_ioas_copy *c = u->cmd;
	int ret;

	if (whole_space_iova(c->flags, c->dst_iova))
		return -EOVERFLOW;
	ret = siommu_ioas_copy(u->ictx, c->dst_ioas_id, c->src_ioas_id, c->flags,
			       c->src_iova, c->length, (uint64_t *)&c->dst_iova);
	u->respond = !ret;
	return ret;
}

static int ioas_iova_ranges(struct ucmd *u)
{
	struct iommu_ioas_iova_ranges *c = u->cmd;
	uint64_t align = 0, len = (uint64_t)c->num_iovas * sizeof(struct iommu_iova_range);
	uint32_t num = c->num_iovas;
	void *ranges;
	int ret, put;

	if (c->__reserved)
		return -EOPNOTSUPP;
	if (num && !c->allowed_iovas)
		return -EFAULT;
	ret = ubuf_get(u, c->allowed_iovas, len, true, &ranges);
	if (ret)
		return ret;
	ret = siommu_ioas_iova_ranges(u->ictx, c->ioas_id, ranges, &num, &align);
	/* Too small an array still gets the ranges that fit, as Linux's. */
	put = ubuf_put(u, c->allowed_iovas, ranges, len, !ret || ret == -EMSGSIZE);
	if (put)
		ret = put;
	if (ret && ret != -EMSGSIZE)
		return ret;
	/* -EMSGSIZE reports the count the caller needs. */
	c->num_iovas = num;
	c->out_iova_alignment = align;
	u->respond = true;
	return ret;
}

/* A remote caller as the source of the memory it maps: its process (a
 * new pidfd, or -1; none asked for when its process bucket knows it)
 * and its buckets. */
static struct ifd_source user_source(const struct siommu_iommufd_user *user, bool pidfd)
{
	if (user->acct_process && ifd_acct_has_pidfd(user->acct_process))
		pidfd = false;
	return (struct ifd_source){
		.pidfd = pidfd && user->pidfd ? user->pidfd(user->priv) : -1,
		.acct = { user->acct_user, user->acct_process },
	};
}

int ifd_umap(struct siommu_iommufd *ictx, const struct siommu_iommufd_user *user,
	     uint32_t ioas_id, uint32_t flags, uint64_t uva, uint64_t length, uint64_t *iova)
{
	struct ifd_source src;
	uint64_t start = uva;
	int fd = -1, err;

	if (!remote(user))
		return siommu_ioas_map(ictx, ioas_id, flags, uptr(uva), length, iova);
	/* Memory that is not there fails where pinning would, after the
	 * checks of the request, as for this process's own. */
	err = user->map_file(user->priv, uva, length, &fd, &start);
	/* Or the same memory mapped here too, at start. */
	src = user_source(user, !err);
	if (!err && fd < 0)
		return ifd_ioas_map_src(ictx, ioas_id, flags, uptr(start), length, &src, iova);
	return ifd_ioas_map_fd(ictx, ioas_id, flags, fd, err ? uva : start, err, length, &src,
			       iova);
}

static int ioas_map(struct ucmd *u)
{
	struct iommu_ioas_map *c = u->cmd;
	int ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	if (whole_space_iova(c->flags, c->iova))
		return -EOVERFLOW;
	ret = ifd_umap(u->ictx, u->user, c->ioas_id, c->flags, c->user_va, c->length,
		       (uint64_t *)&c->iova);
	u->respond = !ret;
	return ret;
}

static int ioas_map_file(struct ucmd *u)
{
	struct iommu_ioas_map_file *c = u->cmd;
	struct ifd_source src;
	int fd = c->fd, ret;

	if (whole_space_iova(c->flags, c->iova))
		return -EOVERFLOW;
	/* Linux: an fd that is not open is -EBADF, after the flags. */
	if (!remote(u->user)) {
		ret = siommu_ioas_map_file(u->ictx, c->ioas_id, c->flags, fd, c->start,
					   c->length, (uint64_t *)&c->iova);
	} else if (u->user->fd(u->user->priv, c->fd, &fd)) {
		ret = siommu_ioas_map_file(u->ictx, c->ioas_id, c->flags, -1, c->start,
					   c->length, (uint64_t *)&c->iova);
	} else {
		src = user_source(u->user, true);
		ret = ifd_ioas_map_fd(u->ictx, c->ioas_id, c->flags, fd, c->start, 0,
				      c->length, &src, (uint64_t *)&c->iova);
	}
	u->respond = !ret;
	return ret;
}

static int ioas_unmap(struct ucmd *u)
{
	struct iommu_ioas_unmap *c = u->cmd;
	uint64_t unmapped = 0;
	int ret;

	ret = siommu_ioas_unmap(u->ictx, c->ioas_id, c->iova, c->length, &unmapped);
	if (ret)
		return ret;
	c->length = unmapped;
	u->respond = true;
	return 0;
}

static int option(struct ucmd *u)
{
	struct iommu_option *c = u->cmd;
	uint64_t val = c->val64;
	int ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	ret = siommu_iommufd_option(u->ictx, c->option_id, c->op, c->object_id, &val);
	if (ret)
		return ret;
	if (c->op == IOMMU_OPTION_OP_GET)
		c->val64 = val;
	u->respond = true;
	return 0;
}

static int vfio_ioas(struct ucmd *u)
{
	struct iommu_vfio_ioas *c = u->cmd;
	int ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	switch (c->op) {
	case IOMMU_VFIO_IOAS_GET:
		ret = siommu_vfio_ioas_get(u->ictx, &c->ioas_id);
		u->respond = !ret;
		return ret;
	case IOMMU_VFIO_IOAS_SET:
		return siommu_vfio_ioas_set(u->ictx, c->ioas_id);
	case IOMMU_VFIO_IOAS_CLEAR:
		siommu_vfio_ioas_clear(u->ictx);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int hwpt_alloc(struct ucmd *u)
{
	struct iommu_hwpt_alloc *c = u->cmd;
	uint32_t fault_id = c->flags & IOMMU_HWPT_FAULT_ID_VALID ? c->fault_id : 0;
	int ret;

	if (c->__reserved || c->__reserved2)
		return -EOPNOTSUPP;
	if (c->data_type == IOMMU_HWPT_DATA_NONE) {
		if (c->data_len || c->data_uptr)
			return -EINVAL;
		ret = siommu_hwpt_alloc(u->ictx, c->dev_id, c->pt_id, c->flags, fault_id,
					&c->out_hwpt_id);
	} else {
		/* Driver data: a nested HWPT over a nest parent or a vIOMMU
		 * (none at all is refused first, as Linux does). */
		void *data;

		if (!c->data_len)
			return -EINVAL;
		if (!c->data_uptr)
			return -EFAULT;
		ret = ubuf_get(u, c->data_uptr, c->data_len, false, &data);
		if (ret)
			return ret;
		ret = siommu_hwpt_alloc_nested(u->ictx, &(struct siommu_hwpt_nested_cfg){
			.flags = c->flags, .dev_id = c->dev_id, .pt_id = c->pt_id,
			.data_type = c->data_type, .data_len = c->data_len,
			.data = data, .fault_id = fault_id,
		}, &c->out_hwpt_id);
		ubuf_put(u, c->data_uptr, data, c->data_len, false);
	}
	u->respond = !ret;
	return ret;
}

/*
 * The entries of an array that faults as a whole, as Linux's drivers copy
 * them, one at a time: a copy of those before the first unreadable one
 * in *buf (ubuf_put() frees it), their count in *n (the call handles
 * them, then faults at the next). 0 or -ENOMEM.
 */
static int entries_get(struct ucmd *u, uint64_t addr, uint32_t entry_len, uint32_t *n,
		       void **buf)
{
	uint32_t i;

	if (!(*buf = malloc((size_t)entry_len * *n)))
		return -ENOMEM;
	for (i = 0; i < *n; i++)
		if (ifd_ucopy_in(u->user, (char *)*buf + (size_t)i * entry_len,
				 addr + (uint64_t)i * entry_len, entry_len))
			break;
	*n = i;
	return 0;
}

static int hwpt_invalidate(struct ucmd *u)
{
	struct iommu_hwpt_invalidate *c = u->cmd;
	uint64_t len = (uint64_t)c->entry_len * c->entry_num;
	uint32_t n = c->entry_num;
	void *data;
	int ret;

	/* entry_num reports how far the batch got, whatever the outcome:
	 * none when the call is refused as a whole. */
	u->respond = true;
	if (c->__reserved) {
		c->entry_num = 0;
		return -EOPNOTSUPP;
	}
	/* Out of bounds, refused before the array is copied in. */
	if (c->entry_num && !ifd_invalidate_bounded(c->entry_len, c->entry_num)) {
		c->entry_num = 0;
		return -EINVAL;
	}
	/* A missing array is the library's -EINVAL, not a fault in the copy. */
	data = NULL;
	ret = c->data_uptr ? ubuf_get(u, c->data_uptr, len, false, &data) : 0;
	if (ret == -EFAULT)
		ret = entries_get(u, c->data_uptr, c->entry_len, &n, &data);
	if (ret) {
		c->entry_num = 0;
		return ret;
	}
	ret = siommu_hwpt_invalidate(u->ictx, c->hwpt_id, c->data_type, data, c->entry_len,
				     &n);
	/* Every readable entry handled, the next one faults. */
	if (!ret && n < c->entry_num)
		ret = -EFAULT;
	if (c->data_uptr)
		ubuf_put(u, c->data_uptr, data, len, false);
	c->entry_num = n;
	return ret;
}

static int viommu_alloc(struct ucmd *u)
{
	struct iommu_viommu_alloc *c = u->cmd;
	uint32_t len;
	void *data;
	int ret, put;

	/* Only the mock type takes driver data; the others leave data_len
	 * and data_uptr alone, as Linux's SMMUv3 does. */
	if (c->__reserved)
		return -EOPNOTSUPP;
	len = c->type == IOMMU_VIOMMU_TYPE_SELFTEST ? c->data_len : 0;
	ret = ubuf_get(u, c->data_uptr, len, true, &data);
	if (ret)
		return ret;
	ret = siommu_viommu_alloc_data(u->ictx, c->flags, c->type, c->dev_id, c->hwpt_id,
				       data, c->data_len, &c->out_viommu_id);
	/* The mock's data answers in place too. */
	put = ubuf_put(u, c->data_uptr, data, len, !ret);
	if (!ret && put) {
		siommu_iommufd_obj_destroy(u->ictx, c->out_viommu_id);
		ret = put;
	}
	u->respond = !ret;
	return ret;
}

static int vdevice_alloc(struct ucmd *u)
{
	struct iommu_vdevice_alloc *c = u->cmd;
	int ret;

	ret = siommu_vdevice_alloc(u->ictx, c->viommu_id, c->dev_id, c->virt_id,
				   &c->out_vdevice_id);
	u->respond = !ret;
	return ret;
}

static int veventq_alloc(struct ucmd *u)
{
	struct iommu_veventq_alloc *c = u->cmd;
	int fd, ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	ret = siommu_veventq_alloc(u->ictx, c->viommu_id, c->flags, c->type, c->veventq_depth,
				   &c->out_veventq_id);
	if (ret)
		return ret;
	ret = ifd_veventq_open_fd(u->ictx, c->out_veventq_id, &fd);
	if (ret) {
		siommu_iommufd_obj_destroy(u->ictx, c->out_veventq_id);
		return ret;
	}
	if (u->user)
		u->user->made_fd(u->user->priv, fd, c->out_veventq_id);
	c->out_veventq_fd = (uint32_t)fd;
	u->respond = true;
	return 0;
}

static int hw_queue_alloc(struct ucmd *u)
{
	struct iommu_hw_queue_alloc *c = u->cmd;
	int ret;

	ret = siommu_hw_queue_alloc(u->ictx, c->viommu_id, c->flags, c->type, c->index,
				    c->nesting_parent_iova, c->length, &c->out_hw_queue_id);
	u->respond = !ret;
	return ret;
}

static int get_hw_info(struct ucmd *u)
{
	struct iommu_hw_info *c = u->cmd;
	bool want = c->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	uint32_t type = want ? c->in_data_type : IOMMU_HW_INFO_TYPE_DEFAULT;
	uint32_t len = 0;
	uint64_t caps = 0;
	uint8_t pasid_log2 = 0;
	void *data;
	int ret, put;

	if (c->flags & ~(uint32_t)IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (c->__reserved[0] || c->__reserved[1] || c->__reserved[2])
		return -EOPNOTSUPP;
	if (c->data_len && !c->data_uptr)
		return -EFAULT;
	ret = ubuf_get(u, c->data_uptr, c->data_len, true, &data);
	if (ret)
		return ret;
	ret = siommu_iommufd_get_hw_info(u->ictx, c->dev_id, want, &type, data, c->data_len,
					 &len, &caps, &pasid_log2);
	/* The data goes back failed or not: a refused type leaves it as it
	 * was. */
	put = ubuf_put(u, c->data_uptr, data, c->data_len, true);
	if (!ret)
		ret = put;
	if (ret)
		return ret;
	c->data_len = len;
	c->out_data_type = type;
	c->out_capabilities = caps;
	c->out_max_pasid_log2 = pasid_log2;
	u->respond = true;
	return 0;
}

static int hwpt_set_dirty_tracking(struct ucmd *u)
{
	struct iommu_hwpt_set_dirty_tracking *c = u->cmd;

	if (c->flags & ~(uint32_t)IOMMU_HWPT_DIRTY_TRACKING_ENABLE || c->__reserved)
		return -EOPNOTSUPP;
	return siommu_hwpt_set_dirty_tracking(u->ictx, c->hwpt_id,
					      c->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
}

static int hwpt_get_dirty_bitmap(struct ucmd *u)
{
	struct iommu_hwpt_get_dirty_bitmap *c = u->cmd;
	uint64_t len = 0;
	void *bitmap;
	int ret, put;

	if (c->flags & ~(uint32_t)IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR || c->__reserved)
		return -EOPNOTSUPP;
	if (!c->data)
		return -EFAULT;
	/* The bitmap's u64 words for the range, when the C API would take
	 * it (it refuses other page sizes before following the pointer). */
	if (c->page_size && !(c->page_size & (c->page_size - 1)) && c->length)
		len = (c->length / c->page_size + 63) / 64 * 8;
	ret = ubuf_get(u, c->data, len, true, &bitmap);
	if (ret)
		return ret;
	ret = siommu_hwpt_get_dirty_bitmap(u->ictx, c->hwpt_id, c->iova, c->length,
					   c->page_size, c->flags, bitmap);
	put = ubuf_put(u, c->data, bitmap, len, !ret);
	return ret ? ret : put;
}

static int fault_queue_alloc(struct ucmd *u)
{
	struct iommu_fault_alloc *c = u->cmd;
	int fd, ret;

	if (c->flags)
		return -EOPNOTSUPP;
	ret = siommu_fault_alloc(u->ictx, &c->out_fault_id);
	if (ret)
		return ret;
	ret = ifd_fault_open_fd(u->ictx, c->out_fault_id, &fd);
	if (ret) {
		siommu_iommufd_obj_destroy(u->ictx, c->out_fault_id);
		return ret;
	}
	if (u->user)
		u->user->made_fd(u->user->priv, fd, c->out_fault_id);
	c->out_fault_fd = (uint32_t)fd;
	u->respond = true;
	return 0;
}

/* DIRTY's bitmap (read) and ACCESS_RW's buffer (read, or written without
 * MOCK_ACCESS_RW_WRITE) for a checked caller in this process: copies of
 * ours in their place while the operation runs. Sizes the operation
 * refuses are left for it to refuse before it follows the pointer. */
static int test_cmd_copied(struct ucmd *u, struct iommu_test_cmd *c)
{
	bool dirty = c->op == IOMMU_TEST_OP_DIRTY, out = false;
	uint64_t *field = dirty ? &c->dirty.uptr : &c->access_rw.uptr, addr = *field, len = 0;
	void *buf;
	int ret, put;

	if (dirty && c->dirty.page_size && c->dirty.length &&
	    !(c->dirty.length % c->dirty.page_size))
		len = (c->dirty.length / c->dirty.page_size + 7) / 8;
	if (!dirty && c->access_rw.length <= IFD_TEST_MAX_LENGTH) {
		len = c->access_rw.length;
		out = !(c->access_rw.flags & MOCK_ACCESS_RW_WRITE);
	}
	if (len && !addr)
		return dirty ? -EINVAL : -EFAULT;	/* as the operation says */
	ret = ubuf_get(u, addr, len, out, &buf);
	if (ret)
		return ret;
	*field = (uintptr_t)buf;
	ret = ifd_test_cmd(u->ictx, u->cmd, &u->respond);
	*field = addr;
	put = ubuf_put(u, addr, buf, len, out && !ret);
	return ret ? ret : put;
}

static int test_cmd(struct ucmd *u)
{
	struct iommu_test_cmd *c = u->cmd;

	/* Another process's memory is not ours to check or pin, an
	 * access's or a dma-buf's new fd would be ours, not the caller's,
	 * and a dma-buf's fd number names no file of ours. */
	if (remote(u->user)) {
		switch (c->op) {
		case IOMMU_TEST_OP_DMABUF_GET:
		case IOMMU_TEST_OP_DMABUF_REVOKE:
		case IOMMU_TEST_OP_MD_CHECK_DMABUF:
		case IOMMU_TEST_OP_MD_CHECK_MAP:
		case IOMMU_TEST_OP_MD_CHECK_REFS:
		case IOMMU_TEST_OP_CREATE_ACCESS:
		case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		case IOMMU_TEST_OP_ACCESS_PAGES:
		case IOMMU_TEST_OP_ACCESS_RW:
		case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		case IOMMU_TEST_OP_DIRTY:
			return -EOPNOTSUPP;
		}
	}
	if (u->user && (c->op == IOMMU_TEST_OP_DIRTY || c->op == IOMMU_TEST_OP_ACCESS_RW))
		return test_cmd_copied(u, c);
	return ifd_test_cmd(u->ictx, u->cmd, &u->respond);
}

struct ioctl_op {
	unsigned long request;
	uint32_t size, min_size;
	int (*fn)(struct ucmd *u);
	bool test;		/* test mode only (-ENOTTY elsewhere) */
};

#define OP(req, name, handler)                                             \
	[IOMMUFD_CMD_##req - IOMMUFD_CMD_BASE] = {                         \
		.request = IOMMU_##req, .size = sizeof(struct name),      \
		.min_size = IOMMUFD_##req##_MIN_SIZE, .fn = handler,       \
	}

/*
 * The commands the object model provides. The other (CHANGE_PROCESS)
 * has no slot and answers -ENOTTY, as IOMMU_TEST_CMD does outside test
 * mode.
 */
#define IOMMU_TEST_CMD_NR (IOMMUFD_CMD_BASE + 32)
static const struct ioctl_op ops[] = {
	OP(DESTROY, iommu_destroy, destroy),
	OP(IOAS_ALLOC, iommu_ioas_alloc, ioas_alloc),
	OP(IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, ioas_allow_iovas),
	OP(IOAS_COPY, iommu_ioas_copy, ioas_copy),
	OP(IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, ioas_iova_ranges),
	OP(IOAS_MAP, iommu_ioas_map, ioas_map),
	OP(IOAS_UNMAP, iommu_ioas_unmap, ioas_unmap),
	OP(OPTION, iommu_option, option),
	OP(VFIO_IOAS, iommu_vfio_ioas, vfio_ioas),
	OP(HWPT_ALLOC, iommu_hwpt_alloc, hwpt_alloc),
	[IOMMUFD_CMD_GET_HW_INFO - IOMMUFD_CMD_BASE] = {
		.request = IOMMU_GET_HW_INFO, .size = sizeof(struct iommu_hw_info),
		.min_size = IOMMUFD_GET_HW_INFO_MIN_SIZE, .fn = get_hw_info,
	},
	OP(HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, hwpt_set_dirty_tracking),
	OP(HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, hwpt_get_dirty_bitmap),
	OP(FAULT_QUEUE_ALLOC, iommu_fault_alloc, fault_queue_alloc),
	OP(IOAS_MAP_FILE, iommu_ioas_map_file, ioas_map_file),
	OP(HWPT_INVALIDATE, iommu_hwpt_invalidate, hwpt_invalidate),
	OP(VIOMMU_ALLOC, iommu_viommu_alloc, viommu_alloc),
	OP(VDEVICE_ALLOC, iommu_vdevice_alloc, vdevice_alloc),
	OP(VEVENTQ_ALLOC, iommu_veventq_alloc, veventq_alloc),
	OP(HW_QUEUE_ALLOC, iommu_hw_queue_alloc, hw_queue_alloc),
	[IOMMU_TEST_CMD_NR - IOMMUFD_CMD_BASE] = {
		.request = IOMMU_TEST_CMD, .size = sizeof(struct iommu_test_cmd),
		.min_size = IOMMUFD_TEST_CMD_MIN_SIZE, .fn = test_cmd, .test = true,
	},
};

/* Whether command @request writes its struct @cmd back (u->respond) on
 * some outcome. */
static bool writes(unsigned long request, const void *cmd)
{
	switch (request) {
	case IOMMU_DESTROY:
	case IOMMU_IOAS_ALLOW_IOVAS:
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		return false;
	case IOMMU_VFIO_IOAS:
		return ((const struct iommu_vfio_ioas *)cmd)->op == IOMMU_VFIO_IOAS_GET;
	default:
		return true;
	}
}

/* Room for the largest struct of the table. */
#define UCMD_MAX 72

/* Both entry points: @arg is the caller's address of the struct. */
static int dispatch(struct siommu_iommufd *ictx, unsigned long request, uint64_t arg,
		    const struct siommu_iommufd_user *user)
{
	union {
		uint64_t align;
		unsigned char b[UCMD_MAX];
	} buf;
	unsigned char tail[64];
	const struct ioctl_op *op;
	struct ucmd u = { .ictx = ictx, .cmd = buf.b, .user = user };
	unsigned long nr = request & 0xff;
	uint32_t usize, ksize, i, n;
	bool whole;
	int ret;

	if (!ictx)
		return -EINVAL;
	if ((request & ~0xfful) != ((unsigned long)IOMMUFD_TYPE << 8))
		return -ENOTTY;
	/* Below the table: the VFIO type1 container, whose first requests
	 * take an integer, not a struct. */
	if (nr < IOMMUFD_CMD_BASE)
		return ifd_vfio_compat_ioctl(ictx, request, arg, user);
	if (!arg)
		return -EFAULT;
	if (nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(ops))
		return -ENOTTY;
	op = &ops[nr - IOMMUFD_CMD_BASE];
	if (!op->fn || op->request != request || (op->test && !ictx->test_unit))
		return -ENOTTY;
	memset(&buf, 0, sizeof(buf));
	/* Through hooks, the whole struct in one copy when it is all there
	 * (reading past a shorter one is harmless); its size first else. */
	whole = user && !ifd_ucopy_in(user, buf.b, arg, op->size);
	if (whole)
		memcpy(&usize, buf.b, sizeof(usize));
	else if ((ret = ifd_ucopy_in(user, &usize, arg, sizeof(usize))))
		return ret;
	if (usize < op->min_size)
		return -EINVAL;
	/* Bytes past what we know must be zero: the caller asks nothing of
	 * a field it cannot know we lack. */
	for (i = op->size; i < usize; i += n) {
		n = usize - i < sizeof(tail) ? usize - i : (uint32_t)sizeof(tail);
		ret = ifd_ucopy_in(user, tail, arg + i, n);
		if (ret)
			return ret;
		if (tail[0] || memcmp(tail, tail + 1, n - 1))
			return -E2BIG;
	}
	ksize = usize < op->size ? usize : op->size;
	ret = 0;
	if (whole)
		memset(buf.b + ksize, 0, op->size - ksize);
	else
		ret = ifd_ucopy_in(user, buf.b, arg, ksize);
	/* A struct the call answers in, written back as it is first: one
	 * the caller cannot have written fails before anything changes. */
	if (!ret && user && writes(request, buf.b))
		ret = ifd_ucopy_out(user, arg, buf.b, ksize);
	if (ret)
		return ret;
	ret = op->fn(&u);
	if (u.respond) {
		int out = ifd_ucopy_out(user, arg, buf.b, ksize);

		if (!ret)
			ret = out;
	}
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_ioctl(struct siommu_iommufd *ictx, unsigned long request,
				       void *arg)
{
	return dispatch(ictx, request, (uintptr_t)arg, NULL);
}

int SIOMMU_EXPORT siommu_iommufd_ioctl_checked(struct siommu_iommufd *ictx,
					       unsigned long request, void *arg)
{
	struct self_call c = { .made_fd = -1 };
	const struct siommu_iommufd_user self = {
		/* This process pins its own memory and fds as they are. */
		.read = self_read, .write = self_write, .made_fd = self_made_fd, .priv = &c,
	};
	int ret;

	ret = dispatch(ictx, request, (uintptr_t)arg, &self);
	/* A queue whose fd the caller could not be told of goes again. */
	if (ret < 0 && c.made_fd >= 0) {
		close(c.made_fd);
		siommu_iommufd_obj_destroy(ictx, c.made_id);
	}
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_ioctl_user(struct siommu_iommufd *ictx,
					    unsigned long request, uint64_t arg,
					    const struct siommu_iommufd_user *user)
{
	if (!user || !user->read || !user->write || !user->map_file || !user->fd ||
	    !user->made_fd)
		return -EINVAL;
	return dispatch(ictx, request, arg, user);
}

/* Events go to the caller's buffer as the C API writes them. */
_Static_assert(sizeof(struct iommufd_vevent_header) == 8, "vevent header layout");
_Static_assert(sizeof(struct iommu_vevent_arm_smmuv3) ==
	       sizeof(struct siommu_vevent_arm_smmuv3), "vevent layout");
_Static_assert(IOMMU_VEVENTQ_FLAG_LOST_EVENTS == SIOMMU_VEVENTQ_FLAG_LOST_EVENTS,
	       "vevent flags");

/* The rules read() and write() of a fault queue's fd share: whole
 * records of @rec bytes, at position 0 (Linux: -ESPIPE otherwise). */
static int fault_io_check(struct siommu_iommufd *ictx, const void *buf,
			  unsigned long count, long long pos, size_t rec)
{
	if (!ictx)
		return -EINVAL;
	if (pos || count % rec)
		return -ESPIPE;
	if (count && !buf)
		return -EFAULT;
	return 0;
}

long SIOMMU_EXPORT siommu_iommufd_fault_read(struct siommu_iommufd *ictx, uint32_t fault_id,
					     void *buf, unsigned long count, long long pos)
{
	const size_t rec = sizeof(struct iommu_hwpt_pgfault);
	uint32_t n = 0;
	int ret;

	ret = fault_io_check(ictx, buf, count, pos, rec);
	if (ret)
		return ret;
	ret = siommu_fault_read(ictx, fault_id, buf,
				count / rec > UINT32_MAX ? UINT32_MAX : (uint32_t)(count / rec), &n);
	return ret ? ret : (long)(n * rec);
}

long SIOMMU_EXPORT siommu_iommufd_fault_write(struct siommu_iommufd *ictx, uint32_t fault_id,
					      const void *buf, unsigned long count,
					      long long pos)
{
	const size_t rec = sizeof(struct iommu_hwpt_page_response);
	struct iommu_hwpt_page_response r;
	unsigned long done;
	int ret = 0;

	ret = fault_io_check(ictx, buf, count, pos, rec);
	if (ret)
		return ret;
	for (done = 0; done < count; done += rec) {
		memcpy(&r, (const char *)buf + done, rec);
		ret = siommu_fault_respond(ictx, fault_id, r.cookie, r.code);
		if (ret)
			break;
	}
	return done ? (long)done : ret;
}

long SIOMMU_EXPORT siommu_iommufd_veventq_read(struct siommu_iommufd *ictx, uint32_t veventq_id,
					       void *buf, unsigned long count, long long pos)
{
	uint64_t n = 0;
	int ret;

	if (!ictx)
		return -EINVAL;
	/* Linux: any count, but position 0. */
	if (pos)
		return -ESPIPE;
	if (count && !buf)
		return -EFAULT;
	ret = siommu_veventq_read(ictx, veventq_id, buf, count, &n);
	return ret ? ret : (long)n;
}
