/* SPDX-License-Identifier: MIT */
/*
 * The devices registered with a hardware model (internal, shared by the
 * models): each has an ID (a VT-d source ID, an SMMUv3 StreamID), the
 * model's callbacks and an opaque pointer. A model embeds struct hw_dev
 * at the start of its own device struct, which adds the callbacks.
 *
 * Callbacks run with no lock held: hw_devs_get() counts the device busy
 * and hw_devs_put() ends that, and hw_devs_remove() unlinks a device and
 * waits until nothing runs its callbacks, so that the model can free it.
 *
 * Locking: struct hw_devs.lock covers the list and every busy count; it
 * is taken last, after any lock of the model, and nothing is called
 * with it held. cond signals busy counts dropping to zero.
 */
#ifndef SIOMMU_HW_COMMON_DEVS_H
#define SIOMMU_HW_COMMON_DEVS_H

#include <pthread.h>
#include <stdint.h>

struct hw_dev {
	struct hw_dev *next;
	uint32_t id;
	void *opaque;
	unsigned int busy;	/* callbacks running; hw_devs.lock */
};

struct hw_devs {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hw_dev *head;
};

/* An empty list; hw_devs_fini() calls @free_dev on what is left. */
void hw_devs_init(struct hw_devs *l);
void hw_devs_fini(struct hw_devs *l, void (*free_dev)(struct hw_dev *d));

/* Link @n (its id set) unless a device with its id is there: returns 0,
 * or -EEXIST and leaves @n to the caller. */
int hw_devs_add(struct hw_devs *l, struct hw_dev *n);

/* Unlink the device @id and wait until none of its callbacks runs;
 * returns it for the caller to free, or NULL if there is none. Must not
 * be called from one of that device's callbacks. */
struct hw_dev *hw_devs_remove(struct hw_devs *l, uint32_t id);

/* The device @id, counted busy until hw_devs_put(), or NULL. */
struct hw_dev *hw_devs_get(struct hw_devs *l, uint32_t id);
void hw_devs_put(struct hw_devs *l, struct hw_dev *d);

#endif
