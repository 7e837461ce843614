/* SPDX-License-Identifier: MIT */
/*
 * siommu/preload.h - what libsiommu-preload.so offers a program beyond
 * the system calls it stands in for. A program runs unchanged with or
 * without the shim, so it finds these entry points with dlsym() (a NULL
 * answer: no shim) and needs nothing else of siommu:
 *
 *	siommu_preload_get_acct_fn get = (siommu_preload_get_acct_fn)
 *		dlsym(RTLD_DEFAULT, SIOMMU_PRELOAD_GET_ACCT);
 *
 * Pinned-page accounting. Linux charges the pages iommufd pins to the
 * process (mm->pinned_vm for every pin, /proc's VmPin; mm->locked_vm,
 * VmLck, for the contexts in per-process mode, /dev/vfio/vfio's default)
 * and to the user (user->locked_vm, for the contexts in per-user mode,
 * /dev/iommu's default); each locked figure is bounded by RLIMIT_MEMLOCK
 * (IOAS_MAP past it is ENOMEM). The shim keeps the same figures for the
 * process over every iommufd it opened, and this is where they are read:
 * the shim never fakes /proc. A page shared by IOAS_COPY counts once;
 * each IOAS_MAP of a page counts again, as on Linux. Pages are charged
 * while pinned (from when a domain or an access first needs them), to
 * the process that mapped them: a forked child's maps to the child, also
 * when the opener pins them.
 */
#ifndef SIOMMU_PRELOAD_H
#define SIOMMU_PRELOAD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct siommu_preload_acct {
	uint64_t pinned_pages;		/* the process's pins (VmPin) */
	uint64_t locked_pages;		/* the process's, per-process mode (VmLck) */
	uint64_t user_locked_pages;	/* the user's, per-user mode: the
					 * charges of this process only */
	uint64_t limit_pages;		/* RLIMIT_MEMLOCK now (UINT64_MAX: none) */
};

/*
 * siommu_preload_get_acct - the calling process's figures now, in 4 KiB
 * pages, into *@out (in a forked child served by its opener, the child's,
 * which the opener keeps). Returns 0, -EINVAL (@out NULL), -ENOMEM; in
 * such a child -EIO once the opener is gone, -EFAULT. Thread-safe; each
 * figure is read atomically, the set is not a snapshot while other
 * threads map.
 */
int siommu_preload_get_acct(struct siommu_preload_acct *out);
typedef int (*siommu_preload_get_acct_fn)(struct siommu_preload_acct *out);
#define SIOMMU_PRELOAD_GET_ACCT "siommu_preload_get_acct"

#ifdef __cplusplus
}
#endif
#endif /* SIOMMU_PRELOAD_H */
