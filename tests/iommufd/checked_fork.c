/* SPDX-License-Identifier: MIT */
/*
 * siommu_iommufd_ioctl_checked() in a child of fork(): its copies read
 * the child's own memory, not its parent's, though the checked path keeps
 * the process ID it found first. The parent calls first (its ID kept);
 * the child's struct lies in a page mapped after the fork, which only the
 * child has: read there, a size below the first published one is
 * -EINVAL, where a read of the parent's memory would be -EFAULT. The
 * call is refused before it takes any lock of the context the child
 * inherited.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <siommu/iommufd_abi.h>
#include <siommu/iommufd_ioctl.h>

#include "iommufd_test.h"

int main(void)
{
	struct iommu_destroy d = { .size = sizeof(d) }, *own;
	struct tfd t;
	pid_t pid;
	int st;

	tfd_setup(&t, UINT64_MAX);
	CHECK_EQ(siommu_iommufd_ioctl_checked(t.ictx, IOMMU_DESTROY, &d), -ENOENT);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (own == MAP_FAILED)
			_exit(2);
		own->size = 4;
		_exit(siommu_iommufd_ioctl_checked(t.ictx, IOMMU_DESTROY, own) == -EINVAL ? 0 : 1);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	tfd_teardown(&t);
	return 0;
}
