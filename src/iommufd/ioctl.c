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
#include <pthread.h>
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
#include "util/vm_rw.h"

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
	uint32_t made;		/* an object the call made, or 0: destroyed
				 * when the struct cannot be written back, as
				 * Linux aborts it then */
	struct ifd_uvec arr;	/* an array the answer carries (ubuf_answer()) */
	void *arr_buf;		/* its copy, freed after */
	const struct siommu_iommufd_user *user;	/* NULL: this process */
};

static void *uptr(uint64_t v)
{
	return (void *)(uintptr_t)v;
}

/* This process's ID, which getpid(2) would ask the kernel for at every
 * copy: kept from the first, and forgotten in a child of fork() (whose
 * handlers run before it returns). A child made without them (clone(2)
 * without CLONE_VM, _Fork()) does not use the checked copy; vfork()'s
 * child shares our memory, which our ID then still names. */
static pid_t self_pid;
static pthread_once_t self_pid_once = PTHREAD_ONCE_INIT;

static void self_pid_forget(void)
{
	__atomic_store_n(&self_pid, 0, __ATOMIC_RELAXED);
}

static void self_pid_watch(void)
{
	pthread_atfork(NULL, NULL, self_pid_forget);
}

static pid_t self(void)
{
	pid_t pid = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);

	if (!pid) {
		pthread_once(&self_pid_once, self_pid_watch);
		pid = getpid();
		__atomic_store_n(&self_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

/* This process's own memory, through the kernel (vm_rw()): memory that
 * is not there, or not writable, is -EFAULT rather than a fault. */
static int self_read(void *priv, void *dst, uint64_t addr, uint64_t len)
{
	(void)priv;
	return vm_rw(self(), false, dst, addr, len) ? -EFAULT : 0;
}

static int self_write(void *priv, uint64_t addr, const void *src, uint64_t len)
{
	(void)priv;
	return vm_rw(self(), true, (void *)src, addr, len) ? -EFAULT : 0;
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

const struct siommu_iommufd_user ifd_self_checked = {
	.read = self_read, .write = self_write,
};

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

int ifd_ucopy_outv(const struct siommu_iommufd_user *user, const struct ifd_uvec *v,
		   unsigned int n)
{
	struct iovec l[IFD_UVEC_MAX], r[IFD_UVEC_MAX];
	uint64_t total = 0;
	unsigned int i;
	int ret;

	/* This process's own: one call, which stops where the first piece
	 * that cannot be written starts or ends, as the pieces one by one. */
	if (user && user->write == self_write && n <= IFD_UVEC_MAX) {
		for (i = 0; i < n; i++) {
			l[i] = (struct iovec){ (void *)v[i].src, v[i].len };
			r[i] = (struct iovec){ uptr(v[i].addr), v[i].len };
			total += v[i].len;
		}
		if (total > SSIZE_MAX)
			return -EFAULT;
		return process_vm_writev(self(), l, n, r, n, 0) == (ssize_t)total ? 0 : -EFAULT;
	}
	for (i = 0; i < n; i++) {
		ret = ifd_ucopy_out(user, v[i].addr, v[i].src, v[i].len);
		if (ret)
			return ret;
	}
	return 0;
}

int ifd_ucopy_zeroed(const struct siommu_iommufd_user *user, uint64_t addr, uint64_t len)
{
	unsigned char b[256];
	uint64_t i, n;
	int ret;

	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(b) ? len - i : sizeof(b);
		ret = ifd_ucopy_in(user, b, addr + i, n);
		if (ret)
			return ret;
		if (b[0] || memcmp(b, b + 1, n - 1))
			return -E2BIG;
	}
	return 0;
}

int ifd_ucopy_str(const struct siommu_iommufd_user *user, char *dst, uint64_t addr,
		  uint64_t size)
{
	const uint64_t page = 4096;
	uint64_t got = 0, n;

	while (got < size) {
		/* Never past the page the NUL is on: the next may not be. */
		n = page - (addr + got) % page;
		if (n > size - got)
			n = size - got;
		if (ifd_ucopy_in(user, dst + got, addr + got, n))
			return -EFAULT;
		if (memchr(dst + got, 0, n))
			return 0;
		got += n;
	}
	return -EINVAL;
}

/* How ubuf_get() copies an array the caller's struct points at; with
 * neither, the call only writes it (ubuf_put()). */
enum {
	UB_IN = 1,		/* the call reads it: copied in */
	UB_PIN = 2,		/* Linux pins it for writing before the call
				 * acts: memory the caller cannot write fails
				 * before anything changes */
};

/*
 * An array the caller's struct points at (@len bytes at @addr), for the
 * C API: the caller's own memory for a trusted caller in this process;
 * otherwise a copy of ours, read in with UB_IN (zeroed without), and with
 * UB_PIN written back as it is, so that memory the caller cannot write
 * fails before the call changes anything. An empty one is the caller's
 * address as it is, which the C API checks but does not follow.
 * ubuf_put() writes the copy back when @ok (the call wrote it) and
 * frees it. 0, -ENOMEM, -EFAULT.
 */
static int ubuf_get(struct ucmd *u, uint64_t addr, uint64_t len, unsigned int how, void **buf)
{
	int ret = 0;

	if (!u->user || !len) {
		*buf = uptr(addr);
		return 0;
	}
	if (len > SIZE_MAX)
		return -ENOMEM;
	*buf = how & UB_IN ? malloc(len) : calloc(1, len);
	if (!*buf)
		return -ENOMEM;
	if (how & UB_IN)
		ret = ifd_ucopy_in(u->user, *buf, addr, len);
	if (!ret && (how & UB_PIN))
		ret = ifd_ucopy_out(u->user, addr, *buf, len);
	if (ret)
		free(*buf);
	return ret;
}

static int ubuf_put(struct ucmd *u, uint64_t addr, void *buf, uint64_t len, bool ok)
{
	int ret = 0;

	if (!u->user || !len)
		return 0;
	if (ok)
		ret = ifd_ucopy_out(u->user, addr, buf, len);
	free(buf);
	return ret;
}

/* The copy @buf of ubuf_get() (@len bytes), whose first @out_len bytes
 * the call wrote, goes back to the caller with the struct's answer, in
 * the same kernel call, just before it (Linux writes the array first). */
static void ubuf_answer(struct ucmd *u, uint64_t addr, void *buf, uint64_t len,
			uint64_t out_len)
{
	if (!u->user || !len)
		return;
	u->arr = (struct ifd_uvec){ addr, buf, out_len };
	u->arr_buf = buf;
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
	if (ret)
		return ret;
	u->made = c->out_ioas_id;
	u->respond = true;
	return 0;
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
	ret = ubuf_get(u, c->allowed_iovas, len, UB_IN, &ranges);
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
	int ret;

	if (c->__reserved)
		return -EOPNOTSUPP;
	if (num && !c->allowed_iovas)
		return -EFAULT;
	ret = ubuf_get(u, c->allowed_iovas, len, 0, &ranges);
	if (ret)
		return ret;
	ret = siommu_ioas_iova_ranges(u->ictx, c->ioas_id, ranges, &num, &align);
	if (ret && ret != -EMSGSIZE) {
		ubuf_put(u, c->allowed_iovas, ranges, len, false);
		return ret;
	}
	/* The ranges that fit, too small an array or not, as Linux's; the
	 * elements past them are the caller's still. */
	ubuf_answer(u, c->allowed_iovas, ranges, len,
		    (num < c->num_iovas ? num : c->num_iovas) *
		    (uint64_t)sizeof(struct iommu_iova_range));
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
	return ifd_ioas_map_fd(ictx, ioas_id, flags, fd, err ? uva : start, err, length, false,
			       &src, iova);
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
				      c->length, true, &src, (uint64_t *)&c->iova);
	}
	u->respond = !ret;
	return ret;
}

/* The caller's buckets (a caller served for another process: its
 * own, NULL for the context's). A remote caller's process bucket learns
 * its process, on which the storage now depends. */
static int ioas_change_process(struct ucmd *u)
{
	struct iommu_ioas_change_process *c = u->cmd;
	const struct siommu_iommufd_user *user = u->user;
	int ret, pidfd;

	if (c->__reserved)
		return -EOPNOTSUPP;
	if (!user)
		return ifd_ioas_change_process(u->ictx, NULL);
	ret = ifd_ioas_change_process(u->ictx, &(struct ifd_source){
		.pidfd = -1, .acct = { user->acct_user, user->acct_process } });
	if (!ret && remote(user) && user->acct_process && user->pidfd &&
	    !ifd_acct_has_pidfd(user->acct_process)) {
		pidfd = user->pidfd(user->priv);
		if (pidfd >= 0)
			ifd_acct_set_pidfd(user->acct_process, pidfd);
	}
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
		ret = ubuf_get(u, c->data_uptr, c->data_len, UB_IN, &data);
		if (ret)
			return ret;
		ret = siommu_hwpt_alloc_nested(u->ictx, &(struct siommu_hwpt_nested_cfg){
			.flags = c->flags, .dev_id = c->dev_id, .pt_id = c->pt_id,
			.data_type = c->data_type, .data_len = c->data_len,
			.data = data, .fault_id = fault_id,
		}, &c->out_hwpt_id);
		ubuf_put(u, c->data_uptr, data, c->data_len, false);
	}
	if (ret)
		return ret;
	u->made = c->out_hwpt_id;
	u->respond = true;
	return 0;
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
	ret = c->data_uptr ? ubuf_get(u, c->data_uptr, len, UB_IN, &data) : 0;
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
	ret = ubuf_get(u, c->data_uptr, len, UB_IN, &data);
	if (ret)
		return ret;
	ret = siommu_viommu_alloc_data(u->ictx, c->flags, c->type, c->dev_id, c->hwpt_id,
				       data, c->data_len, &c->out_viommu_id);
	/* The mock's data answers in place too; a vIOMMU that cannot
	 * answer goes, as Linux aborts it. */
	put = ubuf_put(u, c->data_uptr, data, len, !ret);
	if (!ret && put) {
		siommu_iommufd_obj_destroy(u->ictx, c->out_viommu_id);
		ret = put;
	}
	if (ret)
		return ret;
	u->made = c->out_viommu_id;
	u->respond = true;
	return 0;
}

static int vdevice_alloc(struct ucmd *u)
{
	struct iommu_vdevice_alloc *c = u->cmd;
	int ret;

	ret = siommu_vdevice_alloc(u->ictx, c->viommu_id, c->dev_id, c->virt_id,
				   &c->out_vdevice_id);
	if (ret)
		return ret;
	u->made = c->out_vdevice_id;
	u->respond = true;
	return 0;
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
	if (ret)
		return ret;
	u->made = c->out_hw_queue_id;
	u->respond = true;
	return 0;
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
	int ret;

	if (c->flags & ~(uint32_t)IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (c->__reserved[0] || c->__reserved[1] || c->__reserved[2])
		return -EOPNOTSUPP;
	if (c->data_len && !c->data_uptr)
		return -EFAULT;
	ret = ubuf_get(u, c->data_uptr, c->data_len, 0, &data);
	if (ret)
		return ret;
	ret = siommu_iommufd_get_hw_info(u->ictx, c->dev_id, want, &type, data, c->data_len,
					 &len, &caps, &pasid_log2);
	/* Linux writes the data only once the call succeeded: a refused
	 * type, or any other refusal, leaves it as it was. */
	if (ret) {
		ubuf_put(u, c->data_uptr, data, c->data_len, false);
		return ret;
	}
	ubuf_answer(u, c->data_uptr, data, c->data_len, c->data_len);
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
	/* Linux pins the bitmap for writing before it reads and clears a
	 * bit: a bitmap the caller cannot write leaves the bits set. */
	ret = ubuf_get(u, c->data, len, UB_IN | UB_PIN, &bitmap);
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
	ret = ubuf_get(u, addr, len, out ? 0 : UB_IN, &buf);
	if (ret)
		return ret;
	*field = (uintptr_t)buf;
	ret = ifd_test_cmd(u->ictx, u->cmd, &u->respond);
	*field = addr;
	put = ubuf_put(u, addr, buf, len, out && !ret);
	return ret ? ret : put;
}

/*
 * IOMMU_TEST_CMD for a caller in another process: the fd an operation
 * names (an access's, a dma-buf's) is the caller's, found through the
 * user's fd hook (an fd it does not resolve is -1 here, which names no
 * access and no dma-buf, as a closed number does), and the fd an
 * operation makes (CREATE_ACCESS's, DMABUF_GET's) goes to its made_fd
 * hook. The checks of pages against the caller's addresses (MD_CHECK_MAP,
 * MD_CHECK_REFS, ACCESS_PAGES with uptr) and DIRTY compare pointers of
 * this process with the caller's: -EOPNOTSUPP.
 */
static int test_cmd_remote(struct ucmd *u, struct iommu_test_cmd *c)
{
	const struct siommu_iommufd_user *user = u->user;
	uint32_t *field = NULL, ufd = 0;
	int ret, fd;

	switch (c->op) {
	case IOMMU_TEST_OP_MD_CHECK_MAP:
	case IOMMU_TEST_OP_MD_CHECK_REFS:
	case IOMMU_TEST_OP_DIRTY:
		return -EOPNOTSUPP;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		if (c->access_pages.uptr)
			return -EOPNOTSUPP;
		field = &c->id;
		break;
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_RW:
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		field = &c->id;
		break;
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		field = (uint32_t *)&c->dmabuf_revoke.dmabuf_fd;
		break;
	case IOMMU_TEST_OP_MD_CHECK_DMABUF:
		field = (uint32_t *)&c->check_dmabuf.dmabuf_fd;
		break;
	}
	if (field) {
		ufd = *field;
		if (user->fd(user->priv, (int)ufd, &fd))
			fd = -1;
		*field = (uint32_t)fd;
	}
	ret = c->op == IOMMU_TEST_OP_ACCESS_RW ? test_cmd_copied(u, c) :
						 ifd_test_cmd(u->ictx, u->cmd, &u->respond);
	if (field)
		*field = ufd;	/* the caller's number, in what goes back */
	if (!ret && c->op == IOMMU_TEST_OP_CREATE_ACCESS)
		user->made_fd(user->priv, (int)c->create_access.out_access_fd, 0);
	else if (ret > 0 && c->op == IOMMU_TEST_OP_DMABUF_GET)
		user->made_fd(user->priv, ret, 0);
	return ret;
}

static int test_cmd(struct ucmd *u)
{
	struct iommu_test_cmd *c = u->cmd;

	if (remote(u->user))
		return test_cmd_remote(u, c);
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

/* The commands; IOMMU_TEST_CMD answers -ENOTTY outside test mode. */
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
	OP(IOAS_CHANGE_PROCESS, iommu_ioas_change_process, ioas_change_process),
	[IOMMU_TEST_CMD_NR - IOMMUFD_CMD_BASE] = {
		.request = IOMMU_TEST_CMD, .size = sizeof(struct iommu_test_cmd),
		.min_size = IOMMUFD_TEST_CMD_MIN_SIZE, .fn = test_cmd, .test = true,
	},
};

/* Room for the largest struct of the table. */
_Static_assert(sizeof(struct iommu_test_cmd) <= IFD_IOCTL_ANSWER_MAX, "answer room");

/* Every entry point: @arg is the caller's address of the struct; our copy
 * of it goes to @answer (IFD_IOCTL_ANSWER_MAX bytes, or NULL) when the
 * call succeeds. */
static int dispatch(struct siommu_iommufd *ictx, unsigned long request, uint64_t arg,
		    const struct siommu_iommufd_user *user, void *answer)
{
	union {
		uint64_t align;
		unsigned char b[IFD_IOCTL_ANSWER_MAX];
	} buf;
	const struct ioctl_op *op;
	struct ucmd u = { .ictx = ictx, .cmd = buf.b, .user = user };
	unsigned long nr = request & 0xff;
	uint32_t usize, ksize;
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
	if (usize > op->size && (ret = ifd_ucopy_zeroed(user, arg + op->size, usize - op->size)))
		return ret;
	ksize = usize < op->size ? usize : op->size;
	ret = 0;
	if (whole)
		memset(buf.b + ksize, 0, op->size - ksize);
	else
		ret = ifd_ucopy_in(user, buf.b, arg, ksize);
	if (ret)
		return ret;
	/* The command acts, then answers, as Linux's: what it did stays (a
	 * mapping made or removed) when the answer cannot be written, unless
	 * Linux undoes it then: an object made goes (u.made), and the mock
	 * driver undoes its own. */
	ret = op->fn(&u);
	if (u.respond) {
		struct ifd_uvec v[2] = { u.arr, { arg, buf.b, ksize } };
		int out = u.arr_buf ? ifd_ucopy_outv(user, v, 2) :
				      ifd_ucopy_out(user, arg, buf.b, ksize);

		if (out && !ret && u.made)
			siommu_iommufd_obj_destroy(ictx, u.made);
		else if (out && !ret && op->test)
			ifd_test_cmd_abort(ictx, buf.b);
		/* -EFAULT, whatever the command said (IOVA_RANGES's
		 * -EMSGSIZE, HWPT_INVALIDATE's error), as Linux's. */
		if (out)
			ret = out;
	}
	free(u.arr_buf);
	if (!ret && answer)
		memcpy(answer, buf.b, sizeof(buf.b));
	return ret;
}

int SIOMMU_EXPORT siommu_iommufd_ioctl(struct siommu_iommufd *ictx, unsigned long request,
				       void *arg)
{
	return dispatch(ictx, request, (uintptr_t)arg, NULL, NULL);
}

int SIOMMU_EXPORT siommu_iommufd_ioctl_checked(struct siommu_iommufd *ictx,
					       unsigned long request, void *arg)
{
	return ifd_ioctl_checked(ictx, request, arg, NULL);
}

int ifd_ioctl_checked(struct siommu_iommufd *ictx, unsigned long request, void *arg,
		      void *answer)
{
	struct self_call c = { .made_fd = -1 };
	const struct siommu_iommufd_user self = {
		/* This process pins its own memory and fds as they are. */
		.read = self_read, .write = self_write, .made_fd = self_made_fd, .priv = &c,
	};
	int ret;

	ret = dispatch(ictx, request, (uintptr_t)arg, &self, answer);
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
	return dispatch(ictx, request, arg, user, NULL);
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
