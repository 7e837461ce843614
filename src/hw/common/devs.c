/* SPDX-License-Identifier: MIT */
/*
 * The devices registered with a hardware model: see devs.h.
 */
#include <errno.h>
#include <stddef.h>

#include "hw/common/devs.h"

void hw_devs_init(struct hw_devs *l)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->head = NULL;
}

void hw_devs_fini(struct hw_devs *l, void (*free_dev)(struct hw_dev *d))
{
	struct hw_dev *d, *next;

	for (d = l->head; d; d = next) {
		next = d->next;
		free_dev(d);
	}
	l->head = NULL;
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
}

/* The device @id; lock held. */
static struct hw_dev *find(struct hw_devs *l, uint32_t id)
{
	struct hw_dev *d;

	for (d = l->head; d; d = d->next)
		if (d->id == id)
			break;
	return d;
}

int hw_devs_add(struct hw_devs *l, struct hw_dev *n)
{
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (find(l, n->id)) {
		ret = -EEXIST;
	} else {
		n->busy = 0;
		n->next = l->head;
		l->head = n;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

struct hw_dev *hw_devs_remove(struct hw_devs *l, uint32_t id)
{
	struct hw_dev **pp, *d = NULL;

	pthread_mutex_lock(&l->lock);
	for (pp = &l->head; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			d = *pp;
			*pp = d->next;
			break;
		}
	}
	while (d && d->busy)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	return d;
}

struct hw_dev *hw_devs_get(struct hw_devs *l, uint32_t id)
{
	struct hw_dev *d;

	pthread_mutex_lock(&l->lock);
	d = find(l, id);
	if (d)
		d->busy++;
	pthread_mutex_unlock(&l->lock);
	return d;
}

void hw_devs_put(struct hw_devs *l, struct hw_dev *d)
{
	pthread_mutex_lock(&l->lock);
	if (!--d->busy)
		pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}
