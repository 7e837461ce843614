/* SPDX-License-Identifier: MIT */
/*
 * VFIO group files (/dev/vfio/G): the legacy way to a device, with
 * Linux's rules (siommu/vfio_abi.h). Group G is the G-th IOMMU group of
 * the machine (machine.c). A group file is open once at a time; while it
 * is, no device of the group binds through its cdev, and while one is so
 * bound the group does not open (-EBUSY both ways). SET_CONTAINER takes
 * an iommufd context's fd (/dev/vfio/vfio or /dev/iommu: the container
 * is an iommufd, as under Linux's CONFIG_IOMMUFD_VFIO_CONTAINER) and
 * makes its compatibility IOAS when there is none; GET_DEVICE_FD opens a
 * device of the group bound to that context and attached to that IOAS.
 * A device open through the group keeps the group open after the group's
 * fds close (Linux's device files hold the group file), and the context
 * after UNSET_CONTAINER or the container's close (the binding holds it).
 * A device opened twice through its group gives a second fd of the same
 * file.
 *
 * Locking: groups_lock protects every group's refs, cdev count and open
 * device files, and is never held across a call into the library or a
 * file's last put. A group's lock serialises its ioctls and protects its
 * container (pc), which the last put takes under groups_lock; a group's
 * lock is taken before groups_lock. A group in use cannot lose its last
 * reference: every call holds one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <siommu/vfio_abi.h>

#include "iommufd/vfio_argsz.h"
#include "preload/shim.h"
#include "scenario.h"

struct group_file {
	pthread_mutex_t lock;
	struct pctx *pc;		/* the container, with a reference */

	/* Under groups_lock. */
	unsigned int refs;		/* fds, calls, device files */
	unsigned int cdev_bound;	/* devices bound through their cdev */
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct group_file groups[SCENARIO_MAX_ITEMS] = {
	[0 ... SCENARIO_MAX_ITEMS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};
/* Each device's file opened through its group, or NULL; under groups_lock. */
static struct vfio_file *grouped[SCENARIO_MAX_ITEMS];

int group_path_index(const char *path)
{
	return path_number(path, "/dev/vfio/");
}

/* Whether group @id has a device: the machine built, 0 or -ENOENT. */
static int group_exists(unsigned int id)
{
	unsigned int i;
	int g;

	for (i = 0; (g = machine_device_group(i)) >= 0; i++)
		if ((unsigned int)g == id)
			return 0;
	return g == -ENOENT ? -ENOENT : g;
}

int group_file_open(unsigned int id, struct group_file **out)
{
	struct group_file *g;
	int ret;

	if (id >= SCENARIO_MAX_ITEMS)
		return -ENOENT;
	ret = group_exists(id);
	if (ret)
		return ret;
	g = &groups[id];
	pthread_mutex_lock(&groups_lock);
	if (g->refs || g->cdev_bound) {
		ret = -EBUSY;
	} else {
		g->refs = 1;
		*out = g;
	}
	pthread_mutex_unlock(&groups_lock);
	return ret;
}

void group_file_get(struct group_file *g)
{
	pthread_mutex_lock(&groups_lock);
	g->refs++;
	pthread_mutex_unlock(&groups_lock);
}

void group_file_put(struct group_file *g)
{
	struct pctx *pc = NULL;
	bool last;

	/* The last: no fd, call or device file is left to use pc, and the
	 * group opens again only once this has let go of it. */
	pthread_mutex_lock(&groups_lock);
	last = !--g->refs;
	if (last) {
		pc = g->pc;
		g->pc = NULL;
	}
	pthread_mutex_unlock(&groups_lock);
	if (pc)
		pctx_put(pc);
}

void group_file_device_closed(struct group_file *g, unsigned int index, struct vfio_file *vf)
{
	pthread_mutex_lock(&groups_lock);
	if (grouped[index] == vf)
		grouped[index] = NULL;
	pthread_mutex_unlock(&groups_lock);
	group_file_put(g);
}

int group_block_cdev(unsigned int index)
{
	int id = machine_device_group(index), ret = 0;

	if (id < 0)
		return id;
	pthread_mutex_lock(&groups_lock);
	if (groups[id].refs)
		ret = -EBUSY;
	else
		groups[id].cdev_bound++;
	pthread_mutex_unlock(&groups_lock);
	return ret;
}

void group_unblock_cdev(unsigned int index)
{
	int id = machine_device_group(index);

	if (id < 0)
		return;
	pthread_mutex_lock(&groups_lock);
	groups[id].cdev_bound--;
	pthread_mutex_unlock(&groups_lock);
}

static unsigned int group_id(const struct group_file *g)
{
	return (unsigned int)(g - groups);
}

/* GET_STATUS: with a container, viable and set; without, viable unless a
 * device of the group is bound (its DMA claimed by someone). */
static int get_status(struct group_file *g, const struct siommu_iommufd_user *user,
		      uint64_t arg)
{
	struct vfio_group_status st;
	uint32_t argsz;
	unsigned int i;
	int id, ret;

	ret = ifd_vfio_copy_in(user, &st, sizeof(st), arg, VFIO_GROUP_GET_STATUS_MIN_SIZE,
			       &argsz);
	if (ret)
		return ret;
	st.flags = 0;
	if (g->pc) {
		st.flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	} else {
		st.flags = VFIO_GROUP_FLAGS_VIABLE;
		for (i = 0; (id = machine_device_group(i)) >= 0; i++)
			if ((unsigned int)id == group_id(g) && machine_device_taken(i))
				st.flags = 0;
	}
	return ifd_ucopy_out(user, arg, &st, VFIO_GROUP_GET_STATUS_MIN_SIZE);
}

/* SET_CONTAINER: Linux's order of checks: the fd, a container already
 * set, the fd's kind. */
static int set_container(struct group_file *g, const struct siommu_iommufd_user *user,
			 uint64_t arg, const struct vfio_ctx_resolver *res)
{
	struct pctx *pc;
	uint32_t ioas;
	int fd, ret;

	ret = ifd_ucopy_in(user, &fd, arg, sizeof(fd));
	if (ret)
		return ret;
	ret = res ? res->fn(res->priv, fd, &pc) : pctx_from_fd(fd, &pc);
	if (ret == -EBADF)
		return ret;
	if (g->pc) {
		if (!ret)
			pctx_put(pc);
		return -EINVAL;
	}
	if (ret)
		return ret;	/* -EBADFD: an fd, but no container */
	ret = siommu_vfio_ioas_create(pctx_ictx(pc), &ioas);
	if (ret) {
		pctx_put(pc);
		return ret;
	}
	g->pc = pc;		/* the reference is the group's now */
	return 0;
}

/* UNSET_CONTAINER: the group leaves its container; devices open through
 * it stay bound (each holds the context), as Linux's iommufd container. */
static int unset_container(struct group_file *g)
{
	if (!g->pc)
		return -EINVAL;
	pctx_put(g->pc);
	g->pc = NULL;
	return 0;
}

/* GET_DEVICE_FD: the device named by the string at @arg, of this group. */
static int get_device_fd(struct group_file *g, const struct siommu_iommufd_user *user,
			 uint64_t arg, struct vfio_file **out)
{
	struct vfio_file *vf;
	char *name;
	unsigned int i;
	int id, ret;

	name = malloc(GROUP_NAME_MAX);
	if (!name)
		return -ENOMEM;
	ret = ifd_ucopy_str(user, name, arg, GROUP_NAME_MAX);
	for (i = 0; !ret && (id = machine_device_group(i)) >= 0; i++)
		if ((unsigned int)id == group_id(g) && machine_device_named(i, name))
			break;
	free(name);
	if (ret)
		return ret;
	if (id < 0)
		return -ENODEV;
	if (!g->pc)
		return -EINVAL;
	/* Open already: another fd of the same file. */
	pthread_mutex_lock(&groups_lock);
	vf = grouped[i];
	if (vf && !vfio_file_tryget(vf))
		vf = NULL;
	pthread_mutex_unlock(&groups_lock);
	if (vf) {
		*out = vf;
		return 0;
	}
	group_file_get(g);	/* the device file's */
	ret = vfio_file_open_grouped(i, g->pc, g, &vf);
	if (ret)
		return ret;
	pthread_mutex_lock(&groups_lock);
	grouped[i] = vf;
	pthread_mutex_unlock(&groups_lock);
	*out = vf;
	return 0;
}

int group_file_ioctl(struct group_file *g, unsigned long request, uint64_t arg,
		     const struct siommu_iommufd_user *user, const struct vfio_ctx_resolver *res,
		     struct vfio_file **dev)
{
	int ret;

	pthread_mutex_lock(&g->lock);
	if (request == VFIO_GROUP_GET_STATUS)
		ret = get_status(g, user, arg);
	else if (request == VFIO_GROUP_SET_CONTAINER)
		ret = set_container(g, user, arg, res);
	else if (request == VFIO_GROUP_UNSET_CONTAINER)
		ret = unset_container(g);
	else if (request == VFIO_GROUP_GET_DEVICE_FD)
		ret = get_device_fd(g, user, arg, dev);
	else
		ret = -ENOTTY;
	pthread_mutex_unlock(&g->lock);
	return ret;
}
