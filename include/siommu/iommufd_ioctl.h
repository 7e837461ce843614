/* SPDX-License-Identifier: MIT */
/*
 * siommu/iommufd_ioctl.h - the one entry point of the binary iommufd ABI
 * (siommu/iommufd_abi.h): what ioctl() on an opened /dev/iommu does, on a
 * context of the object model (siommu/iommufd.h). A program speaking the
 * ABI needs this header and the ABI header only.
 */
#ifndef SIOMMU_IOMMUFD_IOCTL_H
#define SIOMMU_IOMMUFD_IOCTL_H

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_iommufd;

/*
 * siommu_iommufd_ioctl - run iommufd request @request (IOMMU_*) with
 * argument struct @arg on context @ictx, as Linux's /dev/iommu ioctl does.
 * @arg starts with its size (u32). Pointers inside it are the caller's
 * own addresses. Returns 0 or a negative errno:
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

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_IOMMUFD_IOCTL_H */
