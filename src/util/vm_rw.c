/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <sys/uio.h>

#include "util/vm_rw.h"

int vm_rw(pid_t pid, bool write, void *local, uint64_t addr, uint64_t len)
{
	struct iovec l = { local, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (len > SSIZE_MAX)
		return -EFAULT;
	n = write ? process_vm_writev(pid, &l, 1, &r, 1, 0) :
		    process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 && errno == EPERM ? -EPERM : -EFAULT;
}
