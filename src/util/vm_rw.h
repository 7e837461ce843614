/* SPDX-License-Identifier: MIT */
/*
 * Copies to and from a process's memory through the kernel (internal):
 * process_vm_readv(2)/process_vm_writev(2), so that an address that is
 * not mapped, or not writable, is an error and never a fault. The ioctl
 * layer copies its own caller's memory so (siommu_iommufd_ioctl_checked()),
 * and the preload shim, which links the library, a forked child's.
 */
#ifndef SIOMMU_UTIL_VM_RW_H
#define SIOMMU_UTIL_VM_RW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * vm_rw - copy @len bytes between our @local and process @pid's @addr:
 * from @local to @addr when @write, else from @addr to @local. @pid may
 * be this process (getpid()). Returns 0; -EPERM when the kernel's access
 * check (ptrace's, Yama's) refuses @pid; -EFAULT otherwise (a byte not
 * mapped or not writable, @pid gone, @len beyond SSIZE_MAX). On failure
 * part of the bytes may have moved. Thread-safe.
 */
int vm_rw(pid_t pid, bool write, void *local, uint64_t addr, uint64_t len);

#endif
