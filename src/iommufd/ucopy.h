/* SPDX-License-Identifier: MIT */
/*
 * The caller's memory (ioctl.c), as every ioctl of ours reaches it: @user
 * as siommu_iommufd_ioctl_user() takes it, NULL for this process's own,
 * trusted (its pointers are followed), or &ifd_self_checked for this
 * process's own through the kernel (a bad pointer is -EFAULT). Addresses
 * are the caller's.
 */
#ifndef SIOMMU_IOMMUFD_UCOPY_H
#define SIOMMU_IOMMUFD_UCOPY_H

#include <stdint.h>

#include <siommu/iommufd_ioctl.h>

/*
 * ifd_self_checked - this process as a checked caller, for requests that
 * make no fd and map no memory (a VFIO device or group file's): its read
 * and write hooks copy with process_vm_readv(2)/process_vm_writev(2).
 */
extern const struct siommu_iommufd_user ifd_self_checked;

/*
 * ifd_ioctl_checked - siommu_iommufd_ioctl_checked(), which also gives
 * the caller's layer the struct as the call answered it: on success, and
 * for an iommufd command (not a type1 container request), our copy of it
 * (IFD_IOCTL_ANSWER_MAX bytes, zero past what the command knows) goes to
 * @answer when not NULL, so that the layer learns what the call made
 * without reading the caller's memory again.
 */
#define IFD_IOCTL_ANSWER_MAX 72
struct siommu_iommufd;
int ifd_ioctl_checked(struct siommu_iommufd *ictx, unsigned long request, void *arg,
		      void *answer);

/*
 * ifd_ucopy_in - @len bytes at @addr into @dst; ifd_ucopy_out - @len
 * bytes of @src to @addr. 0, -EFAULT.
 * ifd_ucopy_outv - the @n pieces of @v (IFD_UVEC_MAX at most for one
 * kernel call) written in order, as ifd_ucopy_out() of each would, the
 * first that cannot be written ending the rest; in one process_vm_writev(2)
 * for this process's own. 0, -EFAULT.
 * ifd_ucopy_zeroed - whether the @len bytes at @addr are all zero (the
 * tail of a struct longer than ours): 0, -E2BIG (one is not), -EFAULT.
 * ifd_ucopy_str - the string at @addr, its NUL included, into @dst
 * (@size bytes), read a page at a time and never past the page its NUL
 * is on, as Linux's strndup_user(): 0, -EFAULT, -EINVAL (no NUL within
 * @size).
 */
int ifd_ucopy_in(const struct siommu_iommufd_user *user, void *dst, uint64_t addr,
		 uint64_t len);
int ifd_ucopy_out(const struct siommu_iommufd_user *user, uint64_t addr, const void *src,
		  uint64_t len);
struct ifd_uvec {
	uint64_t addr;
	const void *src;
	uint64_t len;
};
#define IFD_UVEC_MAX 8
int ifd_ucopy_outv(const struct siommu_iommufd_user *user, const struct ifd_uvec *v,
		   unsigned int n);
int ifd_ucopy_zeroed(const struct siommu_iommufd_user *user, uint64_t addr, uint64_t len);
int ifd_ucopy_str(const struct siommu_iommufd_user *user, char *dst, uint64_t addr,
		  uint64_t size);

#endif
