/* SPDX-License-Identifier: MIT */
/*
 * VFIO's argument rule, shared by the type1 container (vfio_compat.c) and
 * the preload library's device and group files: a struct starts with
 * argsz, the caller's size of it. Linux reads the first published size
 * (minsz) whatever argsz says, then checks argsz against it; fields past
 * minsz it reads only when a flag asks for them, and bytes past what it
 * knows it ignores.
 */
#ifndef SIOMMU_IOMMUFD_VFIO_ARGSZ_H
#define SIOMMU_IOMMUFD_VFIO_ARGSZ_H

#include <stddef.h>
#include <stdint.h>

#include "iommufd/ucopy.h"

/*
 * ifd_vfio_copy_in - the first @min bytes of the caller's struct at @arg
 * (through @user, ucopy.h) into @k (@ksize bytes, at least @min, zeroed
 * past them), its argsz into *argsz. Returns 0, -EFAULT (@min bytes not
 * readable, NULL among them), -EINVAL (argsz below @min).
 */
int ifd_vfio_copy_in(const struct siommu_iommufd_user *user, void *k, size_t ksize,
		     uint64_t arg, uint32_t min, uint32_t *argsz);

#endif
