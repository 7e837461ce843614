/* SPDX-License-Identifier: MIT */
/*
 * VFIO's argument rule, shared by the type1 container (vfio_compat.c) and
 * the preload library's device files: a struct starts with argsz, the
 * caller's size of it.
 */
#ifndef SIOMMU_IOMMUFD_VFIO_ARGSZ_H
#define SIOMMU_IOMMUFD_VFIO_ARGSZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * ifd_vfio_copy_in - the caller's struct at @arg into @k (@ksize bytes,
 * zeroed past the caller's argsz, which goes to *argsz; bytes past @ksize
 * are not read). Returns 0, -EFAULT (@arg NULL), -EINVAL (argsz below
 * @min).
 */
int ifd_vfio_copy_in(void *k, size_t ksize, const void *arg, uint32_t min, uint32_t *argsz);

#endif
