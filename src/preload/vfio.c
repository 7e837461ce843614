/* SPDX-License-Identifier: MIT */
/*
 * VFIO device files (/dev/vfio/devices/vfioN, Linux's VFIO device cdev)
 * over the machine's devices and iommufd contexts, with Linux's rules
 * (siommu/vfio_abi.h): a file answers nothing but VFIO_DEVICE_BIND_IOMMUFD
 * until it is bound (-EINVAL); binding claims the device for the iommufd
 * context and makes its DEVICE object; ATTACH and DETACH act on the RID or
 * a PASID, an attach over an attachment replacing it; closing the file's
 * last fd unbinds. One file at a time may bind a device (-EINVAL for
 * another, as Linux's cdev refuses a second open of the device), and none
 * while the device's group file is open (-EBUSY, group.c). A file opened
 * through the group (VFIO_GROUP_GET_DEVICE_FD) comes bound and attached
 * to its container's compatibility IOAS; it answers neither BIND
 * (-EINVAL) nor ATTACH and DETACH (-ENOTTY).
 *
 * The device is a PCI device whose BAR0 is the DMA engine's registers
 * (siommu/vfio_dmaeng.h), read and written with pread()/pwrite() at the
 * region's offset; its other regions are empty (size 0) and it has no
 * VGA region and no interrupts. Region N sits at offset N << 40, as
 * Linux's vfio-pci places it.
 *
 * Locking: a file's lock protects its binding (pc, dev_id); it is taken
 * before group.c's groups_lock. The machine knows which devices a file has
 * bound (machine_device_take()). A file's references count its fds and
 * the calls in flight.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/vfio_abi.h>
#include <siommu/vfio_dmaeng.h>

#include "iommufd/vfio_argsz.h"
#include "preload/shim.h"

#define REGION_SHIFT 40

/* pasid_struct_in()'s view of ATTACH's and DETACH's structs. */
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, flags) == 4 &&
	       offsetof(struct vfio_device_attach_iommufd_pt, pasid) ==
	       sizeof(struct vfio_device_attach_iommufd_pt) - 4 &&
	       VFIO_DEVICE_ATTACH_PASID == 1, "attach layout");
_Static_assert(offsetof(struct vfio_device_detach_iommufd_pt, flags) == 4 &&
	       offsetof(struct vfio_device_detach_iommufd_pt, pasid) ==
	       sizeof(struct vfio_device_detach_iommufd_pt) - 4 &&
	       VFIO_DEVICE_DETACH_PASID == 1, "detach layout");

struct vfio_file {
	unsigned int refs;		/* atomic */
	unsigned int index;
	struct siommu_device *dev;
	struct dmaeng *eng;

	struct group_file *group;	/* opened through it (a reference), or
					 * NULL: the cdev */

	pthread_mutex_t lock;
	struct pctx *pc;		/* the bound context, with a reference */
	uint32_t dev_id;		/* its DEVICE object */
};

int path_number(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p;
	long n = 0;

	if (!path || strncmp(path, prefix, len))
		return -1;
	p = path + len;
	if (!*p || (*p == '0' && p[1]))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || n > 1000000)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return (int)n;
}

int vfio_path_index(const char *path)
{
	return path_number(path, "/dev/vfio/devices/vfio");
}

int vfio_file_open(unsigned int index, struct vfio_file **out)
{
	struct vfio_file *vf;
	int ret;

	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	ret = machine_device(index, &vf->dev, &vf->eng);
	if (ret) {
		free(vf);
		return ret;
	}
	vf->refs = 1;
	vf->index = index;
	pthread_mutex_init(&vf->lock, NULL);
	*out = vf;
	return 0;
}

void vfio_file_get(struct vfio_file *vf)
{
	__atomic_add_fetch(&vf->refs, 1, __ATOMIC_RELAXED);
}

bool vfio_file_tryget(struct vfio_file *vf)
{
	unsigned int refs = __atomic_load_n(&vf->refs, __ATOMIC_RELAXED);

	do {
		if (!refs)
			return false;
	} while (!__atomic_compare_exchange_n(&vf->refs, &refs, refs + 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

/* Undo a bind, on the file's last reference (no call runs on it): the
 * device's DMA stops, its attachments and DEVICE object go, the device is
 * free to bind again. */
static void unbind(struct vfio_file *vf)
{
	if (!vf->pc)
		return;
	siommu_iommufd_unbind(pctx_ictx(vf->pc), vf->dev_id);
	/* Unbinding answered the engine's page requests still pending, so
	 * a copy waiting on one ends. */
	dmaeng_stop(vf->eng);
	pctx_put(vf->pc);
	vf->pc = NULL;
	vf->dev_id = 0;
	machine_device_give(vf->index);
	if (vf->group)
		group_file_device_closed(vf->group, vf->index, vf);
	else
		group_unblock_cdev(vf->index);
}

void vfio_file_put(struct vfio_file *vf)
{
	if (__atomic_sub_fetch(&vf->refs, 1, __ATOMIC_ACQ_REL))
		return;
	unbind(vf);
	pthread_mutex_destroy(&vf->lock);
	free(vf);
}

/* Claim the device for @pc, make its DEVICE object, start its engine;
 * the file keeps @pc's reference on success. */
static int bind_ctx(struct vfio_file *vf, struct pctx *pc, uint32_t *dev_id)
{
	int ret;

	if (machine_device_take(vf->index))
		return -EINVAL;		/* another file has it */
	ret = siommu_iommufd_bind(pctx_ictx(pc), vf->dev, dev_id);
	if (ret)
		goto out_release;
	ret = dmaeng_start(vf->eng);
	if (ret)
		goto out_unbind;
	vf->pc = pc;
	vf->dev_id = *dev_id;
	return 0;

out_unbind:
	siommu_iommufd_unbind(pctx_ictx(pc), *dev_id);
out_release:
	machine_device_give(vf->index);
	return ret;
}

/* BIND: Linux reads this one with copy_struct_from_user(): argsz, then
 * the bytes past the struct (zero, or -E2BIG), then the struct. */
static int bind_iommufd(struct vfio_file *vf, const struct siommu_iommufd_user *user,
			uint64_t arg, const struct vfio_ctx_resolver *res)
{
	struct vfio_device_bind_iommufd b = { 0 };
	struct pctx *pc;
	int ret;

	ret = ifd_ucopy_in(user, &b.argsz, arg, sizeof(b.argsz));
	if (ret)
		return ret;
	if (b.argsz < VFIO_DEVICE_BIND_IOMMUFD_MIN_SIZE)
		return -EINVAL;
	if (b.argsz > sizeof(b) &&
	    (ret = ifd_ucopy_zeroed(user, arg + sizeof(b), b.argsz - sizeof(b))))
		return ret;
	ret = ifd_ucopy_in(user, &b, arg, sizeof(b));
	if (ret)
		return ret;
	/* Only a cdev binds; a device opened through its group is bound. */
	if (b.flags || b.iommufd < 0 || vf->group)
		return -EINVAL;
	ret = group_block_cdev(vf->index);
	if (ret)
		return ret;
	if (vf->pc) {
		ret = -EINVAL;		/* bound already */
		goto out_unblock;
	}
	ret = res ? res->fn(res->priv, b.iommufd, &pc) : pctx_from_fd(b.iommufd, &pc);
	if (ret)
		goto out_unblock;
	ret = bind_ctx(vf, pc, &b.out_devid);
	if (ret) {
		pctx_put(pc);
		goto out_unblock;
	}
	/* Only out_devid is written back; a device whose ID cannot be
	 * told is unbound again, as Linux closes it. */
	ret = ifd_ucopy_out(user, arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
			    &b.out_devid, sizeof(b.out_devid));
	if (ret) {
		unbind(vf);
		return ret;
	}
	return 0;

out_unblock:
	group_unblock_cdev(vf->index);
	return ret;
}

int vfio_file_open_grouped(unsigned int index, struct pctx *pc, struct group_file *g,
			   struct vfio_file **out)
{
	struct vfio_file *vf;
	uint32_t dev_id, pt_id;
	int ret;

	ret = vfio_file_open(index, &vf);
	if (ret)
		goto out_group;
	vf->group = g;
	ret = siommu_vfio_ioas_get(pctx_ictx(pc), &pt_id);
	if (ret)
		goto out_put;
	pctx_ref(pc);
	ret = bind_ctx(vf, pc, &dev_id);
	if (ret) {
		pctx_put(pc);
		goto out_put;
	}
	ret = siommu_iommufd_attach(pctx_ictx(pc), dev_id, SIOMMU_IOMMUFD_NO_PASID, &pt_id);
	if (ret) {
		/* The put unbinds, and the unbind gives @g's reference up. */
		vfio_file_put(vf);
		return ret;
	}
	*out = vf;
	return 0;

out_put:
	vfio_file_put(vf);
out_group:
	group_file_put(g);
	return ret;
}

/* The core's errors as Linux's: a PASID beyond the device's is -EINVAL
 * there (the iommu core checks it against the device's max_pasids). */
static int attach_errno(int ret)
{
	return ret == -ERANGE ? -EINVAL : ret;
}

/*
 * ATTACH's or DETACH's struct (@k, @size bytes, the PASID its last u32)
 * as Linux reads it: its first published @min bytes (-EFAULT), argsz
 * against them and flags against @known (-EINVAL), then, with flag bit 0
 * (ATTACH_PASID, DETACH_PASID), argsz against the PASID (-EINVAL) and the
 * PASID itself (-EFAULT). A struct that is all there is read in one copy,
 * which gives the same answers: reading has no effect.
 */
static int pasid_struct_in(const struct siommu_iommufd_user *user, uint64_t arg, void *k,
			   uint32_t size, uint32_t min, uint32_t known)
{
	bool whole = !ifd_ucopy_in(user, k, arg, size);
	uint32_t argsz, flags;
	int ret;

	if (!whole && (ret = ifd_vfio_copy_in(user, k, size, arg, min, &argsz)))
		return ret;
	memcpy(&argsz, k, sizeof(argsz));
	memcpy(&flags, (char *)k + sizeof(argsz), sizeof(flags));
	if (argsz < min || flags & ~known)
		return -EINVAL;
	if (!(flags & 1))
		return 0;
	if (argsz < size)
		return -EINVAL;
	return whole ? 0 : ifd_ucopy_in(user, (char *)k + size - 4, arg + size - 4, 4);
}

/* ATTACH writes pt_id alone back, detaching again when it cannot. */
static int attach_pt(struct vfio_file *vf, const struct siommu_iommufd_user *user,
		     uint64_t arg)
{
	struct vfio_device_attach_iommufd_pt a;
	struct siommu_iommufd *ictx = pctx_ictx(vf->pc);
	uint32_t pasid = SIOMMU_IOMMUFD_NO_PASID;
	int ret;

	ret = pasid_struct_in(user, arg, &a, sizeof(a), VFIO_DEVICE_ATTACH_IOMMUFD_PT_MIN_SIZE,
			      VFIO_DEVICE_ATTACH_PASID);
	if (ret)
		return ret;
	if (a.flags & VFIO_DEVICE_ATTACH_PASID) {
		pasid = a.pasid;
		if (pasid == SIOMMU_IOMMUFD_NO_PASID)
			return -EINVAL;
	}
	if (siommu_iommufd_attached_hwpt(ictx, vf->dev_id, pasid))
		ret = siommu_iommufd_replace(ictx, vf->dev_id, pasid, &a.pt_id);
	else
		ret = siommu_iommufd_attach(ictx, vf->dev_id, pasid, &a.pt_id);
	if (ret)
		return attach_errno(ret);
	ret = ifd_ucopy_out(user, arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
			    &a.pt_id, sizeof(a.pt_id));
	if (ret)
		siommu_iommufd_detach(ictx, vf->dev_id, pasid);
	return ret;
}

/* DETACH writes nothing back. */
static int detach_pt(struct vfio_file *vf, const struct siommu_iommufd_user *user,
		     uint64_t arg)
{
	struct vfio_device_detach_iommufd_pt d;
	uint32_t pasid = SIOMMU_IOMMUFD_NO_PASID;
	int ret;

	ret = pasid_struct_in(user, arg, &d, sizeof(d), VFIO_DEVICE_DETACH_IOMMUFD_PT_MIN_SIZE,
			      VFIO_DEVICE_DETACH_PASID);
	if (ret)
		return ret;
	if (d.flags & VFIO_DEVICE_DETACH_PASID) {
		pasid = d.pasid;
		/* Nothing is attached at the RID's stand-in number. */
		if (pasid == SIOMMU_IOMMUFD_NO_PASID)
			return 0;
	}
	/* Detaching what is not attached does nothing, as Linux's. */
	siommu_iommufd_detach(pctx_ictx(vf->pc), vf->dev_id, pasid);
	return 0;
}

/* vfio-pci's GET_INFO: minsz in, checked; the struct out, as far as
 * argsz. */
static int get_info(const struct siommu_iommufd_user *user, uint64_t arg)
{
	struct vfio_device_info info;
	uint32_t argsz;
	int ret;

	ret = ifd_vfio_copy_in(user, &info, sizeof(info), arg, VFIO_DEVICE_GET_INFO_MIN_SIZE,
			       &argsz);
	if (ret)
		return ret;
	info = (struct vfio_device_info){
		.argsz = argsz,
		.flags = VFIO_DEVICE_FLAGS_PCI,
		.num_regions = VFIO_PCI_NUM_REGIONS,
		.num_irqs = 0,
	};
	return ifd_ucopy_out(user, arg, &info, argsz < sizeof(info) ? argsz : sizeof(info));
}

/* vfio-pci's GET_REGION_INFO: minsz (the whole struct) in and out. */
static int get_region_info(const struct siommu_iommufd_user *user, uint64_t arg)
{
	struct vfio_region_info r;
	uint32_t argsz;
	int ret;

	ret = ifd_vfio_copy_in(user, &r, sizeof(r), arg, VFIO_DEVICE_GET_REGION_INFO_MIN_SIZE,
			       &argsz);
	if (ret)
		return ret;
	/* No VGA region: Linux's vfio-pci refuses its index on such a device. */
	if (r.index >= VFIO_PCI_VGA_REGION_INDEX)
		return -EINVAL;
	r.offset = (uint64_t)r.index << REGION_SHIFT;
	r.cap_offset = 0;
	if (r.index == VFIO_PCI_BAR0_REGION_INDEX) {
		r.size = SIOMMU_DMAENG_BAR_SIZE;
		r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	} else {
		r.size = 0;
		r.flags = 0;
	}
	return ifd_ucopy_out(user, arg, &r, VFIO_DEVICE_GET_REGION_INFO_MIN_SIZE);
}

int vfio_file_ioctl(struct vfio_file *vf, unsigned long request, uint64_t arg,
		    const struct siommu_iommufd_user *user, const struct vfio_ctx_resolver *res)
{
	int ret;

	pthread_mutex_lock(&vf->lock);
	if (request == VFIO_DEVICE_BIND_IOMMUFD)
		ret = bind_iommufd(vf, user, arg, res);
	else if (!vf->pc)
		ret = -EINVAL;		/* Linux: nothing else before the bind */
	else if (vf->group && (request == VFIO_DEVICE_ATTACH_IOMMUFD_PT ||
			       request == VFIO_DEVICE_DETACH_IOMMUFD_PT))
		ret = -ENOTTY;		/* cdev requests: the driver has none */
	else if (request == VFIO_DEVICE_ATTACH_IOMMUFD_PT)
		ret = attach_pt(vf, user, arg);
	else if (request == VFIO_DEVICE_DETACH_IOMMUFD_PT)
		ret = detach_pt(vf, user, arg);
	else if (request == VFIO_DEVICE_GET_INFO)
		ret = get_info(user, arg);
	else if (request == VFIO_DEVICE_GET_REGION_INFO)
		ret = get_region_info(user, arg);
	else
		ret = -ENOTTY;
	pthread_mutex_unlock(&vf->lock);
	return ret;
}

ssize_t vfio_file_rw(struct vfio_file *vf, bool is_read, void *buf, size_t count,
		     uint64_t pos)
{
	uint64_t index = pos >> REGION_SHIFT, off = pos & ((1ull << REGION_SHIFT) - 1);
	bool bound;
	int ret;

	pthread_mutex_lock(&vf->lock);
	bound = vf->pc;
	pthread_mutex_unlock(&vf->lock);
	/* Linux: no access before the bind; only regions that exist. */
	if (!bound || index != VFIO_PCI_BAR0_REGION_INDEX)
		return -EINVAL;
	if (count && !buf)
		return -EFAULT;
	ret = is_read ? dmaeng_read(vf->eng, off, buf, count) :
			dmaeng_write(vf->eng, off, buf, count);
	return ret ? ret : (ssize_t)count;
}
